"""The counts of a review cycle's progress page are stored on the cycle (issue 18): a page of
a cycle whose sheets did not change reads no sheet; a sheet that changes state or manager,
or sheets added, make the next page count again (at most every
REVIEWS_PROGRESS_MIN_INTERVAL seconds, the stored counts shown with their time in between);
counts older than REVIEWS_PROGRESS_MAX_AGE are taken again whatever changed."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agents.importer import COLUMNS
from agents.services import agent_import
from reviews import selectors_cycles, services, services_cycles
from reviews.models import CycleCounts, Review, ReviewCycle, ReviewState
from tests.agents.factories import AgentFactory, OrgUnitFactory
from tests.programmes.factories import EnrolmentFactory
from tests.reviews.factories import ReviewCycleFactory, ReviewFactory

SHEETS_TABLE = Review._meta.db_table


def _cycle(cast, sheets=6, unit_name="Bureau A"):
    cycle = ReviewCycleFactory(programme=cast.programme)
    unit = OrgUnitFactory(name=unit_name)
    for _n in range(sheets):
        ReviewFactory(cycle=cycle, agent=AgentFactory(org_unit=unit, manager=cast.manager_agent))
    return cycle


def _page(client, user, cycle):
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("reviews:cycle_detail", kwargs={"pk": cycle.pk}))
    assert response.status_code == 200
    read_sheets = any(f'FROM "{SHEETS_TABLE}"' in query["sql"] for query in queries)
    return response, read_sheets


def _states(response):
    return response.context["progress"].overall.states


def test_a_cycle_whose_sheets_did_not_change_is_shown_without_reading_a_sheet(
    client, managerial_cast
):
    cycle = _cycle(managerial_cast)

    first, read_first = _page(client, managerial_cast.owner, cycle)
    second, read_second = _page(client, managerial_cast.owner, cycle)

    assert read_first and not read_second
    assert _states(first) == _states(second) == [6, 0, 0, 0, 0]
    assert "progress-counted-at" not in second.content.decode()


def test_a_state_changed_by_the_manager_is_counted_on_the_next_page(client, managerial_cast):
    cycle = _cycle(managerial_cast)
    _page(client, managerial_cast.owner, cycle)
    sheet = cycle.reviews.first()

    services.review_mark_prepared(review=sheet, by=managerial_cast.manager)
    response, read = _page(client, managerial_cast.owner, cycle)

    assert read
    assert _states(response) == [5, 1, 0, 0, 0]


def test_sheets_added_by_the_job_are_counted_on_the_next_page(client, managerial_cast):
    cycle = services_cycles.cycle_open(
        programme=managerial_cast.programme,
        year=2026,
        opens_on=datetime.date(2026, 10, 1),
        closes_on=datetime.date(2026, 12, 31),
        by=managerial_cast.owner,
    )
    before = _states(_page(client, managerial_cast.owner, cycle)[0])
    EnrolmentFactory(agent=AgentFactory(), population=managerial_cast.population)

    services_cycles.cycle_sync(cycle=cycle)

    after = _states(_page(client, managerial_cast.owner, cycle)[0])
    assert after[0] == before[0] + 1


def test_between_two_counts_the_page_shows_the_stored_ones_with_their_time(
    client, managerial_cast, settings
):
    settings.REVIEWS_PROGRESS_MIN_INTERVAL = 60
    cycle = _cycle(managerial_cast)
    _page(client, managerial_cast.owner, cycle)
    services.review_mark_prepared(review=cycle.reviews.first(), by=managerial_cast.manager)

    response, read = _page(client, managerial_cast.owner, cycle)

    assert not read
    assert _states(response) == [6, 0, 0, 0, 0]
    html = response.content.decode()
    assert 'id="progress-counted-at"' in html and "des fiches ont changé depuis" in html

    # A minute later, the next page counts again.
    CycleCounts.objects.filter(cycle=cycle).update(
        counted_at=timezone.now() - datetime.timedelta(seconds=61)
    )
    response, read = _page(client, managerial_cast.owner, cycle)
    assert read and _states(response) == [5, 1, 0, 0, 0]
    assert 'id="progress-counted-at"' not in response.content.decode()


def test_counts_older_than_the_maximum_age_are_taken_again_after_an_agent_moved(
    client, managerial_cast, settings
):
    cycle = _cycle(managerial_cast)
    _page(client, managerial_cast.owner, cycle)
    moved = cycle.reviews.first().agent
    moved.org_unit = OrgUnitFactory(name="Bureau Z")
    moved.save()  # an agent saved changes no sheet: the stored counts stay current

    assert not _page(client, managerial_cast.owner, cycle)[1]

    CycleCounts.objects.filter(cycle=cycle).update(
        counted_at=timezone.now()
        - datetime.timedelta(seconds=settings.REVIEWS_PROGRESS_MAX_AGE + 1)
    )
    response, read = _page(client, managerial_cast.owner, cycle)
    assert read
    progress = response.context["progress"]
    names = [group.row.name for group in progress.groups] + [
        service.name for group in progress.groups for service in group.services
    ]
    assert any("Bureau Z" in name for name in names)


def test_the_count_of_an_older_version_is_never_stored_over_a_newer_one(managerial_cast):
    cycle = _cycle(managerial_cast)
    stale = ReviewCycle.objects.get(pk=cycle.pk)  # loaded before anyone counted
    fresh = ReviewCycle.objects.get(pk=cycle.pk)
    selectors_cycles.counted_rows(fresh)
    newer = fresh.counts.version
    # Someone's count of an older version comes back last (theirs is due: the stored one is
    # of another version and over a minute old): it writes nothing.
    CycleCounts.objects.filter(cycle=cycle).update(
        version=newer + 5, counted_at=timezone.now() - datetime.timedelta(seconds=61)
    )
    assert selectors_cycles.counted_rows(stale).behind is False  # counted again, by `stale`

    assert CycleCounts.objects.get(cycle=cycle).version == newer + 5


def test_the_list_of_cycles_counts_sheets_and_done_from_the_stored_counts(client, managerial_cast):
    cycle = _cycle(managerial_cast)
    for sheet in cycle.reviews.all()[:2]:
        sheet.state = ReviewState.HELD
        sheet.save(update_fields=["state", "updated_at"])
    client.force_login(managerial_cast.owner)
    url = reverse("reviews:cycle_list", kwargs={"slug": managerial_cast.programme.slug})

    [listed] = client.get(url).context["page_obj"]
    assert (listed.sheets, listed.done) == (6, 2)

    with CaptureQueriesContext(connection) as queries:
        [listed] = client.get(url).context["page_obj"]
    assert (listed.sheets, listed.done) == (6, 2)
    assert not any(f'FROM "{SHEETS_TABLE}"' in query["sql"] for query in queries)


def test_agents_moved_by_the_hr_list_are_counted_in_their_new_unit_on_the_next_page(
    client, managerial_cast
):
    cycle = _cycle(managerial_cast, unit_name="Bureau des moulins")
    _page(client, managerial_cast.owner, cycle)
    moved = cycle.reviews.first().agent
    header = ";".join(COLUMNS)
    row = f"{moved.external_id};{moved.last_name};{moved.first_name};{moved.email};"
    row += f"Bureau des écluses;{moved.job_title};{managerial_cast.manager_agent.email}"

    report = agent_import(data=f"{header}\n{row}".encode())
    response, read = _page(client, managerial_cast.owner, cycle)

    assert report.updated == 1 and not report.errors
    assert read
    sizes = {
        row.name: row.size
        for group in response.context["progress"].groups
        for row in (group.row, *group.services)
    }
    assert sizes.get("Bureau des moulins") == 5
    assert sizes.get("Bureau des écluses") == 1


def test_a_dry_run_of_the_hr_list_leaves_the_counts_as_they_are(client, managerial_cast):
    cycle = _cycle(managerial_cast)
    _page(client, managerial_cast.owner, cycle)
    moved = cycle.reviews.first().agent
    header = ";".join(COLUMNS)
    row = f"{moved.external_id};{moved.last_name};{moved.first_name};{moved.email};Ailleurs;;"

    agent_import(data=f"{header}\n{row}".encode(), dry_run=True)

    assert not _page(client, managerial_cast.owner, cycle)[1]
