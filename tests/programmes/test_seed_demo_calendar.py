"""The demo is alive on any date: seeded as of a day, it shows a third of the agents in
progress, some stalled, some at target, a rising share at target, reminders sent in the last
weeks, a milestone last month and one next month, a review cycle half-way."""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from programmes import demo, status
from programmes.demo.dates import add_months
from programmes.enums import OutgoingStatus, ProgressStatus
from programmes.models import PopulationStat, Programme, Reminder
from reviews.models import Review, ReviewCycle
from tests.programmes.test_seed_demo import snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def run(command, *args):
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def month_index(day):
    return day.year * 12 + day.month


# --- The calendar alone, every day of a year ------------------------------------------------


def every_day(year):
    day = datetime.date(year, 1, 1)
    while day.year == year:
        yield day
        day += datetime.timedelta(days=1)


@pytest.mark.django_db(False)
def test_the_calendar_keeps_its_shape_whatever_the_day():
    for today in every_day(2028):  # a leap year: 29 February included
        dates = demo.DemoCalendar(today)
        exports = [moment.date() for moment in dates.profiles_exports]
        assert exports == sorted(exports) and exports[-1] < today
        # Who moved between the last two exports is within the stall delay (30 days).
        assert (today - exports[-2]).days <= 31
        assert dates.programme_start < exports[0]
        assert dates.socle_exports == dates.profiles_exports[-4:]
        (_first, first), (_second, held) = dates.milestones
        assert exports[-3] < first < exports[-2] <= held < exports[-1]
        assert month_index(held) == month_index(today) - 1
        assert month_index(dates.next_milestone[1]) == month_index(today) + 1
        assert all(today - datetime.timedelta(days=28) <= d < today for d in dates.reminder_days)
        assert dates.review_opens < today < dates.review_closes
        assert today < dates.target_deadline < dates.programme_end
        assert demo.DemoCalendar.from_programme_start(dates.programme_start) == dates


@pytest.mark.django_db(False)
def test_add_months_clamps_to_the_last_day():
    assert add_months(datetime.date(2027, 1, 31), 1) == datetime.date(2027, 2, 28)
    assert add_months(datetime.date(2027, 3, 15), -3) == datetime.date(2026, 12, 15)
    assert add_months(datetime.date(2026, 12, 6), 13) == datetime.date(2028, 1, 6)


# --- Seeded as of two days ----------------------------------------------------------------


@pytest.mark.parametrize("today", [datetime.date(2026, 12, 6), datetime.date(2027, 3, 15)])
def test_the_demo_seeded_on_any_day_is_alive(today):
    iso = today.isoformat()
    run("seed_demo", "--today", iso)
    run("seed_demo_reviews")
    run("refresh_stats", "--backfill", "--today", iso)
    programme = Programme.objects.get(slug=demo.PROGRAMME_SLUG)
    populations = list(programme.populations.order_by("name"))

    # A believable mix: about a third in progress, some stalled, some at target.
    overall = dict.fromkeys(ProgressStatus, 0)
    for population in populations:
        counts = status.status_counts(status.population_progress(population, today=today))
        assert counts.counts[ProgressStatus.IN_PROGRESS] >= 0.15 * counts.total
        assert counts.counts[ProgressStatus.STALLED] >= 1
        assert counts.counts[ProgressStatus.TARGET_REACHED] >= 1
        for value, count in counts.counts.items():
            overall[value] += count
    in_progress = overall[ProgressStatus.IN_PROGRESS] / sum(overall.values())
    assert 0.2 <= in_progress <= 0.5

    # The share at target rises over the last nine months, month end after month end.
    for population in populations:
        history = [
            stat.reached / stat.enrolled
            for stat in PopulationStat.objects.filter(population=population).order_by("on")
        ]
        last = history[-10:]
        assert len(last) == 10
        assert last == sorted(last) and last[-1] >= last[0] + 0.1

    # Reminders already sent, the latest within the last weeks; one of them failed.
    sent = Reminder.objects.filter(programme=programme, status=OutgoingStatus.SENT)
    latest = max(sent.values_list("sent_at", flat=True))
    assert 0 < (today - latest.date()).days <= 30
    assert all(r.sent_at.date() < today for r in sent)
    assert Reminder.objects.filter(programme=programme, status=OutgoingStatus.FAILED).exists()

    # A milestone held last month, with its check-ins, and one next month.
    for population in populations:
        held = population.milestones.filter(checkins__isnull=False).distinct()
        assert any(month_index(m.date) == month_index(today) - 1 for m in held)
        assert population.milestones.filter(
            date__year=add_months(today, 1).year, date__month=add_months(today, 1).month
        ).exists()

    # A review cycle half-way; the targets due a few months ahead.
    cycle = ReviewCycle.objects.get(programme=programme)
    assert cycle.opens_on < today < cycle.closes_on
    assert abs((today - cycle.opens_on).days - (cycle.closes_on - today).days) <= 7
    deadlines = set(
        programme.populations.values_list("targets__deadline", flat=True).exclude(
            targets__deadline=None
        )
    )
    assert deadlines and all(today < deadline for deadline in deadlines)
    assert programme.start_date < today < programme.end_date

    # Seeding again the same day changes nothing.
    before = snapshot(), list(Reminder.objects.order_by("pk").values()), Review.objects.count()
    output = run("seed_demo", "--today", iso)
    run("seed_demo_reviews")
    after = snapshot(), list(Reminder.objects.order_by("pk").values()), Review.objects.count()
    assert after == before
    assert "0 points d'étape, 0 entretiens" in output and "0 relances" in output


def test_a_demo_keeps_the_day_it_was_first_seeded():
    run("seed_demo", "--today", "2026-12-06")
    output = run("seed_demo")  # another day by the clock, maybe: the demo keeps its own
    assert "démonstration datée du 6 décembre 2026" in output
    assert "déjà importé" in output and "0 relances" in output
    with pytest.raises(CommandError, match="datée du 6 décembre 2026, pas du 20 décembre 2026"):
        run("seed_demo", "--today", "2026-12-20")


def test_make_run_knows_when_the_demo_has_aged():
    """`manage.py demo_aged` exits 0 (make run then starts from an empty demo database)
    only once the demo is more than two weeks old; 1 without a demo."""
    with pytest.raises(SystemExit) as no_demo:
        run("demo_aged", "--today", "2026-12-06")
    assert no_demo.value.code == 1
    run("seed_demo", "--today", "2026-12-06")
    with pytest.raises(SystemExit) as fresh:
        run("demo_aged", "--today", "2026-12-20")
    assert fresh.value.code == 1
    assert "recréée à la date du jour" in run("demo_aged", "--today", "2026-12-21")
