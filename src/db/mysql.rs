//! MySQL and MariaDB through the synchronous `mysql` crate (`mysql_url.rs` reads the URL).
//!
//! Concurrent runs are kept apart by a named lock of the session (`GET_LOCK`), which outlives
//! the transactions of a run. MySQL commits around every DDL statement on its own; what that
//! means for a step is the executor's and the guard's concern, not this file's.
//!
//! SQL comes with PostgreSQL's `$1` placeholders on every database; they become MySQL's `?`
//! here, the values reordered and repeated to match. Statements with values run through the
//! binary protocol (prepared, then closed: DDL must not stay prepared); rmig's own
//! multi-statement round trips (a step's start and end) through the text protocol.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mysql::consts::ColumnType;
use mysql::prelude::Queryable;
use mysql::{ClientIdentity, Column, Conn, DriverError, Params, Row, Statement, Value};
use sha2::{Digest, Sha256};

use super::mysql_url::{MysqlSslMode, MysqlUrl};
use super::url::ConnectOptions;
use super::{Backend, DbError, LiveColumn};
use crate::dialect::Dialect;
use crate::guard::Observed;
use crate::ops::spelling::mysql_column_default;
use crate::ops::sql::{replace_placeholders, Placeholder};
use crate::ops::ScalarValue;
use crate::version_table::VersionTable;

/// `ER_LOCK_WAIT_TIMEOUT`: a row lock (`innodb_lock_wait_timeout`) or a metadata lock
/// (`lock_wait_timeout`) was not granted in time.
const ER_LOCK_WAIT_TIMEOUT: u16 = 1205;

/// `ER_UNSUPPORTED_PS`: MySQL cannot prepare this kind of statement (CREATE TRIGGER,
/// CREATE PROCEDURE, ...).
const ER_UNSUPPORTED_PS: u16 = 1295;

/// `ER_EMPTY_QUERY`: the text held no statement, only comments.
const ER_EMPTY_QUERY: u16 = 1065;

/// The longest name `GET_LOCK` takes.
const LOCK_NAME_MAX: usize = 64;

/// A `lock_wait_timeout` this long or longer was given by no one: it is MariaDB's built-in
/// default (a day; MySQL's is a year), and no limit for a migration.
const UNSET_LOCK_WAIT_TIMEOUT: u64 = 86_400;

/// The `lock_wait_timeout` of a migration session when neither `--lock-timeout` nor the
/// server's settings give one (the shortest MySQL knows): a DDL statement queued behind
/// another session's metadata lock makes every query of the application on that table queue
/// behind it, so it gives up soon, as on PostgreSQL (150 ms there).
const DEFAULT_LOCK_WAIT_TIMEOUT: u64 = 1;

/// The `charset` number the protocol gives a binary string or blob column (`binary`).
const BINARY_CHARSET: u16 = 63;

pub struct MysqlBackend {
    conn: Conn,
    /// The URL's database, the one statements without a schema act on.
    database: String,
    /// `SELECT VERSION()`: `10.11.6-MariaDB-0+deb12u1`, `8.0.36`.
    version: String,
}

impl MysqlBackend {
    /// Connects, then sets the session's time limits from `options`:
    /// - `lock_timeout` becomes `lock_wait_timeout` (metadata locks, so DDL) and
    ///   `innodb_lock_wait_timeout` (row locks), in whole seconds, at least 1 (MySQL's
    ///   unit); without it, a session that has the server's built-in day or year (see
    ///   [`UNSET_LOCK_WAIT_TIMEOUT`]) gets 1 s ([`DEFAULT_LOCK_WAIT_TIMEOUT`]);
    /// - `statement_timeout` becomes MariaDB's `max_statement_time` (seconds, to the
    ///   millisecond, every statement) or MySQL's `max_execution_time` (milliseconds; MySQL
    ///   applies it to read-only SELECTs only);
    /// - a `sql_mode` without strict mode (neither `STRICT_TRANS_TABLES` nor
    ///   `STRICT_ALL_TABLES`, a server configured so) gets `STRICT_ALL_TABLES`: outside strict
    ///   mode MySQL truncates a value a changed column does not fit and turns a NULL into
    ///   `''` or 0 when a column becomes NOT NULL, silently; in strict mode the statement
    ///   fails and the rows stay. The guard cannot see those losses, so the session must not
    ///   allow them. The rest of the mode is the server's.
    ///
    /// `ssl_mode=PREFERRED` connects without TLS when the server offers none.
    pub fn connect(url: &MysqlUrl, options: &ConnectOptions) -> Result<MysqlBackend, DbError> {
        let connect_error = |reason: String| DbError::Connect {
            url: url.display.clone(),
            reason,
        };
        let identity = url
            .ssl_client
            .as_ref()
            .map(|(certificate, key)| IdentityFile::create(certificate, key))
            .transpose()
            .map_err(connect_error)?;
        let tls = url.ssl_opts().map(|tls| match &identity {
            Some(file) => tls.with_client_identity(Some(
                ClientIdentity::new(file.path.clone()).with_password(file.password.clone()),
            )),
            None => tls,
        });
        let conn = match Conn::new(url.opts(tls)) {
            Err(mysql::Error::DriverError(DriverError::TlsNotSupported))
                if url.ssl_mode == MysqlSslMode::Preferred =>
            {
                Conn::new(url.opts(None))
            }
            other => other,
        }
        .map_err(|e| connect_error(describe_connect_error(&e, url)))?;
        drop(identity);
        let mut backend = MysqlBackend {
            conn,
            database: url.database.clone(),
            version: String::new(),
        };
        let sql = "SELECT VERSION(), @@session.lock_wait_timeout, @@session.sql_mode";
        let row = backend
            .conn
            .query_first::<Row, _>(sql)
            .map_err(|e| {
                connect_error(format!(
                    "cannot read the server's version: {}",
                    message_of(&e)
                ))
            })?
            .map(Row::unwrap)
            .unwrap_or_default();
        backend.version = row.first().and_then(text_of).unwrap_or_default();
        let session_lock_wait = row
            .get(1)
            .and_then(text_of)
            .and_then(|seconds| seconds.parse::<u64>().ok());
        let sql_mode = row.get(2).and_then(text_of).unwrap_or_default();
        backend.set_up_session(options, session_lock_wait, &sql_mode)?;
        Ok(backend)
    }

    /// Whether the server is MariaDB (its `VERSION()` says so) rather than MySQL.
    pub fn is_mariadb(&self) -> bool {
        self.version.contains("MariaDB")
    }

    /// The server's `VERSION()`.
    #[cfg(test)]
    pub fn server_version(&self) -> &str {
        &self.version
    }

    /// The database the URL named.
    #[cfg(test)]
    pub fn database(&self) -> &str {
        &self.database
    }

    /// The session settings [`MysqlBackend::connect`] describes, in one statement.
    fn set_up_session(
        &mut self,
        options: &ConnectOptions,
        session_lock_wait: Option<u64>,
        sql_mode: &str,
    ) -> Result<(), DbError> {
        let duration = |name: &str, text: &str| {
            crate::duration::parse(text)
                .map_err(|e| DbError::Other(format!("cannot set {name} to '{text}': {e}")))
        };
        let mut settings = Vec::new();
        match &options.lock_timeout {
            Some(text) => {
                let seconds = duration("lock_timeout", text)?
                    .as_millis()
                    .div_ceil(1000)
                    .max(1);
                settings.push(format!("lock_wait_timeout = {seconds}"));
                settings.push(format!("innodb_lock_wait_timeout = {seconds}"));
            }
            None if session_lock_wait.is_none_or(|s| s >= UNSET_LOCK_WAIT_TIMEOUT) => {
                settings.push(format!("lock_wait_timeout = {DEFAULT_LOCK_WAIT_TIMEOUT}"));
            }
            None => {}
        }
        if let Some(text) = &options.statement_timeout {
            let limit = duration("statement_timeout", text)?;
            settings.push(if self.is_mariadb() {
                format!("max_statement_time = {:.3}", limit.as_secs_f64())
            } else {
                format!("max_execution_time = {}", limit.as_millis())
            });
        }
        let strict = sql_mode
            .split(',')
            .any(|mode| matches!(mode, "STRICT_TRANS_TABLES" | "STRICT_ALL_TABLES"));
        if !strict {
            let mode = match sql_mode {
                "" => "STRICT_ALL_TABLES".to_string(),
                modes => format!("{modes},STRICT_ALL_TABLES"),
            };
            settings.push(format!(
                "sql_mode = {}",
                crate::dialect::string_literal_in(Dialect::Mysql, &mode)
            ));
        }
        if settings.is_empty() {
            return Ok(());
        }
        let sql = format!("SET SESSION {}", settings.join(", "));
        self.run_text(&sql).map(drop).map_err(|e| {
            DbError::Other(format!(
                "cannot set up the session ({sql}): {}",
                message_of(&e)
            ))
        })
    }

    /// Runs text that may hold several statements, every result set read to its end (an
    /// error in a later statement is this call's error): the rows changed and the rows
    /// returned by each statement.
    fn run_text(&mut self, sql: &str) -> Result<Vec<SetOutcome>, mysql::Error> {
        let mut result = self.conn.query_iter(sql)?;
        let mut sets = Vec::new();
        while let Some(mut set) = result.iter() {
            let affected = set.affected_rows();
            let mut rows = Vec::new();
            for row in set.by_ref() {
                rows.push(row?);
            }
            sets.push(SetOutcome { affected, rows });
        }
        Ok(sets)
    }

    /// Prepares one statement, runs it with `params` and closes it: the rows it changed and
    /// returned. A text holding two statements cannot be prepared.
    fn run_prepared(&mut self, sql: &str, params: Vec<Value>) -> Result<SetOutcome, mysql::Error> {
        let statement = self.conn.prep(sql)?;
        let outcome = self.execute_prepared(&statement, params);
        let closed = self.conn.close(statement);
        let outcome = outcome?;
        closed?;
        Ok(outcome)
    }

    fn execute_prepared(
        &mut self,
        statement: &Statement,
        params: Vec<Value>,
    ) -> Result<SetOutcome, mysql::Error> {
        let params = if params.is_empty() {
            Params::Empty
        } else {
            Params::Positional(params)
        };
        let mut result = self.conn.exec_iter(statement, params)?;
        let mut first: Option<SetOutcome> = None;
        while let Some(mut set) = result.iter() {
            let affected = set.affected_rows();
            let mut rows = Vec::new();
            for row in set.by_ref() {
                rows.push(row?);
            }
            first.get_or_insert(SetOutcome { affected, rows });
        }
        Ok(first.unwrap_or_default())
    }

    /// `sql` with `$N` placeholders, run with `params`.
    fn run_with_params(
        &mut self,
        sql: &str,
        params: &[ScalarValue],
    ) -> Result<SetOutcome, DbError> {
        let (text, values) = positional(sql, params).map_err(|message| DbError::Statement {
            sql: sql.to_string(),
            message,
            lock_timed_out: false,
        })?;
        self.run_prepared(&text, values)
            .map_err(|e| statement_error(sql, &e))
    }

    /// The first column of the rows of a text's last statement, as text.
    fn text_first_column(&mut self, sql: &str) -> Result<Vec<String>, DbError> {
        let mut sets = self.run_text(sql).map_err(|e| statement_error(sql, &e))?;
        let rows = sets.pop().map(|set| set.rows).unwrap_or_default();
        first_column(sql, rows)
    }

    /// The name of the run lock for `table`: `rmig:<database>.<table>`, or its SHA-256 when
    /// that is longer than `GET_LOCK` takes.
    fn lock_name(&self, table: &VersionTable) -> String {
        lock_name(
            table.schema.as_deref().unwrap_or(&self.database),
            &table.name,
        )
    }
}

fn lock_name(database: &str, table: &str) -> String {
    let name = format!("rmig:{database}.{table}");
    if name.chars().count() <= LOCK_NAME_MAX {
        return name;
    }
    let digest = Sha256::digest(name.as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("rmig:{}", &hex[..LOCK_NAME_MAX - "rmig:".len()])
}

/// What one statement of a run returned.
#[derive(Default)]
struct SetOutcome {
    affected: u64,
    rows: Vec<Row>,
}

/// A client certificate and its key as the PKCS#12 file the driver reads (it takes no PEM
/// files): written for one connection under a random password that lives only in memory,
/// readable by this user only, and removed when dropped.
struct IdentityFile {
    path: PathBuf,
    password: String,
}

impl IdentityFile {
    fn create(certificate: &Path, key: &Path) -> Result<IdentityFile, String> {
        use openssl::pkcs12::Pkcs12;
        use openssl::pkey::PKey;
        use openssl::stack::Stack;
        use openssl::x509::X509;
        let read = |path: &Path| {
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
        };
        let chain = X509::stack_from_pem(&read(certificate)?)
            .map_err(|e| format!("{} is not a PEM certificate: {e}", certificate.display()))?;
        let private_key = PKey::private_key_from_pem(&read(key)?).map_err(|e| {
            format!(
                "{} is not an unencrypted PEM private key: {e}",
                key.display()
            )
        })?;
        let Some((first, rest)) = chain.split_first() else {
            return Err(format!("{} holds no certificate", certificate.display()));
        };
        let password = uuid::Uuid::new_v4().simple().to_string();
        let mut builder = Pkcs12::builder();
        builder.name("rmig").pkey(&private_key).cert(first);
        if !rest.is_empty() {
            let mut authorities = Stack::new().map_err(|e| e.to_string())?;
            for certificate in rest {
                authorities
                    .push(certificate.clone())
                    .map_err(|e| e.to_string())?;
            }
            builder.ca(authorities);
        }
        let der = builder
            .build2(&password)
            .and_then(|archive| archive.to_der())
            .map_err(|e| {
                format!(
                    "the client certificate {} does not go with its key {}: {e}",
                    certificate.display(),
                    key.display()
                )
            })?;
        let path = std::env::temp_dir().join(format!(
            "rmig-{}-{}.p12",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        let file = IdentityFile { path, password };
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&file.path)
            .and_then(|mut out| out.write_all(&der))
            .map_err(|e| format!("cannot write {}: {e}", file.path.display()))?;
        Ok(file)
    }
}

impl Drop for IdentityFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// `$N` placeholders as MySQL's positional `?`, with the values in the order the `?`s take
/// them (a `$N` used twice takes its value twice); what is not a placeholder in code (a `$`
/// inside quotes, a comment or a name) is left alone (`ops::sql::replace_placeholders`).
fn positional(sql: &str, params: &[ScalarValue]) -> Result<(String, Vec<Value>), String> {
    let mut values = Vec::new();
    let mut missing = None;
    let text = replace_placeholders(sql, Dialect::Mysql, |placeholder| match placeholder {
        Placeholder::Anonymous => "?".to_string(),
        Placeholder::Numbered(number) => {
            match number.checked_sub(1).and_then(|index| params.get(index)) {
                Some(value) => values.push(mysql_value(value)),
                None => {
                    missing.get_or_insert(number);
                }
            }
            "?".to_string()
        }
    });
    match missing {
        Some(number) => Err(format!(
            "the statement uses ${number}, but {} parameter{} given",
            params.len(),
            if params.len() == 1 { " was" } else { "s were" }
        )),
        None => Ok((text, values)),
    }
}

fn mysql_value(value: &ScalarValue) -> Value {
    match value {
        ScalarValue::Null => Value::NULL,
        ScalarValue::Bool(b) => Value::Int(i64::from(*b)),
        ScalarValue::Integer(i) => Value::Int(*i),
        ScalarValue::Float(f) => Value::Double(*f),
        ScalarValue::String(s) => Value::Bytes(s.clone().into_bytes()),
    }
}

/// Whether a column's values are bytes rather than text: a binary string or blob (the
/// protocol gives numbers and dates the binary character set too, but other types).
fn is_binary(column: &Column) -> bool {
    column.character_set() == BINARY_CHARSET
        && matches!(
            column.column_type(),
            ColumnType::MYSQL_TYPE_TINY_BLOB
                | ColumnType::MYSQL_TYPE_MEDIUM_BLOB
                | ColumnType::MYSQL_TYPE_LONG_BLOB
                | ColumnType::MYSQL_TYPE_BLOB
                | ColumnType::MYSQL_TYPE_VAR_STRING
                | ColumnType::MYSQL_TYPE_STRING
                | ColumnType::MYSQL_TYPE_VARCHAR
                | ColumnType::MYSQL_TYPE_BIT
                | ColumnType::MYSQL_TYPE_GEOMETRY
        )
}

/// A value in the text form `query_rows` returns: `None` for NULL, binary as lower-case hex,
/// anything else as the server prints it (the text protocol's bytes; the binary protocol's
/// numbers, dates and times printed the same way).
fn text_in_column(value: &Value, column: &Column) -> Option<String> {
    let fraction = |micros: u32| match column.decimals() {
        digits @ 1..=6 => format!(".{:06}", micros)[..1 + usize::from(digits)].to_string(),
        _ => String::new(),
    };
    Some(match value {
        Value::NULL => return None,
        Value::Bytes(bytes) if is_binary(column) => {
            bytes.iter().map(|byte| format!("{byte:02x}")).collect()
        }
        Value::Date(year, month, day, ..)
            if column.column_type() == ColumnType::MYSQL_TYPE_DATE =>
        {
            format!("{year:04}-{month:02}-{day:02}")
        }
        Value::Date(year, month, day, hour, minute, second, micros) => format!(
            "{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}{}",
            fraction(*micros)
        ),
        Value::Time(negative, days, hours, minutes, seconds, micros) => format!(
            "{}{:02}:{minutes:02}:{seconds:02}{}",
            if *negative { "-" } else { "" },
            days * 24 + u32::from(*hours),
            fraction(*micros)
        ),
        other => return text_of(other),
    })
}

/// A value as text without its column: bytes as UTF-8, numbers in decimal.
fn text_of(value: &Value) -> Option<String> {
    Some(match value {
        Value::NULL => return None,
        Value::Bytes(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        Value::Int(number) => number.to_string(),
        Value::UInt(number) => number.to_string(),
        Value::Float(number) => number.to_string(),
        Value::Double(number) => number.to_string(),
        Value::Date(year, month, day, hour, minute, second, micros) => {
            format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}.{micros:06}")
        }
        Value::Time(negative, days, hours, minutes, seconds, micros) => format!(
            "{}{:02}:{minutes:02}:{seconds:02}.{micros:06}",
            if *negative { "-" } else { "" },
            days * 24 + u32::from(*hours)
        ),
    })
}

/// Every row's values in their text form.
fn text_rows(rows: Vec<Row>) -> Vec<Vec<Option<String>>> {
    rows.into_iter()
        .map(|row| {
            let columns = row.columns();
            row.unwrap()
                .iter()
                .zip(columns.iter())
                .map(|(value, column)| text_in_column(value, column))
                .collect()
        })
        .collect()
}

/// The first column of each row as text; a NULL there is an error (the queries that use this
/// read names and versions, never NULL).
fn first_column(sql: &str, rows: Vec<Row>) -> Result<Vec<String>, DbError> {
    text_rows(rows)
        .into_iter()
        .map(|row| {
            row.into_iter()
                .next()
                .flatten()
                .ok_or_else(|| DbError::Statement {
                    sql: sql.to_string(),
                    message: "its first column is NULL in a row, where rmig reads text".to_string(),
                    lock_timed_out: false,
                })
        })
        .collect()
}

/// The server's words with its error number and SQLSTATE, as MySQL's own client prints them
/// (`ERROR 1205 (HY000): Lock wait timeout exceeded; ...`), else the driver's.
fn message_of(error: &mysql::Error) -> String {
    match error {
        mysql::Error::MySqlError(server) => {
            format!("ERROR {} ({}): {}", server.code, server.state, server.message)
        }
        mysql::Error::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            "the server closed the connection (the session was killed, the server restarted or the network failed)".to_string()
        }
        // The driver's own Display wraps each kind in `DriverError { ... }`.
        mysql::Error::IoError(io) => io.to_string(),
        mysql::Error::DriverError(driver) => driver.to_string(),
        mysql::Error::CodecError(codec) => codec.to_string(),
        mysql::Error::TlsError(tls) => format!("TLS failed: {tls}"),
        other => other.to_string(),
    }
}

fn server_code(error: &mysql::Error) -> Option<u16> {
    match error {
        mysql::Error::MySqlError(server) => Some(server.code),
        _ => None,
    }
}

fn statement_error(sql: &str, error: &mysql::Error) -> DbError {
    DbError::Statement {
        sql: sql.to_string(),
        message: message_of(error),
        lock_timed_out: server_code(error) == Some(ER_LOCK_WAIT_TIMEOUT),
    }
}

fn describe_connect_error(error: &mysql::Error, url: &MysqlUrl) -> String {
    let mut message = match error {
        mysql::Error::MySqlError(server) => return server.message.clone(),
        mysql::Error::DriverError(DriverError::TlsNotSupported) => format!(
            "the server offers no TLS, and ssl_mode={} asks for it",
            url.ssl_mode.name()
        ),
        other => message_of(other),
    };
    if message.contains("Connection refused") || message.contains("No such file") {
        message.push_str(match url.unix_socket {
            Some(_) => "; is the server running and listening on that socket?",
            None => "; is the server running and accepting TCP connections on that host and port?",
        });
    }
    message
}

/// Whether `sql` is one statement as MySQL reads it, by sqlparser's MySQL dialect: for the
/// statements MySQL cannot prepare, which then run as text, where the server would run a
/// second one.
fn is_one_statement(sql: &str, backslash_escapes: bool) -> Result<(), String> {
    // sqlparser reads a backslash in a string as an escape, as MySQL does unless
    // NO_BACKSLASH_ESCAPES is set: then the two could end a string in different places.
    if !backslash_escapes && sql.contains('\\') {
        return Err("it holds a backslash, and the session's sql_mode has NO_BACKSLASH_ESCAPES, so rmig cannot tell where its strings end".to_string());
    }
    let statements =
        sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::MySqlDialect {}, sql)
            .map_err(|e| format!("rmig cannot read it as one statement ({e})"))?;
    match statements.len() {
        1 => Ok(()),
        count => Err(format!(
            "it holds {count} statements, where one is expected"
        )),
    }
}

impl Backend for MysqlBackend {
    fn dialect(&self) -> Dialect {
        Dialect::Mysql
    }

    fn lock(&mut self, table: &VersionTable, timeout: Duration) -> Result<(), DbError> {
        let name = self.lock_name(table);
        let sql = "SELECT GET_LOCK(?, ?)";
        let started = Instant::now();
        let seconds = timeout.as_secs_f64();
        let outcome = self
            .run_prepared(
                sql,
                vec![
                    Value::Bytes(name.clone().into_bytes()),
                    Value::Double(seconds),
                ],
            )
            .map_err(|e| statement_error(sql, &e))?;
        let got = outcome
            .rows
            .into_iter()
            .next()
            .and_then(|row| row.unwrap().into_iter().next())
            .and_then(|value| text_of(&value));
        match got.as_deref() {
            Some("1") => Ok(()),
            Some("0") => Err(DbError::LockTimeout {
                table: table.qualified_name(Dialect::Mysql),
                waited: started.elapsed(),
            }),
            _ => Err(DbError::Other(format!(
                "the server could not take the run lock {name} (GET_LOCK returned NULL: the session was killed or ran out of memory)"
            ))),
        }
    }

    fn unlock(&mut self, table: &VersionTable) -> Result<(), DbError> {
        let name = self.lock_name(table);
        let sql = "SELECT RELEASE_LOCK(?)";
        self.run_prepared(sql, vec![Value::Bytes(name.into_bytes())])
            .map(drop)
            .map_err(|e| statement_error(sql, &e))
    }

    fn begin(&mut self) -> Result<(), DbError> {
        self.batch("START TRANSACTION")
    }

    fn commit(&mut self) -> Result<(), DbError> {
        self.batch("COMMIT")
    }

    fn rollback(&mut self) -> Result<(), DbError> {
        self.batch("ROLLBACK")
    }

    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        if sql.trim().is_empty() {
            return Ok(());
        }
        match self.run_text(sql) {
            Ok(_) => Ok(()),
            // Comments only, no statement: nothing to run, as on PostgreSQL.
            Err(e) if server_code(&e) == Some(ER_EMPTY_QUERY) => Ok(()),
            Err(e) => Err(statement_error(sql, &e)),
        }
    }

    fn execute_one(&mut self, sql: &str) -> Result<(), DbError> {
        // Prepared: the server refuses to prepare text that holds a second statement. What
        // MySQL cannot prepare at all (CREATE TRIGGER, CREATE PROCEDURE; MariaDB prepares
        // them) runs as text once sqlparser reads it as one statement.
        match self.run_prepared(sql, Vec::new()) {
            Ok(_) => Ok(()),
            Err(e) if server_code(&e) == Some(ER_UNSUPPORTED_PS) => {
                let backslash_escapes = !self.conn.no_backslash_escape();
                is_one_statement(sql, backslash_escapes).map_err(|reason| DbError::Statement {
                    sql: sql.to_string(),
                    message: format!(
                        "{}; the server cannot prepare it, and rmig runs it as text only when it is one statement: {reason}",
                        message_of(&e)
                    ),
                    lock_timed_out: false,
                })?;
                self.run_text(sql)
                    .map(drop)
                    .map_err(|e| statement_error(sql, &e))
            }
            Err(e) => Err(statement_error(sql, &e)),
        }
    }

    fn execute(&mut self, sql: &str, params: &[ScalarValue]) -> Result<u64, DbError> {
        Ok(self.run_with_params(sql, params)?.affected)
    }

    fn begin_and_query(&mut self, select: &str) -> Result<Vec<String>, DbError> {
        self.text_first_column(&format!("START TRANSACTION; {select}"))
    }

    fn execute_script(&mut self, statements: &[String]) -> Result<Vec<u64>, DbError> {
        if statements.is_empty() {
            return Ok(Vec::new());
        }
        let script = statements.join(";\n");
        let sets = self
            .run_text(&script)
            .map_err(|e| statement_error(&script, &e))?;
        Ok(sets
            .iter()
            .map(|set| set.affected)
            .take(statements.len())
            .collect())
    }

    fn execute_script_and_query(
        &mut self,
        statements: &[String],
        select: &str,
    ) -> Result<(Vec<u64>, Vec<String>), DbError> {
        let mut script = statements.join(";\n");
        if !script.is_empty() {
            script.push_str(";\n");
        }
        script.push_str(select);
        let mut sets = self
            .run_text(&script)
            .map_err(|e| statement_error(&script, &e))?;
        let rows = sets.pop().map(|set| set.rows).unwrap_or_default();
        let counts = sets
            .iter()
            .map(|set| set.affected)
            .take(statements.len())
            .collect();
        Ok((counts, first_column(&script, rows)?))
    }

    fn commit_and_begin_query(&mut self, select: &str) -> Result<Vec<String>, DbError> {
        self.text_first_column(&format!("COMMIT; START TRANSACTION; {select}"))
    }

    fn query_strings(&mut self, sql: &str, params: &[ScalarValue]) -> Result<Vec<String>, DbError> {
        let rows = self.run_with_params(sql, params)?.rows;
        first_column(sql, rows)
    }

    fn query_count(&mut self, sql: &str) -> Result<u64, DbError> {
        let rows = self.run_with_params(sql, &[])?.rows;
        let text = first_column(sql, rows)?.into_iter().next();
        let count = text.as_deref().and_then(|text| text.parse::<i64>().ok());
        count
            .map(|count| count.max(0) as u64)
            .ok_or_else(|| DbError::Statement {
                sql: sql.to_string(),
                message: format!(
                    "it returned {}, where rmig reads a count",
                    text.unwrap_or_else(|| "no row".to_string())
                ),
                lock_timed_out: false,
            })
    }

    fn query_rows(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, DbError> {
        // The text protocol: every value as the server prints it.
        let sets = self.run_text(sql).map_err(|e| statement_error(sql, &e))?;
        Ok(sets
            .into_iter()
            .flat_map(|set| text_rows(set.rows))
            .collect())
    }

    fn watch_effects(&mut self, _excluded: &[&str]) -> Result<(), DbError> {
        Err(not_watched())
    }

    fn observed_effects(&mut self) -> Result<Vec<Observed>, DbError> {
        Err(not_watched())
    }

    fn table_columns(
        &mut self,
        schema: Option<&str>,
        table: &str,
    ) -> Result<Vec<LiveColumn>, DbError> {
        let sql = "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, DATA_TYPE \
            FROM information_schema.COLUMNS \
            WHERE TABLE_SCHEMA = COALESCE($1, DATABASE()) AND TABLE_NAME = $2 \
            ORDER BY ORDINAL_POSITION";
        let schema = schema.map_or(ScalarValue::Null, |schema| {
            ScalarValue::String(schema.to_string())
        });
        let rows = self
            .run_with_params(sql, &[schema, ScalarValue::String(table.to_string())])?
            .rows;
        let mariadb = self.is_mariadb();
        Ok(text_rows(rows)
            .into_iter()
            .map(|row| {
                let mut cells = row.into_iter();
                let mut next = || cells.next().flatten();
                let (name, type_name, nullable, default, extra, data_type) =
                    (next(), next(), next(), next(), next(), next());
                LiveColumn {
                    name: name.unwrap_or_default(),
                    type_name: type_name.unwrap_or_default(),
                    nullable: nullable.as_deref() == Some("YES"),
                    default: mysql_column_default(
                        default,
                        extra.as_deref().unwrap_or_default(),
                        data_type.as_deref().unwrap_or_default(),
                        mariadb,
                    ),
                }
            })
            .collect())
    }

    fn has_table(&mut self, schema: Option<&str>, table: &str) -> Result<bool, DbError> {
        let sql = "SELECT COUNT(*) FROM information_schema.TABLES \
            WHERE TABLE_SCHEMA = COALESCE($1, DATABASE()) AND TABLE_NAME = $2";
        let schema = schema.map_or(ScalarValue::Null, |schema| {
            ScalarValue::String(schema.to_string())
        });
        let rows = self
            .run_with_params(sql, &[schema, ScalarValue::String(table.to_string())])?
            .rows;
        Ok(first_column(sql, rows)?
            .first()
            .is_some_and(|count| count != "0"))
    }
}

fn not_watched() -> DbError {
    DbError::Other(
        "MySQL and MariaDB commit DDL at once, so a step's effects cannot be watched and rolled back: rmig judges them before the step runs instead".to_string(),
    )
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod unit_tests {
    use super::*;

    fn text(value: &str) -> ScalarValue {
        ScalarValue::String(value.to_string())
    }

    #[test]
    fn placeholders_become_positional_with_their_values_in_order() {
        let params = [text("a"), ScalarValue::Integer(2), ScalarValue::Bool(true)];
        let (sql, values) = positional(
            "UPDATE t SET x = $2, y = $1 WHERE z = $2 OR w = $3",
            &params,
        )
        .unwrap();
        assert_eq!(sql, "UPDATE t SET x = ?, y = ? WHERE z = ? OR w = ?");
        assert_eq!(
            values,
            [
                Value::Int(2),
                Value::Bytes(b"a".to_vec()),
                Value::Int(2),
                Value::Int(1)
            ]
        );
        // $10 is the tenth, not $1 followed by 0.
        let ten: Vec<ScalarValue> = (1..=10).map(ScalarValue::Integer).collect();
        let (sql, values) = positional("SELECT $10, $1", &ten).unwrap();
        assert_eq!(sql, "SELECT ?, ?");
        assert_eq!(values, [Value::Int(10), Value::Int(1)]);
    }

    #[test]
    fn placeholders_in_quotes_comments_and_names_stay() {
        let params = [text("v")];
        for sql in [
            "SELECT '$1'",
            "SELECT 'it\\'s $1'",
            "SELECT 'a''$1'",
            "SELECT \"$1\"",
            "SELECT `col$1`",
            "SELECT price$1 FROM t",
            "SELECT 1 -- $1",
            "SELECT 1 # $1",
            "SELECT 1 /* $1 */",
            "SELECT $ FROM t",
        ] {
            assert_eq!(
                positional(sql, &params).unwrap(),
                (sql.to_string(), vec![]),
                "{sql}"
            );
        }
        let (sql, values) = positional("SELECT '$1', $1 -- '$1'\n, $1", &params).unwrap();
        assert_eq!(sql, "SELECT '$1', ? -- '$1'\n, ?");
        assert_eq!(values.len(), 2);
        // `--` without a space after it is two minus signs, not a comment.
        let (sql, _) = positional("SELECT 1--$1", &params).unwrap();
        assert_eq!(sql, "SELECT 1--?");
        let (sql, _) = positional("SELECT 'é', $1", &params).unwrap();
        assert_eq!(sql, "SELECT 'é', ?");
    }

    #[test]
    fn a_placeholder_without_a_value_is_an_error() {
        let error = positional("SELECT $2", &[text("a")]).unwrap_err();
        assert_eq!(error, "the statement uses $2, but 1 parameter was given");
        let error = positional("SELECT $0", &[]).unwrap_err();
        assert_eq!(error, "the statement uses $0, but 0 parameters were given");
    }

    #[test]
    fn lock_names_fit_in_64_characters() {
        assert_eq!(
            lock_name("shop", "alembic_version"),
            "rmig:shop.alembic_version"
        );
        let long = lock_name(&"d".repeat(64), "alembic_version");
        assert_eq!(long.len(), 64);
        assert!(long.starts_with("rmig:"));
        assert_ne!(long, lock_name(&"d".repeat(64), "other_version"));
    }

    #[test]
    fn one_statement_is_told_from_two() {
        assert_eq!(is_one_statement("CREATE TABLE t (x int)", true), Ok(()));
        assert!(
            is_one_statement("CREATE TABLE t (x int); DROP TABLE u", true)
                .unwrap_err()
                .contains("2 statements")
        );
        assert!(is_one_statement("SELECT 'a\\'; DROP TABLE u; -- '", true).is_ok());
        assert!(is_one_statement("SELECT 'a\\'; DROP TABLE u; -- '", false)
            .unwrap_err()
            .contains("NO_BACKSLASH_ESCAPES"));
    }

    #[test]
    fn column_defaults_read_as_sql() {
        assert_eq!(
            mysql_column_default(Some("'active'".into()), "", "varchar", true).as_deref(),
            Some("'active'")
        );
        assert_eq!(
            mysql_column_default(Some("NULL".into()), "", "int", true),
            None
        );
        assert_eq!(
            mysql_column_default(Some("active".into()), "", "varchar", false).as_deref(),
            Some("'active'")
        );
        assert_eq!(
            mysql_column_default(Some("0".into()), "", "int", false).as_deref(),
            Some("0")
        );
        assert_eq!(
            mysql_column_default(Some("now()".into()), "DEFAULT_GENERATED", "datetime", false)
                .as_deref(),
            Some("now()")
        );
    }
}

#[cfg(test)]
mod identity_tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A self-signed certificate and its key, as PEM.
    fn certificate_and_key() -> (Vec<u8>, Vec<u8>) {
        use openssl::asn1::Asn1Time;
        use openssl::hash::MessageDigest;
        use openssl::pkey::PKey;
        use openssl::rsa::Rsa;
        use openssl::x509::{X509NameBuilder, X509};
        let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", "rmig client").unwrap();
        let name = name.build();
        let mut builder = X509::builder().unwrap();
        builder.set_version(2).unwrap();
        builder.set_subject_name(&name).unwrap();
        builder.set_issuer_name(&name).unwrap();
        builder.set_pubkey(&key).unwrap();
        builder
            .set_not_before(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        builder
            .set_not_after(&Asn1Time::days_from_now(1).unwrap())
            .unwrap();
        builder.sign(&key, MessageDigest::sha256()).unwrap();
        (
            builder.build().to_pem().unwrap(),
            key.private_key_to_pem_pkcs8().unwrap(),
        )
    }

    #[test]
    fn client_pem_files_become_a_private_pkcs12_file_for_the_connection_only() {
        let folder = tempfile::tempdir().unwrap();
        let (certificate, key) = certificate_and_key();
        let certificate_path = folder.path().join("client.pem");
        let key_path = folder.path().join("client.key");
        std::fs::write(&certificate_path, &certificate).unwrap();
        std::fs::write(&key_path, &key).unwrap();
        let file = IdentityFile::create(&certificate_path, &key_path).unwrap();
        let mode = std::fs::metadata(&file.path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let archive = openssl::pkcs12::Pkcs12::from_der(&std::fs::read(&file.path).unwrap())
            .unwrap()
            .parse2(&file.password)
            .unwrap();
        assert_eq!(
            archive.cert.unwrap().to_pem().unwrap(),
            certificate,
            "the certificate as given"
        );
        assert!(archive.pkey.is_some());
        // (native-tls reads it with the same OpenSSL parser.) Only its password opens it.
        let der = std::fs::read(&file.path).unwrap();
        assert!(openssl::pkcs12::Pkcs12::from_der(&der)
            .unwrap()
            .parse2("wrong password")
            .is_err());
        let path = file.path.clone();
        drop(file);
        assert!(!path.exists(), "removed once connected");

        // A key that does not go with the certificate, or a file that is no PEM, is named.
        let (_, other_key) = certificate_and_key();
        std::fs::write(&key_path, &other_key).unwrap();
        let error = IdentityFile::create(&certificate_path, &key_path)
            .err()
            .unwrap();
        assert!(error.contains("does not go with its key"), "{error}");
        std::fs::write(&key_path, "not a key").unwrap();
        let error = IdentityFile::create(&certificate_path, &key_path)
            .err()
            .unwrap();
        assert!(
            error.contains("is not an unencrypted PEM private key"),
            "{error}"
        );
    }
}
