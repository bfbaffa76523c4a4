"""Reads of a programme's reminders pages: who sees what, who would be reminded today, what
was sent and what failed.

Privacy: the agents reminded are named only to those who may see individuals (staff, the
programme's ambassadors, its owners under the managerial purpose); a population's
ambassador sees the agents of their own populations (and the digests addressed to them);
the owners of a self-assessment programme see counts only, never under the privacy
minimum."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.db import connection
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Concat, Lower, TruncDate
from django.db.models.query import prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import Agent
from programmes import perms
from programmes.enums import OutgoingStatus, ReminderKind
from programmes.models import (
    Digest,
    Programme,
    QuietPeriod,
    Reminder,
    ReminderSettings,
)
from programmes.reminders.selection import Due, due_counts, due_set, reminder_settings_of
from programmes.selectors import visible_agents

# A row still SENDING this long after it was claimed was probably cut off mid-send: it is
# never sent again by itself, and a person should check before sending it again.
STUCK_AFTER = datetime.timedelta(hours=1)
FAILURES_SHOWN = 20
REMINDER, DIGEST = "reminder", "digest"


# --- Who sees what ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What one viewer sees of a programme's reminders.

    `names`: rows one by one (names, addresses), else counts only. `population_ids`: None
    for the whole programme, else the populations whose agents the viewer sees (and only
    the digests addressed to them)."""

    user_id: int
    names: bool
    population_ids: frozenset | None = None

    @property
    def whole(self) -> bool:
        return self.population_ids is None


def reminder_scope(user, programme: Programme) -> Scope:
    """Staff, the programme's ambassadors and, under the managerial purpose, its owners see
    every reminder by name; a population's ambassador those of their populations' agents;
    anyone else who sees the programme (its owners under self-assessment) counts only."""
    if (
        user.is_staff
        or programme.ambassadors.filter(pk=user.pk).exists()
        or (programme.is_managerial and programme.owners.filter(pk=user.pk).exists())
    ):
        return Scope(user_id=user.pk, names=True)
    own = frozenset(programme.populations.filter(ambassadors=user).values_list("pk", flat=True))
    if own:
        return Scope(user_id=user.pk, names=True, population_ids=own)
    return Scope(user_id=user.pk, names=False)


def reminders_of(programme: Programme, scope: Scope):
    """The programme's reminders within the scope."""
    reminders = Reminder.objects.filter(programme=programme)
    if not scope.whole:
        reminders = reminders.filter(population_id__in=scope.population_ids)
    return reminders


def digests_of(programme: Programme, scope: Scope):
    """The programme's digests within the scope (a population's ambassador: their own)."""
    digests = Digest.objects.filter(programme=programme)
    if not scope.whole:
        digests = digests.filter(recipient_id=scope.user_id)
    return digests


def shown_count(count: int, scope: Scope) -> int | None:
    """The count as the viewer may see it: None (shown "moins de 5") when the viewer sees
    counts only and the group is under the privacy minimum."""
    if not scope.names and count and perms.suppress_small_group(count):
        return None
    return count


# --- The rules and the quiet periods ---------------------------------------------------------


def load_rules(programme: Programme):
    """The programme's rules (defaults when never saved) and its quiet periods, loaded once
    (two queries) and kept on the programme for `due_reminders`."""
    rules = (
        ReminderSettings.objects.select_related("updated_by").filter(programme=programme).first()
    )
    if rules is None:
        rules = reminder_settings_of(programme)  # the defaults, unsaved
    programme.reminder_settings = rules  # read by `due_reminders`
    prefetch_related_objects([programme], "quiet_periods")
    return rules, list(programme.quiet_periods.all())


def quiet_period_on(periods: list[QuietPeriod], day: datetime.date) -> QuietPeriod | None:
    return next((period for period in periods if period.contains(day)), None)


def next_digest_day(programme: Programme, now: datetime.datetime | None = None):
    """The day the next weekly digest would leave (the digest weekday, today if the daily run
    has not happened yet), or None when the programme is over by then."""
    now = timezone.localtime(now)
    today = now.date()
    ahead = (settings.REMINDER_DIGEST_WEEKDAY - today.weekday()) % 7
    if ahead == 0 and now.hour >= settings.REMINDER_HOUR:
        ahead = 7
    day = today + datetime.timedelta(days=ahead)
    day = max(day, _first_weekday_from(programme.start_date))
    return None if programme.is_over(day) else day


def _first_weekday_from(day: datetime.date) -> datetime.date:
    return day + datetime.timedelta(days=(settings.REMINDER_DIGEST_WEEKDAY - day.weekday()) % 7)


# --- Who would be reminded today -------------------------------------------------------------


@dataclass
class Preview:
    """Who would be reminded on `day` if the rules were on (whatever `enabled` says), within
    the viewer's scope. `why_none`: why nobody would be ('' when the rules decide). `due`:
    the due set as a queryset (`selection.due_set`), never loaded whole; `found`: how many
    of each kind, counted by the database; `walk`: what builds the same set shaped for a page
    read in name order (`due_set(walk=True)`), called only by a preview too large to sort
    (`_ordered`): the rules' expressions are built for it only then."""

    day: datetime.date
    due: QuerySet
    quiet: QuietPeriod | None
    why_none: str
    scope: Scope
    found: dict = field(default_factory=dict)
    walk: Callable[[], QuerySet] | None = None

    @property
    def counts(self) -> list[tuple[str, str, int | None]]:
        """(kind, label, count as shown) for each reminder kind."""
        return [
            (kind.value, kind.label, shown_count(self.found.get(kind.value, 0), self.scope))
            for kind in ReminderKind
        ]

    @property
    def total(self) -> int | None:
        return shown_count(sum(self.found.values()), self.scope)


def preview(programme: Programme, scope: Scope, day: datetime.date, periods) -> Preview:
    """Who `due_reminders` finds for the programme on `day`, within the scope, counted per
    kind by the database (two queries: the populations, then both counts, `due_counts`;
    none when nobody can be due). The rules and quiet periods must be loaded
    (`load_rules`)."""
    quiet = quiet_period_on(periods, day)
    why_none = ""
    if day < programme.start_date:
        why_none = _("Le programme n’a pas encore commencé.")
    elif programme.is_over(day):
        why_none = _("Le programme est terminé : plus aucune relance ne part.")
    elif quiet is not None:
        why_none = _("Aujourd’hui est dans une période sans relance : « %(label)s ».") % {
            "label": quiet.label
        }
    if why_none:  # the due set's shape (its annotations), empty
        return Preview(day, due_set([programme], day).none(), quiet, why_none, scope)
    # Only the scope's populations are read; for the whole programme, its populations' ids
    # as values: PostgreSQL then estimates each population's rows and reads the due rows in
    # one pass (joined to the populations, it read them once per population, 485 ms instead
    # of 303 at a million agents).
    if scope.whole:
        population_ids = set(programme.populations.values_list("pk", flat=True))
    else:
        population_ids = set(scope.population_ids)
    due = due_set([programme], day, population_ids)
    walk = partial(due_set, [programme], day, population_ids, walk=True)
    counts = due_counts(programme, day, population_ids)
    return Preview(day, due, quiet, why_none, scope, counts, walk)


# The preview's orders (?tri=): by agent name, or by rule (reason) then agent name.
BY_NAME, BY_RULE = "nom", "motif"
PREVIEW_ORDERS = (BY_NAME, BY_RULE)
# A reminder's kind as a sort rank (not started, then stalled: ReminderKind's order).
_NOT_STARTED_FIRST = Case(
    When(kind=ReminderKind.NOT_STARTED.value, then=Value(0)),
    default=Value(1),
    output_field=IntegerField(),
)
_DUE_FIELDS = ("agent_id", "programme_id", "population_id", "kind", "agent__email")
# Up to this many due, a page reads them all and sorts them; past it, it walks the agents'
# name index (50 due among a million agents would mean reading most of the index for them).
SORT_UP_TO = 10_000


def _ordered(preview: Preview, order: str) -> tuple[QuerySet, tuple[str, ...]]:
    """The preview's due set in `order` (by agent name: last name, first name, case aside,
    then id; BY_RULE: by rule, not started first, then by name), and the names of its sort
    key."""
    keys = ("due_last", "due_first", "agent_id")
    if order == BY_RULE:
        keys = ("due_rank", *keys)
    last, first = Lower("agent__last_name"), Lower("agent__first_name")
    if preview.walk is not None and sum(preview.found.values()) > SORT_UP_TO:
        rows = preview.walk()
    else:
        # The same order, by keys agent_name_idx does not hold (`|| ''`): PostgreSQL reads
        # the few due rows and sorts them rather than walk the index.
        rows, last = preview.due, Concat(last, Value(""))
    rows = rows.annotate(due_last=last, due_first=first, due_rank=_NOT_STARTED_FIRST)
    return rows, keys


def sorted_due(preview: Preview, order: str = BY_NAME) -> "DueRows":
    """The preview's reminders as Due rows, sorted in the database (see `_ordered`), to be
    paginated there: a page is one query, and its count is the preview's own."""
    rows, keys = _ordered(preview, order)
    return DueRows(rows, keys, preview.found)


class DueRows:
    """The preview's due set in an order, read as Due rows for the paginator: a slice is one
    query; the count is known already (the preview's counts).

    By name, a page walks the agents' name index (agent_name_idx) and stops after it: its
    time does not grow with the number due. By rule, the not-started agents come first: the
    page is cut in the two kinds with their counts, each kind walked by name the same way,
    and the two parts read as one UNION ALL (one query), rather than every due row sorted on
    a rank no index holds."""

    def __init__(self, rows: QuerySet, keys: tuple[str, ...], found: dict):
        self.rows, self.keys, self.found = rows, keys, found
        self._count = sum(found.values())

    def count(self) -> int:
        return self._count

    def __len__(self):
        return self._count

    def _slice(self, start: int, stop: int) -> list[Due]:
        if "due_rank" not in self.keys:
            rows = self.rows.order_by(*self.keys).values_list(*_DUE_FIELDS)
            return [Due(*row) for row in rows[start:stop]]
        by_name = self.keys[1:]
        first = self.found.get(ReminderKind.NOT_STARTED.value, 0)
        parts = []
        if start < first:  # the page begins among the not-started agents
            parts.append(
                self.rows.filter(last_activity__isnull=True).order_by(*by_name)[
                    start : min(stop, first)
                ]
            )
        if stop > first:  # and ends among the stalled ones
            parts.append(
                self.rows.filter(last_activity__isnull=False).order_by(*by_name)[
                    max(start - first, 0) : stop - first
                ]
            )
        fields = (*_DUE_FIELDS, *self.keys)
        parts = [part.values_list(*fields) for part in parts]
        if not parts:
            return []
        if len(parts) == 1:
            rows = parts[0]
        elif connection.features.supports_slicing_ordering_in_compound:
            rows = parts[0].union(*parts[1:], all=True).order_by(*self.keys)
        else:  # SQLite: no LIMIT inside a UNION; the parts come in rank order already
            rows = [row for part in parts for row in part]
        return [Due(*row[: len(_DUE_FIELDS)]) for row in rows]

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, _step = index.indices(self._count)
            return self._slice(start, stop) if start < stop else []
        if not 0 <= index < self._count:
            raise IndexError(index)
        return self._slice(index, index + 1)[0]


def due_position(preview: Preview, order: str, agent_id: int):
    """The agent's Due row in the preview, its position (0 for the first) and the rows
    before and after it in `order`: (due, position, previous, following), or None when no
    reminder is due to them. Four queries, each over the due set in the database (the row,
    the rows before it counted, the previous one and the next one).

    Each reads the agent's own kind walked by name as a page does (see `DueRows`), bounded
    by the agent's last name so that agent_name_idx starts at it: by rule, the position
    adds the not-started agents when the agent is stalled, and the row before the first
    stalled agent is the last not-started one (the one after the last not-started agent,
    the first stalled one), read in the same query as a second part of a UNION ALL."""
    rows, keys = _ordered(preview, order)
    found = rows.filter(agent_id=agent_id).values_list(*_DUE_FIELDS, *keys).first()
    if found is None:
        return None
    due, key = Due(*found[: len(_DUE_FIELDS)]), found[len(_DUE_FIELDS) :]
    by_name, name_key = keys[-3:], key[-3:]  # last name, first name, id
    descending = tuple(f"-{k}" for k in by_name)
    before = _before(by_name, name_key) & Q(due_last__lte=name_key[0])
    after = _before(by_name, name_key, after=True) & Q(due_last__gte=name_key[0])
    same, offset = rows, 0
    not_started = due.kind == ReminderKind.NOT_STARTED.value
    if order == BY_RULE:
        same = rows.filter(last_activity__isnull=not_started)
        offset = 0 if not_started else preview.found.get(ReminderKind.NOT_STARTED.value, 0)
    position = offset + same.filter(before).count()
    previous = same.filter(before).order_by(*descending).values_list(*_DUE_FIELDS)[:1]
    following = same.filter(after).order_by(*by_name).values_list(*_DUE_FIELDS)[:1]
    if order == BY_RULE and not_started:  # after the last not-started: the first stalled
        first_other = rows.filter(last_activity__isnull=False).order_by(*by_name)
        following = _union_all(following, first_other.values_list(*_DUE_FIELDS)[:1])
    elif order == BY_RULE:  # before the first stalled: the last not-started
        last_other = rows.filter(last_activity__isnull=True).order_by(*descending)
        previous = _union_all(previous, last_other.values_list(*_DUE_FIELDS)[:1])
    return due, position, _nearest(previous, due.kind), _nearest(following, due.kind)


def _union_all(first: QuerySet, second: QuerySet):
    """Both sliced querysets' rows: one UNION ALL query where the database takes a LIMIT
    inside one, else (SQLite) one query each."""
    if connection.features.supports_slicing_ordering_in_compound:
        return first.union(second, all=True)
    return [*first, *second]


def _nearest(candidates, kind: str) -> Due | None:
    """The row of the agent's own kind among `candidates` if any, else the other kind's."""
    rows = sorted((Due(*row) for row in candidates), key=lambda row: row.kind != kind)
    return rows[0] if rows else None


def _before(keys, values, *, after=False) -> Q:
    """The rows whose sort key (`keys` of the row) comes before `values` (after, `after`):
    the lexicographic comparison of the tuples, spelt out."""
    lookup = "gt" if after else "lt"
    condition, equal = Q(), Q()
    for key, value in zip(keys, values, strict=True):
        condition |= equal & Q(**{f"{key}__{lookup}": value})
        equal &= Q(**{key: value})
    return condition


@dataclass
class DueRow:
    due: Due
    agent: Agent
    population: object
    sent: int
    can_open_agent: bool = False  # the viewer may open the agent's page

    @property
    def kind_label(self):
        return ReminderKind(self.due.kind).label


def due_rows(programme: Programme, dues: list[Due], viewer=None) -> list[DueRow]:
    """One page of the preview with the agents, their populations, how many reminders of
    the programme they already received and, given the `viewer`, whether they may open each
    agent's page. Four queries whatever the page's size (three without a viewer)."""
    if not dues:
        return []
    agent_ids = {due.agent_id for due in dues}
    agents = Agent.objects.in_bulk(agent_ids)
    openable = set()
    if viewer is not None:
        openable = set(visible_agents(viewer).filter(pk__in=agent_ids).values_list("pk", flat=True))
    populations = {p.pk: p for p in programme.populations.all()}
    sent = dict(
        Reminder.objects.filter(
            programme=programme, agent_id__in=agent_ids, status=OutgoingStatus.SENT
        )
        .order_by()
        .values_list("agent_id")
        .annotate(n=Count("pk"))
    )
    return [
        DueRow(
            due,
            agents[due.agent_id],
            populations[due.population_id],
            sent.get(due.agent_id, 0),
            due.agent_id in openable,
        )
        for due in dues
    ]


# --- What failed -----------------------------------------------------------------------------


def _failing(now: datetime.datetime) -> Q:
    return Q(status=OutgoingStatus.FAILED) | Q(
        status=OutgoingStatus.SENDING, created_at__lt=now - STUCK_AFTER
    )


def _failure_counts(rows, now) -> dict:
    # Only the rows in those two states, read by reminder_status_idx: a programme that has
    # sent for weeks holds hundreds of thousands of others, which the counts would read.
    rows = rows.filter(status__in=[OutgoingStatus.FAILED, OutgoingStatus.SENDING])
    return rows.aggregate(
        failed=Count("pk", filter=Q(status=OutgoingStatus.FAILED)),
        stuck=Count(
            "pk", filter=Q(status=OutgoingStatus.SENDING, created_at__lt=now - STUCK_AFTER)
        ),
    )


@dataclass
class Failures:
    """The reminders and digests that failed or are stuck in SENDING, counted, and the
    latest of them (when the viewer sees names)."""

    failed: int
    stuck: int
    rows: list
    scope: Scope

    @property
    def total(self):
        return self.failed + self.stuck

    @property
    def shown(self) -> int | None:
        """The total as the viewer may see it (see `shown_count`)."""
        return shown_count(self.total, self.scope)


def failures(programme: Programme, scope: Scope, now: datetime.datetime | None = None):
    """Two queries for counts only; four with the rows."""
    now = now or timezone.now()
    reminders, digests = reminders_of(programme, scope), digests_of(programme, scope)
    counts = [_failure_counts(reminders, now), _failure_counts(digests, now)]
    failed = sum(c["failed"] for c in counts)
    stuck = sum(c["stuck"] for c in counts)
    rows = []
    if scope.names and failed + stuck:
        rows = _tag(
            reminders.filter(_failing(now)).select_related("agent", "population")[:FAILURES_SHOWN],
            REMINDER,
        ) + _tag(digests.filter(_failing(now)).select_related("recipient")[:FAILURES_SHOWN], DIGEST)
        rows.sort(key=lambda row: (row.created_at, row.pk), reverse=True)
        rows = rows[:FAILURES_SHOWN]
        for row in rows:
            row.stuck = row.status == OutgoingStatus.SENDING
    return Failures(failed=failed, stuck=stuck, rows=rows, scope=scope)


def _tag(rows, source):
    rows = list(rows)
    for row in rows:
        row.source = source
    return rows


# --- What was sent ---------------------------------------------------------------------------


def _filtered(rows, status, kind):
    if status:
        rows = rows.filter(status=status)
    if kind:
        rows = rows.filter(kind=kind)
    return rows


def log_entries(programme, scope, *, status=None, reminder_kind=None, digest_kind=None, tables):
    """The programme's reminders and digests within the scope, latest first, as
    {source, pk, created_at} rows (one query a page, plus the count): `log_rows` reads a
    page's rows."""
    parts = []
    if "reminders" in tables:
        parts.append(
            _filtered(reminders_of(programme, scope), status, reminder_kind)
            .annotate(source=Value(REMINDER))
            .values_list("source", "pk", "created_at")
        )
    if "digests" in tables:
        parts.append(
            _filtered(digests_of(programme, scope), status, digest_kind)
            .annotate(source=Value(DIGEST))
            .values_list("source", "pk", "created_at")
        )
    first, *others = [part.order_by() for part in parts]
    entries = first.union(*others, all=True) if others else first
    return entries.order_by("-created_at", "-pk")


def log_rows(entries) -> list:
    """The Reminder and Digest objects of a page of `log_entries`, in its order. Two
    queries at most."""
    entries = list(entries)
    wanted = {REMINDER: [], DIGEST: []}
    for source, pk, _created in entries:
        wanted[source].append(pk)
    found = {}
    if wanted[REMINDER]:
        for row in Reminder.objects.filter(pk__in=wanted[REMINDER]).select_related(
            "agent", "population"
        ):
            found[(REMINDER, row.pk)] = row
    if wanted[DIGEST]:
        for row in Digest.objects.filter(pk__in=wanted[DIGEST]).select_related("recipient"):
            found[(DIGEST, row.pk)] = row
    rows = []
    for source, pk, _created in entries:
        row = found[(source, pk)]
        row.source = source
        rows.append(row)
    return rows


def log_day_counts(programme, scope, *, status=None, reminder_kind=None, digest_kind=None, tables):
    """For viewers who see counts only: how many reminders and digests per day (the day
    they were claimed) and status, latest day first. One query a page, plus the count."""
    parts = []
    sources = (
        ("reminders", REMINDER, reminders_of, reminder_kind),
        ("digests", DIGEST, digests_of, digest_kind),
    )
    for table, source, rows_of, kind in sources:
        if table in tables:
            parts.append(
                _filtered(rows_of(programme, scope), status, kind)
                .annotate(day=TruncDate("created_at"), source=Value(source))
                .order_by()
                .values_list("day", "source", "status")
                .annotate(n=Count("pk"))
            )
    first, *others = parts
    entries = first.union(*others, all=True) if others else first
    return entries.order_by("-day", "source", "status")


@dataclass
class DayCount:
    day: datetime.date
    source: str
    status: str
    count: int | None  # None: under the privacy minimum

    @property
    def status_label(self):
        return OutgoingStatus(self.status).label


def day_count_rows(entries, scope: Scope) -> list[DayCount]:
    """A page of `log_day_counts`; reminder counts (they are about agents) under the
    privacy minimum are hidden."""
    return [
        DayCount(day, source, status, shown_count(n, scope) if source == REMINDER else n)
        for day, source, status, n in entries
    ]
