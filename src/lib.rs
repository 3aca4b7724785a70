//! rmig: an Alembic-compatible database migration runner.
//!
//! The pure core is `revision` (files on disk -> typed revisions), `graph` (Alembic's revision
//! map and revision syntax), `plan` (ordered steps with their `alembic_version` changes) and
//! `ops` (typed operations). `config` and `project` load a project (`ini` and `alembic_ini`
//! read an alembic.ini as Alembic does); `offline` renders a plan as the SQL script `--sql`
//! prints, where `locks` says the lock each statement takes (and `check --lint` which of them
//! hold an existing table up); `cli` drives it all from the command line.
//!
//! To migrate from Rust code (a service at start-up), use [`Migrator`]: built from a folder,
//! a config file or revisions embedded with [`embed_revisions!`], it runs the same executor,
//! lock and guard as `rmig upgrade`. `fleet` migrates many databases in one run; `render`
//! draws the revision graph.

pub mod alembic;
pub mod alembic_ini;
pub mod autogen;
pub mod cli;
pub mod config;
pub mod db;
pub mod dialect;
pub mod duration;
pub mod error;
pub mod exec;
pub mod fleet;
pub mod graph;
pub mod guard;
pub mod identifier;
pub mod ini;
pub mod locks;
pub mod migrator;
pub mod offline;
pub mod ops;
pub mod plan;
pub mod project;
pub mod reference;
pub mod render;
pub mod revision;
mod sql_text;
pub mod term;
pub mod version_table;

pub use error::Error;
#[cfg(feature = "async")]
pub use migrator::AsyncMigrator;
pub use migrator::{CheckReport, EmbeddedRevisions, MigrateError, MigrationReport, Migrator};

/// What `embed_revisions!` expands to refers to; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use include_dir;
}
