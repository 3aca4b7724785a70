//! Inputs the fuzz targets (`fuzz/`, `make fuzz`) found, replayed on every `make test`: each
//! file in `fuzz/regressions/<target>/` runs through the same checks as its target, so the
//! crash or slow input it once was stays fixed. The fuzz run itself stays outside CI.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::config::{load, Overrides};
use crate::db::{redact_url, DatabaseUrl};
use crate::duration;
use crate::graph::RevisionMap;
use crate::plan;
use crate::revision::{parse_revision, Revision};

/// Any input here once crashed or was slow; each must now finish well within this.
const SLOW: Duration = Duration::from_secs(2);

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    files.sort();
    files
}

/// The body of `fuzz/fuzz_targets/revision_loader.rs`.
fn check_loader_input(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for name in ["a1_fuzz.toml", "a1_fuzz.yaml"] {
        match parse_revision(Path::new(name), text) {
            Ok(revision) => {
                let _ = revision.downgrade_ops();
                for op in &revision.upgrade {
                    let _ = op.op.describe();
                }
            }
            Err(error) => {
                let message = error.to_string();
                assert!(message.starts_with(name), "{message}");
                assert!(!message.contains('\n'), "{message:?}");
            }
        }
    }
}

/// The graph of `fuzz/fuzz_targets/revision_resolver.rs`.
fn resolver_map() -> RevisionMap {
    let revisions = vec![
        Revision::new("1975ea83b712", &[]),
        Revision::new("ae1027a6acf", &["1975ea83b712"]),
        Revision::new("27c6a30d7c24", &["1975ea83b712"]).with_branch_labels(&["other"]),
        Revision::new("53fffde5ad5", &["27c6a30d7c24", "ae1027a6acf"]),
        Revision::new("ae10aaaa0001", &["53fffde5ad5"]),
        Revision::new("b0000000base", &[]).with_branch_labels(&["lib"]),
        Revision::new("b0000001", &["b0000000base"]),
        Revision::new("c0ffee000001", &["53fffde5ad5"]).with_depends_on(&["lib"]),
    ];
    RevisionMap::new(revisions).unwrap()
}

/// The body of `fuzz/fuzz_targets/revision_resolver.rs`.
fn check_resolver_input(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let map = resolver_map();
    let mut lines = text.split('\n');
    let target = lines.next().unwrap_or("");
    let current: Vec<String> = lines.take(4).map(str::to_string).collect();
    let _ = map.get_revisions(target);
    let _ = map.get_revision(target);
    let _ = crate::graph::parse_relative(target);
    for rows in [&current[..], &[][..]] {
        for result in [
            plan::upgrade(&map, rows, target),
            plan::downgrade(&map, rows, target),
        ] {
            if let Err(error) = result {
                assert!(!error.to_string().is_empty());
            }
        }
    }
}

/// The body of `fuzz/fuzz_targets/config_loader.rs`.
fn check_config_input(data: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    for name in ["rmig.toml", "alembic.ini"] {
        let path = dir.path().join(name);
        std::fs::write(&path, data).unwrap();
        let overrides = Overrides {
            config: Some(path),
            url: None,
        };
        if let Err(error) = load(&overrides) {
            let line = crate::cli::error_line(&error.into());
            assert!(!line.is_empty());
            assert!(!line.contains('\n'), "{line}");
        }
    }
}

/// The body of `fuzz/fuzz_targets/duration_parser.rs`.
fn check_duration_input(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match duration::parse(text) {
        Ok(value) => {
            assert!((duration::MIN..=duration::MAX).contains(&value), "{text:?}");
            assert_eq!(value.subsec_nanos() % 1_000_000, 0, "{text:?}");
            let again = duration::parse(&format!("{}ms", value.as_millis()));
            assert_eq!(again, Ok(value), "{text:?}");
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }
}

/// The body of `fuzz/fuzz_targets/database_url.rs`.
fn check_url_input(data: &[u8]) {
    const SECRET: &str = "Zq7hunter2";
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = redact_url(text);
    if let Err(error) = DatabaseUrl::parse(text) {
        assert!(!error.to_string().is_empty());
    }
    if text.contains(SECRET) {
        return;
    }
    let (before, after) = text.split_once('\n').unwrap_or((text, ""));
    for url in [
        format!("{before}:{SECRET}@{after}"),
        format!("{before}password={SECRET}{after}"),
    ] {
        let shown = redact_url(&url);
        assert!(!shown.contains(SECRET), "{url:?} shown as {shown:?}");
        if let Err(error) = DatabaseUrl::parse(&url) {
            let message = error.to_string();
            assert!(!message.contains(SECRET), "{url:?}: {message}");
        }
    }
}

fn replay(target: &str, check: fn(&[u8])) {
    let inputs = inputs(target);
    assert!(!inputs.is_empty(), "no regression inputs for {target}");
    for (path, data) in inputs {
        let started = Instant::now();
        check(&data);
        assert!(
            started.elapsed() < SLOW,
            "{} took {:?}",
            path.display(),
            started.elapsed()
        );
    }
}

#[test]
fn revision_loader_regressions() {
    replay("revision_loader", check_loader_input);
}

#[test]
fn revision_resolver_regressions() {
    replay("revision_resolver", check_resolver_input);
}

#[test]
fn database_url_regressions() {
    replay("database_url", check_url_input);
}

#[test]
fn config_loader_regressions() {
    replay("config_loader", check_config_input);
}

#[test]
fn duration_parser_regressions() {
    replay("duration_parser", check_duration_input);
}
