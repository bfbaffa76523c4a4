"""Guards every request passes through, whatever the view.

A query string holding a NUL character answers the French 400 page: no page has a use for
one, PostgreSQL refuses it in any string it is given (a 500 in every search), and turning it
away here spares each view from checking its parameters for it.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

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
            return bad_request_response(request)
        return self.get_response(request)
