//! rmig's own audit table (`rmig_history` by default): one row per step run, with the revision
//! file's checksum, so that a file edited after it was applied is noticed. Never part of
//! `alembic_version`, which stays exactly Alembic's.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::db::{Backend, DbError};
use crate::dialect::{string_literal, Dialect};
use crate::graph::RevisionMap;

/// Where the audit rows go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryTable {
    pub name: String,
    pub schema: Option<String>,
}

impl Default for HistoryTable {
    fn default() -> Self {
        HistoryTable {
            name: "rmig_history".to_string(),
            schema: None,
        }
    }
}

/// One audit row: what ran, which way, from which file content, for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub revision: String,
    /// `upgrade`, `downgrade` or `stamp`.
    pub direction: &'static str,
    pub checksum: Option<String>,
    pub duration: Duration,
}

/// A revision whose file no longer matches what was applied.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EditedRevision {
    pub revision: String,
    pub path: PathBuf,
    pub applied_checksum: String,
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

impl HistoryTable {
    fn qualified_name(&self, dialect: Dialect) -> String {
        dialect.qualified_name(self.schema.as_deref(), &self.name)
    }

    pub(super) fn create_sql(&self, dialect: Dialect) -> String {
        let (id, timestamp) = match dialect {
            Dialect::Postgresql => ("id BIGSERIAL PRIMARY KEY", "TIMESTAMP WITH TIME ZONE"),
            Dialect::Sqlite => ("id INTEGER PRIMARY KEY AUTOINCREMENT", "TEXT"),
        };
        format!(
            "CREATE TABLE {} ({id}, revision VARCHAR(32) NOT NULL, direction VARCHAR(9) NOT NULL, \
             checksum CHAR(64), applied_at {timestamp} NOT NULL, duration_ms BIGINT NOT NULL, \
             rmig_version VARCHAR(32) NOT NULL, db_user TEXT)",
            self.qualified_name(dialect)
        )
    }

    /// Creates the table when it is missing; runs inside the caller's transaction.
    pub(super) fn ensure(&self, backend: &mut dyn Backend) -> Result<(), DbError> {
        if !backend.has_table(self.schema.as_deref(), &self.name)? {
            backend.batch(&self.create_sql(backend.dialect()))?;
        }
        Ok(())
    }

    /// The INSERT recording one step, run in the step's own transaction. Values are
    /// literals so it can share the step's final round trip; the database supplies its user.
    pub(super) fn record_sql(&self, dialect: Dialect, row: &AuditRow) -> String {
        self.record_many_sql(dialect, &[self.record_values(dialect, row)])
    }

    /// One step's row, `(...)`, stamped with the time it is made, for [`Self::record_many_sql`].
    pub(super) fn record_values(&self, dialect: Dialect, row: &AuditRow) -> String {
        let checksum = row
            .checksum
            .as_deref()
            .map_or("NULL".to_string(), string_literal);
        let user = match dialect {
            Dialect::Postgresql => "current_user",
            Dialect::Sqlite => "NULL",
        };
        format!(
            "({}, {}, {checksum}, {}, {}, {}, {user})",
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
            "INSERT INTO {} (revision, direction, checksum, applied_at, duration_ms, rmig_version, db_user) \
             VALUES {}",
            self.qualified_name(dialect),
            rows.join(", ")
        )
    }

    /// The checksum each revision was last applied (upgraded or stamped) with.
    fn applied_checksums(
        &self,
        backend: &mut dyn Backend,
    ) -> Result<HashMap<String, String>, DbError> {
        if !backend.has_table(self.schema.as_deref(), &self.name)? {
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
