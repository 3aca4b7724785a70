//! Database URLs as Alembic users write them: what every backend shares.
//!
//! [`redact_url`] is the one way a URL reaches output: every message, listing and JSON
//! document that names a database goes through it. SQLite's URLs are read here too
//! (`sqlite:///relative.db`, `sqlite:////absolute.db`, `sqlite://` in memory): they need no
//! driver. PostgreSQL's are read in src/db/postgres_url.rs, MySQL's in src/db/mysql_url.rs.

use std::fmt;
use std::path::PathBuf;

use super::DbError;

/// What a hidden password is shown as.
pub(super) const MASK: &str = "***";

/// A URL (or anything given where a URL was expected) made safe to print: the password of the
/// userinfo (`user:password@`, up to the last `@`, so an unencoded `/`, `?`, `:` or `@` in the
/// password stays hidden), and the value of every `key=value` whose key ends in `password`
/// (or `passwd`, PyMySQL's and MySQLdb's other name for it),
/// in any case and percent-encoded or not (`password=`, `sslpassword=`, libpq's
/// `password = 'quoted value'`), become `***`. A string without `scheme://` is treated the same
/// way, so a mistyped URL is never echoed with its password.
pub fn redact_url(url: &str) -> String {
    redact_userinfo(&redact_password_values(url))
}

/// `user:password@` (or `user%3Apassword@`) up to the last `@` becomes `user:***@`.
fn redact_userinfo(url: &str) -> String {
    let scheme_end = url
        .find("://")
        .filter(|&at| {
            url[..at]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        })
        .map_or(0, |at| at + 3);
    let rest = &url[scheme_end..];
    let Some(at) = rest.rfind('@') else {
        return redact_forgotten_host(url, scheme_end);
    };
    let userinfo = &rest[..at];
    let colon = userinfo.find(':');
    let encoded_colon = userinfo.to_ascii_lowercase().find("%3a");
    let user_end = match (colon, encoded_colon) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => return url.to_string(),
    };
    format!(
        "{}{}:{MASK}{}",
        &url[..scheme_end],
        &userinfo[..user_end],
        &rest[at..]
    )
}

/// `postgresql://user:password` or `.../db` with the `@host` forgotten: what follows a colon
/// of the authority is a password unless it is a port (digits), so it is hidden too.
fn redact_forgotten_host(url: &str, scheme_end: usize) -> String {
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    if scheme_end == 0 || authority.starts_with('[') {
        return url.to_string();
    }
    let is_port = |host: &str| {
        host.split_once(':')
            .is_none_or(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
    };
    match authority.split_once(':') {
        Some((user, _)) if !authority.split(',').all(is_port) => format!(
            "{}{user}:{MASK}{}",
            &url[..scheme_end],
            &rest[authority_end..]
        ),
        _ => url.to_string(),
    }
}

/// The value of every `key=value` (or `key%3Dvalue`) whose key, percent-decoded and in lower
/// case, ends in `password` or `passwd` becomes `***`; a value runs to the next `&` or white space, or is
/// libpq's quoted `'...'`.
fn redact_password_values(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some((eq, eq_len)) = next_equals(&lower, search) {
        search = eq + eq_len;
        let key_end = lower[..eq].trim_end().len();
        let key_start = lower[..key_end]
            .char_indices()
            .rev()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '%' | '.')))
            .map_or(0, |(at, c)| at + c.len_utf8());
        let key = percent_decoded(&lower[key_start..key_end]);
        if !(key.ends_with("password") || key.ends_with("passwd")) {
            continue;
        }
        let value_start =
            eq + eq_len + (lower[eq + eq_len..].len() - lower[eq + eq_len..].trim_start().len());
        let value_end = value_end(text, value_start);
        if value_end > value_start {
            out.push_str(&text[copied..value_start]);
            out.push_str(MASK);
            copied = value_end;
            search = value_end;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// The next `=` or `%3d` at or after `from`, and its length.
fn next_equals(lower: &str, from: usize) -> Option<(usize, usize)> {
    let plain = lower[from..].find('=').map(|at| (from + at, 1));
    let encoded = lower[from..].find("%3d").map(|at| (from + at, 3));
    match (plain, encoded) {
        (Some(a), Some(b)) => Some(if a.0 < b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

/// Where a value starting at `start` ends: after libpq's closing quote (backslash escapes
/// it), else at the next `&` or white space.
fn value_end(text: &str, start: usize) -> usize {
    let value = &text[start..];
    if let Some(quoted) = value.strip_prefix('\'') {
        let mut escaped = false;
        for (at, c) in quoted.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '\'' => return start + 1 + at + 1,
                _ => {}
            }
        }
        return text.len();
    }
    value
        .find(|c: char| c == '&' || c.is_whitespace())
        .map_or(text.len(), |at| start + at)
}

/// `%XX` escapes decoded (others kept as written), for comparing keys.
fn percent_decoded(key: &str) -> String {
    let bytes = key.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let hex = bytes
            .get(at + 1..at + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[at], hex) {
            (b'%', Some(byte)) => {
                decoded.push(byte.to_ascii_lowercase());
                at += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// Settings that come from flags or config rather than the URL.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// The migration session's time limit per statement, e.g. `"30s"`: PostgreSQL's
    /// `statement_timeout`, MariaDB's `max_statement_time`, MySQL's `max_execution_time`.
    pub statement_timeout: Option<String>,
    /// How long the migration session waits for another's lock, e.g. `"5s"`: PostgreSQL's
    /// `lock_timeout`, MySQL's `lock_wait_timeout` and `innodb_lock_wait_timeout`.
    pub lock_timeout: Option<String>,
}

/// Where a SQLite database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqliteTarget {
    Memory,
    File(PathBuf),
}

impl SqliteTarget {
    /// Reads a SQLite URL as SQLAlchemy does: `sqlite://` (nothing after it) is in memory,
    /// `sqlite:///rel.db` relative, `sqlite:////abs.db` absolute. Anything between `//` and
    /// the next `/` is a host part, which SQLite has no use for: `sqlite://rmig.db` is refused
    /// rather than read as some other file.
    pub fn parse(url: &str) -> Result<SqliteTarget, DbError> {
        let bad = |reason: String| DbError::BadUrl {
            url: redact_url(url),
            reason,
        };
        let (_, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("it has no scheme".to_string()))?;
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        // SQLAlchemy hands these to the driver (`mode=ro`, `timeout`, `uri=true`); rmig opens
        // the file one way, so a parameter it would ignore is refused rather than dropped.
        if let Some(parameter) = query.split('&').find(|p| !p.is_empty()) {
            // Only a parameter's name is shown: what follows `=`, or a bare value, may be a secret.
            let named = parameter
                .split_once('=')
                .map(|(name, _)| format!("`{name}`"))
                .unwrap_or_else(|| "its parameter".to_string());
            return Err(bad(format!(
                "rmig's SQLite connection takes no parameters, and {named} would be ignored; remove the part from `?` on (rmig opens the file read-write, with its own busy timeout)"
            )));
        }
        match rest.strip_prefix('/') {
            None if rest.is_empty() => Ok(SqliteTarget::Memory),
            None => Err(bad(
                "SQLite takes no host part after sqlite://; write three slashes for a relative path (sqlite:///rmig.db) or four for an absolute one (sqlite:////abs/path/rmig.db)".to_string(),
            )),
            Some("" | ":memory:") => Ok(SqliteTarget::Memory),
            // `sqlite:///x.db` leaves `x.db` (relative); `sqlite:////x.db` leaves `/x.db`.
            Some(path) => Ok(SqliteTarget::File(PathBuf::from(path))),
        }
    }
}

/// The target as a URL, for messages (the URL it came from may carry a query string).
impl fmt::Display for SqliteTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SqliteTarget::Memory => write!(f, "sqlite://"),
            SqliteTarget::File(path) => write!(f, "sqlite:///{}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        for (url, shown) in [
            // The `@host` forgotten: a colon not followed by a port is followed by a password.
            ("postgresql://u:SECRET", "postgresql://u:***"),
            ("postgresql://u:SECRET/db", "postgresql://u:***/db"),
            (
                "postgresql://h1:5432,h2:5433/db",
                "postgresql://h1:5432,h2:5433/db",
            ),
            ("postgresql://[::1]:5432/db", "postgresql://[::1]:5432/db"),
            (
                "postgresql://app:s3cret@db:5432/app",
                "postgresql://app:***@db:5432/app",
            ),
            ("postgres://app@db/app", "postgres://app@db/app"),
            ("sqlite:///rmig.db", "sqlite:///rmig.db"),
            (
                "postgresql://u:p%40ss@h/d?sslmode=require",
                "postgresql://u:***@h/d?sslmode=require",
            ),
            ("postgres://u:a/b?c:d@h/d", "postgres://u:***@h/d"),
            ("postgres://u:a@b@h/d", "postgres://u:***@h/d"),
            ("postgres://u%3Apw@h/d", "postgres://u:***@h/d"),
            (
                "postgres://u@h/d?a=1&password=pw&b=2",
                "postgres://u@h/d?a=1&password=***&b=2",
            ),
            ("postgres://h/d?PassWord=pw", "postgres://h/d?PassWord=***"),
            ("mysql://h/d?passwd=pw&x=1", "mysql://h/d?passwd=***&x=1"),
            (
                "postgres://h/d?sslpassword=pw",
                "postgres://h/d?sslpassword=***",
            ),
            (
                "postgres://h/d?pass%77ord=pw",
                "postgres://h/d?pass%77ord=***",
            ),
            (
                "postgres://h/d?password%3Dpw",
                "postgres://h/d?password%3D***",
            ),
            ("postgres://h/d?password=", "postgres://h/d?password="),
            ("u:pw@h/d", "u:***@h/d"),
            ("postgresql:/u:pw@h/d", "postgresql:***@h/d"),
            ("x:pw://h@d", "x:***@d"),
            (
                "host=h password=pw dbname=d",
                "host=h password=*** dbname=d",
            ),
            (
                "host=h password = 'p w\\' x' dbname=d",
                "host=h password = *** dbname=d",
            ),
            ("password='unterminated", "password=***"),
            ("sqlite://é:pw@é/x", "sqlite://é:***@é/x"),
            ("%", "%"),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
        }
    }

    #[test]
    fn sqlite_urls_with_a_host_part_are_refused() {
        for url in ["sqlite://rmig.db", "sqlite://é.db", "sqlite://u:pw@h/x.db"] {
            let err = SqliteTarget::parse(url).unwrap_err().to_string();
            assert!(
                err.contains("sqlite:///rmig.db") && !err.contains("pw"),
                "{err}"
            );
        }
        assert_eq!(
            SqliteTarget::parse("sqlite:///é.db").unwrap(),
            SqliteTarget::File("é.db".into())
        );
        assert_eq!(
            SqliteTarget::parse("sqlite:///:memory:").unwrap(),
            SqliteTarget::Memory
        );
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

    /// `?mode=ro`, `?timeout=30`, `?uri=true` were dropped without a word, so a user meaning
    /// a read-only or differently opened database got an ordinary read-write one.
    #[test]
    fn sqlite_url_parameters_were_dropped_silently() {
        for url in [
            "sqlite:///app.db?mode=ro",
            "sqlite:///app.db?timeout=30",
            "sqlite://?cache=shared",
        ] {
            let error = SqliteTarget::parse(url).unwrap_err().to_string();
            let name = url.rsplit('?').next().unwrap().split('=').next().unwrap();
            assert!(
                error.contains(&format!("`{name}`")) && error.contains("takes no parameters"),
                "{url}: {error}"
            );
        }
    }
}
