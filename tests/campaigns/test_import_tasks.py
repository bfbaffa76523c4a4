"""The import's Celery tasks and the programme-level services (tasks run eagerly here)."""

import io

import pytest

from campaigns import services
from campaigns.enums import ImportStatus
from campaigns.models import CompetenceResult, Participation, ResultImport
from campaigns.tasks import analyse_import, run_import
from programmes.imports import services as programme_services
from programmes.imports.tasks import run_programme_import
from tests.campaigns.factories import (
    media_root,  # noqa: F401 - fixture
    sample,
    table_counts,
    upload,
)
from tests.programmes.factories import ProgrammeFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

PROFILES = "profiles-collection.csv"


def test_tasks_analyse_then_import_and_are_safe_to_run_twice():
    result_import = upload(sample(PROFILES), PROFILES)

    assert analyse_import.delay(result_import.pk).get() == ImportStatus.READY
    assert run_import.delay(result_import.pk).get() == ImportStatus.DONE
    counts = table_counts()
    assert run_import.delay(result_import.pk).get() == ImportStatus.DONE
    assert analyse_import.delay(result_import.pk).get() == ImportStatus.DONE
    assert table_counts() == counts


def test_a_task_on_a_deleted_import_does_nothing():
    assert run_import.delay(987654).get() is None
    assert analyse_import.delay(987654).get() is None


def test_a_failing_import_task_records_the_failure_without_raising(monkeypatch):
    result_import = upload(sample(PROFILES), PROFILES)
    analyse_import.delay(result_import.pk)

    def explode(*args, **kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(services, "write_plan", explode)
    assert run_import.delay(result_import.pk).get() is None

    result_import.refresh_from_db()
    assert result_import.status == ImportStatus.FAILED
    assert not Participation.objects.exists()
    monkeypatch.undo()
    assert run_import.delay(result_import.pk).get() == ImportStatus.DONE


def test_programme_upload_analyses_and_confirm_imports_and_attaches_the_campaign(cast):
    result_import = programme_services.programme_import_upload(
        programme=cast.programme,
        fileobj=io.BytesIO(sample(PROFILES)),
        original_name=PROFILES,
        user=cast.ambassador,
    )

    assert result_import.status == ImportStatus.READY
    assert result_import.programme_link.programme == cast.programme
    assert "Cette campagne n'est rattachée à aucun programme" not in result_import.warnings
    assert not Participation.objects.exists()

    programme_services.programme_import_confirm(
        programme=cast.programme, result_import=result_import
    )

    result_import.refresh_from_db()
    assert result_import.status == ImportStatus.DONE
    assert list(cast.programme.campaigns.all()) == [result_import.campaign]
    assert CompetenceResult.objects.count() == 176


def test_the_programme_task_is_safe_to_retry(cast):
    result_import = programme_services.programme_import_upload(
        programme=cast.programme,
        fileobj=io.BytesIO(sample(PROFILES)),
        original_name=PROFILES,
        user=cast.ambassador,
    )
    run_programme_import.delay(result_import.pk, cast.programme.pk)
    counts = table_counts()

    assert run_programme_import.delay(result_import.pk, cast.programme.pk).get() == "done"
    assert table_counts() == counts
    assert cast.programme.campaigns.count() == 1


def test_a_programme_cannot_confirm_or_cancel_another_programme_import(cast):
    result_import = programme_services.programme_import_upload(
        programme=cast.programme,
        fileobj=io.BytesIO(sample(PROFILES)),
        original_name=PROFILES,
        user=cast.ambassador,
    )
    elsewhere = ProgrammeFactory()

    with pytest.raises(ValueError):
        programme_services.programme_import_confirm(
            programme=elsewhere, result_import=result_import
        )
    with pytest.raises(ValueError):
        programme_services.programme_import_cancel(programme=elsewhere, result_import=result_import)
    assert ResultImport.objects.get().status == ImportStatus.READY


def test_only_a_previewed_import_can_be_confirmed(cast):
    result_import = programme_services.programme_import_upload(
        programme=cast.programme,
        fileobj=io.BytesIO(sample(PROFILES)),
        original_name=PROFILES,
        user=cast.ambassador,
    )
    programme_services.programme_import_cancel(
        programme=cast.programme, result_import=result_import
    )
    result_import.refresh_from_db()

    with pytest.raises(programme_services.ImportNotReady):
        programme_services.programme_import_confirm(
            programme=cast.programme, result_import=result_import
        )
    assert result_import.status == ImportStatus.CANCELLED
    assert not Participation.objects.exists()


def test_the_same_file_uploaded_for_another_programme_is_refused_and_attaches_nothing(cast):
    """The campaign is the first programme's: another programme does not follow it by
    uploading the same file (only a share agreed by both owners, or staff, would do)."""
    first = programme_services.programme_import_upload(
        programme=cast.programme,
        fileobj=io.BytesIO(sample(PROFILES)),
        original_name=PROFILES,
        user=cast.ambassador,
    )
    programme_services.programme_import_confirm(programme=cast.programme, result_import=first)
    other = ProgrammeFactory()
    counts = table_counts()

    second = programme_services.programme_import_upload(
        programme=other, fileobj=io.BytesIO(sample(PROFILES)), original_name=PROFILES, user=None
    )

    assert second.status == ImportStatus.REFUSED
    assert "appartient à un autre programme" in second.errors[0]["message"]
    assert not other.campaigns.exists()
    assert table_counts()["Participation"] == counts["Participation"]


def test_the_same_file_uploaded_for_a_programme_sharing_the_campaign_is_a_duplicate(cast):
    first = programme_services.programme_import_upload(
        programme=cast.programme,
        fileobj=io.BytesIO(sample(PROFILES)),
        original_name=PROFILES,
        user=cast.ambassador,
    )
    programme_services.programme_import_confirm(programme=cast.programme, result_import=first)
    other = ProgrammeFactory()
    first.refresh_from_db()
    programme_services.campaign_share(campaign=first.campaign, programme=other, by=cast.staff)

    second = programme_services.programme_import_upload(
        programme=other, fileobj=io.BytesIO(sample(PROFILES)), original_name=PROFILES, user=None
    )

    assert second.status == ImportStatus.DUPLICATE
    assert list(other.campaigns.values_list("pix_id", flat=True)) == [90001]
