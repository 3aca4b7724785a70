//! The second layer: what a step actually did, judged against what was confirmed.
//!
//! The executor reads the database's own record of a step's effects inside the step's
//! transaction (tables and columns that vanished, types that changed, rows deleted and
//! updated, tables whose storage was replaced) and hands them here as `Observed`; the
//! judgement is pure. Anything destroyed and not confirmed refuses the step, which the
//! executor then rolls back. This is what holds against functions, triggers, rules and
//! cascades, which no reading of the SQL can see through.

use std::path::PathBuf;

use crate::dialect::Dialect;
use crate::ops::{ColumnType, Operation};
use crate::plan::Direction;
use crate::revision::Revision;

use super::classify::{Certainty, RowMeasure};
use super::confirm::{self, Allowance};
use super::object::DataObject;
use super::report::{Confirmation, Finding, RowCount};
use super::types;

/// One effect a step had on data that existed before the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// The table, or the column, affected.
    pub object: DataObject,
    pub effect: ObservedEffect,
}

#[derive(Debug, Clone, PartialEq, Eq)]
// Only PostgreSQL reports a sequence set back or a table's storage replaced.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub enum ObservedEffect {
    TableDropped,
    ColumnDropped,
    /// The column's type as the database spells it, before and after.
    TypeChanged {
        from: String,
        to: String,
    },
    RowsDeleted(u64),
    RowsUpdated {
        count: u64,
        /// The table has triggers or rules, which may have written more than the UPDATE did.
        triggered: bool,
    },
    /// A sequence was set back: it can hand out ids that rows already hold.
    SequenceReset,
    /// The table's storage was replaced: a TRUNCATE, or a rewrite.
    StorageReplaced,
}

/// Whether the executor checks what `op` did: every operation but those that only create or
/// describe, with no SQL of the user's evaluated over existing rows.
pub fn needs_verification(op: &Operation) -> bool {
    !matches!(
        op,
        Operation::CreateTable(_)
            | Operation::CreateTableComment(_)
            | Operation::DropTableComment(_)
            | Operation::CreateEnum(_)
    ) && !matches!(op, Operation::CreateIndex(index)
            if index.where_.is_none() && index.columns.iter().all(|element| element.column().is_some()))
        && !matches!(op, Operation::AddColumn(add) if add.column.server_default.is_none())
}

/// What the executor checks inside one step of a checked plan.
#[derive(Debug, Clone)]
pub struct StepGuard {
    pub revision: String,
    pub path: PathBuf,
    pub direction: Direction,
    /// The step runs in a transaction on a database whose DDL is transactional, online: its
    /// effects are verified before its commit.
    pub verified: bool,
    /// Confirmed findings: what they name may be destroyed.
    pub confirmed: Vec<Finding>,
    /// Unconfirmed findings that may destroy: allowed to run, judged by what they do.
    pub watched: Vec<Finding>,
    /// Unconfirmed findings that destroy what they name: counted in the transaction just
    /// before their operation; anything to lose refuses the step.
    pub deferred: Vec<Finding>,
    allowances: Vec<Allowance>,
    dialect: Option<Dialect>,
    /// Tables whose columns the plan added up to this step: an UPDATE of them may be a
    /// backfill of those columns.
    backfilled_tables: Vec<String>,
}

impl StepGuard {
    pub(crate) fn new(
        revision: &Revision,
        direction: Direction,
        verified: bool,
        allowances: Vec<Allowance>,
        dialect: Option<Dialect>,
    ) -> StepGuard {
        StepGuard {
            revision: revision.id.clone(),
            path: revision.path.clone(),
            direction,
            verified,
            confirmed: Vec::new(),
            watched: Vec::new(),
            deferred: Vec::new(),
            allowances,
            dialect,
            backfilled_tables: Vec::new(),
        }
    }

    pub(crate) fn note_backfilled_tables(&mut self, tables: impl IntoIterator<Item = String>) {
        self.backfilled_tables.extend(tables);
    }

    /// The deferred findings of operation `op_index`, to count before it runs.
    pub fn deferred_at(&self, op_index: usize) -> Vec<Finding> {
        self.deferred
            .iter()
            .filter(|finding| finding.op_index == op_index)
            .cloned()
            .collect()
    }

    /// The effects of operation `op_index` (`op`) that nothing confirmed, as findings; empty
    /// when the step may go on. `counted_empty` are the objects that held nothing when counted
    /// in the step's transaction: losing them loses nothing.
    pub fn judge(
        &self,
        op_index: usize,
        op: &Operation,
        observed: &[Observed],
        counted_empty: &[DataObject],
    ) -> Vec<Finding> {
        let mut findings = Vec::new();
        for seen in observed {
            if self.is_confirmed(op_index, op, &seen.object)
                || counted_empty
                    .iter()
                    .any(|empty| covers(empty, &seen.object))
            {
                continue;
            }
            let (reason, measure, rows) = match &seen.effect {
                ObservedEffect::TableDropped => (
                    "dropped the table and every row in it".to_string(),
                    RowMeasure::Rows,
                    RowCount::NotCounted,
                ),
                ObservedEffect::ColumnDropped => (
                    "dropped the column and every value in it".to_string(),
                    RowMeasure::NonNullValues,
                    RowCount::NotCounted,
                ),
                ObservedEffect::TypeChanged { from, to } => {
                    let Some(reason) = self.lossy_type_change(from, to) else {
                        continue;
                    };
                    (reason, RowMeasure::NonNullValues, RowCount::NotCounted)
                }
                ObservedEffect::RowsDeleted(count) => (
                    "deleted rows".to_string(),
                    RowMeasure::Rows,
                    RowCount::Counted { count: *count },
                ),
                ObservedEffect::RowsUpdated { count, triggered } => {
                    if !triggered && self.is_backfill(op_index, &seen.object) {
                        continue;
                    }
                    (
                        "overwrote values in existing rows".to_string(),
                        RowMeasure::Rows,
                        RowCount::Counted { count: *count },
                    )
                }
                ObservedEffect::SequenceReset => (
                    "set the sequence back, so it can hand out ids that rows already hold"
                        .to_string(),
                    RowMeasure::Uncountable,
                    RowCount::NotCounted,
                ),
                ObservedEffect::StorageReplaced => {
                    if explains_rewrite(op, &seen.object, self.findings_at(op_index)) {
                        continue;
                    }
                    (
                        "emptied or rewrote the table (its storage was replaced)".to_string(),
                        RowMeasure::Rows,
                        RowCount::NotCounted,
                    )
                }
            };
            let value = seen
                .object
                .confirm_name()
                .unwrap_or_else(|| self.revision.clone());
            findings.push(Finding {
                revision: self.revision.clone(),
                path: self.path.clone(),
                direction: self.direction,
                derived: false,
                op_index,
                op: op.describe(),
                fix: confirm::fix(&self.path, &value, &seen.object, &self.revision),
                object: seen.object.clone(),
                reason: format!("{}: {reason}, as the database saw it run", seen.object),
                confirmation: Confirmation::Missing,
                probable_rename: None,
                measure,
                certainty: Certainty::Certain,
                rows,
                placeholder: false,
            });
        }
        findings
    }

    fn findings_at(&self, op_index: usize) -> impl Iterator<Item = &Finding> {
        self.confirmed
            .iter()
            .chain(&self.watched)
            .chain(&self.deferred)
            .filter(move |finding| finding.op_index == op_index)
    }

    /// Whether destroying `object` is confirmed: by a confirmed finding of the step naming it
    /// (or its table), by the operation's own `confirm_data_loss` (the revision id confirms all
    /// of an execute's SQL), or by the run's allowances.
    fn is_confirmed(&self, op_index: usize, op: &Operation, object: &DataObject) -> bool {
        let by_finding = self.confirmed.iter().any(|finding| {
            covers(&finding.object, object)
                || (finding.op_index == op_index
                    && matches!(
                        finding.object,
                        DataObject::Unknown | DataObject::Named { .. }
                    )
                    && matches!(finding.confirmation, Confirmation::OnOperation)
                    && revision_confirms(op, &self.revision))
        });
        let by_operation = confirm::confirmation_text(op).is_some_and(|given| {
            given.split(',').map(str::trim).any(|name| {
                names(object, name)
                    || (matches!(op, Operation::Execute(_)) && name == self.revision)
            })
        });
        let allowed = |object: &DataObject| {
            !confirm::matching_allowances(&self.allowances, &self.revision, object).is_empty()
        };
        let schema_allowed = object.table_name().is_some_and(|(schema, _)| {
            schema.is_some_and(|schema| {
                allowed(&DataObject::Named {
                    kind: "schema",
                    name: schema.to_string(),
                })
            })
        });
        by_finding || by_operation || allowed(object) || schema_allowed
    }

    /// Rows updated in a table whose columns the plan added, when this operation overwrites
    /// nothing the guard saw: the UPDATE fills the new columns, which held only NULL.
    fn is_backfill(&self, op_index: usize, object: &DataObject) -> bool {
        let Some((_, table)) = object.table_name() else {
            return false;
        };
        self.backfilled_tables.iter().any(|known| known == table)
            && !self.findings_at(op_index).any(|finding| {
                finding
                    .object
                    .table_name()
                    .is_some_and(|(_, other)| other == table)
                    || finding.object == DataObject::Unknown
            })
    }

    fn lossy_type_change(&self, from: &str, to: &str) -> Option<String> {
        let (old, new) = (self.read_type(from), self.read_type(to));
        if old == new || (matches!(old, ColumnType::Sql(_)) && from.eq_ignore_ascii_case(to)) {
            return None;
        }
        types::lossy_change(&old, &new, self.dialect)
    }

    /// A type as the database spells it, in rmig's vocabulary where it has a form there.
    fn read_type(&self, spelled: &str) -> ColumnType {
        match self.dialect {
            Some(Dialect::Sqlite) => crate::ops::spelling::sqlite_type(spelled),
            Some(Dialect::Mysql) => crate::ops::spelling::mysql_type(spelled),
            Some(Dialect::Postgresql) | None => ColumnType::from_postgres_spelling(spelled),
        }
    }

    /// Whether the type `declared` (an `existing_type`) is not the column's real type
    /// `actual`: one of them holds values the other cannot. Types outside the vocabulary (an
    /// enum, a `sql_type`) are not compared; the change itself is judged on the real types.
    pub fn existing_type_disagrees(&self, declared: &ColumnType, actual: &str) -> bool {
        let actual = self.read_type(actual);
        let comparable =
            |type_: &ColumnType| !matches!(type_, ColumnType::Sql(_) | ColumnType::Enum { .. });
        comparable(declared)
            && comparable(&actual)
            && (types::lossy_change(declared, &actual, self.dialect).is_some()
                || types::lossy_change(&actual, declared, self.dialect).is_some())
    }
}

/// Whether confirming `confirmed` confirms the loss of `object`: the same object, or a column
/// of a confirmed table.
/// A confirmed schema covers every table in it, since its drop says so.
fn covers(confirmed: &DataObject, object: &DataObject) -> bool {
    match (confirmed, object) {
        (
            DataObject::Table { schema, table },
            DataObject::Table { .. } | DataObject::Column { .. },
        ) => object.table_name().is_some_and(|(other_schema, other)| {
            other == table && same_schema(other_schema, schema.as_deref())
        }),
        (
            DataObject::Column {
                schema,
                table,
                column,
            },
            DataObject::Column {
                schema: other_schema,
                table: other,
                column: other_column,
            },
        ) => {
            table == other
                && column == other_column
                && same_schema(schema.as_deref(), other_schema.as_deref())
        }
        (
            DataObject::Named {
                kind: "schema",
                name,
            },
            _,
        ) => object
            .table_name()
            .is_some_and(|(schema, _)| schema == Some(name.as_str())),
        _ => confirmed == object,
    }
}

/// Whether a confirmation's `name` names `object`: a table of another schema than the default
/// one only by its qualified name, whatever `search_path` made the bare name point at.
fn names(object: &DataObject, name: &str) -> bool {
    match object.table_name() {
        Some((Some(schema), _)) if schema != "public" => {
            object.confirm_name().as_deref() == Some(name)
        }
        _ => object.is_named(name),
    }
}

/// No schema means the default one, which is `public` unless the search path says otherwise.
fn same_schema(a: Option<&str>, b: Option<&str>) -> bool {
    a.filter(|name| *name != "public") == b.filter(|name| *name != "public")
}

fn revision_confirms(op: &Operation, revision: &str) -> bool {
    matches!(op, Operation::Execute(_))
        && confirm::confirmation_text(op)
            .is_some_and(|given| given.split(',').map(str::trim).any(|name| name == revision))
}

/// Whether `op` rewrites `object`'s table on purpose, keeping its rows: a type change or a
/// computed default of one of its columns, or SQL the guard read whole (nothing unknown in
/// it) that changes a type there or does nothing the guard counts as destructive (CLUSTER).
fn explains_rewrite<'a>(
    op: &Operation,
    object: &DataObject,
    findings: impl Iterator<Item = &'a Finding>,
) -> bool {
    let Some((_, table)) = object.table_name() else {
        return false;
    };
    match op {
        Operation::AlterColumn(alter) => alter.table_name == table && alter.type_.is_some(),
        Operation::AddColumn(add) => add.table_name == table,
        Operation::Execute(_) => {
            let findings: Vec<&Finding> = findings.collect();
            findings.iter().all(|finding| {
                finding.object != DataObject::Unknown
                    && finding.certainty == Certainty::Possible
                    && finding
                        .object
                        .table_name()
                        .is_some_and(|(_, other)| other == table)
                    && matches!(finding.object, DataObject::Column { .. })
            })
        }
        _ => false,
    }
}
