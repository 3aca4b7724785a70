//! The bad-input corpus: every case in `tests/corpus/` is a small project (a revision folder,
//! maybe an rmig.toml) that the real binary must refuse with exit 2, one clear line on
//! stderr naming what is at fault, no panic or debug text, and the database unchanged.
//!
//! A case is a folder holding `case.toml`:
//!
//! ```toml
//! note = "what the input is"           # required: why this case exists
//! names = ["a1_x.toml", "bogus"]       # every run's stderr must contain each of these
//! absent = ["hunter2"]                 # ... and none of these (optional)
//! project = "branched"                 # optional: start from tests/corpus/_projects/<name>
//! generate = "deep_toml_arrays"        # optional: files the test writes (see `generate`)
//! database = "postgres"                # optional: run against a fresh PostgreSQL database
//! env = { RMIG_URL = "..." }           # optional
//!
//! [[run]]                              # optional; default: heads, history, upgrade head
//! args = ["upgrade", "head"]
//! names = ["..."]                      # optional, replaces the case's `names` for this run
//! ```
//!
//! and the files of the project beside it. `tests/corpus/generated.rs` adds cases built in
//! code (mutations of good revision files, `rmig.toml` files and command lines), which run the
//! same way. Each case is copied to a temporary folder and run there; "database unchanged" is checked by comparing every file of that folder (a SQLite
//! database included, seeded from `seed.sql` when the case has one) before and after, and on
//! PostgreSQL by listing the relations of the test database.

mod common;
#[path = "corpus/generated.rs"]
mod generated;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde::Deserialize;

/// Far longer than any case takes (the slowest, 9 MB of YAML, takes 7 s in a debug build): a
/// run past this is a hang, killed. The deep-YAML case took almost 5 minutes before its fix.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// What one run may take unless its case says otherwise (`max_seconds`, `max_rss_mb`):
/// bad input must be refused quickly and cheaply.
const MAX_SECONDS: u64 = 10;
const MAX_RSS_MB: u64 = 200;

/// GNU time, which reports each run's peak resident memory (`make gnu-time` installs it).
const GNU_TIME: &str = "/usr/bin/time";

/// Text that must never reach a user: panics, backtrace hints, `Debug` formatting.
const FORBIDDEN: [&str; 9] = [
    "panicked",
    "RUST_BACKTRACE",
    "Error {",
    "Os {",
    "kind: ",
    "Custom {",
    "stack backtrace",
    "thread 'main'",
    "called `",
];

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    note: String,
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    absent: Vec<String>,
    project: Option<String>,
    generate: Option<String>,
    database: Option<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    run: Vec<Run>,
    /// Limits above the defaults, for the cases that are huge on purpose (say why in `note`).
    max_seconds: Option<u64>,
    max_rss_mb: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Run {
    args: Vec<String>,
    names: Option<Vec<String>>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// Every case folder (those starting with `_` hold shared projects), sorted.
fn case_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && !p.file_name().unwrap().to_string_lossy().starts_with('_'))
        .collect();
    dirs.sort();
    dirs
}

fn read_case(dir: &Path) -> Case {
    let text = std::fs::read_to_string(dir.join("case.toml"))
        .unwrap_or_else(|e| panic!("{}: no case.toml: {e}", dir.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}/case.toml: {e}", dir.display()))
}

/// Copies a folder's files (not `case.toml` or `seed.sql`) into `to`.
fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let name = entry.file_name();
        if name == "case.toml" || name == "seed.sql" {
            continue;
        }
        let target = to.join(&name);
        if path.is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// Every file under `dir` with its bytes: the state a failed run must leave as it was.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(folder) = todo.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                todo.push(path);
            } else if meta.is_file() {
                files.insert(path.clone(), std::fs::read(&path).unwrap());
            } else {
                files.insert(path.clone(), Vec::new());
            }
        }
    }
    files
}

/// The relations of a PostgreSQL database outside the system schemas.
fn pg_relations(db: &common::TestDatabase) -> Vec<String> {
    db.strings(
        "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'",
    )
}

/// Files a case asks for that are too big, too deep or too odd to commit.
fn generate(name: &str, root: &Path) {
    let revisions = root.join("revisions");
    std::fs::create_dir_all(&revisions).unwrap();
    let write = |file: &str, bytes: &[u8]| std::fs::write(revisions.join(file), bytes).unwrap();
    match name {
        // 100,000 nested arrays in a TOML value.
        "deep_toml_arrays" => write(
            "a1_deep.toml",
            format!(
                "revision = \"a1\"\nmessage = {}{}\n",
                "[".repeat(100_000),
                "]".repeat(100_000)
            )
            .as_bytes(),
        ),
        // 50,000 nested inline tables inside an operation.
        "deep_toml_tables" => write(
            "a1_deep.toml",
            format!(
                "revision = \"a1\"\n\n[[upgrade]]\nop = \"execute\"\nsqltext = {}1{}\n",
                "{ a = ".repeat(50_000),
                " }".repeat(50_000)
            )
            .as_bytes(),
        ),
        // YAML flow sequences nested 200,000 deep under a key parsed by an untagged enum:
        // the YAML parser took almost 5 minutes over them before its recursion limit applied.
        "deep_yaml_sequences" => write(
            "a1_deep.yaml",
            format!(
                "revision: a1\ndown_revision: {}x{}\n",
                "[".repeat(200_000),
                "]".repeat(200_000)
            )
            .as_bytes(),
        ),
        // YAML flow mappings nested 100,000 deep.
        "deep_yaml_flow_mappings" => write(
            "a1_deep.yaml",
            format!(
                "revision: a1\nmessage: {}x{}\n",
                "{a: ".repeat(100_000),
                "}".repeat(100_000)
            )
            .as_bytes(),
        ),
        // Nested YAML block mappings, 2,000 levels of indentation (2 MB).
        "deep_yaml_mappings" => {
            let mut text = String::from("revision: a1\nupgrade:\n  - op: execute\n    sqltext:\n");
            for depth in 0..2_000 {
                text.push_str(&" ".repeat(6 + depth));
                text.push_str("k:\n");
            }
            write("a1_deep.yaml", text.as_bytes());
        }
        // A 15 MB revision file (under the size cap): a huge message, then a misspelt key
        // on its last line.
        "huge_toml_unknown_key" => {
            let mut text = String::from("revision = \"a1\"\nmessage = \"");
            text.push_str(&"x".repeat(15 << 20));
            text.push_str("\"\nmesage = \"typo\"\n");
            write("a1_huge.toml", text.as_bytes());
        }
        // 200,000 upgrade operations (9 MB), the last one unknown.
        "huge_toml_many_ops" => {
            let mut text = String::from("revision = \"a1\"\n");
            for i in 0..200_000 {
                text.push_str(&format!(
                    "[[upgrade]]\nop = \"execute\"\nsqltext = \"SELECT {i}\"\n"
                ));
            }
            text.push_str("[[upgrade]]\nop = \"drop_everything\"\n");
            write("a1_huge.toml", text.as_bytes());
        }
        // A YAML file of 9 MB: one enormous flow sequence of ids.
        "huge_yaml_sequence" => {
            let mut text = String::from("revision: a1\ndepends_on: [");
            for i in 0..1_000_000 {
                text.push_str(&format!("x{i}, "));
            }
            text.push_str("'a-b']\n");
            write("a1_huge.yaml", text.as_bytes());
        }
        // A file larger than rmig reads (the size cap), padded with a TOML comment.
        "oversized_file" => {
            let file = std::fs::File::create(revisions.join("a1_big.toml")).unwrap();
            let mut out = std::io::BufWriter::new(file);
            out.write_all(b"revision = \"a1\"\n#").unwrap();
            let chunk = vec![b'x'; 1 << 20];
            for _ in 0..80 {
                out.write_all(&chunk).unwrap();
            }
            out.write_all(b"\n").unwrap();
        }
        // 5,000 revisions in one long cycle.
        "long_cycle" => {
            let n = 5_000;
            for i in 0..n {
                write(
                    &format!("r{i:05}_x.toml"),
                    format!(
                        "revision = \"r{i:05}\"\ndown_revision = \"r{:05}\"\n",
                        (i + 1) % n
                    )
                    .as_bytes(),
                );
            }
        }
        // 3,000 revisions whose last one names a parent that does not exist.
        "long_chain_missing_parent" => {
            for i in 0..3_000 {
                let down = if i == 0 {
                    "nowhere1".to_string()
                } else {
                    format!("c{:05}", i - 1)
                };
                write(
                    &format!("c{i:05}_x.toml"),
                    format!("revision = \"c{i:05}\"\ndown_revision = \"{down}\"\n").as_bytes(),
                );
            }
        }
        // A file name with a newline in it, holding a broken document.
        "newline_in_file_name" => write("a1_bad\nname.toml", b"revision = \"a1\nmessage = 1\n"),
        // A file name that is not UTF-8.
        "non_utf8_file_name" => {
            use std::os::unix::ffi::OsStrExt;
            let name = std::ffi::OsStr::from_bytes(b"a1_\xff\xfe.toml");
            std::fs::write(revisions.join(name), b"revision = \"a1\"\nbogus = 1\n").unwrap();
        }
        // A revision "file" that is a symlink pointing at itself, next to a broken file.
        "symlink_loop" => {
            std::os::unix::fs::symlink("a1_loop.toml", revisions.join("a1_loop.toml")).unwrap();
            write("b1_x.toml", b"revision = \"b1\"\ndown_revision = \"a1\"\n");
        }
        // An alembic.ini that never ends.
        "alembic_ini_dev_zero" => {
            std::os::unix::fs::symlink("/dev/zero", root.join("alembic.ini")).unwrap();
        }
        // script_location is a symlink loop.
        "script_location_symlink_loop" => {
            std::fs::remove_dir_all(&revisions).unwrap();
            std::os::unix::fs::symlink("revisions", &revisions).unwrap();
        }
        other => panic!("unknown generator {other}"),
    }
}

/// Runs one case folder; returns what went wrong, if anything.
fn check_case(dir: &Path) -> Vec<String> {
    let case = read_case(dir);
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let seed = dir.join("seed.sql");
    let seed = seed
        .is_file()
        .then(|| std::fs::read_to_string(&seed).unwrap());
    run_case(&name, case, &|work| copy_tree(dir, work), seed)
}

/// Runs one generated case.
fn check_generated(generated: &generated::Generated) -> Vec<String> {
    let fill = |work: &Path| {
        for (path, entry) in &generated.entries {
            let target = work.join(path);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            match entry {
                generated::Entry::File(text) => std::fs::write(&target, text).unwrap(),
                generated::Entry::Symlink(to) => std::os::unix::fs::symlink(to, &target).unwrap(),
                generated::Entry::Folder => std::fs::create_dir(&target).unwrap(),
                generated::Entry::Fifo => {
                    let made = std::process::Command::new("mkfifo").arg(&target).status();
                    assert!(made.unwrap().success(), "mkfifo {}", target.display());
                }
            }
        }
    };
    run_case(&generated.name, generated.case.clone(), &fill, None)
}

/// Runs one case in a temporary folder `fill` prepares; returns what went wrong.
fn run_case(name: &str, case: Case, fill: &dyn Fn(&Path), seed: Option<String>) -> Vec<String> {
    let name = name.to_string();
    let mut problems = Vec::new();
    if case.note.trim().is_empty() {
        problems.push("case.toml has an empty note".to_string());
    }
    let work = tempfile::tempdir().unwrap();
    if let Some(project) = &case.project {
        copy_tree(&corpus_dir().join("_projects").join(project), work.path());
    }
    fill(work.path());
    if let Some(generator) = &case.generate {
        generate(generator, work.path());
    }
    let postgres = match case.database.as_deref() {
        Some("postgres") => Some(common::TestDatabase::new()),
        Some(other) => panic!("{name}: unknown database {other}"),
        None => None,
    };
    if let Some(sql) = seed {
        match &postgres {
            Some(db) => db.client().batch_execute(&sql).unwrap(),
            None => rusqlite::Connection::open(work.path().join("test.db"))
                .unwrap()
                .execute_batch(&sql)
                .unwrap(),
        }
    }
    let files_before = snapshot(work.path());
    let relations_before = postgres.as_ref().map(pg_relations);

    let default_runs = [vec!["heads"], vec!["history"], vec!["upgrade", "head"]];
    let runs: Vec<Run> = if case.run.is_empty() {
        default_runs
            .iter()
            .map(|args| Run {
                args: args.iter().map(|a| a.to_string()).collect(),
                names: None,
            })
            .collect()
    } else {
        case.run
    };
    let substitute = |text: &str| {
        let text = text.replace("{dir}", &work.path().to_string_lossy());
        match &postgres {
            Some(db) => text.replace("{pg}", &db.url),
            None => text,
        }
    };
    for run in &runs {
        let args: Vec<String> = run.args.iter().map(|a| substitute(a)).collect();
        // Under GNU time for the peak memory, and under `timeout` so that a hang is killed
        // rather than left behind (GNU time reports the largest of its waited-for children).
        let rss_file = work.path().join(".rss");
        let mut cmd = Command::new(GNU_TIME);
        cmd.current_dir(work.path())
            .env_remove("RMIG_URL")
            .env_remove("DATABASE_URL")
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE")
            .arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(&rss_file)
            .args(["timeout", "-s", "KILL"])
            .arg(RUN_TIMEOUT.as_secs().to_string())
            .arg(assert_cmd::cargo::cargo_bin("rmig"))
            .args(&args);
        if let Some(db) = &postgres {
            cmd.env("RMIG_URL", &db.url);
        }
        for (key, value) in &case.env {
            cmd.env(key, substitute(value));
        }
        let started = Instant::now();
        let output = cmd.output().unwrap_or_else(|e| {
            panic!("cannot run {GNU_TIME} ({e}): install GNU time (`make gnu-time`)")
        });
        let elapsed = started.elapsed();
        let rss_kb: u64 = std::fs::read_to_string(&rss_file)
            .ok()
            .and_then(|text| text.lines().last()?.trim().parse().ok())
            .unwrap_or(0);
        let _ = std::fs::remove_file(&rss_file);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let what = format!("rmig {}", args.join(" "));
        if elapsed >= RUN_TIMEOUT {
            problems.push(format!(
                "{what}: still running after {RUN_TIMEOUT:?} (a hang)"
            ));
            continue;
        }
        let max_seconds = case.max_seconds.unwrap_or(MAX_SECONDS);
        if elapsed > Duration::from_secs(max_seconds) {
            problems.push(format!(
                "{what}: took {elapsed:?}, more than {max_seconds} s"
            ));
        }
        let max_rss_mb = case.max_rss_mb.unwrap_or(MAX_RSS_MB);
        if rss_kb == 0 || rss_kb > max_rss_mb * 1024 {
            problems.push(format!(
                "{what}: peak memory {} MB, not within 1 to {max_rss_mb} MB",
                rss_kb / 1024
            ));
        }
        if output.status.code() != Some(2) {
            problems.push(format!(
                "{what}: exit {:?}, expected 2; stderr: {stderr}",
                output.status.code()
            ));
        }
        let lines: Vec<&str> = stderr.lines().collect();
        if lines.len() != 1 || !stderr.ends_with('\n') {
            problems.push(format!(
                "{what}: stderr is {} lines, expected exactly one: {stderr:?}",
                lines.len()
            ));
        }
        if !stderr.starts_with("rmig: error: ") {
            problems.push(format!(
                "{what}: stderr does not start with 'rmig: error: ': {stderr:?}"
            ));
        }
        if stderr.chars().any(|c| c.is_control() && c != '\n') {
            problems.push(format!(
                "{what}: stderr holds control characters: {stderr:?}"
            ));
        }
        if stderr.len() > 2_000 {
            problems.push(format!(
                "{what}: stderr is {} bytes long, not one clear sentence",
                stderr.len()
            ));
        }
        for forbidden in FORBIDDEN {
            if stderr.contains(forbidden) {
                problems.push(format!("{what}: stderr contains {forbidden:?}: {stderr}"));
            }
        }
        let names = run.names.as_ref().unwrap_or(&case.names);
        if names.is_empty() {
            problems.push(format!(
                "{what}: the case names nothing the message must mention"
            ));
        }
        for expected in names {
            if !stderr.contains(&substitute(expected)) {
                problems.push(format!(
                    "{what}: stderr does not name {expected:?}: {stderr}"
                ));
            }
        }
        for secret in &case.absent {
            if stderr.contains(secret.as_str())
                || String::from_utf8_lossy(&output.stdout).contains(secret.as_str())
            {
                problems.push(format!("{what}: output shows {secret:?}"));
            }
        }
    }

    let files_after = snapshot(work.path());
    if files_after != files_before {
        let changed: Vec<String> = files_before
            .keys()
            .chain(files_after.keys())
            .filter(|path| files_before.get(*path) != files_after.get(*path))
            .map(|path| {
                path.strip_prefix(work.path())
                    .unwrap_or(path)
                    .display()
                    .to_string()
            })
            .collect();
        problems.push(format!(
            "files changed, created or removed: {}",
            changed.join(", ")
        ));
    }
    if let (Some(db), Some(before)) = (&postgres, relations_before) {
        let after = pg_relations(db);
        if after != before {
            problems.push(format!(
                "PostgreSQL relations changed: {before:?} -> {after:?}"
            ));
        }
    }
    problems
        .into_iter()
        .map(|p| format!("{name}: {p}"))
        .collect()
}

/// One case to run: a folder, or a generated case.
enum Job<'a> {
    Folder(PathBuf),
    Generated(&'a generated::Generated),
}

fn run_cases(postgres: bool) {
    let generated = if postgres {
        Vec::new()
    } else {
        generated::cases()
    };
    let mut jobs: Vec<Job<'_>> = case_dirs()
        .into_iter()
        .filter(|dir| (read_case(dir).database.as_deref() == Some("postgres")) == postgres)
        .map(Job::Folder)
        .collect();
    jobs.extend(generated.iter().map(Job::Generated));
    assert!(!jobs.is_empty());
    // The cases are independent and each run is a process of its own: workers take the next
    // case as they finish one, two per core (a run spends part of its time starting up).
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get() * 2);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let problems: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut found = Vec::new();
                    loop {
                        let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        match jobs.get(index) {
                            Some(Job::Folder(dir)) => found.extend(check_case(dir)),
                            Some(Job::Generated(case)) => found.extend(check_generated(case)),
                            None => break found,
                        }
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(
        problems.is_empty(),
        "{} problem(s) in the bad-input corpus:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn corpus_has_at_least_300_cases_each_with_a_note_and_a_unique_name() {
    let dirs = case_dirs();
    let generated = generated::cases();
    let total = dirs.len() + generated.len();
    assert!(total >= 300, "only {total} cases");
    for dir in &dirs {
        assert!(!read_case(dir).note.trim().is_empty(), "{}", dir.display());
    }
    let mut names: Vec<String> = dirs
        .iter()
        .map(|dir| dir.file_name().unwrap().to_string_lossy().to_string())
        .chain(generated.iter().map(|case| case.name.clone()))
        .collect();
    names.sort();
    let before = names.len();
    names.dedup();
    assert_eq!(names.len(), before, "two cases share a name");
    for case in &generated {
        assert!(!case.case.note.trim().is_empty(), "{}", case.name);
    }
}

#[test]
fn corpus_cases_fail_cleanly_with_exit_2_and_leave_files_unchanged() {
    run_cases(false);
}

#[test]
fn corpus_cases_on_postgres_leave_the_database_unchanged() {
    run_cases(true);
}

/// The harness itself must be able to fail: a good project, run as if it were a case, is
/// reported for its exit status and for naming nothing.
#[test]
fn a_good_project_is_reported_by_the_harness() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("revisions")).unwrap();
    std::fs::write(
        dir.path().join("revisions/a1_ok.toml"),
        "revision = \"a1\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("case.toml"),
        "note = \"a valid project\"\nnames = [\"a1\"]\n[[run]]\nargs = [\"heads\"]\n",
    )
    .unwrap();
    let problems = check_case(dir.path());
    assert!(
        problems.iter().any(|p| p.contains("expected 2")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("does not name")),
        "{problems:?}"
    );
}
