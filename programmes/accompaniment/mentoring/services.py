"""Writes of peer mentoring ("compagnonnage").

An agent at or above their level target on a competence may volunteer to help colleagues on
it; an agent below it (or without a result) may ask for help; an ambassador pairs a request
with a volunteer, and ends the pairing when it is over. Each refusal is a ValidationError
with a French message, and changes nothing.

Withdrawing a volunteer offer ends the pairings it holds: each of those mentees gets a new
pending request on the same competence (when still enrolled in the programme), so that their
need goes back to the ambassador instead of silently disappearing.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from programmes.accompaniment.mentoring.selectors import competence_standings, is_currently_enrolled
from programmes.models import Mentor, Mentoring


def _standing_or_refuse(agent, programme, competence):
    if not is_currently_enrolled(agent, programme):
        raise ValidationError(
            _("Vous n’êtes inscrit·e à aucune population du programme « %(programme)s ».")
            % {"programme": programme.name}
        )
    standing = competence_standings(agent, programme).get(competence.pk)
    if standing is None:
        raise ValidationError(
            _(
                "La compétence %(code)s n’a pas de niveau cible dans vos populations de ce "
                "programme : le compagnonnage porte sur les compétences visées."
            )
            % {"code": competence.code}
        )
    return standing


def mentor_volunteer(*, agent, programme, competence) -> Mentor:
    """The agent's active offer to help on `competence` in `programme`, created when they
    are currently enrolled there and their latest shared level reaches their level target on
    it. Idempotent: an active offer is returned as it is."""
    active = Mentor.objects.filter(
        programme=programme, agent=agent, competence=competence, withdrawn_at=None
    )
    with transaction.atomic():
        offer = active.first()
        if offer is not None:
            return offer
        standing = _standing_or_refuse(agent, programme, competence)
        if not standing.reached:
            raise ValidationError(
                _(
                    "Pour accompagner vos collègues en %(code)s, il faut avoir atteint votre "
                    "niveau cible (%(target)s) : votre dernier niveau partagé est %(level)s."
                )
                % {
                    "code": competence.code,
                    "target": standing.target,
                    "level": standing.level if standing.level is not None else _("inconnu"),
                }
            )
        try:
            with transaction.atomic():
                return Mentor.objects.create(
                    programme=programme, agent=agent, competence=competence
                )
        except IntegrityError:  # offered at the same time by another request
            return active.get()


def mentor_withdraw(*, mentor: Mentor) -> list[Mentoring]:
    """Withdraws the offer (dated; idempotent) and ends its open pairings; returns the new
    pending requests opened for the mentees still enrolled in the programme."""
    now = timezone.now()
    with transaction.atomic():
        mentor = Mentor.objects.select_for_update().get(pk=mentor.pk)
        if mentor.withdrawn_at is not None:
            return []
        mentor.withdrawn_at = now
        mentor.save(update_fields=["withdrawn_at"])
        pairings = list(
            Mentoring.objects.select_for_update()
            .filter(mentor=mentor, ended_at=None)
            .select_related("mentee", "programme")
        )
        reopened = []
        for pairing in pairings:
            pairing.ended_at = now
            pairing.save(update_fields=["ended_at"])
            if is_currently_enrolled(pairing.mentee, pairing.programme):
                reopened.append(
                    Mentoring.objects.create(
                        programme=pairing.programme,
                        mentee=pairing.mentee,
                        competence_id=pairing.competence_id,
                    )
                )
    return reopened


def mentoring_request(*, mentee, programme, competence) -> Mentoring:
    """The mentee's open request for a mentor on `competence`, created when they are
    currently enrolled in `programme` and below their level target on it (or without a
    result). Idempotent while a request is open (pending or paired)."""
    open_requests = Mentoring.objects.filter(
        programme=programme, mentee=mentee, competence=competence, ended_at=None
    )
    with transaction.atomic():
        existing = open_requests.first()
        if existing is not None:
            return existing
        standing = _standing_or_refuse(mentee, programme, competence)
        if standing.reached:
            raise ValidationError(
                _(
                    "Vous avez déjà atteint votre niveau cible en %(code)s (%(target)s) : "
                    "vous pouvez plutôt proposer votre aide à vos collègues."
                )
                % {"code": competence.code, "target": standing.target}
            )
        try:
            with transaction.atomic():
                return Mentoring.objects.create(
                    programme=programme, mentee=mentee, competence=competence
                )
        except IntegrityError:  # asked at the same time by another request
            return open_requests.get()


def mentoring_cancel(*, mentoring: Mentoring) -> Mentoring:
    """The mentee withdraws a request not yet paired (dated; idempotent once ended)."""
    with transaction.atomic():
        mentoring = Mentoring.objects.select_for_update().get(pk=mentoring.pk)
        if mentoring.ended_at is not None:
            return mentoring
        if mentoring.mentor_id is not None:
            raise ValidationError(
                _(
                    "Vous êtes déjà mis·e en relation avec un·e compagnon·ne : "
                    "demandez à votre ambassadeur Pix de terminer ce compagnonnage."
                )
            )
        mentoring.ended_at = timezone.now()
        mentoring.save(update_fields=["ended_at"])
    return mentoring


def mentoring_pair(*, mentoring: Mentoring, mentor: Mentor, paired_by) -> Mentoring:
    """Pairs a pending request with an active volunteer offer of the same programme and
    competence, never the mentee's own; from then on each sees the other's contact."""
    with transaction.atomic():
        mentoring = (
            Mentoring.objects.select_for_update().select_related("mentee").get(pk=mentoring.pk)
        )
        mentor = Mentor.objects.select_for_update().select_related("agent").get(pk=mentor.pk)
        if mentoring.ended_at is not None:
            raise ValidationError(_("Cette demande est close : elle ne peut plus être pourvue."))
        if mentoring.mentor_id is not None:
            raise ValidationError(_("Cette demande a déjà un·e compagnon·ne."))
        if mentor.withdrawn_at is not None:
            raise ValidationError(
                _("%(name)s n’est plus volontaire sur cette compétence.")
                % {"name": mentor.agent.full_name}
            )
        if mentor.programme_id != mentoring.programme_id:
            raise ValidationError(_("Ce·tte volontaire n’appartient pas à ce programme."))
        if mentor.competence_id != mentoring.competence_id:
            raise ValidationError(
                _("Ce·tte volontaire ne propose pas son aide sur la compétence demandée.")
            )
        if mentor.agent_id == mentoring.mentee_id:
            raise ValidationError(_("Un agent ne peut pas être son propre compagnon."))
        mentoring.mentor = mentor
        mentoring.paired_at = timezone.now()
        mentoring.paired_by = paired_by
        mentoring.save(update_fields=["mentor", "paired_at", "paired_by"])
    return mentoring


def mentoring_end(*, mentoring: Mentoring) -> Mentoring:
    """Ends an open request or pairing (dated; idempotent): contacts are hidden again."""
    with transaction.atomic():
        mentoring = Mentoring.objects.select_for_update().get(pk=mentoring.pk)
        if mentoring.ended_at is None:
            mentoring.ended_at = timezone.now()
            mentoring.save(update_fields=["ended_at"])
    return mentoring
