//! The command line: clap definitions whose doc comments are the help text, and one function
//! per command. Commands print to the writer they are given, so tests can capture them.

mod listing;
mod migrate;
mod scaffold;
mod status;

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::Overrides;
use crate::error::Error;

/// rmig: Alembic-compatible database migrations that never drop data unasked.
#[derive(Debug, Parser)]
#[command(name = "rmig", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Config file to read instead of ./rmig.toml (an alembic.ini works too).
    #[arg(short = 'c', long = "config", global = true)]
    pub config: Option<PathBuf>,
    /// Database URL; overrides RMIG_URL, DATABASE_URL and the config file.
    #[arg(long, global = true)]
    pub url: Option<String>,
}

impl GlobalArgs {
    fn overrides(&self) -> Overrides {
        Overrides {
            config: self.config.clone(),
            url: self.url.clone(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create rmig.toml and an empty revision folder in DIR.
    Init { dir: PathBuf },
    /// Create a new revision file.
    Revision(scaffold::RevisionArgs),
    /// Create a revision that merges two or more heads.
    Merge(scaffold::MergeArgs),
    /// Upgrade to a later revision.
    Upgrade(migrate::MigrateArgs),
    /// Revert to an earlier revision.
    Downgrade(migrate::MigrateArgs),
    /// Record revisions as applied without running them.
    Stamp(migrate::StampArgs),
    /// Show the revisions the database is at.
    Current(status::CurrentArgs),
    /// Exit 4 when the database has revisions still to apply.
    Check(status::CheckArgs),
    /// Show the head revisions of the revision files.
    Heads(listing::HeadsArgs),
    /// Show branch points.
    Branches(listing::BranchesArgs),
    /// List revisions in order, newest first.
    History(listing::HistoryArgs),
    /// Show one or more revisions in full.
    Show(listing::ShowArgs),
}

/// Runs one command; returns the exit status for a run that did not fail (`check` returns 4
/// when revisions are pending).
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<u8, Error> {
    let overrides = cli.global.overrides();
    match cli.command {
        Command::Check(args) => return status::check(&overrides, args, out),
        Command::Init { dir } => scaffold::init(&dir, out),
        Command::Revision(args) => scaffold::revision(&overrides, args, out),
        Command::Merge(args) => scaffold::merge(&overrides, args, out),
        Command::Upgrade(args) => {
            migrate::run(&overrides, crate::plan::Direction::Upgrade, args, out)
        }
        Command::Downgrade(args) => {
            migrate::run(&overrides, crate::plan::Direction::Downgrade, args, out)
        }
        Command::Stamp(args) => migrate::stamp(&overrides, args, out),
        Command::Current(args) => status::current(&overrides, args, out),
        Command::Heads(args) => listing::heads(&overrides, args, out),
        Command::Branches(args) => listing::branches(&overrides, args, out),
        Command::History(args) => listing::history(&overrides, args, out),
        Command::Show(args) => listing::show(&overrides, args, out),
    }?;
    Ok(0)
}
