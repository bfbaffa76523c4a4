"""Each manager's team figures stored at the figures refresh (issue 18): the team page of a
large team reads them (programmes/steering/teams.py). They must be what the live count of
the same team finds, for every manager of the line, whatever the overlaps."""

import datetime

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from agents.models import Agent
from campaigns.enums import ParticipationStatus
from programmes import selectors
from programmes.models import Enrolment, Programme, TeamStat
from programmes.steering import stats, teams
from tests.agents.factories import AgentFactory
from tests.campaigns.factories import ParticipationFactory
from tests.programmes.factories import (
    EnrolmentFactory,
    ProgrammeFactory,
    TargetPopulationFactory,
)


def _live(manager: Agent, today) -> dict:
    ids = [pk for pk, _found in Agent.objects.team_by_name(manager)]
    enrolments = Enrolment.objects.filter(agent_id__in=ids)
    return selectors.team_figures(enrolments, list(Programme.objects.all()), today)


@pytest.fixture
def line(cast):
    """Under the cast's manager, a bureau head with two unit heads, each with four agents;
    a second population of the cast's programme that three of them are also in (an agent
    counts once among those enrolled); a managerial programme half of them are in; one who
    left it, one who shared results in it."""
    today = timezone.localdate()
    bureau = AgentFactory(manager=cast.manager_agent)
    heads = AgentFactory.create_batch(2, manager=bureau)
    agents = [agent for head in heads for agent in AgentFactory.create_batch(4, manager=head)]
    overlap = TargetPopulationFactory(programme=cast.programme, name="Référents")
    managerial = TargetPopulationFactory(
        programme=ProgrammeFactory(slug="equipe-b", purpose="managerial")
    )
    for agent in [bureau, *heads, *agents]:
        EnrolmentFactory(agent=agent, population=cast.population)
    for agent in agents[:3]:
        EnrolmentFactory(agent=agent, population=overlap)
    for agent in agents[::2]:
        EnrolmentFactory(agent=agent, population=managerial)
    leaver = Enrolment.objects.get(agent=agents[2], population=managerial)
    leaver.end_date = today - datetime.timedelta(days=1)
    leaver.start_date = today - datetime.timedelta(days=30)
    leaver.save()
    participation = ParticipationFactory(agent=agents[4], status=ParticipationStatus.SHARED)
    managerial.programme.campaigns.add(participation.campaign)
    return [cast.manager_agent, bureau, *heads]


def _refresh_all(today):
    for programme in Programme.objects.all():
        stats.programme_stats_refresh(programme=programme, on=today)


def test_every_managers_stored_figures_are_the_live_ones(cast, line):
    today = timezone.localdate()
    _refresh_all(today)
    for manager in line:
        stored, computed = selectors.stored_team_figures(manager.pk)
        assert stored == _live(manager, today), manager
        assert computed is not None
    top, *_ = line
    figures = selectors.stored_team_figures(top.pk)[0]
    assert figures[cast.programme.pk]["enrolled"] == 6 + 11  # the cast's team, then the line
    assert sum(figures[cast.programme.pk][key] for key in ("not_started", "stalled")) == 20
    managerial = Programme.objects.get(slug="equipe-b").pk
    assert (figures[managerial]["enrolled"], figures[managerial]["contributors"]) == (3, 1)
    # Agents with no report have no row; neither has a manager without enrolled reports.
    assert not TeamStat.objects.exclude(manager__in=line).exists()


def test_a_loop_in_the_manager_line_does_not_hold_the_refresh(cast):
    first, second = AgentFactory(), AgentFactory()
    first.manager, second.manager = second, first
    Agent.objects.bulk_update([first, second], ["manager"])
    for agent in (first, second):
        EnrolmentFactory(agent=agent, population=cast.population)
    today = timezone.localdate()
    written = teams.team_stats_refresh(programme=cast.programme, on=today)
    assert written == 3  # the cast's manager, and each of the two
    for agent in (first, second):
        row = TeamStat.objects.get(manager=agent, programme=cast.programme)
        assert row.enrolled == 2  # the other one, then itself through them: each once


def test_a_refresh_as_of_a_past_day_leaves_the_newest_figures(cast):
    today = timezone.localdate()
    teams.team_stats_refresh(programme=cast.programme, on=today)
    assert teams.team_stats_refresh(programme=cast.programme, on=today - datetime.timedelta(1)) == 0
    assert set(TeamStat.objects.values_list("on", flat=True)) == {today}


@override_settings(TEAM_LIVE_FIGURES_UP_TO=3)
def test_a_large_teams_page_reads_the_last_refresh_and_says_when(
    client, cast, line, django_assert_num_queries
):
    client.force_login(cast.manager)
    url = reverse("programmes:team")
    response = client.get(url)
    assert response.context["programme_rows"] == []  # never refreshed: it says so
    assert "pas encore été calculés" in response.content.decode()
    today = timezone.localdate()
    _refresh_all(today)
    with django_assert_num_queries(8):  # as the live count: the programmes, then one read
        response = client.get(url)
    rows = {row["programme"].slug: row for row in response.context["programme_rows"]}
    live = _live(cast.manager_agent, today)
    assert rows[cast.programme.slug]["enrolled"] == live[cast.programme.pk]["enrolled"] == 17
    assert 'id="team-figures-date"' in response.content.decode()
    # Until the next refresh, a new enrolment shows in the list of agents, not in the figures.
    EnrolmentFactory(agent=AgentFactory(manager=cast.manager_agent), population=cast.population)
    response = client.get(url)
    rows = {row["programme"].slug: row for row in response.context["programme_rows"]}
    assert rows[cast.programme.slug]["enrolled"] == 17
    assert response.context["team_size"] == 6 + 3 + 8 + 1


def test_a_small_teams_page_counts_now(client, cast, line):
    client.force_login(cast.manager)
    response = client.get(reverse("programmes:team"))
    assert 'id="team-figures-date"' not in response.content.decode()
    rows = {row["programme"].slug: row for row in response.context["programme_rows"]}
    assert rows[cast.programme.slug]["enrolled"] == 17
