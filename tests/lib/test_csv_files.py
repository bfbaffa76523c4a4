"""The shared reading of uploaded CSV files: bytes to text, text to records, no database."""

import pytest

from lib.csv_files import (
    CSVRefused,
    RowError,
    column_positions,
    decode,
    detect_delimiter,
    iter_records,
    normalize_header,
    read_rows,
)

COLUMNS = {"last_name": "Nom", "first_name": "Prénom"}


def refusal(call, *args, **kwargs):
    with pytest.raises(CSVRefused) as refused:
        call(*args, **kwargs)
    return str(refused.value.error)


def rows(text, delimiter=";", **kwargs):
    return list(read_rows(text, delimiter=delimiter, columns=COLUMNS, **kwargs))


# --- decode -----------------------------------------------------------------------------------


def test_utf8_with_a_bom_is_read_as_utf8_without_the_bom():
    assert decode("\ufeffNom;Prénom\r\n".encode()) == ("Nom;Prénom\r\n", "utf-8")


def test_utf8_without_bom_is_read_as_utf8():
    assert decode("Nom;Prénom\n".encode()) == ("Nom;Prénom\n", "utf-8")


def test_a_windows_1252_file_is_read_with_its_accents_and_euro_sign():
    data = "Nom;Prénom\nHélène;Cécile 5 €\n".encode("cp1252")

    assert decode(data) == ("Nom;Prénom\nHélène;Cécile 5 €\n", "cp1252")


def test_bytes_and_memory_views_are_both_accepted():
    data = b"Nom;Pr\xc3\xa9nom\n"

    assert decode(bytearray(data)) == decode(memoryview(data)) == ("Nom;Prénom\n", "utf-8")


def test_bytes_neither_utf8_nor_windows_1252_are_refused_as_unknown_encoding():
    assert refusal(decode, b"Nom;Pr\x81\x8dnom\n") == (
        "L'encodage du fichier n'est pas reconnu : enregistrez-le en UTF-8."
    )


def test_a_file_over_the_limit_is_refused_with_both_sizes():
    assert refusal(decode, b"Nom;Prenom\n", max_bytes=10) == (
        "Le fichier pèse 11\xa0octets, au-delà de la limite de 10\xa0octets."
    )


def test_a_file_exactly_at_the_limit_is_read():
    assert decode(b"Nom;Prenom", max_bytes=10) == ("Nom;Prenom", "utf-8")


@pytest.mark.parametrize(
    ("head", "kind"),
    [(b"PK\x03\x04\x14\x00", "XLSX"), (b"\xd0\xcf\x11\xe0\xa1\xb1", "XLS"), (b"%PDF-1.7", "PDF")],
)
def test_a_workbook_or_pdf_is_refused_by_name_with_the_way_out(head, kind):
    assert refusal(decode, head + b"\nNom;Prenom\n") == (
        f"Le fichier est un document {kind}, pas un fichier CSV : depuis le tableur, "
        "enregistrez-le au format « CSV (séparateur : point-virgule) »."
    )


def test_utf16_is_refused_with_a_hint():
    assert refusal(decode, "Nom;Prénom\n".encode("utf-16")) == (
        "Le fichier est encodé en UTF-16, qui n'est pas pris en charge : enregistrez-le en UTF-8."
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"Nom;Pr\x00nom\n", "contenu binaire"), (b"Nom;Pr\x07nom\n", "caractères de contrôle")],
)
def test_binary_content_is_refused(data, reason):
    assert refusal(decode, data) == f"Le fichier n'est pas un fichier texte CSV ({reason})."


@pytest.mark.parametrize("data", [b"", b" \r\n\t\n", b"\xef\xbb\xbf\n"])
def test_a_file_of_blanks_is_empty(data):
    assert refusal(decode, data) == "Le fichier est vide."


def test_text_instead_of_bytes_is_refused():
    assert refusal(decode, "Nom;Prénom\n") == (
        "Le fichier doit être un fichier texte au format CSV."
    )


# --- detect_delimiter ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("Nom;Prénom;Service\nA,B;C;D\n", ";"),
        ("Nom,Prénom,Service\nA;B,C,D\n", ","),
        # A comma inside a French header name does not outweigh the separators.
        ("Nom;Prénom;Direction, service\n", ";"),
        ("\r\n\nNom,Prénom\n", ","),
    ],
)
def test_the_separator_is_the_one_the_header_line_uses_most(text, delimiter):
    assert detect_delimiter(text) == delimiter


@pytest.mark.parametrize("text", ["Nom\n", "Nom;Service, direction\n"])
def test_a_tie_goes_to_the_semicolon_of_french_excel(text):
    assert detect_delimiter(text) == ";"


# --- normalize_header, RowError -----------------------------------------------------------------


def test_header_names_ignore_case_accents_spaces_and_hyphens():
    assert normalize_header(" E-MAIL du  Responsable ") == normalize_header("email du responsable")
    assert normalize_header("PRENOM") == normalize_header("prénom")
    assert normalize_header("Durée_(minutes)") == normalize_header("duree (minutes)")


def test_row_error_reads_as_a_sentence():
    assert str(RowError(3, "nom", "valeur obligatoire.")) == (
        "Ligne 3, colonne « nom » : valeur obligatoire."
    )
    assert str(RowError(3, None, "mal formé.")) == "Ligne 3 : mal formé."
    assert str(RowError(None, None, "Le fichier est vide.")) == "Le fichier est vide."


# --- iter_records -------------------------------------------------------------------------------


def test_records_carry_the_line_they_start_on_skipping_blank_lines():
    text = 'Nom;Prénom\n\nDurand;"Hélène\nMarie"\n;\nMartin;Paul\n'

    assert list(iter_records(text, delimiter=";")) == [
        (1, ["Nom", "Prénom"]),
        (3, ["Durand", "Hélène\nMarie"]),
        (6, ["Martin", "Paul"]),
    ]


def test_crlf_and_cr_line_ends_count_lines_alike():
    for newline in ("\r\n", "\r"):
        text = newline.join(["Nom;Prénom", "", "Durand;Hélène", ""])

        assert [line for line, _cells in iter_records(text, delimiter=";")] == [1, 3]


def test_a_quote_left_open_refuses_the_file_at_its_line():
    text = 'Nom;Prénom\nDurand;"Hélène\n'

    assert refusal(list, iter_records(text, delimiter=";")) == (
        "Ligne 2 : le fichier CSV est mal formé (guillemets non fermés ou suivis d'autres "
        "caractères dans une cellule)."
    )


# --- column_positions, read_rows ----------------------------------------------------------------


def test_columns_are_found_whatever_their_order_and_spelling_and_others_ignored():
    assert column_positions(["Service", " PRENOM ", "nom"], COLUMNS) == {
        "first_name": 1,
        "last_name": 2,
    }


def test_a_missing_column_is_named_with_the_expected_header():
    assert refusal(column_positions, ["Nom", "Service"], COLUMNS) == (
        "Colonnes manquantes dans la ligne d'en-tête : « Prénom ». Colonnes attendues : "
        "« Nom », « Prénom »."
    )


def test_a_column_given_twice_is_refused_by_its_label():
    assert refusal(column_positions, ["Nom", "Prénom", "NOM"], COLUMNS) == (
        "La colonne « Nom » figure deux fois dans la ligne d'en-tête."
    )


def test_rows_come_as_stripped_values_by_column_with_their_line():
    text = "Service,Prénom,Nom\nRH, Hélène , Durand\n\nDSI,Paul,Martin\n"

    assert rows(text, ",") == [
        (2, {"first_name": "Hélène", "last_name": "Durand"}),
        (4, {"first_name": "Paul", "last_name": "Martin"}),
    ]


def test_a_row_of_the_wrong_width_is_an_error_and_the_reading_goes_on():
    text = "Nom;Prénom\nDurand\nMartin;Paul;en trop\nBernard;Zoé;;\n"

    assert rows(text) == [
        RowError(2, None, "1 cellules au lieu des 2 de la ligne d'en-tête."),
        RowError(3, None, "3 cellules au lieu des 2 de la ligne d'en-tête."),
        # Spreadsheets add empty cells at the end of a row: they do not count.
        (4, {"last_name": "Bernard", "first_name": "Zoé"}),
    ]


def test_clean_applies_to_header_and_values():
    text = "<Nom>;<Prénom>\n<Durand>;<Hélène>\n"

    assert rows(text, clean=lambda cell: cell.strip("<>")) == [
        (2, {"last_name": "Durand", "first_name": "Hélène"})
    ]


def test_a_text_of_separators_only_is_empty():
    assert refusal(rows, ";;\n;\n") == "Le fichier est vide."


def test_a_header_without_rows_yields_nothing():
    assert rows("Nom;Prénom\n") == []
