"""Query strings and uploads that once answered 500 (found by fuzzing): each answers a French
400 or an ordinary page instead. tests/test_fuzz_get_params.py throws arbitrary strings at
every page; these are the cases it found, kept by name."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.models import ResultImport
from tests.matrix.checkins import _milestone
from tests.matrix.resources import _resource

NUL = "a\x00b"


def _ok_or_french_400(response):
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 400:
        assert "Requête invalide" in response.content.decode()


NUL_IN_QUERY = [
    ("programmes:agent_list", "owner", lambda c: {}, "q"),
    ("programmes:team", "manager", lambda c: {}, "q"),
    ("programmes:population_detail", "ambassador", lambda c: {"pk": c.population.pk}, "q"),
    ("programmes:population_members", "ambassador", lambda c: {"pk": c.population.pk}, "q"),
    ("programmes:unmatched_list", "owner", lambda c: {"slug": c.programme.slug}, "q"),
    ("programmes:access_log", "owner", lambda c: {"slug": c.programme.slug}, "q"),
    ("programmes:access_log_csv", "owner", lambda c: {"slug": c.programme.slug}, "q"),
    ("programmes:resource_list", "owner", lambda c: {"slug": c.programme.slug}, "q"),
    ("programmes:resource_list", "owner", lambda c: {"slug": c.programme.slug}, "competence"),
]


@pytest.mark.parametrize(("name", "role", "kwargs_for", "param"), NUL_IN_QUERY)
def test_null_byte_in_a_search_answers_a_french_400(client, cast, name, role, kwargs_for, param):
    _resource(cast)
    client.force_login(getattr(cast, role))
    response = client.get(reverse(name, kwargs=kwargs_for(cast)), {param: NUL})
    assert response.status_code == 400
    assert "Requête invalide" in response.content.decode()


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("programmes:dashboard", {}),
        ("programmes:dashboard_export", {"fmt": "csv"}),
        ("programmes:dashboard_export", {"fmt": "xlsx"}),
    ],
)
def test_dashboard_ignores_a_population_that_is_not_ascii_digits(client, cast, name, kwargs):
    client.force_login(cast.owner)
    url = reverse(name, kwargs={"slug": cast.programme.slug, **kwargs})
    assert client.get(url, {"population": "²"}).status_code == 200


@pytest.mark.parametrize("name", ["programmes:access_log", "programmes:access_log_csv"])
def test_access_log_ignores_an_agent_that_is_not_ascii_digits(client, cast, name):
    client.force_login(cast.owner)
    url = reverse(name, kwargs={"slug": cast.programme.slug})
    assert client.get(url, {"agent": "²"}).status_code == 200


def test_milestone_run_through_answers_404_for_an_agent_that_is_not_ascii_digits(client, cast):
    client.force_login(cast.ambassador)
    url = reverse("programmes:milestone_run", kwargs={"pk": _milestone(cast).pk})
    assert client.get(url, {"agent": "²"}).status_code == 404


@pytest.mark.parametrize("asked", ["9999-12-31", "0001-01-01"])
def test_target_history_on_an_extreme_date_is_an_ordinary_page(client, cast, asked):
    client.force_login(cast.ambassador)
    url = reverse("programmes:target_history", kwargs={"pk": cast.population.pk})
    assert client.get(url, {"date": asked}).status_code == 200


def test_pix_upload_with_a_300_character_name_is_kept_under_a_short_name(client, cast):
    client.force_login(cast.owner)
    name = "R" * 296 + ".csv"
    upload = SimpleUploadedFile(name, b"not;a;pix;export\n", content_type="text/csv")
    url = reverse("programmes:import_upload", kwargs={"slug": cast.programme.slug})
    response = client.post(url, {"file": upload})
    assert response.status_code == 302
    result_import = ResultImport.objects.get()
    assert len(result_import.original_name) <= 255
    assert result_import.original_name.endswith(".csv")
    assert len(result_import.file.name.rsplit("/", 1)[-1]) <= 255
