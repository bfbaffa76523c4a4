"""The run-through beside the check-in form: the agent's gaps in the population, the
resources recommended for them and the possible mentors, proposed in one click."""

from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from programmes.accompaniment.mentoring.services import mentor_volunteer
from programmes.models import Mentoring, ResourceUse
from tests.agents.factories import AgentFactory, UserFactory
from tests.campaigns.factories import CampaignFactory
from tests.programmes.factories import (
    EnrolmentFactory,
    ProgrammeFactory,
    TargetFactory,
    TargetPopulationFactory,
)
from tests.programmes.factories_accompaniment import (
    MentorFactory,
    MilestoneFactory,
    ResourceFactory,
    competence,
    share_levels,
)


def run_url(milestone, agent):
    return reverse("programmes:milestone_run", kwargs={"pk": milestone.pk}) + f"?agent={agent.pk}"


def resource_url(milestone, agent, resource):
    return reverse(
        "programmes:run_resource_propose",
        kwargs={"pk": milestone.pk, "agent_id": agent.pk, "resource_id": resource.pk},
    )


def mentor_url(milestone, agent, mentor):
    return reverse(
        "programmes:run_mentor_propose",
        kwargs={"pk": milestone.pk, "agent_id": agent.pk, "mentor_id": mentor.pk},
    )


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def run(cast):
    """The cast's agent in the cast's population (targets: 1.1 level 3, 2.1 level 2, 3.1
    level 2), with shared levels 1.1 at 1 and 3.1 at 2 (no result on 2.1); a resource on
    1.1, one on 5.1 (no gap there); a colleague at level 4 on 1.1 who volunteers."""
    population = cast.population
    TargetFactory(population=population, competence=competence("2.1"), level=2)
    TargetFactory(population=population, competence=competence("3.1"), level=2)
    campaign = CampaignFactory()
    cast.programme.campaigns.add(campaign)
    agent = cast.agent_agent
    share_levels(agent, campaign, {"1.1": 1, "3.1": 2})
    helper = AgentFactory(last_name="Aidant", first_name="Léa", org_unit=agent.org_unit)
    EnrolmentFactory(agent=helper, population=population)
    share_levels(helper, campaign, {"1.1": 4})
    mentor = mentor_volunteer(agent=helper, programme=cast.programme, competence=competence("1.1"))
    return SimpleNamespace(
        milestone=MilestoneFactory(population=population),
        agent=agent,
        campaign=campaign,
        resource=ResourceFactory(
            programme=cast.programme, title="Gérer ses fichiers", competences=["1.1"]
        ),
        off_gap=ResourceFactory(programme=cast.programme, title="Coder", competences=["5.1"]),
        mentor=mentor,
    )


def test_the_gaps_shown_are_the_population_targets_the_agent_is_below(client, cast, run):
    client.force_login(cast.ambassador)
    response = client.get(run_url(run.milestone, run.agent))
    gaps = [(g.competence.code, g.current, g.target) for g in response.context["aids"].gaps]
    targets = {t.competence.code: t.level for t in cast.population.targets.all()}
    assert gaps == [("1.1", 1, targets["1.1"]), ("2.1", 0, targets["2.1"])]
    html = response.content.decode()
    assert 'id="run-gaps"' in html and "Gérer ses fichiers" in html and "Coder" not in html
    assert f"Mettre en relation avec {run.mentor.agent.full_name}" in html
    assert mentor_url(run.milestone, run.agent, run.mentor) in html


def test_an_agent_at_every_target_has_no_gap_nor_proposal(client, cast, run):
    share_levels(run.agent, run.campaign, {"1.1": 3, "2.1": 2, "3.1": 2}, days_ago=1)
    client.force_login(cast.ambassador)
    response = client.get(run_url(run.milestone, run.agent))
    assert response.context["aids"].gaps == []
    assert "Aucun écart" in response.content.decode()
    assert "/proposer/" not in response.content.decode()


def test_proposing_a_resource_creates_one_follow_up_and_comes_back_to_the_agent(client, cast, run):
    client.force_login(cast.ambassador)
    response = client.post(resource_url(run.milestone, run.agent, run.resource))
    assert response.status_code == 302
    assert response.url == run_url(run.milestone, run.agent) + "#run-aids"
    assert "« Gérer ses fichiers » est proposée" in messages_of(response)[0]
    assert ResourceUse.objects.filter(agent=run.agent, resource=run.resource).count() == 1
    again = client.post(resource_url(run.milestone, run.agent, run.resource))
    assert "figurait déjà" in messages_of(again)[-1]
    assert ResourceUse.objects.count() == 1
    page = client.get(run_url(run.milestone, run.agent)).content.decode()
    assert "dans son suivi depuis le" in page


def test_a_resource_not_recommended_for_the_gaps_is_refused_and_nothing_changes(client, cast, run):
    client.force_login(cast.ambassador)
    response = client.post(resource_url(run.milestone, run.agent, run.off_gap))
    assert "n’est pas recommandée" in messages_of(response)[0]
    assert not ResourceUse.objects.exists()


def test_proposing_a_mentor_pairs_them_once(client, cast, run):
    client.force_login(cast.ambassador)
    response = client.post(mentor_url(run.milestone, run.agent, run.mentor))
    assert response.url == run_url(run.milestone, run.agent) + "#run-aids"
    assert f"mis·e en relation avec {run.mentor.agent.full_name} en 1.1" in messages_of(response)[0]
    mentoring = Mentoring.objects.get()
    assert (mentoring.mentee, mentoring.mentor, mentoring.paired_by) == (
        run.agent,
        run.mentor,
        cast.ambassador,
    )
    again = client.post(mentor_url(run.milestone, run.agent, run.mentor))
    assert "était déjà accompagné·e" in messages_of(again)[-1]
    assert Mentoring.objects.count() == 1
    page = client.get(run_url(run.milestone, run.agent)).content.decode()
    assert f"accompagné·e par {run.mentor.agent.full_name}" in page


def test_a_second_mentor_on_a_paired_gap_is_refused_and_nothing_changes(client, cast, run):
    other = AgentFactory(last_name="Bis", first_name="Marc")
    EnrolmentFactory(agent=other, population=cast.population)
    share_levels(other, run.campaign, {"1.1": 5})
    second = mentor_volunteer(agent=other, programme=cast.programme, competence=competence("1.1"))
    client.force_login(cast.ambassador)
    client.post(mentor_url(run.milestone, run.agent, run.mentor))
    response = client.post(mentor_url(run.milestone, run.agent, second))
    assert "déjà un·e compagnon·ne" in messages_of(response)[-1]
    assert Mentoring.objects.get().mentor == run.mentor


def test_a_mentor_on_a_competence_without_gap_is_refused(client, cast, run):
    elsewhere = MentorFactory(programme=cast.programme, competence=competence("3.1"))
    client.force_login(cast.ambassador)
    response = client.post(mentor_url(run.milestone, run.agent, elsewhere))
    assert "rien n’a changé" in messages_of(response)[0]
    assert not Mentoring.objects.exists()


def test_an_ambassador_of_another_population_cannot_propose_anything(client, cast, run):
    """Another population of the same programme, with its own ambassador: 404 on this
    population's milestone and agents, nothing written."""
    neighbour = UserFactory()
    TargetPopulationFactory(programme=cast.programme, name="Voisins", ambassadors=[neighbour])
    client.force_login(neighbour)
    assert client.post(resource_url(run.milestone, run.agent, run.resource)).status_code == 404
    assert client.post(mentor_url(run.milestone, run.agent, run.mentor)).status_code == 404
    assert client.get(run_url(run.milestone, run.agent)).status_code == 404
    assert not ResourceUse.objects.exists() and not Mentoring.objects.exists()


def test_outside_the_population_or_the_programme_is_404(client, cast, run):
    client.force_login(cast.ambassador)
    stranger = cast.stranger_agent  # enrolled in another programme's population
    foreign_resource = ResourceFactory(programme=ProgrammeFactory(), competences=["1.1"])
    foreign_mentor = MentorFactory(programme=ProgrammeFactory())
    assert client.post(resource_url(run.milestone, stranger, run.resource)).status_code == 404
    assert client.post(mentor_url(run.milestone, stranger, run.mentor)).status_code == 404
    assert client.post(resource_url(run.milestone, run.agent, foreign_resource)).status_code == 404
    assert client.post(mentor_url(run.milestone, run.agent, foreign_mentor)).status_code == 404
    assert not ResourceUse.objects.exists() and not Mentoring.objects.exists()


@pytest.mark.parametrize("role,status", [("owner", 403), ("agent", 404), ("outsider", 404)])
def test_only_those_who_record_checkins_propose(client, cast, run, role, status):
    client.force_login(getattr(cast, role))
    assert client.post(resource_url(run.milestone, run.agent, run.resource)).status_code == status
    assert client.post(mentor_url(run.milestone, run.agent, run.mentor)).status_code == status
    assert not ResourceUse.objects.exists() and not Mentoring.objects.exists()


def test_proposals_are_post_only(client, cast, run):
    client.force_login(cast.ambassador)
    assert client.get(resource_url(run.milestone, run.agent, run.resource)).status_code == 405
    assert client.get(mentor_url(run.milestone, run.agent, run.mentor)).status_code == 405


def test_the_run_page_query_count_does_not_grow_with_resources_mentors_and_gaps(
    client, cast, run, django_assert_num_queries
):
    # First in run-through order: the next agent is found in one query (the last one needs
    # a second, to come back round; tests/programmes/accompaniment/test_checkins.py pins both).
    run.agent.last_name = "A"
    run.agent.save()
    client.force_login(cast.ambassador)
    url = run_url(run.milestone, run.agent)
    with django_assert_num_queries(22):
        assert client.get(url).status_code == 200
    for code in ("4.1", "4.2"):
        TargetFactory(population=cast.population, competence=competence(code), level=3)
    for _ in range(6):
        ResourceFactory(programme=cast.programme, competences=["1.1", "4.1"])
        MentorFactory(programme=cast.programme, competence=competence("4.2"))
    client.post(mentor_url(run.milestone, run.agent, run.mentor))
    client.post(resource_url(run.milestone, run.agent, run.resource))
    with django_assert_num_queries(22):
        response = client.get(url)
    assert len(response.context["aids"].gaps) == 4
