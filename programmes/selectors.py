"""Reads that cross the agents and programmes apps."""

from django.db.models import Count, Q
from django.utils import timezone

from agents.models import Agent

from .models import Enrolment, Programme, TargetPopulation


def visible_agents(user):
    """Agents whose identity `user` may see: what the agents app allows (self, reports, all for
    staff), plus the agents enrolled in the populations the user accompanies or whose programme
    the user owns."""
    if not user.is_authenticated:
        return Agent.objects.none()
    if user.is_staff:
        return Agent.objects.all()
    enrolled = Enrolment.objects.filter(
        Q(population__ambassadors=user)
        | Q(population__programme__ambassadors=user)
        | Q(population__programme__owners=user)
    ).values("agent_id")
    base = Agent.objects.visible_to(user).values("pk")
    return Agent.objects.filter(Q(pk__in=base) | Q(pk__in=enrolled))


def populations_with_counts(queryset, today=None):
    """Populations annotated with their current head count and number of targets."""
    today = today or timezone.localdate()
    current = Q(enrolments__start_date__lte=today) & (
        Q(enrolments__end_date__isnull=True) | Q(enrolments__end_date__gte=today)
    )
    return queryset.select_related("programme").annotate(
        enrolled_count=Count("enrolments", filter=current, distinct=True),
        target_count=Count("targets", distinct=True),
    )


def programmes_for_home(user):
    return (
        Programme.objects.visible_to(user)
        .annotate(population_count=Count("populations", distinct=True))
        .order_by("-start_date", "name")
    )


def populations_of_agent(agent, today=None):
    """The agent's current enrolments, with population, programme and targets."""
    return (
        Enrolment.objects.current(today)
        .filter(agent=agent)
        .select_related("population__programme")
        .prefetch_related("population__targets__competence", "population__targets__campaign")
        .order_by("population__programme__name", "population__name")
    )


def accompanied_populations(user):
    return populations_with_counts(TargetPopulation.objects.with_ambassador(user))
