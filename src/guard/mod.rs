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

#[cfg(test)]
mod tests;

use crate::graph::RevisionMap;
use crate::plan::Plan;

use analysis::{analyse, OpList};

pub use classify::{classify, classify_ops, DataLoss, RowMeasure};
pub use confirm::{Allowance, AllowanceError, ALLOW_ALL};
pub use lint::{lint, LintReport};
pub use object::DataObject;
pub use report::{
    with_row_counts, Confirmation, Finding, Fix, GuardReport, OpRef, RenameHint, RowCount,
    RowCounter,
};

/// A plan the guard has passed. Only `check` constructs one.
#[derive(Debug, Clone)]
pub struct CheckedPlan {
    plan: Plan,
    confirmed: Vec<Finding>,
    unused_allowances: Vec<String>,
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
}

/// What the run's command line allows: `--allow-data-loss` values as given, `table:users`,
/// `revision:ab12`, `all`, ... (see `confirm` for what each allows).
#[derive(Debug, Clone, Default)]
pub struct Allowances {
    pub allow_data_loss: Vec<String>,
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
        let findings = lint(map).findings;
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
    /// Nothing ran. The report's first line is one sentence, then one line per operation.
    #[error("{0}")]
    Blocked(GuardReport),
}

/// Classifies every step of `plan`, upgrade or downgrade (a derived downgrade as the reverse of
/// the upgrade); refuses it when a destructive operation is not confirmed.
pub fn check(
    map: &RevisionMap,
    plan: Plan,
    allowances: &Allowances,
) -> Result<CheckedPlan, GuardError> {
    let lists: Vec<OpList> = plan
        .steps
        .iter()
        .map(|step| OpList::new(map.revision(step.revision), step.direction))
        .collect();
    let findings = analyse(&lists);
    let allowed = &allowances.allow_data_loss;
    // A value that `Allowances::validate` would refuse allows nothing here: the guard never
    // guesses which of two things a value means.
    let destroyed = destroyed_objects(&findings);
    let resolved: Vec<Allowance> = allowed
        .iter()
        .map(|value| {
            confirm::resolve(value, &destroyed).unwrap_or_else(|_| Allowance::Bare(value.clone()))
        })
        .collect();
    let mut allowance_used = vec![false; allowed.len()];
    let mut confirmed = Vec::new();
    let mut unconfirmed = Vec::new();
    for mut finding in findings {
        let matching = confirm::matching_allowances(&resolved, &finding.revision, &finding.object);
        for &index in &matching {
            allowance_used[index] = true;
        }
        if let (Some(&index), false) = (matching.first(), finding.confirmation.is_confirmed()) {
            finding.confirmation = Confirmation::ByAllowance {
                allowance: allowed[index].clone(),
            };
        }
        if finding.confirmation.is_confirmed() {
            confirmed.push(finding);
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
        })
    } else {
        Err(GuardError::Blocked(GuardReport {
            findings: unconfirmed,
            unused_allowances,
        }))
    }
}
