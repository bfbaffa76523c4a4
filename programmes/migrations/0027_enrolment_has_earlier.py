"""Each enrolment says whether its agent has an enrolment in a population of the same
programme with a smaller id (`Enrolment.has_earlier`), kept by triggers on the enrolments
(insert, delete, agent or population changed), and carried by the progress indexes.

The reminders' due set keeps one row per agent and programme, that of the first of their
populations; a row of a later population looked for an earlier one by an index probe each
(18,114 probes for the owner of three populations at a million agents, before any sending).
Only the rows with `has_earlier` can have one: most agents are in one population of a
programme, and their rows are no longer probed. programmes/reminders/siblings.py holds the
definition in Python and checks the stored flags against it every night.

On SQLite, adding a column that is not null remakes the table, which drops its triggers
and checks those of other tables that name it: 0025's tally and hold triggers are dropped
first and made again after."""

import importlib

from django.db import migrations, models

ENROLMENT = "programmes_enrolment"
POPULATION = "programmes_targetpopulation"
EARLIER_TRIGGERS = ("enrolment_earlier_insert", "enrolment_earlier_delete", "enrolment_earlier_update")
EARLIER_FUNCTIONS = ("programmes_enrolment_earlier", "programmes_enrolment_earlier_row")


def _hold():
    return importlib.import_module("programmes.migrations.0025_reminder_hold")


def _earlier(row, programme):
    """Whether `row` (an enrolment's alias) has an enrolment of its agent in a population
    of `programme` with a smaller id."""
    return (
        f"EXISTS (SELECT 1 FROM {ENROLMENT} AS s JOIN {POPULATION} AS sp "
        "ON sp.id = s.population_id "
        f"WHERE s.agent_id = {row}.agent_id AND s.population_id < {row}.population_id "
        f"AND sp.programme_id = {programme})"
    )


# --- PostgreSQL --------------------------------------------------------------------------


def _pg_refresh(pairs):
    """One UPDATE giving each enrolment of the (agent_id, programme_id) `pairs` its flag,
    where it differs."""
    return f"""
        UPDATE {ENROLMENT} AS e SET has_earlier = x.earlier
        FROM (
            SELECT m.id, {_earlier("m", "t.programme_id")} AS earlier
            FROM (SELECT DISTINCT agent_id, programme_id FROM ({pairs}) AS q) AS p
            JOIN {POPULATION} AS t ON t.programme_id = p.programme_id
            JOIN {ENROLMENT} AS m ON m.population_id = t.id AND m.agent_id = p.agent_id
        ) AS x
        WHERE e.id = x.id AND e.has_earlier <> x.earlier
    """


def _pg_pairs(rows):
    return (
        f"SELECT r.agent_id, t.programme_id FROM {rows} AS r "
        f"JOIN {POPULATION} AS t ON t.id = r.population_id"
    )


def _pg_sql():
    execute = _hold_0026()._execute
    # Statement-level for inserts and deletes (an import enrols thousands at once), planned
    # on each call (see 0026); row-level for the rare change of an enrolment's agent or
    # population, whose WHEN leaves every other update alone.
    row_pairs = (
        f"SELECT OLD.agent_id, (SELECT programme_id FROM {POPULATION} WHERE id = OLD.population_id) "
        f"UNION ALL SELECT NEW.agent_id, (SELECT programme_id FROM {POPULATION} "
        "WHERE id = NEW.population_id)"
    )
    return [
        f"""
        CREATE FUNCTION programmes_enrolment_earlier() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                {execute(_pg_refresh(_pg_pairs("new_rows")))};
            ELSE
                {execute(_pg_refresh(_pg_pairs("old_rows")))};
            END IF;
            RETURN NULL;
        END $$
        """,
        f"""
        CREATE FUNCTION programmes_enrolment_earlier_row() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            {_pg_refresh(row_pairs)};
            RETURN NULL;
        END $$
        """,
        f"CREATE TRIGGER enrolment_earlier_insert AFTER INSERT ON {ENROLMENT} "
        "REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION programmes_enrolment_earlier()",
        f"CREATE TRIGGER enrolment_earlier_delete AFTER DELETE ON {ENROLMENT} "
        "REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION programmes_enrolment_earlier()",
        f"CREATE TRIGGER enrolment_earlier_update AFTER UPDATE OF agent_id, population_id "
        f"ON {ENROLMENT} FOR EACH ROW WHEN (OLD.agent_id IS DISTINCT FROM NEW.agent_id "
        "OR OLD.population_id IS DISTINCT FROM NEW.population_id) "
        "EXECUTE FUNCTION programmes_enrolment_earlier_row()",
    ]


def _hold_0026():
    return importlib.import_module("programmes.migrations.0026_reminder_hold_planned_per_statement")


# --- SQLite ------------------------------------------------------------------------------


def _sqlite_refresh(agent, programme):
    earlier = _earlier(ENROLMENT, programme)
    return (
        f"UPDATE {ENROLMENT} SET has_earlier = {earlier} "
        f"WHERE agent_id = {agent} AND population_id IN "
        f"(SELECT id FROM {POPULATION} WHERE programme_id = {programme}) "
        f"AND has_earlier IS NOT {earlier};"
    )


def _sqlite_sql():
    def programme(row):
        return f"(SELECT programme_id FROM {POPULATION} WHERE id = {row}.population_id)"

    new, old = (
        _sqlite_refresh("NEW.agent_id", programme("NEW")),
        _sqlite_refresh("OLD.agent_id", programme("OLD")),
    )
    return [
        f"CREATE TRIGGER enrolment_earlier_insert AFTER INSERT ON {ENROLMENT} BEGIN {new} END",
        f"CREATE TRIGGER enrolment_earlier_delete AFTER DELETE ON {ENROLMENT} BEGIN {old} END",
        f"CREATE TRIGGER enrolment_earlier_update AFTER UPDATE OF agent_id, population_id "
        f"ON {ENROLMENT} WHEN OLD.agent_id IS NOT NEW.agent_id "
        f"OR OLD.population_id IS NOT NEW.population_id BEGIN {old} {new} END",
    ]


def _sqlite_enrolment_triggers():
    """0025's triggers: those on the enrolments (tally; hold of a new enrolment) and those
    that write them (holds), which SQLite checks when the remade table is renamed."""
    hold = _hold()
    return hold._sqlite_tally(hold._zone()) + hold._sqlite_hold_triggers()


def _sqlite_enrolment_trigger_names():
    hold = _hold()
    return [f"enrolment_tally_{name}" for name in hold.TALLY_TRIGGERS] + [
        name for _table, name, _event in hold.HOLD_TRIGGERS
    ]


# --- Operations ----------------------------------------------------------------------------


def _run(schema_editor, statements):
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _sqlite(schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"No enrolment triggers for {vendor}")
    return vendor == "sqlite"


def drop_sqlite_enrolment_triggers(apps, schema_editor):
    if _sqlite(schema_editor):
        _run(schema_editor, [f"DROP TRIGGER IF EXISTS {n}" for n in _sqlite_enrolment_trigger_names()])


def restore_sqlite_enrolment_triggers(apps, schema_editor):
    if _sqlite(schema_editor):
        _run(schema_editor, _sqlite_enrolment_triggers())


def install(apps, schema_editor):
    fill = (
        f"UPDATE {ENROLMENT} SET has_earlier = true WHERE "
        + _earlier(
            ENROLMENT, f"(SELECT programme_id FROM {POPULATION} WHERE id = {ENROLMENT}.population_id)"
        )
    )
    if _sqlite(schema_editor):
        statements = _sqlite_enrolment_triggers() + _sqlite_sql()
    else:
        statements = _pg_sql()
    _run(schema_editor, [fill, *statements])


def uninstall(apps, schema_editor):
    if _sqlite(schema_editor):
        names = [*EARLIER_TRIGGERS, *_sqlite_enrolment_trigger_names()]
        _run(schema_editor, [f"DROP TRIGGER IF EXISTS {name}" for name in names])
    else:
        _run(
            schema_editor,
            [f"DROP TRIGGER IF EXISTS {name} ON {ENROLMENT}" for name in EARLIER_TRIGGERS]
            + [f"DROP FUNCTION IF EXISTS {name}()" for name in EARLIER_FUNCTIONS],
        )


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0004_agent_search_trigram"),
        ("programmes", "0026_reminder_hold_planned_per_statement"),
    ]

    operations = [
        migrations.RunPython(drop_sqlite_enrolment_triggers, restore_sqlite_enrolment_triggers),
        migrations.RemoveIndex(model_name="enrolment", name="enrolment_progress_idx"),
        migrations.RemoveIndex(model_name="enrolment", name="enrolment_activity_idx"),
        migrations.AddField(
            model_name="enrolment",
            name="has_earlier",
            field=models.BooleanField(
                db_default=False,
                default=False,
                editable=False,
                verbose_name="inscrit·e aussi dans une population précédente",
            ),
        ),
        migrations.AddIndex(
            model_name="enrolment",
            index=models.Index(
                fields=["population", "reached", "last_activity"],
                include=("start_date", "end_date", "agent", "reminder_hold", "has_earlier"),
                name="enrolment_progress_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="enrolment",
            index=models.Index(
                fields=["population", "last_activity"],
                include=("start_date", "end_date", "agent", "reminder_hold", "has_earlier"),
                name="enrolment_activity_idx",
            ),
        ),
        migrations.RunPython(install, uninstall),
    ]
