"""The app as `make run` serves it, in processes of its own: the demo seeded in a SQLite
database of a temporary folder, runserver and, if asked, the Celery worker reading the task
queue kept in files (config/settings.py, Makefile). Optionally as if today were another day:
every process then runs under libfaketime (Debian's `faketime`), the demo dated from that
day."""

import fcntl
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def worker_args() -> list[str]:
    """The worker's arguments as `make run` starts it: the Makefile's CELERY_DEMO, read
    there so that the tests run what the demo runs."""
    makefile = (REPO_ROOT / "Makefile").read_text()
    definition = re.search(r"^CELERY_DEMO := (.*?)(?<!\\)$", makefile, re.MULTILINE | re.DOTALL)
    words = definition.group(1).replace("\\\n", " ").split()
    assert words[0] == "$(VENV)/bin/celery", words
    return words[1:]


DEMO_PASSWORD = "demo-pix-2026"  # noqa: S105 (the demo's published password)


def faketime_missing_reason() -> str | None:
    return None if shutil.which("faketime") else "faketime absent (paquet Debian faketime)"


@dataclass(frozen=True)
class EmbeddedApp:
    url: str
    database: Path
    folder: Path

    def query(self, sql: str, *params):
        with sqlite3.connect(self.database) as connection:
            return connection.execute(sql, params).fetchall()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def embedded_environment(folder: Path) -> dict:
    """The environment of `make run` (DJANGO_DEMO=1 DEBUG=1, no DATABASE_URL, no REDIS_URL),
    its files in `folder`."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER", "MEDIA_ROOT"}
        and not key.startswith("PYTEST")
    }
    environment.update(
        DJANGO_DEMO="1",
        DEBUG="1",
        DJANGO_TESTING="0",
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
        LOCAL_STATE_DIR=str(folder / "var"),
        MEDIA_ROOT=str(folder / "media"),
        PYTHONUNBUFFERED="1",
    )
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return environment


def seed_embedded(folder: Path, *, today: str | None = None) -> None:
    """Seed the demo into `folder` as `make run` does (as of `today`, YYYY-MM-DD, if given)."""
    environment = embedded_environment(folder)
    clock = ["faketime", f"{today} 10:00:00"] if today else []
    python = str(VENV_BIN / "python")
    seeding = [["migrate", "--noinput"], ["seed_demo"]]
    if today:
        seeding += [["seed_demo_reviews"], ["refresh_stats", "--backfill"]]
    for command in seeding:
        subprocess.run(
            [*clock, python, "manage.py", *command],
            cwd=REPO_ROOT,
            env=environment,
            check=True,
            capture_output=True,
            timeout=600,
        )


def _seed_unless_done(shared: Path, day: str, *, wait: bool) -> bool:
    """Seed `day` into `shared` unless it is there already; with `wait`, wait for another
    process seeding it, else leave it to that process. Returns whether it is there."""
    seed = shared / f"demo-{day}"
    with (shared / f"demo-{day}.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            return False
        if not (seed / "seeded").exists():
            shutil.rmtree(seed, ignore_errors=True)
            seed.mkdir(parents=True)
            seed_embedded(seed, today=day)
            (seed / "seeded").touch()
        return True


def seeded_once(shared: Path, folder: Path, *, today: str, days: list[str]) -> None:
    """`folder` holds the demo seeded as of `today`, seeded once for every test process of
    the run into `shared` (a folder they share), then copied. A process seeds `today` and,
    first, every other of `days` that no other process is seeding: the processes seed the
    days side by side instead of waiting for one another."""
    for day in [today, *(day for day in days if day != today)]:
        _seed_unless_done(shared, day, wait=False)
    _seed_unless_done(shared, today, wait=True)
    shutil.copytree(shared / f"demo-{today}", folder, dirs_exist_ok=True)


@contextmanager
def embedded_app(
    folder: Path, *, today: str | None = None, worker: bool = True, seeded: bool = False
):
    """Seed the demo as `make run` does (as of `today`, YYYY-MM-DD, if given; not if
    `seeded`: `folder` holds it already), serve it, and yield an EmbeddedApp; stop every
    process on the way out."""
    environment = embedded_environment(folder)
    clock = ["faketime", f"{today} 10:00:00"] if today else []
    python = str(VENV_BIN / "python")
    if not seeded:
        seed_embedded(folder, today=today)
    port = free_port()
    names = ["web", *(["worker"] if worker else [])]
    logs = {name: (folder / f"{name}.log").open("wb") for name in names}
    commands = {
        "web": [*clock, python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        "worker": [*clock, str(VENV_BIN / "celery"), *worker_args()],
    }
    processes = {
        name: subprocess.Popen(
            commands[name],
            cwd=REPO_ROOT,
            env=environment,
            stdout=logs[name],
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for name in names
    }
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or processes["web"].poll() is not None:
                    raise RuntimeError((folder / "web.log").read_text()) from None
                time.sleep(0.2)
        yield EmbeddedApp(f"http://127.0.0.1:{port}", folder / "db.sqlite3", folder)
    finally:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, 15)
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait()
        for log in logs.values():
            log.close()
        for name in names:
            sys.stdout.write(f"--- {name}.log (end)\n")
            sys.stdout.write((folder / f"{name}.log").read_text(errors="replace")[-3000:])


def log_in(page, app: EmbeddedApp, email: str) -> None:
    page.goto(f"{app.url}/comptes/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "connexion" not in url)
