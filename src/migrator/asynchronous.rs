//! The `async` face of [`Migrator`], for async services.

use super::{CheckReport, MigrateError, MigrationReport, Migrator};
use crate::exec::StepLabel;

/// [`Migrator`] for async code (feature `async`): the same methods as `async fn`s.
///
/// Each call runs the synchronous migrator on a thread of its own and awaits its result
/// through a oneshot channel, so no executor thread is ever blocked, and any executor works
/// (tokio, async-std, smol: nothing here is tied to one).
///
/// Why not a second executor on tokio-postgres: the run loop, the migration lock, the
/// re-planning when another process moves the version rows, and the guard exist once, in
/// `exec::migrate`; a service's start-up migration and `rmig upgrade`
/// in a deploy script must run exactly the same code, and an async copy of that loop would
/// drift from it. A migration is a handful of statements on one dedicated connection, run
/// once at start-up, so a thread for its duration costs nothing measurable.
///
/// Why a plain thread and not `tokio::task::spawn_blocking`: the two cost the same for a
/// call made once at start-up, and the thread ties the API to no runtime, so the feature pulls
/// in no tokio. (The sync driver, tokio-postgres under its own small runtime, works on either.)
///
/// Dropping the returned future does not stop a migration that has started: it finishes (or
/// fails and rolls back its step) on its thread, and the lock is released. So wrap a call in
/// a timeout to stop waiting, not to stop the migration.
///
/// ```no_run
/// # async fn start() -> Result<(), rmig::MigrateError> {
/// let migrator = rmig::Migrator::from_dir("revisions")?
///     .url("postgresql://app@db/app")
///     .into_async();
/// migrator.upgrade("head").await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct AsyncMigrator {
    inner: Migrator,
}

impl Migrator {
    /// This migrator with `async fn` methods (feature `async`).
    pub fn into_async(self) -> AsyncMigrator {
        AsyncMigrator { inner: self }
    }
}

impl From<Migrator> for AsyncMigrator {
    fn from(inner: Migrator) -> AsyncMigrator {
        AsyncMigrator { inner }
    }
}

impl AsyncMigrator {
    /// The synchronous migrator underneath, e.g. to change its settings.
    pub fn blocking(&self) -> &Migrator {
        &self.inner
    }

    /// [`Migrator::upgrade`], awaited.
    pub async fn upgrade(&self, target: &str) -> Result<MigrationReport, MigrateError> {
        let target = target.to_string();
        self.run(move |m| m.upgrade(&target)).await
    }

    /// [`Migrator::downgrade`], awaited.
    pub async fn downgrade(&self, target: &str) -> Result<MigrationReport, MigrateError> {
        let target = target.to_string();
        self.run(move |m| m.downgrade(&target)).await
    }

    /// [`Migrator::current`], awaited.
    pub async fn current(&self) -> Result<Vec<String>, MigrateError> {
        self.run(|m| m.current()).await
    }

    /// [`Migrator::pending`], awaited.
    pub async fn pending(&self) -> Result<Vec<StepLabel>, MigrateError> {
        self.run(|m| m.pending()).await
    }

    /// [`Migrator::check`], awaited.
    pub async fn check(&self) -> Result<CheckReport, MigrateError> {
        self.run(|m| m.check()).await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Migrator) -> Result<T, MigrateError> + Send + 'static,
    ) -> Result<T, MigrateError> {
        finished(self.spawn(work)?).await
    }

    /// Runs `work` with a connection whose requests this task performs on `client`, until
    /// the run lets the connection go.
    #[cfg(feature = "postgres")]
    async fn run_on<T: Send + 'static>(
        &self,
        client: &mut tokio_postgres::Client,
        work: impl FnOnce(&Migrator, super::Connection<'static>) -> Result<T, MigrateError>
            + Send
            + 'static,
    ) -> Result<T, MigrateError> {
        use futures_core::Stream;

        let (remote, mut requests) = crate::db::pg_remote::RemoteClient::channel();
        let connection = super::Connection::remote(remote);
        let result = self.spawn(move |migrator| work(migrator, connection))?;
        // The stream ends when the run drops its connection, after putting back the
        // session's settings, or when its thread ends in any other way.
        while let Some(request) =
            std::future::poll_fn(|cx| std::pin::Pin::new(&mut requests).poll_next(cx)).await
        {
            crate::db::pg_remote::serve(&*client, request).await;
        }
        finished(result).await
    }

    /// Starts `work` on a thread of its own; the receiver gets its result.
    fn spawn<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Migrator) -> Result<T, MigrateError> + Send + 'static,
    ) -> Result<futures_channel::oneshot::Receiver<Result<T, MigrateError>>, MigrateError> {
        let inner = self.inner.clone();
        let (sender, receiver) = futures_channel::oneshot::channel();
        // The run's `tracing` spans and events belong to the caller's: its subscriber (which
        // may be set for its thread only) and its span go with the work to the new thread.
        let dispatch = tracing::dispatcher::get_default(|dispatch| dispatch.clone());
        let caller = tracing::Span::current();
        std::thread::Builder::new()
            .name("rmig-migrate".to_string())
            .spawn(move || {
                let result = tracing::dispatcher::with_default(&dispatch, || {
                    caller.in_scope(|| work(&inner))
                });
                // The receiver may be gone (the caller stopped waiting): the run still ends.
                let _ = sender.send(result);
            })
            .map_err(|e| MigrateError::Task(format!("cannot start a thread: {e}")))?;
        Ok(receiver)
    }
}

/// The result of a run's thread.
async fn finished<T>(
    receiver: futures_channel::oneshot::Receiver<Result<T, MigrateError>>,
) -> Result<T, MigrateError> {
    receiver.await.map_err(|_| {
        MigrateError::Task("the migration thread panicked; see its message above".to_string())
    })?
}

/// On a `tokio_postgres::Client` the caller keeps (features `async` and `postgres`).
///
/// The executor runs on its own thread as for every `AsyncMigrator` call, and the awaiting
/// task performs each of its statements on `client`, so the client stays with the caller and
/// its runtime is never blocked. The same lock, guard and version-table rules as on rmig's own
/// connection; `lock_timeout` and `statement_timeout` are put back as they were before the
/// call returns. Dropping the future mid-run stops the run at its next statement, and may
/// leave `client` inside the run's open transaction, with the run's time limits, and holding
/// the migration lock (a session lock, which a rollback does not release: every other run
/// waits until the session ends): close that connection, or roll back and run
/// `SELECT pg_advisory_unlock_all()` before using it again (docs/library.md).
///
/// The client is borrowed mutably for the whole call, as tokio-postgres's own
/// `Client::transaction` borrows it: a statement another task sent on a shared client while a
/// step's transaction is open would run inside that transaction (and be rolled back with a
/// failed step after its task was told it succeeded), and the migration lock, a session lock,
/// does not keep two runs on one session apart. A client shared between tasks cannot be handed
/// over:
///
/// ```compile_fail
/// # async fn shared(
/// #     migrator: rmig::AsyncMigrator,
/// #     client: std::sync::Arc<tokio_postgres::Client>,
/// # ) {
/// migrator.upgrade_on(&client, "head").await;
/// # }
/// ```
#[cfg(feature = "postgres")]
impl AsyncMigrator {
    /// [`Migrator::upgrade_on`] on a caller's `tokio_postgres::Client`, awaited.
    pub async fn upgrade_on(
        &self,
        client: &mut tokio_postgres::Client,
        target: &str,
    ) -> Result<MigrationReport, MigrateError> {
        let target = target.to_string();
        self.run_on(client, move |m, connection| {
            m.upgrade_on(connection, &target)
        })
        .await
    }

    /// [`Migrator::downgrade_on`] on a caller's `tokio_postgres::Client`, awaited.
    pub async fn downgrade_on(
        &self,
        client: &mut tokio_postgres::Client,
        target: &str,
    ) -> Result<MigrationReport, MigrateError> {
        let target = target.to_string();
        self.run_on(client, move |m, connection| {
            m.downgrade_on(connection, &target)
        })
        .await
    }

    /// [`Migrator::current_on`] on a caller's `tokio_postgres::Client`, awaited.
    pub async fn current_on(
        &self,
        client: &mut tokio_postgres::Client,
    ) -> Result<Vec<String>, MigrateError> {
        self.run_on(client, |m, connection| m.current_on(connection))
            .await
    }

    /// [`Migrator::check_on`] on a caller's `tokio_postgres::Client`, awaited.
    pub async fn check_on(
        &self,
        client: &mut tokio_postgres::Client,
    ) -> Result<CheckReport, MigrateError> {
        self.run_on(client, |m, connection| m.check_on(connection))
            .await
    }
}
