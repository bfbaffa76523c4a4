"""Settings of the Celery workers the fault drills start: the project's own, plus what a
drill sets through the environment.

- EMAIL_FILE_PATH: where the file-based mail backend writes (the settings do not read it).
- FAULT_VISIBILITY_TIMEOUT: seconds after which Redis hands an unacknowledged message (its
  worker died) to another worker. Production keeps the settings' value (hours); a drill
  lowers it, and lets the worker look for such messages every second, so that the
  redelivery happens while the test waits for it.
- FAULT_BROKER_WRITE_URL: where the worker publishes (.delay), while it still consumes from
  REDIS_URL: a closed port makes every publish of a running task fail, as when Redis goes
  down under a running worker."""

import os

from config.settings import *  # noqa: F403

if os.environ.get("EMAIL_FILE_PATH"):
    EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"]

if os.environ.get("FAULT_VISIBILITY_TIMEOUT"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
        "visibility_timeout": int(os.environ["FAULT_VISIBILITY_TIMEOUT"]),
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }

if os.environ.get("FAULT_BROKER_WRITE_URL"):
    CELERY_BROKER_WRITE_URL = os.environ["FAULT_BROKER_WRITE_URL"]
