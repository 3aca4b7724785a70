//! Probable renames: a table dropped and one of the same columns created, or a column dropped
//! and one of the same type added to the same table. Alembic's autogenerate writes renames
//! this way (the seed's user_profiles -> member_profiles), and running it destroys every row.
//!
//! Shapes are compared only where they are known: a drop spells out what it drops
//! (`drop_table.columns`, `drop_column.existing_column`), or the same revision's other
//! direction recreates it. Names must differ (a drop and create of the same name is a
//! rebuild, not a rename), and the schema must be the same.

use std::collections::{HashMap, HashSet};

use crate::ops::{AddColumn, Column, ColumnType, CreateTable, Operation};

use super::analysis::OpList;
use super::object::qualified;
use super::report::{toml_string, OpRef, RenameHint};
use super::types::equivalent;

/// An operation's place: (list position, operation position) in the analysed lists.
pub(crate) type OpPosition = (usize, usize);

struct DroppedTable<'a> {
    at: OpPosition,
    schema: Option<&'a str>,
    table: &'a str,
    columns: &'a [Column],
}

struct DroppedColumn<'a> {
    at: OpPosition,
    schema: Option<&'a str>,
    table: &'a str,
    column: &'a str,
    type_: &'a ColumnType,
}

/// Creates or adds that may be the other half of a rename, in list order.
type Candidates<'a, T> = Vec<(OpPosition, &'a T)>;

/// For each drop that looks like half of a rename, the rename to write instead.
pub(crate) fn detect(lists: &[OpList]) -> HashMap<OpPosition, RenameHint> {
    // Creates and adds indexed by where they go, in list order, so each drop looks only at
    // its own schema's tables and its own table's columns: a long plan stays linear.
    let mut creates: HashMap<Option<&str>, Candidates<CreateTable>> = HashMap::new();
    let mut adds: HashMap<(Option<&str>, &str), Candidates<AddColumn>> = HashMap::new();
    for (at, op) in all_ops(lists) {
        match op {
            Operation::CreateTable(create) => creates
                .entry(create.schema.as_deref())
                .or_default()
                .push((at, create)),
            Operation::AddColumn(add) => adds
                .entry((add.schema.as_deref(), add.table_name.as_str()))
                .or_default()
                .push((at, add)),
            _ => {}
        }
    }
    let mut hints = HashMap::new();
    let mut used: HashSet<OpPosition> = HashSet::new();
    for dropped in dropped_tables(lists) {
        let created = creates.get(&dropped.schema).and_then(|candidates| {
            candidates.iter().find(|&&(at, create)| {
                !used.contains(&at)
                    && create.table_name != dropped.table
                    && same_columns(dropped.columns, &create.columns)
            })
        });
        if let Some(&(at, create)) = created {
            used.insert(at);
            let toml = table_rename_toml(
                lists,
                dropped.at,
                dropped.schema,
                dropped.table,
                &create.table_name,
            );
            hints.insert(
                dropped.at,
                RenameHint {
                    old_name: qualified(dropped.schema, dropped.table),
                    new_name: qualified(dropped.schema, &create.table_name),
                    created_by: op_ref(lists, at),
                    toml,
                },
            );
        }
    }
    for dropped in dropped_columns(lists) {
        let added = adds
            .get(&(dropped.schema, dropped.table))
            .and_then(|candidates| {
                candidates.iter().find(|&&(at, add)| {
                    !used.contains(&at)
                        && add.column.name != dropped.column
                        && equivalent(dropped.type_, &add.column.type_)
                })
            });
        if let Some(&(at, add)) = added {
            used.insert(at);
            let toml = column_rename_toml(lists, &dropped, &add.column.name);
            let table = qualified(dropped.schema, dropped.table);
            hints.insert(
                dropped.at,
                RenameHint {
                    old_name: format!("{table}.{}", dropped.column),
                    new_name: format!("{table}.{}", add.column.name),
                    created_by: op_ref(lists, at),
                    toml,
                },
            );
        }
    }
    hints
}

/// Every operation of every list with its position.
fn all_ops<'a>(lists: &'a [OpList<'_>]) -> impl Iterator<Item = (OpPosition, &'a Operation)> {
    lists.iter().enumerate().flat_map(|(list_position, list)| {
        list.ops
            .iter()
            .enumerate()
            .map(move |(op_position, (_, op))| ((list_position, op_position), &**op))
    })
}

fn dropped_tables<'a>(lists: &'a [OpList<'_>]) -> Vec<DroppedTable<'a>> {
    let mut dropped = Vec::new();
    for (at, op) in all_ops(lists) {
        let Operation::DropTable(drop) = op else {
            continue;
        };
        let schema = drop.schema.as_deref();
        let columns = drop.columns.as_deref().or_else(|| {
            lists[at.0]
                .opposite
                .iter()
                .find_map(|other| match &**other {
                    Operation::CreateTable(create)
                        if create.table_name == drop.table_name
                            && create.schema.as_deref() == schema =>
                    {
                        Some(create.columns.as_slice())
                    }
                    _ => None,
                })
        });
        if let Some(columns) = columns {
            dropped.push(DroppedTable {
                at,
                schema,
                table: &drop.table_name,
                columns,
            });
        }
    }
    dropped
}

fn dropped_columns<'a>(lists: &'a [OpList<'_>]) -> Vec<DroppedColumn<'a>> {
    let mut dropped = Vec::new();
    for (at, op) in all_ops(lists) {
        let Operation::DropColumn(drop) = op else {
            continue;
        };
        let schema = drop.schema.as_deref();
        let type_ = drop
            .existing_column
            .as_ref()
            .map(|column| &column.type_)
            .or_else(|| {
                lists[at.0]
                    .opposite
                    .iter()
                    .find_map(|other| match &**other {
                        Operation::AddColumn(add)
                            if add.table_name == drop.table_name
                                && add.schema.as_deref() == schema
                                && add.column.name == drop.column_name =>
                        {
                            Some(&add.column.type_)
                        }
                        _ => None,
                    })
            });
        if let Some(type_) = type_ {
            dropped.push(DroppedColumn {
                at,
                schema,
                table: &drop.table_name,
                column: &drop.column_name,
                type_,
            });
        }
    }
    dropped
}

/// Same column names, each with an equivalent type; order, nullability and keys aside.
fn same_columns(dropped: &[Column], created: &[Column]) -> bool {
    dropped.len() == created.len()
        && dropped.iter().all(|old| {
            created
                .iter()
                .any(|new| new.name == old.name && equivalent(&old.type_, &new.type_))
        })
}

fn op_ref(lists: &[OpList], (list_position, op_position): OpPosition) -> OpRef {
    let list = &lists[list_position];
    let (op_index, op) = &list.ops[op_position];
    OpRef {
        revision: list.revision.clone(),
        direction: list.direction,
        derived: list.derived,
        op_index: *op_index,
        op: op.describe(),
    }
}

fn table_rename_toml(
    lists: &[OpList],
    at: OpPosition,
    schema: Option<&str>,
    old: &str,
    new: &str,
) -> String {
    let mut toml = format!(
        "[[{}]]\nop = \"rename_table\"\nold_table_name = {}\nnew_table_name = {}",
        lists[at.0].direction,
        toml_string(old),
        toml_string(new)
    );
    if let Some(schema) = schema {
        toml.push_str(&format!("\nschema = {}", toml_string(schema)));
    }
    toml
}

fn column_rename_toml(lists: &[OpList], dropped: &DroppedColumn<'_>, new: &str) -> String {
    let mut toml = format!(
        "[[{}]]\nop = \"alter_column\"\ntable_name = {}\ncolumn_name = {}\nnew_column_name = {}",
        lists[dropped.at.0].direction,
        toml_string(dropped.table),
        toml_string(dropped.column),
        toml_string(new)
    );
    if let Some(schema) = dropped.schema {
        toml.push_str(&format!("\nschema = {}", toml_string(schema)));
    }
    toml
}
