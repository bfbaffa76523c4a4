"""Writes of target populations: the population itself, its targets (with their dated
history) and who is enrolled in it; and the reads that choose whom to enrol.

Enrolling is idempotent (someone already enrolled stays as they are); leaving sets an end
date and keeps the row, so that re-enrolling later is a new enrolment and the history of
who was in the population when stays whole.
"""

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower, Upper
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import Agent, OrgUnit
from campaigns.enums import CampaignKind
from campaigns.models import Campaign, Competence
from programmes import progress
from programmes.enums import TargetKind
from programmes.models import Enrolment, Programme, Target, TargetChange, TargetPopulation
from programmes.targets import RATE_STEP, TargetSpec, spec_errors, target_key

ASSESSMENT_KINDS = (CampaignKind.ASSESSMENT, CampaignKind.EXAM)
# Lookups of pasted identifiers go by chunks: databases cap the parameters of one query.
CHUNK = 500


class TargetsInvalid(Exception):
    """The targets cannot be saved; `messages` says why, in French. Nothing was written."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


# --- Populations --------------------------------------------------------------------------


def population_create(
    *,
    programme: Programme,
    name: str,
    description: str = "",
    ambassadors: Iterable = (),
) -> TargetPopulation:
    """A new population of `programme`, with its ambassadors."""
    with transaction.atomic():
        population = TargetPopulation.objects.create(
            programme=programme, name=name, description=description
        )
        population.ambassadors.set(ambassadors)
    return population


def population_update(
    *,
    population: TargetPopulation,
    name: str,
    description: str = "",
    ambassadors: Iterable = (),
) -> TargetPopulation:
    """Rename or describe a population and set who its ambassadors are."""
    with transaction.atomic():
        population.name = name
        population.description = description
        population.save(update_fields=["name", "description"])
        population.ambassadors.set(ambassadors)
    return population


# --- Targets ------------------------------------------------------------------------------


@dataclass
class TargetsSaved:
    created: int = 0
    changed: int = 0
    removed: int = 0

    @property
    def total(self):
        return self.created + self.changed + self.removed


def targets_save(*, population: TargetPopulation, user, targets: list[TargetSpec]) -> TargetsSaved:
    """Make the population's targets exactly `targets`: create the new ones, update the
    changed ones, remove the ones left out, and date each real change in TargetChange
    (the values before and after, who, when). Raises TargetsInvalid, writing nothing,
    when any target is wrong."""
    targets = [_normalized(spec) for spec in targets]
    with transaction.atomic():
        # order_by("pk"): the default ordering joins the nullable competence, and PostgreSQL
        # refuses FOR UPDATE on the nullable side of an outer join.
        existing = {
            target_key(t.kind, t.competence_id, t.campaign_id): t
            for t in Target.objects.select_for_update().filter(population=population).order_by("pk")
        }
        errors = _targets_errors(population, targets, existing.values())
        if errors:
            raise TargetsInvalid(errors)
        now = timezone.now()
        wanted = {spec.key: spec for spec in targets}
        saved = TargetsSaved()
        changes = []
        for key, spec in wanted.items():
            target = existing.get(key)
            if target is None:
                target = Target.objects.create(
                    population=population,
                    kind=spec.kind,
                    competence_id=spec.competence_id,
                    campaign_id=spec.campaign_id,
                    level=spec.level,
                    mastery_rate=spec.mastery_rate,
                    stage=spec.stage,
                    deadline=spec.deadline,
                )
                changes.append(_change(target, TargetChange.Action.CREATED, None, spec, now, user))
                saved.created += 1
            elif _values(target) != spec.values:
                before = _values(target)
                target.level, target.mastery_rate, target.stage, target.deadline = spec.values
                target.save(update_fields=["level", "mastery_rate", "stage", "deadline"])
                changes.append(
                    _change(target, TargetChange.Action.CHANGED, before, spec, now, user)
                )
                saved.changed += 1
        for key, target in existing.items():
            if key not in wanted:
                changes.append(
                    _change(target, TargetChange.Action.REMOVED, _values(target), None, now, user)
                )
                target.delete()
                saved.removed += 1
        TargetChange.objects.bulk_create(changes)
    return saved


def _normalized(spec: TargetSpec) -> TargetSpec:
    """Rates are stored to the thousandth: compare what will be stored."""
    if spec.mastery_rate is None:
        return spec
    return TargetSpec(**{**spec.__dict__, "mastery_rate": spec.mastery_rate.quantize(RATE_STEP)})


def _values(target: Target) -> tuple:
    return (target.level, target.mastery_rate, target.stage, target.deadline)


def _change(target, action, before, spec, now, user) -> TargetChange:
    before = before or (None, None, None, None)
    after = spec.values if spec is not None else (None, None, None, None)
    return TargetChange(
        population_id=target.population_id,
        competence_id=target.competence_id,
        campaign_id=target.campaign_id,
        kind=target.kind,
        action=action,
        level_before=before[0],
        mastery_rate_before=before[1],
        stage_before=before[2],
        deadline_before=before[3],
        level_after=after[0],
        mastery_rate_after=after[1],
        stage_after=after[2],
        deadline_after=after[3],
        changed_at=now,
        changed_by=user,
    )


def _targets_errors(population, specs, existing) -> list[str]:
    """Every problem of the wanted targets, each prefixed with what it bears on."""
    competences = Competence.objects.in_bulk({s.competence_id for s in specs} - {None})
    campaigns = Campaign.objects.in_bulk({s.campaign_id for s in specs} - {None})
    allowed_campaigns = set(
        population.programme.campaigns.filter(kind__in=ASSESSMENT_KINDS).values_list(
            "pk", flat=True
        )
    ) | {t.campaign_id for t in existing if t.kind != TargetKind.LEVEL}
    errors, seen = [], set()
    for spec in specs:
        competence = competences.get(spec.competence_id)
        campaign = campaigns.get(spec.campaign_id)
        label = _spec_label(spec, competence, campaign)
        problems = []
        if spec.competence_id is not None and competence is None:
            problems.append(_("Cette compétence n’existe pas."))
        if (
            spec.kind != TargetKind.LEVEL
            and spec.campaign_id is not None
            and (campaign is None or campaign.pk not in allowed_campaigns)
        ):
            problems.append(_("Cette campagne n’est pas une campagne d’évaluation du programme."))
        problems += spec_errors(spec, campaign.stage_count if campaign else None)
        if spec.key in seen:
            problems.append(_("Cet objectif est donné deux fois."))
        seen.add(spec.key)
        errors += [f"{label} : {problem}" for problem in problems]
    return errors


def _spec_label(spec, competence, campaign) -> str:
    if spec.kind == TargetKind.STAGE:
        return _("Palier (%(campaign)s)") % {"campaign": campaign or "?"}
    name = str(competence) if competence else "?"
    if spec.kind == TargetKind.MASTERY_RATE:
        return _("%(competence)s (%(campaign)s)") % {
            "competence": name,
            "campaign": campaign or "?",
        }
    return name


# --- Choosing agents to enrol -------------------------------------------------------------


def org_unit_and_descendants(unit: OrgUnit) -> set[int]:
    """Ids of `unit` and of every unit under it, from one read of the (small) tree."""
    children = defaultdict(list)
    for pk, parent_id in OrgUnit.objects.values_list("pk", "parent_id"):
        children[parent_id].append(pk)
    ids, todo = set(), [unit.pk]
    while todo:
        current = todo.pop()
        if current not in ids:
            ids.add(current)
            todo.extend(children[current])
    return ids


def agents_for_filters(
    *,
    org_unit: OrgUnit | None = None,
    include_sub_units: bool = True,
    job_title: str = "",
    manager: Agent | None = None,
):
    """Active agents matching every filter given: in the unit (and the units under it),
    whose job title contains the text, reporting to the manager directly or not."""
    agents = Agent.objects.active()
    if org_unit is not None:
        units = org_unit_and_descendants(org_unit) if include_sub_units else {org_unit.pk}
        agents = agents.filter(org_unit_id__in=units)
    if job_title.strip():
        agents = agents.filter(job_title__icontains=job_title.strip())
    if manager is not None:
        agents = agents.reports_of(manager)
    return agents


@dataclass
class EnrolmentPreview:
    to_enrol: int
    already: int
    sample: list


def enrolment_preview(*, population: TargetPopulation, agents, sample_size: int = 20):
    """How many of `agents` would be enrolled and how many already are, with the first
    names of those who would be."""
    enrolled = Enrolment.objects.filter(population=population, end_date__isnull=True)
    newcomers = agents.exclude(pk__in=enrolled.values("agent_id"))
    already = agents.filter(pk__in=enrolled.values("agent_id")).count()
    return EnrolmentPreview(
        to_enrol=newcomers.count(),
        already=already,
        sample=list(
            newcomers.select_related("org_unit").order_by("last_name", "first_name", "pk")[
                :sample_size
            ]
        ),
    )


HEADER_WORDS = {
    "matricule",
    "matricules",
    "email",
    "e-mail",
    "mail",
    "courriel",
    "adresse e-mail",
    "adresse email",
    "identifiant",
    "identifiant externe",
}
SEPARATORS = re.compile(r"[;,\s]+")


@dataclass(frozen=True)
class Listed:
    """One identifier of a pasted or uploaded list, with the line it was on."""

    line: int
    value: str

    @property
    def is_email(self):
        return "@" in self.value


class NotText(ValueError):
    """An uploaded list that is not text."""


def decode_list(data: bytes) -> str:
    """The text of an uploaded list: UTF-8 (with or without BOM), else Windows-1252, as
    spreadsheets save it. Raises NotText for a binary file."""
    if b"\x00" in data:
        raise NotText(
            _("Ce fichier n’est pas un fichier texte : enregistrez la liste en .csv ou .txt.")
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise NotText(
            _("Le fichier n’est lisible ni en UTF-8 ni en Windows-1252 : enregistrez-le en UTF-8.")
        ) from None


def parse_list(text: str) -> list[Listed]:
    """Matricules or e-mail addresses, one per line or separated by `;`, `,`, tabs or
    spaces; quotes stripped; a header line (« matricule », « email »…) skipped; each
    identifier kept once, at its first line."""
    listed, seen = [], set()
    for number, line in enumerate(text.splitlines(), start=1):
        if number == 1 and line.strip().strip("\"'").casefold() in HEADER_WORDS:
            continue
        for token in SEPARATORS.split(line):
            value = token.strip().strip("\"'").strip()
            if not value or value.casefold() in seen:
                continue
            if number == 1 and value.casefold() in HEADER_WORDS:
                continue
            seen.add(value.casefold())
            listed.append(Listed(line=number, value=value))
    return listed


@dataclass
class ListResolution:
    agents: list = field(default_factory=list)
    problems: list = field(default_factory=list)  # (Listed, French reason)

    @property
    def unknown_count(self):
        return len(self.problems)


def resolve_list(listed: list[Listed]) -> ListResolution:
    """The agents a list names, by e-mail (any case) or matricule (any case, the exact
    spelling first); each identifier that names no active agent, with its reason."""
    emails = [item.value.lower() for item in listed if item.is_email]
    matricules = [item.value.upper() for item in listed if not item.is_email]
    by_email = {}
    for chunk in _chunks(emails):
        for agent in Agent.objects.annotate(key=Lower("email")).filter(key__in=chunk):
            by_email[agent.key] = agent
    by_matricule = defaultdict(list)
    for chunk in _chunks(matricules):
        for agent in Agent.objects.annotate(key=Upper("external_id")).filter(key__in=chunk):
            by_matricule[agent.key].append(agent)
    resolution, taken = ListResolution(), set()
    for item in listed:
        if item.is_email:
            agent = by_email.get(item.value.lower())
        else:
            agent = _one(by_matricule.get(item.value.upper(), []), item.value)
        if agent is None:
            if item.is_email:
                reason = _("aucun agent n’a cette adresse e-mail.")
            else:
                reason = _("aucun agent n’a ce matricule.")
            resolution.problems.append((item, reason))
        elif not agent.is_active:
            resolution.problems.append(
                (item, _("cet agent est inactif (%(name)s).") % {"name": agent})
            )
        elif agent.pk not in taken:
            taken.add(agent.pk)
            resolution.agents.append(agent)
    return resolution


def _one(candidates, value):
    if len(candidates) == 1:
        return candidates[0]
    exact = [agent for agent in candidates if agent.external_id == value]
    return exact[0] if len(exact) == 1 else None


def _chunks(values):
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


# --- Enrolments ---------------------------------------------------------------------------


@dataclass
class EnrolmentOutcome:
    enrolled: int = 0
    already: int = 0


def enrolment_add(*, population: TargetPopulation, agent_ids: Iterable[int], today=None):
    """Enrol the agents from today. Someone already enrolled stays as they are; someone who
    left today is taken back on the same enrolment (a same-day mistake undone); anyone who
    left earlier gets a new enrolment, the old one kept as history."""
    today = today or timezone.localdate()
    wanted = set(agent_ids)
    with transaction.atomic():
        rows = Enrolment.objects.filter(population=population).filter(
            Q(end_date__isnull=True) | Q(end_date=today)
        )
        open_ids, left_today = set(), {}
        for pk, agent_id, end_date in rows.values_list("pk", "agent_id", "end_date"):
            if end_date is None:
                open_ids.add(agent_id)
            else:
                left_today[agent_id] = max(pk, left_today.get(agent_id, pk))
        outcome = EnrolmentOutcome(already=len(wanted & open_ids))
        newcomers = wanted - open_ids
        back = [left_today[agent_id] for agent_id in newcomers if agent_id in left_today]
        for chunk in _chunks(back):
            Enrolment.objects.filter(pk__in=chunk).update(end_date=None)
        Enrolment.objects.bulk_create(
            [
                Enrolment(agent_id=agent_id, population=population, start_date=today)
                for agent_id in sorted(newcomers - set(left_today))
            ],
            batch_size=CHUNK,
            ignore_conflicts=True,  # enrolled meanwhile by someone else: still enrolled
        )
        # bulk_create skips save(): the newcomers' stored progress is computed here.
        progress.refresh_enrolments(
            Enrolment.objects.filter(population=population, agent_id__in=newcomers)
        )
        outcome.enrolled = len(newcomers)
    return outcome


def enrolment_end(*, enrolment: Enrolment, today=None) -> bool:
    """The agent leaves the population today; the enrolment is kept, with its end date.
    False when it had already ended."""
    today = today or timezone.localdate()
    with transaction.atomic():
        enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
        if enrolment.end_date is not None:
            return False
        enrolment.end_date = max(today, enrolment.start_date)
        enrolment.save(update_fields=["end_date"])
    return True
