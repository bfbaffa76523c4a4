"""Settings of the load test's gunicorn and collectstatic (bench/load_test.sh): the one
settings module of the app, read from the environment as in production, with only
STATIC_ROOT moved out of the work tree (config/settings.py fixes it to ./staticfiles, which
WhiteNoise would then serve to the test suite's live servers instead of the current files).
"""

import os

from config.settings import *  # noqa: F403 - the production settings, unchanged

STATIC_ROOT = os.environ["LOAD_STATIC_ROOT"]
