"""Writes rmig revision files as an Alembic project, for the side-by-side benchmark.

    python benches/alembic_scripts.py <RMIG_REVISION_DIR> <ALEMBIC_PROJECT_DIR> [--url URL]

Each `<id>_<slug>.toml` becomes `versions/<id>_<slug>.py` with the same revision id,
down_revision (a tuple for a merge), branch_labels, depends_on, message and create date, and the
same operations as Alembic's `op` calls: `create_table` and `add_column` with `sa.Column`s,
`execute` with its SQL text. The downgrade is the one written in the file, else the reverse of
the upgrade (drop_column / drop_table), as rmig derives it. The project gets an `alembic.ini`
and the generic template's `env.py` (offline and online), whose online mode takes
`-x per_migration=true` for `transaction_per_migration=True`; Alembic's default is one
transaction for the whole run.

It covers the operations examples/generate_revisions.rs and benches/compare.py write, and
refuses any other, so a converted project never silently differs from the rmig one.
Standard library only (tomllib, Python 3.11+): the benchmark runs it with the Alembic venv's
Python.
"""

import os
import sys
import tomllib

TYPES = {
    "integer": "sa.Integer()",
    "bigint": "sa.BigInteger()",
    "text": "sa.Text()",
    "boolean": "sa.Boolean()",
}

ALEMBIC_INI = """\
[alembic]
script_location = {script_location}
sqlalchemy.url = {url}

[loggers]
keys = root,sqlalchemy,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console
qualname =

[logger_sqlalchemy]
level = WARNING
handlers =
qualname = sqlalchemy.engine

[logger_alembic]
level = INFO
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
datefmt = %H:%M:%S
"""

# Alembic's "generic" template env.py, plus the per-migration switch.
ENV_PY = '''\
from logging.config import fileConfig

from sqlalchemy import engine_from_config, pool

from alembic import context

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)


def run_migrations_offline():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    x = context.get_x_argument(as_dictionary=True)
    per_migration = x.get("per_migration", "false") == "true"
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with connectable.connect() as connection:
        context.configure(
            connection=connection, transaction_per_migration=per_migration
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
'''


def sa_type(name, where):
    try:
        return TYPES[name.lower()]
    except KeyError:
        raise SystemExit(f"{where}: column type '{name}' has no conversion here") from None


def column(spec, where):
    args = [repr(spec["name"]), sa_type(spec["type"], where)]
    if spec.get("primary_key"):
        args.append("primary_key=True")
    if "nullable" in spec:
        args.append(f"nullable={bool(spec['nullable'])}")
    return f"sa.Column({', '.join(args)})"


def op_call(op, where):
    kind = op.get("op")
    if kind == "create_table":
        columns = ", ".join(column(c, where) for c in op.get("columns", []))
        return f"op.create_table({op['table_name']!r}, {columns})"
    if kind == "add_column":
        return f"op.add_column({op['table_name']!r}, {column(op['column'], where)})"
    if kind == "drop_column":
        return f"op.drop_column({op['table_name']!r}, {op['column_name']!r})"
    if kind == "drop_table":
        return f"op.drop_table({op['table_name']!r})"
    if kind == "execute":
        return f"op.execute({op['sqltext']!r})"
    raise SystemExit(f"{where}: operation '{kind}' has no conversion here")


def reverse(ops, where):
    out = []
    for op in reversed(ops):
        kind = op.get("op")
        if kind == "create_table":
            out.append({"op": "drop_table", "table_name": op["table_name"]})
        elif kind == "add_column":
            out.append(
                {
                    "op": "drop_column",
                    "table_name": op["table_name"],
                    "column_name": op["column"]["name"],
                }
            )
        else:
            raise SystemExit(f"{where}: cannot reverse '{kind}'; write its downgrade")
    return out


def as_tuple(value):
    """None, a string, or a tuple of strings, as Alembic spells them."""
    if value in (None, "", []):
        return "None"
    if isinstance(value, str):
        return repr(value)
    if len(value) == 1 and not isinstance(value, str):
        return repr(value[0])
    return repr(tuple(value))


def body(calls):
    if not calls:
        return "    pass\n"
    return "".join(f"    {call}\n" for call in calls)


def convert_text(doc, where):
    upgrade = doc.get("upgrade", [])
    downgrade = doc.get("downgrade")
    if downgrade is None:
        downgrade = reverse(upgrade, where)
    labels = doc.get("branch_labels")
    if isinstance(labels, str):
        labels = [labels] if labels else []
    message = doc.get("message", "")
    return (
        f'"""{message}\n\n'
        f"Revision ID: {doc['revision']}\n"
        f"Revises: {doc.get('down_revision') or ''}\n"
        f"Create Date: {doc.get('create_date', '')}\n"
        '"""\n'
        "from alembic import op\n"
        "import sqlalchemy as sa\n\n"
        f"revision = {doc['revision']!r}\n"
        f"down_revision = {as_tuple(doc.get('down_revision'))}\n"
        f"branch_labels = {repr(tuple(labels)) if labels else 'None'}\n"
        f"depends_on = {as_tuple(doc.get('depends_on'))}\n\n\n"
        "def upgrade():\n"
        f"{body([op_call(op, where) for op in upgrade])}\n\n"
        "def downgrade():\n"
        f"{body([op_call(op, where) for op in downgrade])}"
    )


def convert(source, target, url):
    versions = os.path.join(target, "versions")
    os.makedirs(versions, exist_ok=True)
    for old in os.listdir(versions):
        if old.endswith(".py"):
            os.remove(os.path.join(versions, old))
    count = 0
    for name in sorted(os.listdir(source)):
        if not name.endswith(".toml"):
            continue
        path = os.path.join(source, name)
        with open(path, "rb") as f:
            doc = tomllib.load(f)
        with open(os.path.join(versions, name[: -len(".toml")] + ".py"), "w") as f:
            f.write(convert_text(doc, path))
        count += 1
    with open(os.path.join(target, "env.py"), "w") as f:
        f.write(ENV_PY)
    with open(os.path.join(target, "alembic.ini"), "w") as f:
        f.write(ALEMBIC_INI.format(script_location=os.path.abspath(target), url=url))
    return count


def main(argv):
    url = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
    args = list(argv)
    if "--url" in args:
        at = args.index("--url")
        url = args[at + 1]
        del args[at : at + 2]
    if len(args) != 2:
        raise SystemExit(__doc__.split("\n\n")[1])
    count = convert(args[0], args[1], url)
    print(f"wrote {count} Alembic revisions to {os.path.join(args[1], 'versions')}")


if __name__ == "__main__":
    main(sys.argv[1:])
