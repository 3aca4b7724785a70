//! The names the reference in `docs/` must cover, read from the definitions that accept them:
//! operation names and keys, column and constraint keys, column type names, `rmig.toml` keys,
//! the target schema file's keys and the lock report's rule names; and the exit statuses and
//! environment variables, which the man pages print from here. Pure: no I/O.
//!
//! Lists come from serde itself rather than from hand-kept copies: each type is handed a
//! table holding one key no definition uses, and serde's "unknown variant" or "unknown field"
//! error carries the full list of names it accepts. A key added to a struct is therefore in
//! these lists at once, and the docs test (`reference/docs_tests.rs`) fails until the docs
//! name it. The probing is test code (`reference/names.rs`).
//!
//! Exit statuses and environment variables have no definition to ask, so their tables here
//! are the one copy: `rmig man` prints them, docs/ is held to name each, and the test scans
//! the sources for a variable read that the table lacks.

use crate::error::{EXIT_BAD_INPUT, EXIT_BLOCKED, EXIT_FAILED, EXIT_LOCKS, EXIT_PENDING};

#[cfg(test)]
mod docs_tests;
#[cfg(test)]
mod names;

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
pub const ENVIRONMENT: [EnvironmentVariable; 33] = [
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
        meaning: "Any value but empty: no colour, even on a terminal or with CLICOLOR_FORCE.",
    },
    EnvironmentVariable {
        name: "CLICOLOR_FORCE",
        meaning: "Any value but empty (0 too): colour even when the output is not a terminal, unless NO_COLOR is set.",
    },
    EnvironmentVariable {
        name: "CLICOLOR",
        meaning: "0: no colour, even on a terminal. Any other value: colour on a terminal even when TERM is unset.",
    },
    EnvironmentVariable {
        name: "TERM",
        meaning: "Unset or dumb: no colour, unless CLICOLOR (not 0) or CI is set, or CLICOLOR_FORCE.",
    },
    EnvironmentVariable {
        name: "CI",
        meaning: "Set, to any value: colour on a terminal even when TERM is unset or dumb (a CI runner's pseudo-terminal); never in a pipe or a file.",
    },
    EnvironmentVariable {
        name: "RMIG_LOG",
        meaning: "error, warn, info, debug or trace: the library's tracing events at that level and above, on standard error beside the usual output (which stays as it is). Unset or empty: none. Any other value is bad input (exit 2).",
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
    use super::names::*;

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
