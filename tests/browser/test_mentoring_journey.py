"""Peer mentoring in Chromium: an agent at their target volunteers from "Mon parcours", a
colleague below it asks for help, the ambassador pairs them, and only then does the mentee
see the mentor's e-mail. axe-core checks every page loaded (the `journey` fixture fails the
test otherwise)."""

from playwright.sync_api import expect

from tests.agents.factories import AgentFactory
from tests.browser.conftest import login_to, switch_user
from tests.campaigns.factories import CampaignFactory
from tests.programmes.factories import EnrolmentFactory
from tests.programmes.factories_accompaniment import share_levels

MENTEE_EMAIL = "accompagnee@exemple.gouv.fr"


MY_PAGE = "/mon-parcours/"


def test_a_mentor_volunteers_a_mentee_asks_and_the_ambassador_pairs_them(journey, cast):
    page = journey.page
    campaign = CampaignFactory()
    cast.programme.campaigns.add(campaign)
    share_levels(cast.agent_agent, campaign, {"1.1": 4})  # target 3: may help
    mentee = AgentFactory(with_user=True, email=MENTEE_EMAIL, first_name="Inès", last_name="Morel")
    EnrolmentFactory(agent=mentee, population=cast.population)
    share_levels(mentee, campaign, {"1.1": 1})  # below target: may ask

    # The future mentor volunteers.
    login_to(journey, cast.agent, MY_PAGE)
    section = page.locator("#compagnonnage-programme-dr")
    expect(section).to_contain_text("votre nom devient visible des ambassadeurs Pix")
    journey.follow(section.get_by_role("button", name="Me porter volontaire en 1.1"))
    expect(page.get_by_role("status")).to_contain_text("Vous êtes volontaire")
    expect(section).to_contain_text("vous êtes volontaire depuis le")
    journey.screenshot("1-volontaire")

    # The mentee asks for help: they learn how many volunteers, not who.
    switch_user(journey, mentee.user, MY_PAGE)
    expect(section).to_contain_text("1 collègue volontaire")
    expect(section).not_to_contain_text(cast.agent_agent.last_name)
    journey.follow(section.get_by_role("button", name="Demander un·e compagnon·ne en 1.1"))
    expect(page.get_by_role("status")).to_contain_text("est envoyée à l’ambassadeur Pix")
    expect(section).to_contain_text("en attente d’une mise en relation")
    expect(section).not_to_contain_text(cast.agent_agent.email)

    # The ambassador pairs them from the population's page.
    switch_user(journey, cast.ambassador, f"/populations/{cast.population.pk}/")
    journey.follow(page.get_by_role("link", name="Compagnonnage", exact=True))
    pending = page.locator("#mentoring-pending")
    expect(pending).to_contain_text(mentee.full_name)
    expect(pending).to_contain_text("niveau 1 / niveau 3")
    expect(page.get_by_label(f"Compagnon·ne pour {mentee.full_name}")).to_contain_text(
        cast.agent_agent.full_name
    )
    journey.screenshot("2-demandes")
    journey.follow(pending.get_by_role("button", name="Mettre en relation"))
    expect(page.get_by_role("status")).to_contain_text("sont mis en relation en 1.1")
    expect(page.locator("#mentoring-paired")).to_contain_text(cast.agent_agent.full_name)
    journey.screenshot("3-mis-en-relation")
    journey.follow(page.get_by_role("link", name="Voir les compagnons volontaires, par compétence"))
    expect(page.locator("#mentors")).to_contain_text(cast.agent_agent.full_name)

    # Now the mentee sees the mentor's e-mail, and the mentor the mentee's.
    switch_user(journey, mentee.user, MY_PAGE)
    expect(section.get_by_role("link", name=cast.agent_agent.email)).to_have_attribute(
        "href", f"mailto:{cast.agent_agent.email}"
    )
    journey.screenshot("4-contact-du-compagnon")
    switch_user(journey, cast.agent, MY_PAGE)
    expect(section.get_by_role("link", name=MENTEE_EMAIL)).to_be_visible()
