//! Configuration: `rmig.toml` (or an Alembic project's `alembic.ini`), the environment and
//! command-line flags merged into one `Settings` before any work starts.
//!
//! The config file: `-c FILE`, else `./rmig.toml`, else the file `ALEMBIC_CONFIG` names (as
//! Alembic takes it when `-c` is not given), else `./alembic.ini`. Precedence for the database
//! URL: `--url`, then `RMIG_URL`, then `DATABASE_URL`, then the file's `url`, then the libpq
//! environment when PGHOST, PGHOSTADDR or PGDATABASE is set, then `sqlite:///rmig.db`. With no config file at all rmig runs on the defaults, so a fresh
//! checkout works without set-up.
//!
//! Revisions are read from `script_location`, or from every folder `version_locations` names
//! (Alembic's key, in either file), sub-folders included with `recursive_version_locations`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::alembic_ini::{AlembicIni, AlembicIniError};
use crate::db::{redact_url, SERVER_VARIABLES};
use crate::dialect::Dialect;
use crate::duration::{self, DurationError};
use crate::exec::{HistoryTable, LockRetryPolicy};
use crate::identifier::{self, NameError};
use crate::ops::naming_convention::{NamingConvention, NamingConventionError};
use crate::revision::{FileNaming, FileTemplate, FileTemplateError, DEFAULT_SLUG_LENGTH};
use crate::version_table::VersionTable;

pub const CONFIG_FILE: &str = "rmig.toml";
pub const ALEMBIC_INI: &str = "alembic.ini";
pub const DEFAULT_URL: &str = "sqlite:///rmig.db";
pub const DEFAULT_SCRIPT_LOCATION: &str = "revisions";

/// What went wrong reading configuration; each names the file or value at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Malformed { path: PathBuf, message: String },
    #[error("{}: no `script_location` is set; add `script_location = \"revisions\"`", path.display())]
    MissingScriptLocation { path: PathBuf },
    #[error(transparent)]
    AlembicIni(#[from] AlembicIniError),
    #[error("{}: `file_template` {source}", path.display())]
    FileTemplate {
        path: PathBuf,
        source: FileTemplateError,
    },
    #[error("{}: `truncate_slug_length` must be above 0", path.display())]
    SlugLength { path: PathBuf },
    #[error("{}: `{key}`: {source}", path.display())]
    Duration {
        path: PathBuf,
        key: &'static str,
        source: DurationError,
    },
    #[error("{}: {source}", path.display())]
    Name { path: PathBuf, source: NameError },
    #[error("{}: {source}", path.display())]
    NamingConvention {
        path: PathBuf,
        source: NamingConventionError,
    },
    #[error("{}: `history_table` and `version_table` are both '{name}'; rmig's audit table needs a name of its own", path.display())]
    SameTable { path: PathBuf, name: String },
    #[error("{}: `{key}` '{schema}' names a schema, but a SQLite database has only `main`; remove the key", path.display())]
    SqliteSchema {
        path: PathBuf,
        key: &'static str,
        schema: String,
    },
    #[error("database URL '{url}' is not supported: use postgresql://..., postgres://... or sqlite:///path.db")]
    UnsupportedUrl { url: String },
}

/// `rmig.toml` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigFile {
    script_location: Option<String>,
    url: Option<String>,
    version_table: Option<String>,
    version_table_schema: Option<String>,
    history_table: Option<HistoryTableKey>,
    history_table_schema: Option<String>,
    transaction_per_migration: Option<bool>,
    file_template: Option<String>,
    truncate_slug_length: Option<usize>,
    version_locations: Option<Vec<String>>,
    recursive_version_locations: Option<bool>,
    lock_timeout: Option<String>,
    lock_retries: Option<u32>,
    lock_retry_limit: Option<String>,
    statement_timeout: Option<String>,
    target_schema: Option<String>,
    reflect_schemas: Option<Vec<String>>,
    /// SQLAlchemy's `naming_convention`: `ix`, `uq`, `ck`, `fk`, `pk` to templates.
    naming_convention: Option<std::collections::BTreeMap<String, String>>,
}

/// `history_table` as written: a table name, or `false` for no audit table.
#[derive(Debug, Clone, PartialEq)]
enum HistoryTableKey {
    Name(String),
    Off,
}

impl<'de> Deserialize<'de> for HistoryTableKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl serde::de::Visitor<'_> for KeyVisitor {
            type Value = HistoryTableKey;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a table name, or false to keep no audit table")
            }
            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Self::Value, E> {
                Ok(HistoryTableKey::Name(name.to_string()))
            }
            fn visit_bool<E: serde::de::Error>(self, on: bool) -> Result<Self::Value, E> {
                if on {
                    // `true` would only mean the default, which leaving the key out says.
                    Err(E::invalid_value(serde::de::Unexpected::Bool(true), &self))
                } else {
                    Ok(HistoryTableKey::Off)
                }
            }
        }
        deserializer.deserialize_any(KeyVisitor)
    }
}

/// Settings in force for one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The config file read, if any.
    pub config_path: Option<PathBuf>,
    pub script_location: PathBuf,
    /// The folders revisions are read from, in load order: `version_locations`, else
    /// `script_location` alone. Never empty.
    pub version_locations: Vec<PathBuf>,
    /// Whether sub-folders of each location are read too (`recursive_version_locations`).
    pub recursive_version_locations: bool,
    /// Set from flag, environment or file; `None` means the SQLite default.
    url: Option<String>,
    /// Where `url` came from, for saying where a run goes.
    pub url_source: UrlSource,
    pub version_table: VersionTable,
    /// rmig's audit table (`rmig_history`), in the `rmig` schema on PostgreSQL (or the
    /// version table's, or `history_table_schema`); `None` with `history_table = false`.
    pub history_table: Option<HistoryTable>,
    pub transaction_per_migration: bool,
    /// How `rmig revision` names new files (`file_template`, `truncate_slug_length`).
    pub file_naming: FileNaming,
    /// `lock_timeout` and `statement_timeout` as read (each checked when the file is loaded).
    pub lock_timeout: Option<Duration>,
    pub statement_timeout: Option<Duration>,
    /// How a step that timed out waiting for a lock runs again (`lock_retries`,
    /// `lock_retry_limit`).
    pub lock_retry: LockRetryPolicy,
    pub target_schema: PathBuf,
    /// PostgreSQL schemas that autogenerate and `check` compare with the target schema, besides
    /// the connection's default schema and any schema the target file names (`public` unless
    /// `reflect_schemas` in rmig.toml says otherwise).
    pub reflect_schemas: Vec<String>,
    /// Names the constraints and indexes revisions create without a name (empty: none).
    pub naming_convention: NamingConvention,
}

impl Settings {
    /// The database URL in force (never printed as is: see `redacted_url`).
    pub fn url(&self) -> &str {
        self.url.as_deref().unwrap_or(DEFAULT_URL)
    }

    /// The URL with any password replaced, for messages and `--json` output.
    pub fn redacted_url(&self) -> String {
        redact_url(self.url())
    }

    pub fn dialect(&self) -> Result<Dialect, ConfigError> {
        dialect_of_url(self.url())
    }
}

/// The URL a run takes when only the libpq environment names a server: every part of it
/// comes from the `PG*` variables (src/db/libpq.rs).
const LIBPQ_ENVIRONMENT_URL: &str = "postgresql://";

/// Where the database URL in force came from, highest precedence first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlSource {
    Flag,
    RmigUrl,
    DatabaseUrl,
    ConfigFile(PathBuf),
    /// No URL anywhere, but these of PGHOST, PGHOSTADDR and PGDATABASE are set.
    LibpqEnvironment(Vec<&'static str>),
    Default,
}

impl std::fmt::Display for UrlSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UrlSource::Flag => f.write_str("--url"),
            UrlSource::RmigUrl => f.write_str("RMIG_URL"),
            UrlSource::DatabaseUrl => f.write_str("DATABASE_URL"),
            UrlSource::ConfigFile(path) if is_alembic_ini(path) => {
                write!(f, "`sqlalchemy.url` in {}", path.display())
            }
            UrlSource::ConfigFile(path) => write!(f, "`url` in {}", path.display()),
            UrlSource::LibpqEnvironment(variables) => {
                write!(f, "the libpq environment: {}", variables.join(", "))
            }
            UrlSource::Default => f.write_str("rmig's default, as no URL is configured"),
        }
    }
}

/// What the command line says about configuration.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub url: Option<String>,
}

/// Reads the config file (explicit, else `./rmig.toml`, else `./alembic.ini`, else none) and
/// merges the environment and command-line overrides into it.
pub fn load(overrides: &Overrides) -> Result<Settings, ConfigError> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    load_with_env(overrides, env)
}

fn load_with_env(
    overrides: &Overrides,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Settings, ConfigError> {
    let path = match &overrides.config {
        Some(path) => Some(path.clone()),
        None => Some(PathBuf::from(CONFIG_FILE))
            .filter(|p| p.is_file())
            .or_else(|| env("ALEMBIC_CONFIG").map(PathBuf::from))
            .or_else(|| Some(PathBuf::from(ALEMBIC_INI)).filter(|p| p.is_file())),
    };
    let (file, base, locations) = match &path {
        Some(path) if is_alembic_ini(path) => {
            let (file, locations) = read_alembic_ini(path)?;
            (file, PathBuf::new(), locations)
        }
        Some(path) => {
            let file = read_config_file(path)?;
            let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let locations = Locations {
                script_location: base.join(
                    file.script_location
                        .as_deref()
                        .unwrap_or(DEFAULT_SCRIPT_LOCATION),
                ),
                version_locations: file
                    .version_locations
                    .as_ref()
                    .map(|list| list.iter().map(|folder| base.join(folder)).collect()),
            };
            (file, base, locations)
        }
        None => (
            ConfigFile::default(),
            PathBuf::new(),
            Locations {
                script_location: PathBuf::from(DEFAULT_SCRIPT_LOCATION),
                version_locations: None,
            },
        ),
    };
    let config_path = || path.clone().unwrap_or_default();
    let template = match &file.file_template {
        Some(template) => {
            FileTemplate::parse(template).map_err(|source| ConfigError::FileTemplate {
                path: config_path(),
                source,
            })?
        }
        None => FileTemplate::default(),
    };
    let slug_length = file.truncate_slug_length.unwrap_or(DEFAULT_SLUG_LENGTH);
    if slug_length == 0 {
        return Err(ConfigError::SlugLength {
            path: config_path(),
        });
    }
    let version_locations = match locations.version_locations {
        Some(folders) if !folders.is_empty() => folders,
        _ => vec![locations.script_location.clone()],
    };
    let libpq_variables: Vec<&'static str> = SERVER_VARIABLES
        .into_iter()
        .filter(|name| env(name).is_some())
        .collect();
    let (url, url_source) = match (overrides.url.clone(), env("RMIG_URL"), env("DATABASE_URL")) {
        (Some(url), _, _) => (Some(url), UrlSource::Flag),
        (None, Some(url), _) => (Some(url), UrlSource::RmigUrl),
        (None, None, Some(url)) => (Some(url), UrlSource::DatabaseUrl),
        (None, None, None) => match file.url {
            Some(url) => (Some(url), UrlSource::ConfigFile(config_path())),
            None if !libpq_variables.is_empty() => (
                Some(LIBPQ_ENVIRONMENT_URL.to_string()),
                UrlSource::LibpqEnvironment(libpq_variables),
            ),
            None => (None, UrlSource::Default),
        },
    };
    let timeout = |key: &'static str, value: Option<String>| {
        value
            .map(|value| {
                duration::parse(&value).map_err(|source| ConfigError::Duration {
                    path: path.clone().unwrap_or_default(),
                    key,
                    source,
                })
            })
            .transpose()
    };
    let lock_timeout = timeout("lock_timeout", file.lock_timeout)?;
    let statement_timeout = timeout("statement_timeout", file.statement_timeout)?;
    let mut lock_retry = LockRetryPolicy::default();
    if let Some(retries) = file.lock_retries {
        lock_retry.retries = retries;
    }
    if let Some(limit) = timeout("lock_retry_limit", file.lock_retry_limit)? {
        lock_retry.limit = limit;
    }
    let history_table_schema = file.history_table_schema.clone();
    let naming_convention = NamingConvention::parse(file.naming_convention.unwrap_or_default())
        .map_err(|source| ConfigError::NamingConvention {
            path: path.clone().unwrap_or_default(),
            source,
        })?;
    let settings = Settings {
        config_path: path,
        script_location: locations.script_location,
        version_locations,
        recursive_version_locations: file.recursive_version_locations.unwrap_or(false),
        url,
        url_source,
        version_table: VersionTable {
            name: file
                .version_table
                .unwrap_or_else(|| "alembic_version".to_string()),
            schema: file.version_table_schema.clone(),
        },
        history_table: history_table(
            file.history_table,
            file.history_table_schema,
            file.version_table_schema.as_deref(),
        ),
        transaction_per_migration: file.transaction_per_migration.unwrap_or(true),
        file_naming: FileNaming {
            template,
            slug_length,
        },
        lock_timeout,
        statement_timeout,
        lock_retry,
        target_schema: base.join(file.target_schema.as_deref().unwrap_or("schema.toml")),
        reflect_schemas: file
            .reflect_schemas
            .unwrap_or_else(|| vec!["public".to_string()]),
        naming_convention,
    };
    let dialect = settings.dialect()?;
    settings.check_names(dialect, history_table_schema.as_ref())?;
    Ok(settings)
}

/// The audit table `history_table` and `history_table_schema` name, by default
/// [`HistoryTable::beside`] the version table; none with `history_table = false`.
fn history_table(
    key: Option<HistoryTableKey>,
    schema: Option<String>,
    version_table_schema: Option<&str>,
) -> Option<HistoryTable> {
    let mut table = HistoryTable::beside(version_table_schema);
    match key {
        Some(HistoryTableKey::Off) => return None,
        Some(HistoryTableKey::Name(name)) => table.name = name,
        None => {}
    }
    if schema.is_some() {
        table.schema = schema;
    }
    Some(table)
}

impl Settings {
    /// The tables and schemas rmig names in the database are names it can use (the rules of
    /// `identifier`, for `dialect`): SQLite made a table named `""`, and a schema on SQLite
    /// failed only in the database (issue 15).
    /// `history_table_schema` is the key as written (the table's schema has a default).
    fn check_names(
        &self,
        dialect: Dialect,
        history_table_schema: Option<&String>,
    ) -> Result<(), ConfigError> {
        let path = || self.config_path.clone().unwrap_or_default();
        let max_length = dialect.name_rules().max_length;
        let check = |key: &'static str, name: &str| {
            identifier::check(|| key.to_string(), name, max_length).map_err(|source| {
                ConfigError::Name {
                    path: path(),
                    source,
                }
            })
        };
        check("version_table", &self.version_table.name)?;
        if let Some(history) = &self.history_table {
            check("history_table", &history.name)?;
            // On SQLite both tables are in the one file: one name would be both tables.
            if history.name == self.version_table.name {
                return Err(ConfigError::SameTable {
                    path: path(),
                    name: history.name.clone(),
                });
            }
        }
        if let Some(schema) = &self.version_table.schema {
            check("version_table_schema", schema)?;
        }
        // Checked as written: by default the audit table's schema is the version table's,
        // which a bad name must be reported under.
        if let Some(schema) = history_table_schema {
            check("history_table_schema", schema)?;
        }
        for (index, schema) in self.reflect_schemas.iter().enumerate() {
            identifier::check(
                || format!("reflect_schemas[{}]", index + 1),
                schema,
                max_length,
            )
            .map_err(|source| ConfigError::Name {
                path: path(),
                source,
            })?;
        }
        // SQLite's one database is `main` (Alembic writes `main.alembic_version` for it).
        let sqlite_schema = |key: &'static str, schema: Option<&String>| match schema {
            Some(schema) if dialect == Dialect::Sqlite && schema != "main" => {
                Err(ConfigError::SqliteSchema {
                    path: path(),
                    key,
                    schema: schema.clone(),
                })
            }
            _ => Ok(()),
        };
        sqlite_schema("version_table_schema", self.version_table.schema.as_ref())?;
        sqlite_schema("history_table_schema", history_table_schema)
    }
}

fn is_alembic_ini(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "ini")
}

fn read_config_file(path: &Path) -> Result<ConfigFile, ConfigError> {
    let text = read_config_text(path)?;
    let file: ConfigFile = toml::from_str(&text).map_err(|e| ConfigError::Malformed {
        path: path.to_path_buf(),
        message: match e.span() {
            Some(span) => {
                let line = text[..span.start].matches('\n').count() + 1;
                // Type errors do not name their key; the line that sets it does.
                let key = text.lines().nth(line - 1).and_then(|l| {
                    let l = l.trim();
                    match l.strip_prefix('[') {
                        Some(header) => header.split(']').next().map(str::trim),
                        None => l.split_once('=').map(|(key, _)| key.trim()),
                    }
                });
                let key = key.filter(|key| !key.is_empty() && !key.starts_with('#'));
                match key {
                    Some(key) if !e.message().contains(key) => {
                        format!("line {line}, key `{key}`: {}", e.message())
                    }
                    _ => format!("line {line}: {}", e.message()),
                }
            }
            None => e.message().to_string(),
        },
    })?;
    if file.script_location.is_none() {
        return Err(ConfigError::MissingScriptLocation {
            path: path.to_path_buf(),
        });
    }
    Ok(file)
}

/// Where a config file puts the revisions, relative paths already joined to their base.
struct Locations {
    script_location: PathBuf,
    version_locations: Option<Vec<PathBuf>>,
}

/// The settings of an alembic.ini's `[alembic]` section that rmig uses (its own
/// `version_table` and `version_table_schema` included), relative paths taken from the
/// working folder as Alembic takes them.
fn read_alembic_ini(path: &Path) -> Result<(ConfigFile, Locations), ConfigError> {
    let text = read_config_text(path)?;
    let ini = AlembicIni::parse(path, &text, Path::new(""))?;
    let file = ConfigFile {
        url: ini.url,
        version_table: ini.version_table,
        version_table_schema: ini.version_table_schema,
        file_template: ini.file_template,
        truncate_slug_length: ini.truncate_slug_length,
        recursive_version_locations: Some(ini.recursive_version_locations),
        ..ConfigFile::default()
    };
    let locations = Locations {
        script_location: ini.script_location,
        version_locations: ini.version_locations,
    };
    Ok((file, locations))
}

/// The largest config file rmig reads: far above any real one.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// A config file's text. Only a regular file of sane size is read: `-c /dev/zero` would
/// otherwise be read forever (corpus: `config_flag_dev_zero`), and `-c DIR` gave the
/// platform's "Is a directory (os error 21)".
fn read_config_text(path: &Path) -> Result<String, ConfigError> {
    let not_readable = |reason: &str| ConfigError::Read {
        path: path.to_path_buf(),
        source: std::io::Error::other(reason.to_string()),
    };
    let meta = std::fs::metadata(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if !meta.is_file() {
        return Err(not_readable("it is not a regular file"));
    }
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(not_readable("it is larger than 1 MiB"));
    }
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// The dialect a URL names; SQLAlchemy's `dialect+driver://` form is accepted.
pub fn dialect_of_url(url: &str) -> Result<Dialect, ConfigError> {
    let scheme = url.split_once("://").map(|(s, _)| s).unwrap_or("");
    let family = scheme.split('+').next().unwrap_or("");
    match family {
        "postgres" | "postgresql" => Ok(Dialect::Postgresql),
        "sqlite" => Ok(Dialect::Sqlite),
        "mysql" | "mariadb" => Ok(Dialect::Mysql),
        _ => Err(ConfigError::UnsupportedUrl {
            url: redact_url(url),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn dialects_from_urls() {
        assert_eq!(
            dialect_of_url("postgresql+psycopg2://u@h/d").unwrap(),
            Dialect::Postgresql
        );
        assert_eq!(
            dialect_of_url("postgres://u@h/d").unwrap(),
            Dialect::Postgresql
        );
        assert_eq!(dialect_of_url("sqlite://").unwrap(), Dialect::Sqlite);
        for url in [
            "mysql://u@h/d",
            "mysql+pymysql://u@h/d",
            "mariadb+mariadbconnector://u@h/d",
        ] {
            assert_eq!(dialect_of_url(url).unwrap(), Dialect::Mysql, "{url}");
        }
        let err = dialect_of_url("oracle://root:pw@h/d")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("oracle://root:***@h/d") && !err.contains("pw"),
            "{err}"
        );
    }

    #[test]
    fn url_precedence_flag_then_env_then_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rmig.toml");
        std::fs::write(
            &path,
            "script_location = \"revs\"\nurl = \"sqlite:///file.db\"\n",
        )
        .unwrap();
        let mut overrides = Overrides {
            config: Some(path.clone()),
            url: None,
        };
        let env = |name: &str| match name {
            "RMIG_URL" => Some("sqlite:///rmig_url.db".to_string()),
            "DATABASE_URL" => Some("sqlite:///database_url.db".to_string()),
            _ => None,
        };
        assert_eq!(
            load_with_env(&overrides, no_env).unwrap().url(),
            "sqlite:///file.db"
        );
        assert_eq!(
            load_with_env(&overrides, env).unwrap().url(),
            "sqlite:///rmig_url.db"
        );
        let only_database_url =
            |name: &str| (name == "DATABASE_URL").then(|| "sqlite:///database_url.db".to_string());
        assert_eq!(
            load_with_env(&overrides, only_database_url).unwrap().url(),
            "sqlite:///database_url.db"
        );
        overrides.url = Some("postgresql://u@h/d".into());
        let settings = load_with_env(&overrides, env).unwrap();
        assert_eq!(settings.url(), "postgresql://u@h/d");
        assert_eq!(settings.script_location, dir.path().join("revs"));
    }

    #[test]
    fn unknown_config_key_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rmig.toml");
        std::fs::write(&path, "script_location = \"r\"\nscript_locaiton = \"x\"\n").unwrap();
        let overrides = Overrides {
            config: Some(path),
            url: None,
        };
        let err = load_with_env(&overrides, no_env).unwrap_err().to_string();
        assert!(
            err.contains("line 2") && err.contains("script_locaiton"),
            "{err}"
        );
    }

    #[test]
    fn naming_convention_is_read_and_an_unknown_key_or_token_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rmig.toml");
        let load = |table: &str| {
            std::fs::write(
                &path,
                format!("script_location = \"r\"\n\n[naming_convention]\n{table}"),
            )
            .unwrap();
            load_with_env(
                &Overrides {
                    config: Some(path.clone()),
                    url: None,
                },
                no_env,
            )
        };
        let settings = load(
            "ix = \"ix_%(column_0_label)s\"\nck = \"ck_%(table_name)s_%(constraint_name)s\"\n",
        )
        .unwrap();
        let entries: Vec<(&str, &str)> = settings.naming_convention.entries().collect();
        assert_eq!(
            entries,
            [
                ("ix", "ix_%(column_0_label)s"),
                ("ck", "ck_%(table_name)s_%(constraint_name)s")
            ]
        );
        let err = load("idx = \"ix_%(table_name)s\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("rmig.toml") && err.contains("`idx`"), "{err}");
        let err = load("uq = \"uq_%(column_0_nmae)s\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("rmig.toml") && err.contains("`%(column_0_nmae)s`"),
            "{err}"
        );
    }

    #[test]
    fn reads_alembic_ini() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alembic.ini");
        std::fs::write(
            &path,
            "[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = postgresql://scott:tiger@localhost/test\n\n[loggers]\nkeys = root\n",
        )
        .unwrap();
        let overrides = Overrides {
            config: Some(path),
            url: None,
        };
        let settings = load_with_env(&overrides, no_env).unwrap();
        assert_eq!(settings.script_location, dir.path().join("migrations"));
        assert_eq!(
            settings.redacted_url(),
            "postgresql://scott:***@localhost/test"
        );
        assert_eq!(settings.dialect().unwrap(), Dialect::Postgresql);
    }

    #[test]
    fn history_table_schema_is_checked_at_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rmig.toml");
        let load = |text: &str| {
            std::fs::write(&path, format!("script_location = \"r\"\n{text}\n")).unwrap();
            let overrides = Overrides {
                config: Some(path.clone()),
                url: None,
            };
            load_with_env(&overrides, no_env)
        };
        let pg = "url = \"postgresql://u@h/d\"";
        let schema = |text: &str| load(text).unwrap().history_table.unwrap().schema;
        assert_eq!(schema(pg).as_deref(), Some("rmig"));
        let beside = format!("{pg}\nversion_table_schema = \"app\"");
        assert_eq!(schema(&beside).as_deref(), Some("app"));
        let own = format!("{pg}\nhistory_table_schema = \"audit\"");
        assert_eq!(schema(&own).as_deref(), Some("audit"));
        let off = format!("{pg}\nhistory_table = false");
        assert_eq!(load(&off).unwrap().history_table, None);
        let err = load(&format!("{pg}\nhistory_table = true"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("rmig.toml")
                && err.contains("history_table")
                && err.contains("or false to keep no audit table"),
            "{err}"
        );

        let err = load(&format!("{pg}\nhistory_table_schema = \" audit\""))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("rmig.toml") && err.contains("history_table_schema"),
            "{err}"
        );
        let err = load("history_table_schema = \"audit\"")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("rmig.toml")
                && err.contains("`history_table_schema` 'audit'")
                && err.contains("SQLite"),
            "{err}"
        );
    }
}
