//! Migrations that do not stall the application, on the real server: a step that waits for a
//! lock another session holds gives up after a short `lock_timeout`, is rolled back whole and
//! runs again after a pause, and the run gives up with one sentence when the retries run out.

mod common;

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use common::{Project, TestDatabase};

/// a1 creates `accounts`; b2 adds a column to it (ACCESS EXCLUSIVE, which a reader's ACCESS
/// SHARE blocks).
fn files() -> Vec<(String, String)> {
    vec![
        common::sql_revision(
            "a1",
            &[],
            "CREATE TABLE accounts (id int PRIMARY KEY, email text)",
            "DROP TABLE accounts",
        ),
        (
            "b2_rev.toml".to_string(),
            "revision = \"b2\"\ndown_revision = \"a1\"\nmessage = \"add note\"\n\n\
             [[upgrade]]\nop = \"add_column\"\ntable_name = \"accounts\"\n\
             column = { name = \"note\", type = \"text\" }\n"
                .to_string(),
        ),
    ]
}

/// Holds ACCESS SHARE on `accounts` (what a long report query holds) for `held`, from
/// another session; returns once the lock is taken.
fn hold_report_lock(db: &TestDatabase, held: Duration) -> thread::JoinHandle<()> {
    let mut client = db.client();
    let (taken, wait) = mpsc::channel();
    let holder = thread::spawn(move || {
        let mut transaction = client.transaction().unwrap();
        transaction
            .batch_execute("LOCK TABLE accounts IN ACCESS SHARE MODE")
            .unwrap();
        taken.send(()).unwrap();
        thread::sleep(held);
        transaction.commit().unwrap();
    });
    wait.recv().unwrap();
    holder
}

#[test]
fn a_step_behind_a_long_report_retries_and_finishes_after_it() {
    let db = TestDatabase::new();
    let project = Project::new(&db.url, &common::as_refs(&files()));
    project.ok(&["upgrade", "a1"]);
    let holder = hold_report_lock(&db, Duration::from_millis(1500));
    let started = Instant::now();
    let output = project.run(&["upgrade", "head"]);
    let elapsed = started.elapsed();
    holder.join().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("retry 1 of at most 10") && stderr.contains("lock timeout"),
        "each retry is told: {stderr}"
    );
    assert!(
        elapsed >= Duration::from_millis(1400) && elapsed < Duration::from_secs(12),
        "finished a moment after the report: {elapsed:?}"
    );
    assert_eq!(
        db.strings("SELECT version_num FROM alembic_version"),
        ["b2"]
    );
    assert_eq!(
        db.count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'note'"),
        1
    );
}

#[test]
fn a_step_gives_up_with_a_sentence_when_the_retries_run_out() {
    let db = TestDatabase::new();
    let project = Project::new(&db.url, &common::as_refs(&files()));
    std::fs::write(
        project.path().join("rmig.toml"),
        format!(
            "script_location = \"revisions\"\nurl = \"{}\"\nlock_retries = 2\n",
            db.url
        ),
    )
    .unwrap();
    project.ok(&["upgrade", "a1"]);
    let holder = hold_report_lock(&db, Duration::from_secs(6));
    let (code, stderr) = project.fails(&["upgrade", "head"]);
    holder.join().unwrap();
    assert_eq!(code, 1, "{stderr}");
    let error = stderr
        .lines()
        .find(|line| line.starts_with("rmig: error:"))
        .unwrap_or_else(|| panic!("no error line: {stderr}"));
    assert!(
        error.contains("gave up after 3 attempts") && error.contains("lock_retries"),
        "{error}"
    );
    assert!(error.contains("the database stays at a1"), "{error}");
    assert_eq!(stderr.matches("retry ").count(), 2, "{stderr}");
    assert_eq!(
        db.strings("SELECT version_num FROM alembic_version"),
        ["a1"]
    );
    assert_eq!(
        db.count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'note'"),
        0,
        "nothing of the step stays"
    );
}

#[test]
fn no_retries_fails_at_the_first_lock_timeout() {
    let db = TestDatabase::new();
    let project = Project::new(&db.url, &common::as_refs(&files()));
    std::fs::write(
        project.path().join("rmig.toml"),
        format!(
            "script_location = \"revisions\"\nurl = \"{}\"\nlock_retries = 0\n",
            db.url
        ),
    )
    .unwrap();
    project.ok(&["upgrade", "a1"]);
    let holder = hold_report_lock(&db, Duration::from_secs(2));
    let (code, stderr) = project.fails(&["upgrade", "head"]);
    holder.join().unwrap();
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("lock timeout"), "{stderr}");
    assert!(!stderr.contains("retry "), "{stderr}");
}
