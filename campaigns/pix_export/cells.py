"""Cell converters: small functions that turn one cell of a Pix export into a value.

They run a few million times on a large export, so the common spellings are answered from
dictionaries and the slower checks only run for the rest. Each raises `CellError` with the
French message that ends up in `ExportError.message` (without the line and column).
"""

from datetime import datetime, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

# Pix guards a text that a spreadsheet would read as a formula with a leading quote.
_GUARDED = frozenset("=+-@")
_NA = frozenset({"NA", "na", "Na", "nA", ""})
_BOOLEANS = {"oui": True, "non": False}
# int() refuses more than 4,300 digits with an unexpected error; no Pix value has 19.
_MAX_DIGITS = 18
_CACHE_LIMIT = 10_000

_INTEGERS = {str(number): number for number in range(1025)}
_RATES: dict[str, Decimal] = {}


class CellError(ValueError):
    """A cell that cannot be read; the message is the French sentence shown to the user."""


def quoted(cell: str) -> str:
    """The cell as a message quotes it: « value », shortened when it is very long."""
    cell = cell.strip()
    if len(cell) > 60:
        cell = cell[:57] + "…"
    return f"« {cell} »"


def text(cell: str) -> str:
    """A text cell, without surrounding spaces nor the `'` guard before = + - @."""
    cell = cell.strip()
    if cell[:1] == "'" and cell[1:2] in _GUARDED:
        return cell[1:]
    return cell


def optional_text(cell: str) -> str | None:
    cell = text(cell)
    return cell if cell and cell != "NA" else None


def is_na(cell: str) -> bool:
    """`NA` is what Pix writes where a participant has not shared; spreadsheets may leave
    the cell empty instead."""
    return cell in _NA or cell.strip() in _NA


def integer(cell: str, low: int, high: int | None, what: str) -> int:
    """A whole number between `low` and `high` (no upper bound if None). A spreadsheet may
    write `7,0` for 7: accepted."""
    value = _INTEGERS.get(cell)
    if value is None:
        value = _parse_integer(cell)
    if value < low or (high is not None and value > high):
        if high is None:
            raise CellError(f"{quoted(cell)} n'est pas {what} supérieur ou égal à {low}.")
        raise CellError(f"{quoted(cell)} n'est pas {what} entre {low} et {high}.")
    return value


def _parse_integer(cell: str) -> int:
    number = cell.strip()
    negative = number[:1] == "-"
    if negative:
        number = number[1:]
    head, separator, tail = number.replace(",", ".").partition(".")
    if (
        not head
        or len(head) > _MAX_DIGITS
        or not (head.isascii() and head.isdigit())
        or (separator and not (tail and tail.isascii() and tail.strip("0") == ""))
    ):
        raise CellError(f"{quoted(cell)} n'est pas un nombre entier.")
    return -int(head) if negative else int(head)


def rate(cell: str) -> Decimal:
    """A fraction between 0 and 1 written with a decimal comma (`0,67`); a dot is accepted."""
    value = _RATES.get(cell)
    if value is None:
        value = _parse_decimal(cell)
        if value is None or not 0 <= value <= 1:
            raise CellError(f"{quoted(cell)} n'est pas un taux entre 0 et 1.")
        if len(_RATES) >= _CACHE_LIMIT:
            _RATES.clear()
        _RATES[cell] = value
    return value


def _parse_decimal(cell: str) -> Decimal | None:
    number = cell.strip()
    sign = ""
    if number[:1] == "-":
        sign, number = "-", number[1:]
    head, separator, tail = number.replace(",", ".").partition(".")
    if len(head) > _MAX_DIGITS or len(tail) > _MAX_DIGITS:
        return None
    if head and not (head.isascii() and head.isdigit()):
        return None
    if separator:
        if not (tail and tail.isascii() and tail.isdigit()):
            return None
        return Decimal(f"{sign}{head or '0'}.{tail}")
    if not head:
        return None
    return Decimal(f"{sign}{head}")


def yes_no(cell: str) -> bool:
    """`Oui` / `Non`, in any case."""
    value = _BOOLEANS.get(cell.strip().casefold())
    if value is None:
        raise CellError(f"{quoted(cell)} n'est ni « Oui » ni « Non ».")
    return value


def date(cell: str, zone: tzinfo = PARIS) -> datetime:
    """A date as Pix writes it, `DD/MM/YYYY HH:mm` (newest exports) or `YYYY-MM-DD` (older
    ones), or as a spreadsheet saves it again (`DD/MM/YYYY`, `DD/MM/YYYY HH:mm:ss`), read
    in the export's time zone."""
    day_part, _, time_part = cell.strip().partition(" ")
    try:
        if "/" in day_part:
            day, month, year = day_part.split("/")
        else:
            year, month, day = day_part.split("-")
        clock = time_part.strip().split(":") if time_part.strip() else []
        parts = (year, month, day, *clock)
        if (
            len(year) != 4
            or len(clock) not in (0, 2, 3)
            or not all(part.isascii() and part.isdigit() and len(part) <= 4 for part in parts)
        ):
            raise ValueError
        return datetime(*(int(part) for part in parts), tzinfo=zone)
    except ValueError:
        raise CellError(
            f"{quoted(cell)} n'est pas une date au format JJ/MM/AAAA HH:MM ou AAAA-MM-JJ."
        ) from None
