"""The raw uploaded export holds every participant's results: only staff and whoever uploaded
it download it, and only within the retention period; others who see the import page get 403
and no link."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.agents.factories import UserFactory
from tests.programmes.import_factories import media_root, programme_import  # noqa: F401

FILE_LINK = "Télécharger le fichier d’origine"


@pytest.fixture(autouse=True)
def _uploads_in_tmp(media_root):  # noqa: F811 - the fixture imported above
    return media_root


def _file_url(cast, result_import):
    return reverse("programmes:import_file", args=[cast.programme.slug, result_import.pk])


def _detail_url(cast, result_import):
    return reverse("programmes:import_detail", args=[cast.programme.slug, result_import.pk])


@pytest.mark.parametrize(
    "role,expected",
    [
        ("uploader", 200),
        ("staff", 200),
        ("owner", 403),
        ("ambassador", 403),
        ("programme_ambassador", 403),
        ("manager", 404),
        ("agent", 404),
        ("outsider", 404),
    ],
)
def test_only_staff_and_the_uploader_download_the_raw_export(client, cast, role, expected):
    uploader = UserFactory()
    cast.population.ambassadors.add(uploader)
    programme_ambassador = UserFactory()
    cast.programme.ambassadors.add(programme_ambassador)
    result_import = programme_import(cast.programme, uploaded_by=uploader)
    user = {"uploader": uploader, "programme_ambassador": programme_ambassador}.get(role)
    client.force_login(user or getattr(cast, role))

    assert client.get(_file_url(cast, result_import)).status_code == expected


def test_the_import_page_offers_the_file_only_to_who_may_download_it(client, cast):
    result_import = programme_import(cast.programme, uploaded_by=cast.ambassador)

    client.force_login(cast.owner)
    assert FILE_LINK not in client.get(_detail_url(cast, result_import)).content.decode()
    client.force_login(cast.ambassador)
    assert FILE_LINK in client.get(_detail_url(cast, result_import)).content.decode()


def test_the_history_offers_the_file_only_to_who_may_download_it(client, cast):
    result_import = programme_import(cast.programme, uploaded_by=cast.ambassador)
    history = reverse("programmes:import_history", args=[cast.programme.slug])

    client.force_login(cast.owner)
    assert _file_url(cast, result_import) not in client.get(history).content.decode()
    client.force_login(cast.staff)
    assert _file_url(cast, result_import) in client.get(history).content.decode()


def test_past_the_retention_period_nobody_downloads_it(client, cast, settings):
    settings.RESULTS_RETENTION_DAYS = 30
    cast.programme.end_date = timezone.localdate() - datetime.timedelta(days=31)
    cast.programme.save()
    result_import = programme_import(cast.programme, uploaded_by=cast.ambassador)

    for user in (cast.ambassador, cast.staff):
        client.force_login(user)
        assert client.get(_file_url(cast, result_import)).status_code == 404
        assert FILE_LINK not in client.get(_detail_url(cast, result_import)).content.decode()


def test_within_the_retention_period_the_uploader_still_downloads_it(client, cast, settings):
    settings.RESULTS_RETENTION_DAYS = 30
    cast.programme.end_date = timezone.localdate() - datetime.timedelta(days=29)
    cast.programme.save()
    result_import = programme_import(cast.programme, uploaded_by=cast.ambassador)
    client.force_login(cast.ambassador)

    assert client.get(_file_url(cast, result_import)).status_code == 200


def test_the_data_protection_page_states_who_sees_imports_and_downloads_the_file(client, cast):
    client.force_login(cast.agent)

    html = client.get(reverse("programmes:data_protection")).content.decode()

    assert "Un programme ne voit que les résultats importés pour lui" in html
    assert "n’est téléchargeable que par la personne qui l’a déposé" in html
