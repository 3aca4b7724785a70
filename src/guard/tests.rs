use std::collections::HashMap;
use std::path::Path;

use super::report::{Fix, OpRef};
use super::*;
use crate::graph::RevisionMap;
use crate::ops::Operation;
use crate::plan::{self, Direction, Plan};
use crate::revision::{parse_revision, Revision};

// ---------------------------------------------------------------------------------------------
// Helpers

fn op(toml_text: &str) -> Operation {
    toml::from_str(toml_text).unwrap_or_else(|error| panic!("{toml_text}: {error}"))
}

/// What the classifier finds in one operation, as (object, reason).
fn losses(toml_text: &str) -> Vec<(String, String)> {
    classify(&op(toml_text))
        .into_iter()
        .map(|loss| (loss.object.to_string(), loss.reason))
        .collect()
}

/// What the classifier finds in one operation run on PostgreSQL, as (object, reason, certainty).
fn postgres_losses(toml_text: &str) -> Vec<(String, String, Certainty)> {
    let context = Context {
        dialect: Some(crate::dialect::Dialect::Postgresql),
        ..Context::default()
    };
    classify_in(&op(toml_text), &context)
        .into_iter()
        .map(|loss| (loss.object.to_string(), loss.reason, loss.certainty))
        .collect()
}

fn assert_safe(toml_text: &str) {
    assert_eq!(losses(toml_text), Vec::new(), "{toml_text}");
}

/// Asserts exactly one loss, of `object`, whose reason contains `reason`.
fn assert_destroys(toml_text: &str, object: &str, reason: &str) {
    let found = losses(toml_text);
    assert_eq!(found.len(), 1, "{toml_text}: {found:?}");
    assert_eq!(found[0].0, object, "{toml_text}");
    assert!(
        found[0].1.contains(reason),
        "{toml_text}: reason `{}` lacks `{reason}`",
        found[0].1
    );
}

fn alter(table_column_and_types: &str) -> String {
    format!(
        "op = \"alter_column\"\ntable_name = \"t\"\ncolumn_name = \"c\"\n{table_column_and_types}"
    )
}

fn execute(sql: &str) -> String {
    format!("op = \"execute\"\nsqltext = {}", report::toml_string(sql))
}

fn revision(file_name: &str, text: &str) -> Revision {
    parse_revision(Path::new(&format!("revisions/{file_name}")), text)
        .unwrap_or_else(|error| panic!("{file_name}: {error}"))
}

fn map(revisions: Vec<Revision>) -> RevisionMap {
    RevisionMap::new(revisions).unwrap()
}

fn upgrade_plan(map: &RevisionMap, current: &[&str]) -> Plan {
    let current: Vec<String> = current.iter().map(|s| s.to_string()).collect();
    plan::upgrade(map, &current, "heads").unwrap()
}

fn downgrade_plan(map: &RevisionMap, current: &[&str], target: &str) -> Plan {
    let current: Vec<String> = current.iter().map(|s| s.to_string()).collect();
    plan::downgrade(map, &current, target).unwrap()
}

fn allow(values: &[&str]) -> Allowances {
    Allowances {
        allow_data_loss: values.iter().map(|s| s.to_string()).collect(),
    }
}

fn blocked(map: &RevisionMap, plan: Plan, allowances: &Allowances) -> GuardReport {
    match check(map, plan, allowances, CheckMode::default()) {
        Err(GuardError::Blocked(report)) => report,
        Ok(checked) => panic!(
            "expected the plan to be blocked; it passed with {:?}",
            checked.confirmed_data_loss()
        ),
    }
}

/// (revision, location, object, confirmation) of each finding, for compact assertions.
fn summary(findings: &[Finding]) -> Vec<(String, String, String, Confirmation)> {
    findings
        .iter()
        .map(|f| {
            (
                f.revision.clone(),
                f.location(),
                f.object.to_string(),
                f.confirmation.clone(),
            )
        })
        .collect()
}

fn row(
    revision: &str,
    location: &str,
    object: &str,
    confirmation: Confirmation,
) -> (String, String, String, Confirmation) {
    (
        revision.to_string(),
        location.to_string(),
        object.to_string(),
        confirmation,
    )
}

const BASE: &str = r#"
revision = "0a1b2c3d4e5f"
message = "create user_profiles"

[[upgrade]]
op = "create_table"
table_name = "user_profiles"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "bio", type = "text", nullable = true },
]
"#;

/// The seed, exactly as Alembic's autogenerate wrote it, in rmig's form: a drop of
/// user_profiles (whose columns the drop does not list, as `op.drop_table` has none) and a
/// create of member_profiles with `id` integer primary key and `bio` string, and the mirror
/// image as the downgrade.
const SEED: &str = r#"
revision = "1975ea83b712"
down_revision = "0a1b2c3d4e5f"
message = "rename user_profiles to member_profiles"

[[upgrade]]
op = "drop_table"
table_name = "user_profiles"

[[upgrade]]
op = "create_table"
table_name = "member_profiles"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "bio", type = "string", nullable = true },
]

[[downgrade]]
op = "drop_table"
table_name = "member_profiles"

[[downgrade]]
op = "create_table"
table_name = "user_profiles"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "bio", type = "string", nullable = true },
]
"#;

fn seed_map(seed: &str) -> RevisionMap {
    map(vec![
        revision("0a1b2c3d4e5f_create.toml", BASE),
        revision("1975ea83b712_rename.toml", seed),
    ])
}

// ---------------------------------------------------------------------------------------------
// One test per row of the README's classification table

#[test]
fn create_table_is_safe() {
    assert_safe(
        r#"op = "create_table"
table_name = "t"
columns = [{ name = "id", type = "integer", primary_key = true }]"#,
    );
}

#[test]
fn drop_table_is_destructive() {
    assert_destroys(
        "op = \"drop_table\"\ntable_name = \"user_profiles\"",
        "user_profiles",
        "drops the table and every row in it",
    );
    assert_destroys(
        "op = \"drop_table\"\ntable_name = \"events\"\nschema = \"audit\"",
        "audit.events",
        "every row",
    );
    let drop = classify(&op("op = \"drop_table\"\ntable_name = \"t\""));
    assert_eq!(drop[0].measure, RowMeasure::Rows);
}

#[test]
fn rename_table_is_safe() {
    assert_safe(
        "op = \"rename_table\"\nold_table_name = \"user_profiles\"\nnew_table_name = \"member_profiles\"",
    );
    assert_safe(
        "op = \"rename_table\"\nold_table_name = \"user_profiles\"\nnew_table_name = \"member_profiles\"\nrename_dependents = true",
    );
}

#[test]
fn rename_index_is_safe() {
    assert_safe(
        "op = \"rename_index\"\nold_index_name = \"ix_user_profiles_karma\"\nnew_index_name = \"ix_member_profiles_karma\"",
    );
}

#[test]
fn rename_constraint_is_safe() {
    assert_safe(
        "op = \"rename_constraint\"\ntable_name = \"member_profiles\"\nold_constraint_name = \"user_profiles_pkey\"\nnew_constraint_name = \"member_profiles_pkey\"",
    );
}

#[test]
fn rename_sequence_is_safe() {
    assert_safe(
        "op = \"rename_sequence\"\nold_sequence_name = \"user_profiles_id_seq\"\nnew_sequence_name = \"member_profiles_id_seq\"",
    );
}

#[test]
fn add_column_is_safe() {
    assert_safe(
        "op = \"add_column\"\ntable_name = \"t\"\ncolumn = { name = \"c\", type = \"text\" }",
    );
}

#[test]
fn drop_column_is_destructive() {
    assert_destroys(
        "op = \"drop_column\"\ntable_name = \"t\"\ncolumn_name = \"c\"",
        "t.c",
        "drops the column and every value in it",
    );
    let drop = classify(&op(
        "op = \"drop_column\"\ntable_name = \"t\"\ncolumn_name = \"c\"",
    ));
    assert_eq!(drop[0].measure, RowMeasure::NonNullValues);
}

#[test]
fn alter_column_without_type_change_is_safe() {
    assert_safe(&alter("nullable = false\nexisting_type = \"text\""));
    assert_safe(&alter("server_default = false\ncomment = \"why\""));
    assert_safe(&alter("new_column_name = \"d\"\nexisting_type = \"text\""));
    // Restating the type it already has is no change.
    assert_safe(&alter(
        "type_ = \"varchar(20)\"\nexisting_type = \"string(20)\"",
    ));
}

#[test]
fn alter_column_widening_is_safe() {
    for (from, to) in [
        ("smallint", "integer"),
        ("integer", "bigint"),
        ("varchar(10)", "varchar(20)"),
        ("varchar(10)", "text"),
        ("varchar", "text"),
        ("numeric(10,2)", "numeric(12,2)"),
        ("numeric(10,2)", "numeric"),
        // The guard does not know the dialect here, so a change must be safe on both: an
        // integer holds 19 digits on SQLite (so no integer type fits a float there).
        ("integer", "numeric(19)"),
        ("real", "double"),
        ("timestamp", "timestamptz"),
        ("date", "timestamp"),
        ("jsonb", "json"),
        ("integer", "text"),
        ("uuid", "text"),
    ] {
        assert_safe(&alter(&format!(
            "type_ = \"{to}\"\nexisting_type = \"{from}\""
        )));
    }
    assert_safe(&alter(
        r#"type_ = { enum = "mood", values = ["happy", "sad", "ok"] }
existing_type = { enum = "mood", values = ["happy", "sad"] }"#,
    ));
}

#[test]
fn alter_column_losing_digits_on_sqlite_is_destructive() {
    assert_destroys(
        &alter("type_ = \"double\"\nexisting_type = \"integer\""),
        "t.c",
        "on SQLite an integer holds 19 digits",
    );
    assert_destroys(
        &alter("type_ = \"text\"\nexisting_type = \"double\""),
        "t.c",
        "on SQLite the text keeps only 15 significant digits",
    );
}

#[test]
fn alter_column_text_to_varchar_is_destructive() {
    assert_destroys(
        &alter("type_ = \"varchar(20)\"\nexisting_type = \"text\""),
        "t.c",
        "narrows text to varchar(20): values longer than 20 characters would be cut or rejected",
    );
}

#[test]
fn alter_column_shorter_varchar_is_destructive() {
    assert_destroys(
        &alter("type_ = \"varchar(10)\"\nexisting_type = \"varchar(20)\""),
        "t.c",
        "shortens varchar(20) to varchar(10)",
    );
}

#[test]
fn alter_column_integer_narrowing_is_destructive() {
    assert_destroys(
        &alter("type_ = \"integer\"\nexisting_type = \"bigint\""),
        "t.c",
        "narrows bigint to integer",
    );
    assert_destroys(
        &alter("type_ = \"smallint\"\nexisting_type = \"integer\""),
        "t.c",
        "narrows integer to smallint",
    );
}

#[test]
fn alter_column_numeric_narrowing_is_destructive() {
    for (from, to, reason) in [
        (
            "numeric(10,2)",
            "numeric(8,2)",
            "narrows numeric(10,2) to numeric(8,2)",
        ),
        ("numeric(10,2)", "numeric(10,1)", "narrows"),
        (
            "numeric(10,2)",
            "bigint",
            "fractional digits would be rounded away",
        ),
        (
            "double",
            "bigint",
            "converts floating-point double to bigint",
        ),
        ("real", "numeric", "converts floating-point real"),
        ("double", "real", "narrows double to real"),
        ("integer", "real", "large integers lose their last digits"),
        ("bigint", "double", "large integers lose their last digits"),
    ] {
        assert_destroys(
            &alter(&format!("type_ = \"{to}\"\nexisting_type = \"{from}\"")),
            "t.c",
            reason,
        );
    }
}

#[test]
fn alter_column_type_family_change_is_destructive() {
    for (from, to) in [
        ("text", "integer"),
        ("integer", "boolean"),
        ("uuid", "varchar(36)"),
    ] {
        assert_destroys(
            &alter(&format!("type_ = \"{to}\"\nexisting_type = \"{from}\"")),
            "t.c",
            &format!("changes the type family from {from} to {to}"),
        );
    }
}

#[test]
fn alter_column_dropping_part_of_values_is_destructive() {
    assert_destroys(
        &alter("type_ = \"timestamp\"\nexisting_type = \"timestamptz\""),
        "t.c",
        "the time zone of each value is dropped",
    );
    assert_destroys(
        &alter("type_ = \"date\"\nexisting_type = \"timestamp\""),
        "t.c",
        "the time of day",
    );
    assert_destroys(
        &alter("type_ = \"jsonb\"\nexisting_type = \"json\""),
        "t.c",
        "duplicate keys",
    );
    assert_destroys(
        &alter(
            r#"type_ = { enum = "mood", values = ["happy"] }
existing_type = { enum = "mood", values = ["happy", "sad"] }"#,
        ),
        "t.c",
        "lacks the value(s) sad",
    );
}

#[test]
fn alter_column_without_existing_type_is_destructive() {
    assert_destroys(
        &alter("type_ = \"bigint\""),
        "t.c",
        "changes the type to bigint without `existing_type`",
    );
}

#[test]
fn alter_column_sql_type_change_is_destructive() {
    assert_destroys(
        &alter("sql_type = \"inet\"\nexisting_sql_type = \"cidr\""),
        "t.c",
        "cannot compare a type outside rmig's vocabulary",
    );
    // A PostgreSQL spelling reads as the vocabulary type it names.
    assert_safe(&alter("sql_type = \"int4\"\nexisting_type = \"integer\""));
    assert_safe(&alter(
        "type_ = \"varchar(50)\"\nexisting_sql_type = \"character varying(20)\"",
    ));
    assert_safe(&alter(
        "sql_type = \"citext\"\nexisting_type = \"varchar(20)\"",
    ));
    assert_safe(&alter(
        "sql_type = \"CITEXT\"\nexisting_sql_type = \"citext\"",
    ));
}

#[test]
fn create_index_is_safe() {
    assert_safe(
        "op = \"create_index\"\nindex_name = \"ix\"\ntable_name = \"t\"\ncolumns = [\"c\"]",
    );
}

#[test]
fn drop_index_is_safe() {
    assert_safe("op = \"drop_index\"\nindex_name = \"ix\"\ntable_name = \"t\"");
}

#[test]
fn enum_types_are_safe() {
    assert_safe("op = \"create_enum\"\nenum_name = \"mood\"\nvalues = [\"happy\"]");
    assert_safe("op = \"drop_enum\"\nenum_name = \"mood\"");
}

#[test]
fn create_unique_constraint_is_safe() {
    assert_safe(
        "op = \"create_unique_constraint\"\nconstraint_name = \"uq\"\ntable_name = \"t\"\ncolumns = [\"c\"]",
    );
}

#[test]
fn create_foreign_key_is_safe() {
    assert_safe(
        "op = \"create_foreign_key\"\nconstraint_name = \"fk\"\nsource_table = \"t\"\nreferent_table = \"u\"\nlocal_cols = [\"u_id\"]\nremote_cols = [\"id\"]",
    );
}

#[test]
fn create_check_constraint_is_safe() {
    assert_safe(
        "op = \"create_check_constraint\"\nconstraint_name = \"ck\"\ntable_name = \"t\"\ncondition = \"c > 0\"",
    );
}

#[test]
fn create_primary_key_is_safe() {
    assert_safe(
        "op = \"create_primary_key\"\nconstraint_name = \"pk\"\ntable_name = \"t\"\ncolumns = [\"id\"]",
    );
}

#[test]
fn drop_constraint_is_safe() {
    assert_safe(
        "op = \"drop_constraint\"\nconstraint_name = \"fk\"\ntable_name = \"t\"\ntype_ = \"foreignkey\"",
    );
}

#[test]
fn create_table_comment_is_safe() {
    assert_safe("op = \"create_table_comment\"\ntable_name = \"t\"\ncomment = \"why\"");
}

#[test]
fn drop_table_comment_is_safe() {
    assert_safe("op = \"drop_table_comment\"\ntable_name = \"t\"");
}

#[test]
fn bulk_insert_is_safe() {
    assert_safe("op = \"bulk_insert\"\ntable_name = \"t\"\nrows = [{ id = 1, name = \"a\" }]");
}

#[test]
fn execute_drop_table_is_destructive() {
    assert_destroys(
        &execute("DROP TABLE IF EXISTS Audit_Log"),
        "audit_log",
        "`DROP TABLE IF EXISTS Audit_Log` drops the table and every row in it",
    );
    assert_destroys_with_cascade(
        &execute("DROP TABLE archive.\"Events\" CASCADE"),
        "archive.Events",
        "drops the table",
    );
    assert_eq!(
        losses(&execute("DROP TABLE a, b"))
            .into_iter()
            .map(|(object, _)| object)
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
}

#[test]
fn execute_drop_column_is_destructive() {
    assert_destroys(
        &execute("ALTER TABLE users DROP COLUMN legacy_id"),
        "users.legacy_id",
        "drops the column and every value in it",
    );
}

#[test]
fn execute_drop_schema_is_destructive() {
    assert_destroys(
        &execute("DROP SCHEMA archive CASCADE"),
        "schema archive",
        "drops the schema and every table in it",
    );
    assert_destroys(
        &execute("DROP DATABASE old"),
        "database old",
        "everything in it",
    );
}

/// Asserts a certain loss of `object` whose reason contains `reason`, and a possible loss of
/// whatever the cascade reaches.
fn assert_destroys_with_cascade(toml_text: &str, object: &str, reason: &str) {
    let found = postgres_losses(toml_text);
    assert_eq!(found.len(), 2, "{toml_text}: {found:?}");
    assert_eq!(found[0].0, object, "{toml_text}");
    assert!(found[0].1.contains(reason), "{found:?}");
    assert_eq!(found[0].2, Certainty::Certain);
    assert_eq!(found[1].0, "whatever the SQL touches", "{found:?}");
    assert!(found[1].1.contains("cascades"), "{found:?}");
    assert_eq!(found[1].2, Certainty::Possible);
}

#[test]
fn execute_drop_type_cascade_is_destructive() {
    assert_destroys(
        &execute("DROP TYPE mood CASCADE"),
        "type mood",
        "drops every column of that type",
    );
    assert_destroys(
        &execute("DROP DOMAIN positive_int CASCADE"),
        "domain positive_int",
        "every column of that domain",
    );
    assert_destroys(
        &execute("DROP EXTENSION citext CASCADE"),
        "extension citext",
        "whose type the extension provides",
    );
    assert_safe(&execute("DROP TYPE mood"));
    assert_safe(&execute("DROP EXTENSION citext"));
}

#[test]
fn execute_truncate_is_destructive() {
    assert_destroys(
        &execute("TRUNCATE audit_log"),
        "audit_log",
        "`TRUNCATE audit_log` removes every row",
    );
    let truncate = postgres_losses(&execute("TRUNCATE TABLE a, b RESTART IDENTITY"));
    assert_eq!(
        truncate
            .iter()
            .map(|loss| loss.0.clone())
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
}

#[test]
fn execute_delete_without_where_is_destructive() {
    assert_destroys(
        &execute("DELETE FROM sessions"),
        "sessions",
        "has no WHERE, so it removes every row",
    );
}

#[test]
fn execute_update_without_where_is_destructive() {
    let found = losses(&execute("UPDATE users SET email = NULL, name = ''"));
    assert_eq!(
        found.iter().map(|loss| loss.0.as_str()).collect::<Vec<_>>(),
        ["users.email", "users.name"]
    );
    assert!(found[0]
        .1
        .contains("has no WHERE, so it overwrites the column in every row"));
}

#[test]
fn execute_alter_column_type_is_destructive() {
    let found = postgres_losses(&execute(
        "ALTER TABLE users ALTER COLUMN name TYPE varchar(3) USING substr(name, 1, 3)",
    ));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "users.name");
    assert!(
        found[0].1.contains("computes every value anew"),
        "{found:?}"
    );
    assert_eq!(found[0].2, Certainty::Certain);
    // Converting the values as they are leaves the judgement to the column's real type.
    let plain = postgres_losses(&execute(
        "ALTER TABLE users ALTER COLUMN name TYPE varchar(3) USING name::varchar(3)",
    ));
    assert_eq!(plain.len(), 1, "{plain:?}");
    assert_eq!(plain[0].2, Certainty::Possible);
}

#[test]
fn execute_data_modifying_cte_is_destructive() {
    assert_destroys(
        &execute("WITH gone AS (DELETE FROM sessions RETURNING id) SELECT count(*) FROM gone"),
        "sessions",
        "removes every row",
    );
}

/// Bug (issue 13, cause 1): any WHERE counted as a targeted data migration, so `WHERE true`
/// deleted every row unconfirmed. A WHERE makes the loss possible, never nothing.
#[test]
fn execute_delete_or_update_with_where_may_destroy() {
    for (sql, object) in [
        ("DELETE FROM sessions WHERE expires_at < now()", "sessions"),
        ("DELETE FROM users WHERE true", "users"),
        (
            "UPDATE users SET email = lower(email) WHERE 1 = 1",
            "users.email",
        ),
        (
            "WITH d AS (DELETE FROM users WHERE id > 0 RETURNING id) SELECT count(*) FROM d",
            "users",
        ),
    ] {
        let found = postgres_losses(&execute(sql));
        assert_eq!(found.len(), 1, "{sql}: {found:?}");
        assert_eq!(found[0].0, object, "{sql}");
        assert_eq!(found[0].2, Certainty::Possible, "{sql}");
    }
}

#[test]
fn execute_other_parsed_sql_is_safe() {
    assert_safe(&execute(
        "CREATE EXTENSION IF NOT EXISTS citext; INSERT INTO t (a) VALUES (1); SELECT 1",
    ));
    assert_safe(&execute(
        "DROP INDEX ix_t_a; DROP VIEW v; DROP SEQUENCE s; ALTER TABLE t RENAME COLUMN a TO b",
    ));
    assert_safe(&execute("ALTER TABLE t DROP CONSTRAINT ck_t"));
    assert_safe(&execute(""));
}

#[test]
fn execute_unparsable_sql_is_destructive() {
    let found = classify(&op(&execute("DO $$ BEGIN DELETE FROM t; END $$")));
    assert!(!found.is_empty());
    for loss in &found {
        assert_eq!(loss.object, DataObject::Unknown);
        assert!(
            loss.reason.starts_with("the guard cannot read `"),
            "{}",
            loss.reason
        );
        assert_eq!(loss.measure, RowMeasure::Uncountable);
        assert_eq!(loss.certainty, Certainty::Possible);
    }
}

#[test]
fn written_downgrade_is_classified() {
    let map = map(vec![
        revision("0a1b2c3d4e5f_create.toml", BASE),
        revision(
            "2b3c4d5e6f70_bio.toml",
            r#"
revision = "2b3c4d5e6f70"
down_revision = "0a1b2c3d4e5f"

[[upgrade]]
op = "add_column"
table_name = "user_profiles"
column = { name = "avatar", type = "text" }

[[downgrade]]
op = "drop_column"
table_name = "user_profiles"
column_name = "avatar"
"#,
        ),
    ]);
    assert!(check(
        &map,
        upgrade_plan(&map, &["0a1b2c3d4e5f"]),
        &allow(&[]),
        CheckMode::default()
    )
    .is_ok());
    let report = blocked(
        &map,
        downgrade_plan(&map, &["2b3c4d5e6f70"], "-1"),
        &allow(&[]),
    );
    assert_eq!(
        summary(&report.findings),
        [row(
            "2b3c4d5e6f70",
            "downgrade[0]",
            "user_profiles.avatar",
            Confirmation::Missing
        )]
    );
    assert_eq!(
        report.findings[0].fix.confirm_line,
        "confirm_data_loss = \"user_profiles.avatar\""
    );
}

#[test]
fn derived_downgrade_is_classified() {
    let map = map(vec![
        revision("0a1b2c3d4e5f_create.toml", BASE),
        revision(
            "3c4d5e6f7081_widen.toml",
            r#"
revision = "3c4d5e6f7081"
down_revision = "0a1b2c3d4e5f"

[[upgrade]]
op = "add_column"
table_name = "user_profiles"
column = { name = "avatar", type = "text" }

[[upgrade]]
op = "alter_column"
table_name = "user_profiles"
column_name = "id"
type_ = "bigint"
existing_type = "integer"

[[upgrade]]
op = "create_index"
index_name = "ix_user_profiles_avatar"
table_name = "user_profiles"
columns = ["avatar"]
"#,
        ),
    ]);
    assert!(check(
        &map,
        upgrade_plan(&map, &["0a1b2c3d4e5f"]),
        &allow(&[]),
        CheckMode::default()
    )
    .is_ok());
    let report = blocked(
        &map,
        downgrade_plan(&map, &["3c4d5e6f7081"], "0a1b2c3d4e5f"),
        &allow(&[]),
    );
    // Reversed last first: the bigint -> integer narrowing, then the drop of the added column.
    assert_eq!(
        summary(&report.findings),
        [
            row(
                "3c4d5e6f7081",
                "downgrade (derived: reverses upgrade[1])",
                "user_profiles.id",
                Confirmation::Missing
            ),
            row(
                "3c4d5e6f7081",
                "downgrade (derived: reverses upgrade[0])",
                "user_profiles.avatar",
                Confirmation::Missing
            ),
        ]
    );
    assert!(report.findings[0]
        .reason
        .contains("narrows bigint to integer"));
    assert!(report.findings.iter().all(|finding| finding.derived));
    let text = report.to_string();
    assert!(
        text.contains("to run it, write the downgrade out and add `confirm_data_loss = \"user_profiles.avatar\"` to this operation, or pass --allow-data-loss=column:user_profiles.avatar"),
        "{text}"
    );
}

/// Every row of the README's classification table names a test, and each exists here.
#[test]
fn every_classification_row_has_its_test() {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("## The destructive-operation guard")
        .nth(1)
        .expect("the README has the guard's section");
    let table = section.split("\n## ").next().unwrap();
    let source = include_str!("tests.rs");
    let rows: Vec<&str> = table
        .lines()
        .filter(|line| line.starts_with("| ") && !line.starts_with("| operation"))
        .collect();
    assert!(rows.len() >= 38, "only {} rows", rows.len());
    for line in rows {
        let test_cell = line
            .trim_end_matches('|')
            .rsplit('|')
            .next()
            .unwrap()
            .trim()
            .trim_matches('`');
        assert!(!test_cell.is_empty(), "row without a test: {line}");
        assert!(
            source.contains(&format!("fn {test_cell}()")),
            "row names test `{test_cell}`, which does not exist"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// check: the seed, confirmations and allowances

#[test]
fn the_seed_drop_and_create_is_blocked_and_reported_as_a_rename() {
    let map = seed_map(SEED);
    let report = blocked(&map, upgrade_plan(&map, &["0a1b2c3d4e5f"]), &allow(&[]));
    assert_eq!(
        summary(&report.findings),
        [row(
            "1975ea83b712",
            "upgrade[0]",
            "user_profiles",
            Confirmation::Missing
        )]
    );
    let finding = &report.findings[0];
    assert_eq!(
        finding.path,
        Path::new("revisions/1975ea83b712_rename.toml")
    );
    assert_eq!(finding.op, "drop_table user_profiles");
    assert_eq!(
        finding.fix,
        Fix {
            confirm_line: "confirm_data_loss = \"user_profiles\"".into(),
            allow_flag: "--allow-data-loss=table:user_profiles".into(),
        }
    );
    let rename = finding.probable_rename.as_ref().expect("a rename hint");
    assert_eq!(
        rename.toml,
        "[[upgrade]]\nop = \"rename_table\"\nold_table_name = \"user_profiles\"\nnew_table_name = \"member_profiles\""
    );
    assert_eq!(
        rename.created_by,
        OpRef {
            revision: "1975ea83b712".into(),
            direction: Direction::Upgrade,
            derived: false,
            op_index: 1,
            op: "create_table member_profiles".into(),
        }
    );
    assert_eq!(
        report.to_string(),
        "1 destructive operation is not confirmed; nothing was run.
  1975ea83b712 (revisions/1975ea83b712_rename.toml) upgrade[0] drop_table user_profiles: drops the table and every row in it; probably a rename of user_profiles to member_profiles (see below); to run it, add `confirm_data_loss = \"user_profiles\"` to this operation, or pass --allow-data-loss=table:user_profiles
Probable renames: a drop plus a create of nearly the same shape destroys every row; write the rename instead.
  In 1975ea83b712, replace upgrade[0] drop_table user_profiles and upgrade[1] create_table member_profiles with:
    [[upgrade]]
    op = \"rename_table\"
    old_table_name = \"user_profiles\"
    new_table_name = \"member_profiles\""
    );
}

#[test]
fn the_seed_downgrade_is_blocked_and_reported_as_the_reverse_rename() {
    let map = seed_map(SEED);
    let report = blocked(
        &map,
        downgrade_plan(&map, &["1975ea83b712"], "0a1b2c3d4e5f"),
        &allow(&[]),
    );
    assert_eq!(
        summary(&report.findings),
        [row(
            "1975ea83b712",
            "downgrade[0]",
            "member_profiles",
            Confirmation::Missing
        )]
    );
    assert_eq!(
        report.findings[0].probable_rename.as_ref().unwrap().toml,
        "[[downgrade]]\nop = \"rename_table\"\nold_table_name = \"member_profiles\"\nnew_table_name = \"user_profiles\""
    );
}

#[test]
fn a_seed_drop_listing_its_columns_as_text_is_still_a_rename() {
    let seed = SEED.replace(
        "op = \"drop_table\"\ntable_name = \"user_profiles\"\n",
        "op = \"drop_table\"\ntable_name = \"user_profiles\"\ncolumns = [\n  { name = \"bio\", type = \"text\" },\n  { name = \"id\", type = \"integer\", primary_key = true },\n]\n",
    );
    assert_ne!(seed, SEED);
    let map = seed_map(&seed);
    let report = blocked(&map, upgrade_plan(&map, &["0a1b2c3d4e5f"]), &allow(&[]));
    let rename = report.findings[0].probable_rename.as_ref().unwrap();
    assert_eq!(
        (rename.old_name.as_str(), rename.new_name.as_str()),
        ("user_profiles", "member_profiles")
    );
}

#[test]
fn the_rename_form_of_the_seed_passes() {
    let renamed = r#"
revision = "1975ea83b712"
down_revision = "0a1b2c3d4e5f"

[[upgrade]]
op = "rename_table"
old_table_name = "user_profiles"
new_table_name = "member_profiles"
"#;
    let map = seed_map(renamed);
    let checked = check(
        &map,
        upgrade_plan(&map, &["0a1b2c3d4e5f"]),
        &allow(&[]),
        CheckMode::default(),
    )
    .unwrap();
    assert_eq!(checked.confirmed_data_loss(), &[]);
    assert_eq!(checked.plan().steps.len(), 1);
    let checked = check(
        &map,
        downgrade_plan(&map, &["1975ea83b712"], "0a1b2c3d4e5f"),
        &allow(&[]),
        CheckMode::default(),
    )
    .unwrap();
    assert_eq!(checked.confirmed_data_loss(), &[]);
}

#[test]
fn a_confirmation_naming_the_table_lets_the_seed_run() {
    let confirmed = SEED.replacen(
        "table_name = \"user_profiles\"\n",
        "table_name = \"user_profiles\"\nconfirm_data_loss = \"user_profiles\"\n",
        1,
    );
    let map = seed_map(&confirmed);
    let checked = check(
        &map,
        upgrade_plan(&map, &["0a1b2c3d4e5f"]),
        &allow(&[]),
        CheckMode::default(),
    )
    .unwrap();
    assert_eq!(
        summary(checked.confirmed_data_loss()),
        [row(
            "1975ea83b712",
            "upgrade[0]",
            "user_profiles",
            Confirmation::OnOperation
        )]
    );
    // The hint is kept for the executor to show even though the drop is confirmed.
    assert!(checked.confirmed_data_loss()[0].probable_rename.is_some());
}

#[test]
fn a_confirmation_naming_another_object_does_not_count() {
    let copied = SEED.replacen(
        "table_name = \"user_profiles\"\n",
        "table_name = \"user_profiles\"\nconfirm_data_loss = \"orders\"\n",
        1,
    );
    let map = seed_map(&copied);
    let report = blocked(&map, upgrade_plan(&map, &["0a1b2c3d4e5f"]), &allow(&[]));
    assert_eq!(
        report.findings[0].confirmation,
        Confirmation::NamesOtherObject {
            given: "orders".into()
        }
    );
    let text = report.to_string();
    assert!(
        text.contains(
            "its confirm_data_loss = \"orders\" does not name user_profiles, so it does not count"
        ),
        "{text}"
    );
    // `true`, as a habit from other tools, names nothing either.
    let map = seed_map(&SEED.replacen(
        "table_name = \"user_profiles\"\n",
        "table_name = \"user_profiles\"\nconfirm_data_loss = \"true\"\n",
        1,
    ));
    let report = blocked(&map, upgrade_plan(&map, &["0a1b2c3d4e5f"]), &allow(&[]));
    assert!(!report.findings[0].confirmation.is_confirmed());
}

#[test]
fn a_schema_qualified_drop_accepts_either_name() {
    for given in ["audit.events", "events"] {
        let text = format!(
            "revision = \"4d5e6f708192\"\ndowngrade = []\n[[upgrade]]\nop = \"drop_table\"\ntable_name = \"events\"\nschema = \"audit\"\nconfirm_data_loss = \"{given}\"\n"
        );
        let map = map(vec![revision("4d5e6f708192_drop.toml", &text)]);
        assert!(
            check(
                &map,
                upgrade_plan(&map, &[]),
                &allow(&[]),
                CheckMode::default()
            )
            .is_ok(),
            "{given}"
        );
    }
    let text = "revision = \"4d5e6f708192\"\ndowngrade = []\n[[upgrade]]\nop = \"drop_table\"\ntable_name = \"events\"\nschema = \"audit\"\nconfirm_data_loss = \"other.events\"\n";
    let map = map(vec![revision("4d5e6f708192_drop.toml", text)]);
    let report = blocked(&map, upgrade_plan(&map, &[]), &allow(&[]));
    assert_eq!(
        report.findings[0].fix.confirm_line,
        "confirm_data_loss = \"audit.events\""
    );
}

#[test]
fn allowances_name_a_revision_a_table_or_all() {
    let map = seed_map(SEED);
    for allowance in ["1975ea83b712", "user_profiles", "all"] {
        let checked = check(
            &map,
            upgrade_plan(&map, &["0a1b2c3d4e5f"]),
            &allow(&[allowance]),
            CheckMode::default(),
        )
        .unwrap_or_else(|error| panic!("--allow-data-loss={allowance}: {error}"));
        assert_eq!(
            checked.confirmed_data_loss()[0].confirmation,
            Confirmation::ByAllowance {
                allowance: allowance.into()
            }
        );
        assert_eq!(checked.unused_allowances(), &[] as &[String]);
    }
}

#[test]
fn an_allowance_for_something_else_does_not_allow_and_is_reported_unused() {
    let map = seed_map(SEED);
    for allowance in [
        "member_profiles",
        "1975ea83b7",
        "0a1b2c3d4e5f",
        "user_profile",
    ] {
        let report = blocked(
            &map,
            upgrade_plan(&map, &["0a1b2c3d4e5f"]),
            &allow(&[allowance]),
        );
        assert_eq!(report.findings.len(), 1, "{allowance}");
        assert_eq!(report.unused_allowances, [allowance]);
        assert!(report.to_string().ends_with(&format!(
            "note: --allow-data-loss={allowance} matched no destructive operation in this plan."
        )));
    }
}

#[test]
fn a_table_allowance_covers_its_columns() {
    let map = map(vec![revision(
        "5e6f708192a3_drop.toml",
        "revision = \"5e6f708192a3\"\ndowngrade = []\n[[upgrade]]\nop = \"drop_column\"\ntable_name = \"users\"\ncolumn_name = \"legacy_id\"\n",
    )]);
    assert!(check(
        &map,
        upgrade_plan(&map, &[]),
        &allow(&["users"]),
        CheckMode::default()
    )
    .is_ok());
    assert!(check(
        &map,
        upgrade_plan(&map, &[]),
        &allow(&["users.legacy_id"]),
        CheckMode::default()
    )
    .is_ok());
    let report = blocked(&map, upgrade_plan(&map, &[]), &allow(&["legacy_id"]));
    assert_eq!(report.findings[0].object.to_string(), "users.legacy_id");
}

#[test]
fn every_unconfirmed_operation_of_every_step_is_reported() {
    let map = map(vec![
        revision(
            "aaaaaaaaaaaa_one.toml",
            r#"
revision = "aaaaaaaaaaaa"
downgrade = []
[[upgrade]]
op = "execute"
sqltext = "TRUNCATE audit_log; DELETE FROM sessions"
"#,
        ),
        revision(
            "bbbbbbbbbbbb_two.toml",
            r#"
revision = "bbbbbbbbbbbb"
downgrade = []
down_revision = "aaaaaaaaaaaa"
[[upgrade]]
op = "create_index"
index_name = "ix"
table_name = "t"
columns = ["a"]
[[upgrade]]
op = "drop_column"
table_name = "users"
column_name = "legacy_id"
"#,
        ),
    ]);
    let report = blocked(&map, upgrade_plan(&map, &[]), &allow(&[]));
    assert_eq!(
        summary(&report.findings),
        [
            row(
                "aaaaaaaaaaaa",
                "upgrade[0]",
                "audit_log",
                Confirmation::Missing
            ),
            row(
                "aaaaaaaaaaaa",
                "upgrade[0]",
                "sessions",
                Confirmation::Missing
            ),
            row(
                "bbbbbbbbbbbb",
                "upgrade[1]",
                "users.legacy_id",
                Confirmation::Missing
            ),
        ]
    );
    // One `confirm_data_loss` line confirms all of the execute: it lists both tables.
    assert_eq!(
        report.findings[0].fix.confirm_line,
        "confirm_data_loss = \"audit_log, sessions\""
    );
    let text = report.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "3 destructive operations are not confirmed; nothing was run."
    );
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[1].contains("`TRUNCATE audit_log` removes every row"));
    assert!(lines[2].contains("`DELETE FROM sessions` has no WHERE"));
}

#[test]
fn execute_confirmations_list_objects_or_name_the_revision() {
    let with_confirmation = |given: &str| {
        let text = format!(
            "revision = \"cccccccccccc\"\ndowngrade = []\n[[upgrade]]\nop = \"execute\"\nsqltext = \"TRUNCATE a, b\"\nconfirm_data_loss = \"{given}\"\n"
        );
        map(vec![revision("cccccccccccc_x.toml", &text)])
    };
    for given in ["a, b", "b,a", "cccccccccccc"] {
        let map = with_confirmation(given);
        assert!(
            check(
                &map,
                upgrade_plan(&map, &[]),
                &allow(&[]),
                CheckMode::default()
            )
            .is_ok(),
            "{given}"
        );
    }
    let map = with_confirmation("a");
    let report = blocked(&map, upgrade_plan(&map, &[]), &allow(&[]));
    assert_eq!(
        summary(&report.findings),
        [row(
            "cccccccccccc",
            "upgrade[0]",
            "b",
            Confirmation::NamesOtherObject { given: "a".into() }
        )]
    );
}

#[test]
fn unparsable_sql_is_confirmed_only_by_the_revision_id() {
    let with_confirmation = |given: &str| {
        let text = format!(
            "revision = \"dddddddddddd\"\ndowngrade = []\n[[upgrade]]\nop = \"execute\"\nsqltext = \"DO $$ BEGIN PERFORM 1; END $$\"\nconfirm_data_loss = \"{given}\"\n"
        );
        map(vec![revision("dddddddddddd_x.toml", &text)])
    };
    let map_ok = with_confirmation("dddddddddddd");
    assert!(check(
        &map_ok,
        upgrade_plan(&map_ok, &[]),
        &allow(&[]),
        CheckMode::default()
    )
    .is_ok());
    let map_bad = with_confirmation("t");
    let report = blocked(&map_bad, upgrade_plan(&map_bad, &[]), &allow(&[]));
    assert_eq!(report.findings[0].object, DataObject::Unknown);
    assert_eq!(
        report.findings[0].fix,
        Fix {
            confirm_line: "confirm_data_loss = \"dddddddddddd\"".into(),
            allow_flag: "--allow-data-loss=revision:dddddddddddd".into(),
        }
    );
}

#[test]
fn deeply_nested_sql_is_unreadable_not_a_crash() {
    let nested = format!("SELECT {}1{}", "(".repeat(5000), ")".repeat(5000));
    let found = classify(&op(&execute(&nested)));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].object, DataObject::Unknown);
    assert!(
        found[0].reason.contains("recursion limit"),
        "{}",
        found[0].reason
    );
}

#[test]
fn dialect_texts_are_read_by_their_own_parser() {
    // PostgreSQL-only SQL in sqltext is fine when one parser reads it.
    assert_safe(&execute(
        "CREATE INDEX CONCURRENTLY ix ON t USING gin (doc jsonb_path_ops)",
    ));
    let text = r#"op = "execute"
postgresql = "TRUNCATE a CASCADE"
sqlite = "DELETE FROM b"
"#;
    let found: Vec<String> = classify(&op(text))
        .into_iter()
        .map(|loss| loss.object.to_string())
        .collect();
    assert_eq!(found, ["a", "whatever the SQL touches", "b"]);
    // SQLite's own text must parse as SQLite.
    let text = r#"op = "execute"
postgresql = "SELECT 1"
sqlite = "TRUNCATE a CASCADE"
"#;
    assert_eq!(classify(&op(text))[0].object, DataObject::Unknown);
}

#[test]
fn a_yaml_revision_gets_a_yaml_confirmation_line() {
    let yaml =
        "revision: eeeeeeeeeeee\ndowngrade: []\nupgrade:\n  - op: drop_table\n    table_name: user_profiles\n";
    let revision = parse_revision(Path::new("revisions/eeeeeeeeeeee_x.yaml"), yaml).unwrap();
    let map = map(vec![revision]);
    let report = blocked(&map, upgrade_plan(&map, &[]), &allow(&[]));
    assert_eq!(
        report.findings[0].fix.confirm_line,
        "confirm_data_loss: \"user_profiles\""
    );
}

// ---------------------------------------------------------------------------------------------
// Renames

#[test]
fn a_dropped_and_added_column_of_the_same_type_is_a_probable_rename() {
    let map = map(vec![
        revision("0a1b2c3d4e5f_create.toml", BASE),
        revision(
            "6f708192a3b4_rename_bio.toml",
            r#"
revision = "6f708192a3b4"
down_revision = "0a1b2c3d4e5f"

[[upgrade]]
op = "add_column"
table_name = "user_profiles"
column = { name = "about", type = "text" }

[[upgrade]]
op = "drop_column"
table_name = "user_profiles"
column_name = "bio"
existing_column = { name = "bio", type = "varchar" }
"#,
        ),
    ]);
    let report = blocked(&map, upgrade_plan(&map, &["0a1b2c3d4e5f"]), &allow(&[]));
    let rename = report.findings[0].probable_rename.as_ref().unwrap();
    assert_eq!(
        rename.toml,
        "[[upgrade]]\nop = \"alter_column\"\ntable_name = \"user_profiles\"\ncolumn_name = \"bio\"\nnew_column_name = \"about\""
    );
    assert_eq!(rename.old_name, "user_profiles.bio");
    assert_eq!(rename.new_name, "user_profiles.about");
    assert_eq!(rename.created_by.op_index, 0);
    // The derived downgrade re-adds bio and drops about: the reverse rename, found again.
    let report = blocked(
        &map,
        downgrade_plan(&map, &["6f708192a3b4"], "0a1b2c3d4e5f"),
        &allow(&[]),
    );
    assert_eq!(
        summary(&report.findings),
        [row(
            "6f708192a3b4",
            "downgrade (derived: reverses upgrade[0])",
            "user_profiles.about",
            Confirmation::Missing
        )]
    );
    assert_eq!(
        report.findings[0]
            .probable_rename
            .as_ref()
            .map(|hint| hint.new_name.as_str()),
        Some("user_profiles.bio")
    );
}

#[test]
fn a_rename_is_found_across_the_steps_of_a_plan() {
    let map = map(vec![
        revision("0a1b2c3d4e5f_create.toml", BASE),
        revision(
            "708192a3b4c5_new.toml",
            r#"
revision = "708192a3b4c5"
down_revision = "0a1b2c3d4e5f"
[[upgrade]]
op = "create_table"
table_name = "member_profiles"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "bio", type = "text" },
]
"#,
        ),
        revision(
            "8192a3b4c5d6_old.toml",
            r#"
revision = "8192a3b4c5d6"
down_revision = "708192a3b4c5"
[[upgrade]]
op = "drop_table"
table_name = "user_profiles"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "bio", type = "text" },
]
"#,
        ),
    ]);
    let report = blocked(&map, upgrade_plan(&map, &["0a1b2c3d4e5f"]), &allow(&[]));
    let rename = report.findings[0].probable_rename.as_ref().unwrap();
    assert_eq!(rename.created_by.revision, "708192a3b4c5");
    assert!(
        report
            .to_string()
            .contains("In 8192a3b4c5d6, replace upgrade[0] drop_table user_profiles and 708192a3b4c5 upgrade[0] create_table member_profiles with:"),
        "{report}"
    );
    // Lint looks within one revision only, so it finds the drops (the two creates' derived
    // downgrades and the upgrade's drop) but no rename.
    let lint_report = lint(&map, None);
    assert_eq!(lint_report.findings.len(), 3, "{lint_report}");
    assert!(lint_report
        .findings
        .iter()
        .all(|finding| finding.probable_rename.is_none()));
}

#[test]
fn different_shapes_names_or_schemas_are_no_rename_and_a_widening_is_one() {
    let case = |drop_extra: &str, create: &str| {
        let text = format!(
            r#"
revision = "92a3b4c5d6e7"
[[upgrade]]
op = "drop_table"
table_name = "user_profiles"
{drop_extra}columns = [
  {{ name = "id", type = "integer", primary_key = true }},
  {{ name = "bio", type = "text" }},
]
[[upgrade]]
op = "create_table"
{create}
"#
        );
        let map = map(vec![revision("92a3b4c5d6e7_x.toml", &text)]);
        blocked(&map, upgrade_plan(&map, &[]), &allow(&[])).findings[0]
            .probable_rename
            .clone()
    };
    let columns = "columns = [{ name = \"id\", type = \"integer\", primary_key = true }, { name = \"bio\", type = \"text\" }]";
    assert!(case("", &format!("table_name = \"member_profiles\"\n{columns}")).is_some());
    // The same name is a rebuild, not a rename.
    assert!(case("", &format!("table_name = \"user_profiles\"\n{columns}")).is_none());
    assert!(case(
        "schema = \"a\"\n",
        &format!("table_name = \"member_profiles\"\n{columns}")
    )
    .is_none());
    // A widened column is still the same column; a retyped one that may lose values is not.
    assert!(case(
        "",
        "table_name = \"member_profiles\"\ncolumns = [{ name = \"id\", type = \"bigint\", primary_key = true }, { name = \"bio\", type = \"text\" }]"
    )
    .is_some());
    assert!(case(
        "",
        "table_name = \"member_profiles\"\ncolumns = [{ name = \"id\", type = \"integer\", primary_key = true }, { name = \"bio\", type = \"integer\" }]"
    )
    .is_none());
    assert!(case(
        "",
        "table_name = \"member_profiles\"\ncolumns = [{ name = \"id\", type = \"integer\", primary_key = true }]"
    )
    .is_none());
}

// ---------------------------------------------------------------------------------------------
// Row counts

#[derive(Default)]
struct FakeDatabase {
    rows: HashMap<String, u64>,
    non_null: HashMap<String, u64>,
    asked: Vec<String>,
}

impl RowCounter for FakeDatabase {
    fn count(
        &mut self,
        schema: Option<&str>,
        table: &str,
        columns: &[&str],
    ) -> Result<TableCount, String> {
        let name = object::qualified(schema, table);
        self.asked.push(format!("{name} {columns:?}"));
        let rows = self
            .rows
            .get(&name)
            .copied()
            .ok_or_else(|| format!("relation \"{name}\" does not exist"))?;
        let non_null = columns
            .iter()
            .map(|column| {
                self.non_null
                    .get(&format!("{name}.{column}"))
                    .copied()
                    .ok_or_else(|| format!("column \"{column}\" does not exist"))
            })
            .collect::<Result<Vec<u64>, String>>()?;
        Ok(TableCount { rows, non_null })
    }
}

#[test]
fn online_the_report_counts_what_would_be_destroyed() {
    let map = map(vec![revision(
        "a3b4c5d6e7f8_x.toml",
        r#"
revision = "a3b4c5d6e7f8"
downgrade = []
[[upgrade]]
op = "drop_table"
table_name = "user_profiles"
[[upgrade]]
op = "drop_column"
table_name = "users"
column_name = "legacy_id"
[[upgrade]]
op = "execute"
sqltext = "TRUNCATE audit_log; DROP SCHEMA archive CASCADE"
"#,
    )]);
    let report = blocked(&map, upgrade_plan(&map, &[]), &allow(&[]));
    let mut database = FakeDatabase::default();
    database.rows.insert("user_profiles".into(), 1204);
    database.rows.insert("users".into(), 3);
    database.non_null.insert("users.legacy_id".into(), 1);
    let report = with_row_counts(report, &mut database);
    assert_eq!(
        database.asked,
        ["user_profiles []", "users [\"legacy_id\"]", "audit_log []"]
    );
    assert_eq!(
        report
            .findings
            .iter()
            .map(|finding| finding.rows.clone())
            .collect::<Vec<_>>(),
        [
            RowCount::Counted { count: 1204 },
            RowCount::Counted { count: 1 },
            RowCount::Failed {
                error: "relation \"audit_log\" does not exist".into()
            },
            RowCount::NotCounted,
        ]
    );
    let text = report.to_string();
    assert!(
        text.contains("drops the table and every row in it (1204 rows would be lost);"),
        "{text}"
    );
    assert!(text.contains("(1 non-null value would be lost);"), "{text}");
    assert!(
        text.contains("(rows not counted: relation \"audit_log\" does not exist)"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// Lint

#[test]
fn lint_lists_every_destructive_operation_with_its_confirmation_state() {
    let confirmed_seed = SEED.replacen(
        "table_name = \"user_profiles\"\n",
        "table_name = \"user_profiles\"\nconfirm_data_loss = \"user_profiles\"\n",
        1,
    );
    let map = seed_map(&confirmed_seed);
    let report = lint(&map, None);
    assert_eq!(report.revisions_checked, 2);
    assert_eq!(
        summary(&report.findings),
        [
            // The base's derived downgrade drops the table it creates.
            row(
                "0a1b2c3d4e5f",
                "downgrade (derived: reverses upgrade[0])",
                "user_profiles",
                Confirmation::Missing
            ),
            row(
                "1975ea83b712",
                "upgrade[0]",
                "user_profiles",
                Confirmation::OnOperation
            ),
            row(
                "1975ea83b712",
                "downgrade[0]",
                "member_profiles",
                Confirmation::Missing
            ),
        ]
    );
    assert!(!report.is_clean());
    assert_eq!(report.unconfirmed().count(), 2);
    let text = report.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "3 destructive operations in 2 revisions; 2 are not confirmed."
    );
    assert!(lines[1].starts_with("  [unconfirmed] 0a1b2c3d4e5f (revisions/0a1b2c3d4e5f_create.toml) downgrade (derived: reverses upgrade[0]) drop_table user_profiles"), "{text}");
    assert!(lines[2].starts_with("  [confirmed] 1975ea83b712"), "{text}");
    assert!(!lines[2].contains("to run it"), "{text}");
    assert!(text.contains("Probable renames:"), "{text}");

    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["revisions_checked"], 2);
    let second = &json["findings"][1];
    assert_eq!(second["revision"], "1975ea83b712");
    assert_eq!(second["direction"], "upgrade");
    assert_eq!(second["op_index"], 0);
    assert_eq!(second["confirmation"]["state"], "on_operation");
    assert_eq!(second["object"]["type"], "table");
    assert_eq!(second["object"]["table"], "user_profiles");
    assert_eq!(second["rows"]["state"], "not_counted");
    assert_eq!(second["probable_rename"]["new_name"], "member_profiles");
    assert_eq!(json["findings"][2]["confirmation"]["state"], "missing");
}

#[test]
fn lint_of_a_safe_history_is_clean() {
    let map = map(vec![revision(
        "b4c5d6e7f809_x.toml",
        "revision = \"b4c5d6e7f809\"\ndowngrade = []\n[[upgrade]]\nop = \"drop_index\"\nindex_name = \"ix\"\n",
    )]);
    let report = lint(&map, None);
    assert!(report.is_clean());
    assert_eq!(
        report.to_string(),
        "No destructive operations in 1 revision."
    );
}

// ---------------------------------------------------------------------------------------------
// Issue 13: deny by default, one dialect per text, cascades, fragments, verification

fn sqlite_losses(toml_text: &str) -> Vec<(String, String, Certainty)> {
    let context = Context {
        dialect: Some(crate::dialect::Dialect::Sqlite),
        ..Context::default()
    };
    classify_in(&op(toml_text), &context)
        .into_iter()
        .map(|loss| (loss.object.to_string(), loss.reason, loss.certainty))
        .collect()
}

/// Bug (issue 13, cause 2): statements with side effects that the parser reads were safe.
#[test]
fn parseable_statements_with_side_effects_may_destroy() {
    for sql in [
        "MERGE INTO users u USING incoming i ON u.id = i.id WHEN MATCHED THEN DELETE",
        "INSERT INTO users (id, email) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET email = excluded.email",
        "EXPLAIN ANALYZE DELETE FROM users",
        "PREPARE p AS DELETE FROM users; EXECUTE p",
        "SELECT wipe()",
        "SELECT lo_unlink(42)",
        "SELECT setval('users_id_seq', 1, false)",
        "COMMIT",
        "CALL purge()",
    ] {
        let found = postgres_losses(&execute(sql));
        assert!(!found.is_empty(), "{sql} passed as safe");
    }
    for sql in [
        "INSERT OR REPLACE INTO users (id, email) VALUES (1, 'x')",
        "REPLACE INTO users (id, email) VALUES (1, 'x')",
        "UPDATE OR REPLACE users SET id = 1 WHERE id = 2",
        "PRAGMA writable_schema = ON",
        "PRAGMA some_future_pragma = 1",
    ] {
        let found = sqlite_losses(&execute(sql));
        assert!(!found.is_empty(), "{sql} passed as safe on SQLite");
    }
    // A REPLACE can only be cleared by counting the table empty: SQLite's hooks do not see the
    // rows it deletes.
    let replace = sqlite_losses(&execute("INSERT OR REPLACE INTO users (id) VALUES (1)"));
    assert_eq!(replace[0].2, Certainty::Certain);
    let setval = postgres_losses(&execute("SELECT setval('users_id_seq', 1, false)"));
    assert_eq!(setval[0].0, "sequence users_id_seq");
    assert_eq!(setval[0].2, Certainty::Certain);
}

/// The false alarms of issue 13: maintenance and metadata statements pass unconfirmed.
#[test]
fn maintenance_and_metadata_statements_are_safe() {
    for sql in [
        "DROP INDEX CONCURRENTLY ix_users_email",
        "VACUUM",
        "VACUUM FULL users",
        "CLUSTER users USING ix_users_email",
        "REINDEX TABLE users",
        "ALTER TABLE users ALTER COLUMN email SET STATISTICS 100",
        "CREATE STATISTICS s ON a, b FROM users",
        "ALTER SEQUENCE users_id_seq OWNED BY users.id",
        "CREATE PROCEDURE p() LANGUAGE sql AS $$ SELECT 1 $$",
        "SECURITY LABEL FOR selinux ON TABLE users IS 'system_u:object_r:sepgsql_table_t:s0'",
        "ALTER DOMAIN positive ADD CONSTRAINT positive_check CHECK (VALUE > 0)",
        "CREATE TRIGGER t BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION f()",
        "INSERT INTO users (id) VALUES (1) ON CONFLICT DO NOTHING",
        "SELECT count(*), now(), coalesce(max(id), 0) FROM users",
    ] {
        assert_eq!(postgres_losses(&execute(sql)), Vec::new(), "{sql}");
    }
    for sql in ["PRAGMA foreign_keys = ON", "PRAGMA journal_mode = WAL"] {
        assert_eq!(sqlite_losses(&execute(sql)), Vec::new(), "{sql}");
    }
    // A sequence reset is not ownership.
    assert!(!postgres_losses(&execute("ALTER SEQUENCE users_id_seq RESTART")).is_empty());
}

/// Bug (issue 13, cause 3): `sqltext` was read by both parsers and a failed reading ignored;
/// PostgreSQL nests block comments and SQLite does not, so each dialect sees other statements.
#[test]
fn each_text_is_read_only_by_the_dialect_that_runs_it() {
    let hidden = "/* /* */ SELECT '*/ DROP TABLE users; /*'; -- */\n";
    let on_postgres = postgres_losses(&execute(hidden));
    assert!(
        on_postgres.iter().any(|loss| loss.0 == "users"),
        "{on_postgres:?}"
    );
    assert_eq!(sqlite_losses(&execute(hidden)), Vec::new());
    // Without a dialect (lint), what any dialect would run counts.
    assert!(losses(&execute(hidden))
        .iter()
        .any(|loss| loss.0 == "users"));
}

/// Bug (issue 13, cause 4): CASCADE destroys dependents the statement does not name.
#[test]
fn cascades_may_destroy_what_depends_on_them() {
    for sql in [
        "DROP VIEW v CASCADE",
        "DROP COLLATION c CASCADE",
        "DROP FUNCTION f CASCADE",
        "TRUNCATE parent CASCADE",
        "ALTER TABLE t DROP CONSTRAINT c CASCADE",
    ] {
        let found = postgres_losses(&execute(sql));
        assert!(
            found
                .iter()
                .any(|loss| loss.0 == "whatever the SQL touches" && loss.2 == Certainty::Possible),
            "{sql}: {found:?}"
        );
    }
    assert_eq!(postgres_losses(&execute("DROP VIEW v")), Vec::new());
}

/// Bug (issue 13, cause 5): SQL inside typed operations was never read; a function in a
/// default or a check runs once per existing row.
#[test]
fn functions_in_typed_fragments_may_destroy() {
    let add = r#"op = "add_column"
table_name = "users"
column = { name = "flag", type = "integer", server_default = "wipe()" }
"#;
    assert!(!postgres_losses(add).is_empty());
    let add_now = r#"op = "add_column"
table_name = "users"
column = { name = "at", type = "timestamptz", server_default = "now()" }
"#;
    assert_eq!(postgres_losses(add_now), Vec::new());
    let check = r#"op = "create_check_constraint"
table_name = "users"
constraint_name = "ck"
condition = "wipe() > 0"
"#;
    assert!(!postgres_losses(check).is_empty());
    let index = r#"op = "create_index"
index_name = "ix"
table_name = "users"
columns = ["id", { expression = "wipe(name)" }]
"#;
    assert!(!postgres_losses(index).is_empty());
    let lower = r#"op = "create_index"
index_name = "ix"
table_name = "users"
columns = [{ expression = "lower(name)" }]
where = "deleted_at IS NULL"
"#;
    assert_eq!(postgres_losses(lower), Vec::new());
    let widening_with_using =
        alter("existing_type = \"integer\"\ntype_ = \"bigint\"\npostgresql_using = \"0\"");
    let found = postgres_losses(&widening_with_using);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].1.contains("computes every value anew"));
    let plain_using =
        alter("existing_type = \"integer\"\ntype_ = \"bigint\"\npostgresql_using = \"c::bigint\"");
    assert_eq!(postgres_losses(&plain_using), Vec::new());
}

fn two_step_map(first: &str, second: &str) -> RevisionMap {
    map(vec![
        revision("a1a1a1a1a1a1_a.toml", first),
        revision("b2b2b2b2b2b2_b.toml", second),
    ])
}

/// False alarms of issue 13: a backfill of a column the plan added, and a drop of a table the
/// plan created, destroy nothing from before the run.
#[test]
fn what_the_plan_created_itself_can_be_filled_and_dropped() {
    let map = two_step_map(
        r#"
revision = "a1a1a1a1a1a1"
downgrade = []
[[upgrade]]
op = "add_column"
table_name = "users"
column = { name = "nickname", type = "text", nullable = true }
[[upgrade]]
op = "create_table"
table_name = "scratch"
columns = [ { name = "id", type = "integer", primary_key = true } ]
"#,
        r#"
revision = "b2b2b2b2b2b2"
down_revision = "a1a1a1a1a1a1"
downgrade = []
[[upgrade]]
op = "execute"
sqltext = "UPDATE users SET nickname = lower(name) WHERE nickname IS NULL"
[[upgrade]]
op = "drop_table"
table_name = "scratch"
"#,
    );
    assert!(check(
        &map,
        upgrade_plan(&map, &[]),
        &allow(&[]),
        CheckMode::default()
    )
    .is_ok());
}

/// Online, what only may destroy runs under verification, and a drop waits for its count in
/// the step's transaction; offline (`--sql`, lint) both are refused.
#[test]
fn online_possible_losses_are_watched_and_drops_deferred() {
    let map = map(vec![revision(
        "c3c3c3c3c3c3_c.toml",
        r#"
revision = "c3c3c3c3c3c3"
downgrade = []
[[upgrade]]
op = "execute"
sqltext = "DELETE FROM sessions WHERE expires_at < now()"
[[upgrade]]
op = "drop_table"
table_name = "old_sessions"
"#,
    )]);
    let online = CheckMode {
        dialect: Some(crate::dialect::Dialect::Postgresql),
        verifies: true,
    };
    let checked = check(&map, upgrade_plan(&map, &[]), &allow(&[]), online).unwrap();
    let step = checked.step_guard(0);
    assert!(step.verified);
    assert_eq!(step.watched.len(), 1);
    assert_eq!(step.deferred.len(), 1);
    assert_eq!(step.deferred_at(1)[0].object.to_string(), "old_sessions");
    let offline = CheckMode {
        dialect: Some(crate::dialect::Dialect::Postgresql),
        verifies: false,
    };
    let report = blocked_with(&map, offline);
    assert_eq!(report.findings.len(), 2);
}

fn blocked_with(map: &RevisionMap, mode: CheckMode) -> GuardReport {
    match check(map, upgrade_plan(map, &[]), &allow(&[]), mode) {
        Err(GuardError::Blocked(report)) => report,
        Ok(_) => panic!("the plan was not blocked"),
    }
}

/// What a step did, judged: a dropped column nobody confirmed refuses the step; the same
/// column confirmed, or counted empty, passes; a lossy type change is judged on the real types.
#[test]
fn observed_effects_are_judged_against_confirmations() {
    let map = map(vec![revision(
        "d4d4d4d4d4d4_d.toml",
        r#"
revision = "d4d4d4d4d4d4"
downgrade = []
[[upgrade]]
op = "execute"
sqltext = "DROP VIEW v CASCADE"
confirm_data_loss = "v_only"
"#,
    )]);
    let online = CheckMode {
        dialect: Some(crate::dialect::Dialect::Postgresql),
        verifies: true,
    };
    let checked = check(&map, upgrade_plan(&map, &[]), &allow(&[]), online).unwrap();
    let step = checked.step_guard(0);
    let op = &map.revision(0).upgrade[0].op;
    let dropped = Observed {
        object: DataObject::column(None, "t", "x"),
        effect: ObservedEffect::ColumnDropped,
    };
    let findings = step.judge(0, op, std::slice::from_ref(&dropped), &[]);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].object.to_string(), "t.x");
    assert!(findings[0].to_string().contains("dropped the column"));
    assert!(step
        .judge(
            0,
            op,
            std::slice::from_ref(&dropped),
            &[DataObject::table(None, "t")]
        )
        .is_empty());
    let cents = Observed {
        object: DataObject::column(None, "t", "price"),
        effect: ObservedEffect::TypeChanged {
            from: "numeric(10,2)".into(),
            to: "integer".into(),
        },
    };
    assert_eq!(step.judge(0, op, &[cents], &[]).len(), 1);
    let widening = Observed {
        object: DataObject::column(None, "t", "n"),
        effect: ObservedEffect::TypeChanged {
            from: "integer".into(),
            to: "bigint".into(),
        },
    };
    assert!(step.judge(0, op, &[widening], &[]).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Typed allowances (`--allow-data-loss=<kind>:<name>`)

/// One revision whose upgrade is `ops` (TOML `[[upgrade]]` tables) and whose downgrade is empty.
fn one_revision(id: &str, ops: &str) -> RevisionMap {
    map(vec![revision(
        &format!("{id}_x.toml"),
        &format!("revision = \"{id}\"\ndowngrade = []\n{ops}"),
    )])
}

fn upgrade_op(toml_text: &str) -> String {
    format!("[[upgrade]]\n{toml_text}\n")
}

fn allowed_by(map: &RevisionMap, allowance: &str) -> bool {
    check(
        map,
        upgrade_plan(map, &[]),
        &allow(&[allowance]),
        CheckMode::default(),
    )
    .is_ok()
}

#[test]
fn typed_allowances_allow_only_their_kind() {
    let map = seed_map(SEED);
    for allowance in [
        "table:user_profiles",
        "table:public.user_profiles",
        "revision:1975ea83b712",
        "all",
    ] {
        let checked = check(
            &map,
            upgrade_plan(&map, &["0a1b2c3d4e5f"]),
            &allow(&[allowance]),
            CheckMode::default(),
        )
        .unwrap_or_else(|error| panic!("--allow-data-loss={allowance}: {error}"));
        assert_eq!(
            checked.confirmed_data_loss()[0].confirmation,
            Confirmation::ByAllowance {
                allowance: allowance.into()
            }
        );
    }
    for allowance in [
        "schema:user_profiles",
        "type:user_profiles",
        "column:user_profiles.id",
        "table:audit.user_profiles",
        "revision:1975ea83b7",
        "revision:0a1b2c3d4e5f",
    ] {
        let report = blocked(
            &map,
            upgrade_plan(&map, &["0a1b2c3d4e5f"]),
            &allow(&[allowance]),
        );
        assert_eq!(report.unused_allowances, [allowance], "{allowance}");
    }
}

#[test]
fn a_table_allowance_never_drops_a_schema_of_the_same_name() {
    let map = one_revision(
        "a1a1a1a1a1a1",
        &upgrade_op("op = \"execute\"\nsqltext = \"DROP SCHEMA users CASCADE\""),
    );
    assert!(!allowed_by(&map, "table:users"));
    assert!(!allowed_by(&map, "column:users.id"));
    assert!(allowed_by(&map, "schema:users"));
    // Bare, it never stands for a schema, even the only thing the plan destroys (issue 13).
    assert!(!allowed_by(&map, "users"));
}

#[test]
fn an_unqualified_table_is_in_the_default_schema() {
    let audit = one_revision(
        "b2b2b2b2b2b2",
        &upgrade_op("op = \"drop_table\"\ntable_name = \"sessions\"\nschema = \"audit\""),
    );
    assert!(!allowed_by(&audit, "table:sessions"));
    assert!(!allowed_by(&audit, "table:public.sessions"));
    assert!(!allowed_by(&audit, "sessions"));
    assert!(allowed_by(&audit, "table:audit.sessions"));
    assert!(allowed_by(&audit, "audit.sessions"));
    let report = blocked(&audit, upgrade_plan(&audit, &[]), &allow(&["sessions"]));
    assert_eq!(report.unused_allowances, ["sessions"]);
    // `public` is the default schema: with or without it, the same table.
    let unqualified = one_revision(
        "c3c3c3c3c3c3",
        &upgrade_op("op = \"drop_table\"\ntable_name = \"sessions\""),
    );
    assert!(allowed_by(&unqualified, "table:public.sessions"));
    assert!(allowed_by(&unqualified, "table:sessions"));
    assert!(!allowed_by(&unqualified, "table:audit.sessions"));
    let public = one_revision(
        "d4d4d4d4d4d4",
        &upgrade_op("op = \"drop_table\"\ntable_name = \"sessions\"\nschema = \"public\""),
    );
    assert!(allowed_by(&public, "table:sessions"));
    assert!(allowed_by(&public, "table:public.sessions"));
}

#[test]
fn a_column_allowance_covers_that_column_only() {
    let map = one_revision(
        "e5e5e5e5e5e5",
        &upgrade_op("op = \"drop_column\"\ntable_name = \"users\"\ncolumn_name = \"email\"\nschema = \"audit\""),
    );
    assert!(allowed_by(&map, "column:audit.users.email"));
    assert!(allowed_by(&map, "table:audit.users"));
    assert!(!allowed_by(&map, "column:users.email"));
    assert!(!allowed_by(&map, "column:audit.users.name"));
    let table = one_revision(
        "f6f6f6f6f6f6",
        &upgrade_op("op = \"drop_table\"\ntable_name = \"users\""),
    );
    assert!(!allowed_by(&table, "column:users.email"));
}

#[test]
fn the_suggested_flag_is_typed_and_allows_what_it_names() {
    for (ops, flag) in [
        (
            upgrade_op("op = \"drop_table\"\ntable_name = \"t\"\nschema = \"s\""),
            "--allow-data-loss=table:s.t",
        ),
        (
            upgrade_op("op = \"drop_column\"\ntable_name = \"t\"\ncolumn_name = \"c\""),
            "--allow-data-loss=column:t.c",
        ),
        (
            upgrade_op("op = \"execute\"\nsqltext = \"DROP SCHEMA s CASCADE\""),
            "--allow-data-loss=schema:s",
        ),
        (
            upgrade_op("op = \"execute\"\nsqltext = \"DROP TYPE mood CASCADE\""),
            "--allow-data-loss=type:mood",
        ),
        (
            upgrade_op("op = \"execute\"\nsqltext = \"DROP DOMAIN email CASCADE\""),
            "--allow-data-loss=domain:email",
        ),
        (
            upgrade_op("op = \"execute\"\nsqltext = \"DROP EXTENSION citext CASCADE\""),
            "--allow-data-loss=extension:citext",
        ),
        (
            upgrade_op("op = \"execute\"\nsqltext = \"DROP DATABASE app\""),
            "--allow-data-loss=database:app",
        ),
        (
            upgrade_op("op = \"execute\"\nsqltext = \"DO $$ BEGIN PERFORM 1; END $$\""),
            "--allow-data-loss=revision:a0a0a0a0a0a0",
        ),
    ] {
        let map = one_revision("a0a0a0a0a0a0", &ops);
        let report = blocked(&map, upgrade_plan(&map, &[]), &allow(&[]));
        assert_eq!(report.findings[0].fix.allow_flag, flag);
        let value = flag.trim_start_matches("--allow-data-loss=");
        assert_eq!(allow(&[value]).validate(&map), Ok(()), "{value}");
        assert!(allowed_by(&map, value), "{value}");
    }
}

#[test]
fn a_bare_value_naming_two_kinds_is_refused_before_anything_runs() {
    let both = |ops: &str| {
        map(vec![
            revision(
                "aaaaaaaaaaaa_schema.toml",
                &format!("revision = \"aaaaaaaaaaaa\"\ndowngrade = []\n{ops}"),
            ),
            revision(
                "bbbbbbbbbbbb_table.toml",
                "revision = \"bbbbbbbbbbbb\"\ndown_revision = \"aaaaaaaaaaaa\"\ndowngrade = []\n[[upgrade]]\nop = \"drop_table\"\ntable_name = \"users\"\n",
            ),
        ])
    };
    let map = both(&upgrade_op(
        "op = \"execute\"\nsqltext = \"DROP SCHEMA users CASCADE\"",
    ));
    let error = allow(&["users"]).validate(&map).unwrap_err();
    assert_eq!(
        error.to_string(),
        "--allow-data-loss=users is ambiguous: write table:users or schema:users"
    );
    // `check` on its own never guesses: the ambiguous value allows nothing.
    let report = blocked(&map, upgrade_plan(&map, &[]), &allow(&["users"]));
    assert_eq!(report.findings.len(), 2);
    assert_eq!(report.unused_allowances, ["users"]);
    // Where the plan runs only the table's drop, `check` reads it as the table; `validate`
    // still refuses it, as it runs before the database says which revisions are pending.
    assert!(check(
        &map,
        upgrade_plan(&map, &["aaaaaaaaaaaa"]),
        &allow(&["users"]),
        CheckMode::default()
    )
    .is_ok());
    // The typed forms are fine.
    assert_eq!(
        allow(&["table:users", "schema:users"]).validate(&map),
        Ok(())
    );
    assert!(check(
        &map,
        upgrade_plan(&map, &[]),
        &allow(&["table:users", "schema:users"]),
        CheckMode::default()
    )
    .is_ok());
    // A revision id that is also a table's name.
    let map = both(&upgrade_op(
        "op = \"drop_table\"\ntable_name = \"bbbbbbbbbbbb\"",
    ));
    assert_eq!(
        allow(&["bbbbbbbbbbbb"]).validate(&map).unwrap_err().to_string(),
        "--allow-data-loss=bbbbbbbbbbbb is ambiguous: write revision:bbbbbbbbbbbb or table:bbbbbbbbbbbb"
    );
    // One meaning: fine.
    assert_eq!(allow(&["aaaaaaaaaaaa", "all"]).validate(&map), Ok(()));
}

#[test]
fn an_unqualified_bare_value_does_not_reach_into_other_schemas() {
    let map = map(vec![
        revision(
            "aaaaaaaaaaaa_a.toml",
            "revision = \"aaaaaaaaaaaa\"\ndowngrade = []\n[[upgrade]]\nop = \"drop_table\"\ntable_name = \"sessions\"\n",
        ),
        revision(
            "bbbbbbbbbbbb_b.toml",
            "revision = \"bbbbbbbbbbbb\"\ndown_revision = \"aaaaaaaaaaaa\"\ndowngrade = []\n[[upgrade]]\nop = \"drop_table\"\ntable_name = \"sessions\"\nschema = \"audit\"\n",
        ),
    ]);
    // `sessions` names the default schema's table only, so it is not ambiguous...
    assert_eq!(allow(&["sessions"]).validate(&map), Ok(()));
    // ...and leaves audit.sessions blocked.
    let report = blocked(&map, upgrade_plan(&map, &[]), &allow(&["sessions"]));
    assert_eq!(
        summary(&report.findings),
        [row(
            "bbbbbbbbbbbb",
            "upgrade[0]",
            "audit.sessions",
            Confirmation::Missing
        )]
    );
}

#[test]
fn an_allowance_of_unknown_kind_or_malformed_name_is_bad_input() {
    let parse_error = |value: &str| Allowance::parse(value).unwrap_err().to_string();
    assert_eq!(
        parse_error("tabel:users"),
        "--allow-data-loss=tabel:users has the unknown kind `tabel`: write revision:, table:, column:, schema:, type:, domain:, extension: or database: before the name, or all"
    );
    assert_eq!(
        parse_error("column:email"),
        "--allow-data-loss=column:email is not a name of its kind: write column:TABLE.COLUMN or column:SCHEMA.TABLE.COLUMN"
    );
    assert_eq!(
        parse_error("table:a.b.c"),
        "--allow-data-loss=table:a.b.c is not a name of its kind: write table:TABLE or table:SCHEMA.TABLE"
    );
    assert!(Allowance::parse("table:").is_err());
    assert!(Allowance::parse("schema:a.b").is_err());
    assert_eq!(
        Allowance::parse(" table:audit.sessions "),
        Ok(Allowance::Table {
            schema: Some("audit".into()),
            table: "sessions".into()
        })
    );
    // `validate` refuses it too, whatever the revisions hold.
    let map = seed_map(SEED);
    assert!(matches!(
        allow(&["revision:1975ea83b712", "tabel:users"]).validate(&map),
        Err(AllowanceError::UnknownKind { .. })
    ));
}
