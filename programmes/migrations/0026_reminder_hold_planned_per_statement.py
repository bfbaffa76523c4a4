"""The reminder-hold trigger functions of 0025, on PostgreSQL, plan their statements each
time they run (plpgsql EXECUTE) instead of once per connection.

A plpgsql statement without parameters is planned once per connection and the plan kept:
the plan of the first call, made for the size of the transition tables then. After a few
single-row updates (each reminder sent marks its row), a bulk update of the reminders in
the same connection re-used the one-row plan: nested loops over the transition tables, so
quadratic time (5,000 rows: 3.0 s instead of 0.05 s; the 54,654 of a load seed: more than
6 minutes). Planned on each call, each statement gets the plan of its own row counts.

The reminders' UPDATE trigger first checks that a row changed what the hold depends on
(status to or from cancelled, period, agent, programme): marking reminders sent, the usual
update, changes none of it and no longer plans the enrolments' UPDATE. The definitions
themselves are 0025's; SQLite's row-level triggers are unchanged."""

import importlib

from django.db import migrations


def _hold():
    return importlib.import_module("programmes.migrations.0025_reminder_hold")


def _execute(statement):
    """`statement` run through EXECUTE (planned on each call); the transition tables are
    visible to it as to static SQL."""
    if "$q$" in statement:
        raise ValueError("The statement holds the quote tag $q$")
    return f"EXECUTE $q${statement}$q$"


def _functions():
    hold = _hold()
    refresh = hold._pg_refresh
    new, old = (
        refresh("SELECT agent_id, programme_id FROM new_rows"),
        refresh("SELECT agent_id, programme_id FROM old_rows"),
    )
    # A count, not EXISTS: EXISTS is planned for its first row (a nested loop over the two
    # transition tables), and when no row changed, the usual case, it reads them all.
    changed = f"SELECT count(*) > 0 {hold.REMINDER_CHANGED}"
    return {
        "programmes_reminder_hold": f"""
            IF TG_OP = 'INSERT' THEN
                {_execute(new)};
            ELSIF TG_OP = 'UPDATE' THEN
                {_execute(changed)} INTO changed;
                IF changed THEN
                    {_execute(refresh(hold.REMINDER_PAIRS))};
                END IF;
            ELSE
                {_execute(old)};
            END IF;
        """,
        "programmes_optout_hold": f"""
            IF TG_OP = 'INSERT' THEN
                {_execute(new)};
            ELSE
                {_execute(old)};
            END IF;
        """,
        "programmes_rules_hold": f"""
            IF TG_OP = 'INSERT' THEN
                {_execute(refresh(hold.RULES_OF.format(rules="new_rows")))};
            ELSE
                {_execute(refresh(hold.RULES_OF.format(rules=hold.RULES_CHANGED)))};
            END IF;
        """,
        "programmes_enrolment_hold": f"{_execute(refresh(hold.ENROLLED))};",
    }


def _replace(schema_editor, functions):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite's triggers are row-level statements: nothing kept across calls
    with schema_editor.connection.cursor() as cursor:
        for name, body in functions.items():
            cursor.execute(
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"DECLARE changed boolean; BEGIN {body} RETURN NULL; END $$"
            )


def planned_per_statement(apps, schema_editor):
    _replace(schema_editor, _functions())


def planned_once(apps, schema_editor):
    """Back to 0025's functions (the triggers stay: they name the functions)."""
    hold = _hold()
    statements = hold._pg_hold()
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            if statement.startswith("CREATE FUNCTION"):
                cursor.execute(statement.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))


class Migration(migrations.Migration):
    dependencies = [
        ("programmes", "0025_reminder_hold"),
    ]

    operations = [
        migrations.RunPython(planned_per_statement, planned_once),
    ]
