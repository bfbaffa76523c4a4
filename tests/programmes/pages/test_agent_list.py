"""The agents list (« Agents »): whom each user sees there, in which order and how many,
whichever way the page is read (selectors.agent_directory): a small list sorted among its
ids, a large one walked along the name index (each agent probed, or past the first pages
its enrolled agents hashed), a search."""

import pytest
from django.urls import reverse

from agents.models import Agent
from programmes import selectors
from tests.agents.factories import AgentFactory, UserFactory
from tests.programmes.factories import EnrolmentFactory, TargetPopulationFactory

URL = reverse("programmes:agent_list")


@pytest.fixture
def crowd(matrix_cast):
    """The matrix cast, with names of every case (and a name shared by several agents), a
    second programme's agents, an ambassador who is also a manager, and a former enrolment
    (one who left the population stays on the list, as on the agent's page)."""
    cast = matrix_cast
    for last, first in [("de la Tour", "Zoé"), ("Dupont", "anne"), ("dupont", "Bruno"),
                        ("DUPONT", "Anne"), ("Élie", "Marc"), ("Zola", "Émile")]:  # fmt: skip
        EnrolmentFactory(agent=AgentFactory(last_name=last, first_name=first),
                         population=cast.population)  # fmt: skip
    for _ in range(3):
        EnrolmentFactory(agent=AgentFactory(last_name="Dupont"), population=cast.population_b)
    left = EnrolmentFactory(agent=AgentFactory(last_name="Parti"), population=cast.population)
    left.end_date = left.start_date
    left.save()
    # Enrolled several times: back in the population after leaving it, and in another of
    # the programme's populations (several enrolments, one agent).
    EnrolmentFactory(agent=left.agent, population=cast.population)
    EnrolmentFactory(agent=left.agent, population=cast.other_population)
    for agent in Agent.objects.filter(last_name__in=["Dupont", "dupont", "DUPONT"]):
        EnrolmentFactory(agent=agent, population=cast.other_population)
    # An ambassador of a population who manages a small team of their own.
    leader = AgentFactory(user=UserFactory(), last_name="Chef")
    AgentFactory.create_batch(2, manager=leader)
    cast.population.ambassadors.add(leader.user)
    cast.leader = leader.user
    return cast


def _users(cast):
    return {
        "owner": cast.owner,
        "ambassador": cast.ambassador,
        "single_ambassador": cast.single_ambassador,
        "leader": cast.leader,
        "manager": cast.manager,
        "agent": cast.agent,
        "other_owner": cast.other_owner,
        "staff": cast.staff,
        "outsider": cast.outsider,
    }


def _by_name(agents):
    return [
        a.pk
        for a in sorted(agents, key=lambda a: (a.last_name.lower(), a.first_name.lower(), a.pk))
    ]


def _pages(client, user, **params):
    """Every agent of the list, page after page, as the pages show them; and the count."""
    client.force_login(user)
    shown, page, count = [], 1, None
    while True:
        response = client.get(URL, {**params, "page": page})
        assert response.status_code == 200
        page_obj = response.context["page_obj"]
        count = page_obj.paginator.count
        shown += [agent.pk for agent in page_obj]
        if not page_obj.has_next():
            return shown, count
        page += 1


@pytest.mark.parametrize(
    "role",
    [
        "owner",
        "ambassador",
        "single_ambassador",
        "leader",
        "manager",
        "agent",
        "other_owner",
        "staff",
        "outsider",
    ],  # fmt: skip
)
def test_each_user_sees_their_agents_by_name_and_counted_once(crowd, role):
    user = _users(crowd)[role]
    visible = list(selectors.visible_agents(user))
    assert len({a.pk for a in visible}) == len(visible)  # each once
    assert selectors.visible_agent_count(user) == len(visible)
    directory = selectors.agent_directory(user)
    assert (directory.count, directory.more) == (len(visible), False)
    assert [a.pk for a in directory.agents] == _by_name(visible)


@pytest.mark.parametrize(
    "role", ["owner", "ambassador", "leader", "manager", "agent", "staff", "outsider"]
)
def test_the_count_up_to_a_bound_is_exact_below_it_and_one_more_past_it(crowd, role):
    user = _users(crowd)[role]
    exact = selectors.visible_agents(user).count()
    for up_to in range(exact + 2):
        assert selectors.visible_agent_count(user, up_to=up_to) == min(exact, up_to + 1)


def test_past_the_counted_bound_the_list_says_more_and_shows_the_first_by_name(
    client, crowd, settings, monkeypatch
):
    settings.PAGINATION_PAGE_SIZE = 2
    monkeypatch.setattr(selectors, "AGENTS_COUNTED_UP_TO", 5)
    expected = _by_name(selectors.visible_agents(crowd.ambassador))
    assert len(expected) > 5
    assert _pages(client, crowd.ambassador) == (expected[:5], 5)
    html = client.get(URL).content.decode()
    assert "Plus de 5 agents : les 5 premiers par nom, la recherche trouve les autres" in html
    # A search still finds every one.
    last = Agent.objects.get(pk=expected[-1])
    found, _count = _pages(client, crowd.ambassador, q=last.last_name)
    assert last.pk in found


def test_the_list_is_the_same_walked_along_the_index_probed_or_hashed(
    client, crowd, settings, monkeypatch
):
    settings.PAGINATION_PAGE_SIZE = 3
    for role, user in _users(crowd).items():
        expected = _by_name(selectors.visible_agents(user))
        monkeypatch.setattr(selectors, "AGENTS_SORTED_UP_TO", 10_000)
        assert _pages(client, user) == (expected, len(expected)), f"{role}, sorted"
        monkeypatch.setattr(selectors, "AGENTS_SORTED_UP_TO", 0)  # every list walked
        assert _pages(client, user) == (expected, len(expected)), f"{role}, walked"
        monkeypatch.setattr(selectors, "AGENT_PAGES_PROBED", 0)  # hashed from page 1
        assert _pages(client, user) == (expected, len(expected)), f"{role}, hashed"
        monkeypatch.setattr(selectors, "AGENT_PAGES_PROBED", 5)


def test_a_search_keeps_the_order_and_the_scope(client, crowd, settings):
    settings.PAGINATION_PAGE_SIZE = 2
    expected = _by_name(
        a for a in selectors.visible_agents(crowd.ambassador) if a.last_name.lower() == "dupont"
    )
    assert len(expected) == 3  # programme B's Duponts are not theirs
    assert _pages(client, crowd.ambassador, q="dupont") == (expected, 3)
    names = [Agent.objects.get(pk=pk).first_name.lower() for pk in expected]
    assert names == ["anne", "anne", "bruno"]


def test_the_names_sort_without_regard_to_case(client, crowd):
    client.force_login(crowd.ambassador)
    names = [a.last_name.lower() for a in client.get(URL).context["page_obj"]]
    assert names == sorted(names)
    assert "de la tour" in names and names.index("de la tour") < names.index("dupont")


@pytest.mark.parametrize("page", ["", "abc", "-1", "0", "999", "2.5", "1e9"])
def test_any_page_number_answers_a_page(client, crowd, monkeypatch, page):
    monkeypatch.setattr(selectors, "AGENTS_SORTED_UP_TO", 0)
    client.force_login(crowd.owner)
    assert client.get(URL, {"page": page}).status_code == 200


def test_the_agents_list_queries_are_pinned_whatever_its_size_and_way(
    client, crowd, monkeypatch, django_assert_num_queries
):
    """Session, user, the menu's roles, the HR permission (two), the user's populations, their
    agents' ids (counted, and a small list's page read by them), the page."""
    client.force_login(crowd.ambassador)
    monkeypatch.setattr(selectors, "AGENTS_SORTED_UP_TO", 0)
    with django_assert_num_queries(9):
        assert client.get(URL).status_code == 200
    with django_assert_num_queries(9):
        assert client.get(URL, {"page": 9}).status_code == 200  # hashed
    monkeypatch.setattr(selectors, "AGENTS_SORTED_UP_TO", 10_000)
    with django_assert_num_queries(9):
        assert client.get(URL).status_code == 200
    population = TargetPopulationFactory(programme=crowd.programme)
    population.ambassadors.add(crowd.ambassador)
    EnrolmentFactory.create_batch(5, population=population)
    with django_assert_num_queries(9):
        assert client.get(URL).status_code == 200
