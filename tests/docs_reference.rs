//! The reference in docs/ cannot drift from the code: every operation, each of its keys, the
//! column and constraint keys, every column type name, every `rmig.toml` key and every target
//! schema key, listed from the definitions themselves (`rmig::reference`), is named in the
//! page that documents it, and every field of every `--json` document (its JSON Schema in
//! docs/schemas/, which tests/json_schemas.rs holds the real output to) is named in
//! docs/json.md.

use std::path::Path;

use rmig::reference;

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
