//! PostgreSQL through the synchronous `postgres` crate, TLS through OpenSSL (`tls.rs`).

use std::collections::HashMap;
use std::thread::sleep;
use std::time::{Duration, Instant};

use tokio_postgres::config::SslMode;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{NoTls, SimpleQueryMessage};

use super::pg_session::{Client, ReplyBound, Session, SessionError};
use super::tls::MakeOpensslConnect;
use super::postgres_url::{PostgresUrl, TlsMode};
use super::url::ConnectOptions;
use super::watch::{columns_from_json, TableState};
use super::{Backend, DbError, LiveColumn};
use crate::dialect::Dialect;
use crate::guard::{Observed, ObservedEffect};
use crate::ops::ScalarValue;
use crate::version_table::VersionTable;

/// First key of rmig's advisory locks ("rmig" in ASCII); the second is the version table's
/// hashed name, so projects with their own version tables do not block each other.
const ADVISORY_LOCK_CLASS: i32 = 0x726d_6967;

/// How often a waiting run retries the advisory lock.
const LOCK_POLL: Duration = Duration::from_millis(100);

pub struct PostgresBackend<'c> {
    client: Client<'c>,
    /// Statements prepared on this session by their SQL text: a bulk insert or the audit
    /// row of every step is parsed once per run, not once per row.
    prepared: HashMap<String, tokio_postgres::Statement>,
    /// The tables the guard's verification watches, once a run asked for it.
    watch: Option<PgWatch>,
    /// On a caller's connection: the session's role and every setting a session may change,
    /// as they were when it was handed over; whatever differs when the backend is dropped
    /// (rmig's time limits, and what a revision SET: `search_path`, `ROLE`, ...) is put back.
    /// Custom settings (`app.tenant`) are not listed by the server, so not among them.
    borrowed_settings: Vec<(String, String)>,
    /// A transaction rmig began may be open: a caller's connection is rolled back when the
    /// backend is dropped then (a panic unwinding through a run), as closing rmig's own does.
    transaction_open: bool,
    /// The migration locks taken and not let go (by version table), released when a caller's
    /// connection is given back: a session lock outlives a rollback.
    held_locks: Vec<String>,
}

/// Watched tables by oid, and the row counters of the open transaction already reported.
struct PgWatch {
    tables: HashMap<u32, TableState>,
    /// `(n_tup_del, n_tup_upd)` of `pg_stat_xact_user_tables` at the last look, by oid: the
    /// view counts from the start of the transaction, so each look reports the difference.
    seen: HashMap<u32, (i64, i64)>,
    /// rmig's own tables (version, history), whose rows each step changes.
    excluded: Vec<String>,
    /// Watched sequences by oid: their name as last seen and last value (None before the
    /// first use).
    sequences: HashMap<u32, (crate::guard::DataObject, Option<i64>)>,
    /// The database has enabled event triggers: code runs around every DDL statement.
    event_triggers: bool,
}

/// Every sequence this session may read, with its last value, and whether any event trigger
/// is enabled.
const WATCH_SEQUENCES_SQL: &str = "SELECT c.oid, nullif(n.nspname::text, 'public'), \
    c.relname::text, CASE WHEN has_sequence_privilege(c.oid, 'SELECT') \
    THEN pg_sequence_last_value(c.oid) END, \
    EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtenabled <> 'D') \
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE c.relkind = 'S' AND n.nspname NOT LIKE 'pg\\_%' \
    UNION ALL SELECT NULL, NULL, NULL, NULL, \
    EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtenabled <> 'D')";

/// Every table and partitioned table of the user's schemas, with its storage and columns;
/// `public` reads as no schema, as confirmations name it (not the search path's first schema,
/// which a migration can change to point a bare name elsewhere). Materialized views hold data derived from tables,
/// which a refresh (a new storage) or a drop does not lose.
const WATCH_TABLES_SQL: &str = "SELECT c.oid, nullif(n.nspname::text, 'public'), \
    c.relname::text, c.relfilenode::int8, coalesce((SELECT json_agg(json_build_array(a.attnum, \
    a.attname, format_type(a.atttypid, a.atttypmod)) ORDER BY a.attnum) FROM pg_attribute a \
    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)::text, '[]') \
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' \
    AND n.nspname NOT LIKE 'pg\\_%'";

/// What this session's open transaction touched: every relation it holds a lock on (a drop,
/// a rewrite, a TRUNCATE or a column change takes ACCESS EXCLUSIVE; DML, even in a trigger or
/// a cascade, takes a lock too, and locks last until the transaction ends), whether it still
/// exists, its storage, the rows deleted and updated in this transaction, and for exclusive
/// locks its columns now.
const WATCH_EFFECTS_SQL: &str = "WITH locked AS (SELECT relation, \
    bool_or(mode = 'AccessExclusiveLock') AS exclusive FROM pg_locks \
    WHERE locktype = 'relation' AND pid = pg_backend_pid() \
    AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
    GROUP BY relation) \
    SELECT l.relation, c.oid IS NOT NULL, nullif(n.nspname::text, 'public'), \
    c.relname::text, c.relfilenode::int8, coalesce(s.n_tup_del, 0), coalesce(s.n_tup_upd, 0), \
    CASE WHEN l.exclusive AND c.oid IS NOT NULL THEN coalesce((SELECT json_agg(json_build_array( \
    a.attnum, a.attname, format_type(a.atttypid, a.atttypmod)) ORDER BY a.attnum) \
    FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)::text, \
    '[]') END, \
    CASE WHEN c.relkind = 'S' AND has_sequence_privilege(c.oid, 'SELECT') \
    THEN pg_sequence_last_value(c.oid) END, \
    EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal) \
    OR EXISTS (SELECT 1 FROM pg_rewrite r WHERE r.ev_class = c.oid AND r.rulename <> '_RETURN') \
    FROM locked l LEFT JOIN pg_class c ON c.oid = l.relation \
    LEFT JOIN pg_namespace n ON n.oid = c.relnamespace \
    LEFT JOIN pg_stat_xact_user_tables s ON s.relid = l.relation";

/// A watched sequence as findings and confirmations name it.
fn sequence_object(schema: Option<&str>, name: &str) -> crate::guard::DataObject {
    crate::guard::DataObject::Named {
        kind: "sequence",
        name: crate::guard::qualified(schema, name),
    }
}

/// Time limits of a PostgreSQL connection when the URL does not set them (README, "Time
/// limits"): the whole connection (TCP, TLS, start-up, authentication) within 10 s, and TCP
/// keepalives that find a vanished peer after 10 s of silence and 3 unanswered probes 5 s
/// apart. The URL keys of the same names change them (`keepalives_retries` for the count).
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_KEEPALIVES_IDLE: Duration = Duration::from_secs(10);
const DEFAULT_KEEPALIVES_INTERVAL: Duration = Duration::from_secs(5);
const DEFAULT_KEEPALIVES_RETRIES: u32 = 3;

/// The `lock_timeout` of a migration session when neither `--lock-timeout` nor the database's
/// or role's settings give one: a statement queued behind another's lock makes every query
/// of the application on that table queue behind it, so it gives up within a fraction of
/// a second, the step rolls back, and the executor runs it again after a pause
/// (src/exec/retry.rs), leaving the table to the application in between.
const DEFAULT_LOCK_TIMEOUT: &str = "150ms";

/// Sets [`DEFAULT_LOCK_TIMEOUT`] when the session has no `lock_timeout`, on rmig's own
/// connection and on a caller's alike.
fn default_lock_timeout_sql() -> String {
    format!(
        "SELECT set_config('lock_timeout', '{DEFAULT_LOCK_TIMEOUT}', false) \
         WHERE current_setting('lock_timeout') = '0'"
    )
}

impl<'c> PostgresBackend<'c> {
    /// One connection attempt to one host of the URL's list. libpq never uses TLS on a
    /// Unix socket, whatever `sslmode` says, so neither does rmig: the driver would ask the
    /// server for TLS there and fail (or, with OpenSSL, refuse the socket path as a TLS
    /// server name).
    fn connect_one(
        target: &tokio_postgres::Config,
        url: &PostgresUrl,
    ) -> Result<(Session, tokio_postgres::Config), DbError> {
        let connect_error = |reason: String| {
            let reason = match &url.password_file_note {
                Some(note) => format!("{reason} ({note})"),
                None => reason,
            };
            DbError::Connect {
                url: url.display.clone(),
                reason,
            }
        };
        let mut config = target.clone();
        let connect_limit = network_defaults(&mut config, url);
        let socket = config
            .get_hosts()
            .iter()
            .all(|host| matches!(host, tokio_postgres::config::Host::Unix(_)));
        match url.tls.mode {
            TlsMode::Disable => {
                config.ssl_mode(SslMode::Disable);
                Session::connect(&config, NoTls, connect_limit)
            }
            _ if socket && config.get_hostaddrs().is_empty() => {
                config.ssl_mode(SslMode::Disable);
                Session::connect(&config, NoTls, connect_limit)
            }
            mode => {
                config.ssl_mode(if mode == TlsMode::Prefer {
                    SslMode::Prefer
                } else {
                    SslMode::Require
                });
                let connector =
                    MakeOpensslConnect::new(&url.tls).map_err(|e| connect_error(e.to_string()))?;
                Session::connect(&config, connector, connect_limit)
            }
        }
        .map(|session| (session, config.clone()))
        .map_err(|e| connect_error(describe_connect_error(&e)))
    }

    pub fn connect(
        url: &PostgresUrl,
        options: &ConnectOptions,
    ) -> Result<PostgresBackend<'static>, DbError> {
        let connect_error = |reason: String| DbError::Connect {
            url: url.display.clone(),
            reason,
        };
        // Each host of a list in turn, as libpq does; the last one's failure is reported.
        let mut result = Err(connect_error("the URL names no host".to_string()));
        for target in &url.targets {
            result = Self::connect_one(target, url);
            if result.is_ok() {
                break;
            }
        }
        let (session, config) = result?;
        let mut backend = PostgresBackend {
            client: Client::Own(Box::new(session)),
            prepared: HashMap::new(),
            watch: None,
            borrowed_settings: Vec::new(),
            transaction_open: false,
            held_locks: Vec::new(),
        };
        backend.set_timeouts(options)?;
        let bound = backend
            .set_up_session(&config, url.reply_timeout)
            .map_err(|e| {
                connect_error(format!("cannot set up the session: {}", server_message(&e)))
            })?;
        if let Client::Own(session) = &mut backend.client {
            session.set_reply_bound(bound);
        }
        Ok(backend)
    }

    /// A backend on a connection the caller made and keeps: the same lock, guard and
    /// version-table rules as rmig's own connection, with the caller's network settings and
    /// time limits. The `lock_timeout` and `statement_timeout` rmig sets (from `options`, or
    /// its default lock timeout when the session has none), and whatever a revision sets in
    /// the session, are put back as they were when the backend is dropped.
    pub fn on_caller_connection(
        mut client: Client<'c>,
        options: &ConnectOptions,
    ) -> Result<PostgresBackend<'c>, DbError> {
        let cannot_read = |e: SessionError| {
            let code = match &e {
                SessionError::Driver(driver) => driver.code(),
                _ => None,
            };
            // A session inside a failed transaction answers nothing but a rollback.
            if code == Some(&tokio_postgres::error::SqlState::IN_FAILED_SQL_TRANSACTION) {
                return DbError::Other(super::CALLER_IN_TRANSACTION.to_string());
            }
            DbError::Other(format!(
                "cannot read the session's settings: {}",
                server_message(&e)
            ))
        };
        // Outside a transaction block, a simple-protocol query is its own transaction, which
        // starts with it; inside one, the transaction started at its BEGIN, a round trip or
        // more earlier. (With the extended protocol the two times differ either way.)
        // The role is a setting `pg_settings` does not list; the `transaction_*` ones are
        // the open transaction's, not the session's.
        let messages = client
            .simple_query(
                "SELECT (transaction_timestamp() < statement_timestamp())::text, 'role', \
                 current_setting('role') UNION ALL SELECT NULL, name, setting FROM pg_settings \
                 WHERE context IN ('user', 'superuser') AND name NOT LIKE 'transaction\\_%'",
            )
            .map_err(cannot_read)?;
        let rows: Vec<_> = messages
            .iter()
            .filter_map(|message| match message {
                SimpleQueryMessage::Row(row) => Some(row),
                _ => None,
            })
            .collect();
        match rows.first() {
            None => return Err(cannot_read(SessionError::Remote("no row".to_string()))),
            Some(first) if first.get(0) == Some("true") => {
                return Err(DbError::Other(super::CALLER_IN_TRANSACTION.to_string()))
            }
            Some(_) => {}
        }
        let borrowed_settings = rows
            .iter()
            .filter_map(|row| Some((row.get(1)?.to_string(), row.get(2)?.to_string())))
            .collect();
        let mut backend = PostgresBackend {
            client,
            prepared: HashMap::new(),
            watch: None,
            borrowed_settings,
            transaction_open: false,
            held_locks: Vec::new(),
        };
        backend.set_timeouts(options)?;
        backend
            .client
            .batch_execute(&default_lock_timeout_sql())
            .map_err(|e| {
                DbError::Other(format!("cannot set lock_timeout: {}", server_message(&e)))
            })?;
        Ok(backend)
    }

    /// Whether the connection is the caller's, to be given back as it was.
    fn is_callers(&self) -> bool {
        !matches!(self.client, Client::Own(_))
    }

    /// `--lock-timeout` and `--statement-timeout` for this session.
    fn set_timeouts(&mut self, options: &ConnectOptions) -> Result<(), DbError> {
        for (name, value) in [
            ("lock_timeout", &options.lock_timeout),
            ("statement_timeout", &options.statement_timeout),
        ] {
            if let Some(value) = value {
                // A limit given is a limit: a value the server reads as none (0, or under
                // 1 ms, which it rounds to 0) becomes the smallest it knows, 1 ms.
                self.client
                    .execute(
                        "SELECT CASE WHEN set_config($1, $2, false) = '0' \
                         THEN set_config($1, '1ms', false) END",
                        &[&name, value],
                    )
                    .map_err(|e| {
                        DbError::Other(format!(
                            "cannot set {name} to '{value}': {}",
                            server_message(&e)
                        ))
                    })?;
            }
        }
        Ok(())
    }

    /// Settings of the server's side of the session, in one round trip (two with a reply
    /// bound), and the bound on how long rmig waits for each reply from then on.
    ///
    /// - `client_connection_check_interval` (PostgreSQL 14+): the server notices within a
    ///   second when rmig dies mid-statement (killed, network gone) and ends the session,
    ///   rolling back its step and freeing the run lock.
    /// - TCP keepalives and `tcp_user_timeout` of the server's socket, as rmig's own: the
    ///   server ends the session of an rmig whose host or network vanished, also when idle.
    /// - `lock_timeout` [`DEFAULT_LOCK_TIMEOUT`] when nothing set one.
    /// - With a reply bound, `idle_in_transaction_session_timeout` and `idle_session_timeout`
    ///   (14+) no longer than it (kept when shorter): an rmig that stopped waiting for a reply
    ///   is gone, and its session, its open transaction and its run lock go too, even when a
    ///   middlebox keeps the socket open.
    ///
    /// The settings a server does not have are left out, not refused.
    fn set_up_session(
        &mut self,
        config: &tokio_postgres::Config,
        reply_timeout: Option<Duration>,
    ) -> Result<Option<ReplyBound>, SessionError> {
        let mut settings = vec![("client_connection_check_interval", 1000)];
        if config.get_keepalives() {
            settings.push((
                "tcp_keepalives_idle",
                config.get_keepalives_idle().as_secs(),
            ));
            if let Some(interval) = config.get_keepalives_interval() {
                settings.push(("tcp_keepalives_interval", interval.as_secs()));
            }
            if let Some(retries) = config.get_keepalives_retries() {
                settings.push(("tcp_keepalives_count", u64::from(retries)));
            }
        }
        if let Some(timeout) = config.get_tcp_user_timeout() {
            settings.push(("tcp_user_timeout", timeout.as_millis() as u64));
        }
        let values = settings
            .iter()
            .map(|(name, value)| format!("('{name}', '{value}')"))
            .collect::<Vec<_>>()
            .join(", ");
        let script = format!(
            "SELECT set_config(name, value, false) FROM (VALUES {values}) AS s (name, value) \
             WHERE name IN (SELECT name FROM pg_settings); {}; \
             SELECT setting FROM pg_settings WHERE name = 'statement_timeout'",
            default_lock_timeout_sql()
        );
        let messages = self.client.simple_query(&script)?;
        let statement_timeout = messages
            .iter()
            .rev()
            .find_map(|message| match message {
                SimpleQueryMessage::Row(row) => row.get(0),
                _ => None,
            })
            .and_then(|ms| ms.parse::<u64>().ok())
            .filter(|&ms| ms > 0)
            .map(Duration::from_millis);
        let bound = reply_bound(reply_timeout, statement_timeout);
        if let Some(bound) = bound {
            let ms = bound.limit(1).as_millis();
            self.client.batch_execute(&format!(
                "SELECT set_config(name, '{ms}', false) FROM pg_settings \
                 WHERE name IN ('idle_in_transaction_session_timeout', 'idle_session_timeout') \
                 AND (setting = '0' OR setting::int8 > {ms})"
            ))?;
        }
        Ok(bound)
    }

    /// The transaction's row counters start again in the next one; after a rollback the
    /// watched tables are read anew, since what the transaction changed did not happen.
    fn transaction_ended(&mut self, rolled_back: bool) {
        // A COMMIT that fails ends the transaction too (PostgreSQL rolls it back).
        self.transaction_open = false;
        if rolled_back {
            self.watch = None;
        } else if let Some(watch) = self.watch.as_mut() {
            watch.seen.clear();
        }
    }

    /// The session's prepared statement for `sql`, preparing it on first use.
    fn prepare_cached(&mut self, sql: &str) -> Result<tokio_postgres::Statement, DbError> {
        if let Some(statement) = self.prepared.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self
            .client
            .prepare(sql)
            .map_err(|e| statement_error(sql, &e))?;
        self.prepared.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }

    /// Binds `params` to the types the server inferred for them. Values whose Rust form the
    /// driver cannot send as that type (a date given as text, say) are sent as text and cast
    /// in SQL, so the server does the conversion it would do for a literal.
    fn bind(
        &mut self,
        sql: &str,
        params: &[ScalarValue],
    ) -> Result<(tokio_postgres::Statement, Vec<Box<dyn ToSql + Sync>>), DbError> {
        let statement = self.prepare_cached(sql)?;
        let mut casts: Vec<Option<String>> = Vec::with_capacity(params.len());
        let mut bound: Vec<Box<dyn ToSql + Sync>> = Vec::with_capacity(params.len());
        for (value, ty) in params.iter().zip(statement.params()) {
            match native_value(value, ty) {
                Some(native) => {
                    casts.push(None);
                    bound.push(native);
                }
                None => {
                    casts.push(Some(ty.name().to_string()));
                    bound.push(Box::new(text_of(value)));
                }
            }
        }
        if casts.iter().all(Option::is_none) {
            return Ok((statement, bound));
        }
        let mut rewritten = sql.to_string();
        // Highest index first, so `$1` does not match the start of `$10`.
        for (index, cast) in casts.iter().enumerate().rev() {
            if let Some(type_name) = cast {
                let placeholder = format!("${}", index + 1);
                let replacement = format!(
                    "CAST(${} AS text)::\"{}\"",
                    index + 1,
                    type_name.replace('"', "\"\"")
                );
                rewritten = replace_placeholder(&rewritten, &placeholder, &replacement);
            }
        }
        Ok((self.prepare_cached(&rewritten)?, bound))
    }
}

/// Replaces a `$N` placeholder that is not the start of a longer number.
fn replace_placeholder(sql: &str, placeholder: &str, replacement: &str) -> String {
    let mut out = String::with_capacity(sql.len() + replacement.len());
    let mut rest = sql;
    while let Some(at) = rest.find(placeholder) {
        let after = &rest[at + placeholder.len()..];
        out.push_str(&rest[..at]);
        if after.starts_with(|c: char| c.is_ascii_digit()) {
            out.push_str(placeholder);
        } else {
            out.push_str(replacement);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The value as the Rust type the driver sends for `ty`, when there is one.
fn native_value(value: &ScalarValue, ty: &Type) -> Option<Box<dyn ToSql + Sync>> {
    Some(match (value, ty) {
        // A NULL of any other type goes the text-and-cast way below: the driver refuses to
        // send an Option<String> as, say, a bigint, even when it is None.
        (ScalarValue::Null, &Type::TEXT | &Type::VARCHAR | &Type::BPCHAR | &Type::NAME) => {
            Box::new(None::<String>) as Box<dyn ToSql + Sync>
        }
        (ScalarValue::Bool(b), &Type::BOOL) => Box::new(*b),
        (ScalarValue::Integer(i), &Type::INT2) => Box::new(i16::try_from(*i).ok()?),
        (ScalarValue::Integer(i), &Type::INT4) => Box::new(i32::try_from(*i).ok()?),
        (ScalarValue::Integer(i), &Type::INT8) => Box::new(*i),
        (ScalarValue::Integer(i), &Type::FLOAT8) => Box::new(*i as f64),
        (ScalarValue::Float(f), &Type::FLOAT8) => Box::new(*f),
        (ScalarValue::Float(f), &Type::FLOAT4) => Box::new(*f as f32),
        (ScalarValue::String(s), &Type::TEXT | &Type::VARCHAR | &Type::BPCHAR | &Type::NAME) => {
            Box::new(s.clone())
        }
        _ => return None,
    })
}

/// Text the server parses as a literal of the target type.
fn text_of(value: &ScalarValue) -> Option<String> {
    match value {
        ScalarValue::Null => None,
        ScalarValue::Bool(b) => Some(b.to_string()),
        ScalarValue::Integer(i) => Some(i.to_string()),
        ScalarValue::Float(f) => Some(f.to_string()),
        ScalarValue::String(s) => Some(s.clone()),
    }
}

/// The first column of the rows a simple query returned (only its SELECT returns rows).
fn first_column(messages: &[SimpleQueryMessage]) -> Vec<String> {
    messages
        .iter()
        .filter_map(|message| match message {
            SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
            _ => None,
        })
        .collect()
}

/// The reply bound: `reply_timeout` from the URL (0: none), else the session's
/// `statement_timeout` per statement plus a margin, else none (TCP keepalives still end the
/// wait when the peer vanishes).
fn reply_bound(
    reply_timeout: Option<Duration>,
    statement_timeout: Option<Duration>,
) -> Option<ReplyBound> {
    match reply_timeout {
        Some(Duration::ZERO) => None,
        Some(limit) => Some(ReplyBound::Fixed {
            limit,
            set_by: "reply_timeout",
        }),
        None => statement_timeout.map(ReplyBound::StatementTimeout),
    }
}

/// Keepalives and the TCP user timeout where the URL does not set them, and the connect
/// timeout's per-address share (the driver's): returns the bound on the whole connection
/// to one host, `connect_timeout` (0: none, as libpq reads it).
fn network_defaults(config: &mut tokio_postgres::Config, url: &PostgresUrl) -> Option<Duration> {
    let sets = |key: &str| url.sets(key);
    if !sets("keepalives_idle") {
        config.keepalives_idle(DEFAULT_KEEPALIVES_IDLE);
    }
    if !sets("keepalives_interval") {
        config.keepalives_interval(DEFAULT_KEEPALIVES_INTERVAL);
    }
    if !sets("keepalives_retries") {
        config.keepalives_retries(DEFAULT_KEEPALIVES_RETRIES);
    }
    // Sent data unacknowledged this long ends the connection: keepalives probe an idle
    // connection only, not one whose request the network swallowed.
    if config.get_keepalives() && !sets("tcp_user_timeout") {
        let probes = config.get_keepalives_interval().unwrap_or_default()
            * config.get_keepalives_retries().unwrap_or_default();
        config.tcp_user_timeout(config.get_keepalives_idle() + probes);
    }
    let limit = match url.connect_timeout {
        Some(Duration::ZERO) => return None,
        Some(limit) => limit,
        None => DEFAULT_CONNECT_TIMEOUT,
    };
    config.connect_timeout(limit);
    Some(limit)
}

/// The server's own words (`ERROR: relation "x" does not exist`), else the driver's, else
/// which time limit ran out.
fn server_message(error: &SessionError) -> String {
    let SessionError::Driver(error) = error else {
        return error.to_string();
    };
    match error.as_db_error() {
        Some(db) => {
            let mut message = format!("{}: {}", db.severity(), db.message());
            if let Some(detail) = db.detail() {
                message.push_str(&format!(" ({detail})"));
            }
            message
        }
        // The driver's bare "connection closed" when the server ended the session mid-run
        // (fault test: `connection_dropped_mid_step_rolls_the_step_back`).
        None if error.is_closed() => "the server closed the connection (the session was terminated, the server restarted or the network failed)".to_string(),
        None => error.to_string(),
    }
}

fn describe_connect_error(error: &SessionError) -> String {
    let SessionError::Driver(error) = error else {
        return error.to_string();
    };
    if let Some(db) = error.as_db_error() {
        return db.message().to_string();
    }
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message = format!("{message}: {cause}");
        source = cause.source();
    }
    if message.contains("Connection refused") {
        message.push_str(
            "; is the server running and accepting TCP connections on that host and port?",
        );
    }
    message
}

fn statement_error(sql: &str, error: &SessionError) -> DbError {
    let code = match error {
        SessionError::Driver(error) => error.code(),
        _ => None,
    };
    DbError::Statement {
        sql: sql.to_string(),
        message: server_message(error),
        lock_timed_out: code == Some(&tokio_postgres::error::SqlState::LOCK_NOT_AVAILABLE),
    }
}

/// A caller's connection gets its settings back; a failure here has nowhere to go, and the
/// caller's next statement reports a broken connection itself.
impl Drop for PostgresBackend<'_> {
    fn drop(&mut self) {
        if !self.is_callers() {
            return;
        }
        // Every run ends its transactions and lets its lock go; one that did not (a panic
        // unwinding through it) leaves them here. The caller's connection was outside any
        // transaction when it was handed over, so an open one is rmig's. Rolled back first:
        // inside it, the settings put back would be undone by the next rollback.
        if self.transaction_open {
            let _ = self.client.batch_execute("ROLLBACK");
        }
        // The role first: the settings it may have been needed to change are set back as the
        // caller's role. A value `pg_settings` gives is in the setting's base unit, which
        // `set_config` reads the same way.
        let literal = |text: &str| crate::dialect::string_literal(text);
        let values = self
            .borrowed_settings
            .iter()
            .filter(|(name, _)| name != "role")
            .map(|(name, value)| format!("({}, {})", literal(name), literal(value)))
            .collect::<Vec<_>>()
            .join(", ");
        let mut script = String::new();
        if let Some((_, role)) = self.borrowed_settings.iter().find(|(name, _)| name == "role") {
            script.push_str(&format!(
                "SELECT set_config('role', {role}, false) WHERE current_setting('role') <> {role}; ",
                role = literal(role)
            ));
        }
        script.push_str(&format!(
            "SELECT set_config(s.name, b.setting, false) FROM pg_settings s \
             JOIN (VALUES {values}) AS b (name, setting) ON b.name = s.name \
             WHERE s.setting IS DISTINCT FROM b.setting"
        ));
        for table in &self.held_locks {
            script.push_str(&format!(
                "; SELECT pg_advisory_unlock({ADVISORY_LOCK_CLASS}, hashtext({}))",
                crate::dialect::string_literal(table)
            ));
        }
        let _ = self.client.batch_execute(&script);
    }
}

impl Backend for PostgresBackend<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgresql
    }

    fn lock(&mut self, table: &VersionTable, timeout: Duration) -> Result<(), DbError> {
        // A caller's session may hold a temporary table of the version table's name, which
        // the run's unqualified statements would find first (`pg_temp` leads the search
        // path): the version rows would go there and vanish with the session.
        if self.is_callers() && table.schema.is_none() {
            let sql = "SELECT EXISTS (SELECT 1 FROM pg_class \
                       WHERE relnamespace = pg_my_temp_schema() AND relname = $1)";
            let shadowed = self
                .client
                .query_one(sql, &[&table.name])
                .map_err(|e| statement_error(sql, &e))?;
            if shadowed.get::<_, bool>(0) {
                return Err(DbError::Other(format!(
                    "the session has a temporary table named {}, which would take the version rows in place of the database's; drop it, or set the version table's schema",
                    table.name
                )));
            }
        }
        let name = table.qualified_name(Dialect::Postgresql);
        let started = Instant::now();
        let try_lock = self.prepare_cached("SELECT pg_try_advisory_lock($1, hashtext($2))")?;
        loop {
            let row = self
                .client
                .query_one(&try_lock, &[&ADVISORY_LOCK_CLASS, &name])
                .map_err(|e| statement_error("SELECT pg_try_advisory_lock(...)", &e))?;
            if row.get::<_, bool>(0) {
                self.held_locks.push(name);
                return Ok(());
            }
            if started.elapsed() >= timeout {
                return Err(DbError::LockTimeout {
                    table: name,
                    waited: started.elapsed(),
                });
            }
            sleep(LOCK_POLL);
        }
    }

    fn unlock(&mut self, table: &VersionTable) -> Result<(), DbError> {
        let name = table.qualified_name(Dialect::Postgresql);
        self.client
            .execute(
                "SELECT pg_advisory_unlock($1, hashtext($2))",
                &[&ADVISORY_LOCK_CLASS, &name],
            )
            .map_err(|e| statement_error("SELECT pg_advisory_unlock(...)", &e))?;
        if let Some(at) = self.held_locks.iter().position(|held| *held == name) {
            self.held_locks.remove(at);
        }
        Ok(())
    }

    fn begin(&mut self) -> Result<(), DbError> {
        self.transaction_open = true;
        self.batch("BEGIN")
    }

    fn commit(&mut self) -> Result<(), DbError> {
        self.transaction_ended(false);
        self.batch("COMMIT")
    }

    fn rollback(&mut self) -> Result<(), DbError> {
        self.transaction_ended(true);
        self.batch("ROLLBACK")
    }

    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        self.client
            .batch_execute(sql)
            .map_err(|e| statement_error(sql, &e))
    }

    fn execute_one(&mut self, sql: &str) -> Result<(), DbError> {
        // The extended protocol, which takes one statement only (a second is an error), with
        // the unnamed statement: Parse, Bind, Execute and Sync in one round trip, where
        // `execute` prepares first (two) and `batch_execute` would run several statements.
        self.client
            .execute_typed(sql, &[])
            .map(|_| ())
            .map_err(|e| statement_error(sql, &e))
    }

    fn execute(&mut self, sql: &str, params: &[ScalarValue]) -> Result<u64, DbError> {
        let (statement, bound) = self.bind(sql, params)?;
        let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|b| b.as_ref()).collect();
        self.client
            .execute(&statement, &refs)
            .map_err(|e| statement_error(sql, &e))
    }

    fn begin_and_query(&mut self, select: &str) -> Result<Vec<String>, DbError> {
        self.transaction_open = true;
        let script = format!("BEGIN; {select}");
        let messages = self
            .client
            .simple_query(&script)
            .map_err(|e| statement_error(&script, &e))?;
        Ok(messages
            .iter()
            .filter_map(|message| match message {
                SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
                _ => None,
            })
            .collect())
    }

    fn execute_script(&mut self, statements: &[String]) -> Result<Vec<u64>, DbError> {
        let script = statements.join(";\n");
        let messages = self
            .client
            .simple_query(&script)
            .map_err(|e| statement_error(&script, &e))?;
        Ok(messages
            .iter()
            .filter_map(|message| match message {
                SimpleQueryMessage::CommandComplete(rows) => Some(*rows),
                _ => None,
            })
            .take(statements.len())
            .collect())
    }

    fn execute_script_and_query(
        &mut self,
        statements: &[String],
        select: &str,
    ) -> Result<(Vec<u64>, Vec<String>), DbError> {
        let mut script = statements.join(";\n");
        script.push_str(";\n");
        script.push_str(select);
        let messages = self
            .client
            .simple_query(&script)
            .map_err(|e| statement_error(&script, &e))?;
        let counts = messages
            .iter()
            .filter_map(|message| match message {
                SimpleQueryMessage::CommandComplete(rows) => Some(*rows),
                _ => None,
            })
            .take(statements.len())
            .collect();
        Ok((counts, first_column(&messages)))
    }

    fn commit_and_begin_query(&mut self, select: &str) -> Result<Vec<String>, DbError> {
        self.transaction_ended(false);
        self.transaction_open = true;
        let script = format!("COMMIT; BEGIN; {select}");
        let messages = self
            .client
            .simple_query(&script)
            .map_err(|e| statement_error(&script, &e))?;
        Ok(first_column(&messages))
    }

    fn query_strings(&mut self, sql: &str, params: &[ScalarValue]) -> Result<Vec<String>, DbError> {
        let (statement, bound) = self.bind(sql, params)?;
        let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|b| b.as_ref()).collect();
        let rows = self
            .client
            .query(&statement, &refs)
            .map_err(|e| statement_error(sql, &e))?;
        Ok(rows.iter().map(|row| row.get::<_, String>(0)).collect())
    }

    fn query_count(&mut self, sql: &str) -> Result<u64, DbError> {
        let row = self
            .client
            .query_one(sql, &[])
            .map_err(|e| statement_error(sql, &e))?;
        let count: i64 = row.get(0);
        Ok(count.max(0) as u64)
    }

    fn query_rows(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, DbError> {
        // The simple query protocol returns every value as text, whatever its type.
        let messages = self
            .client
            .simple_query(sql)
            .map_err(|e| statement_error(sql, &e))?;
        Ok(messages
            .iter()
            .filter_map(|message| match message {
                SimpleQueryMessage::Row(row) => Some(
                    (0..row.len())
                        .map(|index| row.get(index).map(str::to_string))
                        .collect(),
                ),
                _ => None,
            })
            .collect())
    }

    fn watch_effects(&mut self, excluded: &[&str]) -> Result<(), DbError> {
        if self.watch.is_some() {
            return Ok(());
        }
        let statement = self.prepare_cached(WATCH_TABLES_SQL)?;
        let rows = self
            .client
            .query(&statement, &[])
            .map_err(|e| statement_error(WATCH_TABLES_SQL, &e))?;
        let mut tables = HashMap::with_capacity(rows.len());
        for row in rows {
            let oid: u32 = row.get(0);
            tables.insert(
                oid,
                TableState {
                    schema: row.get(1),
                    name: row.get(2),
                    storage: row.get(3),
                    columns: columns_from_json(row.get(4))?,
                },
            );
        }
        let statement = self.prepare_cached(WATCH_SEQUENCES_SQL)?;
        let rows = self
            .client
            .query(&statement, &[])
            .map_err(|e| statement_error(WATCH_SEQUENCES_SQL, &e))?;
        let mut sequences = HashMap::new();
        let mut event_triggers = false;
        for row in rows {
            event_triggers = row.get(4);
            if let Some(oid) = row.get::<_, Option<u32>>(0) {
                let object = sequence_object(row.get(1), row.get(2));
                sequences.insert(oid, (object, row.get(3)));
            }
        }
        self.watch = Some(PgWatch {
            tables,
            seen: HashMap::new(),
            excluded: excluded.iter().map(|name| name.to_string()).collect(),
            sequences,
            event_triggers,
        });
        Ok(())
    }

    fn observed_effects(&mut self) -> Result<Vec<Observed>, DbError> {
        if self.watch.is_none() {
            return Ok(Vec::new());
        }
        let statement = self.prepare_cached(WATCH_EFFECTS_SQL)?;
        let rows = self
            .client
            .query(&statement, &[])
            .map_err(|e| statement_error(WATCH_EFFECTS_SQL, &e))?;
        let Some(watch) = self.watch.as_mut() else {
            return Ok(Vec::new());
        };
        let mut observed = Vec::new();
        for row in rows {
            let oid: u32 = row.get(0);
            if let Some((sequence, last)) = watch.sequences.get_mut(&oid) {
                // Named as it is now, so that a rename earlier in the run (rename_sequence,
                // rename_dependents) does not report a reset under a name no longer there.
                if let Some(name) = row.get::<_, Option<&str>>(3) {
                    *sequence = sequence_object(row.get(2), name);
                }
                let now: Option<i64> = row.get(8);
                if last.is_some() && now < *last {
                    observed.push(Observed {
                        object: sequence.clone(),
                        effect: ObservedEffect::SequenceReset,
                    });
                }
                *last = now;
                continue;
            }
            let Some(before) = watch.tables.get(&oid).cloned() else {
                // Created by this run, or a system catalog: nothing from before to lose.
                continue;
            };
            if watch.excluded.contains(&before.name) {
                continue;
            }
            let exists: bool = row.get(1);
            if !exists {
                observed.push(Observed {
                    object: before.object(),
                    effect: ObservedEffect::TableDropped,
                });
                watch.tables.remove(&oid);
                continue;
            }
            let (deleted, updated): (i64, i64) = (row.get(5), row.get(6));
            let (deleted_before, updated_before) = watch.seen.get(&oid).copied().unwrap_or((0, 0));
            watch.seen.insert(oid, (deleted, updated));
            let mut now = TableState {
                schema: row.get(2),
                name: row.get(3),
                storage: row.get(4),
                columns: before.columns.clone(),
            };
            if deleted > deleted_before {
                observed.push(Observed {
                    object: now.object(),
                    effect: ObservedEffect::RowsDeleted((deleted - deleted_before) as u64),
                });
            }
            if updated > updated_before {
                observed.push(Observed {
                    object: now.object(),
                    effect: ObservedEffect::RowsUpdated {
                        count: (updated - updated_before) as u64,
                        triggered: row.get(9),
                    },
                });
            }
            if let Some(columns) = row.get::<_, Option<&str>>(7) {
                now.columns = columns_from_json(columns)?;
                if now.storage != before.storage {
                    observed.push(Observed {
                        object: now.object(),
                        effect: ObservedEffect::StorageReplaced,
                    });
                }
                before.column_changes(&now, &mut observed);
            }
            watch.tables.insert(oid, now);
        }
        Ok(observed)
    }

    fn table_columns(
        &mut self,
        schema: Option<&str>,
        table: &str,
    ) -> Result<Vec<LiveColumn>, DbError> {
        let sql =
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, \
            pg_get_expr(d.adbin, d.adrelid) FROM pg_catalog.pg_attribute a \
            LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
            WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped \
            ORDER BY a.attnum";
        let statement = self.prepare_cached(sql)?;
        let name = Dialect::Postgresql.qualified_name(schema, table);
        let rows = self
            .client
            .query(&statement, &[&name])
            .map_err(|e| statement_error(sql, &e))?;
        Ok(rows
            .iter()
            .map(|row| LiveColumn {
                name: row.get(0),
                type_name: row.get(1),
                nullable: row.get(2),
                default: row.get(3),
            })
            .collect())
    }

    fn watches_every_operation(&self) -> bool {
        self.watch
            .as_ref()
            .is_some_and(|watch| watch.event_triggers)
    }

    fn run_deferred(&mut self) -> Result<(), DbError> {
        self.batch("SET CONSTRAINTS ALL IMMEDIATE")
    }

    fn has_table(&mut self, schema: Option<&str>, table: &str) -> Result<bool, DbError> {
        // The catalog rather than information_schema.tables (a view that checks privileges
        // row by row), and prepared once per session: a run asks this several times.
        let sql = "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = coalesce($1, current_schema()) AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f'))";
        let statement = self.prepare_cached(sql)?;
        let row = self
            .client
            .query_one(&statement, &[&schema, &table])
            .map_err(|e| statement_error(sql, &e))?;
        Ok(row.get(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configured(url: &str) -> (tokio_postgres::Config, Option<Duration>) {
        let url = PostgresUrl::parse(url).unwrap();
        let mut config = url.targets[0].clone();
        let limit = network_defaults(&mut config, &url);
        (config, limit)
    }

    #[test]
    fn connections_get_time_limits_the_url_can_change() {
        let (config, limit) = configured("postgres://u@h/d");
        assert_eq!(limit, Some(DEFAULT_CONNECT_TIMEOUT));
        assert_eq!(config.get_connect_timeout(), Some(&DEFAULT_CONNECT_TIMEOUT));
        assert!(config.get_keepalives());
        assert_eq!(config.get_keepalives_idle(), Duration::from_secs(10));
        assert_eq!(
            config.get_keepalives_interval(),
            Some(Duration::from_secs(5))
        );
        assert_eq!(config.get_keepalives_retries(), Some(3));
        assert_eq!(
            config.get_tcp_user_timeout(),
            Some(&Duration::from_secs(25))
        );

        let (config, limit) = configured(
            "postgres://u@h1,h2/d?connect_timeout=3&keepalives_idle=60&keepalives_retries=5",
        );
        assert_eq!(
            limit,
            Some(Duration::from_secs(3)),
            "3 s for each host, tried alone"
        );
        assert_eq!(
            config.get_tcp_user_timeout(),
            Some(&Duration::from_secs(85))
        );
        let (config, _) = configured("postgres://u@h/d?tcp_user_timeout=7");
        assert_eq!(config.get_tcp_user_timeout(), Some(&Duration::from_secs(7)));
        // As libpq reads it, connect_timeout=0 waits as long as it takes.
        let (config, limit) = configured("postgres://u@h/d?connect_timeout=0&keepalives=0");
        assert_eq!(limit, None);
        assert_eq!(config.get_tcp_user_timeout(), None);
    }

    #[test]
    fn the_reply_bound_comes_from_reply_timeout_else_statement_timeout() {
        let three = Some(Duration::from_secs(3));
        assert_eq!(reply_bound(None, None), None);
        assert_eq!(
            reply_bound(None, three),
            Some(ReplyBound::StatementTimeout(Duration::from_secs(3)))
        );
        assert_eq!(
            reply_bound(Some(Duration::from_secs(2)), three),
            Some(ReplyBound::Fixed {
                limit: Duration::from_secs(2),
                set_by: "reply_timeout"
            })
        );
        assert_eq!(reply_bound(Some(Duration::ZERO), three), None);
    }
}
