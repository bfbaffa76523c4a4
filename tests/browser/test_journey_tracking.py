"""The `journey` fixture's guard itself: every page the tab loads is recorded, in-page
anchors and downloads are not pages, a page left unchecked is reported, and a check fails on
an unexpected status or a JavaScript error."""

import pytest

from tests.browser.conftest import LOGIN_PATH

RESET_PATH = "/comptes/mot-de-passe/oubli/"


def test_every_page_loaded_is_recorded_and_reported_until_checked(journey, db):
    journey.visit(LOGIN_PATH)
    journey.skip_to_content()  # an in-page anchor: no new page
    assert len(journey.documents) == 1

    journey.page.goto(journey.url(RESET_PATH))  # not through the journey: left unchecked
    assert [d.url for d in journey.unchecked()] == [journey.url(RESET_PATH)]

    journey.check()
    assert journey.unchecked() == []
    assert [d.status for d in journey.documents] == [200, 200]


def test_a_check_fails_on_an_unexpected_status_or_a_javascript_error(journey, db):
    with pytest.raises(AssertionError, match="a répondu 404, 200 attendu"):
        journey.visit("/nulle-part/")
    journey.visit("/nulle-part/", status=404)

    journey.visit(LOGIN_PATH)
    journey.page.evaluate("setTimeout(() => { throw new Error('boum'); })")
    journey.page.wait_for_timeout(100)
    with pytest.raises(AssertionError, match="boum"):
        journey.check()
    journey.problems.clear()
