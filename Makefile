# cscbook: two commands do all the set-up.
#   make book   build the example book (creates .venv and installs on first use)
#   make test   run the whole test suite (creates .venv and installs on first use)
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PARAMS ?= params/example.yaml

.PHONY: book test unit nbval lint refresh-notebooks synth clean benchmark

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==26.3
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $(STAMP)

book: $(STAMP)
	$(BIN)/cscbook run $(PARAMS)

test: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q tests
	CSCBOOK_HISTORY=none $(BIN)/python -m pytest -q --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider notebooks

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/lint-imports

# Regenerate the committed reference notebooks (nbval's expected outputs) on purpose.
refresh-notebooks: $(STAMP)
	CSCBOOK_HISTORY=none $(BIN)/python -m cscbook.book.refresh_notebooks $(PARAMS)

synth: $(STAMP)
	$(BIN)/cscbook synth --out data/synthetic --seed 20250331 --as-at 2025-03-31

benchmark: $(STAMP)
	$(BIN)/python benchmarks/run_benchmarks.py

clean:
	rm -rf reports $(VENV)
