"""The preparation sheet of an annual review, built from the data: what the page, the PDF and
the text for ESTEVE all show. `build_sheet` reads the database (a fixed number of queries
whatever the amount of data); `sheet_content` turns the result into the JSON snapshot kept in
each ReviewVersion.

Privacy: the agent's Pix results, check-ins, resources and mentoring are on the sheet only
where `perms.review_shows_results` allows it for its reader (managerial purpose; or the
agent's consent, which names the agent's direct manager only). Otherwise the sheet holds only
what was written on it, and says so (`hidden_notice`); `content_for_reader` does the same to
a kept version. The check-ins, besides, only where `perms.review_shows_checkins` allows it
(managerial purpose): the ambassador's notes never reach the manager through the sheet when
the agent page keeps them from the manager."""

import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lib import charts
from programmes import perms as programme_perms
from programmes.enums import TargetKind
from programmes.models import (
    CheckIn,
    Enrolment,
    Mentoring,
    PersonalTarget,
    ResourceUse,
    Target,
)
from programmes.selectors import agent_results_by_programme
from reviews import perms
from reviews.models import Review, ReviewVersion


@dataclass
class CompetenceRow:
    """One competence of the sheet: what is expected and where the agent stands, now, at the
    last review and when the programme started. Levels are 0–8; mastery rates are percents."""

    code: str
    name: str
    target_level: int | None = None  # the highest level target of the agent's populations
    target_mastery: int | None = None  # the highest mastery-rate target, in percent
    personal_target: int | None = None  # the agent's personal target in force
    current_level: int | None = None
    current_level_on: datetime.date | None = None
    current_mastery: int | None = None  # latest assessment mastery rate, in percent
    level_last_review: int | None = None
    level_at_start: int | None = None
    objective: int | None = None  # next year's objective written on this sheet

    @property
    def expected_level(self):
        """The level the agent is measured against: their personal target if they have one,
        else their population's."""
        return self.personal_target if self.personal_target is not None else self.target_level

    @property
    def gap(self):
        """Levels still missing to the expected level (0 when reached), or None if unknown."""
        if self.expected_level is None:
            return None
        return max(self.expected_level - (self.current_level or 0), 0)

    @property
    def reached(self):
        return self.gap == 0

    @property
    def label(self):
        return f"{self.code} {self.name}"


@dataclass
class CheckInLine:
    date: datetime.date
    title: str
    status: str
    barriers: list[str]
    comment: str
    next_step: str


@dataclass
class ResourceLine:
    title: str
    kind: str
    state: str
    useful: bool | None  # None: not said
    done_on: datetime.date | None


@dataclass
class MentoringLine:
    role: str  # "mentee" or "mentor"
    competence: str
    other: str  # the other person, once paired
    requested_on: datetime.date
    paired_on: datetime.date | None
    ended_on: datetime.date | None


@dataclass
class Sheet:
    """Everything the preparation sheet shows. Data sections are empty when `results_shown`
    is False; `hidden_notice` then says why, in the words the sheet prints."""

    review: Review
    programme_name: str
    year: int
    agent_name: str
    manager_name: str
    state: str
    state_label: str
    is_locked: bool
    meeting_on: datetime.date | None
    results_shown: bool
    hidden_notice: str = ""
    checkins_shown: bool = False  # with the results, where the manager line reads check-ins
    # Data (only when results are shown).
    competences: list[CompetenceRow] = field(default_factory=list)
    chart: SafeString | None = None
    last_review_year: int | None = None
    last_review_on: datetime.date | None = None
    started_on: datetime.date | None = None
    checkins: list[CheckInLine] = field(default_factory=list)
    resources: list[ResourceLine] = field(default_factory=list)
    mentorings: list[MentoringLine] = field(default_factory=list)
    # Written on the sheet.
    acquired_skills: str = ""
    training_needs: str = ""
    trainings_wanted: str = ""
    prospects: str = ""
    cpf_informed: bool = False
    manager_comment: str = ""
    agent_comment: str = ""
    objectives: list[tuple[str, str, int]] = field(default_factory=list)  # code, name, level
    addenda: list = field(default_factory=list)  # ReviewAddendum, oldest first
    versions: list = field(default_factory=list)  # ReviewVersion (content deferred)

    @property
    def written_fields(self):
        """(label, text) of the written sections, in the order of the review form."""
        return [
            (_("Compétences acquises (4°)"), self.acquired_skills),
            (_("Besoins de formation (6°)"), self.training_needs),
            (_("Formations souhaitées"), self.trainings_wanted),
            (_("Perspectives d'évolution professionnelle (7°)"), self.prospects),
            (_("Commentaire de l'encadrant"), self.manager_comment),
            (_("Commentaire de l'agent"), self.agent_comment),
        ]

    @property
    def table_rows(self):
        """The chart's numbers, for the table printed next to it."""
        return self.competences


HIDDEN_NOTICE = gettext_lazy(
    "Ce programme est un auto-positionnement et l'agent ne partage pas ses résultats avec son "
    "encadrant : cette fiche ne contient que ce que l'agent a choisi de partager et ce qui y "
    "a été écrit, aucun résultat Pix, point d'étape ni suivi d'accompagnement."
)
NOT_NAMED_NOTICE = gettext_lazy(
    "Ce programme est un auto-positionnement et l'agent partage ses résultats avec son "
    "encadrant direct seulement : vous lisez cette fiche sans aucun résultat Pix, point "
    "d'étape ni suivi d'accompagnement, avec ce qui y a été écrit."
)


def _hidden_notice(review: Review) -> str:
    """Why the sheet holds no result for its reader: the agent does not share them, or
    shares them with their direct manager only."""
    consent = programme_perms.has_sharing_consent(review.agent, review.cycle.programme)
    return str(NOT_NAMED_NOTICE if consent else HIDDEN_NOTICE)


def build_sheet(review: Review, *, reader=None, today: datetime.date | None = None) -> Sheet:
    """The sheet of `review` (load it with its cycle's programme, agent and manager) as
    `reader` may see it; without a reader, as the agent and their direct manager see it
    (what a kept version records)."""
    today = today or timezone.localdate()
    programme = review.cycle.programme
    shown = perms.review_shows_results(review, reader)
    sheet = Sheet(
        review=review,
        programme_name=programme.name,
        year=review.cycle.year,
        agent_name=review.agent.full_name,
        manager_name=review.manager.full_name if review.manager else "",
        state=review.state,
        state_label=review.get_state_display(),
        is_locked=review.is_locked,
        meeting_on=review.meeting_on,
        results_shown=shown,
        hidden_notice="" if shown else _hidden_notice(review),
        acquired_skills=review.acquired_skills,
        training_needs=review.training_needs,
        trainings_wanted=review.trainings_wanted,
        prospects=review.prospects,
        cpf_informed=review.cpf_informed,
        manager_comment=review.manager_comment,
        agent_comment=review.agent_comment,
    )
    objectives = {o.competence.code: o for o in review.objectives.select_related("competence")}
    sheet.objectives = [(code, o.competence.name, o.level) for code, o in objectives.items()]
    sheet.addenda = list(review.addenda.select_related("author"))
    sheet.versions = list(review.versions.select_related("created_by").defer("content"))
    if shown:
        sheet.checkins_shown = perms.review_shows_checkins(review)
        _add_results(sheet, review, today, objectives)
        _add_accompaniment(sheet, review)
    return sheet


def _add_results(sheet, review, today, objectives):
    """The Pix section: per competence the agent has a target on, where they stand against
    it, how far they came since the programme's start and since the last review, and next
    year's objective; drawn as a chart whose numbers are the table."""
    agent, programme = review.agent, review.cycle.programme
    rows = _competence_rows(agent, programme, today)
    results = agent_results_by_programme(agent, [programme.pk])[programme.pk]
    _add_current_results(rows, results.latest)
    _add_progress_since_start(sheet, rows, results.level_history)
    _add_progress_since_last_review(sheet, rows, review, results.level_history)
    _add_objectives(rows, objectives)
    sheet.competences = list(rows.values())
    sheet.chart = _chart(review, sheet.competences)


def _competence_rows(agent, programme, today):
    """One row per competence the agent has a target on, from a population they are enrolled
    in or of their own, by code and in the referential's order; the highest target wins."""
    rows, positions = {}, {}

    def row_of(competence):
        positions[competence.code] = competence.position
        if competence.code not in rows:
            rows[competence.code] = CompetenceRow(competence.code, competence.name)
        return rows[competence.code]

    for target in _population_targets(agent, programme, today):
        row = row_of(target.competence)
        if target.kind == TargetKind.LEVEL:
            row.target_level = max(row.target_level or 0, target.level)
        else:
            row.target_mastery = max(row.target_mastery or 0, _percent(target.mastery_rate))
    for personal in _personal_targets_in_force(agent, programme, today):
        row_of(personal.competence).personal_target = personal.level
    # Later sections only fill these rows in, so they can be put in order now.
    return dict(sorted(rows.items(), key=lambda item: positions[item[0]]))


def _population_targets(agent, programme, today):
    """The level and mastery-rate targets of the programme's populations the agent is
    enrolled in today."""
    enrolments = Enrolment.objects.current(today).filter(
        agent=agent, population__programme=programme
    )
    return Target.objects.filter(
        population__in=enrolments.values("population_id"),
        kind__in=[TargetKind.LEVEL, TargetKind.MASTERY_RATE],
    ).select_related("competence")


def suggested_objectives(review: Review, today: datetime.date | None = None) -> dict[int, int]:
    """Next year's objectives proposed on a blank sheet: per competence id, the highest level
    target of the programme's populations the agent is enrolled in today. One query."""
    today = today or timezone.localdate()
    suggested: dict[int, int] = {}
    targets = _population_targets(review.agent, review.cycle.programme, today).filter(
        kind=TargetKind.LEVEL, level__isnull=False
    )
    for competence_id, level in targets.values_list("competence_id", "level"):
        suggested[competence_id] = max(suggested.get(competence_id, 0), level)
    return suggested


def _personal_targets_in_force(agent, programme, today):
    """Per competence, the agent's personal target in force today: the latest valid one."""
    seen = set()
    for personal in (
        PersonalTarget.objects.valid_on(today)
        .filter(agent=agent, programme=programme)
        .select_related("competence")
    ):
        if personal.competence_id not in seen:  # latest first
            seen.add(personal.competence_id)
            yield personal


def _add_current_results(rows, latest):
    """Where the agent stands now: their latest shared level and mastery rate per
    competence on the sheet."""
    for (_competence_id, kind), result in latest.items():
        row = rows.get(result.competence.code)
        if row is None:  # a competence without target is not on the sheet
            continue
        if kind == "level":
            row.current_level = result.level
            row.current_level_on = timezone.localdate(result.observed_at)
        else:
            row.current_mastery = _percent(result.mastery_rate)


def _add_progress_since_start(sheet, rows, history):
    """The programme started, for the agent, with their first shared level; each
    competence's level at start is its first shared level."""
    if history:
        sheet.started_on = timezone.localdate(history[0].observed_at)
    at_start = _first_levels(history)
    for code, row in rows.items():
        row.level_at_start = at_start.get(code)


def _add_progress_since_last_review(sheet, rows, review, history):
    """The levels at the agent's last review of the programme: as its latest version wrote
    them, else as shared by the day its cycle closed."""
    previous = _previous_review(review)
    if previous is None:
        return
    sheet.last_review_year = previous.cycle.year
    sheet.last_review_on = previous.meeting_on or previous.cycle.closes_on
    written = _levels_in_content(previous.last_content)
    at_close = _levels_on(history, previous.cycle.closes_on)
    for code, row in rows.items():
        row.level_last_review = written.get(code, at_close.get(code))


def _previous_review(review):
    """The agent's latest review of the same programme in an earlier year, with the content
    of its latest version as `last_content`, or None."""
    return (
        Review.objects.filter(
            agent=review.agent,
            cycle__programme=review.cycle.programme,
            cycle__year__lt=review.cycle.year,
        )
        .select_related("cycle")
        .annotate(
            last_content=Subquery(
                ReviewVersion.objects.filter(review=OuterRef("pk"))
                .order_by("-number")
                .values("content")[:1]
            )
        )
        .order_by("-cycle__year")
        .first()
    )


def _add_objectives(rows, objectives):
    """Next year's objective written on the sheet, on the competences that have a row."""
    for code, objective in objectives.items():
        if code in rows:
            rows[code].objective = objective.level


def _first_levels(history):
    """The first shared level per competence code (`history` is oldest first)."""
    levels = {}
    for result in history:
        levels.setdefault(result.competence.code, result.level)
    return levels


def _levels_in_content(content):
    """Levels per competence code as a previous version of a sheet recorded them."""
    if isinstance(content, str):  # some backends hand a JSON subquery back as text
        content = json.loads(content)
    levels = {}
    for row in (content or {}).get("competences", []):
        if row.get("current_level") is not None:
            levels[row["code"]] = row["current_level"]
    return levels


def _levels_on(history, day):
    """The latest shared level per competence code observed on or before `day`."""
    levels = {}
    for result in history:
        if timezone.localdate(result.observed_at) <= day:
            levels[result.competence.code] = result.level
    return levels


def _percent(rate):
    return None if rate is None else int((Decimal(rate) * 100).to_integral_value())


def _chart(review, rows):
    """Per competence: the level at the programme's start, at the last review and now, on
    the 0–8 scale, each note naming the expected level."""
    bars = []
    for row in rows:
        target = row.expected_level
        for label, value in (
            (_("départ"), row.level_at_start),
            (_("dernier entretien"), row.level_last_review),
            (_("actuel"), row.current_level),
        ):
            if value is None:
                note = _("pas de résultat")
            elif target is not None:
                note = _("%(level)s (cible %(target)s)") % {"level": value, "target": target}
            else:
                note = str(value)
            bars.append(charts.Bar(f"{row.code} {label}", value, note))
    if not bars:
        return None
    return charts.bar_chart(
        chart_id=f"chart-review-{review.pk}",
        title=_("Évolution des niveaux Pix par compétence"),
        description=_(
            "Barres horizontales : pour chaque compétence qui a un niveau cible, le niveau au "
            "départ du programme, au dernier entretien et le niveau actuel (de 0 à 8), suivis "
            "du niveau attendu. Les chiffres sont dans le tableau qui suit."
        ),
        bars=bars,
        maximum=8,
        axis_text=lambda value: f"{value:g}",
    )


def _add_accompaniment(sheet, review):
    """Check-ins (where `checkins_shown`), resources followed and mentoring."""
    agent, programme = review.agent, review.cycle.programme
    if sheet.checkins_shown:
        sheet.checkins = _checkin_lines(agent, programme)
    uses = (
        ResourceUse.objects.filter(agent=agent, resource__programme=programme)
        .select_related("resource")
        .order_by("started_at", "pk")
    )
    sheet.resources = [
        ResourceLine(
            title=use.resource.title,
            kind=use.resource.get_kind_display(),
            state=use.get_state_display(),
            useful=use.useful,
            done_on=timezone.localdate(use.done_at) if use.done_at else None,
        )
        for use in uses
    ]
    mentorings = (
        Mentoring.objects.filter(programme=programme)
        .filter(Q(mentee=agent) | Q(mentor__agent=agent))
        .select_related("competence", "mentee", "mentor__agent")
        .order_by("requested_at", "pk")
    )
    lines = []
    for mentoring in mentorings:
        as_mentee = mentoring.mentee_id == agent.pk
        if as_mentee:
            other = mentoring.mentor.agent.full_name if mentoring.mentor else ""
        else:
            other = mentoring.mentee.full_name
        lines.append(
            MentoringLine(
                role="mentee" if as_mentee else "mentor",
                competence=f"{mentoring.competence.code} {mentoring.competence.name}",
                other=other if mentoring.paired_at else "",
                requested_on=timezone.localdate(mentoring.requested_at),
                paired_on=timezone.localdate(mentoring.paired_at) if mentoring.paired_at else None,
                ended_on=timezone.localdate(mentoring.ended_at) if mentoring.ended_at else None,
            )
        )
    sheet.mentorings = lines


def _checkin_lines(agent, programme):
    checkins = (
        CheckIn.objects.filter(agent=agent, milestone__population__programme=programme)
        .select_related("milestone")
        .prefetch_related("barriers")
        .order_by("milestone__date", "pk")
    )
    return [
        CheckInLine(
            date=checkin.milestone.date,
            title=checkin.milestone.title,
            status=checkin.get_status_display(),
            barriers=[str(barrier) for barrier in checkin.barriers.all()],
            comment=checkin.comment,
            next_step=checkin.next_step,
        )
        for checkin in checkins
    ]


def _day(value):
    return value.isoformat() if value else None


def content_for_reader(review: Review, content: dict, reader) -> dict:
    """A kept version's `content` as `reader` may see it today: without its data sections
    when the agent's results are not, or no longer, shown to them (the consent revoked, a
    reader it does not name); never with check-ins the sheet may not carry (versions kept
    before that rule may hold some)."""
    if content.get("checkins") and not perms.review_shows_checkins(review):
        content = {**content, "checkins": []}
    if not content.get("results_shown") or perms.review_shows_results(review, reader):
        return content
    hidden = dict.fromkeys(["competences", "checkins", "resources", "mentorings"], [])
    return {**content, **hidden, "results_shown": False, "hidden_notice": _hidden_notice(review)}


def sheet_content(sheet: Sheet) -> dict:
    """The sheet as JSON-serialisable data: what a ReviewVersion keeps (no chart: it is
    redrawn from the numbers)."""
    return {
        **_heading_content(sheet),
        **_progress_dates_content(sheet),
        "competences": [_competence_content(row) for row in sheet.competences],
        "checkins": [_checkin_content(line) for line in sheet.checkins],
        "resources": [_resource_content(line) for line in sheet.resources],
        "mentorings": [_mentoring_content(line) for line in sheet.mentorings],
        **_written_content(sheet),
        "objectives": [_objective_content(*objective) for objective in sheet.objectives],
        "addenda": [_addendum_content(addendum) for addendum in sheet.addenda],
    }


def _heading_content(sheet):
    """Whose review, of which programme and year, where it stands, and whether the agent's
    results are on it (if not, the notice saying so)."""
    return {
        "programme": sheet.programme_name,
        "year": sheet.year,
        "agent": sheet.agent_name,
        "manager": sheet.manager_name,
        "state": sheet.state,
        "state_label": str(sheet.state_label),
        "meeting_on": _day(sheet.meeting_on),
        "results_shown": sheet.results_shown,
        "hidden_notice": sheet.hidden_notice,
    }


def _progress_dates_content(sheet):
    """The dates the levels are compared from: the last review and the programme's start."""
    return {
        "last_review_year": sheet.last_review_year,
        "last_review_on": _day(sheet.last_review_on),
        "started_on": _day(sheet.started_on),
    }


def _competence_content(row):
    """A competence's targets, levels now, at the last review and at the start, objective
    and gap."""
    return {
        "code": row.code,
        "name": row.name,
        "target_level": row.target_level,
        "target_mastery": row.target_mastery,
        "personal_target": row.personal_target,
        "current_level": row.current_level,
        "current_level_on": _day(row.current_level_on),
        "current_mastery": row.current_mastery,
        "level_last_review": row.level_last_review,
        "level_at_start": row.level_at_start,
        "objective": row.objective,
        "gap": row.gap,
    }


def _checkin_content(line):
    return {
        "date": _day(line.date),
        "title": line.title,
        "status": str(line.status),
        "barriers": line.barriers,
        "comment": line.comment,
        "next_step": line.next_step,
    }


def _resource_content(line):
    return {
        "title": line.title,
        "kind": str(line.kind),
        "state": str(line.state),
        "useful": line.useful,
        "done_on": _day(line.done_on),
    }


def _mentoring_content(line):
    return {
        "role": line.role,
        "competence": line.competence,
        "other": line.other,
        "requested_on": _day(line.requested_on),
        "paired_on": _day(line.paired_on),
        "ended_on": _day(line.ended_on),
    }


def _written_content(sheet):
    """What the manager and the agent wrote on the sheet, in the order of the review form."""
    return {
        "acquired_skills": sheet.acquired_skills,
        "training_needs": sheet.training_needs,
        "trainings_wanted": sheet.trainings_wanted,
        "prospects": sheet.prospects,
        "cpf_informed": sheet.cpf_informed,
        "manager_comment": sheet.manager_comment,
        "agent_comment": sheet.agent_comment,
    }


def _objective_content(code, name, level):
    return {"code": code, "name": name, "level": level}


def _addendum_content(addendum):
    """A dated addition to the locked sheet; its author may since have been deleted."""
    return {
        "author": addendum.author.get_full_name() if addendum.author else "",
        "text": addendum.text,
        "created_at": addendum.created_at.isoformat(),
    }
