"""gunicorn's config file (config/gunicorn.py): read by gunicorn itself, used by every way
the app is served in production and by the load test."""

import gc
from pathlib import Path

import pytest
from gunicorn.app.base import Application

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG = "config/gunicorn.py"


class _Loader(Application):
    """gunicorn's own reading of a config file, without serving anything."""

    def load_config(self):
        self.load_config_from_file(str(REPO_ROOT / CONFIG))

    def load(self):  # pragma: no cover - never served
        raise AssertionError


def test_gunicorn_reads_the_file_and_its_worker_hook_freezes_the_loaded_objects():
    config = _Loader().cfg
    gc.unfreeze()
    try:
        config.post_worker_init(worker=None)
        assert gc.get_freeze_count() > 10_000  # Django and the apps, loaded by the tests
    finally:
        gc.unfreeze()


def test_every_gunicorn_command_uses_the_config_file():
    yaml = pytest.importorskip("yaml")
    web = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())["services"]["web"]
    assert web["command"][:3] == ["gunicorn", "-c", CONFIG]
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    assert f'CMD ["gunicorn", "-c", "{CONFIG}",' in dockerfile
    load_test = (REPO_ROOT / "bench/load_test.sh").read_text()
    assert f".venv/bin/gunicorn -c {CONFIG} " in load_test
