"""Peer mentoring in Chromium: an agent at their target volunteers from "Mon parcours", a
colleague below it asks for help, the ambassador pairs them, and only then does the mentee
see the mentor's e-mail. The pages pass axe."""

from playwright.sync_api import expect

from tests.agents.factories import AgentFactory
from tests.browser.conftest import assert_no_serious_axe_violations, login
from tests.campaigns.factories import CampaignFactory
from tests.programmes.factories import EnrolmentFactory
from tests.programmes.factories_accompaniment import share_levels

MENTEE_EMAIL = "accompagnee@exemple.gouv.fr"


def _switch_user(page, live_server, email, password):
    page.context.clear_cookies()
    login(page, live_server, email, password)


def test_a_mentor_volunteers_a_mentee_asks_and_the_ambassador_pairs_them(
    page, live_server, cast, password, screenshot
):
    campaign = CampaignFactory()
    cast.programme.campaigns.add(campaign)
    share_levels(cast.agent_agent, campaign, {"1.1": 4})  # target 3: may help
    mentee = AgentFactory(with_user=True, email=MENTEE_EMAIL, first_name="Inès", last_name="Morel")
    EnrolmentFactory(agent=mentee, population=cast.population)
    share_levels(mentee, campaign, {"1.1": 1})  # below target: may ask
    my_page = f"{live_server.url}/mon-parcours/"

    # The future mentor volunteers.
    login(page, live_server, cast.agent.email, password)
    page.goto(my_page)
    section = page.locator("#compagnonnage-programme-dr")
    expect(section).to_contain_text("votre nom devient visible des ambassadeurs Pix")
    assert_no_serious_axe_violations(page)
    with page.expect_navigation():
        section.get_by_role("button", name="Me porter volontaire en 1.1").click()
    expect(page.get_by_role("status")).to_contain_text("Vous êtes volontaire")
    expect(section).to_contain_text("vous êtes volontaire depuis le")
    assert_no_serious_axe_violations(page)
    screenshot(page, "1-volontaire")

    # The mentee asks for help: they learn how many volunteers, not who.
    _switch_user(page, live_server, MENTEE_EMAIL, password)
    page.goto(my_page)
    expect(section).to_contain_text("1 collègue volontaire")
    expect(section).not_to_contain_text(cast.agent_agent.last_name)
    with page.expect_navigation():
        section.get_by_role("button", name="Demander un·e compagnon·ne en 1.1").click()
    expect(page.get_by_role("status")).to_contain_text("est envoyée à l’ambassadeur Pix")
    expect(section).to_contain_text("en attente d’une mise en relation")
    expect(section).not_to_contain_text(cast.agent_agent.email)
    assert_no_serious_axe_violations(page)

    # The ambassador pairs them from the population's page.
    _switch_user(page, live_server, cast.ambassador.email, password)
    page.goto(f"{live_server.url}/populations/{cast.population.pk}/")
    with page.expect_navigation():
        page.get_by_role("link", name="Compagnonnage", exact=True).click()
    pending = page.locator("#mentoring-pending")
    expect(pending).to_contain_text(mentee.full_name)
    expect(pending).to_contain_text("niveau 1 / niveau 3")
    expect(page.get_by_label(f"Compagnon·ne pour {mentee.full_name}")).to_contain_text(
        cast.agent_agent.full_name
    )
    assert_no_serious_axe_violations(page)
    screenshot(page, "2-demandes")
    with page.expect_navigation():
        pending.get_by_role("button", name="Mettre en relation").click()
    expect(page.get_by_role("status")).to_contain_text("sont mis en relation en 1.1")
    expect(page.locator("#mentoring-paired")).to_contain_text(cast.agent_agent.full_name)
    assert_no_serious_axe_violations(page)
    screenshot(page, "3-mis-en-relation")
    with page.expect_navigation():
        page.get_by_role("link", name="Voir les compagnons volontaires, par compétence").click()
    expect(page.locator("#mentors")).to_contain_text(cast.agent_agent.full_name)
    assert_no_serious_axe_violations(page)

    # Now the mentee sees the mentor's e-mail, and the mentor the mentee's.
    _switch_user(page, live_server, MENTEE_EMAIL, password)
    page.goto(my_page)
    expect(section.get_by_role("link", name=cast.agent_agent.email)).to_have_attribute(
        "href", f"mailto:{cast.agent_agent.email}"
    )
    assert_no_serious_axe_violations(page)
    screenshot(page, "4-contact-du-compagnon")
    _switch_user(page, live_server, cast.agent.email, password)
    page.goto(my_page)
    expect(section.get_by_role("link", name=MENTEE_EMAIL)).to_be_visible()
