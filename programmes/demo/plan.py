"""The demo organisation planned in plain Python, no database: the units parsed from the
chart, the demo cast, the agents with their matricules, e-mails and managers, and the
populations of the programme as predicates on planned agents."""

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from agents.enums import OrgUnitKind
from programmes.demo.data import (
    ASSISTANT,
    BUREAU_HEAD,
    CONTROL_UNIT_STAFF,
    DEPARTEMENTS,
    DEPARTMENTAL_STAFF,
    DIGITAL_OFFICER,
    EMAIL_DOMAIN,
    FIRST_NAMES,
    LAST_NAMES,
    MANAGER_TITLES,
    ORG_CHART,
    SECRETARY_GENERAL,
    SEED,
)

_KINDS_BY_DEPTH = {0: OrgUnitKind.DIRECTION, 1: OrgUnitKind.SERVICE}


@dataclass(frozen=True)
class UnitSpec:
    """One org unit: its head's job title and the other staff as (job title, count)."""

    code: str
    name: str
    kind: str
    parent_code: str | None
    head: str = ""
    staff: tuple[tuple[str, int], ...] = ()


def _parse_staff(text):
    staff = []
    for item in text.split(" ; "):
        job_title, count = item.rsplit(" ×", 1)
        staff.append((job_title.strip(), int(count)))
    return tuple(staff)


def parse_chart(chart: str) -> list[UnitSpec]:
    """The units of `chart`, parents before children."""
    units, stack = [], []  # stack: the codes of the current unit's ancestors and itself
    for line in chart.splitlines():
        if not line.strip():
            continue
        depth, text = (len(line) - len(line.lstrip())) // 2, line.strip()
        key, value = text.split(": ", 1)
        if key == "head":
            units[-1] = replace(units[-1], head=value)
        elif key == "staff":
            units[-1] = replace(units[-1], staff=_parse_staff(value))
        else:
            del stack[depth:]
            kind = _KINDS_BY_DEPTH.get(depth, OrgUnitKind.UNIT)
            units.append(UnitSpec(key, value, kind, stack[-1] if stack else None))
            stack.append(key)
    return units


def _departmental_units():
    units = []
    for number, name, control_units in DEPARTEMENTS:
        code = f"UD{number}"
        units.append(
            UnitSpec(
                code,
                f"Unité départementale {name} ({number})",
                OrgUnitKind.UNIT,
                "UD",
                "Directeur·rice de l'unité départementale",
                DEPARTMENTAL_STAFF,
            )
        )
        units.extend(
            UnitSpec(
                f"{code}-UC{rank}",
                f"Unité de contrôle n° {rank} {name}",
                OrgUnitKind.UNIT,
                code,
                "Responsable d'unité de contrôle",
                CONTROL_UNIT_STAFF,
            )
            for rank in range(1, control_units + 1)
        )
    return units


ORG_UNITS = (*parse_chart(ORG_CHART), *_departmental_units())


@dataclass(frozen=True)
class DemoPerson:
    """Someone of the demo the README talks about, and their login if they have one."""

    role: str
    login: str | None
    first_name: str
    last_name: str
    unit_code: str
    job_title: str


DIRECTOR = DemoPerson("direction", None, "Marc", "Delaunay", "DREETS-OCC", ORG_UNITS[0].head)
OWNER = DemoPerson(
    "pilote du programme",
    "pilote@demo.gouv.fr",
    "Catherine",
    "Vergnes",
    "SG",
    SECRETARY_GENERAL,
)
AMBASSADOR = DemoPerson(
    "ambassadeur·rice Pix",
    "ambassadeur@demo.gouv.fr",
    "Julien",
    "Castagné",
    "SG-MMN",
    DIGITAL_OFFICER,
)
MANAGER = DemoPerson(
    "encadrant·e", "encadrant@demo.gouv.fr", "Nadia", "Benyahia", "SG-BAA", BUREAU_HEAD
)
AGENT = DemoPerson("agent", "agent@demo.gouv.fr", "Léa", "Fontanel", "SG-BAA", ASSISTANT)
DEMO_PEOPLE = (DIRECTOR, OWNER, AMBASSADOR, MANAGER, AGENT)


@dataclass(frozen=True)
class PlannedAgent:
    external_id: str
    first_name: str
    last_name: str
    email: str
    job_title: str
    unit_path: tuple[str, ...]  # unit codes from the root down to the agent's unit
    manager_id: str | None  # the manager's external id; None only for the director

    @property
    def unit_code(self):
        return self.unit_path[-1]


@dataclass
class OrgPlan:
    agents: list[PlannedAgent] = field(default_factory=list)
    people: dict[str, PlannedAgent] = field(default_factory=dict)  # by DemoPerson.role


def email_local_part(first_name: str, last_name: str) -> str:
    """`prenom.nom`: accents dropped, apostrophes removed, spaces turned into hyphens."""

    def clean(text):
        ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return "-".join(ascii_text.lower().replace("'", "").split())

    return f"{clean(first_name)}.{clean(last_name)}"


def plan_org(*, seed: int = SEED) -> OrgPlan:
    """The agents of `ORG_UNITS` as plain data, the same for the same seed, each with a
    unique matricule and e-mail, reporting to their unit's head (a head reports to the head
    of the parent unit; the director to no one)."""
    rng = random.Random(seed)
    plan = OrgPlan()
    reserved = {(p.first_name, p.last_name) for p in DEMO_PEOPLE}
    slots = {(p.unit_code, p.job_title): p for p in DEMO_PEOPLE}
    used_names, used_emails, used_ids = set(reserved), set(), set()

    def new_agent(job_title, unit_path, manager_id):
        person = slots.pop((unit_path[-1], job_title), None)
        if person is not None:
            first, last = person.first_name, person.last_name
        else:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            while (first, last) in used_names:
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        used_names.add((first, last))
        local = base = email_local_part(first, last)
        suffix = 1
        while local in used_emails:
            suffix += 1
            local = f"{base}{suffix}"
        used_emails.add(local)
        external_id = f"DR{rng.randrange(10**6):06d}"
        while external_id in used_ids:
            external_id = f"DR{rng.randrange(10**6):06d}"
        used_ids.add(external_id)
        agent = PlannedAgent(
            external_id=external_id,
            first_name=first,
            last_name=last,
            email=f"{local}@{EMAIL_DOMAIN}",
            job_title=job_title,
            unit_path=unit_path,
            manager_id=manager_id,
        )
        plan.agents.append(agent)
        if person is not None:
            plan.people[person.role] = agent
        return agent

    paths, heads = {}, {}
    for unit in ORG_UNITS:
        paths[unit.code] = (*paths.get(unit.parent_code, ()), unit.code)
        head = new_agent(unit.head, paths[unit.code], heads.get(unit.parent_code))
        heads[unit.code] = head.external_id
        for job_title, count in unit.staff:
            for _ in range(count):
                new_agent(job_title, paths[unit.code], head.external_id)
    if slots:
        raise ValueError(f"Demo people without a slot in the chart: {sorted(slots)}")
    return plan


# A target due by the calendar's deadline (a few months after the seeding day), or not.
DATED, UNDATED = True, False


@dataclass(frozen=True)
class PopulationSpec:
    name: str
    description: str
    targets: tuple[tuple[str, int, bool], ...]  # (competence, level, due by the deadline)
    includes: Callable[[PlannedAgent], bool]


POPULATIONS = (
    PopulationSpec(
        "Assistant·e·s de service",
        "Les assistant·e·s de service de tous les pôles et unités départementales : "
        "recherche d'information, échanges, traitement de texte et sécurité au quotidien.",
        (
            ("1.1", 3, DATED),
            ("1.2", 2, DATED),
            ("2.1", 3, DATED),
            ("2.2", 2, DATED),
            ("2.3", 2, DATED),
            ("3.1", 3, DATED),
            ("4.1", 3, DATED),
        ),
        lambda agent: agent.job_title == ASSISTANT,
    ),
    PopulationSpec(
        "Encadrant·e·s du secrétariat général",
        "Les encadrant·e·s du secrétariat général (secrétaire générale, chef·fe·s de bureau, "
        "de section, de mission, de cellule et leurs adjoint·e·s) : montrer l'exemple et "
        "animer le travail collaboratif de leurs équipes.",
        (
            ("1.1", 3, UNDATED),
            ("2.1", 3, UNDATED),
            ("2.3", 3, UNDATED),
            ("4.1", 3, UNDATED),
            ("4.2", 3, UNDATED),
        ),
        lambda agent: "SG" in agent.unit_path and agent.job_title in MANAGER_TITLES,
    ),
    PopulationSpec(
        "Informaticien·ne·s",
        "Les agents du service des systèmes d'information et de communication : niveaux "
        "avancés en données, programmation, sécurité et résolution de problèmes techniques.",
        (
            ("1.3", 4, DATED),
            ("3.4", 5, UNDATED),
            ("4.1", 5, UNDATED),
            ("4.2", 4, DATED),
            ("5.1", 5, UNDATED),
            ("5.2", 4, DATED),
        ),
        lambda agent: "SIC" in agent.unit_path,
    ),
)

# The second programme's one population: every agent of the Pôle 3E (its assistants are in
# the first programme's « Assistant·e·s de service » too).
SECOND_POPULATION = PopulationSpec(
    "Agents du Pôle 3E",
    "Tous les agents du Pôle Entreprises, emploi et économie : dossiers dématérialisés, "
    "échanges avec les entreprises et protection des données.",
    (
        ("1.1", 3, UNDATED),
        ("2.1", 3, UNDATED),
        ("3.1", 3, UNDATED),
        ("4.2", 2, UNDATED),
    ),
    lambda agent: "P3E" in agent.unit_path,
)
