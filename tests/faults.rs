//! Faults on PostgreSQL while a run is under way: the server connection dropped mid-step,
//! `statement_timeout` and `lock_timeout` hit, a second run that cannot get the migration
//! lock in time, a network that stops forwarding mid-run and a server that never answers. In each case rmig must exit 1 with one clear line, leave nothing of the
//! failed step behind, leave the version table at the last committed step, and a rerun
//! (once the cause is gone) must complete.

mod common;

use std::process::{Child, Command as StdCommand, Output, Stdio};
use std::time::{Duration, Instant};

use common::proxy::{Proxy, SilentServer};
use common::{as_refs, sql_revision, table_per_step as files, Project, TestDatabase};

/// Rewrites b2 (never applied, so editing it is fair) to drop the cause of the fault.
fn rewrite_b2(project: &Project, b2_tail: &str) {
    let (name, text) = files(b2_tail).swap_remove(1);
    std::fs::write(project.path().join("revisions").join(name), text).unwrap();
}

fn spawn(project: &Project, args: &[&str]) -> Child {
    StdCommand::new(assert_cmd::cargo::cargo_bin("rmig"))
        .args(args)
        .current_dir(project.path())
        .env_remove("RMIG_URL")
        .env_remove("DATABASE_URL")
        .env_remove("RUST_BACKTRACE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The backend of the test database running `pg_sleep`, once there is one.
fn sleeping_backend(db: &TestDatabase) -> i32 {
    let mut client = db.client();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rows = client
            .query(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() \
                 AND state = 'active' AND query LIKE '%pg_sleep%'",
                &[&db.name],
            )
            .unwrap();
        if let Some(row) = rows.first() {
            return row.get(0);
        }
        assert!(Instant::now() < deadline, "rmig never reached its pg_sleep");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A failed run: exit 1, and on stderr the steps that finished (`Running ...`) then exactly
/// one clear line, the error, which is returned.
#[track_caller]
fn assert_clean_failure(output: &Output) -> String {
    let stderr = common::without_target_line(&String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    let Some((error, steps)) = lines.split_last() else {
        panic!("no error on stderr");
    };
    assert!(
        steps.iter().all(|line| line.starts_with("Running ")),
        "not one error line after the steps: {stderr:?}"
    );
    assert!(error.starts_with("rmig: error: "), "{stderr}");
    for forbidden in ["panicked", "RUST_BACKTRACE", "Error {", "Os {", "\\n"] {
        assert!(!stderr.contains(forbidden), "{forbidden:?} in: {stderr}");
    }
    error.to_string()
}

/// a1 applied and nothing of b2 or c3: the failed step left nothing behind.
#[track_caller]
fn assert_stopped_after_a1(db: &TestDatabase) {
    assert_eq!(
        db.strings("SELECT version_num::text FROM alembic_version"),
        vec!["a1000000"]
    );
    assert!(db.has_table("t1"));
    assert!(
        !db.has_table("t2"),
        "the failed step's table is left behind"
    );
    assert!(!db.has_table("t3"));
}

/// A rerun (with a short lock wait: the failed run must not hold the lock) completes.
#[track_caller]
fn assert_rerun_completes(db: &TestDatabase, project: &Project, extra: &[&str]) {
    let mut args = vec!["upgrade", "head", "--lock-timeout", "5s"];
    args.extend_from_slice(extra);
    project.ok(&args);
    assert_eq!(
        db.strings("SELECT version_num::text FROM alembic_version"),
        vec!["c3000000"]
    );
    for table in ["t1", "t2", "t3"] {
        assert!(db.has_table(table), "{table} missing after the rerun");
    }
}

#[test]
fn connection_dropped_mid_step_rolls_the_step_back() {
    let db = TestDatabase::new();
    let files = files("SELECT pg_sleep(30)");
    let project = Project::new(&db.url, &as_refs(&files));
    let child = spawn(&project, &["upgrade", "head"]);
    let pid = sleeping_backend(&db);
    let terminated: bool = db
        .client()
        .query_one("SELECT pg_terminate_backend($1)", &[&pid])
        .unwrap()
        .get(0);
    assert!(terminated);
    let output = child.wait_with_output().unwrap();
    let stderr = assert_clean_failure(&output);
    for expected in [
        "upgrade a1000000 -> b2000000",
        "operation 1",
        "the database stays at a1000000",
    ] {
        assert!(stderr.contains(expected), "no {expected:?} in: {stderr}");
    }
    // The driver reports the server's last word when it arrived before the socket closed.
    assert!(
        stderr.contains("terminating connection due to administrator command")
            || stderr.contains("the server closed the connection"),
        "the cause is not named: {stderr}"
    );
    assert_stopped_after_a1(&db);
    rewrite_b2(&project, "SELECT 1");
    assert_rerun_completes(&db, &project, &[]);
}

#[test]
fn statement_timeout_stops_the_step_and_rolls_it_back() {
    let db = TestDatabase::new();
    let files = files("SELECT pg_sleep(2)");
    let project = Project::new(&db.url, &as_refs(&files));
    let output = project.run(&["upgrade", "head", "--statement-timeout", "200ms"]);
    let stderr = assert_clean_failure(&output);
    for expected in [
        "upgrade a1000000 -> b2000000",
        "canceling statement due to statement timeout",
        "the database stays at a1000000",
    ] {
        assert!(stderr.contains(expected), "no {expected:?} in: {stderr}");
    }
    assert_stopped_after_a1(&db);
    // The cause removed: a timeout the step fits in.
    assert_rerun_completes(&db, &project, &["--statement-timeout", "10s"]);
}

#[test]
fn lock_timeout_stops_the_step_and_rolls_it_back() {
    let db = TestDatabase::new();
    let files = files("ALTER TABLE t1 ADD COLUMN y integer");
    let project = Project::new(&db.url, &as_refs(&files));
    // Without retries (tests/lock_safety.rs has them): the first lock timeout ends the run.
    let config = project.path().join("rmig.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("lock_retries = 0\n");
    std::fs::write(&config, text).unwrap();
    project.ok(&["upgrade", "a1000000"]);

    let mut holder = db.client();
    holder
        .batch_execute("BEGIN; LOCK TABLE t1 IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let started = Instant::now();
    let output = project.run(&["upgrade", "head", "--lock-timeout", "300ms"]);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the lock timeout did not stop the wait"
    );
    let stderr = assert_clean_failure(&output);
    for expected in [
        "upgrade a1000000 -> b2000000",
        "canceling statement due to lock timeout",
        "the database stays at a1000000",
    ] {
        assert!(stderr.contains(expected), "no {expected:?} in: {stderr}");
    }
    assert_stopped_after_a1(&db);
    assert!(!db
        .strings("SELECT column_name::text FROM information_schema.columns WHERE table_name = 't1'")
        .contains(&"y".to_string()));

    holder.batch_execute("ROLLBACK").unwrap();
    assert_rerun_completes(&db, &project, &[]);
    assert!(db
        .strings("SELECT column_name::text FROM information_schema.columns WHERE table_name = 't1'")
        .contains(&"y".to_string()));
}

#[test]
fn second_run_gives_up_on_the_migration_lock_after_lock_timeout() {
    let db = TestDatabase::new();
    let files = files("SELECT pg_sleep(3)");
    let project = Project::new(&db.url, &as_refs(&files));
    let first = spawn(&project, &["upgrade", "head"]);
    sleeping_backend(&db);

    let started = Instant::now();
    let second = project.run(&["upgrade", "head", "--lock-timeout", "300ms"]);
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(3),
        "the second run waited {waited:?}, past its lock timeout"
    );
    let stderr = assert_clean_failure(&second);
    for expected in [
        "another rmig run holds the migration lock",
        "alembic_version",
        "--lock-timeout",
    ] {
        assert!(stderr.contains(expected), "no {expected:?} in: {stderr}");
    }
    // Nothing of the second run: the first is still in b2, with only a1 committed.
    assert_eq!(
        db.strings("SELECT version_num::text FROM alembic_version"),
        vec!["a1000000"]
    );

    let first = first.wait_with_output().unwrap();
    assert!(
        first.status.success(),
        "the first run failed: {}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(
        db.strings("SELECT version_num::text FROM alembic_version"),
        vec!["c3000000"]
    );
    // The second run, rerun once the first is done, finds nothing to do.
    let (_, rerun) = project.streams(&["upgrade", "head", "--lock-timeout", "300ms"]);
    assert!(rerun.contains("Nothing to do"), "{rerun}");
    assert_eq!(
        db.count("SELECT count(*) FROM alembic_version"),
        1,
        "each revision applied once"
    );
}

/// The child's output once it exits, or None when it is still running after `limit` (it is
/// killed then): a test of a hang must not hang itself.
fn wait_at_most(mut child: Child, limit: Duration) -> Option<Output> {
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(child.wait_with_output().unwrap())
}

#[test]
fn frozen_network_mid_step_ends_the_run_within_the_reply_timeout() {
    let db = TestDatabase::new();
    let files = files("SELECT pg_sleep(1)");
    let project = Project::new(&db.url, &as_refs(&files));
    let proxy = Proxy::start(&db.url);
    let url = format!("{}?reply_timeout=2", proxy.url(&db.url));
    let child = spawn(
        &project,
        &[
            "--url",
            &url,
            "upgrade",
            "head",
            "--statement-timeout",
            "30s",
        ],
    );
    sleeping_backend(&db);
    proxy.freeze();
    let frozen = Instant::now();
    let output = wait_at_most(child, Duration::from_secs(20))
        .expect("rmig still waits for a reply 20 s after the network froze");
    let waited = frozen.elapsed();
    assert!(
        waited < Duration::from_secs(5),
        "rmig gave up {waited:?} after the freeze, past its 2 s reply timeout"
    );
    let stderr = assert_clean_failure(&output);
    for expected in ["upgrade a1000000 -> b2000000", "no reply", "reply_timeout"] {
        assert!(stderr.contains(expected), "no {expected:?} in: {stderr}");
    }
    assert_stopped_after_a1(&db);
    // The server's side of the frozen connection, idle in its transaction and holding the
    // migration lock, ends on its own (idle_in_transaction_session_timeout): a run through a
    // working path gets the lock and completes, though the proxy still holds that socket.
    assert_rerun_completes(&db, &project, &[]);
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND pid <> pg_backend_pid()",
            db.name
        )),
        0,
        "the frozen session is still there"
    );
}

#[test]
fn server_that_never_answers_is_given_up_after_connect_timeout() {
    let silent = SilentServer::start();
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/app?connect_timeout=2",
        silent.port
    );
    let project = Project::new(&url, &[]);
    let started = Instant::now();
    let output = wait_at_most(spawn(&project, &["current"]), Duration::from_secs(20))
        .expect("rmig still waits for a server that never answers 20 s later");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(1900) && waited < Duration::from_secs(4),
        "rmig gave up after {waited:?}, not after its 2 s connect_timeout"
    );
    let stderr = assert_clean_failure(&output);
    for expected in ["cannot connect to", "connect_timeout", "2 s"] {
        assert!(stderr.contains(expected), "no {expected:?} in: {stderr}");
    }
}

/// The session settings a migration ran under, as a revision reads them.
fn session_settings(db: &TestDatabase, run: impl FnOnce(&Project)) -> String {
    let (name, text) = sql_revision(
        "a1000000",
        &[],
        "CREATE TABLE s AS SELECT concat_ws(' ', current_setting('lock_timeout'), \
         current_setting('statement_timeout'), current_setting('tcp_keepalives_idle'), \
         current_setting('tcp_keepalives_interval'), current_setting('tcp_keepalives_count'), \
         current_setting('tcp_user_timeout'), current_setting('client_connection_check_interval'), \
         current_setting('idle_in_transaction_session_timeout'), \
         current_setting('idle_session_timeout')) AS settings",
        "DROP TABLE s",
    );
    let project = Project::new(&db.url, &[(&name, &text)]);
    run(&project);
    let settings = db.rows("SELECT settings FROM s");
    project.ok(&["downgrade", "base"]);
    settings.concat()
}

#[test]
fn migration_sessions_get_a_lock_timeout_and_server_side_keepalives() {
    let db = TestDatabase::new();
    // lock_timeout, statement_timeout, keepalives idle/interval/count, tcp_user_timeout,
    // client_connection_check_interval, idle in transaction and idle session timeouts.
    let defaults = session_settings(&db, |project| {
        project.ok(&["upgrade", "head"]);
    });
    assert_eq!(defaults, "150ms 0 10 5 3 25000 1s 0 0");
    let bounded = session_settings(&db, |project| {
        project.ok(&["upgrade", "head", "--statement-timeout", "3s"]);
    });
    assert_eq!(bounded, "150ms 3s 10 5 3 25000 1s 13s 13s");
    let from_url = session_settings(&db, |project| {
        let url = format!("{}?keepalives_idle=30&reply_timeout=4", db.url);
        project.ok(&["--url", &url, "upgrade", "head"]);
    });
    assert_eq!(from_url, "150ms 0 30 5 3 45000 1s 4s 4s");
    // A lock_timeout the database or role sets is kept.
    db.client()
        .batch_execute(&format!(
            "ALTER DATABASE {} SET lock_timeout = '2s'",
            db.name
        ))
        .unwrap();
    let configured = session_settings(&db, |project| {
        project.ok(&["upgrade", "head"]);
    });
    assert!(configured.starts_with("2s "), "{configured}");
}

#[test]
fn lock_timeout_under_a_millisecond_never_means_wait_forever() {
    let db = TestDatabase::new();
    // The library takes any Duration; 0.5 ms was sent as lock_timeout = '0ms', which
    // PostgreSQL reads as no limit at all.
    let settings = session_settings(&db, |project| {
        rmig::Migrator::from_dir(project.path().join("revisions"))
            .unwrap()
            .url(db.url.clone())
            .lock_timeout(Duration::from_micros(500))
            .upgrade("head")
            .unwrap();
    });
    assert!(settings.starts_with("1ms "), "{settings}");
}

#[test]
fn a_silent_first_host_used_up_the_connect_timeout_of_the_next() {
    let db = TestDatabase::new();
    let silent = SilentServer::start();
    // libpq's failover: each host gets its own connect_timeout, so the second one is reached.
    let url = format!(
        "postgres://postgres@127.0.0.1:{},127.0.0.1:5432/{}?connect_timeout=1",
        silent.port, db.name
    );
    let project = Project::new(&url, &[]);
    let started = Instant::now();
    let output = wait_at_most(spawn(&project, &["current"]), Duration::from_secs(20))
        .expect("rmig still waits 20 s later");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}
