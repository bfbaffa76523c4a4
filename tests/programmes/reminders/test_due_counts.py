"""The reminders' counts per kind (selection.due_counts: the populations' tallies less those
the due set leaves out) against the due set itself, row by row (selection.due_set), and the
stored reminder holds both read against their live definition (reminders/holds.py): random
populations, enrolments, progress and agents held apart, counted on several days and for
several sets of populations, before and after the tallies are merged, then again after
random changes (the rules, a reminder cancelled, an opt-out withdrawn, a new enrolment, the
past holds cleared)."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from programmes import tally
from programmes.enums import OutgoingStatus, ReminderKind
from programmes.models import Enrolment, Reminder, ReminderOptOut, ReminderSettings
from programmes.reminders import holds, siblings
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
        "changes": st.sets(
            st.sampled_from(["rules", "cancel", "opt_in", "enrol", "clear", "remind", "unenrol"])
        ),
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


def change(programme, populations, changes) -> None:
    """Writes that move holds, through the models as any code path would."""
    if "rules" in changes:
        ReminderSettings.objects.filter(programme=programme).update(interval_days=3, max_count=1)
        rules = ReminderSettings.objects.get(programme=programme)
        rules.interval_days, rules.max_count = 30, 3
        rules.save()
    if "cancel" in changes:
        latest = Reminder.objects.filter(programme=programme).order_by("-period").first()
        if latest is not None:
            latest.status = OutgoingStatus.CANCELLED
            latest.save()
    if "opt_in" in changes:
        ReminderOptOut.objects.filter(programme=programme).delete()
    if "remind" in changes:
        reminded = {}
        for one in Enrolment.objects.filter(population__programme=programme).order_by("pk"):
            reminded.setdefault(one.agent_id, one)
        for one in list(reminded.values())[:2]:
            ReminderFactory(
                agent=one.agent,
                population=one.population,
                period=(TODAY + datetime.timedelta(days=1)).isoformat(),
                status=OutgoingStatus.PENDING,
                email="relance@exemple.gouv.fr",
            )
    if "enrol" in changes:
        # A new enrolment of each agent the programme reminded or who opted out, in a
        # population they are not in now.
        held_agents = set(
            Reminder.objects.filter(programme=programme).values_list("agent_id", flat=True)
        ) | set(
            ReminderOptOut.objects.filter(programme=programme).values_list("agent_id", flat=True)
        )
        for agent_id in sorted(held_agents):
            open_in = set(
                Enrolment.objects.current(TODAY)
                .filter(agent_id=agent_id)
                .values_list("population_id", flat=True)
            )
            free = [p for p in populations if p.pk not in open_in]
            if (
                free
                and not Enrolment.objects.filter(
                    agent_id=agent_id, population=free[0], end_date__isnull=True
                ).exists()
            ):
                EnrolmentFactory(
                    agent_id=agent_id,
                    population=free[0],
                    start_date=TODAY - datetime.timedelta(days=60),
                )
    if "unenrol" in changes:
        # The first population's enrolment of an agent enrolled in several (deleted, as the
        # admin can): their later rows lose their earlier one.
        first = (
            Enrolment.objects.filter(population=populations[0], has_earlier=False)
            .filter(agent__enrolments__population__in=populations[1:])
            .order_by("pk")
            .first()
        )
        if first is not None:
            first.delete()
    if "clear" in changes:
        holds.clear_past(TODAY, programme)  # as the night before TODAY's first check


def check_world(programme, ids) -> None:
    scopes = [set(ids), {ids[0]}, {ids[1], ids[2]}, {ids[2]}]
    for merged in (False, True):
        if merged:
            tally.compact(ids)
        assert tally.drift(ids) == []
        for days in (0, 6, 15, 45):
            day = TODAY + datetime.timedelta(days=days)
            assert holds.drift(programme, day) == [], days
            assert siblings.drift(programme) == []
            for scope in scopes:
                assert due_counts(programme, day, scope) == expected(programme, day, scope), (
                    days,
                    sorted(scope),
                    merged,
                )


@pytest.mark.django_db
@settings(
    # About 1.2 s an example (a world counted 32 ways, twice): 16 keep it near 20 s.
    max_examples=16,
    deadline=None,
    # A failing world is small already; shrinking one took minutes of database writes.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=world)
def test_the_counts_per_kind_are_the_due_sets(spec):
    with transaction.atomic():
        programme, _rules, populations = build(spec)
        ids = [population.pk for population in populations]
        check_world(programme, ids)
        change(programme, populations, spec["changes"])
        programme.refresh_from_db()
        check_world(programme, ids)
        transaction.set_rollback(True)


def test_no_population_counts_nothing_without_a_query(db, django_assert_num_queries):
    programme = ReminderSettingsFactory().programme
    with django_assert_num_queries(0):
        assert due_counts(programme, TODAY, set()) == dict.fromkeys(ReminderKind.values, 0)
