//! PostgreSQL URLs as libpq reads them: what the URL leaves out comes from the `PG*`
//! environment, the password from the password file, the host from the default socket folder
//! (src/db/libpq.rs). The TLS parameters, `connect_timeout` and rmig's own `reply_timeout`
//! (seconds) are read here; the rest goes to the driver as libpq's keyword/value string.
//! SQLAlchemy's `+driver` part of the scheme is ignored.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::libpq::{
    password_from_file, too_open, LibpqEnvironment, PasswordFileKey, SecretFile,
    PARAMETER_VARIABLES,
};
use super::url::{redact_url, MASK};
use super::DbError;

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

/// The certificates a verifying connection trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustedRoots {
    /// The system's store (`sslrootcert=system`, and rmig's choice when neither
    /// `sslrootcert` nor `~/.postgresql/root.crt` names any).
    System,
    /// The certificates in one PEM file: a private CA's.
    File(PathBuf),
}

/// A client certificate and its key, to prove who connects (`sslcert`, `sslkey`).
#[derive(Clone)]
pub struct ClientCertificate {
    pub certificate: PathBuf,
    pub key: PathBuf,
    /// The passphrase of an encrypted key (`sslpassword`).
    pub key_password: Option<String>,
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("certificate", &self.certificate)
            .field("key", &self.key)
            .field("key_password", &self.key_password.as_ref().map(|_| MASK))
            .finish()
    }
}

/// Everything TLS needs besides the server.
#[derive(Debug, Clone)]
pub struct TlsSettings {
    pub mode: TlsMode,
    pub roots: TrustedRoots,
    pub client: Option<ClientCertificate>,
}

/// libpq's connection parameters as a URL, the environment and the defaults give them, in
/// the order given (a later value of a key replaces an earlier one, as in libpq).
#[derive(Debug, Clone, Default)]
struct Parameters(Vec<(String, String)>);

impl Parameters {
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, value)| value.as_str())
    }

    fn set(&mut self, key: &str, value: String) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value,
            None => self.0.push((key.to_string(), value)),
        }
    }

    fn take(&mut self, key: &str) -> Option<String> {
        let at = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(at).1)
    }

    /// A comma-separated list parameter's items (`host=a,b`).
    fn list(&self, key: &str) -> Vec<&str> {
        self.get(key)
            .map_or_else(Vec::new, |value| value.split(',').collect())
    }

    /// The keyword/value string the driver reads: `key='value'`, quotes and backslashes
    /// escaped.
    fn to_keyword_string(&self) -> String {
        self.0
            .iter()
            .map(|(key, value)| {
                format!(
                    "{key}='{}'",
                    value.replace('\\', "\\\\").replace('\'', "\\'")
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A PostgreSQL URL read as libpq reads it, the `PG*` environment and the password file
/// filled in: the driver's configuration for each host to try, and what rmig handles itself.
#[derive(Debug, Clone)]
pub struct PostgresUrl {
    /// One configuration per host of the URL's host list, tried in order, each with its own
    /// connect_timeout (libpq's way; the driver's own timeout covers only the TCP connect).
    pub targets: Vec<tokio_postgres::Config>,
    pub tls: TlsSettings,
    pub connect_timeout: Option<Duration>,
    /// How long to wait for the server's reply to any request (`reply_timeout`).
    pub reply_timeout: Option<Duration>,
    /// The driver's parameters the URL or the environment set, so rmig's defaults for the
    /// others (keepalives) leave them alone.
    pub given: Vec<String>,
    /// Why the password file was not read, for the message of a connection that then fails.
    pub password_file_note: Option<String>,
    /// The URL with its password hidden, for messages.
    pub display: String,
}

impl PostgresUrl {
    /// Reads `url` with the process's libpq environment.
    pub fn parse(url: &str) -> Result<PostgresUrl, DbError> {
        Self::parse_in(url, &LibpqEnvironment::of_process())
    }

    pub fn parse_in(url: &str, env: &LibpqEnvironment) -> Result<PostgresUrl, DbError> {
        let display = redact_url(url);
        let bad = |reason: String| DbError::BadUrl {
            url: display.clone(),
            reason,
        };
        let mut parameters = url_parameters(url).map_err(bad)?;
        let given = parameters.0.iter().map(|(key, _)| key.clone()).collect();
        for (variable, key) in PARAMETER_VARIABLES {
            if let (None, Some(value)) = (parameters.get(key), env.variable(variable)) {
                parameters.set(key, value.to_string());
            }
        }
        if parameters.get("application_name").is_none() {
            parameters.set("application_name", "rmig".to_string());
        }
        if parameters.get("user").is_none() {
            if let Some(user) = env.os_user() {
                parameters.set("user", user.to_string());
            }
        }
        // No host: the server's socket in the folder libpq is built with.
        if parameters.get("host").is_none() && parameters.get("hostaddr").is_none() {
            let folder = env.socket_folder().to_string_lossy().into_owned();
            parameters.set("host", folder);
        }
        let tls = tls_settings(&mut parameters, env).map_err(&bad)?;
        let seconds = |key: &str, value: Option<String>| {
            value
                .map(|value| {
                    value
                        .trim()
                        .parse::<u64>()
                        .map(Duration::from_secs)
                        .map_err(|_| {
                            bad(format!(
                                "{key}={} is not a whole number of seconds",
                                redact_url(&value)
                            ))
                        })
                })
                .transpose()
        };
        let connect_timeout = seconds("connect_timeout", parameters.take("connect_timeout"))?;
        let reply_timeout = seconds("reply_timeout", parameters.take("reply_timeout"))?;
        let passfile = parameters
            .take("passfile")
            .map(PathBuf::from)
            .or_else(|| env.in_home(".pgpass"));
        let mut password_file_note = None;
        let mut targets = Vec::new();
        for mut target in per_host(&parameters) {
            if target.get("password").is_none() {
                if let Some(file) = &passfile {
                    match read_password_file(file, &target, env) {
                        Ok(Some(password)) => target.set("password", password),
                        Ok(None) => {}
                        Err(note) => password_file_note = Some(note),
                    }
                }
            }
            // What the driver refuses (an unknown key, a bad port) is refused here too, so
            // every bad URL is found before any database work (a URL file's included). Its
            // messages name keys, never values, but a key may be a mangled password.
            let config = target
                .to_keyword_string()
                .parse::<tokio_postgres::Config>()
                .map_err(|e| bad(redact_url(&describe_parse_error(&e))))?;
            targets.push(config);
        }
        Ok(PostgresUrl {
            targets,
            tls,
            connect_timeout,
            reply_timeout,
            given,
            password_file_note,
            display,
        })
    }

    /// Whether the URL or the environment set the driver's parameter `key`.
    pub fn sets(&self, key: &str) -> bool {
        self.given.iter().any(|given| given == key)
    }

    /// The server and database the first host leads to, for saying where a run goes:
    /// `postgresql://user@host:port/dbname` (`?host=/folder` for a socket), no password.
    pub fn target(&self) -> String {
        use tokio_postgres::config::Host;
        let Some(config) = self.targets.first() else {
            return self.display.clone();
        };
        let user = config.get_user().unwrap_or_default();
        let dbname = config.get_dbname().unwrap_or(user);
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let host = config.get_hosts().first().map(|host| match host {
            Host::Tcp(name) => (name.clone(), false),
            Host::Unix(folder) => (folder.display().to_string(), true),
        });
        let host = host.or_else(|| {
            config
                .get_hostaddrs()
                .first()
                .map(|address| (address.to_string(), false))
        });
        match host {
            Some((folder, true)) => format!("postgresql://{user}@:{port}/{dbname}?host={folder}"),
            Some((name, false)) if name.contains(':') => {
                format!("postgresql://{user}@[{name}]:{port}/{dbname}")
            }
            Some((name, false)) => format!("postgresql://{user}@{name}:{port}/{dbname}"),
            None => self.display.clone(),
        }
    }
}

/// The parameters a `postgresql://` URL gives, decoded: credentials, hosts and ports, the
/// database, then the query's `key=value` pairs, which replace what the rest gave.
fn url_parameters(url: &str) -> Result<Parameters, String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| "it has no scheme".to_string())?;
    if !matches!(scheme.split('+').next(), Some("postgres" | "postgresql")) {
        return Err(format!("scheme {scheme} is not PostgreSQL"));
    }
    let decode = |text: &str| {
        percent_encoding::percent_decode_str(text)
            .decode_utf8()
            .map(|decoded| decoded.into_owned())
            .map_err(|_| "a percent-encoded part of it is not UTF-8".to_string())
    };
    let mut parameters = Parameters::default();
    // As SQLAlchemy reads it: the credentials run to the last `@`, so a password may hold
    // an unencoded `@`, `/` or `?`. An `@` in a query (`application_name=me@laptop`) is not
    // the end of them: what follows the end is a host list.
    let credentials_end = rest.match_indices('@').map(|(at, _)| at).rev().find(|&at| {
        let hosts = rest[at + 1..].split(['/', '?']).next().unwrap_or("");
        !hosts.contains(['=', '&']) && !rest[..at].rsplit('?').next().unwrap_or("").contains('=')
    });
    let rest = match credentials_end {
        Some(at) => {
            let (user, password) = match rest[..at].split_once(':') {
                Some((user, password)) => (user, Some(password)),
                None => (&rest[..at], None),
            };
            if !user.is_empty() {
                parameters.set("user", decode(user)?);
            }
            if let Some(password) = password {
                parameters.set("password", decode(password)?);
            }
            &rest[at + 1..]
        }
        None => rest,
    };
    let (location, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, path) = location.split_at(location.find('/').unwrap_or(location.len()));
    let mut hosts = Vec::new();
    let mut ports = Vec::new();
    for chunk in authority.split(',').filter(|chunk| !chunk.is_empty()) {
        let (host, port) = match chunk.strip_prefix('[') {
            Some(bracketed) => {
                let (host, after) = bracketed
                    .split_once(']')
                    .ok_or_else(|| format!("the host {chunk} has no closing `]`"))?;
                match after {
                    "" => (host, ""),
                    after => (
                        host,
                        after.strip_prefix(':').ok_or_else(|| {
                            format!("the host {chunk} has something other than a port after `]`")
                        })?,
                    ),
                }
            }
            None => chunk.split_once(':').unwrap_or((chunk, "")),
        };
        hosts.push(decode(host)?);
        ports.push(decode(port)?);
    }
    if hosts.iter().any(|host| !host.is_empty()) {
        parameters.set("host", hosts.join(","));
    }
    if ports.iter().any(|port| !port.is_empty()) {
        parameters.set("port", ports.join(","));
    }
    let dbname = path.strip_prefix('/').unwrap_or(path);
    if !dbname.is_empty() {
        parameters.set("dbname", decode(dbname)?);
    }
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        // libpq refuses a pair without `=`; it is not shown, as it may be a password.
        let (key, value) = pair.split_once('=').ok_or_else(|| {
            "a query parameter has no `=`; write each as key=value, separated by `&`".to_string()
        })?;
        parameters.set(&decode(key)?, decode(value)?);
    }
    Ok(parameters)
}

/// The TLS parameters taken out of `parameters`, with libpq's default files: trusted roots
/// from `sslrootcert` or `~/.postgresql/root.crt`, a client certificate from `sslcert` and
/// `sslkey` or `~/.postgresql/postgresql.crt` and `.key`. As in libpq, `sslmode=require`
/// verifies the server's certificate chain when a root certificate file is there.
fn tls_settings(
    parameters: &mut Parameters,
    env: &LibpqEnvironment,
) -> Result<TlsSettings, String> {
    let mut mode = match parameters.take("sslmode").as_deref() {
        Some("disable") => TlsMode::Disable,
        Some("require") => TlsMode::Require,
        Some("verify-ca") => TlsMode::VerifyCa,
        Some("verify-full") => TlsMode::VerifyFull,
        Some("allow" | "prefer") | None => TlsMode::Prefer,
        Some(other) => {
            return Err(format!(
                "sslmode={} is not one of disable, prefer, require, verify-ca, verify-full",
                redact_url(other)
            ))
        }
    };
    let existing = |key: &str, given: Option<String>, default: &str| match given {
        Some(path) if Path::new(&path).is_file() => Ok(Some(PathBuf::from(path))),
        Some(path) => Err(format!("{key}={path} names no file")),
        None => Ok(env.in_home(default).filter(|path| path.is_file())),
    };
    let roots = match parameters.take("sslrootcert") {
        Some(system) if system == "system" => TrustedRoots::System,
        given => match existing("sslrootcert", given, ".postgresql/root.crt")? {
            Some(file) => {
                if mode == TlsMode::Require {
                    mode = TlsMode::VerifyCa;
                }
                TrustedRoots::File(file)
            }
            None => TrustedRoots::System,
        },
    };
    let certificate = existing(
        "sslcert",
        parameters.take("sslcert"),
        ".postgresql/postgresql.crt",
    )?;
    let key = existing(
        "sslkey",
        parameters.take("sslkey"),
        ".postgresql/postgresql.key",
    )?;
    let key_password = parameters.take("sslpassword");
    let client = match (certificate, key) {
        (Some(certificate), Some(key)) => {
            if let Some(reason) = too_open(&key, SecretFile::PrivateKey) {
                return Err(reason);
            }
            Some(ClientCertificate {
                certificate,
                key,
                key_password,
            })
        }
        (Some(certificate), None) => {
            return Err(format!(
                "the client certificate {} has no key: name it with sslkey",
                certificate.display()
            ))
        }
        (None, _) => None,
    };
    Ok(TlsSettings {
        mode,
        roots,
        client,
    })
}

/// The parameters for each host of a host list (`host=a,b` with `port=1,2` or one port for
/// all, `hostaddr` alike), so each is tried alone; one entry for a single host.
fn per_host(parameters: &Parameters) -> Vec<Parameters> {
    let hosts = parameters.list("host");
    let addresses = parameters.list("hostaddr");
    let ports = parameters.list("port");
    let count = hosts.len().max(addresses.len());
    if count <= 1 {
        return vec![parameters.clone()];
    }
    (0..count)
        .map(|at| {
            let mut one = parameters.clone();
            for (key, list) in [("host", &hosts), ("hostaddr", &addresses), ("port", &ports)] {
                if let Some(value) = list.get(at).filter(|_| list.len() > 1) {
                    one.set(key, value.to_string());
                }
            }
            one
        })
        .collect()
}

/// The password for `target` in the password file, `Err` with the reason when libpq would
/// not read the file. The host matched is the one named, else the address, and `localhost`
/// for the default socket folder (libpq's rule).
fn read_password_file(
    file: &Path,
    target: &Parameters,
    env: &LibpqEnvironment,
) -> Result<Option<String>, String> {
    if !file.is_file() {
        return Ok(None);
    }
    if let Some(reason) = too_open(file, SecretFile::PasswordFile) {
        return Err(reason);
    }
    let Ok(text) = std::fs::read_to_string(file) else {
        return Ok(None);
    };
    let socket_folder = env.socket_folder().to_string_lossy();
    let host = match target.get("host").or(target.get("hostaddr")) {
        Some(host) if host == socket_folder => "localhost",
        Some(host) => host,
        None => "localhost",
    };
    let user = target.get("user").unwrap_or_default();
    Ok(password_from_file(
        &text,
        PasswordFileKey {
            host,
            port: target.get("port").unwrap_or("5432"),
            dbname: target.get("dbname").unwrap_or(user),
            user,
        },
    ))
}

/// The driver's complaint with its cause (`invalid value for option `port``), which its
/// own message leaves out.
fn describe_parse_error(error: &tokio_postgres::Error) -> String {
    match std::error::Error::source(error) {
        Some(cause) => format!("{error}: {cause}"),
        None => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;


    fn parsed(url: &str, variables: &[(&'static str, &str)]) -> PostgresUrl {
        PostgresUrl::parse_in(url, &LibpqEnvironment::for_test(variables, None))
            .unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    fn host_names(config: &tokio_postgres::Config) -> Vec<String> {
        use tokio_postgres::config::Host;
        config
            .get_hosts()
            .iter()
            .map(|host| match host {
                Host::Tcp(name) => name.clone(),
                Host::Unix(folder) => folder.display().to_string(),
            })
            .collect()
    }

    #[test]
    fn postgres_urls_keep_driver_parts_and_take_ours() {
        let url = parsed("postgresql+psycopg2://app:pw@db:5433/app?sslmode=verify-full&connect_timeout=3&reply_timeout=0&application_name=x", &[]);
        let config = &url.targets[0];
        assert_eq!(host_names(config), ["db"]);
        assert_eq!(config.get_ports(), [5433]);
        assert_eq!(config.get_user(), Some("app"));
        assert_eq!(config.get_password(), Some(&b"pw"[..]));
        assert_eq!(config.get_dbname(), Some("app"));
        assert_eq!(config.get_application_name(), Some("x"));
        assert_eq!(url.tls.mode, TlsMode::VerifyFull);
        assert_eq!(url.connect_timeout, Some(Duration::from_secs(3)));
        assert_eq!(url.reply_timeout, Some(Duration::ZERO));
        assert_eq!(url.display, "postgresql+psycopg2://app:***@db:5433/app?sslmode=verify-full&connect_timeout=3&reply_timeout=0&application_name=x");
        assert_eq!(url.target(), "postgresql://app@db:5433/app");
        assert_eq!(parsed("postgres://u@h/d", &[]).tls.mode, TlsMode::Prefer);
    }

    #[test]
    fn the_libpq_environment_fills_what_the_url_leaves_out() {
        let env = [
            ("PGHOST", "envhost"),
            ("PGPORT", "6543"),
            ("PGUSER", "envuser"),
            ("PGPASSWORD", "envpw"),
            ("PGDATABASE", "envdb"),
            ("PGSSLMODE", "require"),
            ("PGAPPNAME", "deploy"),
            ("PGCONNECT_TIMEOUT", "7"),
        ];
        let url = parsed("postgresql://", &env);
        let config = &url.targets[0];
        assert_eq!(host_names(config), ["envhost"]);
        assert_eq!(config.get_ports(), [6543]);
        assert_eq!(config.get_user(), Some("envuser"));
        assert_eq!(config.get_password(), Some(&b"envpw"[..]));
        assert_eq!(config.get_dbname(), Some("envdb"));
        assert_eq!(config.get_application_name(), Some("deploy"));
        assert_eq!(url.tls.mode, TlsMode::Require);
        assert_eq!(url.connect_timeout, Some(Duration::from_secs(7)));
        // What the URL says wins.
        let url = parsed(
            "postgresql://u:pw@h:5432/d?sslmode=disable&application_name=a",
            &env,
        );
        let config = &url.targets[0];
        assert_eq!(host_names(config), ["h"]);
        assert_eq!(config.get_ports(), [5432]);
        assert_eq!(config.get_user(), Some("u"));
        assert_eq!(config.get_password(), Some(&b"pw"[..]));
        assert_eq!(config.get_dbname(), Some("d"));
        assert_eq!(config.get_application_name(), Some("a"));
        assert_eq!(url.tls.mode, TlsMode::Disable);
        let error = PostgresUrl::parse_in(
            "postgresql://h/d",
            &LibpqEnvironment::for_test(&[("PGSSLMODE", "always")], None),
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("sslmode=always"), "{error}");
    }

    #[test]
    fn application_name_is_rmig_unless_given_and_user_the_login_name() {
        let config = &parsed("postgresql://h/d", &[]).targets[0];
        assert_eq!(config.get_application_name(), Some("rmig"));
        assert_eq!(config.get_user(), Some("osuser"));
    }

    #[test]
    fn host_lists_are_tried_one_host_at_a_time() {
        let url = parsed("postgres://u@h1:5433,h2/d", &[]);
        let hosts: Vec<_> = url
            .targets
            .iter()
            .map(|c| (host_names(c), c.get_ports().to_vec()))
            .collect();
        assert_eq!(
            hosts,
            [
                (vec!["h1".to_string()], vec![5433]),
                (vec!["h2".to_string()], vec![5432])
            ]
        );
        let url = parsed("postgres://u@/d?host=/run/a,h3&port=5440", &[]);
        let hosts: Vec<_> = url.targets.iter().map(host_names).collect();
        assert_eq!(hosts, [vec!["/run/a".to_string()], vec!["h3".to_string()]]);
        assert!(url.targets.iter().all(|c| c.get_ports() == [5440]));
    }

    #[test]
    fn passwords_come_from_the_password_file_when_the_url_has_none() {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().unwrap();
        let file = home.path().join(".pgpass");
        std::fs::write(
            &file,
            "db:5432:app:u:filepw\\:1\\n\nlocalhost:*:*:u:socketpw\n",
        )
        .unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let env = LibpqEnvironment::for_test(&[], Some(home.path()));
        let password = |url: &str| {
            PostgresUrl::parse_in(url, &env).unwrap().targets[0]
                .get_password()
                .map(|p| String::from_utf8_lossy(p).into_owned())
        };
        assert_eq!(
            password("postgresql://u@db/app").as_deref(),
            Some("filepw:1n")
        );
        assert_eq!(
            password("postgresql://u:given@db/app").as_deref(),
            Some("given")
        );
        assert_eq!(password("postgresql://u@db/other"), None);
        // The default socket folder counts as `localhost`.
        assert_eq!(password("postgresql://u@/x").as_deref(), Some("socketpw"));
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let url = PostgresUrl::parse_in("postgresql://u@db/app", &env).unwrap();
        assert_eq!(url.targets[0].get_password(), None);
        assert!(url
            .password_file_note
            .unwrap()
            .contains("group or world access"));
    }

    #[test]
    fn tls_files_must_exist_and_require_verifies_with_a_root_file() {
        let folder = tempfile::tempdir().unwrap();
        let root = folder.path().join("ca.crt");
        std::fs::write(&root, "not read here").unwrap();
        let url = parsed(
            &format!(
                "postgresql://h/d?sslmode=require&sslrootcert={}",
                root.display()
            ),
            &[],
        );
        assert_eq!(url.tls.mode, TlsMode::VerifyCa);
        assert_eq!(url.tls.roots, TrustedRoots::File(root.clone()));
        let url = parsed(
            "postgresql://h/d?sslmode=verify-full&sslrootcert=system",
            &[],
        );
        assert_eq!(url.tls.roots, TrustedRoots::System);
        let error = PostgresUrl::parse_in(
            "postgresql://h/d?sslrootcert=/no/such.crt",
            &LibpqEnvironment::for_test(&[], None),
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("sslrootcert=/no/such.crt names no file"),
            "{error}"
        );
        let error = PostgresUrl::parse_in(
            &format!("postgresql://h/d?sslcert={}", root.display()),
            &LibpqEnvironment::for_test(&[], None),
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("has no key"), "{error}");
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
    fn postgres_urls_without_a_host_use_the_socket_folder() {
        for url in ["postgresql://", "postgres:///d", "postgres://u:pw@:5432/d"] {
            assert_eq!(
                host_names(&parsed(url, &[]).targets[0]),
                ["/var/run/postgresql"],
                "{url}"
            );
        }
        assert_eq!(
            host_names(&parsed("postgres:///d?hostaddr=127.0.0.1", &[]).targets[0]),
            Vec::<String>::new()
        );
        let url = parsed("postgres://u:a/b?c@h/d?sslmode=disable", &[]);
        assert_eq!(url.targets[0].get_password(), Some(&b"a/b?c"[..]));
        assert_eq!(host_names(&url.targets[0]), ["h"]);
    }
}
