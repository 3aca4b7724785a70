//! Binds a call's arguments to a Python signature (positional names, keyword names, `*args`),
//! as Python would, so that `op.create_index("ix", "t", ["c"])` and
//! `op.create_index(index_name="ix", table_name="t", columns=["c"])` read the same.

use super::emit::Toml;
use super::python::{Call, Value};

/// Keyword prefixes of dialects rmig does not run on: such options do nothing on PostgreSQL
/// or SQLite under Alembic either, so they are dropped.
const OTHER_DIALECTS: [&str; 4] = ["mysql_", "mariadb_", "mssql_", "oracle_"];

/// A function's parameters.
pub(super) struct Signature {
    /// How the function is spelled in messages: `op.create_index`, `sa.Column`.
    pub(super) name: &'static str,
    pub(super) positional: &'static [&'static str],
    pub(super) keyword: &'static [&'static str],
    /// Takes `*args` after the positional parameters.
    pub(super) varargs: bool,
}

/// A call's arguments by parameter name.
pub(super) struct Bound {
    name: &'static str,
    named: Vec<(&'static str, Value)>,
    /// The `*args`.
    pub(super) rest: Vec<Value>,
    /// Keywords of other dialects, dropped.
    pub(super) ignored: Vec<String>,
}

impl Signature {
    pub(super) fn bind(&self, call: &Call) -> Result<Bound, String> {
        let mut bound = Bound {
            name: self.name,
            named: Vec::new(),
            rest: Vec::new(),
            ignored: Vec::new(),
        };
        for (index, value) in call.args.iter().enumerate() {
            match self.positional.get(index) {
                Some(param) => bound.named.push((param, value.clone())),
                None if self.varargs => bound.rest.push(value.clone()),
                None => {
                    return Err(format!(
                        "{} takes {} positional arguments, found {}",
                        self.name,
                        self.positional.len(),
                        call.args.len()
                    ))
                }
            }
        }
        for (key, value) in &call.kwargs {
            let param = self
                .positional
                .iter()
                .chain(self.keyword)
                .find(|p| **p == key.as_str());
            match param {
                Some(param) if bound.named.iter().any(|(p, _)| p == param) => {
                    return Err(format!("{} gets `{key}` twice", self.name))
                }
                Some(param) => bound.named.push((param, value.clone())),
                None if OTHER_DIALECTS.iter().any(|p| key.starts_with(p)) => {
                    bound.ignored.push(key.clone())
                }
                None => {
                    return Err(format!(
                        "{}'s `{key}` has no equivalent in rmig's operations",
                        self.name
                    ))
                }
            }
        }
        Ok(bound)
    }
}

impl Bound {
    /// The argument, `None` when not given.
    pub(super) fn get(&self, param: &str) -> Option<&Value> {
        self.named.iter().find(|(p, _)| *p == param).map(|(_, v)| v)
    }

    /// The argument, treating Python's `None` as not given.
    pub(super) fn given(&self, param: &str) -> Option<&Value> {
        self.get(param).filter(|v| **v != Value::None)
    }

    fn wrong(&self, param: &str, expected: &str, found: &Value) -> String {
        format!(
            "{}'s `{param}` must be {expected}, found {}",
            self.name,
            found.describe()
        )
    }

    pub(super) fn opt_str(&self, param: &str) -> Result<Option<String>, String> {
        match self.given(param) {
            None => Ok(None),
            Some(Value::Str(text) | Value::Final(text)) => Ok(Some(text.clone())),
            Some(other) => Err(self.wrong(param, "a string literal", other)),
        }
    }

    /// A constraint's or index's name as Alembic reads it: `op.f("x")` is final (but cut to
    /// the database's length as SQLAlchemy cuts a `conv` name), a plain string may still go
    /// through the naming convention; `naming::resolve_names` settles both.
    pub(super) fn opt_name(&self, param: &str) -> Result<Option<Toml>, String> {
        match self.given(param) {
            None => Ok(None),
            Some(Value::Final(name)) => Ok(Some(Toml::Final(name.clone()))),
            Some(Value::Str(name)) => Ok(Some(Toml::Name(name.clone()))),
            Some(other) => Err(self.wrong(param, "a string literal", other)),
        }
    }

    pub(super) fn req_str(&self, param: &str) -> Result<String, String> {
        self.opt_str(param)?
            .ok_or_else(|| format!("{} needs `{param}`", self.name))
    }

    pub(super) fn opt_bool(&self, param: &str) -> Result<Option<bool>, String> {
        match self.given(param) {
            None => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(*flag)),
            Some(other) => Err(self.wrong(param, "True or False", other)),
        }
    }

    /// A list (or tuple) of string literals.
    pub(super) fn str_list(&self, param: &str) -> Result<Vec<String>, String> {
        match self.given(param) {
            None => Err(format!("{} needs `{param}`", self.name)),
            Some(value) => {
                strings(value).ok_or_else(|| self.wrong(param, "a list of names", value))
            }
        }
    }

    /// Fails when `param` is given with anything but `None` or `False`: an option rmig's
    /// operation has no way to express.
    pub(super) fn refuse(&self, param: &str) -> Result<(), String> {
        match self.given(param) {
            None | Some(Value::Bool(false)) => Ok(()),
            Some(_) => Err(format!(
                "{}'s `{param}` has no equivalent in rmig's operations",
                self.name
            )),
        }
    }
}

/// A list or tuple of string literals.
pub(super) fn strings(value: &Value) -> Option<Vec<String>> {
    match value {
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
