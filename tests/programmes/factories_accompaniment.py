"""Factories of the accompaniment models, and a helper giving an agent shared Pix levels."""

import factory
from django.utils import timezone

from campaigns.enums import MatchStatus, ParticipationStatus
from campaigns.models import Competence
from programmes.accompaniment.checkins.services import milestone_counts_refresh
from programmes.enums import ProgressStatus, ResourceKind, ResourceState
from programmes.models import (
    Barrier,
    CheckIn,
    Mentor,
    Mentoring,
    Milestone,
    Resource,
    ResourceUse,
)
from tests.agents.factories import AgentFactory
from tests.campaigns.factories import CompetenceResultFactory, ParticipationFactory
from tests.programmes.factories import ProgrammeFactory, TargetPopulationFactory, local_days_ago


def share_levels(agent, campaign, levels, days_ago=2):
    """The agent shared `levels` ({"1.1": 4, ...}) in `campaign` `days_ago` days ago (one
    participation per call); returns the participation."""
    moment = local_days_ago(days_ago)
    participation = ParticipationFactory(
        agent=agent,
        campaign=campaign,
        match_status=MatchStatus.EXTERNAL_ID,
        status=ParticipationStatus.SHARED,
        started_at=moment,
        shared_at=moment,
        last_progress_at=moment,
    )
    for code, level in levels.items():
        CompetenceResultFactory(
            participation=participation,
            competence=Competence.objects.get(code=code),
            level=level,
            observed_at=moment,
        )
    return participation


def competence(code):
    return Competence.objects.get(code=code)


class BarrierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Barrier

    programme = factory.SubFactory(ProgrammeFactory)
    label = factory.Sequence(lambda n: f"Frein {n}")
    position = factory.Sequence(lambda n: 100 + n)


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    population = factory.SubFactory(TargetPopulationFactory)
    date = factory.LazyFunction(timezone.localdate)
    title = factory.Sequence(lambda n: f"Point d'étape {n}")


class CheckInFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckIn
        skip_postgeneration_save = True

    milestone = factory.SubFactory(MilestoneFactory)
    agent = factory.SubFactory(AgentFactory)
    status = ProgressStatus.NOT_STARTED

    @factory.post_generation
    def barriers(self, create, extracted, **kwargs):
        if create and extracted:
            self.barriers.add(*extracted)

    @factory.post_generation
    def counts(self, create, extracted, **kwargs):
        """Keep the milestone's counts as `checkin_record` does."""
        if create:
            milestone_counts_refresh(milestone=self.milestone)


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resource
        skip_postgeneration_save = True

    programme = factory.SubFactory(ProgrammeFactory)
    title = factory.Sequence(lambda n: f"Ressource {n}")
    kind = ResourceKind.ELEARNING
    level_min = 1
    level_max = 3
    url = "https://intranet.exemple.gouv.fr/pix"

    @factory.post_generation
    def competences(self, create, extracted, **kwargs):
        """`competences=["1.1", "3.2"]` (codes) or Competence objects."""
        if create and extracted:
            self.competences.add(*[competence(c) if isinstance(c, str) else c for c in extracted])


class ResourceUseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResourceUse

    resource = factory.SubFactory(ResourceFactory)
    agent = factory.SubFactory(AgentFactory)
    state = ResourceState.STARTED


class MentorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mentor

    programme = factory.SubFactory(ProgrammeFactory)
    agent = factory.SubFactory(AgentFactory)
    competence = factory.LazyFunction(lambda: competence("1.1"))


class MentoringFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mentoring

    programme = factory.SubFactory(ProgrammeFactory)
    mentee = factory.SubFactory(AgentFactory)
    competence = factory.LazyFunction(lambda: competence("1.1"))

    class Params:
        paired = factory.Trait(
            mentor=factory.SubFactory(
                MentorFactory, programme=factory.SelfAttribute("..programme")
            ),
            paired_at=factory.LazyFunction(timezone.now),
        )
