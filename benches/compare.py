"""rmig side by side with Alembic and psql: the table in BENCHMARKS.md (issue 8).

    make bench-compare          # builds what it needs, then runs this with the Alembic venv
    .venv/bin/python benches/compare.py [--runs 5] [--sizes 100,1000,10000]
        [--apply-empty 2000] [--apply-tables 1000] [--only offline|apply] [--out FILE]

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

Each figure is the median of --runs timed runs after one untimed warm-up run per tool (page
cache, Python's imports); a command whose warm-up took over 10 s is timed 3 times. Wall time
is taken around the process; every run goes through GNU time (`/usr/bin/time -v`), whose
"Maximum resident set size" is the peak memory (the median over the runs is printed). The
output of each run goes to a file, as a user redirecting it would. Each run is checked: the
same head, as many history lines and `-- Running upgrade` blocks, the database at the last
revision with every table.

Environment: RMIG (default target/release/rmig), GENERATOR (target/release/examples/
generate_revisions), ALEMBIC (.venv/bin/alembic), PGHOST/PGPORT/PGUSER (127.0.0.1, 5432,
postgres), BENCH_DIR (bench-out/compare).
"""

import argparse
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
PGHOST = os.environ.get("PGHOST", "127.0.0.1")
PGPORT = os.environ.get("PGPORT", "5432")
PGUSER = os.environ.get("PGUSER", "postgres")
WORK = os.path.abspath(os.environ.get("BENCH_DIR", os.path.join(ROOT, "bench-out/compare")))
APPLY_DB = "rmig_bench_apply"
SLOW_SECONDS = 10.0
SLOW_RUNS = 3
# --sslmode: the same libpq sslmode for the three tools (PGSSLMODE for psql); unset, each uses
# its default, `prefer`, which is TLS on a server that has it.
SSLMODE = None


def url(db, driver=""):
    """A database URL; Alembic's says `+psycopg2` (SQLAlchemy 2.1's default is psycopg 3)."""
    query = f"?sslmode={SSLMODE}" if SSLMODE else ""
    return f"postgresql{driver}://{PGUSER}@{PGHOST}:{PGPORT}/{db}{query}"


def psql(*args, db="postgres", capture=False):
    command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", PGHOST, "-p", PGPORT]
    command += ["-U", PGUSER, "-d", db, *args]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {result.stderr.strip()}")
    return result.stdout if capture else None


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


def run_once(command, cwd, label):
    """Runs `command` under GNU time, output to files in WORK/logs; returns a Run."""
    logs = os.path.join(WORK, "logs")
    os.makedirs(logs, exist_ok=True)
    base = os.path.join(logs, re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_"))
    timing = base + ".time"
    with open(base + ".out", "wb") as out, open(base + ".err", "wb") as err:
        started = time.perf_counter()
        result = subprocess.run(
            ["/usr/bin/time", "-v", "-o", timing, *command], cwd=cwd, stdout=out, stderr=err
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

    def __init__(self, name, command, cwd, before=None, check=None):
        self.name = name
        self.command = command
        self.cwd = cwd
        self.before = before
        self.check = check


def measure(row, tools, runs):
    """Warm-up, then `runs` rounds of each tool in turn; {tool name: [Run]}."""
    results = {tool.name: [] for tool in tools}
    counts = {}
    for tool in tools:
        if tool.before:
            tool.before()
        warm, out, err = run_once(tool.command, tool.cwd, f"{row} {tool.name} warmup")
        if tool.check:
            tool.check(out, err)
        counts[tool.name] = SLOW_RUNS if warm.seconds > SLOW_SECONDS else runs
    for round_ in range(max(counts.values())):
        for tool in tools:
            if round_ >= counts[tool.name]:
                continue
            if tool.before:
                tool.before()
            result, out, err = run_once(tool.command, tool.cwd, f"{row} {tool.name}")
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
    line = ", ".join(
        f"{name} {fmt_time(s)} ({n} runs, {rss / 1024:.1f} MB)"
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
                f.write(f'script_location = "revisions"\nurl = "{url("rmig_bench_unused")}"\n')
            alembic_scripts.convert(revisions, os.path.join(base, "alembic"), url("unused", "+psycopg2"))
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


# ------------------------------------------------------------ part 2: applying to PostgreSQL


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
        f.write(f'script_location = "revisions"\nurl = "{url(APPLY_DB)}"\n')
    alembic_scripts.convert(revisions, os.path.join(base, "alembic"), url(APPLY_DB, "+psycopg2"))
    # psql's scripts: rmig's own offline SQL (BEGIN/COMMIT around each revision), and the same
    # without those lines for `psql -1`.
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
    psql("-c", f"DROP DATABASE IF EXISTS {APPLY_DB}")
    psql("-c", f"CREATE DATABASE {APPLY_DB}")


def database_check(head, tables):
    def check(_out, _err):
        found = psql("-At", "-c", "SELECT version_num FROM alembic_version", db=APPLY_DB, capture=True)
        if found.split() != [head]:
            raise SystemExit(f"after the run the database is at {found.split()}, not {head}")
        count = psql(
            "-At",
            "-c",
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_name LIKE 't\\_%'",
            db=APPLY_DB,
            capture=True,
        )
        if int(count) != tables:
            raise SystemExit(f"after the run the database has {count.strip()} tables, not {tables}")

    return check


def apply_rows(workloads, runs):
    rows = []
    for kind, n in workloads:
        base, head = apply_project(kind, n)
        check = database_check(head, n if kind == "table" else 0)
        psql_base = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", PGHOST, "-p", PGPORT]
        psql_base += ["-U", PGUSER, "-d", APPLY_DB]
        for mode in ("per revision", "one"):
            one = mode == "one"
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
                    "psql",
                    psql_base + (["-1", "-f", "single.sql"] if one else ["-f", "per_revision.sql"]),
                    base,
                    fresh_database,
                    check,
                ),
            ]
            summary = measure(f"apply {kind} {n} {mode}", tools, runs)
            rows.append((kind, n, mode, summary))
    psql("-c", f"DROP DATABASE IF EXISTS {APPLY_DB}")
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
        out.append(
            "| workload | transactions | rmig | Alembic | psql | rmig/Alembic | rmig/psql "
            "| rmig peak RSS | Alembic peak RSS | psql peak RSS | RSS rmig/Alembic | RSS rmig/psql |"
        )
        out.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
        for kind, n, mode, s in applied:
            (rt, rm, _), (at, am, _), (pt, pm, _) = s["rmig"], s["Alembic"], s["psql"]
            what = f"{n:,} empty revisions" if kind == "empty" else f"{n:,} revisions, CREATE TABLE with primary key"
            txn = "one per revision" if mode == "per revision" else "one for the run"
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
    server = psql("-At", "-c", "SHOW server_version", capture=True).strip()
    import alembic
    import sqlalchemy

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return (
        f"{version} (commit {commit or 'unknown'}{', with local changes' if dirty() else ''}), "
        f"Alembic {alembic.__version__}, SQLAlchemy {sqlalchemy.__version__}, "
        f"Python {platform.python_version()}, PostgreSQL {server} on {PGHOST}:{PGPORT} "
        f"(sslmode {SSLMODE or 'prefer, each tool by default: TLS where the server has it'}); "
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
    global RMIG, SSLMODE
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--apply-empty", type=int, default=2000)
    parser.add_argument("--apply-tables", type=int, default=1000)
    parser.add_argument("--only", choices=["offline", "apply"])
    parser.add_argument("--out", help="also write the report (Markdown) to this file")
    parser.add_argument("--sslmode", help="one sslmode for all three tools (default: each its own, prefer)")
    args = parser.parse_args()
    if args.sslmode:
        SSLMODE = args.sslmode
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
