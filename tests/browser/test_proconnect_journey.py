"""An agent signs in with ProConnect in Chromium, against a real OpenID Connect provider on
loopback, lands on « Mon parcours » without a password, and logs out of both; the policy
(CSP form-action included) lets every step through."""

import re

import pytest
from playwright.sync_api import expect

from agents.models import Agent
from tests.agents.factories import AgentFactory
from tests.agents.test_proconnect import configure, identity, provider_settings
from tests.browser.conftest import LOGIN_PATH, assert_no_serious_axe_violations
from tests.browser.test_csp import PageProblems
from tests.programmes.factories import EnrolmentFactory


@pytest.fixture(scope="module")
def provider():
    import oidc_provider_mock

    with oidc_provider_mock.run_server_in_thread(require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


def test_an_agent_signs_in_with_proconnect_and_logs_out_of_both(
    page, live_server, cast, settings, provider, screenshot
):
    configure(settings, provider_settings(provider))
    newcomer = AgentFactory(
        email="nadia.benali@exemple.gouv.fr", first_name="Nadia", last_name="Benali"
    )
    EnrolmentFactory(population=cast.population, agent=newcomer)
    identity(provider, "nadia", email="nadia.benali@exemple.gouv.fr")
    problems = PageProblems(page)

    page.goto(f"{live_server.url}{LOGIN_PATH}?next=/mon-parcours/")
    button = page.get_by_role("link", name="S'identifier avec ProConnect")
    expect(button).to_be_visible()
    assert_no_serious_axe_violations(page)
    problems.check("la page de connexion")
    screenshot(page, "1-connexion")

    # Keyboard: the ProConnect link is reached with Tab and followed with Enter.
    button.focus()
    with page.expect_navigation(url=re.compile(re.escape(provider))):
        page.keyboard.press("Enter")
    page.get_by_placeholder("sub").fill("nadia")
    with page.expect_navigation(url=re.compile(re.escape(live_server.url))):
        page.get_by_role("button", name="Authorize").click()

    page.wait_for_url(f"{live_server.url}/mon-parcours/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon parcours Pix")
    expect(page.locator(".app-account-name").first).to_have_text("Nadia Benali")
    assert_no_serious_axe_violations(page)
    problems.check("Mon parcours après ProConnect")
    screenshot(page, "2-mon-parcours")
    assert Agent.objects.get(pk=newcomer.pk).user.email == "nadia.benali@exemple.gouv.fr"

    # Logging out (a POST) ends at the provider's logout, then back on our login page.
    with page.expect_navigation(url=re.compile(re.escape(provider))):
        page.get_by_role("button", name="Se déconnecter").first.click()
    problems.check("la déconnexion")
    with page.expect_navigation(url=re.compile(re.escape(live_server.url))):
        page.get_by_role("button", name="End session").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter à Pilote Pix")
    page.goto(f"{live_server.url}/mon-parcours/")
    assert LOGIN_PATH in page.url
