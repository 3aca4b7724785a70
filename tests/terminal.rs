//! Terminal manners: `-q`, `-v`, no colour off a terminal, completions and man pages.

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
fn quiet_prints_nothing_but_keeps_scripts_and_listings() {
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
    assert!(project.ok(&["-q", "heads"]).contains("q2 (head)"));
    let (code, stderr) = project.fails(&["-q", "upgrade", "nope"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("nope"), "errors still print: {stderr}");
    let (code, _) = project.fails(&["-q", "-v", "heads"]);
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
/// Now stdout is the path of what they wrote, one a line, and the narration goes to stderr.
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
