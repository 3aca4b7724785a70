//! Alembic's smaller commands and flags as rmig takes them: `current --check-heads`,
//! `ensure-version`, `edit` and `merge --splice`, on PostgreSQL and SQLite wherever they read
//! or write a database; their help, man pages and completions.

mod common;

use common::{as_refs, sql_revision, Project, TestDatabase};

/// a1 -> b1 and a1 -> c1: two heads from one branch point.
fn two_heads() -> Vec<(String, String)> {
    vec![
        sql_revision("a1", &[], "CREATE TABLE a1 (x int)", "DROP TABLE a1"),
        sql_revision("b1", &["a1"], "CREATE TABLE b1 (x int)", "DROP TABLE b1"),
        sql_revision("c1", &["a1"], "CREATE TABLE c1 (x int)", "DROP TABLE c1"),
    ]
}

fn check_heads_walk(project: &Project) {
    let short_of_heads = |pending: &str| {
        for args in [
            &["current", "--check-heads"][..],
            &["current", "--check-heads", "--json"],
        ] {
            let output = project.run(args);
            assert_eq!(output.status.code(), Some(4), "{args:?}");
            assert!(
                output.stdout.is_empty(),
                "{args:?}: nothing printed, as Alembic"
            );
            assert_eq!(
                common::without_target_line(&String::from_utf8(output.stderr).unwrap()),
                format!("rmig: error: Database is not on all head revisions: {pending}; run `rmig upgrade heads`\n")
            );
        }
    };
    short_of_heads("3 revision(s) pending (a1, c1, b1)");
    project.ok(&["upgrade", "b1"]);
    short_of_heads("1 revision(s) pending (c1)");
    assert_eq!(
        project.ok(&["current"]),
        "b1 (head)\n",
        "without the flag, no check"
    );
    project.ok(&["upgrade", "heads"]);
    assert_eq!(
        project.ok(&["current", "--check-heads"]),
        project.ok(&["current"])
    );
    let json: serde_json::Value =
        serde_json::from_str(&project.ok(&["current", "--check-heads", "--json"])).unwrap();
    assert_eq!(json["heads"].as_array().unwrap().len(), 2, "{json}");
}

#[test]
fn check_heads_on_postgresql() {
    let db = TestDatabase::new();
    check_heads_walk(&Project::new(&db.url, &as_refs(&two_heads())));
}

#[test]
fn check_heads_on_sqlite() {
    check_heads_walk(&Project::sqlite(&as_refs(&two_heads())));
}

/// Prints the script without a database, then creates the version table alone, once.
fn ensure_version_walk(project: &Project, tables: impl Fn() -> Vec<String>) {
    let script = project.ok(&["ensure-version", "--sql"]);
    assert!(
        script.starts_with("CREATE TABLE alembic_version (\n    version_num VARCHAR(32) NOT NULL, \n    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n);"),
        "{script}"
    );
    assert!(tables().is_empty(), "--sql touches no database");
    assert_eq!(
        project.streams(&["ensure-version"]),
        (
            String::new(),
            "Created the version table alembic_version.\n".to_string()
        )
    );
    assert_eq!(tables(), ["alembic_version"], "no audit table, no rows");
    assert!(project.heads().is_empty());
    assert_eq!(
        project.streams(&["ensure_version"]).1,
        "The version table alembic_version exists; nothing to do.\n"
    );
    project.ok(&["upgrade", "heads"]);
    assert_eq!(project.heads(), ["b1", "c1"]);
}

#[test]
fn ensure_version_on_postgresql() {
    let db = TestDatabase::new();
    let project = Project::new(&db.url, &as_refs(&two_heads()));
    ensure_version_walk(&project, || {
        db.strings("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('a1', 'b1', 'c1')")
    });
    // Where rmig.toml puts the version table, with Alembic's constraint name.
    db.client().batch_execute("CREATE SCHEMA ops").unwrap();
    std::fs::write(
        project.path().join("rmig.toml"),
        format!("script_location = \"revisions\"\nurl = \"{}\"\nversion_table = \"deploys\"\nversion_table_schema = \"ops\"\n", db.url),
    )
    .unwrap();
    project.ok(&["ensure-version"]);
    assert_eq!(
        db.strings(
            "SELECT conname::text FROM pg_constraint WHERE conrelid = 'ops.deploys'::regclass"
        ),
        ["deploys_pkc"]
    );
}

#[test]
fn ensure_version_on_sqlite() {
    let project = Project::sqlite(&as_refs(&two_heads()));
    let tables = || {
        if !project.sqlite_path().exists() {
            return Vec::new();
        }
        project.sqlite_rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('a1', 'b1', 'c1') ORDER BY name")
    };
    ensure_version_walk(&project, tables);
}

/// An editor that appends each argument it is given, one a line, to `edited.txt` beside it.
fn recording_editor(project: &Project) -> String {
    let path = project.path().join("record-editor.sh");
    std::fs::write(
        &path,
        "#!/bin/sh\nfor arg in \"$@\"; do echo \"$arg\" >> \"$(dirname \"$0\")/edited.txt\"; done\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.display().to_string()
}

/// What the recording editor was given since the last call.
fn edited(project: &Project) -> Vec<String> {
    let path = project.path().join("edited.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    text.lines().map(str::to_string).collect()
}

/// `rmig edit` with only the given editor variables set.
fn edit(project: &Project, editors: &[(&str, &str)], revision: &str) -> std::process::Output {
    let mut command = project.rmig(&["edit", revision]);
    command.env_remove("EDITOR").env_remove("VISUAL");
    for (name, value) in editors {
        command.env(name, value);
    }
    command.output().unwrap()
}

fn edit_walk(project: &Project) {
    let editor = recording_editor(project);
    let file = |id: &str| format!("revisions/{id}_rev.toml");
    let opened = |editors: &[(&str, &str)], revision: &str| {
        let output = edit(project, editors, revision);
        assert!(
            output.status.success(),
            "edit {revision}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.stdout.is_empty());
        edited(project)
    };
    let refused = |editors: &[(&str, &str)], revision: &str| {
        let output = edit(project, editors, revision);
        assert!(edited(project).is_empty(), "edit {revision} opened nothing");
        (
            output.status.code().unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    };
    let with_editor = [("EDITOR", editor.as_str())];
    assert_eq!(opened(&with_editor, "a1"), [file("a1")]);
    assert_eq!(opened(&with_editor, "heads"), [file("b1"), file("c1")]);
    // One step down from each head, both landing on a1: Alembic opens it twice too.
    assert_eq!(opened(&with_editor, "-1"), [file("a1"), file("a1")]);
    let (code, stderr) = refused(&with_editor, "head");
    assert_eq!(code, 2);
    assert!(
        stderr.contains("Multiple head revisions are present for given argument 'head'"),
        "{stderr}"
    );
    let (code, stderr) = refused(&with_editor, "base");
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "rmig: error: No revision files indicated by symbol 'base'\n"
    );
    let (code, stderr) = refused(&with_editor, "current");
    assert_eq!(code, 2);
    assert!(stderr.contains("No current revisions"), "{stderr}");

    project.ok(&["upgrade", "b1"]);
    assert_eq!(opened(&with_editor, "current"), [file("b1")]);
    project.ok(&["upgrade", "heads"]);
    assert_eq!(opened(&with_editor, "current"), [file("b1"), file("c1")]);

    // EDITOR before VISUAL, as Alembic reads them; an editor's own arguments are kept.
    let with_arguments = format!("{editor} --wait");
    assert_eq!(
        opened(&[("EDITOR", &with_arguments), ("VISUAL", "false")], "a1"),
        ["--wait".to_string(), file("a1")]
    );
    assert_eq!(opened(&[("VISUAL", &editor)], "a1"), [file("a1")]);
    let (code, stderr) = refused(&[("EDITOR", ""), ("VISUAL", " ")], "a1");
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "rmig: error: edit: no editor is set; set EDITOR (or VISUAL) to the command that opens a file, e.g. EDITOR=vim\n"
    );
    let (code, stderr) = refused(&[("EDITOR", "false")], "a1");
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        format!(
            "rmig: error: the editor `false` failed on {}: it exited with status 1\n",
            file("a1")
        )
    );
}

#[test]
fn edit_on_postgresql() {
    let db = TestDatabase::new();
    edit_walk(&Project::new(&db.url, &as_refs(&two_heads())));
}

#[test]
fn edit_on_sqlite() {
    edit_walk(&Project::sqlite(&as_refs(&two_heads())));
}

/// a1 -> b1 -> c1 and a1 -> d1: `merge b1 d1` names a revision that is not a head.
fn splice_project(url: &str) -> Project {
    let files = vec![
        sql_revision("a1", &[], "CREATE TABLE a1 (x int)", "DROP TABLE a1"),
        sql_revision("b1", &["a1"], "CREATE TABLE b1 (x int)", "DROP TABLE b1"),
        sql_revision("c1", &["b1"], "CREATE TABLE c1 (x int)", "DROP TABLE c1"),
        sql_revision("d1", &["a1"], "CREATE TABLE d1 (x int)", "DROP TABLE d1"),
    ];
    Project::new(url, &as_refs(&files))
}

fn merge_splice_walk(project: &Project) {
    let merge = ["merge", "b1", "d1", "-m", "splice", "--rev-id", "m1"];
    let (code, stderr) = project.fails(&merge);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "rmig: error: Revision b1 is not a head revision; please specify --splice to create a new branch from this revision\n"
    );
    assert!(!project.path().join("revisions/m1_splice.toml").exists());

    project.ok(&[&merge[..], &["--splice"]].concat());
    let text = std::fs::read_to_string(project.path().join("revisions/m1_splice.toml")).unwrap();
    assert!(text.contains("down_revision = [\"b1\", \"d1\"]"), "{text}");
    assert_eq!(project.ok(&["heads"]), "c1 (head)\nm1 (head)\n");
    project.ok(&["upgrade", "heads"]);
    assert_eq!(project.heads(), ["c1", "m1"]);
}

#[test]
fn merge_splice_on_postgresql() {
    let db = TestDatabase::new();
    merge_splice_walk(&splice_project(&db.url));
}

#[test]
fn merge_splice_on_sqlite() {
    merge_splice_walk(&splice_project("sqlite:///test.db"));
}

/// Each new option belongs to the command that uses it; elsewhere it is bad input.
#[test]
fn new_options_only_where_they_apply() {
    let project = Project::sqlite(&as_refs(&two_heads()));
    for args in [
        &["upgrade", "heads", "--check-heads"][..],
        &["check", "--check-heads"],
        &["heads", "--splice"],
        &["current", "--sql"],
        &["edit", "a1", "--sql"],
        &["edit", "a1", "--lock-timeout", "1s"],
        &["ensure-version", "--check-heads"],
    ] {
        let (code, stderr) = project.fails(args);
        assert_eq!(code, 2, "{args:?}");
        assert!(stderr.contains("unexpected argument"), "{args:?}: {stderr}");
    }
    assert!(!project.sqlite_path().exists());
}

#[test]
fn help_man_pages_and_completions_carry_them() {
    let project = Project::sqlite(&[]);
    assert!(project.ok(&["current", "--help"]).contains("--check-heads"));
    assert!(project.ok(&["merge", "--help"]).contains("--splice"));
    assert!(project.ok(&["--help"]).contains("ensure-version"));
    project.ok(&["man", "--dir", "man"]);
    let page = |name: &str| std::fs::read_to_string(project.path().join("man").join(name)).unwrap();
    assert!(page("rmig-current.1").contains("check\\-heads"));
    assert!(page("rmig-merge.1").contains("splice"));
    assert!(page("rmig-ensure-version.1").contains("\\-\\-sql"));
    assert!(page("rmig-edit.1").contains("EDITOR"));
    let bash = project.ok(&["completions", "bash"]);
    for word in ["ensure-version", "edit", "--check-heads", "--splice"] {
        assert!(bash.contains(word), "{word}");
    }
}

/// Regression: on SQLite the version table's schema text, which SQLite keeps as sent, had
/// four spaces where SQLAlchemy (and so Alembic, online) sends tabs; `--sql` keeps Alembic's
/// spaces.
#[test]
fn sqlite_version_table_text_was_not_alembics() {
    let alembics = "CREATE TABLE alembic_version (\n\tversion_num VARCHAR(32) NOT NULL, \n\tCONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n)";
    for first in [&["upgrade", "b1"][..], &["ensure-version"]] {
        let project = Project::sqlite(&as_refs(&two_heads()));
        project.ok(first);
        assert_eq!(
            project.sqlite_rows("SELECT sql FROM sqlite_master WHERE name = 'alembic_version'"),
            [alembics],
            "{first:?}"
        );
    }
}
