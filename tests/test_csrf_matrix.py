"""Write attempts without a CSRF token, on every URL pattern of the project.

Each pattern of the URL matrix (tests/test_url_matrix.py, which fails when a pattern has no
entry) is posted to without a token by a client that enforces CSRF checks, as a role that may
use the page: the first role the matrix lets read it, or every logged-in role for the POST-only
views (those answering 405 to a GET). The answer must be Django's CSRF refusal (403, logged on
`django.security.csrf`) and no row of the application's tables may change.

The one exception by design, listed in CSRF_EXEMPT: the one-click unsubscribe POST of a mail
client (RFC 8058: the signed token of the link is the authority, a mail client holds no CSRF
cookie). The same URL's form POST is still checked, and so is the login page.
"""

import logging

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from tests.test_url_matrix import APP_MATRIX, ROLES, _admin_urls, all_patterns


@pytest.fixture
def matrix_cast(shared_matrix_cast):
    """Built once for the module's hundreds of cases (tests/conftest.py)."""
    return shared_matrix_cast


@pytest.fixture
def cast(shared_matrix_cast):
    """The same rows: a second cast beside them would collide on its fixed e-mails."""
    return shared_matrix_cast


LOGGED_IN = [role for role in ROLES if role != "anonymous"]
APP_LABELS = ("agents", "campaigns", "programmes", "reviews")

# name -> why its view is marked csrf_exempt (it must still check what it can).
CSRF_EXEMPT = {
    "programmes:reminder_unsubscribe": (
        "RFC 8058 one-click unsubscribe: a mail client POSTs List-Unsubscribe=One-Click "
        "without any cookie; the signed token is the authority. The page's own form POST "
        "is CSRF-checked by the view (csrf_protect)."
    ),
}


def _name(namespace, pattern):
    return f"{namespace}:{pattern.name}" if namespace else pattern.name


def _roles_for(expected):
    """Who posts: every logged-in role for a POST-only view, else the first role that may
    read the page, else (a page that only redirects) every logged-in role."""
    if all(expected[role] == 405 for role in LOGGED_IN):
        return LOGGED_IN
    readers = [role for role in ROLES if expected[role] == 200]
    return readers[:1] or LOGGED_IN


def _snapshot():
    """Every row of the application's tables, to compare before and after."""
    rows = {}
    for label in APP_LABELS:
        for model in apps.get_app_config(label).get_models():
            manager = model._base_manager
            rows[model._meta.label] = list(manager.order_by("pk").values_list())
    return rows


def _changed(before, after):
    return sorted(label for label in before if before[label] != after[label])


def _csrf_client(cast, role):
    client = Client(enforce_csrf_checks=True)
    if role != "anonymous":
        client.force_login(getattr(cast, role))
    return client


def _csrf_refusals(caplog):
    return [r for r in caplog.records if r.name == "django.security.csrf"]


def test_every_pattern_is_posted_to_without_token():
    """A new view (any method) cannot escape: every non-admin pattern has a matrix entry,
    hence a case below; the admin's patterns are all covered by the admin case."""
    names = {_name(ns, p) for ns, p in all_patterns() if ns != "admin"}
    assert names - set(APP_MATRIX) == set()
    assert set(CSRF_EXEMPT) <= names


def test_only_the_listed_views_are_csrf_exempt():
    exempt = {
        _name(namespace, pattern)
        for namespace, pattern in all_patterns()
        if getattr(pattern.callback, "csrf_exempt", False)
    }
    assert exempt == set(CSRF_EXEMPT)


@pytest.mark.parametrize("name", sorted(APP_MATRIX))
def test_post_without_csrf_token_is_refused_and_changes_nothing(matrix_cast, caplog, name):
    cast = matrix_cast  # every role of the matrix, programme B's and the second population's
    kwargs_for, expected = APP_MATRIX[name]
    url = reverse(name, kwargs=kwargs_for(cast))
    clients = {role: _csrf_client(cast, role) for role in _roles_for(expected)}
    before = _snapshot()
    caplog.set_level(logging.WARNING, logger="django.security.csrf")
    for role, client in clients.items():
        caplog.clear()
        response = client.post(url, {"submit": "1"})
        assert response.status_code == 403, (name, role, response.status_code)
        assert _csrf_refusals(caplog), (name, role, "not refused by the CSRF check")
    assert _changed(before, _snapshot()) == [], name


def test_post_with_csrf_token_passes_the_check(cast, caplog):
    """The refusals above come from the missing token: the same client with its token is
    let through (here the logout, which then logs the user out)."""
    client = _csrf_client(cast, "agent")
    token = "a" * 32  # an unmasked secret is accepted as cookie and form token alike
    client.cookies["csrftoken"] = token
    caplog.set_level(logging.WARNING, logger="django.security.csrf")
    response = client.post(reverse("logout"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert _csrf_refusals(caplog) == []
    assert "_auth_user_id" not in client.session


def test_login_without_csrf_token_is_refused(cast, caplog):
    client = Client(enforce_csrf_checks=True)
    caplog.set_level(logging.WARNING, logger="django.security.csrf")
    response = client.post(reverse("login"), {"username": cast.agent.email, "password": "password"})
    assert response.status_code == 403
    assert _csrf_refusals(caplog)
    assert "_auth_user_id" not in client.session


def test_unsubscribe_form_needs_a_token_but_one_click_does_not(cast):
    from programmes.models import ReminderOptOut
    from programmes.reminders.emails import unsubscribe_token

    url = reverse(
        "programmes:reminder_unsubscribe",
        kwargs={"token": unsubscribe_token(cast.agent_agent.pk, cast.programme.pk)},
    )
    client = Client(enforce_csrf_checks=True)
    assert client.post(url, {}).status_code == 403
    assert not ReminderOptOut.objects.exists()
    # RFC 8058: the mail client's one-click POST, no cookie, no token.
    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert ReminderOptOut.objects.filter(agent=cast.agent_agent, programme=cast.programme).exists()


def test_admin_posts_without_csrf_token_are_refused(cast, caplog):
    client = _csrf_client(cast, "staff")
    urls = [entry[1] for entry in _admin_urls(cast)]
    before = _snapshot()
    caplog.set_level(logging.WARNING, logger="django.security.csrf")
    accepted = []
    for url in urls:
        caplog.clear()
        response = client.post(url, {"post": "yes", "action": "delete_selected"})
        if response.status_code != 403 or not _csrf_refusals(caplog):
            accepted.append((url, response.status_code))
    assert accepted == []
    assert _changed(before, _snapshot()) == []
