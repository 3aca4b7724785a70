//! Snapshot tests of the three pictures.

use super::*;
use crate::revision::Revision;

fn revision(id: &str, down: &[&str], message: &str) -> Revision {
    let mut revision = Revision::new(id, down);
    revision.message = Some(message.to_string());
    revision
}

/// base -> b -> {c1, c2} -> merge -> head, and a labelled branch `audit` from base with a
/// `depends_on` onto c1: every mark at once.
fn branchy() -> RevisionMap {
    RevisionMap::new(vec![
        revision("a1", &[], "create users"),
        revision("b1", &["a1"], "add email"),
        revision("c1", &["b1"], "index email"),
        revision("c2", &["b1"], "add \"quoted\" <name> #1"),
        revision("m1", &["c1", "c2"], "merge"),
        revision("d1", &["m1"], "drop legacy"),
        revision("x1", &["a1"], "audit log").with_branch_labels(&["audit"]),
        revision("x2", &["x1"], "audit index").with_depends_on(&["c1"]),
    ])
    .unwrap()
}

fn linear() -> RevisionMap {
    RevisionMap::new(vec![
        revision("1975ea83b712", &[], "create user_profiles"),
        revision(
            "ae1027a6acf",
            &["1975ea83b712"],
            "rename user_profiles to member_profiles",
        ),
    ])
    .unwrap()
}

#[test]
fn mermaid_marks_heads_branch_points_merges_labels_and_current() {
    let current = vec!["c2".to_string(), "x1".to_string()];
    insta::assert_snapshot!(mermaid(&branchy(), &current));
}

#[test]
fn mermaid_of_a_straight_line() {
    insta::assert_snapshot!(mermaid(&linear(), &[]), @r#"
    flowchart TD
        r_1975ea83b712["1975ea83b712<br/>create user_profiles"]
        r_ae1027a6acf["ae1027a6acf (head)<br/>rename user_profiles to member_profiles"]
        r_1975ea83b712 --> r_ae1027a6acf
        classDef head stroke-width:3px
        class r_ae1027a6acf head
    "#);
}

#[test]
fn dot_marks_heads_branch_points_merges_labels_and_current() {
    let current = vec!["d1".to_string()];
    insta::assert_snapshot!(dot(&branchy(), &current));
}

fn ids(map: &RevisionMap) -> impl Fn(RevIdx) -> String + '_ {
    move |index| map.id(index).to_string()
}

/// Children before parents, as `history` lists them.
fn history_order(map: &RevisionMap) -> Vec<RevIdx> {
    crate::plan::walk_range(map, None, None).unwrap()
}

#[test]
fn ascii_branch_and_merge() {
    let map = branchy();
    insta::assert_snapshot!(ascii(&map, &history_order(&map), ids(&map)));
}

#[test]
fn ascii_of_a_straight_line_is_one_lane() {
    let map = linear();
    insta::assert_snapshot!(ascii(&map, &history_order(&map), ids(&map)), @r"
    * ae1027a6acf
    * 1975ea83b712
    ");
}

#[test]
fn ascii_two_bases_and_multi_line_text() {
    let map = RevisionMap::new(vec![
        revision("a", &[], "one"),
        revision("b", &[], "two"),
        revision("c", &["a", "b"], "merge of two bases"),
    ])
    .unwrap();
    let text = |index: RevIdx| {
        format!(
            "{}\n  {}",
            map.id(index),
            map.revision(index).message.clone().unwrap()
        )
    };
    insta::assert_snapshot!(ascii(&map, &history_order(&map), text));
}

#[test]
fn ascii_three_way_merge_and_crossing_lanes() {
    // h merges three heads; b is a branch point two lanes apart from its second child.
    let map = RevisionMap::new(vec![
        revision("a", &[], ""),
        revision("b", &["a"], ""),
        revision("c", &["b"], ""),
        revision("d", &["a"], ""),
        revision("e", &["b"], ""),
        revision("h", &["c", "d", "e"], ""),
    ])
    .unwrap();
    let out = ascii(&map, &history_order(&map), ids(&map));
    insta::assert_snapshot!(out);
    // Every revision is drawn exactly once.
    assert_eq!(out.matches('*').count(), 6);
}

#[test]
fn ascii_range_ends_lanes_at_its_edge() {
    let map = branchy();
    let order = crate::plan::walk_range(&map, Some("c1"), Some("d1")).unwrap();
    insta::assert_snapshot!(ascii(&map, &order, ids(&map)));
}
