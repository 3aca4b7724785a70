//! Reflection: the live database read into the model the target file is read into.
//!
//! PostgreSQL from `pg_catalog` for the schemas in question (`public` unless rmig.toml's
//! `reflect_schemas` says otherwise, plus every schema the target file names); SQLite from
//! `sqlite_schema` and its pragmas; MySQL and MariaDB from `information_schema`, for the
//! connection's database. The version table, rmig's own `rmig_*` tables and SQLite's
//! `sqlite_*` tables are never part of it.
//!
//! Every catalog query is a constant text with bound parameters (`$1` is a schema or a table
//! name), returning one JSON document per row, so no name read from the database is ever
//! spliced into SQL.

mod mysql;
mod postgres;
mod sqlite;

use serde::de::DeserializeOwned;

use crate::db::{Backend, DbError};
use crate::dialect::Dialect;
use crate::ops::ScalarValue;
use crate::version_table::VersionTable;

use super::model::Schema;

/// Which tables to read.
#[derive(Debug, Clone)]
pub struct ReflectOptions {
    /// PostgreSQL schemas to read besides the connection's default one.
    pub schemas: Vec<String>,
    /// Never part of the model.
    pub version_table: VersionTable,
    /// rmig's audit table, if it keeps one; never part of the model either.
    pub history_table: Option<String>,
}

/// Reads the database's tables, columns, keys, constraints, indexes, comments and enum types.
pub fn reflect(backend: &mut dyn Backend, options: &ReflectOptions) -> Result<Schema, DbError> {
    let mut schema = match backend.dialect() {
        Dialect::Postgresql => postgres::reflect(backend, &options.schemas)?,
        Dialect::Sqlite => sqlite::reflect(backend)?,
        Dialect::Mysql => mysql::reflect(backend)?,
    };
    schema
        .tables
        .retain(|table| !is_excluded(options, table.schema.as_deref(), &table.name));
    Ok(schema)
}

/// The version table and rmig's own tables, which no schema file describes. The version
/// table's schema is not compared: a default-schema table reflects with no schema at all.
pub fn is_excluded(options: &ReflectOptions, _schema: Option<&str>, name: &str) -> bool {
    name == options.version_table.name
        || options.history_table.as_deref() == Some(name)
        || name.starts_with("rmig_")
        || name.starts_with("sqlite_")
}

/// Runs a catalog query whose single column is a JSON document, one per row.
fn json_rows<T: DeserializeOwned>(
    backend: &mut dyn Backend,
    sql: &str,
    params: &[ScalarValue],
) -> Result<Vec<T>, DbError> {
    backend
        .query_strings(sql, params)?
        .iter()
        .map(|row| {
            serde_json::from_str(row).map_err(|error| {
                DbError::Other(format!(
                    "cannot read the catalog row {row} ({error}) returned by: {sql}"
                ))
            })
        })
        .collect()
}

fn text(value: &str) -> ScalarValue {
    ScalarValue::String(value.to_string())
}
