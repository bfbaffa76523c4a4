"""Writes on a review's preparation sheet, in the order of its life:

to prepare -> prepared (the agent may read and comment) -> shared (locked: later changes are
dated addenda) -> held (objectives become personal targets) -> closed.

Each function re-reads the review under a row lock, checks the user's right (PermissionDenied,
a 403) and the state (ValidationError with a French message: nothing is changed), then writes.
Versions are numbered 1.. and never rewritten."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Competence
from campaigns.referential import MAX_LEVEL
from programmes.models import PersonalTarget
from reviews import perms
from reviews.models import Review, ReviewAddendum, ReviewObjective, ReviewState, ReviewVersion
from reviews.sheet import build_sheet, sheet_content


def _locked_row(review: Review) -> Review:
    return (
        Review.objects.select_for_update(of=("self",))
        .select_related("cycle__programme", "agent", "manager")
        .get(pk=review.pk)
    )


def _require(allowed: bool):
    if not allowed:
        raise PermissionDenied(_("Vous ne pouvez pas modifier cette fiche."))


def _require_state(review: Review, *states, message: str):
    if review.state not in states:
        raise ValidationError(message)


def _refresh(target: Review, source: Review):
    """Give the caller's instance the values just written."""
    for field in Review._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))


def review_version_write(*, review: Review, by, reason: str) -> ReviewVersion:
    """A new frozen copy of the sheet as it now stands (call with the review row locked)."""
    last = review.versions.aggregate(last=Max("number"))["last"] or 0
    return ReviewVersion.objects.create(
        review=review,
        number=last + 1,
        reason=reason,
        content=sheet_content(build_sheet(review)),
        created_by=by,
    )


@transaction.atomic
def review_save(
    *,
    review: Review,
    by,
    acquired_skills: str,
    training_needs: str,
    trainings_wanted: str,
    prospects: str,
    cpf_informed: bool,
    manager_comment: str,
    objectives: dict[Competence, int | None],
) -> Review:
    """The manager line writes the sheet until it is shared. `objectives` maps competences to
    next year's level; None (or a missing competence) removes the objective."""
    row = _locked_row(review)
    _require(perms.can_prepare_review(by, row))
    if row.is_locked:
        raise ValidationError(
            _("La fiche est verrouillée depuis son partage : ajoutez plutôt un addendum.")
        )
    for competence, level in objectives.items():
        if level is not None and not 1 <= level <= MAX_LEVEL:
            raise ValidationError(
                _("Le niveau visé en %(code)s doit être compris entre 1 et %(max)s.")
                % {"code": competence.code, "max": MAX_LEVEL}
            )
    row.acquired_skills = acquired_skills
    row.training_needs = training_needs
    row.trainings_wanted = trainings_wanted
    row.prospects = prospects
    row.cpf_informed = cpf_informed
    row.manager_comment = manager_comment
    row.save()
    wanted = {c.pk: level for c, level in objectives.items() if level is not None}
    row.objectives.exclude(competence_id__in=wanted).delete()
    for competence_id, level in wanted.items():
        ReviewObjective.objects.update_or_create(
            review=row, competence_id=competence_id, defaults={"level": level}
        )
    _refresh(review, row)
    return review


@transaction.atomic
def review_mark_prepared(*, review: Review, by) -> Review:
    """The manager says the sheet is ready: the agent can now read it and comment."""
    row = _locked_row(review)
    _require(perms.can_prepare_review(by, row))
    _require_state(
        row,
        ReviewState.TO_PREPARE,
        message=_("Seule une fiche à préparer peut être marquée comme préparée."),
    )
    row.state = ReviewState.PREPARED
    row.save(update_fields=["state", "updated_at"])
    _refresh(review, row)
    return review


@transaction.atomic
def review_agent_comment(*, review: Review, by, text: str) -> Review:
    """The agent comments the prepared sheet, until the manager shares it."""
    row = _locked_row(review)
    _require(perms.is_reviewed_agent(by, row))
    _require_state(
        row,
        ReviewState.PREPARED,
        message=_(
            "Vous pouvez commenter la fiche une fois préparée et jusqu'à son partage ; "
            "ensuite, ajoutez un addendum."
        ),
    )
    row.agent_comment = text
    row.save(update_fields=["agent_comment", "updated_at"])
    _refresh(review, row)
    return review


@transaction.atomic
def review_share(*, review: Review, by) -> Review:
    """The manager shares the prepared sheet for the meeting: it is locked and a first
    version is kept."""
    row = _locked_row(review)
    _require(perms.can_prepare_review(by, row))
    _require_state(
        row,
        ReviewState.PREPARED,
        message=_("Seule une fiche préparée peut être partagée avec l'agent."),
    )
    row.state = ReviewState.SHARED
    row.shared_at = timezone.now()
    row.save(update_fields=["state", "shared_at", "updated_at"])
    review_version_write(review=row, by=by, reason=_("Partagée avec l'agent"))
    _refresh(review, row)
    return review


@transaction.atomic
def review_addendum_add(*, review: Review, by, text: str) -> ReviewAddendum:
    """The manager line or the agent adds a dated addendum to a locked sheet; a version
    keeps the sheet with it."""
    row = _locked_row(review)
    _require(perms.can_prepare_review(by, row) or perms.is_reviewed_agent(by, row))
    if not row.is_locked:
        raise ValidationError(
            _("Un addendum s'ajoute à une fiche partagée ; avant, modifiez la fiche.")
        )
    text = text.strip()
    if not text:
        raise ValidationError(_("Écrivez le texte de l'addendum."))
    addendum = ReviewAddendum.objects.create(review=row, author=by, text=text)
    review_version_write(review=row, by=by, reason=_("Addendum"))
    return addendum


@transaction.atomic
def review_hold(*, review: Review, by, meeting_on: datetime.date) -> Review:
    """The meeting took place: next year's objectives become the agent's personal targets in
    the programme from the meeting's date."""
    row = _locked_row(review)
    _require(perms.can_prepare_review(by, row))
    _require_state(
        row,
        ReviewState.SHARED,
        message=_("L'entretien ne peut être marqué comme tenu qu'une fois la fiche partagée."),
    )
    if meeting_on is None:
        raise ValidationError(_("Indiquez la date de l'entretien."))
    if meeting_on > timezone.localdate():
        raise ValidationError(_("La date de l'entretien ne peut pas être dans le futur."))
    row.state = ReviewState.HELD
    row.meeting_on = meeting_on
    row.save(update_fields=["state", "meeting_on", "updated_at"])
    source = _("Entretien professionnel %(year)s") % {"year": row.cycle.year}
    for objective in row.objectives.all():
        PersonalTarget.objects.update_or_create(
            agent=row.agent,
            programme=row.cycle.programme,
            competence_id=objective.competence_id,
            valid_from=meeting_on,
            defaults={"level": objective.level, "source": source},
        )
    review_version_write(review=row, by=by, reason=_("Entretien tenu"))
    _refresh(review, row)
    return review


@transaction.atomic
def review_close(*, review: Review, by) -> Review:
    """The manager closes the review once held; a last version is kept."""
    row = _locked_row(review)
    _require(perms.can_prepare_review(by, row))
    _require_state(
        row,
        ReviewState.HELD,
        message=_("Seul un entretien tenu peut être clôturé."),
    )
    row.state = ReviewState.CLOSED
    row.closed_at = timezone.now()
    row.save(update_fields=["state", "closed_at", "updated_at"])
    review_version_write(review=row, by=by, reason=_("Clôturée"))
    _refresh(review, row)
    return review
