"""An agent's own data ("Mes données": everything held about them as a JSON file) and the
data-protection page."""

import datetime
import io
import json
import re
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.models import ParticipationSnapshot
from programmes.enums import ProgressStatus
from programmes.models import PersonalTarget, ResultAccessLog, SharingConsent
from programmes.privacy import selectors as selectors_mydata
from tests.campaigns.factories import CampaignFactory
from tests.programmes.factories_accompaniment import (
    BarrierFactory,
    CheckInFactory,
    MentorFactory,
    MentoringFactory,
    MilestoneFactory,
    ResourceUseFactory,
    competence,
    share_levels,
)
from tests.programmes.factories_reminders import ReminderFactory, ReminderOptOutFactory

FILE_URL = reverse("programmes:my_data_file")
# Whatever the amount of data: the session, the user, the agent and a query per kind of data;
# the page adds the menu's (which roles the user has: one query).
WORKBOOK_QUERIES = 18
PRINT_QUERIES = WORKBOOK_QUERIES + 1


def _download(client, user):
    client.force_login(user)
    response = client.get(FILE_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="mes-donnees-')
    return json.loads(response.content.decode("utf-8"))


def _give_data(cast, agent, n=1, start=0):
    """`n` rows of every kind about `agent` in the cast's programme (`start`: the index of
    the first, to call again for more)."""
    programme, population = cast.programme, cast.population
    campaign = CampaignFactory()
    programme.campaigns.add(campaign)
    barrier = BarrierFactory(programme=programme)
    for i in range(start, start + n):
        participation = share_levels(agent, campaign, {"1.1": 3, "2.1": 4})
        ParticipationSnapshot.objects.create(
            participation=participation,
            result_import=participation.last_import,
            observed_at=participation.shared_at,
            status=participation.status,
        )
        CheckInFactory(
            milestone=MilestoneFactory(population=population),
            agent=agent,
            status=ProgressStatus.IN_PROGRESS,
            comment=f"Bonne dynamique {i}",
            next_step="Tutoriel",
            recorded_by=cast.ambassador,
            barriers=[barrier],
        )
        ResourceUseFactory(resource__programme=programme, agent=agent)
        MentorFactory(programme=programme, agent=agent, competence=competence(f"{i % 5 + 1}.1"))
        MentoringFactory(
            programme=programme, mentee=agent, competence=competence(f"{i % 5 + 1}.2"), paired=True
        )
        SharingConsent.objects.create(
            agent=agent, programme=programme, revoked_at=participation.shared_at
        )
        PersonalTarget.objects.create(
            agent=agent,
            programme=programme,
            competence=competence("1.1"),
            level=4,
            valid_from=datetime.date(2026, 9, 1 + i),
            source="Entretien",
        )
        ReminderFactory(population=population, agent=agent, period=f"2026-03-{i + 1:02d}")
        ResultAccessLog.objects.create(viewer=cast.ambassador, agent=agent, programme=programme)
    if start == 0:
        ReminderOptOutFactory(agent=agent, programme=programme)


def test_agent_downloads_everything_held_about_them(client, cast):
    agent = cast.agent_agent
    _give_data(cast, agent)
    # Someone else's data never appears.
    _give_data(cast, cast.team[1])

    data = _download(client, cast.agent)

    identity = data["identite"]
    assert (identity["nom"], identity["email"]) == (agent.last_name, "agent@exemple.gouv.fr")
    assert identity["unite"] == "Secrétariat général"
    assert identity["responsable"]["email"] == "encadrant@exemple.gouv.fr"
    assert [e["population"] for e in data["inscriptions"]] == ["Assistants"]
    [participation] = data["participations_pix"]
    assert sorted((r["competence"][:3], r["niveau"]) for r in participation["resultats"]) == [
        ("1.1", 3),
        ("2.1", 4),
    ]
    assert len(participation["historique"]) == 1
    [checkin] = data["points_d_etape"]
    assert checkin["commentaire"] == "Bonne dynamique 0"
    assert checkin["saisi_par"]["email"] == "ambassadeur@exemple.gouv.fr"
    assert len(checkin["freins"]) == 1
    assert len(data["ressources_suivies"]) == 1
    assert len(data["compagnonnage"]["demandes"]) == 1
    assert len(data["compagnonnage"]["offres_de_compagnon"]) == 1
    assert len(data["consentements_de_partage"]) == 1
    assert data["objectifs_personnels"][0]["niveau_vise"] == 4
    assert data["relances"]["recues"][0]["adresse"] == "agent@exemple.gouv.fr"
    assert len(data["relances"]["desabonnements"]) == 1
    [view] = data["consultations_de_vos_resultats"]
    assert view["consulte_par"]["email"] == "ambassadeur@exemple.gouv.fr"
    assert view["le"]
    # The reviews app adds the agent's review sheets (none here).
    assert data["entretiens_professionnels"] == []


def test_each_user_gets_only_their_own_data(client, cast):
    _give_data(cast, cast.agent_agent)

    data = _download(client, cast.manager)

    assert data["identite"]["email"] == "encadrant@exemple.gouv.fr"
    assert data["participations_pix"] == []
    assert data["consultations_de_vos_resultats"] == []


@pytest.mark.parametrize("name", ["my_data", "my_data_file", "my_data_workbook", "my_data_print"])
def test_a_user_without_an_agent_gets_404(client, cast, name):
    client.force_login(cast.owner)
    assert client.get(reverse(f"programmes:{name}")).status_code == 404


def test_the_file_is_read_in_a_fixed_number_of_queries(client, cast):
    client.force_login(cast.agent)
    _give_data(cast, cast.agent_agent, n=1)
    with CaptureQueriesContext(connection) as small:
        client.get(FILE_URL)
    _give_data(cast, cast.agent_agent, n=3, start=1)
    with CaptureQueriesContext(connection) as large:
        client.get(FILE_URL)

    assert len(large) == len(small)


def test_another_app_adds_its_section_through_the_hook(client, cast):
    key = "entretiens_professionnels"
    registered = selectors_mydata._EXTRA_SECTIONS.get(key)  # the reviews app's, at start-up
    selectors_mydata.register_export_section(key, lambda agent: [{"agent": agent.pk}])
    try:
        data = _download(client, cast.agent)
    finally:
        selectors_mydata.unregister_export_section(key)
        if registered is not None:
            selectors_mydata.register_export_section(key, registered)

    assert data["entretiens_professionnels"] == [{"agent": cast.agent_agent.pk}]
    assert "non_inclus" not in data["a_propos"]


def test_my_data_page_offers_the_download(client, cast):
    client.force_login(cast.agent)

    response = client.get(reverse("programmes:my_data"))

    assert response.status_code == 200
    html = response.content.decode()
    assert FILE_URL in html
    assert reverse("programmes:my_data_workbook") in html
    assert reverse("programmes:my_data_print") in html
    assert "lisible par un tableur" in html  # true of the workbook, the link next to it


def test_data_protection_page_tells_what_who_and_how_long(client, cast, settings):
    settings.RESULTS_RETENTION_DAYS = 200
    settings.LOGIN_LOG_RETENTION_DAYS = 90
    cast.programme.end_date = datetime.date(2026, 12, 31)
    cast.programme.save()
    client.force_login(cast.agent)

    html = client.get(reverse("programmes:data_protection")).content.decode()

    assert "200 jours après la fin du programme" in html
    assert "traces de vos connexions" in html and "au bout de 90 jours" in html
    assert "Auto-positionnement" in html and "Projet managérial" in html
    assert "Droit de rectification" in html
    assert "délégué à la protection des données" in html
    # The agent's programme and the day its personal data go (end + 200 days + 1).
    assert "Programme Pix DR" in html and "20 juillet 2027" in html
    assert reverse("programmes:my_data") in html


def test_data_protection_page_says_consent_opens_to_the_direct_manager_only(client, cast):
    client.force_login(cast.agent)

    html = client.get(reverse("programmes:data_protection")).content.decode()

    row = html[html.index("Auto-positionnement (dans votre intérêt)") :]
    individual = row[row.index("<td>") : row.index("</td>")]  # who sees individual results
    assert "votre encadrant direct seulement si vous choisissez" in individual
    assert "ligne hiérarchique" not in individual


def test_data_protection_page_states_the_programme_boundaries(client, cast):
    """The rules of DESIGN's "Boundaries that follow from it", each in the agents' words."""
    client.force_login(cast.agent)

    html = client.get(reverse("programmes:data_protection")).content.decode()

    assert "Un programme ne voit que les résultats importés pour lui" in html
    assert "n’est téléchargeable que par la personne qui l’a déposé" in html
    assert "repose sur les résultats partagés d’au moins 5 agents" in html
    assert "ne diffère pas de moins de 5 agents d’un autre chiffre" in html
    assert "jamais par le pilote d’un programme ni par un ambassadeur" in html
    assert "jamais les commentaires de vos points d’étape" in html


def test_my_data_says_whom_each_consent_opens_to(client, cast):
    SharingConsent.objects.create(agent=cast.agent_agent, programme=cast.programme)
    client.force_login(cast.agent)

    page = client.get(reverse("programmes:my_data")).content.decode()
    [consent] = _download(client, cast.agent)["consentements_de_partage"]

    assert "vos choix de partage avec votre encadrant direct" in page
    assert consent["partage_avec"] == "votre encadrant direct"


def test_data_protection_page_without_agent_has_no_my_data_link(client, cast):
    client.force_login(cast.owner)

    html = client.get(reverse("programmes:data_protection")).content.decode()

    assert reverse("programmes:my_data") not in html


def test_my_page_and_footer_link_to_data_protection(client, cast):
    client.force_login(cast.agent)

    html = client.get(reverse("programmes:my_page")).content.decode()

    assert html.count(reverse("programmes:data_protection")) == 2  # page and footer
    assert reverse("programmes:my_data") in html


# --- The same data for people: a workbook and a page to print -----------------------------

WORKBOOK_URL = reverse("programmes:my_data_workbook")
PRINT_URL = reverse("programmes:my_data_print")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T[\d:.]+([+-]\d{2}:\d{2}|Z)?)?$")


def _workbook(client, user):
    client.force_login(user)
    response = client.get(WORKBOOK_URL)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="mes-donnees-')
    assert response["Content-Disposition"].endswith('.xlsx"')
    return openpyxl.load_workbook(io.BytesIO(response.content))


def _records(sheet):
    """The sheet's rows under its caption and header, as dicts by header."""
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[1]
    return [dict(zip(header, row, strict=True)) for row in rows[2:]]


def _leaves(value):
    """Every plain value of a JSON document."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif value is not None:
        yield value


def _as_in_a_spreadsheet(leaf):
    """A JSON value as the workbook holds it: dates as local dates, decimals as numbers."""
    if isinstance(leaf, bool):
        return "Oui" if leaf else "Non"
    if isinstance(leaf, str) and ISO_DATE.match(leaf):
        parsed = datetime.datetime.fromisoformat(leaf)
        if parsed.tzinfo is not None:
            parsed = timezone.localtime(parsed)
        return parsed.date() if isinstance(parsed, datetime.datetime) else parsed
    if isinstance(leaf, str):
        try:
            return float(leaf)  # DjangoJSONEncoder writes decimals as text: "0.750"
        except ValueError:
            return leaf
    return leaf


def test_workbook_holds_the_same_records_as_the_json_file_a_sheet_per_kind(client, cast):
    agent = cast.agent_agent
    _give_data(cast, agent, n=2)
    _give_data(cast, cast.team[1], n=1, start=7)  # someone else's: never in the file
    agent.participations.update(progression=Decimal("0.75"))
    data = _download(client, cast.agent)

    workbook = _workbook(client, cast.agent)

    lists = {
        "Inscriptions": data["inscriptions"],
        "Participations Pix": data["participations_pix"],
        "Points d’étape": data["points_d_etape"],
        "Ressources suivies": data["ressources_suivies"],
        "Demandes de compagnonnage": data["compagnonnage"]["demandes"],
        "Offres de compagnon": data["compagnonnage"]["offres_de_compagnon"],
        "Consentements de partage": data["consentements_de_partage"],
        "Objectifs personnels": data["objectifs_personnels"],
        "Relances reçues": data["relances"]["recues"],
        "Désabonnements des relances": data["relances"]["desabonnements"],
        "Consultations de vos résultats": data["consultations_de_vos_resultats"],
        "Résultats par compétence": [r for p in data["participations_pix"] for r in p["resultats"]],
        "Historique des participations": [
            s for p in data["participations_pix"] for s in p["historique"]
        ],
    }
    for name, records in lists.items():
        assert len(records) >= 1, name  # every kind of data is exercised
        assert len(_records(workbook[name])) == len(records), name
    assert workbook["Entretiens professionnels"]["A3"].value == "Aucune donnée"
    assert workbook.sheetnames[:2] == ["À propos de ce fichier", "Identité"]
    # Every value of the JSON file is in the workbook: the same data, nothing left out.
    cells = set()
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows(min_row=3, values_only=True):
            for value in row:
                cells.add(value.date() if isinstance(value, datetime.datetime) else value)
    texts = [value for value in cells if isinstance(value, str)]
    for leaf in _leaves({k: v for k, v in data.items() if k != "a_propos"}):
        expected = _as_in_a_spreadsheet(leaf)
        if isinstance(expected, str):  # a barrier's label is one of a list in one cell
            assert any(expected in text for text in texts), leaf
        else:
            assert expected in cells, leaf
    assert not any("Bonne dynamique 7" in text for text in texts)
    # French headers, shares as percentages, dates as dates.
    for sheet in workbook.worksheets:
        assert not any("_" in str(cell.value) for cell in sheet[2]), sheet.title
        assert sheet.freeze_panes == "A3" and len(sheet.title) <= 31
    identity = dict(list(workbook["Identité"].iter_rows(min_row=3, values_only=True)))
    assert identity["Prénom"] == agent.first_name
    assert identity["Responsable — Adresse électronique"] == "encadrant@exemple.gouv.fr"
    results = workbook["Résultats par compétence"]
    header = [cell.value for cell in results[2]]
    assert header[:2] == ["Participations Pix n°", "Campagne"]
    assert "Taux de maîtrise (%)" in header
    participations = workbook["Participations Pix"]
    header = [cell.value for cell in participations[2]]
    progression = participations.cell(row=3, column=header.index("Progression (%)") + 1)
    assert progression.value == float(data["participations_pix"][0]["progression"])
    assert progression.value == 0.75 and progression.number_format == "0.0%"  # 75,0 %
    checkins = workbook["Points d’étape"]
    header = [cell.value for cell in checkins[2]]
    recorded = checkins.cell(row=3, column=header.index("Saisi le") + 1)
    assert recorded.is_date and recorded.number_format == "DD/MM/YYYY HH:MM"


def test_workbook_is_read_in_a_pinned_number_of_queries(client, cast, django_assert_num_queries):
    client.force_login(cast.agent)
    _give_data(cast, cast.agent_agent, n=1)
    with django_assert_num_queries(WORKBOOK_QUERIES):
        client.get(WORKBOOK_URL)
    _give_data(cast, cast.agent_agent, n=3, start=1)
    with django_assert_num_queries(WORKBOOK_QUERIES):
        client.get(WORKBOOK_URL)


def test_page_to_print_shows_the_same_records_as_the_json_file(
    client, cast, django_assert_num_queries
):
    _give_data(cast, cast.agent_agent, n=2)
    _give_data(cast, cast.team[1], n=1, start=7)
    data = _download(client, cast.agent)

    with django_assert_num_queries(PRINT_QUERIES):
        response = client.get(PRINT_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Bonne dynamique 0" in html and "Bonne dynamique 1" in html
    assert "Bonne dynamique 7" not in html
    section = html[html.index('id="section-points-d-etape"') :]
    section = section[: section.index("</section>")]
    assert section.count("<dl") == len(data["points_d_etape"]) == 2
    assert "Prochaine étape" in section and "Saisi par — Adresse électronique" in section
    assert "Aucune donnée de ce type vous concernant." in html  # no review sheet


def test_readable_tables_flatten_records_and_name_unknown_keys_as_written():
    from programmes.privacy.readable import readable_tables

    data = {
        "identite": {"nom": "Durand", "actif": True, "responsable": None},
        "section_ajoutee": [
            {"titre": "A", "etapes": [{"date": datetime.date(2026, 3, 2)}], "notes": ["x", "y"]},
            {"titre": "B", "etapes": [], "notes": []},
        ],
    }

    identity, added, steps = readable_tables(data)

    assert list(identity.rows) == [["Nom", "Durand"], ["Actif", "Oui"], ["Responsable", None]]
    assert added.caption == "Section ajoutee"
    assert [c.label for c in added.columns] == ["titre", "notes"]
    assert list(added.rows) == [["A", "x ; y"], ["B", None]]
    assert [c.label for c in steps.columns] == ["Section ajoutee n°", "titre", "Date"]
    assert list(steps.rows) == [[1, "A", datetime.date(2026, 3, 2)]]
