from agents.models import Agent
from tests.agents.factories import AgentFactory, UserFactory


def test_reports_are_direct_and_indirect(db):
    head = AgentFactory()
    middle = AgentFactory(manager=head)
    leaf = AgentFactory(manager=middle)
    AgentFactory()  # elsewhere in the tree
    assert set(Agent.objects.reports_of(head)) == {middle, leaf}
    assert set(Agent.objects.reports_of(middle)) == {leaf}
    assert not Agent.objects.reports_of(leaf).exists()


def test_reports_stop_on_a_cycle(db):
    first = AgentFactory()
    second = AgentFactory(manager=first)
    first.manager = second
    first.save()
    assert set(Agent.objects.reports_of(first)) == {first, second}


def test_reports_among_some_agents_are_those_in_the_managers_line(db):
    head = AgentFactory()
    middle = AgentFactory(manager=head)
    leaf = AgentFactory(manager=middle)
    stranger = AgentFactory(manager=AgentFactory())
    among = [middle.pk, leaf.pk, stranger.pk, head.pk]
    for manager in (head, middle, leaf, stranger):
        expected = set(Agent.objects.reports_of(manager).filter(pk__in=among))
        assert set(Agent.objects.filter(pk__in=Agent.objects.reports_among(manager, among))) == (
            expected
        )
    assert not Agent.objects.filter(pk__in=Agent.objects.reports_among(head, [])).exists()
    # A loop in the line: each of the two is in the other's line, and in their own.
    first, second = AgentFactory(), AgentFactory()
    first.manager, second.manager = second, first
    Agent.objects.bulk_update([first, second], ["manager"])
    found = Agent.objects.filter(pk__in=Agent.objects.reports_among(first, [first.pk, second.pk]))
    assert set(found) == set(Agent.objects.reports_of(first)) == {first, second}


def test_agent_sees_self_and_reports_only(db):
    head = AgentFactory(with_user=True)
    report = AgentFactory(manager=head)
    stranger = AgentFactory()
    visible = set(Agent.objects.visible_to(head.user))
    assert visible == {head, report}
    assert stranger not in visible


def test_staff_see_every_agent_and_a_user_without_agent_none(db):
    AgentFactory.create_batch(3)
    assert Agent.objects.visible_to(UserFactory(staff=True)).count() == 3
    assert Agent.objects.visible_to(UserFactory()).count() == 0


def test_user_email_is_the_login_and_is_stored_lower_case(db):
    user = Agent._meta.get_field("user").related_model.objects.create_user(
        "Jeanne.Martin@Exemple.GOUV.fr", "un-mot-de-passe-solide"
    )
    assert user.email == "jeanne.martin@exemple.gouv.fr"
    assert user.check_password("un-mot-de-passe-solide")
