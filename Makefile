# The two commands of the contract: `make demo` and `make test`. Both set everything up first.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy

# PostgreSQL and Redis as the machine runs them; override on the command line or in the env.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: setup demo test test-clock test-fast lint format browser-deps seed-scale bench eval-matching serve backup restore loadtest clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

setup: $(VENV)/.synced

demo: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "Serving on http://0.0.0.0:8000/ (log in with an account above)"
	$(PY) manage.py runserver 0.0.0.0:8000

serve: setup
	$(PY) manage.py runserver 0.0.0.0:8000

browser-deps:
	bash scripts/ensure-browser.sh

test: setup browser-deps
	DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) REDIS_URL= \
		$(VENV)/bin/pytest --durations=15 $(PYTEST_ARGS)

# The suite under a moved clock: 17:00 UTC (the next day in Beijing) and the second day of a
# quarter. No test may depend on the hour or the date it runs at.
test-clock: setup browser-deps
	DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) REDIS_URL= \
		TEST_CLOCK=2026-12-01T17:00:00Z $(VENV)/bin/pytest -m "not worker" $(PYTEST_ARGS)
	DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) REDIS_URL= \
		TEST_CLOCK=2026-10-02T09:30:00+08:00 $(VENV)/bin/pytest -m "not worker" $(PYTEST_ARGS)

# Everything except the browser and worker tests, for a quick loop while coding.
test-fast: setup
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL= $(VENV)/bin/pytest -m "not browser and not worker" $(PYTEST_ARGS)

# ruff, and the import-linter contract that keeps the floors (pyproject.toml, [tool.importlinter]).
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The Beijing-scale dataset lives in its own PostgreSQL database (created when missing).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/bench
seed-scale: setup
	psql "$(dir $(BENCH_DATABASE_URL))postgres" -tAc "select 1 from pg_database where datname='$(notdir $(BENCH_DATABASE_URL))'" | grep -q 1 \
		|| psql "$(dir $(BENCH_DATABASE_URL))postgres" -c "create database $(notdir $(BENCH_DATABASE_URL))"
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py migrate --noinput
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py seed_scale

# Prints the figures and keeps them, with the machine's load before and after, in bench/results.txt.
BENCH_RESULTS ?= bench/results.txt
bench: seed-scale
	@mkdir -p $(dir $(BENCH_RESULTS))
	set -o pipefail; { \
		echo "make bench at $$(date -u +%Y-%m-%dT%H:%M:%SZ) on $$(nproc) cores, load average $$(cut -d' ' -f1-3 /proc/loadavg)"; \
		DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench $(BENCH_ARGS); \
		echo "done at $$(date -u +%Y-%m-%dT%H:%M:%SZ), load average $$(cut -d' ' -f1-3 /proc/loadavg)"; \
	} 2>&1 | tee $(BENCH_RESULTS)

# The real stack on loopback (gunicorn, PostgreSQL, a private Redis, two workers, beat) under 50
# users for a minute, with a worker killed and Redis restarted in the middle. Not part of `make test`.
loadtest: setup
	$(PY) scripts/loadtest.py

# Backups of the database (pg_dump custom format) and the media files, and their restore into an
# empty database; both read DATABASE_URL and MEDIA_ROOT like the application (see README).
backup: setup
	$(PY) manage.py backup $(if $(BACKUP),--output $(BACKUP),)

restore: setup
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=backups/<folder>"; exit 2; }
	$(PY) manage.py restore $(BACKUP)

# The matching engine on its hand-labelled set: P@1, recall@5 and MRR beside a random order (in a
# database of its own, created and dropped, beside TEST_DATABASE_URL's).
eval-matching: setup
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL= $(PY) manage.py eval_matching

clean:
	rm -rf $(VENV) .tools db.sqlite3 staticfiles
