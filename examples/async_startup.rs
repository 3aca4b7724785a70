//! The same start-up migration in a tokio service (feature `async`).
//!
//! ```text
//! cargo run --example async_startup --features async -- postgresql://postgres@127.0.0.1/app
//! ```
//!
//! `AsyncMigrator` runs the library's one migration loop on tokio's blocking pool, so the
//! runtime's worker threads stay free while the database works.

use std::time::Duration;

use rmig::{embed_revisions, MigrateError, Migrator};

#[tokio::main]
async fn main() -> Result<(), MigrateError> {
    let url = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("DATABASE_URL").ok())
        .unwrap_or_else(|| "sqlite:///async_startup.db".to_string());

    let revisions = embed_revisions!("$CARGO_MANIFEST_DIR/revisions");
    let migrator = Migrator::from_embedded(&revisions)?
        .url(url)
        .lock_timeout(Duration::from_secs(120))
        .into_async();

    let check = migrator.check().await?;
    if let Some(report) = &check.blocked {
        eprintln!("pending revisions would destroy data; not migrating:\n{report}");
        return Err(MigrateError::Blocked(report.clone()));
    }
    println!("{} revision(s) pending", check.pending.len());

    let report = migrator.upgrade("head").await?;
    for step in &report.applied {
        println!("migrated: {step}");
    }
    println!("database at {}", report.heads.join(", "));
    // ... serve.
    Ok(())
}
