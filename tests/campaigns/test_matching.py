"""Matching participants to agents: the rules alone, then through real imports."""

import pytest

from campaigns import services
from campaigns.enums import ImportStatus, MatchStatus
from campaigns.importing.keys import fold_name, participant_key
from campaigns.importing.matching import (
    AgentDirectory,
    Match,
    label_asks_for_email,
    match_participant,
)
from campaigns.models import Participation
from tests.agents.factories import AgentFactory
from tests.campaigns.factories import (
    export,
    imported,
    media_root,  # noqa: F401 - fixture
    not_sent,
    paris,
    profiles_campaign,
    sent,
)

# --- The rules, without a database ---------------------------------------------------------------

DIRECTORY = AgentDirectory(
    [
        # id, email, external id, last name, first name
        (1, "Helene.Lefevre@Exemple.gouv.fr", "A1000", "Lefèvre", "Hélène"),
        (2, "jb.durand@exemple.gouv.fr", " 1000007 ", "Durand-Léger", "Jean-Baptiste"),
        (3, None, None, "Bernard", "Hélène"),
        (4, None, None, "Bernard", "Hélène"),
        (5, "n.ndiaye@exemple.gouv.fr", "B77", "N’Diaye", "Nadia"),
    ]
)


def match(external_id=None, last_name="Inconnu", first_name="Personne", **kwargs):
    kwargs.setdefault("email_label", False)
    return match_participant(
        DIRECTORY, external_id=external_id, last_name=last_name, first_name=first_name, **kwargs
    )


def test_a_matricule_matches_the_agent_external_id_exactly_after_strip():
    assert match(" A1000 ") == Match(1, MatchStatus.EXTERNAL_ID)
    assert match("1000007") == Match(2, MatchStatus.EXTERNAL_ID)
    assert match("a1000") == Match(None, MatchStatus.UNMATCHED)


def test_an_email_external_id_matches_the_agent_email_whatever_its_case():
    assert match("helene.lefevre@exemple.gouv.fr") == Match(1, MatchStatus.EMAIL)
    assert match("HELENE.LEFEVRE@EXEMPLE.GOUV.FR", email_label=True) == Match(1, MatchStatus.EMAIL)


def test_the_label_of_the_external_id_says_when_it_is_an_email():
    assert label_asks_for_email("Adresse e-mail professionnelle")
    assert label_asks_for_email("Courriel")
    assert label_asks_for_email("MAIL")
    assert label_asks_for_email("Mél")
    assert not label_asks_for_email("Matricule")
    assert not label_asks_for_email(None)


def test_a_name_borne_by_one_agent_matches_but_must_be_confirmed():
    assert match(None, "DURAND LEGER", "jean baptiste") == Match(2, MatchStatus.TO_CONFIRM)
    assert match("unknown-id", "Lefevre", "Helene") == Match(1, MatchStatus.TO_CONFIRM)
    assert match(None, "N'Diaye", "Nadia") == Match(5, MatchStatus.TO_CONFIRM)


def test_a_name_borne_by_several_agents_matches_nobody():
    assert match(None, "Bernard", "Hélène") == Match(None, MatchStatus.UNMATCHED)


def test_an_earlier_match_of_the_participant_is_kept():
    previous = Match(4, MatchStatus.MANUAL)
    assert match("A1000", previous=previous) == previous


def test_a_participant_unmatched_by_hand_is_not_matched_by_name_again():
    rejected = Match(None, MatchStatus.MANUAL)
    assert match(None, "Lefèvre", "Hélène", previous=rejected) == rejected
    assert match("A1000", "Lefèvre", "Hélène", previous=rejected) == Match(
        1, MatchStatus.EXTERNAL_ID
    )


def test_names_are_folded_for_accents_case_hyphens_and_apostrophes():
    assert fold_name("Durand-Léger") == fold_name("DURAND  LEGER") == "durand leger"
    assert fold_name("N’Diaye") == fold_name("n'diaye")
    assert fold_name("Öztürk") == "ozturk"


def test_a_participant_is_known_by_external_id_else_by_name():
    assert participant_key(external_id=" A1000 ", last_name="X", first_name="Y") == "ext:a1000"
    assert (
        participant_key(external_id=None, last_name="Durand-Léger", first_name="Zoé")
        == "name:durand leger|zoe"
    )


# --- Through imports -----------------------------------------------------------------------------


def participant(external_id):
    return Participation.objects.get(participant_external_id=external_id)


@pytest.mark.django_db
@pytest.mark.usefixtures("media_root")
def test_an_import_matches_by_matricule_then_by_name():
    helene = AgentFactory(external_id="A1000", last_name="Lefèvre", first_name="Hélène")
    paul = AgentFactory(external_id="Z9", last_name="Martin", first_name="Paul")
    AgentFactory.create_batch(2, last_name="Bernard", first_name="Nadia", external_id=None)
    content, name = export(
        profiles_campaign(),
        [
            sent("Lefèvre", "Hélène", "A1000", at=paris(2026, 3, 2, 10, 0)),
            not_sent("MARTIN", "paul", "X-unknown"),
            not_sent("Bernard", "Nadia", "X2"),
        ],
    )

    result_import = imported(content, name)

    assert (result_import.matched, result_import.to_confirm, result_import.unmatched) == (1, 1, 1)
    assert (participant("A1000").agent, participant("A1000").match_status) == (
        helene,
        MatchStatus.EXTERNAL_ID,
    )
    assert (participant("X-unknown").agent, participant("X-unknown").match_status) == (
        paul,
        MatchStatus.TO_CONFIRM,
    )
    assert participant("X2").agent is None
    assert participant("X2").match_status == MatchStatus.UNMATCHED
    assert "1 participant rapproché par le nom : à confirmer" in result_import.warnings


@pytest.mark.django_db
@pytest.mark.usefixtures("media_root")
def test_a_campaign_asking_for_an_email_matches_agents_by_email():
    agent = AgentFactory(email="paul.martin@exemple.gouv.fr", external_id="M1")
    campaign = profiles_campaign(external_id_label="Adresse e-mail professionnelle")
    content, name = export(campaign, [not_sent("Martin", "Paul", "Paul.Martin@Exemple.gouv.fr")])

    imported(content, name)

    found = Participation.objects.get()
    assert (found.agent, found.match_status) == (agent, MatchStatus.EMAIL)


@pytest.mark.django_db
@pytest.mark.usefixtures("media_root")
def test_a_manual_match_survives_a_later_import():
    other = AgentFactory(external_id="Q7", last_name="Petit", first_name="Inès")
    chosen = AgentFactory(external_id="Q8")
    campaign = profiles_campaign()
    content, name = export(campaign, [not_sent("Petit", "Inès", "unknown-7")])
    imported(content, name)
    waiting = Participation.objects.get()
    assert (waiting.agent, waiting.match_status) == (other, MatchStatus.TO_CONFIRM)

    assert services.participation_match(participation=waiting, agent=chosen) == 1
    content, name = export(
        campaign,
        [sent("Petit", "Inès", "unknown-7", at=paris(2026, 4, 1, 9, 0))],
        exported_at=paris(2026, 4, 30, 9, 0),
    )
    later = imported(content, name)

    assert later.status == ImportStatus.DONE
    now = Participation.objects.get()
    assert (now.agent, now.match_status) == (chosen, MatchStatus.MANUAL)
    assert (later.matched, later.to_confirm) == (1, 0)


@pytest.mark.django_db
@pytest.mark.usefixtures("media_root")
def test_matching_by_hand_attaches_every_participation_of_the_participant():
    agent = AgentFactory(external_id="K1")
    content, name = export(
        profiles_campaign(),
        [
            sent("Leroy", "Karim", "unknown-k", at=paris(2026, 3, 3, 11, 0)),
            not_sent("Leroy", "Karim", "unknown-k"),
            not_sent("Simon", "Léa", "unknown-l"),
        ],
    )
    imported(content, name)
    first = Participation.objects.filter(participant_external_id="unknown-k").first()

    count = services.participation_match(participation=first, agent=agent)

    assert count == 2
    assert set(Participation.objects.filter(agent=agent).values_list("row_key", flat=True)) == {
        "open",
        "shared:2026-03-03T10:00:00+00:00",
    }
    assert sum(p.results.count() for p in agent.participations.all()) == 16
    assert Participation.objects.unmatched().count() == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("media_root")
def test_a_confirmed_name_match_becomes_manual_and_an_undone_one_stays_in_the_queue():
    AgentFactory(external_id="Z1", last_name="Leroy", first_name="Karim")
    AgentFactory(external_id="Z2", last_name="Simon", first_name="Léa")
    campaign = profiles_campaign()
    content, name = export(
        campaign, [not_sent("Leroy", "Karim", "x1"), not_sent("Simon", "Léa", "x2")]
    )
    imported(content, name)
    karim, lea = participant("x1"), participant("x2")

    services.participation_confirm(participation=karim)
    services.participation_unmatch(participation=lea)

    assert participant("x1").match_status == MatchStatus.MANUAL
    assert (participant("x2").agent, participant("x2").match_status) == (None, MatchStatus.MANUAL)
    # A later import does not match Léa by name again.
    content, name = export(
        campaign,
        [
            not_sent("Leroy", "Karim", "x1"),
            not_sent("Simon", "Léa", "x2"),
            not_sent("A", "B", "x3"),
        ],
        exported_at=paris(2026, 5, 1, 8, 0),
    )
    imported(content, name)
    assert participant("x2").agent is None
    assert participant("x1").match_status == MatchStatus.MANUAL


@pytest.mark.django_db
@pytest.mark.usefixtures("media_root")
def test_an_agent_created_after_an_import_is_matched_by_the_next_one():
    campaign = profiles_campaign()
    content, name = export(campaign, [not_sent("Moreau", "Hugo", "H1")])
    imported(content, name)
    assert participant("H1").agent is None
    agent = AgentFactory(external_id="H1", last_name="Moreau", first_name="Hugo")

    content, name = export(
        campaign,
        [not_sent("Moreau", "Hugo", "H1"), not_sent("Thomas", "Théo", "H2")],
        exported_at=paris(2026, 5, 2, 8, 0),
    )
    later = imported(content, name)

    assert (later.participations_created, later.participations_updated) == (1, 1)
    assert (participant("H1").agent, participant("H1").match_status) == (
        agent,
        MatchStatus.EXTERNAL_ID,
    )


def test_a_learner_pix_anonymised_is_never_matched_even_to_an_agent_of_that_name():
    directory = AgentDirectory([(9, None, "A1000", "Anonymized", "Anonymized")])
    earlier = Match(9, MatchStatus.MANUAL)

    by_name = match_participant(
        directory,
        external_id=None,
        last_name="Anonymized",
        first_name="Anonymized",
        email_label=False,
    )
    by_id = match_participant(
        directory,
        external_id="A1000",
        last_name="ANONYMIZED",
        first_name="anonymized",
        email_label=False,
        previous=earlier,
    )

    assert by_name == by_id == Match(None, MatchStatus.ANONYMISED)
