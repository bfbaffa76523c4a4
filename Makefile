# Entry point for people: `make run` for the demo, `make test` for the suite.
# Local targets run the embedded demo settings unless the environment says otherwise.

VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
PYTEST_ARGS ?=
# Test processes (pytest-xdist): one per core by default; TEST_WORKERS=0 runs in one process.
# worksteal: a process done early takes tests queued for the other (the long browser journeys
# otherwise leave one process alone for the last minute).
TEST_WORKERS ?= auto

# Local development: a throwaway SECRET_KEY and DEBUG on (see config/settings.py).
DEV_ENV := DJANGO_DEMO=1 DEBUG=1

# Locked, hashed versions of every package (pip-compile from pyproject.toml, `make lock`):
# runtime dependencies for the image, runtime + dev tools for development and CI.
LOCK_BASE := requirements/base.txt
LOCK_DEV := requirements/dev.txt

.DEFAULT_GOAL := help
.PHONY: help install lock run test lint format worker beat migrate messages clean

help: ## Show this help
	@echo "Usage: make <target>"
	@grep -E '^[a-z][a-zA-Z_-]*:.*## ' $(MAKEFILE_LIST) \
		| awk 'BEGIN {FS = ":.*## "}; {printf "  %-10s %s\n", $$1, $$2}'

# Reinstalled whenever pyproject.toml or the lock changes. Every package comes from the lock
# (pip and setuptools too), checked against its hashes; then the app itself, editable,
# without dependencies and built with the locked setuptools. pip check fails when the lock
# no longer satisfies pyproject.toml (a dependency added without `make lock`).
# --no-deps: the lock lists every package, so there is nothing for pip to resolve; resolving
# anyway, the pip of a new venv (23.x) fails on a dependency with extras (weasyprint's
# fonttools[woff]) as soon as a release newer than the locked one is out.
PIP_INSTALL_LOCK := $(PY) -m pip install --no-deps --require-hashes -r

$(VENV)/.installed: pyproject.toml $(LOCK_BASE) $(LOCK_DEV)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL_LOCK) $(LOCK_DEV)
	$(PY) -m pip install --no-deps --no-build-isolation -e .
	$(PY) -m pip check || { echo "$(LOCK_DEV) does not match pyproject.toml: run make lock" >&2; exit 1; }
	touch $@

install: $(VENV)/.installed ## Create the virtualenv and install the app with dev tools

# pip-compile itself comes from the lock; this works even while the stamp above is stale.
$(VENV)/bin/pip-compile:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL_LOCK) $(LOCK_DEV)

# Resolved against PyPI alone, whatever the machine's pip configuration (mirrors, local
# wheels), for Python 3.11 on Linux x86_64 (the interpreter of the venv), plus
# requirements/lock-extras.in (what other 3.11 releases need). Versions already in the lock
# are kept unless pyproject.toml excludes them; UPGRADE=1 takes the newest allowed. The dev
# lock is resolved first, and the runtime lock is constrained by it, so that the image runs
# the versions the tests ran.
LOCK_INPUTS := pyproject.toml requirements/lock-extras.in
PIP_COMPILE := env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_CONSTRAINT \
	PIP_CONFIG_FILE=/dev/null CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile \
	--quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links $(if $(UPGRADE),--upgrade)

lock: $(VENV)/bin/pip-compile ## Refresh requirements/*.txt from pyproject.toml (UPGRADE=1: newest versions)
	$(PY) -c 'import platform as p, sys; v = p.python_version(); m = p.machine(); \
		sys.exit(None if v.startswith("3.11.") and m == "x86_64" else f"lock with Python 3.11 on x86_64, not {v} on {m}")'
	$(PIP_COMPILE) --extra dev -o $(LOCK_DEV) $(LOCK_INPUTS)
	$(PIP_COMPILE) -c $(LOCK_DEV) -o $(LOCK_BASE) $(LOCK_INPUTS)

# The demo's tasks (imports, relances, nightly figures) go through a queue kept in files
# (var/broker, config/settings.py) to a Celery worker with its scheduler (beat) started here
# next to runserver; Ctrl-C stops both.
CELERY_DEMO := $(VENV)/bin/celery -A config worker --beat --concurrency 2 --loglevel warning \
	--without-gossip --without-mingle

run: install ## Migrate the SQLite demo, load demo data, serve http://127.0.0.1:8000 with a worker
	@# A demo seeded more than two weeks ago has aged (its exports, milestones, reminders):
	@# start again from an empty demo database, dated from today.
	@if [ -f db.sqlite3 ] && $(DEV_ENV) $(PY) manage.py demo_aged; then \
		rm -rf db.sqlite3 db.sqlite3-wal db.sqlite3-shm media var; fi
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py seed_demo
	$(DEV_ENV) $(PY) manage.py seed_demo_reviews
	$(DEV_ENV) $(PY) manage.py refresh_stats --backfill
	$(DEV_ENV) sh -c '$(CELERY_DEMO) & worker=$$!; \
		trap "kill $$worker 2>/dev/null; wait $$worker" EXIT INT TERM; \
		$(PY) manage.py runserver 127.0.0.1:8000'

test: install ## Run the test suite (SQLite unless DATABASE_URL is set); PYTEST_ARGS=..., TEST_WORKERS=N
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: install ## Check style and formatting (ruff), then the import contracts (import-linter)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install ## Fix what ruff can fix and format the code
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

worker: install ## Run a Celery worker (Redis with REDIS_URL, else the demo's queue in var/)
	$(DEV_ENV) $(VENV)/bin/celery -A config worker -l info

beat: install ## Run Celery beat with the database scheduler (make run has its own)
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
