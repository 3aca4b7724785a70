//! SQL for each operation, per dialect: what online mode executes and `--sql` prints.
//!
//! Statements are built with sea-query, which quotes every identifier; what sea-query cannot
//! build is in `ddl.rs`, with the same quoting. Values of `bulk_insert` are bound parameters
//! (`$1`, `$2`, ... on both dialects), never part of the SQL text; only `--sql` inlines them,
//! as escaped literals, through [`Statement::to_offline_sql`].
//!
//! What each dialect gets follows Alembic (SQLAlchemy's DDL) where rmig's own format says nothing:
//! SQLAlchemy's type names, `SERIAL` for a lone integer primary key on PostgreSQL, comments on
//! PostgreSQL only. SQLite cannot alter a column's type, nullability or default, nor add or
//! drop a constraint: those become [`Statement::RecreateTable`], which the executor carries out
//! as Alembic's batch mode does.

#[cfg(test)]
mod tests;

use std::rc::Rc;

use sea_query::extension::postgres::Type;
use sea_query::{
    Alias, ColumnDef, Expr, MysqlQueryBuilder, PostgresQueryBuilder, Query, SchemaStatementBuilder,
    SimpleExpr, SqliteQueryBuilder, Table, TableBuilder, TableRef, Value,
};

use crate::dialect::{string_literal_in, Dialect};

use super::{ddl, dependents};
use super::{
    AddColumn, AlterColumn, BulkInsert, Column, ColumnType, ConstraintKind, CreateTable,
    DropColumn, DropConstraint, DropTable, Operation, RenameTable, ScalarValue, TableConstraint,
    TextChange,
};

/// One statement an operation runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// One statement rmig rendered for a typed operation, run on its own and never as a
    /// script: SQL text a revision gave it (a default, a condition) cannot add a second one.
    Sql(String),
    /// An `execute` operation's SQL as the revision wrote it, which may hold several
    /// statements: run as a script.
    Script(String),
    /// SQL with bound parameters (`$1`, `$2`, ... on both dialects); values never enter the text.
    Bound {
        sql: String,
        params: Vec<ScalarValue>,
    },
    /// A change SQLite's ALTER TABLE cannot make. The executor makes it as Alembic's batch mode
    /// does: read the table's definition, create the changed table under a temporary name, copy
    /// the rows, drop the old table, rename the new one, recreate the indexes.
    RecreateTable {
        table: String,
        schema: Option<String>,
        change: Box<TableChange>,
    },
}

/// What a [`Statement::RecreateTable`] changes in the table it rebuilds.
#[derive(Debug, Clone, PartialEq)]
pub enum TableChange {
    /// A column that `ALTER TABLE ... ADD COLUMN` cannot add: a primary key, a unique column,
    /// or NOT NULL without a default.
    AddColumn(Column),
    /// A column that `ALTER TABLE ... DROP COLUMN` cannot drop: part of the primary key, unique,
    /// or a foreign key.
    DropColumn {
        column_name: String,
    },
    /// The operation as written: its type, nullability, default and name changes.
    AlterColumn(AlterColumn),
    AddConstraint(TableConstraint),
    DropConstraint {
        name: String,
        type_: Option<ConstraintKind>,
    },
}

/// Why an operation has no SQL for a dialect.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{op} cannot be rendered for {dialect}: {reason}")]
pub struct RenderError {
    /// The operation's one-line description (`Operation::describe`).
    pub op: String,
    pub dialect: Dialect,
    pub reason: String,
}

/// The statements `op` runs on `dialect`, in order (none when the dialect has nothing to do,
/// such as a comment on SQLite or an `execute` without text for it).
pub fn render(op: &Operation, dialect: Dialect) -> Result<Vec<Statement>, RenderError> {
    render_op(op, dialect).map_err(|reason| RenderError {
        op: op.describe(),
        dialect,
        reason,
    })
}

fn render_op(op: &Operation, dialect: Dialect) -> Result<Vec<Statement>, String> {
    let pg = dialect == Dialect::Postgresql;
    Ok(match op {
        Operation::CreateTable(op) => create_table(op, dialect)?,
        Operation::DropTable(op) => drop_table(op, dialect),
        Operation::RenameTable(op) => rename_table(op, dialect)?,
        Operation::RenameIndex(op) if pg => vec![Statement::Sql(ddl::rename_relation(
            dialect,
            "INDEX",
            op.schema.as_deref(),
            &op.old_index_name,
            &op.new_index_name,
        ))],
        Operation::RenameConstraint(op) if pg => vec![Statement::Sql(ddl::rename_constraint(
            dialect,
            op.schema.as_deref(),
            &op.table_name,
            &op.old_constraint_name,
            &op.new_constraint_name,
        ))],
        Operation::RenameSequence(op) if pg => vec![Statement::Sql(ddl::rename_relation(
            dialect,
            "SEQUENCE",
            op.schema.as_deref(),
            &op.old_sequence_name,
            &op.new_sequence_name,
        ))],
        Operation::RenameIndex(op) if dialect == Dialect::Mysql => {
            let table = op.table_name.as_deref().ok_or(
                "MySQL renames an index through its table; give the index's `table_name`",
            )?;
            vec![Statement::Sql(format!(
                "ALTER TABLE {} RENAME INDEX {} TO {}",
                ddl::qualified(dialect, op.schema.as_deref(), table),
                ddl::ident(dialect, &op.old_index_name),
                ddl::ident(dialect, &op.new_index_name)
            ))]
        }
        Operation::RenameIndex(_) => {
            return Err(
                "SQLite cannot rename an index; drop it and create it under the new name (drop_index, then create_index)"
                    .to_string(),
            )
        }
        Operation::RenameConstraint(_) => {
            return Err(format!(
                "{} cannot rename a constraint; drop it and create it under the new name (drop_constraint, then the matching create_* operation)",
                dialect.product_name()
            ))
        }
        Operation::RenameSequence(_) if dialect == Dialect::Sqlite => {
            return Err(
                "SQLite has no sequences to rename; leave this operation out of revisions that run on SQLite"
                    .to_string(),
            )
        }
        Operation::RenameSequence(_) => {
            return Err(
                "rmig renames sequences on PostgreSQL only; leave this operation out of revisions that run on MySQL/MariaDB"
                    .to_string(),
            )
        }
        Operation::AddColumn(op) => add_column(op, dialect)?,
        Operation::DropColumn(op) => drop_column(op, dialect),
        Operation::AlterColumn(op) => alter_column(op, dialect)?,
        Operation::CreateIndex(op) => {
            // Loading a revision names every index (`naming_convention`); only an operation
            // built in code can come here without one.
            let name = op.index_name.as_deref().ok_or(
                "the index has no `index_name` and no naming convention named it; give it a name",
            )?;
            vec![Statement::Sql(ddl::create_index(dialect, name, op)?)]
        }
        Operation::DropIndex(op) => vec![Statement::Sql(ddl::drop_index(dialect, op)?)],
        Operation::CreateEnum(op) if pg => {
            let create = create_enum_type(op.schema.as_deref(), &op.enum_name, &op.values);
            vec![Statement::Sql(if op.if_not_exists {
                ddl::unless_exists(&create)
            } else {
                create
            })]
        }
        Operation::DropEnum(op) if pg => vec![Statement::Sql(ddl::drop_enum(
            op.schema.as_deref(),
            &op.enum_name,
            op.if_exists,
        ))],
        // SQLite has no enum types and MySQL writes them inline in the column; SQLAlchemy
        // creates and drops nothing there either.
        Operation::CreateEnum(_) | Operation::DropEnum(_) => Vec::new(),
        Operation::CreateUniqueConstraint(op) => add_constraint(
            dialect,
            &op.schema,
            &op.table_name,
            TableConstraint::Unique {
                name: op.constraint_name.clone(),
                columns: op.columns.clone(),
            },
        )?,
        Operation::CreateForeignKey(op) => add_constraint(
            dialect,
            &op.source_schema,
            &op.source_table,
            TableConstraint::ForeignKey {
                name: op.constraint_name.clone(),
                local_cols: op.local_cols.clone(),
                referent_table: op.referent_table.clone(),
                remote_cols: op.remote_cols.clone(),
                referent_schema: op.referent_schema.clone(),
                ondelete: op.ondelete,
                onupdate: op.onupdate,
                deferrable: op.deferrable,
                initially: op.initially,
                match_: op.match_,
            },
        )?,
        Operation::CreateCheckConstraint(op) => add_constraint(
            dialect,
            &op.schema,
            &op.table_name,
            TableConstraint::Check {
                name: op.constraint_name.clone(),
                condition: op.condition.clone(),
            },
        )?,
        Operation::CreatePrimaryKey(op) => add_constraint(
            dialect,
            &op.schema,
            &op.table_name,
            TableConstraint::PrimaryKey {
                name: op.constraint_name.clone(),
                columns: op.columns.clone(),
            },
        )?,
        Operation::DropConstraint(op) => drop_constraint(op, dialect)?,
        Operation::CreateTableComment(op) if pg => vec![Statement::Sql(ddl::comment_on_table(
            dialect,
            op.schema.as_deref(),
            &op.table_name,
            Some(&op.comment),
        ))],
        Operation::DropTableComment(op) if pg => vec![Statement::Sql(ddl::comment_on_table(
            dialect,
            op.schema.as_deref(),
            &op.table_name,
            None,
        ))],
        Operation::CreateTableComment(op) if dialect == Dialect::Mysql => {
            vec![Statement::Sql(mysql_table_comment(
                op.schema.as_deref(),
                &op.table_name,
                &op.comment,
            ))]
        }
        Operation::DropTableComment(op) if dialect == Dialect::Mysql => vec![Statement::Sql(
            mysql_table_comment(op.schema.as_deref(), &op.table_name, ""),
        )],
        // SQLite keeps no comments; SQLAlchemy leaves them out there too.
        Operation::CreateTableComment(_) | Operation::DropTableComment(_) => Vec::new(),
        Operation::Execute(execute) => execute
            .text_for(dialect)
            .map(|sql| vec![Statement::Script(sql.to_string())])
            .unwrap_or_default(),
        Operation::BulkInsert(op) => bulk_insert(op, dialect)?,
    })
}

/// A schema statement in the dialect's SQL.
fn build(statement: &impl SchemaStatementBuilder, dialect: Dialect) -> String {
    match dialect {
        Dialect::Postgresql => statement.to_string(PostgresQueryBuilder),
        Dialect::Sqlite => statement.to_string(SqliteQueryBuilder),
        Dialect::Mysql => statement.to_string(MysqlQueryBuilder),
    }
}

/// A column definition as the dialect's `CREATE TABLE` writes it.
fn column_def_text(def: &ColumnDef, dialect: Dialect) -> String {
    let mut text = String::new();
    match dialect {
        Dialect::Postgresql => PostgresQueryBuilder.prepare_column_def(def, &mut text),
        Dialect::Sqlite => SqliteQueryBuilder.prepare_column_def(def, &mut text),
        Dialect::Mysql => MysqlQueryBuilder.prepare_column_def(def, &mut text),
    }
    text
}

/// A column type in the dialect's spelling.
fn column_type_text(type_: &sea_query::ColumnType, dialect: Dialect) -> String {
    let mut text = String::new();
    match dialect {
        Dialect::Postgresql => PostgresQueryBuilder.prepare_column_type(type_, &mut text),
        Dialect::Sqlite => SqliteQueryBuilder.prepare_column_type(type_, &mut text),
        Dialect::Mysql => MysqlQueryBuilder.prepare_column_type(type_, &mut text),
    }
    text
}

/// `ALTER TABLE t COMMENT '...'` (MySQL): an empty comment removes it.
fn mysql_table_comment(schema: Option<&str>, table: &str, comment: &str) -> String {
    format!(
        "ALTER TABLE {} COMMENT {}",
        ddl::qualified(Dialect::Mysql, schema, table),
        string_literal_in(Dialect::Mysql, comment)
    )
}

fn table_ref(schema: &Option<String>, table: &str) -> TableRef {
    match schema {
        Some(schema) => TableRef::SchemaTable(
            sea_query::SeaRc::new(Alias::new(schema)),
            sea_query::SeaRc::new(Alias::new(table)),
        ),
        None => TableRef::Table(sea_query::SeaRc::new(Alias::new(table))),
    }
}

/// A vocabulary type in the dialect's spelling: SQLAlchemy's names for each dialect. `schema` is
/// the table's, where a PostgreSQL enum type lives with it.
fn sea_type(
    type_: &ColumnType,
    dialect: Dialect,
    schema: Option<&str>,
) -> Result<sea_query::ColumnType, String> {
    use sea_query::ColumnType as Sea;
    let custom = |sql: &str| Sea::custom(sql);
    let pg = dialect == Dialect::Postgresql;
    let mysql = dialect == Dialect::Mysql;
    Ok(match type_ {
        ColumnType::Integer => Sea::Integer,
        ColumnType::BigInt => Sea::BigInteger,
        ColumnType::SmallInt => Sea::SmallInteger,
        ColumnType::Text => Sea::Text,
        // SQLAlchemy refuses a VARCHAR without a length on MySQL too.
        ColumnType::Varchar { length: None } if mysql => {
            return Err(
                "MySQL needs a length for varchar; write it as varchar(255) or use text".to_string(),
            )
        }
        ColumnType::Varchar { length } => Sea::string(*length),
        ColumnType::Boolean => Sea::Boolean,
        ColumnType::Numeric { precision, scale } if pg => {
            Sea::Decimal(precision.map(|precision| (precision, scale.unwrap_or(0))))
        }
        ColumnType::Numeric { precision, scale } => custom(&match (precision, scale) {
            (Some(precision), Some(scale)) => format!("numeric({precision}, {scale})"),
            (Some(precision), None) => format!("numeric({precision})"),
            (None, _) => "numeric".to_string(),
        }),
        ColumnType::Real if pg => Sea::Float,
        // MySQL's REAL is a double; FLOAT is the four-byte type `real` means elsewhere.
        ColumnType::Real if mysql => custom("float"),
        ColumnType::Real => custom("real"),
        ColumnType::Double => Sea::Double,
        ColumnType::Date if pg => Sea::Date,
        ColumnType::Date => custom("date"),
        ColumnType::Timestamp { timezone: false } if pg => Sea::Timestamp,
        ColumnType::Timestamp { timezone: true } if pg => Sea::TimestampWithTimeZone,
        // SQLAlchemy's DateTime on MySQL: DATETIME, with no time zone to keep (MySQL's own
        // TIMESTAMP ends in 2038 and may update itself).
        ColumnType::Timestamp { .. } if mysql => custom("datetime"),
        // SQLite has no time zones; SQLAlchemy spells both DATETIME-like types the same there.
        ColumnType::Timestamp { .. } => custom("timestamp"),
        ColumnType::Uuid if pg => Sea::Uuid,
        // SQLAlchemy's Uuid where there is no native type: 32 hex digits.
        ColumnType::Uuid => custom("char(32)"),
        ColumnType::Json if pg => Sea::Json,
        ColumnType::Jsonb if pg => Sea::JsonBinary,
        ColumnType::Json | ColumnType::Jsonb => custom("json"),
        ColumnType::Binary => Sea::Blob,
        ColumnType::Enum { name, .. } if pg => custom(&ddl::qualified(dialect, schema, name)),
        // MySQL's enums are inline, as SQLAlchemy writes them there.
        ColumnType::Enum { values, .. } if mysql => custom(&format!(
            "ENUM({})",
            values
                .iter()
                .map(|value| string_literal_in(dialect, value))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        // SQLAlchemy's non-native enum: a VARCHAR as long as the longest value.
        ColumnType::Enum { values, .. } => Sea::string(Some(
            values
                .iter()
                .map(|value| value.chars().count() as u32)
                .max()
                .unwrap_or(0),
        )),
        ColumnType::Array(element) if pg => Sea::Array(Rc::new(sea_type(element, dialect, schema)?)),
        ColumnType::Array(_) => {
            return Err(format!(
                "{database} has no array types, so {} cannot be created there; use `sql_type` for a {database} type",
                type_name(type_),
                database = dialect.product_name()
            ))
        }
        ColumnType::Sql(sql) => custom(sql),
    })
}

/// A type as a revision file would spell it, for messages.
fn type_name(type_: &ColumnType) -> String {
    match type_ {
        ColumnType::Array(element) => format!("{}[]", type_name(element)),
        ColumnType::Enum { name, .. } => format!("enum {name}"),
        ColumnType::Sql(sql) => sql.clone(),
        other => sea_type(other, Dialect::Postgresql, None)
            .map(|sea| column_type_text(&sea, Dialect::Postgresql))
            .unwrap_or_default(),
    }
}

/// How a column appears in its statement, beyond its own declaration.
#[derive(Debug, Clone, Copy, Default)]
struct Placement {
    /// Part of the table's primary key, so NOT NULL whatever `nullable` says.
    in_primary_key: bool,
    /// `PRIMARY KEY` written on the column itself (`ADD COLUMN`).
    inline_primary_key: bool,
    /// PostgreSQL's SERIAL family or MySQL's AUTO_INCREMENT, as SQLAlchemy renders an
    /// autoincrementing integer key.
    serial: bool,
}

/// The column definition, as sea-query writes it into CREATE TABLE and ADD COLUMN.
fn column_def(
    column: &Column,
    dialect: Dialect,
    schema: Option<&str>,
    placement: Placement,
) -> Result<ColumnDef, String> {
    let type_ = sea_type(&column.type_, dialect, schema)
        .map_err(|problem| format!("column `{}`: {problem}", column.name))?;
    let mut def = ColumnDef::new_with_type(Alias::new(&column.name), type_);
    // MySQL has no identity columns; AUTO_INCREMENT is its one way to number rows.
    if placement.serial || (dialect == Dialect::Mysql && column.identity.is_some()) {
        def.auto_increment();
    }
    if !column.nullable || placement.in_primary_key || placement.inline_primary_key {
        def.not_null();
    }
    if let Some(default) = &column.server_default {
        def.default(Expr::cust(default_sql(default, dialect)));
    }
    if let (Some(identity), Dialect::Postgresql) = (&column.identity, dialect) {
        def.extra(ddl::identity_clause(identity));
    }
    if placement.inline_primary_key {
        def.primary_key();
    }
    if column.unique {
        def.unique_key();
    }
    if let (Some(comment), Dialect::Mysql) = (&column.comment, dialect) {
        def.extra(format!("COMMENT {}", string_literal_in(dialect, comment)));
    }
    // MySQL reads a REFERENCES clause on a column and ignores it: its foreign keys are
    // table constraints (`column_foreign_key`).
    if let (Some(foreign_key), false) = (&column.foreign_key, dialect == Dialect::Mysql) {
        def.extra(
            ddl::references_clause(dialect, schema, foreign_key)
                .map_err(|problem| format!("column `{}`: {problem}", column.name))?,
        );
    }
    Ok(def)
}

/// A `server_default` as the dialect takes it after DEFAULT.
fn default_sql(default: &str, dialect: Dialect) -> String {
    match dialect {
        Dialect::Postgresql => default.to_string(),
        Dialect::Sqlite | Dialect::Mysql => sqlite_default(default),
    }
}

/// SQLite, and MySQL (8.0.13+) and MariaDB (10.2+) alike, need parentheses around a default
/// that is an expression (`datetime('now')`), not around a literal or a keyword; SQLAlchemy's
/// rule: parenthesise unless the text starts with a quote or a parenthesis, or is one word.
fn sqlite_default(default: &str) -> String {
    let starts_literal = default.trim_start().starts_with(['\'', '"', '(']);
    let one_word = default.chars().all(|c| c.is_alphanumeric() || c == '_');
    if starts_literal || one_word {
        default.to_string()
    } else {
        format!("({default})")
    }
}

/// SQLite's spelling of a column definition, as `CREATE TABLE` writes it; for the executor's
/// table rebuild (`exec::batch`), so that a column it adds reads as `add_column` would add it.
pub fn sqlite_column_definition(column: &Column, schema: Option<&str>) -> Result<String, String> {
    let placement = Placement {
        inline_primary_key: column.primary_key,
        ..Placement::default()
    };
    let def = column_def(column, Dialect::Sqlite, schema, placement)?;
    Ok(column_def_text(&def, Dialect::Sqlite))
}

/// SQLite's spelling of a column type, for the executor's table rebuild.
pub fn sqlite_column_type(type_: &ColumnType, schema: Option<&str>) -> Result<String, String> {
    column_type_sql(type_, Dialect::Sqlite, schema)
}

/// A column type as `dialect`'s CREATE TABLE spells it; for comparing a reflected column
/// with a target one.
pub fn column_type_sql(
    type_: &ColumnType,
    dialect: Dialect,
    schema: Option<&str>,
) -> Result<String, String> {
    Ok(column_type_text(
        &sea_type(type_, dialect, schema)?,
        dialect,
    ))
}

/// `DEFAULT ...` as SQLite takes it, for the executor's table rebuild.
pub fn sqlite_default_clause(default: &str) -> String {
    format!("DEFAULT {}", sqlite_default(default))
}

/// A table-level constraint as SQLite's `CREATE TABLE` writes it, for the executor's table
/// rebuild.
pub fn sqlite_constraint_clause(
    constraint: &TableConstraint,
    schema: Option<&str>,
) -> Result<String, String> {
    ddl::constraint_clause(Dialect::Sqlite, schema, constraint)
}

/// An identifier quoted as every statement here quotes it: always, embedded quotes doubled.
pub fn quote_identifier(dialect: Dialect, name: &str) -> String {
    ddl::ident(dialect, name)
}

/// The distinct PostgreSQL enum types among `columns`' types, arrays included, by first use.
fn enum_types(columns: &[&Column]) -> Vec<(String, Vec<String>)> {
    fn collect(type_: &ColumnType, found: &mut Vec<(String, Vec<String>)>) {
        match type_ {
            ColumnType::Enum { name, values } if !found.iter().any(|(known, _)| known == name) => {
                found.push((name.clone(), values.clone()));
            }
            ColumnType::Array(element) => collect(element, found),
            _ => {}
        }
    }
    let mut found = Vec::new();
    for column in columns {
        collect(&column.type_, &mut found);
    }
    found
}

fn type_ref(schema: Option<&str>, name: &str) -> sea_query::extension::postgres::TypeRef {
    use sea_query::extension::postgres::IntoTypeRef;
    match schema {
        Some(schema) => (Alias::new(schema), Alias::new(name)).into_type_ref(),
        None => Alias::new(name).into_type_ref(),
    }
}

/// CREATE TYPE for each enum the columns use (PostgreSQL; SQLite has no enum types).
fn create_enum_types(
    columns: &[&Column],
    dialect: Dialect,
    schema: Option<&str>,
) -> Vec<Statement> {
    if dialect != Dialect::Postgresql {
        return Vec::new();
    }
    enum_types(columns)
        .into_iter()
        .map(|(name, values)| Statement::Sql(create_enum_type(schema, &name, &values)))
        .collect()
}

/// `CREATE TYPE ... AS ENUM (...)` (PostgreSQL).
fn create_enum_type(schema: Option<&str>, name: &str, values: &[String]) -> String {
    Type::create()
        .as_enum(type_ref(schema, name))
        .values(values.iter().map(Alias::new))
        .to_owned()
        .to_string(PostgresQueryBuilder)
}

/// DROP TYPE for each enum the columns use, once nothing uses them (PostgreSQL).
fn drop_enum_types(columns: &[&Column], dialect: Dialect, schema: Option<&str>) -> Vec<Statement> {
    if dialect != Dialect::Postgresql {
        return Vec::new();
    }
    enum_types(columns)
        .into_iter()
        .map(|(name, _)| {
            let drop = Type::drop().name(type_ref(schema, &name)).to_owned();
            Statement::Sql(drop.to_string(PostgresQueryBuilder))
        })
        .collect()
}

/// The primary key of a new table: from the columns flagged `primary_key`, or the table's
/// `primary_key` constraint (which names it), which must then list the same columns.
fn primary_key(op: &CreateTable) -> Result<Option<TableConstraint>, String> {
    let flagged: Vec<String> = op
        .columns
        .iter()
        .filter(|column| column.primary_key)
        .map(|column| column.name.clone())
        .collect();
    let declared: Vec<&TableConstraint> = op
        .constraints
        .iter()
        .filter(|constraint| matches!(constraint, TableConstraint::PrimaryKey { .. }))
        .collect();
    match declared.as_slice() {
        [] if flagged.is_empty() => Ok(None),
        [] => Ok(Some(TableConstraint::PrimaryKey {
            name: None,
            columns: flagged,
        })),
        [TableConstraint::PrimaryKey { columns, .. }]
            if !flagged.is_empty() && *columns != flagged =>
        {
            Err(format!(
                "the columns marked primary_key ({}) differ from the primary_key constraint's ({}); declare the key once",
                flagged.join(", "),
                columns.join(", ")
            ))
        }
        [constraint] => Ok(Some((*constraint).clone())),
        _ => Err("it declares more than one primary_key constraint".to_string()),
    }
}

/// Whether PostgreSQL gets SERIAL for this column, as SQLAlchemy decides "autoincrement":
/// the table's only key column, of an integer type, with no identity and no default, and not
/// a foreign key unless `autoincrement = true` says so.
fn is_serial(column: &Column, key_columns: &[String]) -> bool {
    key_columns == [column.name.as_str()]
        && matches!(
            column.type_,
            ColumnType::Integer | ColumnType::BigInt | ColumnType::SmallInt
        )
        && column.autoincrement != Some(false)
        && column.identity.is_none()
        && column.server_default.is_none()
        && (column.foreign_key.is_none() || column.autoincrement == Some(true))
}

fn create_table(op: &CreateTable, dialect: Dialect) -> Result<Vec<Statement>, String> {
    if op.columns.is_empty() {
        return Err("a table needs at least one column".to_string());
    }
    let schema = op.schema.as_deref();
    let key = primary_key(op)?;
    let key_columns = match &key {
        Some(TableConstraint::PrimaryKey { columns, .. }) => columns.clone(),
        _ => Vec::new(),
    };
    let columns: Vec<&Column> = op.columns.iter().collect();
    let mut statements = create_enum_types(&columns, dialect, schema);

    let mut create = Table::create();
    create.table(table_ref(&op.schema, &op.table_name));
    for column in &op.columns {
        let placement = Placement {
            in_primary_key: key_columns.contains(&column.name),
            inline_primary_key: false,
            serial: dialect != Dialect::Sqlite && is_serial(column, &key_columns),
        };
        create.col(column_def(column, dialect, schema, placement)?);
    }
    let column_keys: Vec<TableConstraint> = match dialect {
        Dialect::Mysql => op.columns.iter().filter_map(column_foreign_key).collect(),
        Dialect::Postgresql | Dialect::Sqlite => Vec::new(),
    };
    let mut clauses = Vec::new();
    for constraint in key.iter().chain(&column_keys).chain(
        op.constraints
            .iter()
            .filter(|constraint| !matches!(constraint, TableConstraint::PrimaryKey { .. })),
    ) {
        clauses.push(ddl::constraint_clause(dialect, schema, constraint)?);
    }
    let mut create = ddl::with_table_constraints(build(&create, dialect), &clauses);
    if let (Some(comment), Dialect::Mysql) = (&op.comment, dialect) {
        create.push_str(&format!(" COMMENT {}", string_literal_in(dialect, comment)));
    }
    statements.push(Statement::Sql(create));

    if dialect == Dialect::Postgresql {
        if let Some(comment) = &op.comment {
            statements.push(Statement::Sql(ddl::comment_on_table(
                dialect,
                schema,
                &op.table_name,
                Some(comment),
            )));
        }
        for column in &op.columns {
            if let Some(comment) = &column.comment {
                statements.push(Statement::Sql(ddl::comment_on_column(
                    dialect,
                    schema,
                    &op.table_name,
                    &column.name,
                    Some(comment),
                )));
            }
        }
    }
    Ok(statements)
}

/// A column's own foreign key as the table constraint MySQL needs it to be.
fn column_foreign_key(column: &Column) -> Option<TableConstraint> {
    let key = column.foreign_key.as_ref()?;
    Some(TableConstraint::ForeignKey {
        name: key.name.clone(),
        local_cols: vec![column.name.clone()],
        referent_table: key.table.clone(),
        remote_cols: vec![key.column.clone()],
        referent_schema: key.schema.clone(),
        ondelete: key.ondelete,
        onupdate: key.onupdate,
        deferrable: None,
        initially: None,
        match_: None,
    })
}

/// `ALTER TABLE ... RENAME TO`, then with `rename_dependents` (PostgreSQL) the `DO` block
/// that renames what is named after the old table.
fn rename_table(op: &RenameTable, dialect: Dialect) -> Result<Vec<Statement>, String> {
    match (op.rename_dependents, dialect) {
        (true, Dialect::Sqlite) => {
            return Err(
                "SQLite cannot rename indexes or constraints (it renames its automatic indexes itself); remove `rename_dependents`"
                    .to_string(),
            )
        }
        (true, Dialect::Mysql) => {
            return Err(
                "MySQL cannot rename constraints, so rmig renames what is named after a table on PostgreSQL only; remove `rename_dependents`"
                    .to_string(),
            )
        }
        _ => {}
    }
    let mut statements = vec![Statement::Sql(if dialect == Dialect::Mysql {
        // MySQL reads an unqualified new name in the connection's database: the table would
        // leave its schema.
        format!(
            "RENAME TABLE {} TO {}",
            ddl::qualified(dialect, op.schema.as_deref(), &op.old_table_name),
            ddl::qualified(dialect, op.schema.as_deref(), &op.new_table_name)
        )
    } else {
        let rename = Table::rename()
            .table(
                table_ref(&op.schema, &op.old_table_name),
                Alias::new(&op.new_table_name),
            )
            .to_owned();
        build(&rename, dialect)
    })];
    if op.rename_dependents {
        statements.push(Statement::Sql(dependents::rename_dependents(
            op.schema.as_deref(),
            &op.old_table_name,
            &op.new_table_name,
        )));
    }
    Ok(statements)
}

fn drop_table(op: &DropTable, dialect: Dialect) -> Vec<Statement> {
    let drop = Table::drop()
        .table(table_ref(&op.schema, &op.table_name))
        .to_owned();
    let mut statements = vec![Statement::Sql(build(&drop, dialect))];
    if let Some(columns) = &op.columns {
        let columns: Vec<&Column> = columns.iter().collect();
        statements.extend(drop_enum_types(&columns, dialect, op.schema.as_deref()));
    }
    statements
}

fn add_column(op: &AddColumn, dialect: Dialect) -> Result<Vec<Statement>, String> {
    let column = &op.column;
    let schema = op.schema.as_deref();
    let placement = Placement {
        inline_primary_key: column.primary_key,
        ..Placement::default()
    };
    let def = column_def(column, dialect, schema, placement)?;
    if dialect == Dialect::Sqlite
        && (column.primary_key
            || column.unique
            || (!column.nullable && column.server_default.is_none()))
    {
        // SQLite's ADD COLUMN takes no PRIMARY KEY or UNIQUE, and no NOT NULL without a
        // default even on an empty table; a rebuild can, as on PostgreSQL.
        return Ok(vec![Statement::RecreateTable {
            table: op.table_name.clone(),
            schema: op.schema.clone(),
            change: Box::new(TableChange::AddColumn(column.clone())),
        }]);
    }
    let mut statements = create_enum_types(&[column], dialect, schema);
    let alter = Table::alter()
        .table(table_ref(&op.schema, &op.table_name))
        .add_column(def)
        .to_owned();
    statements.push(Statement::Sql(build(&alter, dialect)));
    if let (Some(key), Dialect::Mysql) = (column_foreign_key(column), dialect) {
        statements.extend(add_constraint(dialect, &op.schema, &op.table_name, key)?);
    }
    if let (Some(comment), Dialect::Postgresql) = (&column.comment, dialect) {
        statements.push(Statement::Sql(ddl::comment_on_column(
            dialect,
            schema,
            &op.table_name,
            &column.name,
            Some(comment),
        )));
    }
    Ok(statements)
}

fn drop_column(op: &DropColumn, dialect: Dialect) -> Vec<Statement> {
    let existing = op.existing_column.as_ref();
    let constrained = existing
        .is_some_and(|column| column.primary_key || column.unique || column.foreign_key.is_some());
    if dialect == Dialect::Sqlite && constrained {
        // SQLite's DROP COLUMN refuses a key, unique or foreign-key column.
        return vec![Statement::RecreateTable {
            table: op.table_name.clone(),
            schema: op.schema.clone(),
            change: Box::new(TableChange::DropColumn {
                column_name: op.column_name.clone(),
            }),
        }];
    }
    let named_key = existing
        .and_then(|column| column.foreign_key.as_ref())
        .and_then(|key| key.name.as_deref());
    let drop = match (dialect, named_key) {
        // MySQL refuses to drop a column its foreign key uses (PostgreSQL drops the key with
        // the column): one statement drops both, so neither stays without the other.
        (Dialect::Mysql, Some(key)) => format!(
            "ALTER TABLE {} DROP FOREIGN KEY {}, DROP COLUMN {}",
            ddl::qualified(dialect, op.schema.as_deref(), &op.table_name),
            ddl::ident(dialect, key),
            ddl::ident(dialect, &op.column_name)
        ),
        _ => build(
            &Table::alter()
                .table(table_ref(&op.schema, &op.table_name))
                .drop_column(Alias::new(&op.column_name))
                .to_owned(),
            dialect,
        ),
    };
    let mut statements = vec![Statement::Sql(drop)];
    if let Some(column) = existing {
        statements.extend(drop_enum_types(&[column], dialect, op.schema.as_deref()));
    }
    statements
}

fn alter_column(op: &AlterColumn, dialect: Dialect) -> Result<Vec<Statement>, String> {
    let schema = op.schema.as_deref();
    if dialect == Dialect::Sqlite {
        if op.type_.is_some() || op.nullable.is_some() || op.server_default.is_some() {
            return Ok(vec![Statement::RecreateTable {
                table: op.table_name.clone(),
                schema: op.schema.clone(),
                change: Box::new(TableChange::AlterColumn(op.clone())),
            }]);
        }
        // A rename SQLite can do in place; a comment it cannot keep at all.
        return Ok(op
            .new_column_name
            .iter()
            .map(|new_name| {
                let rename = Table::alter()
                    .table(table_ref(&op.schema, &op.table_name))
                    .rename_column(Alias::new(&op.column_name), Alias::new(new_name))
                    .to_owned();
                Statement::Sql(build(&rename, dialect))
            })
            .collect());
    }

    if dialect == Dialect::Mysql {
        return mysql_alter_column(op);
    }

    // PostgreSQL, one statement per change in Alembic's order: type (with USING), nullability,
    // default, comment, and the rename last.
    let column = Alias::new(&op.column_name);
    let alter = |def: ColumnDef| {
        let statement = Table::alter()
            .table(table_ref(&op.schema, &op.table_name))
            .modify_column(def)
            .to_owned();
        Statement::Sql(build(&statement, dialect))
    };
    let mut statements = Vec::new();
    if let Some(type_) = &op.type_ {
        let type_ = sea_type(type_, dialect, schema)?;
        let mut def = ColumnDef::new_with_type(column.clone(), type_);
        if let Some(using) = &op.postgresql_using {
            def.using(Expr::cust(using));
        }
        statements.push(alter(def));
    }
    if let Some(nullable) = op.nullable {
        let mut def = ColumnDef::new(column.clone());
        if nullable {
            def.null();
        } else {
            def.not_null();
        }
        statements.push(alter(def));
    }
    match &op.server_default {
        Some(TextChange::Set(default)) => {
            let mut def = ColumnDef::new(column.clone());
            def.default(Expr::cust(default));
            statements.push(alter(def));
        }
        Some(TextChange::Remove) => statements.push(Statement::Sql(ddl::drop_default(
            dialect,
            schema,
            &op.table_name,
            &op.column_name,
        ))),
        None => {}
    }
    if let Some(comment) = &op.comment {
        let comment = match comment {
            TextChange::Set(text) => Some(text.as_str()),
            TextChange::Remove => None,
        };
        statements.push(Statement::Sql(ddl::comment_on_column(
            dialect,
            schema,
            &op.table_name,
            &op.column_name,
            comment,
        )));
    }
    if let Some(new_name) = &op.new_column_name {
        let rename = Table::alter()
            .table(table_ref(&op.schema, &op.table_name))
            .rename_column(column, Alias::new(new_name))
            .to_owned();
        statements.push(Statement::Sql(build(&rename, dialect)));
    }
    Ok(statements)
}

/// MySQL changes a column's type, nullability or comment only by writing its whole
/// definition again (`MODIFY`, or `CHANGE` when it is renamed too), as Alembic does there:
/// what the operation leaves unchanged comes from its `existing_*` keys, and the type is
/// required, since a definition without one cannot be written. A default alone, and a rename
/// alone, have statements of their own that need nothing else.
fn mysql_alter_column(op: &AlterColumn) -> Result<Vec<Statement>, String> {
    let dialect = Dialect::Mysql;
    let table = ddl::qualified(dialect, op.schema.as_deref(), &op.table_name);
    let column = ddl::ident(dialect, &op.column_name);
    let redefines = op.type_.is_some() || op.nullable.is_some() || op.comment.is_some();
    if !redefines {
        let mut statements = Vec::new();
        match &op.server_default {
            Some(TextChange::Set(default)) => statements.push(Statement::Sql(format!(
                "ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT {}",
                default_sql(default, dialect)
            ))),
            Some(TextChange::Remove) => statements.push(Statement::Sql(ddl::drop_default(
                dialect,
                op.schema.as_deref(),
                &op.table_name,
                &op.column_name,
            ))),
            None => {}
        }
        if let Some(new_name) = &op.new_column_name {
            statements.push(Statement::Sql(format!(
                "ALTER TABLE {table} RENAME COLUMN {column} TO {}",
                ddl::ident(dialect, new_name)
            )));
        }
        return Ok(statements);
    }
    let type_ = op.type_.as_ref().or(op.existing_type.as_ref()).ok_or_else(|| {
        format!(
            "MySQL rewrites the whole column `{}` for this change; give `existing_type` (its current type) so rmig can write it",
            op.column_name
        )
    })?;
    let mut definition =
        column_type_text(&sea_type(type_, dialect, op.schema.as_deref())?, dialect);
    let nullable = op.nullable.or(op.existing_nullable).unwrap_or(true);
    definition.push_str(if nullable { " NULL" } else { " NOT NULL" });
    let default = match &op.server_default {
        Some(TextChange::Set(default)) => Some(default.as_str()),
        Some(TextChange::Remove) => None,
        None => op.existing_server_default.as_deref(),
    };
    if let Some(default) = default {
        definition.push_str(&format!(" DEFAULT {}", default_sql(default, dialect)));
    }
    let comment = match &op.comment {
        Some(TextChange::Set(comment)) => Some(comment.as_str()),
        Some(TextChange::Remove) => None,
        None => op.existing_comment.as_deref(),
    };
    if let Some(comment) = comment {
        definition.push_str(&format!(" COMMENT {}", string_literal_in(dialect, comment)));
    }
    Ok(vec![Statement::Sql(match &op.new_column_name {
        Some(new_name) => format!(
            "ALTER TABLE {table} CHANGE {column} {} {definition}",
            ddl::ident(dialect, new_name)
        ),
        None => format!("ALTER TABLE {table} MODIFY {column} {definition}"),
    })])
}

fn add_constraint(
    dialect: Dialect,
    schema: &Option<String>,
    table: &str,
    constraint: TableConstraint,
) -> Result<Vec<Statement>, String> {
    Ok(vec![match dialect {
        Dialect::Postgresql | Dialect::Mysql => Statement::Sql(ddl::add_constraint(
            dialect,
            schema.as_deref(),
            table,
            &ddl::constraint_clause(dialect, schema.as_deref(), &constraint)?,
        )),
        Dialect::Sqlite => {
            // Checked now, so that a foreign key SQLite cannot hold fails before the rebuild.
            ddl::constraint_clause(dialect, schema.as_deref(), &constraint)?;
            Statement::RecreateTable {
                table: table.to_string(),
                schema: schema.clone(),
                change: Box::new(TableChange::AddConstraint(constraint)),
            }
        }
    }])
}

fn drop_constraint(op: &DropConstraint, dialect: Dialect) -> Result<Vec<Statement>, String> {
    Ok(vec![match dialect {
        Dialect::Postgresql => Statement::Sql(ddl::drop_constraint(
            dialect,
            op.schema.as_deref(),
            &op.table_name,
            &op.constraint_name,
        )),
        Dialect::Mysql => Statement::Sql(ddl::mysql_drop_constraint(
            op.schema.as_deref(),
            &op.table_name,
            &op.constraint_name,
            op.type_,
        )?),
        Dialect::Sqlite => Statement::RecreateTable {
            table: op.table_name.clone(),
            schema: op.schema.clone(),
            change: Box::new(TableChange::DropConstraint {
                name: op.constraint_name.clone(),
                type_: op.type_,
            }),
        },
    }])
}

/// One INSERT per row with the row's own columns, as Alembic's `--sql` prints them; a column
/// left out of a row gets its default.
fn bulk_insert(op: &BulkInsert, dialect: Dialect) -> Result<Vec<Statement>, String> {
    op.rows
        .iter()
        .map(|row| {
            if dialect == Dialect::Mysql {
                if let Some((column, _)) = row.iter().find(|(_, value)| {
                    matches!(value, ScalarValue::Float(number) if !number.is_finite())
                }) {
                    return Err(format!(
                        "MySQL stores no infinite or NaN floats, which the row gives `{column}`; write a finite number or null"
                    ));
                }
            }
            let mut insert = Query::insert();
            insert.into_table(table_ref(&op.schema, &op.table_name));
            if row.is_empty() {
                insert.or_default_values();
            } else {
                insert.columns(row.keys().map(Alias::new));
                insert
                    .values(
                        row.values()
                            .map(|value| SimpleExpr::Value(sea_value(value))),
                    )
                    .map_err(|error| error.to_string())?;
            }
            let sql = match dialect {
                Dialect::Postgresql => insert.build(PostgresQueryBuilder).0,
                // sea-query writes SQLite's `?`; rmig binds `$1`, `$2`, ... on both dialects.
                // `OR ABORT` overrides a table's own `ON CONFLICT REPLACE` or `IGNORE`, which
                // would otherwise overwrite or skip existing rows without an error: a seeded
                // row that conflicts fails the step, as it does on PostgreSQL.
                // The statement's first words are sea-query's `INSERT INTO`.
                Dialect::Sqlite => number_placeholders(&insert.build(SqliteQueryBuilder).0, dialect)
                    .replacen("INSERT INTO ", "INSERT OR ABORT INTO ", 1),
                Dialect::Mysql => number_placeholders(&insert.build(MysqlQueryBuilder).0, dialect),
            };
            Ok(Statement::Bound {
                sql,
                params: row.values().cloned().collect(),
            })
        })
        .collect()
}

/// The value sea-query binds in its place; the statement carries rmig's own value.
fn sea_value(value: &ScalarValue) -> Value {
    match value {
        ScalarValue::Null => Value::String(None),
        ScalarValue::Bool(flag) => Value::Bool(Some(*flag)),
        ScalarValue::Integer(number) => Value::BigInt(Some(*number)),
        ScalarValue::Float(number) => Value::Double(Some(*number)),
        ScalarValue::String(text) => Value::String(Some(Box::new(text.clone()))),
    }
}

/// A parameter marker found in code: `?` or `$n`.
pub(crate) enum Placeholder {
    Anonymous,
    Numbered(usize),
}

/// Replaces each parameter marker in `sql` that stands in code, as `dialect` reads it: not
/// inside a string literal or a quoted identifier (`"..."`, MySQL's backticks; on MySQL a
/// backslash escapes the next character of a string), not in a comment (`--`, `/* */`,
/// MySQL's `#`; there `--` starts one only before whitespace), and not inside a name
/// (`price$1`). The one reading of placeholders rmig has: `--sql` output inlines values by it,
/// and the MySQL backend turns `$n` into its `?`s by it.
pub(crate) fn replace_placeholders(
    sql: &str,
    dialect: Dialect,
    mut replace: impl FnMut(Placeholder) -> String,
) -> String {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Code,
        Quoted(u8),
        LineComment,
        BlockComment,
    }
    let mysql = dialect == Dialect::Mysql;
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut state = State::Code;
    // Only ASCII bytes end a run, so every slice is on a character boundary.
    let mut copied = 0;
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        match state {
            State::Quoted(quote) => {
                if mysql && byte == b'\\' && quote != b'`' {
                    at += 1;
                } else if byte == quote {
                    // A doubled quote closes and reopens, which reads the same.
                    state = State::Code;
                }
            }
            State::LineComment => {
                if byte == b'\n' {
                    state = State::Code;
                }
            }
            State::BlockComment => {
                if byte == b'*' && bytes.get(at + 1) == Some(&b'/') {
                    state = State::Code;
                    at += 1;
                }
            }
            State::Code => match byte {
                b'\'' | b'"' | b'`' => state = State::Quoted(byte),
                b'#' if mysql => state = State::LineComment,
                b'-' if bytes.get(at + 1) == Some(&b'-')
                    && (!mysql
                        || bytes
                            .get(at + 2)
                            .is_none_or(|next| next.is_ascii_whitespace())) =>
                {
                    state = State::LineComment;
                }
                b'/' if bytes.get(at + 1) == Some(&b'*') => {
                    state = State::BlockComment;
                    at += 1;
                }
                b'?' => {
                    out.push_str(&sql[copied..at]);
                    out.push_str(&replace(Placeholder::Anonymous));
                    copied = at + 1;
                }
                b'$' => {
                    let in_name = at > 0
                        && (bytes[at - 1].is_ascii_alphanumeric()
                            || matches!(bytes[at - 1], b'_' | b'$')
                            || !bytes[at - 1].is_ascii());
                    let digits = bytes[at + 1..]
                        .iter()
                        .take_while(|b| b.is_ascii_digit())
                        .count();
                    let number = sql[at + 1..at + 1 + digits].parse().ok();
                    if let (false, Some(number)) = (in_name, number) {
                        out.push_str(&sql[copied..at]);
                        out.push_str(&replace(Placeholder::Numbered(number)));
                        at += 1 + digits;
                        copied = at;
                        continue;
                    }
                }
                _ => {}
            },
        }
        at += 1;
    }
    out.push_str(&sql[copied..]);
    out
}

/// `?, ?` -> `$1, $2`, in a statement sea-query built (no comments, no backslashes).
fn number_placeholders(sql: &str, dialect: Dialect) -> String {
    let mut next = 0;
    replace_placeholders(sql, dialect, |placeholder| match placeholder {
        Placeholder::Anonymous => {
            next += 1;
            format!("${next}")
        }
        Placeholder::Numbered(number) => format!("${number}"),
    })
}

/// A value as an SQL literal, for `--sql` only: online, values are always bound.
fn literal(value: &ScalarValue, dialect: Dialect) -> String {
    let pg = dialect == Dialect::Postgresql;
    match value {
        ScalarValue::Null => "NULL".to_string(),
        ScalarValue::Bool(flag) if pg => flag.to_string(),
        ScalarValue::Bool(flag) => u8::from(*flag).to_string(),
        ScalarValue::Integer(number) => number.to_string(),
        ScalarValue::Float(number) if number.is_finite() => format!("{number:?}"),
        // PostgreSQL reads these spellings into a float column; SQLite stores NaN as NULL and
        // reads an overflowing literal as infinity.
        ScalarValue::Float(number) if number.is_nan() => {
            if pg { "'NaN'" } else { "NULL" }.to_string()
        }
        ScalarValue::Float(number) => match (pg, number.is_sign_positive()) {
            (true, true) => "'Infinity'",
            (true, false) => "'-Infinity'",
            (false, true) => "9e999",
            (false, false) => "-9e999",
        }
        .to_string(),
        ScalarValue::String(text) => string_literal_in(dialect, text),
    }
}

impl Statement {
    /// The statement as `--sql` prints it, without its terminating `;`: bound parameters
    /// inlined as escaped literals, a table rebuild as a commented description. Online mode
    /// never uses this text.
    pub fn to_offline_sql(&self, dialect: Dialect) -> String {
        match self {
            Statement::Sql(sql) | Statement::Script(sql) => sql.clone(),
            Statement::Bound { sql, params } => {
                replace_placeholders(sql, dialect, |placeholder| match placeholder {
                    Placeholder::Numbered(number) => match params.get(number.wrapping_sub(1)) {
                        Some(value) => literal(value, dialect),
                        None => format!("${number}"),
                    },
                    Placeholder::Anonymous => "?".to_string(),
                })
            }
            Statement::RecreateTable {
                table,
                schema,
                change,
            } => recreate_table_offline(dialect, schema.as_deref(), table, change),
        }
    }

    /// Whether the offline text is SQL to run (and so takes a `;`), rather than a comment.
    pub fn is_offline_comment(&self) -> bool {
        matches!(self, Statement::RecreateTable { .. })
    }
}

/// What Alembic's batch mode would print offline, as far as it can be known without the
/// database: the steps, with the table's current definition (which only the live table can
/// give) described rather than guessed. All of it is commented out, so that running the script
/// can never drop the table without having created its replacement.
fn recreate_table_offline(
    dialect: Dialect,
    schema: Option<&str>,
    table: &str,
    change: &TableChange,
) -> String {
    let name = ddl::qualified(dialect, schema, table);
    let temporary = format!("_alembic_tmp_{table}");
    let temporary_name = ddl::qualified(dialect, schema, &temporary);
    let text = format!(
        "SQLite cannot {} in place: rmig rebuilds table {name} the way Alembic's batch mode does.\n\
         The table's current columns, constraints and indexes are read from the database when this\n\
         runs online; --sql cannot read them, so the rebuild is described here, not run:\n\
         \x20 CREATE TABLE {temporary_name} (<the columns and constraints of {name}, changed as above>);\n\
         \x20 INSERT INTO {temporary_name} (<columns>) SELECT <columns> FROM {name};\n\
         \x20 DROP TABLE {name};\n\
         \x20 ALTER TABLE {temporary_name} RENAME TO {};\n\
         \x20 <CREATE INDEX for each index {name} had>",
        describe_change(change, dialect, schema),
        ddl::ident(dialect, table),
    );
    ddl::comment_lines(&text)
}

/// The change of a rebuild, in words and SQL fragments.
fn describe_change(change: &TableChange, dialect: Dialect, schema: Option<&str>) -> String {
    match change {
        TableChange::AddColumn(column) => {
            let placement = Placement {
                inline_primary_key: column.primary_key,
                ..Placement::default()
            };
            match column_def(column, dialect, schema, placement) {
                Ok(def) => format!("add column {}", column_def_text(&def, dialect)),
                Err(problem) => format!(
                    "add column {} ({problem})",
                    ddl::ident(dialect, &column.name)
                ),
            }
        }
        TableChange::DropColumn { column_name } => {
            format!("drop column {}", ddl::ident(dialect, column_name))
        }
        TableChange::AlterColumn(op) => {
            let mut changes = Vec::new();
            if let Some(type_) = &op.type_ {
                let spelled = sea_type(type_, dialect, schema)
                    .map(|sea| column_type_text(&sea, dialect))
                    .unwrap_or_else(|problem| problem);
                changes.push(format!("type {spelled}"));
            }
            match op.nullable {
                Some(true) => changes.push("nullable".to_string()),
                Some(false) => changes.push("NOT NULL".to_string()),
                None => {}
            }
            match &op.server_default {
                Some(TextChange::Set(default)) => {
                    changes.push(format!("DEFAULT {}", default_sql(default, dialect)))
                }
                Some(TextChange::Remove) => changes.push("no DEFAULT".to_string()),
                None => {}
            }
            if let Some(new_name) = &op.new_column_name {
                changes.push(format!("renamed to {}", ddl::ident(dialect, new_name)));
            }
            format!(
                "alter column {} ({})",
                ddl::ident(dialect, &op.column_name),
                changes.join(", ")
            )
        }
        TableChange::AddConstraint(constraint) => {
            match ddl::constraint_clause(dialect, schema, constraint) {
                Ok(clause) => format!("add {clause}"),
                Err(problem) => format!("add a constraint ({problem})"),
            }
        }
        TableChange::DropConstraint { name, type_ } => {
            let kind = match type_ {
                Some(ConstraintKind::ForeignKey) => "foreign key ",
                Some(ConstraintKind::Unique) => "unique ",
                Some(ConstraintKind::Check) => "check ",
                Some(ConstraintKind::Primary) => "primary key ",
                None => "",
            };
            format!("drop {kind}constraint {}", ddl::ident(dialect, name))
        }
    }
}
