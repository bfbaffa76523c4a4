"""How an export row is known from one import to the next: pure functions, no ORM.

A participant is known by their external id when the campaign asks for one, else by their
normalised name; a participation of that participant by its start (assessment) or its
sending (profiles collection, "open" until sent).
"""

import functools
import hashlib
import re
from datetime import UTC, datetime
from decimal import Decimal

from campaigns.referential import normalize_name

OPEN_ROW_KEY = "open"
SHARED_PREFIX = "shared:"
RATE_STEP = Decimal("0.001")  # the 3 decimals the models keep
PARTICIPANT_KEY_MAX = 300
ROW_KEY_MAX = 40

_FOLDED = re.compile(r"[\s\-‐‑‒–—_.]+")


@functools.lru_cache(maxsize=200_000)
def fold_name(name: str) -> str:
    """A name folded for comparison: accents, case, apostrophes, hyphens and spaces."""
    if name.isascii():  # most names: no accent to strip, no curly apostrophe
        return _FOLDED.sub(" ", name.lower()).strip()
    return _FOLDED.sub(" ", normalize_name(name)).strip()


def fold_external_id(value: str | None) -> str:
    """An external id as a key: surrounding and repeated spaces dropped, case folded."""
    return " ".join((value or "").split()).casefold()


def person_key(last_name: str, first_name: str) -> str:
    return f"{fold_name(last_name or '')}|{fold_name(first_name or '')}"


def participant_key(*, external_id: str | None, last_name: str, first_name: str) -> str:
    """ "ext:" + the normalised external id when there is one, else "name:" + last|first."""
    folded = fold_external_id(external_id)
    key = f"ext:{folded}" if folded else f"name:{person_key(last_name, first_name)}"
    if len(key) > PARTICIPANT_KEY_MAX:  # never in practice; a stable short form if it is
        key = key[:4] + "sha1:" + hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()
    return key


def utc(value: datetime | None) -> datetime | None:
    """An aware datetime in UTC. Compared across time zones, a local time in the hour that
    a change to or from summer time skips or repeats is never equal to anything (PEP 495):
    in UTC it is."""
    return None if value is None else value.astimezone(UTC)


def _instant(value: datetime) -> str:
    return utc(value).isoformat()


def row_key(*, profiles: bool, shared: bool, started_at, shared_at) -> str:
    """Which participation of the participant a row is: assessments by their start (an
    instant, whatever the export's time zone); profiles collections by their sending, or
    "open" while not sent."""
    if profiles:
        if shared and shared_at is not None:
            return SHARED_PREFIX + _instant(shared_at)
        return OPEN_ROW_KEY
    if started_at is not None:
        return _instant(started_at)
    if shared and shared_at is not None:
        return SHARED_PREFIX + _instant(shared_at)
    return OPEN_ROW_KEY


def quantize_rate(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    return value.quantize(RATE_STEP)


class ResultEncoder:
    """Competence values as text, each distinct value encoded once (the parser hands out
    the same object for the same cells): the tail of a result's COPY line, and the
    fingerprint of a row's results, written again only when it changes."""

    MEMO_LIMIT = 100_000

    def __init__(self, competence_ids: dict[str, int]):
        self.competence_ids = competence_ids
        self._memo: dict[int, tuple[object, str]] = {}

    def tail(self, value) -> str:
        """`competence_id, level, pix, mastery_rate, skills_total, skills_validated` of one
        result, in COPY's text format, with its line end."""
        entry = self._memo.get(id(value))
        if entry is not None and entry[0] is value:
            return entry[1]
        if len(self._memo) >= self.MEMO_LIMIT:
            self._memo.clear()
        rate = quantize_rate(value.mastery_rate)
        text = "\t".join(
            "\\N" if part is None else str(part)
            for part in (
                self.competence_ids[value.code],
                value.level,
                value.pix,
                rate,
                value.skills_total,
                value.skills_validated,
            )
        )
        text += "\n"
        # The value is kept with its text: its id cannot be reused while it is here.
        self._memo[id(value)] = (value, text)
        return text

    def digest(self, competences) -> str:
        """A fingerprint of a row's competence values, "" when it has none."""
        if not competences:
            return ""
        tail = self.tail
        text = "".join([tail(value) for value in competences])
        return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
