//! examples/deploy/deploy.sh against SQLite projects: each exit status rmig gives leads
//! the script to stop (or go on) as its comments say.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{as_refs, sql_revision, Project};

fn deploy(project: &Project, args: &[&str]) -> (i32, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/deploy/deploy.sh");
    let output: Output = Command::new("bash")
        .arg(script)
        .args(args)
        .current_dir(project.path())
        .env("RMIG", env!("CARGO_BIN_EXE_rmig"))
        .env_remove("RMIG_URL")
        .env_remove("DATABASE_URL")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

fn base_files() -> Vec<(String, String)> {
    vec![
        sql_revision(
            "d1",
            &[],
            "CREATE TABLE notes (body text); INSERT INTO notes VALUES ('kept')",
            "DROP TABLE notes",
        ),
        sql_revision(
            "d2",
            &["d1"],
            "CREATE TABLE tags (name text)",
            "DROP TABLE tags",
        ),
    ]
}

fn add_file(project: &Project, (name, text): (String, String)) {
    std::fs::write(project.path().join("revisions").join(name), text).unwrap();
}

#[test]
fn deploys_then_finds_nothing_to_do() {
    let files = base_files();
    let project = Project::sqlite(&as_refs(&files));
    let (code, out) = deploy(&project, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("deploy: deployed: the database is at d2"),
        "{out}"
    );
    let review = std::fs::read_to_string(project.path().join("rmig-review.sql")).unwrap();
    assert!(
        review.contains("CREATE TABLE notes") && review.contains("CREATE TABLE tags"),
        "{review}"
    );
    assert_eq!(project.heads(), ["d2"]);

    let (code, out) = deploy(&project, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("nothing to deploy"), "{out}");

    // The review covers only what this database still has to run.
    add_file(
        &project,
        sql_revision(
            "d3",
            &["d2"],
            "CREATE TABLE links (url text)",
            "DROP TABLE links",
        ),
    );
    let (code, out) = deploy(&project, &["--yes"]);
    assert_eq!(code, 0, "{out}");
    let review = std::fs::read_to_string(project.path().join("rmig-review.sql")).unwrap();
    assert!(
        review.contains("CREATE TABLE links") && !review.contains("CREATE TABLE notes"),
        "{review}"
    );
    assert_eq!(project.heads(), ["d3"]);
}

#[test]
fn unconfirmed_data_loss_stops_the_deploy_with_3_until_allowed() {
    let mut files = base_files();
    files.push((
        "d3_drop.toml".to_string(),
        "revision = \"d3\"\ndown_revision = \"d2\"\n\n[[upgrade]]\nop = \"drop_table\"\ntable_name = \"notes\"\ncolumns = [ { name = \"body\", type = \"text\" } ]\n".to_string(),
    ));
    let project = Project::sqlite(&as_refs(&files));
    project.ok(&["upgrade", "d2"]);
    let (code, out) = deploy(&project, &[]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("lint: destructive operations above are not confirmed"),
        "{out}"
    );
    assert!(
        out.contains("would destroy data") && out.contains("drop_table notes"),
        "{out}"
    );
    assert_eq!(project.heads(), ["d2"], "nothing ran");

    let (code, out) = deploy(&project, &["--strict-lint"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("confirm them in the revision files"), "{out}");

    let (code, out) = deploy(&project, &["--allow-data-loss", "notes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(project.heads(), ["d3"]);
}

#[test]
fn a_bad_revision_file_stops_the_deploy_with_2() {
    let files = base_files();
    let project = Project::sqlite(&as_refs(&files));
    add_file(
        &project,
        (
            "d3_bad.toml".to_string(),
            "revision = \"d3\"\ndown_revision = \"d2\"\nmesage = \"typo\"\n".to_string(),
        ),
    );
    let (code, out) = deploy(&project, &[]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("mesage") && out.contains("lint: the config or a revision file is invalid"),
        "{out}"
    );
    assert!(!project.sqlite_path().exists() || project.heads().is_empty());
}

#[test]
fn a_failing_migration_stops_the_deploy_with_1_and_keeps_earlier_steps() {
    let mut files = base_files();
    files.push(sql_revision(
        "d3",
        &["d2"],
        "INSERT INTO no_such_table VALUES (1)",
        "SELECT 1",
    ));
    let project = Project::sqlite(&as_refs(&files));
    let (code, out) = deploy(&project, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("a migration failed") && out.contains("the database is at d2"),
        "{out}"
    );
    assert_eq!(project.heads(), ["d2"]);
}

#[test]
fn an_unreachable_database_stops_the_deploy_with_1() {
    let files = base_files();
    let project = Project::new(
        "postgresql://nobody:pw@127.0.0.1:1/none?connect_timeout=2",
        &as_refs(&files),
    );
    let (code, out) = deploy(&project, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("cannot read the database"), "{out}");
    assert!(!out.contains(":pw@"), "{out}");
}
