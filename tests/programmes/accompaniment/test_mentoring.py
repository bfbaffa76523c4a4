"""Peer mentoring ("compagnonnage"): who may volunteer and who may ask for help, how an
ambassador pairs them, who sees whose contact and when, and who may do what."""

from collections import defaultdict

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from programmes import selectors
from programmes.accompaniment.mentoring.selectors import mentoring_for_my_page
from programmes.accompaniment.mentoring.services import (
    mentor_volunteer,
    mentor_withdraw,
    mentoring_cancel,
    mentoring_end,
    mentoring_pair,
    mentoring_request,
)
from programmes.models import Mentor, Mentoring
from programmes.pages.rows import EnrolmentRow, add_results
from tests.agents.factories import AgentFactory, OrgUnitFactory, UserFactory
from tests.campaigns.factories import CampaignFactory
from tests.programmes.factories import (
    EnrolmentFactory,
    ProgrammeFactory,
    TargetFactory,
    TargetPopulationFactory,
)
from tests.programmes.factories_accompaniment import (
    MentorFactory,
    MentoringFactory,
    competence,
    share_levels,
)

# --- Helpers ---------------------------------------------------------------------------------


@pytest.fixture
def campaign(cast):
    """A profiles collection the cast's programme follows (cast.population: 1.1 level 3)."""
    campaign = CampaignFactory()
    cast.programme.campaigns.add(campaign)
    return campaign


def _member(cast, population=None, **kwargs):
    """A new agent with an account, enrolled in the cast's population (or `population`)."""
    kwargs.setdefault("org_unit", cast.agent_agent.org_unit)
    agent = AgentFactory(with_user=True, **kwargs)
    EnrolmentFactory(agent=agent, population=population or cast.population)
    return agent


def _mentor(cast, campaign, level=4, **kwargs):
    """An enrolled agent at `level` on 1.1 who volunteers there."""
    agent = _member(cast, **kwargs)
    share_levels(agent, campaign, {"1.1": level})
    return mentor_volunteer(agent=agent, programme=cast.programme, competence=competence("1.1"))


def _ask(cast, mentee=None):
    return mentoring_request(
        mentee=mentee or cast.agent_agent, programme=cast.programme, competence=competence("1.1")
    )


def _page_of(client, user):
    client.force_login(user)
    response = client.get(reverse("programmes:my_page"))
    assert response.status_code == 200
    return response


def _section(response):
    """The MyMentoring of the first row of "Mon parcours"."""
    return response.context["rows"][0].mentoring


def _my_url(name, programme):
    return reverse(f"programmes:{name}", kwargs={"slug": programme.slug})


def _list_url(programme):
    return reverse("programmes:mentoring_list", kwargs={"slug": programme.slug})


def _pair_url(mentoring):
    return reverse(
        "programmes:mentoring_pair",
        kwargs={"slug": mentoring.programme.slug, "mentoring_id": mentoring.pk},
    )


def _end_url(mentoring):
    return reverse(
        "programmes:mentoring_end",
        kwargs={"slug": mentoring.programme.slug, "mentoring_id": mentoring.pk},
    )


def _messages(response):
    return [str(m) for m in response.context["messages"]]


# --- Volunteering ----------------------------------------------------------------------------


def test_agent_at_their_target_may_volunteer(cast, campaign):
    share_levels(cast.agent_agent, campaign, {"1.1": 3})
    offer = mentor_volunteer(
        agent=cast.agent_agent, programme=cast.programme, competence=competence("1.1")
    )
    assert offer.withdrawn_at is None
    assert (offer.agent, offer.programme, offer.competence.code) == (
        cast.agent_agent,
        cast.programme,
        "1.1",
    )


def test_volunteering_above_target_is_idempotent(cast, campaign):
    share_levels(cast.agent_agent, campaign, {"1.1": 6})
    first = mentor_volunteer(
        agent=cast.agent_agent, programme=cast.programme, competence=competence("1.1")
    )
    again = mentor_volunteer(
        agent=cast.agent_agent, programme=cast.programme, competence=competence("1.1")
    )
    assert again == first
    assert Mentor.objects.count() == 1


def test_agent_below_their_target_cannot_volunteer(cast, campaign):
    share_levels(cast.agent_agent, campaign, {"1.1": 2})
    with pytest.raises(ValidationError, match="niveau cible \\(3\\).*est 2"):
        mentor_volunteer(
            agent=cast.agent_agent, programme=cast.programme, competence=competence("1.1")
        )
    assert not Mentor.objects.exists()


def test_the_latest_shared_level_decides_not_an_earlier_better_one(cast, campaign):
    share_levels(cast.agent_agent, campaign, {"1.1": 5}, days_ago=30)
    share_levels(cast.agent_agent, campaign, {"1.1": 2}, days_ago=1)
    with pytest.raises(ValidationError):
        mentor_volunteer(
            agent=cast.agent_agent, programme=cast.programme, competence=competence("1.1")
        )


def test_agent_without_a_result_cannot_volunteer(cast, campaign):
    with pytest.raises(ValidationError, match="inconnu"):
        mentor_volunteer(
            agent=cast.agent_agent, programme=cast.programme, competence=competence("1.1")
        )


def test_competence_without_a_level_target_is_refused(cast, campaign):
    share_levels(cast.agent_agent, campaign, {"1.2": 7})
    with pytest.raises(ValidationError, match="pas de niveau cible"):
        mentor_volunteer(
            agent=cast.agent_agent, programme=cast.programme, competence=competence("1.2")
        )
    assert not Mentor.objects.exists()


def test_agent_not_enrolled_in_the_programme_cannot_volunteer(cast, campaign):
    share_levels(cast.stranger_agent, campaign, {"1.1": 6})
    with pytest.raises(ValidationError, match="aucune population"):
        mentor_volunteer(
            agent=cast.stranger_agent, programme=cast.programme, competence=competence("1.1")
        )


def test_agent_who_left_the_population_cannot_volunteer(cast, campaign):
    share_levels(cast.agent_agent, campaign, {"1.1": 6})
    cast.agent_agent.enrolments.update(
        start_date=timezone.localdate() - timezone.timedelta(days=10),
        end_date=timezone.localdate(),
    )
    with pytest.raises(ValidationError, match="aucune population"):
        mentor_volunteer(
            agent=cast.agent_agent, programme=cast.programme, competence=competence("1.1")
        )


def test_results_of_a_campaign_the_programme_does_not_follow_do_not_count(cast):
    share_levels(cast.agent_agent, CampaignFactory(), {"1.1": 6})
    with pytest.raises(ValidationError):
        mentor_volunteer(
            agent=cast.agent_agent, programme=cast.programme, competence=competence("1.1")
        )


def test_the_highest_target_of_the_agents_populations_must_be_reached(cast, campaign):
    demanding = TargetPopulationFactory(programme=cast.programme, name="Experts")
    TargetFactory(population=demanding, level=5)
    EnrolmentFactory(agent=cast.agent_agent, population=demanding)
    share_levels(cast.agent_agent, campaign, {"1.1": 4})
    with pytest.raises(ValidationError, match="\\(5\\)"):
        mentor_volunteer(
            agent=cast.agent_agent, programme=cast.programme, competence=competence("1.1")
        )


def test_withdrawing_dates_the_offer_and_allows_volunteering_again(cast, campaign):
    offer = _mentor(cast, campaign)
    assert mentor_withdraw(mentor=offer) == []
    offer.refresh_from_db()
    assert offer.withdrawn_at is not None
    assert mentor_withdraw(mentor=offer) == []  # idempotent
    again = mentor_volunteer(
        agent=offer.agent, programme=cast.programme, competence=offer.competence
    )
    assert again.pk != offer.pk
    assert Mentor.objects.filter(withdrawn_at=None).count() == 1


def test_withdrawing_ends_the_pairings_and_puts_the_mentees_back_in_the_queue(cast, campaign):
    offer = _mentor(cast, campaign)
    pairing = mentoring_pair(mentoring=_ask(cast), mentor=offer, paired_by=cast.ambassador)
    reopened = mentor_withdraw(mentor=offer)
    pairing.refresh_from_db()
    assert pairing.ended_at is not None
    (request,) = reopened
    assert (request.mentee, request.competence, request.mentor) == (
        cast.agent_agent,
        offer.competence,
        None,
    )
    assert request.ended_at is None


# --- Asking for help -------------------------------------------------------------------------


def test_agent_below_target_may_ask_for_help_once_while_open(cast, campaign):
    share_levels(cast.agent_agent, campaign, {"1.1": 2})
    request = _ask(cast)
    assert request.mentor is None and request.ended_at is None
    assert _ask(cast) == request
    assert Mentoring.objects.count() == 1


def test_agent_without_a_result_may_ask_for_help(cast):
    assert _ask(cast).pk is not None


def test_asking_again_while_paired_returns_the_pairing(cast, campaign):
    offer = _mentor(cast, campaign)
    pairing = mentoring_pair(mentoring=_ask(cast), mentor=offer, paired_by=cast.ambassador)
    assert _ask(cast) == pairing


def test_agent_at_target_cannot_ask_for_help(cast, campaign):
    share_levels(cast.agent_agent, campaign, {"1.1": 3})
    with pytest.raises(ValidationError, match="déjà atteint"):
        _ask(cast)
    assert not Mentoring.objects.exists()


def test_asking_on_a_competence_without_target_or_outside_the_programme_is_refused(cast):
    with pytest.raises(ValidationError, match="pas de niveau cible"):
        mentoring_request(
            mentee=cast.agent_agent, programme=cast.programme, competence=competence("2.1")
        )
    with pytest.raises(ValidationError, match="aucune population"):
        _ask(cast, mentee=cast.stranger_agent)
    assert not Mentoring.objects.exists()


def test_mentee_cancels_a_pending_request_then_may_ask_again(cast):
    request = mentoring_cancel(mentoring=_ask(cast))
    assert request.ended_at is not None
    assert _ask(cast).pk != request.pk


def test_a_paired_request_cannot_be_cancelled_by_the_mentee(cast, campaign):
    offer = _mentor(cast, campaign)
    pairing = mentoring_pair(mentoring=_ask(cast), mentor=offer, paired_by=cast.ambassador)
    with pytest.raises(ValidationError, match="déjà mis·e en relation"):
        mentoring_cancel(mentoring=pairing)
    pairing.refresh_from_db()
    assert pairing.ended_at is None


# --- Pairing ---------------------------------------------------------------------------------


def test_ambassador_pairs_a_request_with_a_volunteer(cast, campaign):
    offer = _mentor(cast, campaign)
    pairing = mentoring_pair(mentoring=_ask(cast), mentor=offer, paired_by=cast.ambassador)
    pairing.refresh_from_db()
    assert pairing.mentor == offer
    assert pairing.paired_by == cast.ambassador
    assert pairing.paired_at is not None
    assert pairing.is_paired


def test_an_agent_cannot_be_their_own_mentor(cast, campaign):
    share_levels(cast.agent_agent, campaign, {"1.1": 5})
    offer = mentor_volunteer(
        agent=cast.agent_agent, programme=cast.programme, competence=competence("1.1")
    )
    request = MentoringFactory(programme=cast.programme, mentee=cast.agent_agent)
    with pytest.raises(ValidationError, match="son propre compagnon"):
        mentoring_pair(mentoring=request, mentor=offer, paired_by=cast.ambassador)
    request.refresh_from_db()
    assert request.mentor is None


def test_a_volunteer_on_another_competence_is_refused(cast, campaign):
    request = _ask(cast)
    other = MentorFactory(
        programme=cast.programme, agent=cast.team[2], competence=competence("1.2")
    )
    with pytest.raises(ValidationError, match="compétence demandée"):
        mentoring_pair(mentoring=request, mentor=other, paired_by=cast.ambassador)


def test_a_volunteer_of_another_programme_is_refused(cast):
    request = _ask(cast)
    elsewhere = MentorFactory(agent=cast.team[2])
    with pytest.raises(ValidationError, match="pas à ce programme"):
        mentoring_pair(mentoring=request, mentor=elsewhere, paired_by=cast.ambassador)


def test_a_withdrawn_volunteer_is_refused(cast, campaign):
    offer = _mentor(cast, campaign)
    mentor_withdraw(mentor=offer)
    with pytest.raises(ValidationError, match="n’est plus volontaire"):
        mentoring_pair(mentoring=_ask(cast), mentor=offer, paired_by=cast.ambassador)


def test_a_request_already_paired_or_ended_is_refused(cast, campaign):
    first, second = _mentor(cast, campaign), _mentor(cast, campaign)
    request = _ask(cast)
    mentoring_pair(mentoring=request, mentor=first, paired_by=cast.ambassador)
    with pytest.raises(ValidationError, match="déjà un·e compagnon·ne"):
        mentoring_pair(mentoring=request, mentor=second, paired_by=cast.ambassador)
    mentoring_end(mentoring=request)
    with pytest.raises(ValidationError, match="close"):
        mentoring_pair(mentoring=request, mentor=second, paired_by=cast.ambassador)
    request.refresh_from_db()
    assert request.mentor == first


def test_ending_is_dated_and_idempotent(cast, campaign):
    pairing = mentoring_pair(
        mentoring=_ask(cast), mentor=_mentor(cast, campaign), paired_by=cast.ambassador
    )
    ended = mentoring_end(mentoring=pairing)
    moment = ended.ended_at
    assert moment is not None
    assert mentoring_end(mentoring=pairing).ended_at == moment
    assert not ended.is_paired


# --- Contact visibility ----------------------------------------------------------------------


def test_before_pairing_nobody_sees_the_others_contact(client, cast, campaign):
    offer = _mentor(cast, campaign, email="compagnon@exemple.gouv.fr")
    _ask(cast)
    content = _page_of(client, cast.agent).content.decode()
    assert "1 collègue volontaire" in content
    assert offer.agent.last_name not in content
    assert "compagnon@exemple.gouv.fr" not in content
    content = _page_of(Client(), offer.agent.user).content.decode()
    assert cast.agent_agent.last_name not in content
    assert cast.agent_agent.email not in content


def test_while_paired_each_sees_the_others_name_and_email(client, cast, campaign):
    offer = _mentor(cast, campaign, email="compagnon@exemple.gouv.fr")
    mentoring_pair(mentoring=_ask(cast), mentor=offer, paired_by=cast.ambassador)
    content = _page_of(client, cast.agent).content.decode()
    assert 'href="mailto:compagnon@exemple.gouv.fr"' in content
    assert offer.agent.full_name in content
    content = _page_of(Client(), offer.agent.user).content.decode()
    assert f'href="mailto:{cast.agent_agent.email}"' in content
    assert cast.agent_agent.full_name in content


def test_after_the_end_contacts_are_hidden_again(client, cast, campaign):
    offer = _mentor(cast, campaign, email="compagnon@exemple.gouv.fr")
    pairing = mentoring_pair(mentoring=_ask(cast), mentor=offer, paired_by=cast.ambassador)
    mentoring_end(mentoring=pairing)
    assert "compagnon@exemple.gouv.fr" not in _page_of(client, cast.agent).content.decode()
    content = _page_of(Client(), offer.agent.user).content.decode()
    assert cast.agent_agent.email not in content


def test_other_agents_never_see_a_pairing(client, cast, campaign):
    offer = _mentor(cast, campaign, email="compagnon@exemple.gouv.fr")
    mentoring_pair(mentoring=_ask(cast), mentor=offer, paired_by=cast.ambassador)
    bystander = _member(cast)
    content = _page_of(client, bystander.user).content.decode()
    assert "compagnon@exemple.gouv.fr" not in content
    assert cast.agent_agent.email not in content


# --- "Mon parcours" ----------------------------------------------------------------------------


def test_my_page_offers_to_volunteer_at_target_and_says_who_will_see_the_name(
    client, cast, campaign
):
    share_levels(cast.agent_agent, campaign, {"1.1": 4})
    response = _page_of(client, cast.agent)
    section = _section(response)
    assert [s.competence.code for s in section.can_volunteer] == ["1.1"]
    assert section.can_ask == []
    content = response.content.decode()
    assert "Me porter volontaire" in content
    assert "votre nom devient visible des ambassadeurs Pix du programme" in content
    assert f'action="{_my_url("my_mentor_volunteer", cast.programme)}"' in content


def test_my_page_offers_to_ask_for_help_on_a_gap_with_the_number_of_volunteers(
    client, cast, campaign
):
    _mentor(cast, campaign)
    _mentor(cast, campaign)
    response = _page_of(client, cast.agent)
    (option,) = _section(response).can_ask
    assert (option.standing.competence.code, option.standing.level, option.volunteers) == (
        "1.1",
        None,
        2,
    )
    assert "2 collègues volontaires" in response.content.decode()
    assert "Demander un·e compagnon·ne" in response.content.decode()


def test_volunteering_from_my_page_then_withdrawing(client, cast, campaign):
    share_levels(cast.agent_agent, campaign, {"1.1": 4})
    client.force_login(cast.agent)
    url = _my_url("my_mentor_volunteer", cast.programme)
    response = client.post(url, {"competence": "1.1"})
    assert response.status_code == 302
    assert response.url == reverse("programmes:my_page") + "#compagnonnage-programme-dr"
    response = client.get(response.url)
    assert "Vous êtes volontaire pour aider vos collègues en 1.1" in _messages(response)[0]
    assert [o.competence.code for o in _section(response).offers] == ["1.1"]
    assert "Me retirer" in response.content.decode()

    response = client.post(
        _my_url("my_mentor_withdraw", cast.programme), {"competence": "1.1"}, follow=True
    )
    assert "Vous n’êtes plus volontaire en 1.1." in _messages(response)[0]
    assert not Mentor.objects.filter(withdrawn_at=None).exists()


def test_volunteering_below_target_from_my_page_says_why_and_changes_nothing(
    client, cast, campaign
):
    share_levels(cast.agent_agent, campaign, {"1.1": 1})
    client.force_login(cast.agent)
    response = client.post(
        _my_url("my_mentor_volunteer", cast.programme), {"competence": "1.1"}, follow=True
    )
    assert "il faut avoir atteint votre niveau cible (3)" in _messages(response)[0]
    assert not Mentor.objects.exists()


def test_a_bad_competence_gets_a_french_message(client, cast):
    client.force_login(cast.agent)
    for data, message in (
        ({}, "Choisissez une compétence."),
        ({"competence": "9.9"}, "référentiel"),
    ):
        response = client.post(_my_url("my_mentoring_request", cast.programme), data, follow=True)
        assert message in _messages(response)[0]
    assert not Mentoring.objects.exists()


def test_asking_then_cancelling_from_my_page(client, cast):
    client.force_login(cast.agent)
    response = client.post(
        _my_url("my_mentoring_request", cast.programme), {"competence": "1.1"}, follow=True
    )
    assert "est envoyée à l’ambassadeur Pix" in _messages(response)[0]
    (pending,) = _section(response).pending
    assert pending.competence.code == "1.1"
    assert "Annuler ma demande" in response.content.decode()
    assert _section(response).can_ask == []

    response = client.post(
        _my_url("my_mentoring_cancel", cast.programme), {"competence": "1.1"}, follow=True
    )
    assert "est annulée" in _messages(response)[0]
    assert _section(response).pending == []
    assert Mentoring.objects.get().ended_at is not None


def test_cancelling_a_paired_request_from_my_page_is_refused(client, cast, campaign):
    mentoring_pair(mentoring=_ask(cast), mentor=_mentor(cast, campaign), paired_by=cast.ambassador)
    client.force_login(cast.agent)
    response = client.post(
        _my_url("my_mentoring_cancel", cast.programme), {"competence": "1.1"}, follow=True
    )
    assert "déjà mis·e en relation" in _messages(response)[0]
    assert Mentoring.objects.get().ended_at is None


@pytest.mark.parametrize(
    "name",
    ["my_mentor_volunteer", "my_mentor_withdraw", "my_mentoring_request", "my_mentoring_cancel"],
)
def test_agent_actions_are_for_the_agent_on_a_programme_they_are_enrolled_in(client, cast, name):
    client.force_login(cast.agent)
    other = cast.other_population.programme
    assert client.post(_my_url(name, other), {"competence": "1.1"}).status_code == 404
    for user in (cast.owner, cast.ambassador, cast.outsider, cast.manager, cast.staff):
        client.force_login(user)  # no agent, or an agent not enrolled in the programme
        assert client.post(_my_url(name, cast.programme), {"competence": "1.1"}).status_code == 404
    assert not Mentor.objects.exists() and not Mentoring.objects.exists()


def test_withdrawing_acts_on_the_agents_own_offer_only(client, cast, campaign):
    offer = _mentor(cast, campaign)
    client.force_login(cast.agent)
    response = client.post(
        _my_url("my_mentor_withdraw", cast.programme), {"competence": "1.1"}, follow=True
    )
    assert "Vous n’êtes pas volontaire en 1.1." in _messages(response)[0]
    offer.refresh_from_db()
    assert offer.withdrawn_at is None


def test_two_populations_of_one_programme_show_one_mentoring_section(client, cast):
    second = TargetPopulationFactory(programme=cast.programme, name="Zeta")
    EnrolmentFactory(agent=cast.agent_agent, population=second)
    response = _page_of(client, cast.agent)
    first_row, second_row = response.context["rows"]
    assert first_row.mentoring is not None
    assert second_row.mentoring is None
    assert second_row.mentoring_above is first_row
    assert response.content.decode().count('id="compagnonnage-programme-dr"') == 1


def _my_lines_by_programme(agent):
    """What « Mon parcours » gives mentoring_for_my_page: each programme with the results
    lines of the agent's enrolments there."""
    rows = [EnrolmentRow(e) for e in selectors.populations_of_agent(agent)]
    add_results(agent, rows)
    lines = defaultdict(list)
    for row in rows:
        lines[row.enrolment.population.programme].extend(row.lines)
    return lines


def test_my_page_mentoring_costs_three_queries_for_all_rows(
    cast, campaign, django_assert_num_queries
):
    share_levels(cast.agent_agent, campaign, {"1.1": 4})
    for _ in range(3):  # more programmes, offers, requests and pairings
        population = TargetPopulationFactory(programme=ProgrammeFactory())
        TargetFactory(population=population, level=2)
        EnrolmentFactory(agent=cast.agent_agent, population=population)
        MentorFactory(programme=population.programme, agent=cast.agent_agent)
        MentoringFactory(programme=population.programme, mentee=cast.agent_agent, paired=True)
        MentoringFactory(
            programme=population.programme,
            paired=True,
            mentor__agent=cast.agent_agent,
            mentor__competence=competence("1.2"),
            competence=competence("1.2"),
        )
    lines = _my_lines_by_programme(cast.agent_agent)
    assert len(lines) == 4
    with django_assert_num_queries(3):
        sections = mentoring_for_my_page(cast.agent_agent, lines)
    assert sum(len(section.my_mentees) for section in sections.values()) == 3


def test_my_page_query_count_does_not_grow_with_mentoring_data(client, cast, campaign):
    client.force_login(cast.agent)
    url = reverse("programmes:my_page")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    share_levels(cast.agent_agent, campaign, {"1.1": 2})
    _ask(cast)
    for _ in range(5):
        _mentor(cast, campaign)
    mentoring_pair(
        mentoring=Mentoring.objects.get(), mentor=Mentor.objects.first(), paired_by=cast.ambassador
    )
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


# --- The pairing page ------------------------------------------------------------------------


def test_pairing_page_lists_pending_requests_first_with_level_and_target(client, cast, campaign):
    share_levels(cast.team[2], campaign, {"1.1": 1})
    paired = mentoring_pair(
        mentoring=_ask(cast, cast.team[3]), mentor=_mentor(cast, campaign), paired_by=cast.staff
    )
    pending = _ask(cast, cast.team[2])
    client.force_login(cast.ambassador)
    response = client.get(_list_url(cast.programme))
    assert response.status_code == 200
    assert list(response.context["page_obj"]) == [pending, paired]
    (row,) = response.context["pending"]
    assert (row.level, row.target, [p.name for p in row.populations]) == (1, 3, ["Assistants"])
    content = response.content.decode()
    assert "niveau 1 / niveau 3" in content
    assert "Mettre en relation" in content
    assert "Terminer" in content
    assert response.context["paired"] == [paired]


def test_candidates_fewest_pairings_then_same_unit_then_name(cast, campaign):
    here, elsewhere = cast.agent_agent.org_unit, OrgUnitFactory(name="Ailleurs")
    busy = _mentor(cast, campaign, last_name="Aubert", org_unit=here)
    mentoring_pair(mentoring=_ask(cast, cast.team[4]), mentor=busy, paired_by=cast.ambassador)
    far_a = _mentor(cast, campaign, last_name="Abel", org_unit=elsewhere)
    near_z = _mentor(cast, campaign, last_name="Zola", org_unit=here)
    near_b = _mentor(cast, campaign, last_name="Bernard", org_unit=here)
    withdrawn = _mentor(cast, campaign, last_name="Retiré", org_unit=here)
    mentor_withdraw(mentor=withdrawn)
    MentorFactory(programme=cast.programme, agent=cast.team[5], competence=competence("1.2"))
    share_levels(cast.agent_agent, campaign, {"1.1": 5})
    own = mentor_volunteer(
        agent=cast.agent_agent, programme=cast.programme, competence=competence("1.1")
    )
    request = MentoringFactory(programme=cast.programme, mentee=cast.agent_agent)
    client = Client()
    client.force_login(cast.ambassador)
    response = client.get(_list_url(cast.programme))
    (row,) = [m for m in response.context["pending"] if m.pk == request.pk]
    assert row.candidates == [near_b, near_z, far_a, busy]
    assert own not in row.candidates


def test_ambassador_pairs_from_the_page_and_both_then_see_each_other(client, cast, campaign):
    offer = _mentor(cast, campaign, email="compagnon@exemple.gouv.fr")
    request = _ask(cast)
    client.force_login(cast.ambassador)
    response = client.post(_pair_url(request), {"mentor": offer.pk, "page": "1"}, follow=True)
    assert response.redirect_chain[-1][0] == _list_url(cast.programme) + "?page=1"
    assert "sont mis en relation en 1.1" in _messages(response)[0]
    request.refresh_from_db()
    assert request.mentor == offer and request.paired_by == cast.ambassador
    assert "compagnon@exemple.gouv.fr" in _page_of(Client(), cast.agent).content.decode()


def test_pairing_refusals_are_french_messages_that_change_nothing(client, cast, campaign):
    offer = _mentor(cast, campaign)
    mentor_withdraw(mentor=offer)
    request = _ask(cast)
    elsewhere = MentorFactory(agent=cast.team[2])
    client.force_login(cast.ambassador)
    cases = [
        ({"mentor": offer.pk}, "n’est plus volontaire"),
        ({"mentor": elsewhere.pk}, "n’existe pas dans ce programme"),
        ({"mentor": "abc"}, "n’existe pas dans ce programme"),
        ({}, "Choisissez un·e compagnon·ne"),
    ]
    for data, message in cases:
        response = client.post(_pair_url(request), data, follow=True)
        assert message in _messages(response)[0], data
    request.refresh_from_db()
    assert request.mentor is None


def test_ambassador_ends_a_pairing_from_the_page(client, cast, campaign):
    pairing = mentoring_pair(
        mentoring=_ask(cast), mentor=_mentor(cast, campaign), paired_by=cast.ambassador
    )
    client.force_login(cast.ambassador)
    response = client.post(_end_url(pairing), follow=True)
    assert "est terminé" in _messages(response)[0]
    pairing.refresh_from_db()
    assert pairing.ended_at is not None
    assert response.context["paired"] == []


def test_a_population_ambassador_sees_and_pairs_only_their_populations_requests(
    client, cast, campaign
):
    neighbour_ambassador = UserFactory()
    neighbours = TargetPopulationFactory(
        programme=cast.programme, name="Voisins", ambassadors=[neighbour_ambassador]
    )
    TargetFactory(population=neighbours)
    theirs = _ask(cast, _member(cast, population=neighbours))
    ours = _ask(cast)
    offer = _mentor(cast, campaign)

    client.force_login(cast.ambassador)
    assert list(client.get(_list_url(cast.programme)).context["page_obj"]) == [ours]
    assert client.post(_pair_url(theirs), {"mentor": offer.pk}).status_code == 404
    assert client.post(_end_url(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.mentor is None and theirs.ended_at is None

    client.force_login(neighbour_ambassador)
    assert list(client.get(_list_url(cast.programme)).context["page_obj"]) == [theirs]


def test_programme_ambassadors_and_staff_see_every_request_of_the_programme(client, cast):
    programme_ambassador = UserFactory()
    cast.programme.ambassadors.add(programme_ambassador)
    neighbours = TargetPopulationFactory(programme=cast.programme, name="Voisins")
    TargetFactory(population=neighbours)
    requests = [_ask(cast, _member(cast, population=neighbours)), _ask(cast)]
    elsewhere = MentoringFactory(programme=cast.other_population.programme)
    for user in (programme_ambassador, cast.staff):
        client.force_login(user)
        shown = list(client.get(_list_url(cast.programme)).context["page_obj"])
        assert shown == requests
        assert elsewhere not in shown


def test_pairing_writes_answer_each_role(cast, campaign):
    offer = _mentor(cast, campaign)
    request = _ask(cast)
    expected = {"owner": 403, "manager": 404, "agent": 404, "outsider": 404}
    for role, status in expected.items():
        client = Client()
        client.force_login(getattr(cast, role))
        assert client.post(_pair_url(request), {"mentor": offer.pk}).status_code == status
        assert client.post(_end_url(request)).status_code == status
    request.refresh_from_db()
    assert request.mentor is None and request.ended_at is None
    anonymous = Client().post(_pair_url(request), {"mentor": offer.pk})
    assert anonymous.status_code == 302


def test_a_request_of_another_programme_answers_404_under_this_programmes_address(client, cast):
    foreign = MentoringFactory(programme=cast.other_population.programme)
    client.force_login(cast.staff)
    url = reverse(
        "programmes:mentoring_pair",
        kwargs={"slug": cast.programme.slug, "mentoring_id": foreign.pk},
    )
    assert client.post(url, {"mentor": 1}).status_code == 404


def test_the_volunteers_list_by_competence(client, cast, campaign):
    first = _mentor(cast, campaign, last_name="Aubert")
    gone = _mentor(cast, campaign, last_name="Parti")
    mentor_withdraw(mentor=gone)
    other = MentorFactory(
        programme=cast.programme, agent=cast.team[2], competence=competence("2.1")
    )
    client.force_login(cast.ambassador)
    url = reverse("programmes:mentor_list", kwargs={"slug": cast.programme.slug})
    response = client.get(url)
    assert list(response.context["page_obj"]) == [first, other]
    assert first.agent.full_name in response.content.decode()
    assert first.agent.email not in response.content.decode()
    response = client.get(url, {"competence": "2.1"})
    assert list(response.context["page_obj"]) == [other]


def test_the_programme_and_population_pages_link_to_mentoring_for_ambassadors_only(client, cast):
    link = _list_url(cast.programme)
    client.force_login(cast.ambassador)
    assert (
        link
        in client.get(
            reverse("programmes:population_detail", args=[cast.population.pk])
        ).content.decode()
    )
    client.force_login(cast.owner)
    assert (
        link
        not in client.get(
            reverse("programmes:population_detail", args=[cast.population.pk])
        ).content.decode()
    )
    assert link not in client.get(cast.programme.get_absolute_url()).content.decode()
    client.force_login(cast.staff)
    assert link in client.get(cast.programme.get_absolute_url()).content.decode()


# --- Pinned query counts ---------------------------------------------------------------------


def _fill(cast, campaign, count):
    """`count` pending requests and `count` pairings, and as many volunteers."""
    for _ in range(count):
        mentee = _member(cast)
        _ask(cast, mentee)
        pairing = _ask(cast, _member(cast))
        mentoring_pair(mentoring=pairing, mentor=_mentor(cast, campaign), paired_by=cast.staff)


@pytest.mark.parametrize(
    "name,role,expected",
    [
        ("programmes:mentoring_list", "ambassador", 12),
        ("programmes:mentoring_list", "staff", 10),
        ("programmes:mentor_list", "ambassador", 8),
    ],
)
def test_pairing_pages_query_count_is_pinned_and_does_not_grow(
    client, cast, campaign, django_assert_num_queries, name, role, expected
):
    _fill(cast, campaign, 1)
    client.force_login(getattr(cast, role))
    url = reverse(name, kwargs={"slug": cast.programme.slug})
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200
    _fill(cast, campaign, 20)
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["page_obj"]) > 20


def test_programme_page_links_to_pairing_only_for_those_who_may_pair(client, cast):
    """An owner who is an ambassador in another programme gets no link that would answer 403."""
    cast.other_population.ambassadors.add(cast.owner)
    page = reverse("programmes:programme_detail", kwargs={"slug": cast.programme.slug})
    pairing = reverse("programmes:mentoring_list", kwargs={"slug": cast.programme.slug})
    client.force_login(cast.owner)
    assert pairing not in client.get(page).content.decode()
    client.force_login(cast.ambassador)
    assert pairing in client.get(page).content.decode()


def test_population_page_links_to_pairing_only_for_those_who_accompany_it(client, managerial_cast):
    cast = managerial_cast
    cast.other_population.ambassadors.add(cast.owner)
    page = reverse("programmes:population_detail", kwargs={"pk": cast.population.pk})
    pairing = reverse("programmes:mentoring_list", kwargs={"slug": cast.programme.slug})
    client.force_login(cast.owner)
    response = client.get(page)
    assert response.context["sees_individuals"]  # sees the members…
    assert pairing not in response.content.decode()  # …but does not pair them
    client.force_login(cast.ambassador)
    assert pairing in client.get(page).content.decode()
