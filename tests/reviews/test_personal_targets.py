"""Personal targets (next year's objectives agreed at a review) shown beside the population's
target: on the agent's page, and as aggregates on the owner's dashboard, hidden under the
privacy minimum for owners of a self-assessment programme."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Competence
from programmes.steering import stats
from tests.programmes.factories import EnrolmentFactory, TargetPopulationFactory
from tests.reviews.factories import PersonalTargetFactory

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def _personal(cast, agent, code="1.1", level=4, days_ago=10, source="Entretien professionnel"):
    return PersonalTargetFactory(
        agent=agent,
        programme=cast.programme,
        competence=Competence.objects.get(code=code),
        level=level,
        valid_from=TODAY - days_ago * DAY,
        source=source,
    )


def _my_page(client, cast):
    client.force_login(cast.agent)
    return client.get(reverse("programmes:my_page"))


# --- "Mon parcours" ----------------------------------------------------------------------


def test_my_page_shows_the_personal_target_in_force_beside_the_population_target(client, cast):
    _personal(cast, cast.agent_agent, level=4, days_ago=400, source="Entretien 2024")
    _personal(cast, cast.agent_agent, level=5, days_ago=30, source="Entretien 2025")
    _personal(cast, cast.agent_agent, level=7, days_ago=-30, source="Entretien futur")
    response = _my_page(client, cast)
    (line,) = [line for line in response.context["rows"][0].lines if line.competence.code == "1.1"]
    assert line.personal_target.level == 5
    assert [t.level for t in line.targets] == [3]  # the population's target stays
    page = response.content.decode()
    assert "Votre objectif personnel" in page
    assert "Entretien 2025" in page
    assert "Entretien 2024" not in page and "Entretien futur" not in page


def test_personal_target_on_a_competence_without_population_target_gets_its_own_line(client, cast):
    _personal(cast, cast.agent_agent, code="3.2", level=2)
    lines = _my_page(client, cast).context["rows"][0].lines
    assert [line.competence.code for line in lines] == ["1.1", "3.2"]
    assert lines[1].personal_target.level == 2
    assert lines[1].targets == []


def test_other_programmes_and_other_agents_personal_targets_are_not_shown(client, cast):
    PersonalTargetFactory(
        agent=cast.agent_agent, level=8, valid_from=TODAY - DAY, source="Autre programme"
    )
    _personal(cast, cast.team[1], level=6, source="Collègue")
    page = _my_page(client, cast).content.decode()
    assert "Votre objectif personnel" not in page
    assert "Autre programme" not in page and "Collègue" not in page


def test_my_page_query_count_stays_pinned_with_personal_targets(
    client, cast, django_assert_num_queries
):
    from tests.programmes.test_views import QUERY_COUNTS

    (pinned,) = [n for name, *_rest, n in QUERY_COUNTS if name == "programmes:my_page"]
    _personal(cast, cast.agent_agent)
    client.force_login(cast.agent)
    with django_assert_num_queries(pinned):
        assert client.get(reverse("programmes:my_page")).status_code == 200
    for code in ("2.1", "3.1", "4.1", "5.1"):
        _personal(cast, cast.agent_agent, code=code, days_ago=5)
        _personal(cast, cast.agent_agent, code=code, days_ago=50)
    with django_assert_num_queries(pinned):
        assert client.get(reverse("programmes:my_page")).status_code == 200


# --- The owner's dashboard ---------------------------------------------------------------


def _dashboard(client, user, cast):
    stats.population_stats_refresh(population=cast.population, on=TODAY)
    client.force_login(user)
    return client.get(reverse("programmes:dashboard", kwargs={"slug": cast.programme.slug}))


def _give_targets(cast, agents, code="1.1", levels=(4, 5)):
    for n, agent in enumerate(agents):
        _personal(cast, agent, code=code, level=levels[n % len(levels)])


def test_dashboard_shows_agents_with_personal_targets_and_average_beside_the_target(client, cast):
    _give_targets(cast, cast.team[:5], levels=(4, 5))  # average 4.4
    _give_targets(cast, cast.team[:2], code="2.1", levels=(2,))
    _personal(cast, cast.team[0], level=1, days_ago=500)  # superseded
    response = _dashboard(client, cast.owner, cast)
    (figures,) = response.context["board"].personal
    assert figures.count == 5
    table = figures.table(aggregates_only=True)
    assert list(table.html_rows()) == [
        ["1.1 Mener une recherche et une veille d'information", "3", "5", "4,4"],
        ["2.1 Interagir", "—", "moins de 5", "moins de 5"],
    ]
    page = response.content.decode()
    assert "Objectifs personnels" in page and "4,4" in page


def test_dashboard_hides_personal_targets_of_fewer_than_5_agents_for_owners(client, cast):
    _give_targets(cast, cast.team[:3])
    response = _dashboard(client, cast.owner, cast)
    (figures,) = response.context["board"].personal
    assert figures.hidden and figures.count == "moins de 5"
    assert response.context["board"].personal_tables() == [(figures, None)]
    page = response.content.decode()
    assert 'id="table-objectifs-personnels' not in page


@pytest.mark.parametrize("role", ["staff", "ambassador"])
def test_dashboard_shows_small_groups_to_those_who_see_individuals(client, cast, role):
    _give_targets(cast, cast.team[:2], levels=(6,))
    (figures,) = _dashboard(client, getattr(cast, role), cast).context["board"].personal
    assert not figures.hidden and figures.count == 2


def test_dashboard_shows_small_groups_under_the_managerial_purpose(client, managerial_cast):
    _give_targets(managerial_cast, managerial_cast.team[:2], levels=(6,))
    response = _dashboard(client, managerial_cast.owner, managerial_cast)
    (figures,) = response.context["board"].personal
    assert not figures.hidden
    rows = list(figures.table(aggregates_only=False).html_rows())
    assert rows[0][2:] == ["2", "6,0"]


def test_dashboard_counts_only_current_agents_of_each_population(client, cast):
    other = TargetPopulationFactory(programme=cast.programme, name="Zèbres")
    EnrolmentFactory(agent=cast.team[0], population=other)
    _give_targets(cast, cast.team[:5])
    left = cast.team[4].enrolments.get()
    left.end_date = TODAY - DAY
    left.start_date = TODAY - 10 * DAY
    left.save()
    response = _dashboard(client, cast.staff, cast)
    counts = {f.population.name: f.count for f in response.context["board"].personal}
    assert counts == {"Assistants": 4, "Zèbres": 1}


def test_dashboard_without_personal_targets_has_no_section(client, cast):
    response = _dashboard(client, cast.owner, cast)
    assert response.context["board"].personal == []
    assert "Objectifs personnels" not in response.content.decode()


def test_dashboard_query_count_is_pinned_with_personal_targets(
    client, cast, django_assert_num_queries
):
    from tests.agents.factories import AgentFactory
    from tests.programmes.steering.test_dashboard import DASHBOARD_QUERIES

    _give_targets(cast, cast.team)
    stats.population_stats_refresh(population=cast.population, on=TODAY)
    client.force_login(cast.owner)
    url = reverse("programmes:dashboard", kwargs={"slug": cast.programme.slug})
    with django_assert_num_queries(DASHBOARD_QUERIES):
        assert client.get(url).status_code == 200
    for _n in range(20):
        agent = AgentFactory()
        EnrolmentFactory(agent=agent, population=cast.population)
        _give_targets(cast, [agent], code="2.1")
        _give_targets(cast, [agent], code="3.1")
    with django_assert_num_queries(DASHBOARD_QUERIES):
        assert client.get(url).status_code == 200


def _export(client, user, cast, fmt):
    client.force_login(user)
    return client.get(
        reverse("programmes:dashboard_export", kwargs={"slug": cast.programme.slug, "fmt": fmt})
    )


def test_dashboard_exports_carry_the_personal_targets_within_the_privacy_rules(client, cast):
    _give_targets(cast, cast.team[:5], levels=(4, 5))
    csv_text = _export(client, cast.owner, cast, "csv").content.decode("utf-8-sig")
    assert "Objectifs personnels;" in csv_text or "Objectifs personnels\r\n" in csv_text
    assert "Assistants;5" in csv_text
    assert "Objectifs personnels par compétence — Assistants" in csv_text
    assert "4,4" in csv_text

    from io import BytesIO

    from openpyxl import load_workbook

    workbook = load_workbook(BytesIO(_export(client, cast.owner, cast, "xlsx").content))
    cells = [
        str(cell.value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]
    assert "Objectifs personnels par compétence — Assistants" in cells


def test_dashboard_exports_hide_fewer_than_5_agents_for_owners(client, cast):
    _give_targets(cast, cast.team[:3], levels=(6,))
    csv_text = _export(client, cast.owner, cast, "csv").content.decode("utf-8-sig")
    assert "Assistants;moins de 5" in csv_text
    assert "Objectifs personnels par compétence" not in csv_text


def test_dashboard_exports_without_personal_targets_have_no_such_table(client, cast):
    csv_text = _export(client, cast.owner, cast, "csv").content.decode("utf-8-sig")
    assert "Objectifs personnels" not in csv_text
