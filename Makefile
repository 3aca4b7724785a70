# rmig: the two set-up commands are `make demo` and `make test` (see README.md).

CARGO ?= cargo
RMIG := ./target/release/rmig

.PHONY: build demo test lint bench clean man

build:
	$(CARGO) build --release

# The demo project in revisions/, upgraded on the SQLite default (rmig.db here); a second
# run finds nothing to do.
demo: build
	$(RMIG) upgrade head
	$(RMIG) history --indicate-current

# Each database alone, without the command line (as a service depending on the library
# builds it, `default-features = false`) and with it, and the example service crate.
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) clippy --all-targets --features async,__internals -- -D warnings
	$(CARGO) clippy --lib --no-default-features --features postgres -- -D warnings
	$(CARGO) clippy --lib --no-default-features --features postgres,async -- -D warnings
	$(CARGO) clippy --lib --no-default-features --features sqlite -- -D warnings
	$(CARGO) clippy --lib --no-default-features --features mysql -- -D warnings
	$(CARGO) clippy --no-default-features --features cli,postgres -- -D warnings
	$(CARGO) clippy --no-default-features --features cli,sqlite -- -D warnings
	$(CARGO) clippy --no-default-features --features cli,mysql -- -D warnings
	$(CARGO) clippy -p embedded-postgres -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --features async

# `--features async` so the async library API (tests/library.rs) is tested too; the
# examples must keep compiling, since the README points at them.
test: lint alembic-venv gnu-time
	$(CARGO) build --examples --features async
	$(CARGO) build --lib --no-default-features --features postgres
	$(CARGO) test --features async
	$(MAKE) --no-print-directory example-service

# examples/embedded_postgres, a crate depending on rmig with `default-features = false`, run
# twice on a scratch database of the test server (RMIG_TEST_DATABASE_URL): it migrates the
# `postgres::Client` it made, then finds nothing to do.
PG_TEST_URL := $(or $(RMIG_TEST_DATABASE_URL),postgres://postgres@127.0.0.1:5432/postgres)
.PHONY: example-service
example-service:
	$(CARGO) build -p embedded-postgres
	@db=rmig_example_$$$$; base="$(PG_TEST_URL)"; base=$${base%/*}; \
	psql "$(PG_TEST_URL)" -qc "CREATE DATABASE $$db" || { echo "make example-service needs PostgreSQL at $(PG_TEST_URL): start it (pg_ctlcluster --skip-systemctl-redirect \$$(ls /etc/postgresql) main start) or set RMIG_TEST_DATABASE_URL" >&2; exit 1; }; \
	./target/debug/embedded-postgres "$$base/$$db" && ./target/debug/embedded-postgres "$$base/$$db" | grep "already at"; \
	status=$$?; psql "$(PG_TEST_URL)" -qc "DROP DATABASE $$db WITH (FORCE)"; exit $$status

# Alembic for tests/alembic_conformance.rs, which runs the real thing beside rmig: a virtual
# environment in .venv/ (git-ignored) with pinned versions, installed only when the stamp for
# these pins is missing, so repeated runs skip it. The tests find it through RMIG_ALEMBIC_PYTHON.
# sqlalchemy-utils: the column types real projects use, in tests/alembic_realistic_project.
# PyMySQL: the driver Alembic reaches MySQL and MariaDB through (mysql+pymysql:// URLs).
.PHONY: alembic-venv
PYTHON ?= python3
VENV := .venv
ALEMBIC_PINS := alembic==1.20.1 sqlalchemy==2.1.9 psycopg2-binary==2.9.13 sqlalchemy-utils==0.43.0 PyMySQL==1.2.4
ALEMBIC_STAMP := $(VENV)/.installed-alembic-1.20.1-sqlalchemy-2.1.9-psycopg2-binary-2.9.13-sqlalchemy-utils-0.43.0-PyMySQL-1.2.4
export RMIG_ALEMBIC_PYTHON ?= $(CURDIR)/$(VENV)/bin/python

alembic-venv: $(ALEMBIC_STAMP)

$(ALEMBIC_STAMP):
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check $(ALEMBIC_PINS)
	touch $@

# The man pages, generated from the clap definition: target/man/rmig.1 and one per command.
man: build
	$(RMIG) man --dir target/man
	@echo "read it with: man ./target/man/rmig.1"

# GNU time, for /usr/bin/time -v (peak memory): installed when missing and running as root.
.PHONY: gnu-time
gnu-time:
	@if [ ! -x /usr/bin/time ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "make bench: installing GNU time for /usr/bin/time -v"; \
	    apt-get install -y time >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y time >/dev/null; } || exit 1; \
	  else \
	    echo "make bench needs GNU time at /usr/bin/time: run 'sudo apt-get install -y time'" >&2; exit 1; \
	  fi; \
	fi

# Scale check: first the side-by-side comparison (bench-compare, below), then time and peak
# memory (GNU time's -v) of heads, history and upgrade --sql on a generated graph of 10,000
# revisions with branches and merges, then the criterion benchmark (benches/scaling.rs: load,
# plan up and down, render at 1k-20k revisions, with the growth exponent between sizes).
# Generated files go to bench-out/, which git ignores.
bench: gnu-time bench-compare
	$(CARGO) build --release --bin rmig --example generate_revisions
	rm -rf bench-out/revs10k
	./target/release/examples/generate_revisions bench-out/revs10k 10000
	printf 'script_location = "revs10k"\nurl = "postgresql://localhost/rmig_bench"\n' > bench-out/rmig.toml
	@for cmd in "heads" "history" "upgrade head --sql"; do \
	  name=$$(echo "$$cmd" | tr -d '-' | tr ' ' '_'); \
	  /usr/bin/time -v -o bench-out/time_$$name.txt $(RMIG) -c bench-out/rmig.toml $$cmd > bench-out/out_$$name.txt || exit 1; \
	  echo "rmig $$cmd (10,000 revisions; $$(wc -l < bench-out/out_$$name.txt) lines of output):"; \
	  grep -E 'Elapsed \(wall clock\)|Maximum resident set size' bench-out/time_$$name.txt; \
	done
	$(CARGO) bench --bench scaling --features __internals

# The table of BENCHMARKS.md (issue 8): rmig beside Alembic 1.20 (the venv above) on the same
# generated graphs, and beside psql applying the same SQL to a fresh database on the local
# PostgreSQL (127.0.0.1:5432, user postgres; PGHOST/PGPORT/PGUSER to change), each figure the
# median of BENCH_RUNS runs with peak memory from GNU time. 20 to 45 minutes on 2 cores
# (Alembic takes seconds per command at 10,000 revisions). Prints the table and writes it to
# bench-out/compare.md; BENCH_ARGS passes more options (e.g. `--sizes 100,1000 --only offline`).
.PHONY: bench-compare
BENCH_RUNS ?= 5
BENCH_ARGS ?=
bench-compare: gnu-time alembic-venv
	@command -v psql >/dev/null || { echo "make bench-compare needs psql: apt-get install -y postgresql-client" >&2; exit 1; }
	$(CARGO) build --release --bin rmig --example generate_revisions
	$(VENV)/bin/python benches/compare.py --runs $(BENCH_RUNS) --out bench-out/compare.md $(BENCH_ARGS)

# bench-compare's applying part on MariaDB or MySQL (the local server, 127.0.0.1:3306, user
# root without a password; MYSQL_HOST/MYSQL_TCP_PORT/MYSQL_USER to change): 1,000 revisions each
# creating a table, applied to a fresh database by rmig, by Alembic 1.20 (the venv, PyMySQL) and
# by the `mysql` client running rmig's `upgrade head --sql` script, each figure the median of
# BENCH_RUNS runs (3 when a run takes over 10 s) with peak memory from GNU time. Prints the
# table and writes it to bench-out/compare-mysql.md; a few minutes (every CREATE TABLE is a
# commit to disk on the server). BENCH_ARGS passes more options (e.g. `--apply-tables 100`).
.PHONY: bench-mysql
bench-mysql: gnu-time alembic-venv
	@command -v mysql >/dev/null || { echo "make bench-mysql needs the mysql client: apt-get install -y mariadb-client" >&2; exit 1; }
	$(CARGO) build --release --bin rmig --example generate_revisions
	$(VENV)/bin/python benches/compare.py --database mysql --only apply --apply-empty 0 \
	  --runs $(BENCH_RUNS) --out bench-out/compare-mysql.md $(BENCH_ARGS)

# The guard's costs (issue 13): a plan blocked on a 5,000,000-row table (wall time, scans of
# the table) and one execute of 100,000 statements classified (time, peak memory). Needs psql
# and the local PostgreSQL; a few minutes, most of it filling the table.
.PHONY: bench-guard
bench-guard: gnu-time
	@command -v psql >/dev/null || { echo "make bench-guard needs psql: apt-get install -y postgresql-client" >&2; exit 1; }
	@command -v bc >/dev/null || { echo "make bench-guard needs bc: apt-get install -y bc" >&2; exit 1; }
	$(CARGO) build --release --bin rmig
	BENCH_RUNS=$(BENCH_RUNS) benches/guard.sh

# The rename matcher's worst case in the guard: N confirmed drops and N creates of one shape in
# one plan, compared pairwise (time, peak memory). No database needed.
.PHONY: bench-renames
bench-renames: gnu-time
	$(CARGO) build --release --bin rmig
	benches/renames.sh

# The application's latency while one migration runs (issue 18): pgbench as the application
# (4 clients, 100 transactions/s, a point UPDATE and SELECT on a 2,000,000-row table) and, per
# migration (create index, add column and drop index behind a long report, check, foreign key,
# set not null, drop index), a fresh database each for no migration (the floor), rmig and
# Alembic 1.20 (the venv). Needs pgbench and the local PostgreSQL (PGHOST/PGPORT/PGUSER to
# change); prints the table and writes it to bench-out/locks.md; 3 to 4 minutes.
# BENCH_ARGS passes more options, e.g. `--rows 200000` for a quick run, `--only create_index`.
.PHONY: bench-locks
bench-locks: alembic-venv
	@command -v pgbench >/dev/null || { echo "make bench-locks needs pgbench, which comes with the PostgreSQL server (apt-get install -y postgresql)" >&2; exit 1; }
	$(CARGO) build --release --bin rmig
	$(VENV)/bin/python benches/locks.py --out bench-out/locks.md $(BENCH_ARGS)

# How much of real Alembic projects `rmig import-alembic` converts (issue 16): pinned releases of
# six public projects (their wheels cached in bench-out/import/downloads/), each imported with
# the release rmig; prints the per-project table and the placeholder reasons by count, also in
# bench-out/import/coverage.md. Needs PyPI the first time; about a minute after that.
.PHONY: bench-import
bench-import:
	$(CARGO) build --release --bin rmig
	benches/import_coverage.sh

clean:
	$(CARGO) clean

# Fuzzing, outside CI: each target in fuzz/ (its own crate, not part of this one's build)
# runs FUZZ_SECONDS under libFuzzer with the sanitizer, starting from fuzz/seeds/, the inputs
# fixed so far (fuzz/regressions/) and what earlier runs kept in fuzz/corpus/. It needs a
# nightly toolchain and cargo-fuzz (installed here when missing). A crash lands in
# fuzz/artifacts/<target>/: fix it, then copy the input into fuzz/regressions/<target>/,
# which src/fuzz_regressions.rs replays in `make test`.
.PHONY: fuzz
FUZZ_SECONDS ?= 300
FUZZ_TARGETS := revision_loader revision_resolver database_url config_loader duration_parser
fuzz:
	@rustup toolchain list | grep -q '^nightly' || { echo "make fuzz needs a nightly toolchain: rustup toolchain install nightly" >&2; exit 1; }
	@command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz
	@for target in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/corpus/$$target; \
	  cp -n fuzz/seeds/$$target/* fuzz/regressions/$$target/* fuzz/corpus/$$target/ 2>/dev/null; \
	  echo "fuzzing $$target for $(FUZZ_SECONDS) s"; \
	  (cd fuzz && $(CARGO) +nightly fuzz run -O $$target corpus/$$target -- \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048) || exit 1; \
	done
