#!/usr/bin/env bash
# Deploy recipe: lint the revisions, write the SQL about to run for review, then migrate,
# reacting to each exit status of rmig (0 done, 1 database or migration failed, 2 bad input,
# 3 blocked by the destructive-operation guard, 4 revisions pending).
#
#   examples/deploy/deploy.sh [--yes] [--strict-lint] [--allow-data-loss KIND:NAME|all]...
#
# Run it in the project folder (where rmig.toml is). The database comes from rmig's usual
# places: RMIG_URL, DATABASE_URL, then `url` in rmig.toml.
#   RMIG         the rmig binary (default: rmig on PATH)
#   RMIG_CONFIG  a config file other than ./rmig.toml (passed as -c)
#   REVIEW_FILE  where the SQL for review goes (default: rmig-review.sql)
# --yes            do not ask before migrating (a terminal asks; CI, with no terminal, never does)
# --strict-lint    stop when `check --lint` finds unconfirmed destructive operations, even in
#                  revisions this database already has
# --allow-data-loss  passed to the review and the upgrade: lets those operations run
#
# Exits with the status of the step that stopped it, so a pipeline can tell a bad revision
# file (2) from a refused data loss (3) from a failed migration (1).

set -uo pipefail

RMIG=${RMIG:-rmig}
REVIEW_FILE=${REVIEW_FILE:-rmig-review.sql}
config=()
if [ -n "${RMIG_CONFIG:-}" ]; then config=(-c "$RMIG_CONFIG"); fi
allow=()
yes=0
strict_lint=0
while [ $# -gt 0 ]; do
  case "$1" in
    --yes) yes=1 ;;
    --strict-lint) strict_lint=1 ;;
    --allow-data-loss) allow+=(--allow-data-loss "${2:?--allow-data-loss needs a value}"); shift ;;
    --allow-data-loss=*) allow+=("$1") ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "deploy: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

rmig() { "$RMIG" "${config[@]}" "$@"; }
say() { printf 'deploy: %s\n' "$*" >&2; }

# 1. Lint every revision, without a database.
rmig check --lint >&2
status=$?
case $status in
  0) say "lint: every destructive operation is confirmed" ;;
  3) if [ "$strict_lint" = 1 ]; then
       say "lint: destructive operations above are not confirmed; confirm them in the revision files (confirm_data_loss) and deploy again"
       exit 3
     fi
     say "lint: destructive operations above are not confirmed; the upgrade refuses them if this database still has to run them" ;;
  2) say "lint: the config or a revision file is invalid (see above); fix it and deploy again"; exit 2 ;;
  *) say "lint failed with status $status"; exit "$status" ;;
esac

# 2. Is there anything to do?
rmig check >&2
status=$?
case $status in
  0) say "the database is at its head(s): nothing to deploy"; exit 0 ;;
  4) ;; # revisions pending: go on
  1) say "cannot read the database (see above): is it up, and is the URL right?"; exit 1 ;;
  2) say "bad input (see above): the database may hold a revision no file declares"; exit 2 ;;
  *) say "check failed with status $status"; exit "$status" ;;
esac

# 3. The SQL that will run, from where the database is, for review. The guard runs here too,
#    so a refused data loss stops the deploy before anything touches the database.
current=$(rmig current | awk '{print $1}')
rows=$(printf '%s' "$current" | grep -c . || true)
case $rows in
  0) range="head" ;;                 # a fresh database: the whole history
  1) range="$current:head" ;;
  *) range="head"                    # several heads: the script from base, for reading
     say "the database has several heads; $REVIEW_FILE holds the script from base" ;;
esac
rmig upgrade "$range" --sql "${allow[@]}" > "$REVIEW_FILE"
status=$?
case $status in
  0) say "the SQL to run is in $REVIEW_FILE ($(wc -l < "$REVIEW_FILE") lines)" ;;
  3) say "the pending revisions would destroy data (see above); nothing ran. Confirm each operation in its revision file, or pass --allow-data-loss for this deploy"
     exit 3 ;;
  2) say "cannot plan the upgrade (see above)"; exit 2 ;;
  *) say "writing the review script failed with status $status"; exit "$status" ;;
esac

if [ "$yes" = 0 ] && [ -t 0 ]; then
  read -r -p "Apply $REVIEW_FILE to the database? [y/N] " answer
  case $answer in
    y|Y|yes) ;;
    *) say "not applied"; exit 0 ;;
  esac
fi

# 4. Migrate: one transaction per revision, under the migration lock.
rmig upgrade head "${allow[@]}"
status=$?
case $status in
  0) say "deployed: the database is at $(rmig current | awk '{print $1}' | paste -sd, -)"; exit 0 ;;
  1) say "a migration failed (see above): its step was rolled back and the steps before it stay; the database is at $(rmig current | awk '{print $1}' | paste -sd, -). Fix the revision and deploy again"
     exit 1 ;;
  3) say "blocked by the guard (see above): a revision arrived since the review? nothing ran"; exit 3 ;;
  2) say "bad input (see above)"; exit 2 ;;
  *) say "upgrade failed with status $status"; exit "$status" ;;
esac
