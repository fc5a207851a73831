# Two commands on a fresh machine with Python 3.11+ and make:
#   make run    set up, load the seed data and serve on http://127.0.0.1:8000,
#               with the background worker beside the server (Ctrl-C stops both)
#   make test   set up, lint and run the whole test suite
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

.PHONY: install run serve test lint audit browser-deps

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_seed
	$(BIN)/python manage.py create_local_admin
	$(BIN)/python scripts/run-dev $(BIN)/python 127.0.0.1:$(PORT)

# Production serving: gunicorn, static files by whitenoise. Needs the
# production environment (DEBUG=0, SECRET_KEY, ALLOWED_HOSTS, ...; see README).
serve: install
	$(BIN)/python manage.py check --deploy --fail-level WARNING
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput
	$(BIN)/gunicorn tracker.wsgi --bind $${BIND:-127.0.0.1:8000} --workers $${WORKERS:-3} --access-logfile -

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

# Security: bandit scans the code (findings justified in pyproject.toml or in
# place with nosec); pip-audit checks the installed packages.
audit: install
	$(BIN)/bandit -q -c pyproject.toml -r .
	scripts/audit-dependencies

# axe-core for the browser tests (they skip, saying why, without it or Chromium).
browser-deps:
	@if command -v npm >/dev/null 2>&1; then \
		cd tests/browser && npm ci --no-audit --no-fund --silent || echo "axe-core could not be installed"; \
	else echo "npm not found: the accessibility checks will be skipped"; fi

test: lint audit browser-deps
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest
