//! The lists of operations the guard looks at, and the findings it makes over them.

use std::borrow::Cow;
use std::collections::HashSet;
use std::path::PathBuf;

use crate::dialect::Dialect;
use crate::ops::{running_on, Operation};
use crate::plan::Direction;
use crate::revision::Revision;

use super::classify::{classify_noting, is_placeholder, Context};
use super::confirm;
use super::object::DataObject;
use super::rename::{self, LiveTables};
use super::report::{Confirmation, Finding, RowCount};
use super::reverse::derived_downgrade;
use super::sql::PlanNotes;

/// One list of operations that runs as a whole: a revision's upgrade or downgrade.
/// The operations are borrowed from the revision where they are written, and owned where
/// the guard derives them: copying every operation of a 10,000-step plan was 6% of
/// `upgrade head --sql` (issue 8).
#[derive(Debug, Clone)]
pub(crate) struct OpList<'r> {
    pub revision: String,
    pub path: PathBuf,
    pub direction: Direction,
    /// The downgrade is derived from the upgrade, so each index is that of the upgrade
    /// operation reversed, and no operation carries a confirmation.
    pub derived: bool,
    /// Each operation with its index.
    pub ops: Vec<(usize, Cow<'r, Operation>)>,
    /// The same revision's list for the other direction: it recreates what this list drops,
    /// so it tells the shape of a dropped table or column that the drop does not spell out.
    pub opposite: Vec<Cow<'r, Operation>>,
}

impl<'r> OpList<'r> {
    /// The list `revision` runs in `direction` on `dialect` (every operation when no
    /// dialect is known): an operation for other dialects is not looked at.
    pub fn new(
        revision: &'r Revision,
        direction: Direction,
        dialect: Option<Dialect>,
    ) -> OpList<'r> {
        let upgrade = || -> Vec<(usize, Cow<'r, Operation>)> {
            running_on(&revision.upgrade, dialect)
                .map(|(index, op)| (index, Cow::Borrowed(op)))
                .collect()
        };
        let downgrade = || -> (Vec<(usize, Cow<'r, Operation>)>, bool) {
            match &revision.downgrade {
                Some(written) => (
                    running_on(written, dialect)
                        .map(|(index, op)| (index, Cow::Borrowed(op)))
                        .collect(),
                    false,
                ),
                None => (
                    derived_downgrade(revision.upgrade.iter().map(|scoped| &scoped.op))
                        .into_iter()
                        .filter(|derived| revision.upgrade[derived.reverses].runs_on(dialect))
                        .map(|derived| (derived.reverses, Cow::Owned(derived.op)))
                        .collect(),
                    true,
                ),
            }
        };
        let (ops, derived) = match direction {
            Direction::Upgrade => (upgrade(), false),
            Direction::Downgrade => downgrade(),
        };
        // The opposite list is only read for the shape of what a drop in `ops` removes
        // (rename.rs), so it is built only when `ops` drops a table or column: copying both
        // lists of every revision was most of `upgrade --sql`'s memory at 10,000 revisions
        // (issue 8).
        let drops = ops
            .iter()
            .any(|(_, op)| matches!(**op, Operation::DropTable(_) | Operation::DropColumn(_)));
        let opposite = match (drops, direction) {
            (false, _) => Vec::new(),
            (true, Direction::Upgrade) => downgrade().0,
            (true, Direction::Downgrade) => upgrade(),
        };
        OpList {
            revision: revision.id.clone(),
            path: revision.path.clone(),
            direction,
            derived,
            ops,
            opposite: opposite.into_iter().map(|(_, op)| op).collect(),
        }
    }
}

/// Every destructive operation of `lists` (in the order they run), each with the position of
/// its list, its confirmation on the operation (not yet the run's allowances) and, where a
/// matching create exists in any of the lists, the rename to write instead. Each operation is
/// judged with what the lists before it did: a table or column the plan created itself holds
/// no data from before the run, so dropping it loses nothing; an UPDATE of a column the plan
/// added backfills it.
pub(crate) fn analyse(
    lists: &[OpList],
    dialect: Option<Dialect>,
    live: &mut dyn LiveTables,
) -> Analysis {
    let mut context = Context {
        dialect,
        triggered_tables: live.triggered_tables().into_iter().collect(),
        ..Context::default()
    };
    let mut created = PlanCreated::default();
    let mut findings = Vec::new();
    // Where each finding's operation is, to look for renames only among the drops that lose
    // data: a long plan drops many tables it created itself.
    let mut finding_ops = Vec::new();
    let mut backfilled_tables = Vec::with_capacity(lists.len());
    for (list_position, list) in lists.iter().enumerate() {
        for (op_position, (op_index, op)) in list.ops.iter().enumerate() {
            let (losses, notes) = classify_noting(op, &context);
            let losses: Vec<_> = losses
                .into_iter()
                .filter(|loss| !created.holds(&loss.object))
                .collect();
            created.note(op, notes, &mut context);
            if losses.is_empty() {
                continue;
            }
            let value = confirm::suggested_value(&losses, &list.revision);
            for loss in losses {
                // A derived operation is not in the file, so nothing on it can confirm it.
                let placeholder = is_placeholder(op);
                // Nothing confirms a placeholder: it stands for Python no one translated.
                let confirmation = if list.derived || placeholder {
                    Confirmation::Missing
                } else {
                    confirm::on_operation(op, &loss, &list.revision)
                };
                finding_ops.push((list_position, op_position));
                findings.push((
                    list_position,
                    Finding {
                        revision: list.revision.clone(),
                        path: list.path.clone(),
                        direction: list.direction,
                        derived: list.derived,
                        op_index: *op_index,
                        op: op.describe(),
                        fix: confirm::fix(&list.path, &value, &loss.object, &list.revision),
                        object: loss.object,
                        reason: loss.reason,
                        confirmation,
                        probable_rename: None,
                        measure: loss.measure,
                        certainty: loss.certainty,
                        rows: RowCount::NotCounted,
                        placeholder,
                    },
                ));
            }
        }
        let mut tables: Vec<String> = context
            .added_columns
            .iter()
            .map(|(table, _)| table.clone())
            .collect();
        tables.sort();
        tables.dedup();
        backfilled_tables.push(tables);
    }
    let hints = rename::detect(lists, &finding_ops, dialect, live);
    for ((_, finding), at) in findings.iter_mut().zip(&finding_ops) {
        finding.probable_rename = hints.get(at).cloned();
    }
    Analysis {
        findings,
        backfilled_tables,
    }
}

/// The findings of a plan, and what the executor needs to judge its steps' effects.
pub(crate) struct Analysis {
    /// Each finding with the position of its list.
    pub findings: Vec<(usize, Finding)>,
    /// By list: the tables whose columns the plan added up to the end of that list.
    pub backfilled_tables: Vec<Vec<String>>,
}

/// Tables the plan created so far, `(schema, table)` under their current names: a table of
/// the same name in another schema is another table, holding rows from before the run.
#[derive(Default)]
struct PlanCreated {
    tables: HashSet<(Option<String>, String)>,
}

impl PlanCreated {
    /// Whether `object` is a table (or a column of a table) the plan created: its rows came
    /// from this run, not from before it.
    fn holds(&self, object: &DataObject) -> bool {
        object.table_name().is_some_and(|(schema, table)| {
            self.tables
                .contains(&(schema.map(str::to_string), table.to_string()))
        })
    }

    /// Follows what `op` creates, renames and drops (`notes`: what its SQL creates), and what
    /// it tells about later operations.
    fn note(&mut self, op: &Operation, notes: PlanNotes, context: &mut Context) {
        context.triggered_tables.extend(notes.triggered_tables);
        context.added_columns.extend(notes.added_columns);
        for replaced in &notes.replaced_tables {
            self.tables.remove(replaced);
        }
        self.tables.extend(notes.created_tables);
        match op {
            Operation::CreateTable(create) => {
                self.tables
                    .insert((create.schema.clone(), create.table_name.clone()));
            }
            Operation::RenameTable(rename) => {
                // The new name holds the renamed table's rows: the plan's only if the old
                // table was.
                let new = (rename.schema.clone(), rename.new_table_name.clone());
                let created = self
                    .tables
                    .remove(&(rename.schema.clone(), rename.old_table_name.clone()));
                self.tables.remove(&new);
                if created {
                    self.tables.insert(new);
                }
                let moved: Vec<(String, String)> = context
                    .added_columns
                    .iter()
                    .filter(|(table, _)| *table == rename.old_table_name)
                    .cloned()
                    .collect();
                for (_, column) in moved {
                    context
                        .added_columns
                        .insert((rename.new_table_name.clone(), column));
                }
            }
            Operation::DropTable(drop) => {
                self.tables
                    .remove(&(drop.schema.clone(), drop.table_name.clone()));
            }
            Operation::AddColumn(add) => {
                context
                    .added_columns
                    .insert((add.table_name.clone(), add.column.name.clone()));
            }
            _ => {}
        }
    }
}
