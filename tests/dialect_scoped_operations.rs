//! Operations for some dialects only (`dialect = ...` on an operation): one revision upgraded,
//! printed with `--sql` and downgraded on SQLite and on PostgreSQL, each running only its own
//! operations and their derived reverses; the guard judging only what runs on the database.

mod common;

use common::{Project, TestDatabase};

/// A table, an index on each dialect (PostgreSQL's with its own method), then a revision
/// dropping a column on PostgreSQL only.
fn files() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "a1_items.toml",
            r#"revision = "a1"

[[upgrade]]
op = "create_table"
table_name = "items"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "name", type = "text", nullable = true },
  { name = "note", type = "text", nullable = true },
]

[[upgrade]]
op = "create_index"
index_name = "ix_items_name_pg"
table_name = "items"
columns = ["name"]
postgresql_using = "hash"
dialect = "postgresql"

[[upgrade]]
op = "create_index"
index_name = "ix_items_name_lite"
table_name = "items"
columns = ["name"]
dialect = ["sqlite"]
"#,
        ),
        (
            "a2_drop_note.toml",
            r#"revision = "a2"
down_revision = "a1"

[[upgrade]]
op = "drop_column"
table_name = "items"
column_name = "note"
existing_column = { name = "note", type = "text", nullable = true }
dialect = "postgresql"
"#,
        ),
    ]
}

/// `--sql` output without identifier quotes, which SQLite's rendering puts everywhere.
fn unquoted(sql: String) -> String {
    sql.replace('"', "")
}

#[test]
fn each_dialect_runs_and_prints_only_its_own_operations_both_ways() {
    let lite = Project::sqlite(&files());
    let pg_db = TestDatabase::new();
    let pg = Project::new(&pg_db.url, &files());

    let lite_sql = unquoted(lite.ok(&["upgrade", "a1", "--sql"]));
    assert!(
        lite_sql.contains("CREATE INDEX ix_items_name_lite ON items (name)"),
        "{lite_sql}"
    );
    assert!(!lite_sql.contains("ix_items_name_pg"), "{lite_sql}");
    let pg_sql = unquoted(pg.ok(&["upgrade", "a1", "--sql"]));
    assert!(
        pg_sql.contains("CREATE INDEX ix_items_name_pg ON items USING hash (name)"),
        "{pg_sql}"
    );
    assert!(!pg_sql.contains("ix_items_name_lite"), "{pg_sql}");
    let lite_down_sql = unquoted(lite.ok(&[
        "downgrade",
        "a1:base",
        "--sql",
        "--allow-data-loss",
        "items",
    ]));
    assert!(
        lite_down_sql.contains("DROP INDEX ix_items_name_lite"),
        "{lite_down_sql}"
    );
    assert!(
        !lite_down_sql.contains("ix_items_name_pg"),
        "{lite_down_sql}"
    );
    let pg_down_sql = unquoted(pg.ok(&[
        "downgrade",
        "a1:base",
        "--sql",
        "--allow-data-loss",
        "items",
    ]));
    // The table existed before the downgrade: its index goes concurrently (src/ops/online.rs).
    assert!(
        pg_down_sql.contains("DROP INDEX CONCURRENTLY ix_items_name_pg"),
        "{pg_down_sql}"
    );
    assert!(!pg_down_sql.contains("ix_items_name_lite"), "{pg_down_sql}");

    // SQLite: a2 drops nothing there, so the guard lets it through.
    lite.ok(&["upgrade", "head"]);
    let lite_indexes =
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'items' ORDER BY name";
    assert_eq!(lite.sqlite_rows(lite_indexes), ["ix_items_name_lite"]);
    assert_eq!(
        lite.sqlite_rows("SELECT name FROM pragma_table_info('items') ORDER BY cid"),
        ["id", "name", "note"]
    );
    lite.ok(&["downgrade", "base"]);
    assert!(lite
        .sqlite_rows("SELECT name FROM sqlite_master WHERE name LIKE '%items%'")
        .is_empty());

    // PostgreSQL: its index, and a2's drop is the guard's to judge, online and in --sql.
    pg.ok(&["upgrade", "a1"]);
    let pg_indexes = "SELECT indexname || ' ' || split_part(indexdef, ' USING ', 2) FROM pg_indexes WHERE tablename = 'items' AND indexname LIKE 'ix_%'";
    assert_eq!(pg_db.strings(pg_indexes), ["ix_items_name_pg hash (name)"]);
    pg_db
        .client()
        .batch_execute("INSERT INTO items VALUES (1, 'kept', 'kept')")
        .unwrap();
    for args in [&["upgrade", "head"][..], &["upgrade", "a1:head", "--sql"]] {
        let (code, stderr) = pg.fails(args);
        assert_eq!(code, 3, "{args:?}: {stderr}");
        assert!(stderr.contains("drop_column items.note"), "{stderr}");
    }
    let columns = "SELECT column_name::text FROM information_schema.columns WHERE table_name = 'items' ORDER BY ordinal_position";
    pg.ok(&["upgrade", "head", "--allow-data-loss", "items.note"]);
    assert_eq!(pg_db.strings(columns), ["id", "name"]);
    // The derived add_column is for PostgreSQL too.
    pg.ok(&["downgrade", "a1"]);
    assert_eq!(pg_db.strings(columns), ["id", "name", "note"]);
    assert_eq!(pg_db.strings(pg_indexes), ["ix_items_name_pg hash (name)"]);
    pg.ok(&["downgrade", "base", "--allow-data-loss", "all"]);
    assert!(!pg_db.has_table("items"));
}

#[test]
fn an_unknown_dialect_is_bad_input_naming_the_file_and_the_value() {
    let project = Project::sqlite(&[(
        "a1_x.toml",
        "revision = \"a1\"\n\n[[upgrade]]\nop = \"drop_index\"\nindex_name = \"ix_a\"\ndialect = \"postgres\"\ncolumns = [\"a\"]\ntable_name = \"t\"\n",
    )]);
    let (code, stderr) = project.fails(&["upgrade", "head"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("a1_x.toml"), "{stderr}");
    assert!(stderr.contains("unknown dialect `postgres`"), "{stderr}");
}
