//! What libpq reads besides the URL, read the same way for rmig's PostgreSQL connections:
//! the `PG*` environment variables, the password file (`~/.pgpass`) and the default
//! certificate files under `~/.postgresql/`.
//!
//! The environment is read once into a [`LibpqEnvironment`], so the rules here are pure and
//! tested with made-up environments; only the file reads touch the system.
//!
//! Without the `postgres` feature only [`SERVER_VARIABLES`] is read (the config check that
//! names them), so the rest is compiled but unused there.

#![cfg_attr(not(feature = "postgres"), allow(dead_code))]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Environment variables that give a connection parameter the URL leaves out, as libpq
/// reads them (its documentation, "Environment Variables").
pub const PARAMETER_VARIABLES: [(&str, &str); 16] = [
    ("PGHOST", "host"),
    ("PGHOSTADDR", "hostaddr"),
    ("PGPORT", "port"),
    ("PGDATABASE", "dbname"),
    ("PGUSER", "user"),
    ("PGPASSWORD", "password"),
    ("PGPASSFILE", "passfile"),
    ("PGSSLMODE", "sslmode"),
    ("PGSSLROOTCERT", "sslrootcert"),
    ("PGSSLCERT", "sslcert"),
    ("PGSSLKEY", "sslkey"),
    ("PGAPPNAME", "application_name"),
    ("PGCONNECT_TIMEOUT", "connect_timeout"),
    ("PGOPTIONS", "options"),
    ("PGTARGETSESSIONATTRS", "target_session_attrs"),
    ("PGCHANNELBINDING", "channel_binding"),
];

/// The variables that, set alone, name a server to connect to when no URL is given.
pub const SERVER_VARIABLES: [&str; 3] = ["PGHOST", "PGHOSTADDR", "PGDATABASE"];

/// The socket folders libpq is built with: Debian's packages use the first, upstream the
/// second.
const SOCKET_FOLDERS: [&str; 2] = ["/var/run/postgresql", "/tmp"];

/// What libpq would find in the process's environment.
#[derive(Debug, Clone, Default)]
pub struct LibpqEnvironment {
    /// The set (non-empty) variables of [`PARAMETER_VARIABLES`].
    variables: BTreeMap<&'static str, String>,
    home: Option<PathBuf>,
    /// The login name, libpq's default user.
    os_user: Option<String>,
    /// Where the server's socket is when the URL names no host.
    socket_folder: PathBuf,
}

impl LibpqEnvironment {
    /// The process's environment.
    pub fn of_process() -> LibpqEnvironment {
        let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let variables = PARAMETER_VARIABLES
            .iter()
            .filter_map(|&(name, _)| var(name).map(|value| (name, value)))
            .collect();
        let socket_folder = SOCKET_FOLDERS
            .iter()
            .map(PathBuf::from)
            .find(|folder| folder.is_dir())
            .unwrap_or_else(|| PathBuf::from(SOCKET_FOLDERS[1]));
        LibpqEnvironment {
            variables,
            home: var("HOME").map(PathBuf::from),
            os_user: var("USER").or_else(|| var("LOGNAME")),
            socket_folder,
        }
    }

    /// The value of a variable of [`PARAMETER_VARIABLES`], when set.
    pub fn variable(&self, name: &str) -> Option<&str> {
        self.variables.get(name).map(String::as_str)
    }

    pub fn os_user(&self) -> Option<&str> {
        self.os_user.as_deref()
    }

    pub fn socket_folder(&self) -> &Path {
        &self.socket_folder
    }

    /// `~/NAME`, when the home folder is known.
    pub fn in_home(&self, name: &str) -> Option<PathBuf> {
        self.home.as_ref().map(|home| home.join(name))
    }

    #[cfg(test)]
    pub fn for_test(variables: &[(&'static str, &str)], home: Option<&Path>) -> Self {
        LibpqEnvironment {
            variables: variables
                .iter()
                .map(|&(name, value)| (name, value.to_string()))
                .collect(),
            home: home.map(Path::to_path_buf),
            os_user: Some("osuser".to_string()),
            socket_folder: PathBuf::from(SOCKET_FOLDERS[0]),
        }
    }
}

/// The fields a password-file line is matched on.
#[derive(Debug, Clone, Copy)]
pub struct PasswordFileKey<'a> {
    pub host: &'a str,
    pub port: &'a str,
    pub dbname: &'a str,
    pub user: &'a str,
}

/// The password of the first line of a password file's `text` that matches `key`: lines are
/// `host:port:database:user:password`, `*` matches anything in the first four fields, `\`
/// escapes `:` and `\`, and lines starting with `#` are comments.
pub fn password_from_file(text: &str, key: PasswordFileKey<'_>) -> Option<String> {
    let wanted = [key.host, key.port, key.dbname, key.user];
    text.lines()
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .find_map(|line| {
            let fields = split_fields(line)?;
            let matches = fields[..4]
                .iter()
                .zip(wanted)
                .all(|(field, value)| field == "*" || field == value);
            matches.then(|| fields[4].clone())
        })
}

/// A password-file line's five fields, unescaped; `None` for a line with fewer. The last
/// field runs to the end of the line, colons included.
fn split_fields(line: &str) -> Option<[String; 5]> {
    let mut fields: Vec<String> = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => fields.last_mut()?.extend(chars.next()),
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => fields.last_mut()?.push(c),
        }
    }
    fields.try_into().ok()
}

/// Why a password file or private key libpq would refuse is refused: libpq reads neither
/// when others can read it. `None` when its permissions are fine.
pub fn too_open(path: &Path, kind: SecretFile) -> Option<String> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let metadata = std::fs::metadata(path).ok()?;
    let mode = metadata.permissions().mode();
    let display = path.display();
    match kind {
        SecretFile::PasswordFile if mode & 0o077 != 0 => Some(format!(
            "the password file {display} has group or world access, so it was not read; make it private with `chmod 0600 {display}`"
        )),
        // Owned by root, a key may be readable by its group (libpq's rule for keys that a
        // system's administrator hands to a service account).
        SecretFile::PrivateKey if metadata.uid() == 0 && mode & 0o037 != 0 => Some(format!(
            "the private key {display} is owned by root and has more than u=rw,g=r (0640) access; make it private with `chmod 0640 {display}`"
        )),
        SecretFile::PrivateKey if metadata.uid() != 0 && mode & 0o077 != 0 => Some(format!(
            "the private key {display} has group or world access; make it private with `chmod 0600 {display}`"
        )),
        _ => None,
    }
}

/// The two kinds of file libpq checks the permissions of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretFile {
    PasswordFile,
    PrivateKey,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key<'a>(
        host: &'a str,
        port: &'a str,
        dbname: &'a str,
        user: &'a str,
    ) -> PasswordFileKey<'a> {
        PasswordFileKey {
            host,
            port,
            dbname,
            user,
        }
    }

    #[test]
    fn password_file_lines_match_field_by_field_with_wildcards() {
        let text = "# comment\n\
                    db.example:5432:app:alice:first\n\
                    *:*:*:bob:b\\:ob\\\\pw:with:colons\r\n\
                    localhost:*:*:*:local\n";
        let lookup = |k| password_from_file(text, k);
        assert_eq!(
            lookup(key("db.example", "5432", "app", "alice")).as_deref(),
            Some("first")
        );
        assert_eq!(lookup(key("db.example", "5433", "app", "alice")), None);
        assert_eq!(
            lookup(key("anywhere", "1", "x", "bob")).as_deref(),
            Some("b:ob\\pw:with:colons")
        );
        assert_eq!(
            lookup(key("localhost", "5432", "x", "carol")).as_deref(),
            Some("local")
        );
        assert_eq!(password_from_file("h:p:d:u", key("h", "p", "d", "u")), None);
    }

    #[test]
    fn an_escaped_colon_is_part_of_a_field() {
        let text = "fe80\\:\\:1:5432:*:u:pw\n";
        assert_eq!(
            password_from_file(text, key("fe80::1", "5432", "d", "u")).as_deref(),
            Some("pw")
        );
    }

    #[test]
    fn open_password_files_and_keys_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let folder = tempfile::tempdir().unwrap();
        let file = folder.path().join("pgpass");
        std::fs::write(&file, "*:*:*:*:pw\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(too_open(&file, SecretFile::PasswordFile), None);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let reason = too_open(&file, SecretFile::PasswordFile).unwrap();
        assert!(reason.contains("chmod 0600"), "{reason}");
        assert!(too_open(&file, SecretFile::PrivateKey).is_some());
    }
}
