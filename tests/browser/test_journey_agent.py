"""An agent's week in Chromium, end to end on the real UI: "Mon parcours" (status, levels
against the target, chart and table), a recommended resource marked started, done and useful
with the keyboard only, a mentoring request, the review sheet their manager prepared read
and commented with the keyboard only, "Mes données" and its JSON file, the data-protection
page, logging out. axe-core checks every page loaded (the `journey` fixture fails the test
otherwise)."""

import io
import json
import re

import openpyxl
from playwright.sync_api import expect

from programmes.models import Mentoring, ResourceUse
from reviews.models import ReviewState
from tests.browser.conftest import tab_to, visit_first_page
from tests.campaigns.factories import CampaignFactory
from tests.programmes.factories_accompaniment import MentorFactory, ResourceFactory, share_levels
from tests.reviews.factories import ReviewCycleFactory, ReviewFactory, ReviewObjectiveFactory

RESOURCE = "Chercher efficacement sur le web"
COMMENT = "Je voudrais suivre la formation tableur au printemps."


def _arrange(cast):
    """The agent is at level 1 in 1.1 (target 3), a colleague at level 4 volunteers, a
    resource fits the gap; the manager prepared the 2026 sheet."""
    campaign = CampaignFactory(name="Collecte de profils 2026")
    cast.programme.campaigns.add(campaign)
    share_levels(cast.agent_agent, campaign, {"1.1": 1}, days_ago=5)
    share_levels(cast.team[1], campaign, {"1.1": 4}, days_ago=5)
    MentorFactory(programme=cast.programme, agent=cast.team[1])
    ResourceFactory(
        programme=cast.programme, title=RESOURCE, competences=["1.1"], level_min=2, level_max=3
    )
    review = ReviewFactory(
        cycle=ReviewCycleFactory(programme=cast.programme, year=2026),
        agent=cast.agent_agent,
        state=ReviewState.PREPARED,
        acquired_skills="Recherche d’information sur l’intranet",
        training_needs="Tableur",
    )
    ReviewObjectiveFactory(review=review, level=3)
    return review


def _press_on(journey, button):
    """Tab to a button that posts a form, and press Enter: the new page is checked."""
    tab_to(journey.page, button, limit=80)
    with journey.navigation():
        journey.page.keyboard.press("Enter")


def test_agent_week_my_page_resource_mentoring_review_and_my_data(journey, cast, settings):
    review = _arrange(cast)
    page = journey.page
    agent = cast.agent_agent

    journey.login(cast.agent, landing="/mon-parcours/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon parcours Pix")
    journey.skip_to_content()
    # The agent reads the softer, second-person wording (programmes.status.agent_display).
    expect(page.locator(".app-progress")).to_contain_text("En bonne voie")
    expect(page.locator(".app-progress")).to_contain_text("0 sur 1")
    expect(
        page.get_by_role("img", name="Vos derniers niveaux et vos niveaux cibles")
    ).to_be_visible()
    level_row = page.locator("table.app-results").get_by_role("row", name="1.1")
    expect(level_row.locator("td").nth(0)).to_have_text("niveau 3")  # the target
    expect(level_row.locator("td").nth(1)).to_contain_text("niveau 1")  # the latest level
    journey.screenshot("1-mon-parcours")

    # The recommended resource, with the keyboard only.
    item = page.locator(".app-resource", has_text=RESOURCE)
    expect(item).to_contain_text("(votre niveau 1, objectif 3)")
    _press_on(journey, item.get_by_role("button", name=re.compile("^J’ai commencé")))
    expect(page.get_by_role("status")).to_contain_text("notée comme commencée")
    _press_on(journey, item.get_by_role("button", name=re.compile("^J’ai terminé")))
    expect(page.get_by_role("status")).to_contain_text("notée comme terminée")
    _press_on(journey, item.get_by_role("button", name=re.compile("^Utile")))
    expect(item).to_contain_text("Vous l’avez trouvée utile")
    journey.screenshot("2-ressource")
    use = ResourceUse.objects.get(agent=agent)
    assert (use.state, use.useful) == ("done", True)

    # A colleague's help in 1.1: the request goes to the ambassador.
    mentoring = page.locator("section.app-mentoring")
    expect(mentoring).to_contain_text("1 collègue volontaire")
    journey.follow(mentoring.get_by_role("button", name="Demander un·e compagnon·ne en 1.1"))
    expect(page.get_by_role("status")).to_contain_text("est envoyée à l’ambassadeur Pix")
    expect(mentoring).to_contain_text("en attente d’une mise en relation")
    assert Mentoring.objects.filter(mentee=agent, mentor__isnull=True).count() == 1

    # The review sheet, read then commented with the keyboard only. The agent's « Entretiens »
    # opens their own sheets, not the campaigns others run.
    journey.follow(
        page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Entretiens")
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes entretiens")
    journey.follow(page.locator("#my-reviews").get_by_role("link", name="2026"))
    expect(page.locator("#written-fields")).to_contain_text("Recherche d’information")
    expect(page.locator("#objectives")).to_contain_text("1.1")
    comment = page.get_by_label("Votre commentaire")
    tab_to(page, comment, limit=80)
    page.keyboard.type(COMMENT)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Enregistrer mon commentaire")).to_be_focused()
    with journey.navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".fr-alert--success")).to_contain_text("commentaire est enregistré")
    journey.screenshot("3-fiche-commentee")
    review.refresh_from_db()
    assert review.agent_comment == COMMENT

    # Mes données: the JSON file holds their data.
    journey.visit("/mon-parcours/")
    journey.follow(page.locator("main").get_by_role("link", name="Mes données"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes données")
    journey.screenshot("4-mes-donnees")
    name, content = journey.download(
        page.get_by_role("link", name="Télécharger mes données (JSON)")
    )
    assert name.startswith("mes-donnees-pilote-pix-") and name.endswith(".json")
    data = json.loads(content.decode("utf-8"))
    assert data["identite"]["email"] == cast.agent.email
    assert [use["ressource"] for use in data["ressources_suivies"]] == [RESOURCE]
    assert data["entretiens_professionnels"][0]["commentaire_agent"] == COMMENT
    # The same for a spreadsheet (a sheet per kind of data), and as a page to print.
    name, content = journey.download(
        page.get_by_role("link", name="Télécharger mes données (Excel)")
    )
    assert name.endswith(".xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    resources = workbook["Ressources suivies"]
    assert [row[0] for row in resources.iter_rows(min_row=2, values_only=True)][:1] == ["Programme"]
    assert RESOURCE in [row[1] for row in resources.iter_rows(min_row=3, values_only=True)]
    journey.follow(page.get_by_role("link", name="Lire ou imprimer mes données"))
    expect(page.locator("main")).to_contain_text(COMMENT)
    journey.screenshot("4b-mes-donnees-a-imprimer")
    journey.follow(page.get_by_role("link", name="Retour à Mes données"))

    journey.follow(page.get_by_role("link", name="Comment vos données sont protégées"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Protection de vos données")
    expect(page.locator("main")).to_contain_text(cast.programme.name)
    journey.screenshot("5-protection-des-donnees")

    # The first page of a paginated list: their review sheets, one a page (last year's too).
    ReviewFactory(
        cycle=ReviewCycleFactory(programme=cast.programme, year=2025), agent=cast.agent_agent
    )
    visit_first_page(journey, settings, "/entretiens/mes-entretiens/", page_size=1)
    journey.logout()
