//! The lock report through the real binary: `upgrade --sql` puts a `-- lock:` comment above
//! each statement of an operation, and `check --lint` flags each upgrade statement that holds
//! an existing table's reads or writes while it scans, indexes or rewrites it, as text, JSON
//! and GitHub workflow commands, with table sizes read from a real database under `--sizes`.
//! The project has one revision per rule and revisions that must raise nothing: a table made
//! in the same revision, the CONCURRENTLY forms, NOT VALID then VALIDATE, a constant default.

mod common;

use common::{Project, TestDatabase};

const NO_DOWNGRADE: &str = "\n[[downgrade]]\nop = \"execute\"\nsqltext = \"SELECT 1\"\n";

/// A revision whose upgrade is `upgrade` (TOML tables) and whose downgrade does nothing.
fn revision(id: &str, down: Option<&str>, upgrade: &str) -> String {
    let down = down
        .map(|down| format!("down_revision = \"{down}\"\n"))
        .unwrap_or_default();
    format!("revision = \"{id}\"\n{down}\n{upgrade}{NO_DOWNGRADE}")
}

/// A revision that runs outside a transaction, as CONCURRENTLY needs.
fn non_transactional(id: &str, down: &str, upgrade: &str) -> String {
    revision(
        id,
        Some(down),
        &format!("transactional = false\n\n{upgrade}"),
    )
}

fn execute(sql: &str) -> String {
    format!("[[upgrade]]\nop = \"execute\"\nsqltext = \"{sql}\"\n")
}

const BASE: &str = r#"[[upgrade]]
op = "create_table"
table_name = "accounts"
columns = [ { name = "id", type = "integer", primary_key = true }, { name = "email", type = "varchar(40)" }, { name = "balance", type = "integer" } ]

[[upgrade]]
op = "create_table"
table_name = "users"
columns = [ { name = "id", type = "integer", primary_key = true } ]

[[upgrade]]
op = "create_index"
index_name = "ix_accounts_email"
table_name = "accounts"
columns = ["email"]
"#;

/// A revision whose operation `op_index` breaks `rule`.
struct RuleRevision {
    id: &'static str,
    upgrade: String,
    op_index: usize,
    rule: &'static str,
}

fn breaks(id: &'static str, upgrade: String, op_index: usize, rule: &'static str) -> RuleRevision {
    RuleRevision {
        id,
        upgrade,
        op_index,
        rule,
    }
}

/// One revision per rule, in rule order.
fn rule_revisions() -> Vec<RuleRevision> {
    vec![
        breaks(
            "b01",
            "[[upgrade]]\nop = \"alter_column\"\ntable_name = \"accounts\"\ncolumn_name = \"balance\"\ntype_ = \"bigint\"\nexisting_type = \"integer\"\n".to_string(),
            0,
            "changing-column-type",
        ),
        breaks(
            "b02",
            "[[upgrade]]\nop = \"add_column\"\ntable_name = \"accounts\"\ncolumn = { name = \"token\", type = \"uuid\", server_default = \"gen_random_uuid()\" }\n".to_string(),
            0,
            "adding-field-with-volatile-default",
        ),
        breaks(
            "b03",
            execute("ALTER TABLE accounts ADD COLUMN cents bigint GENERATED ALWAYS AS (balance * 100) STORED"),
            0,
            "adding-stored-generated-field",
        ),
        breaks(
            "b04",
            execute("ALTER TABLE accounts ADD COLUMN region text NOT NULL"),
            0,
            "adding-required-field",
        ),
        breaks(
            "b05",
            execute("ALTER TABLE accounts ALTER COLUMN email SET NOT NULL"),
            0,
            "setting-not-null-field",
        ),
        breaks(
            "b06",
            execute("ALTER TABLE accounts ADD CONSTRAINT positive CHECK (balance >= 0)"),
            0,
            "adding-check-constraint-without-not-valid",
        ),
        breaks(
            "b07",
            format!(
                "{}\n{}",
                execute("ALTER TABLE accounts ADD COLUMN user_id integer"),
                execute("ALTER TABLE accounts ADD CONSTRAINT fk_accounts_users FOREIGN KEY (user_id) REFERENCES users (id)")
            ),
            1,
            "adding-foreign-key-without-not-valid",
        ),
        breaks(
            "b08",
            execute("ALTER TABLE accounts ADD CONSTRAINT uq_accounts_email UNIQUE (email)"),
            0,
            "adding-unique-constraint",
        ),
        breaks(
            "b09",
            execute("ALTER TABLE accounts ADD CONSTRAINT no_overlap EXCLUDE USING gist (id WITH =)"),
            0,
            "adding-exclusion-constraint",
        ),
        breaks(
            "b10",
            execute("CREATE INDEX ix_accounts_balance ON accounts (balance)"),
            0,
            "require-concurrent-index-creation",
        ),
        breaks(
            "b11",
            execute("DROP INDEX ix_accounts_email"),
            0,
            "require-concurrent-index-deletion",
        ),
        breaks(
            "b12",
            execute("REINDEX TABLE accounts"),
            0,
            "require-concurrent-reindex",
        ),
        breaks(
            "b13",
            execute("VACUUM FULL accounts"),
            0,
            "rewriting-table",
        ),
    ]
}

/// Revisions that hold no existing table up; `true` for one that runs outside a transaction.
fn quiet_revisions() -> Vec<(&'static str, bool, String)> {
    vec![
        // A table made in the same revision holds no rows and no traffic yet.
        (
            "c01",
            false,
            format!(
                "[[upgrade]]\nop = \"create_table\"\ntable_name = \"audit\"\ncolumns = [ {{ name = \"id\", type = \"integer\" }} ]\n\n{}\n{}",
                execute("CREATE INDEX ix_audit_id ON audit (id)"),
                execute("ALTER TABLE audit ADD COLUMN n bigserial; ALTER TABLE audit ALTER COLUMN id SET NOT NULL")
            ),
        ),
        (
            "c02",
            true,
            format!(
                "{}\n{}",
                execute("CREATE INDEX CONCURRENTLY ix_accounts_region ON accounts (region)"),
                execute("DROP INDEX CONCURRENTLY ix_accounts_balance")
            ),
        ),
        (
            "c03",
            false,
            execute("ALTER TABLE accounts ADD CONSTRAINT positive2 CHECK (balance >= 0) NOT VALID; ALTER TABLE accounts VALIDATE CONSTRAINT positive2; ALTER TABLE accounts ADD CONSTRAINT region_nn CHECK (region IS NOT NULL) NOT VALID; ALTER TABLE accounts VALIDATE CONSTRAINT region_nn; ALTER TABLE accounts ALTER COLUMN region SET NOT NULL"),
        ),
        // Typed operations on an existing table run in their lock-safe forms
        // (src/ops/online.rs): CONCURRENTLY, NOT VALID then VALIDATE, a unique index built
        // concurrently, NOT NULL through a validated check.
        (
            "c04",
            true,
            r#"[[upgrade]]
op = "create_index"
index_name = "ix_accounts_token"
table_name = "accounts"
columns = ["token"]

[[upgrade]]
op = "drop_index"
index_name = "ix_accounts_token"
table_name = "accounts"
columns = ["token"]

[[upgrade]]
op = "create_check_constraint"
constraint_name = "ck_accounts_cents"
table_name = "accounts"
condition = "cents >= 0"

[[upgrade]]
op = "create_foreign_key"
constraint_name = "fk_accounts_users_again"
source_table = "accounts"
referent_table = "users"
local_cols = ["user_id"]
remote_cols = ["id"]

[[upgrade]]
op = "create_unique_constraint"
constraint_name = "uq_accounts_token"
table_name = "accounts"
columns = ["token"]

[[upgrade]]
op = "alter_column"
table_name = "accounts"
column_name = "cents"
nullable = false
existing_nullable = true
"#
            .to_string(),
        ),
        (
            "c05",
            false,
            "[[upgrade]]\nop = \"add_column\"\ntable_name = \"accounts\"\ncolumn = { name = \"active\", type = \"boolean\", nullable = false, server_default = \"true\" }\n".to_string(),
        ),
    ]
}

/// The whole history as files: the base, each rule's revision, the quiet ones, in a line.
fn files() -> Vec<(String, String)> {
    let mut files = vec![("a00_base.toml".to_string(), revision("a00", None, BASE))];
    let mut down = "a00".to_string();
    let rules = rule_revisions()
        .into_iter()
        .map(|revision| (revision.id, false, revision.upgrade));
    for (id, outside_transaction, upgrade) in rules.chain(quiet_revisions()) {
        let text = if outside_transaction {
            non_transactional(id, &down, &upgrade)
        } else {
            revision(id, Some(&down), &upgrade)
        };
        files.push((format!("{id}_x.toml"), text));
        down = id.to_string();
    }
    files
}

fn project(url: &str) -> Project {
    let files = files();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(name, text)| (name.as_str(), text.as_str()))
        .collect();
    Project::new(url, &refs)
}

const OFFLINE_URL: &str = "postgresql://app@127.0.0.1:1/app";

fn lint_json(project: &Project, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["check", "--lint", "--format", "json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&project.ok(&args)).unwrap()
}

#[test]
fn upgrade_sql_says_the_lock_each_statement_takes() {
    let project = project(OFFLINE_URL);
    // From the base on: its tables exist, so typed operations take their lock-safe forms.
    let script = project.ok(&["upgrade", "a00:head", "--sql"]);
    insta::assert_snapshot!(script);
    // Each statement of an operation has its comment; the version table's (Alembic's), the
    // transaction bounds and the note on a concurrent build's leftovers do not.
    for block in script.split("\n\n").filter(|block| !block.is_empty()) {
        let first = block.lines().next().unwrap();
        let operation = !(first.starts_with("-- Running")
            || first.starts_with("-- rmig first drops")
            || first == "BEGIN;"
            || first == "COMMIT;"
            || block.contains("alembic_version"));
        assert_eq!(first.starts_with("-- lock: "), operation, "{block}");
    }
}

#[test]
fn sqlite_scripts_carry_no_lock_comments() {
    let project = Project::sqlite(&[("a00_base.toml", &revision("a00", None, BASE))]);
    let script = project.ok(&["upgrade", "head", "--sql"]);
    assert!(!script.contains("-- lock"), "{script}");
    let json: serde_json::Value =
        serde_json::from_str(&project.ok(&["check", "--lint", "--json"])).unwrap();
    assert_eq!(json["lock_dialect"], serde_json::Value::Null, "{json}");
    assert_eq!(json["lock_findings"], serde_json::json!([]), "{json}");
    let text = project.ok(&["check", "--lint"]);
    assert!(!text.contains("lock finding"), "{text}");
}

#[test]
fn lint_flags_one_finding_per_rule_and_nothing_else() {
    let project = project(OFFLINE_URL);
    let json = lint_json(&project, &[]);
    assert_eq!(json["lock_dialect"], "postgresql");
    let found: Vec<(String, u64, String)> = json["lock_findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| {
            (
                finding["revision"].as_str().unwrap().to_string(),
                finding["op_index"].as_u64().unwrap(),
                finding["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, u64, String)> = rule_revisions()
        .into_iter()
        .map(|revision| {
            (
                revision.id.to_string(),
                revision.op_index as u64,
                revision.rule.to_string(),
            )
        })
        .collect();
    assert_eq!(found, expected, "{json:#}");
    let first = &json["lock_findings"][0];
    assert_eq!(first["table"]["name"], "accounts");
    assert_eq!(first["lock"], "ACCESS EXCLUSIVE");
    assert_eq!(first["work"], "rewrite");
    assert_eq!(first["path"], "revisions/b01_x.toml");
    assert_eq!(first["size"]["state"], "not_looked_up");
    assert_eq!(json["table_sizes"]["state"], "not_requested");
    assert!(
        first["fix"]
            .as_str()
            .unwrap()
            .starts_with("add a column of the new type"),
        "{first}"
    );
}

#[test]
fn lint_text_lists_each_finding_with_its_rule_place_and_fix() {
    let project = project(OFFLINE_URL);
    let (text, stderr) = project.streams(&["check", "--lint"]);
    assert_eq!(stderr, "");
    assert!(
        text.contains("13 lock findings in 19 revisions: statements that hold an existing table's reads or writes while they work on it.\n"),
        "{text}"
    );
    assert!(
        text.contains("\n  [require-concurrent-index-creation] b10 (revisions/b10_x.toml) upgrade[0] execute SQL: `CREATE INDEX ix_accounts_balance ON accounts (balance)` builds an index on accounts under SHARE, which blocks its writes until the step commits; build it CONCURRENTLY"),
        "{text}"
    );
    assert!(
        text.contains("\n  [adding-foreign-key-without-not-valid] b07 (revisions/b07_x.toml) upgrade[1] execute SQL: "),
        "{text}"
    );
    assert!(
        text.ends_with("Table sizes are not shown; --sizes reads them from the database.\n"),
        "{text}"
    );
    for quiet in ["c01", "c02", "c03", "c04", "c05"] {
        assert!(!text.contains(&format!("] {quiet} ")), "{quiet}: {text}");
    }
}

#[test]
fn lock_findings_warn_and_fail_only_under_strict() {
    let project = project(OFFLINE_URL);
    project.ok(&["check", "--lint"]);
    let (code, stderr) = project.fails(&["check", "--lint", "--strict"]);
    assert_eq!((code, stderr.as_str()), (5, ""));
    // Unconfirmed data loss outranks them: exit 3, strict or not.
    let mut files = files();
    files.push((
        "d01_x.toml".to_string(),
        revision(
            "d01",
            Some("c05"),
            "[[upgrade]]\nop = \"drop_column\"\ntable_name = \"accounts\"\ncolumn_name = \"token\"\n",
        ),
    ));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(name, text)| (name.as_str(), text.as_str()))
        .collect();
    let project = Project::new(OFFLINE_URL, &refs);
    for args in [&["check", "--lint"][..], &["check", "--lint", "--strict"]] {
        assert_eq!(project.fails(args).0, 3, "{args:?}");
    }
}

#[test]
fn github_format_annotates_each_operation_on_its_line() {
    let project = project(OFFLINE_URL);
    let output = project.ok(&["check", "--lint", "--format", "github"]);
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines.len(), 13, "{output}");
    // b07's second operation: its `[[upgrade]]` header is the file's 8th line.
    assert_eq!(
        std::fs::read_to_string(project.path().join("revisions/b07_x.toml"))
            .unwrap()
            .lines()
            .nth(7),
        Some("[[upgrade]]")
    );
    let b07 = lines
        .iter()
        .find(|line| line.contains("title=adding-foreign-key-without-not-valid"))
        .unwrap();
    assert!(
        b07.starts_with("::warning file=revisions/b07_x.toml,line=8,title=adding-foreign-key-without-not-valid::b07 upgrade[1] execute SQL: `ALTER TABLE accounts ADD CONSTRAINT fk_accounts_users"),
        "{b07}"
    );
    let strict = project.run(&["check", "--lint", "--format", "github", "--strict"]);
    assert_eq!(strict.status.code(), Some(5));
    let strict = String::from_utf8(strict.stdout).unwrap();
    assert!(
        strict.lines().all(|line| line.starts_with("::error file=")),
        "{strict}"
    );
    // Without --lint, the github format is bad input.
    let (code, stderr) = project.fails(&["check", "--format", "github"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--lint"), "{stderr}");
}

#[test]
fn sizes_come_from_the_database_when_it_answers() {
    let database = TestDatabase::new();
    let project = project(&database.url);
    project.ok(&["upgrade", "a00"]);
    database
        .client()
        .batch_execute(
            "INSERT INTO accounts (id, email, balance) SELECT g, 'a' || g, g FROM generate_series(1, 20000) g; ANALYZE accounts",
        )
        .unwrap();
    let json = lint_json(&project, &["--sizes"]);
    assert_eq!(json["table_sizes"]["state"], "read", "{json:#}");
    let size = &json["lock_findings"][0]["size"];
    assert_eq!(size["state"], "measured", "{json:#}");
    assert_eq!(size["estimated_rows"], 20000, "{json:#}");
    let bytes = size["bytes"].as_u64().unwrap();
    let expected = database.count("SELECT pg_total_relation_size('accounts')") as u64;
    assert_eq!(bytes, expected);
    let (text, _) = project.streams(&["check", "--lint", "--sizes"]);
    assert!(text.contains(", about 20000 rows); "), "{text}");
    assert!(!text.contains("Table sizes are not shown"), "{text}");

    // A table the database does not have yet: a finding on it says so.
    let mut files = files();
    files.push((
        "d01_x.toml".to_string(),
        revision(
            "d01",
            Some("c05"),
            &format!(
                "{}\n{}",
                execute("CREATE TABLE later (id integer)"),
                execute("ALTER TABLE accounts ADD COLUMN later_id integer REFERENCES later (id)")
            ),
        ),
    ));
    files.push((
        "d02_x.toml".to_string(),
        revision(
            "d02",
            Some("d01"),
            &execute("CREATE INDEX ix_later ON later (id)"),
        ),
    ));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(name, text)| (name.as_str(), text.as_str()))
        .collect();
    let later = Project::new(&database.url, &refs);
    let json = lint_json(&later, &["--sizes"]);
    let last = json["lock_findings"].as_array().unwrap().last().unwrap();
    assert_eq!(
        (last["revision"].as_str(), last["size"]["state"].as_str()),
        (Some("d02"), Some("not_found")),
        "{json:#}"
    );
}

#[test]
fn without_a_reachable_database_sizes_are_left_out_in_one_line() {
    let project = project(OFFLINE_URL);
    let output = project.run(&["check", "--lint", "--sizes", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
    let stderr = common::without_target_line(&String::from_utf8(output.stderr).unwrap());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("rmig: warning: table sizes are not shown: cannot connect to"),
        "{stderr}"
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["table_sizes"]["state"], "unavailable");
    assert_eq!(json["lock_findings"][0]["size"]["state"], "not_looked_up");
    // --sizes goes with --lint only.
    assert_eq!(project.fails(&["check", "--sizes"]).0, 2);
}

#[test]
fn a_project_that_runs_as_one_transaction_keeps_the_plain_forms_and_is_flagged_for_them() {
    let project = project(OFFLINE_URL);
    let (_, rules) = typed_safe_forms(&project);
    assert_eq!(rules, Vec::<String>::new());
    let config = project.path().join("rmig.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        format!("{text}transaction_per_migration = false\n"),
    )
    .unwrap();
    let (script, rules) = typed_safe_forms(&project);
    assert_eq!(
        rules,
        [
            "require-concurrent-index-creation",
            "require-concurrent-index-deletion",
            "adding-check-constraint-without-not-valid",
            "adding-foreign-key-without-not-valid",
            "adding-unique-constraint",
            "setting-not-null-field"
        ]
    );
    assert!(!script.contains("CONCURRENTLY"), "{script}");
}

/// `upgrade c03:c04 --sql` (the revision of typed operations on existing tables), and the
/// rules `check --lint` finds in c04.
fn typed_safe_forms(project: &Project) -> (String, Vec<String>) {
    let script = project.ok(&["upgrade", "c03:c04", "--sql"]);
    let json = lint_json(project, &[]);
    let rules = json["lock_findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["revision"] == "c04")
        .map(|finding| finding["rule"].as_str().unwrap().to_string())
        .collect();
    (script, rules)
}
