//! Alembic's `_topological_sort`: the order steps run in.
//!
//! Walks down from the given heads, one branch at a time, and switches to another head when
//! the candidate is still an ancestor of it, so that each branch is finished down to a shared
//! branch point before going below it. Ties follow load order. Ancestor sets are bit masks;
//! moving down a plain line clears one bit instead of recomputing, which keeps long chains
//! linear.

use crate::graph::{RevIdx, RevisionMap};

/// `revisions` ordered upper first (reverse it to run upgrades).
pub(super) fn topological_sort(
    map: &RevisionMap,
    revisions: &[RevIdx],
    heads: &[RevIdx],
) -> Vec<RevIdx> {
    let mut todo = vec![false; map.len()];
    let mut remaining = 0;
    for &rev in revisions {
        if !todo[rev] {
            todo[rev] = true;
            remaining += 1;
        }
    }

    let mut current_heads: Vec<RevIdx> = heads.iter().copied().filter(|&h| todo[h]).collect();
    current_heads.sort_unstable();
    current_heads.dedup();
    let mut ancestors: Vec<Vec<bool>> = current_heads
        .iter()
        .map(|&h| map.ancestor_mask(&[h]))
        .collect();

    let mut output = Vec::with_capacity(remaining);
    let mut index = 0;
    while !current_heads.is_empty() {
        let candidate = current_heads[index];
        if let Some(other) =
            (0..current_heads.len()).find(|&other| other != index && ancestors[other][candidate])
        {
            // Another head still needs this revision below it: finish that head first.
            index = other;
            continue;
        }
        if todo[candidate] {
            output.push(candidate);
            todo[candidate] = false;
        }
        let down = map.normalized_down_revisions(candidate);
        let heads_to_add: Vec<RevIdx> = down
            .into_iter()
            .filter(|&r| todo[r] && !current_heads.contains(&r))
            .collect();
        match heads_to_add.split_first() {
            None => {
                current_heads.remove(index);
                ancestors.remove(index);
                index = index.saturating_sub(1);
            }
            Some((&first, rest)) => {
                current_heads[index] = first;
                let plain_line = map.normalized_dependencies(candidate).is_empty()
                    && map.down_revisions(candidate).len() == 1;
                if plain_line {
                    ancestors[index][candidate] = false;
                } else {
                    ancestors[index] = map.ancestor_mask(&[first]);
                    for &extra in rest {
                        current_heads.push(extra);
                        ancestors.push(map.ancestor_mask(&[extra]));
                    }
                }
            }
        }
    }
    debug_assert!(
        todo.iter().all(|t| !t),
        "topological sort left revisions unsorted"
    );
    output
}
