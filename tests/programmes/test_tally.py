"""The populations' tallies (programmes/tally.py, triggers of migration 0020): every way an
enrolment is written, read or deleted keeps them equal to the enrolments' own count; a day
of activity is the local day; merging keeps the counts; check_progress finds and rebuilds a
tally that drifted."""

from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from agents.models import Agent
from programmes import tally
from programmes.enums import ProgressStatus
from programmes.models import (
    NO_ACTIVITY,
    NO_CHECKIN,
    NO_HOLD,
    OPEN_END,
    Enrolment,
    PopulationTally,
    TargetPopulation,
)
from programmes.selectors import population_counts, populations_with_counts
from programmes.status import population_progress
from tests.agents.factories import AgentFactory
from tests.programmes.factories import (
    EnrolmentFactory,
    ProgrammeFactory,
    TargetPopulationFactory,
)

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


def rows(population):
    return sorted(
        PopulationTally.objects.filter(population=population).values_list(*tally.KEY, "n")
    )


def assert_counted(population, today=None):
    """The tally agrees with the enrolments, group by group and status by status."""
    today = today or timezone.localdate()
    assert tally.drift([population.pk]) == []
    counted = population_counts(population, today=today).statuses.counts
    expected = dict.fromkeys(ProgressStatus, 0)
    for value in population_progress(population, today=today).values_list(
        "progress_status", flat=True
    ):
        expected[ProgressStatus(value)] += 1
    assert counted == expected


@pytest.fixture
def population():
    return TargetPopulationFactory(programme=ProgrammeFactory(stall_threshold_days=30))


def test_an_enrolment_saved_adds_its_group(population):
    enrolment = EnrolmentFactory(population=population, start_date=date(2026, 3, 1))
    assert rows(population) == [
        (date(2026, 3, 1), OPEN_END, NO_ACTIVITY, False, False, 0, NO_HOLD, NO_CHECKIN, 1)
    ]
    assert_counted(population)
    # Its progress stored (as progress.py writes it): the old group −1, the new one +1.
    moment = datetime(2026, 11, 20, 10, tzinfo=PARIS)
    Enrolment.objects.filter(pk=enrolment.pk).update(
        last_activity=moment, has_shared=True, targets_met=1
    )
    tally.compact([population.pk])
    assert rows(population) == [
        (date(2026, 3, 1), OPEN_END, date(2026, 11, 20), True, False, 1, NO_HOLD, NO_CHECKIN, 1)
    ]
    assert_counted(population)


def test_a_day_of_activity_is_the_local_day(population):
    """00:30 in Paris is the day before in UTC: the tally takes the local day, as the stall
    cutoff (local midnight) does, so the counts agree on both sides of the cutoff."""
    today = date(2026, 12, 6)
    cutoff_day = today - timedelta(days=30)
    moments = [
        datetime.combine(cutoff_day, datetime.min.time(), tzinfo=PARIS) + timedelta(minutes=30),
        datetime.combine(cutoff_day, datetime.min.time(), tzinfo=PARIS) - timedelta(minutes=30),
        datetime.combine(cutoff_day, datetime.min.time(), tzinfo=PARIS),
    ]
    for moment in moments:
        enrolment = EnrolmentFactory(population=population, start_date=date(2026, 1, 5))
        Enrolment.objects.filter(pk=enrolment.pk).update(last_activity=moment)
    days = sorted(day for _s, _e, day, *_rest in rows(population) if day != NO_ACTIVITY)
    assert days == [cutoff_day - timedelta(days=1), cutoff_day, cutoff_day]
    counts = population_counts(population, today=today).statuses.counts
    assert counts[ProgressStatus.STALLED] == 1
    assert counts[ProgressStatus.IN_PROGRESS] == 2
    assert_counted(population, today)


def test_dates_of_enrolment_decide_who_counts_on_a_day(population):
    EnrolmentFactory(population=population, start_date=date(2026, 2, 1))
    later = EnrolmentFactory(population=population, start_date=date(2026, 6, 1))
    gone = EnrolmentFactory(population=population, start_date=date(2026, 2, 1))
    gone.end_date = date(2026, 9, 1)
    gone.save()
    for day, head_count in [
        (date(2026, 1, 31), 0),
        (date(2026, 3, 1), 2),
        (date(2026, 6, 1), 3),
        (date(2026, 8, 31), 3),
        (date(2026, 9, 1), 2),
    ]:
        assert population_counts(population, today=day).statuses.total == head_count, day
        annotated = populations_with_counts(TargetPopulation.objects.filter(pk=population.pk), day)
        assert annotated.get().enrolled_count == head_count
        assert_counted(population, day)
    later.delete()
    assert population_counts(population, today=date(2026, 8, 31)).statuses.total == 2


def test_bulk_writes_and_moves_between_populations(population):
    other = TargetPopulationFactory(programme=population.programme)
    agents = AgentFactory.create_batch(5)
    Enrolment.objects.bulk_create(
        [Enrolment(agent=agent, population=population) for agent in agents]
    )
    assert population_counts(population).statuses.total == 5
    Enrolment.objects.filter(agent__in=agents[:2]).update(population=other)
    assert population_counts(population).statuses.total == 3
    assert population_counts(other).statuses.total == 2
    assert_counted(population)
    assert_counted(other)


def test_deleting_agents_or_the_population_leaves_nothing_counted(population):
    agents = AgentFactory.create_batch(3)
    for agent in agents:
        EnrolmentFactory(population=population, agent=agent)
    Agent.objects.filter(pk=agents[0].pk).delete()  # cascades to the enrolment
    assert population_counts(population).statuses.total == 2
    assert_counted(population)
    population_id = population.pk
    population.delete()
    tally.compact([population_id])
    assert not PopulationTally.objects.filter(population_id=population_id).exists()


def test_compact_merges_a_group_into_one_row_whatever_the_head_count(population):
    agents = AgentFactory.create_batch(40)
    for agent in agents:  # one statement each: 40 rows of +1
        EnrolmentFactory(population=population, agent=agent, start_date=date(2026, 2, 1))
    assert PopulationTally.objects.filter(population=population).count() == 40
    other = TargetPopulationFactory(programme=population.programme)
    EnrolmentFactory(population=other)
    EnrolmentFactory(population=other)
    assert tally.compact([population.pk]) == 1
    assert rows(population) == [
        (date(2026, 2, 1), OPEN_END, NO_ACTIVITY, False, False, 0, NO_HOLD, NO_CHECKIN, 40)
    ]
    assert PopulationTally.objects.filter(population=other).count() == 2  # not asked
    tally.compact()
    assert PopulationTally.objects.filter(population=other).count() == 1
    assert_counted(population)


def test_the_population_counts_read_one_query_of_tally_rows(population, django_assert_num_queries):
    for _ in range(3):
        EnrolmentFactory(population=population)
    with django_assert_num_queries(1):
        population_counts(population)


@pytest.fixture
def miscounted(population):
    EnrolmentFactory(population=population, start_date=date(2026, 2, 1))
    PopulationTally.objects.create(
        population=population,
        start_date=date(2026, 2, 1),
        end_date=OPEN_END,
        activity_day=NO_ACTIVITY,
        has_shared=False,
        reached=False,
        targets_met=0,
        n=4,
    )
    return population


def test_check_progress_reports_a_tally_that_drifted(miscounted):
    out = StringIO()
    with pytest.raises(CommandError, match="--fix"):
        call_command("check_progress", stdout=out)
    assert "Décomptes des populations : 1 en écart." in out.getvalue()
    assert "décompté 5, compté 1" in out.getvalue()


def test_check_progress_fix_rebuilds_the_tally(miscounted, caplog):
    out = StringIO()
    call_command("check_progress", "--fix", stdout=out)
    assert "Décomptes des populations en écart refaits." in out.getvalue()
    assert any("tally drifted" in record.getMessage() for record in caplog.records)
    assert population_counts(miscounted).statuses.total == 1
    assert rows(miscounted) == [
        (date(2026, 2, 1), OPEN_END, NO_ACTIVITY, False, False, 0, NO_HOLD, NO_CHECKIN, 1)
    ]
    out = StringIO()
    call_command("check_progress", stdout=out)
    assert "Décomptes des populations : 0 en écart." in out.getvalue()


def test_the_refresh_stats_command_merges_the_tallies(population):
    for agent in AgentFactory.create_batch(6):
        EnrolmentFactory(population=population, agent=agent, start_date=date(2026, 2, 1))
    assert PopulationTally.objects.filter(population=population).count() == 6

    call_command("refresh_stats", programme=population.programme.slug, stdout=StringIO())

    assert rows(population) == [
        (date(2026, 2, 1), OPEN_END, NO_ACTIVITY, False, False, 0, NO_HOLD, NO_CHECKIN, 6)
    ]
