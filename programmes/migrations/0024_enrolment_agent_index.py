import django.db.models.deletion
from django.db import migrations, models


def _agent_fk_indexes(schema_editor, model):
    """The names of the plain indexes on the enrolment's agent column alone."""
    table = model._meta.db_table
    column = model._meta.get_field("agent").column
    with schema_editor.connection.cursor() as cursor:
        constraints = schema_editor.connection.introspection.get_constraints(cursor, table)
    return [
        name
        for name, info in constraints.items()
        if info["index"]
        and not info["unique"]
        and not info["primary_key"]
        and info["columns"] == [column]
    ]


def drop_agent_fk_index(apps, schema_editor):
    # Dropped by name rather than by altering the field: on SQLite, AlterField rebuilds the
    # table, which drops its triggers (the populations' tallies, migration 0020).
    model = apps.get_model("programmes", "Enrolment")
    for name in _agent_fk_indexes(schema_editor, model):
        schema_editor.execute(schema_editor._delete_index_sql(model, name))


def restore_agent_fk_index(apps, schema_editor):
    model = apps.get_model("programmes", "Enrolment")
    if not _agent_fk_indexes(schema_editor, model):
        field = model._meta.get_field("agent")
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0004_agent_search_trigram"),
        ("programmes", "0023_enrolment_progress_indexes_cover_reminders"),
    ]

    # The new index first: the agent's enrolments always have one while the old one goes.
    operations = [
        migrations.AddIndex(
            model_name="enrolment",
            index=models.Index(
                fields=["agent", "population"],
                include=("start_date", "end_date", "reached", "last_activity"),
                name="enrolment_agent_idx",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="enrolment",
                    name="agent",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="enrolments",
                        to="agents.agent",
                        verbose_name="agent",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(drop_agent_fk_index, restore_agent_fk_index),
            ],
        ),
    ]
