//! Column types (and MySQL's column defaults) as each database spells them, read into rmig's
//! vocabulary and written back for comparison: autogenerate compares reflected columns with
//! these, and the guard reads a live column's type with them, so both agree on what a
//! spelling means (PostgreSQL's reading is `ColumnType::from_postgres_spelling`).

use super::{normalize_type_text, ColumnType};
use crate::dialect::Dialect;

/// The type as SQLite's CREATE TABLE would declare it, normalised for comparison.
pub(crate) fn sqlite_spelling(type_: &ColumnType) -> Option<String> {
    let spelled = match type_ {
        ColumnType::Sql(sql) => sql.clone(),
        other => super::sql::sqlite_column_type(other, None).ok()?,
    };
    Some(normalize_type_text(&spelled))
}

/// The type as MySQL reports it back (`information_schema.COLUMNS.COLUMN_TYPE`), normalised
/// for comparison: integers without their display width (`int(11)` is `int`), the aliases
/// MySQL resolves on creation (`integer`, `bool`, `numeric`, `real`) resolved, and MariaDB's
/// JSON, a LONGTEXT with a check, taken as JSON. An enum compares by its values, which MySQL
/// keeps inline: it has no enum types with names.
pub(crate) fn mysql_spelling(type_: &ColumnType) -> Option<String> {
    let spelled = match type_ {
        ColumnType::Sql(sql) => sql.clone(),
        other => super::sql::column_type_sql(other, Dialect::Mysql, None).ok()?,
    };
    let spelled = normalize_type_text(&spelled);
    let (name, arguments) = match spelled.split_once('(') {
        Some((name, rest)) => (name.to_string(), Some(format!("({rest}"))),
        None => (spelled.clone(), None),
    };
    let (name, rest) = match name.split_once(' ') {
        Some((name, rest)) => (name.to_string(), format!(" {rest}")),
        None => (name, String::new()),
    };
    Some(match (name.as_str(), arguments.as_deref()) {
        ("bool" | "boolean", _) | ("tinyint", Some("(1)")) => "tinyint(1)".to_string(),
        ("int" | "integer" | "bigint" | "smallint" | "mediumint" | "tinyint", _) => {
            let name = if name == "integer" { "int" } else { &name };
            // The display width is all that follows the name up to `)`.
            let after = arguments
                .as_deref()
                .and_then(|arguments| arguments.split_once(')'))
                .map_or(rest.clone(), |(_, after)| after.to_string());
            format!("{name}{after}")
        }
        ("numeric" | "decimal", None) => "decimal(10,0)".to_string(),
        ("numeric" | "decimal", Some(arguments)) if !arguments.contains(',') => {
            format!("decimal{},0)", arguments.trim_end_matches(')'))
        }
        ("numeric", Some(arguments)) => format!("decimal{arguments}"),
        ("real", None) => "double".to_string(),
        ("longtext", None) | ("json", None) => "json".to_string(),
        _ => spelled,
    })
}

/// A MySQL column type (`COLUMN_TYPE`) in the vocabulary, such that rmig would declare it
/// the same way; `Sql` with the text otherwise. `int(11)` is an integer, `tinyint(1)` a
/// boolean, `enum('a','b')` an enum named after nothing (MySQL's enums have no names).
pub(crate) fn mysql_type(declared: &str) -> ColumnType {
    let spelled = normalize_type_text(declared);
    let candidate = match spelled.as_str() {
        "tinyint(1)" => ColumnType::Boolean,
        "float" => ColumnType::Real,
        "double" => ColumnType::Double,
        "datetime" => ColumnType::Timestamp { timezone: false },
        "blob" => ColumnType::Binary,
        "json" => ColumnType::Json,
        _ if spelled.starts_with("enum(") => match enum_values(declared) {
            Some(values) => ColumnType::Enum {
                name: String::new(),
                values,
            },
            None => ColumnType::Sql(declared.trim().to_string()),
        },
        _ => match ColumnType::from_postgres_spelling(&spelled) {
            ColumnType::Sql(_) => match spelled.split('(').next() {
                Some("int") => ColumnType::Integer,
                Some("bigint") => ColumnType::BigInt,
                Some("smallint") => ColumnType::SmallInt,
                _ => ColumnType::Sql(declared.trim().to_string()),
            },
            known => known,
        },
    };
    match (
        mysql_spelling(&candidate),
        mysql_spelling(&ColumnType::Sql(declared.to_string())),
    ) {
        (Some(a), Some(b)) if a == b => candidate,
        _ => ColumnType::Sql(declared.trim().to_string()),
    }
}

/// `enum('a','it''s')` -> `["a", "it's"]`, as MySQL prints an enum's values.
fn enum_values(declared: &str) -> Option<Vec<String>> {
    let inner = declared
        .trim()
        .strip_prefix("enum(")
        .or_else(|| declared.trim().strip_prefix("ENUM("))?
        .strip_suffix(')')?;
    let mut values = Vec::new();
    let mut chars = inner.chars().peekable();
    loop {
        while chars.next_if(|c| *c == ',' || c.is_whitespace()).is_some() {}
        match chars.next() {
            None => return Some(values),
            Some('\'') => {}
            Some(_) => return None,
        }
        let mut value = String::new();
        loop {
            match chars.next()? {
                '\'' if chars.next_if_eq(&'\'').is_some() => value.push('\''),
                '\'' => break,
                '\\' => value.push(chars.next()?),
                c => value.push(c),
            }
        }
        values.push(value);
    }
}

/// A SQLite declared type in the vocabulary, such that rmig would declare it the same way;
/// `Sql` with the declared text otherwise.
pub(crate) fn sqlite_type(declared: &str) -> ColumnType {
    let spelled = normalize_type_text(declared);
    let candidate = match ColumnType::from_postgres_spelling(&spelled) {
        ColumnType::Sql(_) => match spelled.as_str() {
            "blob" => ColumnType::Binary,
            "double" => ColumnType::Double,
            "int" => ColumnType::Integer,
            _ => ColumnType::Sql(declared.trim().to_string()),
        },
        known => known,
    };
    match sqlite_spelling(&candidate) {
        Some(spelling) if spelling == spelled => candidate,
        _ => ColumnType::Sql(declared.trim().to_string()),
    }
}

/// `COLUMN_DEFAULT` of `information_schema.COLUMNS` as SQL. MariaDB gives it as SQL already,
/// with `NULL` for a nullable column without one; MySQL gives a literal's value bare, marking
/// an expression `DEFAULT_GENERATED` in `EXTRA`, so a bare text value is quoted again.
pub(crate) fn mysql_column_default(
    default: Option<String>,
    extra: &str,
    data_type: &str,
    mariadb: bool,
) -> Option<String> {
    let default = default?;
    if mariadb {
        return (default != "NULL").then_some(default);
    }
    let textual = matches!(
        data_type,
        "char" | "varchar" | "text" | "tinytext" | "mediumtext" | "longtext" | "enum" | "set"
    );
    if textual && !extra.contains("DEFAULT_GENERATED") {
        Some(crate::dialect::string_literal_in(Dialect::Mysql, &default))
    } else {
        Some(default)
    }
}
