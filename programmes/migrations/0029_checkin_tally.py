"""The check-ins' tally (programmes.models.CheckInTally): how many (check-in, enrolment)
pairs each milestone has per enrolment dates, a pair being a check-in at the milestone and
an enrolment of its agent in the milestone's population. Kept by triggers on the check-ins
(insert, delete; agent or milestone changed), the enrolments (insert, delete; dates, agent
or population changed) and the milestones (population changed): statement-level from the
transition tables on PostgreSQL for inserts and deletes (planned on each call, see 0026),
row-level for the rare changes and on SQLite; then filled from the check-ins there are.

Pairs are added with an upsert (one row per milestone and dates) and subtracted by an
UPDATE of the rows there are, so that a deletion never writes a row: when a milestone, an
agent or a whole table goes, the pairs leave with whichever of the check-in or the
enrolment goes first, or with the rows themselves. The same SQL serves both databases.

On SQLite, a migration that remakes one of these three tables drops its triggers: it must
make them again (see 0027)."""

import importlib

import django.db.models.deletion
from django.db import migrations, models

TALLY = "programmes_checkintally"
CHECKIN = "programmes_checkin"
MILESTONE = "programmes_milestone"
ENROLMENT = "programmes_enrolment"
OPEN_END = "'9999-12-31'"
PG_FUNCTIONS = (
    "programmes_checkin_tally",
    "programmes_checkin_tally_row",
    "programmes_enrolment_checkin_tally",
    "programmes_enrolment_checkin_tally_row",
    "programmes_milestone_checkin_tally_row",
)
TRIGGERS = (
    (CHECKIN, "checkin_tally_insert"),
    (CHECKIN, "checkin_tally_delete"),
    (CHECKIN, "checkin_tally_update"),
    (ENROLMENT, "enrolment_checkin_tally_insert"),
    (ENROLMENT, "enrolment_checkin_tally_delete"),
    (ENROLMENT, "enrolment_checkin_tally_update"),
    (MILESTONE, "milestone_checkin_tally_update"),
)
PAIR = f"SELECT c.milestone_id, e.start_date, COALESCE(e.end_date, {OPEN_END}) AS end_date, count(*) AS n"


def _of_checkins(rows):
    """The pairs of the check-ins `rows` (milestone_id, agent_id), by key."""
    return (
        f"{PAIR} FROM {rows} AS c JOIN {MILESTONE} AS m ON m.id = c.milestone_id "
        f"JOIN {ENROLMENT} AS e ON e.agent_id = c.agent_id AND e.population_id = m.population_id "
        "GROUP BY 1, 2, 3"
    )


def _of_enrolments(rows):
    """The pairs of the enrolments `rows` (agent_id, population_id, start_date, end_date)."""
    return (
        f"{PAIR} FROM {rows} AS e JOIN {MILESTONE} AS m ON m.population_id = e.population_id "
        f"JOIN {CHECKIN} AS c ON c.milestone_id = m.id AND c.agent_id = e.agent_id "
        "GROUP BY 1, 2, 3"
    )


def _of_milestone(milestone, population):
    """The pairs of the milestone's check-ins with the enrolments of `population`."""
    return (
        f"{PAIR} FROM {CHECKIN} AS c JOIN {ENROLMENT} AS e "
        f"ON e.agent_id = c.agent_id AND e.population_id = {population} "
        f"WHERE c.milestone_id = {milestone} GROUP BY 1, 2, 3"
    )


def _add(pairs):
    # WHERE true: SQLite's parser would read ON CONFLICT as a join's ON otherwise.
    return (
        f"INSERT INTO {TALLY} (milestone_id, start_date, end_date, n) "
        f"SELECT milestone_id, start_date, end_date, n FROM ({pairs}) AS p WHERE true "
        f"ON CONFLICT (milestone_id, start_date, end_date) DO UPDATE SET n = {TALLY}.n + excluded.n"
    )


def _subtract(pairs):
    return (
        f"UPDATE {TALLY} SET n = {TALLY}.n - p.n FROM ({pairs}) AS p "
        f"WHERE {TALLY}.milestone_id = p.milestone_id AND {TALLY}.start_date = p.start_date "
        f"AND {TALLY}.end_date = p.end_date"
    )


def _row(record, columns):
    """A one-row source of the trigger's OLD or NEW."""
    return "(SELECT " + ", ".join(f"{record}.{c} AS {c}" for c in columns) + ")"


CHECKIN_COLUMNS = ("milestone_id", "agent_id")
ENROLMENT_COLUMNS = ("agent_id", "population_id", "start_date", "end_date")


def _changed(columns, distinct):
    return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in columns)


# --- PostgreSQL --------------------------------------------------------------------------


def _execute(statement):
    return importlib.import_module(
        "programmes.migrations.0026_reminder_hold_planned_per_statement"
    )._execute(statement)


def _pg_sql():
    def statement_function(name, of):
        return f"""
        CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                {_execute(_add(of("new_rows")))};
            ELSE
                {_execute(_subtract(of("old_rows")))};
            END IF;
            RETURN NULL;
        END $$
        """

    def row_function(name, old, new):
        return f"""
        CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            {_subtract(old)};
            {_add(new)};
            RETURN NULL;
        END $$
        """

    def statement_triggers(table, prefix, function):
        return [
            f"CREATE TRIGGER {prefix}_insert AFTER INSERT ON {table} "
            f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
            f"CREATE TRIGGER {prefix}_delete AFTER DELETE ON {table} "
            f"REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        ]

    def row_trigger(table, name, columns, function):
        return (
            f"CREATE TRIGGER {name} AFTER UPDATE OF {', '.join(columns)} ON {table} "
            f"FOR EACH ROW WHEN ({_changed(columns, 'IS DISTINCT FROM')}) "
            f"EXECUTE FUNCTION {function}()"
        )

    return [
        statement_function("programmes_checkin_tally", _of_checkins),
        row_function(
            "programmes_checkin_tally_row",
            _of_checkins(_row("OLD", CHECKIN_COLUMNS)),
            _of_checkins(_row("NEW", CHECKIN_COLUMNS)),
        ),
        statement_function("programmes_enrolment_checkin_tally", _of_enrolments),
        row_function(
            "programmes_enrolment_checkin_tally_row",
            _of_enrolments(_row("OLD", ENROLMENT_COLUMNS)),
            _of_enrolments(_row("NEW", ENROLMENT_COLUMNS)),
        ),
        row_function(
            "programmes_milestone_checkin_tally_row",
            _of_milestone("OLD.id", "OLD.population_id"),
            _of_milestone("NEW.id", "NEW.population_id"),
        ),
        *statement_triggers(CHECKIN, "checkin_tally", "programmes_checkin_tally"),
        row_trigger(
            CHECKIN, "checkin_tally_update", CHECKIN_COLUMNS, "programmes_checkin_tally_row"
        ),
        *statement_triggers(
            ENROLMENT, "enrolment_checkin_tally", "programmes_enrolment_checkin_tally"
        ),
        row_trigger(
            ENROLMENT,
            "enrolment_checkin_tally_update",
            ENROLMENT_COLUMNS,
            "programmes_enrolment_checkin_tally_row",
        ),
        row_trigger(
            MILESTONE,
            "milestone_checkin_tally_update",
            ("population_id",),
            "programmes_milestone_checkin_tally_row",
        ),
    ]


# --- SQLite ------------------------------------------------------------------------------


def _sqlite_sql():
    def trigger(table, name, event, body, columns=None):
        when = ""
        if columns is not None:
            event = f"UPDATE OF {', '.join(columns)}"
            when = f"WHEN {_changed(columns, 'IS NOT')} "
        return f"CREATE TRIGGER {name} AFTER {event} ON {table} {when}BEGIN {'; '.join(body)}; END"

    checkin_old = _of_checkins(_row("OLD", CHECKIN_COLUMNS))
    checkin_new = _of_checkins(_row("NEW", CHECKIN_COLUMNS))
    enrolment_old = _of_enrolments(_row("OLD", ENROLMENT_COLUMNS))
    enrolment_new = _of_enrolments(_row("NEW", ENROLMENT_COLUMNS))
    return [
        trigger(CHECKIN, "checkin_tally_insert", "INSERT", [_add(checkin_new)]),
        trigger(CHECKIN, "checkin_tally_delete", "DELETE", [_subtract(checkin_old)]),
        trigger(
            CHECKIN,
            "checkin_tally_update",
            None,
            [_subtract(checkin_old), _add(checkin_new)],
            CHECKIN_COLUMNS,
        ),
        trigger(ENROLMENT, "enrolment_checkin_tally_insert", "INSERT", [_add(enrolment_new)]),
        trigger(ENROLMENT, "enrolment_checkin_tally_delete", "DELETE", [_subtract(enrolment_old)]),
        trigger(
            ENROLMENT,
            "enrolment_checkin_tally_update",
            None,
            [_subtract(enrolment_old), _add(enrolment_new)],
            ENROLMENT_COLUMNS,
        ),
        trigger(
            MILESTONE,
            "milestone_checkin_tally_update",
            None,
            [
                _subtract(_of_milestone("OLD.id", "OLD.population_id")),
                _add(_of_milestone("NEW.id", "NEW.population_id")),
            ],
            ("population_id",),
        ),
    ]


# --- Operations ----------------------------------------------------------------------------


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = _pg_sql()
    elif vendor == "sqlite":
        statements = _sqlite_sql()
    else:
        raise NotImplementedError(f"No check-in tally triggers for {vendor}")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(_add(_of_checkins(CHECKIN)))
        for statement in statements:
            cursor.execute(statement)


def uninstall(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    with schema_editor.connection.cursor() as cursor:
        for table, name in TRIGGERS:
            cursor.execute(
                f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgresql else "")
            )
        if postgresql:
            for name in PG_FUNCTIONS:
                cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")


class Migration(migrations.Migration):
    dependencies = [
        ("programmes", "0028_reminder_rules_pending"),
    ]

    operations = [
        migrations.CreateModel(
            name="CheckInTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("start_date", models.DateField()),
                ("end_date", models.DateField(help_text="9999-12-31: no end date.")),
                ("n", models.IntegerField()),
                (
                    "milestone",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="programmes.milestone",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("milestone", "start_date", "end_date"), name="checkin_tally_key"
                    )
                ],
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
