//! The `alembic_version` table, exactly as Alembic creates and changes it (contract section 3).
//!
//! `--sql` output renders literal revision ids, as Alembic does (ids are validated identifiers,
//! so a literal can never carry a quote); online, the same statements bind the ids as
//! parameters.

use crate::dialect::Dialect;
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

    /// `CREATE TABLE` as SQLAlchemy renders Alembic's version table, trailing space included.
    pub fn create_sql(&self, dialect: Dialect) -> String {
        format!(
            "CREATE TABLE {} (\n    version_num VARCHAR(32) NOT NULL, \n    CONSTRAINT {} PRIMARY KEY (version_num)\n)",
            self.qualified_name(dialect),
            dialect.quote_identifier(&format!("{}_pkc", self.name)),
        )
    }

    /// The statement for one row change.
    pub fn change_sql(&self, dialect: Dialect, change: &VersionChange) -> String {
        let table = self.qualified_name(dialect);
        let column = format!("{table}.version_num");
        match change {
            VersionChange::Insert { version } => {
                let returning = match dialect {
                    Dialect::Postgresql => column,
                    Dialect::Sqlite => "version_num".to_string(),
                };
                format!(
                    "INSERT INTO {table} (version_num) VALUES ('{version}') RETURNING {returning}"
                )
            }
            VersionChange::Delete { version } => {
                format!("DELETE FROM {table} WHERE {column} = '{version}'")
            }
            VersionChange::Update { from, to } => {
                format!("UPDATE {table} SET version_num='{to}' WHERE {column} = '{from}'")
            }
        }
    }
}

/// A statement with `$1`-style parameters, for online runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundStatement {
    pub sql: String,
    pub params: Vec<String>,
    /// Alembic refuses an UPDATE or DELETE that changes other than exactly one row.
    pub expects_one_row: bool,
}

impl VersionTable {
    /// `SELECT version_num FROM ...`: the current rows.
    pub fn select_sql(&self, dialect: Dialect) -> String {
        format!("SELECT version_num FROM {}", self.qualified_name(dialect))
    }

    /// One row change with the ids as parameters.
    pub fn change_bound(&self, dialect: Dialect, change: &VersionChange) -> BoundStatement {
        let table = self.qualified_name(dialect);
        match change {
            VersionChange::Insert { version } => BoundStatement {
                sql: format!("INSERT INTO {table} (version_num) VALUES ($1)"),
                params: vec![version.clone()],
                expects_one_row: false,
            },
            VersionChange::Delete { version } => BoundStatement {
                sql: format!("DELETE FROM {table} WHERE version_num = $1"),
                params: vec![version.clone()],
                expects_one_row: true,
            },
            VersionChange::Update { from, to } => BoundStatement {
                sql: format!("UPDATE {table} SET version_num = $1 WHERE version_num = $2"),
                params: vec![to.clone(), from.clone()],
                expects_one_row: true,
            },
        }
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
