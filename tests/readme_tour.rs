//! The README's five-minute tour, run as written: its TOML blocks are read from README.md, so
//! the tour cannot drift from what rmig does. SQLite, then the same project on PostgreSQL.

mod common;

use std::path::Path;

use assert_cmd::Command;
use common::TestDatabase;

/// The tour's fenced TOML blocks, in order.
fn tour_blocks() -> Vec<String> {
    let readme = include_str!("../README.md");
    let tour = readme
        .split("## A five-minute tour")
        .nth(1)
        .expect("the README has the tour")
        .split("\n## ")
        .next()
        .unwrap();
    tour.split("```toml\n")
        .skip(1)
        .map(|block| block.split("```").next().unwrap().to_string())
        .collect()
}

fn rmig(dir: &Path, url: Option<&str>, args: &[&str]) -> (i32, String) {
    let mut cmd = Command::cargo_bin("rmig").unwrap();
    cmd.current_dir(dir)
        .env_remove("RMIG_URL")
        .env_remove("DATABASE_URL")
        .args(args);
    if let Some(url) = url {
        cmd.env("RMIG_URL", url);
    }
    let output = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

fn ok(dir: &Path, url: Option<&str>, args: &[&str]) -> String {
    let (code, text) = rmig(dir, url, args);
    assert_eq!(code, 0, "rmig {args:?}: {text}");
    text
}

#[test]
fn the_tour_on_sqlite_then_postgresql() {
    let blocks = tour_blocks();
    assert_eq!(
        blocks.len(),
        3,
        "create, the lossy rename, the rename: {blocks:?}"
    );
    let root = tempfile::tempdir().unwrap();
    ok(root.path(), None, &["init", "shop"]);
    let shop = root.path().join("shop");
    let revisions = shop.join("revisions");
    ok(
        &shop,
        None,
        &[
            "revision",
            "-m",
            "create user_profiles",
            "--rev-id",
            "1975ea83b712",
        ],
    );
    std::fs::write(
        revisions.join("1975ea83b712_create_user_profiles.toml"),
        &blocks[0],
    )
    .unwrap();
    let out = ok(&shop, None, &["upgrade", "head"]);
    assert!(out.contains("create user_profiles ... done"), "{out}");

    let rename = revisions.join("ae1027a6acf_rename.toml");
    std::fs::write(&rename, &blocks[1]).unwrap();
    let (code, out) = rmig(&shop, None, &["upgrade", "head"]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("2 rows would be lost") && out.contains("op = \"rename_table\""),
        "{out}"
    );

    // "Replace the two operations with it": the header stays, the operations change.
    let header: String = blocks[1].split("[[upgrade]]").next().unwrap().to_string();
    std::fs::write(&rename, format!("{header}{}", blocks[2])).unwrap();
    let script = ok(&shop, None, &["upgrade", "head", "--sql"]);
    assert!(script.contains("RENAME TO \"member_profiles\""), "{script}");
    ok(&shop, None, &["upgrade", "head"]);
    let history = ok(&shop, None, &["history", "--graph", "-i"]);
    assert!(
        history.starts_with("* 1975ea83b712 -> ae1027a6acf (head) (current)"),
        "{history}"
    );
    ok(&shop, None, &["check"]);
    let rows = rusqlite::Connection::open(shop.join("rmig.db"))
        .unwrap()
        .query_row("SELECT group_concat(bio) FROM member_profiles", [], |r| {
            r.get::<_, String>(0)
        })
        .unwrap();
    assert_eq!(rows, "first,second");

    // The same project on PostgreSQL, the URL from the environment.
    let db = TestDatabase::new();
    let url = Some(db.url.as_str());
    ok(&shop, url, &["upgrade", "head"]);
    let current = ok(&shop, url, &["current", "-v"]);
    assert!(current.contains("Rev: ae1027a6acf (head)"), "{current}");
    ok(&shop, url, &["downgrade", "base"]);
    ok(&shop, url, &["upgrade", "+1"]);
    let (code, out) = rmig(&shop, url, &["check"]);
    assert_eq!(code, 4, "{out}");
    ok(&shop, url, &["upgrade", "head"]);
    assert_eq!(
        db.strings("SELECT bio FROM member_profiles"),
        ["first", "second"]
    );
}
