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
from contextlib import contextmanager  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlencode  # noqa: E402

import pytest  # noqa: E402
from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

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
# RGAA 10.11: every page usable 320 CSS px wide without scrolling sideways; RGAA 10.4: at
# 200 % zoom a 1280 px desktop window lays out as a 640 px one.
REFLOW_WIDTHS = (320, 640)
SCREENSHOT_WIDTH = 320
MIN_CHART_TEXT_PX = 12

LOGIN_PATH = "/comptes/connexion/"
EMAIL_LABEL = "Adresse e-mail"
PASSWORD_LABEL = "Mot de passe"
SUBMIT_LABEL = "Se connecter"
LOGOUT_LABEL = "Se déconnecter"
SKIP_TO_CONTENT_LABEL = "Contenu"


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


_LAYOUT_PROBLEMS_JS = """(minText) => {
  const width = window.innerWidth;
  const problems = {
    scrollWidth: document.documentElement.scrollWidth, width, wide: [], small: [], mute: [],
  };
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + [...el.classList].map((c) => "." + c).join("");
  const clipped = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (style.overflowX !== "visible" && up.getBoundingClientRect().right <= width + 1) {
        return true;
      }
    }
    return false;
  };
  if (problems.scrollWidth > width) {
    for (const el of document.body.querySelectorAll("*")) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.right <= width + 1 || clipped(el)) continue;
      const out = (child) => child.getBoundingClientRect().right > width + 1;
      if ([...el.children].some(out)) continue;
      problems.wide.push(`${describe(el)} (${Math.round(box.left)}–${Math.round(box.right)} px)`);
      if (problems.wide.length >= 5) break;
    }
  }
  for (const label of document.querySelectorAll("svg text")) {
    if (!label.getClientRects().length || !label.textContent.trim()) continue;
    const matrix = label.getScreenCTM();
    if (!matrix) continue;
    const size = parseFloat(getComputedStyle(label).fontSize) * Math.hypot(matrix.a, matrix.b);
    if (size < minText - 0.05) {
      problems.small.push(`« ${label.textContent.trim().slice(0, 30)} » ${size.toFixed(1)} px`
        + ` dans ${describe(label.closest("svg"))}`);
      if (problems.small.length >= 5) break;
    }
  }
  // A button drawn with an icon and its text (fr-btn--icon-left/right) shows the text whole:
  // in a DSFR button group without fr-btns-group--icon-*, it shrinks to its icon alone.
  for (const button of document.querySelectorAll(".fr-btn--icon-left, .fr-btn--icon-right")) {
    if (!button.getClientRects().length || !button.textContent.trim()) continue;
    const cut = getComputedStyle(button).overflow !== "visible";
    if (cut && button.scrollWidth > button.clientWidth + 1) {
      problems.mute.push(`« ${button.textContent.trim().slice(0, 40)} »`);
    }
  }
  return problems;
}"""


def layout_problems(page):
    """What keeps the page in view from reading at its current width: the page scrolls
    sideways (with the elements that stick out), or a chart's text is drawn below 12 px."""
    found = page.evaluate(_LAYOUT_PROBLEMS_JS, MIN_CHART_TEXT_PX)
    problems = []
    if found["scrollWidth"] > found["width"]:
        problems.append(
            f"la page défile horizontalement ({found['scrollWidth']} px pour "
            f"{found['width']} px de large) : " + ", ".join(found["wide"] or ["?"])
        )
    if found["small"]:
        problems.append("texte de graphique sous 12 px : " + ", ".join(found["small"]))
    if found["mute"]:
        problems.append("bouton réduit à son icône : " + ", ".join(found["mute"]))
    return problems


def assert_reflows(page, take_screenshot=None):
    """The page in view reads at its width, at 320 and at 640 CSS px (RGAA 10.11, 10.4),
    then the viewport is put back. `take_screenshot(width)` is called at 320 px."""
    desktop = page.viewport_size
    failures = [f"{desktop['width']} px : {p}" for p in layout_problems(page)]
    try:
        for width in REFLOW_WIDTHS:
            # A resize re-lays the page out (media queries, DSFR scripts) without reloading
            # it: a page reached by a form sent keeps its state, and no request is repeated.
            page.set_viewport_size({"width": width, "height": desktop["height"]})
            failures += [f"{width} px : {p}" for p in layout_problems(page)]
            if take_screenshot and width == SCREENSHOT_WIDTH:
                take_screenshot(width)
    finally:
        page.set_viewport_size(desktop)
    if failures:
        pytest.fail(
            f"{page.url} ne se lit pas à toutes les largeurs :\n- " + "\n- ".join(failures),
            pytrace=False,
        )


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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test, so a fixture's teardown knows how the test went."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def tab_to(page, locator, limit=40):
    """Press Tab until `locator` has the focus, as a keyboard user would; fails if never."""
    for _press in range(limit):
        if locator.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    if not locator.evaluate("element => element === document.activeElement"):
        pytest.fail(f"{locator} n’est pas atteignable au clavier ({limit} Tab).", pytrace=False)


@dataclass
class Document:
    """One HTML document the page loaded in its main frame."""

    url: str
    status: int | None
    checked: bool = False


class Journey:
    """One person's way through the application in one browser tab, with axe-core run on
    every page they see.

    Every HTML document the tab loads in its main frame is recorded as it loads (the page's
    `domcontentloaded` event: new documents only, so neither in-page anchors nor downloads),
    with the status of the response that brought it (redirects skipped). `visit`, `follow`
    and `navigation()` move on and check the new page; `check()` checks the page in view.
    At the end of a passing test, every document the tab loaded must have been checked: a
    page reached by any other path and left unchecked fails the test. Playwright's handlers
    may not call back into the page, so they only record; axe runs in the test's own flow,
    once the page has loaded.

    A check fails on a serious or critical axe violation, on a page that scrolls sideways or
    draws chart text below 12 px at desktop width, at 640 px (200 % zoom) or at 320 px (a
    screenshot at 320 px goes to test-artifacts/screenshots/), on a status other than the one
    expected (200 unless told: a 500 or a stray 404 page fails even if it is accessible), and
    on any uncaught JavaScript error or Content Security Policy refusal seen so far.
    """

    def __init__(self, page, live_server, screenshot, password):
        self.page = page
        self.live_server = live_server
        self.password = password
        self._screenshot = screenshot
        self.documents: list[Document] = []
        self.problems: list[str] = []  # script errors, CSP refusals
        self._shots = 0
        self._html_status: int | None = None
        page.on("response", self._on_response)
        page.on("domcontentloaded", self._on_document)
        page.on("pageerror", self._on_page_error)
        page.on("console", self._on_console)

    # Event handlers: record only.
    def _on_response(self, response):
        request = response.request
        if not request.is_navigation_request() or request.frame != self.page.main_frame:
            return
        if 300 <= response.status < 400:
            return
        if response.headers.get("content-type", "").startswith("text/html"):
            self._html_status = response.status

    def _on_document(self, page):
        self.documents.append(Document(url=page.url, status=self._html_status))
        self._html_status = None

    def _on_page_error(self, error):
        self.problems.append(f"{self.page.url}: {error}")

    def _on_console(self, message):
        if "Content Security Policy" in message.text:
            self.problems.append(f"{self.page.url}: {message.text}")

    # Checks.
    def url(self, path):
        return f"{self.live_server.url}{path}"

    def check(self, status=200):
        """axe-core on the page in view (once loaded), its status, no script error or CSP
        refusal; marks the page checked."""
        self.page.wait_for_load_state("load")
        for _attempt in range(3):
            seen = len(self.documents)
            if not seen:
                pytest.fail("Aucune page chargée : rien à vérifier.", pytrace=False)
            assert_no_serious_axe_violations(self.page)
            if len(self.documents) == seen:  # no new page came in while axe ran
                break
            self.page.wait_for_load_state("load")
        else:
            pytest.fail(f"La page change sans cesse ({self.page.url}).", pytrace=False)
        document = self.documents[-1]
        assert_reflows(self.page, self._reflow_screenshot)
        document.checked = True
        assert document.status == status, (
            f"{document.url} a répondu {document.status}, {status} attendu"
        )
        assert not self.problems, "Erreurs dans la page :\n" + "\n".join(self.problems)
        return document

    def unchecked(self):
        return [d for d in self.documents if not d.checked]

    # Moving on.
    def visit(self, path, status=200):
        """Open `path` (an address typed in, or a bookmark) and check the page."""
        self.page.goto(self.url(path))
        return self.check(status=status)

    @contextmanager
    def navigation(self, status=200):
        """`with journey.navigation(): <a click, a key press>` waits for the new page and
        checks it."""
        with self.page.expect_navigation():
            yield
        self.check(status=status)

    def follow(self, locator, status=200):
        """Click a link or a submit button that loads a new page, and check that page."""
        with self.navigation(status=status):
            locator.click()

    def download(self, locator):
        """Click a download link; returns (suggested file name, content)."""
        with self.page.expect_download() as info:
            locator.click()
        download = info.value
        return download.suggested_filename, Path(download.path()).read_bytes()

    def login(self, user, landing):
        """Log in through the checked login page, as a person would; lands on `landing`."""
        self.visit(LOGIN_PATH)
        self.page.get_by_label(EMAIL_LABEL, exact=True).fill(user.email)
        self.page.get_by_label(PASSWORD_LABEL, exact=True).fill(self.password)
        self.follow(self.page.get_by_role("button", name=SUBMIT_LABEL, exact=True))
        expect(self.page).to_have_url(self.url(landing))

    def logout(self):
        """The header's button; back on the login page, and the home page now asks to log in."""
        self.follow(self.page.get_by_role("button", name=LOGOUT_LABEL).first)
        expect(self.page).to_have_url(self.url(LOGIN_PATH))
        expect(self.page.get_by_role("button", name=LOGOUT_LABEL)).to_have_count(0)
        self.visit("/")
        expect(self.page).to_have_url(self.url(f"{LOGIN_PATH}?next=/"))

    def skip_to_content(self):
        """On a freshly loaded page: the first Tab reaches the skip link to the content,
        Enter follows it, and the next Tab lands inside the main content."""
        page = self.page
        page.keyboard.press("Tab")
        skip = page.get_by_role("navigation", name="Accès rapide").get_by_role(
            "link", name=SKIP_TO_CONTENT_LABEL, exact=True
        )
        expect(skip).to_be_focused()
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile("#content$"))
        page.keyboard.press("Tab")
        assert page.evaluate(
            "document.getElementById('content').contains(document.activeElement)"
        ), "après le lien d’évitement, Tab doit mener dans le contenu principal"

    def screenshot(self, name):
        return self._screenshot(self.page, name)

    def _reflow_screenshot(self, width):
        """test-artifacts/screenshots/<test>-<n>-<path>-<width>px.png: every page checked,
        as seen on a narrow phone, numbered in the order of the journey."""
        path = re.sub(r"[^A-Za-z0-9]+", "-", self.page.url.removeprefix(self.live_server.url))
        self._shots += 1
        self.screenshot(f"{self._shots:02d}-{path.strip('-')[:60] or 'accueil'}-{width}px")


@pytest.fixture
def journey(request, page, live_server, screenshot, password):
    """A Journey in the test's page; the test fails if a page it loaded was never checked."""
    journey = Journey(page, live_server, screenshot, password)
    yield journey
    call = getattr(request.node, "report_call", None)
    if call is None or not call.passed:
        # The test's own failure says more; the page it stopped on and the way there help.
        print("Pages chargées :", *(f"{d.url} ({d.status})" for d in journey.documents), sep="\n")
        if not page.is_closed():
            journey.screenshot("echec")
        return
    unchecked = journey.unchecked()
    if unchecked:
        pytest.fail(
            "Pages chargées sans vérification axe : "
            + ", ".join(f"{d.url} ({d.status})" for d in unchecked),
            pytrace=False,
        )


# --- Logging in within a journey -----------------------------------------------------------


def submit_login(journey, user):
    """On the login page in view: fill the form in and send it; the next page is checked."""
    page = journey.page
    page.get_by_label(EMAIL_LABEL, exact=True).fill(user.email)
    page.get_by_label(PASSWORD_LABEL, exact=True).fill(journey.password)
    journey.follow(page.get_by_role("button", name=SUBMIT_LABEL, exact=True))


def login_to(journey, user, path):
    """Log in through the checked login form opened with ?next=`path`, which the form
    follows: one page less than the landing page then `path` (the other browser tests use
    it to stay quick)."""
    journey.visit(f"{LOGIN_PATH}?{urlencode({'next': path})}")
    submit_login(journey, user)
    expect(journey.page).to_have_url(journey.url(path))


def switch_user(journey, user, path):
    """Another person in the same tab, then `path` opened and checked. The tab takes their
    session cookie: the test's first login went through the form (checked), and
    test_login_journeys.py tests the form itself; going through it again would check the
    same page once more."""
    client = Client()
    client.force_login(user)
    context = journey.page.context
    context.clear_cookies()
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": journey.live_server.url}]
    )
    journey.visit(path)


# --- Paginated lists ---------------------------------------------------------------------


def visit_first_page(journey, settings, path, page_size=2):
    """Open the first page of a paginated list, `page_size` rows a page (the journeys' data
    would otherwise fit on one page), and check it: the links to the first and previous
    pages lead nowhere, marked as the DSFR does (no `href`, `aria-disabled`, `role="link"`:
    axe-core reads their greyed text as a contrast failure otherwise); the next page has a
    link. The page size is put back afterwards."""
    before = settings.PAGINATION_PAGE_SIZE
    settings.PAGINATION_PAGE_SIZE = page_size
    try:
        journey.visit(path)
    finally:
        settings.PAGINATION_PAGE_SIZE = before
    nav = journey.page.get_by_role("navigation", name="Pagination")
    for name in ("Première page", "Page précédente"):
        link = nav.get_by_role("link", name=name)
        expect(link).to_have_attribute("aria-disabled", "true")
        expect(link).not_to_have_attribute("href", re.compile(".*"))
    expect(nav.get_by_role("link", name="Page suivante")).to_have_attribute(
        "href", re.compile(r"page=2")
    )
    expect(nav.locator("[aria-current=page]")).to_have_text("1")
