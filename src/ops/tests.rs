use super::*;

/// The length limit the tests below check names against.
fn postgresql() -> MaxNameLength {
    crate::dialect::Dialect::Postgresql.name_rules().max_length
}

/// The part of a revision file these tests need.
#[derive(Debug, Deserialize)]
struct Doc {
    upgrade: Vec<Operation>,
}

fn from_toml(text: &str) -> Result<Vec<Operation>, String> {
    toml::from_str::<Doc>(text)
        .map(|doc| doc.upgrade)
        .map_err(|error| error.to_string())
}

fn from_yaml(text: &str) -> Result<Vec<Operation>, String> {
    serde_yaml_ng::from_str::<Doc>(text)
        .map(|doc| doc.upgrade)
        .map_err(|error| error.to_string())
}

/// The single operation of a TOML document.
fn one_toml(text: &str) -> Operation {
    let mut operations = from_toml(text).unwrap();
    assert_eq!(operations.len(), 1, "{operations:?}");
    operations.remove(0)
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| item.to_string()).collect()
}

fn index_columns(names: &[&str]) -> Vec<IndexElement> {
    names
        .iter()
        .map(|name| IndexElement::Column(name.to_string()))
        .collect()
}

fn plain_column(name: &str, type_: ColumnType) -> Column {
    Column {
        name: name.into(),
        type_,
        nullable: true,
        primary_key: false,
        server_default: None,
        unique: false,
        autoincrement: None,
        identity: None,
        comment: None,
        foreign_key: None,
    }
}

#[test]
fn create_table_with_columns_and_every_constraint_kind() {
    let operation = one_toml(
        r#"
[[upgrade]]
op = "create_table"
table_name = "orders"
schema = "shop"
comment = "one row per order"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "status", type = "varchar(16)", nullable = false, server_default = "'new'" },
  { name = "customer_id", type = "bigint", foreign_key = "customers.id" },
]
constraints = [
  { type = "primary_key", name = "pk_orders", columns = ["id"] },
  { type = "unique", columns = ["customer_id", "status"] },
  { type = "check", name = "ck_status", condition = "status <> ''" },
  { type = "foreign_key", name = "fk_customer", local_cols = ["customer_id"], referent_table = "customers", remote_cols = ["id"], referent_schema = "crm", ondelete = "CASCADE", onupdate = "no action", deferrable = true, initially = "DEFERRED", match = "FULL" },
]
"#,
    );
    let id = Column {
        nullable: false,
        primary_key: true,
        ..plain_column("id", ColumnType::Integer)
    };
    let status = Column {
        nullable: false,
        server_default: Some("'new'".into()),
        ..plain_column("status", ColumnType::Varchar { length: Some(16) })
    };
    let customer_id = Column {
        foreign_key: Some(ColumnForeignKey {
            table: "customers".into(),
            column: "id".into(),
            schema: None,
            name: None,
            ondelete: None,
            onupdate: None,
        }),
        ..plain_column("customer_id", ColumnType::BigInt)
    };
    assert_eq!(
        operation,
        Operation::CreateTable(CreateTable {
            table_name: "orders".into(),
            columns: vec![id, status, customer_id],
            constraints: vec![
                TableConstraint::PrimaryKey {
                    name: Some("pk_orders".into()),
                    columns: strings(&["id"]),
                },
                TableConstraint::Unique {
                    name: None,
                    columns: strings(&["customer_id", "status"]),
                },
                TableConstraint::Check {
                    name: Some("ck_status".into()),
                    condition: "status <> ''".into(),
                },
                TableConstraint::ForeignKey {
                    name: Some("fk_customer".into()),
                    local_cols: strings(&["customer_id"]),
                    referent_table: "customers".into(),
                    remote_cols: strings(&["id"]),
                    referent_schema: Some("crm".into()),
                    ondelete: Some(ReferentialAction::Cascade),
                    onupdate: Some(ReferentialAction::NoAction),
                    deferrable: Some(true),
                    initially: Some(Initially::Deferred),
                    match_: Some(ForeignKeyMatch::Full),
                },
            ],
            schema: Some("shop".into()),
            comment: Some("one row per order".into()),
        })
    );
    assert_eq!(operation.describe(), "create_table shop.orders");
}

#[test]
fn the_contract_example_create_table() {
    let operation = one_toml(
        r#"
[[upgrade]]
op = "create_table"
table_name = "user_profiles"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "bio", type = "text", nullable = true },
]
"#,
    );
    let Operation::CreateTable(create) = &operation else {
        panic!("expected create_table, got {operation:?}");
    };
    assert_eq!(create.columns.len(), 2);
    assert!(create.columns[0].primary_key && !create.columns[0].nullable);
    assert_eq!(create.columns[1], plain_column("bio", ColumnType::Text));
    assert!(create.constraints.is_empty());
    assert_eq!(operation.describe(), "create_table user_profiles");
}

#[test]
fn drop_table_with_and_without_its_columns() {
    let operations = from_toml(
        r#"
[[upgrade]]
op = "drop_table"
table_name = "sessions"

[[upgrade]]
op = "drop_table"
table_name = "notes"
schema = "app"
columns = [{ name = "body", type = "text" }]
constraints = [{ type = "unique", columns = ["body"] }]
"#,
    )
    .unwrap();
    assert_eq!(
        operations,
        vec![
            Operation::DropTable(DropTable {
                confirm_data_loss: None,
                table_name: "sessions".into(),
                schema: None,
                columns: None,
                constraints: Vec::new(),
            }),
            Operation::DropTable(DropTable {
                confirm_data_loss: None,
                table_name: "notes".into(),
                schema: Some("app".into()),
                columns: Some(vec![plain_column("body", ColumnType::Text)]),
                constraints: vec![TableConstraint::Unique {
                    name: None,
                    columns: strings(&["body"]),
                }],
            }),
        ]
    );
    assert_eq!(operations[1].describe(), "drop_table app.notes");
}

#[test]
fn the_contract_example_rename_table() {
    let operation = one_toml(
        r#"
[[upgrade]]
op = "rename_table"
old_table_name = "user_profiles"
new_table_name = "member_profiles"
"#,
    );
    assert_eq!(
        operation,
        Operation::RenameTable(RenameTable {
            old_table_name: "user_profiles".into(),
            new_table_name: "member_profiles".into(),
            schema: None,
            rename_dependents: false,
        })
    );
    assert_eq!(operation.name(), "rename_table");
    assert_eq!(
        operation.describe(),
        "rename_table user_profiles -> member_profiles"
    );
}

#[test]
fn rename_table_with_its_dependents() {
    let operation = one_toml(
        r#"
[[upgrade]]
op = "rename_table"
old_table_name = "user_profiles"
new_table_name = "member_profiles"
schema = "app"
rename_dependents = true
"#,
    );
    assert_eq!(
        operation,
        Operation::RenameTable(RenameTable {
            old_table_name: "user_profiles".into(),
            new_table_name: "member_profiles".into(),
            schema: Some("app".into()),
            rename_dependents: true,
        })
    );
    assert_eq!(
        operation.describe(),
        "rename_table app.user_profiles -> member_profiles with its dependents"
    );
}

#[test]
fn rename_index_constraint_and_sequence() {
    let toml_text = r#"
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
old_constraint_name = "user_profiles_user_id_fkey"
new_constraint_name = "member_profiles_user_id_fkey"
schema = "app"

[[upgrade]]
op = "rename_sequence"
old_sequence_name = "user_profiles_id_seq"
new_sequence_name = "member_profiles_id_seq"
"#;
    let yaml_text = r#"
upgrade:
  - op: rename_index
    old_index_name: ix_user_profiles_karma
    new_index_name: ix_member_profiles_karma
    table_name: member_profiles
  - op: rename_index
    old_index_name: user_profiles_karma_idx
    new_index_name: member_profiles_karma_idx
    schema: app
  - op: rename_constraint
    table_name: member_profiles
    old_constraint_name: user_profiles_user_id_fkey
    new_constraint_name: member_profiles_user_id_fkey
    schema: app
  - op: rename_sequence
    old_sequence_name: user_profiles_id_seq
    new_sequence_name: member_profiles_id_seq
"#;
    let operations = from_toml(toml_text).unwrap();
    assert_eq!(from_yaml(yaml_text).unwrap(), operations);
    assert_eq!(
        operations,
        [
            Operation::RenameIndex(RenameIndex {
                old_index_name: "ix_user_profiles_karma".into(),
                new_index_name: "ix_member_profiles_karma".into(),
                table_name: Some("member_profiles".into()),
                schema: None,
            }),
            Operation::RenameIndex(RenameIndex {
                old_index_name: "user_profiles_karma_idx".into(),
                new_index_name: "member_profiles_karma_idx".into(),
                table_name: None,
                schema: Some("app".into()),
            }),
            Operation::RenameConstraint(RenameConstraint {
                table_name: "member_profiles".into(),
                old_constraint_name: "user_profiles_user_id_fkey".into(),
                new_constraint_name: "member_profiles_user_id_fkey".into(),
                schema: Some("app".into()),
            }),
            Operation::RenameSequence(RenameSequence {
                old_sequence_name: "user_profiles_id_seq".into(),
                new_sequence_name: "member_profiles_id_seq".into(),
                schema: None,
            }),
        ]
    );
    let described: Vec<String> = operations.iter().map(Operation::describe).collect();
    assert_eq!(
        described,
        [
            "rename_index ix_user_profiles_karma -> ix_member_profiles_karma on member_profiles",
            "rename_index app.user_profiles_karma_idx -> member_profiles_karma_idx",
            "rename_constraint user_profiles_user_id_fkey -> member_profiles_user_id_fkey on app.member_profiles",
            "rename_sequence user_profiles_id_seq -> member_profiles_id_seq",
        ]
    );
    assert!(operations.iter().all(|op| op.check(postgresql()).is_ok()));
}

#[test]
fn a_rename_needs_every_name_and_knows_its_keys() {
    for (toml_text, message) in [
        (
            "op = \"rename_index\"\nold_index_name = \"ix_a\"",
            "missing field `new_index_name`",
        ),
        (
            "op = \"rename_constraint\"\nold_constraint_name = \"a\"\nnew_constraint_name = \"b\"",
            "missing field `table_name`",
        ),
        (
            "op = \"rename_sequence\"\nold_sequence_name = \"a\"\nnew_sequence_name = \"b\"\ntable_name = \"t\"",
            "unknown field `table_name`",
        ),
        (
            "op = \"rename_table\"\nold_table_name = \"a\"\nnew_table_name = \"b\"\nrename_dependents = \"yes\"",
            "invalid type: string \"yes\", expected a boolean",
        ),
    ] {
        let error = from_toml(&format!("[[upgrade]]\n{toml_text}\n")).unwrap_err();
        assert!(error.contains(message), "{toml_text}\n{error}");
    }
}

#[test]
fn an_empty_name_in_a_rename_is_refused_naming_its_key() {
    for (toml_text, key) in [
        (
            "op = \"rename_table\"\nold_table_name = \"a\"\nnew_table_name = \"\"",
            "new_table_name",
        ),
        (
            "op = \"rename_index\"\nold_index_name = \"\"\nnew_index_name = \"b\"",
            "old_index_name",
        ),
        (
            "op = \"rename_constraint\"\ntable_name = \"\"\nold_constraint_name = \"a\"\nnew_constraint_name = \"b\"",
            "table_name",
        ),
        (
            "op = \"rename_constraint\"\ntable_name = \"t\"\nold_constraint_name = \"a\"\nnew_constraint_name = \"\"",
            "new_constraint_name",
        ),
        (
            "op = \"rename_sequence\"\nold_sequence_name = \"a\"\nnew_sequence_name = \"\"",
            "new_sequence_name",
        ),
    ] {
        let op = one_toml(&format!("[[upgrade]]\n{toml_text}\n"));
        assert_eq!(
            op.check(postgresql()).map_err(|e| e.to_string()),
            Err(format!("`{key}` is empty; write the name it stands for")),
            "{toml_text}"
        );
    }
}

#[test]
fn add_column() {
    let operation = one_toml(
        r#"
[[upgrade]]
op = "add_column"
table_name = "member_profiles"
column = { name = "bio", type = "TEXT", comment = "shown on the profile" }
"#,
    );
    assert_eq!(
        operation,
        Operation::AddColumn(AddColumn {
            table_name: "member_profiles".into(),
            column: Column {
                comment: Some("shown on the profile".into()),
                ..plain_column("bio", ColumnType::Text)
            },
            schema: None,
        })
    );
    assert_eq!(operation.describe(), "add_column member_profiles.bio");
}

#[test]
fn drop_column_with_its_existing_column() {
    let operation = one_toml(
        r#"
[[upgrade]]
op = "drop_column"
table_name = "member_profiles"
column_name = "bio"
schema = "app"
existing_column = { name = "bio", type = "text" }
"#,
    );
    assert_eq!(
        operation,
        Operation::DropColumn(DropColumn {
            confirm_data_loss: None,
            table_name: "member_profiles".into(),
            column_name: "bio".into(),
            schema: Some("app".into()),
            existing_column: Some(plain_column("bio", ColumnType::Text)),
        })
    );
    assert_eq!(operation.describe(), "drop_column app.member_profiles.bio");
}

#[test]
fn drop_column_rejects_an_existing_column_of_another_name() {
    let message = from_toml(
        r#"
[[upgrade]]
op = "drop_column"
table_name = "member_profiles"
column_name = "bio"
existing_column = { name = "biography", type = "text" }
"#,
    )
    .unwrap_err();
    assert!(
        message.contains("drops `bio` but its existing_column describes `biography`"),
        "{message}"
    );
}

#[test]
fn alter_column_with_every_field() {
    let operation = one_toml(
        r#"
[[upgrade]]
op = "alter_column"
table_name = "accounts"
column_name = "balance"
new_column_name = "balance_cents"
type_ = "bigint"
nullable = false
server_default = "0"
comment = "in cents"
postgresql_using = "balance * 100"
existing_type = "numeric(12,2)"
existing_nullable = true
existing_server_default = "0.00"
existing_comment = "in euros"
schema = "bank"
"#,
    );
    assert_eq!(
        operation,
        Operation::AlterColumn(AlterColumn {
            confirm_data_loss: None,
            table_name: "accounts".into(),
            column_name: "balance".into(),
            new_column_name: Some("balance_cents".into()),
            type_: Some(ColumnType::BigInt),
            nullable: Some(false),
            server_default: Some(TextChange::Set("0".into())),
            comment: Some(TextChange::Set("in cents".into())),
            postgresql_using: Some("balance * 100".into()),
            existing_type: Some(ColumnType::Numeric {
                precision: Some(12),
                scale: Some(2)
            }),
            existing_nullable: Some(true),
            existing_server_default: Some("0.00".into()),
            existing_comment: Some("in euros".into()),
            schema: Some("bank".into()),
        })
    );
    assert_eq!(
        operation.describe(),
        "alter_column bank.accounts.balance -> balance_cents"
    );
}

#[test]
fn alter_column_removes_with_false_and_takes_sql_types() {
    let operation = one_toml(
        r#"
[[upgrade]]
op = "alter_column"
table_name = "accounts"
column_name = "email"
sql_type = "citext"
existing_sql_type = "varchar(320) COLLATE \"C\""
server_default = false
comment = false
"#,
    );
    let Operation::AlterColumn(alter) = &operation else {
        panic!("expected alter_column, got {operation:?}");
    };
    assert_eq!(alter.type_, Some(ColumnType::Sql("citext".into())));
    assert_eq!(
        alter.existing_type,
        Some(ColumnType::Sql("varchar(320) COLLATE \"C\"".into()))
    );
    assert_eq!(alter.server_default, Some(TextChange::Remove));
    assert_eq!(alter.comment, Some(TextChange::Remove));
    assert_eq!(alter.nullable, None);
    assert_eq!(operation.describe(), "alter_column accounts.email");
}

#[test]
fn alter_column_takes_one_of_type_and_sql_type() {
    let message = from_toml(
        r#"
[[upgrade]]
op = "alter_column"
table_name = "accounts"
column_name = "email"
type_ = "text"
sql_type = "citext"
"#,
    )
    .unwrap_err();
    assert!(
        message.contains("alter_column accounts.email: both `type_` and `sql_type` are given"),
        "{message}"
    );
}

#[test]
fn create_and_drop_index() {
    let operations = from_toml(
        r#"
[[upgrade]]
op = "create_index"
index_name = "ix_orders_open"
table_name = "orders"
columns = ["customer_id", "created_at"]
unique = true
where = "status = 'open'"
postgresql_concurrently = true
if_not_exists = true
schema = "shop"

[[upgrade]]
op = "drop_index"
index_name = "ix_orders_open"
table_name = "orders"
columns = ["customer_id", "created_at"]
unique = true
where = "status = 'open'"
postgresql_concurrently = true
if_exists = true
schema = "shop"

[[upgrade]]
op = "drop_index"
index_name = "ix_old"
"#,
    )
    .unwrap();
    assert_eq!(
        operations,
        vec![
            Operation::CreateIndex(CreateIndex {
                index_name: Some("ix_orders_open".into()),
                table_name: "orders".into(),
                columns: index_columns(&["customer_id", "created_at"]),
                unique: true,
                where_: Some("status = 'open'".into()),
                postgresql_concurrently: true,
                postgresql_using: None,
                postgresql_ops: BTreeMap::new(),
                postgresql_include: Vec::new(),
                if_not_exists: true,
                schema: Some("shop".into()),
            }),
            Operation::DropIndex(DropIndex {
                index_name: "ix_orders_open".into(),
                table_name: Some("orders".into()),
                columns: Some(index_columns(&["customer_id", "created_at"])),
                unique: true,
                where_: Some("status = 'open'".into()),
                postgresql_concurrently: true,
                postgresql_using: None,
                postgresql_ops: BTreeMap::new(),
                postgresql_include: Vec::new(),
                if_exists: true,
                schema: Some("shop".into()),
            }),
            Operation::DropIndex(DropIndex {
                index_name: "ix_old".into(),
                table_name: None,
                columns: None,
                unique: false,
                where_: None,
                postgresql_concurrently: false,
                postgresql_using: None,
                postgresql_ops: BTreeMap::new(),
                postgresql_include: Vec::new(),
                if_exists: false,
                schema: None,
            }),
        ]
    );
    let descriptions: Vec<String> = operations.iter().map(Operation::describe).collect();
    assert_eq!(
        descriptions,
        [
            "create_index ix_orders_open on shop.orders",
            "drop_index ix_orders_open on shop.orders",
            "drop_index ix_old",
        ]
    );
}

#[test]
fn create_unique_check_and_primary_key_constraints() {
    let operations = from_toml(
        r#"
[[upgrade]]
op = "create_unique_constraint"
constraint_name = "uq_users_email"
table_name = "users"
columns = ["email"]

[[upgrade]]
op = "create_check_constraint"
constraint_name = "ck_users_age"
table_name = "users"
condition = "age >= 0"
schema = "auth"

[[upgrade]]
op = "create_primary_key"
table_name = "memberships"
columns = ["user_id", "group_id"]
"#,
    )
    .unwrap();
    assert_eq!(
        operations,
        vec![
            Operation::CreateUniqueConstraint(CreateUniqueConstraint {
                constraint_name: Some("uq_users_email".into()),
                table_name: "users".into(),
                columns: strings(&["email"]),
                schema: None,
            }),
            Operation::CreateCheckConstraint(CreateCheckConstraint {
                constraint_name: Some("ck_users_age".into()),
                table_name: "users".into(),
                condition: "age >= 0".into(),
                schema: Some("auth".into()),
            }),
            Operation::CreatePrimaryKey(CreatePrimaryKey {
                constraint_name: None,
                table_name: "memberships".into(),
                columns: strings(&["user_id", "group_id"]),
                schema: None,
            }),
        ]
    );
    let descriptions: Vec<String> = operations.iter().map(Operation::describe).collect();
    assert_eq!(
        descriptions,
        [
            "create_unique_constraint uq_users_email on users",
            "create_check_constraint ck_users_age on auth.users",
            "create_primary_key on memberships",
        ]
    );
}

#[test]
fn create_foreign_key_with_every_field() {
    let operation = one_toml(
        r#"
[[upgrade]]
op = "create_foreign_key"
constraint_name = "fk_orders_customer"
source_table = "orders"
referent_table = "customers"
local_cols = ["customer_id"]
remote_cols = ["id"]
ondelete = "set null"
onupdate = "RESTRICT"
deferrable = false
initially = "immediate"
match = "simple"
source_schema = "shop"
referent_schema = "crm"
"#,
    );
    assert_eq!(
        operation,
        Operation::CreateForeignKey(CreateForeignKey {
            constraint_name: Some("fk_orders_customer".into()),
            source_table: "orders".into(),
            referent_table: "customers".into(),
            local_cols: strings(&["customer_id"]),
            remote_cols: strings(&["id"]),
            ondelete: Some(ReferentialAction::SetNull),
            onupdate: Some(ReferentialAction::Restrict),
            deferrable: Some(false),
            initially: Some(Initially::Immediate),
            match_: Some(ForeignKeyMatch::Simple),
            source_schema: Some("shop".into()),
            referent_schema: Some("crm".into()),
        })
    );
    assert_eq!(
        operation.describe(),
        "create_foreign_key fk_orders_customer on shop.orders -> crm.customers"
    );
}

#[test]
fn an_unknown_referential_action_lists_the_known_ones() {
    let message = from_toml(
        r#"
[[upgrade]]
op = "create_foreign_key"
source_table = "orders"
referent_table = "customers"
local_cols = ["customer_id"]
remote_cols = ["id"]
ondelete = "explode"
"#,
    )
    .unwrap_err();
    assert!(message.contains("unknown variant `explode`"), "{message}");
    assert!(message.contains("`SET NULL`"), "{message}");
}

#[test]
fn drop_constraint_takes_alembics_type_names() {
    let operations = from_toml(
        r#"
[[upgrade]]
op = "drop_constraint"
constraint_name = "fk_orders_customer"
table_name = "orders"
type_ = "foreignkey"
schema = "shop"

[[upgrade]]
op = "drop_constraint"
constraint_name = "pk_orders"
table_name = "orders"
type_ = "primary"
"#,
    )
    .unwrap();
    assert_eq!(
        operations,
        vec![
            Operation::DropConstraint(DropConstraint {
                constraint_name: "fk_orders_customer".into(),
                table_name: "orders".into(),
                type_: Some(ConstraintKind::ForeignKey),
                schema: Some("shop".into()),
            }),
            Operation::DropConstraint(DropConstraint {
                constraint_name: "pk_orders".into(),
                table_name: "orders".into(),
                type_: Some(ConstraintKind::Primary),
                schema: None,
            }),
        ]
    );
    assert_eq!(
        operations[0].describe(),
        "drop_constraint fk_orders_customer on shop.orders"
    );
}

#[test]
fn create_and_drop_table_comment() {
    let operations = from_toml(
        r#"
[[upgrade]]
op = "create_table_comment"
table_name = "orders"
comment = "one row per order"
existing_comment = "orders"

[[upgrade]]
op = "drop_table_comment"
table_name = "orders"
existing_comment = "one row per order"
schema = "shop"
"#,
    )
    .unwrap();
    assert_eq!(
        operations,
        vec![
            Operation::CreateTableComment(CreateTableComment {
                table_name: "orders".into(),
                comment: "one row per order".into(),
                existing_comment: Some("orders".into()),
                schema: None,
            }),
            Operation::DropTableComment(DropTableComment {
                table_name: "orders".into(),
                existing_comment: Some("one row per order".into()),
                schema: Some("shop".into()),
            }),
        ]
    );
    assert_eq!(operations[0].describe(), "create_table_comment orders");
    assert_eq!(operations[1].describe(), "drop_table_comment shop.orders");
}

#[test]
fn execute_with_and_without_dialect_variants() {
    let operations = from_toml(
        r#"
[[upgrade]]
op = "execute"
sqltext = "UPDATE users SET active = true"

[[upgrade]]
op = "execute"
postgresql = "CREATE EXTENSION IF NOT EXISTS citext"
sqlite = "SELECT 1"
"#,
    )
    .unwrap();
    assert_eq!(
        operations,
        vec![
            Operation::Execute(Execute {
                confirm_data_loss: None,
                sqltext: Some("UPDATE users SET active = true".into()),
                postgresql: None,
                sqlite: None,
                mysql: None,
            }),
            Operation::Execute(Execute {
                confirm_data_loss: None,
                sqltext: None,
                postgresql: Some("CREATE EXTENSION IF NOT EXISTS citext".into()),
                sqlite: Some("SELECT 1".into()),
                mysql: None,
            }),
        ]
    );
    assert_eq!(operations[0].describe(), "execute SQL");
}

#[test]
fn execute_needs_some_sql() {
    let message = from_toml(
        r#"
[[upgrade]]
op = "execute"
"#,
    )
    .unwrap_err();
    assert!(message.contains("execute needs `sqltext`"), "{message}");
}

#[test]
fn bulk_insert_rows_of_every_scalar_kind() {
    let operation = one_toml(
        r#"
[[upgrade]]
op = "bulk_insert"
table_name = "plans"
schema = "billing"
rows = [
  { id = 1, name = "free", price = 0.0, active = true },
  { id = 2, name = "pro", price = 9.5, active = false },
]
"#,
    );
    let row = |id: i64, name: &str, price: f64, active: bool| {
        BTreeMap::from([
            ("id".to_string(), ScalarValue::Integer(id)),
            ("name".to_string(), ScalarValue::String(name.into())),
            ("price".to_string(), ScalarValue::Float(price)),
            ("active".to_string(), ScalarValue::Bool(active)),
        ])
    };
    assert_eq!(
        operation,
        Operation::BulkInsert(BulkInsert {
            table_name: "plans".into(),
            rows: vec![row(1, "free", 0.0, true), row(2, "pro", 9.5, false)],
            schema: Some("billing".into()),
        })
    );
    assert_eq!(operation.describe(), "bulk_insert billing.plans (2 rows)");
}

#[test]
fn bulk_insert_rejects_values_that_are_not_scalars() {
    let message = from_toml(
        r#"
[[upgrade]]
op = "bulk_insert"
table_name = "plans"
rows = [{ id = [1, 2] }]
"#,
    )
    .unwrap_err();
    assert!(
        message.contains("expected a string, integer, float, boolean or null"),
        "{message}"
    );
}

#[test]
fn yaml_carries_the_same_operations() {
    let operations = from_yaml(
        r#"
upgrade:
  - op: create_table
    table_name: user_profiles
    columns:
      - { name: id, type: integer, primary_key: true }
      - name: mood
        type: { enum: mood, values: [happy, sad] }
      - name: tags
        type: "text[]"
  - op: rename_table
    old_table_name: user_profiles
    new_table_name: member_profiles
  - op: alter_column
    table_name: member_profiles
    column_name: mood
    server_default: null
  - op: bulk_insert
    table_name: member_profiles
    rows:
      - { id: 1, mood: happy, tags: null }
  - op: execute
    sqltext: DELETE FROM member_profiles WHERE id = 1
"#,
    )
    .unwrap();
    let names: Vec<&str> = operations.iter().map(Operation::name).collect();
    assert_eq!(
        names,
        [
            "create_table",
            "rename_table",
            "alter_column",
            "bulk_insert",
            "execute"
        ]
    );

    let Operation::CreateTable(create) = &operations[0] else {
        panic!("expected create_table, got {:?}", operations[0]);
    };
    assert!(create.columns[0].primary_key && !create.columns[0].nullable);
    assert_eq!(
        create.columns[1].type_,
        ColumnType::Enum {
            name: "mood".into(),
            values: strings(&["happy", "sad"]),
        }
    );
    assert_eq!(
        create.columns[2].type_,
        ColumnType::Array(Box::new(ColumnType::Text))
    );

    assert_eq!(
        operations[1],
        Operation::RenameTable(RenameTable {
            old_table_name: "user_profiles".into(),
            new_table_name: "member_profiles".into(),
            schema: None,
            rename_dependents: false,
        })
    );

    // YAML's null is Alembic's None: remove the default, not "leave it alone".
    let Operation::AlterColumn(alter) = &operations[2] else {
        panic!("expected alter_column, got {:?}", operations[2]);
    };
    assert_eq!(alter.server_default, Some(TextChange::Remove));
    assert_eq!(alter.comment, None);

    assert_eq!(
        operations[3],
        Operation::BulkInsert(BulkInsert {
            table_name: "member_profiles".into(),
            rows: vec![BTreeMap::from([
                ("id".to_string(), ScalarValue::Integer(1)),
                ("mood".to_string(), ScalarValue::String("happy".into())),
                ("tags".to_string(), ScalarValue::Null),
            ])],
            schema: None,
        })
    );

    assert_eq!(
        operations[4],
        Operation::Execute(Execute {
            confirm_data_loss: None,
            sqltext: Some("DELETE FROM member_profiles WHERE id = 1".into()),
            postgresql: None,
            sqlite: None,
            mysql: None,
        })
    );
}

#[test]
fn an_unknown_key_is_named_through_the_op_tag() {
    let toml_message = from_toml(
        r#"
[[upgrade]]
op = "rename_table"
old_table_name = "user_profiles"
new_table_name = "member_profiles"
bogus = 1
"#,
    )
    .unwrap_err();
    assert!(
        toml_message.contains("unknown field `bogus`"),
        "{toml_message}"
    );

    let yaml_message = from_yaml(
        r#"
upgrade:
  - op: rename_table
    old_table_name: user_profiles
    new_table_name: member_profiles
    bogus: 1
"#,
    )
    .unwrap_err();
    assert!(
        yaml_message.contains("unknown field `bogus`"),
        "{yaml_message}"
    );
}

#[test]
fn an_unknown_key_is_named_in_nested_tables() {
    let in_constraint = from_toml(
        r#"
[[upgrade]]
op = "create_table"
table_name = "t"
columns = [{ name = "a", type = "integer" }]
constraints = [{ type = "check", condition = "a > 0", deferable = true }]
"#,
    )
    .unwrap_err();
    assert!(
        in_constraint.contains("unknown field `deferable`"),
        "{in_constraint}"
    );

    let in_execute = from_yaml(
        r#"
upgrade:
  - op: execute
    sqltext: SELECT 1
    oracle: SELECT 1
"#,
    )
    .unwrap_err();
    assert!(
        in_execute.contains("unknown field `oracle`"),
        "{in_execute}"
    );
}

#[test]
fn an_unknown_op_is_named() {
    let toml_message = from_toml(
        r#"
[[upgrade]]
op = "drop_everything"
"#,
    )
    .unwrap_err();
    assert!(
        toml_message.contains("unknown variant `drop_everything`"),
        "{toml_message}"
    );

    let yaml_message = from_yaml("upgrade:\n  - op: drop_everything\n").unwrap_err();
    assert!(
        yaml_message.contains("unknown variant `drop_everything`"),
        "{yaml_message}"
    );
}

#[test]
fn an_unknown_column_type_is_named_in_an_operation() {
    let message = from_toml(
        r#"
[[upgrade]]
op = "add_column"
table_name = "users"
column = { name = "email", type = "citext" }
"#,
    )
    .unwrap_err();
    assert!(
        message.contains("column `email`: unknown column type `citext`"),
        "{message}"
    );
    assert!(message.contains("use `sql_type`"), "{message}");

    let yaml_message = from_yaml(
        r#"
upgrade:
  - op: add_column
    table_name: users
    column: { name: email, type: citext }
"#,
    )
    .unwrap_err();
    assert!(
        yaml_message.contains("unknown column type `citext`"),
        "{yaml_message}"
    );
}

#[test]
fn sql_type_is_passed_through_in_an_operation() {
    let operation = one_toml(
        r#"
[[upgrade]]
op = "add_column"
table_name = "users"
column = { name = "email", sql_type = "citext", nullable = false }
"#,
    );
    assert_eq!(
        operation,
        Operation::AddColumn(AddColumn {
            table_name: "users".into(),
            column: Column {
                nullable: false,
                ..plain_column("email", ColumnType::Sql("citext".into()))
            },
            schema: None,
        })
    );
}

#[test]
fn index_elements_are_names_or_expressions_with_postgresql_options() {
    let Operation::CreateIndex(index) = one_toml(
        r#"
[[upgrade]]
op = "create_index"
index_name = "ix_docs"
table_name = "docs"
columns = ["data", { expression = "lower(title)" }]
postgresql_using = "gin"
postgresql_ops = { data = "jsonb_path_ops" }
postgresql_include = ["id"]
"#,
    ) else {
        panic!("not a create_index")
    };
    assert_eq!(
        index.columns,
        vec![
            IndexElement::Column("data".into()),
            IndexElement::Expression("lower(title)".into())
        ]
    );
    assert_eq!(index.postgresql_using.as_deref(), Some("gin"));
    assert_eq!(
        index.postgresql_ops,
        BTreeMap::from([("data".to_string(), "jsonb_path_ops".to_string())])
    );
    assert_eq!(index.postgresql_include, ["id"]);

    let unknown = from_toml(
        "[[upgrade]]\nop = \"create_index\"\nindex_name = \"ix\"\ntable_name = \"t\"\ncolumns = [{ expr = \"lower(a)\" }]",
    )
    .unwrap_err();
    assert!(unknown.contains("unknown field `expr`"), "{unknown}");
}

#[test]
fn an_index_expression_must_be_one_expression_and_its_options_names() {
    let check = |columns: &str, options: &str| {
        one_toml(&format!(
            "[[upgrade]]\nop = \"create_index\"\nindex_name = \"ix\"\ntable_name = \"t\"\ncolumns = {columns}\n{options}"
        ))
        .check(postgresql())
        .map_err(|error| error.to_string())
    };
    assert_eq!(
        check("[\"a\", { expression = \"lower(b) DESC\" }]", ""),
        Ok(())
    );
    let error = check(
        "[\"a\", { expression = \"lower(b)); DROP TABLE t; --\" }]",
        "",
    )
    .unwrap_err();
    assert!(
        error.starts_with("`expression` of columns[2] must be one SQL expression"),
        "{error}"
    );
    let error = check("[\"a\", \"\"]", "").unwrap_err();
    assert!(error.contains("columns[2]"), "{error}");
    let error = check("[]", "").unwrap_err();
    assert!(error.contains("`columns` is empty"), "{error}");
    let error = check("[\"a\"]", "postgresql_ops = { a = \" gin\" }").unwrap_err();
    assert!(error.contains("postgresql_ops.a"), "{error}");
    let error = check("[\"a\"]", "postgresql_include = [\"\"]").unwrap_err();
    assert!(error.contains("postgresql_include[1]"), "{error}");
}

#[test]
fn create_and_drop_enum() {
    let operations = from_toml(
        r#"
[[upgrade]]
op = "create_enum"
enum_name = "mood"
values = ["happy", "sad"]
schema = "app"
if_not_exists = true

[[upgrade]]
op = "drop_enum"
enum_name = "mood"
"#,
    )
    .unwrap();
    assert_eq!(
        operations,
        vec![
            Operation::CreateEnum(CreateEnum {
                enum_name: "mood".into(),
                values: strings(&["happy", "sad"]),
                if_not_exists: true,
                schema: Some("app".into()),
            }),
            Operation::DropEnum(DropEnum {
                enum_name: "mood".into(),
                values: None,
                if_exists: false,
                schema: None,
            }),
        ]
    );
    assert_eq!(operations[0].describe(), "create_enum app.mood");
    let empty = one_toml("[[upgrade]]\nop = \"create_enum\"\nenum_name = \"mood\"\nvalues = []")
        .check(postgresql())
        .unwrap_err()
        .to_string();
    assert!(empty.contains("`values` is empty"), "{empty}");
}
