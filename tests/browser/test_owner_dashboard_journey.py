"""The programme owner's journey in Chromium: from the programme page to the dashboard
(axe-clean, charts with their tables), another population picked, the tables downloaded as
CSV and Excel, and the access log. axe-core checks every page loaded (the `journey` fixture
fails the test otherwise)."""

import io
from datetime import timedelta

import openpyxl
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.enums import MatchStatus, ParticipationStatus
from campaigns.models import Competence
from programmes.models import ResultAccessLog
from programmes.steering import stats
from tests.browser.conftest import login_to
from tests.campaigns.factories import CampaignFactory
from tests.programmes.factories import EnrolmentFactory, TargetPopulationFactory
from tests.programmes.import_factories import CompetenceResultFactory, ParticipationFactory


def _results(cast):
    """Five of the six agents shared their results (fewer, and the owner would see no
    figure), one at the target level."""
    campaign = CampaignFactory()
    cast.programme.campaigns.add(campaign)
    for agent, level in ((cast.team[1], 3), *((member, 1) for member in cast.team[2:])):
        moment = timezone.now() - timedelta(days=3)
        participation = ParticipationFactory(
            agent=agent,
            campaign=campaign,
            match_status=MatchStatus.EXTERNAL_ID,
            status=ParticipationStatus.SHARED,
            shared_at=moment,
            last_progress_at=moment,
        )
        CompetenceResultFactory(
            participation=participation,
            competence=Competence.objects.get(code="1.1"),
            level=level,
            observed_at=moment,
        )


def test_owner_opens_the_dashboard_and_downloads_its_tables(journey, cast):
    page = journey.page
    _results(cast)
    small = TargetPopulationFactory(programme=cast.programme, name="Petit groupe")
    EnrolmentFactory.create_batch(3, population=small)
    ResultAccessLog.objects.create(
        viewer=cast.ambassador, agent=cast.agent_agent, programme=cast.programme, path="/agents/"
    )
    stats.programme_stats_refresh(programme=cast.programme, on=timezone.localdate())
    login_to(journey, cast.owner, cast.programme.get_absolute_url())
    journey.follow(page.get_by_role("link", name="Tableau de bord"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord — Programme Pix DR")
    headline = page.locator("#headline")
    expect(headline).to_contain_text("17 %")  # 1 of the 6 assistants at target
    expect(headline).to_contain_text("moins de 5")  # the small group shows no figure
    expect(page.get_by_role("img", name="Part de chaque population à l’objectif")).to_be_visible()
    expect(page.locator("#table-comparaison")).to_contain_text("Assistants")
    journey.screenshot("1-tableau-de-bord")

    page.get_by_label("Population", exact=True).select_option(label="Petit groupe")
    journey.follow(page.get_by_role("button", name="Afficher la population"))
    expect(page.locator("main")).to_contain_text("aucun chiffre n’est affiché")

    page.get_by_label("Population", exact=True).select_option(label="Assistants")
    journey.follow(page.get_by_role("button", name="Afficher la population"))
    expect(page.get_by_role("img", name="Entonnoir de progression — Assistants")).to_be_visible()

    name, content = journey.download(
        page.get_by_role("link", name="Télécharger les tableaux (CSV)")
    )
    assert name.startswith("tableau-de-bord-programme-dr-")
    assert content.startswith(b"\xef\xbb\xbf")
    assert "Assistants;" in content.decode("utf-8-sig")

    name, content = journey.download(
        page.get_by_role("link", name="Télécharger les tableaux (Excel)")
    )
    assert name.startswith("tableau-de-bord-programme-dr-assistants-")
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    assert "Comparaison" in workbook.sheetnames and "Entonnoirs" in workbook.sheetnames
    assert workbook["Comparaison"]["A1"].value == "Comparaison des populations"

    journey.follow(page.get_by_role("link", name="Consultations de résultats individuels"))
    expect(page.locator("#access-log")).to_contain_text(cast.agent_agent.full_name)
    journey.screenshot("2-consultations")
