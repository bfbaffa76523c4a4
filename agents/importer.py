"""Parse the HR list of agents (a CSV file) into dataclasses, without touching the database.

The file has a header row naming its columns (see `COLUMNS`) and is read by the house rules
for CSV uploads (`lib.csv_files`: UTF-8 with or without BOM or Windows-1252, `;` or `,`
between fields, header names compared without case or accents). Every row is checked here;
the checks that need the database (a manager known only there, an e-mail address already
used by another agent) are made by `agents.services.agent_import`.
"""

import re
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from lib.csv_files import CSVRefused, RowError, decode, detect_delimiter, read_rows

# Column keys, in the order of the expected header, with the label the file uses.
MATRICULE = "matricule"
LAST_NAME = "nom"
FIRST_NAME = "prénom"
EMAIL = "email"
SERVICE = "service"
JOB_TITLE = "fonction"
MANAGER_EMAIL = "email du responsable"
COLUMNS = (MATRICULE, LAST_NAME, FIRST_NAME, EMAIL, SERVICE, JOB_TITLE, MANAGER_EMAIL)
# The keys are the labels the header uses.
COLUMN_LABELS = {column: column for column in COLUMNS}

# Field lengths of agents.models (kept here so that the parser stays free of the ORM).
MAX_LENGTHS = {MATRICULE: 100, LAST_NAME: 150, FIRST_NAME: 150, EMAIL: 254, JOB_TITLE: 200}
MAX_UNIT_NAME_LENGTH = 200

# ">" and "›" (how OrgUnit.path prints a unit) separate the levels of a service, and so does
# " / " between spaces: a bare slash belongs to names such as « Achats/Marchés ».
UNIT_PATH_SEPARATOR = re.compile(r"\s*[>›]\s*|\s+/\s+")


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


def parse_hr_csv(data: bytes, *, max_bytes: int | None = None) -> ParsedHRFile:
    """Read the HR CSV file `data`. Never raises on bad input: the problems are listed in
    `errors`, and rows are returned only when there is none."""
    parsed = ParsedHRFile()
    try:
        text, parsed.encoding = decode(data, max_bytes=max_bytes)
        parsed.delimiter = detect_delimiter(text)
        parsed.rows, parsed.errors = _read_rows(text, parsed.delimiter)
    except CSVRefused as refused:
        parsed.errors = [refused.error]
    if parsed.errors:
        parsed.rows = []
    else:
        parsed.errors = _check_manager_cycles(parsed.rows)
    return parsed


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


# --- rows -----------------------------------------------------------------------------------


def _read_rows(text, delimiter):
    rows, errors = [], []
    seen_matricules, seen_emails = {}, {}
    for item in read_rows(text, delimiter=delimiter, columns=COLUMN_LABELS):
        if isinstance(item, RowError):
            errors.append(item)
            continue
        line, values = item
        row, row_errors = _clean_row(line, values)
        row_errors.extend(_check_unique(row, seen_matricules, seen_emails))
        if row_errors:
            errors.extend(row_errors)
        else:
            rows.append(row)
    errors.sort(key=_error_order)
    if not rows and not errors:
        raise CSVRefused(
            _("Le fichier ne contient aucun agent : seule la ligne d'en-tête est remplie.")
        )
    return rows, errors


def _error_order(error):
    return (error.line or 0, COLUMNS.index(error.column) if error.column else -1)


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
