//! The library's error: every module's error in one type, and the exit status each maps to
//! (docs/exit-codes.md).

use std::path::PathBuf;

use crate::config::ConfigError;
use crate::db::DbError;
use crate::exec::ExecError;
use crate::graph::GraphError;
use crate::guard::{AllowanceError, GuardError};
use crate::offline::ScriptError;
use crate::plan::PlanError;
use crate::revision::RevisionFileError;

/// Exit status when the database or a migration failed.
pub const EXIT_FAILED: i32 = 1;
/// Exit status for bad input: config, revision files, arguments, unknown or ambiguous revision,
/// an operation the database cannot run.
pub const EXIT_BAD_INPUT: i32 = 2;
/// Exit status when the destructive-operation guard blocked the run.
pub const EXIT_BLOCKED: i32 = 3;
/// Exit status when `check` found pending revisions or drift, or `current --check-heads`
/// found the database short of its heads.
pub const EXIT_PENDING: i32 = 4;
/// Exit status when `check --lint --strict` found a statement that holds an existing table's
/// reads or writes while it scans or rewrites it (docs/locks.md).
pub const EXIT_LOCKS: i32 = 5;

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
    #[error(transparent)]
    Guard(#[from] GuardError),
    #[error(transparent)]
    Allowance(#[from] AllowanceError),
    #[error(transparent)]
    Script(Box<ScriptError>),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Exec(Box<ExecError>),
    #[error("{0}")]
    Usage(String),
    /// `current --check-heads`: Alembic's message, then what is left to apply.
    #[error("Database is not on all head revisions: {} revision(s) pending ({}); run `rmig upgrade heads`", pending.len(), pending.join(", "))]
    NotAtHeads { pending: Vec<String> },
    /// `edit`: the editor could not be started or reported a failure.
    #[error("the editor `{editor}` failed on {}: {reason}", path.display())]
    Editor {
        editor: String,
        path: PathBuf,
        reason: String,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}

impl From<ScriptError> for Error {
    fn from(error: ScriptError) -> Error {
        Error::Script(Box::new(error))
    }
}

impl From<ExecError> for Error {
    fn from(error: ExecError) -> Error {
        Error::Exec(Box::new(error))
    }
}

impl Error {
    /// The process exit status for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            // A URL that cannot be parsed is bad configuration, not a database failure
            // (corpus: `config_url_bad_sslmode`, `config_url_bad_port`).
            Error::Db(DbError::BadUrl { .. } | DbError::ForeignTable { .. }) => EXIT_BAD_INPUT,
            Error::Output(_) | Error::Write { .. } | Error::Editor { .. } | Error::Db(_) => {
                EXIT_FAILED
            }
            Error::Guard(error) => error.exit_code(),
            Error::Exec(error) => error.exit_code(),
            Error::NotAtHeads { .. } => EXIT_PENDING,
            _ => EXIT_BAD_INPUT,
        }
    }
}
