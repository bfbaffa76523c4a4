"""Browser tests: Playwright drives the system Chromium (Debian package) against live_server.

- No browser is ever downloaded: the launch always names an existing executable
  (/usr/bin/chromium, or CHROMIUM_PATH). Without it every test here is skipped, except
  when CI is set: there browser tests are required and each one errors loudly.
- pytest-playwright's sync API runs an asyncio loop in the test thread, which makes
  Django refuse ORM calls (SynchronousOnlyOperation); DJANGO_ALLOW_ASYNC_UNSAFE lifts
  that for this directory's tests. Django reads it at call time.
- Data: `live_server` makes pytest-django pick `transactional_db` even for fixtures that
  ask for `db` (such as `cast`), so the server thread sees what the test created. Each
  test here is also marked django_db(transaction=True, serialized_rollback=True): the
  flush after a transactional test empties every table, including the referential that
  data migrations load; serialized rollback puts it back before the next test.
"""

import os

# Before anything else: Django reads it at call time, Playwright at launch time.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

import re  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from axe_playwright_python.sync_playwright import Axe  # noqa: E402

from tests.agents.factories import DEFAULT_PASSWORD  # noqa: E402

BROWSER_DIR = Path(__file__).resolve().parent
REPO_ROOT = BROWSER_DIR.parent.parent
SCREENSHOT_DIR = REPO_ROOT / "test-artifacts" / "screenshots"

DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
BLOCKING_IMPACTS = {"serious", "critical"}

LOGIN_PATH = "/comptes/connexion/"
EMAIL_LABEL = "Adresse e-mail"
PASSWORD_LABEL = "Mot de passe"
SUBMIT_LABEL = "Se connecter"


def chromium_path() -> str:
    return os.environ.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def chromium_missing_reason() -> str | None:
    path = chromium_path()
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return None
    return f"Chromium absent: {path} introuvable"


def _in_browser_dir(item: pytest.Item) -> bool:
    return BROWSER_DIR in Path(item.path).resolve().parents


def pytest_collection_modifyitems(config, items):
    # Conftest hooks see the whole session's items: only touch this directory's tests.
    reason = chromium_missing_reason()
    for item in items:
        if not _in_browser_dir(item):
            continue
        item.add_marker(pytest.mark.browser)
        # Transactional (the live server thread must see the data), and serialized
        # rollback: each test's flush would otherwise wipe the referential that data
        # migrations load (campaigns.Competence, ...), which the factories need.
        if item.get_closest_marker("django_db") is None:
            item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True))
        if reason and not in_ci():
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session", autouse=True)
def _serialized_rollback_across_playwright_loop(request, django_db_setup):
    """Hands the post-migration snapshot to the connections the browser tests really use.

    Django keeps one connection object per thread, but per *context* once an event loop
    runs (asgiref's thread-critical Local). pytest-playwright's sync API runs a loop in
    the test thread, so after `playwright` starts, `connections["default"]` is a new
    object. When earlier tests (tests/agents, ...) set the database up first, the
    snapshot taken for serialized rollback sits on the old object only: the first
    browser test works, the next ones find the referential flushed. Read it before the
    loop starts, then give it to the new objects.
    """
    from django.db import connections

    snapshots = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    request.getfixturevalue("playwright")  # from here on, an event loop is running
    for alias, contents in snapshots.items():
        if not hasattr(connections[alias], "_test_serialized_contents"):
            connections[alias]._test_serialized_contents = contents


@pytest.fixture(scope="session")
def browser_type_launch_args(pytestconfig):
    """Overrides pytest-playwright's: always the system Chromium, headless, quiet."""
    reason = chromium_missing_reason()
    if reason:
        # Only reachable in CI (elsewhere the tests were skipped at collection).
        pytest.fail(
            f"{reason} — les tests navigateur sont obligatoires en CI (CI est défini). "
            "Installez le paquet Debian `chromium` ou définissez CHROMIUM_PATH.",
            pytrace=False,
        )
    return {
        "executable_path": chromium_path(),
        "headless": not pytestconfig.getoption("--headed"),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture
def page(page):
    page.set_default_timeout(10_000)
    page.set_default_navigation_timeout(15_000)
    return page


@pytest.fixture
def password():
    return DEFAULT_PASSWORD


def login(page, live_server, email, password):
    """Log in through the real form, as a person would, and wait for the landing page."""
    page.goto(f"{live_server.url}{LOGIN_PATH}")
    page.get_by_label(EMAIL_LABEL, exact=True).fill(email)
    page.get_by_label(PASSWORD_LABEL, exact=True).fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name=SUBMIT_LABEL, exact=True).click()


_AXE = Axe()


def assert_no_serious_axe_violations(page):
    """Runs axe-core on the current page; fails on any serious or critical violation."""
    results = _AXE.run(page)
    blocking = [v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]
    if not blocking:
        return
    lines = [f"{len(blocking)} violation(s) axe graves ou critiques sur {page.url} :"]
    for violation in blocking:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']} "
            f"<{violation.get('helpUrl', '')}>"
        )
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node.get("target", []))
            lines.append(f"    · {target}\n      {node.get('html', '')[:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary[:300]}")
    pytest.fail("\n".join(lines), pytrace=False)


@pytest.fixture
def screenshot(request):
    """screenshot(page, "accueil") -> test-artifacts/screenshots/<test>-accueil.png"""
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")

    def take(page, name):
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / f"{test_name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
