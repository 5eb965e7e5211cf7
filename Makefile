# Two commands matter: `make demo` and `make test`. Each installs what it needs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DATABASE_URL ?= sqlite:///./slotwise.db

.PHONY: demo serve test lint check-js bench stress clean

$(STAMP): pyproject.toml web/package-lock.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	# The calendar's browser bundle, from the lockfile; served by the app, never from a CDN.
	npm ci --prefix web --no-audit --no-fund
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/slotwise db upgrade
	$(BIN)/slotwise demo
	@echo ""
	@echo "Slotwise is starting on http://127.0.0.1:8000"
	@echo "  Calendar:  http://127.0.0.1:8000/calendar (sign in as frontdesk@brightside.example)"
	@echo "  Widget:    http://127.0.0.1:8000/demo/practice-site (an example practice website)"
	@echo "  API docs:  http://127.0.0.1:8000/docs"
	@echo "  Sign in:   POST http://127.0.0.1:8000/api/auth/token"
	@echo ""
	SLOTWISE_LOG_FORMAT=text $(BIN)/slotwise serve --host 127.0.0.1 --port 8000

serve: $(STAMP)
	$(BIN)/slotwise db upgrade
	$(BIN)/slotwise serve

test: $(STAMP) check-js
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -m "not stress" -n 2 --durations=15 $(PYTEST_ARGS)

lint: $(STAMP) check-js
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The calendar's and the widget's JavaScript type-checked from their JSDoc (// @ts-check,
# web/tsconfig.json, web/widget/tsconfig.json); TypeScript comes from web/package-lock.json with
# the npm ci above.
check-js: $(STAMP)
	web/node_modules/.bin/tsc -p web/tsconfig.json
	web/node_modules/.bin/tsc -p web/widget/tsconfig.json

# Every benchmarks/*_bench.py writes benchmarks/results/<name>.json and .md; BENCH_ARGS=--quick
# runs each in well under a minute.
bench: $(STAMP)
	@set -e; for f in benchmarks/*_bench.py; do \
	  m=$$(basename $$f .py); echo "== $$m"; $(BIN)/python -m benchmarks.$$m $(BENCH_ARGS); \
	done
	$(BIN)/python -m benchmarks.summary

# Load and fault tests (tests/stress): serially and alone, never beside the normal suite,
# because one of them restarts PostgreSQL. Prints the summary table and writes
# benchmarks/results/stress.md.
stress: $(STAMP)
	SLOTWISE_TEST_POSTGRES_URL="$${SLOTWISE_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}" \
	  $(BIN)/pytest tests/stress -m stress -p no:xdist -p no:warnings -q $(STRESS_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis slotwise.db* .slotwise-secret
