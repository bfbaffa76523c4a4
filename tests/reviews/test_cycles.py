"""Review cycles for the owner: opening a year's round (one sheet per enrolled agent, its
manager captured), keeping it in step, who may do it, and the cycle's progress per service
with the small-group rule and the year-on-year share at target."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from agents.models import Agent
from programmes.models import Enrolment, PopulationStat
from reviews import services_cycles
from reviews.models import Review, ReviewCycle, ReviewState
from tests.agents.factories import AgentFactory, OrgUnitFactory
from tests.programmes.factories import EnrolmentFactory, TargetPopulationFactory
from tests.reviews.factories import ReviewCycleFactory, ReviewFactory

OCT_1, DEC_31 = datetime.date(2026, 10, 1), datetime.date(2026, 12, 31)


def _open(cast, year=2026, opens_on=OCT_1, closes_on=DEC_31):
    return services_cycles.cycle_open(
        programme=cast.programme, year=year, opens_on=opens_on, closes_on=closes_on, by=cast.owner
    )


# --- Opening rules -----------------------------------------------------------------------


def test_opening_creates_one_sheet_to_prepare_per_enrolled_agent_led_by_their_manager(cast):
    cycle = _open(cast)
    reviews = Review.objects.filter(cycle=cycle)
    assert sorted(r.agent_id for r in reviews) == sorted(a.pk for a in cast.team)
    assert {r.state for r in reviews} == {ReviewState.TO_PREPARE}
    assert {r.manager_id for r in reviews} == {cast.manager_agent.pk}
    assert cycle.opened_by == cast.owner


def test_agent_in_two_populations_gets_one_sheet(cast):
    EnrolmentFactory(
        agent=cast.agent_agent, population=TargetPopulationFactory(programme=cast.programme)
    )
    cycle = _open(cast)
    assert Review.objects.filter(cycle=cycle, agent=cast.agent_agent).count() == 1
    assert cycle.reviews.count() == len(cast.team)


def test_agents_no_longer_or_not_yet_enrolled_and_other_programmes_get_no_sheet(cast):
    Enrolment.objects.filter(agent=cast.team[1]).update(
        start_date=datetime.date(2020, 1, 1), end_date=datetime.date(2021, 1, 1)
    )
    Enrolment.objects.filter(agent=cast.team[2]).update(start_date=datetime.date(2099, 1, 1))
    cycle = _open(cast)
    agents = set(cycle.reviews.values_list("agent_id", flat=True))
    assert cast.team[1].pk not in agents and cast.team[2].pk not in agents
    assert cast.stranger_agent.pk not in agents
    assert len(agents) == len(cast.team) - 2


def test_manager_is_the_one_at_opening_and_stays_when_the_agent_moves(cast):
    cycle = _open(cast)
    new_manager = AgentFactory()
    Agent.objects.filter(pk=cast.agent_agent.pk).update(manager=new_manager)
    services_cycles.cycle_sync(cycle=cycle)
    review = Review.objects.get(cycle=cycle, agent=cast.agent_agent)
    assert review.manager_id == cast.manager_agent.pk


def test_agent_without_manager_gets_a_sheet_without_manager_then_one_once_known(cast):
    Agent.objects.filter(pk=cast.team[3].pk).update(manager=None)
    cycle = _open(cast)
    review = Review.objects.get(cycle=cycle, agent=cast.team[3])
    assert review.manager is None
    Agent.objects.filter(pk=cast.team[3].pk).update(manager=cast.manager_agent)
    assert services_cycles.cycle_sync(cycle=cycle) == 0
    review.refresh_from_db()
    assert review.manager_id == cast.manager_agent.pk


def test_sync_adds_agents_enrolled_since_and_is_idempotent_and_never_removes(cast):
    cycle = _open(cast)
    newcomer = AgentFactory(manager=cast.manager_agent)
    EnrolmentFactory(agent=newcomer, population=cast.population)
    Enrolment.objects.filter(agent=cast.team[1]).update(
        start_date=datetime.date(2000, 1, 1), end_date=datetime.date(2000, 1, 2)
    )
    assert services_cycles.cycle_sync(cycle=cycle) == 1
    assert services_cycles.cycle_sync(cycle=cycle) == 0
    agents = set(cycle.reviews.values_list("agent_id", flat=True))
    assert newcomer.pk in agents and cast.team[1].pk in agents
    assert len(agents) == len(cast.team) + 1


def test_year_is_unique_per_programme(cast):
    _open(cast)
    with pytest.raises(ValidationError):
        _open(cast, opens_on=datetime.date(2026, 11, 1))
    assert ReviewCycle.objects.filter(programme=cast.programme).count() == 1
    ReviewCycleFactory(year=2026)  # another programme may have its own 2026 cycle


def test_closing_before_opening_is_refused_and_creates_nothing(cast):
    with pytest.raises(ValidationError):
        _open(cast, opens_on=DEC_31, closes_on=OCT_1)
    assert not ReviewCycle.objects.exists()
    assert not Review.objects.exists()


# --- The pages: permissions and the form -------------------------------------------------


def _post_open(client, cast, **data):
    values = {"year": "2026", "opens_on": "2026-10-01", "closes_on": "2026-12-31"} | data
    return client.post(reverse("reviews:cycle_list", kwargs={"slug": cast.programme.slug}), values)


def test_owner_opens_a_cycle_from_the_form(client, cast):
    client.force_login(cast.owner)
    response = _post_open(client, cast)
    cycle = ReviewCycle.objects.get(programme=cast.programme)
    assert response.status_code == 302
    assert response.url == reverse("reviews:cycle_detail", kwargs={"pk": cycle.pk})
    assert cycle.reviews.count() == len(cast.team)


@pytest.mark.parametrize(
    "data,message",
    [
        ({"closes_on": "2026-09-30"}, "La date de clôture doit être postérieure"),
        ({"opens_on": "31/31/2026"}, "Saisissez une date valide"),
        ({"year": "26"}, "Indiquez une année entre 2000 et 2100."),
    ],
)
def test_bad_input_is_refused_with_a_french_message_and_nothing_changes(
    client, cast, data, message
):
    client.force_login(cast.owner)
    response = _post_open(client, cast, **data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ReviewCycle.objects.exists()


def test_a_second_cycle_the_same_year_is_refused_in_the_form(client, cast):
    client.force_login(cast.owner)
    _post_open(client, cast)
    response = _post_open(client, cast, opens_on="2026-11-01")
    assert response.status_code == 200
    assert "Une campagne d’entretiens 2026 existe déjà" in response.content.decode()
    assert ReviewCycle.objects.count() == 1


@pytest.mark.parametrize(
    "role,status", [("ambassador", 403), ("manager", 404), ("agent", 404), ("outsider", 404)]
)
def test_only_owners_and_staff_open_or_sync_cycles(client, cast, role, status):
    client.force_login(getattr(cast, role))
    assert _post_open(client, cast).status_code == status
    assert not ReviewCycle.objects.exists()
    cycle = ReviewCycleFactory(programme=cast.programme)
    url = reverse("reviews:cycle_sync", kwargs={"pk": cycle.pk})
    assert client.post(url).status_code == status
    assert not cycle.reviews.exists()


def test_staff_opens_a_cycle(client, cast):
    client.force_login(cast.staff)
    assert _post_open(client, cast).status_code == 302


def test_owner_syncs_from_the_progress_page(client, cast):
    cycle = _open(cast)
    newcomer = AgentFactory(manager=cast.manager_agent)
    EnrolmentFactory(agent=newcomer, population=cast.population)
    client.force_login(cast.owner)
    response = client.post(reverse("reviews:cycle_sync", kwargs={"pk": cycle.pk}), follow=True)
    assert "1 fiche(s) ajoutée(s)" in response.content.decode()
    assert cycle.reviews.filter(agent=newcomer).exists()


def test_programme_page_links_to_the_cycles_for_owners_only(client, cast):
    url = reverse("programmes:programme_detail", kwargs={"slug": cast.programme.slug})
    cycles_url = reverse("reviews:cycle_list", kwargs={"slug": cast.programme.slug})
    client.force_login(cast.owner)
    assert cycles_url in client.get(url).content.decode()
    client.force_login(cast.ambassador)
    assert cycles_url not in client.get(url).content.decode()


def test_header_shows_the_reviews_entry_to_owners_managers_and_agents(client, cast):
    index = reverse("reviews:cycle_index")
    mine = reverse("reviews:my_reviews")
    # An agent's « Entretiens » lands on their own sheets, not on the campaigns others run.
    for role, target in [
        ("owner", index),
        ("manager", index),
        ("agent", mine),
        ("ambassador", None),
    ]:
        client.force_login(getattr(cast, role))
        page = client.get(reverse("programmes:population_list")).content.decode()
        entries = re.findall(r'<a class="fr-nav__link" href="([^"]*)"[^>]*>Entretiens</a>', page)
        assert entries == ([target] if target else []), role


def test_index_tells_each_role_only_what_it_does(client, cast):
    _open(cast)
    for role, runs in [("owner", True), ("manager", False), ("agent", False)]:
        client.force_login(getattr(cast, role))
        page = client.get(reverse("reviews:cycle_index")).content.decode()
        assert ("que vous pilotez" in page) is runs, role
        assert "où vous avez une fiche" in page, role


def test_index_lists_the_cycles_of_each_role(client, cast):
    mine = _open(cast)
    elsewhere = ReviewCycleFactory(year=2030)
    detail = reverse("reviews:cycle_detail", kwargs={"pk": mine.pk})
    client.force_login(cast.owner)
    page = client.get(reverse("reviews:cycle_index")).content.decode()
    assert detail in page and "Entretiens 2030" not in page
    team = reverse("reviews:cycle_team", kwargs={"pk": mine.pk})
    assert team not in page
    client.force_login(cast.agent)
    page = client.get(reverse("reviews:cycle_index")).content.decode()
    assert "Entretiens 2026" in page and detail not in page and team not in page
    assert reverse("reviews:my_reviews") in page
    client.force_login(cast.manager)
    page = client.get(reverse("reviews:cycle_index")).content.decode()
    assert team in page and detail not in page
    client.force_login(cast.outsider)
    page = client.get(reverse("reviews:cycle_index")).content.decode()
    assert "Aucune campagne d’entretiens ne vous concerne" in page
    assert elsewhere.programme.name not in page


# --- Progress per service ----------------------------------------------------------------


def _cycle_with_services(cast, *, big=6, small=2):
    """A cycle with a big service (states spread) and a small one; returns it and both."""
    cycle = ReviewCycleFactory(programme=cast.programme)
    big_unit, small_unit = OrgUnitFactory(name="Bureau A"), OrgUnitFactory(name="Bureau B")
    states = [
        ReviewState.TO_PREPARE,
        ReviewState.PREPARED,
        ReviewState.SHARED,
        ReviewState.HELD,
        ReviewState.CLOSED,
        ReviewState.HELD,
    ]
    # Surnames no page shows otherwise (a drawn one could be the owner's first name).
    for n in range(big):
        ReviewFactory(
            cycle=cycle,
            agent=AgentFactory(
                org_unit=big_unit, manager=cast.manager_agent, last_name=f"Fichebig{n}"
            ),
            state=states[n % len(states)],
        )
    for n in range(small):
        ReviewFactory(
            cycle=cycle,
            agent=AgentFactory(org_unit=small_unit, last_name=f"Fichesmall{n}"),
            state="held",
        )
    return cycle


def _detail(client, user, cycle, page=None):
    client.force_login(user)
    url = reverse("reviews:cycle_detail", kwargs={"pk": cycle.pk})
    return client.get(url, {"page": page} if page else {})


def _rows(progress):
    """{name: row} of every line below the overall one."""
    rows = {}
    for group in progress.groups:
        rows[group.row.name] = group.row
        for service in group.services:
            rows[service.name] = service
    return rows


def test_overall_line_counts_every_sheet_and_small_services_are_hidden(client, cast):
    cycle = _cycle_with_services(cast)
    response = _detail(client, cast.owner, cycle)
    progress = response.context["progress"]
    assert progress.overall.states == [1, 1, 1, 4, 1] and progress.overall.total == 8
    assert progress.overall.total == cycle.reviews.count()
    rows = _rows(progress)
    assert rows["Bureau B"].hidden and rows["Bureau B"].states == ["moins de 5"] * 5
    assert rows["Bureau B"].done_percent is None
    # 8 overall minus 6 would tell Bureau B's 2 sheets: Bureau A is hidden too.
    assert rows["Bureau A"].hidden and rows["Bureau A"].total == "moins de 5"
    assert progress.hidden_services == 2
    page = response.content.decode()
    assert page.index('id="progress-overall"') < page.index("Bureau A")
    assert "moins de 5" in page and 'id="progress-privacy-rule"' in page
    # No names: owners see counts only.
    for review in cycle.reviews.select_related("agent"):
        assert review.agent.last_name not in page


def _sheets(cycle, unit, count, state=ReviewState.TO_PREPARE):
    for _n in range(count):
        ReviewFactory(cycle=cycle, agent=AgentFactory(org_unit=unit), state=state)


def _org(cycle, layout):
    """Under one regional direction, pôles with their services and sheets:
    {pôle: {service: count}}; a service named like its pôle is the pôle itself."""
    root = OrgUnitFactory(name="Direction régionale", kind="direction")
    for pole_name, services in layout.items():
        pole = OrgUnitFactory(name=pole_name, parent=root)
        for name, count in services.items():
            unit = pole if name == pole_name else OrgUnitFactory(name=name, parent=pole)
            _sheets(cycle, unit, count)
    return root


def test_small_services_are_rolled_up_into_their_pole(client, cast):
    cycle = ReviewCycleFactory(programme=cast.programme)
    _org(
        cycle,
        {"Pôle travail": {"Inspection A": 3, "Inspection B": 3, "Appui": 6}, "Pôle T": {"T": 7}},
    )
    progress = _detail(client, cast.owner, cycle).context["progress"]
    assert progress.overall.total == 19
    # The roll-up is at the pôles, below what every service has in common.
    assert [g.row.name for g in progress.groups] == ["Pôle T", "Pôle travail"]
    travail = progress.groups[1]
    assert travail.row.total == 12 and not travail.row.hidden
    rows = _rows(progress)
    assert rows["Inspection A"].hidden and rows["Inspection B"].hidden
    assert rows["Appui"].total == 6
    assert rows["T"].total == 7


def test_one_small_service_of_a_pole_cannot_be_found_by_subtraction(client, cast):
    cycle = ReviewCycleFactory(programme=cast.programme)
    _org(cycle, {"Pôle P": {"Petit": 2, "Moyen": 6, "Grand": 7}, "Pôle Q": {"Q": 8}})
    progress = _detail(client, cast.owner, cycle).context["progress"]
    rows = _rows(progress)
    assert rows["Pôle P"].total == 15
    assert rows["Petit"].hidden and rows["Moyen"].hidden  # 15 - 7 = 8 sheets, not 2
    assert rows["Grand"].total == 7


def test_a_small_pole_hides_another_and_all_its_services(client, cast):
    cycle = ReviewCycleFactory(programme=cast.programme)
    _org(cycle, {"Pôle P": {"P1": 8, "P2": 7}, "Pôle Q": {"Q1": 3}, "Pôle R": {"R1": 6}})
    progress = _detail(client, cast.owner, cycle).context["progress"]
    rows = _rows(progress)
    assert progress.overall.total == 24
    assert rows["Pôle Q"].hidden and rows["Q1"].hidden
    assert rows["Pôle R"].hidden and rows["R1"].hidden  # else 24 - 15 - 6 = Q's 3
    assert rows["Pôle P"].total == 15 and rows["P1"].total == 8


def test_agents_of_the_pole_itself_have_their_own_line(client, cast):
    cycle = ReviewCycleFactory(programme=cast.programme)
    _org(cycle, {"Pôle P": {"Pôle P": 5, "Bureau": 5}, "Pôle Q": {"Pôle Q": 6}})
    progress = _detail(client, cast.owner, cycle).context["progress"]
    pole_p, pole_q = progress.groups
    assert [s.name for s in pole_p.services] == ["Pôle P (rattachement direct)", "Bureau"]
    assert pole_q.services == []  # a single unit: one line


def _residuals_are_safe(progress):
    """Whatever the total minus the lines shown tells is nothing or at least 5 sheets."""
    levels = [(progress.overall, [g.row for g in progress.groups])]
    levels += [(g.row, g.services) for g in progress.groups if not g.row.hidden and g.services]
    for whole, parts in levels:
        hidden = sum(part.size for part in parts if part.hidden)
        assert hidden == 0 or hidden >= 5, (whole.name, hidden)


@pytest.mark.parametrize(
    "layout",
    [
        {"A": {"a1": 1, "a2": 9}, "B": {"b1": 4}, "C": {"c1": 12, "c2": 1, "c3": 5}},
        {"A": {"a1": 4, "a2": 4, "a3": 4}, "B": {"b1": 5}},
        {"A": {"a1": 5, "a2": 5, "a3": 1}, "B": {"b1": 1}, "C": {"c1": 3, "c2": 3}},
    ],
)
def test_totals_add_up_to_every_sheet_and_nothing_small_is_told_by_difference(client, cast, layout):
    cycle = ReviewCycleFactory(programme=cast.programme)
    _org(cycle, layout)
    progress = _detail(client, cast.owner, cycle).context["progress"]
    assert progress.overall.size == cycle.reviews.count()
    assert sum(g.row.size for g in progress.groups) == progress.overall.size
    for group in progress.groups:
        assert sum(s.size for s in group.services) == group.row.size
        for service in group.services:
            assert service.hidden or service.size >= 5
    _residuals_are_safe(progress)


def test_a_campaign_of_fewer_than_five_sheets_shows_no_figure(client, cast):
    cycle = ReviewCycleFactory(programme=cast.programme)
    _sheets(cycle, OrgUnitFactory(), 3)
    response = _detail(client, cast.owner, cycle)
    assert response.context["progress"].overall.hidden
    assert 'id="without-manager"' not in response.content.decode()


def test_progress_shows_every_figure_under_the_managerial_purpose(client, managerial_cast):
    cycle = _cycle_with_services(managerial_cast)
    response = _detail(client, managerial_cast.owner, cycle)
    rows = _rows(response.context["progress"])
    assert rows["Bureau B"].states == [0, 0, 0, 2, 0]
    assert rows["Bureau A"].total == 6
    assert response.context["progress"].overall.total == 8


def test_staff_sees_every_figure(client, cast):
    cycle = _cycle_with_services(cast)
    response = _detail(client, cast.staff, cycle)
    assert response.context["progress"].overall.total == 8
    assert response.context["progress"].hidden_services == 0


def test_sheets_without_manager_are_counted_apart(client, cast):
    Agent.objects.filter(pk__in=[a.pk for a in cast.team[:2]]).update(manager=None)
    cycle = _open(cast)
    _sheets(cycle, None, 3)  # with the team, more than 5 sheets
    response = _detail(client, cast.owner, cycle)
    assert response.context["progress"].without_manager == 5
    assert "5 fiches sans encadrant" in response.content.decode()


def test_poles_are_paginated(client, cast):
    cycle = ReviewCycleFactory(programme=cast.programme)
    for _n in range(55):
        ReviewFactory(cycle=cycle, agent=AgentFactory())
    first = _detail(client, cast.owner, cycle)
    assert len(first.context["page_obj"]) == 50
    assert first.context["progress"].overall.total == 55
    assert first.context["progress"].hidden_services == 55
    assert len(_detail(client, cast.owner, cycle, page=2).context["page_obj"]) == 5


def test_a_large_org_chart_is_paginated_by_lines_and_a_pole_continued_is_named_again(
    client, managerial_cast, settings
):
    settings.PAGINATION_PAGE_SIZE = 4
    cycle = ReviewCycleFactory(programme=managerial_cast.programme)
    root = OrgUnitFactory(name="Ministère")
    for pole_name in ("Pôle A", "Pôle B"):
        pole = OrgUnitFactory(name=pole_name, parent=root)
        for n in range(3):
            unit = OrgUnitFactory(name=f"{pole_name} service {n}", parent=pole)
            ReviewFactory(cycle=cycle, agent=AgentFactory(org_unit=unit))

    first = _detail(client, managerial_cast.owner, cycle)
    second = _detail(client, managerial_cast.owner, cycle, page=2)

    # 2 pôles and 6 services: 8 lines, 4 a page; the second page starts among Pôle B's.
    assert [line.row.name for line in first.context["page_obj"]] == [
        "Pôle A",
        "Pôle A service 0",
        "Pôle A service 1",
        "Pôle A service 2",
    ]
    assert first.context["continued"] is None
    assert [line.row.name for line in second.context["page_obj"]] == [
        "Pôle B",
        "Pôle B service 0",
        "Pôle B service 1",
        "Pôle B service 2",
    ]
    settings.PAGINATION_PAGE_SIZE = 3
    third = _detail(client, managerial_cast.owner, cycle, page=2)
    assert third.context["continued"].name == "Pôle A"
    html = third.content.decode()
    assert "Pôle A</strong> (suite)" in html
    assert html.index("(suite)") < html.index("Pôle B")


# --- Year on year ------------------------------------------------------------------------


def _stat(population, on, enrolled, reached):
    """A stats row where every agent enrolled shared results."""
    PopulationStat.objects.create(
        population=population, on=on, enrolled=enrolled, shared=enrolled, reached=reached
    )


def test_year_on_year_takes_the_latest_row_of_each_year(client, cast):
    small = TargetPopulationFactory(programme=cast.programme, name="Bureau")
    _stat(cast.population, datetime.date(2024, 6, 30), 10, 1)
    _stat(cast.population, datetime.date(2024, 12, 31), 10, 4)
    _stat(cast.population, datetime.date(2025, 12, 31), 12, 9)
    _stat(small, datetime.date(2025, 12, 31), 3, 3)
    cycle = ReviewCycleFactory(programme=cast.programme)
    response = _detail(client, cast.owner, cycle)
    evolution = response.context["evolution"]
    assert [p.name for p in evolution.populations] == ["Assistants", "Bureau"]
    assert evolution.rows() == [(2024, ["40,0 %", "—"]), (2025, ["75,0 %", "moins de 5"])]
    page = response.content.decode()
    assert 'id="chart-year-on-year"' in page
    assert "75,0 %" in page


def test_year_on_year_shows_small_populations_under_the_managerial_purpose(client, managerial_cast):
    small = TargetPopulationFactory(programme=managerial_cast.programme, name="Bureau")
    _stat(small, datetime.date(2025, 12, 31), 3, 3)
    cycle = ReviewCycleFactory(programme=managerial_cast.programme)
    evolution = _detail(client, managerial_cast.owner, cycle).context["evolution"]
    assert evolution.rows() == [(2025, ["—", "100,0 %"])]


# --- Pinned queries ----------------------------------------------------------------------

# Session, user, the header's roles and agent (one query); then each page's own queries,
# the cycles' counts current (stored on the cycle: tests/reviews/test_cycle_counts.py pins
# the count again).
CYCLE_QUERIES = [
    # programme (scoped), is an owner, cycles count and page
    ("reviews:cycle_list", "owner", "slug", 7),
    # cycle (scoped), is an owner, org tree, populations, stats rows
    ("reviews:cycle_detail", "owner", "pk", 8),
    # cycles count and page, owned programmes
    ("reviews:cycle_index", "owner", None, 6),
    ("reviews:cycle_index", "manager", None, 6),  # the agent comes with the roles
]


@pytest.mark.parametrize("name,role,kwarg,expected", CYCLE_QUERIES)
def test_cycle_pages_query_counts_are_pinned_and_do_not_grow(
    client, cast, django_assert_num_queries, name, role, kwarg, expected
):
    cycle = _open(cast)
    _stat(cast.population, datetime.date(2025, 12, 31), 10, 4)
    kwargs = {"slug": {"slug": cast.programme.slug}, "pk": {"pk": cycle.pk}, None: {}}[kwarg]
    url = reverse(name, kwargs=kwargs)
    client.force_login(getattr(cast, role))
    client.get(url)  # the cycles' counts taken and stored
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200
    for n in range(30):
        agent = AgentFactory(org_unit=OrgUnitFactory(), manager=cast.manager_agent)
        EnrolmentFactory(agent=agent, population=cast.population)
        _stat(cast.population, datetime.date(2020 + n % 5, 1 + n % 12, 1), 10 + n, n)
    services_cycles.cycle_sync(cycle=cycle)
    ReviewCycleFactory(programme=cast.programme, year=2027)
    client.get(url)
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


def test_the_progress_page_counts_again_in_three_queries_once_a_sheet_changed(
    client, cast, django_assert_num_queries
):
    cycle = _open(cast)
    url = reverse("reviews:cycle_detail", kwargs={"pk": cycle.pk})
    client.force_login(cast.owner)
    client.get(url)
    services_cycles.sheets_changed(cycle.pk)
    # The 8 above, and the sheets' version, their count per unit, the counts stored.
    with django_assert_num_queries(8 + 3):
        assert client.get(url).status_code == 200


def test_year_on_year_hides_a_year_of_fewer_than_five_contributors(client, cast):
    PopulationStat.objects.create(
        population=cast.population, on=datetime.date(2025, 12, 31), enrolled=10, shared=2, reached=2
    )
    cycle = ReviewCycleFactory(programme=cast.programme)
    evolution = _detail(client, cast.owner, cycle).context["evolution"]
    assert evolution.rows() == [(2025, ["moins de 5"])]
