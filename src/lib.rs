//! rmig: an Alembic-compatible database migration runner.
//!
//! The pure core is `revision` (files on disk -> typed revisions), `graph` (Alembic's revision
//! map and revision syntax), `plan` (ordered steps with their `alembic_version` changes) and
//! `ops` (typed operations). `offline` renders a plan as the SQL script `--sql` prints, and
//! `cli` drives it all from the command line.

pub mod ops;
