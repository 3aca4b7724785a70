//! SQLite's table rebuild: how the executor carries out
//! [`Statement::RecreateTable`](crate::ops::sql::Statement::RecreateTable), the
//! changes SQLite's `ALTER TABLE` cannot make (a column's type, nullability or default, a
//! column it cannot add or drop, any constraint added or dropped). This file owns that rebuild
//! and nothing else; which operations need it is decided by `ops::sql`.
//!
//! It is Alembic's batch mode ("move and copy", `alembic/operations/batch.py`), in the order
//! SQLite's own documentation gives for arbitrary table changes:
//!
//! 1. read the table: its `CREATE TABLE` text from `sqlite_master` (cross-checked against
//!    `PRAGMA table_xinfo`), its indexes and triggers;
//! 2. a rename that comes with the change is made first, in place, with `ALTER TABLE ... RENAME
//!    COLUMN`, which also rewrites the indexes, triggers, views and foreign keys that name the
//!    column; the rest of the rebuild then sees the new name;
//! 3. change the definition: the `CREATE TABLE` text is split into its column definitions and
//!    table constraints, and only the parts the change touches are rewritten, so everything
//!    else (names of constraints, collations, `ON CONFLICT` clauses, `WITHOUT ROWID`, ...)
//!    stays exactly as written;
//! 4. `CREATE TABLE "_alembic_tmp_<table>"` with the changed definition;
//! 5. `INSERT INTO` it `SELECT` the surviving columns from the old table, and a rowid table's
//!    rowids (they are data: renumbering them breaks what refers to them), and check that both
//!    hold the same number of rows (an `ON CONFLICT IGNORE` clause could otherwise drop rows
//!    silently). Values are copied as they are, without `CAST`: the new column's type
//!    affinity converts a value only where the conversion is lossless, while a `CAST` would
//!    turn `'2024-01-05'` into `2024` on the way to a `date` or `timestamp` column (both have
//!    NUMERIC affinity in SQLite);
//! 6. `DROP TABLE` the old table, `ALTER TABLE` the new one `RENAME TO` the old name (with
//!    `legacy_alter_table` on for that one statement, so that views naming the table, which
//!    SQLite would otherwise re-check while the name is briefly missing, are left alone);
//! 7. recreate the indexes and triggers from their original SQL (dropping the table dropped
//!    them), except those that use a dropped column, as PostgreSQL drops them with the column;
//!    keep an `AUTOINCREMENT` table's high-water mark in `sqlite_sequence`.
//!
//! All of it runs inside a savepoint, so it is atomic on its own and within the step's
//! transaction, which the executor opened (for a `transactional = false` revision the
//! savepoint is the transaction).
//!
//! Foreign keys: rmig's SQLite connection keeps `PRAGMA foreign_keys` at SQLite's documented
//! default, off, as SQLAlchemy does (it sets it when it opens, since rusqlite's bundled SQLite
//! is built with it on: `db/sqlite.rs`). Then dropping the old table touches no other table: rows that
//! reference it keep their values, and once the new table has the old name their
//! `REFERENCES` clauses (which name the table, not the old copy) resolve to it again, with
//! every key value copied. A foreign key the change adds is checked against the existing rows
//! (`PRAGMA foreign_key_check`), as PostgreSQL checks a new foreign key. If a revision turned
//! foreign keys on (an `execute` of `PRAGMA foreign_keys = ON`, which only takes effect
//! outside a transaction), dropping a table that other rows reference would run their
//! `ON DELETE` actions (deleting or nulling those rows) or fail. So when the table is
//! referenced and foreign keys are on, the rebuild switches them off for its duration and
//! back on afterwards, checking that it left no violation behind, which is possible only
//! outside a transaction; inside one, SQLite ignores the switch and the rebuild refuses with
//! an error rather than risk those rows.
//!
//! Reading and rewriting the `CREATE TABLE` text (step 3), and the SQL tokenizer the rebuild
//! also uses on index and trigger SQL, are in the child module `definition`
//! (`batch/definition.rs`); this file keeps the procedure and its catalog reads.

mod definition;

use crate::db::{Backend, DbError};
use crate::dialect::Dialect;
use crate::ops::sql::{self as render, TableChange};
use crate::ops::{AlterColumn, TableConstraint};

use definition::{tokenize, Kind, TableDefinition};

/// Alembic's name for the table being built, `_alembic_tmp_<table>`.
const TEMPORARY_PREFIX: &str = "_alembic_tmp_";

/// Rebuilds `table` (in the attached database `schema`, if given) with `change` applied.
pub(super) fn recreate_table(
    backend: &mut dyn Backend,
    schema: Option<&str>,
    table: &str,
    change: &TableChange,
) -> Result<(), DbError> {
    if backend.dialect() != Dialect::Sqlite {
        return Err(DbError::Other(format!(
            "a table rebuild is SQLite's way to change table {table}; {} alters tables in place",
            backend.dialect()
        )));
    }
    let place = Place { schema, table };
    let mut switched_off = false;
    if pragma_flag(backend, "foreign_keys")? && is_referenced(backend, &place)? {
        backend.batch("PRAGMA foreign_keys = OFF")?;
        if pragma_flag(backend, "foreign_keys")? {
            return Err(DbError::Other(format!(
                "cannot rebuild SQLite table {table}: PRAGMA foreign_keys is on and other rows reference the table, so dropping its old copy would run their ON DELETE actions or fail; \
                 SQLite can switch foreign keys off only outside a transaction. Leave foreign keys off for migrations (SQLite's default, as SQLAlchemy does), or make this revision `transactional = false` so that rmig can switch them off for the rebuild"
            )));
        }
        switched_off = true;
    }
    let violations_before = if switched_off {
        Some(count_violations(backend, schema, None)?)
    } else {
        None
    };

    backend.batch("SAVEPOINT rmig_batch")?;
    let mut outcome = rebuild(backend, &place, change);
    if outcome.is_ok() {
        if let Some(before) = violations_before {
            outcome = count_violations(backend, schema, None).and_then(|after| {
                if after > before {
                    Err(DbError::Other(format!(
                        "rebuilding SQLite table {table} would leave {} foreign key violation(s) (PRAGMA foreign_key_check); nothing was changed",
                        after - before
                    )))
                } else {
                    Ok(())
                }
            });
        }
    }
    let finished = match outcome {
        Ok(()) => backend.batch("RELEASE rmig_batch"),
        Err(error) => {
            // The error that stopped the rebuild is the one to report; the savepoint is
            // unwound whatever happens, and the step's transaction is rolled back after.
            let _ = backend.batch("ROLLBACK TO rmig_batch");
            let _ = backend.batch("RELEASE rmig_batch");
            Err(error)
        }
    };
    if switched_off {
        backend.batch("PRAGMA foreign_keys = ON")?;
    }
    finished
}

/// Where the table lives.
#[derive(Clone, Copy)]
struct Place<'a> {
    schema: Option<&'a str>,
    table: &'a str,
}

impl Place<'_> {
    /// `"schema"."name"` or `"name"`.
    fn qualify(&self, name: &str) -> String {
        match self.schema {
            Some(schema) => format!("{}.{}", quote(schema), quote(name)),
            None => quote(name),
        }
    }

    /// The schema's catalog table.
    fn master(&self) -> String {
        match self.schema {
            Some(schema) => format!("{}.sqlite_master", quote(schema)),
            None => "sqlite_master".to_string(),
        }
    }

    /// `PRAGMA "schema".name("argument")`.
    fn pragma(&self, name: &str, argument: &str) -> String {
        match self.schema {
            Some(schema) => format!("PRAGMA {}.{name}({})", quote(schema), quote(argument)),
            None => format!("PRAGMA {name}({})", quote(argument)),
        }
    }
}

fn quote(name: &str) -> String {
    render::quote_identifier(Dialect::Sqlite, name)
}

/// A text literal, quotes doubled.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn failed(table: &str, reason: impl std::fmt::Display) -> DbError {
    DbError::Other(format!("cannot rebuild SQLite table {table}: {reason}"))
}

fn pragma_flag(backend: &mut dyn Backend, name: &str) -> Result<bool, DbError> {
    Ok(backend.query_count(&format!("PRAGMA {name}"))? != 0)
}

/// Whether a foreign key of any table in the schema, the table's own included, references it.
fn is_referenced(backend: &mut dyn Backend, place: &Place) -> Result<bool, DbError> {
    let tables = backend.query_rows(&format!(
        "SELECT name FROM {} WHERE type = 'table'",
        place.master()
    ))?;
    for name in tables
        .into_iter()
        .filter_map(|row| row.into_iter().next().flatten())
    {
        let keys = backend.query_rows(&place.pragma("foreign_key_list", &name))?;
        if keys.iter().any(|key| {
            key.get(2)
                .and_then(Option::as_deref)
                .is_some_and(|parent| parent.eq_ignore_ascii_case(place.table))
        }) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Rows `PRAGMA foreign_key_check` reports, for one table or the whole schema.
fn count_violations(
    backend: &mut dyn Backend,
    schema: Option<&str>,
    table: Option<&str>,
) -> Result<usize, DbError> {
    let sql = match (schema, table) {
        (Some(schema), Some(table)) => {
            format!(
                "PRAGMA {}.foreign_key_check({})",
                quote(schema),
                quote(table)
            )
        }
        (Some(schema), None) => format!("PRAGMA {}.foreign_key_check", quote(schema)),
        (None, Some(table)) => format!("PRAGMA foreign_key_check({})", quote(table)),
        (None, None) => "PRAGMA foreign_key_check".to_string(),
    };
    Ok(backend.query_rows(&sql)?.len())
}

/// One column as `PRAGMA table_xinfo` describes it.
struct PragmaColumn {
    name: String,
    /// 0 for an ordinary column; 2 and 3 for generated columns, which cannot be inserted into.
    hidden: i64,
}

fn rebuild(backend: &mut dyn Backend, place: &Place, change: &TableChange) -> Result<(), DbError> {
    let (table, _) = table_sql(backend, place)?;
    let place = Place {
        schema: place.schema,
        table: &table,
    };

    // A rename comes first, in place: SQLite rewrites every reference to the column with it.
    let mut alter_owned: Option<AlterColumn> = None;
    if let TableChange::AlterColumn(alter) = change {
        if let Some(new_name) = &alter.new_column_name {
            backend.batch(&format!(
                "ALTER TABLE {} RENAME COLUMN {} TO {}",
                place.qualify(&table),
                quote(&alter.column_name),
                quote(new_name)
            ))?;
            let mut renamed = alter.clone();
            renamed.column_name = new_name.clone();
            renamed.new_column_name = None;
            alter_owned = Some(renamed);
        }
    }
    let change_owned;
    let change = match alter_owned {
        Some(alter) => {
            change_owned = TableChange::AlterColumn(alter);
            &change_owned
        }
        None => change,
    };

    let (_, create_sql) = table_sql(backend, &place)?;
    let mut definition = TableDefinition::parse(&create_sql).map_err(|e| failed(&table, e))?;
    let columns = pragma_columns(backend, &place)?;
    let declared: Vec<&str> = definition.column_names().collect();
    let known: Vec<&str> = columns.iter().map(|column| column.name.as_str()).collect();
    if declared.len() != known.len()
        || declared
            .iter()
            .zip(&known)
            .any(|(a, b)| !a.eq_ignore_ascii_case(b))
    {
        return Err(failed(
            &table,
            format!(
                "its CREATE TABLE text declares columns ({}) where SQLite reports ({})",
                declared.join(", "),
                known.join(", ")
            ),
        ));
    }

    let dropped = definition
        .apply(change, place.schema)
        .map_err(|e| failed(&table, e))?;
    let adds_foreign_key = matches!(
        change,
        TableChange::AddConstraint(TableConstraint::ForeignKey { .. })
    ) || matches!(change, TableChange::AddColumn(column) if column.foreign_key.is_some());

    // A primary key takes no NULL: PostgreSQL refuses one over NULLs, where SQLite would turn
    // a NULL copied into an INTEGER PRIMARY KEY into a new rowid (and keep NULLs in any other
    // key). Checked before anything is built, so that the error names the column.
    if let TableChange::AddConstraint(TableConstraint::PrimaryKey { columns, .. }) = change {
        for column in columns {
            let nulls = backend.query_count(&format!(
                "SELECT count(*) FROM {} WHERE {} IS NULL",
                place.qualify(&table),
                quote(column)
            ))?;
            if nulls > 0 {
                return Err(failed(
                    &table,
                    format!(
                        "its column {} holds NULL in {nulls} row(s), and a primary key column cannot be NULL; fill in or delete those rows first",
                        quote(column)
                    ),
                ));
            }
        }
    }

    let indexes = schema_objects(backend, &place, "index")?;
    let triggers = schema_objects(backend, &place, "trigger")?;

    let temporary = format!("{TEMPORARY_PREFIX}{table}");
    let temporary_name = place.qualify(&temporary);
    let old_name = place.qualify(&table);
    if backend.query_count(&format!(
        "SELECT count(*) FROM {} WHERE name = {} COLLATE NOCASE",
        place.master(),
        literal(&temporary)
    ))? > 0
    {
        return Err(failed(
            &table,
            format!("a table {} is in the way; drop it first", quote(&temporary)),
        ));
    }

    // One statement, run on its own: the definition holds the operation's SQL fragments.
    backend.execute_one(&definition.create_sql(&temporary_name))?;

    let mut copied: Vec<String> = columns
        .iter()
        .filter(|column| column.hidden == 0)
        .filter(|column| {
            dropped
                .as_deref()
                .is_none_or(|name| !column.name.eq_ignore_ascii_case(name))
        })
        .map(|column| quote(&column.name))
        .collect();
    // Rowids are data (whoever keeps one to find the row again), so a rowid table's are
    // copied too, gaps included. Named first: where the new table has an INTEGER PRIMARY KEY,
    // that column, named later, is the rowid, and SQLite takes the later of the two.
    let rowid = definition
        .rowid_name()
        .filter(|name| !known.iter().any(|column| column.eq_ignore_ascii_case(name)));
    if let Some(rowid) = rowid {
        copied.insert(0, rowid.to_string());
    }
    if !copied.is_empty() {
        let list = copied.join(", ");
        backend.batch(&format!(
            "INSERT INTO {temporary_name} ({list}) SELECT {list} FROM {old_name}"
        ))?;
    }
    let old_rows = backend.query_count(&format!("SELECT count(*) FROM {old_name}"))?;
    let new_rows = backend.query_count(&format!("SELECT count(*) FROM {temporary_name}"))?;
    if old_rows != new_rows {
        return Err(failed(
            &table,
            format!("the changed table took {new_rows} of its {old_rows} rows (a constraint's ON CONFLICT clause dropped the others); nothing was changed"),
        ));
    }
    if adds_foreign_key {
        let before = count_violations(backend, place.schema, Some(&table))?;
        let after = count_violations(backend, place.schema, Some(&temporary))?;
        if after > before {
            return Err(failed(
                &table,
                format!(
                    "{} row(s) do not satisfy the new foreign key (PRAGMA foreign_key_check)",
                    after - before
                ),
            ));
        }
    }

    let sequence = autoincrement_mark(backend, &place)?;
    backend.batch(&format!("DROP TABLE {old_name}"))?;
    let legacy = pragma_flag(backend, "legacy_alter_table")?;
    backend.batch("PRAGMA legacy_alter_table = ON")?;
    let renamed = backend.batch(&format!(
        "ALTER TABLE {temporary_name} RENAME TO {}",
        quote(&table)
    ));
    if !legacy {
        backend.batch("PRAGMA legacy_alter_table = OFF")?;
    }
    renamed?;
    if let Some(mark) = sequence {
        restore_autoincrement_mark(backend, &place, mark)?;
    }

    for object in indexes.iter().chain(&triggers) {
        if dropped
            .as_deref()
            .is_some_and(|column| object.mentions_after_on(column))
        {
            continue;
        }
        backend.batch(&object.sql_in(place.schema))?;
    }
    Ok(())
}

/// The table's name as stored, and its `CREATE TABLE` text.
fn table_sql(backend: &mut dyn Backend, place: &Place) -> Result<(String, String), DbError> {
    let rows = backend.query_rows(&format!(
        "SELECT name, sql FROM {} WHERE type = 'table' AND name = {} COLLATE NOCASE",
        place.master(),
        literal(place.table)
    ))?;
    match rows.into_iter().next() {
        Some(row) => match (
            row.first().cloned().flatten(),
            row.get(1).cloned().flatten(),
        ) {
            (Some(name), Some(sql)) => Ok((name, sql)),
            _ => Err(failed(
                place.table,
                "SQLite keeps no CREATE TABLE text for it",
            )),
        },
        None => Err(failed(place.table, "there is no such table")),
    }
}

fn pragma_columns(backend: &mut dyn Backend, place: &Place) -> Result<Vec<PragmaColumn>, DbError> {
    backend
        .query_rows(&place.pragma("table_xinfo", place.table))?
        .into_iter()
        .map(|row| {
            let name = row.get(1).cloned().flatten();
            let hidden = row
                .get(6)
                .cloned()
                .flatten()
                .and_then(|hidden| hidden.parse().ok());
            match (name, hidden) {
                (Some(name), Some(hidden)) => Ok(PragmaColumn { name, hidden }),
                _ => Err(failed(
                    place.table,
                    "PRAGMA table_xinfo returned an unexpected row",
                )),
            }
        })
        .collect()
}

/// An index or trigger of the table, as its SQL created it.
struct SchemaObject {
    sql: String,
}

/// The table's indexes or triggers that have SQL (the automatic indexes of its PRIMARY KEY and
/// UNIQUE constraints have none: the new table's constraints make them again).
fn schema_objects(
    backend: &mut dyn Backend,
    place: &Place,
    kind: &str,
) -> Result<Vec<SchemaObject>, DbError> {
    Ok(backend
        .query_rows(&format!(
            "SELECT sql FROM {} WHERE type = {} AND tbl_name = {} COLLATE NOCASE AND sql IS NOT NULL ORDER BY rowid",
            place.master(),
            literal(kind),
            literal(place.table)
        ))?
        .into_iter()
        .filter_map(|row| row.into_iter().next().flatten())
        .map(|sql| SchemaObject { sql })
        .collect())
}

impl SchemaObject {
    /// Whether `column` appears as a name after the object's `ON table` (its columns, its
    /// expressions, its `WHERE`, a trigger's body).
    fn mentions_after_on(&self, column: &str) -> bool {
        let Ok(tokens) = tokenize(&self.sql) else {
            return false;
        };
        let Some(on) = tokens
            .iter()
            .position(|token| token.is_keyword(&self.sql, "ON"))
        else {
            return false;
        };
        tokens
            .iter()
            .skip(on + 2)
            .any(|token| token.names(&self.sql, column))
    }

    /// The SQL, with the object's own name qualified by `schema` when it is not already:
    /// an unqualified `CREATE INDEX` would go to the main database.
    fn sql_in(&self, schema: Option<&str>) -> String {
        let Some(schema) = schema else {
            return self.sql.clone();
        };
        let Ok(tokens) = tokenize(&self.sql) else {
            return self.sql.clone();
        };
        // CREATE [UNIQUE | TEMP] {INDEX | TRIGGER} [IF NOT EXISTS] name
        let Some(kind) = tokens.iter().position(|token| {
            token.is_keyword(&self.sql, "INDEX") || token.is_keyword(&self.sql, "TRIGGER")
        }) else {
            return self.sql.clone();
        };
        let mut at = kind + 1;
        if tokens
            .get(at)
            .is_some_and(|token| token.is_keyword(&self.sql, "IF"))
        {
            at += 3;
        }
        let (Some(name), next) = (tokens.get(at), tokens.get(at + 1)) else {
            return self.sql.clone();
        };
        if next.is_some_and(|token| token.kind == Kind::Dot) {
            return self.sql.clone();
        }
        format!(
            "{}{}.{}",
            &self.sql[..name.start],
            quote(schema),
            &self.sql[name.start..]
        )
    }
}

/// An `AUTOINCREMENT` table's entry in `sqlite_sequence`, if it has one.
fn autoincrement_mark(backend: &mut dyn Backend, place: &Place) -> Result<Option<i64>, DbError> {
    let has_sequence = backend.query_count(&format!(
        "SELECT count(*) FROM {} WHERE type = 'table' AND name = 'sqlite_sequence'",
        place.master()
    ))? > 0;
    if !has_sequence {
        return Ok(None);
    }
    let rows = backend.query_rows(&format!(
        "SELECT seq FROM {} WHERE name = {}",
        place.qualify("sqlite_sequence"),
        literal(place.table)
    ))?;
    Ok(rows
        .into_iter()
        .next()
        .and_then(|row| row.into_iter().next().flatten())
        .and_then(|seq| seq.parse().ok()))
}

/// Puts the old high-water mark back, so that the rebuilt table does not hand out ids that
/// the old one already used, when the new table still counts with `AUTOINCREMENT`.
fn restore_autoincrement_mark(
    backend: &mut dyn Backend,
    place: &Place,
    mark: i64,
) -> Result<(), DbError> {
    let (_, sql) = table_sql(backend, place)?;
    let still_autoincrement = tokenize(&sql).is_ok_and(|tokens| {
        tokens
            .iter()
            .any(|token| token.is_keyword(&sql, "AUTOINCREMENT"))
    });
    if !still_autoincrement {
        return Ok(());
    }
    let sequence = place.qualify("sqlite_sequence");
    let name = literal(place.table);
    backend.batch(&format!(
        "UPDATE {sequence} SET seq = {mark} WHERE name = {name} AND seq < {mark}; \
         INSERT INTO {sequence} (name, seq) SELECT {name}, {mark} WHERE NOT EXISTS (SELECT 1 FROM {sequence} WHERE name = {name})"
    ))
}

#[cfg(test)]
mod tests;
