//! INI files as Python's `configparser.ConfigParser` reads them for Alembic: sections,
//! `key = value` or `key: value`, keys case-insensitive, whole-line `#` and `;` comments,
//! values continued on more-indented lines, `[DEFAULT]` seen from every section, and
//! BasicInterpolation (`%(name)s` from the same section or the defaults, `%%` for a percent
//! sign) applied when a value is read. Alembic passes `here`, the file's folder, as a default.
//!
//! Written here rather than taken from a crate: neither `configparser` nor `rust-ini`
//! interpolates, and both take files Python refuses (a key or section given twice, a line
//! with no `=`, text before the first section) where Alembic would fail, so a value could
//! silently differ from the one Alembic uses. Pure: the caller reads the file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// configparser's `MAX_INTERPOLATION_DEPTH`.
const MAX_DEPTH: usize = 10;

/// Why an ini file cannot be read as Alembic reads it; each names the file and the line or
/// the key at fault.
#[derive(Debug, thiserror::Error)]
pub enum IniError {
    #[error("{}, line {line}: '{}' is neither a [section], a `key = value` line nor a comment", path.display(), text.escape_debug())]
    Syntax {
        path: PathBuf,
        line: usize,
        text: String,
    },
    #[error("{}, line {line}: `{}` comes before any [section]; put it under [alembic]", path.display(), text.escape_debug())]
    NoSection {
        path: PathBuf,
        line: usize,
        text: String,
    },
    #[error("{}, line {line}: section [{}] is given twice; merge the two", path.display(), section.escape_debug())]
    DuplicateSection {
        path: PathBuf,
        line: usize,
        section: String,
    },
    #[error("{}, line {line}: `{}` is set twice in [{}]; keep one", path.display(), key.escape_debug(), section.escape_debug())]
    DuplicateKey {
        path: PathBuf,
        line: usize,
        section: String,
        key: String,
    },
    #[error("{}: [{}] `{}` refers to '%({})s', which is set neither in [{}] nor in [DEFAULT]", path.display(), section.escape_debug(), key.escape_debug(), missing.escape_debug(), section.escape_debug())]
    MissingKey {
        path: PathBuf,
        section: String,
        key: String,
        missing: String,
    },
    #[error("{}: [{}] `{}` goes through more than {MAX_DEPTH} levels of %(name)s (a value that refers to itself?)", path.display(), section.escape_debug(), key.escape_debug())]
    TooDeep {
        path: PathBuf,
        section: String,
        key: String,
    },
    #[error("{}: [{}] `{}`: '{}' is not '%%' or '%(name)s'; write a percent sign as '%%'", path.display(), section.escape_debug(), key.escape_debug(), at.escape_debug())]
    BadPercent {
        path: PathBuf,
        section: String,
        key: String,
        /// The value from the offending `%` on.
        at: String,
    },
}

/// The name of the section every other one falls back to.
const DEFAULT_SECTION: &str = "DEFAULT";

/// A parsed ini file; values are kept raw and interpolated by [`IniFile::get`].
#[derive(Debug, Clone)]
pub struct IniFile {
    path: PathBuf,
    defaults: HashMap<String, String>,
    /// Section names as written (case-sensitive, as in configparser).
    sections: HashMap<String, HashMap<String, String>>,
}

/// The value being read: its key and its lines so far.
struct Open {
    key: String,
    lines: Vec<String>,
    /// The indentation of the `key = value` line; deeper lines continue the value.
    indent: usize,
}

impl IniFile {
    /// Parses `text`, the content of `path`; `defaults` are set before the file's `[DEFAULT]`
    /// is read (which may override them), as `ConfigParser(defaults)` does.
    pub fn parse(path: &Path, text: &str, defaults: &[(&str, &str)]) -> Result<IniFile, IniError> {
        let mut file = IniFile {
            path: path.to_path_buf(),
            defaults: defaults
                .iter()
                .map(|(k, v)| (k.to_lowercase(), v.to_string()))
                .collect(),
            sections: HashMap::new(),
        };
        // `None` before the first header; `Some(DEFAULT_SECTION)` for the defaults.
        let mut section: Option<String> = None;
        let mut open: Option<Open> = None;
        let mut seen_sections: Vec<String> = Vec::new();
        let mut seen_keys: Vec<(String, String)> = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            let stripped = line.trim();
            if stripped.starts_with('#') || stripped.starts_with(';') {
                continue;
            }
            if stripped.is_empty() {
                // Kept inside a value when more-indented lines follow (trailing ones are
                // dropped when the value is closed).
                if let Some(open) = &mut open {
                    open.lines.push(String::new());
                }
                continue;
            }
            let indent = line.len() - line.trim_start().len();
            if let Some(value) = open.as_mut().filter(|open| indent > open.indent) {
                value.lines.push(stripped.to_string());
                continue;
            }
            file.close(section.as_deref(), open.take());
            if let Some(name) = section_header(stripped) {
                if name != DEFAULT_SECTION {
                    if seen_sections.iter().any(|seen| seen == name) {
                        return Err(IniError::DuplicateSection {
                            path: file.path,
                            line: number,
                            section: name.to_string(),
                        });
                    }
                    seen_sections.push(name.to_string());
                    file.sections.entry(name.to_string()).or_default();
                }
                section = Some(name.to_string());
                continue;
            }
            let Some(current) = &section else {
                return Err(IniError::NoSection {
                    path: file.path,
                    line: number,
                    text: stripped.to_string(),
                });
            };
            let Some(at) = stripped.find(['=', ':']).filter(|&at| at > 0) else {
                return Err(IniError::Syntax {
                    path: file.path,
                    line: number,
                    text: stripped.to_string(),
                });
            };
            let key = stripped[..at].trim_end().to_lowercase();
            let seen = (current.clone(), key.clone());
            if seen_keys.contains(&seen) {
                return Err(IniError::DuplicateKey {
                    path: file.path,
                    line: number,
                    section: current.clone(),
                    key,
                });
            }
            seen_keys.push(seen);
            open = Some(Open {
                key,
                lines: vec![stripped[at + 1..].trim().to_string()],
                indent,
            });
        }
        file.close(section.as_deref(), open);
        Ok(file)
    }

    /// Stores a finished value: its lines joined with newlines, trailing blank ones dropped.
    fn close(&mut self, section: Option<&str>, open: Option<Open>) {
        let (Some(section), Some(open)) = (section, open) else {
            return;
        };
        let value = open.lines.join("\n").trim_end().to_string();
        let entries = if section == DEFAULT_SECTION {
            &mut self.defaults
        } else {
            self.sections.entry(section.to_string()).or_default()
        };
        entries.insert(open.key, value);
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn has_section(&self, section: &str) -> bool {
        self.sections.contains_key(section)
    }

    /// Whether `key` is set in `section` or in the defaults (configparser's `has_option`).
    #[cfg(test)]
    fn has_key(&self, section: &str, key: &str) -> bool {
        self.raw(section, key).is_some()
    }

    fn raw(&self, section: &str, key: &str) -> Option<&str> {
        let key = key.to_lowercase();
        self.sections
            .get(section)
            .and_then(|entries| entries.get(&key))
            .or_else(|| self.defaults.get(&key))
            .map(String::as_str)
    }

    /// The value of `key` in `section` (or the defaults), interpolated; `None` when unset.
    pub fn get(&self, section: &str, key: &str) -> Result<Option<String>, IniError> {
        let Some(raw) = self.raw(section, key) else {
            return Ok(None);
        };
        let mut out = String::with_capacity(raw.len());
        self.interpolate(section, key, raw, 1, &mut out)?;
        Ok(Some(out))
    }

    /// BasicInterpolation: `%%` is `%`, `%(name)s` the (interpolated) value of `name`. Errors
    /// name the key that was asked for, as configparser's do.
    fn interpolate(
        &self,
        section: &str,
        key: &str,
        mut rest: &str,
        depth: usize,
        out: &mut String,
    ) -> Result<(), IniError> {
        if depth > MAX_DEPTH {
            return Err(IniError::TooDeep {
                path: self.path.clone(),
                section: section.to_string(),
                key: key.to_string(),
            });
        }
        while let Some(at) = rest.find('%') {
            out.push_str(&rest[..at]);
            rest = &rest[at..];
            if let Some(after) = rest.strip_prefix("%%") {
                out.push('%');
                rest = after;
                continue;
            }
            let reference = rest
                .strip_prefix("%(")
                .and_then(|after| after.find(')').map(|end| (after, end)))
                .filter(|&(after, end)| end > 0 && after[end + 1..].starts_with('s'));
            let Some((after, end)) = reference else {
                return Err(IniError::BadPercent {
                    path: self.path.clone(),
                    section: section.to_string(),
                    key: key.to_string(),
                    at: rest.to_string(),
                });
            };
            let name = after[..end].to_lowercase();
            let value = self
                .raw(section, &name)
                .ok_or_else(|| IniError::MissingKey {
                    path: self.path.clone(),
                    section: section.to_string(),
                    key: key.to_string(),
                    missing: name.clone(),
                })?;
            if value.contains('%') {
                self.interpolate(section, key, value, depth + 1, out)?;
            } else {
                out.push_str(value);
            }
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(())
    }
}

/// `[name]` as configparser's `\[(?P<header>.+)\]` matches it: the name runs to the last `]`,
/// and anything after that is ignored.
fn section_header(line: &str) -> Option<&str> {
    let inner = line.strip_prefix('[')?;
    let end = inner.rfind(']')?;
    (end > 0).then(|| &inner[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<IniFile, IniError> {
        IniFile::parse(Path::new("alembic.ini"), text, &[("here", "/srv/app")])
    }

    fn get(text: &str, key: &str) -> Option<String> {
        parse(text).unwrap().get("alembic", key).unwrap()
    }

    fn error(text: &str, key: &str) -> String {
        match parse(text) {
            Ok(file) => file.get("alembic", key).unwrap_err().to_string(),
            Err(error) => error.to_string(),
        }
    }

    // Each expectation below is what Python 3.11's configparser.ConfigParser({"here":
    // "/srv/app"}) gives for the same text, as Alembic reads it.

    #[test]
    fn keys_separators_and_case() {
        let text = "[alembic]\nScript_Location = %(here)s/migrations\nsqlalchemy.url: postgresql://u:p@h/d?x=y\nempty =\n";
        assert_eq!(
            get(text, "script_location").as_deref(),
            Some("/srv/app/migrations")
        );
        assert_eq!(
            get(text, "SQLAlchemy.URL").as_deref(),
            Some("postgresql://u:p@h/d?x=y")
        );
        assert_eq!(get(text, "empty").as_deref(), Some(""));
        assert_eq!(get(text, "missing"), None);
    }

    #[test]
    fn comments_are_whole_lines_only() {
        let text = "; before\n[alembic]\n# a comment\nscript_location = m # not a comment\nurl = a ; nor this\n";
        assert_eq!(
            get(text, "script_location").as_deref(),
            Some("m # not a comment")
        );
        assert_eq!(get(text, "url").as_deref(), Some("a ; nor this"));
    }

    #[test]
    fn continuation_lines_join_with_newlines() {
        let text = "[alembic]\nversion_locations =\n    %(here)s/a\n    # skipped\n\n    b\n\nscript_location = m\n";
        assert_eq!(
            get(text, "version_locations").as_deref(),
            Some("\n/srv/app/a\n\nb")
        );
        assert_eq!(get(text, "script_location").as_deref(), Some("m"));
        // A key line that is itself indented: only deeper lines continue it.
        let text = "[alembic]\n  script_location = m\nkey = v\n";
        assert_eq!(get(text, "script_location").as_deref(), Some("m"));
        assert_eq!(get(text, "key").as_deref(), Some("v"));
    }

    #[test]
    fn defaults_and_interpolation() {
        let text = "[DEFAULT]\nroot = %(here)s/db\n[alembic]\nscript_location = %(root)s/m\nname = x\nurl = sqlite:///%(name)s.db\npct = 100%%\nfile_template = %%(rev)s_%%(slug)s\n[other]\nname = y\n";
        assert_eq!(
            get(text, "script_location").as_deref(),
            Some("/srv/app/db/m")
        );
        assert_eq!(get(text, "url").as_deref(), Some("sqlite:///x.db"));
        assert_eq!(get(text, "pct").as_deref(), Some("100%"));
        assert_eq!(
            get(text, "file_template").as_deref(),
            Some("%(rev)s_%(slug)s")
        );
        // The file's [DEFAULT] overrides what the caller passed.
        let text = "[DEFAULT]\nhere = /elsewhere\n[alembic]\nscript_location = %(here)s\n";
        assert_eq!(get(text, "script_location").as_deref(), Some("/elsewhere"));
        // A key of another section is not seen.
        let file = parse("[a]\nx = 1\n[alembic]\ny = %(x)s\n").unwrap();
        assert!(file.has_key("alembic", "y") && !file.has_key("alembic", "x"));
    }

    #[test]
    fn interpolation_errors_name_the_file_and_key() {
        let message = error("[alembic]\nurl = %(nope)s\n", "url");
        assert!(
            message.contains("alembic.ini")
                && message.contains("`url`")
                && message.contains("nope"),
            "{message}"
        );
        let message = error("[alembic]\na = %(b)s\nb = %(a)s\n", "a");
        assert!(
            message.contains("`a`") && message.contains("more than 10 levels"),
            "{message}"
        );
        let message = error("[alembic]\npct = 100%\n", "pct");
        assert!(message.contains("'%%'"), "{message}");
        let message = error("[alembic]\nx = %(name)d\n", "x");
        assert!(message.contains("%(name)d"), "{message}");
    }

    #[test]
    fn what_configparser_refuses_is_refused() {
        for (text, expected) in [
            (
                "[alembic]\na = 1\nA = 2\n",
                "line 3: `a` is set twice in [alembic]",
            ),
            (
                "[alembic]\na = 1\n[alembic]\nb = 2\n",
                "line 3: section [alembic] is given twice",
            ),
            (
                "[alembic]\na = 1\njustakey\n",
                "line 3: 'justakey' is neither",
            ),
            (
                "a = 1\n[alembic]\n",
                "line 1: `a = 1` comes before any [section]",
            ),
            ("[alembic]\n= 1\n", "line 2: '= 1' is neither"),
        ] {
            let message = parse(text).unwrap_err().to_string();
            assert!(message.contains(expected), "{text:?}: {message}");
        }
        // Two [DEFAULT] sections are allowed; section names are case-sensitive.
        let file =
            parse("[DEFAULT]\na = 1\n[DEFAULT]\nb = 2\n[Alembic]\nx = 1\n[alembic]\nx = 2\n")
                .unwrap();
        assert_eq!(file.get("Alembic", "x").unwrap().as_deref(), Some("1"));
        assert_eq!(file.get("alembic", "b").unwrap().as_deref(), Some("2"));
        // A header ends at its last `]`.
        let file = parse("[alembic] trailing\nx = 1\n").unwrap();
        assert!(file.has_section("alembic"));
    }
}
