"""Proposals made from the run-through, with the resources and mentoring parts' services:
a resource goes into the agent's follow-up of resources, a mentor is paired with them on a
gap competence. Doing it twice changes nothing."""

from django.db import transaction

from agents.models import Agent
from programmes.accompaniment.mentoring.services import mentoring_pair, mentoring_request
from programmes.accompaniment.resources.services import resource_use_mark
from programmes.models import Mentor, Mentoring, Resource, ResourceUse


def resource_propose(*, agent: Agent, resource: Resource) -> bool:
    """The resource enters the agent's follow-up (marked started, as when the agent says so
    on their page); True when it was not there yet. A resource already followed (started or
    done) stays as it is."""
    with transaction.atomic():
        known = ResourceUse.objects.filter(agent=agent, resource=resource).exists()
        resource_use_mark(agent=agent, resource=resource, action="started")
    return not known


def mentor_propose(*, agent: Agent, mentor: Mentor, proposed_by) -> tuple[Mentoring, bool]:
    """The agent's request for help on the mentor's competence (opened if needed) paired
    with the mentor; (the mentoring, True when it was paired now). Already paired with this
    mentor: nothing changes. Refused (ValidationError, nothing written) when the request is
    paired with someone else or the mentoring rules do not allow it."""
    with transaction.atomic():
        mentoring = mentoring_request(
            mentee=agent, programme=mentor.programme, competence=mentor.competence
        )
        if mentoring.mentor_id == mentor.pk:
            return mentoring, False
        return mentoring_pair(mentoring=mentoring, mentor=mentor, paired_by=proposed_by), True
