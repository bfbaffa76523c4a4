"""The journey fixture's reflow check (RGAA 10.11 and 10.4) catches what it is meant to."""

import pytest

from tests.browser.conftest import assert_reflows

NARROW = """<!doctype html><html lang="fr"><head><meta name="viewport"
content="width=device-width, initial-scale=1"></head><body><p>Un texte qui se replie.</p>
{}</body></html>"""


def reflow_failure(page, body):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.set_content(NARROW.format(body))
    with pytest.raises(pytest.fail.Exception) as failure:
        assert_reflows(page)
    assert page.viewport_size == {"width": 1280, "height": 720}, "la taille est rétablie"
    return str(failure.value)


def test_a_page_that_reflows_passes_and_is_shot_at_320_px(page):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.set_content(
        NARROW.format(
            '<div style="overflow-x:auto"><table><tr>'
            + "<td>colonne&nbsp;large</td>" * 40
            + "</tr></table></div>"
        )
    )
    widths = []
    assert_reflows(page, widths.append)
    assert widths == [320]
    assert page.viewport_size == {"width": 1280, "height": 720}


def test_a_page_wider_than_320_px_fails(page):
    message = reflow_failure(page, '<div id="large" style="width:500px">Large</div>')
    assert "320 px : la page défile horizontalement" in message
    assert "div#large" in message
    assert "640 px" not in message


def test_a_page_wider_than_640_px_fails_at_200_percent_zoom(page):
    message = reflow_failure(page, '<table id="t"><tr>' + "<td>cellule</td>" * 30 + "</tr></table>")
    assert "640 px : la page défile horizontalement" in message


def test_chart_text_below_12_px_fails(page):
    chart = (
        '<svg viewBox="0 0 700 100" width="700" style="max-width:100%;height:auto" '
        'font-size="14"><text x="0" y="20">Taux de certification</text></svg>'
    )
    message = reflow_failure(page, chart)
    assert "texte de graphique sous 12 px" in message
    assert "Taux de certification" in message
    assert "1280 px" not in message


def test_a_button_shrunk_to_its_icon_fails(page):
    button = (
        '<a class="fr-btn--icon-left" style="display:inline-block;overflow:hidden;'
        'white-space:nowrap;width:40px" href="#">Passer en revue la population</a>'
    )
    message = reflow_failure(page, button)
    assert "bouton réduit à son icône : « Passer en revue la population »" in message
