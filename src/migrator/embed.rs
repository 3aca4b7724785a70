//! Revisions embedded in a binary at compile time.
//!
//! `embed_revisions!` wraps [`include_dir`]'s proc macro, which `include_bytes!`s every file
//! of the folder: the revisions live in the binary's read-only data, nothing is read from
//! disk at run time, and rustc rebuilds the crate when an embedded file changes. Chosen over
//! a generated `include_str!` listing because that needs a `build.rs` in every crate using
//! it, and over a proc macro of rmig's own because include_dir already does exactly this
//! (and is widely used). Its one gap: a file *added* to the folder is only picked up on the
//! next rebuild of the crate, so add `println!("cargo:rerun-if-changed=revisions");` to a
//! `build.rs` when that matters (see [`embed_revisions!`](crate::embed_revisions)).

use std::path::{Path, PathBuf};

use crate::revision::FileFormat;

/// Revision files compiled into the binary, made by [`embed_revisions!`](crate::embed_revisions)
/// and read by [`Migrator::from_embedded`](super::Migrator::from_embedded).
#[derive(Debug, Clone)]
pub struct EmbeddedRevisions {
    /// The folder as the macro named it, for error messages.
    root: PathBuf,
    /// File name and contents, in file-name order (the load order planning relies on).
    files: Vec<(&'static str, &'static [u8])>,
}

impl EmbeddedRevisions {
    /// Revision files given as (file name, contents) pairs, e.g. from `include_str!`. Only
    /// names ending in `.toml`, `.yaml` or `.yml` are kept, as when reading a folder; they are
    /// loaded in file-name order. `root` names the folder in error messages.
    pub fn new(root: impl Into<PathBuf>, files: &[(&'static str, &'static str)]) -> Self {
        EmbeddedRevisions::from_bytes(
            root.into(),
            files.iter().map(|&(name, text)| (name, text.as_bytes())),
        )
    }

    fn from_bytes(
        root: PathBuf,
        files: impl Iterator<Item = (&'static str, &'static [u8])>,
    ) -> EmbeddedRevisions {
        let mut files: Vec<(&'static str, &'static [u8])> = files
            .filter(|(name, _)| FileFormat::of(Path::new(name)).is_some())
            .collect();
        files.sort_by(|a, b| a.0.cmp(b.0));
        EmbeddedRevisions { root, files }
    }

    /// Used by `embed_revisions!`: the top-level files of an `include_dir!` folder.
    #[doc(hidden)]
    pub fn __from_include_dir(
        root: &str,
        dir: &'static include_dir::Dir<'static>,
    ) -> EmbeddedRevisions {
        let root = root.strip_prefix("$CARGO_MANIFEST_DIR/").unwrap_or(root);
        EmbeddedRevisions::from_bytes(
            PathBuf::from(root),
            dir.files().filter_map(|file| {
                let name = file.path().file_name()?.to_str()?;
                Some((name, file.contents()))
            }),
        )
    }

    /// How many revision files are embedded.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// True when no revision file is embedded (an empty or misspelled folder).
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Each file as a path under the folder's name (for messages) and its text.
    pub(crate) fn files(
        &self,
    ) -> impl Iterator<Item = (PathBuf, Result<&'static str, std::str::Utf8Error>)> + '_ {
        self.files
            .iter()
            .map(|&(name, bytes)| (self.root.join(name), std::str::from_utf8(bytes)))
    }
}

/// Embeds a revision folder in the binary at compile time; gives an
/// [`EmbeddedRevisions`] for [`Migrator::from_embedded`](crate::Migrator::from_embedded).
///
/// The path is resolved by [`include_dir`]: write it from the crate's root as
/// `"$CARGO_MANIFEST_DIR/revisions"` (a bare relative path is taken from rustc's working
/// directory, which in a workspace is the workspace root). Only the folder's top-level
/// `.toml`, `.yaml` and `.yml` files are used, as when rmig reads the folder.
///
/// ```no_run
/// let revisions = rmig::embed_revisions!("$CARGO_MANIFEST_DIR/revisions");
/// let migrator = rmig::Migrator::from_embedded(&revisions)?
///     .url(std::env::var("DATABASE_URL").unwrap());
/// migrator.upgrade("head")?;
/// # Ok::<(), rmig::MigrateError>(())
/// ```
///
/// Editing an embedded file rebuilds the crate; adding a new file needs a rebuild too, so a
/// crate whose folder grows often adds a `build.rs` with
/// `println!("cargo:rerun-if-changed=revisions");`.
#[macro_export]
macro_rules! embed_revisions {
    // `tt`, not `literal`: include_dir's macro reads a bare string token, and a `literal`
    // fragment reaches it wrapped in an invisible group.
    ($path:tt) => {{
        use $crate::__private::include_dir;
        static DIR: include_dir::Dir<'static> = include_dir::include_dir!($path);
        $crate::EmbeddedRevisions::__from_include_dir($path, &DIR)
    }};
}
