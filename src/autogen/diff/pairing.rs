//! Which table or column of the database is which of the target: the differ's first step.
//! Tables and columns pair by name, then by `renamed_from`, then by the rename matcher's
//! candidates (or the person's answers, with a decider); candidates it would not guess are
//! reported and not written. Also what follows from the renames: on PostgreSQL, the
//! constraints, indexes and sequences named after the old names are renamed with them
//! (`rename_dependents`), and the current table as it reads once the renames have run
//! (`rename_table_view`) is what the parent compares with the target.

use crate::autogen::model::{
    rename_columns_in_sql, same_condition, same_type, ForeignKey, Index, PrimaryKey, Schema, Table,
    Unique,
};
use crate::autogen::renames::{not_guessed_note, table_shape};
use crate::guard::matcher::{
    ask, Candidate, Matcher, NotGuessed, Outcome, RenameDecider, TableShape,
};
use crate::ops::{ColumnType, Operation, RenameConstraint, RenameIndex, RenameSequence};

use super::{same_columns, same_index, Detected, Differ, Phase, RenameReason};

/// Why a candidate the matcher or a person took was written as a rename.
fn rename_reason(candidate: &Candidate, confirmed: bool) -> RenameReason {
    if confirmed {
        RenameReason::Confirmed
    } else {
        RenameReason::Detected {
            evidence: candidate.why.clone(),
        }
    }
}

/// What the summary says of candidates not guessed.
fn not_guessed(
    object: &str,
    reason: NotGuessed,
    candidates: &[Candidate],
    names: &dyn Fn(&Candidate) -> (String, String),
) -> Detected {
    let mut old: Vec<String> = Vec::new();
    let mut new: Vec<String> = Vec::new();
    for candidate in candidates {
        let (from, to) = names(candidate);
        if !old.contains(&from) {
            old.push(from);
        }
        if !new.contains(&to) {
            new.push(to);
        }
    }
    match (reason, candidates) {
        (NotGuessed::Moved, [_]) => Detected::MovedTable {
            from: old.remove(0),
            to: new.remove(0),
        },
        (NotGuessed::Weak, [candidate]) => Detected::PossibleRename {
            object: object.to_string(),
            from: old.remove(0),
            to: new.remove(0),
            evidence: candidate.why.clone(),
        },
        _ => Detected::AmbiguousRename {
            object: object.to_string(),
            dropped: old,
            created: new,
        },
    }
}

/// A table's column renames, (old, new), by its (schema, new name).
pub(super) type ColumnRenames = (Option<String>, String, Vec<(String, String)>);

pub(super) struct TablePairing {
    /// (current index, target index, why renamed when the names differ)
    pub(super) pairs: Vec<(usize, usize, Option<RenameReason>)>,
    pub(super) dropped: Vec<usize>,
    pub(super) created: Vec<usize>,
    pub(super) ambiguities: Vec<Ambiguity>,
}

pub(super) struct Ambiguity {
    pub(super) detected: Detected,
    pub(super) comment: String,
}

/// The columns of a table that stays: (current name, target name, why renamed).
pub(super) struct ColumnPairing {
    pub(super) pairs: Vec<(String, String, Option<RenameReason>)>,
    pub(super) dropped: Vec<String>,
    pub(super) added: Vec<String>,
}

impl Differ {
    pub(super) fn pair_tables(
        &mut self,
        current: &Schema,
        target: &Schema,
        decider: Option<&mut (dyn RenameDecider + '_)>,
    ) -> TablePairing {
        let mut pairs = Vec::new();
        let mut current_used = vec![false; current.tables.len()];
        let mut target_used = vec![false; target.tables.len()];
        let find = |schema: &Option<String>, name: &str| {
            current
                .tables
                .iter()
                .position(|table| &table.schema == schema && table.name == name)
        };
        for (target_index, table) in target.tables.iter().enumerate() {
            if let Some(current_index) = find(&table.schema, &table.name) {
                pairs.push((current_index, target_index, None));
                current_used[current_index] = true;
                target_used[target_index] = true;
            }
        }
        for (target_index, table) in target.tables.iter().enumerate() {
            let Some(old) = &table.renamed_from else {
                continue;
            };
            if target_used[target_index] {
                continue;
            }
            if let Some(current_index) = find(&table.schema, old) {
                if !current_used[current_index] {
                    pairs.push((current_index, target_index, Some(RenameReason::RenamedFrom)));
                    current_used[current_index] = true;
                    target_used[target_index] = true;
                }
            }
        }
        let dropped: Vec<usize> = (0..current.tables.len())
            .filter(|&index| !current_used[index])
            .collect();
        let created: Vec<usize> = (0..target.tables.len())
            .filter(|&index| !target_used[index])
            .collect();
        let old_shapes: Vec<TableShape> = dropped
            .iter()
            .map(|&index| table_shape(&current.tables[index], current))
            .collect();
        let new_shapes: Vec<TableShape> = created
            .iter()
            .map(|&index| table_shape(&target.tables[index], target))
            .collect();
        let dialect = self.dialect;
        let same = move |a: &ColumnType, b: &ColumnType| same_type(dialect, a, b);
        let matcher = Matcher::new(Some(dialect), &same);
        let candidates = matcher.table_candidates(&old_shapes, &new_shapes);
        let names = |candidate: &Candidate| {
            (
                current.tables[dropped[candidate.dropped]].display_name(),
                target.tables[created[candidate.created]].display_name(),
            )
        };
        let outcomes = match decider {
            Some(decider) => ask(candidates, decider, &names),
            None => matcher.decide_tables(candidates),
        };
        let mut renamed_dropped = Vec::new();
        let mut renamed_created = Vec::new();
        let mut ambiguities = Vec::new();
        for outcome in outcomes {
            match outcome {
                Outcome::Rename {
                    candidate,
                    confirmed,
                } => {
                    let (d, c) = (dropped[candidate.dropped], created[candidate.created]);
                    renamed_dropped.push(d);
                    renamed_created.push(c);
                    pairs.push((d, c, Some(rename_reason(&candidate, confirmed))));
                }
                Outcome::NotGuessed { reason, candidates } => {
                    ambiguities.push(Ambiguity {
                        detected: not_guessed("table", reason, &candidates, &names),
                        comment: not_guessed_note("table", reason, &candidates, &names),
                    });
                }
            }
        }
        TablePairing {
            pairs,
            dropped: dropped
                .into_iter()
                .filter(|index| !renamed_dropped.contains(index))
                .collect(),
            created: created
                .into_iter()
                .filter(|index| !renamed_created.contains(index))
                .collect(),
            ambiguities,
        }
    }

    pub(super) fn pair_columns(
        &mut self,
        (old, current): (&Table, &Schema),
        (new, target): (&Table, &Schema),
        decider: Option<&mut (dyn RenameDecider + '_)>,
    ) -> ColumnPairing {
        let mut pairs = Vec::new();
        let mut old_used = vec![false; old.columns.len()];
        let mut new_used = vec![false; new.columns.len()];
        let find = |name: &str| old.columns.iter().position(|c| c.column.name == name);
        for (new_index, entry) in new.columns.iter().enumerate() {
            if let Some(old_index) = find(&entry.column.name) {
                pairs.push((entry.column.name.clone(), entry.column.name.clone(), None));
                old_used[old_index] = true;
                new_used[new_index] = true;
            }
        }
        for (new_index, entry) in new.columns.iter().enumerate() {
            let Some(from) = &entry.renamed_from else {
                continue;
            };
            if new_used[new_index] {
                continue;
            }
            if let Some(old_index) = find(from) {
                if !old_used[old_index] {
                    pairs.push((
                        from.clone(),
                        entry.column.name.clone(),
                        Some(RenameReason::RenamedFrom),
                    ));
                    old_used[old_index] = true;
                    new_used[new_index] = true;
                }
            }
        }
        let (old_shape, new_shape) = (table_shape(old, current), table_shape(new, target));
        let dialect = self.dialect;
        let same = move |a: &ColumnType, b: &ColumnType| same_type(dialect, a, b);
        let matcher = Matcher::new(Some(dialect), &same);
        // Columns `renamed_from` already paired are no candidates.
        let candidates: Vec<Candidate> = matcher
            .column_candidates(&old_shape, &new_shape)
            .into_iter()
            .filter(|candidate| !old_used[candidate.dropped] && !new_used[candidate.created])
            .collect();
        let table = new.display_name();
        let names = |candidate: &Candidate| {
            (
                format!("{table}.{}", old.columns[candidate.dropped].column.name),
                format!("{table}.{}", new.columns[candidate.created].column.name),
            )
        };
        let outcomes = match decider {
            Some(decider) => ask(candidates, decider, &names),
            None => matcher.decide_columns(candidates),
        };
        for outcome in outcomes {
            match outcome {
                Outcome::Rename {
                    candidate,
                    confirmed,
                } => {
                    old_used[candidate.dropped] = true;
                    new_used[candidate.created] = true;
                    pairs.push((
                        old.columns[candidate.dropped].column.name.clone(),
                        new.columns[candidate.created].column.name.clone(),
                        Some(rename_reason(&candidate, confirmed)),
                    ));
                }
                Outcome::NotGuessed { reason, candidates } => {
                    let object = format!("column of {table}");
                    self.push(
                        Phase::DropColumns,
                        not_guessed(&object, reason, &candidates, &names),
                        Vec::new(),
                        Some(not_guessed_note("column", reason, &candidates, &names)),
                    );
                }
            }
        }
        ColumnPairing {
            pairs,
            dropped: (0..old.columns.len())
                .filter(|&index| !old_used[index])
                .map(|index| old.columns[index].column.name.clone())
                .collect(),
            added: (0..new.columns.len())
                .filter(|&index| !new_used[index])
                .map(|index| new.columns[index].column.name.clone())
                .collect(),
        }
    }

    /// PostgreSQL keeps the names of a table's constraints, indexes and sequences when the
    /// table or its columns are renamed. Those that follow the default naming of the old names
    /// (`user_profiles_pkey`, `user_profiles_id_seq`, `user_profiles_user_id_fkey`) are renamed
    /// to the default naming of the new ones, unless the target names them otherwise; an index
    /// or constraint the target names differently but defines the same is renamed to the
    /// target's name rather than dropped and created. `view` is `old` under its new names, and
    /// takes the dependents' new names too, so the comparison after this finds nothing left.
    pub(super) fn rename_dependents(
        &mut self,
        old: &Table,
        view: &mut Table,
        new: &Table,
        columns: &ColumnPairing,
    ) {
        let renamed_column = |name: &str| {
            columns
                .pairs
                .iter()
                .find(|(from, _, _)| from == name)
                .map_or(name.to_string(), |(_, to, _)| to.clone())
        };
        let follows = |name: &str, old_columns: &[String], suffix: &str| -> Option<String> {
            let old_default = default_name(&old.name, old_columns, suffix);
            let new_columns: Vec<String> = old_columns.iter().map(|c| renamed_column(c)).collect();
            let new_default = default_name(&new.name, &new_columns, suffix);
            (name == old_default && new_default != old_default && new_default.len() <= 63)
                .then_some(new_default)
        };
        let table = new.display_name();
        let schema = new.schema.clone();
        let mut renames: Vec<(String, String, Operation)> = Vec::new();
        let constraint =
            |renames: &mut Vec<(String, String, Operation)>, from: &str, to: String| {
                renames.push((
                    from.to_string(),
                    to.clone(),
                    Operation::RenameConstraint(RenameConstraint {
                        table_name: new.name.clone(),
                        old_constraint_name: from.to_string(),
                        new_constraint_name: to,
                        schema: schema.clone(),
                    }),
                ));
            };

        if let (Some(before), Some(after)) = (&mut view.primary_key, &new.primary_key) {
            if let Some(name) = &before.name {
                let target = match &after.name {
                    Some(wanted) if wanted != name && before.columns == after.columns => {
                        Some(wanted.clone())
                    }
                    Some(_) => None,
                    None => follows(name, &[], "pkey"),
                };
                if let Some(to) = target {
                    constraint(&mut renames, name, to.clone());
                    before.name = Some(to);
                }
            }
        }
        for before in &mut view.uniques {
            let Some(name) = before.name.clone() else {
                continue;
            };
            let old_columns = original_columns(old, &before.columns, &renamed_column);
            let same: Vec<&Unique> = new
                .uniques
                .iter()
                .filter(|after| same_columns(&before.columns, &after.columns))
                .collect();
            let target = match same.as_slice() {
                [after] => match &after.name {
                    Some(wanted) if wanted != &name => Some(wanted.clone()),
                    Some(_) => None,
                    None => follows(&name, &old_columns, "key"),
                },
                _ => None,
            };
            if let Some(to) = target {
                constraint(&mut renames, &name, to.clone());
                before.name = Some(to);
            }
        }
        for before in &mut view.foreign_keys {
            let Some(name) = before.name.clone() else {
                continue;
            };
            let old_columns = original_columns(old, &before.columns, &renamed_column);
            let same: Vec<&ForeignKey> = new
                .foreign_keys
                .iter()
                .filter(|after| before.same_definition(after))
                .collect();
            let target = match same.as_slice() {
                [after] => match &after.name {
                    Some(wanted) if wanted != &name => Some(wanted.clone()),
                    Some(_) => None,
                    None => follows(&name, &old_columns, "fkey"),
                },
                _ => None,
            };
            if let Some(to) = target {
                constraint(&mut renames, &name, to.clone());
                before.name = Some(to);
            }
        }
        for before in &mut view.checks {
            let Some(name) = before.name.clone() else {
                continue;
            };
            let unnamed_in_target = new.checks.iter().any(|after| {
                after.name.is_none() && same_condition(&before.condition, &after.condition)
            });
            // A check's default name holds the one column it reads, if any, which the name
            // alone does not tell: `<table>_check`, or `<table>_<column>_check`.
            let target = unnamed_in_target
                .then(|| {
                    follows(&name, &[], "check").or_else(|| {
                        old.columns.iter().find_map(|entry| {
                            follows(&name, std::slice::from_ref(&entry.column.name), "check")
                        })
                    })
                })
                .flatten();
            if let Some(to) = target {
                constraint(&mut renames, &name, to.clone());
                before.name = Some(to);
            }
        }
        for before in &mut view.indexes {
            if before.expression || new.indexes.iter().any(|after| after.name == before.name) {
                continue;
            }
            let same: Vec<&Index> = new
                .indexes
                .iter()
                .filter(|after| {
                    same_index(before, after) && !view_has_index(&old.indexes, &after.name)
                })
                .collect();
            if let [after] = same.as_slice() {
                renames.push((
                    before.name.clone(),
                    after.name.clone(),
                    Operation::RenameIndex(RenameIndex {
                        old_index_name: before.name.clone(),
                        new_index_name: after.name.clone(),
                        table_name: Some(new.name.clone()),
                        schema: schema.clone(),
                    }),
                ));
                before.name = after.name.clone();
            }
        }
        for sequence in &mut view.sequences {
            let old_column =
                original_columns(old, std::slice::from_ref(&sequence.column), &renamed_column);
            if let Some(to) = follows(&sequence.name, &old_column, "seq") {
                renames.push((
                    sequence.name.clone(),
                    to.clone(),
                    Operation::RenameSequence(RenameSequence {
                        old_sequence_name: sequence.name.clone(),
                        new_sequence_name: to.clone(),
                        schema: schema.clone(),
                    }),
                ));
                sequence.name = to;
            }
        }
        for (from, to, op) in renames {
            self.push(
                Phase::RenameDependents,
                Detected::RenamedDependent {
                    table: table.clone(),
                    from,
                    to,
                },
                vec![op],
                None,
            );
        }
    }
}

/// PostgreSQL's default name for a table's constraint or sequence: `<table>_<columns>_<suffix>`.
fn default_name(table: &str, columns: &[String], suffix: &str) -> String {
    let mut parts = vec![table.to_string()];
    parts.extend(columns.iter().cloned());
    parts.push(suffix.to_string());
    parts.join("_")
}

/// The names `columns` (new names) had before the revision's column renames.
fn original_columns(
    old: &Table,
    columns: &[String],
    renamed_column: &dyn Fn(&str) -> String,
) -> Vec<String> {
    columns
        .iter()
        .map(|name| {
            old.columns
                .iter()
                .map(|entry| &entry.column.name)
                .find(|original| &renamed_column(original) == name)
                .cloned()
                .unwrap_or_else(|| name.clone())
        })
        .collect()
}

fn view_has_index(indexes: &[Index], name: &str) -> bool {
    indexes.iter().any(|index| index.name == name)
}

/// The table as it reads once the revision's renames have run: its own new name, its columns'
/// new names, and the new names of the tables and columns its keys reference.
pub(super) fn rename_table_view(
    table: &Table,
    table_renames: &[(Option<String>, String, String)],
    column_renames: &[ColumnRenames],
) -> Table {
    let new_table_name = |schema: &Option<String>, name: &str| {
        table_renames
            .iter()
            .find(|(s, old, _)| s == schema && old == name)
            .map(|(_, _, new)| new.clone())
            .unwrap_or_else(|| name.to_string())
    };
    let column_map = |schema: &Option<String>, table_name: &str| {
        column_renames
            .iter()
            .find(|(s, name, _)| s == schema && name == table_name)
            .map(|(_, _, renames)| renames.clone())
            .unwrap_or_default()
    };
    let rename = |renames: &[(String, String)], name: &String| {
        renames
            .iter()
            .find(|(old, _)| old == name)
            .map(|(_, new)| new.clone())
            .unwrap_or_else(|| name.clone())
    };
    let mut view = table.clone();
    view.name = new_table_name(&table.schema, &table.name);
    let own = column_map(&view.schema, &view.name);
    let rename_all = |names: &mut Vec<String>, renames: &[(String, String)]| {
        for name in names.iter_mut() {
            *name = rename(renames, name);
        }
    };
    for entry in &mut view.columns {
        entry.column.name = rename(&own, &entry.column.name);
    }
    if let Some(PrimaryKey { columns, .. }) = &mut view.primary_key {
        rename_all(columns, &own);
    }
    for Unique { columns, .. } in &mut view.uniques {
        rename_all(columns, &own);
    }
    for index in &mut view.indexes {
        rename_all(&mut index.columns, &own);
    }
    // The database rewrites a check that reads a renamed column itself.
    for check in &mut view.checks {
        check.condition = rename_columns_in_sql(&check.condition, &own);
    }
    for sequence in &mut view.sequences {
        sequence.column = rename(&own, &sequence.column);
    }
    for key in &mut view.foreign_keys {
        rename_all(&mut key.columns, &own);
        key.referent_table = new_table_name(&key.referent_schema, &key.referent_table);
        let referent = column_map(&key.referent_schema, &key.referent_table);
        rename_all(&mut key.referent_columns, &referent);
    }
    view
}
