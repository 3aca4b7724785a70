//! A blocking PostgreSQL session in which every wait ends: tokio-postgres driven on a
//! current-thread runtime (as the `postgres` crate drives it), with the whole connection
//! (TCP, TLS, start-up, authentication) bounded by the connect timeout and each request by
//! the reply bound. The `postgres` crate bounds neither: its `connect_timeout` covers the TCP
//! connect only, and a peer that acknowledges but never answers (a hung server or middlebox,
//! a network that stopped forwarding behind a proxy) keeps its calls, and its `Drop`, waiting
//! forever.

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::task::Poll;
use std::time::Duration;

use tokio::runtime::{Builder, Runtime};
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Config, Row, SimpleQueryMessage, Socket, Statement, ToStatement};

/// How long a session being closed may take to send its goodbye (Terminate).
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// The network's share of the reply bound derived from `statement_timeout`: the server
/// cancels a statement at its timeout and answers at once, so the answer is late by the
/// round trip only.
pub const REPLY_MARGIN: Duration = Duration::from_secs(10);

/// What went wrong in a session, the driver's error or one of the time limits.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Driver(#[from] tokio_postgres::Error),
    #[error("cannot start the session's runtime: {0}")]
    Runtime(std::io::Error),
    #[error("the server did not complete the connection within {} s (connect_timeout)", .0.as_secs())]
    ConnectTimedOut(Duration),
    #[error("no reply from the server within {:.1} s ({set_by}), so the connection was abandoned: the network or the server stopped answering", waited.as_secs_f64())]
    NoReply {
        waited: Duration,
        set_by: &'static str,
    },
    #[error("the connection was abandoned after the server sent no reply within {:.1} s ({set_by})", waited.as_secs_f64())]
    Abandoned {
        waited: Duration,
        set_by: &'static str,
    },
    #[error("the connection to the server is closed")]
    Closed,
    /// A request on a caller's async client that could not be made (src/db/pg_remote.rs).
    #[error("{0}")]
    Remote(String),
}

/// A statement as the driver takes it, SQL text or prepared, that can also say which it is:
/// a request to a caller's async client sends the prepared form (src/db/pg_remote.rs).
pub trait StatementText: ToStatement {
    /// The prepared statement, or the SQL text to prepare.
    #[cfg(feature = "async")]
    fn as_statement(&self) -> Result<&Statement, &str>;
}

impl StatementText for str {
    #[cfg(feature = "async")]
    fn as_statement(&self) -> Result<&Statement, &str> {
        Err(self)
    }
}

impl StatementText for String {
    #[cfg(feature = "async")]
    fn as_statement(&self) -> Result<&Statement, &str> {
        Err(self)
    }
}

impl StatementText for Statement {
    #[cfg(feature = "async")]
    fn as_statement(&self) -> Result<&Statement, &str> {
        Ok(self)
    }
}

/// How long a request waits for its reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyBound {
    /// One limit per request, whatever it holds: `reply_timeout` from the URL, or the connect
    /// timeout while the session is set up; `set_by` names it in messages.
    Fixed {
        limit: Duration,
        set_by: &'static str,
    },
    /// The session's `statement_timeout`, once per statement of a request (the server times
    /// each statement of a script on its own), plus [`REPLY_MARGIN`].
    StatementTimeout(Duration),
}

impl ReplyBound {
    /// The limit for a request of `statements` statements.
    pub fn limit(&self, statements: usize) -> Duration {
        match *self {
            ReplyBound::Fixed { limit, .. } => limit,
            ReplyBound::StatementTimeout(timeout) => {
                timeout.saturating_mul(statements.max(1) as u32) + REPLY_MARGIN
            }
        }
    }

    fn set_by(&self) -> &'static str {
        match self {
            ReplyBound::Fixed { set_by, .. } => set_by,
            ReplyBound::StatementTimeout(_) => "statement_timeout plus 10 s",
        }
    }
}

/// The number of statements a simple-query script may hold, never fewer than it holds: one
/// more than its semicolons (some of which may be inside literals).
pub fn statements_in(sql: &str) -> usize {
    sql.matches(';').count() + 1
}

type ConnectionFuture = Pin<Box<dyn Future<Output = Result<(), tokio_postgres::Error>> + Send>>;

pub struct Session {
    /// Declared before `driver`, so dropped first: the connection then sends Terminate.
    client: tokio_postgres::Client,
    driver: Driver,
    bound: Option<ReplyBound>,
}

/// The runtime and the connection's half of the session.
struct Driver {
    runtime: Runtime,
    connection: ConnectionFuture,
    /// The connection future has finished (the socket is closed).
    done: bool,
    /// A reply did not come in time: the socket was closed and nothing more is sent.
    abandoned: Option<(Duration, &'static str)>,
}

impl Session {
    /// Connects, waiting at most `limit` for the whole of it.
    pub fn connect<T>(
        config: &Config,
        tls: T,
        limit: Option<Duration>,
    ) -> Result<Self, SessionError>
    where
        T: MakeTlsConnect<Socket> + 'static + Send,
        T::TlsConnect: Send,
        T::Stream: Send,
        <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
    {
        let runtime = Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(SessionError::Runtime)?;
        let connecting = config.connect(tls);
        let (client, connection) = match limit {
            Some(limit) => runtime
                .block_on(async { tokio::time::timeout(limit, connecting).await })
                .map_err(|_| SessionError::ConnectTimedOut(limit))??,
            None => runtime.block_on(connecting)?,
        };
        Ok(Session {
            client,
            driver: Driver {
                runtime,
                connection: Box::pin(connection),
                done: false,
                abandoned: None,
            },
            bound: limit.map(|limit| ReplyBound::Fixed {
                limit,
                set_by: "connect_timeout",
            }),
        })
    }

    /// From now on requests wait for their replies as `bound` says (None: as long as TCP
    /// keeps the connection).
    pub fn set_reply_bound(&mut self, bound: Option<ReplyBound>) {
        self.bound = bound;
    }

    fn limit(&self, statements: usize) -> Option<(Duration, &'static str)> {
        self.bound
            .map(|bound| (bound.limit(statements), bound.set_by()))
    }

    pub fn prepare(&mut self, sql: &str) -> Result<Statement, SessionError> {
        let limit = self.limit(1);
        self.driver.wait(limit, self.client.prepare(sql))
    }

    pub fn execute<T: ?Sized + ToStatement + Sync>(
        &mut self,
        statement: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, SessionError> {
        let limit = self.limit(1);
        self.driver
            .wait(limit, self.client.execute(statement, params))
    }

    pub fn execute_typed(
        &mut self,
        sql: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> Result<u64, SessionError> {
        let limit = self.limit(1);
        self.driver
            .wait(limit, self.client.execute_typed(sql, params))
    }

    pub fn query<T: ?Sized + ToStatement + Sync>(
        &mut self,
        statement: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, SessionError> {
        let limit = self.limit(1);
        self.driver
            .wait(limit, self.client.query(statement, params))
    }

    pub fn query_one<T: ?Sized + ToStatement + Sync>(
        &mut self,
        statement: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, SessionError> {
        let limit = self.limit(1);
        self.driver
            .wait(limit, self.client.query_one(statement, params))
    }

    pub fn batch_execute(&mut self, sql: &str) -> Result<(), SessionError> {
        let limit = self.limit(statements_in(sql));
        self.driver.wait(limit, self.client.batch_execute(sql))
    }

    pub fn simple_query(&mut self, sql: &str) -> Result<Vec<SimpleQueryMessage>, SessionError> {
        let limit = self.limit(statements_in(sql));
        self.driver.wait(limit, self.client.simple_query(sql))
    }
}

/// The connection a PostgreSQL backend talks through: rmig's own [`Session`], or a
/// `postgres::Client` the caller made, configured and keeps (the library's
/// `Migrator::upgrade_on`), whose time limits are the caller's to set.
pub enum Client<'c> {
    Own(Box<Session>),
    Caller(&'c mut postgres::Client),
    /// A caller's `tokio_postgres::Client`, served by the caller's task.
    #[cfg(feature = "async")]
    Remote(super::pg_remote::RemoteClient),
}

impl Client<'_> {
    pub fn prepare(&mut self, sql: &str) -> Result<Statement, SessionError> {
        match self {
            Client::Own(session) => session.prepare(sql),
            Client::Caller(client) => Ok(client.prepare(sql)?),
            #[cfg(feature = "async")]
            Client::Remote(client) => client.prepare(sql),
        }
    }

    pub fn execute<T: ?Sized + StatementText + Sync>(
        &mut self,
        statement: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, SessionError> {
        match self {
            Client::Own(session) => session.execute(statement, params),
            Client::Caller(client) => Ok(client.execute(statement, params)?),
            #[cfg(feature = "async")]
            Client::Remote(client) => client.execute(statement, params),
        }
    }

    pub fn execute_typed(
        &mut self,
        sql: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> Result<u64, SessionError> {
        match self {
            Client::Own(session) => session.execute_typed(sql, params),
            Client::Caller(client) => Ok(client.execute_typed(sql, params)?),
            #[cfg(feature = "async")]
            Client::Remote(client) => client.execute_typed(sql, params),
        }
    }

    pub fn query<T: ?Sized + StatementText + Sync>(
        &mut self,
        statement: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, SessionError> {
        match self {
            Client::Own(session) => session.query(statement, params),
            Client::Caller(client) => Ok(client.query(statement, params)?),
            #[cfg(feature = "async")]
            Client::Remote(client) => client.query(statement, params),
        }
    }

    pub fn query_one<T: ?Sized + StatementText + Sync>(
        &mut self,
        statement: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, SessionError> {
        match self {
            Client::Own(session) => session.query_one(statement, params),
            Client::Caller(client) => Ok(client.query_one(statement, params)?),
            #[cfg(feature = "async")]
            Client::Remote(client) => {
                let mut rows = client.query(statement, params)?.into_iter();
                match (rows.next(), rows.next()) {
                    (Some(row), None) => Ok(row),
                    _ => Err(SessionError::Remote(
                        "the query returned other than one row".to_string(),
                    )),
                }
            }
        }
    }

    pub fn batch_execute(&mut self, sql: &str) -> Result<(), SessionError> {
        match self {
            Client::Own(session) => session.batch_execute(sql),
            Client::Caller(client) => Ok(client.batch_execute(sql)?),
            #[cfg(feature = "async")]
            Client::Remote(client) => client.batch_execute(sql),
        }
    }

    pub fn simple_query(&mut self, sql: &str) -> Result<Vec<SimpleQueryMessage>, SessionError> {
        match self {
            Client::Own(session) => session.simple_query(sql),
            Client::Caller(client) => Ok(client.simple_query(sql)?),
            #[cfg(feature = "async")]
            Client::Remote(client) => client.simple_query(sql),
        }
    }
}

impl Driver {
    /// Drives the connection until `request` completes, at most `limit`.
    fn wait<T>(
        &mut self,
        limit: Option<(Duration, &'static str)>,
        request: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, SessionError> {
        if let Some((waited, set_by)) = self.abandoned {
            return Err(SessionError::Abandoned { waited, set_by });
        }
        let connection = &mut self.connection;
        let done = &mut self.done;
        let mut request = pin!(request);
        // The connection's own errors (the server's FATAL when the session is terminated)
        // are the request's, as the `postgres` crate reports them.
        let both = poll_fn(|cx| {
            if !*done {
                if let Poll::Ready(result) = connection.as_mut().poll(cx) {
                    *done = true;
                    result?;
                }
            }
            match request.as_mut().poll(cx) {
                Poll::Ready(result) => Poll::Ready(result.map_err(SessionError::Driver)),
                Poll::Pending if *done => Poll::Ready(Err(SessionError::Closed)),
                Poll::Pending => Poll::Pending,
            }
        });
        let Some((limit, set_by)) = limit else {
            return self.runtime.block_on(both);
        };
        match self
            .runtime
            .block_on(async { tokio::time::timeout(limit, both).await })
        {
            Ok(result) => result,
            Err(_) => {
                // The late reply must never be read as the next request's: the socket is
                // closed, which also tells the server to end the session, if it can hear.
                self.abandoned = Some((limit, set_by));
                self.done = true;
                self.connection = Box::pin(async { Ok(()) });
                Err(SessionError::NoReply {
                    waited: limit,
                    set_by,
                })
            }
        }
    }
}

impl Drop for Driver {
    /// The client is gone by now: the connection sends Terminate and closes, given a moment.
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let connection = &mut self.connection;
        let _ = self
            .runtime
            .block_on(async { tokio::time::timeout(CLOSE_WAIT, connection).await });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_bound_from_statement_timeout_covers_each_statement_and_the_network() {
        let bound = ReplyBound::StatementTimeout(Duration::from_secs(3));
        assert_eq!(bound.limit(1), Duration::from_secs(13));
        assert_eq!(bound.limit(0), Duration::from_secs(13));
        assert_eq!(
            bound.limit(statements_in("BEGIN; SELECT 1")),
            Duration::from_secs(16)
        );
        let fixed = ReplyBound::Fixed {
            limit: Duration::from_secs(2),
            set_by: "reply_timeout",
        };
        assert_eq!(fixed.limit(5), Duration::from_secs(2));
    }
}
