//! What a name rmig gives the database (a table, column, index, constraint, schema, sequence or
//! type, in a revision file or in `rmig.toml`) must be, checked before any database work.
//!
//! On every database:
//! - not empty: SQLite takes `""` as a table name, PostgreSQL refuses it only mid-run;
//! - no whitespace at either end: `confirm_data_loss` and `--allow-data-loss` read their
//!   values trimmed (and split at commas), so a table `" lead"` could never be confirmed, and
//!   no tool writes such names on purpose; a name with edge whitespace is far likelier a typo
//!   than a wish, so it is refused rather than matched exactly;
//! - no NUL character, which no database can hold in a name.
//!
//! And no longer than the database it runs on keeps ([`NameRules`], from
//! `Dialect::name_rules`): PostgreSQL cuts longer names to 63 bytes without a word, so two
//! names that agree that far would be one object, and the guard would look for a name that
//! does not exist; MySQL and MariaDB refuse names over 64 characters; SQLite keeps names of
//! any length, and SQLite-only histories use them.

/// The longest name a database keeps whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxNameLength {
    /// The database cuts longer names to `max` bytes (PostgreSQL's `NAMEDATALEN - 1`).
    Bytes { max: usize, database: &'static str },
    /// The database refuses names longer than `max` characters (MySQL and MariaDB: 64).
    Chars { max: usize, database: &'static str },
    /// The database keeps every name whole (SQLite).
    Unlimited,
}

/// The length rules of the database revisions are read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameRules {
    /// The longest name a revision may write.
    pub max_length: MaxNameLength,
    /// SQLAlchemy's `max_identifier_length` for the dialect, in characters: a naming
    /// convention's (or `op.f`'s) name longer than this is cut, as SQLAlchemy cuts it.
    pub convention_cut: usize,
}

/// Why a name was refused; `key` is where the file sets it (`table_name`, `columns[2].name`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("`{key}` is empty; write the name it stands for")]
    Empty { key: String },
    #[error("`{key}` '{name}' begins or ends with whitespace, which no confirmation can spell; remove it")]
    EdgeWhitespace { key: String, name: String },
    #[error("`{key}` '{name}' is {} bytes long; {database} keeps only the first {max} bytes of a name, so shorten it to {max} or fewer", name.len())]
    TooLong {
        key: String,
        name: String,
        max: usize,
        database: &'static str,
    },
    #[error("`{key}` '{name}' is {} characters long; {database} refuses names over {max} characters, so shorten it to {max} or fewer", name.chars().count())]
    TooManyChars {
        key: String,
        name: String,
        max: usize,
        database: &'static str,
    },
    #[error("`{key}` holds a NUL character, which no database takes in a name")]
    Nul { key: String },
}

/// Checks one name set at `key` against the rules of every database and `max_length`.
pub fn check(
    key: impl FnOnce() -> String,
    name: &str,
    max_length: MaxNameLength,
) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty { key: key() });
    }
    if name.contains('\0') {
        return Err(NameError::Nul { key: key() });
    }
    if name.starts_with(char::is_whitespace) || name.ends_with(char::is_whitespace) {
        return Err(NameError::EdgeWhitespace {
            key: key(),
            name: name.to_string(),
        });
    }
    match max_length {
        MaxNameLength::Bytes { max, database } if name.len() > max => Err(NameError::TooLong {
            key: key(),
            name: name.to_string(),
            max,
            database,
        }),
        MaxNameLength::Chars { max, database } if name.chars().count() > max => {
            Err(NameError::TooManyChars {
                key: key(),
                name: name.to_string(),
                max,
                database,
            })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect;

    fn on(dialect: Dialect, name: &str) -> Result<(), NameError> {
        check(
            || "table_name".to_string(),
            name,
            dialect.name_rules().max_length,
        )
    }

    #[test]
    fn names_every_database_refuses() {
        for dialect in Dialect::ALL {
            assert!(on(dialect, "user_profiles").is_ok());
            assert!(on(dialect, "with space inside").is_ok());
            assert!(matches!(on(dialect, ""), Err(NameError::Empty { .. })));
            assert!(matches!(
                on(dialect, " lead"),
                Err(NameError::EdgeWhitespace { .. })
            ));
            assert!(matches!(
                on(dialect, "lead\t"),
                Err(NameError::EdgeWhitespace { .. })
            ));
            assert!(matches!(on(dialect, "a\0b"), Err(NameError::Nul { .. })));
        }
    }

    #[test]
    fn postgresql_refuses_names_over_63_bytes_and_sqlite_keeps_them() {
        let pg = Dialect::Postgresql;
        assert!(on(pg, &"x".repeat(63)).is_ok());
        assert!(on(pg, &"é".repeat(31)).is_ok());
        let error = on(pg, &"é".repeat(32)).unwrap_err().to_string();
        assert!(
            error.contains("64 bytes")
                && error.contains("table_name")
                && error.contains("PostgreSQL keeps only the first 63 bytes"),
            "{error}"
        );
        assert!(on(Dialect::Sqlite, &"é".repeat(32)).is_ok());
        assert!(on(Dialect::Sqlite, &"x".repeat(10_000)).is_ok());
    }

    #[test]
    fn mysql_refuses_names_over_64_characters() {
        let mysql = Dialect::Mysql;
        assert!(on(mysql, &"é".repeat(64)).is_ok());
        let error = on(mysql, &"é".repeat(65)).unwrap_err().to_string();
        assert!(
            error.contains("65 characters") && error.contains("MySQL/MariaDB refuses"),
            "{error}"
        );
    }
}
