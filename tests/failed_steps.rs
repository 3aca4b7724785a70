//! Issue 15: failed steps told as they are. A `transactional = false` revision that fails
//! part-way says which operations ran and stay, and what to do; an error at the commit (a
//! deferred constraint) names the revision, the server's message and where the database was
//! left, not rmig's own statements; every failed step is recorded in `rmig_history` with the
//! state `failed`, and a rerun of a half-applied revision is warned about before it runs.

mod common;

use common::{as_refs, sql_revision, Project, TestDatabase};

/// One line on stderr, `rmig: error: ...`, exit 1; returns it.
#[track_caller]
fn one_error_line(project: &Project, args: &[&str]) -> String {
    let output = project.run(args);
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("rmig: error: "))
        .collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[track_caller]
fn assert_contains(text: &str, expected: &[&str]) {
    for expected in expected {
        assert!(text.contains(expected), "no {expected:?} in: {text}");
    }
}

/// A revision file with the given header lines and `[[upgrade]]` execute operations.
fn revision(id: &str, down: Option<&str>, header: &str, upgrade: &[&str]) -> (String, String) {
    let mut text = format!("revision = \"{id}\"\nmessage = \"{id}\"\ndowngrade = []\n{header}");
    if let Some(down) = down {
        text = format!("down_revision = \"{down}\"\n{text}");
    }
    for sql in upgrade {
        text.push_str(&format!(
            "\n[[upgrade]]\nop = \"execute\"\nsqltext = \"{sql}\"\n"
        ));
    }
    (format!("{id}_rev.toml"), text)
}

/// a1 creates t1; b2 (not transactional) creates p1 and p2, then fails on a missing table
/// before creating p4.
fn half_applied_files() -> Vec<(String, String)> {
    vec![
        sql_revision(
            "a1000000",
            &[],
            "CREATE TABLE t1 (x integer)",
            "DROP TABLE t1",
        ),
        revision(
            "b2000000",
            Some("a1000000"),
            "transactional = false\n",
            &[
                "CREATE TABLE p1 (x integer)",
                "CREATE TABLE p2 (x integer)",
                "INSERT INTO no_such_table VALUES (1)",
                "CREATE TABLE p4 (x integer)",
            ],
        ),
    ]
}

#[test]
fn non_transactional_failure_at_operation_3_says_which_operations_ran_and_what_to_do() {
    let db = TestDatabase::new();
    let files = half_applied_files();
    let project = Project::new(&db.url, &as_refs(&files));
    let stderr = one_error_line(&project, &["upgrade", "head"]);
    assert_contains(
        &stderr,
        &[
            "upgrade a1000000 -> b2000000, b2000000 failed in operation 3 (execute SQL)",
            "relation \"no_such_table\" does not exist",
            "b2000000 is not transactional, so operations 1 (execute SQL) and 2 (execute SQL) ran and stay applied, and operation 4 (execute SQL) did not run",
            "the version table was not moved: it still says a1000000",
            "undo operations 1-2 by hand or make the revision's operations idempotent, then run it again",
            "`rmig stamp b2000000`",
        ],
    );
    assert!(!stderr.contains("the database stays at"), "{stderr}");
    assert!(db.has_table("p1") && db.has_table("p2") && !db.has_table("p4"));
    assert_eq!(
        db.strings("SELECT version_num::text FROM alembic_version"),
        vec!["a1000000"]
    );
    // The attempt is recorded, failed, with the error and how many operations stayed.
    assert_eq!(
        db.rows(
            "SELECT revision || ' ' || direction || ' ' || coalesce(state, 'NULL') || ' ' \
             || coalesce(operations_applied::text, 'NULL') || ' ' || (checksum IS NULL) || ' ' \
             || (duration_ms >= 0) FROM rmig.rmig_history ORDER BY id"
        ),
        vec![
            "a1000000 upgrade applied NULL false true",
            "b2000000 upgrade failed 2 true true"
        ]
    );
    let error = db.rows("SELECT error FROM rmig.rmig_history WHERE state = 'failed'");
    assert!(error[0].contains("no_such_table"), "{error:?}");

    // The rerun is warned about before it runs, and fails on operation 1, whose table stayed.
    let stderr = one_error_line(&project, &["upgrade", "head"]);
    assert_contains(
        &stderr,
        &[
            "rmig: warning: an earlier upgrade of b2000000 failed after operations 1 (execute SQL) and 2 (execute SQL) ran outside a transaction and stayed applied (recorded in rmig.rmig_history)",
            "failed in operation 1 (execute SQL)",
            "relation \"p1\" already exists",
        ],
    );
    let warning = stderr.find("rmig: warning: an earlier").unwrap();
    let error = stderr.find("rmig: error:").unwrap();
    assert!(warning < error, "the warning comes first: {stderr}");
    // The second attempt kept nothing, but the first one's operations still stand.
    let stderr = one_error_line(&project, &["upgrade", "head"]);
    assert!(
        stderr.contains("rmig: warning: an earlier upgrade of b2000000"),
        "{stderr}"
    );

    // Made idempotent, the rerun completes, without a warning once it is applied.
    let (name, text) = revision(
        "b2000000",
        Some("a1000000"),
        "transactional = false\n",
        &[
            "CREATE TABLE IF NOT EXISTS p1 (x integer)",
            "CREATE TABLE IF NOT EXISTS p2 (x integer)",
            "CREATE TABLE IF NOT EXISTS p4 (x integer)",
        ],
    );
    std::fs::write(project.path().join("revisions").join(name), text).unwrap();
    let output = project.run(&["upgrade", "head"]);
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("an earlier upgrade"));
    assert_eq!(
        db.rows("SELECT coalesce(state, 'NULL') FROM rmig.rmig_history ORDER BY id"),
        vec!["applied", "failed", "failed", "failed", "applied"]
    );
    project.ok(&["downgrade", "a1000000"]);
    let (_, log) = project.streams(&["upgrade", "head"]);
    assert!(
        log.lines().all(|line| line.starts_with("Running upgrade")),
        "only the steps, no warning: {log}"
    );
}

#[test]
fn non_transactional_failure_at_operation_3_says_which_operations_ran_sqlite() {
    let project = Project::sqlite(&as_refs(&half_applied_files()));
    let stderr = one_error_line(&project, &["upgrade", "head"]);
    assert_contains(
        &stderr,
        &[
            "failed in operation 3 (execute SQL)",
            "no such table: no_such_table",
            "operations 1 (execute SQL) and 2 (execute SQL) ran and stay applied",
            "the version table was not moved: it still says a1000000",
        ],
    );
    assert_eq!(
        project.sqlite_rows(
            "SELECT revision, state, operations_applied FROM rmig_history ORDER BY id"
        ),
        vec!["a1000000|applied|NULL", "b2000000|failed|2"]
    );
}

/// a1, then b2 inserting a duplicate into a column whose unique constraint is checked at the
/// commit, then c3.
fn deferred_unique_files() -> Vec<(String, String)> {
    vec![
        sql_revision(
            "a1000000",
            &[],
            "CREATE TABLE t1 (x integer)",
            "DROP TABLE t1",
        ),
        revision(
            "b2000000",
            Some("a1000000"),
            "",
            &[
                "CREATE TABLE t (x integer UNIQUE DEFERRABLE INITIALLY DEFERRED)",
                "INSERT INTO t VALUES (1), (1)",
            ],
        ),
        sql_revision(
            "c3000000",
            &["b2000000"],
            "CREATE TABLE t3 (x integer)",
            "DROP TABLE t3",
        ),
    ]
}

#[test]
fn deferred_unique_violation_at_commit_names_the_revision_postgres() {
    let db = TestDatabase::new();
    let project = Project::new(&db.url, &as_refs(&deferred_unique_files()));
    let stderr = one_error_line(&project, &["upgrade", "head"]);
    assert_contains(
        &stderr,
        &[
            "upgrade a1000000 -> b2000000, b2000000 failed at its commit:",
            "duplicate key value violates unique constraint \"t_x_key\"",
            "the commit rolled back, so the database stays at a1000000",
        ],
    );
    for rmig_own in ["SET CONSTRAINTS", "COMMIT", "SELECT version_num"] {
        assert!(!stderr.contains(rmig_own), "{rmig_own:?} in: {stderr}");
    }
    assert!(!db.has_table("t"));
    assert_eq!(
        db.rows("SELECT revision || ' ' || state FROM rmig.rmig_history ORDER BY id"),
        vec!["a1000000 applied", "b2000000 failed"]
    );

    // In one transaction (b2 and c3), where the run started.
    let stderr = one_error_line(&project, &["upgrade", "head", "--one-transaction"]);
    assert_contains(
        &stderr,
        &[
            "upgrade a1000000 -> b2000000, b2000000 failed at its commit:",
            "duplicate key value violates unique constraint \"t_x_key\"",
            "the commit rolled back, so the database stays at a1000000",
        ],
    );
    assert!(!db.has_table("t") && !db.has_table("t3"));
    assert_eq!(
        db.rows("SELECT revision || ' ' || state FROM rmig.rmig_history ORDER BY id"),
        vec!["a1000000 applied", "b2000000 failed", "b2000000 failed"]
    );
}

/// a1 turns SQLite's foreign keys on for the connection (outside a transaction), b2 inserts
/// an orphan under a foreign key checked at the commit, c3 follows.
fn deferred_foreign_key_files() -> Vec<(String, String)> {
    vec![
        revision(
            "a1000000",
            None,
            "transactional = false\n",
            &["PRAGMA foreign_keys = ON"],
        ),
        revision(
            "b2000000",
            Some("a1000000"),
            "",
            &[
                "CREATE TABLE parent (id INTEGER PRIMARY KEY)",
                "CREATE TABLE child (pid INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)",
                "INSERT INTO child VALUES (7)",
            ],
        ),
        sql_revision("c3000000", &["b2000000"], "CREATE TABLE t3 (x integer)", "DROP TABLE t3"),
    ]
}

#[test]
fn deferred_foreign_key_violation_at_commit_names_the_revision_sqlite() {
    let project = Project::sqlite(&as_refs(&deferred_foreign_key_files()));
    let expected = [
        "upgrade a1000000 -> b2000000, b2000000 failed at its commit: FOREIGN KEY constraint failed",
        "the commit rolled back, so the database stays at a1000000",
    ];
    // b2 last (its own COMMIT), then followed by c3 (COMMIT, BEGIN and the next read).
    for target in ["b2000000", "head"] {
        // The pragma holds for a1's connection only: each run starts from an empty file.
        let _ = std::fs::remove_file(project.sqlite_path());
        let stderr = one_error_line(&project, &["upgrade", target]);
        assert_contains(&stderr, &expected);
        assert!(!stderr.contains("`COMMIT"), "{stderr}");
        assert_eq!(project.heads(), vec!["a1000000".to_string()]);
    }

    std::fs::remove_file(project.sqlite_path()).unwrap();
    let stderr = one_error_line(&project, &["upgrade", "head", "--one-transaction"]);
    assert_contains(
        &stderr,
        &[
            "the transaction of 2 steps (b2000000, c3000000) failed at its commit: FOREIGN KEY constraint failed",
            "the commit rolled back, so the database stays at a1000000",
        ],
    );
    assert_eq!(project.heads(), vec!["a1000000".to_string()]);
    assert_eq!(
        project.sqlite_rows("SELECT revision, state FROM rmig_history ORDER BY id"),
        vec!["a1000000|applied", "b2000000|failed", "c3000000|failed"]
    );
}

/// A transactional step that fails is rolled back, and its attempt recorded: `failed`, the
/// error, the time it took, nothing kept.
#[test]
fn every_failed_step_is_recorded_in_history() {
    let files = vec![
        sql_revision(
            "a1000000",
            &[],
            "CREATE TABLE t1 (x integer)",
            "DROP TABLE t1",
        ),
        sql_revision(
            "b2000000",
            &["a1000000"],
            "INSERT INTO no_such_table VALUES (1)",
            "SELECT 1",
        ),
    ];
    let project = Project::sqlite(&as_refs(&files));
    let stderr = one_error_line(&project, &["upgrade", "head"]);
    assert!(
        stderr.contains("the database stays at a1000000"),
        "{stderr}"
    );
    assert_eq!(
        project.sqlite_rows(
            "SELECT revision, direction, state, operations_applied, checksum IS NULL, duration_ms >= 0 \
             FROM rmig_history ORDER BY id"
        ),
        vec![
            "a1000000|upgrade|applied|NULL|0|1",
            "b2000000|upgrade|failed|0|1|1"
        ]
    );
    let error = project.sqlite_rows("SELECT error FROM rmig_history WHERE state = 'failed'");
    assert!(
        error[0].contains("upgrade a1000000 -> b2000000")
            && error[0].contains("no such table: no_such_table"),
        "{error:?}"
    );
    // A transactional attempt kept nothing: the rerun is not warned about.
    let stderr = one_error_line(&project, &["upgrade", "head"]);
    assert!(!stderr.contains("warning"), "{stderr}");
}

/// A history table made by an older rmig (no `state`, `error`, `operations_applied`) gains the
/// columns in place; its rows stay, read as applied, and still catch an edited file.
#[test]
fn a_history_table_from_an_older_rmig_is_upgraded_in_place() {
    let files = vec![
        sql_revision(
            "a1000000",
            &[],
            "CREATE TABLE t1 (x integer)",
            "DROP TABLE t1",
        ),
        sql_revision(
            "b2000000",
            &["a1000000"],
            "INSERT INTO no_such_table VALUES (1)",
            "SELECT 1",
        ),
    ];
    let project = Project::sqlite(&as_refs(&files));
    let connection = rusqlite::Connection::open(project.sqlite_path()).unwrap();
    connection
        .execute_batch(&format!(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, \
             CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)); \
             INSERT INTO alembic_version VALUES ('a1000000'); \
             CREATE TABLE t1 (x integer); \
             CREATE TABLE rmig_history (id INTEGER PRIMARY KEY AUTOINCREMENT, revision VARCHAR(32) NOT NULL, \
             direction VARCHAR(9) NOT NULL, checksum CHAR(64), applied_at TEXT NOT NULL, \
             duration_ms BIGINT NOT NULL, rmig_version VARCHAR(32) NOT NULL, db_user TEXT); \
             INSERT INTO rmig_history (revision, direction, checksum, applied_at, duration_ms, rmig_version) \
             VALUES ('a1000000', 'upgrade', '{}', '2024-01-01T00:00:00Z', 3, '0.0.9')",
            "0".repeat(64)
        ))
        .unwrap();
    drop(connection);

    one_error_line(&project, &["upgrade", "head"]);
    let output = project.run(&["check"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("Edited: revision a1000000"),
        "the old row counts as applied: {stdout}"
    );
    assert_eq!(
        project.sqlite_rows(
            "SELECT revision, coalesce(state, 'NULL'), rmig_version = '0.0.9' FROM rmig_history ORDER BY id"
        ),
        vec!["a1000000|NULL|1", "b2000000|failed|0"]
    );
}
