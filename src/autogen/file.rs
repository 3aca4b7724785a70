//! The target schema file (`schema.toml`): `[[table]]` and `[[enum]]` in TOML, or the
//! same keys in YAML (`table:` and `enum:` lists), read into the model.
//!
//! Tables take `create_table`'s column form (`ops::Column`, plus `renamed_from`), its
//! `constraints` list, `indexes`, `comment` and `schema`. Every key is checked: an unknown one
//! is an error naming the file, the line and the key, never ignored.

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;

use crate::ops::{Column, ColumnType, TableConstraint};
use crate::revision::FileFormat;

use super::model::{
    qualified, Check, EnumType, ForeignKey, Index, PrimaryKey, Schema, Table, TableColumn, Unique,
};
use super::AutogenError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SchemaDocument {
    #[serde(default)]
    table: Vec<TableEntry>,
    #[serde(default, rename = "enum")]
    enums: Vec<EnumEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TableEntry {
    name: String,
    schema: Option<String>,
    renamed_from: Option<String>,
    comment: Option<String>,
    columns: Vec<ColumnEntry>,
    #[serde(default)]
    constraints: Vec<TableConstraint>,
    #[serde(default)]
    indexes: Vec<IndexEntry>,
}

/// A column as `create_table` takes it, plus `renamed_from`. The column's own keys are
/// checked by `ops::Column`, which is handed every key but `renamed_from`. (Not serde's
/// `flatten`: it hands a flattened struct only the keys it knows, so a misspelled key would
/// pass unnoticed.)
#[derive(Debug)]
struct ColumnEntry {
    renamed_from: Option<String>,
    column: Column,
}

impl<'de> Deserialize<'de> for ColumnEntry {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<ColumnEntry, D::Error> {
        use serde::de::Error as _;
        use serde_json::Value;
        let mut keys = serde_json::Map::<String, Value>::deserialize(deserializer)?;
        let renamed_from = match keys.remove("renamed_from") {
            None | Some(Value::Null) => None,
            Some(Value::String(old)) => Some(old),
            Some(other) => {
                return Err(D::Error::custom(format!(
                    "`renamed_from` is the column's old name, a string, not {other}"
                )))
            }
        };
        let column = Column::deserialize(Value::Object(keys)).map_err(D::Error::custom)?;
        Ok(ColumnEntry {
            renamed_from,
            column,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IndexEntry {
    name: String,
    columns: Vec<String>,
    #[serde(default)]
    unique: bool,
    #[serde(rename = "where")]
    where_: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EnumEntry {
    name: String,
    values: Vec<String>,
    schema: Option<String>,
}

/// Reads the target schema file at `path` (TOML, or YAML by its `.yaml`/`.yml` ending).
pub fn load(path: &Path) -> Result<Schema, AutogenError> {
    let text = std::fs::read_to_string(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            AutogenError::NoTargetSchema {
                path: path.to_path_buf(),
            }
        } else {
            AutogenError::ReadSchema {
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    parse(path, &text)
}

/// Parses a target schema file's text; `path` picks the format and names the file in errors.
pub fn parse(path: &Path, text: &str) -> Result<Schema, AutogenError> {
    let malformed = |line: Option<usize>, message: String| AutogenError::Malformed {
        path: path.to_path_buf(),
        line,
        message,
    };
    let document: SchemaDocument = match FileFormat::of(path).unwrap_or(FileFormat::Toml) {
        FileFormat::Toml => toml::from_str(text).map_err(|error| {
            let line = error
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
            malformed(line, format!("invalid TOML: {}", error.message().trim()))
        })?,
        FileFormat::Yaml => serde_yaml_ng::from_str(text).map_err(|error| {
            let line = error.location().map(|location| location.line());
            let message = error.to_string();
            let message = match message.find(" at line ") {
                Some(at) => message[..at].to_string(),
                None => message,
            };
            malformed(line, format!("invalid YAML: {message}"))
        })?,
    };
    let invalid = |message: String| AutogenError::Invalid {
        path: path.to_path_buf(),
        line: None,
        message,
    };
    let invalid_at = |key: &str, message: String| AutogenError::Invalid {
        path: path.to_path_buf(),
        line: name_line(text, key),
        message,
    };

    let mut schema = Schema::default();
    for entry in document.enums {
        if schema
            .enums
            .iter()
            .any(|known: &EnumType| known.name == entry.name && known.schema == entry.schema)
        {
            return Err(invalid_at(
                &entry.name,
                format!("enum `{}` is declared twice; keep one", entry.name),
            ));
        }
        check_enum_values(&entry.name, &entry.values).map_err(|m| invalid_at(&entry.name, m))?;
        schema.enums.push(EnumType {
            schema: entry.schema,
            name: entry.name,
            values: entry.values,
        });
    }
    let mut seen = HashSet::new();
    for entry in document.table {
        let name = qualified(entry.schema.as_deref(), &entry.name);
        if !seen.insert(name.clone()) {
            return Err(invalid_at(
                &entry.name,
                format!("table `{name}` is declared twice; keep one"),
            ));
        }
        let table = table_from_entry(entry).map_err(|m| invalid_at(&name_of(&name), m))?;
        for column in &table.columns {
            collect_enum(&mut schema.enums, &table, &column.column.type_)
                .map_err(|m| invalid_at(&column.column.name, m))?;
        }
        schema.tables.push(table);
    }
    if let Some(table) = schema
        .tables
        .iter()
        .find(|table| table.renamed_from.as_deref() == Some(&table.name))
    {
        return Err(invalid(format!(
            "table `{}` says it is renamed_from itself; remove `renamed_from`",
            table.display_name()
        )));
    }
    Ok(schema)
}

/// The unqualified name, for finding its line.
fn name_of(qualified: &str) -> String {
    qualified
        .rsplit_once('.')
        .map(|(_, name)| name.to_string())
        .unwrap_or_else(|| qualified.to_string())
}

/// The 1-based line where `name = "<value>"` (or YAML `name: <value>`) is written, if any.
fn name_line(text: &str, value: &str) -> Option<usize> {
    let toml = format!("name = {}", toml::Value::String(value.to_string()));
    let yaml_plain = format!("name: {value}");
    text.lines()
        .position(|line| {
            let line = line
                .trim()
                .trim_start_matches("- ")
                .trim_start_matches('{')
                .trim();
            line.contains(&toml)
                || line == yaml_plain
                || line.starts_with(&format!("{yaml_plain},"))
        })
        .map(|index| index + 1)
}

fn check_enum_values(name: &str, values: &[String]) -> Result<(), String> {
    if values.is_empty() {
        return Err(format!("enum `{name}` needs at least one value"));
    }
    let mut seen = HashSet::new();
    if let Some(duplicate) = values.iter().find(|value| !seen.insert(value.as_str())) {
        return Err(format!(
            "enum `{name}` lists the value '{duplicate}' twice; keep one"
        ));
    }
    Ok(())
}

/// Records an enum type a column uses; the same name must always carry the same values.
fn collect_enum(
    enums: &mut Vec<EnumType>,
    table: &Table,
    type_: &ColumnType,
) -> Result<(), String> {
    match type_ {
        ColumnType::Enum { name, values } => {
            check_enum_values(name, values)?;
            match enums.iter().find(|known| &known.name == name) {
                Some(known) if &known.values != values => Err(format!(
                    "enum `{name}` is used with the values [{}] but declared with [{}]; give every use the same values",
                    values.join(", "),
                    known.values.join(", ")
                )),
                Some(_) => Ok(()),
                None => {
                    enums.push(EnumType {
                        schema: table.schema.clone(),
                        name: name.clone(),
                        values: values.clone(),
                    });
                    Ok(())
                }
            }
        }
        ColumnType::Array(element) => collect_enum(enums, table, element),
        _ => Ok(()),
    }
}

/// One `[[table]]` in the model's form: keys, uniques and foreign keys lifted out of the
/// columns, key columns not nullable.
fn table_from_entry(entry: TableEntry) -> Result<Table, String> {
    let display = qualified(entry.schema.as_deref(), &entry.name);
    if entry.columns.is_empty() {
        return Err(format!("table `{display}` needs at least one column"));
    }
    let mut table = Table::named(entry.schema.as_deref(), &entry.name);
    table.renamed_from = entry.renamed_from;
    table.comment = entry.comment;

    let mut names = HashSet::new();
    let mut flagged_key = Vec::new();
    for ColumnEntry {
        renamed_from,
        mut column,
    } in entry.columns
    {
        if !names.insert(column.name.clone()) {
            return Err(format!(
                "table `{display}` declares column `{}` twice; keep one",
                column.name
            ));
        }
        if renamed_from.as_deref() == Some(column.name.as_str()) {
            return Err(format!(
                "column `{display}.{}` says it is renamed_from itself; remove `renamed_from`",
                column.name
            ));
        }
        if column.primary_key {
            flagged_key.push(column.name.clone());
        }
        if column.unique {
            table.uniques.push(Unique {
                name: None,
                columns: vec![column.name.clone()],
            });
        }
        if let Some(reference) = column.foreign_key.take() {
            table.foreign_keys.push(ForeignKey {
                name: reference.name,
                columns: vec![column.name.clone()],
                referent_schema: reference.schema,
                referent_table: reference.table,
                referent_columns: vec![reference.column],
                ondelete: reference.ondelete,
                onupdate: reference.onupdate,
                deferrable: None,
                initially: None,
                match_: None,
            });
        }
        column.primary_key = false;
        column.unique = false;
        table.columns.push(TableColumn {
            column,
            renamed_from,
        });
    }
    if !flagged_key.is_empty() {
        table.primary_key = Some(PrimaryKey {
            name: None,
            columns: flagged_key,
        });
    }
    for constraint in entry.constraints {
        match constraint {
            TableConstraint::PrimaryKey { name, columns } => match &table.primary_key {
                Some(key) if key.name.is_some() || key.columns != columns => {
                    return Err(format!(
                        "table `{display}` declares its primary key twice, with different columns; declare it once"
                    ))
                }
                _ => table.primary_key = Some(PrimaryKey { name, columns }),
            },
            TableConstraint::Unique { name, columns } => {
                table.uniques.push(Unique { name, columns })
            }
            TableConstraint::Check { name, condition } => {
                table.checks.push(Check { name, condition })
            }
            TableConstraint::ForeignKey {
                name,
                local_cols,
                referent_table,
                remote_cols,
                referent_schema,
                ondelete,
                onupdate,
                deferrable,
                initially,
                match_,
            } => table.foreign_keys.push(ForeignKey {
                name,
                columns: local_cols,
                referent_schema,
                referent_table,
                referent_columns: remote_cols,
                ondelete,
                onupdate,
                deferrable,
                initially,
                match_,
            }),
        }
    }
    if let Some(key) = &table.primary_key {
        for name in &key.columns {
            let Some(entry) = table
                .columns
                .iter_mut()
                .find(|entry| &entry.column.name == name)
            else {
                return Err(format!(
                    "the primary key of `{display}` names column `{name}`, which the table does not declare"
                ));
            };
            entry.column.nullable = false;
        }
    }
    let mut index_names = HashSet::new();
    for index in entry.indexes {
        if !index_names.insert(index.name.clone()) {
            return Err(format!(
                "table `{display}` declares index `{}` twice; keep one",
                index.name
            ));
        }
        if index.columns.is_empty() {
            return Err(format!("index `{}` needs at least one column", index.name));
        }
        table.indexes.push(Index {
            name: index.name,
            columns: index.columns,
            unique: index.unique,
            where_: index.where_,
            expression: false,
        });
    }
    let declared = |name: &String| table.columns.iter().any(|c| &c.column.name == name);
    let constrained = table
        .uniques
        .iter()
        .flat_map(|unique| unique.columns.iter())
        .chain(table.foreign_keys.iter().flat_map(|key| key.columns.iter()))
        .chain(table.indexes.iter().flat_map(|index| index.columns.iter()));
    for name in constrained {
        if !declared(name) {
            return Err(format!(
                "a constraint or index of `{display}` names column `{name}`, which the table does not declare"
            ));
        }
    }
    Ok(table)
}
