"""Reads of the sheet pages, each scoped to the requesting user."""

from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.functions import Lower
from django.http import Http404
from django.shortcuts import get_object_or_404

from agents.models import Agent
from programmes.roles import roles_for
from reviews import perms
from reviews.models import Review, ReviewCycle, ReviewState


def review_for_reader(user, pk) -> Review:
    """The review `pk` if the user may read it (its agent, manager line, staff), else 404."""
    review = get_object_or_404(
        Review.objects.select_related("cycle__programme", "agent", "manager"), pk=pk
    )
    if not perms.can_read_review(user, review):
        raise Http404
    return review


def agent_waits(user, review: Review) -> bool:
    """The reviewed agent (and nobody above them) reads the sheet only once prepared."""
    return (
        review.state == ReviewState.TO_PREPARE
        and perms.is_reviewed_agent(user, review)
        and not (user.is_staff or perms.is_reviewer(user, review))
    )


def cycles_led_by(user):
    """Cycles where the user leads a review or has an agent of their manager line reviewed
    (all for staff)."""
    if user.is_staff:
        return ReviewCycle.objects.all()
    viewer = roles_for(user).agent
    if viewer is None:
        return ReviewCycle.objects.none()
    # An EXISTS per cycle (its few rows), not a join to every sheet then DISTINCT.
    sheets = Review.objects.filter(cycle=OuterRef("pk"))
    return ReviewCycle.objects.filter(
        Exists(sheets.filter(manager=viewer))
        | Exists(sheets.filter(agent_id__in=Agent.objects.report_ids(viewer)))
    )


def cycle_for_team(user, pk):
    """A cycle the user follows as a manager (direct or higher up), else 404."""
    return get_object_or_404(cycles_led_by(user).select_related("programme"), pk=pk)


def team_reviews(user, cycle, *, state=None):
    """The cycle's reviews the user leads: of agents below them in the manager line (direct
    and indirect) or assigned to them; all for staff."""
    reviews = Review.objects.filter(cycle=cycle)
    if not user.is_staff:
        viewer = roles_for(user).agent
        if viewer is None:
            return Review.objects.none()
        # On PostgreSQL the team walked once (its ids), then the cycle's sheets by their
        # (cycle, agent) and manager indexes: with the walk inside, PostgreSQL read all of
        # the cycle's sheets to test each against it (78,000 at 100,000 agents, for a team
        # of 12).
        reviews = reviews.filter(
            Agent.objects.report_condition("agent_id", viewer) | Q(manager=viewer)
        )
    if state:
        reviews = reviews.filter(state=state)
    # Names on their lower case, as the agents' name index holds them: a large team's first
    # page walks that index (sorting the whole agents table by the raw names took 0.15 s at
    # 100,000 agents), a small team's few sheets are sorted.
    return reviews.select_related("agent", "manager").order_by(
        Lower("agent__last_name"), Lower("agent__first_name"), "pk"
    )


def my_reviews(user):
    """The user's own reviews, latest year first."""
    return (
        Review.objects.filter(agent__user=user, agent__user__isnull=False)
        .select_related("cycle__programme", "manager")
        .order_by("-cycle__year", "cycle__programme__name", "pk")
    )


def current_sheets(user, agent_ids) -> dict[int, list[Review]]:
    """Per agent of `agent_ids`, their sheets of the current campaign (the latest cycle of
    each programme) that the user may open, as `perms.can_read_review` says: all for staff;
    else their own, those they lead and those of agents below them in the manager line.
    One query, whatever the number of agents."""
    agent_ids = list(agent_ids)
    if not user.is_authenticated or not agent_ids:
        return {}
    latest = (
        ReviewCycle.objects.filter(programme=OuterRef("cycle__programme"))
        .order_by("-year")
        .values("year")[:1]
    )
    reviews = Review.objects.filter(agent_id__in=agent_ids, cycle__year=Subquery(latest))
    if not user.is_staff:
        viewer = roles_for(user).agent
        if viewer is None:  # no agent: no sheet of their own, none to lead
            return {}
        # Their own (by the agent's id: a condition on the agents' columns would have
        # PostgreSQL read every agent to join them), those they lead, and those of the
        # given agents in their line: their lines read upwards, never the viewer's whole
        # team (a director's is 20,000 agents).
        reviews = reviews.filter(
            Q(agent_id=viewer.pk)
            | Q(manager=viewer)
            | Q(agent_id__in=Agent.objects.reports_among(viewer, agent_ids))
        )
    by_agent: dict[int, list[Review]] = {}
    for review in reviews.select_related("cycle__programme", "agent").order_by(
        "cycle__programme__name", "pk"
    ):
        by_agent.setdefault(review.agent_id, []).append(review)
    return by_agent
