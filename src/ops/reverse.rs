//! Derived downgrades: when a revision writes no `downgrade`, rmig runs the reverse of each
//! upgrade operation, last first (docs/operations.md, "Reverse" of each). Pure: operations in, operations out.
//!
//! An operation is reversible when it carries what its reverse needs: `drop_table` its
//! `columns`, `drop_column` its `existing_column`, `alter_column` the `existing_*` value of
//! each property it changes, a `create_*` constraint its name. An absent `existing_server_default`
//! or `existing_comment` reads as "there was none", so setting one reverses to removing it,
//! while removing one needs the old value to put back. `execute`, `bulk_insert` and
//! `drop_constraint` have no reverse.

#[cfg(test)]
mod tests;

use super::scope::ScopedOperation;
use super::{
    AddColumn, AlterColumn, ConstraintKind, CreateEnum, CreateIndex, CreateTable,
    CreateTableComment, DropColumn, DropConstraint, DropEnum, DropIndex, DropTable,
    DropTableComment, Operation, RenameConstraint, RenameIndex, RenameSequence, RenameTable,
    TextChange,
};

/// An upgrade operation whose reverse cannot be derived.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("upgrade operation {position} ({description}) cannot be reversed: {reason}")]
pub struct IrreversibleOperation {
    /// 1-based position in the upgrade list.
    pub position: usize,
    /// Alembic's name of the operation.
    pub op: &'static str,
    /// `Operation::describe`.
    pub description: String,
    /// What is missing, and what to write instead.
    pub reason: String,
}

/// The downgrade of `upgrade`: the reverse of each operation, in reverse order.
pub fn derive_downgrade<'a, I>(upgrade: I) -> Result<Vec<Operation>, IrreversibleOperation>
where
    I: IntoIterator<Item = &'a Operation>,
    I::IntoIter: DoubleEndedIterator + ExactSizeIterator,
{
    upgrade
        .into_iter()
        .enumerate()
        .rev()
        .map(|(index, op)| {
            reverse(op).map_err(|reason| IrreversibleOperation {
                position: index + 1,
                op: op.name(),
                description: op.describe(),
                reason,
            })
        })
        .collect()
}

/// [`derive_downgrade`] of a revision's list: the reverse of an operation for some dialects
/// only is for the same dialects.
pub fn derive_scoped_downgrade(
    upgrade: &[ScopedOperation],
) -> Result<Vec<ScopedOperation>, IrreversibleOperation> {
    let reversed = derive_downgrade(upgrade.iter().map(|scoped| &scoped.op))?;
    Ok(reversed
        .into_iter()
        .zip(upgrade.iter().rev())
        .map(|(op, undone)| ScopedOperation {
            op,
            dialects: undone.dialects.clone(),
            online: undone.online,
        })
        .collect())
}

/// The operation that undoes `op`, or why there is none.
pub fn reverse(op: &Operation) -> Result<Operation, String> {
    Ok(match op {
        Operation::CreateTable(create) => Operation::DropTable(DropTable {
            table_name: create.table_name.clone(),
            schema: create.schema.clone(),
            columns: Some(create.columns.clone()),
            constraints: create.constraints.clone(),
            confirm_data_loss: None,
        }),
        Operation::DropTable(drop) => {
            let columns = drop.columns.clone().ok_or(
                "drop_table needs the table's `columns` (and `constraints`) to create it again",
            )?;
            Operation::CreateTable(CreateTable {
                table_name: drop.table_name.clone(),
                columns,
                constraints: drop.constraints.clone(),
                schema: drop.schema.clone(),
                comment: None,
            })
        }
        // Each rename goes back under the old name; a table's dependents, renamed with it,
        // are renamed back with it.
        Operation::RenameTable(rename) => Operation::RenameTable(RenameTable {
            old_table_name: rename.new_table_name.clone(),
            new_table_name: rename.old_table_name.clone(),
            schema: rename.schema.clone(),
            rename_dependents: rename.rename_dependents,
        }),
        Operation::RenameIndex(rename) => Operation::RenameIndex(RenameIndex {
            old_index_name: rename.new_index_name.clone(),
            new_index_name: rename.old_index_name.clone(),
            table_name: rename.table_name.clone(),
            schema: rename.schema.clone(),
        }),
        Operation::RenameConstraint(rename) => Operation::RenameConstraint(RenameConstraint {
            table_name: rename.table_name.clone(),
            old_constraint_name: rename.new_constraint_name.clone(),
            new_constraint_name: rename.old_constraint_name.clone(),
            schema: rename.schema.clone(),
        }),
        Operation::RenameSequence(rename) => Operation::RenameSequence(RenameSequence {
            old_sequence_name: rename.new_sequence_name.clone(),
            new_sequence_name: rename.old_sequence_name.clone(),
            schema: rename.schema.clone(),
        }),
        Operation::AddColumn(add) => Operation::DropColumn(DropColumn {
            table_name: add.table_name.clone(),
            column_name: add.column.name.clone(),
            schema: add.schema.clone(),
            existing_column: Some(add.column.clone()),
            confirm_data_loss: None,
        }),
        Operation::DropColumn(drop) => {
            let column = drop
                .existing_column
                .clone()
                .ok_or("drop_column needs `existing_column` (the column's definition) to add it again")?;
            Operation::AddColumn(AddColumn {
                table_name: drop.table_name.clone(),
                column,
                schema: drop.schema.clone(),
            })
        }
        Operation::AlterColumn(alter) => Operation::AlterColumn(reverse_alter_column(alter)?),
        Operation::CreateIndex(create) => Operation::DropIndex(DropIndex {
            index_name: create.index_name.clone().ok_or(
                "the index has no `index_name`, so its reverse cannot name it to drop it; give it a name",
            )?,
            table_name: Some(create.table_name.clone()),
            columns: Some(create.columns.clone()),
            unique: create.unique,
            where_: create.where_.clone(),
            postgresql_concurrently: create.postgresql_concurrently,
            postgresql_using: create.postgresql_using.clone(),
            postgresql_ops: create.postgresql_ops.clone(),
            postgresql_include: create.postgresql_include.clone(),
            if_exists: create.if_not_exists,
            schema: create.schema.clone(),
        }),
        Operation::DropIndex(drop) => {
            let (Some(table_name), Some(columns)) = (&drop.table_name, &drop.columns) else {
                return Err(
                    "drop_index needs the index's `table_name` and `columns` to create it again"
                        .to_string(),
                );
            };
            Operation::CreateIndex(CreateIndex {
                index_name: Some(drop.index_name.clone()),
                table_name: table_name.clone(),
                columns: columns.clone(),
                unique: drop.unique,
                where_: drop.where_.clone(),
                postgresql_concurrently: drop.postgresql_concurrently,
                postgresql_using: drop.postgresql_using.clone(),
                postgresql_ops: drop.postgresql_ops.clone(),
                postgresql_include: drop.postgresql_include.clone(),
                if_not_exists: drop.if_exists,
                schema: drop.schema.clone(),
            })
        }
        Operation::CreateEnum(create) => Operation::DropEnum(DropEnum {
            enum_name: create.enum_name.clone(),
            values: Some(create.values.clone()),
            if_exists: create.if_not_exists,
            schema: create.schema.clone(),
        }),
        Operation::DropEnum(drop) => Operation::CreateEnum(CreateEnum {
            enum_name: drop.enum_name.clone(),
            values: drop
                .values
                .clone()
                .ok_or("drop_enum needs the type's `values` to create it again")?,
            if_not_exists: drop.if_exists,
            schema: drop.schema.clone(),
        }),
        Operation::CreateUniqueConstraint(create) => drop_named_constraint(
            &create.constraint_name,
            &create.table_name,
            &create.schema,
            ConstraintKind::Unique,
        )?,
        Operation::CreateForeignKey(create) => drop_named_constraint(
            &create.constraint_name,
            &create.source_table,
            &create.source_schema,
            ConstraintKind::ForeignKey,
        )?,
        Operation::CreateCheckConstraint(create) => drop_named_constraint(
            &create.constraint_name,
            &create.table_name,
            &create.schema,
            ConstraintKind::Check,
        )?,
        Operation::CreatePrimaryKey(create) => drop_named_constraint(
            &create.constraint_name,
            &create.table_name,
            &create.schema,
            ConstraintKind::Primary,
        )?,
        Operation::DropConstraint(_) => {
            return Err(
                "drop_constraint does not carry the constraint's definition to create it again (a written downgrade can use the matching create_* operation)"
                    .to_string(),
            )
        }
        Operation::CreateTableComment(create) => match &create.existing_comment {
            Some(previous) => Operation::CreateTableComment(CreateTableComment {
                table_name: create.table_name.clone(),
                comment: previous.clone(),
                existing_comment: Some(create.comment.clone()),
                schema: create.schema.clone(),
            }),
            None => Operation::DropTableComment(DropTableComment {
                table_name: create.table_name.clone(),
                existing_comment: Some(create.comment.clone()),
                schema: create.schema.clone(),
            }),
        },
        Operation::DropTableComment(drop) => {
            let comment = drop.existing_comment.clone().ok_or(
                "drop_table_comment needs `existing_comment` to put the comment back",
            )?;
            Operation::CreateTableComment(CreateTableComment {
                table_name: drop.table_name.clone(),
                comment,
                existing_comment: None,
                schema: drop.schema.clone(),
            })
        }
        Operation::Execute(_) => {
            return Err(
                "execute runs SQL that rmig cannot undo (a written downgrade can execute the SQL that does)"
                    .to_string(),
            )
        }
        Operation::BulkInsert(_) => {
            return Err(
                "bulk_insert's rows cannot be told apart from rows inserted later (a written downgrade can delete them, or drop their table)"
                    .to_string(),
            )
        }
    })
}

/// `drop_constraint` of a constraint the upgrade created, which needs its name: the database
/// picks one when the operation gives none, and it cannot be known offline.
fn drop_named_constraint(
    name: &Option<String>,
    table: &str,
    schema: &Option<String>,
    kind: ConstraintKind,
) -> Result<Operation, String> {
    let name = name.clone().ok_or(
        "the constraint has no `constraint_name`, so its reverse cannot name it to drop it; give it a name",
    )?;
    Ok(Operation::DropConstraint(DropConstraint {
        constraint_name: name,
        table_name: table.to_string(),
        type_: Some(kind),
        schema: schema.clone(),
    }))
}

/// The alter_column that puts back each property `alter` changes, from its `existing_*` fields;
/// its own `existing_*` fields describe the column as `alter` left it.
fn reverse_alter_column(alter: &AlterColumn) -> Result<AlterColumn, String> {
    let missing = |field: &str, key: &str| {
        format!(
            "alter_column changes the column's {field} but does not say what it was; add `{key}`"
        )
    };
    let type_ = match &alter.type_ {
        Some(_) => Some(
            alter
                .existing_type
                .clone()
                .ok_or_else(|| missing("type", "existing_type"))?,
        ),
        None => None,
    };
    let nullable = match alter.nullable {
        Some(_) => Some(
            alter
                .existing_nullable
                .ok_or_else(|| missing("nullability", "existing_nullable"))?,
        ),
        None => None,
    };
    let server_default = match &alter.server_default {
        Some(_) => Some(match &alter.existing_server_default {
            Some(previous) => TextChange::Set(previous.clone()),
            None => match alter.server_default {
                Some(TextChange::Set(_)) => TextChange::Remove,
                _ => return Err(missing("default", "existing_server_default")),
            },
        }),
        None => None,
    };
    let comment = match &alter.comment {
        Some(_) => Some(match &alter.existing_comment {
            Some(previous) => TextChange::Set(previous.clone()),
            None => match alter.comment {
                Some(TextChange::Set(_)) => TextChange::Remove,
                _ => return Err(missing("comment", "existing_comment")),
            },
        }),
        None => None,
    };
    let after = |change: &Option<TextChange>, before: &Option<String>| match change {
        Some(TextChange::Set(text)) => Some(text.clone()),
        Some(TextChange::Remove) => None,
        None => before.clone(),
    };
    Ok(AlterColumn {
        table_name: alter.table_name.clone(),
        column_name: alter
            .new_column_name
            .clone()
            .unwrap_or_else(|| alter.column_name.clone()),
        new_column_name: alter
            .new_column_name
            .as_ref()
            .map(|_| alter.column_name.clone()),
        type_,
        nullable,
        server_default,
        comment,
        // The cast back is not the cast forth; a reverse that needs one must be written.
        postgresql_using: None,
        existing_type: alter.type_.clone().or_else(|| alter.existing_type.clone()),
        existing_nullable: alter.nullable.or(alter.existing_nullable),
        existing_server_default: after(&alter.server_default, &alter.existing_server_default),
        existing_comment: after(&alter.comment, &alter.existing_comment),
        schema: alter.schema.clone(),
        confirm_data_loss: None,
    })
}
