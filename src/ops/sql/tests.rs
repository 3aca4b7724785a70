//! The SQL of every operation on every dialect, as snapshots: these snapshots are the
//! specification of what rmig runs. Each shows what runs online (bound statements with their
//! parameters) and, for bound statements and table rebuilds, what `--sql` prints.

use serde::Deserialize;

use super::*;

#[derive(Deserialize)]
struct Doc {
    upgrade: Vec<Operation>,
}

fn ops(toml_text: &str) -> Vec<Operation> {
    toml::from_str::<Doc>(toml_text).unwrap().upgrade
}

/// One operation's statements on one dialect, one per paragraph, or its render error.
fn show(op: &Operation, dialect: Dialect) -> String {
    let statements = match render(op, dialect) {
        Ok(statements) => statements,
        Err(error) => return format!("error: {error}"),
    };
    if statements.is_empty() {
        return "(nothing)".to_string();
    }
    statements
        .iter()
        .map(|statement| match statement {
            Statement::Sql(sql) | Statement::Script(sql) => format!("{sql};"),
            Statement::Bound { sql, params } => format!(
                "{sql};\n  params: {params:?}\n  --sql: {};",
                statement.to_offline_sql(dialect)
            ),
            Statement::RecreateTable { .. } => format!(
                "{statement:?}\n  --sql:\n{}",
                statement.to_offline_sql(dialect)
            ),
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Every operation of the document on every dialect.
fn both(toml_text: &str) -> String {
    ops(toml_text)
        .iter()
        .map(|op| {
            let dialects: Vec<String> = Dialect::ALL
                .iter()
                .map(|&dialect| format!("# {dialect}\n\n{}\n", show(op, dialect)))
                .collect();
            format!("## {}\n\n{}", op.describe(), dialects.join("\n"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn create_table_the_contract_example() {
    insta::assert_snapshot!(both(
        r#"
[[upgrade]]
op = "create_table"
table_name = "user_profiles"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "bio", type = "text", nullable = true },
]
"#
    ));
}

#[test]
fn create_table_with_every_kind_of_constraint() {
    insta::assert_snapshot!(both(
        r#"
[[upgrade]]
op = "create_table"
table_name = "orders"
schema = "shop"
comment = "one row per order"
columns = [
  { name = "id", type = "bigint", primary_key = true },
  { name = "status", type = "varchar(16)", nullable = false, server_default = "'new'", comment = "the customer's view" },
  { name = "placed_at", type = "timestamptz", nullable = false, server_default = "now()" },
  { name = "customer_id", type = "integer", nullable = false, foreign_key = { table = "customers", column = "id", schema = "shop", name = "fk_orders_customer", ondelete = "CASCADE" } },
  { name = "code", type = "varchar(12)", unique = true },
]
constraints = [
  { type = "unique", columns = ["customer_id", "code"] },
  { type = "check", name = "ck_orders_status", condition = "status <> ''" },
  { type = "foreign_key", name = "fk_orders_code", local_cols = ["code"], referent_table = "codes", remote_cols = ["code"], referent_schema = "shop", ondelete = "SET NULL", onupdate = "no action", deferrable = true, initially = "DEFERRED", match = "FULL" },
]
"#
    ));
}

#[test]
fn create_table_maps_every_vocabulary_type() {
    insta::assert_snapshot!(both(
        r#"
[[upgrade]]
op = "create_table"
table_name = "every_type"
columns = [
  { name = "a_integer", type = "integer" },
  { name = "a_bigint", type = "bigint" },
  { name = "a_smallint", type = "smallint" },
  { name = "a_text", type = "text" },
  { name = "a_varchar", type = "varchar(255)" },
  { name = "a_unbounded_varchar", type = "varchar" },
  { name = "a_boolean", type = "boolean" },
  { name = "a_numeric", type = "numeric(10, 2)" },
  { name = "a_numeric_precision", type = "numeric(8)" },
  { name = "a_bare_numeric", type = "numeric" },
  { name = "a_real", type = "real" },
  { name = "a_double", type = "double precision" },
  { name = "a_date", type = "date" },
  { name = "a_timestamp", type = "timestamp" },
  { name = "a_timestamptz", type = "timestamp with time zone" },
  { name = "a_uuid", type = "uuid" },
  { name = "a_json", type = "json" },
  { name = "a_jsonb", type = "jsonb" },
  { name = "a_bytea", type = "bytea" },
  { name = "a_mood", type = { enum = "mood", values = ["happy", "it's complicated"] } },
  { name = "a_mood_again", type = { enum = "mood", values = ["happy", "it's complicated"] } },
  { name = "a_citext", sql_type = "citext" },
]
"#
    ));
}

#[test]
fn create_table_with_arrays_is_postgresql_only() {
    insta::assert_snapshot!(both(
        r#"
[[upgrade]]
op = "create_table"
table_name = "tagged"
schema = "app"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "tags", type = "text[]" },
  { name = "moods", type = { array = { enum = "mood", values = ["happy", "sad"] } } },
]
"#
    ));
}

#[test]
fn create_table_keys_identity_and_autoincrement() {
    insta::assert_snapshot!(both(
        r#"
[[upgrade]]
op = "create_table"
table_name = "identity_key"
columns = [
  { name = "id", type = "bigint", primary_key = true, identity = { always = true, start = 100, increment = 5 } },
]

[[upgrade]]
op = "create_table"
table_name = "named_key"
columns = [
  { name = "id", type = "integer" },
]
constraints = [ { type = "primary_key", name = "pk_named_key", columns = ["id"] } ]

[[upgrade]]
op = "create_table"
table_name = "no_autoincrement"
columns = [
  { name = "id", type = "integer", primary_key = true, autoincrement = false },
]

[[upgrade]]
op = "create_table"
table_name = "composite_key"
columns = [
  { name = "order_id", type = "integer", primary_key = true },
  { name = "line", type = "smallint", primary_key = true },
]

[[upgrade]]
op = "create_table"
table_name = "keyed_by_text"
columns = [
  { name = "code", type = "varchar(8)", primary_key = true },
]
"#
    ));
}

#[test]
fn create_table_refuses_definitions_no_database_takes() {
    insta::assert_snapshot!(both(
        r#"
[[upgrade]]
op = "create_table"
table_name = "two_keys"
columns = [
  { name = "a", type = "integer", primary_key = true },
  { name = "b", type = "integer" },
]
constraints = [ { type = "primary_key", columns = ["b"] } ]

[[upgrade]]
op = "create_table"
table_name = "no_columns"
columns = []

[[upgrade]]
op = "create_table"
table_name = "cross_schema"
schema = "app"
columns = [
  { name = "user_id", type = "integer", foreign_key = "auth.users.id" },
]
"#
    ));
}

#[test]
fn drop_table_drops_the_enum_types_it_knows() {
    insta::assert_snapshot!(both(
        r#"
[[upgrade]]
op = "drop_table"
table_name = "orders"
schema = "shop"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "mood", type = { enum = "mood", values = ["happy", "sad"] } },
]

[[upgrade]]
op = "drop_table"
table_name = "orders"
"#
    ));
}

#[test]
fn rename_table() {
    insta::assert_snapshot!(both(
        r#"
[[upgrade]]
op = "rename_table"
old_table_name = "user_profiles"
new_table_name = "member_profiles"

[[upgrade]]
op = "rename_table"
old_table_name = "user_profiles"
new_table_name = "member_profiles"
schema = "app"
"#
    ));
}

#[test]
fn rename_index_constraint_and_sequence_are_postgresql_only() {
    insta::assert_snapshot!(both(
        r#"
[[upgrade]]
op = "rename_index"
old_index_name = "ix_user_profiles_karma"
new_index_name = "ix_member_profiles_karma"
table_name = "member_profiles"

[[upgrade]]
op = "rename_index"
old_index_name = "user_profiles_karma_idx"
new_index_name = "member_profiles_karma_idx"
schema = "app"

[[upgrade]]
op = "rename_constraint"
table_name = "member_profiles"
old_constraint_name = "user_profiles_pkey"
new_constraint_name = "member_profiles_pkey"
schema = "app"

[[upgrade]]
op = "rename_sequence"
old_sequence_name = "user_profiles_id_seq"
new_sequence_name = "member_profiles_id_seq"
schema = "app"
"#
    ));
}

#[test]
fn rename_table_with_its_dependents_is_postgresql_only() {
    insta::assert_snapshot!(both(
        r#"
[[upgrade]]
op = "rename_table"
old_table_name = "user_profiles"
new_table_name = "member_profiles"
schema = "app"
rename_dependents = true
"#
    ));
}

#[test]
fn add_column() {
    insta::assert_snapshot!(both(
        r#"
[[upgrade]]
op = "add_column"
table_name = "member_profiles"
column = { name = "status", type = "varchar(16)", nullable = false, server_default = "'active'" }

[[upgrade]]
op = "add_column"
table_name = "member_profiles"
schema = "app"
column = { name = "team_id", type = "integer", foreign_key = "teams.id", comment = "the member's team" }

[[upgrade]]
op = "add_column"
table_name = "member_profiles"
column = { name = "joined_at", type = "timestamp", server_default = "datetime('now')" }

[[upgrade]]
op = "add_column"
table_name = "member_profiles"
column = { name = "mood", type = { enum = "mood", values = ["happy", "sad"] } }

[[upgrade]]
op = "add_column"
table_name = "member_profiles"
column = { name = "email", type = "text", unique = true }

[[upgrade]]
op = "add_column"
table_name = "member_profiles"
column = { name = "rank", type = "integer", nullable = false }
"#
    ));
}

#[test]
fn drop_column() {
    insta::assert_snapshot!(both(
        r#"
[[upgrade]]
op = "drop_column"
table_name = "member_profiles"
column_name = "bio"

[[upgrade]]
op = "drop_column"
table_name = "member_profiles"
schema = "app"
column_name = "mood"
existing_column = { name = "mood", type = { enum = "mood", values = ["happy", "sad"] } }

[[upgrade]]
op = "drop_column"
table_name = "member_profiles"
column_name = "email"
existing_column = { name = "email", type = "text", unique = true }
"#
    ));
}

#[test]
fn alter_column() {
    insta::assert_snapshot!(both(
        r#"
[[upgrade]]
op = "alter_column"
table_name = "member_profiles"
column_name = "handle"
type_ = "varchar(128)"
existing_type = "varchar(64)"

[[upgrade]]
op = "alter_column"
table_name = "member_profiles"
column_name = "score"
type_ = "integer"
postgresql_using = "score::integer"

[[upgrade]]
op = "alter_column"
table_name = "member_profiles"
column_name = "bio"
nullable = false

[[upgrade]]
op = "alter_column"
table_name = "member_profiles"
column_name = "bio"
nullable = true

[[upgrade]]
op = "alter_column"
table_name = "member_profiles"
column_name = "status"
server_default = "'active'"

[[upgrade]]
op = "alter_column"
table_name = "member_profiles"
column_name = "status"
server_default = false

[[upgrade]]
op = "alter_column"
table_name = "member_profiles"
column_name = "bio"
comment = "it's about them"

[[upgrade]]
op = "alter_column"
table_name = "member_profiles"
column_name = "bio"
comment = false

[[upgrade]]
op = "alter_column"
table_name = "member_profiles"
column_name = "bio"
new_column_name = "about"

[[upgrade]]
op = "alter_column"
table_name = "member_profiles"
schema = "app"
column_name = "handle"
new_column_name = "nickname"
type_ = "text"
nullable = false
server_default = "''"
comment = "what they go by"
"#
    ));
}

#[test]
fn create_and_drop_index() {
    insta::assert_snapshot!(both(
        r#"
[[upgrade]]
op = "create_index"
index_name = "ix_member_profiles_handle"
table_name = "member_profiles"
columns = ["handle"]

[[upgrade]]
op = "create_index"
index_name = "uq_active_handle"
table_name = "member_profiles"
schema = "app"
columns = ["team_id", "handle"]
unique = true
where = "status = 'active'"
postgresql_concurrently = true
if_not_exists = true

[[upgrade]]
op = "drop_index"
index_name = "ix_member_profiles_handle"

[[upgrade]]
op = "drop_index"
index_name = "uq_active_handle"
table_name = "member_profiles"
schema = "app"
postgresql_concurrently = true
if_exists = true
"#
    ));
}

#[test]
fn expression_and_method_indexes() {
    insta::assert_snapshot!(both(
        r#"
[[upgrade]]
op = "create_index"
index_name = "ix_users_email_lower"
table_name = "users"
columns = [{ expression = "lower(email)" }, "team_id", { expression = "created_at DESC" }]
unique = true
postgresql_include = ["name"]
where = "deleted_at IS NULL"

[[upgrade]]
op = "create_index"
index_name = "ix_documents_data"
table_name = "documents"
schema = "app"
columns = ["data", "tags"]
postgresql_using = "gin"
postgresql_ops = { data = "jsonb_path_ops", tags = "public.gin_trgm_ops" }
"#
    ));
}

#[test]
fn enum_types_made_on_their_own_are_postgresql_only() {
    insta::assert_snapshot!(both(
        r#"
[[upgrade]]
op = "create_enum"
enum_name = "mood"
values = ["happy", "it's fine"]

[[upgrade]]
op = "create_enum"
enum_name = "status"
schema = "app"
values = ["a", "$rmig$"]
if_not_exists = true

[[upgrade]]
op = "drop_enum"
enum_name = "mood"

[[upgrade]]
op = "drop_enum"
enum_name = "status"
schema = "app"
if_exists = true
"#
    ));
}

#[test]
fn create_constraints() {
    insta::assert_snapshot!(both(
        r#"
[[upgrade]]
op = "create_unique_constraint"
constraint_name = "uq_member_profiles_handle"
table_name = "member_profiles"
columns = ["handle"]

[[upgrade]]
op = "create_unique_constraint"
table_name = "member_profiles"
schema = "app"
columns = ["team_id", "handle"]

[[upgrade]]
op = "create_foreign_key"
constraint_name = "fk_member_profiles_team"
source_table = "member_profiles"
referent_table = "teams"
local_cols = ["team_id"]
remote_cols = ["id"]
ondelete = "CASCADE"
onupdate = "RESTRICT"
deferrable = true
initially = "IMMEDIATE"
match = "SIMPLE"
source_schema = "app"
referent_schema = "app"

[[upgrade]]
op = "create_check_constraint"
constraint_name = "ck_member_profiles_handle"
table_name = "member_profiles"
condition = "length(handle) > 0"

[[upgrade]]
op = "create_primary_key"
constraint_name = "pk_member_profiles"
table_name = "member_profiles"
columns = ["id"]
"#
    ));
}

#[test]
fn drop_constraint() {
    insta::assert_snapshot!(both(
        r#"
[[upgrade]]
op = "drop_constraint"
constraint_name = "fk_member_profiles_team"
table_name = "member_profiles"
type_ = "foreignkey"

[[upgrade]]
op = "drop_constraint"
constraint_name = "uq_member_profiles_handle"
table_name = "member_profiles"
schema = "app"
"#
    ));
}

#[test]
fn table_comments() {
    insta::assert_snapshot!(both(
        r#"
[[upgrade]]
op = "create_table_comment"
table_name = "member_profiles"
comment = "one row per member; it's public"

[[upgrade]]
op = "drop_table_comment"
table_name = "member_profiles"
schema = "app"
"#
    ));
}

#[test]
fn execute_runs_each_dialects_own_text() {
    insta::assert_snapshot!(both(
        r#"
[[upgrade]]
op = "execute"
sqltext = "UPDATE member_profiles SET bio = '' WHERE bio IS NULL"

[[upgrade]]
op = "execute"
postgresql = "CREATE EXTENSION IF NOT EXISTS citext"

[[upgrade]]
op = "execute"
sqltext = "SELECT 1"
sqlite = "PRAGMA foreign_keys = ON"
"#
    ));
}

#[test]
fn bulk_insert_binds_every_value() {
    insta::assert_snapshot!(both(
        r#"
[[upgrade]]
op = "bulk_insert"
table_name = "user_profiles"
schema = "app"
rows = [
  { id = 1, handle = "ada", bio = "Wrote the first program." },
  { id = 2, handle = "o'brien", score = 1.5, active = true },
  { id = 3, handle = "nan", score = nan, active = false },
  { id = 4, score = -inf, bio = "a \"quoted\" $1 ? bio" },
  {},
]
"#
    ));
}

#[test]
fn bulk_insert_null_from_yaml() {
    let doc: Doc = serde_yaml_ng::from_str(
        "upgrade:\n  - op: bulk_insert\n    table_name: user_profiles\n    rows:\n      - { id: 5, bio: null }\n",
    )
    .unwrap();
    let statements = render(&doc.upgrade[0], Dialect::Sqlite).unwrap();
    assert_eq!(
        statements,
        vec![Statement::Bound {
            sql: "INSERT OR ABORT INTO \"user_profiles\" (\"bio\", \"id\") VALUES ($1, $2)".into(),
            params: vec![ScalarValue::Null, ScalarValue::Integer(5)],
        }]
    );
    assert_eq!(
        statements[0].to_offline_sql(Dialect::Sqlite),
        "INSERT OR ABORT INTO \"user_profiles\" (\"bio\", \"id\") VALUES (NULL, 5)"
    );
}

const WEIRD: &str = "weird\"`; DROP TABLE x; --";

/// Each name of every operation set to the weird name, schema included.
fn weird_operations() -> Vec<Operation> {
    let weird = toml::Value::String(WEIRD.into()).to_string();
    ops(&format!(
        r#"
[[upgrade]]
op = "create_table"
table_name = {weird}
schema = {weird}
comment = {weird}
columns = [
  {{ name = {weird}, type = "integer", primary_key = true, comment = {weird} }},
  {{ name = "ref", type = "integer", foreign_key = {{ table = {weird}, column = {weird}, name = {weird} }} }},
  {{ name = "mood", type = {{ enum = {weird}, values = [{weird}] }} }},
]
constraints = [
  {{ type = "unique", name = {weird}, columns = [{weird}] }},
  {{ type = "foreign_key", name = {weird}, local_cols = [{weird}], referent_table = {weird}, remote_cols = [{weird}] }},
]

[[upgrade]]
op = "rename_table"
old_table_name = {weird}
new_table_name = {weird}
schema = {weird}

[[upgrade]]
op = "rename_index"
old_index_name = {weird}
new_index_name = {weird}
table_name = {weird}
schema = {weird}

[[upgrade]]
op = "rename_constraint"
table_name = {weird}
old_constraint_name = {weird}
new_constraint_name = {weird}
schema = {weird}

[[upgrade]]
op = "rename_sequence"
old_sequence_name = {weird}
new_sequence_name = {weird}
schema = {weird}

[[upgrade]]
op = "add_column"
table_name = {weird}
schema = {weird}
column = {{ name = {weird}, type = "text", comment = {weird} }}

[[upgrade]]
op = "alter_column"
table_name = {weird}
schema = {weird}
column_name = {weird}
new_column_name = {weird}
type_ = "text"
nullable = false
server_default = false
comment = {weird}

[[upgrade]]
op = "create_index"
index_name = {weird}
table_name = {weird}
schema = {weird}
columns = [{weird}]

[[upgrade]]
op = "drop_index"
index_name = {weird}
table_name = {weird}
schema = {weird}

[[upgrade]]
op = "create_unique_constraint"
constraint_name = {weird}
table_name = {weird}
schema = {weird}
columns = [{weird}]

[[upgrade]]
op = "create_primary_key"
constraint_name = {weird}
table_name = {weird}
schema = {weird}
columns = [{weird}]

[[upgrade]]
op = "create_foreign_key"
constraint_name = {weird}
source_table = {weird}
referent_table = {weird}
local_cols = [{weird}]
remote_cols = [{weird}]
source_schema = {weird}
referent_schema = {weird}

[[upgrade]]
op = "drop_constraint"
constraint_name = {weird}
table_name = {weird}
schema = {weird}
type_ = "foreignkey"

[[upgrade]]
op = "create_table_comment"
table_name = {weird}
schema = {weird}
comment = {weird}

[[upgrade]]
op = "bulk_insert"
table_name = {weird}
schema = {weird}
rows = [ {{ {weird} = {weird} }} ]

[[upgrade]]
op = "drop_column"
table_name = {weird}
schema = {weird}
column_name = {weird}

[[upgrade]]
op = "drop_table"
table_name = {weird}
schema = {weird}
"#
    ))
}

/// `sql` with every quoted identifier and string literal taken out.
fn outside_quotes(sql: &str) -> String {
    let mut out = String::new();
    let mut open_quote = None;
    for c in sql.chars() {
        match open_quote {
            Some(quote) if c == quote => open_quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' || c == '`' => open_quote = Some(c),
            None => out.push(c),
        }
    }
    out
}

#[test]
fn a_weird_name_is_always_one_quoted_identifier() {
    for dialect in Dialect::ALL {
        let quoted = match dialect.identifier_quote() {
            '`' => "`weird\"``; DROP TABLE x; --`",
            _ => "\"weird\"\"`; DROP TABLE x; --\"",
        };
        for op in weird_operations() {
            let Ok(statements) = render(&op, dialect) else {
                // What only PostgreSQL renames is refused elsewhere, whatever the names.
                assert!(
                    dialect != Dialect::Postgresql
                        && matches!(
                            op,
                            Operation::RenameIndex(_)
                                | Operation::RenameConstraint(_)
                                | Operation::RenameSequence(_)
                        ),
                    "{dialect} {}",
                    op.name()
                );
                continue;
            };
            for statement in statements {
                let (sql, offline) = match &statement {
                    Statement::Sql(sql) | Statement::Script(sql) | Statement::Bound { sql, .. } => {
                        (sql.clone(), statement.to_offline_sql(dialect))
                    }
                    Statement::RecreateTable { table, .. } => {
                        assert_eq!(table, WEIRD);
                        let offline = statement.to_offline_sql(dialect);
                        assert!(
                            offline.lines().all(|line| line.starts_with("--")),
                            "{offline}"
                        );
                        continue;
                    }
                };
                for text in [&sql, &offline] {
                    assert!(text.contains(quoted), "{dialect} {}: {text}", op.name());
                    let bare = outside_quotes(text);
                    assert!(
                        !bare.contains("DROP TABLE x")
                            && !bare.contains("--")
                            && !bare.contains(';'),
                        "{dialect} {}: the name leaked out of its quotes in {text}",
                        op.name()
                    );
                }
            }
        }
    }
}

#[test]
fn a_weird_name_snapshot() {
    let text = weird_operations()
        .iter()
        .map(|op| {
            Dialect::ALL
                .iter()
                .map(|&dialect| format!("# {dialect}\n{}\n", show(op, dialect)))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!(text);
}

#[test]
fn placeholders_inside_quotes_are_left_alone() {
    assert_eq!(
        number_placeholders(
            "INSERT INTO \"a?\" (\"$1\", 'b?') VALUES (?, ?)",
            Dialect::Sqlite
        ),
        "INSERT INTO \"a?\" (\"$1\", 'b?') VALUES ($1, $2)"
    );
    let statement = Statement::Bound {
        sql: "INSERT INTO \"t$1\" (\"x\") VALUES ($1)".into(),
        params: vec![ScalarValue::String("$1 it's".into())],
    };
    assert_eq!(
        statement.to_offline_sql(Dialect::Postgresql),
        "INSERT INTO \"t$1\" (\"x\") VALUES ('$1 it''s')"
    );
}

#[test]
fn offline_literals_per_dialect() {
    let cases = [
        (ScalarValue::Null, "NULL", "NULL"),
        (ScalarValue::Bool(true), "true", "1"),
        (ScalarValue::Bool(false), "false", "0"),
        (ScalarValue::Integer(-7), "-7", "-7"),
        (ScalarValue::Float(1.0), "1.0", "1.0"),
        (ScalarValue::Float(2.5e-8), "2.5e-8", "2.5e-8"),
        (ScalarValue::Float(f64::NAN), "'NaN'", "NULL"),
        (ScalarValue::Float(f64::INFINITY), "'Infinity'", "9e999"),
        (
            ScalarValue::Float(f64::NEG_INFINITY),
            "'-Infinity'",
            "-9e999",
        ),
        (
            ScalarValue::String("o'brien\\n".into()),
            "'o''brien\\n'",
            "'o''brien\\n'",
        ),
    ];
    for (value, postgresql, sqlite) in cases {
        assert_eq!(
            literal(&value, Dialect::Postgresql),
            postgresql,
            "{value:?}"
        );
        assert_eq!(literal(&value, Dialect::Sqlite), sqlite, "{value:?}");
    }
}

#[test]
fn sqlite_defaults_are_parenthesised_only_when_expressions() {
    assert_eq!(sqlite_default("'draft'"), "'draft'");
    assert_eq!(sqlite_default("0"), "0");
    assert_eq!(sqlite_default("CURRENT_TIMESTAMP"), "CURRENT_TIMESTAMP");
    assert_eq!(sqlite_default("(1 + 2)"), "(1 + 2)");
    assert_eq!(sqlite_default("-1"), "(-1)");
    assert_eq!(sqlite_default("datetime('now')"), "(datetime('now'))");
}

#[test]
fn only_rebuilds_are_offline_comments() {
    assert!(!Statement::Sql("SELECT 1".into()).is_offline_comment());
    let rebuild = Statement::RecreateTable {
        table: "t".into(),
        schema: None,
        change: Box::new(TableChange::DropConstraint {
            name: "c".into(),
            type_: None,
        }),
    };
    assert!(rebuild.is_offline_comment());
}

#[test]
fn mysql_binds_rows_and_parenthesises_functional_key_parts() {
    let ops = ops(r#"
[[upgrade]]
op = "bulk_insert"
table_name = "users"
rows = [ { id = 1, name = "o'brien\\x", active = true } ]

[[upgrade]]
op = "create_index"
index_name = "ix_users_lower_email"
table_name = "users"
columns = ["id", { expression = "created_at DESC" }, { expression = "lower(email)" }]
"#);
    let text: Vec<String> = ops.iter().map(|op| show(op, Dialect::Mysql)).collect();
    insta::assert_snapshot!(text.join("\n\n"));
}
