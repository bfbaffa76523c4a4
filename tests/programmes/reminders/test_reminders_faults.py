"""No reminder lost or sent twice when the broker fails (docs/FAULTS.md, drill 2).

- The daily run starts while Redis is down: publishing its sending tasks fails (a real
  connection refused on a closed local port, or a listener that never answers), and the run
  sends the claimed rows itself, each once, within seconds.
- A run that died after its claim (or a day beat could not queue the run at all): the next
  daily run sends what was claimed and not sent, once, and the week's digests are made up
  later in the week.

The real Redis and a real worker take over in tests/integration/test_fault_broker.py."""

import time
from datetime import date, timedelta

import pytest
from django.core import mail

from programmes.enums import OutgoingStatus
from programmes.models import Digest, Reminder
from programmes.reminders import services as services_reminders
from programmes.reminders import tasks
from tests.agents.factories import AgentFactory, UserFactory
from tests.integration.fault_helpers import broker_at, closed_port, silent_listener
from tests.programmes.factories import (
    EnrolmentFactory,
    ProgrammeFactory,
    TargetFactory,
    TargetPopulationFactory,
)
from tests.programmes.factories_reminders import ReminderSettingsFactory

DAY = date(2026, 3, 11)  # a Wednesday, the digest weekday here
FIRST_AFTER = 14


@pytest.fixture
def world(db, settings, mailoutbox):
    """A programme with reminders on (first after 14 days, every 14 days) and weekly digests
    to its ambassador on Wednesdays; three agents due on DAY."""
    settings.REMINDER_DIGEST_WEEKDAY = DAY.weekday()
    programme = ProgrammeFactory(start_date=date(2026, 1, 5))
    rules = ReminderSettingsFactory(programme=programme, first_after_days=FIRST_AFTER)
    population = TargetPopulationFactory(programme=programme)
    TargetFactory(population=population)
    ambassador = UserFactory(email="ambassadeur@exemple.gouv.fr")
    population.ambassadors.add(ambassador)
    agents = AgentFactory.create_batch(3)
    for agent in agents:
        EnrolmentFactory(agent=agent, population=population, start_date=DAY - timedelta(20))
    return type("World", (), {"rules": rules, "agents": agents, "ambassador": ambassador})


def delivered() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def everyone(world) -> list[str]:
    return sorted([world.ambassador.email, *(agent.email for agent in world.agents)])


def run_task(day: date) -> tuple[dict, float]:
    started = time.monotonic()
    outcome = tasks.send_daily_reminders.apply(args=[day.isoformat()]).get()
    return outcome, time.monotonic() - started


# --- Redis down when the run starts ---------------------------------------------------------


def test_with_the_broker_refusing_connections_the_run_sends_each_claimed_message_itself(world):
    with broker_at(f"redis://127.0.0.1:{closed_port()}/0"):
        outcome, seconds = run_task(DAY)
        again, _seconds = run_task(DAY)

    assert outcome == {"reminders": 3, "digests": 1, "failed": 0, "sent_by_the_run": True}
    assert again == {"reminders": 0, "digests": 0}  # nothing left to queue
    assert seconds < 10
    assert delivered() == everyone(world)
    assert set(Reminder.objects.values_list("status", "attempts")) == {(OutgoingStatus.SENT, 1)}
    assert list(Digest.objects.values_list("status", "attempts")) == [(OutgoingStatus.SENT, 1)]


def test_a_broker_that_never_answers_does_not_hang_the_run(world, settings):
    # The socket timeout of the settings bounds the wait (one publish tried, then given up).
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["socket_timeout"]
    with silent_listener() as port, broker_at(f"redis://127.0.0.1:{port}/0"):
        outcome, seconds = run_task(DAY)

    assert outcome["sent_by_the_run"] is True
    assert seconds < timeout + 5, seconds
    assert delivered() == everyone(world)


# --- A run that died, a run that never happened ---------------------------------------------


def test_reminders_claimed_by_a_run_that_died_are_sent_once_by_the_next_days_run(world):
    # The run of DAY claimed its rows, then died before queueing any (worker killed, Redis
    # gone before the first publish): they stay PENDING.
    services_reminders.reminders_claim(day=DAY)
    services_reminders.digests_claim(day=DAY)
    assert delivered() == []

    outcome = services_reminders.reminders_run(day=DAY + timedelta(days=1))
    services_reminders.reminders_run(day=DAY + timedelta(days=2))

    assert outcome == {"reminders": 3, "digests": 1, "failed": 0}
    assert delivered() == everyone(world)
    assert set(Reminder.objects.values_list("period", "status")) == {
        (DAY.isoformat(), OutgoingStatus.SENT)
    }


def test_an_unsent_reminder_gives_way_to_the_newer_one_of_the_same_agent(world):
    world.rules.interval_days = 1
    world.rules.save()
    services_reminders.reminders_claim(day=DAY)  # claimed, never sent

    services_reminders.reminders_run(day=DAY + timedelta(days=1))

    agents_mails = [a for a in delivered() if a != world.ambassador.email]
    assert agents_mails == sorted(agent.email for agent in world.agents)  # one each
    rows = Reminder.objects.order_by("period")
    assert {(r.period, r.status) for r in rows} == {
        (DAY.isoformat(), OutgoingStatus.CANCELLED),
        ((DAY + timedelta(days=1)).isoformat(), OutgoingStatus.SENT),
    }
    assert {r.last_error for r in rows if r.status == OutgoingStatus.CANCELLED} == {
        services_reminders.SUPERSEDED
    }


def test_a_day_without_a_run_is_made_up_by_the_next_one(world):
    # Beat could not queue DAY's run (Redis down at that hour): nobody was reminded. Being
    # due is a state, so the next day's run reminds the same agents, once.
    for offset in range(1, 15):
        services_reminders.reminders_run(day=DAY + timedelta(days=offset))
    assert sorted(a for a in delivered() if a != world.ambassador.email) == sorted(
        agent.email for agent in world.agents
    )


def test_a_missed_digest_day_is_made_up_once_later_in_the_week(world):
    thursday, friday = DAY + timedelta(days=1), DAY + timedelta(days=2)
    services_reminders.reminders_run(day=thursday)  # no run on Wednesday
    services_reminders.reminders_run(day=friday)
    digests = [a for a in delivered() if a == world.ambassador.email]
    assert digests == [world.ambassador.email]
    assert list(Digest.objects.values_list("period", "status")) == [
        (services_reminders.week_period(DAY), OutgoingStatus.SENT)
    ]


def test_a_digest_day_that_ran_is_not_made_up_again(world):
    services_reminders.reminders_run(day=DAY)
    extra = UserFactory(email="nouvel-ambassadeur@exemple.gouv.fr")
    world.ambassador.ambassador_populations.first().ambassadors.add(extra)

    services_reminders.reminders_run(day=DAY + timedelta(days=1))

    assert extra.email not in delivered()  # the week's digests went out on Wednesday
    assert Digest.objects.count() == 1
