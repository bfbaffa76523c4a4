"""Redis down when a reminder run starts, with real workers (docs/FAULTS.md, drill 2).

1. Yesterday's run claimed its reminders, then died before queueing them (PENDING rows).
2. Today's run reaches a worker whose publishing connection is refused (it consumes from
   the real Redis, publishes to a closed local port: a real "connection refused" at each
   .delay()): it sends the claimed messages itself, yesterday's included, each once.
3. A run that dies after its claim once more, then a healthy worker on the real Redis and
   the day's run published twice: the leftovers are queued and sent once; nothing already
   sent leaves again.

Every due agent gets exactly one e-mail, the ambassador one digest (file-based mail backend
of the workers). Needs PostgreSQL and TEST_REDIS_URL; skipped without them except in CI."""

import os
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from programmes.enums import OutgoingStatus
from programmes.models import Digest, Reminder
from programmes.reminders import services as services_reminders
from programmes.reminders.tasks import send_daily_reminders
from tests.agents.factories import AgentFactory, UserFactory
from tests.integration.fault_helpers import (
    broker_at,
    closed_port,
    database_url,
    mails_by_address,
    postgres_missing,
    redis_missing,
    require,
    start_worker,
    tail,
    wait_until,
)
from tests.programmes.factories import (
    EnrolmentFactory,
    ProgrammeFactory,
    TargetFactory,
    TargetPopulationFactory,
)
from tests.programmes.factories_reminders import ReminderSettingsFactory

QUEUE_KEYS = ("celery", "unacked", "unacked_index", "unacked_mutex")
DAILY = "programmes.tasks.send_daily_reminders"


@pytest.fixture
def redis_url():
    require(postgres_missing() or redis_missing())
    import redis

    url = os.environ["TEST_REDIS_URL"]
    client = redis.Redis.from_url(url)
    client.delete(*QUEUE_KEYS)
    yield url
    client.delete(*QUEUE_KEYS)


def enrol(population, count, *, on):
    agents = AgentFactory.create_batch(count)
    for agent in agents:
        EnrolmentFactory(agent=agent, population=population, start_date=on)
    return agents


def all_sent() -> bool:
    statuses = set(Reminder.objects.values_list("status", flat=True))
    statuses |= set(Digest.objects.values_list("status", flat=True))
    return statuses == {OutgoingStatus.SENT}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reminders_survive_a_broker_outage_and_each_leaves_once(redis_url, settings, tmp_path):
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    settings.REMINDER_DIGEST_WEEKDAY = today.weekday()  # today's run claims the digests too
    programme = ProgrammeFactory(start_date=today - timedelta(days=90))
    ReminderSettingsFactory(programme=programme, first_after_days=14)
    population = TargetPopulationFactory(programme=programme)
    TargetFactory(population=population)
    ambassador = UserFactory(email="ambassadeur@exemple.gouv.fr")
    population.ambassadors.add(ambassador)
    claimed_yesterday = enrol(population, 2, on=yesterday - timedelta(days=20))
    due_today = enrol(population, 2, on=today - timedelta(days=14))  # 13 days yesterday

    # 1. Yesterday's run died after its claim.
    assert len(services_reminders.reminders_claim(day=yesterday)) == 2

    mails = tmp_path / "mails"
    mails.mkdir()
    env = {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mails),
        "REMINDER_DIGEST_WEEKDAY": str(today.weekday()),
    }
    common = {"database_url": database_url(connection.settings_dict), "redis_url": redis_url}
    with broker_at(redis_url):
        # 2. Today's run, on a worker that cannot publish.
        cut_off = start_worker(
            node="reminders-cut@localhost",
            log=tmp_path / "cut.log",
            FAULT_BROKER_WRITE_URL=f"redis://127.0.0.1:{closed_port()}/0",
            **common,
            **env,
        )
        try:
            send_daily_reminders.delay(today.isoformat())
            wait_until(
                lambda: all_sent() and cut_off.logged(DAILY, "succeeded") == 1,
                timeout=60,
                what="la relance du jour envoyée par le worker coupé de Redis",
                log=cut_off.log,
            )
        finally:
            cut_off.stop()
        log = cut_off.log.read_text(errors="replace")
        assert "Broker unreachable" in log and "'sent_by_the_run': True" in log, tail(cut_off.log)

        # 3. Another run dies after its claim (two agents enrolled since); then the healthy
        # worker gets the day's run twice.
        late = enrol(population, 2, on=today - timedelta(days=14))
        assert len(services_reminders.reminders_claim(day=today)) == 2
        healthy = start_worker(
            node="reminders-ok@localhost", log=tmp_path / "ok.log", **common, **env
        )
        try:
            for _ in range(2):
                send_daily_reminders.delay(today.isoformat())
            wait_until(
                lambda: (
                    all_sent()
                    and healthy.logged(DAILY, "succeeded") == 2
                    and healthy.logged("programmes.tasks.send_reminder", "succeeded") >= 2
                    and healthy.logged("programmes.tasks.send_reminder", "received")
                    == healthy.logged("programmes.tasks.send_reminder", "succeeded")
                ),
                timeout=60,
                what="les relances restantes envoyées par le worker sain",
                log=healthy.log,
            )
        finally:
            healthy.stop()

    everyone = [*claimed_yesterday, *due_today, *late]
    expected = {agent.email: 1 for agent in everyone} | {ambassador.email: 1}
    assert mails_by_address(mails) == expected
    assert set(Reminder.objects.values_list("attempts", flat=True)) == {1}
    assert sorted(Reminder.objects.values_list("period", flat=True)) == sorted(
        [yesterday.isoformat()] * 2 + [today.isoformat()] * 4
    )
    assert "Traceback" not in healthy.log.read_text(errors="replace"), tail(healthy.log)
