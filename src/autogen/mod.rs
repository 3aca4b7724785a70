//! Autogenerate (`schema.toml`): compares the live database with the declarative target
//! schema file and writes the revision that closes the gap, renames included, so that a renamed
//! table is a `rename_table` and not Alembic's drop + create (the seed's lost user_profiles).
//! `rmig check` uses the same comparison to report drift.
//!
//! Owns: the target schema file (`file`), the model both sides are read into (`model`),
//! reflection of PostgreSQL and SQLite (`reflect`), the differ and its safe operation order
//! (`diff`), rename detection (`renames`), and writing the revision (`render`). It changes
//! nothing in the database: it reads catalogs, and the revision it writes runs through the
//! normal planner, guard and executor like any other.

mod diff;
mod file;
mod model;
mod reflect;
mod renames;
mod render;

#[cfg(test)]
mod tests;

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::Settings;
use crate::db::{Backend, DbError};
use crate::error::Error;
use crate::ops::{Operation, ScopedOperation};
use crate::revision::RevisionDraft;

pub use crate::guard::matcher::RenameDecider;
pub use diff::{diff, Detected, Diff};
pub use file::load as load_target_schema;
#[cfg(test)]
pub(crate) use file::{EnumEntry, IndexEntry, SchemaDocument, TableEntry};
pub use model::Schema;
pub use reflect::{is_excluded, reflect, ReflectOptions};
pub use render::revision_toml;

/// What went wrong autogenerating or comparing; each says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum AutogenError {
    #[error("there is no target schema file at {}; write one (docs/schema.md in rmig's repository gives its format) or point `target_schema` in rmig.toml at it", path.display())]
    NoTargetSchema { path: PathBuf },
    #[error("cannot read target schema file {}: {source}", path.display())]
    ReadSchema {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}{}: {message}", path.display(), line_suffix(*line))]
    Malformed {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },
    #[error("{}{}: {message}", path.display(), line_suffix(*line))]
    Invalid {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },
    #[error("cannot read the database's schema: {0}")]
    Reflect(DbError),
    #[error("the database is at {} but the new revision would follow {}; run `rmig upgrade` first so that the comparison starts from the revisions' head", heads_text(database), heads_text(head))]
    NotAtHead {
        database: Vec<String>,
        head: Vec<String>,
    },
    #[error("the generated revision does not read back ({0}); this is a bug in rmig, please report it with the target schema file")]
    Unreadable(String),
}

fn line_suffix(line: Option<usize>) -> String {
    line.map(|line| format!(":{line}")).unwrap_or_default()
}

fn heads_text(heads: &[String]) -> String {
    if heads.is_empty() {
        "base".to_string()
    } else {
        heads.join(", ")
    }
}

impl From<AutogenError> for Error {
    fn from(error: AutogenError) -> Error {
        match error {
            AutogenError::Reflect(source) => Error::Db(source),
            other => Error::Usage(other.to_string()),
        }
    }
}

/// Loads the target schema named by the settings, reflects the database, and diffs them.
pub fn compare(
    backend: &mut dyn Backend,
    settings: &Settings,
    decider: Option<&mut dyn RenameDecider>,
) -> Result<Diff, AutogenError> {
    let target = load_target_schema(&settings.target_schema)?;
    let mut schemas = settings.reflect_schemas.clone();
    for table in &target.tables {
        if let Some(schema) = &table.schema {
            if !schemas.contains(schema) {
                schemas.push(schema.clone());
            }
        }
    }
    let options = ReflectOptions {
        schemas,
        version_table: settings.version_table.clone(),
        history_table: settings.history_table.as_ref().map(|t| t.name.clone()),
    };
    check_reserved(&settings.target_schema, &options, &target)?;
    let current = reflect(backend, &options).map_err(AutogenError::Reflect)?;
    Ok(diff(&current, &target, backend.dialect(), decider))
}

/// The version table and `rmig_*` tables belong to rmig, never to a schema file.
fn check_reserved(
    path: &Path,
    options: &ReflectOptions,
    target: &Schema,
) -> Result<(), AutogenError> {
    match target
        .tables
        .iter()
        .find(|table| is_excluded(options, table.schema.as_deref(), &table.name))
    {
        Some(table) => Err(AutogenError::Invalid {
            path: path.to_path_buf(),
            line: None,
            message: format!(
                "table `{}` is rmig's own (the version table, or a name starting with rmig_ or sqlite_); remove it from the target schema",
                table.display_name()
            ),
        }),
        None => Ok(()),
    }
}

/// Autogenerate starts from the head it builds on: a database elsewhere would make the
/// revision repeat (or miss) what the pending revisions do.
pub fn check_at_head(database: &[String], head: &[String]) -> Result<(), AutogenError> {
    let mut a = database.to_vec();
    let mut b = head.to_vec();
    a.sort();
    b.sort();
    if a == b {
        Ok(())
    } else {
        Err(AutogenError::NotAtHead {
            database: database.to_vec(),
            head: head.to_vec(),
        })
    }
}

/// The revision file's text, checked to read back as a revision with the same operations.
pub fn generated_revision(draft: &RevisionDraft, diff: &Diff) -> Result<String, AutogenError> {
    let text = revision_toml(draft, diff);
    let path = draft.file_path(Path::new(""), &crate::revision::FileNaming::default());
    let revision = crate::revision::parse_revision(&path, &text)
        .map_err(|error| AutogenError::Unreadable(error.to_string()))?;
    let ops = |list: &[ScopedOperation]| -> Vec<Operation> {
        list.iter().map(|scoped| scoped.op.clone()).collect()
    };
    if ops(&revision.upgrade) != diff.upgrade_ops()
        || revision.downgrade.as_deref().map(ops) != Some(diff.downgrade_ops())
    {
        return Err(AutogenError::Unreadable(
            "its operations differ from the detected changes".to_string(),
        ));
    }
    Ok(text)
}

/// One line per detected change, as `revision --autogenerate` and `check` print them.
pub fn summary_lines(diff: &Diff) -> Vec<String> {
    diff.changes
        .iter()
        .map(|change| change.detected.to_string())
        .collect()
}

/// A detected change for `--json`: its description and its fields.
#[derive(Debug, Serialize)]
pub struct DriftEntry {
    pub description: String,
    #[serde(flatten)]
    pub detected: Detected,
}

pub fn drift_entries(diff: &Diff) -> Vec<DriftEntry> {
    diff.changes
        .iter()
        .map(|change| DriftEntry {
            description: change.detected.to_string(),
            detected: change.detected.clone(),
        })
        .collect()
}

/// Asks on the terminal (`--interactive`); anything but y or yes is no, as Django's prompt.
pub struct TerminalDecider<'a, R: BufRead> {
    pub input: R,
    pub out: &'a mut dyn Write,
}

impl<R: BufRead> RenameDecider for TerminalDecider<'_, R> {
    fn confirm(&mut self, question: &str) -> bool {
        // The question names tables and columns of the database.
        let question = crate::term::printable(question);
        if write!(self.out, "{question} [y/N] ")
            .and_then(|_| self.out.flush())
            .is_err()
        {
            return false;
        }
        let mut answer = String::new();
        if self.input.read_line(&mut answer).is_err() {
            return false;
        }
        matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
    }
}
