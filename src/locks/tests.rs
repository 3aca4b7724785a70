use super::postgres::Reader;
use super::*;
use crate::ops::sql::render;

/// Reads `statements` in order with one reader: each statement's annotation and rules.
fn read(statements: &[&str]) -> Vec<(String, Vec<&'static str>)> {
    let mut reader = Reader::default();
    statements
        .iter()
        .flat_map(|sql| reader.read(sql))
        .map(|statement| (statement.annotation(), rules(&statement)))
        .collect()
}

fn rules(statement: &StatementLocks) -> Vec<&'static str> {
    match &statement.effect {
        Effect::Known(locks) => locks.rules.iter().map(|rule| rule.name()).collect(),
        Effect::Unknown => Vec::new(),
    }
}

/// The annotation and rules of the last statement of `statements`, read in order.
fn last(statements: &[&str]) -> (String, Vec<&'static str>) {
    read(statements).pop().unwrap()
}

fn op(toml_text: &str) -> Operation {
    toml::from_str(toml_text).unwrap_or_else(|error| panic!("{toml_text}: {error}"))
}

const AE: &str = "ACCESS EXCLUSIVE on accounts (blocks reads and writes)";

#[test]
fn each_rule_from_the_statement_that_breaks_it() {
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["ALTER TABLE accounts ALTER COLUMN balance TYPE bigint"],
            "rewrites the table",
            "changing-column-type",
        ),
        (
            &["ALTER TABLE accounts ALTER COLUMN balance SET DATA TYPE numeric(12,2) USING balance / 100"],
            "rewrites the table",
            "changing-column-type",
        ),
        (
            &["ALTER TABLE accounts ADD COLUMN token uuid DEFAULT gen_random_uuid()"],
            "rewrites the table",
            "adding-field-with-volatile-default",
        ),
        (
            &["ALTER TABLE accounts ADD COLUMN seen timestamptz NOT NULL DEFAULT clock_timestamp()"],
            "rewrites the table",
            "adding-field-with-volatile-default",
        ),
        (
            &["ALTER TABLE accounts ADD COLUMN n bigserial"],
            "rewrites the table",
            "adding-field-with-volatile-default",
        ),
        (
            &["ALTER TABLE accounts ADD COLUMN n integer GENERATED ALWAYS AS IDENTITY"],
            "rewrites the table",
            "adding-field-with-volatile-default",
        ),
        (
            &["ALTER TABLE accounts ADD COLUMN cents bigint GENERATED ALWAYS AS (balance * 100) STORED"],
            "rewrites the table",
            "adding-stored-generated-field",
        ),
        (
            &["ALTER TABLE accounts ADD COLUMN region text NOT NULL"],
            "scans the table",
            "adding-required-field",
        ),
        (
            &["ALTER TABLE accounts ALTER COLUMN email SET NOT NULL"],
            "scans the table",
            "setting-not-null-field",
        ),
        (
            &["ALTER TABLE accounts ADD CONSTRAINT positive CHECK (balance >= 0)"],
            "scans the table",
            "adding-check-constraint-without-not-valid",
        ),
        (
            &["ALTER TABLE accounts ADD COLUMN age int CHECK (age > 0)"],
            "scans the table",
            "adding-check-constraint-without-not-valid",
        ),
        (
            &["ALTER TABLE accounts ADD CONSTRAINT uq_email UNIQUE (email)"],
            "scans the table to build an index",
            "adding-unique-constraint",
        ),
        (
            &["ALTER TABLE accounts ADD PRIMARY KEY (id)"],
            "scans the table to build an index",
            "adding-unique-constraint",
        ),
        (
            &["ALTER TABLE accounts ADD COLUMN code text UNIQUE"],
            "scans the table to build an index",
            "adding-unique-constraint",
        ),
        (
            &["ALTER TABLE accounts ADD CONSTRAINT no_overlap EXCLUDE USING gist (during WITH &&)"],
            "scans the table to build an index",
            "adding-exclusion-constraint",
        ),
        (
            &["ALTER TABLE accounts SET LOGGED"],
            "rewrites the table",
            "rewriting-table",
        ),
        (&["VACUUM FULL accounts"], "rewrites the table", "rewriting-table"),
        (
            &["CLUSTER accounts USING accounts_pkey"],
            "rewrites the table",
            "rewriting-table",
        ),
        (
            &["ALTER TABLE accounts SET TABLESPACE archive"],
            "rewrites the table",
            "rewriting-table",
        ),
    ];
    for (statements, work, rule) in cases {
        let (annotation, rules) = last(statements);
        assert_eq!(
            annotation,
            format!("-- lock: {AE}; {work}"),
            "{statements:?}"
        );
        assert_eq!(rules, [*rule], "{statements:?}");
    }
}

#[test]
fn rules_of_statements_that_block_writes_or_lock_other_tables() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "ALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users (id)",
            "-- lock: SHARE ROW EXCLUSIVE on orders, users (blocks writes); scans orders",
            "adding-foreign-key-without-not-valid",
        ),
        (
            "ALTER TABLE orders ADD COLUMN user_id int REFERENCES users (id)",
            "-- lock: ACCESS EXCLUSIVE on orders (blocks reads and writes) and SHARE ROW EXCLUSIVE on users (blocks writes); scans orders",
            "adding-foreign-key-without-not-valid",
        ),
        (
            "CREATE INDEX ix_accounts_email ON accounts (email)",
            "-- lock: SHARE on accounts (blocks writes); scans the table to build an index",
            "require-concurrent-index-creation",
        ),
        (
            "CREATE UNIQUE INDEX ix ON public.accounts USING btree (lower(email)) WHERE active",
            "-- lock: SHARE on public.accounts (blocks writes); scans the table to build an index",
            "require-concurrent-index-creation",
        ),
        (
            "DROP INDEX ix_accounts_email",
            "-- lock: ACCESS EXCLUSIVE on the table of index ix_accounts_email (blocks reads and writes); catalog only",
            "require-concurrent-index-deletion",
        ),
        (
            "REINDEX TABLE accounts",
            "-- lock: SHARE on accounts (blocks writes); scans the table to build an index",
            "require-concurrent-reindex",
        ),
        (
            "REINDEX INDEX ix_accounts_email",
            "-- lock: SHARE on the table of index ix_accounts_email (blocks writes) and ACCESS EXCLUSIVE on ix_accounts_email (blocks reads and writes); scans the table of index ix_accounts_email to build an index",
            "require-concurrent-reindex",
        ),
    ];
    for (sql, annotation, rule) in cases {
        assert_eq!(last(&[sql]), (annotation.to_string(), vec![*rule]), "{sql}");
    }
}

#[test]
fn safe_forms_and_catalog_changes_break_no_rule() {
    let cases: &[(&[&str], &str)] = &[
        // PostgreSQL 11 keeps a constant or stable default in the catalog.
        (
            &["ALTER TABLE accounts ADD COLUMN active boolean NOT NULL DEFAULT true"],
            &format!("-- lock: {AE}; catalog only"),
        ),
        (
            &["ALTER TABLE accounts ADD COLUMN created timestamptz DEFAULT now()"],
            &format!("-- lock: {AE}; catalog only"),
        ),
        (
            &["ALTER TABLE accounts ADD COLUMN note text"],
            &format!("-- lock: {AE}; catalog only"),
        ),
        (
            &["ALTER TABLE accounts ADD CONSTRAINT positive CHECK (balance >= 0) NOT VALID"],
            &format!("-- lock: {AE}; catalog only"),
        ),
        (
            &["ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID"],
            "-- lock: SHARE ROW EXCLUSIVE on orders, users (blocks writes); catalog only",
        ),
        (
            &["ALTER TABLE accounts VALIDATE CONSTRAINT positive"],
            "-- lock: SHARE UPDATE EXCLUSIVE on accounts; scans the table",
        ),
        (
            &["CREATE INDEX CONCURRENTLY ix ON accounts (email)"],
            "-- lock: SHARE UPDATE EXCLUSIVE on accounts; scans the table to build an index",
        ),
        (
            &["DROP INDEX CONCURRENTLY IF EXISTS ix"],
            "-- lock: SHARE UPDATE EXCLUSIVE on the table of index ix; catalog only",
        ),
        (
            &["REINDEX INDEX CONCURRENTLY ix"],
            "-- lock: SHARE UPDATE EXCLUSIVE on the table of index ix; scans the table to build an index",
        ),
        (
            &["ALTER TABLE accounts ADD CONSTRAINT uq_email UNIQUE USING INDEX ix_email"],
            &format!("-- lock: {AE}; catalog only"),
        ),
        (
            &["ALTER TABLE accounts RENAME TO members"],
            &format!("-- lock: {AE}; catalog only"),
        ),
        (
            &["ALTER TABLE accounts RENAME COLUMN email TO mail"],
            &format!("-- lock: {AE}; catalog only"),
        ),
        (
            &["ALTER TABLE accounts DROP COLUMN email"],
            &format!("-- lock: {AE}; catalog only"),
        ),
        (
            &["DROP TABLE accounts"],
            &format!("-- lock: {AE}; catalog only"),
        ),
        (
            &["ALTER TABLE accounts ALTER COLUMN email DROP NOT NULL, ALTER COLUMN email SET DEFAULT ''"],
            &format!("-- lock: {AE}; catalog only"),
        ),
        (
            &["ALTER INDEX ix RENAME TO ix_email"],
            "-- lock: SHARE UPDATE EXCLUSIVE on ix; catalog only",
        ),
        (
            &["ALTER SEQUENCE accounts_id_seq RENAME TO members_id_seq"],
            "-- lock: ACCESS EXCLUSIVE on accounts_id_seq (blocks reads and writes); catalog only",
        ),
        (
            &["ALTER TABLE accounts ALTER COLUMN email SET STATISTICS 500"],
            "-- lock: SHARE UPDATE EXCLUSIVE on accounts; catalog only",
        ),
        (
            &["COMMENT ON COLUMN accounts.email IS 'where we write'"],
            "-- lock: SHARE UPDATE EXCLUSIVE on accounts; catalog only",
        ),
        (
            &["CREATE TRIGGER t BEFORE INSERT ON accounts FOR EACH ROW EXECUTE FUNCTION f()"],
            "-- lock: SHARE ROW EXCLUSIVE on accounts (blocks writes); catalog only",
        ),
        (
            &["CREATE TYPE mood AS ENUM ('happy', 'sad')"],
            "-- lock: none",
        ),
        (&["SET lock_timeout = '2s'"], "-- lock: none"),
        (
            &["CREATE TABLE orders (id serial PRIMARY KEY, user_id int REFERENCES users (id))"],
            "-- lock: SHARE ROW EXCLUSIVE on users (blocks writes)",
        ),
        (
            &["INSERT INTO accounts (id) VALUES (1)"],
            "-- lock: ROW EXCLUSIVE on accounts; writes rows",
        ),
        (
            &["UPDATE accounts SET email = lower(email) FROM users WHERE users.id = accounts.id"],
            "-- lock: ROW EXCLUSIVE on accounts and ACCESS SHARE on users; writes rows",
        ),
        (
            &["SELECT count(*) FROM accounts"],
            "-- lock: ACCESS SHARE on accounts; reads rows",
        ),
        (
            &["LOCK TABLE accounts IN ROW SHARE MODE"],
            "-- lock: ROW SHARE on accounts",
        ),
        (
            &["LOCK TABLE accounts IN EXCLUSIVE MODE"],
            "-- lock: EXCLUSIVE on accounts (blocks writes)",
        ),
        (
            &["VACUUM accounts"],
            "-- lock: SHARE UPDATE EXCLUSIVE on accounts; scans the table",
        ),
    ];
    for (statements, annotation) in cases {
        assert_eq!(
            last(statements),
            (annotation.to_string(), Vec::new()),
            "{statements:?}"
        );
    }
}

#[test]
fn what_the_statements_before_made_changes_what_a_statement_does() {
    let cases: &[(&[&str], &str, &[&str])] = &[
        // A table created in the same run holds no rows and no traffic.
        (
            &[
                "CREATE TABLE accounts (id int, email varchar(20))",
                "CREATE INDEX ix ON accounts (email)",
            ],
            "-- lock: SHARE on accounts (blocks writes); scans the table to build an index",
            &[],
        ),
        (
            &[
                "CREATE TABLE staging (id int)",
                "ALTER TABLE staging RENAME TO accounts",
                "ALTER TABLE accounts ALTER COLUMN id SET NOT NULL",
            ],
            &format!("-- lock: {AE}; scans the table"),
            &[],
        ),
        (
            &[
                "CREATE TABLE accounts (id int)",
                "CREATE INDEX ix ON accounts (id)",
                "DROP INDEX ix",
            ],
            &format!("-- lock: {AE}; catalog only"),
            &[],
        ),
        // Created IF NOT EXISTS: it may have been there, with its rows.
        (
            &[
                "CREATE TABLE IF NOT EXISTS accounts (id int)",
                "CREATE INDEX ix ON accounts (id)",
            ],
            "-- lock: SHARE on accounts (blocks writes); scans the table to build an index",
            &["require-concurrent-index-creation"],
        ),
        // The index named an existing table: the drop locks that table.
        (
            &["CREATE INDEX CONCURRENTLY ix ON accounts (id)", "DROP INDEX ix"],
            &format!("-- lock: {AE}; catalog only"),
            &["require-concurrent-index-deletion"],
        ),
        // A binary-coercible type change when the old type is known.
        (
            &[
                "CREATE TABLE accounts (email varchar(20), balance numeric(10,2))",
                "ALTER TABLE accounts ALTER COLUMN email TYPE varchar(40)",
            ],
            &format!("-- lock: {AE}; catalog only"),
            &[],
        ),
        (
            &[
                "CREATE TABLE accounts (email varchar(20))",
                "ALTER TABLE accounts ALTER COLUMN email TYPE text",
            ],
            &format!("-- lock: {AE}; catalog only"),
            &[],
        ),
        (
            &[
                "CREATE TABLE accounts (balance numeric(10,2))",
                "ALTER TABLE accounts ALTER COLUMN balance TYPE numeric(14,2)",
            ],
            &format!("-- lock: {AE}; catalog only"),
            &[],
        ),
        (
            &[
                "CREATE TABLE accounts (email varchar(40))",
                "ALTER TABLE accounts ALTER COLUMN email TYPE varchar(20)",
            ],
            &format!("-- lock: {AE}; rewrites the table"),
            &[],
        ),
        // The NOT VALID check, validated, proves the column for SET NOT NULL (PostgreSQL 12).
        (
            &[
                "ALTER TABLE accounts ADD CONSTRAINT email_not_null CHECK (email IS NOT NULL) NOT VALID",
                "ALTER TABLE accounts VALIDATE CONSTRAINT email_not_null",
                "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL",
            ],
            &format!("-- lock: {AE}; catalog only"),
            &[],
        ),
        // Not validated yet: the scan still happens.
        (
            &[
                "ALTER TABLE accounts ADD CONSTRAINT email_not_null CHECK (email IS NOT NULL) NOT VALID",
                "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL",
            ],
            &format!("-- lock: {AE}; scans the table"),
            &["setting-not-null-field"],
        ),
    ];
    for (statements, annotation, rules) in cases {
        assert_eq!(
            last(statements),
            (annotation.to_string(), rules.to_vec()),
            "{statements:?}"
        );
    }
}

#[test]
fn statements_it_does_not_know_are_unknown_not_guessed() {
    let unknown = "-- lock: unknown (rmig does not know what this statement locks)";
    for sql in [
        "DO $$ BEGIN EXECUTE 'ALTER TABLE accounts ADD COLUMN x int'; END $$",
        "SELECT migrate_accounts()",
        "UPDATE accounts SET email = my_normalize(email)",
        "WITH gone AS (DELETE FROM accounts RETURNING id) SELECT count(*) FROM gone",
        "DROP TABLE accounts CASCADE",
        "TRUNCATE accounts CASCADE",
        "CREATE TABLE copy AS SELECT * FROM accounts",
        "CREATE EXTENSION pg_trgm",
        "BEGIN",
        "ALTER TABLE accounts ALTER COLUMN email SET STORAGE EXTERNAL",
        "CLUSTER",
        "REINDEX DATABASE app",
    ] {
        assert_eq!(last(&[sql]), (unknown.to_string(), Vec::new()), "{sql}");
    }
    // The kind of statement is known, its effect on the table is not.
    assert_eq!(
        last(&["ALTER TABLE accounts ADD COLUMN tag text DEFAULT my_tag()"]),
        (
            format!("-- lock: {AE}; rmig cannot tell whether it scans or rewrites the table"),
            Vec::new()
        )
    );
}

#[test]
fn each_statement_of_a_script_is_read_on_its_own() {
    let read = read(&[
        "CREATE INDEX ix ON accounts (email);\nDO $$ BEGIN NULL; END $$;\nALTER TABLE accounts ALTER COLUMN email SET NOT NULL;",
    ]);
    let rules: Vec<Vec<&str>> = read.iter().map(|(_, rules)| rules.clone()).collect();
    assert_eq!(
        rules,
        [
            vec!["require-concurrent-index-creation"],
            vec![],
            vec!["setting-not-null-field"]
        ]
    );
    assert!(read[1].0.contains("unknown"), "{read:?}");
}

#[test]
fn operations_tell_what_their_sql_does_not() {
    let mut reader = LockReader::for_dialect(Dialect::Postgresql).unwrap();
    let mut rules_of = |toml_text: &str| -> Vec<Vec<&'static str>> {
        let op = op(toml_text);
        let statements = render(&op, Dialect::Postgresql).unwrap();
        reader
            .operation(&op, &statements)
            .iter()
            .flatten()
            .map(rules)
            .collect()
    };
    // Widening with the old type given: no rewrite.
    assert_eq!(
        rules_of("op = \"alter_column\"\ntable_name = \"accounts\"\ncolumn_name = \"email\"\ntype_ = \"varchar(80)\"\nexisting_type = \"varchar(40)\""),
        [Vec::<&str>::new()]
    );
    assert_eq!(
        rules_of("op = \"alter_column\"\ntable_name = \"accounts\"\ncolumn_name = \"note\"\nsql_type = \"text\"\nexisting_sql_type = \"character varying(40)\""),
        [Vec::<&str>::new()]
    );
    // Without it, a type change rewrites.
    assert_eq!(
        rules_of("op = \"alter_column\"\ntable_name = \"accounts\"\ncolumn_name = \"name\"\ntype_ = \"varchar(80)\""),
        [vec!["changing-column-type"]]
    );
    // The drop's table_name names the table it locks.
    let op =
        op("op = \"drop_index\"\nindex_name = \"ix_accounts_email\"\ntable_name = \"accounts\"");
    let statements = render(&op, Dialect::Postgresql).unwrap();
    let read = reader.operation(&op, &statements);
    assert_eq!(
        read[0][0].annotation(),
        format!("-- lock: {AE}; catalog only")
    );
}

#[test]
fn sqlite_has_no_lock_reader() {
    assert!(LockReader::for_dialect(Dialect::Sqlite).is_none());
}

#[test]
fn lock_modes_conflict_as_postgresql_tables_them() {
    use LockMode::*;
    let all = [
        AccessShare,
        RowShare,
        RowExclusive,
        ShareUpdateExclusive,
        Share,
        ShareRowExclusive,
        Exclusive,
        AccessExclusive,
    ];
    for a in all {
        for b in all {
            assert_eq!(a.conflicts_with(b), b.conflicts_with(a), "{a:?} {b:?}");
        }
    }
    let blocks: Vec<Option<&str>> = all.iter().map(|mode| mode.blocks()).collect();
    assert_eq!(
        blocks,
        [
            None,
            None,
            None,
            None,
            Some("writes"),
            Some("writes"),
            Some("writes"),
            Some("reads and writes")
        ]
    );
    assert!(!ShareUpdateExclusive.conflicts_with(RowExclusive));
    assert!(ShareUpdateExclusive.conflicts_with(ShareUpdateExclusive));
    assert!(!Share.conflicts_with(Share));
}

#[test]
fn rule_names_are_unique_and_each_has_a_fix() {
    for (index, rule) in Rule::ALL.iter().enumerate() {
        assert!(
            Rule::ALL[index + 1..]
                .iter()
                .all(|other| other.name() != rule.name()),
            "{rule}"
        );
        assert!(!rule.fix().ends_with('.'), "{rule}: {}", rule.fix());
    }
}

#[test]
fn sizes_read_as_postgresql_prints_them() {
    use super::report::pretty_bytes;
    assert_eq!(pretty_bytes(8192), "8192 bytes");
    assert_eq!(pretty_bytes(10 * 1024), "10 kB");
    assert_eq!(pretty_bytes(3 * 1024 * 1024 * 1024), "3072 MB");
    assert_eq!(pretty_bytes(30 * 1024 * 1024 * 1024), "30 GB");
}

#[test]
fn a_statement_run_unless_its_object_exists_is_read_inside_its_do_block() {
    let op = op("op = \"create_enum\"\nenum_name = \"mood\"\nvalues = [\"happy\", \"sad\"]\nif_not_exists = true");
    let statements = render(&op, Dialect::Postgresql).unwrap();
    let mut reader = LockReader::for_dialect(Dialect::Postgresql).unwrap();
    assert_eq!(
        reader.operation(&op, &statements)[0][0].annotation(),
        "-- lock: none"
    );
    assert_eq!(
        last(&["DO $$ BEGIN CREATE INDEX ix ON accounts (email); EXCEPTION WHEN duplicate_object THEN NULL; END $$"]),
        (
            "-- lock: SHARE on accounts (blocks writes); scans the table to build an index".to_string(),
            vec!["require-concurrent-index-creation"]
        )
    );
}

#[test]
fn statements_are_quoted_as_written_and_comments_hide_nothing() {
    let mut reader = Reader::default();
    let read = reader.read(
        "-- the index goes\nDROP INDEX CONCURRENTLY ix;\nCREATE INDEX ix2 ON accounts (email)",
    );
    let sql: Vec<&str> = read
        .iter()
        .map(|statement| statement.sql.as_str())
        .collect();
    assert_eq!(
        sql,
        [
            "-- the index goes DROP INDEX CONCURRENTLY ix",
            "CREATE INDEX ix2 ON accounts (email)"
        ]
    );
    assert_eq!(
        read[0].annotation(),
        "-- lock: SHARE UPDATE EXCLUSIVE on the table of index ix; catalog only"
    );
}
