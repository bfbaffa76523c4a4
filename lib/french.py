"""How the app writes dates, numbers and file sizes: French as the French write it.

One named format per use, set here and nowhere else. Templates use the filters of
`lib.templatetags.french` (loaded for every template: settings TEMPLATES « builtins »), Python
code calls the functions below; neither writes a `date:"…"` or `strftime` pattern of its own
(tests/test_french.py fails on one).

- `long_date` « 3 juillet 2026 »: sentences, detail pages and lists.
- `short_date` « 3 juil. 2026 »: narrow table columns (one column per date). Django's `M`
  (« Jui » for both June and July) and `N` (« jan. », « fév. ») are not French abbreviations.
- `date_time` « 3 juillet 2026 à 14:05 »: when something happened (imports, versions, logs).
- `day_month` « 3 juillet », `month_year` « juillet 2026 », `weekday_date`
  « vendredi 3 juillet 2026 », `month_numeric` « 07/2026 » (chart axes).
- `file_date` « 03/07/2026 » and `file_date_time` « 03/07/2026 14:05 »: values written in CSV
  files and console output, which a spreadsheet or a script reads back.
- `number` « 30 000 »: counts that can reach thousands, grouped with a no-break space (the
  separator of Django's French locale, the one every figure of the app uses).
- `filesize` « 6,5 Mo »: Django's `filesizeformat` writes « Mio » in French; multiples of
  1 024, as the file managers French users know show them.
"""

import functools
from datetime import datetime
from decimal import Decimal

from django.utils import formats, timezone
from django.utils.dates import MONTHS

LONG_DATE = "j F Y"
DATE_TIME = "j F Y à H:i"
DAY_MONTH = "j F"
MONTH_YEAR = "F Y"
WEEKDAY_DATE = "l j F Y"
MONTH_NUMERIC = "m/Y"
FILE_DATE = "%d/%m/%Y"
FILE_DATE_TIME = "%d/%m/%Y %H:%M"

# The abbreviations of the Imprimerie nationale's « Lexique des règles typographiques ».
MONTH_ABBREVIATIONS = (
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
)
FILE_SIZE_UNITS = ("Ko", "Mo", "Go", "To")


def _local(value):
    """A datetime in the app's time zone (an aware one converted); a date as it is."""
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def _format(value, pattern: str) -> str:
    if value in (None, ""):
        return ""
    return formats.date_format(_local(value), pattern)


# The four formats pages write most (« Mon parcours » writes a date per check-in and per
# resource) spelled out as Django's DateFormat writes them (F: the month's translated name,
# Y: four digits, H and i: two): the same text for a fifth of the CPU.


def _spelled_out(write):
    """A named format written by `write(value)` in the app's time zone; "" for no value."""

    @functools.wraps(write)
    def format_(value) -> str:
        if value in (None, ""):
            return ""
        return write(_local(value))

    return format_


@_spelled_out
def long_date(value) -> str:
    return f"{value.day} {MONTHS[value.month]} {value.year:04d}"


@_spelled_out
def date_time(value) -> str:
    day = f"{value.day} {MONTHS[value.month]} {value.year:04d}"
    return f"{day} à {value.hour:02d}:{value.minute:02d}"


@_spelled_out
def day_month(value) -> str:
    return f"{value.day} {MONTHS[value.month]}"


@_spelled_out
def month_year(value) -> str:
    return f"{MONTHS[value.month]} {value.year:04d}"


def weekday_date(value) -> str:
    return _format(value, WEEKDAY_DATE)


def month_numeric(value) -> str:
    return _format(value, MONTH_NUMERIC)


def short_date(value) -> str:
    if value in (None, ""):
        return ""
    value = _local(value)
    return f"{value.day} {MONTH_ABBREVIATIONS[value.month - 1]} {value.year}"


def file_date(value) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, datetime):
        return _local(value).strftime(FILE_DATE)
    return value.strftime(FILE_DATE)


def file_date_time(value) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return _local(value).strftime(FILE_DATE_TIME)


def number(value, decimals: int | None = None) -> str:
    """« 30 000 », « 12,5 »: a count or measure grouped by thousands. Anything else (« moins
    de 5 » for a group too small to show) as it is."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return str(value)
    return formats.number_format(value, decimals, use_l10n=True, force_grouping=True)


def filesize(value) -> str:
    """« 512 octets », « 6,5 Mo », « 10 Mo »: one decimal, none when it is zero."""
    try:
        size = float(value)
    except (TypeError, ValueError):
        return ""
    if abs(size) < 1024:
        count = int(size)
        return f"{number(count)}\u00a0{'octet' if abs(count) < 2 else 'octets'}"
    for unit in FILE_SIZE_UNITS:
        size /= 1024
        if abs(size) < 1024 or unit == FILE_SIZE_UNITS[-1]:
            break
    rounded = round(size, 1)
    shown = number(int(rounded)) if rounded == int(rounded) else number(rounded, 1)
    return f"{shown}\u00a0{unit}"
