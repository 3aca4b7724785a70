//! SQLite through `rusqlite` (bundled), the embedded default.
//!
//! Concurrent runs are kept apart by SQLite's own write lock: every transaction starts with
//! `BEGIN IMMEDIATE`, and waits for a busy database up to the run's lock timeout.

use std::time::Duration;

use rusqlite::types::{Value, ValueRef};
use rusqlite::Connection;

use super::url::{ConnectOptions, SqliteTarget};
use super::{Backend, DbError};
use crate::dialect::Dialect;
use crate::ops::ScalarValue;
use crate::version_table::VersionTable;

pub struct SqliteBackend {
    connection: Connection,
}

impl SqliteBackend {
    pub fn open(
        target: &SqliteTarget,
        _options: &ConnectOptions,
    ) -> Result<SqliteBackend, DbError> {
        let opened = match target {
            SqliteTarget::Memory => Connection::open_in_memory(),
            SqliteTarget::File(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    if !parent.is_dir() {
                        return Err(DbError::Connect {
                            url: format!("sqlite:///{}", path.display()),
                            reason: format!("folder {} does not exist", parent.display()),
                        });
                    }
                }
                Connection::open(path)
            }
        };
        let connection = opened.map_err(|e| DbError::Connect {
            url: format!("{target:?}"),
            reason: e.to_string(),
        })?;
        // rusqlite's bundled SQLite is built with foreign keys on by default; SQLite's own
        // default, and SQLAlchemy's (so Alembic's), is off. rmig keeps SQLite's default, which
        // the table rebuild relies on (see exec/batch.rs).
        connection
            .execute_batch("PRAGMA foreign_keys = OFF")
            .map_err(|e| DbError::Connect {
                url: format!("{target:?}"),
                reason: format!("cannot set PRAGMA foreign_keys: {e}"),
            })?;
        Ok(SqliteBackend { connection })
    }

    fn values(params: &[ScalarValue]) -> Vec<Value> {
        params
            .iter()
            .map(|p| match p {
                ScalarValue::Null => Value::Null,
                ScalarValue::Bool(b) => Value::Integer(i64::from(*b)),
                ScalarValue::Integer(i) => Value::Integer(*i),
                ScalarValue::Float(f) => Value::Real(*f),
                ScalarValue::String(s) => Value::Text(s.clone()),
            })
            .collect()
    }
}

/// `$N` placeholders become SQLite's `?N`, which bind by number whatever their order;
/// quoted text and identifiers are left alone.
fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '$' && chars.peek().is_some_and(|n| n.is_ascii_digit()) => {
                out.push('?');
                continue;
            }
            None => {}
        }
        out.push(c);
    }
    out
}

/// A value in the text form `query_rows` returns.
fn text_of_value(value: ValueRef<'_>) -> Option<String> {
    match value {
        ValueRef::Null => None,
        ValueRef::Integer(number) => Some(number.to_string()),
        ValueRef::Real(number) => Some(format!("{number:?}")),
        ValueRef::Text(text) => Some(String::from_utf8_lossy(text).into_owned()),
        ValueRef::Blob(bytes) => Some(bytes.iter().map(|byte| format!("{byte:02x}")).collect()),
    }
}

fn statement_error(sql: &str, error: rusqlite::Error) -> DbError {
    DbError::Statement {
        sql: sql.to_string(),
        message: error.to_string(),
    }
}

impl Backend for SqliteBackend {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn lock(&mut self, _table: &VersionTable, timeout: Duration) -> Result<(), DbError> {
        self.connection
            .busy_timeout(timeout)
            .map_err(|e| DbError::Other(format!("cannot set SQLite's busy timeout: {e}")))
    }

    fn unlock(&mut self, _table: &VersionTable) -> Result<(), DbError> {
        Ok(())
    }

    fn begin(&mut self) -> Result<(), DbError> {
        self.batch("BEGIN IMMEDIATE")
    }

    fn commit(&mut self) -> Result<(), DbError> {
        self.batch("COMMIT")
    }

    fn rollback(&mut self) -> Result<(), DbError> {
        if self.connection.is_autocommit() {
            return Ok(());
        }
        self.batch("ROLLBACK")
    }

    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        self.connection
            .execute_batch(sql)
            .map_err(|e| statement_error(sql, e))
    }

    fn execute_one(&mut self, sql: &str) -> Result<(), DbError> {
        // rusqlite prepares the first statement and refuses a tail that holds another
        // (`Error::MultipleStatement`); white space and comments after it are no statement.
        self.connection
            .execute(sql, [])
            .map(|_| ())
            .map_err(|e| statement_error(sql, e))
    }

    fn execute(&mut self, sql: &str, params: &[ScalarValue]) -> Result<u64, DbError> {
        let sql = numbered_placeholders(sql);
        let changed = self
            .connection
            .execute(&sql, rusqlite::params_from_iter(Self::values(params)))
            .map_err(|e| statement_error(&sql, e))?;
        Ok(changed as u64)
    }

    fn query_strings(&mut self, sql: &str, params: &[ScalarValue]) -> Result<Vec<String>, DbError> {
        let sql = numbered_placeholders(sql);
        let mut statement = self
            .connection
            .prepare(&sql)
            .map_err(|e| statement_error(&sql, e))?;
        let rows = statement
            .query_map(rusqlite::params_from_iter(Self::values(params)), |row| {
                row.get::<_, String>(0)
            })
            .map_err(|e| statement_error(&sql, e))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| statement_error(&sql, e))
    }

    fn query_count(&mut self, sql: &str) -> Result<u64, DbError> {
        let count: i64 = self
            .connection
            .query_row(sql, [], |row| row.get(0))
            .map_err(|e| statement_error(sql, e))?;
        Ok(count.max(0) as u64)
    }

    fn query_rows(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, DbError> {
        let mut statement = self
            .connection
            .prepare(sql)
            .map_err(|e| statement_error(sql, e))?;
        let width = statement.column_count();
        let rows = statement
            .query_map([], |row| {
                (0..width)
                    .map(|index| row.get_ref(index).map(text_of_value))
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| statement_error(sql, e))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| statement_error(sql, e))
    }

    fn has_table(&mut self, schema: Option<&str>, table: &str) -> Result<bool, DbError> {
        let master = match schema {
            Some(schema) => format!("{}.sqlite_master", Dialect::Sqlite.quote_identifier(schema)),
            None => "sqlite_master".to_string(),
        };
        let sql = format!("SELECT count(*) FROM {master} WHERE type = 'table' AND name = ?1");
        let count: i64 = self
            .connection
            .query_row(&sql, [table], |row| row.get(0))
            .map_err(|e| statement_error(&sql, e))?;
        Ok(count > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_outside_quotes() {
        assert_eq!(
            numbered_placeholders("UPDATE t SET a=$2 WHERE b=$1"),
            "UPDATE t SET a=?2 WHERE b=?1"
        );
        assert_eq!(
            numbered_placeholders("INSERT INTO \"a$1\" VALUES ($1, '$2')"),
            "INSERT INTO \"a$1\" VALUES (?1, '$2')"
        );
    }

    #[test]
    fn execute_one_runs_one_statement_and_refuses_a_second() {
        let mut backend =
            SqliteBackend::open(&SqliteTarget::Memory, &ConnectOptions::default()).unwrap();
        backend
            .execute_one("CREATE TABLE t (x text DEFAULT 'a;b') -- trailing comment\n")
            .unwrap();
        let error = backend
            .execute_one("INSERT INTO t VALUES ('kept'); DELETE FROM t")
            .unwrap_err();
        assert!(error.to_string().contains("Multiple statements"), "{error}");
        assert_eq!(backend.query_count("SELECT count(*) FROM t").unwrap(), 0);
    }
}
