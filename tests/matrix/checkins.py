"""URL x role expectations of the checkins pages, merged into tests/test_url_matrix.py."""

from tests.matrix.roles import ROLES
from tests.programmes.factories_accompaniment import (
    BarrierFactory,
    MentorFactory,
    MilestoneFactory,
    ResourceFactory,
)


def _logged_in(status, **overrides):
    expected = dict.fromkeys(ROLES, status)
    expected["anonymous"] = 302
    expected.update(overrides)
    return expected


def _made(cast, key, make):
    """An object made once per test (the matrix asks for it once per role)."""
    made = cast.__dict__.setdefault("_checkins", {})
    if key not in made:
        made[key] = make()
    return made[key]


def _milestone(cast):
    return _made(cast, "milestone", lambda: MilestoneFactory(population=cast.population))


def _other_milestone(cast):
    return _made(
        cast, "other_milestone", lambda: MilestoneFactory(population=cast.other_population)
    )


def _other_barrier(cast):
    return _made(
        cast,
        "other_barrier",
        lambda: BarrierFactory(programme=cast.other_population.programme),
    )


def _barrier_kwargs(cast):
    return {"slug": cast.programme.slug, "barrier_id": cast.programme.barriers.first().pk}


def _population_kwargs(cast):
    return {"pk": cast.population.pk}


def _milestone_kwargs(cast):
    return {"pk": _milestone(cast).pk}


def _resource_proposal_kwargs(cast):
    resource = _made(cast, "resource", lambda: ResourceFactory(programme=cast.programme))
    return {"pk": _milestone(cast).pk, "agent_id": cast.agent_agent.pk, "resource_id": resource.pk}


def _mentor_proposal_kwargs(cast):
    mentor = _made(cast, "mentor", lambda: MentorFactory(programme=cast.programme))
    return {"pk": _milestone(cast).pk, "agent_id": cast.agent_agent.pk, "mentor_id": mentor.pk}


# The barrier list: the programme's owners and staff; its ambassadors (of any of its
# populations) see the programme: 403.
BARRIER_EDITORS = _logged_in(404, owner=200, ambassador=403, single_ambassador=403, staff=200)
# Milestones: whoever may manage the population (its ambassadors, the owners, staff); the
# ambassador of another population of the programme: 404.
POPULATION_MANAGERS = _logged_in(404, owner=200, ambassador=200, staff=200)
# Recording check-ins (individual notes): ambassadors and staff; the owner sees counts: 403.
CHECKIN_RECORDERS = _logged_in(404, owner=403, ambassador=200, staff=200)
# Writes are POST only: a GET is refused before anything else.
POST_ONLY = _logged_in(405)

# name -> (kwargs builder, expected status per role); see tests/test_url_matrix.py
APP_MATRIX = {
    "programmes:barrier_list": (lambda c: {"slug": c.programme.slug}, BARRIER_EDITORS),
    "programmes:barrier_edit": (_barrier_kwargs, BARRIER_EDITORS),
    "programmes:barrier_move": (_barrier_kwargs, POST_ONLY),
    "programmes:barrier_retire": (_barrier_kwargs, POST_ONLY),
    "programmes:barrier_restore": (_barrier_kwargs, POST_ONLY),
    "programmes:milestone_list": (_population_kwargs, POPULATION_MANAGERS),
    "programmes:milestone_create": (_population_kwargs, POPULATION_MANAGERS),
    "programmes:milestone_detail": (_milestone_kwargs, POPULATION_MANAGERS),
    "programmes:milestone_edit": (_milestone_kwargs, POPULATION_MANAGERS),
    "programmes:milestone_delete": (_milestone_kwargs, POST_ONLY),
    "programmes:milestone_run": (_milestone_kwargs, CHECKIN_RECORDERS),
    "programmes:run_resource_propose": (_resource_proposal_kwargs, POST_ONLY),
    "programmes:run_mentor_propose": (_mentor_proposal_kwargs, POST_ONLY),
}

# (name, kwargs builder) of objects outside every non-staff role's scope: 404 expected
IDOR_MATRIX = [
    ("programmes:barrier_list", lambda c: {"slug": c.other_population.programme.slug}),
    # Another programme's barrier, under this programme's slug or its own.
    (
        "programmes:barrier_edit",
        lambda c: {"slug": c.programme.slug, "barrier_id": _other_barrier(c).pk},
    ),
    (
        "programmes:barrier_edit",
        lambda c: {"slug": c.other_population.programme.slug, "barrier_id": _other_barrier(c).pk},
    ),
    ("programmes:barrier_edit", lambda c: {"slug": c.programme.slug, "barrier_id": 999999}),
    ("programmes:milestone_list", lambda c: {"pk": c.other_population.pk}),
    ("programmes:milestone_create", lambda c: {"pk": c.other_population.pk}),
    *[
        (f"programmes:{name}", lambda c: {"pk": _other_milestone(c).pk})
        for name in ("milestone_detail", "milestone_edit", "milestone_run")
    ],
    ("programmes:milestone_detail", lambda c: {"pk": 999999}),
]
