"""The ambassador's population journey in Chromium: set a target with a deadline, read its
dated history, then enrol agents by pasting matricules (an unknown one first stops
everything). axe-core checks every page loaded (the `journey` fixture fails the test
otherwise)."""

from playwright.sync_api import expect

from tests.agents.factories import AgentFactory, OrgUnitFactory
from tests.browser.conftest import login_to
from tests.campaigns.factories import CampaignFactory


def test_ambassador_sets_a_target_and_enrols_agents_by_pasting_matricules(journey, cast):
    page = journey.page
    newcomers = [
        AgentFactory(last_name="Lemaire", first_name="Inès", external_id="NV-001"),
        AgentFactory(last_name="Ndiaye", first_name="Paul", external_id="NV-002"),
    ]
    login_to(journey, cast.ambassador, cast.population.get_absolute_url())
    manage = page.get_by_role("navigation", name="Gérer la population")
    journey.follow(manage.get_by_role("link", name="Fixer les objectifs"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Objectifs de « Assistants »")
    journey.screenshot("1-objectifs")

    page.get_by_label("1.2 Gérer des données", exact=True).select_option(label="Niveau 3")
    page.get_by_label("Échéance 1.2 (facultatif)").fill("2026-12-31")
    journey.follow(page.get_by_role("button", name="Enregistrer les objectifs"))
    expect(page.get_by_role("status")).to_contain_text("Objectifs enregistrés : 1 fixé")
    target_row = page.get_by_role("row", name="1.2 Gérer des données")
    expect(target_row).to_contain_text("niveau 3")
    expect(target_row).to_contain_text("31 décembre 2026")
    journey.screenshot("2-population")

    journey.follow(page.get_by_role("link", name="Historique des objectifs").first)
    expect(page.get_by_role("heading", level=1)).to_have_text("Historique des objectifs")
    changes = page.locator("#target-changes")
    expect(changes).to_contain_text("Objectif fixé")
    expect(changes).to_contain_text("niveau 3, échéance 31 décembre 2026")
    expect(page.locator("#targets-applying")).to_contain_text("1.2 Gérer des données")
    journey.screenshot("3-historique")

    journey.visit(cast.population.get_absolute_url())
    journey.follow(page.get_by_role("link", name="Inscrire des agents"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Inscrire des agents par une liste")
    box = page.get_by_label("Matricules ou adresses e-mail")
    box.fill("NV-001\nNV-999\nNV-002")
    journey.follow(page.get_by_role("button", name="Inscrire", exact=True))
    expect(page.get_by_role("alert")).to_contain_text("rien n’a été inscrit")
    expect(page.locator("#unknown-identifiers")).to_contain_text("« NV-999 »")
    journey.screenshot("4-inconnu")

    box.fill("NV-001\nNV-002")
    journey.follow(page.get_by_role("button", name="Inscrire", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text("Agents de « Assistants »")
    expect(page.get_by_role("status")).to_contain_text("2 agents inscrits, 0 l’était déjà.")
    members = page.locator("#members")
    for agent in newcomers:
        expect(members).to_contain_text(agent.full_name)
    journey.screenshot("5-inscrits")

    journey.follow(
        members.get_by_role("button", name=f"Retirer de la population : {newcomers[0].full_name}")
    )
    expect(page.get_by_role("status")).to_contain_text("ne fait plus partie de la population")
    expect(members).not_to_contain_text(newcomers[0].full_name)
    assert cast.population.enrolments.filter(agent=newcomers[0], end_date__isnull=False).exists()


def test_owner_creates_a_population_and_enrols_a_unit_after_a_preview(journey, cast):
    page = journey.page
    unit = OrgUnitFactory(name="Service informatique")
    team = AgentFactory.create_batch(3, org_unit=OrgUnitFactory(name="Pôle réseau", parent=unit))
    login_to(journey, cast.owner, cast.programme.get_absolute_url())
    journey.follow(page.get_by_role("link", name="Nouvelle population"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouvelle population")
    page.get_by_label("Nom").fill("Informaticiens")
    page.get_by_label("Ambassadeurs (adresses e-mail)").fill("inconnu@exemple.gouv.fr")
    journey.follow(page.get_by_role("button", name="Créer la population"))
    expect(page.locator("main")).to_contain_text(
        "Aucun compte actif pour : inconnu@exemple.gouv.fr"
    )
    page.get_by_label("Ambassadeurs (adresses e-mail)").fill(cast.ambassador.email)
    journey.follow(page.get_by_role("button", name="Créer la population"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Informaticiens")

    journey.follow(page.get_by_role("link", name="Inscrire des agents"))
    journey.follow(page.get_by_role("link", name="Inscrire par critères"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Inscrire des agents par critères")
    page.get_by_label("Unité", exact=True).select_option(label="Service informatique")
    journey.follow(page.get_by_role("button", name="Voir les agents concernés"))
    preview = page.locator("#enrolment-preview")
    expect(preview).to_contain_text("3 agents seront inscrits, 0 déjà inscrit.")
    for agent in team:
        expect(preview).to_contain_text(agent.full_name)
    journey.screenshot("1-apercu")
    journey.follow(page.get_by_role("button", name="Inscrire ces 3 agents"))
    expect(page.get_by_role("status")).to_contain_text("3 agents inscrits, 0 l’était déjà.")


def test_assessment_targets_and_their_errors_are_accessible(journey, cast):
    page = journey.page
    campaign = CampaignFactory(assessment=True, stage_count=4, name="Parcours socle")
    cast.programme.campaigns.add(campaign)
    targets = f"/populations/{cast.population.pk}/objectifs/"
    login_to(journey, cast.ambassador, targets)
    section = page.get_by_role(
        "group", name="Évaluation « Parcours socle » : palier et taux de maîtrise"
    )
    section.get_by_label("Palier visé").fill("3")
    section.get_by_label(
        "4.1 Sécuriser l'environnement numérique — taux de maîtrise visé (%)"
    ).fill("80")
    journey.follow(page.get_by_role("button", name="Enregistrer les objectifs"))
    expect(page.get_by_role("status")).to_contain_text("2 fixés")
    journey.visit(targets)
    section.get_by_label("Palier visé").fill("3")
    # The browser's own checks would stop 150; the server's message is the one tested here.
    page.locator("#targets-form").evaluate("form => form.noValidate = true")
    section.get_by_label(
        "4.1 Sécuriser l'environnement numérique — taux de maîtrise visé (%)"
    ).fill("150")
    journey.follow(page.get_by_role("button", name="Enregistrer les objectifs"))
    expect(page.locator("main")).to_contain_text(
        "Le taux de maîtrise doit être compris entre 0 et 100 %."
    )
    journey.screenshot("erreur")
