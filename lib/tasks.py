"""Sending a Celery task from a write path: once the rows it reads are committed, and
without a broker here and now (CELERY_TASK_ALWAYS_EAGER: tests, a machine without Redis)."""

import logging

from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError as KombuOperationalError

logger = logging.getLogger(__name__)


def enqueue(task, *args, on_refused=None) -> bool:
    """Send `task(*args)` to the workers once the current transaction commits (at once
    outside one, or when tasks run eagerly). When the broker refuses it, the refusal is
    logged and `on_refused()` called, if given (after the commit too). False when the
    broker refused it at once (the task is not queued)."""
    if settings.CELERY_TASK_ALWAYS_EAGER or not transaction.get_connection().in_atomic_block:
        return _delay(task, args, on_refused)
    transaction.on_commit(lambda: _delay(task, args, on_refused))
    return True


def _delay(task, args, on_refused) -> bool:
    try:
        task.delay(*args)
    except KombuOperationalError:
        logger.exception("Broker unreachable: task %s%r not queued", task.name, args)
        if on_refused is not None:
            on_refused()
        return False
    return True
