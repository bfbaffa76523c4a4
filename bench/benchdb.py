"""Database set-up shared by the benchmarks: a throwaway PostgreSQL database of their own on
the server DATABASE_URL names, created if needed and migrated, then Django ready to use."""

import os
import sys
from urllib.parse import urlsplit, urlunsplit


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
