//! `rmig check --lint`: every revision reviewed without a database, for CI. The guard's
//! destructive operations and, on PostgreSQL, the lock findings (`locks`): each upgrade
//! statement that holds an existing table's reads or writes while it scans, indexes or
//! rewrites it. Printed as text, one JSON document, or GitHub Actions workflow commands that
//! annotate the revision files in a pull request; `--sizes` reads each flagged table's size
//! from the database, and goes on without sizes when it cannot connect.

use std::io::Write;
use std::path::Path;

use clap::ValueEnum;
use serde::Serialize;

use super::migrate::ConnectionArgs;
use super::Log;
use crate::db::{Backend, DbError};
use crate::dialect::{string_literal, Dialect};
use crate::error::{Error, EXIT_BLOCKED, EXIT_LOCKS};
use crate::guard::{self, Finding, LintReport};
use crate::locks::{LockFinding, LockReader, LockReport, Relation, TableSize};
use crate::offline::Forms;
use crate::plan::Direction;
use crate::project::Project;
use crate::revision::{operation_line, FileFormat};
use crate::term::{printable, printable_lines};

/// How `check` prints what it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    Github,
}

/// What `check --lint` was asked for.
pub(super) struct LintOptions<'a> {
    pub format: OutputFormat,
    /// Lock findings fail the check (exit 5) instead of only being reported.
    pub strict: bool,
    /// Read each flagged table's size from the database.
    pub sizes: bool,
    pub connection: &'a ConnectionArgs,
}

/// Whether the lock findings carry their tables' sizes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum SizesState {
    /// No `--sizes`.
    NotRequested,
    /// Every finding's size is filled in (none needed reading when there is no finding).
    Read,
    /// `--sizes`, but the database could not be reached or read.
    Unavailable { error: String },
}

/// `check --lint --json`: the guard's report, then the lock report, with the document's
/// version.
#[derive(Serialize)]
struct LintJson<'a> {
    version: u32,
    #[serde(flatten)]
    report: &'a LintReport,
    /// The dialect whose locks were read; null where there is no lock report (SQLite).
    lock_dialect: Option<Dialect>,
    lock_findings: &'a [LockFinding],
    table_sizes: &'a SizesState,
}

pub(super) fn lint(
    project: &Project,
    options: LintOptions,
    out: &mut dyn Write,
    log: &mut Log,
) -> Result<u8, Error> {
    let dialect = project.settings.dialect()?;
    let report = guard::lint(&project.map, Some(dialect));
    let mut locks = lock_report(project, dialect)?;
    let sizes = match &mut locks {
        Some(locks) if options.sizes && !locks.findings.is_empty() => {
            match read_sizes(project, options.connection, locks, log) {
                Ok(()) => SizesState::Read,
                Err(error) => {
                    let error = error.to_string();
                    log.warning(&format!("table sizes are not shown: {error}"))?;
                    SizesState::Unavailable { error }
                }
            }
        }
        _ if options.sizes => SizesState::Read,
        _ => SizesState::NotRequested,
    };
    let lock_findings = locks.as_ref().map_or(&[][..], |locks| &locks.findings);
    match options.format {
        OutputFormat::Text => {
            // One finding per line, quoting the revisions' table and column names.
            writeln!(out, "{}", printable_lines(&report.to_string()))?;
            if locks.is_some() {
                write_lock_text(out, lock_findings, report.revisions_checked, &sizes)?;
            }
        }
        OutputFormat::Json => {
            let json = LintJson {
                version: super::JSON_VERSION,
                report: &report,
                lock_dialect: locks.as_ref().map(|locks| locks.dialect),
                lock_findings,
                table_sizes: &sizes,
            };
            serde_json::to_writer_pretty(&mut *out, &json).map_err(std::io::Error::from)?;
            writeln!(out)?;
        }
        OutputFormat::Github => {
            write_github(out, &report.findings, lock_findings, options.strict)?;
        }
    }
    let blocks_an_upgrade = report
        .unconfirmed()
        .any(|finding| finding.direction == Direction::Upgrade);
    Ok(if blocks_an_upgrade {
        EXIT_BLOCKED as u8
    } else if options.strict && !lock_findings.is_empty() {
        EXIT_LOCKS as u8
    } else {
        0
    })
}

/// The lock findings of every revision's upgrade, read for `dialect` from the statements
/// `--sql` prints (the lock-safe forms rmig runs on an existing table, unless the project
/// runs as one transaction); none for a dialect with no lock report. Each revision is read on its own, as no plan joins them here: a table
/// an earlier operation of the same revision creates is new, any other table exists.
fn lock_report(project: &Project, dialect: Dialect) -> Result<Option<LockReport>, Error> {
    let Some(blank) = LockReader::for_dialect(dialect) else {
        return Ok(None);
    };
    let mut report = LockReport::new(dialect);
    for revision in project.map.revisions() {
        let mut reader = blank.clone();
        // `--one-transaction` is a choice of the run; the config's is the project's.
        let mut forms = Forms::new(dialect, project.settings.transaction_per_migration);
        forms.for_each_operation(revision, Direction::Upgrade, |index, op, phases| {
            let statements = phases.iter().flat_map(|phase| &phase.statements);
            let read: Vec<_> = reader
                .operation(op, statements)
                .into_iter()
                .flatten()
                .collect();
            report.add_operation(revision, index, op.describe(), &read);
        })?;
    }
    Ok(Some(report))
}

/// Fills in each finding's table size from the database of the URL in force.
fn read_sizes(
    project: &Project,
    connection: &ConnectionArgs,
    report: &mut LockReport,
    log: &mut Log,
) -> Result<(), Error> {
    let (mut backend, _) = connection.connect(&project.settings, log)?;
    let mut sizes = Vec::new();
    for table in report.tables() {
        sizes.push((table.clone(), table_size(backend.as_mut(), table)?));
    }
    report.set_sizes(&sizes);
    Ok(())
}

/// A table's total size (with its indexes and TOAST) and the planner's estimate of its rows.
fn table_size(backend: &mut dyn Backend, table: &Relation) -> Result<TableSize, DbError> {
    let pg = Dialect::Postgresql;
    let oid = match table {
        Relation::Table { schema, name } => format!(
            "to_regclass({})",
            string_literal(&pg.qualified_name(schema.as_deref(), name))
        ),
        Relation::TableOfIndex { schema, index } => format!(
            "(SELECT indrelid FROM pg_index WHERE indexrelid = to_regclass({}))",
            string_literal(&pg.qualified_name(schema.as_deref(), index))
        ),
    };
    let rows = backend.query_rows(&format!(
        "SELECT pg_total_relation_size(c.oid), c.reltuples::bigint FROM pg_class c WHERE c.oid = {oid}"
    ))?;
    let number =
        |value: &Option<String>| value.as_deref().and_then(|text| text.parse::<i64>().ok());
    Ok(match rows.first().map(Vec::as_slice) {
        Some([bytes, rows]) => TableSize::Measured {
            bytes: number(bytes).unwrap_or(0).max(0) as u64,
            // -1 (PostgreSQL 14 and later) when the table was never analyzed.
            estimated_rows: number(rows)
                .filter(|rows| *rows >= 0)
                .map(|rows| rows as u64),
        },
        _ => TableSize::NotFound,
    })
}

fn write_lock_text(
    out: &mut dyn Write,
    findings: &[LockFinding],
    revisions: usize,
    sizes: &SizesState,
) -> std::io::Result<()> {
    let revision_noun = if revisions == 1 {
        "revision"
    } else {
        "revisions"
    };
    if findings.is_empty() {
        return writeln!(out, "No lock findings in {revisions} {revision_noun}.");
    }
    let finding_noun = if findings.len() == 1 {
        "lock finding"
    } else {
        "lock findings"
    };
    writeln!(
        out,
        "{} {finding_noun} in {revisions} {revision_noun}: statements that hold an existing table's reads or writes while they work on it.",
        findings.len()
    )?;
    for finding in findings {
        writeln!(out, "  {}", printable(&finding.to_string()))?;
    }
    match sizes {
        SizesState::NotRequested => writeln!(
            out,
            "Table sizes are not shown; --sizes reads them from the database."
        ),
        // Said on standard error already.
        SizesState::Read | SizesState::Unavailable { .. } => Ok(()),
    }
}

/// One workflow command per finding: an error for an upgrade's unconfirmed data loss (and for
/// a lock finding under `--strict`), a warning for the rest of what fails or may hurt, a
/// notice for a confirmed destructive operation.
fn write_github(
    out: &mut dyn Write,
    findings: &[Finding],
    lock_findings: &[LockFinding],
    strict: bool,
) -> std::io::Result<()> {
    for finding in findings {
        let (level, title) = match (finding.confirmation.is_confirmed(), finding.direction) {
            (true, _) => ("notice", "confirmed-data-loss"),
            (false, Direction::Upgrade) => ("error", "unconfirmed-data-loss"),
            (false, Direction::Downgrade) => ("warning", "unconfirmed-data-loss"),
        };
        // A derived downgrade's index is the upgrade operation it reverses.
        let list = match (finding.derived, finding.direction) {
            (false, Direction::Downgrade) => "downgrade",
            _ => "upgrade",
        };
        let line = line_of(&finding.path, list, finding.op_index);
        write_command(out, level, &finding.path, line, title, &finding.to_string())?;
    }
    for finding in lock_findings {
        let level = if strict { "error" } else { "warning" };
        let line = line_of(&finding.path, "upgrade", finding.op_index);
        let message = format!(
            "{} {} {}: {}; {}",
            finding.revision,
            finding.location(),
            finding.op,
            finding.problem(),
            finding.fix
        );
        write_command(
            out,
            level,
            &finding.path,
            line,
            finding.rule.name(),
            &message,
        )?;
    }
    Ok(())
}

/// The line of an operation in its revision file; 1 when the file does not say.
fn line_of(path: &Path, list: &str, index: usize) -> usize {
    let format = FileFormat::of(path).unwrap_or(FileFormat::Toml);
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| operation_line(&text, format, list, index))
        .unwrap_or(1)
}

/// `::level file=...,line=...,title=...::message`, the path relative to the working
/// directory (the repository's root in a workflow) when it is inside it.
fn write_command(
    out: &mut dyn Write,
    level: &str,
    path: &Path,
    line: usize,
    title: &str,
    message: &str,
) -> std::io::Result<()> {
    let relative = std::env::current_dir()
        .ok()
        .and_then(|dir| path.strip_prefix(dir).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf());
    writeln!(
        out,
        "::{level} file={},line={line},title={}::{}",
        workflow_property(&relative.display().to_string()),
        workflow_property(title),
        workflow_data(message)
    )
}

/// A workflow command's message: control characters (newlines too) shown escaped, so that it
/// stays one command, and `%` as GitHub's runner reads it back.
fn workflow_data(text: &str) -> String {
    printable(text).replace('%', "%25")
}

/// A workflow command's property value: as its message, and `:` and `,` escaped too.
fn workflow_property(text: &str) -> String {
    workflow_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_commands_escape_what_github_reads_specially() {
        assert_eq!(workflow_data("50% done\nnext"), "50%25 done\\nnext");
        assert_eq!(workflow_property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}
