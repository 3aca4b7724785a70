//! Naming conventions: SQLAlchemy's `MetaData(naming_convention={...})`, read from
//! rmig.toml's `[naming_convention]` table, and the names they give the constraints and
//! indexes an operation creates without one. Pure: templates in, names out.
//!
//! The semantics are SQLAlchemy 2.1's (`sqlalchemy/sql/naming.py`): keys `ix`, `uq`, `ck`, `fk`
//! and `pk`; tokens `%(table_name)s`, `%(constraint_name)s`, `%(referred_table_name)s`,
//! `%(column_I_name)s` / `_label` / `_key` (column I, empty when there is none), their
//! `column_0N_*` (all columns run together) and `column_0_N_*` (joined by `_`) forms, and
//! `%(referred_column_I_name)s` with its N forms; `%%` is a percent sign. A name longer than
//! the dialect's `max_identifier_length` (PostgreSQL 63 characters, SQLite SQLAlchemy's default
//! 9999) is cut as SQLAlchemy cuts a convention's name (the compiler's
//! `_truncate_and_render_maxlen_name`): its first `max - 8` characters, `_`, and the last four
//! hex digits of the MD5 of the whole name. So names are those Alembic gives on the database
//! the revisions are read for ([`Naming`]): one history can name an index differently on
//! PostgreSQL and on SQLite, as it does under Alembic.
//!
//! In rmig a written name is final; a convention only fills in a missing one
//! ([`name_operations`]). `rmig import-alembic` also runs Alembic's plain string names through
//! templates that use `%(constraint_name)s`, as SQLAlchemy does ([`NamingConvention::renames_written`]).

use std::collections::BTreeMap;
use std::fmt;

use md5::{Digest, Md5};

use super::{Column, CreateUniqueConstraint, Operation, ScopedOperation, TableConstraint};
use crate::identifier::{MaxNameLength, NameRules};

/// What a convention names, by SQLAlchemy's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConventionKind {
    Index,
    Unique,
    Check,
    ForeignKey,
    PrimaryKey,
}

impl ConventionKind {
    const ALL: [ConventionKind; 5] = [
        ConventionKind::Index,
        ConventionKind::Unique,
        ConventionKind::Check,
        ConventionKind::ForeignKey,
        ConventionKind::PrimaryKey,
    ];

    /// The key in `naming_convention`: `ix`, `uq`, `ck`, `fk`, `pk`.
    pub fn key(self) -> &'static str {
        match self {
            ConventionKind::Index => "ix",
            ConventionKind::Unique => "uq",
            ConventionKind::Check => "ck",
            ConventionKind::ForeignKey => "fk",
            ConventionKind::PrimaryKey => "pk",
        }
    }

    fn from_key(key: &str) -> Option<ConventionKind> {
        ConventionKind::ALL
            .into_iter()
            .find(|kind| kind.key() == key)
    }
}

impl fmt::Display for ConventionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Why a convention cannot be read, or cannot name a constraint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NamingConventionError {
    #[error("naming_convention key `{key}` is not one of ix, uq, ck, fk, pk")]
    UnknownKey { key: String },
    #[error("naming_convention.{key}: `%({token})s` is not a token SQLAlchemy knows (table_name, constraint_name, column_0_name, column_0_label, column_0_key, their column_0N_/column_0_N_ forms, referred_table_name, referred_column_0_name)")]
    UnknownToken { key: &'static str, token: String },
    #[error("naming_convention.{key}: `%({token})s` names the referred table of a foreign key; use it in `fk` only")]
    ReferredOutsideForeignKey { key: &'static str, token: String },
    #[error("naming_convention.{key}: '{template}' has a `%` that is not `%(token)s` or `%%`")]
    BadPercent { key: &'static str, template: String },
    #[error("the `{key}` naming convention '{template}' uses %(constraint_name)s, so the {what} needs a name; give it one")]
    NeedsName {
        key: &'static str,
        template: String,
        what: &'static str,
    },
    #[error("the index has no `index_name` and there is no `ix` naming convention; give it a name (or add `ix` to [naming_convention] in rmig.toml)")]
    IndexNeedsName,
}

/// One template, read into literal text and tokens.
#[derive(Debug, Clone, PartialEq)]
struct Template {
    text: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Token(Token),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Token {
    TableName,
    ConstraintName,
    ReferredTableName,
    Column {
        referred: bool,
        columns: Columns,
        attribute: ColumnAttribute,
    },
}

/// Which columns a column token reads.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Columns {
    /// Column I, or nothing when there is none.
    One(usize),
    /// Every column, joined by this separator (`column_0N_*`: none; `column_0_N_*`: `_`).
    All(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum ColumnAttribute {
    Name,
    /// `table_column`, or `schema_table_column` when the table has a schema.
    Label,
    /// SQLAlchemy's column key, which is its name for columns made from names.
    Key,
}

/// The constraint or index a convention names.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub table: &'a str,
    pub schema: Option<&'a str>,
    /// Its columns; a foreign key's local columns.
    pub columns: &'a [String],
    /// A foreign key's referred table and columns (empty for other kinds).
    pub referred_table: &'a str,
    pub referred_columns: &'a [String],
    /// The name as written, for `%(constraint_name)s`.
    pub name: Option<&'a str>,
}

impl<'a> Subject<'a> {
    /// An unnamed index or constraint other than a foreign key.
    pub fn unnamed(table: &'a str, schema: Option<&'a str>, columns: &'a [String]) -> Subject<'a> {
        Subject {
            table,
            schema,
            columns,
            referred_table: "",
            referred_columns: &[],
            name: None,
        }
    }
}

/// A parsed `naming_convention`; empty when none is configured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NamingConvention {
    templates: BTreeMap<ConventionKind, Template>,
}

impl NamingConvention {
    /// SQLAlchemy's convention for a `MetaData()` given none: `ix_%(column_0_label)s`.
    #[cfg(any(feature = "alembic-import", test))]
    pub fn sqlalchemy_default() -> NamingConvention {
        NamingConvention::parse([("ix".to_string(), "ix_%(column_0_label)s".to_string())])
            .expect("SQLAlchemy's default convention is valid")
    }

    /// Reads `key = template` pairs; an unknown key or token is an error naming it.
    pub fn parse(
        entries: impl IntoIterator<Item = (String, String)>,
    ) -> Result<NamingConvention, NamingConventionError> {
        let mut templates = BTreeMap::new();
        for (key, text) in entries {
            let kind =
                ConventionKind::from_key(&key).ok_or(NamingConventionError::UnknownKey { key })?;
            let parts = parse_template(kind, &text)?;
            templates.insert(kind, Template { text, parts });
        }
        Ok(NamingConvention { templates })
    }

    /// The templates as written, by key, in the order ix, uq, ck, fk, pk.
    #[cfg(any(feature = "alembic-import", test))]
    pub fn entries(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.templates
            .iter()
            .map(|(kind, template)| (kind.key(), template.text.as_str()))
    }

    /// Whether a written name goes through the template too, as SQLAlchemy does when the
    /// template uses `%(constraint_name)s` (`ck_%(table_name)s_%(constraint_name)s` turns
    /// `positive` into `ck_orders_positive`). rmig's own files never do this: their names are
    /// final; the importer uses it to write Alembic's names.
    #[cfg(any(feature = "alembic-import", test))]
    pub fn renames_written(&self, kind: ConventionKind) -> bool {
        self.templates
            .get(&kind)
            .is_some_and(|template| template.parts.contains(&Part::Token(Token::ConstraintName)))
    }

    /// The convention as applied for a database with `rules`.
    pub fn for_database(&self, rules: NameRules) -> Naming<'_> {
        Naming {
            convention: self,
            rules,
        }
    }
}

/// A naming convention applied for one database: its names cut where that database's
/// SQLAlchemy dialect cuts them, and written names checked against what the database keeps.
/// What revisions are read with.
#[derive(Debug, Clone, Copy)]
pub struct Naming<'a> {
    pub convention: &'a NamingConvention,
    pub rules: NameRules,
}

impl Naming<'_> {
    /// The name the convention gives `subject`, cut by [`truncate`]; `None` when there is no
    /// template for `kind`.
    pub fn name(
        &self,
        kind: ConventionKind,
        subject: &Subject<'_>,
    ) -> Result<Option<String>, NamingConventionError> {
        let Some(template) = self.convention.templates.get(&kind) else {
            return Ok(None);
        };
        let mut name = String::new();
        for part in &template.parts {
            match part {
                Part::Text(text) => name.push_str(text),
                Part::Token(token) => {
                    name.push_str(&render_token(*token, subject).ok_or_else(|| {
                        NamingConventionError::NeedsName {
                            key: kind.key(),
                            template: template.text.clone(),
                            what: if kind == ConventionKind::Index {
                                "index"
                            } else {
                                "constraint"
                            },
                        }
                    })?)
                }
            }
        }
        Ok(Some(truncate(&name, self.rules)))
    }
}

/// A token's text for `subject`; `None` only for `%(constraint_name)s` without a name.
fn render_token(token: Token, subject: &Subject<'_>) -> Option<String> {
    Some(match token {
        Token::TableName => subject.table.to_string(),
        Token::ConstraintName => subject.name?.to_string(),
        Token::ReferredTableName => subject.referred_table.to_string(),
        Token::Column {
            referred,
            columns,
            attribute,
        } => {
            let list = if referred {
                subject.referred_columns
            } else {
                subject.columns
            };
            let one = |column: &String| match attribute {
                ColumnAttribute::Name | ColumnAttribute::Key => column.clone(),
                ColumnAttribute::Label => match subject.schema {
                    Some(schema) => {
                        format!("{}_{}_{column}", schema.replace('.', "_"), subject.table)
                    }
                    None => format!("{}_{column}", subject.table),
                },
            };
            match columns {
                Columns::One(index) => list.get(index).map(one).unwrap_or_default(),
                Columns::All(separator) => list.iter().map(one).collect::<Vec<_>>().join(separator),
            }
        }
    })
}

/// SQLAlchemy's cut of a convention's (or `op.f`'s) name longer than the dialect's
/// `max_identifier_length` (`rules.convention_cut` characters), then the database's own cut
/// (PostgreSQL's to 63 bytes, at a character boundary) of what is still too long, so the name
/// is the one the database keeps for a schema SQLAlchemy built.
pub fn truncate(name: &str, rules: NameRules) -> String {
    let cut = rules.convention_cut;
    let mut name = if name.chars().count() > cut {
        let digest = hex(&Md5::digest(name.as_bytes()));
        let head: String = name.chars().take(cut - 8).collect();
        format!("{head}_{}", &digest[digest.len() - 4..])
    } else {
        name.to_string()
    };
    if let MaxNameLength::Bytes { max, .. } = rules.max_length {
        if name.len() > max {
            let mut end = max;
            while !name.is_char_boundary(end) {
                end -= 1;
            }
            name.truncate(end);
        }
    }
    name
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Splits a template into text and tokens, as Python's `%` with a mapping reads it.
fn parse_template(kind: ConventionKind, text: &str) -> Result<Vec<Part>, NamingConventionError> {
    let key = kind.key();
    let bad_percent = || NamingConventionError::BadPercent {
        key,
        template: text.to_string(),
    };
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('%') {
        literal.push_str(&rest[..at]);
        rest = &rest[at..];
        if let Some(after) = rest.strip_prefix("%%") {
            literal.push('%');
            rest = after;
            continue;
        }
        let after = rest.strip_prefix("%(").ok_or_else(bad_percent)?;
        let (token, after) = after.split_once(")s").ok_or_else(bad_percent)?;
        if token.contains(')') {
            return Err(bad_percent());
        }
        if !literal.is_empty() {
            parts.push(Part::Text(std::mem::take(&mut literal)));
        }
        parts.push(Part::Token(parse_token(kind, token)?));
        rest = after;
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        parts.push(Part::Text(literal));
    }
    Ok(parts)
}

/// One token, by SQLAlchemy's `ConventionDict.__getitem__`: the named keys, then
/// `[referred_]column_<I>[N|_N]_<attribute>`, where the N forms exist for column 0 only and a
/// referred column has only a name.
fn parse_token(kind: ConventionKind, token: &str) -> Result<Token, NamingConventionError> {
    let key = kind.key();
    let unknown = || NamingConventionError::UnknownToken {
        key,
        token: token.to_string(),
    };
    let referred_outside = || NamingConventionError::ReferredOutsideForeignKey {
        key,
        token: token.to_string(),
    };
    let parsed = match token {
        "table_name" => Token::TableName,
        "constraint_name" => Token::ConstraintName,
        "referred_table_name" => Token::ReferredTableName,
        _ => {
            let (referred, rest) = match token.strip_prefix("referred_column_") {
                Some(rest) => (true, rest),
                None => (false, token.strip_prefix("column_").ok_or_else(unknown)?),
            };
            let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            let (number, rest) = rest.split_at(digits);
            let index: usize = number.parse().map_err(|_| unknown())?;
            let all = |separator, attribute| {
                // SQLAlchemy finds the N forms by replacing "0N" / "0_N": column 0 only.
                if number == "0" {
                    Ok((Columns::All(separator), attribute))
                } else {
                    Err(unknown())
                }
            };
            let (columns, attribute) = if let Some(attribute) = rest.strip_prefix("_N_") {
                all("_", attribute)?
            } else if let Some(attribute) = rest.strip_prefix("N_") {
                all("", attribute)?
            } else {
                (
                    Columns::One(index),
                    rest.strip_prefix('_').ok_or_else(unknown)?,
                )
            };
            let attribute = match (attribute, referred) {
                ("name", _) => ColumnAttribute::Name,
                ("label", false) => ColumnAttribute::Label,
                ("key", false) => ColumnAttribute::Key,
                _ => return Err(unknown()),
            };
            Token::Column {
                referred,
                columns,
                attribute,
            }
        }
    };
    let about_referred = matches!(
        parsed,
        Token::ReferredTableName | Token::Column { referred: true, .. }
    );
    if about_referred && kind != ConventionKind::ForeignKey {
        return Err(referred_outside());
    }
    Ok(parsed)
}

/// Why an operation's missing name cannot be filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnnamedOperation {
    /// 1-based position in its list, as written.
    pub index: usize,
    /// `Operation::describe`.
    pub op: String,
    pub error: NamingConventionError,
}

/// Names every constraint and index `ops` create without a name by `convention` (and refuses
/// the names nothing can give). Applied when a revision is loaded, so the guard, `--sql`, the
/// executor and derived downgrades all see the same names. A column's `unique` under a `uq`
/// convention becomes a named constraint: in `create_table` a table constraint, after
/// `add_column` a `create_unique_constraint` (as Alembic issues it), for the same dialects.
pub fn name_operations(
    ops: &mut Vec<ScopedOperation>,
    convention: &Naming<'_>,
) -> Result<(), UnnamedOperation> {
    let mut added = Vec::new();
    for (index, scoped) in ops.iter_mut().enumerate() {
        match name_operation(&mut scoped.op, convention) {
            Ok(Some(after)) => added.push((
                index + 1,
                ScopedOperation {
                    op: after,
                    dialects: scoped.dialects.clone(),
                    online: scoped.online,
                },
            )),
            Ok(None) => {}
            Err(error) => {
                return Err(UnnamedOperation {
                    index: index + 1,
                    op: scoped.op.describe(),
                    error,
                })
            }
        }
    }
    // Inserted last first, so each position still counts the operations as written.
    for (position, op) in added.into_iter().rev() {
        ops.insert(position, op);
    }
    Ok(())
}

/// Names what `op` creates; the operation that must follow it, if naming needs one.
fn name_operation(
    op: &mut Operation,
    convention: &Naming<'_>,
) -> Result<Option<Operation>, NamingConventionError> {
    let subject = Subject::unnamed;
    match op {
        Operation::CreateTable(create) => name_table(
            &create.table_name,
            create.schema.as_deref(),
            &mut create.columns,
            &mut create.constraints,
            convention,
        )?,
        Operation::DropTable(drop) => {
            if let Some(columns) = &mut drop.columns {
                name_table(
                    &drop.table_name,
                    drop.schema.as_deref(),
                    columns,
                    &mut drop.constraints,
                    convention,
                )?;
            }
        }
        Operation::AddColumn(add) => {
            let schema = add.schema.as_deref();
            name_column_foreign_key(&add.table_name, schema, &mut add.column, convention)?;
            if add.column.unique {
                let columns = vec![add.column.name.clone()];
                let name = convention.name(
                    ConventionKind::Unique,
                    &subject(&add.table_name, schema, &columns),
                )?;
                if let Some(name) = name {
                    add.column.unique = false;
                    return Ok(Some(Operation::CreateUniqueConstraint(
                        CreateUniqueConstraint {
                            constraint_name: Some(name),
                            table_name: add.table_name.clone(),
                            columns,
                            schema: add.schema.clone(),
                        },
                    )));
                }
            }
        }
        Operation::DropColumn(drop) => {
            if let Some(column) = &mut drop.existing_column {
                name_column_foreign_key(
                    &drop.table_name,
                    drop.schema.as_deref(),
                    column,
                    convention,
                )?;
            }
        }
        Operation::CreateIndex(create) if create.index_name.is_none() => {
            // As SQLAlchemy counts an index's columns: expressions hold no column of their own.
            let columns: Vec<String> = create
                .columns
                .iter()
                .filter_map(|element| element.column().map(str::to_string))
                .collect();
            let name = convention.name(
                ConventionKind::Index,
                &subject(&create.table_name, create.schema.as_deref(), &columns),
            )?;
            create.index_name = Some(name.ok_or(NamingConventionError::IndexNeedsName)?);
        }
        Operation::CreateUniqueConstraint(create) if create.constraint_name.is_none() => {
            create.constraint_name = convention.name(
                ConventionKind::Unique,
                &subject(
                    &create.table_name,
                    create.schema.as_deref(),
                    &create.columns,
                ),
            )?;
        }
        Operation::CreatePrimaryKey(create) if create.constraint_name.is_none() => {
            create.constraint_name = convention.name(
                ConventionKind::PrimaryKey,
                &subject(
                    &create.table_name,
                    create.schema.as_deref(),
                    &create.columns,
                ),
            )?;
        }
        // A check constraint's condition is SQL text, which lists no columns to SQLAlchemy.
        Operation::CreateCheckConstraint(create) if create.constraint_name.is_none() => {
            create.constraint_name = convention.name(
                ConventionKind::Check,
                &subject(&create.table_name, create.schema.as_deref(), &[]),
            )?;
        }
        Operation::CreateForeignKey(create) if create.constraint_name.is_none() => {
            create.constraint_name = convention.name(
                ConventionKind::ForeignKey,
                &Subject {
                    table: &create.source_table,
                    schema: create.source_schema.as_deref(),
                    columns: &create.local_cols,
                    referred_table: &create.referent_table,
                    referred_columns: &create.remote_cols,
                    name: None,
                },
            )?;
        }
        _ => {}
    }
    Ok(None)
}

/// Names a table's unnamed constraints, its key (from columns flagged `primary_key`), its
/// columns' foreign keys and, under a `uq` convention, its columns' `unique` flags (made
/// table constraints, since a column's UNIQUE cannot carry a name).
fn name_table(
    table: &str,
    schema: Option<&str>,
    columns: &mut [Column],
    constraints: &mut Vec<TableConstraint>,
    convention: &Naming<'_>,
) -> Result<(), NamingConventionError> {
    let subject = |columns| Subject::unnamed(table, schema, columns);
    for constraint in constraints.iter_mut() {
        match constraint {
            TableConstraint::PrimaryKey { name, columns } if name.is_none() => {
                *name = convention.name(ConventionKind::PrimaryKey, &subject(columns))?;
            }
            TableConstraint::Unique { name, columns } if name.is_none() => {
                *name = convention.name(ConventionKind::Unique, &subject(columns))?;
            }
            TableConstraint::Check { name, .. } if name.is_none() => {
                *name = convention.name(ConventionKind::Check, &subject(&[]))?;
            }
            TableConstraint::ForeignKey {
                name,
                local_cols,
                referent_table,
                remote_cols,
                ..
            } if name.is_none() => {
                *name = convention.name(
                    ConventionKind::ForeignKey,
                    &Subject {
                        table,
                        schema,
                        columns: local_cols,
                        referred_table: referent_table,
                        referred_columns: remote_cols,
                        name: None,
                    },
                )?;
            }
            _ => {}
        }
    }
    let declares_key = constraints
        .iter()
        .any(|constraint| matches!(constraint, TableConstraint::PrimaryKey { .. }));
    let key_columns: Vec<String> = columns
        .iter()
        .filter(|column| column.primary_key)
        .map(|column| column.name.clone())
        .collect();
    if !declares_key && !key_columns.is_empty() {
        let name = convention.name(
            ConventionKind::PrimaryKey,
            &Subject::unnamed(table, schema, &key_columns),
        )?;
        if let Some(name) = name {
            constraints.insert(
                0,
                TableConstraint::PrimaryKey {
                    name: Some(name),
                    columns: key_columns,
                },
            );
        }
    }
    for column in columns.iter_mut() {
        name_column_foreign_key(table, schema, column, convention)?;
        if column.unique {
            let own = vec![column.name.clone()];
            let name = convention.name(
                ConventionKind::Unique,
                &Subject::unnamed(table, schema, &own),
            )?;
            if let Some(name) = name {
                column.unique = false;
                constraints.push(TableConstraint::Unique {
                    name: Some(name),
                    columns: own,
                });
            }
        }
    }
    Ok(())
}

/// Names a column's unnamed foreign key.
fn name_column_foreign_key(
    table: &str,
    schema: Option<&str>,
    column: &mut Column,
    convention: &Naming<'_>,
) -> Result<(), NamingConventionError> {
    let Some(foreign_key) = &mut column.foreign_key else {
        return Ok(());
    };
    if foreign_key.name.is_none() {
        foreign_key.name = convention.name(
            ConventionKind::ForeignKey,
            &Subject {
                table,
                schema,
                columns: std::slice::from_ref(&column.name),
                referred_table: &foreign_key.table,
                referred_columns: std::slice::from_ref(&foreign_key.column),
                name: None,
            },
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod sqlalchemy_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect;

    fn postgresql() -> NameRules {
        Dialect::Postgresql.name_rules()
    }

    fn convention(entries: &[(&str, &str)]) -> NamingConvention {
        NamingConvention::parse(
            entries
                .iter()
                .map(|(key, template)| (key.to_string(), template.to_string())),
        )
        .unwrap()
    }

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| name.to_string()).collect()
    }

    // Expected names below are SQLAlchemy 2.1.9's, computed once with the pinned venv
    // (`CreateTable` / `CreateIndex` compiled for PostgreSQL); naming_convention/sqlalchemy_tests.rs asks
    // the real SQLAlchemy at test time over many more cases.
    #[test]
    fn tokens_render_as_sqlalchemy_renders_them() {
        let naming = convention(&[
            ("ix", "ix_%(column_0_label)s"),
            ("uq", "uq_%(table_name)s_%(column_0_N_name)s"),
            ("ck", "ck_%(table_name)s_%(constraint_name)s"),
            (
                "fk",
                "fk_%(table_name)s_%(column_0N_name)s_%(referred_table_name)s_%(referred_column_0_N_name)s",
            ),
            ("pk", "pk_%(table_name)s_%(column_1_name)s"),
        ]);
        let (xy, y) = (strings(&["x", "y"]), strings(&["y"]));
        let long = vec!["very_long_column_name_".repeat(3), "x".to_string()];
        let in_s = |columns| Subject::unnamed("child", Some("s"), columns);
        let name = |kind, subject: &Subject<'_>| {
            naming
                .for_database(postgresql())
                .name(kind, subject)
                .unwrap()
                .unwrap()
        };
        assert_eq!(name(ConventionKind::PrimaryKey, &in_s(&xy)), "pk_child_y");
        assert_eq!(name(ConventionKind::Unique, &in_s(&xy)), "uq_child_x_y");
        assert_eq!(name(ConventionKind::Index, &in_s(&y)), "ix_s_child_y");
        assert_eq!(
            name(ConventionKind::Index, &in_s(&long)),
            "ix_s_child_very_long_column_name_very_long_column_name__61e1"
        );
        let referred = strings(&["a", "b"]);
        let foreign_key = Subject {
            referred_table: "parent",
            referred_columns: &referred,
            ..in_s(&xy)
        };
        assert_eq!(
            name(ConventionKind::ForeignKey, &foreign_key),
            "fk_child_xy_parent_a_b"
        );
        let positive = Subject {
            name: Some("positive"),
            ..in_s(&[])
        };
        assert_eq!(name(ConventionKind::Check, &positive), "ck_child_positive");
        assert!(naming.renames_written(ConventionKind::Check));
        assert!(!naming.renames_written(ConventionKind::Unique));
    }

    #[test]
    fn long_names_are_cut_by_characters_then_to_what_postgresql_keeps_and_sqlite_keeps_them_whole()
    {
        let naming = convention(&[(
            "uq",
            "uq_%(column_0N_label)s_%(column_0_key)s_%(column_5_name)s_100%%",
        )]);
        let columns = vec!["é".repeat(40), "b".to_string()];
        let name_on = |dialect: Dialect| {
            naming
                .for_database(dialect.name_rules())
                .name(
                    ConventionKind::Unique,
                    &Subject::unnamed("tëst", None, &columns),
                )
                .unwrap()
                .unwrap()
        };
        // SQLAlchemy: 'uq_tëst_' + 'é' * 40 + 'tëst_b__9287' (60 characters, 102 bytes), which
        // PostgreSQL keeps to its first 63 bytes.
        let name = name_on(Dialect::Postgresql);
        assert_eq!(name, format!("uq_tëst_{}", "é".repeat(27)));
        assert_eq!(name.len(), 63);
        // SQLAlchemy's SQLite dialect cuts at 9999 characters, and SQLite keeps every byte.
        assert_eq!(
            name_on(Dialect::Sqlite),
            format!("uq_tëst_{}tëst_b_{}__100%", "é".repeat(40), "é".repeat(40))
        );
        assert_eq!(truncate("short", postgresql()), "short");
    }

    #[test]
    fn a_missing_column_renders_empty_and_a_missing_name_is_refused() {
        let naming = convention(&[
            ("ck", "ck_%(table_name)s_%(constraint_name)s"),
            ("uq", "uq_%(column_3_name)s"),
        ]);
        let none: Vec<String> = Vec::new();
        assert_eq!(
            naming
                .for_database(postgresql())
                .name(ConventionKind::Unique, &Subject::unnamed("t", None, &none))
                .unwrap()
                .as_deref(),
            Some("uq_")
        );
        let error = naming
            .for_database(postgresql())
            .name(ConventionKind::Check, &Subject::unnamed("t", None, &none))
            .unwrap_err();
        assert!(matches!(
            error,
            NamingConventionError::NeedsName { key: "ck", .. }
        ));
        assert_eq!(
            naming
                .for_database(postgresql())
                .name(ConventionKind::Index, &Subject::unnamed("t", None, &none))
                .unwrap(),
            None
        );
    }

    #[test]
    fn unknown_keys_tokens_and_percent_signs_are_named() {
        let error = |key: &str, template: &str| {
            NamingConvention::parse([(key.to_string(), template.to_string())])
                .unwrap_err()
                .to_string()
        };
        assert!(error("idx", "ix_%(table_name)s").contains("`idx`"));
        for token in [
            "tablename",
            "column_1N_name",
            "column_0_N_labels",
            "referred_column_0_label",
            "column_name",
            "column_x_name",
        ] {
            let message = error("fk", &format!("fk_%({token})s"));
            assert!(message.contains(&format!("`%({token})s`")), "{message}");
        }
        assert!(error("ix", "ix_%(referred_table_name)s").contains("in `fk` only"));
        assert!(error("ix", "ix_%s").contains("has a `%`"));
        assert!(error("ix", "ix_%(table_name)r").contains("has a `%`"));
        let fine = convention(&[("fk", "%(referred_column_0N_name)s%(column_00_key)s")]);
        assert_eq!(fine.entries().count(), 1);
    }

    #[test]
    fn a_tables_key_uniques_and_foreign_keys_are_named_and_add_column_gains_its_constraint() {
        let naming = convention(&[
            ("uq", "uq_%(table_name)s_%(column_0_name)s"),
            (
                "fk",
                "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            ),
            ("pk", "pk_%(table_name)s"),
        ]);
        let toml = r#"
[[ops]]
op = "create_table"
table_name = "child"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "code", type = "text", unique = true },
  { name = "parent_id", type = "integer", foreign_key = "parent.id" },
]
constraints = [{ type = "unique", columns = ["id", "code"] }]

[[ops]]
op = "add_column"
table_name = "child"
column = { name = "email", type = "text", unique = true }
"#;
        #[derive(serde::Deserialize)]
        struct Ops {
            ops: Vec<ScopedOperation>,
        }
        let mut ops = toml::from_str::<Ops>(toml).unwrap().ops;
        name_operations(&mut ops, &naming.for_database(postgresql())).unwrap();
        let Operation::CreateTable(create) = &ops[0].op else {
            panic!("{ops:?}")
        };
        let named: Vec<(Option<&str>, &[String])> = create
            .constraints
            .iter()
            .map(|constraint| match constraint {
                TableConstraint::PrimaryKey { name, columns }
                | TableConstraint::Unique { name, columns } => (name.as_deref(), &columns[..]),
                other => panic!("{other:?}"),
            })
            .collect();
        let (id, code, id_code) = (
            strings(&["id"]),
            strings(&["code"]),
            strings(&["id", "code"]),
        );
        assert_eq!(
            named,
            [
                (Some("pk_child"), &id[..]),
                (Some("uq_child_id"), &id_code[..]),
                (Some("uq_child_code"), &code[..]),
            ]
        );
        assert!(!create.columns[1].unique);
        assert_eq!(
            create.columns[2]
                .foreign_key
                .as_ref()
                .unwrap()
                .name
                .as_deref(),
            Some("fk_child_parent_id_parent")
        );
        let described: Vec<String> = ops[1..].iter().map(|scoped| scoped.op.describe()).collect();
        assert_eq!(
            described,
            [
                "add_column child.email",
                "create_unique_constraint uq_child_email on child"
            ]
        );
    }
}
