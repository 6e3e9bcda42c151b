# The two commands: `make run` and `make test`. Everything else is for developers.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha1sum | cut -c1-12)

.PHONY: run test lint check-migrations pytest bench load browser-deps clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $@

run: $(STAMP)
	$(BIN)/pacesetter migrate --no-input -v 0
	$(BIN)/pacesetter demo
	@echo ""
	@echo "  Pacesetter is serving on http://127.0.0.1:8000/"
	@echo "  Demo login: $$(cat var/demo_login.txt)"
	@echo ""
	$(BIN)/pacesetter serve

# Debian's chromium for the browser tests; installed when missing and we are root.
browser-deps:
	@if ! command -v chromium >/dev/null || ! command -v pdftoppm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core poppler-utils; \
	  else \
	    echo "ERROR: Debian's chromium or poppler-utils (pdftoppm) is missing; run: sudo apt-get install chromium poppler-utils" >&2; exit 1; \
	  fi; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

check-migrations: $(STAMP)
	PACESETTER_VAR=$$(mktemp -d) $(BIN)/pacesetter makemigrations --check --dry-run

pytest: $(STAMP) browser-deps
	$(BIN)/pytest -n 2

test: lint check-migrations pytest

bench: $(STAMP)
	$(BIN)/pacesetter bench

# The load test on loopback: gunicorn on a generated county, single reports at stepped rates
# with bulk uploads and dashboard reads alongside; merges load.* into var/bench/results.json.
load: $(STAMP)
	$(BIN)/pacesetter bench --load

clean:
	rm -rf $(VENV) var .hypothesis .pytest_cache .ruff_cache .mypy_cache
