//! Shared test support: projects on disk, the `rmig` binary, and a fresh PostgreSQL database
//! per test (created from a maintenance connection, dropped afterwards, kept when the test
//! failed so it can be inspected); `mysql.rs` does the same on MySQL/MariaDB.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};

use assert_cmd::Command;
use tempfile::TempDir;

pub mod guard;
pub mod mysql;
pub mod own_server;
pub mod proxy;

pub const DEFAULT_TEST_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A project folder with an rmig.toml pointing at `url` and the given revision files.
pub struct Project {
    pub dir: TempDir,
    pub url: String,
}

impl Project {
    pub fn new(url: &str, files: &[(&str, &str)]) -> Project {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("revisions")).unwrap();
        std::fs::write(
            dir.path().join("rmig.toml"),
            format!("script_location = \"revisions\"\nurl = \"{url}\"\n"),
        )
        .unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join("revisions").join(name), text).unwrap();
        }
        Project {
            dir,
            url: url.to_string(),
        }
    }

    /// A SQLite project whose database file lives in the project folder.
    pub fn sqlite(files: &[(&str, &str)]) -> Project {
        Project::new("sqlite:///test.db", files)
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn sqlite_path(&self) -> PathBuf {
        self.path().join("test.db")
    }

    pub fn rmig(&self, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("rmig").unwrap();
        // Revision caches (large folders only) stay in the project, not in the user's home.
        // The libpq variables of the machine running the tests would change where a run
        // goes (tests/libpq.rs sets them where it means to).
        for (variable, _) in std::env::vars_os() {
            if variable.to_string_lossy().starts_with("PG") {
                cmd.env_remove(variable);
            }
        }
        // RMIG_LOG adds lines to standard error and CLICOLOR_FORCE colours it even in a pipe
        // (tests/terminal.rs sets them where it means to).
        cmd.current_dir(self.path())
            .env_remove("RMIG_URL")
            .env_remove("DATABASE_URL")
            .env_remove("ALEMBIC_CONFIG")
            .env_remove("RMIG_LOG")
            .env_remove("CLICOLOR_FORCE")
            .env("RMIG_CACHE_DIR", self.path().join(".rmig-cache"))
            .args(args);
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.rmig(args).output().unwrap()
    }

    /// Runs a command that must succeed; returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "rmig {args:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Runs a command that must succeed; returns its stdout (what the command exists to
    /// print) and its stderr (progress, warnings) without the line naming the database
    /// (tests/terminal.rs checks that one).
    pub fn streams(&self, args: &[&str]) -> (String, String) {
        let output = self.run(args);
        let stdout = String::from_utf8(output.stdout).unwrap();
        let stderr = without_target_line(&String::from_utf8(output.stderr).unwrap());
        assert!(
            output.status.success(),
            "rmig {args:?} failed: {stdout}{stderr}"
        );
        (stdout, stderr)
    }

    /// Runs a command that must fail; returns its exit code and stderr, without the line
    /// naming the database.
    pub fn fails(&self, args: &[&str]) -> (i32, String) {
        let output = self.run(args);
        assert!(
            !output.status.success(),
            "rmig {args:?} should have failed: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        (
            output.status.code().unwrap_or(-1),
            without_target_line(&String::from_utf8(output.stderr).unwrap()),
        )
    }

    /// Every row of `sql` in the SQLite database of the project, in the query's order, its
    /// columns joined with `|` (integers, reals with `{:?}`, NULL as `NULL`).
    pub fn sqlite_rows(&self, sql: &str) -> Vec<String> {
        let connection = rusqlite::Connection::open(self.sqlite_path()).unwrap();
        let mut statement = connection.prepare(sql).unwrap();
        let width = statement.column_count();
        let rows = statement
            .query_map([], |row| {
                let mut cells = Vec::with_capacity(width);
                for index in 0..width {
                    let value: rusqlite::types::Value = row.get(index)?;
                    cells.push(match value {
                        rusqlite::types::Value::Null => "NULL".to_string(),
                        rusqlite::types::Value::Integer(i) => i.to_string(),
                        rusqlite::types::Value::Real(r) => format!("{r:?}"),
                        rusqlite::types::Value::Text(t) => t,
                        rusqlite::types::Value::Blob(b) => format!("{b:?}"),
                    });
                }
                Ok(cells.join("|"))
            })
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        rows
    }

    /// The version rows, sorted, through `rmig current --json`.
    pub fn heads(&self) -> Vec<String> {
        let json: serde_json::Value =
            serde_json::from_str(&self.ok(&["current", "--json"])).unwrap();
        let mut heads: Vec<String> = json["heads"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h.as_str().unwrap().to_string())
            .collect();
        heads.sort();
        heads
    }
}

/// A revision file whose upgrade and downgrade are raw SQL (TOML).
pub fn sql_revision(
    id: &str,
    down: &[&str],
    upgrade_sql: &str,
    downgrade_sql: &str,
) -> (String, String) {
    let down_revision = match down {
        [] => String::new(),
        [one] => format!("down_revision = \"{one}\"\n"),
        many => format!(
            "down_revision = [{}]\n",
            many.iter()
                .map(|d| format!("\"{d}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let text = format!(
        "revision = \"{id}\"\n{down_revision}message = \"{id}\"\n\n[[upgrade]]\nop = \"execute\"\nsqltext = \"\"\"{upgrade_sql}\"\"\"\n\n[[downgrade]]\nop = \"execute\"\nsqltext = \"\"\"{downgrade_sql}\"\"\"\nconfirm_data_loss = \"{id}\"\n"
    );
    (format!("{id}_rev.toml"), text)
}

/// A revision file `{id}_test.toml`: `body` is the TOML after the header (`transactional`,
/// `[[upgrade]]`, ...).
pub fn revision(id: &str, down: Option<&str>, body: &str) -> (String, String) {
    let down = down
        .map(|parent| format!("down_revision = \"{parent}\"\n"))
        .unwrap_or_default();
    (
        format!("{id}_test.toml"),
        format!("revision = \"{id}\"\n{down}message = \"{id}\"\n\n{body}"),
    )
}

/// A database name no other test (of this run or another) uses.
pub fn unique_database_name() -> String {
    format!(
        "rmig_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

/// `stderr` without the line every command that connects starts with, `rmig: database URL
/// (from SOURCE)`, for tests about what follows it.
pub fn without_target_line(stderr: &str) -> String {
    stderr
        .split_inclusive('\n')
        .filter(|line| !line.starts_with("rmig: database "))
        .collect()
}

/// A fresh PostgreSQL database for one test.
pub struct TestDatabase {
    pub url: String,
    pub name: String,
    admin_url: String,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl TestDatabase {
    pub fn new() -> TestDatabase {
        let admin_url = std::env::var("RMIG_TEST_DATABASE_URL")
            .unwrap_or_else(|_| DEFAULT_TEST_DATABASE_URL.to_string());
        let name = unique_database_name();
        let mut admin = admin_client(&admin_url);
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let (base, _) = admin_url
            .rsplit_once('/')
            .expect("RMIG_TEST_DATABASE_URL names a database");
        TestDatabase {
            url: format!("{base}/{name}"),
            name,
            admin_url,
        }
    }

    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).unwrap()
    }

    /// A single-column text query.
    pub fn strings(&self, sql: &str) -> Vec<String> {
        let mut rows: Vec<String> = self
            .client()
            .query(sql, &[])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        rows.sort();
        rows
    }

    /// Rows of a one-column text query, in the query's order (NULL as `NULL`).
    pub fn rows(&self, sql: &str) -> Vec<String> {
        self.client()
            .query(sql, &[])
            .unwrap()
            .iter()
            .map(|row| {
                row.get::<_, Option<String>>(0)
                    .unwrap_or_else(|| "NULL".to_string())
            })
            .collect()
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.client().query_one(sql, &[]).unwrap().get(0)
    }

    pub fn has_table(&self, table: &str) -> bool {
        self.client()
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
            .unwrap()
            .get(0)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "keeping database {} of the failed test for inspection",
                self.name
            );
            return;
        }
        let mut admin = admin_client(&self.admin_url);
        admin
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .unwrap();
    }
}

fn admin_client(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).unwrap_or_else(|error| {
        panic!(
            "PostgreSQL is not reachable at {url} ({error}). These tests need a real server: start one \
             (on Debian: `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`) or set \
             RMIG_TEST_DATABASE_URL to a server where this user may create databases."
        )
    })
}

/// a1 creates t1; b2 creates t2, then runs `b2_tail` (a sleep, an ALTER on t1, ...); c3
/// creates t3. Each is one step with its own transaction.
pub fn table_per_step(b2_tail: &str) -> Vec<(String, String)> {
    vec![
        sql_revision(
            "a1000000",
            &[],
            "CREATE TABLE t1 (x integer)",
            "DROP TABLE t1",
        ),
        sql_revision(
            "b2000000",
            &["a1000000"],
            &format!("CREATE TABLE t2 (x integer); {b2_tail}"),
            "DROP TABLE t2",
        ),
        sql_revision(
            "c3000000",
            &["b2000000"],
            "CREATE TABLE t3 (x integer)",
            "DROP TABLE t3",
        ),
    ]
}

/// a1 -> b1 -> {c1, c2} -> m1 (merge) -> d1; each revision creates a marker table `r_<id>`.
pub fn branch_and_merge_files() -> Vec<(String, String)> {
    [
        ("a1", vec![]),
        ("b1", vec!["a1"]),
        ("c1", vec!["b1"]),
        ("c2", vec!["b1"]),
        ("m1", vec!["c1", "c2"]),
        ("d1", vec!["m1"]),
    ]
    .iter()
    .map(|(id, down)| {
        sql_revision(
            &format!("{id}000000"),
            &down
                .iter()
                .map(|d| format!("{d}000000"))
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
            &format!("CREATE TABLE r_{id} (x integer)"),
            &format!("DROP TABLE r_{id}"),
        )
    })
    .collect()
}

pub fn as_refs(files: &[(String, String)]) -> Vec<(&str, &str)> {
    files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect()
}

pub fn ids(short: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = short.iter().map(|s| format!("{s}000000")).collect();
    ids.sort();
    ids
}

/// a -> b -> c, each creating a marker table `m_<id>` and logging itself into `run_log`.
pub fn three_revisions() -> Vec<(String, String)> {
    vec![
        sql_revision(
            "aaaa00000001",
            &[],
            "CREATE TABLE run_log (revision text); CREATE TABLE m_a (x int); INSERT INTO run_log VALUES ('a')",
            "DROP TABLE m_a; DROP TABLE run_log",
        ),
        sql_revision(
            "bbbb00000002",
            &["aaaa00000001"],
            "CREATE TABLE m_b (x int); INSERT INTO run_log VALUES ('b')",
            "DROP TABLE m_b",
        ),
        sql_revision(
            "cccc00000003",
            &["bbbb00000002"],
            "CREATE TABLE m_c (x int); INSERT INTO run_log VALUES ('c')",
            "DROP TABLE m_c",
        ),
    ]
}
