//! New revision files, as `rmig revision` and `rmig merge` write them: Alembic's id and slug
//! rules, and its `file_template` for the file's name.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, FixedOffset, Timelike};

/// Alembic cuts slugs at a word boundary to this many characters unless
/// `truncate_slug_length` says otherwise.
pub const DEFAULT_SLUG_LENGTH: usize = 40;

/// A new id: the last 12 hex digits of a random UUID, as Alembic's `rev_id()` makes them.
pub fn new_revision_id() -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    hex[hex.len() - 12..].to_string()
}

/// The message's words joined by `_`, lower-cased, cut at a word boundary to `max_len`
/// characters (Alembic's `truncate_slug_length`).
pub fn slugify(message: &str, max_len: usize) -> String {
    let words: Vec<&str> = message
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    let slug = words.join("_").to_lowercase();
    if slug.chars().count() <= max_len {
        return slug;
    }
    let cut: String = slug.chars().take(max_len).collect();
    match cut.rfind('_') {
        Some(at) => format!("{}_", &cut[..at]),
        None => format!("{cut}_"),
    }
}

/// Alembic's default `file_template`.
pub const DEFAULT_FILE_TEMPLATE: &str = "%(rev)s_%(slug)s";

/// Why a `file_template` cannot name files; the config loader adds the file it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileTemplateError {
    #[error("'{}' has '{}', which is neither '%%' nor a token such as '%(rev)s'", template.escape_debug(), at.escape_debug())]
    Syntax { template: String, at: String },
    #[error("'{}' names '%({})', which is none of rev, slug, epoch, year, month, day, hour, minute, second", template.escape_debug(), name.escape_debug())]
    UnknownToken { template: String, name: String },
    #[error(
        "'{template}' formats the text token '%({name})' as a number ('{conversion}'); use 's'"
    )]
    NotANumber {
        template: String,
        name: String,
        conversion: char,
    },
    #[error("'{}' makes a file name that leaves its folder or lacks '%(rev)s'; keep '%(rev)s' in it and no '..' or leading '/'", template.escape_debug())]
    Path { template: String },
}

/// A `file_template` read once: Python's `%` formatting of Alembic's tokens, with the flags,
/// width and precision Python takes (`%(month).2d`, `%(slug).20s`) and the conversions
/// `s`, `d` and `i`. A `/` in it makes sub-folders, as in Alembic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileTemplate {
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Token(Field),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Field {
    token: Token,
    left: bool,
    zero: bool,
    sign: Option<char>,
    width: usize,
    precision: Option<usize>,
    /// `s`, or `d` for a number.
    number: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Rev,
    Slug,
    Epoch,
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
}

impl Token {
    fn named(name: &str) -> Option<Token> {
        Some(match name {
            "rev" => Token::Rev,
            "slug" => Token::Slug,
            "epoch" => Token::Epoch,
            "year" => Token::Year,
            "month" => Token::Month,
            "day" => Token::Day,
            "hour" => Token::Hour,
            "minute" => Token::Minute,
            "second" => Token::Second,
            _ => return None,
        })
    }
}

impl Default for FileTemplate {
    fn default() -> FileTemplate {
        FileTemplate::parse(DEFAULT_FILE_TEMPLATE).expect("the default template is valid")
    }
}

impl FileTemplate {
    pub fn parse(template: &str) -> Result<FileTemplate, FileTemplateError> {
        let syntax = |at: &str| FileTemplateError::Syntax {
            template: template.to_string(),
            at: at.chars().take(12).collect(),
        };
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut rest = template;
        while let Some(at) = rest.find('%') {
            text.push_str(&rest[..at]);
            rest = &rest[at..];
            if let Some(after) = rest.strip_prefix("%%") {
                text.push('%');
                rest = after;
                continue;
            }
            let (name, after) = rest
                .strip_prefix("%(")
                .and_then(|after| after.split_once(')'))
                .ok_or_else(|| syntax(rest))?;
            let token = Token::named(name).ok_or_else(|| FileTemplateError::UnknownToken {
                template: template.to_string(),
                name: name.to_string(),
            })?;
            let spec_len = after
                .find(|c: char| !matches!(c, '-' | '0'..='9' | '+' | ' ' | '#' | '.'))
                .ok_or_else(|| syntax(rest))?;
            let (spec, after) = after.split_at(spec_len);
            let mut chars = after.chars();
            let conversion = chars.next().ok_or_else(|| syntax(rest))?;
            let number = match conversion {
                's' => false,
                'd' | 'i' if token == Token::Rev || token == Token::Slug => {
                    return Err(FileTemplateError::NotANumber {
                        template: template.to_string(),
                        name: name.to_string(),
                        conversion,
                    })
                }
                'd' | 'i' => true,
                _ => return Err(syntax(rest)),
            };
            let flags_len = spec
                .find(|c: char| !matches!(c, '-' | '0' | '+' | ' ' | '#'))
                .unwrap_or(spec.len());
            let (flags, sizes) = spec.split_at(flags_len);
            let (width, precision) = match sizes.split_once('.') {
                Some((width, precision)) => (width, Some(precision)),
                None => (sizes, None),
            };
            let parse_size = |digits: &str| -> Result<usize, FileTemplateError> {
                if digits.is_empty() {
                    return Ok(0);
                }
                digits.parse().map_err(|_| syntax(rest))
            };
            let field = Field {
                token,
                left: flags.contains('-'),
                zero: flags.contains('0'),
                sign: if flags.contains('+') {
                    Some('+')
                } else if flags.contains(' ') {
                    Some(' ')
                } else {
                    None
                },
                width: parse_size(width)?,
                precision: precision.map(parse_size).transpose()?,
                number,
            };
            if !text.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut text)));
            }
            pieces.push(Piece::Token(field));
            rest = chars.as_str();
        }
        text.push_str(rest);
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        let parsed = FileTemplate { pieces };
        // A name made only of fixed text, or one that climbs out of the revision folder,
        // would overwrite or scatter files.
        let sample = parsed.render(
            "ae1027a6acf",
            "",
            chrono::DateTime::UNIX_EPOCH.fixed_offset(),
        );
        let escapes = Path::new(&sample)
            .components()
            .any(|part| !matches!(part, std::path::Component::Normal(_)));
        let has_rev = parsed
            .pieces
            .iter()
            .any(|piece| matches!(piece, Piece::Token(field) if field.token == Token::Rev));
        if !has_rev || escapes {
            return Err(FileTemplateError::Path {
                template: template.to_string(),
            });
        }
        Ok(parsed)
    }

    /// The file name without its extension.
    fn render(&self, rev: &str, slug: &str, created: DateTime<FixedOffset>) -> String {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Token(field) => {
                    let value = match field.token {
                        Token::Rev => rev.to_string(),
                        Token::Slug => slug.to_string(),
                        Token::Epoch => created.timestamp().to_string(),
                        Token::Year => created.year().to_string(),
                        Token::Month => created.month().to_string(),
                        Token::Day => created.day().to_string(),
                        Token::Hour => created.hour().to_string(),
                        Token::Minute => created.minute().to_string(),
                        Token::Second => created.second().to_string(),
                    };
                    out.push_str(&field.format(&value));
                }
            }
        }
        out
    }
}

impl Field {
    /// Python's `%` conversion of one value (`value` is a number's digits when `number`).
    fn format(&self, value: &str) -> String {
        let mut body = if self.number {
            let (negative, digits) = match value.strip_prefix('-') {
                Some(digits) => (true, digits),
                None => (false, value),
            };
            let digits = format!("{digits:0>width$}", width = self.precision.unwrap_or(0));
            let sign = if negative {
                "-".to_string()
            } else {
                self.sign.map(String::from).unwrap_or_default()
            };
            if self.zero && !self.left && self.width > sign.len() + digits.len() {
                format!("{sign}{digits:0>width$}", width = self.width - sign.len())
            } else {
                format!("{sign}{digits}")
            }
        } else {
            match self.precision {
                Some(max) => value.chars().take(max).collect(),
                None => value.to_string(),
            }
        };
        let len = body.chars().count();
        if len < self.width {
            let pad = " ".repeat(self.width - len);
            body = if self.left { body + &pad } else { pad + &body };
        }
        body
    }
}

/// How new revision files are named: `file_template` and `truncate_slug_length`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileNaming {
    pub template: FileTemplate,
    pub slug_length: usize,
}

impl Default for FileNaming {
    fn default() -> FileNaming {
        FileNaming {
            template: FileTemplate::default(),
            slug_length: DEFAULT_SLUG_LENGTH,
        }
    }
}

/// The header of a revision about to be written; its operation lists start empty.
#[derive(Debug, Clone, PartialEq)]
pub struct RevisionDraft {
    pub id: String,
    pub down_revisions: Vec<String>,
    pub branch_labels: Vec<String>,
    pub depends_on: Vec<String>,
    pub message: Option<String>,
    /// Local time with its offset, as `rmig revision` ran.
    pub create_date: DateTime<FixedOffset>,
}

impl RevisionDraft {
    /// The file in `dir` that `naming` gives the draft, with `.toml` for Alembic's `.py`.
    pub fn file_path(&self, dir: &Path, naming: &FileNaming) -> PathBuf {
        let slug = slugify(self.message.as_deref().unwrap_or(""), naming.slug_length);
        let stem = naming.template.render(&self.id, &slug, self.create_date);
        dir.join(format!("{stem}.toml"))
    }

    /// `create_date` as the file carries it (RFC 3339, to the second).
    pub fn create_date_text(&self) -> String {
        self.create_date
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
    }

    /// The file's TOML text.
    pub fn to_toml(&self) -> String {
        let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
        let list = |items: &[String]| {
            let quoted: Vec<String> = items.iter().map(|s| quote(s)).collect();
            format!("[{}]", quoted.join(", "))
        };
        let mut text = format!("revision = {}\n", quote(&self.id));
        match self.down_revisions.as_slice() {
            [] => {}
            [one] => text.push_str(&format!("down_revision = {}\n", quote(one))),
            many => text.push_str(&format!("down_revision = {}\n", list(many))),
        }
        if !self.branch_labels.is_empty() {
            text.push_str(&format!("branch_labels = {}\n", list(&self.branch_labels)));
        }
        if !self.depends_on.is_empty() {
            text.push_str(&format!("depends_on = {}\n", list(&self.depends_on)));
        }
        if let Some(message) = &self.message {
            text.push_str(&format!("message = {}\n", quote(message)));
        }
        text.push_str(&format!(
            "create_date = {}\n",
            quote(&self.create_date_text())
        ));
        // No `upgrade = []`: the operations a person appends as `[[upgrade]]` tables would
        // set the key twice. An absent `upgrade` is an empty one.
        text.push_str(concat!(
            "\n# Operations, one [[upgrade]] table each (docs/operations.md in rmig's repository\n",
            "# lists every operation); without any, the revision changes nothing. For example:\n",
            "#\n",
            "# [[upgrade]]\n",
            "# op = \"add_column\"\n",
            "# table_name = \"accounts\"\n",
            "# column = { name = \"nickname\", type = \"text\", nullable = true }\n",
        ));
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revision::parse_revision;

    #[test]
    fn ids_are_twelve_hex_digits() {
        let id = new_revision_id();
        assert_eq!(id.len(), 12);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(id, new_revision_id());
    }

    #[test]
    fn slug_follows_alembic() {
        assert_eq!(
            slugify("Rename user_profiles to member-profiles!", 40),
            "rename_user_profiles_to_member_profiles"
        );
        assert_eq!(
            slugify(
                "add a column for the members biography and their avatar",
                40
            ),
            "add_a_column_for_the_members_biography_"
        );
        assert_eq!(slugify("add a column", 7), "add_a_");
        assert_eq!(slugify("widen", 3), "wid_");
        assert_eq!(slugify("", 40), "");
    }

    #[test]
    fn draft_round_trips_through_the_loader() {
        let draft = RevisionDraft {
            id: "53fffde5ad5".into(),
            down_revisions: vec!["ae1027a6acf".into(), "27c6a30d7c24".into()],
            branch_labels: vec!["members".into()],
            depends_on: vec!["abranch".into()],
            message: Some("merge \"both\" heads".into()),
            create_date: DateTime::parse_from_rfc3339("2026-11-24T23:00:00+00:00").unwrap(),
        };
        let path = draft.file_path(Path::new("revisions"), &FileNaming::default());
        assert_eq!(
            path,
            Path::new("revisions/53fffde5ad5_merge_both_heads.toml")
        );
        let revision = parse_revision(&path, &draft.to_toml()).unwrap();
        assert_eq!(revision.id, draft.id);
        assert_eq!(revision.down_revisions, draft.down_revisions);
        assert_eq!(revision.branch_labels, draft.branch_labels);
        assert_eq!(revision.depends_on, draft.depends_on);
        assert_eq!(revision.message, draft.message);
        assert!(revision.upgrade.is_empty());
    }

    /// Every example appends `[[upgrade]]` tables to a new revision, which then held
    /// `upgrade = []` too: TOML's "duplicate key" with no hint.
    #[test]
    fn a_new_revision_with_an_appended_upgrade_table_was_a_duplicate_key() {
        let draft = RevisionDraft {
            id: "ae1027a6acf".into(),
            down_revisions: Vec::new(),
            branch_labels: Vec::new(),
            depends_on: Vec::new(),
            message: Some("add nickname".into()),
            create_date: DateTime::parse_from_rfc3339("2026-03-07T09:05:02+01:00").unwrap(),
        };
        let text = format!(
            "{}\n[[upgrade]]\nop = \"add_column\"\ntable_name = \"accounts\"\ncolumn = {{ name = \"nickname\", type = \"text\" }}\n",
            draft.to_toml()
        );
        let revision = parse_revision(Path::new("ae1027a6acf_add_nickname.toml"), &text).unwrap();
        assert_eq!(revision.upgrade.len(), 1);
    }

    /// Each expected name is what Python's `%` gives for the same template and values.
    #[test]
    fn file_templates_format_as_python_does() {
        let draft = RevisionDraft {
            id: "ae1027a6acf".into(),
            down_revisions: Vec::new(),
            branch_labels: Vec::new(),
            depends_on: Vec::new(),
            message: Some("Add a column for the biography".into()),
            create_date: DateTime::parse_from_rfc3339("2026-03-07T09:05:02+01:00").unwrap(),
        };
        let name = |template: &str, slug_length: usize| {
            let naming = FileNaming {
                template: FileTemplate::parse(template).unwrap(),
                slug_length,
            };
            draft
                .file_path(Path::new(""), &naming)
                .display()
                .to_string()
        };
        assert_eq!(
            name(
                "%(year)d_%(month).2d_%(day).2d_%(hour).2d%(minute).2d-%(rev)s_%(slug)s",
                40
            ),
            "2026_03_07_0905-ae1027a6acf_add_a_column_for_the_biography.toml"
        );
        assert_eq!(name("%(rev)s_%(slug)s", 12), "ae1027a6acf_add_a_.toml");
        assert_eq!(name("%(epoch)s_%(rev)s", 40), "1772870702_ae1027a6acf.toml");
        assert_eq!(
            name("%(year)d/%(month)02d/%(rev)s", 40),
            "2026/03/ae1027a6acf.toml"
        );
        assert_eq!(
            name("%(second)+05d|%(minute)-3d|%(rev).4s|%(slug)8.3s|100%%", 40),
            "+0002|5  |ae10|     add|100%.toml"
        );
    }

    #[test]
    fn bad_file_templates_are_refused_when_read() {
        for (template, expected) in [
            ("%(rev)s_%(name)s", "names '%(name)'"),
            ("%(rev)d", "formats the text token '%(rev)'"),
            ("%(rev)s_%", "has '%'"),
            ("%(rev)x", "has '%(rev)x'"),
            ("%(year)d", "keep '%(rev)s'"),
            ("../%(rev)s", "leaves its folder"),
            ("/tmp/%(rev)s", "leaves its folder"),
        ] {
            let message = FileTemplate::parse(template).unwrap_err().to_string();
            assert!(message.contains(expected), "{template}: {message}");
        }
    }
}
