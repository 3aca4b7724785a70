//! rmig on MySQL/MariaDB, through the `rmig` binary against the real server (the local
//! MariaDB; a database per test): every operation applied and reversed with the rows kept, the
//! guard refusing each kind of destruction before anything runs (with row counts), concurrent
//! upgrades applying each revision once, and a statement failing mid-revision reported
//! exactly, in the error and in the audit table.

mod common;

use common::mysql::MysqlTestDatabase;
use common::{revision, Project};

fn project(db: &MysqlTestDatabase, files: &[(String, String)]) -> Project {
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(name, text)| (name.as_str(), text.as_str()))
        .collect();
    Project::new(&db.url, &files)
}

/// Every table's `SHOW CREATE TABLE` but rmig's own, the AUTO_INCREMENT counter left out: the
/// schema as MySQL itself states it.
fn schema(db: &MysqlTestDatabase) -> Vec<String> {
    use mysql::prelude::Queryable;
    let mut conn = db.connection();
    let tables: Vec<String> = conn
        .query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT IN ('alembic_version', 'rmig_history') ORDER BY TABLE_NAME")
        .unwrap();
    tables
        .iter()
        .map(|table| {
            let (_, create): (String, String) = conn
                .query_first(format!("SHOW CREATE TABLE `{table}`"))
                .unwrap()
                .unwrap();
            create
                .split(' ')
                .filter(|word| !word.starts_with("AUTO_INCREMENT="))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn exec(db: &MysqlTestDatabase, sql: &str) {
    use mysql::prelude::Queryable;
    db.connection().query_drop(sql).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Every operation, up and back down

/// One revision per kind of operation, each reversible (derived or written), over a table
/// that holds rows from the first revision on.
fn every_operation() -> Vec<(String, String)> {
    vec![
        revision(
            "a1",
            None,
            r#"
[[upgrade]]
op = "create_table"
table_name = "teams"
comment = "one per team"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "name", type = "varchar(64)", nullable = false, unique = true },
]

[[upgrade]]
op = "create_table"
table_name = "members"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "handle", type = "varchar(32)", nullable = false, comment = "public name" },
  { name = "status", type = "varchar(16)", nullable = false, server_default = "'new'" },
  { name = "mood", type = { enum = "mood", values = ["happy", "sad"] } },
  { name = "team_id", type = "integer", foreign_key = { table = "teams", column = "id", name = "fk_members_team", ondelete = "CASCADE" } },
  { name = "score", type = "numeric(6,2)" },
]
constraints = [{ type = "check", name = "ck_members_score", condition = "score >= 0" }]

[[upgrade]]
op = "bulk_insert"
table_name = "teams"
rows = [ { id = 1, name = "compilers" }, { id = 2, name = "kernels" } ]

[[upgrade]]
op = "bulk_insert"
table_name = "members"
rows = [
  { id = 1, handle = "ada", team_id = 1, score = 1.5, mood = "happy" },
  { id = 2, handle = "linus", team_id = 2, score = 2.25 },
]

[[downgrade]]
op = "drop_table"
table_name = "members"
confirm_data_loss = "members"

[[downgrade]]
op = "drop_table"
table_name = "teams"
confirm_data_loss = "teams"
"#,
        ),
        revision(
            "b2",
            Some("a1"),
            r#"
[[upgrade]]
op = "add_column"
table_name = "members"
column = { name = "joined", type = "timestamp", nullable = false, server_default = "CURRENT_TIMESTAMP" }

[[upgrade]]
op = "add_column"
table_name = "members"
column = { name = "mentor_id", type = "integer", foreign_key = { table = "members", column = "id", name = "fk_members_mentor" } }
"#,
        ),
        revision(
            "c3",
            Some("b2"),
            r#"
[[upgrade]]
op = "alter_column"
table_name = "members"
column_name = "handle"
type_ = "varchar(64)"
existing_type = "varchar(32)"
existing_nullable = false
existing_comment = "public name"

[[upgrade]]
op = "alter_column"
table_name = "members"
column_name = "status"
server_default = "'active'"
existing_server_default = "'new'"

[[upgrade]]
op = "alter_column"
table_name = "members"
column_name = "score"
new_column_name = "points"
"#,
        ),
        revision(
            "d4",
            Some("c3"),
            r#"
[[upgrade]]
op = "create_index"
index_name = "ix_members_handle"
table_name = "members"
columns = ["handle", "status"]
unique = true

[[upgrade]]
op = "create_unique_constraint"
constraint_name = "uq_teams_name_id"
table_name = "teams"
columns = ["name", "id"]

[[upgrade]]
op = "create_check_constraint"
constraint_name = "ck_members_handle"
table_name = "members"
condition = "char_length(handle) > 0"

[[upgrade]]
op = "rename_index"
old_index_name = "ix_members_handle"
new_index_name = "ix_members_handle_status"
table_name = "members"

[[upgrade]]
op = "create_table_comment"
table_name = "members"
comment = "who is in which team"
"#,
        ),
        revision(
            "e5",
            Some("d4"),
            r#"
[[upgrade]]
op = "rename_table"
old_table_name = "teams"
new_table_name = "squads"

[[upgrade]]
op = "execute"
mysql = "UPDATE squads SET name = concat(name, '!') WHERE id = 2"
sqltext = "SELECT 1"
confirm_data_loss = "e5"

[[downgrade]]
op = "execute"
mysql = "UPDATE squads SET name = trim(trailing '!' from name) WHERE id = 2"
sqltext = "SELECT 1"
confirm_data_loss = "e5"

[[downgrade]]
op = "rename_table"
old_table_name = "squads"
new_table_name = "teams"
"#,
        ),
    ]
}

#[test]
fn every_operation_applies_and_reverses_keeping_the_rows() {
    let db = MysqlTestDatabase::new();
    let files = every_operation();
    let project = project(&db, &files);
    let ids = ["a1", "b2", "c3", "d4", "e5"];
    let mut schemas = vec![schema(&db)];
    for id in ids {
        project.ok(&["upgrade", id]);
        schemas.push(schema(&db));
    }
    insta::assert_snapshot!(schema(&db).join("\n\n"));
    assert_eq!(
        db.rows("SELECT concat_ws('|', id, handle, status, mood, team_id, points) FROM members ORDER BY id"),
        ["1|ada|new|happy|1|1.50", "2|linus|new|2|2.25"]
    );
    assert_eq!(
        db.rows("SELECT concat(id, '|', name) FROM squads ORDER BY id"),
        ["1|compilers", "2|kernels!"]
    );
    assert_eq!(db.rows("SELECT version_num FROM alembic_version"), ["e5"]);

    // Down one revision at a time: each leaves the schema it found, and the rows stay.
    for (position, id) in ids.iter().enumerate().rev().skip(1) {
        // Dropping the columns b2 added and narrowing what c3 widened may lose values: what
        // each downgrade destroys is allowed for it by name.
        let reversed = format!("--allow-data-loss=revision:{}", ids[position + 1]);
        project.ok(&["downgrade", id, &reversed]);
        assert_eq!(schema(&db), schemas[position + 1], "downgrade to {id}");
    }
    assert_eq!(
        db.rows("SELECT concat_ws('|', id, handle, status, mood, team_id, score) FROM members ORDER BY id"),
        ["1|ada|new|happy|1|1.50", "2|linus|new|2|2.25"]
    );
    assert_eq!(
        db.rows("SELECT name FROM teams ORDER BY id"),
        ["compilers", "kernels"]
    );
    project.ok(&["downgrade", "base"]);
    assert_eq!(schema(&db), schemas[0]);
    assert!(db
        .rows("SELECT version_num FROM alembic_version")
        .is_empty());
}

#[test]
fn the_version_table_is_alembics() {
    let db = MysqlTestDatabase::new();
    let project = project(&db, &every_operation()[..1]);
    project.ok(&["upgrade", "head"]);
    use mysql::prelude::Queryable;
    let (_, create): (String, String) = db
        .connection()
        .query_first("SHOW CREATE TABLE alembic_version")
        .unwrap()
        .unwrap();
    assert!(
        create.contains("`version_num` varchar(32) NOT NULL")
            && create.contains("PRIMARY KEY (`version_num`)"),
        "{create}"
    );
    assert_eq!(db.rows("SELECT version_num FROM alembic_version"), ["a1"]);
}

// ---------------------------------------------------------------------------------------------
// The guard, before anything runs

/// A downgrade list for revisions whose upgrade cannot be reversed, in tests that never
/// downgrade.
const NOTHING_TO_UNDO: &str = "\n[[downgrade]]\nop = \"execute\"\nsqltext = \"SELECT 1\"\n";

/// Three rows in `t` (a, b, c) and a log table with a trigger on `t`; revision a1 makes them.
fn guarded(body: &str) -> Vec<(String, String)> {
    vec![
        revision(
            "a1",
            None,
            r#"
[[upgrade]]
op = "execute"
mysql = """
CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(50), note VARCHAR(50));
INSERT INTO t VALUES (1, 'a', 'x'), (2, 'b', NULL), (3, 'c', 'z');
CREATE TABLE audit (id INT PRIMARY KEY);
CREATE TRIGGER audit_wipes_t AFTER INSERT ON audit FOR EACH ROW DELETE FROM t;
"""

[[downgrade]]
op = "execute"
sqltext = "DROP TABLE audit; DROP TABLE t"
confirm_data_loss = "a1"
"#,
        ),
        revision("b2", Some("a1"), &format!("{body}{NOTHING_TO_UNDO}")),
    ]
}

#[test]
fn the_guard_refuses_each_kind_of_destruction_with_its_count_before_running_anything() {
    let cases = [
        (
            "drop_table",
            "[[upgrade]]\nop = \"drop_table\"\ntable_name = \"t\"\n",
            "3 rows",
        ),
        (
            "drop_column",
            "[[upgrade]]\nop = \"drop_column\"\ntable_name = \"t\"\ncolumn_name = \"note\"\n",
            "2 non-null values",
        ),
        (
            "narrowing type change",
            "[[upgrade]]\nop = \"alter_column\"\ntable_name = \"t\"\ncolumn_name = \"name\"\ntype_ = \"varchar(1)\"\nexisting_type = \"varchar(50)\"\n",
            "3 non-null values",
        ),
        (
            "DELETE",
            "[[upgrade]]\nop = \"execute\"\nsqltext = \"DELETE FROM t\"\n",
            "3 rows",
        ),
        (
            "UPDATE",
            "[[upgrade]]\nop = \"execute\"\nsqltext = \"UPDATE t SET name = 'x' WHERE id > 1\"\n",
            "t",
        ),
        (
            "TRUNCATE",
            "[[upgrade]]\nop = \"execute\"\nsqltext = \"TRUNCATE TABLE t\"\n",
            "3 rows",
        ),
        (
            "insert into a table whose trigger deletes",
            "[[upgrade]]\nop = \"bulk_insert\"\ntable_name = \"audit\"\nrows = [{ id = 1 }]\n",
            "trigger",
        ),
        (
            "SQL the guard cannot read",
            "[[upgrade]]\nop = \"execute\"\nsqltext = \"CALL wipe_everything()\"\n",
            "CALL",
        ),
    ];
    for (kind, body, count) in cases {
        let db = MysqlTestDatabase::new();
        let project = project(&db, &guarded(body));
        project.ok(&["upgrade", "a1"]);
        let schema_before = schema(&db);
        let (code, stderr) = project.fails(&["upgrade", "head"]);
        assert_eq!(code, 3, "{kind}: {stderr}");
        assert!(
            stderr.contains("nothing was run") && stderr.contains(count),
            "{kind}: {stderr}"
        );
        assert_eq!(schema(&db), schema_before, "{kind}");
        assert_eq!(db.rows("SELECT name FROM t ORDER BY id"), ["a", "b", "c"]);
        assert_eq!(db.rows("SELECT version_num FROM alembic_version"), ["a1"]);
    }
}

#[test]
fn a_confirmed_drop_runs_and_an_empty_table_still_needs_confirming() {
    let db = MysqlTestDatabase::new();
    let body = "[[upgrade]]\nop = \"drop_table\"\ntable_name = \"audit\"\n";
    let project = project(&db, &guarded(body));
    project.ok(&["upgrade", "a1"]);
    // Nothing verifies on MySQL, so even an empty table's drop is refused: the count is
    // shown, but the step could not be undone if the table filled meanwhile.
    let (code, stderr) = project.fails(&["upgrade", "head"]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("0 rows"), "{stderr}");
    project.ok(&["upgrade", "head", "--allow-data-loss=table:audit"]);
    assert_eq!(db.rows("SELECT version_num FROM alembic_version"), ["b2"]);
}

// ---------------------------------------------------------------------------------------------
// Concurrent runs

#[test]
fn concurrent_upgrades_apply_each_revision_once() {
    let db = MysqlTestDatabase::new();
    let files: Vec<(String, String)> = (0..6)
        .map(|n| {
            let id = format!("r{n}");
            let down = (n > 0).then(|| format!("r{}", n - 1));
            revision(
                &id,
                down.as_deref(),
                &format!(
                    "[[upgrade]]\nop = \"execute\"\nmysql = \"CREATE TABLE t{n} (id INT); INSERT INTO applied VALUES ('{id}')\"\nsqltext = \"SELECT 1\"\n{NOTHING_TO_UNDO}"
                ),
            )
        })
        .collect();
    exec(&db, "CREATE TABLE applied (revision VARCHAR(8))");
    let project = project(&db, &files);
    let runs: Vec<std::process::Child> = (0..4)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_rmig"))
                .args(["upgrade", "head"])
                .current_dir(project.path())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for run in runs {
        let output = run.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert_eq!(
        db.rows("SELECT revision FROM applied ORDER BY revision"),
        ["r0", "r1", "r2", "r3", "r4", "r5"]
    );
    assert_eq!(db.rows("SELECT version_num FROM alembic_version"), ["r5"]);
    assert_eq!(
        db.rows("SELECT count(*) FROM rmig_history WHERE state = 'applied'"),
        ["6"]
    );
}

// ---------------------------------------------------------------------------------------------
// A statement failing mid-revision

#[test]
fn a_statement_failing_mid_revision_is_reported_exactly_and_recorded() {
    let db = MysqlTestDatabase::new();
    let files = vec![revision(
        "a1",
        None,
        r#"
[[upgrade]]
op = "create_table"
table_name = "first"
columns = [{ name = "id", type = "integer", primary_key = true }]

[[upgrade]]
op = "execute"
mysql = "CREATE TABLE second (id INT); INSERT INTO missing VALUES (1); CREATE TABLE third (id INT)"
sqltext = "SELECT 1"

[[upgrade]]
op = "create_table"
table_name = "fourth"
columns = [{ name = "id", type = "integer", primary_key = true }]

[[downgrade]]
op = "execute"
sqltext = "SELECT 1"
"#,
    )];
    let project = project(&db, &files);
    let (code, stderr) = project.fails(&["upgrade", "head"]);
    assert_eq!(code, 1, "{stderr}");
    for part in [
        "operation 2 (execute",
        "at its statement 2, after the one before it ran and stays",
        "MySQL/MariaDB, which commit each statement as it runs",
        "operation 1 (create_table first) ran and stays applied",
        "operation 3 (create_table fourth) did not run",
        "missing",
        "the version table was not moved",
    ] {
        assert!(stderr.contains(part), "{part:?} not in: {stderr}");
    }
    let tables = db.rows(
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME",
    );
    assert_eq!(
        tables,
        ["alembic_version", "first", "rmig_history", "second"]
    );
    assert!(db
        .rows("SELECT version_num FROM alembic_version")
        .is_empty());
    assert_eq!(
        db.rows("SELECT concat(revision, '|', state, '|', operations_applied) FROM rmig_history"),
        ["a1|failed|1"]
    );

    assert_eq!(
        db.rows("SELECT error LIKE '%at its statement 2, after the one before it ran%' FROM rmig_history"),
        ["1"]
    );

    // The next run says what already ran before running it again.
    let (code, stderr) = project.fails(&["upgrade", "head"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr
            .contains("an earlier upgrade of a1 failed after operation 1 (create_table first) ran"),
        "{stderr}"
    );
}

// ---------------------------------------------------------------------------------------------
// Waiting for another session's lock

#[test]
fn a_statement_that_gives_up_on_a_metadata_lock_runs_again_once_the_lock_is_free() {
    use mysql::prelude::Queryable;
    let db = MysqlTestDatabase::new();
    let files = vec![
        revision(
            "a1",
            None,
            "[[upgrade]]\nop = \"create_table\"\ntable_name = \"t\"\ncolumns = [{ name = \"id\", type = \"integer\", primary_key = true }]\n",
        ),
        revision(
            "b2",
            Some("a1"),
            "[[upgrade]]\nop = \"add_column\"\ntable_name = \"t\"\ncolumn = { name = \"x\", type = \"integer\" }\n",
        ),
    ];
    let project = project(&db, &files);
    project.ok(&["upgrade", "a1"]);
    // An application's open transaction that read t holds its metadata lock: the ALTER
    // waits for it, gives up after lock_wait_timeout (1 s), and the step runs again.
    let mut application = db.connection();
    application.query_drop("START TRANSACTION").unwrap();
    application.query_drop("SELECT * FROM t").unwrap();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_rmig"))
        .args(["upgrade", "head"])
        .current_dir(project.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2500));
    application.query_drop("COMMIT").unwrap();
    let output = run.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("gave up waiting for a lock and left nothing behind")
            && stderr.contains("ERROR 1205")
            && stderr.contains("retry 1 of at most 20"),
        "{stderr}"
    );
    assert_eq!(db.rows("SELECT version_num FROM alembic_version"), ["b2"]);
    assert_eq!(
        db.rows("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't' ORDER BY ORDINAL_POSITION"),
        ["id", "x"]
    );
}
