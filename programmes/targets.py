"""Targets as values: what a population is asked for, and which target applied when.

Kept free of the ORM except `targets_applying_on`, which only reads the history: the
replay itself (`targets_in_force`) works on any rows with the TargetChange attributes, so
the dashboard can feed it rows it already loaded for many populations at once.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.referential import MAX_LEVEL
from programmes.enums import TargetKind
from programmes.models import TargetChange, describe_target_value

RATE_STEP = Decimal("0.001")

# (kind, competence id, campaign id): one target per key, as Target's unique constraints say.
TargetKey = tuple[str, int | None, int | None]


def target_key(kind: str, competence_id: int | None, campaign_id: int | None) -> TargetKey:
    """The identity of a target within its population. A level is one per competence
    (whatever the campaign), a mastery rate one per competence and campaign, a stage one
    per campaign."""
    if kind == TargetKind.LEVEL:
        return (kind, competence_id, None)
    if kind == TargetKind.STAGE:
        return (kind, None, campaign_id)
    return (kind, competence_id, campaign_id)


@dataclass(frozen=True)
class TargetSpec:
    """One target as the ambassador wants it. `mastery_rate` is a fraction (0.7 = 70 %)."""

    kind: str
    competence_id: int | None = None
    campaign_id: int | None = None
    level: int | None = None
    mastery_rate: Decimal | None = None
    stage: int | None = None
    deadline: datetime.date | None = None

    @property
    def key(self) -> TargetKey:
        return target_key(self.kind, self.competence_id, self.campaign_id)

    @property
    def values(self) -> tuple:
        """What a change compares: the expected value and the deadline."""
        return (self.level, self.mastery_rate, self.stage, self.deadline)


def rate_from_percent(percent: Decimal) -> Decimal:
    """70 (a percentage, as typed) -> 0.700 (as stored)."""
    return (Decimal(percent) / 100).quantize(RATE_STEP)


def percent_from_rate(rate: Decimal | None) -> Decimal | None:
    """0.725 -> 72.5, 0.700 -> 70: what the form shows back."""
    if rate is None:
        return None
    return (Decimal(rate) * 100).normalize().quantize(Decimal("0.1")).normalize()


def spec_errors(spec: TargetSpec, stage_count: int | None = None) -> list[str]:
    """What is wrong with one target, in French; an empty list when it can be saved.
    `stage_count` is the campaign's number of stages when known."""
    errors = []
    if spec.kind == TargetKind.LEVEL:
        if spec.competence_id is None:
            errors.append(_("Un niveau cible porte sur une compétence."))
        if spec.level is None or not 1 <= spec.level <= MAX_LEVEL:
            errors.append(
                _("Le niveau cible doit être compris entre 1 et %(max)s.") % {"max": MAX_LEVEL}
            )
    elif spec.kind == TargetKind.MASTERY_RATE:
        if spec.competence_id is None or spec.campaign_id is None:
            errors.append(_("Un taux de maîtrise porte sur une compétence d’une évaluation."))
        if spec.mastery_rate is None or not 0 <= spec.mastery_rate <= 1:
            errors.append(_("Le taux de maîtrise doit être compris entre 0 et 100 %."))
    elif spec.kind == TargetKind.STAGE:
        if spec.campaign_id is None:
            errors.append(_("Un palier porte sur une campagne d’évaluation."))
        if spec.stage is None or spec.stage < 0:
            errors.append(_("Le palier doit être un nombre positif ou nul."))
        elif stage_count is not None and spec.stage > stage_count:
            errors.append(
                _("Le palier ne peut dépasser %(max)s, le dernier palier de cette campagne.")
                % {"max": stage_count}
            )
    else:
        errors.append(_("Type d’objectif inconnu."))
    return errors


@dataclass(frozen=True)
class AppliedTarget:
    """A target as it stood at some date, and since when it stood so."""

    kind: str
    competence_id: int | None
    campaign_id: int | None
    level: int | None
    mastery_rate: Decimal | None
    stage: int | None
    deadline: datetime.date | None
    since: datetime.datetime
    competence: object = None
    campaign: object = None

    @property
    def key(self) -> TargetKey:
        return target_key(self.kind, self.competence_id, self.campaign_id)

    @property
    def expected(self) -> str:
        """« niveau 3 », « 70 % de maîtrise », « palier 2 »."""
        return describe_target_value(self.kind, self.level, self.mastery_rate, self.stage)


def _cutoff(when) -> datetime.datetime:
    """A date means the end of that (local) day; a datetime means that instant."""
    if isinstance(when, datetime.datetime):
        return when
    next_day = datetime.datetime.combine(when + datetime.timedelta(days=1), datetime.time.min)
    return timezone.make_aware(next_day)


def targets_in_force(changes: Iterable, when) -> list[AppliedTarget]:
    """Replay target changes (objects with TargetChange's attributes) up to `when` — a
    date, meaning the end of that day, or a datetime — and return the targets then in
    force, in a stable order (levels, rates, stages; by competence then campaign)."""
    cutoff = _cutoff(when)
    ordered = sorted(
        changes, key=lambda change: (change.changed_at, getattr(change, "pk", None) or 0)
    )
    state: dict[TargetKey, AppliedTarget] = {}
    for change in ordered:
        if change.changed_at >= cutoff:
            break
        key = target_key(change.kind, change.competence_id, change.campaign_id)
        if change.action == "removed":
            state.pop(key, None)
            continue
        state[key] = AppliedTarget(
            kind=change.kind,
            competence_id=change.competence_id,
            campaign_id=change.campaign_id,
            level=change.level_after,
            mastery_rate=change.mastery_rate_after,
            stage=change.stage_after,
            deadline=change.deadline_after,
            since=change.changed_at,
            competence=_loaded(change, "competence"),
            campaign=_loaded(change, "campaign"),
        )
    kinds = [TargetKind.LEVEL, TargetKind.MASTERY_RATE, TargetKind.STAGE]
    return sorted(
        state.values(),
        key=lambda t: (kinds.index(t.kind), _position(t), t.competence_id or 0, t.campaign_id or 0),
    )


def _loaded(change, name):
    """The related object when the caller loaded it (select_related), without a query."""
    cache = getattr(getattr(change, "_state", None), "fields_cache", None)
    if cache is not None:
        return cache.get(name)
    return getattr(change, name, None)


def _position(target: AppliedTarget) -> int:
    return getattr(target.competence, "position", 0) if target.competence else 0


def targets_applying_on(population, when) -> list[AppliedTarget]:
    """The targets `population` had in force on `when` (a date: at the end of that day; or
    a datetime), told from its TargetChange history."""
    changes = (
        TargetChange.objects.of_population(population)
        .filter(changed_at__lt=_cutoff(when))
        .select_related("competence", "campaign")
    )
    return targets_in_force(changes, when)
