"""Reads of the resources feature: a programme's catalogue with what agents made of each
resource, the recommendations on the agent's page, and the resources an agent may mark."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from agents.models import Agent
from campaigns.models import Competence
from programmes.accompaniment.resources import recommendations
from programmes.enums import ResourceState, TargetKind
from programmes.models import Enrolment, Resource, ResourceUse
from programmes.selectors import CompetenceLine


def catalogue(programme, *, query="", kind="", competence_code=""):
    """The programme's resources (active or retired) by title, searched by words of their
    title or provider, kept to one kind and one competence if given, each with how many
    agents have it started (`started_count`) or done (`done_count`), and how many found it
    useful (`useful_count`) or not (`not_useful_count`); competences prefetched."""
    resources = programme.resources.all()
    for word in (query or "").split():
        resources = resources.filter(Q(title__icontains=word) | Q(provider__icontains=word))
    if kind:
        resources = resources.filter(kind=kind)
    if competence_code:
        with_competence = Resource.competences.through.objects.filter(
            competence__code=competence_code
        ).values("resource_id")
        resources = resources.filter(pk__in=with_competence)
    # The counts are the resource's own (kept by the database from its uses).
    return resources.prefetch_related("competences").order_by("title", "pk")


# What each use counter of a resource counts (the triggers of migration 0022 keep them).
COUNTED_BY = {
    "started_count": Q(state=ResourceState.STARTED),
    "done_count": Q(state=ResourceState.DONE),
    "useful_count": Q(useful=True),
    "not_useful_count": Q(useful=False),
}


def counted_uses(resource_ref="pk"):
    """Each use counter of the resource `resource_ref` names (an OuterRef) counted from its
    uses, as subqueries: what the stored counters must equal."""
    return {
        name: Coalesce(
            Subquery(
                ResourceUse.objects.filter(condition, resource=OuterRef(resource_ref))
                .order_by()
                .values("resource")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            ),
            0,
        )
        for name, condition in COUNTED_BY.items()
    }


@dataclass(frozen=True)
class CountsDrift:
    resource_id: int
    stored: tuple
    counted: tuple


def use_counts_drift(resources=None) -> list[CountsDrift]:
    """The resources (of `resources`, or all) whose stored use counters differ from their
    uses. One query, reading every use: for the nightly check, not for pages."""
    resources = Resource.objects.all() if resources is None else resources
    counted = {f"counted_{name}": expression for name, expression in counted_uses().items()}
    rows = resources.order_by("pk").annotate(**counted).values("pk", *COUNTED_BY, *counted)
    found = []
    for row in rows:
        stored = tuple(row[name] for name in COUNTED_BY)
        counted_values = tuple(row[f"counted_{name}"] for name in COUNTED_BY)
        if stored != counted_values:
            found.append(CountsDrift(row["pk"], stored, counted_values))
    return found


def catalogue_for_export(programme):
    return programme.resources.prefetch_related("competences").order_by("title", "pk")


def markable_resources(agent):
    """The resources `agent` may mark: active, in a programme they are enrolled in today."""
    if agent is None:
        return Resource.objects.none()
    programmes = Enrolment.objects.current().filter(agent=agent).values("population__programme_id")
    return Resource.objects.filter(is_active=True, programme_id__in=programmes)


def first_enrolment_with(agent, resource):
    """The agent's current enrolment, in the resource's programme, whose section of their
    page comes first (the page orders them by population name within a programme)."""
    return (
        Enrolment.objects.current()
        .filter(agent=agent, population__programme_id=resource.programme_id)
        .order_by("population__name", "pk")
        .first()
    )


# --- the agent's page --------------------------------------------------------------------------


@dataclass(frozen=True)
class GapView:
    competence: Competence
    current: int
    target: int


@dataclass(frozen=True)
class RecommendedResource:
    """A resource recommended to the agent, the gaps it addresses, and the agent's own
    mark on it (None if they have not marked it)."""

    resource: Resource
    gaps: tuple
    use: ResourceUse | None
    covers_next_level: bool


def _level_targets(lines):
    """(competence id -> target level, competence id -> latest level, competence by id) from
    the lines of the results table; the highest target counts if there are several."""
    targets, levels, competences = {}, {}, {}
    for line in lines:
        wanted = [t.level for t in line.targets if t.kind == TargetKind.LEVEL and t.level]
        if not wanted:
            continue
        competence = line.competence
        targets[competence.pk] = max(wanted)
        levels[competence.pk] = line.level_result.level if line.level_result else 0
        competences[competence.pk] = competence
    return targets, levels, competences


@dataclass(frozen=True)
class MyResources:
    """What the agent's page shows of resources for one enrolment."""

    gaps: list[GapView]  # the competences below their target level
    recommendations: list[RecommendedResource]  # at most recommendations.LIMIT, best first
    done_for_gaps: bool  # the agent has done resources that fit their gaps
    # The other active resources of the programme the agent has marked, without gaps.
    followed: list[RecommendedResource]


def resources_for_my_page(
    agent: Agent, lines_by_enrolment: dict[Enrolment, list[CompetenceLine]]
) -> dict[int, MyResources]:
    """The MyResources of each current enrolment of the agent's page, by enrolment id,
    given each enrolment with the lines of its results table: the gaps are the competences
    below their target level there, the resources those of the enrolment's programme.
    Three queries for all enrolments together."""
    programme_ids = {enrolment.population.programme_id for enrolment in lines_by_enrolment}
    resources = list(
        Resource.objects.filter(programme_id__in=programme_ids, is_active=True).order_by(
            "title", "pk"
        )
    )
    links = (
        Resource.competences.through.objects.filter(
            resource__programme_id__in=programme_ids, resource__is_active=True
        )
        .select_related("competence")
        .order_by("competence__position")
    )
    competences_of = defaultdict(list)
    for link in links:
        competences_of[link.resource_id].append(link.competence)
    uses = {
        use.resource_id: use
        for use in ResourceUse.objects.filter(agent=agent, resource__programme_id__in=programme_ids)
    }
    by_programme = defaultdict(list)
    for resource in resources:
        resource.competence_list = competences_of[resource.pk]
        by_programme[resource.programme_id].append(resource)
    return {
        enrolment.pk: _my_resources(lines, by_programme[enrolment.population.programme_id], uses)
        for enrolment, lines in lines_by_enrolment.items()
    }


def _my_resources(lines, resources, uses):
    targets, levels, competences = _level_targets(lines)
    gaps = recommendations.find_gaps(targets, levels)
    by_id = {resource.pk: resource for resource in resources}
    candidates = [
        recommendations.Candidate(
            id=resource.pk,
            title=resource.title,
            competence_ids=frozenset(c.pk for c in resource.competence_list),
            level_min=resource.level_min,
            level_max=resource.level_max,
            duration_minutes=resource.duration_minutes,
            usefulness=resource.useful_count - resource.not_useful_count,
            is_active=resource.is_active,
            done=resource.pk in uses and uses[resource.pk].state == ResourceState.DONE,
        )
        for resource in resources
    ]
    ranked = recommendations.recommend(gaps, candidates)
    recommended = {item.candidate.id for item in ranked}
    return MyResources(
        gaps=[GapView(competences[gap.competence_id], gap.current, gap.target) for gap in gaps],
        recommendations=[
            RecommendedResource(
                resource=by_id[item.candidate.id],
                gaps=tuple(
                    GapView(competences[gap.competence_id], gap.current, gap.target)
                    for gap in item.gaps
                ),
                use=uses.get(item.candidate.id),
                covers_next_level=item.covers_next_level,
            )
            for item in ranked
        ],
        # Said on the page when nothing is left to recommend: the agent has done what fits.
        done_for_gaps=any(
            recommendations.fits(candidate, gap)
            for candidate in candidates
            if candidate.done
            for gap in gaps
        ),
        followed=[
            RecommendedResource(
                resource=resource, gaps=(), use=uses[resource.pk], covers_next_level=False
            )
            for resource in resources
            if resource.pk in uses and resource.pk not in recommended
        ],
    )
