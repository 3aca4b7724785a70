//! SQLite reflection from `sqlite_schema` and the table-valued pragmas (`pragma_table_info`,
//! `pragma_foreign_key_list`, `pragma_index_list`, `pragma_index_info`).
//!
//! The pragmas know no constraint names and no CHECK constraints; those are read from the
//! table's `CREATE TABLE` text with the SQL parser the guard uses. Text it cannot parse
//! (SQLite accepts more than the parser) only costs the names and checks, not the table.

use sqlparser::ast::{
    ColumnOption, ConstraintCharacteristics, DeferrableInitial, Expr, Statement,
    TableConstraint as SqlConstraint,
};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::Parser;

use crate::db::{Backend, DbError};
use crate::ops::{Column, ForeignKeyMatch, Initially, ReferentialAction};

use super::super::model::{
    sqlite_type, Check, ForeignKey, Index, PrimaryKey, Schema, Table, TableColumn, Unique,
};
use super::{json_rows, text};

const TABLES: &str = "SELECT json_array(name, sql) FROM sqlite_schema \
    WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name";

const COLUMNS: &str =
    "SELECT json_array(name, type, \"notnull\", dflt_value, pk) FROM pragma_table_info($1) ORDER BY cid";

const FOREIGN_KEYS: &str =
    "SELECT json_array(id, \"table\", \"from\", \"to\", on_update, on_delete, \"match\") \
    FROM pragma_foreign_key_list($1) ORDER BY id, seq";

const INDEXES: &str =
    "SELECT json_array(name, \"unique\", origin, partial) FROM pragma_index_list($1) ORDER BY name";

const INDEX_COLUMNS: &str = "SELECT json_array(name) FROM pragma_index_info($1) ORDER BY seqno";

const INDEX_SQL: &str =
    "SELECT json_array(sql) FROM sqlite_schema WHERE type = 'index' AND name = $1";

/// A row of `pragma_foreign_key_list`: id, table, from, to, on_update, on_delete, match.
type ReferenceRow = (i64, String, String, Option<String>, String, String, String);

pub(super) fn reflect(backend: &mut dyn Backend) -> Result<Schema, DbError> {
    let mut model = Schema::default();
    let tables: Vec<(String, Option<String>)> = json_rows(backend, TABLES, &[])?;
    for (name, sql) in &tables {
        model
            .tables
            .push(reflect_table(backend, name, sql.as_deref())?);
    }
    // A foreign key written without referenced columns references the primary key.
    let keys: Vec<(String, Vec<String>)> = model
        .tables
        .iter()
        .filter_map(|table| {
            table
                .primary_key
                .as_ref()
                .map(|key| (table.name.clone(), key.columns.clone()))
        })
        .collect();
    for table in &mut model.tables {
        for foreign_key in &mut table.foreign_keys {
            if foreign_key.referent_columns.is_empty() {
                if let Some((_, columns)) = keys
                    .iter()
                    .find(|(name, _)| name == &foreign_key.referent_table)
                {
                    foreign_key.referent_columns = columns.clone();
                }
            }
        }
    }
    Ok(model)
}

fn reflect_table(
    backend: &mut dyn Backend,
    name: &str,
    sql: Option<&str>,
) -> Result<Table, DbError> {
    let parsed = sql.map(parse_create_table).unwrap_or_default();
    let mut table = Table::named(None, name);

    let columns: Vec<(String, String, i64, Option<String>, i64)> =
        json_rows(backend, COLUMNS, &[text(name)])?;
    let mut key: Vec<(i64, String)> = Vec::new();
    for (column_name, declared, not_null, default, key_position) in columns {
        if key_position > 0 {
            key.push((key_position, column_name.clone()));
        }
        table.columns.push(TableColumn {
            column: Column {
                name: column_name,
                type_: sqlite_type(&declared),
                nullable: not_null == 0 && key_position == 0,
                primary_key: false,
                server_default: default,
                unique: false,
                autoincrement: None,
                identity: None,
                comment: None,
                foreign_key: None,
            },
            renamed_from: None,
        });
    }
    key.sort();
    if !key.is_empty() {
        table.primary_key = Some(PrimaryKey {
            name: parsed.primary_key_name.clone(),
            columns: key.into_iter().map(|(_, column)| column).collect(),
        });
    }

    let references: Vec<ReferenceRow> = json_rows(backend, FOREIGN_KEYS, &[text(name)])?;
    let mut current_id = None;
    for (id, referent, from, to, on_update, on_delete, match_) in references {
        if current_id != Some(id) {
            current_id = Some(id);
            table.foreign_keys.push(ForeignKey {
                name: None,
                columns: Vec::new(),
                referent_schema: None,
                referent_table: referent,
                referent_columns: Vec::new(),
                ondelete: action(&on_delete),
                onupdate: action(&on_update),
                deferrable: None,
                initially: None,
                match_: match match_.to_ascii_uppercase().as_str() {
                    "FULL" => Some(ForeignKeyMatch::Full),
                    "PARTIAL" => Some(ForeignKeyMatch::Partial),
                    "SIMPLE" => Some(ForeignKeyMatch::Simple),
                    _ => None,
                },
            });
        }
        if let Some(foreign_key) = table.foreign_keys.last_mut() {
            foreign_key.columns.push(from);
            if let Some(to) = to {
                foreign_key.referent_columns.push(to);
            }
        }
    }
    // pragma_foreign_key_list numbers keys from the last declared; the file order reads better.
    table.foreign_keys.reverse();
    for foreign_key in &mut table.foreign_keys {
        if let Some(declared) = parsed
            .foreign_keys
            .iter()
            .find(|declared| declared.columns == foreign_key.columns)
        {
            foreign_key.name = declared.name.clone();
            foreign_key.deferrable = declared.deferrable;
            foreign_key.initially = declared.initially;
        }
    }

    let indexes: Vec<(String, i64, String, i64)> = json_rows(backend, INDEXES, &[text(name)])?;
    for (index_name, unique, origin, partial) in indexes {
        let columns: Vec<(Option<String>,)> =
            json_rows(backend, INDEX_COLUMNS, &[text(&index_name)])?;
        let expression = columns.iter().any(|(column,)| column.is_none());
        let columns: Vec<String> = columns.into_iter().filter_map(|(column,)| column).collect();
        match origin.as_str() {
            "u" => table.uniques.push(Unique {
                name: parsed
                    .uniques
                    .iter()
                    .find(|(_, declared)| declared == &columns)
                    .and_then(|(name, _)| name.clone()),
                columns,
            }),
            "c" => {
                let where_ = if partial != 0 {
                    let sql: Vec<(Option<String>,)> =
                        json_rows(backend, INDEX_SQL, &[text(&index_name)])?;
                    sql.into_iter()
                        .next()
                        .and_then(|(sql,)| sql)
                        .and_then(|sql| index_predicate(&sql))
                } else {
                    None
                };
                table.indexes.push(Index {
                    name: index_name,
                    columns,
                    unique: unique != 0,
                    where_,
                    expression,
                })
            }
            _ => {}
        }
    }
    table.checks = parsed.checks;
    Ok(table)
}

/// What only the CREATE TABLE text tells.
#[derive(Debug, Default, PartialEq)]
struct Declared {
    primary_key_name: Option<String>,
    /// (name, columns) of each UNIQUE constraint.
    uniques: Vec<(Option<String>, Vec<String>)>,
    foreign_keys: Vec<DeclaredForeignKey>,
    checks: Vec<Check>,
}

#[derive(Debug, PartialEq)]
struct DeclaredForeignKey {
    name: Option<String>,
    columns: Vec<String>,
    deferrable: Option<bool>,
    initially: Option<Initially>,
}

fn parse_create_table(sql: &str) -> Declared {
    let mut declared = Declared::default();
    let Ok(statements) = Parser::parse_sql(&SQLiteDialect {}, sql) else {
        return declared;
    };
    let Some(Statement::CreateTable(create)) = statements.into_iter().next() else {
        return declared;
    };
    for column in &create.columns {
        for option in &column.options {
            let name = option.name.as_ref().map(|ident| ident.value.clone());
            match &option.option {
                ColumnOption::PrimaryKey(_) => declared.primary_key_name = name,
                ColumnOption::Unique(_) => declared
                    .uniques
                    .push((name, vec![column.name.value.clone()])),
                ColumnOption::ForeignKey(key) => declared.foreign_keys.push(DeclaredForeignKey {
                    name,
                    columns: vec![column.name.value.clone()],
                    deferrable: characteristics(&key.characteristics).0,
                    initially: characteristics(&key.characteristics).1,
                }),
                ColumnOption::Check(check) => declared.checks.push(Check {
                    name: name.or_else(|| check.name.as_ref().map(|ident| ident.value.clone())),
                    condition: check.expr.to_string(),
                }),
                _ => {}
            }
        }
    }
    for constraint in &create.constraints {
        match constraint {
            SqlConstraint::PrimaryKey(key) => {
                declared.primary_key_name = key.name.as_ref().map(|ident| ident.value.clone())
            }
            SqlConstraint::Unique(unique) => declared.uniques.push((
                unique.name.as_ref().map(|ident| ident.value.clone()),
                unique
                    .columns
                    .iter()
                    .filter_map(|column| column_name(&column.column.expr))
                    .collect(),
            )),
            SqlConstraint::ForeignKey(key) => declared.foreign_keys.push(DeclaredForeignKey {
                name: key.name.as_ref().map(|ident| ident.value.clone()),
                columns: key
                    .columns
                    .iter()
                    .map(|ident| ident.value.clone())
                    .collect(),
                deferrable: characteristics(&key.characteristics).0,
                initially: characteristics(&key.characteristics).1,
            }),
            SqlConstraint::Check(check) => declared.checks.push(Check {
                name: check.name.as_ref().map(|ident| ident.value.clone()),
                condition: check.expr.to_string(),
            }),
            _ => {}
        }
    }
    declared
}

fn column_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Identifier(ident) => Some(ident.value.clone()),
        _ => None,
    }
}

fn characteristics(
    characteristics: &Option<ConstraintCharacteristics>,
) -> (Option<bool>, Option<Initially>) {
    match characteristics {
        Some(characteristics) => (
            characteristics.deferrable,
            characteristics.initially.map(|initially| match initially {
                DeferrableInitial::Deferred => Initially::Deferred,
                DeferrableInitial::Immediate => Initially::Immediate,
            }),
        ),
        None => (None, None),
    }
}

/// The text after the last top-level `WHERE` of a `CREATE INDEX`.
fn index_predicate(sql: &str) -> Option<String> {
    let upper = sql.to_ascii_uppercase();
    let at = upper.rfind(" WHERE ")?;
    Some(sql[at + " WHERE ".len()..].trim().to_string())
}

fn action(text: &str) -> Option<ReferentialAction> {
    match text.to_ascii_uppercase().as_str() {
        "CASCADE" => Some(ReferentialAction::Cascade),
        "SET NULL" => Some(ReferentialAction::SetNull),
        "SET DEFAULT" => Some(ReferentialAction::SetDefault),
        "RESTRICT" => Some(ReferentialAction::Restrict),
        "NO ACTION" => Some(ReferentialAction::NoAction),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_table_text_gives_names_and_checks() {
        let declared = parse_create_table(
            "CREATE TABLE \"orders\" ( \"id\" integer NOT NULL, \"owner_id\" integer CONSTRAINT \"fk_owner\" REFERENCES \"users\" (\"id\"), \"code\" text, \"price\" integer, CONSTRAINT \"pk_orders\" PRIMARY KEY (\"id\"), CONSTRAINT \"uq_code\" UNIQUE (\"code\"), CONSTRAINT \"positive\" CHECK (price > 0) )",
        );
        assert_eq!(declared.primary_key_name.as_deref(), Some("pk_orders"));
        assert_eq!(
            declared.uniques,
            vec![(Some("uq_code".to_string()), vec!["code".to_string()])]
        );
        assert_eq!(declared.foreign_keys[0].name.as_deref(), Some("fk_owner"));
        assert_eq!(declared.foreign_keys[0].columns, vec!["owner_id"]);
        assert_eq!(
            declared.checks,
            vec![Check {
                name: Some("positive".into()),
                condition: "price > 0".into()
            }]
        );
    }

    #[test]
    fn unparseable_text_costs_only_the_names() {
        assert_eq!(
            parse_create_table("CREATE TABLE x (a) STRICT garbage ("),
            Declared::default()
        );
    }

    #[test]
    fn partial_index_predicates_are_read() {
        assert_eq!(
            index_predicate("CREATE INDEX \"ix\" ON \"t\" (\"a\") WHERE active = 1").as_deref(),
            Some("active = 1")
        );
        assert_eq!(index_predicate("CREATE INDEX ix ON t (a)"), None);
    }
}
