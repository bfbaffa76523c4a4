"""The rows of « Mon parcours » and of an agent's page: one per enrolment, with the agent's
results and status there and the accompaniment sections (check-ins, resources, mentoring).
The parts' selectors return their sections; only the page puts them on its rows."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone
from django.utils.safestring import SafeString

from campaigns.models import Participation
from programmes import selectors, status
from programmes.accompaniment.checkins import selectors as selectors_checkins
from programmes.accompaniment.checkins.selectors import NextStep
from programmes.accompaniment.mentoring import selectors as selectors_mentoring
from programmes.accompaniment.mentoring.selectors import MyMentoring
from programmes.accompaniment.resources import selectors as selectors_resources
from programmes.accompaniment.resources.selectors import MyResources
from programmes.models import CheckIn, Enrolment, PersonalTarget, SharingConsent
from programmes.selectors import CompetenceLine
from programmes.status import StatusDisplay


# eq=False: a row is one section of a page, compared by identity (mentoring_above points to
# another row).
@dataclass(eq=False)
class EnrolmentRow:
    """One enrolment of an agent as « Mon parcours » or an agent's page shows it. Results and
    status are filled only where `results_visible`; the other fields only on the page that
    shows them."""

    enrolment: Enrolment
    results_visible: bool = True
    # The agent's results in the programme, next to the population's targets (add_results).
    participations: list[Participation] = field(default_factory=list)
    lines: list[CompetenceLine] = field(default_factory=list)
    stage_lines: list[dict] = field(default_factory=list)  # {"target", "participation"}
    history_dates: list[date] = field(default_factory=list)
    history_rows: list[tuple] = field(default_factory=list)  # (competence, [level or None])
    # Their status in the population (add_progress).
    progress: StatusDisplay | None = None
    targets_met: int | None = None
    targets_set: int | None = None
    last_activity: datetime | None = None
    # « Mon parcours » only.
    consent: SharingConsent | None = None  # their results shared with their direct manager
    chart: SafeString | None = None  # their levels against their level targets
    next_step: NextStep | None = None
    resources: MyResources | None = None
    mentoring: MyMentoring | None = None  # on the first row of its programme
    mentoring_above: "EnrolmentRow | None" = None  # on the others: that first row
    # The check-ins in the population; on an agent's page, only where `checkins_visible`.
    checkins_visible: bool = False
    checkins: list[CheckIn] = field(default_factory=list)


def add_results(agent, rows: list[EnrolmentRow]) -> None:
    """Next to each row's targets: the latest results and the participations."""
    results = selectors.agent_results_by_programme(
        agent, {row.enrolment.population.programme_id for row in rows}
    )
    for row in rows:
        programme_results = results[row.enrolment.population.programme_id]
        targets = row.enrolment.population.targets.all()
        row.participations = programme_results.participations
        row.lines = programme_results.lines(targets)
        row.stage_lines = programme_results.stage_lines(targets)
        row.history_dates, row.history_rows = programme_results.history()


def add_personal_targets(agent, rows: list[EnrolmentRow]) -> None:
    """Beside the population's targets, the agent's own target in force today on each
    competence (agreed at their annual review), with its source; one query."""
    programme_ids = {row.enrolment.population.programme_id for row in rows}
    in_force = {}
    personal = PersonalTarget.objects.valid_on(timezone.localdate()).filter(
        agent=agent, programme_id__in=programme_ids
    )
    for target in personal.select_related("competence"):  # newest first per competence
        in_force.setdefault((target.programme_id, target.competence_id), target)
    for row in rows:
        programme_id = row.enrolment.population.programme_id
        lines = {line.competence.pk: line for line in row.lines}
        for (target_programme_id, competence_id), target in in_force.items():
            if target_programme_id != programme_id:
                continue
            if competence_id not in lines:
                lines[competence_id] = CompetenceLine(target.competence)
            lines[competence_id].personal_target = target
        row.lines = sorted(lines.values(), key=lambda line: line.competence.position)


def add_progress(rows: list[EnrolmentRow]) -> None:
    """Each row's status in its population, with its definition, from the stored state its
    enrolment was read with (status.stored_status): no query."""
    today = timezone.localdate()
    for row in rows:
        enrolment, programme = row.enrolment, row.enrolment.population.programme
        progress_status = status.stored_status(enrolment, programme, today)
        row.progress = status.displays(programme)[progress_status]
        row.targets_met = enrolment.targets_met
        row.targets_set = enrolment.targets_set
        row.last_activity = enrolment.last_activity


def add_my_accompaniment(agent, rows: list[EnrolmentRow]) -> None:
    """On each row of « Mon parcours » (results added): the check-ins in its population and
    the next step agreed there, the resources for its gaps, and the mentoring of its
    programme, whose section stands on the programme's first row only (the others point to
    it: mentoring is per programme, not per population). Eight queries at most."""
    checkins = selectors_checkins.checkins_for_my_page(agent, [row.enrolment for row in rows])
    resources = selectors_resources.resources_for_my_page(
        agent, {row.enrolment: row.lines for row in rows}
    )
    lines_by_programme = defaultdict(list)
    for row in rows:
        lines_by_programme[row.enrolment.population.programme].extend(row.lines)
    mentoring = selectors_mentoring.mentoring_for_my_page(agent, lines_by_programme)
    first_rows = {}
    for row in rows:
        mine = checkins[row.enrolment.population_id]
        row.checkins, row.next_step = mine.checkins, mine.next_step
        row.resources = resources[row.enrolment.pk]
        first = first_rows.setdefault(row.enrolment.population.programme_id, row)
        if first is row:
            row.mentoring = mentoring[row.enrolment.population.programme_id]
        else:
            row.mentoring_above = first


def add_agent_page_checkins(user, agent, rows: list[EnrolmentRow]) -> None:
    """On the rows of an agent's page (latest enrolment first) whose programme lets the user
    read the agent's check-in notes, the check-ins of the row's population, latest first,
    under the first row of each population only (`checkins_visible`)."""
    checkins = selectors_checkins.checkins_for_agent_page(
        user, agent, [row.enrolment for row in rows]
    )
    # An agent enrolled twice in a population (left, came back) has its check-ins shown
    # once, under the first (latest) of those rows.
    shown = set()
    for row in rows:
        population_id = row.enrolment.population_id
        if population_id in checkins and population_id not in shown:
            shown.add(population_id)
            row.checkins_visible = True
            row.checkins = checkins[population_id]
