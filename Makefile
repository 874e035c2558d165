# The two commands a newcomer needs: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
DEMO_CHATS ?= 20000
# The test suite runs on a real PostgreSQL and Redis (local services by default).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/helpdesk_metrics
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# pytest-xdist processes (one test database each); `make test TEST_WORKERS=0` runs serially.
TEST_WORKERS ?= auto

.PHONY: install demo serve test lint bench messages

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Compiled catalogs (locale/*/LC_MESSAGES/django.mo) are built here, not kept in git: they
# derive from the .po files and a committed copy would go stale. Needs GNU gettext (msgfmt).
install: $(VENV)/.installed messages

messages: $(VENV)/.installed
	$(PY) manage.py compilemessages --ignore=.venv --ignore=bench --ignore=staticfiles

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --chats $(DEMO_CHATS) --reset
	$(PY) manage.py runserver 127.0.0.1:8000

serve: install
	$(PY) manage.py runserver 127.0.0.1:8000

test: install
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

# Benchmarks (bench/run.py; figures in bench/RESULTS.md): their own database and Redis db.
# BENCH_ARGS="--chats 20000" for a quick run, "--phases reads,serve" for some, "--write-results" to append.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/hm_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/13
bench: install
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) $(PY) bench/run.py $(BENCH_ARGS)

.PHONY: bench-engine
bench-engine: install
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) $(PY) bench/engine.py $(BENCH_ARGS)
