//! rmig's own tables beside the real Alembic (1.20.1, from .venv/; see
//! tests/alembic_conformance.rs): after `rmig upgrade head`, Alembic's autogenerate (what
//! `alembic check` and `revision --autogenerate` run), given the application's metadata,
//! proposes nothing about what rmig keeps for itself (issue 16, defect 8).

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

#[test]
fn defect_8_alembic_autogenerate_proposes_nothing_about_rmig_tables_on_postgres() {
    let db = TestDatabase::new();
    let project = Project::new(&db.url, &[("a1000000_accounts.toml", ACCOUNTS)]);
    project.ok(&["upgrade", "head"]);
    let url = postgres_sqlalchemy_url(&db.url);
    assert_eq!(proposals(&url, false, false), Vec::<String>::new());
    // With `include_schemas=True` Alembic reads every schema, rmig's too: the hook README.md
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
    // A SQLite database has no schema to keep it in (see README.md, "Alembic beside rmig").
    assert_eq!(
        proposals(&url, false, false),
        vec!["remove_table rmig_history".to_string()]
    );
    assert_eq!(proposals(&url, false, true), Vec::<String>::new());
}
