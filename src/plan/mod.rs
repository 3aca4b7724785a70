//! The planner: from the current `alembic_version` rows and a target, the ordered steps to
//! run, each with the exact change it makes to `alembic_version`.
//!
//! A port of Alembic's `_collect_upgrade_revisions`, `_collect_downgrade_revisions`,
//! `_topological_sort` and `HeadMaintainer`, so that rmig and Alembic order steps and touch
//! version rows identically. Pure: no I/O.

mod heads;
mod order;
mod range;
mod stamp;

use std::fmt;

use crate::graph::{parse_relative, GraphError, RevIdx, RevisionMap, Walked};

pub use heads::VersionChange;
pub use range::walk_range;
pub use stamp::{stamp, StampStep};

/// Which way a step moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Towards later revisions (`upgrade`).
    Upgrade,
    /// Towards earlier revisions (`downgrade`).
    Downgrade,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Upgrade => "upgrade",
            Direction::Downgrade => "downgrade",
        })
    }
}

/// One revision run up or down, with the version-table rows it changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub revision: RevIdx,
    pub direction: Direction,
    /// Statements on `alembic_version`, in the order they run.
    pub version_changes: Vec<VersionChange>,
}

/// An ordered list of steps from `start_heads`; `end_heads` are the rows it leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub start_heads: Vec<String>,
    pub steps: Vec<Step>,
    pub end_heads: Vec<String>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// Why no plan could be made. Messages follow Alembic's command-level wording.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error("Destination {destination} is not a valid {direction} target from current head(s)")]
    NotReachable {
        destination: String,
        direction: Direction,
    },
    #[error("Requested revision {revision} overlaps with other requested revisions {others}")]
    Overlap { revision: String, others: String },
    #[error("Ambiguous {direction} from multiple current revisions ({}); name a revision or '<branchname>@{steps}' instead", heads.join(", "))]
    AmbiguousFromHeads {
        direction: Direction,
        steps: String,
        heads: Vec<String>,
    },
    #[error("The {direction} target is empty; name a revision, `head`, `heads` or `base`")]
    EmptyTarget { direction: Direction },
    #[error("The version table holds revision '{0}', which no revision file declares; check script_location or stamp the database")]
    UnknownCurrent(String),
}

impl RevisionMap {
    /// The current version rows as revisions; every row must name a known revision.
    pub fn current_revisions(&self, rows: &[String]) -> Result<Vec<RevIdx>, PlanError> {
        rows.iter()
            .map(|row| {
                self.index_of(row)
                    .ok_or_else(|| PlanError::UnknownCurrent(row.clone()))
            })
            .collect()
    }
}

/// Whether a target is relative to the current rows (`+1`, `-2`, `label@-1`, ...).
pub fn is_relative(target: &str) -> bool {
    parse_relative(target).is_some_and(|r| r.symbol.is_none())
}

/// Refuses an empty target, which Alembic's syntax would read as `base`: an upgrade to it
/// did nothing and exited 0 (issue 15). Checked again by the planner; the command line calls
/// it before connecting.
pub fn check_target(target: &str, direction: Direction) -> Result<(), PlanError> {
    if target.is_empty() {
        return Err(PlanError::EmptyTarget { direction });
    }
    Ok(())
}

/// Plans `upgrade <target>` from the version rows `current`.
pub fn upgrade(map: &RevisionMap, current: &[String], target: &str) -> Result<Plan, PlanError> {
    check_target(target, Direction::Upgrade)?;
    let current_revs = map.current_revisions(current)?;
    let (needs, targets) = collect_upgrade(map, &current_revs, target)
        .map_err(|e| at_command_level(e, target, Direction::Upgrade))?;
    let mut order = order::topological_sort(map, &needs, &targets);
    order.reverse();
    Ok(heads::plan_steps(map, current, order, Direction::Upgrade))
}

/// Plans `downgrade <target>` from the version rows `current`.
pub fn downgrade(map: &RevisionMap, current: &[String], target: &str) -> Result<Plan, PlanError> {
    check_target(target, Direction::Downgrade)?;
    let current_revs = map.current_revisions(current)?;
    let revisions = collect_downgrade(map, &current_revs, target)
        .map_err(|e| at_command_level(e, target, Direction::Downgrade))?;
    let order = order::topological_sort(map, &revisions, &current_revs);
    Ok(heads::plan_steps(map, current, order, Direction::Downgrade))
}

/// Alembic's `_catch_revision_errors` for upgrade and downgrade: a target off the current
/// lineage is reported as "not a valid target".
fn at_command_level(error: PlanError, target: &str, direction: Direction) -> PlanError {
    match error {
        PlanError::NotReachable { .. } => PlanError::NotReachable {
            destination: target.to_string(),
            direction,
        },
        other => other,
    }
}

/// Alembic's `_parse_upgrade_target`: the revisions an upgrade argument aims at.
fn parse_upgrade_target(
    map: &RevisionMap,
    current: &[RevIdx],
    target: &str,
) -> Result<Vec<RevIdx>, PlanError> {
    let Some(relative) = parse_relative(target) else {
        return Ok(map.get_revisions(target)?);
    };
    let shortfall = || {
        GraphError::Revision(format!(
            "Relative revision {} didn't produce {} migrations",
            relative.steps_text,
            relative.steps.unsigned_abs()
        ))
    };
    if relative.steps <= 0 {
        let Some(symbol) = relative.symbol else {
            return Err(shortfall().into());
        };
        let start = match relative.label {
            Some(label) => map.walk_start(&format!("{label}@{symbol}"))?,
            None => map.walk_start(symbol)?,
        };
        return match map.walk(start, relative.steps, None, true)? {
            Some(Walked::Rev(index)) => Ok(vec![index]),
            Some(_) => Ok(Vec::new()),
            None => Err(shortfall().into()),
        };
    }
    let start = match relative.symbol {
        Some(symbol) => map.walk_start(symbol)?,
        None => {
            let mut starts: Vec<Walked> = current.iter().map(|&c| Walked::Rev(c)).collect();
            if let Some(label) = relative.label {
                let on_branch = map.filter_for_lineage(current, label)?;
                starts = if on_branch.is_empty() {
                    // The branch has no current head: start from the tips of its applied part.
                    let active = map.filter_for_lineage(&map.ancestors(current, true), label)?;
                    let mut below = vec![false; map.len()];
                    for &rev in &active {
                        for down in map.normalized_down_revisions(rev) {
                            below[down] = true;
                        }
                    }
                    active
                        .into_iter()
                        .filter(|&r| !below[r])
                        .map(Walked::Rev)
                        .collect()
                } else {
                    on_branch.into_iter().map(Walked::Rev).collect()
                };
            }
            match starts.as_slice() {
                [] => Walked::Nowhere,
                [only] => *only,
                _ => {
                    return Err(PlanError::AmbiguousFromHeads {
                        direction: Direction::Upgrade,
                        steps: relative.steps_text.to_string(),
                        heads: current.iter().map(|&c| map.id(c).to_string()).collect(),
                    })
                }
            }
        }
    };
    match map.walk(start, relative.steps, relative.label, true)? {
        Some(Walked::Rev(index)) => Ok(vec![index]),
        _ => Err(shortfall().into()),
    }
}

/// Alembic's `_collect_upgrade_revisions` with `implicit_base`: the target, its ancestors and
/// dependencies, less what `current` already has.
fn collect_upgrade(
    map: &RevisionMap,
    current: &[RevIdx],
    target: &str,
) -> Result<(Vec<RevIdx>, Vec<RevIdx>), PlanError> {
    let targets = parse_upgrade_target(map, current, target)?;
    check_no_overlap(map, &targets)?;
    check_no_overlap(map, current)?;
    let required = map.ancestor_mask(&targets);
    let applied = map.ancestor_mask(current);
    let needs = (0..map.len())
        .filter(|&i| required[i] && !applied[i])
        .collect();
    Ok((needs, targets))
}

/// Alembic's overlap check: no requested revision may be an ancestor of another.
fn check_no_overlap(map: &RevisionMap, revisions: &[RevIdx]) -> Result<(), PlanError> {
    if revisions.len() < 2 {
        return Ok(());
    }
    for &revision in revisions {
        let ancestors = map.ancestor_mask(&[revision]);
        let others: Vec<&str> = revisions
            .iter()
            .filter(|&&other| other != revision && ancestors[other])
            .map(|&other| map.id(other))
            .collect();
        if !others.is_empty() {
            return Err(PlanError::Overlap {
                revision: map.id(revision).to_string(),
                others: others.join(", "),
            });
        }
    }
    Ok(())
}

/// Alembic's `_parse_downgrade_target`: the branch the argument names, if any, and the
/// revision to end at (`None` for base).
fn parse_downgrade_target(
    map: &RevisionMap,
    current: &[RevIdx],
    target: &str,
) -> Result<(Option<String>, Option<RevIdx>), PlanError> {
    let shortfall = |text: &str, steps: i64| {
        GraphError::Revision(format!(
            "Relative revision {text} didn't produce {} migrations",
            steps.unsigned_abs()
        ))
    };
    let Some(relative) = parse_relative(target) else {
        let (label, symbol) = match target.rsplit_once('@') {
            Some((label, symbol)) if !label.is_empty() => (Some(label.to_string()), symbol),
            Some((_, symbol)) => (None, symbol),
            None => (None, target),
        };
        return Ok((label, map.get_revision(symbol)?));
    };
    let end = |walked: Option<Walked>, relative_to_current: bool| match walked {
        Some(Walked::Rev(index)) => Ok(Some(index)),
        Some(_) => Ok(None),
        None if relative_to_current => Err(shortfall(relative.steps_text, relative.steps).into()),
        None => Err(PlanError::Graph(GraphError::Revision(
            "Walked too far".to_string(),
        ))),
    };
    if relative.steps >= 0 {
        let Some(symbol) = relative.symbol else {
            return Err(shortfall(relative.steps_text, relative.steps).into());
        };
        let walked = map.walk(
            map.walk_start(symbol)?,
            relative.steps,
            relative.label,
            true,
        )?;
        return Ok((relative.label.map(str::to_string), end(walked, false)?));
    }
    let mut label = relative.label.map(str::to_string);
    let symbol = match relative.symbol {
        Some(symbol) => symbol.to_string(),
        None => {
            let from = match relative.label {
                Some(branch) => {
                    let mut on_branch = map.filter_for_lineage(current, branch)?;
                    if on_branch.is_empty() {
                        on_branch =
                            map.filter_for_lineage(&branch_heads_of_current(map, current), branch)?;
                    }
                    on_branch
                }
                None => {
                    // Alembic counts distinct rows (`len(set(current_revisions))`).
                    let mut distinct: Vec<RevIdx> = Vec::with_capacity(current.len());
                    for &rev in current {
                        if !distinct.contains(&rev) {
                            distinct.push(rev);
                        }
                    }
                    distinct
                }
            };
            match from.as_slice() {
                [] => return Err(shortfall(relative.steps_text, relative.steps).into()),
                [only] => {
                    if label.is_none() {
                        label = Some(map.id(*only).to_string());
                    }
                    map.id(*only).to_string()
                }
                _ => {
                    return Err(PlanError::AmbiguousFromHeads {
                        direction: Direction::Downgrade,
                        steps: relative.steps_text.to_string(),
                        heads: from.iter().map(|&c| map.id(c).to_string()).collect(),
                    })
                }
            }
        }
    };
    let start = match &label {
        Some(label) => map.walk_start(&format!("{label}@{symbol}"))?,
        None => map.walk_start(&symbol)?,
    };
    let walked = map.walk(start, relative.steps, None, true)?;
    Ok((label, end(walked, relative.symbol.is_none())?))
}

/// Alembic's `_get_all_current`: the current revisions and their ancestors, reduced to the
/// tips of each branch.
fn branch_heads_of_current(map: &RevisionMap, current: &[RevIdx]) -> Vec<RevIdx> {
    let all = map.ancestors(current, true);
    let mut in_set = vec![false; map.len()];
    for &rev in &all {
        in_set[rev] = true;
    }
    // The set holds every ancestor of its members, so a revision with a descendant in it has a
    // child in it: checking the children is enough (and linear, where walking each revision's
    // descendants was quadratic).
    all.iter()
        .copied()
        .filter(|&rev| !map.next_revisions(rev).iter().any(|&child| in_set[child]))
        .collect()
}

/// Alembic's `_collect_downgrade_revisions`: what must be run down so that nothing above the
/// target stays applied.
fn collect_downgrade(
    map: &RevisionMap,
    current: &[RevIdx],
    target: &str,
) -> Result<Vec<RevIdx>, PlanError> {
    let (label, target_revision) = parse_downgrade_target(map, current, target)?;
    let mut roots: Vec<RevIdx> = match target_revision {
        None => (0..map.len()).filter(|&i| map.is_base(i)).collect(),
        Some(index) => map.next_revisions(index).to_vec(),
    };
    if let Some(label) = &label {
        if roots.len() > 1 {
            let branch = map.resolve_branch(label)?;
            let mut on_branch = vec![false; map.len()];
            for rev in map.ancestors(&[branch], false) {
                on_branch[rev] = true;
            }
            roots.retain(|&r| on_branch[r]);
            if roots.is_empty() {
                return Err(GraphError::Revision(
                    "Not a valid downgrade target from current heads".to_string(),
                )
                .into());
            }
        }
    }
    let active = map.ancestor_mask(current);
    let revisions: Vec<RevIdx> = map
        .descendants(&roots, true)
        .into_iter()
        .filter(|&r| active[r])
        .collect();
    if let Some(index) = target_revision {
        if revisions.is_empty() && !current.contains(&index) {
            return Err(PlanError::NotReachable {
                destination: target.to_string(),
                direction: Direction::Downgrade,
            });
        }
    }
    Ok(revisions)
}

#[cfg(test)]
mod tests;
