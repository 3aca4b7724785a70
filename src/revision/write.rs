//! New revision files, as `rmig revision` and `rmig merge` write them: Alembic's id and slug rules.

use std::path::{Path, PathBuf};

/// Alembic cuts slugs at a word boundary to this many characters (`truncate_slug_length`).
const SLUG_LENGTH: usize = 40;

/// A new id: the last 12 hex digits of a random UUID, as Alembic's `rev_id()` makes them.
pub fn new_revision_id() -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    hex[hex.len() - 12..].to_string()
}

/// The message's words joined by `_`, lower-cased, cut at a word boundary to 40 characters.
pub fn slugify(message: &str) -> String {
    let words: Vec<&str> = message
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    let slug = words.join("_").to_lowercase();
    if slug.chars().count() <= SLUG_LENGTH {
        return slug;
    }
    let cut: String = slug.chars().take(SLUG_LENGTH).collect();
    match cut.rfind('_') {
        Some(at) => format!("{}_", &cut[..at]),
        None => format!("{cut}_"),
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
    /// RFC 3339 creation time.
    pub create_date: String,
}

impl RevisionDraft {
    /// `<rev>_<slug>.toml` in `dir`, Alembic's default file template.
    pub fn file_path(&self, dir: &Path) -> PathBuf {
        let slug = slugify(self.message.as_deref().unwrap_or(""));
        let stem = if slug.is_empty() {
            self.id.clone()
        } else {
            format!("{}_{slug}", self.id)
        };
        dir.join(format!("{stem}.toml"))
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
        text.push_str(&format!("create_date = {}\n", quote(&self.create_date)));
        text.push_str("\n# Operations, one [[upgrade]] table each; see the README, \"The file format\".\nupgrade = []\n");
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
            slugify("Rename user_profiles to member-profiles!"),
            "rename_user_profiles_to_member_profiles"
        );
        assert_eq!(
            slugify("add a column for the members biography and their avatar"),
            "add_a_column_for_the_members_biography_"
        );
        assert_eq!(slugify(""), "");
    }

    #[test]
    fn draft_round_trips_through_the_loader() {
        let draft = RevisionDraft {
            id: "53fffde5ad5".into(),
            down_revisions: vec!["ae1027a6acf".into(), "27c6a30d7c24".into()],
            branch_labels: vec!["members".into()],
            depends_on: vec!["abranch".into()],
            message: Some("merge \"both\" heads".into()),
            create_date: "2026-11-24T23:00:00+00:00".into(),
        };
        let path = draft.file_path(Path::new("revisions"));
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
}
