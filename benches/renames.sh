#!/usr/bin/env bash
# The rename matcher's cost in the guard (issue 14), run by `make bench-renames`: a plan of N
# revisions that each drop (confirmed) a table of five columns and create another of the same
# shape, after N revisions creating the dropped tables. Every drop is then compared with every
# create, the matcher's worst case: wall time and peak memory of `rmig upgrade START:head --sql`
# for N = 250, 500, 1000. No database is touched. GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
RMIG=$(realpath "${RMIG:-./target/release/rmig}")
OUT=bench-out/renames
for n in 250 500 1000; do
  rm -rf "$OUT" && mkdir -p "$OUT/revisions"
  printf 'script_location = "revisions"\nurl = "postgresql://bench@127.0.0.1/unused"\n' > "$OUT/rmig.toml"
  prev=""
  for ((i = 0; i < 2 * n; i++)); do
    id=$(printf '%012x' $((i + 1)))
    t=$((i < n ? i : i - n))
    columns="[ { name = \"id\", type = \"integer\", primary_key = true }, { name = \"amount_$t\", type = \"integer\" }, { name = \"user_id\", type = \"integer\" }, { name = \"note\", type = \"text\" }, { name = \"created_at\", type = \"timestamp\" } ]"
    {
      echo "revision = \"$id\""
      [ -n "$prev" ] && echo "down_revision = \"$prev\""
      echo "downgrade = []"
      if ((i < n)); then
        printf '[[upgrade]]\nop = "create_table"\ntable_name = "t%s"\ncolumns = %s\n' "$t" "$columns"
      else
        printf '[[upgrade]]\nop = "drop_table"\ntable_name = "t%s"\nconfirm_data_loss = "t%s"\ncolumns = %s\n' "$t" "$t" "$columns"
        printf '[[upgrade]]\nop = "create_table"\ntable_name = "u%s"\ncolumns = %s\n' "$t" "$columns"
      fi
    } > "$OUT/revisions/${id}_x.toml"
    prev=$id
  done
  start=$(printf '%012x' "$n")
  (cd "$OUT" && /usr/bin/time -f "N=$n: %e s, %M KB peak" "$RMIG" upgrade "$start:head" --sql > /dev/null)
done
