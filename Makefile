# The two commands of the README are `make run` and `make test`; the rest are helpers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-unit install dev lint typecheck migrate migration bench lock clean wheelhouse local-base image image-test

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
	@# Lines with a marker (wheels only older Pythons need, e.g. Debian 12's 3.11.2 in the image) are kept.
	{ head -n 2 requirements.lock; { .lock-venv/bin/pip freeze --exclude-editable | grep -v '^-e'; \
	  grep '^[^#].*;' requirements.lock; } | LC_ALL=C sort -f -s -t= -k1,1; } > requirements.lock.new
	mv requirements.lock.new requirements.lock && rm -rf .lock-venv

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .schemathesis *.egg-info build wheelhouse

# --- The container image (Containerfile; docs/operations.md) ---
IMAGE ?= users-posts:latest
BASE ?= docker.io/library/python:3.11-slim-bookworm
# Debian 12 with python3, made on this machine by debootstrap (for machines that reach no registry).
LOCAL_BASE ?= localhost/users-posts-base:bookworm
DEBIAN_MIRROR ?= http://deb.debian.org/debian
ENGINE ?= $(shell command -v podman >/dev/null 2>&1 && echo podman || echo docker)
ifeq ($(ENGINE),podman)
# crun refuses to run here and the default ulimits fail setrlimit; the docker format keeps HEALTHCHECK
# (the OCI format drops it).
ENGINE_CMD := podman --runtime runc --cgroup-manager cgroupfs
BUILD_OPTIONS := --format docker --layers=false --ulimit nofile=1024:1024 --ulimit nproc=1000:1000
else
ENGINE_CMD := $(ENGINE)
BUILD_OPTIONS :=
endif

# What goes into the wheel: the wheelhouse is made again only when one of these changed.
PACKAGE_FILES := pyproject.toml requirements.lock README.md $(shell find domain application infrastructure \
	api migrations -name __pycache__ -prune -o \( -type d -o -name '*.py' -o -name '*.mako' \) -print)

wheelhouse/.made: $(PACKAGE_FILES)
	rm -rf wheelhouse build
	$(PYTHON) -m pip wheel --quiet -c requirements.lock -w wheelhouse .
	@# The lock's lines with markers are wheels only some Pythons need (Debian 12's 3.11.2 among them).
	grep '^[^#].*;' requirements.lock | sed 's/ *;.*//' | $(PYTHON) -m pip wheel --quiet --no-deps -w wheelhouse -r /dev/stdin
	touch $@

wheelhouse: wheelhouse/.made  ## the project's wheel and its locked dependencies, for the image

local-base:  ## make $(LOCAL_BASE) with debootstrap, unless it exists
	@$(ENGINE_CMD) image inspect $(LOCAL_BASE) >/dev/null 2>&1 || { \
	  set -e; rootfs=$$(mktemp -d); trap 'rm -rf "$$rootfs" "$$rootfs.log"' EXIT; \
	  echo "making $(LOCAL_BASE) with debootstrap"; \
	  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$$rootfs" \
	    $(DEBIAN_MIRROR) >"$$rootfs.log" 2>&1 || { cat "$$rootfs.log"; exit 1; }; \
	  rm -rf "$$rootfs"/var/cache/apt/archives/*.deb "$$rootfs"/var/lib/apt/lists/*; \
	  tar -C "$$rootfs" -c . | $(ENGINE_CMD) import --quiet - $(LOCAL_BASE) >/dev/null; }

image: wheelhouse  ## build the image $(IMAGE) on $(BASE), with no network in the build
	$(ENGINE_CMD) build $(BUILD_OPTIONS) --network none --build-arg BASE=$(BASE) -t $(IMAGE) -f Containerfile .

image-test: dev  ## build the image on the local base and run it through tests/e2e/test_image.py
	$(BIN)/pytest tests/e2e/test_image.py
