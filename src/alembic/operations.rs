//! `op.*` calls as rmig operations, argument by argument after Alembic 1.20's signatures, and
//! `batch_op.*` calls as the plain calls they stand for (on PostgreSQL a batch block is plain
//! ALTER statements; rmig recreates SQLite tables itself where it must).

use super::bind::{Bound, Signature};
use super::emit::{OpTable, Toml};
use super::python::{BatchTable, Call, Callee, Value};
use super::sqla::types::{column_type, enum_spec, EnumTypes};
use super::sqla::{
    column, foreign_key_options, index_parts, server_default, sql_text, sqla_name, table_clause,
    IndexParts, TableItem,
};

/// What translating one call gives: the operations, and remarks for the report.
pub(super) struct Translation {
    pub(super) ops: Vec<OpTable>,
    pub(super) notes: Vec<String>,
}

/// Translates `op.<name>(...)`.
pub(super) fn op_call(name: &str, call: &Call) -> Result<Translation, String> {
    let mut notes = Vec::new();
    let ops = match name {
        "create_table" => create_table(call, &mut notes)?,
        "drop_table" => {
            let args = bind(
                call,
                "op.drop_table",
                &["table_name"],
                &["schema", "if_exists", "info"],
                &mut notes,
            )?;
            args.refuse("if_exists")?;
            vec![OpTable::new("drop_table")
                .with("table_name", Toml::Str(args.req_str("table_name")?))
                .maybe("schema", opt(&args, "schema")?)]
        }
        "rename_table" => {
            let args = bind(
                call,
                "op.rename_table",
                &["old_table_name", "new_table_name"],
                &["schema"],
                &mut notes,
            )?;
            vec![OpTable::new("rename_table")
                .with("old_table_name", Toml::Str(args.req_str("old_table_name")?))
                .with("new_table_name", Toml::Str(args.req_str("new_table_name")?))
                .maybe("schema", opt(&args, "schema")?)]
        }
        "add_column" => add_column(call, &mut notes)?,
        "drop_column" => {
            let args = bind(
                call,
                "op.drop_column",
                &["table_name", "column_name"],
                &["schema", "if_exists"],
                &mut notes,
            )?;
            args.refuse("if_exists")?;
            vec![OpTable::new("drop_column")
                .with("table_name", Toml::Str(args.req_str("table_name")?))
                .with("column_name", Toml::Str(args.req_str("column_name")?))
                .maybe("schema", opt(&args, "schema")?)]
        }
        "alter_column" => vec![alter_column(call, &mut notes)?],
        "create_index" => vec![create_index(call, &mut notes)?],
        "drop_index" => {
            let args = bind(
                call,
                "op.drop_index",
                &["index_name", "table_name"],
                &[
                    "schema",
                    "if_exists",
                    "postgresql_concurrently",
                    "sqlite_where",
                    "postgresql_where",
                    "postgresql_using",
                ],
                &mut notes,
            )?;
            let mut op = OpTable::new("drop_index")
                .with(
                    "index_name",
                    args.opt_name("index_name")?
                        .ok_or("op.drop_index needs `index_name`")?,
                )
                .maybe("table_name", opt(&args, "table_name")?);
            if args.opt_bool("postgresql_concurrently")? == Some(true) {
                op.set("postgresql_concurrently", Toml::Bool(true));
            }
            if args.opt_bool("if_exists")? == Some(true) {
                op.set("if_exists", Toml::Bool(true));
            }
            vec![op.maybe("schema", opt(&args, "schema")?)]
        }
        "create_unique_constraint" => {
            let args = bind(
                call,
                "op.create_unique_constraint",
                &["constraint_name", "table_name", "columns"],
                &["schema", "deferrable", "initially"],
                &mut notes,
            )?;
            args.refuse("deferrable")?;
            args.refuse("initially")?;
            vec![OpTable::new("create_unique_constraint")
                .maybe("constraint_name", args.opt_name("constraint_name")?)
                .with("table_name", Toml::Str(args.req_str("table_name")?))
                .with("columns", Toml::strings(&args.str_list("columns")?))
                .maybe("schema", opt(&args, "schema")?)]
        }
        "create_foreign_key" => {
            let args = bind(
                call,
                "op.create_foreign_key",
                &[
                    "constraint_name",
                    "source_table",
                    "referent_table",
                    "local_cols",
                    "remote_cols",
                ],
                &[
                    "onupdate",
                    "ondelete",
                    "deferrable",
                    "initially",
                    "match",
                    "source_schema",
                    "referent_schema",
                ],
                &mut notes,
            )?;
            let mut op = OpTable::new("create_foreign_key")
                .maybe("constraint_name", args.opt_name("constraint_name")?)
                .with("source_table", Toml::Str(args.req_str("source_table")?))
                .with("referent_table", Toml::Str(args.req_str("referent_table")?))
                .with("local_cols", Toml::strings(&args.str_list("local_cols")?))
                .with("remote_cols", Toml::strings(&args.str_list("remote_cols")?));
            for (key, value) in foreign_key_options(
                args.given("ondelete"),
                args.given("onupdate"),
                args.opt_bool("deferrable")?,
                args.opt_str("initially")?,
                args.opt_str("match")?,
            )? {
                op.set(&key, value);
            }
            vec![op
                .maybe("source_schema", opt(&args, "source_schema")?)
                .maybe("referent_schema", opt(&args, "referent_schema")?)]
        }
        "create_check_constraint" => {
            let args = bind(
                call,
                "op.create_check_constraint",
                &["constraint_name", "table_name", "condition"],
                &["schema"],
                &mut notes,
            )?;
            let condition = sql_text(
                args.given("condition")
                    .ok_or("op.create_check_constraint needs `condition`")?,
            )?;
            vec![OpTable::new("create_check_constraint")
                .maybe("constraint_name", args.opt_name("constraint_name")?)
                .with("table_name", Toml::Str(args.req_str("table_name")?))
                .with("condition", Toml::Str(condition))
                .maybe("schema", opt(&args, "schema")?)]
        }
        "create_primary_key" => {
            let args = bind(
                call,
                "op.create_primary_key",
                &["constraint_name", "table_name", "columns"],
                &["schema"],
                &mut notes,
            )?;
            vec![OpTable::new("create_primary_key")
                .maybe("constraint_name", args.opt_name("constraint_name")?)
                .with("table_name", Toml::Str(args.req_str("table_name")?))
                .with("columns", Toml::strings(&args.str_list("columns")?))
                .maybe("schema", opt(&args, "schema")?)]
        }
        "drop_constraint" => {
            let args = bind(
                call,
                "op.drop_constraint",
                &["constraint_name", "table_name", "type_"],
                &["schema", "if_exists"],
                &mut notes,
            )?;
            args.refuse("if_exists")?;
            let kind = match args.opt_str("type_")?.as_deref() {
                None => None,
                Some(kind @ ("foreignkey" | "unique" | "check" | "primary")) => {
                    Some(Toml::str(kind))
                }
                Some(other) => {
                    return Err(format!(
                        "op.drop_constraint type_={other:?} has no equivalent in rmig's operations"
                    ))
                }
            };
            vec![OpTable::new("drop_constraint")
                .with(
                    "constraint_name",
                    args.opt_name("constraint_name")?
                        .ok_or("op.drop_constraint needs `constraint_name`")?,
                )
                .with("table_name", Toml::Str(args.req_str("table_name")?))
                .maybe("type_", kind)
                .maybe("schema", opt(&args, "schema")?)]
        }
        "create_table_comment" => {
            let args = bind(
                call,
                "op.create_table_comment",
                &["table_name", "comment"],
                &["existing_comment", "schema"],
                &mut notes,
            )?;
            vec![OpTable::new("create_table_comment")
                .with("table_name", Toml::Str(args.req_str("table_name")?))
                .with("comment", Toml::Str(args.req_str("comment")?))
                .maybe("existing_comment", opt(&args, "existing_comment")?)
                .maybe("schema", opt(&args, "schema")?)]
        }
        "drop_table_comment" => {
            let args = bind(
                call,
                "op.drop_table_comment",
                &["table_name"],
                &["existing_comment", "schema"],
                &mut notes,
            )?;
            vec![OpTable::new("drop_table_comment")
                .with("table_name", Toml::Str(args.req_str("table_name")?))
                .maybe("existing_comment", opt(&args, "existing_comment")?)
                .maybe("schema", opt(&args, "schema")?)]
        }
        "execute" => {
            let args = bind(
                call,
                "op.execute",
                &["sqltext"],
                &["execution_options"],
                &mut notes,
            )?;
            args.refuse("execution_options")?;
            let sql = sql_text(args.given("sqltext").ok_or("op.execute needs its SQL")?).map_err(
                |_| {
                    "op.execute runs a SQLAlchemy expression built in Python, not SQL text"
                        .to_string()
                },
            )?;
            vec![OpTable::new("execute").with("sqltext", Toml::Str(sql))]
        }
        "bulk_insert" => vec![bulk_insert(call, &mut notes)?],
        "get_bind" => {
            return Err("op.get_bind() hands the database connection to Python code".into())
        }
        other => {
            return Err(format!(
                "op.{other}(...) has no declarative equivalent in rmig"
            ))
        }
    };
    Ok(Translation { ops, notes })
}

/// Translates `batch_op.<method>(...)` as the plain `op.<method>` on the batch's table.
pub(super) fn batch_call(
    batch: &BatchTable,
    method: &str,
    call: &Call,
) -> Result<Translation, String> {
    // Where the plain call takes the table: (position, keyword, schema keyword).
    let (position, table_key, schema_key) = match method {
        "add_column"
        | "drop_column"
        | "alter_column"
        | "create_table_comment"
        | "drop_table_comment" => (0, "table_name", "schema"),
        "create_index"
        | "create_unique_constraint"
        | "create_check_constraint"
        | "create_primary_key"
        | "drop_constraint" => (1, "table_name", "schema"),
        "create_foreign_key" => (1, "source_table", "source_schema"),
        "drop_index" => (usize::MAX, "table_name", "schema"),
        "execute" => return op_call("execute", call),
        other => {
            return Err(format!(
                "batch_op.{other}(...) has no declarative equivalent in rmig"
            ))
        }
    };
    let mut plain = call.clone();
    plain.callee = Callee::Name(format!("alembic.op.{method}"));
    let mut notes = Vec::new();
    plain.kwargs.retain(|(key, _)| {
        let positional_only = key == "insert_before" || key == "insert_after";
        if positional_only {
            notes.push(format!(
                "batch_op.{method}'s `{key}` orders columns only when Alembic recreates a SQLite table; left out"
            ));
        }
        !positional_only
    });
    let table = Value::Str(batch.table.clone());
    if plain.args.len() >= position && position != usize::MAX {
        plain.args.insert(position, table);
    } else {
        plain.kwargs.push((table_key.to_string(), table));
    }
    if let Some(schema) = &batch.schema {
        plain
            .kwargs
            .push((schema_key.to_string(), Value::Str(schema.clone())));
    }
    let mut translation = op_call(method, &plain)?;
    translation.notes.extend(notes);
    Ok(translation)
}

/// Translates a method called on a SQLAlchemy object: `sa.Enum(..., name=...).create(bind)`
/// and `.drop(bind)` (also on `postgresql.ENUM`, or a name bound to one) as `create_enum` and
/// `drop_enum`.
pub(super) fn method_call(
    receiver: &Value,
    method: &str,
    call: &Call,
) -> Result<Translation, String> {
    let unknown = || {
        format!(
            "{}.{method}(...) runs Python rmig does not read",
            receiver.describe()
        )
    };
    let (Some(kind @ ("Enum" | "ENUM")), Value::Call(type_call), "create" | "drop") =
        (sqla_name(receiver), receiver, method)
    else {
        return Err(unknown());
    };
    let args = Signature {
        name: if method == "create" {
            "the enum's create()"
        } else {
            "the enum's drop()"
        },
        positional: &["bind", "checkfirst"],
        keyword: &[],
        varargs: false,
    }
    .bind(call)?;
    if args.get("bind").and_then(Value::qualified_name) != Some("alembic.op.get_bind") {
        return Err(format!(
            "{}.{method}(...) is given something other than op.get_bind()",
            receiver.describe()
        ));
    }
    // postgresql.ENUM checks first unless told not to; sa.Enum does not.
    let checkfirst = args.opt_bool("checkfirst")?.unwrap_or(kind == "ENUM");
    let spec = enum_spec(type_call)?;
    let op = if method == "create" {
        if spec.values.is_empty() {
            return Err(format!(
                "the enum type `{}` is created with no values",
                spec.name
            ));
        }
        let mut op = OpTable::new("create_enum")
            .with("enum_name", Toml::Str(spec.name))
            .with("values", Toml::strings(&spec.values));
        if checkfirst {
            op.set("if_not_exists", Toml::Bool(true));
        }
        op
    } else {
        let mut op = OpTable::new("drop_enum").with("enum_name", Toml::Str(spec.name));
        if !spec.values.is_empty() {
            op.set("values", Toml::strings(&spec.values));
        }
        if checkfirst {
            op.set("if_exists", Toml::Bool(true));
        }
        op
    };
    Ok(Translation {
        ops: vec![op.maybe("schema", spec.schema.map(Toml::Str))],
        notes: Vec::new(),
    })
}

fn bind(
    call: &Call,
    name: &'static str,
    positional: &'static [&'static str],
    keyword: &'static [&'static str],
    notes: &mut Vec<String>,
) -> Result<Bound, String> {
    let bound = Signature {
        name,
        positional,
        keyword,
        varargs: false,
    }
    .bind(call)?;
    for key in &bound.ignored {
        notes.push(format!(
            "{name}'s `{key}` is a database option rmig's operations do not take (the server's default applies); left out"
        ));
    }
    Ok(bound)
}

/// An optional string argument as a TOML string.
fn opt(args: &Bound, param: &str) -> Result<Option<Toml>, String> {
    Ok(args.opt_str(param)?.map(Toml::Str))
}

fn create_table(call: &Call, notes: &mut Vec<String>) -> Result<Vec<OpTable>, String> {
    let args = Signature {
        name: "op.create_table",
        positional: &["table_name"],
        keyword: &["schema", "comment", "if_not_exists", "info"],
        varargs: true,
    }
    .bind(call)?;
    for key in &args.ignored {
        notes.push(format!(
            "op.create_table's `{key}` is a database option rmig's operations do not take (the server's default applies); left out"
        ));
    }
    args.refuse("if_not_exists")?;
    let table = args.req_str("table_name")?;
    let schema = opt(&args, "schema")?;
    let mut columns = Vec::new();
    let mut constraints = Vec::new();
    let mut indexes = Vec::new();
    for item in &args.rest {
        match super::sqla::table_item(item)? {
            TableItem::Column(column) => {
                if let Some(unique) = column.index {
                    indexes.push(index_op(
                        None,
                        &table,
                        IndexParts::of_columns(std::slice::from_ref(&column.name)),
                        unique,
                    ));
                }
                columns.push(column.table);
            }
            TableItem::Constraint(constraint) => constraints.push(constraint),
            TableItem::Index {
                name,
                unique,
                parts,
            } => indexes.push(index_op(name, &table, parts, unique)),
        }
    }
    if columns.is_empty() {
        return Err("op.create_table lists no columns".into());
    }
    let mut create = OpTable::new("create_table")
        .with("table_name", Toml::Str(table))
        .with("columns", Toml::Array(columns));
    if !constraints.is_empty() {
        create.set("constraints", Toml::Array(constraints));
    }
    let create = create
        .maybe("schema", schema.clone())
        .maybe("comment", opt(&args, "comment")?);
    let mut ops = vec![create];
    ops.extend(
        indexes
            .into_iter()
            .map(|index| index.maybe("schema", schema.clone())),
    );
    Ok(ops)
}

/// `create_index`; an index without a name gets the `ix` naming convention's when loaded.
fn index_op(name: Option<Toml>, table: &str, parts: IndexParts, unique: bool) -> OpTable {
    let mut op = OpTable::new("create_index")
        .maybe("index_name", name)
        .with("table_name", Toml::str(table))
        .with("columns", Toml::Array(parts.columns));
    if unique {
        op.set("unique", Toml::Bool(true));
    }
    for (key, value) in parts.fields {
        op.set(&key, value);
    }
    op
}

fn add_column(call: &Call, notes: &mut Vec<String>) -> Result<Vec<OpTable>, String> {
    let args = bind(
        call,
        "op.add_column",
        &["table_name", "column"],
        &[
            "schema",
            "if_not_exists",
            "inline_references",
            "inline_primary_key",
        ],
        notes,
    )?;
    args.refuse("if_not_exists")?;
    let table = args.req_str("table_name")?;
    let column = column(
        args.given("column")
            .ok_or("op.add_column needs its column")?,
        EnumTypes::Existing,
    )?;
    let schema = opt(&args, "schema")?;
    let mut ops = vec![OpTable::new("add_column")
        .with("table_name", Toml::str(&table))
        .with("column", column.table)
        .maybe("schema", schema.clone())];
    if let Some(unique) = column.index {
        ops.push(
            index_op(None, &table, IndexParts::of_columns(&[column.name]), unique)
                .maybe("schema", schema),
        );
    }
    Ok(ops)
}

fn alter_column(call: &Call, notes: &mut Vec<String>) -> Result<OpTable, String> {
    let args = bind(
        call,
        "op.alter_column",
        &["table_name", "column_name"],
        &[
            "nullable",
            "comment",
            "server_default",
            "new_column_name",
            "type_",
            "existing_type",
            "existing_server_default",
            "existing_nullable",
            "existing_comment",
            "schema",
            "postgresql_using",
            "autoincrement",
            "existing_autoincrement",
        ],
        notes,
    )?;
    args.refuse("autoincrement")?;
    let mut op = OpTable::new("alter_column")
        .with("table_name", Toml::Str(args.req_str("table_name")?))
        .with("column_name", Toml::Str(args.req_str("column_name")?))
        .maybe("new_column_name", opt(&args, "new_column_name")?);
    if let Some(type_) = args.given("type_") {
        let (key, value) = column_type(type_, EnumTypes::Declared)?.field("type_", "sql_type");
        op.set(&key, value);
    }
    if let Some(nullable) = args.opt_bool("nullable")? {
        op.set("nullable", Toml::Bool(nullable));
    }
    // `False` (the default) leaves a default or comment as it is; `None` removes it.
    match args.get("server_default") {
        None | Some(Value::Bool(false)) => {}
        Some(Value::None) => op.set("server_default", Toml::Bool(false)),
        Some(value) => op.set("server_default", Toml::Str(server_default(value)?)),
    }
    match args.get("comment") {
        None | Some(Value::Bool(false)) => {}
        Some(Value::None) => op.set("comment", Toml::Bool(false)),
        Some(Value::Str(text)) => op.set("comment", Toml::str(text)),
        Some(other) => {
            return Err(format!(
                "op.alter_column's comment {} is not a string",
                other.describe()
            ))
        }
    }
    if let Some(using) = args.given("postgresql_using") {
        op.set("postgresql_using", Toml::Str(sql_text(using)?));
    }
    if let Some(type_) = args.given("existing_type") {
        let (key, value) =
            column_type(type_, EnumTypes::Declared)?.field("existing_type", "existing_sql_type");
        op.set(&key, value);
    }
    if let Some(nullable) = args.opt_bool("existing_nullable")? {
        op.set("existing_nullable", Toml::Bool(nullable));
    }
    match args.get("existing_server_default") {
        None | Some(Value::Bool(false)) | Some(Value::None) => {}
        Some(value) => op.set("existing_server_default", Toml::Str(server_default(value)?)),
    }
    Ok(op
        .maybe("existing_comment", opt(&args, "existing_comment")?)
        .maybe("schema", opt(&args, "schema")?))
}

fn create_index(call: &Call, notes: &mut Vec<String>) -> Result<OpTable, String> {
    let args = bind(
        call,
        "op.create_index",
        &["index_name", "table_name", "columns"],
        &[
            "schema",
            "unique",
            "if_not_exists",
            "postgresql_where",
            "sqlite_where",
            "postgresql_concurrently",
            "postgresql_using",
            "postgresql_ops",
            "postgresql_include",
            "info",
        ],
        notes,
    )?;
    let name = args.opt_name("index_name")?;
    let elements = match args.given("columns") {
        Some(Value::Seq(elements)) if !elements.is_empty() => elements,
        _ => {
            return Err("op.create_index's columns must be a list of columns or expressions".into())
        }
    };
    let mut op = index_op(
        name,
        &args.req_str("table_name")?,
        index_parts(elements, &args)?,
        args.opt_bool("unique")?.unwrap_or(false),
    );
    if args.opt_bool("postgresql_concurrently")? == Some(true) {
        op.set("postgresql_concurrently", Toml::Bool(true));
    }
    if args.opt_bool("if_not_exists")? == Some(true) {
        op.set("if_not_exists", Toml::Bool(true));
    }
    Ok(op.maybe("schema", opt(&args, "schema")?))
}

fn bulk_insert(call: &Call, notes: &mut Vec<String>) -> Result<OpTable, String> {
    let args = bind(
        call,
        "op.bulk_insert",
        &["table", "rows"],
        &["multiinsert"],
        notes,
    )?;
    let (table, schema) = table_clause(
        args.given("table")
            .ok_or("op.bulk_insert needs its table")?,
    )?;
    let Some(Value::Seq(rows)) = args.given("rows") else {
        return Err("op.bulk_insert's rows must be a list of dicts".into());
    };
    let mut out = Vec::with_capacity(rows.len());
    let mut left_out_none = false;
    for row in rows {
        let Value::Dict(pairs) = row else {
            return Err(format!(
                "op.bulk_insert row {} is not a dict",
                row.describe()
            ));
        };
        let mut fields = Vec::with_capacity(pairs.len());
        for (key, value) in pairs {
            let Value::Str(key) = key else {
                return Err("op.bulk_insert's row keys must be column names".into());
            };
            let value = match value {
                Value::None => {
                    left_out_none = true;
                    continue;
                }
                Value::Bool(flag) => Toml::Bool(*flag),
                Value::Int(number) => Toml::Int(*number),
                Value::Float(number) => Toml::Float(*number),
                Value::Str(text) => Toml::str(text),
                other => {
                    return Err(format!(
                        "op.bulk_insert value {} for `{key}` is not a literal rmig can insert",
                        other.describe()
                    ))
                }
            };
            fields.push((key.clone(), value));
        }
        out.push(Toml::Table(fields));
    }
    if left_out_none {
        notes.push(format!(
            "op.bulk_insert into {table}: TOML has no None, so a None value is left out of its row (the column gets its default, NULL unless it has one)"
        ));
    }
    Ok(OpTable::new("bulk_insert")
        .with("table_name", Toml::Str(table))
        .with("rows", Toml::Array(out))
        .maybe("schema", schema.map(Toml::Str)))
}
