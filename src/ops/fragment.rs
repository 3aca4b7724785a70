//! The SQL fragments typed operations carry, which rendering pastes into its statements as
//! written: a column's `server_default` and `sql_type`, a check's `condition`, an index's
//! `where`, and `alter_column`'s `postgresql_using` and `existing_*` counterparts (derived
//! downgrades render those). Each must be one expression, or one type: a `;`, a comment or a
//! parenthesis closed early would let a fragment end the statement it is pasted into and
//! start another (`server_default = "0; DELETE FROM users"`). Checked when the revision is
//! loaded, so such a file is bad input naming the key, before any database work; raw SQL
//! belongs in an `execute` operation, which the guard reads.
//!
//! The fragment is read with sqlparser's tokenizer, once as PostgreSQL and once as SQLite
//! reads SQL, and refused when either reading finds a separator or a comment: a string literal
//! holding `;` or `--` is one token in both, while text that hides a `;` from one dialect's
//! quoting rules (`E'\'; ...'`, `$$; ...$$`) shows it to the other.

use sqlparser::dialect::{Dialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::tokenizer::{Token, Tokenizer, Whitespace};

use super::{
    AlterColumn, Column, ColumnType, IndexElement, Operation, TableConstraint, TextChange,
};

/// A fragment that is not one expression or type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} must be one SQL {}, but {problem}", describe_key(.key, .owner), .kind.noun())]
pub struct FragmentError {
    /// The key as the file spells it: `server_default`, `condition`, `where`, ...
    pub key: &'static str,
    /// The column or check constraint the key belongs to, within an operation that has several.
    pub owner: Option<String>,
    pub kind: FragmentKind,
    pub problem: Problem,
}

/// What a fragment stands for in the statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FragmentKind {
    Expression,
    Type,
}

impl FragmentKind {
    fn noun(self) -> &'static str {
        match self {
            FragmentKind::Expression => "expression",
            FragmentKind::Type => "type",
        }
    }
}

/// Why a fragment is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("it holds a `;`")]
    Separator,
    #[error("it holds a comment (`{0}`)")]
    Comment(&'static str),
    #[error("it closes a parenthesis it did not open")]
    ClosesUnopened,
    #[error("it leaves a parenthesis open")]
    LeftOpen,
    #[error("{dialect} cannot read it: {message}")]
    Unreadable {
        dialect: &'static str,
        message: String,
    },
}

fn describe_key(key: &str, owner: &Option<String>) -> String {
    match owner {
        Some(owner) => format!("`{key}` of {owner}"),
        None => format!("`{key}`"),
    }
}

/// Checks every SQL fragment of `op`; raw `execute` SQL is not a fragment and is left alone.
pub fn check_fragments(op: &Operation) -> Result<(), FragmentError> {
    match op {
        Operation::CreateTable(op) => {
            check_columns(&op.columns)?;
            check_constraints(&op.constraints)
        }
        Operation::DropTable(op) => {
            check_columns(op.columns.as_deref().unwrap_or_default())?;
            check_constraints(&op.constraints)
        }
        Operation::AddColumn(op) => check_column(&op.column, None),
        Operation::DropColumn(op) => op
            .existing_column
            .as_ref()
            .map_or(Ok(()), |column| check_column(column, None)),
        Operation::AlterColumn(op) => check_alter_column(op),
        Operation::CreateIndex(op) => {
            check_index_elements(&op.columns)?;
            check_optional("where", None, op.where_.as_deref())
        }
        Operation::DropIndex(op) => {
            check_index_elements(op.columns.as_deref().unwrap_or_default())?;
            check_optional("where", None, op.where_.as_deref())
        }
        Operation::CreateCheckConstraint(op) => {
            check("condition", None, FragmentKind::Expression, &op.condition)
        }
        Operation::RenameTable(_)
        | Operation::RenameIndex(_)
        | Operation::RenameConstraint(_)
        | Operation::RenameSequence(_)
        | Operation::CreateUniqueConstraint(_)
        | Operation::CreateForeignKey(_)
        | Operation::CreatePrimaryKey(_)
        | Operation::DropConstraint(_)
        | Operation::CreateTableComment(_)
        | Operation::DropTableComment(_)
        | Operation::CreateEnum(_)
        | Operation::DropEnum(_)
        | Operation::Execute(_)
        | Operation::BulkInsert(_) => Ok(()),
    }
}

fn check_alter_column(op: &AlterColumn) -> Result<(), FragmentError> {
    if let Some(sql) = op.type_.as_ref().and_then(sql_type) {
        check("sql_type", None, FragmentKind::Type, sql)?;
    }
    if let Some(TextChange::Set(default)) = &op.server_default {
        check("server_default", None, FragmentKind::Expression, default)?;
    }
    check_optional("postgresql_using", None, op.postgresql_using.as_deref())?;
    if let Some(sql) = op.existing_type.as_ref().and_then(sql_type) {
        check("existing_sql_type", None, FragmentKind::Type, sql)?;
    }
    check_optional(
        "existing_server_default",
        None,
        op.existing_server_default.as_deref(),
    )
}

/// An index's expressions, each named by its position in `columns`.
fn check_index_elements(elements: &[IndexElement]) -> Result<(), FragmentError> {
    elements
        .iter()
        .enumerate()
        .try_for_each(|(index, element)| match element {
            IndexElement::Expression(sql) => check(
                "expression",
                Some(&format!("columns[{}]", index + 1)),
                FragmentKind::Expression,
                sql,
            ),
            IndexElement::Column(_) => Ok(()),
        })
}

/// The columns of a table, each named in the message, as the operation holds several.
fn check_columns(columns: &[Column]) -> Result<(), FragmentError> {
    columns
        .iter()
        .try_for_each(|column| check_column(column, Some(&column.name)))
}

fn check_column(column: &Column, owner: Option<&str>) -> Result<(), FragmentError> {
    let owner = owner.map(|name| format!("column `{name}`"));
    if let Some(sql) = sql_type(&column.type_) {
        check("sql_type", owner.as_deref(), FragmentKind::Type, sql)?;
    }
    check_optional(
        "server_default",
        owner.as_deref(),
        column.server_default.as_deref(),
    )
}

fn check_constraints(constraints: &[TableConstraint]) -> Result<(), FragmentError> {
    constraints
        .iter()
        .try_for_each(|constraint| match constraint {
            TableConstraint::Check { name, condition } => {
                let owner = match name {
                    Some(name) => format!("check constraint `{name}`"),
                    None => "a check constraint".to_string(),
                };
                check(
                    "condition",
                    Some(&owner),
                    FragmentKind::Expression,
                    condition,
                )
            }
            TableConstraint::PrimaryKey { .. }
            | TableConstraint::Unique { .. }
            | TableConstraint::ForeignKey { .. } => Ok(()),
        })
}

/// The verbatim `sql_type` of a type, an array's element's included.
fn sql_type(type_: &ColumnType) -> Option<&str> {
    match type_ {
        ColumnType::Sql(sql) => Some(sql),
        ColumnType::Array(element) => sql_type(element),
        _ => None,
    }
}

fn check_optional(
    key: &'static str,
    owner: Option<&str>,
    text: Option<&str>,
) -> Result<(), FragmentError> {
    text.map_or(Ok(()), |text| {
        check(key, owner, FragmentKind::Expression, text)
    })
}

fn check(
    key: &'static str,
    owner: Option<&str>,
    kind: FragmentKind,
    text: &str,
) -> Result<(), FragmentError> {
    read_as_one(text).map_err(|problem| FragmentError {
        key,
        owner: owner.map(str::to_string),
        kind,
        problem,
    })
}

/// Whether `text` reads as one expression or type in both dialects, as far as tokens tell:
/// no separator, no comment, and parentheses that close in order.
pub fn read_as_one(text: &str) -> Result<(), Problem> {
    let dialects: [(&'static str, &dyn Dialect); 2] = [
        ("PostgreSQL", &PostgreSqlDialect {}),
        ("SQLite", &SQLiteDialect {}),
    ];
    for (name, dialect) in dialects {
        let tokens =
            Tokenizer::new(dialect, text)
                .tokenize()
                .map_err(|error| Problem::Unreadable {
                    dialect: name,
                    message: error.message,
                })?;
        let mut depth = 0usize;
        for token in &tokens {
            match token {
                Token::SemiColon => return Err(Problem::Separator),
                Token::Whitespace(Whitespace::SingleLineComment { prefix, .. }) => {
                    return Err(Problem::Comment(if prefix == "#" { "#" } else { "--" }))
                }
                Token::Whitespace(Whitespace::MultiLineComment(_)) => {
                    return Err(Problem::Comment("/*"))
                }
                Token::LParen => depth += 1,
                Token::RParen => {
                    depth = depth.checked_sub(1).ok_or(Problem::ClosesUnopened)?;
                }
                _ => {}
            }
        }
        if depth > 0 {
            return Err(Problem::LeftOpen);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_expression_or_type_passes() {
        for text in [
            "now()",
            "CURRENT_TIMESTAMP",
            "'draft'::character varying",
            "gen_random_uuid()",
            "'{}'::jsonb",
            "0",
            "-1.5e3",
            "'it''s'",
            "(a > 0) AND (b < 10)",
            "x IS NOT NULL",
            "citext COLLATE \"C\"",
            "numeric(10, 2)",
            "varchar(20)[]",
            "'a;b'",
            "'a -- b /* c */'",
            "\"odd;name\" > 0",
            "ARRAY['x', 'y']",
            "lower(name) <> ''",
            "'a\\'",
            "nextval('seq'::regclass)",
        ] {
            assert_eq!(read_as_one(text), Ok(()), "{text}");
        }
    }

    #[test]
    fn a_second_statement_a_comment_or_a_stray_parenthesis_is_refused() {
        for (text, problem) in [
            ("0; DELETE FROM users", Problem::Separator),
            ("0;", Problem::Separator),
            ("0 -- rest of the statement", Problem::Comment("--")),
            ("0 /* hidden */", Problem::Comment("/*")),
            ("x > 0), y int, CHECK (1", Problem::ClosesUnopened),
            ("x > 0) OR (1 = 1", Problem::ClosesUnopened),
            ("(x > 0", Problem::LeftOpen),
            // Backslash escapes hide the `;` from PostgreSQL's reading, not from SQLite's.
            ("E'\\'; DROP TABLE users; --'", Problem::Separator),
            ("$$; DROP TABLE users; $$", Problem::Separator),
        ] {
            assert_eq!(read_as_one(text), Err(problem), "{text}");
        }
        for text in ["'unterminated", "\"unterminated", "'a'; '"] {
            assert!(read_as_one(text).is_err(), "{text}");
        }
    }

    fn op(toml_text: &str) -> Operation {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn every_fragment_of_every_operation_is_checked_and_named() {
        for (toml_text, message) in [
            (
                "op = \"add_column\"\ntable_name = \"users\"\ncolumn = { name = \"flag\", type = \"integer\", server_default = \"0; DELETE FROM users\" }",
                "`server_default` must be one SQL expression, but it holds a `;`",
            ),
            (
                "op = \"create_table\"\ntable_name = \"t\"\ncolumns = [{ name = \"a\", type = \"integer\" }, { name = \"b\", sql_type = \"int) ; DROP TABLE t; --\" }]",
                "`sql_type` of column `b` must be one SQL type, but it closes a parenthesis it did not open",
            ),
            (
                "op = \"create_table\"\ntable_name = \"t\"\ncolumns = [{ name = \"a\", type = \"integer\" }]\nconstraints = [{ type = \"check\", name = \"ck\", condition = \"a > 0 -- x\" }]",
                "`condition` of check constraint `ck` must be one SQL expression, but it holds a comment (`--`)",
            ),
            (
                "op = \"drop_table\"\ntable_name = \"t\"\ncolumns = [{ name = \"a\", type = \"integer\", server_default = \"1/*\" }]",
                "`server_default` of column `a` must be one SQL expression",
            ),
            (
                "op = \"drop_column\"\ntable_name = \"t\"\ncolumn_name = \"a\"\nexisting_column = { name = \"a\", type = \"integer\", server_default = \"1;\" }",
                "`server_default` must be one SQL expression, but it holds a `;`",
            ),
            (
                "op = \"alter_column\"\ntable_name = \"t\"\ncolumn_name = \"a\"\nserver_default = \"1; SELECT 1\"",
                "`server_default` must be one SQL expression",
            ),
            (
                "op = \"alter_column\"\ntable_name = \"t\"\ncolumn_name = \"a\"\nsql_type = \"text;\"",
                "`sql_type` must be one SQL type",
            ),
            (
                "op = \"alter_column\"\ntable_name = \"t\"\ncolumn_name = \"a\"\ntype_ = \"text\"\npostgresql_using = \"a::text; DROP TABLE t\"",
                "`postgresql_using` must be one SQL expression",
            ),
            (
                "op = \"alter_column\"\ntable_name = \"t\"\ncolumn_name = \"a\"\nexisting_sql_type = \"text --\"",
                "`existing_sql_type` must be one SQL type",
            ),
            (
                "op = \"alter_column\"\ntable_name = \"t\"\ncolumn_name = \"a\"\nexisting_server_default = \"0;\"",
                "`existing_server_default` must be one SQL expression",
            ),
            (
                "op = \"create_index\"\nindex_name = \"ix\"\ntable_name = \"t\"\ncolumns = [\"a\"]\nwhere = \"a > 0; DROP TABLE t\"",
                "`where` must be one SQL expression",
            ),
            (
                "op = \"drop_index\"\nindex_name = \"ix\"\nwhere = \"(a > 0\"",
                "`where` must be one SQL expression, but it leaves a parenthesis open",
            ),
            (
                "op = \"create_check_constraint\"\nconstraint_name = \"ck\"\ntable_name = \"t\"\ncondition = \"a > 0; DROP TABLE t\"",
                "`condition` must be one SQL expression",
            ),
        ] {
            let error = check_fragments(&op(toml_text)).unwrap_err().to_string();
            assert!(error.starts_with(message), "{toml_text}\n{error}");
        }
    }

    #[test]
    fn raw_execute_sql_and_good_fragments_pass() {
        for toml_text in [
            "op = \"execute\"\nsqltext = \"CREATE TABLE a (x int); -- two statements\\nCREATE TABLE b (y int)\"",
            "op = \"add_column\"\ntable_name = \"users\"\ncolumn = { name = \"status\", type = \"varchar(16)\", server_default = \"'draft'::character varying\" }",
            "op = \"alter_column\"\ntable_name = \"t\"\ncolumn_name = \"a\"\nsql_type = \"citext COLLATE \\\"C\\\"\"\npostgresql_using = \"a::citext\"\nserver_default = false",
        ] {
            assert_eq!(check_fragments(&op(toml_text)), Ok(()), "{toml_text}");
        }
    }
}
