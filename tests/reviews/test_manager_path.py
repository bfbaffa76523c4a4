"""The manager's path to a review sheet: links from the team and agent pages (only to sheets
the viewer may open), next year's objectives proposed from the population's targets, the
steps explained, a confirmed share, and the PDF without the screen's internal notes."""

import pytest
from django.urls import reverse

from campaigns.models import Competence
from programmes.enums import TargetKind
from reviews.models import STATE_HELP, ReviewState
from reviews.templatetags.review_links import current_review_sheets
from tests.agents.factories import AgentFactory
from tests.campaigns.factories import CampaignFactory
from tests.programmes.factories import EnrolmentFactory, TargetFactory, TargetPopulationFactory
from tests.reviews.factories import ReviewCycleFactory, ReviewFactory, ReviewObjectiveFactory

pytestmark = pytest.mark.django_db


def _detail(review):
    return reverse("reviews:review_detail", kwargs={"pk": review.pk})


def _field(code):
    return f"objective_{Competence.objects.get(code=code).pk}"


@pytest.fixture
def sheets(managerial_cast):
    """The agent's sheets of 2025 and of the current campaign, 2026."""
    cast = managerial_cast
    old = ReviewFactory(
        cycle=ReviewCycleFactory(programme=cast.programme, year=2025), agent=cast.agent_agent
    )
    current = ReviewFactory(
        cycle=ReviewCycleFactory(programme=cast.programme, year=2026),
        agent=cast.agent_agent,
        manager=cast.manager_agent,
    )
    return old, current


# --- Links from the team and agent pages -------------------------------------------------


def test_team_page_links_each_agent_to_their_sheet_of_the_current_campaign(
    client, managerial_cast, sheets
):
    old, current = sheets
    client.force_login(managerial_cast.manager)
    page = client.get(reverse("programmes:team")).content.decode()
    assert _detail(current) in page and _detail(old) not in page
    assert "Fiche d’entretien 2026" in page


def test_agent_page_links_to_the_sheet_for_its_readers_only(client, managerial_cast, sheets):
    cast = managerial_cast
    _old, current = sheets
    url = reverse("programmes:agent_detail", kwargs={"pk": cast.agent_agent.pk})
    for user, shown in [
        (cast.manager, True),
        (cast.staff, True),
        (cast.agent, True),
        (cast.ambassador, False),  # sees the agent page, not the sheet
        (cast.owner, False),
    ]:
        client.force_login(user)
        response = client.get(url)
        if user == cast.owner and response.status_code == 404:
            continue  # the owner may not see the agent page at all
        assert response.status_code == 200, user
        page = response.content.decode()
        assert (_detail(current) in page) is shown, user
        if shown:  # the link is one the user can follow
            assert client.get(_detail(current)).status_code == 200


def test_links_follow_the_reading_rule_of_each_sheet(managerial_cast, sheets):
    cast = managerial_cast
    _old, current = sheets
    agents = [cast.agent_agent, cast.stranger_agent]
    assert current_review_sheets(cast.manager, agents) == {cast.agent_agent.pk: [current]}
    assert current_review_sheets(cast.ambassador, agents) == {}
    assert current_review_sheets(cast.outsider, agents) == {}
    # A former manager who still leads the sheet reads it, and gets the link.
    former = AgentFactory(with_user=True)
    current.manager = former
    current.save()
    assert current_review_sheets(former.user, cast.agent_agent) == {cast.agent_agent.pk: [current]}


def test_team_page_sheet_links_take_one_query_whatever_the_team(
    client, managerial_cast, sheets, django_assert_num_queries
):
    cast = managerial_cast
    cycle = sheets[1].cycle
    url = reverse("programmes:team")
    client.force_login(cast.manager)
    client.get(url)
    with django_assert_num_queries(8) as before:
        client.get(url)
    for _n in range(8):
        agent = AgentFactory(manager=cast.manager_agent)
        ReviewFactory(cycle=cycle, agent=agent)
    with django_assert_num_queries(len(before.captured_queries)):
        page = client.get(url).content.decode()
    assert page.count("Fiche d’entretien 2026") == 9


# --- Next year's objectives proposed from the population's targets -----------------------


def test_blank_sheet_proposes_the_populations_level_targets(client, managerial_cast, sheets):
    cast = managerial_cast
    _old, current = sheets
    second = TargetPopulationFactory(programme=cast.programme, name="Encadrants")
    EnrolmentFactory(agent=cast.agent_agent, population=second)
    TargetFactory(population=second, level=5)  # 1.1: the highest level wins
    TargetFactory(population=second, competence=Competence.objects.get(code="2.1"), level=2)
    TargetFactory(
        population=second,
        competence=Competence.objects.get(code="3.1"),
        kind=TargetKind.MASTERY_RATE,
        level=None,
        mastery_rate="0.7",
        campaign=CampaignFactory(),
    )
    client.force_login(cast.manager)
    response = client.get(_detail(current))
    form = response.context["form"]
    assert form.prefilled and 'id="objectives-prefilled"' in response.content.decode()
    assert form.fields[_field("1.1")].initial == 5
    assert form.fields[_field("2.1")].initial == 2
    assert form.fields[_field("3.1")].initial is None  # a mastery rate is no level
    assert "proposé : niveau cible" in form.fields[_field("2.1")].help_text
    assert not current.objectives.exists()  # nothing saved until the manager saves


def test_objectives_written_are_never_replaced_by_the_proposal(client, managerial_cast, sheets):
    _old, current = sheets
    ReviewObjectiveFactory(review=current, level=6)
    client.force_login(managerial_cast.manager)
    form = client.get(_detail(current)).context["form"]
    assert not form.prefilled
    assert form.fields[_field("1.1")].initial == 6


def test_a_written_sheet_without_objectives_gets_no_proposal(client, managerial_cast, sheets):
    """The manager who wrote the sheet and removed every objective meant it."""
    _old, current = sheets
    current.acquired_skills = "Tableur"
    current.save()
    client.force_login(managerial_cast.manager)
    form = client.get(_detail(current)).context["form"]
    assert not form.prefilled and form.fields[_field("1.1")].initial is None


# --- The steps and the confirmed share ----------------------------------------------------


def test_the_sheet_explains_each_step_and_marks_the_current_one(client, managerial_cast, sheets):
    _old, current = sheets
    current.state = ReviewState.PREPARED
    current.save()
    for user in (managerial_cast.manager, managerial_cast.agent):
        client.force_login(user)
        response = client.get(_detail(current))
        page = response.content.decode()
        assert "Étape 2 sur 5" in page
        for state in ReviewState:
            assert str(STATE_HELP[state]).replace("’", "&#x27;")[:30] in page.replace("’", "&#x27;")
        steps = response.context["steps"]["items"]
        assert [s["current"] for s in steps] == [False, True, False, False, False]
        assert page.count('aria-current="step"') == 1 and "étape actuelle" in page


def test_sharing_needs_the_confirmation_box_and_changes_nothing_without_it(
    client, managerial_cast, sheets
):
    _old, current = sheets
    current.state = ReviewState.PREPARED
    current.save()
    client.force_login(managerial_cast.manager)
    assert 'id="share-form"' in client.get(_detail(current)).content.decode()
    url = reverse("reviews:review_share", kwargs={"pk": current.pk})

    assert client.get(url).status_code == 405  # a GET changes nothing
    response = client.post(url, {}, follow=True)
    assert "Cochez la case pour confirmer le partage" in response.content.decode()
    current.refresh_from_db()
    assert current.state == ReviewState.PREPARED and not current.versions.exists()

    client.post(url, {"confirm": "on"})
    current.refresh_from_db()
    assert current.state == ReviewState.SHARED and current.versions.count() == 1


def test_the_agent_may_not_share_even_with_the_box_ticked(client, managerial_cast, sheets):
    _old, current = sheets
    current.state = ReviewState.PREPARED
    current.save()
    client.force_login(managerial_cast.agent)
    url = reverse("reviews:review_share", kwargs={"pk": current.pk})
    assert client.post(url, {"confirm": "on"}).status_code == 403
    current.refresh_from_db()
    assert current.state == ReviewState.PREPARED
