//! The lock report: what lock each SQL statement takes, and what it does to the table while it
//! holds it. `--sql` prints it above each statement; `check --lint` flags the statements that
//! block an existing table's reads or writes while they scan or rewrite it (`report`). Pure:
//! SQL text in, facts out.
//!
//! Statements are read from their text (`sql_text`), as the guard reads them, so raw
//! `execute` SQL is covered as well as what rmig renders for typed operations. A reader keeps
//! what the statements before it made (tables created, indexes and their tables, column
//! types), since that changes what later ones do: an index on a table created in the same
//! revision blocks nobody. PostgreSQL (11 and later) is implemented (`postgres`); SQLite has
//! no lock report, since a migration there holds the database's one write lock whatever it
//! does. A statement the reader does not know is `Unknown`, never guessed.

mod postgres;
mod report;

#[cfg(test)]
mod tests;

use std::fmt;

use serde::{Serialize, Serializer};

use crate::dialect::Dialect;
use crate::ops::sql::Statement;
use crate::ops::Operation;

pub use report::{LockFinding, LockReport, TableSize};

/// PostgreSQL's table lock modes, weakest first (`pg_locks.mode` without its `Lock` suffix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LockMode {
    AccessShare,
    RowShare,
    RowExclusive,
    ShareUpdateExclusive,
    Share,
    ShareRowExclusive,
    Exclusive,
    AccessExclusive,
}

impl LockMode {
    /// The mode as PostgreSQL's documentation and `LOCK TABLE` spell it.
    pub fn name(self) -> &'static str {
        match self {
            LockMode::AccessShare => "ACCESS SHARE",
            LockMode::RowShare => "ROW SHARE",
            LockMode::RowExclusive => "ROW EXCLUSIVE",
            LockMode::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            LockMode::Share => "SHARE",
            LockMode::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            LockMode::Exclusive => "EXCLUSIVE",
            LockMode::AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }

    /// Whether another session holding or wanting `other` on the same table must wait for
    /// this one: PostgreSQL's table of conflicting lock modes.
    pub fn conflicts_with(self, other: LockMode) -> bool {
        use LockMode::*;
        let conflicting: &[LockMode] = match self {
            AccessShare => &[AccessExclusive],
            RowShare => &[Exclusive, AccessExclusive],
            RowExclusive => &[Share, ShareRowExclusive, Exclusive, AccessExclusive],
            ShareUpdateExclusive => &[
                ShareUpdateExclusive,
                Share,
                ShareRowExclusive,
                Exclusive,
                AccessExclusive,
            ],
            Share => &[
                RowExclusive,
                ShareUpdateExclusive,
                ShareRowExclusive,
                Exclusive,
                AccessExclusive,
            ],
            ShareRowExclusive => &[
                RowExclusive,
                ShareUpdateExclusive,
                Share,
                ShareRowExclusive,
                Exclusive,
                AccessExclusive,
            ],
            Exclusive => &[
                RowShare,
                RowExclusive,
                ShareUpdateExclusive,
                Share,
                ShareRowExclusive,
                Exclusive,
                AccessExclusive,
            ],
            AccessExclusive => &[
                AccessShare,
                RowShare,
                RowExclusive,
                ShareUpdateExclusive,
                Share,
                ShareRowExclusive,
                Exclusive,
                AccessExclusive,
            ],
        };
        conflicting.contains(&other)
    }

    /// What the application's traffic waits for while the lock is held: a SELECT takes ACCESS
    /// SHARE, an INSERT, UPDATE or DELETE ROW EXCLUSIVE.
    pub fn blocks(self) -> Option<&'static str> {
        if self.conflicts_with(LockMode::AccessShare) {
            Some("reads and writes")
        } else if self.conflicts_with(LockMode::RowExclusive) {
            Some("writes")
        } else {
            None
        }
    }
}

impl Serialize for LockMode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// A relation a statement locks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Relation {
    /// A table, or another relation a statement names (an index, a sequence), by the name it
    /// gives: schema-qualified or not, folded as PostgreSQL folds unquoted names.
    Table {
        schema: Option<String>,
        name: String,
    },
    /// The table an index belongs to, where the statement names the index alone (`DROP
    /// INDEX`) and nothing before it said which table that is.
    TableOfIndex {
        schema: Option<String>,
        index: String,
    },
}

impl Relation {
    pub fn table(schema: Option<&str>, name: &str) -> Relation {
        Relation::Table {
            schema: schema.map(str::to_string),
            name: name.to_string(),
        }
    }

    /// Whether both name the same relation. An unqualified name matches a qualified one of the
    /// same name: the report cannot know the `search_path`, and over-matching only drops a
    /// finding about a table the same revision created.
    fn same_as(&self, other: &Relation) -> bool {
        let parts = |relation: &Relation| match relation {
            Relation::Table { schema, name } => (false, schema.clone(), name.clone()),
            Relation::TableOfIndex { schema, index } => (true, schema.clone(), index.clone()),
        };
        let (a_of_index, a_schema, a_name) = parts(self);
        let (b_of_index, b_schema, b_name) = parts(other);
        a_of_index == b_of_index
            && a_name == b_name
            && (a_schema.is_none() || b_schema.is_none() || a_schema == b_schema)
    }
}

impl fmt::Display for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pg = Dialect::Postgresql;
        match self {
            Relation::Table { schema, name } => {
                f.write_str(&pg.qualified_name(schema.as_deref(), name))
            }
            Relation::TableOfIndex { schema, index } => write!(
                f,
                "the table of index {}",
                pg.qualified_name(schema.as_deref(), index)
            ),
        }
    }
}

/// What a statement does to the table it changes while it holds its lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TableWork {
    /// Changes the catalog only: done as soon as the lock is granted, whatever the table's size.
    CatalogOnly,
    /// Reads rows (a SELECT, ANALYZE's sample).
    ReadsRows,
    /// Inserts, updates or deletes the rows it names.
    WritesRows,
    /// Reads every row to check it (a constraint, NOT NULL): as long as the table is large.
    Scan,
    /// Reads every row to build an index.
    IndexBuild,
    /// Writes the whole table anew, and its indexes.
    Rewrite,
    /// The statement's kind is known but not whether it reads or rewrites the table (a
    /// default calling a function whose volatility rmig does not know).
    Unknown,
}

impl TableWork {
    /// The work of an ALTER TABLE that does `self` and `other`: a rewrite covers whatever else
    /// it does, and otherwise one unknown part leaves the whole unknown.
    fn and(self, other: TableWork) -> TableWork {
        use TableWork::*;
        match (self, other) {
            (Rewrite, _) | (_, Rewrite) => Rewrite,
            (Unknown, _) | (_, Unknown) => Unknown,
            (IndexBuild, _) | (_, IndexBuild) => IndexBuild,
            (Scan, _) | (_, Scan) => Scan,
            _ => self,
        }
    }

    /// The work as the annotation says it, `table` naming the table.
    fn describe(self, table: &str) -> String {
        match self {
            TableWork::CatalogOnly => "catalog only".to_string(),
            TableWork::ReadsRows => "reads rows".to_string(),
            TableWork::WritesRows => "writes rows".to_string(),
            TableWork::Scan => format!("scans {table}"),
            TableWork::IndexBuild => format!("scans {table} to build an index"),
            TableWork::Rewrite => format!("rewrites {table}"),
            TableWork::Unknown => {
                format!("rmig cannot tell whether it scans or rewrites {table}")
            }
        }
    }
}

/// A way a statement holds an existing table's traffic up, named as the squawk linter names
/// it where squawk has the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    ChangingColumnType,
    AddingFieldWithVolatileDefault,
    AddingStoredGeneratedField,
    AddingRequiredField,
    SettingNotNullField,
    AddingCheckConstraintWithoutNotValid,
    AddingForeignKeyWithoutNotValid,
    AddingUniqueConstraint,
    AddingExclusionConstraint,
    RequireConcurrentIndexCreation,
    RequireConcurrentIndexDeletion,
    RequireConcurrentReindex,
    RewritingTable,
}

impl Rule {
    /// Every rule, in the order docs/locks.md lists them.
    #[cfg(test)]
    pub const ALL: [Rule; 13] = [
        Rule::ChangingColumnType,
        Rule::AddingFieldWithVolatileDefault,
        Rule::AddingStoredGeneratedField,
        Rule::AddingRequiredField,
        Rule::SettingNotNullField,
        Rule::AddingCheckConstraintWithoutNotValid,
        Rule::AddingForeignKeyWithoutNotValid,
        Rule::AddingUniqueConstraint,
        Rule::AddingExclusionConstraint,
        Rule::RequireConcurrentIndexCreation,
        Rule::RequireConcurrentIndexDeletion,
        Rule::RequireConcurrentReindex,
        Rule::RewritingTable,
    ];

    /// The rule's stable name, for reports, `--format github` titles and docs/locks.md.
    pub fn name(self) -> &'static str {
        match self {
            Rule::ChangingColumnType => "changing-column-type",
            Rule::AddingFieldWithVolatileDefault => "adding-field-with-volatile-default",
            Rule::AddingStoredGeneratedField => "adding-stored-generated-field",
            Rule::AddingRequiredField => "adding-required-field",
            Rule::SettingNotNullField => "setting-not-null-field",
            Rule::AddingCheckConstraintWithoutNotValid => {
                "adding-check-constraint-without-not-valid"
            }
            Rule::AddingForeignKeyWithoutNotValid => "adding-foreign-key-without-not-valid",
            Rule::AddingUniqueConstraint => "adding-unique-constraint",
            Rule::AddingExclusionConstraint => "adding-exclusion-constraint",
            Rule::RequireConcurrentIndexCreation => "require-concurrent-index-creation",
            Rule::RequireConcurrentIndexDeletion => "require-concurrent-index-deletion",
            Rule::RequireConcurrentReindex => "require-concurrent-reindex",
            Rule::RewritingTable => "rewriting-table",
        }
    }

    /// How to get the same change without holding the table up, in one sentence.
    pub fn fix(self) -> &'static str {
        match self {
            Rule::ChangingColumnType => {
                "add a column of the new type, fill it in batches and switch to it in a later revision; if the old type converts without a rewrite (varchar(n) to a longer varchar or to text, numeric to a wider numeric), give alter_column its existing_type so rmig can tell"
            }
            Rule::AddingFieldWithVolatileDefault => {
                "add the column without a default (or with a constant one), then set the default and fill the existing rows in batches"
            }
            Rule::AddingStoredGeneratedField => {
                "add a plain column kept current by a trigger and fill the existing rows in batches, as no stored generated column can be added without a rewrite"
            }
            Rule::AddingRequiredField => {
                "add the column nullable or with a constant default, fill it in batches, then make it NOT NULL through a validated CHECK constraint"
            }
            Rule::SettingNotNullField => {
                "prove the column first with CHECK (column IS NOT NULL) NOT VALID and VALIDATE CONSTRAINT, so that SET NOT NULL scans nothing (PostgreSQL 12 and later): alter_column with nullable = false alone does so unless online = false or the project runs as one transaction"
            }
            Rule::AddingCheckConstraintWithoutNotValid => {
                "add it NOT VALID, then VALIDATE CONSTRAINT, which checks the rows without blocking reads or writes: a named create_check_constraint does so unless online = false or the project runs as one transaction"
            }
            Rule::AddingForeignKeyWithoutNotValid => {
                "add it NOT VALID, then VALIDATE CONSTRAINT, which checks the rows without blocking writes: a named create_foreign_key does so unless online = false or the project runs as one transaction"
            }
            Rule::AddingUniqueConstraint => {
                "build a unique index CONCURRENTLY, then add the constraint USING INDEX, which only changes the catalog: a named create_unique_constraint does so unless online = false or the project runs as one transaction"
            }
            Rule::AddingExclusionConstraint => {
                "PostgreSQL cannot build an exclusion constraint without blocking the table, so add it while the table is small or in a maintenance window"
            }
            Rule::RequireConcurrentIndexCreation => {
                "build it CONCURRENTLY, which lets writes go on: create_index does so on an existing table unless online = false or the project runs as one transaction, and raw SQL needs a revision with transactional = false"
            }
            Rule::RequireConcurrentIndexDeletion => {
                "drop it CONCURRENTLY, which waits for the table's queries instead of blocking them: drop_index does so on an existing table unless online = false or the project runs as one transaction, and raw SQL needs a revision with transactional = false"
            }
            Rule::RequireConcurrentReindex => {
                "rebuild it with REINDEX ... CONCURRENTLY (PostgreSQL 12 and later), outside a transaction, which does not block writes"
            }
            Rule::RewritingTable => {
                "run it outside migrations in a maintenance window, or use pg_repack, which rewrites a table without holding ACCESS EXCLUSIVE while it copies"
            }
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// What one statement locks and does.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementLocks {
    /// The statement on one line, cut to fit a report line.
    pub sql: String,
    pub effect: Effect,
}

/// What a statement does, as far as the reader knows.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Known(Locks),
    /// A statement the reader does not know: it may take any lock on any table.
    Unknown,
}

/// The locks a known statement takes and what it does under them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Locks {
    /// Each relation locked with the strongest mode taken on it, in the order named. Tables
    /// the statement creates are left out: nobody else can be using them.
    pub locks: Vec<(Relation, LockMode)>,
    /// The table it changes and what it does to it; `None` when it changes no table (`SET`,
    /// `LOCK TABLE`).
    pub work: Option<(Relation, TableWork)>,
    /// The rules it breaks on the table it changes, which existed before the reader started
    /// (a table created earlier in the same revision holds no rows and no traffic).
    pub rules: Vec<Rule>,
}

impl Locks {
    /// The mode taken on `relation`, if any.
    pub fn mode_on(&self, relation: &Relation) -> Option<LockMode> {
        self.locks
            .iter()
            .find(|(locked, _)| locked == relation)
            .map(|(_, mode)| *mode)
    }
}

impl StatementLocks {
    /// The `--sql` comment line above the statement:
    /// `-- lock: ACCESS EXCLUSIVE on accounts (blocks reads and writes); rewrites the table`.
    pub fn annotation(&self) -> String {
        let locks = match &self.effect {
            Effect::Unknown => {
                return "-- lock: unknown (rmig does not know what this statement locks)"
                    .to_string()
            }
            Effect::Known(locks) => locks,
        };
        let mut groups: Vec<(LockMode, Vec<String>)> = Vec::new();
        for (relation, mode) in &locks.locks {
            match groups.iter_mut().find(|(known, _)| known == mode) {
                Some((_, names)) => names.push(relation.to_string()),
                None => groups.push((*mode, vec![relation.to_string()])),
            }
        }
        let held = if groups.is_empty() {
            "none".to_string()
        } else {
            groups
                .iter()
                .map(|(mode, names)| {
                    let blocks = mode
                        .blocks()
                        .map(|what| format!(" (blocks {what})"))
                        .unwrap_or_default();
                    format!("{} on {}{blocks}", mode.name(), names.join(", "))
                })
                .collect::<Vec<_>>()
                .join(" and ")
        };
        match &locks.work {
            Some((relation, work)) => {
                // "the table" when it is the one table locked, so the line reads as a sentence.
                let table = if locks.locks.len() == 1 && locks.locks[0].0 == *relation {
                    "the table".to_string()
                } else {
                    relation.to_string()
                };
                format!("-- lock: {held}; {}", work.describe(&table))
            }
            None => format!("-- lock: {held}"),
        }
    }
}

/// Reads the statements of a script or a revision in the order they run, for one dialect.
#[derive(Debug, Clone, Default)]
pub struct LockReader {
    postgres: postgres::Reader,
}

impl LockReader {
    /// The reader for `dialect`; none for SQLite, which runs one writer at a time, so that a
    /// migration blocks every other writer whatever its statements do, and none for MySQL,
    /// whose metadata locks and online DDL (`ALGORITHM`, `LOCK`) the report does not model.
    pub fn for_dialect(dialect: Dialect) -> Option<LockReader> {
        match dialect {
            Dialect::Postgresql => Some(LockReader::default()),
            Dialect::Sqlite | Dialect::Mysql => None,
        }
    }

    /// What each of `statements` (the SQL `op` runs, in order) locks: one list per statement,
    /// as a raw `execute` text may hold several. `op` tells what its SQL cannot: the type a
    /// column has before `alter_column` changes it, the table of an index `drop_index` drops.
    pub fn operation<'a>(
        &mut self,
        op: &Operation,
        statements: impl IntoIterator<Item = &'a Statement>,
    ) -> Vec<Vec<StatementLocks>> {
        self.postgres.learn(op);
        statements
            .into_iter()
            .map(|statement| {
                self.postgres
                    .read(&statement.to_offline_sql(Dialect::Postgresql))
            })
            .collect()
    }
}
