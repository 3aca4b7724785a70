//! The differ: (reflected database, target schema) -> the changes that turn one into the other,
//! each with its upgrade operations and the downgrade operations that undo them.
//!
//! Pure: no I/O. The order is safe to run top to bottom:
//! 1. create enum types and add enum values (PostgreSQL);
//! 2. rename tables, then columns (first, so that everything after uses the new names);
//! 3. drop foreign keys, then indexes and other constraints, then tables (a table before the
//!    tables it references);
//! 4. add, alter and drop columns of the tables that stay;
//! 5. create tables (a referenced table first, foreign keys inline; a cycle's closing keys are
//!    added afterwards), then primary keys, uniques and checks, indexes, and foreign keys;
//! 6. comments, and last the enum types nothing uses any more.
//!
//! The downgrade is the reverse: each change's undo, last change first.
//!
//! Which current table or column is which target one (by name, `renamed_from`, the rename
//! matcher or the person asked), what is reported rather than guessed, the PostgreSQL
//! dependents renamed in step with a table or column, and the current tables as they read once
//! the renames have run are the child module `pairing` (`diff/pairing.rs`); this file holds
//! what the differ finds, the order, and the comparison of what is paired.

mod pairing;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::dialect::Dialect;
use crate::ops::reverse::reverse;
use crate::ops::{
    AddColumn, AlterColumn, Column, ColumnType, ConstraintKind, CreateCheckConstraint,
    CreateForeignKey, CreateIndex, CreatePrimaryKey, CreateTable, CreateTableComment,
    CreateUniqueConstraint, DropColumn, DropConstraint, DropIndex, DropTable, DropTableComment,
    Execute, IndexElement, Operation, RenameTable, TableConstraint, TextChange,
};

use super::model::{
    qualified, same_condition, same_default, same_type, EnumType, ForeignKey, Index, Schema, Table,
};
use crate::guard::matcher::RenameDecider;

use pairing::{rename_table_view, ColumnPairing, ColumnRenames};

/// Why a rename was written.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RenameReason {
    /// `renamed_from` in the target file.
    RenamedFrom,
    /// Detected from the shapes; `evidence` says what agrees ("same columns", ...).
    Detected { evidence: String },
    /// The user said yes to the interactive question.
    Confirmed,
}

/// One thing the differ found, for the summary, `check` and `--json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Detected {
    AddedTable {
        table: String,
    },
    DroppedTable {
        table: String,
    },
    RenamedTable {
        from: String,
        to: String,
        reason: RenameReason,
    },
    AddedColumn {
        table: String,
        column: String,
    },
    DroppedColumn {
        table: String,
        column: String,
    },
    RenamedColumn {
        table: String,
        from: String,
        to: String,
        reason: RenameReason,
    },
    AlteredColumn {
        table: String,
        column: String,
        changes: Vec<String>,
    },
    AddedIndex {
        table: String,
        index: String,
    },
    DroppedIndex {
        table: String,
        index: String,
    },
    AddedConstraint {
        table: String,
        constraint: String,
    },
    DroppedConstraint {
        table: String,
        constraint: String,
    },
    ChangedTableComment {
        table: String,
    },
    AddedEnum {
        name: String,
    },
    DroppedEnum {
        name: String,
    },
    AddedEnumValues {
        name: String,
        values: Vec<String>,
    },
    /// A difference no operation can make safely; the revision explains what to do by hand.
    ManualChange {
        object: String,
        reason: String,
    },
    /// Candidates for a rename that compete: written as drops and creates, not guessed.
    AmbiguousRename {
        object: String,
        dropped: Vec<String>,
        created: Vec<String>,
    },
    /// A constraint, index or sequence renamed with its table or column.
    RenamedDependent {
        table: String,
        from: String,
        to: String,
    },
    /// A lone rename candidate on weak evidence: written as a drop and a create, not guessed.
    PossibleRename {
        object: String,
        from: String,
        to: String,
        evidence: String,
    },
    /// A table of the same name and shape in another schema: not guessed, no operation moves it.
    MovedTable {
        from: String,
        to: String,
    },
}

impl std::fmt::Display for Detected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Detected::AddedTable { table } => write!(f, "added table {table}"),
            Detected::DroppedTable { table } => write!(f, "dropped table {table}"),
            Detected::RenamedTable { from, to, reason } => {
                write!(f, "renamed table {from} -> {to} ({})", reason_text(reason))
            }
            Detected::AddedColumn { table, column } => write!(f, "added column {table}.{column}"),
            Detected::DroppedColumn { table, column } => {
                write!(f, "dropped column {table}.{column}")
            }
            Detected::RenamedColumn {
                table,
                from,
                to,
                reason,
            } => write!(
                f,
                "renamed column {table}.{from} -> {to} ({})",
                reason_text(reason)
            ),
            Detected::AlteredColumn {
                table,
                column,
                changes,
            } => write!(f, "altered column {table}.{column}: {}", changes.join(", ")),
            Detected::AddedIndex { table, index } => write!(f, "added index {index} on {table}"),
            Detected::DroppedIndex { table, index } => {
                write!(f, "dropped index {index} on {table}")
            }
            Detected::AddedConstraint { table, constraint } => {
                write!(f, "added {constraint} on {table}")
            }
            Detected::DroppedConstraint { table, constraint } => {
                write!(f, "dropped {constraint} on {table}")
            }
            Detected::ChangedTableComment { table } => write!(f, "changed comment of {table}"),
            Detected::AddedEnum { name } => write!(f, "added enum type {name}"),
            Detected::DroppedEnum { name } => write!(f, "dropped enum type {name}"),
            Detected::AddedEnumValues { name, values } => {
                write!(
                    f,
                    "added value(s) {} to enum type {name}",
                    values.join(", ")
                )
            }
            Detected::ManualChange { object, reason } => {
                write!(
                    f,
                    "{object} differs and needs a hand-written change: {reason}"
                )
            }
            Detected::AmbiguousRename {
                object,
                dropped,
                created,
            } => write!(
                f,
                "ambiguous {object} rename, not guessed: dropped {} and created {}",
                dropped.join(", "),
                created.join(", ")
            ),
            Detected::RenamedDependent { table, from, to } => {
                write!(f, "renamed {from} -> {to} on {table}, in step with the table")
            }
            Detected::PossibleRename {
                object,
                from,
                to,
                evidence,
            } => write!(
                f,
                "possible {object} rename on weak evidence, not guessed: {from} -> {to} ({evidence})"
            ),
            Detected::MovedTable { from, to } => {
                write!(f, "possibly moved table, not guessed: {from} -> {to}")
            }
        }
    }
}

fn reason_text(reason: &RenameReason) -> String {
    match reason {
        RenameReason::RenamedFrom => "renamed_from".to_string(),
        RenameReason::Detected { evidence } => format!("detected: {evidence}"),
        RenameReason::Confirmed => "confirmed".to_string(),
    }
}

/// Where a change runs in the upgrade; the derive orders changes by it, stably.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    CreateEnums,
    RenameTables,
    RenameColumns,
    RenameDependents,
    DropForeignKeys,
    DropIndexesAndConstraints,
    Ambiguities,
    DropTables,
    AddColumns,
    AlterColumns,
    DropColumns,
    CreateTables,
    CreateConstraints,
    CreateIndexes,
    CreateForeignKeys,
    Comments,
    DropEnums,
}

/// One change: what was found, the operations that make it, and those that undo it.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub detected: Detected,
    pub upgrade: Vec<Operation>,
    /// In the order they run when downgrading.
    pub downgrade: Vec<Operation>,
    /// A note for the reviewer, written as a comment above the change's operations.
    pub comment: Option<String>,
    phase: Phase,
}

/// Every change, in upgrade order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Diff {
    pub changes: Vec<Change>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// How many groups of rename candidates were reported rather than written.
    pub fn unsettled_renames(&self) -> usize {
        self.changes
            .iter()
            .filter(|change| {
                matches!(
                    change.detected,
                    Detected::AmbiguousRename { .. }
                        | Detected::PossibleRename { .. }
                        | Detected::MovedTable { .. }
                )
            })
            .count()
    }

    pub fn upgrade_ops(&self) -> Vec<Operation> {
        self.changes
            .iter()
            .flat_map(|change| change.upgrade.iter().cloned())
            .collect()
    }

    pub fn downgrade_ops(&self) -> Vec<Operation> {
        self.changes
            .iter()
            .rev()
            .flat_map(|change| change.downgrade.iter().cloned())
            .collect()
    }
}

/// Compares `current` (reflected) with `target` (the schema file) for `dialect`. With a
/// decider, every rename candidate is asked about instead of decided.
pub fn diff(
    current: &Schema,
    target: &Schema,
    dialect: Dialect,
    mut decider: Option<&mut dyn RenameDecider>,
) -> Diff {
    let mut differ = Differ {
        dialect,
        changes: Vec::new(),
    };
    let pairing = differ.pair_tables(current, target, decider.as_deref_mut());
    let mut pairs = Vec::new();
    for (current_index, target_index, reason) in &pairing.pairs {
        let old = &current.tables[*current_index];
        let new = &target.tables[*target_index];
        if let Some(reason) = reason {
            differ.push(
                Phase::RenameTables,
                Detected::RenamedTable {
                    from: old.display_name(),
                    to: new.display_name(),
                    reason: reason.clone(),
                },
                vec![Operation::RenameTable(RenameTable {
                    old_table_name: old.name.clone(),
                    new_table_name: new.name.clone(),
                    schema: old.schema.clone(),
                    rename_dependents: false,
                })],
                None,
            );
        }
        let columns = differ.pair_columns((old, current), (new, target), decider.as_deref_mut());
        pairs.push((old, new, columns));
    }
    // The database as it is once every rename has run, so constraints compare by new names.
    let table_renames: Vec<(Option<String>, String, String)> = pairs
        .iter()
        .filter(|(old, new, _)| old.name != new.name)
        .map(|(old, new, _)| (old.schema.clone(), old.name.clone(), new.name.clone()))
        .collect();
    let column_renames: Vec<ColumnRenames> = pairs
        .iter()
        .map(|(_, new, columns)| {
            (
                new.schema.clone(),
                new.name.clone(),
                columns
                    .pairs
                    .iter()
                    .filter(|(old, new, _)| old != new)
                    .map(|(old, new, _)| (old.clone(), new.clone()))
                    .collect(),
            )
        })
        .collect();
    let renamed = |table: &Table| rename_table_view(table, &table_renames, &column_renames);

    for (old, new, columns) in &pairs {
        let mut view = renamed(old);
        if dialect == Dialect::Postgresql {
            differ.rename_dependents(old, &mut view, new, columns);
        }
        differ.table_changes(&view, new, columns);
    }
    let dropped: Vec<Table> = pairing
        .dropped
        .iter()
        .map(|&index| renamed(&current.tables[index]))
        .collect();
    differ.drop_tables(&dropped);
    let created: Vec<&Table> = pairing
        .created
        .iter()
        .map(|&index| &target.tables[index])
        .collect();
    differ.create_tables(&created);
    for ambiguity in pairing.ambiguities {
        differ.push(
            Phase::Ambiguities,
            ambiguity.detected,
            Vec::new(),
            Some(ambiguity.comment),
        );
    }
    if dialect == Dialect::Postgresql {
        differ.enum_changes(&current.enums, &target.enums);
    }
    let mut changes = differ.changes;
    changes.sort_by_key(|change| change.phase);
    Diff { changes }
}

struct Differ {
    dialect: Dialect,
    changes: Vec<Change>,
}

impl Differ {
    fn push(
        &mut self,
        phase: Phase,
        detected: Detected,
        upgrade: Vec<Operation>,
        comment: Option<String>,
    ) {
        let downgrade = upgrade
            .iter()
            .rev()
            .filter_map(|op| reverse(op).ok())
            .collect();
        self.push_with_downgrade(phase, detected, upgrade, downgrade, comment);
    }

    fn push_with_downgrade(
        &mut self,
        phase: Phase,
        detected: Detected,
        upgrade: Vec<Operation>,
        downgrade: Vec<Operation>,
        comment: Option<String>,
    ) {
        self.changes.push(Change {
            detected,
            upgrade,
            downgrade,
            comment,
            phase,
        });
    }

    /// Everything that differs in a table that stays; `old` already carries the new names.
    fn table_changes(&mut self, old: &Table, new: &Table, columns: &ColumnPairing) {
        let table = new.display_name();
        let schema = new.schema.clone();
        for (from, to, reason) in &columns.pairs {
            if let Some(reason) = reason {
                let Some(column) = old.column(to) else {
                    continue;
                };
                self.push(
                    Phase::RenameColumns,
                    Detected::RenamedColumn {
                        table: table.clone(),
                        from: from.clone(),
                        to: to.clone(),
                        reason: reason.clone(),
                    },
                    vec![Operation::AlterColumn(AlterColumn {
                        new_column_name: Some(to.clone()),
                        ..alter_base(old, from, column)
                    })],
                    None,
                );
            }
        }

        self.constraint_changes(old, new);

        for name in &columns.added {
            let Some(column) = new.column(name) else {
                continue;
            };
            self.push(
                Phase::AddColumns,
                Detected::AddedColumn {
                    table: table.clone(),
                    column: name.clone(),
                },
                vec![Operation::AddColumn(AddColumn {
                    table_name: new.name.clone(),
                    column: self.column_for_ops(column),
                    schema: schema.clone(),
                })],
                None,
            );
        }
        for (_, name, _) in &columns.pairs {
            if let (Some(before), Some(after)) = (old.column(name), new.column(name)) {
                self.alter_column(old, new, before, after);
            }
        }
        for name in &columns.dropped {
            let Some(column) = old.column(name) else {
                continue;
            };
            self.push(
                Phase::DropColumns,
                Detected::DroppedColumn {
                    table: table.clone(),
                    column: name.clone(),
                },
                vec![Operation::DropColumn(DropColumn {
                    table_name: old.name.clone(),
                    column_name: name.clone(),
                    schema: schema.clone(),
                    existing_column: Some(self.column_for_ops(column)),
                    confirm_data_loss: None,
                })],
                None,
            );
        }

        if self.dialect != Dialect::Sqlite && old.comment != new.comment {
            let op = match &new.comment {
                Some(comment) => Operation::CreateTableComment(CreateTableComment {
                    table_name: new.name.clone(),
                    comment: comment.clone(),
                    existing_comment: old.comment.clone(),
                    schema: schema.clone(),
                }),
                None => Operation::DropTableComment(DropTableComment {
                    table_name: new.name.clone(),
                    existing_comment: old.comment.clone(),
                    schema: schema.clone(),
                }),
            };
            self.push(
                Phase::Comments,
                Detected::ChangedTableComment { table },
                vec![op],
                None,
            );
        }
    }

    fn alter_column(&mut self, table: &Table, new_table: &Table, before: &Column, after: &Column) {
        let mut alter = alter_base(table, &before.name, before);
        let mut changes = Vec::new();
        if !same_type(self.dialect, &before.type_, &after.type_) {
            changes.push(format!("type {} -> {}", before.type_, after.type_));
            alter.type_ = Some(after.type_.clone());
        }
        let key = table.is_key_column(&before.name) && new_table.is_key_column(&after.name);
        if before.nullable != after.nullable && !key {
            changes.push(if after.nullable {
                "now nullable".to_string()
            } else {
                "now NOT NULL".to_string()
            });
            alter.nullable = Some(after.nullable);
        }
        if !same_default(
            before.server_default.as_deref(),
            after.server_default.as_deref(),
        ) {
            changes.push(match &after.server_default {
                Some(default) => format!("default {default}"),
                None => "default removed".to_string(),
            });
            alter.server_default = Some(match &after.server_default {
                Some(default) => TextChange::Set(default.clone()),
                None => TextChange::Remove,
            });
        }
        if self.dialect != Dialect::Sqlite && before.comment != after.comment {
            changes.push("comment".to_string());
            alter.comment = Some(match &after.comment {
                Some(comment) => TextChange::Set(comment.clone()),
                None => TextChange::Remove,
            });
        }
        let detected = |changes: Vec<String>| Detected::AlteredColumn {
            table: new_table.display_name(),
            column: after.name.clone(),
            changes,
        };
        if !changes.is_empty() {
            self.push(
                Phase::AlterColumns,
                detected(changes),
                vec![Operation::AlterColumn(alter)],
                None,
            );
        }
        if self.dialect == Dialect::Postgresql
            && before.identity.as_ref().map(|identity| identity.always)
                != after.identity.as_ref().map(|identity| identity.always)
        {
            let reason = "alter_column cannot add, remove or change an identity; write the ALTER TABLE ... ADD/DROP IDENTITY in an execute operation".to_string();
            self.push(
                Phase::AlterColumns,
                Detected::ManualChange {
                    object: format!("identity of {}.{}", new_table.display_name(), after.name),
                    reason: reason.clone(),
                },
                Vec::new(),
                Some(format!(
                    "The identity of {}.{} differs: {reason}.",
                    new_table.display_name(),
                    after.name
                )),
            );
        }
    }

    /// Keys, uniques, checks, foreign keys and indexes of a table that stays.
    fn constraint_changes(&mut self, old: &Table, new: &Table) {
        let table = new.display_name();
        let schema = new.schema.clone();
        let name = new.name.clone();

        // Primary key.
        let key_differs = match (&old.primary_key, &new.primary_key) {
            (None, None) => false,
            (Some(before), Some(after)) => {
                before.columns != after.columns
                    || (after.name.is_some() && after.name != before.name)
            }
            _ => true,
        };
        if key_differs {
            if let Some(before) = &old.primary_key {
                let constraint = format!("primary key ({})", before.columns.join(", "));
                self.drop_constraint(
                    Phase::DropIndexesAndConstraints,
                    old,
                    before.name.clone(),
                    ConstraintKind::Primary,
                    constraint,
                    Operation::CreatePrimaryKey(CreatePrimaryKey {
                        constraint_name: before.name.clone(),
                        table_name: name.clone(),
                        columns: before.columns.clone(),
                        schema: schema.clone(),
                    }),
                );
            }
            if let Some(after) = &new.primary_key {
                let constraint_name = after
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("{}_pkey", new.name));
                self.push(
                    Phase::CreateConstraints,
                    Detected::AddedConstraint {
                        table: table.clone(),
                        constraint: format!("primary key ({})", after.columns.join(", ")),
                    },
                    vec![Operation::CreatePrimaryKey(CreatePrimaryKey {
                        constraint_name: Some(constraint_name),
                        table_name: name.clone(),
                        columns: after.columns.clone(),
                        schema: schema.clone(),
                    })],
                    None,
                );
            }
        }

        // Uniques: the same columns, and the same name when the target names it.
        let mut matched = vec![false; old.uniques.len()];
        for after in &new.uniques {
            let found = old.uniques.iter().enumerate().position(|(index, before)| {
                !matched[index]
                    && same_columns(&before.columns, &after.columns)
                    && (after.name.is_none() || after.name == before.name)
            });
            match found {
                Some(index) => matched[index] = true,
                None => {
                    let constraint_name = after
                        .name
                        .clone()
                        .unwrap_or_else(|| format!("{}_{}_key", new.name, after.columns.join("_")));
                    self.push(
                        Phase::CreateConstraints,
                        Detected::AddedConstraint {
                            table: table.clone(),
                            constraint: format!("unique ({})", after.columns.join(", ")),
                        },
                        vec![Operation::CreateUniqueConstraint(CreateUniqueConstraint {
                            constraint_name: Some(constraint_name),
                            table_name: name.clone(),
                            columns: after.columns.clone(),
                            schema: schema.clone(),
                        })],
                        None,
                    );
                }
            }
        }
        for (before, _) in old.uniques.iter().zip(&matched).filter(|(_, m)| !**m) {
            self.drop_constraint(
                Phase::DropIndexesAndConstraints,
                old,
                before.name.clone(),
                ConstraintKind::Unique,
                format!("unique ({})", before.columns.join(", ")),
                Operation::CreateUniqueConstraint(CreateUniqueConstraint {
                    constraint_name: before.name.clone(),
                    table_name: name.clone(),
                    columns: before.columns.clone(),
                    schema: schema.clone(),
                }),
            );
        }

        // Checks: by name when the target names one, else by condition.
        let mut matched = vec![false; old.checks.len()];
        for (position, after) in new.checks.iter().enumerate() {
            let found = old.checks.iter().enumerate().position(|(index, before)| {
                !matched[index]
                    && match &after.name {
                        Some(wanted) => before.name.as_ref() == Some(wanted),
                        None => same_condition(&before.condition, &after.condition),
                    }
            });
            match found {
                Some(index) => matched[index] = true,
                None => {
                    let constraint_name = after.name.clone().unwrap_or_else(|| {
                        if position == 0 {
                            format!("{}_check", new.name)
                        } else {
                            format!("{}_check{position}", new.name)
                        }
                    });
                    self.push(
                        Phase::CreateConstraints,
                        Detected::AddedConstraint {
                            table: table.clone(),
                            constraint: format!("check {constraint_name}"),
                        },
                        vec![Operation::CreateCheckConstraint(CreateCheckConstraint {
                            constraint_name: Some(constraint_name),
                            table_name: name.clone(),
                            condition: after.condition.clone(),
                            schema: schema.clone(),
                        })],
                        None,
                    );
                }
            }
        }
        for (before, _) in old.checks.iter().zip(&matched).filter(|(_, m)| !**m) {
            self.drop_constraint(
                Phase::DropIndexesAndConstraints,
                old,
                before.name.clone(),
                ConstraintKind::Check,
                format!(
                    "check {}",
                    before.name.as_deref().unwrap_or(&before.condition)
                ),
                Operation::CreateCheckConstraint(CreateCheckConstraint {
                    constraint_name: before.name.clone(),
                    table_name: name.clone(),
                    condition: before.condition.clone(),
                    schema: schema.clone(),
                }),
            );
        }

        // Foreign keys: the same definition, and the same name when the target names it.
        let mut matched = vec![false; old.foreign_keys.len()];
        for after in &new.foreign_keys {
            let found = old
                .foreign_keys
                .iter()
                .enumerate()
                .position(|(index, before)| {
                    !matched[index]
                        && before.same_definition(after)
                        && (after.name.is_none() || after.name == before.name)
                });
            match found {
                Some(index) => matched[index] = true,
                None => {
                    let op = create_foreign_key(new, after);
                    self.push(
                        Phase::CreateForeignKeys,
                        Detected::AddedConstraint {
                            table: table.clone(),
                            constraint: foreign_key_text(after),
                        },
                        vec![op],
                        None,
                    );
                }
            }
        }
        for (before, _) in old.foreign_keys.iter().zip(&matched).filter(|(_, m)| !**m) {
            self.drop_constraint(
                Phase::DropForeignKeys,
                old,
                before.name.clone(),
                ConstraintKind::ForeignKey,
                foreign_key_text(before),
                create_foreign_key(old, before),
            );
        }

        // Indexes, by name; expression indexes are left alone.
        for after in &new.indexes {
            match old.indexes.iter().find(|before| before.name == after.name) {
                Some(before) if before.expression || same_index(before, after) => {}
                Some(before) => {
                    self.drop_index(old, before);
                    self.create_index(new, after);
                }
                None => self.create_index(new, after),
            }
        }
        for before in &old.indexes {
            if !before.expression && !new.indexes.iter().any(|after| after.name == before.name) {
                self.drop_index(old, before);
            }
        }
    }

    /// Drops a reflected constraint, whose re-creation is known; one without a name (SQLite
    /// keeps none for some) cannot be dropped by an operation and is left to the reviewer.
    fn drop_constraint(
        &mut self,
        phase: Phase,
        table: &Table,
        name: Option<String>,
        kind: ConstraintKind,
        constraint: String,
        recreate: Operation,
    ) {
        let detected = Detected::DroppedConstraint {
            table: table.display_name(),
            constraint: constraint.clone(),
        };
        match name {
            Some(name) => self.push_with_downgrade(
                phase,
                detected,
                vec![Operation::DropConstraint(DropConstraint {
                    constraint_name: name,
                    table_name: table.name.clone(),
                    type_: Some(kind),
                    schema: table.schema.clone(),
                })],
                vec![recreate],
                None,
            ),
            None => self.push(
                phase,
                Detected::ManualChange {
                    object: format!("{constraint} on {}", table.display_name()),
                    reason: "the database keeps no name for it, so drop_constraint cannot name it".to_string(),
                },
                Vec::new(),
                Some(format!(
                    "The unnamed {constraint} on {} is not in the target schema, but drop_constraint needs a name; remove it by hand (on SQLite, by rebuilding the table).",
                    table.display_name()
                )),
            ),
        }
    }

    fn create_index(&mut self, table: &Table, index: &Index) {
        self.push(
            Phase::CreateIndexes,
            Detected::AddedIndex {
                table: table.display_name(),
                index: index.name.clone(),
            },
            vec![create_index(table, index)],
            None,
        );
    }

    fn drop_index(&mut self, table: &Table, index: &Index) {
        self.push(
            Phase::DropIndexesAndConstraints,
            Detected::DroppedIndex {
                table: table.display_name(),
                index: index.name.clone(),
            },
            vec![Operation::DropIndex(DropIndex {
                index_name: index.name.clone(),
                table_name: Some(table.name.clone()),
                columns: Some(index_elements(&index.columns)),
                unique: index.unique,
                where_: index.where_.clone(),
                postgresql_concurrently: false,
                postgresql_using: None,
                postgresql_ops: BTreeMap::new(),
                postgresql_include: Vec::new(),
                if_exists: false,
                schema: table.schema.clone(),
            })],
            None,
        );
    }

    /// Drops tables that are gone from the target, a table before those it references; a
    /// cycle of references is broken by dropping the closing foreign key first.
    fn drop_tables(&mut self, dropped: &[Table]) {
        let mut remaining: Vec<&Table> = dropped.iter().collect();
        // Keys of doomed tables dropped ahead of their table, to break a cycle: (table, key).
        let mut dropped_ahead: Vec<(Option<String>, String, usize)> = Vec::new();
        while !remaining.is_empty() {
            let referenced_by_other = |candidate: &Table, remaining: &[&Table]| {
                remaining.iter().any(|other| {
                    other.name != candidate.name
                        && other.foreign_keys.iter().any(|key| {
                            key.referent_table == candidate.name
                                && key.referent_schema == candidate.schema
                        })
                })
            };
            let position = remaining
                .iter()
                .position(|table| !referenced_by_other(table, &remaining))
                .unwrap_or(0);
            let table = remaining.remove(position);
            for other in &remaining {
                for (index, key) in other.foreign_keys.iter().enumerate() {
                    if key.referent_table == table.name && key.referent_schema == table.schema {
                        self.drop_constraint(
                            Phase::DropForeignKeys,
                            other,
                            key.name.clone(),
                            ConstraintKind::ForeignKey,
                            foreign_key_text(key),
                            create_foreign_key(other, key),
                        );
                        dropped_ahead.push((other.schema.clone(), other.name.clone(), index));
                    }
                }
            }
            let skip: Vec<usize> = dropped_ahead
                .iter()
                .filter(|(schema, name, _)| schema == &table.schema && name == &table.name)
                .map(|(_, _, index)| *index)
                .collect();
            let create = self.create_table_op(table, &skip);
            let mut downgrade = vec![Operation::CreateTable(create.clone())];
            downgrade.extend(
                table
                    .indexes
                    .iter()
                    .filter(|index| !index.expression)
                    .map(|index| create_index(table, index)),
            );
            self.push_with_downgrade(
                Phase::DropTables,
                Detected::DroppedTable {
                    table: table.display_name(),
                },
                vec![Operation::DropTable(DropTable {
                    table_name: table.name.clone(),
                    schema: table.schema.clone(),
                    columns: Some(create.columns),
                    constraints: create.constraints,
                    confirm_data_loss: None,
                })],
                downgrade,
                None,
            );
        }
    }

    /// Creates new tables, a referenced table first with its foreign keys inline; in a cycle of
    /// references the keys that close it are added once every table exists.
    fn create_tables(&mut self, created: &[&Table]) {
        let mut placed: Vec<(Option<String>, String)> = Vec::new();
        let mut remaining: Vec<&Table> = created.to_vec();
        let is_pending = |key: &ForeignKey,
                          table: &Table,
                          remaining: &[&Table],
                          placed: &[(Option<String>, String)]| {
            let referent = (key.referent_schema.clone(), key.referent_table.clone());
            let self_reference =
                key.referent_table == table.name && key.referent_schema == table.schema;
            !self_reference
                && remaining
                    .iter()
                    .any(|other| other.schema == referent.0 && other.name == referent.1)
                && !placed.contains(&referent)
        };
        while !remaining.is_empty() {
            let position = remaining
                .iter()
                .position(|table| {
                    !table
                        .foreign_keys
                        .iter()
                        .any(|key| is_pending(key, table, &remaining, &placed))
                })
                .unwrap_or(0);
            let table = remaining.remove(position);
            let deferred: Vec<usize> = table
                .foreign_keys
                .iter()
                .enumerate()
                .filter(|(_, key)| is_pending(key, table, &remaining, &placed))
                .map(|(index, _)| index)
                .collect();
            placed.push((table.schema.clone(), table.name.clone()));
            let create = self.create_table_op(table, &deferred);
            let mut upgrade = vec![Operation::CreateTable(create.clone())];
            upgrade.extend(table.indexes.iter().map(|index| create_index(table, index)));
            self.push_with_downgrade(
                Phase::CreateTables,
                Detected::AddedTable {
                    table: table.display_name(),
                },
                upgrade,
                vec![Operation::DropTable(DropTable {
                    table_name: table.name.clone(),
                    schema: table.schema.clone(),
                    columns: Some(create.columns),
                    constraints: create.constraints,
                    confirm_data_loss: None,
                })],
                None,
            );
            for index in deferred {
                let key = &table.foreign_keys[index];
                self.push(
                    Phase::CreateForeignKeys,
                    Detected::AddedConstraint {
                        table: table.display_name(),
                        constraint: foreign_key_text(key),
                    },
                    vec![create_foreign_key(table, key)],
                    None,
                );
            }
        }
    }

    /// `create_table` for a model table, keys written on the column where they read best.
    fn create_table_op(&self, table: &Table, skip_foreign_keys: &[usize]) -> CreateTable {
        let single_key = table
            .primary_key
            .as_ref()
            .and_then(|key| match key.columns.as_slice() {
                [column]
                    if key.name.is_none() || key.name == Some(format!("{}_pkey", table.name)) =>
                {
                    Some(column.clone())
                }
                _ => None,
            });
        let single_uniques: Vec<&String> = table
            .uniques
            .iter()
            .filter_map(|unique| match unique.columns.as_slice() {
                [column]
                    if unique.name.is_none()
                        || unique.name == Some(format!("{}_{column}_key", table.name)) =>
                {
                    Some(column)
                }
                _ => None,
            })
            .collect();
        let columns = table
            .columns
            .iter()
            .map(|entry| {
                let mut column = self.column_for_ops(&entry.column);
                if single_key.as_ref() == Some(&column.name) {
                    column.primary_key = true;
                    column.nullable = false;
                }
                column.unique = single_uniques.contains(&&column.name);
                column
            })
            .collect();
        let mut constraints = Vec::new();
        if let (Some(key), None) = (&table.primary_key, &single_key) {
            constraints.push(TableConstraint::PrimaryKey {
                name: key.name.clone(),
                columns: key.columns.clone(),
            });
        }
        for unique in &table.uniques {
            if !matches!(unique.columns.as_slice(), [column] if single_uniques.contains(&column)) {
                constraints.push(TableConstraint::Unique {
                    name: unique.name.clone(),
                    columns: unique.columns.clone(),
                });
            }
        }
        for check in &table.checks {
            constraints.push(TableConstraint::Check {
                name: check.name.clone(),
                condition: check.condition.clone(),
            });
        }
        for (index, key) in table.foreign_keys.iter().enumerate() {
            if skip_foreign_keys.contains(&index) {
                continue;
            }
            constraints.push(TableConstraint::ForeignKey {
                name: key.name.clone(),
                local_cols: key.columns.clone(),
                referent_table: key.referent_table.clone(),
                remote_cols: key.referent_columns.clone(),
                referent_schema: key.referent_schema.clone(),
                ondelete: explicit_action(key.ondelete),
                onupdate: explicit_action(key.onupdate),
                deferrable: key.deferrable.filter(|deferrable| *deferrable),
                initially: key.initially.filter(|_| key.deferrable == Some(true)),
                match_: key
                    .match_
                    .filter(|mode| *mode != crate::ops::ForeignKeyMatch::Simple),
            });
        }
        CreateTable {
            table_name: table.name.clone(),
            columns,
            constraints,
            schema: table.schema.clone(),
            comment: table
                .comment
                .clone()
                .filter(|_| self.dialect != Dialect::Sqlite),
        }
    }

    /// A column as create_table, add_column and the drops write it. On PostgreSQL an enum
    /// column names its type (`sql_type`) rather than declaring it: the revision creates and
    /// drops enum types itself, so a type two tables share is made once and dropped last.
    fn column_for_ops(&self, column: &Column) -> Column {
        let mut column = column.clone();
        if self.dialect == Dialect::Postgresql {
            column.type_ = enum_by_name(&column.type_);
        }
        if self.dialect == Dialect::Sqlite {
            column.comment = None;
        }
        column
    }

    /// Enum types: created first, new values added, and dropped last once nothing uses them.
    fn enum_changes(&mut self, current: &[EnumType], target: &[EnumType]) {
        for after in target {
            match current
                .iter()
                .find(|before| before.name == after.name && before.schema == after.schema)
            {
                None => self.push_with_downgrade(
                    Phase::CreateEnums,
                    Detected::AddedEnum {
                        name: qualified(after.schema.as_deref(), &after.name),
                    },
                    vec![execute(create_type_sql(after))],
                    vec![execute(drop_type_sql(after))],
                    None,
                ),
                Some(before) if before.values == after.values => {}
                Some(before) => self.enum_values(before, after),
            }
        }
        for before in current {
            if !target
                .iter()
                .any(|after| after.name == before.name && after.schema == before.schema)
            {
                self.push_with_downgrade(
                    Phase::DropEnums,
                    Detected::DroppedEnum {
                        name: qualified(before.schema.as_deref(), &before.name),
                    },
                    vec![execute(drop_type_sql(before))],
                    vec![execute(create_type_sql(before))],
                    None,
                );
            }
        }
    }

    fn enum_values(&mut self, before: &EnumType, after: &EnumType) {
        let name = qualified(before.schema.as_deref(), &before.name);
        let kept: Vec<&String> = after
            .values
            .iter()
            .filter(|value| before.values.contains(value))
            .collect();
        let only_additions = kept.len() == before.values.len()
            && kept.iter().zip(&before.values).all(|(a, b)| *a == b);
        if !only_additions {
            let reason = format!(
                "the database has the values [{}] and the target [{}]; PostgreSQL cannot remove or reorder enum values, so create a new type, convert the columns (rows holding a removed value need a decision first) and drop the old type",
                before.values.join(", "),
                after.values.join(", ")
            );
            self.push(
                Phase::CreateEnums,
                Detected::ManualChange {
                    object: format!("enum type {name}"),
                    reason: reason.clone(),
                },
                Vec::new(),
                Some(format!("Enum type {name}: {reason}.")),
            );
            return;
        }
        let type_name = type_sql_name(before);
        let mut statements = Vec::new();
        let mut added = Vec::new();
        for (position, value) in after.values.iter().enumerate() {
            if before.values.contains(value) {
                continue;
            }
            let placement = match position {
                0 => format!("BEFORE {}", literal(&after.values[1])),
                _ => format!("AFTER {}", literal(&after.values[position - 1])),
            };
            statements.push(format!(
                "ALTER TYPE {type_name} ADD VALUE {} {placement}",
                literal(value)
            ));
            added.push(value.clone());
        }
        self.push_with_downgrade(
            Phase::CreateEnums,
            Detected::AddedEnumValues {
                name: name.clone(),
                values: added,
            },
            statements.into_iter().map(execute).collect(),
            Vec::new(),
            Some(format!(
                "PostgreSQL cannot remove a value from an enum type, so the downgrade leaves the new value(s) of {name} in place."
            )),
        );
    }
}

/// An `alter_column` of `column` in `table` that changes nothing yet, with its `existing_*`.
fn alter_base(table: &Table, name: &str, column: &Column) -> AlterColumn {
    AlterColumn {
        table_name: table.name.clone(),
        column_name: name.to_string(),
        new_column_name: None,
        type_: None,
        nullable: None,
        server_default: None,
        comment: None,
        postgresql_using: None,
        existing_type: Some(column.type_.clone()),
        existing_nullable: Some(column.nullable),
        existing_server_default: column.server_default.clone(),
        existing_comment: column.comment.clone(),
        schema: table.schema.clone(),
        confirm_data_loss: None,
    }
}

/// An enum type (or an array of one) as its name, for operations that would otherwise create
/// or drop the type themselves.
fn enum_by_name(type_: &ColumnType) -> ColumnType {
    match type_ {
        ColumnType::Enum { name, .. } => {
            ColumnType::Sql(crate::ops::sql::quote_identifier(Dialect::Postgresql, name))
        }
        ColumnType::Array(element) => match enum_by_name(element) {
            ColumnType::Sql(sql) => ColumnType::Sql(format!("{sql}[]")),
            other => ColumnType::Array(Box::new(other)),
        },
        other => other.clone(),
    }
}

fn same_columns(a: &[String], b: &[String]) -> bool {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort();
    b.sort();
    a == b
}

fn same_index(before: &Index, after: &Index) -> bool {
    before.columns == after.columns
        && before.unique == after.unique
        && match (&before.where_, &after.where_) {
            (None, None) => true,
            (Some(a), Some(b)) => same_condition(a, b),
            _ => false,
        }
}

/// An index's columns as `create_index` lists them: autogenerate compares indexes of plain
/// columns only.
fn index_elements(columns: &[String]) -> Vec<IndexElement> {
    columns.iter().cloned().map(IndexElement::Column).collect()
}

fn create_index(table: &Table, index: &Index) -> Operation {
    Operation::CreateIndex(CreateIndex {
        index_name: Some(index.name.clone()),
        table_name: table.name.clone(),
        columns: index_elements(&index.columns),
        unique: index.unique,
        where_: index.where_.clone(),
        postgresql_concurrently: false,
        postgresql_using: None,
        postgresql_ops: BTreeMap::new(),
        postgresql_include: Vec::new(),
        if_not_exists: false,
        schema: table.schema.clone(),
    })
}

fn create_foreign_key(table: &Table, key: &ForeignKey) -> Operation {
    Operation::CreateForeignKey(CreateForeignKey {
        constraint_name: Some(
            key.name
                .clone()
                .unwrap_or_else(|| format!("{}_{}_fkey", table.name, key.columns.join("_"))),
        ),
        source_table: table.name.clone(),
        referent_table: key.referent_table.clone(),
        local_cols: key.columns.clone(),
        remote_cols: key.referent_columns.clone(),
        ondelete: explicit_action(key.ondelete),
        onupdate: explicit_action(key.onupdate),
        deferrable: key.deferrable.filter(|deferrable| *deferrable),
        initially: key.initially.filter(|_| key.deferrable == Some(true)),
        match_: key
            .match_
            .filter(|mode| *mode != crate::ops::ForeignKeyMatch::Simple),
        source_schema: table.schema.clone(),
        referent_schema: key.referent_schema.clone(),
    })
}

/// An action worth writing: NO ACTION is what an absent one means.
fn explicit_action(
    action: Option<crate::ops::ReferentialAction>,
) -> Option<crate::ops::ReferentialAction> {
    action.filter(|action| *action != crate::ops::ReferentialAction::NoAction)
}

fn foreign_key_text(key: &ForeignKey) -> String {
    format!(
        "foreign key ({}) -> {}({})",
        key.columns.join(", "),
        qualified(key.referent_schema.as_deref(), &key.referent_table),
        key.referent_columns.join(", ")
    )
}

fn execute(sql: String) -> Operation {
    Operation::Execute(Execute {
        sqltext: None,
        postgresql: Some(sql),
        sqlite: None,
        mysql: None,
        confirm_data_loss: None,
    })
}

fn type_sql_name(enum_type: &EnumType) -> String {
    let name = crate::ops::sql::quote_identifier(Dialect::Postgresql, &enum_type.name);
    match &enum_type.schema {
        Some(schema) => format!(
            "{}.{name}",
            crate::ops::sql::quote_identifier(Dialect::Postgresql, schema)
        ),
        None => name,
    }
}

fn create_type_sql(enum_type: &EnumType) -> String {
    format!(
        "CREATE TYPE {} AS ENUM ({})",
        type_sql_name(enum_type),
        enum_type
            .values
            .iter()
            .map(|value| literal(value))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn drop_type_sql(enum_type: &EnumType) -> String {
    format!("DROP TYPE {}", type_sql_name(enum_type))
}

/// A text literal, quotes doubled.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}
