//! Lock-safe forms on PostgreSQL: how an operation on a table that existed before the run
//! is split so that the application keeps its table while it runs. Pure: which statements,
//! and where each runs relative to the step's transaction; the executor and `--sql` follow it.
//!
//! - `create_index` -> `CREATE INDEX CONCURRENTLY`, outside any transaction (SHARE UPDATE
//!   EXCLUSIVE: writes go on during the build, instead of waiting behind SHARE).
//! - `drop_index` -> `DROP INDEX CONCURRENTLY`, outside any transaction.
//! - `create_foreign_key`, `create_check_constraint` -> `ADD CONSTRAINT ... NOT VALID` in the
//!   step's transaction (a moment of a strong lock, no scan), then `VALIDATE CONSTRAINT` in a
//!   transaction of its own (the scan, under a lock that lets reads and writes go on).
//! - `create_unique_constraint` -> its unique index built `CONCURRENTLY` outside any
//!   transaction, then `ADD CONSTRAINT ... UNIQUE USING INDEX` (catalog only).
//! - `alter_column` setting `nullable = false` alone -> a `NOT VALID` check that the column is
//!   not null, validated in its own transaction, then `SET NOT NULL`, which PostgreSQL 12+
//!   proves from the valid check without a scan, and the check dropped.
//!
//! A table created earlier in the same run is new: nobody else uses it, so its operations keep
//! their plain, transactional form; but `postgresql_concurrently = true`, which PostgreSQL runs
//! only outside a transaction, always runs there. An operation with `online = false` keeps it too, and so
//! does one these forms cannot serve: a constraint without a name cannot be validated by name.

use std::collections::HashSet;

use crate::dialect::Dialect;

use super::ddl;
use super::scope::ScopedOperation;
use super::sql::{render, RenderError, Statement};
use super::{AlterColumn, CreateIndex, CreateUniqueConstraint, DropIndex, IndexElement, Operation};

/// Where a phase's statements run, relative to the step's transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhaseMode {
    /// In the step's transaction (a new one when a phase before it ended the last).
    Step,
    /// In a transaction of their own: what came before is committed first, and this is
    /// committed at once, so that the strong lock taken before is not held through it.
    OwnTransaction,
    /// Outside any transaction (`CONCURRENTLY`): what came before is committed first.
    Autocommit,
}

/// Statements that run together, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Phase {
    pub mode: PhaseMode,
    pub statements: Vec<Statement>,
    /// An index a failed `CREATE INDEX CONCURRENTLY` leaves behind, invalid: dropped (when
    /// invalid) before the build runs, on the next attempt or the next run.
    pub builds_index: Option<IndexName>,
}

/// An index by schema and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexName {
    pub schema: Option<String>,
    pub name: String,
}

impl Phase {
    fn step(statements: Vec<Statement>) -> Phase {
        Phase {
            mode: PhaseMode::Step,
            statements,
            builds_index: None,
        }
    }

    fn own_transaction(sql: String) -> Phase {
        Phase {
            mode: PhaseMode::OwnTransaction,
            statements: vec![Statement::Sql(sql)],
            builds_index: None,
        }
    }

    /// `DROP INDEX CONCURRENTLY` of the index, outside a transaction: what clears an invalid
    /// index a failed concurrent build left.
    pub fn drop_invalid_index_sql(index: &IndexName) -> String {
        ddl::drop_index(
            Dialect::Postgresql,
            &DropIndex {
                index_name: index.name.clone(),
                table_name: None,
                columns: None,
                unique: false,
                where_: None,
                postgresql_concurrently: true,
                postgresql_using: None,
                postgresql_ops: Default::default(),
                postgresql_include: Vec::new(),
                if_exists: true,
                schema: index.schema.clone(),
            },
        )
        .expect("PostgreSQL drops an index by its name alone")
    }
}

/// The tables operations of a run created so far: their operations need no safe form.
#[derive(Debug, Default)]
struct NewTables(HashSet<(Option<String>, String)>);

impl NewTables {
    /// Takes note of what `op` creates (or renames, carrying newness along).
    fn note(&mut self, op: &Operation) {
        match op {
            Operation::CreateTable(create) => {
                self.0
                    .insert((create.schema.clone(), create.table_name.clone()));
            }
            Operation::RenameTable(rename)
                if self
                    .0
                    .remove(&(rename.schema.clone(), rename.old_table_name.clone())) =>
            {
                self.0
                    .insert((rename.schema.clone(), rename.new_table_name.clone()));
            }
            _ => {}
        }
    }

    fn contains(&self, schema: &Option<String>, table: &str) -> bool {
        self.0.contains(&(schema.clone(), table.to_string()))
    }
}

/// The forms a run's operations take, in order: the tables it made so far, and whether it
/// may leave a step's transaction for the lock-safe forms at all (not when the run is one
/// transaction: `--one-transaction`, `transaction_per_migration = false`). The executor and
/// `--sql` (and `check --lint`, through it) read operations through one of these, so they
/// agree on every statement.
#[derive(Debug)]
pub struct RunForms {
    dialect: Dialect,
    safe_forms: bool,
    new_tables: NewTables,
}

impl RunForms {
    pub fn new(dialect: Dialect, safe_forms: bool) -> RunForms {
        RunForms {
            dialect,
            safe_forms,
            new_tables: NewTables::default(),
        }
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The phases of the run's next operation; `None` for one that does not run on the
    /// run's dialect (its `dialect` key).
    pub fn next(&mut self, scoped: &ScopedOperation) -> Option<Result<Vec<Phase>, RenderError>> {
        if !scoped.runs_on(Some(self.dialect)) {
            return None;
        }
        let online = scoped.online && self.safe_forms;
        let phases = phases(&scoped.op, self.dialect, online, &self.new_tables);
        self.new_tables.note(&scoped.op);
        Some(phases)
    }
}

/// The phases `op` runs in on `dialect`: its lock-safe form when it has one, the table
/// existed before the run and `online` is on; else its plain statements in the step's
/// transaction.
fn phases(
    op: &Operation,
    dialect: Dialect,
    online: bool,
    new_tables: &NewTables,
) -> Result<Vec<Phase>, RenderError> {
    let plain = || render(op, dialect).map(|statements| vec![Phase::step(statements)]);
    if dialect != Dialect::Postgresql || !online {
        return plain();
    }
    // `CONCURRENTLY` asked for runs outside any transaction, on a new table too: PostgreSQL
    // refuses it inside one.
    let concurrently_asked = match op {
        Operation::CreateIndex(create) => create.postgresql_concurrently,
        Operation::DropIndex(drop) => drop.postgresql_concurrently,
        _ => false,
    };
    if concurrently_asked {
        let builds_index = match op {
            Operation::CreateIndex(create) => create.index_name.clone().map(|name| IndexName {
                schema: create.schema.clone(),
                name,
            }),
            _ => None,
        };
        return Ok(vec![Phase {
            mode: PhaseMode::Autocommit,
            statements: render(op, dialect)?,
            builds_index,
        }]);
    }
    match op {
        Operation::CreateIndex(create)
            if !new_tables.contains(&create.schema, &create.table_name) =>
        {
            // Every index is named once its revision is loaded (the naming convention).
            let Some(name) = create.index_name.clone() else {
                return plain();
            };
            let concurrent = CreateIndex {
                postgresql_concurrently: true,
                ..create.clone()
            };
            Ok(vec![Phase {
                mode: PhaseMode::Autocommit,
                statements: render(&Operation::CreateIndex(concurrent), dialect)?,
                builds_index: Some(IndexName {
                    schema: create.schema.clone(),
                    name,
                }),
            }])
        }
        Operation::DropIndex(drop)
            if !drop
                .table_name
                .as_deref()
                .is_some_and(|table| new_tables.contains(&drop.schema, table)) =>
        {
            let concurrent = DropIndex {
                postgresql_concurrently: true,
                ..drop.clone()
            };
            Ok(vec![Phase {
                mode: PhaseMode::Autocommit,
                statements: render(&Operation::DropIndex(concurrent), dialect)?,
                builds_index: None,
            }])
        }
        Operation::CreateForeignKey(create)
            if !new_tables.contains(&create.source_schema, &create.source_table) =>
        {
            match &create.constraint_name {
                Some(name) => not_valid_then_validate(
                    op,
                    dialect,
                    create.source_schema.as_deref(),
                    &create.source_table,
                    name,
                ),
                None => plain(),
            }
        }
        Operation::CreateCheckConstraint(create)
            if !new_tables.contains(&create.schema, &create.table_name) =>
        {
            match &create.constraint_name {
                Some(name) => not_valid_then_validate(
                    op,
                    dialect,
                    create.schema.as_deref(),
                    &create.table_name,
                    name,
                ),
                None => plain(),
            }
        }
        Operation::CreateUniqueConstraint(create)
            if !new_tables.contains(&create.schema, &create.table_name) =>
        {
            match &create.constraint_name {
                Some(name) => unique_through_a_concurrent_index(create, name, dialect),
                None => plain(),
            }
        }
        Operation::AlterColumn(alter)
            if sets_not_null_alone(alter)
                && !new_tables.contains(&alter.schema, &alter.table_name) =>
        {
            Ok(not_null_through_a_check(alter))
        }
        _ => plain(),
    }
}

/// The constraint added `NOT VALID` in the step's transaction, then validated in its own.
fn not_valid_then_validate(
    op: &Operation,
    dialect: Dialect,
    schema: Option<&str>,
    table: &str,
    name: &str,
) -> Result<Vec<Phase>, RenderError> {
    let mut add = render(op, dialect)?;
    for statement in &mut add {
        if let Statement::Sql(sql) = statement {
            sql.push_str(" NOT VALID");
        }
    }
    Ok(vec![
        Phase::step(add),
        Phase::own_transaction(validate_sql(schema, table, name)),
    ])
}

fn validate_sql(schema: Option<&str>, table: &str, name: &str) -> String {
    format!(
        "ALTER TABLE {} VALIDATE CONSTRAINT {}",
        ddl::qualified(Dialect::Postgresql, schema, table),
        ddl::ident(Dialect::Postgresql, name)
    )
}

/// The unique index built concurrently under the constraint's name, outside any
/// transaction, then made the constraint (`ADD CONSTRAINT ... UNIQUE USING INDEX`, which
/// renames nothing and scans nothing).
fn unique_through_a_concurrent_index(
    create: &CreateUniqueConstraint,
    name: &str,
    dialect: Dialect,
) -> Result<Vec<Phase>, RenderError> {
    let index = CreateIndex {
        index_name: Some(name.to_string()),
        table_name: create.table_name.clone(),
        columns: create
            .columns
            .iter()
            .cloned()
            .map(IndexElement::Column)
            .collect(),
        unique: true,
        where_: None,
        postgresql_concurrently: true,
        postgresql_using: None,
        postgresql_ops: Default::default(),
        postgresql_include: Vec::new(),
        if_not_exists: false,
        schema: create.schema.clone(),
    };
    let pg = Dialect::Postgresql;
    Ok(vec![
        Phase {
            mode: PhaseMode::Autocommit,
            statements: render(&Operation::CreateIndex(index), dialect)?,
            builds_index: Some(IndexName {
                schema: create.schema.clone(),
                name: name.to_string(),
            }),
        },
        Phase::step(vec![Statement::Sql(format!(
            "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {}",
            ddl::qualified(pg, create.schema.as_deref(), &create.table_name),
            ddl::ident(pg, name),
            ddl::ident(pg, name)
        ))]),
    ])
}

/// Whether `alter` does nothing but make its column NOT NULL.
fn sets_not_null_alone(alter: &AlterColumn) -> bool {
    alter.nullable == Some(false)
        && alter.new_column_name.is_none()
        && alter.type_.is_none()
        && alter.server_default.is_none()
        && alter.comment.is_none()
}

/// `SET NOT NULL` without a scan under ACCESS EXCLUSIVE: a `NOT VALID` check, validated in its
/// own transaction, which PostgreSQL 12+ takes as the proof, then the check dropped.
fn not_null_through_a_check(alter: &AlterColumn) -> Vec<Phase> {
    let pg = Dialect::Postgresql;
    let schema = alter.schema.as_deref();
    let table = ddl::qualified(pg, schema, &alter.table_name);
    let column = ddl::ident(pg, &alter.column_name);
    let check_name = format!("{}_{}_not_null", alter.table_name, alter.column_name);
    let check = ddl::ident(pg, &check_name);
    vec![
        Phase::step(vec![Statement::Sql(format!(
            "ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({column} IS NOT NULL) NOT VALID"
        ))]),
        Phase::own_transaction(validate_sql(schema, &alter.table_name, &check_name)),
        Phase::step(vec![
            Statement::Sql(format!(
                "ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL"
            )),
            Statement::Sql(format!("ALTER TABLE {table} DROP CONSTRAINT {check}")),
        ]),
    ]
}
