"""Sending a Celery task from a write path: once the rows it reads are committed, and
without a broker here and now (CELERY_TASK_ALWAYS_EAGER: tests, a machine without Redis)."""

import logging

from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError as KombuOperationalError

logger = logging.getLogger(__name__)


def enqueue(task, *args) -> bool:
    """Send `task(*args)` to the workers once the current transaction commits (at once
    outside one, or when tasks run eagerly). False when the broker refused it at once (the
    task is not queued; logged); a refusal after the commit is logged only."""
    if settings.CELERY_TASK_ALWAYS_EAGER or not transaction.get_connection().in_atomic_block:
        return _delay(task, *args)
    transaction.on_commit(lambda: _delay(task, *args))
    return True


def _delay(task, *args) -> bool:
    try:
        task.delay(*args)
    except KombuOperationalError:
        logger.exception("Broker unreachable: task %s%r not queued", task.name, args)
        return False
    return True
