//! The SQL dialects rmig speaks and how each spells identifiers.

use std::fmt;

use crate::identifier::{MaxNameLength, NameRules};

/// A database family, picked from the URL's scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    Postgresql,
    Sqlite,
    /// MySQL and MariaDB: one dialect, as in SQLAlchemy; where the two differ (dropping a
    /// CHECK constraint) the backend asks the server which it is.
    Mysql,
}

impl Dialect {
    /// Every dialect rmig speaks, in a fixed order: what "every other dialect" means.
    pub const ALL: [Dialect; 3] = [Dialect::Postgresql, Dialect::Sqlite, Dialect::Mysql];

    /// Alembic prints BEGIN/COMMIT in `--sql` output only where DDL is transactional in its
    /// view; it counts SQLite and MySQL as not, so their scripts have none.
    pub fn offline_transactions(self) -> bool {
        matches!(self, Dialect::Postgresql)
    }

    /// Whether DDL runs inside a transaction that can still roll it back. MySQL and MariaDB
    /// commit around every DDL statement, so a step there cannot be undone as a whole and
    /// its effects cannot be checked before a commit: the guard judges it before it runs.
    pub fn transactional_ddl(self) -> bool {
        !matches!(self, Dialect::Mysql)
    }

    /// The character that quotes an identifier: a double quote, MySQL's backtick.
    pub fn identifier_quote(self) -> char {
        match self {
            Dialect::Postgresql | Dialect::Sqlite => '"',
            Dialect::Mysql => '`',
        }
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
            let quote = self.identifier_quote();
            let doubled = format!("{quote}{quote}");
            format!("{quote}{}{quote}", name.replace(quote, &doubled))
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
            // `max_identifier_length` of 9999.
            Dialect::Sqlite => NameRules {
                max_length: MaxNameLength::Unlimited,
                convention_cut: 9999,
            },
            // MySQL and MariaDB refuse names over 64 characters (not bytes), with
            // SQLAlchemy's `max_identifier_length` of 64 as the cut.
            Dialect::Mysql => NameRules {
                max_length: MaxNameLength::Chars {
                    max: 64,
                    database: self.product_name(),
                },
                convention_cut: 64,
            },
        }
    }

    /// The database's own name, for messages.
    pub fn product_name(self) -> &'static str {
        match self {
            Dialect::Postgresql => "PostgreSQL",
            Dialect::Sqlite => "SQLite",
            Dialect::Mysql => "MySQL/MariaDB",
        }
    }

    /// The Cargo feature that builds rmig's connection to this database.
    pub fn feature(self) -> &'static str {
        match self {
            Dialect::Postgresql => "postgres",
            Dialect::Sqlite => "sqlite",
            Dialect::Mysql => "mysql",
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

/// A text literal for `dialect`: MySQL also reads a backslash as an escape (unless the
/// session sets `NO_BACKSLASH_ESCAPES`), so there it is doubled too, as SQLAlchemy's MySQL
/// dialect does.
pub fn string_literal_in(dialect: Dialect, text: &str) -> String {
    match dialect {
        Dialect::Mysql => string_literal(&text.replace('\\', "\\\\")),
        Dialect::Postgresql | Dialect::Sqlite => string_literal(text),
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::Postgresql => "postgresql",
            Dialect::Sqlite => "sqlite",
            Dialect::Mysql => "mysql",
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
        let mysql = Dialect::Mysql;
        assert_eq!(mysql.quote_identifier("alembic_version"), "alembic_version");
        assert_eq!(mysql.quote_identifier("Versions"), "`Versions`");
        assert_eq!(mysql.quote_identifier("a`b"), "`a``b`");
    }

    #[test]
    fn mysql_literals_escape_backslashes() {
        assert_eq!(string_literal_in(Dialect::Mysql, r"a\'b"), r"'a\\''b'");
        assert_eq!(string_literal_in(Dialect::Postgresql, r"a\'b"), r"'a\''b'");
    }
}
