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

// Without the command line, the parts of the core that only its commands call (offline
// scripts, `stamp`, new revision files, the lock report, colour) are compiled but not called.
#![cfg_attr(not(feature = "cli"), allow(dead_code, unused_imports))]
#![deny(missing_docs)]

#[cfg(not(any(feature = "postgres", feature = "sqlite", feature = "mysql")))]
compile_error!(
    "rmig needs a database: enable at least one of the features `postgres`, `sqlite` and `mysql`"
);

/// Declares a module that is the crate's own, but public with the `__internals` feature, for
/// this repository's fuzz targets (fuzz/) and benchmarks (benches/), which call the core
/// directly. Not part of the API: no other crate should turn that feature on.
macro_rules! internal_mod {
    ($name:ident) => {
        #[cfg(feature = "__internals")]
        #[doc(hidden)]
        pub mod $name;
        #[cfg(not(feature = "__internals"))]
        mod $name;
    };
}

#[cfg(feature = "alembic-import")]
mod alembic;
mod alembic_ini;
#[cfg(feature = "cli")]
mod autogen;
#[cfg(feature = "cli")]
pub mod cli;
internal_mod!(config);
internal_mod!(db);
internal_mod!(dialect);
internal_mod!(duration);
mod error;
mod exec;
#[cfg(feature = "cli")]
mod fleet;
internal_mod!(graph);
mod guard;
mod identifier;
mod ini;
mod locks;
mod migrator;
internal_mod!(offline);
mod ops;
internal_mod!(plan);
mod project;
#[cfg(feature = "cli")]
mod reference;
#[cfg(feature = "cli")]
mod render;
internal_mod!(revision);
mod sql_text;
mod term;
internal_mod!(version_table);

/// The integration tests' support (projects, a database per test), for the unit tests that
/// need a real server.
#[cfg(test)]
#[path = "../tests/common/mod.rs"]
mod test_support;

/// The inputs the fuzz targets found, replayed by `make test`.
#[cfg(all(test, feature = "cli"))]
mod fuzz_regressions;

pub use exec::{EditedRevision, Progress, StepLabel};
pub use guard::GuardReport;
#[cfg(feature = "async")]
pub use migrator::AsyncMigrator;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub use migrator::Connection;
pub use migrator::{CheckReport, EmbeddedRevisions, MigrateError, MigrationReport, Migrator};
pub use plan::Direction;

/// What `embed_revisions!` expands to refers to; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use include_dir;
}
