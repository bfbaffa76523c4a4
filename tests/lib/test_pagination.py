"""The shared pagination footer: the DSFR's markup, disabled links included."""

import re

from django.template.loader import render_to_string
from django.test import RequestFactory

from lib.pagination import paginate


def footer(query, rows=range(30)):
    request = RequestFactory().get("/agents/", query)
    page_obj = paginate(request, list(rows))
    return render_to_string(
        "components/pagination.html", {"page_obj": page_obj}, request=request
    ), page_obj


def link(html, name):
    """The <a …>name</a> of the footer whose text is `name`."""
    found = re.search(rf"<a ([^>]*)>{re.escape(name)}</a>", html)
    assert found, f"pas de lien « {name} »"
    return found.group(1)


def test_the_page_size_is_a_setting_read_at_each_call(settings):
    settings.PAGINATION_PAGE_SIZE = 10
    _html, page_obj = footer({})
    assert page_obj.paginator.num_pages == 3
    settings.PAGINATION_PAGE_SIZE = 50
    html, page_obj = footer({})
    assert page_obj.paginator.num_pages == 1
    assert html.strip() == ""  # one page: no footer


def test_on_the_first_page_the_links_backwards_are_disabled_as_the_dsfr_marks_them(settings):
    settings.PAGINATION_PAGE_SIZE = 10
    html, _page = footer({"q": "dupont"})
    for name in ("Première page", "Page précédente"):
        attributes = link(html, name)
        assert 'aria-disabled="true"' in attributes
        assert 'role="link"' in attributes
        assert "href" not in attributes
    assert 'href="?q=dupont&amp;page=2"' in link(html, "Page suivante")
    assert 'href="?q=dupont&amp;page=3"' in link(html, "Dernière page")
    assert 'aria-current="page"' in link(html, "1")


def test_on_the_last_page_the_links_forwards_are_disabled(settings):
    settings.PAGINATION_PAGE_SIZE = 10
    html, _page = footer({"page": "3"})
    for name in ("Page suivante", "Dernière page"):
        attributes = link(html, name)
        assert 'aria-disabled="true"' in attributes and "href" not in attributes
    assert 'href="?page=2"' in link(html, "Page précédente")
    assert 'href="?page=1"' in link(html, "Première page")


def test_the_ellipsis_is_text_not_a_link_without_address(settings):
    settings.PAGINATION_PAGE_SIZE = 1
    html, _page = footer({})
    assert '<span class="fr-pagination__link fr-displayed-lg">…</span>' in html
    assert '<a class="fr-pagination__link fr-displayed-lg">' not in html
