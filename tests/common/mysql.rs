//! A fresh MySQL/MariaDB database per test, created from a maintenance connection and dropped
//! afterwards (kept when the test failed, for inspection), as `TestDatabase` does on
//! PostgreSQL.

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

impl MysqlTestDatabase {
    pub fn new() -> MysqlTestDatabase {
        let server_url = std::env::var("RMIG_TEST_MYSQL_URL")
            .unwrap_or_else(|_| DEFAULT_TEST_MYSQL_URL.to_string())
            .trim_end_matches('/')
            .to_string();
        let name = super::unique_database_name();
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

/// A MariaDB server of a test's own, for what the shared server's configuration is not ours
/// to change: TLS with certificates from a CA the test made, and client certificates.
/// `mariadb-install-db` makes it in a temporary folder, `mariadbd` serves it on a free port
/// of 127.0.0.1 (and a socket in the folder); dropping it stops the server and removes the
/// folder.
///
/// Its users: `app` (password [`APP_PASSWORD`]) and `certuser`, who must prove itself with
/// a client certificate (`REQUIRE X509`), both with the database `appdb`; `root` without a
/// password through the socket only, for setting it up.
pub struct OwnMariadb {
    folder: tempfile::TempDir,
    server: std::process::Child,
    pub port: u16,
}

/// The password of the `app` user.
pub const APP_PASSWORD: &str = "app-secret";

impl OwnMariadb {
    /// Makes, configures and starts the server; panics with what to install when MariaDB's
    /// programs are missing.
    pub fn start() -> OwnMariadb {
        Self::start_with(&[])
    }

    /// [`OwnMariadb::start`] with more server options (`--sql-mode=`).
    pub fn start_with(options: &[&str]) -> OwnMariadb {
        use super::own_server::{free_port, issue, running_as_root, Usage};
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().to_path_buf();
        let ca = issue("rmig test CA", None, Usage::Authority);
        let server = issue("localhost", Some(&ca), Usage::Server);
        let client = issue("certuser", Some(&ca), Usage::Client);
        let other_ca = issue("another CA", None, Usage::Authority);
        for (name, bytes) in [
            ("ca.crt", ca.certificate.to_pem().unwrap()),
            ("other-ca.crt", other_ca.certificate.to_pem().unwrap()),
            ("server.crt", server.certificate.to_pem().unwrap()),
            ("server.key", server.key.private_key_to_pem_pkcs8().unwrap()),
            ("client.crt", client.certificate.to_pem().unwrap()),
            ("client.key", client.key.private_key_to_pem_pkcs8().unwrap()),
        ] {
            std::fs::write(path.join(name), bytes).unwrap();
        }
        let data = path.join("data");
        let user: &[&str] = if running_as_root() {
            &["--user=root"]
        } else {
            &[]
        };
        let installed = std::process::Command::new("mariadb-install-db")
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .args(["--auth-root-authentication-method=normal", "--skip-test-db"])
            .args(user)
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "these tests run a MariaDB server of their own and need its programs \
                     (mariadb-install-db, mariadbd): install them (on Debian: \
                     `apt-get install mariadb-server`); {e}"
                )
            });
        assert!(
            installed.status.success(),
            "mariadb-install-db failed: {}{}",
            String::from_utf8_lossy(&installed.stdout),
            String::from_utf8_lossy(&installed.stderr)
        );
        let port = free_port();
        let file = |name: &str| path.join(name).display().to_string();
        let server = std::process::Command::new("/usr/sbin/mariadbd")
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .args(user)
            .arg(format!("--port={port}"))
            .arg("--bind-address=127.0.0.1")
            .arg(format!("--socket={}", file("mysqld.sock")))
            .arg(format!("--pid-file={}", file("mysqld.pid")))
            .arg(format!("--log-error={}", file("error.log")))
            .arg(format!("--ssl-cert={}", file("server.crt")))
            .arg(format!("--ssl-key={}", file("server.key")))
            .arg(format!("--ssl-ca={}", file("ca.crt")))
            .args(["--skip-log-bin", "--innodb-buffer-pool-size=16M"])
            .args(options)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut own = OwnMariadb {
            folder,
            server,
            port,
        };
        let mut root = own.root();
        for statement in [
            format!("CREATE USER 'app'@'%' IDENTIFIED BY '{APP_PASSWORD}'"),
            "CREATE USER 'certuser'@'%' REQUIRE X509".to_string(),
            "CREATE DATABASE appdb".to_string(),
            "GRANT ALL ON appdb.* TO 'app'@'%', 'certuser'@'%'".to_string(),
        ] {
            root.query_drop(statement).unwrap();
        }
        own
    }

    /// A file of the folder: `ca.crt` (the test's CA), `other-ca.crt` (a CA that issued
    /// nothing here), `client.crt` / `client.key` (`certuser`'s).
    pub fn file(&self, name: &str) -> String {
        self.folder.path().join(name).display().to_string()
    }

    /// A URL of `appdb` as `user` (with `:password` when it has one), with `query`.
    pub fn url(&self, user: &str, query: &str) -> String {
        format!("mysql://{user}@localhost:{}/appdb?{query}", self.port)
    }

    /// `root` through the socket, once the server answers (within 30 s).
    fn root(&mut self) -> mysql::Conn {
        let opts = mysql::OptsBuilder::new()
            .socket(Some(self.file("mysqld.sock")))
            .user(Some("root"));
        let started = std::time::Instant::now();
        loop {
            match mysql::Conn::new(opts.clone()) {
                Ok(conn) => return conn,
                Err(error) => {
                    let exited = self.server.try_wait().unwrap();
                    if exited.is_some() || started.elapsed() > std::time::Duration::from_secs(30) {
                        panic!(
                            "the test's own MariaDB does not answer ({error}); see {}",
                            self.file("error.log")
                        );
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
            }
        }
    }
}

impl Drop for OwnMariadb {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}
