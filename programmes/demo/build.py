"""The demo written to the database: units, agents, logins, the programme, each keyed on
a stable value, and the Pix exports imported through the real services (an export already
imported, same SHA-256, is skipped), so that seeding twice changes nothing."""

import datetime
import hashlib
import io
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from agents.models import Agent, OrgUnit, User
from campaigns import services as campaign_services
from campaigns.enums import ImportStatus
from campaigns.models import Competence, ResultImport
from programmes import progress
from programmes.demo.accompaniment import AccompanimentSummary, CheckinRun, build_accompaniment
from programmes.demo.data import (
    ADMIN_LOGIN,
    DEMO_PASSWORD,
    PROGRAMME_DESCRIPTION,
    PROGRAMME_NAME,
    PROGRAMME_SLUG,
    SECOND_AMBASSADOR_LOGIN,
    SECOND_OWNER_LOGIN,
    SECOND_PROGRAMME_DESCRIPTION,
    SECOND_PROGRAMME_NAME,
    SECOND_PROGRAMME_SLUG,
    SEED,
    SINGLE_AMBASSADOR_LOGIN,
)
from programmes.demo.dates import DemoCalendar
from programmes.demo.plan import (
    AGENT,
    AMBASSADOR,
    DEMO_PEOPLE,
    ORG_UNITS,
    OWNER,
    POPULATIONS,
    SECOND_POPULATION,
    OrgPlan,
    plan_org,
)
from programmes.demo.reminders import build_reminders
from programmes.demo.results import DemoExport, plan_exports
from programmes.enums import Purpose, TargetKind
from programmes.imports import selectors as import_selectors
from programmes.imports.services import programme_import_link, programme_import_run
from programmes.models import Enrolment, Programme, Target, TargetPopulation


@dataclass
class ExportLine:
    """What one demo export gave: this run's import, or the earlier one of the same file."""

    filename: str
    rows: int
    shared_rows: int
    participations_created: int
    results_created: int
    unmatched: int
    already_imported: bool


@dataclass
class SeedSummary:
    calendar: DemoCalendar | None = None  # the dates of this demo
    agents: int = 0
    units: int = 0
    agents_created: int = 0
    agents_updated: int = 0
    populations: dict[str, int] = field(default_factory=dict)  # name -> open enrolments
    enrolments_created: int = 0
    targets_created: int = 0
    logins: list[tuple[str, str]] = field(default_factory=list)  # (role, e-mail)
    exports: list[ExportLine] = field(default_factory=list)
    stored_files: list[str] = field(default_factory=list)  # raw files this run stored
    to_match: dict[str, int] = field(default_factory=dict)  # unmatched, to_confirm
    accompaniment: AccompanimentSummary = field(default_factory=AccompanimentSummary)
    reminders: int = 0  # reminders written by this run


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
    *,
    plan: OrgPlan,
    agents: dict[str, Agent],
    users: dict[str, User],
    calendar: DemoCalendar,
    summary: SeedSummary,
) -> Programme:
    """The self-assessment programme, its three populations, their level targets and the
    enrolments of the agents each population gathers."""
    programme, _ = Programme.objects.update_or_create(
        slug=PROGRAMME_SLUG,
        defaults={
            "name": PROGRAMME_NAME,
            "description": PROGRAMME_DESCRIPTION,
            "purpose": Purpose.SELF_ASSESSMENT,
            "start_date": calendar.programme_start,
            "end_date": calendar.programme_end,
            "stall_threshold_days": 30,
        },
    )
    programme.owners.add(users[OWNER.role])
    for spec in POPULATIONS:
        population = _build_population(
            programme=programme,
            spec=spec,
            plan=plan,
            agents=agents,
            start_date=calendar.programme_start,
            deadline=calendar.target_deadline,
            summary=summary,
        )
        population.ambassadors.add(users[AMBASSADOR.role])
        summary.populations[spec.name] = population.enrolments.filter(end_date=None).count()
    return programme


def _login_of(plan: OrgPlan, agents: dict[str, Agent], email: str, *, unit, job_title) -> User:
    """A demo login for the first planned agent of `unit` holding `job_title`."""
    person = next(p for p in plan.agents if p.unit_code == unit and p.job_title == job_title)
    agent = agents[person.external_id]
    user = _demo_user(email=email, first_name=agent.first_name, last_name=agent.last_name)
    if agent.user_id != user.pk:
        Agent.objects.filter(user=user).exclude(pk=agent.pk).update(user=None)
        agent.user = user
        agent.save(update_fields=["user", "updated_at"])
    return user


def build_second_programme(
    *,
    plan: OrgPlan,
    agents: dict[str, Agent],
    programme: Programme,
    calendar: DemoCalendar,
    summary: SeedSummary,
) -> Programme:
    """The boundaries made visible: a managerial programme of another owner, whose one
    population (the Pôle 3E) shares its assistants with the first programme, and an
    ambassador of one population of the first programme only. It has no Pix results yet:
    the first programme's campaigns are not its own."""
    owner = _login_of(plan, agents, SECOND_OWNER_LOGIN, unit="P3E", job_title="Chef·fe de pôle")
    ambassador = _login_of(
        plan, agents, SECOND_AMBASSADOR_LOGIN, unit="P3E-FPA", job_title="Chargé·e de mission"
    )
    single = _login_of(
        plan, agents, SINGLE_AMBASSADOR_LOGIN, unit="SG-BPCI", job_title="Chargé·e de mission"
    )
    second, _ = Programme.objects.update_or_create(
        slug=SECOND_PROGRAMME_SLUG,
        defaults={
            "name": SECOND_PROGRAMME_NAME,
            "description": SECOND_PROGRAMME_DESCRIPTION,
            "purpose": Purpose.MANAGERIAL,
            "start_date": calendar.second_programme_start,
            "end_date": calendar.second_programme_end,
            "stall_threshold_days": 30,
        },
    )
    second.owners.add(owner)
    _build_population(
        programme=second,
        spec=SECOND_POPULATION,
        plan=plan,
        agents=agents,
        start_date=calendar.second_programme_start,
        deadline=calendar.target_deadline,
        summary=summary,
    ).ambassadors.add(ambassador)
    programme.populations.get(name=POPULATIONS[1].name).ambassadors.add(single)
    summary.logins += [
        ("pilote d'un second programme", SECOND_OWNER_LOGIN),
        ("ambassadeur·rice du second programme", SECOND_AMBASSADOR_LOGIN),
        ("ambassadeur·rice d'une seule population", SINGLE_AMBASSADOR_LOGIN),
    ]
    return second


def _build_population(*, programme, spec, plan, agents, start_date, deadline, summary):
    """A population of `programme` from its spec: its level targets and the enrolments of the
    agents it gathers."""
    competences = {competence.code: competence for competence in Competence.objects.all()}
    population, _ = TargetPopulation.objects.update_or_create(
        programme=programme, name=spec.name, defaults={"description": spec.description}
    )
    for code, level, dated in spec.targets:
        _, created = Target.objects.update_or_create(
            population=population,
            competence=competences[code],
            kind=TargetKind.LEVEL,
            defaults={"level": level, "deadline": deadline if dated else None},
        )
        summary.targets_created += created
    # Anyone ever enrolled is left alone: a closed enrolment means they left on purpose.
    known = set(Enrolment.objects.filter(population=population).values_list("agent_id", flat=True))
    new = [
        Enrolment(agent=agents[p.external_id], population=population, start_date=start_date)
        for p in plan.agents
        if spec.includes(p) and agents[p.external_id].pk not in known
    ]
    Enrolment.objects.bulk_create(new)
    progress.refresh_enrolments(
        Enrolment.objects.filter(population=population, agent_id__in=[e.agent_id for e in new])
    )
    summary.enrolments_created += len(new)
    return population


def build_results(
    *,
    exports: list[DemoExport],
    programme: Programme,
    uploader: User,
    summary: SeedSummary,
) -> None:
    """Import `exports` for the programme, in that order, as the ambassador would: upload
    (the raw file kept under MEDIA_ROOT), analysis, import, campaign followed by the
    programme. An export whose bytes were already imported is skipped."""
    for export in exports:
        content = export.content()
        digest = hashlib.sha256(content).hexdigest()
        earlier = ResultImport.objects.done().filter(sha256=digest).first()
        if earlier is not None:
            if earlier.campaign_id is not None:
                programme.campaigns.add(earlier.campaign_id)
            summary.exports.append(_export_line(earlier, already_imported=True))
            continue
        result_import = campaign_services.import_create(
            fileobj=io.BytesIO(content), original_name=export.filename, uploaded_by=uploader
        )
        summary.stored_files.append(result_import.file.name)
        programme_import_link(programme=programme, result_import=result_import)
        result_import = campaign_services.import_analyse(result_import_id=result_import.pk)
        if result_import.status == ImportStatus.READY:
            result_import = programme_import_run(programme=programme, result_import=result_import)
        if result_import.status != ImportStatus.DONE:
            raise RuntimeError(
                f"Demo export {export.filename} not imported ({result_import.status}): "
                f"{result_import.errors}"
            )
        summary.exports.append(_export_line(result_import, already_imported=False))


def build_results_and_checkins(
    *,
    plan: OrgPlan,
    programme: Programme,
    calendar: DemoCalendar,
    checkins: CheckinRun,
    uploader: User,
    summary: SeedSummary,
    seed: int,
) -> None:
    """The Pix exports imported in date order, each milestone's check-ins recorded once the
    exports made before its day are in."""
    exports = sorted(plan_exports(plan, calendar=calendar, seed=seed), key=lambda e: e.exported_at)
    milestones = list(enumerate(calendar.milestones))
    for export in exports:
        while milestones and milestones[0][1][1] < export.exported_at.date():
            index, (title, day) = milestones.pop(0)
            checkins.held(index, title, day)
        build_results(exports=[export], programme=programme, uploader=uploader, summary=summary)
    for index, (title, day) in milestones:
        checkins.held(index, title, day)
    summary.to_match = import_selectors.participations_to_match_counts(programme)


def _export_line(result_import: ResultImport, *, already_imported: bool) -> ExportLine:
    return ExportLine(
        filename=result_import.original_name,
        rows=result_import.rows,
        shared_rows=result_import.shared_rows,
        participations_created=0 if already_imported else result_import.participations_created,
        results_created=0 if already_imported else result_import.results_created,
        unmatched=result_import.unmatched,
        already_imported=already_imported,
    )


def discard_stored_files(summary: SeedSummary) -> None:
    """Delete the raw files this run stored: for a run whose rows were rolled back."""
    storage = ResultImport._meta.get_field("file").storage
    for name in summary.stored_files:
        storage.delete(name)
    summary.stored_files.clear()


class CalendarMismatch(ValueError):
    """The demo in the database was seeded for another day than the one asked."""


def seeded_day() -> datetime.date | None:
    """The day the demo in the database was first seeded, or None if there is none."""
    start = (
        Programme.objects.filter(slug=PROGRAMME_SLUG).values_list("start_date", flat=True).first()
    )
    return None if start is None else DemoCalendar.from_programme_start(start).today


def demo_calendar(today: datetime.date | None = None) -> DemoCalendar:
    """The demo's calendar: the one the database holds (kept from its first seeding, read
    from the programme's start date), else one from `today` (the local date by default).
    Raises CalendarMismatch if `today` is given and differs from the database's."""
    start = (
        Programme.objects.filter(slug=PROGRAMME_SLUG).values_list("start_date", flat=True).first()
    )
    if start is None:
        return DemoCalendar(today or timezone.localdate())
    calendar = DemoCalendar.from_programme_start(start)
    if today is not None and today != calendar.today:
        raise CalendarMismatch(calendar.today)
    return calendar


def seed_demo(*, seed: int = SEED, today: datetime.date | None = None) -> SeedSummary:
    """Create or bring back the demo organisation, logins, programme, its imported Pix
    results, its accompaniment (check-ins, resources, mentoring) and the reminders sent,
    dated from `today` (the local date by default) the first time, from that same day
    later (see `demo_calendar`); idempotent. If it fails, nothing is kept, the stored raw
    files included."""
    summary = SeedSummary()
    plan = plan_org(seed=seed)
    try:
        with transaction.atomic():
            calendar = summary.calendar = demo_calendar(today)
            agents = build_org(plan=plan, summary=summary)
            users = build_users(plan=plan, agents=agents, summary=summary)
            programme = build_programme(
                plan=plan, agents=agents, users=users, calendar=calendar, summary=summary
            )
            demo_agent = agents[plan.people[AGENT.role].external_id]
            ambassador = users[AMBASSADOR.role]
            build_results_and_checkins(
                plan=plan,
                programme=programme,
                calendar=calendar,
                checkins=CheckinRun(programme, demo_agent, ambassador, seed, summary.accompaniment),
                uploader=ambassador,
                summary=summary,
                seed=seed,
            )
            build_accompaniment(
                programme=programme,
                demo_agent=demo_agent,
                excluded={agents[person.external_id].pk for person in plan.people.values()},
                ambassador=ambassador,
                seed=seed,
                calendar=calendar,
                summary=summary.accompaniment,
            )
            build_reminder_rules(programme=programme, owner=users[OWNER.role])
            summary.reminders = build_reminders(programme=programme, calendar=calendar)
            build_second_programme(
                plan=plan, agents=agents, programme=programme, calendar=calendar, summary=summary
            )
    except BaseException:
        discard_stored_files(summary)
        raise
    return summary


def build_reminder_rules(*, programme, owner) -> None:
    """Reminders on, with the quiet periods an administration would set (August, the
    year-end holidays); existing rules are left as the demo's users changed them."""
    from programmes.models import QuietPeriod, ReminderSettings

    _rules, created = ReminderSettings.objects.get_or_create(
        programme=programme,
        defaults={"enabled": True, "first_after_days": 21, "updated_by": owner},
    )
    if created:
        QuietPeriod.objects.bulk_create(
            [
                QuietPeriod(
                    programme=programme,
                    label="Août",
                    start_month=8,
                    start_day=1,
                    end_month=8,
                    end_day=31,
                ),
                QuietPeriod(
                    programme=programme,
                    label="Fêtes de fin d'année",
                    start_month=12,
                    start_day=20,
                    end_month=1,
                    end_day=5,
                ),
            ]
        )
