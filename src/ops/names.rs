//! Every name an operation gives the database, checked against the rules of
//! [`crate::identifier`] when its revision is loaded, and the lists of names an operation
//! cannot do without (a table's columns, an index's, a key's): an empty name, one over
//! PostgreSQL's 63 bytes or an empty list failed only inside the database, mid-run (issue 15).
//!
//! Keys are spelled as the file writes them, with 1-based positions: `columns[2].name`,
//! `constraints[1].columns[3]`, `rows[4]` (a column of the fourth row).

use crate::identifier::{self, NameError};

use std::collections::BTreeMap;

use super::{Column, ColumnForeignKey, ColumnType, IndexElement, Operation, TableConstraint};

/// Why an operation's names cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NamesError {
    #[error(transparent)]
    Name(#[from] NameError),
    #[error("`{key}` is empty; list at least one")]
    EmptyList { key: String },
}

/// Checks every name and name list of `op`.
pub fn check_names(op: &Operation) -> Result<(), NamesError> {
    match op {
        Operation::CreateTable(op) => {
            name("table_name", &op.table_name)?;
            optional("schema", &op.schema)?;
            columns("columns", &op.columns)?;
            constraints(&op.constraints)?;
        }
        Operation::DropTable(op) => {
            name("table_name", &op.table_name)?;
            optional("schema", &op.schema)?;
            if let Some(list) = &op.columns {
                columns("columns", list)?;
            }
            constraints(&op.constraints)?;
        }
        Operation::RenameTable(op) => {
            name("old_table_name", &op.old_table_name)?;
            name("new_table_name", &op.new_table_name)?;
            optional("schema", &op.schema)?;
        }
        Operation::RenameIndex(op) => {
            name("old_index_name", &op.old_index_name)?;
            name("new_index_name", &op.new_index_name)?;
            optional("table_name", &op.table_name)?;
            optional("schema", &op.schema)?;
        }
        Operation::RenameConstraint(op) => {
            name("table_name", &op.table_name)?;
            name("old_constraint_name", &op.old_constraint_name)?;
            name("new_constraint_name", &op.new_constraint_name)?;
            optional("schema", &op.schema)?;
        }
        Operation::RenameSequence(op) => {
            name("old_sequence_name", &op.old_sequence_name)?;
            name("new_sequence_name", &op.new_sequence_name)?;
            optional("schema", &op.schema)?;
        }
        Operation::AddColumn(op) => {
            name("table_name", &op.table_name)?;
            column(&|| "column".to_string(), &op.column)?;
            optional("schema", &op.schema)?;
        }
        Operation::DropColumn(op) => {
            name("table_name", &op.table_name)?;
            name("column_name", &op.column_name)?;
            optional("schema", &op.schema)?;
            if let Some(existing) = &op.existing_column {
                column(&|| "existing_column".to_string(), existing)?;
            }
        }
        Operation::AlterColumn(op) => {
            name("table_name", &op.table_name)?;
            name("column_name", &op.column_name)?;
            optional("new_column_name", &op.new_column_name)?;
            optional("schema", &op.schema)?;
            if let Some(type_) = &op.type_ {
                type_names(&|| "type_".to_string(), type_)?;
            }
            if let Some(type_) = &op.existing_type {
                type_names(&|| "existing_type".to_string(), type_)?;
            }
        }
        Operation::CreateIndex(op) => {
            optional("index_name", &op.index_name)?;
            name("table_name", &op.table_name)?;
            index_elements(&op.columns)?;
            index_options(
                &op.postgresql_using,
                &op.postgresql_ops,
                &op.postgresql_include,
            )?;
            optional("schema", &op.schema)?;
        }
        Operation::DropIndex(op) => {
            name("index_name", &op.index_name)?;
            optional("table_name", &op.table_name)?;
            if let Some(columns) = &op.columns {
                index_elements(columns)?;
            }
            index_options(
                &op.postgresql_using,
                &op.postgresql_ops,
                &op.postgresql_include,
            )?;
            optional("schema", &op.schema)?;
        }
        Operation::CreateEnum(op) => {
            name("enum_name", &op.enum_name)?;
            if op.values.is_empty() {
                return Err(NamesError::EmptyList {
                    key: "values".to_string(),
                });
            }
            optional("schema", &op.schema)?;
        }
        Operation::DropEnum(op) => {
            name("enum_name", &op.enum_name)?;
            optional("schema", &op.schema)?;
        }
        Operation::CreateUniqueConstraint(op) => {
            optional("constraint_name", &op.constraint_name)?;
            name("table_name", &op.table_name)?;
            list("columns", &op.columns)?;
            optional("schema", &op.schema)?;
        }
        Operation::CreateForeignKey(op) => {
            optional("constraint_name", &op.constraint_name)?;
            name("source_table", &op.source_table)?;
            name("referent_table", &op.referent_table)?;
            list("local_cols", &op.local_cols)?;
            list("remote_cols", &op.remote_cols)?;
            optional("source_schema", &op.source_schema)?;
            optional("referent_schema", &op.referent_schema)?;
        }
        Operation::CreateCheckConstraint(op) => {
            optional("constraint_name", &op.constraint_name)?;
            name("table_name", &op.table_name)?;
            optional("schema", &op.schema)?;
        }
        Operation::CreatePrimaryKey(op) => {
            optional("constraint_name", &op.constraint_name)?;
            name("table_name", &op.table_name)?;
            list("columns", &op.columns)?;
            optional("schema", &op.schema)?;
        }
        Operation::DropConstraint(op) => {
            name("constraint_name", &op.constraint_name)?;
            name("table_name", &op.table_name)?;
            optional("schema", &op.schema)?;
        }
        Operation::CreateTableComment(op) => {
            name("table_name", &op.table_name)?;
            optional("schema", &op.schema)?;
        }
        Operation::DropTableComment(op) => {
            name("table_name", &op.table_name)?;
            optional("schema", &op.schema)?;
        }
        Operation::BulkInsert(op) => {
            name("table_name", &op.table_name)?;
            optional("schema", &op.schema)?;
            for (index, row) in op.rows.iter().enumerate() {
                for key in row.keys() {
                    identifier::check(|| format!("rows[{}]", index + 1), key)?;
                }
            }
        }
        Operation::Execute(_) => {}
    }
    Ok(())
}

fn name(key: &'static str, value: &str) -> Result<(), NameError> {
    identifier::check(|| key.to_string(), value)
}

fn optional(key: &'static str, value: &Option<String>) -> Result<(), NameError> {
    value.as_deref().map_or(Ok(()), |value| name(key, value))
}

/// An index's columns and expressions, at least one; the columns by name.
fn index_elements(elements: &[IndexElement]) -> Result<(), NamesError> {
    if elements.is_empty() {
        return Err(NamesError::EmptyList {
            key: "columns".to_string(),
        });
    }
    for (index, element) in elements.iter().enumerate() {
        if let Some(column) = element.column() {
            identifier::check(|| format!("columns[{}]", index + 1), column)?;
        }
    }
    Ok(())
}

/// An index's method, operator classes (`name` or `schema.name`) and included columns.
fn index_options(
    using: &Option<String>,
    ops: &BTreeMap<String, String>,
    include: &[String],
) -> Result<(), NameError> {
    optional("postgresql_using", using)?;
    for (column, class) in ops {
        identifier::check(|| "postgresql_ops".to_string(), column)?;
        for part in class.splitn(2, '.') {
            identifier::check(|| format!("postgresql_ops.{column}"), part)?;
        }
    }
    for (index, column) in include.iter().enumerate() {
        identifier::check(|| format!("postgresql_include[{}]", index + 1), column)?;
    }
    Ok(())
}

/// A list of column names, which must hold at least one.
fn list(key: &'static str, values: &[String]) -> Result<(), NamesError> {
    nested_list(&|| key.to_string(), values)
}

fn nested_list(key: &dyn Fn() -> String, values: &[String]) -> Result<(), NamesError> {
    if values.is_empty() {
        return Err(NamesError::EmptyList { key: key() });
    }
    for (index, value) in values.iter().enumerate() {
        identifier::check(|| format!("{}[{}]", key(), index + 1), value)?;
    }
    Ok(())
}

fn columns(key: &'static str, list: &[Column]) -> Result<(), NamesError> {
    if list.is_empty() {
        return Err(NamesError::EmptyList {
            key: key.to_string(),
        });
    }
    for (index, each) in list.iter().enumerate() {
        column(&|| format!("{key}[{}]", index + 1), each)?;
    }
    Ok(())
}

fn column(key: &dyn Fn() -> String, column: &Column) -> Result<(), NameError> {
    identifier::check(|| format!("{}.name", key()), &column.name)?;
    type_names(&|| format!("{}.type", key()), &column.type_)?;
    if let Some(foreign_key) = &column.foreign_key {
        referenced(&|| format!("{}.foreign_key", key()), foreign_key)?;
    }
    Ok(())
}

/// The name of an enum type, however deep in arrays.
fn type_names(key: &dyn Fn() -> String, type_: &ColumnType) -> Result<(), NameError> {
    match type_ {
        ColumnType::Enum { name, .. } => identifier::check(|| format!("{}.enum", key()), name),
        ColumnType::Array(element) => type_names(key, element),
        _ => Ok(()),
    }
}

fn referenced(key: &dyn Fn() -> String, foreign_key: &ColumnForeignKey) -> Result<(), NameError> {
    identifier::check(|| format!("{}.table", key()), &foreign_key.table)?;
    identifier::check(|| format!("{}.column", key()), &foreign_key.column)?;
    for (part, value) in [("schema", &foreign_key.schema), ("name", &foreign_key.name)] {
        if let Some(value) = value {
            identifier::check(|| format!("{}.{part}", key()), value)?;
        }
    }
    Ok(())
}

fn constraints(list: &[TableConstraint]) -> Result<(), NamesError> {
    for (index, constraint) in list.iter().enumerate() {
        let key = |field: &str| format!("constraints[{}].{field}", index + 1);
        match constraint {
            TableConstraint::PrimaryKey { name, columns }
            | TableConstraint::Unique { name, columns } => {
                constraint_name(&key, name)?;
                nested_list(&|| key("columns"), columns)?;
            }
            TableConstraint::Check { name, .. } => constraint_name(&key, name)?,
            TableConstraint::ForeignKey {
                name,
                local_cols,
                referent_table,
                remote_cols,
                referent_schema,
                ..
            } => {
                constraint_name(&key, name)?;
                nested_list(&|| key("local_cols"), local_cols)?;
                identifier::check(|| key("referent_table"), referent_table)?;
                nested_list(&|| key("remote_cols"), remote_cols)?;
                if let Some(schema) = referent_schema {
                    identifier::check(|| key("referent_schema"), schema)?;
                }
            }
        }
    }
    Ok(())
}

fn constraint_name(key: &dyn Fn(&str) -> String, name: &Option<String>) -> Result<(), NameError> {
    name.as_deref()
        .map_or(Ok(()), |name| identifier::check(|| key("name"), name))
}
