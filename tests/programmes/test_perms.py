import pytest
from django.utils import timezone

from programmes import perms
from programmes.models import SharingConsent
from programmes.roles import roles_for
from tests.agents.factories import AgentFactory, UserFactory


def test_agent_sees_own_results_in_self_assessment(cast):
    assert perms.can_view_individual_results(cast.agent, cast.agent_agent, cast.programme)


def test_ambassador_sees_results_of_their_population(cast):
    assert perms.can_view_individual_results(cast.ambassador, cast.agent_agent, cast.programme)


def test_manager_sees_aggregates_only_in_self_assessment(cast):
    assert not perms.can_view_individual_results(cast.manager, cast.agent_agent, cast.programme)


def test_owner_sees_aggregates_only_in_self_assessment(cast):
    assert not perms.can_view_individual_results(cast.owner, cast.agent_agent, cast.programme)
    assert perms.sees_aggregates_only(cast.owner, cast.programme)


def test_manager_sees_results_under_the_managerial_purpose(managerial_cast):
    cast = managerial_cast
    assert perms.can_view_individual_results(cast.manager, cast.agent_agent, cast.programme)
    assert not perms.sees_aggregates_only(cast.owner, cast.programme)


def test_indirect_manager_sees_results_under_the_managerial_purpose(managerial_cast):
    cast = managerial_cast
    head = AgentFactory(with_user=True)
    cast.manager_agent.manager = head
    cast.manager_agent.save()
    assert perms.can_view_individual_results(head.user, cast.agent_agent, cast.programme)


def test_consent_opens_results_to_the_manager_and_revoking_closes_them(cast):
    consent = SharingConsent.objects.create(agent=cast.agent_agent, programme=cast.programme)
    assert perms.can_view_individual_results(cast.manager, cast.agent_agent, cast.programme)
    consent.revoked_at = timezone.now()
    consent.save()
    assert not perms.can_view_individual_results(cast.manager, cast.agent_agent, cast.programme)


def test_consent_opens_results_to_the_direct_manager_only(cast):
    """« Partager mes résultats avec mon encadrant »: the manager's own manager is not named."""
    head = AgentFactory(with_user=True)
    cast.manager_agent.manager = head
    cast.manager_agent.save()
    SharingConsent.objects.create(agent=cast.agent_agent, programme=cast.programme)
    assert perms.can_view_individual_results(cast.manager, cast.agent_agent, cast.programme)
    assert not perms.can_view_individual_results(head.user, cast.agent_agent, cast.programme)


def test_consent_follows_the_agents_current_direct_manager(cast):
    """When the HR list gives the agent a new manager, the consent opens to the new one; the
    former manager, now above them in the line, no longer sees the results."""
    SharingConsent.objects.create(agent=cast.agent_agent, programme=cast.programme)
    newcomer = AgentFactory(with_user=True, manager=cast.manager_agent)
    cast.agent_agent.manager = newcomer
    cast.agent_agent.save()
    assert perms.can_view_individual_results(newcomer.user, cast.agent_agent, cast.programme)
    assert not perms.can_view_individual_results(cast.manager, cast.agent_agent, cast.programme)


def test_consent_does_not_open_results_to_the_owner(cast):
    SharingConsent.objects.create(agent=cast.agent_agent, programme=cast.programme)
    assert not perms.can_view_individual_results(cast.owner, cast.agent_agent, cast.programme)


def test_colleague_and_outsider_never_see_results(managerial_cast):
    cast = managerial_cast
    colleague = cast.team[1]
    assert not perms.can_view_individual_results(cast.outsider, colleague, cast.programme)
    assert not perms.can_view_individual_results(cast.agent, colleague, cast.programme)


def test_manager_cycle_in_the_tree_does_not_loop(cast):
    cast.manager_agent.manager = cast.agent_agent
    cast.manager_agent.save()
    assert perms.is_in_manager_line(cast.manager, cast.agent_agent)
    assert not perms.is_in_manager_line(cast.outsider, cast.agent_agent)


def test_the_manager_line_is_walked_up_to_the_viewer_only(cast, django_assert_num_queries):
    """A line of four managers above an agent: the direct manager is recognised without a
    query, the head of the line after one per level between, and someone outside after
    the whole line."""
    line = [AgentFactory(user=UserFactory())]
    for _ in range(3):
        line.append(AgentFactory(user=UserFactory(), manager=line[-1]))
    agent = AgentFactory(manager=line[-1])
    head, direct = line[0].user, line[-1].user
    for user in (head, direct, cast.outsider):
        assert roles_for(user).agent is not None or user == cast.outsider  # read once, here
    with django_assert_num_queries(0):
        assert perms.is_in_manager_line(direct, agent)
    with django_assert_num_queries(3):
        assert perms.is_in_manager_line(head, agent)
    with django_assert_num_queries(4):
        assert not perms.is_in_manager_line(cast.outsider, agent)


@pytest.mark.parametrize("count,suppressed", [(0, True), (4, True), (5, False), (40, False)])
def test_groups_under_five_are_suppressed(count, suppressed):
    assert perms.suppress_small_group(count) is suppressed


def test_roles_are_derived_from_programmes_and_the_agent_tree(cast):
    assert roles_for(cast.owner).is_owner
    assert not roles_for(cast.owner).is_manager
    assert roles_for(cast.ambassador).is_ambassador
    assert roles_for(cast.manager).is_manager
    assert roles_for(cast.manager).is_agent
    assert roles_for(cast.agent).is_agent
    assert not roles_for(cast.agent).is_manager
    outsider = roles_for(cast.outsider)
    assert (outsider.is_owner, outsider.is_ambassador, outsider.is_manager) == (
        False,
        False,
        False,
    )


def test_roles_and_the_agent_are_read_in_one_query(cast, django_assert_num_queries):
    """Every page's menu reads them: the agent with its unit, and each role, at once."""
    leader = UserFactory()
    cast.programme.ambassadors.add(leader)  # of the whole programme, no population
    with django_assert_num_queries(1):
        roles = roles_for(cast.manager)
        assert (roles.is_owner, roles.is_ambassador, roles.is_manager) == (False, False, True)
        assert roles.agent == cast.manager.agent
        assert roles.agent.org_unit.name  # came with it
    with django_assert_num_queries(1):
        roles = roles_for(leader)
        assert (roles.is_ambassador, roles.is_agent, roles.is_manager) == (True, False, False)
    with django_assert_num_queries(0):  # kept on the user for the request
        assert roles_for(leader).is_ambassador


def test_user_without_agent_or_programme_has_no_role(db):
    roles = roles_for(UserFactory())
    assert not roles.any


def _withheld(figures, common=None):
    common = common or {}

    def answer(a, b):
        return common.get(frozenset((a, b)), (0, True))

    return perms.withheld_figures([perms.Figure(*figure) for figure in figures], answer)


def test_a_figure_of_fewer_than_five_contributors_is_withheld():
    assert _withheld([("a", 4), ("b", 5)]) == {"a"}


def test_of_two_figures_four_agents_apart_the_larger_is_kept():
    common = {frozenset("ab"): (6, True)}
    assert _withheld([("a", 6), ("b", 10)], common) == {"a"}


def test_two_figures_five_agents_apart_are_both_kept():
    assert _withheld([("a", 6), ("b", 11)], {frozenset("ab"): (6, True)}) == set()


def test_figures_with_the_same_contributors_are_both_kept_when_that_is_known():
    assert _withheld([("a", 6), ("b", 6)], {frozenset("ab"): (6, True)}) == set()
    assert _withheld([("a", 6), ("b", 6)], {frozenset("ab"): (6, False)}) == {"b"}


def test_a_pinned_figure_is_kept_and_withholds_its_close_neighbour():
    common = {frozenset("ab"): (6, True)}
    assert _withheld([("a", 6, True), ("b", 7)], common) == {"b"}
    assert _withheld([("a", 3, True)]) == set()
