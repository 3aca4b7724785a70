//! Read commands: `heads`, `branches`, `history`, `show`, in Alembic's text format or as one
//! JSON document with `--json`.

use std::io::Write;

use clap::Args;
use serde::Serialize;

use crate::config::Overrides;
use crate::error::Error;
use crate::graph::{RevIdx, RevisionMap};
use crate::plan::walk_range;
use crate::project::Project;
use crate::term::printable;

#[derive(Debug, Args)]
pub struct HeadsArgs {
    /// Show revision details (the global `-v`).
    #[arg(skip)]
    pub(super) verbose: bool,
    /// Treat dependency revisions as down revisions (heads that others depend on are hidden).
    #[arg(long)]
    resolve_dependencies: bool,
    /// Print one JSON document.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct BranchesArgs {
    /// Show revision details (the global `-v`).
    #[arg(skip)]
    pub(super) verbose: bool,
    /// Print one JSON document.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Range of revisions, `[start]:[end]`.
    #[arg(short = 'r', long = "rev-range", allow_hyphen_values = true)]
    rev_range: Option<String>,
    /// Show revision details (the global `-v`).
    #[arg(skip)]
    pub(super) verbose: bool,
    /// Mark the revisions the database is at with `(current)`; connects to the database.
    #[arg(short = 'i', long)]
    indicate_current: bool,
    /// Draw the revision graph beside the list, like `git log --graph`.
    #[arg(long, conflicts_with = "json")]
    graph: bool,
    /// Print one JSON document.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    connection: super::migrate::ConnectionArgs,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The revision(s) to show (ids, prefixes, labels, `head`, `heads`).
    #[arg(required = true)]
    revisions: Vec<String>,
    /// Print one JSON document.
    #[arg(long)]
    json: bool,
}

/// A revision as `--json` prints it.
#[derive(Debug, Serialize)]
struct RevisionJson<'a> {
    revision: &'a str,
    down_revisions: Vec<&'a str>,
    depends_on: &'a [String],
    branch_labels: Vec<&'a str>,
    message: Option<&'a str>,
    create_date: Option<&'a str>,
    is_head: bool,
    is_effective_head: bool,
    is_branch_point: bool,
    is_merge_point: bool,
    path: String,
}

impl<'a> RevisionJson<'a> {
    fn of(map: &'a RevisionMap, index: RevIdx) -> RevisionJson<'a> {
        let revision = map.revision(index);
        RevisionJson {
            revision: &revision.id,
            down_revisions: map
                .down_revisions(index)
                .iter()
                .map(|&d| map.id(d))
                .collect(),
            depends_on: &revision.depends_on,
            branch_labels: map
                .branch_labels(index)
                .iter()
                .map(String::as_str)
                .collect(),
            message: revision.message.as_deref(),
            create_date: revision.create_date.as_deref(),
            is_head: map.real_heads().contains(&index),
            is_effective_head: map.is_head(index) && !map.real_heads().contains(&index),
            is_branch_point: map.is_branch_point(index),
            is_merge_point: map.is_merge_point(index),
            path: revision.path.display().to_string(),
        }
    }
}

fn print_json(out: &mut dyn Write, value: &impl Serialize) -> Result<(), Error> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(())
}

/// Which parts of a one-line entry to show (Alembic's `Script._head_only`).
#[derive(Default, Clone, Copy)]
struct LineParts {
    branches: bool,
    doc: bool,
    parents: bool,
    tree: bool,
    current: bool,
}

/// Alembic's one-line form, e.g. `1975ea83b712 -> ae1027a6acf (head), rename`.
fn line(map: &RevisionMap, index: RevIdx, parts: LineParts) -> String {
    let revision = map.revision(index);
    let mut text = revision.id.clone();
    if parts.parents {
        let parents = format_parents(map, index);
        text = if revision.depends_on.is_empty() {
            format!("{parents} -> {text}")
        } else {
            format!("{parents} ({}) -> {text}", revision.depends_on.join(", "))
        };
    }
    let labels = map.branch_labels(index);
    if parts.branches && !labels.is_empty() {
        let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
        text.push_str(&format!(" ({})", labels.join(", ")));
    }
    let real_head = map.real_heads().contains(&index);
    if real_head {
        text.push_str(" (head)");
    } else if map.is_head(index) {
        text.push_str(" (effective head)");
    }
    if parts.current {
        text.push_str(" (current)");
    }
    if parts.tree {
        if map.is_branch_point(index) {
            text.push_str(" (branchpoint)");
        }
        if map.is_merge_point(index) {
            text.push_str(" (mergepoint)");
        }
    }
    if parts.doc {
        text.push_str(&format!(
            ", {}",
            printable(revision.message.as_deref().unwrap_or("empty message"))
        ));
    }
    text
}

fn format_parents(map: &RevisionMap, index: RevIdx) -> String {
    let parents: Vec<&str> = map
        .down_revisions(index)
        .iter()
        .map(|&d| map.id(d))
        .collect();
    if parents.is_empty() {
        "<base>".to_string()
    } else {
        parents.join(", ")
    }
}

/// The line `current` prints for a revision the database is at.
pub(super) fn current_line(map: &RevisionMap, index: RevIdx) -> String {
    line(
        map,
        index,
        LineParts {
            tree: true,
            ..LineParts::default()
        },
    )
}

/// Alembic's `log_entry`: the multi-line form `show` and `-v` print.
pub(super) fn log_entry(map: &RevisionMap, index: RevIdx) -> String {
    log_entry_marked(map, index, false)
}

fn log_entry_marked(map: &RevisionMap, index: RevIdx, current: bool) -> String {
    let revision = map.revision(index);
    let mut entry = format!("Rev: {}", revision.id);
    if map.is_head(index) {
        entry.push_str(" (head)");
    }
    if map.is_branch_point(index) {
        entry.push_str(" (branchpoint)");
    }
    if map.is_merge_point(index) {
        entry.push_str(" (mergepoint)");
    }
    if current {
        entry.push_str(" (current)");
    }
    entry.push('\n');
    let parents = format_parents(map, index);
    if map.is_merge_point(index) {
        entry.push_str(&format!("Merges: {parents}\n"));
    } else {
        entry.push_str(&format!("Parent: {parents}\n"));
    }
    if !revision.depends_on.is_empty() {
        entry.push_str(&format!(
            "Also depends on: {}\n",
            revision.depends_on.join(", ")
        ));
    }
    if map.is_branch_point(index) {
        let next: Vec<&str> = map
            .next_revisions(index)
            .iter()
            .map(|&n| map.id(n))
            .collect();
        entry.push_str(&format!("Branches into: {}\n", next.join(", ")));
    }
    let labels = map.branch_labels(index);
    if !labels.is_empty() {
        let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
        entry.push_str(&format!("Branch names: {}\n", labels.join(", ")));
    }
    let path = revision.path.display().to_string();
    entry.push_str(&format!("Path: {}\n\n", printable(&path)));
    entry.push_str(&format!(
        "    {}\n\n",
        printable(revision.message.as_deref().unwrap_or("empty message"))
    ));
    entry.push_str(&format!("    Revision ID: {}\n", revision.id));
    entry.push_str(&format!(
        "    Revises: {}\n",
        map.down_revisions(index)
            .iter()
            .map(|&d| map.id(d))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    entry.push_str(&format!(
        "    Create Date: {}\n",
        revision.create_date.as_deref().unwrap_or("")
    ));
    entry
}

pub(super) fn heads(
    overrides: &Overrides,
    args: HeadsArgs,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let project = Project::load_graph(overrides)?;
    let map = &project.map;
    let heads = if args.resolve_dependencies {
        map.real_heads()
    } else {
        map.heads()
    };
    if args.json {
        let heads: Vec<RevisionJson> = heads.iter().map(|&h| RevisionJson::of(map, h)).collect();
        return print_json(
            out,
            &serde_json::json!({ "version": super::JSON_VERSION, "heads": heads }),
        );
    }
    for &head in heads {
        if args.verbose {
            writeln!(out, "{}", log_entry(map, head))?;
        } else {
            let parts = LineParts {
                branches: true,
                ..LineParts::default()
            };
            writeln!(out, "{}", line(map, head, parts))?;
        }
    }
    Ok(())
}

pub(super) fn branches(
    overrides: &Overrides,
    args: BranchesArgs,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let project = Project::load_graph(overrides)?;
    let map = &project.map;
    let points: Vec<RevIdx> = walk_range(map, None, None)?
        .into_iter()
        .filter(|&i| map.is_branch_point(i))
        .collect();
    if args.json {
        let points: Vec<serde_json::Value> = points
            .iter()
            .map(|&p| {
                let next: Vec<&str> = map.next_revisions(p).iter().map(|&n| map.id(n)).collect();
                serde_json::json!({ "revision": RevisionJson::of(map, p), "branches_into": next })
            })
            .collect();
        return print_json(
            out,
            &serde_json::json!({ "version": super::JSON_VERSION, "branch_points": points }),
        );
    }
    let parts = LineParts {
        branches: true,
        tree: true,
        ..LineParts::default()
    };
    for point in points {
        let head = if args.verbose {
            log_entry(map, point)
        } else {
            line(map, point, parts)
        };
        writeln!(out, "{head}")?;
        let indent = " ".repeat(map.id(point).len());
        for &next in map.next_revisions(point) {
            let child = line(
                map,
                next,
                LineParts {
                    branches: true,
                    doc: args.verbose,
                    tree: true,
                    ..LineParts::default()
                },
            );
            writeln!(out, "{indent} -> {child}")?;
        }
        writeln!(out)?;
    }
    Ok(())
}

pub(super) fn history(
    overrides: &Overrides,
    args: HistoryArgs,
    out: &mut dyn Write,
    log: &mut super::Log,
) -> Result<(), Error> {
    let project = Project::load_graph(overrides)?;
    let map = &project.map;
    let (start, end) = match &args.rev_range {
        Some(range) => range.trim().split_once(':').ok_or_else(|| {
            Error::Usage("History range requires [start]:[end], [start]:, or :[end]".to_string())
        })?,
        None => ("", ""),
    };
    let uses_database = args.indicate_current || start == "current" || end == "current";
    let current = if uses_database {
        super::status::database_heads(&project, &args.connection, log)?
    } else {
        Vec::new()
    };
    // `current` in a range stands for the database's head, as in Alembic.
    let range_end = |spec: &str| -> Result<String, Error> {
        if spec != "current" {
            return Ok(spec.to_string());
        }
        match current.as_slice() {
            [] => Ok("base".to_string()),
            [one] => Ok(one.clone()),
            many => Err(Error::Usage(format!(
                "`current` in a range names one revision, but the database is at several: {}",
                many.join(", ")
            ))),
        }
    };
    let (start, end) = (range_end(start)?, range_end(end)?);
    let revisions = walk_range(map, Some(&start), Some(&end))?;
    let is_current = |r: RevIdx| args.indicate_current && current.iter().any(|c| c == map.id(r));
    if args.json {
        let revisions: Vec<serde_json::Value> = revisions
            .iter()
            .map(|&r| {
                let mut value = serde_json::to_value(RevisionJson::of(map, r)).unwrap_or_default();
                if args.indicate_current {
                    value["is_current"] = serde_json::Value::Bool(is_current(r));
                }
                value
            })
            .collect();
        return print_json(
            out,
            &serde_json::json!({ "version": super::JSON_VERSION, "revisions": revisions }),
        );
    }
    if args.graph {
        let entry = |revision: RevIdx| {
            if args.verbose {
                log_entry_marked(map, revision, is_current(revision)) + "\n"
            } else {
                let parts = LineParts {
                    branches: true,
                    doc: true,
                    parents: true,
                    tree: true,
                    current: is_current(revision),
                };
                line(map, revision, parts)
            }
        };
        let picture = crate::render::graph::ascii(map, &revisions, entry);
        out.write_all(picture.as_bytes())?;
        return Ok(());
    }
    for revision in revisions {
        if args.verbose {
            writeln!(
                out,
                "{}",
                log_entry_marked(map, revision, is_current(revision))
            )?;
        } else {
            let parts = LineParts {
                branches: true,
                doc: true,
                parents: true,
                tree: true,
                current: is_current(revision),
            };
            writeln!(out, "{}", line(map, revision, parts))?;
        }
    }
    Ok(())
}
pub(super) fn show(
    overrides: &Overrides,
    args: ShowArgs,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let project = Project::load_graph(overrides)?;
    super::no_empty_revision("show", &args.revisions)?;
    let map = &project.map;
    let mut revisions = Vec::new();
    for spec in &args.revisions {
        revisions.extend(map.get_revisions(spec)?);
    }
    if args.json {
        let revisions: Vec<RevisionJson> = revisions
            .iter()
            .map(|&r| RevisionJson::of(map, r))
            .collect();
        return print_json(
            out,
            &serde_json::json!({ "version": super::JSON_VERSION, "revisions": revisions }),
        );
    }
    for revision in revisions {
        writeln!(out, "{}", log_entry(map, revision))?;
    }
    Ok(())
}
