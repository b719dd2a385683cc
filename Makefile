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

.PHONY: setup demo test test-fast lint format browser-deps seed-scale bench eval-matching serve clean

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
		$(VENV)/bin/pytest $(PYTEST_ARGS)

# Everything except the browser and worker tests, for a quick loop while coding.
test-fast: setup
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL= $(VENV)/bin/pytest -m "not browser and not worker" $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

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

bench: seed-scale
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench

# The matching engine on its hand-labelled set: P@1, recall@5 and MRR beside a random order (in a
# database of its own, created and dropped, beside TEST_DATABASE_URL's).
eval-matching: setup
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL= $(PY) manage.py eval_matching

clean:
	rm -rf $(VENV) .tools db.sqlite3 staticfiles
