"""Pix Orga imports from a programme's pages: upload, preview, confirmation, history, files,
and the queue of participants waiting for an agent."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from agents.models import Agent
from campaigns.enums import ImportStatus, MatchStatus
from campaigns.importing.planning import ImportPlan, _warnings
from campaigns.models import Campaign, Competence, CompetenceResult, Participation, ResultImport
from campaigns.pix_writer import export_bytes
from programmes import perms
from programmes.imports.services import agent_create_from_participant
from programmes.imports.views import programme_for_import
from programmes.models import Enrolment
from tests.agents.factories import AgentFactory, UserFactory
from tests.campaigns.factories import assessed, assessment_campaign, paris
from tests.programmes.factories import EnrolmentFactory
from tests.programmes.import_factories import (
    CompetenceResultFactory,
    ParticipationFactory,
    media_root,  # noqa: F401 - fixture
    programme_import,
    refused_import,
    waiting_participation,
)

DATA = Path(__file__).parents[2] / "campaigns" / "data"  # the shared Pix samples
SAMPLE = (DATA / "profiles-collection.csv").read_bytes()
SAMPLE_NAME = "Resultats-Collecte de profils 2026-90001-2026-04-07-0930.csv"


@pytest.fixture(autouse=True)
def _uploads_in_tmp(media_root):  # noqa: F811 - the fixture imported above
    return media_root


def url(name, cast, **kwargs):
    return reverse(f"programmes:{name}", kwargs={"slug": cast.programme.slug, **kwargs})


def upload(content=SAMPLE, name=SAMPLE_NAME):
    return SimpleUploadedFile(name, content, content_type="text/csv")


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def known_agents(cast):
    """Agents of the sample: two by matricule, one by name only; the others are unknown."""
    return {
        "robert": AgentFactory(last_name="Robert", first_name="Jean-Baptiste", external_id="A1000"),
        "bernard": AgentFactory(last_name="Bernard", first_name="Nadia", external_id="1000001"),
        "marie": AgentFactory(last_name="Öztürk", first_name="Marie", external_id=None),
    }


@pytest.fixture
def enrolled(cast, known_agents):
    for agent in known_agents.values():
        EnrolmentFactory(agent=agent, population=cast.population)
    return known_agents


def uploaded(client, cast, user=None, content=SAMPLE, name=SAMPLE_NAME):
    """Upload a file as the ambassador; return the import it made and the response."""
    client.force_login(user or cast.ambassador)
    response = client.post(url("import_upload", cast), {"file": upload(content, name)})
    result_import = ResultImport.objects.order_by("-pk").first()
    return result_import, response


def confirmed(client, cast, result_import):
    return client.post(url("import_confirm", cast, import_id=result_import.pk))


# --- Who may import --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role,allowed",
    [
        ("owner", True),
        ("ambassador", True),
        ("staff", True),
        ("manager", False),
        ("agent", False),
        ("outsider", False),
    ],
)
def test_only_owners_ambassadors_and_staff_may_import_results(cast, role, allowed):
    assert perms.can_import_results(getattr(cast, role), cast.programme) is allowed


def test_a_programme_level_ambassador_may_import_but_not_another_programmes(cast):
    programme_ambassador = UserFactory()
    cast.programme.ambassadors.add(programme_ambassador)
    elsewhere = UserFactory()
    cast.other_population.ambassadors.add(elsewhere)

    assert perms.can_import_results(programme_ambassador, cast.programme)
    assert not perms.can_import_results(elsewhere, cast.programme)


def test_an_ambassador_of_another_programme_gets_404(client, cast):
    elsewhere = UserFactory()
    cast.other_population.ambassadors.add(elsewhere)
    client.force_login(elsewhere)

    assert client.get(url("import_upload", cast)).status_code == 404
    assert client.get(url("unmatched_list", cast)).status_code == 404


def test_a_visible_programme_without_the_import_right_answers_403(cast, monkeypatch):
    monkeypatch.setattr(perms, "can_import_results", lambda user, programme: False)

    with pytest.raises(PermissionDenied):
        programme_for_import(cast.owner, cast.programme.slug)


PAGES = [
    ("import_history", lambda c: {}),
    ("import_upload", lambda c: {}),
    ("import_detail", lambda c: {"import_id": programme_import(c.programme).pk}),
    ("unmatched_list", lambda c: {}),
    ("unmatched_detail", lambda c: {"participation_id": waiting_participation(c.programme).pk}),
]


@pytest.mark.parametrize("role", ["owner", "ambassador", "staff", "manager", "agent", "outsider"])
@pytest.mark.parametrize("case", range(len(PAGES)))
def test_each_page_opens_for_importers_and_is_404_for_the_others(client, cast, role, case):
    name, kwargs_for = PAGES[case]
    client.force_login(getattr(cast, role))

    response = client.get(url(name, cast, **kwargs_for(cast)))

    expected = 200 if role in ("owner", "ambassador", "staff") else 404
    assert response.status_code == expected


@pytest.mark.parametrize("role", ["manager", "agent", "outsider"])
def test_other_roles_cannot_upload_confirm_or_match(client, cast, role):
    result_import = programme_import(cast.programme, status=ImportStatus.READY)
    waiting = waiting_participation(cast.programme)
    imports_before = ResultImport.objects.count()
    client.force_login(getattr(cast, role))

    assert client.post(url("import_upload", cast), {"file": upload()}).status_code == 404
    assert confirmed(client, cast, result_import).status_code == 404
    match = url("unmatched_match", cast, participation_id=waiting.pk)
    assert client.post(match, {"agent": cast.agent_agent.pk}).status_code == 404

    result_import.refresh_from_db()
    waiting.refresh_from_db()
    assert result_import.status == ImportStatus.READY
    assert waiting.agent is None
    assert ResultImport.objects.count() == imports_before


# --- Upload, preview, confirmation ------------------------------------------------------------


def test_upload_page_explains_the_export_and_has_a_csv_file_input(client, cast):
    client.force_login(cast.ambassador)

    html = client.get(url("import_upload", cast)).content.decode()

    assert "<h1>Importer un export Pix Orga</h1>" in html
    assert "Exporter les résultats (.csv)" in html
    assert "Rien n’est enregistré avant votre confirmation" in html
    assert 'enctype="multipart/form-data"' in html
    assert 'accept=".csv,text/csv"' in html


def test_upload_shows_the_preview_and_writes_no_result(client, cast, enrolled):
    result_import, response = uploaded(client, cast)

    assert response.status_code == 302
    assert response.url == url("import_detail", cast, import_id=result_import.pk)
    assert result_import.status == ImportStatus.READY
    assert result_import.programme_link.programme == cast.programme
    assert result_import.uploaded_by == cast.ambassador
    assert not Participation.objects.exists()
    assert not CompetenceResult.objects.exists()

    response = client.get(response.url)
    html = response.content.decode()
    assert "Aperçu avant import" in html
    # The campaign is not created before confirmation, but the preview names it.
    assert "Collecte de profils 2026 (DREALCOL26) — n° 90001" in html
    assert "nouvelle campagne" in html
    counts = dict(zip(*[iter(_cells(html, "import-counts"))] * 2, strict=True))
    assert counts == {
        "Lignes du fichier": "12",
        "dont résultats partagés": "11",
        "Participations nouvelles": "12",
        "Participations mises à jour": "0",
        "Résultats par compétence ajoutés": str(11 * 16),
        "Participants rapprochés d’un agent": "2",
        "Rapprochés par le nom, à confirmer": "1",
        "Participants non rapprochés": "9",
        "Lignes d’apprenants anonymisés par Pix (jamais rapprochées)": "0",
    }
    assert "Confirmer l’import" in html
    assert 'name="csrfmiddlewaretoken"' in html


def _cells(html, table_id):
    """The text of every th/td of a table's body, in order."""
    table = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", body, re.S)
    ]


def test_confirming_imports_the_results_and_attaches_the_campaign(client, cast, enrolled):
    result_import, _ = uploaded(client, cast)

    response = confirmed(client, cast, result_import)

    assert response.status_code == 302
    result_import.refresh_from_db()
    assert result_import.status == ImportStatus.DONE
    assert messages_of(response) == [
        "Import terminé. Participations créées : 12 ; mises à jour : 0 ; résultats ajoutés : 176."
    ]
    campaign = Campaign.objects.get(pix_id=90001)
    assert cast.programme.campaigns.filter(pk=campaign.pk).exists()
    assert Participation.objects.filter(campaign=campaign).count() == 12
    assert Participation.objects.get(agent=enrolled["robert"]).results.count() == 16
    html = client.get(response.url).content.decode()
    assert "Import terminé" in html
    assert reverse("programmes:unmatched_list", args=[cast.programme.slug]) in html
    assert reverse("programmes:import_history", args=[cast.programme.slug]) in html


def test_the_same_file_uploaded_again_changes_nothing_and_says_so(client, cast, enrolled):
    first, _ = uploaded(client, cast)
    confirmed(client, cast, first)
    results_before = CompetenceResult.objects.count()

    second, response = uploaded(client, cast, user=cast.owner)

    assert second.pk != first.pk
    assert second.status == ImportStatus.DUPLICATE
    html = client.get(response.url).content.decode()
    assert "Ce fichier a déjà été importé le" in html
    assert "rien n’a changé" in html
    assert url("import_detail", cast, import_id=first.pk) in html
    assert CompetenceResult.objects.count() == results_before


def test_cancelling_a_preview_writes_nothing(client, cast):
    result_import, _ = uploaded(client, cast)

    response = client.post(url("import_cancel", cast, import_id=result_import.pk))

    assert response.url == url("import_history", cast)
    result_import.refresh_from_db()
    assert result_import.status == ImportStatus.CANCELLED
    assert not Participation.objects.exists()
    assert confirmed(client, cast, result_import).status_code == 302
    result_import.refresh_from_db()
    assert result_import.status == ImportStatus.CANCELLED


def test_a_file_that_is_not_a_pix_export_is_refused_in_french_and_writes_nothing(client, cast):
    hr_list = "matricule;nom;prénom;email\nM1;Dupont;Hélène;h@x.fr\n".encode()

    result_import, response = uploaded(client, cast, content=hr_list, name="agents.csv")

    assert result_import.status == ImportStatus.REFUSED
    html = client.get(response.url).content.decode()
    assert "Le fichier n’a pas été importé" in html
    assert "Aucune donnée n’a été enregistrée" in html
    assert "Pix" in html
    assert "Confirmer l’import" not in html
    assert (Campaign.objects.count(), Participation.objects.count()) == (0, 0)


def test_a_binary_file_named_csv_is_refused_without_error_page(client, cast):
    result_import, response = uploaded(client, cast, content=bytes(range(256)) * 8)

    assert response.status_code == 302
    assert result_import.status == ImportStatus.REFUSED
    assert client.get(response.url).status_code == 200
    assert not Participation.objects.exists()


def test_a_broken_row_is_shown_with_its_line_and_column(client, cast):
    lines = SAMPLE.decode("utf-8-sig").split("\n")
    lines[3] = lines[3].replace('"Oui";"21/03/2026', '"Peut-être";"21/03/2026')
    result_import, response = uploaded(client, cast, content="\n".join(lines).encode("utf-8"))

    assert result_import.status == ImportStatus.REFUSED
    html = client.get(response.url).content.decode()
    line, column, message = _cells(html, "import-errors")[:3]
    assert (line, column) == ("4", "Envoi (O/N)")
    assert message
    assert not Participation.objects.exists()


@pytest.mark.parametrize(
    "post,error",
    [
        ({}, "Choisissez le fichier CSV exporté de Pix Orga."),
        ({"file": upload(SAMPLE, "resultats.xlsx")}, "Choisissez un fichier CSV (.csv)"),
        ({"file": upload(b"", "vide.csv")}, "Le fichier est vide"),
    ],
)
def test_bad_uploads_get_a_french_form_error_and_nothing_is_stored(client, cast, post, error):
    client.force_login(cast.ambassador)

    response = client.post(url("import_upload", cast), post)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not ResultImport.objects.exists()


def test_a_file_over_the_limit_gets_a_french_form_error(client, cast, settings):
    settings.PIX_EXPORT_MAX_BYTES = 1000
    client.force_login(cast.ambassador)

    response = client.post(url("import_upload", cast), {"file": upload()})

    assert response.status_code == 200
    assert "au-delà de la limite de 1\u00a0000\u00a0octets" in response.content.decode()
    assert not ResultImport.objects.exists()


def test_an_import_in_progress_shows_its_progress_and_refreshes_until_stopped(client, cast):
    running = programme_import(
        cast.programme, status=ImportStatus.ANALYSING, progress_done=120, progress_total=1000
    )
    client.force_login(cast.ambassador)
    page = url("import_detail", cast, import_id=running.pk)

    response = client.get(page)

    assert response["Refresh"] == "2"
    html = response.content.decode()
    assert '<progress id="import-progress" max="1000" value="120">' in html
    assert "120 lignes traitées sur 1\u00a0000" in html
    assert "Arrêter l’actualisation automatique" in html
    assert 'http-equiv="refresh"' not in html
    stopped = client.get(page, {"actualiser": "non"})
    assert not stopped.has_header("Refresh")
    assert "Reprendre l’actualisation automatique" in stopped.content.decode()


def test_a_finished_import_does_not_refresh(client, cast):
    done = programme_import(cast.programme)
    client.force_login(cast.ambassador)

    assert not client.get(url("import_detail", cast, import_id=done.pk)).has_header("Refresh")


def test_confirming_an_import_that_is_not_ready_changes_nothing(client, cast):
    done = programme_import(cast.programme)
    client.force_login(cast.ambassador)

    response = confirmed(client, cast, done)

    assert messages_of(response) == ["Cet import n’attend pas de confirmation."]


# --- Files -------------------------------------------------------------------------------------


def test_the_raw_file_downloads_as_an_attachment(client, cast):
    result_import, _ = uploaded(client, cast)

    response = client.get(url("import_file", cast, import_id=result_import.pk))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Resultats-Collecte" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == SAMPLE


def test_a_missing_raw_file_answers_404(client, cast):
    result_import = programme_import(cast.programme, uploaded_by=cast.owner)
    result_import.file.delete(save=False)
    client.force_login(cast.owner)

    assert client.get(url("import_file", cast, import_id=result_import.pk)).status_code == 404


def test_a_refused_upload_keeps_its_errors_but_not_its_file(
    client, cast, django_capture_on_commit_callbacks
):
    client.force_login(cast.ambassador)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("import_upload", cast),
            {"file": upload(b"matricule;nom\nM1;Dupont\n", "agents.csv")},
        )
    result_import = ResultImport.objects.get()
    assert response.status_code == 302
    assert result_import.status == ImportStatus.REFUSED
    assert result_import.errors
    assert result_import.file.name == ""
    assert not any(Path(result_import.file.storage.location).rglob("*.csv"))

    file_url = url("import_file", cast, import_id=result_import.pk)
    for page in (
        url("import_detail", cast, import_id=result_import.pk),
        url("import_history", cast),
    ):
        assert file_url not in client.get(page).content.decode(), page
    assert client.get(file_url).status_code == 404


def test_the_error_report_is_a_spreadsheet_ready_csv(client, cast):
    refused = refused_import(
        cast.programme,
        errors=[
            {"line": 4, "column": "Envoi (O/N)", "message": "valeur « Peut-être » : Oui ou Non"},
            {"line": None, "column": None, "message": "Fichier tronqué."},
            {"line": 9, "column": "=HYPERLINK()", "message": "colonne inconnue"},
            {"line": 10, "column": "＋cmd", "message": "colonne inconnue"},
        ],
    )
    client.force_login(cast.ambassador)

    response = client.get(url("import_errors_csv", cast, import_id=refused.pk))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="erreurs-import-{refused.pk}.csv"'
    )
    assert response.content.decode("utf-8").split("\r\n") == [
        "\ufeffLigne;Colonne;Message",
        "4;Envoi (O/N);valeur « Peut-être » : Oui ou Non",
        ";;Fichier tronqué.",
        "9;'=HYPERLINK();colonne inconnue",
        "10;'＋cmd;colonne inconnue",
        "",
    ]


def test_at_most_200_errors_are_shown_with_the_total(client, cast):
    errors = [{"line": n, "column": "Matricule", "message": f"erreur {n}"} for n in range(2, 452)]
    refused = refused_import(cast.programme, errors)
    client.force_login(cast.ambassador)

    html = client.get(url("import_detail", cast, import_id=refused.pk)).content.decode()

    assert "Erreurs : les 200 premières sur 450" in html
    assert "erreur 201<" in html
    assert "erreur 202<" not in html
    assert url("import_errors_csv", cast, import_id=refused.pk) in html


def test_another_programmes_import_is_not_found_under_this_programme(client, cast):
    elsewhere = programme_import(cast.other_population.programme, status=ImportStatus.READY)
    client.force_login(cast.owner)

    for name in ("import_detail", "import_file", "import_errors_csv"):
        assert client.get(url(name, cast, import_id=elsewhere.pk)).status_code == 404
    assert confirmed(client, cast, elsewhere).status_code == 404
    assert client.post(url("import_cancel", cast, import_id=elsewhere.pk)).status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.status == ImportStatus.READY


# --- History -----------------------------------------------------------------------------------


def test_history_lists_the_programmes_imports_and_filters_by_campaign(client, cast):
    first = programme_import(cast.programme, original_name="Resultats-A.csv")
    second = programme_import(cast.programme, original_name="Resultats-B.csv")
    programme_import(cast.other_population.programme, original_name="Resultats-Ailleurs.csv")
    client.force_login(cast.ambassador)

    response = client.get(url("import_history", cast))

    assert [i.pk for i in response.context["page_obj"]] == [second.pk, first.pk]
    assert "Resultats-Ailleurs.csv" not in response.content.decode()
    response = client.get(url("import_history", cast), {"campagne": first.campaign_id})
    assert [i.pk for i in response.context["page_obj"]] == [first.pk]
    response = client.get(url("import_history", cast), {"campagne": "n'importe quoi"})
    assert response.status_code == 200
    assert len(response.context["page_obj"]) == 2


def test_history_paginates(client, cast):
    for _ in range(55):
        programme_import(cast.programme)
    client.force_login(cast.owner)

    assert len(client.get(url("import_history", cast)).context["page_obj"]) == 50
    assert len(client.get(url("import_history", cast), {"page": 2}).context["page_obj"]) == 5


def history_row(response, result_import):
    """The cells of `result_import`'s row in the history table, as text."""
    html = response.content.decode()
    row = re.search(
        rf'<tr>\s*<th scope="row"><a href="[^"]*/{result_import.pk}/"[^>]*>.*?</tr>', html, re.S
    )
    assert row, f"no row for import {result_import.pk}"
    cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row.group(0), re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip() for cell in cells]


PREVIEW = {
    "rows": 30000,
    "shared_rows": 29000,
    "participations_created": 30000,
    "results_created": 480000,
    "unmatched": 30000,
}


@pytest.mark.parametrize(
    ("status", "errors", "reason"),
    [
        (ImportStatus.CANCELLED, [], "Annulé avant confirmation"),
        (
            ImportStatus.FAILED,
            [{"line": None, "column": None, "message": "Erreur inattendue (OperationalError)"}],
            "Erreur inattendue (OperationalError)",
        ),
        (
            ImportStatus.REFUSED,
            [{"line": 4, "column": "Partage (O/N)", "message": "Valeur inconnue"}],
            "Valeur inconnue",
        ),
    ],
)
def test_history_shows_nothing_written_and_why_for_an_import_that_did_not_happen(
    client, cast, status, errors, reason
):
    stopped = programme_import(cast.programme, status=status, errors=errors, **PREVIEW)
    done = programme_import(cast.programme, status=ImportStatus.DONE, **PREVIEW)
    client.force_login(cast.ambassador)

    response = client.get(url("import_history", cast))

    cells = history_row(response, stopped)
    written = cells[5:10]  # rows written, created, updated, results, unmatched
    assert written == ["0"] * 5, cells
    # history_row normalises white space, the no-break space of « 30 000 » included.
    assert "30 000" not in " ".join(cells) and "480 000" not in " ".join(cells)
    assert stopped.get_status_display() in cells[4]
    assert reason in cells[4]
    assert "Rien n’a été enregistré." in cells[4]
    assert history_row(response, done)[5:10] == ["30 000", "30 000", "0", "480 000", "30 000"]


# --- The queue of participants to match --------------------------------------------------------


def test_after_an_import_the_queue_lists_the_unmatched_participants(client, cast, enrolled):
    result_import, _ = uploaded(client, cast)
    confirmed(client, cast, result_import)

    response = client.get(url("unmatched_list", cast))

    names = [f"{p['first_name']} {p['last_name']}" for p in response.context["page_obj"]]
    assert len(names) == 9
    assert "Zoé Müller" in names
    assert {p["external_id"] for p in response.context["page_obj"]}.isdisjoint(
        {"A1000", "1000001", "1000002"}
    )
    html = response.content.decode()
    assert "Non rapprochés (9)" in html
    assert "Rapprochés par le nom, à confirmer (1)" in html
    to_confirm = client.get(url("unmatched_list", cast), {"onglet": "a-confirmer"})
    [waiting] = to_confirm.context["page_obj"]
    assert [p.agent for p in waiting["participations"]] == [enrolled["marie"]]


def test_a_manual_match_attaches_the_participant_and_their_results(client, cast, enrolled):
    result_import, _ = uploaded(client, cast)
    confirmed(client, cast, result_import)
    zoe = Participation.objects.get(participant_last_name="Müller")
    agent = AgentFactory(last_name="Müller", first_name="Zoé", external_id="Z-1")
    EnrolmentFactory(agent=agent, population=cast.population)
    detail = url("unmatched_detail", cast, participation_id=zoe.pk)

    response = client.get(detail)
    assert list(response.context["candidates"]) == [agent]  # searched by the last name
    assert client.get(detail, {"q": "Z-1"}).context["candidates"][0] == agent

    response = client.post(
        url("unmatched_match", cast, participation_id=zoe.pk), {"agent": agent.pk}
    )

    assert response.url == url("unmatched_list", cast)
    assert messages_of(response) == ["Zoé MÜLLER : 1 participation rattachée, avec ses résultats."]
    zoe.refresh_from_db()
    assert (zoe.agent, zoe.match_status) == (agent, MatchStatus.MANUAL)
    assert CompetenceResult.objects.filter(participation__agent=agent).count() == 16
    assert client.get(detail).status_code == 404  # no longer waiting


def test_an_agent_the_ambassador_cannot_see_cannot_be_chosen(client, cast):
    waiting = waiting_participation(cast.programme)
    client.force_login(cast.ambassador)

    response = client.post(
        url("unmatched_match", cast, participation_id=waiting.pk),
        {"agent": cast.stranger_agent.pk},
    )

    assert messages_of(response) == ["Cet agent n’existe pas ou ne vous est pas accessible."]
    waiting.refresh_from_db()
    assert waiting.agent is None


def test_a_name_match_is_confirmed(client, cast, enrolled):
    result_import, _ = uploaded(client, cast)
    confirmed(client, cast, result_import)
    marie = Participation.objects.get(match_status=MatchStatus.TO_CONFIRM)
    html = client.get(url("unmatched_detail", cast, participation_id=marie.pk)).content.decode()
    assert "Confirmer : c’est Marie ÖZTÜRK" in html

    response = client.post(url("unmatched_confirm", cast, participation_id=marie.pk))

    assert messages_of(response) == ["Rapprochement de Marie ÖZTÜRK confirmé."]
    marie.refresh_from_db()
    assert (marie.agent, marie.match_status) == (enrolled["marie"], MatchStatus.MANUAL)


def test_an_agent_is_created_from_a_participant(client, cast, enrolled):
    result_import, _ = uploaded(client, cast)
    confirmed(client, cast, result_import)
    zoe = Participation.objects.get(participant_last_name="Müller")
    detail = client.get(url("unmatched_detail", cast, participation_id=zoe.pk))
    form = detail.context["create_form"]
    assert (form["last_name"].value(), form["first_name"].value()) == ("Müller", "Zoé")
    assert form["external_id"].value() == "1000007"

    response = client.post(
        url("unmatched_create_agent", cast, participation_id=zoe.pk),
        {
            "last_name": "Müller",
            "first_name": "Zoé",
            "external_id": "1000007",
            "email": "Zoe.Muller@Exemple.gouv.fr",
            "population": cast.population.pk,
        },
    )

    assert response.status_code == 302
    agent = Agent.objects.get(external_id="1000007")
    assert agent.email == "zoe.muller@exemple.gouv.fr"
    assert Enrolment.objects.filter(agent=agent, population=cast.population).exists()
    zoe.refresh_from_db()
    assert zoe.agent == agent
    assert messages_of(response) == ["Agent Zoé MÜLLER créé ; ses résultats lui sont rattachés."]


def test_creating_an_agent_with_a_known_matricule_is_refused(client, cast):
    waiting = waiting_participation(cast.programme, participant_external_id="1000007")
    client.force_login(cast.ambassador)
    agents_before = Agent.objects.count()

    response = client.post(
        url("unmatched_create_agent", cast, participation_id=waiting.pk),
        {"last_name": "Müller", "first_name": "Zoé", "external_id": cast.agent_agent.external_id},
    )

    assert response.status_code == 200
    assert "Un agent porte déjà ce matricule" in response.content.decode()
    assert Agent.objects.count() == agents_before


def test_creating_an_agent_never_changes_an_existing_agents_email_or_manager(client, cast):
    """An ambassador may add a person the HR list lacked, not rewrite the organisation: an
    address already held is refused, and the form has no manager to set."""
    waiting = waiting_participation(cast.programme, participant_external_id="1000007")
    client.force_login(cast.ambassador)
    before = list(Agent.objects.order_by("pk").values_list("pk", "email", "manager", "user"))

    taken = client.post(
        url("unmatched_create_agent", cast, participation_id=waiting.pk),
        {"last_name": "Müller", "first_name": "Zoé", "email": cast.agent_agent.email.upper()},
    )
    created = client.post(
        url("unmatched_create_agent", cast, participation_id=waiting.pk),
        {"last_name": "Müller", "first_name": "Zoé", "manager": cast.agent_agent.pk},
    )

    assert "Un agent a déjà cette adresse e-mail" in taken.content.decode()
    assert created.status_code == 302
    new = Agent.objects.exclude(pk__in=[row[0] for row in before]).get()
    assert (new.manager, new.user) == (None, None)
    assert (
        list(
            Agent.objects.exclude(pk=new.pk)
            .order_by("pk")
            .values_list("pk", "email", "manager", "user")
        )
        == before
    )


def test_another_programmes_participant_is_not_found_under_this_programme(client, cast):
    elsewhere = waiting_participation(cast.other_population.programme)
    client.force_login(cast.owner)

    assert (
        client.get(url("unmatched_detail", cast, participation_id=elsewhere.pk)).status_code == 404
    )
    match = url("unmatched_match", cast, participation_id=elsewhere.pk)
    assert client.post(match, {"agent": cast.agent_agent.pk}).status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.agent is None


# --- Programme and agent pages ------------------------------------------------------------------


def test_programme_page_offers_the_pix_results_section_with_the_waiting_count(client, cast):
    waiting_participation(cast.programme)
    waiting_participation(cast.programme)
    client.force_login(cast.ambassador)

    html = client.get(cast.programme.get_absolute_url()).content.decode()

    assert "Résultats Pix" in html
    assert url("import_upload", cast) in html
    assert url("import_history", cast) in html
    assert "Participants à rapprocher (2)" in html


def test_agent_page_shows_the_latest_levels_next_to_the_targets(client, cast, enrolled):
    result_import, _ = uploaded(client, cast)
    confirmed(client, cast, result_import)

    response = client.get(reverse("programmes:agent_detail", args=[enrolled["robert"].pk]))

    html = response.content.decode()
    [row] = response.context["rows"]
    line = row.lines[0]
    assert line.competence.code == "1.1"
    assert [t.level for t in line.targets] == [3]
    assert (line.level_result.level, line.level_result.pix) == (3, 24)
    assert "niveau 3 (24 pix)" in html
    assert "Collecte de profils 2026" in html
    assert len(row.lines) == 16


def test_agent_page_keeps_the_latest_result_of_each_competence(client, cast):
    participation = ParticipationFactory(agent=cast.agent_agent)
    cast.programme.campaigns.add(participation.campaign)
    competence = Competence.objects.get(code="1.1")
    earlier = timezone.now() - timedelta(days=30)
    CompetenceResultFactory(
        participation=participation, competence=competence, level=2, pix=20, observed_at=earlier
    )
    CompetenceResultFactory(participation=participation, competence=competence, level=4, pix=33)
    client.force_login(cast.agent)

    response = client.get(reverse("programmes:agent_detail", args=[cast.agent_agent.pk]))

    [line] = response.context["rows"][0].lines
    assert line.level_result.level == 4
    # The history keeps the earlier level beside the latest one, oldest first.
    row = response.context["rows"][0]
    assert row.history_dates == [timezone.localdate(earlier), timezone.localdate()]
    assert [(c.code, levels) for c, levels in row.history_rows] == [("1.1", [2, 4])]
    assert "Évolution des niveaux" in response.content.decode()


def test_agent_page_query_count_does_not_grow_with_results(client, cast, django_assert_num_queries):
    competences = list(Competence.objects.all())
    client.force_login(cast.ambassador)
    page = reverse("programmes:agent_detail", args=[cast.agent_agent.pk])

    def add_participation():
        participation = ParticipationFactory(agent=cast.agent_agent)
        cast.programme.campaigns.add(participation.campaign)
        for competence in competences:
            CompetenceResultFactory(
                participation=participation, competence=competence, level=2, pix=17
            )

    add_participation()
    # 14: an ambassador who is no agent reads no review sheet (reviews.selectors.current_sheets).
    with django_assert_num_queries(14):
        client.get(page)
    for _ in range(3):
        add_participation()
    with django_assert_num_queries(14):
        assert client.get(page).status_code == 200


# --- Pinned query counts -----------------------------------------------------------------------


def _grow_history(cast):
    for _ in range(5):
        programme_import(cast.programme, uploaded_by=UserFactory())


def _grow_queue(cast):
    for _ in range(5):
        waiting_participation(cast.programme)


@pytest.mark.parametrize(
    "name,grow,expected",
    [("import_history", _grow_history, 8), ("unmatched_list", _grow_queue, 10)],
)
def test_list_query_count_is_pinned(client, cast, django_assert_num_queries, name, grow, expected):
    grow(cast)
    client.force_login(cast.ambassador)
    with django_assert_num_queries(expected):
        assert client.get(url(name, cast)).status_code == 200
    grow(cast)
    with django_assert_num_queries(expected):
        assert client.get(url(name, cast)).status_code == 200


def test_learners_pix_anonymised_are_counted_apart_and_never_offered_an_agent(client, cast):
    AgentFactory(last_name="Anonymized", first_name="Anonymized", external_id=None)
    rows = [
        assessed("Anonymized", "Anonymized", started=paris(2026, 3, 2, 9, 0), progression=0),
        assessed("Anonymized", "Anonymized", started=paris(2026, 3, 1, 9, 0), progression=0),
        assessed("Vidal", "Marc", "M1", started=paris(2026, 3, 4, 9, 0)),
    ]
    content = export_bytes(assessment_campaign(), rows)

    result_import, response = uploaded(client, cast, content=content, name="Resultats.csv")
    html = client.get(response.url).content.decode()
    counts = dict(zip(*[iter(_cells(html, "import-counts"))] * 2, strict=True))
    assert counts["Participants non rapprochés"] == "1"
    assert counts["Lignes d’apprenants anonymisés par Pix (jamais rapprochées)"] == "2"
    assert "2 lignes d&#x27;apprenants anonymisés par Pix" in html

    confirmed(client, cast, result_import)
    anonymised = Participation.objects.filter(participant_last_name="Anonymized")
    assert [(p.agent, p.match_status) for p in anonymised] == [(None, MatchStatus.ANONYMISED)] * 2
    queue = client.get(url("unmatched_list", cast)).content.decode()
    assert "Vidal" in queue and "Anonymized" not in queue
    one = anonymised.first()
    assert client.get(url("unmatched_detail", cast, participation_id=one.pk)).status_code == 404
    created = client.post(
        url("unmatched_create_agent", cast, participation_id=one.pk),
        {"last_name": "Anonymized", "first_name": "Anonymized"},
    )
    assert created.status_code == 404
    with pytest.raises(ValidationError):
        agent_create_from_participant(
            participation=one, last_name="Anonymized", first_name="Anonymized"
        )
    assert Agent.objects.filter(last_name="Anonymized").count() == 1


# --- The preview names who waits ----------------------------------------------------------------


def test_the_preview_names_the_unmatched_and_the_participants_to_confirm(client, cast, enrolled):
    result_import, response = uploaded(client, cast)

    html = client.get(response.url).content.decode()

    unmatched = html.split('id="preview-unmatched"', 1)[1].split("</section>", 1)[0]
    assert "Zoé Müller" in unmatched
    assert unmatched.count("<li>") == 9
    to_confirm = html.split('id="preview-to-confirm"', 1)[1].split("</section>", 1)[0]
    assert "Marie Öztürk" in to_confirm
    assert result_import.waiting_participants["unmatched"]["more"] == 0


def test_the_preview_names_twenty_then_says_how_many_more(client, cast):
    result_import, response = uploaded(client, cast)  # no agent known: 12 unmatched
    result_import.waiting_participants = {
        "unmatched": {"names": [f"Personne {n}" for n in range(20)], "more": 29980},
        "to_confirm": {"names": [], "more": 0},
    }
    result_import.save()

    html = client.get(response.url).content.decode()

    assert "et 29\u00a0980 autres" in html
    assert 'id="preview-to-confirm"' not in html


def test_a_file_where_few_participants_are_recognised_says_so_before_confirmation(client, cast):
    result_import, response = uploaded(client, cast)  # no agent known

    html = client.get(response.url).content.decode()

    warning = "0 participant sur 12 reconnu : vérifiez que la liste RH est importée"
    assert result_import.warnings[0] == warning
    assert warning in html
    assert len(result_import.waiting_participants["unmatched"]["names"]) == 12


def test_three_recognised_out_of_twelve_is_still_a_warning(client, cast, enrolled):
    result_import, _ = uploaded(client, cast)

    assert result_import.warnings[0] == (
        "3 participants sur 12 reconnus : vérifiez que la liste RH est importée"
    )


@pytest.mark.parametrize("matched,to_confirm,unmatched,warned", [(5, 1, 6, False), (5, 0, 6, True)])
def test_the_warning_starts_below_half_recognised(matched, to_confirm, unmatched, warned):
    plan = ImportPlan(header=None)
    plan.counts.matched, plan.counts.to_confirm, plan.counts.unmatched = (
        matched,
        to_confirm,
        unmatched,
    )

    warnings = _warnings(plan, None, True, None)

    assert any("reconnu" in warning for warning in warnings) == warned
