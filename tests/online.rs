//! Online runs against real databases: PostgreSQL (a fresh database per test) and SQLite
//! files. Version rows are checked against what Alembic leaves at each point.

mod common;

use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use common::{
    as_refs, branch_and_merge_files, ids, sql_revision, table_per_step, Project, TestDatabase,
};

/// Walks the branch-and-merge graph up and down, checking the rows after each command.
fn walk_branches_and_merges(project: &Project, tables: impl Fn() -> Vec<String>) {
    project.ok(&["upgrade", "heads"]);
    assert_eq!(project.heads(), ids(&["d1"]));
    assert_eq!(
        tables(),
        vec!["r_a1", "r_b1", "r_c1", "r_c2", "r_d1", "r_m1"]
    );

    // Below the merge both branch heads come back as rows.
    project.ok(&["downgrade", "c1000000"]);
    assert_eq!(project.heads(), ids(&["c1", "c2"]));
    assert_eq!(tables(), vec!["r_a1", "r_b1", "r_c1", "r_c2"]);

    project.ok(&["downgrade", "b1000000"]);
    assert_eq!(project.heads(), ids(&["b1"]));

    project.ok(&["upgrade", "c2000000"]);
    assert_eq!(project.heads(), ids(&["c2"]));
    project.ok(&["upgrade", "c1000000"]);
    assert_eq!(project.heads(), ids(&["c1", "c2"]));
    project.ok(&["upgrade", "head"]);
    assert_eq!(project.heads(), ids(&["d1"]));

    project.ok(&["downgrade", "-1"]);
    assert_eq!(project.heads(), ids(&["m1"]));
    // Below a merge point `-1` has two ways to go, and Alembic refuses to pick one.
    let (code, stderr) = project.fails(&["downgrade", "-1"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("Ambiguous walk"), "{stderr}");

    project.ok(&["stamp", "b1000000"]);
    assert_eq!(project.heads(), ids(&["b1"]));
    project.ok(&["stamp", "--purge", "d1000000"]);
    assert_eq!(project.heads(), ids(&["d1"]));
    project.ok(&["stamp", "c1000000"]);
    assert_eq!(project.heads(), ids(&["c1"]));
    project.ok(&["stamp", "c2000000"]);
    assert_eq!(project.heads(), ids(&["c1", "c2"]));

    // Stamping both branch heads up to the merge point merges their rows, as Alembic does.
    project.ok(&["stamp", "m1000000"]);
    assert_eq!(project.heads(), ids(&["m1"]));
    project.ok(&["downgrade", "base"]);
    assert!(project.heads().is_empty());
    assert!(tables().is_empty());
    let (code, _) = project.fails(&["check"]);
    assert_eq!(code, 4);
}

#[test]
fn postgres_upgrade_downgrade_stamp_through_branches_and_merges() {
    let db = TestDatabase::new();
    let files = branch_and_merge_files();
    let project = Project::new(&db.url, &as_refs(&files));
    walk_branches_and_merges(&project, || {
        db.strings("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'r\\_%'")
    });
    assert!(
        db.has_table("alembic_version"),
        "going down to base keeps the version table"
    );
    assert_eq!(db.count("SELECT count(*) FROM alembic_version"), 0);
}

#[test]
fn sqlite_upgrade_downgrade_stamp_through_branches_and_merges() {
    let files = branch_and_merge_files();
    let project = Project::sqlite(&as_refs(&files));
    let path = project.sqlite_path();
    walk_branches_and_merges(&project, || {
        let connection = rusqlite::Connection::open(&path).unwrap();
        let mut statement = connection
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'r\\_%' ESCAPE '\\' ORDER BY name")
            .unwrap();
        statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    });
}

#[test]
fn version_table_is_created_exactly_as_alembic_does() {
    let db = TestDatabase::new();
    let (name, text) = sql_revision("a1000000", &[], "SELECT 1", "SELECT 1");
    let project = Project::new(&db.url, &[(&name, &text)]);
    project.ok(&["upgrade", "head"]);
    let columns = db.strings(
        "SELECT column_name || ' ' || data_type || '(' || character_maximum_length || ') ' || is_nullable FROM information_schema.columns WHERE table_name = 'alembic_version'",
    );
    assert_eq!(columns, vec!["version_num character varying(32) NO"]);
    let constraints = db.strings(
        "SELECT conname::text FROM pg_constraint WHERE conrelid = 'alembic_version'::regclass",
    );
    assert_eq!(constraints, vec!["alembic_version_pkc"]);
}

fn failing_files() -> Vec<(String, String)> {
    vec![
        sql_revision("a1000000", &[], "CREATE TABLE t1 (x integer)", "DROP TABLE t1"),
        (
            "b2000000_rev.toml".to_string(),
            "revision = \"b2000000\"\ndown_revision = \"a1000000\"\nmessage = \"half\"\ndowngrade = []\n\n[[upgrade]]\nop = \"execute\"\nsqltext = \"CREATE TABLE t2 (x integer)\"\n\n[[upgrade]]\nop = \"execute\"\nsqltext = \"INSERT INTO no_such_table VALUES (1)\"\n".to_string(),
        ),
        sql_revision("c3000000", &["b2000000"], "CREATE TABLE t3 (x integer)", "DROP TABLE t3"),
    ]
}

#[test]
fn postgres_failure_rolls_back_the_step_and_keeps_earlier_ones() {
    let db = TestDatabase::new();
    let files = failing_files();
    let project = Project::new(&db.url, &as_refs(&files));
    let (code, stderr) = project.fails(&["upgrade", "head"]);
    assert_eq!(code, 1, "{stderr}");
    for expected in [
        "upgrade a1000000 -> b2000000, half failed in operation 2",
        "INSERT INTO no_such_table VALUES (1)",
        "relation \"no_such_table\" does not exist",
        "the database stays at a1000000",
    ] {
        assert!(
            stderr.contains(expected),
            "missing `{expected}` in: {stderr}"
        );
    }
    assert_eq!(
        db.strings("SELECT version_num::text FROM alembic_version"),
        vec!["a1000000"]
    );
    assert!(db.has_table("t1"));
    assert!(
        !db.has_table("t2"),
        "the failed step's first operation is rolled back"
    );
    assert!(!db.has_table("t3"));
}

#[test]
fn postgres_one_transaction_failure_leaves_nothing() {
    let db = TestDatabase::new();
    let files = failing_files();
    let project = Project::new(&db.url, &as_refs(&files));
    let (code, stderr) = project.fails(&["upgrade", "head", "--one-transaction"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("the database stays at base"), "{stderr}");
    assert_eq!(db.count("SELECT count(*) FROM alembic_version"), 0);
    assert!(!db.has_table("t1"));
}

/// In one transaction the steps do not read the version rows each; the rows are checked once,
/// before the commit. A row another writer added during the run (here the revision itself,
/// standing in for a writer that ignores rmig's lock) is caught there: nothing commits, the
/// run plans again, and when the rows keep moving it gives up with nothing applied.
#[test]
fn postgres_one_transaction_checks_the_version_rows_before_its_commit() {
    let db = TestDatabase::new();
    let files = table_per_step("INSERT INTO alembic_version VALUES ('outsider')");
    let project = Project::new(&db.url, &as_refs(&files));
    let (code, stderr) = project.fails(&["upgrade", "head", "--one-transaction"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("kept changing"), "{stderr}");
    assert_eq!(db.count("SELECT count(*) FROM alembic_version"), 0);
    for table in ["t1", "t2", "t3"] {
        assert!(!db.has_table(table), "{table} was left behind");
    }
}

#[test]
fn sqlite_failure_rolls_back_the_step_and_keeps_earlier_ones() {
    let files = failing_files();
    let project = Project::sqlite(&as_refs(&files));
    let (code, stderr) = project.fails(&["upgrade", "head"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("no such table: no_such_table"), "{stderr}");
    assert_eq!(project.heads(), ids(&["a1"]));
    let connection = rusqlite::Connection::open(project.sqlite_path()).unwrap();
    let t2: i64 = connection
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 't2'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        t2, 0,
        "SQLite's DDL is transactional too: t2 is rolled back"
    );
}

fn concurrent_index_files(transactional: bool) -> Vec<(String, String)> {
    vec![
        sql_revision("a1000000", &[], "CREATE TABLE t1 (x integer)", "DROP TABLE t1"),
        (
            "b2000000_rev.toml".to_string(),
            format!(
                "revision = \"b2000000\"\ndown_revision = \"a1000000\"\ntransactional = {transactional}\n\n[[upgrade]]\nop = \"execute\"\nsqltext = \"CREATE INDEX CONCURRENTLY ix_t1_x ON t1 (x)\"\n\n[[downgrade]]\nop = \"execute\"\nsqltext = \"DROP INDEX CONCURRENTLY ix_t1_x\"\nconfirm_data_loss = \"b2000000\"\n"
            ),
        ),
    ]
}

#[test]
fn postgres_non_transactional_revision_runs_outside_a_transaction() {
    let db = TestDatabase::new();
    let files = concurrent_index_files(true);
    let project = Project::new(&db.url, &as_refs(&files));
    let (code, stderr) = project.fails(&["upgrade", "head"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("cannot run inside a transaction block"),
        "{stderr}"
    );

    let files = concurrent_index_files(false);
    let project = Project::new(&db.url, &as_refs(&files));
    project.ok(&["upgrade", "head"]);
    assert_eq!(
        db.strings("SELECT version_num::text FROM alembic_version"),
        vec!["b2000000"]
    );
    assert_eq!(
        db.count("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_t1_x'"),
        1
    );
    project.ok(&["downgrade", "-1"]);
    assert_eq!(
        db.count("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_t1_x'"),
        0
    );
}

/// Ten revisions, each logging its id once into `applied_log` when it runs.
fn logging_files() -> Vec<(String, String)> {
    let mut files = vec![sql_revision(
        "r0000000",
        &[],
        "CREATE TABLE applied_log (revision text); INSERT INTO applied_log VALUES ('r0000000')",
        "DROP TABLE applied_log",
    )];
    for i in 1..10 {
        let id = format!("r{i:07}");
        let parent = format!("r{:07}", i - 1);
        files.push(sql_revision(
            &id,
            &[&parent],
            &format!("INSERT INTO applied_log VALUES ('{id}')"),
            &format!("DELETE FROM applied_log WHERE revision = '{id}'"),
        ));
    }
    files
}

/// Starts `count` `rmig upgrade head` processes at once and waits for them all.
fn upgrade_concurrently(project: &Project, count: usize) {
    let binary = assert_cmd::cargo::cargo_bin("rmig");
    let children: Vec<_> = (0..count)
        .map(|_| {
            StdCommand::new(&binary)
                .args(["upgrade", "head", "--lock-timeout", "60s"])
                .current_dir(project.path())
                .env_remove("RMIG_URL")
                .env_remove("DATABASE_URL")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "a concurrent run failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn postgres_eight_concurrent_upgrades_apply_each_revision_once() {
    let db = TestDatabase::new();
    let files = logging_files();
    let project = Project::new(&db.url, &as_refs(&files));
    upgrade_concurrently(&project, 8);
    let counts =
        db.strings("SELECT revision || '=' || count(*) FROM applied_log GROUP BY revision");
    assert_eq!(counts.len(), 10, "{counts:?}");
    assert!(counts.iter().all(|c| c.ends_with("=1")), "{counts:?}");
    assert_eq!(
        db.strings("SELECT version_num::text FROM alembic_version"),
        vec!["r0000009"]
    );
}

#[test]
fn sqlite_eight_concurrent_upgrades_apply_each_revision_once() {
    let files = logging_files();
    let project = Project::sqlite(&as_refs(&files));
    upgrade_concurrently(&project, 8);
    let connection = rusqlite::Connection::open(project.sqlite_path()).unwrap();
    let (rows, distinct): (i64, i64) = connection
        .query_row(
            "SELECT count(*), count(DISTINCT revision) FROM applied_log",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((rows, distinct), (10, 10));
    assert_eq!(project.heads(), vec!["r0000009".to_string()]);
}

#[test]
fn postgres_killed_run_leaves_the_previous_revision_and_no_partial_change() {
    let db = TestDatabase::new();
    let slow = "revision = \"b2000000\"\ndown_revision = \"a1000000\"\ndowngrade = []\n\n[[upgrade]]\nop = \"execute\"\nsqltext = \"CREATE TABLE t2 (x integer); INSERT INTO t2 VALUES (1); SELECT pg_sleep(60)\"\n";
    let (first_name, first) = sql_revision(
        "a1000000",
        &[],
        "CREATE TABLE t1 (x integer)",
        "DROP TABLE t1",
    );
    let project = Project::new(
        &db.url,
        &[(&first_name, &first), ("b2000000_slow.toml", slow)],
    );
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("rmig"))
        .args(["upgrade", "head"])
        .current_dir(project.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let sleeping = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()",
        db.name
    );
    wait_until(Duration::from_secs(20), || db.count(&sleeping) == 1);
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();

    // rmig's session asks the server to check for a vanished client, so the server ends it
    // and rolls its transaction back without waiting for the sleep.
    wait_until(Duration::from_secs(20), || db.count(&sleeping) == 0);
    assert_eq!(
        db.strings("SELECT version_num::text FROM alembic_version"),
        vec!["a1000000"]
    );
    assert!(db.has_table("t1"));
    assert!(!db.has_table("t2"), "the killed step left nothing behind");

    let quick = slow.replace("; SELECT pg_sleep(60)", "");
    std::fs::write(project.path().join("revisions/b2000000_slow.toml"), quick).unwrap();
    project.ok(&["upgrade", "head", "--lock-timeout", "20s"]);
    assert_eq!(
        db.strings("SELECT version_num::text FROM alembic_version"),
        vec!["b2000000"]
    );
    assert_eq!(db.count("SELECT count(*) FROM t2"), 1);
}

fn wait_until(limit: Duration, mut condition: impl FnMut() -> bool) {
    let started = Instant::now();
    while !condition() {
        assert!(
            started.elapsed() < limit,
            "condition not met within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn second_run_is_a_no_op() {
    let files = branch_and_merge_files();
    let project = Project::sqlite(&as_refs(&files));
    let (_, first) = project.streams(&["upgrade", "heads"]);
    assert_eq!(first.lines().count(), 6, "{first}");
    let (_, second) = project.streams(&["upgrade", "heads"]);
    assert_eq!(
        second,
        "Nothing to do: the database is already at d1000000.\n"
    );
}

#[test]
fn unreachable_server_and_missing_database_are_one_clear_sentence() {
    let project = Project::new(
        "postgresql://postgres:hunter2@127.0.0.1:1/app?connect_timeout=2",
        &[],
    );
    let (code, stderr) = project.fails(&["current"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("cannot connect to postgresql://postgres:***@127.0.0.1:1/app"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");

    let admin = std::env::var("RMIG_TEST_DATABASE_URL")
        .unwrap_or_else(|_| common::DEFAULT_TEST_DATABASE_URL.to_string());
    let (base, _) = admin.rsplit_once('/').unwrap();
    let project = Project::new(&format!("{base}/rmig_no_such_database"), &[]);
    let (code, stderr) = project.fails(&["current"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("database \"rmig_no_such_database\" does not exist"),
        "{stderr}"
    );
}

/// A merge whose version rows do not match what the plan expects (a parent depended on by
/// another parent's ancestor, found by the Alembic conformance suite) fails; the failing
/// step must then be rolled back whole, its operations included, not left committed.
#[test]
fn a_step_whose_version_rows_do_not_match_is_rolled_back() {
    let files = vec![
        sql_revision("r8c54000", &[], "CREATE TABLE r_8c54 (x integer)", "DROP TABLE r_8c54"),
        sql_revision("r1f83000", &["r8c54000"], "CREATE TABLE r_1f83 (x integer)", "DROP TABLE r_1f83"),
        sql_revision("rae9e000", &["r1f83000"], "CREATE TABLE r_ae9e (x integer)", "DROP TABLE r_ae9e"),
        sql_revision("r0ba3000", &["r8c54000"], "CREATE TABLE r_0ba3 (x integer)", "DROP TABLE r_0ba3"),
        (
            "r5d48000_rev.toml".to_string(),
            "revision = \"r5d48000\"\ndown_revision = [\"rae9e000\", \"r0ba3000\"]\ndepends_on = [\"r1f83000\"]\ndowngrade = []\n\n[[upgrade]]\nop = \"execute\"\nsqltext = \"CREATE TABLE r_5d48 (x integer)\"\n".to_string(),
        ),
        (
            "r9218000_rev.toml".to_string(),
            "revision = \"r9218000\"\nbranch_labels = [\"lbl5\"]\ndowngrade = []\n\n[[upgrade]]\nop = \"execute\"\nsqltext = \"CREATE TABLE r_9218 (x integer)\"\n".to_string(),
        ),
        sql_revision("rbcaa000", &["r5d48000", "r9218000"], "CREATE TABLE r_bcaa (x integer)", "DROP TABLE r_bcaa"),
    ];
    let project = Project::sqlite(&as_refs(&files));
    let (code, stderr) = project.fails(&["upgrade", "lbl5@head"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("expected to match one row"), "{stderr}");
    let connection = rusqlite::Connection::open(project.sqlite_path()).unwrap();
    let leftover: i64 = connection
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'r_5d48'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(leftover, 0, "the failed step's operation was rolled back");
    let heads = project.heads();
    assert!(!heads.contains(&"r5d48000".to_string()), "{heads:?}");
}
