"""The annual review in Chromium, in a managerial programme: the manager opens their list for
the cycle, prepares the agent's sheet (written fields and an objective) and marks it
prepared; the agent logs in and comments; the manager shares it (locked) and downloads the
PDF; the agent adds an addendum and opens the version it made. axe-core checks every page
loaded (the `journey` fixture fails the test otherwise)."""

from playwright.sync_api import expect

from reviews.models import ReviewState
from tests.browser.conftest import login_to, switch_user
from tests.campaigns.factories import CampaignFactory
from tests.programmes.factories_accompaniment import share_levels
from tests.reviews.factories import ReviewCycleFactory, ReviewFactory


def test_manager_prepares_and_shares_a_sheet_the_agent_comments(journey, managerial_cast):
    cast = managerial_cast
    page = journey.page
    campaign = CampaignFactory()
    cast.programme.campaigns.add(campaign)
    share_levels(cast.agent_agent, campaign, {"1.1": 2}, days_ago=200)
    share_levels(cast.agent_agent, campaign, {"1.1": 3}, days_ago=5)
    cycle = ReviewCycleFactory(programme=cast.programme)
    review = ReviewFactory(cycle=cycle, agent=cast.agent_agent)
    for colleague in cast.team[1:]:
        ReviewFactory(cycle=cycle, agent=colleague)
    agent_name = cast.agent_agent.full_name

    # The manager opens their list for the cycle and the agent's sheet.
    login_to(journey, cast.manager, f"/entretiens/campagnes/{cycle.pk}/mon-equipe/")
    expect(page.locator("#team-reviews caption")).to_have_text("6 entretiens")
    journey.follow(page.get_by_role("link", name=agent_name))
    expect(page.locator("#sheet-levels")).to_contain_text("1.1")
    expect(page.locator("svg[role=img]")).to_have_count(1)

    # Prepares it: fields, CPF reminder, an objective.
    form = page.locator("#review-form")
    form.get_by_label("Compétences acquises (4°)").fill("Maîtrise du tableur")
    form.get_by_label("Besoins de formation (6°)").fill("Messagerie et agenda partagés")
    form.get_by_label("Perspectives d'évolution (7°)").fill("Rester dans le service")
    # DSFR draws the box over its label: a person clicks the label.
    form.locator("label[for=id_cpf_informed]").click()
    expect(form.get_by_label("J'ai informé l'agent de ses droits", exact=False)).to_be_checked()
    form.get_by_label("1.1 ", exact=False).select_option("4")
    journey.follow(form.get_by_role("button", name="Enregistrer la fiche"))
    expect(page.locator(".fr-alert--success")).to_contain_text("La fiche est enregistrée")
    journey.screenshot("1-fiche-encadrant")
    journey.follow(page.get_by_role("button", name="Marquer la fiche comme préparée"))

    # The agent reads and comments.
    switch_user(journey, cast.agent, "/entretiens/mes-entretiens/")
    journey.follow(page.get_by_role("link", name=str(cycle.year)))
    expect(page.locator("#written-fields")).to_contain_text("Maîtrise du tableur")
    page.get_by_label("Votre commentaire").fill("Je souhaite une formation sur l'agenda.")
    journey.follow(page.get_by_role("button", name="Enregistrer mon commentaire"))
    expect(page.locator(".fr-alert--success")).to_contain_text("commentaire est enregistré")

    # The manager shares it and downloads the PDF.
    switch_user(journey, cast.manager, review.get_absolute_url())
    expect(page.locator("#agent-comment")).to_contain_text("formation sur l'agenda")
    # Sharing locks the sheet for good: the manager confirms it first (the label, as DSFR
    # draws the box over it).
    page.locator("#share-form label[for=id_confirm]").click()
    journey.follow(page.get_by_role("button", name="Partager la fiche avec l’agent"))
    expect(page.locator("#review-form")).to_have_count(0)
    expect(page.locator("#versions")).to_be_visible()
    pdf_href = page.get_by_role("link", name="Télécharger la fiche (PDF)").get_attribute("href")
    response = page.request.get(journey.url(pdf_href))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    journey.screenshot("2-fiche-partagee")

    # The agent adds an addendum to the locked sheet.
    switch_user(journey, cast.agent, review.get_absolute_url())
    page.get_by_label("Texte de l'addendum").fill("J'ajoute mon souhait de télétravail.")
    journey.follow(page.get_by_role("button", name="Ajouter l'addendum"))
    expect(page.locator("#addenda ~ .fr-callout")).to_contain_text("télétravail")
    journey.follow(page.get_by_role("link", name="Version 2", exact=False))
    expect(page.locator("main")).to_contain_text("J'ajoute mon souhait de télétravail.")

    review.refresh_from_db()
    assert review.state == ReviewState.SHARED
    assert review.versions.count() == 2
    assert review.objectives.get().level == 4
