"""Each enrolment's reminder hold (`Enrolment.reminder_hold`: no reminder of the programme
before that day), kept by triggers on the reminders, the opt-outs, the rules and the new
enrolments, and added to the populations' tally key (`PopulationTally.hold_day`), so that
the reminders' counts read the tally instead of each agent held apart.

The hold of an agent in a programme (the same on each of their enrolments in it):
9999-12-31 when they opted out or got the maximum of reminders not cancelled; else the day
of their last reminder not cancelled plus the interval; else none. Statement-level triggers
on PostgreSQL (from their transition tables), row-level on SQLite; the rules' defaults
(interval 14, maximum 3) where a programme has none saved. programmes/reminders/holds.py
holds the same definition in Python and checks the stored holds against it every night."""

import datetime
import importlib
import re

from django.conf import settings
from django.db import migrations, models

# The trigger SQL is frozen here (later changes go in a migration of their own).
ENROLMENT = "programmes_enrolment"
TALLY = "programmes_populationtally"
REMINDER = "programmes_reminder"
OPT_OUT = "programmes_reminderoptout"
RULES = "programmes_remindersettings"
POPULATION = "programmes_targetpopulation"
TALLY_COLUMNS = (
    "population_id, start_date, end_date, activity_day, has_shared, reached, targets_met, "
    "hold_day, n"
)
GROUP = "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"
FOREVER = "9999-12-31"
DEFAULT_INTERVAL = 14  # ReminderSettings.interval_days's default
DEFAULT_MAX = 3  # ReminderSettings.max_count's default
CANCELLED = "cancelled"
TALLY_TRIGGERS = ("insert", "update", "delete")
HOLD_TRIGGERS = (
    (REMINDER, "reminder_hold_insert", "INSERT"),
    (REMINDER, "reminder_hold_update", "UPDATE"),
    (REMINDER, "reminder_hold_delete", "DELETE"),
    (OPT_OUT, "optout_hold_insert", "INSERT"),
    (OPT_OUT, "optout_hold_delete", "DELETE"),
    (RULES, "rules_hold_insert", "INSERT"),
    (RULES, "rules_hold_update", "UPDATE"),
    (ENROLMENT, "enrolment_hold_insert", "INSERT"),
)


def _zone():
    zone = settings.TIME_ZONE
    if not re.fullmatch(r"[A-Za-z0-9_/+-]+", zone):
        raise ValueError(f"TIME_ZONE {zone!r}: not a zone name")
    return zone


def _old():
    return importlib.import_module("programmes.migrations.0020_population_tally")


# --- PostgreSQL --------------------------------------------------------------------------


def _pg_key(zone):
    return (
        "population_id, start_date, COALESCE(end_date, DATE '9999-12-31'), "
        f"COALESCE((last_activity AT TIME ZONE '{zone}')::date, DATE '0001-01-01'), "
        "has_shared, reached, targets_met, COALESCE(reminder_hold, DATE '0001-01-01')"
    )


def _pg_tally(zone):
    key = _pg_key(zone)
    return [
        f"""
        CREATE FUNCTION programmes_enrolment_tally() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO {TALLY} ({TALLY_COLUMNS})
                SELECT {key}, count(*) FROM new_rows {GROUP};
            ELSIF TG_OP = 'UPDATE' THEN
                INSERT INTO {TALLY} ({TALLY_COLUMNS})
                SELECT k1, k2, k3, k4, k5, k6, k7, k8, sum(d) FROM (
                    SELECT {key}, -1 FROM old_rows
                    UNION ALL SELECT {key}, 1 FROM new_rows
                ) AS changed (k1, k2, k3, k4, k5, k6, k7, k8, d)
                {GROUP} HAVING sum(d) <> 0;
            ELSE
                -- Not when the population's rows are gone already (a flush of every table).
                INSERT INTO {TALLY} ({TALLY_COLUMNS})
                SELECT {key}, -count(*) FROM old_rows
                WHERE EXISTS (
                    SELECT 1 FROM {TALLY} AS t WHERE t.population_id = old_rows.population_id
                )
                {GROUP};
            END IF;
            RETURN NULL;
        END
        $$
        """,
        f"CREATE TRIGGER enrolment_tally_insert AFTER INSERT ON {ENROLMENT} "
        "REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION programmes_enrolment_tally()",
        f"CREATE TRIGGER enrolment_tally_update AFTER UPDATE ON {ENROLMENT} "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION programmes_enrolment_tally()",
        f"CREATE TRIGGER enrolment_tally_delete AFTER DELETE ON {ENROLMENT} "
        "REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION programmes_enrolment_tally()",
    ]


def _pg_refresh(pairs):
    """One UPDATE giving each enrolment of the (agent_id, programme_id) `pairs` its hold,
    where it differs."""
    return f"""
        UPDATE {ENROLMENT} AS e SET reminder_hold = h.hold
        FROM (
            SELECT p.agent_id, p.programme_id,
                CASE WHEN EXISTS (
                        SELECT 1 FROM {OPT_OUT} AS o
                        WHERE o.agent_id = p.agent_id AND o.programme_id = p.programme_id
                    ) OR r.n >= COALESCE(s.max_count, {DEFAULT_MAX})
                    THEN DATE '{FOREVER}'
                    ELSE r.last::date + COALESCE(s.interval_days, {DEFAULT_INTERVAL})
                END AS hold
            FROM (SELECT DISTINCT agent_id, programme_id FROM ({pairs}) AS q) AS p
            LEFT JOIN {RULES} AS s ON s.programme_id = p.programme_id
            CROSS JOIN LATERAL (
                SELECT count(*) AS n, max(period) AS last FROM {REMINDER} AS r
                WHERE r.agent_id = p.agent_id AND r.programme_id = p.programme_id
                AND r.status <> '{CANCELLED}'
            ) AS r
        ) AS h, {POPULATION} AS t
        WHERE t.programme_id = h.programme_id AND e.population_id = t.id
        AND e.agent_id = h.agent_id AND e.reminder_hold IS DISTINCT FROM h.hold
    """


# The rows the hold triggers refresh (agent_id, programme_id), from their transition tables.
REMINDER_CHANGED = (
    "FROM new_rows AS n JOIN old_rows AS o ON o.id = n.id "
    f"WHERE (o.status = '{CANCELLED}') <> (n.status = '{CANCELLED}') "
    "OR o.period <> n.period OR o.agent_id <> n.agent_id OR o.programme_id <> n.programme_id"
)
RULES_OF = (
    f"SELECT r.agent_id, r.programme_id FROM {REMINDER} AS r "
    "WHERE r.programme_id IN (SELECT programme_id FROM {rules}) "
    f"UNION ALL SELECT o.agent_id, o.programme_id FROM {OPT_OUT} AS o "
    "WHERE o.programme_id IN (SELECT programme_id FROM {rules})"
)
RULES_CHANGED = (
    "(SELECT n.programme_id FROM new_rows AS n JOIN old_rows AS o ON o.id = n.id "
    "WHERE o.interval_days <> n.interval_days OR o.max_count <> n.max_count) AS c"
)
# A new enrolment of an agent the programme reminded or who opted out.
ENROLLED = (
    f"SELECT n.agent_id, t.programme_id FROM new_rows AS n JOIN {POPULATION} AS t "
    "ON t.id = n.population_id WHERE EXISTS ("
    f"SELECT 1 FROM {REMINDER} AS r "
    "WHERE r.programme_id = t.programme_id AND r.agent_id = n.agent_id"
    f") OR EXISTS (SELECT 1 FROM {OPT_OUT} AS o "
    "WHERE o.programme_id = t.programme_id AND o.agent_id = n.agent_id)"
)
REMINDER_PAIRS = (
    f"SELECT n.agent_id, n.programme_id {REMINDER_CHANGED} "
    f"UNION ALL SELECT o.agent_id, o.programme_id {REMINDER_CHANGED}"
)


def _pg_hold():
    reminder_update = _pg_refresh(REMINDER_PAIRS)
    functions = {
        "programmes_reminder_hold": f"""
            IF TG_OP = 'INSERT' THEN
                {_pg_refresh("SELECT agent_id, programme_id FROM new_rows")};
            ELSIF TG_OP = 'UPDATE' THEN
                {reminder_update};
            ELSE
                {_pg_refresh("SELECT agent_id, programme_id FROM old_rows")};
            END IF;
        """,
        "programmes_optout_hold": f"""
            IF TG_OP = 'INSERT' THEN
                {_pg_refresh("SELECT agent_id, programme_id FROM new_rows")};
            ELSE
                {_pg_refresh("SELECT agent_id, programme_id FROM old_rows")};
            END IF;
        """,
        "programmes_rules_hold": f"""
            IF TG_OP = 'INSERT' THEN
                {_pg_refresh(RULES_OF.format(rules="new_rows"))};
            ELSE
                {_pg_refresh(RULES_OF.format(rules=RULES_CHANGED))};
            END IF;
        """,
        "programmes_enrolment_hold": f"{_pg_refresh(ENROLLED)};",
    }
    statements = [
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {body} RETURN NULL; END $$"
        for name, body in functions.items()
    ]
    function_of = {
        REMINDER: "programmes_reminder_hold",
        OPT_OUT: "programmes_optout_hold",
        RULES: "programmes_rules_hold",
        ENROLMENT: "programmes_enrolment_hold",
    }
    for table, name, event in HOLD_TRIGGERS:
        rows = {
            "INSERT": "NEW TABLE AS new_rows",
            "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            "DELETE": "OLD TABLE AS old_rows",
        }[event]
        statements.append(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {rows} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function_of[table]}()"
        )
    return statements


def _pg_fill(zone):
    return [
        _pg_refresh(
            f"SELECT agent_id, programme_id FROM {REMINDER} "
            f"UNION ALL SELECT agent_id, programme_id FROM {OPT_OUT}"
        ),
        f"DELETE FROM {TALLY}",
        f"INSERT INTO {TALLY} ({TALLY_COLUMNS}) "
        f"SELECT {_pg_key(zone)}, count(*) FROM {ENROLMENT} {GROUP}",
    ]


# --- SQLite --------------------------------------------------------------------------------


def _sqlite_hold(agent, programme):
    """The hold of the agent `agent` in the programme `programme` (SQL expressions)."""
    counted = (
        f"FROM {REMINDER} WHERE agent_id = {agent} AND programme_id = {programme} "
        f"AND status <> '{CANCELLED}'"
    )
    rule = f"(SELECT {{}} FROM {RULES} WHERE programme_id = {programme})"
    return (
        f"(CASE WHEN EXISTS (SELECT 1 FROM {OPT_OUT} WHERE agent_id = {agent} "
        f"AND programme_id = {programme}) "
        f"OR (SELECT count(*) {counted}) >= COALESCE({rule.format('max_count')}, {DEFAULT_MAX}) "
        f"THEN '{FOREVER}' "
        f"ELSE date((SELECT max(period) {counted}), '+' || "
        f"COALESCE({rule.format('interval_days')}, {DEFAULT_INTERVAL}) || ' days') END)"
    )


def _sqlite_refresh(agent, programme):
    hold = _sqlite_hold(agent, programme)
    return (
        f"UPDATE {ENROLMENT} SET reminder_hold = {hold} WHERE agent_id = {agent} "
        f"AND population_id IN (SELECT id FROM {POPULATION} WHERE programme_id = {programme}) "
        f"AND reminder_hold IS NOT {hold};"
    )


def _sqlite_values(zone, row, n):
    return (
        f"({row}.population_id, {row}.start_date, COALESCE({row}.end_date, '9999-12-31'), "
        f"COALESCE(django_datetime_cast_date({row}.last_activity, '{zone}', 'UTC'), "
        f"'0001-01-01'), {row}.has_shared, {row}.reached, {row}.targets_met, "
        f"COALESCE({row}.reminder_hold, '0001-01-01'), {n})"
    )


def _sqlite_key(zone):
    return (
        "population_id, start_date, COALESCE(end_date, '9999-12-31'), "
        f"COALESCE(django_datetime_cast_date(last_activity, '{zone}', 'UTC'), '0001-01-01'), "
        "has_shared, reached, targets_met, COALESCE(reminder_hold, '0001-01-01')"
    )


def _sqlite_tally(zone):
    changed = " OR ".join(
        f"OLD.{column} IS NOT NEW.{column}"
        for column in (
            "population_id",
            "start_date",
            "end_date",
            "last_activity",
            "has_shared",
            "reached",
            "targets_met",
            "reminder_hold",
        )
    )
    counted = f"EXISTS (SELECT 1 FROM {TALLY} WHERE population_id = {{row}}.population_id)"
    return [
        f"CREATE TRIGGER enrolment_tally_insert AFTER INSERT ON {ENROLMENT} BEGIN "
        f"INSERT INTO {TALLY} ({TALLY_COLUMNS}) VALUES {_sqlite_values(zone, 'NEW', 1)}; END",
        f"CREATE TRIGGER enrolment_tally_update AFTER UPDATE ON {ENROLMENT} "
        f"WHEN {changed} BEGIN "
        f"INSERT INTO {TALLY} ({TALLY_COLUMNS}) VALUES {_sqlite_values(zone, 'OLD', -1)}, "
        f"{_sqlite_values(zone, 'NEW', 1)}; END",
        f"CREATE TRIGGER enrolment_tally_delete AFTER DELETE ON {ENROLMENT} "
        f"WHEN {counted.format(row='OLD')} BEGIN "
        f"INSERT INTO {TALLY} ({TALLY_COLUMNS}) VALUES {_sqlite_values(zone, 'OLD', -1)}; END",
    ]


def _sqlite_hold_triggers():
    reminder_changed = (
        f"(OLD.status = '{CANCELLED}') IS NOT (NEW.status = '{CANCELLED}') "
        "OR OLD.period IS NOT NEW.period OR OLD.agent_id IS NOT NEW.agent_id "
        "OR OLD.programme_id IS NOT NEW.programme_id"
    )
    rules_changed = (
        "OLD.interval_days IS NOT NEW.interval_days OR OLD.max_count IS NOT NEW.max_count"
    )
    every_held = (
        f"UPDATE {ENROLMENT} SET reminder_hold = "
        f"{_sqlite_hold(f'{ENROLMENT}.agent_id', 'NEW.programme_id')} "
        f"WHERE population_id IN (SELECT id FROM {POPULATION} "
        "WHERE programme_id = NEW.programme_id) "
        f"AND reminder_hold IS NOT {_sqlite_hold(f'{ENROLMENT}.agent_id', 'NEW.programme_id')};"
    )
    # Not while a flush empties every table: once the tally is emptied, a reminder or
    # opt-out deleted after it would write tally rows again through the enrolments.
    tallied = (
        f"WHEN EXISTS (SELECT 1 FROM {TALLY} AS t JOIN {POPULATION} AS p "
        "ON p.id = t.population_id WHERE p.programme_id = OLD.programme_id) "
    )
    programme_of_new = f"(SELECT programme_id FROM {POPULATION} WHERE id = NEW.population_id)"
    enrolled_hold = _sqlite_hold("NEW.agent_id", programme_of_new)
    bodies = {
        "reminder_hold_insert": ("", _sqlite_refresh("NEW.agent_id", "NEW.programme_id")),
        "reminder_hold_update": (
            f"WHEN {reminder_changed} ",
            _sqlite_refresh("OLD.agent_id", "OLD.programme_id")
            + " "
            + _sqlite_refresh("NEW.agent_id", "NEW.programme_id"),
        ),
        "reminder_hold_delete": (tallied, _sqlite_refresh("OLD.agent_id", "OLD.programme_id")),
        "optout_hold_insert": ("", _sqlite_refresh("NEW.agent_id", "NEW.programme_id")),
        "optout_hold_delete": (tallied, _sqlite_refresh("OLD.agent_id", "OLD.programme_id")),
        "rules_hold_insert": ("", every_held),
        "rules_hold_update": (f"WHEN {rules_changed} ", every_held),
        "enrolment_hold_insert": (
            "",
            f"UPDATE {ENROLMENT} SET reminder_hold = {enrolled_hold} "
            f"WHERE id = NEW.id AND reminder_hold IS NOT {enrolled_hold};",
        ),
    }
    return [
        f"CREATE TRIGGER {name} AFTER {event} ON {table} {bodies[name][0]}"
        f"BEGIN {bodies[name][1]} END"
        for table, name, event in HOLD_TRIGGERS
    ]


def _sqlite_fill(zone):
    programme = f"(SELECT programme_id FROM {POPULATION} WHERE id = {ENROLMENT}.population_id)"
    return [
        f"UPDATE {ENROLMENT} SET reminder_hold = "
        f"{_sqlite_hold(f'{ENROLMENT}.agent_id', programme)}",
        f"DELETE FROM {TALLY}",
        f"INSERT INTO {TALLY} ({TALLY_COLUMNS}) "
        f"SELECT {_sqlite_key(zone)}, count(*) FROM {ENROLMENT} {GROUP}",
    ]


# --- Operations ----------------------------------------------------------------------------


def _run(schema_editor, statements):
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _drop(schema_editor, triggers, functions=()):
    postgresql = schema_editor.connection.vendor == "postgresql"
    statements = [
        f"DROP TRIGGER IF EXISTS {name} ON {table}" if postgresql else f"DROP TRIGGER IF EXISTS {name}"
        for table, name in triggers
    ]
    if postgresql:
        statements += [f"DROP FUNCTION IF EXISTS {name}()" for name in functions]
    _run(schema_editor, statements)


def _tally_triggers():
    return [(ENROLMENT, f"enrolment_tally_{name}") for name in TALLY_TRIGGERS]


def drop_old_tally(apps, schema_editor):
    _drop(schema_editor, _tally_triggers(), ["programmes_enrolment_tally"])


def restore_old_tally(apps, schema_editor):
    """Back to 0020's triggers and key, the tally rewritten from the enrolments."""
    _run(schema_editor, [f"DELETE FROM {TALLY}"])
    _old().install(apps, schema_editor)


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    zone = _zone()
    if vendor == "postgresql":
        statements = _pg_fill(zone) + _pg_tally(zone) + _pg_hold()
    elif vendor == "sqlite":
        statements = _sqlite_fill(zone) + _sqlite_tally(zone) + _sqlite_hold_triggers()
    else:
        raise NotImplementedError(f"No tally triggers for {vendor}")
    _run(schema_editor, statements)


def uninstall(apps, schema_editor):
    _drop(
        schema_editor,
        _tally_triggers() + [(table, name) for table, name, _event in HOLD_TRIGGERS],
        [
            "programmes_enrolment_tally",
            "programmes_reminder_hold",
            "programmes_optout_hold",
            "programmes_rules_hold",
            "programmes_enrolment_hold",
        ],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("programmes", "0024_enrolment_agent_index"),
    ]

    operations = [
        migrations.RunPython(drop_old_tally, restore_old_tally),
        migrations.AddField(
            model_name="enrolment",
            name="reminder_hold",
            field=models.DateField(
                blank=True,
                editable=False,
                help_text=(
                    "Aucune relance du programme avant ce jour : la dernière plus l'intervalle, "
                    "ou jamais (9999-12-31) après un désabonnement ou le nombre maximal. Vide : "
                    "aucune."
                ),
                null=True,
                verbose_name="pas de relance avant le",
            ),
        ),
        migrations.AddField(
            model_name="populationtally",
            name="hold_day",
            field=models.DateField(
                default=datetime.date(1, 1, 1), help_text="0001-01-01: no reminder hold."
            ),
        ),
        # The due set's covering indexes carry the hold too (Enrolment.Meta.indexes).
        migrations.RemoveIndex(model_name="enrolment", name="enrolment_progress_idx"),
        migrations.RemoveIndex(model_name="enrolment", name="enrolment_activity_idx"),
        migrations.AddIndex(
            model_name="enrolment",
            index=models.Index(
                fields=["population", "reached", "last_activity"],
                include=("start_date", "end_date", "agent", "reminder_hold"),
                name="enrolment_progress_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="enrolment",
            index=models.Index(
                fields=["population", "last_activity"],
                include=("start_date", "end_date", "agent", "reminder_hold"),
                name="enrolment_activity_idx",
            ),
        ),
        migrations.RunPython(install, uninstall),
    ]
