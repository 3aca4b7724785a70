//! How long a name may be is the database's rule, not rmig's: SQLite keeps names of any length,
//! PostgreSQL silently cuts them to 63 bytes (so rmig refuses longer ones there, before any
//! database work). Found importing Prefect's SQLite-only history, whose index names run to 77
//! bytes: the importer refused them with exit 2, calling its own refusal a bug.

mod common;

use std::path::Path;

use common::TestDatabase;

/// 77 bytes, as long as the index names of SQLite-only Alembic histories run.
const LONG_INDEX: &str =
    "ix_flow_run__coalesce_start_time_expected_start_time_desc_partial_scheduled__";

/// An Alembic project whose one script creates an index named [`LONG_INDEX`], with its
/// alembic.ini's URL a SQLite file.
fn alembic_project() -> tempfile::TempDir {
    let app = tempfile::tempdir().unwrap();
    let versions = app.path().join("migrations/versions");
    std::fs::create_dir_all(&versions).unwrap();
    std::fs::write(
        app.path().join("alembic.ini"),
        "[alembic]\nscript_location = migrations\nsqlalchemy.url = sqlite:///app.db\n",
    )
    .unwrap();
    std::fs::write(
        app.path().join("migrations/env.py"),
        "from alembic import context\nconfig = context.config\n",
    )
    .unwrap();
    std::fs::write(
        versions.join("4f90ad6349bd_add_coalesced_start_time_indices.py"),
        format!(
            "\"\"\"add coalesced start time indices\n\nRevision ID: 4f90ad6349bd\n\"\"\"\n\
             from alembic import op\nimport sqlalchemy as sa\n\n\
             revision = '4f90ad6349bd'\ndown_revision = None\nbranch_labels = None\ndepends_on = None\n\n\n\
             def upgrade():\n    \
                 op.create_table('flow_run', sa.Column('id', sa.Integer(), primary_key=True), \
                 sa.Column('start_time', sa.DateTime()), sa.Column('expected_start_time', sa.DateTime()))\n    \
                 op.create_index('{LONG_INDEX}', 'flow_run', ['start_time', 'expected_start_time'])\n\n\n\
             def downgrade():\n    \
                 op.drop_index('{LONG_INDEX}', table_name='flow_run')\n    \
                 op.drop_table('flow_run')\n"
        ),
    )
    .unwrap();
    app
}

fn rmig_in(dir: &Path, args: &[&str]) -> std::process::Output {
    assert_cmd::Command::cargo_bin("rmig")
        .unwrap()
        .current_dir(dir)
        .env_remove("ALEMBIC_CONFIG")
        .env_remove("RMIG_URL")
        .env_remove("DATABASE_URL")
        .env("RMIG_NO_CACHE", "1")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn names_over_63_bytes_were_refused_on_sqlite_and_by_the_importer() {
    assert!(LONG_INDEX.len() > 70);
    let app = alembic_project();
    let output = rmig_in(
        app.path(),
        &["import-alembic", "alembic.ini", "--into", "rmig"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "import-alembic: {stderr}");
    let project = app.path().join("rmig");
    let written = std::fs::read_to_string(
        project.join("revisions/4f90ad6349bd_add_coalesced_start_time_indices.toml"),
    )
    .unwrap();
    assert!(
        written.contains(&format!("index_name = \"{LONG_INDEX}\"")),
        "{written}"
    );

    // On SQLite (alembic.ini's URL, now rmig.toml's) the index is made with its whole name.
    let output = rmig_in(&project, &["upgrade", "head"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "upgrade on SQLite: {stderr}");
    // The URL is relative to the folder rmig runs in.
    let database_file = project.join("app.db");
    assert!(database_file.is_file());
    let connection = rusqlite::Connection::open(database_file).unwrap();
    let indexes: Vec<String> = connection
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'flow_run'")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(indexes, [LONG_INDEX]);

    // On PostgreSQL the same revision is bad input, before any database work: at load for a
    // run, and for the commands that read revisions without a database.
    let database = TestDatabase::new();
    for command in [
        &["upgrade", "head"][..],
        &["upgrade", "head", "--sql"],
        &["check", "--lint"],
        &["heads"],
    ] {
        let mut args = vec!["--url", database.url.as_str()];
        args.extend_from_slice(command);
        let output = rmig_in(&project, &args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{command:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{command:?}: {stderr}");
        for named in ["create_index", LONG_INDEX, "77 bytes", "63"] {
            assert!(
                stderr.contains(named),
                "{command:?} names no {named}: {stderr}"
            );
        }
    }
    assert!(!database.has_table("alembic_version"));
}

#[test]
fn mysql_takes_64_characters_and_refuses_65_before_connecting() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("revisions")).unwrap();
    // No server listens here: the refusal comes before any connection.
    std::fs::write(
        dir.path().join("rmig.toml"),
        "script_location = \"revisions\"\nurl = \"mysql://app@127.0.0.1:9/app\"\n",
    )
    .unwrap();
    let write = |name: &str| {
        std::fs::write(
            dir.path().join("revisions/a1.toml"),
            format!(
                "revision = \"a1\"\n\n[[upgrade]]\nop = \"create_table\"\ntable_name = \"{name}\"\ncolumns = [{{ name = \"id\", type = \"integer\" }}]\n"
            ),
        )
        .unwrap();
    };
    // 64 characters of two bytes each: 128 bytes, more than PostgreSQL keeps.
    write(&"é".repeat(64));
    let output = rmig_in(dir.path(), &["upgrade", "head", "--sql"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    write(&"é".repeat(65));
    for args in [&["upgrade", "head", "--sql"][..], &["upgrade", "head"]] {
        let output = rmig_in(dir.path(), args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr
                .contains("is 65 characters long; MySQL/MariaDB refuses names over 64 characters"),
            "{stderr}"
        );
        assert!(!stderr.contains("cannot connect"), "{stderr}");
    }
}
