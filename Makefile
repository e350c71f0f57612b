# The same targets serve developers and CI.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint typecheck bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

## set up, simulate a small city, load it and serve the API with demo data
demo: $(STAMP)
	$(BIN)/plateledger demo

## the whole test suite (lint and type checks first: they are part of it), in
## TEST_WORKERS processes (a test file runs whole in one of them); TEST_WORKERS=0 runs it
## in this one
TEST_WORKERS ?= 2
test: $(STAMP)
	$(BIN)/ruff check src tests bench training
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check src tests bench training
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .grimp_cache
