"""The figures refresh after an import costs what the programme's own agents cost (issue 15):
participants nobody matched in the campaigns the programme follows, however many, neither add
queries nor work inside them, and change no figure."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.enums import CampaignKind, ParticipationStatus
from campaigns.models import CompetenceResult, Participation
from programmes.enums import TargetKind
from programmes.steering import stats
from tests.campaigns.factories import CampaignFactory, ResultImportFactory
from tests.programmes.factories import TargetFactory
from tests.programmes.steering.test_dashboard import competence, participation

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="counts SQLite's virtual machine steps"
)


@pytest.fixture
def followed(cast):
    """The cast's programme follows a profiles collection and an assessment; its population
    has a level, a mastery-rate and a stage target; four of its six agents took part."""
    collection = CampaignFactory()
    assessment = CampaignFactory(kind=CampaignKind.ASSESSMENT, target_profile="Parcours socle")
    cast.programme.campaigns.add(collection, assessment)
    TargetFactory(
        population=cast.population,
        kind=TargetKind.MASTERY_RATE,
        level=None,
        competence=competence("1.1"),
        campaign=assessment,
        mastery_rate="0.5",
    )
    TargetFactory(
        population=cast.population,
        kind=TargetKind.STAGE,
        level=None,
        competence=None,
        campaign=assessment,
        stage=2,
    )
    agents = [enrolment.agent for enrolment in cast.population.enrolments.all()]
    for days_ago, agent in zip((2, 10, 45, 3), agents, strict=False):
        participation(agent, collection, days_ago=days_ago, shared=True, levels={"1.1": 3})
        taken = participation(agent, assessment, days_ago=days_ago, shared=True)
        taken.stage = days_ago % 4
        taken.save()
        CompetenceResult.objects.create(
            participation=taken,
            result_import=taken.last_import,
            competence=competence("1.1"),
            observed_at=taken.shared_at,
            mastery_rate="0.6",
        )
    return collection, assessment


def add_unmatched(campaign, count, *, start):
    """`count` shared participants of `campaign` nobody matched, with a result on every
    competence the targets name (1.1 level 5, mastery 0.9: they would meet every target)."""
    result_import = ResultImportFactory(campaign=campaign)
    now = timezone.now()
    rows = Participation.objects.bulk_create(
        Participation(
            campaign=campaign,
            participant_last_name=f"Inconnu {n}",
            participant_first_name="X",
            participant_key=f"ext:u{n}",
            row_key="open",
            status=ParticipationStatus.SHARED,
            shared_at=now,
            stage=5,
            first_import=result_import,
            last_import=result_import,
            last_progress_at=now,
        )
        for n in range(start, start + count)
    )
    CompetenceResult.objects.bulk_create(
        CompetenceResult(
            participation=row,
            result_import=result_import,
            competence=competence("1.1"),
            observed_at=now,
            level=5,
            pix=40,
            mastery_rate="0.9",
        )
        for row in rows
    )


def refresh(cast):
    """The refresh's queries, its SQLite virtual machine steps (a measure of the rows it
    reads, unlike time) and its figures."""
    steps = 0

    def count(*_):
        nonlocal steps
        steps += 1
        return 0

    connection.ensure_connection()
    connection.connection.set_progress_handler(count, 100)
    try:
        with CaptureQueriesContext(connection) as queries:
            [stat] = stats.programme_stats_refresh(
                programme=cast.programme, on=timezone.localdate()
            )
    finally:
        connection.connection.set_progress_handler(None, 0)
    figures = {field: getattr(stat, field) for field in (*stats.COUNT_FIELDS, "per_target")}
    return len(queries), steps, figures


def test_the_refresh_does_not_grow_with_unmatched_participants(cast, followed):
    for campaign in followed:
        add_unmatched(campaign, 10, start=0)
    refresh(cast)  # the day's row exists: each refresh below rewrites it
    queries_few, steps_few, figures_few = refresh(cast)
    for campaign in followed:
        add_unmatched(campaign, 990, start=10)

    queries_many, steps_many, figures_many = refresh(cast)

    assert figures_many == figures_few
    assert figures_few["enrolled"] == 6 and figures_few["started"] == 4
    assert queries_many == queries_few
    # A hundred times the unmatched participants; the work stays the agents' (it grew 46
    # times, 326 to 15,159 steps, when the results were reached by competence, whoever's).
    assert steps_many < 1.2 * steps_few, (steps_few, steps_many)
