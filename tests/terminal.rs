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
