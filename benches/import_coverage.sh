#!/usr/bin/env bash
# How much of real Alembic projects `rmig import-alembic` converts (issue 16), run by
# `make bench-import`: downloads pinned releases of public projects that ship their Alembic
# migrations inside their wheels (cached in bench-out/import/downloads/), imports each with the
# release rmig into bench-out/import/rmig/LABEL/, and prints the coverage table and the
# placeholder reasons (benches/import_coverage.py, standard library only), also written to
# bench-out/import/coverage.md. An import that fails or times out is a row, not an abort.
set -euo pipefail
cd "$(dirname "$0")/.."
RMIG=$(realpath "${RMIG:-./target/release/rmig}")
export RMIG
PYTHON=${PYTHON:-python3}
TIMEOUT=${IMPORT_TIMEOUT:-300}
OUT=bench-out/import

# label, pinned requirement, and the Alembic project inside the unpacked wheel: its own
# alembic.ini or script folder, or "ini" for the minimal alembic.ini written by `write_ini`
# (where the project sets script_location or version_locations in code).
PROJECTS=(
  "airflow apache-airflow-core==3.3.2 airflow/alembic.ini"
  "superset apache-superset==6.1.0 ini"
  "neutron neutron==29.0.0 ini"
  "prefect-postgresql prefect==3.9.1 ini"
  "prefect-sqlite prefect==3.9.1 ini"
  "mlflow mlflow-skinny==3.18.0 ini"
  "optuna optuna==5.1.0 optuna/storages/_rdb/alembic.ini"
)

# The alembic.ini each project's own code amounts to, written at the unpacked wheel's root.
write_ini() {
  local label=$1
  echo "[alembic]"
  case $label in
    # Flask-Migrate: the ini shipped has no script_location; `flask db` passes the folder.
    superset) echo "script_location = %(here)s/superset/migrations" ;;
    # neutron/db/migration/cli.py sets version_locations to versions/ and every
    # versions/RELEASE/{expand,contract}: the same files as a recursive versions/.
    neutron)
      echo "script_location = %(here)s/neutron/db/migration/alembic_migrations"
      echo "version_locations = %(here)s/neutron/db/migration/alembic_migrations/versions"
      echo "recursive_version_locations = true"
      ;;
    # prefect's env.py picks versions/postgresql or versions/sqlite by dialect.
    prefect-*)
      echo "script_location = %(here)s/prefect/server/database/_migrations"
      echo "version_locations = %(here)s/prefect/server/database/_migrations/versions/${label#prefect-}"
      ;;
    # mlflow/store/db_utils.py sets script_location to the package folder.
    mlflow) echo "script_location = %(here)s/mlflow/store/db_migrations" ;;
    *) echo "write_ini: no minimal alembic.ini for $label" >&2; return 1 ;;
  esac
}

[ -x "$RMIG" ] || { echo "no rmig at $RMIG: run 'cargo build --release' first" >&2; exit 1; }
mkdir -p "$OUT/downloads" "$OUT/src" "$OUT/rmig"
rows=()
for project in "${PROJECTS[@]}"; do
  read -r label requirement alembic_src <<< "$project"
  downloads="$OUT/downloads/$requirement"
  if ! compgen -G "$downloads/*.whl" > /dev/null; then
    echo "downloading $requirement" >&2
    "$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps \
      --only-binary :all: "$requirement" -d "$downloads"
  fi
  unpacked="$OUT/src/$requirement"
  if [ ! -e "$unpacked/.unpacked" ]; then
    rm -rf "$unpacked"
    "$PYTHON" -m zipfile -e "$downloads"/*.whl "$unpacked"
    touch "$unpacked/.unpacked"
  fi
  if [ "$alembic_src" = ini ]; then
    alembic_src="$label.alembic.ini"
    write_ini "$label" > "$unpacked/$alembic_src"
  fi
  into="$OUT/rmig/$label"
  rm -rf "$into" && mkdir -p "$into"
  echo "importing $label ($requirement)" >&2
  status=0
  timeout "$TIMEOUT" "$RMIG" import-alembic "$unpacked/$alembic_src" --into "$into" \
    > "$into.stdout" 2> "$into.stderr" || status=$?
  echo "$status" > "$into.status"
  rows+=("$label" "$requirement" "$unpacked/$alembic_src" "$into")
done

"$PYTHON" benches/import_coverage.py --out "$OUT/coverage.md" --timeout "$TIMEOUT" "${rows[@]}"
