//! rmig's own audit table (`rmig_history` by default): one row per step run, with the revision
//! file's checksum, so that a file edited after it was applied is noticed, and one per failed
//! attempt (issue 15). Never part of `alembic_version`, which stays exactly Alembic's.
//!
//! The `state`, `error` and `operations_applied` columns came with issue 15: a table an older
//! rmig made gets them added in place, and its rows (`state` NULL) read as applied. A failed
//! attempt's row has no checksum, so that it never counts as what was applied, for older rmig
//! versions reading the table too.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::db::{Backend, DbError, LiveColumn};
use crate::dialect::{string_literal, string_literal_in, Dialect};
use crate::graph::RevisionMap;
use crate::ops::ScalarValue;

/// Where the audit rows go.
///
/// On PostgreSQL the table lives in a schema of its own (`rmig`) unless the version table
/// has one: Alembic's autogenerate reads only the default schema, so an application's
/// metadata never meets the table there (issue 16, defect 8). A SQLite database has no
/// schema, so the table stays in the one file, written in each step's transaction (docs/history-table.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryTable {
    pub name: String,
    /// Its PostgreSQL schema; not used on SQLite.
    pub schema: Option<String>,
    /// The PostgreSQL schema where rmig kept the table before it had one of its own (the
    /// version table's): a table found there is moved to `schema`, rows and all.
    pub former_schema: Option<String>,
}

/// The schema rmig's own tables get on PostgreSQL when the version table has none.
pub const DEFAULT_SCHEMA: &str = "rmig";

impl HistoryTable {
    /// `rmig_history`, in the `rmig` schema, or in the version table's when it has one.
    pub fn beside(version_table_schema: Option<&str>) -> HistoryTable {
        HistoryTable {
            name: "rmig_history".to_string(),
            schema: Some(version_table_schema.unwrap_or(DEFAULT_SCHEMA).to_string()),
            former_schema: version_table_schema.map(str::to_string),
        }
    }
}

/// One audit row: what ran, which way, from which file content, for how long, and how it
/// ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub revision: String,
    /// `upgrade`, `downgrade` or `stamp`.
    pub direction: &'static str,
    /// None for a failed attempt.
    pub checksum: Option<String>,
    pub duration: Duration,
    /// Set when the step failed: state `failed` rather than `applied`.
    pub failure: Option<Failure>,
}

/// How a step failed, for its audit row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The error as rmig reported it.
    pub error: String,
    /// How many of the step's operations ran and stay (a revision with `transactional =
    /// false`); 0 when the step was rolled back.
    pub operations_applied: usize,
}

/// The columns issue 15 added, with their types; added in place to an older table.
const ADDED_COLUMNS: [(&str, &str); 3] = [
    ("state", "VARCHAR(8)"),
    ("error", "TEXT"),
    ("operations_applied", "INTEGER"),
];

/// An earlier attempt of a revision that failed part-way and left operations applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialAttempt {
    pub direction: String,
    pub operations_applied: usize,
}

/// A revision whose file no longer matches what was applied.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EditedRevision {
    /// The revision's id.
    pub revision: String,
    /// Its file now.
    pub path: PathBuf,
    /// The checksum of the file as it was applied (lower-case hex SHA-256).
    pub applied_checksum: String,
    /// The checksum of the file now.
    pub file_checksum: String,
}

impl std::fmt::Display for EditedRevision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "revision {} ({}) was edited after it was applied (applied sha256 {}, file now {})",
            self.revision,
            self.path.display(),
            abbreviated(&self.applied_checksum),
            abbreviated(&self.file_checksum),
        )
    }
}

/// A checksum's first 12 characters. Cut by characters, not bytes: the recorded checksum is
/// whatever the table holds, and text that is not hex must not panic a run that succeeded.
fn abbreviated(checksum: &str) -> &str {
    checksum
        .char_indices()
        .nth(12)
        .map_or(checksum, |(at, _)| &checksum[..at])
}

/// The columns every rmig audit table has had, which tell it from another table of the name.
const BASE_COLUMNS: [&str; 5] = [
    "revision",
    "direction",
    "applied_at",
    "duration_ms",
    "rmig_version",
];

/// The first column of [`BASE_COLUMNS`] that `columns` lacks.
fn missing_base_column(columns: &[LiveColumn]) -> Option<&'static str> {
    BASE_COLUMNS
        .iter()
        .copied()
        .find(|name| !columns.iter().any(|c| c.name == *name))
}

impl HistoryTable {
    /// The schema the table is in on `dialect`: the connection's database on SQLite and
    /// MySQL, where a schema is a database of its own.
    fn location(&self, dialect: Dialect) -> Option<&str> {
        match dialect {
            Dialect::Postgresql => self.schema.as_deref(),
            Dialect::Sqlite | Dialect::Mysql => None,
        }
    }

    /// The table as statements and messages name it.
    pub(super) fn qualified_name(&self, dialect: Dialect) -> String {
        dialect.qualified_name(self.location(dialect), &self.name)
    }

    pub(super) fn create_sql(&self, dialect: Dialect) -> String {
        let (id, timestamp) = match dialect {
            Dialect::Postgresql => ("id BIGSERIAL PRIMARY KEY", "TIMESTAMP WITH TIME ZONE"),
            Dialect::Sqlite => ("id INTEGER PRIMARY KEY AUTOINCREMENT", "TEXT"),
            // The time as the RFC 3339 text SQLite keeps too: MySQL's DATETIME has no zone.
            Dialect::Mysql => ("id BIGINT AUTO_INCREMENT PRIMARY KEY", "VARCHAR(40)"),
        };
        format!(
            "CREATE TABLE {} ({id}, revision VARCHAR(32) NOT NULL, direction VARCHAR(9) NOT NULL, \
             checksum CHAR(64), applied_at {timestamp} NOT NULL, duration_ms BIGINT NOT NULL, \
             rmig_version VARCHAR(32) NOT NULL, db_user TEXT, {})",
            self.qualified_name(dialect),
            ADDED_COLUMNS
                .iter()
                .map(|(name, type_)| format!("{name} {type_}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }

    /// The columns of [`ADDED_COLUMNS`] missing from `columns` (the table's, none when there
    /// is no table).
    fn missing_columns(
        columns: &[LiveColumn],
    ) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        ADDED_COLUMNS
            .iter()
            .copied()
            .filter(|(name, _)| !columns.iter().any(|c| c.name == *name))
    }

    fn columns(&self, backend: &mut dyn Backend) -> Result<Vec<LiveColumn>, DbError> {
        backend.table_columns(self.location(backend.dialect()), &self.name)
    }

    /// Whether the table exists with every column this rmig writes (one query).
    pub(super) fn is_current(&self, backend: &mut dyn Backend) -> Result<bool, DbError> {
        let columns = self.columns(backend)?;
        let current = Self::missing_columns(&columns).next().is_none();
        Ok(current)
    }

    /// Creates the table when it is missing (moving it from where an older rmig kept it, when
    /// it is there), and adds the columns an older rmig's table lacks; runs inside the
    /// caller's transaction. One catalog query tells the cases apart when the table is there.
    pub(super) fn ensure(&self, backend: &mut dyn Backend) -> Result<(), DbError> {
        let mut columns = self.columns(backend)?;
        if columns.is_empty() {
            self.ensure_schema(backend)?;
            columns = self.move_former(backend)?;
            if columns.is_empty() {
                return backend.batch(&self.create_sql(backend.dialect()));
            }
        }
        let table = self.qualified_name(backend.dialect());
        // Columns are added only to a table rmig made: `history_table` naming an application's
        // table (or the version table) must not alter it.
        if let Some(missing) = missing_base_column(&columns) {
            return Err(DbError::ForeignTable {
                table,
                role: "audit table (`history_table`)",
                missing,
            });
        }
        for (name, type_) in Self::missing_columns(&columns) {
            backend.batch(&format!("ALTER TABLE {table} ADD COLUMN {name} {type_}"))?;
        }
        Ok(())
    }

    /// Creates the table's PostgreSQL schema when it is missing. The catalog is asked first:
    /// `CREATE SCHEMA IF NOT EXISTS` needs the right to create schemas even when it exists.
    fn ensure_schema(&self, backend: &mut dyn Backend) -> Result<(), DbError> {
        let Some(schema) = self.location(backend.dialect()) else {
            return Ok(());
        };
        let found = backend.query_strings(
            "SELECT nspname::text FROM pg_catalog.pg_namespace WHERE nspname = $1",
            &[ScalarValue::String(schema.to_string())],
        )?;
        if !found.is_empty() {
            return Ok(());
        }
        let quoted = Dialect::Postgresql.quote_identifier(schema);
        backend
            .batch(&format!("CREATE SCHEMA {quoted}"))
            .map_err(|error| DbError::Other(format!(
                "cannot create schema {quoted} for rmig's audit table ({error}); create it once with a role that may (`CREATE SCHEMA {quoted} AUTHORIZATION` this run's role), or set `history_table_schema` or `history_table = false` in rmig.toml"
            )))
    }

    /// Moves an audit table an older rmig made beside the version table into the table's own
    /// schema (on PostgreSQL its sequence, index and rows go with it, in the caller's
    /// transaction); returns its columns, none when there was nothing to move. A table there
    /// that is not rmig's stays where it is.
    fn move_former(&self, backend: &mut dyn Backend) -> Result<Vec<LiveColumn>, DbError> {
        let dialect = backend.dialect();
        if dialect != Dialect::Postgresql || self.former_schema == self.schema {
            return Ok(Vec::new());
        }
        let columns = backend.table_columns(self.former_schema.as_deref(), &self.name)?;
        if columns.is_empty() || missing_base_column(&columns).is_some() {
            return Ok(Vec::new());
        }
        let Some(schema) = self.location(dialect) else {
            return Ok(Vec::new());
        };
        backend.batch(&format!(
            "ALTER TABLE {} SET SCHEMA {}",
            dialect.qualified_name(self.former_schema.as_deref(), &self.name),
            dialect.quote_identifier(schema)
        ))?;
        Ok(columns)
    }

    /// The INSERT recording one step, run in the step's own transaction. Values are
    /// literals so it can share the step's final round trip; the database supplies its user.
    pub(super) fn record_sql(&self, dialect: Dialect, row: &AuditRow) -> String {
        self.record_many_sql(dialect, &[self.record_values(dialect, row)])
    }

    /// One step's row, `(...)`, stamped with the time it is made, for [`Self::record_many_sql`].
    pub(super) fn record_values(&self, dialect: Dialect, row: &AuditRow) -> String {
        let string_literal = |text: &str| string_literal_in(dialect, text);
        let checksum = row
            .checksum
            .as_deref()
            .map_or("NULL".to_string(), string_literal);
        let user = match dialect {
            Dialect::Postgresql => "current_user",
            Dialect::Mysql => "current_user()",
            Dialect::Sqlite => "NULL",
        };
        let outcome = match &row.failure {
            None => "'applied', NULL, NULL".to_string(),
            Some(failure) => format!(
                "'failed', {}, {}",
                // A NUL cannot be stored in PostgreSQL's text.
                string_literal(&failure.error.replace('\0', "")),
                failure.operations_applied
            ),
        };
        format!(
            "({}, {}, {checksum}, {}, {}, {}, {user}, {outcome})",
            string_literal(&row.revision),
            string_literal(row.direction),
            string_literal(
                &chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
            ),
            row.duration.as_millis(),
            string_literal(env!("CARGO_PKG_VERSION")),
        )
    }

    /// One INSERT of rows made by [`Self::record_values`], in their order: a run in one
    /// transaction records all its steps at the commit this way (issue 8).
    pub(super) fn record_many_sql(&self, dialect: Dialect, rows: &[String]) -> String {
        format!(
            "INSERT INTO {} (revision, direction, checksum, applied_at, duration_ms, rmig_version, db_user, \
             state, error, operations_applied) VALUES {}",
            self.qualified_name(dialect),
            rows.join(", ")
        )
    }

    /// Records failed attempts in a transaction of their own, after the failed step's rollback
    /// (the table is brought up to date first, in case another rmig made it meanwhile).
    pub(super) fn record_failures(
        &self,
        backend: &mut dyn Backend,
        rows: &[AuditRow],
    ) -> Result<(), DbError> {
        let dialect = backend.dialect();
        let values: Vec<String> = rows
            .iter()
            .map(|row| self.record_values(dialect, row))
            .collect();
        backend.begin()?;
        let written = self
            .ensure(backend)
            .and_then(|()| backend.batch(&self.record_many_sql(dialect, &values)));
        match written {
            Ok(()) => backend.commit(),
            Err(error) => {
                // The write's error says why; a failed ROLLBACK would only hide it.
                let _ = backend.rollback();
                Err(error)
            }
        }
    }

    /// The latest attempt of `revision` that failed with operations left applied, when no
    /// attempt finished since: its operations may still stand.
    pub(super) fn partial_attempt(
        &self,
        backend: &mut dyn Backend,
        revision: &str,
    ) -> Result<Option<PartialAttempt>, DbError> {
        let sql = format!(
            "SELECT direction, state, operations_applied FROM {} WHERE revision = {} ORDER BY id DESC LIMIT 100",
            self.qualified_name(backend.dialect()),
            string_literal(revision)
        );
        for row in backend.query_rows(&sql)? {
            let [direction, state, applied] = row.as_slice() else {
                break;
            };
            if state.as_deref() != Some("failed") {
                break;
            }
            let applied = applied.as_deref().and_then(|n| n.parse().ok()).unwrap_or(0);
            if applied > 0 {
                return Ok(Some(PartialAttempt {
                    direction: direction.clone().unwrap_or_default(),
                    operations_applied: applied,
                }));
            }
        }
        Ok(None)
    }

    /// The checksum each revision was last applied (upgraded or stamped) with.
    fn applied_checksums(
        &self,
        backend: &mut dyn Backend,
    ) -> Result<HashMap<String, String>, DbError> {
        if !backend.has_table(self.location(backend.dialect()), &self.name)? {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT revision, checksum FROM {} WHERE direction <> 'downgrade' AND checksum IS NOT NULL ORDER BY id",
            self.qualified_name(backend.dialect())
        );
        let mut latest = HashMap::new();
        for row in backend.query_rows(&sql)? {
            if let [Some(revision), Some(checksum)] = row.as_slice() {
                latest.insert(revision.clone(), checksum.clone());
            }
        }
        Ok(latest)
    }

    /// Applied revisions (the current rows and everything below them) whose file changed
    /// since. Revisions applied by Alembic, with no audit row, cannot be checked and are not
    /// reported.
    pub fn edited_revisions(
        &self,
        backend: &mut dyn Backend,
        map: &RevisionMap,
        current: &[String],
    ) -> Result<Vec<EditedRevision>, DbError> {
        let applied = self.applied_checksums(backend)?;
        if applied.is_empty() {
            return Ok(Vec::new());
        }
        let heads: Vec<usize> = current.iter().filter_map(|row| map.index_of(row)).collect();
        let mut edited = Vec::new();
        for index in map.ancestors(&heads, true) {
            let revision = map.revision(index);
            let (Some(recorded), Some(now)) = (applied.get(&revision.id), &revision.checksum)
            else {
                continue;
            };
            if recorded != now {
                edited.push(EditedRevision {
                    revision: revision.id.clone(),
                    path: revision.path.clone(),
                    applied_checksum: recorded.clone(),
                    file_checksum: now.clone(),
                });
            }
        }
        edited.sort_by(|a, b| a.revision.cmp(&b.revision));
        Ok(edited)
    }
}

#[cfg(test)]
mod tests {
    use super::abbreviated;

    #[test]
    fn abbreviated_cuts_at_a_character_boundary() {
        assert_eq!(abbreviated("0123456789abcdef"), "0123456789ab");
        assert_eq!(abbreviated(&format!("a{}", "€".repeat(21))), "a€€€€€€€€€€€");
        assert_eq!(abbreviated("short"), "short");
        assert_eq!(abbreviated(""), "");
    }
}
