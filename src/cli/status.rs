//! Commands that read the database: `current` and `check`.

use std::io::Write;

use clap::Args;
use serde::Serialize;

use super::lint::{lint, LintOptions, OutputFormat};
use super::migrate::ConnectionArgs;
use super::Log;
use crate::autogen;
use crate::config::Overrides;
use crate::error::{Error, EXIT_BAD_INPUT, EXIT_PENDING};
use crate::exec::current_heads;
use crate::exec::{EditedRevision, ExecError};
use crate::plan;
use crate::project::Project;
use crate::term::printable;

#[derive(Debug, Args)]
pub struct CurrentArgs {
    /// Show revision details (the global `-v`).
    #[arg(skip)]
    pub(super) verbose: bool,
    /// Print one JSON document.
    #[arg(long)]
    json: bool,
    /// Fail (exit 4, printing nothing) unless every head revision is applied, as Alembic's
    /// `current --check-heads` does.
    #[arg(long)]
    check_heads: bool,
    #[command(flatten)]
    connection: ConnectionArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Review every revision instead, without a database: each destructive operation and
    /// whether it is confirmed (exit 3 when an upgrade's is not; unconfirmed downgrades are
    /// listed, and blocked when they run), and on PostgreSQL each upgrade statement that holds
    /// an existing table's reads or writes while it scans or rewrites it (docs/locks.md).
    #[arg(long)]
    lint: bool,
    /// Print one JSON document (`--format json`).
    #[arg(long)]
    json: bool,
    /// `text` (the default), `json` (one document) or, with --lint, `github`: GitHub Actions
    /// workflow commands, so that a pull request shows each finding on its revision file.
    #[arg(
        long,
        value_enum,
        conflicts_with = "json",
        requires_if("github", "lint")
    )]
    format: Option<OutputFormat>,
    /// With --lint: read each flagged table's size and estimated rows from the database;
    /// without a reachable database the findings come without sizes, and rmig says why.
    #[arg(long, requires = "lint")]
    sizes: bool,
    /// Exit 2 when an applied revision's file was edited after it was applied; with --lint,
    /// exit 5 when a lock finding holds an existing table up.
    #[arg(long)]
    strict: bool,
    #[command(flatten)]
    connection: ConnectionArgs,
}

/// The rows of the version table, read through a fresh connection.
pub(super) fn database_heads(
    project: &Project,
    connection: &ConnectionArgs,
    log: &mut Log,
) -> Result<Vec<String>, Error> {
    let (mut backend, _) = connection.connect(&project.settings, log)?;
    Ok(current_heads(
        backend.as_mut(),
        &project.settings.version_table,
    )?)
}

#[derive(Serialize)]
struct CurrentJson<'a> {
    version: u32,
    url: String,
    heads: &'a [String],
}

pub(super) fn current(
    overrides: &Overrides,
    args: CurrentArgs,
    out: &mut dyn Write,
    log: &mut Log,
) -> Result<(), Error> {
    let project = Project::load(overrides)?;
    let heads = database_heads(&project, &args.connection, log)?;
    if args.check_heads {
        // What `upgrade heads` would still run, rather than Alembic's comparison of the rows
        // with the heads by down_revision: that one fails a database just upgraded to heads
        // when one head is a dependency of another branch (its row is then the dependent's).
        let plan = plan::upgrade(&project.map, &heads, "heads")?;
        if !plan.is_empty() {
            let pending = plan.steps.iter().map(|step| project.map.id(step.revision));
            return Err(Error::NotAtHeads {
                pending: pending.map(str::to_string).collect(),
            });
        }
    }
    if args.json {
        let json = CurrentJson {
            version: super::JSON_VERSION,
            url: project.settings.redacted_url(),
            heads: &heads,
        };
        serde_json::to_writer_pretty(&mut *out, &json).map_err(std::io::Error::from)?;
        writeln!(out)?;
        return Ok(());
    }
    let map = &project.map;
    if args.verbose {
        let url = project.settings.redacted_url();
        writeln!(out, "Current revision(s) for {}:", printable(&url))?;
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
    version: u32,
    current: &'a [String],
    pending: Vec<&'a str>,
    up_to_date: bool,
    /// Applied revisions whose files were edited since; null when rmig keeps no audit table
    /// to tell (`history_table = false`).
    edited: Option<&'a [EditedRevision]>,
    /// The target schema file compared with the database, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    target_schema: Option<String>,
    /// How the database differs from the target schema; absent when not compared (no target
    /// schema file, or revisions pending).
    #[serde(skip_serializing_if = "Option::is_none")]
    drift: Option<Vec<autogen::DriftEntry>>,
}

pub(super) fn check(
    overrides: &Overrides,
    args: CheckArgs,
    out: &mut dyn Write,
    log: &mut Log,
) -> Result<u8, Error> {
    let project = Project::load(overrides)?;
    let format = match args.format {
        Some(format) => format,
        None if args.json => OutputFormat::Json,
        None => OutputFormat::Text,
    };
    if args.lint {
        let options = LintOptions {
            format,
            strict: args.strict,
            sizes: args.sizes,
            connection: &args.connection,
        };
        return lint(&project, options, out, log);
    }
    if args.strict && project.settings.history_table.is_none() {
        return Err(ExecError::StrictWithoutHistory.into());
    }
    let (mut backend, options) = args.connection.connect(&project.settings, log)?;
    let heads = current_heads(backend.as_mut(), &options.version_table)?;
    let map = &project.map;
    let edited = match &options.history {
        Some(history) => Some(history.edited_revisions(backend.as_mut(), map, &heads)?),
        None => None,
    };
    let plan = plan::upgrade(map, &heads, "heads")?;
    let pending: Vec<&str> = plan.steps.iter().map(|s| map.id(s.revision)).collect();
    let target_schema = project.settings.target_schema.clone();
    // Drift is compared once the database is at head, and only when a target schema exists.
    let drift = if target_schema.exists() && pending.is_empty() {
        Some(autogen::compare(backend.as_mut(), &project.settings, None)?)
    } else {
        None
    };
    let drifted = drift.as_ref().is_some_and(|diff| !diff.is_empty());
    if format == OutputFormat::Json {
        let json = CheckJson {
            version: super::JSON_VERSION,
            current: &heads,
            up_to_date: pending.is_empty(),
            pending,
            edited: edited.as_deref(),
            target_schema: target_schema
                .exists()
                .then(|| target_schema.display().to_string()),
            drift: drift.as_ref().map(autogen::drift_entries),
        };
        serde_json::to_writer_pretty(&mut *out, &json).map_err(std::io::Error::from)?;
        writeln!(out)?;
    } else {
        // The schema file's path comes from the config, the drift's names from the database,
        // an edited revision's checksum from the audit table.
        let schema_file = target_schema.display().to_string();
        let schema_file = printable(&schema_file);
        if pending.is_empty() {
            writeln!(out, "No pending revisions: the database is at its head(s).")?;
        } else {
            writeln!(
                out,
                "{} revision(s) pending: {}",
                pending.len(),
                pending.join(", ")
            )?;
        }
        match &edited {
            Some(edited) => {
                for revision in edited {
                    writeln!(out, "Edited: {}", printable(&revision.to_string()))?;
                }
            }
            None => writeln!(
                out,
                "Edited revisions are not looked for: `history_table = false` keeps no audit table of what was applied."
            )?,
        }
        match &drift {
            Some(diff) if diff.is_empty() => writeln!(
                out,
                "No drift: the database matches the target schema {schema_file}."
            )?,
            Some(diff) => {
                writeln!(
                    out,
                    "The database differs from the target schema {schema_file}:"
                )?;
                for line in autogen::summary_lines(diff) {
                    writeln!(out, "  - {}", printable(&line))?;
                }
                writeln!(
                    out,
                    "Write the revision that closes the gap with `rmig revision --autogenerate -m \"...\"`."
                )?;
            }
            None if target_schema.exists() => writeln!(
                out,
                "The target schema {schema_file} is compared once no revision is pending."
            )?,
            None => {}
        }
    }
    if args.strict && edited.is_some_and(|edited| !edited.is_empty()) {
        return Ok(EXIT_BAD_INPUT as u8);
    }
    Ok(if plan.is_empty() && !drifted {
        0
    } else {
        EXIT_PENDING as u8
    })
}
