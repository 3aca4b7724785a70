//! What the guard reports: one finding per destroyed object, the fix for each, probable
//! renames, and (online) how many rows each would destroy.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::plan::Direction;

use super::classify::{Certainty, RowMeasure};
use super::object::DataObject;

/// One destructive operation on one object, where it is, and whether it is confirmed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub revision: String,
    /// The revision's file (empty for revisions built in memory).
    pub path: PathBuf,
    pub direction: Direction,
    /// The downgrade is not written but derived from the upgrade; `op_index` is then the index
    /// of the upgrade operation this one reverses.
    pub derived: bool,
    pub op_index: usize,
    /// The operation's `describe()`.
    pub op: String,
    pub object: DataObject,
    pub reason: String,
    pub confirmation: Confirmation,
    pub fix: Fix,
    pub probable_rename: Option<RenameHint>,
    /// What `rows` counts.
    pub measure: RowMeasure,
    /// Whether the operation destroys the object when it runs, or only may.
    pub certainty: Certainty,
    pub rows: RowCount,
    /// The operation is a placeholder `rmig import-alembic` wrote: nothing confirms it, and
    /// refusing it is bad input (exit 2), not a blocked loss.
    pub placeholder: bool,
}

/// Whether a destructive operation may run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Confirmation {
    /// The operation's `confirm_data_loss` names the object.
    OnOperation,
    /// `--allow-data-loss=<allowance>` covers it for this run.
    ByAllowance {
        allowance: String,
    },
    /// The operation's `confirm_data_loss` names something else, so it does not count.
    NamesOtherObject {
        given: String,
    },
    Missing,
}

impl Confirmation {
    pub fn is_confirmed(&self) -> bool {
        matches!(
            self,
            Confirmation::OnOperation | Confirmation::ByAllowance { .. }
        )
    }
}

/// How to confirm a finding: one line in the revision file, or one flag for the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    /// The exact line to add to the operation, in the file's format. For a derived downgrade
    /// there is no operation in the file to add it to: the downgrade must be written out first.
    pub confirm_line: String,
    /// The `--allow-data-loss=...` flag that allows it for one run.
    pub allow_flag: String,
}

/// Counted rows at risk, filled in online by `with_row_counts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RowCount {
    /// Offline (`--sql`, lint), or nothing countable.
    NotCounted,
    Counted {
        count: u64,
    },
    /// The count failed, e.g. because an earlier step of the plan creates the table.
    Failed {
        error: String,
    },
}

/// A drop and a create of the same shape: most likely a rename written as drop + create, which
/// destroys every row on the way. The fix is the rename operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RenameHint {
    /// The old and new table name, or the old and new column name.
    pub old_name: String,
    pub new_name: String,
    /// The `create_table` or `add_column` that makes the other half.
    pub created_by: OpRef,
    /// The operation to write instead of both, as TOML.
    pub toml: String,
}

/// Where an operation is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpRef {
    pub revision: String,
    pub direction: Direction,
    pub derived: bool,
    pub op_index: usize,
    pub op: String,
}

/// Why a plan was refused: its unconfirmed destructive operations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GuardReport {
    pub(crate) findings: Vec<Finding>,
    /// `--allow-data-loss` values that matched no destructive operation of the plan, most
    /// likely misspelled.
    pub unused_allowances: Vec<String>,
    pub(crate) stage: ReportStage,
}

/// When the guard refused: before anything ran, or inside a step, which was rolled back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportStage {
    BeforeRun,
    /// The step's own transaction counted or saw what it destroys; the step was rolled back
    /// and the steps before it stay applied.
    InStep,
}

/// A table's rows and the non-null values of some of its columns, counted in one scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCount {
    pub rows: u64,
    /// In the order the columns were asked for.
    pub non_null: Vec<u64>,
}

/// Counts what destructive operations would destroy, on a live database. The executor
/// implements it over its connection; the guard itself never touches a database.
pub trait RowCounter {
    /// `SELECT count(*), count(c1), count(c2) ... FROM schema.table`: the rows of the table and
    /// the values each column drop or type change can lose.
    fn count(
        &mut self,
        schema: Option<&str>,
        table: &str,
        columns: &[&str],
    ) -> Result<TableCount, String>;
}

/// The report with each finding's rows at risk counted, as the database is now.
pub fn with_row_counts(mut report: GuardReport, counter: &mut dyn RowCounter) -> GuardReport {
    report.findings = count_findings(report.findings, counter);
    report
}

/// Counts each finding's rows or values, scanning each table once however many findings name
/// it (a plan dropping four columns of one large table counts it once).
pub(crate) fn count_findings(
    mut findings: Vec<Finding>,
    counter: &mut dyn RowCounter,
) -> Vec<Finding> {
    type TableKey = (Option<String>, String);
    let mut columns_of: Vec<(TableKey, Vec<String>)> = Vec::new();
    for finding in findings.iter().filter(|finding| finding.is_countable()) {
        let Some((schema, table)) = finding.object.table_name() else {
            continue;
        };
        let key = (schema.map(str::to_string), table.to_string());
        let position = match columns_of.iter().position(|(known, _)| *known == key) {
            Some(position) => position,
            None => {
                columns_of.push((key, Vec::new()));
                columns_of.len() - 1
            }
        };
        if let (DataObject::Column { column, .. }, RowMeasure::NonNullValues) =
            (&finding.object, finding.measure)
        {
            if !columns_of[position].1.contains(column) {
                columns_of[position].1.push(column.clone());
            }
        }
    }
    let counts: Vec<Result<TableCount, String>> = columns_of
        .iter()
        .map(|((schema, table), columns)| {
            let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
            counter.count(schema.as_deref(), table, &columns)
        })
        .collect();
    for finding in findings.iter_mut().filter(|finding| finding.is_countable()) {
        let Some((schema, table)) = finding.object.table_name() else {
            continue;
        };
        let Some(position) = columns_of
            .iter()
            .position(|((known_schema, known_table), _)| {
                known_schema.as_deref() == schema && known_table == table
            })
        else {
            continue;
        };
        finding.rows = match (&counts[position], &finding.object, finding.measure) {
            (Err(error), _, _) => RowCount::Failed {
                error: error.clone(),
            },
            (Ok(count), DataObject::Column { column, .. }, RowMeasure::NonNullValues) => {
                let index = columns_of[position]
                    .1
                    .iter()
                    .position(|known| known == column)
                    .unwrap_or_default();
                RowCount::Counted {
                    count: count.non_null.get(index).copied().unwrap_or_default(),
                }
            }
            (Ok(count), _, _) => RowCount::Counted { count: count.rows },
        };
    }
    findings
}

impl GuardReport {
    /// 2 when a placeholder of `rmig import-alembic` is among the refused operations (the
    /// revision is unfinished: bad input), else 3 (blocked).
    pub fn exit_code(&self) -> i32 {
        if self.findings.iter().any(|finding| finding.placeholder) {
            crate::error::EXIT_BAD_INPUT
        } else {
            crate::error::EXIT_BLOCKED
        }
    }
}

impl Finding {
    /// Whether the rows or values it destroys can be counted before it runs: a table's rows,
    /// a column's values.
    pub fn is_countable(&self) -> bool {
        matches!(
            (&self.object, self.measure),
            (DataObject::Table { .. }, RowMeasure::Rows)
                | (
                    DataObject::Column { .. },
                    RowMeasure::Rows | RowMeasure::NonNullValues
                )
        )
    }

    /// `upgrade[0]`, or `downgrade (derived: reverses upgrade[2])`.
    pub fn location(&self) -> String {
        if self.derived {
            format!(
                "{} (derived: reverses upgrade[{}])",
                self.direction, self.op_index
            )
        } else {
            format!("{}[{}]", self.direction, self.op_index)
        }
    }

    /// What is at risk, as a parenthesised remark, or nothing when not counted.
    fn rows_remark(&self) -> String {
        match (&self.rows, self.measure) {
            (RowCount::Counted { count }, RowMeasure::NonNullValues) => {
                format!(
                    " ({count} non-null {} would be lost)",
                    plural(*count, "value")
                )
            }
            (RowCount::Counted { count }, _) => {
                format!(" ({count} {} would be lost)", plural(*count, "row"))
            }
            (RowCount::Failed { error }, _) => format!(" (rows not counted: {error})"),
            (RowCount::NotCounted, _) => String::new(),
        }
    }

    fn confirmation_remark(&self) -> String {
        match &self.confirmation {
            Confirmation::NamesOtherObject { given } => format!(
                "; its confirm_data_loss = {} does not name {}, so it does not count",
                toml_string(given),
                self.fix_value()
            ),
            Confirmation::ByAllowance { allowance } => {
                format!("; allowed by --allow-data-loss={allowance}")
            }
            Confirmation::OnOperation | Confirmation::Missing => String::new(),
        }
    }

    fn fix_value(&self) -> String {
        self.object
            .confirm_name()
            .unwrap_or_else(|| self.revision.clone())
    }

    fn fix_text(&self) -> String {
        if self.placeholder {
            "no confirmation or --allow-data-loss runs it: replace it by hand first".to_string()
        } else if self.derived {
            format!(
                "to run it, write the downgrade out and add `{}` to this operation, or pass {}",
                self.fix.confirm_line, self.fix.allow_flag
            )
        } else {
            format!(
                "to run it, add `{}` to this operation, or pass {}",
                self.fix.confirm_line, self.fix.allow_flag
            )
        }
    }
}

impl fmt::Display for Finding {
    /// One line: where, what, why, how much, and the fix.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.revision)?;
        if !self.path.as_os_str().is_empty() {
            write!(f, " ({})", self.path.display())?;
        }
        write!(
            f,
            " {} {}: {}{}{}",
            self.location(),
            self.op,
            self.reason,
            self.rows_remark(),
            self.confirmation_remark()
        )?;
        if let Some(rename) = &self.probable_rename {
            write!(
                f,
                "; probably a rename of {} to {} (see below)",
                rename.old_name, rename.new_name
            )?;
        }
        if !self.confirmation.is_confirmed() {
            write!(f, "; {}", self.fix_text())?;
        }
        Ok(())
    }
}

impl fmt::Display for GuardReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.findings.len();
        let verb = if count == 1 { "is" } else { "are" };
        let outcome = match self.stage {
            ReportStage::BeforeRun => "nothing was run",
            ReportStage::InStep => "the step was rolled back, and nothing of it remains",
        };
        write!(
            f,
            "{count} destructive {} {verb} not confirmed; {outcome}.",
            plural(count as u64, "operation")
        )?;
        for finding in &self.findings {
            write!(f, "\n  {finding}")?;
        }
        write_renames(f, &self.findings)?;
        for allowance in &self.unused_allowances {
            write!(
                f,
                "\nnote: --allow-data-loss={allowance} matched no destructive operation in this plan."
            )?;
        }
        Ok(())
    }
}

/// The rename operations to write, after the findings they replace.
pub(crate) fn write_renames(f: &mut fmt::Formatter<'_>, findings: &[Finding]) -> fmt::Result {
    let renames: Vec<(&Finding, &RenameHint)> = findings
        .iter()
        .filter_map(|finding| finding.probable_rename.as_ref().map(|hint| (finding, hint)))
        .collect();
    if renames.is_empty() {
        return Ok(());
    }
    write!(
        f,
        "\nProbable renames: a drop plus a create of nearly the same shape destroys every row; write the rename instead."
    )?;
    for (finding, hint) in renames {
        let created = &hint.created_by;
        let created_at = if created.derived {
            format!(
                "{} (derived: reverses upgrade[{}])",
                created.direction, created.op_index
            )
        } else {
            format!("{}[{}]", created.direction, created.op_index)
        };
        let created_in = if created.revision == finding.revision {
            String::new()
        } else {
            format!("{} ", created.revision)
        };
        write!(
            f,
            "\n  In {}, replace {} {} and {created_in}{created_at} {} with:",
            finding.revision,
            finding.location(),
            finding.op,
            created.op
        )?;
        for line in hint.toml.lines() {
            match line {
                "" => writeln!(f)?,
                line => write!(f, "\n    {line}")?,
            }
        }
    }
    Ok(())
}

fn plural(count: u64, noun: &str) -> String {
    if count == 1 {
        noun.to_string()
    } else {
        format!("{noun}s")
    }
}

/// A string as TOML writes it, quoted and escaped.
pub(crate) fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// The `confirm_data_loss` line in the format of the revision's file.
pub(crate) fn confirm_line(path: &Path, value: &str) -> String {
    let yaml = matches!(
        path.extension().and_then(|ext| ext.to_str()),
        Some("yaml" | "yml")
    );
    if yaml {
        // JSON string syntax is valid YAML and escapes whatever the value holds.
        format!(
            "confirm_data_loss: {}",
            serde_json::Value::String(value.to_string())
        )
    } else {
        format!("confirm_data_loss = {}", toml_string(value))
    }
}
