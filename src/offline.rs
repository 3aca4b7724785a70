//! Offline mode (`--sql`): a plan rendered as the SQL script Alembic would print, touching no
//! database. Pure: the caller writes the text where it wants it.
//!
//! Operations print as comments naming them until each operation renders its own SQL; the
//! version-table statements are real.

use std::fmt::Write;

use crate::dialect::Dialect;
use crate::graph::RevisionMap;
use crate::plan::{Direction, Plan, Step, VersionChange};
use crate::version_table::VersionTable;

/// How the script is laid out.
#[derive(Debug, Clone)]
pub struct ScriptOptions {
    pub dialect: Dialect,
    pub version_table: VersionTable,
    /// One BEGIN/COMMIT per step (rmig's default) instead of one around the whole script.
    pub transaction_per_migration: bool,
}

/// The whole script for `plan`.
pub fn render_script(map: &RevisionMap, plan: &Plan, options: &ScriptOptions) -> String {
    let transactions = options.dialect.offline_transactions();
    let per_step = transactions && options.transaction_per_migration;
    let around_all = transactions && !options.transaction_per_migration;
    let mut out = String::new();
    if around_all {
        statement(&mut out, "BEGIN");
    }
    let mut rows = plan.start_heads.len();
    for step in &plan.steps {
        if per_step {
            statement(&mut out, "BEGIN");
        }
        if rows == 0 {
            statement(&mut out, &options.version_table.create_sql(options.dialect));
        }
        render_step(&mut out, map, step, options);
        for change in &step.version_changes {
            match change {
                VersionChange::Insert { .. } => rows += 1,
                VersionChange::Delete { .. } => rows -= 1,
                VersionChange::Update { .. } => {}
            }
        }
        if per_step {
            statement(&mut out, "COMMIT");
        }
    }
    if around_all {
        statement(&mut out, "COMMIT");
    }
    out
}

fn render_step(out: &mut String, map: &RevisionMap, step: &Step, options: &ScriptOptions) {
    let revision = map.revision(step.revision);
    let parents: Vec<&str> = map
        .down_revisions(step.revision)
        .iter()
        .map(|&d| map.id(d))
        .collect();
    let (from, to) = match step.direction {
        Direction::Upgrade => (parents.join(", "), revision.id.clone()),
        Direction::Downgrade => (revision.id.clone(), parents.join(", ")),
    };
    let _ = write!(out, "-- Running {} {from} -> {to}\n\n", step.direction);
    match (step.direction, &revision.downgrade) {
        (Direction::Upgrade, _) => {
            for op in &revision.upgrade {
                let _ = write!(out, "-- {}\n\n", op.describe());
            }
        }
        (Direction::Downgrade, Some(ops)) => {
            for op in ops {
                let _ = write!(out, "-- {}\n\n", op.describe());
            }
        }
        (Direction::Downgrade, None) => {
            for op in revision.upgrade.iter().rev() {
                let _ = write!(out, "-- reverse of {}\n\n", op.describe());
            }
        }
    }
    for change in &step.version_changes {
        statement(
            out,
            &options.version_table.change_sql(options.dialect, change),
        );
    }
}

fn statement(out: &mut String, sql: &str) {
    out.push_str(sql);
    out.push_str(";\n\n");
}
