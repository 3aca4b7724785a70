//! `rename_table` with `rename_dependents` on PostgreSQL: after the table's rename, one `DO`
//! block renames what is still named after the old table by PostgreSQL's and Alembic's
//! default naming. Most of those names were chosen by the database, so they are not known
//! offline: the block reads them from the catalog when it runs, and renames each by putting
//! the new table name where the old one begins it (`user_profiles_pkey` ->
//! `member_profiles_pkey`, `ix_user_profiles_karma` -> `ix_member_profiles_karma`).
//!
//! Only the renamed table's own dependents are looked at:
//! - constraints `<old>_pkey`, `<old>_<columns>_key`, `<old>_<columns>_fkey`,
//!   `<old>_<columns>_check` or `<old>_check`, and `<old>_<columns>_excl`, each suffix for
//!   its kind of constraint only (a primary key, unique or exclusion constraint's index is
//!   renamed with it);
//! - indexes that back no constraint, `<old>_<columns>_idx` and `ix_<old>_<columns>`;
//! - sequences the table's columns own (serial and identity columns), `<old>_<column>_seq`.
//!
//! Everything else keeps its name. PostgreSQL cuts names to 63 bytes: a name it shortened when
//! it made it does not begin with the whole old name, so it is left alone, and a new name
//! longer than that is cut the same way.

use crate::dialect::Dialect;

use super::ddl::{qualified, string_literal};

/// The `DO` block that renames the dependents of `schema.old`, now named `schema.new`.
pub(super) fn rename_dependents(schema: Option<&str>, old: &str, new: &str) -> String {
    let table = string_literal(&qualified(Dialect::Postgresql, schema, new));
    let old = string_literal(old);
    let new = string_literal(new);
    // `dependent.statement` is built with format's %I and %s of a regclass, so that every
    // name read from the catalog is quoted as an identifier.
    let body = format!(
        "
DECLARE
  -- The table under its new name, and the name its dependents were named after.
  moved regclass := {table}::regclass;
  old_table text := {old};
  new_table text := {new};
  dependent record;
BEGIN
  FOR dependent IN
    -- Constraints: <old>_pkey, <old>_<columns>_key, _fkey, _check (or <old>_check) and
    -- _excl, each suffix for its kind. A constraint's index is renamed with it.
    SELECT format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', moved, k.conname,
        new_table || substr(k.conname, length(old_table) + 1)) AS statement
      FROM pg_constraint k
      JOIN (VALUES ('p', '_pkey'), ('u', '_key'), ('f', '_fkey'), ('c', '_check'), ('x', '_excl'))
        AS kind (contype, suffix) ON kind.contype = k.contype::text
      WHERE k.conrelid = moved
        AND left(k.conname, length(old_table) + 1) = old_table || '_'
        AND right(k.conname, length(kind.suffix)) = kind.suffix
    UNION ALL
    -- Indexes that back no constraint: <old>_<columns>_idx (PostgreSQL's naming) and
    -- ix_<old>_<columns> (Alembic's).
    SELECT format('ALTER INDEX %I.%I RENAME TO %I', n.nspname, i.relname,
        CASE WHEN left(i.relname, length(old_table) + 1) = old_table || '_'
            AND right(i.relname, 4) = '_idx'
          THEN new_table || substr(i.relname, length(old_table) + 1)
          ELSE 'ix_' || new_table || substr(i.relname, length(old_table) + 4)
        END)
      FROM pg_index x
      JOIN pg_class i ON i.oid = x.indexrelid
      JOIN pg_namespace n ON n.oid = i.relnamespace
      WHERE x.indrelid = moved
        AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = moved
          AND k.conindid = x.indexrelid AND k.contype IN ('p', 'u', 'x'))
        AND (left(i.relname, length(old_table) + 1) = old_table || '_'
            AND right(i.relname, 4) = '_idx'
          OR left(i.relname, length(old_table) + 4) = 'ix_' || old_table || '_')
    UNION ALL
    -- Sequences the table's columns own (serial, identity): <old>_<column>_seq. Column
    -- defaults follow them, as they hold the sequence's oid rather than its name.
    SELECT format('ALTER SEQUENCE %I.%I RENAME TO %I', n.nspname, s.relname,
        new_table || substr(s.relname, length(old_table) + 1))
      FROM pg_depend d
      JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
      JOIN pg_namespace n ON n.oid = s.relnamespace
      WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
        AND d.refobjid = moved AND d.deptype IN ('a', 'i')
        AND left(s.relname, length(old_table) + 1) = old_table || '_'
        AND right(s.relname, 4) = '_seq'
  LOOP
    EXECUTE dependent.statement;
  END LOOP;
END
"
    );
    let tag = dollar_quote_tag(&body);
    format!("DO {tag}{body}{tag}")
}

/// A dollar-quote tag the body does not hold, so that no name in it can end the block.
fn dollar_quote_tag(body: &str) -> String {
    std::iter::once("$rmig$".to_string())
        .chain((1..).map(|n| format!("$rmig{n}$")))
        .find(|tag| !body.contains(tag.as_str()))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_go_in_as_literals_and_the_tag_is_not_in_the_body() {
        let block = rename_dependents(Some("app"), "it's", "x$rmig$y");
        assert!(block.contains("moved regclass := '\"app\".\"x$rmig$y\"'::regclass;"));
        assert!(block.contains("old_table text := 'it''s';"));
        assert!(block.starts_with("DO $rmig1$\n"), "{block}");
        assert!(block.ends_with("END\n$rmig1$"), "{block}");
        assert_eq!(block.matches("$rmig1$").count(), 2);
    }

    #[test]
    fn a_weird_name_stays_inside_its_string_literals() {
        let weird = "weird'; DROP TABLE x; --";
        let block = rename_dependents(Some(weird), weird, weird);
        let name = "'weird''; DROP TABLE x; --'";
        let table = "'\"weird''; DROP TABLE x; --\".\"weird''; DROP TABLE x; --\"'";
        for line in [
            format!("  moved regclass := {table}::regclass;"),
            format!("  old_table text := {name};"),
            format!("  new_table text := {name};"),
        ] {
            assert!(block.contains(&line), "{line}\n{block}");
        }
        let outside = block.replace(table, "").replace(name, "");
        assert!(!outside.contains("DROP TABLE x"), "{block}");
    }

    #[test]
    fn the_plain_tag_is_used_when_it_is_free() {
        let block = rename_dependents(None, "user_profiles", "member_profiles");
        assert!(block.starts_with("DO $rmig$\n"), "{block}");
        assert!(block.contains("moved regclass := '\"member_profiles\"'::regclass;"));
    }
}
