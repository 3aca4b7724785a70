//! Columns as `create_table` and `add_column` declare them, and the small vocabulary of column
//! types rmig understands well enough to render for every dialect and compare against a database.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::constraint::ReferentialAction;

/// One column: SQLAlchemy's `sa.Column(name, type_, ...)` in declarative form.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "ColumnFields")]
pub struct Column {
    pub name: String,
    /// From `type` (the vocabulary) or `sql_type` (verbatim).
    pub type_: ColumnType,
    /// Defaults to true, except for primary-key columns, which are never nullable.
    pub nullable: bool,
    pub primary_key: bool,
    /// SQL text rendered verbatim after DEFAULT, so a string literal keeps its quotes: `"'draft'"`.
    pub server_default: Option<String>,
    pub unique: bool,
    /// None leaves it to the dialect, as SQLAlchemy's `autoincrement="auto"` does.
    pub autoincrement: Option<bool>,
    pub identity: Option<Identity>,
    pub comment: Option<String>,
    pub foreign_key: Option<ColumnForeignKey>,
}

/// A column exactly as a file spells it, before the rules that tie its keys together.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ColumnFields {
    name: String,
    #[serde(rename = "type")]
    type_name: Option<TypeSpelling>,
    sql_type: Option<String>,
    nullable: Option<bool>,
    #[serde(default)]
    primary_key: bool,
    server_default: Option<String>,
    #[serde(default)]
    unique: bool,
    autoincrement: Option<bool>,
    #[serde(default, deserialize_with = "identity_flag_or_options")]
    identity: Option<Identity>,
    comment: Option<String>,
    #[serde(default, deserialize_with = "foreign_key_path_or_table")]
    foreign_key: Option<ColumnForeignKey>,
}

impl TryFrom<ColumnFields> for Column {
    type Error = String;

    fn try_from(fields: ColumnFields) -> Result<Column, String> {
        let name = fields.name;
        let type_ = type_or_sql_type(fields.type_name, fields.sql_type, "type", "sql_type")
            .map_err(|problem| format!("column `{name}`: {problem}"))?
            .ok_or_else(|| format!("column `{name}` needs a `type` (or `sql_type`)"))?;
        if fields.primary_key && fields.nullable == Some(true) {
            return Err(format!(
                "column `{name}` is a primary key, which can never be nullable; remove `nullable = true`"
            ));
        }
        Ok(Column {
            type_,
            nullable: fields.nullable.unwrap_or(!fields.primary_key),
            primary_key: fields.primary_key,
            server_default: fields.server_default,
            unique: fields.unique,
            autoincrement: fields.autoincrement,
            identity: fields.identity,
            comment: fields.comment,
            foreign_key: fields.foreign_key,
            name,
        })
    }
}

/// Resolves a vocabulary type and a verbatim `sql_type` given side by side, at most one of them.
/// The key names are passed in so that the message names the keys the file used; the caller
/// prefixes the column, which a type on its own cannot know.
pub(super) fn type_or_sql_type(
    vocabulary: Option<TypeSpelling>,
    sql: Option<String>,
    type_key: &str,
    sql_key: &str,
) -> Result<Option<ColumnType>, String> {
    match (vocabulary, sql) {
        (Some(_), Some(_)) => Err(format!(
            "both `{type_key}` and `{sql_key}` are given; give exactly one"
        )),
        (_, Some(sql)) if sql.trim().is_empty() => Err(format!("`{sql_key}` is empty")),
        (Some(spelling), None) => spelling.into_column_type().map(Some),
        (None, Some(sql)) => Ok(Some(ColumnType::Sql(sql))),
        (None, None) => Ok(None),
    }
}

/// A column type: the vocabulary parsed from `type`, or `sql_type` passed through verbatim.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnType {
    Integer,
    BigInt,
    SmallInt,
    Text,
    /// `varchar(n)` or `string(n)`; no length means unbounded where the dialect allows it.
    Varchar {
        length: Option<u32>,
    },
    Boolean,
    /// `numeric`, `numeric(p)` or `numeric(p,s)`; `scale` is only ever set together with `precision`.
    Numeric {
        precision: Option<u32>,
        scale: Option<u32>,
    },
    Real,
    Double,
    Date,
    /// `timestamp`, or `timestamptz` / `timestamp with time zone` with `timezone` set.
    Timestamp {
        timezone: bool,
    },
    Uuid,
    Json,
    Jsonb,
    /// `bytea` or `blob`.
    Binary,
    /// A named enum type (PostgreSQL's `CREATE TYPE name AS ENUM (...)`).
    Enum {
        name: String,
        values: Vec<String>,
    },
    /// `element[]`, or `{ array = element }`.
    Array(Box<ColumnType>),
    /// `sql_type`: SQL text outside the vocabulary, rendered as written.
    Sql(String),
}

/// The type as a revision file spells it (`varchar(20)`, `numeric(10,2)`, `text[]`): what the
/// vocabulary parses back, for messages and generated revisions.
impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text: String = match self {
            ColumnType::Integer => "integer".into(),
            ColumnType::BigInt => "bigint".into(),
            ColumnType::SmallInt => "smallint".into(),
            ColumnType::Text => "text".into(),
            ColumnType::Varchar { length: None } => "varchar".into(),
            ColumnType::Varchar {
                length: Some(length),
            } => format!("varchar({length})"),
            ColumnType::Boolean => "boolean".into(),
            ColumnType::Numeric {
                precision: None, ..
            } => "numeric".into(),
            ColumnType::Numeric {
                precision: Some(precision),
                scale: None,
            } => format!("numeric({precision})"),
            ColumnType::Numeric {
                precision: Some(precision),
                scale: Some(scale),
            } => format!("numeric({precision},{scale})"),
            ColumnType::Real => "real".into(),
            ColumnType::Double => "double".into(),
            ColumnType::Date => "date".into(),
            ColumnType::Timestamp { timezone: false } => "timestamp".into(),
            ColumnType::Timestamp { timezone: true } => "timestamptz".into(),
            ColumnType::Uuid => "uuid".into(),
            ColumnType::Json => "json".into(),
            ColumnType::Jsonb => "jsonb".into(),
            ColumnType::Binary => "bytea".into(),
            ColumnType::Enum { name, .. } => format!("enum {name}"),
            ColumnType::Array(element) => format!("{element}[]"),
            ColumnType::Sql(sql) => sql.clone(),
        };
        f.write_str(&text)
    }
}

/// Every type name `type` takes (in any case), arguments aside: `ColumnType::parse` refuses a
/// name missing here, so a name it reads is always one the reference documents.
pub const TYPE_NAMES: &[&str] = &[
    "integer",
    "bigint",
    "smallint",
    "text",
    "varchar",
    "string",
    "boolean",
    "numeric",
    "real",
    "double",
    "double precision",
    "date",
    "timestamp",
    "timestamp without time zone",
    "timestamptz",
    "timestamp with time zone",
    "uuid",
    "json",
    "jsonb",
    "bytea",
    "blob",
];

const VOCABULARY_HINT: &str = "the known types are integer, bigint, smallint, text, varchar(n), \
    string(n), boolean, numeric(p,s), real, double, date, timestamp, timestamptz, uuid, json, \
    jsonb, bytea, blob, enum and arrays such as integer[]; use `sql_type` for anything else";

impl ColumnType {
    /// Parses a type name of the vocabulary, case-insensitively: `integer`, `VARCHAR(255)`,
    /// `numeric(10, 2)`, `timestamp with time zone`, `text[]`.
    fn parse(spelled: &str) -> Result<ColumnType, String> {
        let lowered = spelled.trim().to_ascii_lowercase();
        if let Some(element) = lowered.strip_suffix("[]") {
            return Ok(ColumnType::Array(Box::new(ColumnType::parse(element)?)));
        }
        let (base, arguments) = split_arguments(&lowered)
            .ok_or_else(|| format!("cannot read column type `{spelled}`; {VOCABULARY_HINT}"))?;
        let base = base.split_whitespace().collect::<Vec<_>>().join(" ");
        // `enum` and `array` are read below only to say how to write them.
        if !TYPE_NAMES.contains(&base.as_str()) && base != "enum" && base != "array" {
            return Err(format!(
                "unknown column type `{spelled}`; {VOCABULARY_HINT}"
            ));
        }
        let no_arguments = |type_: ColumnType| {
            if arguments.is_empty() {
                Ok(type_)
            } else {
                Err(format!(
                    "column type `{base}` takes no arguments, found `{spelled}`"
                ))
            }
        };
        match base.as_str() {
            "integer" => no_arguments(ColumnType::Integer),
            "bigint" => no_arguments(ColumnType::BigInt),
            "smallint" => no_arguments(ColumnType::SmallInt),
            "text" => no_arguments(ColumnType::Text),
            "boolean" => no_arguments(ColumnType::Boolean),
            "real" => no_arguments(ColumnType::Real),
            "double" | "double precision" => no_arguments(ColumnType::Double),
            "date" => no_arguments(ColumnType::Date),
            "timestamp" | "timestamp without time zone" => {
                no_arguments(ColumnType::Timestamp { timezone: false })
            }
            "timestamptz" | "timestamp with time zone" => {
                no_arguments(ColumnType::Timestamp { timezone: true })
            }
            "uuid" => no_arguments(ColumnType::Uuid),
            "json" => no_arguments(ColumnType::Json),
            "jsonb" => no_arguments(ColumnType::Jsonb),
            "bytea" | "blob" => no_arguments(ColumnType::Binary),
            "varchar" | "string" => match arguments.as_slice() {
                [] => Ok(ColumnType::Varchar { length: None }),
                [length] => Ok(ColumnType::Varchar {
                    length: Some(*length),
                }),
                _ => Err(format!("`{spelled}` takes one length, as in varchar(255)")),
            },
            "numeric" => match arguments.as_slice() {
                [] => Ok(ColumnType::Numeric {
                    precision: None,
                    scale: None,
                }),
                [precision] => Ok(ColumnType::Numeric {
                    precision: Some(*precision),
                    scale: None,
                }),
                [precision, scale] => Ok(ColumnType::Numeric {
                    precision: Some(*precision),
                    scale: Some(*scale),
                }),
                _ => Err(format!("`{spelled}` takes a precision and a scale, as in numeric(10,2)")),
            },
            "enum" => Err(
                "an enum type needs a name and values, as the table { enum = NAME, values = [...] }"
                    .to_string(),
            ),
            "array" => Err(format!(
                "an array type needs its element type, as in `integer[]` or the table {{ array = TYPE }}, not `{spelled}`"
            )),
            _ => Err(format!("unknown column type `{spelled}`; {VOCABULARY_HINT}")),
        }
    }
}

impl ColumnType {
    /// A PostgreSQL type name (as `format_type` and psql print it, or as a user writes
    /// `sql_type`) in the vocabulary: `int4`, `character varying(20)`, `double precision`,
    /// `timestamp with time zone`, `text[]`. `Sql` with the text when it has no vocabulary
    /// form. Autogenerate reads reflected columns with it, and the guard compares verbatim
    /// types with it, so both agree on what a spelling means.
    pub fn from_postgres_spelling(text: &str) -> ColumnType {
        let spelled = normalize_type_text(text);
        if let Some(element) = spelled.strip_suffix("[]") {
            return match ColumnType::from_postgres_spelling(element) {
                ColumnType::Sql(_) => ColumnType::Sql(text.trim().to_string()),
                element => ColumnType::Array(Box::new(element)),
            };
        }
        // Malformed arguments make the whole text a name no arm knows, so it stays `Sql`.
        let (base, arguments) = split_arguments(&spelled).unwrap_or((spelled.as_str(), Vec::new()));
        match (base, arguments.as_slice()) {
            ("integer" | "int" | "int4", []) => ColumnType::Integer,
            ("bigint" | "int8", []) => ColumnType::BigInt,
            ("smallint" | "int2", []) => ColumnType::SmallInt,
            ("text", []) => ColumnType::Text,
            ("character varying" | "varchar", []) => ColumnType::Varchar { length: None },
            ("character varying" | "varchar", [length]) => ColumnType::Varchar {
                length: Some(*length),
            },
            ("boolean" | "bool", []) => ColumnType::Boolean,
            ("numeric" | "decimal", []) => ColumnType::Numeric {
                precision: None,
                scale: None,
            },
            ("numeric" | "decimal", [precision]) => ColumnType::Numeric {
                precision: Some(*precision),
                scale: Some(0),
            },
            ("numeric" | "decimal", [precision, scale]) => ColumnType::Numeric {
                precision: Some(*precision),
                scale: Some(*scale),
            },
            ("real" | "float4", []) => ColumnType::Real,
            ("double precision" | "float8", []) => ColumnType::Double,
            ("date", []) => ColumnType::Date,
            ("timestamp" | "timestamp without time zone", []) => {
                ColumnType::Timestamp { timezone: false }
            }
            ("timestamptz" | "timestamp with time zone", []) => {
                ColumnType::Timestamp { timezone: true }
            }
            ("uuid", []) => ColumnType::Uuid,
            ("json", []) => ColumnType::Json,
            ("jsonb", []) => ColumnType::Jsonb,
            ("bytea", []) => ColumnType::Binary,
            _ => ColumnType::Sql(text.trim().to_string()),
        }
    }
}

/// A type's text in lower case, single spaces, none around parentheses and commas.
pub(crate) fn normalize_type_text(text: &str) -> String {
    let lowered = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase();
    let mut out = String::with_capacity(lowered.len());
    for c in lowered.chars() {
        if matches!(c, '(' | ')' | ',') && out.ends_with(' ') {
            out.pop();
        }
        if c == ' ' && (out.ends_with('(') || out.ends_with(',')) {
            continue;
        }
        out.push(c);
    }
    out
}

/// Splits `name(1, 2)` into `name` and its numeric arguments; None when it is malformed.
fn split_arguments(spelled: &str) -> Option<(&str, Vec<u32>)> {
    let Some((base, rest)) = spelled.split_once('(') else {
        return Some((spelled, Vec::new()));
    };
    let inside = rest.trim_end().strip_suffix(')')?;
    let arguments = inside
        .split(',')
        .map(|argument| argument.trim().parse().ok())
        .collect::<Option<Vec<u32>>>()?;
    Some((base, arguments))
}

/// A type as a file writes it. Names are parsed only once the column is known, so that an
/// error can say which column's type is wrong: inside an operation serde reports no finer
/// position than the operation's own table.
pub(super) enum TypeSpelling {
    Name(String),
    Enum { name: String, values: Vec<String> },
    Array(Box<TypeSpelling>),
}

impl TypeSpelling {
    fn into_column_type(self) -> Result<ColumnType, String> {
        match self {
            TypeSpelling::Name(spelled) => ColumnType::parse(&spelled),
            TypeSpelling::Enum { name, values } => Ok(ColumnType::Enum { name, values }),
            TypeSpelling::Array(element) => {
                Ok(ColumnType::Array(Box::new(element.into_column_type()?)))
            }
        }
    }
}

impl<'de> Deserialize<'de> for TypeSpelling {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TypeSpelling, D::Error> {
        deserializer.deserialize_any(TypeSpellingVisitor)
    }
}

struct TypeSpellingVisitor;

impl<'de> Visitor<'de> for TypeSpellingVisitor {
    type Value = TypeSpelling;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str(
            "a type name such as \"integer\", or a table { enum = NAME, values = [...] } or { array = TYPE }",
        )
    }

    fn visit_str<E: de::Error>(self, spelled: &str) -> Result<TypeSpelling, E> {
        Ok(TypeSpelling::Name(spelled.to_string()))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<TypeSpelling, A::Error> {
        let table = TypeTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
        match table {
            TypeTable {
                enum_name: Some(name),
                values: Some(values),
                array: None,
            } => Ok(TypeSpelling::Enum { name, values }),
            TypeTable {
                enum_name: None,
                values: None,
                array: Some(element),
            } => Ok(TypeSpelling::Array(element)),
            _ => Err(de::Error::custom(
                "a type table is either { enum = NAME, values = [...] } or { array = TYPE }",
            )),
        }
    }
}

/// The table forms of a type, for what a single name cannot say.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TypeTable {
    #[serde(rename = "enum")]
    enum_name: Option<String>,
    values: Option<Vec<String>>,
    array: Option<Box<TypeSpelling>>,
}

/// PostgreSQL's `GENERATED { ALWAYS | BY DEFAULT } AS IDENTITY`, SQLAlchemy's `sa.Identity`.
/// Written `identity = true` for the defaults, or as a table of these keys.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    /// ALWAYS rather than BY DEFAULT.
    #[serde(default)]
    pub always: bool,
    pub start: Option<i64>,
    pub increment: Option<i64>,
}

fn identity_flag_or_options<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Identity>, D::Error> {
    struct IdentityVisitor;

    impl<'de> Visitor<'de> for IdentityVisitor {
        type Value = Option<Identity>;

        fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
            formatter.write_str("true, false or a table { always, start, increment }")
        }

        fn visit_bool<E: de::Error>(self, enabled: bool) -> Result<Option<Identity>, E> {
            Ok(enabled.then(Identity::default))
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<Identity>, A::Error> {
            Identity::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
        }
    }

    deserializer.deserialize_any(IdentityVisitor)
}

/// A column's reference to another table's column, SQLAlchemy's `sa.ForeignKey`.
/// Written `"table.column"`, `"schema.table.column"`, or as a table of these keys.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnForeignKey {
    pub table: String,
    pub column: String,
    /// The referenced table's schema.
    pub schema: Option<String>,
    /// The constraint's name; the database picks one when absent.
    pub name: Option<String>,
    pub ondelete: Option<ReferentialAction>,
    pub onupdate: Option<ReferentialAction>,
}

impl ColumnForeignKey {
    fn parse(path: &str) -> Result<ColumnForeignKey, String> {
        let parts: Vec<&str> = path.split('.').collect();
        let (schema, table, column) = match parts.as_slice() {
            _ if parts.iter().any(|part| part.trim().is_empty()) => None,
            [table, column] => Some((None, table, column)),
            [schema, table, column] => Some((Some(schema.to_string()), table, column)),
            _ => None,
        }
        .ok_or_else(|| {
            format!("foreign key `{path}` should read \"table.column\" or \"schema.table.column\"")
        })?;
        Ok(ColumnForeignKey {
            table: table.to_string(),
            column: column.to_string(),
            schema,
            name: None,
            ondelete: None,
            onupdate: None,
        })
    }
}

fn foreign_key_path_or_table<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<ColumnForeignKey>, D::Error> {
    struct ForeignKeyVisitor;

    impl<'de> Visitor<'de> for ForeignKeyVisitor {
        type Value = Option<ColumnForeignKey>;

        fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
            formatter.write_str("\"table.column\" or a table { table, column, ondelete, onupdate }")
        }

        fn visit_str<E: de::Error>(self, path: &str) -> Result<Option<ColumnForeignKey>, E> {
            ColumnForeignKey::parse(path).map(Some).map_err(E::custom)
        }

        fn visit_map<A: MapAccess<'de>>(
            self,
            map: A,
        ) -> Result<Option<ColumnForeignKey>, A::Error> {
            ColumnForeignKey::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
        }
    }

    deserializer.deserialize_any(ForeignKeyVisitor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(toml_text: &str) -> Result<Column, String> {
        toml::from_str(toml_text).map_err(|error| error.to_string())
    }

    fn type_of(spelled: &str) -> Result<ColumnType, String> {
        ColumnType::parse(spelled)
    }

    #[test]
    fn postgres_spellings_read_back_into_the_vocabulary() {
        assert_eq!(
            ColumnType::from_postgres_spelling("integer"),
            ColumnType::Integer
        );
        assert_eq!(
            ColumnType::from_postgres_spelling("character varying(20)"),
            ColumnType::Varchar { length: Some(20) }
        );
        assert_eq!(
            ColumnType::from_postgres_spelling("numeric(10,2)"),
            ColumnType::Numeric {
                precision: Some(10),
                scale: Some(2)
            }
        );
        assert_eq!(
            ColumnType::from_postgres_spelling("timestamp with time zone"),
            ColumnType::Timestamp { timezone: true }
        );
        assert_eq!(
            ColumnType::from_postgres_spelling("text[]"),
            ColumnType::Array(Box::new(ColumnType::Text))
        );
        assert_eq!(
            ColumnType::from_postgres_spelling("citext"),
            ColumnType::Sql("citext".into())
        );
    }

    #[test]
    fn vocabulary_names_parse_case_insensitively() {
        assert_eq!(type_of("INTEGER"), Ok(ColumnType::Integer));
        assert_eq!(type_of("BigInt"), Ok(ColumnType::BigInt));
        assert_eq!(type_of("smallint"), Ok(ColumnType::SmallInt));
        assert_eq!(type_of("text"), Ok(ColumnType::Text));
        assert_eq!(type_of("boolean"), Ok(ColumnType::Boolean));
        assert_eq!(type_of("real"), Ok(ColumnType::Real));
        assert_eq!(type_of("double"), Ok(ColumnType::Double));
        assert_eq!(type_of("Double  Precision"), Ok(ColumnType::Double));
        assert_eq!(type_of("date"), Ok(ColumnType::Date));
        assert_eq!(type_of("uuid"), Ok(ColumnType::Uuid));
        assert_eq!(type_of("JSON"), Ok(ColumnType::Json));
        assert_eq!(type_of("jsonb"), Ok(ColumnType::Jsonb));
        assert_eq!(type_of("bytea"), Ok(ColumnType::Binary));
        assert_eq!(type_of("BLOB"), Ok(ColumnType::Binary));
    }

    #[test]
    fn timestamps_carry_their_time_zone() {
        let plain = ColumnType::Timestamp { timezone: false };
        let zoned = ColumnType::Timestamp { timezone: true };
        assert_eq!(type_of("timestamp"), Ok(plain.clone()));
        assert_eq!(type_of("timestamp without time zone"), Ok(plain));
        assert_eq!(type_of("timestamptz"), Ok(zoned.clone()));
        assert_eq!(type_of("TIMESTAMP WITH TIME ZONE"), Ok(zoned));
    }

    #[test]
    fn sized_types_read_their_arguments() {
        assert_eq!(
            type_of("VARCHAR(255)"),
            Ok(ColumnType::Varchar { length: Some(255) })
        );
        assert_eq!(
            type_of("string (40)"),
            Ok(ColumnType::Varchar { length: Some(40) })
        );
        assert_eq!(type_of("varchar"), Ok(ColumnType::Varchar { length: None }));
        assert_eq!(
            type_of("numeric(10, 2)"),
            Ok(ColumnType::Numeric {
                precision: Some(10),
                scale: Some(2)
            })
        );
        assert_eq!(
            type_of("numeric(8)"),
            Ok(ColumnType::Numeric {
                precision: Some(8),
                scale: None
            })
        );
        assert_eq!(
            type_of("numeric"),
            Ok(ColumnType::Numeric {
                precision: None,
                scale: None
            })
        );
    }

    #[test]
    fn arrays_nest_their_element_type() {
        assert_eq!(
            type_of("text[]"),
            Ok(ColumnType::Array(Box::new(ColumnType::Text)))
        );
        assert_eq!(
            type_of("varchar(8)[][]"),
            Ok(ColumnType::Array(Box::new(ColumnType::Array(Box::new(
                ColumnType::Varchar { length: Some(8) }
            )))))
        );
    }

    #[test]
    fn malformed_arguments_are_rejected() {
        assert!(type_of("integer(4)")
            .unwrap_err()
            .contains("takes no arguments"));
        assert!(type_of("varchar(10, 2)")
            .unwrap_err()
            .contains("one length"));
        assert!(type_of("numeric(1,2,3)")
            .unwrap_err()
            .contains("precision and a scale"));
        assert!(type_of("varchar(abc)")
            .unwrap_err()
            .contains("cannot read column type `varchar(abc)`"));
        assert!(type_of("varchar(10")
            .unwrap_err()
            .contains("cannot read column type"));
    }

    #[test]
    fn an_unknown_type_names_itself_and_points_to_sql_type() {
        let message = column(
            r#"name = "email"
type = "citext""#,
        )
        .unwrap_err();
        assert!(
            message.contains("column `email`: unknown column type `citext`"),
            "{message}"
        );
        assert!(message.contains("use `sql_type`"), "{message}");
    }

    #[test]
    fn enum_and_array_need_their_table_form() {
        assert!(type_of("enum")
            .unwrap_err()
            .contains("needs a name and values"));
        assert!(type_of("array").unwrap_err().contains("element type"));
    }

    #[test]
    fn enum_and_array_tables_parse() {
        let mood = column(
            r#"name = "mood"
type = { enum = "mood", values = ["happy", "sad"] }"#,
        )
        .unwrap();
        assert_eq!(
            mood.type_,
            ColumnType::Enum {
                name: "mood".into(),
                values: vec!["happy".into(), "sad".into()]
            }
        );

        let moods = column(
            r#"name = "moods"
type = { array = { enum = "mood", values = ["happy"] } }"#,
        )
        .unwrap();
        assert_eq!(
            moods.type_,
            ColumnType::Array(Box::new(ColumnType::Enum {
                name: "mood".into(),
                values: vec!["happy".into()]
            }))
        );
    }

    #[test]
    fn a_type_table_must_be_one_form_with_known_keys() {
        let mixed = column(
            r#"name = "x"
type = { enum = "mood", array = "text" }"#,
        )
        .unwrap_err();
        assert!(mixed.contains("either { enum = NAME"), "{mixed}");

        let unknown = column(
            r#"name = "x"
type = { enum = "mood", values = [], labels = [] }"#,
        )
        .unwrap_err();
        assert!(unknown.contains("labels"), "{unknown}");
    }

    #[test]
    fn a_minimal_column_is_nullable_with_nothing_else_set() {
        let bio = column(
            r#"name = "bio"
type = "text""#,
        )
        .unwrap();
        assert_eq!(
            bio,
            Column {
                name: "bio".into(),
                type_: ColumnType::Text,
                nullable: true,
                primary_key: false,
                server_default: None,
                unique: false,
                autoincrement: None,
                identity: None,
                comment: None,
                foreign_key: None,
            }
        );
    }

    #[test]
    fn every_column_key_is_read() {
        let owner = column(
            r#"name = "owner_id"
type = "bigint"
nullable = false
server_default = "0"
unique = true
autoincrement = false
identity = { always = true, start = 100, increment = 5 }
comment = "who owns it"
foreign_key = { table = "users", column = "id", schema = "auth", name = "fk_owner", ondelete = "CASCADE", onupdate = "set null" }"#,
        )
        .unwrap();
        assert_eq!(
            owner,
            Column {
                name: "owner_id".into(),
                type_: ColumnType::BigInt,
                nullable: false,
                primary_key: false,
                server_default: Some("0".into()),
                unique: true,
                autoincrement: Some(false),
                identity: Some(Identity {
                    always: true,
                    start: Some(100),
                    increment: Some(5)
                }),
                comment: Some("who owns it".into()),
                foreign_key: Some(ColumnForeignKey {
                    table: "users".into(),
                    column: "id".into(),
                    schema: Some("auth".into()),
                    name: Some("fk_owner".into()),
                    ondelete: Some(ReferentialAction::Cascade),
                    onupdate: Some(ReferentialAction::SetNull),
                }),
            }
        );
    }

    #[test]
    fn a_primary_key_is_not_nullable_and_cannot_be_made_so() {
        let id = column(
            r#"name = "id"
type = "integer"
primary_key = true"#,
        )
        .unwrap();
        assert!(id.primary_key);
        assert!(!id.nullable);

        let message = column(
            r#"name = "id"
type = "integer"
primary_key = true
nullable = true"#,
        )
        .unwrap_err();
        assert!(
            message.contains("column `id` is a primary key"),
            "{message}"
        );
    }

    #[test]
    fn identity_true_means_the_defaults_and_false_means_none() {
        let with = column(
            r#"name = "id"
type = "integer"
identity = true"#,
        )
        .unwrap();
        assert_eq!(with.identity, Some(Identity::default()));
        let without = column(
            r#"name = "id"
type = "integer"
identity = false"#,
        )
        .unwrap();
        assert_eq!(without.identity, None);
    }

    #[test]
    fn foreign_key_paths_name_table_and_column() {
        let plain = column(
            r#"name = "user_id"
type = "integer"
foreign_key = "users.id""#,
        )
        .unwrap()
        .foreign_key
        .unwrap();
        assert_eq!(
            (plain.schema, plain.table.as_str(), plain.column.as_str()),
            (None, "users", "id")
        );

        let qualified = column(
            r#"name = "user_id"
type = "integer"
foreign_key = "auth.users.id""#,
        )
        .unwrap()
        .foreign_key
        .unwrap();
        assert_eq!(qualified.schema.as_deref(), Some("auth"));
        assert_eq!(qualified.table, "users");

        let message = column(
            r#"name = "user_id"
type = "integer"
foreign_key = "users""#,
        )
        .unwrap_err();
        assert!(
            message.contains("foreign key `users` should read"),
            "{message}"
        );
    }

    #[test]
    fn sql_type_passes_through_and_excludes_type() {
        let email = column(
            r#"name = "email"
sql_type = "citext COLLATE \"C\"""#,
        )
        .unwrap();
        assert_eq!(email.type_, ColumnType::Sql("citext COLLATE \"C\"".into()));

        let both = column(
            r#"name = "email"
type = "text"
sql_type = "citext""#,
        )
        .unwrap_err();
        assert!(
            both.contains("column `email`: both `type` and `sql_type` are given"),
            "{both}"
        );

        let neither = column(r#"name = "email""#).unwrap_err();
        assert!(
            neither.contains("column `email` needs a `type`"),
            "{neither}"
        );

        let empty = column(
            r#"name = "email"
sql_type = " ""#,
        )
        .unwrap_err();
        assert!(
            empty.contains("column `email`: `sql_type` is empty"),
            "{empty}"
        );
    }

    #[test]
    fn an_unknown_column_key_is_named() {
        let message = column(
            r#"name = "bio"
type = "text"
nulable = true"#,
        )
        .unwrap_err();
        assert!(message.contains("unknown field `nulable`"), "{message}");
    }
}
