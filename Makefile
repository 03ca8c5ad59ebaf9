# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# pytest-xdist: tests in this many processes, each with its own test database (pytest-django
# suffixes its name per worker). Two, for the two cores of the project's machines.
PYTEST_WORKERS ?= 2
PYTEST := $(BIN)/pytest -n $(PYTEST_WORKERS)

.PHONY: demo test test-fast test-sqlite test-postgres test-js lint browser node wrk bench clean

$(VENV)/.installed: pyproject.toml requirements/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c requirements/constraints.txt -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/undersigned demo

# Debian's chromium drives the browser tests; installed here when missing and we are root.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-dejavu-core poppler-utils; \
	  else echo "The browser tests need Chromium: sudo apt-get install chromium" >&2; exit 1; fi; }

# Node runs the browser client's tests and the JS/Python interop test; Debian's nodejs is enough.
node:
	@command -v node >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs; \
	  else echo "The JavaScript tests need Node.js: sudo apt-get install nodejs" >&2; exit 1; fi; }

test-js: node
	node --test tests/js/*.test.mjs

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src

test-sqlite: $(VENV)/.installed browser node
	env -u DATABASE_URL $(PYTEST) -m "not postgres"

test-postgres: $(VENV)/.installed browser node
	@test -n "$$DATABASE_URL" || { echo "test-postgres needs DATABASE_URL" >&2; exit 1; }
	$(PYTEST)

# The quick loop while working: SQLite, no browser and no test marked slow. `make test` runs all.
test-fast: $(VENV)/.installed node
	env -u DATABASE_URL $(PYTEST) -m "not postgres and not e2e and not slow"

# SQLite always; PostgreSQL too when DATABASE_URL points to one (CI sets it).
test: lint test-js test-sqlite
	@if [ -n "$$DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgres; \
	else echo "DATABASE_URL is not set: PostgreSQL tests not run (CI runs them)."; fi

# Debian's wrk loads the readers' bench (bench/pages.py); installed here when missing and we are root.
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; \
	  else echo "The readers' bench needs wrk: sudo apt-get install wrk" >&2; exit 1; fi; }

# Performance figures come from here, never from timed tests.
bench: $(VENV)/.installed wrk
	$(BIN)/python bench/signing.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/anonymous.py
	$(BIN)/python bench/pdf.py
	$(BIN)/python bench/updates.py

clean:
	rm -rf $(VENV) .undersigned
