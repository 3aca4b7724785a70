//! SQL for each operation, per dialect: what online mode executes and `--sql` prints.

use crate::dialect::Dialect;

use super::{Execute, Operation, ScalarValue};

/// One statement an operation runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// SQL text, run as is.
    Sql(String),
    /// SQL with bound parameters (`$1`, `$2`, ... on both dialects); values never enter the text.
    Bound {
        sql: String,
        params: Vec<ScalarValue>,
    },
}

/// Why an operation has no SQL for a dialect.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RenderError {
    #[error("operation {op} has no SQL renderer for {dialect} yet")]
    Unsupported { op: &'static str, dialect: Dialect },
}

/// The statements `op` runs on `dialect`, in order (none when an `execute` has no text for it).
pub fn render(op: &Operation, dialect: Dialect) -> Result<Vec<Statement>, RenderError> {
    match op {
        Operation::Execute(execute) => Ok(execute_text(execute, dialect)
            .map(|sql| vec![Statement::Sql(sql.to_string())])
            .unwrap_or_default()),
        other => Err(RenderError::Unsupported {
            op: other.name(),
            dialect,
        }),
    }
}

/// The dialect's own text, else the generic `sqltext`.
fn execute_text(execute: &Execute, dialect: Dialect) -> Option<&str> {
    let own = match dialect {
        Dialect::Postgresql => execute.postgresql.as_deref(),
        Dialect::Sqlite => execute.sqlite.as_deref(),
    };
    own.or(execute.sqltext.as_deref())
}
