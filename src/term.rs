//! Terminal manners: colour only where a person reads it.
//!
//! Colour is used when the stream is a terminal, `NO_COLOR` is unset or empty
//! (<https://no-color.org>) and `TERM` is not `dumb`; never in pipes, files or CI logs. Only a
//! few words are coloured (a step's `done`, a result in the multi-database table, the
//! `error:` prefix), so output reads the same without it.

#![warn(missing_docs)]

use std::io::IsTerminal;

/// Which standard stream a text goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// Whether to colour text written to `stream`.
pub fn color_enabled(stream: Stream) -> bool {
    let is_terminal = match stream {
        Stream::Stdout => std::io::stdout().is_terminal(),
        Stream::Stderr => std::io::stderr().is_terminal(),
    };
    let no_color = std::env::var_os("NO_COLOR");
    let term = std::env::var("TERM").ok();
    is_terminal && color_allowed(no_color.as_deref(), term.as_deref())
}

/// `NO_COLOR` with any non-empty value, and `TERM=dumb`, turn colour off.
fn color_allowed(no_color: Option<&std::ffi::OsStr>, term: Option<&str>) -> bool {
    no_color.is_none_or(|v| v.is_empty()) && term != Some("dumb")
}

/// The few colours rmig uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    /// Success: a step done, a database migrated.
    Green,
    /// Attention: blocked by the guard.
    Yellow,
    /// Failure.
    Red,
    /// Nothing happened: already current.
    Dim,
}

/// `text` in `color` when `enabled`, else unchanged.
pub fn paint(text: &str, color: Color, enabled: bool) -> String {
    if !enabled {
        return text.to_string();
    }
    let code = match color {
        Color::Green => "32",
        Color::Yellow => "33",
        Color::Red => "1;31",
        Color::Dim => "2",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_turns_colour_off() {
        use std::ffi::OsStr;
        assert!(color_allowed(None, Some("xterm-256color")));
        assert!(color_allowed(Some(OsStr::new("")), None));
        assert!(!color_allowed(Some(OsStr::new("1")), Some("xterm")));
        assert!(!color_allowed(None, Some("dumb")));
    }

    #[test]
    fn paint_only_when_enabled() {
        assert_eq!(paint("done", Color::Green, false), "done");
        assert_eq!(paint("done", Color::Green, true), "\x1b[32mdone\x1b[0m");
    }
}

/// Text from a file (a revision's message) as it may reach a terminal: control characters
/// shown escaped, so a message can neither split a line nor send escape sequences.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            shown.extend(c.escape_debug());
        } else {
            shown.push(c);
        }
    }
    std::borrow::Cow::Owned(shown)
}

#[cfg(test)]
mod printable_tests {
    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(super::printable("add users"), "add users");
        assert_eq!(
            super::printable("a\nb\u{1b}]0;pwned\u{7}"),
            "a\\nb\\u{1b}]0;pwned\\u{7}"
        );
    }
}
