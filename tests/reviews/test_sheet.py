"""The preparation sheet built from the data (reviews/sheet.py)."""

import datetime
import json

import pytest
from django.urls import reverse

from campaigns.models import Competence
from programmes.models import ResultAccessLog
from programmes.privacy.consent import consent_grant
from reviews.models import Review, ReviewState, ReviewVersion
from reviews.sheet import build_sheet, sheet_content
from tests.agents.factories import AgentFactory
from tests.campaigns.factories import CampaignFactory
from tests.programmes.factories_accompaniment import (
    BarrierFactory,
    CheckInFactory,
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

# Session, user, roles, scope, page and count; the same with 1 or 12 rows.
QUERIES_CYCLE_TEAM = 10
# Session and user, the review and its reader's rights, the form's competences, the sheet
# (13), the access log; the same with few or many results, check-ins and resources.
QUERIES_SHEET_PAGE = 24


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
    assert field_11.help_text == "niveau actuel : 2 · niveau attendu : 3"
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
    client.post(action_url(review, "review_share"))
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

    response = client.post(action_url(review, "review_share"), follow=True)

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
