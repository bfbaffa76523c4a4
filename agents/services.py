"""Writes of the agents app."""

from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agents.enums import OrgUnitKind
from agents.importer import EMAIL, MANAGER_EMAIL, SERVICE, HRRow, find_cycles, parse_hr_csv
from agents.models import Agent, OrgUnit
from agents.signals import agents_changed
from lib.csv_files import RowError

# Rows per statement: keeps each query under SQLite's bound-parameter limit.
BATCH_SIZE = 500
UNIT_KINDS_BY_DEPTH = (OrgUnitKind.DIRECTION, OrgUnitKind.SERVICE)
UPDATED_FIELDS = (
    "last_name",
    "first_name",
    "email",
    "external_id",
    "org_unit",
    "job_title",
    "manager",
    "is_active",
    "updated_at",
)


@dataclass
class AgentImportReport:
    """What an import did (or, dry, would do); with errors it did nothing."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    units_created: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        parts = [
            ngettext("%(count)s agent créé", "%(count)s agents créés", self.created),
            ngettext("%(count)s mis à jour", "%(count)s mis à jour", self.updated),
            ngettext("%(count)s inchangé", "%(count)s inchangés", self.unchanged),
        ]
        counts = [self.created, self.updated, self.unchanged]
        if self.deactivated:
            parts.append(ngettext("%(count)s désactivé", "%(count)s désactivés", self.deactivated))
            counts.append(self.deactivated)
        if self.units_created:
            parts.append(
                ngettext("%(count)s unité créée", "%(count)s unités créées", self.units_created)
            )
            counts.append(self.units_created)
        text = ", ".join(part % {"count": count} for part, count in zip(parts, counts, strict=True))
        if self.dry_run:
            return _("Simulation, rien n'a été enregistré : %(counts)s.") % {"counts": text}
        return _("Liste des agents importée : %(counts)s.") % {"counts": text}


def agent_import(
    *, data: bytes, deactivate_missing: bool = False, dry_run: bool = False
) -> AgentImportReport:
    """Load the HR list of agents: an agent is known by their matricule, so importing the
    file again updates the agents rather than duplicating them. The file is checked whole
    first, and nothing is written if a single row is refused. Agents absent from the file
    are left as they are, unless `deactivate_missing`, which marks inactive the agents with a
    matricule that the file no longer lists. `dry_run` checks and counts, then rolls back."""
    report = AgentImportReport(dry_run=dry_run)
    parsed = parse_hr_csv(data, max_bytes=settings.AGENT_IMPORT_MAX_BYTES)
    if parsed.errors:
        report.errors = parsed.errors
        return report
    with transaction.atomic():
        _serialize_agent_imports()
        plan = _ImportPlan(parsed.rows)
        if plan.errors:
            report.errors = plan.errors
            return report
        plan.apply(report, deactivate_missing=deactivate_missing)
        if dry_run:
            transaction.set_rollback(True)
        elif report.created or report.updated or report.deactivated:
            agents_changed.send(sender=agent_import)
    return report


# Any fixed number: the key of the PostgreSQL advisory lock held by one agent import.
_AGENT_IMPORT_LOCK_KEY = 7_210_001


def _serialize_agent_imports() -> None:
    """Two imports at once would check against a database the other is changing: the second
    waits for the first to commit. SQLite already serializes its writers."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_AGENT_IMPORT_LOCK_KEY])


@dataclass(eq=False)
class _KnownAgent:
    """An agent already in the database, as much of it as the import compares."""

    id: int
    last_name: str
    first_name: str
    email: str | None
    external_id: str | None
    org_unit_id: int | None
    job_title: str
    manager_id: int | None
    is_active: bool

    @property
    def label(self):
        return self.email or f"{self.first_name} {self.last_name}"


@dataclass(eq=False)
class _UnitNode:
    name: str
    kind: str
    parent: "_UnitNode | None"
    depth: int
    pk: int | None = None

    @property
    def path(self):
        names, node = [], self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return " > ".join(reversed(names))


def _unit_key(name):
    return " ".join(name.split()).casefold()


class _OrgChart:
    """The org units in memory, with those the file adds, so that every row is resolved
    before anything is written."""

    def __init__(self):
        self.nodes = []
        self.children = {}  # (parent node or None, name key) -> first node of that name
        self.by_name = {}  # name key -> nodes of that name, at any level
        by_pk = {}
        units = OrgUnit.objects.order_by("pk").values_list("pk", "name", "kind", "parent_id")
        pending = list(units)
        # Parents before children, whatever the ids.
        while pending:
            remaining = []
            for pk, name, kind, parent_id in pending:
                if parent_id is not None and parent_id not in by_pk:
                    remaining.append((pk, name, kind, parent_id))
                    continue
                parent = by_pk.get(parent_id)
                by_pk[pk] = self._add(name, kind, parent, pk=pk)
            if len(remaining) == len(pending):  # a parent loop in the database: left out
                break
            pending = remaining

    def _add(self, name, kind, parent, pk=None):
        node = _UnitNode(name, kind, parent, 0 if parent is None else parent.depth + 1, pk)
        self.nodes.append(node)
        self.children.setdefault((parent, _unit_key(name)), node)
        self.by_name.setdefault(_unit_key(name), []).append(node)
        return node

    def resolve_path(self, names):
        """The unit at the end of `names` from the top, adding the missing levels."""
        node = None
        for name in names:
            parent = node
            node = self.children.get((parent, _unit_key(name)))
            if node is None:
                depth = 0 if parent is None else parent.depth + 1
                kind = UNIT_KINDS_BY_DEPTH[depth] if depth < 2 else OrgUnitKind.UNIT
                node = self._add(name, kind, parent)
        return node

    def resolve_name(self, name):
        """The only unit of that name, at any level; a new top-level service if none.
        Returns the candidates when several units have that name."""
        candidates = self.by_name.get(_unit_key(name), [])
        if len(candidates) > 1:
            return None, candidates
        if candidates:
            return candidates[0], []
        return self._add(name, OrgUnitKind.SERVICE, None), []

    def save_new(self):
        """Create the added units, level by level so that parents have their pk first."""
        new_nodes = [node for node in self.nodes if node.pk is None]
        for depth in sorted({node.depth for node in new_nodes}):
            level = [node for node in new_nodes if node.depth == depth]
            units = OrgUnit.objects.bulk_create(
                [
                    OrgUnit(
                        name=node.name, kind=node.kind, parent_id=node.parent and node.parent.pk
                    )
                    for node in level
                ],
                batch_size=BATCH_SIZE,
            )
            for node, unit in zip(level, units, strict=True):
                node.pk = unit.pk
        return len(new_nodes)


class _ImportPlan:
    """Checks the parsed rows against the database and decides every write, without writing."""

    def __init__(self, rows: list[HRRow]):
        self.rows = rows
        self.errors: list[RowError] = []
        self.known = [
            _KnownAgent(*values)
            for values in Agent.objects.values_list(
                "id",
                "last_name",
                "first_name",
                "email",
                "external_id",
                "org_unit_id",
                "job_title",
                "manager_id",
                "is_active",
            )
        ]
        self.known_by_id = {agent.id: agent for agent in self.known}
        self.known_by_email = {agent.email.lower(): agent for agent in self.known if agent.email}
        by_external_id = {agent.external_id: agent for agent in self.known if agent.external_id}
        self.matched = {row.matricule: self._match(row, by_external_id) for row in rows}
        self.row_of_known = {
            agent.id: matricule for matricule, agent in self.matched.items() if agent is not None
        }
        self._check_emails()
        self.manager_targets = self._resolve_managers()
        if not self.errors:
            self._check_cycles()
        self.org_chart = _OrgChart()
        self.units = self._resolve_units()
        self.errors.sort(key=lambda error: error.line)

    def _match(self, row, by_external_id):
        """The agent of the database this row updates: same matricule, or, for an agent
        recorded without matricule, same e-mail address."""
        agent = by_external_id.get(row.matricule)
        if agent is None and row.email:
            owner = self.known_by_email.get(row.email)
            if owner is not None and not owner.external_id:
                agent = owner
        return agent

    def _check_emails(self):
        for row in self.rows:
            owner = self.known_by_email.get(row.email) if row.email else None
            # An address stays taken unless its owner is in the file (with another address).
            if owner is None or owner is self.matched[row.matricule]:
                continue
            if owner.id not in self.row_of_known:
                self.errors.append(
                    RowError(
                        row.line,
                        EMAIL,
                        _(
                            "l'adresse « %(email)s » est déjà celle de %(name)s (matricule "
                            "%(matricule)s), qui ne figure pas dans le fichier."
                        )
                        % {
                            "email": row.email,
                            "name": f"{owner.first_name} {owner.last_name}",
                            "matricule": owner.external_id or _("aucun"),
                        },
                    )
                )

    def _resolve_managers(self):
        """For each matricule, its manager: ("row", matricule) for an agent of the file,
        ("known", id) for an agent only in the database, None without manager."""
        row_by_email = {row.email: row for row in self.rows if row.email}
        targets = {}
        for row in self.rows:
            targets[row.matricule] = None
            if not row.manager_email:
                continue
            if row.manager_email in row_by_email:
                targets[row.matricule] = ("row", row_by_email[row.manager_email].matricule)
                continue
            owner = self.known_by_email.get(row.manager_email)
            # An agent of the file whose address changes no longer answers to the old one.
            if owner is not None and owner.id not in self.row_of_known:
                targets[row.matricule] = ("known", owner.id)
                continue
            self.errors.append(
                RowError(
                    row.line,
                    MANAGER_EMAIL,
                    _("aucun agent du fichier ni déjà enregistré n'a l'adresse « %(email)s ».")
                    % {"email": row.manager_email},
                )
            )
        return targets

    def _check_cycles(self):
        """The file's own loops are caught by the parser; these go through the database
        (A, in the file, reports to B, who reports to A in the database)."""
        rows = {row.matricule: row for row in self.rows}

        def manager_of(node):
            kind, key = node
            if kind == "row":
                return self.manager_targets[key]
            manager_id = self.known_by_id[key].manager_id
            if manager_id is None or manager_id not in self.known_by_id:
                return None
            if manager_id in self.row_of_known:
                return ("row", self.row_of_known[manager_id])
            return ("known", manager_id)

        def label(node):
            kind, key = node
            return (rows[key].email or key) if kind == "row" else self.known_by_id[key].label

        starts = [("row", row.matricule) for row in self.rows]
        for cycle in find_cycles(starts, manager_of):
            in_file = [node for node in cycle if node[0] == "row"]
            first = min(in_file, key=lambda node: rows[node[1]].line)
            start = cycle.index(first)
            cycle = cycle[start:] + cycle[:start]
            self.errors.append(
                RowError(
                    rows[first[1]].line,
                    MANAGER_EMAIL,
                    _("boucle hiérarchique avec des agents déjà enregistrés : %(chain)s.")
                    % {"chain": " → ".join(label(node) for node in [*cycle, cycle[0]])},
                )
            )

    def _resolve_units(self):
        units = {}
        # Full paths first, so that a plain name can refer to a unit a path creates.
        for row in sorted(self.rows, key=lambda row: len(row.unit_path) < 2):
            if len(row.unit_path) != 1:
                units[row.matricule] = self.org_chart.resolve_path(row.unit_path)
                continue
            unit, candidates = self.org_chart.resolve_name(row.unit_path[0])
            units[row.matricule] = unit
            if candidates:
                self.errors.append(
                    RowError(
                        row.line,
                        SERVICE,
                        _(
                            "plusieurs unités s'appellent « %(name)s » (%(paths)s) : indiquez "
                            "le chemin complet, par exemple « %(example)s »."
                        )
                        % {
                            "name": row.unit_path[0],
                            "paths": ", ".join(node.path for node in candidates),
                            "example": candidates[0].path,
                        },
                    )
                )
        return units

    def apply(self, report: AgentImportReport, *, deactivate_missing: bool):
        now = timezone.now()
        report.units_created = self.org_chart.save_new()
        self._free_changing_emails()

        new_agents = {
            row.matricule: Agent(**self._values(row, manager_id=None))
            for row in self.rows
            if self.matched[row.matricule] is None
        }
        Agent.objects.bulk_create(new_agents.values(), batch_size=BATCH_SIZE)
        report.created = len(new_agents)
        ids = {matricule: agent.pk for matricule, agent in new_agents.items()}
        ids.update({matricule: agent.id for matricule, agent in self.matched.items() if agent})

        # Second pass: every agent now has an id, so managers can be set.
        managed, to_update = [], []
        for row in self.rows:
            values = self._values(row, manager_id=self._manager_id(row, ids))
            known = self.matched[row.matricule]
            if known is None:
                if values["manager_id"] is not None:
                    managed.append(Agent(pk=ids[row.matricule], manager_id=values["manager_id"]))
            elif any(getattr(known, name) != value for name, value in values.items()):
                to_update.append(Agent(pk=known.id, updated_at=now, **values))
                report.updated += 1
            else:
                report.unchanged += 1
        _update_rows(managed, ("manager",))
        _update_rows(to_update, UPDATED_FIELDS)

        if deactivate_missing:
            report.deactivated = self._deactivate_missing(now)

    def _values(self, row, *, manager_id):
        unit = self.units[row.matricule]
        return {
            "last_name": row.last_name,
            "first_name": row.first_name,
            "email": row.email,
            "external_id": row.matricule,
            "org_unit_id": unit.pk if unit is not None else None,
            "job_title": row.job_title,
            "manager_id": manager_id,
            "is_active": True,
        }

    def _manager_id(self, row, ids):
        target = self.manager_targets[row.matricule]
        if target is None:
            return None
        kind, key = target
        return ids[key] if kind == "row" else key

    def _free_changing_emails(self):
        """Agents of the file may swap addresses: the old ones are released first, or the
        unique constraint would refuse the first write."""
        changing = [
            known.id
            for row in self.rows
            if (known := self.matched[row.matricule]) is not None
            and known.email is not None
            and known.email != row.email
        ]
        for start in range(0, len(changing), BATCH_SIZE):
            Agent.objects.filter(pk__in=changing[start : start + BATCH_SIZE]).update(email=None)

    def _deactivate_missing(self, now):
        missing = [
            agent.id
            for agent in self.known
            if agent.external_id and agent.is_active and agent.id not in self.row_of_known
        ]
        for start in range(0, len(missing), BATCH_SIZE):
            Agent.objects.filter(pk__in=missing[start : start + BATCH_SIZE]).update(
                is_active=False, updated_at=now
            )
        return len(missing)


def _update_rows(objs: list, field_names: tuple[str, ...]) -> None:
    """Write `field_names` of `objs` (instances of one model) with one UPDATE statement run
    for every row (executemany). QuerySet.bulk_update builds a CASE WHEN per row and field,
    which takes about a minute for 10,000 agents; this takes well under a second."""
    if not objs:
        return
    meta = objs[0]._meta
    fields = [meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    # Table and column names come from the model, values are bound parameters.
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    params = [
        [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in fields]
        + [obj.pk]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
