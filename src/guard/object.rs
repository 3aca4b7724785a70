//! What a destructive operation destroys, and the names a confirmation may use for it.

use std::fmt;

use serde::Serialize;

/// The object whose data an operation can destroy.
///
/// Its name is what `confirm_data_loss` must spell (and `--allow-data-loss`, with its kind),
/// so that a confirmation is tied to one object and cannot be copied blindly onto another
/// operation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DataObject {
    Table {
        schema: Option<String>,
        table: String,
    },
    Column {
        schema: Option<String>,
        table: String,
        column: String,
    },
    /// A schema, database, type, domain or extension whose drop takes tables or columns with
    /// it; `kind` says which.
    Named { kind: &'static str, name: String },
    /// SQL the guard could not parse: it may destroy anything, so it names nothing.
    Unknown,
}

impl DataObject {
    pub fn table(schema: Option<&str>, table: &str) -> DataObject {
        DataObject::Table {
            schema: schema.map(str::to_string),
            table: table.to_string(),
        }
    }

    pub fn column(schema: Option<&str>, table: &str, column: &str) -> DataObject {
        DataObject::Column {
            schema: schema.map(str::to_string),
            table: table.to_string(),
            column: column.to_string(),
        }
    }

    /// The name to write in `confirm_data_loss`: `table`, `table.column`, schema-qualified
    /// when the operation names a schema. None for unparsed SQL, which has no name.
    pub fn confirm_name(&self) -> Option<String> {
        match self {
            DataObject::Table { schema, table } => Some(qualified(schema.as_deref(), table)),
            DataObject::Column {
                schema,
                table,
                column,
            } => Some(format!("{}.{column}", qualified(schema.as_deref(), table))),
            DataObject::Named { name, .. } => Some(name.clone()),
            DataObject::Unknown => None,
        }
    }

    /// Whether `name` names this object: its full name, or the same without the schema
    /// (a schema is part of the name only when the operation gives one).
    pub fn is_named(&self, name: &str) -> bool {
        match self {
            DataObject::Table { table, .. } => {
                name == table || self.confirm_name().as_deref() == Some(name)
            }
            DataObject::Column { table, column, .. } => {
                name == format!("{table}.{column}") || self.confirm_name().as_deref() == Some(name)
            }
            DataObject::Named { name: own, .. } => name == own,
            DataObject::Unknown => false,
        }
    }

    /// Whether this is the table `schema.table` or one of its columns (`table:` allowances
    /// cover both). A table without a schema is in the default schema, see `same_schema`.
    pub fn is_in_table(&self, schema: Option<&str>, table: &str) -> bool {
        self.table_name()
            .is_some_and(|(own_schema, own)| own == table && same_schema(own_schema, schema))
    }

    /// Whether this is the column `schema.table.column`.
    pub fn is_column(&self, schema: Option<&str>, table: &str, column: &str) -> bool {
        matches!(self, DataObject::Column { column: own, .. } if own == column)
            && self.is_in_table(schema, table)
    }

    /// Whether the database shows, after the drop, what this object's drop destroyed: the
    /// tables of a schema, the columns of a type, domain or extension, each by name. A
    /// sequence or a large object leaves no such trace.
    pub fn is_seen_dropping(&self) -> bool {
        matches!(
            self,
            DataObject::Named {
                kind: "schema" | "type" | "domain" | "extension",
                ..
            }
        )
    }

    /// The table and its schema, for counting rows.
    pub fn table_name(&self) -> Option<(Option<&str>, &str)> {
        match self {
            DataObject::Table { schema, table } | DataObject::Column { schema, table, .. } => {
                Some((schema.as_deref(), table))
            }
            DataObject::Named { .. } | DataObject::Unknown => None,
        }
    }
}

impl fmt::Display for DataObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataObject::Table { .. } | DataObject::Column { .. } => {
                f.write_str(&self.confirm_name().unwrap_or_default())
            }
            DataObject::Named { kind, name } => write!(f, "{kind} {name}"),
            DataObject::Unknown => f.write_str("whatever the SQL touches"),
        }
    }
}

/// The schema an unqualified name is in: `public`, PostgreSQL's default, so that `public.x`
/// and `x` name the same table. SQLite has no `public` schema, so there no operation names
/// it. A search_path that puts another schema first is not known to the guard.
const DEFAULT_SCHEMA: &str = "public";

/// Whether two schemas are the same, None being the default one.
fn same_schema(a: Option<&str>, b: Option<&str>) -> bool {
    fn explicit(schema: Option<&str>) -> Option<&str> {
        schema.filter(|schema| *schema != DEFAULT_SCHEMA)
    }
    explicit(a) == explicit(b)
}

/// `schema.name`, or `name` alone.
pub(crate) fn qualified(schema: Option<&str>, name: &str) -> String {
    match schema {
        Some(schema) => format!("{schema}.{name}"),
        None => name.to_string(),
    }
}
