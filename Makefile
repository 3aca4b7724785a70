# rmig: the two set-up commands are `make demo` and `make test` (see README.md).

CARGO ?= cargo
RMIG := ./target/release/rmig

.PHONY: build demo test lint bench clean

build:
	$(CARGO) build --release

# The demo project in revisions/, upgraded on the SQLite default (rmig.db here); a second
# run finds nothing to do.
demo: build
	$(RMIG) upgrade head
	$(RMIG) history --indicate-current

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

test: lint
	$(CARGO) test

# Scale check: time and peak memory (GNU time's -v) of heads, history and upgrade --sql on a
# generated graph of 10,000 revisions with branches and merges, then the criterion benchmark
# (benches/scaling.rs: load, plan up and down, render at 1k-20k revisions, with the growth
# exponent between sizes). Generated files go to bench-out/, which git ignores.
bench:
	@if [ ! -x /usr/bin/time ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "make bench: installing GNU time for /usr/bin/time -v"; \
	    apt-get install -y time >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y time >/dev/null; } || exit 1; \
	  else \
	    echo "make bench needs GNU time at /usr/bin/time: run 'sudo apt-get install -y time'" >&2; exit 1; \
	  fi; \
	fi
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
	$(CARGO) bench --bench scaling

clean:
	$(CARGO) clean
