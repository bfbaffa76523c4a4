"""Whatever bytes are uploaded, the parser answers with a refusal, rows or row errors, never
with another exception: random bytes, and the samples damaged in the ways files get damaged
(characters lost, doubled or inserted, separators swapped, files cut short, re-encoded).
"""

import csv
import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.pix_export import ExportError, ExportRefused, ExportRow, open_export

DATA = Path(__file__).parent / "data"
SAMPLES = [
    (DATA / name).read_bytes()
    for name in (
        "profiles-collection.csv",
        "assessment-16-competences.csv",
        "assessment-older-format.csv",
    )
]
FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Bytes that matter to the parser: separators, quotes, line ends, the guard, digits,
# a UTF-8 accent, Windows-1252 bytes, undefined bytes, NUL.
INTERESTING = [
    b";", b",", b'"', b"\n", b"\r", b"\r\n", b"'", b"'=", b"0", b"9", b"-", b"/", b":",
    b"NA", b"Oui", b"Non", b"1,5", b"\xc3\xa9", b"\xe9", b"\x81", b"\x00", b"\xef\xbb\xbf",
    b" ", b"\t",
]  # fmt: skip


def read_everything(data: bytes) -> None:
    """Open the export and exhaust its rows: only ExportRefused may escape, and what rows()
    yields must be well formed."""
    try:
        export = open_export(io.BytesIO(data), max_bytes=1_000_000)
    except ExportRefused as refused:
        assert refused.errors
        assert all(str(error) for error in refused.errors)
        return
    header = export.header
    for item in export.rows():
        assert isinstance(item, ExportRow | ExportError)
        if isinstance(item, ExportError):
            assert str(item) and item.message
            assert item.line is None or item.line >= 2
            assert item.column is None or item.column in header.columns
            item.as_dict()
        else:
            assert item.line >= 2
            assert {value.code for value in item.competences} <= set(header.competence_codes)
            assert item.shared or item.competences == ()


@st.composite
def damaged_samples(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(1, 4))):
        operation = draw(
            st.sampled_from(["delete", "duplicate", "insert", "swap", "cut", "encode"])
        )
        start = draw(st.integers(0, len(data)))
        end = min(len(data), start + draw(st.integers(0, 200)))
        if operation == "delete":
            del data[start:end]
        elif operation == "duplicate":
            data[start:start] = data[start:end]
        elif operation == "insert":
            inserted = draw(st.lists(st.sampled_from(INTERESTING) | st.binary(max_size=4)))
            data[start:start] = b"".join(inserted)
        elif operation == "swap":
            old, new = draw(st.permutations([b";", b",", b'"', b"\n"]))[:2]
            data = bytearray(bytes(data).replace(old, new))
        elif operation == "cut":
            del data[start:]
        else:
            encoding = draw(st.sampled_from(["cp1252", "latin-1", "utf-16", "utf-8"]))
            text = bytes(data).decode("utf-8", errors="replace")
            data = bytearray(text.encode(encoding, errors="replace"))
    return bytes(data)


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes_are_refused_or_read_without_crashing(data):
    read_everything(data)


@FUZZ
@given(st.sampled_from(SAMPLES), st.text(max_size=500))
def test_random_text_after_a_real_header_is_read_without_crashing(sample, text):
    header = sample.split(b"\n", 1)[0] + b"\n"
    read_everything(header + text.encode("utf-8"))


@FUZZ
@given(damaged_samples())
def test_damaged_samples_are_refused_or_read_without_crashing(data):
    read_everything(data)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(SAMPLES),
    st.sampled_from([";", ","]),
    st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
)
def test_any_spreadsheet_dialect_reads_the_same_rows(sample, delimiter, encoding, newline, quoting):
    rows = list(csv.reader(io.StringIO(sample.decode("utf-8-sig")), delimiter=";"))
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=newline, quoting=quoting).writerows(rows)

    resaved = open_export(io.BytesIO(out.getvalue().encode(encoding)))

    assert list(resaved.rows()) == list(open_export(io.BytesIO(sample)).rows())
