# CareLoop developer entry points. `make run` for the demo clinic, `make test` for the suite.

# python3.11 if it runs (a pyenv shim may exist without the version), else python3.
PYTHON ?= $(shell python3.11 -c 'import sys; print(sys.executable)' 2>/dev/null || echo python3)
EXTRAS ?= server,phone,dev
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: install run test lint migrate messages clean bench app apk check-prod

# The stamp is rebuilt whenever pyproject.toml changes, so a new dependency installs itself.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[$(EXTRAS)]'
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/python -m backend.launcher

# The patient's phone app on the desktop, against CARELOOP_API (contract §1); its data in var/phone.
CARELOOP_API ?= http://127.0.0.1:8000
app: install
	CARELOOP_API=$(CARELOOP_API) CARELOOP_PHONE_DIR=$${CARELOOP_PHONE_DIR:-var/phone} $(BIN)/python -m mobile

# The Android APK (README.md "Phone app": buildozer and the Android toolchain are not project deps).
apk: install
	$(BIN)/python -m mobile.packaging
	buildozer android debug

# The tests' independent FHIR R4 validator (the npm package `fhir`, tests/fhir/validator.py), under node.
FHIR_NODE := tests/fhir/node
$(FHIR_NODE)/node_modules/.package-lock.json: $(FHIR_NODE)/package-lock.json
	npm ci --prefix $(FHIR_NODE) --no-audit --no-fund

# axe-core, injected by the dashboard's accessibility test (tests/dashboard/test_ui_accessibility.py).
A11Y_NODE := tests/dashboard/node
$(A11Y_NODE)/node_modules/.package-lock.json: $(A11Y_NODE)/package-lock.json
	npm ci --prefix $(A11Y_NODE) --no-audit --no-fund

# Lint first: it takes seconds and a red lint is as much a failure as a red test.
test: lint $(FHIR_NODE)/node_modules/.package-lock.json $(A11Y_NODE)/node_modules/.package-lock.json
	$(BIN)/pytest $(PYTEST_ARGS)

# import-linter reads its contracts from pyproject.toml: the backend's layers, shared/ kept pure, no cycles.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict shared
	$(BIN)/lint-imports --no-cache

# Before a release: the production environment file passes Django's deploy checks with no warning
# and holds no placeholder (backend/config/production_check.py; README "Production").
ENV_FILE ?= /etc/careloop/careloop.env
check-prod: install
	$(BIN)/python -m backend.config.production_check $(ENV_FILE)

# The server's translation catalogs (README "Languages"): the code's new strings into each .po
# (Django's makemessages, which needs GNU gettext), then each .mo, compiled with polib.
messages: install
	$(BIN)/python -m backend.core.i18n extract
	$(BIN)/python -m backend.core.i18n compile

migrate: install

	$(BIN)/python manage.py migrate --noinput

# Benchmarks against the real PostgreSQL and Redis; they print figures and never fail on them
# (bench/README.md). BENCH_SCALE=0.1 for a quick run.
$(VENV)/.bench-installed: $(VENV)/.installed
	$(BIN)/python -m pip install -e '.[$(EXTRAS),bench]'
	touch $@

bench: $(VENV)/.bench-installed
	$(BIN)/python -m bench.run_all

# Removes the virtualenv and local state (SQLite database, embedded Redis dump, beat schedule).
clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
