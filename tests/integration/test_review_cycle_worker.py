"""A real Redis broker and a real Celery worker process: a review cycle opened from its page is
answered at once, its sheets created by the worker in batches while the page follows them;
the job sent twice more adds nothing.

Same prerequisites as test_celery_worker.py (PostgreSQL, TEST_REDIS_URL; required in CI),
whose broker and worker fixtures it uses."""

import pytest
from django.urls import reverse

from reviews.models import ReviewCycle, SyncState
from reviews.tasks import sync_cycle
from tests.agents.factories import AgentFactory
from tests.integration.test_celery_worker import (  # noqa: F401 (fixtures)
    broker,
    count,
    mail_dir,
    prerequisites,
    stop,
    tail,
    wait_for,
    worker,
)
from tests.programmes.factories import EnrolmentFactory

AGENTS_ADDED = 19  # with the cast's 6: 25 agents, batches of 4 in the worker


@pytest.fixture
def small_batches(monkeypatch, settings):
    """Batches of 4 agents, in the worker (its environment) and here."""
    monkeypatch.setenv("REVIEWS_SYNC_BATCH_SIZE", "4")
    settings.REVIEWS_SYNC_BATCH_SIZE = 4


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_cycle_opened_from_its_page_is_filled_by_a_real_worker_once(
    small_batches,
    cast,
    worker,  # noqa: F811 (the fixture imported above)
    broker,  # noqa: F811
    client,
    settings,
):
    for _n in range(AGENTS_ADDED):
        agent = AgentFactory(manager=cast.manager_agent)
        EnrolmentFactory(agent=agent, population=cast.population)
    expected = len(cast.team) + AGENTS_ADDED
    client.force_login(cast.owner)
    url = reverse("reviews:cycle_list", kwargs={"slug": cast.programme.slug})
    settings.CELERY_TASK_ALWAYS_EAGER = False
    data = {"year": "2026", "opens_on": "2026-10-01", "closes_on": "2026-12-31"}
    response = client.post(url, data)
    cycle = ReviewCycle.objects.get(programme=cast.programme)
    assert response.status_code == 302
    assert cycle.sync_state in (SyncState.QUEUED, SyncState.RUNNING, SyncState.DONE)

    def done():
        cycle.refresh_from_db()
        return cycle.sync_state == SyncState.DONE

    wait_for(done, worker, "les fiches de la campagne créées")
    assert cycle.reviews.count() == expected
    assert (cycle.sheets_total, cycle.sheets_done, cycle.sheets_added) == (expected,) * 3
    page = client.get(reverse("reviews:cycle_detail", kwargs={"pk": cycle.pk}))
    assert "Refresh" not in page and 'id="progress"' in page.content.decode()

    for _ in range(2):  # a retry, a double click: nothing more
        sync_cycle.apply_async(args=[cycle.pk], connection=broker)
    task = "reviews.tasks.sync_cycle"
    wait_for(lambda: count(worker.log, task, "succeeded") == 3, worker, "les deux relances")
    stop(worker)
    cycle.refresh_from_db()
    assert cycle.reviews.count() == expected
    assert (cycle.sync_state, cycle.sheets_added) == (SyncState.DONE, 0)
    assert "Traceback" not in worker.log.read_text(errors="replace"), tail(worker.log)
