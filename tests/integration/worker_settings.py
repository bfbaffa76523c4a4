"""Settings of the Celery worker that tests/integration starts: the project's, plus the
folder where the file-based mail backend writes (config/settings.py does not read
EMAIL_FILE_PATH from the environment)."""

import os

from config.settings import *  # noqa: F403

EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"]
