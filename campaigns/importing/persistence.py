"""Writing an import, inside the import's transaction, as the one pass over the export
decides its rows (`planning.decided_rows`): the file is read once, and only what changed is
written. A new participation is inserted; one whose values, keys or agent changed is
updated, with its new state (a snapshot) and its new results; an unchanged one is left as it
is, not even its `last_import`: after an import, the participations it created or changed
are exactly those whose `last_import` is that import.

Rows are streamed, never held whole: on PostgreSQL the results go straight into a COPY as
the file is read, and the participations and snapshots through temporary files into COPYs
of their own (foreign keys are checked at commit, so the order does not matter). Ids of new
participations are reserved from their sequence a block at a time as they come, so that
results can name them. Elsewhere (SQLite: the demo and the tests) rows are buffered and
written by `executemany` a batch at a time (a bounded number of rows in memory, whatever the
file's size), each value prepared for the database by its field, through converters built
once a column.
"""

import json
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal

from django.db import DEFAULT_DB_ALIAS, connection, connections

from campaigns import pix_export
from campaigns.importing.keys import quantize_rate
from campaigns.importing.planning import ImportPlan, ImportRefused, decided_rows, finish_plan
from campaigns.importing.rows import (
    COMPARED_FIELDS,
    CREATE,
    PROGRESSION,
    SHARED_AT,
    STAGE,
    STARTED_AT,
    STATUS,
    UPDATE,
    Counts,
)
from campaigns.models import CompetenceResult, Participation, ParticipationSnapshot

# Participation columns written on creation; an update rewrites all but the first three.
INSERT_FIELDS = (
    "id",
    "campaign_id",
    "first_import_id",
    "participant_key",
    "row_key",
    "agent_id",
    "match_status",
    *COMPARED_FIELDS,
    "last_import_id",
    "last_progress_at",
)
UPDATE_FIELDS = INSERT_FIELDS[:1] + INSERT_FIELDS[3:]
SNAPSHOT_FIELDS = (
    "participation_id",
    "result_import_id",
    "observed_at",
    "status",
    "progression",
    "stage",
    "shared_at",
)
RESULT_FIELDS = (  # the order of ResultEncoder.tail after the first three
    "participation_id",
    "result_import_id",
    "observed_at",
    "competence_id",
    "level",
    "pix",
    "mastery_rate",
    "skills_total",
    "skills_validated",
)


def write_plan(
    plan: ImportPlan,
    export: "pix_export.PixExport",
    *,
    result_import_id: int,
    campaign_id: int,
    observed_at: datetime,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 10000,
) -> Counts:
    """Read the export once, writing each row as `plan` (from `planning.start_plan`)
    decides it. Returns the counts of what was written. Raises ImportRefused if a row is
    wrong: nothing more is written, and the caller's transaction undoes the rest."""
    sink_class = _CopySink if connection.vendor == "postgresql" else _ExecutemanySink
    # Upper bound of the participations still to create, for reserving their ids.
    lines = export.line_count
    counts = plan.counts
    with sink_class(result_import_id, plan.encoder) as sink:
        for item, decision in decided_rows(
            plan, export, progress=progress, progress_every=progress_every
        ):
            row, values = item.row, item.values
            if decision.action == CREATE:
                participation_id = sink.new_id(at_most=max(lines - counts.rows, 0) + 1)
                progress_at = values[SHARED_AT] or values[STARTED_AT] or observed_at
                sink.insert(
                    (
                        participation_id,
                        campaign_id,
                        result_import_id,
                        item.participant_key,
                        item.row_key,
                        decision.match.agent_id,
                        decision.match.status,
                        *values,
                        result_import_id,
                        progress_at,
                    )
                )
            elif decision.action == UPDATE:
                existing = decision.existing
                participation_id = existing.id
                progress_at = existing.last_progress_at
                if decision.progressed and observed_at > progress_at:
                    progress_at = observed_at
                sink.update(
                    (
                        participation_id,
                        item.participant_key,
                        item.row_key,
                        decision.match.agent_id,
                        decision.match.status,
                        *values,
                        result_import_id,
                        progress_at,
                    )
                )
            else:
                continue  # unchanged: nothing of it is written
            if decision.snapshot:
                sink.snapshot(
                    (
                        participation_id,
                        result_import_id,
                        observed_at,
                        values[STATUS],
                        values[PROGRESSION],
                        values[STAGE],
                        values[SHARED_AT],
                    )
                )
            if decision.results:
                # Pix lists a person's latest participation first: without a share date,
                # its start (not the file's order, nor the export time) dates the results.
                results_at = values[SHARED_AT] or values[STARTED_AT] or observed_at
                sink.results(participation_id, results_at, row.competences)
        if plan.refused:
            raise ImportRefused(plan.stored_errors())
    finish_plan(plan)
    return counts


def _columns(model, names) -> list[str]:
    return [model._meta.get_field(name).column for name in names]


class _Sink:
    def __init__(self, result_import_id: int, encoder):
        self.result_import_id = result_import_id
        self.encoder = encoder
        self.participations = connection.ops.quote_name(Participation._meta.db_table)


# Integer columns (and keys to integer ids): an int or None is what the database stores.
_INTEGER_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
    }
)


def _converter(field, db):
    """`field.get_db_prep_save(value, db)`, with shortcuts where it is known to give the
    value back (an int or None for an integer column, None for a decimal one) or to give the
    same answer for the same value (datetimes: many rows share one, their results too)."""
    prepare = field.get_db_prep_save
    target = field.target_field if field.is_relation else field
    kind = target.get_internal_type()
    if kind in _INTEGER_TYPES:

        def integer(value):
            if value is None or type(value) is int:
                return value
            return prepare(value, db)

        return integer, None
    if kind == "DateTimeField":
        cache: dict = {}

        def moment(value):
            if value is None:
                return None
            prepared = cache.get(value)
            if prepared is None:
                prepared = cache[value] = prepare(value, db)
            return prepared

        return moment, cache
    if kind == "DecimalField":  # most results have no mastery rate

        def decimal(value):
            return None if value is None else prepare(value, db)

        return decimal, None
    return (lambda value: prepare(value, db)), None


class _Table:
    """Rows of one table waiting for their `executemany`, prepared as they come."""

    def __init__(self, sql: str, fields, db, *, key_last: bool = False):
        self.sql = sql
        built = [_converter(field, db) for field in fields]
        self.converters = [convert for convert, _cache in built]
        self.caches = [cache for _convert, cache in built if cache is not None]
        self.key_last = key_last  # UPDATE … WHERE id = %s: the id (first value) goes last
        self.rows: list[tuple] = []

    def add(self, values) -> None:
        if self.key_last:
            values = (*values[1:], values[0])
        self.rows.append(
            tuple([convert(value) for convert, value in zip(self.converters, values, strict=True)])
        )

    def flush(self, cursor) -> None:
        if self.rows:
            cursor.executemany(self.sql, self.rows)
            self.rows.clear()
        for cache in self.caches:  # bounded too
            cache.clear()


class _ExecutemanySink(_Sink):
    """`executemany` a table, a batch of rows at a time: a few queries per BATCH rows, and
    no more than BATCH rows in memory."""

    BATCH = 20000  # rows buffered (all tables together) before they are written

    def __init__(self, result_import_id: int, encoder):
        super().__init__(result_import_id, encoder)
        db = connections[DEFAULT_DB_ALIAS]  # the connection itself, not its thread proxy
        quote = db.ops.quote_name
        fields = [Participation._meta.get_field(name) for name in UPDATE_FIELDS[1:]]
        assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
        id_field = Participation._meta.get_field("id")
        # Written in this order at every batch: a participation before its snapshots and
        # results.
        self.inserts = self._table(db, Participation, INSERT_FIELDS)
        self.updates = _Table(
            f"UPDATE {self.participations} SET {assignments} WHERE id = %s",  # noqa: S608
            [*fields, id_field],
            db,
            key_last=True,
        )
        self.snapshot_rows = self._table(db, ParticipationSnapshot, SNAPSHOT_FIELDS)
        self.result_rows = self._table(db, CompetenceResult, RESULT_FIELDS)
        self.tables = (
            self.inserts,
            self.updates,
            self.snapshot_rows,
            self.result_rows,
        )
        self.buffered = 0
        self._last_id: int | None = None

    @staticmethod
    def _table(db, model, names) -> _Table:
        table = db.ops.quote_name(model._meta.db_table)
        columns = ", ".join(db.ops.quote_name(c) for c in _columns(model, names))
        placeholders = ", ".join(["%s"] * len(names))
        return _Table(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",  # noqa: S608
            [model._meta.get_field(name) for name in names],
            db,
        )

    def new_id(self, *, at_most: int) -> int:
        """The id of a new participation: one query for the first, counted on from there
        (the import is the only writer: SQLite has one at a time)."""
        if self._last_id is None:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT MAX(id) FROM {self.participations}")  # noqa: S608
                start = cursor.fetchone()[0] or 0
                if connection.vendor == "sqlite":  # AUTOINCREMENT never hands an id out twice
                    cursor.execute(
                        "SELECT seq FROM sqlite_sequence WHERE name = %s",
                        [Participation._meta.db_table],
                    )
                    sequence = cursor.fetchone()
                    start = max(start, sequence[0] if sequence else 0)
            self._last_id = start
        self._last_id += 1
        return self._last_id

    def _added(self, rows: int = 1) -> None:
        self.buffered += rows
        if self.buffered >= self.BATCH:
            self._flush()

    def insert(self, values):
        self.inserts.add(values)
        self._added()

    def update(self, values):
        self.updates.add(values)
        self._added()

    def snapshot(self, values):
        self.snapshot_rows.add(values)
        self._added()

    def results(self, participation_id, observed_at, competences):
        ids = self.encoder.competence_ids
        add = self.result_rows.add
        for value in competences:
            add(
                (
                    participation_id,
                    self.result_import_id,
                    observed_at,
                    ids[value.code],
                    value.level,
                    value.pix,
                    quantize_rate(value.mastery_rate),
                    value.skills_total,
                    value.skills_validated,
                )
            )
        self._added(len(competences))

    def _flush(self):
        with connection.cursor() as cursor:
            for table in self.tables:
                table.flush(cursor)
        self.buffered = 0

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, traceback):
        if exc_type is None:
            self._flush()


# COPY's text format: tab-separated, \N for NULL, backslash escapes.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_SPOOL_BYTES = 16 * 1024 * 1024
_CHUNK = 1024 * 1024


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return _copy_json(value)
    return str(value)


def _copy_json(value) -> str:
    return json.dumps(value, ensure_ascii=False).translate(_ESCAPES)


# By exact type, the values a row holds most (a participation's or a snapshot's line takes
# a third less time than through `_copy_value`'s tests); anything else goes through them.
_COPY_FORMATS = {
    type(None): lambda _value: "\\N",
    bool: lambda value: "t" if value else "f",
    str: lambda value: value.translate(_ESCAPES),
    int: str,
    Decimal: str,
    datetime: datetime.isoformat,
    dict: _copy_json,
    list: _copy_json,
}


def _copy_line(values) -> str:
    formats = _COPY_FORMATS
    return "\t".join([(formats.get(type(value)) or _copy_value)(value) for value in values]) + "\n"


def _number(value) -> str:
    return "\\N" if value is None else str(value)


class _CopySink(_Sink):
    """PostgreSQL: COPY for every table, the results streamed as the file is read. The
    COPY of the results is opened when the first batch is sent, and ended when ids of new
    participations must be reserved (no other query while a COPY runs): a block of ids at a
    time, twice as many each time, never more than the rows left can use."""

    RESULT_BATCH = 2000  # rows of results sent to COPY at a time
    FIRST_IDS = 16  # ids reserved by the first block
    MAX_IDS = 32768  # and by the largest

    def __init__(self, result_import_id: int, encoder):
        super().__init__(result_import_id, encoder)
        self.inserts = self._spool()
        self.updates = self._spool()
        self.snapshots = self._spool()
        self.has_inserts = self.has_updates = self.has_snapshots = False
        self._results: list[str] = []
        self._observed: dict[datetime, str] = {}
        self._results_copy = None  # (context, copy) while the results' COPY is open
        self._ids: Iterator[int] = iter(())
        self._block = self.FIRST_IDS

    @staticmethod
    def _spool():
        return tempfile.SpooledTemporaryFile(  # noqa: SIM115 - closed in __exit__
            max_size=_SPOOL_BYTES, mode="w+", encoding="utf-8", newline="\n"
        )

    def new_id(self, *, at_most: int) -> int:
        """The id of a new participation; `at_most`: how many more may be needed."""
        pk = next(self._ids, None)
        if pk is None:
            self._end_results_copy()
            count = max(1, min(self._block, at_most))
            self._block = min(self._block * 2, self.MAX_IDS)
            raw = self._cursor.cursor
            raw.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [Participation._meta.db_table, count],
            )
            self._ids = iter([pk for (pk,) in raw.fetchall()])
            pk = next(self._ids)
        return pk

    def _copy_sql(self, model, names) -> str:
        table = connection.ops.quote_name(model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in _columns(model, names))
        return f"COPY {table} ({columns}) FROM STDIN"

    def __enter__(self):
        self._cursor = connection.cursor()
        return self

    def insert(self, values):
        self.has_inserts = True
        self.inserts.write(_copy_line(values))

    def update(self, values):
        self.has_updates = True
        self.updates.write(_copy_line(values))

    def snapshot(self, values):
        self.has_snapshots = True
        self.snapshots.write(_copy_line(values))

    def results(self, participation_id, observed_at, competences):
        observed = self._observed.get(observed_at)
        if observed is None:
            observed = self._observed[observed_at] = observed_at.isoformat()
        head = f"{participation_id}\t{self.result_import_id}\t{observed}\t"
        tail = self.encoder.tail
        self._results.append(head + head.join([tail(value) for value in competences]))
        if len(self._results) >= self.RESULT_BATCH:
            self._send_results()

    def _send_results(self):
        if self._results_copy is None:
            context = self._cursor.cursor.copy(self._copy_sql(CompetenceResult, RESULT_FIELDS))
            self._results_copy = (context, context.__enter__())
        self._results_copy[1].write("".join(self._results))
        self._results.clear()

    def _end_results_copy(self, exc_type=None, exc=None, traceback=None):
        """End the results' COPY if one is open (results not yet sent wait for the next)."""
        if self._results_copy is not None:
            context, _copy = self._results_copy
            self._results_copy = None
            context.__exit__(exc_type, exc, traceback)

    def __exit__(self, exc_type, exc, traceback):
        try:
            if exc_type is None:
                if self._results:
                    self._send_results()
                self._end_results_copy()
                self._flush()
            else:
                self._end_results_copy(exc_type, exc, traceback)
        finally:
            self._cursor.close()
            for spool in (self.inserts, self.updates, self.snapshots):
                spool.close()

    def _copy_spool(self, raw, sql, spool):
        spool.seek(0)
        with raw.copy(sql) as copy:
            while chunk := spool.read(_CHUNK):
                copy.write(chunk)

    def _flush(self):
        raw = self._cursor.cursor
        if self.has_inserts:
            self._copy_spool(raw, self._copy_sql(Participation, INSERT_FIELDS), self.inserts)
        if self.has_updates:
            columns = _columns(Participation, UPDATE_FIELDS)
            quoted = [connection.ops.quote_name(column) for column in columns]
            raw.execute("DROP TABLE IF EXISTS pix_import_update")
            raw.execute(
                f"CREATE TEMP TABLE pix_import_update ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {', '.join(quoted)} FROM {self.participations} WITH NO DATA"
            )
            self._copy_spool(
                raw, f"COPY pix_import_update ({', '.join(quoted)}) FROM STDIN", self.updates
            )
            assignments = ", ".join(f"{column} = u.{column}" for column in quoted[1:])
            raw.execute(
                f"UPDATE {self.participations} AS p SET {assignments} "  # noqa: S608
                f"FROM pix_import_update AS u WHERE p.id = u.id"
            )
            raw.execute("DROP TABLE pix_import_update")
        if self.has_snapshots:
            self._copy_spool(
                raw, self._copy_sql(ParticipationSnapshot, SNAPSHOT_FIELDS), self.snapshots
            )
