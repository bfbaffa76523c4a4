"""Who may do what in the agents app. Each predicate states its rule in one sentence."""

HR_LIST_PERMISSION = "agents.manage_hr_list"


def can_import_agents(user) -> bool:
    """Only an organisation administrator (staff, or a « gestionnaire RH » holding the
    agents.manage_hr_list permission) may load the HR list, which changes everyone's unit,
    manager and e-mail; owning a programme or accompanying a population is not enough."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_staff or user.has_perm(HR_LIST_PERMISSION)
