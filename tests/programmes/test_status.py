"""The progress status of an agent in a population (programmes/status.py), at its boundaries,
and its display on the population and agent pages."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from campaigns.enums import MatchStatus, ParticipationStatus
from campaigns.models import Competence
from programmes.enums import ProgressStatus, TargetKind
from programmes.status import population_progress, stall_cutoff, status_counts, stored_status
from tests.agents.factories import AgentFactory, UserFactory
from tests.campaigns.factories import (
    CampaignFactory,
    CompetenceResultFactory,
    ParticipationFactory,
    ResultImportFactory,
)
from tests.programmes.factories import (
    EnrolmentFactory,
    ProgrammeFactory,
    TargetFactory,
    TargetPopulationFactory,
    local_days_ago,
)

PARIS = ZoneInfo("Europe/Paris")
TODAY = date(2026, 4, 30)
THRESHOLD = 30

NOT_STARTED = ProgressStatus.NOT_STARTED
IN_PROGRESS = ProgressStatus.IN_PROGRESS
STALLED = ProgressStatus.STALLED
REACHED = ProgressStatus.TARGET_REACHED


def days_ago(days, at=time(12)):
    """A Paris instant `days` days before TODAY."""
    return datetime.combine(TODAY - timedelta(days=days), at, tzinfo=PARIS)


def competence(code):
    return Competence.objects.get(code=code)


@dataclass
class World:
    programme: object
    profiles: object  # a profiles collection the programme follows
    assessment: object  # an assessment the programme follows
    population: object  # target: 1.1 at level 3
    agent: object


@pytest.fixture
def world(db):
    programme = ProgrammeFactory(stall_threshold_days=THRESHOLD)
    profiles = CampaignFactory(name="Collecte 2026")
    assessment = CampaignFactory(assessment=True, name="Parcours socle")
    programme.campaigns.add(profiles, assessment)
    population = TargetPopulationFactory(programme=programme, name="Assistants")
    TargetFactory(population=population, competence=competence("1.1"), level=3)
    agent = AgentFactory()
    EnrolmentFactory(agent=agent, population=population)
    return World(programme, profiles, assessment, population, agent)


def participate(agent, campaign, *, progress_at, shared_at=None, stage=None):
    """A participation of `agent` (None: unmatched), shared at `shared_at` if given."""
    result_import = ResultImportFactory(campaign=campaign)
    return ParticipationFactory(
        campaign=campaign,
        agent=agent,
        match_status=MatchStatus.EXTERNAL_ID if agent else MatchStatus.UNMATCHED,
        status=ParticipationStatus.SHARED if shared_at else ParticipationStatus.STARTED,
        shared_at=shared_at,
        row_key=f"shared:{shared_at.isoformat()}" if shared_at else "open",
        stage=stage,
        first_import=result_import,
        last_import=result_import,
        last_progress_at=progress_at,
    )


def shared(agent, campaign, when, *, levels=None, rates=None, stage=None):
    """A participation shared at `when` with results: {code: level} or {code: rate}."""
    participation = participate(agent, campaign, progress_at=when, shared_at=when, stage=stage)
    for code, level in (levels or {}).items():
        CompetenceResultFactory(
            participation=participation,
            competence=competence(code),
            observed_at=when,
            level=level,
            pix=level * 8,
        )
    for code, rate in (rates or {}).items():
        CompetenceResultFactory(
            participation=participation,
            competence=competence(code),
            observed_at=when,
            level=None,
            pix=None,
            mastery_rate=Decimal(rate),
        )
    return participation


def progress(world, agent=None, population=None, today=TODAY):
    """The enrolment of `agent` in `population` with its progress annotations."""
    population = population or world.population
    enrolment = population_progress(population, today=today).get(agent=agent or world.agent)
    # The status worked out in Python from the row (pages that hold it) is the SQL one.
    assert stored_status(enrolment, population.programme, today) == enrolment.progress_status
    return enrolment


# Not started


def test_agent_without_participation_is_not_started(world):
    enrolment = progress(world)
    assert enrolment.progress_status == NOT_STARTED
    assert (enrolment.targets_met, enrolment.targets_set) == (0, 1)
    assert enrolment.last_activity is None


def test_an_unmatched_participation_is_ignored(world):
    shared(None, world.profiles, days_ago(1), levels={"1.1": 5})
    assert progress(world).progress_status == NOT_STARTED


def test_a_participation_in_a_campaign_the_programme_does_not_follow_is_ignored(world):
    elsewhere = CampaignFactory()
    shared(world.agent, elsewhere, days_ago(1), levels={"1.1": 5})
    enrolment = progress(world)
    assert enrolment.progress_status == NOT_STARTED
    assert enrolment.targets_met == 0


def test_a_name_match_still_to_confirm_counts_as_the_agents(world):
    participation = participate(world.agent, world.profiles, progress_at=days_ago(1))
    participation.match_status = MatchStatus.TO_CONFIRM
    participation.save()
    assert progress(world).progress_status == IN_PROGRESS


# Stalled or in progress: the stall threshold


def test_started_never_shared_within_the_threshold_is_in_progress(world):
    participate(world.agent, world.profiles, progress_at=days_ago(10))
    enrolment = progress(world)
    assert enrolment.progress_status == IN_PROGRESS
    assert enrolment.last_activity == days_ago(10)


def test_started_never_shared_beyond_the_threshold_is_stalled(world):
    participate(world.agent, world.profiles, progress_at=days_ago(THRESHOLD + 1))
    assert progress(world).progress_status == STALLED


@pytest.mark.parametrize(
    "last_progress,expected",
    [
        (days_ago(THRESHOLD, time(0, 0)), IN_PROGRESS),  # exactly the threshold, at dawn
        (days_ago(THRESHOLD, time(23, 59)), IN_PROGRESS),
        (days_ago(THRESHOLD + 1, time(23, 59, 59)), STALLED),  # one day more
        (days_ago(THRESHOLD - 1, time(0, 0)), IN_PROGRESS),
    ],
)
def test_progress_exactly_threshold_days_ago_is_not_stalled_one_more_day_is(
    world, last_progress, expected
):
    participate(world.agent, world.profiles, progress_at=last_progress)
    assert progress(world).progress_status == expected


def test_the_cutoff_is_local_midnight_threshold_days_before_today(world):
    assert stall_cutoff(world.programme, TODAY) == days_ago(THRESHOLD, time(0, 0))


def test_the_stall_threshold_is_the_programmes(world):
    participate(world.agent, world.profiles, progress_at=days_ago(10))
    world.programme.stall_threshold_days = 7
    world.programme.save()
    world.population.refresh_from_db()
    assert progress(world).progress_status == STALLED


def test_shared_below_target_long_ago_is_stalled(world):
    shared(world.agent, world.profiles, days_ago(90), levels={"1.1": 2})
    enrolment = progress(world)
    assert enrolment.progress_status == STALLED
    assert enrolment.targets_met == 0


def test_last_activity_is_the_latest_progress_over_the_programmes_participations(world):
    participate(world.agent, world.profiles, progress_at=days_ago(60))
    participate(world.agent, world.assessment, progress_at=days_ago(5))
    participate(world.agent, CampaignFactory(), progress_at=days_ago(1))  # not followed
    enrolment = progress(world)
    assert enrolment.last_activity == days_ago(5)
    assert enrolment.progress_status == IN_PROGRESS


# Targets met by the latest shared results


def test_targets_partly_met_is_in_progress_with_the_count(world):
    TargetFactory(population=world.population, competence=competence("2.1"), level=4)
    shared(world.agent, world.profiles, days_ago(3), levels={"1.1": 3, "2.1": 3})
    enrolment = progress(world)
    assert enrolment.progress_status == IN_PROGRESS
    assert (enrolment.targets_met, enrolment.targets_set) == (1, 2)


def test_every_target_met_by_the_latest_share_is_target_reached(world):
    TargetFactory(population=world.population, competence=competence("2.1"), level=4)
    shared(world.agent, world.profiles, days_ago(3), levels={"1.1": 3, "2.1": 5})
    enrolment = progress(world)
    assert enrolment.progress_status == REACHED
    assert (enrolment.targets_met, enrolment.targets_set) == (2, 2)


def test_target_reached_long_ago_is_still_reached_never_stalled(world):
    shared(world.agent, world.profiles, days_ago(400), levels={"1.1": 4})
    assert progress(world).progress_status == REACHED


def test_a_newer_started_participation_keeps_the_shared_results(world):
    """Envoi multiple: once shared, a new participation starts; it has no results yet."""
    shared(world.agent, world.profiles, days_ago(50), levels={"1.1": 3})
    participate(world.agent, world.profiles, progress_at=days_ago(2))
    enrolment = progress(world)
    assert enrolment.progress_status == REACHED
    assert enrolment.last_activity == days_ago(2)


def test_a_later_share_with_a_lower_level_unmeets_the_target(world):
    shared(world.agent, world.profiles, days_ago(50), levels={"1.1": 4})
    shared(world.agent, world.profiles, days_ago(5), levels={"1.1": 2})
    enrolment = progress(world)
    assert enrolment.progress_status == IN_PROGRESS
    assert enrolment.targets_met == 0


def test_the_latest_share_wins_across_the_programmes_profiles_collections(world):
    other = CampaignFactory(name="Collecte 2027")
    world.programme.campaigns.add(other)
    shared(world.agent, world.profiles, days_ago(50), levels={"1.1": 2})
    shared(world.agent, other, days_ago(5), levels={"1.1": 3})
    assert progress(world).progress_status == REACHED


def test_results_of_a_participation_not_shared_do_not_count(world):
    participation = participate(world.agent, world.profiles, progress_at=days_ago(1))
    CompetenceResultFactory(participation=participation, competence=competence("1.1"), level=6)
    assert progress(world).targets_met == 0


def test_a_level_from_a_campaign_that_is_not_a_profiles_collection_does_not_count(world):
    shared(world.agent, world.assessment, days_ago(1), levels={"1.1": 6})
    assert progress(world).targets_met == 0


def test_a_population_without_target_is_never_reached(world):
    bare = TargetPopulationFactory(programme=world.programme)
    EnrolmentFactory(agent=world.agent, population=bare)
    shared(world.agent, world.profiles, days_ago(1), levels={"1.1": 8})
    enrolment = progress(world, population=bare)
    assert enrolment.progress_status == IN_PROGRESS
    assert (enrolment.targets_met, enrolment.targets_set) == (0, 0)


# Assessment targets: mastery rate and stage


@pytest.fixture
def assessed_population(world):
    population = TargetPopulationFactory(programme=world.programme, name="Parcours")
    TargetFactory(
        population=population,
        kind=TargetKind.MASTERY_RATE,
        competence=competence("1.1"),
        campaign=world.assessment,
        level=None,
        mastery_rate=Decimal("0.700"),
    )
    EnrolmentFactory(agent=world.agent, population=population)
    return population


@pytest.mark.parametrize("rate,met", [("0.699", 0), ("0.700", 1), ("1.000", 1)])
def test_a_mastery_rate_target_is_met_from_the_rate_up(world, assessed_population, rate, met):
    shared(world.agent, world.assessment, days_ago(1), rates={"1.1": rate})
    enrolment = progress(world, population=assessed_population)
    assert enrolment.targets_met == met
    assert enrolment.progress_status == (REACHED if met else IN_PROGRESS)


def test_a_mastery_rate_counts_only_in_the_targets_campaign(world, assessed_population):
    other = CampaignFactory(assessment=True)
    world.programme.campaigns.add(other)
    shared(world.agent, other, days_ago(1), rates={"1.1": "0.900"})
    assert progress(world, population=assessed_population).targets_met == 0


def test_the_latest_mastery_rate_wins(world, assessed_population):
    shared(world.agent, world.assessment, days_ago(20), rates={"1.1": "0.900"})
    shared(world.agent, world.assessment, days_ago(2), rates={"1.1": "0.500"})
    assert progress(world, population=assessed_population).targets_met == 0


def test_a_target_on_a_campaign_the_programme_does_not_follow_cannot_be_met(
    world, assessed_population
):
    world.programme.campaigns.remove(world.assessment)
    shared(world.agent, world.assessment, days_ago(1), rates={"1.1": "0.900"})
    enrolment = progress(world, population=assessed_population)
    assert (enrolment.targets_met, enrolment.targets_set) == (0, 1)


@pytest.fixture
def staged_population(world):
    population = TargetPopulationFactory(programme=world.programme, name="Paliers")
    TargetFactory(
        population=population,
        kind=TargetKind.STAGE,
        competence=None,
        campaign=world.assessment,
        level=None,
        stage=3,
    )
    EnrolmentFactory(agent=world.agent, population=population)
    return population


@pytest.mark.parametrize("stage,met", [(2, 0), (3, 1), (5, 1)])
def test_a_stage_target_is_met_from_the_stage_up(world, staged_population, stage, met):
    shared(world.agent, world.assessment, days_ago(1), stage=stage)
    assert progress(world, population=staged_population).targets_met == met


def test_a_stage_target_takes_the_best_shared_stage(world, staged_population):
    shared(world.agent, world.assessment, days_ago(40), stage=4)
    shared(world.agent, world.assessment, days_ago(2), stage=1)
    assert progress(world, population=staged_population).progress_status == REACHED


def test_a_stage_of_a_participation_not_shared_does_not_count(world, staged_population):
    participate(world.agent, world.assessment, progress_at=days_ago(1), stage=4)
    assert progress(world, population=staged_population).targets_met == 0


# An agent in two populations


def test_an_agent_in_two_populations_has_a_status_in_each(world, staged_population):
    other_programme = TargetPopulationFactory(name="Ailleurs")
    TargetFactory(population=other_programme, competence=competence("1.1"), level=1)
    EnrolmentFactory(agent=world.agent, population=other_programme)
    shared(world.agent, world.profiles, days_ago(2), levels={"1.1": 3})
    assert progress(world).progress_status == REACHED
    assert progress(world, population=staged_population).progress_status == IN_PROGRESS
    # The other programme follows none of these campaigns.
    assert progress(world, population=other_programme).progress_status == NOT_STARTED


# A whole population, counted


def test_status_counts_and_share_at_target(world):
    reached, stalled, in_progress = AgentFactory.create_batch(3)
    for agent in (reached, stalled, in_progress):
        EnrolmentFactory(agent=agent, population=world.population)
    shared(reached, world.profiles, days_ago(1), levels={"1.1": 3})
    participate(stalled, world.profiles, progress_at=days_ago(45))
    participate(in_progress, world.profiles, progress_at=days_ago(4))
    counts = status_counts(population_progress(world.population, today=TODAY))
    assert counts.counts == {NOT_STARTED: 1, IN_PROGRESS: 1, STALLED: 1, REACHED: 1}
    assert counts.total == 4
    assert counts.reached_share == 0.25


def test_an_agent_who_left_the_population_is_not_counted(world):
    leaver = AgentFactory()
    EnrolmentFactory(agent=leaver, population=world.population, end_date=TODAY - timedelta(1))
    assert status_counts(population_progress(world.population, today=TODAY)).total == 1


def test_an_empty_population_has_no_share(world):
    empty = TargetPopulationFactory(programme=world.programme)
    counts = status_counts(population_progress(empty, today=TODAY))
    assert counts.total == 0 and counts.reached_share is None


def _enrol_agents_with_data(world, count):
    for index, agent in enumerate(AgentFactory.create_batch(count)):
        EnrolmentFactory(agent=agent, population=world.population)
        if index % 3 == 0:
            shared(agent, world.profiles, days_ago(index % 50), levels={"1.1": index % 5})
        elif index % 3 == 1:
            participate(agent, world.assessment, progress_at=days_ago(index % 60))


def test_a_population_costs_the_same_queries_for_10_and_100_agents(
    world, django_assert_num_queries
):
    TargetFactory(
        population=world.population,
        kind=TargetKind.STAGE,
        competence=None,
        campaign=world.assessment,
        level=None,
        stage=2,
    )
    for added, expected in ((9, 10), (90, 100)):
        _enrol_agents_with_data(world, added)
        with django_assert_num_queries(2):
            enrolments = list(population_progress(world.population, today=TODAY))
            counts = status_counts(population_progress(world.population, today=TODAY))
        assert len(enrolments) == counts.total == expected
        assert sum(counts.counts.values()) == expected


# The pages


def _recent(days):
    return local_days_ago(days)


@pytest.fixture
def statuses(cast):
    """In the cast's population (target: 1.1 at level 3, threshold 30 days): the agent has
    reached it, one colleague stalled, one in progress, three not started."""
    campaign = CampaignFactory()
    cast.programme.campaigns.add(campaign)
    for index, member in enumerate(cast.team):  # names that sort the same in any collation
        member.last_name = f"NOM{index}"
        member.save()
    agent, stalled, in_progress = cast.team[:3]
    shared(agent, campaign, _recent(1), levels={"1.1": 4})
    participate(stalled, campaign, progress_at=_recent(40))
    participate(in_progress, campaign, progress_at=_recent(3))
    return {"reached": agent, "stalled": stalled, "in_progress": in_progress}


def _population_page(client, user, population, **params):
    client.force_login(user)
    url = reverse("programmes:population_detail", kwargs={"pk": population.pk})
    return client.get(url, params)


def test_population_page_shows_each_agents_status_and_the_counts(client, cast, statuses):
    response = _population_page(client, cast.ambassador, cast.population)
    rows = {e.agent: e for e in response.context["page_obj"]}
    assert rows[statuses["reached"]].progress.status == REACHED
    assert rows[statuses["stalled"]].progress.status == STALLED
    assert rows[statuses["in_progress"]].progress.status == IN_PROGRESS
    assert response.context["counts"].counts == {
        NOT_STARTED: 3,
        IN_PROGRESS: 1,
        STALLED: 1,
        REACHED: 1,
    }
    content = response.content.decode()
    assert "Part de la population à l’objectif : <strong>17 %</strong> (1 sur 6)" in content
    assert "fr-badge--warning" in content and "À l&#x27;arrêt" in content
    assert "depuis plus de 30 jours" in content  # the definitions, with the threshold


def test_population_page_filters_by_status(client, cast, statuses):
    response = _population_page(client, cast.ambassador, cast.population, statut="stalled")
    assert [e.agent for e in response.context["page_obj"]] == [statuses["stalled"]]
    response = _population_page(client, cast.ambassador, cast.population, statut="not_started")
    assert len(response.context["page_obj"]) == 3
    response = _population_page(client, cast.ambassador, cast.population, statut="nonsense")
    assert len(response.context["page_obj"]) == 6
    assert response.context["counts"].total == 6  # headline counts ignore the filter


def test_population_page_filter_keeps_the_search(client, cast, statuses):
    agent = statuses["stalled"]
    response = _population_page(
        client, cast.ambassador, cast.population, q=agent.external_id, statut="stalled"
    )
    assert [e.agent for e in response.context["page_obj"]] == [agent]
    response = _population_page(
        client, cast.ambassador, cast.population, q=agent.external_id, statut="in_progress"
    )
    assert list(response.context["page_obj"]) == []


def test_population_page_sorts_by_status_activity_and_targets_met(client, cast, statuses):
    def order(sort):
        response = _population_page(client, cast.ambassador, cast.population, tri=sort)
        return [e.agent for e in response.context["page_obj"]]

    reached, stalled, in_progress = (statuses[k] for k in ("reached", "stalled", "in_progress"))
    assert order("-activite")[:3] == [reached, in_progress, stalled]
    assert order("activite")[3:] == [stalled, in_progress, reached]  # never active first
    assert order("statut")[3:] == [in_progress, stalled, reached]
    assert order("-statut")[:3] == [reached, stalled, in_progress]
    assert order("-objectifs")[0] == reached
    assert order("objectifs")[-1] == reached
    by_name = sorted(cast.team, key=lambda a: a.last_name)
    assert order("nom") == by_name
    assert order("-nom") == by_name[::-1]
    assert order("nonsense") == by_name


def test_sort_links_toggle_and_go_back_to_the_first_page(client, cast, statuses):
    response = _population_page(
        client, cast.ambassador, cast.population, tri="statut", q="a", page="2"
    )
    links = response.context["sort_links"]
    assert links["statut"] == {"query": "tri=-statut&q=a", "direction": "ascending"}
    assert links["nom"] == {"query": "tri=nom&q=a", "direction": None}
    assert 'aria-sort="ascending"' in response.content.decode()


def test_owner_in_self_assessment_sees_counts_but_no_names(client, cast, statuses):
    # Five agents shared results (fewer, and the counts are withheld: test_views.py).
    campaign = cast.programme.campaigns.get()
    newcomer = AgentFactory()
    EnrolmentFactory(agent=newcomer, population=cast.population)
    for member in [*cast.team[3:], newcomer]:
        shared(member, campaign, _recent(2), levels={"1.1": 1})
    response = _population_page(client, cast.owner, cast.population)
    content = response.content.decode()
    assert not response.context["suppressed"]
    assert "Part de la population à l’objectif" in content
    assert 'id="status-counts"' in content
    assert statuses["stalled"].full_name not in content
    assert "page_obj" not in response.context


def test_owner_in_self_assessment_sees_no_count_for_a_population_under_five(client, cast, statuses):
    small = TargetPopulationFactory(programme=cast.programme, name="Petit groupe")
    for agent in cast.team[:4]:
        EnrolmentFactory(agent=agent, population=small)
    response = _population_page(client, cast.owner, small)
    content = response.content.decode()
    assert response.context["suppressed"]
    assert "Part de la population" not in content
    assert 'id="status-counts"' not in content
    assert "aucun chiffre n’est affiché" in content
    # The ambassador of the programme's population is not the small group's: staff see it.
    response = _population_page(client, cast.staff, small)
    assert not response.context["suppressed"]
    assert "Part de la population à l’objectif" in response.content.decode()


def _enrol_in_turn(cast, count):
    """`count` more agents in the cast's population, in turn not started, in progress,
    stalled and at target (names AJOUT000, AJOUT001, …: they sort before the cast's NOM*)."""
    campaign = cast.programme.campaigns.get()
    for index in range(count):
        agent = AgentFactory(last_name=f"AJOUT{index:03d}", manager=cast.manager_agent)
        EnrolmentFactory(agent=agent, population=cast.population)
        if index % 4 == 1:
            participate(agent, campaign, progress_at=_recent(2))
        elif index % 4 == 2:
            participate(agent, campaign, progress_at=_recent(45))
        elif index % 4 == 3:
            shared(agent, campaign, _recent(1), levels={"1.1": 4})


# The population page's queries whatever the filter, sort and page: session, user, roles,
# the population, its counts (one grouped query on the stored state), its targets, the ids
# of the page's agents (narrow rows sorted), then those rows; a search adds the paginator's
# COUNT, the check-in filter its list's count from the tally (the counts shown are the
# whole population's, not the list's).
PAGE_QUERIES = [
    ({}, 9),
    ({"statut": "stalled", "tri": "-activite"}, 9),
    ({"statut": "not_started", "tri": "statut", "page": "2"}, 9),
    ({"tri": "-objectifs", "page": "3"}, 9),
    ({"q": "nom", "tri": "statut"}, 10),
    ({"sans-point": "60", "statut": "in_progress", "tri": "-nom"}, 10),
]


@pytest.mark.parametrize("params,expected", PAGE_QUERIES)
def test_population_page_queries_do_not_grow_with_the_population(
    client, cast, statuses, settings, django_assert_num_queries, params, expected
):
    settings.PAGINATION_PAGE_SIZE = 2
    client.force_login(cast.ambassador)
    url = reverse("programmes:population_detail", kwargs={"pk": cast.population.pk})
    with django_assert_num_queries(expected):
        assert client.get(url, params).status_code == 200
    _enrol_in_turn(cast, 30)
    with django_assert_num_queries(expected):
        response = client.get(url, params)
    assert response.status_code == 200 and len(response.context["page_obj"]) == 2


def _all_pages(client, url, params):
    """Every row of the list, page after page, and the paginator's count."""
    first = client.get(url, params)
    rows, pages = list(first.context["page_obj"]), first.context["page_obj"].paginator.num_pages
    for number in range(2, pages + 1):
        rows += list(client.get(url, {**params, "page": number}).context["page_obj"])
    return rows, first.context["page_obj"].paginator.count


def test_population_page_filters_sorts_and_pages_in_the_database(client, cast, statuses, settings):
    settings.PAGINATION_PAGE_SIZE = 4
    _enrol_in_turn(cast, 14)  # 20 agents: 7 not started, 5 in progress, 4 stalled, 4 reached
    client.force_login(cast.ambassador)
    url = reverse("programmes:population_detail", kwargs={"pk": cast.population.pk})
    counts = client.get(url).context["counts"].counts
    assert counts == {NOT_STARTED: 7, IN_PROGRESS: 5, STALLED: 4, REACHED: 4}
    for progress in ProgressStatus:
        rows, total = _all_pages(client, url, {"statut": progress.slug})
        assert total == len(rows) == counts[progress]
        assert {row.progress.status for row in rows} == {progress}
        names = [row.agent.last_name for row in rows]
        assert names == sorted(names)  # by name within the filter
    rows, total = _all_pages(client, url, {"tri": "-statut"})
    assert total == len({row.pk for row in rows}) == 20  # no row twice, none left out
    shown = [row.progress.status for row in rows]
    assert shown == sorted(shown, reverse=True)
    in_progress = [row.agent for row in rows if row.progress.status == IN_PROGRESS]
    assert in_progress == sorted(in_progress, key=lambda agent: agent.last_name)
    # A search pages what it found, the counts stay the population's.
    rows, total = _all_pages(client, url, {"q": "ajout", "statut": "stalled"})
    assert total == len(rows) == 3
    assert all(row.agent.last_name.startswith("AJOUT") for row in rows)


SEGMENTED = [
    {"tri": sort, **extra}
    for sort in ("nom", "-nom", "statut", "-statut", "activite", "-activite", "objectifs",
                 "-objectifs")
    for extra in ({}, {"statut": "in_progress"}, {"statut": "not_started"})
]  # fmt: skip


@pytest.mark.parametrize("params", SEGMENTED)
def test_population_page_reads_the_segments_of_the_list_in_its_order(
    client, cast, statuses, settings, params
):
    """The pages of a sorted list (read segment by segment, from either end of each, a page
    across several in one query) are the list sorted whole, page size 3 so that pages
    straddle the statuses and fall past the middle of a segment."""
    from programmes import selectors

    settings.PAGINATION_PAGE_SIZE = 3
    _enrol_in_turn(cast, 17)
    shared(cast.team[0], cast.programme.campaigns.get(), _recent(50), levels={"1.1": 4})
    client.force_login(cast.ambassador)
    url = reverse("programmes:population_detail", kwargs={"pk": cast.population.pk})
    rows, total = _all_pages(client, url, params)
    chosen = ProgressStatus.from_slug(params.get("statut", ""))
    whole = selectors.population_agents(cast.population, progress_status=chosen, sort=params["tri"])
    assert [row.pk for row in rows] == [enrolment.pk for enrolment in whole]
    assert total == len(rows) > 3


def test_population_page_stays_out_of_reach_of_other_ambassadors(client, cast, statuses):
    other = UserFactory()
    TargetPopulationFactory(programme=cast.programme, name="Autre", ambassadors=[other])
    client.force_login(other)
    url = reverse("programmes:population_detail", kwargs={"pk": cast.population.pk})
    assert client.get(url, {"statut": "stalled", "tri": "statut", "page": "2"}).status_code == 404


def test_agent_detail_shows_the_status_in_each_population_with_its_definition(
    client, cast, statuses
):
    other = TargetPopulationFactory(programme=cast.programme, name="Informaticiens")
    other.ambassadors.add(cast.ambassador)
    TargetFactory(population=other, competence=competence("1.1"), level=6)
    EnrolmentFactory(agent=statuses["reached"], population=other)
    client.force_login(cast.ambassador)
    response = client.get(reverse("programmes:agent_detail", kwargs={"pk": statuses["reached"].pk}))
    by_population = {
        row.enrolment.population.name: row.progress for row in response.context["rows"]
    }
    assert by_population["Assistants"].status == REACHED
    assert by_population["Informaticiens"].status == IN_PROGRESS
    content = response.content.decode()
    assert "Tous les objectifs de la population sont atteints" in content
    assert "1 sur 1" in content and "0 sur 1" in content


def test_agent_detail_shows_no_status_without_access_to_results(client, cast, statuses):
    client.force_login(cast.manager)
    response = client.get(reverse("programmes:agent_detail", kwargs={"pk": cast.agent_agent.pk}))
    (row,) = response.context["rows"]
    assert row.progress is None
    assert "Objectif atteint" not in response.content.decode()


# --- The status as the agent reads it --------------------------------------------------------


def test_agent_display_counts_the_days_since_the_last_progress():
    from datetime import date, datetime

    from django.utils import timezone as tz

    from programmes.models import Programme
    from programmes.status import agent_display

    programme = Programme(stall_threshold_days=30)
    last = tz.make_aware(datetime(2026, 10, 22, 23, 30))
    shown = agent_display(
        ProgressStatus.STALLED, programme, last_activity=last, today=date(2026, 12, 6)
    )
    assert shown.label == "En pause"
    assert shown.definition.startswith("Vous n’avez pas progressé depuis 45 jours")
    assert shown.badge == "fr-badge--warning"
    one_day = agent_display(
        ProgressStatus.STALLED, programme, last_activity=last, today=date(2026, 10, 23)
    )
    assert one_day.definition.startswith("Vous n’avez pas progressé depuis 1 jour ")


def test_agent_display_without_a_date_speaks_of_the_threshold():
    from programmes.models import Programme
    from programmes.status import agent_display

    shown = agent_display(ProgressStatus.STALLED, Programme(stall_threshold_days=30))
    assert shown.definition.startswith("Vous n’avez pas progressé depuis plus de 30 jours")


def test_agent_display_keeps_the_enum_untouched():
    from programmes.models import Programme
    from programmes.status import AGENT_LABELS, agent_display

    for status in ProgressStatus:
        shown = agent_display(status, Programme())
        assert shown.label == AGENT_LABELS[status]
        assert shown.definition.startswith("Vous") or shown.definition.startswith("Objectif")
    assert ProgressStatus.STALLED.label == "À l'arrêt"
