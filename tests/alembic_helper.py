"""Runs real Alembic commands for tests/alembic_conformance.rs.

One JSON request per line on stdin, one JSON answer per line on stdout, so that a test pays
for starting Python and importing SQLAlchemy once rather than once per command:

    {"cmd": "upgrade", "revision": "heads", "script_location": "/tmp/x/alembic",
     "url": "postgresql+psycopg2://...", "sql": false}
    -> {"ok": true, "output": "<the --sql script, if any>"}
    -> {"ok": false, "error": "CommandError: ..."}

`ini` may be given instead of `script_location` (the alembic.ini to read). `cmd` is one of
upgrade, downgrade, stamp (with `purge`), ensure_version, current (with `check_heads`),
version, and compare:

    {"cmd": "compare", "url": "sqlite:////tmp/x/test.db", "tables": ["accounts"],
     "include_schemas": false, "rmig_hook": false}
    -> {"ok": true, "output": "[\"remove_table rmig_history\"]"}

what Alembic's autogenerate (`alembic check`) proposes for the database when the
application's metadata holds exactly `tables`, with `include_schemas` as given and, with
`rmig_hook`, the `include_name` hook README.md gives for env.py.
"""

import contextlib
import io
import json
import sys
import traceback

import alembic
import alembic.util
import sqlalchemy
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext


# The hook README.md gives ("Alembic beside rmig"), kept word for word.
def include_name(name, type_, parent_names):
    if type_ == "schema":
        return name != "rmig"
    if type_ == "table":
        return name != "rmig_history"
    return True


def describe(diff):
    """One proposed change as `kind name`, e.g. `remove_table rmig.rmig_history`."""
    if isinstance(diff, list):
        return "; ".join(describe(d) for d in diff)
    kind, subject = diff[0], diff[1]
    if isinstance(subject, sqlalchemy.Table):
        return "%s %s" % (kind, subject.fullname)
    return "%s %s" % (kind, " ".join(str(part) for part in diff[1:4]))


def compare(request):
    # The application's metadata is its tables as the database holds them, so that any
    # proposal is about something else: what rmig added.
    engine = sqlalchemy.create_engine(request["url"])
    try:
        with engine.connect() as connection:
            metadata = sqlalchemy.MetaData()
            metadata.reflect(connection, only=request["tables"])
            opts = {"include_schemas": request.get("include_schemas", False)}
            if request.get("rmig_hook"):
                opts["include_name"] = include_name
            context = MigrationContext.configure(connection, opts=opts)
            return [describe(diff) for diff in compare_metadata(context, metadata)]
    finally:
        engine.dispose()


def run(request):
    if request["cmd"] == "version":
        return {"ok": True, "output": alembic.__version__}
    if request["cmd"] == "compare":
        return {"ok": True, "output": json.dumps(compare(request))}
    buffer = io.StringIO()
    # `current` prints through config.stdout, the --sql commands to output_buffer.
    config = Config(request.get("ini"), output_buffer=buffer, stdout=buffer)
    if request.get("script_location"):
        config.set_main_option("script_location", request["script_location"])
    # configparser reads '%' as interpolation.
    config.set_main_option("sqlalchemy.url", request["url"].replace("%", "%%"))
    revision = request.get("revision")
    sql = request.get("sql", False)
    if request["cmd"] == "upgrade":
        command.upgrade(config, revision, sql=sql)
    elif request["cmd"] == "downgrade":
        command.downgrade(config, revision, sql=sql)
    elif request["cmd"] == "stamp":
        command.stamp(config, revision, sql=sql, purge=request.get("purge", False))
    elif request["cmd"] == "ensure_version":
        command.ensure_version(config, sql=sql)
    elif request["cmd"] == "current":
        command.current(config, check_heads=request.get("check_heads", False))
    else:
        raise ValueError("unknown command %r" % request["cmd"])
    return {"ok": True, "output": buffer.getvalue()}


def main():
    answers = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            # Anything Alembic prints goes to stderr, keeping stdout for answers.
            with contextlib.redirect_stdout(sys.stderr):
                answer = run(request)
        except Exception as error:  # every failure is an answer, never the end of the helper
            message = "%s: %s" % (type(error).__name__, error)
            if not isinstance(error, alembic.util.CommandError):
                # A Python error inside Alembic: say where, for the report.
                frame = traceback.extract_tb(error.__traceback__)[-1]
                message += " (at %s:%d)" % (frame.filename.split("site-packages/")[-1], frame.lineno)
            answer = {"ok": False, "error": message}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()
