//! `rmig check --lint`: the classifier over every revision, without a database, for CI.

use std::fmt;

use serde::Serialize;

use crate::dialect::Dialect;
use crate::graph::RevisionMap;
use crate::plan::Direction;

use super::analysis::{analyse, OpList};
use super::rename::NothingLive;
use super::report::{write_renames, Finding};

/// Every destructive operation of every revision, upgrade and downgrade (derived ones
/// included), with its confirmation on the operation. Run-time allowances play no part.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LintReport {
    pub revisions_checked: usize,
    pub findings: Vec<Finding>,
}

impl LintReport {
    /// The findings no `confirm_data_loss` covers: each would block a plan that runs it.
    pub fn unconfirmed(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|finding| !finding.confirmation.is_confirmed())
    }

    /// True when every destructive operation is confirmed on the operation.
    #[cfg(test)]
    pub fn is_clean(&self) -> bool {
        self.unconfirmed().next().is_none()
    }
}

/// Lints every revision of `map` in load order. Renames are looked for within each list
/// (a revision's upgrade, or its downgrade), as no plan joins revisions here.
/// `dialect` is the one the project's URL names, when it names one: each raw SQL text is then
/// read only as that database reads it.
pub fn lint(map: &RevisionMap, dialect: Option<Dialect>) -> LintReport {
    let mut findings = Vec::new();
    for revision in map.revisions() {
        for direction in [Direction::Upgrade, Direction::Downgrade] {
            findings.extend(
                analyse(
                    &[OpList::new(revision, direction, dialect)],
                    dialect,
                    &mut NothingLive,
                )
                .findings
                .into_iter()
                .map(|(_, finding)| finding),
            );
        }
    }
    LintReport {
        revisions_checked: map.len(),
        findings,
    }
}

impl fmt::Display for LintReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.findings.len();
        let unconfirmed = self.unconfirmed().count();
        let revisions = self.revisions_checked;
        let revision_noun = if revisions == 1 {
            "revision"
        } else {
            "revisions"
        };
        if total == 0 {
            return write!(
                f,
                "No destructive operations in {revisions} {revision_noun}."
            );
        }
        let operation_noun = if total == 1 {
            "operation"
        } else {
            "operations"
        };
        let verb = if unconfirmed == 1 { "is" } else { "are" };
        write!(
            f,
            "{total} destructive {operation_noun} in {revisions} {revision_noun}; {unconfirmed} {verb} not confirmed."
        )?;
        for finding in &self.findings {
            let state = if finding.confirmation.is_confirmed() {
                "confirmed"
            } else {
                "unconfirmed"
            };
            write!(f, "\n  [{state}] {finding}")?;
        }
        write_renames(f, &self.findings)
    }
}
