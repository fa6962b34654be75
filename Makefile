# xcert: `make run` installs, migrates, loads the demo year and starts the app; `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
BUN_VERSION := 1.4.5
export PATH := $(CURDIR)/.tools/node_modules/.bin:$(PATH)
export REFLEX_USE_SYSTEM_BUN := 1
export REFLEX_TELEMETRY_ENABLED := false
PG_TEST_URL ?= postgresql+psycopg2://postgres@127.0.0.1:5432/xcert_test
# The address `make run` starts the backend on; `make run HOST=0.0.0.0` serves the network.
# Only a HOST given on the command line counts, because one in the environment may hold the machine's name.
ifneq ($(origin HOST),command line)
HOST := 127.0.0.1
endif

.PHONY: install run test test-sqlite test-postgres test-scale tour bench lint clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

.tools/node_modules/.bin/bun:
	npm install --silent --no-fund --no-audit --prefix .tools bun@$(BUN_VERSION)

install: $(VENV)/.installed .tools/node_modules/.bin/bun

run: install
	$(PY) -m xcert_app db upgrade
	$(PY) -m xcert_app demo load --if-empty
	$(VENV)/bin/reflex run --backend-host $(HOST)

test: install
	@command -v chromium >/dev/null || { echo "Chromium is missing: apt-get install chromium (Debian package)"; exit 1; }
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres
	$(MAKE) --no-print-directory test-scale

test-sqlite:
	@echo "== test suite on SQLite =="
	$(PY) -m pytest

test-postgres:
	@if $(PY) -c "import psycopg2; psycopg2.connect(host='127.0.0.1', port=5432, user='postgres', dbname='postgres', connect_timeout=3).close()" 2>/dev/null; then \
		echo "== test suite on PostgreSQL (127.0.0.1:5432) =="; \
		$(PY) -c "import psycopg2; c = psycopg2.connect(host='127.0.0.1', user='postgres', dbname='postgres'); c.autocommit = True; cur = c.cursor(); cur.execute('DROP DATABASE IF EXISTS xcert_test WITH (FORCE)'); cur.execute('CREATE DATABASE xcert_test')"; \
		XCERT_TEST_DATABASE_URL=$(PG_TEST_URL) $(PY) -m pytest; \
	else \
		echo "== PostgreSQL pass SKIPPED: no server answers at 127.0.0.1:5432 =="; \
	fi

test-scale:
	@echo "== two backend workers on PostgreSQL and Redis =="
	$(PY) -m pytest -m scale tests/scale -rs

# Regenerate the README's screenshots (docs/tour/) by running the year scenario.
tour: install
	rm -f docs/tour/*.png
	XCERT_TOUR_DIR=$(CURDIR)/docs/tour $(PY) -m pytest tests/browser/test_year.py -q

bench: install
	$(PY) -m tests.bench

lint: install
	$(VENV)/bin/ruff check xcert_app tests
	$(VENV)/bin/ruff format --check xcert_app tests

clean:
	rm -rf .web .states .var test-results
