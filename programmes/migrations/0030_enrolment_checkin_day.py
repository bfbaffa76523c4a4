"""Each enrolment's day of last check-in (`Enrolment.checkin_day`): the date of the latest
milestone of its population at which its agent checked in, none without one. Kept by
triggers on the check-ins (insert, delete; agent or milestone changed), the milestones
(date or population changed) and the enrolments (insert; agent or population changed),
and added to the populations' tally key (`PopulationTally.checkin_day`): « stalled and
without a check-in for 60 days » (the ambassador's « À faire », the population page's
?sans-point=60) then sums tally rows instead of testing each stalled enrolment for a
recent check-in (about 100 ms at a million agents, and growing with them).

Statement-level triggers from the transition tables on PostgreSQL for the inserts and
deletes (planned on each call, see 0026), row-level for the rare changes and on SQLite.
A check-in deleted after its population's tally rows (a flush of every table) changes no
enrolment: it would write tally rows again. programmes/accompaniment/checkins/days.py
holds the definition in Python, checks the stored days every night and clears those too
old to count, so that the tally rows they keep apart merge.

On SQLite, adding the tally's column (not null) remakes its table: 0025's tally and hold
triggers, which name it, are dropped first and made again after (the tally's with the new
key, as on PostgreSQL)."""

import datetime
import importlib

from django.db import migrations, models

ENROLMENT = "programmes_enrolment"
CHECKIN = "programmes_checkin"
MILESTONE = "programmes_milestone"
TALLY = "programmes_populationtally"
OLD_COLUMNS = (
    "population_id, start_date, end_date, activity_day, has_shared, reached, targets_met, "
    "hold_day, n"
)
COLUMNS = OLD_COLUMNS.replace("hold_day, n", "hold_day, checkin_day, n")
GROUP = "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"
TALLY_CHANGED = (
    "population_id",
    "start_date",
    "end_date",
    "last_activity",
    "has_shared",
    "reached",
    "targets_met",
    "reminder_hold",
    "checkin_day",
)
PG_FUNCTIONS = (
    "programmes_checkin_day",
    "programmes_checkin_day_row",
    "programmes_milestone_checkin_day_row",
    "programmes_enrolment_checkin_day",
    "programmes_enrolment_checkin_day_row",
)
TRIGGERS = (
    (CHECKIN, "checkin_day_insert"),
    (CHECKIN, "checkin_day_delete"),
    (CHECKIN, "checkin_day_update"),
    (MILESTONE, "milestone_checkin_day_update"),
    (ENROLMENT, "enrolment_checkin_day_insert"),
    (ENROLMENT, "enrolment_checkin_day_update"),
)


def _hold():
    return importlib.import_module("programmes.migrations.0025_reminder_hold")


def _execute(statement):
    return importlib.import_module(
        "programmes.migrations.0026_reminder_hold_planned_per_statement"
    )._execute(statement)


# --- The day of last check-in ---------------------------------------------------------------


def _refresh(pairs, distinct):
    """One UPDATE giving each enrolment of the (agent_id, population_id) `pairs` the date of
    the latest milestone of its population its agent checked in at (NULL: none), where it
    differs. `distinct`: the SQL of « is distinct from »."""
    days = (
        "SELECT p.agent_id, p.population_id, max(m.date) AS day "
        f"FROM (SELECT DISTINCT agent_id, population_id FROM ({pairs}) AS q) AS p "
        f"LEFT JOIN {CHECKIN} AS c ON c.agent_id = p.agent_id "
        f"LEFT JOIN {MILESTONE} AS m ON m.id = c.milestone_id "
        "AND m.population_id = p.population_id "
        "GROUP BY p.agent_id, p.population_id"
    )
    return (
        f"UPDATE {ENROLMENT} SET checkin_day = d.day FROM ({days}) AS d "
        f"WHERE {ENROLMENT}.agent_id = d.agent_id "
        f"AND {ENROLMENT}.population_id = d.population_id "
        f"AND {ENROLMENT}.checkin_day {distinct} d.day"
    )


def _of_checkins(rows):
    """The pairs of the check-ins `rows`, but for populations without tally rows (gone)."""
    return (
        f"SELECT c.agent_id, m.population_id FROM {rows} AS c "
        f"JOIN {MILESTONE} AS m ON m.id = c.milestone_id "
        f"WHERE EXISTS (SELECT 1 FROM {TALLY} AS t WHERE t.population_id = m.population_id)"
    )


def _of_milestone(milestone, population):
    return (
        f"SELECT c.agent_id, {population} AS population_id FROM {CHECKIN} AS c "
        f"WHERE c.milestone_id = {milestone}"
    )


def _of_enrolments(rows):
    """The pairs of the enrolments `rows` whose agent checked in at a milestone of the
    enrolment's population (the others keep none)."""
    return (
        f"SELECT e.agent_id, e.population_id FROM {rows} AS e WHERE EXISTS ("
        f"SELECT 1 FROM {CHECKIN} AS c JOIN {MILESTONE} AS m ON m.id = c.milestone_id "
        "WHERE c.agent_id = e.agent_id AND m.population_id = e.population_id)"
    )


def _row(record, columns):
    return "(SELECT " + ", ".join(f"{record}.{c} AS {c}" for c in columns) + ")"


def _union(*pairs):
    return " UNION ALL ".join(pairs)


def _changed(columns, distinct):
    return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in columns)


CHECKIN_COLUMNS = ("milestone_id", "agent_id")
MILESTONE_COLUMNS = ("date", "population_id")
ENROLMENT_COLUMNS = ("agent_id", "population_id")


def _row_changes():
    """The pairs the row-level triggers refresh, by trigger."""
    return {
        "checkin_day_update": _union(
            _of_checkins(_row("OLD", CHECKIN_COLUMNS)), _of_checkins(_row("NEW", CHECKIN_COLUMNS))
        ),
        "milestone_checkin_day_update": _union(
            _of_milestone("OLD.id", "OLD.population_id"),
            _of_milestone("NEW.id", "NEW.population_id"),
        ),
        # Its new pair: the day there, or none.
        "enrolment_checkin_day_update": (
            "SELECT NEW.agent_id AS agent_id, NEW.population_id AS population_id"
        ),
    }


# --- PostgreSQL ------------------------------------------------------------------------------


def _pg_key():
    zone = _hold()._zone()
    return _hold()._pg_key(zone) + ", COALESCE(checkin_day, DATE '0001-01-01')"


def _pg_tally(key):
    """0025's tally function, for `key`."""
    columns = COLUMNS if "checkin_day" in key else OLD_COLUMNS
    group = GROUP if "checkin_day" in key else _hold().GROUP
    keys = [f"k{i}" for i in range(1, group.count(",") + 2)]
    return f"""
        CREATE OR REPLACE FUNCTION programmes_enrolment_tally() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO {TALLY} ({columns})
                SELECT {key}, count(*) FROM new_rows {group};
            ELSIF TG_OP = 'UPDATE' THEN
                INSERT INTO {TALLY} ({columns})
                SELECT {", ".join(keys)}, sum(d) FROM (
                    SELECT {key}, -1 FROM old_rows
                    UNION ALL SELECT {key}, 1 FROM new_rows
                ) AS changed ({", ".join(keys)}, d)
                {group} HAVING sum(d) <> 0;
            ELSE
                -- Not when the population's rows are gone already (a flush of every table).
                INSERT INTO {TALLY} ({columns})
                SELECT {key}, -count(*) FROM old_rows
                WHERE EXISTS (
                    SELECT 1 FROM {TALLY} AS t WHERE t.population_id = old_rows.population_id
                )
                {group};
            END IF;
            RETURN NULL;
        END
        $$
        """


def _pg_sql():
    distinct = "IS DISTINCT FROM"
    rows = _row_changes()

    def row_function(name, trigger):
        return (
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {_refresh(rows[trigger], distinct)}; RETURN NULL; END $$"
        )

    def row_trigger(table, name, columns, function):
        return (
            f"CREATE TRIGGER {name} AFTER UPDATE OF {', '.join(columns)} ON {table} "
            f"FOR EACH ROW WHEN ({_changed(columns, distinct)}) EXECUTE FUNCTION {function}()"
        )

    return [
        f"""
        CREATE FUNCTION programmes_checkin_day() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                {_execute(_refresh(_of_checkins("new_rows"), distinct))};
            ELSE
                {_execute(_refresh(_of_checkins("old_rows"), distinct))};
            END IF;
            RETURN NULL;
        END $$
        """,
        "CREATE FUNCTION programmes_enrolment_checkin_day() RETURNS trigger LANGUAGE plpgsql "
        f"AS $$ BEGIN {_execute(_refresh(_of_enrolments('new_rows'), distinct))}; "
        "RETURN NULL; END $$",
        row_function("programmes_checkin_day_row", "checkin_day_update"),
        row_function("programmes_milestone_checkin_day_row", "milestone_checkin_day_update"),
        row_function("programmes_enrolment_checkin_day_row", "enrolment_checkin_day_update"),
        f"CREATE TRIGGER checkin_day_insert AFTER INSERT ON {CHECKIN} "
        "REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION programmes_checkin_day()",
        f"CREATE TRIGGER checkin_day_delete AFTER DELETE ON {CHECKIN} "
        "REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION programmes_checkin_day()",
        row_trigger(CHECKIN, "checkin_day_update", CHECKIN_COLUMNS, "programmes_checkin_day_row"),
        row_trigger(
            MILESTONE,
            "milestone_checkin_day_update",
            MILESTONE_COLUMNS,
            "programmes_milestone_checkin_day_row",
        ),
        f"CREATE TRIGGER enrolment_checkin_day_insert AFTER INSERT ON {ENROLMENT} "
        "REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION programmes_enrolment_checkin_day()",
        row_trigger(
            ENROLMENT,
            "enrolment_checkin_day_update",
            ENROLMENT_COLUMNS,
            "programmes_enrolment_checkin_day_row",
        ),
    ]


# --- SQLite ----------------------------------------------------------------------------------


def _sqlite_key():
    zone = _hold()._zone()
    return _hold()._sqlite_key(zone) + ", COALESCE(checkin_day, '0001-01-01')"


def _sqlite_values(row, n):
    zone = _hold()._zone()
    values = _hold()._sqlite_values(zone, row, n)
    return values.removesuffix(f", {n})") + f", COALESCE({row}.checkin_day, '0001-01-01'), {n})"


def _sqlite_tally():
    """0025's tally triggers, for the new key."""
    changed = _changed(TALLY_CHANGED, "IS NOT")
    counted = f"EXISTS (SELECT 1 FROM {TALLY} WHERE population_id = OLD.population_id)"
    return [
        f"CREATE TRIGGER enrolment_tally_insert AFTER INSERT ON {ENROLMENT} BEGIN "
        f"INSERT INTO {TALLY} ({COLUMNS}) VALUES {_sqlite_values('NEW', 1)}; END",
        f"CREATE TRIGGER enrolment_tally_update AFTER UPDATE ON {ENROLMENT} "
        f"WHEN {changed} BEGIN "
        f"INSERT INTO {TALLY} ({COLUMNS}) VALUES {_sqlite_values('OLD', -1)}, "
        f"{_sqlite_values('NEW', 1)}; END",
        f"CREATE TRIGGER enrolment_tally_delete AFTER DELETE ON {ENROLMENT} "
        f"WHEN {counted} BEGIN "
        f"INSERT INTO {TALLY} ({COLUMNS}) VALUES {_sqlite_values('OLD', -1)}; END",
    ]


def _sqlite_sql():
    distinct = "IS NOT"
    rows = _row_changes()

    def trigger(table, name, event, pairs, columns=None):
        when = ""
        if columns is not None:
            event = f"UPDATE OF {', '.join(columns)}"
            when = f"WHEN {_changed(columns, distinct)} "
        return (
            f"CREATE TRIGGER {name} AFTER {event} ON {table} {when}"
            f"BEGIN {_refresh(pairs, distinct)}; END"
        )

    return [
        trigger(
            CHECKIN, "checkin_day_insert", "INSERT", _of_checkins(_row("NEW", CHECKIN_COLUMNS))
        ),
        trigger(
            CHECKIN, "checkin_day_delete", "DELETE", _of_checkins(_row("OLD", CHECKIN_COLUMNS))
        ),
        trigger(CHECKIN, "checkin_day_update", None, rows["checkin_day_update"], CHECKIN_COLUMNS),
        trigger(
            MILESTONE,
            "milestone_checkin_day_update",
            None,
            rows["milestone_checkin_day_update"],
            MILESTONE_COLUMNS,
        ),
        trigger(
            ENROLMENT,
            "enrolment_checkin_day_insert",
            "INSERT",
            _of_enrolments(_row("NEW", ENROLMENT_COLUMNS)),
        ),
        trigger(
            ENROLMENT,
            "enrolment_checkin_day_update",
            None,
            rows["enrolment_checkin_day_update"],
            ENROLMENT_COLUMNS,
        ),
    ]


# --- Operations ------------------------------------------------------------------------------


def _run(schema_editor, statements):
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _sqlite(schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"No check-in day triggers for {vendor}")
    return vendor == "sqlite"


def _sqlite_tally_trigger_names():
    """0025's triggers that name the tally: SQLite checks them when the remade table is
    renamed."""
    hold = _hold()
    return [f"enrolment_tally_{name}" for name in hold.TALLY_TRIGGERS] + [
        name for _table, name, _event in hold.HOLD_TRIGGERS
    ]


def _refill(key):
    return [
        f"DELETE FROM {TALLY}",
        f"INSERT INTO {TALLY} ({COLUMNS if 'checkin_day' in key else OLD_COLUMNS}) "
        f"SELECT {key}, count(*) FROM {ENROLMENT} "
        f"{GROUP if 'checkin_day' in key else _hold().GROUP}",
    ]


def drop_sqlite_tally_triggers(apps, schema_editor):
    if _sqlite(schema_editor):
        _run(schema_editor, [f"DROP TRIGGER IF EXISTS {n}" for n in _sqlite_tally_trigger_names()])


def restore_old_tally(apps, schema_editor):
    """Back to 0025's tally key and triggers, the tally rewritten from the enrolments."""
    hold = _hold()
    zone = hold._zone()
    if _sqlite(schema_editor):
        statements = hold._sqlite_tally(zone) + hold._sqlite_hold_triggers()
        key = hold._sqlite_key(zone)
    else:
        key = hold._pg_key(zone)
        statements = [_pg_tally(key)]
    _run(schema_editor, [*statements, *_refill(key)])


def install(apps, schema_editor):
    fill = _refresh(
        f"SELECT c.agent_id, m.population_id FROM {CHECKIN} AS c "
        f"JOIN {MILESTONE} AS m ON m.id = c.milestone_id",
        "IS NOT" if _sqlite(schema_editor) else "IS DISTINCT FROM",
    )
    if _sqlite(schema_editor):
        # The tally's triggers are dropped: made again once it is rewritten.
        first, key = [], _sqlite_key()
        statements = _sqlite_tally() + _hold()._sqlite_hold_triggers() + _sqlite_sql()
    else:
        # The tally's function first: the fill's changes are counted with the new key.
        first, key = [_pg_tally(_pg_key())], _pg_key()
        statements = _pg_sql()
    _run(schema_editor, [*first, fill, *_refill(key), *statements])


def uninstall(apps, schema_editor):
    """The check-in day triggers dropped; on SQLite, the tally's too (its column goes next,
    which remakes its table)."""
    if _sqlite(schema_editor):
        names = [name for _table, name in TRIGGERS] + _sqlite_tally_trigger_names()
        _run(schema_editor, [f"DROP TRIGGER IF EXISTS {name}" for name in names])
    else:
        _run(
            schema_editor,
            [f"DROP TRIGGER IF EXISTS {name} ON {table}" for table, name in TRIGGERS]
            + [f"DROP FUNCTION IF EXISTS {name}()" for name in PG_FUNCTIONS],
        )


class Migration(migrations.Migration):
    dependencies = [
        ("programmes", "0029_checkin_tally"),
    ]

    operations = [
        migrations.RunPython(drop_sqlite_tally_triggers, restore_old_tally),
        migrations.AddField(
            model_name="enrolment",
            name="checkin_day",
            field=models.DateField(
                blank=True,
                editable=False,
                help_text=(
                    "Date du dernier point d'étape de sa population où l'agent a été vu. "
                    "Vide : aucun."
                ),
                null=True,
                verbose_name="dernier point d'étape vu",
            ),
        ),
        migrations.AddField(
            model_name="populationtally",
            name="checkin_day",
            field=models.DateField(
                default=datetime.date(1, 1, 1), help_text="0001-01-01: no check-in."
            ),
        ),
        migrations.RunPython(install, uninstall),
    ]
