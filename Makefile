# rmig: the two set-up commands are `make demo` and `make test` (see README.md).

CARGO ?= cargo
RMIG := ./target/release/rmig

.PHONY: build demo test lint bench clean

build:
	$(CARGO) build --release

# The demo project in revisions/: its graph, its history, and the script an upgrade runs.
demo: build
	$(RMIG) heads
	$(RMIG) history
	$(RMIG) upgrade head --sql

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

test: lint
	$(CARGO) test

clean:
	$(CARGO) clean
