# Trade Console — two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck contracts pytest sim bench soak clean snapshot-update imports

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/trade-console

sim: $(STAMP)
	$(BIN)/trade-console sim --port 8765 --seed 42

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python docs/import_graph.py --check docs/imports.md

# The import diagram in docs/imports.md, drawn from the code (docs/architecture.md explains it).
imports: $(STAMP)
	$(BIN)/python docs/import_graph.py > docs/imports.md

pytest: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider

test: lint typecheck contracts pytest

snapshot-update: $(STAMP)
	$(BIN)/pytest -q tests -k snapshot --snapshot-update

bench: $(STAMP)
	$(BIN)/python bench/sim.py

# The 30-minute chaos soak with kill -9 restarts (docs/reliability.md); `make test` runs a short one.
soak: $(STAMP)
	$(BIN)/python bench/soak.py --minutes 30 --restarts --faults full --seed 30

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
