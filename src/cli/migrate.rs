//! `upgrade`, `downgrade`, `stamp` and `ensure-version`: plan, pass the guard, then run
//! against the database or print the script (`--sql`). Also the connection options of every
//! command that connects, and the run's (`--lock-timeout`) on top of them.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::{Overrides, Settings};
use crate::db::{self, Backend, ConnectOptions};
use crate::dialect::Dialect;
use crate::duration;
use crate::error::Error;
use crate::exec::{self, Progress, RunOptions, StepLabel, TransactionMode};
use crate::guard::{self, Allowances};
use crate::offline::{check_plan, render_script, ScriptOptions};
use crate::plan::{self, Direction};
use crate::project::Project;
use crate::term::printable;

use super::Log;

/// How long a run waits for another run's lock when nothing else is configured.
const DEFAULT_RUN_LOCK_WAIT: Duration = Duration::from_secs(300);

/// Runs with more steps than this show a progress bar on a terminal.
const PROGRESS_BAR_MIN_STEPS: usize = 10;

/// The option of every command that connects to the database.
#[derive(Debug, Args, Clone, Default)]
pub struct ConnectionArgs {
    /// PostgreSQL `statement_timeout` of the session: the longest one statement may run
    /// (e.g. 30s, 5min). Overrides `statement_timeout` in rmig.toml.
    #[arg(long)]
    statement_timeout: Option<String>,
}

impl ConnectionArgs {
    /// `--statement-timeout`, checked.
    fn statement_timeout(&self) -> Result<Option<Duration>, Error> {
        parse_flag(&self.statement_timeout, "--statement-timeout")
    }

    /// Connects to read. A reader takes no run lock, and its queries (the version rows, the
    /// catalogs) do not queue behind a run's locks, so it has no `--lock-timeout`; rmig.toml's
    /// `lock_timeout` still sets the session's.
    pub(super) fn connect(
        &self,
        settings: &Settings,
        log: &mut Log,
    ) -> Result<(Box<dyn Backend>, RunOptions), Error> {
        connect(settings, None, self.statement_timeout()?, log)
    }
}

/// The options of a run, a command that changes the database under the run lock (`upgrade`,
/// `downgrade`, `stamp`, `ensure-version`): the connection's, and how long to wait for locks.
#[derive(Debug, Args)]
pub struct RunConnectionArgs {
    /// How long to wait for locks: another run's migration lock, and on PostgreSQL the
    /// session's `lock_timeout` (e.g. 10s, 500ms, 2min). Overrides `lock_timeout` in rmig.toml.
    #[arg(long)]
    lock_timeout: Option<String>,
    #[command(flatten)]
    connection: ConnectionArgs,
}

impl RunConnectionArgs {
    /// `--lock-timeout`, checked.
    pub(super) fn lock_timeout(&self) -> Result<Option<Duration>, Error> {
        parse_flag(&self.lock_timeout, "--lock-timeout")
    }

    /// `--statement-timeout`, checked.
    pub(super) fn statement_timeout(&self) -> Result<Option<Duration>, Error> {
        self.connection.statement_timeout()
    }

    /// Refuses a bad `--lock-timeout` or `--statement-timeout` without connecting.
    pub(super) fn check(&self) -> Result<(), Error> {
        self.lock_timeout()?;
        self.statement_timeout().map(|_| ())
    }

    /// Connects with the flags merged over the config file's settings; the run options carry
    /// the lock wait and the project's tables.
    pub(super) fn connect(
        &self,
        settings: &Settings,
        log: &mut Log,
    ) -> Result<(Box<dyn Backend>, RunOptions), Error> {
        connect(
            settings,
            self.lock_timeout()?,
            self.statement_timeout()?,
            log,
        )
    }
}

/// Connects with the timeouts the flags give, else the config file's, telling `log` which
/// database and where its URL came from: a stray `DATABASE_URL` that wins over rmig.toml is
/// seen before anything runs.
fn connect(
    settings: &Settings,
    lock_timeout: Option<Duration>,
    statement_timeout: Option<Duration>,
    log: &mut Log,
) -> Result<(Box<dyn Backend>, RunOptions), Error> {
    let lock_timeout = lock_timeout.or(settings.lock_timeout);
    let statement_timeout = statement_timeout.or(settings.statement_timeout);
    let as_postgres_interval =
        |value: Option<Duration>| value.map(|d| format!("{}ms", d.as_millis()));
    let options = ConnectOptions {
        lock_timeout: as_postgres_interval(lock_timeout),
        statement_timeout: as_postgres_interval(statement_timeout),
    };
    let mut run = RunOptions::new(settings.version_table.clone());
    run.history = settings.history_table.clone();
    run.lock_timeout = lock_timeout.unwrap_or(DEFAULT_RUN_LOCK_WAIT);
    run.lock_retry = settings.lock_retry;
    let url = db::DatabaseUrl::parse(settings.url())?;
    log.announce_target(format!(
        "rmig: database {} (from {})",
        printable(&db::redact_url(&url.target())),
        printable(&settings.url_source.to_string())
    ));
    Ok((url.connect(&options)?, run))
}

/// A duration flag's value, checked here so that a bad one is refused naming the flag.
fn parse_flag(flag: &Option<String>, name: &str) -> Result<Option<Duration>, Error> {
    flag.as_deref()
        .map(|value| duration::parse(value).map_err(|e| Error::Usage(format!("{name}: {e}"))))
        .transpose()
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Target revision: `head`, `heads`, `base`, an id or prefix, `label@head`, `+N`, `-N`,
    /// `<rev>+N`; with --sql also `<from>:<to>`.
    #[arg(allow_hyphen_values = true)]
    pub(super) revision: String,
    /// Print the SQL script instead of running it; touches no database.
    #[arg(long)]
    pub(super) sql: bool,
    /// Run every step in one transaction instead of one transaction per step.
    #[arg(long)]
    pub(super) one_transaction: bool,
    /// Let destructive operations run, for this run, of one thing named with its kind:
    /// `table:NAME` or `table:SCHEMA.NAME` (its columns too), `column:TABLE.COLUMN`,
    /// `revision:ID`, `schema:NAME` (also `type:`, `domain:`, `extension:`, `database:`), or
    /// `all`. A name without a schema means the default schema's. A value without a kind is
    /// refused when it could name two things. Repeatable.
    #[arg(long = "allow-data-loss", value_name = "KIND:NAME|all", value_parser = allowance)]
    pub(super) allow_data_loss: Vec<String>,
    /// Migrate every database listed in FILE (one URL per line; blank lines and `#` comments
    /// skipped) instead of the one URL, each under its own lock, then print a summary table.
    /// Exits 1 if any database failed, else 3 if the guard blocked any.
    #[arg(long, value_name = "FILE", conflicts_with = "sql")]
    pub(super) url_file: Option<std::path::PathBuf>,
    /// With --url-file: how many databases to migrate at the same time.
    #[arg(long, value_name = "N", default_value_t = 4, requires = "url_file")]
    pub(super) jobs: usize,
    /// The global `-v`.
    #[arg(skip)]
    pub(super) verbose: bool,
    /// Refuse to run (exit 2) when an applied revision's file was edited since it was applied.
    #[arg(long)]
    pub(super) strict: bool,
    #[command(flatten)]
    pub(super) connection: RunConnectionArgs,
}

/// An `--allow-data-loss` value, refused as it is parsed when its kind is unknown.
fn allowance(value: &str) -> Result<String, guard::AllowanceError> {
    guard::Allowance::parse(value).map(|_| value.to_string())
}

#[derive(Debug, Args)]
pub struct StampArgs {
    /// The revision(s) to record as current, without running them.
    #[arg(required = true)]
    revisions: Vec<String>,
    /// Print the SQL instead of running it; with --sql a revision may be `<from>:<to>`.
    #[arg(long)]
    sql: bool,
    /// Delete every row of the version table first (not with --sql).
    #[arg(long)]
    purge: bool,
    #[command(flatten)]
    connection: RunConnectionArgs,
}

#[derive(Debug, Args)]
pub struct EnsureVersionArgs {
    /// Print the CREATE TABLE instead of running it; touches no database.
    #[arg(long)]
    sql: bool,
    #[command(flatten)]
    connection: RunConnectionArgs,
}

/// `upgrade` and `downgrade`: the script on `out` with `--sql`, else the run, telling each
/// step on `log`.
pub(super) fn run(
    overrides: &Overrides,
    direction: Direction,
    args: MigrateArgs,
    out: &mut dyn Write,
    log: &mut Log,
) -> Result<(), Error> {
    let project = Project::load(overrides)?;
    let allowances = Allowances {
        allow_data_loss: args.allow_data_loss.clone(),
    };
    allowances.validate(&project.map)?;
    // Checked with --sql too, where they are not used: a bad value is bad input everywhere.
    args.connection.check()?;
    if args.sql {
        return print_script(&project, direction, &args, &allowances, out);
    }
    if args.revision.contains(':') {
        return Err(Error::Usage("Range revision not allowed".to_string()));
    }
    plan::check_target(&args.revision, direction)?;
    if sqlite_file_missing(&project.settings) {
        let plan = match direction {
            Direction::Upgrade => plan::upgrade(&project.map, &[], &args.revision)?,
            Direction::Downgrade => plan::downgrade(&project.map, &[], &args.revision)?,
        };
        check_plan(&project.map, &plan, Dialect::Sqlite)?;
    }
    let (mut backend, mut options) = args.connection.connect(&project.settings, log)?;
    if args.one_transaction || !project.settings.transaction_per_migration {
        options.transaction_mode = TransactionMode::Single;
    }
    options.strict = args.strict;
    if args.verbose {
        let url = project.settings.redacted_url();
        writeln!(
            log.progress(),
            "{direction} {} to {}",
            printable(&url),
            printable(&args.revision)
        )?;
    }
    let started = std::time::Instant::now();
    let mut progress = LinePrinter::new(log);
    let summary = exec::migrate(
        backend.as_mut(),
        &project.map,
        direction,
        &args.revision,
        &options,
        &allowances,
        &mut progress,
    )?;
    progress.finish();
    for edited in &summary.edited {
        log.warning(&edited.to_string())?;
    }
    if summary.applied.is_empty() {
        let at = version_rows(&summary.heads);
        writeln!(
            log.progress(),
            "Nothing to do: the database is already at {at}."
        )?;
    } else if args.verbose {
        let at = version_rows(&summary.heads);
        let elapsed = format_elapsed(started.elapsed());
        let count = summary.applied.len();
        writeln!(
            log.progress(),
            "{count} step(s) in {elapsed}; the database is at {at}."
        )?;
    }
    Ok(())
}

/// The version rows as messages name them (`base` for none): text from the database, shown
/// printable.
fn version_rows(heads: &[String]) -> String {
    if heads.is_empty() {
        "base".to_string()
    } else {
        printable(&heads.join(", ")).into_owned()
    }
}

fn print_script(
    project: &Project,
    direction: Direction,
    args: &MigrateArgs,
    allowances: &Allowances,
    out: &mut dyn Write,
) -> Result<(), Error> {
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
    let current = offline_start(project, start)?;
    let plan = match direction {
        Direction::Upgrade => plan::upgrade(map, &current, target)?,
        Direction::Downgrade => plan::downgrade(map, &current, target)?,
    };
    let options = script_options(&project.settings)?;
    // Offline nothing can be verified: whatever may destroy data must be confirmed.
    let mode = guard::CheckMode {
        dialect: Some(options.dialect),
        verifies: false,
    };
    let checked = guard::check(map, plan, allowances, mode)?;
    out.write_all(render_script(map, checked.plan(), &options)?.as_bytes())?;
    Ok(())
}

/// Offline, the starting rows are what the `from` part names (Alembic's `starting_rev`).
fn offline_start(project: &Project, start: Option<&str>) -> Result<Vec<String>, Error> {
    let map = &project.map;
    Ok(match start {
        Some(start) if start != "base" && !start.is_empty() => map
            .get_revision(start)?
            .map(|i| map.id(i).to_string())
            .into_iter()
            .collect(),
        _ => Vec::new(),
    })
}

fn script_options(settings: &Settings) -> Result<ScriptOptions, Error> {
    Ok(ScriptOptions {
        dialect: settings.dialect()?,
        version_table: settings.version_table.clone(),
        transaction_per_migration: settings.transaction_per_migration,
    })
}

pub(super) fn stamp(
    overrides: &Overrides,
    args: StampArgs,
    out: &mut dyn Write,
    log: &mut Log,
) -> Result<(), Error> {
    let project = Project::load(overrides)?;
    super::no_empty_revision("stamp", &args.revisions)?;
    args.connection.check()?;
    if args.sql {
        if args.purge {
            return Err(Error::Usage(
                "Can't use --purge with --sql mode".to_string(),
            ));
        }
        let (start, targets) = split_stamp_range(&args.revisions)?;
        let current = offline_start(&project, start.as_deref())?;
        let steps = plan::stamp(&project.map, &current, &targets, false)?;
        let options = script_options(&project.settings)?;
        out.write_all(crate::offline::render_stamp_script(&current, &steps, &options).as_bytes())?;
        return Ok(());
    }
    if sqlite_file_missing(&project.settings) {
        plan::stamp(&project.map, &[], &args.revisions, args.purge)?;
    }
    let (mut backend, options) = args.connection.connect(&project.settings, log)?;
    let heads = exec::stamp(
        backend.as_mut(),
        &project.map,
        &args.revisions,
        args.purge,
        &options,
    )?;
    let at = version_rows(&heads);
    writeln!(log.progress(), "Stamped: the database is now at {at}.")?;
    Ok(())
}

/// `ensure-version`: the version table and nothing else, as Alembic's `ensure_version`
/// creates it. Reads no revision file, as Alembic's does not.
pub(super) fn ensure_version(
    overrides: &Overrides,
    args: EnsureVersionArgs,
    out: &mut dyn Write,
    log: &mut Log,
) -> Result<(), Error> {
    let settings = crate::config::load(overrides)?;
    args.connection.check()?;
    if args.sql {
        let options = script_options(&settings)?;
        out.write_all(crate::offline::render_ensure_version(&options).as_bytes())?;
        return Ok(());
    }
    let (mut backend, options) = args.connection.connect(&settings, log)?;
    let table = options.version_table.qualified_name(backend.dialect());
    let table = printable(&table);
    if exec::ensure_version_table(backend.as_mut(), &options)? {
        writeln!(log.progress(), "Created the version table {table}.")?;
    } else {
        writeln!(
            log.progress(),
            "The version table {table} exists; nothing to do."
        )?;
    }
    Ok(())
}

/// Whether the database is a SQLite file that does not exist yet. It has no version rows, so
/// the plan from none is checked before connecting: a bad target is then refused without
/// creating the file, which opening it would (corpus: `args_unknown_revision` and others).
fn sqlite_file_missing(settings: &Settings) -> bool {
    settings.dialect().is_ok_and(|d| d == Dialect::Sqlite)
        && matches!(db::SqliteTarget::parse(settings.url()), Ok(db::SqliteTarget::File(path)) if !path.exists())
}

/// `stamp --sql a:b` starts from `a`, like upgrade's range.
fn split_stamp_range(revisions: &[String]) -> Result<(Option<String>, Vec<String>), Error> {
    let mut start = None;
    let mut targets = Vec::with_capacity(revisions.len());
    for revision in revisions {
        match revision.split_once(':') {
            Some((from, to)) if start.is_none() => {
                start = Some(from.to_string());
                targets.push(to.to_string());
            }
            Some(_) => {
                return Err(Error::Usage(
                    "Stamp may only have one range revision".to_string(),
                ))
            }
            None => targets.push(revision.clone()),
        }
    }
    Ok((start, targets))
}

/// Prints one line per step as it finishes, on the log; on a terminal, long runs also get a
/// progress bar (not under `-q`).
struct LinePrinter<'a, 'log> {
    log: &'a mut Log<'log>,
    bar: Option<ProgressBar>,
    /// `done` in green, where `term::color_enabled` says so.
    color: bool,
}

impl<'a, 'log> LinePrinter<'a, 'log> {
    fn new(log: &'a mut Log<'log>) -> LinePrinter<'a, 'log> {
        LinePrinter {
            log,
            bar: None,
            color: crate::term::color_enabled(crate::term::Stream::Stderr),
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Progress for LinePrinter<'_, '_> {
    fn planned(&mut self, steps: usize) {
        if !self.log.quiet && steps > PROGRESS_BAR_MIN_STEPS && std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(steps as u64);
            if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed} {msg}")
            {
                bar.set_style(style);
            }
            self.bar = Some(bar);
        }
    }

    fn step_started(&mut self, step: &StepLabel) {
        if let Some(bar) = &self.bar {
            bar.set_message(step.revision.clone());
        }
    }

    fn warning(&mut self, message: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| self.log.warning(message)).ok(),
            None => self.log.warning(message).ok(),
        };
    }

    fn lock_retry(&mut self, step: &StepLabel, reason: &str, retry: u32, of: u32, pause: Duration) {
        self.warning(&format!(
            "{step} gave up waiting for a lock and left nothing behind ({reason}); retry {retry} of at most {of} in {}",
            format_elapsed(pause)
        ));
    }

    fn step_finished(&mut self, step: &StepLabel, elapsed: Duration) {
        let done = crate::term::paint("done", crate::term::Color::Green, self.color);
        let line = format!("Running {step} ... {done} in {}", format_elapsed(elapsed));
        match &self.bar {
            Some(bar) => {
                bar.suspend(|| writeln!(self.log.progress(), "{line}")).ok();
                bar.inc(1);
            }
            None => {
                writeln!(self.log.progress(), "{line}").ok();
            }
        }
    }
}

fn format_elapsed(elapsed: Duration) -> String {
    if elapsed < Duration::from_secs(1) {
        format!("{} ms", elapsed.as_millis())
    } else {
        format!("{:.2} s", elapsed.as_secs_f64())
    }
}
