//! The TOML the importer writes: a small ordered value type (keys stay in the order Alembic's
//! signatures list them, `op` first), and the layout of a revision file and of `rmig.toml`.
//! Strings go through the `toml` crate's own quoting.

use crate::ops::{Operation, ScopedOperation};

/// A TOML value whose tables keep their key order.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Toml {
    Str(String),
    /// A constraint's or index's name written as a plain string, which Alembic runs through a
    /// naming-convention template that uses `%(constraint_name)s` (`naming::resolve_names`
    /// settles it before the file is written); written as the string it holds.
    Name(String),
    /// An `op.f` name: final, but cut as SQLAlchemy cuts it on the database
    /// (`naming::resolve_names` settles it before the file is written).
    Final(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Array(Vec<Toml>),
    Table(Vec<(String, Toml)>),
}

impl Toml {
    pub(super) fn str(text: impl Into<String>) -> Toml {
        Toml::Str(text.into())
    }

    pub(super) fn strings(items: &[String]) -> Toml {
        Toml::Array(items.iter().cloned().map(Toml::Str).collect())
    }

    /// The value on one line (strings with line breaks excepted).
    pub(super) fn inline(&self) -> String {
        match self {
            Toml::Str(text) | Toml::Name(text) | Toml::Final(text) => quote(text),
            Toml::Int(number) => number.to_string(),
            Toml::Float(number) => toml::Value::Float(*number).to_string(),
            Toml::Bool(flag) => flag.to_string(),
            Toml::Array(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(Toml::inline)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Toml::Table(fields) if fields.is_empty() => "{}".to_string(),
            Toml::Table(fields) => format!(
                "{{ {} }}",
                fields
                    .iter()
                    .map(|(key, value)| format!("{} = {}", key_name(key), value.inline()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// A string as TOML writes it: basic, literal or multi-line, whichever holds it.
pub(super) fn quote(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// A bare key when it can be one, else quoted.
fn key_name(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        key.to_string()
    } else {
        quote(key)
    }
}

/// One operation as an ordered table whose first key is `op`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct OpTable {
    pub(super) op: String,
    pub(super) fields: Vec<(String, Toml)>,
}

impl OpTable {
    pub(super) fn new(op: &str) -> OpTable {
        OpTable {
            op: op.to_string(),
            fields: Vec::new(),
        }
    }

    pub(super) fn set(&mut self, key: &str, value: Toml) {
        self.fields.push((key.to_string(), value));
    }

    pub(super) fn with(mut self, key: &str, value: Toml) -> OpTable {
        self.set(key, value);
        self
    }

    /// Sets `key` when there is a value.
    pub(super) fn maybe(mut self, key: &str, value: Option<Toml>) -> OpTable {
        if let Some(value) = value {
            self.set(key, value);
        }
        self
    }

    /// The `key = value` lines of the table, arrays of tables one element a line.
    pub(super) fn body(&self) -> String {
        let mut text = format!("op = {}\n", quote(&self.op));
        for (key, value) in &self.fields {
            match value {
                Toml::Array(items)
                    if !items.is_empty() && items.iter().all(|i| matches!(i, Toml::Table(_))) =>
                {
                    text.push_str(&format!("{} = [\n", key_name(key)));
                    for item in items {
                        text.push_str(&format!("  {},\n", item.inline()));
                    }
                    text.push_str("]\n");
                }
                _ => text.push_str(&format!("{} = {}\n", key_name(key), value.inline())),
            }
        }
        text
    }

    /// Reads the table back as rmig's typed operation (its `dialect` key, if set, read too):
    /// the check that every translation is one the revision loader accepts.
    pub(super) fn to_operation(&self) -> Result<Operation, String> {
        toml::from_str::<ScopedOperation>(&self.body())
            .map(|scoped| scoped.op)
            .map_err(|error| error.message().to_string())
    }
}

/// An entry of an `upgrade` or `downgrade` list, with the comment written above it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Entry {
    pub(super) comment: String,
    pub(super) op: OpTable,
}

/// A revision file's header.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Header {
    pub(super) revision: String,
    pub(super) down_revisions: Vec<String>,
    pub(super) branch_labels: Vec<String>,
    pub(super) depends_on: Vec<String>,
    pub(super) message: Option<String>,
    pub(super) create_date: Option<String>,
    pub(super) transactional: bool,
}

/// The text of one revision file.
pub(super) fn revision_file(
    source: &str,
    header: &Header,
    upgrade: &[Entry],
    downgrade: &[Entry],
) -> String {
    let mut text = format!("# Imported from {source} by `rmig import-alembic`.\n");
    text.push_str(&format!("revision = {}\n", quote(&header.revision)));
    match header.down_revisions.as_slice() {
        [] => {}
        [one] => text.push_str(&format!("down_revision = {}\n", quote(one))),
        many => text.push_str(&format!(
            "down_revision = {}\n",
            Toml::strings(many).inline()
        )),
    }
    if !header.branch_labels.is_empty() {
        text.push_str(&format!(
            "branch_labels = {}\n",
            Toml::strings(&header.branch_labels).inline()
        ));
    }
    if !header.depends_on.is_empty() {
        text.push_str(&format!(
            "depends_on = {}\n",
            Toml::strings(&header.depends_on).inline()
        ));
    }
    if let Some(message) = &header.message {
        text.push_str(&format!("message = {}\n", quote(message)));
    }
    if let Some(date) = &header.create_date {
        text.push_str(&format!("create_date = {}\n", quote(date)));
    }
    if !header.transactional {
        text.push_str("transactional = false\n");
    }
    // Plain keys must come before the first [[table]] header.
    if upgrade.is_empty() {
        text.push_str("upgrade = []\n");
    }
    if downgrade.is_empty() {
        text.push_str("downgrade = []\n");
    }
    for (list, entries) in [("upgrade", upgrade), ("downgrade", downgrade)] {
        for entry in entries {
            text.push('\n');
            for line in entry.comment.lines() {
                text.push_str(&format!("# {line}\n").replace("# \n", "#\n"));
            }
            text.push_str(&format!("[[{list}]]\n"));
            text.push_str(&entry.op.body());
        }
    }
    text
}

/// The settings `rmig.toml` carries over from the Alembic project.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct ConfigOut {
    pub(super) source: String,
    /// `sqlalchemy.url`, when rmig can connect to it.
    pub(super) url: Option<String>,
    /// `sqlalchemy.url` that rmig cannot use, written as a comment.
    pub(super) unsupported_url: Option<String>,
    pub(super) version_table: Option<String>,
    pub(super) version_table_schema: Option<String>,
    pub(super) transaction_per_migration: bool,
    /// `[naming_convention]`, key and template, and the comment written above it.
    pub(super) naming_convention: Vec<(String, String)>,
    pub(super) naming_comment: String,
}

pub(super) fn config_file(config: &ConfigOut) -> String {
    let mut text = format!(
        "# rmig configuration, imported from {} by `rmig import-alembic`.\nscript_location = \"revisions\"\n",
        config.source
    );
    match (&config.url, &config.unsupported_url) {
        (Some(url), _) => text.push_str(&format!(
            "# Overridden by --url, RMIG_URL or DATABASE_URL.\nurl = {}\n",
            quote(url)
        )),
        (None, Some(url)) => text.push_str(&format!(
            "# alembic.ini's sqlalchemy.url, which rmig cannot connect to (PostgreSQL and SQLite only):\n# url = {}\n",
            quote(url)
        )),
        (None, None) => {}
    }
    if let Some(table) = &config.version_table {
        text.push_str(&format!("version_table = {}\n", quote(table)));
    }
    if let Some(schema) = &config.version_table_schema {
        text.push_str(&format!("version_table_schema = {}\n", quote(schema)));
    }
    text.push_str(&format!(
        "# {}\ntransaction_per_migration = {}\n",
        if config.transaction_per_migration {
            "env.py sets transaction_per_migration=True."
        } else {
            "Alembic's default: one transaction around the whole run (env.py does not set transaction_per_migration)."
        },
        config.transaction_per_migration
    ));
    if !config.naming_comment.is_empty() {
        text.push_str(&format!("\n# {}\n", config.naming_comment));
    }
    if !config.naming_convention.is_empty() {
        text.push_str("[naming_convention]\n");
        for (key, template) in &config.naming_convention {
            text.push_str(&format!("{key} = {}\n", quote(template)));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_keep_their_order_and_quote_strings() {
        let op = OpTable::new("create_table")
            .with("table_name", Toml::str("user's"))
            .with(
                "columns",
                Toml::Array(vec![Toml::Table(vec![
                    ("name".into(), Toml::str("id")),
                    ("type".into(), Toml::str("integer")),
                    ("primary_key".into(), Toml::Bool(true)),
                ])]),
            );
        assert_eq!(
            op.body(),
            "op = \"create_table\"\ntable_name = \"user's\"\ncolumns = [\n  { name = \"id\", type = \"integer\", primary_key = true },\n]\n"
        );
        assert!(op.to_operation().is_ok());
    }

    #[test]
    fn a_bad_translation_is_caught_by_the_loader_types() {
        let op = OpTable::new("add_column").with("table_name", Toml::str("t"));
        assert!(op.to_operation().unwrap_err().contains("column"));
    }

    #[test]
    fn a_revision_file_loads() {
        let header = Header {
            revision: "ae1027a6acf".into(),
            down_revisions: vec!["a1".into(), "b2".into()],
            branch_labels: vec!["x".into()],
            depends_on: vec![],
            message: Some("say \"hi\"".into()),
            create_date: Some("2024-01-02T03:04:05.123456".into()),
            transactional: false,
        };
        let upgrade = vec![Entry {
            comment: "versions/x.py:12\n\nmore".into(),
            op: OpTable::new("execute").with("sqltext", Toml::str("SELECT 1;\nSELECT '''2'''")),
        }];
        let text = revision_file("versions/x.py", &header, &upgrade, &[]);
        let revision =
            crate::revision::parse_revision(std::path::Path::new("x.toml"), &text).unwrap();
        assert_eq!(revision.down_revisions, ["a1", "b2"]);
        assert_eq!(revision.message.as_deref(), Some("say \"hi\""));
        assert!(!revision.transactional);
        assert_eq!(revision.upgrade.len(), 1);
        assert_eq!(revision.downgrade, Some(vec![]));
    }
}
