//! The timeout parser (`--lock-timeout`, `lock_timeout` in rmig.toml) on arbitrary text. It
//! must never panic, and what it accepts is whole milliseconds from 1 ms to `i32::MAX` ms that
//! read back the same when written as `<n>ms`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rmig::duration::{parse, MAX, MIN};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse(text) {
        Ok(duration) => {
            assert!((MIN..=MAX).contains(&duration), "{text:?}: {duration:?}");
            assert_eq!(duration.subsec_nanos() % 1_000_000, 0, "{text:?}");
            let again = parse(&format!("{}ms", duration.as_millis()));
            assert_eq!(again, Ok(duration), "{text:?}");
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }
});
