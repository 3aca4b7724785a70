//! Database URLs on every output path (issue 15): a password, in whatever form libpq or
//! SQLAlchemy accepts it or a typo mangles it, never reaches stdout or stderr; SQLite URLs are
//! read as SQLAlchemy reads them, and a URL that cannot name a database is bad input (exit 2)
//! before any database work.

mod common;

use common::{sql_revision, Project, TestDatabase};

/// The password in every URL of the matrix; no output may contain it.
const SECRET: &str = "Zq7hunter2";

/// The revision every project of this file has: one table, so `upgrade head` has a step.
fn files() -> Vec<(String, String)> {
    vec![sql_revision(
        "a1000000",
        &[],
        "CREATE TABLE url_safety (x integer)",
        "DROP TABLE url_safety",
    )]
}

/// URLs that reach the live database `db` (the server trusts local connections, so the
/// password is sent and ignored): `current -v`, `current --json`, `upgrade -v` and the fleet
/// table print them.
fn live_urls(db: &TestDatabase) -> Vec<String> {
    let name = &db.name;
    let host = "127.0.0.1:5432";
    vec![
        format!("postgres://postgres:{SECRET}@{host}/{name}"),
        format!("postgresql://postgres:{SECRET}@{host}/{name}?sslmode=disable"),
        format!("postgresql+psycopg2://postgres:{SECRET}@{host}/{name}"),
        // An unencoded `/`, `?` and `:` in the password: the driver reads up to the `@`.
        format!("postgres://postgres:{SECRET}/x@{host}/{name}"),
        format!("postgres://postgres:{SECRET}?x@{host}/{name}"),
        format!("postgres://postgres:{SECRET}:x@{host}/{name}"),
        // Percent-encoded characters in the password.
        format!("postgres://postgres:{SECRET}%40%2F%3A@{host}/{name}"),
        // libpq's `password=` in the query string.
        format!("postgres://postgres@{host}/{name}?password={SECRET}"),
        format!("postgres://postgres@{host}/{name}?sslmode=disable&password={SECRET}&application_name=x"),
        format!("postgres://postgres@{host}/{name}?password={SECRET}%26x"),
        // A percent-encoded key, which the driver decodes.
        format!("postgres://postgres@{host}/{name}?pass%77ord={SECRET}"),
    ]
}

/// URLs refused before any database work (exit 2), or whose database cannot be reached
/// (exit 1), each with the secret in it: only error messages can show them.
fn refused_urls() -> Vec<(String, i32)> {
    [
        // No scheme, or a mangled one.
        (format!("postgres:{SECRET}@127.0.0.1/db"), 2),
        (format!("//postgres:{SECRET}@127.0.0.1/db"), 2),
        (format!("postgresql:/postgres:{SECRET}@127.0.0.1/db"), 2),
        (format!("postgres ://postgres:{SECRET}@127.0.0.1/db"), 2),
        (format!("oracle://root:{SECRET}@127.0.0.1/db"), 2),
        // MySQL URLs rmig refuses, and one whose server is not there (nothing listens on
        // port 1).
        (format!("mysql://root:{SECRET}@127.0.0.1/"), 2),
        (
            format!("mysql+pymysql://root:{SECRET}@127.0.0.1/db?ssl_mode=sometimes"),
            2,
        ),
        (format!("mysql://root@127.0.0.1/db?passwd={SECRET}"), 2),
        (format!("mariadb://root:{SECRET}@127.0.0.1:port/db"), 2),
        (
            format!("mysql://root:{SECRET}@127.0.0.1:1/db?connect_timeout=2"),
            1,
        ),
        // libpq key=value connection strings, which rmig does not take.
        (
            format!("host=127.0.0.1 user=postgres password={SECRET} dbname=db"),
            2,
        ),
        (
            format!("host=127.0.0.1 password = '{SECRET} x' dbname=db"),
            2,
        ),
        (format!("host=127.0.0.1 PASSWORD={SECRET}"), 2),
        // Query-string keys the driver does not know, in any case or encoding.
        (
            format!("postgres://postgres@127.0.0.1/db?PASSWORD={SECRET}"),
            2,
        ),
        // A key rmig reads as libpq does (the passphrase of a client key), for a database
        // that is not there.
        (
            format!("postgres://postgres@127.0.0.1/db?sslpassword={SECRET}"),
            1,
        ),
        (
            format!("postgres://postgres@127.0.0.1/db?SslPassword={SECRET}"),
            2,
        ),
        (
            format!("postgres://postgres@127.0.0.1/db?password%3D{SECRET}"),
            2,
        ),
        // Values rmig itself refuses.
        (
            format!("postgres://u:{SECRET}@127.0.0.1/db?sslmode=always"),
            2,
        ),
        (
            format!("postgres://u:{SECRET}@127.0.0.1/db?connect_timeout=soon"),
            2,
        ),
        (format!("postgres://u:{SECRET}@127.0.0.1:port/db"), 2),
        // A password where the URL's other parts are echoed: a value, a key, a folder.
        (format!("postgres://u@127.0.0.1/d?sslmode=x:{SECRET}@y"), 2),
        (format!("postgres://u@127.0.0.1/d?x:{SECRET}@y=1"), 2),
        (format!("sqlite:///a:{SECRET}@/x.db"), 2),
        // No host: the default socket folder, where no role `u` exists.
        (format!("postgres://u:{SECRET}@/db"), 1),
        // SQLite URLs with a host part, non-ASCII included.
        (format!("sqlite://u:{SECRET}@host/x.db"), 2),
        (format!("sqlite://é:{SECRET}@é.db"), 2),
        // An unencoded `@` in the password: the driver takes `x@127.0.0.1` as the host.
        (
            format!("postgres://postgres:{SECRET}@x@127.0.0.1:1/db?connect_timeout=2"),
            1,
        ),
        // Nothing listens on port 1.
        (
            format!("postgres://postgres:{SECRET}@127.0.0.1:1/db?connect_timeout=2"),
            1,
        ),
        (
            format!("postgres://postgres@127.0.0.1:1/db?password={SECRET}&connect_timeout=2"),
            1,
        ),
    ]
    .into_iter()
    .collect()
}

fn assert_no_secret(what: &str, output: &std::process::Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stdout.contains(SECRET) && !stderr.contains(SECRET),
        "{what} printed the password:\nstdout: {stdout}\nstderr: {stderr}"
    );
    assert!(
        !stderr.contains("panicked"),
        "{what} panicked:\nstderr: {stderr}"
    );
}

/// Every command that prints the URL, on one URL.
fn url_outputs(project: &Project, url: &str) -> Vec<(String, std::process::Output)> {
    let commands: [&[&str]; 4] = [
        &["current", "-v"],
        &["current", "--json"],
        &["upgrade", "head", "-v"],
        &["downgrade", "base", "-v"],
    ];
    commands
        .iter()
        .map(|args| {
            let mut all = vec!["--url", url];
            all.extend_from_slice(args);
            (format!("rmig {all:?}"), project.run(&all))
        })
        .collect()
}

/// The fleet table and progress lines for one URL, from a URL file.
fn fleet_output(project: &Project, url: &str) -> (String, std::process::Output) {
    std::fs::write(project.path().join("tenants.txt"), format!("{url}\n")).unwrap();
    let args = ["upgrade", "head", "--url-file", "tenants.txt"];
    (format!("rmig {args:?} with {url:?}"), project.run(&args))
}

#[test]
fn password_printed_in_current_json_errors_and_fleet_table() {
    let db = TestDatabase::new();
    let project = Project::sqlite(&common::as_refs(&files()));
    for url in live_urls(&db) {
        for (what, output) in url_outputs(&project, &url) {
            assert!(output.status.success(), "{what} failed: {output:?}");
            assert_no_secret(&what, &output);
        }
        let (what, output) = fleet_output(&project, &url);
        assert!(output.status.success(), "{what} failed: {output:?}");
        assert_no_secret(&what, &output);
    }
    for (url, code) in refused_urls() {
        for (what, output) in url_outputs(&project, &url) {
            assert_eq!(output.status.code(), Some(code), "{what}: {output:?}");
            assert_no_secret(&what, &output);
        }
        let (what, output) = fleet_output(&project, &url);
        // A URL the file check refuses stops the run (2); one that only fails to connect
        // is that database's failure (1).
        assert_eq!(output.status.code(), Some(code), "{what}: {output:?}");
        assert_no_secret(&what, &output);
    }
}

#[test]
fn password_printed_from_config_file_and_environment() {
    let db = TestDatabase::new();
    let url = format!(
        "postgres://postgres@127.0.0.1:5432/{}?password={SECRET}",
        db.name
    );
    let project = Project::new(&url, &common::as_refs(&files()));
    let output = project.run(&["current", "-v"]);
    assert!(output.status.success(), "{output:?}");
    assert_no_secret("current -v from rmig.toml", &output);
    let output = Project::sqlite(&[])
        .rmig(&["current", "-v"])
        .env("RMIG_URL", &url)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_no_secret("current -v from RMIG_URL", &output);
}

#[test]
fn password_printed_for_a_sqlite_query_string() {
    let project = Project::sqlite(&common::as_refs(&files()));
    let url = format!("sqlite:///test.db?password={SECRET}");
    // SQLite takes no URL parameters: refused as bad input, still without the secret.
    for (what, output) in url_outputs(&project, &url) {
        assert_eq!(output.status.code(), Some(2), "{what}: {output:?}");
        assert_no_secret(&what, &output);
    }
    let (what, output) = fleet_output(&project, &url);
    assert!(!output.status.success(), "{what}: {output:?}");
    assert_no_secret(&what, &output);
}

#[test]
fn non_ascii_sqlite_url_panics() {
    let project = Project::sqlite(&common::as_refs(&files()));
    for url in ["sqlite://é.db", "sqlite://日本.db", "sqlite://é"] {
        let (code, stderr) = project.fails(&["--url", url, "upgrade", "head"]);
        assert_eq!(code, 2, "{url}: {stderr}");
        assert!(!stderr.contains("panicked"), "{url}: {stderr}");
        assert!(stderr.contains(url), "{url}: {stderr}");
    }
    // A non-ASCII file name where SQLAlchemy has the path is a file like any other.
    project.ok(&["--url", "sqlite:///é.db", "upgrade", "head"]);
    assert!(project.path().join("é.db").is_file());
}

#[test]
fn sqlite_url_with_two_slashes_migrates_another_file() {
    let project = Project::sqlite(&common::as_refs(&files()));
    let (code, stderr) = project.fails(&["--url", "sqlite://rmig.db", "upgrade", "head"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("sqlite:///rmig.db") && stderr.contains("sqlite:////"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    for name in ["rmig.db", "mig.db"] {
        assert!(!project.path().join(name).exists(), "{name} was created");
    }
    // The same refusal from the URL file, before any database is touched.
    std::fs::write(
        project.path().join("tenants.txt"),
        "sqlite:///test.db\nsqlite://rmig.db\n",
    )
    .unwrap();
    let (code, stderr) = project.fails(&["upgrade", "head", "--url-file", "tenants.txt"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("sqlite:///rmig.db"), "{stderr}");
    assert!(!project.sqlite_path().exists());
}

/// As libpq reads it, a URL naming no host means the server's socket in the default folder
/// (tests/libpq.rs connects that way); one that names a user the server does not know fails
/// to connect (exit 1) with one sentence and no password.
#[test]
fn postgresql_url_without_host_goes_to_the_socket() {
    let project = Project::sqlite(&common::as_refs(&files()));
    for url in [
        "postgresql://nosuchuser@/app",
        "postgresql://nosuchuser:pw@:5432/app",
    ] {
        let (code, stderr) = project.fails(&["--url", url, "upgrade", "head"]);
        assert_eq!(code, 1, "{url}: {stderr}");
        assert!(stderr.contains("nosuchuser"), "{url}: {stderr}");
        assert!(!stderr.contains(":pw"), "{url}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    }
}

#[test]
fn postgresql_url_with_host_in_the_query_is_accepted() {
    let db = TestDatabase::new();
    let project = Project::sqlite(&common::as_refs(&files()));
    // libpq's and SQLAlchemy's way to give the host (or a socket folder) outside the authority.
    let url = format!(
        "postgresql://postgres@/{}?host=127.0.0.1&port=5432",
        db.name
    );
    project.ok(&["--url", &url, "upgrade", "head"]);
    assert!(db.has_table("url_safety"));
}

#[test]
fn missing_sqlite_folder_exits_1() {
    let project = Project::sqlite(&common::as_refs(&files()));
    let (code, stderr) = project.fails(&["--url", "sqlite:///no/such/dir/x.db", "upgrade", "head"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no/such/dir"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(!project.path().join("no").exists());
}

#[test]
fn password_with_an_unencoded_at_sign_connected_to_the_wrong_host() {
    let db = TestDatabase::new();
    let project = Project::new(&db.url, &common::as_refs(&files()));
    let name = &db.name;
    // The credentials run to the last `@` (as the README and SQLAlchemy say), and an `@` in a
    // query value ends nothing.
    for url in [
        format!("postgresql://postgres:Zq7@hunter2@127.0.0.1:5432/{name}"),
        format!("postgresql://postgres:a/b?c@127.0.0.1:5432/{name}"),
        format!("postgresql://127.0.0.1:5432/{name}?user=postgres&application_name=me@laptop"),
    ] {
        let output = project.run(&["--url", &url, "current"]);
        assert!(
            output.status.success(),
            "{url}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_no_secret(&url, &output);
    }
}

#[test]
fn password_after_a_forgotten_host_was_echoed() {
    let project = Project::sqlite(&common::as_refs(&files()));
    for url in [
        format!("postgresql://u:{SECRET}"),
        format!("postgresql://u:{SECRET}/db"),
    ] {
        let output = project.run(&["--url", &url, "current"]);
        assert_eq!(output.status.code(), Some(2), "{url}");
        assert_no_secret(&url, &output);
    }
}
