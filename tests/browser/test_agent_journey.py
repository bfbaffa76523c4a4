"""The agent's journey in Chromium: they open "Mon parcours", read their status and levels,
share their results with their manager (who then sees them), and the page holds on a phone
screen. axe-core checks every page loaded (the `journey` fixture fails the test otherwise)."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from campaigns.enums import MatchStatus, ParticipationStatus
from campaigns.models import Competence
from tests.browser.conftest import switch_user
from tests.campaigns.factories import (
    CampaignFactory,
    CompetenceResultFactory,
    ParticipationFactory,
)

PHONE = {"width": 375, "height": 800}


def test_agent_opens_their_page_and_shares_results_with_their_manager(journey, cast):
    page = journey.page
    campaign = CampaignFactory()
    cast.programme.campaigns.add(campaign)
    moment = timezone.now() - timedelta(days=2)
    participation = ParticipationFactory(
        agent=cast.agent_agent,
        campaign=campaign,
        match_status=MatchStatus.EXTERNAL_ID,
        status=ParticipationStatus.SHARED,
        started_at=moment,
        shared_at=moment,
        last_progress_at=moment,
    )
    CompetenceResultFactory(
        participation=participation,
        competence=Competence.objects.get(code="1.1"),
        level=4,
        observed_at=moment,
    )

    page.set_viewport_size(PHONE)
    journey.login(cast.agent, landing="/mon-parcours/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon parcours Pix")
    expect(page.locator(".app-progress")).to_contain_text("Objectif atteint")
    expect(
        page.get_by_role("img", name="Vos derniers niveaux et vos niveaux cibles")
    ).to_be_visible()
    expect(page.locator("table.app-results")).to_contain_text("niveau 4 (17 pix)")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"la page déborde horizontalement ({width}px)"
    journey.screenshot("1-mon-parcours-telephone")

    page.get_by_text("Partager mes résultats avec mon encadrant").click()
    expect(page.get_by_label("Partager mes résultats avec mon encadrant")).to_be_checked()
    journey.follow(page.get_by_role("button", name="Enregistrer mon choix"))
    expect(page.get_by_role("status")).to_contain_text(
        "sont partagés avec votre encadrant depuis le"
    )
    expect(page.get_by_label("Partager mes résultats avec mon encadrant")).to_be_checked()
    journey.screenshot("2-partage-telephone")

    page.set_viewport_size({"width": 1280, "height": 900})
    switch_user(journey, cast.manager, f"/agents/{cast.agent_agent.pk}/")
    expect(page.locator("table.app-results")).to_contain_text("niveau 4 (17 pix)")
