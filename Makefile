# lekdicht: `make demo` scans the bundled synthetic evidence; `make test` runs the checks.
# Both create the virtual environment and install pinned dependencies on a fresh machine.

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: demo test lint typecheck check bench clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	rm -rf demo-case
	$(BIN)/lekdicht scan demo/evidence --out demo-case; code=$$?; \
	  echo "lekdicht exit code: $$code"; [ $$code -eq 6 ]

test: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) demo-case .pytest_cache .mypy_cache .ruff_cache
