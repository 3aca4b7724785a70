//! The config loader on arbitrary text, read as `rmig.toml` and as `alembic.ini` (written to a
//! file of this process's own, since the loader reads a path). It must never panic, and an
//! error must be one line as the CLI prints it.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rmig::config::{load, Overrides};

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("rmig-fuzz-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    for name in ["rmig.toml", "alembic.ini"] {
        let path = dir.join(name);
        std::fs::write(&path, data).expect("a temporary file");
        let overrides = Overrides {
            config: Some(path),
            url: None,
        };
        if let Err(error) = load(&overrides) {
            let line = rmig::cli::error_line(&error.into());
            assert!(!line.is_empty());
            assert!(!line.contains('\n'), "{line}");
        }
    }
});
