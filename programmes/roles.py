"""Who a user is in the programme: owner, ambassador, manager, agent (several at once)."""

from dataclasses import dataclass

from django.utils.functional import cached_property

from agents.models import Agent


@dataclass
class Roles:
    user: object

    @cached_property
    def agent(self):
        if not self.user.is_authenticated:
            return None
        return Agent.objects.filter(user=self.user).select_related("org_unit").first()

    @cached_property
    def is_owner(self):
        return self.user.is_authenticated and self.user.owned_programmes.exists()

    @cached_property
    def is_ambassador(self):
        return self.user.is_authenticated and (
            self.user.ambassador_populations.exists() or self.user.ambassador_programmes.exists()
        )

    @cached_property
    def is_manager(self):
        """Managers are derived from the agent tree: anyone with at least one report."""
        return self.agent is not None and self.agent.direct_reports.exists()

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
