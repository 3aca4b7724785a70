//! `rmig import-alembic`: an Alembic project's history as rmig revision files, so that a
//! database Alembic migrated continues under rmig with its `alembic_version` rows as they are.
//!
//! Every script keeps its revision id, `down_revision` (a tuple is a merge), `branch_labels`,
//! `depends_on`, message (the docstring's first line) and create date, and its file name (so
//! that rmig's file-name load order is Alembic's). `op.*` calls whose arguments are literals
//! become declarative operations; whatever else the Python does becomes an `execute`
//! placeholder that rmig's guard refuses to run (its SQL is deliberately unreadable) until a
//! person replaces it, listed in the report with file and line. Nothing is executed: scripts
//! are parsed with a real Python parser and only literal parts are evaluated.
//!
//! The parts: `project` (alembic.ini, env.py, version locations), `python` (parser and literal
//! evaluator), `script` (one revision script), `statements` (a function body), `operations`
//! (`op.*` calls), `connection` (SQL run through `op.get_bind()`), `sqla` (SQLAlchemy columns, types and constraints), `bind` (Python argument
//! binding), `emit` (the TOML written).

mod bind;
mod connection;
mod emit;
mod naming;
mod operations;
mod project;
mod python;
mod script;
mod sqla;
mod statements;

use std::fmt;
use std::path::{Path, PathBuf};

use emit::{ConfigOut, Entry, OpTable, Toml};
use project::EnvNaming;

use crate::dialect::Dialect;
use crate::identifier::{MaxNameLength, NameRules};
use crate::ops::naming_convention::NamingConvention;
use naming::Settling;
use statements::{Body, Item, Placeholder};

pub use crate::ops::PLACEHOLDER_MARKER;

/// Why an import failed; each names the file at fault.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{}: {message}", path.display())]
    Source { path: PathBuf, message: String },
    #[error(transparent)]
    Ini(#[from] crate::alembic_ini::AlembicIniError),
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}:{line}: the Python does not parse: {message}")]
    Python {
        file: String,
        line: usize,
        message: String,
    },
    #[error("{file}: {message}")]
    Header { file: String, message: String },
    #[error(
        "no revision scripts found in {locations}; check script_location and version_locations"
    )]
    NoScripts { locations: String },
    #[error("{} already exists; pass --force to overwrite it, or import into another folder with --into", path.display())]
    Exists { path: PathBuf },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}: the imported revision does not load ({message}); this is a bug in rmig import-alembic, please report it with the script")]
    Invalid { file: String, message: String },
    #[error("the imported revisions do not form a valid history: {message}")]
    Graph { message: String },
    /// Several scripts have no readable place in the graph: all of them, so that one import
    /// run shows everything to fix.
    #[error("{} revision scripts cannot be imported, and nothing was written: {}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Scripts(Vec<ImportError>),
}

/// What an import wrote, and what a person must still do.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportReport {
    /// The alembic.ini or script folder read.
    pub source: PathBuf,
    pub config: PathBuf,
    pub revisions_dir: PathBuf,
    /// Revision ids written, in Alembic's load order.
    pub revisions: Vec<String>,
    pub placeholders: Vec<PlaceholderReport>,
    pub notes: Vec<String>,
    /// `op.*` and batch calls in `upgrade()`/`downgrade()` as written (a loop's once).
    pub op_calls: usize,
    /// Those of them outside every placeholder.
    pub converted_calls: usize,
}

/// One placeholder written in place of Python rmig cannot translate.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceholderReport {
    /// The script, relative to the Alembic project.
    pub file: String,
    pub first_line: usize,
    pub last_line: usize,
    pub revision: String,
    /// `upgrade` or `downgrade`.
    pub function: &'static str,
    /// Why, one per statement, each starting with its line.
    pub reasons: Vec<String>,
}

impl PlaceholderReport {
    fn lines(&self) -> String {
        if self.first_line == self.last_line {
            self.first_line.to_string()
        } else {
            format!("{}-{}", self.first_line, self.last_line)
        }
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Imported {} Alembic revision{} from {} into {} and {}/",
            self.revisions.len(),
            if self.revisions.len() == 1 { "" } else { "s" },
            self.source.display(),
            self.config.display(),
            self.revisions_dir.display()
        )?;
        if self.op_calls > 0 {
            write!(
                f,
                "{} of {} op.* calls converted ({:.1}%); ",
                self.converted_calls,
                self.op_calls,
                100.0 * self.converted_calls as f64 / self.op_calls as f64
            )?;
        }
        if self.placeholders.is_empty() {
            writeln!(
                f,
                "every upgrade and downgrade was translated; no placeholders."
            )?;
        } else {
            writeln!(
                f,
                "{} placeholder{} to replace by hand (rmig refuses to run a revision while it holds one):",
                self.placeholders.len(),
                if self.placeholders.len() == 1 { "" } else { "s" }
            )?;
            for placeholder in &self.placeholders {
                writeln!(
                    f,
                    "  {}:{} ({} of {}): {}",
                    placeholder.file,
                    placeholder.lines(),
                    placeholder.function,
                    placeholder.revision,
                    placeholder.reasons.join("; ")
                )?;
            }
        }
        if !self.notes.is_empty() {
            writeln!(f, "Notes:")?;
            for note in &self.notes {
                writeln!(f, "  {note}")?;
            }
        }
        Ok(())
    }
}

/// Imports the Alembic project at `src` (an alembic.ini, a folder holding one, or a script
/// folder) into `into`: `into/rmig.toml` and `into/revisions/`. Existing files are kept
/// unless `force` is set.
pub fn import(src: &Path, into: &Path, force: bool) -> Result<ImportReport, ImportError> {
    let project = project::locate(src)?;
    let env = project::env_settings(&project.script_dir)?;
    let files = project::version_files(&project)?;
    if files.is_empty() {
        return Err(ImportError::NoScripts {
            locations: project
                .version_locations
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let mut notes: Vec<String> = env.notes.clone();
    // The convention the names are settled and the revisions checked with, and the one
    // rmig.toml gets. When env.py's cannot be read, rmig.toml gets none (the user copies it in,
    // or loading refuses unnamed indexes), and SQLAlchemy's default stands in for the check,
    // so that one unreadable convention never aborts the import; it has no template with
    // %(constraint_name)s, so it renames nothing.
    let (naming, written_naming) = match &env.naming {
        EnvNaming::Literal(convention) => (convention.clone(), convention.clone()),
        EnvNaming::Default => {
            let default = NamingConvention::sqlalchemy_default();
            (default.clone(), default)
        }
        EnvNaming::Unreadable { line, reason } => {
            notes.push(format!(
                "env.py line {line}: the naming convention is not literal ({reason}); copy it into rmig.toml's [naming_convention] by hand, or unnamed indexes are refused and unnamed constraints get the database's names rather than Alembic's"
            ));
            (
                NamingConvention::sqlalchemy_default(),
                NamingConvention::default(),
            )
        }
    };
    // Names SQLAlchemy cuts (`op.f`, templates) are written as Alembic gives them on the
    // database of alembic.ini's URL, which rmig.toml gets; without one, PostgreSQL's cut,
    // which loads on every database, and a note on each name SQLite would keep otherwise.
    let url_dialect = project
        .url
        .as_deref()
        .and_then(|url| crate::config::dialect_of_url(url).ok());
    let rules = url_dialect.unwrap_or(Dialect::Postgresql).name_rules();
    let mut settling = Settling {
        naming: naming.for_database(rules),
        by_database: Vec::new(),
    };
    // The importer does not know where the revisions will run, so it holds names to no
    // database's length: each run checks them when it loads them, for its database.
    let any_length = naming.for_database(NameRules {
        max_length: MaxNameLength::Unlimited,
        ..rules
    });
    let (names, renamed) = output_names(&files);
    if renamed {
        notes.push("file names got a number in front so that rmig loads them in Alembic's order (version locations one after another)".into());
    }

    let revisions_dir = into.join("revisions");
    let config_path = into.join(crate::config::CONFIG_FILE);
    if !force {
        if config_path.exists() {
            return Err(ImportError::Exists { path: config_path });
        }
        if let Some(existing) = first_revision_file(&revisions_dir) {
            return Err(ImportError::Exists { path: existing });
        }
    }

    let mut outputs = Vec::with_capacity(files.len());
    let mut placeholders = Vec::new();
    let (mut op_calls, mut converted_calls) = (0, 0);
    let mut loaded = Vec::with_capacity(files.len());
    let mut unreadable = Vec::new();
    for (file, name) in files.iter().zip(&names) {
        let display = relative(file, &project.root);
        let script = match script::read(file, &display) {
            Ok(script) => script,
            Err(error) => {
                unreadable.push(error);
                continue;
            }
        };
        let revision = script.header.revision.clone();
        let mut lists = Vec::new();
        for (function, body) in [
            ("upgrade", &script.upgrade),
            ("downgrade", &script.downgrade),
        ] {
            notes.extend(
                body.notes
                    .iter()
                    .map(|note| format!("{display} ({function}): {note}")),
            );
            op_calls += body.op_call_lines.len();
            converted_calls += body
                .op_call_lines
                .iter()
                .filter(|line| !in_placeholder(body, **line))
                .count();
            lists.push(entries(
                body,
                &display,
                function,
                &revision,
                &mut settling,
                &mut placeholders,
            )?);
        }
        let text = emit::revision_file(&display, &script.header, &lists[0], &lists[1]);
        let path = revisions_dir.join(name);
        let parsed =
            crate::revision::parse_revision_with(&path, &text, any_length).map_err(|error| {
                ImportError::Invalid {
                    file: display.clone(),
                    message: error.to_string(),
                }
            })?;
        loaded.push(parsed);
        outputs.push((path, text));
    }
    if unreadable.len() == 1 {
        return Err(unreadable.remove(0));
    }
    if !unreadable.is_empty() {
        return Err(ImportError::Scripts(unreadable));
    }
    let ids: Vec<String> = loaded.iter().map(|r| r.id.clone()).collect();
    crate::graph::RevisionMap::new(loaded).map_err(|error| ImportError::Graph {
        message: error.to_string(),
    })?;

    settling.by_database.sort();
    settling.by_database.dedup();
    if url_dialect.is_none() && !settling.by_database.is_empty() {
        notes.push(format!(
            "alembic.ini names no database rmig runs on, so the names SQLAlchemy cuts at the database's length (`op.f`, naming-convention templates) are written as on PostgreSQL, where Alembic gives them differently by database: {}; set sqlalchemy.url and import again to write SQLite's",
            settling.by_database.join("; ")
        ));
    }
    let url_ok = url_dialect.is_some();
    if let (Some(url), false) = (&project.url, url_ok) {
        notes.push(format!(
            "sqlalchemy.url '{}' is not a PostgreSQL or SQLite URL; rmig.toml has it as a comment",
            crate::db::redact_url(url)
        ));
    }
    let config = ConfigOut {
        source: project
            .ini
            .as_deref()
            .unwrap_or(&project.script_dir)
            .display()
            .to_string(),
        url: project.url.clone().filter(|_| url_ok),
        unsupported_url: project.url.clone().filter(|_| !url_ok),
        version_table: env.version_table.clone(),
        version_table_schema: env.version_table_schema.clone(),
        transaction_per_migration: env.transaction_per_migration,
        naming_convention: written_naming
            .entries()
            .map(|(key, template)| (key.to_string(), template.to_string()))
            .collect(),
        naming_comment: match env.naming {
            EnvNaming::Literal(_) => "env.py's MetaData(naming_convention=...): names the indexes and constraints revisions create without a name.".to_string(),
            EnvNaming::Default => "SQLAlchemy's default, which Alembic named indexes with (env.py gives MetaData no naming_convention).".to_string(),
            EnvNaming::Unreadable { line, .. } => format!("env.py line {line} gives MetaData a naming convention rmig cannot read: copy it here, as\n# [naming_convention]\n# ix = \"ix_%(column_0_label)s\""),
        },
    };

    let write_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ImportError::Write { path, source }
    };
    std::fs::create_dir_all(&revisions_dir).map_err(write_error(&revisions_dir))?;
    for (path, text) in &outputs {
        std::fs::write(path, text).map_err(write_error(path))?;
    }
    std::fs::write(&config_path, emit::config_file(&config)).map_err(write_error(&config_path))?;
    let written: Vec<&PathBuf> = outputs.iter().map(|(p, _)| p).collect();
    if let Ok(entries) = std::fs::read_dir(&revisions_dir) {
        let mut others: Vec<String> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| crate::revision::FileFormat::of(p).is_some() && !written.contains(&p))
            .map(|p| p.display().to_string())
            .collect();
        others.sort();
        if !others.is_empty() {
            notes.push(format!(
                "{} already held other revision files, left as they were: {}",
                revisions_dir.display(),
                others.join(", ")
            ));
        }
    }
    Ok(ImportReport {
        source: project.ini.clone().unwrap_or(project.script_dir.clone()),
        config: config_path,
        revisions_dir,
        revisions: ids,
        placeholders,
        notes,
        op_calls,
        converted_calls,
    })
}

/// Whether `line` lies in one of the body's placeholders.
fn in_placeholder(body: &Body, line: usize) -> bool {
    body.items.iter().any(
        |item| matches!(item, Item::Placeholder(p) if (p.first_line..=p.last_line).contains(&line)),
    )
}

/// The entries of one list, names settled as Alembic settles them, placeholders made and
/// recorded.
fn entries(
    body: &Body,
    display: &str,
    function: &'static str,
    revision: &str,
    naming: &mut Settling<'_>,
    placeholders: &mut Vec<PlaceholderReport>,
) -> Result<Vec<Entry>, ImportError> {
    body.items
        .iter()
        .map(|item| match item {
            Item::Op { line, op } => {
                let mut op = op.clone();
                naming::resolve_names(&mut op, naming).map_err(|message| ImportError::Invalid {
                    file: format!("{display}:{line}"),
                    message,
                })?;
                Ok(Entry {
                    comment: format!("{display}:{line}"),
                    op,
                })
            }
            Item::Placeholder(placeholder) => {
                let report = PlaceholderReport {
                    file: display.to_string(),
                    first_line: placeholder.first_line,
                    last_line: placeholder.last_line,
                    revision: revision.to_string(),
                    function,
                    reasons: placeholder.reasons.clone(),
                };
                let entry = placeholder_entry(&report, placeholder);
                placeholders.push(report);
                Ok(entry)
            }
        })
        .collect()
}

/// An `execute` standing for Python that was not translated: its SQL comments out the Python
/// and ends with a line no database runs.
fn placeholder_entry(report: &PlaceholderReport, placeholder: &Placeholder) -> Entry {
    let mut sql = format!(
        "-- rmig import-alembic placeholder for {}:{} ({}()), which rmig cannot translate:\n",
        report.file,
        report.lines(),
        report.function
    );
    for reason in &report.reasons {
        sql.push_str(&format!("--   {}\n", reason.replace(['\n', '\r'], " ")));
    }
    sql.push_str(
        "-- Replace this whole operation with SQL or operations doing what this Python does:\n",
    );
    for line in placeholder.code.replace("\r\n", "\n").split(['\n', '\r']) {
        sql.push_str(format!("--     {line}").trim_end());
        sql.push('\n');
    }
    sql.push_str(PLACEHOLDER_MARKER);
    Entry {
        comment: format!(
            "PLACEHOLDER for {}:{}: replace this operation by hand; rmig refuses to run it as it is.",
            report.file,
            report.lines()
        ),
        op: OpTable::new("execute").with("sqltext", Toml::Str(sql)),
    }
}

/// The revision file name for each script: its own name with `.toml`, unless two locations
/// hold the same name or sorting the names would change Alembic's order, in which case all
/// names get their position in front.
fn output_names(files: &[PathBuf]) -> (Vec<String>, bool) {
    let stems: Vec<String> = files
        .iter()
        .map(|f| {
            f.file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default()
        })
        .collect();
    let mut sorted = stems.clone();
    sorted.sort();
    sorted.dedup();
    if sorted == stems {
        return (
            stems.into_iter().map(|s| format!("{s}.toml")).collect(),
            false,
        );
    }
    let width = files.len().to_string().len().max(4);
    (
        stems
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{:0width$}_{s}.toml", i + 1))
            .collect(),
        true,
    )
}

fn first_revision_file(dir: &Path) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && crate::revision::FileFormat::of(p).is_some())
        .collect();
    found.sort();
    found.into_iter().next()
}

/// `path` relative to `root` when it is inside it.
fn relative(path: &Path, root: &Path) -> String {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (path_abs, root_abs) = (absolute(path), absolute(root));
    path_abs
        .strip_prefix(&root_abs)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

#[cfg(test)]
mod tests;
