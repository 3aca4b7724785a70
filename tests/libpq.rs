//! PostgreSQL connections as libpq makes them, against real servers: a socket folder with
//! the default sslmode, the `PG*` environment, the password file, `application_name`, and
//! TLS with a private CA and client certificates. The last need a server whose certificate
//! configuration is the test's own (common/own_server.rs); the shared server's is not ours
//! to change.

mod common;

use common::own_server::{OwnServer, APP_PASSWORD, KEY_PASSPHRASE};
use common::{Project, TestDatabase};

/// A revision that records the session's application_name and user in a table.
fn recording_revision() -> Vec<(String, String)> {
    vec![common::sql_revision(
        "a1",
        &[],
        "CREATE TABLE seen AS SELECT current_setting('application_name') AS application_name, current_user::text AS login",
        "DROP TABLE seen",
    )]
}

/// The server's first socket folder, as it reports it.
fn socket_folder(db: &TestDatabase) -> String {
    let folders = db.strings("SHOW unix_socket_directories");
    folders[0].split(',').next().unwrap().trim().to_string()
}

#[test]
fn socket_url_failed_under_the_default_sslmode() {
    let db = TestDatabase::new();
    let project = Project::sqlite(&common::as_refs(&recording_revision()));
    let folder = socket_folder(&db);
    let name = &db.name;
    // `?host=` naming the folder; the folder percent-encoded as the host; `sslmode=require`,
    // which libpq ignores on a socket.
    for url in [
        format!("postgresql://postgres@/{name}?host={folder}"),
        format!(
            "postgresql://postgres@{}/{name}",
            folder.replace('/', "%2F")
        ),
        format!("postgresql://postgres@/{name}?host={folder}&sslmode=require"),
    ] {
        let output = project.run(&["--url", &url, "current"]);
        assert!(
            output.status.success(),
            "{url}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    project.ok(&[
        "--url",
        &format!("postgresql://postgres@/{name}?host={folder}"),
        "upgrade",
        "head",
    ]);
    assert_eq!(db.rows("SELECT login FROM seen"), ["postgres"]);
}

#[test]
fn a_url_without_a_host_uses_the_default_socket_folder() {
    let db = TestDatabase::new();
    let folder = socket_folder(&db);
    assert!(
        ["/var/run/postgresql", "/tmp"].contains(&folder.as_str()),
        "the test server's socket is in {folder}, not in a folder libpq looks in by default; \
         set unix_socket_directories to /var/run/postgresql or /tmp"
    );
    let project = Project::sqlite(&common::as_refs(&recording_revision()));
    project.ok(&[
        "--url",
        &format!("postgresql://postgres@/{}", db.name),
        "upgrade",
        "head",
    ]);
    assert!(db.has_table("seen"));
}

#[test]
fn application_name_was_not_rmig() {
    let db = TestDatabase::new();
    let project = Project::new(&db.url, &common::as_refs(&recording_revision()));
    project.ok(&["upgrade", "head"]);
    assert_eq!(db.rows("SELECT application_name FROM seen"), ["rmig"]);
    // One given in the URL is kept.
    project.ok(&["downgrade", "base"]);
    project.ok(&[
        "--url",
        &format!("{}?application_name=deploy", db.url),
        "upgrade",
        "head",
    ]);
    assert_eq!(db.rows("SELECT application_name FROM seen"), ["deploy"]);
}

/// A project folder with no URL anywhere: rmig.toml names only the revisions.
fn project_without_url(files: &[(String, String)]) -> Project {
    let project = Project::sqlite(&common::as_refs(files));
    std::fs::write(
        project.path().join("rmig.toml"),
        "script_location = \"revisions\"\n",
    )
    .unwrap();
    project
}

#[test]
fn pg_environment_variables_were_not_read() {
    let db = TestDatabase::new();
    let project = project_without_url(&recording_revision());
    let output = project
        .rmig(&["upgrade", "head"])
        .env("PGHOST", "127.0.0.1")
        .env("PGPORT", "5432")
        .env("PGUSER", "postgres")
        .env("PGDATABASE", &db.name)
        .env("PGAPPNAME", "from-env")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(db.rows("SELECT application_name FROM seen"), ["from-env"]);
    assert!(
        !project.sqlite_path().exists() && !project.path().join("rmig.db").exists(),
        "no SQLite database is made when the libpq environment names a server"
    );
    // With a URL, the variables fill only what it leaves out.
    let output = project
        .rmig(&["--url", "postgresql://127.0.0.1/", "current"])
        .env("PGUSER", "postgres")
        .env("PGDATABASE", &db.name)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("a1"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

/// `rmig current` against the own server at `url` with `env` set: its exit code and stderr.
fn current(project: &Project, url: &str, env: &[(&str, &str)]) -> (i32, String) {
    let mut command = project.rmig(&["--url", url, "current"]);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        common::without_target_line(&String::from_utf8_lossy(&output.stderr)),
    )
}

#[test]
fn pgpass_was_not_read() {
    let server = OwnServer::start();
    let project = Project::sqlite(&[]);
    let port = server.port;
    let url = format!("postgresql://app@127.0.0.1:{port}/appdb?sslmode=disable");
    // No password anywhere: the server asks for one.
    let (code, stderr) = current(&project, &url, &[("HOME", &server.file("nohome"))]);
    assert_eq!(code, 1, "{stderr}");
    let entry =
        format!("# a comment\nelsewhere:*:*:*:wrong\n127.0.0.1:{port}:appdb:app:{APP_PASSWORD}\n");
    // PGPASSFILE, and ~/.pgpass.
    let passfile = server.path().join("passfile");
    std::fs::write(&passfile, &entry).unwrap();
    set_mode(&passfile, 0o600);
    let (code, stderr) = current(&project, &url, &[("PGPASSFILE", &server.file("passfile"))]);
    assert_eq!(code, 0, "{stderr}");
    let home = server.path().join("home");
    std::fs::create_dir(&home).unwrap();
    std::fs::write(home.join(".pgpass"), &entry).unwrap();
    set_mode(&home.join(".pgpass"), 0o600);
    let home = home.display().to_string();
    let (code, stderr) = current(&project, &url, &[("HOME", &home)]);
    assert_eq!(code, 0, "{stderr}");
    // Readable by others: not read, and the failure says why.
    set_mode(&server.path().join("home/.pgpass"), 0o644);
    let (code, stderr) = current(&project, &url, &[("HOME", &home)]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("group or world access") && stderr.contains("chmod 0600"),
        "{stderr}"
    );
    assert!(!stderr.contains(APP_PASSWORD), "{stderr}");
}

#[test]
fn verify_full_against_a_private_ca() {
    let server = OwnServer::start();
    let project = Project::sqlite(&[]);
    let port = server.port;
    let ca = server.file("ca.crt");
    let base = format!("postgresql://app:{APP_PASSWORD}@localhost:{port}/appdb");
    for url in [
        format!("{base}?sslmode=verify-full&sslrootcert={ca}"),
        format!("postgresql://app:{APP_PASSWORD}@127.0.0.1:{port}/appdb?sslmode=verify-full&sslrootcert={ca}"),
    ] {
        let (code, stderr) = current(&project, &url, &[]);
        assert_eq!(code, 0, "{url}: {stderr}");
    }
    let (code, stderr) = current(
        &project,
        &format!("{base}?sslmode=verify-full"),
        &[("PGSSLROOTCERT", &ca)],
    );
    assert_eq!(code, 0, "PGSSLROOTCERT: {stderr}");
    // Refused: a CA that did not issue the certificate, the system's roots, and `require`
    // with a root file (which verifies the chain, as in libpq).
    for url in [
        format!(
            "{base}?sslmode=verify-full&sslrootcert={}",
            server.file("other-ca.crt")
        ),
        format!("{base}?sslmode=verify-full&sslrootcert=system"),
        format!(
            "{base}?sslmode=require&sslrootcert={}",
            server.file("other-ca.crt")
        ),
    ] {
        let (code, stderr) = current(&project, &url, &[]);
        assert_eq!(code, 1, "{url}: {stderr}");
        assert!(
            stderr.contains("certificate was refused"),
            "{url}: {stderr}"
        );
        assert!(!stderr.contains(APP_PASSWORD), "{stderr}");
    }
    // A root file that is not there is bad input.
    let (code, stderr) = current(
        &project,
        &format!("{base}?sslmode=verify-full&sslrootcert=/no/such/ca.crt"),
        &[],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("sslrootcert=/no/such/ca.crt"), "{stderr}");
}

#[test]
fn client_certificates_were_rejected() {
    let server = OwnServer::start();
    let project = Project::sqlite(&[]);
    let port = server.port;
    let url = |key: &str, extra: &str| {
        format!(
            "postgresql://certuser@localhost:{port}/appdb?sslmode=verify-full&sslrootcert={}&sslcert={}&sslkey={}{extra}",
            server.file("ca.crt"),
            server.file("client.crt"),
            server.file(key)
        )
    };
    let (code, stderr) = current(&project, &url("client.key", ""), &[]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr) = current(
        &project,
        &url(
            "client-encrypted.key",
            &format!("&sslpassword={KEY_PASSPHRASE}"),
        ),
        &[],
    );
    assert_eq!(code, 0, "{stderr}");
    // PGSSLCERT and PGSSLKEY.
    let plain = format!(
        "postgresql://certuser@localhost:{port}/appdb?sslmode=verify-full&sslrootcert={}",
        server.file("ca.crt")
    );
    let (code, stderr) = current(
        &project,
        &plain,
        &[
            ("PGSSLCERT", &server.file("client.crt")),
            ("PGSSLKEY", &server.file("client.key")),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    // A wrong passphrase, and none for an encrypted key: one sentence, no passphrase shown.
    for extra in ["&sslpassword=not-it", ""] {
        let (code, stderr) = current(&project, &url("client-encrypted.key", extra), &[]);
        assert_eq!(code, 1, "{extra}: {stderr}");
        assert!(stderr.contains("client-encrypted.key"), "{stderr}");
        assert!(stderr.contains("sslpassword"), "{stderr}");
        assert!(!stderr.contains("not-it"), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    }
    // No certificate: the server refuses certuser.
    let (code, stderr) = current(&project, &plain, &[]);
    assert_eq!(code, 1, "{stderr}");
}

fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}
