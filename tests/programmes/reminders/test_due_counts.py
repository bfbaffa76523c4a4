"""The reminders' counts per kind (selection.due_counts: the populations' tallies less those
the due set leaves out, or the due rows counted when many agents are held apart) against the
due set itself, row by row (selection.due_set): random populations, enrolments, progress and
agents held apart, counted on several days and for several sets of populations, before and
after the tallies are merged."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from programmes import tally
from programmes.enums import OutgoingStatus, ReminderKind
from programmes.models import Enrolment
from programmes.reminders import selection
from programmes.reminders.selection import due_counts, due_set
from tests.agents.factories import AgentFactory
from tests.programmes.factories import (
    EnrolmentFactory,
    ProgrammeFactory,
    TargetPopulationFactory,
)
from tests.programmes.factories_reminders import (
    ReminderFactory,
    ReminderOptOutFactory,
    ReminderSettingsFactory,
)

TODAY = datetime.date(2026, 6, 15)
# What an agent is to the reminders besides their enrolments: held apart or not.
HELD = ["none", "none", "none", "opted_out", "recent", "maxed", "inactive", "no_email"]

enrolment = st.fixed_dictionaries(
    {
        # Days enrolled before TODAY (negative: enrolled later), and left N days after.
        "since": st.sampled_from([200, 30, 8, 3, 0, -5]),
        "left_after": st.sampled_from([None, None, None, 100, 190, 205]),
        # Days since the last progress (None: not started), and the target reached.
        "active": st.sampled_from([None, None, 2, 20, 40, 120]),
        "reached": st.booleans(),
    }
)
agent = st.fixed_dictionaries(
    {
        "held": st.sampled_from(HELD),
        # One enrolment or none in each of the three populations.
        "enrolments": st.lists(st.one_of(st.none(), enrolment), min_size=3, max_size=3),
    }
)
world = st.fixed_dictionaries(
    {
        "agents": st.lists(agent, min_size=1, max_size=14),
        "remind_stalled": st.booleans(),
        "first_after_days": st.sampled_from([1, 7]),
    }
)


def build(spec) -> tuple:
    programme = ProgrammeFactory(start_date=TODAY - datetime.timedelta(days=365), end_date=None)
    rules = ReminderSettingsFactory(
        programme=programme,
        remind_stalled=spec["remind_stalled"],
        first_after_days=spec["first_after_days"],
        max_count=2,
        interval_days=7,
    )
    populations = [TargetPopulationFactory(programme=programme) for _ in range(3)]
    for one in spec["agents"]:
        held = one["held"]
        person = AgentFactory(
            is_active=held != "inactive", **({"email": None} if held == "no_email" else {})
        )
        for population, row in zip(populations, one["enrolments"], strict=True):
            if row is None:
                continue
            start = TODAY - datetime.timedelta(days=row["since"])
            end = None
            if row["left_after"] is not None:
                end = start + datetime.timedelta(days=row["left_after"])
            made = EnrolmentFactory(
                agent=person, population=population, start_date=start, end_date=end
            )
            last = None
            if row["active"] is not None:
                last = timezone.make_aware(
                    datetime.datetime.combine(
                        TODAY - datetime.timedelta(days=row["active"]), datetime.time(10)
                    )
                )
            # The stored state as an import would leave it (the tallies follow by trigger).
            Enrolment.objects.filter(pk=made.pk).update(
                last_activity=last, reached=row["reached"] and last is not None
            )
        if held == "opted_out":
            ReminderOptOutFactory(agent=person, programme=programme)
        elif held in ("recent", "maxed"):
            days = [2] if held == "recent" else [30, 20]
            for days_ago in days:
                ReminderFactory(
                    agent=person,
                    population=populations[0],
                    period=(TODAY - datetime.timedelta(days=days_ago)).isoformat(),
                    status=OutgoingStatus.SENT,
                )
    return programme, rules, populations


def expected(programme, day, population_ids) -> dict[str, int]:
    kinds = due_set([programme], day, population_ids).values_list("kind", flat=True)
    kinds = list(kinds)
    return {kind: kinds.count(kind) for kind in ReminderKind.values}


# With a bound of 2, a world with two agents held apart or more is counted row by row; with
# the real one, every world is counted from the tallies.
BOUNDS = [2, selection.HELD_BOUND]


@pytest.fixture(params=BOUNDS, ids=["bound-2", "bound-real"])
def held_bound(request, monkeypatch):
    monkeypatch.setattr(selection, "HELD_BOUND", request.param)
    return request.param


@pytest.mark.django_db
@settings(
    # About 0.6 s an example (a world counted 32 ways): 12 for each bound keep it near 15 s.
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=world)
def test_the_counts_per_kind_are_the_due_sets(held_bound, spec):
    with transaction.atomic():
        programme, _rules, populations = build(spec)
        ids = [population.pk for population in populations]
        scopes = [set(ids), {ids[0]}, {ids[1], ids[2]}, {ids[2]}]
        for merged in (False, True):
            if merged:
                tally.compact(ids)
            for days in (0, 6, 15, 45):
                day = TODAY + datetime.timedelta(days=days)
                for scope in scopes:
                    assert due_counts(programme, day, scope) == expected(programme, day, scope), (
                        days,
                        sorted(scope),
                        merged,
                    )
        transaction.set_rollback(True)


def test_no_population_counts_nothing_without_a_query(db, django_assert_num_queries):
    programme = ReminderSettingsFactory().programme
    with django_assert_num_queries(0):
        assert due_counts(programme, TODAY, set()) == dict.fromkeys(ReminderKind.values, 0)
