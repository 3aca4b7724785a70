//! `RMIG_LOG`: the library's `tracing` events (docs/library.md) written to standard error, for
//! a person who wants to see a run's spans and fields beside its step lines. Unset, nothing is
//! installed, so rmig's output is exactly what it is without tracing.

use tracing_subscriber::filter::LevelFilter;

use crate::error::Error;

/// The values `RMIG_LOG` takes, most to least severe.
const LEVELS: [(&str, LevelFilter); 5] = [
    ("error", LevelFilter::ERROR),
    ("warn", LevelFilter::WARN),
    ("info", LevelFilter::INFO),
    ("debug", LevelFilter::DEBUG),
    ("trace", LevelFilter::TRACE),
];

/// Installs a subscriber that writes the events at `RMIG_LOG`'s level and above to standard
/// error; nothing when the variable is unset or empty (as rmig reads its other variables). Any
/// other value is bad input: a misspelt level silently logging nothing would look like a run
/// with nothing to tell.
pub(super) fn install() -> Result<(), Error> {
    let Some(value) = std::env::var_os("RMIG_LOG").filter(|value| !value.is_empty()) else {
        return Ok(());
    };
    let level = LEVELS
        .iter()
        .find(|(name, _)| value == *name)
        .map(|(_, level)| *level)
        .ok_or_else(|| {
            Error::Usage(format!(
                "RMIG_LOG is '{}', which is not a level; set it to error, warn, info, debug or trace, or unset it",
                value.to_string_lossy()
            ))
        })?;
    // A process that runs several commands (a test calling `run` twice) keeps the first
    // subscriber: there is one global default, and the level asked for first stays.
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .try_init();
    Ok(())
}
