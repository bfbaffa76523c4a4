"""A database that cannot be reached (restarting, failing over, out of connections) answers
a clear French page, 503 with Retry-After, instead of the generic error page.

Where the failure happens decides how it arrives here:

- in a view or its template: `process_exception`;
- in another middleware (LoginRequiredMiddleware loads the session and the user before the
  view; SessionMiddleware saves a changed session on the way out): Django has already turned
  the error into a 500 response by the time it reaches this middleware, so a
  `got_request_exception` receiver marks the request and `__call__` swaps that response for
  the 503 page.

The page is rendered without context processors: they read the session, the user and their
roles, that is the database. Nothing is retried here: every write is one transaction (the
services), so a failure leaves nothing half-written, and the page asks the person to send
the form again.
"""

import logging
import sys

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_MARK = "_database_unavailable"
_ANSWERED = "_database_unavailable_page"


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    """The 503 page, built without a query: a plain context (the request is there for the
    Content-Security-Policy nonce of the page's scripts, nothing else)."""
    content = loader.get_template("503.html").render(
        {"request": request, "entry_lost": request.method in WRITE_METHODS}
    )
    response = HttpResponse(content, status=503)
    setattr(request, _ANSWERED, True)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


class DatabaseUnavailableMiddleware:
    """Turns a database that cannot be reached into the 503 page. Placed before the
    session middleware, so that what fails in the session and authentication middleware
    comes through it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, _MARK, None) is not None:
            _log(request, getattr(request, _MARK))
            return database_unavailable_response(request)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            _log(request, exception)
            return database_unavailable_response(request)
        return None


def _mark_request(sender, request=None, **kwargs):
    """Django is about to answer 500 for an error raised in a middleware: remember it if
    the database was the cause (this runs inside the `except` that caught it)."""
    error = sys.exc_info()[1]
    if request is not None and isinstance(error, DATABASE_ERRORS):
        setattr(request, _MARK, error)


got_request_exception.connect(_mark_request, dispatch_uid="config.db_unavailable")


class WithoutDatabaseOutages(logging.Filter):
    """For the `django.request` logger: drops its records of a request that failed because
    the database could not be reached (« Internal Server Error » with its traceback, then
    « Service Unavailable » for the 503 page). `_log` wrote one line for that request; an
    outage would otherwise fill the logs with a traceback per request."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, DATABASE_ERRORS):
            return False
        return not getattr(getattr(record, "request", None), _ANSWERED, False)


def _log(request, error) -> None:
    logger.warning(
        "Database unavailable, 503 for %s %s: %s: %s",
        request.method,
        request.path,
        type(error).__name__,
        str(error).strip().splitlines()[0] if str(error).strip() else "",
    )
