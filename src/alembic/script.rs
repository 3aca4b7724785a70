//! One Alembic revision script: its identifiers (`revision`, `down_revision`, `branch_labels`,
//! `depends_on`, literals as Alembic's own tooling writes them), its docstring's message and
//! create date, and the translated bodies of `upgrade()` and `downgrade()`.
//!
//! One unreadable script costs placeholders, not the import: a script that does not parse
//! still imports when its `revision` and `down_revision` can be read from what the parser
//! recovered, and branch labels or dependencies that are not literals are left out behind a
//! placeholder. Only a script whose place in the graph is unknown is an error.

use std::path::Path;

use super::emit::Header;
use super::python::{short_name, Module, Scope, SyntaxError, Value};
use super::statements::{translate, Body, Item, Placeholder};
use super::ImportError;

/// A script read and translated.
#[derive(Debug)]
pub(super) struct Script {
    pub(super) header: Header,
    pub(super) upgrade: Body,
    pub(super) downgrade: Body,
}

/// Graph metadata of the header that could not be read: where, and why.
struct Unread {
    first_line: usize,
    last_line: usize,
    reason: String,
}

pub(super) fn read(path: &Path, display: &str) -> Result<Script, ImportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let module = Module::parse(&text);
    let mut scope = Scope::of_module(&module);
    // Without its id and parents the revision has no place in the graph. When the script does
    // not parse, the syntax error is what the user must fix first, so it is what is reported.
    let header_error = |message: String| match module.syntax_error() {
        Some(SyntaxError { line, message }) => ImportError::Python {
            file: display.to_string(),
            line: *line,
            message: message.clone(),
        },
        None => ImportError::Header {
            file: display.to_string(),
            message,
        },
    };
    let ids = |key: &str| -> Option<Result<Vec<String>, Unread>> {
        let expr = scope.module_value(key)?;
        let unread = |reason: String| Unread {
            first_line: module.line(expr),
            last_line: module.last_line(expr),
            reason: format!("`{key}`{reason}"),
        };
        Some(match scope.eval(&module, expr) {
            Ok(value) => identifiers(&value).ok_or_else(|| {
                unread(match imported_name(&value) {
                    Some(name) => format!(
                        " is {}: `{}` is defined in another module, which rmig does not read",
                        value.describe(),
                        short_name(name)
                    ),
                    None => format!(
                        " is {}, not None, a string or a tuple of strings",
                        value.describe()
                    ),
                })
            }),
            Err(reason) => Err(unread(format!(": {reason}"))),
        })
    };
    let required = |key: &str| -> Result<Vec<String>, ImportError> {
        match ids(key) {
            Some(Ok(ids)) => Ok(ids),
            Some(Err(unread)) => Err(header_error(unread.reason)),
            None => Err(header_error(format!(
                "no `{key}` is set; Alembic needs it too"
            ))),
        }
    };
    let revision = match required("revision")?.as_slice() {
        [one] => one.clone(),
        _ => return Err(header_error("`revision` must be one string".into())),
    };
    let down_revisions = required("down_revision")?;
    // Labels and dependencies that cannot be read are left out rather than failing the
    // import, and the whole revision is not made a placeholder either: its operations were
    // read and stay. What keeps the gap from being run past is a placeholder at the head of
    // both functions, which rmig refuses before anything runs, until a person writes the
    // values in: without a dependency, rmig could run the revision before what it needs, or
    // restore the wrong version rows when it is downgraded.
    let mut unread = Vec::new();
    let mut optional = |key: &str| match ids(key) {
        Some(Ok(ids)) => ids,
        Some(Err(problem)) => {
            unread.push(problem);
            Vec::new()
        }
        None => Vec::new(),
    };
    let branch_labels = optional("branch_labels");
    let depends_on = optional("depends_on");

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

    let mut body = |name: &str| -> Body {
        let mut body = match (module.syntax_error(), module.function(name)) {
            // Alembic cannot import the script at all; what the parser recovered of the
            // function is not what was written, so none of it is translated.
            (Some(error), def) => {
                let (first_line, last_line) = match def {
                    Some(def) => (module.line(def), module.last_line(def)),
                    None => (error.line, error.line),
                };
                whole_body_placeholder(Placeholder {
                    first_line,
                    last_line,
                    reasons: vec![format!(
                        "line {}: the script does not parse ({}), so Alembic cannot load it either; nothing of `{name}()` was translated",
                        error.line, error.message
                    )],
                    code: module.lines(first_line, last_line).to_string(),
                })
            }
            (None, Some(def)) => {
                scope.clear_locals();
                translate(&module, &mut scope, &def.body)
            }
            // Alembic fails when it runs a function the script lacks: a placeholder keeps
            // that, where an empty list would quietly do nothing.
            (None, None) => whole_body_placeholder(Placeholder {
                first_line: 1,
                last_line: 1,
                reasons: vec![format!(
                    "the script has no `{name}()` function, so Alembic fails here; write its operations, or `{name} = []` if it has nothing to do"
                )],
                code: format!("def {name}(): ...  # missing from the script"),
            }),
        };
        let header_placeholders = unread.iter().map(|problem| {
            Item::Placeholder(Placeholder {
                first_line: problem.first_line,
                last_line: problem.last_line,
                reasons: vec![format!(
                    "line {}: {}; the revision was imported without it: write its value into this file's header, then delete this operation",
                    problem.first_line, problem.reason
                )],
                code: module
                    .lines(problem.first_line, problem.last_line)
                    .to_string(),
            })
        });
        body.items.splice(0..0, header_placeholders);
        body
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

/// A body that is one placeholder.
fn whole_body_placeholder(placeholder: Placeholder) -> Body {
    Body {
        items: vec![Item::Placeholder(placeholder)],
        ..Body::default()
    }
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

/// The first name taken from an imported module in `value` or its items: `cli.EXPAND_BRANCH`.
fn imported_name(value: &Value) -> Option<&str> {
    match value {
        Value::Ref(name) => Some(name),
        Value::Seq(items) => items.iter().find_map(imported_name),
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
