"""Reads of peer mentoring ("compagnonnage"): where an agent stands on each targeted
competence of a programme (at or above the target: may volunteer; below it or without a
result: may ask for help), the agent's own offers, requests and pairings on "Mon parcours",
and the ambassador's pairing page.

Privacy: before a pairing nobody sees the other's e-mail; agents only learn how many
volunteers exist on a competence, not who; only while a pairing is open (paired, not ended)
do the mentee and the mentor see each other's name and e-mail. Ambassadors see the
volunteers' names."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, F, Q

from agents.models import Agent
from campaigns.enums import CampaignKind
from campaigns.models import CompetenceResult
from programmes.enums import TargetKind
from programmes.models import Enrolment, Mentor, Mentoring, Programme, Target
from programmes.selectors import CompetenceLine, agent_results_by_programme

# --- Where an agent stands -------------------------------------------------------------------


@dataclass
class Standing:
    """An agent on one competence of a programme: the highest level target of their current
    populations there, and their latest shared level (None without a result)."""

    competence: object
    target: int
    level: int | None = None

    @property
    def reached(self):
        return self.level is not None and self.level >= self.target

    @property
    def gap(self):
        return not self.reached


def _merge_standing(standings, competence, target, level):
    current = standings.get(competence.pk)
    if current is None:
        standings[competence.pk] = Standing(competence, target, level)
    else:
        current.target = max(current.target, target)


def is_currently_enrolled(agent, programme):
    """The agent is enrolled today in one of the programme's populations."""
    return Enrolment.objects.current().filter(agent=agent, population__programme=programme).exists()


def competence_standings(agent, programme):
    """{competence id: Standing} for the competences with a level target in a population the
    agent is currently enrolled in, in `programme`. Four queries."""
    populations = (
        Enrolment.objects.current()
        .filter(agent=agent, population__programme=programme)
        .values("population_id")
    )
    targets = Target.objects.filter(
        kind=TargetKind.LEVEL, population__in=populations
    ).select_related("competence")
    latest = agent_results_by_programme(agent, {programme.pk})[programme.pk].latest
    standings = {}
    for target in targets:
        result = latest.get((target.competence_id, "level"))
        level = result.level if result is not None else None
        _merge_standing(standings, target.competence, target.level, level)
    return standings


# --- "Mon parcours" --------------------------------------------------------------------------


@dataclass
class AskOption:
    """A gap competence the agent may ask help on, and how many colleagues volunteer on it."""

    standing: Standing
    volunteers: int


@dataclass
class MyMentoring:
    """What the agent's page shows of mentoring for one programme."""

    programme: object
    anchor: str
    can_volunteer: list = field(default_factory=list)  # Standing, no active offer yet
    offers: list = field(default_factory=list)  # the agent's active Mentor offers
    can_ask: list = field(default_factory=list)  # AskOption, no open request yet
    pending: list = field(default_factory=list)  # the agent's requests not paired yet
    my_mentors: list = field(default_factory=list)  # open pairings where the agent is mentee
    my_mentees: list = field(default_factory=list)  # open pairings where the agent mentors

    @property
    def is_empty(self):
        return not (
            self.can_volunteer
            or self.offers
            or self.can_ask
            or self.pending
            or self.my_mentors
            or self.my_mentees
        )


def mentoring_anchor(programme):
    """The id of a programme's mentoring section on "Mon parcours"."""
    return f"compagnonnage-{programme.slug}"


def mentoring_for_my_page(
    agent: Agent, lines_by_programme: dict[Programme, list[CompetenceLine]]
) -> dict[int, MyMentoring]:
    """The MyMentoring of each programme of the agent's page, by programme id, given each
    programme with the results lines of its sections there (all of them when the agent is in
    several of its populations: the highest level target counts). Three queries for all
    programmes together."""
    standings = defaultdict(dict)
    for programme, lines in lines_by_programme.items():
        for line in lines:
            levels = [t.level for t in line.targets if t.kind == TargetKind.LEVEL]
            if levels:
                result = line.level_result
                level = result.level if result is not None else None
                _merge_standing(standings[programme.pk], line.competence, max(levels), level)
    programme_ids = {programme.pk for programme in lines_by_programme}
    offers = (
        Mentor.objects.filter(agent=agent, programme_id__in=programme_ids, withdrawn_at=None)
        .select_related("competence")
        .order_by("competence__position", "pk")
    )
    mentorings = (
        Mentoring.objects.filter(programme_id__in=programme_ids, ended_at=None)
        .filter(Q(mentee=agent) | Q(mentor__agent=agent))
        .select_related("competence", "mentee", "mentor__agent")
        .order_by("competence__position", "requested_at", "pk")
    )
    volunteers = (
        Mentor.objects.filter(programme_id__in=programme_ids, withdrawn_at=None)
        .exclude(agent=agent)
        .order_by()
        .values_list("programme_id", "competence_id")
        .annotate(n=Count("pk"))
    )
    counts = {(p, c): n for p, c, n in volunteers}
    sections = {
        programme.pk: MyMentoring(programme=programme, anchor=mentoring_anchor(programme))
        for programme in lines_by_programme
    }
    for offer in offers:
        sections[offer.programme_id].offers.append(offer)
    asked = set()
    for mentoring in mentorings:
        section = sections[mentoring.programme_id]
        if mentoring.mentee_id == agent.pk:
            asked.add((mentoring.programme_id, mentoring.competence_id))
            mentoring.volunteers = counts.get((mentoring.programme_id, mentoring.competence_id), 0)
            (section.my_mentors if mentoring.mentor_id else section.pending).append(mentoring)
        else:
            section.my_mentees.append(mentoring)
    for programme_id, section in sections.items():
        offered = {offer.competence_id for offer in section.offers}
        for standing in sorted(
            standings[programme_id].values(), key=lambda s: s.competence.position
        ):
            key = (programme_id, standing.competence.pk)
            if standing.reached and standing.competence.pk not in offered:
                section.can_volunteer.append(standing)
            elif standing.gap and key not in asked:
                section.can_ask.append(AskOption(standing, counts.get(key, 0)))
    return sections


# --- The ambassador's pairing page -----------------------------------------------------------


def sees_whole_programme(user, programme):
    """Staff and the programme's ambassadors handle every request of the programme; the
    ambassadors of a population only those of the agents currently enrolled in theirs."""
    return user.is_staff or programme.ambassadors.filter(pk=user.pk).exists()


def mentorings_in_scope(user, programme, *, whole=None):
    """The programme's mentoring requests (open or not) the user handles (see
    sees_whole_programme); `whole` when already known."""
    mentorings = Mentoring.objects.filter(programme=programme)
    if whole is None:
        whole = sees_whole_programme(user, programme)
    if whole:
        return mentorings
    enrolled = (
        Enrolment.objects.current()
        .filter(population__programme=programme, population__ambassadors=user)
        .values("agent_id")
    )
    return mentorings.filter(mentee_id__in=enrolled)


def open_mentorings(user, programme, *, whole=None):
    """Open requests in the user's scope: pending ones first (oldest first), then the
    current pairings (oldest pairing first)."""
    return (
        mentorings_in_scope(user, programme, whole=whole)
        .filter(ended_at=None)
        .select_related("mentee__org_unit", "competence", "mentor__agent", "paired_by")
        .order_by(F("paired_at").asc(nulls_first=True), "requested_at", "pk")
    )


def active_mentors(programme):
    """The programme's volunteers with an active offer, each with `pairings`: how many
    open pairings they hold."""
    return (
        Mentor.objects.filter(programme=programme, withdrawn_at=None)
        .select_related("agent__org_unit", "competence")
        .annotate(pairings=Count("mentorings", filter=Q(mentorings__ended_at=None), distinct=True))
    )


def volunteers_list(programme, competence=None):
    """The programme's active volunteers, by competence then name; of one competence if
    given."""
    mentors = active_mentors(programme)
    if competence is not None:
        mentors = mentors.filter(competence=competence)
    return mentors.order_by("competence__position", "agent__last_name", "agent__first_name", "pk")


def _candidate_key(mentor, mentee):
    same_unit = mentee.org_unit_id is not None and mentor.agent.org_unit_id == mentee.org_unit_id
    return (
        mentor.pairings,
        not same_unit,
        mentor.agent.last_name.lower(),
        mentor.agent.first_name.lower(),
        mentor.pk,
    )


def decorate_requests(user, programme, mentorings, *, whole):
    """On each open request of a page, set: `populations` (the mentee's current populations
    of the programme, within the user's scope), `target` (their highest level target on the
    competence there, or None), `level` (their latest shared level on it, or None) and, for
    pending ones, `candidates` (active offers on the competence, never the mentee's own,
    fewest current pairings first, then the same org unit, then by name). Four queries
    whatever the number of requests."""
    mentorings = list(mentorings)
    if not mentorings:
        return mentorings
    mentee_ids = {m.mentee_id for m in mentorings}
    competence_ids = {m.competence_id for m in mentorings}
    enrolments = (
        Enrolment.objects.current()
        .filter(agent_id__in=mentee_ids, population__programme=programme)
        .select_related("population")
        .order_by("population__name", "pk")
    )
    if not whole:
        enrolments = enrolments.filter(population__ambassadors=user)
    populations_of = defaultdict(list)
    for enrolment in enrolments:
        populations_of[enrolment.agent_id].append(enrolment.population)
    targets = defaultdict(dict)  # population id -> competence id -> level
    for population_id, competence_id, level in Target.objects.filter(
        kind=TargetKind.LEVEL, population__programme=programme, competence_id__in=competence_ids
    ).values_list("population_id", "competence_id", "level"):
        targets[population_id][competence_id] = level
    levels = {}
    results = (
        CompetenceResult.objects.filter(
            participation__agent_id__in=mentee_ids,
            participation__campaign__programmes=programme,
            participation__campaign__kind=CampaignKind.PROFILES_COLLECTION,
            competence_id__in=competence_ids,
        )
        .order_by("observed_at", "pk")
        .values_list("participation__agent_id", "competence_id", "level")
    )
    for agent_id, competence_id, level in results:  # oldest first: the latest wins
        levels[(agent_id, competence_id)] = level
    pending_competences = {m.competence_id for m in mentorings if m.mentor_id is None}
    offers = defaultdict(list)
    if pending_competences:
        for mentor in active_mentors(programme).filter(competence_id__in=pending_competences):
            offers[mentor.competence_id].append(mentor)
    for mentoring in mentorings:
        mentoring.populations = populations_of[mentoring.mentee_id]
        wanted = [
            targets[p.pk][mentoring.competence_id]
            for p in mentoring.populations
            if mentoring.competence_id in targets[p.pk]
        ]
        mentoring.target = max(wanted) if wanted else None
        mentoring.level = levels.get((mentoring.mentee_id, mentoring.competence_id))
        mentoring.candidates = sorted(
            (o for o in offers[mentoring.competence_id] if o.agent_id != mentoring.mentee_id),
            key=lambda o, mentee=mentoring.mentee: _candidate_key(o, mentee),
        )
    return mentorings


def candidates_for(programme, mentee, competence_ids) -> dict[int, list[Mentor]]:
    """{competence id: the active offers on it that could help `mentee`} for each of
    `competence_ids`, never the mentee's own, in the pairing page's order (fewest current
    pairings first, then the same org unit, then by name). One query."""
    found = {competence_id: [] for competence_id in competence_ids}
    if not found:
        return found
    offers = active_mentors(programme).filter(competence_id__in=found).exclude(agent=mentee)
    for mentor in offers:
        found[mentor.competence_id].append(mentor)
    for mentors in found.values():
        mentors.sort(key=lambda mentor: _candidate_key(mentor, mentee))
    return found
