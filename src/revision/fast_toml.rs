//! A fast path for reading TOML revision files (issue 8: the `toml` crate's parser was a third
//! of `rmig heads` on 10,000 revisions, most of it building its span-carrying tables).
//!
//! Revision files, whether written by `rmig revision`, by `rmig import-alembic` or by hand,
//! nearly all keep to a small part of TOML: `key = value` lines with bare keys, `[[upgrade]]`
//! and `[[downgrade]]` headers, basic strings with the common escapes, literal strings,
//! decimal integers, booleans, arrays, one-line inline tables, comments. [`from_str`] reads
//! exactly that part, in one pass with borrowed strings, into a small value tree, and serde
//! deserializes the document from it the way the `toml` crate's deserializer does: a string
//! as `visit_str` (`visit_string` when unescaped), an integer as `visit_i64`, `Option` as
//! `Some`, a string as a unit enum variant, and a table's keys in sorted order, as the
//! crate's `BTreeMap` tables hand them out.
//!
//! Anything else (a valid document outside that part, or any error, in the TOML or in
//! deserializing it) gives `None`, and the caller parses with the `toml` crate, which then
//! gives the document, or the error and its line, exactly as before. So a file can only be
//! read faster here, never differently; `tests` checks both paths agree.

use std::borrow::Cow;

use serde::de::value::{CowStrDeserializer, Error};
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};

/// The document, if it lies in the subset and deserializes; `None` sends the caller to the
/// `toml` crate.
pub(super) fn from_str<T: DeserializeOwned>(text: &str) -> Option<T> {
    let root = Parser::new(text).document()?;
    T::deserialize(ValueDeserializer(Value::Table(root))).ok()
}

/// Nesting deeper than this (arrays in arrays ...) is left to the `toml` crate.
const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, PartialEq)]
enum Value<'a> {
    Str(Cow<'a, str>),
    Int(i64),
    Bool(bool),
    Array(Vec<Value<'a>>),
    Table(Vec<(&'a str, Value<'a>)>),
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Parser<'a> {
        Parser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn starts_with(&self, prefix: &[u8]) -> bool {
        self.bytes[self.pos..].starts_with(prefix)
    }

    /// Spaces and tabs.
    fn skip_spaces(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// A comment's text up to the line end; TOML allows no control character but tab in it.
    fn comment(&mut self) -> Option<()> {
        debug_assert_eq!(self.peek(), Some(b'#'));
        self.pos += 1;
        while let Some(byte) = self.peek() {
            match byte {
                b'\n' | b'\r' => break,
                b'\t' => {}
                0..=0x1f | 0x7f => return None,
                _ => {}
            }
            self.pos += 1;
        }
        Some(())
    }

    /// A line end (LF or CRLF), or the end of the text.
    fn line_end(&mut self) -> Option<()> {
        match self.peek() {
            None => Some(()),
            Some(b'\n') => {
                self.pos += 1;
                Some(())
            }
            Some(b'\r') if self.bytes.get(self.pos + 1) == Some(&b'\n') => {
                self.pos += 2;
                Some(())
            }
            _ => None,
        }
    }

    /// After a value or header: spaces, an optional comment, the line end.
    fn rest_of_line(&mut self) -> Option<()> {
        self.skip_spaces();
        if self.peek() == Some(b'#') {
            self.comment()?;
        }
        self.line_end()
    }

    /// Spaces, comments and line ends, as allowed between the elements of an array.
    fn skip_blank(&mut self) -> Option<()> {
        loop {
            self.skip_spaces();
            match self.peek() {
                Some(b'#') => self.comment()?,
                Some(b'\n' | b'\r') => self.line_end()?,
                _ => return Some(()),
            }
        }
    }

    fn bare_key(&mut self) -> Option<&'a str> {
        let start = self.pos;
        while matches!(
            self.peek(),
            Some(b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-')
        ) {
            self.pos += 1;
        }
        (self.pos > start).then(|| &self.text[start..self.pos])
    }

    fn document(&mut self) -> Option<Vec<(&'a str, Value<'a>)>> {
        let mut root: Vec<(&'a str, Value<'a>)> = Vec::new();
        // Root keys made by `[[name]]` headers, and the one whose last table is being filled.
        let mut arrays_of_tables: Vec<&'a str> = Vec::new();
        let mut current: Option<usize> = None;
        loop {
            self.skip_spaces();
            match self.peek() {
                None => return Some(root),
                Some(b'\n' | b'\r') => self.line_end()?,
                Some(b'#') => {
                    self.comment()?;
                    self.line_end()?;
                }
                Some(b'[') => {
                    if !self.starts_with(b"[[") {
                        return None;
                    }
                    self.pos += 2;
                    self.skip_spaces();
                    let name = self.bare_key()?;
                    self.skip_spaces();
                    if !self.starts_with(b"]]") {
                        return None;
                    }
                    self.pos += 2;
                    self.rest_of_line()?;
                    match root.iter().position(|(key, _)| *key == name) {
                        Some(index) if arrays_of_tables.contains(&name) => {
                            let Value::Array(tables) = &mut root[index].1 else {
                                return None;
                            };
                            tables.push(Value::Table(Vec::new()));
                            current = Some(index);
                        }
                        Some(_) => return None,
                        None => {
                            arrays_of_tables.push(name);
                            root.push((name, Value::Array(vec![Value::Table(Vec::new())])));
                            current = Some(root.len() - 1);
                        }
                    }
                }
                Some(_) => {
                    let key = self.bare_key()?;
                    self.skip_spaces();
                    if self.peek() != Some(b'=') {
                        return None;
                    }
                    self.pos += 1;
                    self.skip_spaces();
                    let value = self.value(0)?;
                    self.rest_of_line()?;
                    let table = match current {
                        None => &mut root,
                        Some(index) => match &mut root[index].1 {
                            Value::Array(tables) => match tables.last_mut() {
                                Some(Value::Table(table)) => table,
                                _ => return None,
                            },
                            _ => return None,
                        },
                    };
                    if table.iter().any(|(existing, _)| *existing == key) {
                        return None;
                    }
                    table.push((key, value));
                }
            }
        }
    }

    fn value(&mut self, depth: usize) -> Option<Value<'a>> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => self.basic_string().map(Value::Str),
            b'\'' => self.literal_string().map(Value::Str),
            b'[' => self.array(depth),
            b'{' => self.inline_table(depth),
            b't' | b'f' => {
                let value = if self.starts_with(b"true") {
                    self.pos += 4;
                    true
                } else if self.starts_with(b"false") {
                    self.pos += 5;
                    false
                } else {
                    return None;
                };
                self.after_scalar()?;
                Some(Value::Bool(value))
            }
            b'0'..=b'9' | b'+' | b'-' => self.integer(),
            _ => None,
        }
    }

    /// A scalar must be followed by a delimiter; anything else (`1.5`, `1979-05-27`, `0x1f`,
    /// `trueish`) is outside the subset.
    fn after_scalar(&self) -> Option<()> {
        match self.peek() {
            None | Some(b' ' | b'\t' | b'\r' | b'\n' | b',' | b']' | b'}' | b'#') => Some(()),
            _ => None,
        }
    }

    /// A decimal integer: optional sign, no leading zero, no `_`, within i64.
    fn integer(&mut self) -> Option<Value<'a>> {
        let start = self.pos;
        if matches!(self.peek(), Some(b'+' | b'-')) {
            self.pos += 1;
        }
        let digits = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        let count = self.pos - digits;
        if count == 0 || (count > 1 && self.bytes[digits] == b'0') {
            return None;
        }
        self.after_scalar()?;
        let text = &self.text[start..self.pos];
        text.strip_prefix('+')
            .unwrap_or(text)
            .parse::<i64>()
            .ok()
            .map(Value::Int)
    }

    /// `"..."` on one line, with the escapes `\" \\ \n \t \r \uXXXX`; any other escape, a
    /// control character or `"""` is outside the subset.
    fn basic_string(&mut self) -> Option<Cow<'a, str>> {
        if self.starts_with(b"\"\"\"") {
            return None;
        }
        self.pos += 1;
        let start = self.pos;
        let mut owned: Option<String> = None;
        let mut run = start;
        loop {
            match self.peek()? {
                b'"' => {
                    let end = self.pos;
                    self.pos += 1;
                    self.after_scalar()?;
                    return Some(match owned {
                        None => Cow::Borrowed(&self.text[start..end]),
                        Some(mut text) => {
                            text.push_str(&self.text[run..end]);
                            Cow::Owned(text)
                        }
                    });
                }
                b'\\' => {
                    let text = owned.get_or_insert_with(String::new);
                    text.push_str(&self.text[run..self.pos]);
                    let escaped = *self.bytes.get(self.pos + 1)?;
                    self.pos += 2;
                    match escaped {
                        b'"' => text.push('"'),
                        b'\\' => text.push('\\'),
                        b'n' => text.push('\n'),
                        b't' => text.push('\t'),
                        b'r' => text.push('\r'),
                        b'u' => {
                            let hex = self.text.get(self.pos..self.pos + 4)?;
                            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                                return None;
                            }
                            text.push(char::from_u32(u32::from_str_radix(hex, 16).ok()?)?);
                            self.pos += 4;
                        }
                        _ => return None,
                    }
                    run = self.pos;
                }
                b'\t' => self.pos += 1,
                0..=0x1f | 0x7f => return None,
                _ => self.pos += 1,
            }
        }
    }

    /// `'...'` on one line, no control character but tab; `'''` is outside the subset.
    fn literal_string(&mut self) -> Option<Cow<'a, str>> {
        if self.starts_with(b"'''") {
            return None;
        }
        self.pos += 1;
        let start = self.pos;
        loop {
            match self.peek()? {
                b'\'' => {
                    let end = self.pos;
                    self.pos += 1;
                    self.after_scalar()?;
                    return Some(Cow::Borrowed(&self.text[start..end]));
                }
                b'\t' => self.pos += 1,
                0..=0x1f | 0x7f => return None,
                _ => self.pos += 1,
            }
        }
    }

    /// `[ v, v, ]`, over several lines with comments if need be.
    fn array(&mut self, depth: usize) -> Option<Value<'a>> {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_blank()?;
            if self.peek()? == b']' {
                self.pos += 1;
                break;
            }
            items.push(self.value(depth + 1)?);
            self.skip_blank()?;
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    break;
                }
                _ => return None,
            }
        }
        self.after_scalar()?;
        Some(Value::Array(items))
    }

    /// `{ k = v, k = v }` on one line, as TOML 1.0 has it (no line break, no trailing comma).
    fn inline_table(&mut self, depth: usize) -> Option<Value<'a>> {
        self.pos += 1;
        let mut entries: Vec<(&'a str, Value<'a>)> = Vec::new();
        self.skip_spaces();
        if self.peek()? == b'}' {
            self.pos += 1;
            self.after_scalar()?;
            return Some(Value::Table(entries));
        }
        loop {
            self.skip_spaces();
            let key = self.bare_key()?;
            self.skip_spaces();
            if self.peek()? != b'=' {
                return None;
            }
            self.pos += 1;
            self.skip_spaces();
            let value = self.value(depth + 1)?;
            if entries.iter().any(|(existing, _)| *existing == key) {
                return None;
            }
            entries.push((key, value));
            self.skip_spaces();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    break;
                }
                _ => return None,
            }
        }
        self.after_scalar()?;
        Some(Value::Table(entries))
    }
}

/// serde over the value tree, mirroring `toml`'s `ValueDeserializer` and `TableDeserializer`.
struct ValueDeserializer<'a>(Value<'a>);

impl<'de> de::Deserializer<'de> for ValueDeserializer<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Str(Cow::Borrowed(text)) => visitor.visit_str(text),
            Value::Str(Cow::Owned(text)) => visitor.visit_string(text),
            Value::Int(number) => visitor.visit_i64(number),
            Value::Bool(flag) => visitor.visit_bool(flag),
            Value::Array(items) => visitor.visit_seq(de::value::SeqDeserializer::new(
                items.into_iter().map(ValueDeserializer),
            )),
            Value::Table(mut entries) => {
                // The `toml` crate's tables are BTreeMaps: keys come out sorted.
                entries.sort_by(|a, b| a.0.cmp(b.0));
                visitor.visit_map(de::value::MapDeserializer::new(
                    entries
                        .into_iter()
                        .map(|(key, value)| (key, ValueDeserializer(value))),
                ))
            }
        }
    }

    // TOML has no null: a value that is there is `Some`.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // The `toml` crate's own types (`Spanned`, `Datetime`) are left to it.
        if name.starts_with("$__") {
            return Err(de::Error::custom("left to the toml crate"));
        }
        self.deserialize_any(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::Str(text) => {
                let variant: CowStrDeserializer<'de, Error> = text.into_deserializer();
                visitor.visit_enum(variant)
            }
            // A variant written as a table is left to the `toml` crate.
            _ => Err(de::Error::custom("left to the toml crate")),
        }
    }

    serde::forward_to_deserialize_any! {
        bool u8 u16 u32 u64 u128 i8 i16 i32 i64 i128 f32 f64 char str string seq
        bytes byte_buf map unit ignored_any unit_struct tuple_struct tuple identifier
    }
}

impl<'de> IntoDeserializer<'de, Error> for ValueDeserializer<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Option<Vec<(&str, Value<'_>)>> {
        Parser::new(text).document()
    }

    /// The fast path's document, as a `toml::Value`, equals the `toml` crate's.
    fn agrees(text: &str) {
        let fast: toml::Value = from_str(text).unwrap_or_else(|| panic!("not taken: {text}"));
        let full: toml::Value = toml::from_str(text).unwrap();
        assert_eq!(fast, full, "{text}");
    }

    #[test]
    fn reads_the_subset_as_the_toml_crate_does() {
        agrees("revision = \"a1\"\ndown_revision = [\"b\", 'c',]\n");
        agrees("# a comment\r\nrevision = \"a1\" # trailing\r\n\r\n[[upgrade]]\nop = \"x\"\nn = -12\nm = +3\nz = 0\nflag = true\nno = false\n");
        agrees("[[ upgrade ]]\na = 1\n[[downgrade]]\nb = 2\n[[upgrade]]\nc = { d = \"e\", f = [1, 2], g = {} }\n");
        agrees("columns = [\n  # the key\n  { name = \"id\", type = \"integer\", primary_key = true },\n  { name = \"x\" },\n]\n");
        agrees("s = \"tab\\there \\\"quoted\\\" back\\\\slash \\u00e9 new\\nline\"\nt = 'C:\\path'\nu = \"\"\nv = ''\n");
        agrees("key-with_dash = \"caf\u{e9} \u{1F600}\"\n");
        agrees("");
    }

    #[test]
    fn reads_the_renames_as_the_toml_crate_does() {
        #[derive(Debug, PartialEq, serde::Deserialize)]
        struct Doc {
            upgrade: Vec<crate::ops::Operation>,
        }
        let text = "[[upgrade]]\nop = \"rename_table\"\nold_table_name = \"user_profiles\"\nnew_table_name = \"member_profiles\"\nrename_dependents = true\n\n\
            [[upgrade]]\nop = \"rename_index\"\nold_index_name = \"ix_a\"\nnew_index_name = \"ix_b\"\ntable_name = \"t\"\n\n\
            [[upgrade]]\nop = \"rename_constraint\"\ntable_name = \"t\"\nold_constraint_name = \"a\"\nnew_constraint_name = \"b\"\nschema = \"app\"\n\n\
            [[upgrade]]\nop = \"rename_sequence\"\nold_sequence_name = \"a\"\nnew_sequence_name = \"b\"\n";
        let fast: Doc = from_str(text).expect("the fast path takes it");
        assert_eq!(fast, toml::from_str::<Doc>(text).unwrap());
    }

    #[test]
    fn leaves_everything_else_to_the_toml_crate() {
        for text in [
            "a = 1.5\n",
            "a = 1e3\n",
            "a = 1_000\n",
            "a = 0x1f\n",
            "a = 012\n",
            "a = 1979-05-27\n",
            "a = inf\n",
            "a = trueish\n",
            "a = \"\"\"multi\"\"\"\n",
            "a = '''multi'''\n",
            "a = \"bad \\x41 escape\"\n",
            "a = \"\\ud800\"\n",
            "a = \"control \u{1} char\"\n",
            "a = \"unterminated\n",
            "a.b = 1\n",
            "\"quoted\" = 1\n",
            "[table]\na = 1\n",
            "[[a.b]]\n",
            "a = 1\na = 2\n",
            "upgrade = []\n[[upgrade]]\n",
            "t = { a = 1, }\n",
            "t = { a = 1,\n b = 2 }\n",
            "t = { a = 1, a = 2 }\n",
            "a = 1 b = 2\n",
            "a = 1\rb = 2\n",
            "# comment with \u{1} control\n",
            "a = 99999999999999999999\n",
            &format!("a = {}1{}\n", "[".repeat(40), "]".repeat(40)),
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn keys_come_out_sorted_as_from_a_btreemap() {
        // A map type that records the order its keys are visited in.
        struct Order(Vec<String>);
        impl<'de> serde::Deserialize<'de> for Order {
            fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Order, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = Order;
                    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                        f.write_str("a table")
                    }
                    fn visit_map<A: de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<Order, A::Error> {
                        let mut keys = Vec::new();
                        while let Some((key, _)) = map.next_entry::<String, de::IgnoredAny>()? {
                            keys.push(key);
                        }
                        Ok(Order(keys))
                    }
                }
                d.deserialize_map(V)
            }
        }
        let text = "zeta = 1\nalpha = 2\nmid = 3\n";
        let fast: Order = from_str(text).unwrap();
        let full: Order = toml::from_str(text).unwrap();
        assert_eq!(fast.0, full.0);
        assert_eq!(fast.0, ["alpha", "mid", "zeta"]);
    }
}
