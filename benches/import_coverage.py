"""The tables of `make bench-import` (benches/import_coverage.sh): for each imported Alembic
project, its revisions, the `op.*` calls in upgrade()/downgrade(), how many of them rmig
converted, its placeholders and whether the import failed; then the placeholder reasons by
category. Standard library only.

An operation is a call whose callee is an attribute of `op` (or of a name `from alembic import
op as NAME` binds) or of the target of `with op.batch_alter_table(...) as NAME`, lexically
inside upgrade() or downgrade(). The helpers that build a value or a context rather than act
on the database (`op.f`, `op.get_bind`, ...) are not counted: they are converted or not
with the operation or statement around them. An operation is converted unless its line lies
inside a placeholder listed in rmig's report (`file:first-last (upgrade of REV): reasons`);
when the whole import failed, nothing is.
"""

import argparse
import ast
import collections
import configparser
import datetime
import os
import platform
import re
import subprocess
import sys

# Attributes of `op` that make a value or a context, not a database operation.
HELPERS = {
    "f",
    "inline_literal",
    "get_bind",
    "get_context",
    "batch_alter_table",
    "implementation_for",
    "register_operation",
}

PLACEHOLDER_LINE = re.compile(
    r"^  (?P<file>.+?):(?P<first>\d+)(?:-(?P<last>\d+))? \((?P<function>upgrade|downgrade) of (?P<revision>[^)]*)\): (?P<reasons>.*)$"
)
IMPORTED_LINE = re.compile(r"^Imported (\d+) Alembic revisions?")
# The comment rmig writes above each operation it converted: the script and its line.
WRITTEN_OPERATION = re.compile(
    r"^# (?P<file>.+):(?P<line>\d+)\n\[\[(?P<function>upgrade|downgrade)\]\]$", re.MULTILINE
)
REASON_START = re.compile(r"(?:^|; )line \d+: ")


def version_files(source):
    """The .py scripts of the project at `source` (an alembic.ini or a script folder), found
    as Alembic finds them: script_location's versions/ unless version_locations says
    otherwise, recursively when recursive_version_locations is set."""
    if os.path.isdir(source) and os.path.isfile(os.path.join(source, "alembic.ini")):
        source = os.path.join(source, "alembic.ini")
    if os.path.isdir(source):
        locations, recursive = [os.path.join(source, "versions")], False
    else:
        here = os.path.dirname(os.path.abspath(source))
        ini = configparser.ConfigParser(defaults={"here": here})
        ini.read(source)
        section = ini["alembic"]
        script_dir = os.path.join(here, section["script_location"])
        listed = section.get("version_locations", "").split()
        locations = [os.path.join(here, p) for p in listed] or [
            os.path.join(script_dir, "versions")
        ]
        recursive = section.get("recursive_version_locations", "false").lower() in (
            "true",
            "1",
            "yes",
            "on",
        )
    files = []
    for location in locations:
        if recursive:
            for root, _, names in os.walk(location):
                files += [os.path.join(root, n) for n in names if n.endswith(".py")]
        else:
            files += [
                os.path.join(location, n)
                for n in os.listdir(location)
                if n.endswith(".py")
            ]
    return sorted(os.path.normpath(f) for f in files)


class Script:
    """One revision script: whether it defines a revision, and its operations by function."""

    def __init__(self, path):
        self.path = path
        self.is_revision = False
        self.parse_error = None
        # (function, line) of each operation
        self.operations = []
        try:
            with open(path, encoding="utf-8") as f:
                tree = ast.parse(f.read(), filename=path)
        except (SyntaxError, UnicodeDecodeError) as error:
            self.parse_error = f"{type(error).__name__}: {error}"
            return
        op_names = {"op"}
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module == "alembic":
                op_names |= {a.asname for a in node.names if a.name == "op" and a.asname}
            targets = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AnnAssign):
                targets = [node.target]
            if any(isinstance(t, ast.Name) and t.id == "revision" for t in targets):
                self.is_revision = True
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name in ("upgrade", "downgrade"):
                self.operations += [
                    (node.name, line) for line in operation_lines(node, op_names)
                ]


def operation_lines(function, op_names):
    batch_names = set()
    for node in ast.walk(function):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                call = item.context_expr
                if (
                    isinstance(call, ast.Call)
                    and is_op_attribute(call.func, op_names)
                    and call.func.attr == "batch_alter_table"
                    and isinstance(item.optional_vars, ast.Name)
                ):
                    batch_names.add(item.optional_vars.id)
    lines = []
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Call)
            and is_op_attribute(node.func, op_names | batch_names)
            and node.func.attr not in HELPERS
        ):
            lines.append(node.lineno)
    return sorted(lines)


def is_op_attribute(func, names):
    return (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id in names
    )


class Report:
    """What `rmig import-alembic` reported (on stderr): revisions imported and placeholders by
    file."""

    def __init__(self, report):
        self.imported = None
        self.placeholders = []
        for line in report.splitlines():
            if match := IMPORTED_LINE.match(line):
                self.imported = int(match.group(1))
            elif match := PLACEHOLDER_LINE.match(line):
                first = int(match.group("first"))
                reasons = [r for r in REASON_START.split(match.group("reasons")) if r]
                self.placeholders.append(
                    {
                        "file": match.group("file"),
                        "function": match.group("function"),
                        "first": first,
                        "last": int(match.group("last") or first),
                        "reasons": reasons,
                    }
                )

    def covers(self, path, function, line):
        return any(
            p["function"] == function
            and p["first"] <= line <= p["last"]
            and same_file(p["file"], path)
            for p in self.placeholders
        )


def same_file(reported, path):
    """rmig names a script relative to the project's root; `path` is the counter's."""
    reported = os.path.normpath(reported)
    return path == reported or path.endswith(os.sep + reported)


def written_operations(into):
    """The scripts of every operation in the revision files rmig wrote, by (function, line)."""
    written = collections.defaultdict(list)
    revisions = os.path.join(into, "revisions")
    for name in os.listdir(revisions) if os.path.isdir(revisions) else []:
        for match in WRITTEN_OPERATION.finditer(read(os.path.join(revisions, name))):
            key = (match.group("function"), int(match.group("line")))
            written[key].append(match.group("file"))
    return written


def is_written(written, path, function, line):
    return any(same_file(file, path) for file in written.get((function, line), ()))


def normalise(reason):
    """One category per kind of reason: names, quoted text, called names and numbers
    replaced."""
    reason = re.sub(r"`[^`]*`", "`…`", reason)
    reason = re.sub(r"(?<!\w)'[^']*'(?!\w)|\"[^\"]*\"", "'…'", reason)
    reason = re.sub(r"^column `…`: ", "", reason)
    reason = re.sub(r"\bop\.\w+'s\b", "op.…'s", reason)
    reason = re.sub(r"[\w.]+(?:\(\.\.\.\))? is not a SQLAlchemy type", "… is not a SQLAlchemy type", reason)
    reason = re.sub(r"[\w.]+\(\.\.\.\)", "…(...)", reason)
    reason = re.sub(r", found .*$", ", found …", reason)
    reason = re.sub(r"\b\d+\b", "N", reason)
    return reason.strip()


def percent(part, whole):
    return f"{100 * part / whole:.1f}" if whole else "-"


def shorten(text, width=90):
    return text if len(text) <= width else text[: width - 1] + "…"


def cell(text):
    """Text as one Markdown table cell."""
    return text.replace("|", "\\|")


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def rmig_version(rmig):
    try:
        out = subprocess.run([rmig, "--version"], capture_output=True, text=True)
        return (out.stdout.strip().splitlines() or ["rmig (version unknown)"])[0]
    except OSError:
        return "rmig (version unknown)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="also write the tables here (Markdown)")
    parser.add_argument("--timeout", type=int, required=True, help="the import's time limit, s")
    parser.add_argument(
        "rows",
        nargs="+",
        help="LABEL REQUIREMENT SOURCE INTO, four per project: INTO.stdout, INTO.stderr and "
        "INTO.status hold the import's output and exit status",
    )
    args = parser.parse_args()
    if len(args.rows) % 4:
        parser.error("rows come in fours: LABEL REQUIREMENT SOURCE INTO")

    table = [
        "| project | version | revisions | `op.*` calls | converted | % | placeholders "
        "| not written | import |",
        "|---|---|--:|--:|--:|--:|--:|--:|---|",
    ]
    reasons = collections.defaultdict(collections.Counter)
    unparsed = []
    totals = {"all": collections.Counter(), "imported": collections.Counter()}
    for i in range(0, len(args.rows), 4):
        label, requirement, source, into = args.rows[i : i + 4]
        scripts = [Script(path) for path in version_files(source)]
        unparsed += [f"{s.path}: {s.parse_error}" for s in scripts if s.parse_error]
        status = int(read(into + ".status").strip() or -1)
        stderr_lines = read(into + ".stderr").strip().splitlines()
        report = Report(read(into + ".stderr"))
        operations = [(s.path, f, line) for s in scripts for f, line in s.operations]
        converted = [op for op in operations if status == 0 and not report.covers(*op)]
        written = written_operations(into)
        not_written = sum(not is_written(written, *op) for op in converted)
        if status == 0:
            outcome = "ok"
        else:
            why = "timed out" if status == 124 else (stderr_lines[0] if stderr_lines else "")
            outcome = f"**failed**, exit {status}" + (f": {cell(why)}" if why else "")
        revisions = sum(s.is_revision for s in scripts)
        if report.imported is not None and report.imported != revisions:
            outcome += f" (rmig imported {report.imported})"
        version = requirement.split("==")[1]
        table.append(
            f"| {label} | {version} | {revisions} | {len(operations)} | {len(converted)} "
            f"| {percent(len(converted), len(operations))} | {len(report.placeholders)} "
            f"| {not_written} | {outcome} |"
        )
        figures = collections.Counter(
            revisions=revisions,
            operations=len(operations),
            converted=len(converted),
            placeholders=len(report.placeholders),
            not_written=not_written,
        )
        totals["all"].update(figures)
        if status == 0:
            totals["imported"].update(figures)
        for placeholder in report.placeholders:
            for reason in placeholder["reasons"]:
                reasons[normalise(reason)][reason] += 1
    for name, label in [("all", "**all**"), ("imported", "imports that ran")]:
        t = totals[name]
        table.append(
            f"| {label} | | {t['revisions']} | {t['operations']} | {t['converted']} "
            f"| {percent(t['converted'], t['operations'])} | {t['placeholders']} "
            f"| {t['not_written']} | |"
        )

    top = [
        "| placeholder reason (normalised) | count | most common as written |",
        "|---|--:|---|",
    ]
    by_count = sorted(reasons.items(), key=lambda item: -sum(item[1].values()))
    for category, variants in by_count[:25]:
        common = "; ".join(f"{shorten(v)} ({n})" for v, n in variants.most_common(3))
        top.append(f"| {cell(category)} | {sum(variants.values())} | {cell(common)} |")

    rmig = os.environ.get("RMIG", "target/release/rmig")
    header = (
        f"{datetime.date.today().isoformat()}, {rmig_version(rmig)}, "
        f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}; "
        f"import time limit {args.timeout} s. Placeholder reasons: "
        f"{sum(sum(v.values()) for v in reasons.values())} in all, "
        f"{len(reasons)} categories."
    )
    text = "\n".join([header, "", *table, "", *top, ""])
    if unparsed:
        text += "\nScripts the counter could not parse (their calls are not counted):\n"
        text += "".join(f"- {u}\n" for u in unparsed)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
