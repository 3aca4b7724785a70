//! rmig: an Alembic-compatible database migration runner.
//!
//! The pure core is `revision` (files on disk -> typed revisions), `graph` (Alembic's revision
//! map and revision syntax), `plan` (ordered steps with their `alembic_version` changes) and
//! `ops` (typed operations). `config` and `project` load a project; `offline` renders a plan
//! as the SQL script `--sql` prints; `cli` drives it all from the command line.

pub mod cli;
pub mod config;
pub mod db;
pub mod dialect;
pub mod error;
pub mod exec;
pub mod graph;
pub mod guard;
pub mod offline;
pub mod ops;
pub mod plan;
pub mod project;
pub mod revision;
pub mod version_table;

pub use error::Error;
