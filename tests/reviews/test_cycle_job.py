"""Issue 18: a review cycle's sheets are created by a background job, by batches of agents in
a fixed number of queries per batch, its progress recorded on the cycle and followed by the
cycle's page; running it twice adds nothing; a broker that refuses the job or a job that
fails leaves a cycle that says so and a "Relancer" that works."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from agents.models import Agent
from programmes.models import Enrolment
from reviews import services_cycles, tasks
from reviews.models import Review, ReviewCycle, ReviewState, SyncState
from tests.agents.factories import AgentFactory, UserFactory
from tests.integration.fault_helpers import broker_at, closed_port
from tests.programmes.factories import (
    EnrolmentFactory,
    ProgrammeFactory,
    TargetPopulationFactory,
)
from tests.reviews.factories import ReviewCycleFactory, ReviewFactory

OPEN_DATA = {"year": "2026", "opens_on": "2026-10-01", "closes_on": "2026-12-31"}
# Per run: the cycle, the programme's populations, the agents to cover, RUNNING, the cycle's
# stored counts marked out of date, DONE. Per batch: its savepoint and release, the batch's
# last agent id, the INSERT … SELECT, the managers' UPDATE, the progress.
RUN_QUERIES, BATCH_QUERIES = 6, 6
# cycle_sync called on its own: the populations and the counts marked out of date, then per
# batch the same without progress.
SYNC_QUERIES, SYNC_BATCH_QUERIES = 2, 5


def _enrol(cast, count):
    """`count` more agents of the manager's team enrolled in the programme."""
    for _n in range(count):
        EnrolmentFactory(agent=AgentFactory(manager=cast.manager_agent), population=cast.population)


def _queued_cycle(cast):
    return ReviewCycleFactory(programme=cast.programme, sync_state=SyncState.QUEUED)


def _messages(response):
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def _detail_url(cycle):
    return reverse("reviews:cycle_detail", kwargs={"pk": cycle.pk})


def _sync_url(cycle):
    return reverse("reviews:cycle_sync", kwargs={"pk": cycle.pk})


# --- The job: batches, queries, idempotence, progress ---------------------------------------


@pytest.mark.parametrize(
    "size,more_agents,batches",
    [
        # The cast enrols 6 agents. A batch is `size` agents; the last one, shorter (or empty
        # when the agents fill whole batches), runs to the end.
        (3, 0, 3),
        (3, 2, 3),
        (3, 3, 4),
        (30, 54, 3),  # ten times larger batches, same number of them: same queries
    ],
)
def test_each_batch_costs_the_same_queries_whatever_its_size(
    cast, settings, django_assert_num_queries, size, more_agents, batches
):
    settings.REVIEWS_SYNC_BATCH_SIZE = size
    _enrol(cast, more_agents)
    cycle = _queued_cycle(cast)
    with django_assert_num_queries(RUN_QUERIES + BATCH_QUERIES * batches):
        added = services_cycles.cycle_sync_run(cycle_id=cycle.pk)
    assert added == len(cast.team) + more_agents
    assert cycle.reviews.count() == added


def test_two_and_three_batches_worth_differ_by_one_batch_of_queries(cast, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.REVIEWS_SYNC_BATCH_SIZE = 2
    counts = []
    for extra in (0, 2):  # 6 agents then 8: 4 batches then 5
        _enrol(cast, extra)
        cycle = ReviewCycleFactory(programme=cast.programme, year=2030 + extra)
        with CaptureQueriesContext(connection) as queries:
            services_cycles.cycle_sync(cycle=cycle)
        counts.append(len(queries))
    assert counts == [SYNC_QUERIES + SYNC_BATCH_QUERIES * 4, SYNC_QUERIES + SYNC_BATCH_QUERIES * 5]


def test_running_the_job_twice_adds_nothing_and_keeps_the_sheets(cast, settings):
    settings.REVIEWS_SYNC_BATCH_SIZE = 4
    cycle = _queued_cycle(cast)
    assert tasks.sync_cycle.delay(cycle.pk).get() == len(cast.team)
    before = dict(Review.objects.filter(cycle=cycle).values_list("agent_id", "pk"))
    Review.objects.filter(cycle=cycle, agent=cast.agent_agent).update(state=ReviewState.PREPARED)
    assert tasks.sync_cycle.delay(cycle.pk).get() == 0
    assert dict(Review.objects.filter(cycle=cycle).values_list("agent_id", "pk")) == before
    assert Review.objects.get(cycle=cycle, agent=cast.agent_agent).state == ReviewState.PREPARED
    cycle.refresh_from_db()
    assert (cycle.sync_state, cycle.sheets_added) == (SyncState.DONE, 0)


def test_the_job_records_its_progress_batch_by_batch(cast, settings, monkeypatch):
    settings.REVIEWS_SYNC_BATCH_SIZE = 4
    _enrol(cast, 3)  # 9 agents: batches of 4, 4, then 1
    cycle = _queued_cycle(cast)
    seen = []
    upper_of = services_cycles._batch_upper

    def watched(*args):
        row = ReviewCycle.objects.get(pk=cycle.pk)
        seen.append((row.sync_state, row.sheets_done, row.sheets_total, cycle.reviews.count()))
        return upper_of(*args)

    monkeypatch.setattr(services_cycles, "_batch_upper", watched)
    services_cycles.cycle_sync_run(cycle_id=cycle.pk)
    running = SyncState.RUNNING
    assert seen == [(running, 0, 9, 0), (running, 4, 9, 4), (running, 8, 9, 8)]
    cycle.refresh_from_db()
    assert (cycle.sync_state, cycle.sheets_done, cycle.sheets_total) == (SyncState.DONE, 9, 9)
    assert cycle.sheets_added == 9
    assert cycle.sync_started_at <= cycle.sync_progress_at <= cycle.sync_finished_at


def test_batches_keep_the_sheet_rules(cast, settings):
    """Two populations, agents who left or are not there yet, another programme, an agent
    without a manager, existing sheets: the batches change none of the rules."""
    settings.REVIEWS_SYNC_BATCH_SIZE = 2
    EnrolmentFactory(agent=cast.team[0], population=cast.other_population)
    second = TargetPopulationFactory(programme=cast.programme)
    for agent in cast.team[1:3]:  # twice in the programme
        EnrolmentFactory(agent=agent, population=second)
    Enrolment.objects.filter(agent=cast.team[3]).update(start_date=datetime.date(2099, 1, 1))
    Agent.objects.filter(pk=cast.team[4].pk).update(manager=None)
    cycle = _queued_cycle(cast)
    kept = ReviewFactory(cycle=cycle, agent=cast.team[5], state=ReviewState.SHARED)
    assert services_cycles.cycle_sync_run(cycle_id=cycle.pk) == 4
    sheets = dict(cycle.reviews.values_list("agent_id", "manager_id"))
    expected = {a.pk for a in cast.team} - {cast.team[3].pk}
    assert set(sheets) == expected and cast.stranger_agent.pk not in sheets
    assert sheets[cast.team[4].pk] is None
    assert cycle.reviews.get(pk=kept.pk).state == ReviewState.SHARED
    assert set(cycle.reviews.values_list("state", flat=True)) == {"to_prepare", "shared"}
    # The manager known since is given to the sheet in its batch.
    Agent.objects.filter(pk=cast.team[4].pk).update(manager=cast.manager_agent)
    assert services_cycles.cycle_sync(cycle=cycle) == 0
    assert cycle.reviews.get(agent=cast.team[4]).manager_id == cast.manager_agent.pk


def test_a_job_that_fails_midway_keeps_its_batches_and_relancer_finishes(
    client, cast, settings, monkeypatch
):
    settings.REVIEWS_SYNC_BATCH_SIZE = 4
    cycle = _queued_cycle(cast)
    add = services_cycles._add_sheets
    calls = []

    def second_batch_fails(*args):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return add(*args)

    monkeypatch.setattr(services_cycles, "_add_sheets", second_batch_fails)
    assert tasks.sync_cycle.delay(cycle.pk).get() is None  # logged, recorded, not raised
    cycle.refresh_from_db()
    assert cycle.sync_state == SyncState.FAILED and cycle.reviews.count() == 4
    client.force_login(cast.owner)
    page = client.get(_detail_url(cycle))
    html = page.content.decode()
    assert "Refresh" not in page
    assert 'id="sync-problem"' in html and "après 4 agents traités sur 6" in html
    assert 'id="sync-retry"' in html and 'id="progress"' not in html

    monkeypatch.setattr(services_cycles, "_add_sheets", add)
    response = client.post(_sync_url(cycle))
    assert "2 fiche(s) ajoutée(s)" in _messages(response)
    cycle.refresh_from_db()
    assert cycle.sync_state == SyncState.DONE and cycle.reviews.count() == len(cast.team)


# --- The page while the job runs, and once done ---------------------------------------------


def test_the_cycle_page_follows_the_job_and_stops_reloading_once_done(client, cast):
    cycle = ReviewCycleFactory(
        programme=cast.programme,
        sync_state=SyncState.RUNNING,
        sheets_total=100_000,
        sheets_done=40_000,
        sync_started_at=timezone.now(),
        sync_progress_at=timezone.now(),
    )
    ReviewFactory(cycle=cycle, agent=cast.agent_agent)
    client.force_login(cast.owner)
    page = client.get(_detail_url(cycle))
    html = page.content.decode()
    assert page["Refresh"] == "3"
    assert "Création des fiches d’entretien en cours" in html
    assert 'role="status" aria-live="polite"' in html
    spaced = html.replace("\xa0", " ").replace("\u202f", " ")
    assert "40 000 agents traités sur 100 000" in spaced
    assert 'max="100000" value="40000"' in html
    assert 'id="progress"' not in html  # the per-service table waits for every sheet
    assert 'id="sync-retry"' not in html and 'id="sync-stale"' not in html
    stopped = client.get(_detail_url(cycle), {"actualiser": "non"})
    assert "Refresh" not in stopped
    assert "Reprendre l’actualisation automatique" in stopped.content.decode()

    ReviewCycle.objects.filter(pk=cycle.pk).update(
        sync_state=SyncState.DONE, sheets_done=100_000, sync_finished_at=timezone.now()
    )
    done = client.get(_detail_url(cycle))
    assert "Refresh" not in done
    html = done.content.decode()
    assert 'id="progress"' in html and 'id="sync-progress"' not in html
    assert "Ajouter les fiches des nouveaux inscrits" in html


# Session, user, the header's roles (1); the cycle (scoped), is an owner, the year-on-year
# populations and stats rows: no count of sheets while they are being created.
RUNNING_PAGE_QUERIES = 7


def test_the_page_of_a_running_job_queries_do_not_grow_with_the_sheets(
    client, cast, django_assert_num_queries
):
    cycle = ReviewCycleFactory(
        programme=cast.programme, sync_state=SyncState.RUNNING, sync_progress_at=timezone.now()
    )
    client.force_login(cast.owner)
    with django_assert_num_queries(RUNNING_PAGE_QUERIES):
        assert client.get(_detail_url(cycle)).status_code == 200
    services_cycles.cycle_sync(cycle=cycle)
    _enrol(cast, 5)
    services_cycles.cycle_sync(cycle=cycle)
    with django_assert_num_queries(RUNNING_PAGE_QUERIES):
        assert client.get(_detail_url(cycle)).status_code == 200


def test_a_queued_job_says_it_waits(client, cast):
    cycle = _queued_cycle(cast)
    client.force_login(cast.owner)
    page = client.get(_detail_url(cycle))
    assert page["Refresh"] == "3"
    assert "en attente de démarrage" in page.content.decode()


def test_a_job_without_progress_for_ten_minutes_can_be_started_again(client, cast):
    long_ago = timezone.now() - datetime.timedelta(minutes=11)
    cycle = ReviewCycleFactory(
        programme=cast.programme,
        sync_state=SyncState.RUNNING,
        sheets_total=6,
        sync_started_at=long_ago,
        sync_progress_at=long_ago,
    )
    client.force_login(cast.owner)
    html = client.get(_detail_url(cycle)).content.decode()
    assert 'id="sync-stale"' in html and 'id="sync-retry"' in html
    client.post(_sync_url(cycle))
    cycle.refresh_from_db()
    assert cycle.sync_state == SyncState.DONE and cycle.reviews.count() == len(cast.team)


def test_asking_again_while_the_job_runs_starts_nothing(client, cast, monkeypatch):
    cycle = ReviewCycleFactory(
        programme=cast.programme, sync_state=SyncState.RUNNING, sync_progress_at=timezone.now()
    )
    sent = []
    monkeypatch.setattr(tasks.sync_cycle, "delay", lambda *args: sent.append(args))
    client.force_login(cast.owner)
    response = client.post(_sync_url(cycle))
    assert "La création des fiches est déjà en cours" in _messages(response)
    assert sent == [] and not cycle.reviews.exists()


def test_pages_listing_sheets_work_while_they_are_created(client, cast):
    cycle = ReviewCycleFactory(
        programme=cast.programme, sync_state=SyncState.RUNNING, sync_progress_at=timezone.now()
    )
    ReviewFactory(cycle=cycle, agent=cast.agent_agent)  # the first batch is in
    client.force_login(cast.manager)
    team = client.get(reverse("reviews:cycle_team", kwargs={"pk": cycle.pk}))
    assert team.status_code == 200
    html = team.content.decode()
    assert 'id="sheets-being-created"' in html and cast.agent_agent.full_name in html
    client.force_login(cast.agent)
    assert client.get(reverse("reviews:my_reviews")).status_code == 200
    client.force_login(cast.owner)
    assert client.get(reverse("reviews:cycle_index")).status_code == 200
    cycles = client.get(reverse("reviews:cycle_list", kwargs={"slug": cast.programme.slug}))
    assert "création en cours" in cycles.content.decode()
    ReviewCycle.objects.filter(pk=cycle.pk).update(sync_state=SyncState.FAILED)
    cycles = client.get(reverse("reviews:cycle_list", kwargs={"slug": cast.programme.slug}))
    assert "création interrompue" in cycles.content.decode()


# --- Scope ----------------------------------------------------------------------------------


def test_another_programmes_owner_gets_404_and_starts_nothing(client, cast, monkeypatch):
    cycle = _queued_cycle(cast)
    someone = UserFactory()
    ProgrammeFactory(owners=[someone])
    sent = []
    monkeypatch.setattr(tasks.sync_cycle, "delay", lambda *args: sent.append(args))
    client.force_login(someone)
    assert client.get(_detail_url(cycle)).status_code == 404
    assert client.post(_sync_url(cycle)).status_code == 404
    assert sent == []
    cycle.refresh_from_db()
    assert cycle.sync_state == SyncState.QUEUED and not cycle.reviews.exists()


# --- The broker refuses the job -------------------------------------------------------------

DOWN = "redis://127.0.0.1:{port}/0"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_opening_while_the_broker_is_down_says_so_and_relancer_works(client, cast, settings):
    client.force_login(cast.owner)
    url = reverse("reviews:cycle_list", kwargs={"slug": cast.programme.slug})
    with broker_at(DOWN.format(port=closed_port())):
        settings.CELERY_TASK_ALWAYS_EAGER = False
        response = client.post(url, OPEN_DATA)

    cycle = ReviewCycle.objects.get(programme=cast.programme)
    assert response["Location"] == _detail_url(cycle)
    assert "momentanément indisponible : les fiches d’entretien n’ont pas été créées" in (
        _messages(response)
    )
    assert cycle.sync_state == SyncState.NOT_QUEUED and not cycle.reviews.exists()
    page = client.get(_detail_url(cycle))
    html = page.content.decode()
    assert "Refresh" not in page  # nothing runs: no reload loop
    assert 'id="sync-problem"' in html and "service de traitement était indisponible" in html

    settings.CELERY_TASK_ALWAYS_EAGER = True  # the broker is back (here: in process)
    response = client.post(_sync_url(cycle))
    assert f"{len(cast.team)} fiche(s) ajoutée(s)" in _messages(response)
    cycle.refresh_from_db()
    assert cycle.sync_state == SyncState.DONE and cycle.reviews.count() == len(cast.team)


def test_a_job_queued_on_commit_that_the_broker_refuses_is_recorded(
    cast, settings, django_capture_on_commit_callbacks
):
    cycle = ReviewCycleFactory(programme=cast.programme)
    with broker_at(DOWN.format(port=closed_port())):
        settings.CELERY_TASK_ALWAYS_EAGER = False
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            assert services_cycles.cycle_sync_queue(cycle=cycle) is True  # sent on commit
    assert len(callbacks) == 1
    cycle.refresh_from_db()
    assert cycle.sync_state == SyncState.NOT_QUEUED


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_opening_with_a_broker_leaves_the_sheets_to_the_worker(client, cast, settings):
    client.force_login(cast.owner)
    url = reverse("reviews:cycle_list", kwargs={"slug": cast.programme.slug})
    with broker_at("memory://"):
        settings.CELERY_TASK_ALWAYS_EAGER = False
        response = client.post(url, OPEN_DATA)
    cycle = ReviewCycle.objects.get(programme=cast.programme)
    assert "ses fiches d’entretien sont en cours de création" in _messages(response)
    assert cycle.sync_state == SyncState.QUEUED and not cycle.reviews.exists()
    # The worker's run (here in process, as the worker would).
    assert tasks.sync_cycle.apply(args=[cycle.pk]).get() == len(cast.team)
    cycle.refresh_from_db()
    assert cycle.sync_state == SyncState.DONE
