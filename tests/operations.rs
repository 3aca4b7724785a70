//! Every operation applied by the `rmig` binary to real databases: PostgreSQL (a fresh database
//! per test) and SQLite (a file per test). Each test reads the schema back from the catalog
//! (pg_catalog / information_schema; sqlite_master and PRAGMAs), downgrades, and checks that
//! the schema is exactly what it was before. On SQLite, the changes its ALTER TABLE cannot make
//! go through the table rebuild (exec/batch.rs), and the tests check that every row and value
//! survives it, both ways.

mod common;

use std::path::PathBuf;

use common::{revision, Project, TestDatabase};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Postgres,
    Sqlite,
}

/// A project migrating one database, and the ways to read that database back.
struct Case {
    kind: Kind,
    project: Project,
    /// Kept for the test's lifetime: dropping it drops the PostgreSQL database.
    postgres: Option<TestDatabase>,
    sqlite: Option<PathBuf>,
}

/// Tables that are rmig's own, left out of schema snapshots.
const OWN_TABLES: [&str; 2] = ["alembic_version", "rmig_history"];

impl Case {
    fn new(kind: Kind, files: &[(String, String)]) -> Case {
        let files: Vec<(&str, &str)> = files
            .iter()
            .map(|(name, text)| (name.as_str(), text.as_str()))
            .collect();
        match kind {
            Kind::Postgres => {
                let db = TestDatabase::new();
                let project = Project::new(&db.url, &files);
                Case {
                    kind,
                    project,
                    postgres: Some(db),
                    sqlite: None,
                }
            }
            Kind::Sqlite => {
                let project = Project::sqlite(&files);
                let path = project.sqlite_path();
                Case {
                    kind,
                    project,
                    postgres: None,
                    sqlite: Some(path),
                }
            }
        }
    }

    fn pg(&self) -> bool {
        self.kind == Kind::Postgres
    }

    fn upgrade(&self, target: &str) {
        self.project.ok(&["upgrade", target]);
    }

    /// Downgrades, allowing the data loss of the revisions named.
    fn downgrade(&self, target: &str, allow: &[&str]) {
        let mut args = vec!["downgrade".to_string(), target.to_string()];
        args.extend(allow.iter().map(|id| format!("--allow-data-loss={id}")));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.project.ok(&args);
    }

    /// Runs SQL that must succeed, outside rmig.
    fn exec(&self, sql: &str) {
        match self.kind {
            Kind::Postgres => self
                .postgres
                .as_ref()
                .unwrap()
                .client()
                .batch_execute(sql)
                .unwrap(),
            Kind::Sqlite => self.sqlite_connection().execute_batch(sql).unwrap(),
        }
    }

    /// Runs SQL that must fail, outside rmig; returns the error.
    fn exec_fails(&self, sql: &str) -> String {
        match self.kind {
            Kind::Postgres => {
                let error = self
                    .postgres
                    .as_ref()
                    .unwrap()
                    .client()
                    .batch_execute(sql)
                    .expect_err(sql);
                match error.as_db_error() {
                    Some(db) => {
                        format!("{} ({})", db.message(), db.constraint().unwrap_or_default())
                    }
                    None => error.to_string(),
                }
            }
            Kind::Sqlite => self
                .sqlite_connection()
                .execute_batch(sql)
                .expect_err(sql)
                .to_string(),
        }
    }

    fn sqlite_connection(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.sqlite.as_ref().unwrap()).unwrap()
    }

    /// Each row as its values' text joined by `|`, NULL as `NULL`, in the query's order.
    fn rows(&self, sql: &str) -> Vec<String> {
        match self.kind {
            Kind::Postgres => {
                let mut client = self.postgres.as_ref().unwrap().client();
                client
                    .simple_query(sql)
                    .unwrap()
                    .into_iter()
                    .filter_map(|message| match message {
                        postgres::SimpleQueryMessage::Row(row) => Some(
                            (0..row.len())
                                .map(|i| row.get(i).unwrap_or("NULL").to_string())
                                .collect::<Vec<_>>()
                                .join("|"),
                        ),
                        _ => None,
                    })
                    .collect()
            }
            Kind::Sqlite => {
                use rusqlite::types::ValueRef;
                let connection = self.sqlite_connection();
                let mut statement = connection.prepare(sql).unwrap();
                let width = statement.column_count();
                statement
                    .query_map([], |row| {
                        Ok((0..width)
                            .map(|i| match row.get_ref(i).unwrap() {
                                ValueRef::Null => "NULL".to_string(),
                                ValueRef::Integer(n) => n.to_string(),
                                ValueRef::Real(n) => format!("{n:?}"),
                                ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                                ValueRef::Blob(b) => {
                                    b.iter().map(|byte| format!("{byte:02x}")).collect()
                                }
                            })
                            .collect::<Vec<_>>()
                            .join("|"))
                    })
                    .unwrap()
                    .map(Result::unwrap)
                    .collect()
            }
        }
    }

    /// The schema, one sorted line per table, column, constraint, index, sequence and type
    /// (PostgreSQL) or per catalog object, column, foreign key and index (SQLite).
    fn schema(&self) -> Vec<String> {
        let mut lines = Vec::new();
        match self.kind {
            Kind::Postgres => {
                for sql in PG_SCHEMA {
                    lines.extend(self.rows(sql));
                }
            }
            Kind::Sqlite => {
                let objects = self.rows(
                    "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
                );
                let mut tables = Vec::new();
                for object in objects {
                    let parts: Vec<&str> = object.splitn(4, '|').collect();
                    if OWN_TABLES.contains(&parts[2]) {
                        continue;
                    }
                    lines.push(format!("{} {}: {}", parts[0], parts[1], parts[3]));
                    if parts[0] == "table" {
                        tables.push(parts[1].to_string());
                    }
                }
                for table in tables {
                    let quoted = format!("\"{}\"", table.replace('"', "\"\""));
                    for column in self.rows(&format!("PRAGMA table_xinfo({quoted})")) {
                        lines.push(format!("column {table}: {column}"));
                    }
                    for key in self.rows(&format!("PRAGMA foreign_key_list({quoted})")) {
                        lines.push(format!("foreign key {table}: {key}"));
                    }
                    for index in self.rows(&format!("PRAGMA index_list({quoted})")) {
                        let name = index.split('|').nth(1).unwrap().to_string();
                        let columns = self.rows(&format!(
                            "PRAGMA index_xinfo(\"{}\")",
                            name.replace('"', "\"\"")
                        ));
                        lines.push(format!(
                            "index {table}: {} on {}",
                            index.split_once('|').unwrap().1,
                            columns.join(", ")
                        ));
                    }
                }
            }
        }
        lines.sort();
        lines
    }

    /// The schema with each SQLite CREATE TABLE's elements sorted: the same definition up to
    /// the order of its constraints, which a constraint dropped and created again changes (it
    /// comes back at the end, as in Alembic's batch mode).
    fn schema_in_any_constraint_order(&self) -> Vec<String> {
        self.schema()
            .into_iter()
            .map(|line| {
                let Some(open) = line.find('(').filter(|_| line.starts_with("table ")) else {
                    return line;
                };
                let body = line[open + 1..].trim_end().trim_end_matches(')');
                let mut elements = Vec::new();
                let (mut depth, mut start) = (0usize, 0);
                for (at, c) in body.char_indices() {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        ',' if depth == 0 => {
                            elements.push(body[start..at].trim().to_string());
                            start = at + 1;
                        }
                        _ => {}
                    }
                }
                elements.push(body[start..].trim().to_string());
                elements.sort();
                format!("{}{{ {} }}", &line[..open], elements.join(" | "))
            })
            .collect()
    }

    /// The schema lines that start with `prefix`.
    fn schema_lines(&self, prefix: &str) -> Vec<String> {
        self.schema()
            .into_iter()
            .filter(|line| line.starts_with(prefix))
            .collect()
    }

    /// Whether a table of exactly this name exists.
    fn has_table(&self, name: &str) -> bool {
        let literal = format!("'{}'", name.replace('\'', "''"));
        let sql = match self.kind {
            Kind::Postgres => format!(
                "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' AND relname = {literal}"
            ),
            Kind::Sqlite => format!(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = {literal}"
            ),
        };
        self.rows(&sql) == ["1"]
    }
}

/// The PostgreSQL catalog queries of [`Case::schema`], over the public schema.
const PG_SCHEMA: [&str; 6] = [
    "SELECT 'table ' || c.relname || coalesce(' -- ' || obj_description(c.oid, 'pg_class'), '') FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND c.relname NOT IN ('alembic_version', 'rmig_history')",
    "SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '') || CASE a.attidentity WHEN 'a' THEN ' GENERATED ALWAYS AS IDENTITY' WHEN 'd' THEN ' GENERATED BY DEFAULT AS IDENTITY' ELSE '' END || coalesce(' -- ' || col_description(c.oid, a.attnum), '') FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND c.relname NOT IN ('alembic_version', 'rmig_history')",
    "SELECT 'constraint ' || c.relname || ' ' || k.conname || ' ' || pg_get_constraintdef(k.oid) FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid WHERE c.relnamespace = 'public'::regnamespace AND k.contype IN ('p', 'u', 'f', 'c', 'x') AND c.relname NOT IN ('alembic_version', 'rmig_history')",
    "SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename NOT IN ('alembic_version', 'rmig_history')",
    "SELECT 'sequence ' || relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'S' AND relname NOT LIKE 'rmig\\_history%'",
    "SELECT 'type ' || t.typname || ' ' || (SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = t.oid) FROM pg_type t WHERE t.typnamespace = 'public'::regnamespace AND t.typtype = 'e'",
];

/// Lines of `lines` containing `needle`.
fn containing(lines: &[String], needle: &str) -> Vec<String> {
    lines
        .iter()
        .filter(|line| line.contains(needle))
        .cloned()
        .collect()
}

// ---------------------------------------------------------------------------------------------
// create_table and drop_table

const TEAMS: &str = r#"
[[upgrade]]
op = "create_table"
table_name = "teams"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "name", type = "varchar(64)", nullable = false, unique = true },
]

[[upgrade]]
op = "bulk_insert"
table_name = "teams"
rows = [ { id = 1, name = "compilers" }, { id = 2, name = "kernels" } ]

[[downgrade]]
op = "drop_table"
table_name = "teams"
confirm_data_loss = "teams"
"#;

const MEMBERS: &str = r#"
[[upgrade]]
op = "create_table"
table_name = "members"
comment = "one row per member"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "ticket", type = "bigint", nullable = false, identity = { start = 100, increment = 10 } },
  { name = "handle", type = "varchar(32)", nullable = false, unique = true, comment = "public name" },
  { name = "status", type = "varchar(16)", nullable = false, server_default = "'new'" },
  { name = "team_id", type = "integer", foreign_key = { table = "teams", column = "id", name = "fk_members_team", ondelete = "CASCADE" } },
  { name = "score", type = "numeric(6,2)" },
]
constraints = [
  { type = "check", name = "ck_members_score", condition = "score >= 0" },
  { type = "unique", name = "uq_members_team_handle", columns = ["team_id", "handle"] },
]
"#;

fn create_table(kind: Kind) {
    let case = Case::new(
        kind,
        &[
            revision("a0000001", None, TEAMS),
            revision("b0000002", Some("a0000001"), MEMBERS),
        ],
    );
    case.upgrade("a0000001");
    let before = case.schema();
    case.upgrade("b0000002");

    if case.pg() {
        assert_eq!(
            case.schema_lines("table members"),
            ["table members -- one row per member"]
        );
        assert_eq!(
            case.schema_lines("column members."),
            [
                "column members.handle character varying(32) NOT NULL -- public name",
                "column members.id integer NOT NULL DEFAULT nextval('members_id_seq'::regclass)",
                "column members.score numeric(6,2)",
                "column members.status character varying(16) NOT NULL DEFAULT 'new'::character varying",
                "column members.team_id integer",
                "column members.ticket bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY",
            ]
        );
        assert_eq!(
            case.schema_lines("constraint members "),
            [
                "constraint members ck_members_score CHECK ((score >= (0)::numeric))",
                "constraint members fk_members_team FOREIGN KEY (team_id) REFERENCES teams(id) ON DELETE CASCADE",
                "constraint members members_handle_key UNIQUE (handle)",
                "constraint members members_pkey PRIMARY KEY (id)",
                "constraint members uq_members_team_handle UNIQUE (team_id, handle)",
            ]
        );
        assert_eq!(
            case.rows("SELECT seqstart, seqincrement FROM pg_sequence WHERE seqrelid = pg_get_serial_sequence('members', 'ticket')::regclass"),
            ["100|10"]
        );
        // The key's sequence, the identity and the default fill a row.
        assert_eq!(
            case.rows("INSERT INTO members (handle, team_id, score) VALUES ('ada', 1, 1.5) RETURNING id, ticket, status"),
            ["1|100|new"]
        );
    } else {
        let table = case.schema_lines("table members");
        assert_eq!(
            table,
            [
                r#"table members: CREATE TABLE "members" ( "id" integer NOT NULL, "ticket" bigint NOT NULL, "handle" varchar(32) NOT NULL UNIQUE, "status" varchar(16) NOT NULL DEFAULT 'new', "team_id" integer CONSTRAINT "fk_members_team" REFERENCES "teams" ("id") ON DELETE CASCADE, "score" numeric(6, 2), PRIMARY KEY ("id"), CONSTRAINT "ck_members_score" CHECK (score >= 0), CONSTRAINT "uq_members_team_handle" UNIQUE ("team_id", "handle") )"#
            ]
        );
        assert_eq!(
            case.schema_lines("column members:"),
            [
                "column members: 0|id|INTEGER|1|NULL|1|0",
                "column members: 1|ticket|bigint|1|NULL|0|0",
                "column members: 2|handle|varchar(32)|1|NULL|0|0",
                "column members: 3|status|varchar(16)|1|'new'|0|0",
                "column members: 4|team_id|INTEGER|0|NULL|0|0",
                "column members: 5|score|numeric(6, 2)|0|NULL|0|0",
            ]
        );
        assert_eq!(
            case.schema_lines("foreign key members:"),
            ["foreign key members: 0|0|teams|team_id|id|NO ACTION|CASCADE|NONE"]
        );
        assert_eq!(
            case.schema_lines("index members:"),
            [
                "index members: sqlite_autoindex_members_1|1|u|0 on 0|2|handle|0|BINARY|1, 1|-1|NULL|0|BINARY|0",
                "index members: sqlite_autoindex_members_2|1|u|0 on 0|4|team_id|0|BINARY|1, 1|2|handle|0|BINARY|1, 2|-1|NULL|0|BINARY|0",
            ]
        );
        // An integer primary key is the rowid: it numbers rows itself.
        case.exec(
            "INSERT INTO members (ticket, handle, team_id, score) VALUES (100, 'ada', 1, 1.5)",
        );
        assert_eq!(case.rows("SELECT id, status FROM members"), ["1|new"]);
    }
    let message = case.exec_fails(
        "INSERT INTO members (id, ticket, handle, team_id, score) VALUES (2, 101, 'bob', 1, -1)",
    );
    assert!(
        message.contains("ck_members_score") || message.contains("CHECK"),
        "{message}"
    );
    let message = case
        .exec_fails("INSERT INTO members (id, ticket, handle, team_id) VALUES (3, 102, 'ada', 2)");
    assert!(message.to_lowercase().contains("unique"), "{message}");

    // The derived downgrade drops the table (and, on PostgreSQL, its sequence with it).
    case.downgrade("a0000001", &["b0000002"]);
    assert!(!case.has_table("members"));
    assert_eq!(case.schema(), before);
}

#[test]
fn postgres_create_table_with_keys_identity_defaults_comments_and_constraints() {
    create_table(Kind::Postgres);
}

#[test]
fn sqlite_create_table_with_keys_defaults_and_constraints() {
    create_table(Kind::Sqlite);
}

fn drop_table(kind: Kind) {
    let drop = r#"
[[upgrade]]
op = "drop_table"
table_name = "projects"
confirm_data_loss = "projects"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "name", type = "text", nullable = false, server_default = "'untitled'" },
  { name = "team_id", type = "integer", foreign_key = "teams.id" },
]
constraints = [ { type = "unique", name = "uq_projects_name", columns = ["name"] } ]
"#;
    let create = r#"
[[upgrade]]
op = "create_table"
table_name = "projects"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "name", type = "text", nullable = false, server_default = "'untitled'" },
  { name = "team_id", type = "integer", foreign_key = "teams.id" },
]
constraints = [ { type = "unique", name = "uq_projects_name", columns = ["name"] } ]

[[upgrade]]
op = "bulk_insert"
table_name = "projects"
rows = [ { id = 1, name = "rmig", team_id = 1 } ]

[[downgrade]]
op = "drop_table"
table_name = "projects"
confirm_data_loss = "projects"
"#;
    let case = Case::new(
        kind,
        &[
            revision("a0000001", None, TEAMS),
            revision("b0000002", Some("a0000001"), create),
            revision("c0000003", Some("b0000002"), drop),
        ],
    );
    case.upgrade("b0000002");
    let before = case.schema();
    assert_eq!(case.rows("SELECT count(*) FROM projects"), ["1"]);
    case.upgrade("c0000003");
    assert!(!case.has_table("projects"));
    assert!(case.has_table("teams"));
    assert!(case
        .schema_lines("index")
        .iter()
        .all(|line| !line.contains("projects")));

    // Its derived downgrade creates the table again from the columns the drop carries; the
    // rows are gone, which is why the drop needed its confirmation.
    case.downgrade("b0000002", &[]);
    assert_eq!(case.schema(), before);
    assert_eq!(case.rows("SELECT count(*) FROM projects"), ["0"]);
}

#[test]
fn postgres_drop_table_and_its_derived_recreation() {
    drop_table(Kind::Postgres);
}

#[test]
fn sqlite_drop_table_and_its_derived_recreation() {
    drop_table(Kind::Sqlite);
}

// ---------------------------------------------------------------------------------------------
// rename_table

fn rename_table(kind: Kind) {
    let create = r#"
[[upgrade]]
op = "create_table"
table_name = "people"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "team_id", type = "integer", foreign_key = "teams.id" },
]

[[upgrade]]
op = "create_index"
index_name = "ix_people_team_id"
table_name = "people"
columns = ["team_id"]

[[upgrade]]
op = "create_table"
table_name = "badges"
columns = [ { name = "person_id", type = "integer", foreign_key = "people.id" } ]

[[upgrade]]
op = "bulk_insert"
table_name = "people"
rows = [ { id = 1, team_id = 1 }, { id = 2, team_id = 2 } ]

[[downgrade]]
op = "drop_table"
table_name = "badges"
confirm_data_loss = "badges"

[[downgrade]]
op = "drop_table"
table_name = "people"
confirm_data_loss = "people"
"#;
    let rename = r#"
[[upgrade]]
op = "rename_table"
old_table_name = "people"
new_table_name = "members"
"#;
    let case = Case::new(
        kind,
        &[
            revision("a0000001", None, TEAMS),
            revision("b0000002", Some("a0000001"), create),
            revision("c0000003", Some("b0000002"), rename),
        ],
    );
    case.upgrade("b0000002");
    let before = case.schema();
    case.upgrade("c0000003");
    assert!(!case.has_table("people"));
    assert!(case.has_table("members"));
    assert_eq!(
        case.rows("SELECT id, team_id FROM members ORDER BY id"),
        ["1|1", "2|2"]
    );
    // The index moved with the table, and the foreign key of badges follows the new name.
    if case.pg() {
        assert_eq!(
            case.schema_lines("index CREATE INDEX"),
            ["index CREATE INDEX ix_people_team_id ON public.members USING btree (team_id)"]
        );
        assert_eq!(
            case.schema_lines("constraint badges"),
            ["constraint badges badges_person_id_fkey FOREIGN KEY (person_id) REFERENCES members(id)"]
        );
    } else {
        assert_eq!(
            case.rows("SELECT tbl_name FROM sqlite_master WHERE name = 'ix_people_team_id'"),
            ["members"]
        );
        assert_eq!(
            case.schema_lines("foreign key badges"),
            ["foreign key badges: 0|0|members|person_id|id|NO ACTION|NO ACTION|NONE"]
        );
    }
    case.downgrade("b0000002", &[]);
    assert_eq!(case.schema(), before);
    assert_eq!(
        case.rows("SELECT id, team_id FROM people ORDER BY id"),
        ["1|1", "2|2"]
    );
}

#[test]
fn postgres_rename_table_and_back() {
    rename_table(Kind::Postgres);
}

#[test]
fn sqlite_rename_table_and_back() {
    rename_table(Kind::Sqlite);
}

// ---------------------------------------------------------------------------------------------
// add_column and drop_column

const ACCOUNTS: &str = r#"
[[upgrade]]
op = "create_table"
table_name = "accounts"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "name", type = "text", nullable = false },
  { name = "legacy", type = "varchar(20)" },
]

[[upgrade]]
op = "create_index"
index_name = "ix_accounts_name"
table_name = "accounts"
columns = ["name"]

[[upgrade]]
op = "bulk_insert"
table_name = "accounts"
rows = [
  { id = 1, name = "ada", legacy = "A-1" },
  { id = 2, name = "grace" },
  { id = 3, name = "edsger", legacy = "E'3" },
]

[[downgrade]]
op = "drop_table"
table_name = "accounts"
confirm_data_loss = "accounts"
"#;

fn add_column(kind: Kind) {
    let add = r#"
[[upgrade]]
op = "add_column"
table_name = "accounts"
column = { name = "note", type = "text", server_default = "'none'" }

[[upgrade]]
op = "add_column"
table_name = "accounts"
column = { name = "rank", type = "integer", nullable = false, server_default = "7" }

[[upgrade]]
op = "add_column"
table_name = "accounts"
column = { name = "email", type = "varchar(64)", unique = true }
"#;
    let case = Case::new(
        kind,
        &[
            revision("a0000001", None, ACCOUNTS),
            revision("b0000002", Some("a0000001"), add),
        ],
    );
    case.upgrade("a0000001");
    let before = case.schema();
    case.upgrade("b0000002");
    // The rows that were there get the defaults; the unique column starts empty.
    assert_eq!(
        case.rows("SELECT id, name, legacy, note, rank, email FROM accounts ORDER BY id"),
        [
            "1|ada|A-1|none|7|NULL",
            "2|grace|NULL|none|7|NULL",
            "3|edsger|E'3|none|7|NULL"
        ]
    );
    if case.pg() {
        assert_eq!(
            case.schema_lines("column accounts."),
            [
                "column accounts.email character varying(64)",
                "column accounts.id integer NOT NULL DEFAULT nextval('accounts_id_seq'::regclass)",
                "column accounts.legacy character varying(20)",
                "column accounts.name text NOT NULL",
                "column accounts.note text DEFAULT 'none'::text",
                "column accounts.rank integer NOT NULL DEFAULT 7",
            ]
        );
        assert_eq!(
            case.schema_lines("constraint accounts accounts_email"),
            ["constraint accounts accounts_email_key UNIQUE (email)"]
        );
    } else {
        // SQLite cannot ADD a UNIQUE column: that one was a rebuild, which kept the index.
        assert_eq!(
            case.schema_lines("table accounts"),
            [
                r#"table accounts: CREATE TABLE "accounts" ( "id" integer NOT NULL, "name" text NOT NULL, "legacy" varchar(20), "note" text DEFAULT 'none', "rank" integer NOT NULL DEFAULT 7, "email" varchar(64) UNIQUE, PRIMARY KEY ("id") )"#
            ]
        );
        assert_eq!(
            containing(&case.schema(), "ix_accounts_name"),
            [
                r#"index accounts: ix_accounts_name|0|c|0 on 0|1|name|0|BINARY|1, 1|-1|NULL|0|BINARY|0"#,
                r#"index ix_accounts_name: CREATE INDEX "ix_accounts_name" ON "accounts" ("name")"#,
            ]
        );
    }
    case.exec("UPDATE accounts SET email = 'a@example.org' WHERE id = 1");
    let message = case.exec_fails("UPDATE accounts SET email = 'a@example.org' WHERE id = 2");
    assert!(message.to_lowercase().contains("unique"), "{message}");

    // The derived downgrade drops the three columns (destructive, so allowed here).
    case.downgrade("a0000001", &["b0000002"]);
    assert_eq!(case.schema(), before);
    assert_eq!(
        case.rows("SELECT id, name, legacy FROM accounts ORDER BY id"),
        ["1|ada|A-1", "2|grace|NULL", "3|edsger|E'3"]
    );
}

#[test]
fn postgres_add_column_with_defaults_not_null_and_unique() {
    add_column(Kind::Postgres);
}

#[test]
fn sqlite_add_column_with_defaults_not_null_and_unique_by_rebuild() {
    add_column(Kind::Sqlite);
}

fn drop_column(kind: Kind) {
    let drop = r#"
[[upgrade]]
op = "drop_column"
table_name = "accounts"
column_name = "legacy"
existing_column = { name = "legacy", type = "varchar(20)" }
confirm_data_loss = "accounts.legacy"
"#;
    let case = Case::new(
        kind,
        &[
            revision("a0000001", None, ACCOUNTS),
            revision("b0000002", Some("a0000001"), drop),
        ],
    );
    case.upgrade("a0000001");
    let before = case.schema();

    // Not confirmed on the command line: the revision's own confirmation lets it run.
    case.upgrade("b0000002");
    assert!(case
        .schema_lines("column accounts")
        .iter()
        .all(|line| !line.contains("legacy")));
    assert_eq!(
        case.rows("SELECT id, name FROM accounts ORDER BY id"),
        ["1|ada", "2|grace", "3|edsger"]
    );
    // The derived downgrade adds the column back from existing_column; its values are gone.
    case.downgrade("a0000001", &[]);
    assert_eq!(case.schema(), before);
    assert_eq!(
        case.rows("SELECT id, legacy FROM accounts ORDER BY id"),
        ["1|NULL", "2|NULL", "3|NULL"]
    );
}

#[test]
fn postgres_drop_column_and_back() {
    drop_column(Kind::Postgres);
}

#[test]
fn sqlite_drop_column_and_back() {
    drop_column(Kind::Sqlite);
}

// ---------------------------------------------------------------------------------------------
// alter_column

const ITEMS: &str = r#"
[[upgrade]]
op = "create_table"
table_name = "items"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "qty", type = "varchar(10)" },
  { name = "note", type = "text" },
  { name = "status", type = "varchar(8)", server_default = "'new'" },
  { name = "label", type = "text" },
]

[[upgrade]]
op = "create_index"
index_name = "ix_items_label"
table_name = "items"
columns = ["label"]

[[upgrade]]
op = "bulk_insert"
table_name = "items"
rows = [
  { id = 1, qty = "12", note = "first", status = "new", label = "a" },
  { id = 2, qty = "007", note = "second", status = "done", label = "b" },
]

[[downgrade]]
op = "drop_table"
table_name = "items"
confirm_data_loss = "items"
"#;

const ALTER_ITEMS: &str = r#"
[[upgrade]]
op = "alter_column"
table_name = "items"
column_name = "qty"
type_ = "integer"
postgresql_using = "qty::integer"
existing_type = "varchar(10)"
confirm_data_loss = "items.qty"

[[upgrade]]
op = "alter_column"
table_name = "items"
column_name = "note"
nullable = false
existing_nullable = true

[[upgrade]]
op = "alter_column"
table_name = "items"
column_name = "status"
server_default = "'open'"
existing_server_default = "'new'"

[[upgrade]]
op = "alter_column"
table_name = "items"
column_name = "label"
new_column_name = "title"
"#;

fn alter_column(kind: Kind) {
    let case = Case::new(
        kind,
        &[
            revision("a0000001", None, ITEMS),
            revision("b0000002", Some("a0000001"), ALTER_ITEMS),
        ],
    );
    case.upgrade("a0000001");
    let before = case.schema();
    case.upgrade("b0000002");
    if case.pg() {
        assert_eq!(
            case.schema_lines("column items."),
            [
                "column items.id integer NOT NULL DEFAULT nextval('items_id_seq'::regclass)",
                "column items.note text NOT NULL",
                "column items.qty integer",
                "column items.status character varying(8) DEFAULT 'open'::character varying",
                "column items.title text",
            ]
        );
        assert_eq!(
            case.schema_lines("index CREATE INDEX ix_items"),
            ["index CREATE INDEX ix_items_label ON public.items USING btree (title)"]
        );
        // USING converted the text to numbers.
        assert_eq!(
            case.rows("SELECT id, qty, pg_typeof(qty), note, status, title FROM items ORDER BY id"),
            ["1|12|integer|first|new|a", "2|7|integer|second|done|b"]
        );
    } else {
        assert_eq!(
            case.schema_lines("column items:"),
            [
                "column items: 0|id|INTEGER|1|NULL|1|0",
                "column items: 1|qty|INTEGER|0|NULL|0|0",
                "column items: 2|note|TEXT|1|NULL|0|0",
                "column items: 3|status|varchar(8)|0|'open'|0|0",
                "column items: 4|title|TEXT|0|NULL|0|0",
            ]
        );
        assert_eq!(
            containing(&case.schema(), "index ix_items_label:"),
            [r#"index ix_items_label: CREATE INDEX "ix_items_label" ON "items" ("title")"#]
        );
        // The rebuild copied without CAST; the integer column's affinity turned the text
        // that reads as a number into one.
        assert_eq!(
            case.rows("SELECT id, qty, typeof(qty), note, status, title FROM items ORDER BY id"),
            ["1|12|integer|first|new|a", "2|7|integer|second|done|b"]
        );
    }
    let message = case.exec_fails("INSERT INTO items (id, qty) VALUES (3, 1)");
    assert!(message.to_lowercase().contains("null"), "{message}");
    case.exec("INSERT INTO items (id, note) VALUES (3, 'third')");
    assert_eq!(case.rows("SELECT status FROM items WHERE id = 3"), ["open"]);
    case.exec("DELETE FROM items WHERE id = 3");

    // The derived downgrade: back to varchar(10) (a narrowing, allowed here), nullable, the
    // old default, the old name.
    case.downgrade("a0000001", &["b0000002"]);
    assert_eq!(case.schema(), before);
    assert_eq!(
        case.rows("SELECT id, qty, note, status, label FROM items ORDER BY id"),
        ["1|12|first|new|a", "2|7|second|done|b"]
    );
}

#[test]
fn postgres_alter_column_type_using_nullable_default_and_rename() {
    alter_column(Kind::Postgres);
}

#[test]
fn sqlite_alter_column_type_nullable_default_and_rename() {
    alter_column(Kind::Sqlite);
}

// ---------------------------------------------------------------------------------------------
// create_index and drop_index

fn indexes(kind: Kind) {
    let create = r#"
[[upgrade]]
op = "create_index"
index_name = "ix_accounts_legacy"
table_name = "accounts"
columns = ["legacy"]
unique = true

[[upgrade]]
op = "create_index"
index_name = "ix_accounts_named"
table_name = "accounts"
columns = ["name", "id"]
where = "legacy IS NOT NULL"
"#;
    let concurrently = r#"transactional = false

[[upgrade]]
op = "create_index"
index_name = "ix_accounts_id_name"
table_name = "accounts"
columns = ["id", "name"]
postgresql_concurrently = true
"#;
    let drop = r#"
[[upgrade]]
op = "drop_index"
index_name = "ix_accounts_legacy"
table_name = "accounts"
columns = ["legacy"]
unique = true
"#;
    let case = Case::new(
        kind,
        &[
            revision("a0000001", None, ACCOUNTS),
            revision("b0000002", Some("a0000001"), create),
            revision("c0000003", Some("b0000002"), concurrently),
            revision("d0000004", Some("c0000003"), drop),
        ],
    );
    case.upgrade("a0000001");
    let before = case.schema();
    case.upgrade("c0000003");
    let with_indexes = case.schema();
    if case.pg() {
        assert_eq!(
            case.schema_lines("index CREATE"),
            [
                "index CREATE INDEX ix_accounts_id_name ON public.accounts USING btree (id, name)",
                "index CREATE INDEX ix_accounts_name ON public.accounts USING btree (name)",
                "index CREATE INDEX ix_accounts_named ON public.accounts USING btree (name, id) WHERE (legacy IS NOT NULL)",
                "index CREATE UNIQUE INDEX accounts_pkey ON public.accounts USING btree (id)",
                "index CREATE UNIQUE INDEX ix_accounts_legacy ON public.accounts USING btree (legacy)",
            ]
        );
    } else {
        assert_eq!(
            case.schema_lines("index accounts:"),
            [
                "index accounts: ix_accounts_id_name|0|c|0 on 0|0|id|0|BINARY|1, 1|1|name|0|BINARY|1, 2|-1|NULL|0|BINARY|0",
                "index accounts: ix_accounts_legacy|1|c|0 on 0|2|legacy|0|BINARY|1, 1|-1|NULL|0|BINARY|0",
                "index accounts: ix_accounts_named|0|c|1 on 0|1|name|0|BINARY|1, 1|0|id|0|BINARY|1, 2|-1|NULL|0|BINARY|0",
                "index accounts: ix_accounts_name|0|c|0 on 0|1|name|0|BINARY|1, 1|-1|NULL|0|BINARY|0",
            ]
        );
        assert_eq!(
            containing(&case.schema(), "WHERE"),
            [
                r#"index ix_accounts_named: CREATE INDEX "ix_accounts_named" ON "accounts" ("name", "id") WHERE legacy IS NOT NULL"#
            ]
        );
    }
    let message = case.exec_fails("UPDATE accounts SET legacy = 'A-1' WHERE id = 2");
    assert!(message.to_lowercase().contains("unique"), "{message}");

    // drop_index, and its derived downgrade that creates the index again.
    case.upgrade("d0000004");
    assert!(containing(&case.schema(), "ix_accounts_legacy").is_empty());
    case.exec("UPDATE accounts SET legacy = 'A-1' WHERE id = 2");
    case.exec("UPDATE accounts SET legacy = NULL WHERE id = 2");
    case.downgrade("c0000003", &[]);
    assert_eq!(case.schema(), with_indexes);

    // Down through the concurrent index (dropped CONCURRENTLY on PostgreSQL, outside a
    // transaction) to where no index of this test exists.
    case.downgrade("a0000001", &[]);
    assert_eq!(case.schema(), before);
}

#[test]
fn postgres_create_and_drop_index_unique_partial_and_concurrently() {
    indexes(Kind::Postgres);
}

#[test]
fn sqlite_create_and_drop_index_unique_and_partial() {
    indexes(Kind::Sqlite);
}

// ---------------------------------------------------------------------------------------------
// Constraints

const LEAGUE: &str = r#"
[[upgrade]]
op = "create_table"
table_name = "players"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "handle", type = "text", nullable = false },
  { name = "team_id", type = "integer" },
  { name = "score", type = "integer", server_default = "0" },
]

[[upgrade]]
op = "create_table"
table_name = "tags"
columns = [ { name = "name", type = "varchar(20)", nullable = false } ]

[[upgrade]]
op = "bulk_insert"
table_name = "players"
rows = [
  { id = 1, handle = "ada", team_id = 1, score = 10 },
  { id = 2, handle = "grace", score = 20 },
  { id = 3, handle = "edsger", team_id = 2 },
]

[[upgrade]]
op = "bulk_insert"
table_name = "tags"
rows = [ { name = "red" }, { name = "blue" } ]

[[downgrade]]
op = "drop_table"
table_name = "tags"
confirm_data_loss = "tags"

[[downgrade]]
op = "drop_table"
table_name = "players"
confirm_data_loss = "players"
"#;

const ADD_CONSTRAINTS: &str = r#"
[[upgrade]]
op = "create_unique_constraint"
constraint_name = "uq_players_handle"
table_name = "players"
columns = ["handle"]

[[upgrade]]
op = "create_check_constraint"
constraint_name = "ck_players_score"
table_name = "players"
condition = "score >= 0"

[[upgrade]]
op = "create_foreign_key"
constraint_name = "fk_players_team"
source_table = "players"
referent_table = "teams"
local_cols = ["team_id"]
remote_cols = ["id"]
ondelete = "SET NULL"

[[upgrade]]
op = "create_primary_key"
constraint_name = "pk_tags"
table_name = "tags"
columns = ["name"]
"#;

/// A written upgrade that drops two of them, with a written downgrade that puts them back.
const DROP_CONSTRAINTS: &str = r#"
[[upgrade]]
op = "drop_constraint"
constraint_name = "ck_players_score"
table_name = "players"
type_ = "check"

[[upgrade]]
op = "drop_constraint"
constraint_name = "uq_players_handle"
table_name = "players"
type_ = "unique"

[[downgrade]]
op = "create_unique_constraint"
constraint_name = "uq_players_handle"
table_name = "players"
columns = ["handle"]

[[downgrade]]
op = "create_check_constraint"
constraint_name = "ck_players_score"
table_name = "players"
condition = "score >= 0"
"#;

const PLAYER_ROWS: &str = "SELECT id, handle, team_id, score FROM players ORDER BY id";

fn player_rows() -> Vec<&'static str> {
    vec!["1|ada|1|10", "2|grace|NULL|20", "3|edsger|2|0"]
}

fn constraints(kind: Kind) {
    let case = Case::new(
        kind,
        &[
            revision("a0000001", None, TEAMS),
            revision("b0000002", Some("a0000001"), LEAGUE),
            revision("c0000003", Some("b0000002"), ADD_CONSTRAINTS),
            revision("d0000004", Some("c0000003"), DROP_CONSTRAINTS),
        ],
    );
    case.upgrade("b0000002");
    let before = case.schema();
    case.upgrade("c0000003");
    let constrained = case.schema_in_any_constraint_order();
    if case.pg() {
        assert_eq!(
            case.schema_lines("constraint players "),
            [
                "constraint players ck_players_score CHECK ((score >= 0))",
                "constraint players fk_players_team FOREIGN KEY (team_id) REFERENCES teams(id) ON DELETE SET NULL",
                "constraint players players_pkey PRIMARY KEY (id)",
                "constraint players uq_players_handle UNIQUE (handle)",
            ]
        );
        assert_eq!(
            case.schema_lines("constraint tags "),
            ["constraint tags pk_tags PRIMARY KEY (name)"]
        );
    } else {
        assert_eq!(
            case.schema_lines("table players"),
            [
                r#"table players: CREATE TABLE "players" ( "id" integer NOT NULL, "handle" text NOT NULL, "team_id" integer, "score" integer DEFAULT 0, PRIMARY KEY ("id"), CONSTRAINT "uq_players_handle" UNIQUE ("handle"), CONSTRAINT "ck_players_score" CHECK (score >= 0), CONSTRAINT "fk_players_team" FOREIGN KEY ("team_id") REFERENCES "teams" ("id") ON DELETE SET NULL )"#
            ]
        );
        assert_eq!(
            case.schema_lines("foreign key players"),
            ["foreign key players: 0|0|teams|team_id|id|NO ACTION|SET NULL|NONE"]
        );
        assert_eq!(
            case.schema_lines("index players"),
            ["index players: sqlite_autoindex_players_1|1|u|0 on 0|1|handle|0|BINARY|1, 1|-1|NULL|0|BINARY|0"]
        );
        assert_eq!(
            case.schema_lines("column tags"),
            ["column tags: 0|name|varchar(20)|1|NULL|1|0"]
        );
    }
    // Each rebuild kept every row.
    assert_eq!(case.rows(PLAYER_ROWS), player_rows());
    assert_eq!(
        case.rows("SELECT name FROM tags ORDER BY name"),
        ["blue", "red"]
    );
    for (sql, expected) in [
        ("UPDATE players SET handle = 'ada' WHERE id = 2", "unique"),
        ("UPDATE players SET score = -1 WHERE id = 2", "check"),
        ("INSERT INTO tags VALUES ('red')", "unique"),
    ] {
        let message = case.exec_fails(sql);
        assert!(
            message.to_lowercase().contains(expected),
            "{sql}: {message}"
        );
    }
    if case.pg() {
        let message = case.exec_fails("UPDATE players SET team_id = 99 WHERE id = 2");
        assert!(message.contains("fk_players_team"), "{message}");
    }

    // Written drop_constraint, and its written downgrade.
    case.upgrade("d0000004");
    let dropped = case.schema();
    assert!(containing(&dropped, "ck_players_score").is_empty());
    assert!(containing(&dropped, "uq_players_handle").is_empty());
    assert!(!containing(&dropped, "fk_players_team").is_empty());
    case.exec("UPDATE players SET score = -1 WHERE id = 2");
    case.exec("UPDATE players SET score = 20 WHERE id = 2");
    case.downgrade("c0000003", &[]);
    assert_eq!(case.schema_in_any_constraint_order(), constrained);

    // The derived downgrade drops all four by name.
    case.downgrade("b0000002", &[]);
    assert_eq!(case.schema(), before);
    assert_eq!(case.rows(PLAYER_ROWS), player_rows());
    assert_eq!(
        case.rows("SELECT name FROM tags ORDER BY name"),
        ["blue", "red"]
    );
}

#[test]
fn postgres_unique_check_foreign_key_and_primary_key_constraints() {
    constraints(Kind::Postgres);
}

#[test]
fn sqlite_unique_check_foreign_key_and_primary_key_constraints_by_rebuild() {
    constraints(Kind::Sqlite);
}

// ---------------------------------------------------------------------------------------------
// Table comments

fn table_comments(kind: Kind) {
    let comment = r#"
[[upgrade]]
op = "create_table_comment"
table_name = "teams"
comment = "who works with whom; it's a team"
"#;
    let replace = r#"
[[upgrade]]
op = "create_table_comment"
table_name = "teams"
comment = "the teams"
existing_comment = "who works with whom; it's a team"
"#;
    let remove = r#"
[[upgrade]]
op = "drop_table_comment"
table_name = "teams"
existing_comment = "the teams"
"#;
    let case = Case::new(
        kind,
        &[
            revision("a0000001", None, TEAMS),
            revision("b0000002", Some("a0000001"), comment),
            revision("c0000003", Some("b0000002"), replace),
            revision("d0000004", Some("c0000003"), remove),
        ],
    );
    case.upgrade("a0000001");
    let before = case.schema();
    let expect = |comment: Option<&str>| {
        let lines = case.schema_lines("table teams");
        match (case.kind, comment) {
            (Kind::Postgres, Some(comment)) => {
                assert_eq!(lines, [format!("table teams -- {comment}")])
            }
            (Kind::Postgres, None) => assert_eq!(lines, ["table teams"]),
            // SQLite keeps no comments: nothing changes.
            (Kind::Sqlite, _) => assert_eq!(case.schema(), before),
        }
    };
    case.upgrade("b0000002");
    expect(Some("who works with whom; it's a team"));
    case.upgrade("c0000003");
    expect(Some("the teams"));
    case.upgrade("d0000004");
    expect(None);
    case.downgrade("c0000003", &[]);
    expect(Some("the teams"));
    case.downgrade("b0000002", &[]);
    expect(Some("who works with whom; it's a team"));
    case.downgrade("a0000001", &[]);
    expect(None);
    assert_eq!(case.schema(), before);
}

#[test]
fn postgres_table_comments_and_back() {
    table_comments(Kind::Postgres);
}

#[test]
fn sqlite_table_comments_are_no_ops() {
    table_comments(Kind::Sqlite);
}

// ---------------------------------------------------------------------------------------------
// execute

fn execute(kind: Kind) {
    let body = r#"
[[upgrade]]
op = "execute"
sqltext = "CREATE TABLE everywhere (x integer)"

[[upgrade]]
op = "execute"
postgresql = "CREATE TABLE only_postgres (x integer); INSERT INTO only_postgres VALUES (1)"
sqlite = "CREATE TABLE only_sqlite (x integer); INSERT INTO only_sqlite VALUES (2)"

[[upgrade]]
op = "execute"
sqltext = "INSERT INTO everywhere VALUES (3)"
postgresql = "INSERT INTO everywhere VALUES (33)"

[[upgrade]]
op = "execute"
postgresql = "CREATE TABLE pg_only_text (x integer)"

[[downgrade]]
op = "execute"
sqltext = "DROP TABLE everywhere"
postgresql = "DROP TABLE everywhere; DROP TABLE only_postgres; DROP TABLE pg_only_text"
sqlite = "DROP TABLE everywhere; DROP TABLE only_sqlite"
confirm_data_loss = "b0000002"
"#;
    let case = Case::new(
        kind,
        &[
            revision("a0000001", None, TEAMS),
            revision("b0000002", Some("a0000001"), body),
        ],
    );
    case.upgrade("a0000001");
    let before = case.schema();
    case.upgrade("b0000002");
    assert!(case.has_table("everywhere"));
    if case.pg() {
        assert!(case.has_table("only_postgres") && !case.has_table("only_sqlite"));
        assert!(case.has_table("pg_only_text"));
        assert_eq!(case.rows("SELECT x FROM everywhere"), ["33"]);
        assert_eq!(case.rows("SELECT x FROM only_postgres"), ["1"]);
    } else {
        assert!(case.has_table("only_sqlite") && !case.has_table("only_postgres"));
        // An execute with no text for SQLite does nothing there.
        assert!(!case.has_table("pg_only_text"));
        assert_eq!(case.rows("SELECT x FROM everywhere"), ["3"]);
        assert_eq!(case.rows("SELECT x FROM only_sqlite"), ["2"]);
    }
    case.downgrade("a0000001", &[]);
    assert_eq!(case.schema(), before);
}

#[test]
fn postgres_execute_runs_its_own_dialects_text() {
    execute(Kind::Postgres);
}

#[test]
fn sqlite_execute_runs_its_own_dialects_text() {
    execute(Kind::Sqlite);
}

// ---------------------------------------------------------------------------------------------
// bulk_insert

fn bulk_insert(kind: Kind) {
    let table = r#"
[[upgrade]]
op = "create_table"
table_name = "events"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "title", type = "text", nullable = false },
  { name = "public", type = "boolean" },
  { name = "held_on", type = "date" },
  { name = "attendance", type = "bigint" },
  { name = "rating", type = "double" },
  { name = "note", type = "varchar(40)", server_default = "'tbd'" },
]

[[downgrade]]
op = "drop_table"
table_name = "events"
confirm_data_loss = "events"
"#;
    // YAML, for an explicit null; TOML has none (a column left out gets its default).
    let rows = "revision: b0000002\ndown_revision: a0000001\nmessage: seed\nupgrade:\n  - op: bulk_insert\n    table_name: events\n    rows:\n      - { id: 1, title: \"Ada's talk\", public: true, held_on: \"1843-07-01\", attendance: 9007199254740993, rating: 4.5, note: null }\n      - { id: 2, title: \"x'); DROP TABLE events; --\", public: false, held_on: \"2024-02-29\", attendance: -1, rating: -0.25 }\n      - { id: 3, title: \"nulls\", public: null, held_on: null, attendance: null, rating: null, note: \"ünïcödé\" }\ndowngrade:\n  - op: execute\n    sqltext: DELETE FROM events WHERE id IN (1, 2, 3)\n    confirm_data_loss: events\n";
    let case = Case::new(
        kind,
        &[
            revision("a0000001", None, table),
            ("b0000002_seed.yaml".to_string(), rows.to_string()),
        ],
    );
    case.upgrade("a0000001");
    let before = case.schema();
    case.upgrade("b0000002");
    let read =
        "SELECT id, title, public, held_on, attendance, rating, note FROM events ORDER BY id";
    if case.pg() {
        assert_eq!(
            case.rows(read),
            [
                "1|Ada's talk|t|1843-07-01|9007199254740993|4.5|NULL",
                "2|x'); DROP TABLE events; --|f|2024-02-29|-1|-0.25|tbd",
                "3|nulls|NULL|NULL|NULL|NULL|ünïcödé",
            ]
        );
        assert_eq!(
            case.rows("SELECT pg_typeof(held_on) FROM events WHERE id = 1"),
            ["date"]
        );
    } else {
        assert_eq!(
            case.rows(read),
            [
                "1|Ada's talk|1|1843-07-01|9007199254740993|4.5|NULL",
                "2|x'); DROP TABLE events; --|0|2024-02-29|-1|-0.25|tbd",
                "3|nulls|NULL|NULL|NULL|NULL|ünïcödé",
            ]
        );
    }
    assert!(case.has_table("events"));
    case.downgrade("a0000001", &[]);
    assert_eq!(case.rows("SELECT count(*) FROM events"), ["0"]);
    assert_eq!(case.schema(), before);
}

#[test]
fn postgres_bulk_insert_rows_read_back() {
    bulk_insert(Kind::Postgres);
}

#[test]
fn sqlite_bulk_insert_rows_read_back() {
    bulk_insert(Kind::Sqlite);
}

// ---------------------------------------------------------------------------------------------
// SQLite's table rebuild keeps every row

const LEDGER: &str = r#"
[[upgrade]]
op = "create_table"
table_name = "accounts"
columns = [ { name = "id", type = "integer", primary_key = true } ]

[[upgrade]]
op = "create_table"
table_name = "ledger"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "code", type = "varchar(10)" },
  { name = "amount", type = "numeric(12,2)" },
  { name = "memo", type = "text" },
  { name = "raw", type = "blob" },
  { name = "account_id", type = "integer" },
]

[[upgrade]]
op = "create_index"
index_name = "ix_ledger_account"
table_name = "ledger"
columns = ["account_id"]
where = "account_id IS NOT NULL"

[[upgrade]]
op = "create_table"
table_name = "ledger_notes"
columns = [
  { name = "ledger_id", type = "integer", nullable = false, foreign_key = { table = "ledger", column = "id", ondelete = "CASCADE" } },
  { name = "text", type = "text" },
]

[[upgrade]]
op = "execute"
sqlite = """
INSERT INTO accounts (id) VALUES (1), (2), (3);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
INSERT INTO ledger (id, code, amount, memo, raw, account_id)
SELECT i, 'C' || i, i * 1.25 - 300, CASE WHEN i % 7 = 0 THEN NULL ELSE 'memo ' || i END,
       CASE WHEN i % 5 = 0 THEN randomblob(4) END, CASE WHEN i % 3 = 0 THEN NULL ELSE i % 3 END
FROM n;
INSERT INTO ledger (id, code, amount, memo, raw, account_id) VALUES
  (1001, '', 0, 'it''s "quoted"; DROP TABLE ledger; --', x'00ff', 1),
  (1002, NULL, 9999999999.99, 'line one
line two', x'', NULL),
  (1003, 'ünï', -0.01, '', NULL, 2),
  (1004, '2024-01-05', 4611686018427387904, '2024-01-05', NULL, 3);
INSERT INTO ledger_notes SELECT id, 'note ' || id FROM ledger WHERE id % 10 = 0;
"""

[[downgrade]]
op = "execute"
sqlite = "DROP TABLE ledger_notes; DROP TABLE ledger; DROP TABLE accounts"
confirm_data_loss = "a0000001"
"#;

/// Rebuilds the table six times over, each a change SQLite's ALTER TABLE cannot make.
const LEDGER_CHANGES: &str = r#"
[[upgrade]]
op = "alter_column"
table_name = "ledger"
column_name = "code"
type_ = "varchar(40)"
existing_type = "varchar(10)"

[[upgrade]]
op = "alter_column"
table_name = "ledger"
column_name = "memo"
server_default = "'none'"

[[upgrade]]
op = "add_column"
table_name = "ledger"
column = { name = "reference", type = "varchar(16)", unique = true }

[[upgrade]]
op = "create_unique_constraint"
constraint_name = "uq_ledger_code"
table_name = "ledger"
columns = ["code"]

[[upgrade]]
op = "create_check_constraint"
constraint_name = "ck_ledger_amount"
table_name = "ledger"
condition = "amount IS NULL OR amount > -1000"

[[upgrade]]
op = "create_foreign_key"
constraint_name = "fk_ledger_account"
source_table = "ledger"
referent_table = "accounts"
local_cols = ["account_id"]
remote_cols = ["id"]
ondelete = "SET NULL"
"#;

const LEDGER_DUMP: &str = "SELECT id, typeof(code), code, typeof(amount), amount, typeof(memo), memo, typeof(raw), hex(raw), typeof(account_id), account_id FROM ledger ORDER BY id";

#[test]
fn sqlite_rebuild_keeps_every_row_and_value_both_ways() {
    let case = Case::new(
        Kind::Sqlite,
        &[
            revision("a0000001", None, LEDGER),
            revision("b0000002", Some("a0000001"), LEDGER_CHANGES),
        ],
    );
    case.upgrade("a0000001");
    let before = case.schema();
    let rows = case.rows(LEDGER_DUMP);
    let notes = case.rows("SELECT ledger_id, text FROM ledger_notes ORDER BY ledger_id");
    assert_eq!(rows.len(), 504);
    assert_eq!(notes.len(), 50);
    assert_eq!(
        case.rows("SELECT count(*) FROM ledger WHERE raw IS NOT NULL"),
        ["102"]
    );

    case.upgrade("b0000002");
    assert_eq!(case.rows(LEDGER_DUMP), rows, "the rebuilds changed a row");
    assert_eq!(
        case.rows("SELECT count(*), count(reference) FROM ledger"),
        ["504|0"]
    );
    // Rows of another table that reference the rebuilt one are untouched (foreign keys are
    // off on rmig's connection, so dropping the old copy ran no ON DELETE CASCADE).
    assert_eq!(
        case.rows("SELECT ledger_id, text FROM ledger_notes ORDER BY ledger_id"),
        notes
    );
    assert_eq!(case.rows("PRAGMA foreign_key_check"), Vec::<String>::new());
    let table = case.schema_lines("table ledger:");
    assert_eq!(
        table,
        [
            r#"table ledger: CREATE TABLE "ledger" ( "id" integer NOT NULL, "code" varchar(40), "amount" numeric(12, 2), "memo" text DEFAULT 'none', "raw" blob, "account_id" integer, "reference" varchar(16) UNIQUE, PRIMARY KEY ("id"), CONSTRAINT "uq_ledger_code" UNIQUE ("code"), CONSTRAINT "ck_ledger_amount" CHECK (amount IS NULL OR amount > -1000), CONSTRAINT "fk_ledger_account" FOREIGN KEY ("account_id") REFERENCES "accounts" ("id") ON DELETE SET NULL )"#
        ]
    );
    assert_eq!(
        containing(&case.schema(), "index ix_ledger_account:"),
        [
            r#"index ix_ledger_account: CREATE INDEX "ix_ledger_account" ON "ledger" ("account_id") WHERE account_id IS NOT NULL"#
        ]
    );
    assert!(!case.has_table("_alembic_tmp_ledger"));
    case.exec("INSERT INTO ledger (id) VALUES (2000)");
    assert_eq!(
        case.rows("SELECT memo FROM ledger WHERE id = 2000"),
        ["none"]
    );
    case.exec("DELETE FROM ledger WHERE id = 2000");

    // Down again: six more rebuilds (the added column is unique, so dropping it is one too).
    case.downgrade("a0000001", &["b0000002"]);
    assert_eq!(case.rows(LEDGER_DUMP), rows, "the downgrade changed a row");
    assert_eq!(
        case.rows("SELECT ledger_id, text FROM ledger_notes ORDER BY ledger_id"),
        notes
    );
    assert_eq!(case.schema(), before);
}

#[test]
fn sqlite_a_failed_rebuild_rolls_the_step_back() {
    // The check does not hold for every row: the step fails, and the table is as it was.
    let check = r#"
[[upgrade]]
op = "alter_column"
table_name = "ledger"
column_name = "code"
type_ = "varchar(40)"
existing_type = "varchar(10)"

[[upgrade]]
op = "create_check_constraint"
constraint_name = "ck_ledger_amount"
table_name = "ledger"
condition = "amount > 0"
"#;
    let case = Case::new(
        Kind::Sqlite,
        &[
            revision("a0000001", None, LEDGER),
            revision("b0000002", Some("a0000001"), check),
        ],
    );
    case.upgrade("a0000001");
    let before = case.schema();
    let rows = case.rows(LEDGER_DUMP);
    let (code, stderr) = case.project.fails(&["upgrade", "b0000002"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("CHECK constraint failed"), "{stderr}");
    assert!(
        stderr.contains("the database stays at a0000001"),
        "{stderr}"
    );
    assert_eq!(case.schema(), before);
    assert_eq!(case.rows(LEDGER_DUMP), rows);
    assert_eq!(case.project.heads(), ["a0000001"]);
}

// ---------------------------------------------------------------------------------------------
// A name built to break out of its quotes is created as exactly that name.

const WEIRD: &str = r#"weird"; DROP TABLE x; --"#;

fn weird_names(kind: Kind) {
    let keep = r#"
[[upgrade]]
op = "create_table"
table_name = "x"
columns = [ { name = "keep", type = "integer" } ]

[[upgrade]]
op = "bulk_insert"
table_name = "x"
rows = [ { keep = 1 } ]

[[downgrade]]
op = "drop_table"
table_name = "x"
confirm_data_loss = "x"
"#;
    let weird = format!(
        r#"
[[upgrade]]
op = "create_table"
table_name = '{WEIRD}'
columns = [
  {{ name = "id", type = "integer", primary_key = true }},
  {{ name = '{WEIRD}', type = "text", server_default = "'it''s'" }},
]

[[upgrade]]
op = "create_index"
index_name = 'ix_{WEIRD}'
table_name = '{WEIRD}'
columns = ['{WEIRD}']

[[upgrade]]
op = "bulk_insert"
table_name = '{WEIRD}'
rows = [ {{ id = 1, '{WEIRD}' = '{WEIRD}' }}, {{ id = 2 }} ]

[[upgrade]]
op = "alter_column"
table_name = '{WEIRD}'
column_name = '{WEIRD}'
nullable = false
existing_nullable = true

[[upgrade]]
op = "add_column"
table_name = '{WEIRD}'
column = {{ name = 'u_{WEIRD}', type = "text", unique = true }}

[[downgrade]]
op = "drop_table"
table_name = '{WEIRD}'
confirm_data_loss = '{WEIRD}'
"#
    );
    let case = Case::new(
        kind,
        &[
            revision("a0000001", None, keep),
            revision("b0000002", Some("a0000001"), &weird),
        ],
    );
    case.upgrade("a0000001");
    let before = case.schema();
    case.upgrade("b0000002");
    assert!(case.has_table(WEIRD));
    assert!(case.has_table("x"), "table x was dropped");
    assert_eq!(case.rows("SELECT keep FROM x"), ["1"]);
    let quoted = format!("\"{}\"", WEIRD.replace('"', "\"\""));
    assert_eq!(
        case.rows(&format!("SELECT id, {quoted} FROM {quoted} ORDER BY id")),
        [format!("1|{WEIRD}"), "2|it's".to_string()]
    );
    let columns = if case.pg() {
        case.rows(&format!(
            "SELECT column_name || ' ' || is_nullable FROM information_schema.columns WHERE table_name = '{WEIRD}' ORDER BY ordinal_position"
        ))
    } else {
        case.rows(&format!(
            "SELECT name || ' ' || \"notnull\" FROM pragma_table_info('{WEIRD}')"
        ))
    };
    let (not_null, nullable) = if case.pg() { ("NO", "YES") } else { ("1", "0") };
    assert_eq!(
        columns,
        [
            format!("id {not_null}"),
            format!("{WEIRD} {not_null}"),
            format!("u_{WEIRD} {nullable}")
        ]
    );
    let index = if case.pg() {
        case.rows(&format!(
            "SELECT indexname FROM pg_indexes WHERE tablename = '{WEIRD}' AND indexname LIKE 'ix\\_%'"
        ))
    } else {
        case.rows(&format!(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '{WEIRD}' AND sql IS NOT NULL"
        ))
    };
    assert_eq!(index, [format!("ix_{WEIRD}")]);

    case.downgrade("a0000001", &[]);
    assert!(!case.has_table(WEIRD));
    assert!(case.has_table("x"));
    assert_eq!(case.rows("SELECT keep FROM x"), ["1"]);
    assert_eq!(case.schema(), before);
}

#[test]
fn postgres_a_weird_name_is_created_literally_and_nothing_else_happens() {
    weird_names(Kind::Postgres);
}

#[test]
fn sqlite_a_weird_name_is_created_literally_and_nothing_else_happens() {
    weird_names(Kind::Sqlite);
}

// ---------------------------------------------------------------------------------------------
// bulk_insert fails on a conflict, whatever the table's own ON CONFLICT clause says.

#[test]
fn sqlite_bulk_insert_into_an_on_conflict_replace_table_overwrote_existing_rows() {
    let table = r#"
[[upgrade]]
op = "execute"
sqlite = "CREATE TABLE settings (id INTEGER PRIMARY KEY ON CONFLICT REPLACE, value text UNIQUE ON CONFLICT IGNORE); INSERT INTO settings VALUES (1, 'kept')"

[[downgrade]]
op = "execute"
sqlite = "DROP TABLE settings"
confirm_data_loss = "a0000001"
"#;
    let seed = r#"
[[upgrade]]
op = "bulk_insert"
table_name = "settings"
rows = [ { id = 2, value = "new" }, { id = 1, value = "overwritten" } ]

[[downgrade]]
op = "execute"
sqlite = "DELETE FROM settings WHERE id = 2"
"#;
    let case = Case::new(
        Kind::Sqlite,
        &[
            revision("a0000001", None, table),
            revision("b0000002", Some("a0000001"), seed),
        ],
    );
    case.upgrade("a0000001");
    let (code, stderr) = case.project.fails(&["upgrade", "b0000002"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("UNIQUE constraint failed"), "{stderr}");
    assert_eq!(
        case.rows("SELECT id, value FROM settings ORDER BY id"),
        ["1|kept"]
    );
    assert_eq!(case.project.heads(), ["a0000001"]);
}

// ---------------------------------------------------------------------------------------------
// SQL fragments of typed operations are one expression each: a second statement is bad input.

fn server_default_holding_a_second_statement(kind: Kind) {
    let users = r#"
[[upgrade]]
op = "create_table"
table_name = "users"
columns = [ { name = "id", type = "integer", primary_key = true } ]

[[upgrade]]
op = "bulk_insert"
table_name = "users"
rows = [ { id = 1 }, { id = 2 } ]

[[downgrade]]
op = "drop_table"
table_name = "users"
confirm_data_loss = "users"
"#;
    let flag = r#"
[[upgrade]]
op = "add_column"
table_name = "users"
column = { name = "flag", type = "integer", server_default = "0; DELETE FROM users" }
"#;
    let case = Case::new(kind, &[revision("a0000001", None, users)]);
    case.upgrade("a0000001");
    let (name, text) = revision("b0000002", Some("a0000001"), flag);
    std::fs::write(case.project.path().join("revisions").join(&name), text).unwrap();
    let (code, stderr) = case.project.fails(&["upgrade", "head"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{name}: revision b0000002, operation 1 (add_column users.flag): `server_default` must be one SQL expression, but it holds a `;`"
        )),
        "{stderr}"
    );
    assert_eq!(case.rows("SELECT id FROM users ORDER BY id"), ["1", "2"]);
    std::fs::remove_file(case.project.path().join("revisions").join(&name)).unwrap();
    assert_eq!(case.project.heads(), ["a0000001"]);
}

#[test]
fn postgres_a_server_default_holding_a_second_statement_ran_it() {
    server_default_holding_a_second_statement(Kind::Postgres);
}

#[test]
fn sqlite_a_server_default_holding_a_second_statement_ran_it() {
    server_default_holding_a_second_statement(Kind::Sqlite);
}

// ---------------------------------------------------------------------------------------------
// An operation the dialect cannot run

/// An array column on SQLite, in the second step of a plan: the plan is refused as bad input
/// before its first step runs, rather than failing after it committed.
#[test]
fn sqlite_an_operation_sqlite_cannot_run_is_refused_before_the_plan_starts() {
    let tags = r#"
[[upgrade]]
op = "create_table"
table_name = "tags"
columns = [ { name = "id", type = "integer", primary_key = true }, { name = "names", type = "text[]" } ]
"#;
    let case = Case::new(
        Kind::Sqlite,
        &[
            revision("a0000001", None, TEAMS),
            revision("b0000002", Some("a0000001"), tags),
        ],
    );
    case.exec("CREATE TABLE marker (x integer)");
    let (code, stderr) = case.project.fails(&["upgrade", "head"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("b0000002_test.toml: revision 'b0000002', upgrade operation 1: create_table tags cannot be rendered for sqlite: column `names`: SQLite has no array types"),
        "{stderr}"
    );
    assert!(!case.has_table("teams"));
    assert!(!case.has_table("alembic_version"));
}
