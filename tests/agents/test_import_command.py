"""The import_agents management command."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from agents.models import Agent, OrgUnit
from tests.agents.factories import AgentFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"


def run(*args):
    stdout, stderr = StringIO(), StringIO()
    call_command("import_agents", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_command_imports_the_file_and_prints_the_report():
    stdout, _ = run(str(DATA / "agents_utf8_bom.csv"))

    assert stdout.startswith("Liste des agents importée : 4 agents créés, 0 mis à jour")
    assert Agent.objects.count() == 4


def test_command_reads_windows_1252_and_comma_separated_files():
    run(str(DATA / "agents_cp1252.csv"))
    run(str(DATA / "agents_comma.csv"))

    assert set(Agent.objects.values_list("first_name", flat=True)) >= {"Hélène", "Zoé"}
    assert Agent.objects.count() == 6


def test_dry_run_says_what_it_would_do_and_writes_nothing():
    stdout, _ = run(str(DATA / "agents_utf8_bom.csv"), "--dry-run")

    assert stdout.startswith("Simulation, rien n'a été enregistré : 4 agents créés")
    assert not Agent.objects.exists()
    assert not OrgUnit.objects.exists()


def test_refused_file_prints_each_error_and_exits_with_status_1():
    stderr = StringIO()

    with pytest.raises(CommandError) as raised:
        call_command("import_agents", str(DATA / "agents_errors.csv"), stderr=stderr)

    assert raised.value.returncode == 1
    assert str(raised.value) == "Fichier refusé (4 erreur(s)) : rien n'a été enregistré."
    assert stderr.getvalue().splitlines() == [
        "Ligne 3, colonne « email » : adresse e-mail invalide « jean.dupont@ ».",
        "Ligne 4, colonne « matricule » : le matricule « M001 » figure déjà ligne 2.",
        "Ligne 4, colonne « nom » : valeur obligatoire, la cellule est vide.",
        "Ligne 5 : 3 cellules au lieu des 7 de la ligne d'en-tête.",
    ]
    assert not Agent.objects.exists()


def test_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="Impossible de lire"):
        run(str(tmp_path / "absent.csv"))


def test_binary_file_is_refused(tmp_path):
    path = tmp_path / "agents.xlsx"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)))

    with pytest.raises(CommandError):
        run(str(path))


def test_deactivate_missing_option_marks_absent_agents_inactive():
    gone = AgentFactory(external_id="M999")

    stdout, _ = run(str(DATA / "agents_utf8_bom.csv"), "--deactivate-missing")

    assert "1 désactivé" in stdout
    gone.refresh_from_db()
    assert not gone.is_active


def test_absent_agents_stay_active_without_the_option():
    kept = AgentFactory(external_id="M999")

    run(str(DATA / "agents_utf8_bom.csv"))

    kept.refresh_from_db()
    assert kept.is_active
