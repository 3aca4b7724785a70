//! The SQL dialects rmig speaks and how each spells identifiers.

use std::fmt;

use crate::identifier::{MaxNameLength, NameRules};

/// A database family, picked from the URL's scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    Postgresql,
    Sqlite,
}

impl Dialect {
    /// Every dialect rmig speaks, in a fixed order: what "every other dialect" means.
    pub const ALL: [Dialect; 2] = [Dialect::Postgresql, Dialect::Sqlite];

    /// Alembic prints BEGIN/COMMIT in `--sql` output only where DDL is transactional in its
    /// view; it counts SQLite as not, so its SQLite scripts have none.
    pub fn offline_transactions(self) -> bool {
        matches!(self, Dialect::Postgresql)
    }

    /// Quotes an identifier the way SQLAlchemy does: only when it must be (upper case,
    /// characters outside `[a-z0-9_$]`, a leading digit, or a reserved word).
    pub fn quote_identifier(self, name: &str) -> String {
        let plain = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
            && !RESERVED_WORDS.contains(&name);
        if plain {
            name.to_string()
        } else {
            format!("\"{}\"", name.replace('"', "\"\""))
        }
    }
}

impl Dialect {
    /// How long a name may be here: the longest the database keeps whole, and where
    /// SQLAlchemy's dialect cuts a naming convention's name (`max_identifier_length`).
    pub fn name_rules(self) -> NameRules {
        match self {
            Dialect::Postgresql => NameRules {
                max_length: MaxNameLength::Bytes {
                    max: 63,
                    database: self.product_name(),
                },
                convention_cut: 63,
            },
            // SQLite keeps names whole; SQLAlchemy's SQLite dialect keeps the default
            // `max_identifier_length` of 9999. MySQL and MariaDB, when rmig runs on them, refuse
            // names over 64 characters: a limit in characters, with SQLAlchemy's
            // `max_index_name_length` and `max_constraint_name_length` of 64 as the cut.
            Dialect::Sqlite => NameRules {
                max_length: MaxNameLength::Unlimited,
                convention_cut: 9999,
            },
        }
    }

    /// The database's own name, for messages.
    pub fn product_name(self) -> &'static str {
        match self {
            Dialect::Postgresql => "PostgreSQL",
            Dialect::Sqlite => "SQLite",
        }
    }

    /// A table name quoted for this dialect, schema-qualified when a schema is given.
    pub fn qualified_name(self, schema: Option<&str>, name: &str) -> String {
        match schema {
            Some(schema) => format!(
                "{}.{}",
                self.quote_identifier(schema),
                self.quote_identifier(name)
            ),
            None => self.quote_identifier(name),
        }
    }
}

/// A text literal in standard SQL form, the one SQLAlchemy renders: quotes doubled, nothing
/// else escaped (PostgreSQL's `standard_conforming_strings`, on since 9.1, and SQLite alike).
pub fn string_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::Postgresql => "postgresql",
            Dialect::Sqlite => "sqlite",
        })
    }
}

/// Words both dialects reserve that a version table or schema might plausibly be named.
const RESERVED_WORDS: [&str; 12] = [
    "all",
    "table",
    "select",
    "user",
    "order",
    "group",
    "from",
    "where",
    "check",
    "default",
    "primary",
    "references",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_where_needed() {
        let pg = Dialect::Postgresql;
        assert_eq!(pg.quote_identifier("alembic_version"), "alembic_version");
        assert_eq!(pg.quote_identifier("Versions"), "\"Versions\"");
        assert_eq!(pg.quote_identifier("user"), "\"user\"");
        assert_eq!(pg.quote_identifier("a\"b; drop"), "\"a\"\"b; drop\"");
        assert_eq!(pg.quote_identifier("1abc"), "\"1abc\"");
    }
}
