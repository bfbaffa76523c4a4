"""agent_import: the HR list checked against the database, then written all at once."""

from pathlib import Path

import pytest

from agents.enums import OrgUnitKind
from agents.importer import COLUMNS
from agents.models import Agent, OrgUnit
from agents.services import AgentImportReport, agent_import
from tests.agents.factories import AgentFactory, OrgUnitFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
HEADER = ";".join(COLUMNS)


def hr_csv(*rows):
    return "\n".join([HEADER, *rows]).encode()


def sample():
    return (DATA / "agents_utf8_bom.csv").read_bytes()


def messages(report):
    return [str(error) for error in report.errors]


def snapshot():
    return sorted(
        Agent.objects.values_list(
            "external_id",
            "last_name",
            "first_name",
            "email",
            "org_unit_id",
            "job_title",
            "manager_id",
            "is_active",
        ),
        key=str,
    ), sorted(OrgUnit.objects.values_list("name", "parent_id", "kind"), key=str)


def test_sample_file_creates_agents_units_and_managers():
    report = agent_import(data=sample())

    assert report.ok
    assert (report.created, report.updated, report.unchanged) == (4, 0, 0)
    assert report.units_created == 4
    helene, paul, zoe, aminata = Agent.objects.order_by("external_id")
    assert (helene.first_name, helene.email) == ("Hélène", "helene.durand@exemple.gouv.fr")
    assert helene.job_title == "Secrétaire générale; pilote"
    assert helene.manager is None
    assert paul.email == "paul.martin@exemple.gouv.fr"
    assert paul.manager == helene
    assert zoe.manager == paul
    assert zoe.email is None
    assert aminata.manager == helene
    assert zoe.org_unit.path == "DR › SG › Bureau RH"
    assert [unit.kind for unit in [zoe.org_unit, *zoe.org_unit.ancestors()]] == [
        OrgUnitKind.UNIT,
        OrgUnitKind.SERVICE,
        OrgUnitKind.DIRECTION,
    ]
    assert helene.org_unit == zoe.org_unit.parent
    assert (aminata.org_unit.name, aminata.org_unit.parent, aminata.org_unit.kind) == (
        "Cabinet",
        None,
        OrgUnitKind.SERVICE,
    )


def test_report_summary_counts_in_french():
    report = AgentImportReport(created=4, updated=2, unchanged=3, deactivated=2, units_created=5)

    assert report.summary() == (
        "Liste des agents importée : 4 agents créés, 2 mis à jour, 3 inchangés, 2 désactivés, "
        "5 unités créées."
    )


def test_importing_the_same_file_twice_changes_nothing():
    agent_import(data=sample())
    before = snapshot()

    report = agent_import(data=sample())

    assert (report.created, report.updated, report.unchanged, report.units_created) == (0, 0, 4, 0)
    assert snapshot() == before


def test_reimport_updates_agents_by_matricule_without_duplicating_them():
    agent_import(data=sample())
    paul_id = Agent.objects.get(external_id="M002").pk

    report = agent_import(
        data=hr_csv(
            "M001;Durand;Hélène;helene.durand@exemple.gouv.fr;DR > SG;Secrétaire générale;",
            "M002;Martin-Roy;Paul;paul.martin-roy@exemple.gouv.fr;Cabinet;Directeur de cabinet;",
        )
    )

    assert (report.created, report.updated, report.unchanged) == (0, 2, 0)
    assert Agent.objects.count() == 4
    paul = Agent.objects.get(external_id="M002")
    assert paul.pk == paul_id
    assert (paul.last_name, paul.email) == ("Martin-Roy", "paul.martin-roy@exemple.gouv.fr")
    assert (paul.org_unit.name, paul.job_title) == ("Cabinet", "Directeur de cabinet")
    assert paul.manager is None


def test_agents_absent_from_the_file_are_left_unchanged_by_default():
    agent_import(data=sample())

    agent_import(data=hr_csv("M001;Durand;Hélène;;;;"))

    assert Agent.objects.filter(is_active=True).count() == 4
    assert Agent.objects.get(external_id="M003").manager.external_id == "M002"


def test_deactivate_missing_marks_absent_agents_with_a_matricule_inactive():
    agent_import(data=sample())
    hand_made = AgentFactory(external_id=None, email="sans.matricule@exemple.gouv.fr")

    report = agent_import(data=hr_csv("M001;Durand;Hélène;;;;"), deactivate_missing=True)

    assert report.deactivated == 3
    assert set(Agent.objects.filter(is_active=False).values_list("external_id", flat=True)) == {
        "M002",
        "M003",
        "M004",
    }
    hand_made.refresh_from_db()
    assert hand_made.is_active


def test_agent_back_in_the_file_is_active_again():
    agent_import(data=sample())
    agent_import(data=hr_csv("M001;Durand;Hélène;;;;"), deactivate_missing=True)

    report = agent_import(data=sample())

    assert report.updated == 4
    assert not Agent.objects.filter(is_active=False).exists()


def test_manager_listed_after_their_report_is_set_in_the_second_pass():
    report = agent_import(
        data=hr_csv("M2;Report;Agent;agent@x.fr;;;chef@x.fr", "M1;Chef;Le;chef@x.fr;;;")
    )

    assert report.ok
    assert Agent.objects.get(external_id="M2").manager == Agent.objects.get(external_id="M1")


def test_manager_may_be_an_agent_already_in_the_database():
    boss = AgentFactory(email="dg@exemple.gouv.fr")

    report = agent_import(data=hr_csv("M1;Dupont;Jean;;;;DG@exemple.gouv.fr"))

    assert report.ok
    assert Agent.objects.get(external_id="M1").manager == boss


def test_unknown_manager_is_refused():
    report = agent_import(data=hr_csv("M1;Dupont;Jean;;;;inconnu@exemple.gouv.fr"))

    assert messages(report) == [
        "Ligne 2, colonne « email du responsable » : aucun agent du fichier ni déjà enregistré "
        "n'a l'adresse « inconnu@exemple.gouv.fr »."
    ]
    assert not Agent.objects.exists()


def test_manager_cycle_in_the_file_is_refused():
    report = agent_import(data=hr_csv("M1;A;B;a@x.fr;;;b@x.fr", "M2;C;D;b@x.fr;;;a@x.fr"))

    assert messages(report) == [
        "Ligne 2, colonne « email du responsable » : boucle hiérarchique : "
        "a@x.fr → b@x.fr → a@x.fr."
    ]
    assert not Agent.objects.exists()


def test_manager_cycle_through_the_database_is_refused():
    chief = AgentFactory(external_id="M1", email="chef@x.fr")
    AgentFactory(external_id="M9", email="adjoint@x.fr", manager=chief)

    report = agent_import(data=hr_csv("M1;Chef;Le;chef@x.fr;;;adjoint@x.fr"))

    assert messages(report) == [
        "Ligne 2, colonne « email du responsable » : boucle hiérarchique avec des agents déjà "
        "enregistrés : chef@x.fr → adjoint@x.fr → chef@x.fr."
    ]
    chief.refresh_from_db()
    assert chief.manager is None


def test_email_of_another_agent_absent_from_the_file_is_a_conflict():
    AgentFactory(external_id="M9", email="h.durand@x.fr", first_name="Hugo", last_name="Durand")

    report = agent_import(data=hr_csv("M1;Durand;Hélène;H.Durand@x.fr;;;"))

    assert messages(report) == [
        "Ligne 2, colonne « email » : l'adresse « h.durand@x.fr » est déjà celle de Hugo Durand "
        "(matricule M9), qui ne figure pas dans le fichier."
    ]
    assert Agent.objects.count() == 1


def test_agents_of_the_file_may_swap_email_addresses():
    AgentFactory(external_id="M1", email="a@x.fr")
    AgentFactory(external_id="M2", email="b@x.fr")

    report = agent_import(data=hr_csv("M1;A;A;b@x.fr;;;", "M2;B;B;a@x.fr;;;"))

    assert report.updated == 2
    assert dict(Agent.objects.values_list("external_id", "email")) == {
        "M1": "b@x.fr",
        "M2": "a@x.fr",
    }


def test_agent_recorded_without_matricule_is_matched_by_email():
    known = AgentFactory(external_id=None, email="jean.dupont@x.fr")

    report = agent_import(data=hr_csv("M1;Dupont;Jean;jean.dupont@x.fr;;;"))

    assert (report.created, report.updated) == (0, 1)
    known.refresh_from_db()
    assert known.external_id == "M1"


def test_plain_service_name_is_found_at_any_level_whatever_its_case():
    bureau = OrgUnitFactory(name="Bureau RH", parent=OrgUnitFactory(name="SG"))

    report = agent_import(data=hr_csv("M1;A;B;;bureau rh;;"))

    assert report.units_created == 0
    assert Agent.objects.get().org_unit == bureau


def test_unknown_plain_service_name_is_created_once_at_the_top_level():
    report = agent_import(data=hr_csv("M1;A;B;;Cabinet;;", "M2;C;D;;CABINET;;"))

    assert report.units_created == 1
    cabinet = OrgUnit.objects.get()
    assert (cabinet.name, cabinet.parent, cabinet.kind) == ("Cabinet", None, OrgUnitKind.SERVICE)


def test_plain_name_may_refer_to_a_unit_a_path_of_the_file_creates():
    agent_import(data=hr_csv("M1;A;B;;Bureau RH;;", "M2;C;D;;DR > SG > Bureau RH;;"))

    assert OrgUnit.objects.filter(name="Bureau RH").count() == 1
    assert {agent.org_unit.path for agent in Agent.objects.all()} == {"DR › SG › Bureau RH"}


def test_existing_path_is_reused_whatever_its_case():
    sg = OrgUnitFactory(name="SG", kind=OrgUnitKind.SERVICE, parent=OrgUnitFactory(name="DR"))

    report = agent_import(data=hr_csv("M1;A;B;;dr > sg;;"))

    assert report.units_created == 0
    assert Agent.objects.get().org_unit == sg


def test_ambiguous_plain_service_name_asks_for_the_full_path():
    OrgUnitFactory(name="RH", parent=OrgUnitFactory(name="DR"))
    OrgUnitFactory(name="RH", parent=OrgUnitFactory(name="DDT"))

    report = agent_import(data=hr_csv("M1;A;B;;RH;;"))

    assert messages(report) == [
        "Ligne 2, colonne « service » : plusieurs unités s'appellent « RH » (DR > RH, DDT > RH) "
        ": indiquez le chemin complet, par exemple « DR > RH »."
    ]


def test_one_bad_row_leaves_the_database_unchanged():
    agent_import(data=sample())
    before = snapshot()

    report = agent_import(
        data=hr_csv(
            "M001;Durand;Hélène;helene.durand@exemple.gouv.fr;Nouvelle direction > SG;;",
            "M005;Nouveau;Arrivant;nouvel.arrivant@exemple.gouv.fr;Autre service;;",
            "M006;Autre;Arrivant;;;;personne@exemple.gouv.fr",
        ),
        deactivate_missing=True,
    )

    assert len(report.errors) == 1
    assert (report.created, report.updated, report.deactivated, report.units_created) == (
        0,
        0,
        0,
        0,
    )
    assert snapshot() == before


def test_parse_errors_leave_the_database_unchanged():
    report = agent_import(data=(DATA / "agents_errors.csv").read_bytes())

    assert len(report.errors) == 4
    assert not Agent.objects.exists()
    assert not OrgUnit.objects.exists()


def test_dry_run_reports_what_would_be_done_and_writes_nothing():
    report = agent_import(data=sample(), dry_run=True)

    assert (report.created, report.units_created) == (4, 4)
    assert report.summary().startswith("Simulation, rien n'a été enregistré : 4 agents créés")
    assert not Agent.objects.exists()
    assert not OrgUnit.objects.exists()


def test_file_over_the_size_limit_is_refused(settings):
    settings.AGENT_IMPORT_MAX_BYTES = 100

    report = agent_import(data=sample())

    assert messages(report) == [
        "Le fichier pèse 474\xa0octets, au-delà de la limite de 100\xa0octets."
    ]


def test_large_file_is_written_in_a_bounded_number_of_queries(django_assert_max_num_queries):
    rows = [
        f"M{n:05d};Nom{n};Prénom{n};agent{n}@x.fr;DR > Service {n % 20};Agent;"
        + ("" if n < 100 else f"agent{n % 100}@x.fr")
        for n in range(2000)
    ]

    with django_assert_max_num_queries(40):
        report = agent_import(data=hr_csv(*rows))

    assert (report.created, report.units_created) == (2000, 21)
    assert Agent.objects.filter(manager__isnull=False).count() == 1900
