//! TLS to PostgreSQL (`sslmode` in the URL), against the real server: `prefer` and `require`
//! encrypt without verifying, `disable` does not encrypt, and `verify-full` refuses a
//! certificate that does not name the host it was asked for (the test server's is Debian's
//! "snakeoil" one, issued to `localhost`, reached here as 127.0.0.1), with a sentence that
//! says so. Whether `verify-ca` accepts it depends on the machine's trusted roots (Debian
//! adds the snakeoil certificate to them), so no test asserts that.

mod common;

use common::{Project, TestDatabase};

/// The server must offer TLS for these tests to mean anything: say so rather than pass.
fn server_with_tls() -> TestDatabase {
    let db = TestDatabase::new();
    let ssl = db.strings("SHOW ssl");
    assert_eq!(
        ssl,
        ["on"],
        "the test server does not offer TLS (ssl = off): turn it on in postgresql.conf \
         (Debian's default, with its snakeoil certificate) to run the TLS tests"
    );
    db
}

/// Whether the session `rmig upgrade` opens with `sslmode` is encrypted, as the server sees
/// it: the revision keeps what `pg_stat_ssl` says of its own session.
fn encrypted(db: &TestDatabase, sslmode: &str) -> bool {
    let url = format!("{}?sslmode={sslmode}", db.url);
    let project = Project::new(
        &url,
        &[(
            "a1.toml",
            "revision = \"a1\"\ndown_revision = []\n\n[[upgrade]]\nop = \"execute\"\n\
             sqltext = \"CREATE TABLE seen_ssl AS SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()\"\n\n\
             [[downgrade]]\nop = \"drop_table\"\ntable_name = \"seen_ssl\"\nconfirm_data_loss = \"seen_ssl\"\n",
        )],
    );
    project.ok(&["upgrade", "head"]);
    let seen = db.strings("SELECT ssl::text FROM seen_ssl");
    project.ok(&["downgrade", "base"]);
    match seen.as_slice() {
        [ssl] if ssl == "true" => true,
        [ssl] if ssl == "false" => false,
        other => panic!("pg_stat_ssl.ssl was {other:?}"),
    }
}

#[test]
fn prefer_and_require_encrypt_and_disable_does_not() {
    let db = server_with_tls();
    assert!(encrypted(&db, "prefer"));
    assert!(encrypted(&db, "require"));
    assert!(!encrypted(&db, "disable"));
}

#[test]
fn a_run_over_tls_applies_its_revisions() {
    let db = server_with_tls();
    let url = format!("{}?sslmode=require", db.url);
    let project = Project::new(&url, &[]);
    project.ok(&["revision", "-m", "first", "--rev-id", "a1"]);
    project.ok(&["upgrade", "head"]);
    assert_eq!(project.heads(), ["a1"]);
}

#[test]
fn verify_full_refuses_a_certificate_for_another_host() {
    let db = server_with_tls();
    assert!(
        db.url.contains("@127.0.0.1:"),
        "this test reaches the server by address: run it with RMIG_TEST_DATABASE_URL on 127.0.0.1"
    );
    let url = format!("{}?sslmode=verify-full", db.url);
    let project = Project::new(&url, &[]);
    let (code, stderr) = project.fails(&["current"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("the server's certificate was refused"),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
}
