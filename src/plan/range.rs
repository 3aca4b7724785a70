//! Revision ranges as `history -r <start>:<end>` lists them: Alembic's `walk_revisions`, the
//! inclusive range walked without an implicit base.

use super::{check_no_overlap, order, parse_upgrade_target, PlanError};
use crate::graph::{GraphError, RevIdx, RevisionMap};

/// Revisions from `start` (default `base`) up to `end` (default `heads`), upper first.
pub fn walk_range(
    map: &RevisionMap,
    start: Option<&str>,
    end: Option<&str>,
) -> Result<Vec<RevIdx>, PlanError> {
    let start = start.filter(|s| !s.is_empty()).unwrap_or("base");
    let end = end.filter(|s| !s.is_empty()).unwrap_or("heads");
    let not_ancestor = || {
        PlanError::Graph(GraphError::Revision(format!(
            "Requested range {start}:{end} does not refer to ancestor/descendant revisions along the same branch"
        )))
    };
    let lower = map.get_revisions(start)?;
    let mut targets = parse_upgrade_target(map, &lower, end)?;
    if let Some((branch, _)) = start.split_once('@') {
        let label = match map.get_revision(branch)? {
            Some(rev) if map.id(rev) == branch => map.branch_labels(rev).iter().next().cloned(),
            _ => Some(branch.to_string()),
        };
        if let Some(label) = label {
            targets.retain(|&t| map.branch_labels(t).contains(&label));
        }
    }
    check_no_overlap(map, &targets)?;
    let required = map.ancestor_mask(&targets);
    if lower.iter().any(|&l| !required[l]) {
        return Err(not_ancestor());
    }
    check_no_overlap(map, &lower)?;
    let applied = map.ancestor_mask(&lower);
    let mut needs: Vec<bool> = (0..map.len()).map(|i| required[i] && !applied[i]).collect();
    for &l in &lower {
        needs[l] = true;
    }
    if !lower.is_empty() {
        let mut above = vec![false; map.len()];
        for d in map.descendants(&lower, false) {
            above[d] = true;
        }
        for (i, need) in needs.iter_mut().enumerate() {
            *need &= above[i];
        }
    }
    let needs: Vec<RevIdx> = (0..map.len()).filter(|&i| needs[i]).collect();
    Ok(order::topological_sort(map, &needs, &targets))
}
