//! rmig's own tables beside the real Alembic (1.20.1, from .venv/; see
//! tests/alembic_conformance.rs): after `rmig upgrade head`, Alembic's autogenerate (what
//! `alembic check` and `revision --autogenerate` run), given the application's metadata,
//! proposes nothing about what rmig keeps for itself (issue 16, defect 8); and with
//! `history_table = false` the database holds exactly what Alembic's own run leaves.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{Project, TestDatabase};

/// The application: one table with a serial key and a unique index.
const ACCOUNTS: &str = r#"revision = "a1000000"
message = "accounts"

[[upgrade]]
op = "create_table"
table_name = "accounts"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "email", type = "varchar(100)", nullable = false },
]

[[upgrade]]
op = "create_index"
index_name = "ix_accounts_email"
table_name = "accounts"
columns = ["email"]
unique = true
"#;

/// The same revision as an Alembic script.
const ACCOUNTS_PY: &str = r#"import sqlalchemy as sa
from alembic import op

revision = "a1000000"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(100), nullable=False),
    )
    op.create_index("ix_accounts_email", "accounts", ["email"], unique=True)


def downgrade():
    op.drop_index("ix_accounts_email", "accounts")
    op.drop_table("accounts")
"#;

/// A standard env.py.
const ENV_PY: &str = r#"from alembic import context
from sqlalchemy import create_engine, pool

engine = create_engine(context.config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
"#;

/// One request to tests/alembic_helper.py (a process of its own: these tests make few).
fn alembic(request: serde_json::Value) -> String {
    let python = std::env::var_os("RMIG_ALEMBIC_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"));
    let helper = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/alembic_helper.py");
    let mut child = Command::new(&python)
        .arg(helper)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {} ({e}): run `make test`, which installs the pinned Alembic in .venv/",
                python.display()
            )
        });
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{request}").unwrap();
    drop(stdin);
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    child.wait().unwrap();
    let answer: serde_json::Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("the Alembic helper answered {line:?}: {e}"));
    assert_eq!(answer["ok"], true, "Alembic failed: {}", answer["error"]);
    answer["output"].as_str().unwrap().to_string()
}

/// What Alembic's autogenerate proposes for the database at `url` (SQLAlchemy's form) when
/// the application's metadata is its `accounts` table.
fn proposals(url: &str, include_schemas: bool, rmig_hook: bool) -> Vec<String> {
    let output = alembic(serde_json::json!({
        "cmd": "compare",
        "url": url,
        "tables": ["accounts"],
        "include_schemas": include_schemas,
        "rmig_hook": rmig_hook,
    }));
    serde_json::from_str(&output).unwrap()
}

fn postgres_sqlalchemy_url(url: &str) -> String {
    let rest = url.strip_prefix("postgres://").unwrap_or(url);
    format!("postgresql+psycopg2://{rest}")
}

fn sqlite_sqlalchemy_url(project: &Project) -> String {
    format!("sqlite:///{}", project.sqlite_path().display())
}

/// Every schema and relation (tables, sequences, indexes) outside PostgreSQL's own.
const PG_OBJECTS: &str = "SELECT 'schema ' || nspname FROM pg_namespace \
    WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' \
    UNION ALL SELECT c.relkind::text || ' ' || n.nspname || '.' || c.relname FROM pg_class c \
    JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'";

const SQLITE_OBJECTS: &str = "SELECT type || ' ' || name FROM sqlite_schema ORDER BY 1";

/// A project whose rmig.toml adds `extra` to the usual keys.
fn project_with(url: &str, extra: &str) -> Project {
    let project = Project::new(url, &[("a1000000_accounts.toml", ACCOUNTS)]);
    let config = project.path().join("rmig.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}{extra}\n")).unwrap();
    project
}

/// Alembic upgrades `url` with the same revision, as an Alembic project would.
fn alembic_upgrade(url: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("versions")).unwrap();
    std::fs::write(dir.path().join("env.py"), ENV_PY).unwrap();
    std::fs::write(
        dir.path().join("versions/a1000000_accounts.py"),
        ACCOUNTS_PY,
    )
    .unwrap();
    alembic(serde_json::json!({
        "cmd": "upgrade",
        "revision": "head",
        "script_location": dir.path(),
        "url": url,
    }));
}

#[test]
fn defect_8_alembic_autogenerate_proposes_nothing_about_rmig_tables_on_postgres() {
    let db = TestDatabase::new();
    let project = Project::new(&db.url, &[("a1000000_accounts.toml", ACCOUNTS)]);
    project.ok(&["upgrade", "head"]);
    let url = postgres_sqlalchemy_url(&db.url);
    assert_eq!(proposals(&url, false, false), Vec::<String>::new());
    // With `include_schemas=True` Alembic reads every schema, rmig's too: the hook docs/history-table.md
    // gives keeps it out.
    assert_eq!(
        proposals(&url, true, false),
        vec!["remove_table rmig.rmig_history".to_string()]
    );
    assert_eq!(proposals(&url, true, true), Vec::<String>::new());
}

#[test]
fn on_sqlite_the_readme_hook_keeps_rmig_history_out_of_alembic_autogenerate() {
    let project = Project::sqlite(&[("a1000000_accounts.toml", ACCOUNTS)]);
    project.ok(&["upgrade", "head"]);
    let url = sqlite_sqlalchemy_url(&project);
    // A SQLite database has no schema to keep it in (see docs/history-table.md).
    assert_eq!(
        proposals(&url, false, false),
        vec!["remove_table rmig_history".to_string()]
    );
    assert_eq!(proposals(&url, false, true), Vec::<String>::new());
}

#[test]
fn history_table_false_leaves_postgres_as_alembic_does() {
    let by_rmig = TestDatabase::new();
    let project = project_with(&by_rmig.url, "history_table = false");
    project.ok(&["upgrade", "head"]);
    let by_alembic = TestDatabase::new();
    alembic_upgrade(&postgres_sqlalchemy_url(&by_alembic.url));
    let objects = by_rmig.strings(PG_OBJECTS);
    assert_eq!(objects, by_alembic.strings(PG_OBJECTS));
    assert!(
        objects.contains(&"r public.alembic_version".to_string()),
        "{objects:?}"
    );
    let url = postgres_sqlalchemy_url(&by_rmig.url);
    assert_eq!(proposals(&url, true, false), Vec::<String>::new());
}

#[test]
fn history_table_false_leaves_sqlite_as_alembic_does() {
    let project = project_with("sqlite:///test.db", "history_table = false");
    project.ok(&["upgrade", "head"]);
    let alembic_dir = tempfile::tempdir().unwrap();
    let alembic_db = alembic_dir.path().join("alembic.db");
    alembic_upgrade(&format!("sqlite:///{}", alembic_db.display()));
    let objects = project.sqlite_rows(SQLITE_OBJECTS);
    let by_alembic = Project::sqlite(&[]);
    std::fs::copy(&alembic_db, by_alembic.sqlite_path()).unwrap();
    assert_eq!(objects, by_alembic.sqlite_rows(SQLITE_OBJECTS));
    assert!(
        objects.contains(&"table alembic_version".to_string()),
        "{objects:?}"
    );
    let url = sqlite_sqlalchemy_url(&project);
    assert_eq!(proposals(&url, false, false), Vec::<String>::new());
}
