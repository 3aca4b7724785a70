//! Alembic's `tests/test_revision.py` resolution cases (heads, bases, labels, `label@...`,
//! prefixes, walks, normalized dependencies, loop and cycle detection), ported case by case.
//! Each test is named after the Alembic class and test it ports; the few that port no Alembic
//! test say so. Ordering cases (`iterate_revisions`) live with the planner in `plan/tests.rs`.
//!
//! The helpers are `pub(crate)` so that the planner tests build graphs the same way.

use super::{GraphError, RevIdx, RevisionMap, Walked};
use crate::revision::Revision;

/// A revision with parents, for graphs that also need labels or dependencies.
pub(crate) fn rev(id: &str, downs: &[&str]) -> Revision {
    Revision::new(id, downs)
}

/// Builds a map from revisions in load order; panics on a graph error.
#[track_caller]
pub(crate) fn build_revs(revisions: Vec<Revision>) -> RevisionMap {
    match RevisionMap::new(revisions) {
        Ok(map) => map,
        Err(e) => panic!("graph should build: {e}"),
    }
}

/// Builds a map from `(id, down_revisions)` pairs in load order.
#[track_caller]
pub(crate) fn build(specs: &[(&str, &[&str])]) -> RevisionMap {
    build_revs(specs.iter().map(|(id, downs)| rev(id, downs)).collect())
}

/// The ids of `revisions`, in their order.
pub(crate) fn ids(map: &RevisionMap, revisions: &[RevIdx]) -> Vec<String> {
    revisions.iter().map(|&r| map.id(r).to_string()).collect()
}

/// The revision of an exact id; panics when absent.
#[track_caller]
pub(crate) fn idx(map: &RevisionMap, id: &str) -> RevIdx {
    map.index_of(id)
        .unwrap_or_else(|| panic!("no revision '{id}'"))
}

/// `get_revision(spec)` as an id (`None` for base).
#[track_caller]
fn get(map: &RevisionMap, spec: &str) -> Option<String> {
    match map.get_revision(spec) {
        Ok(found) => found.map(|r| map.id(r).to_string()),
        Err(e) => panic!("get_revision({spec}) failed: {e}"),
    }
}

/// `get_revisions(spec)` as ids.
#[track_caller]
fn get_all(map: &RevisionMap, spec: &str) -> Vec<String> {
    match map.get_revisions(spec) {
        Ok(found) => ids(map, &found),
        Err(e) => panic!("get_revisions({spec}) failed: {e}"),
    }
}

/// The reason a resolution failed (Alembic's `ResolutionError` text).
#[track_caller]
fn resolution_error(result: Result<Option<RevIdx>, GraphError>) -> String {
    match result {
        Err(GraphError::Resolution { reason, .. }) => reason,
        other => panic!("expected a resolution error, got {other:?}"),
    }
}

#[track_caller]
fn assert_multiple_heads<T: std::fmt::Debug>(
    result: Result<T, GraphError>,
    argument: &str,
    heads: &[&str],
) {
    match result {
        Err(GraphError::MultipleHeads {
            argument: arg,
            heads: found,
        }) => {
            assert_eq!(arg, argument);
            assert_eq!(found, heads);
        }
        other => panic!("expected MultipleHeads, got {other:?}"),
    }
}

/// The error `RevisionMap::new` reports for a broken graph.
#[track_caller]
fn build_error(revisions: Vec<Revision>) -> GraphError {
    match RevisionMap::new(revisions) {
        Err(e) => e,
        Ok(_) => panic!("graph should have been refused"),
    }
}

#[track_caller]
fn assert_cycle(revisions: Vec<Revision>, kind: &str, members: &[&str]) {
    match build_error(revisions) {
        GraphError::Cycle {
            kind: found,
            revisions,
        } => {
            assert_eq!(found, kind);
            assert_eq!(revisions, members);
        }
        other => panic!("expected a {kind} error, got {other:?}"),
    }
}

fn abc() -> RevisionMap {
    build(&[("a", &[]), ("b", &["a"]), ("c", &["b"])])
}

fn abc1c2() -> RevisionMap {
    build(&[("a", &[]), ("b", &["a"]), ("c1", &["b"]), ("c2", &["b"])])
}

// ---- APITest ----

/// Alembic adds `d` to a built map; rmig builds maps whole, so the port checks the heads of the
/// map that results.
#[test]
fn api_add_revision_one_head() {
    assert_eq!(ids(&abc(), abc().heads()), ["c"]);
    let map = build(&[("a", &[]), ("b", &["a"]), ("c", &["b"]), ("d", &["c"])]);
    assert_eq!(ids(&map, map.heads()), ["d"]);
}

#[test]
fn api_add_revision_two_head() {
    let map = abc1c2();
    assert_eq!(ids(&map, map.heads()), ["c1", "c2"]);
    let map = build(&[
        ("a", &[]),
        ("b", &["a"]),
        ("c1", &["b"]),
        ("c2", &["b"]),
        ("d1", &["c1"]),
    ]);
    assert_eq!(ids(&map, map.heads()), ["c2", "d1"]);
}

#[test]
fn api_get_revision_head_single() {
    assert_eq!(get(&abc(), "head").as_deref(), Some("c"));
}

#[test]
fn api_get_revision_base_single() {
    assert_eq!(get(&abc(), "base"), None);
}

#[test]
fn api_get_revision_head_multiple() {
    let map = abc1c2();
    assert_multiple_heads(map.get_revision("head"), "head", &["c1", "c2"]);
}

#[test]
fn api_get_revision_heads_multiple() {
    let map = abc1c2();
    assert_multiple_heads(map.get_revision("heads"), "heads", &["c1", "c2"]);
}

#[test]
fn api_get_revisions_head_multiple() {
    let map = abc1c2();
    assert_multiple_heads(map.get_revisions("head"), "head", &["c1", "c2"]);
}

#[test]
fn api_get_revisions_heads_multiple() {
    assert_eq!(get_all(&abc1c2(), "heads"), ["c1", "c2"]);
}

#[test]
fn api_get_revision_base_multiple() {
    let map = build(&[("a", &[]), ("b", &["a"]), ("c", &[]), ("d", &["c"])]);
    assert_eq!(get(&map, "base"), None);
    assert_eq!(ids(&map, map.bases()), ["a", "c"]);
}

// ---- LabeledBranchTest ----

/// Alembic's LabeledBranchTest graph: two labelled lines (shared with the planner's tests).
pub(crate) fn labeled() -> RevisionMap {
    build_revs(vec![
        rev("a", &[]).with_branch_labels(&["abranch"]),
        rev("b", &["a"]),
        rev("somelongername", &["b"]),
        rev("c", &["somelongername"]),
        rev("d", &[]),
        rev("e", &["d"]).with_branch_labels(&["ebranch"]),
        rev("someothername", &["e"]),
        rev("f", &["someothername"]),
    ])
}

#[test]
fn labeled_branch_dupe_branch_collection() {
    let error = build_error(vec![
        rev("a", &[]),
        rev("b", &["a"]),
        rev("c", &["b"]).with_branch_labels(&["xy1"]),
        rev("d", &[]),
        rev("e", &["d"]).with_branch_labels(&["xy1"]),
        rev("f", &["e"]),
    ]);
    match &error {
        GraphError::DuplicateBranchLabel {
            label,
            revision,
            other,
            ..
        } => {
            assert_eq!(
                (label.as_str(), revision.as_str(), other.as_str()),
                ("xy1", "e", "c")
            );
        }
        other => panic!("expected DuplicateBranchLabel, got {other:?}"),
    }
    assert!(
        error
            .to_string()
            .contains("branch name 'xy1' in revision e already used by revision c"),
        "{error}"
    );
}

#[test]
fn labeled_branch_filter_for_lineage_labeled_head_across_merge() {
    let map = build_revs(vec![
        rev("a", &[]),
        rev("b", &["a"]),
        rev("c1", &["b"]).with_branch_labels(&["c1branch"]),
        rev("c2", &["b"]),
        rev("d", &["c1", "c2"]),
    ]);
    let targets = [idx(&map, "c1"), idx(&map, "c2"), idx(&map, "d")];
    let filtered = map.filter_for_lineage(&targets, "c1branch@head").unwrap();
    assert_eq!(ids(&map, &filtered), ["c1", "c2", "d"]);
}

#[test]
fn labeled_branch_filter_for_lineage_heads() {
    let map = labeled();
    let filtered = map.filter_for_lineage(&[idx(&map, "f")], "heads").unwrap();
    assert_eq!(ids(&map, &filtered), ["f"]);
}

/// Alembic's `_get_base_revisions(x)` is `filter_for_lineage(bases, x)`.
#[test]
fn labeled_branch_get_base_revisions_labeled() {
    let map = labeled();
    let bases = map
        .filter_for_lineage(map.bases(), "somelongername@base")
        .unwrap();
    assert_eq!(ids(&map, &bases), ["a"]);
}

#[test]
fn labeled_branch_get_current_named_rev() {
    assert_eq!(get(&labeled(), "ebranch@head").as_deref(), Some("f"));
}

#[test]
fn labeled_branch_get_base_revisions() {
    let map = labeled();
    let bases = map.filter_for_lineage(map.bases(), "base").unwrap();
    assert_eq!(ids(&map, &bases), ["a", "d"]);
}

#[test]
fn labeled_branch_partial_id_resolve() {
    let map = labeled();
    assert_eq!(get(&map, "ebranch@some").as_deref(), Some("someothername"));
    assert_eq!(get(&map, "abranch@some").as_deref(), Some("somelongername"));
}

#[test]
fn labeled_branch_partial_id_resolve_too_short() {
    let map = labeled();
    assert_eq!(
        resolution_error(map.get_revision("ebranch@sos")),
        "No such revision or branch 'sos'; please ensure at least four characters are present for partial revision identifier matches"
    );
}

#[test]
fn labeled_branch_branch_at_heads() {
    assert_eq!(get(&labeled(), "abranch@heads").as_deref(), Some("c"));
}

#[test]
fn labeled_branch_branch_at_syntax() {
    let map = labeled();
    assert_eq!(get(&map, "abranch@head").as_deref(), Some("c"));
    assert_eq!(get(&map, "abranch@base"), None);
    assert_eq!(get(&map, "ebranch@head").as_deref(), Some("f"));
    assert_eq!(get(&map, "ebranch@d").as_deref(), Some("d"));
}

#[test]
fn labeled_branch_branch_at_self() {
    assert_eq!(get(&labeled(), "ebranch@ebranch").as_deref(), Some("e"));
}

#[test]
fn labeled_branch_retrieve_branch_revision() {
    let map = labeled();
    assert_eq!(get(&map, "abranch").as_deref(), Some("a"));
    assert_eq!(get(&map, "ebranch").as_deref(), Some("e"));
}

#[test]
fn labeled_branch_rev_not_in_branch() {
    let map = labeled();
    assert_eq!(
        resolution_error(map.get_revision("ebranch@b")),
        "Revision b is not a member of branch 'ebranch'"
    );
    assert_eq!(
        resolution_error(map.get_revision("abranch@d")),
        "Revision d is not a member of branch 'abranch'"
    );
}

#[test]
fn labeled_branch_actually_short_rev_name() {
    assert_eq!(get(&labeled(), "e").as_deref(), Some("e"));
}

#[test]
fn labeled_branch_no_revision_exists() {
    let map = labeled();
    assert_eq!(
        resolution_error(map.get_revision("abranch@qprstuv")),
        "No such revision or branch 'qprstuv'"
    );
    assert_eq!(
        resolution_error(map.get_revision("abranch@qpr")),
        "No such revision or branch 'qpr'; please ensure at least four characters are present for partial revision identifier matches"
    );
}

#[test]
fn labeled_branch_not_actually_a_branch() {
    assert_eq!(get(&labeled(), "e@d").as_deref(), Some("d"));
}

#[test]
fn labeled_branch_not_actually_a_branch_partial_resolution() {
    assert_eq!(get(&labeled(), "someoth@d").as_deref(), Some("d"));
}

#[test]
fn labeled_branch_no_such_branch() {
    assert_eq!(
        resolution_error(labeled().get_revision("x@d")),
        "No such branch: 'x'"
    );
}

/// Not an Alembic test: labels are inherited along the branch (Alembic's `_add_branches`),
/// which is what makes `abranch@some` and `ebranch@-2` work above.
#[test]
fn labeled_branch_labels_are_inherited() {
    let map = labeled();
    let labels = |id: &str| {
        map.branch_labels(idx(&map, id))
            .iter()
            .cloned()
            .collect::<Vec<_>>()
    };
    for id in ["a", "b", "somelongername", "c"] {
        assert_eq!(labels(id), ["abranch"], "{id}");
    }
    for id in ["d", "e", "someothername", "f"] {
        assert_eq!(labels(id), ["ebranch"], "{id}");
    }
}

/// Not an Alembic test: `label@-N` in `get_revisions` walks down from the heads on that branch.
#[test]
fn labeled_branch_relative_down_from_heads() {
    let map = labeled();
    assert_eq!(get_all(&map, "ebranch@-1"), ["someothername"]);
    assert_eq!(get_all(&map, "ebranch@-2"), ["e"]);
}

/// Not an Alembic test (the message is `_revision_for_ident`'s): at most three candidates,
/// then "...".
#[test]
fn ambiguous_prefix_lists_three_candidates() {
    let map = build(&[
        ("a", &[]),
        ("b", &["a"]),
        ("ae10aa", &[]),
        ("ae10bb", &[]),
        ("ae10cc", &[]),
        ("ae10dd", &[]),
    ]);
    assert_eq!(
        resolution_error(map.get_revision("ae10")),
        "Multiple revisions start with 'ae10': 'ae10aa', 'ae10bb', 'ae10cc'..."
    );
    assert_eq!(get(&map, "ae10a").as_deref(), Some("ae10aa"));
    let labels = labeled();
    assert_eq!(
        resolution_error(labels.get_revision("some")),
        "Multiple revisions start with 'some': 'somelongername', 'someothername'..."
    );
    // A prefix of a branch label names the revision that declares it.
    assert_eq!(get(&labels, "ebra").as_deref(), Some("e"));
}

// ---- walks (Alembic's `_walk`, used by every `+N` / `-N`) ----

/// Not an Alembic test: `_walk` directly, up, down, past either end, and at a fork.
#[test]
fn walk_up_down_and_overwalk() {
    let map = labeled();
    let at = |id: &str| Walked::Rev(idx(&map, id));
    let walk =
        |start, steps, label, no_overwalk| map.walk(start, steps, label, no_overwalk).unwrap();
    assert_eq!(walk(at("b"), 2, None, true), Some(at("c")));
    assert_eq!(
        walk(Walked::Nowhere, 2, Some("ebranch"), true),
        Some(at("e"))
    );
    assert_eq!(walk(at("c"), 1, None, true), None);
    assert_eq!(walk(at("c"), 1, None, false), Some(at("c")));
    assert_eq!(walk(at("a"), -1, None, true), Some(Walked::Base));
    assert_eq!(walk(at("a"), -2, None, true), None);
    assert!(matches!(
        map.walk(Walked::Nowhere, 1, None, true),
        Err(GraphError::Revision(m)) if m.starts_with("Ambiguous walk: ")
    ));
}

// ---- MultipleBaseCrossDependencyTestOne / Two: heads ----

#[test]
fn multiple_base_cross_dependency_one_what_are_the_heads() {
    let map = build_revs(vec![
        rev("base1", &[]).with_branch_labels(&["b_1"]),
        rev("a1a", &["base1"]),
        rev("a1b", &["base1"]),
        rev("b1a", &["a1a"]),
        rev("b1b", &["a1b"]).with_depends_on(&["a3"]),
        rev("base2", &[]).with_branch_labels(&["b_2"]),
        rev("a2", &["base2"]),
        rev("b2", &["a2"]),
        rev("c2", &["b2"]).with_depends_on(&["a3"]),
        rev("d2", &["c2"]),
        rev("base3", &[]).with_branch_labels(&["b_3"]),
        rev("a3", &["base3"]),
        rev("b3", &["a3"]),
    ]);
    assert_eq!(ids(&map, map.heads()), ["b1a", "b1b", "d2", "b3"]);
}

/// Alembic's MultipleBaseCrossDependencyTestTwo graph: three bases, labels, and
/// dependencies across them (shared with the planner's tests).
pub(crate) fn cross_dependency_two() -> RevisionMap {
    build_revs(vec![
        rev("base1", &[]).with_branch_labels(&["b_1"]),
        rev("a1", &["base1"]),
        rev("b1", &["a1"]),
        rev("c1", &["b1"]),
        rev("base2", &[])
            .with_depends_on(&["b_1"])
            .with_branch_labels(&["b_2"]),
        rev("a2", &["base2"]),
        rev("b2", &["a2"]),
        rev("c2", &["b2"]),
        rev("d2", &["c2"]),
        rev("base3", &[]).with_branch_labels(&["b_3"]),
        rev("a3", &["base3"]),
        rev("b3", &["a3"]),
        rev("c3", &["b3"]).with_depends_on(&["b2"]),
        rev("d3", &["c3"]),
    ])
}

#[test]
fn multiple_base_cross_dependency_two_what_are_the_heads() {
    let map = cross_dependency_two();
    assert_eq!(ids(&map, map.heads()), ["c1", "d2", "d3"]);
    // `heads` as an argument means the real heads: b2 has a dependent, but d2 has none.
    assert_eq!(get_all(&map, "heads"), ["c1", "d2", "d3"]);
    // base2 depends on the revision carrying label b_1.
    assert_eq!(ids(&map, map.dependencies(idx(&map, "base2"))), ["base1"]);
}

// ---- BranchTravellingTest.test_ancestor_nodes ----

#[test]
fn branch_travelling_ancestor_nodes() {
    let map = build(&[
        ("a1", &[]),
        ("a2", &["a1"]),
        ("a3", &["a2"]),
        ("b1", &["a3"]),
        ("b2", &["a3"]),
        ("cb1", &["b1"]),
        ("cb2", &["b2"]),
        ("db1", &["cb1"]),
        ("db2", &["cb2"]),
        ("e1b1", &["db1"]),
        ("fe1b1", &["e1b1"]),
        ("e2b1", &["db1"]),
        ("e2b2", &["db2"]),
        ("merge", &["e2b1", "e2b2"]),
    ]);
    let mut found = ids(&map, &map.ancestors(&[idx(&map, "merge")], true));
    found.sort();
    assert_eq!(
        found,
        ["a1", "a2", "a3", "b1", "b2", "cb1", "cb2", "db1", "db2", "e2b1", "e2b2", "merge"]
    );
}

// ---- NormalizedDownRevTest ----

/// Alembic's NormalizedDownRevTest graph (shared with the planner's tests).
pub(crate) fn normalized() -> RevisionMap {
    build_revs(vec![
        rev("a1", &[]),
        rev("a2", &["a1"]),
        rev("a3", &["a2"]),
        rev("b1", &[]),
        rev("b2", &["b1"]).with_depends_on(&["a3"]),
        rev("b3", &["b2"]),
        rev("b4", &["b3"]).with_depends_on(&["a3"]),
        rev("b5", &["b4"]).with_depends_on(&["b4"]),
    ])
}

#[test]
fn normalized_down_rev_normalized_down_revisions() {
    let map = normalized();
    let b4 = idx(&map, "b4");
    // Alembic's `_all_down_revisions`: down_revision plus every dependency.
    let mut all = ids(&map, map.down_revisions(b4));
    all.extend(ids(&map, map.dependencies(b4)));
    assert_eq!(all, ["b3", "a3"]);
    // "a3" is not included because ancestor b2 is also dependent.
    assert_eq!(ids(&map, &map.normalized_down_revisions(b4)), ["b3"]);
}

#[test]
fn normalized_down_rev_dupe_dependency() {
    let map = normalized();
    let b5 = idx(&map, "b5");
    assert_eq!(ids(&map, &map.normalized_down_revisions(b5)), ["b4"]);
}

// ---- GraphWithLoopTest ----

#[test]
fn graph_with_loop_revision_map_solitary_loop() {
    assert_cycle(vec![rev("a", &["a"])], "Self-loop", &["a"]);
}

#[test]
fn graph_with_loop_revision_map_base_loop() {
    assert_cycle(
        vec![rev("a", &["a"]), rev("b", &["a"]), rev("c", &["b"])],
        "Self-loop",
        &["a"],
    );
}

#[test]
fn graph_with_loop_revision_map_head_loop() {
    assert_cycle(
        vec![rev("a", &[]), rev("b", &["a"]), rev("c", &["b", "c"])],
        "Self-loop",
        &["c"],
    );
}

#[test]
fn graph_with_loop_revision_map_branch_point_loop() {
    assert_cycle(
        vec![
            rev("a", &[]),
            rev("b", &["a", "b"]),
            rev("c1", &["b"]),
            rev("c2", &["b"]),
        ],
        "Self-loop",
        &["b"],
    );
}

#[test]
fn graph_with_loop_revision_map_merge_point_loop() {
    assert_cycle(
        vec![
            rev("a", &[]),
            rev("b1", &["a"]),
            rev("b2", &["a"]),
            rev("c", &["b1", "b2", "c"]),
        ],
        "Self-loop",
        &["c"],
    );
}

#[test]
fn graph_with_loop_revision_map_solitary_dependency_loop() {
    assert_cycle(
        vec![rev("a", &[]).with_depends_on(&["a"])],
        "Dependency self-loop",
        &["a"],
    );
}

#[test]
fn graph_with_loop_revision_map_base_dependency_loop() {
    assert_cycle(
        vec![
            rev("a", &[]).with_depends_on(&["a"]),
            rev("b", &["a"]),
            rev("c", &["b"]),
        ],
        "Dependency self-loop",
        &["a"],
    );
}

#[test]
fn graph_with_loop_revision_map_head_dep_loop() {
    assert_cycle(
        vec![
            rev("a", &[]),
            rev("b", &["a"]),
            rev("c", &["b"]).with_depends_on(&["c"]),
        ],
        "Dependency self-loop",
        &["c"],
    );
}

#[test]
fn graph_with_loop_revision_map_branch_point_dep_loop() {
    assert_cycle(
        vec![
            rev("a", &[]),
            rev("b", &["a"]).with_depends_on(&["b"]),
            rev("c1", &["b"]),
            rev("c2", &["b"]),
        ],
        "Dependency self-loop",
        &["b"],
    );
}

#[test]
fn graph_with_loop_revision_map_merge_point_dep_loop() {
    assert_cycle(
        vec![
            rev("a", &[]),
            rev("b1", &["a"]),
            rev("b2", &["a"]),
            rev("c", &["b1", "b2"]).with_depends_on(&["c"]),
        ],
        "Dependency self-loop",
        &["c"],
    );
}

/// Not an Alembic test: the whole message.
#[test]
fn revision_map_self_loop_message() {
    let error = build_error(vec![rev("a", &["a"])]);
    assert!(
        error
            .to_string()
            .starts_with("Self-loop is detected in revisions (a)"),
        "{error}"
    );
}

// ---- GraphWithCycleTest ----
// rmig names the revisions on or above the cycle (Alembic names every revision it cannot reach
// from both a head and a base, which for the "upper" cases is the whole map).

#[test]
fn graph_with_cycle_revision_map_simple_cycle() {
    assert_cycle(
        vec![rev("a", &["c"]), rev("b", &["a"]), rev("c", &["b"])],
        "Cycle",
        &["a", "b", "c"],
    );
}

#[test]
fn graph_with_cycle_revision_map_extra_simple_cycle() {
    assert_cycle(
        vec![
            rev("a", &["c"]),
            rev("b", &["a"]),
            rev("c", &["b"]),
            rev("d", &[]),
            rev("e", &["d"]),
        ],
        "Cycle",
        &["a", "b", "c"],
    );
}

#[test]
fn graph_with_cycle_revision_map_lower_simple_cycle() {
    assert_cycle(
        vec![
            rev("a", &["c"]),
            rev("b", &["a"]),
            rev("c", &["b"]),
            rev("d", &["c"]),
            rev("e", &["d"]),
        ],
        "Cycle",
        &["a", "b", "c", "d", "e"],
    );
}

#[test]
fn graph_with_cycle_revision_map_upper_simple_cycle() {
    assert_cycle(
        vec![
            rev("a", &[]),
            rev("b", &["a"]),
            rev("c", &["b", "e"]),
            rev("d", &["c"]),
            rev("e", &["d"]),
        ],
        "Cycle",
        &["c", "d", "e"],
    );
}

#[test]
fn graph_with_cycle_revision_map_simple_dep_cycle() {
    assert_cycle(
        vec![
            rev("a", &[]).with_depends_on(&["c"]),
            rev("b", &["a"]),
            rev("c", &["b"]),
        ],
        "Dependency cycle",
        &["a", "b", "c"],
    );
}

#[test]
fn graph_with_cycle_revision_map_extra_simple_dep_cycle() {
    assert_cycle(
        vec![
            rev("a", &[]).with_depends_on(&["c"]),
            rev("b", &["a"]),
            rev("c", &["b"]),
            rev("d", &[]),
            rev("e", &["d"]),
        ],
        "Dependency cycle",
        &["a", "b", "c"],
    );
}

#[test]
fn graph_with_cycle_revision_map_lower_simple_dep_cycle() {
    assert_cycle(
        vec![
            rev("a", &[]).with_depends_on(&["c"]),
            rev("b", &["a"]),
            rev("c", &["b"]),
            rev("d", &["c"]),
            rev("e", &["d"]),
        ],
        "Dependency cycle",
        &["a", "b", "c", "d", "e"],
    );
}

#[test]
fn graph_with_cycle_revision_map_upper_simple_dep_cycle() {
    assert_cycle(
        vec![
            rev("a", &[]),
            rev("b", &["a"]),
            rev("c", &["b"]).with_depends_on(&["e"]),
            rev("d", &["c"]),
            rev("e", &["d"]),
        ],
        "Dependency cycle",
        &["c", "d", "e"],
    );
}

/// Not an Alembic test: the whole message.
#[test]
fn revision_map_cycle_message() {
    let error = build_error(vec![rev("a", &["c"]), rev("b", &["a"]), rev("c", &["b"])]);
    assert!(
        error
            .to_string()
            .starts_with("Cycle is detected in revisions (a, b, c)"),
        "{error}"
    );
}

/// GraphWithLoopTest.test_revision_map_no_loop_w_overlapping_substrings(_dependencies): ids
/// that are prefixes of each other are no loop.
#[test]
fn graph_with_loop_revision_map_no_loop_w_overlapping_substrings() {
    let map = build(&[("user_foo", &[]), ("user", &["user_foo"])]);
    assert_eq!(ids(&map, map.heads()), ["user"]);
    let map = build_revs(vec![
        rev("user_foo", &[]),
        rev("user", &[]).with_depends_on(&["user_foo"]),
    ]);
    assert_eq!(ids(&map, map.real_heads()), ["user"]);
    assert_eq!(get(&map, "user").as_deref(), Some("user"));
}
