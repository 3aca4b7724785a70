//! The classifier: which operations can destroy data, and what they destroy.
//!
//! It works on a plain list of operations so that the caller passes whichever list runs: a
//! revision's upgrade, its written downgrade, or the downgrade derived from its upgrade.

use std::collections::HashSet;

use serde::Serialize;

use crate::dialect::Dialect;
use crate::ops::{AlterColumn, Execute, IndexElement, Operation, TextChange, PLACEHOLDER_MARKER};

use super::object::DataObject;
use super::sql::{self, PlanNotes};
use super::types;

/// One way an operation can destroy data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataLoss {
    pub object: DataObject,
    /// Why it is destructive, as a clause: "drops the table and every row in it".
    pub reason: String,
    /// What to count online to say how much would be destroyed.
    pub measure: RowMeasure,
    pub certainty: Certainty,
}

/// Whether running the operation destroys the object, or only may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Certainty {
    /// A drop, a TRUNCATE, a DELETE without WHERE: what it destroys is there to count before
    /// it runs.
    Certain,
    /// A DELETE with a WHERE, an upsert, a cascade, a function call, SQL the guard does not
    /// know: only running it tells, so online it runs under verification.
    Possible,
}

/// What the guard knows of the plan around an operation.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The dialect that runs the operation; None (lint without a URL): every dialect.
    pub dialect: Option<Dialect>,
    /// `(table, column)` added earlier in the plan: an UPDATE setting only these backfills
    /// columns that held nothing but NULL.
    pub added_columns: HashSet<(String, String)>,
    /// Tables the plan put a trigger or rule on earlier (and, where nothing verifies, those
    /// with triggers already): DML on them runs code the guard cannot see.
    pub triggered_tables: HashSet<String>,
}

/// What a row count for a finding counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowMeasure {
    /// The rows of the table.
    Rows,
    /// The non-null values of the column: a null holds no data to lose.
    NonNullValues,
    /// Nothing countable: a schema, a type, or SQL the guard could not read.
    Uncountable,
}

/// What `op` can destroy on any dialect, with nothing known of the plan around it; empty when
/// it destroys nothing.
#[cfg(test)]
pub fn classify(op: &Operation) -> Vec<DataLoss> {
    classify_in(op, &Context::default())
}

/// What `op` can destroy where `context` runs it, and what its SQL (if any) tells about the
/// operations after it, reading that SQL once.
pub(crate) fn classify_noting(op: &Operation, context: &Context) -> (Vec<DataLoss>, PlanNotes) {
    match op {
        Operation::Execute(execute) if !is_placeholder_execute(execute) => {
            sql::read_execute(execute, context)
        }
        _ => (classify_in(op, context), PlanNotes::default()),
    }
}

/// What `op` can destroy where `context` runs it.
pub fn classify_in(op: &Operation, context: &Context) -> Vec<DataLoss> {
    match op {
        Operation::DropTable(drop) => vec![DataLoss {
            object: DataObject::table(drop.schema.as_deref(), &drop.table_name),
            reason: "drops the table and every row in it".to_string(),
            measure: RowMeasure::Rows,
            certainty: Certainty::Certain,
        }],
        Operation::DropColumn(drop) => vec![DataLoss {
            object: DataObject::column(drop.schema.as_deref(), &drop.table_name, &drop.column_name),
            reason: "drops the column and every value in it".to_string(),
            measure: RowMeasure::NonNullValues,
            certainty: Certainty::Certain,
        }],
        Operation::AlterColumn(alter) => {
            let mut losses: Vec<DataLoss> = alter_column_loss(alter, context.dialect)
                .into_iter()
                .collect();
            for text in [&alter.server_default]
                .into_iter()
                .filter_map(|change| match change {
                    Some(TextChange::Set(text)) => Some(text),
                    _ => None,
                })
            {
                losses.extend(sql::fragment_losses(text, context));
            }
            losses
        }
        // What import-alembic could not translate must be written by a person first: the
        // placeholder is refused in every mode, never run under verification.
        Operation::Execute(execute) if is_placeholder_execute(execute) => {
            vec![DataLoss {
                object: DataObject::Unknown,
                reason: "is a placeholder `rmig import-alembic` wrote for Python it could not translate; replace it with the operations it stands for".to_string(),
                measure: RowMeasure::Uncountable,
                certainty: Certainty::Certain,
            }]
        }
        Operation::Execute(execute) => sql::classify_execute(execute, context),
        // A default is computed for every existing row, and a check condition is evaluated on
        // each: a function in either runs now, once per row.
        Operation::AddColumn(add) => add
            .column
            .server_default
            .iter()
            .flat_map(|text| sql::fragment_losses(text, context))
            .collect(),
        Operation::CreateCheckConstraint(check) => sql::fragment_losses(&check.condition, context),
        // An index's expressions and predicate are evaluated on every row as it is built.
        Operation::CreateIndex(index) => index
            .columns
            .iter()
            .filter_map(|element| match element {
                IndexElement::Expression(sql) => Some(sql),
                IndexElement::Column(_) => None,
            })
            .chain(&index.where_)
            .flat_map(|text| sql::fragment_losses(text, context))
            .collect(),
        // Rows inserted into a table the plan put a trigger or rule on run its body too.
        Operation::BulkInsert(insert) if context.triggered_tables.contains(&insert.table_name) => {
            vec![DataLoss {
                object: DataObject::Unknown,
                reason: format!(
                    "it fires a trigger or rule the plan created on {}, whose effects the guard cannot see",
                    insert.table_name
                ),
                measure: RowMeasure::Uncountable,
                certainty: Certainty::Possible,
            }]
        }
        // Indexes, constraints and comments hold no rows; renames, creates and inserts keep
        // every row there is (a renamed sequence keeps its value).
        Operation::CreateTable(_)
        | Operation::RenameTable(_)
        | Operation::RenameIndex(_)
        | Operation::RenameConstraint(_)
        | Operation::RenameSequence(_)
        | Operation::DropIndex(_)
        // PostgreSQL refuses to drop an enum type while a column uses it (no CASCADE).
        | Operation::CreateEnum(_)
        | Operation::DropEnum(_)
        | Operation::CreateUniqueConstraint(_)
        | Operation::CreateForeignKey(_)
        | Operation::CreatePrimaryKey(_)
        | Operation::DropConstraint(_)
        | Operation::CreateTableComment(_)
        | Operation::DropTableComment(_)
        | Operation::BulkInsert(_) => Vec::new(),
    }
}

/// Whether `op` is a placeholder `rmig import-alembic` wrote for Python it could not translate.
pub(crate) fn is_placeholder(op: &Operation) -> bool {
    matches!(op, Operation::Execute(execute) if is_placeholder_execute(execute))
}

fn is_placeholder_execute(execute: &Execute) -> bool {
    [&execute.sqltext, &execute.postgresql, &execute.sqlite]
        .into_iter()
        .flatten()
        .any(|text| text.contains(PLACEHOLDER_MARKER))
}

/// Every destructive operation of `ops`, with its index in the list.
#[cfg(test)]
pub fn classify_ops(ops: &[Operation]) -> Vec<(usize, DataLoss)> {
    ops.iter()
        .enumerate()
        .flat_map(|(index, op)| classify(op).into_iter().map(move |loss| (index, loss)))
        .collect()
}

/// Only a type change can lose data: nullability, defaults, comments and the name cannot.
/// Without `existing_type` the current type is unknown until the database is asked, so the
/// change runs only under verification; a `postgresql_using` expression other than the column
/// itself computes every value anew.
fn alter_column_loss(alter: &AlterColumn, dialect: Option<Dialect>) -> Option<DataLoss> {
    let new_type = alter.type_.as_ref()?;
    let object = DataObject::column(
        alter.schema.as_deref(),
        &alter.table_name,
        &alter.column_name,
    );
    if let Some(using) = &alter.postgresql_using {
        if !sql::is_plain_conversion_text(using, &alter.column_name) {
            return Some(DataLoss {
                object,
                reason: format!(
                    "computes every value anew with `postgresql_using = {}`",
                    super::report::toml_string(using)
                ),
                measure: RowMeasure::NonNullValues,
                certainty: Certainty::Certain,
            });
        }
    }
    let (reason, certainty) = match &alter.existing_type {
        Some(existing) => (
            types::lossy_change(existing, new_type, dialect)?,
            Certainty::Certain,
        ),
        None => (
            format!(
                "changes the type to {new_type} without `existing_type`, so whether values survive depends on the column's real type"
            ),
            Certainty::Possible,
        ),
    };
    Some(DataLoss {
        object,
        reason,
        measure: RowMeasure::NonNullValues,
        certainty,
    })
}
