"""Issue 16: the demo is alive on any day. For three days, the demo is seeded and served as
`make run` does, every process believing today is that day (libfaketime); each role then
logs in and reads its first screen:

- the owner lands on the cockpit: a trend that moves and a projection for the programme;
  the committee report is a 2-page PDF with the cockpit's figures;
- the ambassador's to-do list: each count is what the page it links to lists;
- the manager goes from the team page to an agent's review sheet;
- the agent reads their status in the second person.

Screenshots of the four homes at 1280 and 390 px go to test-artifacts/screenshots/."""

import os
import re
import subprocess
from contextlib import ExitStack

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    SCREENSHOT_DIR,
    assert_no_serious_axe_violations,
    assert_reflows,
    in_ci,
)
from tests.browser.embedded import embedded_app, faketime_missing_reason, log_in, seeded_once

DAYS = ["2026-06-01", "2026-12-06", "2027-03-15"]
WIDTHS = (1280, 390)

if faketime_missing_reason() and not in_ci():
    pytest.skip(faketime_missing_reason(), allow_module_level=True)


@pytest.fixture(scope="module")
def demos(tmp_path_factory):
    """Each day's demo, served the first time a test asks for it and kept until the module's
    last test, in whatever order the tests come (pytest-xdist sends them in its own: a module
    fixture per day was seeded again at each change of day). Seeded once per run, whichever
    process asks first (`seeded_once`): under xdist, in the folder its processes share."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    with ExitStack() as stack:
        served = {}

        def demo_of(day):
            if day not in served:
                folder = tmp_path_factory.mktemp(f"demo-{day}")
                seeded_once(shared, folder, today=day, days=DAYS)
                served[day] = stack.enter_context(
                    embedded_app(folder, today=day, worker=False, seeded=True)
                )
            return served[day]

        yield demo_of


@pytest.fixture(params=DAYS)
def demo(request, demos):
    return request.param, demos(request.param)


def shoot(page, day, role):
    """The home of `role` at 1280 and 390 px, for people to look at; axe-checked and read at
    every width the journeys check (conftest.assert_reflows)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.reload()  # loaded at that width, as on a phone
        page.screenshot(
            path=str(SCREENSHOT_DIR / f"accueil-{role}-{day}-{width}.png"), full_page=True
        )
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    assert_no_serious_axe_violations(page)
    assert_reflows(page)


def numbers(text):
    return [int(n) for n in re.findall(r"\d+", text.replace("\u202f", "").replace("\xa0", ""))]


def test_the_owner_lands_on_a_cockpit_that_moves(page, demo, tmp_path):
    day, app = demo
    log_in(page, app, "pilote@demo.gouv.fr")
    expect(page).to_have_url(re.compile(r"/tableau-de-bord/$"))
    overall = page.locator("#cockpit .app-cockpit").first
    expect(overall).to_be_visible()
    # The trend line's text alternative lists each month's share: it moves.
    trend = overall.locator("svg[role=img]")
    described = trend.get_attribute("aria-label") or trend.locator("desc").text_content()
    shares = set(re.findall(r"(\d+(?:,\d+)?)\s?%", described))
    assert len(shares) >= 3, described
    projection = overall.locator(".app-projection").inner_text()
    assert projection.startswith("Au rythme actuel"), projection
    expect(page.locator("#projection-method")).to_contain_text("Méthode")
    headline = overall.locator(".app-figure").inner_text()  # « 20 % »
    populations = [
        card.locator(".app-figure").inner_text()
        for card in page.locator("#cockpit .app-cockpit").all()[1:]
    ]
    shoot(page, day, "pilote")

    # The committee report, one click away: 2 A4 pages, the dashboard's figures.
    with page.expect_download() as download:
        page.get_by_role("link", name="Rapport pour le comité de pilotage (PDF, 2 pages)").click()
    report = tmp_path / "comite.pdf"
    download.value.save_as(report)
    info = subprocess.run(["pdfinfo", str(report)], capture_output=True, check=True, text=True)
    assert re.search(r"^Pages:\s+2$", info.stdout, re.MULTILINE), info.stdout
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(report), "-"], capture_output=True, check=True, text=True
    ).stdout
    text = text.replace("\u202f", " ").replace("\xa0", " ")
    for figure in [headline, *populations]:
        assert figure.replace("\u202f", " ").replace("\xa0", " ") in text, (figure, text[:2000])
    assert f"Situation au {int(day[8:])}" in text


def test_the_ambassador_to_do_counts_are_what_their_pages_list(page, demo):
    day, app = demo
    log_in(page, app, "ambassadeur@demo.gouv.fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("À faire")
    shoot(page, day, "ambassadeur")
    tasks = page.locator("ul.app-todo li[data-task] a")
    assert tasks.count() >= 3  # the demo leaves work to do on any day
    links = [
        (tasks.nth(i).inner_text(), tasks.nth(i).get_attribute("href"))
        for i in range(tasks.count())
    ]
    for label, href in links:
        count = numbers(label.split(" : ")[-1])[0]
        response = page.goto(f"{app.url}{href}")
        assert response.status == 200, href
        shown = numbers(page.locator("main").inner_text())
        assert count in shown, f"« {label} » but {href} does not show {count}"


def test_the_manager_reaches_a_review_sheet_from_the_team_page(page, demo):
    day, app = demo
    log_in(page, app, "encadrant@demo.gouv.fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon équipe")
    shoot(page, day, "encadrant")
    sheet = page.locator("main a[href*='/fiche/']").first
    expect(sheet).to_be_visible()
    sheet.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Entretien")


def test_the_agent_reads_their_status_in_the_second_person(page, demo):
    day, app = demo
    log_in(page, app, "agent@demo.gouv.fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon parcours Pix")
    expect(page.locator("main")).to_contain_text("Vous")
    expect(page.locator("main")).not_to_contain_text("À l’arrêt")
    shoot(page, day, "agent")
