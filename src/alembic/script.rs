//! One Alembic revision script: its identifiers (`revision`, `down_revision`, `branch_labels`,
//! `depends_on`, which must be literals, as Alembic's own tooling writes them), its docstring's
//! message and create date, and the translated bodies of `upgrade()` and `downgrade()`.

use std::path::Path;

use rustpython_parser::ast::{Stmt, StmtFunctionDef};

use super::emit::Header;
use super::python::{Module, Scope, Value};
use super::statements::{translate, Body, Item, Placeholder};
use super::ImportError;

/// A script read and translated.
#[derive(Debug)]
pub(super) struct Script {
    pub(super) header: Header,
    pub(super) upgrade: Body,
    pub(super) downgrade: Body,
}

pub(super) fn read(path: &Path, display: &str) -> Result<Script, ImportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let module = Module::parse(path, &text).map_err(|(line, message)| ImportError::Python {
        file: display.to_string(),
        line,
        message,
    })?;
    let mut scope = Scope::of_module(&module);
    let header_error = |message: String| ImportError::Header {
        file: display.to_string(),
        message,
    };
    let ids = |key: &str, required: bool| -> Result<Vec<String>, ImportError> {
        let Some(expr) = scope.module_value(key) else {
            return if required {
                Err(header_error(format!(
                    "no `{key}` is set; Alembic needs it too"
                )))
            } else {
                Ok(Vec::new())
            };
        };
        let value = scope
            .eval(&module, expr)
            .map_err(|reason| header_error(format!("`{key}`: {reason}")))?;
        identifiers(&value).ok_or_else(|| {
            header_error(format!(
                "`{key}` is {}, not None, a string or a tuple of strings",
                value.describe()
            ))
        })
    };
    let revision = match ids("revision", true)?.as_slice() {
        [one] => one.clone(),
        _ => return Err(header_error("`revision` must be one string".into())),
    };
    let down_revisions = ids("down_revision", true)?;
    let branch_labels = ids("branch_labels", false)?;
    let depends_on = ids("depends_on", false)?;

    let docstring = module.docstring().unwrap_or("");
    // Alembic's `Script.doc`: the stripped docstring's first paragraph, so a docstring that
    // opens with a newline (`"""\nAdd users.\n\nRevision ID: ..."""`) keeps its message.
    let message = docstring
        .trim()
        .split("\n\n")
        .next()
        .map(str::trim)
        .filter(|paragraph| !paragraph.is_empty() && !paragraph.starts_with("Revision ID:"))
        .map(str::to_string);
    let create_date = docstring
        .lines()
        .find_map(|line| line.trim().strip_prefix("Create Date:"))
        .and_then(|date| rfc3339(date.trim()));

    let function = |name: &str| -> Option<&StmtFunctionDef> {
        module.body.iter().rev().find_map(|stmt| match stmt {
            Stmt::FunctionDef(def) if def.name.as_str() == name => Some(def),
            _ => None,
        })
    };
    let mut body = |name: &str| -> Body {
        scope.clear_locals();
        match function(name) {
            Some(def) => translate(&module, &mut scope, &def.body),
            // Alembic fails when it runs a function the script lacks: a placeholder keeps
            // that, where an empty list would quietly do nothing.
            None => Body {
                items: vec![Item::Placeholder(Placeholder {
                    first_line: 1,
                    last_line: 1,
                    reasons: vec![format!(
                        "the script has no `{name}()` function, so Alembic fails here; write its operations, or `{name} = []` if it has nothing to do"
                    )],
                    code: format!("def {name}(): ...  # missing from the script"),
                })],
                ..Body::default()
            },
        }
    };
    let upgrade = body("upgrade");
    let downgrade = body("downgrade");
    Ok(Script {
        header: Header {
            revision,
            down_revisions,
            branch_labels,
            depends_on,
            message,
            create_date,
            transactional: !(upgrade.autocommit || downgrade.autocommit),
        },
        upgrade,
        downgrade,
    })
}

/// `None`, `"a"`, `("a", "b")` or `["a"]` as a list of ids; an empty string is none.
fn identifiers(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::None => Some(Vec::new()),
        Value::Str(text) if text.is_empty() => Some(Vec::new()),
        Value::Str(text) => Some(vec![text.clone()]),
        Value::Seq(items) => items
            .iter()
            .map(|item| match item {
                Value::Str(text) => Some(text.clone()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// Alembic's `Create Date: 2024-05-01 10:23:45.123456` (with `+02:00` when its `timezone`
/// option is set) as RFC 3339. Without an offset Alembic wrote the author's local time, which
/// is kept as it is rather than given an offset nobody recorded. Text that is no date is left
/// out, since rmig refuses a `create_date` it cannot read.
fn rfc3339(date: &str) -> Option<String> {
    use chrono::{DateTime, NaiveDateTime};
    if let Ok(zoned) = DateTime::parse_from_str(date, "%Y-%m-%d %H:%M:%S%.f%:z") {
        return Some(zoned.to_rfc3339());
    }
    match NaiveDateTime::parse_from_str(date, "%Y-%m-%d %H:%M:%S%.f") {
        Ok(local) => Some(local.format("%Y-%m-%dT%H:%M:%S%.f").to_string()),
        Err(_) => crate::revision::is_create_date(date).then(|| date.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_dates_become_rfc3339() {
        assert_eq!(
            rfc3339("2024-05-01 10:23:45.123456").as_deref(),
            Some("2024-05-01T10:23:45.123456")
        );
        assert_eq!(
            rfc3339("2024-05-01 10:23:45.123456+02:00").as_deref(),
            Some("2024-05-01T10:23:45.123456+02:00")
        );
        assert_eq!(
            rfc3339("2024-05-01T10:23:45Z").as_deref(),
            Some("2024-05-01T10:23:45Z")
        );
        assert_eq!(rfc3339("yesterday"), None);
    }

    #[test]
    fn identifiers_accept_alembics_spellings() {
        assert_eq!(identifiers(&Value::None), Some(vec![]));
        assert_eq!(identifiers(&Value::Str("a".into())), Some(vec!["a".into()]));
        assert_eq!(
            identifiers(&Value::Seq(vec![
                Value::Str("a".into()),
                Value::Str("b".into())
            ])),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(identifiers(&Value::Int(1)), None);
    }
}
