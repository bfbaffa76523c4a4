"""The stored reminder hold of each enrolment (reminders/holds.py, triggers of migration
0025): the daily claim, a cancelled reminder, an opt-out and its withdrawal, the rules, a
new enrolment each move it on every enrolment of the agent in that programme and no other,
the tally follows it, and check_progress finds, mends and clears it."""

import datetime
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from programmes import tally
from programmes.enums import OutgoingStatus
from programmes.models import NO_HOLD, Enrolment, PopulationTally, Reminder, ReminderOptOut
from programmes.reminders import holds, services
from programmes.reminders.selection import due_counts
from tests.agents.factories import AgentFactory
from tests.programmes.factories import EnrolmentFactory, ProgrammeFactory, TargetPopulationFactory
from tests.programmes.factories_reminders import ReminderFactory, ReminderSettingsFactory

FOREVER = datetime.date(9999, 12, 31)


@pytest.fixture
def world(db):
    """Two programmes with reminders on (interval 14, maximum 3); an agent enrolled in two
    populations of the first and one of the second, not started, due in both (today)."""
    day = timezone.localdate()
    programmes, populations = [], []
    for _ in range(2):
        programme = ProgrammeFactory(start_date=day - datetime.timedelta(days=365), end_date=None)
        ReminderSettingsFactory(programme=programme)
        programmes.append(programme)
        populations.append([TargetPopulationFactory(programme=programme) for _ in range(2)])
    agent = AgentFactory()
    since = day - datetime.timedelta(days=60)
    for population in (populations[0][0], populations[0][1], populations[1][0]):
        EnrolmentFactory(agent=agent, population=population, start_date=since)
    return programmes, populations, agent, day


def held(agent, programme):
    return sorted(
        Enrolment.objects.filter(agent=agent, population__programme=programme).values_list(
            "reminder_hold", flat=True
        ),
        key=str,
    )


def test_the_claim_holds_each_enrolment_of_the_agent_in_that_programme(world):
    programmes, _populations, agent, day = world
    assert (
        due_counts(programmes[0], day, programmes[0].populations.values_list("pk", flat=True))[
            "not_started"
        ]
        == 1
    )

    services.reminders_claim(day=day)

    # Both programmes remind them: each holds its own enrolments, the interval ahead.
    assert held(agent, programmes[0]) == [day + datetime.timedelta(days=14)] * 2
    assert held(agent, programmes[1]) == [day + datetime.timedelta(days=14)]
    ids = list(programmes[0].populations.values_list("pk", flat=True))
    assert due_counts(programmes[0], day, ids)["not_started"] == 0
    assert due_counts(programmes[0], day + datetime.timedelta(days=14), ids)["not_started"] == 1
    assert tally.drift(ids) == []
    assert PopulationTally.objects.filter(
        population_id__in=ids, hold_day=day + datetime.timedelta(days=14)
    ).exists()


def test_a_cancelled_reminder_no_longer_holds(world):
    programmes, populations, agent, day = world
    reminder = ReminderFactory(
        agent=agent,
        population=populations[0][0],
        period=day.isoformat(),
        status=OutgoingStatus.PENDING,
    )
    assert held(agent, programmes[0]) == [day + datetime.timedelta(days=14)] * 2
    assert held(agent, programmes[1]) == [None]

    reminder.status = OutgoingStatus.CANCELLED
    reminder.save()

    assert held(agent, programmes[0]) == [None, None]


def test_the_maximum_and_an_opt_out_hold_for_good_until_withdrawn(world):
    programmes, populations, agent, day = world
    for days_ago in (60, 40, 20):
        ReminderFactory(
            agent=agent,
            population=populations[0][1],
            period=(day - datetime.timedelta(days=days_ago)).isoformat(),
        )
    assert held(agent, programmes[0]) == [FOREVER] * 2  # 3 reminders: the maximum

    Reminder.objects.filter(agent=agent).order_by("period").first().delete()
    assert held(agent, programmes[0]) == [day - datetime.timedelta(days=20 - 14)] * 2

    services.reminders_opt_out(agent_id=agent.pk, programme_id=programmes[0].pk)
    assert held(agent, programmes[0]) == [FOREVER] * 2
    assert held(agent, programmes[1]) == [None]

    ReminderOptOut.objects.filter(agent=agent).delete()
    assert held(agent, programmes[0]) == [day - datetime.timedelta(days=6)] * 2


def test_the_rules_move_the_holds_of_their_programme_only(world):
    programmes, populations, agent, day = world
    for _programme, population in (
        (programmes[0], populations[0][0]),
        (programmes[1], populations[1][0]),
    ):
        ReminderFactory(agent=agent, population=population, period=day.isoformat())
    rules = programmes[0].reminder_settings

    rules.interval_days = 30
    rules.save()
    assert held(agent, programmes[0]) == [day + datetime.timedelta(days=30)] * 2
    assert held(agent, programmes[1]) == [day + datetime.timedelta(days=14)]

    rules.max_count = 1
    rules.save()
    assert held(agent, programmes[0]) == [FOREVER] * 2


def test_a_new_enrolment_of_a_held_agent_is_held_too(world):
    programmes, populations, agent, day = world
    ReminderFactory(agent=agent, population=populations[0][0], period=day.isoformat())
    population = TargetPopulationFactory(programme=programmes[0])
    other = AgentFactory()

    made = EnrolmentFactory(agent=agent, population=population, start_date=day)
    fresh = EnrolmentFactory(agent=other, population=population, start_date=day)

    made.refresh_from_db()
    fresh.refresh_from_db()
    assert made.reminder_hold == day + datetime.timedelta(days=14)
    assert fresh.reminder_hold is None
    assert tally.drift([population.pk]) == []


def test_check_progress_reports_mends_and_clears_the_holds(world):
    programmes, populations, agent, day = world
    ReminderFactory(
        agent=agent,
        population=populations[0][0],
        period=(day - datetime.timedelta(days=20)).isoformat(),
    )
    ReminderFactory(agent=agent, population=populations[1][0], period=day.isoformat())
    # A hold past on day (20 days ago + 14) and one written by hand, bypassing the triggers.
    assert held(agent, programmes[0]) == [day - datetime.timedelta(days=6)] * 2
    Enrolment.objects.filter(population=populations[1][0]).update(reminder_hold=None)

    out = StringIO()
    with pytest.raises(CommandError, match="--fix"):
        call_command("check_progress", stdout=out)
    assert "Suspensions des relances : 1 en écart." in out.getvalue()
    assert f"enregistré aucune, calculé {day + datetime.timedelta(days=14)}" in out.getvalue()

    call_command("check_progress", "--fix", stdout=StringIO())

    assert held(agent, programmes[1]) == [day + datetime.timedelta(days=14)]
    assert held(agent, programmes[0]) == [None, None]  # past: cleared
    ids = [population.pk for pair in populations for population in pair]
    assert tally.drift(ids) == []
    # Merged: no tally row keeps a past hold apart.
    assert set(PopulationTally.objects.values_list("hold_day", flat=True)) == {
        NO_HOLD,
        day + datetime.timedelta(days=14),
    }
    out = StringIO()
    call_command("check_progress", stdout=out)
    assert "Suspensions des relances : 0 en écart." in out.getvalue()


def test_bulk_changes_after_single_ones_keep_the_holds(world):
    """What a worker does: reminders marked one by one, then many at once, in the same
    connection (migration 0026: the trigger statements are planned per call)."""
    programmes, populations, agent, day = world
    others = [EnrolmentFactory(population=populations[0][1]).agent for _ in range(30)]
    reminders = [
        ReminderFactory(
            agent=someone, population=populations[0][1], period=day.isoformat(),
            status=OutgoingStatus.PENDING,
        )
        for someone in [agent, *others]
    ]  # fmt: skip
    for reminder in reminders[:3]:  # one row at a time, as reminder_send does
        Reminder.objects.filter(pk=reminder.pk).update(status=OutgoingStatus.SENT)
    Reminder.objects.filter(status=OutgoingStatus.PENDING).update(status=OutgoingStatus.SENT)
    assert held(agent, programmes[0]) == [day + datetime.timedelta(days=14)] * 2

    Reminder.objects.filter(pk=reminders[0].pk).update(status=OutgoingStatus.CANCELLED)
    Reminder.objects.filter(pk__in=[r.pk for r in reminders[1:20]]).update(
        status=OutgoingStatus.CANCELLED
    )

    assert held(agent, programmes[0]) == [None, None]
    assert holds.drift(programmes[0], day) == []
    held_agents = Enrolment.objects.filter(
        population=populations[0][1], reminder_hold=day + datetime.timedelta(days=14)
    ).values_list("agent_id", flat=True)
    assert sorted(held_agents) == sorted(someone.pk for someone in others[19:])
    assert tally.drift([populations[0][0].pk, populations[0][1].pk]) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's trigger functions")
@pytest.mark.django_db
def test_the_hold_functions_plan_each_statement_on_each_call():
    """A static plpgsql statement keeps the plan of its first call in the connection, made
    for that call's transition tables: a one-row plan re-used for thousands of rows is
    quadratic. Every statement that reads a transition table goes through EXECUTE."""
    names = ("reminder_hold", "optout_hold", "rules_hold", "enrolment_hold")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT proname, prosrc FROM pg_proc WHERE proname = ANY(%s)",
            [[f"programmes_{name}" for name in names]],
        )
        bodies = dict(cursor.fetchall())
    assert sorted(bodies) == sorted(f"programmes_{name}" for name in names)
    for name, body in bodies.items():
        static = re.sub(r"EXECUTE \$q\$.*?\$q\$", "", body, flags=re.S)
        assert "EXECUTE $q$" in body, name
        assert "new_rows" not in static and "old_rows" not in static, name
