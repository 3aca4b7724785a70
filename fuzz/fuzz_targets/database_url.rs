//! The database URL parser and the password redaction on arbitrary text: `DatabaseUrl::parse`
//! and `redact_url` never panic, and a password planted in the text (as `:password@`, or as a
//! `password=` value) is in neither the redacted URL nor the parser's error message.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rmig::db::{redact_url, DatabaseUrl};

/// The planted password; inputs that already hold it are only checked for panics.
const SECRET: &str = "Zq7hunter2";

fuzz_target!(|data: &[u8]| {
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
    // The text before the first newline goes before the password, the rest after it.
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
});
