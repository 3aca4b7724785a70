//! Scripts in, revision files out: what becomes an operation, what becomes a placeholder.

use std::path::Path;

use super::statements::Item;
use super::*;
use crate::ops::Operation;

const HEADER: &str = "\"\"\"add things\n\nRevision ID: ae1027a6acf\nRevises: 1975ea83b712\nCreate Date: 2024-05-01 10:23:45.123456\n\n\"\"\"\nfrom alembic import op\nimport sqlalchemy as sa\nfrom sqlalchemy.dialects import postgresql\nimport sqlmodel\n\nrevision = 'ae1027a6acf'\ndown_revision = '1975ea83b712'\nbranch_labels = None\ndepends_on = None\n\n";

/// Reads a script whose `upgrade()` has `body` (indented by four spaces here).
fn upgrade_of(body: &str) -> script::Script {
    upgrade_with("", body)
}

/// Reads a script with more module-level lines (imports, names) after the header.
fn upgrade_with(module: &str, body: &str) -> script::Script {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ae1027a6acf_add_things.py");
    let indented: String = body.lines().map(|l| format!("    {l}\n")).collect();
    std::fs::write(
        &path,
        format!("{HEADER}{module}def upgrade():\n{indented}\n\ndef downgrade():\n    pass\n"),
    )
    .unwrap();
    script::read(&path, "versions/ae1027a6acf_add_things.py").unwrap()
}

/// The upgrade's operations as rmig reads them; panics on a placeholder.
fn ops_of(body: &str) -> Vec<Operation> {
    upgrade_of(body)
        .upgrade
        .items
        .into_iter()
        .map(|item| match item {
            Item::Op { op, .. } => op.to_operation().unwrap(),
            Item::Placeholder(p) => panic!("placeholder: {:?}", p.reasons),
        })
        .collect()
}

/// The upgrade's operations as TOML bodies, placeholders as `PLACEHOLDER <reasons>`.
fn tables_of(body: &str) -> Vec<String> {
    tables_with("", body)
}

fn tables_with(module: &str, body: &str) -> Vec<String> {
    upgrade_with(module, body)
        .upgrade
        .items
        .into_iter()
        .map(|item| match item {
            Item::Op { op, .. } => op.body(),
            Item::Placeholder(p) => format!(
                "PLACEHOLDER {}-{}: {}",
                p.first_line,
                p.last_line,
                p.reasons.join("; ")
            ),
        })
        .collect()
}

#[test]
fn header_docstring_and_create_date() {
    let script = upgrade_of("pass");
    assert_eq!(script.header.revision, "ae1027a6acf");
    assert_eq!(script.header.down_revisions, ["1975ea83b712"]);
    assert_eq!(script.header.message.as_deref(), Some("add things"));
    assert_eq!(
        script.header.create_date.as_deref(),
        Some("2024-05-01T10:23:45.123456")
    );
    assert!(script.upgrade.items.is_empty());
}

#[test]
fn merges_labels_and_dependencies_keep_alembics_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.py");
    std::fs::write(
        &path,
        "from typing import Sequence, Union\nrevision: str = 'c3'\ndown_revision: Union[str, Sequence[str], None] = ('a1', 'b2')\nbranch_labels = 'merged'\nDEP = 'x9'\ndepends_on = [DEP, 'lbl']\ndef upgrade():\n    pass\n",
    )
    .unwrap();
    let script = script::read(&path, "m.py").unwrap();
    assert_eq!(script.header.down_revisions, ["a1", "b2"]);
    assert_eq!(script.header.branch_labels, ["merged"]);
    assert_eq!(script.header.depends_on, ["x9", "lbl"]);
    assert_eq!(script.header.message, None);
}

#[test]
fn a_script_without_downgrade_became_a_silent_empty_downgrade() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.py");
    std::fs::write(
        &path,
        "revision = 'c3'\ndown_revision = None\ndef upgrade():\n    pass\n",
    )
    .unwrap();
    let script = script::read(&path, "m.py").unwrap();
    // Alembic fails when it runs the missing function; rmig refuses the placeholder.
    match script.downgrade.items.as_slice() {
        [Item::Placeholder(placeholder)] => {
            assert!(
                placeholder.reasons[0].contains("no `downgrade()`"),
                "{placeholder:?}"
            );
        }
        other => panic!("no placeholder for the missing downgrade(): {other:?}"),
    }
}

#[test]
fn a_header_that_is_not_literal_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.py");
    std::fs::write(
        &path,
        "import uuid\nrevision = uuid.uuid4().hex\ndown_revision = None\n",
    )
    .unwrap();
    let error = script::read(&path, "versions/bad.py")
        .unwrap_err()
        .to_string();
    assert!(error.starts_with("versions/bad.py: `revision`:"), "{error}");

    std::fs::write(&path, "down_revision = None\n").unwrap();
    let error = script::read(&path, "versions/bad.py")
        .unwrap_err()
        .to_string();
    assert!(error.contains("no `revision` is set"), "{error}");

    std::fs::write(&path, "revision = 'a'\ndef upgrade(:\n").unwrap();
    let error = script::read(&path, "versions/bad.py")
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("versions/bad.py:2: the Python does not parse"),
        "{error}"
    );
}

#[test]
fn an_autogenerated_create_table_becomes_one_operation_plus_its_index() {
    let tables = tables_of(
        "op.create_table('user',\nsa.Column('id', sa.Integer(), nullable=False),\nsa.Column('name', sa.String(length=50), nullable=True),\nsa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),\nsa.Column('status', sa.Enum('a', 'b', name='user_status'), server_default='a'),\nsa.Column('org_id', sa.Integer(), sa.ForeignKey('org.id', ondelete='cascade'), index=True),\nsa.PrimaryKeyConstraint('id'),\nsa.UniqueConstraint('name', name='uq_user_name'),\nsa.ForeignKeyConstraint(['org_id'], ['auth.org.id'], name='fk', deferrable=True, initially='deferred'),\nsa.CheckConstraint(sa.text('id > 0'), name='ck_id'),\nschema='app'\n)\nop.create_index(op.f('ix_user_name'), 'user', ['name'], unique=False)",
    );
    assert_eq!(
        tables,
        [
            "op = \"create_table\"\ntable_name = \"user\"\ncolumns = [\n  { name = \"id\", type = \"integer\", nullable = false },\n  { name = \"name\", type = \"varchar(50)\", nullable = true },\n  { name = \"created\", type = \"timestamptz\", nullable = false, server_default = \"now()\" },\n  { name = \"status\", type = { enum = \"user_status\", values = [\"a\", \"b\"] }, server_default = \"'a'\" },\n  { name = \"org_id\", type = \"integer\", foreign_key = { table = \"org\", column = \"id\", ondelete = \"CASCADE\" } },\n]\nconstraints = [\n  { type = \"primary_key\", columns = [\"id\"] },\n  { type = \"unique\", name = \"uq_user_name\", columns = [\"name\"] },\n  { type = \"foreign_key\", name = \"fk\", local_cols = [\"org_id\"], referent_table = \"org\", remote_cols = [\"id\"], referent_schema = \"auth\", deferrable = true, initially = \"DEFERRED\" },\n  { type = \"check\", name = \"ck_id\", condition = \"id > 0\" },\n]\nschema = \"app\"\n",
            // `index=True`: the `ix` naming convention names it when the revision loads
            // (SQLAlchemy's default gives `ix_app_user_org_id`, the schema included).
            "op = \"create_index\"\ntable_name = \"user\"\ncolumns = [\"org_id\"]\nschema = \"app\"\n",
            "op = \"create_index\"\nindex_name = \"ix_user_name\"\ntable_name = \"user\"\ncolumns = [\"name\"]\n",
        ]
    );
    // And rmig reads every one of them.
    assert_eq!(
        ops_of("op.create_table('t', sa.Column('id', sa.Integer(), primary_key=True))").len(),
        1
    );
}

#[test]
fn column_options_follow_sqlalchemy() {
    let ops = ops_of(
        "op.add_column('t', sa.Column('a', sa.Numeric(10, 2), server_default='0', nullable=False, comment='money'))\nop.add_column('t', sa.Column('b', postgresql.JSONB(astext_type=sa.Text())))\nop.add_column('t', sa.Column('c', sa.BigInteger(), sa.Identity(always=True, start=5)))\nop.add_column('t', sa.Column('d', sa.Boolean(), server_default=sa.false(), default=True))\nop.add_column('t', sa.Column('e', sa.ARRAY(sa.String(8))))\nop.add_column('t', sa.Column('f', sa.Float()))\nop.add_column('t', sa.Column('g', postgresql.INET()))\nop.add_column('t', sa.Column('h', sa.DateTime(), server_default=sa.func.current_timestamp()))\nop.add_column('t', sa.Column('i', sa.String(20), unique=True, index=True))\nop.add_column('t', sa.Column('j', sqlmodel.sql.sqltypes.AutoString(length=30)))",
    );
    let columns: Vec<String> = ops
        .iter()
        .filter_map(|op| match op {
            Operation::AddColumn(add) => Some(format!(
                "{} {:?} nullable={} default={:?} unique={} identity={:?} comment={:?}",
                add.column.name,
                add.column.type_,
                add.column.nullable,
                add.column.server_default,
                add.column.unique,
                add.column.identity,
                add.column.comment
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        columns,
        [
            "a Numeric { precision: Some(10), scale: Some(2) } nullable=false default=Some(\"'0'\") unique=false identity=None comment=Some(\"money\")",
            "b Jsonb nullable=true default=None unique=false identity=None comment=None",
            "c BigInt nullable=true default=None unique=false identity=Some(Identity { always: true, start: Some(5), increment: None }) comment=None",
            "d Boolean nullable=true default=Some(\"false\") unique=false identity=None comment=None",
            "e Array(Varchar { length: Some(8) }) nullable=true default=None unique=false identity=None comment=None",
            "f Double nullable=true default=None unique=false identity=None comment=None",
            "g Sql(\"INET\") nullable=true default=None unique=false identity=None comment=None",
            "h Timestamp { timezone: false } nullable=true default=Some(\"CURRENT_TIMESTAMP\") unique=false identity=None comment=None",
            "i Varchar { length: Some(20) } nullable=true default=None unique=false identity=None comment=None",
            "j Varchar { length: Some(30) } nullable=true default=None unique=false identity=None comment=None",
        ]
    );
    // `unique=True, index=True` is a unique index, as SQLAlchemy makes it, named by the `ix`
    // naming convention when the revision loads.
    let Operation::CreateIndex(index) = &ops[ops.len() - 2] else {
        panic!("{ops:?}")
    };
    assert_eq!((index.index_name.as_deref(), index.unique), (None, true));
}

#[test]
fn alter_column_keeps_alembics_false_and_none_apart() {
    let tables = tables_of(
        "op.alter_column('t', 'c', existing_type=sa.VARCHAR(length=3), type_=sa.Text(), server_default=None, comment=None, existing_server_default=sa.text(\"'x'\"), nullable=True, postgresql_using='c::text')\nop.alter_column('t', 'c', new_column_name='d', server_default=False, comment=False, existing_nullable=False)",
    );
    assert_eq!(
        tables,
        [
            "op = \"alter_column\"\ntable_name = \"t\"\ncolumn_name = \"c\"\ntype_ = \"text\"\nnullable = true\nserver_default = false\ncomment = false\npostgresql_using = \"c::text\"\nexisting_type = \"varchar(3)\"\nexisting_server_default = \"'x'\"\n",
            "op = \"alter_column\"\ntable_name = \"t\"\ncolumn_name = \"c\"\nnew_column_name = \"d\"\nexisting_nullable = false\n",
        ]
    );
}

#[test]
fn the_other_operations_map_argument_by_argument() {
    let ops = ops_of(
        "op.rename_table('a', 'b', schema='s')\nop.drop_column('b', 'x', schema='s', mssql_drop_default=True)\nop.create_index('ix', 'b', ['y'], unique=True, postgresql_where=sa.text('y > 0'), postgresql_concurrently=True)\nop.drop_index('ix', table_name='b')\nop.create_unique_constraint('uq', 'b', ['y', 'z'])\nop.create_foreign_key('fk', 'b', 'c', ['cid'], ['id'], ondelete='SET NULL', match='FULL')\nop.create_check_constraint('ck', 'b', 'y > 0')\nop.create_primary_key('pk', 'b', ['id'])\nop.drop_constraint('fk', 'b', type_='foreignkey')\nop.create_table_comment('b', 'hello', existing_comment='old')\nop.drop_table_comment('b')\nop.execute(sa.text('UPDATE b SET y = 1'))\nop.drop_table('b')",
    );
    let names: Vec<String> = ops.iter().map(Operation::describe).collect();
    assert_eq!(
        names,
        [
            "rename_table s.a -> b",
            "drop_column s.b.x",
            "create_index ix on b",
            "drop_index ix on b",
            "create_unique_constraint uq on b",
            "create_foreign_key fk on b -> c",
            "create_check_constraint ck on b",
            "create_primary_key pk on b",
            "drop_constraint fk on b",
            "create_table_comment b",
            "drop_table_comment b",
            "execute SQL",
            "drop_table b",
        ]
    );
    let Operation::CreateIndex(index) = &ops[2] else {
        panic!()
    };
    assert!(index.unique && index.postgresql_concurrently);
    assert_eq!(index.where_.as_deref(), Some("y > 0"));
}

#[test]
fn batch_blocks_become_plain_operations_on_their_table() {
    let ops = ops_of(
        "with op.batch_alter_table('users', schema='app') as batch_op:\n    batch_op.add_column(sa.Column('locale', sa.String(10), nullable=True), insert_after='name')\n    batch_op.alter_column('name', existing_type=sa.String(50), nullable=False)\n    batch_op.create_index('ix_users_locale', ['locale'], unique=False)\n    batch_op.create_foreign_key('fk_org', 'orgs', ['org_id'], ['id'])\n    batch_op.drop_constraint('uq_old', type_='unique')\n    batch_op.drop_index('ix_old')\n    batch_op.drop_column('old')",
    );
    let names: Vec<String> = ops.iter().map(Operation::describe).collect();
    assert_eq!(
        names,
        [
            "add_column app.users.locale",
            "alter_column app.users.name",
            "create_index ix_users_locale on app.users",
            "create_foreign_key fk_org on app.users -> orgs",
            "drop_constraint uq_old on app.users",
            "drop_index ix_old on app.users",
            "drop_column app.users.old",
        ]
    );
}

#[test]
fn batch_op_f_was_not_read_although_op_f_is() {
    let ops = ops_of(
        "with op.batch_alter_table('users') as batch_op:\n    batch_op.create_index(batch_op.f('ix_users_email'), ['email'], unique=True)\n    batch_op.drop_constraint(batch_op.f('uq_users_name'), type_='unique')",
    );
    let names: Vec<String> = ops.iter().map(Operation::describe).collect();
    assert_eq!(
        names,
        [
            "create_index ix_users_email on users",
            "drop_constraint uq_users_name on users",
        ]
    );
}

#[test]
fn python_becomes_one_placeholder_per_run_of_statements() {
    let tables = tables_of(
        "op.add_column('t', sa.Column('x', sa.Integer()))\nconn = op.get_bind()\nfor row in conn.execute(sa.text('SELECT id FROM t')):\n    conn.execute(sa.text('UPDATE t SET x = 1 WHERE id = :id'), {'id': row.id})\nop.execute(f\"UPDATE t SET x = {now()}\")\nop.drop_column('t', 'y')\nhelper(op)\nif True:\n    op.drop_table('t')\nconn.execute('x')",
    );
    assert_eq!(tables.len(), 5, "{tables:#?}");
    assert!(tables[0].starts_with("op = \"add_column\""));
    assert_eq!(
        tables[1],
        "PLACEHOLDER 21-23: line 21: a loop over `conn.execute(sa.text('SELECT id FROM t'))`, which reads the database into Python through op.get_bind(): data access rmig cannot translate; line 23: `now` is not defined in the script"
    );
    assert!(tables[2].starts_with("op = \"drop_column\""));
    assert_eq!(
        tables[3],
        "PLACEHOLDER 25-27: line 25: `helper` is not defined in the script; line 26: a condition on `True`, which runs Python rmig does not read"
    );
    // The connection is known after all that: SQL through it is an operation.
    assert_eq!(tables[4], "op = \"execute\"\nsqltext = \"x\"\n");
}

#[test]
fn what_has_no_equivalent_is_a_placeholder_saying_why() {
    for (body, reason) in [
        (
            "op.add_column('t', sa.Column('x', sa.PickleType()))",
            "PickleType",
        ),
        (
            "op.add_column('t', sa.Column('x', sa.String(10, collation='C')))",
            "`collation`",
        ),
        (
            "op.create_table('t', sa.Column('x', sa.Integer()), if_not_exists=True)",
            "`if_not_exists`",
        ),
        (
            "op.create_exclude_constraint('ex', 't', ('x', '='))",
            "no declarative equivalent",
        ),
        (
            "op.add_column('t', sa.Column('x', sa.Enum('a', 'b')))",
            "needs `name`",
        ),
        ("op.bulk_insert(t, [{'a': 1}])", "`t` is not defined"),
        (
            "op.execute(sa.table('t').update().values(x=1))",
            "not a literal",
        ),
    ] {
        let tables = tables_of(body);
        assert_eq!(tables.len(), 1, "{body}");
        assert!(
            tables[0].starts_with("PLACEHOLDER") && tables[0].contains(reason),
            "{body}: {}",
            tables[0]
        );
    }
}

#[test]
fn bulk_insert_reads_its_table_and_literal_rows() {
    let script = upgrade_of(
        "accounts = sa.table('accounts', sa.column('id', sa.Integer), sa.column('name', sa.String), schema='app')\nop.bulk_insert(accounts, [{'id': 1, 'name': 'a', 'note': None}, {'id': 2, 'name': \"it's\"}])\nt = op.create_table('t', sa.Column('x', sa.Float()))\nop.bulk_insert(t, [{'x': 1.5}, {'x': -2.0}], multiinsert=False)",
    );
    let ops: Vec<Operation> = script
        .upgrade
        .items
        .iter()
        .map(|item| match item {
            Item::Op { op, .. } => op.to_operation().unwrap(),
            Item::Placeholder(p) => panic!("{p:?}"),
        })
        .collect();
    let Operation::BulkInsert(first) = &ops[0] else {
        panic!("{ops:?}")
    };
    assert_eq!(first.table_name, "accounts");
    assert_eq!(first.schema.as_deref(), Some("app"));
    assert_eq!(first.rows.len(), 2);
    assert!(!first.rows[0].contains_key("note"));
    assert!(script.upgrade.notes[0].contains("None value is left out"));
    let Operation::BulkInsert(second) = &ops[2] else {
        panic!("{ops:?}")
    };
    assert_eq!(second.table_name, "t");
}

#[test]
fn nothing_after_a_bare_return_is_translated() {
    let tables = tables_of("...\nop.drop_column('t', 'a')\nreturn\nop.drop_table('t')");
    assert_eq!(tables.len(), 1, "{tables:?}");
}

#[test]
fn an_autocommit_block_makes_the_revision_non_transactional() {
    let script = upgrade_of(
        "with op.get_context().autocommit_block():\n    op.create_index('ix', 't', ['x'], postgresql_concurrently=True)",
    );
    assert!(!script.header.transactional);
    assert_eq!(script.upgrade.items.len(), 1);
}

/// An Alembic project on disk: alembic.ini (with `extra` lines) and the given scripts in each
/// of its version locations.
fn project(extra: &str, locations: &[(&str, &[(&str, &str)])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("alembic.ini"),
        format!("[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = postgresql+psycopg2://app:secret@db/app\n{extra}\n[loggers]\nkeys = root\n"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("migrations")).unwrap();
    std::fs::write(
        dir.path().join("migrations/env.py"),
        "from alembic import context\ncontext.configure(url='x', version_table='app_versions')\n",
    )
    .unwrap();
    for (location, scripts) in locations {
        let folder = dir.path().join(location);
        std::fs::create_dir_all(&folder).unwrap();
        for (name, text) in *scripts {
            std::fs::write(folder.join(name), text).unwrap();
        }
    }
    dir
}

fn script_text(id: &str, down: &str) -> String {
    format!("\"\"\"rev {id}\n\"\"\"\nfrom alembic import op\nrevision = '{id}'\ndown_revision = {down}\ndef upgrade():\n    op.execute('SELECT 1')\ndef downgrade():\n    pass\n")
}

#[test]
fn import_writes_rmig_toml_and_one_revision_per_script() {
    let a = script_text("aaa1", "None");
    let b = script_text("bbb2", "'aaa1'");
    let source = project(
        "",
        &[(
            "migrations/versions",
            &[
                ("aaa1_one.py", &a),
                ("bbb2_two.py", &b),
                ("__init__.py", ""),
                ("notes.txt", "x"),
            ],
        )],
    );
    let into = tempfile::tempdir().unwrap();
    let report = import(source.path(), into.path(), false).unwrap();
    assert_eq!(report.revisions, ["aaa1", "bbb2"]);
    assert!(report.placeholders.is_empty());
    let text = report.to_string();
    assert!(
        text.starts_with("Imported 2 Alembic revisions from "),
        "{text}"
    );
    assert!(text.contains("no placeholders"), "{text}");

    let config = std::fs::read_to_string(into.path().join("rmig.toml")).unwrap();
    assert!(
        config.contains("url = \"postgresql+psycopg2://app:secret@db/app\""),
        "{config}"
    );
    assert!(
        config.contains("version_table = \"app_versions\""),
        "{config}"
    );
    assert!(
        config.contains("transaction_per_migration = false"),
        "{config}"
    );
    let revisions = crate::revision::load_dir(&into.path().join("revisions")).unwrap();
    assert_eq!(revisions[1].down_revisions, ["aaa1"]);
    assert_eq!(revisions[1].path.file_name().unwrap(), "bbb2_two.toml");

    // Nothing is overwritten unless asked.
    let error = import(source.path(), into.path(), false)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("rmig.toml already exists; pass --force"),
        "{error}"
    );
    import(source.path(), into.path(), true).unwrap();
}

#[test]
fn version_locations_keep_alembics_order() {
    let a = script_text("aaa1", "None");
    let b = script_text("bbb2", "None");
    let source = project(
        "version_locations = %(here)s/zeta %(here)s/alpha\n",
        &[
            ("zeta", &[("b_two.py", &b)]),
            ("alpha", &[("a_one.py", &a)]),
        ],
    );
    let into = tempfile::tempdir().unwrap();
    let report = import(&source.path().join("alembic.ini"), into.path(), false).unwrap();
    assert_eq!(report.revisions, ["bbb2", "aaa1"]);
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("got a number in front")),
        "{:?}",
        report.notes
    );
    let names: Vec<String> = crate::revision::load_dir(&into.path().join("revisions"))
        .unwrap()
        .iter()
        .map(|r| r.path.file_name().unwrap().to_string_lossy().to_string())
        .collect();
    assert_eq!(names, ["0001_b_two.toml", "0002_a_one.toml"]);
}

#[test]
fn a_script_folder_works_without_alembic_ini() {
    let a = script_text("aaa1", "None");
    let source = project("", &[("migrations/versions", &[("aaa1_one.py", &a)])]);
    let into = tempfile::tempdir().unwrap();
    let report = import(&source.path().join("migrations"), into.path(), false).unwrap();
    assert_eq!(report.revisions, ["aaa1"]);
    let config = std::fs::read_to_string(into.path().join("rmig.toml")).unwrap();
    assert!(!config.contains("url"), "{config}");
}

#[test]
fn a_history_alembic_could_not_load_is_refused() {
    let b = script_text("bbb2", "'missing'");
    let source = project("", &[("migrations/versions", &[("bbb2.py", &b)])]);
    let into = tempfile::tempdir().unwrap();
    let error = import(source.path(), into.path(), false)
        .unwrap_err()
        .to_string();
    assert!(error.contains("missing"), "{error}");
    assert!(!into.path().join("rmig.toml").exists());

    let empty = project("", &[("migrations/versions", &[])]);
    let error = import(empty.path(), into.path(), false)
        .unwrap_err()
        .to_string();
    assert!(error.starts_with("no revision scripts found in"), "{error}");
    let error = import(Path::new("/no/such/project"), into.path(), false)
        .unwrap_err()
        .to_string();
    assert!(error.contains("no such file or folder"), "{error}");
}

#[test]
fn a_placeholder_is_refused_by_the_guard_and_cannot_run() {
    let report = PlaceholderReport {
        file: "versions/x.py".into(),
        first_line: 3,
        last_line: 4,
        revision: "x".into(),
        function: "upgrade",
        reasons: vec!["line 3: a loop".into()],
    };
    let placeholder = statements::Placeholder {
        first_line: 3,
        last_line: 4,
        reasons: report.reasons.clone(),
        code: "for x in y:\n    op.execute(\"\"\"DROP TABLE t; --\"\"\")".into(),
    };
    let entry = placeholder_entry(&report, &placeholder);
    let operation = entry.op.to_operation().unwrap();
    let Operation::Execute(execute) = &operation else {
        panic!()
    };
    let sql = execute.sqltext.as_deref().unwrap();
    assert!(sql.ends_with(PLACEHOLDER_MARKER), "{sql}");
    // Every line of the Python stays inside a comment.
    assert!(
        sql.lines()
            .filter(|l| !l.starts_with("--"))
            .eq([PLACEHOLDER_MARKER]),
        "{sql}"
    );
    let losses = crate::guard::classify(&operation);
    assert_eq!(losses.len(), 1);
    assert!(
        losses[0].reason.contains("is a placeholder"),
        "{:?}",
        losses[0]
    );
}

#[test]
fn a_docstring_opening_with_a_newline_lost_its_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.py");
    std::fs::write(
        &path,
        "\"\"\"\nadd users\n\nRevision ID: c3\nRevises:\nCreate Date: 2024-05-01 10:23:45.123456\n\n\"\"\"\nrevision = 'c3'\ndown_revision = None\ndef upgrade():\n    pass\ndef downgrade():\n    pass\n",
    )
    .unwrap();
    let script = script::read(&path, "m.py").unwrap();
    assert_eq!(script.header.message.as_deref(), Some("add users"));
}

/// The `type`/`sql_type` pair of the column `op.add_column('t', sa.Column('c', <type>))` adds.
fn added_type(module: &str, type_: &str) -> String {
    let tables = tables_with(
        module,
        &format!("op.add_column('t', sa.Column('c', {type_}))"),
    );
    let [table] = tables.as_slice() else {
        panic!("{tables:?}")
    };
    let column = table
        .lines()
        .find_map(|line| line.strip_prefix("column = "))
        .unwrap_or_else(|| panic!("{table}"));
    let start = column.find(", ").unwrap() + 2;
    column[start..].strip_suffix(" }").unwrap().to_string()
}

#[test]
fn sqlalchemy_utils_types_are_what_they_are_on_postgresql() {
    let module = "import sqlalchemy_utils\nfrom sqlalchemy_utils import UUIDType, ChoiceType\nfrom sqlalchemy_utils.types.json import JSONType\n";
    for (type_, expected) in [
        ("UUIDType(binary=False)", "type = \"uuid\""),
        ("UUIDType()", "type = \"uuid\""),
        (
            "sqlalchemy_utils.UUIDType(binary=False, native=False)",
            "sql_type = \"CHAR(32)\"",
        ),
        (
            "sqlalchemy_utils.types.uuid.UUIDType(native=False)",
            "sql_type = \"BINARY(16)\"",
        ),
        ("JSONType()", "type = \"json\""),
        ("ChoiceType([('a', 'A')])", "type = \"varchar(255)\""),
        (
            "ChoiceType(CHOICES, impl=sa.Integer())",
            "type = \"integer\"",
        ),
        ("sqlalchemy_utils.EmailType()", "type = \"varchar(255)\""),
        (
            "sqlalchemy_utils.EmailType(length=100)",
            "type = \"varchar(100)\"",
        ),
        ("sqlalchemy_utils.URLType", "type = \"text\""),
        (
            "sqlalchemy_utils.PasswordType(max_length=64, schemes=['pbkdf2_sha512'])",
            "type = \"bytea\"",
        ),
        (
            "sqlalchemy_utils.ArrowType(timezone=True)",
            "type = \"timestamptz\"",
        ),
        (
            "sqlalchemy_utils.TimezoneType(backend='pytz')",
            "type = \"varchar(50)\"",
        ),
        ("sqlalchemy_utils.IPAddressType()", "type = \"varchar(50)\""),
        (
            "sqlalchemy_utils.ScalarListType(separator=';')",
            "type = \"text\"",
        ),
        ("sqlalchemy_utils.CountryType()", "type = \"varchar(2)\""),
        ("sqlalchemy_utils.CurrencyType()", "type = \"varchar(3)\""),
        ("sqlalchemy_utils.LocaleType()", "type = \"varchar(10)\""),
        (
            "sqlalchemy_utils.PhoneNumberType(region='FR')",
            "type = \"varchar(20)\"",
        ),
        (
            "sqlalchemy_utils.TSVectorType('title', 'body')",
            "sql_type = \"TSVECTOR\"",
        ),
        ("sqlalchemy_utils.LtreeType()", "sql_type = \"LTREE\""),
    ] {
        let module = format!("{module}CHOICES = [(1, 'one')]\n");
        assert_eq!(added_type(&module, type_), expected, "{type_}");
    }
}

#[test]
fn postgresql_dialect_types_are_what_sqlalchemy_renders() {
    for (type_, expected) in [
        ("postgresql.UUID(as_uuid=True)", "type = \"uuid\""),
        (
            "postgresql.JSONB(astext_type=sa.Text())",
            "type = \"jsonb\"",
        ),
        (
            "postgresql.ARRAY(sa.String(50))",
            "type = { array = \"varchar(50)\" }",
        ),
        (
            "postgresql.ARRAY(sa.Integer(), dimensions=2)",
            "type = { array = { array = \"integer\" } }",
        ),
        (
            "postgresql.ARRAY(postgresql.INET())",
            "sql_type = \"INET[]\"",
        ),
        ("postgresql.INET()", "sql_type = \"INET\""),
        ("postgresql.CIDR()", "sql_type = \"CIDR\""),
        ("postgresql.MACADDR()", "sql_type = \"MACADDR\""),
        ("postgresql.TSVECTOR()", "sql_type = \"TSVECTOR\""),
        ("postgresql.CITEXT()", "sql_type = \"CITEXT\""),
        (
            "postgresql.HSTORE(text_type=sa.Text())",
            "sql_type = \"HSTORE\"",
        ),
        ("postgresql.BYTEA()", "type = \"bytea\""),
        ("postgresql.INTERVAL()", "sql_type = \"INTERVAL\""),
        (
            "postgresql.INTERVAL(fields='DAY TO SECOND')",
            "sql_type = \"INTERVAL DAY TO SECOND\"",
        ),
        (
            "postgresql.INTERVAL(precision=3)",
            "sql_type = \"INTERVAL (3)\"",
        ),
        (
            "postgresql.TIMESTAMP(timezone=True)",
            "type = \"timestamptz\"",
        ),
        (
            "postgresql.TIMESTAMP(timezone=True, precision=3)",
            "sql_type = \"TIMESTAMP(3) WITH TIME ZONE\"",
        ),
        (
            "postgresql.TIME(precision=2)",
            // PostgreSQL's `time(2)` is `time(2) without time zone`; plain TIME runs on MySQL too.
            "sql_type = \"TIME(2)\"",
        ),
        ("postgresql.BIT(3)", "sql_type = \"BIT(3)\""),
        ("postgresql.BIT(varying=True)", "sql_type = \"BIT VARYING\""),
        ("postgresql.DOUBLE_PRECISION()", "type = \"double\""),
    ] {
        assert_eq!(added_type("", type_), expected, "{type_}");
    }
}

#[test]
fn a_projects_own_type_stays_a_placeholder_naming_it() {
    let tables = tables_with(
        "from myapp.db.types import EncryptedText\n",
        "op.add_column('t', sa.Column('secret', EncryptedText(length=40)))",
    );
    assert!(
        tables[0].starts_with("PLACEHOLDER") && tables[0].contains("EncryptedText(...)"),
        "{tables:?}"
    );
}

#[test]
fn an_added_enum_column_created_its_type_which_alembic_does_not() {
    // Alembic's add_column emits no CREATE TYPE: the type was made beforehand, and
    // creating it again would fail.
    assert_eq!(
        added_type("", "sa.Enum('a', 'b', name='mood')"),
        "sql_type = '\"mood\"'"
    );
}

#[test]
fn enum_types_made_on_their_own_are_create_enum_and_drop_enum() {
    let tables = tables_with(
        "MOOD = postgresql.ENUM('happy', 'sad', name='mood', create_type=False)\n",
        "sa.Enum('a', 'b', name='status').create(op.get_bind())\n\
         MOOD.create(op.get_bind())\n\
         postgresql.ENUM('x', name='kind', schema='app').create(bind=op.get_bind(), checkfirst=False)\n\
         op.create_table('person', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('mood', MOOD), sa.Column('moods', postgresql.ARRAY(MOOD)))\n\
         op.add_column('person', sa.Column('status', sa.Enum('a', 'b', name='status', create_type=False)))\n\
         MOOD.drop(op.get_bind())\n\
         sa.Enum(name='status').drop(op.get_bind(), checkfirst=True)",
    );
    assert_eq!(
        tables,
        [
            "op = \"create_enum\"\nenum_name = \"status\"\nvalues = [\"a\", \"b\"]\n",
            "op = \"create_enum\"\nenum_name = \"mood\"\nvalues = [\"happy\", \"sad\"]\nif_not_exists = true\n",
            "op = \"create_enum\"\nenum_name = \"kind\"\nvalues = [\"x\"]\nschema = \"app\"\n",
            "op = \"create_table\"\ntable_name = \"person\"\ncolumns = [\n  { name = \"id\", type = \"integer\", primary_key = true },\n  { name = \"mood\", sql_type = '\"mood\"' },\n  { name = \"moods\", sql_type = '\"mood\"[]' },\n]\n",
            "op = \"add_column\"\ntable_name = \"person\"\ncolumn = { name = \"status\", sql_type = '\"status\"' }\n",
            "op = \"drop_enum\"\nenum_name = \"mood\"\nvalues = [\"happy\", \"sad\"]\nif_exists = true\n",
            "op = \"drop_enum\"\nenum_name = \"status\"\nif_exists = true\n",
        ]
    );
    // Anything but the migration's own connection is Python's business.
    let tables = tables_of("sa.Enum('a', name='e').create(engine)");
    assert!(
        tables[0].starts_with("PLACEHOLDER") && tables[0].contains("`engine` is not defined"),
        "{tables:?}"
    );
    // The migration context's connection is op.get_bind()'s.
    let tables = tables_of("sa.Enum('a', name='e').create(op.get_context().bind)");
    assert_eq!(
        tables,
        ["op = \"create_enum\"\nenum_name = \"e\"\nvalues = [\"a\"]\n"]
    );
}

#[test]
fn expression_and_postgresql_indexes() {
    let tables = tables_of(
        "op.create_index('ix_lower', 'users', [sa.text('lower(email)')], unique=True)\n\
         op.create_index('ix_func', 'users', [sa.func.lower(sa.column('email')), 'team_id', sa.desc('created_at')], postgresql_include=['name'], postgresql_where=sa.text('deleted_at IS NULL'))\n\
         op.create_index('ix_gin', 'docs', ['data', sa.literal_column('title || body')], postgresql_using='gin', postgresql_ops={'data': 'jsonb_path_ops'})\n\
         with op.batch_alter_table('docs') as batch_op:\n\
         \x20   batch_op.create_index('ix_trgm', [sa.func.coalesce(sa.column('title'), '')], postgresql_using='gist')",
    );
    assert_eq!(
        tables,
        [
            "op = \"create_index\"\nindex_name = \"ix_lower\"\ntable_name = \"users\"\ncolumns = [\n  { expression = \"lower(email)\" },\n]\nunique = true\n",
            "op = \"create_index\"\nindex_name = \"ix_func\"\ntable_name = \"users\"\ncolumns = [{ expression = 'lower(\"email\")' }, \"team_id\", { expression = \"created_at DESC\" }]\nwhere = \"deleted_at IS NULL\"\npostgresql_include = [\"name\"]\n",
            "op = \"create_index\"\nindex_name = \"ix_gin\"\ntable_name = \"docs\"\ncolumns = [\"data\", { expression = \"title || body\" }]\npostgresql_using = \"gin\"\npostgresql_ops = { data = \"jsonb_path_ops\" }\n",
            "op = \"create_index\"\nindex_name = \"ix_trgm\"\ntable_name = \"docs\"\ncolumns = [\n  { expression = \"\"\"coalesce(\"title\", '')\"\"\" },\n]\npostgresql_using = \"gist\"\n",
        ]
    );
    let tables = tables_of(
        "op.create_index('ix', 't', [sa.text('lower(x)')], postgresql_ops={'x': 'text_pattern_ops'})",
    );
    assert!(
        tables[0].starts_with("PLACEHOLDER") && tables[0].contains("not a column of the index"),
        "{tables:?}"
    );
}

#[test]
fn an_index_inside_create_table_takes_expressions_and_options() {
    let tables = tables_of(
        "op.create_table('docs', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('data', postgresql.JSONB()), sa.Index('ix_docs_data', 'data', postgresql_using='gin'), sa.Index('ix_docs_key', sa.text(\"(data->>'key')\"), unique=True))",
    );
    assert_eq!(
        &tables[1..],
        [
            "op = \"create_index\"\nindex_name = \"ix_docs_data\"\ntable_name = \"docs\"\ncolumns = [\"data\"]\npostgresql_using = \"gin\"\n",
            "op = \"create_index\"\nindex_name = \"ix_docs_key\"\ntable_name = \"docs\"\ncolumns = [\n  { expression = \"(data->>'key')\" },\n]\nunique = true\n",
        ]
    );
}

#[test]
fn a_naming_convention_env_py_computes_is_reported_with_its_line_and_sqlalchemys_default_written_otherwise(
) {
    let a = script_text("aaa1", "None");
    let source = project("", &[("migrations/versions", &[("aaa1_one.py", &a)])]);
    let into = tempfile::tempdir().unwrap();
    import(source.path(), into.path(), false).unwrap();
    let config = std::fs::read_to_string(into.path().join("rmig.toml")).unwrap();
    assert!(
        config.contains("# SQLAlchemy's default, which Alembic named indexes with (env.py gives MetaData no naming_convention).\n[naming_convention]\nix = \"ix_%(column_0_label)s\"\n"),
        "{config}"
    );

    std::fs::write(
        source.path().join("migrations/env.py"),
        "from alembic import context\nfrom myapp.models import Base\n\ntarget_metadata = Base.metadata\ncontext.configure(url='x', target_metadata=target_metadata)\n",
    )
    .unwrap();
    // An unnamed index under that convention still imports: loading then asks for the
    // convention in rmig.toml.
    std::fs::write(
        source.path().join("migrations/versions/bbb2_index.py"),
        "from alembic import op\nrevision = 'bbb2'\ndown_revision = 'aaa1'\ndef upgrade():\n    op.create_index(None, 't', ['c'])\ndef downgrade():\n    op.drop_index(op.f('ix_t_c'), table_name='t')\n",
    )
    .unwrap();
    let report = import(source.path(), into.path(), true)
        .unwrap()
        .to_string();
    assert!(
        report.contains("env.py line 4: the naming convention is not literal (target_metadata = Base.metadata comes from code rmig does not read); copy it into rmig.toml's [naming_convention] by hand"),
        "{report}"
    );
    let config = std::fs::read_to_string(into.path().join("rmig.toml")).unwrap();
    assert!(
        config.contains("# env.py line 4 gives MetaData a naming convention rmig cannot read: copy it here, as\n# [naming_convention]\n")
            && !config.contains("\n[naming_convention]"),
        "{config}"
    );
    let settings = crate::config::load(&crate::config::Overrides {
        config: Some(into.path().join("rmig.toml")),
        url: None,
    })
    .unwrap();
    let error = crate::project::Project::from_settings(settings)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("the index has no `index_name` and there is no `ix` naming convention"),
        "{error}"
    );
}

/// Writes `text` as a script and reads it.
fn read_script(text: &str) -> script::Script {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c3_script.py");
    std::fs::write(&path, text).unwrap();
    script::read(&path, "versions/c3_script.py").unwrap()
}

/// The reasons of the body's placeholders, in order.
fn placeholder_reasons(body: &statements::Body) -> Vec<String> {
    body.items
        .iter()
        .filter_map(|item| match item {
            Item::Placeholder(p) => Some(p.reasons.join("; ")),
            Item::Op { .. } => None,
        })
        .collect()
}

#[test]
fn python_3_12_syntax_aborted_the_import() {
    // PEP 701 f-strings (the same quotes nested) and PEP 695 `type` statements.
    let script = read_script(
        "from alembic import op\nT = {\"name\": \"users\"}\ntype Ids = list[int]\nrevision = 'c3'\ndown_revision = 'b2'\ndef upgrade():\n    op.execute(f\"DROP TABLE {T[\"name\"]}\")\n    op.execute('SELECT 1')\ndef downgrade[X]():\n    pass\n",
    );
    assert_eq!(script.header.revision, "c3");
    assert_eq!(placeholder_reasons(&script.upgrade), Vec::<String>::new());
    assert_eq!(script.upgrade.items.len(), 2);
}

#[test]
fn a_branch_label_defined_elsewhere_aborted_the_import() {
    let script = read_script(
        "from alembic import op\nfrom myapp import cli\nrevision = 'c3'\ndown_revision = 'b2'\nbranch_labels = (cli.EXPAND_BRANCH,)\ndepends_on = DEPENDENCY\ndef upgrade():\n    op.execute('SELECT 1')\ndef downgrade():\n    pass\n",
    );
    assert_eq!(script.header.revision, "c3");
    assert_eq!(script.header.down_revisions, ["b2"]);
    // Left out, and the revision refuses to run until a person writes them in.
    assert!(script.header.branch_labels.is_empty());
    assert!(script.header.depends_on.is_empty());
    for body in [&script.upgrade, &script.downgrade] {
        let reasons = placeholder_reasons(body);
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(
            reasons[0].starts_with("line 5: `branch_labels` is [cli.EXPAND_BRANCH]"),
            "{reasons:?}"
        );
        assert!(
            reasons[1].starts_with("line 6: `depends_on`: `DEPENDENCY` is not defined"),
            "{reasons:?}"
        );
        assert!(reasons[0].contains("imported without"), "{reasons:?}");
    }
    // The operations that were read are kept.
    assert!(matches!(
        script.upgrade.items.last(),
        Some(Item::Op { line: 8, .. })
    ));
}

#[test]
fn a_script_that_does_not_parse_aborted_the_import() {
    let script = read_script(
        "\"\"\"add users\"\"\"\nfrom alembic import op\nrevision = 'c3'\ndown_revision = ('a1', 'b2')\ndef upgrade():\n    op.execute('SELECT 1'\ndef downgrade():\n    pass\n",
    );
    assert_eq!(script.header.revision, "c3");
    assert_eq!(script.header.down_revisions, ["a1", "b2"]);
    assert_eq!(script.header.message.as_deref(), Some("add users"));
    for body in [&script.upgrade, &script.downgrade] {
        let [Item::Placeholder(placeholder)] = body.items.as_slice() else {
            panic!("not one placeholder: {:?}", body.items)
        };
        let reason = placeholder.reasons.join("; ");
        assert!(
            reason.starts_with("line 6: the script does not parse (Expected `)`"),
            "{reason}"
        );
    }
}

#[test]
fn every_script_without_a_readable_revision_is_reported_at_once() {
    let a = script_text("aaa1", "None");
    let source = project(
        "",
        &[(
            "migrations/versions",
            &[
                ("aaa1_one.py", &a),
                ("bbb2_two.py", "revision = \ndown_revision = 'aaa1'\n"),
                (
                    "ccc3_three.py",
                    "import uuid\nrevision = uuid.uuid4().hex\n",
                ),
            ],
        )],
    );
    let into = tempfile::tempdir().unwrap();
    let error = import(source.path(), into.path(), false)
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("2 revision scripts cannot be imported"),
        "{error}"
    );
    assert!(
        error.contains("bbb2_two.py:1: the Python does not parse"),
        "{error}"
    );
    assert!(error.contains("ccc3_three.py: `revision`:"), "{error}");
    assert!(!into.path().join("rmig.toml").exists());
}

#[test]
fn a_header_value_the_parser_had_to_recover_is_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c3.py");
    for text in [
        "revision = 'c3'\ndown_revision = ('a1',\ndef upgrade():\n    pass\n",
        "revision = 'c3\ndown_revision = 'a1'\n",
        "revision = 'c3'\ndown_revision = 'a1' +\n",
    ] {
        std::fs::write(&path, text).unwrap();
        let error = script::read(&path, "versions/c3.py")
            .map(|script| script.header)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("versions/c3.py:") && error.contains("the Python does not parse"),
            "{text:?}: {error}"
        );
    }
}

#[test]
fn module_constants_and_simple_expressions_are_read() {
    let module = "TABLE = 'user_' + 'events'\nCOLS = ['a', 'b']\nTYPES = {'a': 'x', 'b': 'y'}\nPREFIX = 'ix_%s' % TABLE\nLIMIT = 10 * 2 + 1\nSCHEMAS = ('app',) + ('audit',)\n\n";
    let tables = tables_with(
        module,
        "name = '{}_{}'.format(TABLE, COLS[1])\nop.create_index(name, TABLE, COLS + ['c'])\nop.execute(f\"UPDATE {TABLE} SET a = '{TYPES['a']}' WHERE n < {LIMIT}\")\nop.execute(', '.join(COLS))\nop.execute((PREFIX + ' %(t)s %%') % {'t': SCHEMAS[-1]})",
    );
    assert_eq!(
        tables,
        [
            "op = \"create_index\"\nindex_name = \"user_events_b\"\ntable_name = \"user_events\"\ncolumns = [\"a\", \"b\", \"c\"]\n",
            "op = \"execute\"\nsqltext = \"UPDATE user_events SET a = 'x' WHERE n < 21\"\n",
            "op = \"execute\"\nsqltext = \"a, b\"\n",
            "op = \"execute\"\nsqltext = \"ix_user_events audit %\"\n",
        ]
    );
}

#[test]
fn a_name_changed_by_code_the_evaluator_cannot_follow_is_unknown_from_then_on() {
    // Module level: the last plain assignment is what a function sees, unless something
    // else changes the name.
    let module =
        "A = 'first'\nA = 'last'\nB = ['x']\nB.append('y')\nC = 'c'\nif FLAG:\n    C = 'd'\n";
    let tables = tables_with(
        module,
        "op.drop_table(A)\nop.drop_table(B[0])\nop.drop_table(C)",
    );
    assert_eq!(
        tables,
        [
            "op = \"drop_table\"\ntable_name = \"last\"\n",
            "PLACEHOLDER 27-28: line 27: `B` is changed by code rmig cannot follow at module level; line 28: `C` is changed by code rmig cannot follow at module level",
        ]
    );
    // In a function: a mutation or an assignment by code forgets the value.
    let tables = tables_of(
        "cols = ['a']\ncols.extend(other)\nop.create_index('ix', 't', cols)\nt = 'x'\nt = compute()\nop.drop_table(t)\nn = 1\nn += 1\nop.execute(f'SELECT {n}')",
    );
    assert_eq!(
        tables,
        [
            "PLACEHOLDER 20-24: line 20: `cols.extend` is not a literal value rmig can read; line 21: `cols` is set by code rmig cannot translate; line 23: `compute` is not defined in the script; line 24: `t` is set by code rmig cannot translate",
            "op = \"execute\"\nsqltext = \"SELECT 2\"\n",
        ]
    );
}

#[test]
fn loops_over_literal_lists_are_unrolled() {
    let tables = tables_with(
        "TABLES = ('a', 'b')\nRENAMES = {'x': 'y'}\n",
        "for t in TABLES:\n    op.add_column(t, sa.Column('n', sa.Integer()))\nfor table, col in [('c', 'p'), ('d', 'q')]:\n    ix = f'ix_{table}_{col}'\n    op.create_index(ix, table, [col])\nfor old, new in RENAMES.items():\n    op.rename_table(old, new)\nop.drop_table(t)",
    );
    assert_eq!(
        tables,
        [
            "op = \"add_column\"\ntable_name = \"a\"\ncolumn = { name = \"n\", type = \"integer\" }\n",
            "op = \"add_column\"\ntable_name = \"b\"\ncolumn = { name = \"n\", type = \"integer\" }\n",
            "op = \"create_index\"\nindex_name = \"ix_c_p\"\ntable_name = \"c\"\ncolumns = [\"p\"]\n",
            "op = \"create_index\"\nindex_name = \"ix_d_q\"\ntable_name = \"d\"\ncolumns = [\"q\"]\n",
            "op = \"rename_table\"\nold_table_name = \"x\"\nnew_table_name = \"y\"\n",
            // The loop variable keeps its last value, as in Python.
            "op = \"drop_table\"\ntable_name = \"b\"\n",
        ]
    );
}

#[test]
fn a_loop_rmig_cannot_unroll_is_one_placeholder_naming_why() {
    let tables = tables_of(
        "for t in tables():\n    op.drop_table(t)\nfor t in ['a', 'b']:\n    if t == 'a':\n        continue\n    op.drop_table(t)\nfor t in ['a']:\n    op.drop_table(t)\n    helper(t)\nwhile True:\n    break",
    );
    assert_eq!(
        tables,
        [
            "PLACEHOLDER 19-29: line 19: a loop over `tables()`: `tables` is not defined in the script; line 21: a loop with `break` or `continue`, which runs Python rmig does not read; line 25: a loop whose body rmig cannot translate (line 27: `helper` is not defined in the script); line 28: a `while` loop, which runs Python rmig does not read",
        ]
    );
}

#[test]
fn sql_run_through_the_connection_is_execute() {
    let tables = tables_with(
        "from alembic import context\nfrom sqlalchemy import text\nfrom sqlalchemy.orm import Session\nT = 'users'\n",
        "conn = op.get_bind()\nconn.execute(sa.text(f'UPDATE {T} SET a = 1'))\nconn.execute('UPDATE t SET b = 2')\nop.get_bind().execute(text('DELETE FROM t WHERE x'))\nconn.exec_driver_sql('SELECT 1')\nbind = op.get_context().bind\nbind.execute(sa.text(\"UPDATE t SET c = :v, d = CAST(:n AS text), h = now()::text WHERE e = 'a\\\\:b' AND f = :v\").bindparams(v=\"it's\", n=3))\nop.execute(text('UPDATE t SET g = :g').bindparams(g=None))\ncontext.get_context().connection.execute(text('SELECT 2'))",
    );
    assert_eq!(
        tables,
        [
            "op = \"execute\"\nsqltext = \"UPDATE users SET a = 1\"\n",
            "op = \"execute\"\nsqltext = \"UPDATE t SET b = 2\"\n",
            "op = \"execute\"\nsqltext = \"DELETE FROM t WHERE x\"\n",
            "op = \"execute\"\nsqltext = \"SELECT 1\"\n",
            "op = \"execute\"\nsqltext = \"UPDATE t SET c = 'it''s', d = CAST(3 AS text), h = now()::text WHERE e = 'a:b' AND f = 'it''s'\"\n",
            "op = \"execute\"\nsqltext = \"UPDATE t SET g = NULL\"\n",
            "op = \"execute\"\nsqltext = \"SELECT 2\"\n",
        ]
    );
}

#[test]
fn reading_data_through_the_connection_is_a_placeholder_saying_so() {
    let tables = tables_with(
        "from sqlalchemy.orm import Session\n",
        "conn = op.get_bind()\nrows = conn.execute(sa.text('SELECT id FROM t')).fetchall()\nsession = Session(bind=op.get_bind())\nconn.execute(sa.text('UPDATE t SET a = :a').bindparams(a=1.5))\nconn.execute(sa.text('UPDATE t SET a = :a'), {'b': 1})\nconn.execute(sa.text('SELECT :a::int').bindparams(a=1))",
    );
    assert_eq!(
        tables,
        [
            "PLACEHOLDER 21-25: line 21: `rows = conn.execute(sa.text('SELECT id FROM t')).fetchall()` reads the database into Python through op.get_bind(): data access rmig cannot translate; line 22: `session = Session(bind=op.get_bind())` opens an ORM session on the migration's connection: data access rmig cannot translate; line 23: bindparams value 1.5 for `a` is not a string, integer or None rmig can write into the SQL; line 24: the SQL's parameter `a` is not given; line 25: text(...).bindparams(...) gives `a`, which the SQL has no parameter for",
        ]
    );
}

#[test]
fn the_report_states_how_many_op_calls_were_converted() {
    let script = "revision = 'aaa1'\ndown_revision = None\nfrom alembic import op as alembic_op\nimport sqlalchemy as sa\ndef upgrade():\n    alembic_op.add_column('t', sa.Column('n', sa.Integer()))\n    for t in ['a', 'b']:\n        alembic_op.drop_table(t)\n    helper()\n    if flag:\n        alembic_op.drop_table('x')\n    with alembic_op.batch_alter_table('t') as batch:\n        batch.drop_constraint(batch.f('uq_t'))\n    alembic_op.execute(compute(alembic_op.get_bind()))\ndef downgrade():\n    alembic_op.execute('SELECT 1')\n";
    let source = project("", &[("migrations/versions", &[("aaa1_one.py", script)])]);
    let into = tempfile::tempdir().unwrap();
    let report = import(source.path(), into.path(), false).unwrap();
    // Counted as written: the loop's call once, batch.f and get_bind not at all; the
    // condition's call and the last execute sit in placeholders.
    assert_eq!((report.converted_calls, report.op_calls), (4, 6));
    let text = report.to_string();
    assert!(
        text.contains("4 of 6 op.* calls converted (66.7%); 2 placeholders to replace by hand"),
        "{text}"
    );
}

/// The `dialect` key a translated table ends with, if any.
fn dialect_key(table: &str) -> Option<&str> {
    table
        .lines()
        .find_map(|line| line.strip_prefix("dialect = "))
}

#[test]
fn a_condition_on_the_dialect_was_a_placeholder() {
    let script = upgrade_of(
        "op.add_column('t', sa.Column('a', sa.Integer()))\nif op.get_context().dialect.name == 'postgresql':\n    op.create_index('ix_pg', 't', ['a'], postgresql_using='hash')\nelif op.get_bind().engine.name in ('sqlite', 'mysql'):\n    op.create_index('ix_lite', 't', ['a'])\nelse:\n    raise NotImplementedError('no index here')",
    );
    let tables: Vec<String> = script
        .upgrade
        .items
        .iter()
        .map(|item| match item {
            Item::Op { op, .. } => op.body(),
            Item::Placeholder(p) => panic!("placeholder: {:?}", p.reasons),
        })
        .collect();
    let keys: Vec<Option<&str>> = tables.iter().map(|t| dialect_key(t)).collect();
    assert_eq!(
        keys,
        [
            None,
            Some("\"postgresql\""),
            Some("[\"sqlite\", \"mysql\"]")
        ],
        "{tables:#?}"
    );
    assert!(tables[1].contains("index_name = \"ix_pg\""), "{tables:#?}");
    assert!(
        tables[2].contains("index_name = \"ix_lite\""),
        "{tables:#?}"
    );
    // The `else` is for no database rmig runs: left out, and said so.
    assert_eq!(
        script.upgrade.notes,
        ["line 24: the branch `else` is left out: it runs on no dialect rmig knows"]
    );
}

#[test]
fn dialect_names_bound_to_variables_nested_conditions_and_returns_are_followed() {
    let tables = tables_with(
        "from alembic import context\n",
        "bind = op.get_bind()\ndialect_name = bind.dialect.name\nif dialect_name != 'sqlite':\n    op.execute('SELECT 1')\n    if context.get_context().dialect.name not in ['postgresql']:\n        op.execute('SELECT 2')\nif bind.dialect.name == 'sqlite' or dialect_name == 'postgresql':\n    op.execute('SELECT 3')\nif not dialect_name == 'postgresql':\n    op.execute('SELECT 4')\n    return\nop.execute('SELECT 5')",
    );
    let summary: Vec<(String, Option<&str>)> = tables
        .iter()
        .map(|table| {
            let sql = table
                .lines()
                .find_map(|line| line.strip_prefix("sqltext = "))
                .unwrap_or(table)
                .to_string();
            (sql, dialect_key(table))
        })
        .collect();
    let pg = Some("\"postgresql\"");
    assert_eq!(
        summary,
        [
            (
                "\"SELECT 1\"".to_string(),
                Some("[\"postgresql\", \"mysql\"]")
            ),
            // SELECT 2 runs where neither test left out: MySQL alone.
            ("\"SELECT 2\"".to_string(), Some("\"mysql\"")),
            (
                "\"SELECT 3\"".to_string(),
                Some("[\"postgresql\", \"sqlite\"]")
            ),
            ("\"SELECT 4\"".to_string(), Some("[\"sqlite\", \"mysql\"]")),
            // After `return` on SQLite and MySQL, the rest is PostgreSQL's.
            ("\"SELECT 5\"".to_string(), pg),
        ],
        "{tables:#?}"
    );
}

#[test]
fn a_condition_on_anything_else_is_a_placeholder_naming_its_test() {
    let tables = tables_with(
        "FLAG = True\nfrom alembic import context\n",
        "name = op.get_bind().dialect.name\nif name == 'postgresql' and FLAG:\n    op.execute('SELECT 1')\nop.drop_table('a')\nif context.is_offline_mode():\n    pass\nif name == 'postgresql':\n    kind = 'hash'\nelse:\n    kind = 'btree'\nop.create_index('ix', 't', ['a'], postgresql_using=kind)",
    );
    // A name each branch sets differently is unknown after the condition, never one branch's.
    assert_eq!(
        tables,
        [
            "PLACEHOLDER 22-23: line 22: a condition on `name == 'postgresql' and FLAG`, which runs Python rmig does not read",
            "op = \"drop_table\"\ntable_name = \"a\"\n",
            "PLACEHOLDER 25-31: line 25: a condition on `context.is_offline_mode()`, which runs Python rmig does not read; line 31: `kind` is set by code rmig cannot translate",
        ],
    );
}

#[test]
fn a_batch_call_left_as_a_placeholder_made_every_later_batch_call_one() {
    let tables = tables_of(
        "with op.batch_alter_table('t') as batch_op:\n    batch_op.alter_column('a', type_=MyType())\n    batch_op.drop_column('b')",
    );
    assert_eq!(tables.len(), 2, "{tables:#?}");
    assert_eq!(
        tables[1],
        "op = \"drop_column\"\ntable_name = \"t\"\ncolumn_name = \"b\"\n"
    );
}

/// `sa.Enum(*STATUSES, name=...)` over a module constant, as real projects write enums: a
/// `*` of a known sequence was a placeholder ("unpacks a sequence at run time").
#[test]
fn a_star_of_a_known_sequence_was_a_placeholder() {
    let tables = tables_with(
        "STATUSES = ('draft', 'sent')\nEXTRA = ['void']\n",
        "op.create_table('invoices', sa.Column('status', sa.Enum(*STATUSES, *EXTRA, 'paid', name='invoice_status')))",
    );
    assert!(
        !tables[0].starts_with("PLACEHOLDER")
            && tables
                .concat()
                .contains("values = [\"draft\", \"sent\", \"void\", \"paid\"]"),
        "{tables:?}"
    );
    let unknown = tables_of("op.add_column('t', sa.Column('s', sa.Enum(*states(), name='s')))");
    assert!(unknown[0].starts_with("PLACEHOLDER"), "{unknown:?}");
}

/// `T.with_variant(V, "mysql")`, as Airflow writes its wide columns: T on the databases rmig
/// runs. A variant for PostgreSQL or SQLite would need a column type per database, which
/// rmig's columns do not have, so it stays a placeholder saying so.
#[test]
fn a_type_with_a_variant_for_another_database_was_not_a_sqlalchemy_type() {
    let module = "from sqlalchemy.dialects import mysql, postgresql\n";
    let tables = tables_with(
        module,
        "op.add_column('t', sa.Column('c', sa.String(length=1500).with_variant(mysql.MEDIUMTEXT(), 'mysql', 'mariadb')))",
    );
    assert_eq!(
        tables,
        ["op = \"add_column\"\ntable_name = \"t\"\ncolumn = { name = \"c\", type = \"varchar(1500)\" }\n"]
    );
    let tables = tables_with(
        module,
        "op.add_column('t', sa.Column('c', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')))",
    );
    assert!(
        tables[0].starts_with("PLACEHOLDER") && tables[0].contains("a variant for postgresql"),
        "{tables:?}"
    );
}

#[test]
fn an_op_f_name_is_cut_as_sqlalchemy_cuts_it_on_the_ini_urls_database() {
    let whole = format!("ix_{}", "abcdefghij".repeat(7));
    // SQLAlchemy 2.1.9 on PostgreSQL, asked once with the pinned venv.
    let on_postgresql = "ix_abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijab_3dad";
    let script = format!("from alembic import op\nrevision = 'aaa1'\ndown_revision = None\ndef upgrade():\n    op.create_index(op.f('{whole}'), 't', ['c'])\ndef downgrade():\n    op.drop_index(op.f('{whole}'), table_name='t')\n");
    let source = project(
        "",
        &[("migrations/versions", &[("aaa1_index.py", &script)])],
    );
    let ini = source.path().join("alembic.ini");
    let postgresql_ini = std::fs::read_to_string(&ini).unwrap();
    for (url, written, noted) in [
        (
            "postgresql+psycopg2://app:secret@db/app",
            on_postgresql,
            false,
        ),
        ("sqlite:///app.db", whole.as_str(), false),
        // No database rmig runs on: PostgreSQL's cut, which loads everywhere, and a note.
        ("driver://user:pass@localhost/dbname", on_postgresql, true),
    ] {
        std::fs::write(
            &ini,
            postgresql_ini.replace("postgresql+psycopg2://app:secret@db/app", url),
        )
        .unwrap();
        let into = tempfile::tempdir().unwrap();
        let report = import(source.path(), into.path(), false)
            .unwrap()
            .to_string();
        let text = std::fs::read_to_string(into.path().join("revisions/aaa1_index.toml")).unwrap();
        assert_eq!(
            text.matches(&format!("index_name = \"{written}\"")).count(),
            2,
            "{url}: {text}"
        );
        assert_eq!(
            report.contains(&format!(
                "'{on_postgresql}' on PostgreSQL, '{whole}' on SQLite"
            )),
            noted,
            "{url}: {report}"
        );
    }
}

#[test]
fn a_mariadb_branch_runs_on_mysql_and_mariadb() {
    let tables = tables_with(
        "",
        "if op.get_bind().dialect.name == 'mariadb':\n    op.execute('SELECT 1')\nelse:\n    op.execute('SELECT 2')",
    );
    let keys: Vec<Option<&str>> = tables.iter().map(|t| dialect_key(t)).collect();
    assert_eq!(
        keys,
        [Some("\"mysql\""), Some("[\"postgresql\", \"sqlite\"]")],
        "{tables:#?}"
    );
}
