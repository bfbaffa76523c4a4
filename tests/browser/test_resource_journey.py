"""Resources in Chromium: an agent below their target opens "Mon parcours", finds the
recommended resource, marks it started, done and useful, then shares their results with
their manager; the ambassador sees in the catalogue that the resource helped. axe-core checks
every page loaded, the agent's page on a phone screen too (the `journey` fixture fails the
test otherwise)."""

import re

from playwright.sync_api import expect

from programmes.enums import ResourceKind
from tests.browser.conftest import login_to, switch_user
from tests.campaigns.factories import CampaignFactory
from tests.programmes.factories_accompaniment import ResourceFactory, share_levels

PHONE = {"width": 375, "height": 800}
TITLE = "Chercher efficacement sur le web"


def _resource_item(page):
    return page.locator(".app-resource", has_text=TITLE)


def test_agent_follows_a_recommended_resource_and_the_ambassador_sees_it_helped(journey, cast):
    page = journey.page
    campaign = CampaignFactory()
    cast.programme.campaigns.add(campaign)
    share_levels(cast.agent_agent, campaign, {"1.1": 1})  # target 3: a gap
    ResourceFactory(
        programme=cast.programme,
        title=TITLE,
        kind=ResourceKind.ELEARNING,
        competences=["1.1"],
        level_min=2,
        level_max=3,
        duration_minutes=30,
        provider="Bureau de la formation",
    )

    enrolment = cast.population.enrolments.get(agent=cast.agent_agent)
    login_to(journey, cast.agent, "/mon-parcours/")
    expect(page.get_by_role("heading", name="Ressources recommandées")).to_be_visible()
    item = _resource_item(page)
    expect(item.get_by_role("link", name=TITLE)).to_have_attribute(
        "href", "https://intranet.exemple.gouv.fr/pix"
    )
    expect(item).to_contain_text("E-learning")
    expect(item).to_contain_text("niveaux 2 à 3")
    expect(item).to_contain_text("30 min")
    expect(item).to_contain_text("(votre niveau 1, objectif 3)")

    journey.follow(item.get_by_role("button", name=re.compile("^J’ai commencé")))
    expect(page.get_by_role("status")).to_contain_text("notée comme commencée")
    expect(_resource_item(page)).to_contain_text("Commencée le")

    journey.follow(_resource_item(page).get_by_role("button", name=re.compile("^J’ai terminé")))
    expect(page.get_by_role("status")).to_contain_text("notée comme terminée")
    expect(_resource_item(page)).to_contain_text("Terminée le")
    expect(page.get_by_role("heading", name="Les ressources que vous avez suivies")).to_be_visible()
    expect(page.locator("#ressources-" + str(enrolment.pk))).to_contain_text(
        "Vous avez terminé les ressources du catalogue qui correspondent"
    )

    journey.follow(_resource_item(page).get_by_role("button", name=re.compile("^Utile")))
    expect(page.get_by_role("status")).to_contain_text("notée comme utile")
    expect(_resource_item(page)).to_contain_text("Vous l’avez trouvée utile")
    journey.screenshot("1-ressource-terminee")

    page.set_viewport_size(PHONE)
    page.reload()
    journey.check()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"la page déborde horizontalement ({width}px)"
    journey.screenshot("2-mon-parcours-telephone")

    page.get_by_text("Partager mes résultats avec mon encadrant").click()
    expect(page.get_by_label("Partager mes résultats avec mon encadrant")).to_be_checked()
    journey.follow(page.get_by_role("button", name="Enregistrer mon choix"))
    expect(page.get_by_role("status")).to_contain_text(
        "sont partagés avec votre encadrant depuis le"
    )
    expect(page.get_by_label("Partager mes résultats avec mon encadrant")).to_be_checked()
    expect(page.locator(".app-sharing")).to_contain_text(
        "Partagés avec votre encadrant direct depuis le"
    )

    page.set_viewport_size({"width": 1280, "height": 900})
    switch_user(journey, cast.ambassador, f"/programmes/{cast.programme.slug}/ressources/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Catalogue de ressources")
    row = page.locator("#resources tbody tr", has_text=TITLE)
    # En cours, Terminée, Utile, Pas utile
    expect(row.locator("td").nth(4)).to_have_text("0")
    expect(row.locator("td").nth(5)).to_have_text("1")
    expect(row.locator("td").nth(6)).to_have_text("1")
    expect(row.locator("td").nth(7)).to_have_text("0")
    journey.screenshot("3-catalogue-ambassadeur")

    journey.follow(page.get_by_role("link", name=re.compile("^Modifier")))
    expect(page.get_by_label("Titre")).to_have_value(TITLE)
    expect(page.get_by_role("checkbox", name=re.compile("^1.1 "))).to_be_checked()
    journey.screenshot("4-modifier-ressource")
