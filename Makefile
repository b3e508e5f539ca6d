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

.PHONY: book test unit nbval lint refresh-notebooks synth synth-quarters clean benchmark browser

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
	$(BIN)/ruff format --check src tests
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q tests
	CSCBOOK_HISTORY=none $(BIN)/python -m pytest -q --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider notebooks

unit: $(STAMP) $(AXE) browser
	$(BIN)/python -m pytest -q tests

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/lint-imports

# Regenerate the committed reference notebooks (nbval's expected outputs) on purpose.
refresh-notebooks: $(STAMP)
	CSCBOOK_HISTORY=none $(BIN)/python -m cscbook.book.refresh_notebooks $(PARAMS)

synth: $(STAMP)
	$(BIN)/cscbook synth --out data/synthetic --seed 20250331 --as-at 2025-03-31

# One extract of the synthetic authority per quarter end, each taken ON its quarter end as a
# real quarter's extract is (git-ignored, data/local/synthetic/<date>/): Annex A holds only the
# latest visit, review and assessment dates, so a quarter's practice standards are honest only
# on an extract taken at that quarter's end. Run each quarter's book on its own extract.
SYNTH_QUARTERS ?= 2023-12-31 2024-03-31 2024-06-30 2024-09-30 2024-12-31
synth-quarters: $(STAMP)
	for d in $(SYNTH_QUARTERS); do $(BIN)/cscbook synth --out data/local/synthetic/$$d --seed 20250331 --as-at $$d || exit 1; done

benchmark: $(STAMP)
	$(BIN)/python benchmarks/run_benchmarks.py

clean:
	rm -rf reports $(VENV) node_modules
