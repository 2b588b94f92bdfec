# The two commands a new user types: `make run` and `make test`. Both bootstrap .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test bench lint format typecheck clean

$(STAMP): pyproject.toml setup.py ledger/_hashbatch.c
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Maestro needs Python 3.11 or newer")'
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

# Host and port come from the settings (MAESTRO_HOST/MAESTRO_PORT in the environment or .env,
# default 127.0.0.1:8000); `MAESTRO_PORT=9000 make run` and `make run MAESTRO_PORT=9000` work too.
run: $(STAMP)
	$(BIN)/maestro db upgrade
	$(BIN)/maestro serve$(if $(MAESTRO_PORT), --port $(MAESTRO_PORT))

test: $(STAMP)
	$(BIN)/pytest

# -P: keep bench/ off sys.path, or bench/graph.py would shadow the `graph` package.
bench: $(STAMP)
	@set -e; for b in bench/*.py; do echo "== $$b"; $(BIN)/python -P $$b; done

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy app handlers checks graph ledger ranker

clean:
	rm -rf $(VENV) maestro.db maestro.db-wal maestro.db-shm
