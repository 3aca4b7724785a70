//! SQLAlchemy constructs as rmig's declarative forms: `sa.Column(...)` as a column table,
//! `sa.String(50)` as `varchar(50)`, `sa.ForeignKey("users.id")`, `sa.PrimaryKeyConstraint`,
//! `server_default=sa.text("now()")` and the rest, with SQLAlchemy's defaults (a column is
//! nullable unless it is a key; a string `server_default` is a quoted literal).
//!
//! Whatever has no exact equivalent is an error naming it, so that the whole operation becomes
//! a placeholder rather than an approximation.
//!
//! Column types (`sa.String(50)`, `postgresql.JSONB`, `sa.Enum`, SQLModel's and
//! `sqlalchemy_utils`' types) are the child module `types` (`sqla/types.rs`); this file reads
//! columns, constraints, indexes, defaults and SQL expressions.

pub(super) mod types;

use super::bind::{strings, Bound, Signature};
use super::emit::Toml;
use super::python::{Call, Value};

use types::{column_type, EnumTypes};

/// The SQLAlchemy name a value calls or refers to (`Integer`, `Column`, `JSONB`), when it is
/// one: the last part of a qualified name under `sqlalchemy.`.
pub(super) fn sqla_name(value: &Value) -> Option<&str> {
    let name = value.qualified_name()?;
    let rest = name.strip_prefix("sqlalchemy.")?;
    Some(rest.rsplit('.').next().unwrap_or(rest))
}

/// SQL text: a string literal or `sa.text("...")`, for conditions and `op.execute`.
pub(super) fn sql_text(value: &Value) -> Result<String, String> {
    match value {
        Value::Str(text) => Ok(text.clone()),
        Value::Call(call) if sqla_name(value) == Some("text") => match call.args.as_slice() {
            [Value::Str(text)] if call.kwargs.is_empty() => Ok(text.clone()),
            _ => Err("sa.text(...) takes one string literal".into()),
        },
        Value::Call(call) if sqla_name(value) == Some("literal_column") => {
            match call.args.as_slice() {
                [Value::Str(text)] if call.kwargs.is_empty() => Ok(text.clone()),
                _ => Err("sa.literal_column(...) takes one string literal".into()),
            }
        }
        other => Err(format!("{} is not SQL text", other.describe())),
    }
}

/// SQL functions SQLAlchemy renders without parentheses.
const ANSI_FUNCTIONS: [&str; 8] = [
    "current_date",
    "current_time",
    "current_timestamp",
    "current_user",
    "localtime",
    "localtimestamp",
    "session_user",
    "user",
];

/// A `server_default` as the SQL that follows DEFAULT: a string is a quoted literal, as
/// SQLAlchemy renders it; `sa.text(...)` is SQL as written; `sa.func.now()` is `now()`.
pub(super) fn server_default(value: &Value) -> Result<String, String> {
    if let Value::Str(text) = value {
        return Ok(format!("'{}'", text.replace('\'', "''")));
    }
    if let Some(name) = value.qualified_name() {
        let function = name
            .strip_prefix("sqlalchemy.func.")
            .or_else(|| name.strip_prefix("sqlalchemy.sql.func."))
            .or_else(|| name.strip_prefix("sqlalchemy.sql.expression.func."));
        if let (Some(function), Value::Call(call)) = (function, value) {
            if !call.args.is_empty() || !call.kwargs.is_empty() {
                return Err(format!(
                    "server_default {} passes arguments to a SQL function",
                    value.describe()
                ));
            }
            return Ok(
                if ANSI_FUNCTIONS.contains(&function.to_ascii_lowercase().as_str()) {
                    function.to_ascii_uppercase()
                } else {
                    format!("{function}()")
                },
            );
        }
        match (sqla_name(value), value) {
            (Some("true"), Value::Call(_)) => return Ok("true".into()),
            (Some("false"), Value::Call(_)) => return Ok("false".into()),
            _ => {}
        }
    }
    sql_text(value).map_err(|_| {
        format!(
            "server_default {} is neither a string nor SQL text",
            value.describe()
        )
    })
}

/// A referential action as rmig spells it.
fn action(value: &Value, what: &str) -> Result<Toml, String> {
    let Value::Str(text) = value else {
        return Err(format!("{what} {} is not a string", value.describe()));
    };
    let upper = text.trim().to_ascii_uppercase();
    match upper.as_str() {
        "CASCADE" | "SET NULL" | "SET DEFAULT" | "RESTRICT" | "NO ACTION" => Ok(Toml::Str(upper)),
        _ => Err(format!("{what} {text:?} is not a referential action")),
    }
}

/// `"table.column"` or `"schema.table.column"`.
fn split_column_spec(spec: &str) -> Result<(Option<String>, String, String), String> {
    let parts: Vec<&str> = spec.split('.').collect();
    match parts.as_slice() {
        [table, column] => Ok((None, table.to_string(), column.to_string())),
        [schema, table, column] => Ok((
            Some(schema.to_string()),
            table.to_string(),
            column.to_string(),
        )),
        _ => Err(format!(
            "foreign key target {spec:?} is not \"table.column\" or \"schema.table.column\""
        )),
    }
}

/// `sa.ForeignKey("users.id", ondelete="CASCADE")` on a column.
fn column_foreign_key(call: &Call) -> Result<Toml, String> {
    let args = Signature {
        name: "sa.ForeignKey",
        positional: &["column"],
        keyword: &[
            "name",
            "onupdate",
            "ondelete",
            "deferrable",
            "initially",
            "match",
            "use_alter",
            "link_to_name",
            "comment",
            "info",
        ],
        varargs: false,
    }
    .bind(call)?;
    for option in ["deferrable", "initially", "match", "link_to_name"] {
        args.refuse(option)?;
    }
    let spec = args
        .opt_str("column")
        .map_err(|_| "sa.ForeignKey's target must be a \"table.column\" string".to_string())?
        .ok_or("sa.ForeignKey needs its target column")?;
    let (schema, table, column) = split_column_spec(&spec)?;
    let mut fields = vec![
        ("table".to_string(), Toml::Str(table)),
        ("column".to_string(), Toml::Str(column)),
    ];
    if let Some(schema) = schema {
        fields.push(("schema".into(), Toml::Str(schema)));
    }
    if let Some(name) = args.opt_name("name")? {
        fields.push(("name".into(), name));
    }
    for key in ["ondelete", "onupdate"] {
        if let Some(value) = args.given(key) {
            fields.push((key.into(), action(value, key)?));
        }
    }
    Ok(Toml::Table(fields))
}

/// `sa.Identity(always=True, start=1, increment=1)`.
fn identity(call: &Call) -> Result<Toml, String> {
    let args = Signature {
        name: "sa.Identity",
        positional: &[],
        keyword: &[
            "always",
            "start",
            "increment",
            "on_null",
            "minvalue",
            "maxvalue",
            "nominvalue",
            "nomaxvalue",
            "cycle",
            "cache",
            "order",
        ],
        varargs: false,
    }
    .bind(call)?;
    for option in [
        "on_null",
        "minvalue",
        "maxvalue",
        "nominvalue",
        "nomaxvalue",
        "cycle",
        "cache",
        "order",
    ] {
        args.refuse(option)?;
    }
    let mut fields = Vec::new();
    if args.opt_bool("always")? == Some(true) {
        fields.push(("always".to_string(), Toml::Bool(true)));
    }
    for key in ["start", "increment"] {
        match args.given(key) {
            None => {}
            Some(Value::Int(n)) => fields.push((key.to_string(), Toml::Int(*n))),
            Some(other) => {
                return Err(format!(
                    "sa.Identity {key} {} is not a number",
                    other.describe()
                ))
            }
        }
    }
    Ok(if fields.is_empty() {
        Toml::Bool(true)
    } else {
        Toml::Table(fields)
    })
}

/// A column as rmig writes it, and the index `index=True` asks for.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ColumnOut {
    pub(super) name: String,
    pub(super) table: Toml,
    /// `index=True`: an index the `ix` naming convention names (SQLAlchemy's default is
    /// `ix_%(column_0_label)s`), unique when `unique=True` too (then the index is the only
    /// uniqueness).
    pub(super) index: Option<bool>,
}

/// `sa.Column("name", type, *constraints, **options)`.
pub(super) fn column(value: &Value, enum_types: EnumTypes) -> Result<ColumnOut, String> {
    let call = match (sqla_name(value), value) {
        (Some("Column"), Value::Call(call)) => call,
        _ => return Err(format!("{} is not a sa.Column(...)", value.describe())),
    };
    let args = Signature {
        name: "sa.Column",
        positional: &[],
        keyword: &[
            "name",
            "type_",
            "nullable",
            "primary_key",
            "server_default",
            "unique",
            "index",
            "autoincrement",
            "comment",
            "default",
            "onupdate",
            "insert_default",
            "key",
            "doc",
            "info",
            "quote",
            "system",
            "server_onupdate",
            "sort_order",
        ],
        varargs: true,
    }
    .bind(call)?;
    for option in ["quote", "system", "server_onupdate"] {
        args.refuse(option)?;
    }
    let mut rest = args.rest.iter().peekable();
    let name = match args.given("name") {
        Some(Value::Str(name)) => name.clone(),
        Some(other) => return Err(format!("column name {} is not a string", other.describe())),
        None => match rest.next() {
            Some(Value::Str(name)) => name.clone(),
            _ => return Err("sa.Column needs its name as a string literal".into()),
        },
    };
    let type_value = match args.given("type_") {
        Some(value) => value.clone(),
        None => match rest.peek() {
            Some(value) if !matches!(sqla_name(value), Some("ForeignKey" | "Identity" | "Computed" | "Sequence")) => {
                rest.next().cloned().unwrap_or(Value::None)
            }
            _ => {
                return Err(format!(
                    "column `{name}` has no type (SQLAlchemy takes it from the foreign key's target at run time)"
                ))
            }
        },
    };
    let type_ =
        column_type(&type_value, enum_types).map_err(|e| format!("column `{name}`: {e}"))?;
    let mut fields = vec![("name".to_string(), Toml::Str(name.clone()))];
    fields.push(type_.field("type", "sql_type"));

    let primary_key = args.opt_bool("primary_key")?.unwrap_or(false);
    let nullable = args.opt_bool("nullable")?;
    if primary_key {
        fields.push(("primary_key".into(), Toml::Bool(true)));
        if nullable == Some(true) {
            return Err(format!(
                "column `{name}` is a primary key marked nullable=True"
            ));
        }
    } else if let Some(nullable) = nullable {
        fields.push(("nullable".into(), Toml::Bool(nullable)));
    }
    if let Some(default) = args.given("server_default") {
        let sql = server_default(default).map_err(|e| format!("column `{name}`: {e}"))?;
        fields.push(("server_default".into(), Toml::Str(sql)));
    }
    let index = args.opt_bool("index")?.unwrap_or(false);
    let unique = args.opt_bool("unique")?.unwrap_or(false);
    if unique && !index {
        fields.push(("unique".into(), Toml::Bool(true)));
    }
    match args.given("autoincrement") {
        None => {}
        Some(Value::Str(mode)) if mode == "auto" => {}
        Some(Value::Bool(flag)) => fields.push(("autoincrement".into(), Toml::Bool(*flag))),
        Some(other) => {
            return Err(format!(
                "column `{name}`: autoincrement={} has no equivalent in rmig's columns",
                other.describe()
            ))
        }
    }
    if let Some(comment) = args.opt_str("comment")? {
        fields.push(("comment".into(), Toml::Str(comment)));
    }
    for item in rest {
        match (sqla_name(item), item) {
            (Some("ForeignKey"), Value::Call(fk)) => {
                if fields.iter().any(|(k, _)| k == "foreign_key") {
                    return Err(format!("column `{name}` has more than one sa.ForeignKey"));
                }
                let fk = column_foreign_key(fk).map_err(|e| format!("column `{name}`: {e}"))?;
                fields.push(("foreign_key".into(), fk));
            }
            (Some("Identity"), Value::Call(id)) => {
                fields.push(("identity".into(), identity(id)?));
            }
            _ => {
                return Err(format!(
                    "column `{name}`: {} has no equivalent in rmig's columns",
                    item.describe()
                ))
            }
        }
    }
    Ok(ColumnOut {
        name,
        table: Toml::Table(fields),
        index: index.then_some(unique),
    })
}

/// What `op.create_table` may list besides columns.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum TableItem {
    Column(ColumnOut),
    /// An entry of `create_table.constraints`.
    Constraint(Toml),
    /// `sa.Index(...)` inside the table: created after it.
    Index {
        /// Absent: the `ix` naming convention names it.
        name: Option<Toml>,
        unique: bool,
        parts: IndexParts,
    },
}

const CONSTRAINT_OPTIONS: [&str; 4] = ["deferrable", "initially", "info", "comment"];

/// One positional argument of `op.create_table` after the table name.
pub(super) fn table_item(value: &Value) -> Result<TableItem, String> {
    let (Some(kind), Value::Call(call)) = (sqla_name(value), value) else {
        return Err(format!(
            "{} is not a SQLAlchemy column, constraint or index",
            value.describe()
        ));
    };
    let constraint = |type_: &str, name: Option<Toml>, mut rest: Vec<(String, Toml)>| {
        let mut fields = vec![("type".to_string(), Toml::str(type_))];
        if let Some(name) = name {
            fields.push(("name".into(), name));
        }
        fields.append(&mut rest);
        TableItem::Constraint(Toml::Table(fields))
    };
    match kind {
        "Column" => column(value, EnumTypes::Declared).map(TableItem::Column),
        "PrimaryKeyConstraint" | "UniqueConstraint" => {
            let args = Signature {
                name: if kind == "UniqueConstraint" {
                    "sa.UniqueConstraint"
                } else {
                    "sa.PrimaryKeyConstraint"
                },
                positional: &[],
                keyword: &[
                    "name",
                    "deferrable",
                    "initially",
                    "info",
                    "comment",
                    "_implicit_generated",
                ],
                varargs: true,
            }
            .bind(call)?;
            for option in CONSTRAINT_OPTIONS {
                if option != "info" {
                    args.refuse(option)?;
                }
            }
            let columns = strings(&Value::Seq(args.rest.clone()))
                .ok_or("a key's columns must be given by name")?;
            let type_ = if kind == "UniqueConstraint" {
                "unique"
            } else {
                "primary_key"
            };
            Ok(constraint(
                type_,
                args.opt_name("name")?,
                vec![("columns".into(), Toml::strings(&columns))],
            ))
        }
        "CheckConstraint" => {
            let args = Signature {
                name: "sa.CheckConstraint",
                positional: &["sqltext"],
                keyword: &[
                    "name",
                    "deferrable",
                    "initially",
                    "info",
                    "comment",
                    "table",
                    "_create_rule",
                    "_autoattach",
                    "_type_bound",
                ],
                varargs: false,
            }
            .bind(call)?;
            for option in ["deferrable", "initially", "table"] {
                args.refuse(option)?;
            }
            let condition = sql_text(
                args.given("sqltext")
                    .ok_or("sa.CheckConstraint needs its condition")?,
            )?;
            Ok(constraint(
                "check",
                args.opt_name("name")?,
                vec![("condition".into(), Toml::Str(condition))],
            ))
        }
        "ForeignKeyConstraint" => {
            let args = Signature {
                name: "sa.ForeignKeyConstraint",
                positional: &["columns", "refcolumns"],
                keyword: &[
                    "name",
                    "onupdate",
                    "ondelete",
                    "deferrable",
                    "initially",
                    "use_alter",
                    "link_to_name",
                    "match",
                    "table",
                    "info",
                    "comment",
                ],
                varargs: false,
            }
            .bind(call)?;
            args.refuse("link_to_name")?;
            args.refuse("table")?;
            let local = args.str_list("columns")?;
            let remote_specs = args.str_list("refcolumns")?;
            let mut referent: Option<(Option<String>, String)> = None;
            let mut remote = Vec::new();
            for spec in &remote_specs {
                let (schema, table, column) = split_column_spec(spec)?;
                match &referent {
                    None => referent = Some((schema, table)),
                    Some(known) if *known == (schema.clone(), table.clone()) => {}
                    Some(_) => {
                        return Err("sa.ForeignKeyConstraint refers to columns of two tables".into())
                    }
                }
                remote.push(column);
            }
            let (referent_schema, referent_table) =
                referent.ok_or("sa.ForeignKeyConstraint names no referenced column")?;
            let mut rest = vec![
                ("local_cols".to_string(), Toml::strings(&local)),
                ("referent_table".to_string(), Toml::Str(referent_table)),
                ("remote_cols".to_string(), Toml::strings(&remote)),
            ];
            if let Some(schema) = referent_schema {
                rest.push(("referent_schema".into(), Toml::Str(schema)));
            }
            rest.extend(foreign_key_options(
                args.given("ondelete"),
                args.given("onupdate"),
                args.opt_bool("deferrable")?,
                args.opt_str("initially")?,
                args.opt_str("match")?,
            )?);
            Ok(constraint("foreign_key", args.opt_name("name")?, rest))
        }
        "Index" => {
            let args = Signature {
                name: "sa.Index",
                positional: &["name"],
                keyword: &[
                    "unique",
                    "postgresql_where",
                    "sqlite_where",
                    "postgresql_using",
                    "postgresql_ops",
                    "postgresql_include",
                    "quote",
                    "info",
                    "_table",
                    "_column_flag",
                ],
                varargs: true,
            }
            .bind(call)?;
            args.refuse("quote")?;
            Ok(TableItem::Index {
                name: args.opt_name("name")?,
                unique: args.opt_bool("unique")?.unwrap_or(false),
                parts: index_parts(&args.rest, &args)?,
            })
        }
        _ => Err(format!(
            "{} has no equivalent in rmig's create_table",
            value.describe()
        )),
    }
}

/// `ondelete`, `onupdate`, `deferrable`, `initially` and `match` of a foreign key.
pub(super) fn foreign_key_options(
    ondelete: Option<&Value>,
    onupdate: Option<&Value>,
    deferrable: Option<bool>,
    initially: Option<String>,
    match_: Option<String>,
) -> Result<Vec<(String, Toml)>, String> {
    let mut out = Vec::new();
    if let Some(value) = ondelete {
        out.push(("ondelete".to_string(), action(value, "ondelete")?));
    }
    if let Some(value) = onupdate {
        out.push(("onupdate".to_string(), action(value, "onupdate")?));
    }
    if let Some(flag) = deferrable {
        out.push(("deferrable".to_string(), Toml::Bool(flag)));
    }
    if let Some(mode) = initially {
        out.push((
            "initially".to_string(),
            Toml::Str(mode.to_ascii_uppercase()),
        ));
    }
    if let Some(mode) = match_ {
        out.push(("match".to_string(), Toml::Str(mode.to_ascii_uppercase())));
    }
    Ok(out)
}

/// The predicate of a partial index: `postgresql_where` and `sqlite_where` must agree, since
/// rmig has one `where` for both.
pub(super) fn index_where(
    postgresql: Option<&Value>,
    sqlite: Option<&Value>,
) -> Result<Option<String>, String> {
    let postgresql = postgresql.map(sql_text).transpose()?;
    let sqlite = sqlite.map(sql_text).transpose()?;
    match (postgresql, sqlite) {
        (Some(a), Some(b)) if a != b => {
            Err("postgresql_where and sqlite_where differ; rmig has one `where` for both".into())
        }
        (a, b) => Ok(a.or(b)),
    }
}

/// An index's `columns` and its `where` and PostgreSQL options, as `create_index` writes them.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct IndexParts {
    /// Column names, and `{ expression = "..." }` tables.
    pub(super) columns: Vec<Toml>,
    /// `where`, `postgresql_using`, `postgresql_ops`, `postgresql_include`, those given.
    pub(super) fields: Vec<(String, Toml)>,
}

impl IndexParts {
    /// An index of plain columns and nothing else (`sa.Column(..., index=True)`).
    pub(super) fn of_columns(columns: &[String]) -> IndexParts {
        IndexParts {
            columns: columns.iter().cloned().map(Toml::Str).collect(),
            fields: Vec::new(),
        }
    }
}

/// The elements and options of `op.create_index` or `sa.Index`: `args` bound with
/// `postgresql_where`, `sqlite_where`, `postgresql_using`, `postgresql_ops` and
/// `postgresql_include`.
pub(super) fn index_parts(elements: &[Value], args: &Bound) -> Result<IndexParts, String> {
    let columns = elements
        .iter()
        .map(index_element)
        .collect::<Result<Vec<Toml>, String>>()?;
    let mut fields = Vec::new();
    if let Some(predicate) =
        index_where(args.given("postgresql_where"), args.given("sqlite_where"))?
    {
        fields.push(("where".to_string(), Toml::Str(predicate)));
    }
    if let Some(method) = args.opt_str("postgresql_using")? {
        fields.push(("postgresql_using".to_string(), Toml::Str(method)));
    }
    match args.given("postgresql_ops") {
        None => {}
        Some(Value::Dict(pairs)) => {
            let mut classes = Vec::with_capacity(pairs.len());
            for (key, value) in pairs {
                let (Value::Str(column), Value::Str(class)) = (key, value) else {
                    return Err(
                        "postgresql_ops must map column names to operator class names".into(),
                    );
                };
                // SQLAlchemy applies a class to a column of the index by name, and to
                // nothing else; one naming no column would be silently left out.
                if !columns.contains(&Toml::Str(column.clone())) {
                    return Err(format!(
                        "postgresql_ops names `{column}`, which is not a column of the index (SQLAlchemy leaves it out)"
                    ));
                }
                classes.push((column.clone(), Toml::Str(class.clone())));
            }
            fields.push(("postgresql_ops".to_string(), Toml::Table(classes)));
        }
        Some(other) => {
            return Err(format!(
                "postgresql_ops {} is not a dict of operator classes",
                other.describe()
            ))
        }
    }
    if args.given("postgresql_include").is_some() {
        let included = args.str_list("postgresql_include")?;
        if !included.is_empty() {
            fields.push(("postgresql_include".to_string(), Toml::strings(&included)));
        }
    }
    Ok(IndexParts { columns, fields })
}

/// One element of an index: a column name (`"email"`, `sa.column("email")`), or an
/// expression (`sa.text("lower(email)")`, `sa.func.lower(sa.column("email"))`,
/// `sa.desc("created_at")`) as the SQL Alembic writes for it.
fn index_element(value: &Value) -> Result<Toml, String> {
    match (sqla_name(value), value) {
        (_, Value::Str(name)) => Ok(Toml::Str(name.clone())),
        (Some("column"), Value::Call(call)) => match (call.args.as_slice(), call.kwargs.is_empty())
        {
            ([Value::Str(name)], true) => Ok(Toml::Str(name.clone())),
            _ => Err("sa.column(...) in an index takes one column name".into()),
        },
        _ => Ok(Toml::Table(vec![(
            "expression".to_string(),
            Toml::Str(sql_expression(value)?),
        )])),
    }
}

/// A SQLAlchemy SQL expression as the SQL it compiles to: `sa.text`, `sa.literal_column`,
/// `sa.column` (quoted), `sa.func.<name>(...)`, `sa.desc`/`sa.asc`, numbers and strings (as
/// literals, which is how DDL writes SQLAlchemy's bound values).
pub(super) fn sql_expression(value: &Value) -> Result<String, String> {
    let function = value.qualified_name().and_then(|name| {
        name.strip_prefix("sqlalchemy.func.")
            .or_else(|| name.strip_prefix("sqlalchemy.sql.func."))
            .or_else(|| name.strip_prefix("sqlalchemy.sql.expression.func."))
    });
    match (sqla_name(value), function, value) {
        (_, _, Value::Str(text)) => Ok(crate::dialect::string_literal(text)),
        (_, _, Value::Int(number)) => Ok(number.to_string()),
        (_, _, Value::Float(number)) => Ok(number.to_string()),
        (_, Some(function), Value::Call(call)) => {
            if !call.kwargs.is_empty() {
                return Err(format!("{} passes keyword arguments", value.describe()));
            }
            if call.args.is_empty()
                && ANSI_FUNCTIONS.contains(&function.to_ascii_lowercase().as_str())
            {
                return Ok(function.to_ascii_uppercase());
            }
            let arguments = call
                .args
                .iter()
                .map(sql_expression)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(format!("{function}({})", arguments.join(", ")))
        }
        (Some("column"), _, Value::Call(call)) => {
            match (call.args.as_slice(), call.kwargs.is_empty()) {
                ([Value::Str(name)], true) => Ok(format!("\"{}\"", name.replace('"', "\"\""))),
                _ => Err("sa.column(...) takes one column name".into()),
            }
        }
        (Some(order @ ("desc" | "asc")), _, Value::Call(call)) => {
            let [operand] = call.args.as_slice() else {
                return Err(format!("sa.{order}(...) takes one expression"));
            };
            // A string here is SQLAlchemy's textual column, written as it is.
            let operand = match operand {
                Value::Str(text) => text.clone(),
                other => sql_expression(other)?,
            };
            Ok(format!("{operand} {}", order.to_ascii_uppercase()))
        }
        (Some("text" | "literal_column"), _, _) => sql_text(value),
        _ => Err(format!(
            "{} is not an SQL expression rmig can write",
            value.describe()
        )),
    }
}

/// The table of `op.bulk_insert`: `sa.table("name", sa.column(...), ..., schema=...)` or
/// `sa.Table("name", metadata, ...)`.
pub(super) fn table_clause(value: &Value) -> Result<(String, Option<String>), String> {
    match (sqla_name(value), value) {
        (Some("table" | "Table" | "TableClause"), Value::Call(call)) => {
            let name = match call.args.first() {
                Some(Value::Str(name)) => name.clone(),
                _ => return Err("the table's name is not a string literal".into()),
            };
            let schema = match call.kwarg("schema") {
                None | Some(Value::None) => None,
                Some(Value::Str(schema)) => Some(schema.clone()),
                Some(other) => return Err(format!("schema {} is not a string", other.describe())),
            };
            Ok((name, schema))
        }
        _ => Err(format!(
            "{} is not a sa.table(...) rmig can read",
            value.describe()
        )),
    }
}
