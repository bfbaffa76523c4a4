"""Whatever is typed in a query string, no page answers a server error.

Every page of the URL matrix (tests/test_url_matrix.py, with tests/matrix/*.py) is fetched
as the first role it shows itself to. The page's own GET parameters are found by asking it
once with a query dict that records what the view reads; then hypothesis throws arbitrary
strings (any code point, lone surrogates included, sent as the bytes a browser would send)
at them, after the values that once answered 500 (tests/test_bad_input.py names those).
Derandomized and bounded, so that it is the same run in CI every time.
"""

from urllib.parse import quote_from_bytes

import pytest
from django.core.handlers.wsgi import WSGIRequest
from django.http import QueryDict
from django.urls import reverse
from django.utils.functional import cached_property
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_url_matrix import APP_MATRIX

# The first of these roles that the page answers 200 is the one it is fuzzed as.
ROLE_ORDER = ["owner", "ambassador", "manager", "agent", "staff", "outsider", "anonymous"]
PAGES = sorted(
    name
    for name, (_kwargs_for, expected) in APP_MATRIX.items()
    if any(expected[role] == 200 for role in ROLE_ORDER)
)
PROBE = "fuzz-probe"
# Parameters a page reads only in a state the cast does not give it.
CONDITIONAL = {"programmes:import_detail": {"actualiser"}}  # while the import runs
EXAMPLES_PER_PAGE = 20
# Values that once answered 500 or that parsers are known to trip on; NUL, which answers
# 400 before any view, is sent on its own.
KNOWN_BAD = [
    "²",  # "²".isdigit() is True, int("²") fails
    "٣",  # an Arabic-Indic digit: int() takes it, the database would not see it as typed
    "9999-12-31",
    "0001-01-01",
    "99999999999999999999999999",
    "-1",
    "1e400",
    "NaN",
    "\ud800",  # a lone surrogate: sent as its WTF-8 bytes, read back as U+FFFD
    "%",
    "x" * 5000,
]
VALUES = st.one_of(
    st.sampled_from(KNOWN_BAD),
    st.text(st.characters(exclude_categories=()), max_size=40),
    st.integers().map(str),
    st.dates().map(str),
)
FUZZ = settings(
    max_examples=EXAMPLES_PER_PAGE,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
FEW = settings(FUZZ, max_examples=3)


class _RecordingQueryDict(QueryDict):
    """A query dict that remembers which keys the view asked for."""

    def __init__(self, query_string=None, *, read: set | None = None, **kwargs):
        self.read = set()  # filling the dict asks too: not the view
        super().__init__(query_string, **kwargs)
        self.read = set() if read is None else read  # copies (view-made) record nothing

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def getlist(self, key, default=None):
        self.read.add(key)
        return super().getlist(key, default)

    def __contains__(self, key):
        self.read.add(key)
        return super().__contains__(key)


def _encoded(text: str) -> str:
    # Lone surrogates have no UTF-8: their WTF-8 bytes are what a broken client sends.
    return quote_from_bytes(text.encode("utf-8", "surrogatepass"), safe="")


def _url(path: str, params: dict) -> str:
    query = "&".join(f"{_encoded(key)}={_encoded(value)}" for key, value in params.items())
    return f"{path}?{query}"


def _params_read(client, name, path, monkeypatch) -> set:
    """The GET parameters the page reads (with a parameter present, so that forms bound
    only to a non-empty query are bound)."""
    read = set()

    def recording_get(request):
        return _RecordingQueryDict(request.environ.get("QUERY_STRING", ""), read=read)

    recorder = cached_property(recording_get)
    recorder.__set_name__(WSGIRequest, "GET")
    with monkeypatch.context() as patch:
        patch.setattr(WSGIRequest, "GET", recorder)
        client.get(_url(path, {PROBE: "1"}))
    return (read | CONDITIONAL.get(name, set())) - {PROBE}


def _fuzzed_as(client, cast, monkeypatch, name):
    """The path, and the role (logged in) and parameters of whoever the page reads the most
    parameters for: an ambassador sees a population's search, its owner may not."""
    kwargs_for, expected = APP_MATRIX[name]
    path = reverse(name, kwargs=kwargs_for(cast))
    best_role, best = None, set()
    for role in (role for role in ROLE_ORDER if expected[role] == 200):
        _log_in(client, cast, role)
        params = _params_read(client, name, path, monkeypatch)
        if best_role is None or len(params) > len(best):
            best_role, best = role, params
    _log_in(client, cast, best_role)
    return path, sorted(best)


def _log_in(client, cast, role):
    client.logout()
    if role != "anonymous":
        client.force_login(getattr(cast, role))


def _no_server_error(client, url):
    response = client.get(url)
    assert response.status_code < 500, (url[:300], response.status_code)


@pytest.mark.parametrize("name", PAGES)
def test_no_query_string_makes_a_page_fail(client, cast, monkeypatch, name):
    path, params = _fuzzed_as(client, cast, monkeypatch, name)
    # A page that reads nothing still gets a parameter it ignores, a few times.
    fuzz_settings = FUZZ if params else FEW
    params = params or ["page"]

    assert client.get(_url(path, dict.fromkeys(params, "a\x00b"))).status_code == 400
    for value in KNOWN_BAD if fuzz_settings is FUZZ else KNOWN_BAD[:3]:
        _no_server_error(client, _url(path, dict.fromkeys(params, value)))

    @fuzz_settings
    @given(st.dictionaries(st.sampled_from(params), VALUES, min_size=1))
    def fuzz(query):
        _no_server_error(client, _url(path, query))

    fuzz()
