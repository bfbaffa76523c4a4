"""Tables shown on a page and downloaded as CSV or XLSX, the same numbers in all three.

CSV is written for French Excel: UTF-8 with a byte order mark, `;` between fields, decimal
commas, dates as dd/mm/yyyy. Every text cell that a spreadsheet would read as a formula
(starting with = + - @, a tab or a carriage return, or their full-width forms ＝ ＋ － ＠,
which spreadsheets may read the same) gets a leading apostrophe: a name typed as
« =HYPERLINK(…) » in an HR file comes out as text, never as a live formula.

XLSX opens ready to read: a sheet per table named after it (shortened on a word boundary to
Excel's 31 characters), the caption on top and the header frozen below it, columns as wide
as their content, percentages as numbers shown « 45,5 % » (stored 0.455, so a sum or a
chart works), counts with a thousands separator, dates as dates.
"""

import csv
import io
import itertools
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse
from django.utils import formats, timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from lib import french

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Kind:
    TEXT = "text"
    COUNT = "count"
    PERCENT = "percent"  # a number of percent: 45.5 for 45,5 %
    RATIO = "ratio"  # a share of one: 0.455 for 45,5 %
    YEAR = "year"  # a number read as a name: 2026, never « 2 026 »
    DATE = "date"
    DATETIME = "datetime"


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = Kind.TEXT


@dataclass
class Table:
    """A table with a stable `key` (the HTML id), a caption and rows of plain values: str,
    int, float, date, datetime or None (shown as « — »). A figure hidden by the privacy rule
    is a text such as « moins de 5 ». `sheet`: a short name for its XLSX sheet (default: the
    caption), as Excel keeps 31 characters of it."""

    key: str
    caption: str
    columns: list[Column]
    rows: Iterable[list] = field(default_factory=list)
    sheet: str = ""

    def html_rows(self):
        """Rows with each value formatted for the page (French numbers and dates)."""
        for row in self.rows:
            yield [
                display(value, column.kind) for value, column in zip(row, self.columns, strict=True)
            ]


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet could take `text` for a formula: its first character, in its
    compatibility form (NFKC: « ＝ » is « = »), is one of FORMULA_TRIGGERS."""
    return unicodedata.normalize("NFKC", text[:1]).startswith(FORMULA_TRIGGERS)


def neutralise(value):
    """A text that a spreadsheet would take for a formula, made inert with a leading « ' »."""
    if isinstance(value, str) and looks_like_formula(value):
        return "'" + value
    return value


def display(value, kind: str = Kind.TEXT) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return french.date_time(value)
    if isinstance(value, date):
        return french.long_date(value)
    if kind == Kind.YEAR:
        return str(value)
    if kind == Kind.RATIO:
        value, kind = 100 * value, Kind.PERCENT
    if kind == Kind.PERCENT:
        return f"{formats.number_format(value, 1, use_l10n=True)}\u202f%"
    if isinstance(value, float | Decimal):
        return formats.number_format(value, 1, use_l10n=True, force_grouping=True)
    return formats.number_format(value, use_l10n=True, force_grouping=True)


def _csv_value(value, kind: str = Kind.TEXT):
    if kind == Kind.RATIO and isinstance(value, float | Decimal):
        value = 100 * value  # under a header saying « (%) »
    if value is None:
        return ""
    if isinstance(value, datetime):
        return french.file_date_time(value)
    if isinstance(value, date):
        return french.file_date(value)
    if isinstance(value, float | Decimal):
        return f"{value:.1f}".replace(".", ",")
    if isinstance(value, int):
        return str(value)
    return neutralise(str(value))


def csv_bytes(tables: list[Table]) -> bytes:
    """One table: its header and rows. Several: each one under its caption, a blank line
    between them."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for number, table in enumerate(tables):
        if len(tables) > 1:
            if number:
                writer.writerow([])
            writer.writerow([neutralise(table.caption)])
        writer.writerow([neutralise(column.label) for column in table.columns])
        for row in table.rows:
            writer.writerow(
                [
                    _csv_value(value, column.kind)
                    for value, column in zip(row, table.columns, strict=True)
                ]
            )
    return buffer.getvalue().encode("utf-8")


def _xlsx_value(value, kind: str = Kind.TEXT):
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None)  # Excel knows no time zone
    if isinstance(value, Decimal):
        value = float(value)
    if kind == Kind.PERCENT and isinstance(value, int | float) and not isinstance(value, bool):
        return round(value / 100, 6)  # 45.5 (%) is stored 0.455, shown « 45,5 % »
    if isinstance(value, str):
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


SHEET_NAME_MAX = 31
FORBIDDEN_IN_SHEET_NAMES = "[]:*?/\\"
ELLIPSIS = "…"
NUMBER_FORMATS = {
    Kind.DATE: "DD/MM/YYYY",
    Kind.DATETIME: "DD/MM/YYYY HH:MM",
    Kind.PERCENT: "0.0%",
    Kind.RATIO: "0.0%",
    Kind.COUNT: "#,##0",
    Kind.YEAR: "0",
}
WIDTH_SAMPLE = 1000  # rows read to size the columns (the rest streams after them)
WIDTH_MIN, WIDTH_MAX = 8, 60
WIDTHS = {Kind.DATE: 12, Kind.DATETIME: 17, Kind.PERCENT: 9, Kind.RATIO: 9}
# Words a shortened name does not end on (« Part à l’objectif par… » reads unfinished).
TRAILING_WORDS = {"à", "au", "aux", "de", "des", "du", "en", "et", "la", "le", "les", "par", "pour"}


def shorten(text: str, limit: int) -> str:
    """`text` in at most `limit` characters: cut after the last whole word that fits, with
    « … » to show it was cut; a single word longer than `limit` is cut where it must be."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if text[limit - 1] != " " and " " in head.strip():
        head = head.rstrip().rsplit(" ", 1)[0]
    words = head.split()
    while len(words) > 1 and (
        words[-1].lower() in TRAILING_WORDS or not any(c.isalnum() for c in words[-1])
    ):
        words.pop()
    return " ".join(words).rstrip(",;.'’(") + ELLIPSIS


def sheet_title(text: str, taken: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, no apostrophe first or last,
    not « History », unique in the workbook (case aside). Cut on a word boundary."""
    clean = "".join(" " if char in FORBIDDEN_IN_SHEET_NAMES else char for char in text)
    clean = " ".join(clean.split()).strip("'") or "Feuille"
    if clean.lower() == "history":
        clean = "Historique"
    candidate, number = shorten(clean, SHEET_NAME_MAX), 2
    while candidate.lower() in taken:
        suffix = f" ({number})"
        candidate = shorten(clean, SHEET_NAME_MAX - len(suffix)) + suffix
        number += 1
    taken.add(candidate.lower())
    return candidate


def _number_format(value, kind: str) -> str | None:
    """How Excel shows the cell: by its column's kind, or by its type in a text column (a
    date among texts shows as a date, not as a serial number)."""
    if value is None or isinstance(value, str | bool):
        return None
    if isinstance(value, datetime):
        return NUMBER_FORMATS[Kind.DATETIME]
    if isinstance(value, date):
        return NUMBER_FORMATS[Kind.DATE]
    return NUMBER_FORMATS.get(kind)


def _text_width(value, kind: str) -> int:
    if value is None:
        return 0
    if kind in WIDTHS and not isinstance(value, str):
        return WIDTHS[kind]
    text = _csv_value(value) if not isinstance(value, str) else value
    return max((len(line) for line in text.splitlines()), default=0)


def column_widths(table: Table, sample: list[list]) -> list[float]:
    """Each column as wide as its header or its widest value among `sample`, within
    WIDTH_MIN and WIDTH_MAX characters (long texts wrap in the cell rather than spread)."""
    widths = []
    for index, column in enumerate(table.columns):
        content = max(
            [len(column.label)] + [_text_width(row[index], column.kind) for row in sample]
        )
        widths.append(min(max(content + 2, WIDTH_MIN), WIDTH_MAX))
    return widths


def xlsx_bytes(tables: list[Table]) -> bytes:
    """A workbook with a sheet per table: caption, header in bold and frozen, then the rows;
    numbers, percentages and dates as such, columns sized to their content. Written
    streaming, so a list of 100,000 agents fits (widths are read from its first rows)."""
    workbook = Workbook(write_only=True)
    taken = set()
    bold = Font(bold=True)
    for table in tables:
        sheet = workbook.create_sheet(sheet_title(table.sheet or table.caption, taken))
        rows = iter(table.rows)
        sample = list(itertools.islice(rows, WIDTH_SAMPLE))
        # Widths and frozen panes go before the first row in a streamed sheet.
        for index, width in enumerate(column_widths(table, sample), start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A3"  # the caption and the header stay in view
        sheet.print_title_rows = "1:2"
        caption = WriteOnlyCell(sheet, value=neutralise(table.caption))
        caption.font = bold
        sheet.append([caption])
        header = []
        for column in table.columns:
            cell = WriteOnlyCell(sheet, value=neutralise(column.label))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        kinds = [column.kind for column in table.columns]
        for row in itertools.chain(sample, rows):
            cells = []
            for kind, value in zip(kinds, row, strict=True):
                cell = WriteOnlyCell(sheet, value=_xlsx_value(value, kind))
                number_format = _number_format(value, kind)
                if number_format:
                    cell.number_format = number_format
                cells.append(cell)
            sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_response(tables: list[Table], filename: str) -> HttpResponse:
    return _attachment(csv_bytes(tables), CSV_CONTENT_TYPE, f"{filename}.csv")


def xlsx_response(tables: list[Table], filename: str) -> HttpResponse:
    return _attachment(xlsx_bytes(tables), XLSX_CONTENT_TYPE, f"{filename}.xlsx")
