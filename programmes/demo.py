"""Demo data: a fictional regional directorate of ~800 agents running one Pix programme.

The organisation is planned in plain Python first (`plan_org`, no database), then written by
`build_org`, `build_users` and `build_programme`. Every write is keyed on a stable value
(unit code, matricule, e-mail, programme slug, population name), so seeding twice changes
nothing. The plan draws names and matricules from one `random.Random(SEED)` walking the
chart in order: editing the chart renumbers the people after the edit, so reset the demo
database (delete db.sqlite3) after such a change.
"""

import datetime
import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from django.db import transaction
from django.utils import timezone

from agents.enums import OrgUnitKind
from agents.models import Agent, OrgUnit, User
from campaigns.models import Competence

from .enums import Purpose, TargetKind
from .models import Enrolment, Programme, Target, TargetPopulation

SEED = 2026
DEMO_PASSWORD = "demo-pix-2026"  # noqa: S105 - public demo password, printed on purpose
EMAIL_DOMAIN = "dreets-demo.gouv.fr"
SITE_URL = "http://127.0.0.1:8000"

PROGRAMME_SLUG = "pix-pour-tous-2026"
PROGRAMME_NAME = "Pix pour tous — compétences numériques 2026"
PROGRAMME_START = datetime.date(2026, 1, 5)
PROGRAMME_END = datetime.date(2027, 6, 30)
TARGET_DEADLINE = datetime.date(2026, 12, 31)

# Job titles the populations and the demo cast are defined by; the chart below uses them.
ASSISTANT = "Assistant·e de service"
BUREAU_HEAD = "Chef·fe de bureau"
SECRETARY_GENERAL = "Secrétaire général·e"
DIGITAL_OFFICER = "Chargé·e de mission transformation numérique"
# Heads and deputies: who the general secretariat's « Encadrant·e·s » population gathers.
MANAGER_TITLES = frozenset(
    {
        SECRETARY_GENERAL,
        "Secrétaire général·e adjoint·e",
        BUREAU_HEAD,
        "Adjoint·e au chef·fe de bureau",
        "Chef·fe de section",
        "Chef·fe de mission",
        "Chef·fe de cellule",
    }
)

# The organisation chart, one unit per "CODE: name" line, nested by two spaces; under it,
# "head:" is its head's job title and "staff:" the other agents, as "job title ×count".
# Everyone reports to the head of their unit; a head reports to the head of the parent unit.
# The departmental units of the labour inspection are generated (see DEPARTEMENTS).
ORG_CHART = """
DREETS-OCC: DREETS Occitanie — Direction régionale de l'économie, de l'emploi, du travail \
et des solidarités
  head: Directeur·rice régional·e
  staff: Directeur·rice régional·e adjoint·e ×2 ; Assistant·e de direction ×2 ; \
Chargé·e de mission ×2
  SG: Secrétariat général
    head: Secrétaire général·e
    staff: Secrétaire général·e adjoint·e ×1 ; Assistant·e de direction ×1
    SG-BAA: Bureau de l'appui administratif et du courrier
      head: Chef·fe de bureau
      staff: Assistant·e de service ×7 ; Agent·e d'accueil ×2 ; Gestionnaire courrier ×1
    SG-BRH: Bureau des ressources humaines
      head: Chef·fe de bureau
      staff: Adjoint·e au chef·fe de bureau ×1 ; Assistant·e de service ×1
      SG-BRH-GA: Section gestion administrative des personnels
        head: Chef·fe de section
        staff: Gestionnaire ressources humaines ×6
      SG-BRH-PAIE: Section paie et rémunérations
        head: Chef·fe de section
        staff: Gestionnaire paie ×4
      SG-BRH-FOR: Section formation et compétences
        head: Chef·fe de section
        staff: Conseiller·ère formation ×2 ; Gestionnaire formation ×2
      SG-BRH-REC: Section recrutement et mobilités
        head: Chef·fe de section
        staff: Chargé·e de recrutement ×2 ; Gestionnaire ressources humaines ×2
      SG-BRH-ASP: Section action sociale, santé et sécurité au travail
        head: Chef·fe de section
        staff: Assistant·e social·e du personnel ×2 ; Conseiller·ère de prévention ×1 ; \
Gestionnaire ressources humaines ×1
    SG-BFB: Bureau des finances et du budget
      head: Chef·fe de bureau
      staff: Adjoint·e au chef·fe de bureau ×1
      SG-BFB-PRG: Section programmation et pilotage budgétaire
        head: Chef·fe de section
        staff: Chargé·e de contrôle de gestion ×2 ; Gestionnaire budgétaire et comptable ×2
      SG-BFB-MS: Section pilotage de la masse salariale
        head: Chef·fe de section
        staff: Chargé·e du pilotage de la masse salariale ×2
      SG-BFB-DEP: Section exécution de la dépense (Chorus)
        head: Chef·fe de section
        staff: Gestionnaire budgétaire et comptable ×7
    SG-BMG: Bureau des moyens généraux et de l'immobilier
      head: Chef·fe de bureau
      staff: Adjoint·e au chef·fe de bureau ×1
      SG-BMG-LOG: Section logistique
        head: Chef·fe de section
        staff: Agent·e logistique ×4 ; Conducteur·rice ×1
      SG-BMG-IMM: Section immobilier et sécurité des locaux
        head: Chef·fe de section
        staff: Chargé·e de l'immobilier ×2 ; Chargé·e de la sécurité des locaux ×1
    SG-BAJ: Bureau des affaires juridiques
      head: Chef·fe de bureau
      staff: Adjoint·e au chef·fe de bureau ×1 ; Juriste ×4
    SG-BAP: Bureau des achats publics
      head: Chef·fe de bureau
      staff: Acheteur·se public·que ×3
    SG-BPCI: Bureau du pilotage, de la performance et du contrôle interne
      head: Chef·fe de bureau
      staff: Chargé·e de contrôle interne ×2 ; Chargé·e de mission ×2
    SG-MMN: Mission modernisation et transformation numérique
      head: Chef·fe de mission
      staff: Chargé·e de mission transformation numérique ×2 ; Chargé·e de mission qualité ×1
    SG-CAD: Cellule archives et documentation
      head: Chef·fe de cellule
      staff: Documentaliste ×2 ; Archiviste ×1
  P3E: Pôle Entreprises, emploi et économie (Pôle 3E)
    head: Chef·fe de pôle
    staff: Adjoint·e au chef·fe de pôle ×1 ; Assistant·e de service ×2
    P3E-DEC: Service développement de l'emploi et des compétences
      head: Chef·fe de service
      staff: Chargé·e de développement de l'emploi et des territoires ×9 ; \
Assistant·e de service ×1
    P3E-DEM: Service développement économique et mutations
      head: Chef·fe de service
      staff: Chargé·e de mission développement économique ×6 ; \
Chargé·e de mission mutations économiques ×5
    P3E-FPA: Service formation professionnelle et apprentissage
      head: Chef·fe de service
      staff: Chargé·e de mission ×7 ; Gestionnaire administratif·ve ×6 ; \
Assistant·e de service ×1
    P3E-SRC: Service régional de contrôle de la formation professionnelle
      head: Chef·fe de service
      staff: Inspecteur·rice de la formation professionnelle ×7 ; \
Contrôleur·se de la formation professionnelle ×3 ; Assistant·e de service ×1
    P3E-FSE: Service Fonds social européen (FSE+)
      head: Chef·fe de service
      staff: Chargé·e de gestion FSE+ ×10 ; Contrôleur·se de service fait ×5 ; \
Assistant·e de service ×1
    P3E-IAE: Service insertion par l'activité économique
      head: Chef·fe de service
      staff: Chargé·e de mission insertion ×5 ; Gestionnaire administratif·ve ×3
  PT: Pôle Travail
    head: Chef·fe de pôle
    staff: Adjoint·e au chef·fe de pôle ×1 ; Assistant·e de service ×2
    PT-AAI: Service appui et animation du système d'inspection du travail
      head: Chef·fe de service
      staff: Chargé·e de mission ×6
    PT-RDS: Service relations du travail et dialogue social
      head: Chef·fe de service
      staff: Chargé·e de mission dialogue social ×5 ; Gestionnaire administratif·ve ×3 ; \
Assistant·e de service ×1
    PT-SST: Service santé et sécurité au travail
      head: Chef·fe de service
      staff: Ingénieur·e de prévention ×6 ; Médecin inspecteur·rice du travail ×2 ; \
Assistant·e de service ×1
    PT-MOE: Service main-d'œuvre étrangère
      head: Chef·fe de service
      staff: Gestionnaire administratif·ve ×10 ; \
Instructeur·rice des autorisations de travail ×5
    PT-URACTI: Unité régionale d'appui et de contrôle du travail illégal (URACTI)
      head: Responsable d'unité de contrôle
      staff: Inspecteur·rice du travail ×7 ; Contrôleur·se du travail ×2
  PS: Pôle Solidarités
    head: Chef·fe de pôle
    staff: Adjoint·e au chef·fe de pôle ×1 ; Assistant·e de service ×2
    PS-HLI: Service hébergement, logement et inclusion
      head: Chef·fe de service
      staff: Inspecteur·rice de l'action sanitaire et sociale ×5 ; Chargé·e de mission ×5 ; \
Assistant·e de service ×1
    PS-PMV: Service protection des majeurs vulnérables
      head: Chef·fe de service
      staff: Inspecteur·rice de l'action sanitaire et sociale ×4 ; \
Gestionnaire administratif·ve ×4
    PS-PVP: Service politique de la ville et lutte contre la pauvreté
      head: Chef·fe de service
      staff: Chargé·e de mission ×6 ; Assistant·e de service ×1
    PS-CFS: Service certification et formations sociales
      head: Chef·fe de service
      staff: Chargé·e de certification ×5 ; Gestionnaire administratif·ve ×5 ; \
Assistant·e de service ×1
    PS-IAD: Service intégration des étrangers et accès aux droits
      head: Chef·fe de service
      staff: Chargé·e de mission ×5 ; Gestionnaire administratif·ve ×3
  PC: Pôle Concurrence, consommation, répression des fraudes et métrologie (Pôle C)
    head: Chef·fe de pôle
    staff: Adjoint·e au chef·fe de pôle ×1 ; Assistant·e de service ×2
    PC-CONC: Service concurrence
      head: Chef·fe de service
      staff: Enquêteur·rice de la concurrence ×7
    PC-PEC: Service protection économique du consommateur
      head: Chef·fe de service
      staff: Inspecteur·rice de la CCRF ×7 ; Assistant·e de service ×1
    PC-SEC: Service sécurité des produits
      head: Chef·fe de service
      staff: Inspecteur·rice de la CCRF ×6
    PC-MET: Service métrologie légale
      head: Chef·fe de service
      staff: Technicien·ne de métrologie ×6 ; Assistant·e de service ×1
  SIC: Service des systèmes d'information et de communication (SIC)
    head: Chef·fe du service des systèmes d'information
    staff: Responsable de la sécurité des systèmes d'information ×1 ; \
Chef·fe de projet informatique ×1
    SIC-SUP: Bureau support et proximité
      head: Chef·fe de bureau
      staff: Technicien·ne informatique ×9 ; Technicien·ne téléphonie et visioconférence ×1
    SIC-INF: Bureau infrastructures et réseaux
      head: Chef·fe de bureau
      staff: Administrateur·rice systèmes et réseaux ×7
    SIC-APP: Bureau applications et données
      head: Chef·fe de bureau
      staff: Développeur·se ×4 ; Chef·fe de projet informatique ×2 ; \
Administrateur·rice de données ×1
  COM: Service communication
    head: Chef·fe de service
    staff: Chargé·e de communication ×3 ; Webmestre ×1 ; Graphiste ×1 ; \
Assistant·e de service ×1
  SESE: Service études, statistiques et évaluation (SESE)
    head: Chef·fe de service
    staff: Chargé·e d'études statistiques ×8 ; Statisticien·ne ×2
  UD: Inspection du travail — unités départementales
    head: Coordinateur·rice des unités départementales
    staff: Chargé·e de mission ×1
"""

# Départements of Occitanie: number, name with its preposition, number of control units.
DEPARTEMENTS = (
    ("09", "de l'Ariège", 1),
    ("11", "de l'Aude", 2),
    ("12", "de l'Aveyron", 1),
    ("30", "du Gard", 3),
    ("31", "de la Haute-Garonne", 4),
    ("32", "du Gers", 1),
    ("34", "de l'Hérault", 4),
    ("46", "du Lot", 1),
    ("48", "de la Lozère", 1),
    ("65", "des Hautes-Pyrénées", 1),
    ("66", "des Pyrénées-Orientales", 2),
    ("81", "du Tarn", 2),
    ("82", "de Tarn-et-Garonne", 1),
)
DEPARTMENTAL_STAFF = (
    (ASSISTANT, 1),
    ("Gestionnaire administratif·ve", 3),
    ("Agent·e du service de renseignement en droit du travail", 3),
    ("Chargé·e de mission", 2),
)
CONTROL_UNIT_STAFF = (("Inspecteur·rice du travail", 8), ("Contrôleur·se du travail", 3))

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


def _names(text):
    return tuple(name.strip() for name in text.split(","))


FIRST_NAMES = _names(
    "Camille, Nicolas, Julie, Thomas, Sandrine, Stéphane, Nathalie, Christophe, Isabelle, "
    "Sébastien, Céline, Frédéric, Aurélie, Laurent, Émilie, Julien, Caroline, Olivier, "
    "Virginie, David, Sophie, Pierre, Hélène, Jérôme, Audrey, Vincent, Marion, Guillaume, "
    "Claire, Mathieu, Anne, François, Valérie, Philippe, Laetitia, Cédric, Élodie, Arnaud, "
    "Delphine, Benoît, Karine, Fabien, Stéphanie, Romain, Mélanie, Alexandre, Chloé, Antoine, "
    "Pauline, Maxime, Sarah, Damien, Charlotte, Yannick, Agnès, Hugo, Manon, Lucas, Inès, "
    "Karim, Amandine, Mehdi, Fatima, Rachid, Leïla, Samir, Myriam, Youssef, Nadia, Mamadou, "
    "Aïcha, Kevin, Laura, Jean-Marc, Marie-Claire, Jean-Luc, Anne-Sophie, Pascal, Martine, "
    "Éric, Sylvie, Patrick, Catherine, Thierry, Christine, Didier, Véronique, Alain, Brigitte, "
    "Gilles, Corinne, Bruno, Florence, Marc, Béatrice, Franck, Muriel, Hervé, Patricia, "
    "Yves, Dominique, Joël, Sylvain, Lucie, Quentin, Margaux, Adrien, Océane, Baptiste, "
    "Clémence, Florian, Justine, Jordan, Anaïs, Mathilde, Xavier, Gaëlle, Ludovic, Coralie, "
    "Thi Lan, Minh, Jessica, Grégory, Estelle, Loïc, Nolwenn, Gwenaël, Maëlle, Ghislaine"
)
LAST_NAMES = _names(
    "Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Leroy, Moreau, Simon, "
    "Laurent, Lefebvre, Michel, Garcia, David, Bertrand, Roux, Vincent, Fournier, Morel, "
    "Girard, André, Lefèvre, Mercier, Dupont, Lambert, Bonnet, François, Martinez, Legrand, "
    "Garnier, Faure, Rousseau, Blanc, Guérin, Muller, Henry, Roussel, Nicolas, Perrin, Morin, "
    "Mathieu, Clément, Gauthier, Dumont, Lopez, Fontaine, Chevalier, Robin, Masson, Sanchez, "
    "Gérard, Nguyen, Boyer, Denis, Lemaire, Duval, Joly, Gautier, Roger, Roche, Roy, Noël, "
    "Meyer, Lucas, Meunier, Jean, Pérez, Marchand, Dufour, Blanchard, Marie, Barbier, Brun, "
    "Dumas, Brunet, Schmitt, Leroux, Colin, Fernandez, Pierre, Renard, Arnaud, Rolland, "
    "Caron, Aubert, Giraud, Leclerc, Vidal, Bourgeois, Renaud, Lemoine, Picard, Gaillard, "
    "Philippe, Leclercq, Lacroix, Fabre, Dupuis, Olivier, Rodriguez, Da Silva, Hubert, Louis, "
    "Charles, Guillot, Rivière, Le Gall, Guillaume, Adam, Rey, Moulin, Gonzalez, Berger, "
    "Lecomte, Menard, Fleury, Deschamps, Carpentier, Julien, Benoît, Paris, Maillard, "
    "Marchal, Aubry, Vasseur, Le Roux, Renault, Jacquet, Collet, Prévost, Poirier, Charpentier, "
    "Royer, Huet, Baron, Dupuy, Pons, Paul, Laine, Carré, Breton, Rémy, Schneider, Perrot, "
    "Barré, Marty, Cousin, Benali, Haddad, Diallo, Traoré, Mendes, Ferreira, Pereira, "
    "Bensaïd, Cherif, Mansouri, Tran, Pham, Kone, N'Diaye, Bouvier, Chauvet, Delmas, Azéma, "
    "Bousquet, Cazeneuve, Lafon, Castan, Soulié, Pujol, Vialaret, Combes, Fabié, Garrigues, "
    "Tournier, Bonnafous, Vidalou, Maurel, Rouquette, Salvan, Escande, Cabrol, Puech, Calmels"
)


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
ADMIN_LOGIN = "admin@demo.gouv.fr"


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


@dataclass(frozen=True)
class PopulationSpec:
    name: str
    description: str
    targets: tuple[tuple[str, int, datetime.date | None], ...]  # (competence, level, deadline)
    includes: Callable[[PlannedAgent], bool]


POPULATIONS = (
    PopulationSpec(
        "Assistant·e·s de service",
        "Les assistant·e·s de service de tous les pôles et unités départementales : "
        "recherche d'information, échanges, traitement de texte et sécurité au quotidien.",
        (
            ("1.1", 3, TARGET_DEADLINE),
            ("1.2", 2, TARGET_DEADLINE),
            ("2.1", 3, TARGET_DEADLINE),
            ("2.2", 2, TARGET_DEADLINE),
            ("2.3", 2, TARGET_DEADLINE),
            ("3.1", 3, TARGET_DEADLINE),
            ("4.1", 3, TARGET_DEADLINE),
        ),
        lambda agent: agent.job_title == ASSISTANT,
    ),
    PopulationSpec(
        "Encadrant·e·s du secrétariat général",
        "Les encadrant·e·s du secrétariat général (secrétaire générale, chef·fe·s de bureau, "
        "de section, de mission, de cellule et leurs adjoint·e·s) : montrer l'exemple et "
        "animer le travail collaboratif de leurs équipes.",
        (
            ("1.1", 3, None),
            ("2.1", 3, None),
            ("2.3", 3, None),
            ("4.1", 3, None),
            ("4.2", 3, None),
        ),
        lambda agent: "SG" in agent.unit_path and agent.job_title in MANAGER_TITLES,
    ),
    PopulationSpec(
        "Informaticien·ne·s",
        "Les agents du service des systèmes d'information et de communication : niveaux "
        "avancés en données, programmation, sécurité et résolution de problèmes techniques.",
        (
            ("1.3", 4, TARGET_DEADLINE),
            ("3.4", 5, None),
            ("4.1", 5, None),
            ("4.2", 4, TARGET_DEADLINE),
            ("5.1", 5, None),
            ("5.2", 4, TARGET_DEADLINE),
        ),
        lambda agent: "SIC" in agent.unit_path,
    ),
)

PROGRAMME_DESCRIPTION = (
    "Programme d'auto-positionnement : chaque agent concerné mesure ses compétences "
    "numériques sur Pix, dans son propre intérêt, et progresse vers le niveau attendu pour "
    "sa population avec l'appui des ambassadeurs Pix. Il n'y a pas de projet managérial : "
    "les résultats individuels ne sont vus que par l'agent et par l'ambassadeur de sa "
    "population. L'encadrement et la pilote voient des résultats agrégés (jamais pour un "
    "groupe de moins de 5 agents), sauf si l'agent choisit de partager les siens avec son "
    "encadrant."
)


@dataclass
class SeedSummary:
    agents: int = 0
    units: int = 0
    agents_created: int = 0
    agents_updated: int = 0
    populations: dict[str, int] = field(default_factory=dict)  # name -> open enrolments
    enrolments_created: int = 0
    targets_created: int = 0
    logins: list[tuple[str, str]] = field(default_factory=list)  # (role, e-mail)


def _update_fields(obj, values: dict) -> list[str]:
    """Set `values` on `obj`; return the names of the fields that changed."""
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, values[name])
    return changed


def _build_units() -> dict[str, OrgUnit]:
    """Write the units, keyed on code, parents first; return them by code."""
    units = OrgUnit.objects.in_bulk([spec.code for spec in ORG_UNITS], field_name="code")
    for spec in ORG_UNITS:
        parent = units.get(spec.parent_code) if spec.parent_code else None
        values = {"name": spec.name, "kind": spec.kind, "parent_id": parent and parent.pk}
        unit = units.get(spec.code)
        if unit is None:
            units[spec.code] = OrgUnit.objects.create(code=spec.code, **values)
        elif changed := _update_fields(unit, values):
            unit.save(update_fields=changed)
    return units


def build_org(*, plan: OrgPlan, summary: SeedSummary) -> dict[str, Agent]:
    """Write the units and the agents (keyed on matricule) with their managers; return the
    agents by matricule."""
    units = _build_units()
    agents = Agent.objects.in_bulk(
        [planned.external_id for planned in plan.agents], field_name="external_id"
    )

    def values(planned):
        return {
            "first_name": planned.first_name,
            "last_name": planned.last_name,
            "email": planned.email,
            "job_title": planned.job_title,
            "org_unit_id": units[planned.unit_code].pk,
            "manager_id": agents[planned.manager_id].pk if planned.manager_id else None,
            "is_active": True,
        }

    # New agents go in by waves, managers before their reports, so that every row is
    # inserted whole (one bulk update of 800 manager links is slower than all the inserts).
    pending = [planned for planned in plan.agents if planned.external_id not in agents]
    summary.agents_created = len(pending)
    while pending:
        wave = [p for p in pending if p.manager_id is None or p.manager_id in agents]
        Agent.objects.bulk_create(
            [Agent(external_id=p.external_id, **values(p)) for p in wave], batch_size=500
        )
        agents |= Agent.objects.in_bulk([p.external_id for p in wave], field_name="external_id")
        pending = [p for p in pending if p.external_id not in agents]

    now, changed = timezone.now(), []
    for planned in plan.agents:
        agent = agents[planned.external_id]
        if _update_fields(agent, values(planned)):
            agent.updated_at = now
            changed.append(agent)
    Agent.objects.bulk_update(changed, [*values(plan.agents[0]), "updated_at"], batch_size=500)
    summary.agents_updated = len(changed)
    summary.agents = len(plan.agents)
    summary.units = len(units)
    return agents


def _demo_user(*, email, first_name, last_name, **flags) -> User:
    """The login, with the demo password; the password is only rehashed if it changed."""
    values = {"first_name": first_name, "last_name": last_name, "is_active": True, **flags}
    user = User.objects.filter(email=email).first()
    if user is None:
        return User.objects.create_user(email, DEMO_PASSWORD, **values)
    changed = _update_fields(user, values)
    if not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        changed.append("password")
    if changed:
        user.save(update_fields=changed)
    return user


def build_users(*, plan: OrgPlan, agents: dict[str, Agent], summary: SeedSummary):
    """One login per role, tied to its agent, plus a staff superuser; return users by role."""
    users = {}
    for person in DEMO_PEOPLE:
        if person.login is None:
            continue
        agent = agents[plan.people[person.role].external_id]
        user = _demo_user(
            email=person.login, first_name=agent.first_name, last_name=agent.last_name
        )
        if agent.user_id != user.pk:
            Agent.objects.filter(user=user).exclude(pk=agent.pk).update(user=None)
            agent.user = user
            agent.save(update_fields=["user", "updated_at"])
        users[person.role] = user
        summary.logins.append((person.role, person.login))
    _demo_user(
        email=ADMIN_LOGIN,
        first_name="Admin",
        last_name="Démo",
        is_staff=True,
        is_superuser=True,
    )
    summary.logins.append(("administration (superutilisateur)", ADMIN_LOGIN))
    return users


def build_programme(
    *, plan: OrgPlan, agents: dict[str, Agent], users: dict[str, User], summary: SeedSummary
) -> Programme:
    """The self-assessment programme, its three populations, their level targets and the
    enrolments of the agents each population gathers."""
    programme, _ = Programme.objects.update_or_create(
        slug=PROGRAMME_SLUG,
        defaults={
            "name": PROGRAMME_NAME,
            "description": PROGRAMME_DESCRIPTION,
            "purpose": Purpose.SELF_ASSESSMENT,
            "start_date": PROGRAMME_START,
            "end_date": PROGRAMME_END,
            "stall_threshold_days": 30,
        },
    )
    programme.owners.add(users[OWNER.role])
    competences = {competence.code: competence for competence in Competence.objects.all()}
    for spec in POPULATIONS:
        population, _ = TargetPopulation.objects.update_or_create(
            programme=programme, name=spec.name, defaults={"description": spec.description}
        )
        population.ambassadors.add(users[AMBASSADOR.role])
        for code, level, deadline in spec.targets:
            _, created = Target.objects.update_or_create(
                population=population,
                competence=competences[code],
                kind=TargetKind.LEVEL,
                defaults={"level": level, "deadline": deadline},
            )
            summary.targets_created += created
        # Anyone ever enrolled is left alone: a closed enrolment means they left on purpose.
        known = set(
            Enrolment.objects.filter(population=population).values_list("agent_id", flat=True)
        )
        new = [
            Enrolment(
                agent=agents[p.external_id], population=population, start_date=PROGRAMME_START
            )
            for p in plan.agents
            if spec.includes(p) and agents[p.external_id].pk not in known
        ]
        Enrolment.objects.bulk_create(new)
        summary.enrolments_created += len(new)
        summary.populations[spec.name] = population.enrolments.filter(end_date=None).count()
    return programme


def seed_demo(*, seed: int = SEED) -> SeedSummary:
    """Create or bring back the demo organisation, logins and programme; idempotent."""
    summary = SeedSummary()
    plan = plan_org(seed=seed)
    with transaction.atomic():
        agents = build_org(plan=plan, summary=summary)
        users = build_users(plan=plan, agents=agents, summary=summary)
        build_programme(plan=plan, agents=agents, users=users, summary=summary)
    return summary
