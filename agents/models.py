from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import connections, models
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agents.enums import OrgUnitKind


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """An account that can log in, by e-mail. People of the organisation are `Agent`s."""

    email = models.EmailField(_("adresse e-mail"), unique=True)
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    last_name = models.CharField(_("nom"), max_length=150, blank=True)
    is_staff = models.BooleanField(
        _("équipe technique"),
        default=False,
        help_text=_("Peut se connecter à l'administration."),
    )
    is_active = models.BooleanField(_("actif"), default=True)
    date_joined = models.DateTimeField(_("date d'inscription"), default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("compte utilisateur")
        verbose_name_plural = _("comptes utilisateurs")
        ordering = ["email"]

    def __str__(self):
        return self.get_full_name() or self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self):
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self):
        return self.first_name or self.email


class OrgUnit(models.Model):
    """A node of the organisation chart: a direction, a service or a unit."""

    name = models.CharField(_("nom"), max_length=200)
    code = models.CharField(_("code"), max_length=50, unique=True, null=True, blank=True)
    kind = models.CharField(
        _("type"), max_length=20, choices=OrgUnitKind.choices, default=OrgUnitKind.SERVICE
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("unité parente"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )

    class Meta:
        verbose_name = _("unité organisationnelle")
        verbose_name_plural = _("unités organisationnelles")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="orgunit_unique_name_under_parent"
            ),
        ]

    def __str__(self):
        return self.name

    def ancestors(self):
        """The chain of parents, nearest first (the tree is a few levels deep)."""
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain

    @property
    def path(self):
        return " › ".join(unit.name for unit in reversed([self, *self.ancestors()]))


def _team_cte(table, columns, vendor):
    """`WITH RECURSIVE team(columns)`: the `columns` (of the agents table, aliased `a`) of
    the direct and indirect reports of one manager (the parameter). UNION (not UNION ALL)
    stops on a cycle. The table and column names are ours; the id is a parameter.

    On PostgreSQL each level reads the reports of the level above from the manager index, in
    a LATERAL subquery that OFFSET 0 keeps from being flattened into a join: the planner
    cannot guess the size of a recursive team and would otherwise hash the whole agents
    table at every level, so that a team of 20,000 cost as much as the whole organisation
    (60 ms at 100,000 agents, ten times that at a million); walked by the index, the team
    costs its own size, whatever the organisation's."""
    selected = ", ".join(f"{expression} AS {name}" for name, expression in columns.items())
    if vendor == "postgresql":
        step = (
            f"SELECT r.* FROM team t CROSS JOIN LATERAL "  # noqa: S608
            f"(SELECT {selected} FROM {table} a WHERE a.manager_id = t.id OFFSET 0) r"
        )
    else:
        step = f"SELECT {selected} FROM {table} a JOIN team t ON a.manager_id = t.id"  # noqa: S608
    return (
        f"WITH RECURSIVE team({', '.join(columns)}) AS ("  # noqa: S608
        f"SELECT {selected} FROM {table} a WHERE a.manager_id = %s UNION {step})"
    )


def _reports_among_subquery(table, manager_id, agent_ids):
    """Those of `agent_ids` who are direct or indirect reports of one manager, by a walk UP
    their manager lines (a few rows per agent), never down the manager's whole team. The
    walk stops after 50 levels (a loop in the line cannot hold it). The table and column
    names are ours; the ids are parameters."""
    marks = ", ".join(["%s"] * len(agent_ids))
    sql = (
        "WITH RECURSIVE up(agent_id, manager_id, depth) AS ("  # noqa: S608
        f"SELECT a.id, a.manager_id, 1 FROM {table} a WHERE a.id IN ({marks}) "
        "AND a.manager_id IS NOT NULL UNION ALL "
        f"SELECT up.agent_id, a.manager_id, up.depth + 1 FROM up JOIN {table} a "
        "ON a.id = up.manager_id WHERE a.manager_id IS NOT NULL AND up.depth < 50) "
        "SELECT agent_id FROM up WHERE manager_id = %s"
    )
    return RawSQL(sql, [*agent_ids, manager_id])  # noqa: S611


def _reports_subquery(table, manager_id, vendor):
    """Ids of the direct and indirect reports of one manager, by a recursive query."""
    sql = _team_cte(table, {"id": "a.id"}, vendor) + " SELECT id FROM team"  # noqa: S608
    return RawSQL(sql, [manager_id])  # noqa: S611


class AgentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def reports_of(self, manager):
        """Direct and indirect reports of `manager` (an Agent or its id), by the agent tree."""
        return self.filter(id__in=self.report_ids(manager))

    def report_ids(self, manager):
        """The ids of `manager`'s direct and indirect reports, as a subquery: for a filter on
        another table (`agent_id__in=`), which then needs no join back to the agents."""
        manager_id = getattr(manager, "pk", manager)
        return _reports_subquery(self.model._meta.db_table, manager_id, self._vendor())

    def reports_among(self, manager, agent_ids):
        """Those of `agent_ids` who are `manager`'s direct or indirect reports, as a subquery
        of ids: read up the few agents' lines, whatever the size of the manager's team (for
        a page of agents; `report_ids` walks the whole team)."""
        agent_ids = list(agent_ids)
        if not agent_ids:
            return self.none().values("pk")
        manager_id = getattr(manager, "pk", manager)
        return _reports_among_subquery(self.model._meta.db_table, manager_id, agent_ids)

    def _vendor(self):
        return connections[self.db].vendor

    def visible_to(self, user):
        """Agents whose identity `user` may see at the agents level: staff see everyone;
        others see themselves and their direct and indirect reports. Programme roles
        (owner, ambassador) widen this in `programmes.selectors`."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.all()
        return self.filter(self.own_condition(user))

    def own_condition(self, user):
        """The user's own agent and their direct and indirect reports, as a condition on the
        agent's row (nothing without an agent): to widen with other conditions in one
        filter, rather than test every agent against a subquery of `visible_to`."""
        agent = getattr(user, "agent", None)
        if agent is None:
            return models.Q(pk__in=[])
        return models.Q(pk=agent.pk) | models.Q(id__in=self.report_ids(agent))

    def team_by_name(self, manager, text=""):
        """`manager`'s direct and indirect reports as (id, found by the search `text`)
        pairs, in the order of the agents' name index (agent_name_idx): the team walked once,
        so that a page takes its size, its search and its page of ids from these narrow rows
        and reads only the page's agents whole."""
        found = _search_condition(text)
        manager_id = getattr(manager, "pk", manager)
        if found is None and self._vendor() == "postgresql":
            # The names sorted on are read by the walk itself (each report's row is read
            # there anyway): no second visit of 20,000 rows to find them.
            columns = {"id": "a.id", "ln": "LOWER(a.last_name)", "fn": "LOWER(a.first_name)"}
            sql = _team_cte(self.model._meta.db_table, columns, "postgresql")
            with connections[self.db].cursor() as cursor:
                cursor.execute(f"{sql} SELECT id FROM team ORDER BY ln, fn, id", [manager_id])  # noqa: S608
                return [(pk, True) for (pk,) in cursor.fetchall()]
        team = self.filter(id__in=self.report_ids(manager_id)).order_by(
            Lower("last_name"), Lower("first_name"), "pk"
        )
        if found is None:
            return [(pk, True) for pk in team.values_list("pk", flat=True)]
        found = models.ExpressionWrapper(found, models.BooleanField())
        return list(team.annotate(found=found).values_list("pk", "found"))

    def report_condition(self, field, manager, ids=None):
        """A condition on an agent id `field` of another table: one of `manager`'s reports.
        On PostgreSQL one array parameter (`= ANY`) of their ids: `ids` (team_by_name's)
        when the caller has walked the team already, else walked here (`__in` would write
        one parameter per id); elsewhere the recursive subquery, and the team is not
        walked."""
        if self._vendor() == "postgresql":
            if ids is None:
                ids = [pk for pk, _found in self.team_by_name(manager)]
            return _AnyOf(models.F(field), models.Value(list(ids)))
        return models.Q(**{f"{field}__in": self.report_ids(manager)})

    def search(self, text):
        found = _search_condition(text)
        return self if found is None else self.filter(found)


class _AnyOf(models.Func):
    """`expression = ANY(array)` (PostgreSQL): the array is one parameter."""

    template = "(%(expressions)s))"
    arg_joiner = " = ANY("
    output_field = models.BooleanField()


def _search_condition(text):
    """Agents whose names, e-mail or matricule contain every word of `text`; None for no
    search."""
    words = (text or "").split()
    if not words:
        return None
    query = models.Q()
    for word in words:
        query &= (
            models.Q(last_name__icontains=word)
            | models.Q(first_name__icontains=word)
            | models.Q(email__icontains=word)
            | models.Q(external_id__icontains=word)
        )
    return query


class Agent(models.Model):
    """A person of the organisation, known from the HR list, with or without an account."""

    last_name = models.CharField(_("nom"), max_length=150)
    first_name = models.CharField(_("prénom"), max_length=150)
    email = models.EmailField(_("adresse e-mail"), unique=True, null=True, blank=True)
    external_id = models.CharField(
        _("matricule"),
        max_length=100,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Identifiant externe utilisé dans Pix Orga (matricule RH)."),
    )
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("unité"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agents",
    )
    job_title = models.CharField(_("fonction"), max_length=200, blank=True)
    manager = models.ForeignKey(
        "self",
        verbose_name=_("responsable"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="direct_reports",
    )
    is_active = models.BooleanField(_("actif"), default=True)
    user = models.OneToOneField(
        User,
        verbose_name=_("compte"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agent",
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    objects = AgentQuerySet.as_manager()

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        ordering = ["last_name", "first_name", "id"]
        # The « gestionnaire RH » of the organisation, given in the admin (to a user or a
        # group): loads the HR list, which sets everyone's unit, manager and e-mail.
        permissions = [
            ("manage_hr_list", _("Gérer la liste RH (agents, unités, responsables)")),
        ]
        indexes = [
            models.Index(Lower("last_name"), Lower("first_name"), name="agent_name_idx"),
            # The agents no reminder can reach (programmes.reminders.selection): a handful,
            # read on every reminders page without reading the whole table.
            models.Index(
                fields=["id"],
                condition=models.Q(is_active=False)
                | models.Q(email__isnull=True)
                | models.Q(email=""),
                name="agent_unreachable_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(manager=models.F("id")), name="agent_not_own_manager"
            ),
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name.upper()}".strip()
