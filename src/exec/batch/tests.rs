//! The rebuild against in-memory SQLite databases, driven through the operations that render
//! it, and the reading and rewriting of CREATE TABLE text on its own.

use super::definition::{ColumnPart, ElementKind, TablePart};
use super::*;
use crate::db::{ConnectOptions, SqliteBackend, SqliteTarget};
use crate::ops::sql::{render, Statement};
use crate::ops::Operation;

fn database(setup: &str) -> SqliteBackend<'static> {
    let mut backend =
        SqliteBackend::open(&SqliteTarget::Memory, &ConnectOptions::default()).unwrap();
    backend.batch(setup).unwrap();
    backend
}

/// Runs one operation written as a revision writes it, rebuilding when it renders a rebuild.
fn run(backend: &mut SqliteBackend, op_toml: &str) -> Result<(), DbError> {
    let op: Operation = toml::from_str(op_toml).unwrap();
    for statement in render(&op, Dialect::Sqlite).unwrap() {
        match statement {
            Statement::Sql(sql) => backend.execute_one(&sql)?,
            Statement::Script(sql) => backend.batch(&sql)?,
            Statement::Bound { sql, params } => {
                backend.execute(&sql, &params)?;
            }
            Statement::RecreateTable {
                table,
                schema,
                change,
            } => recreate_table(backend, schema.as_deref(), &table, &change)?,
        }
    }
    Ok(())
}

/// Runs one operation that must render a rebuild (so the test exercises this file).
fn rebuild_with(backend: &mut SqliteBackend, op_toml: &str) -> Result<(), DbError> {
    let op: Operation = toml::from_str(op_toml).unwrap();
    let statements = render(&op, Dialect::Sqlite).unwrap();
    assert!(
        matches!(statements.as_slice(), [Statement::RecreateTable { .. }]),
        "{op_toml} does not rebuild: {statements:?}"
    );
    run(backend, op_toml)
}

fn rows(backend: &mut SqliteBackend, sql: &str) -> Vec<Vec<Option<String>>> {
    backend.query_rows(sql).unwrap()
}

/// Rows as `a|b|NULL` lines, for compact comparison.
fn lines(backend: &mut SqliteBackend, sql: &str) -> Vec<String> {
    rows(backend, sql)
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(|value| value.unwrap_or_else(|| "NULL".to_string()))
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

fn table_sql_of(backend: &mut SqliteBackend, table: &str) -> String {
    lines(
        backend,
        &format!(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = {}",
            literal(table)
        ),
    )
    .pop()
    .unwrap()
}

fn objects(backend: &mut SqliteBackend) -> Vec<String> {
    lines(
        backend,
        "SELECT type || ' ' || name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
    )
}

const MEMBERS: &str = r#"
CREATE TABLE "teams" ( "id" integer NOT NULL, "name" varchar(64) NOT NULL UNIQUE, PRIMARY KEY ("id") );
CREATE TABLE "members" ( "id" integer NOT NULL, "handle" varchar(64) NOT NULL UNIQUE, "joined_on" date, "score" real DEFAULT 0, "team_id" integer, PRIMARY KEY ("id"), CONSTRAINT "fk_members_team" FOREIGN KEY ("team_id") REFERENCES "teams" ("id") ON DELETE SET NULL );
CREATE INDEX "ix_members_team_id" ON "members" ("team_id");
CREATE INDEX "ix_members_recent" ON "members" ("joined_on") WHERE joined_on > '2020-01-01';
CREATE VIEW "member_handles" AS SELECT handle FROM members;
CREATE TRIGGER "members_lower" AFTER INSERT ON "members" BEGIN UPDATE members SET handle = lower(new.handle) WHERE id = new.id; END;
INSERT INTO teams VALUES (1, 'compilers'), (2, 'kernels');
INSERT INTO members VALUES (1, 'ada', '2024-01-05', 1.5, 1), (2, 'grace', NULL, NULL, 1), (3, 'edsger', '2019-12-31', -2, NULL);
"#;

const MEMBER_ROWS: &str =
    "SELECT id, handle, joined_on, typeof(joined_on), score, team_id FROM members ORDER BY id";

fn member_rows() -> Vec<String> {
    vec![
        "1|ada|2024-01-05|text|1.5|1".to_string(),
        "2|grace|NULL|null|NULL|1".to_string(),
        "3|edsger|2019-12-31|text|-2.0|NULL".to_string(),
    ]
}

#[test]
fn untouched_parts_of_a_definition_are_written_back_exactly() {
    for sql in [
        r#"CREATE TABLE "t" ( "id" integer NOT NULL, "a" text, PRIMARY KEY ("id") )"#,
        "CREATE TABLE t(\n  id INTEGER PRIMARY KEY AUTOINCREMENT, -- the key\n  b TEXT COLLATE NOCASE NOT NULL ON CONFLICT IGNORE,\n  c NUMERIC(10, 2) DEFAULT -1.5e3 CHECK (c > -10000),\n  d AS (b || 'x') STORED,\n  [e f] `g` GENERATED ALWAYS AS (1) VIRTUAL,\n  UNIQUE (b, c) ON CONFLICT REPLACE\n) WITHOUT ROWID",
        r#"CREATE TABLE "weird""; DROP TABLE x; --" ("weird""; DROP TABLE x; --" text DEFAULT 'it''s', CONSTRAINT "c,1" CHECK ("weird""; DROP TABLE x; --" <> ')'))"#,
        "CREATE TABLE t (a REFERENCES p ON DELETE SET NULL ON UPDATE NO ACTION MATCH FULL NOT DEFERRABLE INITIALLY DEFERRED NOT NULL)",
    ] {
        let definition = TableDefinition::parse(sql).unwrap();
        let body_at = sql.find('(').unwrap();
        assert_eq!(
            definition.create_sql("NEW"),
            format!("CREATE TABLE NEW {}", &sql[body_at..]),
            "{sql}"
        );
    }
}

#[test]
fn a_definition_is_read_into_columns_and_constraints() {
    let definition = TableDefinition::parse(
        "CREATE TABLE t(a INTEGER CONSTRAINT pk PRIMARY KEY, \"B\" varchar(10) NOT NULL DEFAULT ('x') CHECK (length(\"B\") > a), c REFERENCES p (id) NOT DEFERRABLE NOT NULL, CONSTRAINT uq UNIQUE (c COLLATE NOCASE DESC, \"B\"), CHECK (a > 0 AND c IS NOT NULL), FOREIGN KEY (a, c) REFERENCES p)",
    )
    .unwrap();
    assert_eq!(
        definition.column_names().collect::<Vec<_>>(),
        ["a", "B", "c"]
    );
    let ElementKind::Column(b) = &definition.elements[1].kind else {
        panic!()
    };
    assert_eq!(b.type_text, "varchar(10)");
    let parts: Vec<(ColumnPart, &str)> = b
        .constraints
        .iter()
        .map(|constraint| (constraint.part, constraint.text.as_str()))
        .collect();
    assert_eq!(
        parts,
        [
            (ColumnPart::NotNull, "NOT NULL"),
            (ColumnPart::Default, "DEFAULT ('x')"),
            (ColumnPart::Check, "CHECK (length(\"B\") > a)"),
        ]
    );
    assert_eq!(b.constraints[2].mentions, ["B", "a"]);
    let ElementKind::Column(c) = &definition.elements[2].kind else {
        panic!()
    };
    assert_eq!(
        c.constraints.iter().map(|x| x.part).collect::<Vec<_>>(),
        [ColumnPart::References, ColumnPart::NotNull]
    );
    let constraints: Vec<(Option<&str>, TablePart, Vec<String>)> = definition.elements[3..]
        .iter()
        .map(|element| match &element.kind {
            ElementKind::Constraint(constraint) => (
                constraint.name.as_deref(),
                constraint.part,
                constraint.columns.clone(),
            ),
            ElementKind::Column(_) => panic!(),
        })
        .collect();
    assert_eq!(
        constraints,
        [
            (Some("uq"), TablePart::Unique, vec!["c".into(), "B".into()]),
            (None, TablePart::Check, vec!["a".into(), "c".into()]),
            (None, TablePart::ForeignKey, vec!["a".into(), "c".into()]),
        ]
    );
}

#[test]
fn a_definition_rmig_cannot_read_is_refused_not_guessed() {
    for sql in [
        "CREATE TABLE t (a text NOT FROBNICATE)",
        "CREATE TABLE t (a text PRIMARY KEY ON CONFLICT SOMETIMES)",
        "CREATE TABLE t (a text, CONSTRAINT c FROBNICATE (a))",
        "CREATE TABLE t (a text, )",
        "CREATE TABLE t (a text DEFAULT)",
        "CREATE TABLE t AS SELECT 1",
        "CREATE TABLE t (a text 'unterminated)",
    ] {
        assert!(TableDefinition::parse(sql).is_err(), "{sql}");
    }
}

#[test]
fn a_type_change_keeps_every_row_value_index_trigger_and_view() {
    let mut db = database(MEMBERS);
    rebuild_with(
        &mut db,
        r#"op = "alter_column"
table_name = "members"
column_name = "joined_on"
type_ = "timestamp"
existing_type = "date""#,
    )
    .unwrap();
    // No CAST: '2024-01-05' would have become 2024 on the way into a NUMERIC-affinity column.
    assert_eq!(lines(&mut db, MEMBER_ROWS), member_rows());
    assert_eq!(
        table_sql_of(&mut db, "members"),
        r#"CREATE TABLE "members" ( "id" integer NOT NULL, "handle" varchar(64) NOT NULL UNIQUE, "joined_on" timestamp, "score" real DEFAULT 0, "team_id" integer, PRIMARY KEY ("id"), CONSTRAINT "fk_members_team" FOREIGN KEY ("team_id") REFERENCES "teams" ("id") ON DELETE SET NULL )"#
    );
    assert_eq!(
        objects(&mut db),
        [
            "index ix_members_recent",
            "index ix_members_team_id",
            "table members",
            "table teams",
            "trigger members_lower",
            "view member_handles"
        ]
    );
    // The partial index is whole, the trigger fires, the view reads the new table.
    assert_eq!(
        lines(
            &mut db,
            "SELECT sql FROM sqlite_master WHERE name = 'ix_members_recent'"
        ),
        [
            r#"CREATE INDEX "ix_members_recent" ON "members" ("joined_on") WHERE joined_on > '2020-01-01'"#
        ]
    );
    db.batch("INSERT INTO members (id, handle) VALUES (4, 'BARBARA')")
        .unwrap();
    assert_eq!(
        lines(&mut db, "SELECT handle FROM member_handles ORDER BY 1"),
        ["ada", "barbara", "edsger", "grace"]
    );
    // The unique constraint came along.
    assert!(db
        .batch("INSERT INTO members (id, handle) VALUES (5, 'ada')")
        .is_err());
    assert!(!db
        .query_rows("PRAGMA foreign_keys")
        .unwrap()
        .iter()
        .any(|row| row[0].as_deref() == Some("1")));
}

#[test]
fn the_derived_downgrade_of_a_rebuild_restores_the_definition_exactly() {
    let mut db = database(MEMBERS);
    let before = table_sql_of(&mut db, "members");
    let upgrade = r#"op = "alter_column"
table_name = "members"
column_name = "handle"
type_ = "varchar(128)"
nullable = true
server_default = "'anon'"
existing_type = "varchar(64)"
existing_nullable = false"#;
    rebuild_with(&mut db, upgrade).unwrap();
    assert!(
        table_sql_of(&mut db, "members").contains(r#""handle" varchar(128) DEFAULT 'anon' UNIQUE"#)
    );
    let op: Operation = toml::from_str(upgrade).unwrap();
    let reverse = crate::ops::reverse::reverse(&op).unwrap();
    for statement in render(&reverse, Dialect::Sqlite).unwrap() {
        let Statement::RecreateTable {
            table,
            schema,
            change,
        } = statement
        else {
            panic!("{statement:?}")
        };
        recreate_table(&mut db, schema.as_deref(), &table, &change).unwrap();
    }
    assert_eq!(table_sql_of(&mut db, "members"), before);
    assert_eq!(lines(&mut db, MEMBER_ROWS), member_rows());
}

#[test]
fn rename_and_type_change_together_rename_in_place_first() {
    let mut db = database(MEMBERS);
    rebuild_with(
        &mut db,
        r#"op = "alter_column"
table_name = "members"
column_name = "joined_on"
new_column_name = "joined"
type_ = "text"
nullable = false
server_default = "'2000-01-01'"
existing_type = "date""#,
    )
    .unwrap_err();
    // grace has no date: NOT NULL fails, and nothing changed.
    assert!(table_sql_of(&mut db, "members").contains(r#""joined_on" date"#));
    db.batch("UPDATE members SET joined_on = '2001-02-03' WHERE joined_on IS NULL")
        .unwrap();
    rebuild_with(
        &mut db,
        r#"op = "alter_column"
table_name = "members"
column_name = "joined_on"
new_column_name = "joined"
type_ = "text"
nullable = false
server_default = "'2000-01-01'"
existing_type = "date""#,
    )
    .unwrap();
    assert!(
        table_sql_of(&mut db, "members").contains(r#""joined" text NOT NULL DEFAULT '2000-01-01'"#)
    );
    // SQLite renamed the column inside the partial index too.
    assert_eq!(
        lines(
            &mut db,
            "SELECT sql FROM sqlite_master WHERE name = 'ix_members_recent'"
        ),
        [
            r#"CREATE INDEX "ix_members_recent" ON "members" ("joined") WHERE "joined" > '2020-01-01'"#
        ]
    );
    assert_eq!(
        lines(&mut db, "SELECT id, joined FROM members ORDER BY id"),
        ["1|2024-01-05", "2|2001-02-03", "3|2019-12-31"]
    );
}

#[test]
fn a_failed_rebuild_leaves_the_table_as_it_was() {
    let mut db = database(MEMBERS);
    let before = objects(&mut db);
    let sql_before = table_sql_of(&mut db, "members");
    // grace has no joined_on: NOT NULL cannot hold.
    let error = rebuild_with(
        &mut db,
        r#"op = "alter_column"
table_name = "members"
column_name = "joined_on"
nullable = false"#,
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("NOT NULL constraint failed"),
        "{error}"
    );
    assert_eq!(objects(&mut db), before);
    assert_eq!(table_sql_of(&mut db, "members"), sql_before);
    assert_eq!(lines(&mut db, MEMBER_ROWS), member_rows());
}

#[test]
fn adding_columns_sqlite_cannot_add_in_place() {
    let mut db = database(MEMBERS);
    rebuild_with(
        &mut db,
        r#"op = "add_column"
table_name = "members"
column = { name = "email", type = "text", unique = true }"#,
    )
    .unwrap();
    assert!(table_sql_of(&mut db, "members")
        .contains(r#""team_id" integer, "email" text UNIQUE, PRIMARY KEY ("id")"#));
    assert_eq!(
        lines(&mut db, "SELECT count(*), count(email) FROM members"),
        ["3|0"]
    );
    db.batch("UPDATE members SET email = 'x' WHERE id = 1")
        .unwrap();
    assert!(db
        .batch("UPDATE members SET email = 'x' WHERE id = 2")
        .is_err());

    // NOT NULL without a default cannot fill the rows that are there, as on PostgreSQL.
    let error = rebuild_with(
        &mut db,
        r#"op = "add_column"
table_name = "members"
column = { name = "rank", type = "integer", nullable = false }"#,
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("NOT NULL constraint failed"),
        "{error}"
    );
    assert!(!table_sql_of(&mut db, "members").contains("rank"));

    let error = rebuild_with(
        &mut db,
        r#"op = "add_column"
table_name = "members"
column = { name = "handle", type = "text", unique = true }"#,
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("already has a column"),
        "{error}"
    );
}

#[test]
fn dropping_a_column_drops_what_depends_on_it_as_postgresql_does() {
    let mut db = database(MEMBERS);
    db.batch(r#"CREATE INDEX "ix_members_both" ON "members" ("handle", "team_id"); CREATE INDEX "ix_members_handle" ON "members" (lower(handle))"#)
        .unwrap();
    rebuild_with(
        &mut db,
        r#"op = "drop_column"
table_name = "members"
column_name = "team_id"
existing_column = { name = "team_id", type = "integer", foreign_key = "teams.id" }"#,
    )
    .unwrap();
    assert_eq!(
        table_sql_of(&mut db, "members"),
        r#"CREATE TABLE "members" ( "id" integer NOT NULL, "handle" varchar(64) NOT NULL UNIQUE, "joined_on" date, "score" real DEFAULT 0, PRIMARY KEY ("id") )"#
    );
    assert_eq!(
        lines(
            &mut db,
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"
        ),
        ["ix_members_handle", "ix_members_recent"]
    );
    assert_eq!(
        lines(
            &mut db,
            "SELECT id, handle, joined_on, score FROM members ORDER BY id"
        ),
        [
            "1|ada|2024-01-05|1.5",
            "2|grace|NULL|NULL",
            "3|edsger|2019-12-31|-2.0"
        ]
    );
}

#[test]
fn dropping_a_column_named_in_a_check_drops_the_check() {
    let mut db = database(
        "CREATE TABLE t (a integer PRIMARY KEY, b integer CHECK (b > a), c integer UNIQUE, CONSTRAINT ck_c CHECK (c <> 0), CHECK (length(a) > 0));
         INSERT INTO t VALUES (1, 2, 3);",
    );
    rebuild_with(
        &mut db,
        r#"op = "drop_column"
table_name = "t"
column_name = "c"
existing_column = { name = "c", type = "integer", unique = true }"#,
    )
    .unwrap();
    assert_eq!(
        table_sql_of(&mut db, "t"),
        "CREATE TABLE \"t\" (a integer PRIMARY KEY, b integer CHECK (b > a), CHECK (length(a) > 0))"
    );
    rebuild_with(
        &mut db,
        r#"op = "drop_column"
table_name = "t"
column_name = "a"
existing_column = { name = "a", type = "integer", primary_key = true }"#,
    )
    .unwrap();
    assert_eq!(table_sql_of(&mut db, "t"), "CREATE TABLE \"t\" (b integer)");
    assert_eq!(lines(&mut db, "SELECT * FROM t"), ["2"]);
}

#[test]
fn constraints_are_added_and_checked_against_the_rows() {
    let mut db = database(MEMBERS);
    let unique = r#"op = "create_unique_constraint"
constraint_name = "uq_members_score"
table_name = "members"
columns = ["team_id", "score"]"#;
    rebuild_with(&mut db, unique).unwrap();
    assert!(table_sql_of(&mut db, "members").ends_with(
        r#"ON DELETE SET NULL, CONSTRAINT "uq_members_score" UNIQUE ("team_id", "score") )"#
    ));
    let error = rebuild_with(&mut db, unique).unwrap_err();
    assert!(
        error.to_string().contains("already has a constraint named"),
        "{error}"
    );

    let check = |condition: &str| {
        format!(
            "op = \"create_check_constraint\"\nconstraint_name = \"ck_members_score\"\ntable_name = \"members\"\ncondition = \"{condition}\""
        )
    };
    let error = rebuild_with(&mut db, &check("score > 0")).unwrap_err();
    assert!(
        error.to_string().contains("CHECK constraint failed"),
        "{error}"
    );
    rebuild_with(&mut db, &check("score IS NULL OR score > -10")).unwrap();

    // A foreign key whose rows have no parent is refused, as PostgreSQL refuses it.
    db.batch("CREATE TABLE scores (value real PRIMARY KEY); INSERT INTO scores VALUES (1.5), (-2)")
        .unwrap();
    let foreign_key = r#"op = "create_foreign_key"
constraint_name = "fk_members_score"
source_table = "members"
referent_table = "scores"
local_cols = ["score"]
remote_cols = ["value"]"#;
    rebuild_with(&mut db, foreign_key).unwrap();
    rebuild_with(
        &mut db,
        r#"op = "drop_constraint"
constraint_name = "fk_members_score"
table_name = "members"
type_ = "foreignkey""#,
    )
    .unwrap();
    db.batch("DELETE FROM scores WHERE value = -2").unwrap();
    let error = rebuild_with(&mut db, foreign_key).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("1 row(s) do not satisfy the new foreign key"),
        "{error}"
    );

    for (name, kind) in [
        ("ck_members_score", "check"),
        ("uq_members_score", "unique"),
        ("fk_members_team", "foreignkey"),
    ] {
        rebuild_with(
            &mut db,
            &format!("op = \"drop_constraint\"\nconstraint_name = \"{name}\"\ntable_name = \"members\"\ntype_ = \"{kind}\""),
        )
        .unwrap();
    }
    assert_eq!(
        table_sql_of(&mut db, "members"),
        r#"CREATE TABLE "members" ( "id" integer NOT NULL, "handle" varchar(64) NOT NULL UNIQUE, "joined_on" date, "score" real DEFAULT 0, "team_id" integer, PRIMARY KEY ("id") )"#
    );
    assert_eq!(lines(&mut db, MEMBER_ROWS), member_rows());
}

#[test]
fn dropping_a_constraint_checks_its_name_and_kind() {
    let mut db = database(MEMBERS);
    let error = rebuild_with(
        &mut db,
        "op = \"drop_constraint\"\nconstraint_name = \"fk_members_team\"\ntable_name = \"members\"\ntype_ = \"unique\"",
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("is not a unique constraint"),
        "{error}"
    );
    let error = rebuild_with(
        &mut db,
        "op = \"drop_constraint\"\nconstraint_name = \"members_handle_key\"\ntable_name = \"members\"",
    )
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("no constraint named \"members_handle_key\""),
        "{error}"
    );

    // The primary key is found by its kind, whatever name PostgreSQL would give it.
    rebuild_with(
        &mut db,
        "op = \"drop_constraint\"\nconstraint_name = \"members_pkey\"\ntable_name = \"members\"\ntype_ = \"primary\"",
    )
    .unwrap();
    assert!(!table_sql_of(&mut db, "members").contains("PRIMARY KEY"));
    rebuild_with(
        &mut db,
        "op = \"create_primary_key\"\nconstraint_name = \"pk_members\"\ntable_name = \"members\"\ncolumns = [\"id\"]",
    )
    .unwrap();
    assert!(table_sql_of(&mut db, "members")
        .ends_with(r#"CONSTRAINT "pk_members" PRIMARY KEY ("id") )"#));
    let error = rebuild_with(
        &mut db,
        "op = \"create_primary_key\"\nconstraint_name = \"pk_again\"\ntable_name = \"members\"\ncolumns = [\"handle\"]",
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("already has a primary key"),
        "{error}"
    );
    assert_eq!(lines(&mut db, MEMBER_ROWS), member_rows());
}

#[test]
fn rows_a_conflict_clause_would_drop_stop_the_rebuild() {
    // '1' and '01' are distinct text, but the same integer: copied into an integer column,
    // the second would be skipped by the IGNORE clause without an error.
    let mut db = database(
        "CREATE TABLE t (a text UNIQUE ON CONFLICT IGNORE, b text);
         INSERT INTO t VALUES ('1', 'x'), ('01', 'y');",
    );
    let error = rebuild_with(
        &mut db,
        "op = \"alter_column\"\ntable_name = \"t\"\ncolumn_name = \"a\"\ntype_ = \"integer\"",
    )
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("the changed table took 1 of its 2 rows"),
        "{error}"
    );
    assert_eq!(
        lines(&mut db, "SELECT a, b FROM t ORDER BY b"),
        ["1|x", "01|y"]
    );
    assert!(table_sql_of(&mut db, "t").contains("a text UNIQUE"));
}

#[test]
fn foreign_keys_switched_on_are_switched_off_for_the_rebuild_outside_a_transaction() {
    let mut db = database(MEMBERS);
    db.batch("PRAGMA foreign_keys = ON").unwrap();
    // Dropping the old teams table with foreign keys on would null every member's team_id.
    rebuild_with(
        &mut db,
        "op = \"alter_column\"\ntable_name = \"teams\"\ncolumn_name = \"name\"\ntype_ = \"text\"",
    )
    .unwrap();
    assert_eq!(lines(&mut db, MEMBER_ROWS), member_rows());
    assert_eq!(lines(&mut db, "PRAGMA foreign_keys"), ["1"]);
    // The foreign key still works against the rebuilt table.
    assert!(db
        .batch("INSERT INTO members (id, handle, team_id) VALUES (9, 'x', 99)")
        .is_err());
}

#[test]
fn foreign_keys_switched_on_inside_a_transaction_stop_the_rebuild() {
    let mut db = database(MEMBERS);
    db.batch("PRAGMA foreign_keys = ON").unwrap();
    db.begin().unwrap();
    let error = rebuild_with(
        &mut db,
        "op = \"alter_column\"\ntable_name = \"teams\"\ncolumn_name = \"name\"\ntype_ = \"text\"",
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("PRAGMA foreign_keys is on"),
        "{error}"
    );
    db.rollback().unwrap();
    assert_eq!(lines(&mut db, MEMBER_ROWS), member_rows());

    // A table nothing references is rebuilt with foreign keys on: its own keys are checked.
    db.begin().unwrap();
    rebuild_with(
        &mut db,
        "op = \"alter_column\"\ntable_name = \"members\"\ncolumn_name = \"score\"\ntype_ = \"double\"",
    )
    .unwrap();
    db.commit().unwrap();
    assert_eq!(lines(&mut db, MEMBER_ROWS), member_rows());
}

#[test]
fn a_table_in_an_attached_database_is_rebuilt_there() {
    let mut db = database("ATTACH DATABASE ':memory:' AS app");
    db.batch(
        r#"CREATE TABLE app."t" ("id" integer NOT NULL, "v" text, PRIMARY KEY ("id"));
           CREATE INDEX app."ix_t_v" ON "t" ("v");
           INSERT INTO app.t VALUES (1, 'one'), (2, 'two');
           CREATE TABLE main."t" ("other" text);"#,
    )
    .unwrap();
    rebuild_with(
        &mut db,
        "op = \"alter_column\"\ntable_name = \"t\"\nschema = \"app\"\ncolumn_name = \"v\"\nnullable = false",
    )
    .unwrap();
    assert_eq!(
        lines(
            &mut db,
            "SELECT type, name FROM app.sqlite_master ORDER BY name"
        ),
        ["index|ix_t_v", "table|t"]
    );
    assert!(lines(
        &mut db,
        "SELECT sql FROM app.sqlite_master WHERE name = 't'"
    )[0]
    .contains(r#""v" text NOT NULL"#));
    assert_eq!(
        lines(&mut db, "SELECT * FROM app.t ORDER BY id"),
        ["1|one", "2|two"]
    );
    assert_eq!(
        lines(&mut db, "SELECT sql FROM main.sqlite_master"),
        [r#"CREATE TABLE "t" ("other" text)"#]
    );
}

#[test]
fn an_autoincrement_table_keeps_its_high_water_mark() {
    let mut db = database(
        "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v text);
         INSERT INTO t (v) VALUES ('a'), ('b'), ('c');
         DELETE FROM t WHERE id = 3;",
    );
    rebuild_with(
        &mut db,
        "op = \"alter_column\"\ntable_name = \"t\"\ncolumn_name = \"v\"\ntype_ = \"varchar(8)\"",
    )
    .unwrap();
    db.batch("INSERT INTO t (v) VALUES ('d')").unwrap();
    assert_eq!(
        lines(&mut db, "SELECT id, v FROM t ORDER BY id"),
        ["1|a", "2|b", "4|d"]
    );
    assert_eq!(
        lines(&mut db, "SELECT name, seq FROM sqlite_sequence"),
        ["t|4"]
    );
}

#[test]
fn a_weird_name_is_rebuilt_literally() {
    let weird = "weird\"; DROP TABLE x; --";
    let mut db = database(&format!(
        "CREATE TABLE x (keep integer); INSERT INTO x VALUES (1);
         CREATE TABLE {t} ({t} text, other integer); CREATE INDEX {ix} ON {t} ({t});
         INSERT INTO {t} VALUES ('a', 1);",
        t = quote(weird),
        ix = quote(&format!("ix_{weird}"))
    ));
    rebuild_with(
        &mut db,
        &format!(
            "op = \"alter_column\"\ntable_name = '{weird}'\ncolumn_name = '{weird}'\nnullable = false\nserver_default = \"'it''s'\""
        ),
    )
    .unwrap();
    assert_eq!(
        objects(&mut db),
        [
            format!("index ix_{weird}"),
            format!("table {weird}"),
            "table x".to_string()
        ]
    );
    assert_eq!(lines(&mut db, "SELECT * FROM x"), ["1"]);
    assert_eq!(
        lines(&mut db, &format!("SELECT * FROM {}", quote(weird))),
        ["a|1"]
    );
    assert!(table_sql_of(&mut db, weird)
        .contains(&format!("{} text NOT NULL DEFAULT 'it''s'", quote(weird))));
}

#[test]
fn a_missing_table_or_column_is_named() {
    let mut db = database(MEMBERS);
    let error = rebuild_with(
        &mut db,
        "op = \"alter_column\"\ntable_name = \"nobody\"\ncolumn_name = \"x\"\nnullable = false",
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot rebuild SQLite table nobody: there is no such table"
    );
    let error = rebuild_with(
        &mut db,
        "op = \"alter_column\"\ntable_name = \"members\"\ncolumn_name = \"x\"\nnullable = false",
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot rebuild SQLite table members: it has no column \"x\""
    );
}

#[test]
fn a_rebuild_renumbered_the_rowids_of_a_table_without_integer_primary_key() {
    // Rowids are data for whoever references them: deleted rows leave gaps that a plain
    // `INSERT ... SELECT` would close.
    let mut db = database(
        "CREATE TABLE t (code text, v text);
         INSERT INTO t VALUES ('a', 'x'), ('b', 'y'), ('c', 'z'), ('d', 'w');
         DELETE FROM t WHERE code IN ('a', 'c');",
    );
    let before = lines(&mut db, "SELECT rowid, * FROM t ORDER BY rowid");
    assert_eq!(before, ["2|b|y", "4|d|w"]);
    for change in [
        "op = \"alter_column\"\ntable_name = \"t\"\ncolumn_name = \"v\"\ntype_ = \"varchar(8)\"",
        "op = \"create_unique_constraint\"\nconstraint_name = \"uq_t_code\"\ntable_name = \"t\"\ncolumns = [\"code\"]",
        "op = \"drop_constraint\"\nconstraint_name = \"uq_t_code\"\ntable_name = \"t\"",
    ] {
        rebuild_with(&mut db, change).unwrap();
        assert_eq!(
            lines(&mut db, "SELECT rowid, * FROM t ORDER BY rowid"),
            before,
            "{change}"
        );
    }
}

#[test]
fn a_rebuild_keeps_rowids_when_a_column_is_called_rowid_and_leaves_without_rowid_tables_alone() {
    let mut db = database(
        "CREATE TABLE t (rowid text, v text);
         INSERT INTO t (_rowid_, rowid, v) VALUES (5, 'five', 'x'), (9, 'nine', 'y');
         CREATE TABLE w (k text PRIMARY KEY, v text) WITHOUT ROWID;
         INSERT INTO w VALUES ('a', 'x'), ('b', 'y');",
    );
    rebuild_with(
        &mut db,
        "op = \"alter_column\"\ntable_name = \"t\"\ncolumn_name = \"v\"\ntype_ = \"varchar(8)\"",
    )
    .unwrap();
    assert_eq!(
        lines(&mut db, "SELECT _rowid_, rowid, v FROM t ORDER BY _rowid_"),
        ["5|five|x", "9|nine|y"]
    );
    rebuild_with(
        &mut db,
        "op = \"alter_column\"\ntable_name = \"w\"\ncolumn_name = \"v\"\ntype_ = \"varchar(8)\"",
    )
    .unwrap();
    assert_eq!(lines(&mut db, "SELECT * FROM w ORDER BY k"), ["a|x", "b|y"]);
}

#[test]
fn a_rebuild_that_makes_an_integer_primary_key_keeps_the_key_values_as_rowids() {
    // The new table's rowid is the key column: its values, not the old rowids, decide it.
    let mut db = database(
        "CREATE TABLE t (id integer NOT NULL, v text);
         INSERT INTO t VALUES (10, 'x'), (20, 'y'), (30, 'z');
         DELETE FROM t WHERE id = 20;",
    );
    rebuild_with(
        &mut db,
        "op = \"create_primary_key\"\nconstraint_name = \"pk_t\"\ntable_name = \"t\"\ncolumns = [\"id\"]",
    )
    .unwrap();
    assert_eq!(
        lines(&mut db, "SELECT rowid, id, v FROM t ORDER BY id"),
        ["10|10|x", "30|30|z"]
    );
}

#[test]
fn create_primary_key_rewrote_null_key_values_into_new_rowids() {
    // An INTEGER PRIMARY KEY column turns a NULL copied into it into a new rowid; PostgreSQL
    // refuses a primary key over NULLs, and so must the rebuild, leaving the rows as they are.
    let mut db = database(
        "CREATE TABLE t (id integer, code text, v text);
         INSERT INTO t VALUES (7, 'a', 'x'), (NULL, 'b', 'y'), (9, NULL, 'z');",
    );
    for (columns, column) in [("[\"id\"]", "\"id\""), ("[\"v\", \"code\"]", "\"code\"")] {
        let error = rebuild_with(
            &mut db,
            &format!("op = \"create_primary_key\"\nconstraint_name = \"pk_t\"\ntable_name = \"t\"\ncolumns = {columns}"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("table t") && error.contains(&format!("column {column}")),
            "{error}"
        );
        assert!(error.contains("NULL in 1 row"), "{error}");
        assert_eq!(
            lines(&mut db, "SELECT rowid, * FROM t ORDER BY rowid"),
            ["1|7|a|x", "2|NULL|b|y", "3|9|NULL|z"]
        );
        assert_eq!(
            table_sql_of(&mut db, "t"),
            "CREATE TABLE t (id integer, code text, v text)"
        );
    }
}
