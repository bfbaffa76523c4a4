import pytest
from django.urls import reverse

from programmes.models import ResultAccessLog
from tests.agents.factories import AgentFactory
from tests.programmes.factories import (
    EnrolmentFactory,
    ProgrammeFactory,
    TargetPopulationFactory,
)


def _get(client, user, name, **kwargs):
    client.force_login(user)
    return client.get(reverse(name, kwargs=kwargs))


def test_owner_sees_programme_and_head_counts(client, cast):
    response = _get(client, cast.owner, "programmes:programme_detail", slug=cast.programme.slug)
    content = response.content.decode()
    assert "Programme Pix DR" in content
    assert "Auto-positionnement" in content
    assert "Assistants" in content


def test_owner_sees_no_figure_for_a_population_under_five_in_self_assessment(client, cast):
    small = TargetPopulationFactory(programme=cast.programme, name="Petit groupe")
    EnrolmentFactory.create_batch(3, population=small)
    response = _get(client, cast.owner, "programmes:programme_detail", slug=cast.programme.slug)
    rows = response.context["populations"]
    assert {p.name: p.enrolled_count for p in rows} == {"Assistants": 6, "Petit groupe": 3}
    assert "moins de 5" in response.content.decode()


def test_owner_sees_no_names_in_a_self_assessment_population(client, cast):
    response = _get(client, cast.owner, "programmes:population_detail", pk=cast.population.pk)
    assert not response.context["sees_individuals"]
    assert cast.agent_agent.last_name.upper() not in response.content.decode()


def test_owner_sees_names_under_the_managerial_purpose(client, managerial_cast):
    cast = managerial_cast
    response = _get(client, cast.owner, "programmes:population_detail", pk=cast.population.pk)
    assert response.context["sees_individuals"]
    assert cast.agent_agent.full_name in response.content.decode()


def test_ambassador_lists_and_searches_the_population(client, cast):
    client.force_login(cast.ambassador)
    url = reverse("programmes:population_detail", kwargs={"pk": cast.population.pk})
    response = client.get(url)
    assert len(response.context["page_obj"]) == 6
    response = client.get(url, {"q": cast.agent_agent.external_id})
    assert [e.agent for e in response.context["page_obj"]] == [cast.agent_agent]
    # The figures stay those of the whole population while searching.
    assert response.context["head_count"] == 6


def test_population_list_paginates(client, cast):
    for agent in AgentFactory.create_batch(60):
        EnrolmentFactory(agent=agent, population=cast.population)
    client.force_login(cast.ambassador)
    url = reverse("programmes:population_detail", kwargs={"pk": cast.population.pk})
    first = client.get(url)
    assert len(first.context["page_obj"]) == 50
    second = client.get(url, {"page": "2"})
    assert len(second.context["page_obj"]) == 16
    # The pages follow each other in the sort order, without overlap, each row annotated.
    names = [e.agent.pk for page in (first, second) for e in page.context["page_obj"]]
    assert len(set(names)) == 66
    assert all(e.progress for e in second.context["page_obj"])
    ascending = [
        (e.agent.last_name, e.agent.first_name)
        for page in (first, second)
        for e in page.context["page_obj"]
    ]
    descending = client.get(url, {"tri": "-nom"}).context["page_obj"]
    assert [(e.agent.last_name, e.agent.first_name) for e in descending] == ascending[::-1][:50]
    assert client.get(url, {"page": "nonsense"}).status_code == 200


def test_manager_team_page_lists_reports_and_suppresses_small_counts(client, cast):
    response = _get(client, cast.manager, "programmes:team")
    assert response.context["team_size"] == 6
    (row,) = response.context["programme_rows"]
    # Six enrolled: their number shows; nobody shared results: their statuses do not.
    assert row["enrolled"] == 6 and not row["enrolled_suppressed"] and row["suppressed"]
    cast.team[0].enrolments.all().delete()
    cast.team[1].enrolments.all().delete()
    response = _get(client, cast.manager, "programmes:team")
    (row,) = response.context["programme_rows"]
    assert row["enrolled"] == 4 and row["enrolled_suppressed"]
    assert "moins de 5" in response.content.decode()


def test_manager_team_page_counts_statuses_and_hides_them_under_five(client, cast):
    from tests.campaigns.factories import ParticipationFactory

    participation = ParticipationFactory(agent=cast.agent_agent)
    cast.programme.campaigns.add(participation.campaign)
    response = _get(client, cast.manager, "programmes:team")
    (row,) = response.context["programme_rows"]
    # Not started, in progress, stalled, reached: one of the six has begun.
    assert row["statuses"][0] == 5
    assert sum(row["statuses"]) == 6
    for member in cast.team[:2]:
        member.enrolments.all().delete()
    response = _get(client, cast.manager, "programmes:team")
    (row,) = response.context["programme_rows"]
    assert row["suppressed"]
    assert "moins de 5" in response.content.decode()


def test_agent_page_shows_targets_and_purpose_notice(client, cast):
    response = _get(client, cast.agent, "programmes:my_page")
    content = response.content.decode()
    assert "Programme Pix DR" in content
    assert "auto-positionnement" in content
    assert "niveau 3" in content


def test_viewing_another_agent_results_is_logged_but_not_ones_own(client, cast):
    _get(client, cast.ambassador, "programmes:agent_detail", pk=cast.agent_agent.pk)
    _get(client, cast.agent, "programmes:agent_detail", pk=cast.agent_agent.pk)
    logs = list(ResultAccessLog.objects.values_list("viewer", "agent"))
    assert logs == [(cast.ambassador.pk, cast.agent_agent.pk)]


def test_manager_opening_an_agent_in_self_assessment_sees_no_results_and_is_not_logged(
    client, cast
):
    response = _get(client, cast.manager, "programmes:agent_detail", pk=cast.agent_agent.pk)
    assert [row.results_visible for row in response.context["rows"]] == [False]
    assert not ResultAccessLog.objects.exists()


def test_logout_is_a_post_and_ends_the_session(client, cast):
    client.force_login(cast.agent)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("programmes:my_page")).status_code == 302


def test_login_with_email_and_password_lands_on_role_home(client, cast):
    response = client.post(
        reverse("login"),
        {"username": cast.agent.email, "password": "mot-de-passe-de-test-2026"},
    )
    assert response.status_code == 302
    assert client.get(response.url).url == reverse("programmes:my_page")


def test_wrong_password_gives_a_french_message(client, cast):
    response = client.post(reverse("login"), {"username": cast.agent.email, "password": "x"})
    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect" in response.content.decode()


def test_login_ignores_the_case_of_the_email(client, cast):
    response = client.post(
        reverse("login"),
        {"username": cast.agent.email.upper(), "password": "mot-de-passe-de-test-2026"},
    )
    assert response.status_code == 302


def test_password_reset_sends_a_french_mail(client, cast, mailoutbox):
    client.post(reverse("password_reset"), {"email": cast.agent.email})
    assert len(mailoutbox) == 1
    assert "nouveau mot de passe" in mailoutbox[0].subject


# Pinned query counts: session, user, roles and agent (one), then the page's own queries.
QUERY_COUNTS = [
    ("programmes:programme_list", "owner", None, 4),
    ("programmes:programme_detail", "owner", "programme", 11),
    ("programmes:population_list", "ambassador", None, 4),
    ("programmes:population_detail", "ambassador", "population", 9),  # ids, then rows
    ("programmes:team", "manager", None, 8),  # 8: the team's review sheets (one query)
    ("programmes:my_page", "agent", None, 17),  # targets with competence, campaign: one
    # 9: the HR permission (user and group permissions) decides the « Importer » button;
    # the user's populations, their agents' ids, the page
    # (tests/programmes/pages/test_agent_list.py).
    ("programmes:agent_list", "ambassador", None, 9),
    # 14: no review sheet is read for a viewer who is no agent (none is theirs to open).
    ("programmes:agent_detail", "ambassador", "agent", 14),
]


@pytest.mark.parametrize("name,role,target,expected", QUERY_COUNTS)
def test_page_query_count_is_pinned_and_does_not_grow_with_the_data(
    client, cast, django_assert_num_queries, name, role, target, expected
):
    kwargs = {
        None: {},
        "programme": {"slug": cast.programme.slug},
        "population": {"pk": cast.population.pk},
        "agent": {"pk": cast.agent_agent.pk},
    }[target]
    client.force_login(getattr(cast, role))
    url = reverse(name, kwargs=kwargs)
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200
    for agent in AgentFactory.create_batch(40, manager=cast.manager_agent):
        EnrolmentFactory(agent=agent, population=cast.population)
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


def test_team_size_is_the_whole_team_even_while_searching(client, cast):
    client.force_login(cast.manager)
    response = client.get(reverse("programmes:team"), {"q": cast.agent_agent.external_id})
    assert response.context["team_size"] == 6
    assert [agent.pk for agent in response.context["page_obj"]] == [cast.agent_agent.pk]


def test_team_page_lists_the_whole_tree_by_name_whatever_the_case_and_pages_it(
    client, cast, settings
):
    """Three levels under the manager, names in mixed case: the pages hold every report once,
    by last then first name ignoring case (as the name index), ties by id; a search keeps
    the team's size and finds across levels."""
    settings.PAGINATION_PAGE_SIZE = 4
    head = AgentFactory(manager=cast.manager_agent, last_name="martin", first_name="Zoé")
    middle = AgentFactory(manager=head, last_name="Martin", first_name="anne")
    leaves = [
        AgentFactory(manager=middle, last_name=last, first_name=first)
        for last, first in [("ABEL", "Luc"), ("abel", "Ali"), ("Zidane", "Bo"), ("abel", "Ali")]
    ]
    client.force_login(cast.manager)
    url = reverse("programmes:team")
    first = client.get(url)
    team = [*cast.team, head, middle, *leaves]
    assert first.context["team_size"] == len(team)
    shown = []
    for number in range(1, first.context["page_obj"].paginator.num_pages + 1):
        shown += [agent.pk for agent in client.get(url, {"page": number}).context["page_obj"]]
    expected = sorted(team, key=lambda a: (a.last_name.lower(), a.first_name.lower(), a.pk))
    assert shown == [agent.pk for agent in expected]
    found = client.get(url, {"q": "ABEL ali"})
    assert found.context["team_size"] == len(team)
    assert [agent.pk for agent in found.context["page_obj"]] == [leaves[1].pk, leaves[3].pk]


def _share(agent, programme):
    """`agent` shared results in one of `programme`'s campaigns."""
    from campaigns.enums import ParticipationStatus
    from tests.campaigns.factories import ParticipationFactory

    participation = ParticipationFactory(agent=agent, status=ParticipationStatus.SHARED)
    programme.campaigns.add(participation.campaign)


def test_manager_sees_no_status_of_a_team_where_one_agent_shared(client, cast):
    """Six enrolled, one of whom shared results: fewer than 5 contributors."""
    _share(cast.agent_agent, cast.programme)
    response = _get(client, cast.manager, "programmes:team")
    (row,) = response.context["programme_rows"]
    assert row["enrolled"] == 6
    assert row["suppressed"]
    assert "moins de 5" in response.content.decode()


def test_manager_sees_the_statuses_of_five_contributors(client, cast):
    for member in cast.team[:5]:
        _share(member, cast.programme)
    (row,) = _get(client, cast.manager, "programmes:team").context["programme_rows"]
    assert not row["suppressed"]
    assert sum(row["statuses"]) == 6


def test_owner_sees_no_status_of_a_population_where_one_agent_shared(client, cast):
    _share(cast.agent_agent, cast.programme)
    response = _get(client, cast.owner, "programmes:population_detail", pk=cast.population.pk)
    assert response.context["suppressed"]
    assert 'id="status-counts"' not in response.content.decode()


def test_owner_sees_the_statuses_of_a_population_of_five_contributors(client, cast):
    for member in cast.team[:5]:
        _share(member, cast.programme)
    response = _get(client, cast.owner, "programmes:population_detail", pk=cast.population.pk)
    assert not response.context["suppressed"]
    assert 'id="status-counts"' in response.content.decode()


def _team_in_three_programmes(cast, count):
    """`count` more reports of the cast's manager (through a report of theirs), each enrolled
    in the cast's population and in the populations of two managerial programmes."""
    from programmes.models import Programme

    middle = AgentFactory(manager=cast.manager_agent)
    populations = [cast.population]
    for slug in ("equipe-b", "equipe-c"):
        programme = Programme.objects.filter(slug=slug).first() or ProgrammeFactory(
            slug=slug, name=slug.upper(), purpose="managerial"
        )
        population = programme.populations.first() or TargetPopulationFactory(programme=programme)
        populations.append(population)
    for agent in AgentFactory.create_batch(count, manager=middle):
        for population in populations:
            EnrolmentFactory(agent=agent, population=population)
    return populations


def test_team_page_queries_do_not_grow_with_the_team_or_its_programmes(
    client, cast, django_assert_num_queries
):
    """Eight with or without a search: the team is walked once (its ids sorted by name, each
    marked found or not by the search), then the page's agents, the programmes, the figures
    and the review sheets."""
    client.force_login(cast.manager)
    url = reverse("programmes:team")
    _team_in_three_programmes(cast, 1)
    for params in ({}, {"q": "a", "page": "2"}):
        with django_assert_num_queries(8):
            assert client.get(url, params).status_code == 200
    _team_in_three_programmes(cast, 30)
    for params in ({}, {"q": "a", "page": "2"}):
        with django_assert_num_queries(8):
            assert client.get(url, params).status_code == 200


def test_team_page_counts_each_programme_from_the_stored_state(client, cast):
    from campaigns.enums import ParticipationStatus
    from tests.campaigns.factories import ParticipationFactory

    _, population_b, population_c = _team_in_three_programmes(cast, 6)
    # Someone outside the team in programme B, and a report who left programme C: neither
    # counts.
    outsider = EnrolmentFactory(agent=AgentFactory(), population=population_b).agent
    leaver = population_c.enrolments.first()
    leaver.end_date = leaver.start_date
    leaver.save()
    # A report of the team (the first enrolment by name could be the outsider's).
    sharer = population_b.enrolments.exclude(agent=outsider).first().agent
    participation = ParticipationFactory(agent=sharer, status=ParticipationStatus.SHARED)
    population_b.programme.campaigns.add(participation.campaign)
    response = _get(client, cast.manager, "programmes:team")
    rows = {row["programme"].slug: row for row in response.context["programme_rows"]}
    assert list(rows) == ["equipe-b", "equipe-c", cast.programme.slug]  # by name
    assert rows[cast.programme.slug]["enrolled"] == 12
    assert rows[cast.programme.slug]["statuses"] == [12, 0, 0, 0]
    assert rows[cast.programme.slug]["suppressed"]  # self-assessment, nobody shared
    assert rows["equipe-b"]["enrolled"] == 6
    assert sum(rows["equipe-b"]["statuses"]) == 6
    assert rows["equipe-b"]["statuses"][0] == 5  # one has begun (shared, no target met)
    assert not rows["equipe-b"]["suppressed"]  # managerial: no small-group rule
    assert rows["equipe-c"]["enrolled"] == 5 and sum(rows["equipe-c"]["statuses"]) == 5
