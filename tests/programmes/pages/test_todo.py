"""The ambassador's home as a to-do list: each count equals what the page it links to lists
(read with that page's own context), only the populations the user accompanies count, and
the query count does not grow with the rows."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.enums import ImportStatus, MatchStatus
from programmes.enums import OutgoingStatus, ProgressStatus
from programmes.models import DismissedParticipant, Enrolment
from tests.agents.factories import AgentFactory, UserFactory
from tests.campaigns.factories import CampaignFactory
from tests.programmes.factories import EnrolmentFactory, TargetFactory, TargetPopulationFactory
from tests.programmes.factories_accompaniment import (
    CheckInFactory,
    MentoringFactory,
    MilestoneFactory,
    share_levels,
)
from tests.programmes.factories_reminders import ReminderFactory
from tests.programmes.import_factories import programme_import, waiting_participation


def _todo(client, user):
    client.force_login(user)
    response = client.get(reverse("programmes:todo"))
    assert response.status_code == 200
    return response


def _tasks(response):
    (todo,) = response.context["todos"]
    return {task.key: task for task in todo.tasks}


def _listed(client, url):
    """How many rows the linked page lists (its paginator's count)."""
    response = client.get(url)
    assert response.status_code == 200
    return response.context["page_obj"].paginator.count


def _stall(agent, programme, days):
    campaign = CampaignFactory()
    programme.campaigns.add(campaign)
    share_levels(agent, campaign, {"1.1": 1}, days_ago=days)


@pytest.fixture
def busy(cast):
    """Work waiting in the cast's programme: 3 persons to match (one with two
    participations), one to confirm, one dismissed; one import ready, one failed, one done;
    two pending mentoring requests and a paired one; two failed reminders; a milestone
    where one agent of six was seen; three stalled agents, one of them seen 10 days ago."""
    programme = cast.programme
    campaign = CampaignFactory()
    first = waiting_participation(programme, campaign=campaign)
    waiting_participation(
        programme, participant_key=first.participant_key, participant_external_id="X"
    )
    waiting_participation(programme, campaign=campaign)
    waiting_participation(programme, campaign=campaign)
    waiting_participation(
        programme, campaign=campaign, agent=cast.team[1], match_status=MatchStatus.TO_CONFIRM
    )
    dismissed = waiting_participation(programme, campaign=campaign)
    DismissedParticipant.objects.create(
        programme=programme, participant_key=dismissed.participant_key
    )
    programme_import(programme, status=ImportStatus.READY)
    programme_import(programme, status=ImportStatus.FAILED)
    programme_import(programme, status=ImportStatus.DONE)
    MentoringFactory(programme=programme, mentee=cast.agent_agent)
    MentoringFactory(programme=programme, mentee=cast.team[1])
    MentoringFactory(programme=programme, mentee=cast.team[2], paired=True)
    ReminderFactory.create_batch(2, population=cast.population, status=OutgoingStatus.FAILED)
    ReminderFactory(population=cast.population, status=OutgoingStatus.SENT)
    today = timezone.localdate()
    milestone = MilestoneFactory(population=cast.population, date=today - timedelta(days=10))
    MilestoneFactory(population=cast.population, date=today + timedelta(days=20))
    for agent in cast.team[3:6]:
        _stall(agent, programme, 45)
    CheckInFactory(milestone=milestone, agent=cast.team[3])
    return cast


def test_each_count_equals_what_the_linked_page_lists(client, busy):
    tasks = _tasks(_todo(client, busy.ambassador))
    assert tasks["unmatched"].count == 3  # persons, not participations; dismissed left out
    assert tasks["to_confirm"].count == 1
    assert tasks["imports"].count == 2
    assert tasks["mentoring"].count == 2
    assert tasks["failed_mails"].count == 2
    not_seen = tasks[f"not_seen_{busy.population.pk}"]
    assert not_seen.count == 5
    stalled = tasks[f"stalled_{busy.population.pk}"]
    assert stalled.count == 2
    for key in ("unmatched", "to_confirm", "imports", "failed_mails", "stalled"):
        task = tasks[key] if key != "stalled" else stalled
        assert _listed(client, task.url) == task.count, key
    assert _listed(client, not_seen.url) == not_seen.count
    milestone_page = client.get(not_seen.url)
    assert milestone_page.context["progress"].remaining == not_seen.count
    mentoring_page = client.get(tasks["mentoring"].url)
    assert len(mentoring_page.context["pending"]) == tasks["mentoring"].count
    queue_page = client.get(tasks["unmatched"].url)
    assert queue_page.context["counts"]["unmatched"] == tasks["unmatched"].count


def test_the_agents_not_seen_count_each_current_agent_once(client, busy):
    """An agent enrolled twice at once (a dated leave to come, a new open enrolment) is one
    agent not seen; one who left, though seen at the milestone, is no longer counted."""
    population, today = busy.population, timezone.localdate()
    twice, left = busy.team[1], busy.team[3]  # team[3] has the milestone's check-in
    population.enrolments.filter(agent=twice).update(end_date=today + timedelta(days=30))
    EnrolmentFactory(agent=twice, population=population, start_date=today)
    population.enrolments.filter(agent=left).update(end_date=today)
    not_seen = _tasks(_todo(client, busy.ambassador))[f"not_seen_{population.pk}"]
    assert not_seen.count == 5  # six agents, one left, none of the other five seen
    assert _listed(client, not_seen.url) == not_seen.count
    assert client.get(not_seen.url).context["progress"].remaining == not_seen.count


def test_the_home_shows_the_tasks_as_links_and_the_rest_as_done(client, busy):
    response = _todo(client, busy.ambassador)
    content = response.content.decode()
    tasks = _tasks(response)
    assert "3 participants à rapprocher d’un agent" in content
    assert f'href="{tasks["unmatched"].url}"' in content
    assert "Déjà à jour" not in content  # nothing is at zero here
    assert "Importer des résultats Pix" in content


def test_items_at_zero_are_shown_as_done(client, cast):
    response = _todo(client, cast.ambassador)
    content = response.content.decode()
    assert "Rien à faire pour ce programme" in content
    assert "Aucun participant à rapprocher" in content
    assert all(task.count == 0 for task in _tasks(response).values())


def test_the_ambassador_lands_on_the_to_do_list(client, cast):
    client.force_login(cast.ambassador)
    assert client.get(reverse("home")).url == reverse("programmes:todo")


def test_an_ambassador_of_one_population_sees_that_population_s_work_only(client, busy):
    other = TargetPopulationFactory(programme=busy.programme, name="Autres")
    TargetFactory(population=other)
    lone = UserFactory()
    other.ambassadors.add(lone)
    outsiders = AgentFactory.create_batch(3)
    for agent in outsiders:
        EnrolmentFactory(agent=agent, population=other)
        _stall(agent, busy.programme, 70)
    MilestoneFactory(population=other, date=timezone.localdate())
    tasks = _tasks(_todo(client, lone))
    assert f"not_seen_{busy.population.pk}" not in tasks
    assert f"stalled_{busy.population.pk}" not in tasks
    assert tasks[f"not_seen_{other.pk}"].count == 3
    assert tasks[f"stalled_{other.pk}"].count == 3
    # Requests and failed mails of the other population's agents are not theirs.
    assert tasks["mentoring"].count == 0
    assert tasks["failed_mails"].count == 0
    assert _listed(client, tasks["failed_mails"].url) == 0
    assert len(client.get(tasks["mentoring"].url).context["pending"]) == 0


def test_someone_who_accompanies_no_one_has_nothing_to_do(client, cast):
    response = _todo(client, cast.owner)
    assert response.context["todos"] == []


def test_query_count_does_not_grow_with_the_rows(client, busy, django_assert_num_queries):
    client.force_login(busy.ambassador)
    url = reverse("programmes:todo")
    client.get(url)
    pinned = 13
    with django_assert_num_queries(pinned):
        client.get(url)
    for agent in AgentFactory.create_batch(4):
        EnrolmentFactory(agent=agent, population=busy.population)
        _stall(agent, busy.programme, 80)
        waiting_participation(busy.programme)
        MentoringFactory(programme=busy.programme, mentee=agent)
        ReminderFactory(population=busy.population, agent=agent, status=OutgoingStatus.FAILED)
        programme_import(busy.programme, status=ImportStatus.READY)
    with django_assert_num_queries(pinned):
        response = client.get(url)
    assert _tasks(response)[f"stalled_{busy.population.pk}"].count == 6


def test_stalled_counts_with_and_without_a_recent_milestone_match_the_page(
    client, busy, django_assert_num_queries
):
    """A population whose milestones are all older than 60 days and one with a recent
    milestone both count their stalled agents without a recent check-in from their tally
    (the day of last check-in on its key): both equal the population page's list, in one
    query for both."""
    today = timezone.localdate()
    old = TargetPopulationFactory(programme=busy.programme, ambassadors=[busy.ambassador])
    TargetFactory(population=old)
    agents = AgentFactory.create_batch(4)
    for days, agent in zip((80, 80, 80, 5), agents, strict=True):
        EnrolmentFactory(agent=agent, population=old, start_date=today - timedelta(days=200))
        _stall(agent, busy.programme, days)
    long_ago = MilestoneFactory(population=old, date=today - timedelta(days=90))
    CheckInFactory(milestone=long_ago, agent=agents[0])  # seen, but not for 60 days
    Enrolment.objects.filter(agent=agents[1], population=old).update(
        end_date=today - timedelta(days=1)
    )  # left: not counted
    response = _todo(client, busy.ambassador)
    tasks = {task.key: task for todo in response.context["todos"] for task in todo.tasks}
    assert tasks[f"stalled_{old.pk}"].count == 2
    assert tasks[f"stalled_{busy.population.pk}"].count == 2
    for population in (old, busy.population):
        task = tasks[f"stalled_{population.pk}"]
        assert _listed(client, task.url) == task.count, population.name
    url = reverse("programmes:todo")
    with django_assert_num_queries(13):  # as with one kind of population only
        client.get(url)


def test_the_population_page_filters_agents_without_a_check_in(client, busy):
    client.force_login(busy.ambassador)
    url = reverse("programmes:population_detail", kwargs={"pk": busy.population.pk})
    stalled = client.get(url, {"statut": ProgressStatus.STALLED.slug})
    assert stalled.context["page_obj"].paginator.count == 3
    quiet = client.get(url, {"statut": ProgressStatus.STALLED.slug, "sans-point": "60"})
    assert quiet.context["page_obj"].paginator.count == 2
    assert busy.team[3] not in [e.agent for e in quiet.context["page_obj"]]
    # Any other period is ignored, as an unknown filter.
    assert client.get(url, {"sans-point": "7"}).context["page_obj"].paginator.count == 6


# --- « Importer des résultats Pix » in the menu ---------------------------------------------


def test_the_menu_offers_the_import_to_those_who_may_import(client, cast):
    client.force_login(cast.ambassador)
    content = client.get(reverse("programmes:todo")).content.decode()
    assert reverse("programmes:import_start") in content
    client.force_login(cast.agent)
    content = client.get(reverse("programmes:my_page")).content.decode()
    assert reverse("programmes:import_start") not in content


def test_the_import_entry_opens_the_one_programme_s_import_page(client, cast):
    client.force_login(cast.ambassador)
    response = client.get(reverse("programmes:import_start"))
    assert response.url == reverse("programmes:import_upload", kwargs={"slug": cast.programme.slug})


def test_the_import_entry_lists_several_programmes(client, cast):
    cast.other_population.ambassadors.add(cast.ambassador)
    client.force_login(cast.ambassador)
    response = client.get(reverse("programmes:import_start"))
    assert response.status_code == 200
    assert [p.pk for p in response.context["programmes"]] == sorted(
        [cast.programme.pk, cast.other_population.programme.pk],
        key=lambda pk: next(p.name for p in response.context["programmes"] if p.pk == pk),
    )
    for programme in response.context["programmes"]:
        assert reverse("programmes:import_upload", kwargs={"slug": programme.slug}) in (
            response.content.decode()
        )


def test_the_import_entry_is_not_found_for_those_who_may_not_import(client, cast):
    client.force_login(cast.agent)
    assert client.get(reverse("programmes:import_start")).status_code == 404
