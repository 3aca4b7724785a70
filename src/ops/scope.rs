//! Operations for some dialects only: the `dialect` key any operation of a revision file may
//! carry (`dialect = "postgresql"`, `dialect = ["postgresql", "sqlite"]`), as an Alembic script
//! branches on `op.get_bind().dialect.name`; and `online = false`, which keeps an operation's
//! plain form where rmig would run its lock-safe one (src/ops/online.rs).
//!
//! The key is read here, beside the operation rather than inside it, so that every operation
//! takes it and none of the operation types knows about it. The revision keeps every
//! operation with its dialects, whatever database it is loaded for: one loaded revision
//! serves `--sql` for another dialect, a fleet of mixed databases and `check --lint`; what
//! runs is picked per dialect by [`running_on`], the one place the filter is applied.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};

use crate::dialect::Dialect;

use super::Operation;

/// One operation of a revision with the dialects it runs on.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopedOperation {
    pub op: Operation,
    /// `None`: every dialect; otherwise the dialects named, never empty.
    pub dialects: Option<Vec<Dialect>>,
    /// Whether the operation takes its lock-safe form on a table that existed before the run
    /// (src/ops/online.rs); `online = false` in the file keeps the plain statement.
    pub online: bool,
}

impl ScopedOperation {
    /// An operation that runs on every dialect.
    pub fn everywhere(op: Operation) -> ScopedOperation {
        ScopedOperation {
            op,
            dialects: None,
            online: true,
        }
    }

    /// Whether the operation runs on `dialect`; `None` (no database known, as `check --lint`
    /// without a URL) takes every operation, so that nothing escapes review.
    pub fn runs_on(&self, dialect: Option<Dialect>) -> bool {
        match (&self.dialects, dialect) {
            (Some(dialects), Some(dialect)) => dialects.contains(&dialect),
            _ => true,
        }
    }

    /// What the operation's own fields cannot say about the key: SQL an `execute` gives a
    /// dialect its `dialect` key leaves out would never run, which is a mistake in the file.
    pub fn check_dialects(&self) -> Result<(), String> {
        let (Some(dialects), Operation::Execute(execute)) = (&self.dialects, &self.op) else {
            return Ok(());
        };
        for dialect in Dialect::ALL {
            if execute.own_text(dialect).is_some() && !dialects.contains(&dialect) {
                return Err(format!(
                    "its `{dialect}` SQL never runs, since `dialect` leaves {dialect} out; remove one of them"
                ));
            }
        }
        Ok(())
    }
}

/// The operations of `ops` that run on `dialect`, each with its index in `ops`: messages and
/// the guard count operations as the file lists them, whichever of them run.
pub fn running_on(
    ops: &[ScopedOperation],
    dialect: Option<Dialect>,
) -> impl Iterator<Item = (usize, &Operation)> {
    ops.iter()
        .enumerate()
        .filter(move |(_, scoped)| scoped.runs_on(dialect))
        .map(|(index, scoped)| (index, &scoped.op))
}

/// The file's table: the `dialect` key, and the operation's own keys, which the operation's
/// type checks (unknown keys included).
#[derive(Deserialize)]
struct ScopedFields {
    #[serde(default)]
    dialect: Option<Dialects>,
    online: Option<bool>,
    #[serde(flatten)]
    op: Operation,
}

impl<'de> Deserialize<'de> for ScopedOperation {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ScopedOperation, D::Error> {
        let fields = ScopedFields::deserialize(deserializer)?;
        Ok(ScopedOperation {
            op: fields.op,
            dialects: fields.dialect.map(|dialects| dialects.0),
            online: fields.online.unwrap_or(true),
        })
    }
}

/// `dialect = "name"` or `dialect = ["name", ...]`: one dialect or a non-empty list of them.
struct Dialects(Vec<Dialect>);

impl<'de> Deserialize<'de> for Dialects {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Dialects, D::Error> {
        struct DialectsVisitor;

        impl<'de> Visitor<'de> for DialectsVisitor {
            type Value = Dialects;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a dialect name or a list of them")
            }

            fn visit_str<E: de::Error>(self, name: &str) -> Result<Dialects, E> {
                dialect_named(name).map(|dialect| Dialects(vec![dialect]))
            }

            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Dialects, A::Error> {
                let mut dialects = Vec::new();
                while let Some(name) = seq.next_element::<String>()? {
                    let dialect = dialect_named(&name)?;
                    if !dialects.contains(&dialect) {
                        dialects.push(dialect);
                    }
                }
                if dialects.is_empty() {
                    return Err(de::Error::custom(
                        "`dialect = []` names no dialect, so the operation would never run; name one, or remove the key to run it on every dialect",
                    ));
                }
                Ok(Dialects(dialects))
            }
        }

        deserializer.deserialize_any(DialectsVisitor)
    }
}

fn dialect_named<E: de::Error>(name: &str) -> Result<Dialect, E> {
    Dialect::ALL
        .into_iter()
        .find(|dialect| dialect.to_string() == name)
        .ok_or_else(|| {
            let known: Vec<String> = Dialect::ALL.iter().map(Dialect::to_string).collect();
            E::custom(format!(
                "unknown dialect `{name}` in `dialect`; rmig knows {}",
                known.join(" and ")
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::reverse::derive_scoped_downgrade;

    fn scoped(toml_text: &str) -> Result<ScopedOperation, String> {
        toml::from_str(toml_text).map_err(|error| error.to_string())
    }

    #[test]
    fn the_dialect_key_is_one_name_or_a_list_and_the_rest_is_the_operation() {
        let one =
            scoped("op = \"drop_index\"\nindex_name = \"ix_a\"\ndialect = \"sqlite\"\n").unwrap();
        assert_eq!(one.dialects, Some(vec![Dialect::Sqlite]));
        assert_eq!(one.op.describe(), "drop_index ix_a");
        assert!(one.runs_on(Some(Dialect::Sqlite)));
        assert!(!one.runs_on(Some(Dialect::Postgresql)));
        assert!(
            one.runs_on(None),
            "no dialect known: every operation is looked at"
        );

        let both: ScopedOperation = serde_yaml_ng::from_str(
            "op: drop_index\nindex_name: ix_a\ndialect: [postgresql, sqlite, postgresql]\n",
        )
        .unwrap();
        assert_eq!(
            both.dialects,
            Some(vec![Dialect::Postgresql, Dialect::Sqlite])
        );
        let everywhere = scoped("op = \"drop_index\"\nindex_name = \"ix_a\"\n").unwrap();
        assert_eq!(everywhere, ScopedOperation::everywhere(one.op.clone()));
    }

    #[test]
    fn an_unknown_dialect_an_empty_list_and_an_unknown_key_are_refused_naming_them() {
        let unknown = scoped("op = \"drop_index\"\nindex_name = \"ix_a\"\ndialect = \"mssql\"\n")
            .unwrap_err();
        assert!(
            unknown
                .contains("unknown dialect `mssql` in `dialect`; rmig knows postgresql and sqlite"),
            "{unknown}"
        );
        let empty =
            scoped("op = \"drop_index\"\nindex_name = \"ix_a\"\ndialect = []\n").unwrap_err();
        assert!(empty.contains("`dialect = []` names no dialect"), "{empty}");
        let typo = scoped("op = \"drop_index\"\nindex_name = \"ix_a\"\ndialects = \"sqlite\"\n")
            .unwrap_err();
        assert!(typo.contains("unknown field `dialects`"), "{typo}");
    }

    #[test]
    fn execute_sql_for_a_dialect_the_key_leaves_out_is_refused() {
        let never = scoped(
            "op = \"execute\"\ndialect = \"sqlite\"\nsqlite = \"SELECT 1\"\npostgresql = \"SELECT 2\"\n",
        )
        .unwrap();
        assert_eq!(
            never.check_dialects().unwrap_err(),
            "its `postgresql` SQL never runs, since `dialect` leaves postgresql out; remove one of them"
        );
        let fine =
            scoped("op = \"execute\"\ndialect = \"sqlite\"\nsqltext = \"SELECT 1\"\n").unwrap();
        assert_eq!(fine.check_dialects(), Ok(()));
    }

    #[test]
    fn running_on_keeps_each_operations_index_and_a_derived_reverse_keeps_the_dialects() {
        let ops: Vec<ScopedOperation> = [
            "op = \"create_index\"\nindex_name = \"ix_pg\"\ntable_name = \"t\"\ncolumns = [\"a\"]\ndialect = \"postgresql\"\n",
            "op = \"create_index\"\nindex_name = \"ix_all\"\ntable_name = \"t\"\ncolumns = [\"b\"]\n",
            "op = \"create_index\"\nindex_name = \"ix_lite\"\ntable_name = \"t\"\ncolumns = [\"c\"]\ndialect = [\"sqlite\"]\n",
        ]
        .iter()
        .map(|text| scoped(text).unwrap())
        .collect();
        let on = |list: &[ScopedOperation], dialect| -> Vec<(usize, String)> {
            running_on(list, dialect)
                .map(|(index, op)| (index, op.describe()))
                .collect()
        };
        assert_eq!(
            on(&ops, Some(Dialect::Sqlite)),
            [
                (1, "create_index ix_all on t".to_string()),
                (2, "create_index ix_lite on t".to_string())
            ]
        );
        assert_eq!(on(&ops, None).len(), 3);
        let downgrade = derive_scoped_downgrade(&ops).unwrap();
        assert_eq!(
            on(&downgrade, Some(Dialect::Postgresql)),
            [
                (1, "drop_index ix_all on t".to_string()),
                (2, "drop_index ix_pg on t".to_string())
            ]
        );
    }
}
