"""rmig side by side with Alembic and psql: the table in BENCHMARKS.md (issue 8).

    make bench-compare          # builds what it needs, then runs this with the Alembic venv
    make bench-mysql            # part 2 on MariaDB/MySQL: --database mysql --only apply
    .venv/bin/python benches/compare.py [--runs 5] [--sizes 100,1000,10000]
        [--apply-empty 2000] [--apply-tables 1000] [--only offline|apply] [--out FILE]
        [--database postgresql|mysql]
        [--database postgresql|mysql]

Two parts, every row measured in this one run, tool after tool in turn (run 1 of each tool,
then run 2 of each, ...), so that the machine's load at any moment falls on all of them:

1. Offline, no database: `heads`, `history` and `upgrade head --sql` on generated projects
   (examples/generate_revisions.rs, seed 1) of each size, linear (`--linear`) and branchy
   (branches, two- and three-way merges, branch labels, depends_on), by rmig and by Alembic
   on the same graph written as Alembic scripts (benches/alembic_scripts.py). rmig runs
   twice: as users run it (folders of 256 files or more go through its revision cache, kept
   in WORK/cache for this benchmark; warm after the warm-up run, as Alembic's __pycache__
   is) and with RMIG_NO_CACHE=1, reading and parsing every file every time.
2. Applying revisions to a fresh PostgreSQL database (created before each run, dropped
   after, outside the timing): (a) empty revisions, (b) revisions that each create a table
   with a primary key; rmig vs Alembic vs psql running rmig's own `upgrade head --sql`
   script, with the same transaction boundaries: one transaction per revision (rmig's
   default, Alembic's `transaction_per_migration=True`, the script's BEGIN/COMMIT per
   revision) and one for the run (`--one-transaction`, Alembic's default, `psql -1` on the
   script without its BEGIN/COMMIT lines). rmig also writes an audit row per step into
   rmig_history (and reads it for edited revisions first); the others do not.
   `--database mysql` (`make bench-mysql`) does part 2 on MariaDB or MySQL instead, with
   the `mysql` client running rmig's MySQL `--sql` script. That script has no BEGIN/COMMIT
   (MySQL commits every DDL statement where it stands), so there is one mode: each tool's
   CREATE TABLE commits on its own and its version-table UPDATE after it (rmig's own
   transaction with the audit row, Alembic's `transaction_per_migration=True`, the client in
   autocommit).

Each figure is the median of --runs timed runs after one untimed warm-up run per tool (page
cache, Python's imports); a command whose warm-up took over 10 s is timed 3 times. Wall time
is taken around the process; every run goes through GNU time (`/usr/bin/time -v`), whose
"Maximum resident set size" is the peak memory (the median over the runs is printed). The
output of each run goes to a file, as a user redirecting it would. Each run is checked: the
same head, as many history lines and `-- Running upgrade` blocks, the database at the last
revision with every table.

Environment: RMIG (default target/release/rmig), GENERATOR (target/release/examples/
generate_revisions), ALEMBIC (.venv/bin/alembic), PGHOST/PGPORT/PGUSER (127.0.0.1, 5432,
postgres), MYSQL_HOST/MYSQL_TCP_PORT/MYSQL_USER (127.0.0.1, 3306, root; no password),
BENCH_DIR (bench-out/compare).
"""

import argparse
import contextlib
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import alembic_scripts  # noqa: E402  (beside this file)

RMIG = os.path.abspath(os.environ.get("RMIG", os.path.join(ROOT, "target/release/rmig")))
GENERATOR = os.path.abspath(
    os.environ.get("GENERATOR", os.path.join(ROOT, "target/release/examples/generate_revisions"))
)
ALEMBIC = os.path.abspath(os.environ.get("ALEMBIC", os.path.join(ROOT, ".venv/bin/alembic")))
WORK = os.path.abspath(os.environ.get("BENCH_DIR", os.path.join(ROOT, "bench-out/compare")))
APPLY_DB = "rmig_bench_apply"
SLOW_SECONDS = 10.0
SLOW_RUNS = 3


def checked(command, stdin=None):
    """Runs a database client outside the timing; its stdout."""
    result = subprocess.run(command, input=stdin, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {result.stderr.strip()}")
    return result.stdout


class Postgresql:
    """The local PostgreSQL and psql."""

    name = "PostgreSQL"
    client = "psql"
    # The transaction modes of part 2, and how the table names them.
    modes = {"per revision": "one per revision", "one": "one for the run"}

    def __init__(self):
        self.host = os.environ.get("PGHOST", "127.0.0.1")
        self.port = os.environ.get("PGPORT", "5432")
        self.user = os.environ.get("PGUSER", "postgres")
        # --sslmode: the same libpq sslmode for the three tools (PGSSLMODE for psql); unset,
        # each uses its default, `prefer`, which is TLS on a server that has it.
        self.sslmode = None

    def url(self, db, alembic=False):
        """A database URL; Alembic's says `+psycopg2` (SQLAlchemy 2.1's default is psycopg 3)."""
        query = f"?sslmode={self.sslmode}" if self.sslmode else ""
        driver = "+psycopg2" if alembic else ""
        return f"postgresql{driver}://{self.user}@{self.host}:{self.port}/{db}{query}"

    def client_command(self, db):
        command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.host, "-p", self.port]
        return command + ["-U", self.user, "-d", db]

    def query(self, sql, db="postgres"):
        return checked(self.client_command(db) + ["-At", "-c", sql])

    def run_script(self, script, one):
        """The client's arguments and stdin (None) for a script file in the project."""
        return (["-1", "-f", script] if one else ["-f", script]), None

    def fresh_database(self, db):
        self.query(f"DROP DATABASE IF EXISTS {db}")
        self.query(f"CREATE DATABASE {db}")

    def drop_database(self, db):
        self.query(f"DROP DATABASE IF EXISTS {db}")

    def count_tables(self, db):
        return int(
            self.query(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' "
                "AND table_name LIKE 't\\_%'",
                db,
            )
        )

    def describe(self):
        version = self.query("SHOW server_version").strip()
        mode = self.sslmode or "prefer, each tool by default: TLS where the server has it"
        return f"PostgreSQL {version} on {self.host}:{self.port} (sslmode {mode})"


class Mysql:
    """The local MariaDB or MySQL and the `mysql` client, all three tools over TCP."""

    name = "MariaDB/MySQL"
    client = "mysql"
    # MySQL commits every DDL statement where it stands: one mode.
    modes = {"per revision": "each statement commits (MySQL DDL)"}

    def __init__(self):
        self.host = os.environ.get("MYSQL_HOST", "127.0.0.1")
        self.port = os.environ.get("MYSQL_TCP_PORT", "3306")
        self.user = os.environ.get("MYSQL_USER", "root")

    def url(self, db, alembic=False):
        driver = "+pymysql" if alembic else ""
        return f"mysql{driver}://{self.user}@{self.host}:{self.port}/{db}"

    def client_command(self, db=None):
        command = ["mysql", "--protocol=TCP", "-h", self.host, "-P", self.port, "-u", self.user]
        return command + ["--batch", "--skip-column-names"] + ([db] if db else [])

    def query(self, sql, db=None):
        return checked(self.client_command(db) + ["-e", sql])

    def run_script(self, script, _one):
        return [], script

    def fresh_database(self, db):
        self.query(f"DROP DATABASE IF EXISTS {db}; CREATE DATABASE {db}")

    def drop_database(self, db):
        self.query(f"DROP DATABASE IF EXISTS {db}")

    def count_tables(self, db):
        return int(
            self.query(
                f"SELECT count(*) FROM information_schema.tables WHERE table_schema = '{db}' "
                "AND table_name LIKE 't\\_%'"
            )
        )

    def describe(self):
        version = self.query("SELECT version()").strip()
        return f"{'MariaDB' if 'MariaDB' in version else 'MySQL'} {version} on {self.host}:{self.port}"


# The database of part 2 (--database); part 1 only writes its URLs into configuration files.
SERVER = Postgresql()


def load_average():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "unknown"


class Run:
    """One timed process: wall seconds and peak RSS in KiB."""

    def __init__(self, seconds, rss_kb):
        self.seconds = seconds
        self.rss_kb = rss_kb


def run_once(command, cwd, label, stdin=None):
    """Runs `command` under GNU time, output to files in WORK/logs, its input from the file
    `stdin` in `cwd` if given; returns a Run."""
    logs = os.path.join(WORK, "logs")
    os.makedirs(logs, exist_ok=True)
    base = os.path.join(logs, re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_"))
    timing = base + ".time"
    source = open(os.path.join(cwd, stdin), "rb") if stdin else contextlib.nullcontext()
    with source as source, open(base + ".out", "wb") as out, open(base + ".err", "wb") as err:
        started = time.perf_counter()
        result = subprocess.run(
            ["/usr/bin/time", "-v", "-o", timing, *command],
            cwd=cwd,
            stdin=source,
            stdout=out,
            stderr=err,
        )
        seconds = time.perf_counter() - started
    if result.returncode != 0:
        with open(base + ".err", errors="replace") as err:
            tail = err.read()[-2000:]
        raise SystemExit(f"{label}: {' '.join(command)} exited {result.returncode}\n{tail}")
    rss = None
    with open(timing) as f:
        for line in f:
            if "Maximum resident set size" in line:
                rss = int(line.rsplit(":", 1)[1])
    return Run(seconds, rss), base + ".out", base + ".err"


class Tool:
    """A command to time, with what to do before each run and how to check its output."""

    def __init__(self, name, command, cwd, before=None, check=None, stdin=None):
        self.name = name
        self.command = command
        self.cwd = cwd
        self.before = before
        self.check = check
        self.stdin = stdin


def measure(row, tools, runs):
    """Warm-up, then `runs` rounds of each tool in turn; {tool name: [Run]}."""
    results = {tool.name: [] for tool in tools}
    counts = {}
    for tool in tools:
        if tool.before:
            tool.before()
        warm, out, err = run_once(tool.command, tool.cwd, f"{row} {tool.name} warmup", tool.stdin)
        if tool.check:
            tool.check(out, err)
        counts[tool.name] = SLOW_RUNS if warm.seconds > SLOW_SECONDS else runs
    for round_ in range(max(counts.values())):
        for tool in tools:
            if round_ >= counts[tool.name]:
                continue
            if tool.before:
                tool.before()
            result, out, err = run_once(tool.command, tool.cwd, f"{row} {tool.name}", tool.stdin)
            if tool.check:
                tool.check(out, err)
            results[tool.name].append(result)
    summary = {}
    for name, list_ in results.items():
        summary[name] = (
            statistics.median(r.seconds for r in list_),
            statistics.median(r.rss_kb for r in list_),
            len(list_),
        )
    # The spread too: on a shared disk one fsync can take 1 ms or 5.
    line = ", ".join(
        f"{name} {fmt_time(s)} ({n} runs from {fmt_time(min(r.seconds for r in results[name]))} "
        f"to {fmt_time(max(r.seconds for r in results[name]))}, {rss / 1024:.1f} MB)"
        for name, (s, rss, n) in summary.items()
    )
    print(f"  {row}: {line}  [load {load_average()}]", flush=True)
    return summary


def fmt_time(seconds):
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def fmt_ratio(ours, theirs):
    ratio = ours / theirs
    if ratio < 1:
        return f"{ratio:.3f} ({1 / ratio:.1f}x faster)"
    return f"{ratio:.2f}"


def fmt_mb(kb):
    return f"{kb / 1024:.1f} MB"


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


# ---------------------------------------------------------------- part 1: offline commands


def offline_projects(sizes):
    """Generates (shape, n, rmig dir, alembic dir) for each shape and size."""
    projects = []
    for shape in ("linear", "branchy"):
        for n in sizes:
            base = os.path.join(WORK, f"{shape}{n}")
            revisions = os.path.join(base, "revisions")
            if os.path.isdir(base):
                shutil.rmtree(base)
            command = [GENERATOR, revisions, str(n), "--seed", "1"]
            if shape == "linear":
                command.append("--linear")
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            with open(os.path.join(base, "rmig.toml"), "w") as f:
                f.write(f'script_location = "revisions"\nurl = "{SERVER.url("rmig_bench_unused")}"\n')
            alembic_scripts.convert(
                revisions, os.path.join(base, "alembic"), SERVER.url("unused", alembic=True)
            )
            projects.append((shape, n, base))
    return projects


def offline_checks():
    """Per command, a function of (output text) -> comparable value."""

    def first_words(text):
        return sorted(line.split()[0] for line in text.splitlines() if line.strip())

    def line_count(text):
        return len([line for line in text.splitlines() if line.strip()])

    def steps(text):
        return text.count("-- Running upgrade")

    return {"heads": first_words, "history": line_count, "upgrade head --sql": steps}


def offline_rows(sizes, runs):
    rows = []
    checks = offline_checks()
    for shape, n, base in offline_projects(sizes):
        for command, check in checks.items():
            seen = {}

            def checker(name):
                def check_output(out, _err):
                    value = check(read(out))
                    seen[name] = value
                    if len(set(map(repr, seen.values()))) > 1:
                        raise SystemExit(
                            f"{shape} {n} `{command}`: rmig and Alembic disagree: {seen}"
                        )

                return check_output

            tools = [
                Tool("rmig", [RMIG, "-c", "rmig.toml", *command.split()], base, None, checker("rmig")),
                Tool(
                    "rmig, no cache",
                    ["env", "RMIG_NO_CACHE=1", RMIG, "-c", "rmig.toml", *command.split()],
                    base,
                    None,
                    checker("rmig, no cache"),
                ),
                Tool(
                    "Alembic",
                    [ALEMBIC, "-c", "alembic/alembic.ini", *command.split()],
                    base,
                    None,
                    checker("Alembic"),
                ),
            ]
            summary = measure(f"{command} {shape} {n}", tools, runs)
            rows.append((command, shape, n, summary))
    return rows


# ----------------------------------------- part 2: applying to PostgreSQL (or MariaDB/MySQL)


def apply_project(kind, n):
    """A linear project of n revisions: `empty` ones, or `table` ones creating t_<i>."""
    base = os.path.join(WORK, f"apply_{kind}{n}")
    revisions = os.path.join(base, "revisions")
    if os.path.isdir(base):
        shutil.rmtree(base)
    os.makedirs(revisions)
    previous = None
    for i in range(1, n + 1):
        rid = f"{'e' if kind == 'empty' else 'c'}{i:011d}"
        lines = [f'revision = "{rid}"']
        if previous:
            lines.append(f'down_revision = "{previous}"')
        lines.append(f'message = "{kind} {i}"')
        if kind == "table":
            lines += [
                "",
                "[[upgrade]]",
                'op = "create_table"',
                f'table_name = "t_{i:05d}"',
                'columns = [ { name = "id", type = "integer", primary_key = true } ]',
            ]
        with open(os.path.join(revisions, f"{rid}_{kind}_{i}.toml"), "w") as f:
            f.write("\n".join(lines) + "\n")
        previous = rid
    with open(os.path.join(base, "rmig.toml"), "w") as f:
        f.write(f'script_location = "revisions"\nurl = "{SERVER.url(APPLY_DB)}"\n')
    alembic_scripts.convert(
        revisions, os.path.join(base, "alembic"), SERVER.url(APPLY_DB, alembic=True)
    )
    # The client's scripts: rmig's own offline SQL (on PostgreSQL BEGIN/COMMIT around each
    # revision), and the same without those lines for `psql -1`.
    script = subprocess.run(
        [RMIG, "-c", "rmig.toml", "upgrade", "head", "--sql"],
        cwd=base,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    with open(os.path.join(base, "per_revision.sql"), "w") as f:
        f.write(script)
    single = [line for line in script.splitlines() if line not in ("BEGIN;", "COMMIT;")]
    with open(os.path.join(base, "single.sql"), "w") as f:
        f.write("\n".join(single) + "\n")
    return base, previous


def fresh_database():
    SERVER.fresh_database(APPLY_DB)


def database_check(head, tables):
    def check(_out, _err):
        found = SERVER.query("SELECT version_num FROM alembic_version", APPLY_DB)
        if found.split() != [head]:
            raise SystemExit(f"after the run the database is at {found.split()}, not {head}")
        count = SERVER.count_tables(APPLY_DB)
        if count != tables:
            raise SystemExit(f"after the run the database has {count} tables, not {tables}")

    return check


def apply_rows(workloads, runs):
    rows = []
    for kind, n in workloads:
        if n == 0:
            continue
        base, head = apply_project(kind, n)
        check = database_check(head, n if kind == "table" else 0)
        for mode in SERVER.modes:
            one = mode == "one"
            arguments, stdin = SERVER.run_script("single.sql" if one else "per_revision.sql", one)
            tools = [
                Tool(
                    "rmig",
                    [RMIG, "-c", "rmig.toml", "upgrade", "head"]
                    + (["--one-transaction"] if one else []),
                    base,
                    fresh_database,
                    check,
                ),
                Tool(
                    "Alembic",
                    [ALEMBIC, "-c", "alembic/alembic.ini"]
                    + ([] if one else ["-x", "per_migration=true"])
                    + ["upgrade", "head"],
                    base,
                    fresh_database,
                    check,
                ),
                Tool(
                    SERVER.client,
                    SERVER.client_command(APPLY_DB) + arguments,
                    base,
                    fresh_database,
                    check,
                    stdin,
                ),
            ]
            summary = measure(f"apply {kind} {n} {mode}", tools, runs)
            rows.append((kind, n, mode, summary))
    SERVER.drop_database(APPLY_DB)
    return rows


# ------------------------------------------------------------------------------ the report


def table(offline, applied):
    out = []
    if offline:
        out.append(
            "| command | shape | revisions | rmig | rmig, no cache | Alembic | rmig/Alembic "
            "| no cache/Alembic | rmig peak RSS | no cache peak RSS | Alembic peak RSS "
            "| RSS rmig/Alembic |"
        )
        out.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
        for command, shape, n, s in offline:
            (rt, rm, _), (ct, cm, _), (at, am, _) = s["rmig"], s["rmig, no cache"], s["Alembic"]
            out.append(
                f"| `{command}` | {shape} | {n:,} | {fmt_time(rt)} | {fmt_time(ct)} | {fmt_time(at)} "
                f"| {fmt_ratio(rt, at)} | {fmt_ratio(ct, at)} | {fmt_mb(rm)} | {fmt_mb(cm)} "
                f"| {fmt_mb(am)} | {rm / am:.2f} |"
            )
        out.append("")
    if applied:
        client = SERVER.client
        out.append(
            f"| workload | transactions | rmig | Alembic | {client} | rmig/Alembic | rmig/{client} "
            f"| rmig peak RSS | Alembic peak RSS | {client} peak RSS | RSS rmig/Alembic "
            f"| RSS rmig/{client} |"
        )
        out.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
        for kind, n, mode, s in applied:
            (rt, rm, _), (at, am, _), (pt, pm, _) = s["rmig"], s["Alembic"], s[client]
            what = f"{n:,} empty revisions" if kind == "empty" else f"{n:,} revisions, CREATE TABLE with primary key"
            txn = SERVER.modes[mode]
            out.append(
                f"| {what} | {txn} | {fmt_time(rt)} | {fmt_time(at)} | {fmt_time(pt)} "
                f"| {fmt_ratio(rt, at)} | {rt / pt:.2f} | {fmt_mb(rm)} | {fmt_mb(am)} "
                f"| {fmt_mb(pm)} | {rm / am:.2f} | {rm / pm:.2f} |"
            )
        out.append("")
    return "\n".join(out)


def describe_machine(runs, started_load, ended_load):
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    version = subprocess.run([RMIG, "--version"], capture_output=True, text=True).stdout.strip()
    import alembic
    import sqlalchemy

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return (
        f"{version} (commit {commit or 'unknown'}{', with local changes' if dirty() else ''}), "
        f"Alembic {alembic.__version__}, SQLAlchemy {sqlalchemy.__version__}, "
        f"Python {platform.python_version()}, {SERVER.describe()}; "
        f"{os.cpu_count()} x {cpu}; load average {started_load} at the start, "
        f"{ended_load} at the end; median of {runs} runs ({SLOW_RUNS} for a command over "
        f"{SLOW_SECONDS:.0f} s)."
    )


def dirty():
    result = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return bool(result.stdout.strip())


def main():
    global RMIG, SERVER
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--apply-empty", type=int, default=2000)
    parser.add_argument("--apply-tables", type=int, default=1000)
    parser.add_argument("--only", choices=["offline", "apply"])
    parser.add_argument("--out", help="also write the report (Markdown) to this file")
    parser.add_argument("--sslmode", help="one sslmode for all three tools (default: each its own, prefer)")
    parser.add_argument(
        "--database",
        choices=["postgresql", "mysql"],
        default="postgresql",
        help="where part 2 applies revisions: the local PostgreSQL, or MariaDB/MySQL",
    )
    args = parser.parse_args()
    if args.database == "mysql":
        SERVER = Mysql()
    if args.sslmode:
        if not isinstance(SERVER, Postgresql):
            raise SystemExit("--sslmode is PostgreSQL's")
        SERVER.sslmode = args.sslmode
        os.environ["PGSSLMODE"] = args.sslmode
    for path, what in ((RMIG, "rmig"), (GENERATOR, "generate_revisions"), (ALEMBIC, "alembic")):
        if not os.access(path, os.X_OK):
            raise SystemExit(f"{what} not found at {path}; run `make bench-compare`")
    if not os.access("/usr/bin/time", os.X_OK):
        raise SystemExit("GNU time is needed at /usr/bin/time (apt-get install time)")
    os.makedirs(WORK, exist_ok=True)
    # rmig's revision cache for this benchmark's folders, here rather than in ~/.cache.
    os.environ["RMIG_CACHE_DIR"] = os.path.join(WORK, "cache")
    shutil.rmtree(os.environ["RMIG_CACHE_DIR"], ignore_errors=True)
    # A copy of the binary, so that a rebuild while this runs (cargo build by someone else on
    # a shared machine) cannot change what is measured halfway.
    snapshot = os.path.join(WORK, "rmig")
    shutil.copy2(RMIG, snapshot)
    RMIG = snapshot
    started_load = load_average()
    print(f"benchmark in {WORK}, load average {started_load}", flush=True)
    offline = []
    applied = []
    if args.only in (None, "offline"):
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
        offline = offline_rows(sizes, args.runs)
    if args.only in (None, "apply"):
        applied = apply_rows([("empty", args.apply_empty), ("table", args.apply_tables)], args.runs)
    command = "benches/compare.py " + " ".join(sys.argv[1:])
    report = (
        f"`{command}`: "
        + describe_machine(args.runs, started_load, load_average())
        + "\n\n"
        + table(offline, applied)
    )
    print()
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report)


if __name__ == "__main__":
    main()
