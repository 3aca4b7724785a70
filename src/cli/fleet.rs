//! `upgrade`/`downgrade --url-file FILE --jobs N`: one run over many databases.

use std::io::Write;

use super::migrate::MigrateArgs;
use crate::config::Overrides;
use crate::db::DatabaseUrl;
use crate::error::Error;
use crate::fleet::{self, DatabaseResult};
use crate::guard::Allowances;
use crate::migrator::Migrator;
use crate::plan::Direction;
use crate::project::Project;
use crate::term::{color_enabled, Stream};

use super::Log;

/// Migrates every database of the URL file; tells each as it finishes on `log` and prints the
/// summary table on `out`. Returns the run's exit status.
pub(super) fn run(
    overrides: &Overrides,
    direction: Direction,
    args: MigrateArgs,
    out: &mut dyn Write,
    log: &mut Log,
) -> Result<u8, Error> {
    let Some(path) = &args.url_file else {
        return Err(Error::Usage("--url-file names no file".to_string()));
    };
    crate::plan::check_target(&args.revision, direction)?;
    if overrides.url.is_some() {
        return Err(Error::Usage(
            "--url and --url-file exclude each other: list every database in the file".to_string(),
        ));
    }
    if args.revision.contains(':') {
        return Err(Error::Usage("Range revision not allowed".to_string()));
    }
    let urls = fleet::read_url_file(path)
        .map_err(|e| Error::Usage(format!("cannot read URL file {}: {e}", path.display())))?;
    if urls.is_empty() {
        return Err(Error::Usage(format!(
            "URL file {} lists no database",
            path.display()
        )));
    }
    for url in &urls {
        DatabaseUrl::parse(url)
            .map_err(|e| Error::Usage(format!("URL file {}: {e}", path.display())))?;
    }
    if args.jobs == 0 {
        return Err(Error::Usage("--jobs must be at least 1".to_string()));
    }

    let project = Project::load(overrides)?;
    Allowances {
        allow_data_loss: args.allow_data_loss.clone(),
    }
    .validate(&project.map)?;
    let mut migrator = Migrator::from_project(project).map_err(into_error)?;
    for allowance in &args.allow_data_loss {
        migrator = migrator.allow_data_loss(allowance.clone());
    }
    if args.one_transaction {
        migrator = migrator.one_transaction(true);
    }
    migrator = migrator.strict(args.strict);
    if let Some(timeout) = args.connection.lock_timeout()? {
        migrator = migrator.lock_timeout(timeout);
    }
    if let Some(timeout) = args.connection.statement_timeout()? {
        migrator = migrator.statement_timeout(timeout);
    }

    let total = urls.len();
    let stderr_color = color_enabled(Stream::Stderr);
    // Called from the worker threads, one at a time.
    let log = std::sync::Mutex::new(log);
    let on_done = |result: &DatabaseResult, done: usize| {
        let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
        let line = result.summary(stderr_color);
        writeln!(log.progress(), "[{done}/{total}] {line}").ok();
    };
    let report = fleet::run(
        &migrator,
        &urls,
        direction,
        &args.revision,
        args.jobs,
        &on_done,
    );
    writeln!(out, "{}", report.table(color_enabled(Stream::Stdout)))?;
    Ok(report.exit_code() as u8)
}

/// Load errors come back as the CLI's own error, so they keep their exit status.
fn into_error(error: crate::migrator::MigrateError) -> Error {
    match error {
        crate::migrator::MigrateError::Load(error) => *error,
        other => Error::Usage(other.to_string()),
    }
}
