//! `edit`: opens revision files in the user's editor, as Alembic's `edit` does.

use std::path::Path;
use std::process::Command;

use clap::Args;

use super::migrate::ConnectionArgs;
use super::status::database_heads;
use super::Log;
use crate::config::Overrides;
use crate::error::Error;
use crate::graph::RevIdx;
use crate::project::Project;

#[derive(Debug, Args)]
pub struct EditArgs {
    /// The revision(s) to open: an id or prefix, a branch label, `head`, `heads`,
    /// `label@head`, `-N`, or `current` for the database's; several open one after another.
    #[arg(allow_hyphen_values = true)]
    revision: String,
}

pub(super) fn edit(overrides: &Overrides, args: EditArgs, log: &mut Log) -> Result<(), Error> {
    let project = Project::load_graph(overrides)?;
    let editor = editor()?;
    let map = &project.map;
    let revisions: Vec<RevIdx> = if args.revision == "current" {
        // The settings' timeouts apply; `edit` takes no connection flags of its own.
        let rows = database_heads(&project, &ConnectionArgs::default(), log)?;
        if rows.is_empty() {
            return Err(Error::Usage(
                "No current revisions: the database's version table is empty or missing; name the revision to edit".to_string(),
            ));
        }
        map.current_revisions(&rows)?
    } else {
        map.get_revisions(&args.revision)?
    };
    if revisions.is_empty() {
        return Err(Error::Usage(format!(
            "No revision files indicated by symbol '{}'",
            args.revision
        )));
    }
    for index in revisions {
        open_in_editor(&editor, &map.revision(index).path)?;
    }
    Ok(())
}

/// `$EDITOR`, else `$VISUAL`, the order Alembic reads them in. Unlike Alembic, rmig does not
/// fall back to an editor it finds on the PATH: a script or a CI job that runs `edit` by
/// mistake fails at once instead of waiting on an editor nobody sees.
fn editor() -> Result<String, Error> {
    let env = |name: &str| {
        std::env::var(name)
            .ok()
            .filter(|value| !value.trim().is_empty())
    };
    env("EDITOR")
        .or_else(|| env("VISUAL"))
        .ok_or_else(|| {
            Error::Usage(
                "edit: no editor is set; set EDITOR (or VISUAL) to the command that opens a file, e.g. EDITOR=vim".to_string(),
            )
        })
}

/// Runs the editor on `path` through `sh`, as git does, so that an editor with its own
/// arguments (`EDITOR="code --wait"`) works; the path goes in as an argument, never into the
/// command text.
fn open_in_editor(editor: &str, path: &Path) -> Result<(), Error> {
    let failed = |reason: String| Error::Editor {
        editor: editor.to_string(),
        path: path.to_path_buf(),
        reason,
    };
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$@\""))
        .arg(editor)
        .arg(path)
        .status()
        .map_err(|error| failed(format!("cannot start it through sh: {error}")))?;
    if !status.success() {
        return Err(failed(match status.code() {
            Some(code) => format!("it exited with status {code}"),
            None => "it was stopped by a signal".to_string(),
        }));
    }
    Ok(())
}
