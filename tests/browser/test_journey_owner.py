"""The programme owner's week in Chromium, end to end on the real UI: the programmes, the
dashboard (figures, charts, barriers) and its downloads, a population, the reminders, the
access log filtered and downloaded, a review cycle opened and its progress, the
data-protection page, logging out. axe-core checks every page loaded (the `journey`
fixture fails the test otherwise); the dashboard's population choice and the access-log
filter are done with the keyboard only."""

import csv
import io

import openpyxl
from django.utils import timezone
from playwright.sync_api import expect

from programmes.models import ResultAccessLog
from programmes.steering import stats
from reviews.models import ReviewCycle
from tests.agents.factories import AgentFactory, OrgUnitFactory
from tests.browser.conftest import tab_to, visit_first_page
from tests.campaigns.factories import CampaignFactory
from tests.programmes.factories import EnrolmentFactory, TargetFactory, TargetPopulationFactory
from tests.programmes.factories_accompaniment import (
    CheckInFactory,
    MilestoneFactory,
    share_levels,
)


def _arrange(cast):
    """Assistants: 3 of 6 at their target (1.1 at level 3), all seen at a milestone, 4 of them
    citing lack of time. Encadrants: 5 agents who shared results, none at target. Two views
    of individual results logged."""
    campaign = CampaignFactory(name="Collecte de profils 2026")
    cast.programme.campaigns.add(campaign)
    for agent, level in zip(cast.team, (4, 3, 3, 1, 2), strict=False):
        share_levels(agent, campaign, {"1.1": level}, days_ago=10)
    managers = TargetPopulationFactory(programme=cast.programme, name="Encadrants")
    TargetFactory(population=managers)
    direction = OrgUnitFactory(name="Direction des territoires")
    for _index in range(5):
        manager = AgentFactory(org_unit=direction)
        EnrolmentFactory(population=managers, agent=manager)
        share_levels(manager, campaign, {"1.1": 1}, days_ago=10)
    milestone = MilestoneFactory(population=cast.population, title="Point de printemps")
    lack_of_time = cast.programme.barriers.get(label="Manque de temps")
    for index, agent in enumerate(cast.team):
        CheckInFactory(
            milestone=milestone, agent=agent, barriers=[lack_of_time] if index < 4 else []
        )
    for agent in (cast.agent_agent, cast.team[1]):
        ResultAccessLog.objects.create(
            viewer=cast.ambassador,
            agent=agent,
            programme=cast.programme,
            path=f"/agents/{agent.pk}/",
        )
    stats.programme_stats_refresh(programme=cast.programme, on=timezone.localdate())


def test_owner_week_dashboard_exports_access_log_review_cycle(journey, cast, settings):
    _arrange(cast)
    page = journey.page
    programme = cast.programme
    slug = programme.slug

    # An owner of one programme lands on its cockpit.
    journey.login(cast.owner, landing=f"/programmes/{slug}/tableau-de-bord/")
    expect(page.locator("#cockpit")).to_be_visible()
    journey.visit("/programmes/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Programmes")
    journey.skip_to_content()
    journey.screenshot("1-programmes")

    journey.follow(page.locator("main").get_by_role("link", name=programme.name))
    expect(page.get_by_role("heading", level=1)).to_have_text(programme.name)
    journey.follow(page.get_by_role("link", name="Tableau de bord"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Tableau de bord — {programme.name}")
    headline = page.locator("#headline")
    expect(headline).to_contain_text("27 %")  # 3 of 11 enrolments at target
    expect(headline.locator(".app-headline", has_text="Assistants")).to_contain_text("50 %")
    expect(headline.locator(".app-headline", has_text="Encadrants")).to_contain_text("0 %")
    expect(page.get_by_role("img", name="Part de chaque population à l’objectif")).to_be_visible()
    barriers = page.locator("section[aria-labelledby=barriers-title]")
    expect(barriers.locator("figure svg[role=img]")).to_be_visible()
    expect(barriers.locator("table").first).to_contain_text("Manque de temps")
    journey.screenshot("2-tableau-de-bord")

    # Keyboard only: pick another population and show it.
    choice = page.get_by_label("Population", exact=True)
    tab_to(page, choice)
    expect(choice).to_have_value(str(cast.population.pk))
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Afficher la population")).to_be_focused()
    with journey.navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#population-title ~ h3").first).to_have_text("Encadrants")
    expect(page.get_by_role("img", name="Entonnoir de progression — Encadrants")).to_be_visible()

    name, content = journey.download(
        page.get_by_role("link", name="Télécharger les tableaux (CSV)")
    )
    assert name.startswith(f"tableau-de-bord-{slug}-") and name.endswith(".csv")
    assert "Assistants;" in content.decode("utf-8-sig")
    name, content = journey.download(
        page.get_by_role("link", name="Télécharger les tableaux (Excel)")
    )
    # Named after the population chosen on screen, with every population's funnel.
    assert name.startswith(f"tableau-de-bord-{slug}-encadrants-") and name.endswith(".xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    assert workbook.sheetnames[:2] == ["À propos", "Comparaison"]
    about = dict(workbook["À propos"].iter_rows(min_row=3, values_only=True))
    assert about["Population choisie à l’écran"] == "Encadrants"
    funnels = {row[0] for row in workbook["Entonnoirs"].iter_rows(min_row=3, values_only=True)}
    assert {"Assistants", "Encadrants"} <= funnels

    # A population: aggregates only (self-assessment).
    journey.follow(page.get_by_role("link", name="Page de la population"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Encadrants")
    journey.screenshot("3-population")

    # The reminders of the programme, and who would be reminded today.
    journey.visit(programme.get_absolute_url())
    journey.follow(page.get_by_role("link", name="Relances", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Relances — {programme.name}")
    journey.follow(page.locator("main").get_by_role("link", name="Voir"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Qui serait relancé aujourd’hui")

    # The access log, filtered with the keyboard, then downloaded.
    journey.visit(f"/programmes/{slug}/tableau-de-bord/")
    journey.follow(page.get_by_role("link", name="Consultations de résultats individuels"))
    log = page.locator("#access-log")
    expect(log.locator("tbody tr")).to_have_count(2)
    search = page.get_by_label("Filtrer par agent (nom, e-mail, matricule)")
    tab_to(page, search)
    page.keyboard.type(cast.agent_agent.external_id)
    with journey.navigation():
        page.keyboard.press("Enter")
    expect(log.locator("tbody tr")).to_have_count(1)
    expect(log).to_contain_text(cast.agent_agent.full_name)
    journey.screenshot("4-consultations")
    name, content = journey.download(page.get_by_role("link", name="Télécharger (CSV)"))
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 2, rows  # the header and the one filtered view
    assert cast.agent_agent.external_id in rows[1]
    assert cast.ambassador.email in rows[1]

    # A review cycle opened, and its progress.
    journey.visit(programme.get_absolute_url())
    journey.follow(page.get_by_role("link", name="Campagnes d’entretiens professionnels"))
    form = page.locator("main form")
    form.get_by_label("Année").fill("2026")
    form.get_by_label("Ouverture le").fill("2026-10-01")
    form.get_by_label("Clôture le").fill("2026-12-31")
    journey.follow(form.get_by_role("button", name="Ouvrir la campagne"))
    expect(page.get_by_role("status")).to_contain_text("Campagne 2026 ouverte : 11 fiches")
    progress = page.locator("#progress")
    for service, sheets in (("Secrétariat général", "6"), ("Direction des territoires", "5")):
        row = progress.get_by_role("row", name=service)
        expect(row.locator("td").nth(0)).to_have_text(sheets)  # to prepare
        expect(row.locator("td").nth(-2)).to_have_text(sheets)  # total
    # The overall line first, every sheet counted.
    expect(progress.locator("tbody tr").first).to_have_id("progress-overall")
    expect(progress.locator("#progress-overall td").nth(-2)).to_have_text("11")
    journey.screenshot("5-campagne-entretiens")
    assert ReviewCycle.objects.get(programme=programme).reviews.count() == 11

    journey.follow(page.get_by_role("link", name="Données personnelles"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Protection de vos données")
    journey.screenshot("6-protection-des-donnees")
    # The legal pages, from the footer: the site map, then the accessibility statement.
    journey.follow(page.locator("#footer").get_by_role("link", name="Plan du site"))
    expect(page.locator("main")).to_contain_text("Importer des résultats Pix")
    journey.follow(page.get_by_role("link", name="Accessibilité : partiellement conforme"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Déclaration d’accessibilité")

    # The first page of a paginated list: the agents of the programme, two a page.
    visit_first_page(journey, settings, "/agents/")
    journey.logout()
