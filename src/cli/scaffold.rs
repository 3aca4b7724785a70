//! Commands that write files: `init`, `revision`, `merge`. Each prints the paths it wrote on
//! standard output, one a line, and nothing else there.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Args;

use super::migrate::ConnectionArgs;
use crate::autogen;
use crate::config::{Overrides, CONFIG_FILE, DEFAULT_SCRIPT_LOCATION};
use crate::error::Error;
use crate::exec::current_heads;
use crate::graph::{GraphError, RevIdx};
use crate::project::Project;
use crate::revision::{check_branch_label, check_revision_id, new_revision_id, RevisionDraft};
use crate::term::printable;

use super::{print_written, Log};

#[derive(Debug, Args)]
pub struct RevisionArgs {
    /// Message for the revision.
    #[arg(short, long)]
    message: Option<String>,
    /// The revision to base the new one on (default `head`; `base` starts a new root).
    #[arg(long, allow_hyphen_values = true)]
    head: Option<String>,
    /// Allow a non-head --head, starting a new branch from it.
    #[arg(long)]
    splice: bool,
    /// A branch label for the new revision.
    #[arg(long = "branch-label")]
    branch_label: Vec<String>,
    /// Revisions or branch labels the new revision depends on.
    #[arg(long = "depends-on")]
    depends_on: Vec<String>,
    /// Use this id instead of a random one.
    #[arg(long = "rev-id")]
    rev_id: Option<String>,
    /// Folder to write the file in: one that rmig reads revisions from (default: the only
    /// one, or with several `version_locations` the folder of the revision it follows).
    #[arg(long = "version-path")]
    version_path: Option<PathBuf>,
    /// Compare the database (at head) with the target schema file and write the operations
    /// that close the gap, renames included, with their downgrade.
    #[arg(long)]
    autogenerate: bool,
    /// With --autogenerate on a terminal, ask about each probable rename ("Did you rename
    /// user_profiles to member_profiles? [y/N]") instead of leaving ambiguous ones for review.
    #[arg(long, requires = "autogenerate")]
    interactive: bool,
    #[command(flatten)]
    connection: ConnectionArgs,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The revisions to merge, e.g. `heads` or two ids.
    #[arg(required = true)]
    revisions: Vec<String>,
    /// Message for the merge revision.
    #[arg(short, long)]
    message: Option<String>,
    /// A branch label for the merge revision.
    #[arg(long = "branch-label")]
    branch_label: Vec<String>,
    /// Use this id instead of a random one.
    #[arg(long = "rev-id")]
    rev_id: Option<String>,
    /// Allow revisions that are not heads, making each a branch point (Alembic's
    /// `merge --splice`).
    #[arg(long)]
    splice: bool,
}

pub(super) fn init(dir: &Path, out: &mut dyn Write) -> Result<(), Error> {
    let config = dir.join(CONFIG_FILE);
    if config.exists() {
        return Err(Error::Usage(format!(
            "{} already exists; rmig init will not overwrite it",
            config.display()
        )));
    }
    let revisions = dir.join(DEFAULT_SCRIPT_LOCATION);
    let write_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Write { path, source }
    };
    std::fs::create_dir_all(&revisions).map_err(write_error(&revisions))?;
    let text = format!(
        "# rmig configuration; docs/configuration.md in rmig's repository describes each key.\nscript_location = \"{DEFAULT_SCRIPT_LOCATION}\"\n# Overridden by --url, RMIG_URL or DATABASE_URL.\nurl = \"sqlite:///rmig.db\"\n"
    );
    std::fs::write(&config, text).map_err(write_error(&config))?;
    print_written(out, &config)?;
    print_written(out, &revisions)?;
    Ok(())
}

pub(super) fn revision(
    overrides: &Overrides,
    args: RevisionArgs,
    out: &mut dyn Write,
    log: &mut Log,
) -> Result<(), Error> {
    let project = Project::load(overrides)?;
    let heads = parents_for(
        &project,
        &[args.head.as_deref().unwrap_or("head").to_string()],
        args.splice,
    )?;
    let map = &project.map;
    let mut depends_on = Vec::with_capacity(args.depends_on.len());
    for dep in &args.depends_on {
        // Alembic keeps a label as written and turns anything else into the full id.
        let index = map
            .get_revision(dep)?
            .ok_or_else(|| Error::Usage(format!("--depends-on '{dep}' names no revision")))?;
        depends_on.push(if map.branch_labels(index).contains(dep) {
            dep.clone()
        } else {
            map.id(index).to_string()
        });
    }
    let dir = revision_folder(&project, &heads, args.version_path.as_deref())?;
    let diff = if args.autogenerate {
        Some(autogenerate(&project, &heads, &args, log)?)
    } else {
        None
    };
    let new = NewRevision {
        parents: heads,
        branch_labels: args.branch_label,
        depends_on,
        message: args.message,
        rev_id: args.rev_id,
    };
    match &diff {
        Some(diff) => write_revision(&project, new, &dir, out, &|draft| {
            Ok(autogen::generated_revision(draft, diff)?)
        }),
        None => write_revision(&project, new, &dir, out, &|draft| Ok(draft.to_toml())),
    }
}

/// Compares the database, which must be at the new revision's parents, with the target schema,
/// and tells what it detected.
fn autogenerate(
    project: &Project,
    parents: &[RevIdx],
    args: &RevisionArgs,
    log: &mut Log,
) -> Result<autogen::Diff, Error> {
    let (mut backend, options) = args.connection.connect(&project.settings, log)?;
    let database = current_heads(backend.as_mut(), &options.version_table)?;
    let parents: Vec<String> = parents
        .iter()
        .map(|&p| project.map.id(p).to_string())
        .collect();
    autogen::check_at_head(&database, &parents)?;
    let diff = if args.interactive && std::io::stdin().is_terminal() {
        let mut decider = autogen::TerminalDecider {
            input: std::io::stdin().lock(),
            out: log.prompt(),
        };
        autogen::compare(backend.as_mut(), &project.settings, Some(&mut decider))?
    } else {
        if args.interactive {
            log.warning(
                "--interactive asks only on a terminal; standard input is not one, so ambiguous renames are left in the revision for review.",
            )?;
        }
        autogen::compare(backend.as_mut(), &project.settings, None)?
    };
    if diff.is_empty() {
        writeln!(log.progress(), "No changes in schema detected.")?;
    }
    // Table, column and index names from the database.
    for line in autogen::summary_lines(&diff) {
        writeln!(log.progress(), "Detected {}", printable(&line))?;
    }
    let unsettled = diff.unsettled_renames();
    if unsettled > 0 {
        log.warning(&format!(
            "{unsettled} possible rename(s) not guessed; the revision's comments name the candidates, and the guard blocks their drops until someone decides."
        ))?;
    }
    Ok(diff)
}

pub(super) fn merge(
    overrides: &Overrides,
    args: MergeArgs,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let project = Project::load(overrides)?;
    let heads = parents_for(&project, &args.revisions, args.splice)?;
    let dir = revision_folder(&project, &heads, None)?;
    let new = NewRevision {
        parents: heads,
        branch_labels: args.branch_label,
        depends_on: Vec::new(),
        message: args.message,
        rev_id: args.rev_id,
    };
    write_revision(&project, new, &dir, out, &|draft| Ok(draft.to_toml()))
}

/// Resolves `--head` (or `merge`'s arguments) to the new revision's parents, which must be
/// heads unless splicing.
fn parents_for(project: &Project, specs: &[String], splice: bool) -> Result<Vec<RevIdx>, Error> {
    let map = &project.map;
    let mut heads: Vec<RevIdx> = Vec::new();
    for spec in specs {
        let resolved = map.get_revisions(spec).map_err(|e| match e {
            GraphError::MultipleHeads { heads, .. } => Error::Usage(format!(
                "Multiple heads are present ({}); please specify the head revision on which the new revision should be based, or perform a merge",
                heads.join(", ")
            )),
            other => other.into(),
        })?;
        heads.extend(resolved);
    }
    let mut distinct = heads.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() != heads.len() {
        return Err(Error::Usage(
            "Duplicate head revisions specified".to_string(),
        ));
    }
    if !splice {
        if let Some(&not_head) = heads.iter().find(|&&h| !map.is_head(h)) {
            return Err(Error::Usage(format!(
                "Revision {} is not a head revision; please specify --splice to create a new branch from this revision",
                map.id(not_head)
            )));
        }
    }
    Ok(heads)
}

/// Where a new revision goes, as Alembic decides: `--version-path` when it is a folder rmig
/// reads revisions from (a sub-folder of one too, with `recursive_version_locations`), else
/// the only revision folder, else the folder of the first parent's file.
fn revision_folder(
    project: &Project,
    parents: &[RevIdx],
    version_path: Option<&Path>,
) -> Result<PathBuf, Error> {
    let settings = &project.settings;
    let locations = &settings.version_locations;
    if let Some(wanted) = version_path {
        let wanted_at = comparable(wanted);
        let read = locations
            .iter()
            .map(|folder| comparable(folder))
            .any(|folder| {
                folder == wanted_at
                    || (settings.recursive_version_locations && wanted_at.starts_with(&folder))
            });
        if !read {
            let folders: Vec<String> = locations.iter().map(|f| f.display().to_string()).collect();
            return Err(Error::Usage(format!(
                "--version-path {} is not a folder rmig reads revisions from ({}); pick one of them or add it to version_locations",
                wanted.display(),
                folders.join(", ")
            )));
        }
        return Ok(wanted.to_path_buf());
    }
    if let [only] = locations.as_slice() {
        return Ok(only.clone());
    }
    parents
        .iter()
        .find_map(|&parent| project.map.revision(parent).path.parent())
        .map(Path::to_path_buf)
        .ok_or_else(|| {
            Error::Usage(
                "Multiple version locations present, please specify --version-path".to_string(),
            )
        })
}

/// A folder as an absolute path with `.` and `..` resolved, symbolic links followed where
/// it exists, so that two spellings of one folder compare equal.
fn comparable(folder: &Path) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(folder) {
        return real;
    }
    let absolute = std::path::absolute(folder).unwrap_or_else(|_| folder.to_path_buf());
    let mut out = PathBuf::new();
    for part in absolute.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// What `revision` and `merge` ask for, before the id and date are settled.
struct NewRevision {
    parents: Vec<RevIdx>,
    branch_labels: Vec<String>,
    depends_on: Vec<String>,
    message: Option<String>,
    rev_id: Option<String>,
}

fn write_revision(
    project: &Project,
    new: NewRevision,
    dir: &Path,
    out: &mut dyn Write,
    render: &dyn Fn(&RevisionDraft) -> Result<String, Error>,
) -> Result<(), Error> {
    let map = &project.map;
    let NewRevision {
        parents,
        branch_labels,
        depends_on,
        message,
        rev_id,
    } = new;
    let id = rev_id.unwrap_or_else(new_revision_id);
    check_revision_id(&id).map_err(|reason| {
        Error::Usage(format!(
            "--rev-id '{id}' is not a valid revision id: {reason}"
        ))
    })?;
    if map.index_of(&id).is_some() {
        return Err(Error::Usage(format!(
            "Revision {id} already exists; pick another --rev-id"
        )));
    }
    for label in &branch_labels {
        check_branch_label(label).map_err(|reason| {
            Error::Usage(format!("--branch-label '{label}' is not valid: {reason}"))
        })?;
        if map.resolve_branch(label).is_ok() {
            return Err(Error::Usage(format!(
                "Branch name '{label}' is already used; pick another --branch-label"
            )));
        }
    }
    let draft = RevisionDraft {
        id,
        down_revisions: parents.iter().map(|&p| map.id(p).to_string()).collect(),
        branch_labels,
        depends_on,
        message,
        create_date: chrono::Local::now().fixed_offset(),
    };
    let path = draft.file_path(dir, &project.settings.file_naming);
    // A template with `/` names sub-folders, which Alembic creates too.
    let folder = path.parent().unwrap_or(dir);
    std::fs::create_dir_all(folder).map_err(|source| Error::Write {
        path: folder.to_path_buf(),
        source,
    })?;
    std::fs::write(&path, render(&draft)?).map_err(|source| Error::Write {
        path: path.clone(),
        source,
    })?;
    print_written(out, &path)?;
    Ok(())
}
