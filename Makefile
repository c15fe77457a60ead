# Portevoix: `make run` starts everything on an embedded SQLite; `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
export PORTEVOIX_DATA_DIR ?= $(CURDIR)/data

.PHONY: run test check lint lint-ruff lint-format format typecheck imports check-migrations check-openapi \
	check-deploy openapi bench messages clean

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

# Every quality gate. Each one runs even when an earlier one failed; a summary closes the output and the
# exit status is non-zero if any gate failed. `make <gate>` runs one of them alone.
CHECK_GATES := lint-ruff lint-format typecheck imports check-migrations check-openapi check-deploy

check: $(VENV)/.installed-dev
	@failed=""; \
	for gate in $(CHECK_GATES); do \
		echo "==> $$gate"; \
		$(MAKE) --no-print-directory $$gate || failed="$$failed $$gate"; \
	done; \
	echo; echo "make check:"; \
	for gate in $(CHECK_GATES); do \
		case " $$failed " in *" $$gate "*) echo "  FAIL  $$gate";; *) echo "  ok    $$gate";; esac; \
	done; \
	if [ -n "$$failed" ]; then echo "make check: FAILED:$$failed"; exit 1; fi; \
	echo "make check: all gates pass"

lint: lint-ruff lint-format

lint-ruff: $(VENV)/.installed-dev
	$(BIN)/ruff check .

lint-format: $(VENV)/.installed-dev
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(VENV)/.installed-dev
	PORTEVOIX_DATA_DIR=$(CURDIR)/.test-data $(BIN)/mypy portevoix

imports: $(VENV)/.installed-dev
	$(BIN)/lint-imports

check-migrations: $(VENV)/.installed-dev
	PORTEVOIX_DATA_DIR=$(CURDIR)/.test-data $(BIN)/portevoix makemigrations --check --dry-run

check-openapi: $(VENV)/.installed-dev
	PORTEVOIX_DATA_DIR=$(CURDIR)/.test-data $(BIN)/python -m portevoix.openapi_snapshot --check

# Django's deployment checklist on production settings (HTTPS behind a proxy, a real host and secret key).
# HSTS preload is every operator's own opt-in (PORTEVOIX_HSTS_PRELOAD=1, hard to undo); it is switched on
# here so that the checklist's one warning about it (security.W021) does not hide the others.
check-deploy: $(VENV)/.installed-dev
	PORTEVOIX_DATA_DIR=$(CURDIR)/.test-data PORTEVOIX_HTTPS=1 PORTEVOIX_HSTS_PRELOAD=1 \
		ALLOWED_HOSTS=portevoix.example.com \
		SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
		$(BIN)/portevoix check --deploy --fail-level WARNING

# Regenerate the committed OpenAPI snapshot after an intended API change.
openapi: $(VENV)/.installed-dev
	PORTEVOIX_DATA_DIR=$(CURDIR)/.test-data $(BIN)/python -m portevoix.openapi_snapshot --write

# Extract and compile translations (needs GNU gettext).
messages: $(VENV)/.installed
	cd portevoix && ../$(BIN)/portevoix makemessages -l fr -l ru --no-obsolete --no-location -i "static/*"
	cd portevoix && ../$(BIN)/portevoix compilemessages

# Benchmarks under bench/, each against a peer or baseline measured in the same run: `make bench B=textcount`.
B ?= all
bench: $(VENV)/.installed-dev
	@set -e; for script in bench/*.py; do \
		name=$$(basename $$script .py); \
		if [ "$(B)" = all ] || [ "$(B)" = "$$name" ]; then \
			echo "== bench $$name"; PORTEVOIX_DATA_DIR=$(CURDIR)/.test-data $(BIN)/python $$script; \
		fi; \
	done

clean:
	rm -rf $(VENV) .test-data .pytest_cache .mypy_cache .ruff_cache
