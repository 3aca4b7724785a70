//! Alembic's revision syntax: ids and unique prefixes, branch labels, `head`, `heads`, `base`,
//! `label@...`, and walks of `+N` / `-N` steps.

use super::{GraphError, RevIdx, RevisionMap};

/// Alembic refuses prefix matches against keys this short.
const MIN_PREFIX_KEY_LEN: usize = 4;

/// A place reached by walking the graph: Alembic's `None` (before any revision, where upward
/// walks start from the bases and downward ones from the heads), `"base"`, or a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Walked {
    Nowhere,
    Base,
    Rev(RevIdx),
}

/// A relative argument such as `+2`, `ae10-1` or `branch@head+1`, split as Alembic's
/// `(?:(.+?)@)?(\w+)?([+-]\d+)` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relative<'a> {
    pub label: Option<&'a str>,
    pub symbol: Option<&'a str>,
    /// The signed step count as written (`+2` is 2, `-1` is -1).
    pub steps: i64,
    /// The step part as written, for messages.
    pub steps_text: &'a str,
}

/// Parses a relative argument; `None` when the argument is absolute. Like Alembic's
/// `re.match`, the pattern is anchored at the start only.
pub fn parse_relative(spec: &str) -> Option<Relative<'_>> {
    let with_label = spec
        .match_indices('@')
        .filter(|&(at, _)| at > 0)
        .find_map(|(at, _)| {
            parse_symbol_and_steps(&spec[at + 1..]).map(|r| (Some(&spec[..at]), r))
        });
    let (label, (symbol, steps, steps_text)) = match with_label {
        Some(found) => found,
        None => (None, parse_symbol_and_steps(spec)?),
    };
    Some(Relative {
        label,
        symbol,
        steps,
        steps_text,
    })
}

/// `(\w+)?([+-]\d+)` at the start of `text`.
fn parse_symbol_and_steps(text: &str) -> Option<(Option<&str>, i64, &str)> {
    let symbol_len = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    let rest = &text[symbol_len..];
    let sign = rest.chars().next().filter(|c| *c == '+' || *c == '-')?;
    let digits_len = rest[1..]
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len() - 1);
    if digits_len == 0 {
        return None;
    }
    let steps_text = &rest[..1 + digits_len];
    let magnitude: i64 = steps_text[1..].parse().ok()?;
    let symbol = (symbol_len > 0).then(|| &text[..symbol_len]);
    Some((
        symbol,
        if sign == '-' { -magnitude } else { magnitude },
        steps_text,
    ))
}

/// What an argument names before the names are looked up (Alembic's `_resolve_revision_number`).
enum Named<'a> {
    /// Revisions already known, e.g. from `heads`.
    Known(Vec<RevIdx>),
    /// An id, prefix or label still to be looked up.
    Ident(&'a str),
}

impl RevisionMap {
    fn resolve_number<'a>(
        &self,
        spec: &'a str,
    ) -> Result<(Named<'a>, Option<&'a str>), GraphError> {
        let (label, id) = match spec.split_once('@') {
            Some((label, id)) => (Some(label), id),
            None => (None, spec),
        };
        let named = match id {
            "heads" => match label {
                Some(label) => Named::Known(self.filter_for_lineage(self.heads(), label)?),
                None => Named::Known(self.real_heads().to_vec()),
            },
            "head" => Named::Known(self.current_head(label)?.into_iter().collect()),
            "base" | "" => Named::Known(Vec::new()),
            other => Named::Ident(other),
        };
        Ok((named, label))
    }

    /// The single head, optionally within a branch; several are an error.
    pub fn current_head(&self, label: Option<&str>) -> Result<Option<RevIdx>, GraphError> {
        let heads = match label {
            Some(label) => self.filter_for_lineage(self.heads(), label)?,
            None => self.heads().to_vec(),
        };
        if heads.len() > 1 {
            return Err(GraphError::MultipleHeads {
                argument: match label {
                    Some(label) => format!("{label}@head"),
                    None => "head".to_string(),
                },
                heads: heads.iter().map(|&h| self.id(h).to_string()).collect(),
            });
        }
        Ok(heads.first().copied())
    }

    /// Revisions a branch argument (label or revision) is checked against.
    pub(super) fn lineage_anchors(&self, check_against: &str) -> Result<Vec<RevIdx>, GraphError> {
        let (named, label) = self.resolve_number(check_against)?;
        let mut anchors = Vec::new();
        if let Some(label) = label {
            anchors.push(self.revision_for_ident(label, None)?);
        }
        match named {
            Named::Known(known) => anchors.extend(known),
            Named::Ident(ident) => anchors.push(self.revision_for_ident(ident, None)?),
        }
        Ok(anchors)
    }

    /// The revision a branch label names, or the revision itself when given an id.
    pub fn resolve_branch(&self, label: &str) -> Result<RevIdx, GraphError> {
        if let Some(&owner) = self.label_owner.get(label) {
            return Ok(owner);
        }
        self.revision_for_ident(label, None)
            .map_err(|_| GraphError::resolution(label, format!("No such branch: '{label}'")))
    }

    /// An exact id or label, else a unique prefix; with `check_branch` the revision must share
    /// lineage with that branch.
    pub fn revision_for_ident(
        &self,
        ident: &str,
        check_branch: Option<&str>,
    ) -> Result<RevIdx, GraphError> {
        let branch = check_branch.map(|b| self.resolve_branch(b)).transpose()?;
        let exact = self
            .index_of(ident)
            .or_else(|| self.label_owner.get(ident).copied());
        let revision = match exact {
            Some(index) => index,
            None => {
                let mut candidates: Vec<(&str, RevIdx)> = self
                    .lookup_keys()
                    .filter(|(key, _)| key.len() >= MIN_PREFIX_KEY_LEN && key.starts_with(ident))
                    .collect();
                if let Some(branch) = branch {
                    candidates.retain(|&(_, index)| self.shares_lineage(index, &[branch]));
                }
                match candidates.as_slice() {
                    [] => {
                        let hint = if ident.len() < MIN_PREFIX_KEY_LEN {
                            "; please ensure at least four characters are present for partial revision identifier matches"
                        } else {
                            ""
                        };
                        return Err(GraphError::resolution(
                            ident,
                            format!("No such revision or branch '{ident}'{hint}"),
                        ));
                    }
                    [(_, index)] => *index,
                    many => {
                        // Alembic names the first three candidates, then "...".
                        let listed: Vec<String> = many
                            .iter()
                            .take(3)
                            .map(|(key, _)| format!("'{key}'"))
                            .collect();
                        return Err(GraphError::resolution(
                            ident,
                            format!(
                                "Multiple revisions start with '{ident}': {}...",
                                listed.join(", ")
                            ),
                        ));
                    }
                }
            }
        };
        if let (Some(branch), Some(label)) = (branch, check_branch) {
            if !self.shares_lineage(revision, &[branch]) {
                return Err(GraphError::resolution(
                    ident,
                    format!(
                        "Revision {} is not a member of branch '{label}'",
                        self.id(revision)
                    ),
                ));
            }
        }
        Ok(revision)
    }

    /// Every revision an argument names (`heads` may name several, `base` none); Alembic's
    /// `get_revisions`, including `label@-N` walks down from the heads.
    pub fn get_revisions(&self, spec: &str) -> Result<Vec<RevIdx>, GraphError> {
        let (named, label) = self.resolve_number(spec)?;
        match named {
            Named::Known(known) => {
                if let Some(label) = label {
                    self.resolve_branch(label)?;
                }
                Ok(known)
            }
            Named::Ident(ident) => match ident.parse::<i64>() {
                Ok(steps) if steps < 0 => {
                    let mut walked = Vec::new();
                    for head in self.get_revisions("heads")? {
                        if label.is_some_and(|l| !self.branch_labels(head).contains(l)) {
                            continue;
                        }
                        match self.walk(Walked::Rev(head), steps, None, true)? {
                            Some(Walked::Rev(index)) => walked.push(index),
                            Some(_) => {}
                            None => return Err(relative_shortfall(ident, steps)),
                        }
                    }
                    Ok(walked)
                }
                _ => Ok(vec![self.revision_for_ident(ident, label)?]),
            },
        }
    }

    /// The one revision an argument names, `None` for `base`; several are an error.
    pub fn get_revision(&self, spec: &str) -> Result<Option<RevIdx>, GraphError> {
        let (named, label) = self.resolve_number(spec)?;
        match named {
            Named::Known(known) => {
                if known.len() > 1 {
                    return Err(GraphError::MultipleHeads {
                        argument: spec.to_string(),
                        heads: known.iter().map(|&h| self.id(h).to_string()).collect(),
                    });
                }
                if let Some(label) = label {
                    self.resolve_branch(label)?;
                }
                Ok(known.first().copied())
            }
            Named::Ident(ident) => self.revision_for_ident(ident, label).map(Some),
        }
    }

    /// Walks `steps` up (positive) or down (negative), within `label`'s branch when walking
    /// up. Returns `None` when the walk runs off the graph and `no_overwalk` is set.
    pub fn walk(
        &self,
        start: Walked,
        steps: i64,
        label: Option<&str>,
        no_overwalk: bool,
    ) -> Result<Option<Walked>, GraphError> {
        let mut position = start;
        for _ in 0..steps.unsigned_abs() {
            let children: Vec<Walked> = if steps > 0 {
                let up = match position {
                    Walked::Nowhere | Walked::Base => self.bases().to_vec(),
                    Walked::Rev(index) => self.next_revisions(index).to_vec(),
                };
                let up = match label {
                    Some(label) => self.filter_for_lineage(&up, label)?,
                    None => up,
                };
                up.into_iter().map(Walked::Rev).collect()
            } else {
                match position {
                    Walked::Base => Vec::new(),
                    Walked::Nowhere => self.heads().iter().map(|&h| Walked::Rev(h)).collect(),
                    Walked::Rev(index) if self.is_base(index) => vec![Walked::Base],
                    Walked::Rev(index) => self
                        .down_revisions(index)
                        .iter()
                        .map(|&d| Walked::Rev(d))
                        .collect(),
                }
            };
            match children.as_slice() {
                [] => return Ok(if no_overwalk { None } else { Some(position) }),
                [only] => position = *only,
                many => {
                    // Alembic says only "Ambiguous walk"; naming the way forks says what to
                    // write instead (corpus: `args_relative_too_far`).
                    let from = match position {
                        Walked::Rev(index) => format!("revision {}", self.id(index)),
                        Walked::Nowhere if steps < 0 => "the heads".to_string(),
                        _ => "base".to_string(),
                    };
                    let choices: Vec<&str> = many
                        .iter()
                        .filter_map(|w| match w {
                            Walked::Rev(index) => Some(self.id(*index)),
                            _ => None,
                        })
                        .collect();
                    return Err(GraphError::Revision(format!(
                        "Ambiguous walk: {} revisions lead {} from {from} ({}); name one of them or a branch label instead",
                        many.len(),
                        if steps > 0 { "up" } else { "down" },
                        choices.join(", ")
                    )));
                }
            }
        }
        Ok(Some(position))
    }

    /// A revision as the starting place of a walk.
    pub fn walk_start(&self, spec: &str) -> Result<Walked, GraphError> {
        Ok(match self.get_revision(spec)? {
            Some(index) => Walked::Rev(index),
            None => Walked::Nowhere,
        })
    }
}

/// Alembic's message when a relative argument cannot take as many steps as it asks for.
pub(crate) fn relative_shortfall(steps_text: &str, steps: i64) -> GraphError {
    GraphError::Revision(format!(
        "Relative revision {steps_text} didn't produce {} migrations",
        steps.unsigned_abs()
    ))
}
