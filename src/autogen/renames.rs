//! Autogenerate's side of rename detection: the model's tables as the guard's rename matcher
//! sees them, and the reviewer's notes for candidates the matcher would not guess.
//!
//! The decision itself is the matcher's (`guard::matcher`), so that what autogenerate writes
//! and what the guard calls a probable rename agree. `renamed_from` in the target file always
//! wins, whatever the shapes; the differ applies it before the matcher runs.

use crate::guard::matcher::{Candidate, ColumnShape, NotGuessed, TableShape};

use super::model::{Schema, Table};

/// `table` of `schema` as the matcher sees it.
pub fn table_shape(table: &Table, schema: &Schema) -> TableShape {
    let references = |column: &str| {
        table
            .foreign_keys
            .iter()
            .find(|key| key.columns.len() == 1 && key.columns[0] == column)
            .map(|key| key.referent_table.clone())
    };
    TableShape {
        schema: table.schema.clone(),
        name: table.name.clone(),
        comment: table.comment.clone(),
        columns: table
            .columns
            .iter()
            .map(|entry| ColumnShape {
                name: entry.column.name.clone(),
                type_: entry.column.type_.clone(),
                nullable: entry.column.nullable,
                default: entry.column.server_default.clone(),
                comment: entry.column.comment.clone(),
                references: references(&entry.column.name),
            })
            .collect(),
        referenced_by: schema
            .tables
            .iter()
            .flat_map(|other| {
                other
                    .foreign_keys
                    .iter()
                    .filter(|key| {
                        key.referent_table == table.name && key.referent_schema == table.schema
                    })
                    .map(move |key| format!("{}.{}", other.display_name(), key.columns.join(",")))
            })
            .collect(),
    }
}

/// The note above the drops and creates of candidates not guessed: which renames they could
/// be, why rmig did not write them, and what to write if they are. `object` is "table" or
/// "column"; `names` gives a candidate's (old, new) names.
pub fn not_guessed_note(
    object: &str,
    reason: NotGuessed,
    candidates: &[Candidate],
    names: &dyn Fn(&Candidate) -> (String, String),
) -> String {
    let (heading, because) = match reason {
        NotGuessed::Ambiguous => (
            "AMBIGUOUS, NOT GUESSED",
            "more than one pair matches and nothing tells them apart",
        ),
        NotGuessed::Weak => (
            "WEAK EVIDENCE, NOT GUESSED",
            "only the shapes agree, which unrelated objects often do",
        ),
        NotGuessed::Moved => (
            "MOVED TABLE, NOT GUESSED",
            "no operation moves a table to another schema",
        ),
    };
    let mut lines = vec![format!(
        "{heading}: possible {object} rename(s), {because}:"
    )];
    for candidate in candidates {
        let (old, new) = names(candidate);
        lines.push(format!("  {old} -> {new} ({})", candidate.why));
    }
    lines.push(
        "rmig wrote the drop and the create below; the guard blocks each drop until someone decides."
            .to_string(),
    );
    lines.push(match (object, reason) {
        (_, NotGuessed::Moved) => {
            "If the table moved, replace its drop_table and create_table with an execute of \
             ALTER TABLE <schema>.<table> SET SCHEMA <new schema> (and its reverse in the downgrade)."
                .to_string()
        }
        ("table", _) => {
            "If it is a rename, replace that drop_table + create_table pair with a rename_table \
             (and its reverse in the downgrade),"
                .to_string()
        }
        _ => {
            "If it is a rename, replace that drop_column + add_column pair with an alter_column \
             with new_column_name (and its reverse in the downgrade),"
                .to_string()
        }
    });
    if reason != NotGuessed::Moved {
        lines.push(
            "or confirm the drop with confirm_data_loss if the data may go, or run \
             `rmig revision --autogenerate --interactive` to be asked."
                .to_string(),
        );
    }
    lines.join("\n")
}
