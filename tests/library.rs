//! The library API (`rmig::Migrator`, and `AsyncMigrator` with `--features async`) against a
//! fresh PostgreSQL database per test.

mod common;

use std::sync::{Arc, Barrier};

use common::{as_refs, sql_revision, three_revisions, Project, TestDatabase};
use rmig::{embed_revisions, EmbeddedRevisions, MigrateError, Migrator};

fn migrator(project: &Project, db: &TestDatabase) -> Migrator {
    Migrator::from_dir(project.path().join("revisions"))
        .unwrap()
        .url(&db.url)
}

#[test]
fn upgrade_current_pending_check_downgrade() {
    let db = TestDatabase::new();
    let files = three_revisions();
    let project = Project::new(&db.url, &as_refs(&files));
    let migrator = migrator(&project, &db);

    let check = migrator.check().unwrap();
    assert!(check.current.is_empty());
    assert!(!check.is_up_to_date());
    assert!(check.blocked.is_none());
    let pending: Vec<&str> = check.pending.iter().map(|s| s.revision.as_str()).collect();
    assert_eq!(pending, ["aaaa00000001", "bbbb00000002", "cccc00000003"]);
    assert!(
        !db.has_table("alembic_version"),
        "check and pending change nothing"
    );

    let report = migrator.upgrade("+2").unwrap();
    assert_eq!(report.applied.len(), 2);
    assert_eq!(report.heads, ["bbbb00000002"]);
    assert_eq!(migrator.current().unwrap(), ["bbbb00000002"]);
    let pending = migrator.pending().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].revision, "cccc00000003");
    assert_eq!(pending[0].from, ["bbbb00000002"]);

    let report = migrator.upgrade("head").unwrap();
    assert_eq!(report.applied.len(), 1);
    assert_eq!(
        report.applied[0].to_string(),
        "upgrade bbbb00000002 -> cccc00000003, cccc00000003"
    );
    assert!(migrator.check().unwrap().is_up_to_date());
    assert!(migrator.upgrade("head").unwrap().is_noop());
    assert_eq!(db.strings("SELECT revision FROM run_log"), ["a", "b", "c"]);

    let report = migrator.downgrade("-1").unwrap();
    assert_eq!(report.heads, ["bbbb00000002"]);
    assert!(!db.has_table("m_c"));
    // The CLI sees what the library did: one version table, Alembic's.
    assert_eq!(project.heads(), ["bbbb00000002"]);
    assert_eq!(migrator.downgrade("base").unwrap().applied.len(), 2);
    assert!(migrator.current().unwrap().is_empty());
}

#[test]
fn embedded_revisions_and_a_custom_version_table() {
    let db = TestDatabase::new();
    let revisions = embed_revisions!("$CARGO_MANIFEST_DIR/tests/library_revisions");
    // README.md in that folder is not a revision.
    assert_eq!(revisions.len(), 2);
    let migrator = Migrator::from_embedded(&revisions)
        .unwrap()
        .url(&db.url)
        .version_table("app_versions");
    let report = migrator.upgrade("head").unwrap();
    assert_eq!(report.heads, ["b2c3d4e5f6a7"]);
    assert_eq!(
        db.strings("SELECT version_num::text FROM app_versions"),
        ["b2c3d4e5f6a7"]
    );
    assert!(!db.has_table("alembic_version"));
    assert_eq!(
        db.count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'email'"),
        1
    );
    // The written downgrade confirms its drop_column, so the guard lets it run.
    migrator.downgrade("-1").unwrap();
    assert_eq!(migrator.current().unwrap(), ["a1b2c3d4e5f6"]);
}

#[test]
fn the_guard_blocks_a_library_run_until_data_loss_is_allowed() {
    let db = TestDatabase::new();
    let create = (
        "d1_create.toml".to_string(),
        "revision = \"d1\"\nmessage = \"create notes\"\n\n[[upgrade]]\nop = \"execute\"\nsqltext = \"CREATE TABLE notes (body text); INSERT INTO notes VALUES ('keep me'), ('and me')\"\n\n[[downgrade]]\nop = \"execute\"\nsqltext = \"DROP TABLE notes\"\nconfirm_data_loss = \"d1\"\n".to_string(),
    );
    let drop = (
        "d2_drop.toml".to_string(),
        "revision = \"d2\"\ndown_revision = \"d1\"\nmessage = \"drop notes\"\n\n[[upgrade]]\nop = \"drop_table\"\ntable_name = \"notes\"\ncolumns = [ { name = \"body\", type = \"text\", nullable = true } ]\n".to_string(),
    );
    let files = vec![create, drop];
    let project = Project::new(&db.url, &as_refs(&files));
    let migrator = migrator(&project, &db);
    migrator.upgrade("d1").unwrap();

    let check = migrator.check().unwrap();
    let blocked = check.blocked.expect("check reports the block");
    assert!(blocked.to_string().contains("notes"), "{blocked}");

    let error = migrator.upgrade("head").unwrap_err();
    assert_eq!(error.exit_code(), 3);
    let report = error.guard_report().expect("a guard report");
    let text = report.to_string();
    assert!(
        text.contains("drop_table notes") && text.contains("d2"),
        "{text}"
    );
    assert!(text.contains('2'), "online, the rows are counted: {text}");
    assert!(matches!(error, MigrateError::Blocked(_)));
    assert_eq!(migrator.current().unwrap(), ["d1"], "nothing ran");
    assert!(db.has_table("notes"));

    let report = migrator
        .clone()
        .allow_data_loss("notes")
        .upgrade("head")
        .unwrap();
    assert_eq!(report.heads, ["d2"]);
    assert!(!db.has_table("notes"));
}

#[test]
fn a_failed_step_is_reported_and_earlier_steps_stay() {
    let db = TestDatabase::new();
    let files = vec![
        sql_revision("f1", &[], "CREATE TABLE f1 (x int)", "DROP TABLE f1"),
        sql_revision("f2", &["f1"], "CREATE TABLE f1 (x int)", "SELECT 1"),
    ];
    let project = Project::new(&db.url, &as_refs(&files));
    let migrator = migrator(&project, &db);
    let error = migrator.upgrade("head").unwrap_err();
    assert_eq!(error.exit_code(), 1);
    assert!(matches!(error, MigrateError::Failed(_)), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("f2") && message.contains("already exists"),
        "{message}"
    );
    assert_eq!(migrator.current().unwrap(), ["f1"]);
}

#[test]
fn concurrent_library_runs_apply_each_revision_once() {
    let db = TestDatabase::new();
    let files = three_revisions();
    let project = Project::new(&db.url, &as_refs(&files));
    let migrator = migrator(&project, &db);
    let replicas = 4;
    let barrier = Arc::new(Barrier::new(replicas));
    let handles: Vec<_> = (0..replicas)
        .map(|_| {
            let migrator = migrator.clone();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                migrator.upgrade("head").unwrap().applied.len()
            })
        })
        .collect();
    let applied: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(applied, 3, "each revision ran in exactly one replica");
    assert_eq!(db.strings("SELECT revision FROM run_log"), ["a", "b", "c"]);
}

#[test]
fn from_config_reads_url_and_version_table() {
    let db = TestDatabase::new();
    let files = three_revisions();
    let project = Project::new(&db.url, &as_refs(&files));
    let config = project.path().join("rmig.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        format!("{text}version_table = \"svc_versions\"\nlock_timeout = \"20s\"\n"),
    )
    .unwrap();
    // Without RMIG_URL / DATABASE_URL in this process, the file's URL is used.
    if std::env::var_os("RMIG_URL").is_some() || std::env::var_os("DATABASE_URL").is_some() {
        return;
    }
    let migrator = Migrator::from_config(&config).unwrap();
    assert_eq!(migrator.upgrade("head").unwrap().heads, ["cccc00000003"]);
    assert!(db.has_table("svc_versions"));
}

#[test]
fn bad_input_is_reported_before_connecting() {
    let embedded = EmbeddedRevisions::new(
        "migrations",
        &[("a1_x.toml", "revision = \"a1\"\nmesage = \"typo\"\n")],
    );
    let error = Migrator::from_embedded(&embedded).unwrap_err();
    assert_eq!(error.exit_code(), 2);
    let message = error.to_string();
    assert!(
        message.contains("migrations/a1_x.toml") && message.contains("mesage"),
        "{message}"
    );

    let embedded = EmbeddedRevisions::new(
        "migrations",
        &[
            ("a1_one.toml", "revision = \"a1\"\n"),
            ("a1_two.yaml", "revision: a1\n"),
        ],
    );
    let message = Migrator::from_embedded(&embedded).unwrap_err().to_string();
    assert!(
        message.contains("a1_one.toml") && message.contains("a1_two.yaml"),
        "{message}"
    );

    let migrator = Migrator::from_embedded(&EmbeddedRevisions::new(
        "m",
        &[("a1_x.toml", "revision = \"a1\"\n")],
    ))
    .unwrap();
    let error = migrator.upgrade("head").unwrap_err();
    assert!(matches!(error, MigrateError::NoUrl));
    assert_eq!(error.exit_code(), 2);
    let error = migrator
        .url("postgresql://nobody:hunter2@127.0.0.1:1/none")
        .upgrade("head")
        .unwrap_err();
    assert_eq!(error.exit_code(), 1);
    assert!(!error.to_string().contains("hunter2"), "{error}");
}

/// The async tests build their runtime by hand: the test's own helpers (TestDatabase, its
/// queries) use the sync driver, which must not run inside a runtime.
#[cfg(feature = "async")]
mod asynchronous {
    use super::*;

    fn runtime(multi_thread: bool) -> tokio::runtime::Runtime {
        let mut builder = if multi_thread {
            tokio::runtime::Builder::new_multi_thread()
        } else {
            tokio::runtime::Builder::new_current_thread()
        };
        builder.worker_threads(2).enable_all().build().unwrap()
    }

    async fn walk(migrator: rmig::AsyncMigrator) {
        assert_eq!(migrator.pending().await.unwrap().len(), 3);
        let report = migrator.upgrade("head").await.unwrap();
        assert_eq!(report.applied.len(), 3);
        assert_eq!(migrator.current().await.unwrap(), ["cccc00000003"]);
        assert!(migrator.check().await.unwrap().is_up_to_date());
        let report = migrator.downgrade("bbbb00000002").await.unwrap();
        assert_eq!(report.heads, ["bbbb00000002"]);
        let error = migrator.upgrade("nonexistent").await.unwrap_err();
        assert_eq!(error.exit_code(), 2, "{error}");
    }

    fn walk_on(multi_thread: bool) {
        let db = TestDatabase::new();
        let files = three_revisions();
        let project = Project::new(&db.url, &as_refs(&files));
        let migrator = migrator(&project, &db).into_async();
        runtime(multi_thread).block_on(walk(migrator));
        assert_eq!(db.strings("SELECT revision FROM run_log"), ["a", "b", "c"]);
        assert!(!db.has_table("m_c") && db.has_table("m_b"));
    }

    #[test]
    fn async_migrator_on_a_multi_thread_runtime() {
        walk_on(true);
    }

    #[test]
    fn async_migrator_on_a_current_thread_runtime() {
        walk_on(false);
    }

    #[test]
    fn concurrent_async_runs_apply_each_revision_once() {
        let db = TestDatabase::new();
        let files = three_revisions();
        let project = Project::new(&db.url, &as_refs(&files));
        let migrator = migrator(&project, &db).into_async();
        let applied = runtime(true).block_on(async move {
            let runs: Vec<_> = (0..4)
                .map(|_| {
                    let migrator = migrator.clone();
                    tokio::spawn(
                        async move { migrator.upgrade("head").await.unwrap().applied.len() },
                    )
                })
                .collect();
            let mut applied = 0;
            for run in runs {
                applied += run.await.unwrap();
            }
            applied
        });
        assert_eq!(applied, 3);
        assert_eq!(db.strings("SELECT revision FROM run_log"), ["a", "b", "c"]);
    }

    /// The caller's `tokio_postgres::Client`, its connection driven by the caller's runtime:
    /// on a current-thread runtime the run's statements are served by the awaiting task, so
    /// nothing waits on a blocked thread; the session's time limits come back as they were,
    /// also after a refused plan, and the client stays usable.
    fn callers_tokio_client(multi_thread: bool) {
        let db = TestDatabase::new();
        let files = three_revisions();
        let project = Project::new(&db.url, &as_refs(&files));
        let migrator = migrator(&project, &db).into_async();
        let url = db.url.clone();
        runtime(multi_thread).block_on(async move {
            let (mut client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(connection);
            client
                .batch_execute("SET lock_timeout = '7s'")
                .await
                .unwrap();
            assert_eq!(
                migrator.check_on(&mut client).await.unwrap().pending.len(),
                3
            );
            let report = migrator.upgrade_on(&mut client, "head").await.unwrap();
            assert_eq!(report.applied.len(), 3);
            assert_eq!(
                migrator.current_on(&mut client).await.unwrap(),
                ["cccc00000003"]
            );
            let report = migrator.downgrade_on(&mut client, "-1").await.unwrap();
            assert_eq!(report.heads, ["bbbb00000002"]);
            let error = migrator
                .upgrade_on(&mut client, "nonexistent")
                .await
                .unwrap_err();
            assert_eq!(error.exit_code(), 2, "{error}");
            let row = client
                .query_one("SELECT current_setting('lock_timeout')", &[])
                .await
                .unwrap();
            assert_eq!(row.get::<_, String>(0), "7s");
        });
        assert_eq!(project.heads(), ["bbbb00000002"]);
        assert!(!db.has_table("m_c") && db.has_table("m_b"));
    }

    #[test]
    fn a_callers_tokio_postgres_client_on_a_current_thread_runtime() {
        callers_tokio_client(false);
    }

    #[test]
    fn a_callers_tokio_postgres_client_on_a_multi_thread_runtime() {
        callers_tokio_client(true);
    }
}

/// The caller's own `postgres::Client`: the run takes the same lock, keeps Alembic's version
/// table, and leaves the session as it found it (its time limits, no open transaction), also
/// when the guard refuses.
#[test]
fn a_callers_postgres_client_is_migrated_and_given_back_as_it_was() {
    let db = TestDatabase::new();
    let files = three_revisions();
    let project = Project::new(&db.url, &as_refs(&files));
    let migrator = migrator(&project, &db);
    let mut client = db.client();
    client
        .batch_execute("SET lock_timeout = '7s'; SET statement_timeout = 0")
        .unwrap();
    let settings = |client: &mut postgres::Client| {
        let row = client
            .query_one(
                "SELECT current_setting('lock_timeout'), current_setting('statement_timeout')",
                &[],
            )
            .unwrap();
        (row.get::<_, String>(0), row.get::<_, String>(1))
    };

    assert_eq!(migrator.check_on(&mut client).unwrap().pending.len(), 3);
    let report = migrator
        .clone()
        .statement_timeout(std::time::Duration::from_secs(30))
        .upgrade_on(&mut client, "+2")
        .unwrap();
    assert_eq!(report.heads, ["bbbb00000002"]);
    assert_eq!(settings(&mut client), ("7s".to_string(), "0".to_string()));
    assert_eq!(migrator.current_on(&mut client).unwrap(), ["bbbb00000002"]);
    // The CLI, on its own connection, sees what ran on the caller's.
    assert_eq!(project.heads(), ["bbbb00000002"]);
    migrator.upgrade_on(&mut client, "head").unwrap();
    assert_eq!(db.strings("SELECT revision FROM run_log"), ["a", "b", "c"]);
    // No transaction was left open: a rollback now undoes nothing rmig did.
    client.batch_execute("ROLLBACK").unwrap();
    assert_eq!(migrator.current().unwrap(), ["cccc00000003"]);

    // A session with no lock_timeout gets rmig's for the run and none again afterwards.
    client.batch_execute("SET lock_timeout = 0").unwrap();
    migrator.downgrade_on(&mut client, "-1").unwrap();
    assert_eq!(settings(&mut client), ("0".to_string(), "0".to_string()));

    // Inside the caller's transaction: refused, since the run would commit it.
    client.batch_execute("BEGIN").unwrap();
    let error = migrator.upgrade_on(&mut client, "head").unwrap_err();
    assert!(
        error.to_string().contains("inside a transaction"),
        "{error}"
    );
    client.batch_execute("ROLLBACK").unwrap();

    // Refused by the guard: nothing ran, the session is still the caller's as it was.
    let drop = sql_revision(
        "dddd00000004",
        &["cccc00000003"],
        "DROP TABLE run_log",
        "CREATE TABLE run_log (revision text)",
    );
    let mut files = three_revisions();
    files.push(drop);
    let project = Project::new(&db.url, &as_refs(&files));
    let error = Migrator::from_dir(project.path().join("revisions"))
        .unwrap()
        .upgrade_on(&mut client, "heads")
        .unwrap_err();
    assert_eq!(error.exit_code(), 3, "{error}");
    assert!(db.has_table("run_log"));
    assert_eq!(settings(&mut client), ("0".to_string(), "0".to_string()));
    client.batch_execute("SELECT 1").unwrap();
}

/// Two services starting at once, each on its own caller-owned client: the migration lock
/// lets one run each revision.
#[test]
fn concurrent_runs_on_callers_clients_apply_each_revision_once() {
    let db = TestDatabase::new();
    let files = three_revisions();
    let project = Project::new(&db.url, &as_refs(&files));
    let migrator = migrator(&project, &db);
    let barrier = Arc::new(Barrier::new(4));
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let migrator = migrator.clone();
            let barrier = barrier.clone();
            let mut client = db.client();
            std::thread::spawn(move || {
                barrier.wait();
                migrator
                    .upgrade_on(&mut client, "head")
                    .unwrap()
                    .applied
                    .len()
            })
        })
        .collect();
    let applied: usize = runs.into_iter().map(|run| run.join().unwrap()).sum();
    assert_eq!(applied, 3);
    assert_eq!(db.strings("SELECT revision FROM run_log"), ["a", "b", "c"]);
}

/// The caller's own `rusqlite::Connection`, with foreign keys on and its own busy timeout:
/// migrated, then given back with both as they were.
#[test]
fn a_callers_sqlite_connection_is_migrated_and_given_back_as_it_was() {
    let files = three_revisions();
    let project = Project::sqlite(&as_refs(&files));
    let migrator = Migrator::from_dir(project.path().join("revisions")).unwrap();
    let mut connection = rusqlite::Connection::open(project.sqlite_path()).unwrap();
    connection
        .execute_batch("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 1234")
        .unwrap();
    let pragma = |connection: &rusqlite::Connection, name: &str| -> i64 {
        connection
            .query_row(&format!("PRAGMA {name}"), [], |row| row.get(0))
            .unwrap()
    };
    let report = migrator.upgrade_on(&mut connection, "head").unwrap();
    assert_eq!(report.applied.len(), 3);
    assert_eq!(pragma(&connection, "foreign_keys"), 1);
    assert_eq!(pragma(&connection, "busy_timeout"), 1234);
    assert!(connection.is_autocommit(), "no transaction left open");
    assert_eq!(project.heads(), ["cccc00000003"]);
    connection.execute_batch("BEGIN").unwrap();
    let error = migrator.downgrade_on(&mut connection, "-1").unwrap_err();
    assert!(
        error.to_string().contains("inside a transaction"),
        "{error}"
    );
    connection.execute_batch("ROLLBACK").unwrap();
    // The guard's hooks are gone: the caller's own deletes are not watched or refused.
    connection.execute_batch("DELETE FROM run_log").unwrap();
    assert_eq!(
        migrator.current_on(&mut connection).unwrap(),
        ["cccc00000003"]
    );
}
