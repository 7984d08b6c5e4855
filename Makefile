# Poradnia: `make demo` starts the whole demo, `make test` runs the whole suite (see README).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
DEMO_HOST ?= 127.0.0.1
DEMO_PORT ?= 8000
# The insurers the demo clinic works with on the sandbox: the OSOZ payers of its price lists (payers/demo.py).
DEMO_INSURERS := 800100 800200
# OSOZ (the sandbox) calls the demo back here: the booking approval and the nudges of new bookings.
OSOZ_CALLBACK_BASE_URL ?= http://$(DEMO_HOST):$(DEMO_PORT)
export DEMO_HOST DEMO_PORT OSOZ_CALLBACK_BASE_URL
# The OSOZ sandbox (osoz_sandbox/) is a separate Django project with its own settings and database.
SANDBOX := DJANGO_SETTINGS_MODULE=osoz_sandbox.settings $(BIN)/python -m django
# The product's suite in parallel, then the sandbox's own (a separate Django project).
# loadgroup: the tests whose Celery workers read the default queue share a group (xdist_group), so run one at a time.
TEST_PRODUCT := $(BIN)/python -m pytest --numprocesses auto --dist loadgroup
TEST_SANDBOX := $(BIN)/python -m pytest osoz_sandbox --ds=osoz_sandbox.settings -p no:cacheprovider
# A year from the real today, for test-ahead (Debian's faketime, libfaketime's relative format).
AHEAD := +365d

.PHONY: install setup demo test test-ahead lint format bench lock check-deploy

# (Re)install whenever the dependency pins change.
$(INSTALLED): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --constraint constraints.txt ".[test]"
	touch $@

install: $(INSTALLED)

# The browser tests' node packages (axe-core, package.json), from npm's registry at the locked versions.
NODE_INSTALLED := node_modules/.installed
$(NODE_INSTALLED): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: install
	$(BIN)/python manage.py translations_compile --verbosity 0
	$(BIN)/python manage.py migrate --no-input --verbosity 0
	$(SANDBOX) migrate --no-input --verbosity 0

demo: setup
	$(BIN)/python manage.py seed_demo
	$(SANDBOX) sandbox_seed --cooperation $(DEMO_INSURERS)
	@echo
	@$(BIN)/python -m devtools.demo_certificate
	@echo "Poradnia:  http://$(DEMO_HOST):$(DEMO_PORT)/   (Ctrl-C stops everything)"
	@echo "OSOZ sandbox: http://$(DEMO_HOST):8001/   (Serwis Świadczeniodawcy: osoz-demo / Osoz-demo-2026)"
	@echo
	$(BIN)/honcho --procfile Procfile.demo start

test: install $(NODE_INSTALLED) lint
	$(BIN)/python manage.py translations_compile --verbosity 0
	$(TEST_PRODUCT)
	$(TEST_SANDBOX)

# With every process's clock a year ahead, a test that depends on today's date fails here: the product's tests that see
# another process's clock (-m other_process, conftest.py; the rest run frozen at TESTS_NOW whatever the date), and
# the whole sandbox suite.
test-ahead: install $(NODE_INSTALLED)
	@command -v faketime >/dev/null || { echo "test-ahead needs faketime (apt-get install faketime)"; exit 1; }
	$(BIN)/python manage.py translations_compile --verbosity 0
	faketime -f $(AHEAD) $(TEST_PRODUCT) -m other_process
	faketime -f $(AHEAD) $(TEST_SANDBOX)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Production settings must pass Django's deployment checklist with no warning at all.
check-deploy: install
	DJANGO_ENV=production SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(60))')" \
	SECRETS_ENCRYPTION_KEYS="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(32))')" \
	ALLOWED_HOSTS=poradnia.example.pl REDIS_URL=redis://127.0.0.1:6379/0 \
	DATABASE_URL=postgres://poradnia@127.0.0.1:5432/poradnia \
	$(BIN)/python manage.py check --deploy --fail-level DEBUG

# Speed against floors measured in the same run (bench/run.py); PostgreSQL from DATABASE_URL or the local server.
bench: setup
	$(BIN)/python bench/run.py

# Re-pin the whole dependency tree after changing pyproject.toml.
lock:
	rm -rf $(VENV).lock && $(PYTHON) -m venv $(VENV).lock
	$(VENV).lock/bin/python -m pip install --quiet ".[test]"
	$(VENV).lock/bin/python -m pip freeze --exclude poradnia > constraints.txt
	rm -rf $(VENV).lock
