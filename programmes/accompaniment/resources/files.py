"""The resource catalogue of a programme as a CSV file: written for French Excel, and read
back (the file exported, edited in a spreadsheet, imported again).

Export: UTF-8 with a byte order mark, `;` between fields, the columns of `COLUMNS`; the
type as its French label, the competences as codes separated by commas ("1.1,3.2"), active
as « Oui » / « Non »; a text a spreadsheet would take for a formula gets a leading « ' »
(`programmes.exports.neutralise`), which the import takes off again.

Import: what the export produces, and what a spreadsheet saves from it: UTF-8 with or
without BOM or Windows-1252, `;` or `,` between fields, types as French labels or codes,
header names compared without case, accents or spaces. The parser is free of the ORM: it
turns bytes into `ResourceRow`s or a list of `RowError`s naming line and column;
`services_resources.resource_import` writes the rows, all or nothing.
"""

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from campaigns.referential import MAX_LEVEL
from lib.csv_files import (
    CSVRefused,
    RowError,
    decode,
    detect_delimiter,
    normalize_header,
    read_rows,
)
from lib.exports import Column, Table, csv_bytes, looks_like_formula
from programmes.enums import ResourceKind

MAX_BYTES = 2 * 1024 * 1024  # a catalogue is a few hundred lines at most
MAX_DURATION_MINUTES = 100_000
# Field lengths of programmes.models.Resource (kept here so that the parser stays ORM-free).
MAX_LENGTHS = {"title": 200, "url": 500, "provider": 200}

# The French header, whatever the language of the page: the file is the same for everyone.
COLUMN_LABELS = {
    "title": "Titre",
    "kind": "Type",
    "competences": "Compétences",
    "level_min": "Niveau minimum",
    "level_max": "Niveau maximum",
    "url": "Lien",
    "duration_minutes": "Durée (minutes)",
    "provider": "Proposé par",
    "description": "Description",
    "is_active": "Active",
}
COLUMNS = tuple(COLUMN_LABELS)
YES, NO = "Oui", "Non"
TRUE_WORDS = {"oui", "o", "yes", "y", "vrai", "true", "1", "x"}
FALSE_WORDS = {"non", "n", "no", "faux", "false", "0"}
COMPETENCE_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class ResourceRow:
    """One resource of the file, cleaned; `competence_codes` in the file's order."""

    line: int
    title: str
    kind: str
    competence_codes: tuple
    level_min: int
    level_max: int
    url: str
    duration_minutes: int | None
    provider: str
    description: str
    is_active: bool


@dataclass
class ParsedResourceFile:
    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors


# --- export ----------------------------------------------------------------------------------


def export_row(resource) -> list:
    """A resource (with its competences prefetched) as a row of the file."""
    codes = sorted(resource.competences.all(), key=lambda c: c.position)
    return [
        resource.title,
        ResourceKind(resource.kind).label,
        ",".join(c.code for c in codes),
        resource.level_min,
        resource.level_max,
        resource.url,
        resource.duration_minutes,
        resource.provider,
        resource.description,
        YES if resource.is_active else NO,
    ]


def export_csv(resources) -> bytes:
    """The catalogue as a CSV file (see the module's docstring)."""
    table = Table(
        key="ressources",
        caption=str(_("Ressources")),
        columns=[Column(label) for label in COLUMN_LABELS.values()],
        rows=(export_row(resource) for resource in resources),
    )
    return csv_bytes([table])


# --- import ----------------------------------------------------------------------------------


def parse_resources_csv(
    data: bytes, *, competence_codes, max_bytes: int | None = MAX_BYTES
) -> ParsedResourceFile:
    """Read a catalogue file. `competence_codes` are the codes of the referential. Never
    raises on bad input: the problems are listed in `errors`, and rows are returned only
    when there is none."""
    parsed = ParsedResourceFile()
    try:
        text, _encoding = decode(data, max_bytes=max_bytes)
        parsed.rows, parsed.errors = _read_rows(text, detect_delimiter(text), competence_codes)
    except CSVRefused as refused:
        parsed.errors = [refused.error]
    if parsed.errors:
        parsed.rows = []
    return parsed


def _read_rows(text, delimiter, competence_codes):
    kinds = _kinds_by_name()
    rows, errors, seen_titles = [], [], {}
    records = read_rows(text, delimiter=delimiter, columns=COLUMN_LABELS, clean=_unneutralise)
    for item in records:
        if isinstance(item, RowError):
            errors.append(item)
            continue
        line, values = item
        row, row_errors = _clean_row(line, values, kinds, competence_codes)
        if row is not None and not row_errors:
            first = seen_titles.setdefault(row.title.casefold(), line)
            if first != line:
                row_errors.append(
                    _error(
                        line,
                        "title",
                        _("le titre « %(title)s » figure déjà ligne %(first)s.")
                        % {"title": row.title, "first": first},
                    )
                )
        if row_errors:
            errors.extend(row_errors)
        else:
            rows.append(row)
    if not rows and not errors:
        raise CSVRefused(
            _("Le fichier ne contient aucune ressource : seule la ligne d'en-tête est remplie.")
        )
    return rows, errors


def _unneutralise(value):
    """Undo the export's protection against formulas: « '=x » reads back as « =x »."""
    if value.startswith("'") and looks_like_formula(value[1:]):
        return value[1:]
    return value


def _kinds_by_name():
    """Each type under its French label and its code, normalised like headers."""
    kinds = {}
    for kind in ResourceKind:
        kinds[normalize_header(str(kind.label))] = kind.value
        kinds[normalize_header(kind.value)] = kind.value
    return kinds


def _error(line, column, message):
    return RowError(line, COLUMN_LABELS[column], message)


def _clean_row(line, values, kinds, competence_codes):
    errors = []

    def error(column, message):
        errors.append(_error(line, column, message))

    title = values["title"]
    if not title:
        error("title", _("valeur obligatoire, la cellule est vide."))
    for column, max_length in MAX_LENGTHS.items():
        if len(values[column]) > max_length:
            error(
                column,
                _("%(count)s caractères, au-delà de la limite de %(max)s.")
                % {"count": len(values[column]), "max": max_length},
            )

    kind = kinds.get(normalize_header(values["kind"]))
    if not values["kind"]:
        error("kind", _("valeur obligatoire, la cellule est vide."))
    elif kind is None:
        error(
            "kind",
            _("type « %(value)s » inconnu. Types possibles : %(choices)s.")
            % {"value": values["kind"], "choices": ", ".join(str(k.label) for k in ResourceKind)},
        )

    codes = tuple(dict.fromkeys(c for c in COMPETENCE_SEPARATORS.split(values["competences"]) if c))
    unknown = [code for code in codes if code not in competence_codes]
    if unknown:
        error(
            "competences",
            _("compétence inconnue : %(codes)s (codes attendus comme « 1.1 » ou « 3.2 ».)")
            % {"codes": ", ".join(f"« {code} »" for code in unknown)},
        )

    level_min = _level(values["level_min"], 1, "level_min", error)
    level_max = _level(values["level_max"], MAX_LEVEL, "level_max", error)
    if level_min is not None and level_max is not None and level_min > level_max:
        error(
            "level_max",
            _("le niveau maximum (%(max)s) est inférieur au niveau minimum (%(min)s).")
            % {"max": level_max, "min": level_min},
        )

    url = values["url"]
    if url and len(url) <= MAX_LENGTHS["url"]:
        try:
            URLValidator()(url)
        except ValidationError:
            error(
                "url",
                _(
                    "lien invalide « %(value)s » : une adresse complète, comme "
                    "« https://… », est attendue."
                )
                % {"value": url},
            )

    duration = _duration(values["duration_minutes"], error)

    active_word = values["is_active"].casefold()
    if not active_word or active_word in TRUE_WORDS:
        is_active = True
    elif active_word in FALSE_WORDS:
        is_active = False
    else:
        is_active = True
        error(
            "is_active",
            _("« %(value)s » : « Oui » ou « Non » attendu.") % {"value": values["is_active"]},
        )

    if errors:
        return None, errors
    return (
        ResourceRow(
            line=line,
            title=title,
            kind=kind,
            competence_codes=codes,
            level_min=level_min,
            level_max=level_max,
            url=url,
            duration_minutes=duration,
            provider=values["provider"],
            description=values["description"],
            is_active=is_active,
        ),
        errors,
    )


def _level(value, default, column, error):
    """A level from 1 to MAX_LEVEL; an empty cell is `default`."""
    if not value:
        return default
    try:
        level = int(value)
    except ValueError:
        level = None
    if level is None or not 1 <= level <= MAX_LEVEL:
        error(
            column,
            _("« %(value)s » : un niveau entier de 1 à %(max)s est attendu.")
            % {"value": value, "max": MAX_LEVEL},
        )
        return None
    return level


def _duration(value, error):
    """A whole number of minutes; an empty cell means unknown."""
    if not value:
        return None
    try:
        minutes = int(value)
    except ValueError:
        minutes = None
    if minutes is None or not 1 <= minutes <= MAX_DURATION_MINUTES:
        error(
            "duration_minutes",
            _("« %(value)s » : une durée en minutes, nombre entier de 1 à %(max)s, est attendue.")
            % {"value": value, "max": MAX_DURATION_MINUTES},
        )
        return None
    return minutes
