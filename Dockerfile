# Production image: gunicorn serves the app, whitenoise the static files.
# The same image runs the one-shot migration, the Celery worker and beat (docker-compose.yml).
FROM python:3.11-slim

# PYTHONPATH: the code runs from /app, ahead of the copy `pip install .` leaves in
# site-packages, so that BASE_DIR (templates, static, locale) is /app.
# STATICFILES_STORAGE: collectstatic below builds the manifest; runtime uses the same storage.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    STATICFILES_STORAGE=whitenoise.storage.CompressedManifestStaticFilesStorage \
    MEDIA_ROOT=/app/media

# gettext: compilemessages needs msgfmt. Pango, HarfBuzz's subsetter and a fallback font:
# WeasyPrint, which renders the review sheets' PDF (Marianne comes with django-dsfr).
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, in their own layer, so that a code change does not reinstall them:
# the runtime lock (`make lock`), every file checked against its hash. It lists every
# package, setuptools included (it builds the app below without fetching anything), so pip
# resolves nothing (--no-deps, as in the Makefile) and pip check confirms the set is whole.
COPY requirements/base.txt requirements/base.txt
RUN pip install --no-deps --require-hashes -r requirements/base.txt \
    && pip check

COPY . .
RUN pip install --no-deps --no-build-isolation . \
    && rm -rf build ./*.egg-info

# Build-time steps need settings but no secret and no database.
RUN if [ -d locale ]; then DJANGO_DEMO=1 python manage.py compilemessages; fi \
    && DJANGO_DEMO=1 python manage.py collectstatic --noinput

RUN groupadd --system --gid 1000 app \
    && useradd --system --uid 1000 --gid app --home-dir /app --no-create-home app \
    && mkdir -p /app/media \
    && chown app:app /app/media

USER app

EXPOSE 8000

CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
