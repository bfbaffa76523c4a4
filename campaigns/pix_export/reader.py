"""open_export and PixExport: the header read once, then the rows streamed on demand."""

import csv
import itertools
import re
import unicodedata
from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO

from campaigns.pix_export.cells import (
    PARIS,
    CellError,
    date,
    integer,
    is_na,
    optional_text,
    rate,
    text,
    yes_no,
)
from campaigns.pix_export.header import (
    CAMPAIGN_ID,
    FIRST_NAME,
    LAST_NAME,
    NOT_PIX_EXPORT,
    ORGANISATION,
    PROGRESSION,
    SENT,
    SHARED,
    Layout,
    analyse_header,
    default_aliases,
    header_key,
)
from campaigns.pix_export.records import (
    KIND_ASSESSMENT,
    CompetenceValue,
    ExportError,
    ExportHeader,
    ExportRefused,
    ExportRow,
)
from campaigns.pix_export.source import MAX_LINE_CHARS, Lines, LineTooLong, Scan, open_text, scan
from campaigns.referential import MAX_LEVEL, PIX_PER_LEVEL, normalize_name

# Pix per competence: 8 levels of 8 pix once level 8 opens (56 at most today).
MAX_PIX = MAX_LEVEL * PIX_PER_LEVEL
DEFAULT_ALIASES = default_aliases()
_DELIMITERS = (";", ",")
_KNOWN_HEADERS = frozenset(
    {ORGANISATION, CAMPAIGN_ID, LAST_NAME, FIRST_NAME, PROGRESSION, SHARED, SENT}
)
_CACHE_LIMIT = 50_000
# What a bad number should have been, in the error message.
SKILLS, LEVEL, PIX = "un nombre d'acquis", "un niveau", "un nombre de pix"
TRUNCATED = "le fichier semble tronqué ; téléchargez à nouveau l'export depuis Pix Orga."


def open_export(
    fileobj: BinaryIO, *, aliases: dict[str, str] | None = None, max_bytes: int | None = None
) -> "PixExport":
    """Check the file and read its header. `fileobj` is binary and seekable; `aliases` maps
    folded competence names (campaigns.referential.normalize_name) to codes. Raises
    ExportRefused when the file as a whole cannot be imported."""
    if aliases is None:
        aliases = DEFAULT_ALIASES
    else:
        aliases = {normalize_name(name): code for name, code in aliases.items()}
    found = scan(fileobj, max_bytes=max_bytes)
    lines = Lines(open_text(fileobj, found.encoding, _errors(found)))
    try:
        first_line = next(line for line in lines if line.strip())
    except (StopIteration, LineTooLong):
        raise ExportRefused(NOT_PIX_EXPORT) from None
    delimiter = _detect_delimiter(first_line)
    reader = csv.reader(itertools.chain([first_line], lines), delimiter=delimiter)
    try:
        cells = next(reader)
    except (StopIteration, csv.Error, LineTooLong):
        raise ExportRefused(NOT_PIX_EXPORT) from None
    header, layout = analyse_header(
        cells, encoding=found.encoding, delimiter=delimiter, aliases=aliases
    )
    return PixExport(fileobj, header=header, layout=layout, scan=found)


def _errors(found: Scan) -> str:
    # Only the last character can be undecodable (the scan checked the rest).
    return "replace" if found.cut_character else "strict"


def _detect_delimiter(line: str) -> str:
    """`;` as Pix writes, or `,` in a file saved again by a spreadsheet: the one that splits
    the header line into known Pix headers (a comma may also sit inside a quoted header,
    as in the former name of competence 4.3)."""
    best_score, best = (-1, -1), _DELIMITERS[0]
    for delimiter in _DELIMITERS:
        try:
            cells = next(csv.reader([line], delimiter=delimiter), [])
        except csv.Error:
            continue
        score = (sum(header_key(cell) in _KNOWN_HEADERS for cell in cells), len(cells))
        if score > best_score:
            best_score, best = score, delimiter
    return best


class PixExport:
    """An export whose header has been checked; `rows()` reads it, as often as needed."""

    def __init__(self, fileobj: BinaryIO, *, header: ExportHeader, layout: Layout, scan: Scan):
        self.header = header
        self._fileobj = fileobj
        self._layout = layout
        self._scan = scan

    @property
    def size(self) -> int:
        """Size of the file in bytes."""
        return self._scan.size

    @property
    def line_count(self) -> int:
        """Physical lines in the file, header included: an upper bound on the number of
        rows plus one, known before reading them (for progress bars)."""
        return self._scan.line_count

    def rows(self) -> Iterator[ExportRow | ExportError]:
        """Stream the rows from the start of the file. A bad row yields an ExportError
        (wrong number of cells, unreadable value, another campaign, truncated end) and the
        reading goes on. Two passes must not be interleaved: they share the file."""
        found = self._scan
        lines = Lines(open_text(self._fileobj, found.encoding, _errors(found)))
        reader = csv.reader(lines, delimiter=self.header.delimiter)
        try:
            while not any(cell.strip() for cell in next(reader)):
                pass  # blank lines before the header
        except (StopIteration, csv.Error, LineTooLong):
            return
        convert = self._assessment_row if self.header.kind == KIND_ASSESSMENT else self._profile_row
        width = len(self.header.columns)
        cache: dict = {}
        campaign_id = None
        # Each item is held back until the next record is read, to tell the last one.
        held: ExportRow | ExportError | None = None
        held_count: int | None = None
        while True:
            line = lines.count + 1
            count = None
            try:
                cells = next(reader)
            except StopIteration:
                break
            except LineTooLong:
                item = ExportError(
                    line, None, f"la ligne dépasse {MAX_LINE_CHARS} caractères : elle est ignorée."
                )
            except csv.Error:
                item = ExportError(
                    line,
                    None,
                    "la ligne est illisible (cellule trop longue ou guillemet non fermé).",
                )
            else:
                count = len(cells)
                if not count or (not cells[0].strip() and not any(map(str.strip, cells))):
                    continue  # blank line, or a spreadsheet's line of empty cells
                if count != width:
                    if count > width and not any(cell.strip() for cell in cells[width:]):
                        cells = cells[:width]  # empty trailing cells of a spreadsheet
                    else:
                        item = ExportError(
                            line, None, f"la ligne a {count} cellules au lieu de {width}."
                        )
                        cells = None
                if cells is not None:
                    item = convert(cells, line, cache)
                    if len(cache) > _CACHE_LIMIT:
                        cache.clear()
                    if isinstance(item, ExportRow):
                        if campaign_id is None:
                            campaign_id = item.campaign_pix_id
                        elif item.campaign_pix_id != campaign_id:
                            item = ExportError(
                                line,
                                self.header.columns[self._layout.campaign_id],
                                f"la ligne est celle de la campagne {item.campaign_pix_id}, "
                                f"alors que le fichier est l'export de la campagne "
                                f"{campaign_id} (première ligne) : un export ne porte que "
                                "sur une campagne.",
                            )
            if held is not None:
                yield held
            held, held_count = item, count
        if held is not None:
            yield self._last(held, held_count, width)

    def _last(self, item, count, width):
        """The last record: a file cut short ends with a short row, an unclosed quote or
        half a character."""
        if count is not None and count < width:
            return ExportError(
                item.line,
                None,
                f"la dernière ligne est incomplète ({count} cellules au lieu de {width}) : "
                f"{TRUNCATED}",
            )
        found = self._scan
        if found.cut_character or (found.odd_quotes and not found.ends_with_newline):
            return ExportError(item.line, None, f"la dernière ligne est coupée : {TRUNCATED}")
        return item

    def _common(self, cells, line, **values) -> ExportRow:
        layout = self._layout
        code, target_profile, external_id = layout.code, layout.target_profile, layout.external_id
        return ExportRow(
            line=line,
            organisation_name=text(cells[layout.organisation_name]),
            campaign_code=None if code is None else optional_text(cells[code]),
            campaign_name=text(cells[layout.campaign_name]),
            target_profile=None if target_profile is None else optional_text(cells[target_profile]),
            last_name=text(cells[layout.last_name]),
            first_name=text(cells[layout.first_name]),
            external_id=None if external_id is None else optional_text(cells[external_id]),
            organisation_values={name: text(cells[index]) for index, name in layout.organisation},
            **values,
        )

    def _error(self, line, column, error) -> ExportError:
        return ExportError(line, self.header.columns[column], str(error))

    def _assessment_row(self, cells, line, cache) -> ExportRow | ExportError:
        layout = self._layout
        # `column` follows the cell being read, to name it in an error.
        column = layout.campaign_id
        try:
            campaign_pix_id = integer(cells[column], 1, None, "un identifiant de campagne")
            progression = None
            if layout.progression is not None:
                column = layout.progression
                cell = cells[column]
                progression = None if is_na(cell) else rate(cell)
            column = layout.started_at
            cell = cells[column]
            started_at = None if is_na(cell) else date(cell, layout.started_zone)
            column = layout.shared
            shared = yes_no(cells[column])
            shared_at = stage = mastery_rate = None
            badges, competences = (), ()
            if shared:
                column = layout.shared_at
                cell = cells[column]
                shared_at = None if is_na(cell) else date(cell, layout.shared_zone)
                if layout.stage is not None:
                    column = layout.stage
                    cell = cells[column]
                    if not is_na(cell):
                        stage = integer(cell, 0, layout.stage_count, "un palier")
                obtained = []
                for column, name in layout.badges:  # noqa: B007 (column names an error)
                    cell = cells[column]
                    if not is_na(cell) and yes_no(cell):
                        obtained.append(name)
                badges = tuple(obtained)
                column = layout.mastery
                cell = cells[column]
                mastery_rate = None if is_na(cell) else rate(cell)
                values = []
                for code, rate_column, total_column, validated_column in layout.competences:
                    key = (code, cells[rate_column], cells[total_column], cells[validated_column])
                    value = cache.get(key)
                    if value is None:
                        column = rate_column
                        mastery = None if is_na(key[1]) else rate(key[1])
                        column = total_column
                        total = (
                            None
                            if is_na(key[2])
                            else integer(key[2], 0, None, "un nombre d'acquis")
                        )
                        column = validated_column
                        validated = (
                            None
                            if is_na(key[3])
                            else integer(key[3], 0, total, "un nombre d'acquis")
                        )
                        value = cache[key] = CompetenceValue(
                            code,
                            mastery_rate=mastery,
                            skills_total=total,
                            skills_validated=validated,
                        )
                    values.append(value)
                competences = tuple(values)
        except CellError as error:
            return self._error(line, column, error)
        return self._common(
            cells,
            line,
            campaign_pix_id=campaign_pix_id,
            shared=shared,
            started_at=started_at,
            shared_at=shared_at,
            progression=progression,
            stage=stage,
            badges=badges,
            mastery_rate=mastery_rate,
            total_pix=None,
            certifiable=None,
            certifiable_competences=None,
            competences=competences,
        )

    def _profile_row(self, cells, line, cache) -> ExportRow | ExportError:
        layout = self._layout
        column = layout.campaign_id
        try:
            campaign_pix_id = integer(cells[column], 1, None, "un identifiant de campagne")
            column = layout.shared
            shared = yes_no(cells[column])
            shared_at = total_pix = certifiable = certifiable_competences = None
            competences = ()
            if shared:
                column = layout.shared_at
                cell = cells[column]
                shared_at = None if is_na(cell) else date(cell, layout.shared_zone)
                column = layout.total_pix
                cell = cells[column]
                if not is_na(cell):
                    total_pix = integer(
                        cell, 0, MAX_PIX * len(layout.competences), "un nombre de pix"
                    )
                column = layout.certifiable
                cell = cells[column]
                certifiable = None if is_na(cell) else yes_no(cell)
                column = layout.certifiable_count
                cell = cells[column]
                if not is_na(cell):
                    certifiable_competences = integer(
                        cell, 0, len(layout.competences), "un nombre de compétences"
                    )
                values = []
                for code, level_column, pix_column in layout.competences:
                    key = (code, cells[level_column], cells[pix_column])
                    value = cache.get(key)
                    if value is None:
                        column = level_column
                        level = (
                            None if is_na(key[1]) else integer(key[1], 0, MAX_LEVEL, "un niveau")
                        )
                        column = pix_column
                        pix = (
                            None
                            if is_na(key[2])
                            else integer(key[2], 0, MAX_PIX, "un nombre de pix")
                        )
                        value = cache[key] = CompetenceValue(code, level=level, pix=pix)
                    values.append(value)
                competences = tuple(values)
        except CellError as error:
            return self._error(line, column, error)
        return self._common(
            cells,
            line,
            campaign_pix_id=campaign_pix_id,
            shared=shared,
            started_at=None,
            shared_at=shared_at,
            progression=None,
            stage=None,
            badges=(),
            mastery_rate=None,
            total_pix=total_pix,
            certifiable=certifiable,
            certifiable_competences=certifiable_competences,
            competences=competences,
        )


_FILENAME = re.compile(
    r"R[ée]sultats-(?P<name>.+)-(?P<id>\d+)-"
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})-(?P<hour>\d{2})(?P<minute>\d{2})"
    r"(?:\s*\(\d+\))?\.csv",
    re.IGNORECASE | re.DOTALL,
)


def parse_export_filename(name: str) -> datetime | None:
    """When Pix Orga made the export, from its file name
    `Resultats-{campaign name}-{campaign id}-{YYYY-MM-DD-HHmm}.csv` (Europe/Paris time; a
    browser's « (1) » before `.csv` is allowed), else None."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1].strip())
    match = _FILENAME.fullmatch(base)
    if match is None:
        return None
    try:
        return datetime(
            *(int(match[part]) for part in ("year", "month", "day", "hour", "minute")),
            tzinfo=PARIS,
        )
    except ValueError:
        return None
