"""Which resources of the catalogue to recommend for an agent's gaps, best first.

Pure functions on plain data (no ORM): `programmes.selectors_resources` reads the agent's
levels, their population's targets and the catalogue, and feeds them here.

- A **gap** is a competence with a level target where the agent's latest shared level is
  below the target (no result counts as level 0).
- A resource **fits** a gap when it is active, lists the gap's competence, and its level
  range overlaps the levels still to climb (current level + 1 … target level).
- **Ranking**, best first: (a) resources whose range contains the very next level of one of
  the gaps they fit (current + 1), before the others; (b) more gap competences covered;
  (c) better usefulness (agents' "useful" votes minus "not useful" votes); (d) shorter
  duration, unknown durations last; (e) title (then id, so the order is total).
- Resources the agent has marked **done** are dropped: they have been followed, and the page
  lists them apart (with their usefulness vote); a place in the short list is better spent
  on a resource not yet tried. Resources only started stay, ranked like the others.
- At most `LIMIT` recommendations per enrolment.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

LIMIT = 5


@dataclass(frozen=True)
class Gap:
    """A competence where the agent is below the target level."""

    competence_id: int
    current: int  # the latest shared level, 0 without a result
    target: int

    @property
    def next_level(self) -> int:
        return self.current + 1


@dataclass(frozen=True)
class Candidate:
    """A resource of the catalogue, as much of it as the ranking needs."""

    id: int
    title: str
    competence_ids: frozenset
    level_min: int
    level_max: int
    duration_minutes: int | None = None
    usefulness: int = 0  # useful votes minus not-useful votes
    is_active: bool = True
    done: bool = False  # the agent has marked it done


@dataclass(frozen=True)
class Recommendation:
    candidate: Candidate
    gaps: tuple  # the gaps it fits, in the order the gaps were given
    covers_next_level: bool


def find_gaps(targets: Mapping[int, int], levels: Mapping[int, int | None]) -> list[Gap]:
    """The gaps for `targets` (competence id -> target level), given the agent's `levels`
    (competence id -> latest shared level; absent or None counts as 0); in the targets'
    order."""
    gaps = []
    for competence_id, target in targets.items():
        current = levels.get(competence_id) or 0
        if current < target:
            gaps.append(Gap(competence_id, current, target))
    return gaps


def fits(candidate: Candidate, gap: Gap) -> bool:
    """The candidate helps on the gap: active, on its competence, and its level range
    overlaps the levels from the next one to the target."""
    return (
        candidate.is_active
        and gap.competence_id in candidate.competence_ids
        and candidate.level_min <= gap.target
        and candidate.level_max >= gap.next_level
    )


def _contains_next_level(candidate: Candidate, gap: Gap) -> bool:
    return candidate.level_min <= gap.next_level <= candidate.level_max


def _rank_key(recommendation: Recommendation):
    candidate = recommendation.candidate
    duration = candidate.duration_minutes
    return (
        not recommendation.covers_next_level,
        -len(recommendation.gaps),
        -candidate.usefulness,
        duration is None,
        duration or 0,
        candidate.title.casefold(),
        candidate.id,
    )


def recommend(
    gaps: Iterable[Gap], candidates: Iterable[Candidate], *, limit: int | None = LIMIT
) -> list[Recommendation]:
    """The candidates that fit at least one of the gaps, best first (see the module's
    docstring), without those the agent has done; at most `limit` (None: all)."""
    gaps = list(gaps)
    recommendations = []
    for candidate in candidates:
        if candidate.done:
            continue
        fitting = tuple(gap for gap in gaps if fits(candidate, gap))
        if not fitting:
            continue
        recommendations.append(
            Recommendation(
                candidate=candidate,
                gaps=fitting,
                covers_next_level=any(_contains_next_level(candidate, gap) for gap in fitting),
            )
        )
    recommendations.sort(key=_rank_key)
    return recommendations if limit is None else recommendations[:limit]
