//! Terminal manners: colour only where a person reads it, and no control character from a
//! file or the database reaching the terminal.
//!
//! Whether to colour is anstream's decision, the one clap makes for its own help and errors
//! (docs/environment.md, "The terminal"): `NO_COLOR` (<https://no-color.org>) turns colour off,
//! `CLICOLOR_FORCE` turns it on even in a pipe, `CLICOLOR=0` turns it off; otherwise colour is
//! used on a terminal whose `TERM` is set and not `dumb`, so not in pipes, files or CI logs.
//! Only a few words are coloured (a step's `done`, a result in the multi-database table, the
//! `error:` prefix), so output reads the same without it.
//!
//! Text rmig did not write itself (a revision's message, a file name, a version row, a table
//! name, a server's message) goes through [`printable`] where it is printed, so a hostile
//! `message = "\e[2J"` is shown, not obeyed. JSON (serde escapes) and `--sql` scripts (which
//! must stay the SQL as written) do not.

#![warn(missing_docs)]

use std::borrow::Cow;

/// Which standard stream a text goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// Whether to colour text written to `stream`, as anstream decides for it (the command
/// line's question: the library colours nothing).
#[cfg(feature = "cli")]
pub fn color_enabled(stream: Stream) -> bool {
    use anstream::{AutoStream, ColorChoice};

    let choice = match stream {
        Stream::Stdout => AutoStream::choice(&std::io::stdout()),
        Stream::Stderr => AutoStream::choice(&std::io::stderr()),
    };
    choice != ColorChoice::Never
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

/// Text from a revision file, a config file or the database as it may reach a terminal:
/// control characters (C0, the escape character among them, DEL and C1) shown escaped as Rust
/// writes them (`\u{1b}`, `\r`), so the text can neither split a line nor send the terminal an
/// escape sequence. Everything else is kept, so ordinary text reads as written.
pub fn printable(text: &str) -> Cow<'_, str> {
    escape_controls(text, false)
}

/// [`printable`] for a block rmig prints as several lines on purpose (the guard's report, one
/// finding per line): newlines are kept, every other control character is escaped.
pub fn printable_lines(text: &str) -> Cow<'_, str> {
    escape_controls(text, true)
}

fn escape_controls(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let shown_as_is = |c: char| !c.is_control() || (keep_newlines && c == '\n');
    if text.chars().all(shown_as_is) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if shown_as_is(c) {
            shown.push(c);
        } else {
            shown.extend(c.escape_debug());
        }
    }
    Cow::Owned(shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paint_only_when_enabled() {
        assert_eq!(paint("done", Color::Green, false), "done");
        assert_eq!(paint("done", Color::Green, true), "\x1b[32mdone\x1b[0m");
    }

    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(printable("add users ü"), "add users ü");
        assert_eq!(
            printable("a\nb\u{1b}]0;pwned\u{7}\r\u{9b}\u{7f}\t"),
            "a\\nb\\u{1b}]0;pwned\\u{7}\\r\\u{9b}\\u{7f}\\t"
        );
    }

    #[test]
    fn a_block_keeps_its_lines_only() {
        assert_eq!(
            printable_lines("one\ntwo\u{1b}[2J\r\n"),
            "one\ntwo\\u{1b}[2J\\r\n"
        );
    }
}
