//! Reading and changing a SQLite `CREATE TABLE` statement, for the table rebuild of the
//! parent module (step 3 of its procedure): SQL split into tokens, the statement's body split
//! into its column definitions and table constraints, and a change applied by rewriting only
//! the parts it touches, so that every other part is written back exactly as it was. The
//! rebuild also uses the tokens on the SQL of the table's indexes and triggers.

use crate::ops::sql::{self as render, TableChange};
use crate::ops::{AlterColumn, ConstraintKind, TableConstraint, TextChange};

use super::quote;

/// What a token is, as far as the rebuild needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A keyword, a bare name or a number.
    Word,
    /// `"name"`, `[name]` or `` `name` ``.
    Quoted,
    /// `'text'`.
    Text,
    Open,
    Close,
    Comma,
    Dot,
    /// Any other punctuation or operator character.
    Other,
}

/// One token: its kind and its byte range in the SQL.
#[derive(Debug, Clone, Copy)]
pub(super) struct Token {
    pub(super) kind: Kind,
    pub(super) start: usize,
    end: usize,
}

impl Token {
    fn text<'s>(&self, sql: &'s str) -> &'s str {
        &sql[self.start..self.end]
    }

    pub(super) fn is_keyword(&self, sql: &str, keyword: &str) -> bool {
        self.kind == Kind::Word && self.text(sql).eq_ignore_ascii_case(keyword)
    }

    /// The name the token spells, quotes removed; None for what cannot be a name.
    fn name(&self, sql: &str) -> Option<String> {
        let text = self.text(sql);
        match self.kind {
            Kind::Word => Some(text.to_string()),
            Kind::Quoted | Kind::Text => {
                let inner = &text[1..text.len() - 1];
                Some(match text.as_bytes()[0] {
                    b'"' => inner.replace("\"\"", "\""),
                    b'`' => inner.replace("``", "`"),
                    b'\'' => inner.replace("''", "'"),
                    _ => inner.to_string(),
                })
            }
            _ => None,
        }
    }

    /// Whether the token is a name equal to `name` (SQLite compares names case-insensitively).
    pub(super) fn names(&self, sql: &str, name: &str) -> bool {
        matches!(self.kind, Kind::Word | Kind::Quoted)
            && self
                .name(sql)
                .is_some_and(|own| own.eq_ignore_ascii_case(name))
    }
}

/// Splits SQL into tokens, skipping white space and comments.
pub(super) fn tokenize(sql: &str) -> Result<Vec<Token>, String> {
    let bytes = sql.as_bytes();
    let mut tokens = Vec::new();
    let mut at = 0;
    let is_word_byte =
        |byte: u8| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'$' || byte >= 0x80;
    while at < bytes.len() {
        let start = at;
        let byte = bytes[at];
        let kind = match byte {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0c => {
                at += 1;
                continue;
            }
            b'-' if bytes.get(at + 1) == Some(&b'-') => {
                at = sql[at..].find('\n').map_or(bytes.len(), |end| at + end + 1);
                continue;
            }
            b'/' if bytes.get(at + 1) == Some(&b'*') => {
                at = sql[at + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |end| at + 2 + end + 2);
                continue;
            }
            b'\'' | b'"' | b'`' | b'[' => {
                let close = if byte == b'[' { b']' } else { byte };
                at += 1;
                loop {
                    match bytes.get(at) {
                        None => return Err(format!("unterminated quote in `{sql}`")),
                        Some(&found) if found == close => {
                            if close != b']' && bytes.get(at + 1) == Some(&close) {
                                at += 2;
                            } else {
                                at += 1;
                                break;
                            }
                        }
                        Some(_) => at += 1,
                    }
                }
                if byte == b'\'' {
                    Kind::Text
                } else {
                    Kind::Quoted
                }
            }
            b'(' => {
                at += 1;
                Kind::Open
            }
            b')' => {
                at += 1;
                Kind::Close
            }
            b',' => {
                at += 1;
                Kind::Comma
            }
            b'.' if !bytes.get(at + 1).is_some_and(u8::is_ascii_digit) => {
                at += 1;
                Kind::Dot
            }
            byte if byte.is_ascii_digit() || byte == b'.' => {
                // A number: digits, a point, an exponent with its sign, hex digits.
                at += 1;
                while let Some(&next) = bytes.get(at) {
                    let exponent_sign = matches!(next, b'+' | b'-')
                        && matches!(bytes[at - 1], b'e' | b'E')
                        && !sql[start..at].starts_with("0x")
                        && !sql[start..at].starts_with("0X");
                    if is_word_byte(next) || next == b'.' || exponent_sign {
                        at += 1;
                    } else {
                        break;
                    }
                }
                Kind::Word
            }
            byte if is_word_byte(byte) => {
                while bytes.get(at).is_some_and(|&next| is_word_byte(next)) {
                    at += 1;
                }
                Kind::Word
            }
            _ => {
                at += sql[at..].chars().next().map_or(1, char::len_utf8);
                Kind::Other
            }
        };
        tokens.push(Token {
            kind,
            start,
            end: at,
        });
    }
    Ok(tokens)
}

/// A walk over the tokens of one part of a statement.
struct Cursor<'a> {
    sql: &'a str,
    tokens: &'a [Token],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<&'a Token> {
        self.tokens.get(self.at)
    }

    fn at_keyword(&self, keyword: &str) -> bool {
        self.peek()
            .is_some_and(|token| token.is_keyword(self.sql, keyword))
    }

    fn at_any_keyword(&self, keywords: &[&str]) -> bool {
        keywords.iter().any(|keyword| self.at_keyword(keyword))
    }

    fn done(&self) -> bool {
        self.at >= self.tokens.len()
    }

    fn describe_here(&self) -> String {
        match self.peek() {
            Some(token) => format!("`{}`", token.text(self.sql)),
            None => "the end".to_string(),
        }
    }

    fn keyword(&mut self, keyword: &str) -> Result<(), String> {
        if self.at_keyword(keyword) {
            self.at += 1;
            Ok(())
        } else {
            Err(format!(
                "expected {keyword}, found {}",
                self.describe_here()
            ))
        }
    }

    fn optional(&mut self, keywords: &[&str]) -> bool {
        if self.at_any_keyword(keywords) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn name(&mut self) -> Result<String, String> {
        let token = self
            .peek()
            .filter(|token| matches!(token.kind, Kind::Word | Kind::Quoted | Kind::Text))
            .ok_or_else(|| format!("expected a name, found {}", self.describe_here()))?;
        self.at += 1;
        Ok(token.name(self.sql).unwrap_or_default())
    }

    /// A parenthesised group, returned as the token range inside the parentheses.
    fn group(&mut self) -> Result<std::ops::Range<usize>, String> {
        if self.peek().map(|token| token.kind) != Some(Kind::Open) {
            return Err(format!("expected `(`, found {}", self.describe_here()));
        }
        let open = self.at;
        let mut depth = 0usize;
        while let Some(token) = self.peek() {
            self.at += 1;
            match token.kind {
                Kind::Open => depth += 1,
                Kind::Close => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(open + 1..self.at - 1);
                    }
                }
                _ => {}
            }
        }
        Err("unbalanced parentheses".to_string())
    }

    /// `ON CONFLICT {ROLLBACK | ABORT | FAIL | IGNORE | REPLACE}`, if there.
    fn conflict_clause(&mut self) -> Result<(), String> {
        if self.at_keyword("ON") {
            self.at += 1;
            self.keyword("CONFLICT")?;
            if !self.optional(&["ROLLBACK", "ABORT", "FAIL", "IGNORE", "REPLACE"]) {
                return Err(format!(
                    "expected a conflict resolution, found {}",
                    self.describe_here()
                ));
            }
        }
        Ok(())
    }

    /// `REFERENCES table [(columns)] [ON ... | MATCH ... | [NOT] DEFERRABLE ...]*`.
    fn references(&mut self) -> Result<String, String> {
        self.keyword("REFERENCES")?;
        let table = self.name()?;
        if self.peek().map(|token| token.kind) == Some(Kind::Open) {
            self.group()?;
        }
        loop {
            if self.at_keyword("ON") {
                self.at += 1;
                if !self.optional(&["DELETE", "UPDATE"]) {
                    return Err(format!(
                        "expected DELETE or UPDATE, found {}",
                        self.describe_here()
                    ));
                }
                if self.optional(&["SET"]) {
                    if !self.optional(&["NULL", "DEFAULT"]) {
                        return Err(format!(
                            "expected NULL or DEFAULT, found {}",
                            self.describe_here()
                        ));
                    }
                } else if self.optional(&["NO"]) {
                    self.keyword("ACTION")?;
                } else if !self.optional(&["CASCADE", "RESTRICT"]) {
                    return Err(format!(
                        "expected a foreign key action, found {}",
                        self.describe_here()
                    ));
                }
            } else if self.at_keyword("MATCH") {
                self.at += 1;
                self.name()?;
            } else if self.at_keyword("NOT")
                && self
                    .tokens
                    .get(self.at + 1)
                    .is_some_and(|token| token.is_keyword(self.sql, "DEFERRABLE"))
            {
                self.at += 1;
            } else if self.at_keyword("DEFERRABLE") {
                self.at += 1;
                if self.optional(&["INITIALLY"]) && !self.optional(&["DEFERRED", "IMMEDIATE"]) {
                    return Err(format!(
                        "expected DEFERRED or IMMEDIATE, found {}",
                        self.describe_here()
                    ));
                }
            } else {
                return Ok(table);
            }
        }
    }

    /// The column names of a `(a, b COLLATE x DESC)` list, by the first token of each item.
    fn column_list(&self, range: std::ops::Range<usize>) -> Vec<String> {
        let mut names = Vec::new();
        let mut item_start = true;
        let mut depth = 0usize;
        for token in &self.tokens[range] {
            match token.kind {
                Kind::Open => depth += 1,
                Kind::Close => depth = depth.saturating_sub(1),
                Kind::Comma if depth == 0 => {
                    item_start = true;
                    continue;
                }
                _ => {}
            }
            if item_start {
                if let Some(name) = token.name(self.sql).filter(|_| depth == 0) {
                    names.push(name);
                }
                item_start = false;
            }
        }
        names
    }
}

/// What a column constraint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ColumnPart {
    PrimaryKey,
    NotNull,
    Null,
    Unique,
    Check,
    Default,
    Collate,
    References,
    Generated,
}

/// A constraint of a column definition, `CONSTRAINT name` included.
#[derive(Debug, Clone)]
pub(super) struct ColumnConstraint {
    name: Option<String>,
    pub(super) part: ColumnPart,
    pub(super) text: String,
    /// For a CHECK or a generated column: the names its expression uses.
    pub(super) mentions: Vec<String>,
}

/// A column definition: name, declared type, constraints.
#[derive(Debug, Clone)]
pub(super) struct ColumnDefinition {
    name: String,
    name_text: String,
    pub(super) type_text: String,
    pub(super) constraints: Vec<ColumnConstraint>,
}

/// What a table constraint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TablePart {
    PrimaryKey,
    Unique,
    Check,
    ForeignKey,
}

#[derive(Debug, Clone)]
pub(super) struct TableConstraintDefinition {
    pub(super) name: Option<String>,
    pub(super) part: TablePart,
    /// The columns it constrains; for a CHECK, the names its expression uses.
    pub(super) columns: Vec<String>,
}

#[derive(Debug, Clone)]
pub(super) enum ElementKind {
    Column(ColumnDefinition),
    Constraint(TableConstraintDefinition),
}

/// One comma-separated element of the table's body, with the white space around it kept so
/// that untouched elements are written back exactly as they were.
#[derive(Debug, Clone)]
pub(super) struct Element {
    lead: String,
    core: String,
    trail: String,
    pub(super) kind: ElementKind,
}

/// A `CREATE TABLE` statement split into what a rebuild changes.
#[derive(Debug, Clone)]
pub(super) struct TableDefinition {
    pub(super) elements: Vec<Element>,
    /// What follows the body: `WITHOUT ROWID`, `STRICT`.
    options: String,
}

const COLUMN_CONSTRAINT_STARTS: [&str; 11] = [
    "CONSTRAINT",
    "PRIMARY",
    "NOT",
    "NULL",
    "UNIQUE",
    "CHECK",
    "DEFAULT",
    "COLLATE",
    "REFERENCES",
    "GENERATED",
    "AS",
];

impl TableDefinition {
    pub(super) fn parse(sql: &str) -> Result<TableDefinition, String> {
        let tokens = tokenize(sql)?;
        let open = tokens
            .iter()
            .position(|token| token.kind == Kind::Open)
            .ok_or("its CREATE TABLE text has no column list")?;
        if !tokens
            .first()
            .is_some_and(|token| token.is_keyword(sql, "CREATE"))
            || !tokens[..open]
                .iter()
                .any(|token| token.is_keyword(sql, "TABLE"))
        {
            return Err("its SQL is not a CREATE TABLE statement".to_string());
        }
        let mut cursor = Cursor {
            sql,
            tokens: &tokens,
            at: open,
        };
        let body = cursor.group()?;
        let close = &tokens[body.end];
        let options = sql[close.end..]
            .trim_end_matches([';', ' ', '\n', '\t', '\r'])
            .to_string();

        // Split the body at its top-level commas.
        let mut parts = Vec::new();
        let mut depth = 0usize;
        let mut part_start = body.start;
        for index in body.clone() {
            match tokens[index].kind {
                Kind::Open => depth += 1,
                Kind::Close => depth -= 1,
                Kind::Comma if depth == 0 => {
                    parts.push(part_start..index);
                    part_start = index + 1;
                }
                _ => {}
            }
        }
        parts.push(part_start..body.end);

        let mut elements = Vec::new();
        let mut text_start = tokens[open].end;
        for (position, range) in parts.iter().enumerate() {
            if range.is_empty() {
                return Err("its column list has an empty element".to_string());
            }
            let text_end = if position + 1 == parts.len() {
                close.start
            } else {
                tokens[range.end].start
            };
            let core_start = tokens[range.start].start;
            let core_end = tokens[range.end - 1].end;
            let element_tokens = &tokens[range.clone()];
            let core = &sql[core_start..core_end];
            let kind = parse_element(sql, element_tokens)
                .map_err(|problem| format!("cannot read `{core}`: {problem}"))?;
            elements.push(Element {
                lead: sql[text_start..core_start].to_string(),
                core: core.to_string(),
                trail: sql[core_end..text_end].to_string(),
                kind,
            });
            text_start = text_end + 1;
        }
        Ok(TableDefinition { elements, options })
    }

    pub(super) fn column_names(&self) -> impl Iterator<Item = &str> {
        self.elements
            .iter()
            .filter_map(|element| match &element.kind {
                ElementKind::Column(column) => Some(column.name.as_str()),
                ElementKind::Constraint(_) => None,
            })
    }

    fn column_position(&self, name: &str) -> Option<usize> {
        self.elements.iter().position(|element| {
            matches!(&element.kind, ElementKind::Column(column) if column.name.eq_ignore_ascii_case(name))
        })
    }

    pub(super) fn create_sql(&self, qualified_name: &str) -> String {
        let body: Vec<String> = self
            .elements
            .iter()
            .map(|element| format!("{}{}{}", element.lead, element.core, element.trail))
            .collect();
        format!(
            "CREATE TABLE {qualified_name} ({}){}",
            body.join(","),
            self.options
        )
    }

    /// Inserts a new element at `index`, spaced like its neighbours.
    fn insert(&mut self, index: usize, core: String, kind: ElementKind) {
        let lead = self
            .elements
            .get(index.saturating_sub(1))
            .map_or(" ".to_string(), |element| element.lead.clone());
        let mut trail = String::new();
        if index == self.elements.len() {
            if let Some(last) = self.elements.last_mut() {
                trail = std::mem::take(&mut last.trail);
            }
        }
        self.elements.insert(
            index,
            Element {
                lead,
                core,
                trail,
                kind,
            },
        );
    }

    /// Removes an element; its neighbours take over the white space at the body's ends.
    fn remove(&mut self, index: usize) {
        let removed = self.elements.remove(index);
        if index == 0 {
            if let Some(first) = self.elements.first_mut() {
                first.lead = removed.lead;
            }
        } else if index == self.elements.len() {
            if let Some(last) = self.elements.last_mut() {
                last.trail = removed.trail;
            }
        }
    }

    /// The name that reaches the table's rowid: `rowid`, or `_rowid_` or `oid` where a column
    /// takes that name; None for a `WITHOUT ROWID` table or one whose columns take all three.
    pub(super) fn rowid_name(&self) -> Option<&'static str> {
        let without_rowid = tokenize(&self.options).is_ok_and(|tokens| {
            tokens
                .iter()
                .any(|token| token.is_keyword(&self.options, "WITHOUT"))
        });
        if without_rowid {
            return None;
        }
        ["rowid", "_rowid_", "oid"].into_iter().find(|name| {
            !self
                .column_names()
                .any(|column| column.eq_ignore_ascii_case(name))
        })
    }

    fn has_primary_key(&self) -> bool {
        self.elements.iter().any(|element| match &element.kind {
            ElementKind::Column(column) => column
                .constraints
                .iter()
                .any(|constraint| constraint.part == ColumnPart::PrimaryKey),
            ElementKind::Constraint(constraint) => constraint.part == TablePart::PrimaryKey,
        })
    }

    /// Applies the change; returns the column it drops, if any.
    pub(super) fn apply(
        &mut self,
        change: &TableChange,
        schema: Option<&str>,
    ) -> Result<Option<String>, String> {
        match change {
            TableChange::AddColumn(column) => {
                if self.column_position(&column.name).is_some() {
                    return Err(format!("it already has a column {}", quote(&column.name)));
                }
                if column.primary_key && self.has_primary_key() {
                    return Err("it already has a primary key".to_string());
                }
                let core = render::sqlite_column_definition(column, schema)?;
                let kind = parse_element(&core, &tokenize(&core)?)?;
                let after_columns = self
                    .elements
                    .iter()
                    .rposition(|element| matches!(element.kind, ElementKind::Column(_)))
                    .map_or(0, |last| last + 1);
                self.insert(after_columns, core, kind);
                Ok(None)
            }
            TableChange::DropColumn { column_name } => {
                self.drop_column(column_name)?;
                Ok(Some(column_name.clone()))
            }
            TableChange::AlterColumn(alter) => {
                self.alter_column(alter, schema)?;
                Ok(None)
            }
            TableChange::AddConstraint(constraint) => {
                self.add_constraint(constraint, schema)?;
                Ok(None)
            }
            TableChange::DropConstraint { name, type_ } => {
                self.drop_constraint(name, *type_)?;
                Ok(None)
            }
        }
    }

    fn drop_column(&mut self, column_name: &str) -> Result<(), String> {
        let position = self
            .column_position(column_name)
            .ok_or_else(|| format!("it has no column {}", quote(column_name)))?;
        if self.column_names().count() == 1 {
            return Err(format!(
                "{} is its only column, and a table needs one",
                quote(column_name)
            ));
        }
        self.remove(position);
        // As PostgreSQL does: constraints that involve the column go with it.
        let mentions = |names: &[String]| {
            names
                .iter()
                .any(|name| name.eq_ignore_ascii_case(column_name))
        };
        let mut index = 0;
        while index < self.elements.len() {
            let element = &mut self.elements[index];
            match &mut element.kind {
                ElementKind::Constraint(constraint) if mentions(&constraint.columns) => {
                    self.remove(index);
                    continue;
                }
                ElementKind::Column(column) => {
                    if let Some(generated) = column.constraints.iter().find(|constraint| {
                        constraint.part == ColumnPart::Generated && mentions(&constraint.mentions)
                    }) {
                        return Err(format!(
                            "generated column {} is computed from {}: `{}`",
                            quote(&column.name),
                            quote(column_name),
                            generated.text
                        ));
                    }
                    let before = column.constraints.len();
                    column.constraints.retain(|constraint| {
                        !(constraint.part == ColumnPart::Check && mentions(&constraint.mentions))
                    });
                    if column.constraints.len() != before {
                        element.core = column.render();
                    }
                }
                ElementKind::Constraint(_) => {}
            }
            index += 1;
        }
        Ok(())
    }

    fn alter_column(&mut self, alter: &AlterColumn, schema: Option<&str>) -> Result<(), String> {
        let position = self
            .column_position(&alter.column_name)
            .ok_or_else(|| format!("it has no column {}", quote(&alter.column_name)))?;
        let element = &mut self.elements[position];
        let ElementKind::Column(column) = &mut element.kind else {
            unreachable!("column_position finds columns only")
        };
        if let Some(type_) = &alter.type_ {
            column.type_text = render::sqlite_column_type(type_, schema)?;
        }
        let not_null = ColumnConstraint {
            name: None,
            part: ColumnPart::NotNull,
            text: "NOT NULL".to_string(),
            mentions: Vec::new(),
        };
        if let Some(nullable) = alter.nullable {
            let kept = column
                .constraints
                .iter()
                .position(|constraint| constraint.part == ColumnPart::NotNull);
            let named_not_null = kept.and_then(|at| column.constraints[at].name.clone());
            column.constraints.retain(|constraint| {
                !matches!(constraint.part, ColumnPart::NotNull | ColumnPart::Null)
            });
            if !nullable {
                // Where it was, or first, as `create_table` writes it.
                let at = kept.unwrap_or(0).min(column.constraints.len());
                let mut constraint = not_null;
                if let Some(name) = named_not_null {
                    constraint.text = format!("CONSTRAINT {} NOT NULL", quote(&name));
                    constraint.name = Some(name);
                }
                column.constraints.insert(at, constraint);
            }
        }
        if let Some(change) = &alter.server_default {
            let existing = column
                .constraints
                .iter()
                .position(|constraint| constraint.part == ColumnPart::Default);
            column
                .constraints
                .retain(|constraint| constraint.part != ColumnPart::Default);
            if let TextChange::Set(default) = change {
                // Where it was, or after NOT NULL, as `create_table` writes it.
                let at = existing
                    .or_else(|| {
                        column
                            .constraints
                            .iter()
                            .position(|constraint| {
                                matches!(constraint.part, ColumnPart::NotNull | ColumnPart::Null)
                            })
                            .map(|at| at + 1)
                    })
                    .unwrap_or(0)
                    .min(column.constraints.len());
                column.constraints.insert(
                    at,
                    ColumnConstraint {
                        name: None,
                        part: ColumnPart::Default,
                        text: render::sqlite_default_clause(default),
                        mentions: Vec::new(),
                    },
                );
            }
        }
        element.core = column.render();
        Ok(())
    }

    fn add_constraint(
        &mut self,
        constraint: &TableConstraint,
        schema: Option<&str>,
    ) -> Result<(), String> {
        let name = match constraint {
            TableConstraint::PrimaryKey { name, .. }
            | TableConstraint::Unique { name, .. }
            | TableConstraint::Check { name, .. }
            | TableConstraint::ForeignKey { name, .. } => name,
        };
        if let Some(name) = name {
            if self.constraint_named(name).is_some() {
                return Err(format!("it already has a constraint named {}", quote(name)));
            }
        }
        if matches!(constraint, TableConstraint::PrimaryKey { .. }) && self.has_primary_key() {
            return Err("it already has a primary key; drop that first".to_string());
        }
        let core = render::sqlite_constraint_clause(constraint, schema)?;
        let kind = parse_element(&core, &tokenize(&core)?)?;
        let end = self.elements.len();
        self.insert(end, core, kind);
        Ok(())
    }

    /// Where the constraint called `name` is: the element, and the column constraint's index
    /// when it is written on a column.
    fn constraint_named(&self, name: &str) -> Option<(usize, Option<usize>)> {
        self.elements
            .iter()
            .enumerate()
            .find_map(|(index, element)| match &element.kind {
                ElementKind::Constraint(constraint)
                    if constraint
                        .name
                        .as_deref()
                        .is_some_and(|own| own.eq_ignore_ascii_case(name)) =>
                {
                    Some((index, None))
                }
                ElementKind::Column(column) => column
                    .constraints
                    .iter()
                    .position(|constraint| {
                        constraint
                            .name
                            .as_deref()
                            .is_some_and(|own| own.eq_ignore_ascii_case(name))
                    })
                    .map(|at| (index, Some(at))),
                ElementKind::Constraint(_) => None,
            })
    }

    /// The table's primary key, wherever it is written.
    fn primary_key(&self) -> Option<(usize, Option<usize>)> {
        self.elements
            .iter()
            .enumerate()
            .find_map(|(index, element)| match &element.kind {
                ElementKind::Constraint(constraint) if constraint.part == TablePart::PrimaryKey => {
                    Some((index, None))
                }
                ElementKind::Column(column) => column
                    .constraints
                    .iter()
                    .position(|constraint| constraint.part == ColumnPart::PrimaryKey)
                    .map(|at| (index, Some(at))),
                ElementKind::Constraint(_) => None,
            })
    }

    fn drop_constraint(&mut self, name: &str, type_: Option<ConstraintKind>) -> Result<(), String> {
        // A table has one primary key whatever it is called, and SQLite's usually has no name
        // (PostgreSQL calls it `<table>_pkey`), so `type_ = "primary"` finds it by its kind.
        let found = self.constraint_named(name).or_else(|| {
            (type_ == Some(ConstraintKind::Primary))
                .then(|| self.primary_key())
                .flatten()
        });
        let (index, on_column) = found.ok_or_else(|| {
            format!(
                "it has no constraint named {}; SQLite knows a constraint only by the name its CREATE TABLE gave it",
                quote(name)
            )
        })?;
        let element = &mut self.elements[index];
        let kind = match (&element.kind, on_column) {
            (ElementKind::Constraint(constraint), _) => Some(match constraint.part {
                TablePart::PrimaryKey => ConstraintKind::Primary,
                TablePart::Unique => ConstraintKind::Unique,
                TablePart::Check => ConstraintKind::Check,
                TablePart::ForeignKey => ConstraintKind::ForeignKey,
            }),
            (ElementKind::Column(column), Some(at)) => match column.constraints[at].part {
                ColumnPart::PrimaryKey => Some(ConstraintKind::Primary),
                ColumnPart::Unique => Some(ConstraintKind::Unique),
                ColumnPart::Check => Some(ConstraintKind::Check),
                ColumnPart::References => Some(ConstraintKind::ForeignKey),
                _ => None,
            },
            (ElementKind::Column(_), None) => None,
        };
        if let Some(expected) = type_ {
            if kind != Some(expected) {
                return Err(format!(
                    "its constraint {} is not a {} constraint",
                    quote(name),
                    kind_name(expected)
                ));
            }
        }
        match (&mut element.kind, on_column) {
            (ElementKind::Column(column), Some(at)) => {
                column.constraints.remove(at);
                element.core = column.render();
            }
            _ => self.remove(index),
        }
        Ok(())
    }
}

fn kind_name(kind: ConstraintKind) -> &'static str {
    match kind {
        ConstraintKind::ForeignKey => "foreign key",
        ConstraintKind::Unique => "unique",
        ConstraintKind::Check => "check",
        ConstraintKind::Primary => "primary key",
    }
}

impl ColumnDefinition {
    fn render(&self) -> String {
        let mut text = self.name_text.clone();
        for part in std::iter::once(self.type_text.as_str()).chain(
            self.constraints
                .iter()
                .map(|constraint| constraint.text.as_str()),
        ) {
            if !part.is_empty() {
                text.push(' ');
                text.push_str(part);
            }
        }
        text
    }
}

/// Keywords of expressions, which are not names when written bare.
const EXPRESSION_KEYWORDS: [&str; 22] = [
    "AND", "OR", "NOT", "IS", "NULL", "IN", "LIKE", "GLOB", "REGEXP", "MATCH", "BETWEEN", "CASE",
    "WHEN", "THEN", "ELSE", "END", "CAST", "AS", "COLLATE", "ESCAPE", "EXISTS", "DISTINCT",
];

/// The names used in a token range: quoted names, and bare words other than numbers, function
/// names and expression keywords.
fn names_used(sql: &str, tokens: &[Token]) -> Vec<String> {
    tokens
        .iter()
        .enumerate()
        .filter(|(index, token)| match token.kind {
            Kind::Quoted => true,
            Kind::Word => {
                let text = token.text(sql);
                !text.starts_with(|c: char| c.is_ascii_digit())
                    && !EXPRESSION_KEYWORDS
                        .iter()
                        .any(|keyword| text.eq_ignore_ascii_case(keyword))
                    && tokens.get(index + 1).map(|next| next.kind) != Some(Kind::Open)
            }
            _ => false,
        })
        .filter_map(|(_, token)| token.name(sql))
        .collect()
}

/// Reads one element of a table's body: a column definition or a table constraint.
fn parse_element(sql: &str, tokens: &[Token]) -> Result<ElementKind, String> {
    let mut cursor = Cursor { sql, tokens, at: 0 };
    if cursor.at_any_keyword(&["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]) {
        return parse_table_constraint(&mut cursor).map(ElementKind::Constraint);
    }
    let name_token = cursor.peek().ok_or("an empty column definition")?;
    let name = cursor.name()?;
    let type_start = cursor.at;
    let mut depth = 0usize;
    while let Some(token) = cursor.peek() {
        match token.kind {
            Kind::Open => depth += 1,
            Kind::Close => depth = depth.saturating_sub(1),
            _ if depth == 0 && cursor.at_any_keyword(&COLUMN_CONSTRAINT_STARTS) => break,
            _ => {}
        }
        cursor.at += 1;
    }
    let type_text = if cursor.at > type_start {
        sql[tokens[type_start].start..tokens[cursor.at - 1].end].to_string()
    } else {
        String::new()
    };
    let mut constraints = Vec::new();
    while !cursor.done() {
        let start = cursor.at;
        let mut constraint_name = None;
        if cursor.optional(&["CONSTRAINT"]) {
            constraint_name = Some(cursor.name()?);
        }
        let mut mentions = Vec::new();
        let part = if cursor.optional(&["PRIMARY"]) {
            cursor.keyword("KEY")?;
            cursor.optional(&["ASC", "DESC"]);
            cursor.conflict_clause()?;
            cursor.optional(&["AUTOINCREMENT"]);
            ColumnPart::PrimaryKey
        } else if cursor.optional(&["NOT"]) {
            cursor.keyword("NULL")?;
            cursor.conflict_clause()?;
            ColumnPart::NotNull
        } else if cursor.optional(&["NULL"]) {
            cursor.conflict_clause()?;
            ColumnPart::Null
        } else if cursor.optional(&["UNIQUE"]) {
            cursor.conflict_clause()?;
            ColumnPart::Unique
        } else if cursor.optional(&["CHECK"]) {
            let inside = cursor.group()?;
            mentions = names_used(sql, &tokens[inside]);
            ColumnPart::Check
        } else if cursor.optional(&["DEFAULT"]) {
            match cursor.peek().map(|token| (token.kind, token.text(sql))) {
                Some((Kind::Open, _)) => {
                    cursor.group()?;
                }
                Some((Kind::Other, "+" | "-")) => cursor.at += 2,
                Some(_) => cursor.at += 1,
                None => return Err("DEFAULT without a value".to_string()),
            }
            ColumnPart::Default
        } else if cursor.optional(&["COLLATE"]) {
            cursor.name()?;
            ColumnPart::Collate
        } else if cursor.at_keyword("REFERENCES") {
            cursor.references()?;
            ColumnPart::References
        } else if cursor.at_any_keyword(&["GENERATED", "AS"]) {
            if cursor.optional(&["GENERATED"]) {
                cursor.keyword("ALWAYS")?;
            }
            cursor.keyword("AS")?;
            let inside = cursor.group()?;
            mentions = names_used(sql, &tokens[inside]);
            cursor.optional(&["STORED", "VIRTUAL"]);
            ColumnPart::Generated
        } else {
            return Err(format!(
                "expected a column constraint, found {}",
                cursor.describe_here()
            ));
        };
        if cursor.at > tokens.len() {
            return Err("the column definition ends early".to_string());
        }
        constraints.push(ColumnConstraint {
            name: constraint_name,
            part,
            text: sql[tokens[start].start..tokens[cursor.at - 1].end].to_string(),
            mentions,
        });
    }
    Ok(ElementKind::Column(ColumnDefinition {
        name,
        name_text: name_token.text(sql).to_string(),
        type_text,
        constraints,
    }))
}

fn parse_table_constraint(cursor: &mut Cursor) -> Result<TableConstraintDefinition, String> {
    let mut name = None;
    if cursor.optional(&["CONSTRAINT"]) {
        name = Some(cursor.name()?);
    }
    let (part, columns) = if cursor.optional(&["PRIMARY"]) {
        cursor.keyword("KEY")?;
        let inside = cursor.group()?;
        cursor.conflict_clause()?;
        (TablePart::PrimaryKey, cursor.column_list(inside))
    } else if cursor.optional(&["UNIQUE"]) {
        let inside = cursor.group()?;
        cursor.conflict_clause()?;
        (TablePart::Unique, cursor.column_list(inside))
    } else if cursor.optional(&["CHECK"]) {
        let inside = cursor.group()?;
        (
            TablePart::Check,
            names_used(cursor.sql, &cursor.tokens[inside]),
        )
    } else if cursor.optional(&["FOREIGN"]) {
        cursor.keyword("KEY")?;
        let inside = cursor.group()?;
        let columns = cursor.column_list(inside);
        cursor.references()?;
        (TablePart::ForeignKey, columns)
    } else {
        return Err(format!(
            "expected a table constraint, found {}",
            cursor.describe_here()
        ));
    };
    if !cursor.done() {
        return Err(format!(
            "unexpected {} after the constraint",
            cursor.describe_here()
        ));
    }
    Ok(TableConstraintDefinition {
        name,
        part,
        columns,
    })
}
