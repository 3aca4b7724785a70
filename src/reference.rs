//! The names the reference in `docs/` must cover, read from the definitions that accept them:
//! operation names and keys, column and constraint keys, column type names, `rmig.toml` keys,
//! the target schema file's keys and the lock report's rule names; and the exit statuses and
//! environment variables, which the man pages print from here. Pure: no I/O.
//!
//! Lists come from serde itself rather than from hand-kept copies: each type is handed a
//! table holding one key no definition uses, and serde's "unknown variant" or "unknown field"
//! error carries the full list of names it accepts. A key added to a struct is therefore in
//! these lists at once, and `tests/docs_reference.rs` fails until the docs name it.
//!
//! Exit statuses and environment variables have no definition to ask, so their tables here
//! are the one copy: `rmig man` prints them, docs/ is held to name each, and the test scans
//! the sources for a variable read that the table lacks.

use std::fmt;

use serde::de::{self, value::MapDeserializer, Deserialize};

use crate::autogen::{EnumEntry, IndexEntry, SchemaDocument, TableEntry};
use crate::config::ConfigFile;
use crate::error::{EXIT_BAD_INPUT, EXIT_BLOCKED, EXIT_FAILED, EXIT_LOCKS, EXIT_PENDING};
use crate::locks::Rule;
use crate::ops::{
    Column, ColumnForeignKey, Identity, IndexElement, Operation, TableConstraint, TypeTable,
    TYPE_NAMES,
};

/// A key no definition accepts, so that serde answers with the keys it does accept.
const PROBE: &str = "\u{0}probe";

/// The error a probe ends with: the accepted names serde listed, or something else.
#[derive(Debug)]
enum Probe {
    Variants(&'static [&'static str]),
    Fields(&'static [&'static str]),
    Other(String),
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Probe::Variants(names) | Probe::Fields(names) => write!(f, "{}", names.join(", ")),
            Probe::Other(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Probe {}

impl de::Error for Probe {
    fn custom<T: fmt::Display>(message: T) -> Probe {
        Probe::Other(message.to_string())
    }

    fn unknown_variant(_: &str, expected: &'static [&'static str]) -> Probe {
        Probe::Variants(expected)
    }

    fn unknown_field(_: &str, expected: &'static [&'static str]) -> Probe {
        Probe::Fields(expected)
    }
}

/// What serde answers when `T` is read from a table of `entries` (keys and string values).
fn probe<'de, T: Deserialize<'de>>(entries: &[(&'de str, &'de str)]) -> Probe {
    let table = MapDeserializer::<_, Probe>::new(entries.iter().copied());
    match T::deserialize(table) {
        Ok(_) => Probe::Other("the probe key was accepted".to_string()),
        Err(answer) => answer,
    }
}

/// serde answered a probe with something other than the list of names it accepts: the
/// type no longer rejects unknown keys, so its keys cannot be listed (nor typos caught).
#[derive(Debug, thiserror::Error)]
#[error("{what} did not list its accepted names when probed ({answer}); does it still reject unknown keys?")]
pub struct ReferenceError {
    what: String,
    answer: String,
}

/// The keys `T` accepts: every key of a struct that rejects unknown keys.
fn keys<'de, T: Deserialize<'de>>(
    what: &str,
    entries: &[(&'de str, &'de str)],
) -> Result<Vec<&'static str>, ReferenceError> {
    match probe::<T>(entries) {
        Probe::Fields(fields) => Ok(fields.to_vec()),
        other => Err(ReferenceError {
            what: what.to_string(),
            answer: other.to_string(),
        }),
    }
}

/// The tag values of an internally tagged enum.
fn tags<'de, T: Deserialize<'de>>(
    what: &str,
    tag: &'de str,
) -> Result<Vec<&'static str>, ReferenceError> {
    match probe::<T>(&[(tag, PROBE)]) {
        Probe::Variants(variants) => Ok(variants.to_vec()),
        other => Err(ReferenceError {
            what: what.to_string(),
            answer: other.to_string(),
        }),
    }
}

/// Every `op` name, in the order `Operation` declares them.
pub fn operation_names() -> Result<Vec<&'static str>, ReferenceError> {
    tags::<Operation>("an operation", "op")
}

/// The keys of one operation, `op` aside.
pub fn operation_keys(op: &str) -> Result<Vec<&'static str>, ReferenceError> {
    keys::<Operation>(op, &[("op", op), (PROBE, "")])
}

/// The keys of a column (`create_table`'s `columns`, `add_column`'s `column`), of its
/// `foreign_key` and `identity` tables, of a type table (`{ enum = ..., values = [...] }`,
/// `{ array = ... }`) and of an index's expression element.
pub fn column_keys() -> Result<Vec<&'static str>, ReferenceError> {
    let mut found = keys::<Column>("a column", &[(PROBE, "")])?;
    found.extend(keys::<ColumnForeignKey>(
        "a column's foreign_key",
        &[(PROBE, "")],
    )?);
    found.extend(keys::<Identity>("a column's identity", &[(PROBE, "")])?);
    found.extend(keys::<TypeTable>("a type table", &[(PROBE, "")])?);
    found.extend(keys::<IndexElement>("an index element", &[(PROBE, "")])?);
    Ok(found)
}

/// The `type` values of `create_table`'s `constraints`, each with its keys.
pub fn table_constraint_keys() -> Result<Vec<(&'static str, Vec<&'static str>)>, ReferenceError> {
    tags::<TableConstraint>("a table constraint", "type")?
        .into_iter()
        .map(|kind| {
            let found = keys::<TableConstraint>(kind, &[("type", kind), (PROBE, "")])?;
            Ok((kind, found))
        })
        .collect()
}

/// Every key of `rmig.toml`.
pub fn config_keys() -> Result<Vec<&'static str>, ReferenceError> {
    keys::<ConfigFile>("rmig.toml", &[(PROBE, "")])
}

/// Every key of the target schema file (`schema.toml`): the document's, a table's, an
/// index's and an enum's. A table's columns take `column_keys` plus `renamed_from`.
pub fn schema_file_keys() -> Result<Vec<&'static str>, ReferenceError> {
    let mut found = keys::<SchemaDocument>("the target schema file", &[(PROBE, "")])?;
    found.extend(keys::<TableEntry>("a target schema table", &[(PROBE, "")])?);
    found.extend(keys::<IndexEntry>("a target schema index", &[(PROBE, "")])?);
    found.extend(keys::<EnumEntry>("a target schema enum", &[(PROBE, "")])?);
    Ok(found)
}

/// Every rule name of the lock report (`check --lint`, docs/locks.md).
pub fn lock_rule_names() -> Vec<&'static str> {
    Rule::ALL.iter().map(|rule| rule.name()).collect()
}

/// Every column type name `type` takes, arguments aside.
pub fn column_type_names() -> Vec<&'static str> {
    TYPE_NAMES.to_vec()
}

/// An exit status of `rmig` and when it is given (docs/exit-codes.md).
#[derive(Debug, Clone, Copy)]
pub struct ExitStatus {
    pub code: i32,
    pub meaning: &'static str,
}

/// Every exit status, in order.
pub const EXIT_STATUSES: [ExitStatus; 6] = [
    ExitStatus {
        code: 0,
        meaning: "Done; for check, nothing pending and no drift.",
    },
    ExitStatus {
        code: EXIT_FAILED,
        meaning: "The database or a migration failed: a connection, a statement, a commit, a lock or reply timeout; the failed step was rolled back where the database has transactional DDL. With --url-file: a database failed.",
    },
    ExitStatus {
        code: EXIT_BAD_INPUT,
        meaning: "Bad input, found before any database work: the command line, the config file, a revision file, an unknown or ambiguous revision, a URL; also check --strict finding an edited revision.",
    },
    ExitStatus {
        code: EXIT_BLOCKED,
        meaning: "Blocked by the destructive-operation guard: nothing unconfirmed ran. check --lint: an upgrade operation is not confirmed.",
    },
    ExitStatus {
        code: EXIT_PENDING,
        meaning: "check found pending revisions or drift from the target schema; current --check-heads found revisions still to apply.",
    },
    ExitStatus {
        code: EXIT_LOCKS,
        meaning: "check --lint --strict found a statement that holds an existing table's reads or writes while it scans or rewrites it (and no unconfirmed data loss, which gives 3).",
    },
];

/// An environment variable `rmig` reads and what it does (docs/environment.md).
#[derive(Debug, Clone, Copy)]
pub struct EnvironmentVariable {
    pub name: &'static str,
    pub meaning: &'static str,
}

/// Every environment variable `rmig` reads. The `PG*` ones are libpq's, read as libpq reads
/// them: for a PostgreSQL URL, each gives its parameter's value when the URL does not.
pub const ENVIRONMENT: [EnvironmentVariable; 29] = [
    EnvironmentVariable {
        name: "RMIG_URL",
        meaning: "The database URL, below --url and above DATABASE_URL.",
    },
    EnvironmentVariable {
        name: "DATABASE_URL",
        meaning: "The database URL, below RMIG_URL and above the config file's url.",
    },
    EnvironmentVariable {
        name: "ALEMBIC_CONFIG",
        meaning: "The config file to read when -c is not given and there is no ./rmig.toml, as Alembic reads it.",
    },
    EnvironmentVariable {
        name: "PGHOST",
        meaning: "The host name, IP address or Unix socket folder (libpq's host). When no URL comes from --url, RMIG_URL, DATABASE_URL or the config file, PGHOST, PGHOSTADDR or PGDATABASE being set makes rmig connect to PostgreSQL with the PG variables alone.",
    },
    EnvironmentVariable {
        name: "PGHOSTADDR",
        meaning: "The server's IP address, looked up no further (libpq's hostaddr). Set with no URL, it connects as PGHOST says.",
    },
    EnvironmentVariable {
        name: "PGPORT",
        meaning: "The port (libpq's port; default 5432).",
    },
    EnvironmentVariable {
        name: "PGDATABASE",
        meaning: "The database name (libpq's dbname; default the user name). Set with no URL, it connects as PGHOST says.",
    },
    EnvironmentVariable {
        name: "PGUSER",
        meaning: "The user name (libpq's user; default the operating system user's).",
    },
    EnvironmentVariable {
        name: "PGPASSWORD",
        meaning: "The password (libpq's password). Other users of the machine may see a process's environment: a password file is safer.",
    },
    EnvironmentVariable {
        name: "PGPASSFILE",
        meaning: "The password file to read instead of ~/.pgpass when the URL has no password (libpq's passfile).",
    },
    EnvironmentVariable {
        name: "PGSSLMODE",
        meaning: "disable, prefer (the default), require, verify-ca or verify-full (libpq's sslmode).",
    },
    EnvironmentVariable {
        name: "PGSSLROOTCERT",
        meaning: "The certificates verify-ca and verify-full check the server's against, instead of ~/.postgresql/root.crt (libpq's sslrootcert).",
    },
    EnvironmentVariable {
        name: "PGSSLCERT",
        meaning: "The client certificate, instead of ~/.postgresql/postgresql.crt (libpq's sslcert).",
    },
    EnvironmentVariable {
        name: "PGSSLKEY",
        meaning: "The client certificate's key, instead of ~/.postgresql/postgresql.key (libpq's sslkey).",
    },
    EnvironmentVariable {
        name: "PGAPPNAME",
        meaning: "The application_name the server shows for the session (libpq's application_name).",
    },
    EnvironmentVariable {
        name: "PGCONNECT_TIMEOUT",
        meaning: "How long the whole connection may take, in whole seconds (libpq's connect_timeout; default 10).",
    },
    EnvironmentVariable {
        name: "PGTARGETSESSIONATTRS",
        meaning: "Which of several hosts to keep, e.g. read-write (libpq's target_session_attrs).",
    },
    EnvironmentVariable {
        name: "PGCHANNELBINDING",
        meaning: "disable, prefer or require SCRAM channel binding (libpq's channel_binding).",
    },
    EnvironmentVariable {
        name: "PGOPTIONS",
        meaning: "Server settings for the session, e.g. -c search_path=app (libpq's options).",
    },
    EnvironmentVariable {
        name: "USER",
        meaning: "The PostgreSQL user when neither the URL nor PGUSER names one, as libpq takes the login name.",
    },
    EnvironmentVariable {
        name: "LOGNAME",
        meaning: "The PostgreSQL user when neither the URL, PGUSER nor USER names one.",
    },
    EnvironmentVariable {
        name: "HOME",
        meaning: "Where libpq's default files are: ~/.pgpass (read when the URL has no password; ignored, and the connection error says so, when group or world can read it), ~/.postgresql/root.crt, postgresql.crt and postgresql.key. Also where the revision cache goes last: ~/.cache/rmig.",
    },
    EnvironmentVariable {
        name: "RMIG_CACHE_DIR",
        meaning: "Where the revision cache goes (revision folders of 256 files or more). Point it only at a folder no one else can write.",
    },
    EnvironmentVariable {
        name: "XDG_CACHE_HOME",
        meaning: "The revision cache goes to $XDG_CACHE_HOME/rmig when RMIG_CACHE_DIR is not set.",
    },
    EnvironmentVariable {
        name: "RMIG_NO_CACHE",
        meaning: "Set, to any value: no revision cache; every revision file is read every run.",
    },
    EnvironmentVariable {
        name: "NO_COLOR",
        meaning: "Any value but empty: no colour, even on a terminal.",
    },
    EnvironmentVariable {
        name: "TERM",
        meaning: "dumb: no colour.",
    },
    EnvironmentVariable {
        name: "EDITOR",
        meaning: "What rmig edit opens a revision file with, run through sh (so EDITOR=\"code --wait\" works).",
    },
    EnvironmentVariable {
        name: "VISUAL",
        meaning: "What rmig edit opens a revision file with when EDITOR is unset or empty.",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_are_every_op() {
        let names = operation_names().unwrap();
        assert!(names.contains(&"create_table") && names.contains(&"bulk_insert"));
        assert_eq!(names.len(), 22, "{names:?}");
    }

    #[test]
    fn operation_keys_include_renamed_and_try_from_fields() {
        assert!(operation_keys("create_index").unwrap().contains(&"where"));
        assert!(operation_keys("alter_column")
            .unwrap()
            .contains(&"existing_sql_type"));
        assert!(operation_keys("execute")
            .unwrap()
            .contains(&"confirm_data_loss"));
    }

    #[test]
    fn column_keys_are_the_file_spelling() {
        let keys = column_keys().unwrap();
        assert!(
            keys.contains(&"type") && keys.contains(&"sql_type"),
            "{keys:?}"
        );
    }

    #[test]
    fn constraint_kinds_list_their_keys() {
        let kinds = table_constraint_keys().unwrap();
        let foreign = kinds.iter().find(|(kind, _)| *kind == "foreign_key");
        assert!(foreign.is_some_and(|(_, keys)| keys.contains(&"referent_table")));
    }

    #[test]
    fn config_keys_include_history_table() {
        assert!(config_keys().unwrap().contains(&"history_table"));
    }

    #[test]
    fn schema_file_keys_include_renamed_from() {
        assert!(schema_file_keys().unwrap().contains(&"renamed_from"));
    }
}
