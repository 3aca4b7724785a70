//! The rename matcher: which dropped table (or column) and which created one are one object
//! under a new name. Autogenerate uses it to decide what to write, and the guard to say which
//! blocked drop is probably half of a rename, so the two never disagree.
//!
//! Evidence, not equality:
//! - Two columns are comparable when the new type holds every value of the old one (the same
//!   type, or a safe widening such as `varchar(50)` to `varchar(100)`) and their nullability
//!   agrees. What tells them apart: words their names share, the same comment, default or
//!   referenced table, and the same place in the table (the same position, or after the same
//!   column).
//! - Two tables are compared column by column: a column matched by name counts fully when
//!   its type is the same or widened and a little when it was retyped, a confident column
//!   rename counts nearly fully. Each column weighs by how telling its name is: `id`, `name`,
//!   `created_at` and their like are in nearly every table, so a match on them proves little.
//!   The similarity is the matched weight over the larger table's weight. Words the table
//!   names share, the same comment, and a table that referenced the old name and now
//!   references the new one add evidence.
//! - A candidate is *strong* when, besides the shapes, something specific agrees: for a table,
//!   a distinctive column matched by name, a retargeted reference or the same comment; for a
//!   column, its place, a shared name word, or the same comment, default or reference. Only a
//!   strong candidate that clearly beats every competitor on both sides is a rename. A weak
//!   candidate (a generic `(id, name)` shape, a column that merely has the same type) and
//!   competitors nothing separates are reported, never written: a false rename is as bad as
//!   a false drop.
//! - A table that keeps its name in another schema has moved; no operation moves tables
//!   between schemas, so a move is reported with the SQL to write, never written.
//!
//! Pure: shapes in, verdicts out.

use std::collections::{HashMap, HashSet};

use crate::dialect::Dialect;
use crate::ops::ColumnType;

use super::types::{equivalent, lossy_change};

/// Column names found in nearly every table: matching on them alone proves little.
const GENERIC_COLUMNS: &[&str] = &[
    "id",
    "uuid",
    "guid",
    "pk",
    "name",
    "title",
    "label",
    "description",
    "type",
    "kind",
    "status",
    "state",
    "value",
    "key",
    "code",
    "data",
    "created",
    "updated",
    "created_at",
    "updated_at",
    "deleted_at",
    "modified_at",
    "created_on",
    "updated_on",
    "version",
    "position",
    "sort_order",
    "note",
    "notes",
    "comment",
    "active",
    "enabled",
];

/// The weight of a generic column, against 1.0 for a distinctive one.
const GENERIC_WEIGHT: f64 = 0.25;
/// The least similarity at which two tables are compared at all.
const CANDIDATE_SIMILARITY: f64 = 0.5;
/// The least score (similarity and the other evidence) at which a table candidate can be strong.
const STRONG_SCORE: f64 = 0.6;
/// How far a candidate must lead every competitor on both sides to be taken alone.
const TABLE_MARGIN: f64 = 0.1;
const COLUMN_MARGIN: f64 = 0.2;

/// A column as the matcher sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnShape {
    pub name: String,
    pub type_: ColumnType,
    pub nullable: bool,
    pub default: Option<String>,
    pub comment: Option<String>,
    /// The table its foreign key references, by the name it has once the renames ran.
    pub references: Option<String>,
}

/// A table as the matcher sees it: what a schema file, a reflected database or a revision's
/// `create_table` says of it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TableShape {
    pub schema: Option<String>,
    pub name: String,
    pub comment: Option<String>,
    pub columns: Vec<ColumnShape>,
    /// The `table.column`s of tables that stay which reference this one.
    pub referenced_by: Vec<String>,
}

/// How much a candidate is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// Specific agreement besides the shapes: written when nothing competes.
    Strong,
    /// Only the shapes agree: reported, never written.
    Weak,
    /// The same table in another schema: reported with the SQL, never written or asked.
    Moved,
}

/// A possible rename: indexes into the caller's dropped and created lists.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub dropped: usize,
    pub created: usize,
    /// Compares competitors; only its order matters.
    pub score: f64,
    pub evidence: Evidence,
    /// What agrees, for the reviewer: "same columns", "column karma -> reputation", ...
    pub why: String,
}

/// Why candidates were reported rather than written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotGuessed {
    /// Several candidates compete and nothing separates them.
    Ambiguous,
    /// One candidate, but only the shapes agree.
    Weak,
    /// A table that moved to another schema.
    Moved,
}

/// What the candidates come to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Rename {
        candidate: Candidate,
        /// A person said yes (interactive), rather than the evidence alone.
        confirmed: bool,
    },
    /// Reported for the reviewer, with every candidate involved.
    NotGuessed {
        reason: NotGuessed,
        candidates: Vec<Candidate>,
    },
}

/// Asks a person whether a candidate is a rename (`--interactive` on a terminal).
pub trait RenameDecider {
    /// `question` reads like "Did you rename user_profiles to member_profiles?".
    fn confirm(&mut self, question: &str) -> bool;
}

/// Compares shapes on one dialect (None: any dialect, as lint without a URL does).
pub struct Matcher<'a> {
    dialect: Option<Dialect>,
    same_type: &'a dyn Fn(&ColumnType, &ColumnType) -> bool,
}

/// How a column's type carries over.
#[derive(Debug, Clone, Copy, PartialEq)]
enum TypeFit {
    Same,
    Widened,
    Retyped,
}

impl<'a> Matcher<'a> {
    /// `same_type` says whether two types are one type on the dialect (autogenerate knows how
    /// each database reports types); the guard compares revision types as written.
    pub fn new(
        dialect: Option<Dialect>,
        same_type: &'a dyn Fn(&ColumnType, &ColumnType) -> bool,
    ) -> Self {
        Matcher { dialect, same_type }
    }

    fn type_fit(&self, from: &ColumnType, to: &ColumnType) -> TypeFit {
        if (self.same_type)(from, to) || equivalent(from, to) {
            TypeFit::Same
        } else if family(from) == family(to) && lossy_change(from, to, self.dialect).is_none() {
            TypeFit::Widened
        } else {
            TypeFit::Retyped
        }
    }

    /// Column rename candidates between `old` and `new` (the same table, or a table and its
    /// candidate new name): from the columns of `old` without a same-named column in `new`
    /// to those of `new` without one in `old`. Indexes are into `old.columns`/`new.columns`.
    pub fn column_candidates(&self, old: &TableShape, new: &TableShape) -> Vec<Candidate> {
        let kept = |name: &str, other: &TableShape| other.columns.iter().any(|c| c.name == name);
        let mut candidates = Vec::new();
        for (d, dropped) in old.columns.iter().enumerate() {
            if kept(&dropped.name, new) {
                continue;
            }
            for (a, added) in new.columns.iter().enumerate() {
                if kept(&added.name, old) {
                    continue;
                }
                if let Some(candidate) = self.column_candidate(old, d, new, a) {
                    candidates.push(candidate);
                }
            }
        }
        candidates
    }

    fn column_candidate(
        &self,
        old: &TableShape,
        d: usize,
        new: &TableShape,
        a: usize,
    ) -> Option<Candidate> {
        let (dropped, added) = (&old.columns[d], &new.columns[a]);
        let fit = self.type_fit(&dropped.type_, &added.type_);
        if fit == TypeFit::Retyped || dropped.nullable != added.nullable {
            return None;
        }
        let mut score = if fit == TypeFit::Same { 1.0 } else { 0.8 };
        let mut reasons: Vec<String> = Vec::new();
        if fit == TypeFit::Widened {
            reasons.push(format!("{} widened to {}", dropped.type_, added.type_));
        } else {
            reasons.push(format!("same type {}", added.type_));
        }
        let words = shared_words(&dropped.name, &added.name);
        if words > 0.0 {
            score += 0.5 * words;
            reasons.push("names share a word".to_string());
        }
        let mut specific = words > 0.0;
        for (what, before, after, weight) in [
            ("comment", &dropped.comment, &added.comment, 0.5),
            ("default", &dropped.default, &added.default, 0.3),
            ("reference", &dropped.references, &added.references, 0.5),
        ] {
            match (before, after) {
                (Some(before), Some(after)) if before == after => {
                    score += weight;
                    specific = true;
                    reasons.push(format!("same {what}"));
                }
                // A reference may differ only because the referenced table is renamed too.
                (Some(_), Some(_)) if what != "reference" => score -= weight,
                _ => {}
            }
        }
        // The place is evidence of a rename in place, but it never separates competitors:
        // two columns renamed side by side each keep their place.
        if d == a || previous_column(old, d) == previous_column(new, a) {
            specific = true;
            reasons.push("same place".to_string());
        }
        Some(Candidate {
            dropped: d,
            created: a,
            score,
            evidence: if specific {
                Evidence::Strong
            } else {
                Evidence::Weak
            },
            why: reasons.join(", "),
        })
    }

    /// The confident column renames from `old` to `new`, as (old index, new index): what the
    /// table comparison counts, and what autogenerate writes when it pairs the tables.
    fn column_renames(&self, old: &TableShape, new: &TableShape) -> Vec<(usize, usize)> {
        decide(self.column_candidates(old, new), COLUMN_MARGIN)
            .into_iter()
            .filter_map(|outcome| match outcome {
                Outcome::Rename { candidate, .. } => Some((candidate.dropped, candidate.created)),
                Outcome::NotGuessed { .. } => None,
            })
            .collect()
    }

    /// Table rename candidates between every dropped and every created table.
    pub fn table_candidates(
        &self,
        dropped: &[TableShape],
        created: &[TableShape],
    ) -> Vec<Candidate> {
        let mut candidates = Vec::new();
        for (d, old) in dropped.iter().enumerate() {
            for (c, new) in created.iter().enumerate() {
                if let Some(candidate) = self.table_candidate(old, new, d, c) {
                    candidates.push(candidate);
                }
            }
        }
        candidates
    }

    fn table_candidate(
        &self,
        old: &TableShape,
        new: &TableShape,
        d: usize,
        c: usize,
    ) -> Option<Candidate> {
        let moved = old.schema != new.schema;
        if moved && old.name != new.name {
            return None;
        }
        let mut matched = 0.0;
        let mut distinctive = false;
        let mut retyped = Vec::new();
        for before in &old.columns {
            let Some(after) = new.columns.iter().find(|after| after.name == before.name) else {
                continue;
            };
            let weight = column_weight(&after.name);
            match self.type_fit(&before.type_, &after.type_) {
                TypeFit::Same | TypeFit::Widened => {
                    matched += weight;
                    distinctive |= weight == 1.0;
                }
                TypeFit::Retyped => {
                    matched += 0.3 * weight;
                    retyped.push(after.name.clone());
                }
            }
        }
        let total = |table: &TableShape| -> f64 {
            table.columns.iter().map(|c| column_weight(&c.name)).sum()
        };
        let larger = total(old).max(total(new));
        if larger == 0.0 {
            return None;
        }
        // Column renames can add at most what the columns without a namesake weigh: when
        // even that cannot reach a candidate's similarity, the pairing is not worth making.
        let unmatched = |table: &TableShape, other: &TableShape| -> f64 {
            table
                .columns
                .iter()
                .filter(|c| !other.columns.iter().any(|o| o.name == c.name))
                .map(|c| column_weight(&c.name))
                .sum()
        };
        let possible = 0.8 * unmatched(old, new).min(unmatched(new, old));
        if (matched + possible) / larger < CANDIDATE_SIMILARITY {
            return None;
        }
        let renames = self.column_renames(old, new);
        for &(_, a) in &renames {
            matched += 0.8 * column_weight(&new.columns[a].name);
        }
        // A distinctive column of one table the other lacks. A column rename accounts for
        // its two columns only when something besides their place agrees: the place of a
        // column tells only once the tables are known to be one.
        let accounted = |d: usize, a: usize| {
            renames.contains(&(d, a)) && agrees_beyond_place(&old.columns[d], &new.columns[a])
        };
        let unaccounted = |table: &TableShape, other: &TableShape, is_old: bool| {
            table.columns.iter().enumerate().any(|(index, column)| {
                column_weight(&column.name) == 1.0
                    && !other.columns.iter().any(|c| c.name == column.name)
                    && !(0..other.columns.len()).any(|o| {
                        if is_old {
                            accounted(index, o)
                        } else {
                            accounted(o, index)
                        }
                    })
            })
        };
        let both_sides_differ = unaccounted(old, new, true) && unaccounted(new, old, false);
        let similarity = matched / larger;
        if similarity < CANDIDATE_SIMILARITY {
            return None;
        }
        let mut reasons = vec![if similarity >= 0.999 {
            "same columns".to_string()
        } else {
            format!("{:.0}% of the columns match", similarity * 100.0)
        }];
        for &(d, a) in &renames {
            reasons.push(format!(
                "column {} -> {}",
                old.columns[d].name, new.columns[a].name
            ));
        }
        if !retyped.is_empty() {
            reasons.push(format!("retyped {}", retyped.join(", ")));
        }
        let mut score = similarity;
        let words = shared_words(&old.name, &new.name);
        if words > 0.0 && !moved {
            score += 0.3 * words;
            reasons.push("names share a word".to_string());
        }
        let head = shared_head(&old.name, &new.name);
        // Distinctive columns matched by name are specific, unless each table also has one of
        // its own: unrelated tables of one owner share `user_id`, `amount` and the like, and
        // differ in the rest. Then only the word naming what the rows are can vouch for them.
        let mut specific = distinctive && (!both_sides_differ || head);
        if old.comment.is_some() && old.comment == new.comment {
            score += 0.2;
            specific = true;
            reasons.push("same comment".to_string());
        }
        if old
            .referenced_by
            .iter()
            .any(|reference| new.referenced_by.contains(reference))
        {
            score += 0.3;
            specific = true;
            reasons.push("its references now point at the new name".to_string());
        }
        // Identical columns under names that share the word naming what the rows are
        // (`user_tags`, `member_tags`; not `user_tags`, `user_roles`): a rename, even of a
        // small table.
        specific |= similarity >= 0.999 && head;
        // `events_2023` and `events_2024`, `shard_1` and `shard_2`: members of a numbered
        // series, of one shape by design; a rename would move the old member's rows into
        // the new one.
        let series = series_members(&old.name, &new.name);
        if series {
            reasons.push("names differ only in a number".to_string());
        }
        let evidence = if moved {
            Evidence::Moved
        } else if specific && !series && score >= STRONG_SCORE {
            Evidence::Strong
        } else {
            Evidence::Weak
        };
        Some(Candidate {
            dropped: d,
            created: c,
            score,
            evidence,
            why: reasons.join(", "),
        })
    }

    /// The tables' verdicts: renames taken alone, and what is reported instead.
    pub fn decide_tables(&self, candidates: Vec<Candidate>) -> Vec<Outcome> {
        decide(candidates, TABLE_MARGIN)
    }

    /// The columns' verdicts.
    pub fn decide_columns(&self, candidates: Vec<Candidate>) -> Vec<Outcome> {
        decide(candidates, COLUMN_MARGIN)
    }

    /// The confident column renames between two tables, by name (old, new).
    pub fn renamed_columns(&self, old: &TableShape, new: &TableShape) -> Vec<(String, String)> {
        self.column_renames(old, new)
            .into_iter()
            .map(|(d, a)| (old.columns[d].name.clone(), new.columns[a].name.clone()))
            .collect()
    }
}

/// With a person to ask: every candidate but a move, best first, each side settled by the
/// first yes. A no leaves the drop and the create.
pub fn ask(
    mut candidates: Vec<Candidate>,
    decider: &mut (dyn RenameDecider + '_),
    names: &dyn Fn(&Candidate) -> (String, String),
) -> Vec<Outcome> {
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut outcomes = Vec::new();
    let mut taken: Vec<(usize, usize)> = Vec::new();
    for candidate in candidates {
        if taken
            .iter()
            .any(|&(d, c)| d == candidate.dropped || c == candidate.created)
        {
            continue;
        }
        if candidate.evidence == Evidence::Moved {
            outcomes.push(Outcome::NotGuessed {
                reason: NotGuessed::Moved,
                candidates: vec![candidate],
            });
            continue;
        }
        let (old, new) = names(&candidate);
        if decider.confirm(&format!("Did you rename {old} to {new}?")) {
            taken.push((candidate.dropped, candidate.created));
            outcomes.push(Outcome::Rename {
                candidate,
                confirmed: true,
            });
        }
    }
    outcomes
}

/// Without a person: a candidate that leads every competitor on both sides by `margin` is
/// taken (a rename when strong, reported when weak or moved); what is left competes and is
/// reported as ambiguous, by connected group.
fn decide(mut remaining: Vec<Candidate>, margin: f64) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    loop {
        let clear = leaders(&remaining, margin);
        if clear.is_empty() {
            break;
        }
        let taken_dropped: HashSet<usize> = clear.iter().map(|c| c.dropped).collect();
        let taken_created: HashSet<usize> = clear.iter().map(|c| c.created).collect();
        remaining.retain(|other| {
            !taken_dropped.contains(&other.dropped) && !taken_created.contains(&other.created)
        });
        for candidate in clear {
            outcomes.push(match candidate.evidence {
                Evidence::Strong => Outcome::Rename {
                    candidate,
                    confirmed: false,
                },
                Evidence::Weak => Outcome::NotGuessed {
                    reason: NotGuessed::Weak,
                    candidates: vec![candidate],
                },
                Evidence::Moved => Outcome::NotGuessed {
                    reason: NotGuessed::Moved,
                    candidates: vec![candidate],
                },
            });
        }
    }
    for group in groups(remaining) {
        outcomes.push(Outcome::NotGuessed {
            reason: NotGuessed::Ambiguous,
            candidates: group,
        });
    }
    outcomes
}

/// The candidates that beat every other candidate for their dropped and their created object
/// by at least `margin`: one pass to find each object's best two scores, one to compare, so a
/// plan with thousands of candidates stays linear.
fn leaders(candidates: &[Candidate], margin: f64) -> Vec<Candidate> {
    let mut dropped: HashMap<usize, Top> = HashMap::new();
    let mut created: HashMap<usize, Top> = HashMap::new();
    for (index, candidate) in candidates.iter().enumerate() {
        dropped
            .entry(candidate.dropped)
            .or_default()
            .offer(index, candidate.score);
        created
            .entry(candidate.created)
            .or_default()
            .offer(index, candidate.score);
    }
    candidates
        .iter()
        .enumerate()
        .filter(|(index, candidate)| {
            dropped[&candidate.dropped].led_by(*index, candidate.score, margin)
                && created[&candidate.created].led_by(*index, candidate.score, margin)
        })
        .map(|(_, candidate)| candidate.clone())
        .collect()
}

/// The best two scores among one object's candidates.
#[derive(Default)]
struct Top {
    best: Option<(usize, f64)>,
    second: Option<f64>,
}

impl Top {
    fn offer(&mut self, index: usize, score: f64) {
        match self.best {
            Some((_, best)) if score <= best => {
                self.second = Some(self.second.map_or(score, |second| second.max(score)));
            }
            _ => {
                self.second = self.best.map(|(_, best)| best);
                self.best = Some((index, score));
            }
        }
    }

    fn led_by(&self, index: usize, score: f64, margin: f64) -> bool {
        self.best.is_some_and(|(best, _)| best == index)
            && self.second.is_none_or(|second| score - second >= margin)
    }
}

/// Candidates grouped by connected part of the bipartite graph, in first-seen order: a
/// union-find over the dropped and created objects, so thousands of candidates group in one
/// pass.
fn groups(candidates: Vec<Candidate>) -> Vec<Vec<Candidate>> {
    // Objects are numbered dropped first, then created, as they first appear.
    let mut ids: HashMap<(bool, usize), usize> = HashMap::new();
    let mut parent: Vec<usize> = Vec::new();
    let mut id = |key: (bool, usize), parent: &mut Vec<usize>| {
        *ids.entry(key).or_insert_with(|| {
            parent.push(parent.len());
            parent.len() - 1
        })
    };
    fn root(parent: &mut [usize], mut node: usize) -> usize {
        while parent[node] != node {
            parent[node] = parent[parent[node]];
            node = parent[node];
        }
        node
    }
    let ends: Vec<(usize, usize)> = candidates
        .iter()
        .map(|c| {
            (
                id((false, c.dropped), &mut parent),
                id((true, c.created), &mut parent),
            )
        })
        .collect();
    for &(a, b) in &ends {
        let (a, b) = (root(&mut parent, a), root(&mut parent, b));
        parent[a.max(b)] = a.min(b);
    }
    let mut order: Vec<usize> = Vec::new();
    let mut grouped: HashMap<usize, Vec<Candidate>> = HashMap::new();
    for (candidate, (a, _)) in candidates.into_iter().zip(ends) {
        let group = root(&mut parent, a);
        if !grouped.contains_key(&group) {
            order.push(group);
        }
        grouped.entry(group).or_default().push(candidate);
    }
    order
        .into_iter()
        .filter_map(|group| grouped.remove(&group))
        .collect()
}

/// What kind of value a type holds. A widening keeps the kind (`integer` to `bigint`,
/// `varchar(50)` to `text`); `integer` to `text` loses nothing either, but a column that
/// changed kind is not recognisably the same column.
fn family(type_: &ColumnType) -> String {
    match type_ {
        ColumnType::Sql(sql) => match ColumnType::from_postgres_spelling(sql) {
            ColumnType::Sql(sql) => sql
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase(),
            known => family(&known),
        },
        ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt => "integer".to_string(),
        ColumnType::Real | ColumnType::Double => "float".to_string(),
        ColumnType::Text | ColumnType::Varchar { .. } => "text".to_string(),
        ColumnType::Json | ColumnType::Jsonb => "json".to_string(),
        ColumnType::Numeric { .. } => "numeric".to_string(),
        ColumnType::Timestamp { .. } => "timestamp".to_string(),
        ColumnType::Enum { name, .. } => format!("enum {name}"),
        ColumnType::Array(element) => format!("{}[]", family(element)),
        other => other.to_string(),
    }
}

/// The name of the column before `index`; None for the first.
fn previous_column(table: &TableShape, index: usize) -> Option<&str> {
    index
        .checked_sub(1)
        .map(|before| table.columns[before].name.as_str())
}

fn column_weight(name: &str) -> f64 {
    if GENERIC_COLUMNS.contains(&name.to_ascii_lowercase().as_str()) {
        GENERIC_WEIGHT
    } else {
        1.0
    }
}

/// The words of a name (`UserProfiles`, `user_profiles` -> user, profile), a plural's `s`
/// dropped so that `profile` and `profiles` agree.
fn words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for ch in name.chars() {
        if !ch.is_alphanumeric() {
            words.push(std::mem::take(&mut current));
            previous_lower = false;
            continue;
        }
        if ch.is_uppercase() && previous_lower {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = ch.is_lowercase();
        current.extend(ch.to_lowercase());
    }
    words.push(current);
    words
        .into_iter()
        .filter(|word| word.len() > 1 && word != "id")
        .map(|word| match word.strip_suffix('s') {
            Some(stem) if stem.len() > 2 && !stem.ends_with('s') => stem.to_string(),
            _ => word,
        })
        .collect()
}

/// Whether two names end in the same word, their last word that is not a number: the word
/// naming what the rows are (`profiles` of `user_profiles`), not whose they are.
fn shared_head(a: &str, b: &str) -> bool {
    let head = |name: &str| {
        words(name)
            .into_iter()
            .rev()
            .find(|word| !word.chars().all(|ch| ch.is_ascii_digit()))
    };
    matches!((head(a), head(b)), (Some(a), Some(b)) if a == b)
}

/// Whether two different names are the same but for their digits (`events_2023`,
/// `events_2024`): members of a numbered series.
fn series_members(a: &str, b: &str) -> bool {
    let letters = |name: &str| -> String {
        name.chars()
            .filter(|ch| !ch.is_ascii_digit())
            .flat_map(char::to_lowercase)
            .collect()
    };
    a.to_lowercase() != b.to_lowercase() && letters(a) == letters(b)
}

/// Whether a column rename has evidence besides the place: a word of the names, or the same
/// comment, default or reference (what `column_candidate` counts as specific).
fn agrees_beyond_place(dropped: &ColumnShape, added: &ColumnShape) -> bool {
    let same = |a: &Option<String>, b: &Option<String>| a.is_some() && a == b;
    shared_words(&dropped.name, &added.name) > 0.0
        || same(&dropped.comment, &added.comment)
        || same(&dropped.default, &added.default)
        || same(&dropped.references, &added.references)
}

/// The share of words two names have in common, from 0.0 to 1.0.
fn shared_words(a: &str, b: &str) -> f64 {
    let (a, b) = (words(a), words(b));
    let larger = a.len().max(b.len());
    if larger == 0 {
        return 0.0;
    }
    let shared = a.iter().filter(|word| b.contains(word)).count();
    shared as f64 / larger as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, type_: ColumnType) -> ColumnShape {
        ColumnShape {
            name: name.to_string(),
            type_,
            nullable: true,
            default: None,
            comment: None,
            references: None,
        }
    }

    fn table(name: &str, columns: &[(&str, ColumnType)]) -> TableShape {
        TableShape {
            name: name.to_string(),
            columns: columns
                .iter()
                .map(|(name, type_)| column(name, type_.clone()))
                .collect(),
            ..TableShape::default()
        }
    }

    fn same(a: &ColumnType, b: &ColumnType) -> bool {
        a == b
    }

    fn verdicts(dropped: &[TableShape], created: &[TableShape]) -> Vec<Outcome> {
        let matcher = Matcher::new(Some(Dialect::Postgresql), &same);
        matcher.decide_tables(matcher.table_candidates(dropped, created))
    }

    fn renames(outcomes: &[Outcome]) -> Vec<(usize, usize)> {
        outcomes
            .iter()
            .filter_map(|outcome| match outcome {
                Outcome::Rename { candidate, .. } => Some((candidate.dropped, candidate.created)),
                _ => None,
            })
            .collect()
    }

    fn not_guessed(outcomes: &[Outcome]) -> Vec<NotGuessed> {
        outcomes
            .iter()
            .filter_map(|outcome| match outcome {
                Outcome::NotGuessed { reason, .. } => Some(*reason),
                _ => None,
            })
            .collect()
    }

    use ColumnType::{Integer, Text};

    #[test]
    fn names_split_into_words_without_plurals() {
        assert_eq!(words("user_profiles"), vec!["user", "profile"]);
        assert_eq!(words("MemberProfiles"), vec!["member", "profile"]);
        assert_eq!(words("user_id"), vec!["user"]);
        assert_eq!(words("address"), vec!["address"]);
        assert!(shared_words("user_profiles", "member_profiles") > 0.0);
        assert_eq!(shared_words("karma", "reputation"), 0.0);
    }

    #[test]
    fn the_seed_is_a_strong_rename() {
        let old = table("user_profiles", &[("id", Integer), ("bio", Text)]);
        let new = table("member_profiles", &[("id", Integer), ("bio", Text)]);
        assert_eq!(renames(&verdicts(&[old], &[new])), vec![(0, 0)]);
    }

    #[test]
    fn a_renamed_table_with_a_renamed_column_is_a_rename() {
        let old = table(
            "user_profiles",
            &[
                ("id", Integer),
                ("user_id", Integer),
                ("karma", Integer),
                ("bio", Text),
            ],
        );
        let new = table(
            "member_profiles",
            &[
                ("id", Integer),
                ("user_id", Integer),
                ("reputation", Integer),
                ("bio", Text),
            ],
        );
        let matcher = Matcher::new(Some(Dialect::Postgresql), &same);
        assert_eq!(
            matcher.renamed_columns(&old, &new),
            vec![("karma".to_string(), "reputation".to_string())]
        );
        assert_eq!(renames(&verdicts(&[old], &[new])), vec![(0, 0)]);
    }

    #[test]
    fn a_generic_shape_is_weak_evidence() {
        let old = table("tags", &[("id", Integer), ("name", Text)]);
        let new = table("colors", &[("id", Integer), ("name", Text)]);
        let outcomes = verdicts(&[old], &[new]);
        assert!(renames(&outcomes).is_empty());
        assert_eq!(not_guessed(&outcomes), vec![NotGuessed::Weak]);
    }

    #[test]
    fn unrelated_shapes_are_no_candidates() {
        let old = table("user_profiles", &[("id", Integer), ("bio", Text)]);
        let new = table(
            "audit_events",
            &[("id", Integer), ("kind", Text), ("at", Text)],
        );
        assert!(verdicts(&[old], &[new]).is_empty());
    }

    #[test]
    fn a_shared_word_separates_two_renames_and_nothing_else_does() {
        let shape = [("id", Integer), ("user_id", Integer), ("settings", Text)];
        let dropped = [
            table("user_profiles", &shape),
            table("user_settings", &shape),
        ];
        let created = [
            table("member_settings", &shape),
            table("member_profiles", &shape),
        ];
        let mut found = renames(&verdicts(&dropped, &created));
        found.sort_unstable();
        assert_eq!(found, vec![(0, 1), (1, 0)]);

        let twins = [table("a_one", &shape), table("a_two", &shape)];
        let outcomes = verdicts(&[table("old", &shape)], &twins);
        assert!(renames(&outcomes).is_empty());
        assert_eq!(not_guessed(&outcomes), vec![NotGuessed::Ambiguous]);
    }

    #[test]
    fn a_move_to_another_schema_is_reported() {
        let old = table("audit_log", &[("id", Integer), ("entry", Text)]);
        let new = TableShape {
            schema: Some("archive".to_string()),
            ..old.clone()
        };
        let outcomes = verdicts(&[old], &[new]);
        assert_eq!(not_guessed(&outcomes), vec![NotGuessed::Moved]);
    }

    #[test]
    fn columns_renamed_side_by_side_are_ambiguous_and_a_lone_one_needs_its_place() {
        let matcher = Matcher::new(Some(Dialect::Postgresql), &same);
        let old = table("t", &[("id", Integer), ("a", Text), ("b", Text)]);
        let new = table("t", &[("id", Integer), ("c", Text), ("d", Text)]);
        let outcomes = matcher.decide_columns(matcher.column_candidates(&old, &new));
        assert_eq!(not_guessed(&outcomes), vec![NotGuessed::Ambiguous]);

        let old = table("t", &[("id", Integer), ("legacy", Text), ("x", Integer)]);
        let new = table("t", &[("id", Integer), ("x", Integer), ("fresh", Text)]);
        let outcomes = matcher.decide_columns(matcher.column_candidates(&old, &new));
        assert_eq!(not_guessed(&outcomes), vec![NotGuessed::Weak]);

        let new = table("t", &[("id", Integer), ("fresh", Text), ("x", Integer)]);
        let outcomes = matcher.decide_columns(matcher.column_candidates(&old, &new));
        assert_eq!(renames(&outcomes), vec![(1, 1)]);
    }

    #[test]
    fn a_widened_column_can_be_renamed_and_a_lossy_one_cannot() {
        let matcher = Matcher::new(Some(Dialect::Postgresql), &same);
        let old = table(
            "t",
            &[
                ("id", Integer),
                ("name", ColumnType::Varchar { length: Some(50) }),
            ],
        );
        let wider = table(
            "t",
            &[
                ("id", Integer),
                ("full_name", ColumnType::Varchar { length: Some(100) }),
            ],
        );
        let outcomes = matcher.decide_columns(matcher.column_candidates(&old, &wider));
        assert_eq!(renames(&outcomes), vec![(1, 1)]);
        let narrower = table("t", &[("id", Integer), ("full_name", Integer)]);
        assert!(matcher.column_candidates(&old, &narrower).is_empty());
    }

    fn weak_only(outcomes: &[Outcome]) {
        assert!(renames(outcomes).is_empty(), "no rename: {outcomes:?}");
        assert_eq!(not_guessed(outcomes), vec![NotGuessed::Weak]);
    }

    #[test]
    fn false_rename_sessions_to_api_keys_sharing_user_id_and_a_same_place_column() {
        // A foreign key column every table of a user has, and a text column in the same place:
        // the place of a column is evidence only once the tables are known to be one.
        let old = table(
            "sessions",
            &[
                ("id", Integer),
                ("user_id", Integer),
                ("token", Text),
                ("created_at", Text),
            ],
        );
        let new = table(
            "api_keys",
            &[
                ("id", Integer),
                ("user_id", Integer),
                ("secret", Text),
                ("created_at", Text),
            ],
        );
        weak_only(&verdicts(&[old], &[new]));
    }

    #[test]
    fn false_rename_payments_to_invoices_each_keeping_a_distinctive_column_of_its_own() {
        let numeric = || ColumnType::Numeric {
            precision: Some(10),
            scale: Some(2),
        };
        let old = table(
            "payments",
            &[
                ("id", Integer),
                ("user_id", Integer),
                ("amount", numeric()),
                ("currency", Text),
                ("created_at", Text),
            ],
        );
        let new = table(
            "invoices",
            &[
                ("id", Integer),
                ("user_id", Integer),
                ("amount", numeric()),
                ("due_on", ColumnType::Date),
                ("created_at", Text),
            ],
        );
        weak_only(&verdicts(&[old], &[new]));
    }

    #[test]
    fn false_rename_user_tags_to_user_roles_sharing_only_a_qualifier() {
        let old = table("user_tags", &[("id", Integer), ("name", Text)]);
        let new = table("user_roles", &[("id", Integer), ("name", Text)]);
        weak_only(&verdicts(&[old], &[new]));
        // The word naming what the rows are is shared: still a rename.
        let old = table("user_tags", &[("id", Integer), ("name", Text)]);
        let new = table("member_tags", &[("id", Integer), ("name", Text)]);
        assert_eq!(renames(&verdicts(&[old], &[new])), vec![(0, 0)]);
    }

    #[test]
    fn false_rename_events_2023_to_events_2024_a_numbered_series() {
        let shape = [("id", Integer), ("occurred_at", Text), ("payload", Text)];
        let outcomes = verdicts(
            &[table("events_2023", &shape)],
            &[table("events_2024", &shape)],
        );
        weak_only(&outcomes);
    }

    struct Answers(Vec<String>);

    impl RenameDecider for Answers {
        fn confirm(&mut self, question: &str) -> bool {
            self.0.push(question.to_string());
            question.ends_with("new1?")
        }
    }

    #[test]
    fn asked_each_candidate_is_put_best_first_and_a_yes_settles_both_sides() {
        let candidate = |created, score| Candidate {
            dropped: 0,
            created,
            score,
            evidence: Evidence::Weak,
            why: String::new(),
        };
        let mut answers = Answers(Vec::new());
        let outcomes = ask(
            vec![candidate(0, 0.9), candidate(1, 0.8)],
            &mut answers,
            &|c: &Candidate| (format!("old{}", c.dropped), format!("new{}", c.created)),
        );
        assert_eq!(
            answers.0,
            vec![
                "Did you rename old0 to new0?",
                "Did you rename old0 to new1?"
            ]
        );
        assert_eq!(renames(&outcomes), vec![(0, 1)]);
    }
}
