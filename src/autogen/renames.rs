//! Rename detection: which dropped table (or column) and which created one are one object
//! under a new name.
//!
//! The rule:
//! - `renamed_from` in the target file always wins, whatever the shapes (the differ applies it
//!   before anything here runs).
//! - A dropped and a created table of the same schema are candidates when their column
//!   similarity is at least [`TABLE_SIMILARITY_THRESHOLD`]: the number of columns present in
//!   both with the same name and the same type, divided by the column count of the larger
//!   table. 1.0 is "same names and types"; 0.8 lets a renamed table also gain or lose one
//!   column in five (or have one of five retyped) and still be recognised, while two small
//!   tables that merely share an `id` column (1 of 2 = 0.5) are not.
//! - Within a table, a dropped and an added column are candidates when they have the same type
//!   and the same nullability.
//! - Candidates form a bipartite graph. A connected part with exactly one edge (one dropped,
//!   one created, nothing else competing for either) is a rename. A part with two or more
//!   edges is ambiguous and never guessed: both sides stay a drop and a create, and the
//!   revision says why, so the guard blocks the drop until someone decides.
//! - Asked interactively, every candidate is put to the user, best first; a yes makes it a
//!   rename, a no leaves the drop and the create.

use super::model::{Table, TableColumn};
use crate::dialect::Dialect;

/// The least column similarity at which a dropped and a created table are rename candidates.
pub const TABLE_SIMILARITY_THRESHOLD: f64 = 0.8;

/// A possible rename: indexes into the caller's dropped and created lists.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub dropped: usize,
    pub created: usize,
    pub similarity: f64,
}

/// What the candidates come to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Rename {
        dropped: usize,
        created: usize,
        similarity: f64,
        /// The user said yes (interactive), rather than rmig deciding alone.
        confirmed: bool,
    },
    /// Several candidates compete: none is taken.
    Ambiguous {
        dropped: Vec<usize>,
        created: Vec<usize>,
    },
}

/// Asks a person whether a candidate is a rename (`--interactive` on a terminal).
pub trait RenameDecider {
    /// `question` reads like "Did you rename user_profiles to member_profiles?".
    fn confirm(&mut self, question: &str) -> bool;
}

/// Column similarity of two tables, from 0.0 to 1.0 (see the module's rule).
pub fn table_similarity(dialect: Dialect, dropped: &Table, created: &Table) -> f64 {
    let larger = dropped.columns.len().max(created.columns.len());
    if larger == 0 {
        return 0.0;
    }
    let shared = dropped
        .columns
        .iter()
        .filter(|old| {
            created
                .column(&old.column.name)
                .is_some_and(|new| super::model::same_type(dialect, &old.column.type_, &new.type_))
        })
        .count();
    shared as f64 / larger as f64
}

/// Whether a dropped and an added column could be one column renamed.
pub fn column_candidate(dialect: Dialect, dropped: &TableColumn, added: &TableColumn) -> bool {
    dropped.column.nullable == added.column.nullable
        && super::model::same_type(dialect, &dropped.column.type_, &added.column.type_)
}

/// Turns candidates into renames and ambiguities; with a decider, asks instead of deciding.
/// `names` gives a candidate's (old, new) names for the question.
pub fn resolve(
    mut candidates: Vec<Candidate>,
    decider: Option<&mut (dyn RenameDecider + '_)>,
    kind: &str,
    names: &dyn Fn(&Candidate) -> (String, String),
) -> Vec<Outcome> {
    if let Some(decider) = decider {
        candidates.sort_by(|a, b| b.similarity.total_cmp(&a.similarity));
        let mut outcomes = Vec::new();
        let mut used_dropped = Vec::new();
        let mut used_created = Vec::new();
        for candidate in candidates {
            if used_dropped.contains(&candidate.dropped)
                || used_created.contains(&candidate.created)
            {
                continue;
            }
            let (old, new) = names(&candidate);
            if decider.confirm(&format!("Did you rename {kind}{old} to {new}?")) {
                used_dropped.push(candidate.dropped);
                used_created.push(candidate.created);
                outcomes.push(Outcome::Rename {
                    dropped: candidate.dropped,
                    created: candidate.created,
                    similarity: candidate.similarity,
                    confirmed: true,
                });
            }
        }
        return outcomes;
    }
    components(&candidates)
        .into_iter()
        .map(|edges| match edges.as_slice() {
            [only] => Outcome::Rename {
                dropped: only.dropped,
                created: only.created,
                similarity: only.similarity,
                confirmed: false,
            },
            many => {
                let mut dropped: Vec<usize> = many.iter().map(|c| c.dropped).collect();
                let mut created: Vec<usize> = many.iter().map(|c| c.created).collect();
                dropped.sort_unstable();
                dropped.dedup();
                created.sort_unstable();
                created.dedup();
                Outcome::Ambiguous { dropped, created }
            }
        })
        .collect()
}

/// The candidates grouped by connected part of the bipartite graph, in first-seen order.
fn components(candidates: &[Candidate]) -> Vec<Vec<Candidate>> {
    let mut groups: Vec<Vec<Candidate>> = Vec::new();
    for candidate in candidates {
        let touching: Vec<usize> = groups
            .iter()
            .enumerate()
            .filter(|(_, group)| {
                group
                    .iter()
                    .any(|c| c.dropped == candidate.dropped || c.created == candidate.created)
            })
            .map(|(index, _)| index)
            .collect();
        let mut merged = vec![candidate.clone()];
        for &index in touching.iter().rev() {
            let group = groups.remove(index);
            merged.splice(0..0, group);
        }
        let at = touching.first().copied().unwrap_or(groups.len());
        groups.insert(at.min(groups.len()), merged);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(dropped: usize, created: usize) -> Candidate {
        Candidate {
            dropped,
            created,
            similarity: 1.0,
        }
    }

    fn names(candidate: &Candidate) -> (String, String) {
        (
            format!("old{}", candidate.dropped),
            format!("new{}", candidate.created),
        )
    }

    #[test]
    fn a_lone_candidate_is_a_rename() {
        let outcomes = resolve(vec![candidate(0, 0)], None, "", &names);
        assert_eq!(
            outcomes,
            vec![Outcome::Rename {
                dropped: 0,
                created: 0,
                similarity: 1.0,
                confirmed: false
            }]
        );
    }

    #[test]
    fn competing_candidates_are_ambiguous_and_separate_ones_are_not() {
        // old0 could be new0 or new1; old1 -> new2 stands alone.
        let outcomes = resolve(
            vec![candidate(0, 0), candidate(0, 1), candidate(1, 2)],
            None,
            "",
            &names,
        );
        assert_eq!(
            outcomes,
            vec![
                Outcome::Ambiguous {
                    dropped: vec![0],
                    created: vec![0, 1]
                },
                Outcome::Rename {
                    dropped: 1,
                    created: 2,
                    similarity: 1.0,
                    confirmed: false
                }
            ]
        );
        // Two dropped tables competing for one created table.
        let outcomes = resolve(vec![candidate(0, 0), candidate(1, 0)], None, "", &names);
        assert_eq!(
            outcomes,
            vec![Outcome::Ambiguous {
                dropped: vec![0, 1],
                created: vec![0]
            }]
        );
    }

    #[test]
    fn a_chain_of_candidates_is_one_ambiguous_group() {
        let outcomes = resolve(
            vec![candidate(0, 0), candidate(1, 1), candidate(1, 0)],
            None,
            "",
            &names,
        );
        assert_eq!(
            outcomes,
            vec![Outcome::Ambiguous {
                dropped: vec![0, 1],
                created: vec![0, 1]
            }]
        );
    }

    struct Answers(Vec<(String, bool)>, Vec<String>);

    impl RenameDecider for Answers {
        fn confirm(&mut self, question: &str) -> bool {
            self.1.push(question.to_string());
            self.0
                .iter()
                .find(|(asked, _)| asked == question)
                .is_some_and(|(_, answer)| *answer)
        }
    }

    #[test]
    fn interactively_each_candidate_is_asked_and_a_yes_settles_both_sides() {
        let mut answers = Answers(
            vec![("Did you rename table old0 to new1?".to_string(), true)],
            Vec::new(),
        );
        let outcomes = resolve(
            vec![candidate(0, 0), candidate(0, 1)],
            Some(&mut answers),
            "table ",
            &names,
        );
        assert_eq!(
            answers.1,
            vec![
                "Did you rename table old0 to new0?",
                "Did you rename table old0 to new1?"
            ]
        );
        assert_eq!(
            outcomes,
            vec![Outcome::Rename {
                dropped: 0,
                created: 1,
                similarity: 1.0,
                confirmed: true
            }]
        );
    }
}
