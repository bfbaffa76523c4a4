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
