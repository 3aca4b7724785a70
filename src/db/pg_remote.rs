//! A caller's `tokio_postgres::Client`, reached from rmig's blocking core on another thread.
//!
//! `AsyncMigrator::upgrade_on` runs the executor on a thread of its own, as every
//! `AsyncMigrator` call does, while the caller's task keeps its client: each request the
//! executor makes goes over a channel to that task, which performs it on the client and sends
//! the reply back. The client never leaves the caller's task, so it needs no `'static`
//! borrow, and the caller's runtime is never blocked. Parameters cross as the bytes the
//! server receives, encoded on the executor's side for the types the statement declares.

use std::sync::mpsc;

use bytes::BytesMut;
use tokio_postgres::types::{IsNull, ToSql, Type};
use tokio_postgres::{Row, SimpleQueryMessage, Statement};

use super::pg_session::{SessionError, StatementText};

/// One request of the executor and the channel its reply goes back on.
pub enum Request {
    Prepare(String, Reply<Statement>),
    Execute(Statement, Vec<Encoded>, Reply<u64>),
    ExecuteTyped(String, Vec<(Encoded, Type)>, Reply<u64>),
    Query(Statement, Vec<Encoded>, Reply<Vec<Row>>),
    BatchExecute(String, Reply<()>),
    SimpleQuery(String, Reply<Vec<SimpleQueryMessage>>),
}

type Reply<T> = mpsc::Sender<Result<T, tokio_postgres::Error>>;

/// A parameter as the bytes of its binary form (`None`: NULL), already checked against the
/// type the server expects.
#[derive(Debug)]
pub struct Encoded(Option<Vec<u8>>);

impl ToSql for Encoded {
    fn to_sql(
        &self,
        _: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match &self.0 {
            Some(bytes) => {
                out.extend_from_slice(bytes);
                Ok(IsNull::No)
            }
            None => Ok(IsNull::Yes),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    tokio_postgres::types::to_sql_checked!();
}

fn encode(param: &(dyn ToSql + Sync), type_: &Type) -> Result<Encoded, SessionError> {
    let mut out = BytesMut::new();
    match param
        .to_sql_checked(type_, &mut out)
        .map_err(|e| SessionError::Remote(format!("cannot encode a parameter as {type_}: {e}")))?
    {
        IsNull::Yes => Ok(Encoded(None)),
        IsNull::No => Ok(Encoded(Some(out.to_vec()))),
    }
}

/// The executor's end: sends each request and waits for its reply.
pub struct RemoteClient {
    requests: futures_channel::mpsc::UnboundedSender<Request>,
}

impl RemoteClient {
    /// A client for the executor's thread, and the receiver the caller's task serves.
    pub fn channel() -> (RemoteClient, futures_channel::mpsc::UnboundedReceiver<Request>) {
        let (requests, received) = futures_channel::mpsc::unbounded();
        (RemoteClient { requests }, received)
    }

    fn ask<T>(&self, request: impl FnOnce(Reply<T>) -> Request) -> Result<T, SessionError> {
        let (reply, answer) = mpsc::channel();
        self.requests
            .unbounded_send(request(reply))
            .map_err(|_| SessionError::Closed)?;
        // The caller's task dropped the request unanswered: its future was dropped.
        answer
            .recv()
            .map_err(|_| SessionError::Closed)?
            .map_err(SessionError::Driver)
    }

    fn statement(&self, statement: &(impl StatementText + ?Sized)) -> Result<Statement, SessionError> {
        match statement.as_statement() {
            Ok(prepared) => Ok(prepared.clone()),
            Err(sql) => self.prepare(sql),
        }
    }

    fn encoded(
        statement: &Statement,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Encoded>, SessionError> {
        if statement.params().len() != params.len() {
            return Err(SessionError::Remote(format!(
                "the statement takes {} parameters, {} given",
                statement.params().len(),
                params.len()
            )));
        }
        params
            .iter()
            .zip(statement.params())
            .map(|(param, type_)| encode(*param, type_))
            .collect()
    }

    pub fn prepare(&self, sql: &str) -> Result<Statement, SessionError> {
        self.ask(|reply| Request::Prepare(sql.to_string(), reply))
    }

    pub fn execute(
        &self,
        statement: &(impl StatementText + ?Sized),
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, SessionError> {
        let statement = self.statement(statement)?;
        let params = Self::encoded(&statement, params)?;
        self.ask(|reply| Request::Execute(statement, params, reply))
    }

    pub fn execute_typed(
        &self,
        sql: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> Result<u64, SessionError> {
        let params = params
            .iter()
            .map(|(param, type_)| Ok((encode(*param, type_)?, type_.clone())))
            .collect::<Result<Vec<_>, SessionError>>()?;
        self.ask(|reply| Request::ExecuteTyped(sql.to_string(), params, reply))
    }

    pub fn query(
        &self,
        statement: &(impl StatementText + ?Sized),
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, SessionError> {
        let statement = self.statement(statement)?;
        let params = Self::encoded(&statement, params)?;
        self.ask(|reply| Request::Query(statement, params, reply))
    }

    pub fn batch_execute(&self, sql: &str) -> Result<(), SessionError> {
        self.ask(|reply| Request::BatchExecute(sql.to_string(), reply))
    }

    pub fn simple_query(&self, sql: &str) -> Result<Vec<SimpleQueryMessage>, SessionError> {
        self.ask(|reply| Request::SimpleQuery(sql.to_string(), reply))
    }
}

/// The caller's end: performs one request on its client. A reply nobody waits for any more
/// (the executor's thread ended) is dropped.
pub async fn serve(client: &tokio_postgres::Client, request: Request) {
    fn refs<T: ToSql + Sync>(params: &[T]) -> Vec<&(dyn ToSql + Sync)> {
        params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
    }
    match request {
        Request::Prepare(sql, reply) => drop(reply.send(client.prepare(&sql).await)),
        Request::Execute(statement, params, reply) => {
            drop(reply.send(client.execute(&statement, &refs(&params)).await));
        }
        Request::ExecuteTyped(sql, params, reply) => {
            let typed: Vec<(&(dyn ToSql + Sync), Type)> = params
                .iter()
                .map(|(param, type_)| (param as &(dyn ToSql + Sync), type_.clone()))
                .collect();
            drop(reply.send(client.execute_typed(&sql, &typed).await));
        }
        Request::Query(statement, params, reply) => {
            drop(reply.send(client.query(&statement, &refs(&params)).await));
        }
        Request::BatchExecute(sql, reply) => drop(reply.send(client.batch_execute(&sql).await)),
        Request::SimpleQuery(sql, reply) => drop(reply.send(client.simple_query(&sql).await)),
    }
}
