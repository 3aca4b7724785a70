//! MySQL and MariaDB URLs as SQLAlchemy users write them, turned into the `mysql` crate's
//! connection options.
//!
//! `mysql://`, `mariadb://`, with SQLAlchemy's driver part (`+pymysql`, `+mysqldb`,
//! `+mysqlconnector`, `+mariadbconnector`) ignored:
//! `mysql+pymysql://user:password@host:port/database?charset=utf8mb4`. Every part is
//! percent-decoded. The query takes the options below and refuses any other, so an option
//! meant for a Python driver is not silently dropped:
//!
//! - `charset`: the connection's character set, `utf8mb4` (the default), `utf8mb3` or `utf8`.
//!   rmig's text is UTF-8, so other character sets are refused.
//! - `ssl_mode`: `DISABLED`, `PREFERRED`, `REQUIRED`, `VERIFY_CA` or `VERIFY_IDENTITY`, in any
//!   case, as MySQL's own client names them; `ssl=true` is `REQUIRED`, `ssl=false` `DISABLED`.
//!   Without either: `VERIFY_CA` when `ssl_ca` is given, else `PREFERRED` (TLS when the server
//!   offers it, as MySQL's client does).
//! - `ssl_ca`, `ssl_cert`, `ssl_key`: PEM files (the trusted CA; a client certificate and its
//!   unencrypted key, given together).
//! - `unix_socket`: the server's Unix socket; the host and port are then ignored.
//! - `connect_timeout`: seconds for the TCP connection, 10 when not given.
//!
//! As PyMySQL does, `localhost` is reached over TCP, never through the socket unless
//! `unix_socket` names it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use mysql::consts::CapabilityFlags;
use mysql::{OptsBuilder, SslOpts};

use super::url::redact_url;
use super::DbError;

/// The options a URL's query may give, for the message that refuses any other.
const KNOWN_OPTIONS: [&str; 8] = [
    "charset",
    "connect_timeout",
    "ssl",
    "ssl_ca",
    "ssl_cert",
    "ssl_key",
    "ssl_mode",
    "unix_socket",
];

/// The character sets rmig's UTF-8 text can be sent in.
const CHARSETS: [&str; 3] = ["utf8mb4", "utf8mb3", "utf8"];

/// The TCP connection's time limit when the URL sets none (PyMySQL's default too).
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// TCP keepalives that find a vanished server after 10 s of silence and 3 unanswered probes
/// 5 s apart, and the TCP user timeout they add up to, as on PostgreSQL connections.
const KEEPALIVE_IDLE_MS: u32 = 10_000;
const KEEPALIVE_INTERVAL_SECS: u32 = 5;
const KEEPALIVE_PROBES: u32 = 3;
const TCP_USER_TIMEOUT_MS: u32 = 25_000;

/// How a connection uses TLS, MySQL's `--ssl-mode` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MysqlSslMode {
    Disabled,
    /// TLS when the server offers it, without verifying its certificate.
    Preferred,
    /// TLS always, without verifying the certificate.
    Required,
    /// TLS always, the certificate checked against the trusted CA but not the host name.
    VerifyCa,
    /// TLS always, the certificate and the host name checked.
    VerifyIdentity,
}

impl MysqlSslMode {
    /// The mode as `ssl_mode=` names it.
    pub fn name(self) -> &'static str {
        match self {
            MysqlSslMode::Disabled => "DISABLED",
            MysqlSslMode::Preferred => "PREFERRED",
            MysqlSslMode::Required => "REQUIRED",
            MysqlSslMode::VerifyCa => "VERIFY_CA",
            MysqlSslMode::VerifyIdentity => "VERIFY_IDENTITY",
        }
    }

    fn parse(text: &str) -> Option<MysqlSslMode> {
        Some(match text.to_ascii_uppercase().as_str() {
            "DISABLED" => MysqlSslMode::Disabled,
            "PREFERRED" => MysqlSslMode::Preferred,
            "REQUIRED" => MysqlSslMode::Required,
            "VERIFY_CA" => MysqlSslMode::VerifyCa,
            "VERIFY_IDENTITY" => MysqlSslMode::VerifyIdentity,
            _ => return None,
        })
    }
}

/// A password, which `Debug` does not show.
#[derive(Clone, PartialEq, Eq)]
struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A MySQL or MariaDB URL read and checked, before any connection.
#[derive(Debug, Clone)]
pub struct MysqlUrl {
    /// `mysql` or `mariadb`, as the URL's scheme started.
    pub family: &'static str,
    /// The URL's user; when it names none, the login name (`USER`, else `LOGNAME`), as
    /// MySQL's own client does, else the empty (anonymous) user.
    pub user: String,
    password: Option<Password>,
    /// `localhost` when the URL names no host.
    pub host: String,
    pub port: u16,
    /// The server's Unix socket, when the URL names one: the host and port are not used.
    pub unix_socket: Option<PathBuf>,
    pub database: String,
    pub charset: String,
    pub ssl_mode: MysqlSslMode,
    pub ssl_ca: Option<PathBuf>,
    /// A client certificate and its key, given together.
    pub ssl_client: Option<(PathBuf, PathBuf)>,
    pub connect_timeout: Duration,
    /// The URL with its password hidden, for messages.
    pub display: String,
}

impl MysqlUrl {
    /// Reads `url`, the login name from the process's environment filling in a missing user.
    pub fn parse(url: &str) -> Result<MysqlUrl, DbError> {
        let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        Self::parse_with_os_user(url, var("USER").or_else(|| var("LOGNAME")).as_deref())
    }

    /// Reads `url`; `os_user` is the user when the URL names none.
    pub fn parse_with_os_user(url: &str, os_user: Option<&str>) -> Result<MysqlUrl, DbError> {
        let display = redact_url(url);
        let bad = |reason: String| DbError::BadUrl {
            url: display.clone(),
            reason,
        };
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("it has no scheme".to_string()))?;
        let family = match scheme.split('+').next() {
            Some("mysql") => "mysql",
            Some("mariadb") => "mariadb",
            _ => return Err(bad(format!("scheme {scheme} is not MySQL or MariaDB"))),
        };
        let decode = |text: &str| {
            percent_encoding::percent_decode_str(text)
                .decode_utf8()
                .map(|decoded| decoded.into_owned())
                .map_err(|_| bad("a percent-encoded part of it is not UTF-8".to_string()))
        };
        // As for PostgreSQL URLs: the credentials run to the last `@` that is not part of
        // the query, so a password may hold an unencoded `@`, `/` or `?`.
        let credentials_end = rest.match_indices('@').map(|(at, _)| at).rev().find(|&at| {
            let host = rest[at + 1..].split(['/', '?']).next().unwrap_or("");
            !host.contains(['=', '&']) && !rest[..at].rsplit('?').next().unwrap_or("").contains('=')
        });
        let (mut user, mut password) = (String::new(), None);
        let rest = match credentials_end {
            Some(at) => {
                let (name, secret) = match rest[..at].split_once(':') {
                    Some((name, secret)) => (name, Some(secret)),
                    None => (&rest[..at], None),
                };
                user = decode(name)?;
                password = secret
                    .map(decode)
                    .transpose()?
                    .filter(|secret| !secret.is_empty())
                    .map(Password);
                &rest[at + 1..]
            }
            None => rest,
        };
        if user.is_empty() {
            user = os_user.unwrap_or_default().to_string();
        }
        let (location, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, path) = location.split_at(location.find('/').unwrap_or(location.len()));
        let (host, port) = split_host_port(authority).map_err(&bad)?;
        let host = match decode(host)? {
            host if host.is_empty() => "localhost".to_string(),
            host => host,
        };
        let port = match port {
            "" => 3306,
            port => port
                .parse::<u16>()
                .ok()
                .filter(|&port| port > 0)
                .ok_or_else(|| bad(format!("port {port} is not a number from 1 to 65535")))?,
        };
        let database = decode(path.strip_prefix('/').unwrap_or(path))?;
        if database.is_empty() {
            return Err(bad(
                "it names no database; name the database after the host: mysql://user@host/dbname"
                    .to_string(),
            ));
        }
        let mut options = Options::default();
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            // A pair without `=` is not shown: it may be a password.
            let (key, value) = pair.split_once('=').ok_or_else(|| {
                bad(
                    "a query option has no `=`; write each as key=value, separated by `&`"
                        .to_string(),
                )
            })?;
            options.set(&decode(key)?, decode(value)?).map_err(&bad)?;
        }
        let ssl_mode = options.ssl_mode().map_err(&bad)?;
        let ssl_client = options.ssl_client().map_err(&bad)?;
        Ok(MysqlUrl {
            family,
            user,
            password,
            host,
            port,
            unix_socket: options.unix_socket,
            database,
            charset: options.charset.unwrap_or_else(|| "utf8mb4".to_string()),
            ssl_mode,
            ssl_ca: options.ssl_ca,
            ssl_client,
            connect_timeout: options.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
            display,
        })
    }

    /// Whether the URL gives a password.
    #[cfg(test)]
    fn has_password(&self) -> bool {
        self.password.is_some()
    }

    /// The server and database a connection reaches, no password, as a URL:
    /// `mysql://user@host:port/database`, or `mysql://user@localhost/database?unix_socket=/path`
    /// for a socket.
    pub fn target(&self) -> String {
        let MysqlUrl {
            family,
            user,
            database,
            ..
        } = self;
        match &self.unix_socket {
            Some(socket) => format!(
                "{family}://{user}@localhost/{database}?unix_socket={}",
                socket.display()
            ),
            None if self.host.contains(':') => {
                format!("{family}://{user}@[{}]:{}/{database}", self.host, self.port)
            }
            None => format!("{family}://{user}@{}:{}/{database}", self.host, self.port),
        }
    }

    /// TLS options for the URL's `ssl_mode` (none for `DISABLED`), without a client
    /// certificate: the driver reads one only as a PKCS#12 file, which the connection makes
    /// from `ssl_client`'s PEM files.
    pub fn ssl_opts(&self) -> Option<SslOpts> {
        let opts = SslOpts::default();
        Some(match self.ssl_mode {
            MysqlSslMode::Disabled => return None,
            MysqlSslMode::Preferred | MysqlSslMode::Required => opts
                .with_danger_accept_invalid_certs(true)
                .with_danger_skip_domain_validation(true),
            MysqlSslMode::VerifyCa => opts
                .with_root_cert_path(self.ssl_ca.clone())
                .with_danger_skip_domain_validation(true),
            MysqlSslMode::VerifyIdentity => opts.with_root_cert_path(self.ssl_ca.clone()),
        })
    }

    /// The driver's options for this URL, TLS as `tls` says (the connection chooses, since
    /// `PREFERRED` may need a second attempt without it):
    /// - TCP stays TCP (`prefer_socket(false)`: the driver would otherwise switch a loopback
    ///   connection to the server's socket);
    /// - no statement cache: DDL must not stay prepared, and rmig binds each statement once;
    /// - `CLIENT_FOUND_ROWS`: an UPDATE reports the rows it matched, not those it changed,
    ///   so the version table's "exactly one row" check holds when a value stays the same;
    /// - a `SET NAMES` for a character set other than the driver's `utf8mb4`.
    pub fn opts(&self, tls: Option<SslOpts>) -> OptsBuilder {
        let mut opts = OptsBuilder::new()
            .user(Some(self.user.clone()))
            .pass(self.password.as_ref().map(|password| password.0.clone()))
            .db_name(Some(self.database.clone()))
            .prefer_socket(false)
            .stmt_cache_size(0)
            .additional_capabilities(CapabilityFlags::CLIENT_FOUND_ROWS)
            .ssl_opts(tls);
        opts = match &self.unix_socket {
            Some(socket) => opts.socket(Some(socket.to_string_lossy().into_owned())),
            None => opts
                .ip_or_hostname(Some(self.host.clone()))
                .tcp_port(self.port)
                .tcp_connect_timeout(Some(self.connect_timeout))
                .tcp_keepalive_time_ms(Some(KEEPALIVE_IDLE_MS))
                .tcp_keepalive_probe_interval_secs(Some(KEEPALIVE_INTERVAL_SECS))
                .tcp_keepalive_probe_count(Some(KEEPALIVE_PROBES))
                .tcp_user_timeout_ms(Some(TCP_USER_TIMEOUT_MS)),
        };
        if self.charset != "utf8mb4" {
            opts = opts.init(vec![format!("SET NAMES {}", self.charset)]);
        }
        opts
    }
}

/// `host:port`, `[v6]:port`, `host` or nothing.
fn split_host_port(authority: &str) -> Result<(&str, &str), String> {
    if authority.contains(',') {
        return Err(format!(
            "it names several hosts ({authority}); MySQL connects to one"
        ));
    }
    match authority.strip_prefix('[') {
        Some(bracketed) => {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or_else(|| format!("the host {authority} has no closing `]`"))?;
            match after {
                "" => Ok((host, "")),
                after => Ok((
                    host,
                    after.strip_prefix(':').ok_or_else(|| {
                        format!("the host {authority} has something other than a port after `]`")
                    })?,
                )),
            }
        }
        None => Ok(authority.split_once(':').unwrap_or((authority, ""))),
    }
}

/// The query's options as given (a later value of a key replaces an earlier one).
#[derive(Default)]
struct Options {
    charset: Option<String>,
    connect_timeout: Option<Duration>,
    ssl: Option<bool>,
    ssl_mode: Option<MysqlSslMode>,
    ssl_ca: Option<PathBuf>,
    ssl_cert: Option<PathBuf>,
    ssl_key: Option<PathBuf>,
    unix_socket: Option<PathBuf>,
}

impl Options {
    fn set(&mut self, key: &str, value: String) -> Result<(), String> {
        let file = |key: &str, value: String| {
            if Path::new(&value).is_file() {
                Ok(Some(PathBuf::from(value)))
            } else {
                Err(format!("{key}={value} names no file"))
            }
        };
        match key {
            "charset" => {
                let charset = value.to_ascii_lowercase();
                if !CHARSETS.contains(&charset.as_str()) {
                    return Err(format!(
                        "charset={value} is not one rmig can send its UTF-8 text in; use charset=utf8mb4"
                    ));
                }
                self.charset = Some(charset);
            }
            "connect_timeout" => {
                let seconds = value
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|seconds| seconds.is_finite() && *seconds > 0.0 && *seconds <= 31_536_000.0)
                    .ok_or_else(|| {
                        format!("connect_timeout={value} is not a number of seconds above 0 (and at most a year)")
                    })?;
                self.connect_timeout = Some(Duration::from_secs_f64(seconds));
            }
            "ssl" => {
                self.ssl = Some(match value.to_ascii_lowercase().as_str() {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => return Err(format!("ssl={value} is not true or false")),
                });
            }
            "ssl_mode" => {
                self.ssl_mode = Some(MysqlSslMode::parse(&value).ok_or_else(|| {
                    format!("ssl_mode={value} is not one of DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY")
                })?);
            }
            "ssl_ca" => self.ssl_ca = file(key, value)?,
            "ssl_cert" => self.ssl_cert = file(key, value)?,
            "ssl_key" => self.ssl_key = file(key, value)?,
            "unix_socket" => {
                if value.is_empty() {
                    return Err("unix_socket= names no socket".to_string());
                }
                self.unix_socket = Some(PathBuf::from(value));
            }
            other => {
                return Err(format!(
                    "rmig does not know the option `{}`; it knows {}",
                    redact_url(other),
                    KNOWN_OPTIONS.join(", ")
                ))
            }
        }
        Ok(())
    }

    /// The mode `ssl_mode` and `ssl` give, or the default: `VERIFY_CA` with a CA file, else
    /// `PREFERRED`.
    fn ssl_mode(&self) -> Result<MysqlSslMode, String> {
        let mode = match (self.ssl_mode, self.ssl) {
            (Some(MysqlSslMode::Disabled), Some(true)) => {
                return Err("ssl=true and ssl_mode=DISABLED contradict each other".to_string())
            }
            (Some(mode), Some(false)) if mode != MysqlSslMode::Disabled => {
                return Err(format!(
                    "ssl=false and ssl_mode={} contradict each other",
                    mode.name()
                ))
            }
            (Some(mode), _) => mode,
            (None, Some(false)) => MysqlSslMode::Disabled,
            (None, _) if self.ssl_ca.is_some() => MysqlSslMode::VerifyCa,
            (None, Some(true)) => MysqlSslMode::Required,
            (None, None) => MysqlSslMode::Preferred,
        };
        if mode == MysqlSslMode::Disabled
            && (self.ssl_ca.is_some() || self.ssl_cert.is_some() || self.ssl_key.is_some())
        {
            return Err(
                "TLS is disabled, but ssl_ca, ssl_cert or ssl_key names a file for it; remove one or the other"
                    .to_string(),
            );
        }
        Ok(mode)
    }

    fn ssl_client(&self) -> Result<Option<(PathBuf, PathBuf)>, String> {
        match (&self.ssl_cert, &self.ssl_key) {
            (Some(cert), Some(key)) => Ok(Some((cert.clone(), key.clone()))),
            (Some(cert), None) => Err(format!(
                "the client certificate {} has no key: name it with ssl_key",
                cert.display()
            )),
            (None, Some(key)) => Err(format!(
                "the client key {} has no certificate: name it with ssl_cert",
                key.display()
            )),
            (None, None) => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(url: &str) -> MysqlUrl {
        MysqlUrl::parse_with_os_user(url, Some("osuser")).unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    fn refused(url: &str) -> String {
        match MysqlUrl::parse_with_os_user(url, Some("osuser")) {
            Ok(parsed) => panic!("{url} was read as {parsed:?}"),
            Err(error) => error.to_string(),
        }
    }

    fn opts(url: &MysqlUrl) -> mysql::Opts {
        url.opts(url.ssl_opts()).into()
    }

    #[test]
    fn every_sqlalchemy_scheme_is_read() {
        for (scheme, family) in [
            ("mysql", "mysql"),
            ("mysql+pymysql", "mysql"),
            ("mysql+mysqldb", "mysql"),
            ("mysql+mysqlconnector", "mysql"),
            ("mariadb", "mariadb"),
            ("mariadb+mariadbconnector", "mariadb"),
            ("mariadb+pymysql", "mariadb"),
        ] {
            let url = parsed(&format!("{scheme}://app:pw@db.example:3307/shop"));
            assert_eq!(url.family, family, "{scheme}");
            assert_eq!(url.user, "app");
            assert!(url.has_password());
            assert_eq!(url.host, "db.example");
            assert_eq!(url.port, 3307);
            assert_eq!(url.database, "shop");
            assert_eq!(url.target(), format!("{family}://app@db.example:3307/shop"));
        }
        let error = refused("postgresql://u@h/d");
        assert!(error.contains("not MySQL or MariaDB"), "{error}");
    }

    #[test]
    fn parts_are_percent_decoded_and_defaults_filled_in() {
        let url = parsed("mysql://a%20b:p%40ss%2Fw@h/my%2Ddb");
        assert_eq!(url.user, "a b");
        assert_eq!(url.password, Some(Password("p@ss/w".to_string())));
        assert_eq!(url.database, "my-db");
        // An unencoded `@`, `/` or `?` in the password: the credentials run to the last `@`.
        let url = parsed("mysql://u:a/b?c@d@h/db?charset=utf8");
        assert_eq!(url.password, Some(Password("a/b?c@d".to_string())));
        assert_eq!((url.host.as_str(), url.database.as_str()), ("h", "db"));
        // SQLAlchemy's default host, MySQL's port, the login name as the user.
        let url = parsed("mysql:///db");
        assert_eq!(
            (url.user.as_str(), url.host.as_str(), url.port),
            ("osuser", "localhost", 3306)
        );
        assert_eq!(url.password, None);
        assert_eq!(url.charset, "utf8mb4");
        assert_eq!(url.ssl_mode, MysqlSslMode::Preferred);
        assert_eq!(url.connect_timeout, Duration::from_secs(10));
        assert_eq!(url.target(), "mysql://osuser@localhost:3306/db");
        let url = MysqlUrl::parse_with_os_user("mysql://@h/db", None).unwrap();
        assert_eq!(url.user, "");
        // An empty password is none.
        assert!(!parsed("mysql://u:@h/db").has_password());
        let url = parsed("mariadb://u@[::1]:3308/db");
        assert_eq!((url.host.as_str(), url.port), ("::1", 3308));
        assert_eq!(url.target(), "mariadb://u@[::1]:3308/db");
    }

    #[test]
    fn a_url_without_a_database_or_with_a_bad_authority_is_refused() {
        for url in [
            "mysql://u@h",
            "mysql://u@h/",
            "mysql://u:pw@h:3306/?charset=utf8mb4",
        ] {
            let error = refused(url);
            assert!(
                error.contains("name the database after the host: mysql://user@host/dbname"),
                "{url}: {error}"
            );
        }
        for (url, expected) in [
            ("mysql://u@h:port/db", "port port is not a number"),
            ("mysql://u@h:0/db", "port 0 is not a number"),
            ("mysql://u@h:70000/db", "port 70000 is not a number"),
            ("mysql://u@h1,h2/db", "several hosts"),
            ("mysql://u@[::1/db", "no closing `]`"),
            ("mysql://u@[::1]x/db", "other than a port"),
            ("mysql:/u@h/db", "no scheme"),
        ] {
            let error = refused(url);
            assert!(error.contains(expected), "{url}: {error}");
        }
    }

    #[test]
    fn charset_is_one_of_the_utf8_ones() {
        assert_eq!(parsed("mysql://h/d?charset=utf8").charset, "utf8");
        assert_eq!(parsed("mysql://h/d?charset=UTF8MB3").charset, "utf8mb3");
        assert_eq!(parsed("mysql://h/d?charset=utf8mb4").charset, "utf8mb4");
        let error = refused("mysql://h/d?charset=latin1");
        assert!(
            error.contains("charset=latin1") && error.contains("use charset=utf8mb4"),
            "{error}"
        );
        // The driver's handshake already speaks utf8mb4; another needs a SET NAMES.
        assert!(opts(&parsed("mysql://h/d")).get_init().is_empty());
        assert_eq!(
            opts(&parsed("mysql://h/d?charset=utf8")).get_init(),
            ["SET NAMES utf8"]
        );
    }

    #[test]
    fn ssl_modes_in_any_case_and_ssl_true() {
        for (query, mode) in [
            ("ssl_mode=DISABLED", MysqlSslMode::Disabled),
            ("ssl_mode=preferred", MysqlSslMode::Preferred),
            ("ssl_mode=Required", MysqlSslMode::Required),
            ("ssl_mode=verify_ca", MysqlSslMode::VerifyCa),
            ("ssl_mode=VERIFY_IDENTITY", MysqlSslMode::VerifyIdentity),
            ("ssl=true", MysqlSslMode::Required),
            ("ssl=TRUE", MysqlSslMode::Required),
            ("ssl=1", MysqlSslMode::Required),
            ("ssl=false", MysqlSslMode::Disabled),
            (
                "ssl=true&ssl_mode=VERIFY_IDENTITY",
                MysqlSslMode::VerifyIdentity,
            ),
            ("", MysqlSslMode::Preferred),
        ] {
            let url = parsed(&format!("mysql://u@h/d?{query}"));
            assert_eq!(url.ssl_mode, mode, "{query}");
            assert_eq!(url.ssl_opts().is_none(), mode == MysqlSslMode::Disabled);
        }
        for (query, expected) in [
            (
                "ssl_mode=ALWAYS",
                "ssl_mode=ALWAYS is not one of DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY",
            ),
            ("ssl=maybe", "ssl=maybe is not true or false"),
            ("ssl=true&ssl_mode=disabled", "contradict"),
            ("ssl=false&ssl_mode=REQUIRED", "contradict"),
        ] {
            let error = refused(&format!("mysql://u@h/d?{query}"));
            assert!(error.contains(expected), "{query}: {error}");
        }
        // Unverified modes accept any certificate; VERIFY_CA any host name on a good one.
        let required = parsed("mysql://u@h/d?ssl_mode=REQUIRED")
            .ssl_opts()
            .unwrap();
        assert!(required.accept_invalid_certs() && required.skip_domain_validation());
        let verify = parsed("mysql://u@h/d?ssl_mode=VERIFY_IDENTITY")
            .ssl_opts()
            .unwrap();
        assert!(!verify.accept_invalid_certs() && !verify.skip_domain_validation());
        assert_eq!(verify.root_cert_path(), None, "the system's roots");
    }

    #[test]
    fn tls_files_must_exist_and_a_ca_file_means_verify_ca() {
        let folder = tempfile::tempdir().unwrap();
        let [ca, cert, key] = ["ca.pem", "client.pem", "client.key"].map(|name| {
            let path = folder.path().join(name);
            std::fs::write(&path, "not read here").unwrap();
            path
        });
        let url = parsed(&format!("mysql://u@h/d?ssl_ca={}", ca.display()));
        assert_eq!(url.ssl_mode, MysqlSslMode::VerifyCa);
        let tls = url.ssl_opts().unwrap();
        assert_eq!(tls.root_cert_path(), Some(ca.as_path()));
        assert!(!tls.accept_invalid_certs() && tls.skip_domain_validation());
        // An explicit mode wins over the CA file's default.
        let url = parsed(&format!(
            "mysql://u@h/d?ssl_ca={}&ssl_mode=REQUIRED",
            ca.display()
        ));
        assert_eq!(url.ssl_mode, MysqlSslMode::Required);
        let url = parsed(&format!(
            "mysql://u@h/d?ssl_cert={}&ssl_key={}",
            cert.display(),
            key.display()
        ));
        assert_eq!(url.ssl_client, Some((cert.clone(), key.clone())));
        for (query, expected) in [
            (
                format!("ssl_cert={}", cert.display()),
                "has no key: name it with ssl_key",
            ),
            (format!("ssl_key={}", key.display()), "has no certificate"),
            (
                "ssl_ca=/no/such.pem".to_string(),
                "ssl_ca=/no/such.pem names no file",
            ),
            ("ssl_cert=/no/such.pem".to_string(), "names no file"),
            ("ssl_key=/no/such.key".to_string(), "names no file"),
            (
                format!("ssl_ca={}&ssl_mode=DISABLED", ca.display()),
                "TLS is disabled",
            ),
        ] {
            let error = refused(&format!("mysql://u@h/d?{query}"));
            assert!(error.contains(expected), "{query}: {error}");
        }
    }

    #[test]
    fn a_unix_socket_replaces_host_and_port() {
        let url =
            parsed("mysql+pymysql://root@ignored:3307/app?unix_socket=/run/mysqld/mysqld.sock");
        assert_eq!(
            url.unix_socket.as_deref(),
            Some(Path::new("/run/mysqld/mysqld.sock"))
        );
        assert_eq!(
            url.target(),
            "mysql://root@localhost/app?unix_socket=/run/mysqld/mysqld.sock"
        );
        assert_eq!(opts(&url).get_socket(), Some("/run/mysqld/mysqld.sock"));
        let error = refused("mysql://u@h/d?unix_socket=");
        assert!(error.contains("names no socket"), "{error}");
    }

    #[test]
    fn connect_timeout_is_seconds_above_zero() {
        let timeout = |query: &str| parsed(&format!("mysql://u@h/d?{query}")).connect_timeout;
        assert_eq!(timeout("connect_timeout=3"), Duration::from_secs(3));
        assert_eq!(timeout("connect_timeout=1.5"), Duration::from_millis(1500));
        for value in ["0", "-1", "soon", "NaN", "inf", "99999999999"] {
            let error = refused(&format!("mysql://u@h/d?connect_timeout={value}"));
            assert!(
                error.contains(&format!(
                    "connect_timeout={value} is not a number of seconds"
                )),
                "{value}: {error}"
            );
        }
        assert_eq!(
            opts(&parsed("mysql://u@h/d?connect_timeout=4")).get_tcp_connect_timeout(),
            Some(Duration::from_secs(4))
        );
    }

    #[test]
    fn an_unknown_option_is_named_with_the_known_ones() {
        let error = refused("mysql+pymysql://u:secret@h/d?local_infile=1");
        assert!(
            error.contains("`local_infile`")
                && error.contains(
                    "charset, connect_timeout, ssl, ssl_ca, ssl_cert, ssl_key, ssl_mode, unix_socket"
                ),
            "{error}"
        );
        assert!(!error.contains("secret"), "{error}");
        let error = refused("mysql://u@h/d?justavalue");
        assert!(
            error.ends_with("a query option has no `=`; write each as key=value, separated by `&`"),
            "{error}"
        );
    }

    #[test]
    fn passwords_never_show() {
        let url = parsed("mysql+pymysql://app:s3cr%40t@db:3306/shop?charset=utf8mb4");
        assert_eq!(
            url.display,
            "mysql+pymysql://app:***@db:3306/shop?charset=utf8mb4"
        );
        assert_eq!(url.target(), "mysql://app@db:3306/shop");
        let debug = format!("{url:?}");
        assert!(!debug.contains("s3cr") && debug.contains("***"), "{debug}");
        for url in [
            "mysql://app:s3cret@db:3306/shop?ssl_mode=sometimes",
            "mysql://app:s3cret@db/",
            "mysql://app:s3cret@db:x/shop",
            "mysql://app:s3cret@db/shop?passwd=s3cret",
        ] {
            let error = refused(url);
            assert!(!error.contains("s3cret"), "{url}: {error}");
        }
    }

    #[test]
    fn driver_options_keep_tcp_and_cache_no_statement() {
        let opts = opts(&parsed("mysql://app:pw@127.0.0.1:3307/shop"));
        assert!(!opts.get_prefer_socket());
        assert_eq!(opts.get_stmt_cache_size(), 0);
        assert!(opts
            .get_additional_capabilities()
            .contains(CapabilityFlags::CLIENT_FOUND_ROWS));
        assert_eq!(opts.get_ip_or_hostname(), "127.0.0.1");
        assert_eq!(opts.get_tcp_port(), 3307);
        assert_eq!(opts.get_user(), Some("app"));
        assert_eq!(opts.get_pass(), Some("pw"));
        assert_eq!(opts.get_db_name(), Some("shop"));
        assert_eq!(opts.get_socket(), None);
        assert_eq!(opts.get_tcp_user_timeout_ms(), Some(TCP_USER_TIMEOUT_MS));
    }
}
