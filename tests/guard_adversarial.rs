//! Acceptance tests for the rebuilt destructive-operation guard: attempts to destroy data
//! without (full) confirmation. Each attempt applies a setup revision that creates tables and
//! rows, then runs an attacking revision with `rmig upgrade head` and expects: exit 3 (blocked;
//! 2 where the input itself is refused), every row and value as it was, the version row still
//! the setup revision, nothing of the attacking revision left behind (its first operation
//! creates `attack_marker`), and a report naming the attacking revision and what would be lost.
//!
//! Grouped by root cause: 1. a WHERE counted as targeted; 2. side effects of parseable
//! statements; 3. dialect differences; 4. CASCADE; 5. SQL fragments in typed operations;
//! 6. type changes; 7. SQLite rebuilds and inserts; 8. allowances; 9. row counts; 10. sequences;
//! then run modes (`--one-transaction`, `transactional = false`, `--sql`, `check --lint`).

mod common;

use common::guard::{
    exec, op, revision, setup_file, write_revisions, Harness, Lite, Pg, PG_USERS, SETUP,
    SQLITE_USERS,
};
use common::Project;

const ATTACK: &str = "a77ac0000002";

const MARKER: &str = "CREATE TABLE attack_marker (x integer)";

// ---------------------------------------------------------------------------------------------
// Revision text

/// An `execute` whose `confirm_data_loss` covers only what it names.
fn exec_confirmed(sql: &str, confirm: &str) -> String {
    format!("op = \"execute\"\nsqltext = '''{sql}'''\nconfirm_data_loss = \"{confirm}\"\n")
}

fn files(setup_sql: &str, header: &str, attack: &[String]) -> Vec<(String, String)> {
    let mut ops = vec![exec(MARKER)];
    ops.extend_from_slice(attack);
    vec![
        setup_file(setup_sql),
        (
            format!("{ATTACK}_attack.toml"),
            revision(ATTACK, Some(SETUP), header, &ops),
        ),
    ]
}

/// Applies the setup revision, then adds the attacking one: a revision refused as bad input
/// (exit 2) must not stop the setup from running.
fn set_up(project: &Project, files: &[(String, String)]) {
    let (setup, attack) = files.split_at(1);
    write_revisions(project, setup);
    project.ok(&["upgrade", SETUP]);
    write_revisions(project, attack);
}

fn assert_mentions(stderr: &str, names: &[&str]) {
    assert!(
        stderr.contains(ATTACK),
        "the report does not name the attacking revision {ATTACK}:\n{stderr}"
    );
    for name in names {
        assert!(
            stderr.contains(name),
            "the report does not name `{name}`:\n{stderr}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Attacks, on either backend

/// A backend under attack: what is per backend is whether the database is still at the setup
/// revision; setting up, blocking and refusing are the same on both.
trait Attacked: Harness {
    /// The version row is the setup revision and no operation of the attack ran.
    fn still_at_setup(&self);

    fn new(setup_sql: &str, attack: &[String]) -> Self {
        Self::with_header(setup_sql, "", attack)
    }

    fn with_header(setup_sql: &str, header: &str, attack: &[String]) -> Self {
        let harness = Self::empty();
        set_up(harness.project(), &files(setup_sql, header, attack));
        harness
    }

    /// The standard `users` table attacked by one `execute` of `attack`: blocked, every row
    /// kept, the report naming `users`.
    fn users_attack_blocked(attack: &str) -> Self {
        let harness = Self::new(Self::USERS_SETUP, &[exec(attack)]);
        harness.blocked(&[], &["users"], Self::users_intact);
        harness
    }

    /// The standard `users` table attacked by one typed operation, `keys`: refused or blocked,
    /// every row kept.
    fn users_fragment_refused(keys: &str) -> Self {
        let harness = Self::new(Self::USERS_SETUP, &[op(keys)]);
        harness.refused(Self::users_intact);
        harness
    }

    /// Runs `upgrade head` plus `args`; checks the data with `intact` first (so that a run that
    /// destroyed data fails on the data), then that the guard blocked it (exit 3), that nothing
    /// of the attack ran, and that the report names the revision and `names`.
    fn blocked(&self, args: &[&str], names: &[&str], intact: impl Fn(&Self)) -> String {
        let mut all = vec!["upgrade", "head"];
        all.extend_from_slice(args);
        let output = self.project().run(&all);
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        intact(self);
        assert_eq!(
            output.status.code(),
            Some(3),
            "expected the guard to block (exit 3); stdout:\n{}\nstderr:\n{stderr}",
            String::from_utf8_lossy(&output.stdout)
        );
        self.still_at_setup();
        assert_mentions(&stderr, names);
        stderr
    }

    /// A fragment attack: refused as bad input (2) or blocked (3), nothing run.
    fn refused(&self, intact: impl Fn(&Self)) -> String {
        let output = self.project().run(&["upgrade", "head"]);
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        intact(self);
        let code = output.status.code().unwrap_or(-1);
        assert!(
            code == 2 || code == 3,
            "expected exit 2 or 3, got {code}; stderr:\n{stderr}"
        );
        self.still_at_setup();
        assert!(stderr.contains(ATTACK), "{stderr}");
        stderr
    }
}

impl Attacked for Pg {
    fn still_at_setup(&self) {
        assert_eq!(
            self.db
                .strings("SELECT version_num::text FROM alembic_version"),
            vec![SETUP]
        );
        assert!(
            !self.db.has_table("public.attack_marker"),
            "an operation of the blocked revision ran"
        );
    }
}

impl Attacked for Lite {
    fn still_at_setup(&self) {
        assert_eq!(
            self.rows("SELECT version_num FROM alembic_version"),
            vec![SETUP]
        );
        assert_eq!(
            self.rows("SELECT count(*) FROM sqlite_master WHERE name = 'attack_marker'"),
            vec!["0"],
            "an operation of the blocked revision ran"
        );
    }
}

// =============================================================================================
// 1. Any WHERE counted as targeted

#[test]
fn delete_where_true_is_blocked_postgres() {
    Pg::users_attack_blocked("DELETE FROM users WHERE true");
}

#[test]
fn delete_where_true_is_blocked_sqlite() {
    Lite::users_attack_blocked("DELETE FROM users WHERE true");
}

#[test]
fn delete_where_one_equals_one_is_blocked_postgres() {
    Pg::users_attack_blocked("DELETE FROM users WHERE 1 = 1");
}

#[test]
fn delete_where_one_equals_one_is_blocked_sqlite() {
    Lite::users_attack_blocked("DELETE FROM users WHERE 1 = 1");
}

#[test]
fn delete_where_id_positive_is_blocked_postgres() {
    Pg::users_attack_blocked("DELETE FROM users WHERE id > 0");
}

#[test]
fn delete_where_id_positive_is_blocked_sqlite() {
    Lite::users_attack_blocked("DELETE FROM users WHERE id > 0");
}

#[test]
fn delete_where_email_is_not_null_is_blocked_postgres() {
    Pg::users_attack_blocked("DELETE FROM users WHERE email IS NOT NULL");
}

#[test]
fn delete_where_id_in_own_select_is_blocked_sqlite() {
    Lite::users_attack_blocked("DELETE FROM users WHERE id IN (SELECT id FROM users)");
}

#[test]
fn update_set_null_where_one_equals_one_is_blocked_postgres() {
    Pg::users_attack_blocked("UPDATE users SET email = NULL WHERE 1 = 1");
}

#[test]
fn update_set_null_where_one_equals_one_is_blocked_sqlite() {
    Lite::users_attack_blocked("UPDATE users SET email = NULL WHERE 1 = 1");
}

#[test]
fn cte_delete_where_true_is_blocked_postgres() {
    Pg::users_attack_blocked(
        "WITH d AS (DELETE FROM users WHERE true RETURNING *) SELECT count(*) FROM d",
    );
}

// =============================================================================================
// 2. Side effects in parseable statements

#[test]
fn merge_when_matched_delete_is_blocked_postgres() {
    Pg::users_attack_blocked(
        "MERGE INTO users u USING users s ON u.id = s.id WHEN MATCHED THEN DELETE",
    );
}

#[test]
fn insert_on_conflict_do_update_is_blocked_postgres() {
    Pg::users_attack_blocked(
        "INSERT INTO users (id, email) VALUES (1, 'mallory@example.com'), (2, 'mallory@example.com') \
         ON CONFLICT (id) DO UPDATE SET email = excluded.email",
    );
}

#[test]
fn insert_on_conflict_do_update_is_blocked_sqlite() {
    Lite::users_attack_blocked(
        "INSERT INTO users (id, email) VALUES (1, 'mallory@example.com') \
         ON CONFLICT (id) DO UPDATE SET email = excluded.email",
    );
}

#[test]
fn insert_or_replace_is_blocked_sqlite() {
    Lite::users_attack_blocked(
        "INSERT OR REPLACE INTO users (id, email) VALUES (1, 'mallory@example.com')",
    );
}

#[test]
fn replace_into_is_blocked_sqlite() {
    Lite::users_attack_blocked("REPLACE INTO users (id, email) VALUES (2, 'mallory@example.com')");
}

#[test]
fn update_or_replace_is_blocked_sqlite() {
    // Moving row 2 onto id 1 deletes row 1.
    Lite::users_attack_blocked("UPDATE OR REPLACE users SET id = 1 WHERE id = 2");
}

#[test]
fn explain_analyze_delete_is_blocked_postgres() {
    Pg::users_attack_blocked("EXPLAIN ANALYZE DELETE FROM users");
}

#[test]
fn prepare_then_execute_delete_is_blocked_postgres() {
    Pg::users_attack_blocked("PREPARE wipe AS DELETE FROM users; EXECUTE wipe");
}

#[test]
fn plpgsql_function_created_then_called_is_blocked_postgres() {
    let pg = Pg::users_attack_blocked(
        "CREATE FUNCTION wipe() RETURNS void LANGUAGE plpgsql AS $$ BEGIN DELETE FROM users; END $$; \
         SELECT wipe()",
    );
    assert_eq!(
        pg.count("SELECT count(*) FROM pg_proc WHERE proname = 'wipe'"),
        0
    );
}

#[test]
fn trigger_fired_by_a_later_insert_is_blocked_postgres() {
    let pg = Pg::new(
        PG_USERS,
        &[
            exec(
                "CREATE FUNCTION keep_newest() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN DELETE FROM users WHERE id <> NEW.id; RETURN NEW; END $$; \
                 CREATE TRIGGER keep_newest AFTER INSERT ON users FOR EACH ROW EXECUTE FUNCTION keep_newest()",
            ),
            exec("INSERT INTO users (email) VALUES ('mallory@example.com')"),
        ],
    );
    pg.blocked(&[], &["users"], |pg| pg.users_intact());
    assert_eq!(
        pg.count("SELECT count(*) FROM pg_trigger WHERE tgname = 'keep_newest'"),
        0
    );
    assert_eq!(
        pg.count("SELECT count(*) FROM pg_proc WHERE proname = 'keep_newest'"),
        0
    );
}

#[test]
fn rule_do_instead_delete_is_blocked_postgres() {
    let pg = Pg::users_attack_blocked(
        "CREATE RULE swallow AS ON INSERT TO users DO INSTEAD DELETE FROM users; \
         INSERT INTO users (email) VALUES ('mallory@example.com')",
    );
    assert_eq!(
        pg.count("SELECT count(*) FROM pg_rules WHERE rulename = 'swallow'"),
        0
    );
}

#[test]
fn trigger_fired_by_a_later_insert_is_blocked_sqlite() {
    let lite = Lite::new(
        SQLITE_USERS,
        &[
            exec(
                "CREATE TRIGGER keep_newest AFTER INSERT ON users \
                 BEGIN DELETE FROM users WHERE id <> new.id; END",
            ),
            exec("INSERT INTO users (id, email) VALUES (9, 'mallory@example.com')"),
        ],
    );
    lite.blocked(&[], &["users"], |lite| lite.users_intact());
    assert_eq!(
        lite.rows("SELECT count(*) FROM sqlite_master WHERE name = 'keep_newest'"),
        vec!["0"]
    );
}

#[test]
fn writable_schema_deleting_the_table_is_blocked_sqlite() {
    Lite::users_attack_blocked(
        "PRAGMA writable_schema = ON; DELETE FROM sqlite_master WHERE name = 'users'; \
         PRAGMA writable_schema = OFF",
    );
}

#[test]
fn lo_unlink_of_a_referenced_large_object_is_blocked_postgres() {
    let pg = Pg::new(
        "CREATE TABLE documents (id integer PRIMARY KEY, body oid); \
         INSERT INTO documents VALUES (1, lo_from_bytea(0, 'contract text'::bytea));",
        &[exec("SELECT lo_unlink(body) FROM documents")],
    );
    pg.blocked(&[], &["documents"], |pg| {
        assert_eq!(
            pg.rows("SELECT convert_from(lo_get(body), 'UTF8') FROM documents"),
            vec!["contract text"]
        );
    });
}

#[test]
fn do_block_delete_is_blocked_postgres() {
    Pg::users_attack_blocked("DO $$ BEGIN DELETE FROM users; END $$");
}

// =============================================================================================
// 3. Dialects: comments nest in PostgreSQL, not in SQLite

#[test]
fn drop_table_hidden_by_nested_comments_is_blocked_postgres() {
    // PostgreSQL: the comment closes at the second `*/`, so the DROP runs.
    // SQLite: the comment closes at the first `*/`, and `--` hides the rest of the line.
    Pg::users_attack_blocked("/* /* */ -- */ DROP TABLE users;");
}

#[test]
fn drop_table_hidden_by_nested_comments_is_blocked_sqlite() {
    // SQLite: the comment closes at the first `*/`, so the DROP runs.
    // PostgreSQL: still inside the nested comment, then `-- */` is inside it too.
    Lite::users_attack_blocked("/* /* */ DROP TABLE users; -- */");
}

// =============================================================================================
// 4. CASCADE

#[test]
fn drop_view_cascade_drops_a_row_type_column_postgres() {
    let pg = Pg::new(
        &format!(
            "{PG_USERS} CREATE VIEW user_view AS SELECT id, email FROM users; \
             CREATE TABLE snapshots (id integer PRIMARY KEY, snap user_view); \
             INSERT INTO snapshots VALUES (1, ROW(1, 'ada@example.com')::user_view), (2, ROW(2, 'grace@example.com')::user_view);"
        ),
        &[exec("DROP VIEW user_view CASCADE")],
    );
    pg.blocked(&[], &["snapshots"], |pg| {
        assert_eq!(
            pg.rows("SELECT concat_ws('|', id, (snap).email) FROM snapshots ORDER BY id"),
            vec!["1|ada@example.com", "2|grace@example.com"]
        );
    });
}

#[test]
fn drop_collation_cascade_drops_a_column_postgres() {
    let pg = Pg::new(
        "CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false); \
         CREATE TABLE labels (id integer PRIMARY KEY, name text COLLATE ci); \
         INSERT INTO labels VALUES (1, 'red'), (2, 'green'), (3, 'blue');",
        &[exec("DROP COLLATION ci CASCADE")],
    );
    pg.blocked(&[], &["labels"], |pg| {
        assert_eq!(
            pg.rows("SELECT concat_ws('|', id, name) FROM labels ORDER BY id"),
            vec!["1|red", "2|green", "3|blue"]
        );
    });
}

#[test]
fn drop_function_cascade_drops_a_generated_column_postgres() {
    let pg = Pg::new(
        "CREATE FUNCTION doubled(integer) RETURNS integer IMMUTABLE LANGUAGE sql AS 'SELECT $1 * 2'; \
         CREATE TABLE scores (id integer PRIMARY KEY, points integer, bonus integer GENERATED ALWAYS AS (doubled(points)) STORED); \
         INSERT INTO scores (id, points) VALUES (1, 10), (2, 20), (3, 30);",
        &[exec("DROP FUNCTION doubled(integer) CASCADE")],
    );
    pg.blocked(&[], &["scores"], |pg| {
        assert_eq!(
            pg.rows("SELECT concat_ws('|', id, points, bonus) FROM scores ORDER BY id"),
            vec!["1|10|20", "2|20|40", "3|30|60"]
        );
    });
}

#[test]
fn truncate_cascade_confirmed_for_parent_only_is_blocked_postgres() {
    let pg = Pg::new(
        "CREATE TABLE parent (id integer PRIMARY KEY, name text); \
         CREATE TABLE child (id integer PRIMARY KEY, parent_id integer REFERENCES parent (id), note text); \
         INSERT INTO parent VALUES (1, 'p1'), (2, 'p2'); \
         INSERT INTO child VALUES (10, 1, 'c10'), (11, 2, 'c11'), (12, 1, 'c12');",
        &[exec_confirmed("TRUNCATE parent CASCADE", "parent")],
    );
    pg.blocked(&[], &["child"], |pg| {
        assert_eq!(
            pg.rows("SELECT concat_ws('|', id, parent_id, note) FROM child ORDER BY id"),
            vec!["10|1|c10", "11|2|c11", "12|1|c12"]
        );
    });
    assert_eq!(
        pg.rows("SELECT concat_ws('|', id, name) FROM parent ORDER BY id"),
        vec!["1|p1", "2|p2"]
    );
}

#[test]
fn drop_table_cascade_confirmed_for_the_table_only_is_blocked_postgres() {
    // `holder.val` is of the composite type `a`: DROP TABLE a CASCADE drops that column too.
    let pg = Pg::new(
        "CREATE TABLE a (id integer, name text); INSERT INTO a VALUES (1, 'x'); \
         CREATE TABLE holder (id integer PRIMARY KEY, val a); \
         INSERT INTO holder VALUES (1, ROW(1, 'x')::a), (2, ROW(2, 'y')::a);",
        &[exec_confirmed("DROP TABLE a CASCADE", "a")],
    );
    pg.blocked(&[], &["holder"], |pg| {
        assert_eq!(
            pg.rows("SELECT concat_ws('|', id, (val).name) FROM holder ORDER BY id"),
            vec!["1|x", "2|y"]
        );
    });
    assert_eq!(pg.count("SELECT count(*) FROM a"), 1);
}

#[test]
fn drop_type_cascade_is_blocked_postgres() {
    let pg = Pg::new(
        "CREATE TYPE mood AS ENUM ('happy', 'sad'); \
         CREATE TABLE diary (id integer PRIMARY KEY, feeling mood); \
         INSERT INTO diary VALUES (1, 'happy'), (2, 'sad');",
        &[exec("DROP TYPE mood CASCADE")],
    );
    pg.blocked(&[], &["diary"], |pg| {
        assert_eq!(
            pg.rows("SELECT concat_ws('|', id, feeling) FROM diary ORDER BY id"),
            vec!["1|happy", "2|sad"]
        );
    });
}

#[test]
fn drop_domain_cascade_is_blocked_postgres() {
    let pg = Pg::new(
        "CREATE DOMAIN email_address AS text; \
         CREATE TABLE contacts (id integer PRIMARY KEY, address email_address); \
         INSERT INTO contacts VALUES (1, 'ada@example.com'), (2, 'grace@example.com');",
        &[exec("DROP DOMAIN email_address CASCADE")],
    );
    pg.blocked(&[], &["contacts"], |pg| {
        assert_eq!(
            pg.rows("SELECT concat_ws('|', id, address) FROM contacts ORDER BY id"),
            vec!["1|ada@example.com", "2|grace@example.com"]
        );
    });
}

#[test]
fn drop_extension_cascade_is_blocked_postgres() {
    let pg = Pg::new(
        "CREATE EXTENSION citext; \
         CREATE TABLE logins (id integer PRIMARY KEY, handle citext); \
         INSERT INTO logins VALUES (1, 'Ada'), (2, 'Grace');",
        &[exec("DROP EXTENSION citext CASCADE")],
    );
    pg.blocked(&[], &["logins"], |pg| {
        assert_eq!(
            pg.rows("SELECT concat_ws('|', id, handle) FROM logins ORDER BY id"),
            vec!["1|Ada", "2|Grace"]
        );
    });
}

#[test]
fn drop_schema_cascade_is_blocked_postgres() {
    let pg = Pg::new(
        "CREATE SCHEMA s; CREATE TABLE s.items (id integer PRIMARY KEY, name text); \
         INSERT INTO s.items VALUES (1, 'hammer'), (2, 'saw'), (3, 'drill');",
        &[exec("DROP SCHEMA s CASCADE")],
    );
    pg.blocked(&[], &["items"], |pg| {
        assert_eq!(
            pg.rows("SELECT concat_ws('|', id, name) FROM s.items ORDER BY id"),
            vec!["1|hammer", "2|saw", "3|drill"]
        );
    });
}

// =============================================================================================
// 5. SQL fragments in typed operations: refused as bad input (2) or blocked (3)

#[test]
fn server_default_injection_is_refused_postgres() {
    Pg::users_fragment_refused(
        r#"
op = "add_column"
table_name = "users"
column = { name = "score", type = "integer", server_default = "0; DELETE FROM users" }
"#,
    );
}

#[test]
fn check_condition_injection_is_refused_postgres() {
    Pg::users_fragment_refused(
        r#"
op = "create_check_constraint"
constraint_name = "ck_users_email"
table_name = "users"
condition = "true); DELETE FROM users; --"
"#,
    );
}

#[test]
fn index_where_injection_is_refused_postgres() {
    Pg::users_fragment_refused(
        r#"
op = "create_index"
index_name = "ix_users_email"
table_name = "users"
columns = ["email"]
where = "true; DELETE FROM users; --"
"#,
    );
}

#[test]
fn index_where_injection_is_refused_sqlite() {
    Lite::users_fragment_refused(
        r#"
op = "create_index"
index_name = "ix_users_email"
table_name = "users"
columns = ["email"]
where = "true; DELETE FROM users; --"
"#,
    );
}

#[test]
fn sql_type_injection_is_refused_postgres() {
    Pg::users_fragment_refused(
        r#"
op = "add_column"
table_name = "users"
column = { name = "score", sql_type = "integer; DELETE FROM users" }
"#,
    );
}

#[test]
fn sql_type_injection_is_refused_sqlite() {
    Lite::users_fragment_refused(
        r#"
op = "add_column"
table_name = "users"
column = { name = "score", sql_type = "integer; DELETE FROM users" }
"#,
    );
}

#[test]
fn postgresql_using_zero_on_a_widening_is_refused_postgres() {
    let pg = Pg::new(
        "CREATE TABLE accounts (id integer PRIMARY KEY, balance integer); \
         INSERT INTO accounts VALUES (1, 100), (2, 250), (3, -40);",
        &[op(r#"
op = "alter_column"
table_name = "accounts"
column_name = "balance"
existing_type = "integer"
type_ = "bigint"
postgresql_using = "0"
"#)],
    );
    pg.refused(|pg| {
        assert_eq!(
            pg.rows("SELECT concat_ws('|', id, balance) FROM accounts ORDER BY id"),
            vec!["1|100", "2|250", "3|-40"]
        );
    });
}

// =============================================================================================
// 6. Type changes

const PG_PRICES: &str = "CREATE TABLE prices (id integer PRIMARY KEY, amount numeric(10,2)); \
     INSERT INTO prices VALUES (1, 12.34), (2, 0.99), (3, 100.50);";

fn prices_intact(pg: &Pg) {
    assert_eq!(
        pg.rows("SELECT concat_ws('|', id, amount) FROM prices ORDER BY id"),
        vec!["1|12.34", "2|0.99", "3|100.50"]
    );
}

#[test]
fn existing_type_lie_numeric_to_bigint_is_blocked_postgres() {
    // Declared `integer`, really numeric(10,2): the "widening" to bigint rounds the cents away.
    let pg = Pg::new(
        PG_PRICES,
        &[op(r#"
op = "alter_column"
table_name = "prices"
column_name = "amount"
existing_type = "integer"
type_ = "bigint"
"#)],
    );
    // The declared type is refused before the change runs, naming both types.
    let stderr = pg.refused(prices_intact);
    assert!(
        stderr.contains("its existing_type is integer, but prices.amount is numeric(10,2)"),
        "{stderr}"
    );
}

#[test]
fn existing_type_lie_numeric_to_integer_is_blocked_postgres() {
    let pg = Pg::new(
        PG_PRICES,
        &[op(r#"
op = "alter_column"
table_name = "prices"
column_name = "amount"
existing_type = "integer"
type_ = "integer"
"#)],
    );
    // The declared type is refused before the change runs, naming both types.
    let stderr = pg.refused(prices_intact);
    assert!(
        stderr.contains("its existing_type is integer, but prices.amount is numeric(10,2)"),
        "{stderr}"
    );
}

#[test]
fn integer_to_double_above_two_to_the_53_is_blocked_sqlite() {
    let lite = Lite::new(
        "CREATE TABLE counters (id integer PRIMARY KEY, hits integer); \
         INSERT INTO counters VALUES (1, 9007199254740993), (2, 5);",
        &[op(r#"
op = "alter_column"
table_name = "counters"
column_name = "hits"
existing_type = "integer"
type_ = "double"
"#)],
    );
    lite.blocked(&[], &["counters.hits"], |lite| {
        assert_eq!(
            lite.rows("SELECT id, hits FROM counters ORDER BY id"),
            vec!["1|9007199254740993", "2|5"]
        );
    });
}

#[test]
fn double_to_text_with_17_significant_digits_is_blocked_sqlite() {
    let lite = Lite::new(
        "CREATE TABLE readings (id integer PRIMARY KEY, value double); \
         INSERT INTO readings VALUES (1, 0.30000000000000004), (2, 2.5);",
        &[op(r#"
op = "alter_column"
table_name = "readings"
column_name = "value"
existing_type = "double"
type_ = "text"
"#)],
    );
    lite.blocked(&[], &["readings.value"], |lite| {
        assert_eq!(
            lite.rows("SELECT id, value FROM readings ORDER BY id"),
            vec!["1|0.30000000000000004", "2|2.5"]
        );
    });
}

#[test]
fn raw_varchar_shortening_using_left_is_blocked_postgres() {
    let pg = Pg::new(
        "CREATE TABLE handles (id integer PRIMARY KEY, handle varchar(20)); \
         INSERT INTO handles VALUES (1, 'adalovelace'), (2, 'grace'), (3, 'edsgerdijkstra');",
        &[exec(
            "ALTER TABLE handles ALTER COLUMN handle TYPE varchar(5) USING left(handle, 5)",
        )],
    );
    pg.blocked(&[], &["handles.handle"], |pg| {
        assert_eq!(
            pg.rows("SELECT handle FROM handles ORDER BY id"),
            vec!["adalovelace", "grace", "edsgerdijkstra"]
        );
    });
}

// =============================================================================================
// 7. SQLite rebuilds and inserts

const SQLITE_NOTES: &str = "CREATE TABLE notes (body text, n integer); \
     INSERT INTO notes VALUES ('a', 1), ('b', 2), ('c', 3), ('d', 4), ('e', 5); \
     DELETE FROM notes WHERE n IN (2, 4);";

/// Expected to succeed: a rebuild keeps the rowids of a table without INTEGER PRIMARY KEY.
fn rebuild_keeps_rowids(rebuild: &str) {
    let lite = Lite::new(SQLITE_NOTES, &[op(rebuild)]);
    assert_eq!(
        lite.rows("SELECT rowid, body, n FROM notes ORDER BY rowid"),
        vec!["1|a|1", "3|c|3", "5|e|5"]
    );
    lite.project.ok(&["upgrade", "head"]);
    assert_eq!(
        lite.rows("SELECT rowid, body, n FROM notes ORDER BY rowid"),
        vec!["1|a|1", "3|c|3", "5|e|5"],
        "the rebuild renumbered the rowids"
    );
}

#[test]
fn rebuild_by_alter_column_keeps_gapped_rowids_sqlite() {
    rebuild_keeps_rowids(
        r#"
op = "alter_column"
table_name = "notes"
column_name = "n"
existing_type = "integer"
nullable = false
"#,
    );
}

#[test]
fn rebuild_by_check_constraint_keeps_gapped_rowids_sqlite() {
    rebuild_keeps_rowids(
        r#"
op = "create_check_constraint"
constraint_name = "ck_notes_n"
table_name = "notes"
condition = "n > 0"
"#,
    );
}

#[test]
fn bulk_insert_into_on_conflict_replace_keeps_the_old_row_sqlite() {
    let lite = Lite::new(
        "CREATE TABLE settings (id INTEGER PRIMARY KEY ON CONFLICT REPLACE, value text); \
         INSERT INTO settings VALUES (1, 'keep'), (2, 'also keep');",
        &[op(r#"
op = "bulk_insert"
table_name = "settings"
rows = [ { id = 1, value = "overwritten" } ]
"#)],
    );
    let output = lite.project.run(&["upgrade", "head"]);
    assert_eq!(
        lite.rows("SELECT id, value FROM settings ORDER BY id"),
        vec!["1|keep", "2|also keep"]
    );
    assert!(
        !output.status.success(),
        "the insert replaced an existing row: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    lite.still_at_setup();
}

#[test]
fn create_primary_key_on_a_column_with_nulls_keeps_them_sqlite() {
    let lite = Lite::new(
        "CREATE TABLE tags (id integer, name text); \
         INSERT INTO tags VALUES (NULL, 'a'), (5, 'b'), (NULL, 'c');",
        &[op(r#"
op = "create_primary_key"
constraint_name = "pk_tags"
table_name = "tags"
columns = ["id"]
"#)],
    );
    let output = lite.project.run(&["upgrade", "head"]);
    assert_eq!(
        lite.rows("SELECT id, name FROM tags ORDER BY name"),
        vec!["NULL|a", "5|b", "NULL|c"]
    );
    assert!(
        !output.status.success(),
        "the primary key was created over NULLs: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    lite.still_at_setup();
}

// =============================================================================================
// 8. Allowances name one kind of object

const PG_USERS_AND_SCHEMA_USERS: &str = "CREATE TABLE users (id serial PRIMARY KEY, email text); \
     INSERT INTO users (email) VALUES ('ada@example.com'), ('grace@example.com'), ('edsger@example.com'); \
     CREATE SCHEMA users; CREATE TABLE users.accounts (id integer PRIMARY KEY, name text); \
     INSERT INTO users.accounts VALUES (1, 'checking'), (2, 'savings');";

fn accounts_intact(pg: &Pg) {
    assert_eq!(
        pg.rows("SELECT concat_ws('|', id, name) FROM users.accounts ORDER BY id"),
        vec!["1|checking", "2|savings"]
    );
}

/// Exit 3, or 2 for an ambiguous allowance; nothing run.
fn not_allowed(pg: &Pg, allowance: &str, names: &[&str], intact: impl Fn(&Pg)) {
    let output = pg.project.run(&["upgrade", "head", allowance]);
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    intact(pg);
    let code = output.status.code().unwrap_or(-1);
    assert!(
        code == 3 || code == 2,
        "{allowance} let it run (exit {code}); stderr:\n{stderr}"
    );
    pg.still_at_setup();
    if code == 3 {
        assert_mentions(&stderr, names);
    }
}

#[test]
fn allowance_for_table_users_does_not_allow_drop_schema_users_postgres() {
    let pg = Pg::new(
        PG_USERS_AND_SCHEMA_USERS,
        &[exec("DROP SCHEMA users CASCADE")],
    );
    not_allowed(&pg, "--allow-data-loss=users", &["accounts"], |pg| {
        accounts_intact(pg);
        pg.users_intact();
    });
}

#[test]
fn allowance_for_table_prefix_does_not_allow_drop_schema_users_postgres() {
    let pg = Pg::new(
        PG_USERS_AND_SCHEMA_USERS,
        &[exec("DROP SCHEMA users CASCADE")],
    );
    not_allowed(&pg, "--allow-data-loss=table:users", &["accounts"], |pg| {
        accounts_intact(pg);
        pg.users_intact();
    });
}

#[test]
fn allowance_for_sessions_does_not_allow_audit_sessions_postgres() {
    let pg = Pg::new(
        "CREATE TABLE sessions (id integer PRIMARY KEY, token text); \
         CREATE SCHEMA audit; CREATE TABLE audit.sessions (id integer PRIMARY KEY, token text); \
         INSERT INTO audit.sessions VALUES (1, 't1'), (2, 't2'), (3, 't3');",
        &[op(r#"
op = "drop_table"
table_name = "sessions"
schema = "audit"
"#)],
    );
    not_allowed(
        &pg,
        "--allow-data-loss=sessions",
        &["audit.sessions"],
        |pg| {
            assert_eq!(
                pg.rows("SELECT concat_ws('|', id, token) FROM audit.sessions ORDER BY id"),
                vec!["1|t1", "2|t2", "3|t3"]
            );
        },
    );
}

// =============================================================================================
// 9. Row counts of what is really dropped

#[test]
fn drop_after_rename_counts_the_renamed_rows_postgres() {
    let pg = Pg::new(
        "CREATE TABLE users (id integer PRIMARY KEY, email text); \
         INSERT INTO users SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 1000) g;",
        &[
            op(r#"
op = "rename_table"
old_table_name = "users"
new_table_name = "people"
"#),
            op(r#"
op = "drop_table"
table_name = "people"
"#),
        ],
    );
    pg.blocked(&[], &["people", "1000 rows"], |pg| {
        assert_eq!(pg.count("SELECT count(*) FROM users"), 1000);
    });
    assert!(!pg.db.has_table("people"));
}

#[test]
fn drop_after_search_path_change_counts_the_dropped_table_postgres() {
    let pg = Pg::new(
        "CREATE SCHEMA other; \
         CREATE TABLE events (id integer); INSERT INTO events SELECT generate_series(1, 3); \
         CREATE TABLE other.events (id integer); INSERT INTO other.events SELECT generate_series(1, 7);",
        &[
            exec("SET search_path TO other"),
            op(r#"
op = "drop_table"
table_name = "events"
"#),
        ],
    );
    let stderr = pg.blocked(&[], &["events", "7 rows"], |pg| {
        assert_eq!(pg.count("SELECT count(*) FROM public.events"), 3);
        assert_eq!(pg.count("SELECT count(*) FROM other.events"), 7);
    });
    assert!(
        !stderr.contains("3 rows"),
        "the count is that of public.events, which is not dropped:\n{stderr}"
    );
}

// =============================================================================================
// 10. Sequences

#[test]
fn setval_reset_is_blocked_postgres() {
    let pg = Pg::new(PG_USERS, &[exec("SELECT setval('users_id_seq', 1, false)")]);
    pg.blocked(&[], &["users_id_seq"], |pg| {
        pg.users_intact();
        assert_eq!(
            pg.rows("SELECT concat_ws('|', last_value, is_called) FROM users_id_seq"),
            vec!["3|t"]
        );
    });
}

// =============================================================================================
// Run modes

#[test]
fn delete_where_true_is_blocked_with_one_transaction_postgres() {
    let pg = Pg::new(PG_USERS, &[exec("DELETE FROM users WHERE true")]);
    pg.blocked(&["--one-transaction"], &["users"], |pg| pg.users_intact());
}

#[test]
fn delete_where_true_is_blocked_in_a_non_transactional_revision_postgres() {
    let pg = Pg::with_header(
        PG_USERS,
        "transactional = false\n",
        &[exec("DELETE FROM users WHERE 1 = 1")],
    );
    pg.blocked(&[], &["users"], |pg| pg.users_intact());
}

#[test]
fn replace_into_is_blocked_in_a_non_transactional_revision_sqlite() {
    let lite = Lite::with_header(
        SQLITE_USERS,
        "transactional = false\n",
        &[exec(
            "REPLACE INTO users (id, email) VALUES (3, 'mallory@example.com')",
        )],
    );
    lite.blocked(&[], &["users"], |lite| lite.users_intact());
}

#[test]
fn delete_where_true_offline_prints_no_script_postgres() {
    let pg = Pg::new(PG_USERS, &[exec("DELETE FROM users WHERE true")]);
    let output = pg
        .project
        .run(&["upgrade", &format!("{SETUP}:head"), "--sql"]);
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(
        output.status.code(),
        Some(3),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        !stdout.contains("DELETE") && !stdout.contains("attack_marker"),
        "a blocked plan's script was printed:\n{stdout}"
    );
    assert_mentions(&stderr, &["users"]);
    pg.still_at_setup();
    pg.users_intact();
}

#[test]
fn delete_where_true_fails_lint_naming_the_revision() {
    let lite = Lite::new(SQLITE_USERS, &[exec("DELETE FROM users WHERE true")]);
    let output = lite.project.run(&["check", "--lint"]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!output.status.success(), "lint passed:\n{text}");
    assert!(text.contains(ATTACK), "{text}");
    lite.still_at_setup();
    lite.users_intact();
}

#[test]
fn merge_delete_fails_lint_naming_the_revision() {
    let pg = Pg::new(
        PG_USERS,
        &[exec(
            "MERGE INTO users u USING users s ON u.id = s.id WHEN MATCHED THEN DELETE",
        )],
    );
    let output = pg.project.run(&["check", "--lint"]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!output.status.success(), "lint passed:\n{text}");
    assert!(text.contains(ATTACK), "{text}");
    pg.users_intact();
}

// =============================================================================================
// Found by a red-team pass over the two layers

/// A deferred constraint trigger runs at COMMIT, after the last look: it is run before it.
#[test]
fn deferred_constraint_trigger_is_blocked_postgres() {
    let setup = format!(
        "{PG_USERS} CREATE TABLE log (x int); \
         CREATE FUNCTION wipe() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN DELETE FROM users; RETURN NULL; END$$; \
         CREATE CONSTRAINT TRIGGER t AFTER INSERT ON log DEFERRABLE INITIALLY DEFERRED \
         FOR EACH ROW EXECUTE FUNCTION wipe();"
    );
    let pg = Pg::new(&setup, &[exec("INSERT INTO log VALUES (1)")]);
    pg.blocked(&[], &["users"], |pg| pg.users_intact());
}

/// An event trigger runs around every DDL statement, a typed create included: with one in
/// the database every operation is watched.
#[test]
fn event_trigger_fired_by_a_create_table_is_blocked_postgres() {
    let setup = format!(
        "{PG_USERS} CREATE FUNCTION wipe() RETURNS event_trigger LANGUAGE plpgsql AS $$BEGIN DELETE FROM users; END$$; \
         CREATE EVENT TRIGGER et ON ddl_command_end EXECUTE FUNCTION wipe();"
    );
    let pg = Pg::new(
        &setup,
        &[op(r#"
op = "create_table"
table_name = "newt"
columns = [ { name = "id", type = "integer" } ]
"#)],
    );
    pg.blocked(&[], &["users"], |pg| pg.users_intact());
    pg.db
        .client()
        .batch_execute("DROP EVENT TRIGGER et")
        .unwrap();
}

#[test]
fn enum_value_rename_is_blocked_postgres() {
    let setup = "CREATE TYPE mood AS ENUM ('happy', 'sad'); CREATE TABLE diary (id int, m mood); \
                 INSERT INTO diary VALUES (1, 'happy'), (2, 'sad');";
    let pg = Pg::new(
        setup,
        &[exec("ALTER TYPE mood RENAME VALUE 'happy' TO 'glad'")],
    );
    pg.blocked(&[], &["RENAME VALUE"], |pg| {
        assert_eq!(
            pg.rows("SELECT m::text FROM diary ORDER BY id"),
            vec!["happy", "sad"]
        );
    });
}

#[test]
fn catalog_edit_is_blocked_postgres() {
    let setup = "CREATE TYPE mood AS ENUM ('happy', 'sad'); CREATE TABLE diary (id int, m mood); \
                 INSERT INTO diary VALUES (1, 'happy');";
    let pg = Pg::new(
        setup,
        &[exec(
            "UPDATE pg_enum SET enumlabel = 'zzz' WHERE enumlabel = 'happy'",
        )],
    );
    pg.blocked(&[], &["pg_enum"], |pg| {
        assert_eq!(pg.rows("SELECT m::text FROM diary"), vec!["happy"]);
    });
}

#[test]
fn large_object_overwrite_is_blocked_postgres() {
    let setup = "CREATE TABLE documents (id int, body oid); \
                 INSERT INTO documents VALUES (1, lo_from_bytea(0, 'contract text'::bytea));";
    let pg = Pg::new(
        setup,
        &[exec(
            "SELECT lo_put(body, 0, 'XXXXXXXX'::bytea) FROM documents",
        )],
    );
    pg.blocked(&[], &["documents"], |pg| {
        assert_eq!(
            pg.rows("SELECT convert_from(lo_get(body), 'UTF8') FROM documents"),
            vec!["contract text"]
        );
    });
}

#[test]
fn copy_to_program_is_blocked_postgres() {
    let pg = Pg::new(PG_USERS, &[exec("COPY (SELECT 1) TO PROGRAM 'true'")]);
    pg.blocked(&[], &["COPY"], |pg| pg.users_intact());
}

/// A sequence reset inside code the parser cannot read (a `DO` block): found by its words
/// before anything runs, and by the sequence's value online.
#[test]
fn sequence_restart_inside_do_is_blocked_postgres() {
    let pg = Pg::new(
        PG_USERS,
        &[exec(
            "DO $$BEGIN ALTER SEQUENCE users_id_seq RESTART WITH 1; END$$",
        )],
    );
    pg.blocked(&[], &["restarts a sequence"], |pg| {
        pg.users_intact();
        assert_eq!(
            pg.rows("SELECT concat_ws('|', last_value, is_called) FROM users_id_seq"),
            vec!["3|t"]
        );
    });
}

/// A sequence set back by a function the guard cannot see into: seen by its value.
#[test]
fn sequence_reset_by_a_function_is_blocked_postgres() {
    let setup = format!(
        "{PG_USERS} CREATE FUNCTION reset_ids() RETURNS void LANGUAGE plpgsql AS \
         $$BEGIN EXECUTE 'ALTER SEQUENCE users_id_seq RESTART'; END$$;"
    );
    let pg = Pg::new(&setup, &[exec("SELECT reset_ids()")]);
    pg.blocked(
        &[],
        &["sequence users_id_seq: set the sequence back"],
        |pg| {
            assert_eq!(
                pg.rows("SELECT concat_ws('|', last_value, is_called) FROM users_id_seq"),
                vec!["3|t"]
            );
        },
    );
}

/// A sequence renamed, then set back by a function: seen by its value, and reported under
/// the name it has now.
#[test]
fn renamed_sequence_reset_by_a_function_is_blocked_postgres() {
    let setup = format!(
        "{PG_USERS} CREATE FUNCTION reset_ids() RETURNS void LANGUAGE plpgsql AS \
         $$BEGIN EXECUTE 'ALTER SEQUENCE members_id_seq RESTART'; END$$;"
    );
    let rename = op(r#"
op = "rename_sequence"
old_sequence_name = "users_id_seq"
new_sequence_name = "members_id_seq"
"#);
    let pg = Pg::new(&setup, &[rename, exec("SELECT reset_ids()")]);
    let stderr = pg.blocked(
        &[],
        &["sequence members_id_seq: set the sequence back"],
        |pg| {
            assert_eq!(
                pg.rows("SELECT concat_ws('|', last_value, is_called) FROM users_id_seq"),
                vec!["3|t"]
            );
        },
    );
    assert!(!stderr.contains("users_id_seq"), "{stderr}");
}

/// A backfill of a new column fires a trigger from an earlier revision that overwrites
/// another column: a table with triggers gets no backfill exemption.
#[test]
fn backfill_firing_an_older_trigger_is_blocked_postgres() {
    let setup = format!(
        "{PG_USERS} CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS \
         $$BEGIN NEW.email := 'pwned'; RETURN NEW; END$$; \
         CREATE TRIGGER t BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION f();"
    );
    let pg = Pg::new(
        &setup,
        &[
            op(r#"
op = "add_column"
table_name = "users"
column = { name = "z", type = "integer", nullable = true }
"#),
            exec("UPDATE users SET z = 1"),
        ],
    );
    pg.blocked(&[], &["users"], |pg| pg.users_intact());
}

#[test]
fn backfill_firing_an_older_trigger_is_blocked_sqlite() {
    let setup = format!(
        "{SQLITE_USERS} CREATE TRIGGER t AFTER UPDATE OF z ON users BEGIN \
         UPDATE users SET email = 'pwned' WHERE id = new.id; END;"
    );
    let setup = setup.replace(
        "CREATE TABLE users (id integer PRIMARY KEY, email text);",
        "CREATE TABLE users (id integer PRIMARY KEY, email text, z integer);",
    );
    let lite = Lite::new(&setup, &[exec("UPDATE users SET z = 1 WHERE z IS NULL")]);
    lite.blocked(&[], &["users"], |lite| lite.users_intact());
}

/// A bare confirmation names the table of the default schema, not the one a `search_path`
/// set earlier in the step points at.
#[test]
fn confirmation_does_not_follow_search_path_postgres() {
    let setup = format!(
        "{PG_USERS} CREATE SCHEMA other; CREATE TABLE other.users (id int, email text); \
         INSERT INTO other.users VALUES (1, 'x'), (2, 'y');"
    );
    let pg = Pg::new(
        &setup,
        &[
            exec("SET search_path TO other, public"),
            exec_confirmed("DELETE FROM users WHERE id > 0", "users"),
        ],
    );
    pg.blocked(&[], &["other.users"], |pg| {
        pg.users_intact();
        assert_eq!(pg.count("SELECT count(*) FROM other.users"), 2);
    });
}

#[test]
fn numeric_to_text_losing_digits_is_blocked_sqlite() {
    let lite = Lite::new(
        "CREATE TABLE n (id integer PRIMARY KEY, v numeric(30,20)); \
         INSERT INTO n VALUES (1, 0.12345678901234566);",
        &[op(r#"
op = "alter_column"
table_name = "n"
column_name = "v"
existing_type = "numeric(30,20)"
type_ = "text"
"#)],
    );
    lite.blocked(&[], &["n.v"], |lite| {
        assert_eq!(lite.rows("SELECT typeof(v) FROM n"), vec!["real"]);
    });
}

/// SQLite's update hook does not see `WITHOUT ROWID` tables: their rows are counted instead.
#[test]
fn delete_from_a_without_rowid_table_is_blocked_sqlite() {
    let setup = SQLITE_USERS.replace(
        "CREATE TABLE users (id integer PRIMARY KEY, email text);",
        "CREATE TABLE users (id integer PRIMARY KEY, email text) WITHOUT ROWID;",
    );
    let lite = Lite::new(&setup, &[exec("DELETE FROM users WHERE id > 0")]);
    lite.blocked(&[], &["users"], |lite| lite.users_intact());
}

/// A table's own `ON CONFLICT REPLACE` turns a plain INSERT into a delete the hook misses.
#[test]
fn plain_insert_into_an_on_conflict_replace_table_is_blocked_sqlite() {
    let setup = SQLITE_USERS.replace(
        "CREATE TABLE users (id integer PRIMARY KEY, email text);",
        "CREATE TABLE users (id integer PRIMARY KEY ON CONFLICT REPLACE, email text);",
    );
    let lite = Lite::new(
        &setup,
        &[exec("INSERT INTO users (id, email) VALUES (1, 'mallory')")],
    );
    lite.blocked(&[], &["users"], |lite| lite.users_intact());
}
