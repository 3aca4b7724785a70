//! `upgrade` and `downgrade`: plan, then print the script (`--sql`).

use std::io::Write;

use clap::Args;

use crate::config::Overrides;
use crate::error::Error;
use crate::offline::{render_script, ScriptOptions};
use crate::plan::{self, Direction};
use crate::project::Project;

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Target revision: `head`, `heads`, `base`, an id or prefix, `label@head`, `+N`, `-N`,
    /// `<rev>+N`; with --sql also `<from>:<to>`.
    #[arg(allow_hyphen_values = true)]
    revision: String,
    /// Print the SQL script instead of running it; touches no database.
    #[arg(long)]
    sql: bool,
}

pub(super) fn run(
    overrides: &Overrides,
    direction: Direction,
    args: MigrateArgs,
    out: &mut dyn Write,
) -> Result<(), Error> {
    if !args.sql {
        return Err(Error::Usage(format!(
            "online {direction} needs a database backend, which this build does not have yet; add --sql to print the script"
        )));
    }
    let project = Project::load(overrides)?;
    let map = &project.map;
    let (start, target) = match args.revision.split_once(':') {
        Some((start, target)) => (Some(start), target),
        None if direction == Direction::Downgrade => {
            return Err(Error::Usage(
                "downgrade with --sql requires <fromrev>:<torev>".to_string(),
            ));
        }
        None => (None, args.revision.as_str()),
    };
    // Offline, the starting rows are what the `from` part names (Alembic's starting_rev).
    let current: Vec<String> = match start {
        Some(start) if start != "base" && !start.is_empty() => map
            .get_revision(start)?
            .map(|i| map.id(i).to_string())
            .into_iter()
            .collect(),
        _ => Vec::new(),
    };
    let plan = match direction {
        Direction::Upgrade => plan::upgrade(map, &current, target)?,
        Direction::Downgrade => plan::downgrade(map, &current, target)?,
    };
    let options = ScriptOptions {
        dialect: project.settings.dialect()?,
        version_table: project.settings.version_table.clone(),
        transaction_per_migration: project.settings.transaction_per_migration,
    };
    out.write_all(render_script(map, &plan, &options).as_bytes())?;
    Ok(())
}
