"""Demo data: a fictional regional directorate of ~800 agents running one Pix programme,
with Pix Orga exports of two campaigns imported over several months.

The organisation is planned in plain Python first (`plan_org`, no database), then written by
`build_org`, `build_users` and `build_programme`. Every write is keyed on a stable value
(unit code, matricule, e-mail, programme slug, population name, milestone, resource
title...), so seeding twice changes nothing. The plan draws names and matricules from one
`random.Random(SEED)` walking the chart in order: editing the chart renumbers the people
after the edit, so reset the demo database (delete db.sqlite3) after such a change.

Every date is relative to the day the demo is first seeded (`dates`, `DemoCalendar`): the
last Pix export two days before, a milestone last month and one next month, reminders sent
in the last weeks, targets due a few months ahead; seeding again later keeps that day.

The package: `data` (settings, chart, names, wording), `dates` (the calendar), `plan` (the
ORM-free plan),
`results` (the Pix exports, made with `campaigns.pix_writer` from a seeded random walk, no
database) and `build` (the database writes; the exports go through the import services,
one skipped when a DONE import of the same bytes exists), which ends with `accompaniment`
(milestones and check-ins, the resource catalogue and its uses, mentors and mentorings,
from the plain data of `accompaniment_data`) and `reminders` (the reminders sent). The
names below are its public interface.
"""

from programmes.demo.build import (
    CalendarMismatch,
    demo_calendar,
    discard_stored_files,
    seed_demo,
    seeded_day,
)
from programmes.demo.data import (
    DEMO_PASSWORD,
    MANAGER_TITLES,
    PROGRAMME_NAME,
    PROGRAMME_SLUG,
    SITE_URL,
)
from programmes.demo.dates import DemoCalendar
from programmes.demo.plan import POPULATIONS, plan_org
from programmes.demo.results import plan_exports

__all__ = [
    "DEMO_PASSWORD",
    "CalendarMismatch",
    "DemoCalendar",
    "MANAGER_TITLES",
    "POPULATIONS",
    "PROGRAMME_NAME",
    "PROGRAMME_SLUG",
    "SITE_URL",
    "demo_calendar",
    "seeded_day",
    "discard_stored_files",
    "plan_exports",
    "plan_org",
    "seed_demo",
]
