"""The check-ins' tally (checkins/tally.py, triggers of migration 0029): how many current
agents are checked in at a milestone, read from it, equals the check-ins of current agents
counted one by one, after every write that moves it (check-ins recorded and deleted, agents
leaving, enrolled twice, re-enrolled in bulk, moved; milestones moved or deleted; agents
deleted) and on every day; check_progress finds a drift and mends it; and random sequences
of those writes never drift."""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from programmes.accompaniment.checkins import selectors
from programmes.accompaniment.checkins import tally as checkin_tally
from programmes.models import CheckIn, CheckInTally, Enrolment, Milestone
from tests.agents.factories import AgentFactory
from tests.programmes.factories import EnrolmentFactory, ProgrammeFactory, TargetPopulationFactory
from tests.programmes.factories_accompaniment import CheckInFactory, MilestoneFactory

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
DAYS = (-400, -1, 0, 1, 29, 30, 31, 400)


def live(milestone, day):
    """The definition: the milestone's check-ins of agents currently in its population."""
    current = Enrolment.objects.current(day).filter(population=milestone.population_id)
    return milestone.checkins.filter(agent_id__in=current.values("agent_id")).count()


def assert_tally_holds(milestones):
    for milestone in milestones:
        milestone.refresh_from_db()
        for offset in DAYS:
            day = TODAY + offset * DAY
            progress = selectors.milestone_progress(milestone, day)
            assert progress.done == live(milestone, day), (milestone.pk, offset)
    programmes = {milestone.population.programme for milestone in milestones}
    for programme in programmes:
        assert checkin_tally.drift(programme) == []


@pytest.fixture
def world(db):
    programme = ProgrammeFactory(start_date=TODAY - 365 * DAY, end_date=None)
    first, second = TargetPopulationFactory.create_batch(2, programme=programme)
    agents = AgentFactory.create_batch(4)
    for agent in agents:
        EnrolmentFactory(agent=agent, population=first, start_date=TODAY - 100 * DAY)
    milestones = [
        MilestoneFactory(population=first, date=TODAY - 90 * DAY),
        MilestoneFactory(population=first, date=TODAY),
        MilestoneFactory(population=second, date=TODAY),
    ]
    return programme, first, second, agents, milestones


def test_recordings_count_and_deletions_uncount(world):
    _programme, _first, _second, agents, (old, now, _other) = world
    for agent in agents[:3]:
        CheckInFactory(milestone=now, agent=agent)
    CheckInFactory(milestone=old, agent=agents[0])
    assert selectors.milestone_progress(now, TODAY).done == 3
    assert selectors.milestone_progress(old, TODAY).done == 1
    CheckIn.objects.filter(milestone=now, agent=agents[1]).delete()
    assert selectors.milestone_progress(now, TODAY).done == 2
    assert_tally_holds([old, now])


def test_leaving_counts_until_the_day_and_a_second_enrolment_counts_once(world):
    _programme, first, _second, agents, (_old, now, _other) = world
    leaver, twice, back = agents[:3]
    for agent in (leaver, twice, back):
        CheckInFactory(milestone=now, agent=agent)
    first.enrolments.filter(agent=leaver).update(end_date=TODAY + 30 * DAY)
    first.enrolments.filter(agent=twice).update(end_date=TODAY + 30 * DAY)
    EnrolmentFactory(agent=twice, population=first, start_date=TODAY)
    first.enrolments.filter(agent=back).update(end_date=TODAY - DAY)
    Enrolment.objects.bulk_create([Enrolment(agent=back, population=first, start_date=TODAY + DAY)])
    progress = selectors.milestone_progress(now, TODAY)
    assert progress.done == 2  # the leaver still here, twice once; back not yet
    assert selectors.milestone_progress(now, TODAY + DAY).done == 3
    assert selectors.milestone_progress(now, TODAY + 30 * DAY).done == 2  # twice, back
    assert_tally_holds([now])


def test_moves_and_deletions_of_agents_enrolments_and_milestones(world):
    programme, first, second, agents, (old, now, other) = world
    for agent in agents:
        CheckInFactory(milestone=now, agent=agent)
        CheckInFactory(milestone=old, agent=agent)
    EnrolmentFactory(agent=agents[0], population=second)
    # An enrolment moved to the other population, a check-in to another agent and another
    # milestone, a milestone to the other population (as the admin can).
    moved = first.enrolments.get(agent=agents[1])
    moved.population = second
    moved.save()
    checkin = CheckIn.objects.get(milestone=old, agent=agents[2])
    checkin.agent = AgentFactory()
    checkin.save()
    checkin = CheckIn.objects.get(milestone=now, agent=agents[3])
    checkin.milestone = other
    checkin.save()
    assert_tally_holds([old, now, other])
    old.population = second
    old.save()
    assert_tally_holds([old, now, other])
    agents[0].delete()
    first.enrolments.filter(agent=agents[2]).delete()
    assert_tally_holds([old, now, other])
    Milestone.objects.filter(pk=other.pk).delete()  # with its check-ins, as the admin can
    assert not CheckInTally.objects.filter(milestone_id=other.pk).exists()
    assert_tally_holds([old, now])
    assert checkin_tally.drift(programme) == []


def test_the_milestones_list_and_the_todo_read_the_tally(world, django_assert_num_queries):
    _programme, first, _second, agents, (old, now, _other) = world
    for agent in agents[:2]:
        CheckInFactory(milestone=now, agent=agent)
    with django_assert_num_queries(1):
        counts = {m.pk: m.checked_in for m in selectors.milestones_with_counts(first, TODAY)}
    assert counts == {now.pk: 2, old.pk: 0}
    (current,) = selectors.current_milestones_to_run(
        first.__class__.objects.filter(pk=first.pk), TODAY
    )
    assert (current.pk, current.remaining) == (now.pk, 2)


def test_check_progress_finds_a_drifted_tally_and_mends_it(world):
    programme, _first, _second, agents, (_old, now, _other) = world
    CheckInFactory(milestone=now, agent=agents[0])
    CheckInTally.objects.filter(milestone=now).update(n=5)  # a restore without triggers
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("check_progress", stdout=out)
    assert "Décomptes des entretiens par point d'étape : 1 en écart." in out.getvalue()
    assert selectors.milestone_progress(now, TODAY).done == 5
    call_command("check_progress", "--fix", stdout=StringIO())
    assert checkin_tally.drift(programme) == []
    assert selectors.milestone_progress(now, TODAY).done == 1


# --- Random sequences ------------------------------------------------------------------------

STEP = st.tuples(
    st.sampled_from(
        ["checkin", "uncheck", "leave", "twice", "reenrol", "unenrol", "move", "milestone"]
    ),
    st.integers(0, 5),  # agent
    st.integers(0, 2),  # milestone
    st.sampled_from([-10, 0, 1, 30]),  # days from today
)
STEPS = st.lists(STEP, max_size=12)


def step(kind, agent, milestone, days, populations):
    population = milestone.population
    when = TODAY + days * DAY
    if kind == "checkin":
        CheckIn.objects.get_or_create(milestone=milestone, agent=agent, defaults={"status": 0})
    elif kind == "uncheck":
        CheckIn.objects.filter(milestone=milestone, agent=agent).delete()
    elif kind == "leave":
        for enrolment in Enrolment.objects.filter(
            agent=agent, population=population, end_date=None
        ):
            end = max(when, enrolment.start_date + DAY)
            Enrolment.objects.filter(pk=enrolment.pk).update(end_date=end)
    elif kind == "twice":
        open_ = Enrolment.objects.filter(
            agent=agent, population=population, end_date=None, start_date__lt=TODAY
        )
        if open_.update(end_date=TODAY + 30 * DAY):
            EnrolmentFactory(agent=agent, population=population, start_date=TODAY)
    elif kind == "reenrol":
        if not Enrolment.objects.filter(agent=agent, population=population, end_date=None):
            Enrolment.objects.bulk_create(
                [Enrolment(agent=agent, population=population, start_date=when)]
            )
    elif kind == "unenrol":
        enrolment = Enrolment.objects.filter(agent=agent, population=population).first()
        if enrolment is not None:
            enrolment.delete()
    elif kind == "move":
        other = populations[0] if population != populations[0] else populations[1]
        enrolment = Enrolment.objects.filter(agent=agent, population=population).first()
        if enrolment is not None and not Enrolment.objects.filter(
            agent=agent, population=other, end_date=None
        ):
            enrolment.population, enrolment.end_date = other, None
            enrolment.save()
    elif kind == "milestone":
        other = populations[0] if population != populations[0] else populations[1]
        milestone.population = other
        milestone.save()


def random_world():
    """The random sequences' start: two populations of three agents each, two milestones
    in the first, one in the second. Returns (programme, populations, agents, milestones)."""
    programme = ProgrammeFactory(start_date=TODAY - 365 * DAY, end_date=None)
    populations = TargetPopulationFactory.create_batch(2, programme=programme)
    agents = AgentFactory.create_batch(6)
    for i, agent in enumerate(agents):
        EnrolmentFactory(agent=agent, population=populations[i % 2], start_date=TODAY - DAY)
    milestones = [
        MilestoneFactory(population=populations[0], date=TODAY - 20 * DAY),
        MilestoneFactory(population=populations[0], date=TODAY),
        MilestoneFactory(population=populations[1], date=TODAY),
    ]
    return programme, populations, agents, milestones


# Hypothesis's settings for the random sequences (a fresh world per example, rolled back).
RANDOM_SEQUENCES = settings(
    max_examples=25,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.django_db
@RANDOM_SEQUENCES
@given(steps=STEPS)
def test_random_writes_never_drift(steps):
    with transaction.atomic():
        _programme, populations, agents, milestones = random_world()
        for kind, agent, milestone, days in steps:
            milestones[milestone].refresh_from_db()
            step(kind, agents[agent], milestones[milestone], days, populations)
        assert_tally_holds(milestones)
        transaction.set_rollback(True)
