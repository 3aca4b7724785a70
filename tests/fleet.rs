//! `rmig upgrade head --url-file FILE --jobs N`: many databases in one run, one of them
//! failing or blocked, and the summary table.

mod common;

use common::{as_refs, sql_revision, Project, TestDatabase};

fn revisions() -> Vec<(String, String)> {
    vec![
        sql_revision("t1", &[], "CREATE TABLE t1 (x int)", "DROP TABLE t1"),
        sql_revision("t2", &["t1"], "CREATE TABLE t2 (x int)", "DROP TABLE t2"),
        sql_revision("t3", &["t2"], "CREATE TABLE t3 (x int)", "DROP TABLE t3"),
    ]
}

/// The URL with a password added; the server trusts local connections, so it is ignored.
fn with_password(url: &str) -> String {
    url.replacen("postgres://postgres@", "postgres://postgres:sekret@", 1)
}

fn row<'a>(table: &'a str, database: &TestDatabase) -> &'a str {
    table
        .lines()
        .find(|line| line.contains(&database.name))
        .unwrap_or_else(|| panic!("no row for {} in\n{table}", database.name))
}

#[test]
fn one_database_failing_fails_the_run_and_the_others_are_migrated() {
    let good = [
        TestDatabase::new(),
        TestDatabase::new(),
        TestDatabase::new(),
    ];
    let bad = TestDatabase::new();
    // t2 cannot be created on this one.
    bad.client()
        .batch_execute("CREATE TABLE t2 (y text)")
        .unwrap();
    let files = revisions();
    let project = Project::new(&good[0].url, &as_refs(&files));
    let urls: Vec<String> = good
        .iter()
        .chain([&bad])
        .map(|db| with_password(&db.url))
        .collect();
    std::fs::write(
        project.path().join("tenants.txt"),
        format!("# tenants\n{}\n\n", urls.join("\n")),
    )
    .unwrap();

    let output = project.run(&[
        "upgrade",
        "head",
        "--url-file",
        "tenants.txt",
        "--jobs",
        "2",
    ]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        !stdout.contains("sekret") && !stderr.contains("sekret"),
        "{stdout}{stderr}"
    );
    assert!(stdout.starts_with("DATABASE"), "{stdout}");
    for db in &good {
        let line = row(&stdout, db);
        assert!(line.contains("postgres:***@"), "{line}");
        assert!(line.contains("applied 3 (now at t3)"), "{line}");
        assert_eq!(
            db.strings("SELECT version_num::text FROM alembic_version"),
            ["t3"]
        );
    }
    let line = row(&stdout, &bad);
    assert!(
        line.contains("failed: ") && line.contains("t2") && line.contains("already exists"),
        "{line}"
    );
    assert!(
        stdout.contains(
            "4 databases: 3 applied, 0 already current, 0 blocked by the guard, 1 failed"
        ),
        "{stdout}"
    );
    // Progress went to stderr, one line per database.
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with('[')).count(),
        4,
        "{stderr}"
    );
    // The failed database keeps the step before the failure.
    assert_eq!(
        bad.strings("SELECT version_num::text FROM alembic_version"),
        ["t1"]
    );

    // Fixed, the same command finishes the job and touches the others no more.
    bad.client().batch_execute("DROP TABLE t2").unwrap();
    let output = project.run(&[
        "upgrade",
        "head",
        "--url-file",
        "tenants.txt",
        "--jobs",
        "8",
    ]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        row(&stdout, &bad).contains("applied 2 (now at t3)"),
        "{stdout}"
    );
    for db in &good {
        assert!(
            row(&stdout, db).contains("already current (at t3)"),
            "{stdout}"
        );
    }
}

#[test]
fn a_database_the_guard_blocks_exits_3_and_runs_nothing_there() {
    let behind = TestDatabase::new();
    let ahead = TestDatabase::new();
    let files = vec![
        sql_revision("g1", &[], "CREATE TABLE audit (x int); INSERT INTO audit VALUES (1)", "DROP TABLE audit"),
        (
            "g2_drop.toml".to_string(),
            "revision = \"g2\"\ndown_revision = \"g1\"\n\n[[upgrade]]\nop = \"drop_table\"\ntable_name = \"audit\"\ncolumns = [ { name = \"x\", type = \"integer\" } ]\n".to_string(),
        ),
    ];
    let project = Project::new(&behind.url, &as_refs(&files));
    project.ok(&["--url", &behind.url, "upgrade", "g1"]);
    project.ok(&[
        "--url",
        &ahead.url,
        "upgrade",
        "head",
        "--allow-data-loss",
        "audit",
    ]);
    std::fs::write(
        project.path().join("tenants.txt"),
        format!("{}\n{}\n", behind.url, ahead.url),
    )
    .unwrap();

    let output = project.run(&["upgrade", "head", "--url-file", "tenants.txt"]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(3), "{stdout}");
    let line = row(&stdout, &behind);
    assert!(
        line.contains("blocked by the guard: ") && line.contains("drop_table audit"),
        "{line}"
    );
    assert!(
        row(&stdout, &ahead).contains("already current (at g2)"),
        "{stdout}"
    );
    assert!(
        behind.has_table("audit"),
        "nothing ran on the blocked database"
    );

    // `-q` keeps the table but not the progress lines.
    let output = project.run(&[
        "-q",
        "upgrade",
        "head",
        "--url-file",
        "tenants.txt",
        "--allow-data-loss",
        "audit",
    ]);
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8(output.stderr).unwrap().is_empty());
    assert!(!behind.has_table("audit"));
}

#[test]
fn sqlite_databases_and_downgrade() {
    let files = revisions();
    let project = Project::sqlite(&as_refs(&files));
    std::fs::write(
        project.path().join("tenants.txt"),
        "sqlite:///one.db\nsqlite:///two.db\nsqlite:///three.db\n",
    )
    .unwrap();
    let stdout = project.ok(&[
        "upgrade",
        "head",
        "--url-file",
        "tenants.txt",
        "--jobs",
        "3",
    ]);
    assert_eq!(
        stdout.matches("applied 3 (now at t3)").count(),
        3,
        "{stdout}"
    );
    let stdout = project.ok(&["downgrade", "t1", "--url-file", "tenants.txt"]);
    assert_eq!(
        stdout.matches("applied 2 (now at t1)").count(),
        3,
        "{stdout}"
    );
}

#[test]
fn bad_url_files_and_flag_mixes_are_usage_errors() {
    let files = revisions();
    let project = Project::sqlite(&as_refs(&files));
    let (code, stderr) = project.fails(&["upgrade", "head", "--url-file", "missing.txt"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("missing.txt"), "{stderr}");

    std::fs::write(project.path().join("empty.txt"), "# nobody\n").unwrap();
    let (code, stderr) = project.fails(&["upgrade", "head", "--url-file", "empty.txt"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("lists no database"), "{stderr}");

    std::fs::write(project.path().join("odd.txt"), "oracle://root:pw@h/d\n").unwrap();
    let (code, stderr) = project.fails(&["upgrade", "head", "--url-file", "odd.txt"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("odd.txt") && !stderr.contains("pw@"),
        "{stderr}"
    );

    std::fs::write(project.path().join("ok.txt"), "sqlite:///x.db\n").unwrap();
    let (code, _) = project.fails(&["upgrade", "head", "--url-file", "ok.txt", "--sql"]);
    assert_eq!(code, 2);
    let (code, _) = project.fails(&["upgrade", "head", "--url-file", "ok.txt", "--jobs", "0"]);
    assert_eq!(code, 2);
    let (code, stderr) = project.fails(&[
        "--url",
        "sqlite:///y.db",
        "upgrade",
        "head",
        "--url-file",
        "ok.txt",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--url-file"), "{stderr}");
    let (code, _) = project.fails(&["upgrade", "head", "--jobs", "3"]);
    assert_eq!(code, 2, "--jobs needs --url-file");
}

#[test]
fn one_run_across_postgresql_mysql_and_sqlite() {
    let postgres = TestDatabase::new();
    let mariadb = common::mysql::MysqlTestDatabase::new();
    let files = revisions();
    let project = Project::new(&postgres.url, &as_refs(&files));
    // As an Alembic project writes it, with its driver.
    let mysql_url = mariadb.url.replacen("mysql://", "mysql+pymysql://", 1);
    std::fs::write(
        project.path().join("fleet.txt"),
        format!(
            "{}\n{mysql_url}\nsqlite:///tenant.db\n",
            with_password(&postgres.url)
        ),
    )
    .unwrap();
    let output = project.run(&["upgrade", "head", "--url-file", "fleet.txt"]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        !stdout.contains("sekret") && !stderr.contains("sekret"),
        "{stdout}{stderr}"
    );
    for name in [&postgres.name, &mariadb.name, &"tenant.db".to_string()] {
        let line = stdout
            .lines()
            .find(|line| line.contains(name.as_str()))
            .unwrap_or_else(|| panic!("no row for {name} in\n{stdout}"));
        assert!(line.contains("applied 3 (now at t3)"), "{line}");
    }
    assert_eq!(
        postgres.strings("SELECT version_num::text FROM alembic_version"),
        ["t3"]
    );
    assert_eq!(
        mariadb.rows("SELECT version_num FROM alembic_version"),
        ["t3"]
    );
    assert_eq!(
        mariadb.rows("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 't_' ORDER BY TABLE_NAME"),
        ["t1", "t2", "t3"]
    );
}
