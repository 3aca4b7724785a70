//! The revision loader on arbitrary text, read as TOML and as YAML. It must never panic, and
//! an error must be one line that names the file, as the CLI prints it.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for name in ["a1_fuzz.toml", "a1_fuzz.yaml"] {
        match rmig::revision::parse_revision(Path::new(name), text) {
            Ok(revision) => {
                // What later commands do with a loaded revision must not panic either.
                let _ = revision.downgrade_ops();
                for op in &revision.upgrade {
                    let _ = op.op.describe();
                }
            }
            Err(error) => {
                let message = error.to_string();
                assert!(message.starts_with(name), "{message}");
                assert!(!message.contains('\n'), "{message}");
            }
        }
    }
});
