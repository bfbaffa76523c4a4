"""The agents' search (names, e-mail, matricule: `AgentQuerySet.search`, an icontains on each
word) served by a trigram index on PostgreSQL, so that a search in a population or a team of
100,000 reads the few agents it finds instead of scanning them all.

PostgreSQL only, and only where the pg_trgm extension can be created (it is « trusted »: the
database's owner may create it); elsewhere, or without it, nothing is created and the search
scans as before. The index is on the expressions Django's icontains compares
(UPPER(column::text) LIKE UPPER(pattern)), one GIN index for the four columns."""

from django.db import migrations, transaction
from django.db.utils import DatabaseError

INDEX = "agent_search_trgm_idx"
COLUMNS = ("last_name", "first_name", "email", "external_id")


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError:  # not allowed here: the search keeps scanning
        return
    expressions = ", ".join(f'UPPER("{column}"::text) gin_trgm_ops' for column in COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f'CREATE INDEX IF NOT EXISTS {INDEX} ON "agents_agent" USING gin ({expressions})'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("agents", "0003_agent_unreachable_idx")]

    operations = [migrations.RunPython(create, drop)]
