//! The revision graph: Alembic's `RevisionMap` over loaded revisions.
//!
//! Owns heads, bases, branch and merge points, branch labels (inherited along a branch),
//! `depends_on`, and the resolution of revision syntax (`head`, `label@head`, prefixes, ...).
//! Revisions are addressed by their index in load order, which is also the tie-break order
//! Alembic uses. Pure: no I/O.

mod resolve;

pub use resolve::{parse_relative, Walked};

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use crate::revision::Revision;

/// Index of a revision in load order.
pub type RevIdx = usize;

/// Errors in the graph itself (found when building it) or in resolving a revision argument.
/// Resolution messages follow Alembic's wording so that scripts and habits carry over.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GraphError {
    #[error("{}: {key} '{missing}' of revision '{revision}' names no revision{}", path.display(), if *key == "depends_on" { " or branch label" } else { "" })]
    MissingReference {
        revision: String,
        path: PathBuf,
        key: &'static str,
        missing: String,
    },
    #[error("{}: branch name '{label}' in revision {revision} already used by revision {other}", path.display())]
    DuplicateBranchLabel {
        label: String,
        revision: String,
        other: String,
        path: PathBuf,
    },
    #[error("{}: branch label '{label}' of revision {revision} is also a revision id; pick another label", path.display())]
    LabelIsRevisionId {
        label: String,
        revision: String,
        path: PathBuf,
    },
    #[error(
        "{kind} is detected in revisions ({}); check their down_revision and depends_on",
        listed(revisions)
    )]
    Cycle {
        kind: &'static str,
        revisions: Vec<String>,
    },
    #[error("Multiple head revisions are present for given argument '{argument}'; please specify a specific target revision, '<branchname>@{argument}' to narrow to a specific head, or 'heads' for all heads (heads: {})", listed(heads))]
    MultipleHeads {
        argument: String,
        heads: Vec<String>,
    },
    #[error("Can't locate revision identified by '{argument}': {reason}")]
    Resolution { argument: String, reason: String },
    #[error("{0}")]
    Revision(String),
}

/// Ids for a message: the first few, then how many more, so that a cycle through thousands of
/// revisions is still one readable line (corpus: `graph_long_cycle`).
fn listed(ids: &[String]) -> String {
    const SHOWN: usize = 10;
    match ids.len() {
        n if n <= SHOWN => ids.join(", "),
        n => format!("{} and {} more", ids[..SHOWN].join(", "), n - SHOWN),
    }
}

impl GraphError {
    pub(crate) fn resolution(argument: &str, reason: impl Into<String>) -> GraphError {
        GraphError::Resolution {
            argument: argument.to_string(),
            reason: reason.into(),
        }
    }
}

/// Alembic's revision map: the loaded revisions and every relation between them.
#[derive(Debug)]
pub struct RevisionMap {
    revisions: Vec<Revision>,
    by_id: HashMap<String, RevIdx>,
    /// Branch label -> the revision that declares it.
    label_owner: HashMap<String, RevIdx>,
    down: Vec<Vec<RevIdx>>,
    /// `depends_on` resolved to revisions.
    dependencies: Vec<Vec<RevIdx>>,
    /// `dependencies` minus those an ancestor already depends on.
    normalized_dependencies: Vec<Vec<RevIdx>>,
    next: Vec<Vec<RevIdx>>,
    all_next: Vec<Vec<RevIdx>>,
    /// Each revision's labels, declared and inherited, as an index into `label_sets`. A label
    /// reaches a whole branch, so thousands of revisions share a few sets: stored once each,
    /// rather than every label string copied into every descendant (issue 8).
    label_set: Vec<u32>,
    /// Distinct label sets; the first is empty.
    label_sets: Vec<BTreeSet<String>>,
    heads: Vec<RevIdx>,
    real_heads: Vec<RevIdx>,
    bases: Vec<RevIdx>,
    /// Longest path from a base along normalized down revisions: an ancestor is always
    /// shallower than its descendants, which bounds ancestry searches.
    depth: Vec<u32>,
}

impl RevisionMap {
    /// Builds the map from revisions in load order; fails on a missing parent or dependency,
    /// a reused branch label, or a cycle.
    pub fn new(revisions: Vec<Revision>) -> Result<RevisionMap, GraphError> {
        let n = revisions.len();
        detect_self_loops(&revisions)?;
        let mut by_id = HashMap::with_capacity(n);
        for (index, revision) in revisions.iter().enumerate() {
            by_id.insert(revision.id.clone(), index);
        }
        let mut label_owner: HashMap<String, RevIdx> = HashMap::new();
        for (index, revision) in revisions.iter().enumerate() {
            for label in &revision.branch_labels {
                if by_id.contains_key(label) {
                    return Err(GraphError::LabelIsRevisionId {
                        label: label.clone(),
                        revision: revision.id.clone(),
                        path: revision.path.clone(),
                    });
                }
                if let Some(&other) = label_owner.get(label) {
                    return Err(GraphError::DuplicateBranchLabel {
                        label: label.clone(),
                        revision: revision.id.clone(),
                        other: revisions[other].id.clone(),
                        path: revision.path.clone(),
                    });
                }
                label_owner.insert(label.clone(), index);
            }
        }

        let mut down = Vec::with_capacity(n);
        let mut dependencies = Vec::with_capacity(n);
        for revision in &revisions {
            let missing = |key: &'static str, name: &str| GraphError::MissingReference {
                revision: revision.id.clone(),
                path: revision.path.clone(),
                key,
                missing: name.to_string(),
            };
            let mut parents = Vec::with_capacity(revision.down_revisions.len());
            for parent in &revision.down_revisions {
                let &index = by_id
                    .get(parent)
                    .ok_or_else(|| missing("down_revision", parent))?;
                if !parents.contains(&index) {
                    parents.push(index);
                }
            }
            let mut deps = Vec::with_capacity(revision.depends_on.len());
            for dep in &revision.depends_on {
                let &index = by_id
                    .get(dep)
                    .or_else(|| label_owner.get(dep))
                    .ok_or_else(|| missing("depends_on", dep))?;
                if !deps.contains(&index) {
                    deps.push(index);
                }
            }
            down.push(parents);
            dependencies.push(deps);
        }

        let mut next = vec![Vec::new(); n];
        let mut all_next = vec![Vec::new(); n];
        let mut is_down_of_any = vec![false; n];
        let mut is_any_down_of_any = vec![false; n];
        for child in 0..n {
            for &parent in &down[child] {
                next[parent].push(child);
                is_down_of_any[parent] = true;
            }
            for &parent in down[child].iter().chain(&dependencies[child]) {
                if !all_next[parent].contains(&child) {
                    all_next[parent].push(child);
                }
                is_any_down_of_any[parent] = true;
            }
        }
        let heads = (0..n).filter(|&i| !is_down_of_any[i]).collect();
        let real_heads = (0..n).filter(|&i| !is_any_down_of_any[i]).collect();
        let bases = (0..n).filter(|&i| down[i].is_empty()).collect();

        detect_cycles(&revisions, &down, &[])?;
        detect_cycles(&revisions, &down, &dependencies)?;

        let mut map = RevisionMap {
            label_set: Vec::new(),
            label_sets: Vec::new(),
            revisions,
            by_id,
            label_owner,
            down,
            normalized_dependencies: dependencies.clone(),
            dependencies,
            next,
            all_next,
            heads,
            real_heads,
            bases,
            depth: Vec::new(),
        };
        map.normalize_dependencies();
        map.depth = map.compute_depths();
        map.inherit_branch_labels();
        Ok(map)
    }

    /// Drops each dependency that an ancestor (by down_revision) already depends on, so that
    /// steps and version-table rows follow only the dependencies that add something.
    fn normalize_dependencies(&mut self) {
        for index in 0..self.revisions.len() {
            if self.dependencies[index].is_empty() {
                continue;
            }
            let mut implied = vec![false; self.revisions.len()];
            for ancestor in self.ancestors(&[index], false) {
                if ancestor != index {
                    for &dep in &self.dependencies[ancestor] {
                        implied[dep] = true;
                    }
                }
            }
            let kept = self.dependencies[index]
                .iter()
                .copied()
                .filter(|&dep| !implied[dep])
                .collect();
            self.normalized_dependencies[index] = kept;
        }
    }

    /// Alembic's `_add_branches`: a label reaches every descendant of the revision declaring it,
    /// and, walking down from the last descendant reached, every revision until a branch or
    /// merge point.
    ///
    /// A revision's labels are those of the declaring revisions ("owners") that reach it. The
    /// sets of owners are interned: a revision moves from set `s` to `s` plus the owner through
    /// a memo, so each revision reached costs a hash look-up, and a new set (and its label
    /// strings) is built only the first time it occurs.
    fn inherit_branch_labels(&mut self) {
        let n = self.revisions.len();
        // Owner sets (sorted owner indexes), their ids, and (set, owner) -> set.
        let mut owner_sets: Vec<Vec<RevIdx>> = vec![Vec::new()];
        let mut set_ids: HashMap<Vec<RevIdx>, u32> = HashMap::from([(Vec::new(), 0)]);
        let mut memo: HashMap<(u32, RevIdx), u32> = HashMap::new();
        let mut intern = |owners: Vec<RevIdx>, owner_sets: &mut Vec<Vec<RevIdx>>| -> u32 {
            *set_ids.entry(owners).or_insert_with_key(|owners| {
                owner_sets.push(owners.clone());
                (owner_sets.len() - 1) as u32
            })
        };
        let mut set_of = vec![0u32; n];
        for (index, set) in set_of.iter_mut().enumerate() {
            if !self.revisions[index].branch_labels.is_empty() {
                *set = intern(vec![index], &mut owner_sets);
            }
        }
        let mut add = |set: u32, owner: RevIdx, owner_sets: &mut Vec<Vec<RevIdx>>| -> u32 {
            if owner_sets[set as usize].binary_search(&owner).is_ok() {
                return set;
            }
            if let Some(&known) = memo.get(&(set, owner)) {
                return known;
            }
            let mut owners = owner_sets[set as usize].clone();
            let at = owners.binary_search(&owner).unwrap_or_else(|at| at);
            owners.insert(at, owner);
            let id = intern(owners, owner_sets);
            memo.insert((set, owner), id);
            id
        };
        for owner in 0..n {
            if self.revisions[owner].branch_labels.is_empty() {
                continue;
            }
            let descendants = self.descendants(&[owner], false);
            for &node in &descendants {
                set_of[node] = add(set_of[node], owner, &mut owner_sets);
            }
            let mut parent = *descendants.last().unwrap_or(&owner);
            loop {
                if self.all_next[parent].len() > 1 || self.down[parent].len() > 1 {
                    break;
                }
                set_of[parent] = add(set_of[parent], owner, &mut owner_sets);
                match self.down[parent].first() {
                    Some(&below) => parent = below,
                    None => break,
                }
            }
        }
        self.label_sets = owner_sets
            .iter()
            .map(|owners| {
                owners
                    .iter()
                    .flat_map(|&owner| self.revisions[owner].branch_labels.iter().cloned())
                    .collect()
            })
            .collect();
        self.label_set = set_of;
    }

    pub fn len(&self) -> usize {
        self.revisions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.revisions.is_empty()
    }

    pub fn revision(&self, index: RevIdx) -> &Revision {
        &self.revisions[index]
    }

    pub fn id(&self, index: RevIdx) -> &str {
        &self.revisions[index].id
    }

    pub fn revisions(&self) -> &[Revision] {
        &self.revisions
    }

    /// Ids and labels in Alembic's map order (ids in load order, then labels): the candidates
    /// for prefix matching, listed in that order in errors. Walked from the revisions when a
    /// prefix is resolved, rather than every id and label copied into a list up front.
    pub(crate) fn lookup_keys(&self) -> impl Iterator<Item = (&str, RevIdx)> + '_ {
        let ids = self
            .revisions
            .iter()
            .enumerate()
            .map(|(index, revision)| (revision.id.as_str(), index));
        let labels = self
            .revisions
            .iter()
            .enumerate()
            .flat_map(|(index, revision)| {
                revision
                    .branch_labels
                    .iter()
                    .map(move |label| (label.as_str(), index))
            });
        ids.chain(labels)
    }

    /// The exact id, if it is one.
    pub fn index_of(&self, id: &str) -> Option<RevIdx> {
        self.by_id.get(id).copied()
    }

    /// Parents by down_revision.
    pub fn down_revisions(&self, index: RevIdx) -> &[RevIdx] {
        &self.down[index]
    }

    /// Resolved `depends_on`.
    pub fn dependencies(&self, index: RevIdx) -> &[RevIdx] {
        &self.dependencies[index]
    }

    /// `depends_on` less what an ancestor already depends on.
    pub fn normalized_dependencies(&self, index: RevIdx) -> &[RevIdx] {
        &self.normalized_dependencies[index]
    }

    /// down_revision plus the dependencies no ancestor already implies (Alembic's
    /// `_normalized_down_revisions`): what a step moves the version table from.
    pub fn normalized_down_revisions(&self, index: RevIdx) -> Vec<RevIdx> {
        let mut all = self.down[index].clone();
        for &dep in &self.normalized_dependencies[index] {
            if !all.contains(&dep) {
                all.push(dep);
            }
        }
        all
    }

    /// Children by down_revision.
    pub fn next_revisions(&self, index: RevIdx) -> &[RevIdx] {
        &self.next[index]
    }

    /// Labels of the revision, declared and inherited.
    pub fn branch_labels(&self, index: RevIdx) -> &BTreeSet<String> {
        &self.label_sets[self.label_set[index] as usize]
    }

    /// Heads by down_revision only, in load order.
    pub fn heads(&self) -> &[RevIdx] {
        &self.heads
    }

    /// Heads with dependencies considered: a head another revision depends on is not one.
    pub fn real_heads(&self) -> &[RevIdx] {
        &self.real_heads
    }

    pub fn bases(&self) -> &[RevIdx] {
        &self.bases
    }

    pub fn is_head(&self, index: RevIdx) -> bool {
        self.next[index].is_empty()
    }

    pub fn is_base(&self, index: RevIdx) -> bool {
        self.down[index].is_empty()
    }

    pub fn is_branch_point(&self, index: RevIdx) -> bool {
        self.next[index].len() > 1
    }

    pub fn is_merge_point(&self, index: RevIdx) -> bool {
        self.down[index].len() > 1
    }

    /// The targets and all their ancestors (each once, targets first). With
    /// `include_dependencies` the walk follows normalized dependencies too.
    pub fn ancestors(&self, targets: &[RevIdx], include_dependencies: bool) -> Vec<RevIdx> {
        self.walk_related(targets, |index, out| {
            out.extend_from_slice(&self.down[index]);
            if include_dependencies {
                out.extend_from_slice(&self.normalized_dependencies[index]);
            }
        })
    }

    /// The targets and all their descendants (each once, targets first). With
    /// `include_dependencies` revisions that depend on them count as descendants.
    pub fn descendants(&self, targets: &[RevIdx], include_dependencies: bool) -> Vec<RevIdx> {
        self.walk_related(targets, |index, out| {
            out.extend_from_slice(if include_dependencies {
                &self.all_next[index]
            } else {
                &self.next[index]
            })
        })
    }

    /// Depth-first walk from each target in turn, each revision yielded once; the same order as
    /// Alembic's `_iterate_related_revisions`, which the branch-label walk depends on.
    fn walk_related(
        &self,
        targets: &[RevIdx],
        related: impl Fn(RevIdx, &mut Vec<RevIdx>),
    ) -> Vec<RevIdx> {
        let mut seen = vec![false; self.revisions.len()];
        let mut out = Vec::new();
        let mut todo = Vec::new();
        for &target in targets {
            todo.push(target);
            while let Some(index) = todo.pop() {
                if seen[index] {
                    continue;
                }
                seen[index] = true;
                // Straight onto the stack, in the same order as through a buffer before.
                related(index, &mut todo);
                out.push(index);
            }
        }
        out
    }

    /// Membership mask of `ancestors(targets, true)`.
    /// Parents along normalized down revisions, without allocating.
    fn normalized_parents(&self, index: RevIdx) -> impl Iterator<Item = RevIdx> + '_ {
        self.down[index]
            .iter()
            .chain(&self.normalized_dependencies[index])
            .copied()
    }

    fn compute_depths(&self) -> Vec<u32> {
        let n = self.revisions.len();
        let mut pending: Vec<usize> = (0..n).map(|i| self.normalized_parents(i).count()).collect();
        let mut children: Vec<Vec<RevIdx>> = vec![Vec::new(); n];
        for child in 0..n {
            for parent in self.normalized_parents(child) {
                children[parent].push(child);
            }
        }
        let mut depth = vec![0u32; n];
        let mut ready: Vec<RevIdx> = (0..n).filter(|&i| pending[i] == 0).collect();
        while let Some(index) = ready.pop() {
            for &child in &children[index] {
                depth[child] = depth[child].max(depth[index] + 1);
                pending[child] -= 1;
                if pending[child] == 0 {
                    ready.push(child);
                }
            }
        }
        depth
    }

    /// Whether `ancestor` is `descendant` or one of its ancestors, dependencies included.
    /// The search below `descendant` stops at the ancestor's depth, so it visits only the
    /// revisions between the two instead of the whole history.
    pub fn is_ancestor(&self, ancestor: RevIdx, descendant: RevIdx) -> bool {
        if ancestor == descendant {
            return true;
        }
        let floor = self.depth[ancestor];
        if self.depth[descendant] <= floor {
            return false;
        }
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![descendant];
        while let Some(index) = stack.pop() {
            for parent in self.normalized_parents(index) {
                if parent == ancestor {
                    return true;
                }
                if self.depth[parent] > floor && seen.insert(parent) {
                    stack.push(parent);
                }
            }
        }
        false
    }

    pub(crate) fn ancestor_mask(&self, targets: &[RevIdx]) -> Vec<bool> {
        let mut mask = vec![false; self.revisions.len()];
        for index in self.ancestors(targets, true) {
            mask[index] = true;
        }
        mask
    }

    /// Whether `target` is an ancestor or descendant (by down_revision) of any of `others`.
    pub fn shares_lineage(&self, target: RevIdx, others: &[RevIdx]) -> bool {
        if others.is_empty() {
            return true;
        }
        let related = self
            .descendants(&[target], false)
            .into_iter()
            .chain(self.ancestors(&[target], false));
        let mut mask = vec![false; self.revisions.len()];
        for index in related {
            mask[index] = true;
        }
        others.iter().any(|&other| mask[other])
    }

    /// Revisions of `targets` that share lineage with the branch named by `label` (a branch
    /// label or a revision), keeping their order.
    pub fn filter_for_lineage(
        &self,
        targets: &[RevIdx],
        label: &str,
    ) -> Result<Vec<RevIdx>, GraphError> {
        let against = self.lineage_anchors(label)?;
        Ok(targets
            .iter()
            .copied()
            .filter(|&t| self.shares_lineage(t, &against))
            .collect())
    }

    /// Revisions sorted topologically, lower first, ties broken by load order: a plain
    /// depth-first order over `down` + dependencies, for listings like `history`.
    pub fn topological_order(&self) -> Vec<RevIdx> {
        let n = self.revisions.len();
        let mut remaining_parents: Vec<usize> = (0..n)
            .map(|i| self.normalized_down_revisions(i).len())
            .collect();
        let mut children: Vec<Vec<RevIdx>> = vec![Vec::new(); n];
        for child in 0..n {
            for parent in self.normalized_down_revisions(child) {
                children[parent].push(child);
            }
        }
        let mut ready: BTreeSet<RevIdx> = (0..n).filter(|&i| remaining_parents[i] == 0).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(index) = ready.pop_first() {
            order.push(index);
            for &child in &children[index] {
                remaining_parents[child] -= 1;
                if remaining_parents[child] == 0 {
                    ready.insert(child);
                }
            }
        }
        order
    }
}

/// Alembic refuses a revision that names itself (`LoopDetected`, `DependencyLoopDetected`) before
/// building the map, and names only that revision, where the cycle check below would also name
/// everything above it.
fn detect_self_loops(revisions: &[Revision]) -> Result<(), GraphError> {
    for revision in revisions {
        let kind = if revision.down_revisions.contains(&revision.id) {
            "Self-loop"
        } else if revision.depends_on.contains(&revision.id) {
            "Dependency self-loop"
        } else {
            continue;
        };
        return Err(GraphError::Cycle {
            kind,
            revisions: vec![revision.id.clone()],
        });
    }
    Ok(())
}

/// Kahn's algorithm over down_revision (and, when given, dependency) edges: whatever is left
/// unsorted sits on or above a cycle.
fn detect_cycles(
    revisions: &[Revision],
    down: &[Vec<RevIdx>],
    dependencies: &[Vec<RevIdx>],
) -> Result<(), GraphError> {
    let n = revisions.len();
    let parents = |i: RevIdx| {
        down[i]
            .iter()
            .chain(dependencies.get(i).map(|d| d.as_slice()).unwrap_or(&[]))
            .copied()
    };
    let mut pending: Vec<usize> = vec![0; n];
    let mut children: Vec<Vec<RevIdx>> = vec![Vec::new(); n];
    for (child, count) in pending.iter_mut().enumerate() {
        for parent in parents(child) {
            *count += 1;
            children[parent].push(child);
        }
    }
    let mut ready: Vec<RevIdx> = (0..n).filter(|&i| pending[i] == 0).collect();
    let mut sorted = 0;
    while let Some(index) = ready.pop() {
        sorted += 1;
        for &child in &children[index] {
            pending[child] -= 1;
            if pending[child] == 0 {
                ready.push(child);
            }
        }
    }
    if sorted == n {
        return Ok(());
    }
    let mut stuck: Vec<String> = (0..n)
        .filter(|&i| pending[i] > 0)
        .map(|i| revisions[i].id.clone())
        .collect();
    stuck.sort();
    Err(GraphError::Cycle {
        kind: if dependencies.is_empty() {
            "Cycle"
        } else {
            "Dependency cycle"
        },
        revisions: stuck,
    })
}

#[cfg(test)]
pub(crate) mod tests;
