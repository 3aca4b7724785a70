//! PostgreSQL's locks, statement by statement, as of PostgreSQL 11: the lock each `ALTER
//! TABLE` subcommand takes (the strongest of them for the statement), which changes only the
//! catalog and which scan, build an index or rewrite the table. Facts the text alone cannot
//! settle come from what the reader saw before: a column's type, a validated
//! `CHECK (c IS NOT NULL)`, the table of an index, the tables created in the same run.

use std::ops::ControlFlow;

use sqlparser::ast::{
    visit_expressions, visit_relations, AlterColumnOperation, AlterIndexOperation,
    AlterTableOperation, CascadeOption, ColumnDef, ColumnOption, CommentObject, Expr, FromTable,
    GeneratedExpressionMode, Ident, LockTableMode, ObjectName, ObjectNamePart, ObjectType, Query,
    RenameTableNameKind, Statement, TableConstraint, TableFactor, TableObject, Visit, Visitor,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Span, Token};

use crate::ops::{normalize_type_text, ColumnType, Operation};
use crate::sql_text::{
    cut, for_each_statement, identifier, one_line, split_name, split_statements, tokens,
    PURE_FUNCTIONS,
};

use super::{Effect, LockMode, Locks, Relation, Rule, StatementLocks, TableWork};

/// Built-in functions that give another value at each call: a column default calling one is
/// computed for every existing row, which rewrites the table. Some are in `PURE_FUNCTIONS`
/// too: they change no data, but their value changes.
const VOLATILE_FUNCTIONS: &[&str] = &[
    "clock_timestamp",
    "gen_random_bytes",
    "gen_random_uuid",
    "nextval",
    "random",
    "random_normal",
    "timeofday",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "uuidv4",
    "uuidv7",
];

/// Column types that are an integer with a sequence's `nextval()` as default.
const SERIAL_TYPES: &[&str] = &[
    "serial",
    "serial2",
    "serial4",
    "serial8",
    "smallserial",
    "bigserial",
];

/// What the statements read so far made, in the order they ran.
#[derive(Debug, Clone, Default)]
pub(super) struct Reader {
    /// Tables created by a statement read before: they hold no rows and no traffic yet.
    created: Vec<Relation>,
    /// Each index's table, from `CREATE INDEX` or a `drop_index`'s `table_name`.
    index_tables: Vec<(Relation, Relation)>,
    /// Column types, from `CREATE TABLE`, `ADD COLUMN`, `ALTER COLUMN TYPE` or an
    /// `alter_column`'s `existing_type`.
    column_types: Vec<(Relation, String, ColumnType)>,
    /// `CHECK (c IS NOT NULL)` constraints added NOT VALID, by table, name and column.
    not_null_checks: Vec<(Relation, String, String)>,
    /// Columns a valid `CHECK (c IS NOT NULL)` covers: PostgreSQL 12 and later then skip the
    /// scan of `SET NOT NULL`.
    proven_not_null: Vec<(Relation, String)>,
}

impl Reader {
    /// Takes in what an operation knows and its SQL does not say.
    pub(super) fn learn(&mut self, op: &Operation) {
        match op {
            Operation::AlterColumn(alter) => {
                if let Some(existing) = &alter.existing_type {
                    let table = Relation::table(alter.schema.as_deref(), &alter.table_name);
                    // `existing_sql_type` as PostgreSQL spells it, like the types read from SQL.
                    let existing = match existing {
                        ColumnType::Sql(spelled) => ColumnType::from_postgres_spelling(spelled),
                        known => known.clone(),
                    };
                    self.set_column_type(&table, &alter.column_name, existing);
                }
            }
            Operation::DropIndex(drop) => {
                if let Some(table) = &drop.table_name {
                    self.index_tables.push((
                        Relation::table(drop.schema.as_deref(), &drop.index_name),
                        Relation::table(drop.schema.as_deref(), table),
                    ));
                }
            }
            _ => {}
        }
    }

    /// What each statement of `sql` locks, in order. A text the parser cannot read whole is
    /// read statement by statement, and a statement it cannot read is judged by its words,
    /// else unknown.
    pub(super) fn read(&mut self, sql: &str) -> Vec<StatementLocks> {
        let dialect = &PostgreSqlDialect {};
        // Each statement's text as written where the tokenizer's split agrees with the
        // parser, else as the parser prints it.
        let pieces = split_statements(sql, dialect).unwrap_or_else(|| vec![sql.to_string()]);
        let mut statements = Vec::new();
        let read: Vec<(String, Option<Statement>)> = match for_each_statement(
            sql,
            dialect,
            |statement| statements.push(statement.clone()),
        ) {
            Ok(()) if statements.len() == pieces.len() => pieces
                .into_iter()
                .zip(statements.into_iter().map(Some))
                .collect(),
            Ok(()) => statements
                .into_iter()
                .map(|statement| (statement.to_string(), Some(statement)))
                .collect(),
            // A statement read only up to an error is not the statement that runs: each
            // piece is read on its own, and one the parser cannot read by its words.
            Err(_) => pieces
                .into_iter()
                .map(|piece| {
                    let mut statements = Vec::new();
                    let parsed = for_each_statement(&piece, dialect, |statement| {
                        statements.push(statement.clone())
                    });
                    match (parsed, statements.as_slice()) {
                        (Ok(()), [statement]) => {
                            let statement = statement.clone();
                            (piece, Some(statement))
                        }
                        _ => (piece, None),
                    }
                })
                .collect(),
        };
        read.into_iter()
            .map(|(text, statement)| {
                let effect = match &statement {
                    Some(statement) => self.statement(statement),
                    None => self.by_words(&text),
                };
                StatementLocks {
                    sql: cut(&one_line(&text)),
                    effect: self.finish(effect),
                }
            })
            .collect()
    }

    /// Drops the locks on, and the rules about, tables created earlier.
    fn finish(&self, effect: Effect) -> Effect {
        match effect {
            Effect::Known(mut locks) => {
                if let Some((table, _)) = &locks.work {
                    if self.is_new(table) {
                        locks.rules.clear();
                    }
                }
                Effect::Known(locks)
            }
            Effect::Unknown => Effect::Unknown,
        }
    }

    fn is_new(&self, table: &Relation) -> bool {
        self.created.iter().any(|created| created.same_as(table))
    }

    /// The index's table when a statement before said it, else the index's own stand-in.
    fn table_of_index(&self, index: &ObjectName) -> Relation {
        let index = relation(index);
        self.index_tables
            .iter()
            .rev()
            .find(|(known, _)| known.same_as(&index))
            .map(|(_, table)| table.clone())
            .unwrap_or(match index {
                Relation::Table { schema, name } => Relation::TableOfIndex {
                    schema,
                    index: name,
                },
                other => other,
            })
    }

    fn set_column_type(&mut self, table: &Relation, column: &str, type_: ColumnType) {
        self.column_types
            .retain(|(known, name, _)| !(known.same_as(table) && name == column));
        self.column_types
            .push((table.clone(), column.to_string(), type_));
    }

    fn column_type(&self, table: &Relation, column: &str) -> Option<&ColumnType> {
        self.column_types
            .iter()
            .rev()
            .find(|(known, name, _)| known.same_as(table) && name == column)
            .map(|(_, _, type_)| type_)
    }

    /// The effect of `sql` when it is exactly one statement the parser reads.
    fn one_statement(&mut self, sql: &str) -> Effect {
        let mut statements = Vec::new();
        let parsed = for_each_statement(sql, &PostgreSqlDialect {}, |statement| {
            statements.push(statement.clone())
        });
        match (parsed, statements.as_slice()) {
            (Ok(()), [statement]) => self.statement(statement),
            _ => Effect::Unknown,
        }
    }

    fn statement(&mut self, statement: &Statement) -> Effect {
        match statement {
            Statement::AlterTable(alter) => self.alter_table(&alter.name, &alter.operations),
            Statement::CreateTable(create) => {
                if create.query.is_some()
                    || create.like.is_some()
                    || create.clone.is_some()
                    || create.inherits.is_some()
                    || create.partition_of.is_some()
                {
                    return Effect::Unknown;
                }
                let table = relation(&create.name);
                let mut change = Change::new(table.clone());
                for column in &create.columns {
                    for option in &column.options {
                        if let ColumnOption::ForeignKey(key) = &option.option {
                            change.referenced(&table, &key.foreign_table);
                        }
                    }
                    self.set_column_type(&table, &identifier(&column.name), type_of(column));
                }
                for constraint in &create.constraints {
                    if let TableConstraint::ForeignKey(key) = constraint {
                        change.referenced(&table, &key.foreign_table);
                    }
                }
                // IF NOT EXISTS may find the table there, holding rows from before.
                if !create.if_not_exists {
                    self.created.push(table.clone());
                }
                change.into_effect_without_own_lock()
            }
            Statement::CreateIndex(create) => {
                let table = relation(&create.table_name);
                if let Some(name) = &create.name {
                    self.index_tables.push((relation(name), table.clone()));
                }
                let mut change = Change::new(table);
                change.work(TableWork::IndexBuild);
                if create.concurrently {
                    change.lock(LockMode::ShareUpdateExclusive);
                } else {
                    change.lock(LockMode::Share);
                    change.rule(Rule::RequireConcurrentIndexCreation);
                }
                change.into_effect()
            }
            Statement::Drop {
                object_type,
                names,
                cascade,
                ..
            } => {
                // A cascade reaches objects of other tables the statement does not name.
                if *cascade {
                    return Effect::Unknown;
                }
                match object_type {
                    ObjectType::Table
                    | ObjectType::View
                    | ObjectType::MaterializedView
                    | ObjectType::Sequence => {
                        let mut locks = Locks::default();
                        for name in names {
                            push_lock(&mut locks, relation(name), LockMode::AccessExclusive);
                        }
                        if let [name] = names.as_slice() {
                            locks.work = Some((relation(name), TableWork::CatalogOnly));
                        }
                        Effect::Known(locks)
                    }
                    ObjectType::Index => match names.as_slice() {
                        [index] => {
                            let mut change = Change::new(self.table_of_index(index));
                            change.lock(LockMode::AccessExclusive);
                            change.work(TableWork::CatalogOnly);
                            change.rule(Rule::RequireConcurrentIndexDeletion);
                            change.into_effect()
                        }
                        _ => Effect::Unknown,
                    },
                    // Without CASCADE a type in use or a schema holding tables is refused.
                    ObjectType::Type | ObjectType::Schema => no_table_lock(),
                    _ => Effect::Unknown,
                }
            }
            Statement::AlterIndex {
                name,
                operation: AlterIndexOperation::RenameIndex { .. },
            } => {
                let mut locks = Locks::default();
                push_lock(&mut locks, relation(name), LockMode::ShareUpdateExclusive);
                locks.work = Some((relation(name), TableWork::CatalogOnly));
                Effect::Known(locks)
            }
            Statement::CreateTrigger(trigger) => {
                table_catalog_change(relation(&trigger.table_name), LockMode::ShareRowExclusive)
            }
            Statement::DropTrigger(trigger) => match &trigger.table_name {
                Some(table) => table_catalog_change(relation(table), LockMode::AccessExclusive),
                None => Effect::Unknown,
            },
            Statement::Comment {
                object_type,
                object_name,
                ..
            } => match object_type {
                CommentObject::Table
                | CommentObject::Index
                | CommentObject::Sequence
                | CommentObject::View
                | CommentObject::MaterializedView => {
                    table_catalog_change(relation(object_name), LockMode::ShareUpdateExclusive)
                }
                CommentObject::Column => {
                    let mut table = object_name.clone();
                    table.0.pop();
                    table_catalog_change(relation(&table), LockMode::ShareUpdateExclusive)
                }
                // A comment on a type, a function or a schema locks no table.
                _ => no_table_lock(),
            },
            Statement::CreateType { .. }
            | Statement::AlterType(_)
            | Statement::CreateSequence { .. }
            | Statement::CreateSchema { .. }
            | Statement::CreateDomain(_)
            | Statement::CreateFunction(_)
            | Statement::Set(_) => no_table_lock(),
            Statement::Lock(lock) => {
                // LOCK TABLE without a mode takes ACCESS EXCLUSIVE.
                let mode = lock
                    .lock_mode
                    .as_ref()
                    .map(lock_mode)
                    .unwrap_or(LockMode::AccessExclusive);
                let mut locks = Locks::default();
                for target in &lock.tables {
                    push_lock(&mut locks, relation(&target.name), mode);
                }
                Effect::Known(locks)
            }
            Statement::Truncate(truncate) => {
                if truncate.cascade == Some(CascadeOption::Cascade) {
                    return Effect::Unknown;
                }
                let mut locks = Locks::default();
                for target in &truncate.table_names {
                    push_lock(
                        &mut locks,
                        relation(&target.name),
                        LockMode::AccessExclusive,
                    );
                }
                if let [target] = truncate.table_names.as_slice() {
                    locks.work = Some((relation(&target.name), TableWork::CatalogOnly));
                }
                Effect::Known(locks)
            }
            Statement::Vacuum(vacuum) => match &vacuum.table_name {
                Some(table) => {
                    let mut change = Change::new(relation(table));
                    if vacuum.full {
                        change.lock(LockMode::AccessExclusive);
                        change.work(TableWork::Rewrite);
                        change.rule(Rule::RewritingTable);
                    } else {
                        change.lock(LockMode::ShareUpdateExclusive);
                        change.work(TableWork::Scan);
                    }
                    change.into_effect()
                }
                None => Effect::Unknown,
            },
            Statement::Analyze(analyze) => match &analyze.table_name {
                Some(table) => {
                    let mut change = Change::new(relation(table));
                    change.lock(LockMode::ShareUpdateExclusive);
                    change.work(TableWork::ReadsRows);
                    change.into_effect()
                }
                None => Effect::Unknown,
            },
            Statement::Insert(insert) => match &insert.table {
                TableObject::TableName(name) => rows(statement, Some(relation(name))),
                _ => Effect::Unknown,
            },
            Statement::Update(update) => match &update.table.relation {
                TableFactor::Table { name, .. } => rows(statement, Some(relation(name))),
                _ => Effect::Unknown,
            },
            Statement::Delete(delete) => {
                let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) =
                    &delete.from;
                match (delete.tables.as_slice(), from.as_slice()) {
                    ([], [target]) => match &target.relation {
                        TableFactor::Table { name, .. } => rows(statement, Some(relation(name))),
                        _ => Effect::Unknown,
                    },
                    _ => Effect::Unknown,
                }
            }
            Statement::Query(_) => rows(statement, None),
            _ => Effect::Unknown,
        }
    }

    fn alter_table(&mut self, name: &ObjectName, operations: &[AlterTableOperation]) -> Effect {
        let table = relation(name);
        let mut change = Change::new(table.clone());
        for operation in operations {
            match operation {
                AlterTableOperation::AddColumn { column_def, .. } => {
                    self.add_column(&table, column_def, &mut change)
                }
                AlterTableOperation::AddConstraint {
                    constraint,
                    not_valid,
                } => {
                    if !self.add_constraint(&table, constraint, *not_valid, &mut change) {
                        return Effect::Unknown;
                    }
                }
                AlterTableOperation::ValidateConstraint { name } => {
                    change.lock(LockMode::ShareUpdateExclusive);
                    change.work(TableWork::Scan);
                    let name = identifier(name);
                    let proven: Vec<(Relation, String)> = self
                        .not_null_checks
                        .iter()
                        .filter(|(known, check, _)| known.same_as(&table) && *check == name)
                        .map(|(known, _, column)| (known.clone(), column.clone()))
                        .collect();
                    self.proven_not_null.extend(proven);
                }
                AlterTableOperation::AlterColumn { column_name, op } => {
                    let column = identifier(column_name);
                    match op {
                        AlterColumnOperation::SetNotNull => {
                            change.lock(LockMode::AccessExclusive);
                            let proven = self
                                .proven_not_null
                                .iter()
                                .any(|(known, name)| known.same_as(&table) && *name == column);
                            if proven {
                                change.work(TableWork::CatalogOnly);
                            } else {
                                change.work(TableWork::Scan);
                                change.rule(Rule::SettingNotNullField);
                            }
                        }
                        AlterColumnOperation::SetDataType {
                            data_type, using, ..
                        } => {
                            change.lock(LockMode::AccessExclusive);
                            let new = ColumnType::from_postgres_spelling(&data_type.to_string());
                            let plain = using.as_ref().is_none_or(|using| {
                                matches!(using, Expr::Identifier(ident) if identifier(ident) == column)
                            });
                            let kept = plain
                                && self
                                    .column_type(&table, &column)
                                    .is_some_and(|old| keeps_storage(old, &new));
                            if kept {
                                change.work(TableWork::CatalogOnly);
                            } else {
                                change.work(TableWork::Rewrite);
                                change.rule(Rule::ChangingColumnType);
                            }
                            self.set_column_type(&table, &column, new);
                        }
                        // An identity on an existing column keeps its values.
                        AlterColumnOperation::DropNotNull
                        | AlterColumnOperation::SetDefault { .. }
                        | AlterColumnOperation::DropDefault
                        | AlterColumnOperation::AddGenerated { .. } => {
                            change.lock(LockMode::AccessExclusive);
                            change.work(TableWork::CatalogOnly);
                        }
                        _ => return Effect::Unknown,
                    }
                }
                AlterTableOperation::RenameTable { table_name } => {
                    change.lock(LockMode::AccessExclusive);
                    change.work(TableWork::CatalogOnly);
                    if self.is_new(&table) {
                        let new_name = match table_name {
                            RenameTableNameKind::As(name) | RenameTableNameKind::To(name) => name,
                        };
                        // RENAME TO takes a bare name: the table stays in its schema.
                        let renamed = match (&table, relation(new_name)) {
                            (Relation::Table { schema, .. }, Relation::Table { name, .. }) => {
                                Relation::Table {
                                    schema: schema.clone(),
                                    name,
                                }
                            }
                            (_, other) => other,
                        };
                        self.created.push(renamed);
                    }
                }
                AlterTableOperation::DropColumn { .. }
                | AlterTableOperation::DropConstraint { .. }
                | AlterTableOperation::RenameColumn { .. }
                | AlterTableOperation::RenameConstraint { .. }
                | AlterTableOperation::OwnerTo { .. }
                | AlterTableOperation::EnableRowLevelSecurity
                | AlterTableOperation::DisableRowLevelSecurity
                | AlterTableOperation::ForceRowLevelSecurity
                | AlterTableOperation::NoForceRowLevelSecurity
                | AlterTableOperation::EnableRule { .. }
                | AlterTableOperation::DisableRule { .. }
                | AlterTableOperation::EnableAlwaysRule { .. }
                | AlterTableOperation::EnableReplicaRule { .. }
                | AlterTableOperation::ReplicaIdentity { .. } => {
                    change.lock(LockMode::AccessExclusive);
                    change.work(TableWork::CatalogOnly);
                }
                AlterTableOperation::EnableTrigger { .. }
                | AlterTableOperation::DisableTrigger { .. }
                | AlterTableOperation::EnableAlwaysTrigger { .. }
                | AlterTableOperation::EnableReplicaTrigger { .. } => {
                    change.lock(LockMode::ShareRowExclusive);
                    change.work(TableWork::CatalogOnly);
                }
                AlterTableOperation::SetLogged | AlterTableOperation::SetUnlogged => {
                    change.lock(LockMode::AccessExclusive);
                    change.work(TableWork::Rewrite);
                    change.rule(Rule::RewritingTable);
                }
                _ => return Effect::Unknown,
            }
        }
        change.into_effect()
    }

    fn add_column(&mut self, table: &Relation, column: &ColumnDef, change: &mut Change) {
        change.lock(LockMode::AccessExclusive);
        let type_ = type_of(column);
        let serial = matches!(&type_, ColumnType::Sql(spelled)
            if SERIAL_TYPES.contains(&normalize_type_text(spelled).as_str()));
        self.set_column_type(table, &identifier(&column.name), type_);
        // Each existing row gets the default: a constant one is kept in the catalog
        // (PostgreSQL 11), a volatile one is computed for every row.
        let mut filled = serial;
        let mut not_null = false;
        let mut work = if serial {
            change.rule(Rule::AddingFieldWithVolatileDefault);
            TableWork::Rewrite
        } else {
            TableWork::CatalogOnly
        };
        for option in &column.options {
            let part = match &option.option {
                ColumnOption::Default(expr) => {
                    filled = true;
                    match volatility(expr) {
                        Volatility::Fixed => TableWork::CatalogOnly,
                        Volatility::Volatile => {
                            change.rule(Rule::AddingFieldWithVolatileDefault);
                            TableWork::Rewrite
                        }
                        Volatility::Unknown => TableWork::Unknown,
                    }
                }
                ColumnOption::Generated {
                    generation_expr: None,
                    ..
                } => {
                    // An identity column numbers every existing row.
                    filled = true;
                    change.rule(Rule::AddingFieldWithVolatileDefault);
                    TableWork::Rewrite
                }
                ColumnOption::Generated {
                    generation_expr: Some(_),
                    generation_expr_mode: Some(GeneratedExpressionMode::Stored),
                    ..
                } => {
                    filled = true;
                    change.rule(Rule::AddingStoredGeneratedField);
                    TableWork::Rewrite
                }
                ColumnOption::NotNull => {
                    not_null = true;
                    TableWork::CatalogOnly
                }
                ColumnOption::PrimaryKey(_) | ColumnOption::Unique(_) => {
                    change.rule(Rule::AddingUniqueConstraint);
                    TableWork::IndexBuild
                }
                ColumnOption::ForeignKey(key) => {
                    change.referenced(table, &key.foreign_table);
                    change.rule(Rule::AddingForeignKeyWithoutNotValid);
                    TableWork::Scan
                }
                ColumnOption::Check(_) => {
                    change.rule(Rule::AddingCheckConstraintWithoutNotValid);
                    TableWork::Scan
                }
                ColumnOption::Null | ColumnOption::Collation(_) | ColumnOption::Comment(_) => {
                    TableWork::CatalogOnly
                }
                _ => TableWork::Unknown,
            };
            work = work.and(part);
        }
        if not_null && !filled {
            // Every existing row would hold NULL: PostgreSQL checks them all, and fails at
            // the first.
            change.rule(Rule::AddingRequiredField);
            work = work.and(TableWork::Scan);
        }
        change.work(work);
    }

    /// Adds what `ADD CONSTRAINT` does to `change`; false for a constraint it does not know.
    fn add_constraint(
        &mut self,
        table: &Relation,
        constraint: &TableConstraint,
        not_valid: bool,
        change: &mut Change,
    ) -> bool {
        match constraint {
            TableConstraint::Check(check) => {
                change.lock(LockMode::AccessExclusive);
                let not_null_column = match check.expr.as_ref() {
                    Expr::IsNotNull(inner) => match inner.as_ref() {
                        Expr::Identifier(ident) => Some(identifier(ident)),
                        _ => None,
                    },
                    _ => None,
                };
                if not_valid {
                    change.work(TableWork::CatalogOnly);
                    if let (Some(column), Some(name)) = (not_null_column, &check.name) {
                        self.not_null_checks
                            .push((table.clone(), identifier(name), column));
                    }
                } else {
                    change.work(TableWork::Scan);
                    change.rule(Rule::AddingCheckConstraintWithoutNotValid);
                    if let Some(column) = not_null_column {
                        self.proven_not_null.push((table.clone(), column));
                    }
                }
            }
            TableConstraint::ForeignKey(key) => {
                change.lock(LockMode::ShareRowExclusive);
                change.referenced(table, &key.foreign_table);
                if not_valid {
                    change.work(TableWork::CatalogOnly);
                } else {
                    change.work(TableWork::Scan);
                    change.rule(Rule::AddingForeignKeyWithoutNotValid);
                }
            }
            TableConstraint::Unique(_) | TableConstraint::PrimaryKey(_) => {
                change.lock(LockMode::AccessExclusive);
                change.work(TableWork::IndexBuild);
                change.rule(Rule::AddingUniqueConstraint);
            }
            TableConstraint::UniqueUsingIndex(_) => {
                change.lock(LockMode::AccessExclusive);
                change.work(TableWork::CatalogOnly);
            }
            // The key's columns become NOT NULL, which scans unless they already are.
            TableConstraint::PrimaryKeyUsingIndex(_) => {
                change.lock(LockMode::AccessExclusive);
                change.work(TableWork::Unknown);
            }
            TableConstraint::Exclude(_) => {
                change.lock(LockMode::AccessExclusive);
                change.work(TableWork::IndexBuild);
                change.rule(Rule::AddingExclusionConstraint);
            }
            _ => return false,
        }
        true
    }

    /// Statements the parser does not read, recognised by their words: maintenance, and the
    /// `DO` block that runs one statement unless its object exists (rmig's `if_not_exists`
    /// for a type, as PostgreSQL has no `CREATE TYPE IF NOT EXISTS`).
    fn by_words(&mut self, sql: &str) -> Effect {
        let tokens = tokens(sql, &PostgreSqlDialect {});
        let mut words = Words::new(&tokens);
        if words.keyword("DO") {
            return match (words.dollar_quoted(), words.at_end()) {
                (Some(body), true) => match unless_exists_body(&body) {
                    Some(inner) => self.one_statement(&inner),
                    None => Effect::Unknown,
                },
                _ => Effect::Unknown,
            };
        }
        if words.keywords(&["DROP", "INDEX", "CONCURRENTLY"]) {
            words.keywords(&["IF", "EXISTS"]);
            let Some(index) = words.name() else {
                return Effect::Unknown;
            };
            words.keyword("RESTRICT");
            if !words.at_end() {
                return Effect::Unknown;
            }
            let mut change = Change::new(self.table_of_index(&index));
            change.lock(LockMode::ShareUpdateExclusive);
            change.work(TableWork::CatalogOnly);
            return change.into_effect();
        }
        if words.keyword("CLUSTER") {
            words.keyword("VERBOSE");
            let Some(table) = words.name() else {
                return Effect::Unknown;
            };
            if words.keyword("USING") && words.name().is_none() || !words.at_end() {
                return Effect::Unknown;
            }
            let mut change = Change::new(relation(&table));
            change.lock(LockMode::AccessExclusive);
            change.work(TableWork::Rewrite);
            change.rule(Rule::RewritingTable);
            return change.into_effect();
        }
        if words.keyword("REINDEX") {
            let of_index = words.keyword("INDEX");
            if !of_index && !words.keyword("TABLE") {
                return Effect::Unknown;
            }
            let concurrently = words.keyword("CONCURRENTLY");
            let (Some(name), true) = (words.name(), words.at_end()) else {
                return Effect::Unknown;
            };
            let table = if of_index {
                self.table_of_index(&name)
            } else {
                relation(&name)
            };
            let mut change = Change::new(table);
            change.work(TableWork::IndexBuild);
            if concurrently {
                change.lock(LockMode::ShareUpdateExclusive);
            } else {
                change.lock(LockMode::Share);
                change.rule(Rule::RequireConcurrentReindex);
                if of_index {
                    // The index itself is locked out of every query that would read it.
                    change.also(relation(&name), LockMode::AccessExclusive);
                }
            }
            return change.into_effect();
        }
        if words.keywords(&["ALTER", "SEQUENCE"]) {
            words.keywords(&["IF", "EXISTS"]);
            let (Some(sequence), true, Some(_), true) = (
                words.name(),
                words.keywords(&["RENAME", "TO"]),
                words.name(),
                words.at_end(),
            ) else {
                return Effect::Unknown;
            };
            return table_catalog_change(relation(&sequence), LockMode::AccessExclusive);
        }
        if words.keywords(&["ALTER", "TABLE"]) {
            words.keywords(&["IF", "EXISTS"]);
            words.keyword("ONLY");
            let Some(table) = words.name() else {
                return Effect::Unknown;
            };
            let mut change = Change::new(relation(&table));
            if words.keywords(&["SET", "TABLESPACE"]) && words.name().is_some() && words.at_end() {
                change.lock(LockMode::AccessExclusive);
                change.work(TableWork::Rewrite);
                change.rule(Rule::RewritingTable);
                return change.into_effect();
            }
            if words.keyword("ALTER") {
                words.keyword("COLUMN");
                if words.name().is_some()
                    && words.keywords(&["SET", "STATISTICS"])
                    && words.number()
                    && words.at_end()
                {
                    change.lock(LockMode::ShareUpdateExclusive);
                    change.work(TableWork::CatalogOnly);
                    return change.into_effect();
                }
            }
        }
        Effect::Unknown
    }
}

/// The locks and work of one statement on the table it changes, built up subcommand by
/// subcommand.
struct Change {
    table: Relation,
    mode: Option<LockMode>,
    work: Option<TableWork>,
    rules: Vec<Rule>,
    /// Other relations locked: a foreign key's referenced table, a rebuilt index.
    others: Vec<(Relation, LockMode)>,
}

impl Change {
    fn new(table: Relation) -> Change {
        Change {
            table,
            mode: None,
            work: None,
            rules: Vec::new(),
            others: Vec::new(),
        }
    }

    /// The statement takes `mode` on the table: it holds the strongest mode any part takes.
    fn lock(&mut self, mode: LockMode) {
        self.mode = Some(self.mode.map_or(mode, |held| held.max(mode)));
    }

    fn work(&mut self, work: TableWork) {
        self.work = Some(self.work.map_or(work, |done| done.and(work)));
    }

    fn rule(&mut self, rule: Rule) {
        if !self.rules.contains(&rule) {
            self.rules.push(rule);
        }
    }

    fn also(&mut self, relation: Relation, mode: LockMode) {
        self.others.push((relation, mode));
    }

    /// A foreign key from `table` to `referenced` locks the referenced table too (the
    /// triggers it adds there), with SHARE ROW EXCLUSIVE.
    fn referenced(&mut self, table: &Relation, referenced: &ObjectName) {
        let referenced = relation(referenced);
        if !referenced.same_as(table) {
            self.also(referenced, LockMode::ShareRowExclusive);
        }
    }

    fn into_effect(self) -> Effect {
        let mut locks = Locks::default();
        if let Some(mode) = self.mode {
            push_lock(&mut locks, self.table.clone(), mode);
        }
        for (relation, mode) in self.others {
            push_lock(&mut locks, relation, mode);
        }
        locks.work = self.work.map(|work| (self.table, work));
        locks.rules = self.rules;
        Effect::Known(locks)
    }

    /// For a statement that creates its table: only the other tables' locks count, and
    /// nothing stored changes.
    fn into_effect_without_own_lock(mut self) -> Effect {
        self.mode = None;
        self.into_effect()
    }
}

/// Adds `mode` on `relation`, keeping the strongest mode where it is locked already.
fn push_lock(locks: &mut Locks, relation: Relation, mode: LockMode) {
    match locks.locks.iter_mut().find(|(known, _)| *known == relation) {
        Some((_, held)) => *held = (*held).max(mode),
        None => locks.locks.push((relation, mode)),
    }
}

/// A statement that changes the catalog entry of one relation under `mode`.
fn table_catalog_change(table: Relation, mode: LockMode) -> Effect {
    let mut change = Change::new(table);
    change.lock(mode);
    change.work(TableWork::CatalogOnly);
    change.into_effect()
}

/// A statement that locks no table: it changes a type, a sequence or a function, or a
/// setting of the session.
fn no_table_lock() -> Effect {
    Effect::Known(Locks::default())
}

/// What a DML statement or a query locks: ROW EXCLUSIVE on the table it writes, ACCESS SHARE
/// on each other table it reads. A call of a function that may change data makes it unknown:
/// the function may take any lock.
fn rows(statement: &Statement, target: Option<Relation>) -> Effect {
    let mut unknown_call = false;
    let _ = visit_expressions(statement, |expr| {
        if let Expr::Function(function) = expr {
            let (schema, name) = split_name(&function.name);
            let builtin = matches!(schema.as_deref(), None | Some("pg_catalog"));
            if !(builtin && PURE_FUNCTIONS.contains(&name.as_str())) {
                unknown_call = true;
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    });
    if unknown_call || has_common_table_expression(statement) {
        return Effect::Unknown;
    }
    let mut locks = Locks::default();
    if let Some(target) = &target {
        push_lock(&mut locks, target.clone(), LockMode::RowExclusive);
    }
    let _ = visit_relations(statement, |name| {
        push_lock(&mut locks, relation(name), LockMode::AccessShare);
        ControlFlow::<()>::Continue(())
    });
    let work = match target {
        Some(target) => (target, TableWork::WritesRows),
        None => match locks.locks.first() {
            Some((first, _)) => (first.clone(), TableWork::ReadsRows),
            None => return Effect::Known(locks),
        },
    };
    locks.work = Some(work);
    Effect::Known(locks)
}

/// A `WITH` anywhere: its names read like tables, and its parts may write.
fn has_common_table_expression(statement: &Statement) -> bool {
    struct FindWith;
    impl Visitor for FindWith {
        type Break = ();
        fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
            if query.with.is_some() {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }
    }
    statement.visit(&mut FindWith).is_break()
}

/// The statement of a `DO` block's body `BEGIN <statement>; EXCEPTION WHEN duplicate_object
/// THEN NULL; END`, as rmig writes it: the statement runs, and does nothing when its object
/// exists. (Whitespace is folded, inside literals too, which changes no lock.)
fn unless_exists_body(body: &str) -> Option<String> {
    one_line(body)
        .strip_prefix("BEGIN ")?
        .strip_suffix("; EXCEPTION WHEN duplicate_object THEN NULL; END")
        .map(str::to_string)
}

/// Whether the default an `ADD COLUMN` gives every existing row is one value for all of them.
enum Volatility {
    Fixed,
    Volatile,
    Unknown,
}

fn volatility(expr: &Expr) -> Volatility {
    let mut found = Volatility::Fixed;
    let _ = visit_expressions(expr, |expr| {
        if let Expr::Function(function) = expr {
            let (schema, name) = split_name(&function.name);
            let builtin = matches!(schema.as_deref(), None | Some("pg_catalog"));
            if builtin && VOLATILE_FUNCTIONS.contains(&name.as_str()) {
                found = Volatility::Volatile;
                return ControlFlow::Break(());
            }
            if !(builtin && PURE_FUNCTIONS.contains(&name.as_str())) {
                found = Volatility::Unknown;
            }
        }
        ControlFlow::Continue(())
    });
    found
}

/// Whether a column of type `old` can take type `new` without rewriting the table: the same
/// type, or a binary-coercible change PostgreSQL makes in the catalog (a longer or unbounded
/// varchar, varchar to text, a numeric with more precision and the same scale).
fn keeps_storage(old: &ColumnType, new: &ColumnType) -> bool {
    use ColumnType::*;
    match (old, new) {
        (Varchar { .. } | Text, Text) | (Varchar { .. } | Text, Varchar { length: None }) => true,
        (
            Varchar {
                length: Some(old_length),
            },
            Varchar {
                length: Some(new_length),
            },
        ) => new_length >= old_length,
        (
            Numeric { .. },
            Numeric {
                precision: None, ..
            },
        ) => true,
        (
            Numeric {
                precision: Some(old_precision),
                scale: old_scale,
            },
            Numeric {
                precision: Some(new_precision),
                scale: new_scale,
            },
        ) => new_precision >= old_precision && old_scale.unwrap_or(0) == new_scale.unwrap_or(0),
        (Sql(old), Sql(new)) => normalize_type_text(old) == normalize_type_text(new),
        _ => old == new,
    }
}

fn type_of(column: &ColumnDef) -> ColumnType {
    ColumnType::from_postgres_spelling(&column.data_type.to_string())
}

fn relation(name: &ObjectName) -> Relation {
    let (schema, name) = split_name(name);
    Relation::Table { schema, name }
}

fn lock_mode(mode: &LockTableMode) -> LockMode {
    match mode {
        LockTableMode::AccessShare => LockMode::AccessShare,
        LockTableMode::RowShare => LockMode::RowShare,
        LockTableMode::RowExclusive => LockMode::RowExclusive,
        LockTableMode::ShareUpdateExclusive => LockMode::ShareUpdateExclusive,
        LockTableMode::Share => LockMode::Share,
        LockTableMode::ShareRowExclusive => LockMode::ShareRowExclusive,
        LockTableMode::Exclusive => LockMode::Exclusive,
        LockTableMode::AccessExclusive => LockMode::AccessExclusive,
    }
}

/// A cursor over a statement's tokens, for the shapes the parser does not read.
struct Words<'a> {
    tokens: &'a [Token],
    at: usize,
}

impl<'a> Words<'a> {
    fn new(tokens: &'a [Token]) -> Words<'a> {
        Words { tokens, at: 0 }
    }

    /// Takes the next token when it is the unquoted word `word` (any case).
    fn keyword(&mut self, word: &str) -> bool {
        match self.tokens.get(self.at) {
            Some(Token::Word(found))
                if found.quote_style.is_none() && found.value.eq_ignore_ascii_case(word) =>
            {
                self.at += 1;
                true
            }
            _ => false,
        }
    }

    /// Takes `words` when they all come next, else nothing.
    fn keywords(&mut self, words: &[&str]) -> bool {
        let start = self.at;
        if words.iter().all(|word| self.keyword(word)) {
            true
        } else {
            self.at = start;
            false
        }
    }

    /// Takes a name, qualified or not: `name`, `schema.name`, `"Quoted".name`.
    fn name(&mut self) -> Option<ObjectName> {
        let mut parts = Vec::new();
        loop {
            match self.tokens.get(self.at) {
                Some(Token::Word(word)) => {
                    parts.push(ObjectNamePart::Identifier(Ident {
                        value: word.value.clone(),
                        quote_style: word.quote_style,
                        span: Span::empty(),
                    }));
                    self.at += 1;
                }
                _ => return None,
            }
            if self.tokens.get(self.at) == Some(&Token::Period) {
                self.at += 1;
            } else {
                return Some(ObjectName(parts));
            }
        }
    }

    /// Takes a dollar-quoted string (`$tag$ ... $tag$`), giving its text.
    fn dollar_quoted(&mut self) -> Option<String> {
        match self.tokens.get(self.at) {
            Some(Token::DollarQuotedString(quoted)) => {
                self.at += 1;
                Some(quoted.value.clone())
            }
            _ => None,
        }
    }

    fn number(&mut self) -> bool {
        if let Some(Token::Number(..)) = self.tokens.get(self.at) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    /// Whether nothing but a closing `;` is left.
    fn at_end(&self) -> bool {
        self.tokens[self.at..]
            .iter()
            .all(|token| *token == Token::SemiColon || *token == Token::EOF)
    }
}
