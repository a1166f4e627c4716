# Two commands do all set-up: `make demo` runs the pipeline on the bundled sample, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo demo-live test lint bench clean

$(BIN)/wiredesk: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/wiredesk
	$(BIN)/wiredesk run

# Live polling without internet: serve samples/site on loopback, poll its feed twice.
demo-live: $(BIN)/wiredesk
	$(BIN)/python -m scripts.demo_live

test: $(BIN)/wiredesk
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

# The performance suite (about 75 minutes on 2 cores): figures, ratios and targets as a table.
bench: $(BIN)/wiredesk
	$(BIN)/python -m bench.bench_pipeline

lint: $(BIN)/wiredesk
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) data .pytest_cache
