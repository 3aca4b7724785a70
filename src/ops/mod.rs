//! Operations: the typed, declarative form of Alembic's `op.*` calls that make up a revision's
//! `upgrade` and `downgrade` lists. Pure data and pure functions: no I/O happens here.

use serde::Deserialize;

/// One operation of a revision, tagged by `op` with Alembic's function name.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Operation {
    RenameTable {
        old_table_name: String,
        new_table_name: String,
        #[serde(default)]
        schema: Option<String>,
    },
    DropTable {
        table_name: String,
        #[serde(default)]
        schema: Option<String>,
    },
}

impl Operation {
    /// Alembic's name for the operation, as written after `op =`.
    pub fn name(&self) -> &'static str {
        match self {
            Operation::RenameTable { .. } => "rename_table",
            Operation::DropTable { .. } => "drop_table",
        }
    }

    /// A one-line human description, e.g. `rename_table user_profiles -> member_profiles`.
    pub fn describe(&self) -> String {
        match self {
            Operation::RenameTable {
                old_table_name,
                new_table_name,
                ..
            } => format!("rename_table {old_table_name} -> {new_table_name}"),
            Operation::DropTable { table_name, .. } => format!("drop_table {table_name}"),
        }
    }
}
