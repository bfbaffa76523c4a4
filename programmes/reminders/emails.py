"""The e-mails of the reminders: the reminder to an agent who has not started or has stalled,
the weekly digest to an ambassador or a manager, and the signed unsubscribe link.

Each builder returns a ready EmailMultiAlternatives (text and HTML) and does not send it:
`services_reminders` decides when it leaves."""

import datetime
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agents.models import Agent, User
from programmes import status
from programmes.enums import DigestKind, OutgoingStatus, ProgressStatus, ReminderKind, TargetKind
from programmes.models import Digest, Enrolment, Reminder, TargetPopulation
from programmes.selectors import agent_results_by_programme

UNSUBSCRIBE_SALT = "programmes.reminders.unsubscribe"
# An unsubscribe link works for a year: every reminder carries a fresh one.
UNSUBSCRIBE_LINK_MAX_AGE = datetime.timedelta(days=365)
# Links sent before they carried their date still work until then (a year after the
# change), and are expired afterwards.
UNDATED_LINKS_VALID_UNTIL = datetime.date(2027, 12, 31)


# --- Unsubscribe link -----------------------------------------------------------------------


class UnsubscribeLinkExpired(Exception):
    """A genuine unsubscribe link, older than UNSUBSCRIBE_LINK_MAX_AGE."""


def unsubscribe_token(agent_id: int, programme_id: int) -> str:
    """A signed and dated token naming the agent and the programme: whoever holds it may
    stop that agent's reminders of that programme, without logging in, for
    UNSUBSCRIBE_LINK_MAX_AGE."""
    signer = signing.TimestampSigner(salt=UNSUBSCRIBE_SALT)
    return signer.sign_object({"a": agent_id, "p": programme_id})


def read_unsubscribe_token(token: str) -> tuple[int, int] | None:
    """(agent id, programme id) of a token made by `unsubscribe_token`; None when it is
    malformed or tampered with. Raises UnsubscribeLinkExpired for a genuine token too old
    (or undated, after UNDATED_LINKS_VALID_UNTIL)."""
    try:
        data = _unsigned(token)
        agent_id, programme_id = data["a"], data["p"]
    except (signing.BadSignature, ValueError, TypeError, KeyError):
        return None
    if not isinstance(agent_id, int) or not isinstance(programme_id, int):
        return None
    return agent_id, programme_id


def _unsigned(token: str):
    try:
        return signing.TimestampSigner(salt=UNSUBSCRIBE_SALT).unsign_object(
            token, max_age=UNSUBSCRIBE_LINK_MAX_AGE
        )
    except signing.SignatureExpired as expired:
        raise UnsubscribeLinkExpired from expired
    except (signing.BadSignature, ValueError):
        pass
    # A link sent before links were dated: its signature covers the payload alone.
    data = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
    if timezone.localdate() > UNDATED_LINKS_VALID_UNTIL:
        raise UnsubscribeLinkExpired
    return data


def without_unsubscribe_link(text: str) -> str:
    """`text` with every unsubscribe link of this site replaced by a placeholder: the link
    is the agent's own (whoever holds it stops their reminders), never shown to others."""
    prefix = reverse("programmes:reminder_unsubscribe", kwargs={"token": "TOKEN"})
    prefix = settings.SITE_URL + prefix[: prefix.index("TOKEN")]
    return re.sub(
        re.escape(prefix) + r"\S+", _("[lien de désabonnement, personnel à l’agent]"), text
    )


def unsubscribe_url(agent_id: int, programme_id: int) -> str:
    path = reverse(
        "programmes:reminder_unsubscribe",
        kwargs={"token": unsubscribe_token(agent_id, programme_id)},
    )
    return settings.SITE_URL + path


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def _render(template: str, context: dict) -> tuple[str, str]:
    """The text and HTML bodies of `templates/programmes/reminders/emails/<template>.{txt,html}`."""
    return (
        render_to_string(f"programmes/reminders/emails/{template}.txt", context),
        render_to_string(f"programmes/reminders/emails/{template}.html", context),
    )


# --- Reminder to an agent -------------------------------------------------------------------


@dataclass(frozen=True)
class NextTarget:
    """The first competence of the population whose level target is not met yet."""

    code: str
    name: str
    target_level: int
    current_level: int | None


def ambassadors_of(population: TargetPopulation) -> list[User]:
    """Whom the agent may turn to: the population's ambassadors, else the programme's
    (active accounts with an address)."""
    for users in (population.ambassadors, population.programme.ambassadors):
        found = list(
            users.filter(is_active=True).exclude(email="").order_by("last_name", "first_name", "pk")
        )
        if found:
            return found
    return []


def next_target(reminder: Reminder, results) -> NextTarget | None:
    """The first competence (in the referential's order) with a level target the agent's
    latest shared level does not meet."""
    targets = reminder.population.targets.filter(kind=TargetKind.LEVEL).select_related("competence")
    for line in results.lines(list(targets)):
        for target in line.targets:
            level = line.level_result.level if line.level_result else None
            if level is None or level < target.level:
                return NextTarget(line.competence.code, line.competence.name, target.level, level)
    return None


def reminder_context(reminder: Reminder) -> dict:
    agent, programme = reminder.agent, reminder.programme
    results = agent_results_by_programme(agent, [programme.pk])[programme.pk]
    activity = [p.last_progress_at for p in results.participations if p.last_progress_at]
    last_activity = timezone.localdate(max(activity)) if activity else None
    ambassadors = ambassadors_of(reminder.population)
    return {
        "agent": agent,
        "programme": programme,
        "population": reminder.population,
        "stalled": reminder.kind == ReminderKind.STALLED,
        "last_activity": last_activity,
        "next_target": next_target(reminder, results),
        "ambassadors": ambassadors,
        "my_page_url": absolute(reverse("programmes:my_page")),
        "unsubscribe_url": unsubscribe_url(agent.pk, programme.pk),
    }


def would_be_sent(due, *, agent: Agent, population: TargetPopulation) -> Reminder:
    """The reminder the daily run would claim for `due` (unsaved): what `reminder_message`
    renders for the preview, as it will for the sending."""
    return Reminder(
        programme=population.programme,
        population=population,
        agent=agent,
        kind=due.kind,
        email=due.email,
    )


def reminder_message(reminder: Reminder) -> EmailMultiAlternatives:
    """The kind, personal e-mail of a reminder: the agent's status in plain words, their
    next target, a link to their page, whom to ask, and a one-click unsubscribe link
    (RFC 8058 headers)."""
    with translation.override(settings.LANGUAGE_CODE):
        context = reminder_context(reminder)
        text, html = _render("reminder", context)
        subject = _("Pix : où en êtes-vous ?")
    ambassadors = context["ambassadors"]
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[reminder.email],
        reply_to=[ambassadors[0].email] if ambassadors else None,
        headers={
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


# --- Weekly digest --------------------------------------------------------------------------

# Names listed per section; the rest is counted ("et N autres") and on the site.
DIGEST_CAP = 30
DIGEST_DAYS = 7


@dataclass
class Section:
    """One list of a digest: its total and its first DIGEST_CAP rows."""

    total: int = 0
    rows: list = field(default_factory=list)

    def add(self, row) -> None:
        self.total += 1
        if len(self.rows) < DIGEST_CAP:
            self.rows.append(row)

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


@dataclass
class PopulationDigest:
    population: TargetPopulation
    url: str
    not_started: Section = field(default_factory=Section)
    stalled: Section = field(default_factory=Section)
    reminded: Section = field(default_factory=Section)

    @property
    def is_empty(self) -> bool:
        return not (self.not_started.total or self.stalled.total or self.reminded.total)


def digest_populations(digest: Digest) -> list[TargetPopulation]:
    """The populations a digest covers: for an ambassador, those they accompany in the
    programme (all of them when they are one of the programme's ambassadors); for a
    manager, all the programme's populations (restricted to their reports elsewhere)."""
    populations = TargetPopulation.objects.filter(programme=digest.programme)
    if digest.kind == DigestKind.AMBASSADOR:
        is_programme_ambassador = digest.programme.ambassadors.filter(
            pk=digest.recipient_id
        ).exists()
        if not is_programme_ambassador:
            populations = populations.filter(ambassadors=digest.recipient_id)
    return list(populations.order_by("name", "pk"))


def digest_agents_scope(digest: Digest):
    """The agents a manager's digest may name: their direct and indirect reports. None for
    an ambassador (every agent of the populations); an empty queryset for a manager
    without an agent record."""
    if digest.kind != DigestKind.MANAGER:
        return None
    if not digest.programme.is_managerial:  # managers see no names in self-assessment
        return Agent.objects.none()
    agent = Agent.objects.filter(user_id=digest.recipient_id).first()
    if agent is None:
        return Agent.objects.none()
    return Agent.objects.reports_of(agent)


def digest_sections(
    digest: Digest, populations: list[TargetPopulation], today: datetime.date
) -> list[PopulationDigest]:
    """Per population: who has not started, who stalled, who was reminded in the last
    DIGEST_DAYS days. A fixed number of queries whatever the number of agents."""
    programme = digest.programme
    by_population = {p.pk: PopulationDigest(p, absolute(p.get_absolute_url())) for p in populations}
    if not populations:
        return []
    scope = digest_agents_scope(digest)
    enrolments = Enrolment.objects.current(today).filter(population__in=populations)
    if scope is not None:
        enrolments = enrolments.filter(agent__in=scope)
    enrolments = (
        status.with_progress(enrolments, programmes=[programme], today=today)
        .filter(progress_status__in=[ProgressStatus.NOT_STARTED, ProgressStatus.STALLED])
        .select_related("agent__org_unit")
        .order_by("population_id", "agent__last_name", "agent__first_name", "agent_id")
    )
    for enrolment in enrolments:
        section = by_population[enrolment.population_id]
        if enrolment.progress_status == ProgressStatus.NOT_STARTED:
            section.not_started.add(enrolment)
        else:
            section.stalled.add(enrolment)

    since = today - datetime.timedelta(days=DIGEST_DAYS)
    reminders = (
        Reminder.objects.filter(
            programme=programme,
            population__in=populations,
            status=OutgoingStatus.SENT,
            period__gt=since.isoformat(),
            period__lte=today.isoformat(),
        )
        .select_related("agent__org_unit")
        .order_by("population_id", "-period", "agent__last_name", "agent__first_name", "pk")
    )
    if scope is not None:
        reminders = reminders.filter(agent__in=scope)
    for reminder in reminders:
        reminder.day = datetime.date.fromisoformat(reminder.period)
        by_population[reminder.population_id].reminded.add(reminder)
    return [by_population[p.pk] for p in populations]


def digest_day(digest: Digest) -> datetime.date:
    """The day a digest speaks of: the digest weekday of its week (a digest retried later
    still tells that week), today if its period cannot be read."""
    try:
        year, week = digest.period.split("-S")
        return datetime.date.fromisocalendar(
            int(year), int(week), settings.REMINDER_DIGEST_WEEKDAY + 1
        )
    except ValueError:
        return timezone.localdate()


def digest_context(digest: Digest, today: datetime.date | None = None) -> dict:
    today = today or digest_day(digest)
    programme = digest.programme
    sections = digest_sections(digest, digest_populations(digest), today)
    if digest.kind == DigestKind.MANAGER:  # only the populations where their team is
        sections = [section for section in sections if not section.is_empty]
    return {
        "digest": digest,
        "recipient": digest.recipient,
        "programme": programme,
        "is_manager": digest.kind == DigestKind.MANAGER,
        "sections": sections,
        "totals": {
            "not_started": sum(s.not_started.total for s in sections),
            "stalled": sum(s.stalled.total for s in sections),
            "reminded": sum(s.reminded.total for s in sections),
        },
        "today": today,
        "since": today - datetime.timedelta(days=DIGEST_DAYS - 1),
        "cap": DIGEST_CAP,
        "overview_url": absolute(
            reverse("programmes:reminder_overview", kwargs={"slug": programme.slug})
        ),
        "team_url": absolute(reverse("programmes:team")),
    }


def digest_message(digest: Digest, today: datetime.date | None = None) -> EmailMultiAlternatives:
    """The weekly digest: per population, who has not started, who stalled and who was
    reminded in the last week — every agent of the populations for an ambassador, only
    their reports for a manager."""
    with translation.override(settings.LANGUAGE_CODE):
        context = digest_context(digest, today)
        text, html = _render("digest", context)
        subject = _("Pix : la semaine de « %(programme)s »") % {"programme": digest.programme}
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[digest.email],
    )
    message.attach_alternative(html, "text/html")
    return message
