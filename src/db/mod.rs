//! Database backends: one small trait the executor drives, one file per database.
//!
//! A backend runs SQL text or bound statements, brackets them in transactions, reads the
//! version rows, and takes the run lock. Everything Alembic-specific (which rows change, in
//! what order) stays in the planner and the executor, so a new database is one small file.

mod libpq;
#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "mysql")]
mod mysql_url;
#[cfg(all(feature = "postgres", feature = "async"))]
pub(crate) mod pg_remote;
#[cfg(feature = "postgres")]
mod pg_session;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "postgres")]
mod postgres_url;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "postgres")]
mod tls;
mod url;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod watch;

use std::time::Duration;

pub use self::libpq::SERVER_VARIABLES;
#[cfg(feature = "mysql")]
pub use self::mysql::MysqlBackend;
#[cfg(feature = "mysql")]
pub use self::mysql_url::MysqlUrl;
#[cfg(feature = "postgres")]
pub(crate) use self::pg_session::Client as PgClient;
#[cfg(feature = "postgres")]
pub use self::postgres::PostgresBackend;
#[cfg(feature = "postgres")]
pub use self::postgres_url::PostgresUrl;
#[cfg(feature = "sqlite")]
pub use self::sqlite::SqliteBackend;
pub use self::url::{redact_url, ConnectOptions, SqliteTarget};

use crate::config::dialect_of_url;
use crate::dialect::Dialect;
use crate::ops::ScalarValue;
use crate::version_table::VersionTable;

/// Why a caller's connection inside a transaction is refused (`Migrator::upgrade_on`).
#[cfg(any(feature = "postgres", feature = "sqlite"))]
const CALLER_IN_TRANSACTION: &str = "the connection is inside a transaction; rmig runs each step in a transaction of its own and would commit yours with it: commit or roll it back first";

/// What went wrong talking to the database. Messages never carry a password.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database URL {url} is not valid: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("cannot connect to {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("`{}` failed: {message}", sql_for_message(sql))]
    Statement {
        sql: String,
        message: String,
        /// It gave up waiting for another session's lock (`lock_timeout`, PostgreSQL's
        /// SQLSTATE 55P03, MySQL's error 1205): what it did was rolled back, and running it
        /// again may succeed.
        lock_timed_out: bool,
    },
    #[error("another rmig run holds the migration lock on {table}; gave up after {:.1} s (raise --lock-timeout or wait for it to finish)", waited.as_secs_f64())]
    LockTimeout { table: String, waited: Duration },
    /// A table rmig would write to exists but is not the one rmig made (a configured name
    /// that collides with an application's table): nothing is changed in it.
    #[error("{table} is not rmig's {role} (it has no column {missing}); name a table of its own in rmig.toml")]
    ForeignTable {
        table: String,
        role: &'static str,
        missing: &'static str,
    },
    #[error("{0}")]
    Other(String),
}

impl DbError {
    /// Whether a statement gave up waiting for another session's lock.
    pub fn is_lock_timeout(&self) -> bool {
        matches!(
            self,
            DbError::Statement {
                lock_timed_out: true,
                ..
            }
        )
    }
}

/// SQL as an error quotes it: on one line (the message is one line), cut after 200
/// characters (fault tests: `statement_timeout_stops_the_step_and_rolls_it_back`).
fn sql_for_message(sql: &str) -> String {
    let joined = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    match joined.char_indices().nth(200) {
        Some((at, _)) => format!("{}...", &joined[..at]),
        None => joined,
    }
}

/// A column of a live table, as the database spells it.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveColumn {
    pub name: String,
    /// The type as the catalog prints it (`character varying(20)`, `VARCHAR(20)`).
    pub type_name: String,
    pub nullable: bool,
    /// The default expression's SQL text.
    pub default: Option<String>,
}

/// A connection rmig migrates through.
pub trait Backend {
    fn dialect(&self) -> Dialect;

    /// Takes the lock that keeps concurrent runs apart, waiting at most `timeout`.
    fn lock(&mut self, table: &VersionTable, timeout: Duration) -> Result<(), DbError>;

    fn unlock(&mut self, table: &VersionTable) -> Result<(), DbError>;

    /// Starts a transaction; on SQLite it takes the write lock at once.
    fn begin(&mut self) -> Result<(), DbError>;

    fn commit(&mut self) -> Result<(), DbError>;

    fn rollback(&mut self) -> Result<(), DbError>;

    /// Runs SQL text that may hold several statements and returns no rows.
    fn batch(&mut self, sql: &str) -> Result<(), DbError>;

    /// Runs exactly one statement without parameters, refusing text that holds a second one:
    /// how the statements rmig renders for typed operations run, so that SQL a revision pasted
    /// into one cannot start another. One round trip where the database has round trips.
    fn execute_one(&mut self, sql: &str) -> Result<(), DbError>;

    /// Runs one statement with `$1`-style parameters and returns the rows it changed.
    fn execute(&mut self, sql: &str, params: &[ScalarValue]) -> Result<u64, DbError>;

    /// Starts a transaction and reads a query's first column, in one round trip where the
    /// database has round trips: each step of a run starts this way.
    fn begin_and_query(&mut self, select: &str) -> Result<Vec<String>, DbError> {
        self.begin()?;
        self.query_strings(select, &[])
    }

    /// Runs statements without parameters (their values are escaped literals) and returns the
    /// rows each changed: each step of a run records its version rows and audit row this way,
    /// in one round trip where the database has round trips.
    fn execute_script(&mut self, statements: &[String]) -> Result<Vec<u64>, DbError> {
        let mut counts = Vec::with_capacity(statements.len());
        for statement in statements {
            counts.push(self.execute(statement, &[])?);
        }
        Ok(counts)
    }

    /// `execute_script`, then a query's first column, in one round trip where the database
    /// has round trips: in one transaction, a step's version change and the read of the rows
    /// the next step starts from (issue 8).
    fn execute_script_and_query(
        &mut self,
        statements: &[String],
        select: &str,
    ) -> Result<(Vec<u64>, Vec<String>), DbError> {
        let counts = self.execute_script(statements)?;
        Ok((counts, self.query_strings(select, &[])?))
    }

    /// Commits, starts the next transaction and reads a query's first column in it, in one
    /// round trip where the database has round trips: the end of one step and the start of
    /// the next (issue 8). When it fails, the commit may or may not have happened.
    fn commit_and_begin_query(&mut self, select: &str) -> Result<Vec<String>, DbError> {
        self.commit()?;
        self.begin_and_query(select)
    }

    /// Runs a query whose first column is text.
    fn query_strings(&mut self, sql: &str, params: &[ScalarValue]) -> Result<Vec<String>, DbError>;

    /// Runs a query whose first column is an integer count.
    fn query_count(&mut self, sql: &str) -> Result<u64, DbError>;

    /// Runs a query (no parameters) and returns every row whole, each value in its text form:
    /// `None` for NULL, numbers in decimal, text as stored. PostgreSQL gives every value as the
    /// server prints it; SQLite a real always with its point or exponent (`-2.0`), a blob as
    /// lower-case hex. For reading catalogs and PRAGMAs, such as the table definition a SQLite
    /// rebuild starts from.
    fn query_rows(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, DbError>;

    /// Starts watching the tables that exist now (but `excluded`, rmig's own tables) for what
    /// later statements do to them, for the guard's check of each step's effects; nothing when
    /// already watching. A rollback ends the watch.
    fn watch_effects(&mut self, excluded: &[&str]) -> Result<(), DbError>;

    /// What the statements since the last call did to the watched tables, as the database
    /// itself records it: tables and columns gone, types changed, rows deleted or updated,
    /// storage replaced, sequences set back.
    fn observed_effects(&mut self) -> Result<Vec<crate::guard::Observed>, DbError>;

    /// Whether the database runs code of its own around every statement (PostgreSQL's event
    /// triggers), so that even an operation that only creates must be watched.
    fn watches_every_operation(&self) -> bool {
        false
    }

    /// Runs now what the open transaction would run at its commit (PostgreSQL's deferred
    /// constraint triggers), so that its effects are seen before the commit.
    fn run_deferred(&mut self) -> Result<(), DbError> {
        Ok(())
    }

    /// A table's columns as the catalog reports them, in order; empty when there is no such
    /// table.
    fn table_columns(
        &mut self,
        schema: Option<&str>,
        table: &str,
    ) -> Result<Vec<LiveColumn>, DbError>;

    /// Whether the table exists (schema `None`: the connection's default).
    fn has_table(&mut self, schema: Option<&str>, table: &str) -> Result<bool, DbError>;
}

/// A database URL read and checked, before any connection: a URL that cannot name a database
/// is bad input before any database work.
#[derive(Debug, Clone)]
pub enum DatabaseUrl {
    #[cfg(feature = "postgres")]
    Postgres(Box<PostgresUrl>),
    #[cfg(feature = "sqlite")]
    Sqlite(SqliteTarget),
    #[cfg(feature = "mysql")]
    Mysql(Box<MysqlUrl>),
}

impl DatabaseUrl {
    /// Reads a URL in any form [`connect`] takes (SQLAlchemy's included).
    pub fn parse(url: &str) -> Result<DatabaseUrl, DbError> {
        let dialect = dialect_of_url(url).map_err(|_| DbError::BadUrl {
            url: redact_url(url),
            reason: "use postgresql://..., postgres://..., mysql://..., mariadb://... or sqlite:///path.db"
                .to_string(),
        })?;
        Ok(match dialect {
            #[cfg(feature = "postgres")]
            Dialect::Postgresql => DatabaseUrl::Postgres(Box::new(PostgresUrl::parse(url)?)),
            #[cfg(feature = "sqlite")]
            Dialect::Sqlite => DatabaseUrl::Sqlite(SqliteTarget::parse(url)?),
            #[cfg(feature = "mysql")]
            Dialect::Mysql => DatabaseUrl::Mysql(Box::new(MysqlUrl::parse(url)?)),
            #[allow(unreachable_patterns)]
            dialect => {
                return Err(DbError::BadUrl {
                    url: redact_url(url),
                    reason: format!(
                        "this rmig was built without {} support; build it with the `{}` feature",
                        dialect.product_name(),
                        dialect.feature()
                    ),
                })
            }
        })
    }

    /// The database a connection reaches, no password: for PostgreSQL the first host's
    /// user, server and database with the environment's parts filled in.
    pub fn target(&self) -> String {
        match self {
            #[cfg(feature = "postgres")]
            DatabaseUrl::Postgres(url) => url.target(),
            #[cfg(feature = "sqlite")]
            DatabaseUrl::Sqlite(target) => target.to_string(),
            #[cfg(feature = "mysql")]
            DatabaseUrl::Mysql(url) => url.target(),
        }
    }

    pub fn connect(&self, options: &ConnectOptions) -> Result<Box<dyn Backend>, DbError> {
        Ok(match self {
            #[cfg(feature = "postgres")]
            DatabaseUrl::Postgres(url) => Box::new(PostgresBackend::connect(url, options)?),
            #[cfg(feature = "sqlite")]
            DatabaseUrl::Sqlite(target) => Box::new(SqliteBackend::open(target, options)?),
            #[cfg(feature = "mysql")]
            DatabaseUrl::Mysql(url) => Box::new(MysqlBackend::connect(url, options)?),
        })
    }
}

/// Connects to the database a URL names (SQLAlchemy's forms included).
pub fn connect(url: &str, options: &ConnectOptions) -> Result<Box<dyn Backend>, DbError> {
    DatabaseUrl::parse(url)?.connect(options)
}
