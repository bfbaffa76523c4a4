"""Celery task names are part of the stored data: beat's database schedule and messages already
queued name tasks by their name, so moving a module must not rename a task."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

from config.celery import app

REPO_ROOT = Path(__file__).resolve().parent.parent
APPS = ("agents", "campaigns", "programmes", "reviews", "lib")


def _task_decorators():
    """(file, line, decorator call) of every @shared_task / @app.task in the apps."""
    for app_dir in APPS:
        for path in sorted((REPO_ROOT / app_dir).rglob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.FunctionDef):
                    continue
                for decorator in node.decorator_list:
                    target = decorator.func if isinstance(decorator, ast.Call) else decorator
                    name = target.attr if isinstance(target, ast.Attribute) else target.id
                    if name in ("shared_task", "task"):
                        yield path.relative_to(REPO_ROOT), node.name, decorator


def _registered_tasks():
    app.loader.import_default_modules()  # what a worker imports at start-up
    return set(app.tasks)


def test_the_scan_finds_the_apps_tasks():
    functions = {function for _path, function, _decorator in _task_decorators()}
    assert {"run_programme_import", "send_daily_reminders", "analyse_import"} <= functions


@pytest.mark.parametrize(
    "path,function,decorator",
    [pytest.param(*case, id=f"{case[0]}-{case[1]}") for case in _task_decorators()],
)
def test_every_task_pins_its_name(path, function, decorator):
    keywords = {k.arg: k.value for k in getattr(decorator, "keywords", [])}
    assert "name" in keywords, f"{path}: task {function} must pin name= (beat stores it)"
    assert isinstance(keywords["name"], ast.Constant)
    assert keywords["name"].value.endswith(f".{function}")


@pytest.mark.parametrize("entry", sorted(settings.CELERY_BEAT_SCHEDULE))
def test_every_beat_entry_names_a_registered_task(entry):
    assert settings.CELERY_BEAT_SCHEDULE[entry]["task"] in _registered_tasks()


def test_a_worker_registers_every_task_of_the_apps():
    names = {d.keywords[0].value.value for _p, _f, d in _task_decorators() if d.keywords}
    pinned = {
        k.value.value for _p, _f, d in _task_decorators() for k in d.keywords if k.arg == "name"
    }
    assert pinned and pinned <= _registered_tasks(), names
