# cscbook: two commands do all the set-up.
#   make book   build the example book (creates .venv and installs on first use)
#   make test   run the whole test suite (creates .venv and installs on first use)
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PARAMS ?= params/example.yaml
AXE := node_modules/axe-core/axe.min.js

.PHONY: book test unit nbval lint refresh-notebooks synth clean benchmark browser

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==26.3
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $(STAMP)

# The accessibility check runs axe-core (npm, pinned in package-lock.json) in Debian's
# headless Chromium; both are installed here when missing (apt-get needs root, as in CI).
$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(AXE)

browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else echo "The accessibility check needs Chromium and ChromeDriver: apt-get install -y chromium chromium-driver (as root)" >&2; exit 1; fi

book: $(STAMP)
	$(BIN)/cscbook run $(PARAMS)

test: $(STAMP) $(AXE) browser
	$(BIN)/ruff check src tests
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q tests
	$(BIN)/python -m pytest -q --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider notebooks

unit: $(STAMP) $(AXE) browser
	$(BIN)/python -m pytest -q tests

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/lint-imports

# Regenerate the committed reference notebooks (nbval's expected outputs) on purpose.
refresh-notebooks: $(STAMP)
	$(BIN)/python -m cscbook.book.refresh_notebooks $(PARAMS)

synth: $(STAMP)
	$(BIN)/cscbook synth --out data/synthetic --seed 20250331 --as-at 2025-03-31

benchmark: $(STAMP)
	$(BIN)/python benchmarks/run_benchmarks.py

clean:
	rm -rf reports $(VENV) node_modules
