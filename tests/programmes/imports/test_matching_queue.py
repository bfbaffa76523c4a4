"""The queue of participants to match: one row per person, whatever the number of their
participations in the programme's campaigns."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from campaigns.enums import MatchStatus
from campaigns.models import Participation
from programmes.imports import selectors as import_selectors
from programmes.models import DismissedParticipant
from tests.agents.factories import AgentFactory
from tests.campaigns.factories import CampaignFactory
from tests.programmes.factories import EnrolmentFactory
from tests.programmes.import_factories import waiting_participation


def url(name, cast, **kwargs):
    return reverse(f"programmes:{name}", kwargs={"slug": cast.programme.slug, **kwargs})


def person(programme, campaigns, external_id, last_name="Lefèvre", first_name="Inès"):
    """One person with a participation in each of `campaigns`, and two in the first one."""
    common = {
        "participant_external_id": external_id,
        "participant_last_name": last_name,
        "participant_first_name": first_name,
    }
    rows = [waiting_participation(programme, campaign=c, **common) for c in campaigns]
    rows.append(waiting_participation(programme, campaign=campaigns[0], row_key="2", **common))
    return rows


@pytest.fixture
def campaigns():
    return [CampaignFactory(name="Collecte A"), CampaignFactory(name="Collecte B")]


def test_a_person_with_several_participations_is_one_row(client, cast, campaigns):
    person(cast.programme, campaigns, "X-1")
    person(cast.programme, campaigns, "X-2", last_name="Aubert", first_name="Léa")
    client.force_login(cast.ambassador)

    response = client.get(url("unmatched_list", cast))

    rows = list(response.context["page_obj"])
    assert [(r["last_name"], len(r["participations"])) for r in rows] == [
        ("Aubert", 3),
        ("Lefèvre", 3),
    ]
    html = response.content.decode()
    assert "Non rapprochés (2)" in html
    assert "2 personnes sans agent" in html
    assert html.count("Collecte A") == 4


def test_the_programme_page_counts_persons(client, cast, campaigns):
    person(cast.programme, campaigns, "X-1")
    client.force_login(cast.ambassador)

    html = client.get(cast.programme.get_absolute_url()).content.decode()

    assert "Participants à rapprocher (1)" in html
    assert import_selectors.participations_to_match_counts(cast.programme)["unmatched"] == 1


def test_the_queue_is_paginated_by_person(client, cast, campaigns):
    for n in range(51):
        person(cast.programme, campaigns[:1], f"X-{n}", last_name=f"Nom{n:03d}")
    client.force_login(cast.ambassador)

    first = client.get(url("unmatched_list", cast))
    second = client.get(url("unmatched_list", cast), {"page": 2})

    assert len(first.context["page_obj"]) == 50
    assert [r["last_name"] for r in second.context["page_obj"]] == ["Nom050"]
    assert len(second.context["page_obj"][0]["participations"]) == 2


def test_search_finds_the_person_with_all_their_participations(client, cast, campaigns):
    person(cast.programme, campaigns, "X-1")
    person(cast.programme, campaigns, "X-2", last_name="Aubert", first_name="Léa")
    client.force_login(cast.ambassador)

    response = client.get(url("unmatched_list", cast), {"q": "lefè"})

    [row] = response.context["page_obj"]
    assert (row["first_name"], len(row["participations"])) == ("Inès", 3)


def test_matching_a_person_attaches_their_participations_in_every_campaign(client, cast, campaigns):
    rows = person(cast.programme, campaigns, "X-1")
    agent = AgentFactory(last_name="Lefèvre", first_name="Inès")
    EnrolmentFactory(agent=agent, population=cast.population)
    client.force_login(cast.ambassador)
    detail = client.get(url("unmatched_detail", cast, participation_id=rows[0].pk))
    assert len(detail.context["participations"]) == 3

    client.post(url("unmatched_match", cast, participation_id=rows[0].pk), {"agent": agent.pk})

    matched = Participation.objects.filter(pk__in=[r.pk for r in rows])
    assert {(p.agent, p.match_status) for p in matched} == {(agent, MatchStatus.MANUAL)}


def test_creating_the_agent_attaches_every_campaign(client, cast, campaigns):
    rows = person(cast.programme, campaigns, "X-1")
    client.force_login(cast.ambassador)

    client.post(
        url("unmatched_create_agent", cast, participation_id=rows[1].pk),
        {"last_name": "Lefèvre", "first_name": "Inès", "external_id": "X-1"},
    )

    assert Participation.objects.filter(agent__external_id="X-1").count() == 3


# --- « Pas dans notre organisation » -----------------------------------------------------------


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_dismissed_participant_leaves_the_queue_and_the_counts(client, cast, campaigns):
    rows = person(cast.programme, campaigns, "X-1")
    person(cast.programme, campaigns, "X-2", last_name="Aubert", first_name="Léa")
    client.force_login(cast.ambassador)

    response = client.post(url("unmatched_dismiss", cast, participation_id=rows[0].pk))

    assert response.url == url("unmatched_list", cast)
    assert messages_of(response) == [
        "Inès Lefèvre est écarté·e : pas dans notre organisation. Il ou elle ne sera plus "
        "proposé·e, même après un nouvel import ; l’onglet « Écartés » permet d’annuler."
    ]
    dismissed = DismissedParticipant.objects.get()
    assert (dismissed.participant_key, dismissed.by) == ("ext:x-1", cast.ambassador)
    queue = client.get(url("unmatched_list", cast))
    assert [r["last_name"] for r in queue.context["page_obj"]] == ["Aubert"]
    html = queue.content.decode()
    assert "Non rapprochés (1)" in html
    assert "Écartés, pas dans notre organisation (1)" in html
    assert (
        "Participants à rapprocher (1)"
        in client.get(cast.programme.get_absolute_url()).content.decode()
    )
    tab = client.get(url("unmatched_list", cast), {"onglet": "ecartes"})
    [row] = tab.context["page_obj"]
    assert (row["last_name"], len(row["participations"])) == ("Lefèvre", 3)
    assert client.get(url("unmatched_detail", cast, participation_id=rows[0].pk)).status_code == 404


def test_a_dismissal_survives_a_new_participation_of_the_same_participant(client, cast, campaigns):
    rows = person(cast.programme, campaigns, "X-1")
    client.force_login(cast.owner)
    client.post(url("unmatched_dismiss", cast, participation_id=rows[0].pk))

    person(cast.programme, [CampaignFactory(name="Collecte C")], "X-1")  # a later import

    assert import_selectors.participations_to_match_counts(cast.programme)["unmatched"] == 0
    tab = client.get(url("unmatched_list", cast), {"onglet": "ecartes"})
    assert len(tab.context["page_obj"][0]["participations"]) == 5


def test_a_dismissal_is_undone(client, cast, campaigns):
    rows = person(cast.programme, campaigns, "X-1")
    client.force_login(cast.ambassador)
    client.post(url("unmatched_dismiss", cast, participation_id=rows[1].pk))

    response = client.post(url("unmatched_restore", cast, participation_id=rows[1].pk))

    assert messages_of(response)[-1] == "Inès Lefèvre attend de nouveau d’être rapproché·e."
    assert not DismissedParticipant.objects.exists()
    assert import_selectors.participations_to_match_counts(cast.programme)["unmatched"] == 1


def test_dismissing_is_post_only_and_scoped(client, cast, campaigns):
    rows = person(cast.programme, campaigns, "X-1")
    elsewhere = waiting_participation(cast.other_population.programme)
    client.force_login(cast.ambassador)

    assert (
        client.get(url("unmatched_dismiss", cast, participation_id=rows[0].pk)).status_code == 405
    )
    dismiss_elsewhere = url("unmatched_dismiss", cast, participation_id=elsewhere.pk)
    assert client.post(dismiss_elsewhere).status_code == 404
    assert (
        client.post(url("unmatched_restore", cast, participation_id=rows[0].pk)).status_code == 404
    )
    client.force_login(cast.manager)
    assert (
        client.post(url("unmatched_dismiss", cast, participation_id=rows[0].pk)).status_code == 404
    )
    assert not DismissedParticipant.objects.exists()


# --- Suggested agents --------------------------------------------------------------------------


def enrolled_agent(cast, **kwargs):
    agent = AgentFactory(**kwargs)
    EnrolmentFactory(agent=agent, population=cast.population)
    return agent


def test_the_detail_suggests_agents_alike_best_first(client, cast, campaigns):
    # Surnames Faker never draws: no agent of the cast comes up beside these.
    [waiting, *_] = person(
        cast.programme, campaigns, "ines.quintavalle", last_name="Quintavallé", first_name="Ines"
    )
    by_email = enrolled_agent(
        cast, last_name="Martin", first_name="Inès", email="ines.quintavalle@example.gouv.fr"
    )
    typo = enrolled_agent(cast, last_name="Quintavale", first_name="Inès", email=None)
    exact = enrolled_agent(cast, last_name="QUINTAVALLÉ", first_name="Inès", email=None)
    enrolled_agent(cast, last_name="Durand", first_name="Paul", email=None)
    AgentFactory(last_name="Quintavallé", first_name="Inès", email=None)  # not visible
    client.force_login(cast.ambassador)

    response = client.get(url("unmatched_detail", cast, participation_id=waiting.pk))

    assert response.context["suggestions"] == [by_email, exact, typo]
    assert "C’est cette personne" in response.content.decode()


def test_a_suggestion_is_accepted_in_one_click(client, cast, campaigns):
    # A name Faker never draws, so that no agent of the cast is suggested beside this one.
    rows = person(cast.programme, campaigns, "X-1", last_name="Quintavalle", first_name="Ysolde")
    agent = enrolled_agent(cast, last_name="Quintavalle", first_name="Ysolde")
    client.force_login(cast.ambassador)
    [suggested] = client.get(url("unmatched_detail", cast, participation_id=rows[0].pk)).context[
        "suggestions"
    ]

    client.post(url("unmatched_match", cast, participation_id=rows[0].pk), {"agent": suggested.pk})

    assert Participation.objects.filter(agent=agent).count() == 3
