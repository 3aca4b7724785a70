//! The reference in docs/ cannot drift from the code: every operation, each of its keys, the
//! column and constraint keys, every column type name, every `rmig.toml` key, every target
//! schema key and every lock rule, listed from the definitions themselves (`rmig::reference`),
//! is named in the page that documents it, and every field of every `--json` document (its
//! JSON Schema in docs/schemas/, which tests/json_schemas.rs holds the real output to) is
//! named in docs/json.md; the lock rules are the schema's too. The exit statuses and environment variables `rmig man` prints are in
//! docs/exit-codes.md and docs/environment.md, and the sources read no environment variable
//! and define no exit status that the man page leaves out.

use std::path::Path;

use super::names as reference;
use super::{ENVIRONMENT, EXIT_STATUSES};

fn page(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The names `text` does not spell as `` `name` ``.
fn missing<'a>(text: &str, names: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    names
        .into_iter()
        .filter(|name| !text.contains(&format!("`{name}`")))
        .collect()
}

/// The part of a page under `## heading`, up to the next `## `.
fn section<'a>(text: &'a str, heading: &str) -> Option<&'a str> {
    text.split("\n## ")
        .find(|part| part.lines().next() == Some(heading))
}

#[test]
fn every_operation_has_a_section_naming_each_of_its_keys() {
    let operations = page("operations.md");
    let mut gaps = Vec::new();
    for op in reference::operation_names().unwrap() {
        let Some(text) = section(&operations, op) else {
            gaps.push(format!("no `## {op}` section"));
            continue;
        };
        for key in missing(text, reference::operation_keys(op).unwrap()) {
            gaps.push(format!("{op}: key `{key}`"));
        }
    }
    assert!(gaps.is_empty(), "docs/operations.md lacks: {gaps:#?}");
}

#[test]
fn every_column_and_constraint_key_is_documented() {
    let text = page("operations.md") + &page("types.md");
    let mut names = reference::column_keys().unwrap();
    for (kind, keys) in reference::table_constraint_keys().unwrap() {
        names.push(kind);
        names.extend(keys);
    }
    let gaps = missing(&text, names);
    assert!(
        gaps.is_empty(),
        "docs/operations.md and docs/types.md lack: {gaps:?}"
    );
}

#[test]
fn every_column_type_name_is_documented() {
    let gaps = missing(&page("types.md"), reference::column_type_names());
    assert!(gaps.is_empty(), "docs/types.md lacks: {gaps:?}");
}

#[test]
fn every_lock_rule_is_documented_and_in_the_lint_schema() {
    let names = reference::lock_rule_names();
    let gaps = missing(&page("locks.md"), names.iter().copied());
    assert!(gaps.is_empty(), "docs/locks.md lacks: {gaps:?}");
    let schema: serde_json::Value = serde_json::from_str(&page("schemas/lint.json")).unwrap();
    let listed: Vec<&str> = schema["$defs"]["lock_finding"]["properties"]["rule"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| name.as_str().unwrap())
        .collect();
    assert_eq!(listed, names, "docs/schemas/lint.json's rule enum");
}

#[test]
fn every_config_key_is_documented() {
    let gaps = missing(&page("configuration.md"), reference::config_keys().unwrap());
    assert!(gaps.is_empty(), "docs/configuration.md lacks: {gaps:?}");
}

#[test]
fn every_target_schema_key_is_documented() {
    let gaps = missing(&page("schema.md"), reference::schema_file_keys().unwrap());
    assert!(gaps.is_empty(), "docs/schema.md lacks: {gaps:?}");
}

/// Every property name anywhere in a JSON Schema.
fn property_names(schema: &serde_json::Value, found: &mut Vec<String>) {
    match schema {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(properties)) = map.get("properties") {
                found.extend(properties.keys().cloned());
            }
            map.values().for_each(|value| property_names(value, found));
        }
        serde_json::Value::Array(items) => {
            items.iter().for_each(|item| property_names(item, found))
        }
        _ => {}
    }
}

#[test]
fn every_json_field_is_documented() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schemas");
    let json_page = page("json.md");
    let mut gaps = Vec::new();
    for entry in std::fs::read_dir(&folder).unwrap() {
        let path = entry.unwrap().path();
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let mut names = Vec::new();
        property_names(&schema, &mut names);
        assert!(!names.is_empty(), "{} names no field", path.display());
        for name in missing(&json_page, names.iter().map(String::as_str)) {
            gaps.push(format!("{}: `{name}`", path.display()));
        }
        let file = path.file_name().unwrap().to_str().unwrap();
        assert!(
            json_page.contains(&format!("(schemas/{file})")),
            "docs/json.md does not link {file}"
        );
    }
    assert!(gaps.is_empty(), "docs/json.md lacks: {gaps:#?}");
}

#[test]
fn every_exit_status_is_documented() {
    let text = page("exit-codes.md");
    let gaps: Vec<i32> = EXIT_STATUSES
        .iter()
        .map(|status| status.code)
        .filter(|code| !text.contains(&format!("\n| {code} |")))
        .collect();
    assert!(
        gaps.is_empty(),
        "docs/exit-codes.md has no row for: {gaps:?}"
    );
}

/// Every `pub const EXIT_...: i32 = N;` of src/error.rs.
#[test]
fn every_exit_status_the_code_gives_is_in_the_man_page() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/error.rs");
    let text = std::fs::read_to_string(&path).unwrap();
    let codes: Vec<i32> = text
        .lines()
        .filter_map(|line| line.strip_prefix("pub const EXIT_"))
        .filter_map(|rest| rest.split_once(": i32 = "))
        .map(|(_, value)| value.trim_end_matches(';').parse().unwrap())
        .collect();
    assert!(
        codes.len() >= 4,
        "no exit status found in {}",
        path.display()
    );
    for code in codes {
        assert!(
            EXIT_STATUSES.iter().any(|status| status.code == code),
            "exit status {code} of src/error.rs is not in EXIT_STATUSES"
        );
    }
}

#[test]
fn every_environment_variable_is_documented() {
    let names = ENVIRONMENT.iter().map(|variable| variable.name);
    let gaps = missing(&page("environment.md"), names);
    assert!(gaps.is_empty(), "docs/environment.md lacks: {gaps:?}");
}

/// The environment variables `text` reads by a literal name: `env::var("X")`,
/// `env::var_os("X")`, a helper `env("X")`, clap's `env = "X"`.
fn variables_read(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    for call in ["var(\"", "var_os(\"", "env(\"", "env = \""] {
        for (at, _) in text.match_indices(call) {
            // `var(` and `env(` must not be the end of a longer name (`some_var("...")`).
            let before = text[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let rest = &text[at + call.len()..];
            let Some((name, after)) = rest.split_once('"') else {
                continue;
            };
            // A call with one argument: `cmd.env("X", value)` sets a child's variable.
            let read = call.ends_with("= \"") || after.starts_with(')');
            let variable_name = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if read && variable_name {
                found.push(name);
            }
        }
    }
    found
}

/// The crate's source files, its test modules (`tests.rs`, `*_tests.rs`) aside: the
/// variables tests read are the test suite's, not rmig's.
fn rust_files(folder: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            rust_files(&path, found);
        } else if name.ends_with(".rs") && name != "tests.rs" && !name.ends_with("_tests.rs") {
            found.push(path);
        }
    }
}

#[test]
fn every_environment_variable_the_code_reads_is_in_the_man_page() {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut gaps = Vec::new();
    let mut seen = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        for name in variables_read(&text) {
            seen += 1;
            if !ENVIRONMENT.iter().any(|v| v.name == name) {
                gaps.push(format!("{}: {name}", path.display()));
            }
        }
    }
    assert!(seen > 0, "the scan found no variable read at all");
    assert!(gaps.is_empty(), "read but not in ENVIRONMENT: {gaps:#?}");
}

#[test]
fn the_scan_finds_reads_and_not_writes() {
    let text = r#"std::env::var("A_1") env::var_os("B") .or_else(|| env("C"))
        #[arg(long, env = "D")] cmd.env("NOT_READ", "1") some_var("NOT_A_CALL")
        std::env::var(name) env!("CARGO_MANIFEST_DIR")"#;
    assert_eq!(variables_read(text), ["A_1", "B", "C", "D"]);
}
