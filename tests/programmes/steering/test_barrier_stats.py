"""Barrier analytics on the dashboard: counts per barrier split by the status snapshot, the
latest milestone of each population, the evolution between milestones, retired barriers, the
small-group rule, a query count that does not grow, and the section on the page and in the
exports."""

import io
from datetime import date

import openpyxl
import pytest
from django.urls import reverse

from programmes.enums import ProgressStatus
from programmes.models import Barrier
from programmes.steering.barriers import build_barrier_stats
from tests.agents.factories import AgentFactory
from tests.programmes.factories_accompaniment import CheckInFactory, MilestoneFactory

NS, IP, ST, TR = (
    ProgressStatus.NOT_STARTED,
    ProgressStatus.IN_PROGRESS,
    ProgressStatus.STALLED,
    ProgressStatus.TARGET_REACHED,
)
TIME, ACCESS, HARD = "Manque de temps", "Difficulté d'accès ou de compte", "Contenu trop difficile"


def barrier(programme, label):
    return Barrier.objects.get(programme=programme, label=label)


def milestone_with(population, day, checkins, *, title=None):
    """A milestone of `population` on `day` with a check-in per (agent, status, labels)."""
    milestone = MilestoneFactory(population=population, date=day, title=title or f"Point {day}")
    programme = population.programme
    for agent, status, labels in checkins:
        CheckInFactory(
            milestone=milestone,
            agent=agent,
            status=status,
            barriers=[barrier(programme, label) for label in labels],
        )
    return milestone


@pytest.fixture
def checked(cast):
    """The cast's population of six seen at two milestones: in March, five check-ins (lack of
    time cited once); in May, six (lack of time three times, access trouble twice)."""
    team = cast.team
    milestone_with(
        cast.population,
        date(2026, 3, 10),
        [
            (team[0], NS, [TIME]),
            (team[1], NS, [ACCESS]),
            (team[2], IP, []),
            (team[3], IP, []),
            (team[4], NS, [ACCESS, HARD]),
        ],
        title="Lancement",
    )
    milestone_with(
        cast.population,
        date(2026, 5, 12),
        [
            (team[0], NS, [TIME]),
            (team[1], ST, [TIME, ACCESS]),
            (team[2], IP, [TIME]),
            (team[3], TR, []),
            (team[4], NS, [ACCESS]),
            (team[5], ST, []),
        ],
        title="Mi-parcours",
    )
    return cast


def stats_for(cast, *, aggregates_only=False, accompanied=()):
    populations = list(cast.programme.populations.order_by("name"))
    return build_barrier_stats(
        cast.programme, populations, aggregates_only=aggregates_only, accompanied=set(accompanied)
    )


def row_of(table, label):
    return next(row for row in table.rows if row[0] == label)


def dashboard(client, user, slug="programme-dr"):
    client.force_login(user)
    return client.get(reverse("programmes:dashboard", kwargs={"slug": slug}))


# --- Counts ----------------------------------------------------------------------------------


def test_counts_each_barrier_split_between_not_started_stalled_and_others(checked):
    stats = stats_for(checked)
    figures = stats.populations[0]
    assert figures.latest.milestone.title == "Mi-parcours"
    assert figures.latest.checkins == 6
    table = stats.latest_table(figures)
    assert [column.label for column in table.columns] == [
        "Frein",
        "Non commencé",
        "Arrêté après un premier niveau",
        "Autres",
        "Total",
    ]
    assert row_of(table, TIME) == [TIME, 1, 1, 1, 3]
    assert row_of(table, ACCESS) == [ACCESS, 1, 1, 0, 2]
    assert row_of(table, HARD) == [HARD, 0, 0, 0, 0]  # cited in March only


def test_every_active_barrier_is_a_row_in_the_programme_order(checked):
    stats = stats_for(checked)
    labels = [row[0] for row in stats.totals_table().rows]
    expected = list(
        checked.programme.barriers.filter(is_active=True)
        .order_by("position", "label")
        .values_list("label", flat=True)
    )
    assert labels == expected and len(labels) == 9


def test_a_later_milestone_without_checkin_does_not_replace_the_latest(checked):
    MilestoneFactory(population=checked.population, date=date(2026, 9, 1), title="Rentrée")
    figures = stats_for(checked).populations[0]
    assert figures.latest.milestone.title == "Mi-parcours"
    assert [step.milestone.title for step in figures.milestones] == ["Lancement", "Mi-parcours"]


def test_programme_totals_add_up_the_latest_milestone_of_each_population(checked):
    from tests.programmes.factories import TargetPopulationFactory

    second = TargetPopulationFactory(programme=checked.programme, name="Bureau")
    others = AgentFactory.create_batch(5)
    milestone_with(second, date(2026, 4, 1), [(a, ST, [TIME]) for a in others])
    stats = stats_for(checked)
    assert row_of(stats.totals_table(), TIME) == [TIME, 1, 1 + 5, 1, 8]
    assert stats.total_checkins == 11


def test_checkins_of_another_programme_are_not_counted(checked):
    stranger = checked.stranger_agent
    other = checked.other_population
    milestone_with(other, date(2026, 5, 12), [(stranger, NS, [TIME])])
    stats = stats_for(checked)
    assert row_of(stats.totals_table(), TIME)[-1] == 3
    assert [p.population for p in stats.populations] == [checked.population]


def test_retired_barriers_stay_counted_and_say_so(checked):
    Barrier.objects.filter(programme=checked.programme, label__in=[TIME, "Autre"]).update(
        is_active=False
    )
    table = stats_for(checked).totals_table()
    labels = [row[0] for row in table.rows]
    assert row_of(table, "Manque de temps (frein retiré)") == [
        "Manque de temps (frein retiré)",
        1,
        1,
        1,
        3,
    ]
    assert "Autre (frein retiré)" not in labels and "Autre" not in labels  # never cited


# --- Evolution ---------------------------------------------------------------------------------


def test_evolution_counts_each_milestone_and_the_change_since_the_previous(checked):
    stats = stats_for(checked)
    table = stats.evolution_table(stats.populations[0])
    assert [column.label for column in table.columns] == [
        "Frein",
        "Lancement, 10 mars 2026 (5 entretiens)",
        "Mi-parcours, 12 mai 2026 (6 entretiens)",
        "Écart avec le point précédent",
    ]
    assert row_of(table, TIME) == [TIME, 1, 3, 2]
    assert row_of(table, ACCESS) == [ACCESS, 2, 2, 0]
    assert row_of(table, HARD) == [HARD, 1, 0, -1]
    html = {row[0]: row for row in table.html_rows()}
    assert html[TIME][3] == "+2" and html[HARD][3] == "\u22121" and html[ACCESS][3] == "0"


def test_a_single_milestone_has_no_evolution_table(cast):
    milestone_with(cast.population, date(2026, 5, 12), [(a, NS, [TIME]) for a in cast.team])
    section = stats_for(cast).sections()[0]
    assert section.latest_table is not None and section.evolution_table is None


# --- Small groups ------------------------------------------------------------------------------


@pytest.fixture
def small_milestone(checked):
    """A third, latest milestone of the population with only three check-ins."""
    team = checked.team
    milestone_with(
        checked.population,
        date(2026, 6, 20),
        [(team[0], NS, [TIME]), (team[1], ST, [TIME]), (team[2], IP, [ACCESS])],
        title="Juin",
    )
    return checked


def test_owner_of_a_self_assessment_programme_sees_no_figure_for_fewer_than_five(
    client, small_milestone
):
    response = dashboard(client, small_milestone.owner)
    stats = response.context["board"].barriers
    figures = stats.populations[0]
    assert figures.hidden
    assert stats.sections()[0].latest_table is None
    assert stats.total_checkins == 0  # left out of the programme-wide totals
    assert row_of(stats.totals_table(), TIME)[1:] == [0, 0, 0, 0]
    evolution = stats.evolution_table(figures)
    assert row_of(evolution, TIME) == [TIME, 1, 3, 2, "moins de 5", None]
    assert evolution.columns[-2].label == "Juin, 20 juin 2026 (moins de 5 entretiens)"
    content = response.content.decode()
    assert "Juin : moins de 5 entretiens, aucun chiffre n’est affiché" in content
    assert "ne sont pas comptées" in content


@pytest.mark.parametrize("who", ["ambassador", "staff"])
def test_those_who_accompany_the_population_see_a_small_milestone(client, small_milestone, who):
    stats = dashboard(client, getattr(small_milestone, who)).context["board"].barriers
    figures = stats.populations[0]
    assert not figures.hidden
    assert row_of(stats.latest_table(figures), TIME) == [TIME, 1, 1, 0, 2]
    assert stats.total_checkins == 3


def test_under_the_managerial_purpose_the_owner_sees_a_small_milestone(client, small_milestone):
    small_milestone.programme.purpose = "managerial"
    small_milestone.programme.save()
    stats = dashboard(client, small_milestone.owner).context["board"].barriers
    assert not stats.populations[0].hidden
    assert row_of(stats.totals_table(), TIME)[1:] == [1, 1, 0, 2]


# --- Queries -----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [3, 30])
def test_barrier_stats_take_three_queries_whatever_the_number_of_checkins(
    cast, size, django_assert_num_queries
):
    from tests.programmes.factories import TargetPopulationFactory

    agents = AgentFactory.create_batch(size)
    for name in ("Un", "Deux"):
        population = TargetPopulationFactory(programme=cast.programme, name=name)
        for day in (date(2026, 3, 1), date(2026, 5, 1)):
            milestone_with(
                population,
                day,
                [(agent, (NS, ST, IP)[n % 3], [TIME, ACCESS][: n % 3]) for n, agent in
                 enumerate(agents)],
            )  # fmt: skip
    populations = list(cast.programme.populations.order_by("name"))
    with django_assert_num_queries(3):
        stats = build_barrier_stats(
            cast.programme, populations, aggregates_only=True, accompanied=set()
        )
        stats.sections()
        stats.export_tables()
        stats.totals_chart()
    assert sum(p.latest.checkins for p in stats.populations if p.latest) == 2 * size
    assert stats.some_hidden == (size < 5)


# --- Page and files ----------------------------------------------------------------------------


def test_dashboard_shows_the_barrier_section_with_chart_tables_and_definitions(client, checked):
    content = dashboard(client, checked.owner).content.decode()
    section = content[content.index('id="barriers-title"') :]
    assert 'id="barrier-definitions"' in section
    assert "Dernier point d’étape : Mi-parcours, le 12 mai 2026 (6 entretiens)." in section
    assert "Arrêté après un premier niveau" in section
    assert "n’avait plus progressé depuis plus de 30 jours" in section
    assert 'id="chart-barriers"' in section
    assert 'id="table-freins-programme"' in section
    pk = checked.population.pk
    assert f'id="table-freins-population-{pk}"' in section
    assert f'id="table-freins-evolution-{pk}"' in section
    assert '<th scope="row">Manque de temps</th><td>1</td><td>1</td><td>1</td><td>3</td>' in (
        section
    )
    assert "<td>+2</td>" in section
    assert "apparaîtront ici quand les points" not in content


def test_dashboard_without_checkins_says_barriers_come_with_the_first_milestone(client, cast):
    content = dashboard(client, cast.owner).content.decode()
    assert 'id="barriers-empty"' in content
    assert 'id="chart-barriers"' not in content


def test_dashboard_export_has_the_barrier_sheets(client, checked):
    client.force_login(checked.owner)
    url = reverse("programmes:dashboard_export", kwargs={"slug": "programme-dr", "fmt": "xlsx"})
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(url).content))
    assert "Freins au dernier point d’étape" in workbook.sheetnames
    sheet = workbook["Freins au dernier point d’étape"]
    rows = [list(row) for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert ["Ensemble du programme", "Derniers points d’étape", None, 6, TIME, 1, 1, 1, 3] in rows
    assert ["Assistants", "Mi-parcours", date(2026, 5, 12), 6, ACCESS, 1, 1, 0, 2] in [
        [r[0], r[1], r[2].date() if r[2] else None, *r[3:]] for r in rows
    ]
    evolution = workbook["Évolution des freins"]
    titles = {row[1] for row in evolution.iter_rows(min_row=3, values_only=True)}
    assert titles == {"Lancement", "Mi-parcours"}


def test_dashboard_csv_export_holds_the_barrier_tables(client, checked):
    client.force_login(checked.owner)
    url = reverse("programmes:dashboard_export", kwargs={"slug": "programme-dr", "fmt": "csv"})
    text = client.get(url).content.decode("utf-8-sig")
    assert "Freins au dernier point d’étape" in text
    assert "Assistants;Mi-parcours;12/05/2026;6;Manque de temps;1;1;1;3" in text
