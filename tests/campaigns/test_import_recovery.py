"""An import whose worker died is never left "in progress", never half-written, never run
twice (docs/FAULTS.md, drill 3).

- The message Redis hands back when a worker died (`redelivered`) does not start the import
  again: an import left IMPORTING becomes FAILED with a French message, to run again.
- The sweep (`imports_recover`, every five minutes) tells a dead run from a live one by the
  import's lock (PostgreSQL; by age elsewhere), and marks the dead ones FAILED (import) or
  REFUSED (analysis); uploads whose analysis was never queued are analysed.

The real thing, a worker SIGKILLed mid-import, is tests/integration/test_fault_worker.py."""

from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from campaigns import services
from campaigns.enums import ImportStatus
from campaigns.models import ResultImport
from campaigns.tasks import recover_interrupted_imports
from programmes.imports.tasks import run_programme_import
from tests.campaigns.factories import (
    analysed,
    media_root,  # noqa: F401 - fixture
    sample,
    table_counts,
    upload,
)
from tests.integration.fault_helpers import database_url
from tests.programmes.factories import ProgrammeFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

PROFILES = "profiles-collection.csv"
INTERRUPTED = "L'import a été interrompu avant la fin"


def left_importing(result_import: ResultImport, *, started_ago=timedelta(minutes=1)):
    """What a worker killed mid-import leaves: IMPORTING, nothing written (its transaction
    died with it)."""
    ResultImport.objects.filter(pk=result_import.pk).update(
        status=ImportStatus.IMPORTING, started_at=timezone.now() - started_ago
    )


def reloaded(result_import: ResultImport) -> ResultImport:
    return ResultImport.objects.get(pk=result_import.pk)


# --- The message handed back after a worker died ---------------------------------------------


def test_a_redelivered_run_of_an_import_left_importing_fails_it_and_writes_nothing():
    result_import = analysed(sample(PROFILES), PROFILES)
    left_importing(result_import)
    counts = table_counts()

    outcome = services.import_run(result_import_id=result_import.pk, redelivered=True)

    assert outcome.status == ImportStatus.FAILED
    assert reloaded(result_import).status == ImportStatus.FAILED
    [error] = reloaded(result_import).errors
    assert error["message"].startswith(INTERRUPTED) and "Relancez-le" in error["message"]
    assert table_counts() == counts


def test_a_failed_import_run_again_by_a_person_is_imported_once():
    result_import = analysed(sample(PROFILES), PROFILES)
    left_importing(result_import)
    services.import_run(result_import_id=result_import.pk, redelivered=True)

    done = services.import_run(result_import_id=result_import.pk)  # "Relancer l'import"
    counts = table_counts()
    again = services.import_run(result_import_id=result_import.pk, redelivered=True)

    assert (done.status, again.status) == (ImportStatus.DONE, ImportStatus.DONE)
    assert done.rows == result_import.rows == 12 and done.errors == []
    assert table_counts() == counts


def test_a_redelivered_run_leaves_a_failed_import_for_a_person_to_run():
    result_import = analysed(sample(PROFILES), PROFILES)
    ResultImport.objects.filter(pk=result_import.pk).update(status=ImportStatus.FAILED)
    counts = table_counts()

    assert services.import_run(result_import_id=result_import.pk, redelivered=True).status == (
        ImportStatus.FAILED
    )
    assert table_counts() == counts


def test_a_redelivered_run_of_an_import_never_started_imports_it():
    # The worker died after taking the message, before the import began: nothing to undo.
    result_import = analysed(sample(PROFILES), PROFILES)
    outcome = services.import_run(result_import_id=result_import.pk, redelivered=True)
    assert outcome.status == ImportStatus.DONE


def test_the_programme_task_reads_the_redelivered_flag_of_its_message(cast):
    result_import = analysed(sample(PROFILES), PROFILES, programme=cast.programme)
    left_importing(result_import)
    counts = table_counts()

    run_programme_import.push_request(delivery_info={"redelivered": True})
    try:
        outcome = run_programme_import.run(result_import.pk, cast.programme.pk)
    finally:
        run_programme_import.pop_request()

    assert outcome == ImportStatus.FAILED
    assert table_counts() == counts
    assert not cast.programme.campaigns.exists()


# --- The sweep -----------------------------------------------------------------------------


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("Verrous consultatifs : PostgreSQL seulement.")


def held_elsewhere(result_import: ResultImport):
    """Another session (a live worker) holding the import's run lock."""
    other = psycopg.connect(database_url(connection.settings_dict), autocommit=True)
    other.execute("SELECT pg_advisory_lock(%s, %s)", [services._RUN_LOCK_CLASS, result_import.pk])
    return other


def test_the_sweep_fails_an_import_nobody_runs_and_leaves_a_live_one_alone(postgres):
    live = analysed(sample(PROFILES), PROFILES)
    dead = upload(sample("assessment-16-competences.csv"), "assessment-16-competences.csv")
    services.import_analyse(result_import_id=dead.pk)
    left_importing(live)
    left_importing(dead)
    worker = held_elsewhere(live)
    try:
        recovered = services.imports_recover()
        assert reloaded(live).status == ImportStatus.IMPORTING
    finally:
        worker.close()  # the live worker's session ends: its lock goes with it

    assert recovered.failed == [dead.pk]
    assert reloaded(dead).status == ImportStatus.FAILED
    assert reloaded(dead).errors[0]["message"].startswith(INTERRUPTED)
    assert services.imports_recover().failed == [live.pk]


def test_the_sweep_refuses_an_analysis_nobody_runs(postgres):
    result_import = upload(sample(PROFILES), PROFILES)
    ResultImport.objects.filter(pk=result_import.pk).update(status=ImportStatus.ANALYSING)

    recovered = services.imports_recover()

    assert recovered.refused == [result_import.pk]
    refused = reloaded(result_import)
    assert refused.status == ImportStatus.REFUSED
    assert "Déposez le fichier à nouveau" in refused.errors[0]["message"]
    assert refused.file.name == ""  # the file is to be uploaded again: not kept


def test_without_advisory_locks_the_sweep_goes_by_age(monkeypatch):
    recent = analysed(sample(PROFILES), PROFILES)
    old = upload(sample("assessment-16-competences.csv"), "assessment-16-competences.csv")
    services.import_analyse(result_import_id=old.pk)
    left_importing(recent, started_ago=timedelta(minutes=30))
    left_importing(old, started_ago=services.STALE_AFTER + timedelta(minutes=1))
    monkeypatch.setattr(connection, "vendor", "sqlite")  # as in the demo, whatever the test DB

    assert services.imports_recover().failed == [old.pk]
    assert reloaded(recent).status == ImportStatus.IMPORTING


def test_the_sweep_task_analyses_uploads_whose_analysis_was_never_queued():
    forgotten = upload(sample(PROFILES), PROFILES, programme=ProgrammeFactory())
    ResultImport.objects.filter(pk=forgotten.pk).update(
        uploaded_at=timezone.now() - services.UNQUEUED_AFTER - timedelta(minutes=1)
    )
    fresh = upload(sample("assessment-16-competences.csv"), "assessment-16-competences.csv")

    outcome = recover_interrupted_imports.delay().get()  # in process: no broker in tests

    assert outcome == {"failed": 0, "refused": 0, "analysed": 1}
    assert reloaded(forgotten).status == ImportStatus.READY
    assert reloaded(fresh).status == ImportStatus.UPLOADED
