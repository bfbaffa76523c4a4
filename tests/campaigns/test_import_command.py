"""`manage.py import_pix_export FILE [--programme SLUG] [--dry-run] [--json]`."""

import json

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import connections

from campaigns.enums import ImportStatus
from campaigns.models import Participation, ResultImport
from tests.campaigns.factories import (
    DATA,
    media_root,  # noqa: F401 - fixture
    table_counts,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

PROFILES = DATA / "profiles-collection.csv"


def run(*args):
    """The command's output as a JSON object, and the CommandError it raised, if any."""
    from io import StringIO

    out = StringIO()
    try:
        call_command("import_pix_export", *map(str, args), "--json", stdout=out)
    except CommandError as error:
        return json.loads(out.getvalue()), error
    return json.loads(out.getvalue()), None


@pytest.fixture
def broken_file(tmp_path):
    lines = PROFILES.read_bytes().decode("utf-8-sig").split("\n")
    lines[2] = lines[2].replace('"Oui";"13/03/2026', '"Peut-être";"13/03/2026')
    lines[5] = lines[5].replace(";440;", ";beaucoup;")
    path = tmp_path / "Resultats-broken.csv"
    path.write_bytes("\n".join(lines).encode("utf-8"))
    return path


def test_json_output_of_an_import():
    output, error = run(PROFILES)

    assert error is None
    assert {key: output[key] for key in list(output) if key not in ("warnings", "import_id")} == {
        "status": "done",
        "dry_run": False,
        "duplicate_of": None,
        "kind": "profiles_collection",
        "campaign_code": "DREALCOL26",
        "campaign_pix_id": 90001,
        "campaign_name": "Collecte de profils 2026",
        "rows": 12,
        "shared": 11,
        "participations_created": 12,
        "participations_updated": 0,
        "results_created": 176,
        "matched": 0,
        "to_confirm": 0,
        "unmatched": 12,
        "errors": [],
    }
    assert output["import_id"] == ResultImport.objects.get().pk
    assert "Cette campagne n'est rattachée à aucun programme" in output["warnings"]
    assert Participation.objects.count() == 12


def test_dry_run_prints_the_preview_and_writes_nothing():
    before = table_counts()

    output, error = run(PROFILES, "--dry-run")

    assert error is None
    assert output["dry_run"] is True
    assert output["status"] == "ready"
    assert (output["rows"], output["participations_created"], output["results_created"]) == (
        12,
        12,
        176,
    )
    assert table_counts() == before


def test_a_refused_file_prints_its_errors_in_json_and_fails(broken_file):
    output, error = run(broken_file)

    assert error is not None
    assert output["status"] == "refused"
    assert output["kind"] == "profiles_collection"
    assert [(e["line"], e["column"]) for e in output["errors"]] == [
        (3, "Envoi (O/N)"),
        (6, "Nombre de pix total"),
    ]
    assert all(e["message"] for e in output["errors"])
    assert not Participation.objects.exists()


def test_exit_status_is_1_when_refused_and_0_otherwise(broken_file, capsys, monkeypatch):
    # As `manage.py` runs it; closing the connections at the end would end the test's.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    with pytest.raises(SystemExit) as refused:
        execute_from_command_line(["manage.py", "import_pix_export", str(broken_file), "--json"])
    assert refused.value.code == 1
    out = capsys.readouterr().out
    assert json.loads(out)["status"] == "refused"

    execute_from_command_line(["manage.py", "import_pix_export", str(PROFILES), "--json"])
    assert json.loads(capsys.readouterr().out)["status"] == "done"


def test_the_same_file_again_is_reported_as_already_imported():
    first, _ = run(PROFILES)

    output, error = run(PROFILES)

    assert error is None
    assert (output["status"], output["duplicate_of"]) == ("duplicate", first["import_id"])
    assert (output["participations_created"], output["results_created"]) == (0, 0)
    assert output["rows"] == 12
    assert Participation.objects.count() == 12


def test_programme_option_attaches_the_campaign(cast):
    output, error = run(PROFILES, "--programme", cast.programme.slug)

    assert error is None
    assert output["warnings"] == [
        "0 participant sur 12 reconnu : vérifiez que la liste RH est importée",
        "12 participants non rapprochés d'un agent : ils attendent d'être rapprochés à la "
        "main, avec leurs résultats",
    ]
    assert list(cast.programme.campaigns.values_list("pix_id", flat=True)) == [90001]
    assert ResultImport.objects.get().programme_link.programme == cast.programme


def test_an_unknown_programme_is_an_error():
    with pytest.raises(CommandError, match="Aucun programme"):
        call_command("import_pix_export", str(PROFILES), "--programme", "nope")
    assert not ResultImport.objects.exists()


def test_text_output_lists_the_counts(capsys):
    call_command("import_pix_export", str(PROFILES))

    out = capsys.readouterr().out
    assert "Import terminé : Collecte de profils 2026 (DREALCOL26)" in out
    assert "Résultats par compétence ajoutés : 176" in out
    assert ResultImport.objects.get().status == ImportStatus.DONE


def test_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="Impossible de lire"):
        call_command("import_pix_export", str(tmp_path / "absent.csv"))
