"""What the legal pages and the footer read.

The footer of every page names the statement's state (« Accessibilité : partiellement
conforme »). Read from the database on each page it would cost every page a query: the state
is kept in the cache instead, dropped whenever the statement is saved or deleted (its
signal, legal/models.py) and kept at most STATE_CACHE_SECONDS, so that another process's
cache (a local-memory cache per gunicorn worker) follows within that time."""

from django.core.cache import cache

from legal.models import AccessibilityStatement, ConformityState

STATE_CACHE_KEY = "legal:accessibility-state"
STATE_CACHE_SECONDS = 60


def remember_state(state: str) -> None:
    cache.set(STATE_CACHE_KEY, str(state), STATE_CACHE_SECONDS)


def forget_state() -> None:
    cache.delete(STATE_CACHE_KEY)


def current_state() -> ConformityState:
    """The recorded state (the default one while nothing is recorded), from the cache."""
    state = cache.get(STATE_CACHE_KEY)
    if state not in ConformityState.values:
        state = (
            AccessibilityStatement.objects.filter(pk=1).values_list("state", flat=True).first()
            or AccessibilityStatement._meta.get_field("state").default
        )
        remember_state(state)
    return ConformityState(state)
