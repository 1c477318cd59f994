# Two commands on a fresh machine with only Python 3.11+: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
PORT   ?= 8000

.PHONY: run test lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@if [ ! -x /usr/bin/chromium ]; then $(BIN)/playwright install chromium; fi
	@touch $@

run: $(VENV)/.installed
	$(BIN)/rentcal up --port $(PORT)

test: $(VENV)/.installed lint typecheck pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed
	$(BIN)/mypy rentcal rental calendars portal widget tasks sandboxes

pytest: $(VENV)/.installed
	$(BIN)/pytest -q

bench: $(VENV)/.installed
	$(BIN)/python -m bench.availability
	$(BIN)/python -m bench.widget

clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache
