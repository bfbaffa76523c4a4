from programmes.roles import roles_for


def roles(request):
    """The navigation is role-aware: every page knows who the user is in the programme."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"roles": roles_for(user)}
