//! Alembic's `HeadMaintainer`: how each step changes the rows of `alembic_version`.
//!
//! Where Alembic builds a merge's or unmerge's row set from a Python set (so its order varies
//! from run to run), rmig keeps down_revision order; the final rows are the same.

use std::collections::BTreeSet;

use super::{Direction, Plan, Step};
use crate::graph::{RevIdx, RevisionMap};

/// One statement on the version table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum VersionChange {
    Insert { version: String },
    Delete { version: String },
    Update { from: String, to: String },
}

/// Replays `order` against the rows `start`, recording each step's row changes.
pub(super) fn plan_steps(
    map: &RevisionMap,
    start: &[String],
    order: Vec<RevIdx>,
    direction: Direction,
) -> Plan {
    let mut heads = Heads::new(start);
    let steps = order
        .into_iter()
        .map(|revision| Step {
            revision,
            direction,
            version_changes: heads.apply(map, revision, direction),
        })
        .collect();
    Plan {
        start_heads: start.to_vec(),
        steps,
        end_heads: heads.rows,
    }
}

/// The version rows as a step sees them, in insertion order.
struct Heads {
    rows: Vec<String>,
}

impl Heads {
    fn new(start: &[String]) -> Heads {
        let mut rows: Vec<String> = Vec::with_capacity(start.len());
        for row in start {
            if !rows.contains(row) {
                rows.push(row.clone());
            }
        }
        Heads { rows }
    }

    fn contains(&self, id: &str) -> bool {
        self.rows.iter().any(|r| r == id)
    }

    fn apply(
        &mut self,
        map: &RevisionMap,
        revision: RevIdx,
        direction: Direction,
    ) -> Vec<VersionChange> {
        let id = map.id(revision).to_string();
        let downrevs = map.normalized_down_revisions(revision);
        let mut changes = Vec::new();
        match direction {
            Direction::Downgrade
                if self.contains(&id) && self.unmerge_targets(map, revision).is_empty() =>
            {
                changes.push(self.delete(id));
            }
            Direction::Upgrade if downrevs.iter().all(|&d| !self.contains(map.id(d))) => {
                changes.push(self.insert(id));
            }
            Direction::Upgrade
                if downrevs.len() > 1
                    && downrevs
                        .iter()
                        .filter(|&&d| self.contains(map.id(d)))
                        .count()
                        > 1 =>
            {
                let mut from = self.merge_sources(map, &downrevs);
                let last = from
                    .pop()
                    .expect("a merge has at least two current parents");
                for version in from {
                    changes.push(self.delete(version));
                }
                changes.push(self.update(last, id));
            }
            Direction::Downgrade if self.contains(&id) && downrevs.len() > 1 => {
                let mut to = self.unmerge_targets(map, revision);
                let last = to.pop().expect("checked non-empty above");
                for version in to {
                    changes.push(self.insert(version));
                }
                changes.push(self.update(id, last));
            }
            Direction::Upgrade => {
                let from = downrevs
                    .iter()
                    .map(|&d| map.id(d).to_string())
                    .find(|d| self.contains(d))
                    .expect("an upgrade that is no insert has a current parent");
                changes.push(self.update(from, id));
            }
            Direction::Downgrade => {
                let to = match downrevs.as_slice() {
                    [only] => map.id(*only).to_string(),
                    _ => downrevs
                        .iter()
                        .map(|&d| map.id(d).to_string())
                        .find(|d| self.contains(d))
                        .unwrap_or_else(|| map.id(downrevs[0]).to_string()),
                };
                changes.push(self.update(id, to));
            }
        }
        changes
    }

    /// Whether `revision` is one of `others` or an ancestor of one. Alembic walks every
    /// ancestor of the other rows here; asking only about the few parents in question keeps
    /// long plans linear.
    fn covered_by(map: &RevisionMap, others: &[RevIdx], revision: RevIdx) -> bool {
        others.iter().any(|&other| map.is_ancestor(revision, other))
    }

    /// The parents a merge replaces: those that are not ancestors of another current head.
    fn merge_sources(&self, map: &RevisionMap, downrevs: &[RevIdx]) -> Vec<String> {
        let parent_ids: BTreeSet<&str> = downrevs.iter().map(|&d| map.id(d)).collect();
        let other_heads: Vec<RevIdx> = self
            .rows
            .iter()
            .filter(|r| !parent_ids.contains(r.as_str()))
            .filter_map(|r| map.index_of(r))
            .collect();
        if other_heads.is_empty() {
            return downrevs.iter().map(|&d| map.id(d).to_string()).collect();
        }
        downrevs
            .iter()
            .filter(|&&d| !Self::covered_by(map, &other_heads, d))
            .map(|&d| map.id(d).to_string())
            .collect()
    }

    /// The rows a downgrade of `revision` restores: its parents, less those another head (or,
    /// with no other head, another parent) already implies.
    fn unmerge_targets(&self, map: &RevisionMap, revision: RevIdx) -> Vec<String> {
        let id = map.id(revision);
        let downrevs = map.normalized_down_revisions(revision);
        let other_heads: Vec<RevIdx> = self
            .rows
            .iter()
            .filter(|r| r.as_str() != id)
            .filter_map(|r| map.index_of(r))
            .collect();
        let keep: Vec<RevIdx> = if other_heads.is_empty() && downrevs.len() < 2 {
            // The last row going down a line: nothing else to compare with.
            downrevs
        } else if other_heads.is_empty() {
            downrevs
                .iter()
                .copied()
                .filter(|&d| {
                    !downrevs
                        .iter()
                        .any(|&other| other != d && map.is_ancestor(d, other))
                })
                .collect()
        } else {
            downrevs
                .iter()
                .copied()
                .filter(|&d| !Self::covered_by(map, &other_heads, d))
                .collect()
        };
        keep.into_iter().map(|d| map.id(d).to_string()).collect()
    }

    fn insert(&mut self, version: String) -> VersionChange {
        self.rows.push(version.clone());
        VersionChange::Insert { version }
    }

    fn delete(&mut self, version: String) -> VersionChange {
        self.rows.retain(|r| *r != version);
        VersionChange::Delete { version }
    }

    fn update(&mut self, from: String, to: String) -> VersionChange {
        match self.rows.iter_mut().find(|r| **r == from) {
            Some(row) => *row = to.clone(),
            None => self.rows.push(to.clone()),
        }
        VersionChange::Update { from, to }
    }
}
