"""Demo data: a fictional regional directorate of ~800 agents running one Pix programme.

The organisation is planned in plain Python first (`plan_org`, no database), then written by
`build_org`, `build_users` and `build_programme`. Every write is keyed on a stable value
(unit code, matricule, e-mail, programme slug, population name), so seeding twice changes
nothing. The plan draws names and matricules from one `random.Random(SEED)` walking the
chart in order: editing the chart renumbers the people after the edit, so reset the demo
database (delete db.sqlite3) after such a change.

The package: `data` (settings, chart, names, wording), `plan` (the ORM-free plan) and
`build` (the database writes). The names below are its public interface.
"""

from .build import seed_demo
from .data import DEMO_PASSWORD, MANAGER_TITLES, PROGRAMME_NAME, PROGRAMME_SLUG, SITE_URL
from .plan import POPULATIONS, plan_org

__all__ = [
    "DEMO_PASSWORD",
    "MANAGER_TITLES",
    "POPULATIONS",
    "PROGRAMME_NAME",
    "PROGRAMME_SLUG",
    "SITE_URL",
    "plan_org",
    "seed_demo",
]
