"""The resource catalogue of a programme (pages, permissions, CSV export and import), the
recommendations on the agent's page, and agents marking resources."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from programmes.accompaniment.resources import selectors as selectors_resources
from programmes.accompaniment.resources.files import export_csv, parse_resources_csv
from programmes.accompaniment.resources.services import (
    ResourceUseRefused,
    resource_import,
    resource_use_mark,
)
from programmes.enums import ResourceKind, ResourceState
from programmes.models import Resource, ResourceUse
from tests.agents.factories import AgentFactory
from tests.campaigns.factories import CampaignFactory
from tests.programmes.factories import EnrolmentFactory, TargetFactory
from tests.programmes.factories_accompaniment import (
    ResourceFactory,
    ResourceUseFactory,
    competence,
    share_levels,
)

HEADER = (
    "Titre;Type;Compétences;Niveau minimum;Niveau maximum;Lien;Durée (minutes);Proposé par;"
    "Description;Active"
)
ROLES = ["owner", "ambassador", "manager", "agent", "outsider", "staff"]
MANAGERS = {"owner", "ambassador", "staff"}


def _list_url(programme):
    return reverse("programmes:resource_list", kwargs={"slug": programme.slug})


def _url(name, programme, resource=None):
    kwargs = {"slug": programme.slug}
    if resource is not None:
        kwargs["pk"] = resource.pk
    return reverse(f"programmes:{name}", kwargs=kwargs)


def _mark_url(resource):
    return reverse("programmes:resource_mark", kwargs={"pk": resource.pk})


def _form_data(**overrides):
    data = {
        "title": "Chercher sur le web",
        "kind": ResourceKind.ELEARNING,
        "competences": [competence("1.1").pk, competence("3.2").pk],
        "level_min": "1",
        "level_max": "3",
        "url": "https://intranet.exemple.gouv.fr/web",
        "duration_minutes": "45",
        "provider": "Bureau de la formation",
        "description": "Les bases.",
    }
    data.update(overrides)
    return data


def _csv(*lines, header=HEADER, encoding="utf-8-sig"):
    return ("\r\n".join([header, *lines]) + "\r\n").encode(encoding)


@pytest.fixture
def campaign(cast):
    campaign = CampaignFactory()
    cast.programme.campaigns.add(campaign)
    return campaign


@pytest.fixture
def gap_cast(cast, campaign):
    """The agent shared 1.1 at level 1 (target 3): a gap to level 3."""
    share_levels(cast.agent_agent, campaign, {"1.1": 1})
    return cast


# --- permissions ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_catalogue_is_managed_by_owners_ambassadors_and_staff_only(client, cast, role):
    resource = ResourceFactory(programme=cast.programme, competences=["1.1"])
    client.force_login(getattr(cast, role))
    expected = 200 if role in MANAGERS else 404
    for name in ("resource_list", "resource_create", "resource_import", "resource_export"):
        assert client.get(_url(name, cast.programme)).status_code == expected, name
    assert client.get(_url("resource_edit", cast.programme, resource)).status_code == expected

    response = client.post(_url("resource_create", cast.programme), _form_data())
    assert response.status_code == (302 if role in MANAGERS else 404)
    response = client.post(_url("resource_retire", cast.programme, resource))
    assert response.status_code == (302 if role in MANAGERS else 404)
    resource.refresh_from_db()
    assert resource.is_active is (role not in MANAGERS)


def test_whoever_sees_the_programme_manages_its_catalogue(cast):
    """The page is reached through visible programmes (404 elsewhere); the predicate that
    guards it names the same people, so no one sees the programme without managing it."""
    from programmes import perms

    for role in MANAGERS:
        assert perms.can_manage_resources(getattr(cast, role), cast.programme)
    for role in ("manager", "agent", "outsider"):
        assert not perms.can_manage_resources(getattr(cast, role), cast.programme)


def test_another_programmes_resource_answers_404_even_to_its_managers(client, cast):
    other = ResourceFactory(programme=cast.other_population.programme)
    client.force_login(cast.owner)
    assert client.get(_url("resource_edit", cast.programme, other)).status_code == 404
    assert client.post(_url("resource_retire", cast.programme, other)).status_code == 404
    assert client.post(_url("resource_edit", other.programme, other)).status_code == 404
    other.refresh_from_db()
    assert other.is_active


# --- creating and editing ------------------------------------------------------------------


def test_an_ambassador_adds_a_resource_to_the_catalogue(client, cast):
    client.force_login(cast.ambassador)
    response = client.post(_url("resource_create", cast.programme), _form_data(), follow=True)
    resource = Resource.objects.get(programme=cast.programme)
    assert resource.title == "Chercher sur le web"
    assert resource.kind == ResourceKind.ELEARNING
    assert sorted(c.code for c in resource.competences.all()) == ["1.1", "3.2"]
    assert (resource.level_min, resource.level_max) == (1, 3)
    assert resource.duration_minutes == 45
    assert resource.is_active
    assert "Ressource « Chercher sur le web » ajoutée." in response.content.decode()


def test_titles_are_unique_in_a_programme_whatever_the_case(client, cast):
    ResourceFactory(programme=cast.programme, title="Chercher sur le web")
    client.force_login(cast.ambassador)
    response = client.post(
        _url("resource_create", cast.programme), _form_data(title="chercher sur le WEB")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["title"] == [
        "Le catalogue a déjà une ressource intitulée « chercher sur le WEB »."
    ]
    assert Resource.objects.filter(programme=cast.programme).count() == 1


def test_the_same_title_is_allowed_in_another_programme(client, cast):
    ResourceFactory(programme=cast.other_population.programme, title="Chercher sur le web")
    client.force_login(cast.ambassador)
    response = client.post(_url("resource_create", cast.programme), _form_data())
    assert response.status_code == 302
    assert Resource.objects.filter(title="Chercher sur le web").count() == 2


@pytest.mark.parametrize(
    "overrides,field,message",
    [
        (
            {"level_min": "4", "level_max": "2"},
            "level_max",
            "Le niveau d’arrivée doit être supérieur ou égal au niveau de départ.",
        ),
        ({"level_max": "9"}, "level_max", None),
        ({"url": "pas une adresse"}, "url", "Saisissez une URL valide."),
        ({"duration_minutes": "0"}, "duration_minutes", None),
        ({"duration_minutes": "deux heures"}, "duration_minutes", None),
        ({"title": "  "}, "title", None),
        ({"kind": "podcast"}, "kind", None),
    ],
)
def test_bad_values_are_refused_with_a_message_and_nothing_is_saved(
    client, cast, overrides, field, message
):
    client.force_login(cast.ambassador)
    response = client.post(_url("resource_create", cast.programme), _form_data(**overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert errors
    if message:
        assert errors == [message]
    assert not Resource.objects.exists()


def test_an_ambassador_edits_a_resource(client, cast):
    resource = ResourceFactory(programme=cast.programme, title="Ancien", competences=["1.1"])
    client.force_login(cast.ambassador)
    response = client.get(_url("resource_edit", cast.programme, resource))
    assert response.context["form"].initial["title"] == "Ancien"
    response = client.post(
        _url("resource_edit", cast.programme, resource),
        _form_data(title="Ancien", competences=[competence("2.1").pk], level_min="2"),
    )
    assert response.status_code == 302
    resource.refresh_from_db()
    assert [c.code for c in resource.competences.all()] == ["2.1"]
    assert resource.level_min == 2
    assert resource.provider == "Bureau de la formation"


def test_retiring_and_restoring_a_resource_keeps_what_agents_said(client, cast):
    resource = ResourceFactory(programme=cast.programme)
    ResourceUseFactory(resource=resource, agent=cast.agent_agent, useful=True)
    client.force_login(cast.ambassador)
    response = client.post(_url("resource_retire", cast.programme, resource), follow=True)
    assert "n’est plus recommandée" in response.content.decode()
    resource.refresh_from_db()
    assert not resource.is_active
    assert "Retirée" in client.get(_list_url(cast.programme)).content.decode()
    client.post(_url("resource_retire", cast.programme, resource))  # again: no change
    resource.refresh_from_db()
    assert not resource.is_active
    client.post(_url("resource_restore", cast.programme, resource))
    resource.refresh_from_db()
    assert resource.is_active
    assert resource.uses.get().useful is True


def test_retire_and_restore_are_post_only(client, cast):
    resource = ResourceFactory(programme=cast.programme)
    client.force_login(cast.ambassador)
    assert client.get(_url("resource_retire", cast.programme, resource)).status_code == 405
    assert client.get(_url("resource_restore", cast.programme, resource)).status_code == 405


# --- the list ------------------------------------------------------------------------------


def test_the_list_shows_how_many_agents_started_finished_and_found_each_resource_useful(
    client, cast
):
    helpful = ResourceFactory(programme=cast.programme, title="Aide")
    ResourceFactory(programme=cast.programme, title="Jamais ouverte")
    agents = cast.team
    ResourceUseFactory(resource=helpful, agent=agents[0], state=ResourceState.STARTED)
    ResourceUseFactory(resource=helpful, agent=agents[1], state=ResourceState.DONE, useful=True)
    ResourceUseFactory(resource=helpful, agent=agents[2], state=ResourceState.DONE, useful=True)
    ResourceUseFactory(resource=helpful, agent=agents[3], state=ResourceState.STARTED, useful=False)
    client.force_login(cast.ambassador)
    page = client.get(_list_url(cast.programme)).context["page_obj"]
    by_title = {r.title: r for r in page}
    counts = lambda r: (r.started_count, r.done_count, r.useful_count, r.not_useful_count)  # noqa: E731
    assert counts(by_title["Aide"]) == (2, 2, 2, 1)
    assert counts(by_title["Jamais ouverte"]) == (0, 0, 0, 0)


def test_the_list_is_searched_and_filtered_by_kind_and_competence(client, cast):
    ResourceFactory(programme=cast.programme, title="Tableur", provider="CVRH", competences=["1.3"])
    ResourceFactory(
        programme=cast.programme,
        title="Messagerie",
        kind=ResourceKind.TRAINING,
        competences=["2.1", "1.3"],
    )
    ResourceFactory(programme=cast.programme, title="Recherche web", competences=["1.1"])
    ResourceFactory(programme=cast.other_population.programme, title="Tableur ailleurs")
    client.force_login(cast.ambassador)

    def titles(**params):
        response = client.get(_list_url(cast.programme), params)
        return [r.title for r in response.context["page_obj"]]

    assert titles() == ["Messagerie", "Recherche web", "Tableur"]
    assert titles(q="tableur") == ["Tableur"]
    assert titles(q="cvrh") == ["Tableur"]
    assert titles(type="training") == ["Messagerie"]
    assert titles(type="bogus") == ["Messagerie", "Recherche web", "Tableur"]
    assert titles(competence="1.3") == ["Messagerie", "Tableur"]
    assert titles(competence="1.3", type="elearning") == ["Tableur"]
    assert titles(q="introuvable") == []


def test_the_list_is_paginated(client, cast):
    for number in range(55):
        ResourceFactory(programme=cast.programme, title=f"Ressource {number:02}")
    client.force_login(cast.ambassador)
    page = client.get(_list_url(cast.programme), {"page": 2}).context["page_obj"]
    assert [r.title for r in page] == [f"Ressource {n}" for n in range(50, 55)]


CATALOGUE_PAGES = [
    ("resource_list", 10),
    ("resource_create", 7),
    ("resource_export", 7),
    ("resource_import", 6),
]


@pytest.mark.parametrize("name,expected", CATALOGUE_PAGES)
def test_catalogue_pages_query_count_is_pinned_whatever_the_number_of_resources(
    client, cast, django_assert_num_queries, name, expected
):
    def add(count):
        for _number in range(count):
            resource = ResourceFactory(programme=cast.programme, competences=["1.1", "2.1"])
            ResourceUseFactory(resource=resource, agent=cast.agent_agent, useful=True)

    add(3)
    client.force_login(cast.ambassador)
    url = _url(name, cast.programme)
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200
    add(27)
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


def test_edit_page_query_count_is_pinned(client, cast, django_assert_num_queries):
    resource = ResourceFactory(programme=cast.programme, competences=["1.1", "2.1"])
    client.force_login(cast.ambassador)
    with django_assert_num_queries(9):
        assert client.get(_url("resource_edit", cast.programme, resource)).status_code == 200


# --- CSV export ----------------------------------------------------------------------------


def test_the_export_is_a_french_excel_csv_of_the_catalogue(client, cast):
    ResourceFactory(
        programme=cast.programme,
        title="=HYPERLINK(x)",
        kind=ResourceKind.PIX_TUTORIAL,
        competences=["3.2", "1.1"],
        level_min=2,
        level_max=4,
        url="https://pix.fr/tuto",
        duration_minutes=20,
        provider="Pix",
        description="- un\n- deux",
    )
    ResourceFactory(
        programme=cast.programme, title="Retirée", is_active=False, url="", duration_minutes=None
    )
    client.force_login(cast.ambassador)
    response = client.get(_url("resource_export", cast.programme))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="ressources-programme-dr.csv"' in response["Content-Disposition"]
    content = response.content
    assert content.startswith(b"\xef\xbb\xbf")
    lines = content.decode("utf-8-sig").split("\r\n")
    assert lines[0] == HEADER
    assert lines[1] == (
        "'=HYPERLINK(x);Tutoriel Pix;1.1,3.2;2;4;https://pix.fr/tuto;20;Pix;\"'- un\n- deux\";Oui"
    )
    assert lines[2] == "Retirée;E-learning;;1;3;;;;;Non"


def _export(programme):
    return export_csv(selectors_resources.catalogue_for_export(programme))


def _snapshot(programme):
    return [
        (
            r.title,
            r.kind,
            sorted(c.code for c in r.competences.all()),
            r.level_min,
            r.level_max,
            r.url,
            r.duration_minutes,
            r.provider,
            r.description,
            r.is_active,
            r.updated_at,
        )
        for r in Resource.objects.filter(programme=programme).order_by("title")
    ]


def test_importing_the_export_changes_nothing(cast):
    ResourceFactory(
        programme=cast.programme,
        title="=formule",
        competences=["1.1", "5.2"],
        description='- point un\n- point deux ; « guillemets » "doubles"',
        provider="+33 service",
    )
    ResourceFactory(
        programme=cast.programme,
        title="Compagnonnage",
        kind=ResourceKind.MENTORING,
        url="",
        duration_minutes=None,
        is_active=False,
    )
    ResourceFactory(programme=cast.programme, title="Sans compétence", duration_minutes=90)
    before = _snapshot(cast.programme)
    report = resource_import(programme=cast.programme, data=_export(cast.programme))
    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert _snapshot(cast.programme) == before


def test_full_width_formula_signs_are_neutralised_in_the_export_and_read_back(cast):
    ResourceFactory(programme=cast.programme, title="＝HYPERLINK(x)", provider="＠cmd")
    before = _snapshot(cast.programme)
    lines = _export(cast.programme).decode("utf-8-sig").split("\r\n")
    assert lines[1].startswith("'＝HYPERLINK(x);")
    assert ";'＠cmd;" in lines[1]
    report = resource_import(programme=cast.programme, data=_export(cast.programme))
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert _snapshot(cast.programme) == before


def test_an_export_imported_into_another_programme_recreates_the_catalogue(cast):
    ResourceFactory(programme=cast.programme, title="A", competences=["1.1", "2.3"])
    ResourceFactory(programme=cast.programme, title="B", is_active=False)
    other = cast.other_population.programme
    report = resource_import(programme=other, data=_export(cast.programme))
    assert report.created == 2
    assert [row[:-1] for row in _snapshot(other)] == [row[:-1] for row in _snapshot(cast.programme)]


# --- CSV import ----------------------------------------------------------------------------


def test_import_creates_new_resources_and_updates_those_known_by_title(client, cast):
    existing = ResourceFactory(programme=cast.programme, title="Tableur", competences=["1.3"])
    untouched = ResourceFactory(programme=cast.programme, title="Hors fichier")
    data = _csv(
        "tableur;Formation;1.3,1.2;2;5;https://intranet.exemple.gouv.fr/t;60;CVRH;Mise à jour;Oui",
        "Messagerie;training;2.1;1;3;;;;;Non",
    )
    client.force_login(cast.ambassador)
    upload = _upload(data)
    response = client.post(_url("resource_import", cast.programme), {"file": upload}, follow=True)
    content = response.content.decode()
    assert "Catalogue importé : 1 ressource créée, 1 mise à jour, 0 inchangée" in content
    existing.refresh_from_db()
    assert existing.title == "tableur"
    assert existing.kind == ResourceKind.TRAINING
    assert sorted(c.code for c in existing.competences.all()) == ["1.2", "1.3"]
    assert (existing.level_min, existing.level_max, existing.duration_minutes) == (2, 5, 60)
    created = Resource.objects.get(programme=cast.programme, title="Messagerie")
    assert created.kind == ResourceKind.TRAINING
    assert not created.is_active
    assert created.duration_minutes is None
    untouched.refresh_from_db()
    assert untouched.is_active


def _upload(data, name="catalogue.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_import_reads_windows_1252_with_commas_and_type_codes(cast):
    header = HEADER.replace(";", ",")
    data = _csv(
        'Sécurité numérique,pix_tutorial,"4.1,4.2",1,2,,15,Équipe sécurité,Protégez-vous,oui',
        header=header,
        encoding="cp1252",
    )
    report = resource_import(programme=cast.programme, data=data)
    assert report.ok, report.errors
    resource = Resource.objects.get(programme=cast.programme)
    assert resource.title == "Sécurité numérique"
    assert resource.kind == ResourceKind.PIX_TUTORIAL
    assert sorted(c.code for c in resource.competences.all()) == ["4.1", "4.2"]
    assert resource.provider == "Équipe sécurité"


def test_import_header_is_read_without_case_or_accents_and_extra_columns_are_ignored(cast):
    header = "TITRE;type;Competences;niveau minimum;NIVEAU MAXIMUM;lien;duree (minutes);"
    header += "propose par;description;active;Commentaire interne"
    data = _csv("Tableur;E-learning;1.3;1;2;;;;;Oui;à revoir", header=header)
    report = resource_import(programme=cast.programme, data=data)
    assert report.ok, report.errors
    assert report.created == 1


GOOD_LINE = "Bonne;E-learning;1.1;1;3;https://intranet.exemple.gouv.fr;30;CVRH;;Oui"


@pytest.mark.parametrize(
    "line,expected",
    [
        (
            "Mauvaise;Podcast;1.1;1;3;;;;;Oui",
            "Ligne 3, colonne « Type » : type « Podcast » inconnu. Types possibles : Page "
            "intranet, Formation, E-learning, Tutoriel Pix, Compagnonnage.",
        ),
        (
            "Mauvaise;E-learning;1.1,9.9;1;3;;;;;Oui",
            "Ligne 3, colonne « Compétences » : compétence inconnue : « 9.9 »",
        ),
        (
            "Mauvaise;E-learning;1.1;5;3;;;;;Oui",
            "Ligne 3, colonne « Niveau maximum » : le niveau maximum (3) est inférieur au "
            "niveau minimum (5).",
        ),
        (
            "Mauvaise;E-learning;1.1;0;3;;;;;Oui",
            "Ligne 3, colonne « Niveau minimum » : « 0 » : un niveau entier de 1 à 8 est attendu.",
        ),
        (
            "Mauvaise;E-learning;1.1;1;neuf;;;;;Oui",
            "Ligne 3, colonne « Niveau maximum » : « neuf » : un niveau entier",
        ),
        (
            "Mauvaise;E-learning;1.1;1;3;intranet/page;;;;Oui",
            "Ligne 3, colonne « Lien » : lien invalide « intranet/page »",
        ),
        (
            "Mauvaise;E-learning;1.1;1;3;;1h30;;;Oui",
            "Ligne 3, colonne « Durée (minutes) » : « 1h30 » : une durée en minutes",
        ),
        (
            "Mauvaise;E-learning;1.1;1;3;;-5;;;Oui",
            "Ligne 3, colonne « Durée (minutes) » : « -5 »",
        ),
        (";E-learning;1.1;1;3;;;;;Oui", "Ligne 3, colonne « Titre » : valeur obligatoire"),
        (
            "BONNE;E-learning;1.1;1;3;;;;;Oui",
            "Ligne 3, colonne « Titre » : le titre « BONNE » figure déjà ligne 2.",
        ),
        (
            "Mauvaise;E-learning;1.1;1;3;;;;;Peut-être",
            "Ligne 3, colonne « Active » : « Peut-être » : « Oui » ou « Non » attendu.",
        ),
        ("Mauvaise;E-learning;1.1", "Ligne 3 : 3 cellules au lieu des 10 de la ligne d'en-tête."),
        ("Mauvaise;" + "x" * 201 + ";1.1;1;3;;;;;Oui", None),
    ],
)
def test_one_bad_row_and_nothing_is_imported_with_its_line_and_column(cast, line, expected):
    existing = ResourceFactory(programme=cast.programme, title="Déjà là", level_max=3)
    data = _csv(GOOD_LINE, line, "Déjà là;E-learning;1.1;1;8;;;;;Oui")
    report = resource_import(programme=cast.programme, data=data)
    assert not report.ok
    assert len(report.errors) == 1
    if expected:
        assert str(report.errors[0]).startswith(expected), str(report.errors[0])
    assert list(Resource.objects.filter(programme=cast.programme)) == [existing]
    existing.refresh_from_db()
    assert existing.level_max == 3


def test_every_bad_row_is_reported_in_file_order(cast):
    data = _csv(
        "A;Podcast;1.1;1;3;;;;;Oui",
        GOOD_LINE,
        "C;E-learning;7.7;9;3;;;;;Oui",
    )
    errors = [str(e) for e in resource_import(programme=cast.programme, data=data).errors]
    assert [e.split(" :")[0] for e in errors] == [
        "Ligne 2, colonne « Type »",
        "Ligne 4, colonne « Compétences »",
        "Ligne 4, colonne « Niveau minimum »",
    ]


@pytest.mark.parametrize(
    "data,expected",
    [
        (
            b"Titre;Type;Lien\r\nA;Formation;\r\n",
            "Colonnes manquantes dans la ligne d'en-tête : « Compétences », « Niveau minimum »",
        ),
        (b"PK\x03\x04rest of a workbook", "Le fichier est un document XLSX, pas un fichier CSV"),
        (b"", "Le fichier est vide."),
        (_csv(), "Le fichier ne contient aucune ressource"),
        (b"\x00\x01\x02binary", "Le fichier n'est pas un fichier texte CSV"),
        (_csv('"Ouvert;E-learning;1.1;1;3;;;;;Oui'), "Ligne 2 : le fichier CSV est mal formé"),
    ],
)
def test_a_file_that_is_not_a_catalogue_is_refused_whole(cast, data, expected):
    report = resource_import(programme=cast.programme, data=data)
    assert len(report.errors) == 1
    assert str(report.errors[0]).startswith(expected), str(report.errors[0])
    assert not Resource.objects.exists()


def test_a_file_too_big_is_refused(cast):
    report = resource_import(programme=cast.programme, data=_csv(GOOD_LINE), max_bytes=100)
    assert str(report.errors[0]).startswith("Le fichier pèse")
    assert not Resource.objects.exists()


def test_the_import_page_shows_the_errors_in_french_and_writes_nothing(client, cast):
    client.force_login(cast.ambassador)
    data = _csv(GOOD_LINE, "Mauvaise;Podcast;1.1;1;3;;;;;Oui")
    response = client.post(_url("resource_import", cast.programme), {"file": _upload(data)})
    assert response.status_code == 200
    content = response.content.decode()
    assert "Le fichier n’a pas été importé" in content
    assert "Ligne 3, colonne « Type » : type « Podcast » inconnu." in content
    assert not Resource.objects.exists()


def test_the_import_page_refuses_a_file_that_is_not_csv_or_too_big(client, cast, monkeypatch):
    client.force_login(cast.ambassador)
    url = _url("resource_import", cast.programme)
    response = client.post(url, {"file": _upload(b"%PDF-1.4", name="catalogue.pdf")})
    assert "Choisissez un fichier CSV (.csv)" in response.context["form"].errors["file"][0]
    monkeypatch.setattr("programmes.accompaniment.resources.forms.MAX_BYTES", 10)
    response = client.post(url, {"file": _upload(_csv(GOOD_LINE))})
    assert response.context["form"].errors["file"][0].startswith("Le fichier pèse")
    assert not Resource.objects.exists()


def test_the_parser_keeps_the_competence_order_of_the_file_without_repeats():
    parsed = parse_resources_csv(
        _csv("A;Formation;3.2 1.1;;;;;;;", "B;Formation;1.1;1;8;;;;;"),
        competence_codes={"1.1", "3.2"},
    )
    assert parsed.is_valid, parsed.errors
    first, second = parsed.rows
    assert first.competence_codes == ("3.2", "1.1")
    assert (first.level_min, first.level_max, first.is_active) == (1, 8, True)
    assert second.line == 3


# --- marking a resource --------------------------------------------------------------------


def test_marking_started_then_done_is_idempotent_and_dates_the_end(cast):
    resource = ResourceFactory(programme=cast.programme)
    agent = cast.agent_agent
    use = resource_use_mark(agent=agent, resource=resource, action="started")
    again = resource_use_mark(agent=agent, resource=resource, action="started")
    assert use.pk == again.pk
    assert again.state == ResourceState.STARTED
    assert again.done_at is None
    done = resource_use_mark(agent=agent, resource=resource, action="done")
    assert done.state == ResourceState.DONE
    assert done.done_at is not None
    first_done_at = done.done_at
    assert resource_use_mark(agent=agent, resource=resource, action="done").done_at == first_done_at
    # Saying "started" again does not undo "done".
    assert resource_use_mark(agent=agent, resource=resource, action="started").state == "done"
    assert ResourceUse.objects.count() == 1


def test_marking_done_without_starting_first_is_allowed(cast):
    resource = ResourceFactory(programme=cast.programme)
    use = resource_use_mark(agent=cast.agent_agent, resource=resource, action="done")
    assert use.state == ResourceState.DONE
    assert use.done_at is not None


def test_usefulness_is_asked_only_once_started_or_done(cast):
    resource = ResourceFactory(programme=cast.programme, title="Tableur")
    with pytest.raises(ResourceUseRefused) as refused:
        resource_use_mark(agent=cast.agent_agent, resource=resource, action="useful")
    assert "Indiquez d’abord que vous avez commencé ou terminé « Tableur »" in refused.value.message
    assert not ResourceUse.objects.exists()
    resource_use_mark(agent=cast.agent_agent, resource=resource, action="started")
    assert resource_use_mark(agent=cast.agent_agent, resource=resource, action="useful").useful
    use = resource_use_mark(agent=cast.agent_agent, resource=resource, action="not_useful")
    assert use.useful is False
    assert use.state == ResourceState.STARTED


def test_an_unknown_action_is_refused(cast):
    resource = ResourceFactory(programme=cast.programme)
    with pytest.raises(ResourceUseRefused):
        resource_use_mark(agent=cast.agent_agent, resource=resource, action="liked")
    assert not ResourceUse.objects.exists()


def test_the_agent_marks_a_resource_from_their_page(client, cast):
    resource = ResourceFactory(programme=cast.programme, title="Tableur")
    client.force_login(cast.agent)
    response = client.post(_mark_url(resource), {"action": "started"})
    enrolment = cast.population.enrolments.get(agent=cast.agent_agent)
    assert response.status_code == 302
    assert response.url == f"{reverse('programmes:my_page')}#ressources-{enrolment.pk}"
    use = ResourceUse.objects.get(agent=cast.agent_agent, resource=resource)
    assert use.state == ResourceState.STARTED
    response = client.post(_mark_url(resource), {"action": "done"}, follow=True)
    assert "« Tableur » : notée comme terminée." in response.content.decode()


def test_a_refused_mark_comes_back_as_a_french_message(client, cast):
    resource = ResourceFactory(programme=cast.programme, title="Tableur")
    client.force_login(cast.agent)
    response = client.post(_mark_url(resource), {"action": "useful"}, follow=True)
    assert "Indiquez d’abord que vous avez commencé ou terminé" in response.content.decode()
    response = client.post(_mark_url(resource), {"action": "bidule"}, follow=True)
    assert "Action inconnue sur une ressource." in response.content.decode()
    assert not ResourceUse.objects.exists()


def test_marking_answers_404_outside_the_agents_current_programmes(client, cast):
    elsewhere = ResourceFactory(programme=cast.other_population.programme)
    retired = ResourceFactory(programme=cast.programme, is_active=False)
    mine = ResourceFactory(programme=cast.programme)
    client.force_login(cast.agent)
    assert client.post(_mark_url(elsewhere), {"action": "started"}).status_code == 404
    assert client.post(_mark_url(retired), {"action": "started"}).status_code == 404
    for role in ("outsider", "owner", "ambassador"):  # not enrolled, or no agent at all
        client.force_login(getattr(cast, role))
        assert client.post(_mark_url(mine), {"action": "started"}).status_code == 404
    assert not ResourceUse.objects.exists()


def test_an_agent_who_left_the_population_can_no_longer_mark(client, cast):
    import datetime

    resource = ResourceFactory(programme=cast.programme)
    enrolment = cast.population.enrolments.get(agent=cast.agent_agent)
    enrolment.end_date = datetime.date(2026, 2, 1)
    enrolment.save()
    client.force_login(cast.agent)
    assert client.post(_mark_url(resource), {"action": "started"}).status_code == 404


def test_marking_is_post_only(client, cast):
    resource = ResourceFactory(programme=cast.programme)
    client.force_login(cast.agent)
    assert client.get(_mark_url(resource)).status_code == 405


# --- recommendations on the agent's page ---------------------------------------------------


def _rows(client, cast):
    client.force_login(cast.agent)
    response = client.get(reverse("programmes:my_page"))
    assert response.status_code == 200
    return response, response.context["rows"]


def test_the_agent_sees_resources_for_their_gaps_best_first(client, gap_cast):
    cast = gap_cast
    ResourceFactory(programme=cast.programme, title="Niveau 3", level_min=3, level_max=3)
    ResourceFactory(
        programme=cast.programme,
        title="Niveau 2 long",
        level_min=2,
        level_max=2,
        competences=["1.1"],
        duration_minutes=90,
    )
    ResourceFactory(
        programme=cast.programme,
        title="Niveau 2 court",
        level_min=2,
        level_max=3,
        competences=["1.1"],
        duration_minutes=10,
    )
    ResourceFactory(
        programme=cast.programme,
        title="Déjà acquis",
        level_min=1,
        level_max=1,
        competences=["1.1"],
    )
    ResourceFactory(programme=cast.programme, title="Autre compétence", competences=["2.1"])
    ResourceFactory(programme=cast.programme, title="Retirée", competences=["1.1"], is_active=False)
    ResourceFactory(
        programme=cast.other_population.programme, title="Ailleurs", competences=["1.1"]
    )
    response, (row,) = _rows(client, cast)
    assert [item.resource.title for item in row.resources.recommendations] == [
        "Niveau 2 court",
        "Niveau 2 long",
    ]  # "Niveau 3" lists no competence
    (gap,) = row.resources.recommendations[0].gaps
    assert (gap.competence.code, gap.current, gap.target) == ("1.1", 1, 3)
    content = response.content.decode()
    assert "Ressources recommandées" in content
    assert "Niveau 2 court" in content
    assert "une veille d&#x27;information (votre niveau 1, objectif 3)" in content
    for absent in ("Déjà acquis", "Autre compétence", "Retirée", "Ailleurs"):
        assert absent not in content


def test_no_result_counts_as_level_zero_and_usefulness_ranks(client, cast):
    ResourceFactory(programme=cast.programme, title="A", competences=["1.1"], level_max=1)
    liked = ResourceFactory(programme=cast.programme, title="B", competences=["1.1"], level_max=1)
    ResourceUseFactory(resource=liked, agent=cast.team[1], useful=True)
    _response, (row,) = _rows(client, cast)
    assert [item.resource.title for item in row.resources.recommendations] == ["B", "A"]
    assert row.resources.recommendations[0].gaps[0].current == 0


def test_an_agent_at_target_gets_no_recommendation(client, cast, campaign):
    share_levels(cast.agent_agent, campaign, {"1.1": 3})
    ResourceFactory(programme=cast.programme, competences=["1.1"])
    response, (row,) = _rows(client, cast)
    assert row.resources.gaps == []
    assert row.resources.recommendations == []
    assert "Aucune compétence en dessous de votre objectif" in response.content.decode()


def test_a_gap_without_a_fitting_resource_says_so(client, gap_cast):
    response, (row,) = _rows(client, gap_cast)
    assert len(row.resources.gaps) == 1
    assert "Aucune ressource du catalogue ne correspond" in response.content.decode()


def test_the_agents_mark_is_shown_and_done_resources_move_to_followed(client, gap_cast):
    cast = gap_cast
    started = ResourceFactory(programme=cast.programme, title="Commencée", competences=["1.1"])
    done = ResourceFactory(programme=cast.programme, title="Finie", competences=["1.1"])
    off_target = ResourceFactory(
        programme=cast.programme, title="Hors objectif", competences=["2.1"]
    )
    ResourceUseFactory(resource=started, agent=cast.agent_agent)
    ResourceUseFactory(resource=done, agent=cast.agent_agent, state=ResourceState.DONE, useful=True)
    ResourceUseFactory(resource=off_target, agent=cast.agent_agent)
    ResourceUseFactory(resource=done, agent=cast.team[1])  # someone else's mark
    response, (row,) = _rows(client, cast)
    (recommended,) = row.resources.recommendations
    assert recommended.resource == started
    assert recommended.use.state == ResourceState.STARTED
    assert [item.resource.title for item in row.resources.followed] == [
        "Finie",
        "Hors objectif",
    ]
    assert row.resources.followed[0].use.useful is True
    content = response.content.decode()
    assert "Les autres ressources que vous avez suivies" in content
    assert "Vous l’avez trouvée utile" in content


def test_at_most_five_recommendations_per_enrolment(client, gap_cast):
    for number in range(8):
        ResourceFactory(programme=gap_cast.programme, title=f"R{number}", competences=["1.1"])
    _response, (row,) = _rows(client, gap_cast)
    assert len(row.resources.recommendations) == 5


def test_each_enrolment_gets_the_resources_of_its_programme(client, gap_cast):
    cast = gap_cast
    other = cast.other_population
    TargetFactory(population=other, competence=competence("2.1"), level=2)
    EnrolmentFactory(agent=cast.agent_agent, population=other)
    ResourceFactory(programme=cast.programme, title="Ici", competences=["1.1", "2.1"])
    ResourceFactory(programme=other.programme, title="Là-bas", competences=["1.1", "2.1"])
    _response, rows = _rows(client, cast)
    titles = {
        row.enrolment.population.name: [i.resource.title for i in row.resources.recommendations]
        for row in rows
    }
    assert titles == {"Assistants": ["Ici"], "Ailleurs": ["Là-bas"]}


def test_recommendations_cost_three_queries_whatever_the_data(gap_cast, django_assert_num_queries):
    from programmes import selectors
    from programmes.pages.rows import EnrolmentRow, add_results

    cast = gap_cast
    other = cast.other_population
    EnrolmentFactory(agent=cast.agent_agent, population=other)

    def lines_by_enrolment():
        rows = [EnrolmentRow(e) for e in selectors.populations_of_agent(cast.agent_agent)]
        add_results(cast.agent_agent, rows)
        return {row.enrolment: row.lines for row in rows}

    def add(count):
        for _number in range(count):
            for programme in (cast.programme, other.programme):
                resource = ResourceFactory(programme=programme, competences=["1.1", "2.1"])
                ResourceUseFactory(resource=resource, agent=cast.agent_agent, useful=True)
                ResourceUseFactory(resource=resource, agent=AgentFactory(), useful=False)

    for count in (0, 3, 27):
        add(count)
        lines = lines_by_enrolment()
        with django_assert_num_queries(3):
            sections = selectors_resources.resources_for_my_page(cast.agent_agent, lines)
        (mine,) = [sections[e.pk] for e in lines if e.population == cast.population]
        assert len(mine.recommendations) == min(5, count)


def test_once_every_fitting_resource_is_done_the_page_says_so(client, gap_cast):
    done = ResourceFactory(programme=gap_cast.programme, competences=["1.1"])
    ResourceUseFactory(resource=done, agent=gap_cast.agent_agent, state=ResourceState.DONE)
    response, (row,) = _rows(client, gap_cast)
    assert row.resources.recommendations == []
    assert row.resources.done_for_gaps
    content = response.content.decode()
    assert "Vous avez terminé les ressources du catalogue qui correspondent" in content
    assert "Les ressources que vous avez suivies" in content


def test_the_programme_page_links_to_the_catalogue(client, cast):
    url = _list_url(cast.programme)
    client.force_login(cast.owner)
    assert url in client.get(cast.programme.get_absolute_url()).content.decode()
    client.force_login(cast.ambassador)
    assert url in client.get(cast.programme.get_absolute_url()).content.decode()


# --- Use counters kept by the database ----------------------------------------------------


def _counts(resource):
    resource.refresh_from_db()
    return (
        resource.started_count,
        resource.done_count,
        resource.useful_count,
        resource.not_useful_count,
    )


def test_every_write_of_a_use_keeps_the_resource_s_counters(db):
    """Triggers keep the counters in each write's transaction, whatever writes: the
    service an agent's buttons call, bulk writes, an update of many, deletions (one use,
    an agent with theirs), a use moved to another resource; and never drift."""
    resource, other = ResourceFactory(), ResourceFactory()
    first, second, third = AgentFactory.create_batch(3)
    resource_use_mark(agent=first, resource=resource, action="started")
    assert _counts(resource) == (1, 0, 0, 0)
    resource_use_mark(agent=first, resource=resource, action="done")
    resource_use_mark(agent=first, resource=resource, action="useful")
    assert _counts(resource) == (0, 1, 1, 0)
    resource_use_mark(agent=first, resource=resource, action="not_useful")
    assert _counts(resource) == (0, 1, 0, 1)
    ResourceUse.objects.bulk_create(
        [
            ResourceUse(resource=resource, agent=second, state=ResourceState.STARTED, useful=True),
            ResourceUse(resource=other, agent=third, state=ResourceState.DONE),
        ]
    )
    assert _counts(resource) == (1, 1, 1, 1)
    assert _counts(other) == (0, 1, 0, 0)
    ResourceUse.objects.filter(resource=resource).update(useful=None)
    assert _counts(resource) == (1, 1, 0, 0)
    ResourceUse.objects.filter(agent=second).update(resource=other)
    assert _counts(resource) == (0, 1, 0, 0)
    assert _counts(other) == (1, 1, 0, 0)
    ResourceUse.objects.filter(agent=third).delete()
    first.delete()  # an agent's uses go with them
    assert _counts(resource) == (0, 0, 0, 0)
    assert _counts(other) == (1, 0, 0, 0)
    assert selectors_resources.use_counts_drift() == []


def test_saving_a_resource_read_before_a_use_keeps_the_counts(db):
    resource = ResourceFactory()
    stale = Resource.objects.get(pk=resource.pk)
    resource_use_mark(agent=AgentFactory(), resource=resource, action="started")
    stale.title = "Titre corrigé"
    stale.save()
    assert _counts(resource) == (1, 0, 0, 0)
    assert resource.title == "Titre corrigé"


def test_the_nightly_check_reports_and_fixes_a_drift_of_the_counters(db):
    resource = ResourceFactory()
    resource_use_mark(agent=AgentFactory(), resource=resource, action="started")
    Resource.objects.filter(pk=resource.pk).update(started_count=7, useful_count=2)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("check_progress", stdout=out)
    assert "Décomptes des ressources : 1 en écart." in out.getvalue()
    assert _counts(resource) == (7, 0, 2, 0)  # reported, not changed
    call_command("check_progress", "--fix", stdout=StringIO())
    assert _counts(resource) == (1, 0, 0, 0)
    assert selectors_resources.use_counts_drift() == []
