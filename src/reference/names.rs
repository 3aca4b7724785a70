//! The names each definition accepts, asked of serde (see the parent module).

use std::fmt;

use serde::de::{self, value::MapDeserializer, Deserialize};

use crate::autogen::{EnumEntry, IndexEntry, SchemaDocument, TableEntry};
use crate::config::ConfigFile;
use crate::locks::Rule;
use crate::ops::{
    Column, ColumnForeignKey, Identity, IndexElement, Operation, TableConstraint, TypeTable,
    TYPE_NAMES,
};

/// A key no definition accepts, so that serde answers with the keys it does accept.
const PROBE: &str = "\u{0}probe";

/// The error a probe ends with: the accepted names serde listed, or something else.
#[derive(Debug)]
enum Probe {
    Variants(&'static [&'static str]),
    Fields(&'static [&'static str]),
    Other(String),
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Probe::Variants(names) | Probe::Fields(names) => write!(f, "{}", names.join(", ")),
            Probe::Other(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Probe {}

impl de::Error for Probe {
    fn custom<T: fmt::Display>(message: T) -> Probe {
        Probe::Other(message.to_string())
    }

    fn unknown_variant(_: &str, expected: &'static [&'static str]) -> Probe {
        Probe::Variants(expected)
    }

    fn unknown_field(_: &str, expected: &'static [&'static str]) -> Probe {
        Probe::Fields(expected)
    }
}

/// What serde answers when `T` is read from a table of `entries` (keys and string values).
fn probe<'de, T: Deserialize<'de>>(entries: &[(&'de str, &'de str)]) -> Probe {
    let table = MapDeserializer::<_, Probe>::new(entries.iter().copied());
    match T::deserialize(table) {
        Ok(_) => Probe::Other("the probe key was accepted".to_string()),
        Err(answer) => answer,
    }
}

/// serde answered a probe with something other than the list of names it accepts: the
/// type no longer rejects unknown keys, so its keys cannot be listed (nor typos caught).
#[derive(Debug, thiserror::Error)]
#[error("{what} did not list its accepted names when probed ({answer}); does it still reject unknown keys?")]
pub(super) struct ReferenceError {
    what: String,
    answer: String,
}

/// The keys `T` accepts: every key of a struct that rejects unknown keys.
fn keys<'de, T: Deserialize<'de>>(
    what: &str,
    entries: &[(&'de str, &'de str)],
) -> Result<Vec<&'static str>, ReferenceError> {
    match probe::<T>(entries) {
        Probe::Fields(fields) => Ok(fields.to_vec()),
        other => Err(ReferenceError {
            what: what.to_string(),
            answer: other.to_string(),
        }),
    }
}

/// The tag values of an internally tagged enum.
fn tags<'de, T: Deserialize<'de>>(
    what: &str,
    tag: &'de str,
) -> Result<Vec<&'static str>, ReferenceError> {
    match probe::<T>(&[(tag, PROBE)]) {
        Probe::Variants(variants) => Ok(variants.to_vec()),
        other => Err(ReferenceError {
            what: what.to_string(),
            answer: other.to_string(),
        }),
    }
}

/// Every `op` name, in the order `Operation` declares them.
pub(super) fn operation_names() -> Result<Vec<&'static str>, ReferenceError> {
    tags::<Operation>("an operation", "op")
}

/// The keys of one operation, `op` aside.
pub(super) fn operation_keys(op: &str) -> Result<Vec<&'static str>, ReferenceError> {
    keys::<Operation>(op, &[("op", op), (PROBE, "")])
}

/// The keys of a column (`create_table`'s `columns`, `add_column`'s `column`), of its
/// `foreign_key` and `identity` tables, of a type table (`{ enum = ..., values = [...] }`,
/// `{ array = ... }`) and of an index's expression element.
pub(super) fn column_keys() -> Result<Vec<&'static str>, ReferenceError> {
    let mut found = keys::<Column>("a column", &[(PROBE, "")])?;
    found.extend(keys::<ColumnForeignKey>(
        "a column's foreign_key",
        &[(PROBE, "")],
    )?);
    found.extend(keys::<Identity>("a column's identity", &[(PROBE, "")])?);
    found.extend(keys::<TypeTable>("a type table", &[(PROBE, "")])?);
    found.extend(keys::<IndexElement>("an index element", &[(PROBE, "")])?);
    Ok(found)
}

/// The `type` values of `create_table`'s `constraints`, each with its keys.
pub(super) fn table_constraint_keys(
) -> Result<Vec<(&'static str, Vec<&'static str>)>, ReferenceError> {
    tags::<TableConstraint>("a table constraint", "type")?
        .into_iter()
        .map(|kind| {
            let found = keys::<TableConstraint>(kind, &[("type", kind), (PROBE, "")])?;
            Ok((kind, found))
        })
        .collect()
}

/// Every key of `rmig.toml`.
pub(super) fn config_keys() -> Result<Vec<&'static str>, ReferenceError> {
    keys::<ConfigFile>("rmig.toml", &[(PROBE, "")])
}

/// Every key of the target schema file (`schema.toml`): the document's, a table's, an
/// index's and an enum's. A table's columns take `column_keys` plus `renamed_from`.
pub(super) fn schema_file_keys() -> Result<Vec<&'static str>, ReferenceError> {
    let mut found = keys::<SchemaDocument>("the target schema file", &[(PROBE, "")])?;
    found.extend(keys::<TableEntry>("a target schema table", &[(PROBE, "")])?);
    found.extend(keys::<IndexEntry>("a target schema index", &[(PROBE, "")])?);
    found.extend(keys::<EnumEntry>("a target schema enum", &[(PROBE, "")])?);
    Ok(found)
}

/// Every rule name of the lock report (`check --lint`, docs/locks.md).
pub(super) fn lock_rule_names() -> Vec<&'static str> {
    Rule::ALL.iter().map(|rule| rule.name()).collect()
}

/// Every column type name `type` takes, arguments aside.
pub(super) fn column_type_names() -> Vec<&'static str> {
    TYPE_NAMES.to_vec()
}
