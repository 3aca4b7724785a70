//! A cache of large revision folders, keyed by each file's status, as git's index keys its
//! entries and Python's `__pycache__` its modules: a file whose size, times, inode and device
//! are those recorded is taken from the cache instead of being opened and read.
//!
//! Why (issue 8): at 10,000 revisions half of `rmig heads` was the kernel opening, reading
//! and closing every file. With the cache a file costs one `stat`, the graph commands build
//! revisions from the recorded headers without parsing, and the others parse the recorded
//! text. Every file the cache does not vouch for is read and parsed in full, so a cached run
//! reports exactly what a fresh one would: only files that loaded without error are recorded.
//!
//! Where: one file per revision folder under `$RMIG_CACHE_DIR`, else `$XDG_CACHE_HOME/rmig`,
//! else `~/.cache/rmig`, named by a hash of the folder's full path: outside the project, so
//! nothing shows in version control or in a binary that embeds the folder. `RMIG_NO_CACHE`
//! (any value) turns it off. A cache that is missing, unreadable, from another rmig version,
//! for another folder or recorded for another database's name rules or another naming
//! convention (a recorded header skips the checks those decide) is ignored and rewritten; failing to write it is not an error. The
//! cache is trusted as the revision files are (its text is what runs), so it belongs in a
//! folder only its user can write, which the default is.

use std::collections::HashMap;
use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Revision;
use crate::ops::naming_convention::Naming;

/// Folders with fewer revision files are read without a cache: reading a few hundred small
/// files takes a few milliseconds, and small projects (and tests) stay free of cache files.
pub const MIN_FILES_TO_CACHE: usize = 256;

/// Bumped when the layout below changes.
const FORMAT: u32 = 2;

/// A file changed less than this long ago is not recorded. Its times have a coarse
/// granularity, so a second edit of the same size within it could leave the recorded status
/// unchanged; one made later changes `ctime`, which no tool can set back.
const SETTLING_SECONDS: i64 = 2;

/// What identifies one version of a file. `ctime` changes with every write, rename or
/// `touch -d`, so a file edited in place and given back its old `mtime` still misses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    size: u64,
    mtime: i64,
    mtime_nsec: i64,
    ctime: i64,
    ctime_nsec: i64,
    inode: u64,
    device: u64,
}

impl FileStamp {
    #[cfg(unix)]
    pub fn of(metadata: &Metadata) -> Option<FileStamp> {
        use std::os::unix::fs::MetadataExt;
        Some(FileStamp {
            size: metadata.size(),
            mtime: metadata.mtime(),
            mtime_nsec: metadata.mtime_nsec(),
            ctime: metadata.ctime(),
            ctime_nsec: metadata.ctime_nsec(),
            inode: metadata.ino(),
            device: metadata.dev(),
        })
    }

    /// Without `ctime` and inode numbers a file's status cannot vouch for its content.
    #[cfg(not(unix))]
    pub fn of(_metadata: &Metadata) -> Option<FileStamp> {
        None
    }

    /// Whether the file last changed more than [`SETTLING_SECONDS`] before `now`
    /// (nanoseconds since the epoch).
    fn settled(&self, now: i128) -> bool {
        let nanos =
            |seconds: i64, nanos: i64| i128::from(seconds) * 1_000_000_000 + i128::from(nanos);
        let before = now - i128::from(SETTLING_SECONDS) * 1_000_000_000;
        nanos(self.ctime, self.ctime_nsec) < before && nanos(self.mtime, self.mtime_nsec) < before
    }
}

/// The parts of a revision the graph commands need, as recorded.
#[derive(Serialize, Deserialize)]
struct Header<'a> {
    id: &'a str,
    #[serde(borrow)]
    down_revisions: Vec<&'a str>,
    #[serde(borrow)]
    branch_labels: Vec<&'a str>,
    #[serde(borrow)]
    depends_on: Vec<&'a str>,
    #[serde(borrow)]
    message: Option<&'a str>,
    #[serde(borrow)]
    create_date: Option<&'a str>,
    transactional: bool,
    checksum: &'a str,
}

#[derive(Serialize, Deserialize)]
struct Entry<'a> {
    file_name: &'a str,
    stamp: FileStamp,
    text: &'a str,
    #[serde(borrow)]
    header: Header<'a>,
}

#[derive(Serialize, Deserialize)]
struct CacheFile<'a> {
    format: u32,
    rmig_version: &'a str,
    folder: &'a str,
    read_with: &'a str,
    #[serde(borrow)]
    entries: Vec<Entry<'a>>,
}

/// A recorded file, found by name and status.
pub struct Hit<'r, 'c> {
    entry: &'r Entry<'c>,
}

impl<'c> Hit<'_, 'c> {
    /// The file's text as it was read.
    pub fn text(&self) -> &'c str {
        self.entry.text
    }

    /// The checksum of [`Hit::text`].
    pub fn checksum(&self) -> &'c str {
        self.entry.header.checksum
    }

    /// The revision without its operations (`upgrade` empty, `downgrade` unset), for the
    /// commands that only walk the graph.
    pub fn header_revision(&self, path: PathBuf) -> Revision {
        let header = &self.entry.header;
        let owned = |values: &[&str]| values.iter().map(|v| v.to_string()).collect();
        Revision {
            id: header.id.to_string(),
            down_revisions: owned(&header.down_revisions),
            branch_labels: owned(&header.branch_labels),
            depends_on: owned(&header.depends_on),
            message: header.message.map(str::to_string),
            create_date: header.create_date.map(str::to_string),
            transactional: header.transactional,
            upgrade: Vec::new(),
            downgrade: None,
            path,
            checksum: Some(header.checksum.to_string()),
        }
    }
}

/// Where caches are kept: `$RMIG_CACHE_DIR`, else `$XDG_CACHE_HOME/rmig`, else
/// `~/.cache/rmig`; `None` when `RMIG_NO_CACHE` is set or there is no home.
pub fn default_root() -> Option<PathBuf> {
    if std::env::var_os("RMIG_NO_CACHE").is_some() {
        return None;
    }
    match std::env::var_os("RMIG_CACHE_DIR") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => match std::env::var_os("XDG_CACHE_HOME") {
            Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir).join("rmig")),
            _ => Some(PathBuf::from(std::env::var_os("HOME")?).join(".cache/rmig")),
        },
    }
}

/// The cache file of one folder: where it is, and what it held when the load began.
pub struct FolderCache {
    path: PathBuf,
    folder: String,
    /// What the files were read with: the naming convention and name rules, as `Debug`
    /// prints them.
    read_with: String,
    bytes: Vec<u8>,
}

/// The entries a [`FolderCache`] held, by file name.
pub struct Recorded<'c> {
    entries: Vec<Entry<'c>>,
    by_name: HashMap<&'c str, usize>,
}

impl<'c> Recorded<'c> {
    /// The entry for `file_name` when it was recorded with exactly `stamp`.
    pub fn lookup(&self, file_name: &str, stamp: &FileStamp) -> Option<Hit<'_, 'c>> {
        let entry = &self.entries[*self.by_name.get(file_name)?];
        (entry.stamp == *stamp).then_some(Hit { entry })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

/// One loaded file, as the next cache records it.
pub struct Fresh<'a> {
    pub file_name: &'a str,
    pub stamp: FileStamp,
    pub text: &'a str,
    pub revision: &'a Revision,
}

impl FolderCache {
    /// The cache of `folder` kept under `root` ([`default_root`]), for files read with
    /// `naming`; its content is read now (empty when there is none yet). `None` when the
    /// folder's path cannot name a cache.
    pub fn open(folder: &Path, root: &Path, naming: Naming<'_>) -> Option<FolderCache> {
        let folder = std::fs::canonicalize(folder).ok()?.to_str()?.to_string();
        let digest = Sha256::digest(folder.as_bytes());
        let name: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        let path = root.join(format!("{name}.bin"));
        let bytes = std::fs::read(&path).unwrap_or_default();
        Some(FolderCache {
            path,
            folder,
            read_with: format!("{naming:?}"),
            bytes,
        })
    }

    /// The entries recorded for this folder by this version of rmig, read as now (none when
    /// the file is missing, damaged or another's).
    pub fn recorded(&self) -> Recorded<'_> {
        let entries = postcard::from_bytes::<CacheFile<'_>>(&self.bytes)
            .ok()
            .filter(|file| {
                file.format == FORMAT
                    && file.rmig_version == env!("CARGO_PKG_VERSION")
                    && file.folder == self.folder
                    && file.read_with == self.read_with
            })
            .map(|file| file.entries)
            .unwrap_or_default();
        let by_name = entries
            .iter()
            .enumerate()
            .map(|(index, entry)| (entry.file_name, index))
            .collect();
        Recorded { entries, by_name }
    }

    /// Records `files` (the whole folder, in order) for the next run: written to a
    /// temporary file and renamed over the old cache, so a concurrent run reads the old
    /// cache or the new one, never half of one. Files changed too recently are left out.
    pub fn store(&self, files: &[Fresh<'_>]) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos() as i128);
        let entries = files
            .iter()
            .filter(|fresh| fresh.stamp.settled(now))
            .map(|fresh| {
                let revision = fresh.revision;
                fn borrowed(values: &[String]) -> Vec<&str> {
                    values.iter().map(String::as_str).collect()
                }
                Entry {
                    file_name: fresh.file_name,
                    stamp: fresh.stamp,
                    text: fresh.text,
                    header: Header {
                        id: &revision.id,
                        down_revisions: borrowed(&revision.down_revisions),
                        branch_labels: borrowed(&revision.branch_labels),
                        depends_on: borrowed(&revision.depends_on),
                        message: revision.message.as_deref(),
                        create_date: revision.create_date.as_deref(),
                        transactional: revision.transactional,
                        checksum: revision.checksum.as_deref().unwrap_or_default(),
                    },
                }
            })
            .collect();
        let file = CacheFile {
            format: FORMAT,
            rmig_version: env!("CARGO_PKG_VERSION"),
            folder: &self.folder,
            read_with: &self.read_with,
            entries,
        };
        let Ok(bytes) = postcard::to_allocvec(&file) else {
            return;
        };
        let Some(dir) = self.path.parent() else {
            return;
        };
        let temporary = self
            .path
            .with_extension(format!("{}.tmp", std::process::id()));
        let written = std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&temporary, &bytes))
            .and_then(|()| std::fs::rename(&temporary, &self.path));
        if written.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use super::super::{load_dir_cached, LoadDepth, Revision};
    use super::MIN_FILES_TO_CACHE;
    use crate::dialect::Dialect;
    use crate::ops::naming_convention::{Naming, NamingConvention};

    /// A chain of revisions, each creating one table: `r0000` ... (file `r0000_t.toml`).
    fn chain(dir: &Path, count: usize) {
        for i in 0..count {
            let down = if i == 0 {
                String::new()
            } else {
                format!("down_revision = \"r{:04}\"\n", i - 1)
            };
            let text = format!(
                "revision = \"r{i:04}\"\n{down}message = \"table {i}\"\n\n[[upgrade]]\nop = \"create_table\"\ntable_name = \"t{i:04}\"\ncolumns = [ {{ name = \"id\", type = \"integer\", primary_key = true }} ]\n"
            );
            std::fs::write(dir.join(format!("r{i:04}_t.toml")), text).unwrap();
        }
    }

    /// No naming convention, names checked for `dialect`.
    fn on(dialect: Dialect) -> Naming<'static> {
        static NONE: std::sync::LazyLock<NamingConvention> =
            std::sync::LazyLock::new(NamingConvention::default);
        NONE.for_database(dialect.name_rules())
    }

    fn uncached(dir: &Path, depth: LoadDepth) -> Vec<Revision> {
        load_dir_cached(dir, depth, on(Dialect::Sqlite), None).unwrap()
    }

    fn cached(dir: &Path, root: &Path, depth: LoadDepth) -> Vec<Revision> {
        load_dir_cached(dir, depth, on(Dialect::Sqlite), Some(root)).unwrap()
    }

    /// The revisions without their operations, as the graph commands get them.
    fn headers(revisions: &[Revision]) -> Vec<Revision> {
        revisions
            .iter()
            .map(|revision| Revision {
                upgrade: Vec::new(),
                downgrade: None,
                ..revision.clone()
            })
            .collect()
    }

    fn cache_files(root: &Path) -> usize {
        std::fs::read_dir(root).map_or(0, |entries| entries.count())
    }

    #[test]
    fn a_warm_cache_loads_what_a_fresh_read_loads_and_misses_every_edited_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        chain(dir.path(), MIN_FILES_TO_CACHE);
        let fresh = uncached(dir.path(), LoadDepth::Operations);
        assert_eq!(
            cached(dir.path(), root.path(), LoadDepth::Operations),
            fresh
        );
        // Files changed within the settling time are read every time, never recorded.
        assert_eq!(cached(dir.path(), root.path(), LoadDepth::Graph), fresh);

        std::thread::sleep(Duration::from_millis(2_100));
        assert_eq!(
            cached(dir.path(), root.path(), LoadDepth::Operations),
            fresh
        );
        assert_eq!(cache_files(root.path()), 1);
        // Now recorded: the graph load takes the headers (no operations) from the cache, and
        // the full load the recorded text.
        assert_eq!(
            cached(dir.path(), root.path(), LoadDepth::Graph),
            headers(&fresh)
        );
        assert_eq!(
            cached(dir.path(), root.path(), LoadDepth::Operations),
            fresh
        );

        // Edited in place to the same size, its modification time set back: still missed
        // (its status change time moved), so both loads see the edit.
        let edited = dir.path().join("r0007_t.toml");
        let modified = std::fs::metadata(&edited).unwrap().modified().unwrap();
        let text = std::fs::read_to_string(&edited)
            .unwrap()
            .replace("t0007", "x0007");
        std::fs::write(&edited, text).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&edited)
            .unwrap()
            .set_modified(modified)
            .unwrap();
        let fresh = uncached(dir.path(), LoadDepth::Operations);
        assert!(format!("{:?}", fresh[7].upgrade).contains("x0007"));
        assert_eq!(
            cached(dir.path(), root.path(), LoadDepth::Operations),
            fresh
        );
        let graph = cached(dir.path(), root.path(), LoadDepth::Graph);
        assert_eq!(graph[7], fresh[7], "the edited file is read whole");
        assert!(
            graph[6].upgrade.is_empty(),
            "the others still come from the cache"
        );

        // A file removed is gone; one broken fails as a fresh read fails.
        std::fs::remove_file(dir.path().join("r0000_t.toml")).unwrap();
        assert_eq!(
            cached(dir.path(), root.path(), LoadDepth::Graph).len(),
            MIN_FILES_TO_CACHE - 1
        );
        std::fs::write(dir.path().join("r0001_t.toml"), "revision = [").unwrap();
        let fresh_error =
            load_dir_cached(dir.path(), LoadDepth::Operations, on(Dialect::Sqlite), None)
                .unwrap_err()
                .to_string();
        for depth in [LoadDepth::Graph, LoadDepth::Operations] {
            let error = load_dir_cached(dir.path(), depth, on(Dialect::Sqlite), Some(root.path()))
                .unwrap_err();
            assert_eq!(error.to_string(), fresh_error);
        }
    }

    #[test]
    fn a_cache_recorded_for_sqlite_does_not_vouch_for_a_long_name_on_postgresql() {
        let dir = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        chain(dir.path(), MIN_FILES_TO_CACHE);
        let long = "t".repeat(70);
        let first = dir.path().join("r0000_t.toml");
        let text = std::fs::read_to_string(&first).unwrap();
        std::fs::write(&first, text.replace("t0000", &long)).unwrap();
        std::thread::sleep(Duration::from_millis(2_100));
        cached(dir.path(), root.path(), LoadDepth::Operations);
        assert_eq!(cache_files(root.path()), 1);
        let error = load_dir_cached(
            dir.path(),
            LoadDepth::Graph,
            on(Dialect::Postgresql),
            Some(root.path()),
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains(&long) && error.contains("70 bytes"),
            "{error}"
        );
    }

    #[test]
    fn a_damaged_cache_is_ignored_and_a_small_folder_gets_none() {
        let dir = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        chain(dir.path(), MIN_FILES_TO_CACHE - 1);
        let fresh = uncached(dir.path(), LoadDepth::Operations);
        assert_eq!(cached(dir.path(), root.path(), LoadDepth::Graph), fresh);
        assert_eq!(cache_files(root.path()), 0);

        chain(dir.path(), MIN_FILES_TO_CACHE);
        let fresh = uncached(dir.path(), LoadDepth::Operations);
        assert_eq!(cached(dir.path(), root.path(), LoadDepth::Graph), fresh);
        let written: Vec<_> = std::fs::read_dir(root.path())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        assert_eq!(written.len(), 1);
        std::fs::write(&written[0], b"\x01\xff not a cache").unwrap();
        assert_eq!(cached(dir.path(), root.path(), LoadDepth::Graph), fresh);
        assert_eq!(
            cached(dir.path(), root.path(), LoadDepth::Operations),
            fresh
        );
    }
}
