//! A service that migrates its database at start-up, from revisions compiled into its binary.
//!
//! ```text
//! cargo run --example library_startup                       # SQLite: ./library_startup.db
//! cargo run --example library_startup -- postgresql://postgres@127.0.0.1/app
//! ```
//!
//! The revision files of `revisions/` (the demo project) are embedded at compile time, so the
//! deployed binary needs no files beside it. `upgrade("head")` runs under the same migration
//! lock and destructive-operation guard as `rmig upgrade head`: several replicas starting at
//! once apply each revision once, and a revision that would drop data without confirmation
//! stops the start-up instead of running.

use std::process::ExitCode;
use std::time::Duration;

use rmig::{embed_revisions, MigrateError, Migrator};

fn main() -> ExitCode {
    let url = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("DATABASE_URL").ok())
        .unwrap_or_else(|| "sqlite:///library_startup.db".to_string());

    let revisions = embed_revisions!("$CARGO_MANIFEST_DIR/revisions");
    let migrator = match Migrator::from_embedded(&revisions) {
        Ok(migrator) => migrator,
        // A malformed revision file: a build that should never have shipped.
        Err(error) => return fail(&error),
    };
    let migrator = migrator
        .url(url)
        // Another replica may be migrating: wait for it rather than fail.
        .lock_timeout(Duration::from_secs(120));

    match migrator.upgrade("head") {
        Ok(report) if report.is_noop() => {
            println!("database already at {}", report.heads.join(", "));
        }
        Ok(report) => {
            for step in &report.applied {
                println!("migrated: {step}");
            }
            println!("database now at {}", report.heads.join(", "));
        }
        Err(MigrateError::Blocked(report)) => {
            // Nothing ran. Confirm the operations in the revision files (or, for one run,
            // `.allow_data_loss("<revision>")`) and deploy again.
            eprintln!("not starting: the migration would destroy data\n{report}");
            return ExitCode::from(3);
        }
        Err(error) => return fail(&error),
    }

    // ... start serving here.
    ExitCode::SUCCESS
}

fn fail(error: &MigrateError) -> ExitCode {
    eprintln!("not starting: {error}");
    ExitCode::from(error.exit_code() as u8)
}
