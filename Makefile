# CareLoop developer entry points. `make run` for the demo clinic, `make test` for the suite.

# python3.11 if it runs (a pyenv shim may exist without the version), else python3.
PYTHON ?= $(shell python3.11 -c 'import sys; print(sys.executable)' 2>/dev/null || echo python3)
EXTRAS ?= server,dev
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: install run test lint migrate clean

# The stamp is rebuilt whenever pyproject.toml changes, so a new dependency installs itself.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[$(EXTRAS)]'
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/python -m backend.launcher

# Lint first: it takes seconds and a red lint is as much a failure as a red test.
test: install
	$(BIN)/ruff check .
	$(BIN)/mypy --strict shared
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy --strict shared

migrate: install
	$(BIN)/python manage.py migrate --noinput

# Removes the virtualenv and local state (SQLite database, embedded Redis dump, beat schedule).
clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
