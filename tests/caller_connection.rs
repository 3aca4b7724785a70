//! Red-team tests of the `*_on` methods (docs/library.md, "The service's own connection"): a
//! run on a connection the caller owns takes the same migration lock and guard as on rmig's
//! own, gives back what it changed in the session, and leaves the connection outside any
//! transaction, whatever way the run ends. rmig's own connection is thrown away after a run,
//! and the server then drops its transaction, its advisory lock and its settings; a caller's
//! connection is not, so each way a run can end is checked here on the session itself.
//!
//! Two runs at once on one shared `tokio_postgres::Client` (`AsyncMigrator::upgrade_on` took
//! `&Client`) both took the migration lock, a session lock the same session takes again, and
//! interleaved their transactions on the one session; a service's write on the shared client
//! during a step landed in the step's transaction and was rolled back with it. The client is
//! now borrowed mutably, which a compile_fail example on `AsyncMigrator::upgrade_on` pins.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use common::guard::{exec, revision};
use common::{as_refs, sql_revision, three_revisions, Project, TestDatabase};
use rmig::{Direction, Migrator, Progress, StepLabel};

/// rmig's advisory lock class ("rmig" in ASCII, src/db/postgres.rs); the second key is
/// `hashtext` of the version table's name.
const LOCK_CLASS: i32 = 0x726d_6967;

fn file(id: &str, text: String) -> (String, String) {
    (format!("{id}_rev.toml"), text)
}

fn migrator(project: &Project) -> Migrator {
    Migrator::from_dir(project.path().join("revisions")).unwrap()
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: the session as the caller sees it afterwards

/// Whether another session can take the migration lock of `alembic_version` now (it is let
/// go again when that session closes).
fn lock_is_free(db: &TestDatabase) -> bool {
    db.client()
        .query_one(
            "SELECT pg_try_advisory_lock($1, hashtext('alembic_version'))",
            &[&LOCK_CLASS],
        )
        .unwrap()
        .get(0)
}

/// What a caller's session looks like: its time limits, whether it is inside a transaction
/// block, and the advisory locks it holds.
#[derive(Debug, PartialEq, Eq)]
struct Session {
    lock_timeout: String,
    statement_timeout: String,
    in_transaction: bool,
    advisory_locks: i64,
}

/// The session as a caller made it (`caller`) and must get it back.
fn as_given() -> Session {
    Session {
        lock_timeout: "7s".to_string(),
        statement_timeout: "0".to_string(),
        in_transaction: false,
        advisory_locks: 0,
    }
}

/// A caller's client with time limits of its own.
fn caller(db: &TestDatabase) -> postgres::Client {
    let mut client = db.client();
    client
        .batch_execute("SET lock_timeout = '7s'; SET statement_timeout = 0")
        .unwrap();
    client
}

/// One simple-protocol query: outside a transaction block it is a transaction of its own,
/// which starts with it; inside one, the transaction started earlier. Err: the session does
/// not answer (an aborted transaction, a closed connection).
fn session(client: &mut postgres::Client) -> Result<Session, postgres::Error> {
    let messages = client.simple_query(
        "SELECT current_setting('lock_timeout'), current_setting('statement_timeout'), \
         (transaction_timestamp() < statement_timestamp())::text, \
         (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' \
          AND pid = pg_backend_pid() AND granted)::text",
    )?;
    let row = messages
        .iter()
        .find_map(|message| match message {
            postgres::SimpleQueryMessage::Row(row) => Some(row),
            _ => None,
        })
        .unwrap();
    Ok(Session {
        lock_timeout: row.get(0).unwrap().to_string(),
        statement_timeout: row.get(1).unwrap().to_string(),
        in_transaction: row.get(2) == Some("true"),
        advisory_locks: row.get(3).unwrap().parse().unwrap(),
    })
}

/// A step that fails half-way (SQL error after a CREATE TABLE and an INSERT): rolled back,
/// the lock free for the next run, the session given back outside any transaction.
#[test]
fn a_failed_step_on_a_callers_client_is_rolled_back_and_frees_the_lock() {
    let db = TestDatabase::new();
    let files = vec![
        sql_revision(
            "aaaa00000001",
            &[],
            "CREATE TABLE kept (x int)",
            "DROP TABLE kept",
        ),
        sql_revision(
            "bbbb00000002",
            &["aaaa00000001"],
            "CREATE TABLE half (x int); INSERT INTO half VALUES (1); SELECT 1/0",
            "DROP TABLE half",
        ),
    ];
    let project = Project::new(&db.url, &as_refs(&files));
    let mut client = caller(&db);
    let error = migrator(&project)
        .upgrade_on(&mut client, "head")
        .unwrap_err();
    assert_eq!(error.exit_code(), 1, "{error}");
    assert!(error.to_string().contains("division by zero"), "{error}");
    assert_eq!(session(&mut client).unwrap(), as_given());
    assert!(lock_is_free(&db), "another session can take the lock");
    assert!(db.has_table("kept") && !db.has_table("half"));
    assert_eq!(project.heads(), ["aaaa00000001"]);
    // The same run again fails the same way, rather than waiting on a lock of its own.
    let again = migrator(&project)
        .lock_timeout(Duration::from_secs(1))
        .upgrade_on(&mut client, "head")
        .unwrap_err();
    assert!(again.to_string().contains("division by zero"), "{again}");
}

/// The guard's verification refusing a step after it ran (a trigger the plan cannot see
/// deletes rows): rolled back, every row kept, the session given back.
#[test]
fn a_guard_refusal_inside_a_step_on_a_callers_client_gives_the_session_back() {
    let db = TestDatabase::new();
    let files = vec![
        file(
            "aaaa00000001",
            revision("aaaa00000001", None, "", &[exec(common::guard::PG_USERS)]),
        ),
        file(
            "bbbb00000002",
            revision(
                "bbbb00000002",
                Some("aaaa00000001"),
                "",
                &[
                    exec(
                        "CREATE FUNCTION keep_newest() RETURNS trigger LANGUAGE plpgsql AS $$ \
                         BEGIN DELETE FROM users WHERE id <> NEW.id; RETURN NEW; END $$; \
                         CREATE TRIGGER keep_newest AFTER INSERT ON users FOR EACH ROW \
                         EXECUTE FUNCTION keep_newest()",
                    ),
                    exec("INSERT INTO users (email) VALUES ('mallory@example.com')"),
                ],
            ),
        ),
    ];
    let project = Project::new(&db.url, &as_refs(&files));
    let mut client = caller(&db);
    migrator(&project)
        .upgrade_on(&mut client, "aaaa00000001")
        .unwrap();
    let error = migrator(&project)
        .upgrade_on(&mut client, "head")
        .unwrap_err();
    assert_eq!(error.exit_code(), 3, "{error}");
    assert_eq!(db.count("SELECT count(*) FROM users"), 3);
    assert_eq!(session(&mut client).unwrap(), as_given());
    assert!(lock_is_free(&db));
    assert_eq!(project.heads(), ["aaaa00000001"]);
}

/// A `transactional = false` revision failing at its second operation: the first stays (as
/// documented), and the session is still given back with no transaction and no lock.
#[test]
fn a_non_transactional_revision_failing_on_a_callers_client_gives_the_session_back() {
    let db = TestDatabase::new();
    let files = vec![file(
        "aaaa00000001",
        revision(
            "aaaa00000001",
            None,
            "transactional = false\n",
            &[exec("CREATE TABLE first_op (x int)"), exec("SELECT 1/0")],
        ),
    )];
    let project = Project::new(&db.url, &as_refs(&files));
    let mut client = caller(&db);
    let error = migrator(&project)
        .upgrade_on(&mut client, "head")
        .unwrap_err();
    assert!(error.to_string().contains("division by zero"), "{error}");
    assert!(db.has_table("first_op"), "ran outside a transaction");
    assert_eq!(session(&mut client).unwrap(), as_given());
    assert!(lock_is_free(&db));
}

/// What a revision itself SETs in the session (its time limits, the `search_path`, the role,
/// `work_mem`) stayed with the caller's session after the run; on rmig's own connection it
/// would go with the connection. All of it is put back now, but custom settings
/// (`app.tenant`), which the server does not list (`pg_settings` leaves them out), so rmig
/// cannot know what they were: they stay as the revision left them (docs/library.md).
#[test]
fn what_a_revision_set_stayed_in_the_callers_session() {
    let db = TestDatabase::new();
    // Roles belong to the server, not the test's database: named after the database.
    let role = format!("{}_role", db.name);
    let files = vec![sql_revision(
        "aaaa00000001",
        &[],
        &format!(
            "CREATE SCHEMA elsewhere; CREATE ROLE {role} SUPERUSER; \
             SET search_path TO elsewhere, public; SET ROLE {role}; \
             SET lock_timeout = '1s'; SET statement_timeout = '2s'; \
             SET app.tenant = 'migrations'; SET app.caller = 'changed'; SET work_mem = '7MB'"
        ),
        "DROP SCHEMA elsewhere",
    )];
    let project = Project::new(&db.url, &as_refs(&files));
    let mut client = caller(&db);
    client
        .batch_execute("SET app.caller = 'mine'; SET work_mem = '5MB'")
        .unwrap();
    let result = migrator(&project).upgrade_on(&mut client, "head");
    let row = client
        .query_one(
            "SELECT current_setting('search_path'), current_setting('role'), \
             current_setting('app.tenant'), current_setting('app.caller'), \
             current_setting('work_mem')",
            &[],
        )
        .unwrap();
    let settings: Vec<String> = (0..5).map(|at| row.get(at)).collect();
    client
        .batch_execute(&format!(
            "REASSIGN OWNED BY {role} TO CURRENT_USER; DROP OWNED BY {role}; DROP ROLE {role}"
        ))
        .unwrap();
    result.unwrap();
    assert_eq!(session(&mut client).unwrap(), as_given());
    assert_eq!(
        settings,
        ["\"$user\", public", "none", "migrations", "changed", "5MB"],
        "the caller's session after the run"
    );
    assert_eq!(project.heads(), ["aaaa00000001"]);
}

/// A session inside a failed transaction is refused before anything runs, saying so, and left
/// as it was for the caller to roll back.
#[test]
fn a_callers_client_in_an_aborted_transaction_is_refused_untouched() {
    let db = TestDatabase::new();
    let files = three_revisions();
    let project = Project::new(&db.url, &as_refs(&files));
    let mut client = caller(&db);
    client.batch_execute("BEGIN").unwrap();
    assert!(client.batch_execute("SELECT 1/0").is_err());
    let error = migrator(&project)
        .upgrade_on(&mut client, "head")
        .unwrap_err();
    assert!(
        error.to_string().contains("inside a transaction"),
        "the refusal says why: {error}"
    );
    assert!(
        session(&mut client).is_err(),
        "still the caller's failed transaction"
    );
    client.batch_execute("ROLLBACK").unwrap();
    assert_eq!(session(&mut client).unwrap(), as_given());
    assert!(!db.has_table("alembic_version"), "nothing ran");
    assert!(lock_is_free(&db));
}

/// Session defaults the run does not set: a read-only default fails the run cleanly (nothing
/// written, the session given back); a serializable default runs it.
#[test]
fn a_callers_transaction_defaults_apply_to_the_runs_transactions() {
    let db = TestDatabase::new();
    let files = three_revisions();
    let project = Project::new(&db.url, &as_refs(&files));
    let mut client = caller(&db);
    client
        .batch_execute("SET default_transaction_read_only = on")
        .unwrap();
    let error = migrator(&project)
        .upgrade_on(&mut client, "head")
        .unwrap_err();
    assert!(error.to_string().contains("read-only"), "{error}");
    assert_eq!(session(&mut client).unwrap(), as_given());
    assert!(lock_is_free(&db));
    assert!(!db.has_table("alembic_version"));

    client
        .batch_execute(
            "SET default_transaction_read_only = off; \
             SET default_transaction_isolation = 'serializable'",
        )
        .unwrap();
    let report = migrator(&project).upgrade_on(&mut client, "head").unwrap();
    assert_eq!(report.applied.len(), 3);
    assert_eq!(session(&mut client).unwrap(), as_given());
    assert!(lock_is_free(&db));
}

/// A temporary table of the caller's session named like the version table, which the run's
/// unqualified statements would find first: refused before anything runs.
#[test]
fn a_temporary_alembic_version_in_the_callers_session_took_the_version_rows() {
    let db = TestDatabase::new();
    let files = three_revisions();
    let project = Project::new(&db.url, &as_refs(&files));
    let mut client = caller(&db);
    client
        .batch_execute(
            "CREATE TEMPORARY TABLE alembic_version (version_num varchar(32) PRIMARY KEY)",
        )
        .unwrap();
    let error = migrator(&project)
        .upgrade_on(&mut client, "head")
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("temporary table named alembic_version"),
        "{error}"
    );
    assert!(!db.has_table("m_a"), "nothing ran");
    assert_eq!(session(&mut client).unwrap(), as_given());
    assert!(lock_is_free(&db));
    drop(client);
    assert!(project.heads().is_empty());
}

/// A service's progress callback that panics once the first step is committed (the next
/// step's transaction is then already open), caught by the service as a panicking request
/// handler or a pool would.
struct PanicsAfterTheFirstStep;

impl Progress for PanicsAfterTheFirstStep {
    fn step_finished(&mut self, _step: &StepLabel, _elapsed: Duration) {
        panic!("the service's progress callback panicked");
    }
}

/// A panic unwinding out of a run on a caller's client: the connection survives it (the
/// service keeps it, or its pool takes it back), so it must come back outside the run's
/// transaction, without the migration lock and with its own time limits.
#[test]
fn a_panic_during_a_run_on_a_callers_client_leaves_no_transaction_or_lock() {
    let db = TestDatabase::new();
    let files = three_revisions();
    let project = Project::new(&db.url, &as_refs(&files));
    let mut client = caller(&db);
    let migrator = migrator(&project);
    let unwound = catch_unwind(AssertUnwindSafe(|| {
        migrator.migrate_on(
            &mut client,
            Direction::Upgrade,
            "head",
            &mut PanicsAfterTheFirstStep,
        )
    }));
    assert!(unwound.is_err());
    let after = session(&mut client);
    let free = lock_is_free(&db);
    assert_eq!(after.unwrap(), as_given());
    assert!(
        free,
        "the migration lock was left held by the caller's session"
    );
    assert_eq!(
        project.heads(),
        ["aaaa00000001"],
        "the first step committed"
    );
}

/// The command line on its own connection while a run on a caller's client is inside a slow
/// step: both key the lock on the version table the same way, so the other session cannot take
/// it, and `rmig upgrade head` waits for the run and then finds nothing to do.
#[test]
fn the_command_line_waits_for_a_run_on_a_callers_client() {
    let db = TestDatabase::new();
    let files = vec![sql_revision(
        "aaaa00000001",
        &[],
        "CREATE TABLE run_log (revision text); INSERT INTO run_log VALUES ('a'); \
         SELECT pg_sleep(1.5)",
        "DROP TABLE run_log",
    )];
    let project = Project::new(&db.url, &as_refs(&files));
    let mut client = caller(&db);
    let migrator = migrator(&project);
    let run = std::thread::spawn(move || {
        let report = migrator.upgrade_on(&mut client, "head").unwrap();
        (report.applied.len(), session(&mut client).unwrap())
    });
    std::thread::sleep(Duration::from_millis(500));
    assert!(!lock_is_free(&db), "the run holds the migration lock");
    let (stdout, stderr) = project.streams(&["upgrade", "head"]);
    let (applied, after) = run.join().unwrap();
    assert_eq!(applied, 1, "{stdout}{stderr}");
    assert_eq!(after, as_given());
    assert_eq!(db.strings("SELECT revision FROM run_log"), ["a"]);
    assert!(lock_is_free(&db));
}

// ---------------------------------------------------------------------------------------------
// SQLite

fn pragma(connection: &rusqlite::Connection, name: &str) -> i64 {
    connection
        .query_row(&format!("PRAGMA {name}"), [], |row| row.get(0))
        .unwrap()
}

/// A caller's SQLite connection with foreign keys on and a busy timeout of its own.
fn sqlite_caller(project: &Project) -> rusqlite::Connection {
    let connection = rusqlite::Connection::open(project.sqlite_path()).unwrap();
    connection
        .execute_batch("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 1234")
        .unwrap();
    connection
}

fn assert_sqlite_given_back(connection: &rusqlite::Connection) {
    assert!(connection.is_autocommit(), "left inside a transaction");
    assert_eq!(pragma(connection, "foreign_keys"), 1);
    assert_eq!(pragma(connection, "busy_timeout"), 1234);
}

/// A failed step on a caller's SQLite connection: rolled back, the connection given back.
#[test]
fn a_failed_step_on_a_callers_sqlite_connection_is_rolled_back() {
    let files = vec![
        sql_revision("aaaa00000001", &[], "CREATE TABLE kept (x int)", "DROP TABLE kept"),
        sql_revision(
            "bbbb00000002",
            &["aaaa00000001"],
            "CREATE TABLE half (x int); INSERT INTO half VALUES (1); INSERT INTO nowhere VALUES (1)",
            "DROP TABLE half",
        ),
    ];
    let project = Project::sqlite(&as_refs(&files));
    let mut connection = sqlite_caller(&project);
    let error = migrator(&project)
        .upgrade_on(&mut connection, "head")
        .unwrap_err();
    assert!(error.to_string().contains("nowhere"), "{error}");
    assert_sqlite_given_back(&connection);
    assert_eq!(
        project.sqlite_rows("SELECT name FROM sqlite_master WHERE name IN ('kept', 'half')"),
        ["kept"]
    );
    assert_eq!(project.heads(), ["aaaa00000001"]);
}

/// A table rebuild (a column's type changed) of a table other rows reference with ON DELETE
/// CASCADE, on a connection with foreign keys on: rmig turns them off for the run, so the
/// rebuild's DROP TABLE deletes no child row, and turns them back on.
#[test]
fn a_rebuild_on_a_callers_sqlite_connection_with_foreign_keys_on_keeps_the_children() {
    let alter = "[[upgrade]]\nop = \"alter_column\"\ntable_name = \"teams\"\ncolumn_name = \"name\"\ntype_ = \"varchar(40)\"\nexisting_type = \"varchar(10)\"\n";
    let files = vec![
        sql_revision(
            "aaaa00000001",
            &[],
            "CREATE TABLE teams (id integer PRIMARY KEY, name varchar(10)); \
             CREATE TABLE members (name text, team_id integer REFERENCES teams (id) ON DELETE CASCADE); \
             INSERT INTO teams VALUES (1, 'core'); INSERT INTO members VALUES ('ada', 1), ('grace', 1)",
            "DROP TABLE members; DROP TABLE teams",
        ),
        (
            "bbbb00000002_rev.toml".to_string(),
            format!(
                "revision = \"bbbb00000002\"\ndown_revision = \"aaaa00000001\"\nmessage = \"widen\"\n\n{alter}"
            ),
        ),
    ];
    let project = Project::sqlite(&as_refs(&files));
    let mut connection = sqlite_caller(&project);
    migrator(&project)
        .upgrade_on(&mut connection, "head")
        .unwrap();
    assert_sqlite_given_back(&connection);
    let teams = project.sqlite_rows("SELECT sql FROM sqlite_master WHERE name = 'teams'");
    assert!(
        teams[0].to_lowercase().contains("varchar(40)"),
        "the table was rebuilt: {teams:?}"
    );
    assert_eq!(
        project.sqlite_rows("SELECT count(*) FROM members"),
        ["2"],
        "the rebuild's DROP TABLE cascaded"
    );
    let violations: i64 = connection
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(violations, 0);
    assert_eq!(project.heads(), ["bbbb00000002"]);
}

/// A reader of another connection holding the database's shared lock (rollback journal): the
/// step's COMMIT cannot take the exclusive lock and fails, which in SQLite leaves the
/// transaction open; the run rolls it back, so the caller's connection is given back outside
/// it and does not keep the write lock.
#[test]
fn a_commit_refused_for_a_reader_on_a_callers_sqlite_connection_is_rolled_back() {
    let files = three_revisions();
    let project = Project::sqlite(&as_refs(&files));
    let mut connection = sqlite_caller(&project);
    migrator(&project)
        .upgrade_on(&mut connection, "aaaa00000001")
        .unwrap();
    let reader = rusqlite::Connection::open(project.sqlite_path()).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let _: i64 = reader
        .query_row("SELECT count(*) FROM run_log", [], |row| row.get(0))
        .unwrap();
    let error = migrator(&project)
        .lock_timeout(Duration::from_millis(300))
        .upgrade_on(&mut connection, "head")
        .unwrap_err();
    assert!(
        error.to_string().contains("locked") || error.to_string().contains("busy"),
        "{error}"
    );
    assert_sqlite_given_back(&connection);
    reader.execute_batch("COMMIT").unwrap();
    drop(reader);
    // Nothing of the failed run holds the database.
    let writer = rusqlite::Connection::open(project.sqlite_path()).unwrap();
    writer.execute_batch("BEGIN IMMEDIATE; ROLLBACK").unwrap();
    assert_eq!(project.heads(), ["aaaa00000001"]);
}

/// A caller's connection in WAL mode with another connection reading meanwhile: the run
/// commits beside the reader, and the connection comes back as it was, still in WAL mode.
#[test]
fn a_callers_sqlite_connection_in_wal_mode_is_migrated_beside_a_reader() {
    let files = three_revisions();
    let project = Project::sqlite(&as_refs(&files));
    let mut connection = sqlite_caller(&project);
    let mode: String = connection
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    migrator(&project)
        .upgrade_on(&mut connection, "aaaa00000001")
        .unwrap();
    let reader = rusqlite::Connection::open(project.sqlite_path()).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let _: i64 = reader
        .query_row("SELECT count(*) FROM run_log", [], |row| row.get(0))
        .unwrap();
    let report = migrator(&project)
        .lock_timeout(Duration::from_millis(300))
        .upgrade_on(&mut connection, "head")
        .unwrap();
    assert_eq!(report.applied.len(), 2);
    assert_sqlite_given_back(&connection);
    let mode: String = connection
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    reader.execute_batch("COMMIT").unwrap();
    assert_eq!(project.heads(), ["cccc00000003"]);
}

/// The caller's own update hook and busy handler: rmig's guard installs its own hook while a
/// step is watched and removes it afterwards, and the busy timeout it sets replaces any busy
/// handler. SQLite cannot say which hook or handler a connection had, so neither comes back
/// (docs/library.md says to install them again).
#[test]
fn a_callers_sqlite_update_hook_and_busy_handler_are_removed_by_a_run() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    static BUSY_CALLS: AtomicUsize = AtomicUsize::new(0);
    fn never_wait(_: i32) -> bool {
        BUSY_CALLS.fetch_add(1, Ordering::SeqCst);
        false
    }
    /// Whether the caller's busy handler is still called when another connection holds the
    /// write lock.
    fn busy_handler_called(project: &Project, connection: &rusqlite::Connection) -> bool {
        let holder = rusqlite::Connection::open(project.sqlite_path()).unwrap();
        holder.execute_batch("BEGIN IMMEDIATE").unwrap();
        let before = BUSY_CALLS.load(Ordering::SeqCst);
        assert!(connection.execute_batch("BEGIN IMMEDIATE").is_err());
        holder.execute_batch("ROLLBACK").unwrap();
        BUSY_CALLS.load(Ordering::SeqCst) > before
    }

    let files = three_revisions();
    let project = Project::sqlite(&as_refs(&files));
    let mut connection = sqlite_caller(&project);
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&seen);
    connection.update_hook(Some(
        move |_: rusqlite::hooks::Action, _: &str, _: &str, _: i64| {
            counter.fetch_add(1, Ordering::SeqCst);
        },
    ));
    connection.busy_handler(Some(never_wait)).unwrap();
    connection
        .execute_batch("CREATE TABLE service (x int); INSERT INTO service VALUES (1)")
        .unwrap();
    assert!(
        seen.load(Ordering::SeqCst) > 0,
        "the caller's hook sees its inserts"
    );
    assert!(busy_handler_called(&project, &connection));

    migrator(&project)
        .upgrade_on(&mut connection, "head")
        .unwrap();
    assert!(connection.is_autocommit());
    let during = seen.load(Ordering::SeqCst);
    connection
        .execute_batch("INSERT INTO run_log VALUES ('after')")
        .unwrap();
    assert_eq!(
        seen.load(Ordering::SeqCst),
        during,
        "the caller's update hook is gone after a run that ran steps"
    );
    assert!(
        !busy_handler_called(&project, &connection),
        "the caller's busy handler is gone"
    );
}

/// A panic unwinding out of a run on a caller's SQLite connection (a progress callback): the
/// connection must not be left inside the run's transaction, holding the database's write
/// lock, with foreign keys off.
#[test]
fn a_panic_during_a_run_on_a_callers_sqlite_connection_leaves_no_transaction() {
    let files = three_revisions();
    let project = Project::sqlite(&as_refs(&files));
    let mut connection = sqlite_caller(&project);
    let migrator = migrator(&project);
    let unwound = catch_unwind(AssertUnwindSafe(|| {
        migrator.migrate_on(
            &mut connection,
            Direction::Upgrade,
            "head",
            &mut PanicsAfterTheFirstStep,
        )
    }));
    assert!(unwound.is_err());
    assert_sqlite_given_back(&connection);
    assert_eq!(project.heads(), ["aaaa00000001"]);
}

// ---------------------------------------------------------------------------------------------
// A caller's tokio_postgres::Client (AsyncMigrator)

#[cfg(feature = "async")]
mod asynchronous {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    }

    async fn connect(db: &TestDatabase) -> (tokio_postgres::Client, tokio::task::JoinHandle<()>) {
        let (client, connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
            .await
            .unwrap();
        let task = tokio::spawn(async move {
            let _ = connection.await;
        });
        client
            .batch_execute("SET lock_timeout = '7s'; SET statement_timeout = 0")
            .await
            .unwrap();
        (client, task)
    }

    /// The session's `lock_timeout` and the advisory locks it holds.
    async fn lock_timeout_and_locks(client: &tokio_postgres::Client) -> (String, i64) {
        let row = client
            .query_one(
                "SELECT current_setting('lock_timeout'), (SELECT count(*) FROM pg_locks \
                 WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted)",
                &[],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    }

    /// a, then b which sleeps `seconds` inside its transaction.
    fn slow_second_step(seconds: f64) -> Vec<(String, String)> {
        vec![
            sql_revision(
                "aaaa00000001",
                &[],
                "CREATE TABLE m_a (x int)",
                "DROP TABLE m_a",
            ),
            sql_revision(
                "bbbb00000002",
                &["aaaa00000001"],
                &format!("CREATE TABLE m_b (x int); SELECT pg_sleep({seconds})"),
                "DROP TABLE m_b",
            ),
        ]
    }

    /// Dropping the future mid-run (a timeout around the call): as documented, the client may
    /// be left inside the run's transaction; once the caller rolled it back, the client is
    /// still the run's in two more ways, which docs/library.md now says: the session holds
    /// the migration lock, so every other run (the CLI, other replicas) waits for it until
    /// the connection closes, and keeps rmig's time limits.
    #[test]
    fn a_dropped_run_on_a_tokio_client_leaves_the_lock_with_the_session_until_it_closes() {
        let db = TestDatabase::new();
        let files = slow_second_step(1.0);
        let project = Project::new(&db.url, &as_refs(&files));
        let migrator = migrator(&project)
            .lock_timeout(Duration::from_secs(3))
            .into_async();
        // The runtime outlives the block: it drives the client's connection.
        let runtime = runtime();
        let client = runtime.block_on(async {
            let (mut client, _task) = connect(&db).await;
            let stopped = tokio::time::timeout(
                Duration::from_millis(500),
                migrator.upgrade_on(&mut client, "head"),
            )
            .await;
            assert!(stopped.is_err(), "the run was stopped mid-step");
            // The step's statement the server was running finishes; then the caller rolls
            // back, as documented.
            tokio::time::sleep(Duration::from_millis(1000)).await;
            client.batch_execute("ROLLBACK").await.unwrap();
            let (lock_timeout, locks) = lock_timeout_and_locks(&client).await;
            assert_eq!(locks, 1, "the session still holds the migration lock");
            assert_eq!(lock_timeout, "3s", "rmig's, not the caller's 7s");
            client
        });
        // Every other run waits for the session holding the lock.
        assert!(!lock_is_free(&db));
        drop(client);
        drop(runtime);
        // The session gone, so is its lock.
        std::thread::sleep(Duration::from_millis(300));
        assert!(lock_is_free(&db));
        assert!(!db.has_table("m_b"));
    }

    /// The caller's connection task ends mid-run: the run fails (no hang), and the server,
    /// which closed the session, rolled the step back and let the lock go.
    #[test]
    fn a_tokio_client_whose_connection_ends_mid_run_fails_the_run_cleanly() {
        let db = TestDatabase::new();
        let files = slow_second_step(1.0);
        let project = Project::new(&db.url, &as_refs(&files));
        let migrator = migrator(&project).into_async();
        let result = runtime().block_on(async {
            let (mut client, task) = connect(&db).await;
            let abort = async {
                tokio::time::sleep(Duration::from_millis(400)).await;
                task.abort();
            };
            let (result, ()) = tokio::time::timeout(Duration::from_secs(20), async {
                tokio::join!(migrator.upgrade_on(&mut client, "head"), abort)
            })
            .await
            .expect("the run ended");
            result
        });
        assert!(result.is_err(), "{result:?}");
        std::thread::sleep(Duration::from_millis(1500));
        assert!(lock_is_free(&db));
        assert!(!db.has_table("m_b"));
        assert_eq!(project.heads(), ["aaaa00000001"]);
    }
}
