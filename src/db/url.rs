//! Database URLs as Alembic users write them, turned into connection settings.
//!
//! PostgreSQL: `postgres://` and `postgresql://`, with SQLAlchemy's `+driver` part ignored;
//! `sslmode=disable|prefer|require|verify-ca|verify-full`, `connect_timeout` and rmig's own
//! `reply_timeout` (seconds) are read here, since the driver knows neither `verify-full`, nor
//! the `+driver` form, nor `reply_timeout`.
//! SQLite: `sqlite:///relative.db`, `sqlite:////absolute.db`, `sqlite://` (in memory).

use std::path::PathBuf;
use std::time::Duration;

use super::DbError;
use crate::config::redact_url;

/// Settings that come from flags or config rather than the URL.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// PostgreSQL `statement_timeout` for the migration session, e.g. `"30s"`.
    pub statement_timeout: Option<String>,
    /// PostgreSQL `lock_timeout` for the migration session, e.g. `"5s"`.
    pub lock_timeout: Option<String>,
}

/// How PostgreSQL connections use TLS, libpq's `sslmode` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    Disable,
    /// TLS when the server offers it, without verifying the certificate.
    Prefer,
    /// TLS always, without verifying the certificate.
    Require,
    /// TLS always, certificate checked against trusted roots but not the host name.
    VerifyCa,
    /// TLS always, certificate and host name checked.
    VerifyFull,
}

/// A PostgreSQL URL split into what the driver takes and what rmig handles itself.
#[derive(Debug, Clone)]
pub struct PostgresUrl {
    /// `postgresql://...` without `sslmode`, for the driver.
    pub driver_url: String,
    pub tls: TlsMode,
    pub connect_timeout: Option<Duration>,
    /// How long to wait for the server's reply to any request (`reply_timeout`).
    pub reply_timeout: Option<Duration>,
    /// The URL with its password hidden, for messages.
    pub display: String,
}

impl PostgresUrl {
    pub fn parse(url: &str) -> Result<PostgresUrl, DbError> {
        let display = redact_url(url);
        let bad = |reason: String| DbError::BadUrl {
            url: display.clone(),
            reason,
        };
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("it has no scheme".to_string()))?;
        if !matches!(scheme.split('+').next(), Some("postgres" | "postgresql")) {
            return Err(bad(format!("scheme {scheme} is not PostgreSQL")));
        }
        let (location, query) = match rest.split_once('?') {
            Some((location, query)) => (location, Some(query)),
            None => (rest, None),
        };
        let mut tls = TlsMode::Prefer;
        let mut connect_timeout = None;
        let mut reply_timeout = None;
        let mut kept = Vec::new();
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "sslmode" => {
                    tls = match value {
                        "disable" => TlsMode::Disable,
                        "allow" | "prefer" => TlsMode::Prefer,
                        "require" => TlsMode::Require,
                        "verify-ca" => TlsMode::VerifyCa,
                        "verify-full" => TlsMode::VerifyFull,
                        other => return Err(bad(format!("sslmode={other} is not one of disable, prefer, require, verify-ca, verify-full"))),
                    }
                }
                "connect_timeout" => {
                    let seconds: u64 = value
                        .parse()
                        .map_err(|_| bad(format!("connect_timeout={value} is not a whole number of seconds")))?;
                    connect_timeout = Some(Duration::from_secs(seconds));
                }
                "reply_timeout" => {
                    let seconds: u64 = value
                        .parse()
                        .map_err(|_| bad(format!("reply_timeout={value} is not a whole number of seconds")))?;
                    reply_timeout = Some(Duration::from_secs(seconds));
                }
                _ => kept.push(pair),
            }
        }
        let mut driver_url = format!("postgresql://{location}");
        if !kept.is_empty() {
            driver_url.push('?');
            driver_url.push_str(&kept.join("&"));
        }
        Ok(PostgresUrl {
            driver_url,
            tls,
            connect_timeout,
            reply_timeout,
            display,
        })
    }
}

/// Where a SQLite database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqliteTarget {
    Memory,
    File(PathBuf),
}

impl SqliteTarget {
    pub fn parse(url: &str) -> Result<SqliteTarget, DbError> {
        let rest = url
            .split_once("://")
            .map(|(_, rest)| rest)
            .ok_or_else(|| DbError::BadUrl {
                url: redact_url(url),
                reason: "it has no scheme".to_string(),
            })?;
        let rest = rest.split('?').next().unwrap_or("");
        match rest {
            "" | "/" | "/:memory:" => Ok(SqliteTarget::Memory),
            // `sqlite:///x.db` leaves `/x.db` (relative); `sqlite:////x.db` leaves `//x.db`.
            path => Ok(SqliteTarget::File(PathBuf::from(&path[1..]))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_urls_keep_driver_parts_and_take_ours() {
        let url = PostgresUrl::parse("postgresql+psycopg2://app:pw@db:5433/app?sslmode=verify-full&connect_timeout=3&reply_timeout=0&application_name=x").unwrap();
        assert_eq!(
            url.driver_url,
            "postgresql://app:pw@db:5433/app?application_name=x"
        );
        assert_eq!(url.tls, TlsMode::VerifyFull);
        assert_eq!(url.connect_timeout, Some(Duration::from_secs(3)));
        assert_eq!(url.reply_timeout, Some(Duration::ZERO));
        assert_eq!(url.display, "postgresql+psycopg2://app:***@db:5433/app?sslmode=verify-full&connect_timeout=3&reply_timeout=0&application_name=x");
        assert_eq!(
            PostgresUrl::parse("postgres://u@h/d").unwrap().tls,
            TlsMode::Prefer
        );
    }

    #[test]
    fn bad_postgres_urls_are_refused_without_the_password() {
        let err = PostgresUrl::parse("postgres://u:secret@h/d?sslmode=always")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("sslmode=always") && !err.contains("secret"),
            "{err}"
        );
        let err = PostgresUrl::parse("postgres://u@h/d?connect_timeout=soon")
            .unwrap_err()
            .to_string();
        assert!(err.contains("connect_timeout=soon"), "{err}");
    }

    #[test]
    fn sqlite_urls_follow_sqlalchemy() {
        assert_eq!(
            SqliteTarget::parse("sqlite://").unwrap(),
            SqliteTarget::Memory
        );
        assert_eq!(
            SqliteTarget::parse("sqlite:///rmig.db").unwrap(),
            SqliteTarget::File("rmig.db".into())
        );
        assert_eq!(
            SqliteTarget::parse("sqlite:////var/lib/app.db").unwrap(),
            SqliteTarget::File("/var/lib/app.db".into())
        );
        assert_eq!(
            SqliteTarget::parse("sqlite:///sub/dir/app.db").unwrap(),
            SqliteTarget::File("sub/dir/app.db".into())
        );
    }
}
