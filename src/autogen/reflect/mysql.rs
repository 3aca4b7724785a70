//! MySQL and MariaDB reflection from `information_schema`, for the connection's database.
//!
//! MySQL keeps a few things its own way, undone here so that a table reads as the schema file
//! that made it: a primary key is always named `PRIMARY` (so it has no name of its own here),
//! a unique constraint is its unique index, every foreign key gets an index of its own (left
//! out: the file never asks for it), and MariaDB stores JSON as LONGTEXT with a
//! `json_valid` check named after the column (left out too).

use crate::db::{Backend, DbError};
use crate::ops::spelling::mysql_column_default;
use crate::ops::{Column, ReferentialAction};

use super::super::model::{
    mysql_type, Check, ForeignKey, Index, PrimaryKey, Schema, Table, TableColumn, Unique,
};
use super::json_rows;

const TABLES: &str = "SELECT JSON_ARRAY(TABLE_NAME, TABLE_COMMENT) FROM information_schema.TABLES \
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME";

const COLUMNS: &str = "SELECT JSON_ARRAY(TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, \
    COLUMN_DEFAULT, EXTRA, COLUMN_COMMENT, DATA_TYPE) FROM information_schema.COLUMNS \
    WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION";

/// One row per index column, in order; `COLUMN_NAME` is NULL for an expression (MySQL 8).
const INDEX_COLUMNS: &str = "SELECT JSON_ARRAY(TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME) \
    FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() \
    ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX";

/// One row per foreign-key column, in order.
const FOREIGN_KEYS: &str = "SELECT JSON_ARRAY(k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, \
    k.REFERENCED_TABLE_SCHEMA, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, \
    r.UPDATE_RULE, r.DELETE_RULE) \
    FROM information_schema.KEY_COLUMN_USAGE k \
    JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
        ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
        AND r.TABLE_NAME = k.TABLE_NAME \
    WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL \
    ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION";

const CHECKS: &str = "SELECT JSON_ARRAY(TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE) \
    FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() \
    ORDER BY TABLE_NAME, CONSTRAINT_NAME";

/// table, column, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, COLUMN_COMMENT, DATA_TYPE.
type ColumnRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
);

/// table, constraint, column, referenced schema, table and column, update and delete rules.
type ForeignKeyRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

pub(super) fn reflect(backend: &mut dyn Backend) -> Result<Schema, DbError> {
    let mariadb = backend
        .query_strings("SELECT VERSION()", &[])?
        .first()
        .is_some_and(|version| version.contains("MariaDB"));
    let database = backend
        .query_strings("SELECT DATABASE()", &[])?
        .into_iter()
        .next()
        .unwrap_or_default();
    let mut model = Schema::default();
    for (name, comment) in json_rows::<(String, String)>(backend, TABLES, &[])? {
        let mut table = Table::named(None, &name);
        table.comment = Some(comment).filter(|comment| !comment.is_empty());
        model.tables.push(table);
    }
    let columns: Vec<ColumnRow> = json_rows(backend, COLUMNS, &[])?;
    for (table, name, column_type, nullable, default, extra, comment, data_type) in columns {
        let Some(table) = table_mut(&mut model, &table) else {
            continue;
        };
        let column = Column {
            name,
            type_: mysql_type(&column_type),
            nullable: nullable == "YES",
            primary_key: false,
            server_default: mysql_column_default(default, &extra, &data_type, mariadb),
            unique: false,
            autoincrement: None,
            identity: None,
            comment: Some(comment).filter(|comment| !comment.is_empty()),
            foreign_key: None,
        };
        table.columns.push(TableColumn {
            column,
            renamed_from: None,
        });
    }

    let mut foreign_keys: Vec<(String, ForeignKey)> = Vec::new();
    let rows: Vec<ForeignKeyRow> = json_rows(backend, FOREIGN_KEYS, &[])?;
    for (table, name, column, referent_schema, referent, referent_column, onupdate, ondelete) in
        rows
    {
        match foreign_keys
            .iter_mut()
            .find(|(known_table, key)| *known_table == table && key.name.as_deref() == Some(&name))
        {
            Some((_, key)) => {
                key.columns.push(column);
                key.referent_columns.push(referent_column);
            }
            None => foreign_keys.push((
                table,
                ForeignKey {
                    name: Some(name),
                    columns: vec![column],
                    referent_schema: (referent_schema != database).then_some(referent_schema),
                    referent_table: referent,
                    referent_columns: vec![referent_column],
                    ondelete: action(&ondelete),
                    onupdate: action(&onupdate),
                    deferrable: None,
                    initially: None,
                    match_: None,
                },
            )),
        }
    }

    // Indexes, one row per column, folded into one per index.
    let mut indexes: Vec<(String, String, bool, Vec<Option<String>>)> = Vec::new();
    let rows: Vec<(String, String, i64, Option<String>)> = json_rows(backend, INDEX_COLUMNS, &[])?;
    for (table, name, non_unique, column) in rows {
        match indexes.last_mut() {
            Some((known_table, known_name, _, columns))
                if *known_table == table && *known_name == name =>
            {
                columns.push(column)
            }
            _ => indexes.push((table, name, non_unique == 0, vec![column])),
        }
    }
    for (table_name, name, unique, columns) in indexes {
        let Some(table) = table_mut(&mut model, &table_name) else {
            continue;
        };
        let expression = columns.iter().any(Option::is_none);
        let columns: Vec<String> = columns.into_iter().flatten().collect();
        if name == "PRIMARY" {
            table.primary_key = Some(PrimaryKey {
                name: None,
                columns,
            });
        } else if unique && !expression {
            table.uniques.push(Unique {
                name: Some(name),
                columns,
            });
        } else if !foreign_keys.iter().any(|(fk_table, key)| {
            *fk_table == table_name
                && (key.name.as_deref() == Some(&name) || key.columns == columns)
        }) {
            table.indexes.push(Index {
                name,
                columns,
                unique,
                where_: None,
                expression,
            });
        }
    }
    for (table_name, key) in foreign_keys {
        if let Some(table) = table_mut(&mut model, &table_name) {
            table.foreign_keys.push(key);
        }
    }

    for (table_name, name, clause) in json_rows::<(String, String, String)>(backend, CHECKS, &[])? {
        let Some(table) = table_mut(&mut model, &table_name) else {
            continue;
        };
        let json_check = format!("json_valid(`{name}`)");
        if clause == json_check && table.columns.iter().any(|entry| entry.column.name == name) {
            continue;
        }
        table.checks.push(Check {
            name: Some(name),
            condition: clause,
        });
    }

    for table in &mut model.tables {
        if let Some(key) = &table.primary_key {
            for entry in &mut table.columns {
                if key.columns.contains(&entry.column.name) {
                    entry.column.nullable = false;
                }
            }
        }
    }
    Ok(model)
}

fn table_mut<'a>(model: &'a mut Schema, name: &str) -> Option<&'a mut Table> {
    model.tables.iter_mut().find(|table| table.name == name)
}

/// `REFERENTIAL_CONSTRAINTS.UPDATE_RULE` / `DELETE_RULE` as the vocabulary's action. InnoDB
/// checks every foreign key at once, so RESTRICT and NO ACTION are one rule, the default, which
/// MariaDB reports as RESTRICT and MySQL as NO ACTION: both read as no action given.
fn action(rule: &str) -> Option<ReferentialAction> {
    match rule {
        "CASCADE" => Some(ReferentialAction::Cascade),
        "SET NULL" => Some(ReferentialAction::SetNull),
        "SET DEFAULT" => Some(ReferentialAction::SetDefault),
        _ => None,
    }
}
