"""An agent's consent, in a self-assessment programme, to let their manager see their
individual results (« avec mon encadrant »): their direct manager only, never anyone higher
up the manager line. It names a role, not a person: when the HR list gives the agent a new
manager, the consent opens to the new one and closes to the former at once. Dated and
revocable; a new grant is a new row, so the history stays. `perms.can_view_individual_results`
(and `reviews.perms.review_shows_results`) read the active consent: the choice applies at
once, everywhere."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from programmes.models import SharingConsent


def consent_grant(*, agent, programme) -> SharingConsent:
    """The agent's active consent for `programme`, created unless one is already active."""
    if programme.is_managerial:
        raise ValueError("A managerial programme shares results without consent.")
    active = SharingConsent.objects.active().filter(agent=agent, programme=programme)
    consent = active.first()
    if consent is not None:
        return consent
    try:
        with transaction.atomic():
            return SharingConsent.objects.create(agent=agent, programme=programme)
    except IntegrityError:  # granted at the same time by another request
        return active.get()


def consent_revoke(*, agent, programme) -> SharingConsent | None:
    """Ends the agent's active consent for `programme` (dated); None when there was none."""
    with transaction.atomic():
        consent = (
            SharingConsent.objects.active()
            .select_for_update()
            .filter(agent=agent, programme=programme)
            .first()
        )
        if consent is None:
            return None
        consent.revoked_at = timezone.now()
        consent.save(update_fields=["revoked_at"])
    return consent
