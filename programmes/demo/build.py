"""The demo written to the database: units, agents, logins and the programme, each keyed on
a stable value so that seeding twice changes nothing."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from agents.models import Agent, OrgUnit, User
from campaigns.models import Competence

from ..enums import Purpose, TargetKind
from ..models import Enrolment, Programme, Target, TargetPopulation
from .data import (
    ADMIN_LOGIN,
    DEMO_PASSWORD,
    PROGRAMME_DESCRIPTION,
    PROGRAMME_END,
    PROGRAMME_NAME,
    PROGRAMME_SLUG,
    PROGRAMME_START,
    SEED,
)
from .plan import AMBASSADOR, DEMO_PEOPLE, ORG_UNITS, OWNER, POPULATIONS, OrgPlan, plan_org


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
