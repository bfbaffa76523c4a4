"""The preview counts every kind of row as the import then writes it: for each kind, the
plan's counts are pinned, the import counts the same, and the rows it adds or changes in the
database are those counts."""

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal

import pytest

from campaigns import services
from campaigns.importing.planning import build_plan
from campaigns.models import CompetenceResult, Participation, ParticipationSnapshot
from campaigns.pix_writer import PixCampaign, PixParticipant
from tests.agents.factories import AgentFactory
from tests.campaigns.factories import (
    analysed,
    assessed,
    assessment_campaign,
    export,
    imported,
    levels,
    media_root,  # noqa: F401 - fixture
    not_sent,
    paris,
    profiles_campaign,
    sent,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

MARCH = paris(2026, 3, 2, 10, 0)
APRIL = paris(2026, 4, 1, 9, 15)
STARTED = paris(2026, 3, 2, 9, 0)
# The counts an import keeps (ResultImport's fields); the plan also counts its snapshots.
KEPT = (
    "rows",
    "shared_rows",
    "participations_created",
    "participations_updated",
    "results_created",
    "matched",
    "to_confirm",
    "unmatched",
    "anonymised",
)
WRITTEN = (
    "participations_created",
    "participations_updated",
    "snapshots_created",
    "results_created",
)
# A participation's stored values, the import that last changed it included: an import
# touches only what it creates or changes.
STORED = [field.attname for field in Participation._meta.concrete_fields if field.name != "id"]


def counts(**nonzero) -> dict:
    return {
        **dict.fromkeys((*KEPT, "snapshots_created", "duplicate_keys"), 0),
        **nonzero,
    }


@dataclass
class Case:
    rows: Sequence[PixParticipant]  # the export planned and imported
    expected: dict
    earlier: Sequence[PixParticipant] = ()  # an export imported before
    agents_since: Sequence[tuple[str, str, str]] = ()  # (external id, names) of agents added
    campaign: PixCampaign | None = None  # a profiles collection unless said


CASES = [
    pytest.param(
        Case(
            rows=[sent("Martin", "Paul", "M1", at=MARCH), not_sent("Petit", "Inès", "M2")],
            expected=counts(
                rows=2,
                shared_rows=1,
                participations_created=2,
                snapshots_created=2,
                results_created=16,
                unmatched=2,
            ),
        ),
        id="new rows create participations, with their results when shared",
    ),
    pytest.param(
        Case(
            earlier=[sent("Martin", "Paul", "M1", at=MARCH), not_sent("Petit", "Inès", "M2")],
            rows=[sent("Martin", "Paul", "M1", at=MARCH), not_sent("Petit", "Inès", "M2")],
            expected=counts(rows=2, shared_rows=1, unmatched=2),
        ),
        id="rows seen again unchanged write nothing",
    ),
    pytest.param(
        Case(
            earlier=[sent("Martin", "Paul", "M1", at=MARCH)],
            rows=[sent("MARTIN", "Paul", "M1", at=MARCH)],
            expected=counts(rows=1, shared_rows=1, participations_updated=1, unmatched=1),
        ),
        id="a changed name updates the participation without a new state",
    ),
    pytest.param(
        Case(
            campaign=assessment_campaign(),
            earlier=[assessed("Simon", "Léa", "S1", started=STARTED, progression=Decimal("0.3"))],
            rows=[assessed("Simon", "Léa", "S1", started=STARTED, progression=Decimal("0.7"))],
            expected=counts(rows=1, participations_updated=1, snapshots_created=1, unmatched=1),
        ),
        id="a progression records a new state",
    ),
    pytest.param(
        Case(
            campaign=assessment_campaign(),
            earlier=[assessed("Simon", "Léa", "S1", started=STARTED)],
            rows=[assessed("Simon", "Léa", "S1", started=STARTED, shared=APRIL)],
            expected=counts(
                rows=1,
                shared_rows=1,
                participations_updated=1,
                snapshots_created=1,
                results_created=3,
                unmatched=1,
            ),
        ),
        id="an assessment shared since records its state and results",
    ),
    pytest.param(
        Case(
            earlier=[sent("Martin", "Paul", "M1", at=MARCH, results=levels((2, 17)))],
            rows=[sent("Martin", "Paul", "M1", at=MARCH, results=levels((3, 24)))],
            expected=counts(
                rows=1,
                shared_rows=1,
                participations_updated=1,
                results_created=16,
                unmatched=1,
            ),
        ),
        id="other results at the same sending record the results only",
    ),
    pytest.param(
        Case(
            earlier=[sent("Martin", "Paul", "M1", at=MARCH)],
            agents_since=[("M1", "Martin", "Paul")],
            rows=[sent("Martin", "Paul", "M1", at=MARCH)],
            expected=counts(rows=1, shared_rows=1, participations_updated=1, matched=1),
        ),
        id="a participant matched since updates the participation only",
    ),
    pytest.param(
        Case(
            earlier=[not_sent("Petit", "Inès", "M2")],
            rows=[sent("Petit", "Inès", "M2", at=APRIL)],
            expected=counts(
                rows=1,
                shared_rows=1,
                participations_updated=1,
                snapshots_created=1,
                results_created=16,
                unmatched=1,
            ),
        ),
        id="an open participation sent since is continued",
    ),
    pytest.param(
        Case(
            earlier=[sent("Petit", "Inès", "M2", at=None)],
            rows=[sent("Petit", "Inès", "M2", at=APRIL)],
            expected=counts(
                rows=1,
                shared_rows=1,
                participations_updated=1,
                snapshots_created=1,
                unmatched=1,
            ),
        ),
        id="a sending dated since an undated one records its state but not the same results",
    ),
    pytest.param(
        Case(
            earlier=[not_sent("Leroy", "Karim", "M3")],
            rows=[not_sent("Leroy", "Karim", "M3"), sent("Leroy", "Karim", "M3", at=APRIL)],
            expected=counts(
                rows=2,
                shared_rows=1,
                participations_created=1,
                snapshots_created=1,
                results_created=16,
                unmatched=1,
            ),
        ),
        id="a sending beside a row still open is a new participation",
    ),
    pytest.param(
        Case(
            earlier=[not_sent("Roux", "Anne", "M4")],
            rows=[sent("Roux", "Anne", "M4", at=APRIL), sent("Roux", "Anne", "M4", at=MARCH)],
            expected=counts(
                rows=2,
                shared_rows=2,
                participations_created=1,
                participations_updated=1,
                snapshots_created=2,
                results_created=32,
                unmatched=1,
            ),
        ),
        id="of two sendings since an open participation the earliest continues it",
    ),
    pytest.param(
        Case(
            rows=[not_sent("Dupont", "Jean"), not_sent("Dupont", "Jean")],
            expected=counts(
                rows=2,
                participations_created=2,
                snapshots_created=2,
                unmatched=1,
                duplicate_keys=1,
            ),
        ),
        id="homonyms at the same time are two participations",
    ),
    pytest.param(
        Case(
            agents_since=[("M1", "Martin", "Paul"), ("Z9", "Leroy", "Karim")],
            rows=[
                not_sent("Martin", "Paul", "M1"),
                sent("Martin", "Paul", "M1", at=MARCH),
                not_sent("Leroy", "Karim", "X1"),
                not_sent("Nobody", "Here", "M404"),
            ],
            expected=counts(
                rows=4,
                shared_rows=1,
                participations_created=4,
                snapshots_created=4,
                results_created=16,
                matched=1,
                to_confirm=1,
                unmatched=1,
            ),
        ),
        id="participants are counted once each by how they are matched",
    ),
    pytest.param(
        Case(
            agents_since=[(None, "Anonymized", "Anonymized")],
            rows=[
                not_sent("Anonymized", "Anonymized"),
                sent("Anonymized", "Anonymized", at=MARCH),
                not_sent("Nobody", "Here", "M404"),
            ],
            expected=counts(
                rows=3,
                shared_rows=1,
                participations_created=3,
                snapshots_created=3,
                results_created=16,
                unmatched=1,
                anonymised=2,
            ),
        ),
        id="rows of learners Pix anonymised are counted apart and never matched",
    ),
]


@pytest.fixture
def preview_plans(monkeypatch):
    """The plans the services make, the preview's first."""
    plans = []

    def spied(*args, **kwargs):
        plan = build_plan(*args, **kwargs)
        plans.append(plan)
        return plan

    monkeypatch.setattr(services, "build_plan", spied)
    return plans


def database():
    """What an import writes: the participations' values, how many snapshots and results."""
    participations = {
        pk: values for pk, *values in Participation.objects.values_list("id", *STORED)
    }
    return participations, ParticipationSnapshot.objects.count(), CompetenceResult.objects.count()


def written(before, after) -> dict:
    participations, snapshots, results = before
    participations_now, snapshots_now, results_now = after
    return {
        "participations_created": len(participations_now.keys() - participations.keys()),
        "participations_updated": sum(
            participations_now[pk] != values for pk, values in participations.items()
        ),
        "snapshots_created": snapshots_now - snapshots,
        "results_created": results_now - results,
    }


@pytest.mark.parametrize("case", CASES)
def test_each_kind_of_row_is_counted_as_it_is_imported(case, preview_plans):
    campaign = case.campaign or profiles_campaign()
    if case.earlier:
        imported(*export(campaign, case.earlier, exported_at=paris(2026, 3, 10, 8, 0)))
    for external_id, last_name, first_name in case.agents_since:
        AgentFactory(external_id=external_id, last_name=last_name, first_name=first_name)
    content, name = export(campaign, case.rows, exported_at=paris(2026, 4, 20, 9, 30))
    preview = analysed(content + b"\n", name)  # not the same file as the earlier one
    plan = preview_plans[-1]
    before = database()

    done = services.import_run(result_import_id=preview.pk)

    assert {**asdict(plan.counts), "duplicate_keys": plan.duplicate_keys} == case.expected
    planned = {name: getattr(plan.counts, name) for name in KEPT}
    assert {name: getattr(preview, name) for name in KEPT} == planned
    assert {name: getattr(done, name) for name in KEPT} == planned
    assert written(before, database()) == {name: case.expected[name] for name in WRITTEN}
