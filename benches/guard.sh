#!/usr/bin/env bash
# The guard's costs (issue 13), run by `make bench-guard`:
#  1. a plan blocked on a 5,000,000-row table by four findings (three dropped columns and a
#     type change of a fourth): wall time of `rmig upgrade head` until it exits 3, and how many
#     times the table was scanned (each table must be counted once);
#  2. one `execute` of 100,000 statements (900 KB) classified by `check --lint` and by
#     `upgrade head --sql`: wall time and peak memory.
# PostgreSQL on 127.0.0.1:5432 as user postgres (PGHOST/PGPORT/PGUSER to change); GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
RMIG=$(realpath "${RMIG:-./target/release/rmig}")
RUNS=${BENCH_RUNS:-5}
OUT=bench-out/guard
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
DB=rmig_bench_guard
rm -rf "$OUT" && mkdir -p "$OUT/big/revisions" "$OUT/huge/revisions"

psql -qX -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
psql -qX -d "$DB" -c "CREATE TABLE events AS SELECT g AS id, g % 97 AS a, md5(g::text) AS b, now() AS c, g::numeric(12,2) AS d FROM generate_series(1, 5000000) g" -c "ANALYZE events"
cat > "$OUT/big/revisions/b1000001_trim.toml" <<'EOF'
revision = "b1000001"
message = "trim events"
downgrade = []

[[upgrade]]
op = "drop_column"
table_name = "events"
column_name = "a"

[[upgrade]]
op = "drop_column"
table_name = "events"
column_name = "b"

[[upgrade]]
op = "drop_column"
table_name = "events"
column_name = "c"

[[upgrade]]
op = "alter_column"
table_name = "events"
column_name = "d"
existing_type = "numeric(12,2)"
type_ = "integer"
EOF
printf 'script_location = "revisions"\nurl = "postgresql://%s@%s:%s/%s?sslmode=disable"\n' \
  "$PGUSER" "$PGHOST" "$PGPORT" "$DB" > "$OUT/big/rmig.toml"

scans() {
  psql -qXAt -d "$DB" -c "SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'events'"
}
echo "blocked plan, 5,000,000 rows, four findings on one table ($RUNS runs):"
for _ in $(seq "$RUNS"); do
  before=$(scans)
  start=$(date +%s.%N)
  code=0
  (cd "$OUT/big" && "$RMIG" upgrade head > /dev/null 2> ../blocked.txt) || code=$?
  end=$(date +%s.%N)
  sleep 1 # statistics reach pg_stat_user_tables after the session ends
  echo "  exit $code, $(echo "$end - $start" | bc) s, $(( $(scans) - before )) scan(s) of events"
done
grep -o '([0-9]* non-null values would be lost)' "$OUT/blocked.txt" | sort | uniq -c | sed 's/^/  report: /'
# PostgreSQL counts a parallel scan once per worker: one more run without parallel workers
# shows how many scans rmig itself asked for.
psql -qX -d postgres -c "ALTER DATABASE $DB SET max_parallel_workers_per_gather = 0"
before=$(scans)
(cd "$OUT/big" && "$RMIG" upgrade head > /dev/null 2>&1) || true
sleep 1
echo "  without parallel workers: $(( $(scans) - before )) scan(s) of events"
psql -qX -d postgres -c "DROP DATABASE $DB"

python3 - "$OUT/huge/revisions/c1000001_many.toml" <<'EOF'
import sys
sql = "SELECT 1;" * 100000
with open(sys.argv[1], "w") as f:
    f.write('revision = "c1000001"\ndowngrade = []\n\n[[upgrade]]\nop = "execute"\n')
    f.write('sqltext = """' + sql + '"""\n')
EOF
printf 'script_location = "revisions"\nurl = "sqlite:///huge.db"\n' > "$OUT/huge/rmig.toml"
echo "one execute of 100,000 statements ($(wc -c < "$OUT/huge/revisions/c1000001_many.toml") bytes):"
for command in "check --lint" "upgrade head --sql"; do
  # shellcheck disable=SC2086
  (cd "$OUT/huge" && /usr/bin/time -v "$RMIG" $command > /dev/null 2> ../time.txt)
  echo "  $command: $(grep -o 'Elapsed.*' "$OUT/time.txt" | sed 's/.*: //') wall, $(grep -o 'Maximum resident set size (kbytes): [0-9]*' "$OUT/time.txt" | grep -o '[0-9]*$') KB peak"
done
