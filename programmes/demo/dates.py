"""The demo's calendar, relative to the day it is seeded: whatever that day, the programme
started eleven months before, its last Pix export is two days old, a milestone was held
last month and the next one is due next month, the review cycle is half-way and the targets
are due a few months ahead. Plain Python, no database.

The day a demo was first seeded is kept by the database (the programme's start date is that
day less `PROGRAMME_AGE`): seeding again later keeps that calendar, so that nothing is
imported twice under other dates. A demo database seeded long ago has aged like a real one;
delete it to seed one dated from today.
"""

import calendar
import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

PROGRAMME_AGE = 330  # days between the programme's start and the day the demo is seeded
SECOND_PROGRAMME_AGE = 270
# Days before the seeding day of each export of the profiles collection, oldest first: the
# last one two days old, the one before within the stall delay (30 days) of the last one, so
# that everyone who moved between them is « en cours ».
PROFILES_EXPORT_AGES = (270, 205, 140, 80, 31, 2)
PROFILES_OPENED_AGE = 300
# The parcours opens later and is exported with the last four.
SOCLE_OPENED_AGE = 170
SOCLE_EXPORT_COUNT = 4
EXPORT_HOURS = ((9, 30), (10, 5), (9, 45), (14, 20), (11, 10), (16, 40))


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` moved by `months` calendar months, clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    """`day` at `hour`:`minute` in Paris."""
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=PARIS)


@dataclass(frozen=True)
class DemoCalendar:
    """Every date of the demo, from `today`, the day it is seeded."""

    today: datetime.date

    @classmethod
    def from_programme_start(cls, start: datetime.date) -> "DemoCalendar":
        return cls(start + datetime.timedelta(days=PROGRAMME_AGE))

    def ago(self, days: int) -> datetime.date:
        return self.today - datetime.timedelta(days=days)

    def ahead(self, days: int) -> datetime.date:
        return self.today + datetime.timedelta(days=days)

    # The programmes.

    @property
    def programme_start(self) -> datetime.date:
        return self.ago(PROGRAMME_AGE)

    @property
    def programme_end(self) -> datetime.date:
        return month_end(add_months(self.today, 7))

    @property
    def target_deadline(self) -> datetime.date:
        """The dated targets' deadline: the end of the month four months ahead."""
        return month_end(add_months(self.today, 4))

    @property
    def second_programme_start(self) -> datetime.date:
        return self.ago(SECOND_PROGRAMME_AGE)

    @property
    def second_programme_end(self) -> datetime.date:
        return month_end(add_months(self.today, 13))

    # The Pix exports.

    @property
    def profiles_opened(self) -> datetime.datetime:
        return at(self.ago(PROFILES_OPENED_AGE), 9)

    @property
    def profiles_exports(self) -> tuple[datetime.datetime, ...]:
        return tuple(
            at(self.ago(age), hour, minute)
            for age, (hour, minute) in zip(PROFILES_EXPORT_AGES, EXPORT_HOURS, strict=True)
        )

    @property
    def socle_opened(self) -> datetime.datetime:
        return at(self.ago(SOCLE_OPENED_AGE), 9)

    @property
    def socle_exports(self) -> tuple[datetime.datetime, ...]:
        return self.profiles_exports[-SOCLE_EXPORT_COUNT:]

    # The accompaniment.

    @property
    def milestones(self) -> tuple[tuple[str, datetime.date], ...]:
        """The milestones held, with their check-ins: one a week after the export before
        the last three, one last month, after the export before the last one."""
        last_month = add_months(self.today, -1)
        recent = max(
            self.profiles_exports[-2].date() + datetime.timedelta(days=3),
            last_month.replace(day=1),
        )
        return (
            ("Premier point d'étape", self.profiles_exports[-3].date() + datetime.timedelta(7)),
            ("Point d'étape de mi-parcours", min(recent, month_end(last_month))),
        )

    @property
    def next_milestone(self) -> tuple[str, datetime.date]:
        """The milestone to come: mid-next month."""
        return ("Prochain point d'étape", add_months(self.today, 1).replace(day=15))

    @property
    def reminder_days(self) -> tuple[datetime.date, ...]:
        """The days reminders were sent: Tuesdays of the last four weeks."""
        tuesday = self.today - datetime.timedelta(days=(self.today.weekday() - 1) % 7 or 7)
        return tuple(tuesday - datetime.timedelta(weeks=weeks) for weeks in (3, 2, 1, 0))

    # The annual reviews: opened six weeks ago, closing in six weeks.

    @property
    def review_opens(self) -> datetime.date:
        return self.ago(42)

    @property
    def review_closes(self) -> datetime.date:
        return self.ahead(42)

    @property
    def review_year(self) -> int:
        return self.review_opens.year
