"""The steering committee report in Chromium: from the owner's dashboard in one click, the
printable page prints on two A4 pages (Chromium's own print, print CSS), its PDF downloads,
and the page reads at 320 px. axe-core checks every page loaded (the `journey` fixture)."""

from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import login_to
from tests.programmes.steering.test_committee import committee, pdf_pages  # noqa: F401


def test_owner_prints_the_committee_report_on_two_pages(journey, committee, tmp_path):  # noqa: F811
    page = journey.page
    page.set_viewport_size({"width": 1280, "height": 800})
    login_to(
        journey,
        committee.owner,
        reverse("programmes:dashboard", kwargs={"slug": committee.programme.slug}),
    )
    journey.follow(
        page.get_by_role("link", name="Version à imprimer du rapport pour le comité de pilotage")
    )
    expect(page.locator("#committee-headline")).to_contain_text("Au rythme actuel")
    expect(page.get_by_role("img", name="Part à l’objectif en fin de mois")).to_be_visible()
    expect(page.locator("#committee-signature")).to_contain_text("Camille Martin")
    journey.screenshot("committee-1280")
    assert pdf_pages(page.pdf(format="A4", print_background=True), tmp_path) == 2
    name, content = journey.download(page.get_by_role("link", name="Télécharger le PDF"))
    assert name.startswith("comite-de-pilotage-programme-dr-") and name.endswith(".pdf")
    assert pdf_pages(content, tmp_path) == 2
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    journey.screenshot("committee-320")
