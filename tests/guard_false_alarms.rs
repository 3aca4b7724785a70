//! Acceptance tests for the rebuilt destructive-operation guard: migrations that destroy no data
//! must not be blocked. Each applies a setup revision, then runs the revisions under test with
//! `rmig upgrade head`, which must exit 0 with the data as expected (PostgreSQL unless the name
//! says SQLite).
//!
//! Not here: `SECURITY LABEL`, which PostgreSQL refuses without a label provider loaded (none
//! is in the test server), so it cannot run at all.

mod common;

use common::guard::{
    exec, op, revision, setup_file, write_revisions, Harness, Lite, Pg, PG_USERS, SETUP,
    SQLITE_USERS,
};

const FIRST: &str = "a10000000002";
const SECOND: &str = "b20000000003";

/// One revision after the setup (or after the previous one): its header keys and operations.
struct Step<'a> {
    header: &'a str,
    ops: Vec<String>,
}

fn step(ops: Vec<String>) -> Step<'static> {
    Step { header: "", ops }
}

fn non_transactional(ops: Vec<String>) -> Step<'static> {
    Step {
        header: "transactional = false\n",
        ops,
    }
}

fn files(setup_sql: &str, steps: &[Step]) -> Vec<(String, String)> {
    let mut files = vec![setup_file(setup_sql)];
    let mut down = SETUP;
    for (id, step) in [FIRST, SECOND].iter().zip(steps) {
        files.push((
            format!("{id}_step.toml"),
            revision(id, Some(down), step.header, &step.ops),
        ));
        down = id;
    }
    files
}

fn last_id(steps: &[Step]) -> &'static str {
    [FIRST, SECOND][steps.len() - 1]
}

/// A backend whose migrations must pass.
trait Passes: Harness {
    /// Writes every revision, applies the setup, then runs `steps` with `upgrade head` (every
    /// step in one run), which must succeed and leave the database at the last step.
    fn run(setup_sql: &str, steps: &[Step]) -> Self {
        let harness = Self::empty();
        let project = harness.project();
        write_revisions(project, &files(setup_sql, steps));
        project.ok(&["upgrade", SETUP]);
        let output = project.run(&["upgrade", "head"]);
        assert!(
            output.status.success(),
            "a migration that destroys nothing was refused (exit {:?}):\n{}{}",
            output.status.code(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(project.heads(), vec![last_id(steps)]);
        harness
    }

    /// Runs `steps` over the standard `users` table, which they must leave as it was.
    fn run_keeping_users(steps: &[Step]) -> Self {
        let harness = Self::run(Self::USERS_SETUP, steps);
        harness.users_intact();
        harness
    }
}

impl Passes for Pg {}
impl Passes for Lite {}

// ---------------------------------------------------------------------------------------------
// Data the run itself created, or no data at all

#[test]
fn backfill_of_a_column_added_earlier_in_the_same_plan_passes() {
    let steps = [
        step(vec![op(r#"
op = "add_column"
table_name = "users"
column = { name = "nickname", type = "text", nullable = true }
"#)]),
        step(vec![exec(
            "UPDATE users SET nickname = split_part(email, '@', 1)",
        )]),
    ];
    let pg = Pg::run(PG_USERS, &steps);
    assert_eq!(
        pg.rows("SELECT concat_ws('|', id, email, nickname) FROM users ORDER BY id"),
        vec![
            "1|ada@example.com|ada",
            "2|grace@example.com|grace",
            "3|edsger@example.com|edsger"
        ]
    );
}

#[test]
fn backfill_of_a_column_added_earlier_in_the_same_plan_passes_sqlite() {
    let steps = [
        step(vec![op(r#"
op = "add_column"
table_name = "users"
column = { name = "nickname", type = "text", nullable = true }
"#)]),
        step(vec![exec(
            "UPDATE users SET nickname = substr(email, 1, instr(email, '@') - 1)",
        )]),
    ];
    let lite = Lite::run(SQLITE_USERS, &steps);
    assert_eq!(
        lite.rows("SELECT id, email, nickname FROM users ORDER BY id"),
        vec![
            "1|ada@example.com|ada",
            "2|grace@example.com|grace",
            "3|edsger@example.com|edsger"
        ]
    );
}

#[test]
fn drop_table_holding_no_rows_passes() {
    let steps = [step(vec![op(r#"
op = "drop_table"
table_name = "scratch"
"#)])];
    let pg = Pg::run(
        &format!("{PG_USERS} CREATE TABLE scratch (id integer, note text);"),
        &steps,
    );
    assert!(!pg.db.has_table("scratch"));
    pg.users_intact();
}

#[test]
fn drop_table_holding_no_rows_passes_sqlite() {
    let steps = [step(vec![op(r#"
op = "drop_table"
table_name = "scratch"
"#)])];
    let lite = Lite::run(
        &format!("{SQLITE_USERS} CREATE TABLE scratch (id integer, note text);"),
        &steps,
    );
    assert_eq!(
        lite.rows("SELECT count(*) FROM sqlite_master WHERE name = 'scratch'"),
        vec!["0"]
    );
    lite.users_intact();
}

#[test]
fn drop_column_holding_only_nulls_passes() {
    let steps = [step(vec![op(r#"
op = "drop_column"
table_name = "users"
column_name = "legacy"
"#)])];
    let pg = Pg::run(
        &format!("{PG_USERS} ALTER TABLE users ADD COLUMN legacy text;"),
        &steps,
    );
    pg.users_intact();
    assert_eq!(
        pg.db.count(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'legacy'"
        ),
        0
    );
}

#[test]
fn drop_column_holding_only_nulls_passes_sqlite() {
    let steps = [step(vec![op(r#"
op = "drop_column"
table_name = "users"
column_name = "legacy"
"#)])];
    let lite = Lite::run(
        &format!("{SQLITE_USERS} ALTER TABLE users ADD COLUMN legacy text;"),
        &steps,
    );
    lite.users_intact();
    assert_eq!(
        lite.rows("SELECT count(*) FROM pragma_table_info('users') WHERE name = 'legacy'"),
        vec!["0"]
    );
}

#[test]
fn drop_table_created_earlier_in_the_same_run_passes() {
    let steps = [
        step(vec![
            op(r#"
op = "create_table"
table_name = "temp_import"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "payload", type = "text", nullable = true },
]
"#),
            op(r#"
op = "bulk_insert"
table_name = "temp_import"
rows = [ { id = 1, payload = "a" }, { id = 2, payload = "b" } ]
"#),
        ]),
        step(vec![op(r#"
op = "drop_table"
table_name = "temp_import"
"#)]),
    ];
    let pg = Pg::run(PG_USERS, &steps);
    assert!(!pg.db.has_table("temp_import"));
    pg.users_intact();
}

// ---------------------------------------------------------------------------------------------
// Maintenance and DDL that keeps every row

fn users_with_index() -> String {
    format!("{PG_USERS} CREATE INDEX ix_users_email ON users (email);")
}

#[test]
fn drop_index_concurrently_in_a_non_transactional_revision_passes() {
    let steps = [non_transactional(vec![exec(
        "DROP INDEX CONCURRENTLY ix_users_email",
    )])];
    let pg = Pg::run(&users_with_index(), &steps);
    assert!(!pg.db.has_table("ix_users_email"));
    pg.users_intact();
}

#[test]
fn vacuum_in_a_non_transactional_revision_passes() {
    Pg::run_keeping_users(&[non_transactional(vec![exec("VACUUM users")])]);
}

#[test]
fn cluster_using_an_index_passes() {
    let steps = [step(vec![exec("CLUSTER users USING ix_users_email")])];
    let pg = Pg::run(&users_with_index(), &steps);
    pg.users_intact();
}

/// A refresh gives a materialized view new storage; what it held is derived from its tables.
#[test]
fn refresh_materialized_view_passes() {
    let setup =
        format!("{PG_USERS} CREATE MATERIALIZED VIEW user_emails AS SELECT email FROM users;");
    let steps = [step(vec![exec("REFRESH MATERIALIZED VIEW user_emails")])];
    let pg = Pg::run(&setup, &steps);
    pg.users_intact();
}

#[test]
fn reindex_table_passes() {
    let steps = [step(vec![exec("REINDEX TABLE users")])];
    let pg = Pg::run(&users_with_index(), &steps);
    pg.users_intact();
}

#[test]
fn alter_column_set_statistics_passes() {
    Pg::run_keeping_users(&[step(vec![exec(
        "ALTER TABLE users ALTER COLUMN email SET STATISTICS 100",
    )])]);
}

#[test]
fn create_statistics_passes() {
    let pg = Pg::run_keeping_users(&[step(vec![exec(
        "CREATE STATISTICS users_id_email ON id, email FROM users",
    )])]);
    assert_eq!(
        pg.db
            .count("SELECT count(*) FROM pg_statistic_ext WHERE stxname = 'users_id_email'"),
        1
    );
}

#[test]
fn alter_sequence_owned_by_passes() {
    let steps = [step(vec![exec(
        "ALTER SEQUENCE users_ref_seq OWNED BY users.id",
    )])];
    let pg = Pg::run(
        &format!("{PG_USERS} CREATE SEQUENCE users_ref_seq;"),
        &steps,
    );
    pg.users_intact();
}

/// The watch named a sequence by the name it had when the run started, so a reset confirmed
/// by the sequence's new name, after a rename earlier in the run, was refused as an
/// unconfirmed reset of the old name.
#[test]
fn sequence_renamed_in_the_run_is_not_reported_under_its_old_name() {
    let steps = [
        step(vec![op(r#"
op = "rename_sequence"
old_sequence_name = "users_id_seq"
new_sequence_name = "members_id_seq"
"#)]),
        step(vec![op(r#"
op = "execute"
sqltext = "SELECT setval('members_id_seq', 1, false)"
confirm_data_loss = "members_id_seq"
"#)]),
    ];
    let pg = Pg::run_keeping_users(&steps);
    assert_eq!(
        pg.rows("SELECT concat_ws('|', last_value, is_called) FROM members_id_seq"),
        vec!["1|f"]
    );
}

#[test]
fn create_procedure_passes() {
    let pg = Pg::run_keeping_users(&[step(vec![exec(
        "CREATE PROCEDURE noop() LANGUAGE plpgsql AS $$ BEGIN NULL; END $$",
    )])]);
    assert_eq!(
        pg.db
            .count("SELECT count(*) FROM pg_proc WHERE proname = 'noop' AND prokind = 'p'"),
        1
    );
}

#[test]
fn alter_domain_add_constraint_passes() {
    let steps = [step(vec![exec(
        "ALTER DOMAIN positive_int ADD CONSTRAINT positive CHECK (VALUE > 0)",
    )])];
    let pg = Pg::run(
        "CREATE DOMAIN positive_int AS integer; \
         CREATE TABLE counts (id integer PRIMARY KEY, n positive_int); \
         INSERT INTO counts VALUES (1, 5), (2, 7);",
        &steps,
    );
    assert_eq!(
        pg.rows("SELECT concat_ws('|', id, n) FROM counts ORDER BY id"),
        vec!["1|5", "2|7"]
    );
}

#[test]
fn pragma_foreign_keys_on_passes_sqlite() {
    Lite::run_keeping_users(&[non_transactional(vec![exec("PRAGMA foreign_keys = ON")])]);
}

#[test]
fn pragma_journal_mode_wal_passes_sqlite() {
    let lite =
        Lite::run_keeping_users(&[non_transactional(vec![exec("PRAGMA journal_mode = WAL")])]);
    assert_eq!(lite.rows("PRAGMA journal_mode"), vec!["wal"]);
}

// ---------------------------------------------------------------------------------------------
// Type changes that keep every value

const LOGINS: &str = "CREATE TABLE logins (id integer PRIMARY KEY, handle varchar(20)); \
     INSERT INTO logins VALUES (1, 'Ada'), (2, 'Grace'), (3, 'Edsger');";

/// Sets up `before` then the `logins` table, runs an `alter_column` of `logins.handle` with the
/// type keys `type_keys`, and expects every value kept and the column now of `new_type`.
fn alter_handle_keeps_every_login(before: &str, type_keys: &str, new_type: &str) {
    let steps = [step(vec![op(&format!(
        "op = \"alter_column\"\ntable_name = \"logins\"\ncolumn_name = \"handle\"\n{}",
        type_keys.trim_start()
    ))])];
    let pg = Pg::run(&format!("{before}{LOGINS}"), &steps);
    assert_eq!(
        pg.rows("SELECT concat_ws('|', id, handle) FROM logins ORDER BY id"),
        vec!["1|Ada", "2|Grace", "3|Edsger"]
    );
    assert_eq!(
        pg.rows("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'logins'::regclass AND attname = 'handle'"),
        vec![new_type]
    );
}

#[test]
fn alter_column_varchar_to_citext_passes() {
    alter_handle_keeps_every_login(
        "CREATE EXTENSION IF NOT EXISTS citext; ",
        r#"
existing_type = "varchar(20)"
sql_type = "citext"
"#,
        "citext",
    );
}

#[test]
fn widening_with_existing_sql_type_spelled_out_passes() {
    alter_handle_keeps_every_login(
        "",
        r#"
existing_sql_type = "character varying(20)"
type_ = "varchar(50)"
"#,
        "character varying(50)",
    );
}

// ---------------------------------------------------------------------------------------------
// Procedural SQL that only creates

#[test]
fn idempotent_do_block_creating_a_table_passes() {
    let steps = [step(vec![exec(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tablename = 'audit_log') \
         THEN CREATE TABLE audit_log (id integer PRIMARY KEY, entry text); END IF; END $$",
    )])];
    let pg = Pg::run(PG_USERS, &steps);
    assert!(pg.db.has_table("audit_log"));
    pg.users_intact();
}
