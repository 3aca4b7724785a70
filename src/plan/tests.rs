//! Alembic's traversal cases, ported case by case: the ordering cases of
//! `tests/test_revision.py` (`iterate_revisions` and `_topological_sort`) and the
//! upgrade/downgrade step lists and version-table rows of `tests/test_version_traversal.py`.
//! Each test is named after the Alembic class and test it ports.
//!
//! How an Alembic call maps onto rmig:
//! - `_upgrade_revs(dest, current)` (`iterate_revisions(..., implicit_base=True)`) is
//!   [`upgrade`]; `_downgrade_revs` (`select_for_downgrade=True`) is [`downgrade`].
//! - `iterate_revisions(upper, lower, inclusive=True)` with string arguments is
//!   [`walk_range`] (`history -r lower:upper`).
//! - `_stamp_revs` is [`stamp`].
//! - A case whose Alembic selection has no rmig counterpart (several targets given as a list,
//!   `inclusive=False` without `implicit_base`, `implicit_base` on a downgrade) keeps Alembic's
//!   selection as given and checks that `_topological_sort` orders it exactly as Alembic does.
//!
//! Steps are written `"<revision>: <changes>"`, a change being `+x` (INSERT x), `-x` (DELETE x)
//! or `x->y` (UPDATE x to y), in the order they run. Where Alembic's order within a merge or
//! unmerge varies from run to run, rmig's fixed order (down_revision order: all but the last
//! parent deleted or inserted, the last one updated) is asserted; the resulting rows are
//! Alembic's. Every plan is also replayed against its start rows the way the database runs it:
//! an INSERT of a present row, or an UPDATE or DELETE that matches no row, fails the test.

use std::collections::BTreeSet;

use super::heads::plan_steps;
use super::order::topological_sort;
use super::{
    downgrade, stamp, upgrade, walk_range, Direction, Plan, PlanError, StampStep, VersionChange,
};
use crate::graph::tests::{
    build, build_revs, cross_dependency_two, ids, idx, labeled, normalized, rev,
};
use crate::graph::{GraphError, RevIdx, RevisionMap};

// ---- helpers ----

fn rows(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

fn idxs(map: &RevisionMap, ids: &[&str]) -> Vec<RevIdx> {
    ids.iter().map(|id| idx(map, id)).collect()
}

/// A step's statements: `+x`, `-x`, `x->y`, space-separated.
fn render_changes(changes: &[VersionChange]) -> String {
    changes
        .iter()
        .map(|change| match change {
            VersionChange::Insert { version } => format!("+{version}"),
            VersionChange::Delete { version } => format!("-{version}"),
            VersionChange::Update { from, to } => format!("{from}->{to}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `"<revision>: <changes>"` for each step.
fn render(map: &RevisionMap, plan: &Plan) -> Vec<String> {
    plan.steps
        .iter()
        .map(|step| {
            format!(
                "{}: {}",
                map.id(step.revision),
                render_changes(&step.version_changes)
            )
        })
        .collect()
}

/// Runs the plan's statements against its start rows as the database would (each INSERT adds
/// a new row, each UPDATE and DELETE matches exactly one row); the rows after each step.
#[track_caller]
fn replay(plan: &Plan) -> Vec<BTreeSet<String>> {
    let steps: Vec<&[VersionChange]> = plan
        .steps
        .iter()
        .map(|s| s.version_changes.as_slice())
        .collect();
    replay_changes(&plan.start_heads, &steps)
}

#[track_caller]
fn replay_changes(start: &[String], steps: &[&[VersionChange]]) -> Vec<BTreeSet<String>> {
    let mut table: BTreeSet<String> = start.iter().cloned().collect();
    let mut after = Vec::new();
    for &changes in steps {
        for change in changes {
            match change {
                VersionChange::Insert { version } => {
                    assert!(
                        table.insert(version.clone()),
                        "INSERT of present row {version}"
                    );
                }
                VersionChange::Delete { version } => {
                    assert!(table.remove(version), "DELETE of absent row {version}");
                }
                VersionChange::Update { from, to } => {
                    assert!(table.remove(from), "UPDATE of absent row {from}");
                    assert!(table.insert(to.clone()), "UPDATE onto present row {to}");
                }
            }
        }
        after.push(table.clone());
    }
    after
}

/// Each revision's parents (and dependencies) that are in `order` come after it: `order` is
/// upper first. Alembic's `DownIterateTest` checks the same partial order.
#[track_caller]
fn assert_upper_first(map: &RevisionMap, order: &[RevIdx]) {
    let position = |r: RevIdx| order.iter().position(|&o| o == r);
    for (at, &revision) in order.iter().enumerate() {
        for down in map.normalized_down_revisions(revision) {
            if let Some(below) = position(down) {
                assert!(
                    below > at,
                    "{} is listed above {}",
                    map.id(down),
                    map.id(revision)
                );
            }
        }
    }
}

#[track_caller]
fn check_plan(
    map: &RevisionMap,
    plan: &Plan,
    direction: Direction,
    steps: &[&str],
    heads: &[&str],
) {
    assert_eq!(render(map, plan), steps);
    assert!(plan.steps.iter().all(|s| s.direction == direction));
    let mut order: Vec<RevIdx> = plan.steps.iter().map(|s| s.revision).collect();
    if direction == Direction::Upgrade {
        order.reverse();
    }
    assert_upper_first(map, &order);
    let end: BTreeSet<String> = plan.end_heads.iter().cloned().collect();
    assert_eq!(
        end.len(),
        plan.end_heads.len(),
        "duplicate rows in {:?}",
        plan.end_heads
    );
    let replayed = replay(plan)
        .pop()
        .unwrap_or_else(|| plan.start_heads.iter().cloned().collect());
    assert_eq!(replayed, end, "end_heads disagree with the statements");
    let expected: BTreeSet<String> = heads.iter().map(|h| h.to_string()).collect();
    assert_eq!(end, expected, "end rows");
}

/// `upgrade <target>` from the rows `current`: the steps (with their row changes) and the
/// rows left.
#[track_caller]
fn check_upgrade(
    map: &RevisionMap,
    current: &[&str],
    target: &str,
    steps: &[&str],
    heads: &[&str],
) -> Plan {
    let plan =
        upgrade(map, &rows(current), target).unwrap_or_else(|e| panic!("upgrade {target}: {e}"));
    check_plan(map, &plan, Direction::Upgrade, steps, heads);
    plan
}

#[track_caller]
fn check_downgrade(
    map: &RevisionMap,
    current: &[&str],
    target: &str,
    steps: &[&str],
    heads: &[&str],
) -> Plan {
    let plan = downgrade(map, &rows(current), target)
        .unwrap_or_else(|e| panic!("downgrade {target}: {e}"));
    check_plan(map, &plan, Direction::Downgrade, steps, heads);
    plan
}

#[track_caller]
fn upgrade_error(map: &RevisionMap, current: &[&str], target: &str) -> PlanError {
    match upgrade(map, &rows(current), target) {
        Err(e) => e,
        Ok(plan) => panic!(
            "upgrade {target} should fail, planned {:?}",
            render(map, &plan)
        ),
    }
}

#[track_caller]
fn downgrade_error(map: &RevisionMap, current: &[&str], target: &str) -> PlanError {
    match downgrade(map, &rows(current), target) {
        Err(e) => e,
        Ok(plan) => panic!(
            "downgrade {target} should fail, planned {:?}",
            render(map, &plan)
        ),
    }
}

/// Replays the given steps one by one (Alembic's tests that drive `HeadMaintainer` directly);
/// the changes of each step and the rows after it.
#[track_caller]
fn check_steps(
    map: &RevisionMap,
    start: &[&str],
    direction: Direction,
    steps: &[(&str, &str, &[&str])],
) {
    let order: Vec<RevIdx> = steps.iter().map(|(id, _, _)| idx(map, id)).collect();
    let plan = plan_steps(map, &rows(start), order, direction);
    let expected: Vec<String> = steps
        .iter()
        .map(|(id, changes, _)| format!("{id}: {changes}"))
        .collect();
    assert_eq!(render(map, &plan), expected);
    let after: Vec<Vec<String>> = replay(&plan)
        .into_iter()
        .map(|s| s.into_iter().collect())
        .collect();
    let expected_after: Vec<Vec<String>> = steps.iter().map(|(_, _, heads)| rows(heads)).collect();
    assert_eq!(after, expected_after);
}

/// Alembic's `iterate_revisions(upper, lower, inclusive=True)`: [`walk_range`], upper first.
#[track_caller]
fn check_range(map: &RevisionMap, lower: &str, upper: &str, expected: &[&str]) {
    let order = walk_range(map, Some(lower), Some(upper))
        .unwrap_or_else(|e| panic!("range {lower}:{upper}: {e}"));
    assert_eq!(ids(map, &order), expected);
    assert_upper_first(map, &order);
}

#[track_caller]
fn range_error(map: &RevisionMap, lower: &str, upper: &str) -> String {
    match walk_range(map, Some(lower), Some(upper)) {
        Err(e) => e.to_string(),
        Ok(order) => panic!(
            "range {lower}:{upper} should fail, got {:?}",
            ids(map, &order)
        ),
    }
}

/// `stamp <targets>` from the rows `current`: each stamp step's statements and the rows left.
#[track_caller]
fn check_stamp(
    map: &RevisionMap,
    current: &[&str],
    targets: &[&str],
    steps: &[&str],
    heads: &[&str],
) -> Vec<StampStep> {
    let planned = stamp(map, &rows(current), &rows(targets), false)
        .unwrap_or_else(|e| panic!("stamp {targets:?}: {e}"));
    let rendered: Vec<String> = planned
        .iter()
        .map(|s| render_changes(&s.version_changes))
        .collect();
    assert_eq!(rendered, steps);
    let changes: Vec<&[VersionChange]> = planned
        .iter()
        .map(|s| s.version_changes.as_slice())
        .collect();
    let end = replay_changes(&rows(current), &changes)
        .pop()
        .unwrap_or_else(|| current.iter().map(|c| c.to_string()).collect());
    let expected: BTreeSet<String> = heads.iter().map(|h| h.to_string()).collect();
    assert_eq!(end, expected, "rows after the stamp");
    planned
}

/// `_topological_sort(revisions, heads)` for a selection Alembic makes and rmig has no
/// command for: the order alone.
#[track_caller]
fn check_order(map: &RevisionMap, heads: &[&str], expected: &[&str]) {
    let order = topological_sort(map, &idxs(map, expected), &idxs(map, heads));
    assert_eq!(ids(map, &order), expected);
    assert_upper_first(map, &order);
}

fn relative_shortfall(steps: &str) -> PlanError {
    let count = steps.trim_start_matches(['+', '-']);
    PlanError::Graph(GraphError::Revision(format!(
        "Relative revision {steps} didn't produce {count} migrations"
    )))
}

// =====================================================================================
// tests/test_revision.py
// =====================================================================================

// ---- APITest ----

#[test]
fn api_iterate_tolerates_dupe_targets() {
    let map = build(&[("a", &[]), ("b", &["a"]), ("c", &["b"])]);
    // iterate_revisions(("c", "c"), "a", inclusive=False): the sort takes the duplicate head once.
    check_order(&map, &["c", "c"], &["c", "b"]);
    check_upgrade(&map, &["a"], "c", &["b: a->b", "c: b->c"], &["c"]);
    // The same with a duplicated current row.
    check_upgrade(&map, &["a", "a"], "c", &["b: a->b", "c: b->c"], &["c"]);
}

// ---- DiamondTest ----

#[test]
fn diamond_iterate_simple_diamond() {
    let map = build(&[
        ("a", &[]),
        ("b1", &["a"]),
        ("b2", &["a"]),
        ("c", &["b1", "b2"]),
        ("d", &["c"]),
    ]);
    check_range(&map, "a", "d", &["d", "c", "b1", "b2", "a"]);
    check_upgrade(
        &map,
        &[],
        "d",
        &["a: +a", "b2: a->b2", "b1: +b1", "c: -b1 b2->c", "d: c->d"],
        &["d"],
    );
    check_downgrade(
        &map,
        &["d"],
        "base",
        &["d: d->c", "c: +b1 c->b2", "b1: -b1", "b2: b2->a", "a: -a"],
        &[],
    );
}

// ---- EmptyMapTest ----

#[test]
fn empty_map_iterate() {
    let map = build(&[]);
    check_range(&map, "base", "head", &[]);
    check_upgrade(&map, &[], "head", &[], &[]);
    check_upgrade(&map, &[], "heads", &[], &[]);
    check_downgrade(&map, &[], "base", &[], &[]);
}

// ---- LabeledBranchTest ----

#[test]
fn labeled_branch_iterate_head_to_named_base() {
    let map = labeled();
    check_range(
        &map,
        "ebranch@base",
        "heads",
        &["f", "someothername", "e", "d"],
    );
    check_range(
        &map,
        "abranch@base",
        "heads",
        &["c", "somelongername", "b", "a"],
    );
    // The downgrade to a branch's base runs that branch alone.
    check_downgrade(
        &map,
        &["c", "f"],
        "ebranch@base",
        &[
            "f: f->someothername",
            "someothername: someothername->e",
            "e: e->d",
            "d: -d",
        ],
        &["c"],
    );
    check_downgrade(
        &map,
        &["c", "f"],
        "abranch@base",
        &[
            "c: c->somelongername",
            "somelongername: somelongername->b",
            "b: b->a",
            "a: -a",
        ],
        &["f"],
    );
}

#[test]
fn labeled_branch_iterate_named_head_to_base() {
    let map = labeled();
    check_range(
        &map,
        "base",
        "ebranch@head",
        &["f", "someothername", "e", "d"],
    );
    check_range(
        &map,
        "base",
        "abranch@head",
        &["c", "somelongername", "b", "a"],
    );
    check_upgrade(
        &map,
        &[],
        "ebranch@head",
        &[
            "d: +d",
            "e: d->e",
            "someothername: e->someothername",
            "f: someothername->f",
        ],
        &["f"],
    );
    check_upgrade(
        &map,
        &[],
        "abranch@head",
        &[
            "a: +a",
            "b: a->b",
            "somelongername: b->somelongername",
            "c: somelongername->c",
        ],
        &["c"],
    );
}

#[test]
fn labeled_branch_iterate_named_head_to_heads() {
    check_range(&labeled(), "ebranch@head", "heads", &["f"]);
}

#[test]
fn labeled_branch_iterate_named_rev_to_heads() {
    check_range(
        &labeled(),
        "ebranch@d",
        "heads",
        &["f", "someothername", "e", "d"],
    );
}

#[test]
fn labeled_branch_iterate_head_to_version_specific_base() {
    let map = labeled();
    check_range(&map, "e@base", "heads", &["f", "someothername", "e", "d"]);
    check_range(&map, "c@base", "heads", &["c", "somelongername", "b", "a"]);
    check_downgrade(
        &map,
        &["c", "f"],
        "e@base",
        &[
            "f: f->someothername",
            "someothername: someothername->e",
            "e: e->d",
            "d: -d",
        ],
        &["c"],
    );
    check_downgrade(
        &map,
        &["c", "f"],
        "c@base",
        &[
            "c: c->somelongername",
            "somelongername: somelongername->b",
            "b: b->a",
            "a: -a",
        ],
        &["f"],
    );
}

#[test]
fn labeled_branch_iterate_to_branch_at_rev() {
    check_range(
        &labeled(),
        "ebranch@d",
        "heads",
        &["f", "someothername", "e", "d"],
    );
}

#[test]
fn labeled_branch_branch_w_down_relative() {
    check_range(
        &labeled(),
        "ebranch@-2",
        "heads",
        &["f", "someothername", "e"],
    );
}

#[test]
fn labeled_branch_branch_w_up_relative() {
    let map = labeled();
    check_range(&map, "base", "ebranch@+2", &["e", "d"]);
    check_upgrade(&map, &[], "ebranch@+2", &["d: +d", "e: d->e"], &["e"]);
}

// ---- LongShortBranchTest ----

#[test]
fn long_short_branch_iterate_full() {
    let map = build(&[
        ("a", &[]),
        ("b1", &["a"]),
        ("b2", &["a"]),
        ("c1", &["b1"]),
        ("d11", &["c1"]),
        ("d12", &["c1"]),
    ]);
    check_range(
        &map,
        "base",
        "heads",
        &["b2", "d11", "d12", "c1", "b1", "a"],
    );
    check_upgrade(
        &map,
        &[],
        "heads",
        &[
            "a: +a",
            "b1: a->b1",
            "c1: b1->c1",
            "d12: c1->d12",
            "d11: +d11",
            "b2: +b2",
        ],
        &["b2", "d11", "d12"],
    );
}

// ---- MultipleBranchTest ----

fn multiple_branch() -> RevisionMap {
    build(&[
        ("a", &[]),
        ("b1", &["a"]),
        ("b2", &["a"]),
        ("cb1", &["b1"]),
        ("cb2", &["b2"]),
        ("d1cb1", &["cb1"]),
        ("d2cb1", &["cb1"]),
        ("d1cb2", &["cb2"]),
        ("d2cb2", &["cb2"]),
        ("d3cb2", &["cb2"]),
        ("d1d2cb2", &["d1cb2", "d2cb2"]),
    ])
}

#[test]
fn multiple_branch_iterate_from_merge_point() {
    let map = multiple_branch();
    check_range(
        &map,
        "a",
        "d1d2cb2",
        &["d1d2cb2", "d1cb2", "d2cb2", "cb2", "b2", "a"],
    );
    check_upgrade(
        &map,
        &[],
        "d1d2cb2",
        &[
            "a: +a",
            "b2: a->b2",
            "cb2: b2->cb2",
            "d2cb2: cb2->d2cb2",
            "d1cb2: +d1cb2",
            "d1d2cb2: -d1cb2 d2cb2->d1d2cb2",
        ],
        &["d1d2cb2"],
    );
}

#[test]
fn multiple_branch_iterate_multiple_heads() {
    // iterate_revisions(["d2cb2", "d3cb2"], "a"): two targets.
    check_order(
        &multiple_branch(),
        &["d2cb2", "d3cb2"],
        &["d2cb2", "d3cb2", "cb2", "b2", "a"],
    );
}

#[test]
fn multiple_branch_iterate_single_branch() {
    let map = multiple_branch();
    check_range(&map, "a", "d3cb2", &["d3cb2", "cb2", "b2", "a"]);
    check_upgrade(
        &map,
        &[],
        "d3cb2",
        &["a: +a", "b2: a->b2", "cb2: b2->cb2", "d3cb2: cb2->d3cb2"],
        &["d3cb2"],
    );
}

#[test]
fn multiple_branch_iterate_single_branch_to_base() {
    check_range(
        &multiple_branch(),
        "base",
        "d3cb2",
        &["d3cb2", "cb2", "b2", "a"],
    );
}

#[test]
fn multiple_branch_iterate_multiple_branch_to_base() {
    // iterate_revisions(["d3cb2", "cb1"], "base"): two targets.
    check_order(
        &multiple_branch(),
        &["d3cb2", "cb1"],
        &["cb1", "b1", "d3cb2", "cb2", "b2", "a"],
    );
}

#[test]
fn multiple_branch_iterate_multiple_heads_single_base() {
    // Head d1cb1 is omitted as it is not a descendant of b2; the sort ignores a head that is
    // not in the selection.
    check_order(
        &multiple_branch(),
        &["d1cb1", "d2cb2", "d3cb2"],
        &["d2cb2", "d3cb2", "cb2", "b2"],
    );
}

const NOT_ALONG_ONE_BRANCH: &str =
    "does not refer to ancestor/descendant revisions along the same branch";

#[test]
fn multiple_branch_same_branch_wrong_direction() {
    let map = multiple_branch();
    // d1cb1 is a descendant of b1, not an ancestor.
    assert!(range_error(&map, "d1cb1", "b1").contains(NOT_ALONG_ONE_BRANCH));
    assert_eq!(
        downgrade_error(&map, &["b1"], "d1cb1").to_string(),
        "Destination d1cb1 is not a valid downgrade target from current head(s)"
    );
}

#[test]
fn multiple_branch_distinct_branches() {
    let map = multiple_branch();
    assert!(range_error(&map, "b1", "d2cb2").contains(NOT_ALONG_ONE_BRANCH));
    assert_eq!(
        downgrade_error(&map, &["d2cb2"], "b1").to_string(),
        "Destination b1 is not a valid downgrade target from current head(s)"
    );
}

/// Also ports `test_wrong_direction_to_base_as_empty`: `None` and `()` are both base.
#[test]
fn multiple_branch_wrong_direction_to_base_as_none() {
    let map = multiple_branch();
    assert!(range_error(&map, "d1cb1", "base").contains(NOT_ALONG_ONE_BRANCH));
    assert_eq!(
        downgrade_error(&map, &[], "d1cb1").to_string(),
        "Destination d1cb1 is not a valid downgrade target from current head(s)"
    );
}

// ---- MultipleBranchEffectiveHead ----

fn effective_head() -> RevisionMap {
    build_revs(vec![
        rev("y1", &[]).with_branch_labels(&["y"]),
        rev("x1", &[]).with_branch_labels(&["x"]),
        rev("y2", &["y1"]).with_depends_on(&["x1"]),
        rev("x2", &["x1"]),
    ])
}

#[test]
fn multiple_branch_effective_head_other_downgrade() {
    check_downgrade(
        &effective_head(),
        &["x2", "y2"],
        "x@-1",
        &["x2: -x2"],
        &["y2"],
    );
}

#[test]
fn multiple_branch_effective_head_use_all_current() {
    check_downgrade(
        &effective_head(),
        &["x1", "y2"],
        "x@-1",
        &["y2: y2->y1", "x1: -x1"],
        &["y1"],
    );
}

#[test]
fn multiple_branch_effective_head_effective_head() {
    // No current row is on branch x; y2 implies x1, the branch's effective head.
    check_downgrade(
        &effective_head(),
        &["y2"],
        "x@-1",
        &["y2: +y1 y2->x1", "x1: -x1"],
        &["y1"],
    );
}

// ---- BranchTravellingTest ----

fn branch_travelling() -> RevisionMap {
    build(&[
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
    ])
}

#[test]
fn branch_travelling_iterate_one_branch_both_to_merge() {
    // iterate_revisions("merge", "db1", implicit_base=True, inclusive=True): from db1's parent
    // with an implicit base, the other side of the merge is filled in.
    check_upgrade(
        &branch_travelling(),
        &["cb1"],
        "merge",
        &[
            "b2: +b2",
            "cb2: b2->cb2",
            "db2: cb2->db2",
            "e2b2: db2->e2b2",
            "db1: cb1->db1",
            "e2b1: db1->e2b1",
            "merge: -e2b1 e2b2->merge",
        ],
        &["merge"],
    );
}

#[test]
fn branch_travelling_three_branches_end_in_single_branch() {
    // ["merge", "fe1b1"] are the heads.
    check_range(
        &branch_travelling(),
        "a3",
        "heads",
        &[
            "fe1b1", "e1b1", "merge", "e2b1", "db1", "cb1", "b1", "e2b2", "db2", "cb2", "b2", "a3",
        ],
    );
}

#[test]
fn branch_travelling_two_branches_to_root() {
    // a3 is a stop point for both branches; db1 is not, as only one traversal passes it.
    let map = branch_travelling();
    let expected = [
        "merge", "e2b1", "db1", "cb1", "b1", "e2b2", "db2", "cb2", "b2", "a3", "a2", "a1",
    ];
    check_range(&map, "a1", "merge", &expected);
    check_upgrade(
        &map,
        &[],
        "merge",
        &[
            "a1: +a1",
            "a2: a1->a2",
            "a3: a2->a3",
            "b2: a3->b2",
            "cb2: b2->cb2",
            "db2: cb2->db2",
            "e2b2: db2->e2b2",
            "b1: +b1",
            "cb1: b1->cb1",
            "db1: cb1->db1",
            "e2b1: db1->e2b1",
            "merge: -e2b1 e2b2->merge",
        ],
        &["merge"],
    );
}

#[test]
fn branch_travelling_two_branches_end_in_branch() {
    // b1 is local to the e2b1 branch, so that is all we get.
    check_range(
        &branch_travelling(),
        "b1",
        "merge",
        &["merge", "e2b1", "db1", "cb1", "b1"],
    );
}

#[test]
fn branch_travelling_two_branches_end_behind_branch() {
    let map = branch_travelling();
    check_range(
        &map,
        "a2",
        "merge",
        &[
            "merge", "e2b1", "db1", "cb1", "b1", "e2b2", "db2", "cb2", "b2", "a3", "a2",
        ],
    );
    check_upgrade(
        &map,
        &["a1"],
        "merge",
        &[
            "a2: a1->a2",
            "a3: a2->a3",
            "b2: a3->b2",
            "cb2: b2->cb2",
            "db2: cb2->db2",
            "e2b2: db2->e2b2",
            "b1: +b1",
            "cb1: b1->cb1",
            "db1: cb1->db1",
            "e2b1: db1->e2b1",
            "merge: -e2b1 e2b2->merge",
        ],
        &["merge"],
    );
}

#[test]
fn branch_travelling_three_branches_to_root() {
    // Both a3 and db1 are stop points.
    let map = branch_travelling();
    check_range(
        &map,
        "a1",
        "heads",
        &[
            "fe1b1", "e1b1", "merge", "e2b1", "db1", "cb1", "b1", "e2b2", "db2", "cb2", "b2", "a3",
            "a2", "a1",
        ],
    );
    check_upgrade(
        &map,
        &[],
        "heads",
        &[
            "a1: +a1",
            "a2: a1->a2",
            "a3: a2->a3",
            "b2: a3->b2",
            "cb2: b2->cb2",
            "db2: cb2->db2",
            "e2b2: db2->e2b2",
            "b1: +b1",
            "cb1: b1->cb1",
            "db1: cb1->db1",
            "e2b1: db1->e2b1",
            "merge: -e2b1 e2b2->merge",
            "e1b1: +e1b1",
            "fe1b1: e1b1->fe1b1",
        ],
        &["fe1b1", "merge"],
    );
}

#[test]
fn branch_travelling_three_branches_end_multiple_bases() {
    // iterate_revisions(["merge", "fe1b1"], ["cb1", "cb2"]) includes cb1 and cb2: the upgrade
    // from their parents.
    check_upgrade(
        &branch_travelling(),
        &["b1", "b2"],
        "heads",
        &[
            "cb2: b2->cb2",
            "db2: cb2->db2",
            "e2b2: db2->e2b2",
            "cb1: b1->cb1",
            "db1: cb1->db1",
            "e2b1: db1->e2b1",
            "merge: -e2b1 e2b2->merge",
            "e1b1: +e1b1",
            "fe1b1: e1b1->fe1b1",
        ],
        &["fe1b1", "merge"],
    );
}

#[test]
fn branch_travelling_three_branches_end_multiple_bases_exclusive() {
    check_upgrade(
        &branch_travelling(),
        &["cb1", "cb2"],
        "heads",
        &[
            "db2: cb2->db2",
            "e2b2: db2->e2b2",
            "db1: cb1->db1",
            "e2b1: db1->e2b1",
            "merge: -e2b1 e2b2->merge",
            "e1b1: +e1b1",
            "fe1b1: e1b1->fe1b1",
        ],
        &["fe1b1", "merge"],
    );
}

#[test]
fn branch_travelling_detect_invalid_head_selection() {
    // db1 is an ancestor of fe1b1.
    let error = upgrade_error(&branch_travelling(), &["db1", "b2", "fe1b1"], "heads");
    assert_eq!(
        error.to_string(),
        "Requested revision fe1b1 overlaps with other requested revisions db1"
    );
}

#[test]
fn branch_travelling_three_branches_end_multiple_bases_exclusive_blank() {
    check_order(
        &branch_travelling(),
        &["e2b1", "b2", "fe1b1"],
        &[
            "b2", "fe1b1", "e1b1", "e2b1", "db1", "cb1", "b1", "a3", "a2", "a1",
        ],
    );
}

#[test]
fn branch_travelling_iterate_to_symbolic_base() {
    let map = branch_travelling();
    check_range(
        &map,
        "base",
        "fe1b1",
        &["fe1b1", "e1b1", "db1", "cb1", "b1", "a3", "a2", "a1"],
    );
    check_upgrade(
        &map,
        &[],
        "fe1b1",
        &[
            "a1: +a1",
            "a2: a1->a2",
            "a3: a2->a3",
            "b1: a3->b1",
            "cb1: b1->cb1",
            "db1: cb1->db1",
            "e1b1: db1->e1b1",
            "fe1b1: e1b1->fe1b1",
        ],
        &["fe1b1"],
    );
}

// ---- MultipleBaseTest ----

fn multiple_base() -> RevisionMap {
    build(&[
        ("base1", &[]),
        ("base2", &[]),
        ("base3", &[]),
        ("a1a", &["base1"]),
        ("a1b", &["base1"]),
        ("a2", &["base2"]),
        ("a3", &["base3"]),
        ("b1a", &["a1a"]),
        ("b1b", &["a1b"]),
        ("b2", &["a2"]),
        ("b3", &["a3"]),
        ("c2", &["b2"]),
        ("d2", &["c2"]),
        ("mergeb3d2", &["b3", "d2"]),
    ])
}

const MULTIPLE_BASE_ALL: [&str; 14] = [
    "b1a",
    "a1a",
    "b1b",
    "a1b",
    "base1",
    "mergeb3d2",
    "b3",
    "a3",
    "base3",
    "d2",
    "c2",
    "b2",
    "a2",
    "base2",
];

/// Also ports `test_heads_to_base_exclusive` and `test_heads_to_blank`: from base (or
/// nothing) `inclusive` changes nothing, and rmig spells both the same.
#[test]
fn multiple_base_heads_to_base() {
    let map = multiple_base();
    check_range(&map, "base", "heads", &MULTIPLE_BASE_ALL);
    let order = walk_range(&map, None, None).unwrap();
    assert_eq!(ids(&map, &order), MULTIPLE_BASE_ALL);
    check_upgrade(
        &map,
        &[],
        "heads",
        &[
            "base2: +base2",
            "a2: base2->a2",
            "b2: a2->b2",
            "c2: b2->c2",
            "d2: c2->d2",
            "base3: +base3",
            "a3: base3->a3",
            "b3: a3->b3",
            "mergeb3d2: -b3 d2->mergeb3d2",
            "base1: +base1",
            "a1b: base1->a1b",
            "b1b: a1b->b1b",
            "a1a: +a1a",
            "b1a: a1a->b1a",
        ],
        &["b1a", "b1b", "mergeb3d2"],
    );
}

#[test]
fn multiple_base_detect_invalid_base_selection() {
    let error = upgrade_error(&multiple_base(), &["a2", "b2"], "c2");
    assert_eq!(
        error.to_string(),
        "Requested revision b2 overlaps with other requested revisions a2"
    );
}

#[test]
fn multiple_base_heads_to_revs_plus_implicit_base_exclusive() {
    check_upgrade(
        &multiple_base(),
        &["c2"],
        "heads",
        &[
            "d2: c2->d2",
            "base3: +base3",
            "a3: base3->a3",
            "b3: a3->b3",
            "mergeb3d2: -b3 d2->mergeb3d2",
            "base1: +base1",
            "a1b: base1->a1b",
            "b1b: a1b->b1b",
            "a1a: +a1a",
            "b1a: a1a->b1a",
        ],
        &["b1a", "b1b", "mergeb3d2"],
    );
}

#[test]
fn multiple_base_heads_to_revs_base_exclusive() {
    // iterate_revisions("heads", ["c2"], inclusive=False) without an implicit base.
    check_order(
        &multiple_base(),
        &["b1a", "b1b", "mergeb3d2"],
        &["mergeb3d2", "d2"],
    );
}

#[test]
fn multiple_base_heads_to_revs_plus_implicit_base_inclusive() {
    // Including c2 is the upgrade from its parent b2.
    check_upgrade(
        &multiple_base(),
        &["b2"],
        "heads",
        &[
            "c2: b2->c2",
            "d2: c2->d2",
            "base3: +base3",
            "a3: base3->a3",
            "b3: a3->b3",
            "mergeb3d2: -b3 d2->mergeb3d2",
            "base1: +base1",
            "a1b: base1->a1b",
            "b1b: a1b->b1b",
            "a1a: +a1a",
            "b1a: a1a->b1a",
        ],
        &["b1a", "b1b", "mergeb3d2"],
    );
}

#[test]
fn multiple_base_specific_path_one() {
    let map = multiple_base();
    check_range(&map, "base3", "b3", &["b3", "a3", "base3"]);
    check_upgrade(
        &map,
        &[],
        "b3",
        &["base3: +base3", "a3: base3->a3", "b3: a3->b3"],
        &["b3"],
    );
}

#[test]
fn multiple_base_specific_path_two_implicit_base() {
    // iterate_revisions(["b3", "b2"], "base3", inclusive=False, implicit_base=True).
    check_order(
        &multiple_base(),
        &["b3", "b2"],
        &["b2", "a2", "base2", "b3", "a3"],
    );
}

// ---- MultipleBaseCrossDependencyTestOne ----

fn cross_dependency_one() -> RevisionMap {
    build_revs(vec![
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
    ])
}

const CROSS_ONE_HEADS: [&str; 4] = ["b1a", "b1b", "d2", "b3"];

#[test]
fn multiple_base_cross_dependency_one_heads_to_base() {
    let map = cross_dependency_one();
    check_range(
        &map,
        "base",
        "heads",
        &[
            "b1a", "a1a", "b1b", "a1b", "base1", "d2", "c2", "b2", "a2", "base2", "b3", "a3",
            "base3",
        ],
    );
    check_upgrade(
        &map,
        &[],
        "heads",
        &[
            "base3: +base3",
            "a3: base3->a3",
            "b3: a3->b3",
            "base2: +base2",
            "a2: base2->a2",
            "b2: a2->b2",
            "c2: b2->c2",
            "d2: c2->d2",
            "base1: +base1",
            "a1b: base1->a1b",
            "b1b: a1b->b1b",
            "a1a: +a1a",
            "b1a: a1a->b1a",
        ],
        &CROSS_ONE_HEADS,
    );
}

#[test]
fn multiple_base_cross_dependency_one_heads_to_base_downgrade() {
    check_downgrade(
        &cross_dependency_one(),
        &CROSS_ONE_HEADS,
        "base",
        &[
            "b1a: b1a->a1a",
            "a1a: -a1a",
            "b1b: b1b->a1b",
            "a1b: a1b->base1",
            "base1: -base1",
            "d2: d2->c2",
            "c2: c2->b2",
            "b2: b2->a2",
            "a2: a2->base2",
            "base2: -base2",
            "b3: b3->a3",
            "a3: a3->base3",
            "base3: -base3",
        ],
        &[],
    );
}

#[test]
fn multiple_base_cross_dependency_one_same_branch_wrong_direction() {
    let map = cross_dependency_one();
    assert!(range_error(&map, "d2", "b2").contains(NOT_ALONG_ONE_BRANCH));
    assert_eq!(
        downgrade_error(&map, &["b2"], "d2").to_string(),
        "Destination d2 is not a valid downgrade target from current head(s)"
    );
}

#[test]
fn multiple_base_cross_dependency_one_different_branch_not_wrong_direction() {
    let map = cross_dependency_one();
    assert!(range_error(&map, "d2", "b3").contains(NOT_ALONG_ONE_BRANCH));
    assert_eq!(
        downgrade_error(&map, &["b3"], "d2").to_string(),
        "Destination d2 is not a valid downgrade target from current head(s)"
    );
}

#[test]
fn multiple_base_cross_dependency_one_we_need_head2_upgrade() {
    // The 2 branch relies on the 3 branch.
    let map = cross_dependency_one();
    check_range(
        &map,
        "base",
        "b_2@head",
        &["d2", "c2", "b2", "a2", "base2", "a3", "base3"],
    );
    check_upgrade(
        &map,
        &[],
        "b_2@head",
        &[
            "base3: +base3",
            "a3: base3->a3",
            "base2: +base2",
            "a2: base2->a2",
            "b2: a2->b2",
            "c2: -b2 a3->c2",
            "d2: c2->d2",
        ],
        &["d2"],
    );
}

#[test]
fn multiple_base_cross_dependency_one_we_need_head2_downgrade() {
    // Going down, the 3 branch need not be touched: a3 stays, as its own row.
    check_downgrade(
        &cross_dependency_one(),
        &["d2"],
        "b_2@base",
        &[
            "d2: d2->c2",
            "c2: +b2 c2->a3",
            "b2: b2->a2",
            "a2: a2->base2",
            "base2: -base2",
        ],
        &["a3"],
    );
}

#[test]
fn multiple_base_cross_dependency_one_we_need_head3_upgrade() {
    let map = cross_dependency_one();
    check_range(&map, "base", "b_3@head", &["b3", "a3", "base3"]);
    check_upgrade(
        &map,
        &[],
        "b_3@head",
        &["base3: +base3", "a3: base3->a3", "b3: a3->b3"],
        &["b3"],
    );
}

#[test]
fn multiple_base_cross_dependency_one_we_need_head3_downgrade() {
    check_downgrade(
        &cross_dependency_one(),
        &["b3"],
        "base",
        &["b3: b3->a3", "a3: a3->base3", "base3: -base3"],
        &[],
    );
}

#[test]
fn multiple_base_cross_dependency_one_we_need_head1_upgrade() {
    // The 1 branch relies on the 3 branch.
    let map = cross_dependency_one();
    check_range(
        &map,
        "base",
        "b1b@head",
        &["b1b", "a1b", "base1", "a3", "base3"],
    );
    check_upgrade(
        &map,
        &[],
        "b1b@head",
        &[
            "base3: +base3",
            "a3: base3->a3",
            "base1: +base1",
            "a1b: base1->a1b",
            "b1b: -a1b a3->b1b",
        ],
        &["b1b"],
    );
}

#[test]
fn multiple_base_cross_dependency_one_we_need_head1_downgrade() {
    // Going down we don't need a3 -> base3, as long as we are limiting the base target.
    check_downgrade(
        &cross_dependency_one(),
        &["b1b"],
        "b1b@base",
        &["b1b: +a1b b1b->a3", "a1b: a1b->base1", "base1: -base1"],
        &["a3"],
    );
}

#[test]
fn multiple_base_cross_dependency_one_we_need_base2_upgrade() {
    // An upgrade from base: dependencies are included.
    let map = cross_dependency_one();
    check_range(
        &map,
        "b_2@base",
        "heads",
        &["d2", "c2", "b2", "a2", "base2", "a3", "base3"],
    );
    check_upgrade(
        &map,
        &[],
        "b_2@heads",
        &[
            "base3: +base3",
            "a3: base3->a3",
            "base2: +base2",
            "a2: base2->a2",
            "b2: a2->b2",
            "c2: -b2 a3->c2",
            "d2: c2->d2",
        ],
        &["d2"],
    );
}

#[test]
fn multiple_base_cross_dependency_one_we_need_base2_downgrade() {
    // A downgrade to b_2@base runs through the 2s alone.
    check_downgrade(
        &cross_dependency_one(),
        &CROSS_ONE_HEADS,
        "b_2@base",
        &[
            "d2: d2->c2",
            "c2: c2->b2",
            "b2: b2->a2",
            "a2: a2->base2",
            "base2: -base2",
        ],
        &["b1a", "b1b", "b3"],
    );
}

#[test]
fn multiple_base_cross_dependency_one_we_need_base3_upgrade() {
    // Branch b_3 has no dependencies, so b1b, d2 and c2 are not needed.
    let map = cross_dependency_one();
    check_range(&map, "b_3@base", "heads", &["b3", "a3", "base3"]);
    check_upgrade(
        &map,
        &[],
        "b_3@heads",
        &["base3: +base3", "a3: base3->a3", "b3: a3->b3"],
        &["b3"],
    );
}

#[test]
fn multiple_base_cross_dependency_one_we_need_base3_downgrade() {
    // Everything that depends on a3 (b1b and c2) goes down before the 3s.
    check_downgrade(
        &cross_dependency_one(),
        &CROSS_ONE_HEADS,
        "b_3@base",
        &[
            "b1b: b1b->a1b",
            "d2: d2->c2",
            "c2: c2->b2",
            "b3: b3->a3",
            "a3: a3->base3",
            "base3: -base3",
        ],
        &["a1b", "b1a", "b2"],
    );
}

// ---- MultipleBaseCrossDependencyTestTwo ----

#[test]
fn multiple_base_cross_dependency_two_heads_to_base() {
    let map = cross_dependency_two();
    check_range(
        &map,
        "base",
        "heads",
        &[
            "c1", "b1", "a1", "d2", "c2", "d3", "c3", "b3", "a3", "base3", "b2", "a2", "base2",
            "base1",
        ],
    );
    check_upgrade(
        &map,
        &[],
        "heads",
        &[
            "base1: +base1",
            "base2: base1->base2",
            "a2: base2->a2",
            "b2: a2->b2",
            "base3: +base3",
            "a3: base3->a3",
            "b3: a3->b3",
            "c3: -b3 b2->c3",
            "d3: c3->d3",
            "c2: +c2",
            "d2: c2->d2",
            "a1: +a1",
            "b1: a1->b1",
            "c1: b1->c1",
        ],
        &["c1", "d2", "d3"],
    );
}

const CROSS_TWO_HEAD2: [&str; 6] = ["d2", "c2", "b2", "a2", "base2", "base1"];
const CROSS_TWO_HEAD3: [&str; 9] = [
    "d3", "c3", "b3", "a3", "base3", "b2", "a2", "base2", "base1",
];

#[test]
fn multiple_base_cross_dependency_two_we_need_head2() {
    let map = cross_dependency_two();
    check_range(&map, "base", "b_2@head", &CROSS_TWO_HEAD2);
    check_upgrade(
        &map,
        &[],
        "b_2@head",
        &[
            "base1: +base1",
            "base2: base1->base2",
            "a2: base2->a2",
            "b2: a2->b2",
            "c2: b2->c2",
            "d2: c2->d2",
        ],
        &["d2"],
    );
}

#[test]
fn multiple_base_cross_dependency_two_we_need_head3() {
    let map = cross_dependency_two();
    check_range(&map, "base", "b_3@head", &CROSS_TWO_HEAD3);
    check_upgrade(
        &map,
        &[],
        "b_3@head",
        &[
            "base1: +base1",
            "base2: base1->base2",
            "a2: base2->a2",
            "b2: a2->b2",
            "base3: +base3",
            "a3: base3->a3",
            "b3: a3->b3",
            "c3: -b3 b2->c3",
            "d3: c3->d3",
        ],
        &["d3"],
    );
}

#[test]
fn multiple_base_cross_dependency_two_we_need_head1() {
    let map = cross_dependency_two();
    check_range(&map, "base", "b_1@head", &["c1", "b1", "a1", "base1"]);
    check_upgrade(
        &map,
        &[],
        "b_1@head",
        &["base1: +base1", "a1: base1->a1", "b1: a1->b1", "c1: b1->c1"],
        &["c1"],
    );
}

#[test]
fn multiple_base_cross_dependency_two_we_need_base1() {
    // b_1 has no dependencies.
    check_range(
        &cross_dependency_two(),
        "b_1@base",
        "heads",
        &["c1", "b1", "a1", "base1"],
    );
}

#[test]
fn multiple_base_cross_dependency_two_we_need_base2() {
    // base2 depends on base1; nobody depends on b_3, so d3 and c3 are left out.
    check_range(
        &cross_dependency_two(),
        "b_2@base",
        "heads",
        &CROSS_TWO_HEAD2,
    );
}

#[test]
fn multiple_base_cross_dependency_two_we_need_base3() {
    // c3 depends on b2, which brings b2, a2, base2 and (by dependency) base1.
    check_range(
        &cross_dependency_two(),
        "b_3@base",
        "heads",
        &CROSS_TWO_HEAD3,
    );
}

// ---- MultipleBaseCrossDependencyTestThree ----

#[test]
fn multiple_base_cross_dependency_three_traverse_no_parent_but_a_dep() {
    let map = build_revs(vec![
        rev("base1", &[]),
        rev("a1", &["base1"]),
        rev("b1", &["a1"]),
        rev("c2", &[]).with_depends_on(&["a1"]),
        rev("c3", &["c2"]),
    ]);
    check_range(&map, "base", "heads", &["b1", "c3", "c2", "a1", "base1"]);
    check_upgrade(
        &map,
        &[],
        "heads",
        &[
            "base1: +base1",
            "a1: base1->a1",
            "c2: a1->c2",
            "c3: c2->c3",
            "b1: +b1",
        ],
        &["b1", "c3"],
    );
}

// ---- LargeMapTest ----

/// Alembic's `tests/_large_map.py`, in its load order.
const LARGE_MAP: &[(&str, &[&str])] = &[
    ("3fc8a578bc0a", &["4878cb1cb7f6", "454a0529f84e"]),
    ("69285b0faaa", &["36c31e4e1c37", "3a3b24a31b57"]),
    ("3b0452c64639", &["2f1a0f3667f3"]),
    ("2d9d787a496", &["135b5fd31062"]),
    ("184f65ed83af", &["3b0452c64639"]),
    ("430074f99c29", &["54f871bfe0b0"]),
    ("3ffb59981d9a", &["519c9f3ce294"]),
    ("454a0529f84e", &["40f6508e4373", "38a936c6ab11"]),
    ("24c2620b2e3f", &["430074f99c29", "1f5ceb1ec255"]),
    ("169a948471a9", &["247ad6880f93"]),
    ("2f1a0f3667f3", &["17dd0f165262"]),
    ("27227dc4fda8", &["2a66d7c4d8a1"]),
    ("4b2ad1ffe2e7", &["3b409f268da4", "4f8a9b79a063"]),
    ("124ef6a17781", &["2529684536da"]),
    ("4789d9c82ca7", &["593b8076fb2c"]),
    ("64ed798bcc3", &["44ed1bf512a0", "169a948471a9"]),
    ("2588a3c36a0f", &["50c7b21c9089"]),
    ("359329c2ebb", &["5810e9eff996", "339faa12616"]),
    ("540bc5634bd", &["3a5db5f31209"]),
    ("20fe477817d2", &["53d5ff905573"]),
    ("4f8a9b79a063", &["3cf34fcd6473", "300209d8594"]),
    ("6918589deaf", &["3314c17f6e35"]),
    ("1755e3b1481c", &["17b66754be21", "31b1d4b7fc95"]),
    ("58c988e1aa4e", &["219240032b88", "f067f0b825c"]),
    ("593b8076fb2c", &["1d94175d221b"]),
    ("38d069994064", &["46b70a57edc0", "3ed56beabfb7"]),
    ("3e2f6c6d1182", &["7f96a01461b"]),
    ("1f6969597fe7", &["1811bdae9e63"]),
    ("17dd0f165262", &["3cf02a593a68"]),
    ("3cf02a593a68", &["25a7ef58d293"]),
    ("34dfac7edb2d", &["28f4dd53ad3a"]),
    ("4009c533e05d", &["42ded7355da2"]),
    ("5a0003c3b09c", &["3ed56beabfb7", "2028d94d3863"]),
    ("38a936c6ab11", &["2588a3c36a0f"]),
    ("59223c5b7b36", &["2f93dd880bae"]),
    ("4121bd6e99e9", &["540bc5634bd"]),
    ("260714a3f2de", &["6918589deaf"]),
    ("ae77a2ed69b", &["274fd2642933"]),
    ("18ff1ab3b4c4", &["430133b6d46c"]),
    ("2b9a327527a9", &["359329c2ebb", "593b8076fb2c"]),
    ("4e6167c75ed0", &["325b273d61bd"]),
    ("21ab11a7c5c4", &["3da31f3323ec", "22f26011d635"]),
    ("3b93e98481b1", &["4e28e2f4fe2f"]),
    ("145d8f1e334d", &["b4143d129e"]),
    ("135b5fd31062", &["1d94175d221b"]),
    ("300209d8594", &["52804033910e", "593b8076fb2c"]),
    ("8dca95cce28", &["f034666cd80"]),
    ("46b70a57edc0", &["145d8f1e334d", "4cc2960cbe19"]),
    ("4d45e479fbb9", &["2d9d787a496"]),
    ("22f085bf8bbd", &["540bc5634bd"]),
    ("263e91fd17d8", &["2b9a327527a9"]),
    ("219240032b88", &["300209d8594", "2b9a327527a9"]),
    ("325b273d61bd", &["4b2ad1ffe2e7"]),
    ("199943ccc774", &["1aa674ccfa4e"]),
    ("247ad6880f93", &["1f6969597fe7"]),
    ("4878cb1cb7f6", &["28f4dd53ad3a"]),
    ("2a66d7c4d8a1", &["23f1ccb18d6d"]),
    ("42b079245b55", &["593b8076fb2c"]),
    ("1cccf82219cb", &["20fe477817d2", "915c67915c2"]),
    ("b4143d129e", &["159331d6f484", "504d5168afe1"]),
    ("53d5ff905573", &["3013877bf5bd"]),
    ("1f5ceb1ec255", &["3ffb59981d9a"]),
    ("ef1c1c1531f", &["4738812e6ece"]),
    ("1f6963d1ae02", &["247ad6880f93"]),
    ("44d58f1d31f0", &["18ff1ab3b4c4"]),
    ("c3ebe64dfb5", &["3409c57b0da", "31f352e77045"]),
    ("f067f0b825c", &["359329c2ebb"]),
    ("52ab2d3b57ce", &["96d590bd82e"]),
    ("3b409f268da4", &["20e90eb3eeb6", "263e91fd17d8"]),
    ("5a4ca8889674", &["4e6167c75ed0"]),
    ("5810e9eff996", &["2d30d79c4093", "52804033910e"]),
    ("40f6508e4373", &["4ed16fad67a7"]),
    ("1811bdae9e63", &["260714a3f2de"]),
    ("3013877bf5bd", &["8dca95cce28", "3fc8a578bc0a"]),
    ("16426dbea880", &["28f4dd53ad3a"]),
    ("22f26011d635", &["4c93d063d2ba", "3b93e98481b1"]),
    ("3409c57b0da", &["17b66754be21"]),
    ("44373001000f", &["42b079245b55", "219240032b88"]),
    ("28f4dd53ad3a", &["2e71fd90eb9d"]),
    ("4cc2960cbe19", &["504d5168afe1"]),
    ("31f352e77045", &["17b66754be21", "22f085bf8bbd"]),
    ("4ed16fad67a7", &["f034666cd80"]),
    ("3da31f3323ec", &["4c93d063d2ba"]),
    ("31b1d4b7fc95", &["1cc4459fd115"]),
    ("11bc0ff42f87", &["28f4dd53ad3a"]),
    ("3a5db5f31209", &["59742a546b84"]),
    ("20e90eb3eeb6", &["58c988e1aa4e", "44373001000f"]),
    ("23f1ccb18d6d", &["52ab2d3b57ce"]),
    ("1d94175d221b", &["21ab11a7c5c4"]),
    ("36f1a410ed", &["54f871bfe0b0"]),
    ("181a149173e", &["2ee35cac4c62"]),
    ("171ad2f0c672", &["4a4e0838e206"]),
    ("2f93dd880bae", &["540bc5634bd"]),
    ("25a7ef58d293", &[]),
    ("7f96a01461b", &["184f65ed83af"]),
    ("b21f22233f", &["3e2f6c6d1182"]),
    ("52804033910e", &["1d94175d221b"]),
    ("1e6240aba5b3", &["4121bd6e99e9", "2c50d8bab6ee"]),
    ("1cc4459fd115", &["1e6240aba5b3"]),
    ("274fd2642933", &["4009c533e05d"]),
    ("1aa674ccfa4e", &["59223c5b7b36", "42050bf030fd"]),
    ("4e28e2f4fe2f", &["596d7b9e11"]),
    ("49ddec8c7a5e", &["124ef6a17781", "47578179e766"]),
    ("3e9bb349cc46", &["ef1c1c1531f"]),
    ("2028d94d3863", &["504d5168afe1"]),
    ("159331d6f484", &["34dfac7edb2d"]),
    ("596d7b9e11", &["171ad2f0c672"]),
    ("3b96bcc8da76", &["f034666cd80"]),
    ("4738812e6ece", &["78982bf5499"]),
    ("3314c17f6e35", &["27227dc4fda8"]),
    ("30931c545bf", &["2e71fd90eb9d"]),
    ("2e71fd90eb9d", &["c3ebe64dfb5", "1755e3b1481c"]),
    ("3ed56beabfb7", &["11bc0ff42f87", "69285b0faaa"]),
    ("96d590bd82e", &["3e9bb349cc46"]),
    ("339faa12616", &["4d45e479fbb9"]),
    ("47578179e766", &["2529684536da"]),
    ("2ee35cac4c62", &["b21f22233f"]),
    ("50c7b21c9089", &["4ed16fad67a7", "3b96bcc8da76"]),
    ("78982bf5499", &["ae77a2ed69b"]),
    ("519c9f3ce294", &["2c50d8bab6ee"]),
    ("2720fc75e5fd", &["1cccf82219cb"]),
    ("21638ec787ba", &["44d58f1d31f0"]),
    ("59742a546b84", &["49ddec8c7a5e"]),
    ("2d30d79c4093", &["135b5fd31062"]),
    ("f034666cd80", &["5a0003c3b09c", "38d069994064"]),
    ("430133b6d46c", &["181a149173e"]),
    ("3a3b24a31b57", &["16426dbea880", "4cc2960cbe19"]),
    ("2529684536da", &["64ed798bcc3", "1f6963d1ae02"]),
    ("17b66754be21", &["19e0db9d806a", "24c2620b2e3f"]),
    ("3cf34fcd6473", &["52804033910e", "4789d9c82ca7"]),
    ("36c31e4e1c37", &["504d5168afe1"]),
    ("54f871bfe0b0", &["519c9f3ce294"]),
    ("4a4e0838e206", &["2a7f37cf7770"]),
    ("19e0db9d806a", &["430074f99c29", "36f1a410ed"]),
    ("44ed1bf512a0", &["247ad6880f93"]),
    ("42050bf030fd", &["2f93dd880bae"]),
    ("2c50d8bab6ee", &["199943ccc774"]),
    ("504d5168afe1", &["28f4dd53ad3a", "30931c545bf"]),
    ("915c67915c2", &["3fc8a578bc0a"]),
    ("2a7f37cf7770", &["2720fc75e5fd"]),
    ("4c93d063d2ba", &["4e28e2f4fe2f"]),
    ("42ded7355da2", &["21638ec787ba"]),
];

/// `iterate_revisions("heads", "base")` over the large map, as Alembic 1.20.1 prints it.
const LARGE_MAP_ORDER: &str = "
5a4ca8889674 4e6167c75ed0 325b273d61bd 4b2ad1ffe2e7 3b409f268da4 20e90eb3eeb6 58c988e1aa4e 44373001000f
42b079245b55 219240032b88 4f8a9b79a063 3cf34fcd6473 300209d8594 263e91fd17d8 f067f0b825c 2b9a327527a9
359329c2ebb 5810e9eff996 2d30d79c4093 339faa12616 4d45e479fbb9 2d9d787a496 4789d9c82ca7 135b5fd31062
52804033910e 593b8076fb2c 1d94175d221b 21ab11a7c5c4 3da31f3323ec 22f26011d635 3b93e98481b1 4c93d063d2ba
4e28e2f4fe2f 596d7b9e11 171ad2f0c672 4a4e0838e206 2a7f37cf7770 2720fc75e5fd 1cccf82219cb 20fe477817d2
53d5ff905573 3013877bf5bd 8dca95cce28 915c67915c2 3fc8a578bc0a 4878cb1cb7f6 454a0529f84e 40f6508e4373
38a936c6ab11 2588a3c36a0f 50c7b21c9089 3b96bcc8da76 4ed16fad67a7 f034666cd80 5a0003c3b09c 38d069994064
46b70a57edc0 145d8f1e334d b4143d129e 159331d6f484 34dfac7edb2d 3ed56beabfb7 11bc0ff42f87 2028d94d3863
69285b0faaa 36c31e4e1c37 3a3b24a31b57 16426dbea880 4cc2960cbe19 504d5168afe1 30931c545bf 28f4dd53ad3a
2e71fd90eb9d c3ebe64dfb5 3409c57b0da 1755e3b1481c 31b1d4b7fc95 1cc4459fd115 1e6240aba5b3 4121bd6e99e9
31f352e77045 22f085bf8bbd 17b66754be21 19e0db9d806a 24c2620b2e3f 1f5ceb1ec255 3ffb59981d9a 430074f99c29
36f1a410ed 54f871bfe0b0 519c9f3ce294 2c50d8bab6ee 199943ccc774 1aa674ccfa4e 59223c5b7b36 42050bf030fd
2f93dd880bae 540bc5634bd 3a5db5f31209 59742a546b84 49ddec8c7a5e 124ef6a17781 47578179e766 2529684536da
64ed798bcc3 44ed1bf512a0 1f6963d1ae02 169a948471a9 247ad6880f93 1f6969597fe7 1811bdae9e63 260714a3f2de
6918589deaf 3314c17f6e35 27227dc4fda8 2a66d7c4d8a1 23f1ccb18d6d 52ab2d3b57ce 96d590bd82e 3e9bb349cc46
ef1c1c1531f 4738812e6ece 78982bf5499 ae77a2ed69b 274fd2642933 4009c533e05d 42ded7355da2 21638ec787ba
44d58f1d31f0 18ff1ab3b4c4 430133b6d46c 181a149173e 2ee35cac4c62 b21f22233f 3e2f6c6d1182 7f96a01461b
184f65ed83af 3b0452c64639 2f1a0f3667f3 17dd0f165262 3cf02a593a68 25a7ef58d293
";

#[test]
fn large_map_all() {
    let map = build(LARGE_MAP);
    let order = walk_range(&map, Some("base"), Some("heads")).unwrap();
    // Alembic's own test: every revision once, and no revision listed before one of its
    // descendants.
    let mut seen = vec![false; map.len()];
    for &r in &order {
        assert!(!seen[r], "{} listed twice", map.id(r));
        seen[r] = true;
    }
    assert_eq!(order.len(), map.len());
    assert_upper_first(&map, &order);
    // And the exact order Alembic produces.
    let expected: Vec<&str> = LARGE_MAP_ORDER.split_whitespace().collect();
    assert_eq!(ids(&map, &order), expected);
    // The upgrade from nothing runs the same order, lower first.
    let plan = upgrade(&map, &[], "heads").unwrap();
    let mut steps: Vec<RevIdx> = plan.steps.iter().map(|s| s.revision).collect();
    steps.reverse();
    assert_eq!(steps, order);
    assert_eq!(plan.end_heads, ["5a4ca8889674"]);
    replay(&plan);
}

// ---- GraphWithLoopTest (the cases that iterate) ----

#[test]
fn graph_with_loop_revision_dupe_head() {
    let map = build_revs(vec![
        rev("user_foo", &[]),
        rev("user", &["user_foo"]).with_depends_on(&["user_foo"]),
    ]);
    check_range(&map, "base", "heads", &["user", "user_foo"]);
    // _topological_sort([r1, r2], [r2])
    check_order(&map, &["user"], &["user", "user_foo"]);
    check_upgrade(
        &map,
        &[],
        "heads",
        &["user_foo: +user_foo", "user: user_foo->user"],
        &["user"],
    );
}

#[test]
fn graph_with_loop_revision_map_no_loop_w_overlapping_substrings() {
    let map = build(&[("user_foo", &[]), ("user", &["user_foo"])]);
    check_range(&map, "base", "heads", &["user", "user_foo"]);
    check_upgrade(
        &map,
        &[],
        "heads",
        &["user_foo: +user_foo", "user: user_foo->user"],
        &["user"],
    );
}

#[test]
fn graph_with_loop_revision_map_no_loop_w_overlapping_substrings_dependencies() {
    let map = build_revs(vec![
        rev("user_foo", &[]),
        rev("user", &[]).with_depends_on(&["user_foo"]),
    ]);
    check_range(&map, "base", "heads", &["user", "user_foo"]);
    check_upgrade(
        &map,
        &[],
        "heads",
        &["user_foo: +user_foo", "user: user_foo->user"],
        &["user"],
    );
}

// ---- NormalizedDownRevTest ----

#[test]
fn normalized_down_rev_branch_traversal() {
    check_downgrade(
        &normalized(),
        &["b4"],
        "b1@base",
        &["b4: b4->b3", "b3: b3->b2", "b2: +b1 b2->a3", "b1: -b1"],
        &["a3"],
    );
}

#[test]
fn normalized_down_rev_all_traversal() {
    check_downgrade(
        &normalized(),
        &["b5"],
        "base",
        &[
            "b5: b5->b4",
            "b4: b4->b3",
            "b3: b3->b2",
            "b2: +b1 b2->a3",
            "b1: -b1",
            "a3: a3->a2",
            "a2: a2->a1",
            "a1: -a1",
        ],
        &[],
    );
}

#[test]
fn normalized_down_rev_partial_traversal() {
    // iterate_revisions("heads", "a2", inclusive=True, select_for_downgrade=True) takes a2
    // down too: the downgrade to its parent a1.
    check_downgrade(
        &normalized(),
        &["b5"],
        "a1",
        &[
            "b5: b5->b4",
            "b4: b4->b3",
            "b3: b3->b2",
            "b2: +b1 b2->a3",
            "a3: a3->a2",
            "a2: a2->a1",
        ],
        &["a1", "b1"],
    );
}

#[test]
fn normalized_down_rev_partial_traversal_implicit_base_one() {
    // A downgrade with implicit_base also winds b1 back: Alembic's selection, rmig's order.
    check_order(
        &normalized(),
        &["b5"],
        &["b5", "b4", "b3", "b2", "b1", "a3", "a2"],
    );
}

#[test]
fn normalized_down_rev_partial_traversal_implicit_base_two() {
    // From b1 inclusive: b1 is a base, so this is the upgrade from nothing.
    check_upgrade(
        &normalized(),
        &[],
        "b5",
        &[
            "a1: +a1",
            "a2: a1->a2",
            "a3: a2->a3",
            "b1: +b1",
            "b2: -b1 a3->b2",
            "b3: b2->b3",
            "b4: b3->b4",
            "b5: b4->b5",
        ],
        &["b5"],
    );
}

#[test]
fn normalized_down_rev_partial_traversal_implicit_base_three() {
    let map = build_revs(vec![
        rev("c1", &[]),
        rev("a1", &[]),
        rev("a2", &["a1"]).with_depends_on(&["c1"]),
        rev("a3", &["a2"]).with_depends_on(&["c1"]),
        rev("b1", &[]),
        rev("b2", &["b1"]).with_depends_on(&["a3"]),
        rev("b3", &["b2"]),
        rev("b4", &["b3"]).with_depends_on(&["a3"]),
        rev("b5", &["b4"]),
    ]);
    check_upgrade(
        &map,
        &[],
        "b5",
        &[
            "c1: +c1",
            "a1: +a1",
            "a2: -a1 c1->a2",
            "a3: a2->a3",
            "b1: +b1",
            "b2: -b1 a3->b2",
            "b3: b2->b3",
            "b4: b3->b4",
            "b5: b4->b5",
        ],
        &["b5"],
    );
}

// =====================================================================================
// tests/test_version_traversal.py
// =====================================================================================

// ---- RevisionPathTest: a -> b -> c -> d -> e ----

fn revision_path() -> RevisionMap {
    build(&[
        ("a", &[]),
        ("b", &["a"]),
        ("c", &["b"]),
        ("d", &["c"]),
        ("e", &["d"]),
    ])
}

#[test]
fn revision_path_downgrade_base_no_version() {
    check_downgrade(&revision_path(), &[], "base", &[], &[]);
}

/// Alembic #838: downgrade to a revision that is already the current head.
#[test]
fn revision_path_downgrade_to_existing() {
    check_downgrade(&revision_path(), &["a"], "a", &[], &["a"]);
}

/// Alembic #839: the same where that revision is also a head of the graph.
#[test]
fn revision_path_downgrade_to_existing_head() {
    check_downgrade(&revision_path(), &["e"], "e", &[], &["e"]);
}

#[test]
fn revision_path_upgrade_path() {
    let map = revision_path();
    check_upgrade(&map, &["c"], "e", &["d: c->d", "e: d->e"], &["e"]);
    check_upgrade(&map, &[], "c", &["a: +a", "b: a->b", "c: b->c"], &["c"]);
}

#[test]
fn revision_path_relative_upgrade_path() {
    let map = revision_path();
    check_upgrade(&map, &["a"], "+2", &["b: a->b", "c: b->c"], &["c"]);
    check_upgrade(&map, &["a"], "+1", &["b: a->b"], &["b"]);
    check_upgrade(
        &map,
        &["b"],
        "+3",
        &["c: b->c", "d: c->d", "e: d->e"],
        &["e"],
    );
    check_upgrade(
        &map,
        &["a"],
        "b+2",
        &["b: a->b", "c: b->c", "d: c->d"],
        &["d"],
    );
    check_upgrade(&map, &["a"], "d-2", &["b: a->b"], &["b"]);
}

#[test]
fn revision_path_invalid_relative_upgrade_path() {
    let map = revision_path();
    assert_eq!(upgrade_error(&map, &["b"], "-2"), relative_shortfall("-2"));
    assert_eq!(upgrade_error(&map, &["b"], "+5"), relative_shortfall("+5"));
}

#[test]
fn revision_path_downgrade_path() {
    let map = revision_path();
    check_downgrade(&map, &["e"], "c", &["e: e->d", "d: d->c"], &["c"]);
    check_downgrade(&map, &["c"], "base", &["c: c->b", "b: b->a", "a: -a"], &[]);
}

#[test]
fn revision_path_relative_downgrade_path() {
    let map = revision_path();
    check_downgrade(&map, &["c"], "-1", &["c: c->b"], &["b"]);
    check_downgrade(
        &map,
        &["e"],
        "-3",
        &["e: e->d", "d: d->c", "c: c->b"],
        &["b"],
    );
    check_downgrade(&map, &["d"], "a+2", &["d: d->c"], &["c"]);
    check_downgrade(
        &map,
        &["d"],
        "c-2",
        &["d: d->c", "c: c->b", "b: b->a"],
        &["a"],
    );
}

#[test]
fn revision_path_invalid_relative_downgrade_path() {
    let map = revision_path();
    assert_eq!(
        downgrade_error(&map, &["b"], "-5"),
        relative_shortfall("-5")
    );
    assert_eq!(
        downgrade_error(&map, &["b"], "+2"),
        relative_shortfall("+2")
    );
}

/// Alembic's generated ids, so that the destinations below are id prefixes as in its test.
fn revision_path_with_ids() -> RevisionMap {
    build(&[
        ("e6239818bb3a", &[]),
        ("548bbb905360", &["e6239818bb3a"]),
        ("b7ea43dc85e4", &["548bbb905360"]),
        ("1bbe33445780", &["b7ea43dc85e4"]),
        ("3975fb1a0125", &["1bbe33445780"]),
    ])
}

#[test]
fn revision_path_invalid_move_rev_to_none() {
    // A prefix of three characters still matches a longer id.
    let error = downgrade_error(&revision_path_with_ids(), &[], "548");
    assert_eq!(
        error.to_string(),
        "Destination 548 is not a valid downgrade target from current head(s)"
    );
}

#[test]
fn revision_path_invalid_move_higher_to_lower() {
    let error = downgrade_error(&revision_path_with_ids(), &["548bbb905360"], "b7ea");
    assert_eq!(
        error.to_string(),
        "Destination b7ea is not a valid downgrade target from current head(s)"
    );
}

#[test]
fn revision_path_stamp_to_base() {
    let steps = check_stamp(&revision_path(), &["d"], &["base"], &["-d"], &[]);
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].from, ["d"]);
    assert!(steps[0].to.is_empty());
}

// ---- BranchedPathTest: a -> b -> {c1 (c1branch) -> d1, c2 (c2branch) -> d2} ----

fn branched_path() -> RevisionMap {
    build_revs(vec![
        rev("a", &[]),
        rev("b", &["a"]),
        rev("c1", &["b"]).with_branch_labels(&["c1branch"]),
        rev("d1", &["c1"]),
        rev("c2", &["b"]).with_branch_labels(&["c2branch"]),
        rev("d2", &["c2"]),
    ])
}

#[test]
fn branched_path_upgrade_single_branch() {
    check_upgrade(
        &branched_path(),
        &["b"],
        "d1",
        &["c1: b->c1", "d1: c1->d1"],
        &["d1"],
    );
}

/// From one head to two: `(d1, d2)` are all the heads.
#[test]
fn branched_path_upgrade_multiple_branch() {
    check_upgrade(
        &branched_path(),
        &["a"],
        "heads",
        &[
            "b: a->b",
            "c2: b->c2",
            "d2: c2->d2",
            "c1: +c1",
            "d1: c1->d1",
        ],
        &["d1", "d2"],
    );
}

#[test]
fn branched_path_downgrade_multiple_branch() {
    check_downgrade(
        &branched_path(),
        &["d1", "d2"],
        "a",
        &[
            "d1: d1->c1",
            "c1: -c1",
            "d2: d2->c2",
            "c2: c2->b",
            "b: b->a",
        ],
        &["a"],
    );
}

#[test]
fn branched_path_relative_upgrade() {
    check_upgrade(
        &branched_path(),
        &["b"],
        "c2branch@head-1",
        &["c2: b->c2"],
        &["c2"],
    );
}

/// base+2 is b, with no branch label: everything above b goes.
#[test]
fn branched_path_relative_downgrade_baseplus2() {
    check_downgrade(
        &branched_path(),
        &["d2", "d1"],
        "base+2",
        &["d1: d1->c1", "c1: -c1", "d2: d2->c2", "c2: c2->b"],
        &["b"],
    );
}

/// Only c2branch goes down, back to base+2 = b.
#[test]
fn branched_path_relative_downgrade_branchplus2() {
    check_downgrade(
        &branched_path(),
        &["d2", "d1"],
        "c2branch@base+2",
        &["d2: d2->c2", "c2: -c2"],
        &["d1"],
    );
}

/// c2branch@base+3 is c2.
#[test]
fn branched_path_relative_downgrade_branchplus3() {
    let map = branched_path();
    check_downgrade(&map, &["d2", "d1"], "c2", &["d2: d2->c2"], &["d1", "c2"]);
    check_downgrade(
        &map,
        &["d2", "d1"],
        "c2branch@base+3",
        &["d2: d2->c2"],
        &["d1", "c2"],
    );
}

/// Alembic warns and takes down the first row's branch; rmig refuses `-1` from several
/// current heads as ambiguous (this port covers the four `test_downgrade_once_order_*`
/// cases, balanced and unbalanced, left and right).
#[test]
fn branched_path_downgrade_once_order_is_ambiguous() {
    let map = branched_path();
    for current in [["d2", "d1"], ["c2", "d1"], ["d1", "d2"], ["c1", "d2"]] {
        match downgrade_error(&map, &current, "-1") {
            PlanError::AmbiguousFromHeads {
                direction,
                steps,
                heads,
            } => {
                assert_eq!(direction, Direction::Downgrade);
                assert_eq!(steps, "-1");
                assert_eq!(heads, current);
            }
            other => panic!("expected AmbiguousFromHeads from {current:?}, got {other:?}"),
        }
    }
    let message = downgrade_error(&map, &["d2", "d1"], "-1").to_string();
    assert!(
        message.starts_with("Ambiguous downgrade from multiple current revisions (d2, d1)"),
        "{message}"
    );
    // The same rows twice are one head, not an ambiguity.
    check_downgrade(
        &map,
        &["d2", "d1", "d2"],
        "d2-1",
        &["d2: d2->c2"],
        &["c2", "d1"],
    );
}

#[test]
fn branched_path_downgrade_once_order_left_unbalanced_labelled() {
    check_downgrade(
        &branched_path(),
        &["d1", "d2"],
        "c1branch@-1",
        &["d1: d1->c1"],
        &["c1", "d2"],
    );
}

/// Alembic #765.
#[test]
fn branched_path_downgrade_relative_order_right() {
    check_downgrade(
        &branched_path(),
        &["d2", "c1"],
        "d2-1",
        &["d2: d2->c2"],
        &["c1", "c2"],
    );
}

#[test]
fn branched_path_downgrade_relative_order_left() {
    check_downgrade(
        &branched_path(),
        &["c1", "d2"],
        "d2-1",
        &["d2: d2->c2"],
        &["c1", "c2"],
    );
}

#[test]
fn branched_path_downgrade_single_branch_c1branch() {
    check_downgrade(
        &branched_path(),
        &["c1", "d2"],
        "c1branch@b",
        &["c1: -c1"],
        &["d2"],
    );
}

/// The branch label is not on the head revision.
#[test]
fn branched_path_downgrade_single_branch_c1branch_from_d1_head() {
    check_downgrade(
        &branched_path(),
        &["c1", "d2"],
        "c2branch@b",
        &["d2: d2->c2", "c2: -c2"],
        &["c1"],
    );
}

/// A revision on the branch (not its head) names the branch.
#[test]
fn branched_path_downgrade_single_branch_c2() {
    check_downgrade(
        &branched_path(),
        &["d1", "d2"],
        "c2@b",
        &["d2: d2->c2", "c2: -c2"],
        &["d1"],
    );
}

/// The head revision names the branch.
#[test]
fn branched_path_downgrade_single_branch_d1() {
    check_downgrade(
        &branched_path(),
        &["d1", "d2"],
        "d1@b",
        &["d1: d1->c1", "c1: -c1"],
        &["d2"],
    );
}

#[test]
fn branched_path_downgrade_relative_to_branch_head() {
    check_downgrade(
        &branched_path(),
        &["d1", "d2"],
        "c1branch@head-1",
        &["d1: d1->c1"],
        &["c1", "d2"],
    );
}

/// Advance c2branch by one from c1: one past the branch point.
#[test]
fn branched_path_upgrade_other_branch_from_mergepoint() {
    check_upgrade(
        &branched_path(),
        &["c1"],
        "c2branch@+1",
        &["c2: +c2"],
        &["c1", "c2"],
    );
}

#[test]
fn branched_path_upgrade_one_branch_of_heads() {
    check_upgrade(
        &branched_path(),
        &["c1", "c2"],
        "c2branch@+1",
        &["d2: c2->d2"],
        &["c1", "d2"],
    );
}

#[test]
fn branched_path_ambiguous_upgrade() {
    let error = upgrade_error(&branched_path(), &["c1", "c2"], "+1");
    assert!(matches!(
        &error,
        PlanError::AmbiguousFromHeads {
            direction: Direction::Upgrade,
            ..
        }
    ));
    assert!(
        error
            .to_string()
            .starts_with("Ambiguous upgrade from multiple current revisions"),
        "{error}"
    );
}

#[test]
fn branched_path_upgrade_from_base() {
    check_upgrade(&branched_path(), &[], "base+1", &["a: +a"], &["a"]);
}

#[test]
fn branched_path_upgrade_from_base_implicit() {
    check_upgrade(&branched_path(), &[], "+1", &["a: +a"], &["a"]);
}

#[test]
fn branched_path_downgrade_minus1_to_base() {
    check_downgrade(&branched_path(), &["a"], "-1", &["a: -a"], &[]);
}

#[test]
fn branched_path_downgrade_minus1_from_base() {
    assert_eq!(
        downgrade_error(&branched_path(), &[], "-1"),
        relative_shortfall("-1")
    );
}

#[test]
fn branched_path_downgrade_no_effect_branched() {
    let map = branched_path();
    check_downgrade(&map, &["d1", "c2"], "c2", &[], &["d1", "c2"]);
    check_downgrade(&map, &["d1", "c2"], "d1", &[], &["d1", "c2"]);
}

#[test]
fn branched_path_stamp_down_across_multiple_branch_to_branchpoint() {
    // DELETE d1, UPDATE c2 to b.
    check_stamp(
        &branched_path(),
        &["d1", "c2"],
        &["b"],
        &["-d1 c2->b"],
        &["b"],
    );
}

#[test]
fn branched_path_stamp_to_labeled_base_multiple_heads() {
    check_stamp(
        &branched_path(),
        &["d1", "c2"],
        &["c1branch@base"],
        &["-d1"],
        &["c2"],
    );
}

#[test]
fn branched_path_stamp_to_labeled_head_multiple_heads() {
    // The c1branch row stays.
    check_stamp(
        &branched_path(),
        &["d1", "c2"],
        &["c2branch@head"],
        &["c2->d2"],
        &["d1", "d2"],
    );
}

// ---- BranchFromMergepointTest: a1-b1-c1 and a2-b2-c2 merge into d1; c2 goes on to d2 ----

fn branch_from_mergepoint() -> RevisionMap {
    build(&[
        ("a1", &[]),
        ("b1", &["a1"]),
        ("c1", &["b1"]),
        ("a2", &[]),
        ("b2", &["a2"]),
        ("c2", &["b2"]),
        ("d1", &["c1", "c2"]),
        ("d2", &["c2"]),
    ])
}

#[test]
fn branch_from_mergepoint_mergepoint_to_only_one_side_upgrade() {
    check_upgrade(
        &branch_from_mergepoint(),
        &["d2", "b1"],
        "d1",
        &["c1: b1->c1", "d1: c1->d1"],
        &["d2", "d1"],
    );
}

#[test]
fn branch_from_mergepoint_mergepoint_to_only_one_side_downgrade() {
    check_downgrade(
        &branch_from_mergepoint(),
        &["d2", "d1"],
        "b1",
        &["d1: d1->c1", "c1: c1->b1"],
        &["d2", "b1"],
    );
}

// ---- BranchFrom3WayMergepointTest ----

fn branch_from_3way_mergepoint() -> RevisionMap {
    build(&[
        ("a1", &[]),
        ("b1", &["a1"]),
        ("c1", &["b1"]),
        ("a2", &[]),
        ("b2", &["a2"]),
        ("c2", &["b2"]),
        ("a3", &[]),
        ("b3", &["a3"]),
        ("c3", &["b3"]),
        ("d1", &["c1", "c2", "c3"]),
        ("d2", &["c2"]),
        ("d3", &["c3"]),
    ])
}

#[test]
fn branch_from_3way_mergepoint_mergepoint_to_only_one_side_upgrade() {
    check_upgrade(
        &branch_from_3way_mergepoint(),
        &["d3", "d2", "b1"],
        "d1",
        &["c1: b1->c1", "d1: c1->d1"],
        &["d3", "d2", "d1"],
    );
}

#[test]
fn branch_from_3way_mergepoint_mergepoint_to_only_one_side_downgrade() {
    check_downgrade(
        &branch_from_3way_mergepoint(),
        &["d3", "d2", "d1"],
        "b1",
        &["d1: d1->c1", "c1: c1->b1"],
        &["d3", "d2", "b1"],
    );
}

#[test]
fn branch_from_3way_mergepoint_mergepoint_to_two_sides_upgrade() {
    let map = branch_from_3way_mergepoint();
    // b2 and b1 merge into d1 ...
    check_upgrade(
        &map,
        &["d3", "b2", "b1"],
        "d1",
        &["c2: b2->c2", "c1: b1->c1", "d1: -c1 c2->d1"],
        &["d3", "d1"],
    );
    // ... and b2's line breaks out again when it goes on.
    check_upgrade(&map, &["d3", "d1"], "d2", &["d2: +d2"], &["d3", "d2", "d1"]);
}

// ---- TwinMergeTest (Alembic #297): two merge points of the same three branches ----

fn twin_merge() -> RevisionMap {
    build(&[
        ("a", &[]),
        ("b1", &["a"]),
        ("b2", &["a"]),
        ("b3", &["a"]),
        ("c1", &["b1", "b2", "b3"]),
        ("c2", &["b1", "b2", "b3"]),
        ("d1", &["c1"]),
        ("d2", &["c2"]),
    ])
}

#[test]
fn twin_merge_upgrade() {
    let map = twin_merge();
    check_steps(
        &map,
        &["a"],
        Direction::Upgrade,
        &[
            ("b3", "a->b3", &["b3"]),
            ("b1", "+b1", &["b1", "b3"]),
            ("b2", "+b2", &["b1", "b2", "b3"]),
            ("c2", "-b1 -b2 b3->c2", &["c2"]),
            ("d2", "c2->d2", &["d2"]),
            ("c1", "+c1", &["c1", "d2"]),
            ("d1", "c1->d1", &["d1", "d2"]),
        ],
    );
    // The plan rmig makes for the same move, as Alembic orders it.
    check_upgrade(
        &map,
        &["a"],
        "heads",
        &[
            "b3: a->b3",
            "b2: +b2",
            "b1: +b1",
            "c2: -b1 -b2 b3->c2",
            "d2: c2->d2",
            "c1: +c1",
            "d1: c1->d1",
        ],
        &["d1", "d2"],
    );
    check_downgrade(
        &map,
        &["d1", "d2"],
        "a",
        &[
            "d1: d1->c1",
            "c1: -c1",
            "d2: d2->c2",
            "c2: +b1 +b2 c2->b3",
            "b1: -b1",
            "b2: -b2",
            "b3: b3->a",
        ],
        &["a"],
    );
}

// ---- NotQuiteTwinMergeTest: b1+b2 merge into c1, b2+b3 into c2 ----

fn not_quite_twin_merge() -> RevisionMap {
    build(&[
        ("a", &[]),
        ("b1", &["a"]),
        ("b2", &["a"]),
        ("b3", &["a"]),
        ("c1", &["b1", "b2"]),
        ("c2", &["b2", "b3"]),
        ("d1", &["c1"]),
        ("d2", &["c2"]),
    ])
}

#[test]
fn not_quite_twin_merge_upgrade() {
    let map = not_quite_twin_merge();
    let steps: &[(&str, &str, &[&str])] = &[
        ("b2", "a->b2", &["b2"]),
        ("b3", "+b3", &["b2", "b3"]),
        ("c2", "-b2 b3->c2", &["c2"]),
        ("d2", "c2->d2", &["d2"]),
        ("b1", "+b1", &["b1", "d2"]),
        ("c1", "b1->c1", &["c1", "d2"]),
        ("d1", "c1->d1", &["d1", "d2"]),
    ];
    check_steps(&map, &["a"], Direction::Upgrade, steps);
    // rmig plans exactly that sequence.
    let expected: Vec<String> = steps
        .iter()
        .map(|(id, changes, _)| format!("{id}: {changes}"))
        .collect();
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    check_upgrade(&map, &["a"], "heads", &expected, &["d1", "d2"]);
    check_downgrade(
        &map,
        &["d1", "d2"],
        "a",
        &[
            "d1: d1->c1",
            "c1: c1->b1",
            "b1: -b1",
            "d2: d2->c2",
            "c2: +b2 c2->b3",
            "b3: -b3",
            "b2: b2->a",
        ],
        &["a"],
    );
}

// ---- DependsOnBranchTestOne: c2 (on the a2 line) depends on c1 (on the a1 line) ----

fn depends_on_branch_one() -> RevisionMap {
    build_revs(vec![
        rev("a1", &[]).with_branch_labels(&["lib1"]),
        rev("b1", &["a1"]),
        rev("c1", &["b1"]),
        rev("a2", &[]),
        rev("b2", &["a2"]),
        rev("c2", &["b2"]).with_depends_on(&["c1"]),
        rev("d1", &["c1"]),
        rev("e1", &["d1"]),
        rev("f1", &["e1"]),
    ])
}

/// Taking d1 down leaves c1 implied by c2: the row is deleted, not moved to c1.
#[test]
fn depends_on_branch_one_downgrade_to_dependency() {
    let map = depends_on_branch_one();
    check_steps(
        &map,
        &["c2", "d1"],
        Direction::Downgrade,
        &[("d1", "-d1", &["c2"])],
    );
    check_downgrade(&map, &["c2", "d1"], "c1", &["d1: -d1"], &["c2"]);
}

/// c2 depends on c1, so its row is part of the lineage stamped down to b1.
#[test]
fn depends_on_branch_one_stamp_across_dependency() {
    check_stamp(
        &depends_on_branch_one(),
        &["e1", "c2"],
        &["b1"],
        &["-e1 c2->b1"],
        &["b1"],
    );
}

// ---- DependsOnBranchTestTwo: three merges, and d1 depending on one parent of each ----

fn depends_on_branch_two() -> RevisionMap {
    build_revs(vec![
        rev("a1", &[]),
        rev("a2", &[]),
        rev("a3", &[]),
        rev("amerge", &["a1", "a2", "a3"]),
        rev("b1", &[]),
        rev("b2", &[]),
        rev("bmerge", &["b1", "b2"]),
        rev("c1", &[]),
        rev("c2", &[]),
        rev("c3", &[]),
        rev("cmerge", &["c1", "c2", "c3"]),
        rev("d1", &[]).with_depends_on(&["a3", "b2", "c1"]),
    ])
}

#[test]
fn depends_on_branch_two_kaboom() {
    let map = depends_on_branch_two();
    // b2 isn't restored, but d1 is there, which implies b2.
    check_downgrade(
        &map,
        &["amerge", "bmerge", "cmerge", "d1"],
        "b2",
        &["bmerge: bmerge->b1"],
        &["amerge", "b1", "cmerge", "d1"],
    );
    // Taking d1 down restores b2, which only d1 implied.
    check_downgrade(
        &map,
        &["amerge", "d1", "b1", "cmerge"],
        "d1@base",
        &["d1: d1->b2"],
        &["amerge", "b1", "b2", "cmerge"],
    );
    // Everything is a head here; Alembic's exact order.
    check_downgrade(
        &map,
        &["amerge", "b1", "b2", "cmerge"],
        "base",
        &[
            "amerge: +a1 +a2 amerge->a3",
            "a1: -a1",
            "b1: -b1",
            "b2: -b2",
            "cmerge: +c1 +c2 cmerge->c3",
            "c1: -c1",
            "a2: -a2",
            "a3: -a3",
            "c2: -c2",
            "c3: -c3",
        ],
        &[],
    );
    // The upgrade path the test's comment describes.
    check_upgrade(
        &map,
        &[],
        "heads",
        &[
            "c3: +c3",
            "c2: +c2",
            "b2: +b2",
            "a3: +a3",
            "a2: +a2",
            "c1: +c1",
            "d1: -a3 -b2 c1->d1",
            "cmerge: -c2 c3->cmerge",
            "b1: +b1",
            "bmerge: b1->bmerge",
            "a1: +a1",
            "amerge: -a1 a2->amerge",
        ],
        &["amerge", "bmerge", "cmerge", "d1"],
    );
}

// ---- DependsOnBranchTestThree (Alembic #377): a crisscross of dependencies ----

#[test]
fn depends_on_branch_three_downgrade_over_crisscross() {
    let map = build_revs(vec![
        rev("a1", &[]),
        rev("a2", &["a1"]),
        rev("b1", &[]),
        rev("b2", &["b1"]).with_depends_on(&["a2"]),
        rev("b3", &["b2"]),
        rev("a3", &["a2"]).with_depends_on(&["b1"]),
    ]);
    // Half of a merge point goes: b1 stays implied by a3.
    check_downgrade(&map, &["a3", "b2"], "b1", &["b2: -b2"], &["a3"]);
}

// ---- DependsOnOwnDownrevTest (Alembic #843) ----

fn depends_on_own_downrev() -> RevisionMap {
    build_revs(vec![
        rev("a1", &[]),
        rev("a2", &["a1"]).with_depends_on(&["a1"]),
    ])
}

#[test]
fn depends_on_own_downrev_traverse() {
    check_upgrade(
        &depends_on_own_downrev(),
        &[],
        "a2",
        &["a1: +a1", "a2: a1->a2"],
        &["a2"],
    );
}

#[test]
fn depends_on_own_downrev_traverse_down() {
    check_downgrade(
        &depends_on_own_downrev(),
        &["a2"],
        "a1",
        &["a2: a2->a1"],
        &["a1"],
    );
}

// ---- DependsOnBranchTestFour (Alembic #789) ----

#[test]
fn depends_on_branch_four_dependencies_are_normalized() {
    let map = build_revs(vec![
        rev("a1", &[]),
        rev("a2", &["a1"]),
        rev("a3", &["a2"]),
        rev("b1", &[]),
        rev("b2", &["b1"]).with_depends_on(&["a3"]),
        rev("b3", &["b2"]),
        rev("b4", &["b3"]).with_depends_on(&["a3"]),
    ]);
    // a3 isn't restored: b3 still implies it.
    check_downgrade(&map, &["b4"], "b3", &["b4: b4->b3"], &["b3"]);
}

// ---- DependsOnBranchLabelTest: depends_on names a branch label ----

#[test]
fn depends_on_branch_label_upgrade_path() {
    let map = build_revs(vec![
        rev("a1", &[]).with_branch_labels(&["lib1"]),
        rev("b1", &["a1"]),
        rev("c1", &["b1"]).with_branch_labels(&["c1lib"]),
        rev("a2", &[]),
        rev("b2", &["a2"]),
        rev("c2", &["b2"]).with_depends_on(&["c1lib"]),
        rev("d1", &["c1"]),
        rev("e1", &["d1"]),
        rev("f1", &["e1"]),
    ]);
    check_upgrade(
        &map,
        &["a2"],
        "c2",
        &[
            "a1: +a1",
            "b1: a1->b1",
            "c1: b1->c1",
            "b2: a2->b2",
            "c2: -b2 c1->c2",
        ],
        &["c2"],
    );
}

// ---- ForestTest: two unrelated trees ----

fn forest() -> RevisionMap {
    build(&[("a1", &[]), ("b1", &["a1"]), ("a2", &[]), ("b2", &["a2"])])
}

#[test]
fn forest_base_to_heads() {
    let map = forest();
    check_upgrade(
        &map,
        &[],
        "heads",
        &["a2: +a2", "b2: a2->b2", "a1: +a1", "b1: a1->b1"],
        &["b1", "b2"],
    );
}

#[test]
fn forest_stamp_to_heads() {
    let steps = check_stamp(&forest(), &[], &["heads"], &["+b1", "+b2"], &["b1", "b2"]);
    let to: Vec<&[String]> = steps.iter().map(|s| s.to.as_slice()).collect();
    assert_eq!(to, [["b1"], ["b2"]]);
}

#[test]
fn forest_stamp_to_heads_no_moves_needed() {
    check_stamp(&forest(), &["b1", "b2"], &["heads"], &[], &["b1", "b2"]);
}

// ---- MergedPathTest: a -> b -> {c1 -> d1, c2 -> d2} -> e -> f ----

fn merged_path() -> RevisionMap {
    build_revs(vec![
        rev("a", &[]),
        rev("b", &["a"]),
        rev("c1", &["b"]),
        rev("d1", &["c1"]),
        rev("c2", &["b"]).with_branch_labels(&["c2branch"]),
        rev("d2", &["c2"]),
        rev("e", &["d1", "d2"]),
        rev("f", &["e"]),
    ])
}

#[test]
fn merged_path_upgrade_across_merge_point() {
    // b->c1 creates a new branch; d1/d2 -> e merges them.
    check_upgrade(
        &merged_path(),
        &["b"],
        "f",
        &[
            "c2: b->c2",
            "d2: c2->d2",
            "c1: +c1",
            "d1: c1->d1",
            "e: -d1 d2->e",
            "f: e->f",
        ],
        &["f"],
    );
}

#[test]
fn merged_path_downgrade_across_merge_point() {
    // e -> d1 and d2 unmerges; c1 -> b deletes its branch.
    check_downgrade(
        &merged_path(),
        &["f"],
        "b",
        &[
            "f: f->e",
            "e: +d1 e->d2",
            "d1: d1->c1",
            "c1: -c1",
            "d2: d2->c2",
            "c2: c2->b",
        ],
        &["b"],
    );
}

#[test]
fn merged_path_stamp_down_across_merge_point_branch() {
    // No deletes, UPDATE e to c2.
    check_stamp(&merged_path(), &["e"], &["c2"], &["e->c2"], &["c2"]);
}

#[test]
fn merged_path_stamp_down_across_merge_prior_branching() {
    check_stamp(&merged_path(), &["e"], &["a"], &["e->a"], &["a"]);
}

#[test]
fn merged_path_stamp_up_across_merge_from_single_branch() {
    check_stamp(&merged_path(), &["c2"], &["e"], &["c2->e"], &["e"]);
}

/// filter_for_lineage checks d1 both against "c2branch" and as an ancestor of the head f.
#[test]
fn merged_path_stamp_labled_head_across_merge_from_multiple_branch() {
    check_stamp(
        &merged_path(),
        &["d1", "c2"],
        &["c2branch@head"],
        &["-d1 c2->f"],
        &["f"],
    );
}

#[test]
fn merged_path_stamp_up_across_merge_from_multiple_branch() {
    check_stamp(
        &merged_path(),
        &["d1", "c2"],
        &["e"],
        &["-d1 c2->e"],
        &["e"],
    );
}

#[test]
fn merged_path_stamp_up_across_merge_prior_branching() {
    check_stamp(&merged_path(), &["b"], &["e"], &["b->e"], &["e"]);
}

// ---- BranchedPathTestCrossDependencies: d2 (c2branch) depends on c1 (c1branch) ----

fn branched_path_cross_dependencies() -> RevisionMap {
    build_revs(vec![
        rev("a", &[]),
        rev("b", &["a"]),
        rev("c1", &["b"]).with_branch_labels(&["c1branch"]),
        rev("d1", &["c1"]),
        rev("c2", &["b"]).with_branch_labels(&["c2branch"]),
        rev("d2", &["c2"]).with_depends_on(&["c1"]),
    ])
}

/// c2branch depends on c1branch, so it can be taken down on its own.
#[test]
fn branched_path_cross_dependencies_downgrade_independent_branch() {
    check_downgrade(
        &branched_path_cross_dependencies(),
        &["d1", "d2"],
        "c2branch@b",
        &["d2: d2->c2", "c2: -c2"],
        &["d1"],
    );
}

/// Taking c1branch down takes d2 down too, as it depends on c1.
#[test]
fn branched_path_cross_dependencies_downgrade_branch_dependency() {
    check_downgrade(
        &branched_path_cross_dependencies(),
        &["d1", "d2"],
        "c1branch@b",
        &["d1: -d1", "d2: +c2 d2->c1", "c1: -c1"],
        &["c2"],
    );
}
