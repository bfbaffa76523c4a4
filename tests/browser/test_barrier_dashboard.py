"""The owner reads the barriers on the dashboard in Chromium: the chart named with its
table, the per-population tables with the change since the previous milestone. axe-core
checks every page loaded (the `journey` fixture fails the test otherwise)."""

from datetime import date

from django.urls import reverse
from playwright.sync_api import expect

from programmes.enums import ProgressStatus
from programmes.models import Barrier
from tests.browser.conftest import login_to
from tests.programmes.factories_accompaniment import CheckInFactory, MilestoneFactory


def _milestones(cast):
    """The six assistants seen in March and May; lack of time cited once, then three times."""
    time = Barrier.objects.get(programme=cast.programme, label="Manque de temps")
    hard = Barrier.objects.get(programme=cast.programme, label="Contenu trop difficile")
    plans = [
        (date(2026, 3, 10), "Lancement", [[time], [hard], [], [], [], []]),
        (date(2026, 5, 12), "Mi-parcours", [[time], [time, hard], [time], [], [], []]),
    ]
    statuses = [ProgressStatus.NOT_STARTED, ProgressStatus.STALLED, ProgressStatus.IN_PROGRESS]
    for day, title, barriers in plans:
        milestone = MilestoneFactory(population=cast.population, date=day, title=title)
        for number, (agent, cited) in enumerate(zip(cast.team, barriers, strict=True)):
            CheckInFactory(
                milestone=milestone, agent=agent, status=statuses[number % 3], barriers=cited
            )


def test_owner_reads_the_barriers_and_their_evolution(journey, cast):
    page = journey.page
    _milestones(cast)
    login_to(
        journey, cast.owner, reverse("programmes:dashboard", kwargs={"slug": cast.programme.slug})
    )
    section = page.locator("section", has=page.locator("#barriers-title"))
    expect(section.get_by_role("heading", level=2)).to_have_text("Freins rencontrés")
    expect(section).to_contain_text("Arrêté après un premier niveau")
    chart = section.get_by_role(
        "img", name="Freins cités aux derniers points d’étape — ensemble du programme"
    )
    expect(chart).to_be_visible()
    totals = section.locator("#table-freins-programme")
    expect(totals.get_by_role("row", name="Manque de temps")).to_contain_text("3")
    evolution = section.locator(f"#table-freins-evolution-{cast.population.pk}")
    expect(evolution.get_by_role("row", name="Manque de temps")).to_contain_text("+2")
    journey.screenshot("freins-tableau-de-bord")
