"""SQLite (the embedded demo's database) with PostgreSQL's case folding in LIKE.

SQLite's LIKE folds case for ASCII letters only: on the demo, searching « élise » did not find
« Élise » (Django runs `icontains`, `istartswith` and `iexact` as LIKE there). An
application-defined like() replaces the built-in one for the connection (SQLite calls
like(pattern, value) for `value LIKE pattern`, like(pattern, value, escape) with ESCAPE), and
compares both casefolded, as PostgreSQL's UPPER()-based `icontains` does. Only LIKE changes:
lower() and upper() stay SQLite's, which the name indexes (agent_name_idx) were built with.
"""

import functools
import re

from django.db.backends.signals import connection_created


@functools.lru_cache(maxsize=256)
def _pattern(pattern: str, escape: str | None) -> re.Pattern:
    """A LIKE pattern as a regular expression: % any run of characters, _ any one, the
    escape character making the next one literal."""
    parts, characters = [], iter(pattern.casefold())
    for character in characters:
        if escape is not None and character == escape.casefold():
            parts.append(re.escape(next(characters, "")))
        elif character == "%":
            parts.append(".*")
        elif character == "_":
            parts.append(".")
        else:
            parts.append(re.escape(character))
    return re.compile("".join(parts), re.DOTALL)


def like(pattern, value, escape=None):
    """`value LIKE pattern [ESCAPE escape]`, case folded as PostgreSQL does: NULL if either
    is NULL, as SQLite's own."""
    if pattern is None or value is None:
        return None
    if not isinstance(value, str):
        value = str(value)
    return int(_pattern(str(pattern), escape).fullmatch(value.casefold()) is not None)


def _register(sender, connection, **kwargs):
    if connection.vendor != "sqlite":
        return
    for arguments in (2, 3):
        connection.connection.create_function("like", arguments, like, deterministic=True)


def register_unicode_like():
    """Gives every SQLite connection opened from now on the case-folding LIKE."""
    connection_created.connect(_register, dispatch_uid="lib.sqlite.unicode_like")
