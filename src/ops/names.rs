//! Every name an operation gives the database, checked against the rules of
//! [`crate::identifier`] when its revision is loaded, and the lists of names an operation
//! cannot do without (a table's columns, an index's, a key's): an empty name, one longer than
//! the database keeps or an empty list failed only inside the database, mid-run (issue 15).
//!
//! Keys are spelled as the file writes them, with 1-based positions: `columns[2].name`,
//! `constraints[1].columns[3]`, `rows[4]` (a column of the fourth row).

use crate::identifier::{self, MaxNameLength, NameError};

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

/// Checks every name and name list of `op`; names no longer than `max_length` too.
pub fn check_names(op: &Operation, max_length: MaxNameLength) -> Result<(), NamesError> {
    Names { max_length }.operation(op)
}

/// The checks, with the length limit of the database the revision is read for.
struct Names {
    max_length: MaxNameLength,
}

impl Names {
    fn operation(&self, op: &Operation) -> Result<(), NamesError> {
        match op {
            Operation::CreateTable(op) => {
                self.name("table_name", &op.table_name)?;
                self.optional("schema", &op.schema)?;
                self.columns("columns", &op.columns)?;
                self.constraints(&op.constraints)?;
            }
            Operation::DropTable(op) => {
                self.name("table_name", &op.table_name)?;
                self.optional("schema", &op.schema)?;
                if let Some(list) = &op.columns {
                    self.columns("columns", list)?;
                }
                self.constraints(&op.constraints)?;
            }
            Operation::RenameTable(op) => {
                self.name("old_table_name", &op.old_table_name)?;
                self.name("new_table_name", &op.new_table_name)?;
                self.optional("schema", &op.schema)?;
            }
            Operation::RenameIndex(op) => {
                self.name("old_index_name", &op.old_index_name)?;
                self.name("new_index_name", &op.new_index_name)?;
                self.optional("table_name", &op.table_name)?;
                self.optional("schema", &op.schema)?;
            }
            Operation::RenameConstraint(op) => {
                self.name("table_name", &op.table_name)?;
                self.name("old_constraint_name", &op.old_constraint_name)?;
                self.name("new_constraint_name", &op.new_constraint_name)?;
                self.optional("schema", &op.schema)?;
            }
            Operation::RenameSequence(op) => {
                self.name("old_sequence_name", &op.old_sequence_name)?;
                self.name("new_sequence_name", &op.new_sequence_name)?;
                self.optional("schema", &op.schema)?;
            }
            Operation::AddColumn(op) => {
                self.name("table_name", &op.table_name)?;
                self.column(&|| "column".to_string(), &op.column)?;
                self.optional("schema", &op.schema)?;
            }
            Operation::DropColumn(op) => {
                self.name("table_name", &op.table_name)?;
                self.name("column_name", &op.column_name)?;
                self.optional("schema", &op.schema)?;
                if let Some(existing) = &op.existing_column {
                    self.column(&|| "existing_column".to_string(), existing)?;
                }
            }
            Operation::AlterColumn(op) => {
                self.name("table_name", &op.table_name)?;
                self.name("column_name", &op.column_name)?;
                self.optional("new_column_name", &op.new_column_name)?;
                self.optional("schema", &op.schema)?;
                if let Some(type_) = &op.type_ {
                    self.type_names(&|| "type_".to_string(), type_)?;
                }
                if let Some(type_) = &op.existing_type {
                    self.type_names(&|| "existing_type".to_string(), type_)?;
                }
            }
            Operation::CreateIndex(op) => {
                self.optional("index_name", &op.index_name)?;
                self.name("table_name", &op.table_name)?;
                self.index_elements(&op.columns)?;
                self.index_options(
                    &op.postgresql_using,
                    &op.postgresql_ops,
                    &op.postgresql_include,
                )?;
                self.optional("schema", &op.schema)?;
            }
            Operation::DropIndex(op) => {
                self.name("index_name", &op.index_name)?;
                self.optional("table_name", &op.table_name)?;
                if let Some(columns) = &op.columns {
                    self.index_elements(columns)?;
                }
                self.index_options(
                    &op.postgresql_using,
                    &op.postgresql_ops,
                    &op.postgresql_include,
                )?;
                self.optional("schema", &op.schema)?;
            }
            Operation::CreateEnum(op) => {
                self.name("enum_name", &op.enum_name)?;
                if op.values.is_empty() {
                    return Err(NamesError::EmptyList {
                        key: "values".to_string(),
                    });
                }
                self.optional("schema", &op.schema)?;
            }
            Operation::DropEnum(op) => {
                self.name("enum_name", &op.enum_name)?;
                self.optional("schema", &op.schema)?;
            }
            Operation::CreateUniqueConstraint(op) => {
                self.optional("constraint_name", &op.constraint_name)?;
                self.name("table_name", &op.table_name)?;
                self.list("columns", &op.columns)?;
                self.optional("schema", &op.schema)?;
            }
            Operation::CreateForeignKey(op) => {
                self.optional("constraint_name", &op.constraint_name)?;
                self.name("source_table", &op.source_table)?;
                self.name("referent_table", &op.referent_table)?;
                self.list("local_cols", &op.local_cols)?;
                self.list("remote_cols", &op.remote_cols)?;
                self.optional("source_schema", &op.source_schema)?;
                self.optional("referent_schema", &op.referent_schema)?;
            }
            Operation::CreateCheckConstraint(op) => {
                self.optional("constraint_name", &op.constraint_name)?;
                self.name("table_name", &op.table_name)?;
                self.optional("schema", &op.schema)?;
            }
            Operation::CreatePrimaryKey(op) => {
                self.optional("constraint_name", &op.constraint_name)?;
                self.name("table_name", &op.table_name)?;
                self.list("columns", &op.columns)?;
                self.optional("schema", &op.schema)?;
            }
            Operation::DropConstraint(op) => {
                self.name("constraint_name", &op.constraint_name)?;
                self.name("table_name", &op.table_name)?;
                self.optional("schema", &op.schema)?;
            }
            Operation::CreateTableComment(op) => {
                self.name("table_name", &op.table_name)?;
                self.optional("schema", &op.schema)?;
            }
            Operation::DropTableComment(op) => {
                self.name("table_name", &op.table_name)?;
                self.optional("schema", &op.schema)?;
            }
            Operation::BulkInsert(op) => {
                self.name("table_name", &op.table_name)?;
                self.optional("schema", &op.schema)?;
                for (index, row) in op.rows.iter().enumerate() {
                    for key in row.keys() {
                        self.check(|| format!("rows[{}]", index + 1), key)?;
                    }
                }
            }
            Operation::Execute(_) => {}
        }
        Ok(())
    }

    fn check(&self, key: impl FnOnce() -> String, name: &str) -> Result<(), NameError> {
        identifier::check(key, name, self.max_length)
    }

    fn name(&self, key: &'static str, value: &str) -> Result<(), NameError> {
        self.check(|| key.to_string(), value)
    }

    fn optional(&self, key: &'static str, value: &Option<String>) -> Result<(), NameError> {
        value
            .as_deref()
            .map_or(Ok(()), |value| self.name(key, value))
    }

    /// An index's columns and expressions, at least one; the columns by name.
    fn index_elements(&self, elements: &[IndexElement]) -> Result<(), NamesError> {
        if elements.is_empty() {
            return Err(NamesError::EmptyList {
                key: "columns".to_string(),
            });
        }
        for (index, element) in elements.iter().enumerate() {
            if let Some(column) = element.column() {
                self.check(|| format!("columns[{}]", index + 1), column)?;
            }
        }
        Ok(())
    }

    /// An index's method, operator classes (`name` or `schema.name`) and included columns.
    fn index_options(
        &self,
        using: &Option<String>,
        ops: &BTreeMap<String, String>,
        include: &[String],
    ) -> Result<(), NameError> {
        self.optional("postgresql_using", using)?;
        for (column, class) in ops {
            self.check(|| "postgresql_ops".to_string(), column)?;
            for part in class.splitn(2, '.') {
                self.check(|| format!("postgresql_ops.{column}"), part)?;
            }
        }
        for (index, column) in include.iter().enumerate() {
            self.check(|| format!("postgresql_include[{}]", index + 1), column)?;
        }
        Ok(())
    }

    /// A list of column names, which must hold at least one.
    fn list(&self, key: &'static str, values: &[String]) -> Result<(), NamesError> {
        self.nested_list(&|| key.to_string(), values)
    }

    fn nested_list(&self, key: &dyn Fn() -> String, values: &[String]) -> Result<(), NamesError> {
        if values.is_empty() {
            return Err(NamesError::EmptyList { key: key() });
        }
        for (index, value) in values.iter().enumerate() {
            self.check(|| format!("{}[{}]", key(), index + 1), value)?;
        }
        Ok(())
    }

    fn columns(&self, key: &'static str, list: &[Column]) -> Result<(), NamesError> {
        if list.is_empty() {
            return Err(NamesError::EmptyList {
                key: key.to_string(),
            });
        }
        for (index, each) in list.iter().enumerate() {
            self.column(&|| format!("{key}[{}]", index + 1), each)?;
        }
        Ok(())
    }

    fn column(&self, key: &dyn Fn() -> String, column: &Column) -> Result<(), NameError> {
        self.check(|| format!("{}.name", key()), &column.name)?;
        self.type_names(&|| format!("{}.type", key()), &column.type_)?;
        if let Some(foreign_key) = &column.foreign_key {
            self.referenced(&|| format!("{}.foreign_key", key()), foreign_key)?;
        }
        Ok(())
    }

    /// The name of an enum type, however deep in arrays.
    fn type_names(&self, key: &dyn Fn() -> String, type_: &ColumnType) -> Result<(), NameError> {
        match type_ {
            ColumnType::Enum { name, .. } => self.check(|| format!("{}.enum", key()), name),
            ColumnType::Array(element) => self.type_names(key, element),
            _ => Ok(()),
        }
    }

    fn referenced(
        &self,
        key: &dyn Fn() -> String,
        foreign_key: &ColumnForeignKey,
    ) -> Result<(), NameError> {
        self.check(|| format!("{}.table", key()), &foreign_key.table)?;
        self.check(|| format!("{}.column", key()), &foreign_key.column)?;
        for (part, value) in [("schema", &foreign_key.schema), ("name", &foreign_key.name)] {
            if let Some(value) = value {
                self.check(|| format!("{}.{part}", key()), value)?;
            }
        }
        Ok(())
    }

    fn constraints(&self, list: &[TableConstraint]) -> Result<(), NamesError> {
        for (index, constraint) in list.iter().enumerate() {
            let key = |field: &str| format!("constraints[{}].{field}", index + 1);
            match constraint {
                TableConstraint::PrimaryKey { name, columns }
                | TableConstraint::Unique { name, columns } => {
                    self.constraint_name(&key, name)?;
                    self.nested_list(&|| key("columns"), columns)?;
                }
                TableConstraint::Check { name, .. } => self.constraint_name(&key, name)?,
                TableConstraint::ForeignKey {
                    name,
                    local_cols,
                    referent_table,
                    remote_cols,
                    referent_schema,
                    ..
                } => {
                    self.constraint_name(&key, name)?;
                    self.nested_list(&|| key("local_cols"), local_cols)?;
                    self.check(|| key("referent_table"), referent_table)?;
                    self.nested_list(&|| key("remote_cols"), remote_cols)?;
                    if let Some(schema) = referent_schema {
                        self.check(|| key("referent_schema"), schema)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn constraint_name(
        &self,
        key: &dyn Fn(&str) -> String,
        name: &Option<String>,
    ) -> Result<(), NameError> {
        name.as_deref()
            .map_or(Ok(()), |name| self.check(|| key("name"), name))
    }
}
