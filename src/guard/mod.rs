//! The destructive-operation guard: no unconfirmed loss of data gets through.
//!
//! Two layers. Before anything runs, every step of a plan is classified (`classify`, raw SQL
//! read by `sqlparser` in the dialect that runs it, deny by default), and a plan with an
//! unconfirmed destructive operation that cannot be left to verification is refused. Inside
//! each transactional step, the executor hands `verify` what the database saw the step do
//! (`Observed`), and anything destroyed that nothing confirmed refuses the step before its
//! commit. The guard itself does no I/O.
//!
//! `CheckedPlan` can only be made here, and the executor accepts nothing else, so no code
//! path runs SQL that the guard has not seen.
//!
//! The pieces: `classify` and `sql` say what an operation destroys or may destroy,
//! `analysis` follows the plan (what it created itself), `confirm` holds the confirmation rule
//! and the typed allowances, `rename` spots drop + create pairs that should be renames,
//! `verify` judges observed effects, `report` is what users see, and `lint` runs the first
//! layer over every revision without a database. The classification of each operation kind is
//! tabled in the README.

mod analysis;
mod classify;
mod confirm;
mod lint;
pub mod matcher;
mod object;
mod rename;
mod report;
mod reverse;
mod sql;
mod types;
mod verify;

#[cfg(test)]
mod tests;

use crate::dialect::Dialect;
use crate::graph::RevisionMap;
use crate::ops::Operation;
use crate::plan::Plan;

use analysis::{analyse, OpList};

pub use classify::Certainty;
#[cfg(test)]
pub(crate) use classify::{classify, classify_in, classify_ops, Context, RowMeasure};
pub use confirm::{Allowance, AllowanceError};
pub use lint::{lint, LintReport};
#[cfg(feature = "postgres")]
pub(crate) use object::qualified;
pub use object::DataObject;
pub use rename::{LiveTables, NothingLive};
pub(crate) use report::count_findings;
pub use report::{
    with_row_counts, Confirmation, Finding, GuardReport, ReportStage, RowCount, RowCounter,
    TableCount,
};
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub use verify::ObservedEffect;
pub use verify::{needs_verification, Observed, StepGuard};

/// A plan the guard has passed. Only `check` constructs one.
#[derive(Debug, Clone)]
pub struct CheckedPlan {
    plan: Plan,
    confirmed: Vec<Finding>,
    unused_allowances: Vec<String>,
    /// What the executor checks inside each step, by step.
    steps: Vec<StepGuard>,
    /// The deferred findings whose names mean, before the plan runs, what they will mean when
    /// their operation runs: no SQL, rename or `search_path` change runs before them.
    countable_before_run: Vec<Finding>,
}

impl CheckedPlan {
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The destructive operations the plan runs, each confirmed on the operation or by an
    /// allowance.
    pub fn confirmed_data_loss(&self) -> &[Finding] {
        &self.confirmed
    }

    /// `--allow-data-loss` values that matched nothing in the plan, most likely misspelled.
    #[cfg(test)]
    pub fn unused_allowances(&self) -> &[String] {
        &self.unused_allowances
    }

    /// What the executor verifies in the plan's step `index`.
    pub fn step_guard(&self, index: usize) -> &StepGuard {
        &self.steps[index]
    }

    /// Counts, before anything runs, what the unconfirmed destructive operations that wait for
    /// an in-transaction count would destroy; refuses the plan when any would destroy rows or
    /// values now. A table is counted once, however many findings name it. The count in the
    /// step's transaction, just before the operation, still decides: this one only spares a
    /// run that would stop half-way.
    pub fn refuse_if_counted(
        self,
        counter: &mut dyn RowCounter,
    ) -> Result<CheckedPlan, GuardError> {
        let counted = report::count_findings(self.countable_before_run.clone(), counter);
        let blocked: Vec<Finding> = counted
            .into_iter()
            .filter(|finding| matches!(finding.rows, RowCount::Counted { count } if count > 0))
            .collect();
        if blocked.is_empty() {
            Ok(self)
        } else {
            Err(GuardError::Blocked(GuardReport {
                findings: blocked,
                unused_allowances: self.unused_allowances,
                stage: ReportStage::BeforeRun,
            }))
        }
    }
}

/// What the run's command line allows: `--allow-data-loss` values as given, `table:users`,
/// `revision:ab12`, `all`, ... (see `confirm` for what each allows).
#[derive(Debug, Clone, Default)]
pub struct Allowances {
    pub allow_data_loss: Vec<String>,
}

/// Where and how the plan runs, which decides what the guard can leave to verification.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckMode {
    /// The dialect that runs the plan; None when unknown (lint without a URL).
    pub dialect: Option<Dialect>,
    /// Online, on a database whose DDL is transactional: each transactional step's effects are
    /// checked before its commit, so SQL that only may destroy can run under that check, and
    /// a drop can wait for its count inside the transaction.
    pub verifies: bool,
}

impl Allowances {
    /// Refuses a value that cannot be read, or a bare one that names two kinds of thing among
    /// the destructive operations of `map`'s revisions. Pure, so callers run it before any
    /// database work: the plan, and so which operations it runs, is only known after
    /// connecting, which is why a bare value is read against every revision's operations.
    pub fn validate(&self, map: &RevisionMap) -> Result<(), AllowanceError> {
        let mut any_bare = false;
        for value in &self.allow_data_loss {
            any_bare |= matches!(Allowance::parse(value)?, Allowance::Bare(_));
        }
        if !any_bare {
            // Reading every revision is only worth it for a bare value.
            return Ok(());
        }
        let findings = lint(map, None).findings;
        let destroyed = destroyed_objects(&findings);
        for value in &self.allow_data_loss {
            confirm::resolve(value, &destroyed)?;
        }
        Ok(())
    }
}

/// The revision id and object of each finding: what a bare allowance is read against.
fn destroyed_objects(findings: &[Finding]) -> Vec<(&str, &DataObject)> {
    findings
        .iter()
        .map(|finding| (finding.revision.as_str(), &finding.object))
        .collect()
}

/// Why the guard refused a plan.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GuardError {
    /// Nothing of the refused steps remains. The report's first line is one sentence, then one
    /// line per operation.
    #[error("{0}")]
    Blocked(GuardReport),
}

impl GuardError {
    pub fn exit_code(&self) -> i32 {
        let GuardError::Blocked(report) = self;
        report.exit_code()
    }
}

/// Classifies every step of `plan`, upgrade or downgrade (a derived downgrade as the reverse of
/// the upgrade); refuses it when a destructive operation is not confirmed and cannot be left
/// to the executor's verification.
pub fn check(
    map: &RevisionMap,
    plan: Plan,
    allowances: &Allowances,
    mode: CheckMode,
) -> Result<CheckedPlan, GuardError> {
    check_reading(map, plan, allowances, mode, &mut NothingLive)
}

/// `check`, reading from `live` the shape of each table a drop does not spell out, so that a
/// drop + create written for a rename is named as one online.
pub fn check_reading(
    map: &RevisionMap,
    plan: Plan,
    allowances: &Allowances,
    mode: CheckMode,
    live: &mut dyn LiveTables,
) -> Result<CheckedPlan, GuardError> {
    let lists: Vec<OpList> = plan
        .steps
        .iter()
        .map(|step| OpList::new(map.revision(step.revision), step.direction, mode.dialect))
        .collect();
    let analysis = analyse(&lists, mode.dialect, live);
    let allowed = &allowances.allow_data_loss;
    // A value that `Allowances::validate` would refuse allows nothing here: the guard never
    // guesses which of two things a value means.
    let resolved: Vec<Allowance> = {
        let findings: Vec<Finding> = analysis
            .findings
            .iter()
            .map(|(_, finding)| finding.clone())
            .collect();
        let destroyed = destroyed_objects(&findings);
        allowed
            .iter()
            .map(|value| {
                confirm::resolve(value, &destroyed)
                    .unwrap_or_else(|_| Allowance::Bare(value.clone()))
            })
            .collect()
    };
    let mut steps: Vec<StepGuard> = plan
        .steps
        .iter()
        .map(|step| {
            let revision = map.revision(step.revision);
            StepGuard::new(
                revision,
                step.direction,
                mode.verifies && revision.transactional,
                resolved.clone(),
                mode.dialect,
            )
        })
        .collect();
    for (step, tables) in steps.iter_mut().zip(&analysis.backfilled_tables) {
        step.note_backfilled_tables(tables.iter().cloned());
    }
    let mut allowance_used = vec![false; allowed.len()];
    let mut countable_before_run = Vec::new();
    let mut confirmed = Vec::new();
    let mut unconfirmed = Vec::new();
    for (position, mut finding) in analysis.findings {
        if finding.placeholder {
            // Whatever is allowed: a placeholder never runs.
            unconfirmed.push(finding);
            continue;
        }
        let matching = confirm::matching_allowances(&resolved, &finding.revision, &finding.object);
        for &index in &matching {
            allowance_used[index] = true;
        }
        if let (Some(&index), false) = (matching.first(), finding.confirmation.is_confirmed()) {
            finding.confirmation = Confirmation::ByAllowance {
                allowance: allowed[index].clone(),
            };
        }
        let step = &mut steps[position];
        if finding.confirmation.is_confirmed() {
            step.confirmed.push(finding.clone());
            confirmed.push(finding);
        } else if step.verified
            && (finding.certainty == Certainty::Possible || finding.object.is_seen_dropping())
        {
            step.watched.push(finding);
        } else if step.verified && finding.is_countable() {
            if names_settled(&lists, position, finding.op_index) {
                countable_before_run.push(finding.clone());
            }
            step.deferred.push(finding);
        } else {
            unconfirmed.push(finding);
        }
    }
    let unused_allowances = allowed
        .iter()
        .zip(&allowance_used)
        .filter(|(_, used)| !**used)
        .map(|(allowance, _)| allowance.clone())
        .collect();
    if unconfirmed.is_empty() {
        Ok(CheckedPlan {
            plan,
            confirmed,
            unused_allowances,
            steps,
            countable_before_run,
        })
    } else {
        Err(GuardError::Blocked(GuardReport {
            findings: unconfirmed,
            unused_allowances,
            stage: ReportStage::BeforeRun,
        }))
    }
}

/// Whether a name in operation `op_index` of list `position` means the same table before the
/// plan runs: no operation before it renames a table or column or runs SQL (which may rename,
/// or set `search_path`).
fn names_settled(lists: &[OpList], position: usize, op_index: usize) -> bool {
    let unsettles = |op: &Operation| match op {
        Operation::Execute(_) | Operation::RenameTable(_) => true,
        Operation::AlterColumn(alter) => alter.new_column_name.is_some(),
        _ => false,
    };
    lists[..position]
        .iter()
        .all(|list| !list.ops.iter().any(|(_, op)| unsettles(op)))
        && lists[position]
            .ops
            .iter()
            .take_while(|(index, _)| *index != op_index)
            .all(|(_, op)| !unsettles(op))
}
