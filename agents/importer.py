"""Parse the HR list of agents (a CSV file) into dataclasses, without touching the database.

The file has a header row naming its columns (see `COLUMNS`), is encoded in UTF-8 (with or
without BOM) or Windows-1252, and is separated by `;` or `,`. Every row is checked here;
the checks that need the database (a manager known only there, an e-mail address already
used by another agent) are made by `agents.services.agent_import`.
"""

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# Column keys, in the order of the expected header, with the label the file uses.
MATRICULE = "matricule"
LAST_NAME = "nom"
FIRST_NAME = "prénom"
EMAIL = "email"
SERVICE = "service"
JOB_TITLE = "fonction"
MANAGER_EMAIL = "email du responsable"
COLUMNS = (MATRICULE, LAST_NAME, FIRST_NAME, EMAIL, SERVICE, JOB_TITLE, MANAGER_EMAIL)

# Field lengths of agents.models (kept here so that the parser stays free of the ORM).
MAX_LENGTHS = {MATRICULE: 100, LAST_NAME: 150, FIRST_NAME: 150, EMAIL: 254, JOB_TITLE: 200}
MAX_UNIT_NAME_LENGTH = 200

# ">" and "›" (how OrgUnit.path prints a unit) separate the levels of a service, and so does
# " / " between spaces: a bare slash belongs to names such as « Achats/Marchés ».
UNIT_PATH_SEPARATOR = re.compile(r"\s*[>›]\s*|\s+/\s+")
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
    None for the file as a whole; `column` is one of `COLUMNS` or None."""

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


@dataclass(frozen=True)
class HRRow:
    """One agent of the file, cleaned: e-mail addresses in lower case, empty cells as None
    (or "" for the job title); `unit_path` lists the org unit names from the top."""

    line: int
    matricule: str
    last_name: str
    first_name: str
    email: str | None
    unit_path: tuple[str, ...]
    job_title: str
    manager_email: str | None


@dataclass
class ParsedHRFile:
    rows: list[HRRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None

    @property
    def is_valid(self) -> bool:
        return not self.errors


class _Refused(Exception):
    """The file cannot be read at all; carries the single error to report."""

    def __init__(self, message):
        super().__init__(message)
        self.error = RowError(None, None, message)


def parse_hr_csv(data: bytes, *, max_bytes: int | None = None) -> ParsedHRFile:
    """Read the HR CSV file `data`. Never raises on bad input: the problems are listed in
    `errors`, and rows are returned only when there is none."""
    parsed = ParsedHRFile()
    try:
        text, parsed.encoding = _decode(data, max_bytes=max_bytes)
        parsed.delimiter = _detect_delimiter(text)
        parsed.rows, parsed.errors = _read_rows(text, parsed.delimiter)
    except _Refused as refused:
        parsed.errors = [refused.error]
    if parsed.errors:
        parsed.rows = []
    else:
        parsed.errors = _check_manager_cycles(parsed.rows)
    return parsed


def normalize_header(name: str) -> str:
    """Header cells are compared without case, accents, spaces, hyphens or underscores:
    « E-mail du responsable », « EMAIL_DU_RESPONSABLE » and « email du responsable » match."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    without_accents = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[\s_\-.'’]+", "", without_accents)


Node = TypeVar("Node", bound=Hashable)


def find_cycles(
    starts: Iterable[Node], parent_of: Callable[[Node], Node | None]
) -> list[list[Node]]:
    """The cycles reached by walking up from each of `starts` through `parent_of`, each as
    the list of its nodes in walking order, each reported once."""
    done: set = set()
    cycles = []
    for start in starts:
        path, position = [], {}
        node = start
        while node is not None and node not in done and node not in position:
            position[node] = len(path)
            path.append(node)
            node = parent_of(node)
        if node is not None and node in position:
            cycles.append(path[position[node] :])
        done.update(path)
    return cycles


# --- decoding -------------------------------------------------------------------------------


def _decode(data, *, max_bytes):
    if not isinstance(data, bytes | bytearray | memoryview):
        raise _Refused(_("Le fichier doit être un fichier texte au format CSV."))
    data = bytes(data)
    if max_bytes is not None and len(data) > max_bytes:
        raise _Refused(
            _("Le fichier pèse %(size)s, au-delà de la limite de %(limit)s.")
            % {"size": filesizeformat(len(data)), "limit": filesizeformat(max_bytes)}
        )
    for signature, kind in BINARY_SIGNATURES:
        if data.startswith(signature):
            raise _Refused(
                _(
                    "Le fichier est un document %(kind)s, pas un fichier CSV : depuis le "
                    "tableur, enregistrez-le au format « CSV (séparateur : point-virgule) »."
                )
                % {"kind": kind.upper()}
            )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _Refused(
            _(
                "Le fichier est encodé en UTF-16, qui n'est pas pris en charge : "
                "enregistrez-le en UTF-8."
            )
        )
    if b"\x00" in data:
        raise _Refused(_("Le fichier n'est pas un fichier texte CSV (contenu binaire)."))
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        try:
            text, encoding = data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            raise _Refused(
                _("L'encodage du fichier n'est pas reconnu : enregistrez-le en UTF-8.")
            ) from None
    if CONTROL_CHARACTERS.search(text):
        raise _Refused(_("Le fichier n'est pas un fichier texte CSV (caractères de contrôle)."))
    if not text.strip():
        raise _Refused(_("Le fichier est vide."))
    return text, encoding


def _detect_delimiter(text):
    """The separator used most in the header line; `;` (French Excel's) on a tie."""
    header = text.lstrip("\r\n").splitlines()[0]
    return max(SEPARATORS, key=header.count)


# --- rows -----------------------------------------------------------------------------------


def _read_rows(text, delimiter):
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records = _records(reader)
    try:
        _line, header = next(records)
    except StopIteration:
        raise _Refused(_("Le fichier est vide.")) from None
    positions = _column_positions(header)
    rows, errors = [], []
    seen_matricules, seen_emails = {}, {}
    for line, cells in records:
        if len(cells) < len(header) or any(cell.strip() for cell in cells[len(header) :]):
            errors.append(
                RowError(
                    line,
                    None,
                    _("%(count)s cellules au lieu des %(expected)s de la ligne d'en-tête.")
                    % {"count": len(cells), "expected": len(header)},
                )
            )
            continue
        values = {column: cells[index].strip() for column, index in positions.items()}
        row, row_errors = _clean_row(line, values)
        row_errors.extend(_check_unique(row, seen_matricules, seen_emails))
        if row_errors:
            errors.extend(row_errors)
        else:
            rows.append(row)
    errors.sort(key=_error_order)
    if not rows and not errors:
        raise _Refused(
            _("Le fichier ne contient aucun agent : seule la ligne d'en-tête est remplie.")
        )
    return rows, errors


def _error_order(error):
    return (error.line or 0, COLUMNS.index(error.column) if error.column else -1)


def _records(reader):
    """(line number where the record starts, cells), skipping blank lines; a quoted cell may
    span several lines."""
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
        raise _Refused(
            _("Ligne %(line)s : le fichier CSV est mal formé (%(detail)s).")
            % {"line": previous_end + 1, "detail": detail}
        ) from None


def _column_positions(header):
    """Where each expected column is; other columns are ignored."""
    expected = {normalize_header(column): column for column in COLUMNS}
    positions = {}
    for index, cell in enumerate(header):
        column = expected.get(normalize_header(cell))
        if column is None:
            continue
        if column in positions:
            raise _Refused(
                _("La colonne « %(column)s » figure deux fois dans la ligne d'en-tête.")
                % {"column": column}
            )
        positions[column] = index
    missing = [column for column in COLUMNS if column not in positions]
    if missing:
        raise _Refused(
            _(
                "Colonnes manquantes dans la ligne d'en-tête : %(missing)s. Colonnes "
                "attendues : %(expected)s."
            )
            % {
                "missing": ", ".join(f"« {column} »" for column in missing),
                "expected": ", ".join(f"« {column} »" for column in COLUMNS),
            }
        )
    return positions


def _clean_row(line, values):
    errors = []

    def error(column, message):
        errors.append(RowError(line, column, message))

    for column in (MATRICULE, LAST_NAME, FIRST_NAME):
        if not values[column]:
            error(column, _("valeur obligatoire, la cellule est vide."))
    for column, max_length in MAX_LENGTHS.items():
        if len(values[column]) > max_length:
            error(
                column,
                _("%(count)s caractères, au-delà de la limite de %(max)s.")
                % {"count": len(values[column]), "max": max_length},
            )

    email = _clean_email(values[EMAIL], EMAIL, error)
    manager_email = _clean_email(values[MANAGER_EMAIL], MANAGER_EMAIL, error)
    if email and manager_email == email:
        error(MANAGER_EMAIL, _("un agent ne peut pas être son propre responsable."))

    unit_path = ()
    if values[SERVICE]:
        unit_path = tuple(part.strip() for part in UNIT_PATH_SEPARATOR.split(values[SERVICE]))
        if not all(unit_path):
            error(
                SERVICE, _("un niveau du chemin « %(path)s » est vide.") % {"path": values[SERVICE]}
            )
        for name in unit_path:
            if len(name) > MAX_UNIT_NAME_LENGTH:
                error(
                    SERVICE,
                    _("le nom d'unité « %(name)s… » dépasse %(max)s caractères.")
                    % {"name": name[:30], "max": MAX_UNIT_NAME_LENGTH},
                )

    return (
        HRRow(
            line=line,
            matricule=values[MATRICULE],
            last_name=values[LAST_NAME],
            first_name=values[FIRST_NAME],
            email=email,
            unit_path=tuple(" ".join(name.split()) for name in unit_path),
            job_title=values[JOB_TITLE],
            manager_email=manager_email,
        ),
        errors,
    )


def _clean_email(value, column, error):
    if not value:
        return None
    try:
        validate_email(value)
    except ValidationError:
        error(column, _("adresse e-mail invalide « %(value)s ».") % {"value": value})
        return None
    return value.lower()


def _check_unique(row, seen_matricules, seen_emails):
    errors = []
    first = seen_matricules.setdefault(row.matricule, row.line) if row.matricule else row.line
    if first != row.line:
        errors.append(
            RowError(
                row.line,
                MATRICULE,
                _("le matricule « %(value)s » figure déjà ligne %(first)s.")
                % {"value": row.matricule, "first": first},
            )
        )
    if row.email:
        first = seen_emails.setdefault(row.email, row.line)
        if first != row.line:
            errors.append(
                RowError(
                    row.line,
                    EMAIL,
                    _("l'adresse « %(value)s » figure déjà ligne %(first)s.")
                    % {"value": row.email, "first": first},
                )
            )
    return errors


def _check_manager_cycles(rows):
    """Managers named in the file must not loop (A manages B who manages A)."""
    by_email = {row.email: row for row in rows if row.email}

    def manager_of(email):
        manager_email = by_email[email].manager_email
        return manager_email if manager_email in by_email else None

    errors = []
    for cycle in find_cycles(by_email, manager_of):
        # Told from the cycle's first line in the file, so the message does not depend on
        # the order of the walk.
        start = min(range(len(cycle)), key=lambda index: by_email[cycle[index]].line)
        cycle = cycle[start:] + cycle[:start]
        errors.append(
            RowError(
                by_email[cycle[0]].line,
                MANAGER_EMAIL,
                _("boucle hiérarchique : %(chain)s.") % {"chain": " → ".join([*cycle, cycle[0]])},
            )
        )
    return sorted(errors, key=lambda error: error.line)
