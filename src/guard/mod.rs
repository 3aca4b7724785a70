//! The destructive-operation guard (contract section 5): every step of a plan is classified
//! before anything runs, and a plan with an unconfirmed destructive operation is refused.
//!
//! `CheckedPlan` can only be made here, and the executor accepts nothing else, so no code
//! path runs SQL that the guard has not seen.
//!
//! The pieces: `classify` says what an operation destroys (raw SQL read by `sqlparser`),
//! `confirm` holds the confirmation rule, `rename` spots drop + create pairs that should be
//! renames, `report` is what users see, and `lint` runs it all over every revision without a
//! database. The classification of each operation kind is tabled in the README.

mod analysis;
mod classify;
mod confirm;
mod lint;
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
use crate::plan::Plan;

use analysis::{analyse, OpList};

pub use classify::{classify, classify_in, classify_ops, Certainty, Context, DataLoss, RowMeasure};
pub use confirm::ALLOW_ALL;
pub use lint::{lint, LintReport};
pub use object::DataObject;
pub use report::{
    with_row_counts, Confirmation, Finding, Fix, GuardReport, OpRef, RenameHint, ReportStage,
    RowCount, RowCounter, TableCount,
};
pub use verify::{needs_verification, Observed, ObservedEffect, StepGuard};
pub(crate) use report::count_findings;

/// A plan the guard has passed. Only `check` constructs one.
#[derive(Debug, Clone)]
pub struct CheckedPlan {
    plan: Plan,
    confirmed: Vec<Finding>,
    unused_allowances: Vec<String>,
    /// What the executor checks inside each step, by step.
    steps: Vec<StepGuard>,
}

impl CheckedPlan {
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The destructive operations the plan runs, each confirmed on the operation or by an
    /// allowance, for the executor to announce before it destroys anything.
    pub fn confirmed_data_loss(&self) -> &[Finding] {
        &self.confirmed
    }

    /// `--allow-data-loss` values that matched nothing in the plan, most likely misspelled.
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
    pub fn refuse_if_counted(self, counter: &mut dyn RowCounter) -> Result<CheckedPlan, GuardError> {
        let deferred: Vec<Finding> = self
            .steps
            .iter()
            .flat_map(|step| step.deferred.iter().cloned())
            .collect();
        let counted = report::count_findings(deferred, counter);
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

/// What the run's command line allows (`--allow-data-loss=<revision>|<table>|all`).
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

/// Why the guard refused a plan.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GuardError {
    /// Nothing of the refused steps remains. The report's first line is one sentence, then one
    /// line per operation.
    #[error("{0}")]
    Blocked(GuardReport),
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
    let lists: Vec<OpList> = plan
        .steps
        .iter()
        .map(|step| OpList::new(map.revision(step.revision), step.direction))
        .collect();
    let mut steps: Vec<StepGuard> = plan
        .steps
        .iter()
        .map(|step| {
            let revision = map.revision(step.revision);
            StepGuard::new(
                revision,
                step.direction,
                mode.verifies && revision.transactional,
                allowances.allow_data_loss.clone(),
                mode.dialect,
            )
        })
        .collect();
    let allowed = &allowances.allow_data_loss;
    let mut allowance_used = vec![false; allowed.len()];
    let mut confirmed = Vec::new();
    let mut unconfirmed = Vec::new();
    let analysis = analyse(&lists, mode.dialect);
    for (step, tables) in steps.iter_mut().zip(analysis.backfilled_tables) {
        step.note_backfilled_tables(tables);
    }
    for (position, mut finding) in analysis.findings {
        let matching = confirm::matching_allowances(allowed, &finding.revision, &finding.object);
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
        } else if step.verified && finding.certainty == Certainty::Possible {
            step.watched.push(finding);
        } else if step.verified && finding.is_countable() {
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
        })
    } else {
        Err(GuardError::Blocked(GuardReport {
            findings: unconfirmed,
            unused_allowances,
            stage: ReportStage::BeforeRun,
        }))
    }
}
