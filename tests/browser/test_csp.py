"""Under the real Content Security Policy, no page of any role makes Chromium refuse anything:
no blocked script, style, font or image, no page error. Charts included."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LOGIN_PATH, assert_no_serious_axe_violations, login
from tests.browser.test_owner_dashboard_journey import _results

# Recorded by the page itself, in case a violation reaches no console message.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""

PAGES = {
    "owner": [
        lambda c: f"/programmes/{c.programme.slug}/",
        lambda c: f"/programmes/{c.programme.slug}/tableau-de-bord/",
        lambda c: f"/programmes/{c.programme.slug}/freins/",
        lambda c: "/entretiens/pilotage/",
    ],
    "ambassador": [
        lambda c: "/populations/",
        lambda c: f"/populations/{c.population.pk}/",
        lambda c: f"/agents/{c.team[1].pk}/",
    ],
    "manager": [
        lambda c: "/equipe/",
        lambda c: f"/agents/{c.agent_agent.pk}/",
    ],
    "agent": [
        lambda c: "/mon-parcours/",
        lambda c: "/entretiens/mes-entretiens/",
    ],
}


class PageProblems:
    """Collects CSP reports and script errors of a page, across navigations."""

    def __init__(self, page):
        self.page = page
        self.messages = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._on_console)
        page.on(
            "pageerror", lambda error: self.messages.append(f"pageerror: {error.stack or error}")
        )

    def _on_console(self, message):
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.messages.append(f"console {message.type}: {text}")

    def check(self, where):
        recorded = self.page.evaluate("window.__cspViolations || []")
        problems = self.messages + [f"securitypolicyviolation: {v}" for v in recorded]
        self.messages = []
        if problems:
            pytest.fail(
                f"Violations de la politique de sécurité du contenu sur {where} :\n- "
                + "\n- ".join(problems),
                pytrace=False,
            )


def test_the_policy_is_sent_with_a_nonce_the_dsfr_scripts_carry(page, live_server, db):
    problems = PageProblems(page)
    response = page.goto(f"{live_server.url}{LOGIN_PATH}")
    policy = response.header_value("content-security-policy")
    assert "script-src 'self' 'nonce-" in policy
    nonce = policy.split("'nonce-")[1].split("'")[0]
    # Chromium hides the nonce attribute from the DOM once parsed; the property keeps it.
    assert page.evaluate("document.querySelector('script[type=module]').nonce") == nonce
    # The DSFR ran: its JS marks the root element once started.
    expect(page.locator("html")).to_have_attribute("data-fr-js", "true")
    problems.check(LOGIN_PATH)


@pytest.mark.parametrize("role", list(PAGES))
def test_no_page_of_the_role_violates_the_policy(page, live_server, cast, password, role):
    _results(cast)  # charts with bars on the dashboard and the agents' pages
    problems = PageProblems(page)
    login(page, live_server, getattr(cast, role).email, password)
    problems.check(f"la connexion ({role})")
    for path_for in PAGES[role]:
        path = path_for(cast)
        response = page.goto(f"{live_server.url}{path}")
        assert response.ok, f"{path}: {response.status}"
        assert "'nonce-" in response.header_value("content-security-policy")
        page.wait_for_load_state("networkidle")
        problems.check(path)


def test_lockout_page_is_french_accessible_and_within_the_policy(
    page, live_server, cast, screenshot
):
    problems = PageProblems(page)
    for _ in range(5):
        login(page, live_server, cast.owner.email, "pas-le-bon-mot-de-passe")
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion temporairement bloquée")
    expect(page.get_by_role("alert")).to_contain_text("Trop de tentatives")
    assert_no_serious_axe_violations(page)
    screenshot(page, "blocage")
    problems.check("la page de blocage")
