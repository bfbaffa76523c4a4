"""Every application page, opened by a role that may see it, has no serious axe violation."""

import pytest
from playwright.sync_api import expect

from programmes.models import ReminderSettings
from tests.browser.conftest import assert_no_serious_axe_violations, assert_reflows, login

PAGES = [
    # (role, path builder, text the page must show)
    ("owner", lambda c: f"/programmes/{c.programme.slug}/", lambda c: c.programme.name),
    ("owner", lambda c: f"/populations/{c.population.pk}/", lambda c: c.population.name),
    ("owner", lambda c: "/agents/", lambda c: "Agents"),
    # The HR list is an organisation administrator's (staff, « gestionnaire RH »).
    ("staff", lambda c: "/agents/import/", lambda c: "Importer la liste des agents"),
    ("ambassador", lambda c: f"/populations/{c.population.pk}/", lambda c: c.agent_agent.full_name),
    ("ambassador", lambda c: f"/agents/{c.agent_agent.pk}/", lambda c: c.agent_agent.full_name),
    ("manager", lambda c: f"/agents/{c.agent_agent.pk}/", lambda c: c.agent_agent.full_name),
    # Accompaniment pages that no journey opens.
    ("ambassador", lambda c: f"/populations/{c.population.pk}/points-d-etape/", lambda c: "Points"),
    (
        "ambassador",
        lambda c: f"/populations/{c.population.pk}/points-d-etape/nouveau/",
        lambda c: "Intitulé",
    ),
    (
        "ambassador",
        lambda c: f"/programmes/{c.programme.slug}/ressources/nouvelle/",
        lambda c: "Titre",
    ),
    (
        "ambassador",
        lambda c: f"/programmes/{c.programme.slug}/ressources/import/",
        lambda c: "Importer",
    ),
    ("owner", lambda c: f"/programmes/{c.programme.slug}/freins/", lambda c: "Manque de temps"),
    ("owner", lambda c: f"/programmes/{c.programme.slug}/tableau-de-bord/", lambda c: "Freins"),
    ("agent", lambda c: "/mon-parcours/", lambda c: "Compagnonnage"),
    (
        "owner",
        lambda c: f"/programmes/{c.programme.slug}/relances/apercu/",
        lambda c: "Qui serait relancé",
    ),
    (
        "ambassador",
        lambda c: f"/programmes/{c.programme.slug}/relances/apercu/?tri=motif",
        lambda c: c.team[1].full_name,
    ),
    (
        "ambassador",
        lambda c: f"/programmes/{c.programme.slug}/relances/apercu/{c.team[1].pk}/",
        lambda c: "Pix : où en êtes-vous ?",
    ),
    (
        "ambassador",
        lambda c: f"/programmes/{c.programme.slug}/relances/envois/",
        lambda c: "Relances envoyées",
    ),
    ("owner", lambda c: "/entretiens/pilotage/", lambda c: "Entretiens"),
    ("owner", lambda c: f"/entretiens/pilotage/{c.programme.slug}/", lambda c: "Ouvrir"),
    ("agent", lambda c: "/entretiens/mes-entretiens/", lambda c: "entretiens"),
    ("agent", lambda c: "/mes-donnees/", lambda c: "données"),
    ("agent", lambda c: "/protection-des-donnees/", lambda c: "données"),
    # The legal pages (footer), logged in; tests/legal covers them page by page.
    ("agent", lambda c: "/accessibilite/", lambda c: "Défenseur des droits"),
    ("owner", lambda c: "/mentions-legales/", lambda c: "Hébergement"),
    ("owner", lambda c: "/plan-du-site/", lambda c: "Importer des résultats Pix"),
    ("manager", lambda c: "/plan-du-site/", lambda c: "Mon équipe"),
    ("agent", lambda c: "/agents/999999/", lambda c: "Page introuvable"),
    ("agent", lambda c: "/agents/import/", lambda c: "Accès refusé"),
    ("owner", lambda c: "/agents/import/", lambda c: "Accès refusé"),
]


@pytest.mark.parametrize("case", range(len(PAGES)))
def test_page_has_no_serious_axe_violation(page, live_server, cast, password, screenshot, case):
    role, path_for, text_for = PAGES[case]
    login(page, live_server, getattr(cast, role).email, password)
    page.goto(f"{live_server.url}{path_for(cast)}")
    expect(page.locator("main")).to_contain_text(text_for(cast))
    assert_no_serious_axe_violations(page)
    assert_reflows(page)
    screenshot(page, f"{role}-{case}")


def test_import_errors_are_accessible(page, live_server, cast, password, tmp_path, screenshot):
    bad = tmp_path / "agents.csv"
    bad.write_bytes(
        "matricule;nom;prénom;email;service;fonction;email du responsable\n"
        "X1;Dupont;Hélène;pas-un-email;SG;;\n".encode("cp1252")
    )
    login(page, live_server, cast.staff.email, password)
    page.goto(f"{live_server.url}/agents/import/")
    page.locator("input[type=file]").set_input_files(str(bad))
    with page.expect_navigation():
        page.get_by_role("button", name="Importer").click()
    expect(page.locator("main")).to_contain_text("Ligne 2, colonne « email »")
    assert_no_serious_axe_violations(page)
    assert_reflows(page)
    screenshot(page, "import-erreurs")


@pytest.mark.parametrize(
    "path",
    [
        "/comptes/mot-de-passe/oubli/",
        "/nulle-part/",
        # The legal pages, for a visitor not logged in.
        "/accessibilite/",
        "/mentions-legales/",
        "/plan-du-site/",
        "/protection-des-donnees/",
    ],
)
def test_public_pages_have_no_serious_axe_violation(page, live_server, db, path):
    page.goto(f"{live_server.url}{path}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_no_serious_axe_violations(page)
    assert_reflows(page)


def test_the_pending_rules_notice_is_accessible(page, live_server, cast, password, screenshot):
    """The reminders overview while a new interval and maximum wait for their job (the
    notice `#rules-pending` and the form showing the saved values)."""
    ReminderSettings.objects.update_or_create(
        programme=cast.programme,
        defaults={"enabled": True, "pending_interval_days": 30, "pending_max_count": 5},
    )
    login(page, live_server, cast.owner.email, password)
    page.goto(f"{live_server.url}/programmes/{cast.programme.slug}/relances/")
    expect(page.locator("#rules-pending")).to_contain_text("Nouvel intervalle : 30 jours")
    assert_no_serious_axe_violations(page)
    assert_reflows(page)
    screenshot(page, "relances-regles-en-attente")
