//! Alembic's names under env.py's naming convention, settled in the translated operations.
//!
//! SQLAlchemy runs a plain string name through the template of its kind when the template
//! uses `%(constraint_name)s` (`ck_%(table_name)s_%(constraint_name)s` turns
//! `op.create_check_constraint("positive", "orders", ...)` into `ck_orders_positive`);
//! `op.f("...")` names are final. rmig's names are always final, so such names are written
//! as Alembic computes them. Names Alembic leaves to the convention (`None`) stay absent: the
//! convention, written into rmig.toml, names them when the revision loads
//! (`crate::ops::naming_convention`), so there is one implementation of the rules.
//!
//! SQLAlchemy cuts an `op.f` name or a template's name longer than the dialect's
//! `max_identifier_length` (63 characters on PostgreSQL, 9999 on SQLite), so such a name is
//! Alembic's on one database only: it is written as Alembic gives it on the database the
//! import is for, and reported when that database was assumed.

use super::emit::{OpTable, Toml};
use crate::dialect::Dialect;
use crate::ops::naming_convention::{truncate, ConventionKind, Naming, Subject};

/// What an import settles names with, and what it found.
pub(super) struct Settling<'a> {
    /// env.py's convention, for the database the import is for.
    pub(super) naming: Naming<'a>,
    /// Names Alembic gives differently by database, as `'<name>' on <database>` pairs.
    pub(super) by_database: Vec<String>,
}

/// The databases whose names an import compares.
const DIALECTS: [Dialect; 2] = [Dialect::Postgresql, Dialect::Sqlite];

/// Replaces every [`Toml::Name`] and [`Toml::Final`] of `op` by the name Alembic gives it.
pub(super) fn resolve_names(op: &mut OpTable, naming: &mut Settling<'_>) -> Result<(), String> {
    let fields = &op.fields;
    let text = |key: &str| string(fields, key).unwrap_or_default();
    let list = |key: &str| strings(fields, key);
    let (kind, key, table, schema, columns, referred, referred_columns) = match op.op.as_str() {
        "create_index" | "drop_index" => (
            Some(ConventionKind::Index),
            "index_name",
            text("table_name"),
            string(fields, "schema"),
            list("columns"),
            String::new(),
            Vec::new(),
        ),
        "create_unique_constraint"
        | "create_primary_key"
        | "create_check_constraint"
        | "drop_constraint" => {
            let kind = match (op.op.as_str(), string(fields, "type_").as_deref()) {
                ("create_unique_constraint", _) | (_, Some("unique")) => {
                    Some(ConventionKind::Unique)
                }
                ("create_primary_key", _) | (_, Some("primary")) => {
                    Some(ConventionKind::PrimaryKey)
                }
                ("create_check_constraint", _) | (_, Some("check")) => Some(ConventionKind::Check),
                (_, Some("foreignkey")) => Some(ConventionKind::ForeignKey),
                _ => None,
            };
            (
                kind,
                "constraint_name",
                text("table_name"),
                string(fields, "schema"),
                list("columns"),
                String::new(),
                Vec::new(),
            )
        }
        "create_foreign_key" => (
            Some(ConventionKind::ForeignKey),
            "constraint_name",
            text("source_table"),
            string(fields, "source_schema"),
            list("local_cols"),
            text("referent_table"),
            list("remote_cols"),
        ),
        "create_table" | "add_column" => {
            let table = text("table_name");
            let schema = string(fields, "schema");
            for (field, value) in &mut op.fields {
                match (field.as_str(), value) {
                    ("constraints", Toml::Array(items)) => {
                        for item in items {
                            resolve_table_constraint(item, &table, schema.as_deref(), naming)?;
                        }
                    }
                    ("columns", Toml::Array(items)) => {
                        for item in items {
                            resolve_column(item, &table, schema.as_deref(), naming)?;
                        }
                    }
                    ("column", column) => {
                        resolve_column(column, &table, schema.as_deref(), naming)?
                    }
                    _ => {}
                }
            }
            return Ok(());
        }
        _ => return Ok(()),
    };
    let subject = Subject {
        table: &table,
        schema: schema.as_deref(),
        columns: &columns,
        referred_table: &referred,
        referred_columns: &referred_columns,
        name: None,
    };
    if let Some((_, value)) = op.fields.iter_mut().find(|(field, _)| field == key) {
        settle(value, kind, subject, naming)?;
    }
    Ok(())
}

/// A `create_table` constraint's name.
fn resolve_table_constraint(
    item: &mut Toml,
    table: &str,
    schema: Option<&str>,
    naming: &mut Settling<'_>,
) -> Result<(), String> {
    let Toml::Table(fields) = item else {
        return Ok(());
    };
    let kind = match string(fields, "type").as_deref() {
        Some("primary_key") => ConventionKind::PrimaryKey,
        Some("unique") => ConventionKind::Unique,
        Some("check") => ConventionKind::Check,
        Some("foreign_key") => ConventionKind::ForeignKey,
        _ => return Ok(()),
    };
    let columns = if kind == ConventionKind::ForeignKey {
        strings(fields, "local_cols")
    } else {
        strings(fields, "columns")
    };
    let referred = string(fields, "referent_table").unwrap_or_default();
    let referred_columns = strings(fields, "remote_cols");
    let subject = Subject {
        table,
        schema,
        columns: &columns,
        referred_table: &referred,
        referred_columns: &referred_columns,
        name: None,
    };
    if let Some((_, value)) = fields.iter_mut().find(|(field, _)| field == "name") {
        settle(value, Some(kind), subject, naming)?;
    }
    Ok(())
}

/// The name of a column's foreign key.
fn resolve_column(
    column: &mut Toml,
    table: &str,
    schema: Option<&str>,
    naming: &mut Settling<'_>,
) -> Result<(), String> {
    let Toml::Table(fields) = column else {
        return Ok(());
    };
    let own = vec![string(fields, "name").unwrap_or_default()];
    let Some((_, Toml::Table(foreign_key))) = fields.iter_mut().find(|(f, _)| f == "foreign_key")
    else {
        return Ok(());
    };
    let referred = string(foreign_key, "table").unwrap_or_default();
    let referred_columns = vec![string(foreign_key, "column").unwrap_or_default()];
    let subject = Subject {
        table,
        schema,
        columns: &own,
        referred_table: &referred,
        referred_columns: &referred_columns,
        name: None,
    };
    if let Some((_, value)) = foreign_key.iter_mut().find(|(field, _)| field == "name") {
        settle(value, Some(ConventionKind::ForeignKey), subject, naming)?;
    }
    Ok(())
}

/// A written name as Alembic leaves it: an `op.f` name cut to the database's length; a plain
/// one through the template when it uses `%(constraint_name)s`, else as written.
fn settle(
    value: &mut Toml,
    kind: Option<ConventionKind>,
    subject: Subject<'_>,
    naming: &mut Settling<'_>,
) -> Result<(), String> {
    let named = |database: Naming<'_>| -> Result<Option<String>, String> {
        match &*value {
            Toml::Final(name) => Ok(Some(truncate(name, database.rules))),
            Toml::Name(written) => {
                let renamed = match kind {
                    Some(kind) if database.convention.renames_written(kind) => database
                        .name(
                            kind,
                            &Subject {
                                name: Some(written),
                                ..subject
                            },
                        )
                        .map_err(|error| error.to_string())?,
                    _ => None,
                };
                Ok(Some(renamed.unwrap_or_else(|| written.clone())))
            }
            _ => Ok(None),
        }
    };
    let Some(name) = named(naming.naming)? else {
        return Ok(());
    };
    let mut by_database = Vec::with_capacity(DIALECTS.len());
    for dialect in DIALECTS {
        let there = naming.naming.convention.for_database(dialect.name_rules());
        by_database.push((dialect, named(there)?.unwrap_or_default()));
    }
    if by_database
        .iter()
        .any(|(_, there)| *there != by_database[0].1)
    {
        naming.by_database.push(
            by_database
                .iter()
                .map(|(dialect, there)| format!("'{there}' on {}", dialect.product_name()))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    *value = Toml::Str(name);
    Ok(())
}

fn string(fields: &[(String, Toml)], key: &str) -> Option<String> {
    fields.iter().find_map(|(field, value)| match value {
        Toml::Str(text) | Toml::Name(text) | Toml::Final(text) if field == key => {
            Some(text.clone())
        }
        _ => None,
    })
}

fn strings(fields: &[(String, Toml)], key: &str) -> Vec<String> {
    fields
        .iter()
        .find_map(|(field, value)| match value {
            Toml::Array(items) if field == key => Some(
                items
                    .iter()
                    .filter_map(|item| match item {
                        Toml::Str(text) => Some(text.clone()),
                        _ => None,
                    })
                    .collect(),
            ),
            _ => None,
        })
        .unwrap_or_default()
}
