# Entry point for people: `make run` for the demo, `make test` for the suite.
# Local targets run the embedded demo settings unless the environment says otherwise.

VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
PYTEST_ARGS ?=

# Local development: a throwaway SECRET_KEY and DEBUG on (see config/settings.py).
DEV_ENV := DJANGO_DEMO=1 DEBUG=1

.DEFAULT_GOAL := help
.PHONY: help install run test lint format worker beat migrate messages clean

help: ## Show this help
	@echo "Usage: make <target>"
	@grep -E '^[a-z][a-zA-Z_-]*:.*## ' $(MAKEFILE_LIST) \
		| awk 'BEGIN {FS = ":.*## "}; {printf "  %-10s %s\n", $$1, $$2}'

# Reinstalled whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e ".[dev]"
	touch $@

install: $(VENV)/.installed ## Create the virtualenv and install the app with dev tools

run: install ## Migrate the SQLite demo, load demo data, serve http://127.0.0.1:8000
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py seed_demo
	$(DEV_ENV) $(PY) manage.py seed_demo_reviews
	$(DEV_ENV) $(PY) manage.py refresh_stats --backfill
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:8000

test: install ## Run the test suite (SQLite unless DATABASE_URL is set); PYTEST_ARGS=...
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install ## Check style and formatting with ruff
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install ## Fix what ruff can fix and format the code
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

worker: install ## Run a Celery worker (needs REDIS_URL)
	$(DEV_ENV) $(VENV)/bin/celery -A config worker -l info

beat: install ## Run Celery beat with the database scheduler (needs REDIS_URL)
	$(DEV_ENV) $(VENV)/bin/celery -A config beat -l info

migrate: install ## Apply database migrations
	$(DEV_ENV) $(PY) manage.py migrate --noinput

# The UI is written in French: the French catalogue repeats each string (msgen) so that
# French plural rules apply (« 0 agent inscrit »). Other languages translate from it.
messages: install ## Refresh and compile the French catalogue; needs gettext
	$(DEV_ENV) $(PY) manage.py makemessages -l fr --ignore=$(VENV) --ignore=tests --ignore=bench --ignore=test-artifacts
	# Fuzzy guesses from msgmerge are wrong more often than not: drop them before copying.
	msgattrib --clear-fuzzy --empty locale/fr/LC_MESSAGES/django.po -o locale/fr/LC_MESSAGES/django.po
	msgen locale/fr/LC_MESSAGES/django.po -o locale/fr/LC_MESSAGES/django.po
	$(DEV_ENV) $(PY) manage.py compilemessages --ignore=$(VENV)

clean: ## Remove caches and build output (keeps .venv and db.sqlite3)
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
	rm -rf .ruff_cache .pytest_cache staticfiles test-artifacts build *.egg-info
