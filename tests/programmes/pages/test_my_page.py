"""The agent's own page ("Mon parcours"): status, levels against targets (chart and table),
evolution, and the switch sharing their results with their manager in self-assessment."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from programmes.enums import ProgressStatus
from programmes.models import ResultAccessLog, SharingConsent
from programmes.privacy.consent import consent_grant, consent_revoke
from tests.agents.factories import AgentFactory
from tests.campaigns.factories import (
    CampaignFactory,
)
from tests.programmes.factories import EnrolmentFactory, TargetPopulationFactory
from tests.programmes.factories_accompaniment import CheckInFactory, share_levels
from tests.programmes.factories_accompaniment import competence as competence_of


@pytest.fixture
def with_results(cast):
    """The agent shared 1.1 at level 1 forty days ago, then level 4 two days ago (target 3)."""
    campaign = CampaignFactory()
    cast.programme.campaigns.add(campaign)
    share_levels(cast.agent_agent, campaign, {"1.1": 1}, days_ago=40)
    share_levels(cast.agent_agent, campaign, {"1.1": 4}, days_ago=2)
    return cast


def _my_page(client, cast):
    client.force_login(cast.agent)
    response = client.get(reverse("programmes:my_page"))
    assert response.status_code == 200
    return response


def _sharing_url(programme):
    return reverse("programmes:my_sharing", kwargs={"slug": programme.slug})


def test_status_and_its_definition_are_shown(client, with_results):
    response = _my_page(client, with_results)
    (row,) = response.context["rows"]
    assert row.progress.status == ProgressStatus.TARGET_REACHED
    content = response.content.decode()
    assert str(row.progress.label) in content
    assert str(row.progress.definition) in content


def test_status_of_an_agent_who_has_not_started(client, cast):
    (row,) = _my_page(client, cast).context["rows"]
    assert row.progress.status == ProgressStatus.NOT_STARTED
    assert "Votre évolution apparaîtra ici" in _my_page(client, cast).content.decode()


def test_levels_against_targets_as_a_chart_and_a_table(client, with_results):
    content = _my_page(client, with_results).content.decode()
    chart = re.search(r"<svg.*?</svg>", content, re.S).group(0)
    assert 'role="img"' in chart
    assert "4 (cible 3)" in chart
    results = re.search(r'<table class="app-results">.*?</table>', content, re.S).group(0)
    assert "1.1" in results
    assert "niveau 3" in results  # the target
    assert "niveau 4 (17 pix)" in results  # the latest result, not the earlier level 1


def test_evolution_over_time(client, with_results):
    content = _my_page(client, with_results).content.decode()
    history = re.search(r'<table class="app-level-history">.*?</table>', content, re.S).group(0)
    cells = re.findall(r"<td>(.*?)</td>", history)
    assert cells == ["1", "4"]


def test_purpose_notice_and_no_switch_in_a_managerial_programme(client, managerial_cast):
    content = _my_page(client, managerial_cast).content.decode()
    assert "projet managérial" in content
    assert _sharing_url(managerial_cast.programme) not in content
    response = client.post(_sharing_url(managerial_cast.programme), {"share": "1"})
    assert response.status_code == 404
    assert not SharingConsent.objects.exists()


def test_switch_is_shown_in_self_assessment(client, cast):
    content = _my_page(client, cast).content.decode()
    assert "auto-positionnement" in content
    assert f'action="{_sharing_url(cast.programme)}"' in content
    assert "Partager mes résultats avec mon encadrant" in content


def test_granting_then_revoking_changes_what_the_manager_sees(client, with_results):
    cast = with_results
    detail = reverse("programmes:agent_detail", kwargs={"pk": cast.agent_agent.pk})
    manager = Client()
    manager.force_login(cast.manager)
    assert [r.results_visible for r in manager.get(detail).context["rows"]] == [False]

    client.force_login(cast.agent)
    response = client.post(_sharing_url(cast.programme), {"share": "1"}, follow=True)
    today = timezone.localdate().strftime("%-d")
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1
    assert "sont partagés avec votre encadrant depuis le " + today in messages[0]
    assert response.context["rows"][0].consent is not None
    response = manager.get(detail)
    assert [r.results_visible for r in response.context["rows"]] == [True]
    assert "niveau 4 (17 pix)" in response.content.decode()

    response = client.post(_sharing_url(cast.programme), follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert "ne sont plus partagés avec votre encadrant depuis le " + today in messages[0]
    response = manager.get(detail)
    assert [r.results_visible for r in response.context["rows"]] == [False]
    assert "niveau 4 (17 pix)" not in response.content.decode()


def test_the_switch_and_its_hint_name_the_direct_manager_only(client, cast):
    content = _my_page(client, cast).content.decode()
    switch = content[content.index('class="app-sharing"') :]
    switch = switch[: switch.index("</form>")]
    assert "Partager mes résultats avec mon encadrant" in switch
    assert "votre encadrant direct" in switch
    assert "ligne hiérarchique" not in switch


def test_consent_does_not_open_the_agent_page_to_the_managers_manager(client, with_results):
    cast = with_results
    head = AgentFactory(with_user=True)
    cast.manager_agent.manager = head
    cast.manager_agent.save()
    consent_grant(agent=cast.agent_agent, programme=cast.programme)
    detail = reverse("programmes:agent_detail", kwargs={"pk": cast.agent_agent.pk})

    client.force_login(head.user)
    response = client.get(detail)

    assert response.status_code == 200  # the agent is in their team
    assert [r.results_visible for r in response.context["rows"]] == [False]
    assert "niveau 4 (17 pix)" not in response.content.decode()
    assert not ResultAccessLog.objects.filter(viewer=head.user).exists()
    client.force_login(cast.manager)
    assert "niveau 4 (17 pix)" in client.get(detail).content.decode()


def test_consent_services_are_dated_idempotent_and_keep_history(cast):
    agent, programme = cast.agent_agent, cast.programme
    first = consent_grant(agent=agent, programme=programme)
    assert consent_grant(agent=agent, programme=programme) == first
    assert first.granted_at is not None and first.revoked_at is None
    revoked = consent_revoke(agent=agent, programme=programme)
    assert revoked.pk == first.pk and revoked.revoked_at is not None
    assert consent_revoke(agent=agent, programme=programme) is None
    second = consent_grant(agent=agent, programme=programme)
    assert second.pk != first.pk
    assert SharingConsent.objects.filter(agent=agent).count() == 2
    assert SharingConsent.objects.active().get(agent=agent) == second


def test_consent_cannot_be_granted_in_a_managerial_programme(managerial_cast):
    with pytest.raises(ValueError):
        consent_grant(agent=managerial_cast.agent_agent, programme=managerial_cast.programme)


def test_sharing_another_programme_is_not_found(client, cast):
    client.force_login(cast.agent)
    assert (
        client.post(_sharing_url(cast.other_population.programme), {"share": "1"}).status_code
        == 404
    )
    elsewhere = TargetPopulationFactory()
    assert client.post(_sharing_url(elsewhere.programme), {"share": "1"}).status_code == 404
    assert not SharingConsent.objects.exists()


def test_only_the_agent_themself_shares_their_results(client, cast):
    for user in (cast.manager, cast.ambassador, cast.owner):
        client.force_login(user)
        assert client.post(_sharing_url(cast.programme), {"share": "1"}).status_code == 404
    assert not SharingConsent.objects.exists()


def test_a_left_enrolment_gives_no_switch(client, cast):
    enrolment = cast.agent_agent.enrolments.get()
    enrolment.end_date = timezone.localdate()
    enrolment.save()
    client.force_login(cast.agent)
    assert client.post(_sharing_url(cast.programme), {"share": "1"}).status_code == 404


def test_sharing_is_post_only(client, cast):
    client.force_login(cast.agent)
    assert client.get(_sharing_url(cast.programme)).status_code == 405


def test_sharing_needs_the_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.agent)
    assert client.post(_sharing_url(cast.programme), {"share": "1"}).status_code == 403
    assert not SharingConsent.objects.exists()
    page = client.get(reverse("programmes:my_page")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(
        _sharing_url(cast.programme), {"share": "1", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert SharingConsent.objects.active().filter(agent=cast.agent_agent).exists()


def test_query_count_does_not_grow_with_enrolments_and_results(
    client, with_results, django_assert_num_queries
):
    from tests.programmes.test_views import QUERY_COUNTS

    (expected,) = [n for name, *_rest, n in QUERY_COUNTS if name == "programmes:my_page"]
    consent_grant(agent=with_results.agent_agent, programme=with_results.programme)
    other = TargetPopulationFactory()
    EnrolmentFactory(agent=with_results.agent_agent, population=other)
    client.force_login(with_results.agent)
    with django_assert_num_queries(expected):
        assert client.get(reverse("programmes:my_page")).status_code == 200


def _accompany(cast, campaign, *, n, codes):
    """`n` of everything the page shows beside the results: check-ins with barriers,
    resources started and done, mentor offers, requests and pairings."""
    from programmes.enums import ResourceState
    from tests.agents.factories import AgentFactory
    from tests.programmes.factories_accompaniment import (
        CheckInFactory,
        MentorFactory,
        MentoringFactory,
        MilestoneFactory,
        ResourceFactory,
        ResourceUseFactory,
    )

    agent, programme = cast.agent_agent, cast.programme
    barriers = list(programme.barriers.all()[:2])
    for index in range(n):
        milestone = MilestoneFactory(population=cast.population)
        CheckInFactory(
            milestone=milestone, agent=agent, barriers=barriers, next_step=f"Étape {index}"
        )
        resource = ResourceFactory(programme=programme, competences=["1.1", "2.1"])
        state = ResourceState.DONE if index % 2 else ResourceState.STARTED
        ResourceUseFactory(resource=resource, agent=agent, state=state, useful=True)
        MentorFactory(programme=programme, competence=competence_of("2.1"))
    for mentee_code, mentor_code in codes:
        # Paired as a mentee on one competence, as a mentor on another.
        helper = MentorFactory(
            programme=programme, agent=AgentFactory(), competence=competence_of(mentee_code)
        )
        MentoringFactory(
            programme=programme,
            mentee=agent,
            competence=competence_of(mentee_code),
            mentor=helper,
            paired_at=timezone.now(),
        )
        offer = MentorFactory(
            programme=programme, agent=agent, competence=competence_of(mentor_code)
        )
        MentoringFactory(
            programme=programme,
            mentee=AgentFactory(),
            competence=competence_of(mentor_code),
            mentor=offer,
            paired_at=timezone.now(),
        )


def test_query_count_is_fixed_whatever_the_accompaniment_data(
    client, cast, django_assert_num_queries
):
    """Check-ins, resources and mentoring on the page: a fixed number of queries (one more
    than the pinned page without any: the check-ins' barriers)."""
    from tests.programmes.test_views import QUERY_COUNTS

    (pinned,) = [n for name, *_rest, n in QUERY_COUNTS if name == "programmes:my_page"]
    campaign = CampaignFactory()
    cast.programme.campaigns.add(campaign)
    share_levels(cast.agent_agent, campaign, {"1.1": 1, "2.1": 1})
    _accompany(cast, campaign, n=1, codes=[("1.1", "5.1")])
    client.force_login(cast.agent)
    with django_assert_num_queries(pinned + 1):
        response = client.get(reverse("programmes:my_page"))
    assert response.status_code == 200
    _accompany(cast, campaign, n=6, codes=[("1.2", "5.2"), ("1.3", "4.1")])
    with django_assert_num_queries(pinned + 1):
        response = client.get(reverse("programmes:my_page"))
    assert "Étape 0" in response.content.decode()


# --- Words for the agent: their statuses in the second person, a softer label ---------------


def _stalled_for(cast, days):
    """The agent shared level 1 on 1.1 (target 3) `days` days ago, nothing since."""
    campaign = CampaignFactory()
    cast.programme.campaigns.add(campaign)
    share_levels(cast.agent_agent, campaign, {"1.1": 1}, days_ago=days)
    return cast


def test_a_stalled_agent_reads_since_how_many_days_they_have_not_progressed(client, cast):
    response = _my_page(client, _stalled_for(cast, 45))
    (row,) = response.context["rows"]
    assert row.progress.status == ProgressStatus.STALLED
    content = response.content.decode()
    assert "Vous n’avez pas progressé depuis 45 jours" in content
    assert "En pause" in content
    assert "À l&#x27;arrêt" not in content and "À l'arrêt" not in content


def test_the_number_of_days_is_the_real_one(client, cast):
    response = _my_page(client, _stalled_for(cast, 61))
    assert "Vous n’avez pas progressé depuis 61 jours" in response.content.decode()


def test_the_ambassador_keeps_the_precise_term_on_the_agent_page(client, cast):
    _stalled_for(cast, 45)
    client.force_login(cast.ambassador)
    response = client.get(reverse("programmes:agent_detail", kwargs={"pk": cast.agent_agent.pk}))
    content = response.content.decode()
    assert str(ProgressStatus.STALLED.label).replace("'", "&#x27;") in content
    assert "En pause" not in content
    assert "Vous n’avez pas progressé" not in content


@pytest.mark.parametrize(
    ("days", "label", "sentence"),
    [
        (None, "Pas encore commencé", "Vous n’avez pas encore commencé"),
        (5, "En bonne voie", "Vous êtes en bonne voie"),
    ],
)
def test_not_started_and_in_progress_in_the_second_person(client, cast, days, label, sentence):
    if days is not None:
        _stalled_for(cast, days)
    content = _my_page(client, cast).content.decode()
    assert label in content
    assert sentence in content


def test_target_reached_says_bravo(client, with_results):
    content = _my_page(client, with_results).content.decode()
    assert "Objectif atteint, bravo" in content


def test_the_status_at_a_check_in_reads_softly_too(client, cast):
    _stalled_for(cast, 45)
    CheckInFactory(
        agent=cast.agent_agent,
        milestone__population=cast.population,
        status=ProgressStatus.STALLED,
    )
    response = _my_page(client, cast)
    (row,) = response.context["rows"]
    (checkin,) = row.checkins
    assert checkin.progress.label == "En pause"
