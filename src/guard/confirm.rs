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
//! `--allow-data-loss=<kind>:<name>` allows, for one run, every destructive operation of one
//! thing, named by its kind so that a table and a schema of the same name stay apart:
//! `revision:<id>` (the full id), `table:[schema.]table` (its columns included),
//! `column:[schema.]table.column`, `schema:`, `type:`, `domain:`, `extension:` or `database:`
//! and the name, or `all` for everything. A name without a schema is a table of the default
//! schema (`public` on PostgreSQL, so `table:public.x` and `table:x` are the same allowance),
//! never one of another schema: `table:sessions` does not allow dropping `audit.sessions`.
//!
//! A value without a kind is read as the one kind of thing it names among what the plan
//! destroys; when it names two (a table and a schema `users`), it is refused as ambiguous
//! rather than guessed, before anything runs (`Allowances::validate`). A bare value never
//! stands for a schema, type, domain, extension or database, whose drop reaches further than
//! its name says: those are allowed only by their typed form.

use std::fmt;
use std::path::Path;

use crate::ops::Operation;

use super::classify::DataLoss;
use super::object::{qualified, DataObject};
use super::report::{confirm_line, Confirmation, Fix};

/// The value `--allow-data-loss=all` takes.
pub const ALLOW_ALL: &str = "all";

/// The kinds of `DataObject::Named` the classifier reports, as an allowance's prefix spells
/// them.
const NAMED_KINDS: [&str; 5] = ["schema", "type", "domain", "extension", "database"];

/// Every prefix an allowance may have, for the message that lists them.
const PREFIXES: &str =
    "revision:, table:, column:, schema:, type:, domain:, extension: or database:";

/// An `--allow-data-loss` value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllowanceError {
    #[error("--allow-data-loss={value} has the unknown kind `{kind}`: write {PREFIXES} before the name, or all")]
    UnknownKind { value: String, kind: String },
    #[error("--allow-data-loss={value} is not a name of its kind: write {form}")]
    BadName { value: String, form: &'static str },
    #[error("--allow-data-loss={value} is ambiguous: write {}", or_list(choices))]
    Ambiguous { value: String, choices: Vec<String> },
    #[error("--allow-data-loss is given an empty value: write {PREFIXES} and a name, or all")]
    Empty,
}

/// One `--allow-data-loss` value, read: what it allows for the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allowance {
    /// `all`: every destructive operation.
    All,
    /// `revision:<id>`: every destructive operation of the revision with that full id.
    Revision(String),
    /// `table:[schema.]table`: the table and each of its columns.
    Table {
        schema: Option<String>,
        table: String,
    },
    /// `column:[schema.]table.column`.
    Column {
        schema: Option<String>,
        table: String,
        column: String,
    },
    /// `schema:name`, `type:name`, ...: a schema, type, domain, extension or database.
    Named { kind: &'static str, name: String },
    /// A value without a kind; `resolve` reads it as what it names among the findings.
    Bare(String),
}

impl Allowance {
    /// Reads one `--allow-data-loss` value; an unknown kind or a name that does not fit its
    /// kind (`column:email`) is an error naming the value.
    pub fn parse(value: &str) -> Result<Allowance, AllowanceError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(AllowanceError::Empty);
        }
        if value == ALLOW_ALL {
            return Ok(Allowance::All);
        }
        let Some((kind, name)) = value.split_once(':') else {
            return Ok(Allowance::Bare(value.to_string()));
        };
        let parts: Vec<String> = name.split('.').map(str::to_string).collect();
        let well_formed = parts.iter().all(|part| !part.is_empty());
        let allowance = match (kind, parts.as_slice()) {
            (_, _) if !well_formed => None,
            ("revision", [id]) => Some(Allowance::Revision(id.clone())),
            ("table", [table]) => Some(Allowance::Table {
                schema: None,
                table: table.clone(),
            }),
            ("table", [schema, table]) => Some(Allowance::Table {
                schema: Some(schema.clone()),
                table: table.clone(),
            }),
            ("column", [table, column]) => Some(Allowance::Column {
                schema: None,
                table: table.clone(),
                column: column.clone(),
            }),
            ("column", [schema, table, column]) => Some(Allowance::Column {
                schema: Some(schema.clone()),
                table: table.clone(),
                column: column.clone(),
            }),
            (kind, [name]) => NAMED_KINDS
                .iter()
                .find(|named| **named == kind)
                .map(|kind| Allowance::Named {
                    kind,
                    name: name.clone(),
                }),
            _ => None,
        };
        allowance.ok_or_else(|| match name_form(kind) {
            Some(form) => AllowanceError::BadName {
                value: value.to_string(),
                form,
            },
            None => AllowanceError::UnknownKind {
                value: value.to_string(),
                kind: kind.to_string(),
            },
        })
    }

    /// The allowance that allows exactly `object`'s loss in revision `revision_id`: the object
    /// by kind and name, or the revision for SQL the guard could not read.
    fn for_object(object: &DataObject, revision_id: &str) -> Allowance {
        match object {
            DataObject::Table { schema, table } => Allowance::Table {
                schema: schema.clone(),
                table: table.clone(),
            },
            DataObject::Column {
                schema,
                table,
                column,
            } => Allowance::Column {
                schema: schema.clone(),
                table: table.clone(),
                column: column.clone(),
            },
            DataObject::Named { kind, name } if NAMED_KINDS.contains(kind) => Allowance::Named {
                kind,
                name: name.clone(),
            },
            // A sequence or a large object has no kind of allowance: its revision allows it.
            DataObject::Named { .. } | DataObject::Unknown => {
                Allowance::Revision(revision_id.to_string())
            }
        }
    }

    /// Whether it allows `object`'s loss in revision `revision_id`.
    fn covers(&self, revision_id: &str, object: &DataObject) -> bool {
        match self {
            Allowance::All => true,
            Allowance::Revision(id) => id == revision_id,
            Allowance::Table { schema, table } => object.is_in_table(schema.as_deref(), table),
            Allowance::Column {
                schema,
                table,
                column,
            } => object.is_column(schema.as_deref(), table, column),
            Allowance::Named { kind, name } => {
                matches!(object, DataObject::Named { kind: own_kind, name: own } if own_kind == kind && own == name)
            }
            Allowance::Bare(_) => false,
        }
    }

    /// Every typed allowance a bare value could stand for.
    fn meanings(value: &str) -> Vec<Allowance> {
        ["revision", "table", "column"]
            .into_iter()
            .chain(NAMED_KINDS)
            .filter_map(|kind| Allowance::parse(&format!("{kind}:{value}")).ok())
            .collect()
    }
}

/// How a name of `kind` is written, for the error on a malformed one; None for no kind.
fn name_form(kind: &str) -> Option<&'static str> {
    match kind {
        "revision" => Some("revision:ID, the full revision id"),
        "table" => Some("table:TABLE or table:SCHEMA.TABLE"),
        "column" => Some("column:TABLE.COLUMN or column:SCHEMA.TABLE.COLUMN"),
        kind if NAMED_KINDS.contains(&kind) => {
            Some("the kind, a colon and one name, as schema:NAME")
        }
        _ => None,
    }
}

/// `a`, `a or b`, `a, b or c`.
fn or_list(choices: &[String]) -> String {
    match choices.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// The allowance as a typed value, the form the report suggests.
impl fmt::Display for Allowance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Allowance::All => f.write_str(ALLOW_ALL),
            Allowance::Revision(id) => write!(f, "revision:{id}"),
            Allowance::Table { schema, table } => {
                write!(f, "table:{}", qualified(schema.as_deref(), table))
            }
            Allowance::Column {
                schema,
                table,
                column,
            } => write!(f, "column:{}.{column}", qualified(schema.as_deref(), table)),
            Allowance::Named { kind, name } => write!(f, "{kind}:{name}"),
            Allowance::Bare(value) => f.write_str(value),
        }
    }
}

/// Reads `value` among `destroyed`, the (revision id, object) of each destructive operation:
/// a bare value becomes the one kind of thing it names there, and stays bare (allowing
/// nothing) when it names nothing; one that names two kinds is refused as ambiguous.
pub(crate) fn resolve(
    value: &str,
    destroyed: &[(&str, &DataObject)],
) -> Result<Allowance, AllowanceError> {
    let bare = match Allowance::parse(value)? {
        Allowance::Bare(bare) => bare,
        typed => return Ok(typed),
    };
    let mut meanings: Vec<Allowance> = Allowance::meanings(&bare)
        .into_iter()
        .filter(|meaning| {
            destroyed
                .iter()
                .any(|(revision, object)| meaning.covers(revision, object))
        })
        .collect();
    match meanings.len() {
        0 => Ok(Allowance::Bare(bare)),
        // A bare value never allows a schema, type, domain, extension or database: dropping
        // one reaches every table or column in it, which a value meant for a table of the same
        // name must not (issue 13). The report shows the typed flag to write.
        1 if matches!(meanings[0], Allowance::Named { .. }) => Ok(Allowance::Bare(bare)),
        1 => Ok(meanings.remove(0)),
        _ => Err(AllowanceError::Ambiguous {
            value: bare,
            choices: meanings.iter().map(Allowance::to_string).collect(),
        }),
    }
}

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
    Fix {
        confirm_line: confirm_line(path, value),
        allow_flag: format!(
            "--allow-data-loss={}",
            Allowance::for_object(object, revision_id)
        ),
    }
}

/// The indexes of `allowances` that allow `object`'s loss in revision `revision_id`.
pub(crate) fn matching_allowances(
    allowances: &[Allowance],
    revision_id: &str,
    object: &DataObject,
) -> Vec<usize> {
    allowances
        .iter()
        .enumerate()
        .filter(|(_, allowance)| allowance.covers(revision_id, object))
        .map(|(index, _)| index)
        .collect()
}
