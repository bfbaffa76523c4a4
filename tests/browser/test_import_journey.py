"""The ambassador's Pix import journey in Chromium: upload, preview, confirm, match an
unmatched participant by search, and see that agent's levels. axe-core checks every page
loaded (the `journey` fixture fails the test otherwise)."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from campaigns.enums import ImportStatus
from tests.agents.factories import AgentFactory
from tests.browser.conftest import login_to
from tests.programmes.factories import EnrolmentFactory
from tests.programmes.import_factories import programme_import

SAMPLE = Path(__file__).resolve().parent.parent / "campaigns" / "data" / "profiles-collection.csv"
SAMPLE_NAME = "Resultats-Collecte de profils 2026-90001-2026-04-07-0930.csv"


@pytest.fixture
def sample(tmp_path):
    path = tmp_path / SAMPLE_NAME
    path.write_bytes(SAMPLE.read_bytes())
    return path


def test_ambassador_imports_an_export_and_matches_a_participant(journey, cast, sample):
    page = journey.page
    # Zoé Müller of the export is known to HR under her married name: no automatic match.
    zoe = AgentFactory(last_name="Muller-Klein", first_name="Zoé", external_id="Z-77")
    EnrolmentFactory(agent=zoe, population=cast.population)
    login_to(journey, cast.ambassador, cast.programme.get_absolute_url())
    expect(page.get_by_role("heading", name="Résultats Pix")).to_be_visible()
    journey.screenshot("0-programme")
    journey.follow(page.get_by_role("link", name="Importer un export Pix Orga"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Importer un export Pix Orga")
    journey.screenshot("1-depot")

    page.get_by_label("Export CSV de Pix Orga").set_input_files(str(sample))
    journey.follow(page.get_by_role("button", name="Analyser le fichier"))
    expect(page.get_by_role("heading", name="Aperçu avant import")).to_be_visible()
    counts = page.locator("#import-counts")
    expect(counts.get_by_role("row", name="Lignes du fichier")).to_contain_text("12")
    expect(counts.get_by_role("row", name="Participants non rapprochés")).to_contain_text("12")
    journey.screenshot("2-apercu")

    journey.follow(page.get_by_role("button", name="Confirmer l’import"))
    expect(page.get_by_role("heading", name="Import terminé")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Participations créées : 12")
    journey.screenshot("3-termine")

    journey.follow(page.get_by_role("link", name="Participants à rapprocher").first)
    expect(page.get_by_role("heading", level=1)).to_have_text("Participants à rapprocher")
    journey.screenshot("4-file")

    journey.follow(page.get_by_role("link", name="Zoé Müller"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Rapprocher Zoé Müller")
    search = page.get_by_label("Rechercher un agent (nom, e-mail, matricule)")
    search.fill("Muller")
    with journey.navigation():
        search.press("Enter")
    candidates = page.locator("#candidates")
    expect(candidates).to_contain_text("Zoé MULLER-KLEIN")
    journey.screenshot("5-recherche")

    journey.follow(candidates.get_by_role("button", name="Rapprocher de Zoé MULLER-KLEIN"))
    expect(page.get_by_role("status")).to_contain_text("Zoé MULLER-KLEIN : 1 participation")
    expect(page.locator("#unmatched")).not_to_contain_text("Zoé Müller")

    journey.visit(f"/agents/{zoe.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Zoé MULLER-KLEIN")
    results = page.locator("table.app-results")
    expect(results.get_by_role("row", name="1.1")).to_contain_text("niveau 3")
    expect(page.locator("table.app-participations")).to_contain_text("Collecte de profils 2026")
    journey.screenshot("6-agent")


def test_refused_file_history_and_progress_pages_are_accessible(journey, cast, tmp_path):
    page = journey.page
    programme_import(
        cast.programme, status=ImportStatus.ANALYSING, progress_done=300, progress_total=1200
    )
    running = programme_import(
        cast.programme, status=ImportStatus.IMPORTING, progress_done=10, progress_total=20
    )
    bad = tmp_path / "liste.csv"
    bad.write_bytes("matricule;nom;prénom\nM1;Dupont;Hélène\n".encode())
    login_to(journey, cast.owner, f"/programmes/{cast.programme.slug}/imports/nouveau/")
    page.get_by_label("Export CSV de Pix Orga").set_input_files(str(bad))
    journey.follow(page.get_by_role("button", name="Analyser le fichier"))
    expect(page.get_by_role("alert")).to_contain_text("Le fichier n’a pas été importé")
    journey.screenshot("refus")

    journey.visit(f"/programmes/{cast.programme.slug}/imports/")
    expect(page.locator("#import-history")).to_contain_text("liste.csv")
    journey.screenshot("historique")

    journey.visit(f"/programmes/{cast.programme.slug}/imports/{running.pk}/?actualiser=non")
    expect(page.get_by_label("10 lignes traitées sur 20")).to_be_visible()
    journey.screenshot("progression")


def test_upload_form_error_is_accessible(journey, cast, tmp_path):
    page = journey.page
    sheet = tmp_path / "resultats.xlsx"
    sheet.write_bytes(b"PK\x03\x04binary")
    login_to(journey, cast.ambassador, f"/programmes/{cast.programme.slug}/imports/nouveau/")
    page.get_by_label("Export CSV de Pix Orga").set_input_files(str(sheet))
    journey.follow(page.get_by_role("button", name="Analyser le fichier"))
    expect(page.locator("main")).to_contain_text("Choisissez un fichier CSV (.csv)")
    journey.screenshot("erreur-formulaire")
