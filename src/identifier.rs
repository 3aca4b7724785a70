//! What a name rmig gives the database (a table, column, index, constraint, schema, sequence or
//! type, in a revision file or in `rmig.toml`) must be, checked before any database work:
//!
//! - not empty: SQLite takes `""` as a table name, PostgreSQL refuses it only mid-run;
//! - no whitespace at either end: `confirm_data_loss` and `--allow-data-loss` read their
//!   values trimmed (and split at commas), so a table `" lead"` could never be confirmed, and
//!   no tool writes such names on purpose; a name with edge whitespace is far likelier a typo
//!   than a wish, so it is refused rather than matched exactly;
//! - at most [`MAX_BYTES`] bytes: PostgreSQL cuts longer names to 63 bytes, so two names that
//!   agree that far would be one object, and the guard would look for a name that does not
//!   exist; refused on every database, so that a revision runs the same on each;
//! - no NUL character, which neither database can hold in a name.

/// The longest name PostgreSQL keeps (`NAMEDATALEN - 1`), in bytes.
pub const MAX_BYTES: usize = 63;

/// Why a name was refused; `key` is where the file sets it (`table_name`, `columns[2].name`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("`{key}` is empty; write the name it stands for")]
    Empty { key: String },
    #[error("`{key}` '{name}' begins or ends with whitespace, which no confirmation can spell; remove it")]
    EdgeWhitespace { key: String, name: String },
    #[error("`{key}` '{name}' is {} bytes long; PostgreSQL keeps only the first {MAX_BYTES} bytes of a name, so shorten it to {MAX_BYTES} or fewer", name.len())]
    TooLong { key: String, name: String },
    #[error("`{key}` holds a NUL character, which no database takes in a name")]
    Nul { key: String },
}

/// Checks one name set at `key`.
pub fn check(key: impl FnOnce() -> String, name: &str) -> Result<(), NameError> {
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
    if name.len() > MAX_BYTES {
        return Err(NameError::TooLong {
            key: key(),
            name: name.to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(name: &str) -> Result<(), NameError> {
        check(|| "table_name".to_string(), name)
    }

    #[test]
    fn names() {
        assert!(at("user_profiles").is_ok());
        assert!(at("with space inside").is_ok());
        assert!(at(&"x".repeat(63)).is_ok());
        assert!(at(&"é".repeat(31)).is_ok());
        assert!(matches!(at(""), Err(NameError::Empty { .. })));
        assert!(matches!(at(" lead"), Err(NameError::EdgeWhitespace { .. })));
        assert!(matches!(
            at("lead\t"),
            Err(NameError::EdgeWhitespace { .. })
        ));
        assert!(matches!(at("a\0b"), Err(NameError::Nul { .. })));
        let error = at(&"é".repeat(32)).unwrap_err().to_string();
        assert!(
            error.contains("64 bytes") && error.contains("table_name"),
            "{error}"
        );
    }
}
