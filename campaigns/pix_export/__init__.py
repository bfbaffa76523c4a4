"""Reading a Pix Orga results export (CSV): bytes in, dataclasses out, no database.

    export = open_export(fileobj)          # ExportRefused if the file cannot be imported
    export.header                           # ExportHeader: kind, columns, competences…
    for item in export.rows():              # ExportRow, or ExportError for a bad row
        ...

The file is read as Pix writes it (REFERENCE.md) and as people save it again from a
spreadsheet: UTF-8 (BOM or not) or Windows-1252, decided by a scan of the bytes before
parsing; `;` or `,` separators, detected on the header; LF, CRLF or CR; quotes or none;
decimal comma or dot; `Oui`/`Non` in any case; `NA` (or an empty cell) for no value; the
`'` guard before = + - @ removed from text; dates `DD/MM/YYYY HH:mm[:ss]`, `DD/MM/YYYY` or
`YYYY-MM-DD`, as aware datetimes in the time zone the headers name (Europe/Paris).
Rows stream: memory does not grow with the file. How optional columns are recognised
(organisation columns, external id) is explained in `header`.

The variants read (REFERENCE.md, « Format history »): assessment (évaluation or EXAM) and
profiles collection exports, in the newest format and the older one (no « Code », « Nom du
Profil Cible », bare dates); EXAM exports made between March 2025 and February 2026, which
have no « % de progression » column (`ExportHeader.progression_column` is False and every
row's progression is None: unknown, not 0); dates in whatever time zone the headers name.
External ids are text: `0612345` keeps its leading zero. Rows come as Pix sorts them (by
name, then start date newest first): the order means nothing, the share dates do. Learners
Pix anonymised (« Anonymized ») are rows like any other here; the importer keeps them from
matching. Refused with a message that says what the file is and where the right one is: a
certification results CSV (« Nombre de Pix » or, since March 2026, « Résultat »), a Pix Orga
participants list, a workbook (xlsx, ods, xls), a PDF, any other CSV.
"""

from campaigns.pix_export.header import ORGANISATION_COLUMN_NAMES, default_aliases
from campaigns.pix_export.reader import MAX_PIX, PixExport, open_export, parse_export_filename
from campaigns.pix_export.records import (
    KIND_ASSESSMENT,
    KIND_PROFILES,
    CompetenceValue,
    ExportError,
    ExportHeader,
    ExportRefused,
    ExportRow,
)

__all__ = [
    "KIND_ASSESSMENT",
    "KIND_PROFILES",
    "MAX_PIX",
    "ORGANISATION_COLUMN_NAMES",
    "CompetenceValue",
    "ExportError",
    "ExportHeader",
    "ExportRefused",
    "ExportRow",
    "PixExport",
    "default_aliases",
    "open_export",
    "parse_export_filename",
]
