"""Writes of check-ins: the barrier list of a programme, milestones, check-ins."""

import datetime
from collections import Counter
from typing import Literal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import Agent
from programmes import status
from programmes.enums import DEFAULT_BARRIERS
from programmes.models import (
    Barrier,
    CheckIn,
    Enrolment,
    Milestone,
    MilestoneCount,
    Programme,
    TargetPopulation,
)

COMMENT_MAX_LENGTH = 2000
NEXT_STEP_MAX_LENGTH = CheckIn._meta.get_field("next_step").max_length


class CheckInInvalid(ValueError):
    """A check-in breaks a rule; `messages` says which, in French, and nothing was saved."""

    def __init__(self, messages):
        super().__init__("; ".join(messages))
        self.messages = messages


class MilestoneHasCheckIns(ValueError):
    """A milestone with check-ins is history: it is not deleted."""


# --- Barriers ------------------------------------------------------------------------------


@transaction.atomic
def barriers_create_defaults(*, programme: Programme) -> None:
    """Give a programme the default barriers it does not have yet (by label)."""
    existing = set(programme.barriers.values_list("label", flat=True))
    Barrier.objects.bulk_create(
        Barrier(programme=programme, label=str(label), position=position)
        for position, label in enumerate(DEFAULT_BARRIERS, start=1)
        if str(label) not in existing
    )


@transaction.atomic
def barrier_create(*, programme: Programme, label: str) -> Barrier:
    """A new barrier goes to the end of the programme's list, offered at once."""
    last = programme.barriers.aggregate(last=Max("position"))["last"] or 0
    return Barrier.objects.create(programme=programme, label=label.strip(), position=last + 1)


@transaction.atomic
def barrier_rename(*, barrier: Barrier, label: str) -> Barrier:
    """Renaming a barrier renames it on the past check-ins that cite it too."""
    barrier.label = label.strip()
    barrier.save(update_fields=["label"])
    return barrier


@transaction.atomic
def barrier_move(*, barrier: Barrier, direction: Literal["up", "down"]) -> None:
    """Swap the barrier with its neighbour in the list; positions are renumbered 1..n so
    that equal positions (older data) cannot make a move a no-op."""
    barriers = list(
        Barrier.objects.select_for_update()
        .filter(programme_id=barrier.programme_id)
        .order_by("position", "label", "pk")
    )
    index = next(i for i, item in enumerate(barriers) if item.pk == barrier.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(barriers):
        barriers[index], barriers[other] = barriers[other], barriers[index]
    for position, item in enumerate(barriers, start=1):
        item.position = position
    Barrier.objects.bulk_update(barriers, ["position"])


@transaction.atomic
def barrier_set_active(*, barrier: Barrier, is_active: bool) -> Barrier:
    """A retired barrier is no longer offered but stays on the check-ins that cite it."""
    barrier.is_active = is_active
    barrier.save(update_fields=["is_active"])
    return barrier


# --- Milestones ----------------------------------------------------------------------------


@transaction.atomic
def milestone_create(
    *,
    population: TargetPopulation,
    date: datetime.date,
    title: str,
    created_by: AbstractBaseUser | None,
) -> Milestone:
    return Milestone.objects.create(
        population=population, date=date, title=title.strip(), created_by=created_by
    )


@transaction.atomic
def milestone_update(*, milestone: Milestone, date: datetime.date, title: str) -> Milestone:
    milestone.date = date
    milestone.title = title.strip()
    milestone.save(update_fields=["date", "title"])
    return milestone


@transaction.atomic
def milestone_delete(*, milestone: Milestone) -> None:
    """Only a milestone without check-ins may be deleted: its check-ins are history."""
    if milestone.checkins.exists():
        raise MilestoneHasCheckIns
    milestone.delete()


# --- Check-ins -----------------------------------------------------------------------------


def _checkin_errors(*, milestone, agent, barriers, comment, next_step, next_step_due, today):
    population = milestone.population
    errors = []
    if not Enrolment.objects.current(today).filter(population=population, agent=agent).exists():
        errors.append(_("Cet agent n’est pas inscrit dans la population."))
    if any(barrier.programme_id != population.programme_id for barrier in barriers):
        errors.append(_("Les freins doivent être ceux du programme."))
    if next_step_due is not None and next_step_due < milestone.date:
        errors.append(_("L’échéance de la prochaine étape ne peut précéder la date du point."))
    if len(comment) > COMMENT_MAX_LENGTH:
        errors.append(_("Le commentaire dépasse %(max)s caractères.") % {"max": COMMENT_MAX_LENGTH})
    if len(next_step) > NEXT_STEP_MAX_LENGTH:
        errors.append(
            _("La prochaine étape dépasse %(max)s caractères.") % {"max": NEXT_STEP_MAX_LENGTH}
        )
    return errors


@transaction.atomic
def checkin_record(
    *,
    milestone: Milestone,
    agent: Agent,
    barriers: list[Barrier],
    comment: str,
    next_step: str,
    next_step_due: datetime.date | None,
    recorded_by: AbstractBaseUser,
) -> CheckIn:
    """Record (or correct) the agent's check-in at the milestone. Their status, targets met
    and targets set are taken from the data as of the milestone date (today at the latest),
    never typed in; whoever saves last is the one who recorded it."""
    today = timezone.localdate()
    comment, next_step = comment.strip(), next_step.strip()
    errors = _checkin_errors(
        milestone=milestone,
        agent=agent,
        barriers=barriers,
        comment=comment,
        next_step=next_step,
        next_step_due=next_step_due,
        today=today,
    )
    if errors:
        raise CheckInInvalid(errors)
    # The milestone locked first: recordings at one milestone take turns, so that each
    # moves its counts from what the check-in counted in before (read under the lock).
    Milestone.objects.select_for_update().filter(pk=milestone.pk).first()
    before = CheckIn.objects.filter(milestone=milestone, agent=agent).first()
    counted_before = (
        _count_keys(before.status, before.barriers.values_list("pk", flat=True)) if before else []
    )
    population = milestone.population
    progress = status.with_progress(
        Enrolment.objects.current(today).filter(population=population, agent=agent),
        programmes=[population.programme],
        today=min(milestone.date, today),
    ).first()
    checkin, _created = CheckIn.objects.update_or_create(
        milestone=milestone,
        agent=agent,
        defaults={
            "status": progress.progress_status,
            "targets_met": progress.targets_met,
            "targets_set": progress.targets_set,
            "comment": comment,
            "next_step": next_step,
            "next_step_due": next_step_due,
            "recorded_by": recorded_by,
        },
    )
    checkin.barriers.set(barriers)
    milestone_counts_move(
        milestone=milestone,
        removed=counted_before,
        added=_count_keys(checkin.status, [barrier.pk for barrier in barriers]),
    )
    return checkin


def _count_keys(status_value, barrier_ids) -> list[tuple[int | None, int]]:
    """The (barrier id or None, status) rows of MilestoneCount a check-in counts in."""
    return [(None, status_value)] + [(barrier_id, status_value) for barrier_id in barrier_ids]


def milestone_counts_move(*, milestone: Milestone, removed, added) -> None:
    """Move the milestone's counts by one check-in: out of the rows of `removed`, into those
    of `added` (`_count_keys`), under the milestone's lock (`checkin_record` takes it). A few
    rows written whatever the number of check-ins, where recounting them all on each
    recording read a whole population's at a large milestone, the lock held meanwhile."""
    deltas = Counter(added)
    deltas.subtract(Counter(removed))
    for (barrier_id, status_value), delta in deltas.items():
        if not delta:
            continue
        rows = MilestoneCount.objects.filter(
            milestone=milestone, barrier_id=barrier_id, status=status_value
        )
        if rows.update(count=F("count") + delta):
            continue
        if delta < 0:  # nothing to take from: the counts had drifted, rewrite them all
            milestone_counts_refresh(milestone=milestone)
            return
        MilestoneCount.objects.create(
            milestone=milestone, barrier_id=barrier_id, status=status_value, count=delta
        )
    if any(delta < 0 for delta in deltas.values()):
        MilestoneCount.objects.filter(milestone=milestone, count=0).delete()


@transaction.atomic
def milestone_counts_refresh(*, milestone: Milestone) -> None:
    """Rewrite the milestone's counts (per status, and per barrier and status) from its
    check-ins. The milestone row is locked first: two check-ins saved at once cannot
    interleave their rewrites."""
    Milestone.objects.select_for_update().filter(pk=milestone.pk).first()
    MilestoneCount.objects.filter(milestone=milestone).delete()
    checkins = CheckIn.objects.filter(milestone=milestone).order_by()
    rows = [
        MilestoneCount(milestone=milestone, barrier=None, status=row["status"], count=row["n"])
        for row in checkins.values("status").annotate(n=Count("pk"))
    ]
    cited = (
        CheckIn.barriers.through.objects.filter(checkin__milestone=milestone)
        .order_by()
        .values("barrier_id", "checkin__status")
        .annotate(n=Count("pk"))
    )
    rows += [
        MilestoneCount(
            milestone=milestone,
            barrier_id=row["barrier_id"],
            status=row["checkin__status"],
            count=row["n"],
        )
        for row in cited
    ]
    MilestoneCount.objects.bulk_create(rows)


def milestone_counts_refresh_all(*, milestones=None) -> int:
    """Rewrite the counts of `milestones` (every milestone by default), e.g. after check-ins
    were written without `checkin_record` (the demo, a benchmark, the admin). Returns how many
    milestones were counted."""
    milestones = Milestone.objects.all() if milestones is None else milestones
    done = 0
    for milestone in milestones:
        milestone_counts_refresh(milestone=milestone)
        done += 1
    return done
