"""The preparation sheet built from the data (reviews/sheet.py)."""

import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from campaigns.enums import MatchStatus, ParticipationStatus
from campaigns.models import Competence
from programmes.enums import ProgressStatus, TargetKind
from programmes.models import ResultAccessLog
from programmes.privacy.consent import consent_grant, consent_revoke
from reviews.models import Review, ReviewAddendum, ReviewState, ReviewVersion
from reviews.sheet import build_sheet, sheet_content
from tests.agents.factories import AgentFactory
from tests.campaigns.factories import (
    CampaignFactory,
    CompetenceResultFactory,
    ParticipationFactory,
)
from tests.programmes.factories import (
    EnrolmentFactory,
    TargetFactory,
    TargetPopulationFactory,
)
from tests.programmes.factories_accompaniment import (
    BarrierFactory,
    CheckInFactory,
    MentorFactory,
    MentoringFactory,
    MilestoneFactory,
    ResourceFactory,
    ResourceUseFactory,
    share_levels,
)
from tests.reviews.factories import (
    PersonalTargetFactory,
    ReviewCycleFactory,
    ReviewFactory,
    ReviewObjectiveFactory,
)

pytestmark = pytest.mark.django_db

# Session, user, roles, scope, the team's ids (walked once, on PostgreSQL: elsewhere the
# sheets' query walks it), page and count; the same with 1 or 12 rows.
QUERIES_CYCLE_TEAM = 7 if connection.vendor == "postgresql" else 6
# Session and user, the review and its reader's rights, the form's competences, the targets
# proposed on a blank sheet, the sheet (13), the access log; the same with few or many
# results, check-ins and resources.
QUERIES_SHEET_PAGE = 21


def load(review):
    return Review.objects.select_related("cycle__programme", "agent", "manager").get(pk=review.pk)


@pytest.fixture
def campaign(cast):
    campaign = CampaignFactory()
    cast.programme.campaigns.add(campaign)
    return campaign


@pytest.fixture
def review(cast):
    cycle = ReviewCycleFactory(programme=cast.programme, year=2026)
    return ReviewFactory(cycle=cycle, agent=cast.agent_agent)


def test_managerial_sheet_shows_levels_against_target_with_evolution(managerial_cast, campaign):
    cast = managerial_cast
    share_levels(cast.agent_agent, campaign, {"1.1": 1}, days_ago=700)
    share_levels(cast.agent_agent, campaign, {"1.1": 2}, days_ago=300)
    share_levels(cast.agent_agent, campaign, {"1.1": 4, "2.1": 5}, days_ago=2)
    previous_cycle = ReviewCycleFactory(
        programme=cast.programme,
        year=2025,
        opens_on=datetime.date.today() - datetime.timedelta(days=290),
        closes_on=datetime.date.today() - datetime.timedelta(days=200),
    )
    ReviewFactory(cycle=previous_cycle, agent=cast.agent_agent)
    review = ReviewFactory(
        cycle=ReviewCycleFactory(programme=cast.programme, year=2026), agent=cast.agent_agent
    )
    ReviewObjectiveFactory(review=review, level=5)

    sheet = build_sheet(load(review))

    assert sheet.results_shown and sheet.hidden_notice == ""
    [row] = sheet.competences  # 2.1 has no target: not on the sheet
    assert (row.code, row.target_level, row.current_level) == ("1.1", 3, 4)
    assert row.level_at_start == 1
    assert row.level_last_review == 2  # as of the previous cycle's closing day
    assert row.objective == 5 and row.reached and row.gap == 0
    assert sheet.last_review_year == 2025
    assert "<svg" in sheet.chart and "1.1 actuel" in sheet.chart


def test_level_at_last_review_comes_from_its_latest_version(managerial_cast, campaign):
    cast = managerial_cast
    share_levels(cast.agent_agent, campaign, {"1.1": 2}, days_ago=300)
    previous = ReviewFactory(
        cycle=ReviewCycleFactory(programme=cast.programme, year=2025), agent=cast.agent_agent
    )
    for number, level in ((1, 1), (2, 6)):
        ReviewVersion.objects.create(
            review=previous,
            number=number,
            reason="x",
            content={"competences": [{"code": "1.1", "current_level": level}]},
        )
    review = ReviewFactory(
        cycle=ReviewCycleFactory(programme=cast.programme, year=2026), agent=cast.agent_agent
    )

    [row] = build_sheet(load(review)).competences

    assert row.level_last_review == 6


def test_personal_target_in_force_is_the_expected_level(managerial_cast, campaign, review):
    cast = managerial_cast
    share_levels(cast.agent_agent, campaign, {"1.1": 4})
    PersonalTargetFactory(
        agent=cast.agent_agent,
        programme=cast.programme,
        level=5,
        valid_from=datetime.date.today() - datetime.timedelta(days=10),
    )
    PersonalTargetFactory(  # not yet in force
        agent=cast.agent_agent,
        programme=cast.programme,
        level=7,
        valid_from=datetime.date.today() + datetime.timedelta(days=10),
    )

    [row] = build_sheet(load(review)).competences

    assert (row.target_level, row.personal_target, row.expected_level) == (3, 5, 5)
    assert row.gap == 1 and not row.reached


def test_self_assessment_sheet_hides_results_and_says_so(cast, campaign, review):
    share_levels(cast.agent_agent, campaign, {"1.1": 4})
    ResourceUseFactory(agent=cast.agent_agent, resource=ResourceFactory(programme=cast.programme))
    review.acquired_skills = "Tableur maîtrisé"
    review.save()

    sheet = build_sheet(load(review))

    assert not sheet.results_shown
    assert "ne contient que ce que l'agent a choisi de partager" in sheet.hidden_notice
    assert "aucun résultat Pix" in sheet.hidden_notice
    assert sheet.competences == [] and sheet.chart is None and sheet.resources == []
    assert sheet.acquired_skills == "Tableur maîtrisé"


def test_self_assessment_sheet_shows_results_with_consent(cast, campaign, review):
    share_levels(cast.agent_agent, campaign, {"1.1": 4})
    consent_grant(agent=cast.agent_agent, programme=cast.programme)

    sheet = build_sheet(load(review))

    assert sheet.results_shown
    assert [row.current_level for row in sheet.competences] == [4]


def test_accompaniment_sections(managerial_cast, review):
    cast = managerial_cast
    barrier = BarrierFactory(programme=cast.programme, label="Pas de poste")
    CheckInFactory(
        agent=cast.agent_agent,
        milestone=MilestoneFactory(population=cast.population, title="Point de mars"),
        barriers=[barrier],
        next_step="Finir le parcours",
    )
    CheckInFactory(agent=cast.stranger_agent, milestone__population=cast.other_population)
    resource = ResourceFactory(programme=cast.programme, title="Tableur débutant")
    ResourceUseFactory(agent=cast.agent_agent, resource=resource, state="done", useful=True)
    MentoringFactory(programme=cast.programme, mentee=cast.agent_agent, paired=True)

    sheet = build_sheet(load(review))

    [checkin] = sheet.checkins
    assert checkin.title == "Point de mars" and checkin.barriers == ["Pas de poste"]
    assert checkin.next_step == "Finir le parcours"
    [use] = sheet.resources
    assert (use.title, use.useful, use.state) == ("Tableur débutant", True, "Terminée")
    [mentoring] = sheet.mentorings
    assert mentoring.role == "mentee" and mentoring.other


def test_content_is_json_serialisable(managerial_cast, campaign, review):
    share_levels(managerial_cast.agent_agent, campaign, {"1.1": 4})
    ReviewObjectiveFactory(review=review, level=5)

    content = sheet_content(build_sheet(load(review)))

    assert json.loads(json.dumps(content)) == content
    assert content["competences"][0]["current_level"] == 4
    assert content["objectives"] == [
        {"code": "1.1", "name": content["objectives"][0]["name"], "level": 5}
    ]


def _days_ago(days):
    return timezone.localdate() - datetime.timedelta(days=days)


def _share_rates(agent, campaign, rates):
    """The agent shared mastery `rates` ({"1.1": "0.65", ...}) in an assessment `campaign`."""
    participation = ParticipationFactory(
        agent=agent,
        campaign=campaign,
        match_status=MatchStatus.EXTERNAL_ID,
        status=ParticipationStatus.SHARED,
    )
    for code, rate in rates.items():
        CompetenceResultFactory(
            participation=participation,
            competence=Competence.objects.get(code=code),
            level=None,
            pix=None,
            mastery_rate=Decimal(rate),
        )


def test_content_pins_every_section_of_the_sheet(managerial_cast, campaign, review):
    """Every section the sheet shows, field by field and in order: the snapshot a
    ReviewVersion keeps must not change shape unnoticed."""
    cast = managerial_cast
    agent, name = cast.agent_agent, lambda code: Competence.objects.get(code=code).name
    # Results against targets: two populations (the highest target wins, even when it comes
    # first), mastery-rate targets, a personal target on a competence no population targets,
    # 4.1 shared without any target.
    assessment = CampaignFactory(assessment=True)
    cast.programme.campaigns.add(assessment)
    second = TargetPopulationFactory(programme=cast.programme, name="Référents")
    EnrolmentFactory(agent=agent, population=second)
    TargetFactory(population=second, level=2)
    TargetFactory(population=cast.population, competence=Competence.objects.get(code="3.1"))
    for population, rate in ((cast.population, "0.8"), (second, "0.7")):
        TargetFactory(
            population=population,
            kind=TargetKind.MASTERY_RATE,
            campaign=assessment,
            level=None,
            mastery_rate=Decimal(rate),
        )
    for days, level in ((100, 2), (10, 4), (-10, 7)):  # the latest in force wins
        PersonalTargetFactory(
            agent=agent,
            programme=cast.programme,
            competence=Competence.objects.get(code="2.1"),
            level=level,
            valid_from=_days_ago(days),
        )
    start = share_levels(agent, campaign, {"1.1": 1}, days_ago=700)
    share_levels(agent, campaign, {"1.1": 2, "2.1": 1}, days_ago=300)
    now = share_levels(agent, campaign, {"1.1": 4, "2.1": 3, "3.1": 2, "4.1": 5}, days_ago=2)
    _share_rates(agent, assessment, {"1.1": "0.65"})
    # Progress since the last review: the latest earlier one, its version's levels first,
    # else the levels shared by its closing day.
    older = ReviewFactory(
        cycle=ReviewCycleFactory(programme=cast.programme, year=2024), agent=agent
    )
    ReviewVersion.objects.create(
        review=older,
        number=1,
        reason="x",
        content={"competences": [{"code": "1.1", "current_level": 8}]},
    )
    last = ReviewFactory(
        cycle=ReviewCycleFactory(
            programme=cast.programme, year=2025, opens_on=_days_ago(290), closes_on=_days_ago(200)
        ),
        agent=agent,
        meeting_on=_days_ago(210),
    )
    ReviewVersion.objects.create(
        review=last,
        number=1,
        reason="x",
        content={"competences": [{"code": "2.1", "current_level": 6}, {"code": "1.1"}]},
    )
    # Written on the sheet; 5.1 has an objective but no target.
    review.state = ReviewState.PREPARED
    review.meeting_on = datetime.date(2026, 12, 15)
    review.acquired_skills, review.training_needs = "Tableur", "Messagerie"
    review.trainings_wanted, review.prospects = "Visio", "Référente"
    review.cpf_informed = True
    review.manager_comment, review.agent_comment = "Bien", "Merci"
    review.save()
    ReviewObjectiveFactory(review=review, level=5)
    ReviewObjectiveFactory(review=review, competence=Competence.objects.get(code="5.1"), level=3)
    # Check-ins, resources and mentoring, as mentee and as mentor.
    CheckInFactory(
        agent=agent,
        milestone=MilestoneFactory(population=cast.population, date=_days_ago(5), title="Juin"),
        status=ProgressStatus.IN_PROGRESS,
        comment="Avance bien",
    )
    CheckInFactory(
        agent=agent,
        milestone=MilestoneFactory(population=cast.population, date=_days_ago(50), title="Mars"),
        barriers=[BarrierFactory(programme=cast.programme, label="Pas de poste")],
        next_step="Finir le parcours",
    )
    ResourceUseFactory(
        agent=agent,
        resource=ResourceFactory(programme=cast.programme, title="Tableur débutant"),
        state="done",
        useful=True,
        done_at=timezone.now() - datetime.timedelta(days=3),
    )
    ResourceUseFactory(
        agent=agent, resource=ResourceFactory(programme=cast.programme, title="Messagerie")
    )
    as_mentee = MentoringFactory(programme=cast.programme, mentee=agent, paired=True)
    MentoringFactory(
        programme=cast.programme, mentee=agent, competence=Competence.objects.get(code="3.1")
    )
    mentee = cast.team[1]
    MentoringFactory(
        programme=cast.programme,
        mentee=mentee,
        mentor=MentorFactory(programme=cast.programme, agent=agent),
        paired_at=timezone.now(),
        ended_at=timezone.now(),
    )
    MentoringFactory(programme=cast.programme, mentee=cast.team[2])  # not the agent's
    signed = ReviewAddendum.objects.create(review=review, author=cast.manager, text="Précision")
    unsigned = ReviewAddendum.objects.create(review=review, author=None, text="Sans auteur")

    sheet = build_sheet(load(review))
    content = sheet_content(sheet)

    today = timezone.localdate().isoformat()
    shared_on = {p: timezone.localdate(p.shared_at).isoformat() for p in (start, now)}
    row = dict.fromkeys(
        [
            "code",
            "name",
            "target_level",
            "target_mastery",
            "personal_target",
            "current_level",
            "current_level_on",
            "current_mastery",
            "level_last_review",
            "level_at_start",
            "objective",
            "gap",
        ]
    )
    expected = {
        "programme": "Programme Pix DR",
        "year": 2026,
        "agent": agent.full_name,
        "manager": cast.manager_agent.full_name,
        "state": "prepared",
        "state_label": "Préparée",
        "meeting_on": "2026-12-15",
        "results_shown": True,
        "hidden_notice": "",
        "last_review_year": 2025,
        "last_review_on": _days_ago(210).isoformat(),
        "started_on": shared_on[start],
        "competences": [
            {
                **row,
                "code": "1.1",
                "name": name("1.1"),
                "target_level": 3,
                "target_mastery": 80,
                "current_level": 4,
                "current_level_on": shared_on[now],
                "current_mastery": 65,
                "level_last_review": 2,
                "level_at_start": 1,
                "objective": 5,
                "gap": 0,
            },
            {
                **row,
                "code": "2.1",
                "name": name("2.1"),
                "personal_target": 4,
                "current_level": 3,
                "current_level_on": shared_on[now],
                "level_last_review": 6,
                "level_at_start": 1,
                "gap": 1,
            },
            {
                **row,
                "code": "3.1",
                "name": name("3.1"),
                "target_level": 3,
                "current_level": 2,
                "current_level_on": shared_on[now],
                "level_at_start": 2,
                "gap": 1,
            },
        ],
        "checkins": [
            {
                "date": _days_ago(50).isoformat(),
                "title": "Mars",
                "status": "Non commencé",
                "barriers": ["Pas de poste"],
                "comment": "",
                "next_step": "Finir le parcours",
            },
            {
                "date": _days_ago(5).isoformat(),
                "title": "Juin",
                "status": "En cours",
                "barriers": [],
                "comment": "Avance bien",
                "next_step": "",
            },
        ],
        "resources": [
            {
                "title": "Tableur débutant",
                "kind": "E-learning",
                "state": "Terminée",
                "useful": True,
                "done_on": _days_ago(3).isoformat(),
            },
            {
                "title": "Messagerie",
                "kind": "E-learning",
                "state": "Commencée",
                "useful": None,
                "done_on": None,
            },
        ],
        "mentorings": [
            {
                "role": "mentee",
                "competence": f"1.1 {name('1.1')}",
                "other": as_mentee.mentor.agent.full_name,
                "requested_on": today,
                "paired_on": today,
                "ended_on": None,
            },
            {
                "role": "mentee",
                "competence": f"3.1 {name('3.1')}",
                "other": "",
                "requested_on": today,
                "paired_on": None,
                "ended_on": None,
            },
            {
                "role": "mentor",
                "competence": f"1.1 {name('1.1')}",
                "other": mentee.full_name,
                "requested_on": today,
                "paired_on": today,
                "ended_on": today,
            },
        ],
        "acquired_skills": "Tableur",
        "training_needs": "Messagerie",
        "trainings_wanted": "Visio",
        "prospects": "Référente",
        "cpf_informed": True,
        "manager_comment": "Bien",
        "agent_comment": "Merci",
        "objectives": [
            {"code": "1.1", "name": name("1.1"), "level": 5},
            {"code": "5.1", "name": name("5.1"), "level": 3},
        ],
        "addenda": [
            {
                "author": cast.manager.get_full_name(),
                "text": "Précision",
                "created_at": signed.created_at.isoformat(),
            },
            {"author": "", "text": "Sans auteur", "created_at": unsigned.created_at.isoformat()},
        ],
    }
    assert content == expected
    assert json.dumps(content) == json.dumps(expected)  # the same keys in the same order
    notes = ["1.1 départ", "1 (cible 3)", "1.1 actuel", "2.1 dernier entretien", "6 (cible 4)"]
    assert all(note in sheet.chart for note in notes)
    assert "3.1 dernier entretien" in sheet.chart and "pas de résultat" in sheet.chart


def _many(cast, campaign, review, count):
    for index in range(count):
        share_levels(
            cast.agent_agent, campaign, {"1.1": 2 + index % 3, "2.1": 1}, days_ago=10 + index
        )
        CheckInFactory(
            agent=cast.agent_agent,
            milestone=MilestoneFactory(population=cast.population),
            barriers=[BarrierFactory(programme=cast.programme)],
        )
        ResourceUseFactory(
            agent=cast.agent_agent, resource=ResourceFactory(programme=cast.programme)
        )


@pytest.mark.parametrize("count", [1, 6])
def test_sheet_query_count_does_not_grow_with_data(
    managerial_cast, campaign, review, count, django_assert_num_queries
):
    _many(managerial_cast, campaign, review, count)
    ReviewFactory(
        cycle=ReviewCycleFactory(programme=managerial_cast.programme, year=2024),
        agent=managerial_cast.agent_agent,
    )
    loaded = load(review)
    # objectives, addenda, versions, enrolments+targets, personal targets,
    # 3 results, previous review, check-ins + barriers, resources, mentoring
    with django_assert_num_queries(13):
        build_sheet(loaded)


# --- Pages ------------------------------------------------------------------------------


def detail_url(review):
    return reverse("reviews:review_detail", kwargs={"pk": review.pk})


def action_url(review, name):
    return reverse(f"reviews:{name}", kwargs={"pk": review.pk})


def form_data(**overrides):
    data = {
        "acquired_skills": "Tableur",
        "training_needs": "Messagerie",
        "trainings_wanted": "",
        "prospects": "",
        "cpf_informed": "on",
        "manager_comment": "",
        f"objective_{Competence.objects.get(code='1.1').pk}": "5",
    }
    data.update(overrides)
    return data


def test_manager_prepares_the_sheet_on_its_page(client, managerial_cast, campaign, review):
    share_levels(managerial_cast.agent_agent, campaign, {"1.1": 2})
    client.force_login(managerial_cast.manager)

    page = client.get(detail_url(review))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="sheet-levels"' in html and "<svg" in html and 'id="review-form"' in html
    assert reverse("reviews:review_pdf", kwargs={"pk": review.pk}) in html
    assert ResultAccessLog.objects.filter(viewer=managerial_cast.manager).exists()

    # Objectives grouped by Pix domain, each with where the agent stands.
    form = page.context["form"]
    assert html.count("Objectifs de l'année suivante (niveau Pix visé) — ") == 5
    field_11 = form.fields[f"objective_{Competence.objects.get(code='1.1').pk}"]
    assert field_11.help_text == (
        "niveau actuel : 2 · niveau attendu : 3 · proposé : niveau cible de la population"
    )
    assert "niveau actuel : 2 · niveau attendu : 3" in html
    assert form.fields[f"objective_{Competence.objects.get(code='2.1').pk}"].help_text == ""

    response = client.post(detail_url(review), form_data())
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.acquired_skills == "Tableur" and review.cpf_informed
    assert [(o.competence.code, o.level) for o in review.objectives.all()] == [("1.1", 5)]

    client.post(action_url(review, "review_mark_prepared"))
    review.refresh_from_db()
    assert review.state == ReviewState.PREPARED


def test_bad_objective_level_is_refused_with_a_message(client, managerial_cast, review):
    client.force_login(managerial_cast.manager)
    key = f"objective_{Competence.objects.get(code='1.1').pk}"

    response = client.post(detail_url(review), form_data(**{key: "12"}))

    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert not review.objectives.exists()


def test_self_assessment_sheet_page_says_results_are_not_shown(client, cast, campaign, review):
    share_levels(cast.agent_agent, campaign, {"1.1": 2})
    client.force_login(cast.manager)

    html = client.get(detail_url(review)).content.decode()

    assert 'id="results-hidden"' in html and "aucun résultat Pix" in html
    assert 'id="sheet-levels"' not in html
    assert "niveau actuel" not in html  # nor under the objectives
    assert not ResultAccessLog.objects.exists()


def test_agent_sees_in_preparation_until_prepared_then_comments(client, managerial_cast, review):
    review.acquired_skills = "Brouillon de l'encadrant"
    review.save()
    client.force_login(managerial_cast.agent)

    html = client.get(detail_url(review)).content.decode()
    assert "En préparation" in html and "Brouillon" not in html

    review.state = ReviewState.PREPARED
    review.save()
    html = client.get(detail_url(review)).content.decode()
    assert "Brouillon de l&#x27;encadrant" in html and 'id="agent-comment-form"' in html
    assert 'id="review-form"' not in html

    client.post(action_url(review, "review_agent_comment"), {"text": "Merci"})
    review.refresh_from_db()
    assert review.agent_comment == "Merci"


def test_locked_sheet_offers_addenda_not_the_form(client, managerial_cast, review):
    review.state = ReviewState.PREPARED
    review.save()
    client.force_login(managerial_cast.manager)
    client.post(action_url(review, "review_share"), {"confirm": "on"})
    review.refresh_from_db()
    assert review.state == ReviewState.SHARED

    html = client.get(detail_url(review)).content.decode()
    assert 'id="addendum-form"' in html and 'id="review-form"' not in html
    assert 'id="hold-form"' in html and "Version 1" in html
    assert client.post(detail_url(review), form_data()).status_code == 403

    client.force_login(managerial_cast.agent)
    client.post(action_url(review, "review_addendum"), {"text": "Une précision"})
    assert review.addenda.get().text == "Une précision"
    assert review.versions.count() == 2
    version = client.get(reverse("reviews:review_version", kwargs={"pk": review.pk, "number": 2}))
    assert "Une précision" in version.content.decode()


def test_wrong_transition_shows_a_french_error(client, managerial_cast, review):
    client.force_login(managerial_cast.manager)

    response = client.post(action_url(review, "review_share"), {"confirm": "on"}, follow=True)

    assert "Seule une fiche préparée peut être partagée" in response.content.decode()
    review.refresh_from_db()
    assert review.state == ReviewState.TO_PREPARE


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("review_share", {}),
        ("review_mark_prepared", {}),
        ("review_close", {}),
        ("review_hold", {"meeting_on": "2026-01-01"}),
    ],
)
def test_agent_may_not_drive_the_transitions(client, managerial_cast, review, name, data):
    review.state = ReviewState.PREPARED
    review.save()
    client.force_login(managerial_cast.agent)

    assert client.post(action_url(review, name), data).status_code == 403
    assert client.post(detail_url(review), form_data()).status_code == 403
    review.refresh_from_db()
    assert review.state == ReviewState.PREPARED and review.acquired_skills == ""


def test_manager_may_not_write_the_agents_comment(client, managerial_cast, review):
    review.state = ReviewState.PREPARED
    review.save()
    client.force_login(managerial_cast.manager)

    assert client.post(action_url(review, "review_agent_comment"), {"text": "x"}).status_code == 403


def test_visibility_per_role(client, managerial_cast, review):
    cast = managerial_cast
    boss = AgentFactory(with_user=True)
    cast.manager_agent.manager = boss
    cast.manager_agent.save()
    other_manager = AgentFactory(with_user=True)
    AgentFactory(manager=other_manager)
    # user -> (reading the sheet, sharing it): the agent reads but may not share (403);
    # the manager line and staff may (the sheet is not prepared yet: refused, redirected).
    expected = {
        cast.manager: (200, 302),
        boss.user: (200, 302),
        cast.staff: (200, 302),
        cast.agent: (200, 403),
        other_manager.user: (404, 404),
        cast.owner: (404, 404),
        cast.ambassador: (404, 404),
        cast.outsider: (404, 404),
    }
    for user, (read, write) in expected.items():
        client.force_login(user)
        assert client.get(detail_url(review)).status_code == read, user
        assert client.post(action_url(review, "review_share")).status_code == write, user
    review.refresh_from_db()
    assert review.state == ReviewState.TO_PREPARE


def test_cycle_team_lists_direct_and_indirect_reports_with_filter(client, managerial_cast):
    cast = managerial_cast
    cycle = ReviewCycleFactory(programme=cast.programme)
    for member in cast.team:
        ReviewFactory(cycle=cycle, agent=member)
    deputy = cast.team[1]
    below = AgentFactory(manager=deputy, last_name="Zédeuxième")
    ReviewFactory(cycle=cycle, agent=below, state=ReviewState.PREPARED)
    ReviewFactory(cycle=cycle, agent=cast.stranger_agent)
    client.force_login(cast.manager)
    url = reverse("reviews:cycle_team", kwargs={"pk": cycle.pk})

    html = client.get(url).content.decode()
    assert "7 entretiens" in html and below.full_name in html
    assert cast.stranger_agent.full_name not in html

    html = client.get(url, {"etat": "prepared"}).content.decode()
    assert "1 entretien" in html and below.full_name in html


def test_manager_of_the_manager_sees_the_cycle_team_but_another_manager_does_not(
    client, managerial_cast
):
    cast = managerial_cast
    boss = AgentFactory(with_user=True)
    cast.manager_agent.manager = boss
    cast.manager_agent.save()
    other_manager = AgentFactory(with_user=True)
    AgentFactory(manager=other_manager)
    cycle = ReviewCycleFactory(programme=cast.programme)
    ReviewFactory(cycle=cycle, agent=cast.agent_agent)
    url = reverse("reviews:cycle_team", kwargs={"pk": cycle.pk})

    client.force_login(boss.user)
    response = client.get(url)
    assert response.status_code == 200
    assert cast.agent_agent.full_name in response.content.decode()
    client.force_login(other_manager.user)
    assert client.get(url).status_code == 404


def test_my_reviews_announces_sheets_in_preparation(client, managerial_cast):
    cast = managerial_cast
    ReviewFactory(cycle=ReviewCycleFactory(programme=cast.programme), agent=cast.agent_agent)
    client.force_login(cast.agent)

    html = client.get(reverse("reviews:my_reviews")).content.decode()

    assert "En préparation" in html and "1 entretien" in html


@pytest.mark.parametrize("count", [1, 12])
def test_cycle_team_query_count_is_pinned(
    client, managerial_cast, count, django_assert_num_queries
):
    cast = managerial_cast
    cycle = ReviewCycleFactory(programme=cast.programme)
    for agent in AgentFactory.create_batch(count, manager=cast.manager_agent):
        ReviewFactory(cycle=cycle, agent=agent)
    client.force_login(cast.manager)
    url = reverse("reviews:cycle_team", kwargs={"pk": cycle.pk})
    client.get(url)  # warm the session
    with django_assert_num_queries(QUERIES_CYCLE_TEAM):
        client.get(url)


@pytest.mark.parametrize("count", [1, 6])
def test_sheet_page_query_count_is_pinned(
    client, managerial_cast, campaign, review, count, django_assert_num_queries
):
    _many(managerial_cast, campaign, review, count)
    client.force_login(managerial_cast.manager)
    client.get(detail_url(review))
    with django_assert_num_queries(QUERIES_SHEET_PAGE):
        client.get(detail_url(review))


def test_the_agents_data_export_holds_their_readable_review_sheets(client, managerial_cast):
    """« Mes données » carries the sheets the agent may read (not one still to prepare)."""
    import json

    from reviews.models import ReviewState
    from tests.reviews.factories import ReviewCycleFactory, ReviewFactory, ReviewObjectiveFactory

    cast = managerial_cast
    prepared = ReviewFactory(
        cycle=ReviewCycleFactory(programme=cast.programme, year=2025),
        agent=cast.agent_agent,
        state=ReviewState.PREPARED,
        prospects="Référente numérique",
    )
    ReviewObjectiveFactory(review=prepared, level=5)
    ReviewFactory(cycle=ReviewCycleFactory(programme=cast.programme), agent=cast.agent_agent)
    client.force_login(cast.agent)
    data = json.loads(client.get(reverse("programmes:my_data_file")).content)
    sheets = data["entretiens_professionnels"]
    assert [(s["annee"], s["perspectives"]) for s in sheets] == [(2025, "Référente numérique")]
    assert sheets[0]["objectifs"] == [{"competence": "1.1", "niveau": 5}]
    assert "non_inclus" not in data["a_propos"]
    # The workbook holds the same: the sheets, and their objectives on a sheet of their own.
    import io

    import openpyxl

    content = client.get(reverse("programmes:my_data_workbook")).content
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    reviews = list(workbook["Entretiens professionnels"].iter_rows(min_row=2, values_only=True))
    header, rows = reviews[0], reviews[1:]
    assert [(row[header.index("Année")], row[header.index("Perspectives")]) for row in rows] == [
        (2025, "Référente numérique")
    ]
    objectives = list(workbook["Objectifs des entretiens"].iter_rows(min_row=2, values_only=True))
    assert objectives == [
        ("Entretiens professionnels n°", "Programme", "Compétence", "Niveau"),
        (1, cast.programme.name, "1.1", 5),
    ]


# --- Consent names the direct manager; check-in notes stay where the agent page keeps them --


def _above_the_manager(cast):
    """An agent above the manager: in the agent's manager line, not their direct manager."""
    head = AgentFactory(with_user=True)
    cast.manager_agent.manager = head
    cast.manager_agent.save()
    return head


def test_consent_shows_the_sheets_results_to_the_direct_manager_only(
    client, cast, campaign, review
):
    head = _above_the_manager(cast)
    share_levels(cast.agent_agent, campaign, {"1.1": 2})
    consent_grant(agent=cast.agent_agent, programme=cast.programme)

    client.force_login(cast.manager)
    html = client.get(detail_url(review)).content.decode()
    assert 'id="sheet-levels"' in html and "niveau actuel : 2" in html

    for reader in (head.user, cast.staff):
        client.force_login(reader)
        response = client.get(detail_url(review))
        assert response.status_code == 200  # they still read (and may write) the sheet
        html = response.content.decode()
        assert 'id="results-hidden"' in html and "encadrant direct" in html
        assert 'id="sheet-levels"' not in html and "niveau actuel" not in html
        assert not ResultAccessLog.objects.filter(viewer=reader).exists()


def test_a_kept_version_shows_results_only_to_whom_the_consent_names(
    client, cast, campaign, review
):
    from reviews.services import review_version_write

    head = _above_the_manager(cast)
    share_levels(cast.agent_agent, campaign, {"1.1": 2})
    consent_grant(agent=cast.agent_agent, programme=cast.programme)
    version = review_version_write(review=load(review), by=cast.manager, reason="Partage")
    assert version.content["results_shown"]
    url = reverse("reviews:review_version", kwargs={"pk": review.pk, "number": version.number})

    client.force_login(cast.manager)
    assert 'id="version-levels"' in client.get(url).content.decode()
    client.force_login(head.user)
    html = client.get(url).content.decode()
    assert 'id="version-levels"' not in html and "encadrant direct" in html

    consent_revoke(agent=cast.agent_agent, programme=cast.programme)
    client.force_login(cast.manager)
    assert 'id="version-levels"' not in client.get(url).content.decode()


@pytest.fixture
def private_checkin(cast):
    """A check-in the ambassador recorded with the agent, with a note in the comment."""
    return CheckInFactory(
        agent=cast.agent_agent,
        milestone=MilestoneFactory(population=cast.population, title="Point de juin"),
        barriers=[BarrierFactory(programme=cast.programme, label="Pas de poste")],
        comment="Note confidentielle de l'ambassadeur",
        next_step="Revoir le module 2",
    )


def test_self_assessment_sheet_never_carries_the_checkins_even_with_consent(
    client, cast, campaign, review, private_checkin
):
    """Under self-assessment the agent page never shows the manager the check-ins, consent or
    not (perms.can_view_checkins): the sheet, read by the manager, carries none."""
    share_levels(cast.agent_agent, campaign, {"1.1": 2})
    consent_grant(agent=cast.agent_agent, programme=cast.programme)
    review.state = ReviewState.PREPARED  # the agent reads it too
    review.save()

    sheet = build_sheet(load(review))
    assert sheet.results_shown and sheet.checkins == []
    assert sheet_content(sheet)["checkins"] == []

    for reader in (cast.manager, cast.agent):
        client.force_login(reader)
        html = client.get(detail_url(review)).content.decode()
        assert 'id="sheet-levels"' in html
        for private in ("Note confidentielle", "Point de juin", "Revoir le module 2"):
            assert private not in html
        assert 'id="sheet-checkins"' not in html and 'id="checkins-hidden"' in html


def test_managerial_sheet_carries_the_checkins_the_manager_line_reads(
    client, managerial_cast, review, private_checkin
):
    client.force_login(managerial_cast.manager)
    html = client.get(detail_url(review)).content.decode()
    assert 'id="sheet-checkins"' in html and "Note confidentielle" in html


def test_a_version_kept_with_checkins_under_self_assessment_no_longer_shows_them(
    cast, review, private_checkin
):
    """A version kept before the rule may hold check-ins; they are dropped on reading."""
    from reviews.sheet import content_for_reader

    consent_grant(agent=cast.agent_agent, programme=cast.programme)
    content = {"results_shown": True, "checkins": [{"comment": "Note confidentielle"}]}

    for reader in (cast.manager, cast.agent):
        assert content_for_reader(load(review), content, reader)["checkins"] == []
