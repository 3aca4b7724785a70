//! Revision files: reading the `script_location` folder into typed revisions.
//!
//! Owns the file format (the README, "The file format", and docs/operations.md; TOML and YAML carry the same keys), id rules,
//! and every error that points at a file: malformed documents, unknown keys and ops, invalid or
//! duplicate ids. Relations between revisions (missing parents, cycles) are the graph's concern.

mod cache;
mod checksum;
mod write;

pub use checksum::checksum;

pub use write::{
    new_revision_id, FileNaming, FileTemplate, FileTemplateError, RevisionDraft,
    DEFAULT_SLUG_LENGTH,
};

use std::borrow::Cow;
use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::fs::Metadata;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use self::cache::{FileStamp, FolderCache, Fresh, Recorded};
use crate::dialect::Dialect;
use crate::ops::naming_convention::{name_operations, Naming, NamingConvention};
use crate::ops::reverse::{derive_scoped_downgrade, IrreversibleOperation};
use crate::ops::{InvalidOperation, ScopedOperation};

/// Words of Alembic's revision syntax that can never be revision ids or branch labels.
const RESERVED_NAMES: [&str; 4] = ["head", "heads", "base", "current"];

/// The longest id `alembic_version.version_num VARCHAR(32)` can hold.
pub const MAX_REVISION_ID_LEN: usize = 32;

/// The largest revision file rmig reads. A file is parsed whole, and its operations take
/// about 40 times its size in memory (a 20 MB file of `execute` ops takes 800 MB), so a
/// runaway file would exhaust memory rather than fail; a migration that big belongs in a
/// data load. (Bad-input corpus: `huge_oversized_file`.)
pub const MAX_REVISION_FILE_BYTES: u64 = 16 << 20;

/// One revision as declared in its file.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub id: String,
    /// Parents by `down_revision`; empty for a base, several for a merge point.
    pub down_revisions: Vec<String>,
    pub branch_labels: Vec<String>,
    /// Alembic's `depends_on`: revision ids or branch labels.
    pub depends_on: Vec<String>,
    pub message: Option<String>,
    pub create_date: Option<String>,
    pub transactional: bool,
    /// Each operation with the dialects it runs on ([`crate::ops::running_on`] picks them).
    pub upgrade: Vec<ScopedOperation>,
    pub downgrade: Option<Vec<ScopedOperation>>,
    /// The file it was read from (empty for revisions built in memory).
    pub path: PathBuf,
    /// SHA-256 of the file's canonical text (`None` for revisions built in memory).
    pub checksum: Option<String>,
}

impl Revision {
    /// A revision with no operations, for building graphs in code and tests.
    pub fn new(id: &str, down_revisions: &[&str]) -> Revision {
        Revision {
            id: id.to_string(),
            down_revisions: down_revisions.iter().map(|s| s.to_string()).collect(),
            branch_labels: Vec::new(),
            depends_on: Vec::new(),
            message: None,
            create_date: None,
            transactional: true,
            upgrade: Vec::new(),
            downgrade: None,
            path: PathBuf::new(),
            checksum: None,
        }
    }

    pub fn with_branch_labels(mut self, labels: &[&str]) -> Revision {
        self.branch_labels = labels.iter().map(|s| s.to_string()).collect();
        self
    }

    pub fn with_depends_on(mut self, deps: &[&str]) -> Revision {
        self.depends_on = deps.iter().map(|s| s.to_string()).collect();
        self
    }
}

/// The downgrade a revision runs: the one written, or the one derived from its upgrade.
impl Revision {
    /// The `downgrade` list as written, else the reverse of the upgrade (`ops::reverse`). For a
    /// revision read from a file this never fails: the loader refuses a revision without a
    /// downgrade whose upgrade cannot be reversed.
    pub fn downgrade_ops(&self) -> Result<Cow<'_, [ScopedOperation]>, IrreversibleOperation> {
        match &self.downgrade {
            Some(written) => Ok(Cow::Borrowed(written)),
            None => derive_scoped_downgrade(&self.upgrade).map(Cow::Owned),
        }
    }
}

/// What went wrong reading a revision folder; every variant names the file at fault.
#[derive(Debug, thiserror::Error)]
pub enum RevisionFileError {
    #[error("{} holds {count} Alembic script(s) and no rmig revision: this is an Alembic project; run `rmig import-alembic alembic.ini --into DIR` and use DIR", path.display())]
    AlembicScripts { path: PathBuf, count: usize },
    #[error("cannot read revision folder {}: {source}; check `script_location` and `version_locations` in the config file", path.display())]
    ReadDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read revision file {}: {source}", path.display())]
    ReadFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: the file is {} MiB, more than the {} MiB rmig reads as one revision; split it or load the data another way", path.display(), size >> 20, MAX_REVISION_FILE_BYTES >> 20)]
    TooLarge { path: PathBuf, size: u64 },
    /// The parser's message and the values below are shown printable, so one quoting a key
    /// with a newline stays on one line (found by the `revision_loader` fuzz target:
    /// `fuzz/regressions/revision_loader/`).
    #[error("{}{}: {}", path.display(), line_suffix(*line), crate::term::printable(message))]
    Malformed {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },
    #[error("{}{}: {key} '{}' is not a valid identifier: {reason}", path.display(), line_suffix(*line), crate::term::printable(value))]
    InvalidIdentifier {
        path: PathBuf,
        line: Option<usize>,
        key: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("{}{}: create_date '{}' is not a date; write it as RFC 3339 (2026-11-24T09:00:00+00:00) or as Alembic does (2026-11-24 09:00:00.123456)", path.display(), line_suffix(*line), crate::term::printable(value))]
    InvalidDate {
        path: PathBuf,
        line: Option<usize>,
        value: String,
    },
    /// An entry named like a revision file that is not one: a folder, a FIFO, a socket, a
    /// device, or a symbolic link to nothing or to itself.
    #[error("{}: {what}, not a revision file; remove it or rename it without the .{}", path.display(), path.extension().unwrap_or_default().to_string_lossy())]
    NotAFile { path: PathBuf, what: String },
    #[error("{}: two files for revision '{id}': {} and {}; keep one of them", first.display(), first.file_name().unwrap_or_default().to_string_lossy(), second.file_name().unwrap_or_default().to_string_lossy())]
    TwoFilesForOneRevision {
        id: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("{}{}: revision '{id}' is already declared in {}; every revision needs its own id", second.display(), line_suffix(*line), first.display())]
    DuplicateRevision {
        id: String,
        first: PathBuf,
        second: PathBuf,
        line: Option<usize>,
    },
    /// An operation that cannot run as written: an SQL fragment (`server_default`, a check's
    /// `condition`, ...) that is not one expression or type, which could end the statement it
    /// is pasted into, or an empty name.
    #[error("{}: revision {id}, {}operation {index} ({op}): {source}", path.display(), if *downgrade { "downgrade " } else { "" })]
    InvalidOperation {
        path: PathBuf,
        id: String,
        /// Whether the operation is in the `downgrade` list rather than `upgrade`.
        downgrade: bool,
        /// 1-based, as run-time errors count operations.
        index: usize,
        op: String,
        source: Box<InvalidOperation>,
    },
    /// No `downgrade` is written and the upgrade cannot be reversed (the README, "The file format").
    #[error("{}: revision '{id}' has no `downgrade` and rmig cannot derive one: {source}; write its `downgrade` list", path.display())]
    NoDowngrade {
        path: PathBuf,
        id: String,
        source: IrreversibleOperation,
    },
}

fn line_suffix(line: Option<usize>) -> String {
    line.map(|l| format!(":{l}")).unwrap_or_default()
}

/// The header and operation lists exactly as a file spells them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RevisionDocument {
    revision: String,
    #[serde(default)]
    down_revision: Option<OneOrMany>,
    #[serde(default)]
    branch_labels: Option<OneOrMany>,
    #[serde(default)]
    depends_on: Option<OneOrMany>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    create_date: Option<String>,
    #[serde(default = "default_transactional")]
    transactional: bool,
    #[serde(default)]
    upgrade: Vec<ScopedOperation>,
    #[serde(default)]
    downgrade: Option<Vec<ScopedOperation>>,
}

fn default_transactional() -> bool {
    true
}

/// Alembic accepts a single id or a tuple wherever ids are listed.
#[derive(Debug, Deserialize)]
#[serde(untagged, expecting = "a string or a list of strings")]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) if s.is_empty() => Vec::new(),
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

/// The format of a revision file, from its ending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Toml,
    Yaml,
}

impl FileFormat {
    pub fn of(path: &Path) -> Option<FileFormat> {
        match path.extension()?.to_str()? {
            "toml" => Some(FileFormat::Toml),
            "yaml" | "yml" => Some(FileFormat::Yaml),
            _ => None,
        }
    }
}

impl fmt::Display for FileFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileFormat::Toml => "TOML",
            FileFormat::Yaml => "YAML",
        })
    }
}

/// How much of each revision [`load_dir_with`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadDepth {
    /// Every revision with its operations.
    Operations,
    /// Enough for the graph: a revision the cache (`cache.rs`) vouches for comes without its
    /// operations (`upgrade` empty, `downgrade` unset). Every other file is still read and
    /// checked whole, so the errors are those of [`LoadDepth::Operations`].
    Graph,
}

/// Reads every revision file in `dir` with its operations, no naming convention and the
/// [`portable`] name rules; see [`load_dir_with`].
pub fn load_dir(dir: &Path) -> Result<Vec<Revision>, RevisionFileError> {
    load_dir_with(
        dir,
        LoadDepth::Operations,
        NamingConvention::default().for_database(portable()),
    )
}

/// The name rules revisions are read with when the database they will run on is not known
/// (the library's `Migrator::from_dir` and `from_embedded`): PostgreSQL's, the strictest, so
/// that what loads runs on every database rmig speaks.
fn portable() -> crate::identifier::NameRules {
    Dialect::Postgresql.name_rules()
}

/// Reads every revision file in `dir`, in file-name order (Alembic's load order, which breaks
/// ties when planning), for the database `naming` is for: its convention names the
/// constraints and indexes operations create without a name ([`name_operations`]), and names
/// are checked against what that database keeps.
///
/// Performance (issue 8; 10,000 files): the folder listing gives each entry's type, so a
/// file costs one `open`, one `fstat` and its reads (was three `stat`s by path besides), and
/// the files are read and parsed on up to [`MAX_LOAD_THREADS`] threads; a folder of
/// [`cache::MIN_FILES_TO_CACHE`] files or more goes through the cache, where an unchanged
/// file costs one `stat`. The result, and the error reported when several files are bad
/// (the first in file-name order), are those of reading the files one after another.
pub fn load_dir_with(
    dir: &Path,
    depth: LoadDepth,
    naming: Naming<'_>,
) -> Result<Vec<Revision>, RevisionFileError> {
    load_dir_cached(dir, depth, naming, cache::default_root().as_deref())
}

/// Reads every revision of several folders (`version_locations`), one folder after another
/// in the order given, each in file-name order; with `recursive`, each folder's sub-folders
/// follow it, sorted by name, as Alembic walks them. A folder listed twice is read once. An
/// id declared in two folders is an error naming both files.
pub fn load_dirs(
    folders: &[PathBuf],
    recursive: bool,
    depth: LoadDepth,
    naming: Naming<'_>,
) -> Result<Vec<Revision>, RevisionFileError> {
    let mut walked: Vec<PathBuf> = Vec::new();
    for folder in folders {
        walk(folder, recursive, &mut walked)?;
    }
    let mut read: Vec<PathBuf> = Vec::with_capacity(walked.len());
    let mut revisions: Vec<Revision> = Vec::new();
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    for folder in walked {
        let real = std::fs::canonicalize(&folder).unwrap_or_else(|_| folder.clone());
        if read.contains(&real) {
            continue;
        }
        read.push(real);
        for revision in load_dir_with(&folder, depth, naming)? {
            if let Some(first) = seen.get(&revision.id) {
                let line = read_revision_file(&revision.path)
                    .ok()
                    .and_then(|(text, _)| key_line(&text, "revision"));
                return Err(RevisionFileError::DuplicateRevision {
                    id: revision.id,
                    first: first.clone(),
                    second: revision.path,
                    line,
                });
            }
            seen.insert(revision.id.clone(), revision.path.clone());
            revisions.push(revision);
        }
    }
    Ok(revisions)
}

/// `folder`, then (with `recursive`) its sub-folders depth first, each level sorted by name;
/// Python's `__pycache__` is skipped.
fn walk(folder: &Path, recursive: bool, out: &mut Vec<PathBuf>) -> Result<(), RevisionFileError> {
    out.push(folder.to_path_buf());
    if !recursive {
        return Ok(());
    }
    let read_error = |source| RevisionFileError::ReadDir {
        path: folder.to_path_buf(),
        source,
    };
    let mut subfolders = Vec::new();
    for entry in std::fs::read_dir(folder).map_err(read_error)? {
        let entry = entry.map_err(read_error)?;
        let path = entry.path();
        if path.is_dir() && entry.file_name() != "__pycache__" && FileFormat::of(&path).is_none() {
            subfolders.push(path);
        }
    }
    subfolders.sort();
    for subfolder in subfolders {
        walk(&subfolder, recursive, out)?;
    }
    Ok(())
}

/// A Python file that may be an Alembic revision script: not `env.py` or a package marker.
fn is_alembic_script(path: &Path) -> bool {
    path.extension().is_some_and(|extension| extension == "py")
        && !path
            .file_name()
            .is_some_and(|name| name == "env.py" || name == "__init__.py")
}

/// [`load_dir_with`] with the caches kept under `cache_root` (none: no cache).
fn load_dir_cached(
    dir: &Path,
    depth: LoadDepth,
    naming: Naming<'_>,
    cache_root: Option<&Path>,
) -> Result<Vec<Revision>, RevisionFileError> {
    let entries = std::fs::read_dir(dir).map_err(|source| RevisionFileError::ReadDir {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files: Vec<(OsString, PathBuf)> = Vec::new();
    // Entries named like revision files that are none, reported by the first name.
    let mut odd: Option<(OsString, RevisionFileError)> = None;
    // Alembic's own scripts, which rmig does not run: a folder of only these is an Alembic
    // project not yet imported, not an empty history.
    let mut python_scripts = 0usize;
    for entry in entries {
        let entry = entry.map_err(|source| RevisionFileError::ReadDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        let name = entry.file_name();
        if is_alembic_script(&path) {
            python_scripts += 1;
        }
        if FileFormat::of(&path).is_none() || name.as_encoded_bytes().starts_with(b".#") {
            // `.#name` is an editor's lock file (Emacs: a symbolic link to nothing while the
            // file is edited), which Alembic skips too.
            continue;
        }
        // The type the listing reports costs no `stat`; a symbolic link (or a filesystem
        // that reports no type) is followed, as `Path::is_file` does.
        let kind = match entry.file_type() {
            Ok(kind) if !kind.is_symlink() => Ok(kind),
            _ => std::fs::metadata(&path).map(|m| m.file_type()),
        };
        let what = match kind {
            Ok(kind) if kind.is_file() => {
                files.push((name, path));
                continue;
            }
            Ok(kind) => not_a_file(kind).to_string(),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                "a symbolic link to a missing file".to_string()
            }
            Err(error) => format!("a symbolic link that cannot be followed ({error})"),
        };
        if odd.as_ref().is_none_or(|(first, _)| name < *first) {
            odd = Some((name, RevisionFileError::NotAFile { path, what }));
        }
    }
    if let Some((_, error)) = odd {
        return Err(error);
    }
    if files.is_empty() {
        // Alembic's layout: env.py here, the scripts in versions/.
        python_scripts += std::fs::read_dir(dir.join("versions"))
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|entry| is_alembic_script(&entry.path()))
                    .count()
            })
            .unwrap_or(0);
    }
    if files.is_empty() && python_scripts > 0 {
        return Err(RevisionFileError::AlembicScripts {
            path: dir.to_path_buf(),
            count: python_scripts,
        });
    }
    // Sorted by the names taken once, rather than `Path::file_name` per comparison.
    files.sort_by(|a, b| a.0.cmp(&b.0));

    let cache = cache_root
        .filter(|_| files.len() >= cache::MIN_FILES_TO_CACHE)
        .and_then(|root| FolderCache::open(dir, root, naming));
    let recorded = cache.as_ref().map(FolderCache::recorded);
    let parsed = parse_files(&files, |(name, path)| {
        load_file(name, path, recorded.as_ref(), depth, naming)
    });
    let mut revisions: Vec<Revision> = Vec::with_capacity(files.len());
    let mut sources: Vec<(Option<FileStamp>, Option<Cow<'_, str>>)> =
        Vec::with_capacity(files.len());
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(files.len());
    for ((_, path), result) in files.iter().zip(parsed) {
        let loaded = result?;
        let revision = loaded.revision;
        if let Some(&index) = seen.get(&revision.id) {
            let first = revisions[index].path.clone();
            let second = path.clone();
            return Err(if first.file_stem() == second.file_stem() {
                RevisionFileError::TwoFilesForOneRevision {
                    id: revision.id,
                    first,
                    second,
                }
            } else {
                // Read again for the line: only on this error, so the texts need not be kept.
                let line = read_revision_file(&second)
                    .ok()
                    .and_then(|(text, _)| key_line(&text, "revision"));
                RevisionFileError::DuplicateRevision {
                    line,
                    id: revision.id,
                    first,
                    second,
                }
            });
        }
        seen.insert(revision.id.clone(), revisions.len());
        revisions.push(revision);
        sources.push((loaded.stamp, loaded.text));
    }
    if let (Some(cache), Some(recorded)) = (&cache, &recorded) {
        let read_any = sources
            .iter()
            .any(|(_, text)| matches!(text, Some(Cow::Owned(_))));
        if read_any || recorded.len() != revisions.len() {
            let fresh: Vec<Fresh<'_>> = files
                .iter()
                .zip(&sources)
                .zip(&revisions)
                .filter_map(|(((name, _), (stamp, text)), revision)| {
                    Some(Fresh {
                        file_name: name.to_str()?,
                        stamp: (*stamp)?,
                        text: text.as_deref()?,
                        revision,
                    })
                })
                .collect();
            cache.store(&fresh);
        }
    }
    Ok(revisions)
}

/// What a folder entry is when it is not a regular file, for [`RevisionFileError::NotAFile`].
/// A FIFO is never opened: reading one would wait for a writer forever.
fn not_a_file(kind: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "a device";
        }
    }
    if kind.is_dir() {
        "a folder"
    } else {
        "something other than a file"
    }
}

/// One file's revision, with what the cache records of it (when a cache is in use): its
/// status and its text, borrowed from the cache (`Cow::Borrowed`) or just read.
struct Loaded<'c> {
    revision: Revision,
    stamp: Option<FileStamp>,
    text: Option<Cow<'c, str>>,
}

fn load_file<'c>(
    name: &OsString,
    path: &Path,
    recorded: Option<&Recorded<'c>>,
    depth: LoadDepth,
    naming: Naming<'_>,
) -> Result<Loaded<'c>, RevisionFileError> {
    let Some(recorded) = recorded else {
        let (text, _) = read_revision_file(path)?;
        return Ok(Loaded {
            revision: parse_revision_with(path, &text, naming)?,
            stamp: None,
            text: None,
        });
    };
    let stamp = std::fs::metadata(path)
        .ok()
        .as_ref()
        .and_then(FileStamp::of);
    let hit = stamp
        .zip(name.to_str())
        .and_then(|(stamp, name)| recorded.lookup(name, &stamp));
    if let Some(hit) = hit {
        let revision = match depth {
            LoadDepth::Graph => hit.header_revision(path.to_path_buf()),
            LoadDepth::Operations => {
                parse_revision_with_checksum(path, hit.text(), naming, Some(hit.checksum()))?
            }
        };
        return Ok(Loaded {
            revision,
            stamp,
            text: Some(Cow::Borrowed(hit.text())),
        });
    }
    // The status of the file as opened, which is the version read.
    let (text, metadata) = read_revision_file(path)?;
    Ok(Loaded {
        revision: parse_revision_with(path, &text, naming)?,
        stamp: FileStamp::of(&metadata),
        text: Some(Cow::Owned(text)),
    })
}

/// The most threads [`load_dir`] reads and parses files on.
pub const MAX_LOAD_THREADS: usize = 8;

/// Files a thread takes at a time; a folder of fewer than two batches is read on the
/// calling thread alone.
const LOAD_BATCH: usize = 64;

/// Runs `load` on every file, in their order: one result per file up to the first error in
/// that order (the results after it may be missing). Batches of [`LOAD_BATCH`] files are
/// handed out in order to up to [`MAX_LOAD_THREADS`] scoped threads, so a thread slowed by a
/// busy machine takes fewer of them; once a batch fails no new batch starts, and every
/// batch before it has already been taken, so the first error in file-name order is among
/// the results.
fn parse_files<T, F>(files: &[(OsString, PathBuf)], load: F) -> Vec<Result<T, RevisionFileError>>
where
    T: Send,
    F: Fn(&(OsString, PathBuf)) -> Result<T, RevisionFileError> + Sync,
{
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    let parse_batch = |batch: &[(OsString, PathBuf)]| {
        let mut out = Vec::with_capacity(batch.len());
        for file in batch {
            let result = load(file);
            let failed = result.is_err();
            out.push(result);
            if failed {
                break;
            }
        }
        out
    };
    let batches: Vec<&[(OsString, PathBuf)]> = files.chunks(LOAD_BATCH).collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_LOAD_THREADS)
        .min(batches.len());
    if threads <= 1 {
        let mut results = Vec::with_capacity(files.len());
        for batch in batches {
            results.extend(parse_batch(batch));
            if results.last().is_some_and(Result::is_err) {
                break;
            }
        }
        return results;
    }
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let mut done: Vec<(usize, Vec<Result<T, RevisionFileError>>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    while !failed.load(Ordering::Relaxed) {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(batch) = batches.get(index) else {
                            break;
                        };
                        let results = parse_batch(batch);
                        if results.last().is_some_and(Result::is_err) {
                            failed.store(true, Ordering::Relaxed);
                        }
                        mine.push((index, results));
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| match worker.join() {
                Ok(results) => results,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    done.sort_unstable_by_key(|(index, _)| *index);
    let mut results = Vec::with_capacity(files.len());
    for (_, batch) in done {
        let failed = batch.last().is_some_and(Result::is_err);
        results.extend(batch);
        if failed {
            break;
        }
    }
    results
}

/// One revision file's text, refused above [`MAX_REVISION_FILE_BYTES`]. The size comes from
/// the open file (`fstat`), not from a second look-up of the path; its status is returned
/// with the text.
fn read_revision_file(path: &Path) -> Result<(String, Metadata), RevisionFileError> {
    use std::io::Read;

    let read_error = |source| RevisionFileError::ReadFile {
        path: path.to_path_buf(),
        source,
    };
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(source) => {
            // As before: a file too large is reported as such even when it cannot be opened.
            let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            if size > MAX_REVISION_FILE_BYTES {
                return Err(RevisionFileError::TooLarge {
                    path: path.to_path_buf(),
                    size,
                });
            }
            return Err(read_error(source));
        }
    };
    let metadata = file.metadata().map_err(read_error)?;
    let size = metadata.len();
    if size > MAX_REVISION_FILE_BYTES {
        return Err(RevisionFileError::TooLarge {
            path: path.to_path_buf(),
            size,
        });
    }
    // Read into a buffer of the known size plus one byte (to see the end of the file), not
    // with `read_to_string`, which asks for the size again (`fstat` and `lseek`).
    let mut bytes = vec![0u8; size as usize + 1];
    let mut filled = 0;
    loop {
        if filled == bytes.len() {
            // The file grew since `fstat`: read the rest as it comes.
            let mut rest = Vec::new();
            file.read_to_end(&mut rest).map_err(read_error)?;
            bytes.extend_from_slice(&rest);
            filled = bytes.len();
            break;
        }
        match file.read(&mut bytes[filled..]) {
            Ok(0) => break,
            Ok(count) => filled += count,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(read_error(error)),
        }
    }
    bytes.truncate(filled);
    // The same error as `read_to_string` gives for a file that is not UTF-8.
    let text = String::from_utf8(bytes).map_err(|_| {
        read_error(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        ))
    })?;
    Ok((text, metadata))
}

/// Parses one revision file's text; `path` picks the format and names the file in errors.
/// No naming convention and the [`portable`] name rules: see [`parse_revision_with`].
pub fn parse_revision(path: &Path, text: &str) -> Result<Revision, RevisionFileError> {
    parse_revision_with(
        path,
        text,
        NamingConvention::default().for_database(portable()),
    )
}

/// [`parse_revision`] for the database `naming` is for: under rmig.toml's naming convention,
/// names checked against what that database keeps.
pub fn parse_revision_with(
    path: &Path,
    text: &str,
    naming: Naming<'_>,
) -> Result<Revision, RevisionFileError> {
    parse_revision_with_checksum(path, text, naming, None)
}

/// [`parse_revision_with`], taking the text's checksum when it is already known (a cached
/// file's).
fn parse_revision_with_checksum(
    path: &Path,
    text: &str,
    naming: Naming<'_>,
    known_checksum: Option<&str>,
) -> Result<Revision, RevisionFileError> {
    // A UTF-8 byte-order mark is not part of the document (YAML read one as a second
    // document; corpus: `encoding_yaml_bom_unknown_key`), nor are Windows line endings
    // (TOML keeps a CR inside a multi-line string, where it would reach the SQL).
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let text = &*checksum::with_lf_line_endings(text);
    let format = FileFormat::of(path).unwrap_or(FileFormat::Toml);
    let malformed = |line: Option<usize>, message: String| RevisionFileError::Malformed {
        path: path.to_path_buf(),
        line,
        message,
    };
    let mut document: RevisionDocument = match format {
        // The common shape of a revision file first (fast_toml.rs); anything else, and every
        // error, through the `toml` crate.
        FileFormat::Toml => toml::from_str(text).map_err(|e| {
            let line = e.span().map(|span| line_of_offset(text, span.start));
            malformed(line, describe_parse_error(text, line, format, e.message()))
        })?,
        FileFormat::Yaml => check_yaml_flow_depth(text)
            .map_err(|line| {
                malformed(
                    Some(line),
                    format!(
                        "invalid YAML: collections nested more than {MAX_YAML_FLOW_DEPTH} deep"
                    ),
                )
            })
            .and_then(|()| {
                serde_yaml_ng::from_str(text).map_err(|e| {
                    let line = e.location().map(|l| l.line());
                    let message = strip_yaml_location(&e.to_string());
                    malformed(line, describe_parse_error(text, line, format, &message))
                })
            })?,
    };

    let invalid = |key: &'static str, value: &str, reason: &'static str| {
        RevisionFileError::InvalidIdentifier {
            path: path.to_path_buf(),
            line: key_line(text, key),
            key,
            value: value.to_string(),
            reason,
        }
    };
    if let Err(reason) = check_revision_id(&document.revision) {
        return Err(invalid("revision", &document.revision, reason));
    }
    let down_revisions = document
        .down_revision
        .map(OneOrMany::into_vec)
        .unwrap_or_default();
    for down in &down_revisions {
        check_revision_id(down).map_err(|reason| invalid("down_revision", down, reason))?;
    }
    if let Some(twice) = listed_twice(&down_revisions) {
        return Err(invalid("down_revision", twice, "it is listed twice"));
    }
    if down_revisions.contains(&document.revision) {
        return Err(invalid(
            "down_revision",
            &document.revision,
            "a revision cannot be its own down_revision",
        ));
    }
    let branch_labels = document
        .branch_labels
        .map(OneOrMany::into_vec)
        .unwrap_or_default();
    for label in &branch_labels {
        check_branch_label(label).map_err(|reason| invalid("branch_labels", label, reason))?;
    }
    if let Some(twice) = listed_twice(&branch_labels) {
        return Err(invalid("branch_labels", twice, "it is listed twice"));
    }
    let depends_on = document
        .depends_on
        .map(OneOrMany::into_vec)
        .unwrap_or_default();
    for dep in &depends_on {
        check_branch_label(dep).map_err(|reason| invalid("depends_on", dep, reason))?;
    }
    if let Some(twice) = listed_twice(&depends_on) {
        return Err(invalid("depends_on", twice, "it is listed twice"));
    }
    if let Some(date) = &document.create_date {
        if !is_create_date(date) {
            return Err(RevisionFileError::InvalidDate {
                path: path.to_path_buf(),
                line: key_line(text, "create_date"),
                value: date.clone(),
            });
        }
    }
    if depends_on.contains(&document.revision) {
        return Err(invalid(
            "depends_on",
            &document.revision,
            "a revision cannot depend on itself",
        ));
    }
    // Names come first, so that what is checked, rendered, guarded and reversed is what runs.
    let lists = [
        (false, Some(&mut document.upgrade)),
        (true, document.downgrade.as_mut()),
    ];
    for (downgrade, ops) in lists {
        if let Some(ops) = ops {
            name_operations(ops, &naming).map_err(|unnamed| {
                RevisionFileError::InvalidOperation {
                    path: path.to_path_buf(),
                    id: document.revision.clone(),
                    downgrade,
                    index: unnamed.index,
                    op: unnamed.op,
                    source: Box::new(InvalidOperation::Naming(unnamed.error)),
                }
            })?;
        }
    }
    // Operations are checked here, before any database work: rendering pastes fragments into
    // SQL, and an empty name would only fail in the database.
    let lists = [
        (false, Some(&document.upgrade)),
        (true, document.downgrade.as_ref()),
    ];
    for (downgrade, ops) in lists {
        for (index, scoped) in ops.into_iter().flatten().enumerate() {
            scoped
                .op
                .check(naming.rules.max_length)
                .and_then(|()| scoped.check_dialects().map_err(InvalidOperation::Dialects))
                .map_err(|source| RevisionFileError::InvalidOperation {
                    path: path.to_path_buf(),
                    id: document.revision.clone(),
                    downgrade,
                    index: index + 1,
                    op: scoped.op.describe(),
                    source: Box::new(source),
                })?;
        }
    }
    // A revision without `downgrade` is downgraded by reversing its upgrade; one that cannot
    // be reversed is refused now, not when a downgrade reaches it.
    if document.downgrade.is_none() {
        if let Err(source) = derive_scoped_downgrade(&document.upgrade) {
            return Err(RevisionFileError::NoDowngrade {
                path: path.to_path_buf(),
                id: document.revision,
                source,
            });
        }
    }
    Ok(Revision {
        id: document.revision,
        down_revisions,
        branch_labels,
        depends_on,
        message: document.message,
        create_date: document.create_date,
        transactional: document.transactional,
        upgrade: document.upgrade,
        downgrade: document.downgrade,
        path: path.to_path_buf(),
        checksum: Some(known_checksum.map_or_else(|| checksum(text), str::to_string)),
    })
}

/// The first id a list holds more than once: a merge of `["a", "a"]` planned its parent once
/// and recorded it as two heads (issue 15).
fn listed_twice(ids: &[String]) -> Option<&str> {
    let mut seen = std::collections::HashSet::with_capacity(ids.len());
    ids.iter()
        .find(|id| !seen.insert(id.as_str()))
        .map(String::as_str)
}

/// Whether `text` is a date as rmig writes `create_date` (RFC 3339), as `import-alembic`
/// writes an Alembic one (RFC 3339 without an offset when Alembic had none), or as Alembic's
/// own headers do (`2024-05-01 10:23:45.123456`, maybe with an offset).
pub fn is_create_date(text: &str) -> bool {
    use chrono::{DateTime, NaiveDateTime};
    DateTime::parse_from_rfc3339(text).is_ok()
        || ["%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%:z"]
            .iter()
            .any(|format| DateTime::parse_from_str(text, format).is_ok())
        || ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
            .iter()
            .any(|format| NaiveDateTime::parse_from_str(text, format).is_ok())
}

/// Checks an id against what Alembic's revision syntax and its version table can carry. Ids
/// take labels' alphabet and `.` besides, which the syntax leaves free and real histories use
/// (`v0.9.0.a`).
pub fn check_revision_id(id: &str) -> Result<(), &'static str> {
    check_symbol(
        id,
        &['_', '.'],
        "use only letters, digits, '_' and '.' (Alembic's syntax gives '@', '-', '+' and ':' a meaning)",
    )?;
    if id.len() > MAX_REVISION_ID_LEN {
        return Err("it is longer than the 32 characters alembic_version.version_num holds");
    }
    Ok(())
}

/// Branch labels keep to letters, digits and `_`, so that `label@head` and `rev+2` parse
/// unambiguously.
pub fn check_branch_label(label: &str) -> Result<(), &'static str> {
    check_symbol(
        label,
        &['_'],
        "use only letters, digits and '_' (Alembic's syntax gives '@', '-', '+' and ':' a meaning)",
    )
}

/// What ids and labels share: not empty, ASCII letters and digits plus `extra`, and none of
/// the revision syntax's words.
fn check_symbol(text: &str, extra: &[char], alphabet: &'static str) -> Result<(), &'static str> {
    if text.is_empty() {
        return Err("it is empty");
    }
    if !text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
    {
        return Err(alphabet);
    }
    if RESERVED_NAMES.contains(&text) {
        return Err("'head', 'heads', 'base' and 'current' are words of the revision syntax");
    }
    Ok(())
}

/// The parser's message, with the top-level key the error sits under (`upgrade`, ...) when
/// it is inside one, since serde's messages name the field but not where it is.
fn describe_parse_error(
    text: &str,
    line: Option<usize>,
    format: FileFormat,
    message: &str,
) -> String {
    // TOML's type errors ("invalid type: string \"yes\", expected a boolean") do not say
    // which key they are about; the key set on the error's line does (corpus:
    // `toml_*_is_*`). YAML's messages carry the key path already.
    let set_here = line
        .filter(|_| format == FileFormat::Toml)
        .and_then(|line| key_set_on_line(text, line));
    let table = line.and_then(|line| enclosing_key(text, line));
    // Revisions rmig wrote before its template left the key out hold `upgrade = []`, and
    // appending `[[upgrade]]` tables, as every example does, sets the key a second time.
    if let (FileFormat::Toml, Some(list @ ("upgrade" | "downgrade"))) = (format, table.as_deref()) {
        if message.starts_with("duplicate key") {
            return format!(
                "invalid {format} in `{list}`: {message}: the file sets `{list} = [...]` and also has `[[{list}]]` tables; remove the `{list} = [...]` line"
            );
        }
    }
    match (table, set_here) {
        (Some(table), Some(key)) if table != key => {
            format!("invalid {format} in `{table}`, key `{key}`: {message}")
        }
        (Some(key), _) | (None, Some(key)) => format!("invalid {format} in `{key}`: {message}"),
        (None, None) => format!("invalid {format}: {message}"),
    }
}

/// The key a 1-based TOML line sets (`key = ...`), if it sets one.
fn key_set_on_line(text: &str, line: usize) -> Option<String> {
    let content = text.lines().nth(line.checked_sub(1)?)?.trim_start();
    let end = content
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(content.len());
    let (key, rest) = content.split_at(end);
    let rest = rest.trim_start();
    (!key.is_empty() && rest.starts_with('=')).then(|| key.to_string())
}

/// The nearest TOML table header (`[[upgrade]]`) or unindented YAML block key (`upgrade:`)
/// at or above a 1-based line.
fn enclosing_key(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().take(line).collect();
    lines.into_iter().rev().find_map(|l| {
        if let Some(header) = l.trim().strip_prefix('[') {
            let name = header.trim_start_matches('[').split(']').next()?.trim();
            return Some(name.to_string());
        }
        let (key, rest) = l.split_once(':')?;
        let is_block_key = !l.starts_with([' ', '\t', '-', '#'])
            && rest.trim().is_empty()
            && key.chars().all(|c| c.is_alphanumeric() || c == '_');
        is_block_key.then(|| key.to_string())
    })
}

/// The deepest `[`/`{` nesting YAML may have: serde_yaml_ng's own recursion limit, so no
/// document it would accept is refused.
const MAX_YAML_FLOW_DEPTH: usize = 128;

/// Refuses flow collections nested deeper than `MAX_YAML_FLOW_DEPTH` before the YAML parser
/// sees them: its time grows with the square of the depth (50,000 `[` took 15 s, 200,000 took
/// almost 5 minutes) before its recursion limit applies (corpus: `huge_deep_yaml_sequences`).
/// Quoted scalars and comments are skipped; returns the 1-based line where the limit is passed.
fn check_yaml_flow_depth(text: &str) -> Result<(), usize> {
    let mut depth = 0usize;
    let mut line = 1;
    let mut quote: Option<char> = None;
    let mut previous = '\n';
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' {
            line += 1;
        }
        match quote {
            Some('"') if c == '\\' => {
                chars.next();
            }
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' => quote = Some(c),
                '#' if previous.is_whitespace() => {
                    while chars.peek().is_some_and(|&n| n != '\n') {
                        chars.next();
                    }
                }
                '[' | '{' => {
                    depth += 1;
                    if depth > MAX_YAML_FLOW_DEPTH {
                        return Err(line);
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
        previous = c;
    }
    Ok(())
}

/// 1-based line of a byte offset.
fn line_of_offset(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// 1-based line where `key` is set at the top level (TOML `key =` or YAML `key:`), if any.
fn key_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            line.strip_prefix(key)
                .map(|rest| {
                    let rest = rest.trim_start();
                    rest.starts_with('=') || rest.starts_with(':')
                })
                .unwrap_or(false)
        })
        .map(|index| index + 1)
}

/// The 1-based line where operation `index` of a revision file's `list` (`upgrade` or
/// `downgrade`) starts, for reports that point at it (`check --lint --format github`). TOML
/// keeps each operation's place; YAML is read without places, so there it is the line of the
/// list's key. `None` when the text does not say.
pub fn operation_line(text: &str, format: FileFormat, list: &str, index: usize) -> Option<usize> {
    #[derive(Deserialize)]
    struct Lists {
        #[serde(default)]
        upgrade: Vec<toml::Spanned<serde::de::IgnoredAny>>,
        #[serde(default)]
        downgrade: Vec<toml::Spanned<serde::de::IgnoredAny>>,
    }
    match format {
        FileFormat::Toml => {
            let lists: Lists = toml::from_str(text).ok()?;
            let operations = match list {
                "upgrade" => lists.upgrade,
                "downgrade" => lists.downgrade,
                _ => return None,
            };
            let start = operations.get(index)?.span().start;
            Some(line_of_offset(text, start))
        }
        FileFormat::Yaml => key_line(text, list),
    }
}

/// serde_yaml_ng appends "at line L column C" to messages; the line already leads ours.
fn strip_yaml_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect;

    #[test]
    fn operation_lines_point_at_each_operation() {
        let toml_text = "revision = \"a1\"\n\n[[downgrade]]\nop = \"drop_table\"\ntable_name = \"t\"\n\n[[upgrade]]\nop = \"create_table\"\ntable_name = \"t\"\n\n[[upgrade]]\n# the second\nop = \"execute\"\nsqltext = \"SELECT 1\"\n";
        let line = |list, index| operation_line(toml_text, FileFormat::Toml, list, index);
        assert_eq!(
            (line("upgrade", 0), line("upgrade", 1), line("upgrade", 2)),
            (Some(7), Some(11), None)
        );
        assert_eq!(line("downgrade", 0), Some(3));
        let inline = "revision = \"a1\"\nupgrade = [\n  { op = \"execute\", sqltext = \"SELECT 1\" },\n  { op = \"execute\", sqltext = \"SELECT 2\" },\n]\n";
        assert_eq!(
            operation_line(inline, FileFormat::Toml, "upgrade", 1),
            Some(4)
        );
        let yaml = "revision: a1\nupgrade:\n  - op: execute\n    sqltext: SELECT 1\n  - op: execute\n    sqltext: SELECT 2\n";
        assert_eq!(
            operation_line(yaml, FileFormat::Yaml, "upgrade", 1),
            Some(2)
        );
    }

    fn parse(name: &str, text: &str) -> Result<Revision, RevisionFileError> {
        parse_revision(Path::new(name), text)
    }

    /// A file checked out with Windows line endings gave its multi-line SQL carriage returns,
    /// which ran as part of the statements (TOML keeps them; YAML already made them LF).
    #[test]
    fn crlf_inside_a_multi_line_string_reached_the_sql() {
        for (name, text) in [
            (
                "a1_x.toml",
                "revision = \"a1\"\r\ndowngrade = []\r\n\r\n[[upgrade]]\r\nop = \"execute\"\r\nsqltext = \"\"\"\r\nSELECT 1;\r\nSELECT 2\r\n\"\"\"\r\n",
            ),
            (
                "a1_x.yaml",
                "revision: a1\r\ndowngrade: []\r\nupgrade:\r\n  - op: execute\r\n    sqltext: |\r\n      SELECT 1;\r\n      SELECT 2\r\n",
            ),
        ] {
            let revision = parse(name, text).unwrap();
            let crate::ops::Operation::Execute(execute) = &revision.upgrade[0].op else {
                panic!("{name}: {:?}", revision.upgrade);
            };
            assert_eq!(
                execute.sqltext.as_deref(),
                Some("SELECT 1;\nSELECT 2\n"),
                "{name}"
            );
            assert_eq!(
                revision.checksum,
                Some(checksum(&text.replace("\r\n", "\n"))),
                "{name}"
            );
        }
    }

    #[test]
    fn an_upgrade_list_and_appended_upgrade_tables_gave_no_hint() {
        let error = parse(
            "a1_x.toml",
            "revision = \"a1\"\nupgrade = []\n\n[[upgrade]]\nop = \"execute\"\nsqltext = \"SELECT 1\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("remove the `upgrade = [...]` line"),
            "{error}"
        );
    }

    /// Optuna's history spells its ids like versions (`v0.9.0.a`); Alembic takes them, and
    /// `.` means nothing in its revision syntax, so rmig takes them too.
    #[test]
    fn a_revision_id_with_dots_was_refused() {
        let revision = parse(
            "v0.9.0.a_x.toml",
            "revision = \"v1.1.0.b\"\ndown_revision = \"v0.9.0.a\"\n",
        )
        .unwrap();
        assert_eq!(revision.id, "v1.1.0.b");
        assert_eq!(revision.down_revisions, vec!["v0.9.0.a"]);
        assert!(
            check_branch_label("v1.0").is_err(),
            "labels keep their alphabet"
        );
    }

    #[test]
    fn parses_toml_header_and_operations() {
        let revision = parse(
            "ae1027a6acf_rename.toml",
            r#"
revision = "ae1027a6acf"
down_revision = "1975ea83b712"
branch_labels = ["profiles"]
message = "rename user_profiles to member_profiles"

[[upgrade]]
op = "rename_table"
old_table_name = "user_profiles"
new_table_name = "member_profiles"
"#,
        )
        .unwrap();
        assert_eq!(revision.id, "ae1027a6acf");
        assert_eq!(revision.down_revisions, vec!["1975ea83b712"]);
        assert_eq!(revision.branch_labels, vec!["profiles"]);
        assert!(revision.transactional);
        assert_eq!(revision.upgrade.len(), 1);
        assert_eq!(revision.upgrade[0].op.name(), "rename_table");
        assert_eq!(revision.downgrade, None);
    }

    #[test]
    fn parses_yaml_merge_point() {
        let revision = parse(
            "53fffde5ad5_merge.yaml",
            "revision: 53fffde5ad5\ndown_revision: [ae1027a6acf, 27c6a30d7c24]\ndepends_on: abranch\ntransactional: false\n",
        )
        .unwrap();
        assert_eq!(revision.down_revisions, vec!["ae1027a6acf", "27c6a30d7c24"]);
        assert_eq!(revision.depends_on, vec!["abranch"]);
        assert!(!revision.transactional);
    }

    #[test]
    fn empty_down_revision_is_a_base() {
        let revision = parse("a.toml", "revision = \"a1\"\ndown_revision = \"\"\n").unwrap();
        assert!(revision.down_revisions.is_empty());
        let revision = parse("a.yaml", "revision: a1\ndown_revision: null\n").unwrap();
        assert!(revision.down_revisions.is_empty());
    }

    #[test]
    fn malformed_toml_names_file_and_line() {
        let err = parse("x_bad.toml", "revision = \"a1\"\nmessage = \n").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("x_bad.toml:2: invalid TOML"), "{text}");
    }

    #[test]
    fn malformed_yaml_names_file_and_line() {
        let err = parse("x_bad.yaml", "revision: a1\nmessage: [unclosed\n").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("x_bad.yaml:"), "{text}");
        assert!(text.contains("invalid YAML"), "{text}");
        assert!(matches!(
            err,
            RevisionFileError::Malformed { line: Some(_), .. }
        ));
    }

    #[test]
    fn unknown_header_key_is_named() {
        let err = parse("x.toml", "revision = \"a1\"\ndown_revisoin = \"b\"\n").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("x.toml:2:"), "{text}");
        assert!(text.contains("down_revisoin"), "{text}");
        let err = parse("x.yaml", "revision: a1\ndown_revisoin: b\n").unwrap_err();
        assert!(err.to_string().contains("down_revisoin"), "{err}");
    }

    #[test]
    fn unknown_op_is_named() {
        let err = parse(
            "x.toml",
            "revision = \"a1\"\n\n[[upgrade]]\nop = \"drop_everything\"\n",
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("x.toml:"), "{text}");
        assert!(text.contains("drop_everything"), "{text}");
        assert!(text.contains("upgrade"), "{text}");
    }

    #[test]
    fn unknown_op_key_is_named() {
        let err = parse(
            "x.yaml",
            "revision: a1\nupgrade:\n  - op: rename_table\n    old_table_name: a\n    new_table_name: b\n    bogus: 1\n",
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("x.yaml:"), "{text}");
        assert!(text.contains("bogus"), "{text}");
    }

    #[test]
    fn unnamed_indexes_and_constraints_get_the_naming_conventions_names_and_their_derived_drops_too(
    ) {
        let text = "revision = \"a1\"\n\n[[upgrade]]\nop = \"create_index\"\ntable_name = \"orders\"\ncolumns = [\"placed_at\"]\n\n[[upgrade]]\nop = \"create_unique_constraint\"\ntable_name = \"orders\"\ncolumns = [\"code\"]\n\n[[upgrade]]\nop = \"create_check_constraint\"\nconstraint_name = \"ck_written\"\ntable_name = \"orders\"\ncondition = \"total > 0\"\n";
        // Without a convention the unnamed index is refused, naming the operation; the
        // unique constraint alone would be left to the database, as before.
        let message = parse("a1_x.toml", text).unwrap_err().to_string();
        assert!(
            message.starts_with("a1_x.toml: revision a1, operation 1 (create_index on orders): the index has no `index_name`"),
            "{message}"
        );
        let naming = NamingConvention::parse([
            ("ix".to_string(), "ix_%(column_0_label)s".to_string()),
            (
                "uq".to_string(),
                "uq_%(table_name)s_%(column_0_name)s".to_string(),
            ),
            (
                "ck".to_string(),
                "ck_%(table_name)s_%(constraint_name)s".to_string(),
            ),
        ])
        .unwrap();
        let revision = parse_revision_with(
            Path::new("a1_x.toml"),
            text,
            naming.for_database(Dialect::Postgresql.name_rules()),
        )
        .unwrap();
        let names: Vec<String> = revision
            .upgrade
            .iter()
            .chain(revision.downgrade_ops().unwrap().iter())
            .map(|scoped| scoped.op.describe())
            .collect();
        // A written name is final, even under a template with %(constraint_name)s.
        assert_eq!(
            names,
            [
                "create_index ix_orders_placed_at on orders",
                "create_unique_constraint uq_orders_code on orders",
                "create_check_constraint ck_written on orders",
                "drop_constraint ck_written on orders",
                "drop_constraint uq_orders_code on orders",
                "drop_index ix_orders_placed_at on orders",
            ]
        );
    }

    #[test]
    fn operations_for_some_dialects_load_from_toml_and_yaml_and_an_unknown_dialect_names_the_file()
    {
        let toml_text = "revision = \"a1\"\ndowngrade = []\n\n[[upgrade]]\nop = \"add_column\"\ntable_name = \"t\"\ncolumn = { name = \"email\", type = \"text\", unique = true }\ndialect = \"postgresql\"\n\n[[upgrade]]\nop = \"execute\"\nsqltext = \"PRAGMA optimize\"\ndialect = [\"sqlite\"]\n";
        let yaml_text = "revision: a1\ndowngrade: []\nupgrade:\n  - op: add_column\n    table_name: t\n    column: { name: email, type: text, unique: true }\n    dialect: postgresql\n  - op: execute\n    sqltext: PRAGMA optimize\n    dialect: [sqlite]\n";
        let naming = NamingConvention::parse([(
            "uq".to_string(),
            "uq_%(table_name)s_%(column_0_name)s".to_string(),
        )])
        .unwrap();
        let from_toml = parse_revision_with(
            Path::new("a1_x.toml"),
            toml_text,
            naming.for_database(Dialect::Postgresql.name_rules()),
        )
        .unwrap();
        let from_yaml = parse_revision_with(
            Path::new("a1_x.yaml"),
            yaml_text,
            naming.for_database(Dialect::Postgresql.name_rules()),
        )
        .unwrap();
        assert_eq!(from_toml.upgrade, from_yaml.upgrade);
        // The unique constraint the convention adds after add_column is for the same dialect.
        let dialects: Vec<(&str, Option<Vec<Dialect>>)> = from_toml
            .upgrade
            .iter()
            .map(|scoped| (scoped.op.name(), scoped.dialects.clone()))
            .collect();
        let (pg, lite) = (Some(vec![Dialect::Postgresql]), Some(vec![Dialect::Sqlite]));
        assert_eq!(
            dialects,
            [
                ("add_column", pg.clone()),
                ("create_unique_constraint", pg),
                ("execute", lite)
            ]
        );

        for (name, text) in [
            (
                "a1_x.toml",
                toml_text.replace("[\"sqlite\"]", "[\"sqlite\", \"mysqll\"]"),
            ),
            (
                "a1_x.yaml",
                yaml_text.replace("[sqlite]", "[sqlite, mysqll]"),
            ),
        ] {
            let message = parse(name, &text).unwrap_err().to_string();
            assert!(message.starts_with(&format!("{name}:")), "{message}");
            assert!(
                message.contains(
                    "unknown dialect `mysqll` in `dialect`; rmig knows postgresql and sqlite"
                ),
                "{message}"
            );
        }
    }

    #[test]
    fn an_irreversible_upgrade_without_downgrade_is_a_load_error() {
        let text = "revision = \"a1\"\n\n[[upgrade]]\nop = \"rename_table\"\nold_table_name = \"a\"\nnew_table_name = \"b\"\n\n[[upgrade]]\nop = \"drop_column\"\ntable_name = \"b\"\ncolumn_name = \"bio\"\n";
        let err = parse("a1_drop.toml", text).unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with("a1_drop.toml: revision 'a1' has no `downgrade` and rmig cannot derive one: upgrade operation 2 (drop_column b.bio) cannot be reversed:"),
            "{message}"
        );
        assert!(message.contains("`existing_column`"), "{message}");
        assert!(message.ends_with("write its `downgrade` list"), "{message}");

        let written = format!("{text}\n[[downgrade]]\nop = \"rename_table\"\nold_table_name = \"b\"\nnew_table_name = \"a\"\n");
        let revision = parse("a1_drop.toml", &written).unwrap();
        assert_eq!(revision.downgrade_ops().unwrap().len(), 1);
    }

    #[test]
    fn a_reversible_upgrade_gets_its_derived_downgrade() {
        let revision = parse(
            "a1.yaml",
            "revision: a1\nupgrade:\n  - op: rename_table\n    old_table_name: a\n    new_table_name: b\n  - op: add_column\n    table_name: b\n    column: { name: bio, type: text }\n",
        )
        .unwrap();
        assert_eq!(revision.downgrade, None);
        let names: Vec<&str> = revision
            .downgrade_ops()
            .unwrap()
            .iter()
            .map(|scoped| scoped.op.name())
            .collect();
        assert_eq!(names, ["drop_column", "rename_table"]);
    }

    #[test]
    fn missing_revision_key_is_named() {
        let err = parse("x.toml", "message = \"m\"\n").unwrap_err();
        assert!(err.to_string().contains("`revision`"), "{err}");
    }

    #[test]
    fn invalid_ids_are_refused_with_key_and_line() {
        for (text, key) in [
            ("revision = \"ae-10\"\n", "revision"),
            ("revision = \"head\"\n", "revision"),
            ("revision = \"\"\n", "revision"),
            (
                "revision = \"a1\"\ndown_revision = \"b:c\"\n",
                "down_revision",
            ),
            (
                "revision = \"a1\"\nbranch_labels = [\"x@y\"]\n",
                "branch_labels",
            ),
            ("revision = \"a1\"\ndepends_on = [\"a+1\"]\n", "depends_on"),
            (
                "revision = \"a1\"\ndown_revision = \"a1\"\n",
                "down_revision",
            ),
        ] {
            let err = parse("bad_id.toml", text).unwrap_err();
            let message = err.to_string();
            assert!(message.starts_with("bad_id.toml:"), "{message}");
            assert!(message.contains(&format!("{key} '")), "{message}");
            assert!(
                matches!(
                    err,
                    RevisionFileError::InvalidIdentifier { line: Some(_), .. }
                ),
                "{message}"
            );
        }
        let long = format!("revision = \"{}\"\n", "a".repeat(33));
        assert!(parse("long.toml", &long)
            .unwrap_err()
            .to_string()
            .contains("32 characters"));
    }

    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    #[test]
    fn loads_in_file_name_order_and_skips_other_files() {
        let dir = folder(&[
            ("b_second.yaml", "revision: b2\ndown_revision: a1\n"),
            ("a_first.toml", "revision = \"a1\"\n"),
            ("README.md", "not a revision"),
        ]);
        let ids: Vec<String> = load_dir(dir.path())
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, vec!["a1", "b2"]);
    }

    #[test]
    fn duplicate_revision_id_names_both_files() {
        let dir = folder(&[
            ("a_first.toml", "revision = \"a1\"\n"),
            ("b_again.toml", "message = \"x\"\nrevision = \"a1\"\n"),
        ]);
        let err = load_dir(dir.path()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("b_again.toml:2: revision 'a1' is already declared in"),
            "{text}"
        );
        assert!(text.contains("a_first.toml"), "{text}");
    }

    #[test]
    fn two_files_for_one_revision_are_refused() {
        let dir = folder(&[
            ("a1_first.toml", "revision = \"a1\"\n"),
            ("a1_first.yaml", "revision: a1\n"),
        ]);
        let text = load_dir(dir.path()).unwrap_err().to_string();
        assert!(text.contains("two files for revision 'a1'"), "{text}");
        assert!(text.contains("a1_first.toml and a1_first.yaml"), "{text}");
    }

    #[test]
    fn deep_yaml_flow_nesting_is_refused_at_once_but_quoted_brackets_do_not_count() {
        let deep = format!(
            "revision: a1\nmessage: {}x{}\n",
            "[".repeat(200_000),
            "]".repeat(200_000)
        );
        let started = std::time::Instant::now();
        let text = parse("a1.yaml", &deep).unwrap_err().to_string();
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert!(
            text.starts_with("a1.yaml:2: invalid YAML: collections nested more than 128"),
            "{text}"
        );
        let brackets = "[".repeat(500);
        let quoted = format!(
            "revision: a1 # {brackets}\nmessage: '{brackets}'\nupgrade:\n  - op: execute\n    sqltext: \"{brackets}\"\ndowngrade: []\n"
        );
        assert_eq!(
            parse("a1.yaml", &quoted).unwrap().message.unwrap(),
            brackets
        );
    }

    #[test]
    fn missing_folder_is_an_error_naming_it() {
        let err = load_dir(Path::new("/nonexistent/rmig/revisions")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/rmig/revisions"));
    }
}
