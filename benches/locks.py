"""Application latency while one migration runs: rmig beside Alembic and no migration (issue 18).

    make bench-locks            # builds the release rmig and the Alembic venv, then runs this
    .venv/bin/python benches/locks.py [--rows 2000000] [--only NAME,...] [--warmup 3]
        [--margin 1] [--rmig-config 'KEY = VALUE' ...] [--out FILE]

The application is pgbench: 4 clients (2 threads) at 100 transactions/s in all (`-R 100`,
Poisson arrivals), each transaction a point UPDATE and a SELECT of one random row of
`accounts` (--rows rows, 2,000,000 by default), every transaction logged (`-l`). Per
migration (SCENARIOS below), three runs in this order, each on a fresh copy of one database
built at the start:

- rmig: `rmig upgrade head` on a project whose one revision is the migration in rmig's TOML;
- Alembic: `alembic upgrade head` on the same revision as an Alembic script (the venv's);
- no migration: the application alone (and the report, where the migration has one) over a
  window as long as the longer of the two migrations, the floor.

In each run the application warms up for --warmup seconds, the migration runs, and after
--margin seconds more pgbench is stopped (SIGALRM, which ends its -T run early and cleanly). A
transaction's latency is pgbench's: from its scheduled start to its end, so it includes the
time it waited behind an earlier stalled transaction of the same client, as a user would.
Latency figures count the transactions that overlap the window, from the migration's process
start to its exit plus --margin; failed transactions (errors, and clients pgbench aborted) are
counted over the whole run. A migration "behind a report" starts 1 s after another session
read the whole table and then holds that ACCESS SHARE lock for 8 s more, as a long report
would. Each migration's end state is checked in the database, so one that exits 0 without
doing its work, or fails, shows as such in the table. The projects, the migrations' output
and pgbench's logs stay in BENCH_DIR/<migration>/.

Environment: RMIG (default target/release/rmig), ALEMBIC (.venv/bin/alembic), PGBENCH
(pgbench), PGHOST/PGPORT/PGUSER (127.0.0.1, 5432, postgres), BENCH_DIR (bench-out/locks).
"""

import argparse
import glob
import math
import os
import platform
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time

import psycopg2

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import alembic_scripts  # noqa: E402  (beside this file: the alembic.ini and env.py it writes)

RMIG = os.path.abspath(os.environ.get("RMIG", os.path.join(ROOT, "target/release/rmig")))
ALEMBIC = os.path.abspath(os.environ.get("ALEMBIC", os.path.join(ROOT, ".venv/bin/alembic")))
PGBENCH = os.environ.get("PGBENCH", "pgbench")
PGHOST = os.environ.get("PGHOST", "127.0.0.1")
PGPORT = os.environ.get("PGPORT", "5432")
PGUSER = os.environ.get("PGUSER", "postgres")
WORK = os.path.abspath(os.environ.get("BENCH_DIR", os.path.join(ROOT, "bench-out/locks")))
TEMPLATE_DB = "rmig_bench_locks_template"
RUN_DB = "rmig_bench_locks"
REVISION = "bench_locks"
CLIENTS = 4
THREADS = 2
RATE = 100
REPORT_LEAD = 1.0
REPORT_HOLD = 8.0
SLOW = 1.0
# A migration still running after this long is killed and reported as timed out; above rmig's
# default lock_retry_limit (2 min), so a run that is retrying is not cut short.
MIGRATION_LIMIT = 180.0

# The application's transaction; `rows` comes from pgbench's -D.
APP_SCRIPT = """\
\\set id random(1, :rows)
BEGIN;
UPDATE accounts SET balance = balance + 1 WHERE id = :id;
SELECT email, balance FROM accounts WHERE id = :id;
END;
"""

# The database every run starts from. The primary keys are added after the rows, which is
# faster than filling indexed tables; emails are hashes so that an index on them is built from
# unsorted input, as real emails would be.
TEMPLATE_SQL = """\
CREATE TABLE branches (id integer NOT NULL, name text NOT NULL);
INSERT INTO branches SELECT g, 'branch ' || g FROM generate_series(1, 1000) g;
ALTER TABLE branches ADD PRIMARY KEY (id);
CREATE TABLE accounts (
  id bigint NOT NULL,
  email text NOT NULL,
  balance integer NOT NULL,
  branch_id integer NOT NULL,
  created_at timestamptz
);
INSERT INTO accounts
  SELECT g, md5(g::text) || '@example.com', g % 1000, 1 + g % 1000,
         timestamptz '2026-01-01' + g * interval '1 second'
  FROM generate_series(1, {rows}) g;
ALTER TABLE accounts ADD PRIMARY KEY (id);
"""


class Scenario:
    """One migration: what its database needs first, the revision in both tools' forms, and a
    query that is true once the migration has done its work."""

    def __init__(self, name, title, rmig_ops, alembic_body, check, setup=None, report=False):
        self.name = name
        self.title = title
        self.rmig_ops = rmig_ops
        self.alembic_body = alembic_body
        self.check = check
        self.setup = setup
        self.report = report


# A CREATE INDEX CONCURRENTLY that fails leaves an invalid index behind, and a constraint added
# NOT VALID and never validated is not yet enforced on the existing rows: neither is done.
def index_valid(name):
    return (
        "SELECT coalesce((SELECT indisvalid FROM pg_index "
        f"WHERE indexrelid = to_regclass('{name}')), false)"
    )


def constraint_validated(name):
    return (
        "SELECT coalesce((SELECT convalidated FROM pg_constraint "
        f"WHERE conname = '{name}'), false)"
    )


ADD_COLUMN_OPS = """\
op = "add_column"
table_name = "accounts"
column = { name = "nickname", type = "text" }
"""

DROP_INDEX_OPS = """\
op = "drop_index"
index_name = "ix_accounts_created_at"
table_name = "accounts"
"""

CREATED_AT_INDEX = "CREATE INDEX ix_accounts_created_at ON accounts (created_at)"

SCENARIOS = [
    Scenario(
        "create_index",
        "`create_index` on `accounts(email)`",
        """\
op = "create_index"
index_name = "ix_accounts_email"
table_name = "accounts"
columns = ["email"]
""",
        'op.create_index("ix_accounts_email", "accounts", ["email"])',
        index_valid("ix_accounts_email"),
    ),
    Scenario(
        "add_column_behind_report",
        "`add_column` (nullable, no default) behind an 8 s report",
        ADD_COLUMN_OPS,
        'op.add_column("accounts", sa.Column("nickname", sa.Text()))',
        "SELECT EXISTS (SELECT FROM pg_attribute WHERE attrelid = 'accounts'::regclass "
        "AND attname = 'nickname' AND NOT attisdropped)",
        report=True,
    ),
    Scenario(
        "create_check_constraint",
        "`create_check_constraint` `balance >= 0`",
        """\
op = "create_check_constraint"
constraint_name = "ck_accounts_balance"
table_name = "accounts"
condition = "balance >= 0"
""",
        'op.create_check_constraint("ck_accounts_balance", "accounts", "balance >= 0")',
        constraint_validated("ck_accounts_balance"),
    ),
    Scenario(
        "create_foreign_key",
        "`create_foreign_key` `accounts(branch_id)` -> `branches(id)`",
        """\
op = "create_foreign_key"
constraint_name = "fk_accounts_branch_id"
source_table = "accounts"
referent_table = "branches"
local_cols = ["branch_id"]
remote_cols = ["id"]
""",
        'op.create_foreign_key("fk_accounts_branch_id", "accounts", "branches", '
        '["branch_id"], ["id"])',
        constraint_validated("fk_accounts_branch_id"),
    ),
    Scenario(
        "set_not_null",
        "`alter_column` `created_at` `nullable = false` (no nulls in it)",
        """\
op = "alter_column"
table_name = "accounts"
column_name = "created_at"
nullable = false
existing_nullable = true
""",
        'op.alter_column("accounts", "created_at", nullable=False, existing_nullable=True)',
        "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'accounts'::regclass "
        "AND attname = 'created_at'",
    ),
    Scenario(
        "drop_index",
        "`drop_index` `ix_accounts_created_at`",
        DROP_INDEX_OPS,
        'op.drop_index("ix_accounts_created_at", table_name="accounts")',
        "SELECT to_regclass('ix_accounts_created_at') IS NULL",
        setup=CREATED_AT_INDEX,
    ),
    Scenario(
        "drop_index_behind_report",
        "`drop_index` `ix_accounts_created_at` behind an 8 s report",
        DROP_INDEX_OPS,
        'op.drop_index("ix_accounts_created_at", table_name="accounts")',
        "SELECT to_regclass('ix_accounts_created_at') IS NULL",
        setup=CREATED_AT_INDEX,
        report=True,
    ),
]

ALEMBIC_REVISION = '''\
"""{title}"""
import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    {body}


# Never run: the database is dropped after the benchmark's run.
def downgrade():
    pass
'''


def url(db, driver=""):
    """A database URL; Alembic's says `+psycopg2` (SQLAlchemy 2.1's default is psycopg 3)."""
    return f"postgresql{driver}://{PGUSER}@{PGHOST}:{PGPORT}/{db}"


def connect(db="postgres"):
    connection = psycopg2.connect(host=PGHOST, port=PGPORT, user=PGUSER, dbname=db)
    connection.autocommit = True
    return connection


def admin(*statements, db="postgres"):
    """Runs statements in autocommit (CREATE DATABASE, VACUUM); returns the last one's row."""
    # Not `with connection`: psycopg2 2.9 opens a transaction block there even in autocommit.
    connection = connect(db)
    try:
        with connection.cursor() as cursor:
            row = None
            for statement in statements:
                cursor.execute(statement)
                row = cursor.fetchone() if cursor.description else None
        return row
    finally:
        connection.close()


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def fmt_ms(seconds):
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"


# ------------------------------------------------------------------------- the databases


def build_template(rows):
    started = time.perf_counter()
    admin(f"DROP DATABASE IF EXISTS {TEMPLATE_DB} WITH (FORCE)", f"CREATE DATABASE {TEMPLATE_DB}")
    admin(TEMPLATE_SQL.format(rows=int(rows)), "VACUUM ANALYZE", db=TEMPLATE_DB)
    seconds = time.perf_counter() - started
    print(f"template database {TEMPLATE_DB}: {rows:,} accounts in {seconds:.1f} s", flush=True)


def fresh_database(scenario):
    """A copy of the template, with what the scenario needs, and a checkpoint so that the
    copy's writes are not flushed while the application is measured."""
    admin(
        f"DROP DATABASE IF EXISTS {RUN_DB} WITH (FORCE)",
        # FILE_COPY copies the files instead of writing every page to the WAL.
        f"CREATE DATABASE {RUN_DB} TEMPLATE {TEMPLATE_DB} STRATEGY FILE_COPY",
    )
    if scenario.setup:
        admin(scenario.setup, db=RUN_DB)
    admin("CHECKPOINT")


# ------------------------------------------------------------------------------ projects


def write_projects(scenario, rmig_config):
    """rmig's and Alembic's project for the scenario's one revision; returns both folders."""
    base = os.path.join(WORK, scenario.name)
    shutil.rmtree(base, ignore_errors=True)
    rmig_dir = os.path.join(base, "rmig")
    os.makedirs(os.path.join(rmig_dir, "revisions"))
    with open(os.path.join(rmig_dir, "rmig.toml"), "w") as f:
        f.write(f'script_location = "revisions"\nurl = "{url(RUN_DB)}"\n')
        for line in rmig_config:
            f.write(line + "\n")
    with open(os.path.join(rmig_dir, "revisions", f"{REVISION}.toml"), "w") as f:
        f.write(f'revision = "{REVISION}"\nmessage = "{scenario.name}"\n')
        f.write("# Never run: the database is dropped after the benchmark's run.\n")
        f.write("downgrade = []\n\n")
        f.write("[[upgrade]]\n" + scenario.rmig_ops)
    alembic_dir = os.path.join(base, "alembic")
    os.makedirs(os.path.join(alembic_dir, "versions"))
    with open(os.path.join(alembic_dir, "versions", f"{REVISION}.py"), "w") as f:
        body = scenario.alembic_body
        f.write(ALEMBIC_REVISION.format(title=scenario.name, revision=REVISION, body=body))
    with open(os.path.join(alembic_dir, "env.py"), "w") as f:
        f.write(alembic_scripts.ENV_PY)
    with open(os.path.join(alembic_dir, "alembic.ini"), "w") as f:
        alembic_url = url(RUN_DB, "+psycopg2")
        f.write(alembic_scripts.ALEMBIC_INI.format(script_location=alembic_dir, url=alembic_url))
    return rmig_dir, alembic_dir


# ----------------------------------------------------------------------------- one run


class Report(threading.Thread):
    """A long report: reads the whole table, then keeps its ACCESS SHARE lock REPORT_HOLD s."""

    def __init__(self):
        super().__init__(daemon=True)
        self.holding = threading.Event()
        self.error = None

    def run(self):
        try:
            connection = psycopg2.connect(host=PGHOST, port=PGPORT, user=PGUSER, dbname=RUN_DB)
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM accounts")
                self.holding.set()
                cursor.execute("SELECT pg_sleep(%s)", (REPORT_HOLD,))
            connection.commit()
            connection.close()
        except psycopg2.Error as error:
            self.error = str(error).strip()
        finally:
            self.holding.set()


class Result:
    def __init__(self, tool):
        self.tool = tool
        self.window = None  # (start, end) of the migration, epoch seconds
        self.exit = None  # the migration's exit status; None for no migration or a timeout
        self.status = None  # the table's last column
        self.latencies = []  # seconds, transactions overlapping the window
        self.failed = 0
        self.app_problem = None  # pgbench's own failure, if any
        self.report_error = None  # the report's, which makes the run meaningless

    @property
    def duration(self):
        return self.window[1] - self.window[0]


def run_migration(command, cwd, logs, result):
    with open(logs + ".out", "wb") as out, open(logs + ".err", "wb") as err:
        start = time.time()
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err)
        try:
            result.exit = process.wait(timeout=MIGRATION_LIMIT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        result.window = (start, time.time())


def check_migration(scenario, result, logs):
    """The status column: done, or why not, from the exit status and the database."""
    if result.exit is None:
        return f"**timed out** after {MIGRATION_LIMIT:.0f} s"
    if result.exit != 0:
        with open(logs + ".err", errors="replace") as f:
            lines = [line.strip() for line in f if line.strip()]
        # The last line is the error (rmig's one sentence, Python's exception), whole: its end
        # says why, e.g. "canceling statement due to lock timeout".
        last = lines[-1].replace("|", "\\|") if lines else "no output"
        return f"**failed**, exit {result.exit}: {last}"
    (done,) = admin(scenario.check, db=RUN_DB)
    (version,) = admin("SELECT string_agg(version_num, ',') FROM alembic_version", db=RUN_DB)
    if not done:
        return f"**exit 0 but not done**: `{scenario.check}` is false"
    if version != REVISION:
        return f"**exit 0 but** alembic_version is {version!r}"
    return "done"


def read_pgbench_logs(prefix, start, end):
    """The latencies of the transactions overlapping [start, end] (epoch seconds), and the
    failed transactions of the whole run. A log line is `client transaction latency_us script
    epoch_s epoch_us lag_us`, the latency replaced by the kind of failure for a failed one."""
    latencies = []
    failed = 0
    for path in glob.glob(prefix + ".*"):
        with open(path) as f:
            for line in f:
                fields = line.split()
                if not fields[2].isdigit():
                    failed += 1
                    continue
                latency = int(fields[2]) / 1e6
                finished = int(fields[4]) + int(fields[5]) / 1e6
                if finished >= start and finished - latency <= end:
                    latencies.append(latency)
    return latencies, failed


def one_run(scenario, tool, command, cwd, floor_seconds, args):
    """Fresh database, the application, the report if any, the migration (or a wait of
    floor_seconds for no migration), the margin; returns a Result."""
    fresh_database(scenario)
    logs_dir = os.path.join(WORK, scenario.name, "logs")
    os.makedirs(logs_dir, exist_ok=True)
    label = tool.lower().replace(" ", "_")
    prefix = os.path.join(logs_dir, f"pgbench_{label}")
    for old in glob.glob(prefix + ".*"):
        os.remove(old)
    script = os.path.join(WORK, "app.sql")
    cap = args.warmup + REPORT_LEAD + MIGRATION_LIMIT + args.margin + 60
    pgbench = [
        PGBENCH, "-h", PGHOST, "-p", PGPORT, "-U", PGUSER, "-n", "-f", script,
        "-D", f"rows={args.rows}", "-c", str(CLIENTS), "-j", str(THREADS), "-R", str(RATE),
        "-T", str(int(cap)), "-l", f"--log-prefix={prefix}", "--failures-detailed", RUN_DB,
    ]  # fmt: skip
    result = Result(tool)
    with open(prefix + "_summary.out", "wb") as out, open(prefix + "_summary.err", "wb") as err:
        app = subprocess.Popen(pgbench, stdout=out, stderr=err)
        time.sleep(args.warmup)
        report = None
        if scenario.report:
            report = Report()
            report.start()
            report.holding.wait()
            time.sleep(REPORT_LEAD)
        if command:
            run_migration(command, cwd, os.path.join(logs_dir, label), result)
        else:
            start = time.time()
            time.sleep(floor_seconds)
            result.window = (start, time.time())
        time.sleep(args.margin)
        # SIGALRM is how pgbench's -T ends a run: it stops, writes its logs and its summary.
        if app.poll() is None:
            app.send_signal(signal.SIGALRM)
        app_exit = app.wait()
        if report:
            report.join()
    with open(prefix + "_summary.err", errors="replace") as f:
        aborted = sum(1 for line in f if "aborted" in line)
    if app_exit != 0 or aborted:
        result.app_problem = f"pgbench exited {app_exit}, {aborted} client(s) aborted"
    result.failed += aborted
    if report and report.error:
        result.report_error = report.error
    start, end = result.window
    result.latencies, failed = read_pgbench_logs(prefix, start, end + args.margin)
    result.failed += failed
    result.status = "-"
    if command:
        result.status = check_migration(scenario, result, os.path.join(logs_dir, label))
    if result.report_error:
        result.status += f"; **the report failed**: {result.report_error}"
    return result


def summary_line(scenario, result):
    worst, p99, slow = stats(result)
    line = (
        f"  {scenario.name} {result.tool}: worst {fmt_ms(worst)}, p99 {fmt_ms(p99)}, "
        f"{slow} over 1 s, {result.failed} failed, {len(result.latencies)} transactions, "
        f"window {result.duration:.2f} s, {result.status}  [load {load_average()}]"
    )
    if result.app_problem:
        line += f"\n    the application: {result.app_problem}"
    return line


def stats(result):
    """Worst, 99th percentile (nearest rank) and the count over SLOW, of the window."""
    latencies = sorted(result.latencies)
    if not latencies:
        return None, None, 0
    p99 = latencies[max(0, math.ceil(0.99 * len(latencies)) - 1)]
    return latencies[-1], p99, sum(1 for latency in latencies if latency > SLOW)


def run_scenario(scenario, args):
    rmig_dir, alembic_dir = write_projects(scenario, args.rmig_config)
    results = []
    for tool, command, cwd in (
        # --url as well as rmig.toml's url: RMIG_URL or DATABASE_URL in the environment would
        # win over the file.
        ("rmig", [RMIG, "-c", "rmig.toml", "--url", url(RUN_DB), "upgrade", "head"], rmig_dir),
        ("Alembic", [ALEMBIC, "-c", "alembic.ini", "upgrade", "head"], alembic_dir),
    ):
        result = one_run(scenario, tool, command, cwd, None, args)
        print(summary_line(scenario, result), flush=True)
        results.append(result)
    # The floor over a window as long as the longer migration, so that both are compared with
    # as many of the application's transactions.
    floor_seconds = max(1.0, *(r.duration for r in results))
    floor = one_run(scenario, "no migration", None, None, floor_seconds, args)
    print(summary_line(scenario, floor), flush=True)
    return [floor] + results


# ------------------------------------------------------------------------------ the report


def table(rows, margin):
    out = [
        "| migration | run | worst latency | p99 | over 1 s | failed | transactions in window "
        "| migration time | migration |",
        "|---|---|--:|--:|--:|--:|--:|--:|---|",
    ]
    for scenario, results in rows:
        for result in results:
            worst, p99, slow = stats(result)
            failed = str(result.failed)
            if result.app_problem:
                failed += f" ({result.app_problem})"
            time_ = fmt_ms(result.duration) if result.tool != "no migration" else "-"
            window = f"{len(result.latencies)} over {result.duration + margin:.1f} s"
            out.append(
                f"| {scenario.title} | {result.tool} | {fmt_ms(worst)} | {fmt_ms(p99)} | {slow} "
                f"| {failed} | {window} | {time_} | {result.status} |"
            )
    return "\n".join(out) + "\n"


def git(*args):
    result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    return result.stdout.strip()


def describe(args, started_load, ended_load):
    version = subprocess.run([RMIG, "--version"], capture_output=True, text=True).stdout.strip()
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    # The release build is of the working tree: say so when its sources differ from the commit.
    if git("status", "--porcelain", "--", "src", "Cargo.toml", "Cargo.lock"):
        commit += ", with local changes to src/"
    (server,) = admin("SHOW server_version")
    import alembic
    import sqlalchemy

    return (
        f"{version} (built from commit {commit}), Alembic {alembic.__version__}, SQLAlchemy "
        f"{sqlalchemy.__version__}, Python {platform.python_version()}, PostgreSQL {server} on "
        f"{PGHOST}:{PGPORT}; {os.cpu_count()} cores; load average {started_load} at the start, "
        f"{ended_load} at the end. The application: pgbench, {CLIENTS} clients, {THREADS} "
        f"threads, {RATE} transactions/s (UPDATE and SELECT of one random row of "
        f"{args.rows:,}); latency from each transaction's scheduled start, over the migration "
        f"and {args.margin:g} s after it; failures over the whole run; no migration is the "
        f"application alone over a window as long as the longer migration's."
    )


def main():
    global RMIG
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="rows of accounts")
    names = [s.name for s in SCENARIOS]
    parser.add_argument("--only", help="comma-separated migrations to run, of: " + ", ".join(names))
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of application before")
    parser.add_argument("--margin", type=float, default=1.0, help="seconds of application after")
    parser.add_argument(
        "--rmig-config",
        action="append",
        default=[],
        metavar="'KEY = VALUE'",
        help="a line added to rmig.toml, e.g. 'lock_timeout = \"1s\"' (repeatable)",
    )
    parser.add_argument("--out", help="also write the report (Markdown) to this file")
    args = parser.parse_args()
    scenarios = SCENARIOS
    if args.only:
        wanted = [name.strip() for name in args.only.split(",") if name.strip()]
        unknown = [name for name in wanted if name not in names]
        if unknown:
            raise SystemExit(
                f"--only: no migration named {', '.join(unknown)}; there are {', '.join(names)}"
            )
        scenarios = [s for s in SCENARIOS if s.name in wanted]
    for path, what in ((RMIG, "rmig"), (ALEMBIC, "alembic")):
        if not os.access(path, os.X_OK):
            raise SystemExit(f"{what} not found at {path}; run `make bench-locks`")
    if shutil.which(PGBENCH) is None:
        raise SystemExit(f"{PGBENCH} not found: this benchmark needs PostgreSQL's pgbench")
    try:
        admin("SELECT 1")
    except psycopg2.OperationalError as error:
        raise SystemExit(f"no PostgreSQL at {PGUSER}@{PGHOST}:{PGPORT}: {str(error).strip()}")
    os.makedirs(WORK, exist_ok=True)
    with open(os.path.join(WORK, "app.sql"), "w") as f:
        f.write(APP_SCRIPT)
    # A copy of the binary, so that a rebuild while this runs (cargo build by someone else on
    # a shared machine) cannot change what is measured halfway.
    snapshot = os.path.join(WORK, "rmig")
    shutil.copy2(RMIG, snapshot)
    RMIG = snapshot
    started_load = load_average()
    print(f"benchmark in {WORK}, load average {started_load}", flush=True)
    build_template(args.rows)
    rows = [(scenario, run_scenario(scenario, args)) for scenario in scenarios]
    admin(f"DROP DATABASE {RUN_DB} WITH (FORCE)", f"DROP DATABASE {TEMPLATE_DB}")
    command = shlex.join(["benches/locks.py", *sys.argv[1:]])
    description = describe(args, started_load, load_average())
    report = f"`{command}`: {description}\n\n{table(rows, args.margin)}"
    print()
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report)


if __name__ == "__main__":
    main()
