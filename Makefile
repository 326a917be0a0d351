# benefits-ledger — build, demo, test and lint entry points (GNU make).
#
#   make demo     build the venv if needed, then run the demo on a fresh SQLite file (N beneficiaries)
#   make test     whole test suite, on SQLite and PostgreSQL (started, or installed as root, by
#                 .ci/postgres.sh when it is not running; its test database created if missing). Only
#                 where no PostgreSQL can be had are its variants skipped, and the run says so in one line
#   make bench    the benchmark suite on PostgreSQL (bench/run.py; N beneficiaries, default 100,000;
#                 SCALE=1000000 adds the roster and history figures at that size); see BENCHMARKS.md
#   make bench-smoke  the same at N=2,000, as CI runs it (figures printed, times never asserted)
#   make lint     ruff (lint + format check), mypy --strict, import-linter contracts
#   make pg       install/start the local PostgreSQL and create the test databases (root)

PY ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
N ?= 2000
PYTEST_ARGS ?=
# `make bench` takes N from the command line or the environment, else the issue's 100,000 (N's 2,000
# default is the demo's). SCALE empty: no scale mode. BENCH_ARGS: more options of bench/run.py.
BENCH_N = $(if $(filter command line environment,$(origin N)),$(N),100000)
SCALE ?=
BENCH_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help setup demo serve test test-unit lint pg pg-if-possible clean bench bench-smoke

help:
	@echo "targets: setup demo test lint pg clean bench bench-smoke"
	@echo "  make demo [N=$(N)]          run the demo on a fresh ./ledger.db"
	@echo "  make serve                  the API and the pages on it (http://127.0.0.1:8000/pages/)"
	@echo "  make test [PYTEST_ARGS=...] run the test suite (make test-unit: no database, seconds)"
	@echo "  make bench [N=100000] [SCALE=1000000] [BENCH_ARGS=...]  benchmark suite on PostgreSQL"
	@echo "  make bench-smoke            the benchmark at N=2000 (as CI runs it)"

# The venv is (re)built whenever pyproject.toml changes; the stamp records a complete install. pip's
# output goes to $(VENV)/install.log, one line on screen; a failed install prints the log's last lines.
INSTALL_LOG = $(VENV)/install.log
$(VENV)/.installed: pyproject.toml
	@echo "Đang cài đặt môi trường Python vào $(VENV) (nhật ký: $(INSTALL_LOG)) …"
	@mkdir -p $(VENV)
	@{ test -x $(BIN)/python || $(PY) -m venv $(VENV); } > $(INSTALL_LOG) 2>&1 \
	  && $(BIN)/pip install --disable-pip-version-check --upgrade pip >> $(INSTALL_LOG) 2>&1 \
	  && $(BIN)/pip install --disable-pip-version-check -e '.[dev]' >> $(INSTALL_LOG) 2>&1 \
	  || { echo "Cài đặt không thành công (installation failed). Cuối nhật ký $(INSTALL_LOG):"; \
	       tail -n 30 $(INSTALL_LOG); exit 1; }
	@touch $@
	@echo "Đã cài đặt xong (installed)."

setup: $(VENV)/.installed

demo: setup
	$(BIN)/ledger demo --beneficiaries $(N)

# The API and the pages (http://127.0.0.1:8000/pages/) on the store of `make demo`.
serve: setup
	$(BIN)/ledger serve

test: setup pg-if-possible
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The tests that need no database: value objects, the catalogue and rates, the XLSX writer, and the
# rules' worked examples that run on the domain alone (tests/rules: those with a store are left out).
test-unit: setup
	$(BIN)/python -m pytest tests/unit tests/rules -k "not sqlite and not postgres" $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

pg:
	bash .ci/postgres.sh

# PostgreSQL for `make test` and `make bench` when the tests use the local server (no
# LEDGER_TEST_POSTGRES_URL): .ci/postgres.sh starts it, or installs it as root; a machine where it
# cannot is told so in one line, and the suite then skips its PostgreSQL variants (also in one line).
pg-if-possible:
	@if [ -n "$$LEDGER_TEST_POSTGRES_URL" ]; then exit 0; fi; \
	if out=$$(bash .ci/postgres.sh 2>&1); then echo "$$out" | tail -n 1; \
	else echo "[make] no local PostgreSQL could be started: $$(echo "$$out" | tail -n 1)"; fi

# Figures on stdout (`name: value`), progress on stderr; a fresh bench_* schema of the PostgreSQL
# database (BENCH_DATABASE_URL, else LEDGER_TEST_POSTGRES_URL, else ledger_test on 127.0.0.1), dropped
# afterwards. Nothing is asserted: these are measurements.
bench: setup pg-if-possible
	$(BIN)/python bench/run.py --n $(BENCH_N) $(if $(SCALE),--scale $(SCALE)) $(BENCH_ARGS)

bench-smoke: setup pg-if-possible
	$(BIN)/python bench/run.py --n 2000 $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .import_linter_cache \
		build dist *.egg-info ledger.db ledger.db-journal ledger.db-wal ledger.db-shm
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
