"""Managing target populations: creating them, their targets and their dated history,
enrolling agents by filters or by a list, and leaving."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Competence
from programmes import perms, services
from programmes.enums import TargetKind
from programmes.models import Enrolment, TargetChange, TargetPopulation
from programmes.targets import TargetSpec, targets_applying_on, targets_in_force
from tests.agents.factories import AgentFactory, OrgUnitFactory, UserFactory
from tests.campaigns.factories import CampaignFactory, CompetenceResultFactory
from tests.programmes.factories import EnrolmentFactory, TargetPopulationFactory
from tests.programmes.import_factories import ParticipationFactory

ROLES = ["owner", "ambassador", "manager", "agent", "outsider", "staff"]


def competence(code):
    return Competence.objects.get(code=code)


def level(code, value, deadline=None):
    return TargetSpec(
        kind=TargetKind.LEVEL, competence_id=competence(code).pk, level=value, deadline=deadline
    )


def url(name, population, **kwargs):
    return reverse(f"programmes:{name}", kwargs={"pk": population.pk, **kwargs})


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def at(day, hour=12):
    """A moment of 2026, as `timezone.now()` would give it."""
    return datetime.datetime(2026, *day, hour, tzinfo=datetime.UTC)


@pytest.fixture
def clock(monkeypatch):
    """Sets the time the target services read."""

    def set_now(moment):
        monkeypatch.setattr(services.timezone, "now", lambda: moment)

    return set_now


# --- Permissions --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_whoever_sees_a_population_may_manage_it(cast, role):
    # population_detail.html shows the management buttons to every viewer on this ground.
    user = getattr(cast, role)
    for population in (cast.population, cast.other_population):
        visible = TargetPopulation.objects.visible_to(user).filter(pk=population.pk).exists()
        assert visible == perms.can_manage_population(user, population), (role, population)


def test_programme_ambassador_manages_every_population_of_the_programme(cast):
    user = UserFactory()
    cast.programme.ambassadors.add(user)
    assert perms.can_manage_population(user, cast.population)
    assert perms.can_create_population(user, cast.programme)


@pytest.mark.parametrize(
    "role,allowed",
    [
        ("owner", True),
        ("ambassador", False),
        ("manager", False),
        ("agent", False),
        ("outsider", False),
        ("staff", True),
    ],
)
def test_only_owners_programme_ambassadors_and_staff_create_populations(cast, role, allowed):
    assert perms.can_create_population(getattr(cast, role), cast.programme) is allowed


# --- Populations --------------------------------------------------------------------------


def test_owner_creates_a_population_with_its_ambassadors(client, cast):
    client.force_login(cast.owner)
    response = client.post(
        reverse("programmes:population_create", kwargs={"slug": cast.programme.slug}),
        {"name": "Informaticiens", "description": "", "ambassador_emails": cast.ambassador.email},
    )
    population = TargetPopulation.objects.get(name="Informaticiens")
    assert response.status_code == 302
    assert response.url == population.get_absolute_url()
    assert list(population.ambassadors.all()) == [cast.ambassador]


def test_population_ambassador_may_not_create_a_population(client, cast):
    client.force_login(cast.ambassador)
    response = client.post(
        reverse("programmes:population_create", kwargs={"slug": cast.programme.slug}),
        {"name": "Informaticiens"},
    )
    assert response.status_code == 403
    assert not TargetPopulation.objects.filter(name="Informaticiens").exists()


def test_population_form_refuses_a_taken_name_and_unknown_ambassadors(client, cast):
    client.force_login(cast.owner)
    response = client.post(
        reverse("programmes:population_create", kwargs={"slug": cast.programme.slug}),
        {"name": "assistants", "ambassador_emails": "personne@exemple.gouv.fr"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "déjà une population nommée" in html
    assert "Aucun compte actif pour : personne@exemple.gouv.fr" in html


def test_ambassador_renames_their_population(client, cast):
    client.force_login(cast.ambassador)
    response = client.post(
        url("population_edit", cast.population),
        {"name": "Assistant·e·s", "description": "Tous sites", "ambassador_emails": ""},
    )
    assert response.status_code == 302
    cast.population.refresh_from_db()
    assert (cast.population.name, cast.population.description) == ("Assistant·e·s", "Tous sites")
    assert not cast.population.ambassadors.exists()


# --- Targets: the service and its history -------------------------------------------------


def test_saving_targets_creates_them_and_dates_each_one(cast, clock):
    population = TargetPopulationFactory(programme=cast.programme)
    clock(at((3, 1)))
    saved = services.targets_save(
        population=population,
        user=cast.ambassador,
        targets=[level("1.1", 3), level("2.1", 2, datetime.date(2026, 6, 30))],
    )
    assert (saved.created, saved.changed, saved.removed) == (2, 0, 0)
    assert {(t.competence.code, t.level) for t in population.targets.all()} == {
        ("1.1", 3),
        ("2.1", 2),
    }
    changes = TargetChange.objects.filter(population=population)
    assert {(c.action, c.level_before, c.level_after) for c in changes} == {
        ("created", None, 3)
    } | {("created", None, 2)}
    assert {c.changed_by for c in changes} == {cast.ambassador}
    assert {c.changed_at for c in changes} == {at((3, 1))}


def test_saving_the_same_targets_again_writes_no_change(cast):
    population = TargetPopulationFactory(programme=cast.programme)
    specs = [level("1.1", 3, datetime.date(2026, 6, 30))]
    services.targets_save(population=population, user=cast.ambassador, targets=specs)
    saved = services.targets_save(population=population, user=cast.owner, targets=specs)
    assert saved.total == 0
    assert TargetChange.objects.filter(population=population).count() == 1


def test_changing_a_level_records_before_and_after(cast):
    population = TargetPopulationFactory(programme=cast.programme)
    services.targets_save(population=population, user=cast.ambassador, targets=[level("1.1", 3)])
    deadline = datetime.date(2026, 9, 1)
    services.targets_save(
        population=population, user=cast.owner, targets=[level("1.1", 4, deadline)]
    )
    change = TargetChange.objects.filter(population=population).first()  # newest first
    assert change.action == TargetChange.Action.CHANGED
    assert (change.level_before, change.level_after) == (3, 4)
    assert (change.deadline_before, change.deadline_after) == (None, deadline)
    assert change.changed_by == cast.owner
    assert population.targets.get().level == 4


def test_a_target_left_out_is_removed_and_its_removal_dated(cast):
    population = TargetPopulationFactory(programme=cast.programme)
    services.targets_save(
        population=population, user=cast.ambassador, targets=[level("1.1", 3), level("1.2", 2)]
    )
    saved = services.targets_save(
        population=population, user=cast.ambassador, targets=[level("1.1", 3)]
    )
    assert (saved.created, saved.changed, saved.removed) == (0, 0, 1)
    removal = TargetChange.objects.filter(population=population).first()
    assert removal.action == TargetChange.Action.REMOVED
    assert (removal.competence.code, removal.level_before, removal.level_after) == ("1.2", 2, None)
    assert not population.targets.filter(competence__code="1.2").exists()


def test_mastery_rate_and_stage_targets_on_an_assessment_campaign(cast):
    campaign = CampaignFactory(assessment=True, stage_count=5)
    cast.programme.campaigns.add(campaign)
    population = TargetPopulationFactory(programme=cast.programme)
    targets = [
        TargetSpec(
            kind=TargetKind.MASTERY_RATE,
            competence_id=competence("4.1").pk,
            campaign_id=campaign.pk,
            mastery_rate=Decimal("0.7"),
        ),
        TargetSpec(kind=TargetKind.STAGE, campaign_id=campaign.pk, stage=3),
    ]
    services.targets_save(population=population, user=cast.ambassador, targets=targets)
    assert population.targets.get(kind=TargetKind.MASTERY_RATE).mastery_rate == Decimal("0.700")
    assert population.targets.get(kind=TargetKind.STAGE).stage == 3
    # 0.7 and 0.700 are the same target: saving again changes nothing.
    assert services.targets_save(population=population, user=cast.owner, targets=targets).total == 0


@pytest.mark.parametrize(
    "spec,message",
    [
        (lambda c: level("1.1", 9), "entre 1 et 8"),
        (lambda c: level("1.1", 0), "entre 1 et 8"),
        (
            lambda c: TargetSpec(
                kind=TargetKind.MASTERY_RATE,
                competence_id=competence("1.1").pk,
                campaign_id=c.pk,
                mastery_rate=Decimal("1.2"),
            ),
            "entre 0 et 100 %",
        ),
        (
            lambda c: TargetSpec(kind=TargetKind.STAGE, campaign_id=c.pk, stage=6),
            "ne peut dépasser 5",
        ),
        (lambda c: TargetSpec(kind=TargetKind.STAGE, campaign_id=c.pk, stage=-1), "positif"),
        (
            lambda c: TargetSpec(
                kind=TargetKind.STAGE, campaign_id=CampaignFactory(assessment=True).pk, stage=1
            ),
            "pas une campagne d’évaluation du programme",
        ),
        (
            lambda c: TargetSpec(
                kind=TargetKind.STAGE, campaign_id=CampaignFactory().pk, stage=1
            ),  # a profiles collection, even of the programme, has no stages
            "pas une campagne d’évaluation du programme",
        ),
    ],
)
def test_a_wrong_target_is_refused_in_french_and_nothing_is_written(cast, spec, message):
    campaign = CampaignFactory(assessment=True, stage_count=5)
    cast.programme.campaigns.add(campaign)
    population = TargetPopulationFactory(programme=cast.programme)
    with pytest.raises(services.TargetsInvalid) as error:
        services.targets_save(
            population=population,
            user=cast.ambassador,
            targets=[level("2.1", 4), spec(campaign)],  # the good one is not saved either
        )
    assert any(message in text for text in error.value.messages), error.value.messages
    assert not population.targets.exists()
    assert not TargetChange.objects.filter(population=population).exists()


def test_the_same_target_twice_is_refused(cast):
    population = TargetPopulationFactory(programme=cast.programme)
    with pytest.raises(services.TargetsInvalid, match="deux fois"):
        services.targets_save(
            population=population, user=cast.owner, targets=[level("1.1", 2), level("1.1", 3)]
        )


def test_target_changes_are_append_only(cast):
    population = TargetPopulationFactory(programme=cast.programme)
    services.targets_save(population=population, user=cast.owner, targets=[level("1.1", 2)])
    change = TargetChange.objects.get(population=population)
    change.level_after = 5
    with pytest.raises(ValueError, match="append-only"):
        change.save()


def test_targets_applying_on_tells_which_target_applied_when(cast, clock):
    population = TargetPopulationFactory(programme=cast.programme)
    clock(at((3, 2)))
    services.targets_save(population=population, user=cast.owner, targets=[level("1.1", 3)])
    clock(at((5, 10)))
    services.targets_save(
        population=population, user=cast.owner, targets=[level("1.1", 5), level("3.1", 2)]
    )
    clock(at((9, 1)))
    services.targets_save(population=population, user=cast.owner, targets=[level("3.1", 2)])

    def applying(day):
        return [
            (t.competence.code, t.level)
            for t in targets_applying_on(population, datetime.date(2026, *day))
        ]

    assert applying((3, 1)) == []
    assert applying((3, 2)) == [("1.1", 3)]  # a change applies from its own day
    assert applying((5, 9)) == [("1.1", 3)]
    assert applying((5, 10)) == [("1.1", 5), ("3.1", 2)]
    assert applying((8, 31)) == [("1.1", 5), ("3.1", 2)]
    assert applying((9, 1)) == [("3.1", 2)]
    (current,) = targets_applying_on(population, at((12, 31)))
    assert current.since == at((5, 10))
    assert current.expected == "niveau 2"


def test_targets_in_force_replays_any_rows_in_order():
    def row(pk, day, action, **after):
        values = {"level_after": None, "mastery_rate_after": None, "stage_after": None}
        values.update(after)
        return SimpleNamespace(
            pk=pk,
            changed_at=at(day),
            action=action,
            kind=after.pop("kind", TargetKind.LEVEL),
            competence_id=after.pop("competence_id", 1),
            campaign_id=after.pop("campaign_id", None),
            deadline_after=None,
            **{k: v for k, v in values.items() if k.endswith("_after")},
        )

    rows = [
        row(3, (4, 1), "removed"),
        row(1, (1, 1), "created", level_after=2),
        row(2, (2, 1), "changed", level_after=4),
        row(4, (6, 1), "created", kind=TargetKind.STAGE, campaign_id=9, stage_after=1),
    ]
    assert [t.level for t in targets_in_force(rows, datetime.date(2026, 1, 31))] == [2]
    assert [t.level for t in targets_in_force(rows, datetime.date(2026, 2, 1))] == [4]
    assert targets_in_force(rows, datetime.date(2026, 4, 1)) == []
    (stage,) = targets_in_force(rows, datetime.date(2026, 7, 1))
    assert (stage.kind, stage.campaign_id, stage.stage) == (TargetKind.STAGE, 9, 1)


def test_migration_backfills_targets_that_existed_before_the_history(cast):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("programmes.migrations.0003_targetchange")
    TargetChange.objects.all().delete()
    migration.backfill_existing_targets(apps, None)
    (change,) = TargetChange.objects.filter(population=cast.population)
    target = cast.population.targets.get()
    assert (change.action, change.level_after, change.changed_at) == (
        "created",
        target.level,
        target.created_at,
    )
    assert [t.level for t in targets_applying_on(cast.population, timezone.localdate())] == [3]


# --- Targets: the page --------------------------------------------------------------------


def targets_post(population, **values):
    """The targets form as posted: every competence empty but those given (code -> level)."""
    data = {f"level_{c.pk}": "" for c in Competence.objects.all()}
    for code, value in values.items():
        data[f"level_{competence(code.replace('_', '.')).pk}"] = value
    return data


def test_targets_page_groups_the_16_competences_by_domain(client, cast):
    client.force_login(cast.ambassador)
    response = client.get(url("population_targets", cast.population))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('<select name="level_') == 16
    assert html.count('type="date"') == 16
    assert html.count("<legend") == 5
    assert "Niveaux visés — 1. Informations et données" in html
    # The cast's target (1.1 at level 3) is preselected.
    form = response.context["form"]
    assert form.initial[f"level_{competence('1.1').pk}"] == 3


def test_ambassador_sets_a_level_with_a_deadline(client, cast):
    client.force_login(cast.ambassador)
    data = targets_post(cast.population, **{"1_1": "3", "2_3": "4"})
    data[f"level_{competence('2.3').pk}_deadline"] = "2026-12-31"
    response = client.post(url("population_targets", cast.population), data)
    assert response.status_code == 302
    target = cast.population.targets.get(competence__code="2.3")
    assert (target.level, target.deadline) == (4, datetime.date(2026, 12, 31))
    assert "Objectifs enregistrés : 1 fixé, 0 modifié, 0 retiré." in messages_of(response)
    (change,) = TargetChange.objects.filter(population=cast.population)
    assert (change.action, change.changed_by) == ("created", cast.ambassador)


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("level", "9", "Le niveau cible doit être compris entre 1 et 8."),
        ("level", "abc", "Le niveau cible doit être compris entre 1 et 8."),
        ("deadline", "2026-13-45", "Saisissez une date valide"),
        ("deadline_only", "2026-06-30", "Une échéance sans objectif"),
    ],
)
def test_targets_page_refuses_bad_levels_and_dates_and_writes_nothing(
    client, cast, field, value, message
):
    client.force_login(cast.ambassador)
    data = targets_post(cast.population, **{"1_1": "3", "2_3": "4"})
    pk = competence("2.3").pk
    if field == "level":
        data[f"level_{pk}"] = value
    elif field == "deadline":
        data[f"level_{pk}_deadline"] = value
    else:
        data[f"level_{pk}"] = ""
        data[f"level_{pk}_deadline"] = value
    response = client.post(url("population_targets", cast.population), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert list(cast.population.targets.values_list("competence__code", "level")) == [("1.1", 3)]
    assert not TargetChange.objects.exists()


@pytest.fixture
def assessment(cast):
    """An assessment of the programme, with 5 stages, whose results bear on 1.1 and 4.1."""
    campaign = CampaignFactory(assessment=True, stage_count=5, name="Parcours socle")
    cast.programme.campaigns.add(campaign)
    participation = ParticipationFactory(campaign=campaign, status="SHARED")
    for code in ("1.1", "4.1"):
        CompetenceResultFactory(participation=participation, competence=competence(code))
    return campaign


def test_targets_page_offers_rates_for_the_assessment_competences_and_a_stage(
    client, cast, assessment
):
    client.force_login(cast.ambassador)
    response = client.get(url("population_targets", cast.population))
    form = response.context["form"]
    rates = sorted(name for name in form.fields if name.startswith("rate_") and "dead" not in name)
    assert rates == sorted(f"rate_{assessment.pk}_{competence(code).pk}" for code in ("1.1", "4.1"))
    assert f"stage_{assessment.pk}" in form.fields
    assert "Évaluation « Parcours socle » : palier et taux de maîtrise" in response.content.decode()


def test_an_assessment_without_results_offers_every_competence(client, cast):
    campaign = CampaignFactory(assessment=True)
    cast.programme.campaigns.add(campaign)
    client.force_login(cast.ambassador)
    form = client.get(url("population_targets", cast.population)).context["form"]
    assert sum(name.startswith(f"rate_{campaign.pk}_") for name in form.fields) == 32  # + deadlines


def test_a_rate_target_set_before_any_result_leaves_every_competence_offered(client, cast):
    campaign = CampaignFactory(assessment=True)
    cast.programme.campaigns.add(campaign)
    rate = TargetSpec(
        kind=TargetKind.MASTERY_RATE,
        competence_id=competence("2.2").pk,
        campaign_id=campaign.pk,
        mastery_rate=Decimal("0.5"),
    )
    services.targets_save(population=cast.population, user=cast.owner, targets=[rate])
    client.force_login(cast.ambassador)
    form = client.get(url("population_targets", cast.population)).context["form"]
    assert sum(name.startswith(f"rate_{campaign.pk}_") for name in form.fields) == 32


def test_ambassador_sets_a_mastery_rate_as_a_percentage_and_a_stage(client, cast, assessment):
    client.force_login(cast.ambassador)
    data = targets_post(cast.population, **{"1_1": "3"})
    data[f"rate_{assessment.pk}_{competence('4.1').pk}"] = "72.5"
    data[f"stage_{assessment.pk}"] = "4"
    response = client.post(url("population_targets", cast.population), data)
    assert response.status_code == 302
    rate = cast.population.targets.get(kind=TargetKind.MASTERY_RATE)
    assert (rate.competence.code, rate.campaign, rate.mastery_rate) == (
        "4.1",
        assessment,
        Decimal("0.725"),
    )
    assert cast.population.targets.get(kind=TargetKind.STAGE).stage == 4
    form = client.get(url("population_targets", cast.population)).context["form"]
    assert form.initial[f"rate_{assessment.pk}_{competence('4.1').pk}"] == Decimal("72.5")


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("rate", "120", "Le taux de maîtrise doit être compris entre 0 et 100 %."),
        ("rate", "-1", "Le taux de maîtrise doit être compris entre 0 et 100 %."),
        ("rate", "soixante", "Saisissez un pourcentage entre 0 et 100"),
        ("rate", "70.25", "Une décimale au plus"),
        ("stage", "6", "Le palier doit être compris entre 0 et 5."),
        ("stage", "-1", "Le palier doit être compris entre 0 et 5."),
        ("stage", "2.5", "Le palier doit être compris entre 0 et 5."),
    ],
)
def test_bad_rates_and_stages_are_refused_in_french(
    client, cast, assessment, field, value, message
):
    client.force_login(cast.ambassador)
    data = targets_post(cast.population, **{"1_1": "3"})
    if field == "rate":
        data[f"rate_{assessment.pk}_{competence('4.1').pk}"] = value
    else:
        data[f"stage_{assessment.pk}"] = value
    response = client.post(url("population_targets", cast.population), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    # Above the long form, a summary links to the field in error.
    summary = html[
        html.index('id="targets-errors"') : html.index("</ul>", html.index('id="targets-errors"'))
    ]
    assert message in summary and 'href="#id_' in summary
    assert not TargetChange.objects.exists()


@pytest.mark.parametrize("role", ["manager", "agent", "outsider"])
def test_others_cannot_post_targets(client, cast, role):
    client.force_login(getattr(cast, role))
    response = client.post(
        url("population_targets", cast.population), targets_post(cast.population)
    )
    assert response.status_code == 404
    assert cast.population.targets.count() == 1


def test_anonymous_post_goes_to_login_and_writes_nothing(client, cast):
    response = client.post(
        url("population_targets", cast.population), targets_post(cast.population)
    )
    assert response.status_code == 302
    assert response.url.startswith("/comptes/connexion/")
    assert cast.population.targets.count() == 1


def test_a_post_without_csrf_token_is_refused(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.ambassador)
    response = client.post(
        url("population_targets", cast.population), targets_post(cast.population)
    )
    assert response.status_code == 403
    enrolment = cast.population.enrolments.first()
    response = client.post(url("enrolment_end", cast.population, enrolment_id=enrolment.pk))
    assert response.status_code == 403
    enrolment.refresh_from_db()
    assert enrolment.end_date is None


def test_history_page_shows_each_change_and_the_targets_in_force_on_a_date(client, cast, clock):
    clock(at((3, 2)))
    services.targets_save(population=cast.population, user=cast.owner, targets=[level("1.2", 3)])
    clock(at((6, 15)))
    services.targets_save(
        population=cast.population, user=cast.ambassador, targets=[level("1.2", 5)]
    )
    client.force_login(cast.ambassador)
    response = client.get(url("target_history", cast.population), {"date": "2026-04-01"})
    html = response.content.decode()
    assert "Objectifs en vigueur le 1 avril 2026" in html
    assert [t.level for t in response.context["applying"]] == [3]
    assert "Objectif modifié" in html and "niveau 3" in html and "niveau 5" in html
    # The cast's 1.1 target, made before the history, was removed by the first save.
    assert len(response.context["page_obj"]) == 3


def test_history_page_survives_a_bad_date(client, cast):
    client.force_login(cast.owner)
    response = client.get(url("target_history", cast.population), {"date": "hier"})
    assert response.status_code == 200
    assert "Date invalide" in response.content.decode()


# --- Choosing agents ----------------------------------------------------------------------


@pytest.fixture
def org(db):
    """A direction with a service and a unit under it, and a second direction."""
    direction = OrgUnitFactory(name="Direction régionale")
    service = OrgUnitFactory(name="Service numérique", parent=direction)
    unit = OrgUnitFactory(name="Pôle support", parent=service)
    other = OrgUnitFactory(name="Autre direction")
    head = AgentFactory(org_unit=direction, job_title="Directrice", external_id="H-1")
    lead = AgentFactory(org_unit=service, manager=head, job_title="Cheffe de service")
    tech = AgentFactory(org_unit=unit, manager=lead, job_title="Technicien support")
    dev = AgentFactory(org_unit=unit, manager=lead, job_title="Développeuse")
    gone = AgentFactory(org_unit=unit, manager=lead, job_title="Technicien", is_active=False)
    elsewhere = AgentFactory(org_unit=other, job_title="Technicienne")
    return SimpleNamespace(**locals())


def test_filter_by_unit_includes_the_units_under_it(org):
    agents = set(services.agents_for_filters(org_unit=org.service))
    assert agents == {org.lead, org.tech, org.dev}  # not the inactive one
    only = set(services.agents_for_filters(org_unit=org.service, include_sub_units=False))
    assert only == {org.lead}


def test_filter_by_job_title_ignores_case(org):
    agents = set(services.agents_for_filters(job_title="TECHNICIEN"))
    assert agents == {org.tech, org.elsewhere}


def test_filter_by_manager_includes_indirect_reports(org):
    assert set(services.agents_for_filters(manager=org.head)) == {org.lead, org.tech, org.dev}
    both = services.agents_for_filters(manager=org.head, job_title="technicien")
    assert list(both) == [org.tech]


def test_parse_list_reads_lines_and_separators_and_skips_a_header():
    text = 'matricule\nM1;M2, m3\n\n"agent@exemple.gouv.fr"\tM1\n'
    listed = services.parse_list(text)
    assert [(item.line, item.value) for item in listed] == [
        (2, "M1"),
        (2, "M2"),
        (2, "m3"),
        (4, "agent@exemple.gouv.fr"),
    ]


def test_decode_list_reads_utf8_and_windows_1252_and_refuses_binary():
    assert services.decode_list("\ufeffÉlise@x.fr".encode()) == "Élise@x.fr"
    assert services.decode_list("Élise@x.fr".encode("cp1252")) == "Élise@x.fr"
    with pytest.raises(services.NotText):
        services.decode_list(b"\x89PNG\r\n\x1a\n\x00\x00")


def test_resolve_list_finds_agents_by_matricule_or_email_and_names_unknowns(org):
    listed = services.parse_list(
        f"{org.tech.external_id.lower()}\n{org.dev.email.upper()}\nINCONNU\n"
        f"{org.gone.external_id}\nnobody@exemple.gouv.fr"
    )
    resolution = services.resolve_list(listed)
    assert resolution.agents == [org.tech, org.dev]
    assert [(item.line, item.value, reason) for item, reason in resolution.problems] == [
        (3, "INCONNU", "aucun agent n’a ce matricule."),
        (4, org.gone.external_id, f"cet agent est inactif ({org.gone})."),
        (5, "nobody@exemple.gouv.fr", "aucun agent n’a cette adresse e-mail."),
    ]


# --- Enrolments: the service --------------------------------------------------------------


def test_enrolling_twice_changes_nothing(cast, org):
    population = TargetPopulationFactory(programme=cast.programme)
    first = services.enrolment_add(population=population, agent_ids=[org.tech.pk, org.dev.pk])
    second = services.enrolment_add(population=population, agent_ids=[org.tech.pk, org.dev.pk])
    assert (first.enrolled, first.already) == (2, 0)
    assert (second.enrolled, second.already) == (0, 2)
    assert population.enrolments.count() == 2


def test_leaving_keeps_history_and_coming_back_later_is_a_new_enrolment(cast, org):
    population = TargetPopulationFactory(programme=cast.programme)
    march, may, july = (
        datetime.date(2026, 3, 2),
        datetime.date(2026, 5, 4),
        datetime.date(2026, 7, 1),
    )
    services.enrolment_add(population=population, agent_ids=[org.tech.pk], today=march)
    enrolment = population.enrolments.get()
    assert services.enrolment_end(enrolment=enrolment, today=may)
    assert not services.enrolment_end(enrolment=enrolment, today=july)  # already left
    services.enrolment_add(population=population, agent_ids=[org.tech.pk], today=july)
    rows = list(population.enrolments.order_by("start_date").values_list("start_date", "end_date"))
    assert rows == [(march, may), (july, None)]
    assert population.enrolments.current(datetime.date(2026, 6, 1)).count() == 0
    assert population.enrolments.current(july).count() == 1


def test_coming_back_the_day_one_left_reopens_the_same_enrolment(cast, org):
    population = TargetPopulationFactory(programme=cast.programme)
    day = datetime.date(2026, 3, 2)
    services.enrolment_add(population=population, agent_ids=[org.tech.pk], today=day)
    services.enrolment_end(enrolment=population.enrolments.get(), today=day)
    outcome = services.enrolment_add(population=population, agent_ids=[org.tech.pk], today=day)
    assert outcome.enrolled == 1
    assert list(population.enrolments.values_list("start_date", "end_date")) == [(day, None)]


# --- Enrolments: the pages ----------------------------------------------------------------


def test_filters_first_preview_then_confirm(client, cast, org):
    EnrolmentFactory(agent=org.tech, population=cast.population)
    client.force_login(cast.ambassador)
    data = {"org_unit": str(org.service.pk), "include_sub_units": "on", "job_title": ""}
    response = client.post(url("enrolment_filter", cast.population), {**data, "preview": "1"})
    html = response.content.decode()
    assert "2 agents seront inscrits" in html and "1 déjà inscrit" in html
    assert cast.population.enrolments.filter(agent__in=[org.lead, org.dev]).count() == 0
    assert {a.pk for a in response.context["preview"].sample} == {org.lead.pk, org.dev.pk}
    response = client.post(url("enrolment_filter", cast.population), {**data, "confirm": "1"})
    assert response.status_code == 302
    assert response.url == url("population_members", cast.population)
    assert messages_of(response) == ["2 agents inscrits, 1 l’était déjà."]
    assert cast.population.enrolments.filter(agent__in=[org.lead, org.dev]).count() == 2


def test_the_confirm_form_carries_the_same_criteria(client, cast, org):
    client.force_login(cast.ambassador)
    response = client.post(
        url("enrolment_filter", cast.population),
        {
            "org_unit": str(org.service.pk),
            "include_sub_units": "on",
            "job_title": "tech",
            "preview": "1",
        },
    )
    html = response.content.decode()
    confirm = html[html.index('id="enrolment-confirm"') :]
    assert f'name="org_unit" value="{org.service.pk}"' in confirm
    assert 'name="job_title" value="tech"' in confirm
    assert 'name="include_sub_units" value="True"' in confirm


def test_filter_by_manager_search(client, cast, org):
    client.force_login(cast.ambassador)
    response = client.post(
        url("enrolment_filter", cast.population), {"manager": "H-1", "preview": "1"}
    )
    assert response.context["preview"].to_enrol == 3


@pytest.mark.parametrize(
    "data,message",
    [
        ({}, "Choisissez au moins un critère"),
        ({"org_unit": "999999"}, "Cette unité n’existe pas."),
        ({"org_unit": "abc"}, "Cette unité n’existe pas."),
        ({"manager": "Personne De Connu"}, "Aucun encadrant ne correspond"),
    ],
)
def test_filter_form_errors_are_french_and_never_500(client, cast, org, data, message):
    client.force_login(cast.ambassador)
    response = client.post(url("enrolment_filter", cast.population), {**data, "confirm": "1"})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert cast.population.enrolments.count() == len(cast.team)


def test_several_managers_matching_ask_for_more(client, cast, org):
    client.force_login(cast.ambassador)
    AgentFactory(manager=AgentFactory(last_name="Homonyme"))
    AgentFactory(manager=AgentFactory(last_name="Homonyme"))
    response = client.post(
        url("enrolment_filter", cast.population), {"manager": "homonyme", "preview": "1"}
    )
    assert "Plusieurs encadrants correspondent" in response.content.decode()


def test_pasting_matricules_enrols_them(client, cast, org):
    client.force_login(cast.ambassador)
    text = f"{org.tech.external_id}\n{org.dev.email}; {cast.agent_agent.external_id}"
    response = client.post(url("enrolment_paste", cast.population), {"text": text})
    assert response.status_code == 302
    assert messages_of(response) == ["2 agents inscrits, 1 l’était déjà."]
    assert cast.population.enrolments.filter(agent__in=[org.tech, org.dev]).count() == 2


def test_an_unknown_matricule_stops_everything_and_is_named_with_its_line(client, cast, org):
    client.force_login(cast.ambassador)
    text = f"{org.tech.external_id}\nX-404\n{org.dev.external_id}"
    response = client.post(url("enrolment_paste", cast.population), {"text": text})
    html = response.content.decode()
    assert response.status_code == 200
    assert "1 identifiant ne correspond à aucun agent actif : rien n’a été inscrit." in html
    assert [(item.line, item.value) for item, _ in response.context["form"].problems] == [
        (2, "X-404")
    ]
    assert "« X-404 »" in html and "aucun agent n’a ce matricule." in html
    assert not cast.population.enrolments.filter(agent__in=[org.tech, org.dev]).exists()


def test_ticking_enrol_the_others_skips_the_unknown(client, cast, org):
    client.force_login(cast.ambassador)
    text = f"{org.tech.external_id}\nX-404"
    response = client.post(
        url("enrolment_paste", cast.population), {"text": text, "enrol_others": "on"}
    )
    assert response.status_code == 302
    assert messages_of(response) == [
        "1 agent inscrit, 0 l’était déjà.",
        "1 identifiant inconnu ignoré.",
    ]
    assert cast.population.enrolments.filter(agent=org.tech).exists()


def upload(content, name="liste.csv"):
    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_uploading_a_windows_1252_csv_enrols_its_agents(client, cast, org):
    org.dev.email = "hélène.dev@exemple.gouv.fr"
    org.dev.save()
    client.force_login(cast.ambassador)
    content = f"email\r\n{org.dev.email}\r\n{org.tech.external_id}\r\n".encode("cp1252")
    response = client.post(url("enrolment_paste", cast.population), {"file": upload(content)})
    assert response.status_code == 302
    assert cast.population.enrolments.filter(agent__in=[org.tech, org.dev]).count() == 2


@pytest.mark.parametrize(
    "data,message",
    [
        ({"file": lambda: upload(b"")}, "Le fichier est vide."),
        ({"file": lambda: upload(b"\x89PNG\r\n\x1a\n\x00\x00\x00")}, "pas un fichier texte"),
        ({"file": lambda: upload(b"M1", name="liste.xlsx")}, "Choisissez un fichier .csv ou .txt."),
        ({"text": "  \n ; ,\n"}, "Aucun matricule ni adresse e-mail trouvé"),
        ({"text": "M1", "file": lambda: upload(b"M2")}, "pas les deux"),
        ({"text": "X-404", "enrol_others": "on"}, "Aucun agent reconnu"),
    ],
)
def test_bad_lists_are_refused_in_french_and_never_500(client, cast, data, message):
    client.force_login(cast.ambassador)
    data = {key: value() if callable(value) else value for key, value in data.items()}
    response = client.post(url("enrolment_paste", cast.population), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert cast.population.enrolments.count() == len(cast.team)


def test_members_page_lists_searches_and_paginates(client, cast):
    for agent in AgentFactory.create_batch(55):
        EnrolmentFactory(agent=agent, population=cast.population)
    client.force_login(cast.ambassador)
    page_url = url("population_members", cast.population)
    assert len(client.get(page_url).context["page_obj"]) == 50
    assert len(client.get(page_url, {"page": "2"}).context["page_obj"]) == 55 + 6 - 50
    found = client.get(page_url, {"q": cast.agent_agent.external_id}).context["page_obj"]
    assert [e.agent for e in found] == [cast.agent_agent]
    assert client.get(page_url, {"page": "zzz"}).status_code == 200


def test_removing_an_agent_ends_the_enrolment_and_keeps_it(client, cast):
    enrolment = cast.population.enrolments.get(agent=cast.agent_agent)
    client.force_login(cast.owner)
    response = client.post(url("enrolment_end", cast.population, enrolment_id=enrolment.pk))
    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.end_date == timezone.localdate()
    members = client.get(url("population_members", cast.population)).context["page_obj"]
    assert cast.agent_agent not in [e.agent for e in members]
    former = client.get(url("population_members", cast.population), {"anciens": "1"})
    assert [e.agent for e in former.context["page_obj"]] == [cast.agent_agent]


def test_members_page_has_a_remove_button_per_agent(client, cast):
    client.force_login(cast.ambassador)
    html = client.get(url("population_members", cast.population)).content.decode()
    assert html.count("Retirer de la population") == len(cast.team)


def test_an_enrolment_of_another_population_answers_404(client, cast):
    other = cast.other_population.enrolments.get()
    client.force_login(cast.ambassador)
    response = client.post(url("enrolment_end", cast.population, enrolment_id=other.pk))
    assert response.status_code == 404
    response = client.post(url("enrolment_end", cast.other_population, enrolment_id=other.pk))
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.end_date is None


@pytest.mark.parametrize("role", ["manager", "agent", "outsider"])
def test_others_cannot_enrol_or_remove(client, cast, org, role):
    client.force_login(getattr(cast, role))
    enrolment = cast.population.enrolments.first()
    posts = [
        (url("enrolment_end", cast.population, enrolment_id=enrolment.pk), {}),
        (url("enrolment_paste", cast.population), {"text": org.tech.external_id}),
        (url("enrolment_filter", cast.population), {"job_title": "tech", "confirm": "1"}),
        (url("population_edit", cast.population), {"name": "Piratée"}),
    ]
    for address, data in posts:
        assert client.post(address, data).status_code == 404
    enrolment.refresh_from_db()
    assert enrolment.end_date is None
    assert not cast.population.enrolments.filter(agent=org.tech).exists()


def test_population_page_offers_the_management_buttons(client, cast):
    client.force_login(cast.owner)
    html = client.get(cast.population.get_absolute_url()).content.decode()
    for address in (
        url("population_targets", cast.population),
        url("enrolment_paste", cast.population),
        url("population_members", cast.population),
        url("target_history", cast.population),
    ):
        assert f'href="{address}"' in html


def test_programme_page_offers_a_new_population_to_its_owner_only(client, cast):
    address = reverse("programmes:population_create", kwargs={"slug": cast.programme.slug})
    client.force_login(cast.owner)
    assert address in client.get(cast.programme.get_absolute_url()).content.decode()
    client.force_login(cast.ambassador)
    assert address not in client.get(cast.programme.get_absolute_url()).content.decode()


def test_enrolments_written_by_the_service_use_todays_date(cast, org):
    population = TargetPopulationFactory(programme=cast.programme)
    services.enrolment_add(population=population, agent_ids=[org.tech.pk])
    assert Enrolment.objects.get(population=population).start_date == timezone.localdate()


def test_an_agent_removed_today_no_longer_counts_today(cast):
    from programmes.models import Enrolment

    enrolment = Enrolment.objects.get(agent=cast.agent_agent, population=cast.population)
    enrolment.end_date = timezone.localdate()
    enrolment.save()
    assert not Enrolment.objects.current().filter(pk=enrolment.pk).exists()
    assert (
        Enrolment.objects.current(enrolment.end_date - datetime.timedelta(days=1))
        .filter(pk=enrolment.pk)
        .exists()
    )
