"""The stored earlier-population flag of each enrolment (reminders/siblings.py, triggers of
migration 0027): new enrolments, one-by-one and in bulk, in either order; a deletion; an
enrolment moved to another population; check_progress finds and mends a drift; and the
reminders' counts and due set keep one row per agent with the flag."""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from programmes.models import Enrolment
from programmes.reminders import siblings
from programmes.reminders.selection import due_counts, due_set
from tests.agents.factories import AgentFactory
from tests.programmes.factories import EnrolmentFactory, ProgrammeFactory, TargetPopulationFactory
from tests.programmes.factories_reminders import ReminderSettingsFactory


@pytest.fixture
def world(db):
    """A programme of three populations (in id order) and another of one."""
    day = timezone.localdate()
    programme = ProgrammeFactory(start_date=day - datetime.timedelta(days=365), end_date=None)
    other = ProgrammeFactory(start_date=day - datetime.timedelta(days=365), end_date=None)
    populations = [TargetPopulationFactory(programme=programme) for _ in range(3)]
    return programme, populations, TargetPopulationFactory(programme=other), day


def flags(agent):
    return dict(Enrolment.objects.filter(agent=agent).values_list("population_id", "has_earlier"))


def test_a_later_enrolment_is_flagged_in_either_order(world):
    programme, (first, second, third), elsewhere, _day = world
    agent = AgentFactory()
    EnrolmentFactory(agent=agent, population=third)
    EnrolmentFactory(agent=agent, population=elsewhere)
    assert flags(agent) == {third.pk: False, elsewhere.pk: False}

    EnrolmentFactory(agent=agent, population=second)  # before the first one, by id

    assert flags(agent) == {second.pk: False, third.pk: True, elsewhere.pk: False}
    assert siblings.drift(programme) == []


def test_a_deletion_and_a_move_unflag(world):
    programme, (first, second, third), elsewhere, _day = world
    agent = AgentFactory()
    earliest = EnrolmentFactory(agent=agent, population=first)
    middle = EnrolmentFactory(agent=agent, population=second)
    EnrolmentFactory(agent=agent, population=third)
    assert flags(agent) == {first.pk: False, second.pk: True, third.pk: True}

    earliest.delete()
    assert flags(agent) == {second.pk: False, third.pk: True}

    middle.population = elsewhere  # as the admin can
    middle.save()
    assert flags(agent) == {elsewhere.pk: False, third.pk: False}
    assert siblings.drift(programme) == []


def test_bulk_enrolments_are_flagged(world):
    programme, (first, second, third), _elsewhere, _day = world
    agents = [AgentFactory() for _ in range(12)]
    Enrolment.objects.bulk_create(Enrolment(agent=a, population=third) for a in agents)
    Enrolment.objects.bulk_create(Enrolment(agent=a, population=first) for a in agents[::2])
    Enrolment.objects.bulk_create(Enrolment(agent=a, population=second) for a in agents[::3])

    flagged = Enrolment.objects.filter(has_earlier=True).values_list("agent_id", "population_id")
    expected = {(a.pk, third.pk) for a in agents[::2] + agents[::3]} | {
        (a.pk, second.pk) for a in agents[::6]
    }
    assert set(flagged) == expected
    assert siblings.drift(programme) == []

    Enrolment.objects.filter(population=first).delete()

    flagged = Enrolment.objects.filter(has_earlier=True).values_list("agent_id", "population_id")
    assert set(flagged) == {(a.pk, third.pk) for a in agents[::3]}


def test_check_progress_reports_and_mends_a_drift(world):
    programme, (first, second, _third), _elsewhere, _day = world
    agent = AgentFactory()
    EnrolmentFactory(agent=agent, population=first)
    later = EnrolmentFactory(agent=agent, population=second)
    Enrolment.objects.filter(pk=later.pk).update(has_earlier=False)  # as a raw restore would

    out = StringIO()
    with pytest.raises(CommandError, match="--fix"):
        call_command("check_progress", stdout=out)
    assert "Inscriptions dans une population précédente : 1 en écart." in out.getvalue()
    assert f"inscription {later.pk} (agent {agent.pk}) : enregistré non, calculé oui" in (
        out.getvalue()
    )

    call_command("check_progress", "--fix", stdout=StringIO())

    assert flags(agent) == {first.pk: False, second.pk: True}
    out = StringIO()
    call_command("check_progress", stdout=out)
    assert "Inscriptions dans une population précédente : 0 en écart." in out.getvalue()


def test_the_due_set_and_counts_keep_one_row_per_agent(world):
    """Agents not started in one, two or three populations: one reminder each, in the
    first population where their enrolment makes them due."""
    programme, (first, second, third), _elsewhere, day = world
    ReminderSettingsFactory(programme=programme)
    since = day - datetime.timedelta(days=60)
    late = day - datetime.timedelta(days=1)  # too recent in the first: due in the next
    shapes = {"only_third": [third], "first_third": [first, third], "all": [first, second, third]}
    agents = {}
    for name, populations in shapes.items():
        agents[name] = AgentFactory()
        for population in populations:
            EnrolmentFactory(agent=agents[name], population=population, start_date=since)
    agents["late_first"] = AgentFactory()
    EnrolmentFactory(agent=agents["late_first"], population=first, start_date=late)
    EnrolmentFactory(agent=agents["late_first"], population=second, start_date=since)

    ids = [first.pk, second.pk, third.pk]
    rows = set(due_set([programme], day, set(ids)).values_list("agent_id", "population_id"))

    assert rows == {
        (agents["only_third"].pk, third.pk),
        (agents["first_third"].pk, first.pk),
        (agents["all"].pk, first.pk),
        (agents["late_first"].pk, second.pk),
    }
    assert due_counts(programme, day, ids)["not_started"] == 4
    # The first population out of scope: the next one in scope is the first.
    scoped = due_set([programme], day, {second.pk, third.pk})
    assert set(scoped.values_list("agent_id", "population_id")) == {
        (agents["only_third"].pk, third.pk),
        (agents["first_third"].pk, third.pk),
        (agents["all"].pk, second.pk),
        (agents["late_first"].pk, second.pk),
    }
    assert due_counts(programme, day, [second.pk, third.pk])["not_started"] == 4
