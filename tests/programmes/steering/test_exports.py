"""CSV and XLSX exports: what Excel opens right, formulas never live, and who may download
which list."""

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.enums import MatchStatus, ParticipationStatus
from lib.exports import (
    BOM,
    Column,
    Kind,
    Table,
    csv_bytes,
    neutralise,
    sheet_title,
    shorten,
    xlsx_bytes,
)
from programmes.models import ResultAccessLog
from programmes.steering.stats import population_stats_refresh
from tests.agents.factories import AgentFactory
from tests.programmes.factories import EnrolmentFactory, TargetPopulationFactory
from tests.programmes.import_factories import ParticipationFactory

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+33 1 23", "'+33 1 23"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        # Full-width forms, which a spreadsheet may read as their ASCII twins (NFKC).
        ("＝cmd|' /C calc'!A0", "'＝cmd|' /C calc'!A0"),
        ("＋33 1 23", "'＋33 1 23"),
        ("－2+3", "'－2+3"),
        ("＠SUM(A1)", "'＠SUM(A1)"),
        ("﹦1", "'﹦1"),
        ("Dupont", "Dupont"),
        ("Jean-Paul", "Jean-Paul"),
        ("", ""),
        (-3, -3),
        (4.5, 4.5),
        (None, None),
    ],
)
def test_neutralise_prefixes_texts_a_spreadsheet_would_run(value, expected):
    assert neutralise(value) == expected


def table():
    return Table(
        "agents",
        "=Agents",
        [
            Column("Nom"),
            Column("Objectifs atteints", Kind.COUNT),
            Column("Part (%)", Kind.PERCENT),
            Column("Inscrit le", Kind.DATE),
            Column("Dernière activité", Kind.DATETIME),
        ],
        [
            ["=cmd", 2, 45.5, date(2026, 3, 2), datetime(2026, 3, 2, 9, 30, tzinfo=PARIS)],
            ["Lefèvre ; Zoé", 0, None, None, None],
            ["Nul\x00Part\x1f", 1, 10.0, None, None],
        ],
    )


def test_csv_is_utf8_with_bom_semicolons_decimal_commas_and_french_dates():
    content = csv_bytes([table()])
    assert content.startswith(BOM.encode("utf-8"))
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Nom", "Objectifs atteints", "Part (%)", "Inscrit le", "Dernière activité"]
    assert rows[1] == ["'=cmd", "2", "45,5", "02/03/2026", "02/03/2026 09:30"]
    assert rows[2] == ["Lefèvre ; Zoé", "0", "", "", ""]  # quoted, so the « ; » stays in


def test_csv_of_several_tables_puts_each_under_its_caption():
    second = Table("b", "Deuxième", [Column("x")], [["y"]])
    text = csv_bytes([table(), second]).decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[0] == "'=Agents"  # a caption is a cell too
    assert "" in lines and "Deuxième" in lines


def test_xlsx_reads_back_with_numbers_dates_and_inert_formulas():
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx_bytes([table()])))
    sheet = workbook.worksheets[0]
    assert sheet.title == "=Agents"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "'=Agents"
    assert rows[1] == ("Nom", "Objectifs atteints", "Part (%)", "Inscrit le", "Dernière activité")
    name, met, share, enrolled, activity = rows[2]
    assert name == "'=cmd"
    assert sheet.cell(row=3, column=1).data_type == "s"  # a string, not a formula
    assert (met, share) == (2, 0.455)  # 45,5 %, a number a spreadsheet can add up
    assert sheet.cell(row=3, column=3).number_format == "0.0%"
    assert sheet.cell(row=3, column=2).number_format == "#,##0"
    assert enrolled == datetime(2026, 3, 2)
    assert activity == datetime(2026, 3, 2, 9, 30)
    assert rows[4][0] == "NulPart"  # characters XML cannot hold are dropped
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row if cell.value)


def test_sheet_names_follow_excel_rules():
    tables = [
        Table(str(n), "Part à l’objectif : [par] compétence / population", [], []) for n in (1, 2)
    ]
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(tables)))
    titles = workbook.sheetnames
    assert len(set(titles)) == 2
    assert all(len(title) <= 31 and not set(title) & set("[]:*?/\\") for title in titles)


def test_a_year_is_shown_as_written_and_a_share_of_one_as_a_percentage():
    from lib.exports import display

    assert display(2026, Kind.YEAR) == "2026"
    assert display(2026, Kind.COUNT) != "2026"  # a count has its thousands separator
    assert display(0.455, Kind.RATIO) == "45,5\u202f%"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Comparaison des populations", "Comparaison des populations"),
        ("Freins au dernier point d’étape", "Freins au dernier point d’étape"),  # 31: kept
        ("Part à l’objectif par compétence — Assistants", "Part à l’objectif…"),
        ("Entonnoirs de progression par population", "Entonnoirs de progression…"),
        ("Objectifs — Agents de catégorie C du siège", "Objectifs — Agents…"),
        ("Anticonstitutionnellementissimement", "Anticonstitutionnellementissim…"),
    ],
)
def test_a_long_name_is_cut_after_a_whole_word(text, expected):
    assert shorten(text, 31) == expected


def test_sheet_titles_are_unique_short_and_cut_between_words():
    taken = set()
    long = "Objectifs personnels par compétence — Assistants de direction"
    titles = [sheet_title(long, taken) for _n in range(3)]
    titles += [sheet_title("'History'", taken), sheet_title("a/b:c", taken)]
    assert titles == [
        "Objectifs personnels…",
        "Objectifs personnels… (2)",
        "Objectifs personnels… (3)",
        "Historique",
        "a b c",
    ]
    assert all(len(title) <= 31 for title in titles)


def test_xlsx_columns_are_sized_to_their_content_and_the_header_frozen():
    rows = [["Lefèvre-Dupont de la Villardière", 12345, 5.0, None, None]]
    tables = [Table("a", "Agents", table().columns, rows), table()]
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(tables)))
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A3"  # caption and header stay in view
        widths = [sheet.column_dimensions[letter].width for letter in "ABCDE"]
        assert all(8 <= width <= 60 for width in widths)
    first = workbook.worksheets[0].column_dimensions
    assert first["A"].width == len("Lefèvre-Dupont de la Villardière") + 2
    assert first["B"].width == len("Objectifs atteints") + 2  # the header is the widest
    assert workbook.worksheets[1].column_dimensions["D"].width == 12 + 2  # a date: dd/mm/yyyy


# --- Population lists, for those who see individuals --------------------------------------


@pytest.fixture
def listed(cast):
    """An agent named like a formula, with a participation, in the cast's population."""
    agent = AgentFactory(last_name="=cmd", first_name="@Zoé", external_id="-M1")
    EnrolmentFactory(agent=agent, population=cast.population)
    participation = ParticipationFactory(
        agent=agent,
        match_status=MatchStatus.EXTERNAL_ID,
        status=ParticipationStatus.STARTED,
        last_progress_at=timezone.now(),
    )
    cast.programme.campaigns.add(participation.campaign)
    return agent


def _export(client, user, population, fmt):
    client.force_login(user)
    return client.get(
        reverse("programmes:population_export", kwargs={"pk": population.pk, "fmt": fmt})
    )


def test_ambassador_downloads_the_population_as_csv_with_statuses(client, cast, listed):
    response = _export(client, cast.ambassador, cast.population, "csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="agents-assistants-')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == ["Nom", "Prénom", "Matricule", "Unité", "Statut"]
    assert len(rows) == 1 + 7  # the team of six and the formula-named agent
    by_name = {row[0]: row for row in rows[1:]}  # random names may repeat: "'=cmd" cannot
    assert by_name["'=cmd"][1:3] == ["'@Zoé", "'-M1"]
    assert by_name["'=cmd"][4] == "En cours"
    assert by_name["'=cmd"][5:7] == ["0", "1"]
    assert by_name[cast.agent_agent.last_name][4] == "Non commencé"


def test_ambassador_downloads_the_population_as_xlsx(client, cast, listed):
    response = _export(client, cast.ambassador, cast.population, "xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    names = [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert "'=cmd" in names and len(names) == 7


def test_every_agent_of_an_exported_list_is_logged_as_viewed(client, cast, listed):
    _export(client, cast.ambassador, cast.population, "csv")
    logged = ResultAccessLog.objects.filter(viewer=cast.ambassador, programme=cast.programme)
    assert logged.count() == 7
    assert set(logged.values_list("path", flat=True)) == {
        reverse("programmes:population_export", kwargs={"pk": cast.population.pk, "fmt": "csv"})
    }


def test_owner_of_a_self_assessment_programme_may_not_download_individuals(client, cast):
    assert _export(client, cast.owner, cast.population, "csv").status_code == 403
    assert not ResultAccessLog.objects.exists()


def test_owner_of_a_managerial_programme_downloads_individuals(client, managerial_cast):
    response = _export(client, managerial_cast.owner, managerial_cast.population, "xlsx")
    assert response.status_code == 200


def test_unknown_format_is_not_found(client, cast):
    client.force_login(cast.ambassador)
    url = f"/populations/{cast.population.pk}/agents.pdf"
    assert client.get(url).status_code == 404


# --- Dashboard tables ------------------------------------------------------------------------


def _dashboard_file(client, user, fmt, **params):
    client.force_login(user)
    url = reverse("programmes:dashboard_export", kwargs={"slug": "programme-dr", "fmt": fmt})
    return client.get(url, params)


def _sheet_rows(sheet):
    return list(sheet.iter_rows(min_row=3, values_only=True))


def test_dashboard_xlsx_has_a_sheet_per_table_with_the_page_figures(client, cast):
    population_stats_refresh(population=cast.population, on=timezone.localdate())
    # Its ambassador: for the owner, a population where nobody shared results has no figure.
    response = _dashboard_file(client, cast.ambassador, "xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(
        'attachment; filename="tableau-de-bord-programme-dr-assistants-'
    )
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames[:4] == [
        "À propos",
        "Comparaison",
        "Compétences par population",
        "Entonnoirs",
    ]
    comparison = _sheet_rows(workbook["Comparaison"])
    assert comparison[0][0] == "Assistants"
    assert comparison[0][2] == 6  # enrolled
    share = workbook["Comparaison"].cell(row=3, column=8)  # « Part à l’objectif »
    assert (share.value, share.number_format) == (0.0, "0.0%")
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A3"
        assert len(sheet.title) <= 31 and not set(sheet.title) & set("[]:*?/\\")
        assert all(sheet.column_dimensions[cell.column_letter].width >= 8 for cell in sheet[2]), (
            sheet.title
        )


def test_dashboard_xlsx_holds_every_population_funnel_and_names_the_chosen_one(
    client, managerial_cast
):
    cast = managerial_cast
    managers = TargetPopulationFactory(programme=cast.programme, name="Encadrants supérieurs")
    for agent in AgentFactory.create_batch(2):
        EnrolmentFactory(agent=agent, population=managers)
    for population in (cast.population, managers):
        population_stats_refresh(population=population, on=timezone.localdate())

    response = _dashboard_file(client, cast.owner, "xlsx", population=managers.pk)

    assert (
        'filename="tableau-de-bord-programme-dr-encadrants-superieurs-'
        in (response["Content-Disposition"])
    )
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    about = dict(_sheet_rows(workbook["À propos"]))
    assert about["Programme"] == "Programme Pix DR"
    assert about["Population choisie à l’écran"] == "Encadrants supérieurs"
    assert "Objectifs — Encadrants…" in workbook.sheetnames  # 31 characters, whole words
    assert workbook["Objectifs — Encadrants…"]["A1"].value.endswith("Encadrants supérieurs")
    funnels = workbook["Entonnoirs"]
    rows = _sheet_rows(funnels)
    assert [row[:3] for row in rows if row[1] == "Inscrits"] == [
        ("Assistants", "Inscrits", 6),
        ("Encadrants supérieurs", "Inscrits", 2),
    ]
    assert len(rows) == 2 * 5  # five steps each
    assert {row[3] for row in rows if row[1] == "Inscrits"} == {1.0}  # 100 %
    for cell in funnels["D"][2:]:
        assert isinstance(cell.value, int | float) and cell.number_format == "0.0%"
    # The page says so beside the buttons.
    page = client.get(
        reverse("programmes:dashboard", kwargs={"slug": "programme-dr"}),
        {"population": managers.pk},
    )
    assert "le détail de la population choisie : Encadrants supérieurs" in page.content.decode()


def test_dashboard_csv_says_less_than_five_for_a_small_population(client, cast):
    from tests.programmes.factories import TargetPopulationFactory

    small = TargetPopulationFactory(programme=cast.programme, name="Petit groupe")
    EnrolmentFactory.create_batch(3, population=small)
    population_stats_refresh(population=small, on=timezone.localdate())
    client.force_login(cast.owner)
    url = reverse("programmes:dashboard_export", kwargs={"slug": cast.programme.slug, "fmt": "csv"})
    text = client.get(url).content.decode("utf-8-sig")
    small_row = next(line for line in text.split("\r\n") if line.startswith("Petit groupe;"))
    assert "moins de 5" in small_row
    assert ";3;" not in small_row
    # Its funnel is in the file, with no figure of it.
    funnel = [line for line in text.split("\r\n") if line.startswith("Petit groupe;Inscrits")]
    assert funnel == ["Petit groupe;Inscrits;moins de 5;"]
