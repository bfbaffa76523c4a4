"""Who may do what in the agents app. Each predicate states its rule in one sentence."""


def can_import_agents(user) -> bool:
    """Staff and programme owners may load the HR list of agents."""
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    # The reverse relation of Programme.owners: agents must not import programmes.
    owned_programmes = getattr(user, "owned_programmes", None)
    return owned_programmes is not None and owned_programmes.exists()
