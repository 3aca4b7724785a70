//! The SQL that sea-query cannot build, written in this one place with sea-query's own
//! identifier quoting. `sql.rs` builds everything else through sea-query.
//!
//! What sea-query 0.32 lacks, and so what is here:
//! - `COMMENT ON TABLE` / `COMMENT ON COLUMN`, and `ALTER COLUMN ... DROP DEFAULT`;
//! - `ALTER TABLE ... ADD` of a unique, check or primary-key constraint, and named check
//!   constraints inside `CREATE TABLE`;
//! - foreign keys with `MATCH`, `DEFERRABLE` or `INITIALLY`;
//! - renaming an index, a constraint or a sequence;
//! - index and constraint names: sea-query writes them between quotes without doubling a quote
//!   inside them, so a name like `ix"; DROP TABLE x; --` would end the identifier early. It also
//!   panics on a schema-qualified index on SQLite. So every constraint clause, `CREATE INDEX`,
//!   `DROP INDEX` and `DROP CONSTRAINT` is built here.
//!
//! Every identifier goes through [`ident`] (sea-query's quoting: always quoted, embedded quotes
//! doubled) and every text literal through [`string_literal`]. Conditions, predicates and
//! defaults are SQL text from the revision file and are written as they are, like Alembic's
//! `sa.text(...)`.

use sea_query::{
    Alias, Iden, MysqlQueryBuilder, PostgresQueryBuilder, Quote, QuotedBuilder, SqliteQueryBuilder,
};

use crate::dialect::Dialect;

use super::{
    ColumnForeignKey, ConstraintKind, CreateIndex, DropIndex, Identity, IndexElement,
    TableConstraint,
};

fn quote(dialect: Dialect) -> Quote {
    match dialect {
        Dialect::Postgresql => PostgresQueryBuilder.quote(),
        Dialect::Sqlite => SqliteQueryBuilder.quote(),
        Dialect::Mysql => MysqlQueryBuilder.quote(),
    }
}

/// One identifier, always quoted, as sea-query quotes it: `weird"; x` -> `"weird""; x"`.
pub(super) fn ident(dialect: Dialect, name: &str) -> String {
    let mut quoted = String::new();
    Alias::new(name).prepare(&mut quoted, quote(dialect));
    quoted
}

/// A table (or other schema object) name, schema-qualified when a schema is given.
pub(super) fn qualified(dialect: Dialect, schema: Option<&str>, name: &str) -> String {
    match schema {
        Some(schema) => format!("{}.{}", ident(dialect, schema), ident(dialect, name)),
        None => ident(dialect, name),
    }
}

/// `"a", "b"`.
pub(super) fn ident_list(dialect: Dialect, names: &[String]) -> String {
    names
        .iter()
        .map(|name| ident(dialect, name))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) use crate::dialect::string_literal;

/// `CONSTRAINT "name" ` when the constraint is named, else nothing (the database names it).
fn constraint_name(dialect: Dialect, name: Option<&String>) -> String {
    name.map(|name| format!("CONSTRAINT {} ", ident(dialect, name)))
        .unwrap_or_default()
}

/// A table-level constraint as `CREATE TABLE` and `ALTER TABLE ... ADD` write it. `table_schema`
/// is the constrained table's schema; a foreign key on SQLite must stay inside it.
pub(super) fn constraint_clause(
    dialect: Dialect,
    table_schema: Option<&str>,
    constraint: &TableConstraint,
) -> Result<String, String> {
    Ok(match constraint {
        TableConstraint::PrimaryKey { name, columns } => format!(
            "{}PRIMARY KEY ({})",
            constraint_name(dialect, name.as_ref()),
            ident_list(dialect, columns)
        ),
        TableConstraint::Unique { name, columns } => format!(
            "{}UNIQUE ({})",
            constraint_name(dialect, name.as_ref()),
            ident_list(dialect, columns)
        ),
        TableConstraint::Check { name, condition } => format!(
            "{}CHECK ({condition})",
            constraint_name(dialect, name.as_ref())
        ),
        TableConstraint::ForeignKey {
            name,
            local_cols,
            referent_table,
            remote_cols,
            referent_schema,
            ondelete,
            onupdate,
            deferrable,
            initially,
            match_,
        } => {
            let mut clause = format!(
                "{}FOREIGN KEY ({}) REFERENCES {} ({})",
                constraint_name(dialect, name.as_ref()),
                ident_list(dialect, local_cols),
                referent(
                    dialect,
                    table_schema,
                    referent_schema.as_deref(),
                    referent_table
                )?,
                ident_list(dialect, remote_cols)
            );
            if let Some(mode) = match_ {
                clause.push_str(&format!(" MATCH {}", mode.sql()));
            }
            if let Some(action) = ondelete {
                clause.push_str(&format!(" ON DELETE {}", action.sql()));
            }
            if let Some(action) = onupdate {
                clause.push_str(&format!(" ON UPDATE {}", action.sql()));
            }
            if dialect == Dialect::Mysql && (deferrable.is_some() || initially.is_some()) {
                return Err(
                    "MySQL checks every foreign key at once and takes no DEFERRABLE or INITIALLY; remove them for MySQL"
                        .to_string(),
                );
            }
            match deferrable {
                Some(true) => clause.push_str(" DEFERRABLE"),
                Some(false) => clause.push_str(" NOT DEFERRABLE"),
                None => {}
            }
            if let Some(mode) = initially {
                clause.push_str(&format!(" INITIALLY {}", mode.sql()));
            }
            clause
        }
    })
}

/// A column's own foreign key, as a column constraint: `REFERENCES "users" ("id")`. Valid
/// inside `CREATE TABLE` and `ADD COLUMN` on both dialects.
pub(super) fn references_clause(
    dialect: Dialect,
    table_schema: Option<&str>,
    foreign_key: &ColumnForeignKey,
) -> Result<String, String> {
    let mut clause = format!(
        "{}REFERENCES {} ({})",
        constraint_name(dialect, foreign_key.name.as_ref()),
        referent(
            dialect,
            table_schema,
            foreign_key.schema.as_deref(),
            &foreign_key.table
        )?,
        ident(dialect, &foreign_key.column)
    );
    if let Some(action) = foreign_key.ondelete {
        clause.push_str(&format!(" ON DELETE {}", action.sql()));
    }
    if let Some(action) = foreign_key.onupdate {
        clause.push_str(&format!(" ON UPDATE {}", action.sql()));
    }
    Ok(clause)
}

/// The referenced table. SQLite's REFERENCES takes no schema: the table is looked up in the
/// constrained table's own schema, so a reference into another one cannot be written.
fn referent(
    dialect: Dialect,
    table_schema: Option<&str>,
    referent_schema: Option<&str>,
    referent_table: &str,
) -> Result<String, String> {
    match dialect {
        Dialect::Postgresql | Dialect::Mysql => {
            Ok(qualified(dialect, referent_schema, referent_table))
        }
        Dialect::Sqlite => match referent_schema {
            Some(schema) if Some(schema) != table_schema => Err(format!(
                "the foreign key references `{schema}.{referent_table}`, but a SQLite foreign key can only reference a table in its own table's schema"
            )),
            _ => Ok(ident(dialect, referent_table)),
        },
    }
}

/// Adds table-level constraint clauses to a `CREATE TABLE` sea-query rendered, which ends in
/// ` )` after its column definitions.
pub(super) fn with_table_constraints(create_table: String, clauses: &[String]) -> String {
    if clauses.is_empty() {
        return create_table;
    }
    let body = create_table
        .strip_suffix(" )")
        .expect("sea-query ends CREATE TABLE with \" )\"");
    format!("{body}, {} )", clauses.join(", "))
}

/// `GENERATED { ALWAYS | BY DEFAULT } AS IDENTITY [(START WITH n INCREMENT BY m)]`.
pub(super) fn identity_clause(identity: &Identity) -> String {
    let mut clause = format!(
        "GENERATED {} AS IDENTITY",
        if identity.always {
            "ALWAYS"
        } else {
            "BY DEFAULT"
        }
    );
    let mut options = Vec::new();
    if let Some(start) = identity.start {
        options.push(format!("START WITH {start}"));
    }
    if let Some(increment) = identity.increment {
        options.push(format!("INCREMENT BY {increment}"));
    }
    if !options.is_empty() {
        clause.push_str(&format!(" ({})", options.join(" ")));
    }
    clause
}

/// `ALTER TABLE t ADD <clause>`.
pub(super) fn add_constraint(
    dialect: Dialect,
    schema: Option<&str>,
    table: &str,
    clause: &str,
) -> String {
    format!(
        "ALTER TABLE {} ADD {clause}",
        qualified(dialect, schema, table)
    )
}

/// `ALTER TABLE t DROP CONSTRAINT "name"`.
pub(super) fn drop_constraint(
    dialect: Dialect,
    schema: Option<&str>,
    table: &str,
    name: &str,
) -> String {
    format!(
        "ALTER TABLE {} DROP CONSTRAINT {}",
        qualified(dialect, schema, table),
        ident(dialect, name)
    )
}

/// How MySQL drops a constraint, which depends on its kind, as Alembic writes it there: `DROP
/// FOREIGN KEY`, `DROP PRIMARY KEY`, `DROP INDEX` for a unique constraint (which is its index).
/// A check constraint goes by `DROP CONSTRAINT`, which MariaDB and MySQL 8.0.19+ both take
/// (Alembic's `--sql` script for a `mysql://` URL has MySQL's `DROP CHECK`, which MariaDB
/// refuses: one form for both keeps rmig's script right whichever server runs it).
pub(super) fn mysql_drop_constraint(
    schema: Option<&str>,
    table: &str,
    name: &str,
    kind: Option<ConstraintKind>,
) -> Result<String, String> {
    let dialect = Dialect::Mysql;
    let drop = match kind {
        Some(ConstraintKind::ForeignKey) => format!("FOREIGN KEY {}", ident(dialect, name)),
        Some(ConstraintKind::Primary) => "PRIMARY KEY".to_string(),
        Some(ConstraintKind::Unique) => format!("INDEX {}", ident(dialect, name)),
        Some(ConstraintKind::Check) => format!("CONSTRAINT {}", ident(dialect, name)),
        None => {
            return Err(format!(
                "MySQL drops each kind of constraint its own way; give `type_` (foreignkey, primary, unique or check) for `{name}`"
            ))
        }
    };
    Ok(format!(
        "ALTER TABLE {} DROP {drop}",
        qualified(dialect, schema, table)
    ))
}

/// `ALTER TABLE t ALTER COLUMN "c" DROP DEFAULT`.
pub(super) fn drop_default(
    dialect: Dialect,
    schema: Option<&str>,
    table: &str,
    column: &str,
) -> String {
    format!(
        "ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT",
        qualified(dialect, schema, table),
        ident(dialect, column)
    )
}

/// `COMMENT ON TABLE t IS '...'`, or `IS NULL` to remove it (PostgreSQL).
pub(super) fn comment_on_table(
    dialect: Dialect,
    schema: Option<&str>,
    table: &str,
    comment: Option<&str>,
) -> String {
    format!(
        "COMMENT ON TABLE {} IS {}",
        qualified(dialect, schema, table),
        comment.map_or_else(|| "NULL".to_string(), string_literal)
    )
}

/// `COMMENT ON COLUMN t."c" IS '...'`, or `IS NULL` to remove it (PostgreSQL).
pub(super) fn comment_on_column(
    dialect: Dialect,
    schema: Option<&str>,
    table: &str,
    column: &str,
    comment: Option<&str>,
) -> String {
    format!(
        "COMMENT ON COLUMN {}.{} IS {}",
        qualified(dialect, schema, table),
        ident(dialect, column),
        comment.map_or_else(|| "NULL".to_string(), string_literal)
    )
}

/// `CREATE [UNIQUE] INDEX`. PostgreSQL puts the index in its table's schema and qualifies the
/// table; SQLite qualifies the index name and takes the table unqualified. `CONCURRENTLY`,
/// `USING`, operator classes and `INCLUDE` are PostgreSQL's alone, and left out elsewhere as
/// Alembic leaves out other dialects' keywords; expressions are written as they are, on both.
pub(super) fn create_index(
    dialect: Dialect,
    name: &str,
    op: &CreateIndex,
) -> Result<String, String> {
    let pg = dialect == Dialect::Postgresql;
    if dialect == Dialect::Mysql && op.where_.is_some() {
        return Err(
            "MySQL has no partial indexes; remove `where`, or scope the operation to the databases that have them"
                .to_string(),
        );
    }
    let schema = op.schema.as_deref();
    let mut sql = String::from("CREATE ");
    if op.unique {
        sql.push_str("UNIQUE ");
    }
    sql.push_str("INDEX ");
    if op.postgresql_concurrently && pg {
        sql.push_str("CONCURRENTLY ");
    }
    if op.if_not_exists {
        sql.push_str("IF NOT EXISTS ");
    }
    let (index, table) = match dialect {
        Dialect::Postgresql | Dialect::Mysql => (
            ident(dialect, name),
            qualified(dialect, schema, &op.table_name),
        ),
        Dialect::Sqlite => (
            qualified(dialect, schema, name),
            ident(dialect, &op.table_name),
        ),
    };
    sql.push_str(&format!("{index} ON {table} "));
    if let (Some(method), true) = (&op.postgresql_using, pg) {
        sql.push_str(&format!("USING {} ", ident(dialect, method)));
    }
    let elements: Vec<String> = op
        .columns
        .iter()
        .map(|element| match element {
            IndexElement::Column(name) => match op.postgresql_ops.get(name) {
                Some(class) if pg => format!("{} {}", ident(dialect, name), operator_class(class)),
                _ => ident(dialect, name),
            },
            IndexElement::Expression(sql) if dialect == Dialect::Mysql => mysql_key_part(sql),
            IndexElement::Expression(sql) => sql.clone(),
        })
        .collect();
    sql.push_str(&format!("({})", elements.join(", ")));
    if !op.postgresql_include.is_empty() && pg {
        sql.push_str(&format!(
            " INCLUDE ({})",
            ident_list(dialect, &op.postgresql_include)
        ));
    }
    if let Some(predicate) = &op.where_ {
        sql.push_str(&format!(" WHERE {predicate}"));
    }
    Ok(sql)
}

/// An index expression as MySQL (8.0.13+) takes it: a column with its order (`created_at
/// DESC`) as it is, anything else in parentheses of its own, as a functional key part must be.
/// MariaDB has no functional key parts and refuses the latter.
fn mysql_key_part(expression: &str) -> String {
    let words: Vec<&str> = expression.split_whitespace().collect();
    let plain_word = |word: &str| {
        word.chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '`' || c == '$')
    };
    match words.as_slice() {
        [column] if plain_word(column) => expression.to_string(),
        [column, order]
            if plain_word(column)
                && (order.eq_ignore_ascii_case("asc") || order.eq_ignore_ascii_case("desc")) =>
        {
            expression.to_string()
        }
        _ => format!("({expression})"),
    }
}

/// An operator class, `jsonb_path_ops` or schema-qualified `public.gin_trgm_ops`, each part
/// quoted.
fn operator_class(class: &str) -> String {
    match class.split_once('.') {
        Some((schema, name)) => qualified(Dialect::Postgresql, Some(schema), name),
        None => ident(Dialect::Postgresql, class),
    }
}

/// A statement run only when it does not fail for an object that exists already: a `DO`
/// block that lets a `duplicate_object` error be (PostgreSQL), as SQLAlchemy's `checkfirst`
/// creates a type only when it is missing. PostgreSQL has no `CREATE TYPE IF NOT EXISTS`.
pub(super) fn unless_exists(statement: &str) -> String {
    // A dollar-quote tag the statement does not hold, so no value can end the block early.
    let tag = (0..)
        .map(|n| match n {
            0 => "$rmig$".to_string(),
            n => format!("$rmig{n}$"),
        })
        .find(|tag| !statement.contains(tag.as_str()))
        .expect("some tag is free");
    format!("DO {tag} BEGIN {statement}; EXCEPTION WHEN duplicate_object THEN NULL; END {tag}")
}

/// `DROP TYPE [IF EXISTS]` (PostgreSQL), without CASCADE: the database refuses while a
/// column uses the type.
pub(super) fn drop_enum(schema: Option<&str>, name: &str, if_exists: bool) -> String {
    format!(
        "DROP TYPE {}{}",
        if if_exists { "IF EXISTS " } else { "" },
        qualified(Dialect::Postgresql, schema, name)
    )
}

/// `DROP INDEX`, the index named within its schema on PostgreSQL and SQLite; MySQL names
/// the index within its table, so there the table is needed.
pub(super) fn drop_index(dialect: Dialect, op: &DropIndex) -> Result<String, String> {
    let mut sql = String::from("DROP INDEX ");
    if op.postgresql_concurrently && dialect == Dialect::Postgresql {
        sql.push_str("CONCURRENTLY ");
    }
    if op.if_exists {
        sql.push_str("IF EXISTS ");
    }
    if dialect == Dialect::Mysql {
        let table = op
            .table_name
            .as_deref()
            .ok_or("MySQL drops an index through its table; give the index's `table_name`")?;
        sql.push_str(&format!(
            "{} ON {}",
            ident(dialect, &op.index_name),
            qualified(dialect, op.schema.as_deref(), table)
        ));
    } else {
        sql.push_str(&qualified(dialect, op.schema.as_deref(), &op.index_name));
    }
    Ok(sql)
}

/// `ALTER INDEX "old" RENAME TO "new"`, `ALTER SEQUENCE ...`: a schema object renamed in
/// its schema (PostgreSQL). `kind` is the SQL keyword.
pub(super) fn rename_relation(
    dialect: Dialect,
    kind: &str,
    schema: Option<&str>,
    old: &str,
    new: &str,
) -> String {
    format!(
        "ALTER {kind} {} RENAME TO {}",
        qualified(dialect, schema, old),
        ident(dialect, new)
    )
}

/// `ALTER TABLE t RENAME CONSTRAINT "old" TO "new"` (PostgreSQL).
pub(super) fn rename_constraint(
    dialect: Dialect,
    schema: Option<&str>,
    table: &str,
    old: &str,
    new: &str,
) -> String {
    format!(
        "ALTER TABLE {} RENAME CONSTRAINT {} TO {}",
        qualified(dialect, schema, table),
        ident(dialect, old),
        ident(dialect, new)
    )
}

/// Prefixes every line of `text` with `-- `, so that no line of it can leave the comment,
/// whatever an identifier or a condition inside it contains. A lone carriage return counts as
/// a line break, as PostgreSQL's lexer ends a `--` comment there too.
pub(super) fn comment_lines(text: &str) -> String {
    text.replace("\r\n", "\n")
        .split(['\n', '\r'])
        .map(|line| format!("-- {line}").trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_always_quoted_with_quotes_doubled() {
        for dialect in [Dialect::Postgresql, Dialect::Sqlite] {
            assert_eq!(ident(dialect, "plain"), "\"plain\"");
            assert_eq!(
                ident(dialect, "weird\"; DROP TABLE x; --"),
                "\"weird\"\"; DROP TABLE x; --\""
            );
            assert_eq!(qualified(dialect, Some("s"), "t"), "\"s\".\"t\"");
        }
    }

    #[test]
    fn string_literals_double_their_quotes() {
        assert_eq!(string_literal("it's"), "'it''s'");
        assert_eq!(string_literal("a\\b"), "'a\\b'");
    }

    #[test]
    fn comment_lines_keep_every_line_commented() {
        assert_eq!(
            comment_lines("one\n\"x\nDROP TABLE y; --\""),
            "-- one\n-- \"x\n-- DROP TABLE y; --\""
        );
        assert_eq!(comment_lines("a\rb\r\nc"), "-- a\n-- b\n-- c");
    }

    #[test]
    fn a_sqlite_foreign_key_stays_in_its_schema() {
        assert_eq!(
            referent(Dialect::Sqlite, Some("aux"), Some("aux"), "users").unwrap(),
            "\"users\""
        );
        let message = referent(Dialect::Sqlite, None, Some("auth"), "users").unwrap_err();
        assert!(message.contains("`auth.users`"), "{message}");
        assert_eq!(
            referent(Dialect::Postgresql, None, Some("auth"), "users").unwrap(),
            "\"auth\".\"users\""
        );
    }
}
