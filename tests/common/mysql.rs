//! A fresh MySQL/MariaDB database per test, created from a maintenance connection and dropped
//! afterwards (kept when the test failed, for inspection), as `TestDatabase` does on
//! PostgreSQL.

use std::sync::atomic::{AtomicUsize, Ordering};

use mysql::prelude::Queryable;

/// The server the tests use when `RMIG_TEST_MYSQL_URL` names none: the local MariaDB, whose
/// `root` logs in over TCP without a password.
pub const DEFAULT_TEST_MYSQL_URL: &str = "mysql://root@127.0.0.1:3306";

/// A database of its own for one test, on the server `RMIG_TEST_MYSQL_URL` names (a URL
/// without a database).
pub struct MysqlTestDatabase {
    /// rmig's URL of the database.
    pub url: String,
    pub name: String,
    server_url: String,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl MysqlTestDatabase {
    pub fn new() -> MysqlTestDatabase {
        let server_url = std::env::var("RMIG_TEST_MYSQL_URL")
            .unwrap_or_else(|_| DEFAULT_TEST_MYSQL_URL.to_string())
            .trim_end_matches('/')
            .to_string();
        let name = format!(
            "rmig_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        admin_connection(&server_url)
            .query_drop(format!("CREATE DATABASE {name}"))
            .unwrap();
        MysqlTestDatabase {
            url: format!("{server_url}/{name}"),
            name,
            server_url,
        }
    }

    /// A connection of the test's own to the database, beside the one under test.
    pub fn connection(&self) -> mysql::Conn {
        let mut conn = admin_connection(&self.server_url);
        conn.select_db(&self.name).unwrap();
        conn
    }

    /// A one-column query's values as text, in the query's order (NULL as `NULL`).
    pub fn rows(&self, sql: &str) -> Vec<String> {
        self.connection()
            .query::<Option<String>, _>(sql)
            .unwrap()
            .into_iter()
            .map(|value| value.unwrap_or_else(|| "NULL".to_string()))
            .collect()
    }
}

impl Drop for MysqlTestDatabase {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "keeping database {} of the failed test for inspection",
                self.name
            );
            return;
        }
        admin_connection(&self.server_url)
            .query_drop(format!("DROP DATABASE IF EXISTS {}", self.name))
            .unwrap();
    }
}

fn admin_connection(server_url: &str) -> mysql::Conn {
    let opts = mysql::Opts::from_url(server_url).unwrap_or_else(|error| {
        panic!("RMIG_TEST_MYSQL_URL {server_url} is not a URL the mysql crate reads: {error}")
    });
    let opts = mysql::OptsBuilder::from_opts(opts).prefer_socket(false);
    mysql::Conn::new(opts).unwrap_or_else(|error| {
        panic!(
            "MySQL/MariaDB is not reachable at {server_url} ({error}). These tests need a real server: start one \
             (on Debian: `start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd`) or set \
             RMIG_TEST_MYSQL_URL to a server where this user may create databases."
        )
    })
}
