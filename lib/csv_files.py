"""Reading a CSV file a person uploads: bytes in, text and records out, no database.

The house rules for every CSV upload read whole in memory (the HR list of agents, the
resource catalogue): the file must fit the size limit, be text rather than a workbook, a PDF
or UTF-16, be encoded in UTF-8 (with or without BOM) or Windows-1252, and use `;` or `,`
between fields. Header cells are compared without case, accents, spaces or punctuation;
records carry the line of the file where they start, so that errors can name it.

    text, encoding = decode(data, max_bytes=limit)      # CSVRefused if it cannot be read
    for item in read_rows(text, delimiter=detect_delimiter(text), columns=LABELS):
        ...                                             # (line, {column: cell}) or RowError

A problem with the file as a whole raises `CSVRefused`, which carries the `RowError` to show;
the caller turns it into its list of errors. Messages are French and translatable.

The Pix Orga export reader (`campaigns.pix_export`) has rules of its own (streaming, header-aware
separator detection, bad lines reported and skipped) and does not use this module.
"""

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _

from lib.french import filesize

SEPARATORS = (";", ",")
# Unicode category Cc, except tab and line breaks: text files do not hold these.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Signatures of the files people upload by mistake instead of a CSV export.
BINARY_SIGNATURES = (
    (b"PK\x03\x04", "xlsx"),
    (b"\xd0\xcf\x11\xe0", "xls"),
    (b"%PDF", "pdf"),
)


@dataclass(frozen=True)
class RowError:
    """A reason to refuse the file: `line` is the line number in the file (1 is the header),
    None for the file as a whole; `column` is the column's label, or None."""

    line: int | None
    column: str | None
    message: str

    def __str__(self):
        if self.line is not None and self.column is not None:
            return _("Ligne %(line)s, colonne « %(column)s » : %(message)s") % {
                "line": self.line,
                "column": self.column,
                "message": self.message,
            }
        if self.line is not None:
            return _("Ligne %(line)s : %(message)s") % {"line": self.line, "message": self.message}
        return self.message


class CSVRefused(Exception):
    """The file cannot be read at all; `error` is the single error to report."""

    def __init__(self, message: str):
        super().__init__(message)
        self.error = RowError(None, None, message)


def decode(data: bytes, *, max_bytes: int | None = None) -> tuple[str, str]:
    """The text of the file and its encoding ("utf-8" or "cp1252"), the BOM dropped. Raises
    CSVRefused when the file is not bytes, exceeds `max_bytes`, is binary, in UTF-16, in
    neither encoding, holds control characters, or has nothing but blanks."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise CSVRefused(_("Le fichier doit être un fichier texte au format CSV."))
    data = bytes(data)
    if max_bytes is not None and len(data) > max_bytes:
        raise CSVRefused(
            _("Le fichier pèse %(size)s, au-delà de la limite de %(limit)s.")
            % {"size": filesize(len(data)), "limit": filesize(max_bytes)}
        )
    for signature, kind in BINARY_SIGNATURES:
        if data.startswith(signature):
            raise CSVRefused(
                _(
                    "Le fichier est un document %(kind)s, pas un fichier CSV : depuis le "
                    "tableur, enregistrez-le au format « CSV (séparateur : point-virgule) »."
                )
                % {"kind": kind.upper()}
            )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CSVRefused(
            _(
                "Le fichier est encodé en UTF-16, qui n'est pas pris en charge : "
                "enregistrez-le en UTF-8."
            )
        )
    if b"\x00" in data:
        raise CSVRefused(_("Le fichier n'est pas un fichier texte CSV (contenu binaire)."))
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        # Windows-1252 leaves five bytes undefined: a file holding one is in neither encoding.
        try:
            text, encoding = data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            raise CSVRefused(
                _("L'encodage du fichier n'est pas reconnu : enregistrez-le en UTF-8.")
            ) from None
    if CONTROL_CHARACTERS.search(text):
        raise CSVRefused(_("Le fichier n'est pas un fichier texte CSV (caractères de contrôle)."))
    if not text.strip():
        raise CSVRefused(_("Le fichier est vide."))
    return text, encoding


def detect_delimiter(text: str) -> str:
    """The separator used most in the header line (the first, leading line breaks
    skipped); `;` (French Excel's) on a tie."""
    header = text.lstrip("\r\n").splitlines()[0]
    return max(SEPARATORS, key=header.count)


def normalize_header(name: str) -> str:
    """Header cells are compared without case, accents, spaces, hyphens or underscores:
    « E-mail du responsable », « EMAIL_DU_RESPONSABLE » and « email du responsable » match."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    without_accents = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[\s_\-.'’]+", "", without_accents)


def iter_records(text: str, *, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line number where the record starts, cells), skipping blank lines; a quoted cell may
    span several lines. Raises CSVRefused, naming the line, on malformed quoting."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    previous_end = 0
    try:
        for cells in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                yield start, cells
    except csv.Error as error:
        # The csv module's messages are in English and technical; nearly all of them come
        # from a quote opened and not closed, or a character right after a closing quote.
        if "field larger" in str(error):
            detail = _("une cellule est trop longue")
        else:
            detail = _("guillemets non fermés ou suivis d'autres caractères dans une cellule")
        raise CSVRefused(
            _("Ligne %(line)s : le fichier CSV est mal formé (%(detail)s).")
            % {"line": previous_end + 1, "detail": detail}
        ) from None


def column_positions(header: list[str], columns: Mapping[str, str]) -> dict[str, int]:
    """Where each of `columns` (key -> label as the header writes it) sits in the `header`
    cells, matched by `normalize_header`. Other columns are ignored; a missing or repeated
    one refuses the file."""
    expected = {normalize_header(label): column for column, label in columns.items()}
    positions = {}
    for index, cell in enumerate(header):
        column = expected.get(normalize_header(cell))
        if column is None:
            continue
        if column in positions:
            raise CSVRefused(
                _("La colonne « %(column)s » figure deux fois dans la ligne d'en-tête.")
                % {"column": columns[column]}
            )
        positions[column] = index
    missing = [column for column in columns if column not in positions]
    if missing:
        raise CSVRefused(
            _(
                "Colonnes manquantes dans la ligne d'en-tête : %(missing)s. Colonnes "
                "attendues : %(expected)s."
            )
            % {
                "missing": ", ".join(f"« {columns[column]} »" for column in missing),
                "expected": ", ".join(f"« {label} »" for label in columns.values()),
            }
        )
    return positions


def read_rows(
    text: str,
    *,
    delimiter: str,
    columns: Mapping[str, str],
    clean: Callable[[str], str] | None = None,
) -> Iterator[tuple[int, dict[str, str]] | RowError]:
    """The data rows under the header, each as (line, {column key: cell}), cells stripped
    and then passed through `clean` (header cells too). A row with fewer cells than the
    header, or with text beyond it, is yielded as a RowError instead. Raises CSVRefused when
    the file has no record or its header does not suit `columns` (see `column_positions`)."""
    records = iter_records(text, delimiter=delimiter)
    try:
        _line, header = next(records)
    except StopIteration:
        raise CSVRefused(_("Le fichier est vide.")) from None
    if clean is not None:
        header = [clean(cell.strip()) for cell in header]
    positions = column_positions(header, columns)
    for line, cells in records:
        if len(cells) < len(header) or any(cell.strip() for cell in cells[len(header) :]):
            yield RowError(
                line,
                None,
                _("%(count)s cellules au lieu des %(expected)s de la ligne d'en-tête.")
                % {"count": len(cells), "expected": len(header)},
            )
            continue
        values = {column: cells[index].strip() for column, index in positions.items()}
        if clean is not None:
            values = {column: clean(value) for column, value in values.items()}
        yield line, values
