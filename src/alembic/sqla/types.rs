//! SQLAlchemy column types as rmig's: a name of rmig's type vocabulary (`sa.String(50)` as
//! `varchar(50)`, `postgresql.JSONB` as `jsonb`), a type table (an enum, an array), or the SQL
//! SQLAlchemy renders on PostgreSQL (`sa.CHAR(2)`, `postgresql.INET`), for SQLAlchemy's own
//! types and PostgreSQL dialect types, SQLModel's `AutoString` and the types of
//! `sqlalchemy_utils`. A type or argument with no exact equivalent is an error naming it.

use super::sqla_name;
use crate::alembic::bind::{strings, Bound, Signature};
use crate::alembic::emit::Toml;
use crate::alembic::python::{Call, Callee, Value};

fn call_of(value: &Value) -> Option<&Call> {
    match value {
        Value::Call(call) => Some(call),
        _ => None,
    }
}

/// A column type: a name of rmig's vocabulary, a type table (enum, array), or SQL as is.
#[derive(Debug, Clone, PartialEq)]
pub(in crate::alembic) enum TypeOut {
    Vocabulary(Toml),
    Sql(String),
}

impl TypeOut {
    /// The key and value under `vocabulary_key` (`type`, `type_`) or `sql_key` (`sql_type`).
    pub(in crate::alembic) fn field(&self, vocabulary_key: &str, sql_key: &str) -> (String, Toml) {
        match self {
            TypeOut::Vocabulary(value) => (vocabulary_key.to_string(), value.clone()),
            TypeOut::Sql(sql) => (sql_key.to_string(), Toml::str(sql)),
        }
    }
}

/// PostgreSQL types SQLAlchemy spells as their SQL name and that take no arguments.
const PLAIN_SQL_TYPES: [&str; 17] = [
    "INET",
    "CIDR",
    "MACADDR",
    "MACADDR8",
    "CITEXT",
    "TSVECTOR",
    "TSQUERY",
    "MONEY",
    "OID",
    "REGCLASS",
    "INT4RANGE",
    "INT8RANGE",
    "NUMRANGE",
    "DATERANGE",
    "TSRANGE",
    "TSTZRANGE",
    "XML",
];

/// Whether a column's enum type is created with it, or exists already and is named.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(in crate::alembic) enum EnumTypes {
    /// The vocabulary's enum form (unless `create_type=False`): rmig's `create_table` creates
    /// the type, as `op.create_table` does; `alter_column` names it.
    Declared,
    /// `op.add_column` creates no type under Alembic, so the column names a type the script
    /// made beforehand (`sa.Enum(...).create(bind)`).
    Existing,
}

/// `T.with_variant(V, "mysql", ...)`: `T`, when every variant is for a database rmig does not
/// run (the variant changes nothing on PostgreSQL and SQLite). A variant for one of them would
/// need a column type per database, which rmig's columns do not have.
fn without_foreign_variants(value: &Value) -> Result<Option<&Value>, String> {
    let Value::Call(call) = value else {
        return Ok(None);
    };
    let Callee::Method(base, method) = &call.callee else {
        return Ok(None);
    };
    if method != "with_variant" {
        return Ok(None);
    }
    let dialects = match call.args.as_slice() {
        [_variant, dialects @ ..] if !dialects.is_empty() => dialects,
        _ => return Err(format!("{} names no database", value.describe())),
    };
    for dialect in dialects {
        match dialect {
            Value::Str(name) if name == "postgresql" || name == "sqlite" => {
                return Err(format!(
                    "{} gives a variant for {name}: rmig's columns have one type on every database",
                    value.describe()
                ))
            }
            Value::Str(_) => {}
            other => {
                return Err(format!(
                    "{}'s database {} is not a string",
                    value.describe(),
                    other.describe()
                ))
            }
        }
    }
    Ok(Some(base))
}

/// `sa.Integer`, `sa.String(50)`, `postgresql.JSONB()`, `sa.Enum("a", "b", name="mood")`,
/// `sqlalchemy_utils.UUIDType(binary=False)`, ...
pub(in crate::alembic) fn column_type(
    value: &Value,
    enum_types: EnumTypes,
) -> Result<TypeOut, String> {
    if let Some(base) = without_foreign_variants(value)? {
        return column_type(base, enum_types);
    }
    if let Some(type_) = sqlalchemy_utils_type(value, enum_types)? {
        return Ok(type_);
    }
    // SQLModel's string type, which its autogenerate writes: a VARCHAR.
    if value.qualified_name() == Some("sqlmodel.sql.sqltypes.AutoString") {
        return match call_of(value).map(|c| (c.args.as_slice(), c.kwargs.as_slice())) {
            None | Some(([], [])) => Ok(TypeOut::Vocabulary(Toml::str("varchar"))),
            Some(([Value::Int(length)], [])) => {
                Ok(TypeOut::Vocabulary(Toml::str(format!("varchar({length})"))))
            }
            Some(([], [(key, Value::Int(length))])) if key == "length" => {
                Ok(TypeOut::Vocabulary(Toml::str(format!("varchar({length})"))))
            }
            _ => Err(format!(
                "{}'s arguments have no equivalent in rmig's types",
                value.describe()
            )),
        };
    }
    let name =
        sqla_name(value).ok_or_else(|| format!("{} is not a SQLAlchemy type", value.describe()))?;
    let empty = Call {
        callee: Callee::Name(String::new()),
        args: Vec::new(),
        kwargs: Vec::new(),
    };
    let call = call_of(value).unwrap_or(&empty);
    let vocabulary = |name: &str| Ok(TypeOut::Vocabulary(Toml::str(name)));
    let signature = |positional: &'static [&'static str], keyword: &'static [&'static str]| {
        Signature {
            name: "the column type",
            positional,
            keyword,
            varargs: false,
        }
        .bind(call)
    };
    let no_arguments = |sql: &str| -> Result<TypeOut, String> {
        if call.args.is_empty() && call.kwargs.is_empty() {
            vocabulary(sql)
        } else {
            Err(format!(
                "{}'s arguments have no equivalent in rmig's types",
                value.describe()
            ))
        }
    };
    match name {
        "Integer" | "INTEGER" | "INT" => no_arguments("integer"),
        "BigInteger" | "BIGINT" => no_arguments("bigint"),
        "SmallInteger" | "SMALLINT" => no_arguments("smallint"),
        "Text" | "TEXT" | "UnicodeText" => {
            let args = signature(&["length"], &["collation"])?;
            args.refuse("collation")?;
            args.refuse("length")?;
            vocabulary("text")
        }
        "String" | "VARCHAR" | "Unicode" => {
            let args = signature(&["length"], &["collation"])?;
            args.refuse("collation")?;
            match args.given("length") {
                None => vocabulary("varchar"),
                Some(Value::Int(length)) => vocabulary(&format!("varchar({length})")),
                Some(other) => Err(format!(
                    "String length {} is not a number",
                    other.describe()
                )),
            }
        }
        "CHAR" => {
            let args = signature(&["length"], &["collation"])?;
            args.refuse("collation")?;
            match args.given("length") {
                None => Ok(TypeOut::Sql("CHAR".into())),
                Some(Value::Int(length)) => Ok(TypeOut::Sql(format!("CHAR({length})"))),
                Some(other) => Err(format!("CHAR length {} is not a number", other.describe())),
            }
        }
        "Boolean" | "BOOLEAN" => {
            let args = signature(&[], &["create_constraint", "name"])?;
            args.refuse("create_constraint")?;
            vocabulary("boolean")
        }
        "Numeric" | "NUMERIC" | "DECIMAL" => {
            let args = signature(
                &["precision", "scale"],
                &["asdecimal", "decimal_return_scale"],
            )?;
            let number = |param: &str| match args.given(param) {
                None => Ok(None),
                Some(Value::Int(n)) => Ok(Some(*n)),
                Some(other) => Err(format!(
                    "Numeric {param} {} is not a number",
                    other.describe()
                )),
            };
            match (number("precision")?, number("scale")?) {
                (None, None) => vocabulary("numeric"),
                (Some(p), None) => vocabulary(&format!("numeric({p})")),
                (Some(p), Some(s)) => vocabulary(&format!("numeric({p},{s})")),
                (None, Some(_)) => Err("a Numeric scale without a precision".to_string()),
            }
        }
        // SQLAlchemy's FLOAT without a precision is PostgreSQL's double precision.
        "Float" | "FLOAT" => {
            let args = signature(&["precision"], &["asdecimal", "decimal_return_scale"])?;
            match args.given("precision") {
                None => vocabulary("double"),
                Some(Value::Int(p)) => Ok(TypeOut::Sql(format!("FLOAT({p})"))),
                Some(other) => Err(format!(
                    "Float precision {} is not a number",
                    other.describe()
                )),
            }
        }
        "Double" | "DOUBLE" | "DOUBLE_PRECISION" => {
            let args = signature(&["precision"], &["asdecimal", "decimal_return_scale"])?;
            args.refuse("precision")?;
            vocabulary("double")
        }
        "REAL" => no_arguments("real"),
        "Date" | "DATE" => no_arguments("date"),
        "DateTime" | "DATETIME" | "TIMESTAMP" => {
            let args = signature(&["timezone"], &["precision"])?;
            let timezone = args.opt_bool("timezone")?.unwrap_or(false);
            match (args.given("precision"), timezone) {
                (None, true) => vocabulary("timestamptz"),
                (None, false) => vocabulary("timestamp"),
                (Some(precision), _) => Ok(TypeOut::Sql(format!(
                    "TIMESTAMP({}) {}",
                    number(precision, "TIMESTAMP precision")?,
                    time_zone(timezone)
                ))),
            }
        }
        "Time" | "TIME" => {
            let args = signature(&["timezone"], &["precision"])?;
            // Plain `TIME` is PostgreSQL's `time without time zone` and the type MySQL and
            // SQLite know; only a time zone needs PostgreSQL's words.
            let zone = match args.opt_bool("timezone")?.unwrap_or(false) {
                true => format!(" {}", time_zone(true)),
                false => String::new(),
            };
            Ok(TypeOut::Sql(match args.given("precision") {
                None => format!("TIME{zone}"),
                Some(precision) => {
                    format!("TIME({}){zone}", number(precision, "TIME precision")?)
                }
            }))
        }
        "Interval" | "INTERVAL" => {
            let args = signature(
                &[],
                &[
                    "native",
                    "second_precision",
                    "day_precision",
                    "fields",
                    "precision",
                ],
            )?;
            for option in ["second_precision", "day_precision"] {
                args.refuse(option)?;
            }
            // PostgreSQL's INTERVAL: `INTERVAL DAY TO SECOND`, `INTERVAL (3)`, as SQLAlchemy
            // spells them.
            let mut sql = "INTERVAL".to_string();
            if let Some(fields) = args.opt_str("fields")? {
                if !fields
                    .split_whitespace()
                    .all(|word| INTERVAL_FIELDS.contains(&word.to_ascii_uppercase().as_str()))
                {
                    return Err(format!(
                        "INTERVAL fields {fields:?} are not interval fields"
                    ));
                }
                sql.push(' ');
                sql.push_str(&fields);
            }
            if let Some(precision) = args.given("precision") {
                sql.push_str(&format!(" ({})", number(precision, "INTERVAL precision")?));
            }
            Ok(TypeOut::Sql(sql))
        }
        "Uuid" | "UUID" => {
            signature(&["as_uuid"], &["native_uuid"])?;
            vocabulary("uuid")
        }
        "JSON" => {
            signature(&["none_as_null"], &["astext_type"])?;
            vocabulary("json")
        }
        "JSONB" => {
            signature(&["none_as_null"], &["astext_type"])?;
            vocabulary("jsonb")
        }
        "LargeBinary" | "BYTEA" | "BLOB" | "LargeBinary_" => {
            signature(&["length"], &[])?;
            vocabulary("bytea")
        }
        "Enum" | "ENUM" => enum_type(call, enum_types),
        "ARRAY" => {
            let args = signature(&["item_type"], &["as_tuple", "dimensions", "zero_indexes"])?;
            let item = args.given("item_type").ok_or("ARRAY needs its item type")?;
            let dimensions = match args.given("dimensions") {
                None => 1,
                Some(value) => number(value, "ARRAY dimensions")?.max(1),
            };
            // `dimensions=2` is `INTEGER[][]`: an array of arrays, as PostgreSQL spells it.
            let mut type_ = column_type(item, enum_types)?;
            for _ in 0..dimensions {
                type_ = match type_ {
                    TypeOut::Vocabulary(element) => {
                        TypeOut::Vocabulary(Toml::Table(vec![("array".into(), element)]))
                    }
                    TypeOut::Sql(sql) => TypeOut::Sql(format!("{sql}[]")),
                };
            }
            Ok(type_)
        }
        "BIT" => {
            let args = signature(&["length"], &["varying"])?;
            let varying = args.opt_bool("varying")?.unwrap_or(false);
            let mut sql = if varying { "BIT VARYING" } else { "BIT" }.to_string();
            if let Some(length) = args.given("length") {
                sql.push_str(&format!("({})", number(length, "BIT length")?));
            }
            Ok(TypeOut::Sql(sql))
        }
        "HSTORE" => {
            signature(&["text_type"], &[])?;
            Ok(TypeOut::Sql("HSTORE".into()))
        }
        plain if PLAIN_SQL_TYPES.contains(&plain) => {
            if call.args.is_empty() && call.kwargs.is_empty() {
                Ok(TypeOut::Sql(plain.to_string()))
            } else {
                Err(format!(
                    "{}'s arguments have no equivalent in rmig's types",
                    value.describe()
                ))
            }
        }
        _ => Err(format!(
            "the type {} has no equivalent in rmig's types",
            value.describe()
        )),
    }
}

/// `sa.Enum(...)` or `postgresql.ENUM(...)` as read: a PostgreSQL named enum type.
#[derive(Debug, Clone, PartialEq)]
pub(in crate::alembic) struct EnumSpec {
    pub(in crate::alembic) name: String,
    pub(in crate::alembic) values: Vec<String>,
    pub(in crate::alembic) schema: Option<String>,
    /// SQLAlchemy's `create_type`: whether a table using it creates it.
    pub(in crate::alembic) create_type: bool,
}

/// Reads `sa.Enum("a", "b", name="mood", ...)`.
pub(in crate::alembic) fn enum_spec(call: &Call) -> Result<EnumSpec, String> {
    let args = Signature {
        name: "sa.Enum",
        positional: &[],
        keyword: &[
            "name",
            "native_enum",
            "create_constraint",
            "create_type",
            "validate_strings",
            "schema",
            "metadata",
            "inherit_schema",
            "length",
            "values_callable",
            "omit_aliases",
        ],
        varargs: true,
    }
    .bind(call)?;
    if args.opt_bool("native_enum")? == Some(false) {
        return Err("sa.Enum(native_enum=False) has no equivalent in rmig's types".into());
    }
    for option in [
        "create_constraint",
        "metadata",
        "inherit_schema",
        "values_callable",
    ] {
        args.refuse(option)?;
    }
    let values = strings(&Value::Seq(args.rest.clone()))
        .ok_or("sa.Enum's values must be string literals (an Enum class is Python)")?;
    let name = args
        .opt_str("name")?
        .ok_or("sa.Enum needs `name` on PostgreSQL")?;
    Ok(EnumSpec {
        name,
        values,
        schema: args.opt_str("schema")?,
        create_type: args.opt_bool("create_type")?.unwrap_or(true),
    })
}

/// An enum column's type: the vocabulary's `{ enum = NAME, values = [...] }`, which the table
/// creates, or, for a type made elsewhere (`create_type=False`, or any enum of an added
/// column), its name as `sql_type`, quoted as SQLAlchemy would need it to be.
fn enum_type(call: &Call, enum_types: EnumTypes) -> Result<TypeOut, String> {
    let spec = enum_spec(call)?;
    if !spec.create_type || enum_types == EnumTypes::Existing {
        let quote = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
        return Ok(TypeOut::Sql(match &spec.schema {
            Some(schema) => format!("{}.{}", quote(schema), quote(&spec.name)),
            None => quote(&spec.name),
        }));
    }
    if spec.schema.is_some() {
        return Err(
            "sa.Enum's `schema` has no equivalent in rmig's enum columns (rmig creates the type in its table's schema)"
                .into(),
        );
    }
    Ok(TypeOut::Vocabulary(Toml::Table(vec![
        ("enum".into(), Toml::Str(spec.name)),
        ("values".into(), Toml::strings(&spec.values)),
    ])))
}

/// PostgreSQL's interval field words (`DAY TO SECOND`).
const INTERVAL_FIELDS: [&str; 7] = ["YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND", "TO"];

fn time_zone(with: bool) -> &'static str {
    if with {
        "WITH TIME ZONE"
    } else {
        "WITHOUT TIME ZONE"
    }
}

/// A non-negative integer argument of a type.
fn number(value: &Value, what: &str) -> Result<i64, String> {
    match value {
        Value::Int(n) if *n >= 0 => Ok(*n),
        other => Err(format!("{what} {} is not a number", other.describe())),
    }
}

/// The types of `sqlalchemy_utils` as the SQL they are on PostgreSQL (their `impl`, or what
/// `load_dialect_impl` picks there); `None` for a value from elsewhere.
fn sqlalchemy_utils_type(value: &Value, enum_types: EnumTypes) -> Result<Option<TypeOut>, String> {
    let Some(name) = value
        .qualified_name()
        .and_then(|name| name.strip_prefix("sqlalchemy_utils."))
        .map(|rest| rest.rsplit('.').next().unwrap_or(rest))
    else {
        return Ok(None);
    };
    let empty = Call {
        callee: Callee::Name(String::new()),
        args: Vec::new(),
        kwargs: Vec::new(),
    };
    let call = call_of(value).unwrap_or(&empty);
    let bind = |positional: &'static [&'static str], keyword: &'static [&'static str]| {
        Signature {
            name: "the sqlalchemy_utils type",
            positional,
            keyword,
            varargs: false,
        }
        .bind(call)
    };
    let vocabulary = |name: &str| Ok(Some(TypeOut::Vocabulary(Toml::str(name))));
    let varchar = |args: &Bound, key: &str, default: i64| -> Result<Option<TypeOut>, String> {
        let length = match args.given(key) {
            None => default,
            Some(value) => number(value, &format!("{name} {key}"))?,
        };
        vocabulary(&format!("varchar({length})"))
    };
    match name {
        // Native UUID on PostgreSQL; BINARY(16) or CHAR(32) where there is none (or with
        // native=False).
        "UUIDType" => {
            let args = bind(&["binary", "native"], &[])?;
            let binary = args.opt_bool("binary")?.unwrap_or(true);
            match (args.opt_bool("native")?.unwrap_or(true), binary) {
                (true, _) => vocabulary("uuid"),
                (false, true) => Ok(Some(TypeOut::Sql("BINARY(16)".into()))),
                (false, false) => Ok(Some(TypeOut::Sql("CHAR(32)".into()))),
            }
        }
        "JSONType" => {
            bind(&[], &[])?;
            vocabulary("json")
        }
        // Stored as its `impl`, `Unicode(255)` unless given.
        "ChoiceType" => {
            let args = bind(&["choices", "impl"], &[])?;
            match args.given("impl") {
                None => vocabulary("varchar(255)"),
                Some(impl_) => column_type(impl_, enum_types).map(Some),
            }
        }
        "EmailType" => varchar(&bind(&["length"], &[])?, "length", 255),
        "IPAddressType" => varchar(&bind(&["max_length"], &[])?, "max_length", 50),
        "ColorType" => varchar(&bind(&["max_length"], &[])?, "max_length", 20),
        "PhoneNumberType" => varchar(
            &bind(&["region", "max_length"], &["check_region"])?,
            "max_length",
            20,
        ),
        "TimezoneType" => {
            bind(&["backend"], &[])?;
            vocabulary("varchar(50)")
        }
        "CountryType" => {
            bind(&[], &[])?;
            vocabulary("varchar(2)")
        }
        "CurrencyType" => {
            bind(&[], &[])?;
            vocabulary("varchar(3)")
        }
        "LocaleType" => {
            bind(&[], &[])?;
            vocabulary("varchar(10)")
        }
        "URLType" => {
            bind(&[], &[])?;
            vocabulary("text")
        }
        "ScalarListType" => {
            bind(&["coerce_func", "separator"], &[])?;
            vocabulary("text")
        }
        // PostgreSQL's BYTEA, whatever `max_length` says.
        "PasswordType" => {
            bind(
                &["max_length"],
                &["schemes", "deprecated", "onload", "context"],
            )?;
            vocabulary("bytea")
        }
        "ArrowType" => {
            let args = bind(&[], &["timezone"])?;
            if args.opt_bool("timezone")?.unwrap_or(false) {
                vocabulary("timestamptz")
            } else {
                vocabulary("timestamp")
            }
        }
        "TSVectorType" | "LtreeType" | "IntRangeType" | "Int8RangeType" | "NumericRangeType"
        | "DateRangeType" | "DateTimeRangeType" => Ok(Some(TypeOut::Sql(
            match name {
                "TSVectorType" => "TSVECTOR",
                "LtreeType" => "LTREE",
                "IntRangeType" => "INT4RANGE",
                "Int8RangeType" => "INT8RANGE",
                "NumericRangeType" => "NUMRANGE",
                "DateRangeType" => "DATERANGE",
                _ => "TSRANGE",
            }
            .into(),
        ))),
        _ => Err(format!(
            "the type {} has no equivalent in rmig's types",
            value.describe()
        )),
    }
}
