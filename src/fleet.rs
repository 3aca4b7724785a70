//! Many databases in one run (`rmig upgrade head --url-file tenants.txt --jobs 8`).
//!
//! Each database is migrated by the same [`Migrator`] call a single run makes, with its own
//! connection and so its own migration lock; at most `jobs` run at once, on plain threads
//! (a migration is a few blocking statements per database, so no async runtime is needed).
//! One database failing or being blocked does not stop the others. The result is one
//! [`DatabaseResult`] per database, in the order given, printed as a table.

#![warn(missing_docs)]

use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::db::redact_url;
use crate::error::{EXIT_BAD_INPUT, EXIT_BLOCKED, EXIT_FAILED};
use crate::exec::{Silent, StepLabel};
use crate::guard::GuardReport;
use crate::migrator::{MigrateError, Migrator};
use crate::plan::Direction;
use crate::term::{paint, printable, Color};

/// What happened to one database.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Steps ran; `heads` are the version rows afterwards.
    Applied {
        /// The steps that ran, in order.
        steps: Vec<StepLabel>,
        /// The version rows afterwards.
        heads: Vec<String>,
    },
    /// Nothing to do: the database was already at the target.
    AlreadyCurrent {
        /// The version rows.
        heads: Vec<String>,
    },
    /// The guard refused the plan; nothing ran on this database.
    Blocked(GuardReport),
    /// The database could not be reached, or a step failed (and was rolled back; earlier
    /// steps stay), or its version rows do not fit the revisions.
    Failed {
        /// The error, on one line, with any password hidden.
        reason: String,
        /// The exit status a single run would have given (1 or 2).
        exit_code: i32,
    },
}

/// One database's line of the summary.
#[derive(Debug, Clone, PartialEq)]
pub struct DatabaseResult {
    /// The database URL with its password hidden.
    pub database: String,
    /// What happened.
    pub outcome: Outcome,
    /// How long it took, connection included.
    pub elapsed: Duration,
}

impl DatabaseResult {
    /// `database: result` on one line, as the table's row says it.
    pub fn summary(&self, color: bool) -> String {
        let (word, color_of_word, detail) = describe(&self.outcome);
        format!(
            "{}: {}{detail}",
            printable(&self.database),
            paint(&word, color_of_word, color)
        )
    }
}

/// The whole run: one result per database, in the order the databases were given.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FleetReport {
    /// One entry per database.
    pub results: Vec<DatabaseResult>,
}

/// Counts by outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    /// Databases where steps ran.
    pub applied: usize,
    /// Databases already at the target.
    pub already_current: usize,
    /// Databases the guard blocked.
    pub blocked: usize,
    /// Databases that failed.
    pub failed: usize,
}

impl FleetReport {
    /// How many databases ended each way.
    pub fn tally(&self) -> Tally {
        let mut tally = Tally::default();
        for result in &self.results {
            match result.outcome {
                Outcome::Applied { .. } => tally.applied += 1,
                Outcome::AlreadyCurrent { .. } => tally.already_current += 1,
                Outcome::Blocked(_) => tally.blocked += 1,
                Outcome::Failed { .. } => tally.failed += 1,
            }
        }
        tally
    }

    /// The exit status of the run: 1 when any database failed, else 3 when any was blocked by
    /// the guard, else 2 when the target or a database's version rows were bad input, else 0.
    pub fn exit_code(&self) -> i32 {
        let codes = self.results.iter().map(|r| match &r.outcome {
            Outcome::Failed { exit_code, .. } => *exit_code,
            Outcome::Blocked(_) => EXIT_BLOCKED,
            _ => 0,
        });
        let mut worst = 0;
        for code in codes {
            let rank = |c: i32| match c {
                EXIT_FAILED => 3,
                EXIT_BLOCKED => 2,
                EXIT_BAD_INPUT => 1,
                _ => 0,
            };
            if rank(code) > rank(worst) {
                worst = code;
            }
        }
        worst
    }

    /// The summary table: one line per database, then the counts. With `color`, results are
    /// coloured (green applied, dim current, yellow blocked, red failed).
    pub fn table(&self, color: bool) -> String {
        // A URL file is text like any other: its lines are shown printable.
        let databases: Vec<_> = self
            .results
            .iter()
            .map(|r| printable(&r.database))
            .collect();
        let width = databases
            .iter()
            .map(|database| database.chars().count())
            .chain(["DATABASE".len()])
            .max()
            .unwrap_or(0);
        let mut text = format!("{:width$}  RESULT\n", "DATABASE");
        for (result, database) in self.results.iter().zip(&databases) {
            let (word, color_of_word, detail) = describe(&result.outcome);
            let _ = writeln!(
                text,
                "{database:width$}  {}{detail}",
                paint(&word, color_of_word, color),
            );
        }
        let tally = self.tally();
        let count = self.results.len();
        let _ = write!(
            text,
            "{count} database{}: {} applied, {} already current, {} blocked by the guard, {} failed",
            if count == 1 { "" } else { "s" },
            tally.applied,
            tally.already_current,
            tally.blocked,
            tally.failed
        );
        text
    }
}

/// The result word, its colour, and the rest of the line, shown printable: it quotes the
/// database (version rows, the server's message) and the revision files (the guard's names).
fn describe(outcome: &Outcome) -> (String, Color, String) {
    let at = |heads: &[String]| {
        if heads.is_empty() {
            "base".to_string()
        } else {
            heads.join(", ")
        }
    };
    let (word, color, detail) = match outcome {
        Outcome::Applied { steps, heads } => (
            format!("applied {}", steps.len()),
            Color::Green,
            format!(" (now at {})", at(heads)),
        ),
        Outcome::AlreadyCurrent { heads } => (
            "already current".to_string(),
            Color::Dim,
            format!(" (at {})", at(heads)),
        ),
        Outcome::Blocked(report) => {
            let findings: Vec<String> = report.findings.iter().map(|f| f.to_string()).collect();
            (
                "blocked by the guard".to_string(),
                Color::Yellow,
                format!(": {}", one_line(&findings.join("; "))),
            )
        }
        Outcome::Failed { reason, .. } => ("failed".to_string(), Color::Red, format!(": {reason}")),
    };
    (word, color, printable(&detail).into_owned())
}

/// Newlines and runs of spaces folded, so each database stays on one line of the table.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads a URL file: one database URL per line; blank lines and lines starting with `#` are
/// skipped.
pub fn read_url_file(path: &Path) -> Result<Vec<String>, std::io::Error> {
    let text = std::fs::read_to_string(path)?;
    Ok(parse_url_list(&text))
}

/// The URLs of a URL file's text.
pub fn parse_url_list(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// Upgrades or downgrades every database in `urls` to `target` with `migrator`'s revisions
/// and settings (its own URL is ignored), at most `jobs` at a time. `on_done` is called as
/// each database finishes, one call at a time, e.g. to print progress.
pub fn run(
    migrator: &Migrator,
    urls: &[String],
    direction: Direction,
    target: &str,
    jobs: usize,
    on_done: &(dyn Fn(&DatabaseResult, usize) + Sync),
) -> FleetReport {
    let slots: Mutex<Vec<Option<DatabaseResult>>> = Mutex::new(vec![None; urls.len()]);
    let next = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let workers = jobs.clamp(1, urls.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::SeqCst);
                let Some(url) = urls.get(index) else { break };
                let result = migrate_one(migrator, url, direction, target);
                let mut slots = slots.lock().unwrap_or_else(|e| e.into_inner());
                let done = finished.fetch_add(1, Ordering::SeqCst) + 1;
                on_done(&result, done);
                slots[index] = Some(result);
            });
        }
    });
    let results = slots
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect();
    FleetReport { results }
}

fn migrate_one(
    migrator: &Migrator,
    url: &str,
    direction: Direction,
    target: &str,
) -> DatabaseResult {
    let started = Instant::now();
    let database = redact_url(url);
    let one = migrator.clone().url(url);
    // A panic in one database's run (a bug) must not take the other databases down with it.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        one.migrate(direction, target, &mut Silent)
    }))
    .unwrap_or_else(|_| {
        Err(MigrateError::Task(
            "rmig panicked while migrating this database".to_string(),
        ))
    });
    let outcome = match result {
        Ok(report) if report.is_noop() => Outcome::AlreadyCurrent {
            heads: report.heads,
        },
        Ok(report) => Outcome::Applied {
            steps: report.applied,
            heads: report.heads,
        },
        Err(MigrateError::Blocked(report)) => Outcome::Blocked(report),
        Err(error) => Outcome::Failed {
            reason: one_line(&error.to_string()),
            exit_code: error.exit_code(),
        },
    };
    DatabaseResult {
        database,
        outcome,
        elapsed: started.elapsed(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_file_skips_comments_and_blank_lines() {
        let text =
            "# tenants\npostgresql://a@h/one\n\n  sqlite:///two.db  \n#postgresql://off@h/x\n";
        assert_eq!(
            parse_url_list(text),
            vec!["postgresql://a@h/one", "sqlite:///two.db"]
        );
    }

    fn result(database: &str, outcome: Outcome) -> DatabaseResult {
        DatabaseResult {
            database: database.to_string(),
            outcome,
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn exit_code_failed_beats_blocked_beats_bad_input() {
        let current = result(
            "a",
            Outcome::AlreadyCurrent {
                heads: vec!["x".into()],
            },
        );
        let blocked = result(
            "b",
            Outcome::Blocked(GuardReport {
                findings: Vec::new(),
                unused_allowances: Vec::new(),
                stage: crate::guard::ReportStage::BeforeRun,
            }),
        );
        let failed = |code| {
            result(
                "c",
                Outcome::Failed {
                    reason: "boom".into(),
                    exit_code: code,
                },
            )
        };
        let report = |results: Vec<DatabaseResult>| FleetReport { results }.exit_code();
        assert_eq!(report(vec![current.clone()]), 0);
        assert_eq!(report(vec![current.clone(), failed(2)]), 2);
        assert_eq!(report(vec![failed(2), blocked.clone()]), 3);
        assert_eq!(report(vec![blocked, failed(1), failed(2)]), 1);
        assert_eq!(report(vec![]), 0);
    }

    #[test]
    fn table_lines_up_and_counts() {
        let report = FleetReport {
            results: vec![
                result(
                    "postgresql://app:***@db/tenant_a",
                    Outcome::Applied {
                        steps: Vec::new(),
                        heads: vec!["ae1027a6acf".into()],
                    },
                ),
                result("sqlite:///b.db", Outcome::AlreadyCurrent { heads: vec![] }),
                result(
                    "sqlite:///c.db",
                    Outcome::Failed {
                        reason: "cannot connect".into(),
                        exit_code: 1,
                    },
                ),
            ],
        };
        insta::assert_snapshot!(report.table(false), @r"
        DATABASE                          RESULT
        postgresql://app:***@db/tenant_a  applied 0 (now at ae1027a6acf)
        sqlite:///b.db                    already current (at base)
        sqlite:///c.db                    failed: cannot connect
        3 databases: 1 applied, 1 already current, 0 blocked by the guard, 1 failed
        ");
    }
}
