//! Terminal manners: `-q`, `-v`, each command's `--help` listing only the options it uses, no
//! colour off a terminal, completions and man pages.

mod common;

use common::{as_refs, sql_revision, Project};

fn project() -> Project {
    let files = vec![
        sql_revision("q1", &[], "CREATE TABLE q1 (x int)", "DROP TABLE q1"),
        sql_revision("q2", &["q1"], "CREATE TABLE q2 (x int)", "DROP TABLE q2"),
    ];
    Project::sqlite(&as_refs(&files))
}

#[test]
fn quiet_prints_nothing_but_keeps_scripts() {
    let project = project();
    assert_eq!(project.ok(&["-q", "upgrade", "q1"]), "");
    assert_eq!(project.ok(&["upgrade", "head", "--quiet"]), "");
    assert_eq!(
        project.ok(&["-q", "upgrade", "head"]),
        "",
        "not even `Nothing to do`"
    );
    assert_eq!(project.heads(), ["q2"]);
    assert!(project
        .ok(&["-q", "upgrade", "q1:q2", "--sql"])
        .contains("CREATE TABLE q2"));
    let (code, stderr) = project.fails(&["-q", "upgrade", "nope"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("nope"), "errors still print: {stderr}");
    let (code, _) = project.fails(&["-q", "-v", "upgrade", "head"]);
    assert_eq!(code, 2, "-q and -v exclude each other");
}

#[test]
fn verbose_is_global_and_keeps_alembic_meanings() {
    let project = project();
    let out = project.ok(&["-v", "upgrade", "head"]);
    assert!(
        out.starts_with("upgrade sqlite:///test.db to head\n"),
        "{out}"
    );
    assert!(out.contains("2 step(s) in "), "{out}");
    // `-v` after the command, as Alembic users type it.
    assert!(project.ok(&["current", "-v"]).contains("Rev: q2 (head)"));
    assert!(project
        .ok(&["history", "--verbose"])
        .contains("Revision ID: q1"));
    assert!(project.ok(&["-v", "heads"]).contains("Rev: q2"));
}

#[test]
fn no_colour_off_a_terminal_even_when_forced_elsewhere() {
    let project = project();
    let output = project
        .rmig(&["upgrade", "head"])
        .env("TERM", "xterm-256color")
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("... done in"), "{stdout}");
    assert!(
        !stdout.contains('\u{1b}'),
        "a pipe gets no escape codes: {stdout:?}"
    );
    let output = project.rmig(&["upgrade", "nope"]).output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.starts_with("rmig: error: "), "{stderr:?}");
}

#[test]
fn completions_for_each_shell() {
    let project = project();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = project.ok(&["completions", shell]);
        assert!(
            script.contains("upgrade") && script.contains("url-file"),
            "{shell}"
        );
    }
    let (code, _) = project.fails(&["completions", "tcsh"]);
    assert_eq!(code, 2);
}

#[test]
fn man_pages() {
    let project = project();
    let page = project.ok(&["man"]);
    assert!(page.contains(".TH rmig 1"), "{page}");
    assert!(page.contains("upgrade") && page.contains("graph"), "{page}");
    project.ok(&["man", "--dir", "man"]);
    for page in ["rmig.1", "rmig-upgrade.1", "rmig-graph.1", "rmig-history.1"] {
        let text = std::fs::read_to_string(project.path().join("man").join(page)).unwrap();
        assert!(text.contains(".TH"), "{page}");
    }
    let upgrade = std::fs::read_to_string(project.path().join("man/rmig-upgrade.1")).unwrap();
    assert!(upgrade.contains("allow\\-data\\-loss"), "{upgrade}");
}

#[test]
fn man_pages_had_no_exit_status_environment_or_examples() {
    let project = project();
    project.ok(&["man", "--dir", "man"]);
    let page = |name: &str| std::fs::read_to_string(project.path().join("man").join(name)).unwrap();
    let pages = [
        ("rmig.1", project.ok(&["man"])),
        ("rmig-upgrade.1", page("rmig-upgrade.1")),
        ("rmig-init.1", page("rmig-init.1")),
    ];
    for (name, text) in &pages {
        for heading in [".SH \"EXIT STATUS\"", ".SH ENVIRONMENT", ".SH EXAMPLES"] {
            assert!(text.contains(heading), "{name} lacks {heading}: {text}");
        }
        for status in rmig::reference::EXIT_STATUSES {
            assert!(text.contains(&format!("\\fB{}\\fR", status.code)), "{name}");
        }
        for variable in rmig::reference::ENVIRONMENT {
            assert!(
                text.contains(&format!("\\fB{}\\fR", variable.name)),
                "{name}"
            );
        }
    }
    let [(_, overview), (_, upgrade), (_, init)] = &pages;
    // Each page shows its own command's examples; rmig.1 shows one of every command's.
    assert!(
        upgrade.contains("\\fBrmig upgrade head \\-\\-sql > upgrade.sql\\fR"),
        "{upgrade}"
    );
    assert!(
        init.contains("\\fBrmig init .\\fR") && !init.contains("rmig upgrade"),
        "{init}"
    );
    for example in [
        "rmig init .",
        "rmig upgrade head",
        "rmig show head",
        "rmig man \\-\\-dir",
    ] {
        assert!(
            overview.contains(&format!("\\fB{example}")),
            "{example}: {overview}"
        );
    }
}

/// rmig.1 listed rmig-help(1), a page `rmig man --dir` does not write: `help` is `--help`
/// spelled as a command.
#[test]
fn man_page_listed_a_help_page_it_never_wrote() {
    let project = project();
    let page = project.ok(&["man"]);
    assert!(!page.contains("rmig\\-help"), "{page}");
    project.ok(&["man", "--dir", "man"]);
    let written = std::fs::read_to_string(project.path().join("man/rmig.1")).unwrap();
    assert!(!written.contains("rmig\\-help"), "{written}");
    assert!(!project.path().join("man/rmig-help.1").exists());
}

/// The long options each command uses, as its `--help` lists them (`--help` aside): `-c` and
/// `--url` wherever the project is read, `-q` and `-v` where they change the output,
/// `--lock-timeout` where the run lock is taken, `--statement-timeout` wherever the command
/// connects.
const OPTIONS_OF: &[(&str, &[&str])] = &[
    ("init", &[]),
    (
        "revision",
        &[
            "--config",
            "--url",
            "--message",
            "--head",
            "--splice",
            "--branch-label",
            "--depends-on",
            "--rev-id",
            "--version-path",
            "--autogenerate",
            "--interactive",
            "--statement-timeout",
        ],
    ),
    (
        "merge",
        &[
            "--config",
            "--url",
            "--message",
            "--branch-label",
            "--rev-id",
            "--splice",
        ],
    ),
    ("upgrade", MIGRATE_OPTIONS),
    ("downgrade", MIGRATE_OPTIONS),
    (
        "stamp",
        &[
            "--config",
            "--url",
            "--sql",
            "--purge",
            "--lock-timeout",
            "--statement-timeout",
        ],
    ),
    (
        "ensure-version",
        &[
            "--config",
            "--url",
            "--sql",
            "--lock-timeout",
            "--statement-timeout",
        ],
    ),
    (
        "current",
        &[
            "--config",
            "--url",
            "--verbose",
            "--json",
            "--check-heads",
            "--statement-timeout",
        ],
    ),
    (
        "check",
        &[
            "--config",
            "--url",
            "--lint",
            "--json",
            "--strict",
            "--statement-timeout",
        ],
    ),
    (
        "heads",
        &[
            "--config",
            "--url",
            "--verbose",
            "--resolve-dependencies",
            "--json",
        ],
    ),
    ("branches", &["--config", "--url", "--verbose", "--json"]),
    (
        "history",
        &[
            "--config",
            "--url",
            "--verbose",
            "--rev-range",
            "--indicate-current",
            "--graph",
            "--json",
            "--statement-timeout",
        ],
    ),
    ("show", &["--config", "--url", "--json"]),
    ("edit", &["--config", "--url"]),
    ("import-alembic", &["--into", "--force"]),
    (
        "graph",
        &[
            "--config",
            "--url",
            "--format",
            "--current",
            "--statement-timeout",
        ],
    ),
    ("completions", &[]),
    ("man", &["--dir"]),
];

const MIGRATE_OPTIONS: &[&str] = &[
    "--config",
    "--url",
    "--quiet",
    "--verbose",
    "--sql",
    "--one-transaction",
    "--allow-data-loss",
    "--url-file",
    "--jobs",
    "--strict",
    "--lock-timeout",
    "--statement-timeout",
];

/// The long options `rmig COMMAND --help` lists, `--help` aside.
fn listed_options(project: &Project, command: &str) -> Vec<String> {
    let help = project.ok(&[command, "--help"]);
    let mut options: Vec<String> = help
        .lines()
        // An option's line starts at the margin; its description is indented further.
        .filter(|line| {
            let text = line.trim_start();
            text.starts_with('-') && line.len() - text.len() <= 6
        })
        .filter_map(|line| {
            let long = line
                .split_whitespace()
                .find(|word| word.starts_with("--"))?;
            Some(long.trim_end_matches(['.', ',']).to_string())
        })
        .filter(|long| long != "--help")
        .collect();
    options.sort();
    options
}

#[test]
fn help_listed_options_that_did_nothing_for_the_command() {
    let project = project();
    let commands: Vec<String> = rmig::cli::command()
        .get_subcommands()
        .map(|command| command.get_name().to_string())
        .filter(|name| name != "help")
        .collect();
    let mut gaps = Vec::new();
    for command in &commands {
        let Some((_, expected)) = OPTIONS_OF.iter().find(|(name, _)| *name == command) else {
            gaps.push(format!("{command}: not in OPTIONS_OF"));
            continue;
        };
        let mut expected: Vec<String> = expected.iter().map(|o| o.to_string()).collect();
        expected.sort();
        let listed = listed_options(&project, command);
        if listed != expected {
            gaps.push(format!("{command}: lists {listed:?}, uses {expected:?}"));
        }
    }
    assert!(gaps.is_empty(), "{gaps:#?}");
}

/// `--lock-timeout` waits for the run lock and sets the lock_timeout of a session that
/// migrates; `revision`, `history` and `graph` take no lock, and listed it all the same.
#[test]
fn lock_timeout_was_listed_by_commands_that_take_no_lock() {
    let project = project();
    for command in ["revision", "history", "graph", "current", "check"] {
        let help = project.ok(&[command, "--help"]);
        assert!(!help.contains("--lock-timeout"), "{command}: {help}");
        assert!(help.contains("--statement-timeout"), "{command}: {help}");
    }
    for args in [
        &["history", "-i", "--lock-timeout", "1s"][..],
        &["graph", "--current", "--lock-timeout", "1s"],
        &["current", "--lock-timeout", "1s"],
    ] {
        let (code, stderr) = project.fails(args);
        assert_eq!(code, 2, "{args:?}");
        assert!(stderr.contains("--lock-timeout"), "{args:?}: {stderr}");
    }
    assert!(!project.sqlite_path().exists());
}

/// `-c`, `--url`, `-q` and `-v` were global: every command listed them, and one that does
/// not use them (`rmig -q heads`, `rmig --url URL init DIR`) ignored them without a word.
#[test]
fn global_options_were_ignored_by_commands_that_do_not_use_them() {
    let project = project();
    for (args, flag, command) in [
        (
            &["--url", "sqlite:///x.db", "init", "d"][..],
            "--url",
            "init",
        ),
        (&["init", "d", "--url", "sqlite:///x.db"], "--url", "init"),
        (
            &["-c", "rmig.toml", "completions", "bash"],
            "-c",
            "completions",
        ),
        (&["man", "--config", "rmig.toml"], "--config", "man"),
        (
            &["import-alembic", "x", "--url", "sqlite:///x.db"],
            "--url",
            "import-alembic",
        ),
        (&["-q", "heads"], "-q", "heads"),
        (&["history", "--quiet"], "--quiet", "history"),
        (&["stamp", "head", "-q"], "-q", "stamp"),
        (&["-v", "show", "head"], "-v", "show"),
        (&["check", "--verbose"], "--verbose", "check"),
    ] {
        let (code, stderr) = project.fails(args);
        assert_eq!(code, 2, "{args:?}");
        assert!(
            stderr.contains(flag) && stderr.contains(&format!("rmig {command}")),
            "{args:?}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    let (_, stderr) = project.fails(&["-q", "heads"]);
    assert!(
        stderr.contains("`rmig heads` does not use -q/--quiet"),
        "{stderr}"
    );
    assert!(!project.path().join("d").exists());
    assert!(!project.path().join("x.db").exists());
    assert!(
        !project.sqlite_path().exists(),
        "nothing touched the database"
    );
}

#[test]
fn global_options_go_before_or_after_the_command() {
    let project = project();
    std::fs::write(
        project.path().join("alembic.ini"),
        "[alembic]\nscript_location = revisions\nsqlalchemy.url = sqlite:///from_ini.db\n",
    )
    .unwrap();
    project.ok(&["-c", "alembic.ini", "upgrade", "q1"]);
    assert!(project.path().join("from_ini.db").exists());
    assert!(
        !project.sqlite_path().exists(),
        "rmig.toml's database is not the one"
    );
    let url = "sqlite:///from_flag.db";
    assert_eq!(project.ok(&["upgrade", "head", "--url", url, "-q"]), "");
    assert!(project.ok(&["--url", url, "current"]).contains("q2 (head)"));
    assert_eq!(project.ok(&["-q", "upgrade", "head"]), "");
    assert!(project.ok(&["history", "-v"]).contains("Revision ID: q2"));
}

/// Runs rmig under a pseudo-terminal (util-linux `script`), so stdout is a terminal.
fn on_a_terminal(project: &Project, args: &str, no_color: bool) -> String {
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_rmig"));
    let mut script = std::process::Command::new("script");
    script
        .args(["-qec", &command, "/dev/null"])
        .current_dir(project.path())
        .env("TERM", "xterm")
        .env_remove("RMIG_URL")
        .env_remove("DATABASE_URL");
    if no_color {
        script.env("NO_COLOR", "1");
    } else {
        script.env_remove("NO_COLOR");
    }
    let output = script
        .output()
        .expect("util-linux `script` runs rmig on a pseudo-terminal");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn colour_on_a_terminal_unless_no_color() {
    let project = project();
    let coloured = on_a_terminal(&project, "upgrade q1", false);
    assert!(coloured.contains("\u{1b}[32mdone\u{1b}[0m"), "{coloured:?}");
    let plain = on_a_terminal(&project, "upgrade q2", true);
    assert!(
        plain.contains("... done in") && !plain.contains('\u{1b}'),
        "{plain:?}"
    );
    let error = on_a_terminal(&project, "upgrade nope", false);
    assert!(error.contains("\u{1b}[1;31merror:\u{1b}[0m"), "{error:?}");
}
