"""A Celery worker killed mid-import (docs/FAULTS.md, drill 3).

A real worker (prefork, on the test database and TEST_REDIS_URL) imports a Pix Orga export
of 10,000 participants written in Pix's exact format; as soon as the database shows the import
running and half-planned, the worker and its pool are SIGKILLed (a machine or container dying:
no warm shutdown, no acknowledgement). Then:

- nothing of the import is written, and it is not left "en cours" for good: a second worker,
  to which Redis hands the dead worker's message back (a short visibility timeout, so that
  it happens while the test waits), does not start the import again but marks it FAILED with
  a French message; the sweep then finds nothing left to do;
- run again, as a person does from the import page, it ends DONE once: as many
  participations as the file has rows, 16 results each, the campaign attached once, even
  though Redis hands the second run's message to the other worker process too.

Needs PostgreSQL (DATABASE_URL) and TEST_REDIS_URL; skipped without them except in CI."""

import io
import os

import pytest
from django.db import connection

from campaigns import services
from campaigns.enums import ImportStatus
from campaigns.models import Campaign, CompetenceResult, Participation, ResultImport
from programmes.imports import services as programme_services
from tests.campaigns.factories import export, paris, profiles_campaign, sent
from tests.integration.fault_helpers import (
    broker_at,
    database_url,
    postgres_missing,
    redis_missing,
    require,
    start_worker,
    tail,
    wait_until,
)
from tests.programmes.factories import ProgrammeFactory

ROWS = 10_000
PIX_ID = 96_001
QUEUE_KEYS = ("celery", "unacked", "unacked_index", "unacked_mutex")
RUN_TASK = "programmes.tasks.run_programme_import"


@pytest.fixture
def redis_url():
    require(postgres_missing() or redis_missing())
    import redis

    url = os.environ["TEST_REDIS_URL"]
    client = redis.Redis.from_url(url)
    client.delete(*QUEUE_KEYS)
    yield url
    client.delete(*QUEUE_KEYS)


@pytest.fixture
def workers(redis_url, settings, tmp_path):
    """Starts workers on demand; all stopped (or killed) at the end."""
    started = []

    def start(node, **env):
        worker = start_worker(
            node=node,
            log=tmp_path / f"{node.split('@')[0]}.log",
            database_url=database_url(connection.settings_dict),
            redis_url=redis_url,
            MEDIA_ROOT=str(settings.MEDIA_ROOT),
            **env,
        )
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def ready_import(programme) -> ResultImport:
    """A previewed export of ROWS participants, each sharing 16 competences."""
    people = [
        sent(f"Nom{n}", f"Prénom{n}", f"M{n:06d}", at=paris(2026, 3, 2, 10)) for n in range(ROWS)
    ]
    content, name = export(profiles_campaign(pix_id=PIX_ID), people)
    result_import = programme_services.programme_import_upload(
        programme=programme, fileobj=io.BytesIO(content), original_name=name, user=None
    )
    assert result_import.status == ImportStatus.READY, result_import.errors
    return result_import


def written() -> dict[str, int]:
    return {
        "campaigns": Campaign.objects.filter(pix_id=PIX_ID).count(),
        "participations": Participation.objects.count(),
        "results": CompetenceResult.objects.count(),
    }


def status_of(result_import) -> ResultImport:
    return ResultImport.objects.get(pk=result_import.pk)


def queue_empty(redis_url) -> bool:
    import redis

    client = redis.Redis.from_url(redis_url)
    return client.llen("celery") == 0 and client.hlen("unacked") == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_mid_import_leaves_nothing_written_and_the_import_runs_once_later(
    redis_url, workers
):
    programme = ProgrammeFactory()
    result_import = ready_import(programme)  # analysed in process (tasks eager)
    with broker_at(redis_url):  # from here on, .delay() publishes to Redis
        first = workers("import-a@localhost")
        programme_services.programme_import_confirm(
            programme=programme, result_import=result_import
        )

        def half_planned():
            current = status_of(result_import)
            return current.status == ImportStatus.IMPORTING and current.progress_done > 0

        wait_until(half_planned, timeout=60, every=0.05, what="import en cours", log=first.log)
        first.kill()

        assert status_of(result_import).status == ImportStatus.IMPORTING  # as the dead left it
        assert written() == {"campaigns": 0, "participations": 0, "results": 0}

        # Redis hands the dead worker's message to a new worker: it does not run the import
        # again, it records that it was interrupted.
        second = workers("import-b@localhost", FAULT_VISIBILITY_TIMEOUT="2")
        wait_until(
            lambda: status_of(result_import).status == ImportStatus.FAILED,
            timeout=60,
            what="l'import interrompu marqué en échec",
            log=second.log,
        )
        failed = status_of(result_import)
        assert failed.errors[0]["message"].startswith("L'import a été interrompu avant la fin")
        assert written() == {"campaigns": 0, "participations": 0, "results": 0}
        assert second.logged(RUN_TASK, "succeeded") == 1, tail(second.log)
        assert services.imports_recover().failed == []  # nothing left for the sweep

        # Run again from the import page ("Relancer l'import"): imported once.
        programme_services.programme_import_confirm(programme=programme, result_import=failed)
        wait_until(
            lambda: status_of(result_import).status == ImportStatus.DONE,
            timeout=90,
            what="l'import relancé terminé",
            log=second.log,
        )
        wait_until(
            lambda: (
                queue_empty(redis_url)
                and second.logged(RUN_TASK, "received") == second.logged(RUN_TASK, "succeeded")
            ),
            timeout=60,
            what="la file vidée",
            log=second.log,
        )
        second.stop()

    done = status_of(result_import)
    assert (done.rows, done.participations_created, done.results_created) == (
        ROWS,
        ROWS,
        ROWS * 16,
    )
    assert done.errors == []
    assert written() == {"campaigns": 1, "participations": ROWS, "results": ROWS * 16}
    assert list(programme.campaigns.values_list("pix_id", flat=True)) == [PIX_ID]
    log = second.log.read_text(errors="replace")
    assert "Traceback" not in log, tail(second.log)
