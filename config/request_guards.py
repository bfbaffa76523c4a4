"""Guards every request and response passes through, whatever the view.

- A query string holding a NUL character answers the French 400 page: no page has a use for
  one, PostgreSQL refuses it in any string it is given (a 500 in every search), and turning
  it away here spares each view from checking its parameters for it.
- A response to a signed-in person is not to be kept by the browser or a proxy
  (`Cache-Control: no-store`): nearly every page and file shows personal data, and a shared
  computer's back button or disk cache must not show it to the next person. A response that
  already says how to cache itself keeps its header; static files never come this far (they
  are served by whitenoise, earlier in the chain).
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control

NUL = "\x00"


def _has_nul(query) -> bool:
    return any(NUL in key or NUL in value for key, values in query.lists() for value in values)


def bad_request_response(request: HttpRequest) -> HttpResponse:
    return render(request, "400.html", status=400)


class RequestGuardsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request.GET):
            response = bad_request_response(request)
        else:
            response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True)
        return response
