"""Each reminder leaves exactly once, and none is lost: a mail server that fails, a run
repeated, a row already being sent, two senders at once, Celery in process.

The only thing faked is the mail server (`FlakyMailServer`, set as EMAIL_BACKEND): it refuses
the next `failures` messages, then delivers to Django's test outbox."""

import smtplib
import threading
import time
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.utils import timezone

from config.celery import app as celery_app
from programmes.enums import OutgoingStatus
from programmes.models import Digest, Reminder
from programmes.reminders import services as services_reminders
from programmes.reminders import tasks
from tests.agents.factories import AgentFactory, UserFactory
from tests.campaigns.factories import CampaignFactory
from tests.programmes.factories import (
    EnrolmentFactory,
    ProgrammeFactory,
    TargetFactory,
    TargetPopulationFactory,
)
from tests.programmes.factories_accompaniment import share_levels
from tests.programmes.factories_reminders import ReminderFactory, ReminderSettingsFactory

DAY = date(2026, 3, 12)  # the agents below are due on it (enrolled 14 days before)
WEDNESDAY = date(2026, 3, 11)


class FlakyMailServer(EmailBackend):
    """Refuses the next `failures` messages (the connection drops), then delivers; waits
    `delay` seconds per message, to widen the window of a race."""

    failures = 0
    delay = 0.0
    lock = threading.Lock()

    def send_messages(self, messages):
        cls = type(self)
        with cls.lock:
            refuse = cls.failures > 0
            cls.failures -= refuse
        if cls.delay:
            time.sleep(cls.delay)
        if refuse:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def mail_server(settings, mailoutbox):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyMailServer"
    FlakyMailServer.failures, FlakyMailServer.delay = 0, 0.0
    yield FlakyMailServer
    FlakyMailServer.failures, FlakyMailServer.delay = 0, 0.0


@pytest.fixture
def eager_celery():
    """Tasks run in process, as without Redis (restored afterwards whatever the settings)."""
    before = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = celery_app.conf.task_eager_propagates = True
    yield celery_app
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = before


def make_programme(**rules):
    programme = ProgrammeFactory(start_date=date(2026, 1, 5))
    ReminderSettingsFactory(programme=programme, **{"digest_ambassadors": False, **rules})
    population = TargetPopulationFactory(programme=programme)
    TargetFactory(population=population)
    return programme, population


def due_agents(population, count=1, enrolled=DAY - timedelta(days=14)):
    agents = AgentFactory.create_batch(count)
    for agent in agents:
        EnrolmentFactory(agent=agent, population=population, start_date=enrolled)
    return agents


@pytest.fixture
def world(db):
    return make_programme()


def delivered() -> list[str]:
    """The addresses the mail server delivered to, read now: the test outbox list is
    replaced when a test's database is set up, so a reference taken earlier goes stale."""
    return sorted(address for message in mail.outbox for address in message.to)


# --- A mail server failure ------------------------------------------------------------------


def test_mail_server_failure_leaves_the_reminder_failed_with_the_error(world, mail_server):
    _programme, population = world
    [agent] = due_agents(population)
    mail_server.failures = 1
    outcome = services_reminders.reminders_run(day=DAY)
    assert outcome == {"reminders": 1, "digests": 0, "failed": 1}
    reminder = Reminder.objects.get(agent=agent)
    assert reminder.status == OutgoingStatus.FAILED
    assert reminder.attempts == 1
    assert "SMTPServerDisconnected" in reminder.last_error
    assert reminder.sent_at is None
    assert delivered() == []


def test_the_next_run_sends_a_failed_reminder_once_and_never_again(world, mail_server):
    _programme, population = world
    agents = due_agents(population, 3)
    mail_server.failures = 2
    services_reminders.reminders_run(day=DAY)
    assert Reminder.objects.filter(status=OutgoingStatus.FAILED).count() == 2
    services_reminders.reminders_run(day=DAY)
    for later in range(1, 5):
        services_reminders.reminders_run(day=DAY + timedelta(days=later))
    assert delivered() == sorted(a.email for a in agents)
    assert Reminder.objects.count() == 3
    assert set(Reminder.objects.values_list("status", "last_error")) == {(OutgoingStatus.SENT, "")}
    assert sorted(Reminder.objects.values_list("attempts", flat=True)) == [1, 2, 2]


def test_a_reminder_failed_yesterday_is_sent_by_todays_run_without_a_second_row(world, mail_server):
    _programme, population = world
    [agent] = due_agents(population)
    mail_server.failures = 1
    services_reminders.reminders_run(day=DAY)
    services_reminders.reminders_run(day=DAY + timedelta(days=1))
    assert delivered() == [agent.email]
    reminder = Reminder.objects.get()
    assert (reminder.period, reminder.status) == (DAY.isoformat(), OutgoingStatus.SENT)


def test_a_long_outage_stops_retrying_after_the_maximum_attempts(world, mail_server):
    _programme, population = world
    due_agents(population)
    mail_server.failures = 1000
    for _ in range(services_reminders.RETRY_ATTEMPTS + 3):
        services_reminders.reminders_run(day=DAY)
    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.attempts) == (
        OutgoingStatus.FAILED,
        services_reminders.RETRY_ATTEMPTS,
    )
    mail_server.failures = 0
    services_reminders.reminders_run(day=DAY)
    assert delivered() == []  # left for a person, on the reminders page


def test_a_failed_reminder_is_not_sent_once_the_agent_reached_the_target(world, mail_server):
    programme, population = world
    [agent] = due_agents(population)
    mail_server.failures = 1
    services_reminders.reminders_run(day=DAY)
    campaign = CampaignFactory()
    programme.campaigns.add(campaign)
    share_levels(agent, campaign, {"1.1": 5})
    services_reminders.reminders_run(day=DAY + timedelta(days=1))
    assert delivered() == []
    assert Reminder.objects.get().status == OutgoingStatus.CANCELLED


def test_the_retry_task_sends_a_failed_reminder_once(world, mail_server, eager_celery):
    _programme, population = world
    [agent] = due_agents(population)
    mail_server.failures = 1
    [pk] = services_reminders.reminders_claim(day=DAY)
    assert tasks.send_reminder.delay(pk).get() == "failed"
    assert Reminder.objects.get().status == OutgoingStatus.FAILED
    assert tasks.send_reminder.delay(pk).get() == OutgoingStatus.SENT
    assert tasks.send_reminder.delay(pk).get() == OutgoingStatus.SENT
    assert delivered() == [agent.email]
    assert Reminder.objects.get().attempts == 2


def test_mail_server_failure_leaves_the_digest_failed_then_sends_it_once(db, mail_server, settings):
    settings.REMINDER_DIGEST_WEEKDAY = WEDNESDAY.weekday()
    programme, population = make_programme(digest_ambassadors=True)
    ambassador = UserFactory(email="ambassadeur@exemple.gouv.fr")
    population.ambassadors.add(ambassador)
    mail_server.failures = 1
    services_reminders.reminders_run(day=WEDNESDAY)
    digest = Digest.objects.get()
    assert (digest.status, digest.attempts) == (OutgoingStatus.FAILED, 1)
    assert "SMTPServerDisconnected" in digest.last_error
    for _ in range(3):
        services_reminders.reminders_run(day=WEDNESDAY)
    services_reminders.reminders_run(day=WEDNESDAY + timedelta(days=7))
    assert delivered() == [ambassador.email] * 2  # two weeks
    assert list(Digest.objects.order_by("period").values_list("status", "attempts")) == [
        (OutgoingStatus.SENT, 2),
        (OutgoingStatus.SENT, 1),
    ]


# --- The send guard -------------------------------------------------------------------------


def test_a_reminder_being_sent_is_not_sent_again(world, mail_server):
    _programme, population = world
    [agent] = due_agents(population)
    reminder = ReminderFactory(
        agent=agent,
        population=population,
        period=DAY.isoformat(),
        status=OutgoingStatus.SENDING,
        attempts=1,
    )
    services_reminders.reminders_run(day=DAY)
    status = services_reminders.reminder_send(reminder_id=reminder.pk, today=DAY)
    assert status == OutgoingStatus.SENDING
    assert delivered() == []
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (OutgoingStatus.SENDING, 1)
    assert Reminder.objects.count() == 1


def test_sending_the_same_reminder_twice_sends_one_mail(world, mail_server):
    _programme, population = world
    [agent] = due_agents(population)
    [pk] = services_reminders.reminders_claim(day=DAY)
    assert services_reminders.reminder_send(reminder_id=pk, today=DAY) == OutgoingStatus.SENT
    assert services_reminders.reminder_send(reminder_id=pk, today=DAY) == OutgoingStatus.SENT
    assert delivered() == [agent.email]
    assert Reminder.objects.get().attempts == 1


def test_a_cancelled_reminder_is_never_sent(world, mail_server):
    _programme, population = world
    [agent] = due_agents(population)
    [pk] = services_reminders.reminders_claim(day=DAY)
    services_reminders.reminders_opt_out(agent_id=agent.pk, programme_id=population.programme_id)
    assert services_reminders.reminder_send(reminder_id=pk, today=DAY) == OutgoingStatus.CANCELLED
    assert delivered() == []


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("Concurrence réelle : PostgreSQL seulement (SQLite verrouille la base).")


def in_threads(count, target):
    """Run `target()` in `count` threads released together; each closes its connection.
    Returns what each returned (or the exception it raised)."""
    start, results = threading.Barrier(count), [None] * count

    def run(index):
        try:
            start.wait()
            results[index] = target()
        except Exception as error:  # reported to the test, not lost in the thread
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_sends_of_the_same_reminder_send_one_mail(postgres_only, mail_server):
    _programme, population = make_programme()
    agents = due_agents(population, 3)
    ids = services_reminders.reminders_claim(day=DAY)
    mail_server.delay = 0.2  # every sender is inside the send when the others try
    for pk in ids:
        results = in_threads(
            4, lambda pk=pk: services_reminders.reminder_send(reminder_id=pk, today=DAY)
        )
        assert not [r for r in results if isinstance(r, Exception)], results
    assert delivered() == sorted(a.email for a in agents)
    assert set(Reminder.objects.values_list("status", "attempts")) == {(OutgoingStatus.SENT, 1)}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_daily_runs_at_once_send_one_mail_per_agent(postgres_only, mail_server):
    _programme, population = make_programme()
    agents = due_agents(population, 5)
    mail_server.delay = 0.05
    results = in_threads(2, lambda: services_reminders.reminders_run(day=DAY))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert delivered() == sorted(a.email for a in agents)
    assert Reminder.objects.count() == 5
    assert set(Reminder.objects.values_list("status", "attempts")) == {(OutgoingStatus.SENT, 1)}


# --- Celery, in process ---------------------------------------------------------------------


def test_daily_task_in_process_sends_each_reminder_once(mail_server, eager_celery, db):
    today = timezone.localdate()
    _programme, population = make_programme()
    agents = due_agents(population, 3, enrolled=today - timedelta(days=20))
    first = tasks.send_daily_reminders.delay(today.isoformat()).get()
    second = tasks.send_daily_reminders.delay(today.isoformat()).get()
    assert first == {"reminders": 3, "digests": 0}
    assert second == {"reminders": 0, "digests": 0}
    assert delivered() == sorted(a.email for a in agents)
    assert set(Reminder.objects.values_list("status", "period")) == {
        (OutgoingStatus.SENT, today.isoformat())
    }


def test_daily_task_in_process_records_a_failure_and_the_next_run_sends_it(
    mail_server, eager_celery, db
):
    today = timezone.localdate()
    _programme, population = make_programme()
    [agent] = due_agents(population, enrolled=today - timedelta(days=20))
    mail_server.failures = 1
    assert tasks.send_daily_reminders.delay(today.isoformat()).get() == {
        "reminders": 1,
        "digests": 0,
    }
    assert Reminder.objects.get().status == OutgoingStatus.FAILED
    assert tasks.send_daily_reminders.delay(today.isoformat()).get()["reminders"] == 1
    tasks.send_daily_reminders.delay(today.isoformat()).get()
    assert delivered() == [agent.email]
    assert Reminder.objects.get().status == OutgoingStatus.SENT
