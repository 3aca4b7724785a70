//! The executor on revisions built in code, which skip the loader's checks: SQLite in
//! memory, and PostgreSQL in a database the test creates and drops.

use super::{migrate, RunOptions, Silent};
use crate::db::{self, Backend};
use crate::graph::RevisionMap;
use crate::guard::Allowances;
use crate::ops::ScopedOperation;
use crate::plan::Direction;
use crate::revision::Revision;

/// A revision built in code skips the loader's checks of SQL fragments: each statement rmig
/// renders must still run on its own, so that a fragment holding a `;` cannot start a second
/// statement.
fn typed_statement_ran_as_a_batch(backend: &mut dyn Backend) {
    backend
        .batch("CREATE TABLE users (id integer); INSERT INTO users VALUES (1), (2)")
        .unwrap();
    let mut revision = Revision::new("a1", &[]);
    revision.upgrade = vec![toml::from_str::<ScopedOperation>(
        "op = \"create_index\"\nindex_name = \"ix_users_id\"\ntable_name = \"users\"\ncolumns = [\"id\"]\nwhere = \"id > 0; DELETE FROM users\"",
    )
    .unwrap()];
    let map = RevisionMap::new(vec![revision]).unwrap();
    let outcome = migrate(
        backend,
        &map,
        Direction::Upgrade,
        "head",
        &RunOptions::new(Default::default()),
        &Allowances::default(),
        &mut Silent,
    );
    // PostgreSQL: "cannot insert multiple commands into a prepared statement";
    // SQLite (rusqlite): "Multiple statements provided".
    let error = outcome.expect_err("the step ran").to_string();
    assert!(error.to_lowercase().contains("multiple"), "{error}");
    assert_eq!(
        backend.query_count("SELECT count(*) FROM users").unwrap(),
        2
    );
}

#[test]
fn sqlite_a_typed_statement_ran_as_a_batch_ran_a_second_statement() {
    let mut backend = db::connect("sqlite://", &Default::default()).unwrap();
    typed_statement_ran_as_a_batch(backend.as_mut());
}

#[test]
fn postgres_a_typed_statement_ran_as_a_batch_ran_a_second_statement() {
    let admin_url = std::env::var("RMIG_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
    let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls).unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is not reachable at {admin_url} ({e}); start it (on Debian: \
             `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`) or set \
             RMIG_TEST_DATABASE_URL to a server where this user may create databases"
        )
    });
    let name = format!("rmig_test_unit_{}", uuid::Uuid::new_v4().simple());
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    let outcome = std::panic::catch_unwind(|| {
        let mut backend = db::connect(&format!("{base}/{name}"), &Default::default()).unwrap();
        typed_statement_ran_as_a_batch(backend.as_mut());
    });
    admin
        .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .unwrap();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
