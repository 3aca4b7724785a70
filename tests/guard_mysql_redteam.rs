//! Red-team findings against the static guard on MariaDB: revisions that destroyed or altered
//! rows that were there before the run, with no confirmation and no exit 3. Each test sets up
//! tables holding rows (revision `a1`), then runs one attacking revision (`b2`) and demands
//! that the guard refuses it before anything runs, with every row as it was.

mod common;

use common::mysql::MysqlTestDatabase;
use common::{revision, Project};

/// Rows in `t`, `u` and `e` that the attacking revision must not touch: one NULL `note`.
const SETUP: &str = r#"
[[upgrade]]
op = "execute"
mysql = """
CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL, note TEXT, big BIGINT);
INSERT INTO t VALUES (1, 'alice', 'hello world', 10000000000), (2, 'bob', 'second row', 20), (3, 'carol', NULL, 30);
CREATE TABLE u (id INT PRIMARY KEY, v VARCHAR(20));
INSERT INTO u VALUES (1, 'one'), (2, 'two');
CREATE TABLE e (id INT PRIMARY KEY, v ENUM('one', 'two'));
INSERT INTO e VALUES (1, 'one'), (2, 'two');
"""

[[downgrade]]
op = "execute"
mysql = "DROP TABLE t; DROP TABLE u; DROP TABLE e"
confirm_data_loss = "a1"
"#;

/// Every row of the three tables, as one line each (a missing table as one line saying so).
fn contents(db: &MysqlTestDatabase) -> Vec<String> {
    use mysql::prelude::Queryable;
    let mut conn = db.connection();
    [
        "SELECT CONCAT_WS('|', id, name, IFNULL(note, 'NULL'), big) FROM t ORDER BY id",
        "SELECT CONCAT_WS('|', id, IFNULL(v, 'NULL')) FROM u ORDER BY id",
        "SELECT CONCAT_WS('|', id, IFNULL(v, 'NULL')) FROM e ORDER BY id",
    ]
    .into_iter()
    .flat_map(|sql| {
        conn.query::<String, _>(sql)
            .unwrap_or_else(|error| vec![format!("{sql}: {error}")])
    })
    .collect()
}

/// The project at `a1`, its rows in place, with `b2` (`body`) to run.
fn attack(db: &MysqlTestDatabase, body: &str) -> Project {
    let files = [
        revision("a1", None, SETUP),
        revision(
            "b2",
            Some("a1"),
            &format!("{body}\n[[downgrade]]\nop = \"execute\"\nmysql = \"SELECT 1\"\n"),
        ),
    ];
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(name, text)| (name.as_str(), text.as_str()))
        .collect();
    let project = Project::new(&db.url, &files);
    project.ok(&["upgrade", "a1"]);
    project
}

/// `upgrade head` must stop with exit 3 before running anything: every row as before, the
/// database still at `a1`.
fn assert_refused(body: &str) -> String {
    let db = MysqlTestDatabase::new();
    let project = attack(&db, body);
    let before = contents(&db);
    let output = project.run(&["upgrade", "head"]);
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    let after = contents(&db);
    assert_eq!(
        before,
        after,
        "rows changed (exit {:?}): {stderr}",
        output.status.code()
    );
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert_eq!(db.rows("SELECT version_num FROM alembic_version"), ["a1"]);
    stderr
}

#[test]
fn create_or_replace_table_is_a_drop() {
    let stderr = assert_refused(
        r#"
[[upgrade]]
op = "execute"
mysql = "CREATE OR REPLACE TABLE t (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL, note TEXT, big BIGINT)"
"#,
    );
    assert!(stderr.contains("CREATE OR REPLACE TABLE"), "{stderr}");
}

#[test]
fn create_or_replace_table_as_select_is_a_drop() {
    assert_refused(
        r#"
[[upgrade]]
op = "execute"
mysql = "CREATE OR REPLACE TABLE u SELECT 1 AS id, 'one' AS v"
"#,
    );
}

#[test]
fn mariadb_executable_comment_hides_a_drop_column() {
    // MariaDB runs what `/*M! ... */` holds; the parser read it as a comment.
    assert_refused(
        r#"
[[upgrade]]
op = "execute"
mysql = "ALTER TABLE t ADD COLUMN z INT /*M!, DROP COLUMN note */"
"#,
    );
}

#[test]
fn mariadb_versioned_executable_comment_hides_a_drop_column() {
    assert_refused(
        r#"
[[upgrade]]
op = "execute"
mysql = "ALTER TABLE t ADD COLUMN z INT /*M!100000 , DROP COLUMN note */"
"#,
    );
}

#[test]
fn no_backslash_escapes_sql_mode_unhides_a_drop_in_a_string() {
    // With NO_BACKSLASH_ESCAPES, `'a\'` ends at the second quote and DROP TABLE runs; the
    // guard (and the statement splitter) read `\'` as an escaped quote.
    assert_refused(
        r#"
[[upgrade]]
op = "execute"
mysql = "SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES'"

[[upgrade]]
op = "execute"
mysql = """SELECT 'a\\'; DROP TABLE t; -- '"""
"#,
    );
}

#[test]
fn empty_sql_mode_lets_not_null_turn_nulls_into_empty_strings() {
    // Strict mode refuses `MODIFY note text NOT NULL` over a NULL; without it, MariaDB writes ''.
    assert_refused(
        r#"
[[upgrade]]
op = "execute"
mysql = "SET sql_mode = ''"

[[upgrade]]
op = "alter_column"
table_name = "t"
column_name = "note"
comment = "a comment, nothing else"
existing_type = "text"
existing_nullable = false
"#,
    );
}

#[test]
fn empty_sql_mode_lets_an_enum_lie_blank_values() {
    // existing_type is not compared for enums, and without strict mode 'two' becomes ''.
    assert_refused(
        r#"
[[upgrade]]
op = "execute"
mysql = "SET sql_mode = ''"

[[upgrade]]
op = "alter_column"
table_name = "e"
column_name = "v"
type_ = { enum = "m", values = ["one", "three", "four"] }
existing_type = { enum = "m", values = ["one", "three"] }
existing_nullable = true
"#,
    );
}

#[test]
fn empty_sql_mode_lets_an_existing_sql_type_lie_truncate() {
    assert_refused(
        r#"
[[upgrade]]
op = "execute"
mysql = "SET sql_mode = ''"

[[upgrade]]
op = "alter_column"
table_name = "t"
column_name = "note"
sql_type = "VARCHAR(4)"
existing_sql_type = "VARCHAR(3)"
existing_nullable = true
"#,
    );
}

#[test]
fn multi_table_update_passes_as_a_backfill_of_an_added_column() {
    // `t.v` was added by the plan, so the UPDATE counted as its backfill; `u.v` is overwritten.
    assert_refused(
        r#"
[[upgrade]]
op = "add_column"
table_name = "t"
column = { name = "v", type = "varchar(20)", nullable = true }

[[upgrade]]
op = "execute"
mysql = "UPDATE t JOIN u ON t.id = u.id SET t.v = 'new', u.v = 'pwned'"
"#,
    );
}

#[test]
fn a_temporary_table_makes_the_real_one_count_as_created_by_the_plan() {
    assert_refused(
        r#"
[[upgrade]]
op = "execute"
mysql = "CREATE TEMPORARY TABLE t (id INT)"

[[upgrade]]
op = "execute"
mysql = "DROP TEMPORARY TABLE t"

[[upgrade]]
op = "execute"
mysql = "DELETE FROM t"
"#,
    );
}

#[test]
fn a_table_created_in_another_schema_makes_the_real_one_count_as_created() {
    let db = MysqlTestDatabase::new();
    let other = format!("{}_other", db.name);
    struct DropSchema(String, mysql::Conn);
    impl Drop for DropSchema {
        fn drop(&mut self) {
            use mysql::prelude::Queryable;
            let _ = self
                .1
                .query_drop(format!("DROP DATABASE IF EXISTS {}", self.0));
        }
    }
    let cleanup = DropSchema(other.clone(), db.connection());
    let project = attack(
        &db,
        &format!(
            r#"
[[upgrade]]
op = "execute"
mysql = "CREATE SCHEMA IF NOT EXISTS {other}"

[[upgrade]]
op = "create_table"
schema = "{other}"
table_name = "t"
columns = [ {{ name = "id", type = "integer", primary_key = true }} ]

[[upgrade]]
op = "drop_table"
table_name = "t"
"#
        ),
    );
    let before = contents(&db);
    let output = project.run(&["upgrade", "head"]);
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert_eq!(before, contents(&db));
    drop(cleanup);
}

#[test]
fn a_plan_created_table_dropped_in_sql_then_replaced_by_a_rename_is_dropped_unconfirmed() {
    assert_refused(
        r#"
[[upgrade]]
op = "create_table"
table_name = "scratch"
columns = [ { name = "id", type = "integer", primary_key = true } ]

[[upgrade]]
op = "execute"
mysql = "DROP TABLE scratch; ALTER TABLE t RENAME TO scratch"

[[upgrade]]
op = "drop_table"
table_name = "scratch"
"#,
    );
}

#[test]
fn a_plan_created_table_dropped_in_sql_then_replaced_by_rename_table_is_dropped_unconfirmed() {
    assert_refused(
        r#"
[[upgrade]]
op = "create_table"
table_name = "scratch"
columns = [ { name = "id", type = "integer", primary_key = true } ]

[[upgrade]]
op = "execute"
mysql = "DROP TABLE scratch"

[[upgrade]]
op = "rename_table"
old_table_name = "t"
new_table_name = "scratch"

[[upgrade]]
op = "drop_table"
table_name = "scratch"
"#,
    );
}

// ---------------------------------------------------------------------------------------------
// What the docs say is refused, and is

#[test]
fn held_versioned_comment_prepared_statements_and_unknown_mysql_statements() {
    for sql in [
        "SELECT 1 /*!50000 ; DROP TABLE t */",
        "SET @x = 'DROP TABLE t'; PREPARE s FROM @x; EXECUTE s",
        "REPLACE INTO u (id, v) VALUES (1, 'x')",
        "INSERT INTO u (id, v) VALUES (1, 'x') ON DUPLICATE KEY UPDATE v = 'x'",
        "RENAME TABLE t TO t_old, u TO t",
        "ALTER TABLE t ENGINE = BLACKHOLE",
        "ALTER TABLE t MODIFY note VARCHAR(3)",
        "ALTER TABLE t CONVERT TO CHARACTER SET latin1",
        "LOAD DATA INFILE '/etc/hostname' REPLACE INTO TABLE u",
        "HANDLER t OPEN",
        "CALL p()",
        "DELIMITER //\nDROP TABLE t //\nDELIMITER ;",
        "CREATE TRIGGER tr AFTER INSERT ON u FOR EACH ROW DELETE FROM t; INSERT INTO u VALUES (3, 'x')",
    ] {
        let body = format!(
            "[[upgrade]]\nop = \"execute\"\nmysql = \"\"\"{}\"\"\"\n",
            sql.replace('\\', "\\\\")
        );
        assert_refused(&body);
    }
}
