use serde::Deserialize;

use super::*;
use crate::ops::{Column, ColumnType, IndexElement};

#[derive(Deserialize)]
struct Doc {
    upgrade: Vec<Operation>,
}

fn ops(toml_text: &str) -> Vec<Operation> {
    toml::from_str::<Doc>(toml_text).unwrap().upgrade
}

fn one(toml_text: &str) -> Operation {
    let mut operations = ops(toml_text);
    assert_eq!(operations.len(), 1);
    operations.remove(0)
}

/// The reverse of the document's operations, and the reverse of that.
fn round_trip(toml_text: &str) -> (Vec<Operation>, Vec<Operation>) {
    let upgrade = ops(toml_text);
    let downgrade = derive_downgrade(&upgrade).unwrap();
    let again = derive_downgrade(&downgrade).unwrap();
    (downgrade, again)
}

fn irreversible(toml_text: &str) -> IrreversibleOperation {
    derive_downgrade(&ops(toml_text)).unwrap_err()
}

#[test]
fn create_table_and_drop_table_reverse_each_other_with_the_full_definition() {
    let text = r#"
[[upgrade]]
op = "create_table"
table_name = "orders"
schema = "shop"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "customer_id", type = "integer", foreign_key = "customers.id" },
]
constraints = [ { type = "unique", name = "uq_orders_customer", columns = ["customer_id"] } ]
"#;
    let (downgrade, again) = round_trip(text);
    let Operation::DropTable(drop) = &downgrade[0] else {
        panic!("{downgrade:?}")
    };
    let Operation::CreateTable(create) = &ops(text)[0] else {
        unreachable!()
    };
    assert_eq!(drop.table_name, "orders");
    assert_eq!(drop.schema.as_deref(), Some("shop"));
    assert_eq!(drop.columns.as_ref(), Some(&create.columns));
    assert_eq!(drop.constraints, create.constraints);
    assert_eq!(drop.confirm_data_loss, None);
    assert_eq!(again, ops(text));
}

#[test]
fn drop_table_without_its_columns_is_irreversible() {
    let error = irreversible(
        r#"
[[upgrade]]
op = "drop_table"
table_name = "orders"
"#,
    );
    assert_eq!(error.op, "drop_table");
    assert_eq!(error.position, 1);
    assert!(error.reason.contains("`columns`"), "{error}");
    assert_eq!(
        error.to_string(),
        format!(
            "upgrade operation 1 (drop_table orders) cannot be reversed: {}",
            error.reason
        )
    );
}

#[test]
fn rename_table_renames_back() {
    let (downgrade, again) = round_trip(
        r#"
[[upgrade]]
op = "rename_table"
old_table_name = "user_profiles"
new_table_name = "member_profiles"
schema = "app"
"#,
    );
    assert_eq!(
        downgrade,
        vec![Operation::RenameTable(RenameTable {
            old_table_name: "member_profiles".into(),
            new_table_name: "user_profiles".into(),
            schema: Some("app".into()),
            rename_dependents: false,
        })]
    );
    assert_eq!(again, derive_downgrade(&downgrade).unwrap());
    assert_eq!(derive_downgrade(&again).unwrap(), downgrade);
}

#[test]
fn rename_table_with_its_dependents_renames_them_back() {
    let text = r#"
[[upgrade]]
op = "rename_table"
old_table_name = "user_profiles"
new_table_name = "member_profiles"
rename_dependents = true
"#;
    let (downgrade, again) = round_trip(text);
    assert_eq!(
        downgrade,
        vec![Operation::RenameTable(RenameTable {
            old_table_name: "member_profiles".into(),
            new_table_name: "user_profiles".into(),
            schema: None,
            rename_dependents: true,
        })]
    );
    assert_eq!(again, ops(text));
}

#[test]
fn index_constraint_and_sequence_renames_rename_back() {
    let text = r#"
[[upgrade]]
op = "rename_index"
old_index_name = "ix_user_profiles_karma"
new_index_name = "ix_member_profiles_karma"
table_name = "member_profiles"
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
"#;
    let (downgrade, again) = round_trip(text);
    assert_eq!(
        downgrade,
        vec![
            Operation::RenameSequence(RenameSequence {
                old_sequence_name: "member_profiles_id_seq".into(),
                new_sequence_name: "user_profiles_id_seq".into(),
                schema: Some("app".into()),
            }),
            Operation::RenameConstraint(RenameConstraint {
                table_name: "member_profiles".into(),
                old_constraint_name: "member_profiles_pkey".into(),
                new_constraint_name: "user_profiles_pkey".into(),
                schema: Some("app".into()),
            }),
            Operation::RenameIndex(RenameIndex {
                old_index_name: "ix_member_profiles_karma".into(),
                new_index_name: "ix_user_profiles_karma".into(),
                table_name: Some("member_profiles".into()),
                schema: Some("app".into()),
            }),
        ]
    );
    assert_eq!(again, ops(text));
}

#[test]
fn add_column_and_drop_column_reverse_each_other() {
    let text = r#"
[[upgrade]]
op = "add_column"
table_name = "member_profiles"
column = { name = "status", type = "varchar(16)", nullable = false, server_default = "'active'" }
"#;
    let (downgrade, again) = round_trip(text);
    assert_eq!(
        downgrade,
        vec![Operation::DropColumn(DropColumn {
            table_name: "member_profiles".into(),
            column_name: "status".into(),
            schema: None,
            existing_column: Some(Column {
                name: "status".into(),
                type_: ColumnType::Varchar { length: Some(16) },
                nullable: false,
                primary_key: false,
                server_default: Some("'active'".into()),
                unique: false,
                autoincrement: None,
                identity: None,
                comment: None,
                foreign_key: None,
            }),
            confirm_data_loss: None,
        })]
    );
    assert_eq!(again, ops(text));
}

#[test]
fn drop_column_without_existing_column_is_irreversible() {
    let error = irreversible(
        r#"
[[upgrade]]
op = "add_column"
table_name = "member_profiles"
column = { name = "status", type = "text" }

[[upgrade]]
op = "drop_column"
table_name = "member_profiles"
column_name = "bio"
"#,
    );
    assert_eq!((error.position, error.op), (2, "drop_column"));
    assert!(error.reason.contains("`existing_column`"), "{error}");
    assert!(error.description.contains("member_profiles.bio"), "{error}");
}

#[test]
fn create_index_and_drop_index_reverse_each_other() {
    let text = r#"
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
"#;
    let (downgrade, again) = round_trip(text);
    assert_eq!(
        downgrade,
        vec![Operation::DropIndex(DropIndex {
            index_name: "uq_active_handle".into(),
            table_name: Some("member_profiles".into()),
            columns: Some(vec![
                IndexElement::Column("team_id".into()),
                IndexElement::Column("handle".into()),
            ]),
            unique: true,
            where_: Some("status = 'active'".into()),
            postgresql_concurrently: true,
            postgresql_using: None,
            postgresql_ops: Default::default(),
            postgresql_include: Vec::new(),
            if_exists: true,
            schema: Some("app".into()),
        })]
    );
    assert_eq!(again, ops(text));
}

#[test]
fn drop_index_without_its_definition_is_irreversible() {
    let error = irreversible(
        r#"
[[upgrade]]
op = "drop_index"
index_name = "ix_member_profiles_handle"
table_name = "member_profiles"
"#,
    );
    assert_eq!(error.op, "drop_index");
    assert!(error.reason.contains("`columns`"), "{error}");
}

#[test]
fn each_create_constraint_reverses_to_drop_constraint_of_its_type() {
    let downgrade = derive_downgrade(&ops(r#"
[[upgrade]]
op = "create_unique_constraint"
constraint_name = "uq_handle"
table_name = "member_profiles"
columns = ["handle"]

[[upgrade]]
op = "create_foreign_key"
constraint_name = "fk_team"
source_table = "member_profiles"
referent_table = "teams"
local_cols = ["team_id"]
remote_cols = ["id"]
source_schema = "app"

[[upgrade]]
op = "create_check_constraint"
constraint_name = "ck_handle"
table_name = "member_profiles"
condition = "length(handle) > 0"

[[upgrade]]
op = "create_primary_key"
constraint_name = "pk_member_profiles"
table_name = "member_profiles"
columns = ["id"]
"#))
    .unwrap();
    let drop = |name: &str, kind, schema: Option<&str>| {
        Operation::DropConstraint(DropConstraint {
            constraint_name: name.into(),
            table_name: "member_profiles".into(),
            type_: Some(kind),
            schema: schema.map(str::to_string),
        })
    };
    assert_eq!(
        downgrade,
        vec![
            drop("pk_member_profiles", ConstraintKind::Primary, None),
            drop("ck_handle", ConstraintKind::Check, None),
            drop("fk_team", ConstraintKind::ForeignKey, Some("app")),
            drop("uq_handle", ConstraintKind::Unique, None),
        ]
    );
}

#[test]
fn an_unnamed_constraint_is_irreversible() {
    let error = irreversible(
        r#"
[[upgrade]]
op = "create_unique_constraint"
table_name = "member_profiles"
columns = ["handle"]
"#,
    );
    assert_eq!(error.op, "create_unique_constraint");
    assert!(error.reason.contains("`constraint_name`"), "{error}");
}

#[test]
fn drop_constraint_is_irreversible() {
    let error = irreversible(
        r#"
[[upgrade]]
op = "drop_constraint"
constraint_name = "uq_handle"
table_name = "member_profiles"
type_ = "unique"
"#,
    );
    assert_eq!(error.op, "drop_constraint");
    assert!(error.reason.contains("create_* operation"), "{error}");
}

#[test]
fn alter_column_goes_back_to_its_existing_values() {
    let text = r#"
[[upgrade]]
op = "alter_column"
table_name = "member_profiles"
schema = "app"
column_name = "handle"
new_column_name = "nickname"
type_ = "text"
existing_type = "varchar(64)"
nullable = true
existing_nullable = false
server_default = "''"
existing_server_default = "'anon'"
comment = "what they go by"
existing_comment = "their handle"
postgresql_using = "handle::text"
"#;
    let (downgrade, again) = round_trip(text);
    assert_eq!(
        downgrade,
        vec![Operation::AlterColumn(AlterColumn {
            table_name: "member_profiles".into(),
            column_name: "nickname".into(),
            new_column_name: Some("handle".into()),
            type_: Some(ColumnType::Varchar { length: Some(64) }),
            nullable: Some(false),
            server_default: Some(TextChange::Set("'anon'".into())),
            comment: Some(TextChange::Set("their handle".into())),
            postgresql_using: None,
            existing_type: Some(ColumnType::Text),
            existing_nullable: Some(true),
            existing_server_default: Some("''".into()),
            existing_comment: Some("what they go by".into()),
            schema: Some("app".into()),
            confirm_data_loss: None,
        })]
    );
    let Operation::AlterColumn(original) = one(text) else {
        unreachable!()
    };
    assert_eq!(
        again,
        vec![Operation::AlterColumn(AlterColumn {
            postgresql_using: None,
            ..original
        })]
    );
}

#[test]
fn alter_column_leaves_unchanged_properties_alone() {
    let (downgrade, _) = round_trip(
        r#"
[[upgrade]]
op = "alter_column"
table_name = "member_profiles"
column_name = "bio"
nullable = false
existing_nullable = true
existing_type = "text"
existing_server_default = "''"
"#,
    );
    let Operation::AlterColumn(reverse) = &downgrade[0] else {
        panic!("{downgrade:?}")
    };
    assert_eq!(reverse.nullable, Some(true));
    assert_eq!(
        (&reverse.type_, &reverse.server_default, &reverse.comment),
        (&None, &None, &None)
    );
    assert_eq!(reverse.existing_type, Some(ColumnType::Text));
    assert_eq!(reverse.existing_server_default.as_deref(), Some("''"));
    assert_eq!(reverse.new_column_name, None);
}

#[test]
fn a_new_default_or_comment_reverses_to_none_when_there_was_none() {
    let (downgrade, again) = round_trip(
        r#"
[[upgrade]]
op = "alter_column"
table_name = "member_profiles"
column_name = "status"
server_default = "'active'"
comment = "lifecycle"
"#,
    );
    let Operation::AlterColumn(reverse) = &downgrade[0] else {
        panic!("{downgrade:?}")
    };
    assert_eq!(reverse.server_default, Some(TextChange::Remove));
    assert_eq!(reverse.comment, Some(TextChange::Remove));
    assert_eq!(reverse.existing_server_default.as_deref(), Some("'active'"));
    assert_eq!(reverse.existing_comment.as_deref(), Some("lifecycle"));
    let Operation::AlterColumn(forth) = &again[0] else {
        panic!("{again:?}")
    };
    assert_eq!(
        forth.server_default,
        Some(TextChange::Set("'active'".into()))
    );
}

#[test]
fn alter_column_without_the_existing_value_it_changes_is_irreversible() {
    for (change, key) in [
        ("type_ = \"text\"", "existing_type"),
        ("nullable = false", "existing_nullable"),
        ("server_default = false", "existing_server_default"),
        ("comment = false", "existing_comment"),
    ] {
        let error = irreversible(&format!(
            "[[upgrade]]\nop = \"alter_column\"\ntable_name = \"t\"\ncolumn_name = \"c\"\n{change}\n"
        ));
        assert_eq!(error.op, "alter_column");
        assert!(
            error.reason.contains(&format!("`{key}`")),
            "{change}: {error}"
        );
    }
}

#[test]
fn table_comments_go_back_to_the_existing_comment() {
    let downgrade = derive_downgrade(&ops(r#"
[[upgrade]]
op = "create_table_comment"
table_name = "member_profiles"
comment = "members"

[[upgrade]]
op = "create_table_comment"
table_name = "member_profiles"
comment = "active members"
existing_comment = "members"

[[upgrade]]
op = "drop_table_comment"
table_name = "member_profiles"
existing_comment = "active members"
"#))
    .unwrap();
    assert_eq!(
        downgrade,
        vec![
            Operation::CreateTableComment(CreateTableComment {
                table_name: "member_profiles".into(),
                comment: "active members".into(),
                existing_comment: None,
                schema: None,
            }),
            Operation::CreateTableComment(CreateTableComment {
                table_name: "member_profiles".into(),
                comment: "members".into(),
                existing_comment: Some("active members".into()),
                schema: None,
            }),
            Operation::DropTableComment(DropTableComment {
                table_name: "member_profiles".into(),
                existing_comment: Some("members".into()),
                schema: None,
            }),
        ]
    );
    let error = irreversible(
        "[[upgrade]]\nop = \"drop_table_comment\"\ntable_name = \"member_profiles\"\n",
    );
    assert!(error.reason.contains("`existing_comment`"), "{error}");
}

#[test]
fn execute_and_bulk_insert_are_irreversible_by_name() {
    let error = irreversible(
        r#"
[[upgrade]]
op = "create_table"
table_name = "t"
columns = [ { name = "id", type = "integer", primary_key = true } ]

[[upgrade]]
op = "execute"
sqltext = "UPDATE t SET id = id + 1"
"#,
    );
    assert_eq!((error.position, error.op), (2, "execute"));
    assert!(error.to_string().contains("(execute SQL)"), "{error}");

    let error = irreversible(
        r#"
[[upgrade]]
op = "bulk_insert"
table_name = "t"
rows = [ { id = 1 } ]
"#,
    );
    assert_eq!(error.op, "bulk_insert");
    assert!(
        error.to_string().contains("bulk_insert t (1 row)"),
        "{error}"
    );
}

#[test]
fn the_downgrade_runs_in_reverse_order() {
    let downgrade = derive_downgrade(&ops(r#"
[[upgrade]]
op = "create_table"
table_name = "teams"
columns = [ { name = "id", type = "integer", primary_key = true } ]

[[upgrade]]
op = "add_column"
table_name = "members"
column = { name = "team_id", type = "integer", foreign_key = "teams.id" }

[[upgrade]]
op = "create_index"
index_name = "ix_members_team_id"
table_name = "members"
columns = ["team_id"]
"#))
    .unwrap();
    let names: Vec<&str> = downgrade.iter().map(Operation::name).collect();
    assert_eq!(names, ["drop_index", "drop_column", "drop_table"]);
    assert!(derive_downgrade(&[]).unwrap().is_empty());
}

#[test]
fn create_enum_and_drop_enum_reverse_each_other() {
    let text = r#"
[[upgrade]]
op = "create_enum"
enum_name = "mood"
values = ["happy", "sad"]
schema = "app"
"#;
    let (downgrade, again) = round_trip(text);
    assert_eq!(
        downgrade,
        ops("[[upgrade]]\nop = \"drop_enum\"\nenum_name = \"mood\"\nvalues = [\"happy\", \"sad\"]\nschema = \"app\"")
    );
    assert_eq!(again, ops(text));
    let error = irreversible("[[upgrade]]\nop = \"drop_enum\"\nenum_name = \"mood\"");
    assert!(error.reason.contains("`values`"), "{error}");
}

#[test]
fn an_expression_index_reverses_with_its_postgresql_options() {
    let text = r#"
[[upgrade]]
op = "create_index"
index_name = "ix_docs"
table_name = "docs"
columns = ["data", { expression = "lower(title)" }]
postgresql_using = "gin"
postgresql_ops = { data = "jsonb_path_ops" }
postgresql_include = ["id"]
"#;
    let (downgrade, again) = round_trip(text);
    let Operation::DropIndex(drop) = &downgrade[0] else {
        panic!("{downgrade:?}")
    };
    assert_eq!(drop.postgresql_using.as_deref(), Some("gin"));
    assert_eq!(drop.postgresql_include, ["id"]);
    assert_eq!(again, ops(text));
}
