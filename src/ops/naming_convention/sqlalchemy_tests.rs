//! Naming-convention names against the real SQLAlchemy (2.1.9, from the virtual environment
//! `make test` creates in .venv/): every template below, for every kind it applies to and every
//! subject (tables with and without a schema, one to three columns, names long enough to be
//! cut, non-ASCII names), named by rmig and by SQLAlchemy's compiler for PostgreSQL (the latter
//! cut to the 63 bytes PostgreSQL keeps) and for SQLite (which keeps every name whole, and
//! whose SQLAlchemy dialect cuts at 9999 characters).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{ConventionKind, NamingConvention, Subject};
use crate::dialect::Dialect;

/// Builds each case's constraint or index in a MetaData with the case's convention and prints
/// the name SQLAlchemy renders for the case's dialect, one JSON string per line.
const SQLALCHEMY_NAMES: &str = r#"
import json, sys
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite

preparers = {"postgresql": postgresql.dialect().identifier_preparer,
             "sqlite": sqlite.dialect().identifier_preparer,
             "mysql": mysql.dialect().identifier_preparer}
for line in sys.stdin:
    case = json.loads(line)
    metadata = sa.MetaData(naming_convention={case["key"]: case["template"]})
    referred = None
    if case["referred_table"]:
        referred = sa.Table(case["referred_table"], metadata,
                            *[sa.Column(c, sa.Integer) for c in case["referred_columns"]],
                            schema=case["schema"])
    table = sa.Table(case["table"], metadata, *[sa.Column(c, sa.Integer) for c in case["columns"]],
                     schema=case["schema"])
    name = case["name"]
    key = case["key"]
    if key == "ix":
        const = sa.Index(name, *[table.c[c] for c in case["columns"]])
    elif key == "uq":
        const = sa.UniqueConstraint(*case["columns"], name=name)
        table.append_constraint(const)
    elif key == "pk":
        const = sa.PrimaryKeyConstraint(*case["columns"], name=name)
        table.append_constraint(const)
    elif key == "ck":
        const = sa.CheckConstraint(sa.text("1 = 1"), name=name)
        table.append_constraint(const)
    else:
        const = sa.ForeignKeyConstraint(case["columns"], [referred.c[c] for c in case["referred_columns"]], name=name)
        table.append_constraint(const)
    rendered = preparers[case["dialect"]].format_constraint(const, _alembic_quote=False)
    if case["dialect"] == "postgresql":
        rendered = rendered.encode("utf-8")[:63].decode("utf-8", "ignore")
    print(json.dumps(rendered), flush=True)
"#;

fn python() -> PathBuf {
    let python = std::env::var_os("RMIG_ALEMBIC_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"));
    assert!(
        python.exists(),
        "SQLAlchemy's Python is missing at {}: run `make test` (it installs SQLAlchemy 2.1.9 into .venv/), or set RMIG_ALEMBIC_PYTHON",
        python.display()
    );
    python
}

struct Case {
    dialect: Dialect,
    kind: ConventionKind,
    template: &'static str,
    table: String,
    schema: Option<String>,
    columns: Vec<String>,
    referred_table: String,
    referred_columns: Vec<String>,
    name: Option<String>,
}

const TEMPLATES: [&str; 9] = [
    "%(table_name)s_%(column_0_name)s",
    "x_%(column_0_label)s",
    "x_%(column_0N_name)s",
    "x_%(column_0_N_label)s_%(column_1_key)s",
    "x_%(column_0N_key)s_%(column_2_name)s_100%%",
    "%(table_name)s_%(constraint_name)s",
    "x_%(column_0_N_name)s_%(referred_table_name)s",
    "x_%(referred_column_0N_name)s_%(referred_column_0_name)s",
    "x_%(column_0_label)s_%(referred_column_0_N_name)s_%(constraint_name)s",
];

fn cases() -> Vec<Case> {
    let long = "a_column_whose_name_alone_takes_up_most_of_the_63_allowed";
    // Past SQLAlchemy's 9999 characters for SQLite.
    let longer = long.repeat(180);
    let subjects: [(&str, Option<&str>, &[&str]); 6] = [
        ("orders", None, &["id"]),
        ("orders", Some("sales"), &["code", "customer_id"]),
        (
            "line_items_of_a_rather_long_table",
            Some("sales.eu"),
            &["a", "b", "c"],
        ),
        ("events", None, &[long, "at"]),
        ("archive", None, &[&longer]),
        ("bücher", Some("ärchiv"), &["tïtel", "jahr"]),
    ];
    let kinds = [
        ConventionKind::Index,
        ConventionKind::Unique,
        ConventionKind::Check,
        ConventionKind::ForeignKey,
        ConventionKind::PrimaryKey,
    ];
    let mut cases = Vec::new();
    for template in TEMPLATES {
        for kind in kinds {
            // SQLAlchemy knows a referred table only for a foreign key, and refuses a `pk`
            // template with %(constraint_name)s on the key every Table starts with.
            if (template.contains("referred") && kind != ConventionKind::ForeignKey)
                || (template.contains("constraint_name") && kind == ConventionKind::PrimaryKey)
            {
                continue;
            }
            for (table, schema, columns) in subjects {
                // A check's condition is SQL text, which lists no columns (as rmig passes it).
                let columns: Vec<String> = match kind {
                    ConventionKind::Check => Vec::new(),
                    _ => columns.iter().map(|c| c.to_string()).collect(),
                };
                let (referred_table, referred_columns) = if kind == ConventionKind::ForeignKey {
                    (
                        "customers".to_string(),
                        columns.iter().map(|c| format!("ref_{c}")).collect(),
                    )
                } else {
                    (String::new(), Vec::new())
                };
                for dialect in Dialect::ALL {
                    cases.push(Case {
                        dialect,
                        kind,
                        template,
                        table: table.to_string(),
                        schema: schema.map(str::to_string),
                        columns: columns.clone(),
                        referred_table: referred_table.clone(),
                        referred_columns: referred_columns.clone(),
                        name: template
                            .contains("constraint_name")
                            .then(|| "written_name".to_string()),
                    });
                }
            }
        }
    }
    cases
}

#[test]
fn convention_names_are_sqlalchemys() {
    let cases = cases();
    let mut child = Command::new(python())
        .args(["-c", SQLALCHEMY_NAMES])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = String::new();
    for case in &cases {
        input.push_str(
            &serde_json::json!({
                "dialect": case.dialect.to_string(),
                "key": case.kind.key(),
                "template": case.template,
                "table": case.table,
                "schema": case.schema,
                "columns": case.columns,
                "referred_table": case.referred_table,
                "referred_columns": case.referred_columns,
                "name": case.name,
            })
            .to_string(),
        );
        input.push('\n');
    }
    // Written from another thread: the answers (SQLite's run to 10,000 characters) fill the
    // pipe before the questions are all asked.
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(
        output.status.success(),
        "SQLAlchemy failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let expected: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(expected.len(), cases.len());
    // Names cut on each database: PostgreSQL's end within a few bytes of 63; SQLite's are
    // SQLAlchemy's 9991 characters, `_` and four hex digits.
    let (mut cut_on_postgresql, mut cut_on_sqlite, mut cut_on_mysql) = (0, 0, 0);
    for (case, expected) in cases.iter().zip(&expected) {
        let convention =
            NamingConvention::parse([(case.kind.key().to_string(), case.template.to_string())])
                .unwrap();
        let subject = Subject {
            table: &case.table,
            schema: case.schema.as_deref(),
            columns: &case.columns,
            referred_table: &case.referred_table,
            referred_columns: &case.referred_columns,
            name: case.name.as_deref(),
        };
        let name = convention
            .for_database(case.dialect.name_rules())
            .name(case.kind, &subject)
            .unwrap()
            .unwrap();
        assert_eq!(
            &name,
            expected,
            "{} {} {:?} on {}.{:?}",
            case.dialect,
            case.kind.key(),
            case.template,
            case.table,
            case.columns
        );
        match case.dialect {
            Dialect::Postgresql => cut_on_postgresql += usize::from(name.len() >= 60),
            Dialect::Sqlite => cut_on_sqlite += usize::from(name.chars().count() == 9996),
            Dialect::Mysql => cut_on_mysql += usize::from(name.chars().count() >= 60),
        }
    }
    println!(
        "naming conventions: {} names equal to SQLAlchemy's, {cut_on_postgresql} cut on PostgreSQL, {cut_on_sqlite} on SQLite, {cut_on_mysql} on MySQL",
        cases.len()
    );
    assert!(
        cut_on_postgresql > 0 && cut_on_sqlite > 0 && cut_on_mysql > 0,
        "no case is long enough to be cut on each database"
    );
}
