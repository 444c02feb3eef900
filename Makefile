# The two commands of the README are `make run` and `make test`; the rest are helpers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-unit install dev lint typecheck migrate migration bench lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever pyproject.toml or the lock changes; versions are pinned by requirements.lock.
$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet -c requirements.lock -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

dev: $(VENV)/.installed-dev

WORKERS ?= 1

migrate: install  ## apply migrations to APP_DATABASE_URL (default: ./app.db)
	$(BIN)/users-posts migrate

run: migrate  ## serve the API on http://$(HOST):$(PORT) (docs at /docs)
	$(BIN)/users-posts serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: dev
	$(BIN)/mypy

test: lint typecheck  ## lint, import contracts, types, then every test (migrations included)
	$(BIN)/pytest

# The fast tests need no fuzzing: without schemathesis', hypothesis' and faker's pytest plugins, whose
# imports are most of pytest's start-up.
test-unit: dev  ## the unit tests and the contract suites on the in-memory adapters: no service, seconds
	$(BIN)/pytest tests/unit tests/contract --memory-only -q -p no:schemathesis -p no:hypothesispytest -p no:faker

migration: dev  ## autogenerate a revision: make migration m="add post table" (then review it!)
	@test -n "$(m)" || { echo 'usage: make migration m="what changes"'; exit 2; }
	$(BIN)/alembic upgrade head
	$(BIN)/alembic revision --autogenerate -m "$(m)"

$(VENV)/.installed-bench: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev,bench]'
	touch $(VENV)/.installed $(VENV)/.installed-dev $@

bench: $(VENV)/.installed-bench  ## load benchmark against the tutorial baselines and the app before (needs wrk)
	$(BIN)/python -m benchmarks.run

lock:  ## re-resolve pyproject.toml's ranges into requirements.lock (in a throwaway venv)
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --upgrade pip && .lock-venv/bin/pip install --quiet -e '.[dev]'
	{ head -n 2 requirements.lock; .lock-venv/bin/pip freeze --exclude-editable | grep -v '^-e'; } > requirements.lock.new
	mv requirements.lock.new requirements.lock && rm -rf .lock-venv

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .schemathesis *.egg-info
