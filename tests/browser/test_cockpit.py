"""The owner's cockpit in Chromium: at 1280 × 800, the share, its changes, the trend line and
the projection of every population show without scrolling; the page reads at 390 px. axe-core
checks every page loaded (the `journey` fixture)."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from programmes.models import PopulationStat
from tests.browser.conftest import login_to


def test_owner_sees_the_cockpit_without_scrolling(journey, cast):
    today = timezone.localdate()
    for offset in range(-270, 1, 30):
        PopulationStat.objects.create(
            population=cast.population,
            on=today + timedelta(days=offset),
            enrolled=40,
            shared=40,
            reached=20 + offset // 15,
        )
    page = journey.page
    page.set_viewport_size({"width": 1280, "height": 800})
    login_to(
        journey, cast.owner, reverse("programmes:dashboard", kwargs={"slug": cast.programme.slug})
    )
    card = page.locator(f"#cockpit-{cast.population.pk}")
    expect(card).to_contain_text("50 %")
    expect(card).to_contain_text("Au rythme actuel")
    expect(
        card.get_by_role("img", name="Tendance de la part à l’objectif — Assistants")
    ).to_be_visible()
    box = card.bounding_box()
    assert box["y"] + box["height"] <= 800
    expect(page.locator("#projection-method")).to_be_in_viewport()
    journey.screenshot("cockpit-1280")
    page.set_viewport_size({"width": 390, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    journey.screenshot("cockpit-390")
