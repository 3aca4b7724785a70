//! The library API: migrate a database from Rust code, e.g. when a service starts.
//!
//! A [`Migrator`] holds a project's revisions (read from a folder, from a config file, or
//! embedded in the binary with [`embed_revisions!`](crate::embed_revisions)) and the settings of
//! a run. Its methods connect, then do what the matching `rmig` command does, through the same
//! code: `exec::migrate` plans under the migration lock, passes the plan
//! through the destructive-operation guard and runs it. There is no second run loop here, so a
//! service and `rmig upgrade head` in a deploy script can never disagree.
//!
//! ```no_run
//! use rmig::Migrator;
//!
//! # fn main() -> Result<(), rmig::MigrateError> {
//! let migrator = Migrator::from_dir("revisions")?.url("postgresql://app@db/app");
//! let report = migrator.upgrade("head")?;
//! for step in &report.applied {
//!     println!("ran {step}");
//! }
//! # Ok(())
//! # }
//! ```
//!
//! With the `async` feature, `AsyncMigrator` offers the same methods as `async fn`s.

#![warn(missing_docs)]

#[cfg(feature = "async")]
mod asynchronous;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod connection;
mod embed;

#[cfg(feature = "async")]
pub use asynchronous::AsyncMigrator;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub use connection::Connection;
pub use embed::EmbeddedRevisions;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::config::{self, Overrides};
use crate::db::{self, redact_url, Backend, ConnectOptions, DbError};
use crate::duration;
use crate::error::{Error, EXIT_BAD_INPUT, EXIT_FAILED};
use crate::exec::{
    self, EditedRevision, ExecError, HistoryTable, LockRetryPolicy, Progress, RunOptions, Silent,
    StepLabel, TransactionMode,
};
use crate::graph::RevisionMap;
use crate::guard::{AllowanceError, Allowances, GuardError, GuardReport};
use crate::plan::{self, Direction, PlanError};
use crate::project::Project;
use crate::revision::{self, Revision, RevisionFileError};
use crate::version_table::VersionTable;

/// How long a run waits for another run's migration lock unless told otherwise (as the CLI).
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(300);

/// Why a [`Migrator`] call failed. Each variant maps to the exit status `rmig` would give
/// ([`MigrateError::exit_code`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrateError {
    /// The revision files or the config file are invalid (exit status 2).
    #[error(transparent)]
    Load(Box<Error>),
    /// No database URL was given: call [`Migrator::url`].
    #[error("no database URL: call Migrator::url(...) (or set `url` in the config file)")]
    NoUrl,
    /// The target cannot be resolved or reached from the database's revisions, or the
    /// version table names a revision no file declares (exit status 2).
    #[error(transparent)]
    Target(PlanError),
    /// The destructive-operation guard refused the plan: nothing ran (exit status 3). The
    /// report names each unconfirmed operation, its revision and the rows it would destroy.
    #[error("{0}")]
    Blocked(GuardReport),
    /// An [`allow_data_loss`](Migrator::allow_data_loss) value has an unknown kind or could
    /// name two things (exit status 2); refused before connecting.
    #[error(transparent)]
    Allowance(AllowanceError),
    /// The database could not be reached, locked or read (exit status 1).
    #[error(transparent)]
    Database(DbError),
    /// A step failed and was rolled back, the steps before it staying applied (exit status
    /// 1); or, with [`Migrator::strict`], an applied revision's file was edited, or an
    /// operation of the plan has no SQL on the database's dialect (exit status 2, nothing ran).
    #[error(transparent)]
    Failed(Box<ExecError>),
    /// The thread running the migration could not start or panicked (async only).
    #[error("the migration task did not finish: {0}")]
    Task(String),
}

impl MigrateError {
    /// The exit status `rmig` gives for the same failure (docs/exit-codes.md).
    pub fn exit_code(&self) -> i32 {
        match self {
            MigrateError::Load(error) => error.exit_code(),
            MigrateError::NoUrl | MigrateError::Target(_) | MigrateError::Allowance(_) => {
                EXIT_BAD_INPUT
            }
            // A URL that cannot name a database is bad input, as in a single run.
            MigrateError::Database(DbError::BadUrl { .. }) => EXIT_BAD_INPUT,
            MigrateError::Blocked(report) => report.exit_code(),
            MigrateError::Failed(error) => error.exit_code(),
            MigrateError::Database(_) | MigrateError::Task(_) => EXIT_FAILED,
        }
    }

    /// The guard's report, when the guard refused the plan.
    pub fn guard_report(&self) -> Option<&GuardReport> {
        match self {
            MigrateError::Blocked(report) => Some(report),
            _ => None,
        }
    }
}

impl From<ExecError> for MigrateError {
    fn from(error: ExecError) -> MigrateError {
        match error {
            ExecError::Guard(GuardError::Blocked(report)) => MigrateError::Blocked(report),
            ExecError::Plan(error) => MigrateError::Target(error),
            ExecError::Db(error) => MigrateError::Database(error),
            other => MigrateError::Failed(Box::new(other)),
        }
    }
}

impl From<Error> for MigrateError {
    fn from(error: Error) -> MigrateError {
        MigrateError::Load(Box::new(error))
    }
}

impl From<DbError> for MigrateError {
    fn from(error: DbError) -> MigrateError {
        MigrateError::Database(error)
    }
}

impl From<PlanError> for MigrateError {
    fn from(error: PlanError) -> MigrateError {
        MigrateError::Target(error)
    }
}

/// What an `upgrade` or `downgrade` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// The steps that ran and were committed, in order.
    pub applied: Vec<StepLabel>,
    /// The version rows afterwards (empty: the database is at `base`).
    pub heads: Vec<String>,
    /// Applied revisions whose files changed since they ran (worth a warning in the log;
    /// [`Migrator::strict`] refuses to run instead).
    pub edited: Vec<EditedRevision>,
    /// What did not stop the run but is worth a line in the log, one sentence each: a
    /// `transactional = false` revision run again after an earlier attempt left some of its
    /// operations applied.
    pub warnings: Vec<String>,
}

impl MigrationReport {
    /// True when nothing had to run: the database was already at the target.
    pub fn is_noop(&self) -> bool {
        self.applied.is_empty()
    }
}

/// What [`Migrator::check`] found: where the database is, what `upgrade heads` would run, and
/// whether the guard would let it.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckReport {
    /// The version rows (empty: `base`).
    pub current: Vec<String>,
    /// The steps `upgrade heads` would run, in order.
    pub pending: Vec<StepLabel>,
    /// The guard's report when those steps hold an unconfirmed destructive operation (row
    /// counts are not filled in: `check` reads nothing but the version table).
    pub blocked: Option<GuardReport>,
}

impl CheckReport {
    /// True when the database is at every head.
    pub fn is_up_to_date(&self) -> bool {
        self.pending.is_empty()
    }
}

/// Migrates one database: the revisions, where the database is, and how to run. Cheap to
/// clone (the revisions are shared); every method opens its own connection.
///
/// Built with [`Migrator::from_dir`], [`Migrator::from_config`] or
/// [`Migrator::from_embedded`], then configured with the builder methods ([`url`](Self::url),
/// [`version_table`](Self::version_table), [`allow_data_loss`](Self::allow_data_loss), ...).
#[derive(Debug, Clone)]
pub struct Migrator {
    map: Arc<RevisionMap>,
    url: Option<String>,
    version_table: VersionTable,
    /// rmig's audit table as rmig.toml sets it (`Some(None)`: `history_table = false`);
    /// `None`: the executor's default.
    history_table: Option<Option<HistoryTable>>,
    strict: bool,
    allowances: Allowances,
    transaction_mode: TransactionMode,
    lock_wait: Duration,
    lock_retry: LockRetryPolicy,
    connect: ConnectOptions,
}

impl Migrator {
    /// Reads every revision file of a folder (an rmig project's `script_location`).
    pub fn from_dir(path: impl AsRef<Path>) -> Result<Migrator, MigrateError> {
        let revisions = revision::load_dir(path.as_ref()).map_err(Error::from)?;
        Migrator::from_revisions(revisions)
    }

    /// Reads a config file (`rmig.toml`, or an `alembic.ini`) and the revisions it points at,
    /// as `rmig -c FILE` does: its `url` (overridden by `RMIG_URL`, then `DATABASE_URL`, as on
    /// the command line), `version_table`, `version_table_schema`, `transaction_per_migration`,
    /// `lock_timeout` and `statement_timeout`.
    pub fn from_config(path: impl AsRef<Path>) -> Result<Migrator, MigrateError> {
        let settings = config::load(&Overrides {
            config: Some(path.as_ref().to_path_buf()),
            url: None,
        })
        .map_err(Error::from)?;
        Migrator::from_project(Project::from_settings(settings)?)
    }

    /// Uses a project already loaded (what the CLI works from): its revisions and the
    /// settings listed at [`from_config`](Self::from_config).
    pub(crate) fn from_project(project: Project) -> Result<Migrator, MigrateError> {
        let Project { settings, map } = project;
        let mut migrator = Migrator::from_map(map);
        migrator.url = Some(settings.url().to_string());
        migrator.version_table = settings.version_table.clone();
        migrator.history_table = Some(settings.history_table.clone());
        if !settings.transaction_per_migration {
            migrator.transaction_mode = TransactionMode::Single;
        }
        if let Some(timeout) = settings.lock_timeout {
            migrator = migrator.lock_timeout(timeout);
        }
        if let Some(timeout) = settings.statement_timeout {
            migrator = migrator.statement_timeout(timeout);
        }
        migrator.lock_retry = settings.lock_retry;
        Ok(migrator)
    }

    /// Uses revisions embedded in the binary by [`embed_revisions!`](crate::embed_revisions).
    /// Files are parsed here, so a malformed one is reported when the migrator is built, with
    /// its name.
    pub fn from_embedded(embedded: &EmbeddedRevisions) -> Result<Migrator, MigrateError> {
        let mut revisions: Vec<Revision> = Vec::new();
        let mut seen: HashMap<String, PathBuf> = HashMap::new();
        for (path, text) in embedded.files() {
            let text = text.map_err(|e| {
                Error::from(RevisionFileError::ReadFile {
                    path: path.clone(),
                    source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
                })
            })?;
            let revision = revision::parse_revision(&path, text).map_err(Error::from)?;
            if let Some(first) = seen.get(&revision.id) {
                let error = RevisionFileError::DuplicateRevision {
                    id: revision.id,
                    first: first.clone(),
                    second: path,
                    line: None,
                };
                return Err(Error::from(error).into());
            }
            seen.insert(revision.id.clone(), path);
            revisions.push(revision);
        }
        Migrator::from_revisions(revisions)
    }

    /// Uses revisions built in code, in load order (the order that breaks ties in planning).
    pub(crate) fn from_revisions(revisions: Vec<Revision>) -> Result<Migrator, MigrateError> {
        let map = RevisionMap::new(revisions).map_err(Error::from)?;
        Ok(Migrator::from_map(map))
    }

    fn from_map(map: RevisionMap) -> Migrator {
        Migrator {
            map: Arc::new(map),
            url: None,
            version_table: VersionTable {
                name: "alembic_version".to_string(),
                schema: None,
            },
            history_table: None,
            strict: false,
            allowances: Allowances::default(),
            transaction_mode: TransactionMode::PerMigration,
            lock_wait: DEFAULT_LOCK_WAIT,
            lock_retry: LockRetryPolicy::default(),
            connect: ConnectOptions::default(),
        }
    }

    /// The database to migrate: `postgresql://...` (SQLAlchemy's `postgresql+psycopg2://`
    /// too) or `sqlite:///path.db`.
    pub fn url(mut self, url: impl Into<String>) -> Migrator {
        self.url = Some(url.into());
        self
    }

    /// The version table's name (default `alembic_version`).
    pub fn version_table(mut self, name: impl Into<String>) -> Migrator {
        self.version_table.name = name.into();
        self
    }

    /// The schema of the version table (default: the connection's).
    pub fn version_table_schema(mut self, schema: impl Into<String>) -> Migrator {
        self.version_table.schema = Some(schema.into());
        self
    }

    /// Lets destructive operations run, as `--allow-data-loss` does: `"table:users"` (or
    /// `"table:schema.users"`, covering its columns), `"column:users.email"`,
    /// `"revision:<id>"`, `"schema:name"` (also `type:`, `domain:`, `extension:`,
    /// `database:`), or `"all"`. Call it once per value. A value the guard cannot read, or a
    /// bare one naming two things, fails the run with [`MigrateError::Allowance`].
    pub fn allow_data_loss(mut self, what: impl Into<String>) -> Migrator {
        self.allowances.allow_data_loss.push(what.into());
        self
    }

    /// Refuse to run when an applied revision's file was edited after it was applied
    /// (`--strict`): the run fails with [`MigrateError::Failed`], exit status 2.
    pub fn strict(mut self, yes: bool) -> Migrator {
        self.strict = yes;
        self
    }

    /// One transaction around the whole run instead of one per revision (`--one-transaction`).
    pub fn one_transaction(mut self, yes: bool) -> Migrator {
        self.transaction_mode = if yes {
            TransactionMode::Single
        } else {
            TransactionMode::PerMigration
        };
        self
    }

    /// How long to wait for locks, as `--lock-timeout`: another run's migration lock
    /// (default 5 minutes) and, on PostgreSQL, the session's `lock_timeout`. Taken between
    /// 1 ms and `i32::MAX` ms (about 24.8 days), as `--lock-timeout` is: a zero `Duration`
    /// waits 1 ms (PostgreSQL would read 0 as no limit), a longer one the most PostgreSQL and
    /// SQLite hold.
    pub fn lock_timeout(mut self, timeout: Duration) -> Migrator {
        let timeout = duration::clamp(timeout);
        self.lock_wait = timeout;
        self.connect.lock_timeout = Some(format!("{}ms", timeout.as_millis()));
        self
    }

    /// How often, and for how long, a step that gave up waiting for another session's lock
    /// (and was rolled back) runs again: `retries` attempts after the first (0: never), none
    /// starting more than `limit` after the first (rmig.toml's `lock_retries` and
    /// `lock_retry_limit`; 20 within 2 minutes by default).
    pub fn lock_retries(mut self, retries: u32, limit: Duration) -> Migrator {
        self.lock_retry.retries = retries;
        self.lock_retry.limit = limit;
        self
    }

    /// PostgreSQL `statement_timeout` for the migration session, taken between 1 ms and
    /// `i32::MAX` ms as [`lock_timeout`](Self::lock_timeout) is.
    pub fn statement_timeout(mut self, timeout: Duration) -> Migrator {
        let timeout = duration::clamp(timeout);
        self.connect.statement_timeout = Some(format!("{}ms", timeout.as_millis()));
        self
    }

    /// The database URL with any password hidden, for logs; `None` before [`url`](Self::url).
    pub fn redacted_url(&self) -> Option<String> {
        self.url.as_deref().map(redact_url)
    }

    /// Runs `upgrade <target>` (`"head"`, `"heads"`, `"+1"`, an id, `"label@head"`, ...)
    /// under the migration lock, after the guard passed the plan.
    pub fn upgrade(&self, target: &str) -> Result<MigrationReport, MigrateError> {
        self.migrate(Direction::Upgrade, target, &mut Silent)
    }

    /// Runs `downgrade <target>` (`"-1"`, `"base"`, an id, ...) under the migration lock,
    /// after the guard passed the plan.
    pub fn downgrade(&self, target: &str) -> Result<MigrationReport, MigrateError> {
        self.migrate(Direction::Downgrade, target, &mut Silent)
    }

    /// Upgrades or downgrades, reporting each step to `progress` as it starts and finishes
    /// (e.g. to log it).
    pub fn migrate(
        &self,
        direction: Direction,
        target: &str,
        progress: &mut dyn Progress,
    ) -> Result<MigrationReport, MigrateError> {
        self.validate()?;
        self.migrate_through(self.connect()?.as_mut(), direction, target, progress)
    }

    /// The database's version rows (empty: `base`, or no version table yet).
    pub fn current(&self) -> Result<Vec<String>, MigrateError> {
        self.current_through(self.connect()?.as_mut())
    }

    /// The steps `upgrade heads` would run now, in order; empty when the database is at
    /// every head.
    pub fn pending(&self) -> Result<Vec<StepLabel>, MigrateError> {
        Ok(self.check()?.pending)
    }

    /// What `rmig check` reports: the database's revisions, the pending steps, and whether the
    /// guard would block them before anything runs (a step can still be refused for what the
    /// database sees it do). Changes nothing.
    pub fn check(&self) -> Result<CheckReport, MigrateError> {
        self.validate()?;
        self.check_through(self.connect()?.as_mut())
    }

    #[cfg(any(feature = "postgres", feature = "sqlite"))]
    /// [`upgrade`](Self::upgrade) on a connection the caller made and keeps (a
    /// `&mut postgres::Client` or a `&mut rusqlite::Connection`) instead of one from
    /// [`url`](Self::url): the same migration lock, guard and version-table rules. rmig
    /// changes the session's `lock_timeout` and `statement_timeout` (PostgreSQL) or
    /// `foreign_keys` and busy timeout (SQLite) while it runs and puts them back before it
    /// returns, with the role and settings a revision changed on PostgreSQL; the connection
    /// is otherwise left as it was, outside any transaction, but for what cannot be put back
    /// (custom settings, temporary tables: docs/library.md, "The service's own connection").
    pub fn upgrade_on<'c>(
        &self,
        connection: impl Into<Connection<'c>>,
        target: &str,
    ) -> Result<MigrationReport, MigrateError> {
        self.migrate_on(connection, Direction::Upgrade, target, &mut Silent)
    }

    #[cfg(any(feature = "postgres", feature = "sqlite"))]
    /// [`downgrade`](Self::downgrade) on a connection the caller keeps (see
    /// [`upgrade_on`](Self::upgrade_on)).
    pub fn downgrade_on<'c>(
        &self,
        connection: impl Into<Connection<'c>>,
        target: &str,
    ) -> Result<MigrationReport, MigrateError> {
        self.migrate_on(connection, Direction::Downgrade, target, &mut Silent)
    }

    #[cfg(any(feature = "postgres", feature = "sqlite"))]
    /// [`migrate`](Self::migrate) on a connection the caller keeps (see
    /// [`upgrade_on`](Self::upgrade_on)).
    pub fn migrate_on<'c>(
        &self,
        connection: impl Into<Connection<'c>>,
        direction: Direction,
        target: &str,
        progress: &mut dyn Progress,
    ) -> Result<MigrationReport, MigrateError> {
        self.validate()?;
        let mut backend = connection.into().backend(&self.connect)?;
        self.migrate_through(backend.as_mut(), direction, target, progress)
    }

    #[cfg(any(feature = "postgres", feature = "sqlite"))]
    /// [`current`](Self::current) on a connection the caller keeps.
    pub fn current_on<'c>(
        &self,
        connection: impl Into<Connection<'c>>,
    ) -> Result<Vec<String>, MigrateError> {
        let mut backend = connection.into().backend(&self.connect)?;
        self.current_through(backend.as_mut())
    }

    #[cfg(any(feature = "postgres", feature = "sqlite"))]
    /// [`check`](Self::check) on a connection the caller keeps.
    pub fn check_on<'c>(
        &self,
        connection: impl Into<Connection<'c>>,
    ) -> Result<CheckReport, MigrateError> {
        self.validate()?;
        let mut backend = connection.into().backend(&self.connect)?;
        self.check_through(backend.as_mut())
    }

    /// Refuses confirmations the guard cannot read, before any connection.
    fn validate(&self) -> Result<(), MigrateError> {
        self.allowances
            .validate(&self.map)
            .map_err(MigrateError::Allowance)
    }

    fn migrate_through(
        &self,
        backend: &mut dyn Backend,
        direction: Direction,
        target: &str,
        progress: &mut dyn Progress,
    ) -> Result<MigrationReport, MigrateError> {
        let summary = exec::migrate(
            backend,
            &self.map,
            direction,
            target,
            &self.run_options(),
            &self.allowances,
            progress,
        )?;
        Ok(MigrationReport {
            applied: summary.applied,
            heads: summary.heads,
            edited: summary.edited,
            warnings: summary.warnings,
        })
    }

    fn current_through(&self, backend: &mut dyn Backend) -> Result<Vec<String>, MigrateError> {
        Ok(exec::current_heads(backend, &self.version_table)?)
    }

    fn check_through(&self, backend: &mut dyn Backend) -> Result<CheckReport, MigrateError> {
        let current = self.current_through(backend)?;
        let plan = plan::upgrade(&self.map, &current, "heads")?;
        let pending = plan
            .steps
            .iter()
            .map(|step| StepLabel::of(&self.map, step))
            .collect();
        // As `migrate` judges the plan before it runs: what may destroy is left to the
        // verification inside each transactional step, which only running it can tell.
        let blocked = match exec::check_online(backend, &self.map, plan, &self.allowances) {
            Ok(_) => None,
            Err(GuardError::Blocked(report)) => Some(report),
        };
        Ok(CheckReport {
            current,
            pending,
            blocked,
        })
    }

    fn connect(&self) -> Result<Box<dyn Backend>, MigrateError> {
        let url = self.url.as_deref().ok_or(MigrateError::NoUrl)?;
        Ok(db::connect(url, &self.connect)?)
    }

    fn run_options(&self) -> RunOptions {
        let mut options = RunOptions::new(self.version_table.clone());
        options.transaction_mode = self.transaction_mode;
        options.lock_timeout = self.lock_wait;
        options.lock_retry = self.lock_retry;
        options.strict = self.strict;
        if let Some(table) = &self.history_table {
            options.history.clone_from(table);
        }
        options
    }
}
