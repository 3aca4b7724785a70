//! Alembic's `_topological_sort`: the order steps run in.
//!
//! Walks down from the given heads, one branch at a time, and switches to another head when
//! the candidate is still an ancestor of it, so that each branch is finished down to a shared
//! branch point before going below it. Ties follow load order.
//!
//! Alembic keeps the full ancestor set of every walking head and recomputes it at each merge,
//! branch point and dependency, which costs merges x revisions. Here a candidate is known to
//! be an ancestor of another walking head exactly when one of its children in the set is not
//! emitted yet (the set being sorted is closed under paths between its members, and every
//! revision not yet emitted sits below some walking head), so a counter answers it. Only when
//! it is blocked is the region above it searched, to switch to the same head Alembic picks.

use crate::graph::{RevIdx, RevisionMap};

/// `revisions` ordered upper first (reverse it to run upgrades).
pub(super) fn topological_sort(
    map: &RevisionMap,
    revisions: &[RevIdx],
    heads: &[RevIdx],
) -> Vec<RevIdx> {
    let n = map.len();
    let mut todo = vec![false; n];
    for &rev in revisions {
        todo[rev] = true;
    }
    // Children in the set, and how many of them are not emitted yet.
    let mut children: Vec<Vec<RevIdx>> = vec![Vec::new(); n];
    let mut waiting_children = vec![0usize; n];
    for (child, _) in todo.iter().enumerate().filter(|(_, in_set)| **in_set) {
        for parent in map.normalized_down_revisions(child) {
            if todo[parent] && !children[parent].contains(&child) {
                children[parent].push(child);
                waiting_children[parent] += 1;
            }
        }
    }

    let mut current_heads: Vec<RevIdx> = heads.iter().copied().filter(|&h| todo[h]).collect();
    current_heads.sort_unstable();
    current_heads.dedup();

    let mut output = Vec::with_capacity(revisions.len());
    let mut search = AboveSearch::new(n);
    let mut index = 0;
    while !current_heads.is_empty() {
        let candidate = current_heads[index];
        if waiting_children[candidate] > 0 {
            // Another head still needs this revision below it: finish that head first.
            index = search.first_head_above(candidate, &current_heads, &children, &todo);
            continue;
        }
        if todo[candidate] {
            output.push(candidate);
            todo[candidate] = false;
            for parent in map.normalized_down_revisions(candidate) {
                if children[parent].contains(&candidate) {
                    waiting_children[parent] -= 1;
                }
            }
        }
        let heads_to_add: Vec<RevIdx> = map
            .normalized_down_revisions(candidate)
            .into_iter()
            .filter(|&r| todo[r] && !current_heads.contains(&r))
            .collect();
        match heads_to_add.split_first() {
            None => {
                current_heads.remove(index);
                index = index.saturating_sub(1);
            }
            Some((&first, rest)) => {
                current_heads[index] = first;
                current_heads.extend_from_slice(rest);
            }
        }
    }
    debug_assert!(
        todo.iter().all(|t| !t),
        "topological sort left revisions unsorted"
    );
    output
}

/// A reusable search upward from a blocked candidate through children not yet emitted.
struct AboveSearch {
    seen: Vec<u32>,
    generation: u32,
    stack: Vec<RevIdx>,
}

impl AboveSearch {
    fn new(n: usize) -> AboveSearch {
        AboveSearch {
            seen: vec![0; n],
            generation: 0,
            stack: Vec::new(),
        }
    }

    /// The position of the first walking head (in list order, as Alembic scans them) that
    /// `candidate` is an ancestor of.
    fn first_head_above(
        &mut self,
        candidate: RevIdx,
        heads: &[RevIdx],
        children: &[Vec<RevIdx>],
        todo: &[bool],
    ) -> usize {
        self.generation += 1;
        self.stack.clear();
        self.stack.push(candidate);
        self.seen[candidate] = self.generation;
        let mut first = usize::MAX;
        while let Some(index) = self.stack.pop() {
            for &child in &children[index] {
                if todo[child] && self.seen[child] != self.generation {
                    self.seen[child] = self.generation;
                    if let Some(position) = heads.iter().position(|&h| h == child) {
                        first = first.min(position);
                    }
                    self.stack.push(child);
                }
            }
        }
        assert!(
            first != usize::MAX,
            "a revision with children left to run lies below a walking head"
        );
        first
    }
}
