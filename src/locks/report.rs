//! `check --lint`'s lock findings: each statement of a revision's upgrade that holds a lock
//! blocking an existing table's reads or writes while it scans, indexes or rewrites it (or
//! drops an index under ACCESS EXCLUSIVE), with the rule it breaks and the fix.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

use crate::dialect::Dialect;
use crate::revision::Revision;

use super::{Effect, LockMode, Relation, Rule, StatementLocks, TableWork};

/// Every lock finding of the project's revisions, for one dialect.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LockReport {
    pub dialect: Dialect,
    pub findings: Vec<LockFinding>,
}

/// One statement that holds an existing table up, where it is and how to avoid it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LockFinding {
    pub rule: Rule,
    pub revision: String,
    /// The revision's file (empty for revisions built in memory).
    pub path: PathBuf,
    /// The operation's index in the revision's `upgrade` list, from 0.
    pub op_index: usize,
    /// The operation's `describe()`.
    pub op: String,
    /// The statement, on one line and cut to fit.
    pub statement: String,
    pub table: Relation,
    pub lock: LockMode,
    pub work: TableWork,
    pub fix: &'static str,
    /// The table's size on the database, when `--sizes` looked it up.
    pub size: TableSize,
}

/// A flagged table's size, as the database reports it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TableSize {
    NotLookedUp,
    /// `pg_total_relation_size` (the table, its indexes and TOAST) and the planner's
    /// estimate of its rows (`reltuples`), absent when the table was never analyzed.
    Measured {
        bytes: u64,
        estimated_rows: Option<u64>,
    },
    /// No such table on the database yet: an earlier revision not yet applied creates it.
    NotFound,
}

impl LockReport {
    pub fn new(dialect: Dialect) -> LockReport {
        LockReport {
            dialect,
            findings: Vec::new(),
        }
    }

    /// Adds the findings of one upgrade operation, from what each of its statements locks.
    pub fn add_operation(
        &mut self,
        revision: &Revision,
        op_index: usize,
        op: String,
        statements: &[StatementLocks],
    ) {
        for statement in statements {
            let Effect::Known(locks) = &statement.effect else {
                continue;
            };
            let Some((table, work)) = &locks.work else {
                continue;
            };
            let Some(lock) = locks.mode_on(table) else {
                continue;
            };
            for rule in &locks.rules {
                self.findings.push(LockFinding {
                    rule: *rule,
                    revision: revision.id.clone(),
                    path: revision.path.clone(),
                    op_index,
                    op: op.clone(),
                    statement: statement.sql.clone(),
                    table: table.clone(),
                    lock,
                    work: *work,
                    fix: rule.fix(),
                    size: TableSize::NotLookedUp,
                });
            }
        }
    }

    /// The tables the findings name, each once, in order.
    pub fn tables(&self) -> Vec<&Relation> {
        let mut tables: Vec<&Relation> = Vec::new();
        for finding in &self.findings {
            if !tables.contains(&&finding.table) {
                tables.push(&finding.table);
            }
        }
        tables
    }

    /// Gives each finding its table's size from `sizes`.
    pub fn set_sizes(&mut self, sizes: &[(Relation, TableSize)]) {
        for finding in &mut self.findings {
            if let Some((_, size)) = sizes.iter().find(|(table, _)| *table == finding.table) {
                finding.size = size.clone();
            }
        }
    }
}

impl LockFinding {
    /// Where the finding is: `upgrade[2]`, as the guard's findings say it.
    pub fn location(&self) -> String {
        format!("upgrade[{}]", self.op_index)
    }

    /// What the statement does and what it blocks, in one clause:
    /// `` `ALTER ...` rewrites accounts under ACCESS EXCLUSIVE, which blocks its reads and
    /// writes until the step commits``.
    pub fn problem(&self) -> String {
        let verb = match self.work {
            TableWork::Scan => "scans",
            TableWork::IndexBuild => "builds an index on",
            TableWork::Rewrite => "rewrites",
            _ => "locks",
        };
        let blocks = self.lock.blocks().unwrap_or("nothing");
        format!(
            "`{}` {verb} {} under {}, which blocks its {blocks} until the step commits{}",
            self.statement,
            self.table,
            self.lock.name(),
            self.size_remark()
        )
    }

    fn size_remark(&self) -> String {
        match &self.size {
            TableSize::NotLookedUp => String::new(),
            TableSize::NotFound => " (not on the database yet)".to_string(),
            TableSize::Measured {
                bytes,
                estimated_rows,
            } => match estimated_rows {
                Some(rows) => format!(" ({}, about {rows} rows)", pretty_bytes(*bytes)),
                None => format!(" ({}, never analyzed)", pretty_bytes(*bytes)),
            },
        }
    }
}

impl fmt::Display for LockFinding {
    /// One line: the rule, where, what and the fix.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.rule, self.revision)?;
        if !self.path.as_os_str().is_empty() {
            write!(f, " ({})", self.path.display())?;
        }
        write!(
            f,
            " {} {}: {}; {}",
            self.location(),
            self.op,
            self.problem(),
            self.fix
        )
    }
}

/// A size as `pg_size_pretty` prints it: bytes, kB, MB, GB or TB, steps of 1024.
pub(super) fn pretty_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if bytes < 10 * 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 10.0 * 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{} {}", value.round(), UNITS[unit])
}
