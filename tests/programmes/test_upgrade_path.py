"""A database made before the stored progress state (migration 0016) and its tallies (0020)
gets both when it is migrated: 0016 fills the state with the code of today (the code that
keeps it), 0020 counts the enrolments into tallies. If a later change of that code no longer
runs on 0016's schema, this test says so, and 0016 must get a copy of the code it needs."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

BEFORE = [("programmes", "0015_programme_target_share")]


def _migrate(targets):
    """Migrate to `targets`; the models as the database then holds them (every migration
    applied, of every app)."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    loader = MigrationLoader(connection)
    return loader.project_state(list(loader.applied_migrations)).apps


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_enrolments_made_before_the_stored_state_get_it_and_their_tallies():
    apps = _migrate(BEFORE)
    now = timezone.now()
    day = datetime.date(2026, 2, 1)
    Agent = apps.get_model("agents", "Agent")
    Programme = apps.get_model("programmes", "Programme")
    # The referential as its data migration loads it (a transactional test before this one
    # may have emptied the tables).
    domain, _ = apps.get_model("campaigns", "Domain").objects.get_or_create(
        code="1", defaults={"name": "Informations et données"}
    )
    competence, _ = apps.get_model("campaigns", "Competence").objects.get_or_create(
        code="1.1",
        defaults={"name": "Mener une recherche et une veille", "domain": domain, "pix_id": "t1"},
    )
    sharer = Agent.objects.create(last_name="Durand", first_name="Ana", email="ana@x.fr")
    idle = Agent.objects.create(last_name="Martin", first_name="Léo", email="leo@x.fr")
    programme = Programme.objects.create(name="P", slug="p", start_date=day)
    population = apps.get_model("programmes", "TargetPopulation").objects.create(
        programme=programme, name="Pop"
    )
    apps.get_model("programmes", "Target").objects.create(
        population=population, kind="level", level=2, competence=competence
    )
    Enrolment = apps.get_model("programmes", "Enrolment")
    for agent in (sharer, idle):
        Enrolment.objects.create(agent=agent, population=population, start_date=day)
    campaign = apps.get_model("campaigns", "Campaign").objects.create(
        pix_id=123, code="ABC", name="C", kind="PROFILES_COLLECTION"
    )
    programme.campaigns.add(campaign)
    result_import = apps.get_model("campaigns", "ResultImport").objects.create(
        file="f", original_name="f.csv", sha256="a" * 64, size=1, uploaded_at=now,
        status="done", campaign=campaign,
    )  # fmt: skip
    participation = apps.get_model("campaigns", "Participation").objects.create(
        campaign=campaign, agent=sharer, match_status="external_id", participant_key="k",
        row_key="r", status="SHARED", shared_at=now, last_progress_at=now,
        first_import=result_import, last_import=result_import,
    )  # fmt: skip
    apps.get_model("campaigns", "CompetenceResult").objects.create(
        participation=participation, result_import=result_import, competence=competence,
        observed_at=now, level=3, pix=24,
    )  # fmt: skip

    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    from programmes import progress, selectors, tally
    from programmes.models import Enrolment as Current
    from programmes.models import TargetPopulation

    stored = {
        row.agent_id: (row.has_shared, row.reached, row.targets_met, row.targets_set)
        for row in Current.objects.all()
    }
    assert stored == {sharer.pk: (True, True, 1, 1), idle.pk: (False, False, 0, 1)}
    assert progress.drift() == []
    assert tally.drift([population.pk]) == []
    counts = selectors.population_counts(TargetPopulation.objects.get(pk=population.pk))
    assert (counts.statuses.total, counts.statuses.reached, counts.sharers) == (2, 1, 1)
