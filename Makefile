# benefits-ledger — build, demo, test and lint entry points (GNU make).
#
#   make demo     build the venv if needed, then run the demo on a fresh SQLite file (N beneficiaries)
#   make test     whole test suite (PostgreSQL tests skip unless PostgreSQL is reachable; see `make pg`)
#   make lint     ruff (lint + format check), mypy --strict, import-linter contracts
#   make pg       install/start the local PostgreSQL and create the test databases (root)

PY ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
N ?= 2000
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help setup demo test lint pg clean

help:
	@echo "targets: setup demo test lint pg clean"
	@echo "  make demo [N=$(N)]          run the demo on a fresh ./ledger.db"
	@echo "  make test [PYTEST_ARGS=...] run the test suite"

# The venv is (re)built whenever pyproject.toml changes; the stamp records a complete install.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --disable-pip-version-check -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(BIN)/ledger demo --beneficiaries $(N)

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

pg:
	bash .ci/postgres.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .import_linter_cache \
		build dist *.egg-info ledger.db ledger.db-journal ledger.db-wal ledger.db-shm
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
