"""A real Redis broker and a real Celery worker process: the day's run sent twice at the same
time still sends each due agent exactly one mail.

The test starts `celery -A config worker` (prefork, two processes) on the test database and
on TEST_REDIS_URL, with the file-based mail backend writing to a temporary folder, publishes
`send_daily_reminders` twice for the same day, waits for the worker to finish, reads the mail
files, and stops the worker.

Needs PostgreSQL (DATABASE_URL; the worker must reach the test database, committed data:
the test is transactional) and TEST_REDIS_URL. Skipped without them, except when CI is set:
there the test is required and fails loudly, as the browser tests do without Chromium."""

import os
import signal
import subprocess
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone

from config.celery import app as celery_app
from programmes.enums import OutgoingStatus
from programmes.models import Reminder
from programmes.reminders.tasks import send_daily_reminders
from tests.agents.factories import AgentFactory
from tests.integration.fault_helpers import broker_at
from tests.programmes.factories import (
    EnrolmentFactory,
    ProgrammeFactory,
    TargetFactory,
    TargetPopulationFactory,
)
from tests.programmes.factories_reminders import ReminderSettingsFactory

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
CELERY = REPO_ROOT / ".venv" / "bin" / "celery"
NODE = "reminders-it@localhost"
QUEUE = "celery"
READY_TIMEOUT, DONE_TIMEOUT, STOP_TIMEOUT = 60, 90, 20
DUE_AGENTS = 4


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def missing_reason() -> str | None:
    if connection.vendor != "postgresql":
        return "PostgreSQL requis (DATABASE_URL) : le worker doit lire la base de test"
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        return "TEST_REDIS_URL absent : pas de Redis pour le worker"
    if not CELERY.exists():
        return f"{CELERY} introuvable"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return f"Redis injoignable sur {url} : {error}"
    return None


@pytest.fixture
def prerequisites():
    reason = missing_reason()
    if reason is None:
        return os.environ["TEST_REDIS_URL"]
    if in_ci():
        pytest.fail(
            f"{reason} — test d'intégration obligatoire en CI (CI est défini).", pytrace=False
        )
    pytest.skip(reason)


def worker_database_url() -> str:
    """The URL of the test database pytest-django created (the worker connects to it)."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def broker(prerequisites):
    """The Celery app of this process publishing to TEST_REDIS_URL (not eagerly), the queue
    emptied of anything an earlier aborted run left; restored afterwards."""
    import redis

    client = redis.Redis.from_url(prerequisites)
    client.delete(QUEUE, "unacked", "unacked_index", "unacked_mutex")
    # broker_at drops the app's connection pools: an earlier test of this process (under
    # pytest-xdist, any test) may have left one open on another broker, where .delay() would
    # then publish and no worker of ours would read.
    try:
        with broker_at(prerequisites), celery_app.connection_for_write(prerequisites) as conn:
            yield conn
    finally:
        client.delete(QUEUE, "unacked", "unacked_index", "unacked_mutex")


@pytest.fixture
def mail_dir(tmp_path):
    folder = tmp_path / "mails"
    folder.mkdir()
    return folder


@pytest.fixture
def worker(broker, mail_dir, tmp_path):
    """A Celery worker process (prefork, two children) on the test database and Redis;
    stopped at the end (warm shutdown, killed if it does not stop in time)."""
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": os.environ["TEST_REDIS_URL"],
        "DJANGO_TESTING": "1",
        "DJANGO_SETTINGS_MODULE": "tests.integration.worker_settings",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
    }
    command = [str(CELERY), "-A", "config", "worker", "--pool=prefork", "--concurrency=2"]
    command += ["-l", "info", "-n", NODE, "--without-gossip", "--without-mingle"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its pool processes can be stopped with it
        )
    process.log = log
    try:
        wait_until_ready(process)
        yield process
    finally:
        stop(process)


def wait_until_ready(process) -> None:
    """Until the worker logs that it is ready (connected to Redis, consuming)."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Le worker s'est arrêté au démarrage :\n{tail(process.log)}")
        if f"{NODE} ready." in process.log.read_text(errors="replace"):
            return
        time.sleep(0.5)
    pytest.fail(f"Le worker n'a pas démarré en {READY_TIMEOUT} s :\n{tail(process.log)}")


def stop(process) -> None:
    if process.poll() is not None:
        return
    process.terminate()  # warm shutdown: finishes the tasks in hand
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT)


def tail(log: Path, lines: int = 60) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def mails_by_address(mail_dir: Path) -> dict[str, int]:
    """How many messages the file-based backend wrote to each address."""
    counts = {}
    for path in mail_dir.iterdir():
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("To: "):
                address = line.removeprefix("To: ").strip()
                counts[address] = counts.get(address, 0) + 1
    return counts


def count(log: Path, task: str, event: str) -> int:
    """How many of `task` the worker logged as `event` (received, succeeded)."""
    return sum(
        f"Task {task}[" in line and f"] {event}" in line
        for line in log.read_text(errors="replace").splitlines()
    )


def redis_of(conn):
    import redis

    return redis.Redis.from_url(conn.as_uri(include_password=True))


def settled(log: Path, client) -> bool:
    daily, send = "programmes.tasks.send_daily_reminders", "programmes.tasks.send_reminder"
    return (
        count(log, daily, "succeeded") == 2
        and count(log, send, "received") == count(log, send, "succeeded") >= DUE_AGENTS
        and client.llen(QUEUE) == 0
        and client.hlen("unacked") == 0
    )


def wait_for(condition, process, what: str) -> None:
    deadline = time.monotonic() + DONE_TIMEOUT
    while time.monotonic() < deadline:
        if condition():
            return
        if process.poll() is not None:
            pytest.fail(f"Le worker s'est arrêté : {what}\n{tail(process.log)}")
        time.sleep(0.5)
    pytest.fail(f"Délai dépassé ({DONE_TIMEOUT} s) : {what}\n{tail(process.log)}")


@pytest.fixture
def due_agents(prerequisites):
    """A running programme with reminders on (default rules: first after 14 days), four
    agents enrolled 20 days ago (due today), one enrolled 2 days ago (not yet)."""
    today = timezone.localdate()
    programme = ProgrammeFactory(start_date=today - timedelta(days=60))
    ReminderSettingsFactory(programme=programme, digest_ambassadors=False)
    population = TargetPopulationFactory(programme=programme)
    TargetFactory(population=population)
    due = AgentFactory.create_batch(DUE_AGENTS)
    for agent in due:
        EnrolmentFactory(agent=agent, population=population, start_date=today - timedelta(20))
    EnrolmentFactory(population=population, start_date=today - timedelta(days=2))
    return due


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_days_run_sent_twice_at_once_to_a_real_worker_sends_each_mail_once(
    due_agents, worker, broker, mail_dir
):
    today = timezone.localdate().isoformat()
    for _ in range(2):
        send_daily_reminders.apply_async(args=[today], connection=broker)

    def all_sent():
        statuses = list(Reminder.objects.values_list("status", flat=True))
        return len(statuses) == DUE_AGENTS and set(statuses) == {OutgoingStatus.SENT}

    wait_for(all_sent, worker, "toutes les relances envoyées")
    # Then until nothing is left: both daily runs done, every sending task they queued
    # received and finished, the queue empty (a duplicate would have had its chance).
    wait_for(lambda: settled(worker.log, redis_of(broker)), worker, "la file vidée")
    stop(worker)

    assert mails_by_address(mail_dir) == {agent.email: 1 for agent in due_agents}, tail(worker.log)
    rows = Reminder.objects.filter(period=today)
    assert sorted(rows.values_list("agent_id", flat=True)) == sorted(a.pk for a in due_agents)
    assert set(rows.values_list("attempts", flat=True)) == {1}
    assert "Traceback" not in worker.log.read_text(errors="replace"), tail(worker.log)
