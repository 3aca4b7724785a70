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

/// A revision of one operation, as a TOML table's body.
fn one_op(op: &str) -> String {
    format!("revision = \"a1\"\n\n[[upgrade]]\n{op}\n")
}

#[test]
fn empty_table_and_column_names_were_accepted() {
    for (op, key) in [
        (
            "op = \"create_table\"\ntable_name = \"\"\ncolumns = [{ name = \"id\", type = \"integer\" }]",
            "table_name",
        ),
        (
            "op = \"create_table\"\ntable_name = \"t\"\ncolumns = [{ name = \"\", type = \"integer\" }]",
            "columns[1].name",
        ),
        (
            "op = \"add_column\"\ntable_name = \"t\"\ncolumn = { name = \"\", type = \"integer\" }",
            "column.name",
        ),
        (
            "op = \"create_index\"\nindex_name = \"ix\"\ntable_name = \"t\"\ncolumns = [\"\"]",
            "columns[1]",
        ),
        (
            "op = \"bulk_insert\"\ntable_name = \"t\"\nrows = [{ \"\" = 1 }]",
            "rows[1]",
        ),
    ] {
        let project = Project::sqlite(&[("a1_x.toml", &one_op(op))]);
        for args in [&["heads"][..], &["upgrade", "head"]] {
            refused(&project, args, &["a1_x.toml", key, "empty"]);
        }
    }
}

#[test]
fn identifiers_over_63_bytes_failed_mid_run() {
    let long = "t".repeat(64);
    let accented = "é".repeat(32); // 32 characters, 64 bytes
    for name in [&long, &accented] {
        for op in [
            format!("op = \"create_table\"\ntable_name = \"{name}\"\ncolumns = [{{ name = \"id\", type = \"integer\" }}]"),
            format!("op = \"create_table\"\ntable_name = \"t\"\ncolumns = [{{ name = \"{name}\", type = \"integer\" }}]"),
            format!("op = \"create_index\"\nindex_name = \"{name}\"\ntable_name = \"t\"\ncolumns = [\"id\"]"),
            format!("op = \"drop_constraint\"\nconstraint_name = \"{name}\"\ntable_name = \"t\""),
            format!("op = \"rename_sequence\"\nold_sequence_name = \"s\"\nnew_sequence_name = \"{name}\"\nschema = \"app\""),
            format!("op = \"add_column\"\ntable_name = \"t\"\nschema = \"{name}\"\ncolumn = {{ name = \"c\", type = \"integer\" }}"),
        ] {
            // PostgreSQL cuts such names; nothing listens at this URL, as the refusal comes first.
            let project = Project::new(
                "postgresql://u@127.0.0.1:1/none",
                &[("a1_x.toml", &one_op(&op))],
            );
            refused(
                &project,
                &["upgrade", "head"],
                &["a1_x.toml", name, "64 bytes", "PostgreSQL keeps only the first 63"],
            );
            // SQLite keeps them whole: the same revision reads there (given a downgrade, which
            // `drop_constraint` cannot derive).
            let text = format!("revision = \"a1\"\ndowngrade = []\n\n[[upgrade]]\n{op}\n");
            let project = Project::sqlite(&[("a1_x.toml", &text)]);
            project.ok(&["heads"]);
        }
    }
}

#[test]
fn two_names_equal_in_their_first_63_bytes_passed_lint() {
    let prefix = "x".repeat(63);
    let text = format!(
        "revision = \"a1\"\n\n[[upgrade]]\nop = \"create_table\"\ntable_name = \"{prefix}_a\"\ncolumns = [{{ name = \"id\", type = \"integer\" }}]\n\n[[upgrade]]\nop = \"create_table\"\ntable_name = \"{prefix}_b\"\ncolumns = [{{ name = \"id\", type = \"integer\" }}]\n"
    );
    let project = Project::new("postgresql://u@127.0.0.1:1/none", &[("a1_x.toml", &text)]);
    refused(&project, &["check", "--lint"], &["a1_x.toml", "65 bytes"]);
}

#[test]
fn whitespace_around_a_name_could_never_be_confirmed() {
    let text = "revision = \"a1\"\n\n[[upgrade]]\nop = \"drop_table\"\ntable_name = \" lead\"\nconfirm_data_loss = \" lead\"\n\n[[downgrade]]\nop = \"create_table\"\ntable_name = \" lead\"\ncolumns = [{ name = \"id\", type = \"integer\" }]\n";
    let project = Project::sqlite(&[("a1_x.toml", text)]);
    refused(
        &project,
        &["upgrade", "head"],
        &["a1_x.toml", "' lead'", "whitespace"],
    );
    let trailing = one_op(
        "op = \"add_column\"\ntable_name = \"t\"\ncolumn = { name = \"c \", type = \"integer\" }",
    );
    let project = Project::sqlite(&[("a1_x.toml", &trailing)]);
    refused(
        &project,
        &["upgrade", "head"],
        &["a1_x.toml", "'c '", "whitespace"],
    );
}

#[test]
fn empty_list_of_columns_in_create_table_failed_mid_run() {
    for (op, key) in [
        ("op = \"create_table\"\ntable_name = \"t\"\ncolumns = []", "columns"),
        ("op = \"create_index\"\nindex_name = \"ix\"\ntable_name = \"t\"\ncolumns = []", "columns"),
        ("op = \"create_primary_key\"\ntable_name = \"t\"\ncolumns = []", "columns"),
        ("op = \"create_foreign_key\"\nsource_table = \"t\"\nreferent_table = \"u\"\nlocal_cols = []\nremote_cols = []", "local_cols"),
    ] {
        let project = Project::sqlite(&[("a1_x.toml", &one_op(op))]);
        refused(&project, &["heads"], &["a1_x.toml", key, "empty"]);
    }
}

#[test]
fn empty_version_and_history_tables_were_accepted() {
    for key in ["version_table", "history_table"] {
        let project = with_config(&format!("{key} = \"\"\n"), &[("a1_x.toml", ONE_TABLE)]);
        refused(&project, &["upgrade", "head"], &["rmig.toml", key, "empty"]);
    }
    let project = with_config("version_table = \"v \"\n", &[("a1_x.toml", ONE_TABLE)]);
    refused(
        &project,
        &["upgrade", "head"],
        &["rmig.toml", "version_table", "whitespace"],
    );
    // Too long for PostgreSQL (nothing listens at this URL: the refusal comes first); SQLite
    // keeps the name whole.
    let long = "v".repeat(64);
    let project = Project::new(
        "postgresql://u@127.0.0.1:1/none",
        &[("a1_x.toml", ONE_TABLE)],
    );
    let config = project.path().join("rmig.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}version_table = \"{long}\"\n")).unwrap();
    refused(
        &project,
        &["upgrade", "head"],
        &["rmig.toml", "version_table", "64 bytes"],
    );
    let project = with_config(
        &format!("version_table = \"{long}\"\n"),
        &[("a1_x.toml", ONE_TABLE)],
    );
    project.ok(&["upgrade", "head"]);
    assert_eq!(
        project.sqlite_rows(&format!("SELECT version_num FROM {long}")),
        ["a1"]
    );
}

#[test]
fn version_table_schema_on_sqlite_failed_in_the_database() {
    let project = with_config(
        "version_table_schema = \"app\"\n",
        &[("a1_x.toml", ONE_TABLE)],
    );
    refused(
        &project,
        &["upgrade", "head"],
        &["rmig.toml", "version_table_schema", "'app'", "SQLite"],
    );
    // `main` is SQLite's own name for the database's schema, as Alembic allows it.
    let project = with_config(
        "version_table_schema = \"main\"\n",
        &[("a1_x.toml", ONE_TABLE)],
    );
    project.ok(&["upgrade", "head"]);
}

#[test]
fn a_create_date_that_is_no_date_was_accepted() {
    for date in ["yesterday", "2024-13-01T00:00:00", "2024-01-01", ""] {
        let text = format!("revision = \"a1\"\ncreate_date = \"{date}\"\n");
        let project = Project::sqlite(&[("a1_x.toml", &text)]);
        refused(
            &project,
            &["heads"],
            &["a1_x.toml", "create_date", &format!("'{date}'")],
        );
    }
    for date in [
        "2026-11-24T09:00:00+00:00",
        "2026-11-24T09:00:00Z",
        "2024-01-01T00:00:00",
        "2024-05-01 10:23:45.123456",
        "2024-05-01 10:23:45.123456+02:00",
    ] {
        let text = format!("revision = \"a1\"\ncreate_date = \"{date}\"\n");
        Project::sqlite(&[("a1_x.toml", &text)]).ok(&["heads"]);
    }
}

#[test]
fn a_duplicate_merge_parent_was_accepted() {
    let project = Project::sqlite(&[
        ("a0_x.toml", "revision = \"a0\"\n"),
        (
            "a1_x.toml",
            "revision = \"a1\"\ndown_revision = [\"a0\", \"a0\"]\n",
        ),
    ]);
    refused(
        &project,
        &["heads"],
        &["a1_x.toml", "down_revision", "'a0'", "twice"],
    );
}

#[test]
fn odd_entries_in_the_revisions_folder_were_skipped_silently() {
    type Make = fn(&std::path::Path);
    let cases: [(&str, Make, &str); 4] = [
        (
            "b1_dangling.toml",
            |p| std::os::unix::fs::symlink("nowhere.toml", p).unwrap(),
            "missing",
        ),
        (
            "b1_loop.toml",
            |p| std::os::unix::fs::symlink(p.file_name().unwrap(), p).unwrap(),
            "b1_loop.toml",
        ),
        (
            "b1_folder.yaml",
            |p| std::fs::create_dir(p).unwrap(),
            "folder",
        ),
        (
            "b1_fifo.toml",
            |p| {
                let status = std::process::Command::new("mkfifo")
                    .arg(p)
                    .status()
                    .unwrap();
                assert!(status.success());
            },
            "FIFO",
        ),
    ];
    for (name, make, what) in cases {
        let project = Project::sqlite(&[("a1_x.toml", "revision = \"a1\"\n")]);
        make(&project.path().join("revisions").join(name));
        let started = std::time::Instant::now();
        refused(&project, &["heads"], &[name, what]);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{name}"
        );
    }
    // Emacs's lock files (`.#name`, a dangling symlink while a file is edited) are skipped,
    // as Alembic skips them.
    let project = Project::sqlite(&[("a1_x.toml", "revision = \"a1\"\n")]);
    std::os::unix::fs::symlink(
        "user@host.1234",
        project.path().join("revisions/.#a1_x.toml"),
    )
    .unwrap();
    project.ok(&["heads"]);
}

#[test]
fn an_empty_stamp_or_show_argument_ran_as_base() {
    let project = Project::sqlite(&[("a1_x.toml", ONE_TABLE)]);
    refused(&project, &["stamp", ""], &["stamp", "empty"]);
    refused(&project, &["stamp", "", "--sql"], &["stamp", "empty"]);
    refused(&project, &["show", ""], &["show", "empty"]);
}

#[test]
fn command_line_mistakes_were_clap_usage_blocks_of_several_lines() {
    let project = Project::sqlite(&[]);
    for (args, names) in [
        (
            &["upgrade", "head", "--lock-timeout", "-1"][..],
            &["-1", "rmig upgrade"][..],
        ),
        (&["frobnicate"][..], &["frobnicate"][..]),
        (
            &["upgrade", "head", "--no-such-flag"][..],
            &["--no-such-flag"][..],
        ),
        (&[][..], &["a command is missing"][..]),
    ] {
        refused(&project, args, names);
    }
    // Help and version stay clap's own, on standard output, exit 0.
    let help = project.ok(&["--help"]);
    assert!(help.contains("Usage: rmig"), "{help}");
    assert!(project.ok(&["--version"]).starts_with("rmig "));
}

#[test]
fn a_bad_timeout_was_accepted_with_sql() {
    let project = Project::sqlite(&[("a1_x.toml", ONE_TABLE)]);
    for option in ["--lock-timeout", "--statement-timeout"] {
        for args in [
            &["upgrade", "head", "--sql"][..],
            &["downgrade", "a1:base", "--sql"],
            &["stamp", "a1", "--sql"],
        ] {
            let mut args = args.to_vec();
            args.extend([option, "1.5.5s"]);
            refused(&project, &args, &[option, "1.5.5s"]);
        }
    }
}

#[test]
fn a_missing_required_argument_was_not_named() {
    let project = Project::sqlite(&[]);
    refused(&project, &["upgrade"], &["not provided: <REVISION>;"]);
    refused(
        &project,
        &["upgrade", "head", "--jobs", "2"],
        &["not provided: --url-file <FILE>;"],
    );
    let stderr = refused(&project, &["history", "-r"], &["--rev-range"]);
    assert!(!stderr.contains("For more information"), "{stderr}");
}

#[test]
fn a_history_table_naming_another_table_was_altered() {
    // The version table's own name: refused when the file is read.
    let project = with_config(
        "history_table = \"alembic_version\"\n",
        &[("a1_t.toml", ONE_TABLE)],
    );
    refused(
        &project,
        &["upgrade", "head"],
        &["history_table", "alembic_version"],
    );

    // An application's table: refused before any column is added to it.
    let project = with_config("history_table = \"t\"\n", &[("a1_t.toml", ONE_TABLE)]);
    let connection = rusqlite::Connection::open(project.sqlite_path()).unwrap();
    connection
        .execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
        .unwrap();
    let (code, stderr) = project.fails(&["upgrade", "head"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("is not rmig's audit table"), "{stderr}");
    let columns: Vec<String> = connection
        .prepare("SELECT name FROM pragma_table_info('t')")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(columns, vec!["id", "name"]);
}

#[test]
fn an_empty_allow_data_loss_value_was_ignored() {
    let project = Project::sqlite(&[("a1_t.toml", ONE_TABLE)]);
    refused(
        &project,
        &["upgrade", "head", "--allow-data-loss="],
        &["--allow-data-loss", "empty value"],
    );
}

#[test]
fn allow_data_loss_all_let_an_import_placeholder_reach_the_database() {
    // Two steps: the first would commit before the placeholder's step failed half-way.
    let placeholder = "revision = \"b2\"\ndown_revision = \"a1\"\n\n[[upgrade]]\nop = \"execute\"\nsqltext = \"-- rmig import-alembic placeholder for versions/b2.py:7 (upgrade())\\nRMIG_IMPORT_PLACEHOLDER\"\n\n[[downgrade]]\nop = \"execute\"\nsqltext = \"SELECT 1\"\n";
    let project = Project::sqlite(&[("a1_t.toml", ONE_TABLE), ("b2_p.toml", placeholder)]);
    for args in [
        &["upgrade", "head", "--allow-data-loss=all"][..],
        &["upgrade", "head", "--allow-data-loss=revision:b2"][..],
        &["upgrade", "head"][..],
    ] {
        let (code, stderr) = project.fails(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains("b2"), "{args:?}: {stderr}");
        assert!(stderr.contains("placeholder"), "{args:?}: {stderr}");
    }
    // Nothing ran: not even the first step.
    let connection = rusqlite::Connection::open(project.sqlite_path()).unwrap();
    let tables: i64 = connection
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = 't'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(tables, 0);
}

#[test]
fn an_alembic_project_not_yet_imported_read_as_an_empty_history() {
    let script = "revision = 'a1'\ndown_revision = None\ndef upgrade():\n    pass\ndef downgrade():\n    pass\n";
    // Alembic's layout, read through its own alembic.ini.
    let project = Project::sqlite(&[]);
    let migrations = project.path().join("migrations");
    std::fs::create_dir_all(migrations.join("versions")).unwrap();
    std::fs::write(migrations.join("env.py"), "# env\n").unwrap();
    std::fs::write(migrations.join("versions/a1_create.py"), script).unwrap();
    std::fs::write(
        project.path().join("alembic.ini"),
        "[alembic]\nscript_location = migrations\nsqlalchemy.url = sqlite:///test.db\n",
    )
    .unwrap();
    for command in [
        &["heads"][..],
        &["history"],
        &["upgrade", "head", "--sql"],
        &["check", "--lint"],
    ] {
        let mut args = vec!["-c", "alembic.ini"];
        args.extend_from_slice(command);
        refused(&project, &args, &["Alembic project", "rmig import-alembic"]);
    }
    // Scripts in rmig's own revision folder: the same.
    let project = Project::sqlite(&[]);
    std::fs::write(project.path().join("revisions/a1_create.py"), script).unwrap();
    refused(
        &project,
        &["heads"],
        &["1 Alembic script(s)", "rmig import-alembic"],
    );
}

/// An Alembic project in `alembic/` of a fresh project folder, with these scripts.
fn alembic_project(scripts: &[(&str, &str)]) -> Project {
    let project = Project::sqlite(&[]);
    let versions = project.path().join("alembic/migrations/versions");
    std::fs::create_dir_all(&versions).unwrap();
    std::fs::write(
        project.path().join("alembic/alembic.ini"),
        "[alembic]\nscript_location = migrations\nsqlalchemy.url = sqlite:///test.db\n",
    )
    .unwrap();
    for (name, text) in scripts {
        std::fs::write(versions.join(name), text).unwrap();
    }
    project
}

#[test]
fn one_unreadable_alembic_script_aborted_the_whole_import() {
    let script = |id: &str, down: &str, extra: &str, upgrade: &str| {
        format!("from alembic import op\nfrom myapp import cli\nrevision = '{id}'\ndown_revision = {down}\n{extra}\ndef upgrade():\n    {upgrade}\ndef downgrade():\n    pass\n")
    };
    let project = alembic_project(&[
        (
            "a1_users.py",
            &script(
                "a1",
                "None",
                "",
                "op.execute('CREATE TABLE users (id INTEGER)')",
            ),
        ),
        // A branch label imported from the application.
        (
            "b2_label.py",
            &script(
                "b2",
                "'a1'",
                "branch_labels = (cli.EXPAND_BRANCH,)",
                "op.execute('SELECT 1')",
            ),
        ),
        // Python 3.12 (PEP 701): the same quotes inside the f-string.
        (
            "c3_fstring.py",
            &script(
                "c3",
                "'b2'",
                "T = {'n': 't'}",
                "op.execute(f\"SELECT {T[\"n\"]}\")",
            ),
        ),
        // A syntax error.
        (
            "d4_broken.py",
            &script("d4", "'c3'", "", "op.execute('SELECT 1'"),
        ),
    ]);
    let (written, report) = project.streams(&["import-alembic", "alembic/alembic.ini", "--force"]);
    assert_eq!(written, "./rmig.toml\n./revisions\n");
    assert!(
        report.starts_with("Imported 4 Alembic revisions"),
        "{report}"
    );
    for expected in [
        "migrations/versions/b2_label.py:5 (upgrade of b2): line 5: `branch_labels` is [cli.EXPAND_BRANCH]",
        "migrations/versions/b2_label.py:5 (downgrade of b2)",
        "migrations/versions/d4_broken.py:6-7 (upgrade of d4): line 7: the script does not parse",
        "migrations/versions/d4_broken.py:8-9 (downgrade of d4): line 7: the script does not parse",
    ] {
        assert!(report.contains(expected), "no {expected:?} in:\n{report}");
    }
    // The PEP 701 f-string is read, its parts being known.
    assert!(!report.contains("c3_fstring.py"), "{report}");
    let history = project.ok(&["history"]);
    assert!(history.contains("c3 -> d4 (head)"), "{history}");
    // The placeholders are refused before anything runs.
    let (code, stderr) = project.fails(&["upgrade", "head"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("placeholder"), "{stderr}");
    assert!(project
        .sqlite_rows("SELECT name FROM sqlite_schema WHERE name = 'users'")
        .is_empty());

    // Scripts with no readable revision id: every one is named, in one go.
    let project = alembic_project(&[
        ("a1_broken.py", "revision = \ndown_revision = None\n"),
        (
            "b2_computed.py",
            "import uuid\nrevision = uuid.uuid4().hex\n",
        ),
    ]);
    let stderr = refused(
        &project,
        &["import-alembic", "alembic/alembic.ini", "--force"],
        &[
            "2 revision scripts cannot be imported",
            "a1_broken.py:1: the Python does not parse",
            "b2_computed.py: `revision`",
        ],
    );
    assert!(!stderr.contains("Imported"), "{stderr}");
}
