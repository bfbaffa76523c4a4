"""Factories of the review models (and of personal targets, which reviews write)."""

import datetime

import factory

from campaigns.models import Competence
from programmes.models import PersonalTarget
from reviews.models import Review, ReviewCycle, ReviewObjective, ReviewState
from tests.agents.factories import AgentFactory
from tests.programmes.factories import ProgrammeFactory


class ReviewCycleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewCycle

    programme = factory.SubFactory(ProgrammeFactory)
    year = 2026
    opens_on = datetime.date(2026, 10, 1)
    closes_on = datetime.date(2026, 12, 31)


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    cycle = factory.SubFactory(ReviewCycleFactory)
    agent = factory.SubFactory(AgentFactory)
    manager = factory.SelfAttribute("agent.manager")
    state = ReviewState.TO_PREPARE


class ReviewObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewObjective

    review = factory.SubFactory(ReviewFactory)
    competence = factory.LazyFunction(lambda: Competence.objects.get(code="1.1"))
    level = 4


class PersonalTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PersonalTarget

    agent = factory.SubFactory(AgentFactory)
    programme = factory.SubFactory(ProgrammeFactory)
    competence = factory.LazyFunction(lambda: Competence.objects.get(code="1.1"))
    level = 4
    valid_from = datetime.date(2026, 12, 1)
    source = "Entretien professionnel 2026"
