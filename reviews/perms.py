"""Who may do what with annual reviews. Each predicate states its rule in one sentence."""

from django.db.models import Exists, OuterRef

from programmes import perms as programme_perms
from programmes.enums import Purpose
from programmes.models import Programme
from programmes.roles import roles_for
from reviews.models import Review, ReviewCycle


def can_open_cycle(user, programme):
    """Review cycles of a programme are opened (and followed) by its owners and staff."""
    return user.is_authenticated and programme_perms.can_manage_programme(user, programme)


def is_reviewer(user, review: Review):
    """The user is the review's manager, or above the agent in their manager line."""
    viewer = roles_for(user).agent
    if viewer is None:
        return False
    return review.manager_id == viewer.pk or programme_perms.is_in_manager_line(user, review.agent)


def is_reviewed_agent(user, review: Review):
    """The user is the agent the review is about."""
    return review.agent.user_id is not None and review.agent.user_id == user.pk


def can_read_review(user, review: Review):
    """A sheet is read by its agent, its manager line and staff."""
    if not user.is_authenticated:
        return False
    return user.is_staff or is_reviewed_agent(user, review) or is_reviewer(user, review)


def can_prepare_review(user, review: Review):
    """A sheet is written by its manager line (and staff) until it is shared; afterwards only
    dated addenda are added."""
    return user.is_authenticated and (user.is_staff or is_reviewer(user, review))


def review_shows_results(review: Review, user=None):
    """The sheet carries the agent's Pix results under the managerial purpose, to all its
    readers. Under self-assessment only with the agent's consent, and then only for the agent
    and their direct manager, whom the consent names: others above them, staff or a former
    manager read the sheet without results. Without `user`: the sheet as the agent and their
    direct manager read it, which a kept version records."""
    programme = review.cycle.programme
    if programme.purpose == Purpose.MANAGERIAL:
        return True
    if not programme_perms.has_sharing_consent(review.agent, programme):
        return False
    return (
        user is None
        or is_reviewed_agent(user, review)
        or programme_perms.is_direct_manager(user, review.agent)
    )


def review_shows_checkins(review: Review):
    """The sheet is read by the manager and the agent, so it carries the agent's check-ins
    (status, barriers, comment, next step) only where the manager line reads them on the
    agent's page too (programmes.perms.can_view_checkins): under the managerial purpose.
    Under self-assessment they never reach the sheet, even with the agent's consent."""
    return programme_perms.checkins_open_to_manager_line(review.cycle.programme)


def cycles_visible_to(user):
    """Cycles the user follows as owner (or staff), or where they lead or have a review.

    Each condition is an EXISTS on the cycle (its programme's owners, its sheets by manager
    or agent): a join to every sheet of every cycle, then DISTINCT, read all of them
    (78,000 at 100,000 agents, 0.2 s for an owner who is also an agent)."""
    if not user.is_authenticated:
        return ReviewCycle.objects.none()
    if user.is_staff:
        return ReviewCycle.objects.all()
    agent = roles_for(user).agent
    condition = Exists(
        Programme.owners.through.objects.filter(programme_id=OuterRef("programme_id"), user=user)
    )
    if agent is not None:
        sheets = Review.objects.filter(cycle=OuterRef("pk"))
        condition |= Exists(sheets.filter(manager=agent)) | Exists(sheets.filter(agent=agent))
    return ReviewCycle.objects.filter(condition)
