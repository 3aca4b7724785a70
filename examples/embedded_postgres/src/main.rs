//! A service that owns its PostgreSQL connection and migrates the database through it at
//! start-up, with rmig as a library only (`default-features = false, features =
//! ["postgres"]`: no command line, no other database).
//!
//! ```text
//! cargo run -p embedded-postgres -- postgresql://postgres@127.0.0.1/app
//! ```
//!
//! The revisions in `revisions/` are compiled into the binary. `upgrade_on` runs them on the
//! service's own client under the same migration lock, destructive-operation guard and
//! Alembic version table as `rmig upgrade head`, and hands the client back with its session
//! settings as they were.

use std::process::ExitCode;

use rmig::{embed_revisions, MigrateError, Migrator};

fn main() -> ExitCode {
    let Some(url) = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("DATABASE_URL").ok())
    else {
        eprintln!("usage: embedded-postgres <postgresql://...> (or set DATABASE_URL)");
        return ExitCode::from(2);
    };
    // The service's own connection, configured as it likes (TLS, pool, timeouts...).
    let mut client = match postgres::Client::connect(&url, postgres::NoTls) {
        Ok(client) => client,
        Err(error) => {
            eprintln!("not starting: cannot connect: {error}");
            return ExitCode::from(1);
        }
    };

    let revisions = embed_revisions!("$CARGO_MANIFEST_DIR/revisions");
    let migrator = match Migrator::from_embedded(&revisions) {
        Ok(migrator) => migrator,
        Err(error) => return fail(&error),
    };
    match migrator.upgrade_on(&mut client, "head") {
        Ok(report) if report.is_noop() => {
            println!("database already at {}", report.heads.join(", "));
        }
        Ok(report) => {
            for step in &report.applied {
                println!("migrated: {step}");
            }
            println!("database now at {}", report.heads.join(", "));
        }
        Err(error) => return fail(&error),
    }

    // The same client serves the application from here.
    match client.query_one(
        "INSERT INTO orders DEFAULT VALUES RETURNING total_cents",
        &[],
    ) {
        Ok(row) => println!("first order's total: {}", row.get::<_, i64>(0)),
        Err(error) => {
            eprintln!("the migrated schema does not serve the application: {error}");
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}

fn fail(error: &MigrateError) -> ExitCode {
    eprintln!("not starting: {error}");
    ExitCode::from(error.exit_code().clamp(1, 255) as u8)
}
