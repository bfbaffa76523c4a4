"""The purge of personal data RESULTS_RETENTION_DAYS after a programme ends: personal rows go,
aggregates stay, running and recently ended programmes and shared campaigns are untouched."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from campaigns.models import CompetenceResult, Participation, ParticipationSnapshot, ResultImport
from programmes import progress
from programmes.enums import ProgressStatus
from programmes.models import (
    CheckIn,
    Digest,
    DismissedParticipant,
    Enrolment,
    Mentor,
    Mentoring,
    MilestoneCount,
    PersonalTarget,
    PopulationStat,
    Reminder,
    ResourceUse,
    ResultAccessLog,
    SharingConsent,
    Target,
)
from programmes.privacy import tasks
from programmes.privacy.services import personal_data_purge
from tests.agents.factories import AgentFactory, UserFactory
from tests.campaigns.factories import CampaignFactory
from tests.programmes.factories import (
    EnrolmentFactory,
    ProgrammeFactory,
    TargetFactory,
    TargetPopulationFactory,
)
from tests.programmes.factories_accompaniment import (
    BarrierFactory,
    CheckInFactory,
    MentoringFactory,
    MilestoneFactory,
    ResourceUseFactory,
    competence,
    share_levels,
)
from tests.programmes.factories_reminders import DigestFactory, ReminderFactory

TODAY = datetime.date(2028, 6, 1)
RETENTION = 365


@pytest.fixture(autouse=True)
def _retention(settings):
    settings.RESULTS_RETENTION_DAYS = RETENTION


def _programme_with_data(end_date, *, campaigns=(), name=None):
    """A programme ended on `end_date` (None: running) with one agent and a row of every
    kind of personal data, and its dashboard figures; returns a namespace of its rows."""
    programme = ProgrammeFactory(
        start_date=datetime.date(2026, 1, 5), end_date=end_date, **({"name": name} if name else {})
    )
    own_campaign = CampaignFactory()
    programme.campaigns.add(own_campaign, *campaigns)
    population = TargetPopulationFactory(programme=programme)
    TargetFactory(population=population)
    agent = AgentFactory(with_user=True)
    EnrolmentFactory(agent=agent, population=population)
    participation = share_levels(agent, own_campaign, {"1.1": 3, "2.1": 2})
    ParticipationSnapshot.objects.create(
        participation=participation,
        result_import=participation.last_import,
        observed_at=participation.shared_at,
        status=participation.status,
    )
    barrier = BarrierFactory(programme=programme)
    checkin = CheckInFactory(
        milestone=MilestoneFactory(population=population, date=datetime.date(2026, 3, 1)),
        agent=agent,
        status=ProgressStatus.STALLED,
        comment="Difficultés personnelles",
        next_step="Tutoriel 1.1",
        next_step_due=datetime.date(2026, 4, 1),
        barriers=[barrier],
    )
    PopulationStat.objects.create(population=population, on=datetime.date(2026, 6, 30), enrolled=1)
    ResourceUseFactory(resource__programme=programme, agent=agent)
    MentoringFactory(programme=programme, mentee=agent, paired=True)
    SharingConsent.objects.create(agent=agent, programme=programme)
    PersonalTarget.objects.create(
        agent=agent,
        programme=programme,
        competence=competence("1.1"),
        level=4,
        valid_from=datetime.date(2026, 9, 1),
        source="Entretien 2026",
    )
    viewer = UserFactory()
    old_view = timezone.make_aware(datetime.datetime(2026, 5, 1, 10))
    recent_view = timezone.make_aware(datetime.datetime(2028, 5, 1, 10))
    for when in (old_view, recent_view):
        ResultAccessLog.objects.create(
            viewer=viewer, agent=agent, programme=programme, viewed_at=when
        )
    ReminderFactory(population=population, agent=agent)
    DigestFactory(programme=programme)
    DismissedParticipant.objects.create(programme=programme, participant_key="ext:stagiaire-42")
    return programme, participation, checkin


def _personal_rows(programme):
    return {
        "participations": Participation.objects.filter(campaign__programmes=programme).count(),
        "results": CompetenceResult.objects.filter(
            participation__campaign__programmes=programme
        ).count(),
        "snapshots": ParticipationSnapshot.objects.filter(
            participation__campaign__programmes=programme
        ).count(),
        "notes": CheckIn.objects.filter(milestone__population__programme=programme)
        .exclude(comment="", next_step="")
        .count(),
        "uses": ResourceUse.objects.filter(resource__programme=programme).count(),
        "mentorings": Mentoring.objects.filter(programme=programme).count(),
        "mentors": Mentor.objects.filter(programme=programme).count(),
        "consents": SharingConsent.objects.filter(programme=programme).count(),
        "personal_targets": PersonalTarget.objects.filter(programme=programme).count(),
        "dismissed": DismissedParticipant.objects.filter(programme=programme).count(),
        "logs": ResultAccessLog.objects.filter(programme=programme).count(),
        "reminder_emails": Reminder.objects.filter(programme=programme).exclude(email="").count()
        + Digest.objects.filter(programme=programme).exclude(email="").count(),
    }


def _aggregates(programme):
    return {
        "stats": PopulationStat.objects.of_programme(programme).count(),
        "counts": MilestoneCount.objects.filter(milestone__population__programme=programme).count(),
        "populations": programme.populations.count(),
        "targets": Target.objects.filter(population__programme=programme).count(),
        "checkins": CheckIn.objects.filter(milestone__population__programme=programme).count(),
    }


@pytest.fixture
def old(db):
    # Ended 400 days before TODAY: past the retention.
    return _programme_with_data(TODAY - datetime.timedelta(days=400), name="Ancien programme")


def test_programme_ended_long_ago_is_purged_and_its_figures_remain(
    old, django_capture_on_commit_callbacks
):
    programme, participation, checkin = old
    aggregates = _aggregates(programme)
    raw_file = participation.last_import.file.name
    storage = participation.last_import.file.storage
    assert storage.exists(raw_file)

    with django_capture_on_commit_callbacks(execute=True):
        report = personal_data_purge(today=TODAY)

    assert report.programmes == ["Ancien programme"]
    assert report.counts["participations"] == 1
    assert report.counts["results"] == 2
    assert report.counts["snapshots"] == 1
    assert report.counts["checkin_notes"] == 1
    assert report.counts["access_logs"] == 1  # the view older than the retention only
    assert report.counts["reminder_emails"] == 2
    assert _personal_rows(programme) == {
        "participations": 0,
        "results": 0,
        "snapshots": 0,
        "notes": 0,
        "uses": 0,
        "mentorings": 0,
        "mentors": 0,
        "consents": 0,
        "personal_targets": 0,
        "dismissed": 0,
        "logs": 1,
        "reminder_emails": 0,
    }
    assert _aggregates(programme) == aggregates
    checkin.refresh_from_db()
    assert (checkin.status, checkin.next_step_due) == (ProgressStatus.STALLED, None)
    assert checkin.barriers.count() == 1
    purged_import = ResultImport.objects.get(pk=participation.last_import_id)
    assert purged_import.file.name == ""
    assert not storage.exists(raw_file)
    assert Reminder.objects.filter(programme=programme).count() == 1  # the "sent once" guard
    # The results are gone: the enrolments' stored progress says so (not started any more).
    assert progress.drift() == []
    assert (
        not Enrolment.objects.filter(population__programme=programme)
        .exclude(last_activity=None)
        .exists()
    )


def test_running_and_recently_ended_programmes_are_untouched(db):
    running, _, _ = _programme_with_data(None)
    recent, _, _ = _programme_with_data(TODAY - datetime.timedelta(days=RETENTION - 1))
    before = {p.pk: _personal_rows(p) for p in (running, recent)}

    report = personal_data_purge(today=TODAY)

    assert report.total == 0
    assert {p.pk: _personal_rows(p) for p in (running, recent)} == before


def test_the_last_day_of_retention_is_kept(db):
    programme, _, _ = _programme_with_data(TODAY - datetime.timedelta(days=RETENTION))

    assert personal_data_purge(today=TODAY).total == 0
    assert personal_data_purge(today=TODAY + datetime.timedelta(days=1)).total > 0
    assert _personal_rows(programme)["participations"] == 0


def test_campaign_shared_with_a_running_programme_keeps_its_results(db):
    shared = CampaignFactory()
    running, _, _ = _programme_with_data(None, campaigns=[shared])
    old_programme, _, _ = _programme_with_data(
        TODAY - datetime.timedelta(days=400), campaigns=[shared]
    )
    agent = AgentFactory()
    kept = share_levels(agent, shared, {"1.1": 5})

    personal_data_purge(today=TODAY)

    assert Participation.objects.filter(pk=kept.pk).exists()
    assert CompetenceResult.objects.filter(participation=kept).count() == 1
    # The old programme's own campaign is purged; its check-in notes too.
    assert _personal_rows(old_programme)["notes"] == 0
    assert Participation.objects.filter(campaign__programmes=old_programme).count() == 1
    assert _personal_rows(running)["results"] == 3


def test_dry_run_changes_nothing_and_counts_what_would_go(old, django_capture_on_commit_callbacks):
    programme, participation, _ = old
    before = _personal_rows(programme)

    with django_capture_on_commit_callbacks(execute=True):
        dry = personal_data_purge(today=TODAY, dry_run=True)

    assert _personal_rows(programme) == before
    assert participation.last_import.file.storage.exists(participation.last_import.file.name)
    assert dry.counts == personal_data_purge(today=TODAY).counts


def test_running_twice_changes_nothing_more(old):
    programme, _, _ = old
    first = personal_data_purge(today=TODAY)
    after_first = _personal_rows(programme)

    second = personal_data_purge(today=TODAY)

    assert first.total > 0
    assert second.total == 0
    assert second.programmes == []
    assert _personal_rows(programme) == after_first


def test_command_prints_the_counts_in_french(old):
    programme, _, _ = old
    out = StringIO()

    call_command("purge_personal_data", "--dry-run", "--date", TODAY.isoformat(), stdout=out)

    text = out.getvalue()
    assert "Simulation" in text
    assert "Programmes concernés : Ancien programme" in text
    assert "participations Pix supprimées : 1" in text
    assert "résultats par compétence supprimés : 2" in text
    assert _personal_rows(programme)["participations"] == 1

    out = StringIO()
    call_command("purge_personal_data", "--date", TODAY.isoformat(), stdout=out)
    assert "Simulation" not in out.getvalue()
    assert _personal_rows(programme)["participations"] == 0


def test_command_refuses_a_bad_date(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Date invalide"):
        call_command("purge_personal_data", "--date", "01/06/2028", stdout=StringIO())


def test_nightly_task_purges_and_is_scheduled(old, settings):
    programme, _, _ = old

    counts = tasks.purge_personal_data.delay(on=TODAY.isoformat()).get()

    assert counts["participations"] == 1
    assert _personal_rows(programme)["participations"] == 0
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "programmes.tasks.purge_personal_data" in scheduled


def test_login_records_older_than_their_retention_are_deleted(db, settings):
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    settings.LOGIN_LOG_RETENTION_DAYS = 180
    at = lambda days: timezone.make_aware(  # noqa: E731
        datetime.datetime.combine(TODAY - datetime.timedelta(days=days), datetime.time(12))
    )
    common = {"user_agent": "Firefox", "ip_address": "10.0.0.1", "path_info": "/comptes/"}
    for days in (181, 179):
        rows = [
            AccessLog.objects.create(username=f"log{days}@x.fr", **common),
            AccessFailureLog.objects.create(username=f"f{days}@x.fr", **common),
            AccessAttempt.objects.create(
                username=f"a{days}@x.fr",
                failures_since_start=3,
                get_data="",
                post_data="",
                **common,
            ),
        ]
        for row in rows:  # attempt_time is auto_now_add: set afterwards
            type(row).objects.filter(pk=row.pk).update(attempt_time=at(days))

    dry = personal_data_purge(today=TODAY, dry_run=True)
    assert dry.counts["login_records"] == 3
    assert AccessLog.objects.count() == 2

    report = personal_data_purge(today=TODAY)

    assert report.counts["login_records"] == 3
    for model in (AccessLog, AccessFailureLog, AccessAttempt):
        assert [row.attempt_time for row in model.objects.all()] == [at(179)]
    assert personal_data_purge(today=TODAY).counts["login_records"] == 0
