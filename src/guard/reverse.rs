//! The downgrade rmig derives when a revision writes none, as the guard sees it.
//!
//! The reverse of each operation comes from `ops::reverse`, the same derivation
//! `Revision::downgrade_ops` runs, so the guard classifies exactly what would run. It reverses
//! one operation at a time rather than calling `downgrade_ops` so that each finding can say
//! which upgrade operation it reverses (the file has no line for a derived one). An operation
//! without a reverse (execute, bulk_insert, a drop that does not carry its definition, ...)
//! makes the whole derivation fail, which the loader already refuses; it is skipped here, as
//! a downgrade that cannot be derived never runs and so destroys nothing.

use crate::ops::reverse::reverse;
use crate::ops::Operation;

/// One operation of a derived downgrade.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DerivedOp {
    /// The index of the upgrade operation it reverses.
    pub reverses: usize,
    pub op: Operation,
}

/// The derived downgrade of `upgrade`: the reverse of each operation, last first.
pub(crate) fn derived_downgrade<'a, I>(upgrade: I) -> Vec<DerivedOp>
where
    I: IntoIterator<Item = &'a Operation>,
    I::IntoIter: DoubleEndedIterator + ExactSizeIterator,
{
    upgrade
        .into_iter()
        .enumerate()
        .rev()
        .filter_map(|(index, op)| {
            reverse(op).ok().map(|op| DerivedOp {
                reverses: index,
                op,
            })
        })
        .collect()
}
