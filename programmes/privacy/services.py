"""The purge of personal data: RESULTS_RETENTION_DAYS after a programme ends, what it holds
about individual agents is removed, and its aggregates (dashboard figures, check-in counts,
populations, targets) are kept.

Per programme due for purge:

- Pix results: the participations of the campaigns it follows are deleted with their
  snapshots and competence results, and the raw export files (and row errors, which quote
  names) of their imports are erased — but only for campaigns followed by programmes that
  are all due for purge: a campaign shared with a running (or recently ended) programme
  keeps its data. Participations are deleted rather than anonymised: a participation
  without its person and results would be a row of numbers nobody may use, and the
  dashboard reads PopulationStat, not participations.
- Check-ins: the comment, the agreed next step and its date are blanked; the status
  snapshot, the counts of targets and the barriers named stay (they feed MilestoneCount).
- Resource uses, mentoring requests, mentor offers, sharing consents and personal targets
  of the programme are deleted.
- The access log of its agents' results: rows older than the retention are deleted.
- Reminders and digests keep their row (the "sent once" guard) without the e-mail address.

Besides, whatever the programmes: the login records (django-axes: logins, failures and
lockouts, with e-mail and IP address) older than LOGIN_LOG_RETENTION_DAYS are deleted.

Idempotent: every step only counts and changes rows still holding personal data, so a second
run the same day finds nothing. One transaction per programme.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import (
    Campaign,
    CompetenceResult,
    Participation,
    ParticipationSnapshot,
    ResultImport,
)
from programmes import progress
from programmes.models import (
    CheckIn,
    Digest,
    DismissedParticipant,
    Mentor,
    Mentoring,
    PersonalTarget,
    Programme,
    Reminder,
    ResourceUse,
    ResultAccessLog,
    SharingConsent,
)

# The kinds of personal data the purge removes, in the order they are reported.
PURGE_KINDS = {
    "participations": _("participations Pix supprimées"),
    "results": _("résultats par compétence supprimés"),
    "snapshots": _("états de participation supprimés"),
    "import_files": _("fichiers d'export Pix effacés"),
    "checkin_notes": _("notes de points d'étape effacées"),
    "resource_uses": _("suivis de ressources supprimés"),
    "mentorings": _("demandes de compagnonnage supprimées"),
    "mentors": _("offres de compagnon supprimées"),
    "consents": _("consentements de partage supprimés"),
    "personal_targets": _("objectifs personnels supprimés"),
    "dismissed_participants": _("participants écartés de la file supprimés"),
    "access_logs": _("consultations de résultats supprimées"),
    "reminder_emails": _("adresses de relances et synthèses effacées"),
    "login_records": _("traces de connexion supprimées"),
}


@dataclass
class PurgeReport:
    """What a purge removed (or, dry, would remove): counts per kind, and the programmes."""

    today: datetime.date
    dry_run: bool
    programmes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PURGE_KINDS, 0))

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def retention_days() -> int:
    return settings.RESULTS_RETENTION_DAYS


def programmes_due(*, today: datetime.date) -> QuerySet:
    """Programmes whose end date plus the retention is before `today`."""
    return Programme.objects.past_retention(today)


def personal_data_purge(*, today: datetime.date, dry_run: bool = False) -> PurgeReport:
    """Remove the personal data of every programme due for purge (see the module docstring);
    with `dry_run`, count what would go and change nothing."""
    report = PurgeReport(today=today, dry_run=dry_run)
    due = list(programmes_due(today=today).order_by("end_date", "pk"))
    due_ids = [programme.pk for programme in due]
    for programme in due:
        with transaction.atomic():
            counts = _purge_programme(programme, due_ids=due_ids, today=today, dry_run=dry_run)
        for kind, count in counts.items():
            report.counts[kind] += count
        if any(counts.values()):
            report.programmes.append(programme.name)
    report.counts["login_records"] = _purge_login_records(today=today, dry_run=dry_run)
    return report


def _purge_login_records(*, today: datetime.date, dry_run: bool) -> int:
    """django-axes' records older than LOGIN_LOG_RETENTION_DAYS."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    cutoff = timezone.make_aware(
        datetime.datetime.combine(
            today - datetime.timedelta(days=settings.LOGIN_LOG_RETENTION_DAYS), datetime.time()
        )
    )
    querysets = [
        model.objects.filter(attempt_time__lt=cutoff)
        for model in (AccessAttempt, AccessFailureLog, AccessLog)
    ]
    count = sum(queryset.count() for queryset in querysets)
    if not dry_run:
        with transaction.atomic():
            for queryset in querysets:
                queryset.delete()
    return count


def _purgeable_campaigns(programme, due_ids):
    """The programme's campaigns followed by no programme that is still within retention."""
    return Campaign.objects.filter(programmes=programme).exclude(
        programmes__in=Programme.objects.exclude(pk__in=due_ids)
    )


def _purge_programme(programme, *, due_ids, today, dry_run) -> dict[str, int]:
    campaigns = _purgeable_campaigns(programme, due_ids)
    participations = Participation.objects.filter(campaign__in=campaigns)
    imports = ResultImport.objects.filter(
        Q(campaign__in=campaigns) | Q(campaign__isnull=True, programme_link__programme=programme)
    ).filter(~Q(file="") | ~Q(errors=[]) | ~Q(warnings=[]))
    checkins = CheckIn.objects.filter(milestone__population__programme=programme).filter(
        ~Q(comment="") | ~Q(next_step="") | Q(next_step_due__isnull=False)
    )
    cutoff = timezone.make_aware(
        datetime.datetime.combine(
            today - datetime.timedelta(days=retention_days()), datetime.time()
        )
    )
    access_logs = ResultAccessLog.objects.filter(programme=programme, viewed_at__lt=cutoff)
    reminders = Reminder.objects.filter(programme=programme).exclude(email="")
    digests = Digest.objects.filter(programme=programme).exclude(email="")
    deletions = {
        "resource_uses": ResourceUse.objects.filter(resource__programme=programme),
        # Mentoring before mentors: a mentoring protects its mentor.
        "mentorings": Mentoring.objects.filter(programme=programme),
        "mentors": Mentor.objects.filter(programme=programme),
        "consents": SharingConsent.objects.filter(programme=programme),
        "personal_targets": PersonalTarget.objects.filter(programme=programme),
        # A participant key may hold a name or an e-mail address.
        "dismissed_participants": DismissedParticipant.objects.filter(programme=programme),
        "access_logs": access_logs,
    }
    counts = {
        "participations": participations.count(),
        "results": CompetenceResult.objects.filter(participation__in=participations).count(),
        "snapshots": ParticipationSnapshot.objects.filter(participation__in=participations).count(),
        "import_files": imports.count(),
        "checkin_notes": checkins.count(),
        **{kind: queryset.count() for kind, queryset in deletions.items()},
        "reminder_emails": reminders.count() + digests.count(),
    }
    if dry_run:
        return counts

    # Results and snapshots first, by plain DELETEs (a ministry holds millions of them);
    # then the participations. The raw files leave the disk once the transaction commits.
    campaign_ids = list(participations.order_by().values_list("campaign_id", flat=True).distinct())
    agent_ids = set(participations.exclude(agent=None).values_list("agent_id", flat=True))
    CompetenceResult.objects.filter(participation__in=participations).delete()
    ParticipationSnapshot.objects.filter(participation__in=participations).delete()
    participations.delete()
    # Plain DELETEs skip the receivers: the stored progress of everyone who had results
    # there, in every programme that follows those campaigns, is recomputed.
    progress.refresh_agents(agent_ids, campaign_ids=campaign_ids)
    files = list(imports.exclude(file="").values_list("file", flat=True))
    imports.update(file="", errors=[], warnings=[])
    transaction.on_commit(lambda: _delete_files(files))
    checkins.update(comment="", next_step="", next_step_due=None)
    for queryset in deletions.values():
        queryset.delete()
    reminders.update(email="")
    digests.update(email="")
    return counts


def _delete_files(names):
    storage = ResultImport._meta.get_field("file").storage
    for name in names:
        storage.delete(name)
