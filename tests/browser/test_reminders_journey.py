"""Reminders in Chromium: the ambassador opens the programme, goes to "Relances", turns
reminders on with a first reminder after 7 days, adds a quiet period for August, and sees who
would be reminded today. axe-core checks every page loaded (the `journey` fixture fails the
test otherwise)."""

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from programmes.models import QuietPeriod, ReminderSettings
from tests.agents.factories import AgentFactory
from tests.browser.conftest import login_to
from tests.programmes.factories import EnrolmentFactory


def test_the_ambassador_turns_reminders_on_adds_august_and_sees_who_would_be_reminded(
    journey, cast
):
    page = journey.page
    today = timezone.localdate()
    waiting = AgentFactory(first_name="Inès", last_name="Morel", email="ines.morel@exemple.gouv.fr")
    EnrolmentFactory(
        agent=waiting, population=cast.population, start_date=today - datetime.timedelta(days=30)
    )
    newcomer = AgentFactory(first_name="Hugo", last_name="Lenoir")
    EnrolmentFactory(
        agent=newcomer, population=cast.population, start_date=today - datetime.timedelta(days=3)
    )

    login_to(journey, cast.ambassador, f"/programmes/{cast.programme.slug}/")
    journey.follow(page.get_by_role("link", name="Relances", exact=True))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Relances — Programme Pix DR")
    expect(page.locator("main")).to_contain_text("Relances désactivées")
    journey.screenshot("1-relances")

    # Reminders on, the first one 7 days after enrolment.
    rules = page.locator("#reminder-rules")
    switch = rules.get_by_label("Activer les relances de ce programme")
    rules.locator("label[for=id_enabled]").click()  # DSFR draws the box on the label
    expect(switch).to_be_checked()
    rules.get_by_label("Première relance d’un agent qui n’a pas commencé").fill("7")
    journey.follow(rules.get_by_role("button", name="Enregistrer les règles"))
    expect(page.get_by_role("status")).to_contain_text("Les règles de relance sont enregistrées.")
    expect(page.locator("main")).to_contain_text("Relances activées")
    expect(page.locator("main")).to_contain_text(f"Règles modifiées par {cast.ambassador}")
    saved = ReminderSettings.objects.get(programme=cast.programme)
    assert (saved.enabled, saved.first_after_days) == (True, 7)

    # An impossible day is refused, with the reason next to the field.
    quiet = page.locator("#quiet-period-form")
    quiet.get_by_label("Libellé").fill("Congés d’été")
    quiet.get_by_label("Jour de début").fill("31")
    quiet.get_by_label("Mois de début").select_option(label="février")
    quiet.get_by_label("Jour de fin").fill("31")
    quiet.get_by_label("Mois de fin").select_option(label="août")
    journey.follow(quiet.get_by_role("button", name="Ajouter la période"))
    expect(page.locator("#quiet-period-form")).to_contain_text("Le 31/02 n’existe pas")
    assert not QuietPeriod.objects.exists()
    journey.screenshot("2-date-impossible")

    # August, then.
    quiet = page.locator("#quiet-period-form")
    quiet.get_by_label("Jour de début").fill("1")
    quiet.get_by_label("Mois de début").select_option(label="août")
    journey.follow(quiet.get_by_role("button", name="Ajouter la période"))
    expect(page.get_by_role("status")).to_contain_text("Période sans relance ajoutée")
    table = page.locator("#quiet-periods-table")
    expect(table).to_contain_text("Congés d’été")
    expect(table).to_contain_text("1er août")
    expect(table).to_contain_text("31 août")
    journey.screenshot("3-periode-sans-relance")

    # Who would be reminded today: the agent waiting for a month, not the newcomer.
    journey.follow(page.get_by_role("link", name="Voir la liste des agents qui seraient relancés"))
    if today.month == 8:  # today is in the quiet period just added
        expect(page.locator("main")).to_contain_text("période sans relance : « Congés d’été »")
    else:
        preview = page.locator("#preview-list")
        expect(preview).to_contain_text(waiting.full_name)
        expect(preview).to_contain_text(waiting.email)
        expect(preview).to_contain_text(cast.agent_agent.full_name)
        expect(preview).not_to_contain_text(newcomer.full_name)
    journey.screenshot("4-apercu")
