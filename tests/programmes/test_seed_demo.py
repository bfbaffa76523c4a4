import datetime
import hashlib
import re
from collections import defaultdict
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import F, Q
from django.test import RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone

from agents.enums import OrgUnitKind
from agents.models import Agent, OrgUnit, User
from campaigns.enums import CampaignKind, ImportStatus, MatchStatus, ParticipationStatus
from campaigns.models import (
    Campaign,
    CompetenceResult,
    Participation,
    ParticipationSnapshot,
    ResultImport,
)
from campaigns.pix_export import parse_export_filename
from campaigns.referential import MAX_LEVEL
from programmes import demo, status
from programmes.enums import ProgressStatus, Purpose, ResourceKind, ResourceState, TargetKind
from programmes.imports import selectors as import_selectors
from programmes.models import (
    CheckIn,
    Enrolment,
    Mentor,
    Mentoring,
    Milestone,
    Programme,
    ProgrammeImport,
    QuietPeriod,
    ReminderSettings,
    Resource,
    ResourceUse,
    Target,
    TargetPopulation,
)
from tests.conftest import built_once_per_module

LOGINS = [
    "pilote@demo.gouv.fr",
    "ambassadeur@demo.gouv.fr",
    "encadrant@demo.gouv.fr",
    "agent@demo.gouv.fr",
    "admin@demo.gouv.fr",
    "pilote.p3e@demo.gouv.fr",
    "ambassadeur.p3e@demo.gouv.fr",
    "ambassadeur.encadrants@demo.gouv.fr",
]

PARIS = ZoneInfo("Europe/Paris")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    # The real hasher costs ~0.4 s a password; what is under test is which password is set.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path, request):
    """The raw exports the seed stores land in a temporary folder, never in media/: the
    module's seeded demo's own when the test reads it."""
    if "seeded" in request.fixturenames:
        settings.MEDIA_ROOT = request.getfixturevalue("_seeded_once")[1]
    else:
        settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media):
    return sorted(path for path in media.rglob("*") if path.is_file())


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def _seeded_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo, seeded once for the module (2 s each time): what `seed` printed, and the
    folder of the raw exports it stored. The tests that seed again or change a row do it in
    their own savepoint (tests/conftest.py, `built_once_per_module`)."""
    folder = tmp_path_factory.mktemp("seeded") / "media"
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with override_settings(MEDIA_ROOT=folder, PASSWORD_HASHERS=hashers):
        yield from built_once_per_module(django_db_blocker, lambda: (seed(), folder))


@pytest.fixture
def seeded(db, _seeded_once, media):
    return _seeded_once[0]


def calendar():
    """The seeded demo's calendar (the day the tests ran, read back from the database)."""
    return demo.demo_calendar()


def agent_of(email):
    return Agent.objects.select_related("org_unit", "manager").get(user__email=email)


def population(name):
    return TargetPopulation.objects.get(programme__slug=demo.PROGRAMME_SLUG, name=name)


def snapshot():
    """Every row the seed writes, with the values that would change if it rewrote them."""
    return {
        "units": list(OrgUnit.objects.order_by("pk").values_list("pk", "code", "name", "parent")),
        "agents": list(
            Agent.objects.order_by("pk").values_list(
                "pk", "external_id", "email", "manager", "org_unit", "user", "updated_at"
            )
        ),
        "users": list(User.objects.order_by("pk").values_list("pk", "email", "password")),
        "programmes": list(Programme.objects.values_list("pk", "slug", "name")),
        "owners": list(Programme.owners.through.objects.values_list("pk", flat=True)),
        "populations": list(TargetPopulation.objects.order_by("pk").values_list("pk", "name")),
        "ambassadors": list(
            TargetPopulation.ambassadors.through.objects.values_list("pk", flat=True)
        ),
        "targets": list(Target.objects.order_by("pk").values_list("pk", "level", "deadline")),
        "enrolments": list(Enrolment.objects.order_by("pk").values_list("pk", "start_date")),
        "campaigns": list(Campaign.objects.order_by("pk").values_list("pk", "pix_id", "name")),
        "programme_campaigns": list(
            Programme.campaigns.through.objects.order_by("pk").values_list("pk", flat=True)
        ),
        "imports": list(
            ResultImport.objects.order_by("pk").values_list("pk", "sha256", "status", "file")
        ),
        "programme_imports": list(ProgrammeImport.objects.values_list("pk", flat=True)),
        "reminder_rules": list(
            ReminderSettings.objects.values_list("pk", "enabled", "first_after_days", "updated_at")
        ),
        "quiet_periods": list(QuietPeriod.objects.order_by("pk").values_list("pk", "label")),
        "participations": list(
            Participation.objects.order_by("pk").values_list(
                "pk", "agent", "match_status", "status", "last_import", "last_progress_at"
            )
        ),
        "snapshots": list(ParticipationSnapshot.objects.values_list("pk", flat=True)),
        "results": list(CompetenceResult.objects.values_list("pk", flat=True)),
        "milestones": list(Milestone.objects.order_by("pk").values_list("pk", "date", "title")),
        "checkins": list(
            CheckIn.objects.order_by("pk").values_list(
                "pk", "agent", "status", "comment", "next_step", "recorded_at", "updated_at"
            )
        ),
        "checkin_barriers": list(
            CheckIn.barriers.through.objects.order_by("pk").values_list("pk", flat=True)
        ),
        "resources": list(Resource.objects.order_by("pk").values_list("pk", "title", "updated_at")),
        "resource_competences": list(
            Resource.competences.through.objects.order_by("pk").values_list("pk", flat=True)
        ),
        "resource_uses": list(
            ResourceUse.objects.order_by("pk").values_list("pk", "state", "useful", "updated_at")
        ),
        "mentors": list(Mentor.objects.order_by("pk").values_list("pk", "agent", "since")),
        "mentorings": list(
            Mentoring.objects.order_by("pk").values_list(
                "pk", "mentee", "mentor", "requested_at", "paired_at"
            )
        ),
    }


def test_seed_creates_a_directorate_of_about_800_agents(seeded):
    assert 750 <= Agent.objects.count() <= 850
    assert OrgUnit.objects.filter(parent=None).get().kind == OrgUnitKind.DIRECTION
    assert OrgUnit.objects.filter(kind=OrgUnitKind.SERVICE).count() >= 8
    assert OrgUnit.objects.filter(kind=OrgUnitKind.UNIT).count() > 50
    assert not Agent.objects.filter(org_unit=None).exists()


def test_matricules_and_emails_are_unique_and_well_formed(seeded):
    rows = list(Agent.objects.values_list("external_id", "email"))
    assert all(re.fullmatch(r"DR\d{6}", matricule) for matricule, _ in rows)
    assert all(re.fullmatch(r"[a-z-]+\.[a-z-]+\d*@dreets-demo\.gouv\.fr", e) for _, e in rows)
    assert len({matricule for matricule, _ in rows}) == len(rows)
    assert len({email for _, email in rows}) == len(rows)


def test_the_plan_is_the_same_on_every_run():
    assert demo.plan_org() == demo.plan_org()


def test_every_agent_but_the_director_has_a_manager_and_no_chain_loops(seeded):
    managers = dict(Agent.objects.values_list("pk", "manager_id"))
    roots = [pk for pk, manager in managers.items() if manager is None]
    assert len(roots) == 1
    director = Agent.objects.get(pk=roots[0])
    assert director.job_title == "Directeur·rice régional·e"
    for pk in managers:
        seen = set()
        while managers[pk] is not None:
            assert pk not in seen, "manager cycle"
            seen.add(pk)
            pk = managers[pk]
        assert pk == director.pk


def test_the_programme_is_a_self_assessment_one(seeded):
    programme = Programme.objects.get(slug=demo.PROGRAMME_SLUG)
    assert programme.purpose == Purpose.SELF_ASSESSMENT
    assert "auto-positionnement" in programme.description
    # Dated from the day it was seeded: started about a year before, ends months after.
    dates = calendar()
    assert dates.today == timezone.localdate()
    assert (programme.start_date, programme.end_date) == (
        dates.programme_start,
        dates.programme_end,
    )
    assert 300 <= (dates.today - programme.start_date).days <= 366
    assert 6 * 28 <= (programme.end_date - dates.today).days <= 8 * 31
    assert programme.stall_threshold_days == 30
    assert programme.populations.count() == 3


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("Assistant·e·s de service", 40),
        ("Encadrant·e·s du secrétariat général", 25),
        ("Informaticien·ne·s", 30),
    ],
)
def test_populations_have_their_stated_size(seeded, name, size):
    enrolments = Enrolment.objects.current(calendar().today).filter(population=population(name))
    assert size - 5 <= enrolments.count() <= size + 5
    assert set(enrolments.values_list("start_date", flat=True)) == {calendar().programme_start}


def test_populations_gather_the_right_agents(seeded):
    assistants = Agent.objects.filter(enrolments__population=population(demo.POPULATIONS[0].name))
    assert set(assistants.values_list("job_title", flat=True)) == {"Assistant·e de service"}
    managers = Agent.objects.filter(enrolments__population=population(demo.POPULATIONS[1].name))
    assert {a.job_title for a in managers} <= demo.MANAGER_TITLES
    assert all("SG" in [u.code for u in [a.org_unit, *a.org_unit.ancestors()]] for a in managers)
    it_staff = Agent.objects.filter(enrolments__population=population(demo.POPULATIONS[2].name))
    sic = OrgUnit.objects.get(code="SIC")
    assert all(sic in [a.org_unit, *a.org_unit.ancestors()] for a in it_staff)


def test_targets_are_levels_that_respect_the_model_constraint(seeded):
    targets = Target.objects.filter(population__programme__slug=demo.PROGRAMME_SLUG)
    assert targets.count() == 7 + 5 + 6
    for target in targets:
        target.validate_constraints()
        assert target.kind == TargetKind.LEVEL
        assert target.competence is not None
        assert 1 <= target.level <= MAX_LEVEL
        assert target.mastery_rate is None and target.stage is None
    deadlines = set(targets.values_list("deadline", flat=True))
    assert deadlines == {calendar().target_deadline, None}
    # Due in a few months: a projection to that deadline makes sense.
    assert 90 <= (calendar().target_deadline - calendar().today).days <= 160
    it_levels = targets.filter(population__name="Informaticien·ne·s").values_list(
        "level", flat=True
    )
    assert set(it_levels) == {4, 5}


def _login_request():
    # django-axes, the first authentication backend, throttles per request: it needs one.
    return RequestFactory().post("/comptes/connexion/")


@pytest.mark.parametrize("email", LOGINS)
def test_every_demo_login_authenticates_with_the_demo_password(seeded, email):
    user = authenticate(_login_request(), email=email, password="demo-pix-2026")
    assert user is not None and user.email == email
    assert user.first_name and user.last_name
    if email != "admin@demo.gouv.fr":
        assert (user.first_name, user.last_name) == (user.agent.first_name, user.agent.last_name)


def test_admin_is_a_staff_superuser_without_agent(seeded):
    admin = User.objects.get(email="admin@demo.gouv.fr")
    assert admin.is_staff and admin.is_superuser
    assert not Agent.objects.filter(user=admin).exists()


def test_owner_is_the_secretary_general_and_owns_the_programme(seeded):
    owner = agent_of("pilote@demo.gouv.fr")
    assert owner.org_unit.code == "SG"
    assert owner.job_title == "Secrétaire général·e"
    assert owner.manager.manager is None  # reports to the director
    assert Programme.objects.filter(slug=demo.PROGRAMME_SLUG, owners=owner.user).exists()


def test_ambassador_is_an_agent_of_the_sg_accompanying_the_three_populations(seeded):
    ambassador = agent_of("ambassadeur@demo.gouv.fr")
    assert "SG" in [unit.code for unit in [ambassador.org_unit, *ambassador.org_unit.ancestors()]]
    assert ambassador.user.ambassador_populations.count() == 3


def test_a_second_programme_of_another_owner_shares_agents_but_no_campaign(seeded):
    first = Programme.objects.get(slug=demo.PROGRAMME_SLUG)
    second = Programme.objects.get(slug="numerique-pole-3e-2026")
    owner = User.objects.get(email="pilote.p3e@demo.gouv.fr")
    [population] = second.populations.all()

    assert list(second.owners.all()) == [owner]
    assert not first.owners.filter(pk=owner.pk).exists()
    assert second.purpose == Purpose.MANAGERIAL
    assert [u.email for u in population.ambassadors.all()] == ["ambassadeur.p3e@demo.gouv.fr"]
    in_both = Enrolment.objects.filter(
        population__programme=first, agent__enrolments__population=population
    )
    assert in_both.exists()  # the Pôle 3E's assistants are in both programmes
    assert not second.campaigns.exists()  # the first programme's campaigns are its own


def test_an_ambassador_accompanies_one_population_of_the_first_programme_only(seeded):
    single = User.objects.get(email="ambassadeur.encadrants@demo.gouv.fr")
    assert [p.name for p in single.ambassador_populations.all()] == [demo.POPULATIONS[1].name]


def test_the_demo_boundaries_hold_for_the_second_owner_and_the_single_ambassador(seeded, client):
    first = Programme.objects.get(slug=demo.PROGRAMME_SLUG)
    assistants = population(demo.POPULATIONS[0].name)
    client.force_login(User.objects.get(email="pilote.p3e@demo.gouv.fr"))
    assert client.get(reverse("programmes:dashboard", args=[first.slug])).status_code == 404
    assert (
        client.get(reverse("programmes:population_detail", args=[assistants.pk])).status_code == 404
    )
    client.force_login(User.objects.get(email="ambassadeur.encadrants@demo.gouv.fr"))
    assert (
        client.get(reverse("programmes:population_detail", args=[assistants.pk])).status_code == 404
    )
    managers = population(demo.POPULATIONS[1].name)
    assert (
        client.get(reverse("programmes:population_detail", args=[managers.pk])).status_code == 200
    )


def test_manager_leads_a_team_of_enrolled_assistants_including_the_agent(seeded):
    manager = agent_of("encadrant@demo.gouv.fr")
    agent = agent_of("agent@demo.gouv.fr")
    assistants = population("Assistant·e·s de service")
    team = manager.direct_reports.all()
    assert team.count() >= 6
    assert team.filter(enrolments__population=assistants).count() >= 5
    assert agent.manager == manager
    assert Agent.objects.reports_of(manager).filter(pk=agent.pk).exists()
    assert Enrolment.objects.current(calendar().today).filter(agent=agent, population=assistants)


def test_seeding_twice_changes_nothing(seeded):
    before = snapshot()
    output = seed()
    assert snapshot() == before
    assert "0 agents créés, 0 mis à jour" in output


def test_seeding_leaves_closed_enrolments_closed(seeded):
    enrolment = Enrolment.objects.filter(agent=agent_of("agent@demo.gouv.fr")).get()
    enrolment.end_date = calendar().programme_start + datetime.timedelta(days=30)
    enrolment.save()
    seed()
    assert Enrolment.objects.filter(agent=enrolment.agent).count() == 1


def test_seeding_restores_a_changed_demo_password(seeded):
    user = User.objects.get(email="agent@demo.gouv.fr")
    user.set_password("autre-chose")
    user.save()
    seed()
    assert (
        authenticate(_login_request(), email="agent@demo.gouv.fr", password="demo-pix-2026") == user
    )


def test_summary_lists_counts_logins_and_url(seeded):
    assert f"{Agent.objects.count()} agents dans {OrgUnit.objects.count()} unités" in seeded
    for email in LOGINS:
        assert email in seeded
    assert "demo-pix-2026" in seeded
    assert "http://127.0.0.1:8000" in seeded


# --- The Pix exports imported over several months ----------------------------------------------


def demo_programme():
    return Programme.objects.get(slug=demo.PROGRAMME_SLUG)


def test_exports_are_made_in_pix_format_and_the_same_on_every_run():
    dated = demo.DemoCalendar(datetime.date(2026, 12, 6))
    first = demo.plan_exports(demo.plan_org(), calendar=dated)
    second = demo.plan_exports(demo.plan_org(), calendar=dated)
    assert [e.filename for e in first] == [e.filename for e in second]
    assert [e.content() for e in first] == [e.content() for e in second]
    for export in first:
        assert export.content().startswith("\ufeff".encode())
        assert re.fullmatch(r"Resultats-.+-4100\d\d-\d{4}-\d\d-\d\d-\d{4}\.csv", export.filename)
        assert parse_export_filename(export.filename) == export.exported_at


def test_exports_are_imported_done_in_date_order_for_the_programme(seeded, media):
    programme = demo_programme()
    ambassador = User.objects.get(email="ambassadeur@demo.gouv.fr")
    imports = ResultImport.objects.order_by("pk")
    assert imports.count() == 10
    assert set(imports.values_list("status", flat=True)) == {ImportStatus.DONE}
    assert set(imports.values_list("uploaded_by", flat=True)) == {ambassador.pk}
    assert all(i.programme_link.programme == programme for i in imports)
    profiles = Campaign.objects.get(pix_id=410001)
    assert (profiles.code, profiles.kind) == ("DREETSCOL26", CampaignKind.PROFILES_COLLECTION)
    assert profiles.name == "Collecte de profils 2026 — DREETS Occitanie"
    assert profiles.external_id_label == "Matricule"
    socle = Campaign.objects.get(pix_id=410002)
    assert (socle.name, socle.kind, socle.stage_count) == (
        "Parcours Pix FPE — socle",
        CampaignKind.ASSESSMENT,
        4,
    )
    assert set(programme.campaigns.all()) == {profiles, socle}
    dates = [i.exported_at for i in imports.filter(campaign=profiles)]
    today = calendar().today
    assert [(today - d.astimezone(PARIS).date()).days for d in dates] == [
        270,
        205,
        140,
        80,
        31,
        2,
    ]
    socle_dates = list(imports.filter(campaign=socle).values_list("exported_at", flat=True))
    assert socle_dates == sorted(socle_dates) and len(socle_dates) == 4
    # Imported in date order, whatever the campaign.
    everything = list(imports.values_list("exported_at", flat=True))
    assert everything == sorted(everything)
    # More people take part as time goes by; the raw files are kept with their checksum.
    rows = list(imports.filter(campaign=profiles).values_list("rows", "shared_rows"))
    assert rows == sorted(rows)
    assert len(stored_files(media)) == 10
    for result_import in imports:
        content = result_import.file.read()
        result_import.file.close()
        assert hashlib.sha256(content).hexdigest() == result_import.sha256


def test_demo_agent_levels_rise_across_the_exports(seeded):
    agent = agent_of("agent@demo.gouv.fr")
    results = CompetenceResult.objects.filter(
        participation__agent=agent, level__isnull=False
    ).order_by("observed_at")
    assert len({r.observed_at for r in results}) >= 2
    history = defaultdict(list)
    for result in results:
        history[result.competence.code].append(result.level)
    assert all(levels == sorted(levels) for levels in history.values())
    assert any(levels[-1] > levels[0] for levels in history.values())
    assert history["1.1"] == [2, 3, 3]
    shared = agent.participations.filter(status=ParticipationStatus.SHARED)
    assert shared.filter(campaign__pix_id=410001).count() == 3
    assert shared.filter(campaign__pix_id=410002, stage__isnull=False).exists()
    assert not agent.participations.exclude(match_status=MatchStatus.EXTERNAL_ID).exists()


def test_the_demo_agent_page_shows_her_latest_levels(seeded, client):
    agent = agent_of("agent@demo.gouv.fr")
    client.force_login(agent.user)
    page = client.get(reverse("programmes:agent_detail", args=[agent.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Collecte de profils 2026 — DREETS Occitanie" in text
    assert "niveau 3 (" in text


def test_the_managers_team_has_at_least_five_participants(seeded):
    manager = agent_of("encadrant@demo.gouv.fr")
    participants = Agent.objects.filter(
        manager=manager,
        participations__status=ParticipationStatus.SHARED,
        participations__campaign__programmes=demo_programme(),
    ).distinct()
    assert participants.count() >= 5


def test_participants_to_match_wait_in_the_queue(seeded):
    programme = demo_programme()
    counts = import_selectors.participations_to_match_counts(programme)
    assert counts["unmatched"] >= 3 and counts["to_confirm"] >= 1
    names = {(a.last_name, a.first_name) for a in Agent.objects.all()}
    unmatched = Participation.objects.filter(campaign__programmes=programme, agent=None)
    assert {(p.participant_last_name, p.participant_first_name) for p in unmatched}.isdisjoint(
        names
    )
    assert unmatched.filter(status=ParticipationStatus.SHARED, results__isnull=False).exists()
    to_confirm = Participation.objects.filter(match_status=MatchStatus.TO_CONFIRM)
    assert to_confirm.filter(participant_external_id="").exists()
    for participation in to_confirm.select_related("agent"):
        assert participation.participant_last_name == participation.agent.last_name
        assert participation.participant_first_name == participation.agent.first_name
        assert participation.participant_external_id != participation.agent.external_id


def test_some_agents_reach_every_target_and_some_never_send_or_start(seeded):
    profiles = Campaign.objects.get(pix_id=410001)
    latest = {}
    for agent_id, code, level in (
        CompetenceResult.objects.filter(participation__campaign=profiles)
        .exclude(participation__agent=None)
        .order_by("observed_at", "pk")
        .values_list("participation__agent", "competence__code", "level")
    ):
        latest[agent_id, code] = level
    reached = 0
    for population in demo_programme().populations.prefetch_related("targets__competence"):
        targets = [(t.competence.code, t.level) for t in population.targets.all()]
        for agent_id in population.enrolments.values_list("agent", flat=True):
            if all(latest.get((agent_id, code), 0) >= level for code, level in targets):
                reached += 1
    assert 0.15 * 96 <= reached <= 0.35 * 96
    enrolled = Agent.objects.filter(enrolments__population__programme=demo_programme())
    never_started = enrolled.exclude(participations__campaign=profiles)
    assert never_started.count() >= 5
    stalled = enrolled.filter(participations__campaign=profiles).exclude(
        participations__status=ParticipationStatus.SHARED
    )
    assert stalled.exists()


def test_seeding_twice_imports_nothing_again(seeded, media):
    counts = (
        ResultImport.objects.count(),
        Participation.objects.count(),
        CompetenceResult.objects.count(),
        ParticipationSnapshot.objects.count(),
    )
    files = stored_files(media)
    output = seed()
    assert (
        ResultImport.objects.count(),
        Participation.objects.count(),
        CompetenceResult.objects.count(),
        ParticipationSnapshot.objects.count(),
    ) == counts
    assert stored_files(media) == files
    assert output.count("déjà importé") == 10


def test_summary_has_a_line_per_export(seeded):
    for result_import in ResultImport.objects.all():
        line = next(line for line in seeded.splitlines() if result_import.original_name in line)
        assert f"{result_import.rows} lignes, {result_import.shared_rows} partagées" in line
        assert f"{result_import.participations_created} participations créées" in line
        assert f"{result_import.results_created} résultats ajoutés" in line
        assert f"{result_import.unmatched} non rapprochés" in line
    assert "À rapprocher :" in seeded


# --- Accompaniment: check-ins, resources, mentoring ---------------------------------------------


def test_each_population_has_two_milestones_recorded_by_the_ambassador_and_one_to_come(seeded):
    ambassador = User.objects.get(email="ambassadeur@demo.gouv.fr")
    dates = calendar()
    for population in demo_programme().populations.all():
        milestones = list(population.milestones.order_by("date"))
        assert [(m.title, m.date) for m in milestones] == [
            *dates.milestones,
            dates.next_milestone,
        ]
        assert not milestones[-1].checkins.exists()
        for milestone in milestones[:-1]:
            checkins = milestone.checkins.all()
            # Enough for the owner to see the barriers (no group under 5).
            assert checkins.count() >= 5
            assert set(checkins.values_list("recorded_by", flat=True)) == {ambassador.pk}
            assert {c.recorded_at.astimezone(PARIS).date() for c in checkins} == {milestone.date}


def held_milestones():
    return Milestone.objects.filter(
        population__programme=demo_programme(), date__lt=calendar().today
    ).order_by("date", "pk")


def test_checkin_status_is_the_status_engine_on_the_milestone_date(seeded):
    """Check-ins are recorded once the exports made before their milestone are imported,
    and no later one: for the agents whose Pix data has not moved since, the engine run now
    on the milestone's date still gives the recorded status."""
    checked = 0
    for milestone in held_milestones():
        moment = datetime.datetime.combine(milestone.date, datetime.time.min, tzinfo=PARIS)
        # Whatever a Pix export made after the milestone brought: unknown on its day.
        moved = Participation.objects.filter(
            campaign__programmes=demo_programme(), agent__isnull=False
        ).filter(
            Q(first_import__exported_at__gte=moment)
            | Q(last_progress_at__gte=moment)
            | Q(results__observed_at__gte=moment)
        )
        engine = {
            row["agent_id"]: (row["progress_status"], row["targets_met"], row["targets_set"])
            for row in status.population_progress(
                milestone.population, today=milestone.date
            ).values("agent_id", "progress_status", "targets_met", "targets_set")
        }
        for checkin in milestone.checkins.exclude(agent__in=moved.values("agent")):
            assert engine[checkin.agent_id] == (
                checkin.status,
                checkin.targets_met,
                checkin.targets_set,
            )
            checked += 1
    assert checked >= 30  # of some 120 check-ins: the test is not empty


def test_most_agents_not_started_or_stalled_are_checked_in_and_cite_barriers(seeded):
    stuck = (ProgressStatus.NOT_STARTED, ProgressStatus.STALLED)
    for milestone in held_milestones():
        statuses = status.population_progress(milestone.population, today=milestone.date)
        to_see = statuses.filter(progress_status__in=stuck).count()
        seen = milestone.checkins.filter(status__in=stuck)
        assert seen.count() >= 0.6 * to_see
    checkins = CheckIn.objects.filter(milestone__population__programme=demo_programme())
    stuck_ones = checkins.filter(status__in=stuck)
    assert stuck_ones.filter(barriers__isnull=False).distinct().count() >= 0.8 * stuck_ones.count()
    assert checkins.exclude(status__in=stuck).exists()  # some others too
    assert checkins.values("barriers__label").distinct().count() >= 6
    assert not checkins.filter(comment="").exists()
    assert not checkins.filter(next_step="").exists()
    assert not checkins.filter(next_step_due__lte=F("milestone__date")).exists()


def test_the_catalogue_holds_about_fifteen_resources_of_every_kind(seeded):
    resources = demo_programme().resources.prefetch_related("competences")
    assert 12 <= resources.count() <= 20
    assert {r.kind for r in resources} == set(ResourceKind.values)
    assert {"CNFPT", "IRA", "Pix", "Intranet DREETS"} <= {r.provider for r in resources}
    for resource in resources:
        resource.validate_constraints()
        assert resource.competences.exists()
        assert re.fullmatch(r"https://[a-z.]*exemple\.(gouv\.)?fr/.+", resource.url)
        assert resource.is_active


def test_some_agents_marked_resources_started_done_useful_or_not(seeded):
    uses = ResourceUse.objects.filter(resource__programme=demo_programme())
    assert uses.count() >= 20
    assert uses.filter(state=ResourceState.STARTED).exists()
    assert uses.filter(state=ResourceState.DONE, useful=True).exists()
    assert uses.filter(state=ResourceState.DONE, useful=False).exists()
    assert not uses.filter(state=ResourceState.DONE, done_at=None).exists()


def test_mentors_volunteer_where_they_reached_their_target(seeded):
    mentors = Mentor.objects.filter(programme=demo_programme(), withdrawn_at=None)
    assert mentors.count() >= 5
    for mentor in mentors:
        target = (
            Target.objects.filter(
                population__enrolments__agent=mentor.agent, competence=mentor.competence
            )
            .order_by("-level")
            .first()
        )
        latest = (
            CompetenceResult.objects.filter(
                participation__agent=mentor.agent,
                participation__status=ParticipationStatus.SHARED,
                competence=mentor.competence,
                level__isnull=False,
            )
            .order_by("-observed_at", "-pk")
            .first()
        )
        assert latest.level >= target.level


def test_one_mentoring_waits_for_a_mentor_and_the_demo_agent_is_paired(seeded):
    mentorings = Mentoring.objects.filter(programme=demo_programme())
    assert mentorings.count() == 2
    pending = mentorings.get(mentor=None)
    assert pending.paired_at is None
    paired = mentorings.exclude(mentor=None).get()
    assert paired.mentee == agent_of("agent@demo.gouv.fr")
    assert paired.competence.code == "4.1" and paired.mentor.competence == paired.competence
    assert paired.paired_by == User.objects.get(email="ambassadeur@demo.gouv.fr")
    assert paired.requested_at < paired.paired_at


def test_the_demo_agent_sees_checkins_next_step_recommendations_and_her_mentor(seeded, client):
    agent = agent_of("agent@demo.gouv.fr")
    client.force_login(agent.user)
    response = client.get(reverse("programmes:my_page"))
    row = response.context["rows"][0]
    assert [c.milestone.title for c in row.checkins] == [
        "Point d'étape de mi-parcours",
        "Premier point d'étape",
    ]
    assert row.next_step.due == calendar().milestones[1][1] + datetime.timedelta(days=40)
    assert row.next_step.due > calendar().today
    assert "4.1" in row.next_step.text
    titles = [r.resource.title for r in row.resources.recommendations]
    assert "Cybersécurité : les réflexes au quotidien" in titles
    assert "Bien chercher sur le web et dans l'intranet" not in titles  # done
    mentor = row.mentoring.my_mentors[0].mentor.agent
    content = response.content.decode()
    assert row.next_step.text in content.replace("&#x27;", "'").replace("&quot;", '"')
    assert mentor.email in content


def test_the_owner_dashboard_shows_the_demo_barriers(seeded, client):
    client.force_login(User.objects.get(email="pilote@demo.gouv.fr"))
    response = client.get(reverse("programmes:dashboard", args=[demo.PROGRAMME_SLUG]))
    stats = response.context["board"].barriers
    assert not stats.some_hidden
    assert all(len(p.milestones) == 2 for p in stats.populations)
    totals = {row[0]: row[-1] for row in stats.totals_table().rows}
    assert totals["Manque de temps"] > 0 and totals["Contenu trop difficile"] > 0
    assert 'id="chart-barriers"' in response.content.decode()


def test_summary_counts_the_accompaniment_created(seeded):
    checkins = CheckIn.objects.count()
    assert f"9 points d'étape, {checkins} entretiens, {Resource.objects.count()} ressources" in (
        seeded
    )
    assert "0 points d'étape, 0 entretiens, 0 ressources" in seed()


def test_demo_reminders_are_on_with_quiet_periods(seeded):
    rules = ReminderSettings.objects.get()
    assert rules.enabled and rules.first_after_days == 21
    quiet = QuietPeriod.objects.filter(programme=rules.programme)
    assert sorted(quiet.values_list("label", flat=True)) == ["Août", "Fêtes de fin d'année"]
    assert any(period.contains(datetime.date(2026, 12, 31)) for period in quiet)
