"""The owner's dashboard: figures against hand-computed ones, the small-group rule, what each
role sees, the precomputed rows (refresh, backfill, after an import, every night) and a
query count that does not grow with the data."""

import io
from datetime import date, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from agents.models import Agent
from campaigns.enums import MatchStatus, ParticipationStatus
from campaigns.models import Competence
from programmes.accompaniment.checkins.services import milestone_counts_refresh
from programmes.enums import ProgressStatus
from programmes.imports.services import programme_import_confirm, programme_import_upload
from programmes.models import (
    CheckIn,
    Enrolment,
    Milestone,
    PopulationStat,
    ResultAccessLog,
    TargetChange,
    TargetPopulation,
    UnitStat,
)
from programmes.steering import stats
from programmes.steering.tasks import refresh_population_stats
from programmes.steering.units import unit_stats_refresh
from tests.agents.factories import AgentFactory
from tests.campaigns.factories import CampaignFactory, export, paris, profiles_campaign, sent
from tests.programmes.factories import (
    EnrolmentFactory,
    ProgrammeFactory,
    TargetFactory,
    TargetPopulationFactory,
    local_days_ago,
)
from tests.programmes.import_factories import (
    CompetenceResultFactory,
    ParticipationFactory,
    media_root,  # noqa: F401 - fixture
)


def competence(code):
    return Competence.objects.get(code=code)


def participation(agent, campaign, *, days_ago, shared, levels=None, at=None):
    """A participation of `agent`, last progress `days_ago` days ago (or `at`), with shared
    results {code: level} observed then."""
    moment = at or local_days_ago(days_ago)
    made = ParticipationFactory(
        agent=agent,
        campaign=campaign,
        match_status=MatchStatus.EXTERNAL_ID,
        status=ParticipationStatus.SHARED if shared else ParticipationStatus.STARTED,
        started_at=moment,
        shared_at=moment if shared else None,
        last_progress_at=moment,
    )
    for code, level in (levels or {}).items():
        CompetenceResultFactory(
            participation=made, competence=competence(code), level=level, observed_at=moment
        )
    return made


@pytest.fixture
def progress(cast):
    """The cast's population of six with two targets (1.1 level 3, 2.1 level 2):
    not started; started 2 days ago; shared 1.1=3 2.1=1 (one target); shared 1.1=4 2.1=2
    (reached); shared 60 days ago 1.1=1 2.1=0 (stalled); started 40 days ago (stalled)."""
    TargetFactory(population=cast.population, competence=competence("2.1"), level=2)
    campaign = CampaignFactory()
    cast.programme.campaigns.add(campaign)
    team = cast.team
    participation(team[1], campaign, days_ago=2, shared=False)
    participation(team[2], campaign, days_ago=5, shared=True, levels={"1.1": 3, "2.1": 1})
    participation(team[3], campaign, days_ago=9, shared=True, levels={"1.1": 4, "2.1": 2})
    participation(team[4], campaign, days_ago=60, shared=True, levels={"1.1": 1, "2.1": 0})
    participation(team[5], campaign, days_ago=40, shared=False)
    return cast


EXPECTED = {
    "enrolled": 6,
    "not_started": 1,
    "in_progress": 2,
    "stalled": 2,
    "reached": 1,
    "started": 5,
    "shared": 3,
    "one_target_met": 2,
    "all_targets_met": 1,
    "targets_set": 2,
}


def test_refresh_stores_the_hand_computed_figures(progress):
    stat = stats.population_stats_refresh(population=progress.population, on=timezone.localdate())
    assert {field: getattr(stat, field) for field in EXPECTED} == EXPECTED
    assert stat.per_target["1.1"] == {
        "kind": "level",
        "label": "1.1 Mener une recherche et une veille d'information",
        "target": 3,
        "met": 2,
        "set": 6,
        "levels": [0, 1, 0, 1, 1, 0, 0, 0, 0],
        "contributors": 3,
    }
    assert stat.per_target["2.1"]["met"] == 1
    assert stat.per_target["2.1"]["levels"] == [1, 1, 1, 0, 0, 0, 0, 0, 0]


def test_refreshing_twice_the_same_day_rewrites_the_row(progress):
    today = timezone.localdate()
    stats.population_stats_refresh(population=progress.population, on=today)
    Enrolment.objects.filter(agent=progress.team[0]).update(end_date=today - timedelta(days=1))
    stat = stats.population_stats_refresh(population=progress.population, on=today)
    assert PopulationStat.objects.filter(population=progress.population).count() == 1
    assert (stat.enrolled, stat.not_started) == (5, 0)


def test_dashboard_shows_the_figures_of_the_stats_row(client, progress):
    stats.population_stats_refresh(population=progress.population, on=timezone.localdate())
    # Its ambassador: for the owner, three agents who shared results make no figure.
    client.force_login(progress.ambassador)
    response = client.get(reverse("programmes:dashboard", kwargs={"slug": "programme-dr"}))
    board = response.context["board"]
    assert board.selected.reached_percent == 16.7
    assert list(board.funnel_table().rows) == [
        ["Inscrits", 6, 100.0],
        ["Ont commencé", 5, 83.3],
        ["Ont envoyé leurs résultats", 3, 50.0],
        ["Au moins un objectif atteint", 2, 33.3],
        ["Tous les objectifs atteints", 1, 16.7],
    ]
    assert [row[2:] for row in board.targets_table().rows] == [[2, 6, 33.3], [1, 6, 16.7]]
    levels = list(board.levels_table().rows)
    assert levels[0] == [
        "1.1 Mener une recherche et une veille d'information",
        3,
        0,
        1,
        0,
        1,
        1,
        0,
        0,
        0,
        0,
        3,
    ]
    content = response.content.decode()
    assert "17 %" in content  # the headline
    for chart in (
        "chart-comparison",
        "chart-statuses",
        "chart-funnel",
        "chart-targets",
        "chart-levels",
        "chart-evolution",
    ):
        assert f'id="{chart}"' in content
    for table in ("comparaison", "entonnoir", "objectifs", "niveaux", "evolution"):
        assert f'id="table-{table}"' in content
    # Self-assessment: aggregates only, never a name (in the page's main content: the
    # header shows the logged-in user, whose random name may match the agent's).
    main = content[content.index('<main id="content"') : content.index("</main>")]
    assert progress.agent_agent.full_name not in main
    assert progress.agent_agent.external_id not in main
    assert "Freins rencontrés" in content


def test_dashboard_without_stats_says_they_come_after_an_import(client, cast):
    client.force_login(cast.owner)
    response = client.get(reverse("programmes:dashboard", kwargs={"slug": "programme-dr"}))
    assert "n’ont pas encore été calculés" in response.content.decode()


# --- Small groups ---------------------------------------------------------------------------


@pytest.fixture
def small(cast):
    """A population of three in the cast's self-assessment programme, and its own ambassador."""
    from tests.agents.factories import UserFactory

    ambassador = UserFactory(email="petit@exemple.gouv.fr")
    population = TargetPopulationFactory(
        programme=cast.programme, name="Petit groupe", ambassadors=[ambassador]
    )
    EnrolmentFactory.create_batch(3, population=population)
    campaign = CampaignFactory()
    cast.programme.campaigns.add(campaign)
    for agent in cast.team[:5]:  # the cast's population: five agents shared their results
        participation(agent, campaign, days_ago=3, shared=True, levels={"1.1": 3})
    today = timezone.localdate()
    stats.population_stats_refresh(population=population, on=today)
    stats.population_stats_refresh(population=cast.population, on=today)
    cast.small, cast.small_ambassador = population, ambassador
    return cast


def _board(client, user, **params):
    client.force_login(user)
    url = reverse("programmes:dashboard", kwargs={"slug": "programme-dr"})
    return client.get(url, params)


def test_owner_sees_less_than_five_and_no_figure_for_a_small_population(client, small):
    response = _board(client, small.owner, population=small.small.pk)
    board = response.context["board"]
    hidden = next(p for p in board.populations if p.population == small.small)
    assert hidden.hidden
    assert hidden.count("enrolled") == "moins de 5"
    comparison = next(table for table in board.tables() if table.key == "comparaison")
    assert comparison.rows[1][2:7] == ["moins de 5"] * 5
    assert board.total_enrolled == 6  # the small population is left out of the totals
    content = response.content.decode()
    assert "Moins de 5 agents ont partagé leurs résultats, ou moins de 5 agents séparent" in content
    assert 'id="chart-funnel"' not in content


@pytest.mark.parametrize("who", ["small_ambassador", "staff"])
def test_those_who_accompany_the_population_see_its_figures(client, small, who):
    board = _board(client, getattr(small, who)).context["board"]
    figures = next(p for p in board.populations if p.population == small.small)
    assert not figures.hidden
    assert figures.count("enrolled") == 3


def test_under_the_managerial_purpose_the_owner_sees_small_groups(client, small):
    small.programme.purpose = "managerial"
    small.programme.save()
    board = _board(client, small.owner).context["board"]
    assert not any(p.hidden for p in board.populations)
    assert board.total_enrolled == 9


def test_evolution_hides_months_when_the_population_was_small(client, cast):
    for day, enrolled, reached in [(date(2026, 1, 31), 4, 0), (date(2026, 2, 28), 8, 2)]:
        PopulationStat.objects.create(
            population=cast.population, on=day, enrolled=enrolled, shared=enrolled, reached=reached
        )
    board = _board(client, cast.owner).context["board"]
    assert [row[1] for row in board.evolution_table().rows] == ["moins de 5", 25.0]


def test_evolution_keeps_the_last_row_of_each_month(client, cast):
    for day, reached in [(date(2026, 3, 1), 1), (date(2026, 3, 31), 3), (date(2026, 4, 2), 6)]:
        PopulationStat.objects.create(
            population=cast.population, on=day, enrolled=6, shared=6, reached=reached
        )
    board = _board(client, cast.owner).context["board"]
    rows = list(board.evolution_table().rows)
    assert rows == [["mars 2026", 50.0], ["avril 2026", 100.0]]


def test_dashboard_and_its_exports_answer_404_outside_their_programme(client, cast):
    client.force_login(cast.owner)
    other = cast.other_population.programme.slug
    assert client.get(reverse("programmes:dashboard", kwargs={"slug": other})).status_code == 404


# --- Query count -----------------------------------------------------------------------------


def _programme_of(size):
    """A programme with two populations of `size` agents in units of 5 under one direction,
    stats refreshed (the units too) and three years of monthly rows."""
    programme = ProgrammeFactory(slug=f"taille-{size}")
    from tests.agents.factories import OrgUnitFactory, UserFactory

    owner = UserFactory()
    programme.owners.add(owner)
    direction = OrgUnitFactory(name=f"Direction {size}", parent=None)
    services = [OrgUnitFactory(name=f"S{n}", parent=direction) for n in range(2 * size // 5)]
    agents = Agent.objects.bulk_create(
        Agent(
            last_name=f"Nom{n}",
            first_name="A",
            email=f"q{size}-{n}@x.fr",
            external_id=f"Q{size}-{n}",
            org_unit=services[n // 5],
        )
        for n in range(2 * size)
    )
    today = timezone.localdate()
    three_years = stats.month_ends(date(today.year - 3, today.month, 1), today)[:-1]
    for half in range(2):
        population = TargetPopulationFactory(programme=programme)
        TargetFactory(population=population)
        Enrolment.objects.bulk_create(
            Enrolment(agent=agent, population=population, start_date=date(2024, 1, 1))
            for agent in agents[half * size : (half + 1) * size]
        )
        PopulationStat.objects.bulk_create(
            PopulationStat(
                population=population,
                on=day,
                enrolled=size,
                reached=m,
            )
            for m, day in enumerate(three_years)
        )
        stats.population_stats_refresh(population=population, on=timezone.localdate())
        _checkins(population, agents[half * size : (half + 1) * size])
    unit_stats_refresh(programme=programme, on=timezone.localdate())
    return programme, owner


def _checkins(population, agents):
    """Two milestones where every agent is checked in, citing one or two barriers."""
    barriers = list(population.programme.barriers.order_by("position"))
    statuses = list(ProgressStatus)
    for day in (date(2026, 3, 1), date(2026, 5, 1)):
        milestone = Milestone.objects.create(population=population, date=day, title=f"{day}")
        checkins = CheckIn.objects.bulk_create(
            CheckIn(milestone=milestone, agent=agent, status=statuses[n % 4])
            for n, agent in enumerate(agents)
        )
        CheckIn.barriers.through.objects.bulk_create(
            CheckIn.barriers.through(checkin=checkin, barrier=barrier)
            for n, checkin in enumerate(checkins)
            for barrier in barriers[n % 3 : n % 3 + 1 + n % 2]
        )
        milestone_counts_refresh(milestone=milestone)


# Session and user; the programme (scoped), is the user an owner, its populations, those the
# user accompanies, the latest stats row of each, the rows over time; the barriers, the
# milestones, their counts per barrier and status; the header's roles (1); the personal
# targets in force (agents per population, then per competence); the targets' deadlines (the
# cockpit's projection); the units' row of the depth shown (counted at the refresh, not here).
DASHBOARD_QUERIES = 16


@pytest.mark.parametrize("size", [10, 200])
def test_dashboard_query_count_is_pinned_and_does_not_grow(
    client, db, size, django_assert_num_queries
):
    programme, owner = _programme_of(size)
    client.force_login(owner)
    url = reverse("programmes:dashboard", kwargs={"slug": programme.slug})
    with django_assert_num_queries(DASHBOARD_QUERIES):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["board"].months) == 36 + 1
    assert response.context["board"].barriers.total_checkins == 2 * size
    assert [row.enrolled for row in response.context["board"].units.rows] == [2 * size]
    with django_assert_num_queries(DASHBOARD_QUERIES):
        response = client.get(url, {"depth": "2"})
    assert len(response.context["board"].units.rows) == 2 * size // 5


@pytest.mark.parametrize("size", [10, 200])
def test_dashboard_export_query_count_does_not_grow(client, db, size, django_assert_num_queries):
    programme, owner = _programme_of(size)
    client.force_login(owner)
    url = reverse("programmes:dashboard_export", kwargs={"slug": programme.slug, "fmt": "xlsx"})
    # 13: the page's tables, the barriers and the personal targets (two queries); not the
    # cockpit (its targets' deadlines), which the files do not hold.
    with django_assert_num_queries(13):
        assert client.get(url).status_code == 200


# --- Backfill: the story month by month -----------------------------------------------------


def test_backfill_of_today_agrees_with_the_status_engine(progress):
    today = timezone.localdate()
    rebuilt = stats.population_stats_backfill(
        population=progress.population, until=today, dry_run=True
    )[-1]
    assert rebuilt.pop("on") == today
    assert rebuilt == stats.population_figures(progress.population, today)


def test_figures_read_the_stored_state_in_a_fixed_number_of_queries(
    progress, django_assert_num_queries
):
    """The population's targets, the counts, one grouped query per target and the overlaps:
    as many queries whatever the agents, results and history."""
    population = TargetPopulation.objects.select_related("programme").get(pk=progress.population.pk)
    today = timezone.localdate()
    with django_assert_num_queries(3 + 2):
        few = stats.population_figures(population, today)
    campaign = progress.programme.campaigns.get()
    for agent in AgentFactory.create_batch(5):
        EnrolmentFactory(agent=agent, population=population)
        participation(agent, campaign, days_ago=1, shared=True, levels={"1.1": 8, "2.1": 8})
    with django_assert_num_queries(3 + 2):
        many = stats.population_figures(population, today)
    assert many["enrolled"] == few["enrolled"] + 5
    assert many["per_target"]["1.1"]["levels"][8] == 5
    assert many["reached"] == few["reached"] + 5


@pytest.fixture
def history(cast):
    """One agent of the population, alone in its own population with target 1.1 level 3:
    started and shared on 10 February at level 2, level 3 seen on 10 April."""
    population = TargetPopulationFactory(programme=cast.programme, name="Histoire")
    TargetFactory(population=population, level=3)
    agent = cast.team[0]
    EnrolmentFactory(agent=agent, population=population)
    campaign = CampaignFactory()
    cast.programme.campaigns.add(campaign)
    made = participation(agent, campaign, days_ago=0, shared=True, at=paris(2026, 2, 10, 10))
    made.last_progress_at = paris(2026, 4, 10, 10)
    made.save()
    CompetenceResultFactory(
        participation=made,
        competence=competence("1.1"),
        level=3,
        observed_at=paris(2026, 4, 10, 10),
    )
    CompetenceResultFactory(
        participation=made,
        competence=competence("1.1"),
        level=2,
        observed_at=paris(2026, 2, 10, 10),
    )
    return population


def _by_month(rows, *fields):
    return {row["on"]: tuple(row[f] for f in fields) for row in rows}


def test_backfill_replays_results_month_by_month(history):
    rows = stats.population_stats_backfill(population=history, until=date(2026, 5, 15))
    fields = ("not_started", "in_progress", "stalled", "reached", "shared")
    assert _by_month(rows, *fields) == {
        date(2026, 1, 31): (1, 0, 0, 0, 0),
        date(2026, 2, 28): (0, 1, 0, 0, 1),
        date(2026, 3, 31): (0, 0, 1, 0, 1),  # no progress since 10 February
        date(2026, 4, 30): (0, 0, 0, 1, 1),
        date(2026, 5, 15): (0, 0, 0, 1, 1),
    }
    assert rows[1]["per_target"]["1.1"]["levels"][2] == 1
    assert rows[3]["per_target"]["1.1"]["levels"][3] == 1
    assert PopulationStat.objects.filter(population=history).count() == 5


def test_backfill_judges_each_month_on_the_targets_then_in_force(history):
    target_1_1 = {"population": history, "competence": competence("1.1"), "kind": "level"}
    TargetChange.objects.create(
        **target_1_1, action="created", level_after=2, changed_at=paris(2026, 1, 5, 9)
    )
    TargetChange.objects.create(
        **target_1_1,
        action="changed",
        level_before=2,
        level_after=4,
        changed_at=paris(2026, 4, 20, 9),
    )
    rows = stats.population_stats_backfill(
        population=history, until=date(2026, 5, 15), dry_run=True
    )
    met = {
        row["on"]: (row["per_target"]["1.1"]["target"], row["per_target"]["1.1"]["met"])
        for row in rows
    }
    assert met == {
        date(2026, 1, 31): (2, 0),
        date(2026, 2, 28): (2, 1),  # level 2 against the target of 2 then
        date(2026, 3, 31): (2, 1),
        date(2026, 4, 30): (4, 0),  # level 3 against the target raised to 4
        date(2026, 5, 15): (4, 0),
    }
    assert not PopulationStat.objects.exists()  # dry run


def test_month_ends_run_to_the_day_given():
    assert stats.month_ends(date(2025, 11, 5), date(2026, 2, 10)) == [
        date(2025, 11, 30),
        date(2025, 12, 31),
        date(2026, 1, 31),
        date(2026, 2, 10),
    ]


# --- When the rows are written ----------------------------------------------------------------


def test_an_import_for_the_programme_refreshes_its_figures(cast, media_root):  # noqa: F811
    agent = cast.agent_agent
    content, name = export(
        profiles_campaign(),
        [sent(agent.last_name, agent.first_name, agent.external_id, at=paris(2026, 11, 2, 9))],
        exported_at=paris(2026, 11, 3, 9),
    )
    result_import = programme_import_upload(
        programme=cast.programme, fileobj=io.BytesIO(content), original_name=name, user=cast.owner
    )
    programme_import_confirm(programme=cast.programme, result_import=result_import)
    stat = PopulationStat.objects.get(population=cast.population, on=timezone.localdate())
    assert (stat.enrolled, stat.started, stat.shared) == (6, 1, 1)
    # And its enrolments counted by unit (the cast's agents are in one unit).
    [units] = UnitStat.objects.filter(programme=cast.programme, depth=1)
    assert units.on == timezone.localdate()
    assert [row[3:] for row in units.rows] == [[6, 0, 1]]


def test_nightly_task_refreshes_running_programmes_only(cast):
    ended = TargetPopulationFactory(
        programme=ProgrammeFactory(start_date=date(2024, 1, 1), end_date=date(2024, 12, 31))
    )
    assert refresh_population_stats.delay("2026-11-20").get() == 2  # the cast's two programmes
    assert PopulationStat.objects.filter(on=date(2026, 11, 20)).count() == 2
    assert not PopulationStat.objects.filter(population=ended).exists()
    assert set(UnitStat.objects.values_list("programme", "on")) == {
        (cast.programme.pk, date(2026, 11, 20)),
        (cast.other_population.programme_id, date(2026, 11, 20)),
    }


def test_command_dry_run_writes_nothing(cast):
    out = io.StringIO()
    call_command("refresh_stats", "--dry-run", "--backfill", stdout=out)
    assert "Simulation" in out.getvalue()
    assert not PopulationStat.objects.exists()
    assert not UnitStat.objects.exists()


def test_command_refreshes_one_programme_with_its_history(cast):
    out = io.StringIO()
    call_command("refresh_stats", "--programme", "programme-dr", "--backfill", stdout=out)
    today = timezone.localdate()
    rows = PopulationStat.objects.filter(population=cast.population)
    assert rows.count() == len(stats.month_ends(cast.programme.start_date, today))
    assert rows.order_by("on").first().on == date(2026, 1, 31)
    assert not PopulationStat.objects.filter(population=cast.other_population).exists()
    assert "Assistants au" in out.getvalue()
    assert list(UnitStat.objects.values_list("programme", "on")) == [(cast.programme.pk, today)]


def test_command_names_an_unknown_programme(db):
    with pytest.raises(CommandError, match="Aucun programme"):
        call_command("refresh_stats", "--programme", "inconnu")


# --- Access log --------------------------------------------------------------------------------


@pytest.fixture
def logged(cast):
    moment = timezone.make_aware(datetime(2026, 10, 1, 9, 30))
    for agent in cast.team[:3]:
        ResultAccessLog.objects.create(
            viewer=cast.ambassador,
            agent=agent,
            programme=cast.programme,
            viewed_at=moment,
            path=f"/agents/{agent.pk}/",
        )
    ResultAccessLog.objects.create(
        viewer=cast.ambassador, agent=cast.stranger_agent, programme=cast.other_population.programme
    )
    return cast


def test_owner_reads_who_viewed_whose_results(client, logged):
    client.force_login(logged.owner)
    url = reverse("programmes:access_log", kwargs={"slug": "programme-dr"})
    response = client.get(url)
    assert response.context["page_obj"].paginator.count == 3  # not the other programme's
    response = client.get(url, {"agent": logged.team[1].pk})
    assert [e.agent for e in response.context["page_obj"]] == [logged.team[1]]
    response = client.get(url, {"q": logged.team[2].last_name})
    assert logged.team[2] in [e.agent for e in response.context["page_obj"]]


def test_access_log_downloads_as_csv(client, logged):
    client.force_login(logged.owner)
    url = reverse("programmes:access_log_csv", kwargs={"slug": "programme-dr"})
    text = client.get(url, {"agent": logged.team[0].pk}).content.decode("utf-8-sig")
    lines = text.strip().split("\r\n")
    assert lines[0] == "Le;Consulté par;Agent consulté;Matricule;Page"
    assert lines[1].startswith("01/10/2026 09:30;ambassadeur@exemple.gouv.fr;")
    assert len(lines) == 2


def test_ambassador_may_not_read_the_access_log(client, logged):
    client.force_login(logged.ambassador)
    url = reverse("programmes:access_log", kwargs={"slug": "programme-dr"})
    assert client.get(url).status_code == 403
