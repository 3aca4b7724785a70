//! The `alembic_version` table, exactly as Alembic creates and changes it (docs/alembic.md).
//!
//! `--sql` output renders literal revision ids, as Alembic does (ids are validated identifiers,
//! so a literal can never carry a quote); online, the same statements bind the ids as
//! parameters.

use crate::dialect::{string_literal, Dialect};
use crate::plan::VersionChange;

/// Where the version table lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionTable {
    pub name: String,
    pub schema: Option<String>,
}

impl Default for VersionTable {
    fn default() -> Self {
        VersionTable {
            name: "alembic_version".to_string(),
            schema: None,
        }
    }
}

impl VersionTable {
    /// The table name as written in statements, schema-qualified when a schema is set.
    pub fn qualified_name(&self, dialect: Dialect) -> String {
        dialect.qualified_name(self.schema.as_deref(), &self.name)
    }

    /// `CREATE TABLE` as Alembic prints Alembic's version table in `--sql` output, trailing
    /// space included: SQLAlchemy's text with its tabs made four spaces.
    pub fn create_sql(&self, dialect: Dialect) -> String {
        self.create_statement(dialect, "    ")
    }

    /// `CREATE TABLE` as Alembic sends it online: SQLAlchemy's text, tabs kept. SQLite keeps
    /// the text as sent in its schema, so this is what an Alembic-made database holds.
    pub fn create_sql_online(&self, dialect: Dialect) -> String {
        self.create_statement(dialect, "\t")
    }

    fn create_statement(&self, dialect: Dialect, indent: &str) -> String {
        format!(
            "CREATE TABLE {} (\n{indent}version_num VARCHAR(32) NOT NULL, \n{indent}CONSTRAINT {} PRIMARY KEY (version_num)\n)",
            self.qualified_name(dialect),
            dialect.quote_identifier(&format!("{}_pkc", self.name)),
        )
    }

    /// The statement for one row change, as Alembic prints it in `--sql` output.
    pub fn change_sql(&self, dialect: Dialect, change: &VersionChange) -> String {
        self.change_statement(dialect, change, true)
    }

    /// The statement for one row change as an online run executes it: Alembic's, without the
    /// `RETURNING` clause nobody reads.
    pub fn change_sql_online(&self, dialect: Dialect, change: &VersionChange) -> String {
        self.change_statement(dialect, change, false)
    }

    fn change_statement(
        &self,
        dialect: Dialect,
        change: &VersionChange,
        returning: bool,
    ) -> String {
        let table = self.qualified_name(dialect);
        let column = format!("{table}.version_num");
        match change {
            VersionChange::Insert { version } => {
                let insert = format!(
                    "INSERT INTO {table} (version_num) VALUES ({})",
                    string_literal(version)
                );
                match (returning, dialect) {
                    (false, _) => insert,
                    (true, Dialect::Postgresql) => format!("{insert} RETURNING {column}"),
                    (true, Dialect::Sqlite) => format!("{insert} RETURNING version_num"),
                    // MySQL has no RETURNING; Alembic's MySQL script has none.
                    (true, Dialect::Mysql) => insert,
                }
            }
            VersionChange::Delete { version } => {
                format!(
                    "DELETE FROM {table} WHERE {column} = {}",
                    string_literal(version)
                )
            }
            VersionChange::Update { from, to } => format!(
                "UPDATE {table} SET version_num={} WHERE {column} = {}",
                string_literal(to),
                string_literal(from)
            ),
        }
    }

    /// `SELECT version_num FROM ...`: the current rows.
    pub fn select_sql(&self, dialect: Dialect) -> String {
        format!("SELECT version_num FROM {}", self.qualified_name(dialect))
    }
}

impl VersionChange {
    /// Alembic refuses an UPDATE or DELETE of the version table that changes other than
    /// exactly one row.
    pub fn expects_one_row(&self) -> bool {
        !matches!(self, VersionChange::Insert { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_match_alembic() {
        let table = VersionTable::default();
        let pg = Dialect::Postgresql;
        assert_eq!(
            table.create_sql(pg),
            "CREATE TABLE alembic_version (\n    version_num VARCHAR(32) NOT NULL, \n    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n)"
        );
        assert_eq!(
            table.create_sql_online(Dialect::Sqlite),
            "CREATE TABLE alembic_version (\n\tversion_num VARCHAR(32) NOT NULL, \n\tCONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n)"
        );
        assert_eq!(
            table.change_sql(pg, &VersionChange::Insert { version: "a1".into() }),
            "INSERT INTO alembic_version (version_num) VALUES ('a1') RETURNING alembic_version.version_num"
        );
        assert_eq!(
            table.change_sql(
                Dialect::Sqlite,
                &VersionChange::Insert {
                    version: "a1".into()
                }
            ),
            "INSERT INTO alembic_version (version_num) VALUES ('a1') RETURNING version_num"
        );
        assert_eq!(
            table.change_sql(
                pg,
                &VersionChange::Update {
                    from: "a1".into(),
                    to: "b2".into()
                }
            ),
            "UPDATE alembic_version SET version_num='b2' WHERE alembic_version.version_num = 'a1'"
        );
        assert_eq!(
            table.change_sql(
                pg,
                &VersionChange::Delete {
                    version: "b2".into()
                }
            ),
            "DELETE FROM alembic_version WHERE alembic_version.version_num = 'b2'"
        );
    }

    #[test]
    fn schema_and_odd_names_are_quoted() {
        let table = VersionTable {
            name: "Versions".into(),
            schema: Some("ops".into()),
        };
        let sql = table.create_sql(Dialect::Postgresql);
        assert!(sql.starts_with("CREATE TABLE ops.\"Versions\" ("), "{sql}");
        assert!(
            sql.contains("CONSTRAINT \"Versions_pkc\" PRIMARY KEY"),
            "{sql}"
        );
    }
}
