"""Issue 15: a confirmed import waits for its worker as QUEUED, its page following it from the
first answer; its progress, published outside the database on SQLite, shows while its
transaction writes; one nobody ever took is not left waiting forever."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from campaigns import services
from campaigns.enums import ImportStatus
from campaigns.models import Participation, ResultImport
from programmes.imports.tasks import run_programme_import
from tests.integration.fault_helpers import broker_at
from tests.programmes.imports.test_import_views import confirmed, messages_of, uploaded, url

# Outside a test transaction, as in a request: tasks are sent at once, not on commit.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def queued(client, cast, settings):
    """An import confirmed while its worker is busy: the broker took the message."""
    result_import, _ = uploaded(client, cast)
    assert result_import.status == ImportStatus.READY
    with broker_at("memory://"):
        settings.CELERY_TASK_ALWAYS_EAGER = False
        response = confirmed(client, cast, result_import)
    settings.CELERY_TASK_ALWAYS_EAGER = True
    result_import.refresh_from_db()
    return result_import, response


def test_a_confirmed_import_waits_as_queued_and_its_page_follows_it(client, cast, queued):
    result_import, response = queued
    assert result_import.status == ImportStatus.QUEUED
    assert result_import.started_at is not None
    assert "Import lancé : cette page montre son avancement." in messages_of(response)

    page = client.get(url("import_detail", cast, import_id=result_import.pk))
    assert page["Refresh"] == "2"
    assert "Import en attente de démarrage" in page.content.decode()
    history = client.get(url("import_history", cast)).content.decode()
    assert "Import en attente" in history
    assert "Pas encore terminé." in history


def test_a_second_confirmation_of_a_queued_import_sends_nothing(client, cast, queued, settings):
    result_import, _ = queued
    with broker_at("memory://"):
        settings.CELERY_TASK_ALWAYS_EAGER = False
        response = confirmed(client, cast, result_import)
    assert "Cet import n’attend pas de confirmation." in messages_of(response)
    result_import.refresh_from_db()
    assert result_import.status == ImportStatus.QUEUED


def test_the_worker_runs_a_queued_import_to_done(cast, queued):
    result_import, _ = queued
    assert run_programme_import(result_import.pk, cast.programme.pk) == ImportStatus.DONE
    result_import.refresh_from_db()
    assert result_import.status == ImportStatus.DONE
    assert Participation.objects.count() == result_import.rows


def test_a_queued_import_no_worker_took_becomes_failed_to_run_again(client, cast, queued):
    result_import, _ = queued
    # Within STALE_AFTER: a busy worker will take it.
    assert services.imports_recover().failed == []
    ResultImport.objects.filter(pk=result_import.pk).update(
        started_at=timezone.now() - services.STALE_AFTER - timedelta(minutes=1)
    )
    assert services.imports_recover().failed == [result_import.pk]
    result_import.refresh_from_db()
    assert result_import.status == ImportStatus.FAILED
    assert "L'import n'a pas démarré" in result_import.errors[0]["message"]
    # FAILED is confirmable again: the same file runs once confirmed.
    confirmed(client, cast, result_import)
    result_import.refresh_from_db()
    assert result_import.status == ImportStatus.DONE


@pytest.mark.skipif(
    connection.vendor == "postgresql",
    reason="PostgreSQL publie l'avancement dans la base, par une seconde connexion.",
)
def test_on_sqlite_the_progress_of_a_running_import_is_shown_from_the_cache(client, cast, queued):
    result_import, _ = queued
    ResultImport.objects.filter(pk=result_import.pk).update(status=ImportStatus.IMPORTING)
    reporter = services._ProgressReporter(result_import.pk)
    reporter.total = 30_000
    reporter.read(10_000)  # one pass reads and writes the rows

    page = client.get(url("import_detail", cast, import_id=result_import.pk)).content.decode()
    assert "10\u00a0000 lignes traitées sur 30\u00a0000" in page
    assert 'max="30000" value="10000"' in page

    reporter.read(30_000)
    page = client.get(url("import_detail", cast, import_id=result_import.pk)).content.decode()
    assert "30\u00a0000 lignes traitées sur 30\u00a0000" in page

    reporter.close()  # the import ended: what the database says again
    page = client.get(url("import_detail", cast, import_id=result_import.pk)).content.decode()
    assert "lignes traitées sur 30\u00a0000" not in page
