# Portevoix: `make run` starts everything on an embedded SQLite; `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
export PORTEVOIX_DATA_DIR ?= $(CURDIR)/data

.PHONY: run test check lint format typecheck imports openapi bench messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[test,dev]"
	@touch $@

run: $(VENV)/.installed
	$(BIN)/portevoix migrate --noinput
	$(BIN)/portevoix serve --host $(HOST) --port $(PORT)

# The suite on SQLite (set DATABASE_URL=postgres://... to run it on PostgreSQL).
test: $(VENV)/.installed-dev
	PORTEVOIX_DATA_DIR=$(CURDIR)/.test-data $(BIN)/pytest $(PYTEST_ARGS)

check: $(VENV)/.installed-dev lint typecheck imports
	PORTEVOIX_DATA_DIR=$(CURDIR)/.test-data $(BIN)/portevoix makemigrations --check --dry-run
	PORTEVOIX_DATA_DIR=$(CURDIR)/.test-data $(BIN)/python -m portevoix.openapi_snapshot --check
	PORTEVOIX_DATA_DIR=$(CURDIR)/.test-data PORTEVOIX_HTTPS=1 ALLOWED_HOSTS=portevoix.example.com \
		SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
		$(BIN)/portevoix check --deploy --fail-level WARNING

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(VENV)/.installed-dev
	PORTEVOIX_DATA_DIR=$(CURDIR)/.test-data $(BIN)/mypy portevoix

imports: $(VENV)/.installed-dev
	$(BIN)/lint-imports

# Regenerate the committed OpenAPI snapshot after an intended API change.
openapi: $(VENV)/.installed-dev
	PORTEVOIX_DATA_DIR=$(CURDIR)/.test-data $(BIN)/python -m portevoix.openapi_snapshot --write

# Extract and compile translations (needs GNU gettext).
messages: $(VENV)/.installed
	cd portevoix && ../$(BIN)/portevoix makemessages -l fr -l ru --no-obsolete --no-location -i "static/*"
	cd portevoix && ../$(BIN)/portevoix compilemessages

bench: $(VENV)/.installed-dev
	@echo "No benchmarks yet."

clean:
	rm -rf $(VENV) .test-data .pytest_cache .mypy_cache .ruff_cache
