//! `rmig completions <shell>` and `rmig man`, generated from the clap definition, so they
//! never drift from the real flags. The man pages add what clap does not know: the exit
//! statuses and environment variables (from `crate::reference`) and each command's examples.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, CommandFactory};
use clap_mangen::roff::{bold, roman, Roff};
use clap_mangen::Man;

use super::{Cli, Log};
use crate::error::Error;
use crate::reference::{ENVIRONMENT, EXIT_STATUSES};

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write rmig.1 and one page per command (rmig-upgrade.1, ...) into DIR instead of
    /// printing rmig.1.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// A command line for a man page's EXAMPLES, and what it does.
struct Example {
    /// The command whose page shows it; rmig.1 shows each command's first.
    command: &'static str,
    line: &'static str,
    does: &'static str,
}

const EXAMPLES: &[Example] = &[
    Example {
        command: "init",
        line: "rmig init .",
        does: "Write rmig.toml and an empty revisions/ folder in the current folder.",
    },
    Example {
        command: "revision",
        line: "rmig revision -m \"add users\"",
        does: "Write a new revision file after the head.",
    },
    Example {
        command: "revision",
        line: "rmig revision --autogenerate -m \"sync schema\"",
        does: "Write the operations that bring the database, at head, to the target schema file.",
    },
    Example {
        command: "merge",
        line: "rmig merge heads -m \"merge branches\"",
        does: "Write a revision that merges every head.",
    },
    Example {
        command: "upgrade",
        line: "rmig upgrade head",
        does: "Apply every revision not applied yet, one transaction per revision.",
    },
    Example {
        command: "upgrade",
        line: "rmig upgrade head --url postgresql://app@db.internal/app --lock-timeout 30s",
        does: "The same on the database the URL names, waiting up to 30 seconds for locks.",
    },
    Example {
        command: "upgrade",
        line: "rmig upgrade head --sql > upgrade.sql",
        does: "Write the SQL script instead of running it; no database is touched.",
    },
    Example {
        command: "upgrade",
        line: "rmig upgrade head --url-file tenants.txt --jobs 8",
        does: "Upgrade every database tenants.txt lists, 8 at a time, then print a summary table.",
    },
    Example {
        command: "downgrade",
        line: "rmig downgrade -1",
        does: "Revert the last revision applied.",
    },
    Example {
        command: "downgrade",
        line: "rmig downgrade head:base --sql",
        does: "Print the SQL that reverts every revision.",
    },
    Example {
        command: "stamp",
        line: "rmig stamp head",
        does: "Record the head as applied without running anything, for a database built another way.",
    },
    Example {
        command: "ensure-version",
        line: "rmig ensure-version",
        does: "Create the version table if it is missing, and nothing else.",
    },
    Example {
        command: "current",
        line: "rmig current -v",
        does: "Show the revisions the database is at and the URL in force, password hidden.",
    },
    Example {
        command: "current",
        line: "rmig current --check-heads",
        does: "Exit 4, printing nothing, unless every head is applied.",
    },
    Example {
        command: "check",
        line: "rmig check",
        does: "In CI: exit 4 when revisions are pending or the database differs from the target schema.",
    },
    Example {
        command: "check",
        line: "rmig check --lint",
        does: "List every destructive operation and whether it is confirmed, and on PostgreSQL each statement that holds an existing table up while it scans or rewrites it; no database.",
    },
    Example {
        command: "check",
        line: "rmig check --lint --format github",
        does: "In a GitHub workflow: annotate the pull request's revision files with each finding.",
    },
    Example {
        command: "heads",
        line: "rmig heads --json",
        does: "Print the head revisions as one JSON document.",
    },
    Example {
        command: "branches",
        line: "rmig branches -v",
        does: "Show each branch point with its revision details.",
    },
    Example {
        command: "history",
        line: "rmig history --graph -i",
        does: "List the revisions beside their graph, marking the ones the database is at.",
    },
    Example {
        command: "history",
        line: "rmig history -r base:head -v",
        does: "List every revision with its details, oldest last.",
    },
    Example {
        command: "show",
        line: "rmig show head",
        does: "Show the head revision in full.",
    },
    Example {
        command: "edit",
        line: "rmig edit head",
        does: "Open the head revision's file in $EDITOR.",
    },
    Example {
        command: "import-alembic",
        line: "rmig import-alembic ../app/alembic.ini --into .",
        does: "Write an Alembic project's revisions as rmig revisions in the current folder.",
    },
    Example {
        command: "graph",
        line: "rmig graph --format dot | dot -Tsvg > graph.svg",
        does: "Draw the revision graph with Graphviz.",
    },
    Example {
        command: "completions",
        line: "rmig completions bash > /etc/bash_completion.d/rmig",
        does: "Install bash completion.",
    },
    Example {
        command: "man",
        line: "rmig man --dir /usr/local/share/man/man1",
        does: "Install rmig.1 and a page per command.",
    },
];

pub(super) fn completions(args: CompletionsArgs, out: &mut dyn Write) -> Result<(), Error> {
    clap_complete::generate(args.shell, &mut super::command(), "rmig", out);
    Ok(())
}

pub(super) fn man(args: ManArgs, out: &mut dyn Write, log: &mut Log) -> Result<(), Error> {
    // No `help` command: it is `--help` spelled as a command, and would be a page not written.
    let mut rmig = super::with_global_options(Cli::command().disable_help_subcommand(true));
    // Building names each command's page after its parent's: rmig-upgrade.
    rmig.build();
    // rmig.1 shows each command's first example.
    let rmig_examples: Vec<&Example> = rmig
        .get_subcommands()
        .filter_map(|command| examples_of(command.get_name()).first().copied())
        .collect();
    match args.dir {
        Some(dir) => {
            let write_error = |source| Error::Write {
                path: dir.clone(),
                source,
            };
            std::fs::create_dir_all(&dir).map_err(write_error)?;
            for command in rmig.get_subcommands() {
                write_page(command.clone(), &examples_of(command.get_name()), &dir)?;
            }
            write_page(rmig, &rmig_examples, &dir)?;
            let dir = dir.display().to_string();
            writeln!(
                log.progress(),
                "Wrote man pages to {}",
                crate::term::printable(&dir)
            )?;
        }
        None => render_page(rmig, &rmig_examples, out)?,
    }
    Ok(())
}

/// The examples of the command named `name`, in the order [`EXAMPLES`] gives them.
fn examples_of(name: &str) -> Vec<&'static Example> {
    EXAMPLES
        .iter()
        .filter(|example| example.command == name)
        .collect()
}

/// Writes `command`'s page into `dir`, named as clap names it (`rmig-upgrade.1`).
fn write_page(
    command: clap::Command,
    examples: &[&Example],
    dir: &std::path::Path,
) -> Result<(), Error> {
    let path = dir.join(Man::new(command.clone()).get_filename());
    let write_error = |source| Error::Write {
        path: path.clone(),
        source,
    };
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).map_err(write_error)?);
    render_page(command, examples, &mut file)
        .and_then(|()| file.flush())
        .map_err(write_error)
}

/// clap_mangen's sections, with EXIT STATUS, ENVIRONMENT and EXAMPLES before VERSION.
fn render_page(
    command: clap::Command,
    examples: &[&Example],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let has_options = command.get_arguments().any(|arg| !arg.is_hide_set());
    let has_commands = command.get_subcommands().any(|sub| !sub.is_hide_set());
    let has_version = command.get_version().is_some();
    let man = Man::new(command);
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    if has_options {
        man.render_options_section(out)?;
    }
    if has_commands {
        man.render_subcommands_section(out)?;
    }
    let mut roff = Roff::new();
    roff.control("SH", ["EXIT STATUS"]);
    for status in &EXIT_STATUSES {
        tagged(&mut roff, &status.code.to_string(), status.meaning);
    }
    roff.control("SH", ["ENVIRONMENT"]);
    for variable in &ENVIRONMENT {
        tagged(&mut roff, variable.name, variable.meaning);
    }
    roff.control("SH", ["EXAMPLES"]);
    for example in examples {
        tagged(&mut roff, example.line, example.does);
    }
    roff.to_writer(out)?;
    if has_version {
        man.render_version_section(out)?;
    }
    Ok(())
}

/// One `.TP` paragraph: `tag` in bold, `text` under it.
fn tagged(roff: &mut Roff, tag: &str, text: &str) {
    roff.control("TP", []).text([bold(tag)]).text([roman(text)]);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words of an example's rmig command, as sh splits them: up to a pipe or a
    /// redirection, double quotes removed.
    fn words(line: &str) -> Vec<String> {
        let mut words = Vec::new();
        let mut word = String::new();
        let mut quoted = false;
        for c in line.chars() {
            match c {
                '"' => quoted = !quoted,
                '|' | '>' if !quoted => break,
                ' ' if !quoted => {
                    words.extend((!word.is_empty()).then(|| std::mem::take(&mut word)))
                }
                c => word.push(c),
            }
        }
        words.extend((!word.is_empty()).then_some(word));
        words
    }

    #[test]
    fn every_example_parses_as_its_command() {
        for example in EXAMPLES {
            let mut rmig = super::super::command();
            let matches = rmig
                .try_get_matches_from_mut(words(example.line))
                .unwrap_or_else(|e| panic!("{}: {e}", example.line));
            super::super::refuse_unused_global_options(&rmig, &matches)
                .unwrap_or_else(|e| panic!("{}: {e}", example.line));
            assert_eq!(
                matches.subcommand_name(),
                Some(example.command),
                "{}",
                example.line
            );
        }
    }

    #[test]
    fn every_command_has_an_example() {
        let rmig = super::super::command();
        for command in rmig.get_subcommands().filter(|c| c.get_name() != "help") {
            assert!(
                EXAMPLES.iter().any(|e| e.command == command.get_name()),
                "{} has no example",
                command.get_name()
            );
        }
    }

    #[test]
    fn words_stop_at_a_pipe_and_drop_quotes() {
        assert_eq!(
            words("rmig revision -m \"a | b\" | cat"),
            ["rmig", "revision", "-m", "a | b"]
        );
    }
}
