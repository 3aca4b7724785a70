//! `import-alembic`: writes an Alembic project's history as rmig revisions and prints what is
//! left for a person to do.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::alembic::{self, ImportError};
use crate::error::Error;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The Alembic project: its alembic.ini, or the folder holding it, or its script folder
    /// (the one with env.py and versions/).
    src: PathBuf,
    /// Where to write rmig.toml and revisions/ (default: the current folder).
    #[arg(long, default_value = ".")]
    into: PathBuf,
    /// Overwrite an existing rmig.toml and revision files of the same names.
    #[arg(long)]
    force: bool,
}

pub(super) fn import_alembic(args: ImportArgs, out: &mut dyn Write) -> Result<(), Error> {
    let report =
        alembic::import(&args.src, &args.into, args.force).map_err(|error| match error {
            ImportError::Write { path, source } => Error::Write { path, source },
            other => Error::Usage(other.to_string()),
        })?;
    write!(out, "{report}")?;
    Ok(())
}
