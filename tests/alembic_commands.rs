//! Alembic's smaller commands and flags as rmig takes them, on PostgreSQL and SQLite wherever
//! they read or write a database.

mod common;

use common::{as_refs, sql_revision, Project};

/// a1 -> b1 and a1 -> c1: two heads from one branch point.
fn two_heads() -> Vec<(String, String)> {
    vec![
        sql_revision("a1", &[], "CREATE TABLE a1 (x int)", "DROP TABLE a1"),
        sql_revision("b1", &["a1"], "CREATE TABLE b1 (x int)", "DROP TABLE b1"),
        sql_revision("c1", &["a1"], "CREATE TABLE c1 (x int)", "DROP TABLE c1"),
    ]
}

/// Regression: on SQLite the version table's schema text, which SQLite keeps as sent, had
/// four spaces where SQLAlchemy (and so Alembic, online) sends tabs; `--sql` keeps Alembic's
/// spaces.
#[test]
fn sqlite_version_table_text_was_not_alembics() {
    let alembics = "CREATE TABLE alembic_version (\n\tversion_num VARCHAR(32) NOT NULL, \n\tCONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n)";
    for first in [&["upgrade", "b1"][..]] {
        let project = Project::sqlite(&as_refs(&two_heads()));
        project.ok(first);
        assert_eq!(
            project.sqlite_rows("SELECT sql FROM sqlite_master WHERE name = 'alembic_version'"),
            [alembics],
            "{first:?}"
        );
    }
}
