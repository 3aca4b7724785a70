//! Connections a service made and keeps, which a [`Migrator`](super::Migrator) runs on
//! instead of opening its own from a URL.

use crate::db::{Backend, ConnectOptions, DbError};

/// A connection the caller owns, lent to one [`Migrator`](super::Migrator) call: made from
/// `&mut postgres::Client` (feature `postgres`) or `&mut rusqlite::Connection` (feature
/// `sqlite`) with `.into()`, which the `*_on` methods do for you.
pub struct Connection<'c>(Lent<'c>);

enum Lent<'c> {
    #[cfg(feature = "postgres")]
    Postgres(&'c mut postgres::Client),
    #[cfg(feature = "sqlite")]
    Sqlite(&'c mut rusqlite::Connection),
    /// A caller's `tokio_postgres::Client`, reached through its task (`AsyncMigrator`).
    #[cfg(all(feature = "postgres", feature = "async"))]
    Remote(crate::db::pg_remote::RemoteClient),
}

#[cfg(all(feature = "postgres", feature = "async"))]
impl Connection<'static> {
    /// The executor's end of a caller's async client.
    pub(crate) fn remote(client: crate::db::pg_remote::RemoteClient) -> Connection<'static> {
        Connection(Lent::Remote(client))
    }
}

impl<'c> Connection<'c> {
    /// The backend that runs on the lent connection and gives its settings back when dropped.
    pub(crate) fn backend(
        self,
        options: &ConnectOptions,
    ) -> Result<Box<dyn Backend + 'c>, DbError> {
        Ok(match self.0 {
            #[cfg(feature = "postgres")]
            Lent::Postgres(client) => Box::new(crate::db::PostgresBackend::on_caller_connection(
                crate::db::PgClient::Caller(client),
                options,
            )?),
            #[cfg(all(feature = "postgres", feature = "async"))]
            Lent::Remote(client) => Box::new(crate::db::PostgresBackend::on_caller_connection(
                crate::db::PgClient::Remote(client),
                options,
            )?),
            #[cfg(feature = "sqlite")]
            Lent::Sqlite(connection) => Box::new(crate::db::SqliteBackend::on_caller_connection(
                connection, options,
            )?),
        })
    }
}

#[cfg(feature = "postgres")]
impl<'c> From<&'c mut postgres::Client> for Connection<'c> {
    fn from(client: &'c mut postgres::Client) -> Connection<'c> {
        Connection(Lent::Postgres(client))
    }
}

#[cfg(feature = "sqlite")]
impl<'c> From<&'c mut rusqlite::Connection> for Connection<'c> {
    fn from(connection: &'c mut rusqlite::Connection) -> Connection<'c> {
        Connection(Lent::Sqlite(connection))
    }
}
