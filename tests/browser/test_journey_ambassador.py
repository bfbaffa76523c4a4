"""The Pix ambassador's week in Chromium, end to end on the real UI: their populations, the
programme, a Pix Orga export imported (a sample of /work/shared/pix/samples), its result seen
on the agent's page, a milestone check-in with that agent done with the keyboard only, a
resource added to the catalogue, a mentoring request paired, who would be reminded today.
axe-core checks every page loaded (the `journey` fixture fails the test otherwise)."""

import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from programmes.models import CheckIn, Mentoring, Resource
from tests.agents.factories import AgentFactory
from tests.browser.conftest import tab_to, visit_first_page
from tests.campaigns.factories import CampaignFactory
from tests.programmes.factories import EnrolmentFactory
from tests.programmes.factories_accompaniment import (
    MentorFactory,
    MentoringFactory,
    share_levels,
)

SAMPLES = Path("/work/shared/pix/samples")
# Pix Orga names its exports so: the campaign, its id, the day and time of the export.
SAMPLE_NAME = "Resultats-Collecte de profils 2026-90001-2026-04-07-0930.csv"


@pytest.fixture
def pix_export(tmp_path):
    path = tmp_path / SAMPLE_NAME
    path.write_bytes((SAMPLES / "profiles-collection.csv").read_bytes())
    return path


def _arrange(cast):
    """Marie Öztürk (matricule 1000002 in the export) is enrolled; a colleague at level 4 in
    1.1 volunteers to help, another at level 1 asked for help."""
    marie = AgentFactory(first_name="Marie", last_name="Öztürk", external_id="1000002")
    EnrolmentFactory(agent=marie, population=cast.population)
    campaign = CampaignFactory(name="Collecte de profils 2025")
    cast.programme.campaigns.add(campaign)
    mentor, mentee = cast.team[1], cast.team[2]
    share_levels(mentor, campaign, {"1.1": 4}, days_ago=40)
    share_levels(mentee, campaign, {"1.1": 1}, days_ago=40)
    MentorFactory(programme=cast.programme, agent=mentor)
    MentoringFactory(programme=cast.programme, mentee=mentee)
    return marie, mentor, mentee


def test_ambassador_week_import_checkin_resource_mentoring_reminders(
    journey, cast, pix_export, settings
):
    marie, mentor, mentee = _arrange(cast)
    page = journey.page
    programme, population = cast.programme, cast.population

    journey.login(cast.ambassador, landing="/a-faire/")
    expect(page.get_by_role("heading", level=1)).to_have_text("À faire")
    journey.follow(page.get_by_role("link", name="Voir mes populations"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Populations cibles")
    journey.skip_to_content()
    journey.follow(page.locator("main").get_by_role("link", name=population.name))
    expect(page.get_by_role("heading", level=1)).to_have_text(population.name)
    journey.follow(
        page.get_by_role("navigation", name="vous êtes ici :").get_by_role(
            "link", name=programme.name
        )
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(programme.name)
    journey.screenshot("1-programme")

    # The Pix Orga export: upload, preview, confirm.
    journey.follow(page.get_by_role("link", name="Importer un export Pix Orga"))
    page.get_by_label("Export CSV de Pix Orga").set_input_files(str(pix_export))
    journey.follow(page.get_by_role("button", name="Analyser le fichier"))
    expect(page.get_by_role("heading", name="Aperçu avant import")).to_be_visible()
    counts = page.locator("#import-counts")
    expect(counts.get_by_role("row", name="Lignes du fichier")).to_contain_text("12")
    journey.screenshot("2-apercu-import")
    journey.follow(page.get_by_role("button", name="Confirmer l’import"))
    expect(page.get_by_role("heading", name="Import terminé")).to_be_visible()
    journey.screenshot("3-import-termine")

    # The result on Marie's page.
    journey.visit(population.get_absolute_url())
    journey.follow(page.locator("#population-agents").get_by_role("link", name=marie.full_name))
    expect(page.get_by_role("heading", level=1)).to_have_text(marie.full_name)
    expect(page.locator("table.app-results").get_by_role("row", name="1.1")).to_contain_text(
        "niveau 4"
    )
    expect(page.locator("table.app-participations")).to_contain_text("Collecte de profils 2026")
    journey.screenshot("4-agent-apres-import")

    # A milestone, and the check-in with Marie, with the keyboard only.
    journey.visit(population.get_absolute_url())
    journey.follow(
        page.get_by_role("navigation", name="Gérer la population").get_by_role(
            "link", name="Points d’étape"
        )
    )
    journey.follow(page.get_by_role("link", name="Nouveau point d’étape"))
    page.get_by_label("Date du point d’étape").fill(timezone.localdate().isoformat())
    page.get_by_label("Intitulé").fill("Point de rentrée")
    journey.follow(page.get_by_role("button", name="Créer le point d’étape"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Point de rentrée")
    journey.follow(
        page.locator("#agents-waiting").get_by_role(
            "link", name=f"Faire le point avec {marie.full_name}"
        )
    )
    expect(page.locator("#run-agent")).to_contain_text(marie.full_name)
    # Her situation at the milestone comes from the export just imported.
    expect(page.locator("#run-agent ~ dl")).to_contain_text("Objectif atteint")
    form = page.locator("#checkin-form")
    first_barrier = form.get_by_role("checkbox").first
    expect(first_barrier).to_be_focused()
    page.keyboard.press("Space")
    expect(first_barrier).to_be_checked()
    tab_to(page, form.get_by_label("Commentaire"))
    page.keyboard.type("Objectif atteint en 1.1 ; manque de temps pour la suite.")
    page.keyboard.press("Tab")
    expect(form.get_by_label("Prochaine étape convenue")).to_be_focused()
    page.keyboard.type("Accompagner un collègue en 1.1")
    journey.screenshot("5-point-d-etape-clavier")
    with journey.navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(
        f"Point d’étape de {marie.full_name} enregistré."
    )
    checkin = CheckIn.objects.get(agent=marie)
    assert checkin.comment == "Objectif atteint en 1.1 ; manque de temps pour la suite."
    assert [b.label for b in checkin.barriers.all()] == ["Manque de temps"]

    # A resource added to the catalogue.
    journey.visit(programme.get_absolute_url())
    journey.follow(page.get_by_role("link", name="Catalogue de ressources"))
    journey.follow(page.get_by_role("link", name="Nouvelle ressource"))
    form = page.locator("#resource-form")
    form.get_by_label("Titre").fill("Tutoriel : chercher sur le web")
    form.get_by_label("Type").select_option(label="Tutoriel Pix")
    competence = form.get_by_role("checkbox", name=re.compile(r"^1\.1 "))
    # DSFR draws the box over its label: a person clicks the label.
    form.locator(f"label[for={competence.get_attribute('id')}]").click()
    expect(competence).to_be_checked()
    form.get_by_label("Lien").fill("https://intranet.exemple.gouv.fr/tutoriel-recherche")
    journey.follow(form.get_by_role("button", name=re.compile("^Ajouter")))
    expect(page.locator("#resources")).to_contain_text("Tutoriel : chercher sur le web")
    journey.screenshot("6-catalogue")
    assert Resource.objects.get(title="Tutoriel : chercher sur le web").competences.count() == 1

    # The pending mentoring request, paired with the volunteer.
    journey.visit(programme.get_absolute_url())
    journey.follow(page.get_by_role("link", name="Compagnonnage : demandes et mises en relation"))
    pending = page.locator("#mentoring-pending")
    expect(pending).to_contain_text(mentee.full_name)
    expect(page.get_by_label(f"Compagnon·ne pour {mentee.full_name}")).to_contain_text(
        mentor.full_name
    )
    journey.follow(pending.get_by_role("button", name="Mettre en relation"))
    expect(page.get_by_role("status")).to_contain_text("sont mis en relation en 1.1")
    expect(page.locator("#mentoring-paired")).to_contain_text(mentor.full_name)
    journey.screenshot("7-compagnonnage")
    assert Mentoring.objects.get(mentee=mentee).mentor.agent == mentor

    # Reminders: who would be reminded today.
    journey.visit(programme.get_absolute_url())
    journey.follow(page.get_by_role("link", name="Relances", exact=True))
    journey.follow(page.locator("main").get_by_role("link", name=re.compile("^Voir ")))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Qui serait relancé aujourd’hui")
    preview = page.locator("#preview-list")
    expect(preview.get_by_role("row", name=mentee.full_name)).to_contain_text("À l'arrêt")
    expect(preview).not_to_contain_text(marie.full_name)  # at her target since the import
    expect(preview).not_to_contain_text(mentor.full_name)
    journey.screenshot("8-apercu-relances")

    # The first page of a paginated list: the agents of their population, two a page.
    visit_first_page(journey, settings, population.get_absolute_url())
    journey.logout()
