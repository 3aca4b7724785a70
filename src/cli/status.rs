//! Commands that read the database: `current` and `check`.

use std::io::Write;

use clap::Args;
use serde::Serialize;

use super::migrate::ConnectionArgs;
use crate::config::Overrides;
use crate::error::{Error, EXIT_BLOCKED, EXIT_PENDING};
use crate::exec::current_heads;
use crate::guard;
use crate::plan;
use crate::project::Project;

#[derive(Debug, Args)]
pub struct CurrentArgs {
    /// Show revision details.
    #[arg(short, long)]
    verbose: bool,
    /// Print one JSON document.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    connection: ConnectionArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Run the destructive-operation guard over every revision instead, without a database:
    /// lists each destructive operation and whether it is confirmed; exits 3 when an upgrade
    /// operation is not (unconfirmed downgrades are listed, and blocked when they run).
    #[arg(long)]
    lint: bool,
    /// Print one JSON document.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    connection: ConnectionArgs,
}

/// The rows of the version table, read through a fresh connection.
pub(super) fn database_heads(
    project: &Project,
    connection: &ConnectionArgs,
) -> Result<Vec<String>, Error> {
    let (mut backend, _) = connection.connect(&project.settings)?;
    Ok(current_heads(
        backend.as_mut(),
        &project.settings.version_table,
    )?)
}

#[derive(Serialize)]
struct CurrentJson<'a> {
    url: String,
    heads: &'a [String],
}

pub(super) fn current(
    overrides: &Overrides,
    args: CurrentArgs,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let project = Project::load(overrides)?;
    let heads = database_heads(&project, &args.connection)?;
    if args.json {
        let json = CurrentJson {
            url: project.settings.redacted_url(),
            heads: &heads,
        };
        serde_json::to_writer_pretty(&mut *out, &json).map_err(std::io::Error::from)?;
        writeln!(out)?;
        return Ok(());
    }
    let map = &project.map;
    if args.verbose {
        writeln!(
            out,
            "Current revision(s) for {}:",
            project.settings.redacted_url()
        )?;
    }
    for head in &heads {
        let index = map.current_revisions(std::slice::from_ref(head))?[0];
        if args.verbose {
            writeln!(out, "{}", super::listing::log_entry(map, index))?;
        } else {
            writeln!(out, "{}", super::listing::current_line(map, index))?;
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct CheckJson<'a> {
    current: &'a [String],
    pending: Vec<&'a str>,
    up_to_date: bool,
}

pub(super) fn check(
    overrides: &Overrides,
    args: CheckArgs,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    let project = Project::load(overrides)?;
    if args.lint {
        return lint(&project, args.json, out);
    }
    let heads = database_heads(&project, &args.connection)?;
    let map = &project.map;
    let plan = plan::upgrade(map, &heads, "heads")?;
    let pending: Vec<&str> = plan.steps.iter().map(|s| map.id(s.revision)).collect();
    if args.json {
        let json = CheckJson {
            current: &heads,
            up_to_date: pending.is_empty(),
            pending,
        };
        serde_json::to_writer_pretty(&mut *out, &json).map_err(std::io::Error::from)?;
        writeln!(out)?;
    } else if pending.is_empty() {
        writeln!(out, "No pending revisions: the database is at its head(s).")?;
    } else {
        writeln!(
            out,
            "{} revision(s) pending: {}",
            pending.len(),
            pending.join(", ")
        )?;
    }
    Ok(if plan.is_empty() {
        0
    } else {
        EXIT_PENDING as u8
    })
}

fn lint(project: &Project, json: bool, out: &mut dyn Write) -> Result<u8, Error> {
    let report = guard::lint(&project.map);
    if json {
        serde_json::to_writer_pretty(&mut *out, &report).map_err(std::io::Error::from)?;
        writeln!(out)?;
    } else {
        writeln!(out, "{report}")?;
    }
    let blocks_an_upgrade = report
        .unconfirmed()
        .any(|f| f.direction == crate::plan::Direction::Upgrade);
    Ok(if blocks_an_upgrade {
        EXIT_BLOCKED as u8
    } else {
        0
    })
}
