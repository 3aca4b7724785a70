//! The schema model both sides of a comparison are read into: the target schema file and the
//! reflected database. Columns are `ops::Column`, so a table's columns are written exactly as
//! `create_table` takes them; keys, uniques, checks and foreign keys are lifted out of the
//! columns into table-level lists, so that a key declared on a column and one declared as a
//! constraint compare equal.
//!
//! Also here: what counts as "the same" type, default or SQL condition on each dialect, the
//! normalisation that makes a round trip (target -> revision -> database -> reflection) show
//! no drift.

use crate::dialect::Dialect;
use crate::ops::spelling::{mysql_spelling, sqlite_spelling};
pub(crate) use crate::ops::spelling::{mysql_type, sqlite_type};
use crate::ops::{
    normalize_type_text, Column, ColumnType, ForeignKeyMatch, Initially, ReferentialAction,
};

/// A whole schema: tables and, on PostgreSQL, enum types.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Schema {
    pub tables: Vec<Table>,
    pub enums: Vec<EnumType>,
}

/// A PostgreSQL `CREATE TYPE name AS ENUM (...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumType {
    pub schema: Option<String>,
    pub name: String,
    pub values: Vec<String>,
}

/// One table. In the model a column never carries `primary_key`, `unique` or `foreign_key`:
/// those live in `primary_key`, `uniques` and `foreign_keys`, and a key column is not nullable.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// None: the connection's default schema.
    pub schema: Option<String>,
    pub name: String,
    /// The target file's explicit rename; always None for a reflected table.
    pub renamed_from: Option<String>,
    pub comment: Option<String>,
    pub columns: Vec<TableColumn>,
    pub primary_key: Option<PrimaryKey>,
    pub uniques: Vec<Unique>,
    pub checks: Vec<Check>,
    pub foreign_keys: Vec<ForeignKey>,
    pub indexes: Vec<Index>,
    /// The sequences feeding serial and identity columns, as reflected (PostgreSQL); a
    /// target file never names them.
    pub sequences: Vec<OwnedSequence>,
}

/// A sequence a column owns: a serial's or an identity's.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedSequence {
    pub column: String,
    /// In the table's schema.
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableColumn {
    pub column: Column,
    /// The target file's explicit rename; always None for a reflected column.
    pub renamed_from: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PrimaryKey {
    pub name: Option<String>,
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Unique {
    pub name: Option<String>,
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub name: Option<String>,
    /// SQL text.
    pub condition: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ForeignKey {
    pub name: Option<String>,
    pub columns: Vec<String>,
    /// None: the default schema.
    pub referent_schema: Option<String>,
    pub referent_table: String,
    pub referent_columns: Vec<String>,
    pub ondelete: Option<ReferentialAction>,
    pub onupdate: Option<ReferentialAction>,
    pub deferrable: Option<bool>,
    pub initially: Option<Initially>,
    pub match_: Option<ForeignKeyMatch>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    pub name: String,
    pub columns: Vec<String>,
    pub unique: bool,
    /// The predicate of a partial index, SQL text.
    pub where_: Option<String>,
    /// A reflected index on expressions, which the vocabulary cannot describe: left alone.
    pub expression: bool,
}

impl Table {
    /// A table with only a name, for building models in code.
    pub fn named(schema: Option<&str>, name: &str) -> Table {
        Table {
            schema: schema.map(str::to_string),
            name: name.to_string(),
            renamed_from: None,
            comment: None,
            columns: Vec::new(),
            primary_key: None,
            uniques: Vec::new(),
            checks: Vec::new(),
            foreign_keys: Vec::new(),
            indexes: Vec::new(),
            sequences: Vec::new(),
        }
    }

    /// `schema.name`, or `name` in the default schema.
    pub fn display_name(&self) -> String {
        qualified(self.schema.as_deref(), &self.name)
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns
            .iter()
            .map(|entry| &entry.column)
            .find(|column| column.name == name)
    }

    pub fn is_key_column(&self, name: &str) -> bool {
        self.primary_key
            .as_ref()
            .is_some_and(|key| key.columns.iter().any(|column| column == name))
    }
}

/// `schema.name`, or `name` alone.
pub fn qualified(schema: Option<&str>, name: &str) -> String {
    match schema {
        Some(schema) => format!("{schema}.{name}"),
        None => name.to_string(),
    }
}

impl ForeignKey {
    /// Whether two foreign keys constrain the same way; names aside, absent options read as
    /// the SQL defaults (NO ACTION, NOT DEFERRABLE, INITIALLY IMMEDIATE, MATCH SIMPLE).
    pub fn same_definition(&self, other: &ForeignKey) -> bool {
        let action = |action: Option<ReferentialAction>| match action {
            None | Some(ReferentialAction::NoAction) => None,
            other => other,
        };
        let initially = |initially: Option<Initially>| match initially {
            None | Some(Initially::Immediate) => None,
            other => other,
        };
        let match_ = |mode: Option<ForeignKeyMatch>| match mode {
            None | Some(ForeignKeyMatch::Simple) => None,
            other => other,
        };
        self.columns == other.columns
            && self.referent_schema == other.referent_schema
            && self.referent_table == other.referent_table
            && self.referent_columns == other.referent_columns
            && action(self.ondelete) == action(other.ondelete)
            && action(self.onupdate) == action(other.onupdate)
            && self.deferrable.unwrap_or(false) == other.deferrable.unwrap_or(false)
            && initially(self.initially) == initially(other.initially)
            && match_(self.match_) == match_(other.match_)
    }
}

/// Whether a reflected column type and a target one are the same type on `dialect`.
///
/// SQLite: both are spelled as rmig would create them there (an enum is a VARCHAR, a uuid
/// CHAR(32), ...) and the spellings compared. PostgreSQL: `sql_type` text is read back into the
/// vocabulary where it can be (`varchar(20)` is `varchar(20)` either way), `numeric(p)` is
/// `numeric(p,0)`, and enums compare by name (their values are compared as the enum type's).
pub fn same_type(dialect: Dialect, a: &ColumnType, b: &ColumnType) -> bool {
    match dialect {
        Dialect::Sqlite => match (sqlite_spelling(a), sqlite_spelling(b)) {
            (Some(a), Some(b)) => a == b,
            _ => canonical_postgres(a) == canonical_postgres(b),
        },
        Dialect::Postgresql => canonical_postgres(a) == canonical_postgres(b),
        Dialect::Mysql => match (mysql_spelling(a), mysql_spelling(b)) {
            (Some(a), Some(b)) => a == b,
            _ => canonical_postgres(a) == canonical_postgres(b),
        },
    }
}

fn canonical_postgres(type_: &ColumnType) -> ColumnType {
    match type_ {
        ColumnType::Sql(sql) => match ColumnType::from_postgres_spelling(sql) {
            ColumnType::Sql(sql) => ColumnType::Sql(normalize_type_text(&sql)),
            known => canonical_postgres(&known),
        },
        ColumnType::Numeric {
            precision: Some(precision),
            scale: None,
        } => ColumnType::Numeric {
            precision: Some(*precision),
            scale: Some(0),
        },
        ColumnType::Enum { name, .. } => ColumnType::Enum {
            name: name.clone(),
            values: Vec::new(),
        },
        ColumnType::Array(element) => ColumnType::Array(Box::new(canonical_postgres(element))),
        other => other.clone(),
    }
}

/// Whether two column defaults are the same expression once the database's rewriting is
/// undone: casts PostgreSQL adds (`'draft'::character varying`), parentheses SQLite keeps,
/// letter case and spacing outside quotes, and quotes around a number (`'-1'::integer`).
pub fn same_default(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => normalize_default(a) == normalize_default(b),
        _ => false,
    }
}

pub fn normalize_default(text: &str) -> String {
    let mut normalized = normalize_sql(text, false);
    loop {
        let stripped = strip_outer_parentheses(&normalized);
        if stripped == normalized {
            break;
        }
        normalized = stripped;
    }
    if let Some(inner) = normalized
        .strip_prefix('\'')
        .and_then(|rest| rest.strip_suffix('\''))
    {
        if !inner.contains('\'') && inner.parse::<f64>().is_ok() {
            return inner.to_string();
        }
    }
    normalized
}

/// Whether two SQL conditions (a check, an index predicate) read the same once casts,
/// parentheses, case and spacing outside quotes are set aside. PostgreSQL rewrites some
/// expressions further (`IN (...)` becomes `= ANY (ARRAY[...])`); a condition that only
/// differs that way shows as drift, which is why named check constraints compare by name.
pub fn same_condition(a: &str, b: &str) -> bool {
    normalize_sql(a, true) == normalize_sql(b, true)
}

/// Lower case and no whitespace outside quotes, `::type` casts removed, and with
/// `drop_parentheses` every parenthesis outside quotes removed.
fn normalize_sql(text: &str, drop_parentheses: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.trim().chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                let mut quoted = String::new();
                for inner in chars.by_ref() {
                    if inner == c {
                        break;
                    }
                    quoted.push(inner);
                }
                // `"reputation"` and `reputation` name one column (SQLite quotes the names
                // it rewrites); a name that needs its quotes keeps them.
                if c == '"' && !needs_quotes(&quoted) {
                    out.push_str(&quoted);
                } else {
                    out.push(c);
                    out.push_str(&quoted);
                    out.push(c);
                }
            }
            ':' if chars.peek() == Some(&':') => {
                chars.next();
                skip_cast_type(&mut chars);
            }
            '(' | ')' if drop_parentheses => {}
            c if c.is_whitespace() => {}
            c => out.push(c.to_ascii_lowercase()),
        }
    }
    out
}

/// Whether an identifier must be quoted to keep its spelling: anything but a lower-case
/// word of letters, digits and underscores not starting with a digit.
pub fn needs_quotes(name: &str) -> bool {
    let mut chars = name.chars();
    !matches!(chars.next(), Some(first) if first.is_ascii_lowercase() || first == '_')
        || !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// `condition` with the columns of `renames` (old, new) under their new names: bare and
/// quoted identifiers, not string literals nor function names.
pub fn rename_columns_in_sql(condition: &str, renames: &[(String, String)]) -> String {
    if renames.is_empty() {
        return condition.to_string();
    }
    let spell = |new: &str| {
        if needs_quotes(new) {
            format!("\"{}\"", new.replace('"', "\"\""))
        } else {
            new.to_string()
        }
    };
    let renamed = |name: &str| {
        renames
            .iter()
            .find(|(old, _)| old == name)
            .map(|(_, new)| new.as_str())
    };
    let chars: Vec<char> = condition.chars().collect();
    let mut out = String::with_capacity(condition.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' || c == '"' {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i] != c {
                i += 1;
            }
            let inner: String = chars[start + 1..i.min(chars.len())].iter().collect();
            i += 1;
            match renamed(&inner) {
                Some(new) if c == '"' => out.push_str(&spell(new)),
                _ => out.extend(&chars[start..i.min(chars.len())]),
            }
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let call = chars[i..].iter().find(|c| !c.is_whitespace()) == Some(&'(');
            // Unquoted, a name reads in lower case.
            match renamed(&word.to_lowercase()) {
                Some(new) if !call => out.push_str(&spell(new)),
                _ => out.push_str(&word),
            }
        } else if c.is_ascii_digit() {
            // A number such as `1e5` is no identifier.
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '.') {
                out.push(chars[i]);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Skips the type after `::`: words, spaces between words, a quoted name, `(n,m)` and `[]`.
fn skip_cast_type(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    let mut seen_word = false;
    loop {
        match chars.peek().copied() {
            Some(c) if c.is_alphanumeric() || c == '_' || c == '.' => {
                seen_word = true;
                chars.next();
            }
            Some('"') => {
                chars.next();
                for inner in chars.by_ref() {
                    if inner == '"' {
                        break;
                    }
                }
                seen_word = true;
            }
            Some('[') | Some(']') if seen_word => {
                chars.next();
            }
            Some(' ') if seen_word => {
                // A space continues the type only when a type word follows (`character varying`).
                let mut lookahead = chars.clone();
                lookahead.next();
                let next_word: String = lookahead
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let continues = matches!(
                    next_word.to_ascii_lowercase().as_str(),
                    "varying" | "precision" | "without" | "with" | "time" | "zone"
                );
                if continues {
                    chars.next();
                } else {
                    return;
                }
            }
            Some('(') if seen_word => {
                let mut lookahead = chars.clone();
                lookahead.next();
                let inside: String = lookahead.take_while(|c| *c != ')').collect();
                if inside
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == ',' || c == ' ')
                {
                    for _ in 0..inside.chars().count() + 2 {
                        chars.next();
                    }
                } else {
                    return;
                }
            }
            _ => return,
        }
    }
}

/// `(x)` -> `x` when the parentheses enclose the whole text.
fn strip_outer_parentheses(text: &str) -> String {
    let Some(inner) = text
        .strip_prefix('(')
        .and_then(|rest| rest.strip_suffix(')'))
    else {
        return text.to_string();
    };
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for c in inner.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth -= 1;
                if depth < 0 {
                    return text.to_string();
                }
            }
            _ => {}
        }
    }
    if depth == 0 {
        inner.to_string()
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mysql_column_types_read_into_the_vocabulary() {
        assert_eq!(mysql_type("int(11)"), ColumnType::Integer);
        assert_eq!(mysql_type("bigint(20)"), ColumnType::BigInt);
        assert_eq!(mysql_type("smallint(6)"), ColumnType::SmallInt);
        assert_eq!(mysql_type("tinyint(1)"), ColumnType::Boolean);
        assert_eq!(
            mysql_type("varchar(20)"),
            ColumnType::Varchar { length: Some(20) }
        );
        assert_eq!(
            mysql_type("datetime"),
            ColumnType::Timestamp { timezone: false }
        );
        assert_eq!(
            mysql_type("enum('a','it''s')"),
            ColumnType::Enum {
                name: String::new(),
                values: vec!["a".into(), "it's".into()]
            }
        );
        assert_eq!(
            mysql_type("int(10) unsigned"),
            ColumnType::Sql("int(10) unsigned".into())
        );
        let mysql = Dialect::Mysql;
        let numeric = ColumnType::Numeric {
            precision: Some(10),
            scale: Some(2),
        };
        assert!(same_type(mysql, &numeric, &mysql_type("decimal(10,2)")));
        assert!(same_type(mysql, &ColumnType::Json, &mysql_type("longtext")));
        let mood = |name: &str| ColumnType::Enum {
            name: name.into(),
            values: vec!["happy".into(), "sad".into()],
        };
        assert!(same_type(
            mysql,
            &mood("mood"),
            &mysql_type("enum('happy','sad')")
        ));
        assert!(!same_type(
            mysql,
            &mood("mood"),
            &mysql_type("enum('happy')")
        ));
        assert!(!same_type(mysql, &ColumnType::Integer, &ColumnType::BigInt));
    }

    #[test]
    fn types_compare_per_dialect() {
        let pg = Dialect::Postgresql;
        assert!(same_type(
            pg,
            &ColumnType::Numeric {
                precision: Some(8),
                scale: None
            },
            &ColumnType::Numeric {
                precision: Some(8),
                scale: Some(0)
            }
        ));
        assert!(same_type(
            pg,
            &ColumnType::Sql("VARCHAR(20)".into()),
            &ColumnType::Varchar { length: Some(20) }
        ));
        assert!(!same_type(
            pg,
            &ColumnType::Varchar { length: Some(20) },
            &ColumnType::Varchar { length: Some(21) }
        ));
        assert!(!same_type(pg, &ColumnType::Integer, &ColumnType::BigInt));
        let sqlite = Dialect::Sqlite;
        let mood = ColumnType::Enum {
            name: "mood".into(),
            values: vec!["happy".into(), "sad".into()],
        };
        assert!(same_type(sqlite, &sqlite_type("varchar(5)"), &mood));
        assert!(same_type(
            sqlite,
            &sqlite_type("INTEGER"),
            &ColumnType::Integer
        ));
        assert!(!same_type(
            sqlite,
            &sqlite_type("text"),
            &ColumnType::Integer
        ));
    }

    #[test]
    fn sqlite_declared_types_keep_their_spelling() {
        assert_eq!(sqlite_type("integer"), ColumnType::Integer);
        assert_eq!(
            sqlite_type("varchar(40)"),
            ColumnType::Varchar { length: Some(40) }
        );
        assert_eq!(sqlite_type("char(32)"), ColumnType::Sql("char(32)".into()));
        assert_eq!(sqlite_type("WEIRD"), ColumnType::Sql("WEIRD".into()));
    }

    #[test]
    fn defaults_compare_without_the_databases_rewriting() {
        assert!(same_default(
            Some("'draft'::character varying"),
            Some("'draft'")
        ));
        assert!(same_default(Some("'-1'::integer"), Some("-1")));
        assert!(same_default(
            Some("(datetime('now'))"),
            Some("datetime('now')")
        ));
        assert!(same_default(Some("now()"), Some("NOW()")));
        assert!(same_default(
            Some("'2020-01-01 00:00:00'::timestamp without time zone"),
            Some("'2020-01-01 00:00:00'")
        ));
        assert!(!same_default(Some("'Draft'"), Some("'draft'")));
        assert!(!same_default(Some("0"), None));
    }

    #[test]
    fn conditions_compare_without_parentheses_and_casts() {
        assert!(same_condition("(price > (0)::numeric)", "price > 0"));
        assert!(same_condition("(active = true)", "active = TRUE"));
        assert!(!same_condition("price > 0", "price >= 0"));
    }

    #[test]
    fn foreign_keys_read_absent_options_as_defaults() {
        let key = ForeignKey {
            name: None,
            columns: vec!["owner_id".into()],
            referent_schema: None,
            referent_table: "users".into(),
            referent_columns: vec!["id".into()],
            ondelete: None,
            onupdate: None,
            deferrable: None,
            initially: None,
            match_: None,
        };
        let reflected = ForeignKey {
            name: Some("things_owner_id_fkey".into()),
            ondelete: Some(ReferentialAction::NoAction),
            deferrable: Some(false),
            match_: Some(ForeignKeyMatch::Simple),
            ..key.clone()
        };
        assert!(key.same_definition(&reflected));
        let cascading = ForeignKey {
            ondelete: Some(ReferentialAction::Cascade),
            ..key.clone()
        };
        assert!(!key.same_definition(&cascading));
    }
}
