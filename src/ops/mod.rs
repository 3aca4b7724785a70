//! Operations: the typed, declarative form of Alembic's `op.*` calls that make up a revision's
//! `upgrade` and `downgrade` lists. Pure data and pure functions: no I/O happens here.
//!
//! Op names and field names are Alembic's (docs/operations.md, which src/reference/docs_tests.rs keeps
//! complete). Every table rejects keys it does
//! not know, so a typo is an error naming the key instead of a silently ignored setting.

mod column;
mod constraint;
mod ddl;
mod dependents;
pub mod fragment;
pub mod names;
pub mod naming_convention;
pub mod online;
pub mod reverse;
pub mod scope;
pub(crate) mod spelling;
pub mod sql;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};

use crate::dialect::Dialect;
use crate::identifier::MaxNameLength;
pub(crate) use column::normalize_type_text;
use column::TypeSpelling;
pub use column::{Column, ColumnForeignKey, ColumnType, Identity};
#[cfg(test)]
pub(crate) use column::{TypeTable, TYPE_NAMES};
pub use constraint::{
    ConstraintKind, ForeignKeyMatch, Initially, ReferentialAction, TableConstraint,
};
use fragment::FragmentError;
use names::NamesError;
pub use scope::{running_on, ScopedOperation};

/// One operation of a revision, tagged by `op` with Alembic's function name.
///
/// Each variant holds a struct of the same name. Unknown keys are rejected by those structs:
/// serde's internally tagged enums hand a variant its table minus `op`, so the check still runs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Operation {
    CreateTable(CreateTable),
    DropTable(DropTable),
    RenameTable(RenameTable),
    RenameIndex(RenameIndex),
    RenameConstraint(RenameConstraint),
    RenameSequence(RenameSequence),
    AddColumn(AddColumn),
    DropColumn(DropColumn),
    AlterColumn(AlterColumn),
    CreateIndex(CreateIndex),
    DropIndex(DropIndex),
    CreateEnum(CreateEnum),
    DropEnum(DropEnum),
    CreateUniqueConstraint(CreateUniqueConstraint),
    CreateForeignKey(CreateForeignKey),
    CreateCheckConstraint(CreateCheckConstraint),
    CreatePrimaryKey(CreatePrimaryKey),
    DropConstraint(DropConstraint),
    CreateTableComment(CreateTableComment),
    DropTableComment(DropTableComment),
    Execute(Execute),
    BulkInsert(BulkInsert),
}

/// `op.create_table`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateTable {
    pub table_name: String,
    pub columns: Vec<Column>,
    #[serde(default)]
    pub constraints: Vec<TableConstraint>,
    pub schema: Option<String>,
    pub comment: Option<String>,
}

/// `op.drop_table`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DropTable {
    pub table_name: String,
    pub schema: Option<String>,
    /// The dropped table's columns, so that its downgrade (a `create_table`) can be derived.
    pub columns: Option<Vec<Column>>,
    /// The dropped table's table-level constraints, for the same derived downgrade.
    #[serde(default)]
    pub constraints: Vec<TableConstraint>,
    /// Confirms that this operation may destroy data: the guard (the README, "The destructive-operation guard") runs it
    /// only when this names the object it destroys (the table, `table.column`, or for
    /// `execute` the revision id), so a confirmation cannot be copied onto another operation.
    pub confirm_data_loss: Option<String>,
}

/// `op.rename_table`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenameTable {
    pub old_table_name: String,
    pub new_table_name: String,
    pub schema: Option<String>,
    /// rmig's own key, not Alembic's: on PostgreSQL, also rename the constraints, indexes and
    /// owned sequences still named after the old table by PostgreSQL's and Alembic's default
    /// naming (`user_profiles_pkey`, `ix_user_profiles_karma`, `user_profiles_id_seq`, ...).
    #[serde(default)]
    pub rename_dependents: bool,
}

/// `rename_index`: rmig's own operation (Alembic renames an index only through `execute`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenameIndex {
    pub old_index_name: String,
    pub new_index_name: String,
    /// The index's table, for messages: PostgreSQL finds an index by its name alone.
    pub table_name: Option<String>,
    pub schema: Option<String>,
}

/// `rename_constraint`: rmig's own operation. On PostgreSQL, renaming a primary key, unique
/// or exclusion constraint renames its index too.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenameConstraint {
    pub table_name: String,
    pub old_constraint_name: String,
    pub new_constraint_name: String,
    pub schema: Option<String>,
}

/// `rename_sequence`: rmig's own operation. A column default or identity that uses the
/// sequence follows it, since it holds the sequence's oid rather than its name.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenameSequence {
    pub old_sequence_name: String,
    pub new_sequence_name: String,
    pub schema: Option<String>,
}

/// `op.add_column`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddColumn {
    pub table_name: String,
    pub column: Column,
    pub schema: Option<String>,
}

/// `op.drop_column`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "DropColumnFields")]
pub struct DropColumn {
    pub table_name: String,
    pub column_name: String,
    pub schema: Option<String>,
    /// The dropped column, so that its downgrade (an `add_column`) can be derived.
    pub existing_column: Option<Column>,
    /// Confirms that this operation may destroy data: the guard (the README, "The destructive-operation guard") runs it
    /// only when this names the object it destroys (the table, `table.column`, or for
    /// `execute` the revision id), so a confirmation cannot be copied onto another operation.
    pub confirm_data_loss: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DropColumnFields {
    table_name: String,
    column_name: String,
    schema: Option<String>,
    existing_column: Option<Column>,
    confirm_data_loss: Option<String>,
}

impl TryFrom<DropColumnFields> for DropColumn {
    type Error = String;

    fn try_from(fields: DropColumnFields) -> Result<DropColumn, String> {
        if let Some(existing) = &fields.existing_column {
            if existing.name != fields.column_name {
                return Err(format!(
                    "drop_column drops `{}` but its existing_column describes `{}`",
                    fields.column_name, existing.name
                ));
            }
        }
        Ok(DropColumn {
            table_name: fields.table_name,
            column_name: fields.column_name,
            schema: fields.schema,
            existing_column: fields.existing_column,
            confirm_data_loss: fields.confirm_data_loss,
        })
    }
}

/// `op.alter_column`. Absent fields leave that property as it is; `existing_*` fields describe
/// the column before the change, for dialects and derived downgrades that need them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "AlterColumnFields")]
pub struct AlterColumn {
    pub table_name: String,
    pub column_name: String,
    pub new_column_name: Option<String>,
    /// From `type_` (the vocabulary) or `sql_type` (verbatim).
    pub type_: Option<ColumnType>,
    pub nullable: Option<bool>,
    pub server_default: Option<TextChange>,
    pub comment: Option<TextChange>,
    /// PostgreSQL's `USING` expression for a type change.
    pub postgresql_using: Option<String>,
    /// From `existing_type` (the vocabulary) or `existing_sql_type` (verbatim).
    pub existing_type: Option<ColumnType>,
    pub existing_nullable: Option<bool>,
    pub existing_server_default: Option<String>,
    pub existing_comment: Option<String>,
    pub schema: Option<String>,
    /// Confirms that this operation may destroy data: the guard (the README, "The destructive-operation guard") runs it
    /// only when this names the object it destroys (the table, `table.column`, or for
    /// `execute` the revision id), so a confirmation cannot be copied onto another operation.
    pub confirm_data_loss: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AlterColumnFields {
    table_name: String,
    column_name: String,
    new_column_name: Option<String>,
    type_: Option<TypeSpelling>,
    sql_type: Option<String>,
    nullable: Option<bool>,
    // A present key is always a change, YAML's `null` included (Alembic's `None` removes), so
    // these bypass serde's usual reading of null as an absent Option.
    #[serde(default, deserialize_with = "present")]
    server_default: Option<TextChange>,
    #[serde(default, deserialize_with = "present")]
    comment: Option<TextChange>,
    postgresql_using: Option<String>,
    existing_type: Option<TypeSpelling>,
    existing_sql_type: Option<String>,
    existing_nullable: Option<bool>,
    existing_server_default: Option<String>,
    existing_comment: Option<String>,
    schema: Option<String>,
    confirm_data_loss: Option<String>,
}

impl TryFrom<AlterColumnFields> for AlterColumn {
    type Error = String;

    fn try_from(fields: AlterColumnFields) -> Result<AlterColumn, String> {
        let column = qualified(
            &fields.schema,
            &format!("{}.{}", fields.table_name, fields.column_name),
        );
        let type_ = column::type_or_sql_type(fields.type_, fields.sql_type, "type_", "sql_type")
            .map_err(|problem| format!("alter_column {column}: {problem}"))?;
        let existing_type = column::type_or_sql_type(
            fields.existing_type,
            fields.existing_sql_type,
            "existing_type",
            "existing_sql_type",
        )
        .map_err(|problem| format!("alter_column {column}: {problem}"))?;
        Ok(AlterColumn {
            table_name: fields.table_name,
            column_name: fields.column_name,
            new_column_name: fields.new_column_name,
            type_,
            nullable: fields.nullable,
            server_default: fields.server_default,
            comment: fields.comment,
            postgresql_using: fields.postgresql_using,
            existing_type,
            existing_nullable: fields.existing_nullable,
            existing_server_default: fields.existing_server_default,
            existing_comment: fields.existing_comment,
            schema: fields.schema,
            confirm_data_loss: fields.confirm_data_loss,
        })
    }
}

/// Reads a present key as `Some` whatever its value, null included.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// A new value for a column's default or comment in `alter_column`: SQL or comment text, or
/// `false` (YAML: also `null`) to remove it, as Alembic's `None` does.
#[derive(Debug, Clone, PartialEq)]
pub enum TextChange {
    Set(String),
    Remove,
}

impl<'de> Deserialize<'de> for TextChange {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TextChange, D::Error> {
        struct TextChangeVisitor;

        impl Visitor<'_> for TextChangeVisitor {
            type Value = TextChange;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a string, or false to remove")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<TextChange, E> {
                Ok(TextChange::Set(text.to_string()))
            }

            fn visit_bool<E: de::Error>(self, flag: bool) -> Result<TextChange, E> {
                if flag {
                    Err(E::invalid_value(de::Unexpected::Bool(true), &self))
                } else {
                    Ok(TextChange::Remove)
                }
            }

            fn visit_unit<E: de::Error>(self) -> Result<TextChange, E> {
                Ok(TextChange::Remove)
            }

            fn visit_none<E: de::Error>(self) -> Result<TextChange, E> {
                Ok(TextChange::Remove)
            }
        }

        deserializer.deserialize_any(TextChangeVisitor)
    }
}

/// `op.create_index`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateIndex {
    /// Absent only until the revision is loaded: the `ix` naming convention then names the
    /// index, and without one the revision is refused (SQLite needs every index named, and a
    /// derived downgrade needs the name to drop it).
    pub index_name: Option<String>,
    pub table_name: String,
    /// Column names, or `{ expression = "lower(email)" }` for an expression index.
    pub columns: Vec<IndexElement>,
    #[serde(default)]
    pub unique: bool,
    /// The predicate of a partial index, SQL text.
    #[serde(rename = "where")]
    pub where_: Option<String>,
    /// `CONCURRENTLY`: run outside the step's transaction (src/ops/online.rs).
    #[serde(default)]
    pub postgresql_concurrently: bool,
    /// PostgreSQL's index method (`gin`, `gist`, ...); B-tree when absent.
    pub postgresql_using: Option<String>,
    /// PostgreSQL operator classes by column name: `{ data = "jsonb_path_ops" }`.
    #[serde(default)]
    pub postgresql_ops: BTreeMap<String, String>,
    /// Columns PostgreSQL stores in the index without indexing them (`INCLUDE`).
    #[serde(default)]
    pub postgresql_include: Vec<String>,
    #[serde(default)]
    pub if_not_exists: bool,
    pub schema: Option<String>,
}

/// `op.drop_index`. `columns`, `unique`, `where` and the `postgresql_*` options describe the
/// dropped index, so that its downgrade (a `create_index`) can be derived.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DropIndex {
    pub index_name: String,
    /// Optional as in Alembic: PostgreSQL and SQLite drop an index by its name alone.
    pub table_name: Option<String>,
    pub columns: Option<Vec<IndexElement>>,
    #[serde(default)]
    pub unique: bool,
    #[serde(rename = "where")]
    pub where_: Option<String>,
    #[serde(default)]
    pub postgresql_concurrently: bool,
    pub postgresql_using: Option<String>,
    #[serde(default)]
    pub postgresql_ops: BTreeMap<String, String>,
    #[serde(default)]
    pub postgresql_include: Vec<String>,
    #[serde(default)]
    pub if_exists: bool,
    pub schema: Option<String>,
}

/// One element of an index: a column by name (quoted like every identifier), or an
/// expression written as SQL (`lower(email)`, `created_at DESC`), which must be one
/// expression like every SQL fragment of a typed operation.
#[derive(Debug, Clone, PartialEq)]
pub enum IndexElement {
    Column(String),
    Expression(String),
}

impl IndexElement {
    /// The column's name, for an element that is a plain column.
    pub fn column(&self) -> Option<&str> {
        match self {
            IndexElement::Column(name) => Some(name),
            IndexElement::Expression(_) => None,
        }
    }
}

impl<'de> Deserialize<'de> for IndexElement {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<IndexElement, D::Error> {
        struct ElementVisitor;

        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct ExpressionTable {
            expression: String,
        }

        impl<'de> Visitor<'de> for ElementVisitor {
            type Value = IndexElement;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a column name or a table { expression = \"SQL\" }")
            }

            fn visit_str<E: de::Error>(self, name: &str) -> Result<IndexElement, E> {
                Ok(IndexElement::Column(name.to_string()))
            }

            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<IndexElement, A::Error> {
                ExpressionTable::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|table| IndexElement::Expression(table.expression))
            }
        }

        deserializer.deserialize_any(ElementVisitor)
    }
}

/// `create_enum`: rmig's own operation for a PostgreSQL enum type made on its own, as
/// `sa.Enum(..., name=...).create(bind)` makes it; columns then name it with `sql_type`.
/// (An enum a table's column declares is created with the table.) SQLite has no enum types:
/// nothing runs there, as SQLAlchemy does nothing there.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateEnum {
    pub enum_name: String,
    pub values: Vec<String>,
    /// Create it only when no type of that name exists (SQLAlchemy's `checkfirst=True`).
    #[serde(default)]
    pub if_not_exists: bool,
    pub schema: Option<String>,
}

/// `drop_enum`: drops an enum type. PostgreSQL refuses while a column uses it, so it
/// destroys no data. `values` describe the dropped type, so that its downgrade can be derived.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DropEnum {
    pub enum_name: String,
    pub values: Option<Vec<String>>,
    #[serde(default)]
    pub if_exists: bool,
    pub schema: Option<String>,
}

/// `op.create_unique_constraint`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateUniqueConstraint {
    /// The database picks a name when absent, as in Alembic.
    pub constraint_name: Option<String>,
    pub table_name: String,
    pub columns: Vec<String>,
    pub schema: Option<String>,
}

/// `op.create_foreign_key`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateForeignKey {
    pub constraint_name: Option<String>,
    pub source_table: String,
    pub referent_table: String,
    pub local_cols: Vec<String>,
    pub remote_cols: Vec<String>,
    pub ondelete: Option<ReferentialAction>,
    pub onupdate: Option<ReferentialAction>,
    pub deferrable: Option<bool>,
    pub initially: Option<Initially>,
    #[serde(rename = "match")]
    pub match_: Option<ForeignKeyMatch>,
    pub source_schema: Option<String>,
    pub referent_schema: Option<String>,
}

/// `op.create_check_constraint`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateCheckConstraint {
    pub constraint_name: Option<String>,
    pub table_name: String,
    /// SQL text, rendered verbatim.
    pub condition: String,
    pub schema: Option<String>,
}

/// `op.create_primary_key`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePrimaryKey {
    pub constraint_name: Option<String>,
    pub table_name: String,
    pub columns: Vec<String>,
    pub schema: Option<String>,
}

/// `op.drop_constraint`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DropConstraint {
    pub constraint_name: String,
    pub table_name: String,
    pub type_: Option<ConstraintKind>,
    pub schema: Option<String>,
}

/// `op.create_table_comment`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateTableComment {
    pub table_name: String,
    pub comment: String,
    /// The comment it replaces, for a derived downgrade.
    pub existing_comment: Option<String>,
    pub schema: Option<String>,
}

/// `op.drop_table_comment`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DropTableComment {
    pub table_name: String,
    /// The comment it removes, for a derived downgrade.
    pub existing_comment: Option<String>,
    pub schema: Option<String>,
}

/// The line every `rmig import-alembic` placeholder's SQL ends with: the guard refuses an
/// `execute` holding it, and a database that is made to run it anyway fails.
pub const PLACEHOLDER_MARKER: &str = "RMIG_IMPORT_PLACEHOLDER";

/// `op.execute`: SQL run as written. A dialect's own text replaces `sqltext` on that dialect;
/// on a dialect with no text at all the operation does nothing, which is how a revision runs
/// PostgreSQL-only SQL (say, `CREATE EXTENSION`) and still applies on SQLite.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "ExecuteFields")]
pub struct Execute {
    pub sqltext: Option<String>,
    pub postgresql: Option<String>,
    pub sqlite: Option<String>,
    /// SQL for MySQL and MariaDB.
    pub mysql: Option<String>,
    /// Confirms that this operation may destroy data: the guard (the README, "The destructive-operation guard") runs it
    /// only when this names the object it destroys (the table, `table.column`, or for
    /// `execute` the revision id), so a confirmation cannot be copied onto another operation.
    pub confirm_data_loss: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExecuteFields {
    sqltext: Option<String>,
    postgresql: Option<String>,
    sqlite: Option<String>,
    mysql: Option<String>,
    confirm_data_loss: Option<String>,
}

impl TryFrom<ExecuteFields> for Execute {
    type Error = String;

    fn try_from(fields: ExecuteFields) -> Result<Execute, String> {
        if fields.sqltext.is_none()
            && fields.postgresql.is_none()
            && fields.sqlite.is_none()
            && fields.mysql.is_none()
        {
            return Err(
                "execute needs `sqltext`, or SQL for a dialect in `postgresql`, `sqlite` or `mysql`"
                    .into(),
            );
        }
        Ok(Execute {
            sqltext: fields.sqltext,
            postgresql: fields.postgresql,
            sqlite: fields.sqlite,
            mysql: fields.mysql,
            confirm_data_loss: fields.confirm_data_loss,
        })
    }
}

impl Execute {
    /// The dialect's own SQL text.
    pub fn own_text(&self, dialect: Dialect) -> Option<&str> {
        match dialect {
            Dialect::Postgresql => self.postgresql.as_deref(),
            Dialect::Sqlite => self.sqlite.as_deref(),
            Dialect::Mysql => self.mysql.as_deref(),
        }
    }

    /// What runs on `dialect`: its own text, else the generic `sqltext`.
    pub fn text_for(&self, dialect: Dialect) -> Option<&str> {
        self.own_text(dialect).or(self.sqltext.as_deref())
    }
}

/// `op.bulk_insert`: each row maps column names to values.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkInsert {
    pub table_name: String,
    pub rows: Vec<BTreeMap<String, ScalarValue>>,
    pub schema: Option<String>,
}

/// A value in a `bulk_insert` row. TOML has no null: leave the column out of the row instead.
#[derive(Debug, Clone, PartialEq)]
pub enum ScalarValue {
    Null,
    Bool(bool),
    Integer(i64),
    Float(f64),
    String(String),
}

impl<'de> Deserialize<'de> for ScalarValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ScalarValue, D::Error> {
        struct ScalarVisitor;

        impl Visitor<'_> for ScalarVisitor {
            type Value = ScalarValue;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a string, integer, float, boolean or null")
            }

            fn visit_unit<E: de::Error>(self) -> Result<ScalarValue, E> {
                Ok(ScalarValue::Null)
            }

            fn visit_none<E: de::Error>(self) -> Result<ScalarValue, E> {
                Ok(ScalarValue::Null)
            }

            fn visit_bool<E: de::Error>(self, value: bool) -> Result<ScalarValue, E> {
                Ok(ScalarValue::Bool(value))
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<ScalarValue, E> {
                Ok(ScalarValue::Integer(value))
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<ScalarValue, E> {
                i64::try_from(value)
                    .map(ScalarValue::Integer)
                    .map_err(|_| E::custom(format!("integer {value} does not fit in 64 bits")))
            }

            fn visit_f64<E: de::Error>(self, value: f64) -> Result<ScalarValue, E> {
                Ok(ScalarValue::Float(value))
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<ScalarValue, E> {
                Ok(ScalarValue::String(value.to_string()))
            }
        }

        deserializer.deserialize_any(ScalarVisitor)
    }
}

/// Why an operation read from a revision file cannot run, found as the file is loaded, before
/// any database work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidOperation {
    /// An SQL fragment that is not one expression or type: it could end the statement it is
    /// pasted into.
    #[error(transparent)]
    Fragment(#[from] FragmentError),
    /// A name that is empty, longer than the database keeps or padded with whitespace, or an
    /// empty list of names.
    #[error(transparent)]
    Names(#[from] NamesError),
    /// A missing name the naming convention cannot give (`naming_convention`).
    #[error(transparent)]
    Naming(#[from] naming_convention::NamingConventionError),
    /// A `dialect` key that contradicts the operation (`scope`).
    #[error("{0}")]
    Dialects(String),
}

impl Operation {
    /// What the file format cannot check: every name the operation gives the database is one
    /// the database takes, no longer than `max_length` (`names`), and every SQL fragment is
    /// one expression or type (`fragment`).
    pub fn check(&self, max_length: MaxNameLength) -> Result<(), InvalidOperation> {
        names::check_names(self, max_length)?;
        Ok(fragment::check_fragments(self)?)
    }

    /// Alembic's name for the operation, as written after `op =`.
    pub fn name(&self) -> &'static str {
        match self {
            Operation::CreateTable(_) => "create_table",
            Operation::DropTable(_) => "drop_table",
            Operation::RenameTable(_) => "rename_table",
            Operation::RenameIndex(_) => "rename_index",
            Operation::RenameConstraint(_) => "rename_constraint",
            Operation::RenameSequence(_) => "rename_sequence",
            Operation::AddColumn(_) => "add_column",
            Operation::DropColumn(_) => "drop_column",
            Operation::AlterColumn(_) => "alter_column",
            Operation::CreateIndex(_) => "create_index",
            Operation::DropIndex(_) => "drop_index",
            Operation::CreateEnum(_) => "create_enum",
            Operation::DropEnum(_) => "drop_enum",
            Operation::CreateUniqueConstraint(_) => "create_unique_constraint",
            Operation::CreateForeignKey(_) => "create_foreign_key",
            Operation::CreateCheckConstraint(_) => "create_check_constraint",
            Operation::CreatePrimaryKey(_) => "create_primary_key",
            Operation::DropConstraint(_) => "drop_constraint",
            Operation::CreateTableComment(_) => "create_table_comment",
            Operation::DropTableComment(_) => "drop_table_comment",
            Operation::Execute(_) => "execute",
            Operation::BulkInsert(_) => "bulk_insert",
        }
    }

    /// A one-line human description, e.g. `add_column member_profiles.bio`.
    pub fn describe(&self) -> String {
        let name = self.name();
        match self {
            Operation::CreateTable(CreateTable {
                table_name, schema, ..
            })
            | Operation::DropTable(DropTable {
                table_name, schema, ..
            })
            | Operation::CreateTableComment(CreateTableComment {
                table_name, schema, ..
            })
            | Operation::DropTableComment(DropTableComment {
                table_name, schema, ..
            }) => format!("{name} {}", qualified(schema, table_name)),
            Operation::RenameTable(op) => format!(
                "{name} {} -> {}{}",
                qualified(&op.schema, &op.old_table_name),
                op.new_table_name,
                if op.rename_dependents {
                    " with its dependents"
                } else {
                    ""
                }
            ),
            Operation::RenameIndex(op) => match &op.table_name {
                Some(table) => format!(
                    "{name} {} -> {} on {}",
                    op.old_index_name,
                    op.new_index_name,
                    qualified(&op.schema, table)
                ),
                None => format!(
                    "{name} {} -> {}",
                    qualified(&op.schema, &op.old_index_name),
                    op.new_index_name
                ),
            },
            Operation::RenameConstraint(op) => format!(
                "{name} {} -> {} on {}",
                op.old_constraint_name,
                op.new_constraint_name,
                qualified(&op.schema, &op.table_name)
            ),
            Operation::RenameSequence(op) => format!(
                "{name} {} -> {}",
                qualified(&op.schema, &op.old_sequence_name),
                op.new_sequence_name
            ),
            Operation::AddColumn(op) => format!(
                "{name} {}.{}",
                qualified(&op.schema, &op.table_name),
                op.column.name
            ),
            Operation::DropColumn(op) => format!(
                "{name} {}.{}",
                qualified(&op.schema, &op.table_name),
                op.column_name
            ),
            Operation::AlterColumn(op) => {
                let column = format!(
                    "{}.{}",
                    qualified(&op.schema, &op.table_name),
                    op.column_name
                );
                match &op.new_column_name {
                    Some(new_name) => format!("{name} {column} -> {new_name}"),
                    None => format!("{name} {column}"),
                }
            }
            Operation::CreateIndex(op) => {
                constraint_on(name, &op.index_name, &op.schema, &op.table_name)
            }
            Operation::DropIndex(op) => match &op.table_name {
                Some(table) => format!(
                    "{name} {} on {}",
                    op.index_name,
                    qualified(&op.schema, table)
                ),
                None => format!("{name} {}", qualified(&op.schema, &op.index_name)),
            },
            Operation::CreateEnum(CreateEnum {
                enum_name, schema, ..
            })
            | Operation::DropEnum(DropEnum {
                enum_name, schema, ..
            }) => format!("{name} {}", qualified(schema, enum_name)),
            Operation::CreateUniqueConstraint(CreateUniqueConstraint {
                constraint_name,
                table_name,
                schema,
                ..
            })
            | Operation::CreateCheckConstraint(CreateCheckConstraint {
                constraint_name,
                table_name,
                schema,
                ..
            })
            | Operation::CreatePrimaryKey(CreatePrimaryKey {
                constraint_name,
                table_name,
                schema,
                ..
            }) => constraint_on(name, constraint_name, schema, table_name),
            Operation::CreateForeignKey(op) => format!(
                "{} -> {}",
                constraint_on(
                    name,
                    &op.constraint_name,
                    &op.source_schema,
                    &op.source_table
                ),
                qualified(&op.referent_schema, &op.referent_table)
            ),
            Operation::DropConstraint(op) => format!(
                "{name} {} on {}",
                op.constraint_name,
                qualified(&op.schema, &op.table_name)
            ),
            Operation::Execute(_) => "execute SQL".to_string(),
            Operation::BulkInsert(op) => {
                let rows = op.rows.len();
                let noun = if rows == 1 { "row" } else { "rows" };
                format!(
                    "{name} {} ({rows} {noun})",
                    qualified(&op.schema, &op.table_name)
                )
            }
        }
    }
}

/// `schema.name`, or `name` alone when no schema is given.
fn qualified(schema: &Option<String>, name: &str) -> String {
    match schema {
        Some(schema) => format!("{schema}.{name}"),
        None => name.to_string(),
    }
}

/// `op constraint on table`, leaving out the name when the database or the naming convention
/// picks it.
fn constraint_on(
    op: &str,
    constraint: &Option<String>,
    schema: &Option<String>,
    table: &str,
) -> String {
    match constraint {
        Some(constraint) => format!("{op} {constraint} on {}", qualified(schema, table)),
        None => format!("{op} on {}", qualified(schema, table)),
    }
}
