"""Issue 15: a big Pix export on the embedded default (`make run`: SQLite, no Redis) never
blocks a page. The app runs here as `make run` runs it, in processes of its own: the demo
database seeded in a temporary folder, runserver, and the Celery worker reading the queue
kept in files (config/settings.py, Makefile). The ambassador uploads a 30,000-row export of a
new campaign (nobody in it is known to HR), watches the analysis and the import progress on
pages that refresh themselves without JavaScript, and the import ends DONE. No page waits
more than 2 s for its answer."""

import random
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from campaigns.pix_writer import (
    ALL_COMPETENCE_CODES,
    KIND_PROFILES,
    PixCampaign,
    PixParticipant,
    PixResult,
    export_filename,
    in_pix_order,
    write_export,
)
from tests.browser.embedded import embedded_app, log_in

PARIS = ZoneInfo("Europe/Paris")
ROWS = 30_000
MAX_WAIT_MS = 2_000
DEMO_AMBASSADOR = "ambassadeur@demo.gouv.fr"


def write_big_export(path: Path) -> str:
    """A profiles collection of ROWS participants nobody in the demo's HR list is."""
    campaign = PixCampaign(
        pix_id=480001,
        name="Collecte nationale 2026",
        kind=KIND_PROFILES,
        code="NAT2026",
        organisation_name="DREETS Occitanie",
        external_id_label="Matricule",
    )
    rng = random.Random(15)
    start = datetime(2026, 9, 1, 9, 0, tzinfo=PARIS)

    def participants():
        for number in range(ROWS):
            shared = rng.random() < 0.8
            results = ()
            if shared:
                results = tuple(
                    PixResult(code, level=(pix := rng.randint(0, 40)) // 8, pix=pix)
                    for code in ALL_COMPETENCE_CODES
                )
            yield PixParticipant(
                last_name=f"Externe{number:05d}",
                first_name="Camille",
                external_id=f"N{number:06d}",
                shared=shared,
                shared_at=start + timedelta(minutes=number) if shared else None,
                results=results,
            )

    with path.open("wb") as out:
        write_export(out, campaign, in_pix_order(participants()))
    return export_filename(campaign, datetime(2026, 11, 30, 9, 30, tzinfo=PARIS))


@pytest.fixture
def app(tmp_path):
    with embedded_app(tmp_path / "app") as served:
        yield served


def test_a_30000_row_export_imports_in_the_background_on_the_embedded_default(page, app, tmp_path):
    base_url = app.url
    export = tmp_path / "export.csv"
    export_name = write_big_export(export)
    upload = tmp_path / export_name
    export.rename(upload)
    slug = app.query(
        "SELECT slug FROM programmes_programme WHERE name LIKE 'Pix pour tous%'",
    )[0][0]

    # Every answer the browser waits for: a document's time to its first byte.
    waits = []

    def on_finished(request):
        if request.resource_type == "document":
            timing = request.timing
            waits.append((timing["responseStart"] - timing["requestStart"], request.url))

    page.on("requestfinished", on_finished)
    # The progress pages refresh themselves (Refresh header): each load is a new page.
    seen = []
    page.on("load", lambda loaded: seen.append(loaded.content()))

    log_in(page, app, DEMO_AMBASSADOR)

    page.goto(f"{base_url}/programmes/{slug}/imports/nouveau/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Importer un export Pix Orga")
    page.get_by_label("Export CSV de Pix Orga").set_input_files(str(upload))
    page.get_by_role("button", name="Analyser le fichier").click()

    # The analysis runs in the worker: the page answers at once and follows it.
    expect(page.get_by_role("heading", name="Aperçu avant import")).to_be_visible(timeout=180_000)
    expect(page.get_by_text(re.compile(r"0 participant sur 30\W?000 reconnu"))).to_be_visible()
    analysis_pages = [html for html in seen if "Analyse du fichier en cours" in html]
    assert analysis_pages, "the analysis was not seen in progress"

    seen.clear()
    page.get_by_role("button", name="Confirmer l’import").click()
    expect(page.get_by_role("heading", name="Import terminé")).to_be_visible(timeout=300_000)
    import_pages = [html for html in seen if "Import en cours" in html]
    assert import_pages, "the import was not seen in progress"
    # The worker publishes its progress while its transaction writes: some page showed
    # rows done out of the total before the end.
    done_counts = [
        int(re.sub(r"\D", "", count))
        for html in import_pages
        # « 12 345 » with its no-break space, which the page's serialised HTML writes &nbsp;.
        for count in re.findall(
            r"(\d(?:\d|&nbsp;|\u00a0)*) lignes traitées sur 30(?:&nbsp;|\u00a0)000", html
        )
    ]
    assert any(count > 0 for count in done_counts), done_counts

    status, rows = app.query(
        "SELECT status, rows FROM campaigns_resultimport WHERE original_name = ?",
        export_name,
    )[0]
    assert (status, rows) == ("done", ROWS)
    assert app.query(
        "SELECT count(*) FROM campaigns_participation p JOIN campaigns_campaign c "
        "ON c.id = p.campaign_id WHERE c.pix_id = 480001",
    ) == [(ROWS,)]
    slowest = max(waits)
    assert slowest[0] < MAX_WAIT_MS, f"{slowest[1]} waited {slowest[0]:.0f} ms"
    assert len(waits) >= 6
