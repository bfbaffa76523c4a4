"""Each role logs in through the real form in Chromium and lands on an accessible home.
axe-core checks every page loaded (the `journey` fixture fails the test otherwise)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    EMAIL_LABEL,
    LOGIN_PATH,
    PASSWORD_LABEL,
    SUBMIT_LABEL,
)

LANDINGS = {
    # role: (path, h1, what of the cast the page must show)
    # (an owner of one programme lands on its cockpit)
    "owner": (
        "/programmes/{slug}/tableau-de-bord/",
        "Tableau de bord",
        lambda c: "Part à l’objectif",
    ),
    "ambassador": ("/a-faire/", "À faire", lambda cast: cast.programme.name),
    "manager": ("/equipe/", "Mon équipe", lambda cast: cast.agent_agent.full_name),
    "agent": ("/mon-parcours/", "Mon parcours Pix", lambda cast: cast.programme.name),
}


@pytest.mark.parametrize("role", list(LANDINGS))
def test_role_logs_in_and_lands_on_an_accessible_home(journey, cast, role):
    path, heading, shown = LANDINGS[role]
    user = getattr(cast, role)
    expected_text = shown(cast)
    page = journey.page

    journey.visit(LOGIN_PATH)
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter à Pilote Pix")
    journey.screenshot("connexion")

    page.get_by_label(EMAIL_LABEL, exact=True).fill(user.email)
    page.get_by_label(PASSWORD_LABEL, exact=True).fill(journey.password)
    journey.follow(page.get_by_role("button", name=SUBMIT_LABEL, exact=True))

    expect(page).to_have_url(journey.url(path.format(slug=cast.programme.slug)))
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    expect(page.locator("#content")).to_contain_text(expected_text)
    expect(page.get_by_role("button", name="Se déconnecter").first).to_be_visible()
    journey.screenshot("accueil")


def test_wrong_password_shows_a_french_error_and_stays_accessible(journey, cast):
    page = journey.page
    journey.visit(LOGIN_PATH)
    page.get_by_label(EMAIL_LABEL, exact=True).fill(cast.owner.email)
    page.get_by_label(PASSWORD_LABEL, exact=True).fill("pas-le-bon-mot-de-passe")
    journey.follow(page.get_by_role("button", name=SUBMIT_LABEL, exact=True))

    expect(page).to_have_url(re.compile(re.escape(LOGIN_PATH) + "$"))
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Adresse e-mail ou mot de passe incorrect")
    # The e-mail stays filled in; the password never comes back.
    expect(page.get_by_label(EMAIL_LABEL, exact=True)).to_have_value(cast.owner.email)
    expect(page.get_by_label(PASSWORD_LABEL, exact=True)).to_have_value("")
    journey.screenshot("erreur")


def _focused_id(page):
    return page.evaluate("document.activeElement && document.activeElement.id")


def test_login_with_the_keyboard_only(journey, cast):
    page = journey.page
    journey.visit(LOGIN_PATH)
    email_id = page.get_by_label(EMAIL_LABEL, exact=True).get_attribute("id")
    password_id = page.get_by_label(PASSWORD_LABEL, exact=True).get_attribute("id")

    # Skip links and header links come first: Tab through them to the e-mail field.
    for _ in range(20):
        page.keyboard.press("Tab")
        if _focused_id(page) == email_id:
            break
    else:
        pytest.fail("Le champ « Adresse e-mail » n’est pas atteignable au clavier (Tab).")
    page.keyboard.type(cast.agent.email)

    page.keyboard.press("Tab")
    assert _focused_id(page) == password_id, "Tab depuis l’e-mail doit mener au mot de passe"
    page.keyboard.type(journey.password)
    journey.screenshot("saisie-clavier")

    with journey.navigation():
        page.keyboard.press("Enter")

    expect(page).to_have_url(journey.url("/mon-parcours/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon parcours Pix")
