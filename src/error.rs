//! The library's error: every module's error in one type, and the exit status each maps to
//! (contract section 4).

use std::path::PathBuf;

use crate::config::ConfigError;
use crate::graph::GraphError;
use crate::plan::PlanError;
use crate::revision::RevisionFileError;

/// Exit status for bad input: config, revision files, arguments, unknown or ambiguous revision.
pub const EXIT_BAD_INPUT: i32 = 2;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    RevisionFile(#[from] RevisionFileError),
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error("{0}")]
    Usage(String),
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}

impl Error {
    /// The process exit status for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Output(_) | Error::Write { .. } => 1,
            _ => EXIT_BAD_INPUT,
        }
    }
}
