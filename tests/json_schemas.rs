//! Each `--json` document, as the real binary prints it, is valid against its JSON Schema in
//! docs/schemas/. The schemas forbid fields they do not list, so a field added to a document
//! fails here until its schema (and, through src/reference/docs_tests.rs, docs/json.md) names it.
//! Projects are SQLite, so the documents carry their optional parts: a branch point, an edited
//! revision, drift from a target schema, a destructive operation with a probable rename; the
//! lint's lock findings need PostgreSQL, with each state of their table sizes.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{Project, TestDatabase};

const BASE: &str = r#"revision = "a1000000"
message = "people"

[[upgrade]]
op = "create_table"
table_name = "people"
columns = [ { name = "id", type = "integer", primary_key = true }, { name = "name", type = "text" } ]
"#;

const LEFT: &str = r#"revision = "b1000000"
down_revision = "a1000000"
branch_labels = ["left"]

[[upgrade]]
op = "create_table"
table_name = "lefts"
columns = [ { name = "id", type = "integer", primary_key = true } ]
"#;

const RIGHT: &str = r#"revision = "b2000000"
down_revision = "a1000000"
depends_on = ["b1000000"]

[[upgrade]]
op = "create_table"
table_name = "rights"
columns = [ { name = "id", type = "integer", primary_key = true } ]
"#;

/// The target schema: `people` gains a column, `rights` is gone.
const TARGET: &str = r#"[[table]]
name = "people"
columns = [ { name = "id", type = "integer", primary_key = true }, { name = "name", type = "text" }, { name = "email", type = "text" } ]

[[table]]
name = "lefts"
columns = [ { name = "id", type = "integer", primary_key = true } ]
"#;

/// A rename written as a drop and a create: the guard's finding carries a probable rename.
const RENAME: &str = r#"revision = "c1000000"
down_revision = "a1000000"

[[upgrade]]
op = "drop_table"
table_name = "user_profiles"
columns = [ { name = "id", type = "integer", primary_key = true }, { name = "bio", type = "text" } ]

[[upgrade]]
op = "create_table"
table_name = "member_profiles"
columns = [ { name = "id", type = "integer", primary_key = true }, { name = "bio", type = "text" } ]

[[downgrade]]
op = "drop_table"
table_name = "member_profiles"
confirm_data_loss = "member_profiles"
"#;

fn schema(name: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("docs/schemas/{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema)
        .unwrap_or_else(|error| panic!("{} is not a valid JSON Schema: {error}", path.display()))
}

/// Validates the stdout of `rmig ARGS` (whatever its exit status) against `docs/schemas/NAME.json`.
fn assert_valid(project: &Project, args: &[&str], name: &str) -> serde_json::Value {
    let output = project.run(args);
    let stdout = String::from_utf8(output.stdout).unwrap();
    let document: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|error| {
        panic!(
            "rmig {args:?} printed no JSON ({error}): {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let errors: Vec<String> = schema(name)
        .iter_errors(&document)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "rmig {args:?} does not match docs/schemas/{name}.json: {errors:#?}\n{document:#}"
    );
    document
}

#[test]
fn every_json_document_matches_its_schema() {
    let project = Project::sqlite(&[
        ("a1000000_people.toml", BASE),
        ("b1000000_left.toml", LEFT),
        ("b2000000_right.toml", RIGHT),
    ]);
    project.ok(&["upgrade", "heads"]);
    std::fs::write(project.path().join("schema.toml"), TARGET).unwrap();
    // Edited after it was applied: `check` lists it.
    let base = project.path().join("revisions/a1000000_people.toml");
    std::fs::write(&base, format!("{BASE}\n# edited\n")).unwrap();

    let mut checked = BTreeSet::new();
    let current = assert_valid(&project, &["current", "--json"], "current");
    // b2 depends on b1, so its row stands for both, as in Alembic.
    assert_eq!(
        current["heads"],
        serde_json::json!(["b2000000"]),
        "{current}"
    );
    checked.insert("current");
    let check = assert_valid(&project, &["check", "--json"], "check");
    assert!(!check["edited"].as_array().unwrap().is_empty(), "{check}");
    assert!(!check["drift"].as_array().unwrap().is_empty(), "{check}");
    checked.insert("check");
    assert_valid(&project, &["heads", "--json"], "heads");
    checked.insert("heads");
    let branches = assert_valid(&project, &["branches", "--json"], "branches");
    assert_eq!(
        branches["branch_points"].as_array().unwrap().len(),
        1,
        "{branches}"
    );
    checked.insert("branches");
    let history = assert_valid(&project, &["history", "--json", "-i"], "history");
    assert_eq!(history["revisions"][0]["is_current"], true, "{history}");
    assert_valid(&project, &["history", "--json"], "history");
    checked.insert("history");
    assert_valid(&project, &["show", "heads", "--json"], "show");
    checked.insert("show");

    std::fs::write(
        project.path().join("revisions/c1000000_rename.toml"),
        RENAME,
    )
    .unwrap();
    let lint = assert_valid(&project, &["check", "--lint", "--json"], "lint");
    let findings = lint["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .any(|finding| finding["probable_rename"].is_object()),
        "{lint}"
    );
    checked.insert("lint");

    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schemas");
    let schemas: BTreeSet<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| {
            entry
                .unwrap()
                .path()
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let checked: BTreeSet<String> = checked.into_iter().map(str::to_string).collect();
    assert_eq!(
        schemas, checked,
        "every schema in docs/schemas/ is checked here"
    );
}

/// A table, then a revision that builds an index on it and one on a table it creates first
/// (no finding), then one on a table an unapplied revision creates. Raw SQL, as `create_index`
/// on an existing table runs CONCURRENTLY, which raises nothing.
const LOCKS: [(&str, &str); 3] = [
    ("a1000000_people.toml", BASE),
    (
        "b1000000_index.toml",
        r#"revision = "b1000000"
down_revision = "a1000000"

[[upgrade]]
op = "execute"
sqltext = "CREATE INDEX ix_people_name ON people (name)"

[[upgrade]]
op = "execute"
sqltext = "CREATE TABLE pets (id integer PRIMARY KEY, name text); CREATE INDEX ix_pets_id ON pets (id)"

[[downgrade]]
op = "execute"
sqltext = "DROP INDEX ix_people_name"
"#,
    ),
    (
        "c1000000_pets.toml",
        r#"revision = "c1000000"
down_revision = "b1000000"

[[upgrade]]
op = "execute"
sqltext = "CREATE INDEX ix_pets_name ON pets (name)"

[[downgrade]]
op = "execute"
sqltext = "DROP INDEX ix_pets_name"
"#,
    ),
];

#[test]
fn lint_lock_findings_match_the_schema_in_each_size_state() {
    let offline = Project::new("postgresql://app@127.0.0.1:1/app", &LOCKS);
    let lint = assert_valid(&offline, &["check", "--lint", "--json"], "lint");
    assert_eq!(lint["lock_findings"].as_array().unwrap().len(), 2, "{lint}");
    assert_eq!(lint["table_sizes"]["state"], "not_requested");
    let lint = assert_valid(&offline, &["check", "--lint", "--json", "--sizes"], "lint");
    assert_eq!(lint["table_sizes"]["state"], "unavailable");

    let database = TestDatabase::new();
    let online = Project::new(&database.url, &LOCKS);
    online.ok(&["upgrade", "a1000000"]);
    let lint = assert_valid(&online, &["check", "--lint", "--json", "--sizes"], "lint");
    let states: Vec<&str> = lint["lock_findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["size"]["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["measured", "not_found"], "{lint}");
    assert_eq!(lint["table_sizes"]["state"], "read");
}

#[test]
fn every_document_carries_its_version() {
    let project = Project::sqlite(&[("a1000000_people.toml", BASE)]);
    for args in [
        &["heads", "--json"][..],
        &["show", "head", "--json"],
        &["check", "--lint", "--json"],
    ] {
        let document: serde_json::Value = serde_json::from_str(&project.ok(args)).unwrap();
        assert_eq!(document["version"], 1, "rmig {args:?}: {document}");
    }
}
