//! Bad input that once panicked, ran, or failed only inside the database (issue 15): each
//! must now be refused with exit status 2 and one line naming what is at fault, before any
//! database work. One test per defect, named after it; the bad-input corpus
//! (`tests/corpus.rs`) holds the many variations.

mod common;

use common::Project;

/// A revision that creates one table, for projects that need something to run.
const ONE_TABLE: &str = "revision = \"a1\"\n\n[[upgrade]]\nop = \"create_table\"\ntable_name = \"t\"\ncolumns = [{ name = \"id\", type = \"integer\" }]\n";

/// Runs `args`, which must be refused as bad input: exit 2, one line on stderr naming each
/// of `names`, and no database file created.
fn refused(project: &Project, args: &[&str], names: &[&str]) -> String {
    let output = project.run(args);
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(output.status.code(), Some(2), "rmig {args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "rmig {args:?}: {stderr}");
    assert!(stderr.starts_with("rmig: error: "), "{stderr}");
    for name in names {
        assert!(
            stderr.contains(name),
            "rmig {args:?} does not name {name:?}: {stderr}"
        );
    }
    assert!(
        !project.sqlite_path().exists(),
        "rmig {args:?} created the database before refusing"
    );
    stderr
}

fn with_config(extra: &str, files: &[(&str, &str)]) -> Project {
    let project = Project::sqlite(files);
    std::fs::write(
        project.path().join("rmig.toml"),
        format!("script_location = \"revisions\"\nurl = \"sqlite:///test.db\"\n{extra}"),
    )
    .unwrap();
    project
}

#[test]
fn huge_lock_and_statement_timeouts_panicked() {
    let project = Project::sqlite(&[("a1_x.toml", ONE_TABLE)]);
    for option in ["--lock-timeout", "--statement-timeout"] {
        for value in ["99999999999999999999999h", "600h", "2147483648ms"] {
            refused(
                &project,
                &["upgrade", "head", option, value],
                &[option, value],
            );
        }
    }
    for key in ["lock_timeout", "statement_timeout"] {
        let project = with_config(
            &format!("{key} = \"99999999999999999999999h\"\n"),
            &[("a1_x.toml", ONE_TABLE)],
        );
        for args in [&["upgrade", "head"][..], &["heads"], &["stamp", "head"]] {
            refused(
                &project,
                args,
                &["rmig.toml", key, "99999999999999999999999h"],
            );
        }
    }
}

#[test]
fn a_lock_timeout_of_zero_meant_no_limit_on_postgresql_but_no_wait_for_the_run_lock() {
    let project = Project::sqlite(&[("a1_x.toml", ONE_TABLE)]);
    for value in ["0", "0ms", "0.5ms"] {
        for option in ["--lock-timeout", "--statement-timeout"] {
            refused(
                &project,
                &["upgrade", "head", option, value],
                &[option, value, "1ms"],
            );
        }
    }
    let project = with_config("lock_timeout = \"0s\"\n", &[("a1_x.toml", ONE_TABLE)]);
    refused(
        &project,
        &["upgrade", "head"],
        &["lock_timeout", "0s", "1ms"],
    );
}

#[test]
fn an_empty_upgrade_target_ran_as_base() {
    let project = Project::sqlite(&[("a1_x.toml", ONE_TABLE)]);
    for command in ["upgrade", "downgrade"] {
        refused(&project, &[command, ""], &["empty"]);
    }
    refused(&project, &["upgrade", "", "--sql"], &["empty"]);
}

#[test]
fn a_sqlite_busy_timeout_over_596_hours_panicked() {
    let project = Project::sqlite(&[("a1_x.toml", ONE_TABLE)]);
    let url = format!("sqlite:///{}", project.sqlite_path().display());
    let report = rmig::Migrator::from_dir(project.path().join("revisions"))
        .unwrap()
        .url(url)
        .lock_timeout(std::time::Duration::from_secs(600 * 3600))
        .upgrade("head")
        .unwrap();
    assert_eq!(report.heads, ["a1"]);
}
