"""Settings for the Pix programme steering application.

One settings module, read from the environment with django-environ. Without any
environment the app runs as the embedded demo: SQLite file, eager tasks, DEBUG off
unless asked. No secret has a production default.
"""

import sys
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

from config.proconnect import form_action_sources, proconnect_settings

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# The demo (make run) sets DJANGO_DEMO=1 and gets a throwaway key; anything else must set one.
TESTING = env.bool("DJANGO_TESTING", default="pytest" in sys.modules)
if env.bool("DJANGO_DEMO", default=False) or TESTING:
    SECRET_KEY = env("SECRET_KEY", default="insecure-demo-key-never-use-in-production")
else:
    SECRET_KEY = env("SECRET_KEY")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "crispy_forms",
    "dsfr",
    "django_celery_beat",
    "axes",  # login throttling (see "Login throttling" below)
    "csp",  # Content Security Policy header and nonces
    "agents",
    "campaigns",
    "programmes",
    "reviews",
    "legal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the session: a database that cannot be reached, there or further in, answers the
    # French 503 page (config/db_unavailable.py), not the generic error page.
    "config.db_unavailable.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A NUL in the query string answers the French 400 page; responses to signed-in users
    # are not to be stored (config/request_guards.py).
    "config.request_guards.RequestGuardsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "programmes.context_processors.roles",
                "legal.context_processors.accessibility",
            ],
            # Dates, numbers and file sizes written the French way, in every template
            # without {% load %} (lib/french.py says which filter for which use).
            "builtins": ["lib.templatetags.french"],
        },
    },
]
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Files the embedded default keeps besides its SQLite database: the task queue and the cache
# shared by runserver and its worker (make run). Unused with PostgreSQL and Redis.
LOCAL_STATE_DIR = Path(env("LOCAL_STATE_DIR", default=str(BASE_DIR / "var")))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo's web process reads while its worker writes an import: write-ahead logging lets
    # readers go on during a writer's transaction; a writer waits its turn up to `timeout`.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 30)
    # The progress indexes carry extra columns for PostgreSQL's index-only scans (INCLUDE,
    # Enrolment.Meta.indexes); SQLite builds them on their keys alone, which is all it
    # needs: its warning would stand on every command of the embedded demo.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
# A persistent connection (CONN_MAX_AGE > 0) is checked before a request reuses it: after the
# database restarts, the first request reconnects instead of failing on the dead connection.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compiles the status engine's correlated subqueries on every call for
    # ~2 s, several times what running them takes (100,000 agents): off for this workload.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
    # A database host that does not answer fails the request (503 page) within seconds.
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "agents.User"
# django-axes first: it refuses a locked-out (e-mail, IP) before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Inert unless ProConnect is configured (below); only answers the ProConnect callback.
    "agents.proconnect.ProConnectBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Hashing is not what tests are about; the default hasher costs seconds per cast.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- ProConnect single sign-on (OpenID Connect, mozilla-django-oidc) -------------------------
# Off unless PROCONNECT_CLIENT_ID is set; see config/proconnect.py for every variable.
# Redirect URI to register with ProConnect: <SITE_URL>/comptes/proconnect/retour/
_proconnect = proconnect_settings(lambda name, default: env.str(name, default=default))
globals().update(_proconnect)

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env(
            "STATICFILES_STORAGE",
            default="django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "media/"

# Uploads: HR lists and Pix exports stay far below this; larger bodies are refused.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
AGENT_IMPORT_MAX_BYTES = env.int("AGENT_IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
# A Pix Orga export of 100,000 participants is ~40 MB; uploads stream to disk past 5 MB.
PIX_EXPORT_MAX_BYTES = env.int("PIX_EXPORT_MAX_BYTES", default=200 * 1024 * 1024)

CRISPY_ALLOWED_TEMPLATE_PACKS = ["dsfr_crispy"]
CRISPY_TEMPLATE_PACK = "dsfr_crispy"

MESSAGE_TAGS = {
    10: "info",
    20: "info",
    25: "success",
    30: "warning",
    40: "error",
}

EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Pilote Pix <ne-pas-repondre@localhost>")

# Celery. Production: Redis as broker (REDIS_URL). The embedded default (make run, no
# server but SQLite): a broker in files under LOCAL_STATE_DIR (kombu's filesystem transport),
# read by the worker `make run` starts next to runserver, so a big import never runs inside
# a request. Tests run their tasks in process (eager) unless they start a real worker.
REDIS_URL = env("REDIS_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL and env.bool("CELERY_TASK_ALWAYS_EAGER", default=TESTING)
CELERY_EMBEDDED_BROKER = not REDIS_URL and not CELERY_TASK_ALWAYS_EAGER
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
elif CELERY_EMBEDDED_BROKER:
    CELERY_BROKER_URL = "filesystem://"
else:
    CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Faults (docs/FAULTS.md). A broker that refuses connections or stops answering fails a
# publish (.delay) within seconds instead of blocking its caller: timeouts on the Redis
# socket, two quick publish retries.
CELERY_BROKER_CONNECTION_TIMEOUT = 5
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
# A message whose worker died unacknowledged goes back to the queue after visibility_timeout.
# It must exceed the longest task (an import of 100,000 rows: about a minute) and the longest
# countdown a worker holds a message for (mail retries: one hour, programmes/reminders/tasks.py), or
# Redis would hand a message to a second worker while the first still has it.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 2 * 3600,
    "socket_connect_timeout": 5,
    "socket_timeout": 5,
}
if CELERY_EMBEDDED_BROKER:
    # One folder of messages shared by the web process and the worker; "control" holds the
    # exchange tables (broadcasts to workers). Created here, as the transport expects them.
    _broker_dir = LOCAL_STATE_DIR / "broker"
    for _folder in ("queue", "control", "processed"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
    # The worker and the web process share the progress of running imports (SQLite holds
    # one writer: an import's transaction cannot publish it in the database meanwhile).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(LOCAL_STATE_DIR / "cache"),
        }
    }
# A task whose worker process is killed is not requeued (Celery's default, stated here): a
# task that kills its worker (memory) would loop. What it was doing is recovered elsewhere:
# imports by the sweep below, reminders by the next daily run.
CELERY_TASK_REJECT_ON_WORKER_LOST = False
# Agents per batch of the job creating a review cycle's sheets (reviews.services_cycles): each
# batch is one transaction of the same few queries, whatever its size.
REVIEWS_SYNC_BATCH_SIZE = env.int("REVIEWS_SYNC_BATCH_SIZE", default=5000)
# A review cycle's progress page counts its sheets again after a change at most every this
# many seconds (in between, it shows the counts with their time), and in any case once they
# are this old. Under tests, every change is counted at once.
REVIEWS_PROGRESS_MIN_INTERVAL = env.int(
    "REVIEWS_PROGRESS_MIN_INTERVAL", default=0 if TESTING else 30
)
REVIEWS_PROGRESS_MAX_AGE = env.int("REVIEWS_PROGRESS_MAX_AGE", default=600)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Recurring jobs; the database scheduler copies them into its tables when beat starts.
CELERY_BEAT_SCHEDULE = {
    # The stored progress state held to the live engine (drift logged and fixed), before the
    # figures that read it.
    "check-progress": {
        "task": "programmes.tasks.check_progress",
        "schedule": crontab(hour=2, minute=0),
    },
    "refresh-population-stats": {
        "task": "programmes.tasks.refresh_population_stats",
        "schedule": crontab(hour=2, minute=30),
    },
    # Imports and analyses whose worker died become FAILED / REFUSED, never "in progress".
    "recover-interrupted-imports": {
        "task": "campaigns.tasks.recover_interrupted_imports",
        "schedule": crontab(minute="*/5"),
    },
}

# Reminders: the daily run's hour (Europe/Paris) and the digests' weekday (0 = Monday).
REMINDER_HOUR = env.int("REMINDER_HOUR", default=9)
REMINDER_DIGEST_WEEKDAY = env.int("REMINDER_DIGEST_WEEKDAY", default=0)
CELERY_BEAT_SCHEDULE["send-daily-reminders"] = {
    "task": "programmes.tasks.send_daily_reminders",
    "schedule": crontab(hour=REMINDER_HOUR, minute=0),
}
# The address of the application as agents reach it, for the links in e-mails.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Legal notice (« Mentions légales », legal/) ---------------------------------------------
# Who publishes and hosts the service: each organisation running it sets its own. Empty, the
# page says « non renseigné ».
LEGAL_PUBLISHER_NAME = env("LEGAL_PUBLISHER_NAME", default="")
LEGAL_PUBLISHER_ADDRESS = env.str("LEGAL_PUBLISHER_ADDRESS", default="", multiline=True)
LEGAL_PUBLISHER_CONTACT = env("LEGAL_PUBLISHER_CONTACT", default="")
LEGAL_PUBLICATION_DIRECTOR = env("LEGAL_PUBLICATION_DIRECTOR", default="")
LEGAL_HOST_NAME = env("LEGAL_HOST_NAME", default="")
LEGAL_HOST_ADDRESS = env.str("LEGAL_HOST_ADDRESS", default="", multiline=True)

# Privacy: no aggregate figure is shown to owners and managers for a group smaller than this.
PRIVACY_MIN_GROUP_SIZE = 5
# « Mon équipe »: a team of up to this many agents has its figures counted on each view; a
# larger one (a director's) reads those of the last figures refresh (programmes/steering/teams.py).
TEAM_LIVE_FIGURES_UP_TO = env.int("TEAM_LIVE_FIGURES_UP_TO", default=2000)
# Rows per page of every paginated list (lib/pagination.py).
PAGINATION_PAGE_SIZE = 50
# Data protection: personal results, check-in notes and the like are purged this many days
# after a programme ends (aggregates are kept); the purge runs every night.
RESULTS_RETENTION_DAYS = env.int("RESULTS_RETENTION_DAYS", default=365)
# Days the login records (successes, failures, lockouts: e-mail and IP address) are kept,
# then deleted by the same nightly purge.
LOGIN_LOG_RETENTION_DAYS = env.int("LOGIN_LOG_RETENTION_DAYS", default=180)
CELERY_BEAT_SCHEDULE["purge-personal-data"] = {
    "task": "programmes.tasks.purge_personal_data",
    "schedule": crontab(hour=3, minute=15),
}

SESSION_COOKIE_HTTPONLY = True
# Seconds a sign-in lasts (a working day and some): on a shared computer, a forgotten
# session does not stay open for Django's default two weeks.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 60 * 60)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if env.bool("SECURE_COOKIES", default=not DEBUG and not env.bool("DJANGO_DEMO", default=False)):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0

# --- Login throttling (django-axes) ---------------------------------------------------------
# After AXES_FAILURE_LIMIT failed logins for one e-mail from one client IP, that pair is
# refused for AXES_COOLOFF_MINUTES, even with the right password (429, French page); a
# successful login resets the count. Locks are lifted early in the admin ("Access attempts")
# or with `manage.py axes_reset_username <email>`.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "config.login_throttle.lockout_response"
# The login form posts the e-mail as "username" (the user model's USERNAME_FIELD is "email").
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "config.login_throttle.login_username"
# Client IP: with TRUSTED_PROXY_COUNT reverse proxies in front of gunicorn, each appending
# the peer address to X-Forwarded-For, the client is that many entries from the right; what
# the client wrote further left is ignored. 0 (the default) = no proxy trusted, REMOTE_ADDR
# is the client: otherwise gunicorn reached directly would take a fresh made-up address per
# try and never lock. docker-compose.yml sets 1 for the reverse proxy it sits behind. An
# explicit callable rather than django-ipware's proxy count, whose strict mode returns no
# address for the single-entry header one proxy sends.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "config.login_throttle.client_ip"

# --- Content Security Policy (django-csp) ----------------------------------------------------
# Every script, style, font and image is served by the app (no CDN). The DSFR's script tags
# carry the per-response nonce (dsfr/base.html passes request.csp_nonce; our override of
# templates/dsfr/global_js.html makes sure it is read, so it is in the header); no page has
# an inline script, event handler or style attribute (charts size themselves through
# app.css), so no 'unsafe-inline'.
# X-Frame-Options DENY above stays for browsers without frame-ancestors.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        # DSFR icons and form controls use data: URIs in its CSS.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    },
}
CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] += form_action_sources(_proconnect)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"without_database_outages": {"()": "config.db_unavailable.WithoutDatabaseOutages"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # A database outage answers the 503 page and logs one line per request
        # (config/db_unavailable.py), not a traceback each.
        "django.request": {"filters": ["without_database_outages"]},
        # WeasyPrint logs every step of every PDF at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # django-axes logs every login at INFO; failures and lockouts stay (WARNING).
        "axes": {"level": "WARNING"},
    },
}
