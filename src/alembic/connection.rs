//! SQL a script runs through the migration's connection: `conn = op.get_bind()` then
//! `conn.execute(sa.text("..."))`, `conn.exec_driver_sql("...")`, and `sa.text(...)` whose
//! `.bindparams(...)` (or parameters dict) are literals, written into the SQL as SQLAlchemy's
//! literal rendering would. Reading results back into Python is data access, never translated.

use super::emit::{OpTable, Toml};
use super::operations::Translation;
use super::python::{Call, Callee, Value};
use super::sqla::{sql_text, sqla_name};
use crate::dialect::string_literal;

/// `conn.<method>(...)` on the migration's connection, as an `execute` operation.
pub(super) fn connection_call(method: &str, call: &Call) -> Result<Translation, String> {
    let (statement, parameters) = match (method, call.args.as_slice()) {
        ("execute" | "exec_driver_sql", [statement]) => (statement, None),
        ("execute", [statement, parameters]) => (statement, Some(parameters)),
        ("execute" | "exec_driver_sql", _) => {
            return Err(format!(
                "op.get_bind().{method}(...) is given arguments rmig cannot read"
            ))
        }
        (other, _) => {
            return Err(format!(
                "op.get_bind().{other}(...) runs Python rmig does not read"
            ))
        }
    };
    if !call.kwargs.is_empty() {
        return Err(format!(
            "op.get_bind().{method}(...) is given keyword arguments rmig cannot read"
        ));
    }
    let sql = match (method, parameters) {
        // The driver's own parameter style (`%(name)s`) is not SQLAlchemy's.
        ("exec_driver_sql", _) => plain_sql(statement)?,
        (_, None) => sql_of(statement)?,
        (_, Some(Value::Dict(pairs))) => bind_parameters(&plain_sql(statement)?, pairs)?,
        (_, Some(other)) => {
            return Err(format!(
                "op.get_bind().execute(...)'s parameters {} are not a literal dict",
                other.describe()
            ))
        }
    };
    Ok(Translation {
        ops: vec![OpTable::new("execute").with("sqltext", Toml::Str(sql))],
        notes: Vec::new(),
    })
}

/// The SQL of a statement: text, `sa.text(...)`, or `sa.text(...).bindparams(...)` with the
/// values written in.
pub(super) fn sql_of(statement: &Value) -> Result<String, String> {
    let Value::Call(call) = statement else {
        return plain_sql(statement);
    };
    let text = match &call.callee {
        Callee::Method(text, method)
            if method == "bindparams" && sqla_name(text) == Some("text") =>
        {
            text
        }
        _ => return plain_sql(statement),
    };
    if !call.args.is_empty() {
        return Err(
            "text(...).bindparams(...) is given bindparam() objects rmig cannot read".into(),
        );
    }
    let sql = plain_sql(text)?;
    // SQLAlchemy refuses a value for a parameter the text does not have.
    let names = parameter_names(&sql);
    if let Some((name, _)) = call.kwargs.iter().find(|(name, _)| !names.contains(name)) {
        return Err(format!(
            "text(...).bindparams(...) gives `{name}`, which the SQL has no parameter for"
        ));
    }
    let pairs: Vec<(Value, Value)> = call
        .kwargs
        .iter()
        .map(|(name, value)| (Value::Str(name.clone()), value.clone()))
        .collect();
    bind_parameters(&sql, &pairs)
}

/// Text or `sa.text(...)` without parameters.
fn plain_sql(statement: &Value) -> Result<String, String> {
    sql_text(statement).map_err(|_| {
        format!(
            "{} runs a SQLAlchemy expression built in Python, not SQL text",
            statement.describe()
        )
    })
}

/// `sql` with each `:name` parameter replaced by its value as a SQL literal.
fn bind_parameters(sql: &str, values: &[(Value, Value)]) -> Result<String, String> {
    let mut out = String::with_capacity(sql.len());
    for piece in scan(sql) {
        match piece {
            Piece::Text(text) => out.push_str(&text),
            Piece::Parameter(name) => {
                let value = values
                    .iter()
                    .find(|(key, _)| *key == Value::Str(name.clone()))
                    .map(|(_, value)| value)
                    .ok_or_else(|| format!("the SQL's parameter `{name}` is not given"))?;
                out.push_str(&sql_literal(&name, value)?);
            }
        }
    }
    Ok(out)
}

/// The names of the parameters in `sql`.
fn parameter_names(sql: &str) -> Vec<String> {
    scan(sql)
        .into_iter()
        .filter_map(|piece| match piece {
            Piece::Parameter(name) => Some(name),
            Piece::Text(_) => None,
        })
        .collect()
}

enum Piece {
    Text(String),
    Parameter(String),
}

/// Splits SQL into text and `:name` parameters as SQLAlchemy's `text()` finds them: a `:`
/// not after a word character, `:` or a backslash, then a word with no `:` after it (so
/// `::text` casts are text); a backslash before `:` makes it a plain colon.
fn scan(sql: &str) -> Vec<Piece> {
    let chars: Vec<char> = sql.chars().collect();
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        if c == '\\' && chars.get(at + 1) == Some(&':') {
            text.push(':');
            at += 2;
            continue;
        }
        let starts = c == ':'
            && at.checked_sub(1).is_none_or(|before| {
                !(word(chars[before]) || chars[before] == ':' || chars[before] == '\\')
            })
            && chars.get(at + 1).is_some_and(|next| word(*next));
        let end = (at + 1..chars.len())
            .find(|i| !word(chars[*i]))
            .unwrap_or(chars.len());
        if !starts || chars.get(end) == Some(&':') {
            text.push(c);
            at += 1;
            continue;
        }
        pieces.push(Piece::Text(std::mem::take(&mut text)));
        pieces.push(Piece::Parameter(chars[at + 1..end].iter().collect()));
        at = end;
    }
    pieces.push(Piece::Text(text));
    pieces
}

/// A parameter's value as the SQL literal both PostgreSQL and SQLite read the same way.
fn sql_literal(name: &str, value: &Value) -> Result<String, String> {
    match value {
        Value::Str(text) => Ok(string_literal(text)),
        Value::Int(number) => Ok(number.to_string()),
        Value::None => Ok("NULL".to_string()),
        other => Err(format!(
            "bindparams value {} for `{name}` is not a string, integer or None rmig can write into the SQL",
            other.describe()
        )),
    }
}
