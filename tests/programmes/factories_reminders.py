"""Factories of the reminder models."""

import factory
from django.utils import timezone

from programmes.enums import DigestKind, OutgoingStatus, ReminderKind
from programmes.models import Digest, QuietPeriod, Reminder, ReminderOptOut, ReminderSettings
from tests.agents.factories import AgentFactory, UserFactory
from tests.programmes.factories import ProgrammeFactory, TargetPopulationFactory


class ReminderSettingsFactory(factory.django.DjangoModelFactory):
    """Reminders on: first after 14 days, every 14 days, 3 at most, stalled agents too."""

    class Meta:
        model = ReminderSettings

    programme = factory.SubFactory(ProgrammeFactory)
    enabled = True


class QuietPeriodFactory(factory.django.DjangoModelFactory):
    """August by default."""

    class Meta:
        model = QuietPeriod

    programme = factory.SubFactory(ProgrammeFactory)
    label = "Août"
    start_month, start_day, end_month, end_day = 8, 1, 8, 31


class ReminderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reminder

    population = factory.SubFactory(TargetPopulationFactory)
    programme = factory.SelfAttribute("population.programme")
    agent = factory.SubFactory(AgentFactory)
    kind = ReminderKind.NOT_STARTED
    period = factory.LazyFunction(lambda: timezone.localdate().isoformat())
    email = factory.SelfAttribute("agent.email")
    status = OutgoingStatus.SENT


class DigestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Digest

    programme = factory.SubFactory(ProgrammeFactory)
    recipient = factory.SubFactory(UserFactory)
    kind = DigestKind.AMBASSADOR
    period = "2026-S48"
    email = factory.SelfAttribute("recipient.email")


class ReminderOptOutFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReminderOptOut

    agent = factory.SubFactory(AgentFactory)
    programme = factory.SubFactory(ProgrammeFactory)
