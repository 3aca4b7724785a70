//! Alembic's configuration where rmig runs (issue 16): alembic.ini read as configparser reads
//! it, several version locations forming one graph, `file_template` and `--version-path` for
//! new revisions, `ALEMBIC_CONFIG`, and Flask-Migrate's layout imported.

mod common;

use std::path::Path;

use common::Project;

/// A SQLite project without rmig.toml: `alembic.ini` with `ini` as its text, and the given
/// revision files, each under its folder.
fn alembic_project(ini: &str, files: &[(&str, String)]) -> Project {
    let project = Project::sqlite(&[]);
    std::fs::remove_file(project.path().join("rmig.toml")).unwrap();
    std::fs::write(project.path().join("alembic.ini"), ini).unwrap();
    for (path, text) in files {
        let path = project.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    project
}

fn revision(id: &str, down: Option<&str>) -> String {
    let down = down
        .map(|d| format!("down_revision = \"{d}\"\n"))
        .unwrap_or_default();
    format!("revision = \"{id}\"\n{down}message = \"{id}\"\n\n[[upgrade]]\nop = \"execute\"\nsqltext = \"SELECT '{id}'\"\n\n[[downgrade]]\nop = \"execute\"\nsqltext = \"SELECT 'undo {id}'\"\n")
}

/// a1 and a2 in `core/`, b1 between them in `reporting/`.
fn two_folders() -> Vec<(&'static str, String)> {
    vec![
        ("core/a1_first.toml", revision("a1", None)),
        ("reporting/b1_second.toml", revision("b1", Some("a1"))),
        ("core/a2_third.toml", revision("a2", Some("b1"))),
    ]
}

const TWO_LOCATIONS_INI: &str = "[DEFAULT]\nroot = %(here)s\n\n[alembic]\nscript_location = %(root)s/migrations\n# Alembic's continuation lines, one folder each\nversion_locations =\n    %(root)s/core\n    reporting\npath_separator = newline\nsqlalchemy.url = sqlite:///test.db\n";

fn assert_sees_both_folders(project: &Project, config: &[&str]) {
    let with = |args: &[&str]| {
        let mut all = config.to_vec();
        all.extend_from_slice(args);
        project.ok(&all)
    };
    assert_eq!(with(&["heads"]).trim(), "a2 (head)");
    let history = with(&["history"]);
    for edge in ["b1 -> a2", "a1 -> b1", "<base> -> a1"] {
        assert!(history.contains(edge), "{history}");
    }
    let script = with(&["upgrade", "head", "--sql"]);
    let steps: Vec<&str> = script
        .lines()
        .filter(|line| line.starts_with("-- Running upgrade"))
        .collect();
    assert_eq!(
        steps,
        [
            "-- Running upgrade  -> a1",
            "-- Running upgrade a1 -> b1",
            "-- Running upgrade b1 -> a2"
        ],
        "{script}"
    );
}

#[test]
fn version_locations_of_an_alembic_ini_form_one_graph() {
    let project = alembic_project(TWO_LOCATIONS_INI, &two_folders());
    assert_sees_both_folders(&project, &["-c", "alembic.ini"]);
    // Run as it is found, without -c.
    assert_sees_both_folders(&project, &[]);
    project.ok(&["upgrade", "head"]);
    assert_eq!(project.heads(), ["a2"]);
}

#[test]
fn rmig_toml_names_several_revision_folders() {
    let project = Project::sqlite(&[]);
    for (path, text) in two_folders() {
        let path = project.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    std::fs::write(
        project.path().join("rmig.toml"),
        "script_location = \"revisions\"\nversion_locations = [\"core\", \"reporting\"]\nurl = \"sqlite:///test.db\"\n",
    )
    .unwrap();
    assert_sees_both_folders(&project, &[]);
}

#[test]
fn recursive_version_locations_read_sub_folders() {
    let files = vec![
        ("migrations/versions/a1_first.toml", revision("a1", None)),
        (
            "migrations/versions/2026/b1_second.toml",
            revision("b1", Some("a1")),
        ),
        (
            "migrations/versions/2026/03/a2_third.toml",
            revision("a2", Some("b1")),
        ),
    ];
    let ini = "[alembic]\nscript_location = migrations\nversion_locations = migrations/versions\n";
    let project = alembic_project(
        &format!("{ini}recursive_version_locations = true\n"),
        &files,
    );
    assert_eq!(project.ok(&["heads"]).trim(), "a2 (head)");
    // Without the flag the sub-folders are not read, as in Alembic: b1 is missing.
    let project = alembic_project(ini, &files);
    assert_eq!(project.ok(&["heads"]).trim(), "a1 (head)");
}

#[test]
fn one_revision_in_two_folders_is_refused_naming_both_files() {
    let mut files = two_folders();
    files.push(("reporting/a1_again.toml", revision("a1", None)));
    let project = alembic_project(TWO_LOCATIONS_INI, &files);
    let (code, stderr) = project.fails(&["heads"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("core/a1_first.toml") && stderr.contains("reporting/a1_again.toml"),
        "{stderr}"
    );
}

#[test]
fn ini_interpolation_is_configparsers() {
    // `%(name)s` from the same section: the runtime reader used to leave it as written.
    let ini = "[alembic]\nbase = revs\nscript_location = %(base)s/main\nsqlalchemy.url = sqlite:///%(base)s.db\n";
    let project = alembic_project(ini, &[("revs/main/a1_first.toml", revision("a1", None))]);
    assert_eq!(project.ok(&["heads"]).trim(), "a1 (head)");
    project.ok(&["upgrade", "head"]);
    assert!(project.path().join("revs.db").is_file());

    for (ini, names) in [
        (
            "[alembic]\nscript_location = %(nope)s/main\n",
            &["alembic.ini", "[alembic]", "`script_location`", "nope"][..],
        ),
        (
            "[alembic]\nscript_location = %(a)s\na = %(script_location)s\n",
            &["alembic.ini", "`script_location`", "more than 10 levels"],
        ),
        (
            "[alembic]\nscript_location = revs\nscript_location = other\n",
            &["alembic.ini", "line 3", "set twice"],
        ),
    ] {
        let project = alembic_project(ini, &[]);
        let (code, stderr) = project.fails(&["heads"]);
        assert_eq!(code, 2, "{ini}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        for name in names {
            assert!(stderr.contains(name), "{ini}: {name}: {stderr}");
        }
    }
}

#[test]
fn file_template_names_new_revisions() {
    let ini = "[alembic]\nscript_location = revs\nfile_template = %%(year)d_%%(month).2d_%%(rev)s_%%(slug)s\ntruncate_slug_length = 12\n";
    let project = alembic_project(ini, &[("revs/a1_first.toml", revision("a1", None))]);
    project.ok(&["revision", "-m", "add the member table", "--rev-id", "c3"]);
    let now = chrono::Local::now();
    let expected = format!(
        "{}_{:02}_c3_add_the_.toml",
        chrono::Datelike::year(&now),
        chrono::Datelike::month(&now)
    );
    assert!(
        project.path().join("revs").join(&expected).is_file(),
        "{expected} not in {:?}",
        std::fs::read_dir(project.path().join("revs"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect::<Vec<_>>()
    );
    assert_eq!(project.ok(&["heads"]).trim(), "c3 (head)");

    // rmig.toml's file_template, without the ini file's `%%`.
    let project = Project::sqlite(&[("a1_first.toml", revision("a1", None).as_str())]);
    std::fs::write(
        project.path().join("rmig.toml"),
        "script_location = \"revisions\"\nfile_template = \"%(rev)s-%(slug)s\"\n",
    )
    .unwrap();
    project.ok(&["revision", "-m", "second", "--rev-id", "b2"]);
    assert!(project.path().join("revisions/b2-second.toml").is_file());

    // A template that cannot name files is bad input before anything is written.
    std::fs::write(
        project.path().join("rmig.toml"),
        "script_location = \"revisions\"\nfile_template = \"%(rev)s_%(name)s\"\n",
    )
    .unwrap();
    let (code, stderr) = project.fails(&["revision", "-m", "third", "--rev-id", "c3"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("rmig.toml")
            && stderr.contains("`file_template`")
            && stderr.contains("name"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_dir(project.path().join("revisions"))
            .unwrap()
            .count(),
        2
    );
}

#[test]
fn version_path_writes_only_where_rmig_reads() {
    let project = alembic_project(TWO_LOCATIONS_INI, &two_folders());
    let (code, stderr) = project.fails(&["revision", "-m", "lost", "--version-path", "elsewhere"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--version-path elsewhere"), "{stderr}");
    assert!(!project.path().join("elsewhere").exists());

    project.ok(&[
        "revision",
        "-m",
        "kept",
        "--rev-id",
        "r1",
        "--version-path",
        "reporting",
    ]);
    assert!(project.path().join("reporting/r1_kept.toml").is_file());
    // Spelled another way, the same folder.
    project.ok(&[
        "revision",
        "-m",
        "too",
        "--rev-id",
        "r2",
        "--version-path",
        "./core/../reporting/",
    ]);
    assert!(project.path().join("reporting/r2_too.toml").is_file());
    // No --version-path with several folders: the folder of the revision it follows.
    project.ok(&["revision", "-m", "next", "--rev-id", "r3"]);
    assert!(project.path().join("reporting/r3_next.toml").is_file());
    // A new root has no such folder.
    let (code, stderr) = project.fails(&["revision", "-m", "root", "--head", "base"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--version-path"), "{stderr}");
    assert_eq!(project.ok(&["heads"]).trim(), "r3 (head)");
}

#[test]
fn alembic_config_names_the_file_when_no_other_is_given() {
    let project = alembic_project(TWO_LOCATIONS_INI, &two_folders());
    std::fs::create_dir(project.path().join("conf")).unwrap();
    std::fs::remove_file(project.path().join("alembic.ini")).unwrap();
    std::fs::write(
        project.path().join("conf/app.ini"),
        TWO_LOCATIONS_INI.replace("%(here)s", "%(here)s/.."),
    )
    .unwrap();
    let heads = |args: &[&str], config: Option<&str>| {
        let mut cmd = project.rmig(args);
        if let Some(config) = config {
            cmd.env("ALEMBIC_CONFIG", config);
        }
        let output = cmd.output().unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap().trim().to_string()
    };
    assert_eq!(heads(&["heads"], Some("conf/app.ini")), "a2 (head)");
    // rmig.toml in the folder comes first, and -c before both.
    std::fs::create_dir(project.path().join("own")).unwrap();
    std::fs::write(project.path().join("own/z1_own.toml"), revision("z1", None)).unwrap();
    std::fs::write(
        project.path().join("rmig.toml"),
        "script_location = \"own\"\n",
    )
    .unwrap();
    assert_eq!(heads(&["heads"], Some("conf/app.ini")), "z1 (head)");
    assert_eq!(
        heads(&["-c", "conf/app.ini", "heads"], Some("missing.ini")),
        "a2 (head)"
    );
    // A file it names that is not there is bad input naming it.
    std::fs::remove_file(project.path().join("rmig.toml")).unwrap();
    let output = project
        .rmig(&["heads"])
        .env("ALEMBIC_CONFIG", "missing.ini")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("missing.ini"), "{stderr}");
}

/// Flask-Migrate's `flask db init`: an `[alembic]` section without script_location.
const FLASK_MIGRATE_INI: &str = "# A generic, single database configuration.\n\n[alembic]\n# template used to generate migration files\n# file_template = %%(rev)s_%%(slug)s\n\n# set to 'true' to run the environment during\n# the 'revision' command, regardless of autogenerate\n# revision_environment = false\n\n\n# Logging configuration\n[loggers]\nkeys = root,sqlalchemy,alembic\n\n[formatter_generic]\nformat = %(levelname)-5.5s [%(name)s] %(message)s\ndatefmt = %H:%M:%S\n";

fn flask_migrate_app() -> tempfile::TempDir {
    let app = tempfile::tempdir().unwrap();
    let migrations = app.path().join("migrations");
    std::fs::create_dir_all(migrations.join("versions")).unwrap();
    std::fs::write(migrations.join("alembic.ini"), FLASK_MIGRATE_INI).unwrap();
    std::fs::write(
        migrations.join("env.py"),
        "from alembic import context\nfrom flask import current_app\nconfig = context.config\n",
    )
    .unwrap();
    std::fs::write(
        migrations.join("versions/3f2a9c1d7e4b_create_users.py"),
        "\"\"\"create users\n\nRevision ID: 3f2a9c1d7e4b\n\"\"\"\nfrom alembic import op\nimport sqlalchemy as sa\n\nrevision = '3f2a9c1d7e4b'\ndown_revision = None\nbranch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n    op.create_table('users', sa.Column('id', sa.Integer(), primary_key=True))\n\n\ndef downgrade():\n    op.drop_table('users')\n",
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
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn flask_migrate_layout_imports() {
    for source in ["migrations", "migrations/alembic.ini"] {
        let app = flask_migrate_app();
        let output = rmig_in(app.path(), &["import-alembic", source, "--into", "rmig"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "import-alembic {source}: {stderr}");
        let imported = app
            .path()
            .join("rmig/revisions/3f2a9c1d7e4b_create_users.toml");
        let text = std::fs::read_to_string(&imported).unwrap();
        assert!(text.contains("op = \"create_table\""), "{text}");
        let output = rmig_in(&app.path().join("rmig"), &["heads"]);
        assert_eq!(
            String::from_utf8_lossy(&output.stdout).trim(),
            "3f2a9c1d7e4b (head)"
        );
    }
    // Run in place, the layout is recognised as an Alembic project not yet imported.
    let app = flask_migrate_app();
    let output = rmig_in(app.path(), &["-c", "migrations/alembic.ini", "heads"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("rmig import-alembic"), "{stderr}");
}

/// MLflow's layout: the alembic.ini sits inside the script folder and names it from the
/// project root (`script_location = app/db_migrations`), the working folder Alembic runs in.
/// The importer read relative paths from the ini's folder only, and found nothing there.
#[test]
fn import_read_script_location_from_the_ini_folder_not_the_working_folder() {
    let app = flask_migrate_app();
    let scripts = app.path().join("app/db_migrations");
    std::fs::create_dir_all(scripts.parent().unwrap()).unwrap();
    std::fs::rename(app.path().join("migrations"), &scripts).unwrap();
    std::fs::write(
        scripts.join("alembic.ini"),
        "[alembic]\nscript_location = app/db_migrations\n",
    )
    .unwrap();
    let output = rmig_in(
        app.path(),
        &[
            "import-alembic",
            "app/db_migrations/alembic.ini",
            "--into",
            "rmig",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(app
        .path()
        .join("rmig/revisions/3f2a9c1d7e4b_create_users.toml")
        .is_file());
}
