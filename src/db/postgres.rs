//! PostgreSQL through the synchronous `postgres` crate, TLS through OpenSSL (`tls.rs`).

use std::collections::HashMap;
use std::thread::sleep;
use std::time::{Duration, Instant};

use postgres::config::SslMode;
use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls, SimpleQueryMessage};

use super::tls::MakeOpensslConnect;
use super::url::{ConnectOptions, PostgresUrl, TlsMode};
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

pub struct PostgresBackend {
    client: Client,
    /// Statements prepared on this session by their SQL text: a bulk insert or the audit
    /// row of every step is parsed once per run, not once per row.
    prepared: HashMap<String, postgres::Statement>,
    /// The tables the guard's verification watches, once a run asked for it.
    watch: Option<PgWatch>,
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

impl PostgresBackend {
    pub fn connect(
        url: &PostgresUrl,
        options: &ConnectOptions,
    ) -> Result<PostgresBackend, DbError> {
        let connect_error = |reason: String| DbError::Connect {
            url: url.display.clone(),
            reason,
        };
        let mut config: postgres::Config =
            url.driver_url
                .parse()
                .map_err(|e: postgres::Error| DbError::BadUrl {
                    url: url.display.clone(),
                    reason: e.to_string(),
                })?;
        if let Some(timeout) = url.connect_timeout {
            config.connect_timeout(timeout);
        }
        let client = match url.tls {
            TlsMode::Disable => {
                config.ssl_mode(SslMode::Disable);
                config.connect(NoTls)
            }
            mode => {
                config.ssl_mode(if mode == TlsMode::Prefer {
                    SslMode::Prefer
                } else {
                    SslMode::Require
                });
                let connector = MakeOpensslConnect::new(mode)
                    .map_err(|e| connect_error(format!("TLS set-up failed: {e}")))?;
                config.connect(connector)
            }
        }
        .map_err(|e| connect_error(describe_connect_error(&e)))?;
        let mut backend = PostgresBackend {
            client,
            prepared: HashMap::new(),
            watch: None,
        };
        // PostgreSQL 14+ then notices within a second when rmig dies mid-statement (killed,
        // network gone) and ends the session, rolling back its step and freeing the run lock.
        // Older servers lack the setting; they end the session when the statement finishes.
        // A simple query: one round trip, where a prepared one takes three.
        let _ = backend
            .client
            .batch_execute("SET client_connection_check_interval = 1000");
        for (name, value) in [
            ("lock_timeout", &options.lock_timeout),
            ("statement_timeout", &options.statement_timeout),
        ] {
            if let Some(value) = value {
                backend
                    .client
                    .execute("SELECT set_config($1, $2, false)", &[&name, value])
                    .map_err(|e| {
                        DbError::Other(format!(
                            "cannot set {name} to '{value}': {}",
                            server_message(&e)
                        ))
                    })?;
            }
        }
        Ok(backend)
    }

    /// The transaction's row counters start again in the next one; after a rollback the
    /// watched tables are read anew, since what the transaction changed did not happen.
    fn transaction_ended(&mut self, rolled_back: bool) {
        if rolled_back {
            self.watch = None;
        } else if let Some(watch) = self.watch.as_mut() {
            watch.seen.clear();
        }
    }

    /// The session's prepared statement for `sql`, preparing it on first use.
    fn prepare_cached(&mut self, sql: &str) -> Result<postgres::Statement, DbError> {
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
    ) -> Result<(postgres::Statement, Vec<Box<dyn ToSql + Sync>>), DbError> {
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

/// The server's own words (`ERROR: relation "x" does not exist`), else the driver's.
fn server_message(error: &postgres::Error) -> String {
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

fn describe_connect_error(error: &postgres::Error) -> String {
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

fn statement_error(sql: &str, error: &postgres::Error) -> DbError {
    DbError::Statement {
        sql: sql.to_string(),
        message: server_message(error),
    }
}

impl Backend for PostgresBackend {
    fn dialect(&self) -> Dialect {
        Dialect::Postgresql
    }

    fn lock(&mut self, table: &VersionTable, timeout: Duration) -> Result<(), DbError> {
        let name = table.qualified_name(Dialect::Postgresql);
        let started = Instant::now();
        let try_lock = self.prepare_cached("SELECT pg_try_advisory_lock($1, hashtext($2))")?;
        loop {
            let row = self
                .client
                .query_one(&try_lock, &[&ADVISORY_LOCK_CLASS, &name])
                .map_err(|e| statement_error("SELECT pg_try_advisory_lock(...)", &e))?;
            if row.get::<_, bool>(0) {
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
        Ok(())
    }

    fn begin(&mut self) -> Result<(), DbError> {
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
