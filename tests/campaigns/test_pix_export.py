"""The Pix Orga export parser: the three samples read to the exact value, the variants that
spreadsheets and older exports produce, and every refusal with its French message.

Pure tests: no database. Variants are built from the samples with the csv module, so each
test shows the one thing it changes.
"""

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from campaigns.pix_export import (
    KIND_ASSESSMENT,
    KIND_PROFILES,
    CompetenceValue,
    ExportError,
    ExportRefused,
    ExportRow,
    open_export,
    parse_export_filename,
)
from campaigns.pix_writer import (
    PixCampaign,
    PixParticipant,
    PixResult,
    certification_results_columns,
    export_bytes,
    participants_list_columns,
    resave_like_spreadsheet,
    table_bytes,
)

DATA = Path(__file__).parent / "data"
PROFILES = "profiles-collection.csv"
ASSESSMENT = "assessment-16-competences.csv"
OLDER = "assessment-older-format.csv"
PARIS = ZoneInfo("Europe/Paris")
ALL_CODES = (
    "1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "3.1",
    "3.2", "3.3", "3.4", "4.1", "4.2", "4.3", "5.1", "5.2",
)  # fmt: skip
FORMER_4_3 = "Protéger la santé, le bien-être et l'environnement"
FORMER_5_2 = "Évoluer dans un environnement numérique"
HR_AGENT_LIST = (
    "\ufeffMatricule;Nom;Prénom;Email;Service;Fonction;Email du responsable\n"
    "M001;Durand;Hélène;helene.durand@exemple.gouv.fr;DR > SG;Secrétaire générale;\n"
)


# --- helpers --------------------------------------------------------------------------------


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def table(name: str) -> list[list[str]]:
    """A sample as a list of rows of cells (the header first)."""
    return list(csv.reader(io.StringIO(sample(name).decode("utf-8-sig")), delimiter=";"))


def pix_csv(rows: list[list[str]]) -> bytes:
    """Cells written as Pix writes them: UTF-8 with BOM, `;`, LF, text quoted, numbers and
    strings of digits and hyphens bare."""

    def cell(value):
        if value and all(char in "0123456789,-" for char in value):
            return value
        return '"' + value.replace('"', '""') + '"'

    return "".join(";".join(cell(value) for value in row) + "\n" for row in rows).encode(
        "utf-8-sig"
    )


def spreadsheet_csv(rows, *, delimiter=";", encoding="cp1252", newline="\r\n") -> bytes:
    """Cells as a spreadsheet saves them again: quotes only where needed, its own encoding,
    separator and line ends."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(rows)
    return out.getvalue().encode(encoding)


def parse(data: bytes, **options):
    export = open_export(io.BytesIO(data), **options)
    return export.header, list(export.rows())


def rows_of(data: bytes, **options) -> list[ExportRow]:
    _header, items = parse(data, **options)
    errors = [str(item) for item in items if isinstance(item, ExportError)]
    assert errors == []
    return items


def errors_of(data: bytes, **options) -> list[ExportError]:
    _header, items = parse(data, **options)
    return [item for item in items if isinstance(item, ExportError)]


def refusal(data: bytes, **options) -> str:
    with pytest.raises(ExportRefused) as refused:
        open_export(io.BytesIO(data), **options)
    return str(refused.value)


def column(rows, label: str) -> int:
    return rows[0].index(label)


def set_cell(rows, line: int, label: str, value: str):
    """Change the cell of `label` on physical line `line` (the header is line 1)."""
    rows[line - 1][column(rows, label)] = value
    return rows


def insert_column(rows, before: str, label: str, values):
    index = column(rows, before)
    for row, value in zip(rows, [label, *values], strict=True):
        row.insert(index, value)
    return rows


def drop_columns(rows, *labels: str):
    indexes = sorted((column(rows, label) for label in labels), reverse=True)
    for row in rows:
        for index in indexes:
            del row[index]
    return rows


def rename_in_header(rows, old: str, new: str):
    rows[0] = [cell.replace(old, new) for cell in rows[0]]
    return rows


def competence(row: ExportRow, code: str) -> CompetenceValue:
    return next(value for value in row.competences if value.code == code)


# --- the profiles collection sample ---------------------------------------------------------


def test_profiles_collection_header_gives_kind_external_id_and_the_16_competences():
    header, _items = parse(sample(PROFILES))

    assert header.kind == KIND_PROFILES
    assert header.encoding == "utf-8"
    assert header.delimiter == ";"
    assert header.older_format is False
    assert header.external_id_label == "Matricule"
    assert header.organisation_columns == ()
    assert header.stage_count is None
    assert header.badge_names == ()
    assert header.competence_codes == ALL_CODES
    assert header.skill_columns == ()
    assert len(header.columns) == 44
    assert header.columns[0] == "Nom de l'organisation"  # without the BOM


def test_profiles_collection_first_row_is_read_to_the_exact_value():
    first = rows_of(sample(PROFILES))[0]

    assert first.line == 2
    assert first.organisation_name == "DREAL Exemple"
    assert first.campaign_pix_id == 90001
    assert first.campaign_code == "DREALCOL26"
    assert first.campaign_name == "Collecte de profils 2026"
    assert first.target_profile is None
    assert first.last_name == "=Robert"  # "'=Robert" with Pix's guard stripped
    assert first.first_name == "Jean-Baptiste"
    assert first.external_id == "A1000"
    assert first.organisation_values == {}
    assert first.shared is True
    assert first.shared_at == datetime(2026, 4, 5, 16, 48, tzinfo=PARIS)
    assert first.shared_at.utcoffset() == timedelta(hours=2)  # summer time
    assert first.started_at is None
    assert first.progression is None
    assert first.total_pix == 481
    assert first.certifiable is True
    assert first.certifiable_competences == 13
    assert first.stage is None
    assert first.badges == ()
    assert first.mastery_rate is None
    assert [value.code for value in first.competences] == list(ALL_CODES)
    assert first.competences[0] == CompetenceValue("1.1", level=3, pix=24)
    assert competence(first, "2.1") == CompetenceValue("2.1", level=6, pix=52)
    assert competence(first, "2.4") == CompetenceValue("2.4", level=7, pix=56)
    assert competence(first, "5.2") == CompetenceValue("5.2", level=2, pix=17)
    assert sum(value.pix for value in first.competences) == first.total_pix


def test_profiles_collection_date_in_winter_has_the_winter_offset():
    second = rows_of(sample(PROFILES))[1]

    assert second.shared_at == datetime(2026, 3, 13, 12, 30, tzinfo=PARIS)
    assert second.shared_at.utcoffset() == timedelta(hours=1)


def test_profiles_collection_external_id_written_bare_is_read_as_text():
    second = rows_of(sample(PROFILES))[1]

    assert second.external_id == "1000001"
    assert (second.last_name, second.first_name) == ("Bernard", "Nadia")


def test_profiles_collection_guard_is_stripped_before_at_and_plus():
    fourth = rows_of(sample(PROFILES))[3]

    assert (fourth.last_name, fourth.first_name) == ("@Petit", "+Anne")


def test_profiles_collection_row_not_sent_has_no_results():
    rows = rows_of(sample(PROFILES))
    not_sent = next(row for row in rows if row.line == 11)

    assert (not_sent.last_name, not_sent.first_name) == ("N'Diaye", "Élodie")
    assert not_sent.external_id == "A1009"
    assert not_sent.shared is False
    assert not_sent.shared_at is None
    assert not_sent.total_pix is None
    assert not_sent.certifiable is None
    assert not_sent.certifiable_competences is None
    assert not_sent.competences == ()


def test_profiles_collection_has_one_row_per_participant():
    rows = rows_of(sample(PROFILES))

    assert [row.line for row in rows] == list(range(2, 14))
    assert sum(row.shared for row in rows) == 11


# --- the assessment sample ------------------------------------------------------------------


def test_assessment_header_gives_stage_count_badges_and_competences_in_file_order():
    header, _items = parse(sample(ASSESSMENT))

    assert header.kind == KIND_ASSESSMENT
    assert header.older_format is False
    assert header.external_id_label == "Matricule"
    assert header.stage_count == 3
    assert header.badge_names == ("Badge thématique 1",)
    assert header.competence_codes == ALL_CODES
    assert header.skill_columns == ()
    assert header.timezone == "Europe/Paris"


def test_assessment_shared_row_is_read_to_the_exact_value():
    first = rows_of(sample(ASSESSMENT))[0]

    assert first.line == 2
    assert first.campaign_pix_id == 90002
    assert first.campaign_code == "DREALEVA26"
    assert first.campaign_name == "Évaluation socle numérique 2026"
    assert first.target_profile == "Parcours socle FPE"
    assert (first.last_name, first.first_name, first.external_id) == ("Lefèvre", "Hélène", "A1000")
    assert first.shared is True
    assert first.progression == Decimal("1")
    assert first.started_at == datetime(2026, 3, 6, 18, 31, tzinfo=PARIS)
    assert first.shared_at == datetime(2026, 3, 15, 22, 17, tzinfo=PARIS)
    assert first.stage == 2
    assert first.badges == ()
    assert first.mastery_rate == Decimal("0.55")
    assert first.total_pix is None
    assert first.certifiable is None
    assert first.competences[0] == CompetenceValue(
        "1.1", mastery_rate=Decimal("0.89"), skills_total=19, skills_validated=17
    )
    assert competence(first, "1.3") == CompetenceValue(
        "1.3", mastery_rate=Decimal("0.6"), skills_total=10, skills_validated=6
    )
    assert competence(first, "2.1") == CompetenceValue(
        "2.1", mastery_rate=Decimal("1"), skills_total=11, skills_validated=11
    )
    assert competence(first, "5.2") == CompetenceValue(
        "5.2", mastery_rate=Decimal("0.33"), skills_total=9, skills_validated=3
    )
    assert len(first.competences) == 16


def test_assessment_mastery_rates_are_decimals():
    first = rows_of(sample(ASSESSMENT))[0]

    assert isinstance(first.mastery_rate, Decimal)
    assert all(isinstance(value.mastery_rate, Decimal) for value in first.competences)


def test_assessment_badge_obtained_is_listed_by_name_and_stage_zero_is_kept():
    rows = rows_of(sample(ASSESSMENT))
    le_gall = next(row for row in rows if row.last_name == "Le Gall")

    assert le_gall.stage == 0
    assert le_gall.badges == ("Badge thématique 1",)


def test_assessment_multiple_sendings_give_one_row_per_participation():
    rows = rows_of(sample(ASSESSMENT))
    muller = [row for row in rows if row.external_id == "1000001"]

    assert [row.line for row in muller] == [3, 4]
    shared, started = muller
    assert shared.shared is True
    assert shared.stage == 3
    assert shared.shared_at == datetime(2026, 3, 20, 17, 18, tzinfo=PARIS)
    assert started.shared is False
    assert started.progression == Decimal("0.139")
    assert started.started_at == datetime(2026, 4, 13, 11, 54, tzinfo=PARIS)
    assert started.shared_at is None
    assert started.stage is None
    assert started.badges == ()
    assert started.mastery_rate is None
    assert started.competences == ()
    ozturk = [row.shared for row in rows if row.external_id == "1000011"]
    assert ozturk == [True, False]


def test_assessment_guard_is_stripped_from_last_and_first_names():
    rows = rows_of(sample(ASSESSMENT))

    assert (rows[7].last_name, rows[7].first_name) == ("=Robert", "Marie")
    assert (rows[8].last_name, rows[8].first_name) == ("Durand-Léger", "+Anne")


def test_assessment_sample_has_14_participations_of_which_10_shared():
    rows = rows_of(sample(ASSESSMENT))

    assert len(rows) == 14
    assert sum(row.shared for row in rows) == 10


# --- the older assessment sample ------------------------------------------------------------


def test_older_assessment_header_has_no_code_and_a_target_profile_column():
    header, _items = parse(sample(OLDER))

    assert header.kind == KIND_ASSESSMENT
    assert header.older_format is True
    assert header.external_id_label is None
    assert header.stage_count is None
    assert header.badge_names == ()
    assert header.competence_codes == ("1.1", "3.1", "4.1")


def test_older_assessment_bare_dates_are_midnight_in_paris():
    rows = rows_of(sample(OLDER))
    shared = rows[1]

    assert shared.campaign_code is None
    assert shared.target_profile == "Parcours socle FPE"
    assert shared.external_id is None
    assert (shared.last_name, shared.first_name) == ("Durand-Léger", "Jean-Baptiste")
    assert shared.started_at == datetime(2026, 3, 13, tzinfo=PARIS)
    assert shared.shared_at == datetime(2026, 3, 22, tzinfo=PARIS)
    assert shared.mastery_rate == Decimal("0.64")
    assert shared.competences == (
        CompetenceValue("1.1", mastery_rate=Decimal("0.75"), skills_total=20, skills_validated=15),
        CompetenceValue("3.1", mastery_rate=Decimal("0.92"), skills_total=12, skills_validated=11),
        CompetenceValue("4.1", mastery_rate=Decimal("0.23"), skills_total=13, skills_validated=3),
    )


def test_older_assessment_unshared_rows_are_started_with_their_progression():
    rows = rows_of(sample(OLDER))

    assert [(row.shared, row.progression) for row in rows] == [
        (False, Decimal("0.294")),
        (True, Decimal("1")),
        (True, Decimal("1")),
        (True, Decimal("1")),
        (False, Decimal("0.709")),
        (True, Decimal("1")),
    ]
    assert rows[4].last_name == "@Petit"
    assert rows[4].started_at == datetime(2026, 3, 17, tzinfo=PARIS)
    assert rows[4].competences == ()


# --- files saved again by a spreadsheet -----------------------------------------------------


@pytest.mark.parametrize("name", [PROFILES, ASSESSMENT, OLDER])
def test_file_resaved_in_windows_1252_with_crlf_and_no_quotes_reads_the_same(name):
    resaved = spreadsheet_csv(table(name), encoding="cp1252", newline="\r\n")
    assert b'"' not in resaved
    assert b"\r\n" in resaved

    header, items = parse(resaved)

    assert header.encoding == "cp1252"
    assert items == rows_of(sample(name))


def test_spreadsheet_dropping_trailing_zeros_and_writing_one_gives_the_same_rates():
    rows = table(ASSESSMENT)
    rows = [[{"1,0": "1", "0,0": "0"}.get(cell, cell) for cell in row] for row in rows]

    assert rows_of(spreadsheet_csv(rows)) == rows_of(sample(ASSESSMENT))


@pytest.mark.parametrize("name", [PROFILES, ASSESSMENT])
def test_file_resaved_with_comma_separator_reads_the_same(name):
    resaved = spreadsheet_csv(table(name), delimiter=",", encoding="utf-8", newline="\n")

    header, items = parse(resaved)

    assert header.delimiter == ","
    assert items == rows_of(sample(name))


def test_comma_separated_file_with_decimal_points_reads_the_same():
    rows = [
        [cell.replace(",", ".") if cell[:1].isdigit() else cell for cell in row]
        for row in table(ASSESSMENT)
    ]
    resaved = spreadsheet_csv(rows, delimiter=",", encoding="utf-8-sig")

    assert rows_of(resaved) == rows_of(sample(ASSESSMENT))


def test_comma_in_a_former_competence_name_does_not_fool_separator_detection():
    rows = rename_in_header(
        table(PROFILES),
        "Se protéger des risques",
        "Protéger la santé, le bien-être et l'environnement",
    )

    header, _items = parse(spreadsheet_csv(rows, delimiter=",", encoding="utf-8"))

    assert header.delimiter == ","
    assert header.competence_codes == ALL_CODES


def test_dates_resaved_with_seconds_or_without_time_are_accepted():
    rows = table(PROFILES)
    set_cell(rows, 2, "Date et heure de l'envoi (Europe/Paris)", "05/04/2026 16:48:30")
    set_cell(rows, 3, "Date et heure de l'envoi (Europe/Paris)", "13/03/2026")

    parsed = rows_of(pix_csv(rows))

    assert parsed[0].shared_at == datetime(2026, 4, 5, 16, 48, 30, tzinfo=PARIS)
    assert parsed[1].shared_at == datetime(2026, 3, 13, tzinfo=PARIS)


def test_yes_and_no_are_read_in_any_case():
    rows = table(PROFILES)
    set_cell(rows, 2, "Envoi (O/N)", "OUI")
    set_cell(rows, 2, "Certifiable (O/N)", "oui")
    set_cell(rows, 11, "Envoi (O/N)", "non")

    parsed = rows_of(pix_csv(rows))

    assert (parsed[0].shared, parsed[0].certifiable, parsed[9].shared) == (True, True, False)


def test_empty_lines_and_empty_trailing_cells_left_by_a_spreadsheet_are_ignored():
    rows = [[*row, ""] for row in table(PROFILES)] + [[""] * 45, [], [""] * 44]

    parsed = rows_of(spreadsheet_csv(rows))

    assert parsed == rows_of(sample(PROFILES))


def test_utf8_file_without_bom_is_read_as_utf8():
    data = sample(PROFILES).removeprefix(b"\xef\xbb\xbf")

    header, items = parse(data)

    assert header.encoding == "utf-8"
    assert items == rows_of(sample(PROFILES))


# --- optional columns -----------------------------------------------------------------------


def test_campaign_without_external_id_has_none():
    rows = drop_columns(table(PROFILES), "Matricule")

    header, items = parse(pix_csv(rows))

    assert header.external_id_label is None
    assert header.organisation_columns == ()
    assert {row.external_id for row in items} == {None}
    assert items[0].competences == rows_of(sample(PROFILES))[0].competences


def test_external_id_label_is_whatever_the_campaign_creator_typed():
    rows = table(ASSESSMENT)
    rows[0][column(rows, "Matricule")] = "Adresse e-mail professionnelle"
    for number, row in enumerate(rows[1:]):
        row[7] = f"agent{number}@exemple.gouv.fr"

    header, items = parse(pix_csv(rows))

    assert header.external_id_label == "Adresse e-mail professionnelle"
    assert items[0].external_id == "agent0@exemple.gouv.fr"


def test_organisation_columns_come_before_the_external_id():
    rows = table(PROFILES)
    insert_column(rows, "Matricule", "Classe", ["SG"] * 12)
    insert_column(rows, "Matricule", "Groupe", ["Groupe A", "Groupe B"] * 6)

    header, items = parse(pix_csv(rows))

    assert header.organisation_columns == ("Classe", "Groupe")
    assert header.external_id_label == "Matricule"
    assert items[0].organisation_values == {"Classe": "SG", "Groupe": "Groupe A"}
    assert items[0].external_id == "A1000"
    assert items[0].competences == rows_of(sample(PROFILES))[0].competences


def test_organisation_columns_without_external_id_are_not_taken_for_one():
    rows = drop_columns(table(ASSESSMENT), "Matricule")
    insert_column(rows, "% de progression", "Classe", ["3e B"] * 14)
    insert_column(rows, "% de progression", "Numéro Étudiant", ["22001"] * 14)

    header, items = parse(pix_csv(rows))

    assert header.organisation_columns == ("Classe", "Numéro Étudiant")
    assert header.external_id_label is None
    assert items[0].external_id is None
    assert items[0].organisation_values == {"Classe": "3e B", "Numéro Étudiant": "22001"}


def test_skill_columns_are_listed_and_their_values_ignored():
    rows = table(ASSESSMENT)
    for label, values in (("'@web1", ["OK", "KO", "Non testé"]), ("'@rechInfo2", ["KO"])):
        rows[0].append(label)
        for number, row in enumerate(rows[1:]):
            row.append("NA" if row[10] == "Non" else values[number % len(values)])

    header, items = parse(pix_csv(rows))

    assert header.skill_columns == ("'@web1", "'@rechInfo2")
    assert items == rows_of(sample(ASSESSMENT))


def test_exam_campaign_is_read_as_an_assessment_without_stages_or_badges():
    rows = drop_columns(table(ASSESSMENT), "Palier obtenu (/3)", "Badge thématique 1 obtenu (O/N)")
    for row in rows[1:]:
        row[3], row[4] = "Examen bureautique 2026", "Examen bureautique"

    header, items = parse(pix_csv(rows))

    assert header.kind == KIND_ASSESSMENT
    assert header.stage_count is None
    assert header.badge_names == ()
    assert items[0].target_profile == "Examen bureautique"
    assert items[0].stage is None
    assert items[0].competences == rows_of(sample(ASSESSMENT))[0].competences


# --- exports as Pix wrote them over time (files made by campaigns.pix_writer) ---------------


def exam_campaign(**kwargs) -> PixCampaign:
    """An EXAM campaign as Pix exported it between March 2025 and February 2026: no
    « % de progression » column."""
    values = {
        "pix_id": 93001,
        "name": "Examen bureautique 2025",
        "kind": KIND_ASSESSMENT,
        "code": "EXAM2025",
        "target_profile": "Examen bureautique",
        "external_id_label": "Matricule",
        "competence_codes": ("1.1", "3.1"),
        "progression_column": False,
    }
    return PixCampaign(**{**values, **kwargs})


def exam_row(last_name, first_name, external_id=None, *, shared=True, **kwargs):
    results = (
        PixResult("1.1", skills_total=10, skills_validated=7),
        PixResult("3.1", skills_total=4, skills_validated=4),
    )
    return PixParticipant(
        last_name=last_name,
        first_name=first_name,
        external_id=external_id,
        started_at=datetime(2025, 10, 6, 9, 15, tzinfo=PARIS),
        shared=shared,
        shared_at=datetime(2025, 10, 6, 10, 2, tzinfo=PARIS) if shared else None,
        results=results if shared else (),
        **kwargs,
    )


def test_exam_export_without_progression_column_is_read_with_progression_unknown():
    data = export_bytes(
        exam_campaign(),
        [exam_row("Martin", "Léa", "A12"), exam_row("Roux", "Paul", "B7", shared=False)],
    )
    assert "% de progression" not in data.decode("utf-8-sig").splitlines()[0]

    header, items = parse(data)

    assert header.kind == KIND_ASSESSMENT
    assert header.progression_column is False
    assert header.external_id_label == "Matricule"
    shared, started = items
    assert (shared.external_id, shared.progression, shared.shared) == ("A12", None, True)
    assert shared.started_at == datetime(2025, 10, 6, 9, 15, tzinfo=PARIS)
    assert shared.mastery_rate == Decimal("0.79")
    assert competence(shared, "3.1").mastery_rate == Decimal("1.0")
    assert (started.external_id, started.progression, started.shared) == ("B7", None, False)


def test_exam_export_without_progression_with_stages_organisation_columns_and_no_external_id():
    campaign = exam_campaign(
        external_id_label=None, organisation_columns=("Groupe",), stage_count=2
    )
    row = exam_row("Martin", "Léa", organisation_values={"Groupe": "Bureau"}, stage=1)

    header, (item,) = parse(export_bytes(campaign, [row]))

    assert (header.external_id_label, header.organisation_columns) == (None, ("Groupe",))
    assert (header.stage_count, header.progression_column) == (2, False)
    assert (item.organisation_values, item.stage, item.progression) == (
        {"Groupe": "Bureau"},
        1,
        None,
    )


def test_external_ids_with_leading_zeros_stay_text_in_an_exam_export_without_progression():
    rows = [exam_row("Martin", "Léa", "0612345"), exam_row("Roux", "Paul", "0012-34")]
    data = export_bytes(exam_campaign(), rows)
    assert ";0612345;" in data.decode("utf-8-sig")  # Pix writes it bare

    items = rows_of(data)

    assert [item.external_id for item in items] == ["0612345", "0012-34"]


def test_assessment_export_keeps_its_progression_column():
    header, (item,) = parse(
        export_bytes(
            exam_campaign(progression_column=True),
            [exam_row("Martin", "Léa", "1", progression=Decimal("0.5"))],
        )
    )

    assert header.progression_column is True
    assert item.progression == Decimal("0.5")


def test_partage_without_progression_nor_result_columns_is_not_a_pix_export():
    data = "Nom;Prénom;Partage (O/N)\nMartin;Léa;Oui\n".encode()

    assert refusal(data).startswith("Ce fichier n'est pas un export de résultats de campagne")


def test_former_competence_names_and_curly_apostrophes_are_matched():
    rows = table(PROFILES)
    rename_in_header(
        rows, "Se protéger des risques", "Protéger la santé, le bien-être et l'environnement"
    )
    rename_in_header(
        rows, "Construire un environnement numérique", "Évoluer dans un environnement numérique"
    )
    rename_in_header(rows, "S'insérer", "S’insérer")
    rename_in_header(rows, "Mener une recherche", "MENER UNE RECHERCHE")

    header, items = parse(pix_csv(rows))

    assert header.competence_codes == ALL_CODES
    assert competence(items[0], "4.3") == CompetenceValue("4.3", level=0, pix=2)
    assert competence(items[0], "5.2") == CompetenceValue("5.2", level=2, pix=17)


def test_competences_may_come_in_any_order_and_codes_follow_the_file():
    rows = table(OLDER)
    for row in rows:
        row[11:20] = row[17:20] + row[11:17]

    header, items = parse(pix_csv(rows))

    assert header.competence_codes == ("4.1", "1.1", "3.1")
    assert [value.code for value in items[1].competences] == ["4.1", "1.1", "3.1"]


def test_level_8_and_64_pix_are_accepted():
    rows = table(PROFILES)
    set_cell(rows, 2, "Niveau pour la compétence Interagir", "8")
    set_cell(rows, 2, "Nombre de pix pour la compétence Interagir", "64")

    first = rows_of(pix_csv(rows))[0]

    assert competence(first, "2.1") == CompetenceValue("2.1", level=8, pix=64)


def test_dates_follow_the_time_zone_named_in_the_header():
    rows = rename_in_header(table(ASSESSMENT), "(Europe/Paris)", "(America/Cayenne)")

    header, items = parse(pix_csv(rows))

    assert header.timezone == "America/Cayenne"
    assert items[0].started_at == datetime(2026, 3, 6, 18, 31, tzinfo=ZoneInfo("America/Cayenne"))
    assert items[0].started_at.utcoffset() == timedelta(hours=-3)


def test_unshared_row_with_results_is_started_and_its_results_are_ignored():
    rows = set_cell(table(ASSESSMENT), 2, "Partage (O/N)", "Non")

    first = rows_of(pix_csv(rows))[0]

    assert first.shared is False
    assert (first.shared_at, first.stage, first.mastery_rate) == (None, None, None)
    assert first.badges == ()
    assert first.competences == ()


def test_header_without_rows_gives_no_rows():
    header, items = parse(pix_csv(table(PROFILES)[:1]))

    assert header.kind == KIND_PROFILES
    assert items == []


def test_rows_can_be_read_twice_and_the_callers_file_stays_open():
    fileobj = io.BytesIO(sample(ASSESSMENT))
    export = open_export(fileobj)

    first_pass, second_pass = list(export.rows()), list(export.rows())

    assert first_pass == second_pass
    assert len(first_pass) == 14
    assert not fileobj.closed
    assert export.size == len(sample(ASSESSMENT))
    assert export.line_count == 15


# --- bad rows -------------------------------------------------------------------------------


def test_bad_integer_names_line_and_column():
    rows = set_cell(table(PROFILES), 7, "Nombre de pix pour la compétence Interagir", "abc")

    (error,) = errors_of(pix_csv(rows))

    assert error == ExportError(
        7, "Nombre de pix pour la compétence Interagir", "« abc » n'est pas un nombre entier."
    )
    assert str(error) == (
        "Ligne 7, colonne « Nombre de pix pour la compétence Interagir » : "
        "« abc » n'est pas un nombre entier."
    )
    assert error.as_dict() == {
        "line": 7,
        "column": "Nombre de pix pour la compétence Interagir",
        "message": "« abc » n'est pas un nombre entier.",
    }


def test_bad_row_is_reported_and_the_others_are_still_read():
    rows = set_cell(table(PROFILES), 7, "Nombre de pix total", "beaucoup")

    _header, items = parse(pix_csv(rows))

    assert [type(item).__name__ for item in items].count("ExportError") == 1
    assert [item.line for item in items] == list(range(2, 14))


def test_level_above_8_is_refused_for_its_row():
    rows = set_cell(table(PROFILES), 3, "Niveau pour la compétence Gérer des données", "9")

    (error,) = errors_of(pix_csv(rows))

    assert (error.line, error.column) == (3, "Niveau pour la compétence Gérer des données")
    assert error.message == "« 9 » n'est pas un niveau entre 0 et 8."


def test_pix_above_64_is_refused_for_its_row():
    rows = set_cell(table(PROFILES), 3, "Nombre de pix pour la compétence Gérer des données", "65")

    (error,) = errors_of(pix_csv(rows))

    assert error.message == "« 65 » n'est pas un nombre de pix entre 0 et 64."


@pytest.mark.parametrize("value", ["1,5", "-0,2", "55 %", "0,5,5"])
def test_rate_outside_0_and_1_is_refused_naming_the_column(value):
    label = "% de maitrise des acquis de la compétence Interagir"
    rows = set_cell(table(ASSESSMENT), 2, label, value)

    (error,) = errors_of(pix_csv(rows))

    assert (
        str(error) == f"Ligne 2, colonne « {label} » : « {value} » n'est pas un taux entre 0 et 1."
    )


def test_stage_above_the_stage_count_is_refused():
    rows = set_cell(table(ASSESSMENT), 2, "Palier obtenu (/3)", "4")

    (error,) = errors_of(pix_csv(rows))

    assert (error.column, error.message) == (
        "Palier obtenu (/3)",
        "« 4 » n'est pas un palier entre 0 et 3.",
    )


def test_unreadable_yes_no_and_date_are_refused():
    rows = table(ASSESSMENT)
    set_cell(rows, 2, "Partage (O/N)", "Peut-être")
    set_cell(rows, 3, "Date et heure de début (Europe/Paris)", "31/02/2026 10:00")

    first, second = errors_of(pix_csv(rows))

    assert first.message == "« Peut-être » n'est ni « Oui » ni « Non »."
    assert second.column == "Date et heure de début (Europe/Paris)"
    assert "n'est pas une date" in second.message


def test_row_with_the_wrong_number_of_cells_is_reported_with_its_line():
    rows = table(PROFILES)
    del rows[4][-1]
    rows[6].append("12")

    errors = errors_of(pix_csv(rows))

    assert [(error.line, error.column, error.message) for error in errors] == [
        (5, None, "la ligne a 43 cellules au lieu de 44."),
        (7, None, "la ligne a 45 cellules au lieu de 44."),
    ]
    assert str(errors[0]) == "Ligne 5 : la ligne a 43 cellules au lieu de 44."


def test_row_of_another_campaign_is_refused():
    rows = set_cell(table(ASSESSMENT), 6, "ID Campagne", "90005")

    _header, items = parse(pix_csv(rows))
    (error,) = [item for item in items if isinstance(item, ExportError)]

    assert (error.line, error.column) == (6, "ID Campagne")
    assert "90005" in error.message and "90002" in error.message
    assert len(items) == 14


def test_file_cut_in_its_last_row_is_reported_truncated():
    data = sample(PROFILES)

    _header, items = parse(data[:-40])

    assert all(isinstance(item, ExportRow) for item in items[:-1])
    assert items[-1].line == 13
    assert "tronqué" in items[-1].message
    assert "cellules au lieu de 44" in items[-1].message


def test_file_cut_inside_a_quoted_last_cell_is_reported_truncated():
    data = sample(ASSESSMENT)
    cut = data[: data.rstrip(b"\n").rindex(b'"NA"') + 2]  # ends with `"N`

    last = list(open_export(io.BytesIO(cut)).rows())[-1]

    assert isinstance(last, ExportError)
    assert (last.line, "tronqué" in last.message) == (15, True)


def test_file_cut_inside_a_character_is_read_as_utf8_and_reported_truncated():
    data = sample(ASSESSMENT)
    cut = data[: data.rindex("Öztürk".encode()) + 1]  # half of « Ö »

    header, items = parse(cut)

    assert header.encoding == "utf-8"
    assert "tronqué" in items[-1].message
    assert items[0].last_name == "Lefèvre"


# --- refused files --------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b" \r\n\n"])
def test_empty_file_is_refused(data):
    assert refusal(data) == "Le fichier est vide."


def test_binary_file_is_refused():
    assert refusal(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR").startswith(
        "Ce fichier n'est pas un fichier texte (CSV)"
    )


def test_xlsx_file_is_refused_with_the_advice_to_save_it_as_csv():
    message = refusal(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml")

    assert message.startswith("Ce fichier n'est pas un fichier texte (CSV)")
    assert "xlsx" in message
    assert "enregistrez-le au format CSV" in message


def test_pdf_file_is_refused_with_the_advice_to_save_it_as_csv():
    message = refusal(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    assert "PDF" in message and "enregistrez-le au format CSV" in message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_file_is_refused(encoding):
    data = sample(PROFILES).decode("utf-8-sig").encode(encoding)

    message = refusal(data)

    assert message.startswith("Ce fichier n'est pas un fichier texte (CSV)")
    assert "UTF-16" in message


def test_text_with_bytes_undefined_in_windows_1252_is_refused():
    data = "Nom de l'organisation;Prénom\n".encode("latin-1") + b"Caf\x81;\x8d\x90\n"

    assert refusal(data) == (
        "Le fichier n'est ni en UTF-8 ni en Windows-1252 : enregistrez-le au format "
        "« CSV UTF-8 » depuis votre tableur, ou téléchargez à nouveau l'export depuis Pix Orga."
    )


def test_windows_1252_text_is_accepted():
    rows = table(OLDER)

    header, _items = parse(spreadsheet_csv(rows, encoding="cp1252"))

    assert header.encoding == "cp1252"


def test_hr_agent_list_is_not_a_pix_export():
    message = refusal(HR_AGENT_LIST.encode())

    assert message.startswith("Ce fichier n'est pas un export de résultats de campagne Pix Orga")


CERTIFIED = {
    "Numéro de certification": "123456",
    "Prénom": "Léa",
    "Nom": "Martin",
    "Identifiant Externe": "0612345",
    "Statut": "Validée",
    "Type de certification": "Certification Pix",
    "Résultat": 412,
    "Nombre de Pix": 412,
}
RIGHT_FILE = "Téléchargez les résultats depuis l'onglet « Résultats » de la campagne dans Pix Orga."


@pytest.mark.parametrize("since_march_2026", [True, False])
def test_certification_results_are_refused_naming_them(since_march_2026):
    data = table_bytes(
        certification_results_columns(since_march_2026=since_march_2026), [CERTIFIED]
    )

    message = refusal(data)

    assert message.startswith("Ce fichier est un export des résultats de certification Pix, pas")
    assert message.endswith(RIGHT_FILE)


def test_certification_results_resaved_by_a_spreadsheet_are_refused_naming_them():
    data = resave_like_spreadsheet(table_bytes(certification_results_columns(), [CERTIFIED]))

    assert refusal(data).startswith("Ce fichier est un export des résultats de certification Pix")


def test_pix_orga_participants_list_is_refused_naming_it():
    row = {
        "Nom du Participant": "Martin",
        "Prénom du Participant": "Léa",
        "Nombre de participations": 2,
    }

    message = refusal(table_bytes(participants_list_columns(), [row]))

    assert message == (
        "Ce fichier est une liste de participants de Pix Orga, pas un export de résultats de "
        f"campagne : il ne contient aucun résultat. {RIGHT_FILE}"
    )


def test_unknown_competence_refuses_the_file_naming_it():
    rows = rename_in_header(table(ASSESSMENT), "Programmer", "Dessiner")

    message = refusal(pix_csv(rows))

    assert message.startswith("Compétence inconnue « Dessiner »")
    assert "« % de maitrise des acquis de la compétence Dessiner »" in message


def test_missing_competence_of_a_profiles_collection_refuses_the_file():
    rows = drop_columns(
        table(PROFILES),
        "Niveau pour la compétence Programmer",
        "Nombre de pix pour la compétence Programmer",
    )

    assert "« Programmer »" in refusal(pix_csv(rows))


def test_incomplete_competence_columns_refuse_the_file():
    rows = drop_columns(
        table(OLDER), "Acquis maitrisés dans la compétence Développer des documents textuels"
    )

    message = refusal(pix_csv(rows))

    assert "Acquis maitrisés dans la compétence Développer des documents textuels" in message


def test_missing_required_column_refuses_the_file_naming_it():
    rows = drop_columns(table(PROFILES), "Nom de la campagne")

    message = refusal(pix_csv(rows))

    assert message.startswith("L'en-tête ne correspond pas à un export de résultats Pix Orga")
    assert "« Nom de la campagne »" in message


def test_file_over_the_size_limit_is_refused():
    message = refusal(sample(ASSESSMENT), max_bytes=10_000)

    assert message == "Le fichier pèse 11 ko, au-delà de la limite de 10 ko."


def test_file_within_the_size_limit_is_accepted():
    header, _items = parse(sample(ASSESSMENT), max_bytes=len(sample(ASSESSMENT)))

    assert header.kind == KIND_ASSESSMENT


def test_refusal_carries_its_errors_for_the_import_record():
    with pytest.raises(ExportRefused) as refused:
        open_export(io.BytesIO(b""))

    assert [error.as_dict() for error in refused.value.errors] == [
        {"line": None, "column": None, "message": "Le fichier est vide."}
    ]


# --- messages and file names ----------------------------------------------------------------


def test_error_sentence_depends_on_what_it_names():
    assert str(ExportError(None, None, "Le fichier est vide.")) == "Le fichier est vide."
    assert str(ExportError(4, None, "la ligne a 3 cellules au lieu de 44.")) == (
        "Ligne 4 : la ligne a 3 cellules au lieu de 44."
    )
    assert str(ExportError(None, "Code", "manque.")) == "Colonne « Code » : manque."


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "Resultats-Évaluation socle numérique 2026-90002-2026-04-15-0930.csv",
            datetime(2026, 4, 15, 9, 30, tzinfo=PARIS),
        ),
        (
            "Resultats-Collecte - DREAL-2026-90001-2026-01-05-1402.csv",
            datetime(2026, 1, 5, 14, 2, tzinfo=PARIS),
        ),
        (
            "C:\\Users\\agent\\Downloads\\Resultats-Test-12-2026-04-15-0930 (1).csv",
            datetime(2026, 4, 15, 9, 30, tzinfo=PARIS),
        ),
        ("export.csv", None),
        ("Resultats-Test-12-2026-13-15-0930.csv", None),
        ("Resultats-Test-2026-04-15-0930.csv", None),
        ("Resultats-Test-12-2026-04-15-0930.xlsx", None),
    ],
)
def test_export_date_is_read_from_the_file_name(name, expected):
    assert parse_export_filename(name) == expected


def test_export_date_from_the_file_name_is_aware_with_the_paris_offset():
    exported_at = parse_export_filename("Resultats-X-1-2026-04-15-0930.csv")

    assert exported_at.utcoffset() == timedelta(hours=2)
