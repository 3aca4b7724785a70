//! The MySQL/MariaDB backend against a real server (`RMIG_TEST_MYSQL_URL`, by default the
//! local MariaDB as root): the run lock, statements one at a time and in batches, `$N`
//! parameters, values as text, the catalog, and the session's time limits.

use std::time::{Duration, Instant};

use mysql::prelude::Queryable;
use crate::db::{Backend, ConnectOptions, DbError, LiveColumn, MysqlBackend, MysqlUrl};
use crate::dialect::Dialect;
use crate::ops::ScalarValue;
use crate::test_support::mysql::{MysqlTestDatabase, OwnMariadb, APP_PASSWORD};
use crate::version_table::VersionTable;

fn connect(db: &MysqlTestDatabase) -> MysqlBackend {
    connect_with(db, ConnectOptions::default())
}

fn connect_with(db: &MysqlTestDatabase, options: ConnectOptions) -> MysqlBackend {
    let url = MysqlUrl::parse(&db.url).unwrap();
    MysqlBackend::connect(&url, &options).unwrap_or_else(|e| panic!("{e}"))
}

fn text(value: &str) -> ScalarValue {
    ScalarValue::String(value.to_string())
}

fn statement_message(error: DbError) -> (String, bool) {
    match error {
        DbError::Statement {
            message,
            lock_timed_out,
            ..
        } => (message, lock_timed_out),
        other => panic!("not a statement's error: {other}"),
    }
}

#[test]
fn connects_through_the_library_url_and_reports_the_server() {
    let db = MysqlTestDatabase::new();
    let url = crate::db::DatabaseUrl::parse(&db.url).unwrap();
    assert!(
        url.target().ends_with(&format!("/{}", db.name)),
        "{}",
        url.target()
    );
    let mut backend = url.connect(&ConnectOptions::default()).unwrap();
    assert_eq!(backend.dialect(), Dialect::Mysql);
    assert_eq!(
        backend.query_strings("SELECT DATABASE()", &[]).unwrap(),
        [db.name.as_str()]
    );
    let backend = connect(&db);
    let version = backend.server_version().to_string();
    assert!(!version.is_empty());
    assert_eq!(backend.is_mariadb(), version.contains("MariaDB"));
    assert_eq!(backend.database(), db.name);
}

#[test]
fn connection_failures_name_the_server_without_the_password() {
    let url = MysqlUrl::parse("mysql://rmig:Zq7secret@127.0.0.1:1/db?connect_timeout=2").unwrap();
    let error = MysqlBackend::connect(&url, &ConnectOptions::default())
        .err()
        .unwrap()
        .to_string();
    assert!(
        error.starts_with("cannot connect to mysql://rmig:***@127.0.0.1:1/db")
            && error.contains("is the server running")
            && !error.contains("Zq7secret"),
        "{error}"
    );
    let db = MysqlTestDatabase::new();
    let (_, location) = db.url.split_once('@').unwrap();
    let url = MysqlUrl::parse(&format!("mysql://rmig_no_such_user:Zq7secret@{location}")).unwrap();
    let error = MysqlBackend::connect(&url, &ConnectOptions::default())
        .err()
        .unwrap()
        .to_string();
    assert!(
        error.contains("Access denied for user 'rmig_no_such_user'")
            && !error.contains("Zq7secret"),
        "{error}"
    );
}

#[test]
fn the_run_lock_keeps_a_second_session_out_until_released() {
    let db = MysqlTestDatabase::new();
    let table = VersionTable::default();
    let mut first = connect(&db);
    let mut second = connect(&db);
    first.lock(&table, Duration::from_secs(1)).unwrap();
    // The lock is the session's: a transaction's end does not release it.
    first.begin().unwrap();
    first.commit().unwrap();
    let started = Instant::now();
    let error = second
        .lock(&table, Duration::from_millis(300))
        .expect_err("the second session waits for the first's lock");
    let waited = started.elapsed();
    match &error {
        DbError::LockTimeout { table, waited } => {
            assert_eq!(table, "alembic_version");
            assert!(*waited >= Duration::from_millis(250), "{waited:?}");
        }
        other => panic!("not a lock timeout: {other}"),
    }
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(2),
        "GET_LOCK waited {waited:?} for a 300 ms timeout"
    );
    assert!(error
        .to_string()
        .contains("another rmig run holds the migration lock"));
    // Another project's version table is another lock.
    let other = VersionTable {
        name: "other_version".to_string(),
        schema: None,
    };
    second.lock(&other, Duration::ZERO).unwrap();
    second.unlock(&other).unwrap();
    first.unlock(&table).unwrap();
    second.lock(&table, Duration::ZERO).unwrap();
    second.unlock(&table).unwrap();
    // A name past GET_LOCK's 64 characters is hashed, and still keeps sessions apart.
    let long = VersionTable {
        name: "v".repeat(64),
        schema: Some(db.name.clone()),
    };
    first.lock(&long, Duration::ZERO).unwrap();
    assert!(matches!(
        second.lock(&long, Duration::ZERO),
        Err(DbError::LockTimeout { .. })
    ));
    first.unlock(&long).unwrap();
}

#[test]
fn a_batch_runs_every_statement_and_reports_the_one_that_fails() {
    let db = MysqlTestDatabase::new();
    let mut backend = connect(&db);
    // A SELECT among them: its rows are read, and the session stays usable.
    backend
        .batch("CREATE TABLE a (x int); SELECT 1, 2; INSERT INTO a VALUES (1);")
        .unwrap();
    assert_eq!(backend.query_count("SELECT COUNT(*) FROM a").unwrap(), 1);
    let error = backend
        .batch(
            "CREATE TABLE b (x int); INSERT INTO no_such_table VALUES (1); CREATE TABLE c (x int)",
        )
        .expect_err("the second statement fails");
    let (message, lock_timed_out) = statement_message(error);
    assert!(
        message.starts_with("ERROR 1146 (42S02)") && message.contains("no_such_table"),
        "{message}"
    );
    assert!(!lock_timed_out);
    // The first ran (MySQL commits DDL at once), the third never did.
    assert!(backend.has_table(None, "b").unwrap());
    assert!(!backend.has_table(None, "c").unwrap());
    assert_eq!(backend.query_count("SELECT 7").unwrap(), 7);
    // A failure after a result set with rows is still found.
    let error = backend
        .batch("SELECT 1; SELECT 2, 3; DROP TABLE no_such_table")
        .expect_err("the third statement fails");
    let (message, _) = statement_message(error);
    assert!(message.starts_with("ERROR 1051"), "{message}");
    // Comments only, or nothing: no statement to run.
    backend.batch("  ").unwrap();
    backend.batch("-- nothing\n").unwrap();
}

#[test]
fn execute_one_runs_ddl_and_refuses_a_second_statement() {
    let db = MysqlTestDatabase::new();
    let mut backend = connect(&db);
    for sql in [
        "CREATE TABLE t (id int PRIMARY KEY, x varchar(10))",
        "ALTER TABLE t ADD COLUMN y int",
        "CREATE INDEX ix_t_y ON t (y)",
        "RENAME TABLE t TO t2",
        "ALTER TABLE t2 RENAME COLUMN y TO z",
        "CREATE VIEW v AS SELECT id FROM t2",
        "DROP VIEW v",
        "DROP INDEX ix_t_y ON t2",
        "CREATE TRIGGER tr BEFORE INSERT ON t2 FOR EACH ROW SET NEW.z = 1",
        "DROP TRIGGER tr",
        "CREATE TABLE kept (x int);",
    ] {
        backend
            .execute_one(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    assert!(backend.has_table(None, "t2").unwrap());
    for sql in [
        "CREATE TABLE one (x int); CREATE TABLE two (x int)",
        "DROP TABLE kept; SELECT 1",
    ] {
        let (message, _) = statement_message(backend.execute_one(sql).unwrap_err());
        assert!(message.starts_with("ERROR 1064"), "{sql}: {message}");
    }
    assert!(!backend.has_table(None, "one").unwrap());
    assert!(!backend.has_table(None, "two").unwrap());
    assert!(backend.has_table(None, "kept").unwrap());
    backend.execute_one("DROP TABLE t2").unwrap();
    assert!(!backend.has_table(None, "t2").unwrap());
}

#[test]
fn dollar_placeholders_bind_in_any_order_and_not_inside_quotes() {
    let db = MysqlTestDatabase::new();
    let mut backend = connect(&db);
    backend
        .batch("CREATE TABLE p (a varchar(20), b int, c varchar(20), d double, e tinyint(1))")
        .unwrap();
    let inserted = backend
        .execute(
            "INSERT INTO p (a, b, c, d, e) VALUES ($2, $1, '$1', $3, $4)",
            &[
                ScalarValue::Integer(7),
                text("x'y\\z"),
                ScalarValue::Float(1.5),
                ScalarValue::Bool(true),
            ],
        )
        .unwrap();
    assert_eq!(inserted, 1);
    backend
        .execute(
            "INSERT INTO p (a, b) VALUES ($1, $2)",
            &[ScalarValue::Null, ScalarValue::Integer(8)],
        )
        .unwrap();
    assert_eq!(
        backend
            .query_rows("SELECT a, b, c, d, e FROM p ORDER BY b")
            .unwrap(),
        [
            vec![
                Some("x'y\\z".to_string()),
                Some("7".to_string()),
                Some("$1".to_string()),
                Some("1.5".to_string()),
                Some("1".to_string())
            ],
            vec![None, Some("8".to_string()), None, None, None],
        ]
    );
    // One value, used twice.
    assert_eq!(
        backend
            .query_strings(
                "SELECT a FROM p WHERE b = $1 AND b + 0 = $1 AND c = '$1'",
                &[ScalarValue::Integer(7)]
            )
            .unwrap(),
        ["x'y\\z"]
    );
    // An UPDATE that leaves the row as it was still counts it: rows matched, not changed.
    assert_eq!(
        backend
            .execute(
                "UPDATE p SET a = $1 WHERE b = $2",
                &[text("x'y\\z"), ScalarValue::Integer(7)]
            )
            .unwrap(),
        1
    );
    let (message, _) = statement_message(
        backend
            .execute("UPDATE p SET a = $2", &[text("only one")])
            .unwrap_err(),
    );
    assert_eq!(message, "the statement uses $2, but 1 parameter was given");
}

#[test]
fn query_rows_gives_every_value_in_its_text_form() {
    let db = MysqlTestDatabase::new();
    let mut backend = connect(&db);
    backend
        .batch(
            "CREATE TABLE v (i int, big bigint unsigned, n decimal(5,2), f float, d double, \
             s varchar(10), bin varbinary(4), bl blob, dt date, ts datetime(3), tm time, \
             bits bit(8), nothing int); \
             INSERT INTO v VALUES (-3, 18446744073709551615, 12.5, 0.25, 2.5, 'é', \
             x'00ff', x'0a0b', '2024-01-02', '2024-01-02 03:04:05.678', '-01:02:03', b'101', NULL)",
        )
        .unwrap();
    let columns = [
        "i", "big", "n", "f", "d", "s", "bin", "bl", "dt", "ts", "tm", "bits", "nothing",
    ];
    let expected: Vec<Option<String>> = [
        Some("-3"),
        Some("18446744073709551615"),
        Some("12.50"),
        Some("0.25"),
        Some("2.5"),
        Some("é"),
        Some("00ff"),
        Some("0a0b"),
        Some("2024-01-02"),
        Some("2024-01-02 03:04:05.678"),
        Some("-01:02:03"),
        Some("05"),
        None,
    ]
    .into_iter()
    .map(|value| value.map(str::to_string))
    .collect();
    let rows = backend
        .query_rows(&format!("SELECT {} FROM v", columns.join(", ")))
        .unwrap();
    assert_eq!(rows, std::slice::from_ref(&expected));
    // The binary protocol (a query with parameters) prints each value the same way.
    for (column, value) in columns.iter().zip(&expected) {
        let sql = format!("SELECT {column} FROM v WHERE $1 = 1");
        match value {
            Some(value) => assert_eq!(
                backend
                    .query_strings(&sql, &[ScalarValue::Integer(1)])
                    .unwrap(),
                [value.as_str()],
                "{column}"
            ),
            None => assert!(backend
                .query_strings(&sql, &[ScalarValue::Integer(1)])
                .is_err()),
        }
    }
}

#[test]
fn table_columns_and_has_table_read_the_catalog() {
    let db = MysqlTestDatabase::new();
    let mut backend = connect(&db);
    backend
        .batch(
            "CREATE TABLE cat (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, \
             name varchar(20) NOT NULL DEFAULT 'x', note text NULL, n int DEFAULT 0, \
             created datetime DEFAULT CURRENT_TIMESTAMP); CREATE VIEW cat_view AS SELECT id FROM cat",
        )
        .unwrap();
    let mariadb = backend.is_mariadb();
    let int = if mariadb { "int(11)" } else { "int" };
    let column = |name: &str, type_name: &str, nullable: bool, default: Option<&str>| LiveColumn {
        name: name.to_string(),
        type_name: type_name.to_string(),
        nullable,
        default: default.map(str::to_string),
    };
    let expected = vec![
        column("id", int, false, None),
        column("name", "varchar(20)", false, Some("'x'")),
        column("note", "text", true, None),
        column("n", int, true, Some("0")),
        column(
            "created",
            "datetime",
            true,
            Some(if mariadb {
                "current_timestamp()"
            } else {
                "CURRENT_TIMESTAMP"
            }),
        ),
    ];
    assert_eq!(backend.table_columns(None, "cat").unwrap(), expected);
    assert_eq!(
        backend.table_columns(Some(&db.name), "cat").unwrap(),
        expected
    );
    assert_eq!(backend.table_columns(None, "no_such").unwrap(), []);
    assert_eq!(
        backend.table_columns(Some("no_such_db"), "cat").unwrap(),
        []
    );
    assert!(backend.has_table(None, "cat").unwrap());
    assert!(backend.has_table(None, "cat_view").unwrap());
    assert!(backend.has_table(Some(&db.name), "cat").unwrap());
    assert!(!backend.has_table(Some("no_such_db"), "cat").unwrap());
    assert!(!backend.has_table(None, "CAT_missing").unwrap());
    // Where the server tells names apart by case (Linux's default), so does has_table.
    if db.rows("SELECT CAST(@@lower_case_table_names AS CHAR)") == ["0"] {
        assert!(!backend.has_table(None, "CAT").unwrap());
        assert_eq!(backend.table_columns(None, "Cat").unwrap(), []);
    }
}

#[test]
fn scripts_and_their_queries_run_in_one_round_trip_each() {
    let db = MysqlTestDatabase::new();
    let mut backend = connect(&db);
    backend
        .batch("CREATE TABLE alembic_version (version_num varchar(32) NOT NULL PRIMARY KEY)")
        .unwrap();
    let select = "SELECT version_num FROM alembic_version ORDER BY version_num";
    assert_eq!(
        backend.begin_and_query(select).unwrap(),
        Vec::<String>::new()
    );
    let counts = backend
        .execute_script(&[
            "INSERT INTO alembic_version (version_num) VALUES ('a1')".to_string(),
            "UPDATE alembic_version SET version_num = 'a1' WHERE version_num = 'a1'".to_string(),
        ])
        .unwrap();
    assert_eq!(counts, [1, 1]);
    let (counts, versions) = backend
        .execute_script_and_query(
            &[
                "UPDATE alembic_version SET version_num = 'b2' WHERE version_num = 'a1'"
                    .to_string(),
                "INSERT INTO alembic_version (version_num) VALUES ('c3')".to_string(),
            ],
            select,
        )
        .unwrap();
    assert_eq!(
        (counts, versions),
        (vec![1, 1], vec!["b2".to_string(), "c3".to_string()])
    );
    assert_eq!(
        backend.commit_and_begin_query(select).unwrap(),
        ["b2", "c3"]
    );
    backend.execute("DELETE FROM alembic_version", &[]).unwrap();
    backend.rollback().unwrap();
    assert_eq!(db.rows(select), ["b2", "c3"]);
    let error = backend
        .execute_script(&[
            "INSERT INTO alembic_version (version_num) VALUES ('d4')".to_string(),
            "INSERT INTO alembic_version (version_num) VALUES ('d4')".to_string(),
        ])
        .unwrap_err();
    let (message, _) = statement_message(error);
    assert!(message.starts_with("ERROR 1062"), "{message}");
}

#[test]
fn lock_timeout_sets_both_waits_in_whole_seconds() {
    let db = MysqlTestDatabase::new();
    let settings = "SELECT @@session.lock_wait_timeout, @@session.innodb_lock_wait_timeout";
    let read = |backend: &mut MysqlBackend| {
        backend.query_rows(settings).unwrap()[0]
            .iter()
            .map(|value| value.clone().unwrap())
            .collect::<Vec<_>>()
    };
    let with = |lock_timeout: &str| ConnectOptions {
        lock_timeout: Some(lock_timeout.to_string()),
        statement_timeout: None,
    };
    assert_eq!(read(&mut connect_with(&db, with("150ms"))), ["1", "1"]);
    assert_eq!(read(&mut connect_with(&db, with("1500ms"))), ["2", "2"]);
    assert_eq!(read(&mut connect_with(&db, with("5s"))), ["5", "5"]);
    // No limit given: metadata locks wait 1 s where the server set none; row locks as set.
    let mut backend = connect(&db);
    let innodb_default = db.rows("SELECT CAST(@@global.innodb_lock_wait_timeout AS CHAR)");
    assert_eq!(
        read(&mut backend),
        ["1".to_string(), innodb_default[0].clone()]
    );
}

#[test]
fn waiting_too_long_for_a_row_or_metadata_lock_is_a_lock_timeout() {
    let db = MysqlTestDatabase::new();
    let options = ConnectOptions {
        lock_timeout: Some("1s".to_string()),
        statement_timeout: None,
    };
    let mut backend = connect_with(&db, options);
    backend
        .batch("CREATE TABLE locked (id int PRIMARY KEY, x int); INSERT INTO locked VALUES (1, 0)")
        .unwrap();
    // Another session holds the row.
    let mut other = db.connection();
    other.query_drop("START TRANSACTION").unwrap();
    other
        .query_drop("UPDATE locked SET x = 1 WHERE id = 1")
        .unwrap();
    let started = Instant::now();
    let error = backend
        .execute(
            "UPDATE locked SET x = 2 WHERE id = $1",
            &[ScalarValue::Integer(1)],
        )
        .unwrap_err();
    let waited = started.elapsed();
    assert!(error.is_lock_timeout(), "{error}");
    assert!(error.to_string().contains("ERROR 1205"), "{error}");
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(4),
        "waited {waited:?} on a row lock with lock_timeout 1s"
    );
    other.query_drop("ROLLBACK").unwrap();
    // Another session's open transaction read the table: it holds its metadata lock, which
    // an ALTER TABLE waits for.
    other.query_drop("START TRANSACTION").unwrap();
    other.query_drop("SELECT * FROM locked").unwrap();
    let started = Instant::now();
    let error = backend
        .execute_one("ALTER TABLE locked ADD COLUMN y int")
        .unwrap_err();
    let waited = started.elapsed();
    assert!(error.is_lock_timeout(), "{error}");
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(4),
        "waited {waited:?} on a metadata lock with lock_timeout 1s"
    );
    other.query_drop("ROLLBACK").unwrap();
    backend
        .execute_one("ALTER TABLE locked ADD COLUMN y int")
        .unwrap();
    // Other errors are not lock timeouts.
    let error = backend
        .execute_one("SELECT * FROM no_such_table")
        .unwrap_err();
    assert!(!error.is_lock_timeout(), "{error}");
}

#[test]
fn statement_timeout_stops_a_long_statement() {
    let db = MysqlTestDatabase::new();
    let options = ConnectOptions {
        lock_timeout: None,
        statement_timeout: Some("500ms".to_string()),
    };
    let mut backend = connect_with(&db, options);
    let started = Instant::now();
    let outcome = backend.query_rows("SELECT SLEEP(5)");
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(2),
        "SELECT SLEEP(5) ran {waited:?} under statement_timeout 500ms"
    );
    if backend.is_mariadb() {
        let (message, lock_timed_out) = statement_message(outcome.unwrap_err());
        assert!(
            message.starts_with("ERROR 1969") && message.contains("max_statement_time"),
            "{message}"
        );
        assert!(!lock_timed_out);
        assert_eq!(
            backend
                .query_strings("SELECT CAST(@@session.max_statement_time AS CHAR)", &[])
                .unwrap(),
            ["0.500000"]
        );
    }
    // The session goes on.
    assert_eq!(backend.query_count("SELECT 1").unwrap(), 1);
}

#[test]
fn effects_cannot_be_watched_where_ddl_commits_at_once() {
    let db = MysqlTestDatabase::new();
    let mut backend = connect(&db);
    for error in [
        backend.watch_effects(&[]).unwrap_err(),
        backend.observed_effects().unwrap_err(),
    ] {
        assert!(
            error
                .to_string()
                .contains("MySQL and MariaDB commit DDL at once"),
            "{error}"
        );
    }
}

/// The session's TLS cipher, empty without TLS.
fn cipher(backend: &mut MysqlBackend) -> String {
    backend
        .query_rows("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
        .unwrap()[0][1]
        .clone()
        .unwrap_or_default()
}

#[test]
fn tls_as_ssl_mode_says_with_a_servers_own_certificates() {
    let server = OwnMariadb::start();
    let app = format!("app:{APP_PASSWORD}");
    let connect = |url: &str| {
        MysqlBackend::connect(&MysqlUrl::parse(url).unwrap(), &ConnectOptions::default())
    };
    let ca = server.file("ca.crt");
    for (query, encrypted) in [
        (String::new(), true),
        ("ssl_mode=DISABLED".to_string(), false),
        ("ssl_mode=REQUIRED".to_string(), true),
        ("ssl=true".to_string(), true),
        (format!("ssl_ca={ca}"), true),
        (format!("ssl_mode=VERIFY_IDENTITY&ssl_ca={ca}"), true),
    ] {
        let mut backend =
            connect(&server.url(&app, &query)).unwrap_or_else(|e| panic!("{query}: {e}"));
        assert_eq!(!cipher(&mut backend).is_empty(), encrypted, "{query}");
    }
    // A certificate from another CA, or the system's roots, do not verify the server.
    for query in [
        format!("ssl_mode=VERIFY_CA&ssl_ca={}", server.file("other-ca.crt")),
        "ssl_mode=VERIFY_CA".to_string(),
    ] {
        let error = connect(&server.url(&app, &query))
            .err()
            .unwrap()
            .to_string();
        assert!(
            error.contains("certificate verify failed") && !error.contains(APP_PASSWORD),
            "{query}: {error}"
        );
    }
    // certuser proves itself with its certificate and key (PEM files), and only with them.
    let client = format!(
        "ssl_cert={}&ssl_key={}",
        server.file("client.crt"),
        server.file("client.key")
    );
    let mut backend = connect(&server.url("certuser", &format!("{client}&ssl_ca={ca}"))).unwrap();
    assert!(!cipher(&mut backend).is_empty());
    assert_eq!(
        backend.query_strings("SELECT CURRENT_USER()", &[]).unwrap(),
        ["certuser@%"]
    );
    let error = connect(&server.url("certuser", &format!("ssl_ca={ca}")))
        .err()
        .unwrap()
        .to_string();
    assert!(
        error.contains("Access denied for user 'certuser'"),
        "{error}"
    );
}

/// A server configured without strict mode (`sql_mode` empty): MySQL would then blank a NULL
/// when a column becomes NOT NULL and cut a value a narrowed column does not fit, silently, and
/// the guard sees neither. rmig's session adds STRICT_ALL_TABLES, so both statements fail and
/// the rows stay as they were.
#[test]
fn a_server_without_strict_mode_blanked_and_truncated_values_silently() {
    let server = OwnMariadb::start_with(&["--sql-mode="]);
    let url = server.url(&format!("app:{APP_PASSWORD}"), "ssl_mode=DISABLED");
    let mut backend =
        MysqlBackend::connect(&MysqlUrl::parse(&url).unwrap(), &ConnectOptions::default())
            .unwrap();
    let mode = backend
        .query_strings("SELECT @@session.sql_mode", &[])
        .unwrap();
    assert_eq!(mode, ["STRICT_ALL_TABLES"]);
    backend
        .batch("CREATE TABLE notes (body varchar(10)); INSERT INTO notes VALUES (NULL), ('abcdefghij')")
        .unwrap();
    for change in [
        "ALTER TABLE notes MODIFY body varchar(10) NOT NULL",
        "ALTER TABLE notes MODIFY body varchar(3)",
    ] {
        assert!(backend.execute_one(change).is_err(), "{change} ran");
    }
    let rows = backend
        .query_rows("SELECT body FROM notes ORDER BY body")
        .unwrap();
    assert_eq!(rows, [vec![None], vec![Some("abcdefghij".to_string())]]);
    // A mode the server already makes strict is kept as it is.
    let server_default = MysqlTestDatabase::new();
    let mut backend = MysqlBackend::connect(
        &MysqlUrl::parse(&server_default.url).unwrap(),
        &ConnectOptions::default(),
    )
    .unwrap();
    let mode = backend
        .query_strings("SELECT @@session.sql_mode", &[])
        .unwrap();
    assert!(!mode[0].ends_with(",STRICT_ALL_TABLES"), "{mode:?}");
}
