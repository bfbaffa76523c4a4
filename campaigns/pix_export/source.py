"""The bytes of the upload: a quick scan that refuses what is not a CSV text file and picks
the encoding, and a streaming text view of the file for the csv module.

The CSV uploads read whole in memory (HR list, resource catalogue) share `lib.csv_files`;
this reader does not: it streams exports of many megabytes, tolerates a character cut at the
end, recovers from a bad line instead of refusing the file, words its refusals for Pix Orga
users, and stays free of Django."""

import codecs
import io
from dataclasses import dataclass

from campaigns.pix_export.records import ExportRefused

CHUNK_SIZE = 1 << 20
# Longest physical line read at once (a row of an assessment with skills is a few kB).
MAX_LINE_CHARS = 1 << 20

NOT_TEXT = "Ce fichier n'est pas un fichier texte (CSV)"
DOWNLOAD_AGAIN = "déposez l'export de résultats tel que Pix Orga le télécharge (fichier .csv)."
SAVE_AS_CSV = (
    "ouvrez-le dans votre tableur et enregistrez-le au format CSV (« CSV UTF-8 » ou « CSV "
    "(séparateur : point-virgule) »), ou mieux, téléchargez à nouveau l'export depuis Pix Orga."
)
_SIGNATURES = (
    (b"PK\x03\x04", "un classeur (xlsx, ods) ou une archive zip"),
    (b"\xd0\xcf\x11\xe0", "un classeur Excel 97-2003 (xls)"),
    (b"%PDF", "un document PDF"),
)
# Windows-1252 leaves these five bytes undefined: a file holding one is not in that encoding.
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")
_BOM = codecs.BOM_UTF8


@dataclass(frozen=True)
class Scan:
    size: int
    encoding: str  # "utf-8" | "cp1252"
    # Valid UTF-8 but for a multibyte character cut at the very end: a truncated file.
    cut_character: bool
    odd_quotes: bool
    ends_with_newline: bool
    line_count: int


def format_size(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} Mo".replace(".", ",")
    if size >= 1_000:
        return f"{size / 1_000:.0f} ko"
    return f"{size} octets"


def scan(fileobj, *, max_bytes: int | None) -> Scan:
    """Read the file once, chunk by chunk: refuse it if it is empty, too large, binary, or
    neither UTF-8 nor Windows-1252; otherwise say which of the two it is."""
    fileobj.seek(0, io.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(0)
    if max_bytes is not None and size > max_bytes:
        raise ExportRefused(
            f"Le fichier pèse {format_size(size)}, au-delà de la limite de "
            f"{format_size(max_bytes)}."
        )
    utf8 = codecs.getincrementaldecoder("utf-8")()
    is_utf8 = is_cp1252 = True
    has_text = False
    quotes = newlines = carriage_returns = 0
    first, last = True, b""
    while chunk := fileobj.read(CHUNK_SIZE):
        if first:
            _refuse_known_binaries(chunk)
            chunk_text = chunk.removeprefix(_BOM)
            first = False
        else:
            chunk_text = chunk
        if b"\x00" in chunk:
            raise ExportRefused(f"{NOT_TEXT} : {DOWNLOAD_AGAIN}")
        has_text = has_text or bool(chunk_text.strip())
        if is_utf8:
            try:
                utf8.decode(chunk)
            except UnicodeDecodeError:
                is_utf8 = False
        if is_cp1252 and any(byte in chunk for byte in _CP1252_UNDEFINED):
            is_cp1252 = False
        quotes += chunk.count(b'"')
        newlines += chunk.count(b"\n")
        carriage_returns += chunk.count(b"\r")
        last = chunk[-1:]
    if not has_text:
        raise ExportRefused("Le fichier est vide.")
    cut_character = False
    if is_utf8:
        try:
            utf8.decode(b"", True)
        except UnicodeDecodeError:
            cut_character = True
    if is_utf8:
        encoding = "utf-8"
    elif is_cp1252:
        encoding = "cp1252"
    else:
        raise ExportRefused(
            "Le fichier n'est ni en UTF-8 ni en Windows-1252 : enregistrez-le au format "
            "« CSV UTF-8 » depuis votre tableur, ou téléchargez à nouveau l'export depuis "
            "Pix Orga."
        )
    ends_with_newline = last in (b"\n", b"\r")
    line_count = (newlines or carriage_returns) + (0 if ends_with_newline else 1)
    return Scan(
        size=size,
        encoding=encoding,
        cut_character=cut_character,
        odd_quotes=quotes % 2 == 1,
        ends_with_newline=ends_with_newline,
        line_count=line_count,
    )


def _refuse_known_binaries(head: bytes) -> None:
    for signature, what in _SIGNATURES:
        if head.startswith(signature):
            raise ExportRefused(f"{NOT_TEXT} : c'est {what} ; {SAVE_AS_CSV}")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_like_utf16(head[:400]):
        raise ExportRefused(
            f"{NOT_TEXT} lisible : il est encodé en UTF-16 ; enregistrez-le au format "
            "« CSV UTF-8 » depuis votre tableur, ou téléchargez à nouveau l'export depuis "
            "Pix Orga."
        )


def _looks_like_utf16(sample: bytes) -> bool:
    """Text in UTF-16 without a BOM: every other byte is zero (Latin text), the others not."""
    if len(sample) < 8:
        return False
    even, odd = sample[0::2], sample[1::2]
    for zeros, others in ((odd, even), (even, odd)):
        if zeros.count(0) >= 0.9 * len(zeros) and others.count(0) <= 0.1 * len(others):
            return True
    return False


class _Borrowed(io.RawIOBase):
    """A read-only view of the caller's file that the text layer may close without closing
    the file itself (and that accepts any object with a `read` method)."""

    def __init__(self, fileobj):
        self._fileobj = fileobj

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self._fileobj.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def open_text(fileobj, encoding: str, errors: str = "strict") -> io.TextIOWrapper:
    """The file from its start as text, lines split on LF, CRLF or CR and kept as they are
    (what the csv module expects). The UTF-8 BOM is dropped."""
    fileobj.seek(0)
    return io.TextIOWrapper(
        io.BufferedReader(_Borrowed(fileobj), buffer_size=1 << 16),
        encoding="utf-8-sig" if encoding == "utf-8" else encoding,
        errors=errors,
        newline="",
    )


class LineTooLong(Exception):
    pass


class Lines:
    """The physical lines of a text, at most MAX_LINE_CHARS long each (a longer line is
    skipped and reported by raising LineTooLong), counted as they are read."""

    def __init__(self, text: io.TextIOBase):
        self._readline = text.readline
        self.count = 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self._readline(MAX_LINE_CHARS)
        if not line:
            raise StopIteration
        self.count += 1
        if len(line) >= MAX_LINE_CHARS and line[-1] not in "\r\n":
            while (rest := self._readline(MAX_LINE_CHARS)) and rest[-1] not in "\r\n":
                pass
            raise LineTooLong
        return line
