//! SQL text read as the database that runs it reads it: sqlparser in the dialect's mode, one
//! statement at a time, and the names in it folded as the database folds them. The guard
//! (what raw SQL destroys) and the lock report (what lock each statement takes) both read SQL
//! through here, so that both see the same statements in the same text.

use sqlparser::ast::{Ident, ObjectName, ObjectNamePart, Statement};
use sqlparser::dialect::{Dialect as SqlDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::dialect::Dialect;

/// The longest SQL quoted in a report; longer statements are cut with an ellipsis.
const QUOTED_SQL_LIMIT: usize = 80;

/// Functions that read or compute and change nothing: calling them is safe anywhere. Any other
/// function may be user code (PL/pgSQL can delete rows), so a call of it may destroy.
pub(crate) const PURE_FUNCTIONS: &[&str] = &[
    "abs",
    "array_agg",
    "array_length",
    "avg",
    "bool_and",
    "bool_or",
    "btrim",
    "cast",
    "ceil",
    "ceiling",
    "char_length",
    "coalesce",
    "concat",
    "concat_ws",
    "count",
    "current_date",
    "current_schema",
    "current_setting",
    "current_time",
    "current_timestamp",
    "current_user",
    "date",
    "date_part",
    "date_trunc",
    "datetime",
    "encode",
    "decode",
    "every",
    "exists",
    "extract",
    "floor",
    "format",
    "gen_random_uuid",
    "generate_series",
    "greatest",
    "hex",
    "ifnull",
    "initcap",
    "instr",
    "json",
    "json_agg",
    "json_array",
    "json_build_array",
    "json_build_object",
    "json_extract",
    "json_object",
    "jsonb_agg",
    "jsonb_build_array",
    "jsonb_build_object",
    "jsonb_set",
    "julianday",
    "least",
    "left",
    "length",
    "localtime",
    "localtimestamp",
    "lower",
    "lpad",
    "ltrim",
    "max",
    "md5",
    "min",
    "mod",
    "nextval",
    "now",
    "nullif",
    "octet_length",
    "position",
    "power",
    "printf",
    "quote_ident",
    "quote_literal",
    "random",
    "regexp_replace",
    "repeat",
    "replace",
    "right",
    "round",
    "row_number",
    "rpad",
    "rtrim",
    "sign",
    "split_part",
    "sqrt",
    "statement_timestamp",
    "strftime",
    "string_agg",
    "substr",
    "substring",
    "sum",
    "time",
    "timezone",
    "to_char",
    "to_date",
    "to_json",
    "to_jsonb",
    "to_number",
    "to_timestamp",
    "transaction_timestamp",
    "trim",
    "trunc",
    "typeof",
    "unixepoch",
    "upper",
    "uuid_generate_v4",
];

/// Parses `sql` one statement at a time, handing each to `visit` and dropping it before the
/// next: a migration of 100,000 statements holds one syntax tree at a time, not all of them
/// (as `Parser::parse_sql` would: 1.4 GB for 100,000 `SELECT 1`).
pub(crate) fn for_each_statement(
    sql: &str,
    dialect: &dyn SqlDialect,
    mut visit: impl FnMut(&Statement),
) -> Result<(), ParserError> {
    let mut parser = Parser::new(dialect).try_with_sql(sql)?;
    let mut expecting_delimiter = false;
    loop {
        while parser.consume_token(&Token::SemiColon) {
            expecting_delimiter = false;
        }
        match &parser.peek_token_ref().token {
            Token::EOF => return Ok(()),
            Token::Word(word) if expecting_delimiter && word.keyword == Keyword::END => {
                return Ok(())
            }
            _ => {}
        }
        if expecting_delimiter {
            return parser.expected("end of statement", parser.peek_token());
        }
        visit(&parser.parse_statement()?);
        expecting_delimiter = true;
    }
}

/// The parser for the SQL `dialect` runs.
pub(crate) fn parser_dialect(dialect: Dialect) -> &'static dyn SqlDialect {
    match dialect {
        Dialect::Postgresql => &PostgreSqlDialect {},
        Dialect::Sqlite => &SQLiteDialect {},
        Dialect::Mysql => &MySqlDialect {},
    }
}

/// The statements of `sql`, split at the semicolons the dialect's tokenizer sees between
/// statements (not those inside strings, dollar quotes or comments); None when it cannot
/// tokenize the text at all.
pub(crate) fn split_statements(sql: &str, dialect: &dyn SqlDialect) -> Option<Vec<String>> {
    let tokens = Tokenizer::new(dialect, sql).tokenize().ok()?;
    let mut pieces = Vec::new();
    let mut current = String::new();
    for token in tokens {
        if token == Token::SemiColon {
            pieces.push(std::mem::take(&mut current));
        } else {
            current.push_str(&token.to_string());
        }
    }
    pieces.push(current);
    Some(
        pieces
            .into_iter()
            .filter(|piece| !words(piece, dialect).is_empty())
            .collect(),
    )
}

/// The tokens of `sql` without whitespace and comments; none when it cannot be tokenized.
pub(crate) fn tokens(sql: &str, dialect: &dyn SqlDialect) -> Vec<Token> {
    Tokenizer::new(dialect, sql)
        .tokenize()
        .unwrap_or_default()
        .into_iter()
        .filter(|token| !matches!(token, Token::Whitespace(_)))
        .collect()
}

/// The words and symbols of `sql`, upper-cased, without whitespace and comments.
pub(crate) fn words(sql: &str, dialect: &dyn SqlDialect) -> Vec<String> {
    tokens(sql, dialect)
        .into_iter()
        .map(|token| match token {
            Token::Word(word) => word.value.to_ascii_uppercase(),
            other => other.to_string(),
        })
        .collect()
}

/// `[database.][schema.]name` as (schema, name), identifiers folded as the database folds them.
pub(crate) fn split_name(name: &ObjectName) -> (Option<String>, String) {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(ident) => identifier(ident),
            other => other.to_string(),
        })
        .collect();
    match parts.as_slice() {
        [] => (None, String::new()),
        [.., schema, last] => (Some(schema.clone()), last.clone()),
        [last] => (None, last.clone()),
    }
}

/// An unquoted identifier is folded to lower case, as PostgreSQL does (SQLite ignores case), so
/// that it compares with the names revision files write; a quoted one is kept as written.
pub(crate) fn identifier(ident: &Ident) -> String {
    match ident.quote_style {
        Some(_) => ident.value.clone(),
        None => ident.value.to_lowercase(),
    }
}

/// `sql` on one line, its whitespace runs each one space.
pub(crate) fn one_line(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` cut to fit on a report line.
pub(crate) fn cut(text: &str) -> String {
    if text.chars().count() <= QUOTED_SQL_LIMIT {
        return text.to_string();
    }
    let cut: String = text.chars().take(QUOTED_SQL_LIMIT).collect();
    format!("{cut}...")
}
