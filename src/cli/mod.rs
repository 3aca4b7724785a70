//! The command line: clap definitions whose doc comments are the help text, and one function
//! per command. Commands print what they exist to print to the output writer they are given
//! (standard output) and what they say besides to a `Log` (standard error), so tests can
//! capture both.

mod docs;
mod edit;
mod fleet;
mod graph;
#[cfg(feature = "alembic-import")]
mod import;
mod lint;
mod listing;
mod logging;
mod migrate;
mod scaffold;
mod status;

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::Overrides;
use crate::error::Error;

/// The `"version"` every `--json` document carries (docs/json.md): raised when a field changes
/// meaning or goes away, so scripts can tell which layout they read. New fields keep it.
pub const JSON_VERSION: u32 = 1;

/// rmig: Alembic-compatible database migrations that never drop data unasked.
///
/// Parsed through [`command`], which lets each command take the global options after its name.
#[derive(Debug, Parser)]
#[command(name = "rmig", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options given before or after the command name (`rmig -q upgrade head`, `rmig history -v`),
/// each to the commands that use it ([`uses_global_option`], [`command`]).
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct GlobalArgs {
    /// Config file to read instead of ./rmig.toml (an alembic.ini works too).
    #[arg(short = 'c', long = "config")]
    pub config: Option<PathBuf>,
    /// Database URL; overrides RMIG_URL, DATABASE_URL and the config file.
    #[arg(long)]
    pub url: Option<String>,
    /// Print only errors and what the run is for (the --sql script, the --url-file summary).
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Print more: revision details for listings, the database and timings for runs.
    #[arg(short = 'v', long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// Whether `command` uses the global option `id`. `-c` and `--url` are for every command that
/// reads the project: the URL's database decides the name rules its revision files are read
/// with. `-q` and `-v` are for the commands whose output they change.
fn uses_global_option(command: &str, id: &str) -> bool {
    match id {
        // Every command that connects (and so says where it goes) or tells its progress.
        "quiet" => !matches!(
            command,
            "heads" | "branches" | "show" | "edit" | "completions"
        ),
        "verbose" => matches!(
            command,
            "upgrade" | "downgrade" | "current" | "heads" | "branches" | "history"
        ),
        _ => !matches!(command, "init" | "import-alembic" | "completions" | "man"),
    }
}

impl GlobalArgs {
    fn overrides(&self) -> Overrides {
        Overrides {
            config: self.config.clone(),
            url: self.url.clone(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create rmig.toml and an empty revision folder in DIR.
    Init { dir: PathBuf },
    /// Create a new revision file.
    Revision(scaffold::RevisionArgs),
    /// Create a revision that merges two or more heads.
    Merge(scaffold::MergeArgs),
    /// Upgrade to a later revision.
    Upgrade(migrate::MigrateArgs),
    /// Revert to an earlier revision.
    Downgrade(migrate::MigrateArgs),
    /// Record revisions as applied without running them.
    Stamp(migrate::StampArgs),
    /// Create the version table if it does not exist, and nothing else (Alembic's
    /// `ensure_version`, a spelling rmig accepts too).
    #[command(name = "ensure-version", visible_alias = "ensure_version")]
    EnsureVersion(migrate::EnsureVersionArgs),
    /// Show the revisions the database is at.
    Current(status::CurrentArgs),
    /// Exit 4 when the database has revisions still to apply, or differs from the target schema.
    Check(status::CheckArgs),
    /// Show the head revisions of the revision files.
    Heads(listing::HeadsArgs),
    /// Show branch points.
    Branches(listing::BranchesArgs),
    /// List revisions in order, newest first.
    History(listing::HistoryArgs),
    /// Show one or more revisions in full.
    Show(listing::ShowArgs),
    /// Open revision files in $EDITOR (else $VISUAL), as Alembic's `edit` does.
    Edit(edit::EditArgs),
    /// Write an Alembic project's revisions as rmig revisions (same ids, so alembic_version
    /// carries on), with placeholders for Python that has no declarative form.
    #[cfg(feature = "alembic-import")]
    #[command(name = "import-alembic")]
    ImportAlembic(import::ImportArgs),
    /// Print the revision graph as Mermaid (renders on GitHub) or Graphviz DOT.
    Graph(graph::GraphArgs),
    /// Print a shell completion script: `rmig completions bash > /etc/bash_completion.d/rmig`.
    Completions(docs::CompletionsArgs),
    /// Print the man page (roff), or write one page per command into a folder.
    Man(docs::ManArgs),
}

/// The command line as rmig parses, documents and completes it. (`Cli` alone takes the
/// global options only before the command name.)
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    with_global_options(Cli::command())
}

/// Gives each command of `cli` the options of [`GlobalArgs`] it uses ([`uses_global_option`]),
/// so that its help lists them and they may follow its name. Each copy is global, which makes
/// clap hand a value given after the command name up to `GlobalArgs`; marking `GlobalArgs`
/// itself global would copy every option into every command.
pub(super) fn with_global_options(cli: clap::Command) -> clap::Command {
    // Until the definition is built (which adds --help and --version), `Cli`'s own arguments
    // are exactly `GlobalArgs`'.
    let options: Vec<clap::Arg> = cli.get_arguments().cloned().collect();
    cli.mut_subcommands(|mut command| {
        let name = command.get_name().to_string();
        for option in &options {
            let id = option.get_id().as_str();
            if uses_global_option(&name, id) {
                // Without `Cli`'s place for it, the option is listed after the command's own.
                let mut option = option.clone().global(true).display_order(None);
                // `-q -v` contradict each other where a command takes both.
                if id == "quiet" && uses_global_option(&name, "verbose") {
                    option = option.conflicts_with("verbose");
                }
                command = command.arg(option);
            }
        }
        command
    })
}

/// A global option given before the name of a command that does not use it is bad input, as
/// it is after the name (clap's "unexpected argument"), rather than ignored: `rmig -q heads`
/// would otherwise look like it did something.
fn refuse_unused_global_options(
    cli: &clap::Command,
    matches: &clap::ArgMatches,
) -> Result<(), Error> {
    let Some(command) = matches
        .subcommand_name()
        .and_then(|name| cli.find_subcommand(name))
    else {
        return Ok(());
    };
    let takes = |id: &str| command.get_arguments().any(|arg| arg.get_id() == id);
    let given = |id: &str| matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine);
    // Where a command takes both, clap refuses them together; before its name, here.
    if given("quiet") && given("verbose") {
        return Err(Error::Usage(
            "-q/--quiet and -v/--verbose contradict each other; give one".to_string(),
        ));
    }
    for option in cli.get_arguments() {
        let id = option.get_id().as_str();
        if given(id) && !takes(id) {
            let long = option.get_long().unwrap_or(id);
            let flag = match option.get_short() {
                Some(short) => format!("-{short}/--{long}"),
                None => format!("--{long}"),
            };
            let name = command.get_name();
            return Err(Error::Usage(format!(
                "`rmig {name}` does not use {flag}; leave it out (`rmig {name} --help` lists its options)"
            )));
        }
    }
    Ok(())
}

/// Prints `rmig: error: <message>` on stderr; `error:` is red (yellow when the guard
/// blocked the run) where `term::color_enabled` says so.
pub fn print_error(error: &Error) {
    use crate::term::{color_enabled, paint, Color, Stream};
    let color = if error.exit_code() == crate::error::EXIT_BLOCKED {
        Color::Yellow
    } else {
        Color::Red
    };
    let prefix = paint("error:", color, color_enabled(Stream::Stderr));
    eprintln!("rmig: {prefix} {}", error_line(error));
}

/// Reads the command line. Help and version requests are printed as clap writes them; any
/// other mistake is bad input, told in one sentence (clap's own message, its tip, and where
/// to read more) like every other error rather than as clap's usage block.
pub fn parse_args() -> Result<Cli, Result<(), Error>> {
    use clap::FromArgMatches;
    let mut cli = command();
    let matches = cli
        .try_get_matches_from_mut(std::env::args_os())
        .map_err(clap_error)?;
    refuse_unused_global_options(&cli, &matches).map_err(Err)?;
    Cli::from_arg_matches(&matches).map_err(clap_error)
}

/// What becomes of clap's answer: help and version are printed as clap writes them; any other
/// is bad input, told in one sentence.
fn clap_error(error: clap::Error) -> Result<(), Error> {
    if !error.use_stderr() {
        // --help, --version: their output is the point, on standard output.
        let _ = error.print();
        return Ok(());
    }
    Err(Error::Usage(usage_sentence(&error.render().to_string())))
}

/// clap's rendered error as one sentence: its message, then its tip, then the help hint.
fn usage_sentence(rendered: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    for line in rendered.lines().map(str::trim) {
        if let Some(message) = line.strip_prefix("error: ") {
            parts.push(message.to_string());
        } else if let Some(tip) = line.strip_prefix("tip: ") {
            parts.push(tip.to_string());
        } else if let Some(usage) = line.strip_prefix("Usage: ") {
            parts.push(format!("usage: {usage}"));
        } else if parts.len() == 1
            && !parts[0].starts_with("usage: ")
            && !line.is_empty()
            && !line.starts_with("For more information")
        {
            // The lines under the message: which required arguments are missing.
            parts[0] = format!("{} {line}", parts[0]);
        }
    }
    if parts.iter().all(|part| part.starts_with("usage: ")) {
        parts.insert(0, "a command is missing".to_string());
    }
    parts.push("see `rmig --help`".to_string());
    parts.join("; ")
}

/// The error as one line: control characters (a newline or an escape sequence in a file
/// name, an argument or an id) are shown escaped, so a hostile name can neither split the
/// message nor drive the terminal (corpus: `hostile_*`, `encoding_newline_in_file_name`).
/// The guard's report is the exception: one finding per line, with the fix to write, is
/// what a person needs to read before deciding on a data loss.
pub fn error_line(error: &Error) -> String {
    let text = error.to_string();
    if error.exit_code() == crate::error::EXIT_BLOCKED {
        crate::term::printable_lines(&text).into_owned()
    } else {
        crate::term::printable(&text).into_owned()
    }
}

/// Refuses an empty revision argument of `command`, which the revision syntax would read as
/// `base`: `stamp ""` emptied the version table and `show ""` showed nothing, both exit 0
/// (issue 15).
fn no_empty_revision(command: &str, revisions: &[String]) -> Result<(), Error> {
    if revisions.iter().any(String::is_empty) {
        return Err(Error::Usage(format!(
            "{command}: a revision argument is empty; name a revision, `head`, `heads` or `base`"
        )));
    }
    Ok(())
}

/// Runs a listing command with its output buffered: standard output flushes every line,
/// and `history` of 10,000 revisions was 10,000 `write` calls (issue 8). Progress goes to
/// standard error, unbuffered, so a deploy log shows each step as it ends.
fn buffered(
    out: &mut dyn Write,
    command: impl FnOnce(&mut dyn Write) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut buffer = std::io::BufWriter::with_capacity(64 * 1024, out);
    command(&mut buffer)?;
    buffer.flush()?;
    Ok(())
}

/// Where a command says what it is doing, apart from what it exists to print: standard
/// error, where Alembic logs too, so that `rmig upgrade head --sql > x.sql` holds only SQL and
/// `$EDITOR "$(rmig revision -m x)"` gets only the path. Progress (step lines, `Nothing to
/// do`, what autogenerate detected) is silenced by `-q`; warnings and questions are not.
struct Log<'a> {
    stderr: &'a mut (dyn Write + Send),
    quiet: bool,
    silenced: std::io::Sink,
    /// `rmig: database ... (from ...)`, told before the command's first line on standard
    /// error, or at its end: not when the command ends in bad input, which is told in one
    /// sentence alone.
    target: Option<String>,
}

impl<'a> Log<'a> {
    fn new(stderr: &'a mut (dyn Write + Send), quiet: bool) -> Log<'a> {
        Log {
            stderr,
            quiet,
            silenced: std::io::sink(),
            target: None,
        }
    }

    /// Says which database the command works on and where its URL came from (a stray
    /// `DATABASE_URL` winning over rmig.toml shows here); not under `-q`.
    fn announce_target(&mut self, line: String) {
        if !self.quiet {
            self.target = Some(line);
        }
    }

    /// Writes the announced target, if it is still to be told.
    fn tell_target(&mut self) -> std::io::Result<()> {
        match self.target.take() {
            Some(line) => writeln!(self.stderr, "{line}"),
            None => Ok(()),
        }
    }

    /// Where progress goes: standard error, or nowhere under `-q`.
    fn progress(&mut self) -> &mut (dyn Write + Send) {
        if self.quiet {
            &mut self.silenced
        } else {
            // Losing this line must not lose the progress that follows it.
            let _ = self.tell_target();
            &mut *self.stderr
        }
    }

    /// `rmig: warning: <message>`, also under `-q`; the message may quote files or the
    /// database, so it is shown printable.
    fn warning(&mut self, message: &str) -> std::io::Result<()> {
        self.tell_target()?;
        let message = crate::term::printable(message);
        writeln!(self.stderr, "rmig: warning: {message}")
    }

    /// Standard error even under `-q`: a question asked on the terminal must be seen.
    fn prompt(&mut self) -> &mut dyn Write {
        let _ = self.tell_target();
        &mut *self.stderr
    }
}

/// Prints the path of a file or folder a command wrote, alone on its line: what a script
/// captures (`$EDITOR "$(rmig revision -m x)"`). Shown printable, as any text from a config
/// file: a path with a control character in it cannot be captured whole anyway.
fn print_written(out: &mut dyn Write, path: &std::path::Path) -> std::io::Result<()> {
    writeln!(
        out,
        "{}",
        crate::term::printable(&path.display().to_string())
    )
}

/// Runs one command, its output on `out` and what it says besides on `err` (standard output
/// and standard error), with the library's `tracing` events on standard error when `RMIG_LOG`
/// names a level; returns the exit status for a run that did not fail (`check` returns 4
/// when revisions are pending).
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut (dyn Write + Send)) -> Result<u8, Error> {
    logging::install()?;
    let overrides = cli.global.overrides();
    let (quiet, verbose) = (cli.global.quiet, cli.global.verbose > 0);
    let log = &mut Log::new(err, quiet);
    let result = dispatch(cli.command, &overrides, verbose, out, log);
    // The database a command worked on is told when it did its work or failed at it; bad
    // input is one sentence alone, whatever was read to find it.
    match &result {
        Err(error) if error.exit_code() == crate::error::EXIT_BAD_INPUT => {}
        _ => log.tell_target()?,
    }
    result
}

/// Runs one command; returns the exit status for a run that did not fail (`check` returns 4
/// when revisions are pending).
fn dispatch(
    mut command: Command,
    overrides: &Overrides,
    verbose: bool,
    out: &mut dyn Write,
    log: &mut Log,
) -> Result<u8, Error> {
    // `-v` is a global flag; the commands that use it read it from their args.
    match &mut command {
        Command::Current(args) => args.verbose |= verbose,
        Command::Heads(args) => args.verbose |= verbose,
        Command::Branches(args) => args.verbose |= verbose,
        Command::History(args) => args.verbose |= verbose,
        Command::Upgrade(args) | Command::Downgrade(args) => args.verbose = verbose,
        _ => {}
    }
    match command {
        Command::Upgrade(args) if args.url_file.is_some() => {
            return fleet::run(overrides, crate::plan::Direction::Upgrade, args, out, log)
        }
        Command::Downgrade(args) if args.url_file.is_some() => {
            return fleet::run(overrides, crate::plan::Direction::Downgrade, args, out, log)
        }
        Command::Check(args) => return status::check(overrides, args, out, log),
        Command::Init { dir } => scaffold::init(&dir, out),
        Command::Revision(args) => scaffold::revision(overrides, args, out, log),
        Command::Merge(args) => scaffold::merge(overrides, args, out),
        Command::Upgrade(args) => {
            migrate::run(overrides, crate::plan::Direction::Upgrade, args, out, log)
        }
        Command::Downgrade(args) => {
            migrate::run(overrides, crate::plan::Direction::Downgrade, args, out, log)
        }
        Command::Stamp(args) => migrate::stamp(overrides, args, out, log),
        Command::EnsureVersion(args) => migrate::ensure_version(overrides, args, out, log),
        Command::Current(args) => status::current(overrides, args, out, log),
        Command::Heads(args) => buffered(out, |out| listing::heads(overrides, args, out)),
        Command::Branches(args) => buffered(out, |out| listing::branches(overrides, args, out)),
        Command::History(args) => buffered(out, |out| listing::history(overrides, args, out, log)),
        Command::Show(args) => buffered(out, |out| listing::show(overrides, args, out)),
        Command::Edit(args) => edit::edit(overrides, args, log),
        #[cfg(feature = "alembic-import")]
        Command::ImportAlembic(args) => import::import_alembic(args, out, log),
        Command::Graph(args) => graph::graph(overrides, args, out, log),
        Command::Completions(args) => docs::completions(args, out),
        Command::Man(args) => docs::man(args, out, log),
    }?;
    Ok(0)
}
