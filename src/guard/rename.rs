//! Probable renames: a table dropped and one of nearly the same columns created, or a column
//! dropped and one like it added to the same table. Alembic's autogenerate writes renames
//! this way (the seed's user_profiles -> member_profiles), and running it destroys every row.
//!
//! The decision is the rename matcher's (`matcher`), the one autogenerate writes renames by.
//! A dropped object's shape comes from the revision when it spells it out (`drop_table.columns`,
//! `drop_column.existing_column`), else from the live database online (`LiveTables`), else
//! from the same revision's other direction, which recreates it. A drop and create of the same
//! name is a rebuild, not a rename.

use std::collections::{HashMap, HashSet};

use crate::dialect::Dialect;
use crate::ops::{Column, CreateTable, Operation};

use super::analysis::OpList;
use super::matcher::{ColumnShape, Matcher, Outcome, TableShape};
use super::object::qualified;
use super::report::{toml_string, OpRef, RenameHint};
use super::types::equivalent;

/// What the guard may read of the live database: the columns of a table, for a drop that does
/// not spell out what it drops, and the tables with triggers. The executor implements it
/// online; offline nothing is live.
pub trait LiveTables {
    /// The table's columns, or None when there is no such table (or nothing to read).
    fn columns(&mut self, schema: Option<&str>, table: &str) -> Option<Vec<Column>>;

    /// The tables whose triggers the guard must assume run code it cannot see, where nothing
    /// verifies a step's effects (MySQL): rows written into them may change or delete rows
    /// anywhere. Elsewhere none: the second layer sees what triggers do.
    fn triggered_tables(&mut self) -> Vec<String>;
}

/// No database to read: lint, `--sql`, and library checks without a connection.
pub struct NothingLive;

impl LiveTables for NothingLive {
    fn columns(&mut self, _: Option<&str>, _: &str) -> Option<Vec<Column>> {
        None
    }

    fn triggered_tables(&mut self) -> Vec<String> {
        Vec::new()
    }
}

/// An operation's place: (list position, operation position) in the analysed lists.
pub(crate) type OpPosition = (usize, usize);

/// For each drop at one of `drops` that looks like half of a rename, the rename to write
/// instead.
pub(crate) fn detect(
    lists: &[OpList],
    drops: &[OpPosition],
    dialect: Option<Dialect>,
    live: &mut dyn LiveTables,
) -> HashMap<OpPosition, RenameHint> {
    let matcher = Matcher::new(dialect, &equivalent);
    let drops: HashSet<OpPosition> = drops.iter().copied().collect();
    let mut hints = HashMap::new();
    if drops.is_empty() {
        return hints;
    }
    table_renames(lists, &drops, &matcher, live, &mut hints);
    column_renames(lists, &drops, &matcher, live, &mut hints);
    hints
}

/// The drops among the plan's operations, with their positions.
fn drops_of<'a>(
    lists: &'a [OpList<'_>],
    wanted: &'a HashSet<OpPosition>,
) -> impl Iterator<Item = (OpPosition, &'a Operation)> {
    all_ops(lists).filter(|(at, _)| wanted.contains(at))
}

fn table_renames(
    lists: &[OpList],
    wanted: &HashSet<OpPosition>,
    matcher: &Matcher,
    live: &mut dyn LiveTables,
    hints: &mut HashMap<OpPosition, RenameHint>,
) {
    let creates: Vec<(OpPosition, &CreateTable)> = all_ops(lists)
        .filter_map(|(at, op)| match op {
            Operation::CreateTable(create) => Some((at, create)),
            _ => None,
        })
        .collect();
    if creates.is_empty() {
        return;
    }
    let mut drops: Vec<OpPosition> = Vec::new();
    let mut dropped: Vec<TableShape> = Vec::new();
    for (at, op) in drops_of(lists, wanted) {
        let Operation::DropTable(drop) = op else {
            continue;
        };
        let schema = drop.schema.as_deref();
        let columns = drop
            .columns
            .clone()
            .or_else(|| live.columns(schema, &drop.table_name))
            .or_else(|| {
                lists[at.0]
                    .opposite
                    .iter()
                    .find_map(|other| match &**other {
                        Operation::CreateTable(create)
                            if create.table_name == drop.table_name
                                && create.schema.as_deref() == schema =>
                        {
                            Some(create.columns.clone())
                        }
                        _ => None,
                    })
            });
        if let Some(columns) = columns {
            drops.push(at);
            dropped.push(shape(schema, &drop.table_name, &columns));
        }
    }
    let created: Vec<TableShape> = creates
        .iter()
        .map(|(_, create)| {
            shape(
                create.schema.as_deref(),
                &create.table_name,
                &create.columns,
            )
        })
        .collect();
    // A drop and a create of one name in one schema rebuild a table; they are no rename.
    let candidates = matcher
        .table_candidates(&dropped, &created)
        .into_iter()
        .filter(|candidate| {
            let (old, new) = (&dropped[candidate.dropped], &created[candidate.created]);
            old.name != new.name || old.schema != new.schema
        })
        .collect();
    for outcome in matcher.decide_tables(candidates) {
        let Outcome::Rename { candidate, .. } = outcome else {
            continue;
        };
        let (old, new) = (&dropped[candidate.dropped], &created[candidate.created]);
        let at = drops[candidate.dropped];
        let direction = lists[at.0].direction;
        let schema = old.schema.as_deref();
        let mut toml = format!(
            "[[{direction}]]\nop = \"rename_table\"\nold_table_name = {}\nnew_table_name = {}{}",
            toml_string(&old.name),
            toml_string(&new.name),
            schema_line(schema)
        );
        for (from, to) in matcher.renamed_columns(old, new) {
            toml.push_str(&format!(
                "\n\n{}",
                column_rename_toml(direction, schema, &new.name, &from, &to)
            ));
        }
        hints.insert(
            at,
            RenameHint {
                old_name: qualified(schema, &old.name),
                new_name: qualified(schema, &new.name),
                created_by: op_ref(lists, creates[candidate.created].0),
                toml,
            },
        );
    }
}

fn column_renames(
    lists: &[OpList],
    wanted: &HashSet<OpPosition>,
    matcher: &Matcher,
    live: &mut dyn LiveTables,
    hints: &mut HashMap<OpPosition, RenameHint>,
) {
    // By table: the dropped columns with their drops, and the added ones with their adds.
    type Sides = (Vec<(OpPosition, Column)>, Vec<(OpPosition, Column)>);
    let mut tables: HashMap<(Option<&str>, &str), Sides> = HashMap::new();
    for (at, op) in all_ops(lists) {
        if let Operation::AddColumn(add) = op {
            tables
                .entry((add.schema.as_deref(), &add.table_name))
                .or_default()
                .1
                .push((at, add.column.clone()));
        }
    }
    if tables.is_empty() {
        return;
    }
    let mut live_tables: HashMap<(Option<&str>, &str), Option<Vec<Column>>> = HashMap::new();
    for (at, op) in drops_of(lists, wanted) {
        let Operation::DropColumn(drop) = op else {
            continue;
        };
        let key = (drop.schema.as_deref(), drop.table_name.as_str());
        let Some((dropped, _)) = tables.get_mut(&key) else {
            continue;
        };
        let named = |column: &Column| column.name == drop.column_name;
        let column = drop
            .existing_column
            .clone()
            .or_else(|| {
                // One read per table, however many of its columns are dropped.
                live_tables
                    .entry(key)
                    .or_insert_with(|| live.columns(key.0, key.1))
                    .as_ref()
                    .and_then(|columns| columns.iter().find(|c| named(c)).cloned())
            })
            .or_else(|| {
                lists[at.0]
                    .opposite
                    .iter()
                    .find_map(|other| match &**other {
                        Operation::AddColumn(add)
                            if add.table_name == drop.table_name
                                && add.schema.as_deref() == key.0
                                && named(&add.column) =>
                        {
                            Some(add.column.clone())
                        }
                        _ => None,
                    })
            });
        if let Some(column) = column {
            dropped.push((at, column));
        }
    }
    for ((schema, table), (dropped, added)) in &tables {
        let side = |columns: &[(OpPosition, Column)]| {
            let columns: Vec<Column> = columns.iter().map(|(_, column)| column.clone()).collect();
            shape(*schema, table, &columns)
        };
        let (old, new) = (side(dropped), side(added));
        let candidates = matcher.column_candidates(&old, &new);
        // Only the shapes of the dropped and added columns are known here, not their places:
        // a lone candidate is named as probable whatever its evidence, as a hint only.
        for outcome in matcher.decide_columns(candidates) {
            let candidate = match outcome {
                Outcome::Rename { candidate, .. } => candidate,
                Outcome::NotGuessed {
                    mut candidates,
                    reason: super::matcher::NotGuessed::Weak,
                } => candidates.remove(0),
                Outcome::NotGuessed { .. } => continue,
            };
            let (at, column) = &dropped[candidate.dropped];
            let (added_at, new_column) = &added[candidate.created];
            let qualified_table = qualified(*schema, table);
            hints.insert(
                *at,
                RenameHint {
                    old_name: format!("{qualified_table}.{}", column.name),
                    new_name: format!("{qualified_table}.{}", new_column.name),
                    created_by: op_ref(lists, *added_at),
                    toml: column_rename_toml(
                        lists[at.0].direction,
                        *schema,
                        table,
                        &column.name,
                        &new_column.name,
                    ),
                },
            );
        }
    }
}

/// A revision's columns as the matcher sees them.
fn shape(schema: Option<&str>, table: &str, columns: &[Column]) -> TableShape {
    TableShape {
        schema: schema.map(str::to_string),
        name: table.to_string(),
        comment: None,
        columns: columns
            .iter()
            .map(|column| ColumnShape {
                name: column.name.clone(),
                type_: column.type_.clone(),
                nullable: column.nullable,
                default: column.server_default.clone(),
                comment: column.comment.clone(),
                references: column
                    .foreign_key
                    .as_ref()
                    .map(|reference| reference.table.clone()),
            })
            .collect(),
        referenced_by: Vec::new(),
    }
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

fn schema_line(schema: Option<&str>) -> String {
    schema
        .map(|schema| format!("\nschema = {}", toml_string(schema)))
        .unwrap_or_default()
}

fn column_rename_toml(
    direction: impl std::fmt::Display,
    schema: Option<&str>,
    table: &str,
    old: &str,
    new: &str,
) -> String {
    format!(
        "[[{direction}]]\nop = \"alter_column\"\ntable_name = {}\ncolumn_name = {}\nnew_column_name = {}{}",
        toml_string(table),
        toml_string(old),
        toml_string(new),
        schema_line(schema)
    )
}
