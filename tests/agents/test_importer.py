"""The HR list parser: bytes in, rows or errors out, no database."""

from pathlib import Path

import pytest

from agents.importer import COLUMNS, HRRow, find_cycles, parse_hr_csv

DATA = Path(__file__).parent / "data"
HEADER = ";".join(COLUMNS)


def hr_csv(*rows, header=HEADER, newline="\n", encoding="utf-8"):
    return newline.join([header, *rows]).encode(encoding) + newline.encode()


def messages(parsed):
    return [str(error) for error in parsed.errors]


@pytest.mark.parametrize("name", ["agents_utf8_bom.csv", "agents_cp1252.csv"])
def test_sample_file_is_read_whatever_its_encoding(name):
    parsed = parse_hr_csv((DATA / name).read_bytes())

    assert parsed.errors == []
    assert parsed.delimiter == ";"
    assert [row.matricule for row in parsed.rows] == ["M001", "M002", "M003", "M004"]
    assert parsed.rows[0] == HRRow(
        line=2,
        matricule="M001",
        last_name="Durand",
        first_name="Hélène",
        email="helene.durand@exemple.gouv.fr",
        unit_path=("DR", "SG"),
        job_title="Secrétaire générale; pilote",
        manager_email=None,
    )
    assert parsed.rows[2].first_name == "Zoé"
    assert parsed.rows[2].email is None


def test_utf8_with_bom_is_detected_as_utf8():
    assert parse_hr_csv((DATA / "agents_utf8_bom.csv").read_bytes()).encoding == "utf-8"


def test_windows_1252_accents_are_decoded():
    parsed = parse_hr_csv(hr_csv("M1;Hélène;Cécile;;;Chargée d'études;", encoding="cp1252"))

    assert parsed.encoding == "cp1252"
    assert (parsed.rows[0].last_name, parsed.rows[0].first_name) == ("Hélène", "Cécile")
    assert parsed.rows[0].job_title == "Chargée d'études"


def test_comma_separated_file_with_other_header_spellings_and_extra_column():
    parsed = parse_hr_csv((DATA / "agents_comma.csv").read_bytes())

    assert parsed.errors == []
    assert parsed.delimiter == ","
    assert parsed.rows[0].unit_path == ("Direction, Finances",)
    assert parsed.rows[1].manager_email == "helene.bernard@exemple.gouv.fr"


def test_crlf_and_lf_line_endings_give_the_same_rows():
    row = "M1;Durand;Hélène;h.durand@exemple.gouv.fr;SG;Cheffe;"

    assert parse_hr_csv(hr_csv(row, newline="\r\n")).rows == parse_hr_csv(hr_csv(row)).rows


def test_quoted_cell_may_hold_separator_quotes_and_line_break():
    parsed = parse_hr_csv(
        hr_csv('M1;Durand;Hélène;;SG;"Cheffe; dite ""la pilote""\nde service";', "M2;A;B;;;;")
    )

    assert parsed.rows[0].job_title == 'Cheffe; dite "la pilote"\nde service'
    # The second record starts on line 4: the quoted cell spans lines 2 and 3.
    assert parsed.rows[1].line == 4


def test_emails_are_stored_in_lower_case_and_cells_trimmed():
    parsed = parse_hr_csv(hr_csv("  M1 ; Durand ;Hélène; H.Durand@Exemple.GOUV.fr ;;;"))

    assert parsed.rows[0].matricule == "M1"
    assert parsed.rows[0].last_name == "Durand"
    assert parsed.rows[0].email == "h.durand@exemple.gouv.fr"


def test_blank_lines_and_rows_of_empty_cells_are_skipped():
    parsed = parse_hr_csv(hr_csv("", "M1;A;B;;;;", ";;;;;;", "M2;C;D;;;;"))

    assert [(row.line, row.matricule) for row in parsed.rows] == [(3, "M1"), (5, "M2")]


def test_service_path_is_split_on_chevrons_and_spaced_slashes():
    parsed = parse_hr_csv(
        hr_csv(
            "M1;A;B;;DR > SG > Bureau RH;;",
            "M2;C;D;;DR / SG;;",
            "M3;E;F;;DR › SG;;",
            "M4;G;H;;Achats/Marchés;;",
            "M5;I;J;;DR>SG;;",
        )
    )

    assert [row.unit_path for row in parsed.rows] == [
        ("DR", "SG", "Bureau RH"),
        ("DR", "SG"),
        ("DR", "SG"),
        ("Achats/Marchés",),
        ("DR", "SG"),
    ]


def test_invalid_email_names_line_and_column():
    rows = [f"M{n};A;B;a{n}@x.fr;;;" for n in range(10)]
    parsed = parse_hr_csv(hr_csv(*rows, "M99;Dupont;Jean;jean.dupont@;;;"))

    assert messages(parsed) == [
        "Ligne 12, colonne « email » : adresse e-mail invalide « jean.dupont@ »."
    ]
    assert parsed.rows == []


def test_sample_file_with_errors_lists_each_problem_with_line_and_column():
    parsed = parse_hr_csv((DATA / "agents_errors.csv").read_bytes())

    assert messages(parsed) == [
        "Ligne 3, colonne « email » : adresse e-mail invalide « jean.dupont@ ».",
        "Ligne 4, colonne « matricule » : le matricule « M001 » figure déjà ligne 2.",
        "Ligne 4, colonne « nom » : valeur obligatoire, la cellule est vide.",
        "Ligne 5 : 3 cellules au lieu des 7 de la ligne d'en-tête.",
    ]
    assert parsed.rows == []


@pytest.mark.parametrize(
    ("row", "column"),
    [(";A;B;;;;", "matricule"), ("M1;;B;;;;", "nom"), ("M1;A;;;;;", "prénom")],
)
def test_matricule_last_name_and_first_name_are_required(row, column):
    assert messages(parse_hr_csv(hr_csv(row))) == [
        f"Ligne 2, colonne « {column} » : valeur obligatoire, la cellule est vide."
    ]


def test_email_must_be_unique_in_the_file_whatever_its_case():
    parsed = parse_hr_csv(hr_csv("M1;A;B;h@exemple.gouv.fr;;;", "M2;C;D;H@Exemple.gouv.fr;;;"))

    assert messages(parsed) == [
        "Ligne 3, colonne « email » : l'adresse « h@exemple.gouv.fr » figure déjà ligne 2."
    ]


def test_invalid_manager_email_is_refused():
    assert messages(parse_hr_csv(hr_csv("M1;A;B;;;;chef"))) == [
        "Ligne 2, colonne « email du responsable » : adresse e-mail invalide « chef »."
    ]


def test_agent_cannot_be_their_own_manager():
    assert messages(parse_hr_csv(hr_csv("M1;A;B;a@x.fr;;;A@x.fr"))) == [
        "Ligne 2, colonne « email du responsable » : un agent ne peut pas être son propre "
        "responsable."
    ]


def test_manager_cycle_in_the_file_is_refused_from_its_first_line():
    parsed = parse_hr_csv(
        hr_csv(
            "M1;A;B;a@x.fr;;;b@x.fr",
            "M2;C;D;b@x.fr;;;c@x.fr",
            "M3;E;F;c@x.fr;;;a@x.fr",
            "M4;G;H;d@x.fr;;;a@x.fr",
        )
    )

    assert messages(parsed) == [
        "Ligne 2, colonne « email du responsable » : boucle hiérarchique : "
        "a@x.fr → b@x.fr → c@x.fr → a@x.fr."
    ]


def test_manager_outside_the_file_is_left_to_the_database_check():
    parsed = parse_hr_csv(hr_csv("M1;A;B;a@x.fr;;;chef@x.fr"))

    assert parsed.errors == []
    assert parsed.rows[0].manager_email == "chef@x.fr"


def test_row_with_too_many_non_empty_cells_is_refused_but_trailing_empty_ones_pass():
    parsed = parse_hr_csv(hr_csv("M1;A;B;;;;;;", "M2;C;D;;;;;en trop"))

    assert messages(parsed) == ["Ligne 3 : 8 cellules au lieu des 7 de la ligne d'en-tête."]


@pytest.mark.parametrize("row", ['M2;"Durand;Hélène;;;;', 'M2;"Durand"x;Hélène;;;;'])
def test_badly_quoted_cell_is_refused_from_the_line_where_it_starts(row):
    parsed = parse_hr_csv(hr_csv("M1;A;B;;;;", row, "M3;C;D;;;;", "M4;E;F;;;;"))

    assert messages(parsed) == [
        "Ligne 3 : le fichier CSV est mal formé (guillemets non fermés ou suivis d'autres "
        "caractères dans une cellule)."
    ]


def test_too_long_value_is_refused():
    assert messages(parse_hr_csv(hr_csv(f"M1;{'x' * 151};B;;;;"))) == [
        "Ligne 2, colonne « nom » : 151 caractères, au-delà de la limite de 150."
    ]


def test_empty_level_in_service_path_is_refused():
    assert messages(parse_hr_csv(hr_csv("M1;A;B;;DR >  > SG;;"))) == [
        "Ligne 2, colonne « service » : un niveau du chemin « DR >  > SG » est vide."
    ]


def test_missing_columns_are_listed():
    parsed = parse_hr_csv(hr_csv("M1;A;B", header="Matricule;Nom;Prénom"))

    assert messages(parsed) == [
        "Colonnes manquantes dans la ligne d'en-tête : « email », « service », « fonction », "
        "« email du responsable ». Colonnes attendues : « matricule », « nom », « prénom », "
        "« email », « service », « fonction », « email du responsable »."
    ]


def test_column_given_twice_is_refused():
    parsed = parse_hr_csv(hr_csv("M1;A;B;;;;;", header=HEADER + ";Nom"))

    assert messages(parsed) == ["La colonne « nom » figure deux fois dans la ligne d'en-tête."]


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\r\n\r\n", b"  \n"])
def test_empty_file_is_refused(data):
    assert messages(parse_hr_csv(data)) == ["Le fichier est vide."]


def test_file_with_only_the_header_is_refused():
    assert messages(parse_hr_csv(hr_csv())) == [
        "Le fichier ne contient aucun agent : seule la ligne d'en-tête est remplie."
    ]


def test_excel_workbook_is_refused_with_a_hint():
    parsed = parse_hr_csv(b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)))

    assert parsed.errors[0].message.startswith(
        "Le fichier est un document XLSX, pas un fichier CSV"
    )


@pytest.mark.parametrize(
    "data",
    [
        b"matricule;nom\x00;pr\x00",
        bytes(range(256)),
        "matricule;nom\x07;prénom".encode(),
    ],
)
def test_binary_file_is_refused(data):
    [error] = parse_hr_csv(data).errors
    assert error.line is None
    assert error.message.startswith("Le fichier n'est pas un fichier texte CSV")


def test_utf16_file_is_refused_with_a_hint():
    [error] = parse_hr_csv(hr_csv("M1;A;B;;;;", encoding="utf-16")).errors
    assert "UTF-16" in error.message


def test_bytes_undefined_in_windows_1252_are_refused_as_unknown_encoding():
    assert messages(parse_hr_csv(HEADER.encode() + b"\nM1;A\x81\x8d;B;;;;\n")) == [
        "L'encodage du fichier n'est pas reconnu : enregistrez-le en UTF-8."
    ]


def test_text_instead_of_bytes_is_refused():
    assert messages(parse_hr_csv(HEADER)) == [
        "Le fichier doit être un fichier texte au format CSV."
    ]


def test_file_over_the_size_limit_is_refused_before_reading():
    [error] = parse_hr_csv(hr_csv("M1;A;B;;;;"), max_bytes=10).errors
    assert error.message.startswith("Le fichier pèse")


def test_find_cycles_reports_each_cycle_once_and_ignores_chains():
    parents = {1: 2, 2: 3, 3: 1, 4: 1, 5: 6, 6: None, 7: 7}

    assert find_cycles(parents, parents.get) == [[1, 2, 3], [7]]
