//! Raw `execute` SQL, read with a real SQL parser: the statements that destroy data whatever
//! the revision file says around them.

use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, AssignmentTarget, DropBehavior, FromTable, Ident,
    ObjectName, ObjectNamePart, ObjectType, Query, ReferentialAction, SetExpr, Statement,
    TableFactor, TableWithJoins,
};
use sqlparser::dialect::{Dialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;

use crate::ops::Execute;

use super::classify::{DataLoss, RowMeasure};
use super::object::DataObject;

/// The longest SQL quoted in a reason; longer statements are cut with an ellipsis.
const QUOTED_SQL_LIMIT: usize = 80;

/// What the SQL of an `execute` can destroy, on every dialect it runs on.
///
/// Each dialect runs its own text, else `sqltext` (as `ops::sql::render` does), so each text is
/// read with the dialect that runs it. `sqltext` shared by both is read by both parsers and
/// counts as unreadable only when neither reads it: PostgreSQL-only SQL in `sqltext` is common
/// in projects that never touch SQLite, and refusing it would teach users to confirm blindly.
pub(crate) fn classify_execute(execute: &Execute) -> Vec<DataLoss> {
    let postgres = execute.postgresql.as_deref().or(execute.sqltext.as_deref());
    let sqlite = execute.sqlite.as_deref().or(execute.sqltext.as_deref());
    let mut texts: Vec<(&str, Vec<&dyn Dialect>)> = Vec::new();
    match (postgres, sqlite) {
        (Some(a), Some(b)) if a == b => {
            texts.push((a, vec![&PostgreSqlDialect {}, &SQLiteDialect {}]))
        }
        (postgres, sqlite) => {
            if let Some(text) = postgres {
                texts.push((text, vec![&PostgreSqlDialect {}]));
            }
            if let Some(text) = sqlite {
                texts.push((text, vec![&SQLiteDialect {}]));
            }
        }
    }
    let mut losses: Vec<DataLoss> = Vec::new();
    for (text, dialects) in texts {
        for loss in classify_text(text, &dialects) {
            if !losses.contains(&loss) {
                losses.push(loss);
            }
        }
    }
    losses
}

/// Reads `sql` with each dialect that runs it; the union of what every successful reading finds.
pub(crate) fn classify_text(sql: &str, dialects: &[&dyn Dialect]) -> Vec<DataLoss> {
    let mut losses = Vec::new();
    let mut first_error = None;
    let mut parsed_by_any = false;
    for dialect in dialects {
        match Parser::parse_sql(*dialect, sql) {
            Ok(statements) => {
                parsed_by_any = true;
                for statement in &statements {
                    statement_losses(statement, &mut losses);
                }
            }
            Err(error) => {
                first_error.get_or_insert_with(|| error.to_string());
            }
        }
    }
    if !parsed_by_any {
        losses.push(DataLoss {
            object: DataObject::Unknown,
            reason: format!(
                "its SQL cannot be parsed ({}), so the guard cannot tell what it destroys",
                first_error.unwrap_or_default()
            ),
            measure: RowMeasure::Uncountable,
        });
    }
    dedup(losses)
}

fn dedup(losses: Vec<DataLoss>) -> Vec<DataLoss> {
    let mut unique: Vec<DataLoss> = Vec::with_capacity(losses.len());
    for loss in losses {
        if !unique.contains(&loss) {
            unique.push(loss);
        }
    }
    unique
}

fn statement_losses(statement: &Statement, out: &mut Vec<DataLoss>) {
    let quoted = quote(statement);
    match statement {
        Statement::Drop {
            object_type,
            names,
            cascade,
            ..
        } => {
            for name in names {
                let (schema, last) = split_name(name);
                let loss = match object_type {
                    ObjectType::Table => Some(table_loss(
                        DataObject::table(schema.as_deref(), &last),
                        format!("`{quoted}` drops the table and every row in it"),
                    )),
                    ObjectType::Schema => Some(named_loss(
                        "schema",
                        &last,
                        format!("`{quoted}` drops the schema and every table in it"),
                    )),
                    ObjectType::Database => Some(named_loss(
                        "database",
                        &last,
                        format!("`{quoted}` drops the database and everything in it"),
                    )),
                    // Without CASCADE the database refuses while any column uses the type.
                    ObjectType::Type if *cascade => Some(named_loss(
                        "type",
                        &last,
                        format!("`{quoted}` drops every column of that type"),
                    )),
                    _ => None,
                };
                out.extend(loss);
            }
        }
        Statement::DropDomain(drop) if drop.drop_behavior == Some(DropBehavior::Cascade) => {
            let (_, name) = split_name(&drop.name);
            out.push(named_loss(
                "domain",
                &name,
                format!("`{quoted}` drops every column of that domain"),
            ));
        }
        Statement::DropExtension(drop)
            if drop.cascade_or_restrict == Some(ReferentialAction::Cascade) =>
        {
            for name in &drop.names {
                out.push(named_loss(
                    "extension",
                    &identifier(name),
                    format!("`{quoted}` drops every column whose type the extension provides"),
                ));
            }
        }
        Statement::Truncate(truncate) => {
            for target in &truncate.table_names {
                let (schema, table) = split_name(&target.name);
                out.push(table_loss(
                    DataObject::table(schema.as_deref(), &table),
                    format!("`{quoted}` removes every row"),
                ));
            }
        }
        Statement::Delete(delete) if delete.selection.is_none() => {
            let from = match &delete.from {
                FromTable::WithFromKeyword(tables) | FromTable::WithoutKeyword(tables) => tables,
            };
            let mut objects: Vec<DataObject> = delete.tables.iter().map(table_object).collect();
            if objects.is_empty() {
                objects.extend(from.iter().filter_map(relation_object));
            }
            for object in objects {
                out.push(table_loss(
                    object,
                    format!("`{quoted}` has no WHERE, so it removes every row"),
                ));
            }
        }
        Statement::Update(update) if update.selection.is_none() => {
            let columns: Vec<String> = update
                .assignments
                .iter()
                .flat_map(|assignment| match &assignment.target {
                    AssignmentTarget::ColumnName(name) => vec![split_name(name).1],
                    AssignmentTarget::Tuple(names) => {
                        names.iter().map(|name| split_name(name).1).collect()
                    }
                })
                .collect();
            if let Some(object) = relation_object(&update.table) {
                out.push(table_loss(
                    object,
                    format!(
                        "`{quoted}` has no WHERE, so it overwrites {} in every row",
                        columns.join(", ")
                    ),
                ));
            }
        }
        Statement::AlterTable(alter) => {
            let (schema, table) = split_name(&alter.name);
            for operation in &alter.operations {
                match operation {
                    AlterTableOperation::DropColumn { column_names, .. } => {
                        for column in column_names {
                            out.push(column_loss(
                                DataObject::column(schema.as_deref(), &table, &identifier(column)),
                                format!("`{quoted}` drops the column and every value in it"),
                            ));
                        }
                    }
                    AlterTableOperation::AlterColumn {
                        column_name,
                        op: AlterColumnOperation::SetDataType { data_type, .. },
                    } => out.push(column_loss(
                        DataObject::column(schema.as_deref(), &table, &identifier(column_name)),
                        format!(
                            "`{quoted}` changes the column's type to {data_type}; the guard cannot see its current type, so values may not survive"
                        ),
                    )),
                    _ => {}
                }
            }
        }
        Statement::Query(query) => query_losses(query, out),
        _ => {}
    }
}

/// Data-modifying statements inside a query: PostgreSQL's `WITH d AS (DELETE ...) SELECT ...`.
fn query_losses(query: &Query, out: &mut Vec<DataLoss>) {
    if let Some(with) = &query.with {
        for cte in &with.cte_tables {
            query_losses(&cte.query, out);
        }
    }
    set_expr_losses(&query.body, out);
}

fn set_expr_losses(body: &SetExpr, out: &mut Vec<DataLoss>) {
    match body {
        SetExpr::Query(query) => query_losses(query, out),
        SetExpr::SetOperation { left, right, .. } => {
            set_expr_losses(left, out);
            set_expr_losses(right, out);
        }
        SetExpr::Insert(statement)
        | SetExpr::Update(statement)
        | SetExpr::Delete(statement)
        | SetExpr::Merge(statement) => statement_losses(statement, out),
        _ => {}
    }
}

fn table_loss(object: DataObject, reason: String) -> DataLoss {
    DataLoss {
        object,
        reason,
        measure: RowMeasure::Rows,
    }
}

fn column_loss(object: DataObject, reason: String) -> DataLoss {
    DataLoss {
        object,
        reason,
        measure: RowMeasure::NonNullValues,
    }
}

fn named_loss(kind: &'static str, name: &str, reason: String) -> DataLoss {
    DataLoss {
        object: DataObject::Named {
            kind,
            name: name.to_string(),
        },
        reason,
        measure: RowMeasure::Uncountable,
    }
}

fn relation_object(table: &TableWithJoins) -> Option<DataObject> {
    match &table.relation {
        TableFactor::Table { name, .. } => Some(table_object(name)),
        _ => None,
    }
}

fn table_object(name: &ObjectName) -> DataObject {
    let (schema, table) = split_name(name);
    DataObject::table(schema.as_deref(), &table)
}

/// `[database.][schema.]name` as (schema, name), identifiers folded as the database folds them.
fn split_name(name: &ObjectName) -> (Option<String>, String) {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(ident) => identifier(ident),
            other => other.to_string(),
        })
        .collect();
    match parts.as_slice() {
        [] => (None, String::new()),
        [.., schema, last] => (Some(schema.clone()), last.clone()),
        [last] => (None, last.clone()),
    }
}

/// An unquoted identifier is folded to lower case, as PostgreSQL does (SQLite ignores case), so
/// that it compares with the names revision files write; a quoted one is kept as written.
fn identifier(ident: &Ident) -> String {
    match ident.quote_style {
        Some(_) => ident.value.clone(),
        None => ident.value.to_lowercase(),
    }
}

/// The statement as the parser prints it, cut to fit on a report line.
fn quote(statement: &Statement) -> String {
    let text = statement.to_string();
    if text.chars().count() <= QUOTED_SQL_LIMIT {
        return text;
    }
    let cut: String = text.chars().take(QUOTED_SQL_LIMIT).collect();
    format!("{cut}...")
}
