//! `rmig graph`: the revision graph as a picture.

use std::io::Write;

use clap::Args;

use super::migrate::ConnectionArgs;
use super::Log;
use crate::config::Overrides;
use crate::error::Error;
use crate::project::Project;
use crate::render::graph::{dot, mermaid, GraphFormat};

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// `mermaid` (paste into a ```mermaid block on GitHub) or `dot` (Graphviz:
    /// `rmig graph --format dot | dot -Tsvg > graph.svg`).
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    format: GraphFormat,
    /// Mark the revisions the database is at with `(current)`; connects to the database.
    #[arg(long)]
    current: bool,
    #[command(flatten)]
    connection: ConnectionArgs,
}

pub(super) fn graph(
    overrides: &Overrides,
    args: GraphArgs,
    out: &mut dyn Write,
    log: &mut Log,
) -> Result<(), Error> {
    let project = Project::load(overrides)?;
    let current = if args.current {
        super::status::database_heads(&project, &args.connection, log)?
    } else {
        Vec::new()
    };
    let picture = match args.format {
        GraphFormat::Mermaid => mermaid(&project.map, &current),
        GraphFormat::Dot => dot(&project.map, &current),
    };
    out.write_all(picture.as_bytes())?;
    Ok(())
}
