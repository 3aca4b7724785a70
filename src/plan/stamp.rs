//! `stamp`: moving the version rows to given revisions without running them (Alembic's
//! `_stamp_revs` and `StampStep`).

use super::{PlanError, VersionChange};
use crate::graph::{RevIdx, RevisionMap};

/// One stamp movement: the rows it starts from and the revision it ends at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StampStep {
    pub from: Vec<String>,
    pub to: Vec<String>,
    pub is_upgrade: bool,
    pub version_changes: Vec<VersionChange>,
}

/// Plans `stamp <targets>` from the rows `current`; with `purge` the rows are emptied first.
pub fn stamp(
    map: &RevisionMap,
    current: &[String],
    targets: &[String],
    purge: bool,
) -> Result<Vec<StampStep>, PlanError> {
    let current_revs = if purge {
        Vec::new()
    } else {
        map.current_revisions(current)?
    };
    let mut rows: Vec<String> = current_revs
        .iter()
        .map(|&r| map.id(r).to_string())
        .collect();

    // The current heads that share lineage (dependencies included) with any target.
    let mut affected: Vec<RevIdx> = Vec::new();
    for target in targets {
        let anchors = lineage_anchors(map, target)?;
        for &head in &current_revs {
            if !affected.contains(&head) && shares_lineage_with_dependencies(map, head, &anchors) {
                affected.push(head);
            }
        }
    }
    let mut destinations: Vec<Option<RevIdx>> = Vec::new();
    for target in targets {
        destinations.extend(map.get_revisions(target)?.into_iter().map(Some));
    }
    if destinations.is_empty() {
        destinations.push(None);
    }

    let ids =
        |revs: &[RevIdx]| -> Vec<String> { revs.iter().map(|&r| map.id(r).to_string()).collect() };
    let mut steps = Vec::new();
    for destination in destinations {
        let step = match destination {
            None => {
                for &head in &affected {
                    let change = delete(&mut rows, map.id(head));
                    steps.push(StampStep {
                        from: vec![map.id(head).to_string()],
                        to: Vec::new(),
                        is_upgrade: false,
                        version_changes: vec![change],
                    });
                }
                continue;
            }
            Some(dest) if affected.contains(&dest) => continue,
            Some(dest) => {
                let below: Vec<RevIdx> = map.descendants(&[dest], true);
                let above: Vec<RevIdx> = map.ancestors(&[dest], true);
                let dest_id = map.id(dest).to_string();
                if affected.iter().any(|h| below.contains(h)) {
                    move_rows(&mut rows, ids(&affected), dest_id, false, false)
                } else if affected.iter().any(|h| above.contains(h)) {
                    move_rows(&mut rows, ids(&affected), dest_id, true, false)
                } else {
                    move_rows(&mut rows, Vec::new(), dest_id, true, true)
                }
            }
        };
        steps.push(step);
    }
    Ok(steps)
}

/// Alembic's `StampStep` row rules for a step from `from` to the single `to`.
fn move_rows(
    rows: &mut Vec<String>,
    from: Vec<String>,
    to: String,
    is_upgrade: bool,
    branch_move: bool,
) -> StampStep {
    let mut changes = Vec::new();
    let to_is_new = !rows.contains(&to);
    let from_missing = from.iter().any(|f| !rows.contains(f));
    if is_upgrade && (branch_move || from_missing) && to_is_new {
        rows.push(to.clone());
        changes.push(VersionChange::Insert {
            version: to.clone(),
        });
    } else if from.len() > 1 {
        let (last, others) = from.split_last().expect("more than one");
        for version in others {
            changes.push(delete(rows, version));
        }
        changes.push(update(rows, last, &to));
    } else if let Some(only) = from.first() {
        changes.push(update(rows, only, &to));
    }
    StampStep {
        from,
        to: vec![to],
        is_upgrade,
        version_changes: changes,
    }
}

fn delete(rows: &mut Vec<String>, version: &str) -> VersionChange {
    rows.retain(|r| r != version);
    VersionChange::Delete {
        version: version.to_string(),
    }
}

fn update(rows: &mut [String], from: &str, to: &str) -> VersionChange {
    if let Some(row) = rows.iter_mut().find(|r| *r == from) {
        *row = to.to_string();
    }
    VersionChange::Update {
        from: from.to_string(),
        to: to.to_string(),
    }
}

/// What Alembic's `filter_for_lineage` tests a target against: its label's owner and its
/// revisions (none for `base`).
fn lineage_anchors(map: &RevisionMap, target: &str) -> Result<Vec<RevIdx>, PlanError> {
    let mut anchors = Vec::new();
    if let Some((label, _)) = target.split_once('@') {
        anchors.push(map.resolve_branch(label)?);
    }
    anchors.extend(map.get_revisions(target)?);
    Ok(anchors)
}

fn shares_lineage_with_dependencies(map: &RevisionMap, target: RevIdx, anchors: &[RevIdx]) -> bool {
    if anchors.is_empty() {
        return true;
    }
    let mut related = vec![false; map.len()];
    for r in map
        .descendants(&[target], true)
        .into_iter()
        .chain(map.ancestors(&[target], true))
    {
        related[r] = true;
    }
    anchors.iter().any(|&a| related[a])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revision::Revision;

    fn branched() -> RevisionMap {
        RevisionMap::new(vec![
            Revision::new("a1", &[]),
            Revision::new("b1", &["a1"]),
            Revision::new("c1", &["b1"]).with_branch_labels(&["left"]),
            Revision::new("c2", &["b1"]).with_branch_labels(&["right"]),
        ])
        .unwrap()
    }

    fn rows(steps: &[StampStep], start: &[&str]) -> Vec<String> {
        let mut rows: Vec<String> = start.iter().map(|s| s.to_string()).collect();
        for change in steps.iter().flat_map(|s| &s.version_changes) {
            match change {
                VersionChange::Insert { version } => rows.push(version.clone()),
                VersionChange::Delete { version } => rows.retain(|r| r != version),
                VersionChange::Update { from, to } => {
                    let row = rows.iter_mut().find(|r| *r == from).unwrap();
                    *row = to.clone();
                }
            }
        }
        rows.sort();
        rows
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn stamp_from_nothing_inserts() {
        let map = branched();
        let steps = stamp(&map, &[], &strings(&["b1"]), false).unwrap();
        assert_eq!(
            steps[0].version_changes,
            vec![VersionChange::Insert {
                version: "b1".into()
            }]
        );
        assert!(steps[0].is_upgrade);
    }

    #[test]
    fn stamp_up_and_down_update_in_place() {
        let map = branched();
        let up = stamp(&map, &strings(&["a1"]), &strings(&["c1"]), false).unwrap();
        assert_eq!(
            up[0].version_changes,
            vec![VersionChange::Update {
                from: "a1".into(),
                to: "c1".into()
            }]
        );
        let down = stamp(&map, &strings(&["c1"]), &strings(&["a1"]), false).unwrap();
        assert_eq!(
            down[0].version_changes,
            vec![VersionChange::Update {
                from: "c1".into(),
                to: "a1".into()
            }]
        );
        assert!(!down[0].is_upgrade);
    }

    #[test]
    fn stamp_both_branch_heads_down_to_branch_point_merges_rows() {
        let map = branched();
        let steps = stamp(&map, &strings(&["c1", "c2"]), &strings(&["b1"]), false).unwrap();
        assert_eq!(rows(&steps, &["c1", "c2"]), strings(&["b1"]));
    }

    #[test]
    fn stamp_other_branch_adds_a_row() {
        let map = branched();
        let steps = stamp(&map, &strings(&["c1"]), &strings(&["c2"]), false).unwrap();
        assert_eq!(rows(&steps, &["c1"]), strings(&["c1", "c2"]));
    }

    #[test]
    fn stamp_already_current_does_nothing() {
        let map = branched();
        assert!(stamp(&map, &strings(&["c1"]), &strings(&["c1"]), false)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn stamp_base_deletes_the_lineage_heads() {
        let map = branched();
        let steps = stamp(&map, &strings(&["c1", "c2"]), &strings(&["base"]), false).unwrap();
        assert!(rows(&steps, &["c1", "c2"]).is_empty());
        let steps = stamp(
            &map,
            &strings(&["c1", "c2"]),
            &strings(&["left@base"]),
            false,
        )
        .unwrap();
        assert_eq!(rows(&steps, &["c1", "c2"]), strings(&["c2"]));
    }

    #[test]
    fn purge_starts_from_no_rows() {
        let map = branched();
        let steps = stamp(&map, &strings(&["unknown_row"]), &strings(&["c2"]), true).unwrap();
        assert_eq!(
            steps[0].version_changes,
            vec![VersionChange::Insert {
                version: "c2".into()
            }]
        );
    }
}
