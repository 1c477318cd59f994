# Two commands on a fresh machine with only Python 3.11+: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
PORT   ?= 8000
# Line coverage of rentcal, rental, calendars, portal, widget and tasks that `make test` requires
# (the level reached, rounded down; raise it as tests are added).
COVERAGE_MIN ?= 95

.PHONY: run test lint typecheck pytest browser coverage bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml setup.py | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

run: $(VENV)/.installed
	$(BIN)/rentcal up --port $(PORT)

test: $(VENV)/.installed lint typecheck pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# tests: the shared support code and the security suite (the other test files: docs/operations.md says why)
typecheck: $(VENV)/.installed
	$(BIN)/mypy rentcal rental calendars portal widget tasks sandboxes
	$(BIN)/mypy tests/support tests/security tests/conftest.py tests/factories.py

# Chromium for the browser tests: the system's, else the OS package (root + apt-get), else Playwright's.
browser: $(VENV)/.installed
	@$(BIN)/python -m tests.support.browser

# The suite under coverage, subprocesses included (see [tool.coverage.run] in pyproject.toml); the
# coverage summary is printed even when a test fails.
pytest: $(VENV)/.installed browser
	@$(BIN)/coverage erase
	@$(BIN)/coverage run -m pytest -q; tests=$$?; \
	$(MAKE) --no-print-directory coverage; covered=$$?; \
	[ $$tests -ne 0 ] && exit $$tests; exit $$covered

coverage: $(VENV)/.installed
	@$(BIN)/coverage combine --quiet
	@$(BIN)/python -m tests.support.coverage_report --fail-under $(COVERAGE_MIN)

bench: $(VENV)/.installed
	$(BIN)/python -m bench.availability
	$(BIN)/python -m bench.widget
	$(BIN)/python -m bench.caldav
	$(BIN)/python -m bench.sync
	$(BIN)/python -m bench.sync --provider microsoft
	$(BIN)/python -m bench.connect
	$(BIN)/python -m bench.feeds
	$(BIN)/python -m bench.ical
	$(BIN)/python -m bench.team

clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.*
