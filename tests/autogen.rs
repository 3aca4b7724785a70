//! `rmig revision --autogenerate` and drift in `rmig check`, against real databases: a fresh
//! PostgreSQL database per test, and SQLite files. Each test drives the built binary over a
//! project folder with a target schema file, then checks the database itself.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{Project, TestDatabase};

/// The seed's starting point: user_profiles with three rows, created by a hand-written revision.
const CREATE_PROFILES: &str = r#"revision = "1975ea83b712"
message = "create user_profiles"
downgrade = []

[[upgrade]]
op = "create_table"
table_name = "user_profiles"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "bio", type = "text", nullable = true },
]

[[upgrade]]
op = "bulk_insert"
table_name = "user_profiles"
rows = [ { id = 1, bio = "Ada" }, { id = 2, bio = "Grace" }, { id = 3, bio = "Edsger" } ]
"#;

/// The seed's target: the same table under its new name.
const MEMBER_PROFILES: &str = r#"
[[table]]
name = "member_profiles"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "bio", type = "text", nullable = true },
]
"#;

fn seeded(url: &str) -> Project {
    let project = Project::new(url, &[("1975ea83b712_create.toml", CREATE_PROFILES)]);
    project.ok(&["upgrade", "head"]);
    project
}

fn write_schema(project: &Project, text: &str) {
    std::fs::write(project.path().join("schema.toml"), text).unwrap();
}

/// Runs `revision --autogenerate`; returns what it told on stderr and the file it wrote, whose
/// path is all it prints on stdout.
fn autogenerate(project: &Project, message: &str) -> (String, String) {
    let before = revision_files(project);
    let (stdout, log) = project.streams(&["revision", "--autogenerate", "-m", message]);
    let after = revision_files(project);
    let new: Vec<&PathBuf> = after.iter().filter(|p| !before.contains(p)).collect();
    assert_eq!(new.len(), 1, "one new revision file: {stdout}{log}");
    assert_eq!(project.path().join(stdout.trim_end()), *new[0], "{stdout}");
    (log, std::fs::read_to_string(new[0]).unwrap())
}

fn revision_files(project: &Project) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(project.path().join("revisions"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
}

/// `rmig check`: its exit code and stdout.
fn check(project: &Project, args: &[&str]) -> (i32, String) {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    let output = project.run(&all);
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap()
            + &common::without_target_line(&String::from_utf8(output.stderr).unwrap()),
    )
}

fn assert_no_drift(project: &Project) {
    let (code, output) = check(project, &[]);
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("No drift"), "{output}");
    let (log, _) = autogenerate_dry(project);
    assert!(log.contains("No changes in schema detected."), "{log}");
}

/// Autogenerates a revision expected to be empty, then removes it again.
fn autogenerate_dry(project: &Project) -> (String, String) {
    let before = revision_files(project);
    let result = autogenerate(project, "nothing");
    for file in revision_files(project) {
        if !before.contains(&file) {
            std::fs::remove_file(file).unwrap();
        }
    }
    result
}

fn sqlite_strings(project: &Project, sql: &str) -> Vec<String> {
    let connection = rusqlite::Connection::open(project.sqlite_path()).unwrap();
    let mut statement = connection.prepare(sql).unwrap();
    let mut rows: Vec<String> = statement
        .query_map([], |row| row.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows.sort();
    rows
}

fn sqlite_has_table(project: &Project, table: &str) -> bool {
    !sqlite_strings(
        project,
        &format!("SELECT name FROM sqlite_schema WHERE type = 'table' AND name = '{table}'"),
    )
    .is_empty()
}

// --- the seed, end to end ---

#[test]
fn postgres_seed_rename_is_written_as_rename_table_and_keeps_every_row() {
    let db = TestDatabase::new();
    let project = seeded(&db.url);
    write_schema(&project, MEMBER_PROFILES);
    let (log, revision) = autogenerate(&project, "rename user_profiles to member_profiles");
    assert!(
        log.contains(
            "Detected renamed table user_profiles -> member_profiles (detected: same columns, names share a word)"
        ),
        "{log}"
    );
    assert!(revision.contains("op = \"rename_table\""), "{revision}");
    assert!(
        revision.contains("down_revision = \"1975ea83b712\""),
        "{revision}"
    );
    assert!(!revision.contains("drop_table"), "{revision}");
    assert!(!revision.contains("create_table"), "{revision}");

    project.ok(&["upgrade", "head"]);
    assert_eq!(
        db.strings("SELECT bio FROM member_profiles"),
        vec!["Ada", "Edsger", "Grace"]
    );
    assert!(!db.has_table("user_profiles"));
    assert_no_drift(&project);

    // The written downgrade renames it back, rows and all.
    project.ok(&["downgrade", "1975ea83b712"]);
    assert_eq!(
        db.strings("SELECT bio FROM user_profiles"),
        vec!["Ada", "Edsger", "Grace"]
    );
}

#[test]
fn sqlite_seed_rename_is_written_as_rename_table_and_keeps_every_row() {
    let project = seeded("sqlite:///test.db");
    write_schema(&project, MEMBER_PROFILES);
    let (_, revision) = autogenerate(&project, "rename");
    assert!(revision.contains("op = \"rename_table\""), "{revision}");
    assert!(!revision.contains("drop_table"), "{revision}");
    project.ok(&["upgrade", "head"]);
    assert_eq!(
        sqlite_strings(&project, "SELECT bio FROM member_profiles"),
        vec!["Ada", "Edsger", "Grace"]
    );
    assert!(!sqlite_has_table(&project, "user_profiles"));
    assert_no_drift(&project);
}

#[test]
fn postgres_renamed_from_wins_over_different_shapes() {
    let db = TestDatabase::new();
    let project = seeded(&db.url);
    write_schema(
        &project,
        r#"
[[table]]
name = "member_profiles"
renamed_from = "user_profiles"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "about", type = "text", renamed_from = "bio" },
  { name = "avatar_url", type = "text" },
  { name = "joined", type = "date" },
]
"#,
    );
    let (log, revision) = autogenerate(&project, "explicit");
    assert!(log.contains("(renamed_from)"), "{log}");
    assert!(revision.contains("op = \"rename_table\""), "{revision}");
    assert!(
        revision.contains("new_column_name = \"about\""),
        "{revision}"
    );
    project.ok(&["upgrade", "head"]);
    assert_eq!(
        db.strings("SELECT about FROM member_profiles"),
        vec!["Ada", "Edsger", "Grace"]
    );
    assert_no_drift(&project);
}

// --- renames that must not be guessed ---

#[test]
fn postgres_a_new_table_next_to_a_dropped_one_stays_drop_and_create_and_is_blocked() {
    let db = TestDatabase::new();
    let project = seeded(&db.url);
    write_schema(
        &project,
        r#"
[[table]]
name = "audit_events"
columns = [
  { name = "id", type = "bigint", primary_key = true },
  { name = "kind", type = "varchar(40)", nullable = false },
  { name = "at", type = "timestamptz", server_default = "now()" },
]
"#,
    );
    let (log, revision) = autogenerate(&project, "audit");
    assert!(
        log.contains("Detected dropped table user_profiles"),
        "{log}"
    );
    assert!(log.contains("Detected added table audit_events"), "{log}");
    assert!(!revision.contains("op = \"rename_table\""), "{revision}");
    assert!(!revision.contains("confirm_data_loss ="), "{revision}");

    let (code, stderr) = project.fails(&["upgrade", "head"]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("drop_table user_profiles"), "{stderr}");
    assert!(stderr.contains("3 rows would be lost"), "{stderr}");
    assert_eq!(db.count("SELECT count(*) FROM user_profiles"), 3);
    assert!(!db.has_table("audit_events"), "nothing of the revision ran");
}

#[test]
fn sqlite_a_new_table_next_to_a_dropped_one_stays_drop_and_create_and_is_blocked() {
    let project = seeded("sqlite:///test.db");
    write_schema(
        &project,
        "[[table]]\nname = \"audit_events\"\ncolumns = [ { name = \"id\", type = \"bigint\", primary_key = true }, { name = \"kind\", type = \"text\" }, { name = \"n\", type = \"integer\" } ]\n",
    );
    let (_, revision) = autogenerate(&project, "audit");
    assert!(revision.contains("op = \"drop_table\""), "{revision}");
    assert!(!revision.contains("op = \"rename_table\""), "{revision}");
    let (code, stderr) = project.fails(&["upgrade", "head"]);
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(
        sqlite_strings(&project, "SELECT bio FROM user_profiles"),
        vec!["Ada", "Edsger", "Grace"]
    );
}

const TWO_CANDIDATES: &str = r#"
[[table]]
name = "member_profiles"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "bio", type = "text" },
]

[[table]]
name = "people_profiles"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "bio", type = "text" },
]
"#;

#[test]
fn postgres_two_candidates_are_not_guessed_and_the_guard_blocks_them() {
    let db = TestDatabase::new();
    let project = seeded(&db.url);
    write_schema(&project, TWO_CANDIDATES);
    let (log, revision) = autogenerate(&project, "ambiguous");
    assert!(log.contains("Detected ambiguous table rename"), "{log}");
    assert!(revision.contains("# AMBIGUOUS, NOT GUESSED"), "{revision}");
    assert!(
        revision.contains("#   user_profiles -> member_profiles (same columns")
            && revision.contains("#   user_profiles -> people_profiles (same columns"),
        "{revision}"
    );
    assert!(!revision.contains("op = \"rename_table\""), "{revision}");
    let (code, stderr) = project.fails(&["upgrade", "head"]);
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(db.count("SELECT count(*) FROM user_profiles"), 3);
}

#[test]
fn sqlite_two_candidates_are_not_guessed_and_the_guard_blocks_them() {
    let project = seeded("sqlite:///test.db");
    write_schema(&project, TWO_CANDIDATES);
    let (_, revision) = autogenerate(&project, "ambiguous");
    assert!(revision.contains("# AMBIGUOUS, NOT GUESSED"), "{revision}");
    assert!(!revision.contains("op = \"rename_table\""), "{revision}");
    let (code, _) = project.fails(&["upgrade", "head"]);
    assert_eq!(code, 3);
    assert!(sqlite_has_table(&project, "user_profiles"));
}

#[test]
fn interactive_without_a_terminal_asks_nothing_and_leaves_the_ambiguity() {
    let project = seeded("sqlite:///test.db");
    write_schema(&project, TWO_CANDIDATES);
    let before = revision_files(&project);
    let output = project
        .rmig(&["revision", "--autogenerate", "--interactive", "-m", "ask"])
        .timeout(Duration::from_secs(60))
        .write_stdin("y\ny\n")
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "rmig: warning: --interactive asks only on a terminal; standard input is not one"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("Did you rename"), "{stderr}");
    // The new file, found by difference: ids are random, so it need not sort last.
    let new: Vec<PathBuf> = revision_files(&project)
        .into_iter()
        .filter(|path| !before.contains(path))
        .collect();
    assert_eq!(new.len(), 1, "{stderr}");
    let revision = std::fs::read_to_string(&new[0]).unwrap();
    assert!(revision.contains("# AMBIGUOUS, NOT GUESSED"), "{revision}");
}

// --- columns ---

const PEOPLE_V1: &str = r#"
[[table]]
name = "people"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "name", type = "varchar(50)" },
  { name = "age", type = "integer" },
  { name = "note", type = "text" },
]
"#;

fn people_project(url: &str) -> Project {
    let project = Project::new(url, &[]);
    write_schema(&project, PEOPLE_V1);
    autogenerate(&project, "people");
    project.ok(&["upgrade", "head"]);
    project
}

#[test]
fn postgres_a_column_rename_keeps_its_values() {
    let db = TestDatabase::new();
    let project = people_project(&db.url);
    db.client()
        .batch_execute("INSERT INTO people (name, age) VALUES ('Ada', 36), ('Alan', 41)")
        .unwrap();
    write_schema(&project, &PEOPLE_V1.replace("\"name\"", "\"full_name\""));
    let (log, revision) = autogenerate(&project, "rename column");
    assert!(
        log.contains("Detected renamed column people.name -> full_name"),
        "{log}"
    );
    assert!(
        revision.contains("new_column_name = \"full_name\""),
        "{revision}"
    );
    assert!(!revision.contains("drop_column"), "{revision}");
    project.ok(&["upgrade", "head"]);
    assert_eq!(
        db.strings("SELECT full_name::text FROM people"),
        vec!["Ada", "Alan"]
    );
    assert_no_drift(&project);
}

#[test]
fn sqlite_a_column_rename_keeps_its_values() {
    let project = people_project("sqlite:///test.db");
    let connection = rusqlite::Connection::open(project.sqlite_path()).unwrap();
    connection
        .execute_batch("INSERT INTO people (name, age) VALUES ('Ada', 36), ('Alan', 41)")
        .unwrap();
    write_schema(&project, &PEOPLE_V1.replace("\"name\"", "\"full_name\""));
    let (_, revision) = autogenerate(&project, "rename column");
    assert!(
        revision.contains("new_column_name = \"full_name\""),
        "{revision}"
    );
    project.ok(&["upgrade", "head"]);
    assert_eq!(
        sqlite_strings(&project, "SELECT full_name FROM people"),
        vec!["Ada", "Alan"]
    );
    assert_no_drift(&project);
}

#[test]
fn postgres_type_nullability_and_default_changes_apply_and_leave_no_drift() {
    let db = TestDatabase::new();
    let project = people_project(&db.url);
    db.client()
        .batch_execute("INSERT INTO people (name, age, note) VALUES ('Ada', 36, 'x')")
        .unwrap();
    write_schema(
        &project,
        r#"
[[table]]
name = "people"
comment = "everyone we know"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "name", type = "varchar(200)", nullable = false, server_default = "'anonymous'", comment = "as they write it" },
  { name = "age", type = "bigint" },
  { name = "note", type = "text" },
]
"#,
    );
    let (log, revision) = autogenerate(&project, "widen");
    assert!(
        log.contains("altered column people.name: type varchar(50) -> varchar(200), now NOT NULL, default 'anonymous', comment"),
        "{log}"
    );
    assert!(
        log.contains("altered column people.age: type integer -> bigint"),
        "{log}"
    );
    assert!(
        revision.contains("existing_type = \"varchar(50)\""),
        "{revision}"
    );
    project.ok(&["upgrade", "head"]);
    assert_eq!(
        db.strings("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'people'::regclass AND attname IN ('name', 'age')"),
        vec!["bigint", "character varying(200)"]
    );
    assert_no_drift(&project);

    // A narrowing change carries its old type, so the guard sees that values may not survive.
    write_schema(
        &project,
        &std::fs::read_to_string(project.path().join("schema.toml"))
            .unwrap()
            .replace("varchar(200)", "varchar(3)"),
    );
    autogenerate(&project, "narrow");
    let (code, stderr) = project.fails(&["upgrade", "head"]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("people.name"), "{stderr}");
}

#[test]
fn sqlite_type_nullability_and_default_changes_apply_and_leave_no_drift() {
    let project = people_project("sqlite:///test.db");
    let connection = rusqlite::Connection::open(project.sqlite_path()).unwrap();
    connection
        .execute_batch("INSERT INTO people (name, age) VALUES ('Ada', 36)")
        .unwrap();
    write_schema(
        &project,
        &PEOPLE_V1
            .replace(
                "\"varchar(50)\"",
                "\"varchar(200)\", nullable = false, server_default = \"'anonymous'\"",
            )
            .replace("\"age\", type = \"integer\"", "\"age\", type = \"bigint\""),
    );
    let (log, revision) = autogenerate(&project, "widen");
    assert!(
        log.contains("altered column people.name: type varchar(50) -> varchar(200), now NOT NULL"),
        "{log}"
    );
    assert!(
        revision.contains("existing_type = \"varchar(50)\""),
        "{revision}"
    );
    assert!(revision.contains("existing_nullable = true"), "{revision}");
    assert!(
        revision.contains("existing_type = \"integer\""),
        "{revision}"
    );
    // SQLite makes these changes by rebuilding the table, rows included.
    project.ok(&["upgrade", "head"]);
    assert_eq!(
        sqlite_strings(&project, "SELECT name || ':' || age FROM people"),
        vec!["Ada:36"]
    );
    assert_no_drift(&project);
}

// --- indexes, constraints, foreign keys, enums ---

#[test]
fn postgres_indexes_constraints_and_foreign_keys_round_trip() {
    let db = TestDatabase::new();
    let project = people_project(&db.url);
    write_schema(
        &project,
        r#"
[[table]]
name = "people"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "name", type = "varchar(50)", unique = true },
  { name = "age", type = "integer" },
  { name = "note", type = "text" },
]
constraints = [ { type = "check", name = "adult", condition = "age >= 18" } ]
indexes = [
  { name = "ix_people_age", columns = ["age"] },
  { name = "ix_people_note", columns = ["note"], where = "note IS NOT NULL" },
]

[[table]]
name = "pets"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "owner_id", type = "integer", nullable = false, foreign_key = { table = "people", column = "id", ondelete = "CASCADE" } },
  { name = "vet_id", type = "integer" },
]
constraints = [ { type = "foreign_key", name = "fk_pets_vet", local_cols = ["vet_id"], referent_table = "vets", remote_cols = ["id"] } ]

[[table]]
name = "vets"
columns = [ { name = "id", type = "integer", primary_key = true }, { name = "name", type = "text" } ]
"#,
    );
    let (log, revision) = autogenerate(&project, "pets");
    assert!(log.contains("added unique (name) on people"), "{log}");
    assert!(log.contains("added index ix_people_age on people"), "{log}");
    // vets is created before pets, whose key references it.
    let vets = revision.find("table_name = \"vets\"").unwrap();
    let pets = revision.find("table_name = \"pets\"").unwrap();
    assert!(vets < pets, "{revision}");
    project.ok(&["upgrade", "head"]);
    assert_eq!(
        db.strings("SELECT conname::text FROM pg_constraint WHERE contype = 'f'"),
        vec!["fk_pets_vet", "pets_owner_id_fkey"]
    );
    assert_no_drift(&project);

    // Dropping the index and the foreign key, and changing the key's action.
    let changed = std::fs::read_to_string(project.path().join("schema.toml"))
        .unwrap()
        .replace("  { name = \"ix_people_age\", columns = [\"age\"] },\n", "")
        .replace("ondelete = \"CASCADE\"", "ondelete = \"SET NULL\"")
        .replace(
            "constraints = [ { type = \"foreign_key\", name = \"fk_pets_vet\", local_cols = [\"vet_id\"], referent_table = \"vets\", remote_cols = [\"id\"] } ]\n",
            "",
        );
    write_schema(&project, &changed);
    let (log, _) = autogenerate(&project, "loosen");
    assert!(
        log.contains("dropped index ix_people_age on people"),
        "{log}"
    );
    assert!(
        log.contains("dropped foreign key (vet_id) -> vets(id) on pets"),
        "{log}"
    );
    project.ok(&["upgrade", "head"]);
    assert_no_drift(&project);
    // And back: the downgrade restores what the upgrade removed.
    project.ok(&["downgrade", "-1"]);
    assert_eq!(
        db.strings("SELECT conname::text FROM pg_constraint WHERE contype = 'f'"),
        vec!["fk_pets_vet", "pets_owner_id_fkey"]
    );
}

#[test]
fn sqlite_indexes_constraints_and_foreign_keys_round_trip() {
    let project = Project::sqlite(&[]);
    write_schema(
        &project,
        r#"
[[table]]
name = "pets"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "owner_id", type = "integer", nullable = false, foreign_key = { table = "owners", column = "id", ondelete = "CASCADE" } },
  { name = "kind", type = { enum = "kind", values = ["cat", "dog"] }, server_default = "'cat'" },
  { name = "tag", type = "varchar(20)", unique = true },
]
constraints = [ { type = "check", name = "tag_short", condition = "length(tag) < 20" } ]
indexes = [ { name = "ix_pets_kind", columns = ["kind"], where = "kind = 'dog'" } ]

[[table]]
name = "owners"
columns = [ { name = "id", type = "integer", primary_key = true }, { name = "born", type = "timestamp", server_default = "CURRENT_TIMESTAMP" } ]
"#,
    );
    let (_, revision) = autogenerate(&project, "pets");
    let owners = revision.find("table_name = \"owners\"").unwrap();
    let pets = revision.find("table_name = \"pets\"").unwrap();
    assert!(owners < pets, "{revision}");
    project.ok(&["upgrade", "head"]);
    assert_no_drift(&project);
    // A new index and a dropped one on a table that stays.
    let changed = std::fs::read_to_string(project.path().join("schema.toml"))
        .unwrap()
        .replace(
            "indexes = [ { name = \"ix_pets_kind\", columns = [\"kind\"], where = \"kind = 'dog'\" } ]",
            "indexes = [ { name = \"ix_pets_owner\", columns = [\"owner_id\", \"kind\"] } ]",
        );
    write_schema(&project, &changed);
    let (log, _) = autogenerate(&project, "index");
    assert!(log.contains("dropped index ix_pets_kind on pets"), "{log}");
    assert!(log.contains("added index ix_pets_owner on pets"), "{log}");
    project.ok(&["upgrade", "head"]);
    assert_no_drift(&project);
}

#[test]
fn postgres_enums_are_created_extended_and_dropped() {
    let db = TestDatabase::new();
    let project = Project::new(&db.url, &[]);
    write_schema(
        &project,
        r#"
[[enum]]
name = "mood"
values = ["happy", "sad"]

[[table]]
name = "diary"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "mood", type = { enum = "mood", values = ["happy", "sad"] }, server_default = "'happy'" },
]

[[table]]
name = "weather"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "mood", type = { enum = "mood", values = ["happy", "sad"] } },
]
"#,
    );
    let (log, revision) = autogenerate(&project, "moods");
    assert!(log.contains("added enum type mood"), "{log}");
    assert_eq!(revision.matches("CREATE TYPE").count(), 1, "{revision}");
    project.ok(&["upgrade", "head"]);
    assert_no_drift(&project);
    db.client()
        .batch_execute("INSERT INTO diary (mood) VALUES ('sad')")
        .unwrap();

    // A new value, added where the file puts it.
    let extended = std::fs::read_to_string(project.path().join("schema.toml"))
        .unwrap()
        .replace("[\"happy\", \"sad\"]", "[\"happy\", \"meh\", \"sad\"]");
    write_schema(&project, &extended);
    let (log, _) = autogenerate(&project, "meh");
    assert!(
        log.contains("added value(s) meh to enum type mood"),
        "{log}"
    );
    project.ok(&["upgrade", "head"]);
    assert_eq!(
        db.strings("SELECT unnest(enum_range(NULL::mood))::text"),
        vec!["happy", "meh", "sad"]
    );
    assert_no_drift(&project);

    // Removing a value is drift that needs a person: check says so and exits 4.
    let reduced = extended.replace("[\"happy\", \"meh\", \"sad\"]", "[\"happy\", \"sad\"]");
    write_schema(&project, &reduced);
    let (code, output) = check(&project, &[]);
    assert_eq!(code, 4, "{output}");
    assert!(output.contains("enum type mood differs"), "{output}");
}

// --- check and the rules around autogenerate ---

#[test]
fn postgres_check_reports_drift_as_json_and_exits_4() {
    let db = TestDatabase::new();
    let project = people_project(&db.url);
    assert_no_drift(&project);
    db.client()
        .batch_execute("ALTER TABLE people ADD COLUMN sneaky text; CREATE TABLE stray (id integer)")
        .unwrap();
    let (code, output) = check(&project, &["--json"]);
    assert_eq!(code, 4, "{output}");
    let json: serde_json::Value = serde_json::from_str(&output).unwrap();
    assert_eq!(json["up_to_date"], true);
    let drift: Vec<String> = json["drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["description"].as_str().unwrap().to_string())
        .collect();
    assert!(
        drift.contains(&"dropped column people.sneaky".to_string()),
        "{drift:?}"
    );
    assert!(
        drift.contains(&"dropped table stray".to_string()),
        "{drift:?}"
    );
    assert_eq!(json["drift"][0]["kind"], "dropped_table");
}

#[test]
fn check_exits_4_for_pending_revisions_without_comparing() {
    let project = Project::sqlite(&[("1975ea83b712_create.toml", CREATE_PROFILES)]);
    write_schema(&project, MEMBER_PROFILES);
    let (code, output) = check(&project, &[]);
    assert_eq!(code, 4, "{output}");
    assert!(output.contains("1 revision(s) pending"), "{output}");
    assert!(
        output.contains("compared once no revision is pending"),
        "{output}"
    );
}

#[test]
fn check_without_a_target_schema_keeps_its_old_meaning() {
    let project = seeded("sqlite:///test.db");
    let (code, output) = check(&project, &[]);
    assert_eq!(code, 0, "{output}");
    assert!(!output.contains("drift"), "{output}");
}

#[test]
fn autogenerate_refuses_a_database_behind_head() {
    let project = Project::sqlite(&[("1975ea83b712_create.toml", CREATE_PROFILES)]);
    write_schema(&project, MEMBER_PROFILES);
    let (code, stderr) = project.fails(&["revision", "--autogenerate", "-m", "x"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("the database is at base"), "{stderr}");
    assert!(stderr.contains("rmig upgrade"), "{stderr}");
    assert_eq!(revision_files(&project).len(), 1, "no file written");
}

#[test]
fn autogenerate_without_a_schema_file_says_where_it_looked() {
    let project = seeded("sqlite:///test.db");
    let (code, stderr) = project.fails(&["revision", "--autogenerate", "-m", "x"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("schema.toml"), "{stderr}");
    assert!(stderr.contains("target_schema"), "{stderr}");
}

#[test]
fn a_misspelled_key_in_the_schema_file_names_file_line_and_key() {
    let project = seeded("sqlite:///test.db");
    write_schema(
        &project,
        "[[table]]\nname = \"member_profiles\"\ncolumns = [\n  { name = \"id\", type = \"integer\", primary_key = true },\n  { name = \"bio\", type = \"text\", nulable = true },\n]\n",
    );
    let (code, stderr) = project.fails(&["revision", "--autogenerate", "-m", "x"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("schema.toml:"), "{stderr}");
    assert!(stderr.contains("nulable"), "{stderr}");
}

#[test]
fn the_version_table_and_rmig_tables_are_never_in_the_diff() {
    let db = TestDatabase::new();
    let project = people_project(&db.url);
    db.client()
        .batch_execute("CREATE TABLE rmig_notes (id integer)")
        .unwrap();
    assert_no_drift(&project);
    let sqlite = people_project("sqlite:///test.db");
    let connection = rusqlite::Connection::open(sqlite.sqlite_path()).unwrap();
    connection
        .execute_batch("CREATE TABLE rmig_notes (id integer)")
        .unwrap();
    assert_no_drift(&sqlite);
}

#[test]
fn postgres_a_yaml_schema_in_another_schema_round_trips() {
    let db = TestDatabase::new();
    let project = Project::new(&db.url, &[]);
    db.client().batch_execute("CREATE SCHEMA billing").unwrap();
    std::fs::write(
        project.path().join("rmig.toml"),
        format!(
            "script_location = \"revisions\"\nurl = \"{}\"\ntarget_schema = \"db/schema.yaml\"\n",
            db.url
        ),
    )
    .unwrap();
    std::fs::create_dir(project.path().join("db")).unwrap();
    std::fs::write(
        project.path().join("db/schema.yaml"),
        "table:\n  - name: invoices\n    schema: billing\n    columns:\n      - { name: id, type: bigint, primary_key: true }\n      - { name: total, type: \"numeric(12,2)\", nullable: false, server_default: \"0\" }\n      - { name: issued, type: date }\n",
    )
    .unwrap();
    let (log, _) = autogenerate(&project, "invoices");
    assert!(log.contains("added table billing.invoices"), "{log}");
    project.ok(&["upgrade", "head"]);
    assert!(db.has_table("billing.invoices"));
    assert_no_drift(&project);
}

#[test]
fn renames_not_guessed_are_warned_about_on_stderr() {
    let project = seeded("sqlite:///test.db");
    write_schema(&project, TWO_CANDIDATES);
    let output = project.run(&["revision", "--autogenerate", "-m", "ambiguous"]);
    assert!(output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("rmig: warning: 1 possible rename(s) not guessed"),
        "{stderr}"
    );
}

// --- MySQL/MariaDB ---

#[test]
fn mysql_seed_rename_is_written_as_rename_table_and_keeps_every_row() {
    let db = common::mysql::MysqlTestDatabase::new();
    let project = seeded(&db.url);
    write_schema(&project, MEMBER_PROFILES);
    let (log, revision) = autogenerate(&project, "rename");
    assert!(
        log.contains("Detected renamed table user_profiles -> member_profiles"),
        "{log}"
    );
    assert!(revision.contains("op = \"rename_table\""), "{revision}");
    assert!(!revision.contains("drop_table"), "{revision}");
    project.ok(&["upgrade", "head"]);
    assert_eq!(
        db.rows("SELECT bio FROM member_profiles ORDER BY id"),
        ["Ada", "Grace", "Edsger"]
    );
    assert_no_drift(&project);
    project.ok(&["downgrade", "1975ea83b712"]);
    assert_eq!(
        db.rows("SELECT bio FROM user_profiles ORDER BY id"),
        ["Ada", "Grace", "Edsger"]
    );
}

#[test]
fn mysql_types_indexes_constraints_and_foreign_keys_round_trip() {
    let db = common::mysql::MysqlTestDatabase::new();
    let project = Project::new(&db.url, &[]);
    write_schema(
        &project,
        r#"
[[table]]
name = "people"
comment = "everyone"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "name", type = "varchar(50)", nullable = false, unique = true, comment = "full name" },
  { name = "age", type = "smallint", server_default = "18" },
  { name = "active", type = "boolean", nullable = false, server_default = "1" },
  { name = "mood", type = { enum = "mood", values = ["happy", "sad"] }, server_default = "'happy'" },
  { name = "balance", type = "numeric(10,2)" },
  { name = "joined", type = "timestamp" },
  { name = "profile", type = "json" },
  { name = "note", type = "text" },
]
constraints = [ { type = "check", name = "adult", condition = "age >= 18" } ]
indexes = [ { name = "ix_people_age", columns = ["age", "active"] } ]

[[table]]
name = "pets"
columns = [
  { name = "id", type = "bigint", primary_key = true },
  { name = "owner_id", type = "integer", nullable = false, foreign_key = { table = "people", column = "id", name = "fk_pets_owner", ondelete = "CASCADE" } },
]
"#,
    );
    let (_, revision) = autogenerate(&project, "people and pets");
    assert!(revision.contains("table_name = \"pets\""), "{revision}");
    project.ok(&["upgrade", "head"]);
    assert_no_drift(&project);

    // A column added, the index dropped, a type widened: each found, applied, and no drift.
    let changed = std::fs::read_to_string(project.path().join("schema.toml"))
        .unwrap()
        .replace("indexes = [ { name = \"ix_people_age\", columns = [\"age\", \"active\"] } ]\n", "")
        .replace("\"varchar(50)\"", "\"varchar(80)\"")
        .replace(
            "  { name = \"note\", type = \"text\" },\n",
            "  { name = \"note\", type = \"text\" },\n  { name = \"city\", type = \"varchar(40)\" },\n",
        );
    write_schema(&project, &changed);
    let (log, revision) = autogenerate(&project, "change");
    assert!(
        log.contains("dropped index ix_people_age on people"),
        "{log}"
    );
    assert!(revision.contains("op = \"add_column\""), "{revision}");
    assert!(revision.contains("existing_type"), "{revision}");
    project.ok(&["upgrade", "head"]);
    assert_no_drift(&project);
    project.ok(&["downgrade", "-1", "--allow-data-loss=all"]);
    assert_eq!(
        db.rows("SELECT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'people' AND INDEX_NAME = 'ix_people_age' GROUP BY INDEX_NAME"),
        ["ix_people_age"]
    );
}
