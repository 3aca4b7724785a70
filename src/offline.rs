//! Offline mode (`--sql`): a plan rendered as the SQL script Alembic would print, touching no
//! database. Pure: the caller writes the text where it wants it.
//!
//! Each operation prints the statements online mode runs (`ops::sql::render`), bound values
//! inlined as literals; a downgrade is the written one or the one derived from the upgrade.
//! On PostgreSQL each statement of an operation comes after a `-- lock:` comment saying the
//! lock it takes and what it does to the table (`locks`); the version table's statements,
//! Alembic's own, come without one.
//! [`check_plan`] renders a plan the same way without printing it, so that online a plan with
//! an operation the database cannot run is refused before it starts.

use std::fmt::Write;
use std::path::PathBuf;

use crate::dialect::Dialect;
use crate::graph::RevisionMap;
use crate::locks::{LockReader, StatementLocks};
use crate::ops::online::{Phase, PhaseMode, RunForms};
use crate::ops::reverse::IrreversibleOperation;
use crate::ops::sql::RenderError;
use crate::ops::Operation;
use crate::plan::{Direction, Plan, StampStep, Step, VersionChange};
use crate::revision::Revision;
use crate::version_table::VersionTable;

/// Why a script cannot be printed; names the revision file and the operation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScriptError {
    #[error("{}: revision '{revision}', {direction} operation {position}: {source}", path.display())]
    Render {
        path: PathBuf,
        revision: String,
        direction: Direction,
        /// 1-based position in the list that runs.
        position: usize,
        source: RenderError,
    },
    #[error("{}: revision '{revision}' has no `downgrade` and rmig cannot derive one: {source}; write its `downgrade` list", path.display())]
    NoDowngrade {
        path: PathBuf,
        revision: String,
        source: IrreversibleOperation,
    },
}

/// How the script is laid out.
#[derive(Debug, Clone)]
pub struct ScriptOptions {
    pub dialect: Dialect,
    pub version_table: VersionTable,
    /// One BEGIN/COMMIT per step (rmig's default) instead of one around the whole script.
    pub transaction_per_migration: bool,
}

/// One step of a script: Alembic's `-- Running <kind> <from> -> <to>` comment, the step's own
/// SQL, and its version-table changes.
struct ScriptStep<'a> {
    kind: &'static str,
    from: String,
    to: String,
    body: String,
    version_changes: &'a [VersionChange],
}

/// The whole script for `plan`, or the first operation that cannot be printed.
pub fn render_script(
    map: &RevisionMap,
    plan: &Plan,
    options: &ScriptOptions,
) -> Result<String, ScriptError> {
    // The tables the script creates before an operation keep its plain form there, and one
    // reader reads all its statements: a table an earlier step creates is new to later ones.
    // A script that is one transaction keeps every plain form, as such a run does.
    let mut forms = Forms::new(options.dialect, options.transaction_per_migration);
    let mut locks = LockReader::for_dialect(options.dialect);
    let bodies = plan
        .steps
        .iter()
        .map(|step| render_operations(map, step, &mut forms, locks.as_mut()))
        .collect::<Result<Vec<String>, ScriptError>>()?;
    let steps = plan.steps.iter().zip(bodies).map(|(step, body)| {
        let parents: Vec<&str> = map
            .down_revisions(step.revision)
            .iter()
            .map(|&d| map.id(d))
            .collect();
        let id = map.id(step.revision).to_string();
        let (kind, from, to) = match step.direction {
            Direction::Upgrade => ("upgrade", parents.join(", "), id),
            Direction::Downgrade => ("downgrade", id, parents.join(", ")),
        };
        ScriptStep {
            kind,
            from,
            to,
            body,
            version_changes: &step.version_changes,
        }
    });
    Ok(render_steps(plan.start_heads.len(), steps, options))
}

/// The whole script for a `stamp`, starting from the rows `start`.
pub fn render_stamp_script(
    start: &[String],
    steps: &[StampStep],
    options: &ScriptOptions,
) -> String {
    let steps = steps.iter().map(|step| ScriptStep {
        kind: "stamp_revision",
        from: step.from.join(", "),
        to: step.to.join(", "),
        body: String::new(),
        version_changes: &step.version_changes,
    });
    render_steps(start.len(), steps, options)
}

/// `ensure-version --sql`: the version table's `CREATE TABLE`, inside `BEGIN`/`COMMIT` only
/// where Alembic puts one around the whole script (transactional DDL, one transaction for all).
pub fn render_ensure_version(options: &ScriptOptions) -> String {
    let around_all = options.dialect.offline_transactions() && !options.transaction_per_migration;
    let mut out = String::new();
    if around_all {
        statement(&mut out, "BEGIN");
    }
    statement(&mut out, &options.version_table.create_sql(options.dialect));
    if around_all {
        statement(&mut out, "COMMIT");
    }
    out
}

fn render_steps<'a>(
    start_rows: usize,
    steps: impl Iterator<Item = ScriptStep<'a>>,
    options: &ScriptOptions,
) -> String {
    let transactions = options.dialect.offline_transactions();
    let per_step = transactions && options.transaction_per_migration;
    let around_all = transactions && !options.transaction_per_migration;
    let mut out = String::new();
    if around_all {
        statement(&mut out, "BEGIN");
    }
    let mut rows = start_rows;
    for step in steps {
        if per_step {
            statement(&mut out, "BEGIN");
        }
        if rows == 0 {
            statement(&mut out, &options.version_table.create_sql(options.dialect));
        }
        let _ = write!(
            out,
            "-- Running {} {} -> {}\n\n",
            step.kind, step.from, step.to
        );
        out.push_str(&step.body);
        for change in step.version_changes {
            statement(
                &mut out,
                &options.version_table.change_sql(options.dialect, change),
            );
            match change {
                VersionChange::Insert { .. } => rows += 1,
                VersionChange::Delete { .. } => rows -= 1,
                VersionChange::Update { .. } => {}
            }
        }
        if per_step {
            statement(&mut out, "COMMIT");
        }
    }
    if around_all {
        statement(&mut out, "COMMIT");
    }
    out
}

/// The step's operations as the script shows them: each statement followed by `;` and
/// preceded by its locks where `locks` reads the dialect, a table rebuild (SQLite) as the
/// comment that describes it. A lock-safe form on PostgreSQL shows where it leaves the step's
/// transaction, as Alembic's `autocommit_block` does: `COMMIT;` before a statement that runs
/// outside any transaction (`CONCURRENTLY`), `BEGIN;` after it, and a validation in a
/// transaction of its own between the two.
fn render_operations(
    map: &RevisionMap,
    step: &Step,
    forms: &mut Forms,
    mut locks: Option<&mut LockReader>,
) -> Result<String, ScriptError> {
    let mut out = String::new();
    let revision = map.revision(step.revision);
    let dialect = forms.0.dialect();
    forms.for_each_operation(revision, step.direction, |_, op, phases| {
        let statements = phases.iter().flat_map(|phase| &phase.statements);
        let mut annotations = match locks.as_deref_mut() {
            Some(reader) => reader.operation(op, statements),
            None => Vec::new(),
        }
        .into_iter();
        for phase in phases {
            render_phase(&mut out, phase, dialect, &mut annotations);
        }
    })?;
    Ok(out)
}

/// One phase of an operation, each statement after the `-- lock:` lines `annotations` gives
/// it in turn.
fn render_phase(
    out: &mut String,
    phase: &Phase,
    dialect: Dialect,
    annotations: &mut impl Iterator<Item = Vec<StatementLocks>>,
) {
    let leaves_the_transaction = phase.mode != PhaseMode::Step;
    if leaves_the_transaction {
        statement(out, "COMMIT");
    }
    if phase.mode == PhaseMode::OwnTransaction {
        statement(out, "BEGIN");
    }
    if let Some(index) = &phase.builds_index {
        let _ = write!(
            out,
            "-- rmig first drops an invalid index {} left by a failed concurrent build\n\n",
            index.name
        );
    }
    for sql in &phase.statements {
        for annotation in annotations.next().unwrap_or_default() {
            out.push_str(&annotation.annotation());
            out.push('\n');
        }
        out.push_str(&sql.to_offline_sql(dialect));
        out.push_str(if sql.is_offline_comment() {
            "\n\n"
        } else {
            ";\n\n"
        });
    }
    if phase.mode == PhaseMode::OwnTransaction {
        statement(out, "COMMIT");
    }
    if leaves_the_transaction {
        statement(out, "BEGIN");
    }
}

/// Refuses `plan` when one of its operations has no SQL on `dialect` (a rename of an index on
/// SQLite, an array column there), naming the first. Online this runs before anything does,
/// so such an operation is bad input rather than a failure half-way through the plan. (A
/// lock-safe form renders its operation's plain statements, so checking those covers both.)
pub fn check_plan(map: &RevisionMap, plan: &Plan, dialect: Dialect) -> Result<(), ScriptError> {
    let mut forms = Forms::new(dialect, true);
    plan.steps.iter().try_for_each(|step| {
        forms.for_each_operation(map.revision(step.revision), step.direction, |_, _, _| {})
    })
}

/// How a run renders its operations, in order: for its dialect, in their lock-safe forms
/// (`ops::online`) unless the run is one transaction, on the tables it has not created yet.
/// What `--sql` prints, and what `check --lint` reads the locks of.
pub struct Forms(RunForms);

impl Forms {
    /// `safe_forms`: whether the run may leave a step's transaction for them; false when it
    /// is one transaction (`--one-transaction`, `transaction_per_migration = false`).
    pub fn new(dialect: Dialect, safe_forms: bool) -> Forms {
        Forms(RunForms::new(dialect, safe_forms))
    }

    /// Hands each operation of `revision`'s upgrade, or its written or derived downgrade, that
    /// runs on the dialect to `each`, in order, with its index in the list and the phases it
    /// runs in; stops at the first operation with no SQL.
    pub fn for_each_operation(
        &mut self,
        revision: &Revision,
        direction: Direction,
        mut each: impl FnMut(usize, &Operation, &[Phase]),
    ) -> Result<(), ScriptError> {
        let operations = match direction {
            Direction::Upgrade => std::borrow::Cow::Borrowed(revision.upgrade.as_slice()),
            Direction::Downgrade => {
                revision
                    .downgrade_ops()
                    .map_err(|source| ScriptError::NoDowngrade {
                        path: revision.path.clone(),
                        revision: revision.id.clone(),
                        source,
                    })?
            }
        };
        for (index, scoped) in operations.iter().enumerate() {
            let Some(phases) = self.0.next(scoped) else {
                continue;
            };
            let phases = phases.map_err(|source| ScriptError::Render {
                path: revision.path.clone(),
                revision: revision.id.clone(),
                direction,
                position: index + 1,
                source,
            })?;
            each(index, &scoped.op, &phases);
        }
        Ok(())
    }
}

fn statement(out: &mut String, sql: &str) {
    out.push_str(sql);
    out.push_str(";\n\n");
}
