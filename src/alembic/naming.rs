//! Alembic's names under env.py's naming convention, settled in the translated operations.
//!
//! SQLAlchemy runs a plain string name through the template of its kind when the template
//! uses `%(constraint_name)s` (`ck_%(table_name)s_%(constraint_name)s` turns
//! `op.create_check_constraint("positive", "orders", ...)` into `ck_orders_positive`);
//! `op.f("...")` names are final. rmig's names are always final, so such names are written
//! as Alembic computes them. Names Alembic leaves to the convention (`None`) stay absent: the
//! convention, written into rmig.toml, names them when the revision loads
//! (`crate::ops::naming_convention`), so there is one implementation of the rules.

use super::emit::{OpTable, Toml};
use crate::ops::naming_convention::{ConventionKind, NamingConvention, Subject};

/// Replaces every [`Toml::Name`] of `op` by the name Alembic gives it.
pub(super) fn resolve_names(op: &mut OpTable, naming: &NamingConvention) -> Result<(), String> {
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
    naming: &NamingConvention,
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
    naming: &NamingConvention,
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

/// A written name as Alembic leaves it: through the template when it uses
/// `%(constraint_name)s`, else as written.
fn settle(
    value: &mut Toml,
    kind: Option<ConventionKind>,
    subject: Subject<'_>,
    naming: &NamingConvention,
) -> Result<(), String> {
    let Toml::Name(written) = value else {
        return Ok(());
    };
    let renamed = match kind {
        Some(kind) if naming.renames_written(kind) => naming
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
    *value = Toml::Str(renamed.unwrap_or_else(|| written.clone()));
    Ok(())
}

fn string(fields: &[(String, Toml)], key: &str) -> Option<String> {
    fields.iter().find_map(|(field, value)| match value {
        Toml::Str(text) | Toml::Name(text) if field == key => Some(text.clone()),
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
