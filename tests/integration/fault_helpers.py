"""Helpers of the fault drills (tests/integration/test_fault_*.py): a private PostgreSQL
cluster that a test may stop and start, the application served by gunicorn on it, a small
HTTP client that keeps its cookies, and real Celery worker processes that a test may kill.

Nothing here touches the shared PostgreSQL or Redis beyond the test database and the Redis
database the tests are given (TEST_REDIS_URL)."""

import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from config.celery import app as celery_app

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
VENV_BIN = REPO_ROOT / ".venv" / "bin"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def require(reason: str | None) -> None:
    """Skip the test for a missing prerequisite, except in CI, where it must run."""
    if reason is None:
        return
    if in_ci():
        pytest.fail(
            f"{reason} — exercice de panne obligatoire en CI (CI est défini).", pytrace=False
        )
    pytest.skip(reason)


def postgres_missing() -> str | None:
    if connection.vendor != "postgresql":
        return "PostgreSQL requis (DATABASE_URL) : l'exercice lit et copie la base de test"
    return None


def redis_missing() -> str | None:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        return "TEST_REDIS_URL absent : pas de Redis pour le worker"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return f"Redis injoignable sur {url} : {error}"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def closed_port() -> int:
    """A local port nobody listens on: a connection to it is refused at once."""
    return free_port()


def tail(path: Path, lines: int = 60) -> str:
    if not path.exists():
        return f"({path} absent)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wait_until(condition, *, timeout: float, what: str, every: float = 0.2, log=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"Délai dépassé ({timeout} s) : {what}\n{tail(log) if log else ''}")


def database_url(settings_dict: dict, *, host=None, port=None, name=None) -> str:
    """A postgres:// URL for Django's connection settings (optionally another port/name)."""
    credentials = quote(settings_dict["USER"] or "", safe="")
    if settings_dict["PASSWORD"]:
        credentials += ":" + quote(settings_dict["PASSWORD"], safe="")
    host = host or settings_dict["HOST"] or "localhost"
    port = port or settings_dict["PORT"] or 5432
    return f"postgres://{credentials}@{host}:{port}/{name or settings_dict['NAME']}"


# --- A private PostgreSQL cluster ----------------------------------------------------------


def postgres_bindir() -> Path | None:
    """The server binaries (initdb, pg_ctl, pg_dump): PG_BINDIR, else Debian's newest."""
    if os.environ.get("PG_BINDIR"):
        return Path(os.environ["PG_BINDIR"])
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(re.search(r"/(\d+)/bin/", path).group(1)),
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def cluster_missing() -> str | None:
    bindir = postgres_bindir()
    if bindir is None or not (bindir / "initdb").exists():
        return "initdb introuvable (paquet postgresql) : pas de grappe PostgreSQL privée"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "runuser introuvable : initdb refuse de tourner en root"
    return None


@dataclass
class PrivateCluster:
    """A throwaway PostgreSQL cluster in a temporary folder, on its own port, TCP only.
    initdb refuses to run as root: as root, every server command runs as `postgres`."""

    root: Path
    port: int
    bindir: Path
    user: str = "postgres"
    log: Path = field(init=False)

    def __post_init__(self):
        self.log = self.root / "server.log"

    @classmethod
    def create(cls) -> "PrivateCluster":
        root = Path(tempfile.mkdtemp(prefix="pilote-pix-pg-"))
        if os.geteuid() == 0:
            shutil.chown(root, user="postgres", group="postgres")
        cluster = cls(root=root, port=free_port(), bindir=postgres_bindir())
        cluster._server(
            "initdb",
            "-D",
            str(root / "data"),
            "-U",
            cluster.user,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        return cluster

    def _server(self, program: str, *args: str) -> subprocess.CompletedProcess:
        command = [str(self.bindir / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            pytest.fail(f"{program} a échoué : {result.stdout}\n{result.stderr}\n{tail(self.log)}")
        return result

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._server(
            "pg_ctl", "-D", str(self.root / "data"), "-l", str(self.log), "-o", options, "-w",
            "start",
        )  # fmt: skip

    def stop(self) -> None:
        """Fast shutdown, as a restart does: open sessions are cut, then the server stops."""
        self._server("pg_ctl", "-D", str(self.root / "data"), "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        command = [str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "status"]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, timeout=30).returncode == 0

    def url(self, name: str) -> str:
        return f"postgres://{self.user}@127.0.0.1:{self.port}/{name}"

    def copy_database(self, source: dict, name: str) -> None:
        """Create `name` here as a copy (schema and rows) of the database Django's
        `source` settings point at."""
        env = {**os.environ, "PGPASSWORD": source["PASSWORD"] or ""}
        target = ["-h", "127.0.0.1", "-p", str(self.port), "-U", self.user]
        subprocess.run(
            [str(self.bindir / "psql"), *target, "-q", "-c", f'CREATE DATABASE "{name}"'],
            check=True,
            env=env,
            timeout=60,
        )
        dump = subprocess.Popen(
            [
                str(self.bindir / "pg_dump"),
                "-h",
                source["HOST"] or "localhost",
                "-p",
                str(source["PORT"] or 5432),
                "-U",
                source["USER"] or "postgres",
                "--no-owner",
                "--no-privileges",
                source["NAME"],
            ],
            stdout=subprocess.PIPE,
            env=env,
        )
        restore = subprocess.run(
            [str(self.bindir / "psql"), *target, "-q", "-v", "ON_ERROR_STOP=1", "-d", name],
            stdin=dump.stdout,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        dump.stdout.close()
        if dump.wait(timeout=60) != 0 or restore.returncode != 0:
            pytest.fail(f"Copie de la base vers la grappe privée impossible : {restore.stderr}")

    def destroy(self) -> None:
        if self.running():
            self._server("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


# --- The application, served by gunicorn ---------------------------------------------------


@dataclass
class LiveApp:
    """gunicorn serving config.wsgi as in production (DEBUG off), one worker process."""

    process: subprocess.Popen
    port: int
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(cls, *, database_url: str, log: Path, media_root: Path, **env) -> "LiveApp":
        port = free_port()
        environment = {
            key: value
            for key, value in os.environ.items()
            # The test process's own settings must not leak into the server's.
            if not key.startswith(("DJANGO_", "PYTEST", "REDIS_URL", "CONN_", "DEBUG"))
        }
        environment.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DATABASE_URL": database_url,
                "SECRET_KEY": "fault-drill-secret-key-only-for-this-test",
                "DEBUG": "0",
                "ALLOWED_HOSTS": "127.0.0.1",
                "SECURE_COOKIES": "0",
                "TRUSTED_PROXY_COUNT": "0",
                "MEDIA_ROOT": str(media_root),
                "LOG_LEVEL": "WARNING",
                **env,
            }
        )
        command = [str(VENV_BIN / "gunicorn"), "config.wsgi:application"]
        command += ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "60"]
        with log.open("wb") as output:
            process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        app = cls(process=process, port=port, log=log)

        def answers():
            if process.poll() is not None:
                pytest.fail(f"gunicorn s'est arrêté au démarrage :\n{tail(log)}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return True
            except OSError:
                return False

        wait_until(answers, timeout=30, what="gunicorn à l'écoute", log=log)
        return app

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=20)


@dataclass
class Response:
    status: int
    headers: dict
    text: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class HttpClient:
    """A person's browser, reduced to what the drills need: cookies kept, redirects
    returned rather than followed, the CSRF token of the last form page."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )
        self.csrf_token = None

    def get(self, path: str) -> Response:
        return self._send(urllib.request.Request(self.base_url + path))

    def post(self, path: str, data: dict) -> Response:
        fields = {**data, "csrfmiddlewaretoken": self.csrf_token or ""}
        request = urllib.request.Request(
            self.base_url + path,
            data=urllib.parse.urlencode(fields, doseq=True).encode(),
            headers={"Referer": self.base_url + path},
        )
        return self._send(request)

    def _send(self, request) -> Response:
        try:
            with self.opener.open(request, timeout=30) as answer:
                response = Response(answer.status, dict(answer.headers), answer.read().decode())
        except urllib.error.HTTPError as answer:
            response = Response(answer.code, dict(answer.headers), answer.read().decode())
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text)
        if found:
            self.csrf_token = found.group(1)
        return response


# --- Celery: the broker this process publishes to, and workers ------------------------------


@contextmanager
def broker_at(url: str):
    """This process's Celery app publishing to `url` (not eagerly): .delay() talks to that
    broker for real. The app forgets its connection pools so that the URL is read again;
    the pools stay open in kombu's registry (keyed by URL), where the app finds them again
    afterwards (Celery acquires a producer even for eager tasks)."""
    conf = celery_app.conf
    before = {key: conf[key] for key in ("broker_url", "task_always_eager")}

    def drop_pools():
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    conf.update(broker_url=url, task_always_eager=False)
    drop_pools()
    try:
        yield
    finally:
        conf.update(before)
        drop_pools()


@contextmanager
def silent_listener():
    """A port that accepts connections and never answers: Redis hung, or a firewall that
    swallows the traffic."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted, stop = [], threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in accepted:
            conn.close()
        server.close()


@dataclass
class Worker:
    process: subprocess.Popen
    node: str
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once, as a machine or a container
        dies: no warm shutdown, no acknowledgement, no cleanup."""
        if self.alive():
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if not self.alive():
            return
        self.process.terminate()  # warm shutdown: finishes the tasks in hand
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def logged(self, task: str, event: str, task_id: str | None = None) -> int:
        """How many times the worker logged `task` (with `task_id`, if given) as `event`."""
        needle = f"Task {task}[{task_id}]" if task_id else f"Task {task}["
        return sum(
            needle in line and f" {event}" in line
            for line in self.log.read_text(errors="replace").splitlines()
        )


def mails_by_address(folder: Path) -> dict[str, int]:
    """How many messages the file-based mail backend wrote to each address."""
    counts = {}
    for path in folder.iterdir():
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("To: "):
                address = line.removeprefix("To: ").strip()
                counts[address] = counts.get(address, 0) + 1
    return counts


def start_worker(*, node: str, log: Path, database_url: str, redis_url: str, **env) -> Worker:
    """`celery -A config worker` (prefork, two processes) on the given database and Redis,
    with the fault drills' worker settings; returns once it is consuming."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_TESTING": "1",
        "DJANGO_SETTINGS_MODULE": "tests.integration.fault_worker_settings",
        **env,
    }
    command = [str(VENV_BIN / "celery"), "-A", "config", "worker", "--pool=prefork"]
    command += ["--concurrency=2", "-l", "info", "-n", node]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    with log.open("ab") as output:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its pool processes can be killed with it
        )
    worker = Worker(process=process, node=node, log=log)

    def ready():
        if not worker.alive():
            pytest.fail(f"Le worker s'est arrêté au démarrage :\n{tail(log)}")
        return f"{node} ready." in log.read_text(errors="replace")

    wait_until(ready, timeout=60, what=f"le worker {node} prêt", every=0.3, log=log)
    return worker
