"""A new reminder interval or maximum, saved while the programme has reminded agents, is
applied by a background job (reminders/rules.py): the request saves it as pending, the page
says so and the form shows it, the rules in force and the holds stay as they were until
the job (or the next daily run, before it claims) applies it, once."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from programmes.models import Enrolment, ReminderSettings
from programmes.reminders import rules as services_rules
from programmes.reminders import services, tasks
from tests.agents.factories import AgentFactory, UserFactory
from tests.integration.fault_helpers import broker_at, closed_port
from tests.programmes.factories import EnrolmentFactory, ProgrammeFactory, TargetPopulationFactory
from tests.programmes.factories_reminders import ReminderFactory, ReminderSettingsFactory

FORM = {
    "enabled": "on", "first_after_days": "7", "remind_stalled": "on",
    "interval_days": "30", "max_count": "5", "digest_ambassadors": "on",
}  # fmt: skip


@pytest.fixture
def world(db):
    """A programme with rules (interval 14, maximum 3) and an agent reminded today."""
    day = timezone.localdate()
    owner = UserFactory()
    programme = ProgrammeFactory(start_date=day - datetime.timedelta(days=365), end_date=None)
    programme.owners.add(owner)
    ReminderSettingsFactory(programme=programme, interval_days=14, max_count=3)
    population = TargetPopulationFactory(programme=programme)
    agent = AgentFactory()
    EnrolmentFactory(agent=agent, population=population, start_date=day - datetime.timedelta(60))
    ReminderFactory(agent=agent, population=population, period=day.isoformat())
    return programme, owner, agent, day


def hold(agent):
    return Enrolment.objects.get(agent=agent).reminder_hold


def url(programme, name):
    return reverse(f"programmes:{name}", kwargs={"slug": programme.slug})


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_request_leaves_a_new_interval_to_the_job(client, world):
    programme, owner, agent, day = world
    client.force_login(owner)
    with broker_at("memory://"):  # queued for a worker, not run here
        response = client.post(url(programme, "reminder_rules"), FORM)
    assert response.status_code == 302
    assert "Les règles de relance sont enregistrées." in [
        str(m) for m in get_messages(response.wsgi_request)
    ]

    rules = ReminderSettings.objects.get(programme=programme)
    assert (rules.interval_days, rules.max_count) == (14, 3)  # still in force
    assert (rules.pending_interval_days, rules.pending_max_count) == (30, 5)
    assert (rules.first_after_days, rules.remind_stalled) == (7, True)  # at once
    assert hold(agent) == day + datetime.timedelta(days=14)
    page = client.get(url(programme, "reminder_overview")).content.decode()
    assert 'id="rules-pending"' in page
    assert "Nouvel intervalle : 30 jours. Nouveau maximum : 5 relances par agent. En cours" in page
    assert 'name="interval_days" value="30"' in page

    # The worker's run (here in process, as the worker would), then a second one.
    assert tasks.apply_reminder_rules.apply(args=[programme.pk]).get() == 1
    assert tasks.apply_reminder_rules.apply(args=[programme.pk]).get() == 0

    rules.refresh_from_db()
    assert (rules.interval_days, rules.max_count, rules.pending_interval_days) == (30, 5, None)
    assert hold(agent) == day + datetime.timedelta(days=30)
    page = client.get(url(programme, "reminder_overview")).content.decode()
    assert 'id="rules-pending"' not in page


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_broker_that_refuses_leaves_them_to_the_daily_run(world, caplog):
    programme, owner, agent, day = world
    with broker_at(f"redis://127.0.0.1:{closed_port()}/0"):
        services_rules.reminder_settings_save(
            programme=programme, enabled=True, first_after_days=14, remind_stalled=True,
            interval_days=30, max_count=3, digest_ambassadors=True, digest_managers=False,
            updated_by=owner,
        )  # fmt: skip
    assert "reminder rules of programme" in caplog.text
    rules = ReminderSettings.objects.get(programme=programme)
    assert rules.pending and rules.interval_days == 14

    services.reminders_claim(day=day)  # the daily run applies them first

    rules.refresh_from_db()
    assert not rules.pending and rules.interval_days == 30
    assert hold(agent) == day + datetime.timedelta(days=30)


def test_without_a_broker_or_reminders_they_apply_at_once(world):
    programme, owner, agent, day = world
    values = {
        "enabled": True, "first_after_days": 14, "remind_stalled": True, "max_count": 3,
        "digest_ambassadors": True, "digest_managers": False, "updated_by": owner,
    }  # fmt: skip
    # Eager (no broker): the job runs here and now.
    services_rules.reminder_settings_save(programme=programme, interval_days=21, **values)
    rules = ReminderSettings.objects.get(programme=programme)
    assert (rules.interval_days, rules.pending) == (21, False)
    assert hold(agent) == day + datetime.timedelta(days=21)

    # No reminder nor opt-out: nothing to rewrite, no job.
    other = ProgrammeFactory(start_date=day - datetime.timedelta(days=30), end_date=None)
    ReminderSettingsFactory(programme=other)
    saved = services_rules.reminder_settings_save(programme=other, interval_days=40, **values)
    assert (saved.interval_days, saved.pending) == (40, False)


def test_the_same_values_again_clear_what_was_pending(world):
    programme, owner, _agent, _day = world
    ReminderSettings.objects.filter(programme=programme).update(
        pending_interval_days=30, pending_max_count=5
    )
    services_rules.reminder_settings_save(
        programme=programme, enabled=True, first_after_days=14, remind_stalled=True,
        interval_days=14, max_count=3, digest_ambassadors=True, digest_managers=False,
        updated_by=owner,
    )  # fmt: skip
    rules = ReminderSettings.objects.get(programme=programme)
    assert (rules.interval_days, rules.max_count, rules.pending) == (14, 3, False)


def test_the_page_names_only_what_changes(client, world):
    programme, owner, _agent, _day = world
    ReminderSettings.objects.filter(programme=programme).update(
        pending_interval_days=21, pending_max_count=3
    )
    client.force_login(owner)
    page = client.get(url(programme, "reminder_overview")).content.decode()
    assert "Nouvel intervalle : 21 jours. En cours d’application" in page
    assert "Nouveau maximum" not in page
