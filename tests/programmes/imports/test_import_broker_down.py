"""Redis down when someone uploads or confirms a Pix export: a clear message, nothing lost,
nothing half-done. The broker is a closed local port (a real connection refused)."""

import pytest

from campaigns.enums import ImportStatus
from campaigns.models import Participation, ResultImport
from tests.integration.fault_helpers import broker_at, closed_port
from tests.programmes.imports.test_import_views import (
    confirmed,
    messages_of,
    upload,
    uploaded,
    url,
)

DOWN = "redis://127.0.0.1:{port}/0"

# Outside a test transaction, as in a request: tasks are sent at once, not on commit.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_an_upload_while_the_broker_is_down_is_kept_for_the_recovery_sweep(client, cast, settings):
    client.force_login(cast.ambassador)
    with broker_at(DOWN.format(port=closed_port())):
        # Inside: broker_at restores the Celery app's own value, read from the settings.
        settings.CELERY_TASK_ALWAYS_EAGER = False
        response = client.post(url("import_upload", cast), {"file": upload()})

    result_import = ResultImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("import_detail", cast, import_id=result_import.pk)
    assert result_import.status == ImportStatus.UPLOADED
    assert result_import.file  # the file is kept: the sweep analyses it
    assert "son analyse démarrera d’elle-même dans quelques minutes" in " ".join(
        messages_of(response)
    )


def test_a_confirmation_while_the_broker_is_down_changes_nothing_and_says_to_retry(
    client, cast, settings
):
    result_import, _ = uploaded(client, cast)  # analysed in process: READY
    assert result_import.status == ImportStatus.READY
    with broker_at(DOWN.format(port=closed_port())):
        settings.CELERY_TASK_ALWAYS_EAGER = False
        response = confirmed(client, cast, result_import)

    result_import.refresh_from_db()
    assert result_import.status == ImportStatus.READY
    assert Participation.objects.count() == 0
    assert response["Location"] == url("import_detail", cast, import_id=result_import.pk)
    assert "l’import n’a pas été lancé et rien n’a changé" in " ".join(messages_of(response))

    # Broker back (here: in process): the same confirmation works.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    confirmed(client, cast, result_import)
    result_import.refresh_from_db()
    assert result_import.status == ImportStatus.DONE
