//! The classifier: which operations can destroy data, and what they destroy.
//!
//! It works on a plain list of operations so that the caller passes whichever list runs: a
//! revision's upgrade, its written downgrade, or the downgrade derived from its upgrade.

use serde::Serialize;

use crate::ops::{AlterColumn, Operation};

use super::object::DataObject;
use super::sql;
use super::types;

/// One way an operation can destroy data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataLoss {
    pub object: DataObject,
    /// Why it is destructive, as a clause: "drops the table and every row in it".
    pub reason: String,
    /// What to count online to say how much would be destroyed.
    pub measure: RowMeasure,
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

/// What `op` can destroy; empty when it destroys nothing.
pub fn classify(op: &Operation) -> Vec<DataLoss> {
    match op {
        Operation::DropTable(drop) => vec![DataLoss {
            object: DataObject::table(drop.schema.as_deref(), &drop.table_name),
            reason: "drops the table and every row in it".to_string(),
            measure: RowMeasure::Rows,
        }],
        Operation::DropColumn(drop) => vec![DataLoss {
            object: DataObject::column(drop.schema.as_deref(), &drop.table_name, &drop.column_name),
            reason: "drops the column and every value in it".to_string(),
            measure: RowMeasure::NonNullValues,
        }],
        Operation::AlterColumn(alter) => alter_column_loss(alter).into_iter().collect(),
        Operation::Execute(execute) => sql::classify_execute(execute),
        // Indexes, constraints and comments hold no rows; renames, creates and inserts keep
        // every row there is.
        Operation::CreateTable(_)
        | Operation::RenameTable(_)
        | Operation::AddColumn(_)
        | Operation::CreateIndex(_)
        | Operation::DropIndex(_)
        | Operation::CreateUniqueConstraint(_)
        | Operation::CreateForeignKey(_)
        | Operation::CreateCheckConstraint(_)
        | Operation::CreatePrimaryKey(_)
        | Operation::DropConstraint(_)
        | Operation::CreateTableComment(_)
        | Operation::DropTableComment(_)
        | Operation::BulkInsert(_) => Vec::new(),
    }
}

/// Every destructive operation of `ops`, with its index in the list.
pub fn classify_ops(ops: &[Operation]) -> Vec<(usize, DataLoss)> {
    ops.iter()
        .enumerate()
        .flat_map(|(index, op)| classify(op).into_iter().map(move |loss| (index, loss)))
        .collect()
}

/// Only a type change can lose data: nullability, defaults, comments and the name cannot.
fn alter_column_loss(alter: &AlterColumn) -> Option<DataLoss> {
    let new_type = alter.type_.as_ref()?;
    let reason = match &alter.existing_type {
        Some(existing) => types::lossy_change(existing, new_type, None)?,
        None => format!(
            "changes the type to {} without `existing_type`, so the guard cannot tell whether values survive; add `existing_type` (or `existing_sql_type`)",
            new_type
        ),
    };
    Some(DataLoss {
        object: DataObject::column(
            alter.schema.as_deref(),
            &alter.table_name,
            &alter.column_name,
        ),
        reason,
        measure: RowMeasure::NonNullValues,
    })
}
