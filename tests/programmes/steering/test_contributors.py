"""« Moins de 5 » counts contributors (DESIGN.md, Privacy): under self-assessment, whoever
sees aggregates only gets no figure resting on the shared results of fewer than 5 agents,
nor one whose contributors differ by fewer than 5 agents from another figure they can see."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from programmes.models import PopulationStat
from programmes.steering import stats
from tests.agents.factories import AgentFactory, UserFactory
from tests.campaigns.factories import CampaignFactory
from tests.programmes.factories import EnrolmentFactory, TargetFactory, TargetPopulationFactory
from tests.programmes.steering.test_dashboard import competence, participation

SMALL = "moins de 5"
RULE = "au moins 5 agents"


def _population(cast, name, agents, *, ambassadors=()):
    population = TargetPopulationFactory(
        programme=cast.programme, name=name, ambassadors=list(ambassadors)
    )
    TargetFactory(population=population)  # 1.1, level 3
    TargetFactory(population=population, competence=competence("2.1"), level=2)
    for agent in agents:
        EnrolmentFactory(agent=agent, population=population)
    return population


def _sharers(cast, count, *, levels=None):
    """`count` agents who shared results in the cast's programme (1.1=4, 2.1=2 by default)."""
    campaign = cast.programme.campaigns.first()
    if campaign is None:
        campaign = CampaignFactory()
        cast.programme.campaigns.add(campaign)
    agents = AgentFactory.create_batch(count)
    for agent in agents:
        participation(
            agent, campaign, days_ago=3, shared=True, levels=levels or {"1.1": 4, "2.1": 2}
        )
    return agents


def _refresh(cast):
    stats.programme_stats_refresh(programme=cast.programme, on=timezone.localdate())


def _board(client, user, slug="programme-dr", **params):
    client.force_login(user)
    return client.get(reverse("programmes:dashboard", kwargs={"slug": slug}), params)


def _export(client, user, **params):
    client.force_login(user)
    url = reverse("programmes:dashboard_export", kwargs={"slug": "programme-dr", "fmt": "csv"})
    return client.get(url, params).content.decode("utf-8-sig")


def _figures(board, population):
    return next(p for p in board.populations if p.population == population)


# --- One participant and four who never took part ------------------------------------------


@pytest.fixture
def lone(cast):
    """A population of five: one agent who shared 1.1=5 and 2.1=2, four who never started."""
    (sharer,) = _sharers(cast, 1, levels={"1.1": 5, "2.1": 2})
    population = _population(cast, "Un et quatre", [sharer, *AgentFactory.create_batch(4)])
    _refresh(cast)
    cast.lone = population
    return cast


def test_one_participant_among_five_enrolled_shows_no_figure_to_the_owner(client, lone):
    response = _board(client, lone.owner, population=lone.lone.pk)
    figures = _figures(response.context["board"], lone.lone)
    assert figures.hidden
    assert figures.reached_percent is None
    assert figures.targets == []
    content = response.content.decode()
    assert 'id="chart-levels"' not in content
    assert 'id="chart-funnel"' not in content


def test_one_participant_among_five_leaves_no_level_in_the_exports(client, lone):
    content = _export(client, lone.owner, population=lone.lone.pk)
    assert "Répartition des niveaux" not in content
    row = next(line for line in content.splitlines() if line.startswith("Un et quatre"))
    assert SMALL in row
    # Its funnel is in the file (every population's is), with its head count only.
    funnel = [line for line in content.splitlines() if line.startswith("Un et quatre;")][1:]
    assert funnel == [
        "Un et quatre;Inscrits;5;",
        f"Un et quatre;Ont commencé;{SMALL};",
        f"Un et quatre;Ont envoyé leurs résultats;{SMALL};",
        f"Un et quatre;Au moins un objectif atteint;{SMALL};",
        f"Un et quatre;Tous les objectifs atteints;{SMALL};",
    ]


def test_the_ambassador_of_the_population_still_sees_its_figures(client, lone):
    ambassador = UserFactory()
    lone.lone.ambassadors.add(ambassador)
    figures = _figures(_board(client, ambassador).context["board"], lone.lone)
    assert not figures.hidden
    assert figures.stat.reached == 1


def test_under_the_managerial_purpose_the_owner_sees_one_participant(client, lone):
    lone.programme.purpose = "managerial"
    lone.programme.save()
    figures = _figures(_board(client, lone.owner).context["board"], lone.lone)
    assert not figures.hidden


# --- Per competence: the agents with a shared result on it ---------------------------------


@pytest.fixture
def narrowed(cast):
    """Six agents shared 1.1; only one of them also has a result on 2.1."""
    agents = _sharers(cast, 5, levels={"1.1": 4})
    agents += _sharers(cast, 1, levels={"1.1": 4, "2.1": 6})
    cast.narrowed = _population(cast, "Six", agents)
    _refresh(cast)
    return cast


def test_refresh_counts_the_contributors_of_each_target(narrowed):
    stat = PopulationStat.objects.get(population=narrowed.narrowed)
    assert stat.shared == 6
    assert stat.per_target["1.1"]["contributors"] == 6
    assert stat.per_target["2.1"]["contributors"] == 1


def test_a_competence_with_one_contributor_is_withheld(client, narrowed):
    board = _board(client, narrowed.owner, population=narrowed.narrowed.pk).context["board"]
    figures = _figures(board, narrowed.narrowed)
    assert not figures.hidden
    rows = {row[0].split()[0]: row for row in board.targets_table().rows}
    assert rows["1.1"][2:4] == [6, 6]
    assert rows["2.1"][2] == SMALL and rows["2.1"][4] is None
    levels = {row[0].split()[0]: row for row in board.levels_table().rows}
    assert levels["1.1"][2:11] == [0, 0, 0, 0, 6, 0, 0, 0, 0]
    assert 6 not in levels["2.1"][2:] and SMALL in levels["2.1"]
    comparison = {row[0].split()[0]: row[1:] for row in board.competence_comparison_table().rows}
    assert comparison["1.1"] == [100.0]
    assert comparison["2.1"] == [SMALL]


def test_a_withheld_competence_is_not_drawn(client, narrowed):
    response = _board(client, narrowed.owner, population=narrowed.narrowed.pk)
    board = response.context["board"]
    assert [t.key for t in board.selected.targets if not t.withheld] == ["1.1"]
    content = _export(client, narrowed.owner, population=narrowed.narrowed.pk)
    level_rows = [line for line in content.splitlines() if line.startswith("2.1 ")]
    assert level_rows and all(SMALL in line for line in level_rows)


# --- Differencing between overlapping populations ------------------------------------------


@pytest.mark.parametrize("extra", [1, 4])
def test_two_populations_differing_by_fewer_than_five_agents_are_not_both_shown(
    client, cast, extra
):
    common = _sharers(cast, 6)
    more = _sharers(cast, extra)
    small = _population(cast, "Commun", common)
    large = _population(cast, "Commun et quelques autres", common + more)
    _refresh(cast)
    board = _board(client, cast.owner).context["board"]
    shown = [p.population for p in board.populations if p.has_data and not p.hidden]
    assert not {small, large} <= set(shown)
    assert large in shown  # the larger figure is kept, the smaller withheld
    assert _figures(board, small).targets == []


def test_two_populations_differing_by_five_agents_are_both_shown(client, cast):
    common = _sharers(cast, 6)
    small = _population(cast, "Commun", common)
    large = _population(cast, "Commun et cinq autres", common + _sharers(cast, 5))
    _refresh(cast)
    board = _board(client, cast.owner).context["board"]
    assert not _figures(board, small).hidden
    assert not _figures(board, large).hidden


def test_two_populations_sharing_agents_are_compared_on_their_symmetric_difference(client, cast):
    """Six in common, two only in one, two only in the other: four agents tell them apart."""
    common = _sharers(cast, 6)
    first = _population(cast, "Premier", common + _sharers(cast, 2))
    second = _population(cast, "Second", common + _sharers(cast, 2))
    _refresh(cast)
    board = _board(client, cast.owner).context["board"]
    assert [_figures(board, p).hidden for p in (first, second)].count(True) == 1


def test_a_population_and_its_complement_within_another(client, cast):
    """« Tous » holds eight sharers, « Presque tous » seven of them: the eighth would be read
    by difference."""
    everyone = _sharers(cast, 8)
    whole = _population(cast, "Tous", everyone)
    part = _population(cast, "Presque tous", everyone[:7])
    _refresh(cast)
    board = _board(client, cast.owner).context["board"]
    assert not _figures(board, whole).hidden
    assert _figures(board, part).hidden
    assert board.total_enrolled == 8  # the withheld population is left out of the totals


def test_a_competence_differing_by_fewer_than_five_agents_is_withheld(client, cast):
    """Both populations show their status figures (they differ by six sharers), but on 2.1
    only one agent tells them apart."""
    common = _sharers(cast, 6)
    outside = _sharers(cast, 1) + _sharers(cast, 5, levels={"1.1": 4})
    first = _population(cast, "Premier", common)
    second = _population(cast, "Second", common + outside)
    _refresh(cast)
    board = _board(client, cast.owner).context["board"]
    assert not _figures(board, first).hidden and not _figures(board, second).hidden
    comparison = {row[0].split()[0]: row[1:] for row in board.competence_comparison_table().rows}
    assert SMALL in comparison["2.1"]
    assert SMALL not in comparison["1.1"]


def test_a_population_the_viewer_accompanies_counts_in_the_differencing(client, cast):
    ambassador = UserFactory()
    common = _sharers(cast, 7)
    mine = _population(cast, "La mienne", common, ambassadors=[ambassador])
    other = _population(cast, "La mienne et un", common + _sharers(cast, 1))
    _refresh(cast)
    board = _board(client, ambassador).context["board"]
    assert not _figures(board, mine).hidden
    assert _figures(board, other).hidden


# --- Evolution, the rule in words ----------------------------------------------------------


def test_evolution_hides_months_with_fewer_than_five_contributors(client, cast):
    for day, shared in [(datetime.date(2026, 1, 31), 2), (datetime.date(2026, 2, 28), 6)]:
        PopulationStat.objects.create(
            population=cast.population, on=day, enrolled=8, shared=shared, reached=2
        )
    board = _board(client, cast.owner).context["board"]
    assert [row[1] for row in board.evolution_table().rows] == [SMALL, 25.0]


def test_the_dashboard_states_the_rule_under_the_headline(client, lone):
    content = _board(client, lone.owner).content.decode()
    assert RULE in content


def test_the_export_states_the_rule_when_a_figure_is_withheld(client, lone):
    assert RULE in _export(client, lone.owner)
