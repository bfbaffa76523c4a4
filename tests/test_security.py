"""Security settings: login throttling (django-axes), Content Security Policy (django-csp),
and the production settings passing `manage.py check --deploy`."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import F
from django.test import RequestFactory
from django.urls import reverse

from config.login_throttle import client_ip
from tests.agents.factories import DEFAULT_PASSWORD

REPO_ROOT = Path(__file__).resolve().parent.parent
LOGIN_URL = reverse("login")
LOCKOUT_TEXT = "Connexion temporairement bloquée"
WRONG_PASSWORD = "pas-le-bon-mot-de-passe"


def attempt(client, email, password, **extra):
    return client.post(LOGIN_URL, {"username": email, "password": password}, **extra)


def is_logged_in(client):
    return "_auth_user_id" in client.session


def fail_until_locked(client, email, **extra):
    """Fails AXES_FAILURE_LIMIT times in a row; returns the responses."""
    return [
        attempt(client, email, WRONG_PASSWORD, **extra) for _ in range(settings.AXES_FAILURE_LIMIT)
    ]


# --- Login throttling ---------------------------------------------------------------------


def test_throttling_settings_default_to_five_failures_and_thirty_minutes():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 30 * 60
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


def test_failures_below_the_limit_keep_showing_the_login_form(client, cast):
    for response in fail_until_locked(client, cast.owner.email)[:-1]:
        assert response.status_code == 200
        assert "Adresse e-mail ou mot de passe incorrect" in response.content.decode()


def test_the_limit_th_failure_locks_out_with_a_french_page(client, cast):
    last = fail_until_locked(client, cast.owner.email)[-1]
    assert last.status_code == 429
    body = last.content.decode()
    assert LOCKOUT_TEXT in body
    assert "5 tentatives" in body
    assert "30 minutes" in body
    assert reverse("password_reset") in body


def test_locked_out_pair_is_refused_even_with_the_right_password(client, cast):
    fail_until_locked(client, cast.owner.email)
    response = attempt(client, cast.owner.email, DEFAULT_PASSWORD)
    assert response.status_code == 429
    assert LOCKOUT_TEXT in response.content.decode()
    assert not is_logged_in(client)


def test_lockout_counts_the_email_however_it_is_typed(client, cast):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, f"  {cast.owner.email.upper()} ", WRONG_PASSWORD)
    response = attempt(client, cast.owner.email, DEFAULT_PASSWORD)
    assert response.status_code == 429
    assert not is_logged_in(client)


def test_lockout_ends_after_the_cooloff(client, cast):
    fail_until_locked(client, cast.owner.email)
    # Move the failures back past the cool-off rather than waiting.
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME)
    response = attempt(client, cast.owner.email, DEFAULT_PASSWORD)
    assert response.status_code == 302
    assert is_logged_in(client)


def test_a_successful_login_resets_the_failure_count(client, cast):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        attempt(client, cast.owner.email, WRONG_PASSWORD)
    assert attempt(client, cast.owner.email, DEFAULT_PASSWORD).status_code == 302
    client.post(reverse("logout"))

    # A fresh allowance: limit - 1 more failures do not lock, and the right password works.
    for _ in range(limit - 1):
        response = attempt(client, cast.owner.email, WRONG_PASSWORD)
        assert response.status_code == 200
    assert attempt(client, cast.owner.email, DEFAULT_PASSWORD).status_code == 302
    assert is_logged_in(client)


def test_another_ip_is_not_locked_out(client, cast):
    fail_until_locked(client, cast.owner.email, REMOTE_ADDR="198.51.100.7")
    response = attempt(client, cast.owner.email, DEFAULT_PASSWORD, REMOTE_ADDR="198.51.100.8")
    assert response.status_code == 302
    assert is_logged_in(client)


def test_another_account_from_the_same_ip_is_not_locked_out(client, cast):
    fail_until_locked(client, cast.owner.email)
    response = attempt(client, cast.agent.email, DEFAULT_PASSWORD)
    assert response.status_code == 302


def test_by_default_a_fresh_forwarded_address_per_try_does_not_escape_the_lock(client, cast):
    """Out of the box no proxy is trusted: gunicorn reached directly must not take the
    client's word for its address (TRUSTED_PROXY_COUNT defaults to 0)."""
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, cast.owner.email, WRONG_PASSWORD, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")

    response = attempt(
        client, cast.owner.email, DEFAULT_PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99"
    )

    assert response.status_code == 429
    assert not is_logged_in(client)


def test_the_ipv4_mapped_form_of_an_address_is_the_same_client(client, cast):
    limit = settings.AXES_FAILURE_LIMIT
    for n in range(limit):
        remote = "::ffff:198.51.100.7" if n % 2 else "198.51.100.7"
        attempt(client, cast.owner.email, WRONG_PASSWORD, REMOTE_ADDR=remote)

    for remote in ("198.51.100.7", "::ffff:198.51.100.7", "::FFFF:c633:6407"):
        response = attempt(client, cast.owner.email, DEFAULT_PASSWORD, REMOTE_ADDR=remote)
        assert response.status_code == 429, remote
    assert AccessAttempt.objects.get().ip_address == "198.51.100.7"


def test_behind_the_proxy_the_client_is_the_forwarded_address(client, cast, settings):
    """The reverse proxy (REMOTE_ADDR loopback) appends the client to X-Forwarded-For."""
    settings.TRUSTED_PROXY_COUNT = 1
    fail_until_locked(client, cast.owner.email, HTTP_X_FORWARDED_FOR="203.0.113.5")

    # Prepending a made-up address does not get round the lock...
    spoofed = attempt(
        client,
        cast.owner.email,
        DEFAULT_PASSWORD,
        HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.5",
    )
    assert spoofed.status_code == 429
    # ...while another client behind the same proxy is not locked.
    other = attempt(client, cast.owner.email, DEFAULT_PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.6")
    assert other.status_code == 302


def test_the_compose_stack_trusts_its_one_reverse_proxy_explicitly():
    """gunicorn is published for the reverse proxy on the host: the stack says so itself,
    whatever the default, and .env does not silently turn it off."""
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    environment = compose["services"]["web"]["environment"]
    assert environment["TRUSTED_PROXY_COUNT"] == "${TRUSTED_PROXY_COUNT:-1}"
    example = (REPO_ROOT / ".env.example").read_text().splitlines()
    assert not [line for line in example if line.startswith("TRUSTED_PROXY_COUNT=")]


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected", "remote_addr"),
    [
        (1, None, "127.0.0.1", "127.0.0.1"),
        (1, "203.0.113.5", "203.0.113.5", "127.0.0.1"),
        (1, "192.0.2.1, 203.0.113.5", "203.0.113.5", "127.0.0.1"),
        (1, "not-an-ip", "127.0.0.1", "127.0.0.1"),
        (2, "192.0.2.1, 203.0.113.5, 10.0.0.2", "203.0.113.5", "127.0.0.1"),
        (2, "203.0.113.5", "127.0.0.1", "127.0.0.1"),
        (0, "203.0.113.5", "127.0.0.1", "127.0.0.1"),
        (0, None, "127.0.0.1", "::ffff:127.0.0.1"),
        (1, "::ffff:203.0.113.5", "203.0.113.5", "127.0.0.1"),
        (1, "192.0.2.1, ::FFFF:203.0.113.5", "203.0.113.5", "127.0.0.1"),
        (1, "2001:db8::1", "2001:db8::1", "127.0.0.1"),
        (0, None, "2001:db8::1", "2001:DB8:0::1"),
    ],
)
def test_client_ip_trusts_only_what_the_proxies_wrote(
    settings, proxies, forwarded, expected, remote_addr
):
    settings.TRUSTED_PROXY_COUNT = proxies
    meta = {"REMOTE_ADDR": remote_addr}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_ip(RequestFactory().get("/", **meta)) == expected


# --- Content Security Policy ----------------------------------------------------------------

NONCE_RE = re.compile(r"'nonce-([^']+)'")


def directives(response):
    header = response["Content-Security-Policy"]
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def test_login_page_has_the_policy(client, db):
    response = client.get(LOGIN_URL)
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["font-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    script = policy["script-src"]
    assert script[0] == "'self'" and len(script) == 2 and NONCE_RE.fullmatch(script[1])


def test_each_response_gets_a_fresh_nonce_that_its_scripts_carry(client, cast):
    client.force_login(cast.owner)
    nonces = []
    for _ in range(2):
        response = client.get(reverse("home"), follow=True)
        nonce = NONCE_RE.search(response["Content-Security-Policy"]).group(1)
        body = response.content.decode()
        scripts = re.findall(r"<script\b[^>]*>", body)
        assert scripts, "la page devrait charger les scripts du DSFR"
        assert all(f'nonce="{nonce}"' in tag for tag in scripts)
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


@pytest.mark.parametrize("role", ["owner", "ambassador", "manager", "agent"])
def test_pages_have_no_inline_script_handler_or_style(client, cast, role):
    """What the policy would block: inline scripts without the nonce, on* handlers, style="."""
    client.force_login(getattr(cast, role))
    response = client.get(reverse("home"), follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body)
    assert not re.search(r"\son[a-z]+\s*=", body)
    assert not re.search(r"\sstyle\s*=", body)


def test_lockout_page_has_the_policy_too(client, cast):
    last = fail_until_locked(client, cast.owner.email)[-1]
    assert last.status_code == 429
    assert "'nonce-" in last["Content-Security-Policy"]


# --- Deployment checks ----------------------------------------------------------------------


def test_check_deploy_is_clean_with_production_settings():
    """The same environment as the "Deployment checks" step of .ci/run."""
    # Only what a server would have: not the test run's own variables (DJANGO_TESTING, the
    # browser tests' DJANGO_ALLOW_ASYNC_UNSAFE, ...).
    inherited = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "DATABASE_URL"}
    env = {key: value for key, value in os.environ.items() if key in inherited}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(48),
        ALLOWED_HOSTS="pix.example.gouv.fr",
        CSRF_TRUSTED_ORIGINS="https://pix.example.gouv.fr",
        SECURE_SSL_REDIRECT="1",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_COOKIES="1",
        STATICFILES_STORAGE="whitenoise.storage.CompressedManifestStaticFilesStorage",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# --- Caching of personal data ---------------------------------------------------------------


def test_every_page_and_file_for_a_signed_in_user_is_not_to_be_stored(client, cast):
    """Pages and files show personal data: a shared computer's browser or a proxy must not
    keep them (Cache-Control: no-store), whatever the page."""
    from tests.test_url_matrix import APP_MATRIX

    roles = ["owner", "ambassador", "manager", "agent", "staff", "outsider"]
    stored = []
    for name, (kwargs_for, expected) in sorted(APP_MATRIX.items()):
        role = next((role for role in roles if expected[role] == 200), None)
        if role is None:
            continue
        client.force_login(getattr(cast, role))
        response = client.get(reverse(name, kwargs=kwargs_for(cast)))
        if "no-store" not in response.get("Cache-Control", ""):
            stored.append((name, response.get("Cache-Control")))
    client.force_login(cast.staff)
    if "no-store" not in client.get(reverse("admin:index")).get("Cache-Control", ""):
        stored.append(("admin:index", None))
    assert stored == []


def test_pages_for_anonymous_visitors_keep_their_own_caching(client, db):
    assert "Cache-Control" not in client.get(reverse("password_reset"))
    assert "no-store" not in client.get(reverse("healthz")).get("Cache-Control", "")


# --- Session length -----------------------------------------------------------------------


def test_a_session_lasts_twelve_hours_by_default(client, cast):
    assert settings.SESSION_COOKIE_AGE == 12 * 60 * 60
    client.post(LOGIN_URL, {"username": cast.agent.email, "password": DEFAULT_PASSWORD})
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 12 * 60 * 60


SHOW_SESSION_AGE = "from django.conf import settings; print(settings.SESSION_COOKIE_AGE)"


def test_the_session_length_comes_from_the_environment():
    env = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG"}}
    env.update(DJANGO_TESTING="1", SESSION_COOKIE_AGE="3600")
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SHOW_SESSION_AGE],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "3600"
