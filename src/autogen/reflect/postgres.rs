//! PostgreSQL reflection from `pg_catalog`.

use crate::db::{Backend, DbError};
use crate::ops::{Column, ColumnType, ForeignKeyMatch, Identity, Initially, ReferentialAction};

use super::super::model::{
    Check, EnumType, ForeignKey, Index, OwnedSequence, PrimaryKey, Schema, Table, TableColumn,
    Unique,
};
use super::{json_rows, text};

const TABLES: &str =
    "SELECT json_build_array(c.relname, obj_description(c.oid, 'pg_class'))::text \
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition \
    ORDER BY c.relname";

const COLUMNS: &str = "SELECT json_build_array(c.relname, a.attname, \
    format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid), \
    a.attidentity::text, col_description(c.oid, a.attnum), et.typname, en.nspname, \
    t.typcategory = 'A', \
    (SELECT s.relname FROM pg_depend dep JOIN pg_class s ON s.oid = dep.objid \
        WHERE dep.refobjid = c.oid AND dep.refobjsubid = a.attnum AND s.relkind = 'S' \
            AND dep.classid = 'pg_class'::regclass AND dep.deptype IN ('a', 'i') LIMIT 1))::text \
    FROM pg_attribute a \
    JOIN pg_class c ON c.oid = a.attrelid \
    JOIN pg_namespace n ON n.oid = c.relnamespace \
    JOIN pg_type t ON t.oid = a.atttypid \
    LEFT JOIN pg_type et ON et.typtype = 'e' \
        AND et.oid = (CASE WHEN t.typtype = 'e' THEN t.oid ELSE t.typelem END) \
    LEFT JOIN pg_namespace en ON en.oid = et.typnamespace \
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
    WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition \
        AND a.attnum > 0 AND NOT a.attisdropped \
    ORDER BY c.relname, a.attnum";

const CONSTRAINTS: &str = "SELECT json_build_array(c.relname, con.conname, con.contype::text, \
    ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(num, pos) \
        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.pos), \
    fn.nspname, fc.relname, \
    ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY AS k(num, pos) \
        JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.pos), \
    con.confupdtype::text, con.confdeltype::text, con.confmatchtype::text, \
    con.condeferrable, con.condeferred, pg_get_constraintdef(con.oid))::text \
    FROM pg_constraint con \
    JOIN pg_class c ON c.oid = con.conrelid \
    JOIN pg_namespace n ON n.oid = c.relnamespace \
    LEFT JOIN pg_class fc ON fc.oid = con.confrelid \
    LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace \
    WHERE n.nspname = $1 AND con.contype IN ('p', 'u', 'f', 'c') \
    ORDER BY c.relname, con.conname";

const INDEXES: &str = "SELECT json_build_array(t.relname, i.relname, ix.indisunique, \
    ARRAY(SELECT a.attname FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(num, pos) \
        LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.num \
        WHERE k.pos <= ix.indnkeyatts ORDER BY k.pos), \
    pg_get_expr(ix.indpred, ix.indrelid), ix.indexprs IS NOT NULL)::text \
    FROM pg_index ix \
    JOIN pg_class i ON i.oid = ix.indexrelid \
    JOIN pg_class t ON t.oid = ix.indrelid \
    JOIN pg_namespace n ON n.oid = t.relnamespace \
    WHERE n.nspname = $1 AND t.relkind IN ('r', 'p') AND NOT ix.indisprimary \
        AND NOT EXISTS (SELECT 1 FROM pg_constraint con \
            WHERE con.conindid = ix.indexrelid AND con.contype IN ('p', 'u', 'x')) \
    ORDER BY t.relname, i.relname";

const ENUMS: &str = "SELECT json_build_array(t.typname, \
    ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder))::text \
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
    WHERE n.nspname = $1 AND t.typtype = 'e' ORDER BY t.typname";

const ENUM_VALUES: &str = "SELECT e.enumlabel::text FROM pg_enum e \
    JOIN pg_type t ON t.oid = e.enumtypid JOIN pg_namespace n ON n.oid = t.typnamespace \
    WHERE n.nspname = $1 AND t.typname = $2 ORDER BY e.enumsortorder";

type ColumnRow = (
    String,
    String,
    String,
    bool,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    bool,
    Option<String>,
);

type ConstraintRow = (
    String,
    String,
    String,
    Vec<String>,
    Option<String>,
    Option<String>,
    Vec<String>,
    String,
    String,
    String,
    bool,
    bool,
    String,
);

type IndexRow = (
    String,
    String,
    bool,
    Vec<Option<String>>,
    Option<String>,
    bool,
);

pub(super) fn reflect(backend: &mut dyn Backend, schemas: &[String]) -> Result<Schema, DbError> {
    let default_schema = backend
        .query_strings("SELECT current_schema()::text", &[])?
        .into_iter()
        .next()
        .ok_or_else(|| {
            DbError::Other(
                "the connection has no current schema; set the role's search_path".to_string(),
            )
        })?;
    let mut names = vec![default_schema.clone()];
    for schema in schemas {
        if !names.contains(schema) {
            names.push(schema.clone());
        }
    }
    let mut model = Schema::default();
    for namespace in &names {
        let schema = (namespace != &default_schema).then(|| namespace.clone());
        reflect_namespace(backend, namespace, schema, &default_schema, &mut model)?;
    }
    Ok(model)
}

fn reflect_namespace(
    backend: &mut dyn Backend,
    namespace: &str,
    schema: Option<String>,
    default_schema: &str,
    model: &mut Schema,
) -> Result<(), DbError> {
    let first = model.tables.len();
    for (name, comment) in
        json_rows::<(String, Option<String>)>(backend, TABLES, &[text(namespace)])?
    {
        let mut table = Table::named(schema.as_deref(), &name);
        table.comment = comment;
        model.tables.push(table);
    }
    let mut enum_values: Vec<((String, String), Vec<String>)> = Vec::new();
    let columns: Vec<ColumnRow> = json_rows(backend, COLUMNS, &[text(namespace)])?;
    for (
        table,
        name,
        type_text,
        not_null,
        default,
        identity,
        comment,
        enum_name,
        enum_schema,
        is_array,
        sequence,
    ) in columns
    {
        let type_ = match (enum_name, enum_schema) {
            (Some(enum_name), Some(enum_schema)) => {
                let key = (enum_schema, enum_name.clone());
                let values = match enum_values.iter().find(|(known, _)| known == &key) {
                    Some((_, values)) => values.clone(),
                    None => {
                        let values =
                            backend.query_strings(ENUM_VALUES, &[text(&key.0), text(&key.1)])?;
                        enum_values.push((key, values.clone()));
                        values
                    }
                };
                let enum_type = ColumnType::Enum {
                    name: enum_name,
                    values,
                };
                if is_array {
                    ColumnType::Array(Box::new(enum_type))
                } else {
                    enum_type
                }
            }
            _ => ColumnType::from_postgres_spelling(&type_text),
        };
        // A SERIAL column's default is its own sequence: rmig's create_table makes it from
        // the integer key, so it is not a default the schema file states.
        let default = default.filter(|expression| !expression.starts_with("nextval("));
        let identity = match identity.as_str() {
            "a" => Some(Identity {
                always: true,
                start: None,
                increment: None,
            }),
            "d" => Some(Identity::default()),
            _ => None,
        };
        let column = Column {
            name,
            type_,
            nullable: !not_null,
            primary_key: false,
            server_default: default,
            unique: false,
            autoincrement: None,
            identity,
            comment,
            foreign_key: None,
        };
        if let Some(table) = table_mut(model, first, &table) {
            if let Some(sequence) = sequence {
                table.sequences.push(OwnedSequence {
                    column: column.name.clone(),
                    name: sequence,
                });
            }
            table.columns.push(TableColumn {
                column,
                renamed_from: None,
            });
        }
    }
    let constraints: Vec<ConstraintRow> = json_rows(backend, CONSTRAINTS, &[text(namespace)])?;
    for (
        table,
        name,
        kind,
        columns,
        referent_namespace,
        referent_table,
        referent_columns,
        onupdate,
        ondelete,
        match_type,
        deferrable,
        deferred,
        definition,
    ) in constraints
    {
        let Some(table) = table_mut(model, first, &table) else {
            continue;
        };
        match kind.as_str() {
            "p" => {
                table.primary_key = Some(PrimaryKey {
                    name: Some(name),
                    columns,
                })
            }
            "u" => table.uniques.push(Unique {
                name: Some(name),
                columns,
            }),
            "c" => table.checks.push(Check {
                name: Some(name),
                condition: check_condition(&definition),
            }),
            "f" => table.foreign_keys.push(ForeignKey {
                name: Some(name),
                columns,
                referent_schema: referent_namespace.filter(|namespace| namespace != default_schema),
                referent_table: referent_table.unwrap_or_default(),
                referent_columns,
                ondelete: action(&ondelete),
                onupdate: action(&onupdate),
                deferrable: Some(deferrable),
                initially: Some(if deferred {
                    Initially::Deferred
                } else {
                    Initially::Immediate
                }),
                match_: match match_type.as_str() {
                    "f" => Some(ForeignKeyMatch::Full),
                    "p" => Some(ForeignKeyMatch::Partial),
                    _ => Some(ForeignKeyMatch::Simple),
                },
            }),
            _ => {}
        }
    }
    let indexes: Vec<IndexRow> = json_rows(backend, INDEXES, &[text(namespace)])?;
    for (table, name, unique, columns, predicate, has_expressions) in indexes {
        let Some(table) = table_mut(model, first, &table) else {
            continue;
        };
        let expression = has_expressions || columns.iter().any(Option::is_none);
        table.indexes.push(Index {
            name,
            columns: columns.into_iter().flatten().collect(),
            unique,
            where_: predicate,
            expression,
        });
    }
    for table in &mut model.tables[first..] {
        if let Some(key) = &table.primary_key {
            for entry in &mut table.columns {
                if key.columns.contains(&entry.column.name) {
                    entry.column.nullable = false;
                }
            }
        }
    }
    for (name, values) in json_rows::<(String, Vec<String>)>(backend, ENUMS, &[text(namespace)])? {
        model.enums.push(EnumType {
            schema: schema.clone(),
            name,
            values,
        });
    }
    Ok(())
}

/// The table of this namespace (those from index `first` on) named `name`.
fn table_mut<'a>(model: &'a mut Schema, first: usize, name: &str) -> Option<&'a mut Table> {
    model.tables[first..]
        .iter_mut()
        .find(|table| table.name == name)
}

/// `CHECK ((price > 0))` -> `(price > 0)`; a trailing `NOT VALID` is not part of it.
fn check_condition(definition: &str) -> String {
    let body = definition.trim();
    let body = body.strip_suffix("NOT VALID").unwrap_or(body).trim();
    let body = body.strip_suffix("NO INHERIT").unwrap_or(body).trim();
    body.strip_prefix("CHECK")
        .unwrap_or(body)
        .trim()
        .to_string()
}

/// `pg_constraint.confdeltype` / `confupdtype` as the vocabulary's action.
fn action(code: &str) -> Option<ReferentialAction> {
    match code {
        "c" => Some(ReferentialAction::Cascade),
        "n" => Some(ReferentialAction::SetNull),
        "d" => Some(ReferentialAction::SetDefault),
        "r" => Some(ReferentialAction::Restrict),
        "a" => Some(ReferentialAction::NoAction),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_definitions_lose_their_keyword() {
        assert_eq!(check_condition("CHECK ((price > 0))"), "((price > 0))");
        assert_eq!(check_condition("CHECK ((a < b)) NOT VALID"), "((a < b))");
    }
}
