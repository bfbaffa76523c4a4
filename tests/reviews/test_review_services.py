"""The sheet's life: writing, preparing, the agent's comment, sharing (lock), addenda,
holding (objectives become personal targets), closing; versions."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from campaigns.models import Competence
from programmes.models import PersonalTarget
from reviews import services
from reviews.models import ReviewAddendum, ReviewObjective, ReviewState, ReviewVersion
from tests.agents.factories import AgentFactory
from tests.reviews.factories import ReviewCycleFactory, ReviewFactory

pytestmark = pytest.mark.django_db


def today():
    """Today in Paris, as the services read it (the machine's own date is a day behind
    between 23:00 and midnight, Paris time, in winter)."""
    return timezone.localdate()


def competence(code):
    return Competence.objects.get(code=code)


def fields(**overrides):
    values = {
        "acquired_skills": "Tableur",
        "training_needs": "Messagerie",
        "trainings_wanted": "Formation bureautique",
        "prospects": "Rester dans le service",
        "cpf_informed": True,
        "manager_comment": "Bonne année",
        "objectives": {},
    }
    values.update(overrides)
    return values


@pytest.fixture
def review(managerial_cast):
    cycle = ReviewCycleFactory(programme=managerial_cast.programme, year=2026)
    return ReviewFactory(cycle=cycle, agent=managerial_cast.agent_agent)


def at(review, state):
    review.state = state
    review.save()
    return review


def test_manager_writes_fields_and_objectives(managerial_cast, review):
    services.review_save(
        review=review,
        by=managerial_cast.manager,
        **fields(objectives={competence("1.1"): 4, competence("2.1"): 3}),
    )
    services.review_save(
        review=review,
        by=managerial_cast.manager,
        **fields(
            acquired_skills="Tableur avancé",
            objectives={competence("1.1"): 5, competence("2.1"): None},
        ),
    )

    review.refresh_from_db()
    assert review.acquired_skills == "Tableur avancé" and review.cpf_informed
    assert [(o.competence.code, o.level) for o in review.objectives.all()] == [("1.1", 5)]
    assert not ReviewVersion.objects.exists()  # versions start when the sheet is shared


def test_manager_of_the_manager_may_write(managerial_cast, review):
    boss = AgentFactory(with_user=True)
    managerial_cast.manager_agent.manager = boss
    managerial_cast.manager_agent.save()

    services.review_save(review=review, by=boss.user, **fields())

    review.refresh_from_db()
    assert review.acquired_skills == "Tableur"


@pytest.mark.parametrize("who", ["agent", "outsider", "owner", "ambassador"])
def test_others_may_not_write(managerial_cast, review, who):
    with pytest.raises(PermissionDenied):
        services.review_save(review=review, by=getattr(managerial_cast, who), **fields())
    review.refresh_from_db()
    assert review.acquired_skills == ""


def test_objective_level_out_of_range_changes_nothing(managerial_cast, review):
    with pytest.raises(ValidationError, match="entre 1 et 8"):
        services.review_save(
            review=review, by=managerial_cast.manager, **fields(objectives={competence("1.1"): 9})
        )
    review.refresh_from_db()
    assert review.acquired_skills == "" and not ReviewObjective.objects.exists()


@pytest.mark.parametrize("state", [ReviewState.SHARED, ReviewState.HELD, ReviewState.CLOSED])
def test_locked_sheet_is_not_rewritten(managerial_cast, review, state):
    at(review, state)
    with pytest.raises(ValidationError, match="verrouillée"):
        services.review_save(review=review, by=managerial_cast.manager, **fields())
    review.refresh_from_db()
    assert review.acquired_skills == ""


def test_full_life_keeps_numbered_versions(managerial_cast, review):
    manager, agent = managerial_cast.manager, managerial_cast.agent
    services.review_save(review=review, by=manager, **fields(objectives={competence("1.1"): 4}))
    services.review_mark_prepared(review=review, by=manager)
    services.review_agent_comment(review=review, by=agent, text="D'accord")
    services.review_share(review=review, by=manager)
    assert review.state == ReviewState.SHARED and review.is_locked and review.shared_at
    services.review_addendum_add(review=review, by=agent, text="Je précise un point")
    services.review_addendum_add(review=review, by=manager, text="Noté")
    services.review_hold(review=review, by=manager, meeting_on=today())
    services.review_close(review=review, by=manager)

    review.refresh_from_db()
    assert review.state == ReviewState.CLOSED and review.closed_at
    versions = list(review.versions.all())
    assert [(v.number, v.reason) for v in versions] == [
        (1, "Partagée avec l'agent"),
        (2, "Addendum"),
        (3, "Addendum"),
        (4, "Entretien tenu"),
        (5, "Clôturée"),
    ]
    assert versions[0].content["agent_comment"] == "D'accord"
    assert versions[0].content["addenda"] == []
    assert [a["text"] for a in versions[2].content["addenda"]] == ["Je précise un point", "Noté"]
    assert versions[0].content["objectives"][0]["level"] == 4


def test_agent_comments_only_while_prepared(managerial_cast, review):
    with pytest.raises(ValidationError, match="une fois préparée"):
        services.review_agent_comment(review=review, by=managerial_cast.agent, text="Trop tôt")
    at(review, ReviewState.SHARED)
    with pytest.raises(ValidationError, match="addendum"):
        services.review_agent_comment(review=review, by=managerial_cast.agent, text="Trop tard")
    review.refresh_from_db()
    assert review.agent_comment == ""


def test_only_the_agent_comments(managerial_cast, review):
    at(review, ReviewState.PREPARED)
    with pytest.raises(PermissionDenied):
        services.review_agent_comment(review=review, by=managerial_cast.manager, text="Moi")


def test_addendum_only_once_locked(managerial_cast, review):
    at(review, ReviewState.PREPARED)
    with pytest.raises(ValidationError, match="fiche partagée"):
        services.review_addendum_add(review=review, by=managerial_cast.manager, text="Tôt")
    assert not ReviewAddendum.objects.exists() and not ReviewVersion.objects.exists()


def test_empty_addendum_is_refused(managerial_cast, review):
    at(review, ReviewState.SHARED)
    with pytest.raises(ValidationError, match="texte"):
        services.review_addendum_add(review=review, by=managerial_cast.agent, text="   ")
    assert not ReviewAddendum.objects.exists()


def test_outsider_may_not_add_an_addendum(managerial_cast, review):
    at(review, ReviewState.SHARED)
    with pytest.raises(PermissionDenied):
        services.review_addendum_add(review=review, by=managerial_cast.outsider, text="x")


@pytest.mark.parametrize(
    ("service", "state", "message"),
    [
        ("review_mark_prepared", ReviewState.PREPARED, "à préparer"),
        ("review_share", ReviewState.TO_PREPARE, "préparée"),
        ("review_share", ReviewState.SHARED, "préparée"),
        ("review_close", ReviewState.SHARED, "tenu"),
    ],
)
def test_wrong_transitions_change_nothing(managerial_cast, review, service, state, message):
    at(review, state)
    with pytest.raises(ValidationError, match=message):
        getattr(services, service)(review=review, by=managerial_cast.manager)
    review.refresh_from_db()
    assert review.state == state and not ReviewVersion.objects.exists()


def test_hold_before_sharing_is_refused(managerial_cast, review):
    at(review, ReviewState.PREPARED)
    with pytest.raises(ValidationError, match="partagée"):
        services.review_hold(review=review, by=managerial_cast.manager, meeting_on=today())
    assert not PersonalTarget.objects.exists()


def test_meeting_in_the_future_is_refused(managerial_cast, review):
    at(review, ReviewState.SHARED)
    with pytest.raises(ValidationError, match="futur"):
        services.review_hold(
            review=review,
            by=managerial_cast.manager,
            meeting_on=today() + datetime.timedelta(days=1),
        )
    review.refresh_from_db()
    assert review.state == ReviewState.SHARED


def test_objectives_become_personal_targets_when_held(managerial_cast, review):
    ReviewObjective.objects.create(review=review, competence=competence("1.1"), level=4)
    ReviewObjective.objects.create(review=review, competence=competence("3.2"), level=2)
    at(review, ReviewState.SHARED)
    meeting_on = today() - datetime.timedelta(days=3)

    services.review_hold(review=review, by=managerial_cast.manager, meeting_on=meeting_on)

    targets = PersonalTarget.objects.order_by("competence__position")
    assert [(t.competence.code, t.level, t.valid_from, t.source) for t in targets] == [
        ("1.1", 4, meeting_on, "Entretien professionnel 2026"),
        ("3.2", 2, meeting_on, "Entretien professionnel 2026"),
    ]
    assert {(t.agent, t.programme) for t in targets} == {
        (managerial_cast.agent_agent, managerial_cast.programme)
    }
    review.refresh_from_db()
    assert review.state == ReviewState.HELD and review.meeting_on == meeting_on
    assert review.versions.get().content["competences"][0]["personal_target"] == 4


def test_version_under_self_assessment_holds_no_results(cast):
    review = ReviewFactory(
        cycle=ReviewCycleFactory(programme=cast.programme), agent=cast.agent_agent
    )
    at(review, ReviewState.PREPARED)

    services.review_share(review=review, by=cast.manager)

    content = review.versions.get().content
    assert content["results_shown"] is False
    assert content["competences"] == [] and "aucun résultat Pix" in content["hidden_notice"]
