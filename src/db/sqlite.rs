//! SQLite through `rusqlite` (bundled), the embedded default.
//!
//! Concurrent runs are kept apart by SQLite's own write lock: every transaction starts with
//! `BEGIN IMMEDIATE`, and waits for a busy database up to the run's lock timeout.

use std::time::Duration;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rusqlite::hooks::{Action, AuthAction, AuthContext, Authorization};
use rusqlite::types::{Value, ValueRef};
use rusqlite::Connection;

use super::url::{redact_url, ConnectOptions, SqliteTarget};
use super::watch::{ColumnState, TableState};
use super::{Backend, DbError, LiveColumn};
use crate::dialect::Dialect;
use crate::guard::{Observed, ObservedEffect};
use crate::ops::ScalarValue;
use crate::version_table::VersionTable;

pub struct SqliteBackend<'c> {
    connection: Handle<'c>,
    /// The tables the guard's verification watches, once a run asked for it.
    watch: Option<SqliteWatch>,
    /// On a caller's connection: `foreign_keys` and `busy_timeout` as they were, put back
    /// when the backend is dropped.
    borrowed_pragmas: Option<(bool, i64)>,
}

/// rmig's own connection, or one the caller opened and keeps.
enum Handle<'c> {
    Own(Connection),
    Caller(&'c mut Connection),
}

impl std::ops::Deref for Handle<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        match self {
            Handle::Own(connection) => connection,
            Handle::Caller(connection) => connection,
        }
    }
}

/// Watched tables by name, and the rows deleted and updated in each since the last look,
/// counted by SQLite's update hook, which sees every row a statement changes, those of
/// triggers and foreign-key cascades included. An authorizer answering IGNORE to each DELETE
/// makes SQLite delete a whole table row by row instead of truncating it unseen (the hook
/// does not see rows a REPLACE conflict removes: the guard refuses REPLACE statically).
struct SqliteWatch {
    tables: Vec<TableState>,
    changes: Arc<Mutex<HashMap<String, RowChanges>>>,
    excluded: Vec<String>,
    /// The rows of each table whose losses the hook cannot see (a `WITHOUT ROWID` table, or one
    /// declaring `ON CONFLICT REPLACE`), counted at each look: rows gone that no delete the
    /// hook saw accounts for were removed behind it.
    counted: HashMap<String, i64>,
}

/// The tables the update hook does not see whole: `WITHOUT ROWID` ones, and those whose
/// declaration can REPLACE rows on a conflict (the hook misses the rows a REPLACE deletes).
const UNHOOKED_TABLES_SQL: &str = "SELECT name FROM sqlite_schema WHERE type = 'table' \
    AND (sql LIKE '%WITHOUT ROWID%' OR sql LIKE '%REPLACE%')";

#[derive(Debug, Default, Clone, Copy)]
struct RowChanges {
    inserted: u64,
    deleted: u64,
    updated: u64,
}

/// Every table with its root page and columns.
const WATCH_TABLES_SQL: &str = "SELECT m.name, m.rootpage, p.name, p.type \
    FROM sqlite_schema m JOIN pragma_table_xinfo(m.name) p \
    WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY m.name, p.cid";

impl<'c> SqliteBackend<'c> {
    pub fn open(
        target: &SqliteTarget,
        _options: &ConnectOptions,
    ) -> Result<SqliteBackend<'static>, DbError> {
        let opened = match target {
            SqliteTarget::Memory => Connection::open_in_memory(),
            SqliteTarget::File(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    if !parent.is_dir() {
                        return Err(DbError::BadUrl {
                            url: redact_url(&target.to_string()),
                            reason: format!(
                                "its folder {} does not exist; create it first",
                                redact_url(&parent.display().to_string())
                            ),
                        });
                    }
                }
                Connection::open(path)
            }
        };
        let connection = opened.map_err(|e| DbError::Connect {
            url: redact_url(&target.to_string()),
            reason: e.to_string(),
        })?;
        // rusqlite's bundled SQLite is built with foreign keys on by default; SQLite's own
        // default, and SQLAlchemy's (so Alembic's), is off. rmig keeps SQLite's default, which
        // the table rebuild relies on (see exec/batch.rs).
        connection
            .execute_batch("PRAGMA foreign_keys = OFF")
            .map_err(|e| DbError::Connect {
                url: redact_url(&target.to_string()),
                reason: format!("cannot set PRAGMA foreign_keys: {e}"),
            })?;
        Ok(SqliteBackend {
            connection: Handle::Own(connection),
            watch: None,
            borrowed_pragmas: None,
        })
    }

    /// A backend on a connection the caller opened and keeps, with the same lock, guard and
    /// version-table rules as rmig's own: `foreign_keys` is off while rmig runs (the table
    /// rebuild relies on it, as on rmig's own connection) and, like the busy timeout the run
    /// lock sets, back as it was when the backend is dropped.
    pub fn on_caller_connection(
        connection: &'c mut Connection,
        _options: &ConnectOptions,
    ) -> Result<SqliteBackend<'c>, DbError> {
        let read = |pragma: &str| {
            connection
                .query_row(&format!("PRAGMA {pragma}"), [], |row| row.get::<_, i64>(0))
                .map_err(|e| DbError::Other(format!("cannot read PRAGMA {pragma}: {e}")))
        };
        if !connection.is_autocommit() {
            return Err(DbError::Other(super::CALLER_IN_TRANSACTION.to_string()));
        }
        let before = (read("foreign_keys")? != 0, read("busy_timeout")?);
        connection
            .execute_batch("PRAGMA foreign_keys = OFF")
            .map_err(|e| DbError::Other(format!("cannot set PRAGMA foreign_keys: {e}")))?;
        Ok(SqliteBackend {
            connection: Handle::Caller(connection),
            watch: None,
            borrowed_pragmas: Some(before),
        })
    }

    /// Stops watching: the hooks the watch installed are removed.
    fn end_watch(&mut self) {
        if self.watch.take().is_some() {
            self.connection
                .update_hook(None::<fn(Action, &str, &str, i64)>);
            self.connection
                .authorizer(None::<fn(AuthContext<'_>) -> Authorization>);
        }
    }

    fn unhooked_tables(&self) -> Result<Vec<String>, DbError> {
        let mut statement = self
            .connection
            .prepare(UNHOOKED_TABLES_SQL)
            .map_err(|e| statement_error(UNHOOKED_TABLES_SQL, e))?;
        statement
            .query_map([], |row| row.get::<_, String>(0))
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| statement_error(UNHOOKED_TABLES_SQL, e))
    }

    fn count_rows(&self, table: &str) -> Result<i64, DbError> {
        let sql = format!(
            "SELECT count(*) FROM {}",
            Dialect::Sqlite.quote_identifier(table)
        );
        self.connection
            .query_row(&sql, [], |row| row.get(0))
            .map_err(|e| statement_error(&sql, e))
    }

    /// The tables that have triggers.
    fn triggered_tables(&self) -> Result<Vec<String>, DbError> {
        let sql = "SELECT DISTINCT tbl_name FROM sqlite_schema WHERE type = 'trigger'";
        let mut statement = self
            .connection
            .prepare(sql)
            .map_err(|e| statement_error(sql, e))?;
        statement
            .query_map([], |row| row.get::<_, String>(0))
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| statement_error(sql, e))
    }

    fn watched_tables(&self) -> Result<Vec<TableState>, DbError> {
        let mut statement = self
            .connection
            .prepare(WATCH_TABLES_SQL)
            .map_err(|e| statement_error(WATCH_TABLES_SQL, e))?;
        let rows = statement
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                ))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| statement_error(WATCH_TABLES_SQL, e))?;
        let mut tables: Vec<TableState> = Vec::new();
        for (table, root, column, type_) in rows {
            if tables.last().is_none_or(|last| last.name != table) {
                tables.push(TableState {
                    schema: None,
                    name: table,
                    storage: root,
                    columns: Vec::new(),
                });
            }
            if let Some(last) = tables.last_mut() {
                last.columns.push(ColumnState {
                    key: None,
                    name: column,
                    type_,
                });
            }
        }
        Ok(tables)
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
        // SQLite's busy timeout is the run lock's concern, not a statement's.
        lock_timed_out: false,
    }
}

/// A caller's connection gets its hooks cleared, any transaction of rmig's rolled back and
/// its settings back; a failure here has nowhere to go.
impl Drop for SqliteBackend<'_> {
    fn drop(&mut self) {
        let Some((foreign_keys, busy_ms)) = self.borrowed_pragmas else {
            return;
        };
        self.end_watch();
        // The connection was outside any transaction when it was handed over, so one open now
        // is rmig's, left by a COMMIT that SQLite refused (busy: the transaction stays open)
        // or by a panic unwinding through the run. It holds the database's write lock, and
        // `PRAGMA foreign_keys` does nothing inside it.
        if !self.connection.is_autocommit() {
            let _ = self.connection.execute_batch("ROLLBACK");
        }
        let _ = self.connection.execute_batch(&format!(
            "PRAGMA foreign_keys = {}; PRAGMA busy_timeout = {busy_ms}",
            if foreign_keys { "ON" } else { "OFF" }
        ));
    }
}

impl Backend for SqliteBackend<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn lock(&mut self, _table: &VersionTable, timeout: Duration) -> Result<(), DbError> {
        // SQLite takes at most i32::MAX ms; rusqlite panics above that (over 596 hours).
        self.connection
            .busy_timeout(timeout.min(crate::duration::MAX))
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
        // What the transaction changed did not happen: the tables are read anew.
        self.end_watch();
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

    fn watch_effects(&mut self, excluded: &[&str]) -> Result<(), DbError> {
        if self.watch.is_some() {
            return Ok(());
        }
        let changes: Arc<Mutex<HashMap<String, RowChanges>>> = Arc::default();
        let counter = Arc::clone(&changes);
        self.connection.update_hook(Some(
            move |action: Action, database: &str, table: &str, _: i64| {
                if database != "main" {
                    return;
                }
                let mut changes = counter
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                match action {
                    Action::SQLITE_INSERT => {
                        changes.entry(table.to_string()).or_default().inserted += 1
                    }
                    Action::SQLITE_DELETE => {
                        changes.entry(table.to_string()).or_default().deleted += 1
                    }
                    Action::SQLITE_UPDATE => {
                        changes.entry(table.to_string()).or_default().updated += 1
                    }
                    _ => {}
                }
            },
        ));
        // DROP TABLE and DROP VIEW ask for DELETE on what they drop right after asking for the
        // drop, and IGNORE there would skip the drop: only a DELETE statement of a user's
        // table gets IGNORE.
        let mut dropping: Option<String> = None;
        self.connection
            .authorizer(Some(move |context: AuthContext<'_>| match context.action {
                AuthAction::DropTable { table_name } | AuthAction::DropTempTable { table_name } => {
                    dropping = Some(table_name.to_string());
                    Authorization::Allow
                }
                AuthAction::DropView { view_name } | AuthAction::DropTempView { view_name } => {
                    dropping = Some(view_name.to_string());
                    Authorization::Allow
                }
                AuthAction::Delete { table_name } => {
                    // DROP INDEX and DROP TRIGGER delete from the schema table.
                    if dropping.take().as_deref() == Some(table_name)
                        || table_name.starts_with("sqlite_")
                    {
                        Authorization::Allow
                    } else {
                        Authorization::Ignore
                    }
                }
                _ => Authorization::Allow,
            }));
        let mut counted = HashMap::new();
        for table in self.unhooked_tables()? {
            let rows = self.count_rows(&table)?;
            counted.insert(table, rows);
        }
        self.watch = Some(SqliteWatch {
            tables: self.watched_tables()?,
            changes,
            excluded: excluded.iter().map(|name| name.to_string()).collect(),
            counted,
        });
        Ok(())
    }

    fn observed_effects(&mut self) -> Result<Vec<Observed>, DbError> {
        if self.watch.is_none() {
            return Ok(Vec::new());
        }
        let now = self.watched_tables()?;
        let triggered_tables = self.triggered_tables()?;
        let Some(watch) = self.watch.as_mut() else {
            return Ok(Vec::new());
        };
        let changes: HashMap<String, RowChanges> = std::mem::take(
            &mut *watch
                .changes
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        let mut observed = Vec::new();
        let mut still_watched = Vec::with_capacity(watch.tables.len());
        for before in &watch.tables {
            if watch.excluded.contains(&before.name) {
                still_watched.push(before.clone());
                continue;
            }
            // A rename keeps the root page; a rebuild (copy, drop, rename back) keeps the name.
            let after = now
                .iter()
                .find(|table| table.name == before.name)
                .or_else(|| {
                    now.iter().find(|table| {
                        table.storage == before.storage
                            && !watch.tables.iter().any(|known| known.name == table.name)
                    })
                });
            let Some(after) = after else {
                observed.push(Observed {
                    object: before.object(),
                    effect: ObservedEffect::TableDropped,
                });
                continue;
            };
            before.column_changes(after, &mut observed);
            for name in [&before.name, &after.name] {
                if let Some(change) = changes.get(name) {
                    if change.deleted > 0 {
                        observed.push(Observed {
                            object: after.object(),
                            effect: ObservedEffect::RowsDeleted(change.deleted),
                        });
                    }
                    if change.updated > 0 {
                        observed.push(Observed {
                            object: after.object(),
                            effect: ObservedEffect::RowsUpdated {
                                count: change.updated,
                                triggered: triggered_tables.contains(&after.name),
                            },
                        });
                    }
                }
                if before.name == after.name {
                    break;
                }
            }
            still_watched.push(after.clone());
        }
        watch.tables = still_watched;
        let counted: Vec<(String, i64)> = watch
            .counted
            .iter()
            .map(|(table, rows)| (table.clone(), *rows))
            .collect();
        let known: Vec<TableState> = watch.tables.clone();
        for (table, before) in counted {
            let Some(state) = known.iter().find(|state| state.name == table) else {
                continue;
            };
            let now = self.count_rows(&table)?;
            let change = changes.get(&table).copied().unwrap_or_default();
            let unseen = (before + change.inserted as i64 - change.deleted as i64) - now;
            if unseen > 0 {
                observed.push(Observed {
                    object: state.object(),
                    effect: ObservedEffect::RowsDeleted(unseen as u64),
                });
            }
            if let Some(watch) = self.watch.as_mut() {
                watch.counted.insert(table, now);
            }
        }
        Ok(observed)
    }

    fn table_columns(
        &mut self,
        schema: Option<&str>,
        table: &str,
    ) -> Result<Vec<LiveColumn>, DbError> {
        let sql = "SELECT name, type, \"notnull\" = 0 AND pk = 0, dflt_value \
            FROM pragma_table_xinfo(?1, ?2) WHERE hidden = 0 ORDER BY cid";
        let mut statement = self
            .connection
            .prepare(sql)
            .map_err(|e| statement_error(sql, e))?;
        let rows = statement
            .query_map([table, schema.unwrap_or("main")], |row| {
                Ok(LiveColumn {
                    name: row.get(0)?,
                    type_name: row.get(1)?,
                    nullable: row.get(2)?,
                    default: row.get(3)?,
                })
            })
            .map_err(|e| statement_error(sql, e))?;
        rows.collect::<Result<_, _>>()
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
