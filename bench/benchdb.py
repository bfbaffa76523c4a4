"""Database set-up shared by the benchmarks: a throwaway PostgreSQL database of their own on
the server DATABASE_URL names, created if needed and migrated, then Django ready to use.

Each script has its own database by default; BENCH_DATABASE names another, so that two
benches (or two copies of one) never share a database: `database_name(default)`."""

import os
import sys
from urllib.parse import urlsplit, urlunsplit

ENVIRONMENT_VARIABLE = "BENCH_DATABASE"


def database_name(default: str) -> str:
    """The database a bench uses: $BENCH_DATABASE when set, else the script's `default`."""
    name = os.environ.get(ENVIRONMENT_VARIABLE, "").strip() or default
    if not name.replace("_", "").isalnum() or len(name) > 63:
        sys.exit(f"{ENVIRONMENT_VARIABLE}: letters, digits and _ only, 63 at most ({name!r}).")
    return name


def bench_database_url(name: str) -> str:
    """The URL of database `name` on DATABASE_URL's server, created if missing."""
    parts = urlsplit(os.environ.get("DATABASE_URL", ""))
    if not parts.scheme.startswith("postgres"):
        sys.exit("DATABASE_URL must point to PostgreSQL (postgres://…): the benchmarks need it.")
    import psycopg

    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def setup_django(name: str, **environment: str) -> None:
    """Point Django at database `name` (plus any extra environment), set it up, migrate."""
    os.environ["DATABASE_URL"] = bench_database_url(name)
    os.environ.update(environment)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_DEMO", "1")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
