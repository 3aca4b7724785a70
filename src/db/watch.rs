//! The tables a run watches for the guard's second layer: their columns as they were, to
//! compare with what the database says after each operation. Each backend fills it from its
//! own catalog; the comparison is shared.

use crate::guard::{Observed, ObservedEffect};

/// A watched table as the catalog last showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableState {
    /// None for the connection's default schema.
    pub schema: Option<String>,
    pub name: String,
    /// Where its rows are stored (PostgreSQL's relfilenode, SQLite's root page): a new value
    /// means new storage, as after a TRUNCATE or a rewrite.
    pub storage: i64,
    /// Each column by its position key (PostgreSQL's attnum; SQLite: none, matched by name),
    /// name and type as the database spells it.
    pub columns: Vec<ColumnState>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ColumnState {
    pub key: Option<i64>,
    pub name: String,
    pub type_: String,
}

impl TableState {
    pub fn object(&self) -> crate::guard::DataObject {
        crate::guard::DataObject::table(self.schema.as_deref(), &self.name)
    }

    fn column_object(&self, column: &str) -> crate::guard::DataObject {
        crate::guard::DataObject::column(self.schema.as_deref(), &self.name, column)
    }

    /// The columns of `self` (before) that `now` lost or retyped. Columns are matched by key
    /// where the database has one (a rename keeps the attnum), else by name.
    pub fn column_changes(&self, now: &TableState, out: &mut Vec<Observed>) {
        for (position, before) in self.columns.iter().enumerate() {
            let after = now
                .columns
                .iter()
                .find(|column| match before.key {
                    Some(key) => column.key == Some(key),
                    None => column.name == before.name,
                })
                // Without keys (SQLite) a renamed column keeps its position and type under a
                // name the table did not have.
                .or_else(|| {
                    now.columns.get(position).filter(|column| {
                        before.key.is_none()
                            && column.type_ == before.type_
                            && !self.columns.iter().any(|old| old.name == column.name)
                    })
                });
            match after {
                None => out.push(Observed {
                    object: self.column_object(&before.name),
                    effect: ObservedEffect::ColumnDropped,
                }),
                Some(after) if !after.type_.eq_ignore_ascii_case(&before.type_) => {
                    out.push(Observed {
                        object: self.column_object(&before.name),
                        effect: ObservedEffect::TypeChanged {
                            from: before.type_.clone(),
                            to: after.type_.clone(),
                        },
                    })
                }
                Some(_) => {}
            }
        }
    }
}

/// `[[attnum, name, type], ...]` as PostgreSQL's `json_agg` prints it.
#[cfg(feature = "postgres")]
pub(crate) fn columns_from_json(json: &str) -> Result<Vec<ColumnState>, super::DbError> {
    let columns: Vec<(i64, String, String)> = serde_json::from_str(json).map_err(|e| {
        super::DbError::Other(format!(
            "cannot read the catalog's column list ({e}): {json}"
        ))
    })?;
    Ok(columns
        .into_iter()
        .map(|(key, name, type_)| ColumnState {
            key: Some(key),
            name,
            type_,
        })
        .collect())
}
