//! End-to-end tests of the `rmig` binary on revision folders: read commands, offline scripts,
//! file-writing commands and the errors and exit codes of broken input.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

/// A project folder with an rmig.toml and the given revision files.
struct Project {
    dir: TempDir,
}

impl Project {
    fn new(url: &str, files: &[(&str, &str)]) -> Project {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("revisions")).unwrap();
        std::fs::write(
            dir.path().join("rmig.toml"),
            format!("script_location = \"revisions\"\nurl = \"{url}\"\n"),
        )
        .unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join("revisions").join(name), text).unwrap();
        }
        Project { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn rmig(&self, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("rmig").unwrap();
        cmd.current_dir(self.path())
            .env_remove("RMIG_URL")
            .env_remove("DATABASE_URL")
            .args(args);
        cmd
    }

    fn stdout(&self, args: &[&str]) -> String {
        let output = self.rmig(args).output().unwrap();
        assert!(
            output.status.success(),
            "rmig {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Runs a command that must fail; returns its exit code and stderr.
    fn failure(&self, args: &[&str]) -> (i32, String) {
        let output = self.rmig(args).output().unwrap();
        assert!(!output.status.success(), "rmig {args:?} should have failed");
        (
            output.status.code().unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    }
}

/// The branched graph of the research notes: a merge of two branches.
fn branched() -> Vec<(&'static str, &'static str)> {
    vec![
        ("1975ea83b712_create.toml", "revision = \"1975ea83b712\"\nmessage = \"create user_profiles\"\n"),
        (
            "ae1027a6acf_rename.toml",
            "revision = \"ae1027a6acf\"\ndown_revision = \"1975ea83b712\"\nmessage = \"rename\"\n\n[[upgrade]]\nop = \"rename_table\"\nold_table_name = \"user_profiles\"\nnew_table_name = \"member_profiles\"\n",
        ),
        (
            "27c6a30d7c24_other.yaml",
            "revision: 27c6a30d7c24\ndown_revision: 1975ea83b712\nbranch_labels: [other]\nmessage: other\n",
        ),
        (
            "53fffde5ad5_merge.toml",
            "revision = \"53fffde5ad5\"\ndown_revision = [\"27c6a30d7c24\", \"ae1027a6acf\"]\nmessage = \"merge\"\n",
        ),
    ]
}

#[test]
fn upgrade_sql_on_postgresql_matches_alembic() {
    let project = Project::new("postgresql://app:secret@localhost/app", &branched());
    insta::assert_snapshot!(project.stdout(&["upgrade", "head", "--sql"]));
}

#[test]
fn downgrade_sql_on_postgresql_unmerges_like_alembic() {
    let project = Project::new("postgresql://localhost/app", &branched());
    insta::assert_snapshot!(project.stdout(&["downgrade", "head:base", "--sql"]));
}

#[test]
fn upgrade_sql_on_sqlite_has_no_transaction_statements() {
    let project = Project::new("sqlite:///app.db", &branched());
    insta::assert_snapshot!(project.stdout(&["upgrade", "1975ea83b712:53fffde5ad5", "--sql"]));
}

#[test]
fn one_transaction_around_the_whole_script_when_configured() {
    let project = Project::new("postgresql://localhost/app", &branched());
    std::fs::write(
        project.path().join("rmig.toml"),
        "script_location = \"revisions\"\nurl = \"postgresql://localhost/app\"\ntransaction_per_migration = false\n",
    )
    .unwrap();
    let script = project.stdout(&["upgrade", "ae1027a6acf", "--sql"]);
    assert_eq!(script.matches("BEGIN;").count(), 1, "{script}");
    assert!(
        script.starts_with("BEGIN;\n\nCREATE TABLE alembic_version"),
        "{script}"
    );
    assert!(script.ends_with("COMMIT;\n\n"), "{script}");
}

#[test]
fn heads_history_show_and_branches() {
    let mut files = branched();
    files.pop();
    let project = Project::new("sqlite://", &files);
    // Ties follow load order, which is file-name order: 27c6... before ae10..., as in Alembic.
    assert_eq!(
        project.stdout(&["heads"]),
        "27c6a30d7c24 (other) (head)\nae1027a6acf (head)\n"
    );
    assert_eq!(
        project.stdout(&["history"]),
        "1975ea83b712 -> 27c6a30d7c24 (other) (head), other\n1975ea83b712 -> ae1027a6acf (head), rename\n<base> -> 1975ea83b712 (branchpoint), create user_profiles\n"
    );
    let show = project.stdout(&["show", "other@head"]);
    assert!(
        show.starts_with("Rev: 27c6a30d7c24 (head)\nParent: 1975ea83b712\nBranch names: other\n"),
        "{show}"
    );
    let branches = project.stdout(&["branches"]);
    assert!(branches.starts_with("1975ea83b712 (branchpoint)\n             -> 27c6a30d7c24 (other) (head)\n             -> ae1027a6acf (head)\n"), "{branches}");
    let json: serde_json::Value =
        serde_json::from_str(&project.stdout(&["heads", "--json"])).unwrap();
    assert_eq!(json["heads"][0]["revision"], "27c6a30d7c24");
    assert_eq!(json["heads"][0]["branch_labels"][0], "other");
    let json: serde_json::Value =
        serde_json::from_str(&project.stdout(&["history", "--json", "-r", "1975:"])).unwrap();
    assert_eq!(json["revisions"].as_array().unwrap().len(), 3);
}

#[test]
fn head_with_several_heads_is_refused_with_candidates() {
    let mut files = branched();
    files.pop();
    let project = Project::new("sqlite://", &files);
    let (code, stderr) = project.failure(&["upgrade", "head", "--sql"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("Multiple head revisions are present for given argument 'head'"),
        "{stderr}"
    );
    assert!(stderr.contains("27c6a30d7c24, ae1027a6acf"), "{stderr}");
}

#[test]
fn ambiguous_prefix_lists_candidates() {
    let project = Project::new(
        "sqlite://",
        &[
            ("a.toml", "revision = \"ae10aaaa\"\n"),
            (
                "b.toml",
                "revision = \"ae10bbbb\"\ndown_revision = \"ae10aaaa\"\n",
            ),
        ],
    );
    let (code, stderr) = project.failure(&["show", "ae10"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("Multiple revisions start with 'ae10': 'ae10aaaa', 'ae10bbbb'"),
        "{stderr}"
    );
}

#[test]
fn broken_revision_files_exit_2_naming_file_and_key() {
    for (name, text, expected) in [
        (
            "x_bad.toml",
            "revision = \"a1\"\nbogus = 1\n",
            "x_bad.toml:2",
        ),
        (
            "x_bad.yaml",
            "revision: a1\nupgrade:\n  - op: drop_everything\n",
            "drop_everything",
        ),
        (
            "x_bad.toml",
            "revision = \"a1\"\ndown_revision = \"nowhere\"\n",
            "down_revision 'nowhere' of revision 'a1' names no revision",
        ),
    ] {
        let project = Project::new("sqlite://", &[(name, text)]);
        let (code, stderr) = project.failure(&["heads"]);
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains(name) || stderr.contains("nowhere"),
            "{stderr}"
        );
        assert!(stderr.contains(expected), "{stderr}");
    }
}

#[test]
fn cycle_is_reported() {
    let project = Project::new(
        "sqlite://",
        &[
            ("a.toml", "revision = \"aaaa\"\n"),
            (
                "b.toml",
                "revision = \"bbbb\"\ndown_revision = [\"aaaa\", \"cccc\"]\n",
            ),
            ("c.toml", "revision = \"cccc\"\ndown_revision = \"bbbb\"\n"),
        ],
    );
    let (code, stderr) = project.failure(&["heads"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("Cycle is detected in revisions (bbbb, cccc)"),
        "{stderr}"
    );
}

#[test]
fn downgrade_sql_needs_a_range_and_ranges_need_sql() {
    let project = Project::new("sqlite://", &branched());
    let (code, stderr) = project.failure(&["downgrade", "-1", "--sql"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("downgrade with --sql requires <fromrev>:<torev>"),
        "{stderr}"
    );
}

#[test]
fn passwords_never_appear_in_errors() {
    let project = Project::new("oracle://root:hunter2@localhost/app", &branched());
    let (code, stderr) = project.failure(&["upgrade", "head", "--sql"]);
    assert_eq!(code, 2);
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert!(
        stderr.contains("oracle://root:***@localhost/app"),
        "{stderr}"
    );
}

#[test]
fn init_revision_and_merge_write_loadable_files() {
    let dir = tempfile::tempdir().unwrap();
    let rmig = |args: &[&str]| {
        let mut cmd = Command::cargo_bin("rmig").unwrap();
        cmd.current_dir(dir.path()).args(args).assert().success();
    };
    rmig(&["init", "proj"]);
    let proj: PathBuf = dir.path().join("proj");
    assert!(proj.join("rmig.toml").is_file() && proj.join("revisions").is_dir());
    let in_proj = |args: &[&str]| {
        let output = Command::cargo_bin("rmig")
            .unwrap()
            .current_dir(&proj)
            .args(args)
            .output()
            .unwrap();
        (
            output.status.code().unwrap(),
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    };
    assert_eq!(
        in_proj(&["revision", "-m", "create users", "--rev-id", "aaaa0001"]).0,
        0
    );
    assert_eq!(
        in_proj(&["revision", "-m", "add email", "--rev-id", "bbbb0002"]).0,
        0
    );
    let (code, _, stderr) = in_proj(&[
        "revision", "-m", "side", "--head", "aaaa0001", "--rev-id", "cccc0003",
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("Revision aaaa0001 is not a head revision; please specify --splice"),
        "{stderr}"
    );
    assert_eq!(
        in_proj(&[
            "revision",
            "-m",
            "side",
            "--head",
            "aaaa0001",
            "--splice",
            "--rev-id",
            "cccc0003",
            "--branch-label",
            "side"
        ])
        .0,
        0
    );
    let (code, _, stderr) = in_proj(&["revision", "-m", "ambiguous"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("Multiple heads are present"), "{stderr}");
    assert_eq!(
        in_proj(&["merge", "heads", "-m", "merge side", "--rev-id", "dddd0004"]).0,
        0
    );
    let (_, heads, _) = in_proj(&["heads"]);
    // The merge inherits the `side` label from its parent, as in Alembic.
    assert_eq!(heads, "dddd0004 (side) (head)\n");
    let text = std::fs::read_to_string(proj.join("revisions/dddd0004_merge_side.toml")).unwrap();
    assert!(
        text.contains("down_revision = [\"bbbb0002\", \"cccc0003\"]"),
        "{text}"
    );
    let (_, history, _) = in_proj(&["history"]);
    assert!(
        history
            .starts_with("bbbb0002, cccc0003 -> dddd0004 (side) (head) (mergepoint), merge side\n"),
        "{history}"
    );
}

/// Regression (found by the Alembic conformance suite): flags after a list of revisions were
/// read as more revisions, so `stamp heads --sql` connected to the database.
#[test]
fn flags_after_revision_lists_are_flags() {
    let project = Project::new("postgresql://127.0.0.1:1/nowhere", &branched());
    let script = project.stdout(&["stamp", "heads", "--sql"]);
    assert!(
        script.contains("-- Running stamp_revision  -> 53fffde5ad5"),
        "{script}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&project.stdout(&["show", "heads", "--json"])).unwrap();
    assert_eq!(json["revisions"][0]["revision"], "53fffde5ad5");
}

#[test]
fn control_characters_in_a_message_reached_the_terminal() {
    let revision = "revision = \"a1\"\nmessage = \"first\\nline\\u001b]0;pwned\\u0007\"\nupgrade = []\ndowngrade = []\n";
    let project = Project::new("sqlite:///test.db", &[("a1_x.toml", revision)]);
    for args in [
        &["upgrade", "head"][..],
        &["history"][..],
        &["show", "a1"][..],
        &["current", "-v"][..],
    ] {
        let output = project.rmig(args).output().unwrap();
        let text = String::from_utf8_lossy(&output.stdout).to_string()
            + &String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{args:?}: {text}");
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{args:?}: {text:?}"
        );
        assert!(!text.contains("first\nline"), "{args:?}: {text:?}");
    }
}
