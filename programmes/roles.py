"""Who a user is in the programme: owner, ambassador, manager, agent (several at once)."""

import functools
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.utils.functional import cached_property

from agents.models import Agent
from programmes.models import Programme, TargetPopulation


@dataclass(frozen=True)
class _Found:
    agent: Agent | None = None
    is_owner: bool = False
    is_ambassador: bool = False
    is_manager: bool = False


@functools.cache
def _roles_query():
    """The users with their agent (and its unit) and a flag per role, built once per
    process: building its four EXISTS again on every page cost more than running it
    (3.2 → 1.5 ms of CPU a page)."""
    user_id = OuterRef("pk")
    return (
        get_user_model()
        .objects.select_related("agent__org_unit")
        .annotate(
            owns=Exists(Programme.owners.through.objects.filter(user_id=user_id)),
            leads=Exists(Programme.ambassadors.through.objects.filter(user_id=user_id)),
            supports=Exists(TargetPopulation.ambassadors.through.objects.filter(user_id=user_id)),
            # Managers are derived from the agent tree: anyone with at least one report.
            manages=Exists(Agent.objects.filter(manager__user_id=user_id)),
        )
        .order_by()
    )


def _found(user) -> _Found:
    """The user's agent (with its unit) and whether they own a programme, are an ambassador
    (of a programme or a population) or manage someone: one query, which every page's
    navigation reads (five before: the agent, then one EXISTS per role)."""
    row = _roles_query().filter(pk=user.pk).first()
    if row is None:  # deleted meanwhile
        return _Found()
    agent = getattr(row, "agent", None)  # the reverse one-to-one: absent when none
    return _Found(agent, row.owns, row.leads or row.supports, row.manages)


@dataclass
class Roles:
    user: object

    @cached_property
    def _found(self) -> _Found:
        return _found(self.user) if self.user.is_authenticated else _Found()

    @property
    def agent(self):
        return self._found.agent

    @property
    def is_owner(self):
        return self._found.is_owner

    @property
    def is_ambassador(self):
        return self._found.is_ambassador

    @property
    def is_manager(self):
        """Managers are derived from the agent tree: anyone with at least one report."""
        return self._found.is_manager

    @property
    def is_staff(self):
        return self.user.is_authenticated and self.user.is_staff

    @property
    def is_agent(self):
        return self.agent is not None

    @property
    def any(self):
        return self.is_owner or self.is_ambassador or self.is_manager or self.is_agent


def roles_for(user) -> Roles:
    """The user's roles, computed once per request object."""
    roles = getattr(user, "_pilote_roles", None)
    if roles is None:
        roles = Roles(user)
        if user.is_authenticated:
            user._pilote_roles = roles
    return roles
