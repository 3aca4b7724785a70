//! rmig's audit table: a row per step with the file's checksum, and edited revisions found
//! afterwards. `alembic_version` stays exactly Alembic's.

mod common;

use common::{sql_revision, Project, TestDatabase};

fn two_revisions() -> Vec<(String, String)> {
    vec![
        sql_revision(
            "a1000000",
            &[],
            "CREATE TABLE t1 (x integer)",
            "DROP TABLE t1",
        ),
        sql_revision(
            "b2000000",
            &["a1000000"],
            "CREATE TABLE t2 (x integer)",
            "DROP TABLE t2",
        ),
    ]
}

fn refs(files: &[(String, String)]) -> Vec<(&str, &str)> {
    files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect()
}

fn sqlite_rows(project: &Project, sql: &str) -> Vec<String> {
    let connection = rusqlite::Connection::open(project.sqlite_path()).unwrap();
    let mut statement = connection.prepare(sql).unwrap();
    statement
        .query_map([], |row| row.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// A revision file's checksum as docs/history-table.md gives it: the lower-case hex SHA-256 of the
/// file (these fixtures have LF line endings and no byte-order mark).
fn checksum(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[test]
fn each_step_is_audited_with_the_file_checksum() {
    let files = two_revisions();
    let project = Project::sqlite(&refs(&files));
    project.ok(&["upgrade", "head"]);
    project.ok(&["downgrade", "-1"]);
    project.ok(&["stamp", "b2000000"]);
    let rows = sqlite_rows(
        &project,
        "SELECT revision || ' ' || direction || ' ' || checksum || ' ' || rmig_version FROM rmig_history ORDER BY id",
    );
    let sum = |text: &str| checksum(text);
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        rows,
        vec![
            format!("a1000000 upgrade {} {version}", sum(&files[0].1)),
            format!("b2000000 upgrade {} {version}", sum(&files[1].1)),
            format!("b2000000 downgrade {} {version}", sum(&files[1].1)),
            format!("b2000000 stamp {} {version}", sum(&files[1].1)),
        ]
    );
    let columns = sqlite_rows(
        &project,
        "SELECT name FROM pragma_table_info('alembic_version')",
    );
    assert_eq!(
        columns,
        vec!["version_num"],
        "the version table stays Alembic's"
    );
}

#[test]
fn an_edited_revision_is_reported_and_refused_under_strict() {
    let files = two_revisions();
    let project = Project::sqlite(&refs(&files));
    project.ok(&["upgrade", "a1000000"]);
    let path = project.path().join("revisions").join(&files[0].0);

    // Line endings and a BOM are not edits.
    std::fs::write(
        &path,
        format!("\u{feff}{}", files[0].1.replace('\n', "\r\n")),
    )
    .unwrap();
    let output = project.run(&["check", "--strict"]);
    assert_eq!(output.status.code(), Some(4), "pending b2000000 only");
    assert!(!String::from_utf8_lossy(&output.stdout).contains("Edited"));

    std::fs::write(&path, files[0].1.replace("x integer", "x bigint")).unwrap();
    let output = project.run(&["check"]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(4));
    assert!(stdout.contains("Edited: revision a1000000"), "{stdout}");
    let (code, _) = project.fails(&["check", "--strict"]);
    assert_eq!(code, 2);
    let (code, stderr) = project.fails(&["upgrade", "head", "--strict"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("a1000000") && stderr.contains("edited after"),
        "{stderr}"
    );
    assert_eq!(
        project.heads(),
        vec!["a1000000".to_string()],
        "--strict ran nothing"
    );

    let output = project.run(&["upgrade", "head"]);
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("warning: revision a1000000"));
}

#[test]
fn postgres_audit_rows_name_the_user_and_time() {
    let db = TestDatabase::new();
    let files = two_revisions();
    let project = Project::new(&db.url, &refs(&files));
    project.ok(&["upgrade", "head"]);
    let rows = db.strings(
        "SELECT revision || ' ' || direction || ' ' || db_user || ' ' || (applied_at > now() - interval '1 minute') || ' ' || (duration_ms >= 0) FROM rmig.rmig_history",
    );
    assert_eq!(
        rows,
        vec![
            "a1000000 upgrade postgres true true",
            "b2000000 upgrade postgres true true"
        ]
    );
}

/// Issue 15: a checksum in `rmig_history` that is not hex (here multi-byte text, which the
/// warning cut at a byte offset inside a character) made `rmig upgrade` panic after the
/// migration was committed, so a deploy script saw exit 101 for a success.
#[test]
fn multibyte_checksum_in_history_does_not_turn_a_success_into_a_panic() {
    let files = two_revisions();
    let project = Project::sqlite(&refs(&files));
    project.ok(&["upgrade", "a1000000"]);
    let connection = rusqlite::Connection::open(project.sqlite_path()).unwrap();
    connection
        .execute(
            "UPDATE rmig_history SET checksum = ?1",
            [format!("a{}", "€".repeat(21))],
        )
        .unwrap();

    let output = project.run(&["upgrade", "head"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning: revision a1000000") && stderr.contains("a€€€"),
        "{stderr}"
    );
    assert_eq!(project.heads(), vec!["b2000000".to_string()]);

    let output = project.run(&["check"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_ne!(output.status.code(), Some(101), "check panicked");
    assert!(stdout.contains("Edited: revision a1000000"), "{stdout}");
}

/// Issue 16, defect 8: an audit table an older rmig kept beside `alembic_version`, in the
/// application's schema, is moved to the `rmig` schema at the next run, its rows and its id
/// sequence with it, and the application's schema holds only what Alembic's would.
#[test]
fn postgres_audit_table_in_the_application_schema_moves_to_the_rmig_schema_with_its_rows() {
    let db = TestDatabase::new();
    let files = two_revisions();
    let project = Project::new(&db.url, &refs(&files));
    db.client()
        .batch_execute(&format!(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, \
             CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)); \
             INSERT INTO alembic_version VALUES ('a1000000'); \
             CREATE TABLE t1 (x integer); \
             CREATE TABLE rmig_history (id BIGSERIAL PRIMARY KEY, revision VARCHAR(32) NOT NULL, \
             direction VARCHAR(9) NOT NULL, checksum CHAR(64), applied_at TIMESTAMP WITH TIME ZONE NOT NULL, \
             duration_ms BIGINT NOT NULL, rmig_version VARCHAR(32) NOT NULL, db_user TEXT); \
             INSERT INTO rmig_history (revision, direction, checksum, applied_at, duration_ms, rmig_version) \
             VALUES ('a1000000', 'upgrade', '{}', '2024-01-01T00:00:00Z', 3, '0.0.9')",
            checksum(&files[0].1)
        ))
        .unwrap();

    project.ok(&["upgrade", "head"]);
    assert_eq!(
        db.rows(
            "SELECT id || ' ' || revision || ' ' || rmig_version || ' ' || coalesce(state, 'NULL') \
             FROM rmig.rmig_history ORDER BY id"
        ),
        vec![
            "1 a1000000 0.0.9 NULL".to_string(),
            format!("2 b2000000 {} applied", env!("CARGO_PKG_VERSION")),
        ]
    );
    assert_eq!(
        db.strings(
            "SELECT c.relkind::text || ' ' || c.relname FROM pg_class c \
             WHERE c.relnamespace = 'public'::regnamespace"
        ),
        vec!["i alembic_version_pkc", "r alembic_version", "r t1", "r t2"]
    );
    assert_eq!(
        db.strings(
            "SELECT c.relkind::text || ' ' || c.relname FROM pg_class c \
             WHERE c.relnamespace = 'rmig'::regnamespace"
        ),
        vec![
            "S rmig_history_id_seq",
            "i rmig_history_pkey",
            "r rmig_history"
        ]
    );
    // The moved rows still tell an edited file from an unchanged one.
    std::fs::write(
        project.path().join("revisions").join(&files[0].0),
        format!("{}\n# edited\n", files[0].1),
    )
    .unwrap();
    let output = project.run(&["check"]);
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("Edited: revision a1000000"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

/// `history_table = false`: no audit table is made by any command, and what needs one says
/// the history is off in one sentence.
#[test]
fn history_table_false_keeps_no_audit_table_and_says_so_where_it_is_needed() {
    let files = two_revisions();
    let project = Project::sqlite(&refs(&files));
    let config = project.path().join("rmig.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}history_table = false\n")).unwrap();

    project.ok(&["upgrade", "a1000000"]);
    project.ok(&["stamp", "b2000000"]);
    project.ok(&["stamp", "a1000000"]);
    let (code, stderr) = project.fails(&["upgrade", "head", "--strict"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        "rmig: error: --strict finds edited revisions in rmig's audit table, which `history_table = false` in rmig.toml turns off; run without --strict or turn the history back on"
    );
    let (code, _) = project.fails(&["check", "--strict"]);
    assert_eq!(code, 2);
    let output = project.run(&["check"]);
    assert!(
        String::from_utf8_lossy(&output.stdout).contains(
            "Edited revisions are not looked for: `history_table = false` keeps no audit table of what was applied."
        ),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&project.run(&["check", "--json"]).stdout).unwrap();
    assert_eq!(json["edited"], serde_json::Value::Null);
    assert_eq!(
        sqlite_rows(
            &project,
            "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name"
        ),
        vec!["alembic_version", "t1"]
    );
}
