"""Tables shown on a page and downloaded as CSV or XLSX, the same numbers in all three.

CSV is written for French Excel: UTF-8 with a byte order mark, `;` between fields, decimal
commas, dates as dd/mm/yyyy. Every text cell that a spreadsheet would read as a formula
(starting with = + - @, a tab or a carriage return, or their full-width forms ＝ ＋ － ＠,
which spreadsheets may read the same) gets a leading apostrophe: a name typed as
« =HYPERLINK(…) » in an HR file comes out as text, never as a live formula.
"""

import csv
import io
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

from lib import french

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Kind:
    TEXT = "text"
    COUNT = "count"
    PERCENT = "percent"  # a number of percent: 45.5 for 45,5 %
    DATE = "date"
    DATETIME = "datetime"


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = Kind.TEXT


@dataclass
class Table:
    """A table with a stable `key` (the HTML id, the sheet's name), a caption and rows of
    plain values: str, int, float, date, datetime or None (shown as « — »). A figure hidden
    by the privacy rule is a text such as « moins de 5 »."""

    key: str
    caption: str
    columns: list[Column]
    rows: Iterable[list] = field(default_factory=list)

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
    if kind == Kind.PERCENT:
        return f"{formats.number_format(value, 1, use_l10n=True)}\u202f%"
    if isinstance(value, float | Decimal):
        return formats.number_format(value, 1, use_l10n=True, force_grouping=True)
    return formats.number_format(value, use_l10n=True, force_grouping=True)


def _csv_value(value):
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
            writer.writerow([_csv_value(value) for value in row])
    return buffer.getvalue().encode("utf-8")


def _xlsx_value(value):
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None)  # Excel knows no time zone
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def sheet_title(text: str, taken: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    title = "".join(" " if char in "[]:*?/\\" else char for char in text).strip()[:31] or "Feuille"
    candidate, number = title, 2
    while candidate.lower() in taken:
        suffix = f" ({number})"
        candidate = title[: 31 - len(suffix)] + suffix
        number += 1
    taken.add(candidate.lower())
    return candidate


def xlsx_bytes(tables: list[Table]) -> bytes:
    """A workbook with a sheet per table: caption, header in bold, then the rows; numbers,
    percentages and dates as such. Written streaming, so a list of 100,000 agents fits."""
    workbook = Workbook(write_only=True)
    taken = set()
    bold = Font(bold=True)
    for table in tables:
        sheet = workbook.create_sheet(sheet_title(table.caption, taken))
        caption = WriteOnlyCell(sheet, value=neutralise(table.caption))
        caption.font = bold
        sheet.append([caption])
        header = []
        for column in table.columns:
            cell = WriteOnlyCell(sheet, value=neutralise(column.label))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        formats_by_index = {
            index: {Kind.DATE: "DD/MM/YYYY", Kind.DATETIME: "DD/MM/YYYY HH:MM"}.get(column.kind)
            for index, column in enumerate(table.columns)
        }
        for row in table.rows:
            cells = []
            for index, value in enumerate(row):
                cell = WriteOnlyCell(sheet, value=_xlsx_value(value))
                if formats_by_index[index] and value is not None:
                    cell.number_format = formats_by_index[index]
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
