//! The executor: runs guard-checked plans against a database.
//!
//! Each step runs its operations and its `alembic_version` change in one transaction (or the
//! whole run in one, or outside any for `transactional = false` revisions), under the run
//! lock. Before a step changes anything it checks that the version rows are still what the
//! plan started from; if another process moved them, the run plans again from the new rows,
//! so concurrent deploys apply each revision once. A step that gives up waiting for another
//! session's lock was rolled back whole and runs again after a pause (src/exec/retry.rs).
//!
//! A run is also told through `tracing` (docs/library.md lists the spans, events and fields):
//! a `rmig.migrate` span per run and a `rmig.step` span per step, with events for the plan,
//! the guard's verdict, each finished step, each lock retry and each warning. [`Progress`]
//! stays the callback the CLI prints from; the events are for a service's own log.

mod batch;
mod retry;

use std::borrow::Cow;
use std::time::{Duration, Instant};

use crate::db::{Backend, DbError};
use crate::graph::RevisionMap;
use crate::guard::{
    self, Allowances, CheckMode, CheckedPlan, DataObject, Finding, GuardError, GuardReport,
    ReportStage, RowCount, StepGuard,
};
use crate::offline::{self, ScriptError};
use crate::ops::online::{IndexName, Phase, PhaseMode, RunForms};
use crate::ops::reverse::IrreversibleOperation;
use crate::ops::sql::{RenderError, Statement};
use crate::ops::{running_on, Column, ColumnType, Operation, ScalarValue, ScopedOperation};
use crate::plan::{self, Direction, Plan, PlanError, StampStep, Step, VersionChange};
use crate::sql_text;
use crate::version_table::VersionTable;

mod history;
#[cfg(test)]
mod tests;

use history::{AuditRow, Failure};
pub use history::{EditedRevision, HistoryTable};
use retry::LockRetries;
pub use retry::LockRetryPolicy;

/// How many times a run re-plans after other processes moved the version rows under it.
const MAX_REPLANS: usize = 64;

/// How steps are grouped into transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionMode {
    /// One transaction per step (rmig's default, `transaction_per_migration = true`).
    PerMigration,
    /// One transaction around the whole run (`--one-transaction`).
    Single,
}

/// Settings for one run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub version_table: VersionTable,
    /// rmig's audit table; `None` with `history_table = false`: rmig then writes nothing but
    /// the version table and the revisions' own changes, as Alembic does.
    pub history: Option<HistoryTable>,
    pub transaction_mode: TransactionMode,
    /// How long to wait for another run's lock.
    pub lock_timeout: Duration,
    /// How a step that timed out waiting for a lock is run again.
    pub lock_retry: LockRetryPolicy,
    /// Refuse to run when an applied revision's file was edited since.
    pub strict: bool,
}

impl RunOptions {
    /// Per-migration transactions, a five-minute lock wait, not strict.
    pub fn new(version_table: VersionTable) -> RunOptions {
        RunOptions {
            history: Some(HistoryTable::beside(version_table.schema.as_deref())),
            version_table,
            transaction_mode: TransactionMode::PerMigration,
            lock_timeout: Duration::from_secs(300),
            lock_retry: LockRetryPolicy::default(),
            strict: false,
        }
    }
}

/// A step as progress reports and errors name it, e.g. `upgrade 1975ea83b712 -> ae1027a6acf`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepLabel {
    /// Whether the step upgrades or downgrades.
    pub direction: Direction,
    /// The revision the step applies or reverts.
    pub revision: String,
    /// The version rows the step starts from (empty: `base`).
    pub from: Vec<String>,
    /// The version rows the step leaves (empty: `base`).
    pub to: Vec<String>,
    /// The revision's message, when it has one.
    pub message: Option<String>,
}

impl std::fmt::Display for StepLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} -> {}",
            self.direction,
            self.from.join(", "),
            self.to.join(", ")
        )?;
        if let Some(message) = &self.message {
            write!(f, ", {}", crate::term::printable(message))?;
        }
        Ok(())
    }
}

impl StepLabel {
    /// The label of a planned step.
    pub fn of(map: &RevisionMap, step: &Step) -> StepLabel {
        let revision = map.revision(step.revision);
        let parents: Vec<String> = map
            .down_revisions(step.revision)
            .iter()
            .map(|&d| map.id(d).to_string())
            .collect();
        let this = vec![revision.id.clone()];
        let (from, to) = match step.direction {
            Direction::Upgrade => (parents, this),
            Direction::Downgrade => (this, parents),
        };
        StepLabel {
            direction: step.direction,
            revision: revision.id.clone(),
            from,
            to,
            message: revision.message.clone(),
        }
    }
}

/// Receives progress as a run goes; the CLI prints it, a library user may ignore it.
pub trait Progress {
    /// The plan is made: `steps` steps will run, in order.
    fn planned(&mut self, _steps: usize) {}
    /// A step starts.
    fn step_started(&mut self, _step: &StepLabel) {}
    /// A step is committed, `elapsed` after it started.
    fn step_finished(&mut self, _step: &StepLabel, _elapsed: Duration) {}
    /// Something worth telling that does not stop the run (one sentence), as it happens:
    /// a revision left half applied by an earlier attempt, a failed attempt that could not be
    /// recorded. Also kept in the report's `warnings` when the run succeeds.
    fn warning(&mut self, _message: &str) {}
    /// A step gave up waiting for a lock and was rolled back (`reason`: the statement and the
    /// database's message); it runs again after `pause`, as retry `retry` of at most `of`.
    fn lock_retry(
        &mut self,
        _step: &StepLabel,
        _reason: &str,
        _retry: u32,
        _of: u32,
        _pause: Duration,
    ) {
    }
}

/// Progress that goes nowhere.
pub struct Silent;

impl Progress for Silent {}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub applied: Vec<StepLabel>,
    pub heads: Vec<String>,
    /// Applied revisions whose files changed since (reported, not fatal unless strict).
    pub edited: Vec<EditedRevision>,
    /// What [`Progress::warning`] was told.
    pub warnings: Vec<String>,
}

/// Why a run stopped. Every variant says where the database was left.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Guard(#[from] GuardError),
    /// An operation of the plan has no SQL on the database's dialect; found before anything
    /// runs.
    #[error(transparent)]
    Unrenderable(#[from] Box<ScriptError>),
    #[error("{step} failed in operation {op_index} ({op}) of {}: {source}", path.display())]
    Render {
        step: Box<StepLabel>,
        path: std::path::PathBuf,
        op_index: usize,
        op: String,
        source: RenderError,
    },
    #[error("{step} failed{}: {source}; the database stays at {}", failed_op.as_ref().map(|o| format!(" in {o}")).unwrap_or_default(), heads_text(at))]
    StepFailed {
        step: Box<StepLabel>,
        /// `operation N (description)`, when an operation failed rather than the version update.
        failed_op: Option<String>,
        source: DbError,
        /// The version rows left behind, read back after the rollback.
        at: Vec<String>,
    },
    /// A `transactional = false` revision, or a step with lock-safe forms outside its
    /// transaction, failed part-way: the operations committed before the failed one stay, and
    /// the version rows were not moved.
    #[error("{step} failed in {failed_op}: {source}; {} {}, so {} ran and {} applied{}, {}; the version table was not moved: it still says {}; undo {} by hand or make the revision's operations idempotent, then run it again, or do the rest by hand and record it with `rmig stamp {}`",
        step.revision,
        operations.why,
        operation_list(1, &operations.ran),
        if operations.ran.len() == 1 { "stays" } else { "stay" },
        if operations.rolled_back.is_empty() { String::new() } else { format!(" ({} rolled back with the failed one)", operation_list(operations.ran.len() + 1, &operations.rolled_back)) },
        if operations.not_run.is_empty() { "and no operation came after it".to_string() } else { format!("and {} did not run", operation_list(operations.ran.len() + operations.rolled_back.len() + 2, &operations.not_run)) },
        heads_text(at),
        operation_range(operations.ran.len()),
        if step.to.is_empty() { "base".to_string() } else { step.to.join(" ") })]
    PartlyApplied {
        step: Box<StepLabel>,
        /// `operation N (description)`.
        failed_op: String,
        source: Box<DbError>,
        operations: Box<SplitOperations>,
        /// The version rows, read back.
        at: Vec<String>,
    },
    /// The commit of one step, or of one transaction holding several, failed (a deferred
    /// constraint, checked at the commit or just before it): nothing of it was committed.
    #[error("{} failed at its commit: {}; {}", committed_steps(steps), server_message(source), match at { Some(at) => format!("the commit rolled back, so the database stays at {}", heads_text(at)), None => "the version rows could not be read back, so check where the database is with `rmig current`".to_string() })]
    CommitFailed {
        steps: Vec<StepLabel>,
        source: DbError,
        /// The version rows read back after the rollback; None when they could not be read.
        at: Option<Vec<String>>,
    },
    #[error("{step}: expected to match one row in {table} when {action}; {found} found, so the version table does not hold what rmig planned from; check it with `rmig current`")]
    VersionRows {
        step: Box<StepLabel>,
        table: String,
        action: String,
        found: u64,
    },
    #[error("{step} refused operation {op_index} ({op}) of {}: {mismatch}; correct existing_type, so that the guard judges the change the database will make", path.display())]
    ExistingType {
        step: Box<StepLabel>,
        path: std::path::PathBuf,
        op_index: usize,
        op: String,
        mismatch: String,
    },
    #[error("{step}: {} has no `downgrade` list and {source}", path.display())]
    NoDowngrade {
        step: Box<StepLabel>,
        path: std::path::PathBuf,
        source: IrreversibleOperation,
    },
    #[error("{} applied revision(s) were edited after they were applied, and --strict refuses to run: {}; restore the files or write a new revision", .0.len(), .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Edited(Vec<EditedRevision>),
    #[error("--strict finds edited revisions in rmig's audit table, which `history_table = false` in rmig.toml turns off; run without --strict or turn the history back on")]
    StrictWithoutHistory,
    #[error("the version table kept changing under this run (other processes migrating at the same time); run it again")]
    KeptChanging,
    #[error("the version table changed while this run waited (another process migrated); a relative target like '{0}' is not re-planned, so run it again")]
    MovedUnderRelativeTarget(String),
    /// A step kept timing out waiting for another session's lock, and the retries ran out.
    #[error("{last}; gave up after {attempts} attempts in {:.1} s, each rolled back after waiting lock_timeout for a lock another session holds; run again when the table is less busy, or raise lock_timeout, lock_retries or lock_retry_limit", elapsed.as_secs_f64())]
    LockRetriesExhausted {
        /// The last attempt's failure, with where the database was left.
        last: Box<ExecError>,
        attempts: u32,
        elapsed: Duration,
    },
}

/// `operation 1 (a)`, `operations 1 (a) and 2 (b)`, `operations 1 (a), 2 (b) and 3 (c)`,
/// numbered from `first`.
fn operation_list(first: usize, descriptions: &[String]) -> String {
    let items: Vec<String> = descriptions
        .iter()
        .enumerate()
        .map(|(i, description)| format!("{} ({description})", first + i))
        .collect();
    match items.as_slice() {
        [] => "no operation".to_string(),
        [one] => format!("operation {one}"),
        [init @ .., last] => format!("operations {} and {last}", init.join(", ")),
    }
}

/// `operation 1`, `operations 1-3`: the first `count` operations.
fn operation_range(count: usize) -> String {
    if count == 1 {
        "operation 1".to_string()
    } else {
        format!("operations 1-{count}")
    }
}

/// The step whose commit failed, or `the transaction of N steps (ids)`.
fn committed_steps(steps: &[StepLabel]) -> String {
    match steps {
        [one] => one.to_string(),
        many => format!(
            "the transaction of {} steps ({})",
            many.len(),
            many.iter()
                .map(|step| step.revision.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// What the database said, without the statement: at a commit the statement is rmig's own
/// (`COMMIT`, `SET CONSTRAINTS ALL IMMEDIATE`), which tells the reader nothing.
fn server_message(error: &DbError) -> String {
    match error {
        DbError::Statement { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// The operations of a step that failed part-way outside a transaction, as descriptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitOperations {
    /// Why the step is not all or nothing: `is not transactional`, or its lock-safe forms.
    pub why: &'static str,
    /// Those that ran and stay, from the first.
    pub ran: Vec<String>,
    /// Those between them and the failed one, rolled back with it.
    pub rolled_back: Vec<String>,
    /// Those after the failed one.
    pub not_run: Vec<String>,
}

fn heads_text(heads: &[String]) -> String {
    if heads.is_empty() {
        "base".to_string()
    } else {
        heads.join(", ")
    }
}

impl ExecError {
    /// The failure itself, under the retries that ran out before it.
    fn innermost_mut(&mut self) -> &mut ExecError {
        match self {
            ExecError::LockRetriesExhausted { last, .. } => last.innermost_mut(),
            other => other,
        }
    }

    /// The process exit status (docs/exit-codes.md).
    pub fn exit_code(&self) -> i32 {
        match self {
            ExecError::Guard(error) => error.exit_code(),
            ExecError::Plan(_)
            | ExecError::Unrenderable(_)
            | ExecError::Edited(_)
            | ExecError::StrictWithoutHistory
            | ExecError::ExistingType { .. }
            | ExecError::Db(DbError::ForeignTable { .. }) => crate::error::EXIT_BAD_INPUT,
            _ => crate::error::EXIT_FAILED,
        }
    }
}

/// The rows of the version table; none when it does not exist yet.
pub fn current_heads(
    backend: &mut dyn Backend,
    table: &VersionTable,
) -> Result<Vec<String>, DbError> {
    if !backend.has_table(table.schema.as_deref(), &table.name)? {
        return Ok(Vec::new());
    }
    backend.query_strings(&table.select_sql(backend.dialect()), &[])
}

/// Plans `upgrade`/`downgrade` to `target`, passes it through the guard, and runs it, all under
/// the run lock.
pub fn migrate(
    backend: &mut dyn Backend,
    map: &RevisionMap,
    direction: Direction,
    target: &str,
    options: &RunOptions,
    allowances: &Allowances,
    progress: &mut dyn Progress,
) -> Result<RunSummary, ExecError> {
    if options.strict && options.history.is_none() {
        return Err(ExecError::StrictWithoutHistory);
    }
    let span = tracing::info_span!(
        target: "rmig::exec",
        "rmig.migrate",
        direction = %direction,
        target = target,
        dialect = %backend.dialect(),
    );
    let _run = span.enter();
    with_lock(backend, options, |backend| {
        // Bad input (an unknown or ambiguous target, a version row no file declares) is
        // refused before anything is created: plan once from the rows as they are
        // (corpus: `postgres_unknown_target`, `args_unknown_current_row`).
        // So is an operation the database cannot run (`rename_index` on SQLite).
        let heads = current_heads(backend, &options.version_table)?;
        let plan = match direction {
            Direction::Upgrade => plan::upgrade(map, &heads, target)?,
            Direction::Downgrade => plan::downgrade(map, &heads, target)?,
        };
        offline::check_plan(map, &plan, backend.dialect()).map_err(Box::new)?;
        ensure_tables(backend, options)?;
        let mut summary = RunSummary::default();
        let mut retries = LockRetries::default();
        for attempt in 0..MAX_REPLANS {
            let heads = current_heads(backend, &options.version_table)?;
            if let (0, Some(history)) = (attempt, &options.history) {
                summary.edited = history.edited_revisions(backend, map, &heads)?;
                if options.strict && !summary.edited.is_empty() {
                    return Err(ExecError::Edited(summary.edited));
                }
            }
            let plan = match direction {
                Direction::Upgrade => plan::upgrade(map, &heads, target)?,
                Direction::Downgrade => plan::downgrade(map, &heads, target)?,
            };
            if attempt > 0 && plan::is_relative(target) && !plan.is_empty() {
                return Err(ExecError::MovedUnderRelativeTarget(target.to_string()));
            }
            // Told before the guard's verdict, so that a refused plan is in the log too.
            tracing::info!(
                target: "rmig::exec",
                attempt,
                steps = plan.steps.len(),
                start_heads = heads_text(&plan.start_heads).as_str(),
                target_heads = heads_text(&plan.end_heads).as_str(),
                "planned",
            );
            let checked = check_online(backend, map, plan, allowances)?;
            if attempt == 0 {
                progress.planned(checked.plan().steps.len());
            }
            // A step that timed out on a lock runs again from where the plan stopped, without
            // planning again: the steps before it are committed, and a relative target
            // (`+2`) still means what it meant.
            let mut from = 0;
            loop {
                let run = RunState {
                    from,
                    retries: &mut retries,
                };
                match run_checked(backend, map, &checked, run, options, progress, &mut summary)? {
                    Outcome::Done => {
                        summary.heads = current_heads(backend, &options.version_table)?;
                        return Ok(summary);
                    }
                    Outcome::RowsMoved => break,
                    Outcome::LockTimedOut {
                        position,
                        step,
                        reason,
                        pause,
                    } => {
                        tell_lock_retry(
                            progress,
                            &step,
                            &reason,
                            retries.done,
                            options.lock_retry.retries,
                            pause,
                        );
                        std::thread::sleep(pause);
                        from = position;
                    }
                }
            }
        }
        Err(ExecError::KeptChanging)
    })
}

/// Passes `plan` through the guard as it runs on `backend`: each transactional step's effects
/// are verified before its commit (PostgreSQL and SQLite run DDL in transactions; on MySQL
/// nothing is, and the guard refuses what it cannot judge before the run), and what
/// unconfirmed drops would destroy now is counted, so that a plan that would stop at one is
/// refused before anything runs.
pub fn check_online(
    backend: &mut dyn Backend,
    map: &RevisionMap,
    plan: Plan,
    allowances: &Allowances,
) -> Result<CheckedPlan, GuardError> {
    // MySQL/MariaDB commit DDL at once: nothing there can be verified before a commit, so
    // the guard judges every step before it runs, deny by default.
    let mode = CheckMode {
        dialect: Some(backend.dialect()),
        verifies: backend.dialect().transactional_ddl(),
    };
    let verdict =
        guard::check_reading(map, plan, allowances, mode, &mut BackendRows(&mut *backend))
            .map_err(|GuardError::Blocked(report)| {
                // Online, the report says how much each blocked operation would destroy.
                GuardError::Blocked(guard::with_row_counts(
                    report,
                    &mut BackendRows(&mut *backend),
                ))
            })
            .and_then(|checked| checked.refuse_if_counted(&mut BackendRows(backend)));
    match &verdict {
        Ok(checked) => tracing::info!(
            target: "rmig::guard",
            verdict = "passed",
            steps = checked.plan().steps.len(),
            confirmed = checked.confirmed_data_loss().len(),
            "guard passed",
        ),
        Err(GuardError::Blocked(report)) => trace_blocked(report),
    }
    verdict
}

/// The guard's refusal as a WARN event: how many findings and the objects they name.
fn trace_blocked(report: &GuardReport) {
    let mut objects: Vec<String> = Vec::new();
    for finding in &report.findings {
        let object = finding.object.to_string();
        if !objects.contains(&object) {
            objects.push(object);
        }
    }
    tracing::warn!(
        target: "rmig::guard",
        verdict = "blocked",
        stage = match report.stage {
            ReportStage::BeforeRun => "before_run",
            ReportStage::InStep => "in_step",
        },
        findings = report.findings.len(),
        objects = objects.join(", ").as_str(),
        "guard blocked",
    );
}

/// Moves the version rows to `targets` without running any revision (`stamp`).
pub fn stamp(
    backend: &mut dyn Backend,
    map: &RevisionMap,
    targets: &[String],
    purge: bool,
    options: &RunOptions,
) -> Result<Vec<String>, ExecError> {
    with_lock(backend, options, |backend| {
        // As in `migrate`: an unknown target is refused before any table is created.
        plan::stamp(
            map,
            &current_heads(backend, &options.version_table)?,
            targets,
            purge,
        )?;
        ensure_tables(backend, options)?;
        let table = &options.version_table;
        let dialect = backend.dialect();
        backend.begin()?;
        let result = (|| -> Result<(), ExecError> {
            let heads = current_heads(backend, table)?;
            let steps: Vec<StampStep> = plan::stamp(map, &heads, targets, purge)?;
            if purge {
                backend.execute(
                    &format!("DELETE FROM {}", table.qualified_name(backend.dialect())),
                    &[],
                )?;
            }
            for step in &steps {
                let label = StepLabel {
                    direction: if step.is_upgrade {
                        Direction::Upgrade
                    } else {
                        Direction::Downgrade
                    },
                    revision: step.to.join(", "),
                    from: step.from.clone(),
                    to: step.to.clone(),
                    message: None,
                };
                let mut script: Vec<String> = step
                    .version_changes
                    .iter()
                    .map(|change| table.change_sql_online(dialect, change))
                    .collect();
                if let Some(history) = &options.history {
                    script.extend(step.to.iter().map(|revision| {
                        let row = AuditRow {
                            revision: revision.clone(),
                            direction: "stamp",
                            checksum: map
                                .index_of(revision)
                                .and_then(|i| map.revision(i).checksum.clone()),
                            duration: Duration::ZERO,
                            failure: None,
                        };
                        history.record_sql(dialect, &row)
                    }));
                }
                let counts = backend.execute_script(&script)?;
                check_version_counts(table, dialect, &label, &step.version_changes, &counts)?;
            }
            Ok(())
        })();
        match result {
            Ok(()) => backend.commit()?,
            Err(error) => {
                backend.rollback()?;
                return Err(error);
            }
        }
        Ok(current_heads(backend, table)?)
    })
}

fn with_lock<T>(
    backend: &mut dyn Backend,
    options: &RunOptions,
    work: impl FnOnce(&mut dyn Backend) -> Result<T, ExecError>,
) -> Result<T, ExecError> {
    backend.lock(&options.version_table, options.lock_timeout)?;
    let result = work(backend);
    let unlocked = backend.unlock(&options.version_table);
    let value = result?;
    unlocked?;
    Ok(value)
}

/// Counts what a destructive operation would destroy, through the run's own connection (and
/// inside its transaction, when one is open, so earlier operations of the step count).
struct BackendRows<'a>(&'a mut dyn Backend);

impl guard::LiveTables for BackendRows<'_> {
    fn columns(&mut self, schema: Option<&str>, table: &str) -> Option<Vec<Column>> {
        // A table that cannot be read is one whose shape is unknown: the hint is only a hint.
        let live = self.0.table_columns(schema, table).ok()?;
        (!live.is_empty()).then(|| {
            live.into_iter()
                .map(|column| Column {
                    // SQLite's declared types read the same way: INTEGER, VARCHAR(20), TEXT.
                    type_: ColumnType::from_postgres_spelling(&column.type_name),
                    nullable: column.nullable,
                    server_default: column.default,
                    name: column.name,
                    primary_key: false,
                    unique: false,
                    autoincrement: None,
                    identity: None,
                    comment: None,
                    foreign_key: None,
                })
                .collect()
        })
    }

    fn triggered_tables(&mut self) -> Vec<String> {
        if self.0.dialect().transactional_ddl() {
            return Vec::new();
        }
        // information_schema is readable by every user; it lists the triggers of the tables
        // the user has the TRIGGER privilege on (docs/mysql.md says so).
        self.0
            .query_strings(
                "SELECT DISTINCT EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS \
                 WHERE EVENT_OBJECT_SCHEMA = DATABASE()",
                &[],
            )
            .unwrap_or_default()
    }
}

impl guard::RowCounter for BackendRows<'_> {
    fn count(
        &mut self,
        schema: Option<&str>,
        table: &str,
        columns: &[&str],
    ) -> Result<guard::TableCount, String> {
        let dialect = self.0.dialect();
        let mut select = vec!["count(*)".to_string()];
        select.extend(
            columns
                .iter()
                .map(|column| format!("count({})", dialect.quote_identifier(column))),
        );
        let sql = format!(
            "SELECT {} FROM {}",
            select.join(", "),
            dialect.qualified_name(schema, table)
        );
        let rows = self.0.query_rows(&sql).map_err(|e| e.to_string())?;
        let numbers: Vec<u64> = rows
            .first()
            .map(|row| {
                row.iter()
                    .map(|value| value.as_deref().and_then(|v| v.parse().ok()).unwrap_or(0))
                    .collect()
            })
            .unwrap_or_default();
        Ok(guard::TableCount {
            rows: numbers.first().copied().unwrap_or(0),
            non_null: numbers.get(1..).unwrap_or_default().to_vec(),
        })
    }
}

/// Creates the version table exactly as Alembic does, and rmig's audit table, when missing;
/// adds the columns an older rmig's audit table lacks.
fn ensure_tables(backend: &mut dyn Backend, options: &RunOptions) -> Result<(), DbError> {
    let table = &options.version_table;
    let history = options.history.as_ref();
    if backend.has_table(table.schema.as_deref(), &table.name)?
        && history.map_or(Ok(true), |history| history.is_current(backend))?
    {
        return Ok(());
    }
    in_transaction(backend, |backend| {
        create_version_table(backend, table)?;
        history.map_or(Ok(()), |history| history.ensure(backend))
    })
}

/// Creates the version table exactly as Alembic does when it is missing, and nothing else
/// (`ensure-version`, Alembic's `ensure_version`); returns whether it was missing.
pub fn ensure_version_table(
    backend: &mut dyn Backend,
    options: &RunOptions,
) -> Result<bool, ExecError> {
    with_lock(backend, options, |backend| {
        Ok(in_transaction(backend, |backend| {
            create_version_table(backend, &options.version_table)
        })?)
    })
}

/// `CREATE TABLE` of the version table unless it exists, checked inside the caller's
/// transaction: on SQLite only then is the write lock held. Returns whether it was created.
fn create_version_table(backend: &mut dyn Backend, table: &VersionTable) -> Result<bool, DbError> {
    if backend.has_table(table.schema.as_deref(), &table.name)? {
        return Ok(false);
    }
    backend.batch(&table.create_sql_online(backend.dialect()))?;
    Ok(true)
}

/// Runs `work` in a transaction: committed when it succeeds, rolled back when it fails.
fn in_transaction<T>(
    backend: &mut dyn Backend,
    work: impl FnOnce(&mut dyn Backend) -> Result<T, DbError>,
) -> Result<T, DbError> {
    backend.begin()?;
    match work(&mut *backend) {
        Ok(value) => {
            backend.commit()?;
            Ok(value)
        }
        Err(error) => {
            backend.rollback()?;
            Err(error)
        }
    }
}

enum Outcome {
    Done,
    /// The version rows were not what the plan started from: plan again.
    RowsMoved,
    /// The step at `position` gave up waiting for a lock and was rolled back whole; the
    /// steps before it are committed. Run the plan again from it after `pause`.
    LockTimedOut {
        position: usize,
        step: StepLabel,
        reason: String,
        pause: Duration,
    },
}

/// Where a run of a checked plan starts, and the retries spent so far.
struct RunState<'a> {
    /// The first step to run; the ones before it are applied.
    from: usize,
    retries: &'a mut LockRetries,
}

/// Runs a checked plan; stops at the first failure, leaving earlier steps committed (per
/// migration) or nothing (one transaction).
fn run_checked(
    backend: &mut dyn Backend,
    map: &RevisionMap,
    checked: &CheckedPlan,
    run: RunState<'_>,
    options: &RunOptions,
    progress: &mut dyn Progress,
    summary: &mut RunSummary,
) -> Result<Outcome, ExecError> {
    let plan: &Plan = checked.plan();
    let table = &options.version_table;
    let dialect = backend.dialect();
    let select_rows = table.select_sql(dialect);
    let single = options.transaction_mode == TransactionMode::Single;
    let mut rows = plan.start_heads.clone();
    for step in &plan.steps[..run.from] {
        apply_to_rows(&mut rows, &step.version_changes);
    }
    let mut in_transaction = false;
    let mut applied_in_transaction = Vec::new();

    // The version rows the next step checks, when this step's last round trip read them.
    let mut next_rows: Option<Vec<String>> = None;
    // Performance (issue 8): in one transaction, the steps' audit rows wait for the commit
    // and go in as one INSERT of many rows, rather than one INSERT per step: the same rows,
    // each stamped when its step ended, in the same transaction, in step order.
    let mut audit_rows: Vec<String> = Vec::new();
    let audit_table = options.history.as_ref();
    // Performance (issue 8): in one transaction, the steps do not read the version rows
    // each; the rows are read once, before the commit (with the audit rows' INSERT: one
    // round trip), and must be the rows the steps made. Every step's UPDATE or DELETE must
    // still match exactly one row, and the whole run rolls back when the final read differs,
    // so a writer that ignores rmig's lock (Alembic, a person) is caught as before: nothing
    // commits, and the run plans again from the rows it finds.
    let rows_before_commit = |backend: &mut dyn Backend, waiting: &mut Vec<String>| {
        // Rows wait only when there is an audit table.
        let script: Vec<String> = match audit_table {
            Some(audit_table) if !waiting.is_empty() => {
                vec![audit_table.record_many_sql(dialect, waiting)]
            }
            _ => Vec::new(),
        };
        waiting.clear();
        backend
            .execute_script_and_query(&script, &select_rows)
            .map(|(_, found)| found)
    };

    let own_tables: Vec<&str> = std::iter::once(options.version_table.name.as_str())
        .chain(audit_table.map(|history| history.name.as_str()))
        .collect();
    // For the audit rows of failed steps (issue 15): when each step started, and the step
    // under way, if any.
    let mut starts: Vec<(String, Instant)> = Vec::new();
    let mut unfinished: Option<StepLabel> = None;
    // The step under way, and whether a part of it is committed (a `transactional = false`
    // revision's operations), after which running it again is no longer safe.
    let mut position_under_way = run.from;
    let mut committed_part = false;
    // Lock-safe forms leave the step's transaction, so not in a run that is one transaction
    // (`--one-transaction`): that run stays all or nothing.
    let mut forms = RunForms::new(dialect, !single);
    // Whether a revision's step runs in a transaction: not a `transactional = false` one, and
    // none on MySQL/MariaDB, which commit around every DDL statement, so that a transaction
    // there would only pretend to hold the step together. There each operation stands on its
    // own, as in a `transactional = false` revision: a failure tells which ran, the audit
    // table keeps it, and the version row changes right after the last operation.
    let in_a_transaction = |revision: &crate::revision::Revision| {
        revision.transactional && dialect.transactional_ddl()
    };

    let result = (|| -> Result<Outcome, ExecError> {
        for (position, step) in plan.steps.iter().enumerate().skip(run.from) {
            position_under_way = position;
            committed_part = false;
            let label = StepLabel::of(map, step);
            let revision = map.revision(step.revision);
            let started = Instant::now();
            starts.push((label.revision.clone(), started));
            unfinished = Some(label.clone());
            // Entered for the step's own work; its failure is told by the run's error.
            let span = tracing::info_span!(
                target: "rmig::exec",
                "rmig.step",
                revision = label.revision.as_str(),
                direction = %label.direction,
                from = heads_text(&label.from).as_str(),
                to = heads_text(&label.to).as_str(),
            );
            let _step = span.enter();
            progress.step_started(&label);
            let transactional = in_a_transaction(revision);
            if !transactional && in_transaction {
                // Like Alembic's autocommit block: what ran before is committed first.
                let found = rows_before_commit(backend, &mut audit_rows)?;
                if rolled_back_if_moved(backend, found, &rows, &mut applied_in_transaction)? {
                    in_transaction = false;
                    return Ok(Outcome::RowsMoved);
                }
                backend
                    .commit()
                    .map_err(|source| commit_failed(&applied_in_transaction, source))?;
                in_transaction = false;
                summary.applied.append(&mut applied_in_transaction);
            }
            // In one transaction a step that continues it reads nothing (`rows_before_commit`).
            let found = if let Some(found) = next_rows.take() {
                Some(found)
            } else if in_transaction {
                None
            } else {
                in_transaction = true;
                Some(backend.begin_and_query(&select_rows)?)
            };
            if let Some(found) = found {
                if rolled_back_if_moved(backend, found, &rows, &mut applied_in_transaction)? {
                    in_transaction = false;
                    return Ok(Outcome::RowsMoved);
                }
            }
            if !transactional {
                backend.commit()?;
                in_transaction = false;
            }
            let listed = step_operations(map, step, &label)?;
            let operations: Vec<(usize, &Operation)> = running_on(&listed, Some(dialect)).collect();
            if let (false, Some(audit_table)) = (transactional, audit_table) {
                let mut warn = |message: String| {
                    tell_warning(progress, &message);
                    summary.warnings.push(message);
                };
                match audit_table.partial_attempt(backend, &revision.id) {
                    Ok(Some(attempt)) => warn(partial_attempt_warning(
                        &label,
                        &operations,
                        &attempt,
                        &audit_table.qualified_name(dialect),
                    )),
                    Ok(None) => {}
                    Err(error) => warn(format!(
                        "cannot read the earlier attempts of {} from {}: {error}",
                        revision.id,
                        audit_table.qualified_name(dialect)
                    )),
                }
            }
            let verification = Verification {
                guard: checked.step_guard(position),
                own_tables: &own_tables,
            };
            let mut phased = Vec::with_capacity(operations.len());
            for (index, scoped) in listed.iter().enumerate() {
                let Some(phases) = forms.next(scoped) else {
                    continue;
                };
                let phases = phases.map_err(|source| ExecError::Render {
                    step: Box::new(label.clone()),
                    path: revision.path.clone(),
                    op_index: index + 1,
                    op: scoped.op.describe(),
                    source,
                })?;
                phased.push((index, &scoped.op, phases));
            }
            let mut step_run = StepRun {
                in_transaction,
                transactional,
                commits_each_statement: !dialect.transactional_ddl(),
                committed: 0,
                retry: options.lock_retry,
                progress: &mut *progress,
            };
            let ran = run_operations(
                backend,
                map,
                step,
                &label,
                &phased,
                &mut step_run,
                &verification,
            );
            in_transaction = step_run.in_transaction;
            // Where each statement commits (MySQL), a failure before any did is a StepFailed
            // (nothing stays), so the step may run again; elsewhere a step outside a
            // transaction may have left part of a script behind.
            committed_part =
                step_run.committed > 0 || (!transactional && dialect.transactional_ddl());
            ran?;
            if !in_transaction {
                backend.begin()?;
                in_transaction = true;
            }
            // The version rows and the audit row (in one transaction: kept for the commit,
            // see `audit_rows`) go in one script: one round trip on PostgreSQL. Their values
            // are validated ids and hex, quoted anyway.
            let mut script: Vec<String> = step
                .version_changes
                .iter()
                .map(|change| table.change_sql_online(dialect, change))
                .collect();
            let audit = AuditRow {
                revision: revision.id.clone(),
                direction: direction_name(step.direction),
                checksum: revision.checksum.clone(),
                duration: started.elapsed(),
                failure: None,
            };
            // Performance (issue 8): in a transaction per step, a step's commit also reads
            // the version rows the next step checks, as `COMMIT; BEGIN; SELECT`, which is
            // how the next step would start anyway. A step without operations then costs one
            // round trip in one transaction and two in a transaction per step (three and
            // three before).
            let next_in_transaction = plan
                .steps
                .get(position + 1)
                .is_some_and(|next| in_a_transaction(map.revision(next.revision)));
            let commit = !single || !transactional;
            match audit_table {
                Some(audit_table) if commit => script.push(audit_table.record_sql(dialect, &audit)),
                Some(audit_table) => audit_rows.push(audit_table.record_values(dialect, &audit)),
                None => {}
            }
            // The counts are checked before the commit: a version row that does not match
            // what the plan expects fails the step whole, its operations included.
            let counts = backend.execute_script(&script)?;
            check_version_counts(table, dialect, &label, &step.version_changes, &counts)?;
            apply_to_rows(&mut rows, &step.version_changes);
            if commit {
                let failed = |source| commit_failed(std::slice::from_ref(&label), source);
                if next_in_transaction {
                    // Committed, and the next step's transaction is open.
                    next_rows = Some(
                        backend
                            .commit_and_begin_query(&select_rows)
                            .map_err(failed)?,
                    );
                } else {
                    backend.commit().map_err(failed)?;
                    in_transaction = false;
                }
                summary.applied.push(label.clone());
            } else {
                applied_in_transaction.push(label.clone());
            }
            let elapsed = started.elapsed();
            tracing::info!(
                target: "rmig::exec",
                elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
                "step finished",
            );
            progress.step_finished(&label, elapsed);
            unfinished = None;
        }
        if in_transaction {
            let found = rows_before_commit(backend, &mut audit_rows)?;
            if rolled_back_if_moved(backend, found, &rows, &mut applied_in_transaction)? {
                in_transaction = false;
                return Ok(Outcome::RowsMoved);
            }
            backend
                .commit()
                .map_err(|source| commit_failed(&applied_in_transaction, source))?;
            in_transaction = false;
            summary.applied.append(&mut applied_in_transaction);
        }
        Ok(Outcome::Done)
    })();

    match result {
        Ok(outcome) => Ok(outcome),
        Err(mut error) => {
            // When the connection is gone (the server dropped it, the network failed), the
            // ROLLBACK and the read-back fail too, and must not replace why the step failed;
            // the server rolls back what a lost session had not committed, so the rows are
            // those of the last committed step (fault test: `connection_dropped_mid_step`).
            if in_transaction {
                let _ = backend.rollback();
            }
            // A step that timed out on a lock left nothing behind: run it again, unless the
            // retries are spent (then the error says so).
            // The statement and the database's message: the step is told beside it.
            let timed_out = match (&unfinished, committed_part, lock_timeout_in(&error)) {
                (Some(step), false, Some(source)) => Some((step.clone(), source.to_string())),
                _ => None,
            };
            if let Some((step, reason)) = &timed_out {
                let retries = &mut *run.retries;
                if retries.revision.as_deref() != Some(step.revision.as_str()) {
                    *retries = LockRetries {
                        revision: Some(step.revision.clone()),
                        started: starts.last().map(|(_, started)| *started),
                        done: 0,
                    };
                }
                let elapsed = retries.started.map_or(Duration::ZERO, |s| s.elapsed());
                if let Some(pause) =
                    options
                        .lock_retry
                        .pause(retries.done + 1, elapsed, fastrand::f64())
                {
                    retries.done += 1;
                    return Ok(Outcome::LockTimedOut {
                        position: position_under_way,
                        step: step.clone(),
                        reason: reason.clone(),
                        pause,
                    });
                }
            }
            let read_back = current_heads(backend, table);
            let connected = read_back.is_ok();
            match error.innermost_mut() {
                ExecError::StepFailed { at, .. } | ExecError::PartlyApplied { at, .. } => {
                    *at = match read_back {
                        Ok(heads) => heads,
                        Err(_) if single => plan.start_heads.clone(),
                        Err(_) => rows,
                    };
                }
                ExecError::CommitFailed { at, .. } => *at = read_back.ok(),
                _ => {}
            }
            if let (Some(_), true) = (&timed_out, run.retries.done > 0) {
                let elapsed = run.retries.started.map_or(Duration::ZERO, |s| s.elapsed());
                error = ExecError::LockRetriesExhausted {
                    last: Box::new(error),
                    attempts: run.retries.done + 1,
                    elapsed,
                };
            }
            // Every failed step gets its audit row (issue 15), written after the rollback in
            // a transaction of its own. Not when the version rows could not even be read: the
            // connection is gone, and the error already says so.
            let failed: Vec<(StepLabel, usize)> = match error.innermost_mut() {
                ExecError::CommitFailed { steps, .. } => {
                    steps.iter().map(|step| (step.clone(), 0)).collect()
                }
                ExecError::PartlyApplied {
                    step, operations, ..
                } => vec![((**step).clone(), operations.ran.len())],
                _ => unfinished.into_iter().map(|step| (step, 0)).collect(),
            };
            if let (true, false, Some(audit_table)) = (connected, failed.is_empty(), audit_table) {
                let text = error.to_string();
                let audit: Vec<AuditRow> = failed
                    .iter()
                    .map(|(step, operations_applied)| AuditRow {
                        revision: step.revision.clone(),
                        direction: direction_name(step.direction),
                        checksum: None,
                        duration: starts
                            .iter()
                            .find(|(revision, _)| *revision == step.revision)
                            .map_or(Duration::ZERO, |(_, started)| started.elapsed()),
                        failure: Some(Failure {
                            error: text.clone(),
                            operations_applied: *operations_applied,
                        }),
                    })
                    .collect();
                if let Err(write) = audit_table.record_failures(backend, &audit) {
                    tell_warning(
                        progress,
                        &format!(
                            "the failed attempt of {} could not be recorded in {}: {write}",
                            failed
                                .iter()
                                .map(|(step, _)| step.revision.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                            audit_table.qualified_name(dialect)
                        ),
                    );
                }
            }
            Err(error)
        }
    }
}

/// Tells [`Progress::warning`] and the `tracing` subscriber a warning of the run.
fn tell_warning(progress: &mut dyn Progress, message: &str) {
    tracing::warn!(target: "rmig::exec", text = message, "warning");
    progress.warning(message);
}

/// Tells [`Progress::lock_retry`] and the `tracing` subscriber that `step` runs again.
fn tell_lock_retry(
    progress: &mut dyn Progress,
    step: &StepLabel,
    reason: &str,
    retry: u32,
    of: u32,
    pause: Duration,
) {
    tracing::warn!(
        target: "rmig::exec::retry",
        revision = step.revision.as_str(),
        retry,
        of,
        pause_ms = u64::try_from(pause.as_millis()).unwrap_or(u64::MAX),
        reason,
        "lock retry",
    );
    progress.lock_retry(step, reason, retry, of, pause);
}

/// Whether a step's failure is a statement that gave up waiting for a lock: nothing of the
/// step stays, so it may run again.
fn lock_timeout_in(error: &ExecError) -> Option<&DbError> {
    match error {
        ExecError::Db(source) | ExecError::StepFailed { source, .. } => {
            Some(source).filter(|source| source.is_lock_timeout())
        }
        _ => None,
    }
}

/// The direction as the audit table spells it.
fn direction_name(direction: Direction) -> &'static str {
    match direction {
        Direction::Upgrade => "upgrade",
        Direction::Downgrade => "downgrade",
    }
}

/// The commit of `steps` failed; where that left the database is read back afterwards.
fn commit_failed(steps: &[StepLabel], source: DbError) -> ExecError {
    ExecError::CommitFailed {
        steps: steps.to_vec(),
        source,
        at: None,
    }
}

/// Told before a non-transactional step runs again whose earlier attempt left operations
/// applied (from its audit row).
fn partial_attempt_warning(
    label: &StepLabel,
    operations: &[(usize, &Operation)],
    attempt: &history::PartialAttempt,
    table: &str,
) -> String {
    let count = attempt.operations_applied;
    let same_way = attempt.direction == direction_name(label.direction);
    let ran = match operations.get(..count) {
        Some(ran) if same_way => operation_list(
            1,
            &ran.iter().map(|(_, op)| op.describe()).collect::<Vec<_>>(),
        ),
        _ => operation_range(count),
    };
    format!(
        "an earlier {} of {} failed after {ran} ran outside a transaction and stayed applied \
         (recorded in {table}); running it again runs them again: undo them or make them \
         idempotent first, or do the rest by hand and record it with `rmig stamp {}`",
        attempt.direction,
        label.revision,
        if label.to.is_empty() {
            "base".to_string()
        } else {
            label.to.join(" ")
        }
    )
}

/// Rolls the open transaction back when the version rows `found` are not `expected` (another
/// writer moved them), forgetting the steps it held; the caller then plans again.
fn rolled_back_if_moved(
    backend: &mut dyn Backend,
    found: Vec<String>,
    expected: &[String],
    applied_in_transaction: &mut Vec<StepLabel>,
) -> Result<bool, DbError> {
    if same_rows(found, expected) {
        return Ok(false);
    }
    backend.rollback()?;
    applied_in_transaction.clear();
    Ok(true)
}

/// The operations a step's list holds (the upgrade list, or the downgrade list as written or
/// derived), for every dialect: [`running_on`] picks those the database runs.
fn step_operations<'m>(
    map: &'m RevisionMap,
    step: &Step,
    label: &StepLabel,
) -> Result<Cow<'m, [ScopedOperation]>, ExecError> {
    let revision = map.revision(step.revision);
    match step.direction {
        Direction::Upgrade => Ok(Cow::Borrowed(&revision.upgrade)),
        Direction::Downgrade => revision
            .downgrade_ops()
            .map_err(|source| ExecError::NoDowngrade {
                step: Box::new(label.clone()),
                path: revision.path.clone(),
                source,
            }),
    }
}

/// The savepoint each verified operation starts at.
const VERIFY_SAVEPOINT: &str = "rmig_verify";

/// What the guard checks inside one step, and the tables it leaves alone.
struct Verification<'a> {
    guard: &'a StepGuard,
    /// The version and history tables, whose rows every step changes.
    own_tables: &'a [&'a str],
}

impl Verification<'_> {
    /// Counts, in the step's transaction just before operation `index`, what its unconfirmed
    /// drops would destroy: anything refuses the step; what held nothing may go.
    fn count_before(
        &self,
        backend: &mut dyn Backend,
        index: usize,
        counted_empty: &mut Vec<DataObject>,
    ) -> Result<(), ExecError> {
        let deferred = self.guard.deferred_at(index);
        if deferred.is_empty() {
            return Ok(());
        }
        let counted = guard::count_findings(deferred, &mut BackendRows(backend));
        let (empty, lossy): (Vec<Finding>, Vec<Finding>) = counted
            .into_iter()
            .partition(|finding| finding.rows == RowCount::Counted { count: 0 });
        if !lossy.is_empty() {
            return Err(blocked_in_step(lossy));
        }
        counted_empty.extend(empty.into_iter().map(|finding| finding.object));
        Ok(())
    }

    /// Marks where the next operation starts, so that what it destroyed can be counted after
    /// it ran (the mark of the operation before is released: subtransactions stay few).
    fn mark_before(&self, backend: &mut dyn Backend, marked: &mut bool) -> Result<(), DbError> {
        let mark = format!("SAVEPOINT {VERIFY_SAVEPOINT}");
        if *marked {
            backend.batch(&format!("RELEASE SAVEPOINT {VERIFY_SAVEPOINT}; {mark}"))
        } else {
            *marked = true;
            backend.batch(&mark)
        }
    }

    /// Checks what operation `index` did against what was confirmed. When it destroyed
    /// something unconfirmed, the operation is undone to its mark and what it destroyed is
    /// counted as it was (a dropped table's rows, a dropped column's values), for the report;
    /// the caller then rolls the step back.
    fn check_after(
        &self,
        backend: &mut dyn Backend,
        index: usize,
        op: &Operation,
        counted_empty: &[DataObject],
    ) -> Result<(), ExecError> {
        let observed = backend.observed_effects()?;
        let findings = self.guard.judge(index, op, &observed, counted_empty);
        if findings.is_empty() {
            return Ok(());
        }
        backend.batch(&format!("ROLLBACK TO SAVEPOINT {VERIFY_SAVEPOINT}"))?;
        let (counted, uncounted): (Vec<Finding>, Vec<Finding>) = findings
            .into_iter()
            .partition(|finding| finding.rows != RowCount::NotCounted);
        let mut findings = counted;
        findings.extend(guard::count_findings(uncounted, &mut BackendRows(backend)));
        findings.sort_by_key(|finding| finding.object.to_string());
        Err(blocked_in_step(findings))
    }
}

/// The `existing_type` an `alter_column` declares against the column's real type, read in the
/// step's transaction: a revision that says `integer` for a `numeric(10,2)` column would have
/// the guard judge the wrong change. Err names the column and both types.
fn check_existing_type(
    backend: &mut dyn Backend,
    guard: &StepGuard,
    alter: &crate::ops::AlterColumn,
) -> Result<(), String> {
    let (Some(declared), Some(_)) = (&alter.existing_type, &alter.type_) else {
        return Ok(());
    };
    // A column the catalog does not show (yet) is left to the operation, which fails on it.
    let actual = backend
        .table_columns(alter.schema.as_deref(), &alter.table_name)
        .ok()
        .and_then(|columns| {
            columns
                .into_iter()
                .find(|column| column.name == alter.column_name)
        })
        .map(|column| column.type_name);
    match actual {
        Some(actual) if guard.existing_type_disagrees(declared, &actual) => Err(format!(
            "its existing_type is {declared}, but {}.{} is {actual} in the database",
            alter.table_name, alter.column_name
        )),
        _ => Ok(()),
    }
}

fn blocked_in_step(findings: Vec<Finding>) -> ExecError {
    let report = GuardReport {
        findings,
        unused_allowances: Vec::new(),
        stage: ReportStage::InStep,
    };
    trace_blocked(&report);
    ExecError::Guard(GuardError::Blocked(report))
}

/// How a step's operations run: inside its transaction or not, and how a lock-safe phase
/// outside it is retried when it times out on a lock.
struct StepRun<'a> {
    /// Whether the step's transaction is open.
    in_transaction: bool,
    /// Whether the step runs in a transaction at all (`transactional = false` revisions not,
    /// nor any on MySQL/MariaDB).
    transactional: bool,
    /// The database commits each DDL statement as it runs (MySQL/MariaDB).
    commits_each_statement: bool,
    /// How many operations, from the first, are committed for good: their effects stay when
    /// a later one fails.
    committed: usize,
    retry: LockRetryPolicy,
    progress: &'a mut dyn Progress,
}

fn run_operations(
    backend: &mut dyn Backend,
    map: &RevisionMap,
    step: &Step,
    label: &StepLabel,
    operations: &[(usize, &Operation, Vec<Phase>)],
    run: &mut StepRun,
    verification: &Verification,
) -> Result<(), ExecError> {
    let mut counted_empty = Vec::new();
    let mut marked = false;
    let mut last_verified = None;
    for (position, (index, op, phases)) in operations.iter().enumerate() {
        let (index, op) = (*index, *op);
        // After a phase outside the step's transaction, the next operation starts a new one.
        if run.transactional && !run.in_transaction {
            backend.begin()?;
            run.in_transaction = true;
        }
        // Watched from the start of the first verified step, before its first operation,
        // so that what the run creates is never taken for data from before it.
        if verification.guard.verified {
            backend.watch_effects(verification.own_tables)?;
        }
        let verified = verification.guard.verified
            && (guard::needs_verification(op) || backend.watches_every_operation());
        if verification.guard.verified {
            verification.count_before(backend, index, &mut counted_empty)?;
        }
        // Where nothing is verified after the fact (MySQL), the declared type is all the
        // guard judged a type change by: it is checked against the column all the same.
        if verification.guard.verified || run.commits_each_statement {
            if let Operation::AlterColumn(alter) = op {
                check_existing_type(backend, verification.guard, alter).map_err(|mismatch| {
                    ExecError::ExistingType {
                        step: Box::new(label.clone()),
                        path: map.revision(step.revision).path.clone(),
                        op_index: index + 1,
                        op: op.describe(),
                        mismatch,
                    }
                })?;
            }
        }
        if verified {
            verification.mark_before(backend, &mut marked)?;
        }
        // The statements of this operation that ran, where each commits as it runs (MySQL).
        let mut statements_ran = 0;
        for phase in phases {
            if phase.mode != PhaseMode::Step && run.in_transaction {
                // What ran before in the step's transaction is committed for good here: its
                // deferred triggers run now, and the guard takes its last look first.
                finish_verified(
                    backend,
                    label,
                    verification,
                    &mut last_verified,
                    &counted_empty,
                )?;
                backend
                    .commit()
                    .map_err(|source| commit_failed(std::slice::from_ref(label), source))?;
                run.in_transaction = false;
                run.committed = position;
                // The guard's savepoint went with the transaction.
                marked = false;
            }
            match run_phase(backend, phase, run, label) {
                Ok(ran) => statements_ran += ran,
                Err(failure) => {
                    if run.in_transaction {
                        // A failed ROLLBACK (the connection is gone) must not hide the step's
                        // error.
                        let _ = backend.rollback();
                        run.in_transaction = false;
                    }
                    let failed = OperationFailure {
                        position,
                        statements_ran: statements_ran + failure.statements_ran,
                        source: failure.source,
                    };
                    let failed = operation_failed(label, operations, failed, run);
                    return Err(match failure.retries {
                        0 => failed,
                        retries => ExecError::LockRetriesExhausted {
                            last: Box::new(failed),
                            attempts: retries + 1,
                            elapsed: failure.elapsed,
                        },
                    });
                }
            }
        }
        if !run.transactional {
            run.committed = position + 1;
        }
        if verified {
            verification.check_after(backend, index, op, &counted_empty)?;
            last_verified = Some((index, op));
        }
    }
    finish_verified(
        backend,
        label,
        verification,
        &mut last_verified,
        &counted_empty,
    )
}

/// Deferred triggers would run at the commit, after the last look: run them now and look
/// again, charging what they do to the last watched operation since the last commit.
fn finish_verified(
    backend: &mut dyn Backend,
    label: &StepLabel,
    verification: &Verification,
    last_verified: &mut Option<(usize, &Operation)>,
    counted_empty: &[DataObject],
) -> Result<(), ExecError> {
    if let Some((index, op)) = last_verified.take() {
        // What fails here would fail the commit: it is told as the step's commit failing.
        backend
            .run_deferred()
            .map_err(|source| ExecError::CommitFailed {
                steps: vec![label.clone()],
                source,
                at: None,
            })?;
        verification.check_after(backend, index, op, counted_empty)?;
    }
    Ok(())
}

/// Runs one phase of an operation where its mode says. A phase outside the step's
/// transaction that times out on a lock left nothing behind but, for a concurrent index
/// build, an invalid index, which is dropped before each attempt: it runs again after a
/// pause, as a step does (src/exec/retry.rs). Returns how many statements ran.
fn run_phase(
    backend: &mut dyn Backend,
    phase: &Phase,
    run: &mut StepRun,
    label: &StepLabel,
) -> Result<usize, PhaseFailure> {
    let once = |source| PhaseFailure {
        source,
        statements_ran: 0,
        retries: 0,
        elapsed: Duration::ZERO,
    };
    if phase.mode == PhaseMode::Step {
        if run.transactional && !run.in_transaction {
            backend.begin().map_err(once)?;
            run.in_transaction = true;
        }
        return execute_statements(backend, &phase.statements, run.commits_each_statement).map_err(
            |failure| PhaseFailure {
                statements_ran: failure.ran,
                ..once(failure.source)
            },
        );
    }
    let own_transaction = phase.mode == PhaseMode::OwnTransaction;
    let started = Instant::now();
    let mut retries = 0;
    loop {
        if let Some(index) = &phase.builds_index {
            drop_invalid_index(backend, index).map_err(once)?;
        }
        // Lock-safe forms are PostgreSQL's: their statements run whole or not at all.
        let result = if own_transaction {
            in_transaction(backend, |backend| {
                execute_statements(backend, &phase.statements, false)
                    .map_err(|failure| failure.source)
            })
        } else {
            execute_statements(backend, &phase.statements, false).map_err(|failure| failure.source)
        };
        match result {
            Err(error) if error.is_lock_timeout() => {
                retries += 1;
                let Some(pause) = run.retry.pause(retries, started.elapsed(), fastrand::f64())
                else {
                    return Err(PhaseFailure {
                        source: error,
                        statements_ran: 0,
                        retries: retries - 1,
                        elapsed: started.elapsed(),
                    });
                };
                tell_lock_retry(
                    &mut *run.progress,
                    label,
                    &error.to_string(),
                    retries,
                    run.retry.retries,
                    pause,
                );
                std::thread::sleep(pause);
            }
            other => return other.map_err(once),
        }
    }
}

/// A phase's failure, after the retries it took.
struct PhaseFailure {
    source: DbError,
    /// The statements before the failed one, which stay where each commits as it runs.
    statements_ran: usize,
    retries: u32,
    elapsed: Duration,
}

/// Drops `index` when a failed `CREATE INDEX CONCURRENTLY` left it invalid, so the build can
/// run again; a valid index of that name is left alone (the build then fails on it).
fn drop_invalid_index(backend: &mut dyn Backend, index: &IndexName) -> Result<(), DbError> {
    let invalid = backend.query_strings(
        "SELECT c.relname::text FROM pg_catalog.pg_index i \
         JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relname = $1 AND n.nspname = coalesce($2, current_schema()) AND NOT i.indisvalid",
        &[
            ScalarValue::String(index.name.clone()),
            index
                .schema
                .clone()
                .map_or(ScalarValue::Null, ScalarValue::String),
        ],
    )?;
    if invalid.is_empty() {
        return Ok(());
    }
    backend.execute_one(&Phase::drop_invalid_index_sql(index))
}

/// Runs statements one by one, as rendered; returns how many ran. Where each statement
/// commits as it runs (`one_by_one`, MySQL), a script is split into its statements too, so
/// that a failure can tell how many ran before it.
fn execute_statements(
    backend: &mut dyn Backend,
    statements: &[Statement],
    one_by_one: bool,
) -> Result<usize, StatementFailure> {
    let mut units: Vec<Cow<'_, Statement>> = Vec::with_capacity(statements.len());
    for statement in statements {
        match statement {
            Statement::Script(sql) if one_by_one => {
                let dialect = sql_text::parser_dialect(backend.dialect());
                // Text the tokenizer cannot read goes to the database whole, which says why.
                match sql_text::split_statements(sql, dialect) {
                    Some(pieces) => units.extend(
                        pieces
                            .into_iter()
                            .filter(|piece| !piece.trim().is_empty())
                            .map(|piece| Cow::Owned(Statement::Script(piece))),
                    ),
                    None => units.push(Cow::Borrowed(statement)),
                }
            }
            _ => units.push(Cow::Borrowed(statement)),
        }
    }
    for (ran, unit) in units.iter().enumerate() {
        match unit.as_ref() {
            Statement::Sql(sql) => backend.execute_one(sql),
            Statement::Script(sql) => backend.batch(sql),
            Statement::Bound { sql, params } => backend.execute(sql, params).map(|_| ()),
            Statement::RecreateTable {
                table,
                schema,
                change,
            } => batch::recreate_table(backend, schema.as_deref(), table, change),
        }
        .map_err(|source| StatementFailure { ran, source })?;
    }
    Ok(units.len())
}

/// A statement that failed, after the ones before it ran.
struct StatementFailure {
    ran: usize,
    source: DbError,
}

/// Where an operation failed: its place in the step's list, the statements of it that ran
/// before the failed one, and why.
struct OperationFailure {
    position: usize,
    statements_ran: usize,
    source: DbError,
}

/// The error of the operation at `position` failing: the step failed whole when nothing of
/// it is committed, else part of it stays and the error says which.
fn operation_failed(
    label: &StepLabel,
    operations: &[(usize, &Operation, Vec<Phase>)],
    failure: OperationFailure,
    run: &StepRun,
) -> ExecError {
    let OperationFailure {
        position,
        statements_ran,
        source,
    } = failure;
    let (index, op, _) = &operations[position];
    let mut failed_op = format!("operation {} ({})", index + 1, op.describe());
    // Where each statement commits, the statements of the failed operation before the one
    // that failed stay too.
    let statements_stay = run.commits_each_statement && statements_ran > 0;
    if statements_stay {
        failed_op.push_str(&format!(
            " at its statement {}, after {} before it ran and stay{}",
            statements_ran + 1,
            match statements_ran {
                1 => "the one".to_string(),
                n => format!("the {n}"),
            },
            if statements_ran == 1 { "s" } else { "" }
        ));
    }
    if run.committed == 0 && !statements_stay {
        return ExecError::StepFailed {
            step: Box::new(label.clone()),
            failed_op: Some(failed_op),
            source,
            at: Vec::new(),
        };
    }
    let describe = |ops: &[(usize, &Operation, Vec<Phase>)]| {
        ops.iter().map(|(_, op, _)| op.describe()).collect()
    };
    ExecError::PartlyApplied {
        step: Box::new(label.clone()),
        failed_op,
        source: Box::new(source),
        operations: Box::new(SplitOperations {
            why: match (run.transactional, run.commits_each_statement) {
                (true, _) => "runs lock-safe forms outside its transaction",
                (false, false) => "is not transactional",
                (false, true) => "ran on MySQL/MariaDB, which commit each statement as it runs",
            },
            ran: describe(&operations[..run.committed]),
            rolled_back: describe(&operations[run.committed..position]),
            not_run: describe(&operations[position + 1..]),
        }),
        at: Vec::new(),
    }
}

/// Whether the version rows read are `expected`, as sets.
fn same_rows(mut found: Vec<String>, expected: &[String]) -> bool {
    let mut expected = expected.to_vec();
    found.sort();
    expected.sort();
    found == expected
}

/// Alembic's check that each UPDATE and DELETE of a version row changed exactly one row.
fn check_version_counts(
    table: &VersionTable,
    dialect: crate::dialect::Dialect,
    label: &StepLabel,
    changes: &[VersionChange],
    counts: &[u64],
) -> Result<(), ExecError> {
    for (change, &found) in changes.iter().zip(counts) {
        if change.expects_one_row() && found != 1 {
            let action = match change {
                VersionChange::Update { from, to } => format!("updating '{from}' to '{to}'"),
                VersionChange::Delete { version } => format!("deleting '{version}'"),
                VersionChange::Insert { version } => format!("inserting '{version}'"),
            };
            return Err(ExecError::VersionRows {
                step: Box::new(label.clone()),
                table: table.qualified_name(dialect),
                action,
                found,
            });
        }
    }
    Ok(())
}

fn apply_to_rows(rows: &mut Vec<String>, changes: &[VersionChange]) {
    for change in changes {
        match change {
            VersionChange::Insert { version } => rows.push(version.clone()),
            VersionChange::Delete { version } => rows.retain(|r| r != version),
            VersionChange::Update { from, to } => {
                if let Some(row) = rows.iter_mut().find(|r| *r == from) {
                    *row = to.clone();
                }
            }
        }
    }
}
