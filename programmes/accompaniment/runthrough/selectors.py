"""What the run-through shows beside the check-in form: the agent's gaps in the population
(their latest shared level under the population's level target), the resources recommended
for them and the colleagues who volunteer to help on each, as « Mon parcours » computes
them (the resources and mentoring parts' own selectors, not a copy)."""

from dataclasses import dataclass, field

from campaigns.models import Competence
from programmes.accompaniment.mentoring import selectors as selectors_mentoring
from programmes.accompaniment.resources import selectors as selectors_resources
from programmes.accompaniment.resources.selectors import RecommendedResource
from programmes.models import Enrolment, Mentor, Mentoring
from programmes.selectors import agent_results_by_programme


@dataclass
class GapAid:
    """A competence where the agent is below the population's level target, and who could
    help: their open mentoring request on it (pending or paired, None without one) and the
    volunteers of the programme on it (never the agent), best candidates first."""

    competence: Competence
    current: int  # the latest shared level, 0 without a result
    target: int
    mentoring: Mentoring | None = None
    mentors: list[Mentor] = field(default_factory=list)


@dataclass
class RunAids:
    gaps: list[GapAid]
    resources: list[RecommendedResource]  # best first, with the agent's mark if any

    def resource(self, resource_id: int) -> RecommendedResource | None:
        return next((r for r in self.resources if r.resource.pk == resource_id), None)

    def gap_with_mentor(self, mentor_id: int) -> GapAid | None:
        return next((gap for gap in self.gaps if any(m.pk == mentor_id for m in gap.mentors)), None)


def current_enrolment(population, agent, today) -> Enrolment | None:
    """The agent's current enrolment in the population (the latest when several)."""
    return population.enrolments.current(today).filter(agent=agent).order_by("-start_date").first()


def run_aids(agent, enrolment: Enrolment) -> RunAids:
    """The agent's gaps in the enrolment's population (its current level targets against
    their latest shared levels, as on their page), the recommended resources and the
    possible mentors. Nine queries at most, whatever the number of gaps, resources and
    volunteers."""
    population = enrolment.population
    programme = population.programme
    results = agent_results_by_programme(agent, {programme.pk})[programme.pk]
    lines = results.lines(list(population.targets.select_related("competence", "campaign")))
    mine = selectors_resources.resources_for_my_page(agent, {enrolment: lines})[enrolment.pk]
    gaps = [GapAid(gap.competence, gap.current, gap.target) for gap in mine.gaps]
    if gaps:
        by_competence = {gap.competence.pk: gap for gap in gaps}
        candidates = selectors_mentoring.candidates_for(programme, agent, list(by_competence))
        open_requests = Mentoring.objects.filter(
            programme=programme, mentee=agent, ended_at=None, competence_id__in=by_competence
        ).select_related("mentor__agent")
        for mentoring in open_requests:
            by_competence[mentoring.competence_id].mentoring = mentoring
        for competence_id, gap in by_competence.items():
            gap.mentors = candidates[competence_id]
    return RunAids(gaps=gaps, resources=mine.recommendations)
