//! `import-alembic`: writes an Alembic project's history as rmig revisions, prints the
//! project's rmig.toml and revision folder, and tells on the log what is left for a person to
//! do.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::alembic::{self, ImportError};
use crate::error::Error;

use super::{print_written, Log};

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

pub(super) fn import_alembic(
    args: ImportArgs,
    out: &mut dyn Write,
    log: &mut Log,
) -> Result<(), Error> {
    let report =
        alembic::import(&args.src, &args.into, args.force).map_err(|error| match error {
            ImportError::Write { path, source } => Error::Write { path, source },
            other => Error::Usage(other.to_string()),
        })?;
    print_written(out, &report.config)?;
    print_written(out, &report.revisions_dir)?;
    // Quotes the Alembic scripts: their file names, ids and Python.
    let report = report.to_string();
    write!(log.progress(), "{}", crate::term::printable_lines(&report))?;
    Ok(())
}
