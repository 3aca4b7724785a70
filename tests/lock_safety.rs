//! Migrations that do not stall the application, on the real server: a step that waits for a
//! lock another session holds gives up after a short `lock_timeout`, is rolled back whole and
//! runs again after a pause, and the run gives up with one sentence when the retries run out.

mod common;

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use common::{Project, TestDatabase};

/// a1 creates `accounts`; b2 adds a column to it (ACCESS EXCLUSIVE, which a reader's ACCESS
/// SHARE blocks).
fn files() -> Vec<(String, String)> {
    vec![
        common::sql_revision(
            "a1",
            &[],
            "CREATE TABLE accounts (id int PRIMARY KEY, email text)",
            "DROP TABLE accounts",
        ),
        (
            "b2_rev.toml".to_string(),
            "revision = \"b2\"\ndown_revision = \"a1\"\nmessage = \"add note\"\n\n\
             [[upgrade]]\nop = \"add_column\"\ntable_name = \"accounts\"\n\
             column = { name = \"note\", type = \"text\" }\n"
                .to_string(),
        ),
    ]
}

/// Runs `statement` in a transaction of another session and keeps it open for `held`;
/// returns once the statement ran. `LOCK TABLE accounts IN ACCESS SHARE MODE` is what a long
/// report holds; an `INSERT` is a writer a concurrent index build waits for.
fn hold(db: &TestDatabase, statement: &'static str, held: Duration) -> thread::JoinHandle<()> {
    let mut client = db.client();
    let (taken, wait) = mpsc::channel();
    let holder = thread::spawn(move || {
        let mut transaction = client.transaction().unwrap();
        transaction.batch_execute(statement).unwrap();
        taken.send(()).unwrap();
        thread::sleep(held);
        transaction.commit().unwrap();
    });
    wait.recv().unwrap();
    holder
}

/// `upgrade head` while `holder` holds its lock: it must exit 1; its error line and its
/// whole stderr.
fn upgrade_fails_while(project: &Project, holder: thread::JoinHandle<()>) -> (String, String) {
    let (code, stderr) = project.fails(&["upgrade", "head"]);
    holder.join().unwrap();
    assert_eq!(code, 1, "{stderr}");
    let error = stderr
        .lines()
        .find(|line| line.starts_with("rmig: error:"))
        .unwrap_or_else(|| panic!("no error line: {stderr}"))
        .to_string();
    (error, stderr)
}

const REPORT: &str = "LOCK TABLE accounts IN ACCESS SHARE MODE";
const WRITER: &str = "INSERT INTO accounts VALUES (1, 'x')";

#[test]
fn a_step_behind_a_long_report_retries_and_finishes_after_it() {
    let db = TestDatabase::new();
    let project = Project::new(&db.url, &common::as_refs(&files()));
    project.ok(&["upgrade", "a1"]);
    let holder = hold(&db, REPORT, Duration::from_millis(1500));
    let started = Instant::now();
    let output = project.run(&["upgrade", "head"]);
    let elapsed = started.elapsed();
    holder.join().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("retry 1 of at most 20") && stderr.contains("lock timeout"),
        "each retry is told: {stderr}"
    );
    assert!(
        elapsed >= Duration::from_millis(1400) && elapsed < Duration::from_secs(12),
        "finished a moment after the report: {elapsed:?}"
    );
    assert_eq!(
        db.strings("SELECT version_num FROM alembic_version"),
        ["b2"]
    );
    assert_eq!(
        db.count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'note'"),
        1
    );
}

#[test]
fn a_step_gives_up_with_a_sentence_when_the_retries_run_out() {
    let db = TestDatabase::new();
    let project = Project::new(&db.url, &common::as_refs(&files()));
    std::fs::write(
        project.path().join("rmig.toml"),
        format!(
            "script_location = \"revisions\"\nurl = \"{}\"\nlock_retries = 2\n",
            db.url
        ),
    )
    .unwrap();
    project.ok(&["upgrade", "a1"]);
    let (error, stderr) = upgrade_fails_while(&project, hold(&db, REPORT, Duration::from_secs(6)));
    assert!(
        error.contains("gave up after 3 attempts") && error.contains("lock_retries"),
        "{error}"
    );
    assert!(error.contains("the database stays at a1"), "{error}");
    assert_eq!(stderr.matches("retry ").count(), 2, "{stderr}");
    assert_eq!(
        db.strings("SELECT version_num FROM alembic_version"),
        ["a1"]
    );
    assert_eq!(
        db.count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'note'"),
        0,
        "nothing of the step stays"
    );
}

#[test]
fn no_retries_fails_at_the_first_lock_timeout() {
    let db = TestDatabase::new();
    let project = Project::new(&db.url, &common::as_refs(&files()));
    std::fs::write(
        project.path().join("rmig.toml"),
        format!(
            "script_location = \"revisions\"\nurl = \"{}\"\nlock_retries = 0\n",
            db.url
        ),
    )
    .unwrap();
    project.ok(&["upgrade", "a1"]);
    let holder = hold(&db, REPORT, Duration::from_secs(2));
    let (code, stderr) = project.fails(&["upgrade", "head"]);
    holder.join().unwrap();
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("lock timeout"), "{stderr}");
    assert!(!stderr.contains("retry "), "{stderr}");
}

/// a1: `accounts` with rows (and `owners`, an index to drop); b2: every operation that has a
/// lock-safe form, on those existing tables, with `online` as given.
fn safe_form_files(online: bool) -> Vec<(String, String)> {
    let flag = if online { "" } else { "online = false\n" };
    vec![
        common::sql_revision(
            "a1",
            &[],
            "CREATE TABLE owners (id int PRIMARY KEY); INSERT INTO owners VALUES (1); \
             CREATE TABLE accounts (id int PRIMARY KEY, email text, balance int, owner_id int); \
             INSERT INTO accounts SELECT g, 'user' || g, g, 1 FROM generate_series(1, 1000) g; \
             CREATE INDEX ix_accounts_balance ON accounts (balance)",
            "DROP TABLE accounts; DROP TABLE owners",
        ),
        (
            "b2_rev.toml".to_string(),
            format!(
                "revision = \"b2\"\ndown_revision = \"a1\"\nmessage = \"safe forms\"\n\n\
                 [[upgrade]]\nop = \"create_index\"\nindex_name = \"ix_accounts_email\"\ntable_name = \"accounts\"\ncolumns = [\"email\"]\n{flag}\n\
                 [[upgrade]]\nop = \"create_check_constraint\"\nconstraint_name = \"ck_balance\"\ntable_name = \"accounts\"\ncondition = \"balance >= 0\"\n{flag}\n\
                 [[upgrade]]\nop = \"create_foreign_key\"\nconstraint_name = \"fk_owner\"\nsource_table = \"accounts\"\nreferent_table = \"owners\"\nlocal_cols = [\"owner_id\"]\nremote_cols = [\"id\"]\n{flag}\n\
                 [[upgrade]]\nop = \"alter_column\"\ntable_name = \"accounts\"\ncolumn_name = \"email\"\nnullable = false\nexisting_nullable = true\nexisting_type = \"text\"\n{flag}\n\
                 [[upgrade]]\nop = \"drop_index\"\nindex_name = \"ix_accounts_balance\"\ntable_name = \"accounts\"\ncolumns = [\"balance\"]\n{flag}\n\
                 [[upgrade]]\nop = \"create_unique_constraint\"\nconstraint_name = \"uq_accounts_email\"\ntable_name = \"accounts\"\ncolumns = [\"email\"]\n{flag}"
            ),
        ),
    ]
}

fn pg_dump_schema(db: &TestDatabase) -> String {
    let output = std::process::Command::new("pg_dump")
        .args(["--schema-only", "--no-owner", &db.url])
        .output()
        .expect("pg_dump is installed with the PostgreSQL client");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter(|line| {
            !line.starts_with("--")
                && !line.starts_with("\\restrict")
                && !line.starts_with("\\unrestrict")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn safe_forms_leave_the_schema_and_version_rows_the_plain_forms_leave() {
    let (safe_db, plain_db) = (TestDatabase::new(), TestDatabase::new());
    let safe = Project::new(&safe_db.url, &common::as_refs(&safe_form_files(true)));
    let plain = Project::new(&plain_db.url, &common::as_refs(&safe_form_files(false)));
    let script = safe.ok(&["upgrade", "a1:b2", "--sql"]);
    for form in [
        "CREATE INDEX CONCURRENTLY",
        "ADD CONSTRAINT \"ck_balance\" CHECK (balance >= 0) NOT VALID",
        "VALIDATE CONSTRAINT \"ck_balance\"",
        "NOT VALID",
        "VALIDATE CONSTRAINT \"fk_owner\"",
        "IS NOT NULL) NOT VALID",
        "DROP INDEX CONCURRENTLY",
        "CREATE UNIQUE INDEX CONCURRENTLY \"uq_accounts_email\"",
        "ADD CONSTRAINT \"uq_accounts_email\" UNIQUE USING INDEX \"uq_accounts_email\"",
    ] {
        assert!(script.contains(form), "no {form:?} in:\n{script}");
    }
    let plain_script = plain.ok(&["upgrade", "a1:b2", "--sql"]);
    assert!(
        !plain_script.contains("CONCURRENTLY") && !plain_script.contains("NOT VALID"),
        "{plain_script}"
    );
    safe.ok(&["upgrade", "head"]);
    plain.ok(&["upgrade", "head"]);
    assert_eq!(pg_dump_schema(&safe_db), pg_dump_schema(&plain_db));
    for db in [&safe_db, &plain_db] {
        assert_eq!(
            db.strings("SELECT version_num FROM alembic_version"),
            ["b2"]
        );
    }
    // And back: the derived downgrade undoes both the same way.
    safe.ok(&["downgrade", "a1"]);
    plain.ok(&["downgrade", "a1"]);
    assert_eq!(pg_dump_schema(&safe_db), pg_dump_schema(&plain_db));
}

/// a1: `accounts` holding a duplicate email; b2: a unique index on it, which a concurrent
/// build leaves invalid when it fails.
fn unique_index_files() -> Vec<(String, String)> {
    vec![
        common::sql_revision(
            "a1",
            &[],
            "CREATE TABLE accounts (id int PRIMARY KEY, email text); \
             INSERT INTO accounts VALUES (1, 'a'), (2, 'a'), (3, 'b')",
            "DROP TABLE accounts",
        ),
        (
            "b2_rev.toml".to_string(),
            "revision = \"b2\"\ndown_revision = \"a1\"\nmessage = \"unique email\"\n\n\
             [[upgrade]]\nop = \"create_index\"\nindex_name = \"ux_accounts_email\"\ntable_name = \"accounts\"\ncolumns = [\"email\"]\nunique = true\n"
                .to_string(),
        ),
    ]
}

#[test]
fn an_invalid_index_from_an_interrupted_concurrent_build_is_cleaned_up_on_the_next_run() {
    let db = TestDatabase::new();
    let project = Project::new(&db.url, &common::as_refs(&unique_index_files()));
    project.ok(&["upgrade", "a1"]);
    let (code, stderr) = project.fails(&["upgrade", "head"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("could not create unique index"), "{stderr}");
    assert_eq!(
        db.strings("SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'ux_accounts_email'::regclass"),
        ["false"],
        "the failed build left its index invalid"
    );
    assert_eq!(
        db.strings("SELECT version_num FROM alembic_version"),
        ["a1"]
    );
    db.client()
        .batch_execute("DELETE FROM accounts WHERE id = 2")
        .unwrap();
    project.ok(&["upgrade", "head"]);
    assert_eq!(
        db.strings("SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'ux_accounts_email'::regclass"),
        ["true"]
    );
    assert_eq!(
        db.strings("SELECT version_num FROM alembic_version"),
        ["b2"]
    );
}

/// a1 of [`files`], then b2: an index on `accounts(email)`, a table that existed before.
fn index_email_files() -> Vec<(String, String)> {
    vec![
        files().remove(0),
        (
            "b2_rev.toml".to_string(),
            "revision = \"b2\"\ndown_revision = \"a1\"\nmessage = \"index email\"\n\n\
             [[upgrade]]\nop = \"create_index\"\nindex_name = \"ix_accounts_email\"\ntable_name = \"accounts\"\ncolumns = [\"email\"]\n"
                .to_string(),
        ),
    ]
}

#[test]
fn a_concurrent_index_build_behind_a_long_transaction_retries_until_it_ends() {
    let db = TestDatabase::new();
    let project = Project::new(&db.url, &common::as_refs(&index_email_files()));
    project.ok(&["upgrade", "a1"]);
    let holder = hold(&db, WRITER, Duration::from_millis(1500));
    let output = project.run(&["upgrade", "head"]);
    holder.join().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("retry 1 of"), "{stderr}");
    assert_eq!(
        db.strings("SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'ix_accounts_email'::regclass"),
        ["true"]
    );
}

/// `postgresql_concurrently = true` in an ordinary (transactional) revision failed with
/// PostgreSQL's "CREATE INDEX CONCURRENTLY cannot run inside a transaction block", even on a
/// table the same revision created; it now runs outside the transaction wherever it is.
#[test]
fn postgresql_concurrently_failed_inside_a_transactional_revision() {
    let db = TestDatabase::new();
    let files = vec![(
        "a1_rev.toml".to_string(),
        "revision = \"a1\"\nmessage = \"table and index\"\n\n\
         [[upgrade]]\nop = \"create_table\"\ntable_name = \"items\"\n\
         columns = [{ name = \"id\", type = \"integer\", primary_key = true }, { name = \"name\", type = \"text\" }]\n\n\
         [[upgrade]]\nop = \"create_index\"\nindex_name = \"ix_items_name\"\ntable_name = \"items\"\ncolumns = [\"name\"]\npostgresql_concurrently = true\n"
            .to_string(),
    )];
    let project = Project::new(&db.url, &common::as_refs(&files));
    let script = project.ok(&["upgrade", "head", "--sql"]);
    let build = script
        .find("CREATE INDEX CONCURRENTLY")
        .unwrap_or_else(|| panic!("{script}"));
    assert!(
        script[..build]
            .trim_end()
            .rsplit("\n\n")
            .any(|part| part == "COMMIT;"),
        "the build follows the commit of what came before: {script}"
    );
    project.ok(&["upgrade", "head"]);
    assert_eq!(
        db.strings(
            "SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'ix_items_name'::regclass"
        ),
        ["true"]
    );
    project.ok(&["downgrade", "base", "--allow-data-loss", "all"]);
    assert!(!db.has_table("items"));
}

/// A concurrent build that keeps timing out behind an open writer gives up like a step does:
/// one sentence with the attempts, the version table unmoved, and the invalid index it left
/// dropped by the next run.
#[test]
fn a_concurrent_build_gives_up_with_a_sentence_when_the_retries_run_out() {
    let db = TestDatabase::new();
    let project = Project::new(&db.url, &common::as_refs(&index_email_files()));
    let config = project.path().join("rmig.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("lock_retries = 2\n");
    std::fs::write(&config, text).unwrap();
    project.ok(&["upgrade", "a1"]);
    let (error, _) = upgrade_fails_while(&project, hold(&db, WRITER, Duration::from_secs(5)));
    assert!(
        error.contains("gave up after 3 attempts") && error.contains("the database stays at a1"),
        "{error}"
    );
    assert_eq!(
        db.strings("SELECT version_num FROM alembic_version"),
        ["a1"]
    );
    project.ok(&["upgrade", "head"]);
    assert_eq!(
        db.strings("SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'ix_accounts_email'::regclass"),
        ["true"]
    );
}
