//! Raw `execute` SQL, read with a real SQL parser in the dialect that runs it, deny by default.
//!
//! Each statement is known-safe (an explicit allow-list: creates, grants, comments, statistics,
//! maintenance), known-destructive (a drop, a TRUNCATE, a DELETE or UPDATE without WHERE: the
//! objects it destroys are named), or may destroy (a DELETE or UPDATE with a WHERE, an upsert,
//! a MERGE, a CASCADE, a call of a function the guard cannot see into, anything it does not
//! know). What may destroy runs only under verification (a transactional step online, whose
//! effects the executor checks before its commit) or when confirmed.

use std::borrow::Cow;
use std::ops::ControlFlow;

use sqlparser::ast::{
    visit_expressions, AlterColumnOperation, AlterTableOperation, AlterTypeOperation,
    AssignmentTarget, CascadeOption, DropBehavior, Expr, FromTable, MergeAction, MergeUpdateKind,
    ObjectName, ObjectType, OnConflictAction, OnInsert, Query, ReferentialAction,
    RenameTableNameKind, Set, SetExpr, SqliteOnConflict, Statement, TableFactor, TableObject,
    TableWithJoins,
};
use sqlparser::dialect::{Dialect as SqlDialect, PostgreSqlDialect};
use sqlparser::parser::Parser;

use crate::dialect::Dialect;
use crate::ops::Execute;
use crate::sql_text::{
    cut, for_each_statement, identifier, one_line, parser_dialect, split_name, split_statements,
    words, PURE_FUNCTIONS,
};

use super::classify::{Certainty, Context, DataLoss, RowMeasure};
use super::object::DataObject;

/// Functions whose call destroys what they name: a sequence handing out used ids again, a
/// large object unlinked under the rows that reference it.
const DESTRUCTIVE_FUNCTIONS: &[(&str, &str, &str)] = &[
    (
        "setval",
        "sequence",
        "sets the sequence back, so it can hand out ids that rows already hold",
    ),
    (
        "lo_unlink",
        "large object",
        "deletes the large object and its contents",
    ),
    (
        "lo_put",
        "large object",
        "overwrites the large object's contents",
    ),
    ("lo_truncate", "large object", "cuts the large object short"),
    (
        "lo_import",
        "large object",
        "reads a file into the database",
    ),
    (
        "lo_export",
        "large object",
        "writes a file outside the database",
    ),
    (
        "heap_force_kill",
        "table",
        "removes rows behind the database's back (pg_surgery)",
    ),
    (
        "heap_force_freeze",
        "table",
        "rewrites rows behind the database's back (pg_surgery)",
    ),
    (
        "dblink_exec",
        "connection",
        "runs SQL in another session, outside this step's transaction",
    ),
    (
        "dblink",
        "connection",
        "runs SQL in another session, outside this step's transaction",
    ),
    (
        "dblink_send_query",
        "connection",
        "runs SQL in another session, outside this step's transaction",
    ),
];

/// SQLite PRAGMAs that change settings or only read: the batch-mode docs tell users to write
/// `PRAGMA foreign_keys = ON`, and none of these touches stored rows.
const SAFE_PRAGMAS: &[&str] = &[
    "analysis_limit",
    "application_id",
    "auto_vacuum",
    "automatic_index",
    "busy_timeout",
    "cache_size",
    "case_sensitive_like",
    "defer_foreign_keys",
    "encoding",
    "foreign_key_check",
    "foreign_key_list",
    "foreign_keys",
    "index_info",
    "index_list",
    "index_xinfo",
    "integrity_check",
    "journal_mode",
    "legacy_alter_table",
    "mmap_size",
    "optimize",
    "page_size",
    "quick_check",
    "recursive_triggers",
    "synchronous",
    "table_info",
    "table_list",
    "table_xinfo",
    "temp_store",
    "user_version",
    "wal_checkpoint",
];

/// What the SQL of an `execute` can destroy. Each dialect runs its own text, else `sqltext`
/// (as `ops::sql::render` does), and each text is read only with the dialect that runs it:
/// PostgreSQL nests block comments and SQLite does not, so one text can hold different
/// statements for each. With no dialect known (lint), every dialect's reading counts, and a
/// text one of them cannot read is unknown.
pub(crate) fn classify_execute(execute: &Execute, context: &Context) -> Vec<DataLoss> {
    read_execute(execute, context).0
}

/// What the SQL of an `execute` can destroy, and what it tells about the operations after
/// it, from one reading of each text.
pub(crate) fn read_execute(execute: &Execute, context: &Context) -> (Vec<DataLoss>, PlanNotes) {
    let mut losses = Vec::new();
    let mut notes = PlanNotes::default();
    for (text, dialect) in texts(execute, context.dialect) {
        losses.extend(read_text(text, dialect, context, &mut notes));
    }
    (dedup(losses), notes)
}

/// The texts of an `execute` with the dialect that runs each: only `dialect`'s when it is
/// known, else every dialect's.
pub(crate) fn texts(execute: &Execute, dialect: Option<Dialect>) -> Vec<(&str, Dialect)> {
    let dialects = match dialect {
        Some(dialect) => vec![dialect],
        None => Dialect::ALL.to_vec(),
    };
    dialects
        .into_iter()
        .filter_map(|dialect| execute.text_for(dialect).map(|text| (text, dialect)))
        .collect()
}

/// What raw SQL tells the guard about the operations after it.
#[derive(Debug, Default)]
pub(crate) struct PlanNotes {
    /// Tables it puts a trigger or rule on.
    pub triggered_tables: Vec<String>,
    /// `(table, column)` it adds.
    pub added_columns: Vec<(String, String)>,
    /// Tables it creates, `(schema, table)`.
    pub created_tables: Vec<(Option<String>, String)>,
    /// Tables it drops or renames, or renames another table to, `(schema, table)`: whatever
    /// the plan created under those names before is gone or holds other rows now.
    pub replaced_tables: Vec<(Option<String>, String)>,
}

impl PlanNotes {
    fn append(&mut self, other: PlanNotes) {
        self.triggered_tables.extend(other.triggered_tables);
        self.added_columns.extend(other.added_columns);
        self.created_tables.extend(other.created_tables);
        self.replaced_tables.extend(other.replaced_tables);
    }
}

/// Notes the triggers, rules, tables and columns `statement` creates.
fn note_statement(statement: &Statement, notes: &mut PlanNotes) {
    match statement {
        Statement::CreateTrigger(trigger) => notes
            .triggered_tables
            .push(split_name(&trigger.table_name).1),
        Statement::CreateRule(rule) => notes.triggered_tables.push(split_name(&rule.table_name).1),
        // IF NOT EXISTS may find the table there, holding rows from before the run.
        // A TEMPORARY table only shadows the table of that name, which keeps its rows.
        Statement::CreateTable(create) if !create.if_not_exists && !create.temporary => {
            notes.created_tables.push(split_name(&create.name))
        }
        Statement::Drop {
            object_type: ObjectType::Table,
            names,
            ..
        } => notes.replaced_tables.extend(names.iter().map(split_name)),
        Statement::RenameTable(renames) => {
            for rename in renames {
                notes.replaced_tables.push(split_name(&rename.old_name));
                notes.replaced_tables.push(split_name(&rename.new_name));
            }
        }
        Statement::AlterTable(alter) => {
            let (schema, table) = split_name(&alter.name);
            for operation in &alter.operations {
                match operation {
                    AlterTableOperation::AddColumn { column_def, .. } => notes
                        .added_columns
                        .push((table.clone(), identifier(&column_def.name))),
                    AlterTableOperation::RenameTable { table_name } => {
                        let (RenameTableNameKind::As(new_name) | RenameTableNameKind::To(new_name)) =
                            table_name;
                        let (new_schema, new_table) = split_name(new_name);
                        notes.replaced_tables.push((schema.clone(), table.clone()));
                        notes
                            .replaced_tables
                            .push((new_schema.or_else(|| schema.clone()), new_table));
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// Reads `sql` as `dialect` reads it, statement by statement: what it can destroy, and into
/// `notes` what it creates.
fn read_text(
    sql: &str,
    dialect: Dialect,
    context: &Context,
    notes: &mut PlanNotes,
) -> Vec<DataLoss> {
    let parser_dialect = parser_dialect(dialect);
    let sql = match dialect {
        Dialect::Mysql => mariadb_comments_as_code(sql),
        Dialect::Postgresql | Dialect::Sqlite => Cow::Borrowed(sql),
    };
    let sql = sql.as_ref();
    let mut losses = Vec::new();
    let mut found = PlanNotes::default();
    let read = |sql: &str, losses: &mut Vec<DataLoss>, found: &mut PlanNotes| {
        for_each_statement(sql, parser_dialect, |statement| {
            statement_losses(statement, context, losses);
            note_statement(statement, found);
        })
    };
    match read(sql, &mut losses, &mut found) {
        Ok(()) => notes.append(found),
        // A statement read only up to an error is not the statement that runs: start again.
        // One statement the parser does not know must not hide the others: read them one by
        // one, and judge the unreadable ones by their shape.
        Err(error) => {
            losses.clear();
            match split_statements(sql, parser_dialect) {
                Some(pieces) => {
                    for piece in pieces {
                        let mut piece_losses = Vec::new();
                        let mut piece_notes = PlanNotes::default();
                        match read(&piece, &mut piece_losses, &mut piece_notes) {
                            Ok(()) => {
                                losses.append(&mut piece_losses);
                                notes.append(piece_notes);
                            }
                            Err(error) if !is_known_safe_shape(&piece, parser_dialect) => {
                                losses.extend(hidden_loss(&piece));
                                losses.push(unreadable(&piece, &error.to_string()))
                            }
                            Err(_) => {}
                        }
                    }
                }
                None => {
                    losses.extend(hidden_loss(sql));
                    losses.push(unreadable(sql, &error.to_string()))
                }
            }
        }
    }
    dedup(losses)
}

/// `sql` with MariaDB's executable comments (`/*M! ... */`, `/*M!100500 ... */`) written as
/// MySQL's (`/*! ... */`), which the parser reads as the SQL they hold: MariaDB runs what they
/// hold, and the parser would otherwise skip it as a comment. A `/*M!` inside a string or a
/// comment stays inside it, so nothing else changes meaning.
fn mariadb_comments_as_code(sql: &str) -> Cow<'_, str> {
    if sql.contains("/*M!") || sql.contains("/*m!") {
        Cow::Owned(sql.replace("/*M!", "/*!").replace("/*m!", "/*!"))
    } else {
        Cow::Borrowed(sql)
    }
}

/// What a SQL expression of a typed operation (a default, a check condition) can destroy when
/// the database evaluates it: the functions it calls.
pub(crate) fn fragment_losses(text: &str, context: &Context) -> Vec<DataLoss> {
    let dialect = context.dialect.unwrap_or(Dialect::Postgresql);
    let parser_dialect = parser_dialect(dialect);
    let mut losses = Vec::new();
    match Parser::new(parser_dialect)
        .try_with_sql(text)
        .and_then(|mut parser| parser.parse_expr())
    {
        Ok(expr) => function_losses(&expr, &cut(text), &mut losses),
        Err(error) => losses.push(unreadable(text, &error.to_string())),
    }
    dedup(losses)
}

/// Whether a `postgresql_using` expression converts the column as it is (`col`, `col::int`,
/// `CAST(col AS int)`), so the type change alone says what survives.
pub(crate) fn is_plain_conversion_text(using: &str, column: &str) -> bool {
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(using)
        .and_then(|mut parser| parser.parse_expr())
        .is_ok_and(|expr| is_plain_conversion(&expr, &column.to_lowercase()))
}

/// What unreadable SQL (a `DO` block, a function body) may do that the second layer cannot
/// see, found by its words: it then destroys for certain, whatever else it does.
fn hidden_loss(sql: &str) -> Option<DataLoss> {
    let lowered = sql.to_lowercase();
    let words: Vec<&str> = lowered
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|word| !word.is_empty())
        .collect();
    let named = DESTRUCTIVE_FUNCTIONS
        .iter()
        .map(|(name, _, _)| *name)
        .find(|name| words.contains(name));
    let sequence_reset =
        words.windows(2).any(|pair| pair == ["alter", "sequence"]) && words.contains(&"restart");
    let catalog = words.iter().any(|word| word.starts_with("pg_enum"));
    let what = match (named, sequence_reset, catalog) {
        (Some(name), _, _) => format!("calls {name}()"),
        (None, true, _) => "restarts a sequence".to_string(),
        (None, false, true) => "edits the database's catalog".to_string(),
        (None, false, false) => return None,
    };
    Some(DataLoss {
        object: DataObject::Unknown,
        reason: format!(
            "`{}` {what} inside code the guard cannot read, with effects it cannot verify",
            cut(&one_line(sql))
        ),
        measure: RowMeasure::Uncountable,
        certainty: Certainty::Certain,
    })
}

fn unreadable(sql: &str, error: &str) -> DataLoss {
    DataLoss {
        object: DataObject::Unknown,
        reason: format!(
            "the guard cannot read `{}` ({error}), so it cannot tell what it destroys",
            cut(&one_line(sql))
        ),
        measure: RowMeasure::Uncountable,
        certainty: Certainty::Possible,
    }
}

/// Maintenance and metadata statements the parser does not read, recognised by their words:
/// none of them removes a row or a column.
fn is_known_safe_shape(sql: &str, dialect: &dyn SqlDialect) -> bool {
    let words = words(sql, dialect);
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["VACUUM" | "ANALYZE" | "ANALYSE" | "CLUSTER" | "REINDEX" | "CHECKPOINT", ..] => true,
        ["SECURITY", "LABEL", ..] | ["COMMENT", "ON", ..] => true,
        ["CREATE", "STATISTICS", ..] | ["DROP", "INDEX", "CONCURRENTLY", ..] => true,
        ["CREATE", "OR", "REPLACE", "PROCEDURE" | "FUNCTION", ..]
        | ["CREATE", "PROCEDURE" | "FUNCTION", ..] => true,
        // Ownership, not the counter: RESTART hands out used ids again.
        ["ALTER", "SEQUENCE", rest @ ..] => !rest.contains(&"RESTART"),
        ["ALTER", "DOMAIN", _, "ADD", "CONSTRAINT", ..] => true,
        ["ALTER", "TABLE", rest @ ..] => is_set_statistics(rest),
        // The parser wants a value where SQLite also takes ON, OFF, WAL, ...
        ["PRAGMA", _, ".", pragma, ..] | ["PRAGMA", pragma, ..] => {
            SAFE_PRAGMAS.contains(&pragma.to_ascii_lowercase().as_str())
        }
        _ => false,
    }
}

/// `name ALTER [COLUMN] column SET STATISTICS n` (after `ALTER TABLE`), names possibly qualified.
fn is_set_statistics(words: &[&str]) -> bool {
    let Some(alter) = words.iter().position(|word| *word == "ALTER") else {
        return false;
    };
    let rest = &words[alter + 1..];
    let rest = rest.strip_prefix(&["COLUMN"]).unwrap_or(rest);
    matches!(rest, [_, "SET", "STATISTICS", _])
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

fn statement_losses(statement: &Statement, context: &Context, out: &mut Vec<DataLoss>) {
    let quoted = quote(statement);
    match statement {
        Statement::Set(set) if sets_sql_mode(set) => out.push(DataLoss {
            object: DataObject::Unknown,
            reason: format!(
                "`{quoted}` changes sql_mode, which decides whether MySQL refuses values that do not fit or truncates and blanks them, and how it reads the SQL after it (backslashes, double quotes)"
            ),
            measure: RowMeasure::Uncountable,
            certainty: Certainty::Possible,
        }),
        // Creating, describing, granting and maintaining: nothing stored is removed. The
        // function, trigger and rule bodies created here are judged where they run.
        Statement::CreateIndex(_)
        | Statement::CreateSequence { .. }
        | Statement::CreateType { .. }
        | Statement::CreateExtension(_)
        | Statement::CreateSchema { .. }
        | Statement::CreateDomain(_)
        | Statement::CreateFunction(_)
        | Statement::CreateProcedure { .. }
        | Statement::CreateTrigger(_)
        | Statement::CreateRule(_)
        | Statement::CreateRole(_)
        | Statement::CreatePolicy(_)
        | Statement::CreateCollation(_)
        | Statement::CreateOperator(_)
        | Statement::CreateOperatorClass(_)
        | Statement::CreateOperatorFamily(_)
        | Statement::CreateAggregate(_)
        | Statement::CreateTextSearch(_)
        | Statement::Comment { .. }
        | Statement::Grant(_)
        | Statement::Revoke(_)
        | Statement::Analyze(_)
        | Statement::Vacuum(_)
        | Statement::Set(_)
        | Statement::ShowVariable { .. }
        | Statement::AlterIndex { .. }
        | Statement::AlterView { .. }
        | Statement::AlterRole { .. }
        | Statement::AlterSchema(_)
        | Statement::AlterPolicy(_)
        | Statement::AlterFunction(_)
        | Statement::AlterTrigger(_)
        | Statement::AlterCollation(_)
        | Statement::AlterDefaultPrivileges(_)
        | Statement::RefreshMaterializedView(_)
        | Statement::Lock(_)
        | Statement::LISTEN { .. }
        | Statement::NOTIFY { .. }
        | Statement::Deallocate { .. } => {}
        Statement::CreateTable(create) => {
            // MariaDB's CREATE OR REPLACE TABLE drops the table there first, rows and all.
            if create.or_replace {
                let (schema, table) = split_name(&create.name);
                out.push(certain(
                    DataObject::table(schema.as_deref(), &table),
                    RowMeasure::Rows,
                    format!("`{quoted}` replaces the table: it drops it and every row in it"),
                ));
            }
            if let Some(query) = &create.query {
                query_losses(query, context, out);
            }
        }
        // Renaming an enum's value changes what every stored value reads as.
        Statement::AlterType(alter) => {
            // Unknown rather than the type: the second layer does not see labels change, and
            // a confirmation of the type's drop must not cover it.
            if let AlterTypeOperation::RenameValue(_) = alter.operation {
                out.push(DataLoss {
                    object: DataObject::Unknown,
                    reason: format!(
                        "`{quoted}` changes what every stored value of that label reads as"
                    ),
                    measure: RowMeasure::Uncountable,
                    certainty: Certainty::Certain,
                });
            }
        }
        // A file or a program on the other end: outside the transaction the guard watches.
        Statement::Copy { .. } => out.push(DataLoss {
            object: DataObject::Unknown,
            reason: format!(
                "`{quoted}` reads or writes outside the database, where the guard cannot verify it"
            ),
            measure: RowMeasure::Uncountable,
            certainty: Certainty::Certain,
        }),
        Statement::CreateView(view) => {
            // A materialized view runs its query now; a plain view only stores it.
            if view.materialized {
                query_losses(&view.query, context, out);
            }
        }
        Statement::Drop {
            object_type,
            names,
            cascade,
            ..
        } => {
            for name in names {
                let (schema, last) = split_name(name);
                let loss = match object_type {
                    ObjectType::Table => Some(certain(
                        DataObject::table(schema.as_deref(), &last),
                        RowMeasure::Rows,
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
            // A schema, database or type dropped with CASCADE names its dependents already
            // ("every table in it", "every column of that type"); from a table, a view or a
            // function a cascade reaches columns of other tables, which need their own
            // confirmation.
            if *cascade
                && !matches!(
                    object_type,
                    ObjectType::Schema | ObjectType::Database | ObjectType::Type
                )
            {
                out.push(cascade_loss(&quoted));
            }
        }
        Statement::DropDomain(drop) => {
            if drop.drop_behavior == Some(DropBehavior::Cascade) {
                let (_, name) = split_name(&drop.name);
                out.push(named_loss(
                    "domain",
                    &name,
                    format!("`{quoted}` drops every column of that domain"),
                ));
            }
        }
        Statement::DropExtension(drop) => {
            if drop.cascade_or_restrict == Some(ReferentialAction::Cascade) {
                for name in &drop.names {
                    out.push(named_loss(
                        "extension",
                        &identifier(name),
                        format!("`{quoted}` drops every column whose type the extension provides"),
                    ));
                }
            }
        }
        Statement::DropFunction(drop) => {
            if drop.drop_behavior == Some(DropBehavior::Cascade) {
                out.push(cascade_loss(&quoted));
            }
        }
        Statement::DropProcedure { drop_behavior, .. } => {
            if *drop_behavior == Some(DropBehavior::Cascade) {
                out.push(cascade_loss(&quoted));
            }
        }
        Statement::DropTrigger(drop) => {
            if drop.option == Some(ReferentialAction::Cascade) {
                out.push(cascade_loss(&quoted));
            }
        }
        Statement::DropPolicy(drop) => {
            if drop.drop_behavior == Some(DropBehavior::Cascade) {
                out.push(cascade_loss(&quoted));
            }
        }
        Statement::DropRule(drop) => {
            if drop.drop_behavior == Some(DropBehavior::Cascade) {
                out.push(cascade_loss(&quoted));
            }
        }
        Statement::Truncate(truncate) => {
            for target in &truncate.table_names {
                let (schema, table) = split_name(&target.name);
                out.push(certain(
                    DataObject::table(schema.as_deref(), &table),
                    RowMeasure::Rows,
                    format!("`{quoted}` removes every row"),
                ));
            }
            if truncate.cascade == Some(CascadeOption::Cascade) {
                out.push(DataLoss {
                    object: DataObject::Unknown,
                    reason: format!(
                        "`{quoted}` also empties every table whose foreign keys reference it"
                    ),
                    measure: RowMeasure::Uncountable,
                    certainty: Certainty::Possible,
                });
            }
        }
        Statement::Delete(delete) => {
            let from = match &delete.from {
                FromTable::WithFromKeyword(tables) | FromTable::WithoutKeyword(tables) => tables,
            };
            let mut objects: Vec<DataObject> = delete.tables.iter().map(table_object).collect();
            if objects.is_empty() {
                objects.extend(from.iter().filter_map(relation_object));
            }
            for object in objects {
                catalog_edit(&object, &quoted, out);
                out.push(match &delete.selection {
                    None => certain(
                        object,
                        RowMeasure::Rows,
                        format!("`{quoted}` has no WHERE, so it removes every row"),
                    ),
                    Some(_) => possible(
                        object,
                        RowMeasure::Rows,
                        format!("`{quoted}` removes the rows its WHERE matches"),
                    ),
                });
            }
            expression_losses(statement, out);
        }
        Statement::Update(update) => {
            let Some(object) = relation_object(&update.table) else {
                out.push(unknown_statement(&quoted));
                return;
            };
            // MySQL's multi-table UPDATE (`UPDATE t JOIN u ... SET u.v = ...`) and the FROM of
            // PostgreSQL and SQLite: an assignment may write another table than the first.
            let joined = !update.table.joins.is_empty() || update.from.is_some();
            if joined {
                let names = first_table_names(&update.table);
                for target in foreign_targets(&update.assignments, &names) {
                    out.push(possible(
                        DataObject::Unknown,
                        RowMeasure::Uncountable,
                        format!("`{quoted}` overwrites {target} in a table it joins"),
                    ));
                }
            }
            let columns = assigned_columns(&update.assignments);
            let backfill = !joined && object.table_name().is_some_and(|(_, table)| {
                columns.iter().all(|column| {
                    context
                        .added_columns
                        .contains(&(table.to_string(), column.clone()))
                })
            });
            if !backfill {
                for column in &columns {
                    let column_object = column_of(&object, column);
                    out.push(match &update.selection {
                        None => certain(
                            column_object,
                            RowMeasure::NonNullValues,
                            format!(
                                "`{quoted}` has no WHERE, so it overwrites the column in every row"
                            ),
                        ),
                        Some(_) => possible(
                            column_object,
                            RowMeasure::NonNullValues,
                            format!(
                                "`{quoted}` overwrites the column in the rows its WHERE matches"
                            ),
                        ),
                    });
                }
            }
            if update.or == Some(SqliteOnConflict::Replace) {
                out.push(replace_loss(object.clone(), &quoted));
            }
            triggered(&object, context, &quoted, out);
            catalog_edit(&object, &quoted, out);
            expression_losses(statement, out);
        }
        Statement::Insert(insert) => {
            let object = match &insert.table {
                TableObject::TableName(name) => table_object(name),
                _ => DataObject::Unknown,
            };
            if insert.replace_into || insert.or == Some(SqliteOnConflict::Replace) {
                out.push(replace_loss(object.clone(), &quoted));
            }
            let overwritten = match &insert.on {
                Some(OnInsert::OnConflict(conflict)) => match &conflict.action {
                    OnConflictAction::DoUpdate(update) => assigned_columns(&update.assignments),
                    OnConflictAction::DoNothing => Vec::new(),
                },
                Some(OnInsert::DuplicateKeyUpdate(assignments)) => assigned_columns(assignments),
                Some(_) => vec![String::new()],
                None => Vec::new(),
            };
            for column in overwritten {
                out.push(possible(
                    column_of(&object, &column),
                    RowMeasure::NonNullValues,
                    format!("`{quoted}` overwrites the column in the rows it conflicts with"),
                ));
            }
            triggered(&object, context, &quoted, out);
            catalog_edit(&object, &quoted, out);
            if let Some(source) = &insert.source {
                query_losses(source, context, out);
            }
            expression_losses(statement, out);
        }
        Statement::Merge(merge) => {
            let object = match &merge.table {
                TableFactor::Table { name, .. } => table_object(name),
                _ => DataObject::Unknown,
            };
            for clause in &merge.clauses {
                match &clause.action {
                    MergeAction::Delete { .. } => out.push(possible(
                        object.clone(),
                        RowMeasure::Rows,
                        format!("`{quoted}` deletes the rows it matches"),
                    )),
                    MergeAction::Update(update) => {
                        let columns = match &update.kind {
                            MergeUpdateKind::Set(assignments) => assigned_columns(assignments),
                            _ => vec![String::new()],
                        };
                        for column in columns {
                            out.push(possible(
                                column_of(&object, &column),
                                RowMeasure::NonNullValues,
                                format!("`{quoted}` overwrites the column in the rows it matches"),
                            ));
                        }
                        if update.delete_predicate.is_some() {
                            out.push(possible(
                                object.clone(),
                                RowMeasure::Rows,
                                format!("`{quoted}` deletes the rows it matches"),
                            ));
                        }
                    }
                    _ => {}
                }
            }
            triggered(&object, context, &quoted, out);
            catalog_edit(&object, &quoted, out);
            expression_losses(statement, out);
        }
        Statement::Query(query) => query_losses(query, context, out),
        Statement::Explain {
            analyze,
            statement: explained,
            options,
            ..
        } => {
            // EXPLAIN ANALYZE runs the statement it explains.
            let analyze_option = options.iter().flatten().any(|option| {
                option.name.value.eq_ignore_ascii_case("analyze")
                    && !matches!(&option.arg, Some(arg) if arg.to_string().eq_ignore_ascii_case("false") || arg.to_string() == "0" || arg.to_string().eq_ignore_ascii_case("off"))
            });
            if *analyze || analyze_option {
                statement_losses(explained, context, out);
            }
        }
        // Whatever a prepared statement destroys, it destroys when it is executed.
        Statement::Prepare {
            statement: prepared,
            ..
        } => statement_losses(prepared, context, out),
        Statement::Pragma { name, .. } => {
            let (_, pragma) = split_name(name);
            if pragma == "writable_schema" {
                out.push(DataLoss {
                    object: DataObject::Unknown,
                    reason: format!(
                        "`{quoted}` lets SQL edit the schema table itself, which can drop or corrupt any table"
                    ),
                    measure: RowMeasure::Uncountable,
                    certainty: Certainty::Certain,
                });
            } else if !SAFE_PRAGMAS.contains(&pragma.as_str()) {
                out.push(unknown_statement(&quoted));
            }
        }
        Statement::AlterTable(alter) => {
            let (schema, table) = split_name(&alter.name);
            for operation in &alter.operations {
                alter_table_losses(operation, schema.as_deref(), &table, &quoted, out);
            }
            expression_losses(statement, out);
        }
        // Everything else (transaction control, EXECUTE, CALL, COPY, ...) is unknown to the
        // guard, so it may destroy anything.
        _ => out.push(unknown_statement(&quoted)),
    }
}

/// Whether `set` assigns MySQL's `sql_mode` (`sql_mode`, `@@sql_mode`, `SESSION sql_mode`,
/// `@@GLOBAL.sql_mode`, ...).
fn sets_sql_mode(set: &Set) -> bool {
    let is_sql_mode = |name: &ObjectName| {
        let name = name.to_string().to_lowercase().replace('`', "");
        name.rsplit('.')
            .next()
            .map(|last| last.trim_start_matches('@'))
            == Some("sql_mode")
    };
    match set {
        Set::SingleAssignment { variable, .. } => is_sql_mode(variable),
        Set::ParenthesizedAssignments { variables, .. } => variables.iter().any(is_sql_mode),
        Set::MultipleAssignments { assignments } => assignments
            .iter()
            .any(|assignment| is_sql_mode(&assignment.name)),
        _ => false,
    }
}

fn alter_table_losses(
    operation: &AlterTableOperation,
    schema: Option<&str>,
    table: &str,
    quoted: &str,
    out: &mut Vec<DataLoss>,
) {
    match operation {
        AlterTableOperation::DropColumn {
            column_names,
            drop_behavior,
            ..
        } => {
            for column in column_names {
                out.push(certain(
                    DataObject::column(schema, table, &identifier(column)),
                    RowMeasure::NonNullValues,
                    format!("`{quoted}` drops the column and every value in it"),
                ));
            }
            if *drop_behavior == Some(DropBehavior::Cascade) {
                out.push(cascade_loss(quoted));
            }
        }
        AlterTableOperation::AlterColumn { column_name, op } => match op {
            AlterColumnOperation::SetDataType {
                data_type, using, ..
            } => {
                let column = identifier(column_name);
                let object = DataObject::column(schema, table, &column);
                out.push(match using {
                    Some(using) if !is_plain_conversion(using, &column) => certain(
                        object,
                        RowMeasure::NonNullValues,
                        format!("`{quoted}` computes every value anew with its USING expression"),
                    ),
                    _ => possible(
                        object,
                        RowMeasure::NonNullValues,
                        format!(
                            "`{quoted}` changes the column's type to {data_type}; whether values survive depends on its current type"
                        ),
                    ),
                })
            }
            AlterColumnOperation::SetNotNull
            | AlterColumnOperation::DropNotNull
            | AlterColumnOperation::SetDefault { .. }
            | AlterColumnOperation::DropDefault => {}
            _ => out.push(unknown_statement(quoted)),
        },
        AlterTableOperation::DropConstraint { drop_behavior, .. } => {
            if *drop_behavior == Some(DropBehavior::Cascade) {
                out.push(cascade_loss(quoted));
            }
        }
        AlterTableOperation::AddColumn { .. }
        | AlterTableOperation::AddConstraint { .. }
        | AlterTableOperation::ValidateConstraint { .. }
        | AlterTableOperation::RenameColumn { .. }
        | AlterTableOperation::RenameTable { .. }
        | AlterTableOperation::RenameConstraint { .. }
        | AlterTableOperation::EnableTrigger { .. }
        | AlterTableOperation::DisableTrigger { .. }
        | AlterTableOperation::EnableRule { .. }
        | AlterTableOperation::DisableRule { .. }
        | AlterTableOperation::EnableRowLevelSecurity
        | AlterTableOperation::DisableRowLevelSecurity
        | AlterTableOperation::OwnerTo { .. } => {}
        _ => out.push(unknown_statement(quoted)),
    }
}

/// `USING column`, `USING column::type` or `USING CAST(column AS type)`: the values converted
/// as they are, which the type change itself judges.
fn is_plain_conversion(using: &Expr, column: &str) -> bool {
    match using {
        Expr::Identifier(ident) => identifier(ident) == column,
        Expr::Nested(inner) => is_plain_conversion(inner, column),
        Expr::Cast { expr, .. } => is_plain_conversion(expr, column),
        _ => false,
    }
}

/// Data-modifying statements inside a query (PostgreSQL's `WITH d AS (DELETE ...) SELECT ...`)
/// and the functions it calls.
fn query_losses(query: &Query, context: &Context, out: &mut Vec<DataLoss>) {
    if let Some(with) = &query.with {
        for cte in &with.cte_tables {
            query_losses(&cte.query, context, out);
        }
    }
    set_expr_losses(&query.body, context, out);
    function_losses(query, &cut(&query.to_string()), out);
}

fn set_expr_losses(body: &SetExpr, context: &Context, out: &mut Vec<DataLoss>) {
    match body {
        SetExpr::Query(query) => query_losses(query, context, out),
        SetExpr::SetOperation { left, right, .. } => {
            set_expr_losses(left, context, out);
            set_expr_losses(right, context, out);
        }
        SetExpr::Insert(statement)
        | SetExpr::Update(statement)
        | SetExpr::Delete(statement)
        | SetExpr::Merge(statement) => statement_losses(statement, context, out),
        _ => {}
    }
}

fn expression_losses(statement: &Statement, out: &mut Vec<DataLoss>) {
    function_losses(statement, &quote(statement), out);
}

/// The calls of functions that are not known to be pure: user code may delete anything.
/// `quoted` is the statement (or fragment) they are in, for the report.
fn function_losses<V: sqlparser::ast::Visit>(node: &V, quoted: &str, out: &mut Vec<DataLoss>) {
    let _ = visit_expressions(node, |expr| {
        if let Expr::Function(function) = expr {
            let (schema, name) = split_name(&function.name);
            let builtin = matches!(schema.as_deref(), None | Some("pg_catalog" | "main"));
            if let Some((_, kind, effect)) = DESTRUCTIVE_FUNCTIONS
                .iter()
                .find(|(known, _, _)| builtin && *known == name)
            {
                out.push(named_loss(
                    kind,
                    &first_argument(&function.args.to_string()),
                    format!("`{quoted}` {effect}"),
                ));
            } else if !(builtin && PURE_FUNCTIONS.contains(&name.as_str())) {
                out.push(DataLoss {
                    object: DataObject::Unknown,
                    reason: format!(
                        "it calls {}(), which may change or delete data the guard cannot see",
                        function.name
                    ),
                    measure: RowMeasure::Uncountable,
                    certainty: Certainty::Possible,
                });
            }
        }
        ControlFlow::<()>::Continue(())
    });
}

/// `('users_id_seq', 1, false)` -> `users_id_seq`: the object a destructive function names.
fn first_argument(args: &str) -> String {
    let inner = args.trim().trim_start_matches('(').trim_end_matches(')');
    let first = inner.split(',').next().unwrap_or_default().trim();
    let first = first.split("::").next().unwrap_or_default();
    first.trim_matches('\'').trim_matches('"').to_string()
}

/// DML on the database's own catalog (`pg_enum`, `sqlite_sequence`, ...): what it changes is
/// outside the tables the second layer watches.
fn catalog_edit(object: &DataObject, quoted: &str, out: &mut Vec<DataLoss>) {
    let Some((schema, table)) = object.table_name() else {
        return;
    };
    if schema == Some("pg_catalog") || table.starts_with("pg_") || table.starts_with("sqlite_") {
        out.push(DataLoss {
            object: DataObject::Unknown,
            reason: format!(
                "`{quoted}` edits the database's own catalog, which the guard cannot verify"
            ),
            measure: RowMeasure::Uncountable,
            certainty: Certainty::Certain,
        });
    }
}

/// A DML statement on a table the plan put a trigger or rule on: the trigger's body runs too.
fn triggered(object: &DataObject, context: &Context, quoted: &str, out: &mut Vec<DataLoss>) {
    if let Some((_, table)) = object.table_name() {
        if context.triggered_tables.contains(table) {
            out.push(DataLoss {
                object: DataObject::Unknown,
                reason: format!(
                    "`{quoted}` fires a trigger or rule the plan created on {table}, whose effects the guard cannot see"
                ),
                measure: RowMeasure::Uncountable,
                certainty: Certainty::Possible,
            });
        }
    }
}

/// The name and alias of the first table of an UPDATE, which its own columns may be qualified
/// with.
fn first_table_names(table: &TableWithJoins) -> Vec<String> {
    match &table.relation {
        TableFactor::Table { name, alias, .. } => {
            let mut names = vec![split_name(name).1];
            names.extend(alias.iter().map(|alias| identifier(&alias.name)));
            names
        }
        _ => Vec::new(),
    }
}

/// The assignment targets not qualified with one of `names` (the first table's): in a joined
/// UPDATE, columns that may be another table's.
fn foreign_targets(assignments: &[sqlparser::ast::Assignment], names: &[String]) -> Vec<String> {
    let targets = assignments
        .iter()
        .flat_map(|assignment| match &assignment.target {
            AssignmentTarget::ColumnName(name) => vec![name],
            AssignmentTarget::Tuple(names) => names.iter().collect(),
        });
    targets
        .filter(|target| {
            // Unqualified, the column may be any joined table's.
            let (qualifier, _) = split_name(target);
            qualifier.is_none_or(|qualifier| !names.contains(&qualifier))
        })
        .map(|target| target.to_string())
        .collect()
}

fn assigned_columns(assignments: &[sqlparser::ast::Assignment]) -> Vec<String> {
    assignments
        .iter()
        .flat_map(|assignment| match &assignment.target {
            AssignmentTarget::ColumnName(name) => vec![split_name(name).1],
            AssignmentTarget::Tuple(names) => names.iter().map(|name| split_name(name).1).collect(),
        })
        .collect()
}

/// The column of `table`; the table itself when the column is not known.
fn column_of(table: &DataObject, column: &str) -> DataObject {
    match (table, column) {
        (DataObject::Table { schema, table }, column) if !column.is_empty() => {
            DataObject::column(schema.as_deref(), table, column)
        }
        (other, _) => other.clone(),
    }
}

fn certain(object: DataObject, measure: RowMeasure, reason: String) -> DataLoss {
    DataLoss {
        object,
        reason,
        measure,
        certainty: Certainty::Certain,
    }
}

fn possible(object: DataObject, measure: RowMeasure, reason: String) -> DataLoss {
    DataLoss {
        object,
        reason,
        measure,
        certainty: Certainty::Possible,
    }
}

/// Certain rather than possible: SQLite's update hook does not see the rows a REPLACE
/// conflict deletes, so only a count before it runs (an empty table) can clear it.
fn replace_loss(object: DataObject, quoted: &str) -> DataLoss {
    certain(
        object,
        RowMeasure::Rows,
        format!("`{quoted}` replaces: it deletes every row it conflicts with"),
    )
}

fn cascade_loss(quoted: &str) -> DataLoss {
    DataLoss {
        object: DataObject::Unknown,
        reason: format!(
            "`{quoted}` cascades: it also drops whatever depends on it, columns of other tables included"
        ),
        measure: RowMeasure::Uncountable,
        certainty: Certainty::Possible,
    }
}

fn unknown_statement(quoted: &str) -> DataLoss {
    DataLoss {
        object: DataObject::Unknown,
        reason: format!("the guard does not know what `{quoted}` does, so it may destroy data"),
        measure: RowMeasure::Uncountable,
        certainty: Certainty::Possible,
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
        certainty: Certainty::Certain,
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

/// The statement as the parser prints it, cut to fit on a report line.
fn quote(statement: &Statement) -> String {
    cut(&statement.to_string())
}
