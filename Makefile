# Loket's verbs. Two do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DJANGO_SETTINGS_MODULE := config.settings

.PHONY: demo serve test test-postgres check lint fmt typecheck migrations-check deploy-check \
        messages worker install clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Loket needs Python 3.11 or newer" or 0)'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

var/secret_key:
	mkdir -p var
	$(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > var/secret_key
	chmod 600 var/secret_key

# The demo: plain HTTP on localhost, e-mails written to var/mail/ and echoed here.
DEMO_ENV := LOKET_HTTPS=false LOKET_MAIL_ECHO=true LOKET_FIRM_NAME="Demo Accountants"

demo: $(STAMP) var/secret_key
	$(DEMO_ENV) $(BIN)/python manage.py migrate --no-input
	$(DEMO_ENV) $(BIN)/python manage.py collectstatic --no-input --verbosity 0
	$(DEMO_ENV) $(BIN)/python manage.py load_demo
	@echo "The e-mail worker runs beside the web server; Ctrl-C stops both."
	$(DEMO_ENV) $(BIN)/python manage.py db_worker --no-reload --verbosity 0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(DEMO_ENV) $(BIN)/python manage.py runserver 127.0.0.1:8000

# The background worker: delivers e-mail (with retries) from the database queue.
# Production runs it as a service beside the web server (docs/deploy.md).
worker: $(STAMP) var/secret_key
	$(BIN)/python manage.py db_worker --no-reload

test: $(STAMP) var/secret_key
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: $(STAMP) var/secret_key
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/loket} $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP) var/secret_key
	$(BIN)/mypy config loket tests

migrations-check: $(STAMP) var/secret_key
	$(BIN)/python manage.py makemigrations --check --dry-run

# Production-like settings: debug off, HTTPS on, a real secret.
deploy-check: $(STAMP)
	DEBUG=false LOKET_HTTPS=true ALLOWED_HOSTS=portal.example.com \
	SECRET_KEY="$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

check: lint typecheck migrations-check deploy-check test

# Extract translatable strings (needs GNU gettext) and compile the catalogues.
messages: $(STAMP)
	$(BIN)/python manage.py makemessages --locale nl --no-obsolete --ignore '.venv/*' --ignore 'var/*'
	$(BIN)/python scripts/compile_messages.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
