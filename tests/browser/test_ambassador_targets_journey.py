"""The ambassador's population journey in Chromium: set a target with a deadline, read its
dated history, then enrol agents by pasting matricules (an unknown one first stops
everything). Every page passes axe."""

from playwright.sync_api import expect

from tests.agents.factories import AgentFactory, OrgUnitFactory
from tests.browser.conftest import assert_no_serious_axe_violations, login
from tests.campaigns.factories import CampaignFactory


def test_ambassador_sets_a_target_and_enrols_agents_by_pasting_matricules(
    page, live_server, cast, password, screenshot
):
    newcomers = [
        AgentFactory(last_name="Lemaire", first_name="Inès", external_id="NV-001"),
        AgentFactory(last_name="Ndiaye", first_name="Paul", external_id="NV-002"),
    ]
    login(page, live_server, cast.ambassador.email, password)

    page.goto(f"{live_server.url}{cast.population.get_absolute_url()}")
    manage = page.get_by_role("navigation", name="Gérer la population")
    manage.get_by_role("link", name="Fixer les objectifs").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Objectifs de « Assistants »")
    assert_no_serious_axe_violations(page)
    screenshot(page, "1-objectifs")

    page.get_by_label("1.2 Gérer des données", exact=True).select_option(label="Niveau 3")
    page.get_by_label("Échéance 1.2 (facultatif)").fill("2026-12-31")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer les objectifs").click()
    expect(page.get_by_role("status")).to_contain_text("Objectifs enregistrés : 1 fixé")
    target_row = page.get_by_role("row", name="1.2 Gérer des données")
    expect(target_row).to_contain_text("niveau 3")
    expect(target_row).to_contain_text("31 décembre 2026")
    screenshot(page, "2-population")

    page.get_by_role("link", name="Historique des objectifs").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Historique des objectifs")
    changes = page.locator("#target-changes")
    expect(changes).to_contain_text("Objectif fixé")
    expect(changes).to_contain_text("niveau 3, échéance 31 décembre 2026")
    expect(page.locator("#targets-applying")).to_contain_text("1.2 Gérer des données")
    assert_no_serious_axe_violations(page)
    screenshot(page, "3-historique")

    page.goto(f"{live_server.url}{cast.population.get_absolute_url()}")
    page.get_by_role("link", name="Inscrire des agents").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inscrire des agents par une liste")
    assert_no_serious_axe_violations(page)
    box = page.get_by_label("Matricules ou adresses e-mail")
    box.fill("NV-001\nNV-999\nNV-002")
    with page.expect_navigation():
        page.get_by_role("button", name="Inscrire", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("rien n’a été inscrit")
    expect(page.locator("#unknown-identifiers")).to_contain_text("« NV-999 »")
    assert_no_serious_axe_violations(page)
    screenshot(page, "4-inconnu")

    box.fill("NV-001\nNV-002")
    with page.expect_navigation():
        page.get_by_role("button", name="Inscrire", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Agents de « Assistants »")
    expect(page.get_by_role("status")).to_contain_text("2 agents inscrits, 0 l’était déjà.")
    members = page.locator("#members")
    for agent in newcomers:
        expect(members).to_contain_text(agent.full_name)
    assert_no_serious_axe_violations(page)
    screenshot(page, "5-inscrits")

    members.get_by_role(
        "button", name=f"Retirer de la population : {newcomers[0].full_name}"
    ).click()
    expect(page.get_by_role("status")).to_contain_text("ne fait plus partie de la population")
    expect(members).not_to_contain_text(newcomers[0].full_name)
    assert cast.population.enrolments.filter(agent=newcomers[0], end_date__isnull=False).exists()


def test_owner_creates_a_population_and_enrols_a_unit_after_a_preview(
    page, live_server, cast, password, screenshot
):
    unit = OrgUnitFactory(name="Service informatique")
    team = AgentFactory.create_batch(3, org_unit=OrgUnitFactory(name="Pôle réseau", parent=unit))
    login(page, live_server, cast.owner.email, password)

    page.goto(f"{live_server.url}{cast.programme.get_absolute_url()}")
    page.get_by_role("link", name="Nouvelle population").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouvelle population")
    assert_no_serious_axe_violations(page)
    page.get_by_label("Nom").fill("Informaticiens")
    page.get_by_label("Ambassadeurs (adresses e-mail)").fill("inconnu@exemple.gouv.fr")
    with page.expect_navigation():
        page.get_by_role("button", name="Créer la population").click()
    expect(page.locator("main")).to_contain_text(
        "Aucun compte actif pour : inconnu@exemple.gouv.fr"
    )
    assert_no_serious_axe_violations(page)
    page.get_by_label("Ambassadeurs (adresses e-mail)").fill(cast.ambassador.email)
    with page.expect_navigation():
        page.get_by_role("button", name="Créer la population").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Informaticiens")

    page.get_by_role("link", name="Inscrire des agents").click()
    page.get_by_role("link", name="Inscrire par critères").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inscrire des agents par critères")
    assert_no_serious_axe_violations(page)
    page.get_by_label("Unité", exact=True).select_option(label="Service informatique")
    with page.expect_navigation():
        page.get_by_role("button", name="Voir les agents concernés").click()
    preview = page.locator("#enrolment-preview")
    expect(preview).to_contain_text("3 agents seront inscrits, 0 déjà inscrit.")
    for agent in team:
        expect(preview).to_contain_text(agent.full_name)
    assert_no_serious_axe_violations(page)
    screenshot(page, "1-apercu")
    with page.expect_navigation():
        page.get_by_role("button", name="Inscrire ces 3 agents").click()
    expect(page.get_by_role("status")).to_contain_text("3 agents inscrits, 0 l’était déjà.")


def test_assessment_targets_and_their_errors_are_accessible(
    page, live_server, cast, password, screenshot
):
    campaign = CampaignFactory(assessment=True, stage_count=4, name="Parcours socle")
    cast.programme.campaigns.add(campaign)
    login(page, live_server, cast.ambassador.email, password)
    page.goto(f"{live_server.url}/populations/{cast.population.pk}/objectifs/")
    section = page.get_by_role(
        "group", name="Évaluation « Parcours socle » : palier et taux de maîtrise"
    )
    section.get_by_label("Palier visé").fill("3")
    section.get_by_label(
        "4.1 Sécuriser l'environnement numérique — taux de maîtrise visé (%)"
    ).fill("80")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer les objectifs").click()
    expect(page.get_by_role("status")).to_contain_text("2 fixés")
    page.goto(f"{live_server.url}/populations/{cast.population.pk}/objectifs/")
    section.get_by_label("Palier visé").fill("3")
    # The browser's own checks would stop 150; the server's message is the one tested here.
    page.locator("#targets-form").evaluate("form => form.noValidate = true")
    section.get_by_label(
        "4.1 Sécuriser l'environnement numérique — taux de maîtrise visé (%)"
    ).fill("150")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer les objectifs").click()
    expect(page.locator("main")).to_contain_text(
        "Le taux de maîtrise doit être compris entre 0 et 100 %."
    )
    assert_no_serious_axe_violations(page)
    screenshot(page, "erreur")
