"""The HR list upload page: who may use it, and what they see."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agents.importer import COLUMNS
from agents.models import Agent, OrgUnit
from tests.agents.factories import UserFactory

DATA = Path(__file__).parent / "data"
URL = reverse("agents:import")


def upload(name="agents.csv", content=None):
    if content is None:
        content = (DATA / "agents_utf8_bom.csv").read_bytes()
    return SimpleUploadedFile(name, content, content_type="text/csv")


def hr_csv(*rows):
    return "\n".join([";".join(COLUMNS), *rows]).encode()


@pytest.fixture
def hr_manager(db):
    """A « gestionnaire RH »: no programme role, the HR permission given in the admin."""
    return UserFactory(email="rh@exemple.gouv.fr", hr_manager=True)


def test_the_hr_permission_is_defined_for_the_admin(db):
    permission = Permission.objects.get(content_type__app_label="agents", codename="manage_hr_list")
    assert permission.name == "Gérer la liste RH (agents, unités, responsables)"


@pytest.mark.parametrize("role", ["hr_manager", "staff"])
def test_hr_manager_and_staff_see_the_upload_form(client, cast, hr_manager, role):
    client.force_login(hr_manager if role == "hr_manager" else cast.staff)

    response = client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Importer la liste des agents</h1>" in html
    assert "<title>Importer la liste des agents — Pilote Pix</title>" in html
    assert 'enctype="multipart/form-data"' in html
    assert 'type="file"' in html
    assert 'accept=".csv,text/csv"' in html
    assert 'name="deactivate_missing"' in html
    assert "email du responsable" in html


def test_the_hr_permission_through_a_group_opens_the_import(client, db):
    user = UserFactory()
    group = Group.objects.create(name="Gestionnaires RH")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="agents", codename="manage_hr_list")
    )
    user.groups.add(group)
    client.force_login(user)

    assert client.get(URL).status_code == 200


def test_another_django_permission_does_not_open_the_import(client, db):
    """The rule is staff or the HR permission; the admin's model permissions do not widen it."""
    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="add_agent"))
    client.force_login(user)

    assert client.get(URL).status_code == 403


@pytest.mark.parametrize("role", ["owner", "ambassador", "manager", "agent", "outsider"])
def test_other_roles_get_403_and_cannot_post(client, cast, role):
    """A programme owner or an ambassador does not administer the organisation: the HR list
    would let them change anyone's manager and e-mail, and deactivate everyone else."""
    client.force_login(getattr(cast, role))
    agents_before = Agent.objects.count()
    managers_before = list(Agent.objects.order_by("pk").values_list("pk", "manager", "email"))
    takeover = hr_csv(
        f"{cast.agent_agent.external_id};X;Y;pirate@exemple.fr;;;{cast.outsider.email}"
    )

    assert client.get(URL).status_code == 403
    assert client.post(URL, {"file": upload()}).status_code == 403
    response = client.post(URL, {"file": upload(content=takeover), "deactivate_missing": "on"})
    assert response.status_code == 403
    assert Agent.objects.count() == agents_before
    assert list(Agent.objects.order_by("pk").values_list("pk", "manager", "email")) == (
        managers_before
    )
    assert Agent.objects.filter(is_active=False).count() == 0


def test_anonymous_visitor_is_sent_to_the_login_page(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_hr_manager_upload_imports_agents_and_reports_the_counts(client, cast, hr_manager):
    client.force_login(hr_manager)

    response = client.post(URL, {"file": upload()})

    assert response.status_code == 302
    assert response.url == URL
    [message] = get_messages(response.wsgi_request)
    assert message.level_tag == "success"
    assert str(message).startswith("Liste des agents importée : 4 agents créés, 0 mis à jour")
    assert Agent.objects.filter(external_id__in=["M001", "M002", "M003", "M004"]).count() == 4


def test_windows_1252_file_is_imported_from_the_page(client, cast):
    client.force_login(cast.staff)

    client.post(URL, {"file": upload(content=(DATA / "agents_cp1252.csv").read_bytes())})

    assert Agent.objects.get(external_id="M001").first_name == "Hélène"


def test_deactivate_missing_checkbox_is_passed_to_the_import(client, cast):
    client.force_login(cast.staff)
    active_before = Agent.objects.filter(is_active=True).count()

    client.post(URL, {"file": upload(), "deactivate_missing": "on"})

    # Every agent of the cast has a matricule and is absent from the file.
    assert Agent.objects.filter(is_active=True).count() == 4
    assert active_before > 4


def test_bad_file_shows_the_french_errors_and_writes_nothing(client, cast, hr_manager):
    client.force_login(hr_manager)
    agents_before, units_before = Agent.objects.count(), OrgUnit.objects.count()

    response = client.post(URL, {"file": upload(content=(DATA / "agents_errors.csv").read_bytes())})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Le fichier n’a pas été importé" in html
    assert "4 erreurs à corriger." in html
    assert "Ligne 3, colonne « email » : adresse e-mail invalide « jean.dupont@ »." in html
    assert "Ligne 5 : 3 cellules au lieu des 7 de la ligne d&#x27;en-tête." in html
    assert (Agent.objects.count(), OrgUnit.objects.count()) == (agents_before, units_before)


def test_only_the_first_fifty_errors_are_listed_with_the_total(client, cast, hr_manager):
    client.force_login(hr_manager)
    rows = [f"M{n};Nom;Prénom;faux{n}@;;;" for n in range(80)]

    response = client.post(URL, {"file": upload(content=hr_csv(*rows))})

    html = response.content.decode()
    assert "80 erreurs à corriger." in html
    assert "Les 50 premières sont affichées." in html
    assert "« faux49@ »" in html
    assert "« faux50@ »" not in html


def test_error_involving_the_database_is_shown_too(client, cast, hr_manager):
    client.force_login(hr_manager)

    response = client.post(URL, {"file": upload(content=hr_csv("M1;A;B;;;;personne@x.fr"))})

    assert "n&#x27;a l&#x27;adresse « personne@x.fr »" in response.content.decode()
    assert not Agent.objects.filter(external_id="M1").exists()


def test_file_over_the_size_limit_gets_a_french_error(client, cast, hr_manager, settings):
    settings.AGENT_IMPORT_MAX_BYTES = 100
    client.force_login(hr_manager)

    response = client.post(URL, {"file": upload()})

    assert response.status_code == 200
    assert "au-delà de la limite de 100" in response.content.decode()
    assert not Agent.objects.filter(external_id="M001").exists()


def test_spreadsheet_upload_is_refused_with_a_french_hint(client, cast, hr_manager):
    client.force_login(hr_manager)

    response = client.post(URL, {"file": upload("agents.xlsx", b"PK\x03\x04binary")})

    assert response.status_code == 200
    assert "Choisissez un fichier CSV (.csv)" in response.content.decode()


def test_binary_content_behind_a_csv_name_is_refused(client, cast, hr_manager):
    client.force_login(hr_manager)

    response = client.post(URL, {"file": upload(content=bytes(range(256)) * 4)})

    assert response.status_code == 200
    assert "pas un fichier texte CSV" in response.content.decode()


def test_posting_without_a_file_asks_for_one(client, cast, hr_manager):
    client.force_login(hr_manager)

    response = client.post(URL, {})

    assert response.status_code == 200
    assert "Ce champ est obligatoire." in response.content.decode()


# --- Links to the page -------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "ambassador"])
def test_agent_list_offers_no_hr_import_to_owners_and_ambassadors(client, cast, role):
    client.force_login(getattr(cast, role))

    html = client.get(reverse("programmes:agent_list")).content.decode()

    assert f'href="{URL}"' not in html
    assert "Importer la liste RH" not in html


@pytest.mark.parametrize("role", ["staff", "hr_manager"])
def test_agent_list_offers_the_hr_import_to_staff_and_hr_managers(client, cast, hr_manager, role):
    user = hr_manager if role == "hr_manager" else cast.staff
    cast.population.ambassadors.add(user)  # so that the HR manager reaches the agent list
    client.force_login(user)

    html = client.get(reverse("programmes:agent_list")).content.decode()

    assert f'href="{URL}"' in html


def test_an_hr_manager_without_programme_role_lands_on_the_hr_import(client, hr_manager):
    client.force_login(hr_manager)

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response.url == URL


@pytest.mark.parametrize("role", ["owner", "ambassador", "manager", "agent", "outsider"])
def test_no_page_of_the_other_roles_links_to_the_hr_import(client, cast, role):
    client.force_login(getattr(cast, role))
    home = client.get(reverse("home"), follow=True)

    assert home.status_code == 200
    assert f'href="{URL}"' not in home.content.decode()
