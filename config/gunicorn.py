"""gunicorn's settings besides its command line (Dockerfile, bench/load_test.sh):
`gunicorn -c config/gunicorn.py config.wsgi:application …`."""

import gc


def post_worker_init(worker):
    """Once the worker has loaded Django and the apps, their objects (modules, models,
    settings: some 150,000 that live as long as the worker) are frozen out of the garbage
    collector's reach. Each full collection walked them all: 2.7 ms of CPU per « Mon
    parcours » before, 0.4 ms after (Python's gc.freeze; the objects of a request are still
    collected as before)."""
    gc.freeze()
