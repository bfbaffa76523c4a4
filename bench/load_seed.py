"""Seed of the load test's database (bench/load_test.sh runs it): a fictional regional
directorate of 10,000 agents (or --agents N) running one managerial Pix programme, with what
every role's pages show.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/load_seed.py [--agents N] [--reseed | --check]

Uses its own database on DATABASE_URL's server: $BENCH_DATABASE, else `pilote_pix_load` for
10,000 agents and `pilote_pix_load_<N>` for another size (so that each size keeps its own).
Seeding starts from an empty database (dropped and created again, then migrated) and marks
it done with a comment on the database naming the seed's version and size: without
--reseed, a database so marked is kept; --check answers (exit status 0 or 1) whether it is
there and prints its figures. A database marked for another size is seeded again.

What it holds (the organisation is drawn from a fixed seed, so two runs give the same data):

- 10,000 agents: a director, 12 services (secretariat, IT, four divisions, six departmental
  units) of 4 bureaus, each bureau of 10 units of 10 to 30 agents, the manager tree
  following the chart. With --agents N, each service has 4 bureaus per 10,000 agents
  (rounded, at least one): the teams keep their 10 to 30 agents and a bureau its ~200,
  the services grow (100,000 agents: 40 bureaus a service, 4,800 teams);
- one programme (managerial purpose: the manager line sees individual results) with four
  populations and their level targets (one changed along the way): assistants, managers,
  IT staff, inspectors and controllers, ~7,800 enrolments;
- six Pix Orga exports of a profiles collection, made with `campaigns.pix_writer` and
  imported through the real services (the raw files go to MEDIA_ROOT), then the dashboard's
  monthly figures rebuilt (`refresh_stats --backfill`);
- two milestones per population with their check-ins (the demo's wording) and counts
  (`milestone_counts_refresh`), the demo's resource catalogue and ~3,000 uses, mentor
  offers and mentoring requests (the mentoring services);
- this year's review cycle (`cycle_open`, one sheet per enrolled agent), the sheets of the
  manager logins' direct reports prepared (60 %) and shared (a third of those) through the
  review services;
- the reminder rules on and today's due reminders claimed by `reminders_run`, the first 300
  sent through `reminder_send` (e-mails kept in memory), the rest marked sent (sending each
  costs ~30 ms; the pages only list the rows); 20,000 past views in the access log;
- logins (bench/load_accounts.py): 3 owners, 8 ambassadors (two per population), 110
  managers (100 unit heads, 10 bureau heads), 500 agents (five of each unit head's team),
  one password, printed.
"""

import argparse
import datetime
import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import benchdb  # bench/ is on the path: these run as scripts
import load_accounts as accounts

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_AGENTS = 10_000
DB_NAME = benchdb.database_name("pilote_pix_load")  # set again by main() for another size
SEED_VERSION = "load-seed v1"
SEED = 2026
SLUG = "programme-pix-charge"
TOTAL_AGENTS = DEFAULT_AGENTS  # set by main() from --agents
MINIMUM_AGENTS = 5_000
EXPORT_DAYS_AGO = (300, 240, 180, 120, 60, 4)  # the profiles collection's six exports
MILESTONE_DAYS_AGO = (75, 12)
ACCESS_LOG_ROWS = 20_000
RESOURCE_USES = 3_000
REMINDERS_SENT = 300

SERVICES = (
    ("SG", "Secrétariat général", "Secrétaire général·e"),
    ("SIC", "Service des systèmes d'information et de communication", "Chef·fe de service"),
    ("PT", "Pôle politique du travail", "Chef·fe de pôle"),
    ("P3E", "Pôle entreprises, emploi, économie", "Chef·fe de pôle"),
    ("PS", "Pôle solidarités, insertion", "Chef·fe de pôle"),
    ("PC", "Pôle contrôle et inspection", "Chef·fe de pôle"),
    *(
        (f"UD{number}", f"Unité départementale {name} ({number})",
         "Directeur·rice de l'unité départementale")
        for number, name in (("09", "de l'Ariège"), ("11", "de l'Aude"), ("12", "de l'Aveyron"),
                             ("30", "du Gard"), ("31", "de la Haute-Garonne"),
                             ("34", "de l'Hérault"))
    ),
)  # fmt: skip
BUREAUS = ("Bureau des affaires générales", "Bureau du pilotage", "Bureau de l'appui",
           "Bureau des usagers")  # fmt: skip
UNITS_PER_BUREAU = 10
TEAM_SIZES = (10, 30)
DIRECTOR = "Directeur·rice régional·e"
BUREAU_HEAD = "Chef·fe de bureau"
UNIT_HEAD = "Responsable d'unité"
HEADS = (DIRECTOR, BUREAU_HEAD, UNIT_HEAD, *{title for _, _, title in SERVICES})
ASSISTANT = "Assistant·e"
INSPECTOR = "Inspecteur·rice du travail"
CONTROLLER = "Contrôleur·se du travail"
OFFICER = "Chargé·e de mission"
TECHNICIAN = "Agent technique"
STAFF = ((ASSISTANT, 30), (INSPECTOR, 20), (CONTROLLER, 25), (OFFICER, 15), (TECHNICIAN, 10))
IT_STAFF = (("Informaticien·ne", 60), ("Technicien·ne informatique", 40))
AMBASSADOR_TITLE = "Ambassadeur·rice Pix"

# name, description, targets (competence, level), who
POPULATIONS = (
    ("Assistant·e·s", "Les assistant·e·s de tous les services et unités départementales.",
     (("1.1", 3), ("1.2", 2), ("2.1", 3), ("2.3", 2), ("3.1", 3), ("4.1", 3)),
     lambda a: a.job_title == ASSISTANT),
    ("Encadrant·e·s", "Tous les encadrant·e·s, de la direction aux responsables d'unité.",
     (("1.1", 3), ("2.1", 3), ("2.3", 3), ("4.1", 3), ("4.2", 3)),
     lambda a: a.job_title in HEADS),
    ("Informaticien·ne·s", "Le service des systèmes d'information et de communication.",
     (("1.3", 4), ("3.4", 5), ("4.1", 5), ("4.2", 4), ("5.1", 5), ("5.2", 4)),
     lambda a: a.service == "SIC"),
    ("Agents de contrôle", "Les inspecteur·rice·s et contrôleur·se·s du travail.",
     (("1.1", 3), ("2.1", 2), ("2.2", 2), ("3.1", 2), ("4.1", 2)),
     lambda a: a.job_title in (INSPECTOR, CONTROLLER)),
)  # fmt: skip
CHANGED_TARGET = ("Agents de contrôle", "4.1", 3, 150)  # raised from 2 to 3, 150 days ago


def timed(label, function):
    began = time.perf_counter()
    value = function()
    print(f"  {label:<58} {time.perf_counter() - began:6.1f} s", flush=True)
    return value


# --- The database: dropped and created again, marked when the seed is complete -------------


def server_url(database: str) -> str:
    parts = urlsplit(os.environ.get("DATABASE_URL", ""))
    if not parts.scheme.startswith("postgres"):
        sys.exit("DATABASE_URL must point to PostgreSQL (postgres://…): the load test needs it.")
    return urlunsplit(parts._replace(path=f"/{database}"))


def seeded_marker() -> str | None:
    """The comment on the load database (the seed's version), None if it is missing."""
    import psycopg

    with psycopg.connect(server_url("postgres"), autocommit=True) as admin:
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [DB_NAME],
        ).fetchone()
    return row[0] if row else None


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(server_url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{DB_NAME}"')


def seed_marker() -> str:
    """What marks a complete seed of this size (the 10,000 agents' as it always was)."""
    if TOTAL_AGENTS == DEFAULT_AGENTS:
        return SEED_VERSION
    return f"{SEED_VERSION}, {TOTAL_AGENTS} agents"


def mark_seeded() -> None:
    import psycopg

    with psycopg.connect(server_url("postgres"), autocommit=True) as admin:
        admin.execute(f"COMMENT ON DATABASE \"{DB_NAME}\" IS '{seed_marker()}'")


def setup_django() -> None:
    os.environ["DATABASE_URL"] = server_url(DB_NAME)
    os.environ.pop("REDIS_URL", None)  # tasks (stats after an import) run in this process
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ.setdefault("MEDIA_ROOT", str(Path(tempfile.gettempdir()) / "pilote-pix-load"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DJANGO_DEMO"] = "1"
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()


# --- The organisation, planned in plain Python ---------------------------------------------


class Planned:
    """An agent before it is written: its place in the chart and, once written, its id."""

    __slots__ = ("external_id", "first_name", "last_name", "email", "job_title", "unit",
                 "service", "manager", "pk", "login")  # fmt: skip

    def __init__(self, number, first_name, last_name, email, job_title, unit, service, manager):
        self.external_id = f"CH{number:06d}"
        self.first_name, self.last_name, self.email = first_name, last_name, email
        self.job_title, self.unit, self.service, self.manager = job_title, unit, service, manager
        self.pk = self.login = None


def bureau_names(count: int) -> list[str]:
    """The bureaus of a service: the four names, numbered from the fifth on."""
    return [
        BUREAUS[n % len(BUREAUS)] + (f" {n // len(BUREAUS) + 1}" if n >= len(BUREAUS) else "")
        for n in range(count)
    ]


def plan_org(rng: random.Random):
    """Units as (code, name, kind, parent code) and agents, managers before their reports:
    as many bureaus as the headcount needs (4 a service per 10,000 agents), so that the
    teams keep their size."""
    from agents.enums import OrgUnitKind
    from programmes.demo.data import FIRST_NAMES, LAST_NAMES
    from programmes.demo.plan import email_local_part

    units, agents, emails = [], [], set()

    def agent(job_title, unit, service, manager):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        local = base = email_local_part(first, last)
        suffix = 1
        while local in emails:
            suffix += 1
            local = f"{base}{suffix}"
        emails.add(local)
        planned = Planned(len(agents) + 1, first, last, f"{local}@dreets-charge.gouv.fr",
                          job_title, unit, service, manager)  # fmt: skip
        agents.append(planned)
        return planned

    units.append(("DR", "Direction régionale (test de charge)", OrgUnitKind.DIRECTION, None))
    director = agent(DIRECTOR, "DR", None, None)
    teams = []  # (unit code, service code, head, size)
    for code, name, head_title in SERVICES:
        units.append((code, name, OrgUnitKind.SERVICE, "DR"))
        service_head = agent(head_title, code, code, director)
        bureaus = max(1, round(len(BUREAUS) * TOTAL_AGENTS / DEFAULT_AGENTS))
        for number, bureau in enumerate(bureau_names(bureaus), start=1):
            bureau_code = f"{code}-B{number}"
            units.append((bureau_code, bureau, OrgUnitKind.SERVICE, code))
            bureau_head = agent(BUREAU_HEAD, bureau_code, code, service_head)
            for rank in range(1, UNITS_PER_BUREAU + 1):
                unit_code = f"{bureau_code}-U{rank:02d}"
                units.append((unit_code, f"Unité n° {rank}", OrgUnitKind.UNIT, bureau_code))
                head = agent(UNIT_HEAD, unit_code, code, bureau_head)
                teams.append([unit_code, code, head, rng.randint(*TEAM_SIZES)])
    # Team sizes drawn, then trimmed (or grown) one by one to reach the total exactly.
    excess = len(agents) + sum(team[3] for team in teams) - TOTAL_AGENTS
    while excess:
        team = rng.choice(teams)
        step = 1 if excess > 0 else -1
        if TEAM_SIZES[0] <= team[3] - step <= TEAM_SIZES[1]:
            team[3] -= step
            excess -= step
    for unit_code, service, head, size in teams:
        titles, weights = zip(*(IT_STAFF if service == "SIC" else STAFF), strict=True)
        for job_title in rng.choices(titles, weights, k=size):
            agent(job_title, unit_code, service, head)
    return units, agents, teams


# --- Writes ----------------------------------------------------------------------------------


def write_org(units, agents) -> None:
    from agents.models import Agent, OrgUnit

    by_code, pending_units = {}, list(units)
    while pending_units:  # parents before their children, in waves
        wave = [u for u in pending_units if u[3] is None or u[3] in by_code]
        rows = OrgUnit.objects.bulk_create(
            OrgUnit(code=code, name=name, kind=kind, parent=by_code.get(parent))
            for code, name, kind, parent in wave
        )
        by_code.update((row.code, row) for row in rows)
        pending_units = [u for u in pending_units if u[0] not in by_code]
    pending = list(agents)
    while pending:  # managers before their reports, in waves
        wave = [a for a in pending if a.manager is None or a.manager.pk is not None]
        rows = Agent.objects.bulk_create(
            [
                Agent(
                    external_id=a.external_id, first_name=a.first_name, last_name=a.last_name,
                    email=a.email, job_title=a.job_title, org_unit=by_code[a.unit],
                    manager_id=a.manager.pk if a.manager else None,
                )
                for a in wave
            ],
            batch_size=2000,
        )  # fmt: skip
        for planned, row in zip(wave, rows, strict=True):
            planned.pk = row.pk
        pending = [a for a in pending if a.pk is None]


def choose_logins(rng: random.Random, agents, teams, enrolled_ids: set[int]):
    """Which agents get which login: owners and ambassadors in the secretariat, managers among
    the unit and bureau heads, agents five per team of the unit heads with a login."""
    logins = {}
    secretariat = [a for a in agents if a.service == "SG" and a.job_title == OFFICER]
    sg_head = next(a for a in agents if a.unit == "SG")
    owners = [sg_head, *secretariat[: accounts.OWNERS - 1]]
    ambassadors = secretariat[accounts.OWNERS - 1 : accounts.OWNERS - 1 + accounts.AMBASSADORS]
    for planned in ambassadors:
        planned.job_title = AMBASSADOR_TITLE
    for number, planned in enumerate(owners, start=1):
        logins[planned.external_id] = accounts.email("pilote", number)
    for number, planned in enumerate(ambassadors, start=1):
        logins[planned.external_id] = accounts.email("ambassadeur", number)
    taken = {a.external_id for a in owners + ambassadors}
    staff_of = {}
    for planned in agents:
        if planned.manager is not None:
            staff_of.setdefault(planned.manager.external_id, []).append(planned)
    candidates = [
        team for team in teams
        if team[1] != "SG"
        and sum(1 for a in staff_of[team[2].external_id] if a.pk in enrolled_ids) >= 5
    ]  # fmt: skip
    unit_heads = [team[2] for team in rng.sample(candidates, 100)]
    bureau_heads = rng.sample(
        [a for a in agents if a.job_title == BUREAU_HEAD and a.service != "SG"],
        accounts.MANAGERS - 100,
    )
    for number, planned in enumerate(unit_heads + bureau_heads, start=1):
        logins[planned.external_id] = accounts.email("encadrant", number)
    number = 0
    for head in unit_heads:
        team = [a for a in staff_of[head.external_id] if a.pk in enrolled_ids]
        for planned in rng.sample(team, 5):
            number += 1
            logins[planned.external_id] = accounts.email("agent", number)
    assert number == accounts.AGENTS, number
    assert not taken & {a.external_id for a in unit_heads + bureau_heads}
    return logins, owners, ambassadors, unit_heads


def write_users(agents, logins) -> dict[str, object]:
    """One account per login, all with the same password (hashed once), tied to its agent."""
    from django.contrib.auth.hashers import make_password

    from agents.models import Agent, User

    hashed = make_password(accounts.PASSWORD)
    by_id = {a.external_id: a for a in agents}
    users = User.objects.bulk_create(
        User(
            email=login,
            password=hashed,
            first_name=by_id[external_id].first_name,
            last_name=by_id[external_id].last_name,
        )
        for external_id, login in logins.items()
    )
    rows = []
    for (external_id, _login), user in zip(logins.items(), users, strict=True):
        rows.append(Agent(pk=by_id[external_id].pk, user=user))
        by_id[external_id].login = user
    Agent.objects.bulk_update(rows, ["user"], batch_size=1000)
    Agent.objects.filter(job_title=OFFICER, external_id__in=[
        a.external_id for a in agents if a.job_title == AMBASSADOR_TITLE
    ]).update(job_title=AMBASSADOR_TITLE)  # fmt: skip
    return {user.email: user for user in users}


def write_programme(agents, owners, ambassadors, start: datetime.date):
    from campaigns.models import Competence
    from programmes.enums import Purpose, TargetKind
    from programmes.models import Enrolment, Programme, TargetChange, TargetPopulation
    from programmes.services import targets_save
    from programmes.targets import TargetSpec

    programme = Programme.objects.create(
        name="Programme Pix — test de charge",
        slug=SLUG,
        description=(
            f"Programme fictif du test de charge : {TOTAL_AGENTS:,} agents, quatre populations."
        ).replace(",", " "),
        purpose=Purpose.MANAGERIAL,
        start_date=start,
        end_date=start + datetime.timedelta(days=730),
    )
    programme.owners.set([a.login for a in owners])
    competences = {c.code: c for c in Competence.objects.all()}
    populations = {}
    begun = datetime.datetime.combine(start, datetime.time(10), tzinfo=datetime.UTC)
    for index, (name, description, targets, includes) in enumerate(POPULATIONS):
        population = TargetPopulation.objects.create(
            programme=programme, name=name, description=description
        )
        population.ambassadors.set([a.login for a in ambassadors[2 * index : 2 * index + 2]])
        specs = [
            TargetSpec(kind=TargetKind.LEVEL, competence_id=competences[code].pk, level=level)
            for code, level in targets
        ]
        if name == CHANGED_TARGET[0]:  # first set lower, raised later (the history page)
            specs = [
                TargetSpec(kind=s.kind, competence_id=s.competence_id, level=s.level - 1)
                if s.competence_id == competences[CHANGED_TARGET[1]].pk
                else s
                for s in specs
            ]
        targets_save(population=population, user=ambassadors[2 * index].login, targets=specs)
        TargetChange.objects.filter(population=population).update(changed_at=begun)
        if name == CHANGED_TARGET[0]:
            specs = [
                TargetSpec(kind=TargetKind.LEVEL, competence_id=competences[code].pk, level=level)
                for code, level in targets
            ]
            targets_save(population=population, user=ambassadors[2 * index].login, targets=specs)
            changed = datetime.datetime.now(datetime.UTC) - datetime.timedelta(
                days=CHANGED_TARGET[3]
            )
            TargetChange.objects.filter(population=population, changed_at__gt=begun).update(
                changed_at=changed
            )
        Enrolment.objects.bulk_create(
            [Enrolment(agent_id=a.pk, population=population, start_date=start)
             for a in agents if includes(a)],
            batch_size=2000,
        )  # fmt: skip
        populations[name] = population
    return programme, populations


# --- Pix results: exports written by pix_writer, imported by the real services --------------


def _levels(rng, targets: dict[str, int]) -> dict[str, int]:
    from campaigns.pix_writer import ALL_COMPETENCE_CODES

    levels = {}
    for code in ALL_COMPETENCE_CODES:
        mean = targets[code] - 1.3 if code in targets else 1.5
        levels[code] = min(max(round(rng.gauss(mean, 0.9)), 0), 5)
    return levels


def _raised(rng, levels: dict[str, int], targets: dict[str, int]) -> dict[str, int]:
    raised = {}
    for code, level in levels.items():
        draw = rng.random()
        step = 2 if draw < 0.08 else 1 if draw < (0.6 if code in targets else 0.3) else 0
        raised[code] = min(level + step, 7)
    return raised


def _attempts(rng, exports: int) -> list[tuple[int, int | None]]:
    """(export where it is first seen, export where it is sent or None): one participant's
    participations, the next one started after the previous one was sent."""
    start = rng.choices((0, 1, 2, 3, 4, 5, None), (25, 18, 14, 10, 8, 5, 20))[0]
    if start is None:
        return []
    stalled = rng.random() < 0.15
    attempts, index = [], start
    while index < exports:
        if stalled:
            attempts.append((index, None))
            break
        sent = index if rng.random() < 0.5 else index + 1
        attempts.append((index, sent if sent < exports else None))
        if sent >= exports:
            break
        index = sent + 1
        while index < exports and rng.random() >= 0.35:
            index += 1
    return attempts


def plan_exports(rng, agents, populations_of: dict[int, list[str]], now: datetime.datetime):
    """The six exports of the profiles collection (oldest first) as (filename, bytes)."""
    from campaigns import pix_writer
    from campaigns.pix_writer import PixCampaign, PixParticipant, PixResult

    campaign = PixCampaign(
        pix_id=520001,
        code="CHARGECOL26",
        name="Collecte de profils — test de charge",
        kind=pix_writer.KIND_PROFILES,
        organisation_name="DREETS fictive (test de charge)",
        external_id_label="Matricule",
    )
    targets_of = {name: dict(targets) for name, _, targets, _ in POPULATIONS}
    moments = [now - datetime.timedelta(days=days) for days in EXPORT_DAYS_AGO]
    opened = moments[0] - datetime.timedelta(days=45)
    windows = list(zip((opened, *moments[:-1]), moments, strict=True))
    rows = [[] for _ in moments]
    people = [a for a in agents if a.pk in populations_of]
    others = [a for a in agents if a.pk not in populations_of]
    people += rng.sample(others, len(others) // 20)  # a few not enrolled took part anyway
    strangers = [(f"Inconnu{n}", "Stagiaire", f"ST{n:04d}") for n in range(20)]
    for person in people + strangers:
        if isinstance(person, tuple):
            last_name, first_name, external_id, targets = *person, {}
        else:
            last_name, first_name, external_id = (
                person.last_name,
                person.first_name,
                (person.external_id),
            )
            targets = {}
            for name in populations_of.get(person.pk, ()):
                for code, level in targets_of[name].items():
                    targets[code] = max(level, targets.get(code, 0))
        attempts = _attempts(rng, len(moments))
        levels, sendings = _levels(rng, targets), []
        for _opened, sent in attempts:
            if sent is not None:
                if sendings:
                    levels = _raised(rng, levels, targets)
                low, high = windows[sent]
                shared_at = low + (high - low) * rng.uniform(0.05, 0.95)
                results = tuple(
                    PixResult(code, level=level, pix=level * 8 + rng.randrange(8))
                    for code, level in levels.items()
                )
                sendings.append((sent, shared_at, results))
        for index in range(len(moments)):
            done = [s for s in sendings if s[0] <= index]
            if done:
                _sent, shared_at, results = done[-1]
                rows[index].append(PixParticipant(
                    last_name=last_name, first_name=first_name, external_id=external_id,
                    shared=True, shared_at=shared_at, results=results,
                ))  # fmt: skip
            if any(o <= index and (s is None or s > index) for o, s in attempts):
                rows[index].append(PixParticipant(
                    last_name=last_name, first_name=first_name, external_id=external_id,
                ))  # fmt: skip
    exports = []
    for moment, participants in zip(moments, rows, strict=True):
        participants.sort(key=lambda p: (p.last_name.casefold(), p.first_name.casefold()))
        exports.append(
            (pix_writer.export_filename(campaign, moment),
             pix_writer.export_bytes(campaign, participants), len(participants))
        )  # fmt: skip
    return exports


def import_exports(programme, exports, uploader) -> None:
    from campaigns import services as campaign_services
    from campaigns.enums import ImportStatus
    from programmes.imports.services import programme_import_link, programme_import_run

    for filename, content, rows in exports:

        def run(filename=filename, content=content):
            result_import = campaign_services.import_create(
                fileobj=io.BytesIO(content), original_name=filename, uploaded_by=uploader
            )
            programme_import_link(programme=programme, result_import=result_import)
            result_import = campaign_services.import_analyse(result_import_id=result_import.pk)
            if result_import.status == ImportStatus.READY:
                result_import = programme_import_run(
                    programme=programme, result_import=result_import
                )
            if result_import.status != ImportStatus.DONE:
                raise RuntimeError(f"{filename}: {result_import.status} {result_import.errors}")

        timed(f"import {filename[-20:-4]} ({rows:,} lignes)", run)


# --- Accompaniment ---------------------------------------------------------------------------


def write_checkins(rng, programme, populations, ambassador_of, today) -> None:
    from programmes import status
    from programmes.accompaniment.checkins.services import milestone_counts_refresh
    from programmes.demo.accompaniment import plan_checkins
    from programmes.models import Barrier, CheckIn, Milestone

    barriers = {b.label: b for b in Barrier.objects.filter(programme=programme)}
    for population in populations.values():
        earlier = {}
        for days in MILESTONE_DAYS_AGO:
            day = today - datetime.timedelta(days=days)
            recorder = ambassador_of[population.pk]
            milestone = Milestone.objects.create(
                population=population,
                date=day,
                title=f"Point d'étape du {day:%d/%m/%Y}",
                created_by=recorder,
            )
            snapshot = list(
                status.population_progress(population, today=day).values_list(
                    "agent_id", "agent__external_id", "progress_status", "targets_met",
                    "targets_set",
                )
            )  # fmt: skip
            planned = plan_checkins(rng, snapshot, day, earlier, demo_agent_id=None)
            earlier = {p.agent_id: p for p in planned}
            rows = CheckIn.objects.bulk_create(
                (
                    CheckIn(milestone=milestone, agent_id=p.agent_id, status=p.status,
                            targets_met=p.targets_met, targets_set=p.targets_set,
                            comment=p.comment, next_step=p.next_step,
                            next_step_due=p.next_step_due, recorded_by=recorder)
                    for p in planned
                ),
                batch_size=2000,
            )  # fmt: skip
            CheckIn.barriers.through.objects.bulk_create(
                (
                    CheckIn.barriers.through(checkin_id=row.pk, barrier_id=barriers[label].pk)
                    for row, p in zip(rows, planned, strict=True)
                    for label in p.barriers
                ),
                batch_size=5000,
            )
            moment = datetime.datetime.combine(day, datetime.time(14), tzinfo=datetime.UTC)
            CheckIn.objects.filter(milestone=milestone).update(
                recorded_at=moment, updated_at=moment
            )
            milestone_counts_refresh(milestone=milestone)


def write_resources(rng, programme, agents_by_login) -> None:
    from programmes.demo.accompaniment import build_resources
    from programmes.enums import ResourceState, TargetKind
    from programmes.models import Enrolment, ResourceUse, Target

    resources, _created = build_resources(programme=programme)
    covered = {r.pk: set(r.competences.values_list("code", flat=True)) for r in resources.values()}
    codes_of_population = {}
    for population_id, code in Target.objects.filter(
        population__programme=programme, kind=TargetKind.LEVEL
    ).values_list("population_id", "competence__code"):
        codes_of_population.setdefault(population_id, set()).add(code)
    codes_of = {}
    for agent_id, population_id in Enrolment.objects.filter(
        population__programme=programme
    ).values_list("agent_id", "population_id"):
        codes_of.setdefault(agent_id, set()).update(codes_of_population[population_id])
    with_login = [a for a in agents_by_login if a in codes_of]
    chosen = rng.sample(sorted(codes_of), RESOURCE_USES) + rng.sample(with_login, 300)
    uses = {}
    for agent_id in chosen:
        fitting = [pk for pk, codes in covered.items() if codes & codes_of[agent_id]]
        if fitting:
            uses[(rng.choice(fitting), agent_id)] = rng.random() < 0.55
    rows = ResourceUse.objects.bulk_create(
        ResourceUse(
            resource_id=resource_id,
            agent_id=agent_id,
            state=ResourceState.DONE if done else ResourceState.STARTED,
            useful=rng.choice((True, True, False, None)) if done else None,
        )
        for (resource_id, agent_id), done in uses.items()
    )
    now = datetime.datetime.now(datetime.UTC)
    ResourceUse.objects.filter(pk__in=[r.pk for r in rows]).update(
        started_at=now - datetime.timedelta(days=40), updated_at=now - datetime.timedelta(days=9)
    )
    ResourceUse.objects.filter(state=ResourceState.DONE).update(
        done_at=now - datetime.timedelta(days=9)
    )


def write_mentoring(rng, programme, populations, ambassador_of) -> None:
    from django.core.exceptions import ValidationError

    from agents.models import Agent
    from programmes import status
    from programmes.accompaniment.mentoring import services as services_mentoring
    from programmes.enums import ProgressStatus

    for population in populations.values():
        codes = list(population.targets.values_list("competence__code", flat=True))
        progress = list(
            status.population_progress(population).values_list("agent_id", "progress_status")
        )
        reached = [a for a, s in progress if s == ProgressStatus.TARGET_REACHED]
        behind = [
            a for a, s in progress if s in (ProgressStatus.STALLED, ProgressStatus.IN_PROGRESS)
        ]
        competences = {t.competence.code: t.competence for t in population.targets.all()}
        mentors = []
        for agent_id in rng.sample(reached, min(12, len(reached))):
            code = rng.choice(codes)
            try:
                mentors.append(services_mentoring.mentor_volunteer(
                    agent=Agent.objects.get(pk=agent_id), programme=programme,
                    competence=competences[code],
                ))  # fmt: skip
            except ValidationError:
                continue
        for agent_id in rng.sample(behind, min(25, len(behind))):
            code = rng.choice([m.competence.code for m in mentors] or codes)
            try:
                mentoring = services_mentoring.mentoring_request(
                    mentee=Agent.objects.get(pk=agent_id), programme=programme,
                    competence=competences[code],
                )  # fmt: skip
            except ValidationError:
                continue
            offers = [m for m in mentors if m.competence.code == code and m.agent_id != agent_id]
            if offers and rng.random() < 0.5:
                services_mentoring.mentoring_pair(
                    mentoring=mentoring, mentor=rng.choice(offers),
                    paired_by=ambassador_of[population.pk],
                )  # fmt: skip


# --- Reviews, reminders, access log ----------------------------------------------------------


def write_reviews(rng, programme, owner_user, unit_heads, today) -> None:
    from campaigns.models import Competence
    from reviews.models import Review
    from reviews.services import review_mark_prepared, review_save, review_share
    from reviews.services_cycles import cycle_open

    cycle = cycle_open(
        programme=programme,
        year=today.year,
        opens_on=today - datetime.timedelta(days=26),
        closes_on=today + datetime.timedelta(days=62),
        by=owner_user,
        in_background=False,  # the sheets are written just below
    )
    competences = list(Competence.objects.filter(code__in=("1.1", "2.1", "4.1", "5.1")))
    for head in unit_heads:
        reviews = list(
            Review.objects.filter(cycle=cycle, manager_id=head.pk).select_related("agent__user")
        )
        for review in reviews:
            # Every sheet of an agent with a login is prepared: their page shows it.
            if review.agent.user_id is None and rng.random() >= 0.6:
                continue
            review_save(
                review=review, by=head.login,
                acquired_skills="Bonne maîtrise des outils du service ; progrès en sécurité.",
                training_needs="Sécurité numérique : un niveau à gagner.",
                trainings_wanted="Parcours e-learning sur la cybersécurité.",
                prospects="Référent·e numérique de l'équipe à moyen terme.",
                cpf_informed=True,
                manager_comment="Belle progression, à poursuivre.",
                objectives={c: rng.randint(2, 4) for c in rng.sample(competences, 2)},
            )  # fmt: skip
            review_mark_prepared(review=review, by=head.login)
            if rng.random() < 1 / 3:
                review_share(review=review, by=head.login)


def write_reminders(programme, owner_user, today) -> None:
    """The rules on, and today's run: the due reminders claimed by the real service, the
    first REMINDERS_SENT of them sent through it (e-mails kept in memory), the others marked
    sent in one update: sending each costs ~30 ms and the log page only lists the rows."""
    from django.core import mail
    from django.utils import timezone

    from programmes.enums import OutgoingStatus
    from programmes.models import Reminder, ReminderSettings
    from programmes.reminders.services import reminder_send, reminders_run

    ReminderSettings.objects.update_or_create(
        programme=programme,
        defaults={"enabled": True, "first_after_days": 21, "updated_by": owner_user},
    )
    outcome = reminders_run(day=today, send=False)
    pending = Reminder.objects.filter(status=OutgoingStatus.PENDING).order_by("pk")
    for pk in pending.values_list("pk", flat=True)[:REMINDERS_SENT]:
        reminder_send(reminder_id=pk, today=today)
    Reminder.objects.filter(status=OutgoingStatus.PENDING).update(
        status=OutgoingStatus.SENT, sent_at=timezone.now(), attempts=1
    )
    print(f"    {outcome} ; {len(getattr(mail, 'outbox', []))} e-mails really sent", flush=True)


def write_access_log(rng, programme, viewers, agent_ids) -> None:
    from programmes.models import ResultAccessLog

    now = datetime.datetime.now(datetime.UTC)
    ResultAccessLog.objects.bulk_create(
        (
            ResultAccessLog(
                viewer=rng.choice(viewers), agent_id=rng.choice(agent_ids), programme=programme,
                viewed_at=now - datetime.timedelta(minutes=rng.randint(60, 300 * 24 * 60)),
                path="/agents/",
            )
            for _ in range(ACCESS_LOG_ROWS)
        ),
        batch_size=5000,
    )  # fmt: skip


# --- The whole seed ----------------------------------------------------------------------------


def seed() -> None:
    from django.db import connection
    from django.utils import timezone

    from agents.models import User

    rng = random.Random(SEED)
    today = timezone.localdate()
    now = timezone.now()
    start = today - datetime.timedelta(days=EXPORT_DAYS_AGO[0] + 60)
    units, agents, teams = timed("organisation planned", lambda: plan_org(rng))
    timed(f"units ({len(units)}) and agents ({len(agents):,})", lambda: write_org(units, agents))
    # Populations are known from the plan: who is enrolled decides the agent logins.
    populations_of = {}
    for name, _description, _targets, includes in POPULATIONS:
        for planned in agents:
            if includes(planned):
                populations_of.setdefault(planned.pk, []).append(name)
    logins, owners, ambassadors, unit_heads = choose_logins(rng, agents, teams, set(populations_of))
    timed(f"logins ({len(logins)})", lambda: write_users(agents, logins))
    programme, populations = timed(
        "programme, populations, targets, enrolments",
        lambda: write_programme(agents, owners, ambassadors, start),
    )
    exports = timed("Pix exports written", lambda: plan_exports(rng, agents, populations_of, now))
    import_exports(programme, exports, ambassadors[0].login)
    from programmes import progress

    # The enrolments were bulk-created: their targets set (the not-started agents' too).
    timed("stored progress state", progress.rebuild_all)
    from django.core.management import call_command

    timed(
        "refresh_stats --backfill",
        lambda: call_command("refresh_stats", programme=SLUG, backfill=True, stdout=io.StringIO()),
    )
    ambassador_of = {
        population.pk: ambassadors[2 * index].login
        for index, population in enumerate(populations.values())
    }
    timed("milestones, check-ins, counts",
          lambda: write_checkins(rng, programme, populations, ambassador_of, today))  # fmt: skip
    agents_with_login = [a.pk for a in agents if a.login is not None]
    timed("resources and their uses",
          lambda: write_resources(rng, programme, agents_with_login))  # fmt: skip
    timed("mentors and mentorings",
          lambda: write_mentoring(rng, programme, populations, ambassador_of))  # fmt: skip
    timed("review cycle, sheets prepared and shared",
          lambda: write_reviews(rng, programme, owners[0].login, unit_heads, today))  # fmt: skip
    timed("reminder rules, today's run", lambda: write_reminders(programme, owners[0].login, today))
    viewers = list(User.objects.filter(email__startswith="encadrant")) + [
        a.login for a in ambassadors
    ]
    timed("access log",
          lambda: write_access_log(rng, programme, viewers, list(populations_of)))  # fmt: skip
    with connection.cursor() as cursor:
        timed("VACUUM ANALYZE", lambda: cursor.execute("VACUUM ANALYZE"))


def summary() -> None:
    from django.db import connection

    tables = (
        ("agents_agent", "agents"), ("agents_orgunit", "units"), ("agents_user", "logins"),
        ("programmes_enrolment", "enrolments"), ("campaigns_resultimport", "Pix imports"),
        ("campaigns_participation", "participations"),
        ("campaigns_competenceresult", "competence results"),
        ("programmes_populationstat", "stats rows"), ("programmes_milestone", "milestones"),
        ("programmes_checkin", "check-ins"), ("programmes_resource", "resources"),
        ("programmes_resourceuse", "resource uses"), ("programmes_mentor", "mentor offers"),
        ("programmes_mentoring", "mentorings"), ("reviews_review", "review sheets"),
        ("programmes_reminder", "reminders"), ("programmes_resultaccesslog", "access log rows"),
    )  # fmt: skip
    print(f"Base {DB_NAME} :")
    with connection.cursor() as cursor:
        for table, label in tables:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - our names
            print(f"  {label:<20} {cursor.fetchone()[0]:>10,}")
        cursor.execute(
            "SELECT p.name, count(*) FROM programmes_enrolment e JOIN "
            "programmes_targetpopulation p ON p.id = e.population_id GROUP BY p.name ORDER BY 1"
        )
        for name, count in cursor.fetchall():
            print(f"    population {name:<22} {count:>6,} inscrits")
        cursor.execute("SELECT state, count(*) FROM reviews_review GROUP BY state ORDER BY 1")
        print("    fiches : " + ", ".join(f"{state} {n:,}" for state, n in cursor.fetchall()))
    print(f"Comptes (mot de passe commun : {accounts.PASSWORD}) :")
    for role in ("pilote", "ambassadeur", "encadrant", "agent"):
        logins = accounts.emails(role)
        print(f"  {role:<12} {len(logins):>4}  {logins[0]} … {logins[-1]}")


def main() -> None:
    global DB_NAME, TOTAL_AGENTS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--agents", type=int, default=DEFAULT_AGENTS, help="Agents in the org chart (10,000)."
    )
    parser.add_argument("--reseed", action="store_true", help="Drop the database and seed again.")
    parser.add_argument(
        "--check", action="store_true", help="Exit 0 if seeded (and print its figures), else 1."
    )
    args = parser.parse_args()
    if args.agents < MINIMUM_AGENTS:
        sys.exit(f"--agents: at least {MINIMUM_AGENTS:,} (a hundred teams with a login).")
    TOTAL_AGENTS = args.agents
    size = "" if args.agents == DEFAULT_AGENTS else f"_{args.agents}"
    DB_NAME = benchdb.database_name(f"pilote_pix_load{size}")
    marker = seeded_marker()
    if args.check:
        if marker != seed_marker():
            print(f"{DB_NAME}: not seeded ({marker or 'no marker'}).")
            sys.exit(1)
        setup_django()
        summary()
        return
    if marker == seed_marker() and not args.reseed:
        print(f"{DB_NAME} already seeded ({marker}); --reseed to start again.")
        setup_django()
        summary()
        return
    began = time.perf_counter()
    print(f"Seeding {DB_NAME} from scratch:", flush=True)
    timed("database dropped and created", recreate_database)
    setup_django()
    from django.core.management import call_command

    timed("migrate", lambda: call_command("migrate", verbosity=0))
    seed()
    mark_seeded()
    print(f"Seeded in {time.perf_counter() - began:.0f} s.")
    summary()


if __name__ == "__main__":
    main()
