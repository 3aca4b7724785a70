//! Terminal manners: `-q`, `-v`, each command's `--help` listing only the options it uses, no
//! colour off a terminal, completions and man pages, what goes to stdout and what to stderr,
//! and control characters from files and the database shown escaped.

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
    let silent = (String::new(), String::new());
    assert_eq!(project.streams(&["-q", "upgrade", "q1"]), silent);
    assert_eq!(project.streams(&["upgrade", "head", "--quiet"]), silent);
    assert_eq!(
        project.streams(&["-q", "upgrade", "head"]),
        silent,
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
    let (_, log) = project.streams(&["-v", "upgrade", "head"]);
    assert!(
        log.starts_with("upgrade sqlite:///test.db to head\n"),
        "{log}"
    );
    assert!(log.contains("2 step(s) in "), "{log}");
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
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("... done in"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "a pipe gets no escape codes: {stderr:?}"
    );
    let (_, stderr) = project.fails(&["upgrade", "nope"]);
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

/// The first cell of each row of the tables in docs/`page` (headers and rules aside).
fn first_cells(page: &str) -> Vec<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs")
        .join(page);
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|line| line.strip_prefix("| "))
        .filter_map(|row| row.split(" |").next())
        .filter(|cell| cell.starts_with('`') || cell.parse::<u8>().is_ok())
        .map(str::to_string)
        .collect()
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
        // The docs' tables, which the library's docs test holds to the man page's source.
        for status in first_cells("exit-codes.md") {
            assert!(
                text.contains(&format!("\\fB{status}\\fR")),
                "{name}: {status}"
            );
        }
        for variable in first_cells("environment.md") {
            let variable = variable.trim_matches('`');
            assert!(
                text.contains(&format!("\\fB{variable}\\fR")),
                "{name}: {variable}"
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
/// `--url` wherever the project is read, `-q` wherever the command connects (and says where)
/// or tells its progress, `-v` where it changes the output,
/// `--lock-timeout` where the run lock is taken, `--statement-timeout` wherever the command
/// connects.
const OPTIONS_OF: &[(&str, &[&str])] = &[
    ("init", &["--quiet"]),
    (
        "revision",
        &[
            "--config",
            "--url",
            "--quiet",
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
            "--quiet",
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
            "--quiet",
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
            "--quiet",
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
            "--quiet",
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
            "--quiet",
            "--lint",
            "--json",
            "--format",
            "--sizes",
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
            "--quiet",
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
    ("import-alembic", &["--into", "--force", "--quiet"]),
    (
        "graph",
        &[
            "--config",
            "--url",
            "--quiet",
            "--format",
            "--current",
            "--statement-timeout",
        ],
    ),
    ("completions", &[]),
    ("man", &["--dir", "--quiet"]),
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
        (&["branches", "--quiet"], "--quiet", "branches"),
        (&["show", "head", "-q"], "-q", "show"),
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

/// The variables that decide colour besides the terminal (docs/environment.md).
const COLOUR_VARIABLES: [&str; 5] = ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "TERM", "CI"];

/// Runs rmig under a pseudo-terminal (util-linux `script`), so stdout and stderr are a
/// terminal, with `TERM=xterm` and no other variable that decides colour but those `env` sets.
fn on_a_terminal(project: &Project, args: &str, env: &[(&str, &str)]) -> String {
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_rmig"));
    let mut script = std::process::Command::new("script");
    script
        .args(["-qec", &command, "/dev/null"])
        .current_dir(project.path())
        .env_remove("RMIG_URL")
        .env_remove("DATABASE_URL");
    for variable in COLOUR_VARIABLES {
        script.env_remove(variable);
    }
    script.env("TERM", "xterm").envs(env.iter().copied());
    let output = script
        .output()
        .expect("util-linux `script` runs rmig on a pseudo-terminal");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn colour_on_a_terminal_unless_no_color() {
    let project = project();
    let coloured = on_a_terminal(&project, "upgrade q1", &[]);
    assert!(coloured.contains("\u{1b}[32mdone\u{1b}[0m"), "{coloured:?}");
    let plain = on_a_terminal(&project, "upgrade q2", &[("NO_COLOR", "1")]);
    assert!(
        plain.contains("... done in") && !plain.contains('\u{1b}'),
        "{plain:?}"
    );
    let error = on_a_terminal(&project, "upgrade nope", &[]);
    assert!(error.contains("\u{1b}[1;31merror:\u{1b}[0m"), "{error:?}");
}

/// On a terminal, `CLICOLOR=0` and a `TERM` that is `dumb` or unset turn colour off;
/// `CLICOLOR` set otherwise, or `CI`, turn it back on where `TERM` says nothing.
#[test]
fn clicolor_and_term_decide_on_a_terminal() {
    let project = project();
    let coloured = |env: &[(&str, &str)]| {
        let output = on_a_terminal(&project, "upgrade nope", env);
        assert!(output.contains("rmig: "), "{output:?}");
        output.contains('\u{1b}')
    };
    assert!(coloured(&[]));
    assert!(!coloured(&[("CLICOLOR", "0")]));
    assert!(coloured(&[("CLICOLOR", "1")]));
    assert!(!coloured(&[("TERM", "dumb")]));
    assert!(coloured(&[("TERM", "dumb"), ("CLICOLOR", "1")]));
    assert!(coloured(&[("TERM", "dumb"), ("CI", "true")]));
    assert!(!coloured(&[
        ("TERM", "dumb"),
        ("CLICOLOR", "0"),
        ("CI", "true")
    ]));
    assert!(!coloured(&[("NO_COLOR", "1"), ("CLICOLOR", "1")]));
}

/// `CLICOLOR_FORCE` colours a pipe too, unless `NO_COLOR` says otherwise.
#[test]
fn clicolor_force_colours_a_pipe_unless_no_color() {
    let project = project();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let output = project
            .rmig(args)
            .envs(env.iter().copied())
            .output()
            .unwrap();
        String::from_utf8(output.stderr).unwrap()
    };
    let forced = [("CLICOLOR_FORCE", "1")];
    let stderr = run(&["upgrade", "q1"], &forced);
    assert!(stderr.contains("\u{1b}[32mdone\u{1b}[0m"), "{stderr:?}");
    let stderr = run(&["upgrade", "nope"], &forced);
    assert!(
        stderr.contains("rmig: \u{1b}[1;31merror:\u{1b}[0m"),
        "{stderr:?}"
    );
    let stderr = run(
        &["upgrade", "head"],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")],
    );
    assert!(
        stderr.contains("... done in") && !stderr.contains('\u{1b}'),
        "{stderr:?}"
    );
}

/// `rmig upgrade head > out.txt` filled out.txt with step lines: progress went to stdout,
/// where pipes and scripts read what a command exists to print. Alembic logs it to stderr.
#[test]
fn progress_went_to_stdout() {
    let project = project();
    let (stdout, stderr) = project.streams(&["upgrade", "q1"]);
    assert_eq!(stdout, "");
    assert!(
        stderr.starts_with("Running upgrade  -> q1, q1 ... done in "),
        "{stderr}"
    );
    let (stdout, stderr) = project.streams(&["-v", "upgrade", "head"]);
    assert_eq!(stdout, "");
    assert!(
        stderr.starts_with("upgrade sqlite:///test.db to head\nRunning upgrade q1 -> q2, q2")
            && stderr.contains("1 step(s) in "),
        "{stderr}"
    );
    let (stdout, stderr) = project.streams(&["upgrade", "head"]);
    assert_eq!(stdout, "");
    assert_eq!(stderr, "Nothing to do: the database is already at q2.\n");
    let (stdout, stderr) = project.streams(&["downgrade", "q1"]);
    assert_eq!(stdout, "");
    assert!(
        stderr.starts_with("Running downgrade q2 -> q1, q2"),
        "{stderr}"
    );
    let (stdout, stderr) = project.streams(&["stamp", "head"]);
    assert_eq!(stdout, "");
    assert_eq!(stderr, "Stamped: the database is now at q2.\n");
    assert_eq!(
        project.streams(&["-q", "stamp", "q1"]),
        (String::new(), String::new())
    );

    // The script alone on stdout, nothing on stderr.
    let (script, stderr) = project.streams(&["upgrade", "q1:q2", "--sql"]);
    assert_eq!(stderr, "");
    assert!(script.contains("CREATE TABLE q2 (x int);"), "{script}");
    assert!(
        script
            .lines()
            .all(|line| !line.starts_with("Running") && !line.starts_with("Nothing")),
        "{script}"
    );

    let fresh = Project::sqlite(&[]);
    let (stdout, stderr) = fresh.streams(&["ensure-version"]);
    assert_eq!(stdout, "");
    assert_eq!(stderr, "Created the version table alembic_version.\n");
    let (stdout, stderr) = fresh.streams(&["ensure-version"]);
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        "The version table alembic_version exists; nothing to do.\n"
    );
    let (stdout, stderr) = fresh.streams(&["man", "--dir", "man"]);
    assert_eq!(stdout, "");
    assert_eq!(stderr, "Wrote man pages to man\n");
}

/// `$EDITOR "$(rmig revision -m x)"` opened `Generating revisions/..._x.toml ...  done`: the
/// commands that write files printed their narration where a script reads the path it wants.
/// Their stdout is the path of what they wrote, one a line; the narration goes to stderr.
#[test]
fn created_paths_came_with_narration() {
    let root = Project::sqlite(&[]);
    let (stdout, stderr) = root.streams(&["init", "shop"]);
    assert_eq!(stdout, "shop/rmig.toml\nshop/revisions\n");
    assert_eq!(stderr, "");

    let shop = root.path().join("shop");
    let in_shop = |args: &[&str]| {
        let output = root.rmig(args).current_dir(&shop).output().unwrap();
        assert!(output.status.success(), "rmig {args:?}: {output:?}");
        let stdout = String::from_utf8(output.stdout).unwrap();
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), 1, "one path: {stdout:?}");
        assert!(shop.join(lines[0]).is_file(), "{stdout:?}");
        (
            lines[0].to_string(),
            String::from_utf8(output.stderr).unwrap(),
        )
    };
    let (path, stderr) = in_shop(&["revision", "-m", "add users", "--rev-id", "a1"]);
    assert!(path.ends_with("a1_add_users.toml"), "{path}");
    assert_eq!(stderr, "");
    in_shop(&["revision", "-m", "side", "--head", "base", "--rev-id", "b1"]);
    let (path, stderr) = in_shop(&["merge", "heads", "-m", "join", "--rev-id", "c1"]);
    assert!(path.ends_with("c1_join.toml"), "{path}");
    assert_eq!(stderr, "");

    // Autogenerate: what it detected is narration.
    std::fs::write(
        shop.join("schema.toml"),
        "[[table]]\nname = \"users\"\ncolumns = [{ name = \"id\", type = \"integer\", primary_key = true }]\n",
    )
    .unwrap();
    let upgrade = root
        .rmig(&["upgrade", "head"])
        .current_dir(&shop)
        .output()
        .unwrap();
    assert!(upgrade.status.success(), "{upgrade:?}");
    let (path, stderr) = in_shop(&[
        "revision",
        "--autogenerate",
        "-m",
        "users table",
        "--rev-id",
        "d1",
    ]);
    assert!(path.ends_with("d1_users_table.toml"), "{path}");
    assert!(stderr.contains("Detected added table users"), "{stderr}");

    // import-alembic: the project it wrote, and its report on stderr.
    let versions = root.path().join("alembic/versions");
    std::fs::create_dir_all(&versions).unwrap();
    std::fs::write(
        root.path().join("alembic.ini"),
        "[alembic]\nscript_location = alembic\n",
    )
    .unwrap();
    std::fs::write(
        versions.join("e1_first.py"),
        "from alembic import op\nrevision = 'e1'\ndown_revision = None\ndef upgrade():\n    op.execute('SELECT 1')\ndef downgrade():\n    pass\n",
    )
    .unwrap();
    let (stdout, stderr) = root.streams(&["import-alembic", "alembic.ini", "--into", "imported"]);
    assert_eq!(stdout, "imported/rmig.toml\nimported/revisions\n");
    assert!(
        stderr.starts_with("Imported 1 Alembic revision from alembic.ini"),
        "{stderr}"
    );
}

/// Fails when a command's stdout or stderr holds a control character other than the newline:
/// the escape character, BEL, CR, DEL, or a C1 character such as U+009B (CSI).
#[track_caller]
fn assert_printable(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "{what}: {text:?}"
    );
}

/// Runs `args`; both streams must be free of control characters. Returns the exit code.
#[track_caller]
fn printable_run(project: &Project, args: &[&str]) -> i32 {
    let output = project.run(args);
    assert_printable(&format!("stdout of {args:?}"), &output.stdout);
    assert_printable(&format!("stderr of {args:?}"), &output.stderr);
    output.status.code().unwrap_or(-1)
}

/// The same hostile text everywhere a revision file can put text: the escape character, CR,
/// BEL and C1's CSI (`\e[` in one byte on 8-bit terminals).
const HOSTILE: &str = "\\u001b[31m\\r\\u0007\\u009b";

/// A revision's message (and file name) holding escape sequences reached the terminal in
/// the places that printed them raw: `Path:` of `show` and `-v` listings, the graph's labels,
/// the guard's names in `check --lint`.
#[test]
fn control_characters_from_revision_files_reached_the_terminal() {
    let hostile_file = "a1_\u{1b}[31m\r\u{7}\u{9b}.toml";
    let a1 = format!(
        "revision = \"a1\"\nmessage = \"red{HOSTILE}\"\n\n[[upgrade]]\nop = \"create_table\"\ntable_name = \"t{HOSTILE}\"\ncolumns = [{{ name = \"id\", type = \"integer\" }}]\n\n[[upgrade]]\nop = \"execute\"\nsqltext = \"SELECT 'lit{HOSTILE}'\"\n\n[[downgrade]]\nop = \"drop_table\"\ntable_name = \"t{HOSTILE}\"\nconfirm_data_loss = \"t{HOSTILE}\"\n"
    );
    let b2 = format!(
        "revision = \"b2\"\ndown_revision = \"a1\"\nmessage = \"drop{HOSTILE}\"\n\n[[upgrade]]\nop = \"drop_table\"\ntable_name = \"t{HOSTILE}\"\nconfirm_data_loss = \"t{HOSTILE}\"\n\n[[downgrade]]\nop = \"create_table\"\ntable_name = \"t{HOSTILE}\"\ncolumns = [{{ name = \"id\", type = \"integer\" }}]\n"
    );
    let project = Project::sqlite(&[(hostile_file, &a1), ("b2_drop.toml", &b2)]);
    for args in [
        &["upgrade", "a1"][..],
        &["-v", "upgrade", "head"],
        &["history"],
        &["history", "-v", "-i"],
        &["history", "--graph"],
        &["show", "a1"],
        &["show", "heads"],
        &["heads", "-v"],
        &["current"],
        &["current", "-v"],
        &["branches", "-v"],
        &["graph"],
        &["graph", "--format", "dot"],
        &["check"],
        &["check", "--lint"],
        &["downgrade", "a1"],
    ] {
        assert_eq!(printable_run(&project, args), 0, "{args:?}");
    }
    // An applied revision edited since: `check` and `upgrade` name its file.
    let a1_path = project.path().join("revisions").join(hostile_file);
    std::fs::write(&a1_path, format!("{a1}# edited\n")).unwrap();
    assert_eq!(printable_run(&project, &["check"]), 4);
    let check = String::from_utf8(project.run(&["check"]).stdout).unwrap();
    assert!(
        check.contains("Edited: revision a1 (revisions/a1_\\u{1b}"),
        "{check}"
    );
    assert_eq!(printable_run(&project, &["upgrade", "head"]), 0);
    let lint = project.ok(&["check", "--lint"]);
    assert!(lint.contains("t\\u{1b}[31m\\r\\u{7}\\u{9b}"), "{lint}");
    let shown = project.ok(&["show", "a1"]);
    assert!(
        shown.contains("Path: ") && shown.contains("a1_\\u{1b}[31m\\r\\u{7}\\u{9b}.toml"),
        "{shown}"
    );
    assert!(
        shown.contains("    red\\u{1b}[31m\\r\\u{7}\\u{9b}\n"),
        "{shown}"
    );

    // JSON escapes them as JSON does (C0; serde leaves C1 as it is), and the value read back
    // is the message as written.
    let json = project.ok(&["show", "a1", "--json"]);
    assert!(
        json.contains(r#""message": "red\u001b[31m\r\u0007"#),
        "{json}"
    );
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        value["revisions"][0]["message"],
        "red\u{1b}[31m\r\u{7}\u{9b}"
    );
    // A script carries the SQL as written, a string literal's bytes included.
    let script = project.ok(&["upgrade", "a1", "--sql"]);
    assert!(
        script.contains("SELECT 'lit\u{1b}[31m\r\u{7}\u{9b}'"),
        "{script:?}"
    );

    // An error quoting a branch label: the file is refused, and the message is printable.
    let labelled = format!("revision = \"c3\"\nbranch_labels = [\"x{HOSTILE}\"]\n");
    let project = Project::sqlite(&[("c3_label.toml", &labelled)]);
    assert_eq!(printable_run(&project, &["heads"]), 2);
}

/// Text from the config and the database reached the terminal raw: the URL `current -v` and
/// `upgrade -v` name, the `--url-file` table's databases, a version row written by hand, a
/// table name the drift lists.
#[test]
fn control_characters_from_config_and_the_database_reached_the_terminal() {
    let files = [sql_revision(
        "q1",
        &[],
        "CREATE TABLE q1 (x int)",
        "DROP TABLE q1",
    )];
    let project = Project::new(&format!("sqlite:///db{HOSTILE}.db"), &as_refs(&files));
    for args in [
        &["-v", "upgrade", "head"][..],
        &["current", "-v"],
        &["upgrade", "head"],
    ] {
        assert_eq!(printable_run(&project, args), 0, "{args:?}");
    }

    let urls = project.path().join("urls.txt");
    std::fs::write(&urls, "sqlite:///one\u{1b}]0;pwned\u{7}.db\n").unwrap();
    let url_file = urls.to_str().unwrap();
    assert_eq!(
        printable_run(&project, &["upgrade", "head", "--url-file", url_file]),
        0
    );

    let database = std::fs::read_dir(project.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.to_string_lossy().contains("db\u{1b}"))
        .expect("the database file");
    let connection = rusqlite::Connection::open(&database).unwrap();
    connection
        .execute_batch("CREATE TABLE \"drifted\u{1b}[2J\" (x int); INSERT INTO alembic_version VALUES ('\u{1b}]0;pwned\u{7}')")
        .unwrap();
    std::fs::write(project.path().join("schema.toml"), "[[table]]\nname = \"q1\"\ncolumns = [{ name = \"x\", type = \"integer\", nullable = true }]\n").unwrap();
    // The row is no revision: refused, quoting it escaped.
    assert_eq!(printable_run(&project, &["current"]), 2);
    let json = project.ok(&["current", "--json"]);
    assert!(json.contains(r#""\u001b]0;pwned\u0007""#), "{json}");
    connection
        .execute_batch("DELETE FROM alembic_version WHERE version_num <> 'q1'")
        .unwrap();
    assert_eq!(printable_run(&project, &["check"]), 4);
    let (_, stderr) = project.streams(&["revision", "--autogenerate", "-m", "x"]);
    assert!(stderr.contains("drifted\\u{1b}[2J"), "{stderr}");
}

/// A `DATABASE_URL` left in the environment won over rmig.toml's `url` without a word, and a
/// run named its database only with `-v`.
#[test]
fn database_url_silently_won_over_the_config_file() {
    let project = project();
    let target = |args: &[&str], env: &[(&str, &str)]| {
        let mut command = project.rmig(args);
        for (name, value) in env {
            command.env(name, value);
        }
        let output = command.output().unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stderr)
            .unwrap()
            .lines()
            .filter(|line| line.starts_with("rmig: database "))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        target(&["current"], &[]),
        ["rmig: database sqlite:///test.db (from `url` in rmig.toml)"]
    );
    assert_eq!(
        target(&["current"], &[("DATABASE_URL", "sqlite:///other.db")]),
        ["rmig: database sqlite:///other.db (from DATABASE_URL)"]
    );
    assert_eq!(
        target(
            &["upgrade", "head"],
            &[
                ("DATABASE_URL", "sqlite:///other.db"),
                ("RMIG_URL", "sqlite:///rmig.db")
            ]
        ),
        ["rmig: database sqlite:///rmig.db (from RMIG_URL)"]
    );
    assert_eq!(
        target(&["--url", "sqlite:///flag.db", "stamp", "head"], &[]),
        ["rmig: database sqlite:///flag.db (from --url)"]
    );
    assert!(
        target(&["-q", "current"], &[]).is_empty(),
        "-q tells nothing"
    );
    assert!(
        target(&["heads"], &[]).is_empty(),
        "heads reads no database"
    );
    // A password never shows; the database is the one the connection reaches.
    let db = common::TestDatabase::new();
    let url = db.url.replace("postgres@", "postgres:Zq7hunter2@");
    assert_eq!(
        target(&["--url", &url, "current"], &[]),
        [format!(
            "rmig: database postgresql://postgres@127.0.0.1:5432/{} (from --url)",
            db.name
        )]
    );
}

/// Bad input found after reading the database is still one sentence alone.
#[test]
fn bad_input_found_in_the_database_is_one_sentence() {
    let output = project().run(&["upgrade", "nope"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

/// `stderr` with the time of each step line left out: two runs take different times.
fn without_timings(stderr: &str) -> String {
    stderr
        .lines()
        .map(|line| match line.split_once(" ... done in ") {
            Some((step, _)) => format!("{step} ... done\n"),
            None => format!("{line}\n"),
        })
        .collect()
}

/// A line of the `tracing` subscriber RMIG_LOG installs: a timestamp, a level, the spans, a
/// target under `rmig::`.
fn is_event_line(line: &str) -> bool {
    line.starts_with(|c: char| c.is_ascii_digit()) && line.contains(" rmig::")
}

/// RMIG_LOG unset (or empty) leaves the output as it is; a level adds the library's events on
/// standard error and changes nothing else; anything else is bad input before anything runs.
#[test]
fn rmig_log_adds_event_lines_to_stderr_only() {
    let run = |log: Option<&str>| {
        let project = project();
        let mut command = project.rmig(&["upgrade", "head"]);
        if let Some(level) = log {
            command.env("RMIG_LOG", level);
        }
        let output = command.output().unwrap();
        assert!(output.status.success(), "{output:?}");
        (
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    };
    let (stdout, stderr) = run(None);
    assert_eq!(stdout, "");
    assert_eq!(
        without_timings(&stderr),
        "rmig: database sqlite:///test.db (from `url` in rmig.toml)\n\
         Running upgrade  -> q1, q1 ... done\n\
         Running upgrade q1 -> q2, q2 ... done\n"
    );
    assert_eq!(
        run(Some("")).0,
        stdout,
        "empty counts as unset, as for rmig's other variables"
    );
    assert_eq!(without_timings(&run(Some("")).1), without_timings(&stderr));
    assert_eq!(
        without_timings(&run(Some("warn")).1),
        without_timings(&stderr),
        "a clean run has nothing to warn about"
    );

    let (logged_stdout, logged) = run(Some("info"));
    assert_eq!(logged_stdout, stdout);
    let (events, rest): (Vec<&str>, Vec<&str>) = logged.lines().partition(|l| is_event_line(l));
    let rest: String = rest.iter().map(|line| format!("{line}\n")).collect();
    assert_eq!(without_timings(&rest), without_timings(&stderr));
    let expected = [
        " INFO rmig.migrate{direction=upgrade target=\"head\" dialect=sqlite}: rmig::exec: planned attempt=0 steps=2 start_heads=\"base\" target_heads=\"q2\"",
        " INFO rmig.migrate{direction=upgrade target=\"head\" dialect=sqlite}: rmig::guard: guard passed verdict=\"passed\" steps=2 confirmed=0",
        " INFO rmig.migrate{direction=upgrade target=\"head\" dialect=sqlite}:rmig.step{revision=\"q1\" direction=upgrade from=\"base\" to=\"q1\"}: rmig::exec: step finished elapsed_ms=",
        " INFO rmig.migrate{direction=upgrade target=\"head\" dialect=sqlite}:rmig.step{revision=\"q2\" direction=upgrade from=\"q1\" to=\"q2\"}: rmig::exec: step finished elapsed_ms=",
    ];
    assert_eq!(events.len(), expected.len(), "{logged}");
    for (line, expected) in events.iter().zip(expected) {
        assert!(line.contains(expected), "{line:?} lacks {expected:?}");
    }
    assert!(!logged.contains('\u{1b}'), "no colour: {logged:?}");
}

#[test]
fn rmig_log_that_is_not_a_level_is_bad_input() {
    let project = project();
    let output = project
        .rmig(&["upgrade", "head"])
        .env("RMIG_LOG", "loud")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(String::from_utf8(output.stdout).unwrap(), "");
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        "rmig: error: RMIG_LOG is 'loud', which is not a level; set it to error, warn, info, debug or trace, or unset it\n"
    );
    assert!(
        !project.sqlite_path().exists(),
        "nothing ran, not even a connection"
    );
}
