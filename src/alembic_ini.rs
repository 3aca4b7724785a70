//! The `[alembic]` section of an `alembic.ini`, read as Alembic 1.20 reads it: where the
//! scripts are (`script_location`, `version_locations` split by `path_separator`,
//! `recursive_version_locations`), how new ones are named (`file_template`,
//! `truncate_slug_length`) and `sqlalchemy.url`. Used by `config` when rmig runs with an
//! alembic.ini and by `alembic` when importing one.
//!
//! Flask-Migrate writes an `[alembic]` section without `script_location` and sets it to the
//! ini file's folder when it runs; such a file, with `env.py` and `versions/` beside it, is
//! read the same way here.

use std::path::{Path, PathBuf};

use crate::ini::{IniError, IniFile};

const SECTION: &str = "alembic";

/// Why the `[alembic]` section cannot be used; each names the file and, where one is at
/// fault, the key.
#[derive(Debug, thiserror::Error)]
pub enum AlembicIniError {
    #[error(transparent)]
    Ini(#[from] IniError),
    #[error("{}: it has no [alembic] section", path.display())]
    NoSection { path: PathBuf },
    #[error("{}: no `script_location` is set; add `script_location = %(here)s/migrations`", path.display())]
    NoScriptLocation { path: PathBuf },
    #[error("{}: script_location '{location}' names a Python package; give the folder's path instead", path.display(), location = location.escape_debug())]
    PackageResource { path: PathBuf, location: String },
    #[error("{}: `{key}` is '{value}', not one of space, newline, os, ':' or ';'", path.display(), value = value.escape_debug())]
    Separator {
        path: PathBuf,
        key: &'static str,
        value: String,
    },
    #[error("{}: `truncate_slug_length` is '{value}', not a whole number above 0", path.display(), value = value.escape_debug())]
    SlugLength { path: PathBuf, value: String },
}

/// What rmig uses of the `[alembic]` section; relative paths are joined to the folder the
/// caller chose.
#[derive(Debug, Clone, PartialEq)]
pub struct AlembicIni {
    pub script_location: PathBuf,
    /// `version_locations`, in order; `None` when the key is unset or empty.
    pub version_locations: Option<Vec<PathBuf>>,
    /// Alembic takes exactly `true`, nothing else.
    pub recursive_version_locations: bool,
    /// With the ini file's `%%` already read as `%`: `%(rev)s_%(slug)s`.
    pub file_template: Option<String>,
    pub truncate_slug_length: Option<usize>,
    /// `sqlalchemy.url`, unless empty.
    pub url: Option<String>,
    pub version_table: Option<String>,
    pub version_table_schema: Option<String>,
}

impl AlembicIni {
    /// Reads `text`, the content of `path`; relative paths are taken from `relative_to`.
    pub fn parse(
        path: &Path,
        text: &str,
        relative_to: &Path,
    ) -> Result<AlembicIni, AlembicIniError> {
        let folder = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let here = std::path::absolute(folder).unwrap_or_else(|_| folder.to_path_buf());
        let here_text = here.to_string_lossy();
        let file = IniFile::parse(path, text, &[("here", &here_text)])?;
        if !file.has_section(SECTION) {
            return Err(AlembicIniError::NoSection {
                path: path.to_path_buf(),
            });
        }
        let get = |key: &str| file.get(SECTION, key);
        let script_location = match get("script_location")? {
            Some(location) if is_package_resource(&location) => {
                return Err(AlembicIniError::PackageResource {
                    path: path.to_path_buf(),
                    location,
                })
            }
            Some(location) => relative_to.join(location),
            None if is_flask_migrate_folder(folder) => folder.to_path_buf(),
            None => {
                return Err(AlembicIniError::NoScriptLocation {
                    path: path.to_path_buf(),
                })
            }
        };
        let version_locations = match get("version_locations")? {
            Some(list) if !list.is_empty() => {
                let separator = separator(&file)?;
                Some(
                    split_locations(&list, separator)
                        .into_iter()
                        .map(|location| relative_to.join(location))
                        .collect(),
                )
            }
            _ => None,
        };
        let truncate_slug_length = get("truncate_slug_length")?
            .map(|value| match value.trim().parse::<usize>() {
                Ok(length) if length > 0 => Ok(length),
                _ => Err(AlembicIniError::SlugLength {
                    path: path.to_path_buf(),
                    value,
                }),
            })
            .transpose()?;
        Ok(AlembicIni {
            script_location,
            version_locations,
            recursive_version_locations: get("recursive_version_locations")?.as_deref()
                == Some("true"),
            file_template: get("file_template")?,
            truncate_slug_length,
            url: get("sqlalchemy.url")?.filter(|url| !url.trim().is_empty()),
            version_table: get("version_table")?,
            version_table_schema: get("version_table_schema")?,
        })
    }
}

/// Flask-Migrate's `migrations/` folder: alembic.ini beside `env.py` and `versions/`.
fn is_flask_migrate_folder(folder: &Path) -> bool {
    folder.join("env.py").is_file() && folder.join("versions").is_dir()
}

/// `package:path` as Alembic's `coerce_resource_to_filename` reads it.
fn is_package_resource(location: &str) -> bool {
    !Path::new(location).is_absolute() && location.contains(':')
}

/// `path_separator`, else the older `version_path_separator`, as the text to split on;
/// `None` when neither is set.
fn separator(file: &IniFile) -> Result<Option<&'static str>, AlembicIniError> {
    for key in ["path_separator", "version_path_separator"] {
        let Some(value) = file.get(SECTION, key)? else {
            continue;
        };
        return match value.as_str() {
            "space" => Ok(Some(" ")),
            "newline" => Ok(Some("\n")),
            // Alembic's `os` is `os.pathsep`.
            "os" | ":" => Ok(Some(":")),
            ";" => Ok(Some(";")),
            _ => Err(AlembicIniError::Separator {
                path: file.path().to_path_buf(),
                key,
                value,
            }),
        };
    }
    Ok(None)
}

/// Splits `version_locations` as Alembic does: on the separator, or with none set on commas
/// and runs of spaces (its legacy rule).
fn split_locations(list: &str, separator: Option<&str>) -> Vec<String> {
    let parts: Vec<&str> = match separator {
        Some(separator) => list.split(separator).map(str::trim).collect(),
        None => list.split([',', ' ']).collect(),
    };
    parts
        .into_iter()
        .filter(|part| !part.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in(dir: &Path, text: &str) -> Result<AlembicIni, AlembicIniError> {
        let path = dir.join("alembic.ini");
        AlembicIni::parse(&path, text, Path::new("base"))
    }

    #[test]
    fn locations_split_by_their_separator() {
        let dir = tempfile::tempdir().unwrap();
        let here = std::path::absolute(dir.path()).unwrap();
        let ini = parse_in(
            dir.path(),
            "[alembic]\nscript_location = %(here)s/migrations\nversion_locations =\n    %(here)s/a\n    b\npath_separator = newline\nrecursive_version_locations = true\n",
        )
        .unwrap();
        assert_eq!(ini.script_location, here.join("migrations"));
        assert_eq!(
            ini.version_locations,
            Some(vec![here.join("a"), PathBuf::from("base/b")])
        );
        assert!(ini.recursive_version_locations);
        for (text, expected) in [
            ("version_locations = a, b  c", vec!["a", "b", "c"]),
            (
                "version_locations = a:b\npath_separator = os",
                vec!["a", "b"],
            ),
            (
                "version_locations = a b;c\nversion_path_separator = ;",
                vec!["a b", "c"],
            ),
            (
                "version_locations = a b\npath_separator = space",
                vec!["a", "b"],
            ),
        ] {
            let ini = parse_in(
                dir.path(),
                &format!("[alembic]\nscript_location = m\n{text}\n"),
            )
            .unwrap();
            let expected: Vec<PathBuf> =
                expected.iter().map(|p| Path::new("base").join(p)).collect();
            assert_eq!(ini.version_locations, Some(expected), "{text}");
        }
        let error = parse_in(
            dir.path(),
            "[alembic]\nscript_location = m\nversion_locations = a\npath_separator = comma\n",
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("`path_separator` is 'comma'"), "{error}");
    }

    #[test]
    fn only_true_is_true_and_templates_lose_their_escapes() {
        let dir = tempfile::tempdir().unwrap();
        let ini = parse_in(
            dir.path(),
            "[alembic]\nscript_location = m\nrecursive_version_locations = True\nfile_template = %%(year)d_%%(rev)s_%%(slug)s\ntruncate_slug_length = 20\nsqlalchemy.url =\n",
        )
        .unwrap();
        assert!(!ini.recursive_version_locations);
        assert_eq!(
            ini.file_template.as_deref(),
            Some("%(year)d_%(rev)s_%(slug)s")
        );
        assert_eq!(ini.truncate_slug_length, Some(20));
        assert_eq!(ini.url, None);
        let error = parse_in(
            dir.path(),
            "[alembic]\nscript_location = m\ntruncate_slug_length = x\n",
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("`truncate_slug_length` is 'x'"), "{error}");
    }

    #[test]
    fn flask_migrate_section_without_script_location() {
        let dir = tempfile::tempdir().unwrap();
        let text = "[alembic]\n# template used to generate migration files\n# file_template = %%(rev)s_%%(slug)s\n\n[loggers]\nkeys = root\n";
        let error = parse_in(dir.path(), text).unwrap_err().to_string();
        assert!(error.contains("no `script_location`"), "{error}");
        std::fs::write(dir.path().join("env.py"), "").unwrap();
        std::fs::create_dir(dir.path().join("versions")).unwrap();
        let ini = parse_in(dir.path(), text).unwrap();
        assert_eq!(ini.script_location, dir.path());
        assert_eq!(ini.version_locations, None);
        let error = parse_in(dir.path(), "[loggers]\nkeys = root\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("no [alembic] section"), "{error}");
    }
}
