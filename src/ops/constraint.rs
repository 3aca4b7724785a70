//! Constraints declared inside `create_table`, and the keywords that foreign keys and
//! `drop_constraint` take.

use serde::Deserialize;

/// A table-level constraint in `create_table.constraints`, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum TableConstraint {
    PrimaryKey {
        name: Option<String>,
        columns: Vec<String>,
    },
    Unique {
        name: Option<String>,
        columns: Vec<String>,
    },
    Check {
        name: Option<String>,
        /// SQL text, rendered verbatim.
        condition: String,
    },
    /// Keys as in `create_foreign_key`, without the source table (it is the table being created).
    ForeignKey {
        name: Option<String>,
        local_cols: Vec<String>,
        referent_table: String,
        remote_cols: Vec<String>,
        referent_schema: Option<String>,
        ondelete: Option<ReferentialAction>,
        onupdate: Option<ReferentialAction>,
        deferrable: Option<bool>,
        initially: Option<Initially>,
        #[serde(rename = "match")]
        match_: Option<ForeignKeyMatch>,
    },
}

/// What a foreign key does when the referenced row is deleted or updated.
/// Spelled as in SQL, in upper or lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ReferentialAction {
    #[serde(rename = "CASCADE", alias = "cascade")]
    Cascade,
    #[serde(rename = "SET NULL", alias = "set null")]
    SetNull,
    #[serde(rename = "SET DEFAULT", alias = "set default")]
    SetDefault,
    #[serde(rename = "RESTRICT", alias = "restrict")]
    Restrict,
    #[serde(rename = "NO ACTION", alias = "no action")]
    NoAction,
}

/// When a deferrable constraint is checked by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Initially {
    #[serde(rename = "DEFERRED", alias = "deferred")]
    Deferred,
    #[serde(rename = "IMMEDIATE", alias = "immediate")]
    Immediate,
}

/// A foreign key's `MATCH` mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ForeignKeyMatch {
    #[serde(rename = "FULL", alias = "full")]
    Full,
    #[serde(rename = "PARTIAL", alias = "partial")]
    Partial,
    #[serde(rename = "SIMPLE", alias = "simple")]
    Simple,
}

/// `drop_constraint`'s `type_`, with Alembic's spellings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConstraintKind {
    #[serde(rename = "foreignkey")]
    ForeignKey,
    Unique,
    Check,
    Primary,
}

impl ReferentialAction {
    /// The action as SQL spells it after ON DELETE / ON UPDATE.
    pub fn sql(self) -> &'static str {
        match self {
            ReferentialAction::Cascade => "CASCADE",
            ReferentialAction::SetNull => "SET NULL",
            ReferentialAction::SetDefault => "SET DEFAULT",
            ReferentialAction::Restrict => "RESTRICT",
            ReferentialAction::NoAction => "NO ACTION",
        }
    }
}

impl Initially {
    /// The mode as SQL spells it after INITIALLY.
    pub fn sql(self) -> &'static str {
        match self {
            Initially::Deferred => "DEFERRED",
            Initially::Immediate => "IMMEDIATE",
        }
    }
}

impl ForeignKeyMatch {
    /// The mode as SQL spells it after MATCH.
    pub fn sql(self) -> &'static str {
        match self {
            ForeignKeyMatch::Full => "FULL",
            ForeignKeyMatch::Partial => "PARTIAL",
            ForeignKeyMatch::Simple => "SIMPLE",
        }
    }
}
