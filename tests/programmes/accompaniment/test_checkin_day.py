"""Each enrolment's day of last check-in (checkins/days.py, triggers of migration 0030): the
stored day equals the latest milestone date of its population its agent checked in at,
after every write that moves it (check-ins recorded, deleted, moved; milestones dated
again, moved, deleted; enrolments added, moved), the populations' tally follows, « stalled
without a check-in for 60 days » counts the same from the tally (« À faire ») as agent by
agent (the population page), check_progress finds a drift and mends it, the old days are
cleared, and random sequences of those writes never drift."""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from programmes import tally
from programmes.accompaniment.checkins import days as checkin_days
from programmes.enums import ProgressStatus
from programmes.models import CheckIn, Enrolment, Milestone, PopulationTally
from programmes.pages.todo import todo_for
from tests.agents.factories import AgentFactory, UserFactory
from tests.programmes.accompaniment.test_checkin_tally import (
    RANDOM_SEQUENCES,
    random_world,
)
from tests.programmes.accompaniment.test_checkin_tally import STEP as TALLY_STEP
from tests.programmes.accompaniment.test_checkin_tally import step as tally_step
from tests.programmes.factories import EnrolmentFactory, ProgrammeFactory, TargetPopulationFactory
from tests.programmes.factories_accompaniment import CheckInFactory, MilestoneFactory

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
LONG_AGO = TODAY - 3650 * DAY  # every stored day counts on it: nothing hidden by `effective`


def stored(population, agent):
    return set(
        Enrolment.objects.filter(population=population, agent=agent).values_list(
            "checkin_day", flat=True
        )
    )


def assert_days_hold(programme):
    assert checkin_days.drift(programme, LONG_AGO) == []
    assert tally.drift(programme.populations.values_list("pk", flat=True)) == []


@pytest.fixture
def world(db):
    programme = ProgrammeFactory(
        start_date=TODAY - 365 * DAY, end_date=None, stall_threshold_days=30
    )
    first, second = TargetPopulationFactory.create_batch(2, programme=programme)
    agents = AgentFactory.create_batch(4)
    for agent in agents:
        EnrolmentFactory(agent=agent, population=first, start_date=TODAY - 100 * DAY)
    milestones = [
        MilestoneFactory(population=first, date=TODAY - 90 * DAY),
        MilestoneFactory(population=first, date=TODAY - 7 * DAY),
        MilestoneFactory(population=second, date=TODAY),
    ]
    return programme, first, second, agents, milestones


def test_the_latest_milestone_checked_in_at_is_stored(world):
    programme, first, _second, agents, (old, recent, _other) = world
    CheckInFactory(milestone=old, agent=agents[0])
    assert stored(first, agents[0]) == {old.date}
    CheckInFactory(milestone=recent, agent=agents[0])
    CheckInFactory(milestone=old, agent=agents[1])
    assert stored(first, agents[0]) == {recent.date}
    assert stored(first, agents[1]) == {old.date}
    assert stored(first, agents[2]) == {None}
    CheckIn.objects.filter(milestone=recent, agent=agents[0]).delete()
    assert stored(first, agents[0]) == {old.date}
    CheckIn.objects.filter(agent=agents[0]).delete()
    assert stored(first, agents[0]) == {None}
    assert_days_hold(programme)


def test_moves_of_check_ins_milestones_and_enrolments(world):
    programme, first, second, agents, (old, recent, other) = world
    checkin = CheckInFactory(milestone=recent, agent=agents[0])
    checkin.milestone = old
    checkin.save()
    assert stored(first, agents[0]) == {old.date}
    checkin.agent = agents[1]
    checkin.save()
    assert (stored(first, agents[0]), stored(first, agents[1])) == ({None}, {old.date})
    old.date = TODAY - 3 * DAY  # a milestone dated again
    old.save()
    assert stored(first, agents[1]) == {old.date}
    # The milestone moved to the other population, where the agent is enrolled too.
    EnrolmentFactory(agent=agents[1], population=second)
    old.population = second
    old.save()
    assert (stored(first, agents[1]), stored(second, agents[1])) == ({None}, {old.date})
    # An enrolment moved to the population whose milestone its agent checked in at.
    CheckInFactory(milestone=other, agent=agents[2])
    assert stored(first, agents[2]) == {None}
    moved = first.enrolments.get(agent=agents[2])
    moved.population = second
    moved.save()
    assert stored(second, agents[2]) == {other.date}
    # And one moved away from where its agent checked in: none where it goes.
    CheckInFactory(milestone=recent, agent=agents[3])
    moved = first.enrolments.get(agent=agents[3])
    moved.population = second
    moved.save()
    assert stored(second, agents[3]) == {None}
    Milestone.objects.filter(pk=old.pk).delete()  # with its check-ins, as the admin can
    assert stored(second, agents[1]) == {None}
    assert_days_hold(programme)


def test_a_new_enrolment_of_an_agent_checked_in_there_has_the_day(world):
    programme, first, _second, agents, (_old, recent, _other) = world
    CheckInFactory(milestone=recent, agent=agents[0])
    first.enrolments.filter(agent=agents[0]).update(end_date=TODAY - DAY)
    Enrolment.objects.bulk_create(
        [
            Enrolment(agent=agents[0], population=first, start_date=TODAY),
            Enrolment(agent=AgentFactory(), population=first, start_date=TODAY),
        ]
    )
    assert stored(first, agents[0]) == {recent.date}
    assert_days_hold(programme)


def test_stalled_without_a_checkin_counts_the_same_from_the_tally_and_agent_by_agent(world, client):
    programme, first, _second, agents, (old, recent, _other) = world
    last_progress = timezone.now() - 60 * DAY  # stalled (threshold 30 days) for all four
    first.enrolments.update(last_activity=last_progress)
    CheckInFactory(milestone=recent, agent=agents[0])  # recent: not counted
    CheckInFactory(milestone=old, agent=agents[1])  # 90 days ago: counted
    ambassador = UserFactory()
    first.ambassadors.add(ambassador)
    (todo,) = todo_for(ambassador, TODAY)
    (task,) = [task for task in todo.tasks if task.key.startswith("stalled")]
    assert task.count == 3
    client.force_login(ambassador)
    response = client.get(
        reverse("programmes:population_detail", kwargs={"pk": first.pk}),
        {"statut": ProgressStatus.STALLED.slug, "sans-point": 60},
    )
    assert response.context["page_obj"].paginator.count == 3
    assert agents[0].pk not in {e.agent_id for e in response.context["page_obj"]}
    # 53 days later the milestone of a week ago is not recent any more.
    later = TODAY + 54 * DAY
    (todo,) = todo_for(ambassador, later)
    (task,) = [task for task in todo.tasks if task.key.startswith("stalled")]
    assert task.count == 4


def test_old_days_are_cleared_and_their_tally_rows_merge(world):
    programme, first, _second, agents, (old, recent, _other) = world
    CheckInFactory(milestone=old, agent=agents[0])
    CheckInFactory(milestone=recent, agent=agents[1])
    assert checkin_days.clear_old(TODAY) == 1  # 90 days old: no longer recent on any day
    assert (stored(first, agents[0]), stored(first, agents[1])) == ({None}, {recent.date})
    assert checkin_days.drift(programme, TODAY) == []  # old or cleared: the same today
    tally.compact([first.pk])
    days = set(PopulationTally.objects.filter(population=first).values_list("checkin_day"))
    assert days == {(datetime.date(1, 1, 1),), (recent.date,)}
    assert tally.drift([first.pk]) == []


def test_check_progress_finds_a_drifted_day_and_mends_it(world):
    programme, first, _second, agents, (_old, recent, _other) = world
    CheckInFactory(milestone=recent, agent=agents[0])
    # A restore without triggers: the day lost (the tally follows the enrolment).
    first.enrolments.filter(agent=agents[0]).update(checkin_day=None)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("check_progress", stdout=out)
    assert "Derniers points d'étape vus : 1 en écart." in out.getvalue()
    out = StringIO()
    call_command("check_progress", "--fix", stdout=out)
    assert "1 inscriptions corrigées." in out.getvalue()
    assert stored(first, agents[0]) == {recent.date}
    assert_days_hold(programme)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statement-level triggers")
def test_check_ins_written_in_one_statement(world):
    """PostgreSQL: a check-in INSERT … SELECT of many rows (the triggers' transition
    tables), then their deletion in one statement."""
    programme, first, _second, agents, (_old, recent, _other) = world
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO programmes_checkin (milestone_id, agent_id, status, targets_met,"
            " targets_set, comment, next_step, recorded_at, updated_at)"
            " SELECT %s, agent_id, 1, 0, 0, '', '', now(), now()"
            " FROM programmes_enrolment WHERE population_id = %s",
            [recent.pk, first.pk],
        )
    assert {day for agent in agents for day in stored(first, agent)} == {recent.date}
    assert_days_hold(programme)
    CheckIn.objects.filter(milestone=recent).delete()
    assert {day for agent in agents for day in stored(first, agent)} == {None}
    assert_days_hold(programme)


# --- Random sequences ------------------------------------------------------------------------

STEPS = st.lists(
    st.one_of(
        TALLY_STEP,
        st.tuples(
            st.just("date"),
            st.integers(0, 5),
            st.integers(0, 2),
            st.sampled_from([-100, -61, -60, -1, 0]),
        ),
    ),
    max_size=12,
)


@pytest.mark.django_db
@RANDOM_SEQUENCES
@given(steps=STEPS)
def test_random_writes_never_drift(steps):
    with transaction.atomic():
        programme, populations, agents, milestones = random_world()
        for kind, agent, milestone, days in steps:
            milestones[milestone].refresh_from_db()
            if kind == "date":
                milestones[milestone].date = TODAY + days * DAY
                milestones[milestone].save()
            else:
                tally_step(kind, agents[agent], milestones[milestone], days, populations)
            assert checkin_days.drift(programme, LONG_AGO) == []
        assert tally.drift([population.pk for population in populations]) == []
        transaction.set_rollback(True)
