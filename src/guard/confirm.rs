//! Confirmation: on the operation (`confirm_data_loss`) or for the run (`--allow-data-loss`).
//!
//! The rule, for `confirm_data_loss` on an operation: it names the object the operation
//! destroys, exactly as the report prints it.
//! - drop_table: the table (`user_profiles`, or `schema.user_profiles` when the op has a schema);
//! - drop_column, alter_column: `table.column` (or `schema.table.column`), the column as it is
//!   named before the operation;
//! - execute: every object its SQL destroys, comma-separated (`audit_log, sessions`), or the
//!   revision id, which confirms all of that execute's SQL; SQL the guard cannot parse names
//!   no object, so only the revision id confirms it.
//!
//! Naming the object rather than writing `true` means a confirmation copied onto another
//! operation names the wrong object and does not count; the report then says so.
//!
//! `--allow-data-loss=<value>` allows, for one run, every destructive operation of the
//! revision `<value>` (its full id), of the table `<value>` (with or without schema; a table's
//! columns included), of the object `<value>` as the report names it, or, for `all`, everything.

use std::path::Path;

use crate::ops::Operation;

use super::classify::DataLoss;
use super::object::DataObject;
use super::report::{confirm_line, Confirmation, Fix};

/// The value `--allow-data-loss=all` takes.
pub const ALLOW_ALL: &str = "all";

/// The operation's own `confirm_data_loss`, on the operations that can destroy data.
pub(crate) fn confirmation_text(op: &Operation) -> Option<&str> {
    match op {
        Operation::DropTable(drop) => drop.confirm_data_loss.as_deref(),
        Operation::DropColumn(drop) => drop.confirm_data_loss.as_deref(),
        Operation::AlterColumn(alter) => alter.confirm_data_loss.as_deref(),
        Operation::Execute(execute) => execute.confirm_data_loss.as_deref(),
        _ => None,
    }
}

/// Whether `op`'s own confirmation covers `loss`.
pub(crate) fn on_operation(op: &Operation, loss: &DataLoss, revision_id: &str) -> Confirmation {
    let Some(given) = confirmation_text(op) else {
        return Confirmation::Missing;
    };
    let is_execute = matches!(op, Operation::Execute(_));
    let covers = given
        .split(',')
        .map(str::trim)
        .any(|name| loss.object.is_named(name) || (is_execute && name == revision_id));
    if covers {
        Confirmation::OnOperation
    } else {
        Confirmation::NamesOtherObject {
            given: given.to_string(),
        }
    }
}

/// The `confirm_data_loss` value that confirms all of an operation's losses: the objects'
/// names, or the revision id when one of them has no name.
pub(crate) fn suggested_value(losses: &[DataLoss], revision_id: &str) -> String {
    let names: Option<Vec<String>> = losses
        .iter()
        .map(|loss| loss.object.confirm_name())
        .collect();
    match names {
        Some(names) if !names.is_empty() => {
            let mut unique: Vec<String> = Vec::with_capacity(names.len());
            for name in names {
                if !unique.contains(&name) {
                    unique.push(name);
                }
            }
            unique.join(", ")
        }
        _ => revision_id.to_string(),
    }
}

/// The fix for one finding of an operation whose losses call for `value`.
pub(crate) fn fix(path: &Path, value: &str, object: &DataObject, revision_id: &str) -> Fix {
    let allowed = match object {
        DataObject::Table { .. } | DataObject::Column { .. } => object
            .table_name()
            .map(|(schema, table)| super::object::qualified(schema, table))
            .unwrap_or_else(|| revision_id.to_string()),
        DataObject::Named { name, .. } => name.clone(),
        DataObject::Unknown => revision_id.to_string(),
    };
    Fix {
        confirm_line: confirm_line(path, value),
        allow_flag: format!("--allow-data-loss={allowed}"),
    }
}

/// The indexes of `allowances` that allow `object`'s loss in revision `revision_id`.
pub(crate) fn matching_allowances(
    allowances: &[String],
    revision_id: &str,
    object: &DataObject,
) -> Vec<usize> {
    allowances
        .iter()
        .enumerate()
        .filter(|(_, allowance)| {
            let allowance = allowance.trim();
            allowance == ALLOW_ALL
                || allowance == revision_id
                || object.is_named(allowance)
                || object.is_in_table(allowance)
        })
        .map(|(index, _)| index)
        .collect()
}
