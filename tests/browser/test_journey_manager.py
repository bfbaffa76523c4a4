"""A manager's week in Chromium, end to end on the real UI, in a managerial programme: their
team, an agent's page with levels against targets (logged as a view of individual results),
another agent's address answering the 404 page, then the agent's review sheet prepared with
the keyboard only (written fields, CPF reminder, an objective), marked prepared and shared,
which locks it. axe-core checks every page loaded, the 404 page included (the `journey`
fixture fails the test otherwise)."""

from playwright.sync_api import expect

from programmes.models import ResultAccessLog
from reviews.models import ReviewState
from tests.browser.conftest import tab_to, visit_first_page
from tests.campaigns.factories import CampaignFactory
from tests.programmes.factories_accompaniment import share_levels
from tests.reviews.factories import ReviewCycleFactory, ReviewFactory


def _arrange(cast):
    """The agent went from level 2 to 3 in 1.1 (the target); the 2026 cycle is open, one
    sheet per member of the team."""
    campaign = CampaignFactory(name="Collecte de profils 2026")
    cast.programme.campaigns.add(campaign)
    share_levels(cast.agent_agent, campaign, {"1.1": 2}, days_ago=200)
    share_levels(cast.agent_agent, campaign, {"1.1": 3}, days_ago=5)
    cycle = ReviewCycleFactory(programme=cast.programme, year=2026)
    reviews = {member: ReviewFactory(cycle=cycle, agent=member) for member in cast.team}
    return reviews[cast.agent_agent]


def test_manager_week_team_agent_and_review_sheet_shared(journey, managerial_cast, settings):
    cast = managerial_cast
    review = _arrange(cast)
    page = journey.page
    agent = cast.agent_agent

    journey.login(cast.manager, landing="/equipe/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon équipe")
    expect(page.locator("main")).to_contain_text("6 agents dans votre équipe")
    journey.skip_to_content()
    journey.screenshot("1-equipe")

    # The team page links to each agent's page and review sheet.
    expect(
        page.locator("main").get_by_role(
            "link", name=f"Fiche d’entretien {review.cycle.year} — {agent.full_name}"
        )
    ).to_have_attribute("href", review.get_absolute_url())
    journey.follow(page.locator("main").get_by_role("link", name=agent.full_name, exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text(agent.full_name)
    expect(page.locator("#agent-review-sheets a")).to_have_attribute(
        "href", review.get_absolute_url()
    )
    expect(page.locator(".app-progress")).to_contain_text("Objectif atteint")
    expect(page.locator("table.app-results").get_by_role("row", name="1.1")).to_contain_text(
        "niveau 3"
    )
    journey.screenshot("2-agent")
    assert ResultAccessLog.objects.filter(viewer=cast.manager, agent=agent).exists()

    # Someone outside the team: the 404 page, checked like any other.
    journey.visit(f"/agents/{cast.stranger_agent.pk}/", status=404)
    expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")
    expect(page.locator("main")).not_to_contain_text(cast.stranger_agent.last_name)
    journey.screenshot("3-hors-equipe-404")

    # The review sheets of the team, from the menu.
    journey.visit("/equipe/")
    journey.follow(
        page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Entretiens")
    )
    journey.follow(page.get_by_role("link", name="Les fiches de mon équipe 2026"))
    expect(page.locator("#team-reviews caption")).to_have_text("6 entretiens")
    journey.follow(page.locator("#team-reviews").get_by_role("link", name=agent.full_name))
    expect(page.locator("#sheet-levels")).to_contain_text("1.1")

    # The sheet, with the keyboard only.
    form = page.locator("#review-form")
    tab_to(page, form.get_by_label("Compétences acquises (4°)"), limit=80)
    page.keyboard.type("Maîtrise de la recherche d’information")
    page.keyboard.press("Tab")
    expect(form.get_by_label("Besoins de formation (6°)")).to_be_focused()
    page.keyboard.type("Tableur : tableaux croisés")
    cpf = form.get_by_role("checkbox", name="J'ai informé l'agent de ses droits", exact=False)
    tab_to(page, cpf)
    page.keyboard.press("Space")
    expect(cpf).to_be_checked()
    tab_to(page, form.get_by_label("Commentaire de l'encadrant", exact=False))
    page.keyboard.type("Belle progression cette année.")
    objective = form.get_by_label("1.1 ", exact=False)
    tab_to(page, objective)
    page.keyboard.type("4")
    expect(objective).to_have_value("4")
    save = form.get_by_role("button", name="Enregistrer la fiche")
    tab_to(page, save, limit=30)
    with journey.navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".fr-alert--success")).to_contain_text("La fiche est enregistrée")
    journey.screenshot("4-fiche-preparee")

    journey.follow(page.get_by_role("button", name="Marquer la fiche comme préparée"))
    # Sharing locks the sheet for good: the manager confirms it first (the label, as DSFR
    # draws the box over it).
    page.locator("#share-form label[for=id_confirm]").click()
    journey.follow(page.get_by_role("button", name="Partager la fiche avec l’agent"))
    expect(page.locator("#review-form")).to_have_count(0)
    expect(page.locator("#written-fields")).to_contain_text("Tableur : tableaux croisés")
    expect(page.locator("#objectives")).to_contain_text("niveau 4")
    expect(page.locator("main")).to_contain_text("verrouillée")
    journey.screenshot("5-fiche-partagee")

    review.refresh_from_db()
    assert review.state == ReviewState.SHARED
    assert review.cpf_informed
    assert review.manager_comment == "Belle progression cette année."
    assert review.objectives.get().level == 4

    # The first page of a paginated list: their team, two agents a page.
    visit_first_page(journey, settings, "/equipe/")
    journey.logout()
