from django.conf import settings
from django.core.paginator import Paginator


def paginate(request, queryset, per_page=None, *, count=None):
    """A page of `queryset` for ?page=N; a bad or out-of-range number gives the nearest page.

    `per_page` defaults to settings.PAGINATION_PAGE_SIZE, read at each call (tests lower it
    to reach a second page with a few rows). `count`, when the caller already knows how many
    rows `queryset` holds (from counts it shows anyway), spares the paginator its COUNT."""
    paginator = Paginator(queryset, per_page or settings.PAGINATION_PAGE_SIZE)
    if count is not None:
        paginator.count = count  # a cached_property: the instance's value wins
    page = paginator.get_page(request.GET.get("page"))
    page.pages_list = list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page


def page_number(value) -> int:
    """The page number ?page= asks for, as far as a query plan needs it (how deep a walk
    along an index goes): "last" or garbage count as the first page (the paginator then
    answers its nearest page)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 1
