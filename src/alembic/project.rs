//! Finding an Alembic project's parts: `alembic.ini` (read as Python's configparser reads it,
//! `%(here)s` and continuation lines included), the script folder, the version locations with
//! Alembic's file order (location by location, names sorted, sub-folders only with
//! `recursive_version_locations`), and the settings `env.py` passes to `context.configure`.
//!
//! Relative paths in alembic.ini are taken from the ini file's folder: Alembic takes them from
//! the working directory, which is that folder whenever `alembic` runs without `-c`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::python::{Module, Scope, Value};
use super::ImportError;

/// The Alembic project as found on disk.
#[derive(Debug)]
pub(super) struct AlembicProject {
    /// alembic.ini, when the project has one.
    pub(super) ini: Option<PathBuf>,
    pub(super) script_dir: PathBuf,
    pub(super) version_locations: Vec<PathBuf>,
    pub(super) recursive: bool,
    pub(super) url: Option<String>,
    /// The folder paths in messages are given relative to.
    pub(super) root: PathBuf,
}

/// Finds the project from an alembic.ini, a folder holding one, or a script folder.
pub(super) fn locate(src: &Path) -> Result<AlembicProject, ImportError> {
    if src.is_file() {
        return from_ini(src);
    }
    if !src.is_dir() {
        return Err(ImportError::Source {
            path: src.to_path_buf(),
            message: "no such file or folder".into(),
        });
    }
    let ini = src.join("alembic.ini");
    if ini.is_file() {
        return from_ini(&ini);
    }
    if src.join("versions").is_dir() || src.join("env.py").is_file() {
        return Ok(AlembicProject {
            ini: None,
            script_dir: src.to_path_buf(),
            version_locations: vec![src.join("versions")],
            recursive: false,
            url: None,
            root: src.to_path_buf(),
        });
    }
    Err(ImportError::Source {
        path: src.to_path_buf(),
        message: "it holds neither alembic.ini nor an Alembic script folder (env.py, versions/)"
            .into(),
    })
}

fn from_ini(path: &Path) -> Result<AlembicProject, ImportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let here = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let here_abs = std::path::absolute(&here).unwrap_or_else(|_| here.clone());
    let ini_error = |message: String| ImportError::Source {
        path: path.to_path_buf(),
        message,
    };
    let sections = parse_ini(&text);
    let section = sections
        .get("alembic")
        .ok_or_else(|| ini_error("it has no [alembic] section".into()))?;
    let defaults = sections.get("DEFAULT").cloned().unwrap_or_default();
    let get = |key: &str| -> Result<Option<String>, ImportError> {
        let raw = section.get(key).or_else(|| defaults.get(key));
        raw.map(|raw| interpolate(raw, section, &defaults, &here_abs.to_string_lossy(), 0))
            .transpose()
            .map_err(|message| ini_error(format!("`{key}`: {message}")))
    };
    let script_location =
        get("script_location")?.ok_or_else(|| ini_error("no `script_location` is set".into()))?;
    if is_package_resource(&script_location) {
        return Err(ini_error(format!(
            "script_location '{script_location}' names a Python package; give the folder's path instead"
        )));
    }
    let script_dir = here.join(&script_location);
    let version_locations = match get("version_locations")? {
        Some(list) if !list.trim().is_empty() => {
            let separator = get("path_separator")?.or(get("version_path_separator")?);
            split_locations(&list, separator.as_deref())
                .map_err(ini_error)?
                .into_iter()
                .map(|location| here.join(location))
                .collect()
        }
        _ => vec![script_dir.join("versions")],
    };
    let recursive = matches!(
        get("recursive_version_locations")?
            .as_deref()
            .map(str::trim),
        Some("true" | "True" | "1" | "yes" | "on")
    );
    let url = get("sqlalchemy.url")?.filter(|url| !url.trim().is_empty());
    Ok(AlembicProject {
        ini: Some(path.to_path_buf()),
        script_dir,
        version_locations,
        recursive,
        url,
        root: here,
    })
}

/// `package:path` as Alembic's `coerce_resource_to_filename` reads it.
fn is_package_resource(location: &str) -> bool {
    !Path::new(location).is_absolute()
        && location.contains(':')
        && !location.starts_with("%(")
        && location.split(':').next().is_some_and(|p| p.len() > 1)
}

/// Splits `version_locations` as Alembic 1.20 does: by `path_separator` (`os`, `space`,
/// `newline`, `:` or `;`), or when none is set, on spaces and commas.
fn split_locations(list: &str, separator: Option<&str>) -> Result<Vec<String>, String> {
    let parts: Vec<String> = match separator.map(str::trim) {
        None => list
            .split([' ', ','])
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect(),
        Some(name) => {
            let split = match name {
                "space" => " ",
                "newline" => "\n",
                "os" | ":" => ":",
                ";" => ";",
                other => {
                    return Err(format!(
                        "path_separator '{other}' is not one of space, newline, os, ':' or ';'"
                    ))
                }
            };
            list.split(split)
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect()
        }
    };
    Ok(parts)
}

/// Sections of an ini file: keys lower-cased as configparser does, continuation lines joined
/// with newlines, whole-line `#` and `;` comments skipped.
fn parse_ini(text: &str) -> HashMap<String, HashMap<String, String>> {
    let mut sections: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut section = String::new();
    let mut last_key: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if trimmed.is_empty() {
            last_key = None;
            continue;
        }
        let continuation = line.starts_with([' ', '\t']);
        if continuation {
            if let Some(key) = &last_key {
                if let Some(value) = sections.get_mut(&section).and_then(|s| s.get_mut(key)) {
                    value.push('\n');
                    value.push_str(trimmed);
                }
                continue;
            }
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_string();
            last_key = None;
            continue;
        }
        let at = trimmed.find(['=', ':']);
        let Some(at) = at else { continue };
        let key = trimmed[..at].trim().to_lowercase();
        let value = trimmed[at + 1..].trim().to_string();
        sections
            .entry(section.clone())
            .or_default()
            .insert(key.clone(), value);
        last_key = Some(key);
    }
    sections
}

/// configparser's basic interpolation: `%(name)s` from the section, its defaults or `here`;
/// `%%` is a percent sign.
fn interpolate(
    raw: &str,
    section: &HashMap<String, String>,
    defaults: &HashMap<String, String>,
    here: &str,
    depth: usize,
) -> Result<String, String> {
    if depth > 10 {
        return Err("interpolation goes too deep".into());
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if let Some(after) = rest.strip_prefix("%%") {
            out.push('%');
            rest = after;
        } else if let Some(after) = rest.strip_prefix("%(") {
            let end = after
                .find(")s")
                .ok_or_else(|| format!("bad interpolation in '{raw}'"))?;
            let name = after[..end].to_lowercase();
            let value = if name == "here" {
                here.to_string()
            } else {
                let raw = section
                    .get(&name)
                    .or_else(|| defaults.get(&name))
                    .ok_or_else(|| format!("'%({name})s' names no setting"))?;
                interpolate(raw, section, defaults, here, depth + 1)?
            };
            out.push_str(&value);
            rest = &after[end + 2..];
        } else {
            return Err(format!("a lone '%' in '{raw}'; write '%%'"));
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The version scripts in Alembic's load order.
pub(super) fn version_files(project: &AlembicProject) -> Result<Vec<PathBuf>, ImportError> {
    let mut files = Vec::new();
    for location in &project.version_locations {
        if location.is_dir() {
            list_py_dir(location, project.recursive, &mut files)?;
        }
    }
    Ok(files)
}

fn list_py_dir(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) -> Result<(), ImportError> {
    let read_error = |source| ImportError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_error)? {
        let entry = entry.map_err(read_error)?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            if name != "__pycache__" {
                dirs.push(path);
            }
        } else if name.ends_with(".py") && !name.starts_with("__init__") && !name.starts_with(".#")
        {
            files.push(path);
        }
    }
    files.sort();
    out.extend(files);
    if recursive {
        dirs.sort();
        for sub in dirs {
            list_py_dir(&sub, recursive, out)?;
        }
    }
    Ok(())
}

/// What env.py passes to `context.configure` that rmig.toml can carry.
#[derive(Debug, Default, PartialEq)]
pub(super) struct EnvSettings {
    pub(super) version_table: Option<String>,
    pub(super) version_table_schema: Option<String>,
    pub(super) transaction_per_migration: bool,
    pub(super) notes: Vec<String>,
}

/// Reads `context.configure(...)` calls in env.py (all of them: offline and online).
pub(super) fn env_settings(script_dir: &Path) -> Result<EnvSettings, ImportError> {
    let path = script_dir.join("env.py");
    let mut settings = EnvSettings::default();
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(settings);
    };
    let module = Module::parse(&text);
    if let Some(error) = module.syntax_error() {
        return Err(ImportError::Python {
            file: path.display().to_string(),
            line: error.line,
            message: error.message.clone(),
        });
    }
    let scope = Scope::of_module(&module);
    let mut seen: HashMap<&str, Value> = HashMap::new();
    for (key, value) in module.keyword_arguments(&scope, "alembic.context.configure") {
        if !matches!(
            key,
            "version_table" | "version_table_schema" | "transaction_per_migration"
        ) {
            continue;
        }
        match value {
            Ok(value) => {
                if let Some(earlier) = seen.get(key) {
                    if *earlier != value {
                        settings.notes.push(format!(
                            "env.py passes two values of {key} to context.configure; the last is used"
                        ));
                    }
                }
                seen.insert(key, value);
            }
            Err(reason) => settings.notes.push(format!(
                "env.py's {key} is computed ({reason}); set it in rmig.toml by hand"
            )),
        }
    }
    for (key, value) in seen {
        match (key, value) {
            ("version_table", Value::Str(name)) => settings.version_table = Some(name),
            ("version_table_schema", Value::Str(name)) => {
                settings.version_table_schema = Some(name)
            }
            ("transaction_per_migration", Value::Bool(flag)) => {
                settings.transaction_per_migration = flag
            }
            (_, Value::None) => {}
            (key, other) => settings.notes.push(format!(
                "env.py's {key}={} is not understood; set it in rmig.toml by hand",
                other.describe()
            )),
        }
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_values_interpolate_and_continue() {
        let sections = parse_ini(
            "[alembic]\nscript_location = %(here)s/migrations\nversion_locations =\n    a\n    b\nSQLAlchemy.URL: postgresql://u@h/d\npct = 100%%\n; comment\n",
        );
        let alembic = &sections["alembic"];
        let here = "/srv/app";
        let get =
            |key: &str| interpolate(&alembic[key], alembic, &HashMap::new(), here, 0).unwrap();
        assert_eq!(get("script_location"), "/srv/app/migrations");
        assert_eq!(get("version_locations"), "\na\nb");
        assert_eq!(get("sqlalchemy.url"), "postgresql://u@h/d");
        assert_eq!(get("pct"), "100%");
        assert_eq!(
            split_locations("\na\nb", Some("newline")).unwrap(),
            ["a", "b"]
        );
        assert_eq!(split_locations("a, b c", None).unwrap(), ["a", "b", "c"]);
        assert_eq!(split_locations("a:b", Some("os")).unwrap(), ["a", "b"]);
    }

    #[test]
    fn env_py_settings_are_read_from_configure_calls() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("env.py"),
            "from alembic import context\nVT = 'my_versions'\n\ndef run_migrations_online():\n    with connectable.connect() as connection:\n        context.configure(connection=connection, version_table=VT, transaction_per_migration=True)\n        with context.begin_transaction():\n            context.run_migrations()\n",
        )
        .unwrap();
        let settings = env_settings(dir.path()).unwrap();
        assert_eq!(settings.version_table.as_deref(), Some("my_versions"));
        assert!(settings.transaction_per_migration);
        assert!(settings.notes.is_empty(), "{:?}", settings.notes);
    }
}
