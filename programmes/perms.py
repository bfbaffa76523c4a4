"""Who may do what. Each predicate states its rule in one sentence."""

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q

from agents.models import Agent
from agents.perms import can_import_agents  # noqa: F401 - one rule, re-exported
from programmes.enums import Purpose
from programmes.models import (
    CampaignOwnership,
    Enrolment,
    Programme,
    SharingConsent,
    TargetPopulation,
)
from programmes.roles import roles_for


def is_in_manager_line(user, agent):
    """True when the user's agent is `agent`'s manager, direct or indirect. Walks up the tree
    from `agent` one manager at a time and stops at the user: no query for a direct report,
    one per level above (the whole line was read, on each of the three checks of an agent's
    page: 12 queries for a bureau head's agent)."""
    viewer = roles_for(user).agent
    if viewer is None:
        return False
    seen, current = {agent.pk}, agent.manager_id
    while current is not None and current not in seen:
        if current == viewer.pk:
            return True
        seen.add(current)
        current = Agent.objects.filter(pk=current).values_list("manager_id", flat=True).first()
    return False


def is_direct_manager(user, agent):
    """True when the user's agent is `agent`'s manager today (the HR list's « responsable »);
    when the HR list changes it, the new manager is the direct one at once."""
    viewer = roles_for(user).agent
    return viewer is not None and agent.manager_id is not None and viewer.pk == agent.manager_id


def can_manage_programme(user, programme: Programme):
    """Staff and the programme's owners may change a programme."""
    return user.is_staff or programme.owners.filter(pk=user.pk).exists()


def can_accompany_population(user, population: TargetPopulation):
    """A population's ambassadors (and the programme's) accompany its agents individually."""
    return (
        population.ambassadors.filter(pk=user.pk).exists()
        or population.programme.ambassadors.filter(pk=user.pk).exists()
    )


def has_sharing_consent(agent, programme):
    """The agent currently lets their direct manager see their individual results (« avec
    mon encadrant »): the consent names no one else, not even higher up the manager line."""
    return SharingConsent.objects.active().filter(agent=agent, programme=programme).exists()


def consent_opens_results_to(user, agent, programme: Programme):
    """The agent's active consent opens their results of `programme` to the user: the user
    is the agent's direct manager today (a new manager from the HR list at once, the former
    one no longer)."""
    return is_direct_manager(user, agent) and has_sharing_consent(agent, programme)


def can_view_individual_results(user, agent, programme: Programme):
    """The agent themself; the ambassadors of a population the agent is (or was) enrolled in;
    under the managerial purpose, their manager line and the programme's owners; under
    self-assessment, with the agent's consent, their direct manager only."""
    if agent.user_id is not None and agent.user_id == user.pk:
        return True
    enrolled = Enrolment.objects.filter(agent=agent, population__programme=programme)
    if enrolled.filter(
        Q(population__ambassadors=user) | Q(population__programme__ambassadors=user)
    ).exists():
        return True
    if programme.purpose == Purpose.MANAGERIAL:
        if is_in_manager_line(user, agent):
            return True
        return programme.owners.filter(pk=user.pk).exists() and enrolled.exists()
    return consent_opens_results_to(user, agent, programme)


def can_see_population_members(user, population: TargetPopulation):
    """A population's agents are seen one by one by staff, its ambassadors (and the
    programme's), and the programme's owners under the managerial purpose."""
    programme = population.programme
    return (
        user.is_staff
        or can_accompany_population(user, population)
        or (programme.is_managerial and can_manage_programme(user, programme))
    )


def sees_aggregates_only(user, programme: Programme):
    """Under self-assessment, owners and managers see aggregates only."""
    if programme.purpose == Purpose.MANAGERIAL:
        return False
    return not programme.ambassadors.filter(pk=user.pk).exists()


def suppress_small_group(count):
    """No figure is shown to owners and managers for a group under the privacy minimum."""
    return count < settings.PRIVACY_MIN_GROUP_SIZE


@dataclass(frozen=True)
class Figure:
    """A figure offered to someone who sees aggregates only: its `key`, how many agents
    contribute to it (those whose shared results make it), and whether it is `pinned`, shown
    whatever the rule because the viewer sees its agents one by one anyway."""

    key: Hashable
    contributors: int
    pinned: bool = False


def withheld_figures(
    figures: Iterable[Figure], common: Callable[[Hashable, Hashable], tuple[int, bool]]
) -> set:
    """The keys of the figures withheld from someone who sees aggregates only: those with
    fewer contributors than the privacy minimum, and those whose contributors differ by
    fewer than the minimum (and at least one agent) from a figure they see, since
    subtracting one from the other would tell those few agents' results.

    `common(a, b)` answers how many contributors figures `a` and `b` share, and whether that
    number is exact; when it is only an upper bound, figures that might be identical are not
    told apart from figures a few agents apart, and one of them is withheld. Pinned figures
    are always seen; then the figures with the most contributors are kept first, the input
    order breaking ties, so that of two close figures the larger stays."""
    minimum = settings.PRIVACY_MIN_GROUP_SIZE
    figures = list(figures)
    seen = [figure for figure in figures if figure.pinned]
    withheld = set()
    for figure in sorted((f for f in figures if not f.pinned), key=lambda f: -f.contributors):
        if figure.contributors < minimum or any(
            _told_apart_by_few(figure, other, *common(figure.key, other.key), minimum)
            for other in seen
        ):
            withheld.add(figure.key)
        else:
            seen.append(figure)
    return withheld


def _told_apart_by_few(figure, other, shared: int, exact: bool, minimum: int) -> bool:
    difference = figure.contributors + other.contributors - 2 * shared
    return difference < minimum and (difference > 0 or not exact)


def can_import_results(user, programme: Programme):
    """Only staff, the programme's owners and the ambassadors of the programme or of one of
    its populations may import Pix results for it, and match its unmatched participants."""
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    return (
        Programme.objects.filter(pk=programme.pk)
        .filter(Q(owners=user) | Q(ambassadors=user) | Q(populations__ambassadors=user))
        .exists()
    )


def can_download_import_file(user, result_import, programme: Programme):
    """The raw uploaded export holds every participant's results: only staff and whoever
    uploaded it download it, and only until the programme's personal data is due for purge."""
    if programme.is_past_retention():
        return False
    return user.is_staff or (
        result_import.uploaded_by_id is not None and result_import.uploaded_by_id == user.pk
    )


def can_share_campaign(user, campaign, programme: Programme):
    """Staff, or whoever owns both the programme a campaign belongs to and `programme`, may
    let `programme` follow that campaign and see its results."""
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    owner_id = (
        CampaignOwnership.objects.filter(campaign=campaign)
        .values_list("programme_id", flat=True)
        .first()
    )
    if owner_id is None or owner_id == programme.pk:
        return False
    return Programme.objects.filter(pk__in=[owner_id, programme.pk], owners=user).count() == 2


def can_create_population(user, programme: Programme):
    """Staff and the programme's owners and ambassadors may create a population in it."""
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    return (
        Programme.objects.filter(pk=programme.pk)
        .filter(Q(owners=user) | Q(ambassadors=user))
        .exists()
    )


def can_manage_population(user, population: TargetPopulation):
    """The population's ambassadors, the programme's ambassadors and owners, and staff may
    change a population, its targets and its enrolments."""
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    return (
        TargetPopulation.objects.filter(pk=population.pk)
        .filter(Q(ambassadors=user) | Q(programme__ambassadors=user) | Q(programme__owners=user))
        .exists()
    )


# --- Accompaniment: check-ins, barriers, resources, mentoring ----------------------------------


def _accompanies_in_programme(user, programme: Programme):
    """The user is an ambassador of the programme or of one of its populations."""
    return (
        Programme.objects.filter(pk=programme.pk)
        .filter(Q(ambassadors=user) | Q(populations__ambassadors=user))
        .exists()
    )


def can_record_checkins(user, population: TargetPopulation):
    """Check-ins of a population are recorded (and read one by one) by its ambassadors, the
    programme's ambassadors, and staff: they hold individual notes."""
    if not user.is_authenticated:
        return False
    return user.is_staff or can_accompany_population(user, population)


def checkins_open_to_manager_line(programme: Programme):
    """Under the managerial purpose only, an agent's manager line reads their check-ins;
    under self-assessment they stay with the agent and the ambassadors, consent or not (the
    consent shares results, not the notes of the accompaniment)."""
    return programme.purpose == Purpose.MANAGERIAL


def can_view_checkins(user, agent, programme: Programme):
    """An agent's check-in notes are seen by the agent, the ambassadors of a population the
    agent is (or was) enrolled in, staff, and under the managerial purpose only, their
    manager line."""
    if not user.is_authenticated:
        return False
    if user.is_staff or (agent.user_id is not None and agent.user_id == user.pk):
        return True
    enrolled = Enrolment.objects.filter(agent=agent, population__programme=programme)
    if enrolled.filter(
        Q(population__ambassadors=user) | Q(population__programme__ambassadors=user)
    ).exists():
        return True
    return checkins_open_to_manager_line(programme) and is_in_manager_line(user, agent)


def can_edit_barriers(user, programme: Programme):
    """The list of barriers of a programme is edited by its owners and staff."""
    return user.is_authenticated and can_manage_programme(user, programme)


def can_manage_resources(user, programme: Programme):
    """A programme's resource catalogue is managed by its ambassadors (of the programme or of
    one of its populations), its owners, and staff."""
    if not user.is_authenticated:
        return False
    return (
        user.is_staff
        or can_manage_programme(user, programme)
        or _accompanies_in_programme(user, programme)
    )


def can_pair_mentors(user, programme: Programme):
    """Mentoring requests of a programme (they reveal gaps) are handled by its ambassadors (of
    the programme or of one of its populations) and staff."""
    if not user.is_authenticated:
        return False
    return user.is_staff or _accompanies_in_programme(user, programme)


# --- Reminders -----------------------------------------------------------------------------


def can_manage_reminders(user, programme: Programme):
    """A programme's reminder rules are set, and its reminders followed, by its owners, its
    ambassadors (of the programme or of one of its populations) and staff."""
    return can_import_results(user, programme)
