import datetime

import factory
from django.utils import timezone

from programmes.enums import Purpose, TargetKind
from programmes.models import Enrolment, Programme, Target, TargetPopulation
from tests.agents.factories import AgentFactory


def local_days_ago(days):
    """Now's local wall-clock time `days` local days ago: its local day is exactly `days`
    days before today's even when a change of summer time lies between (`now - timedelta`
    lands on the day after between 23:00 and midnight, Paris time, in December for a day
    of October)."""
    return timezone.localtime() - datetime.timedelta(days=days)


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Programme Pix {n}")
    slug = factory.Sequence(lambda n: f"programme-pix-{n}")
    purpose = Purpose.SELF_ASSESSMENT
    start_date = datetime.date(2026, 1, 5)

    class Params:
        managerial = factory.Trait(purpose=Purpose.MANAGERIAL)

    @factory.post_generation
    def owners(self, create, extracted, **kwargs):
        if create and extracted:
            self.owners.add(*extracted)

    @factory.post_generation
    def ambassadors(self, create, extracted, **kwargs):
        if create and extracted:
            self.ambassadors.add(*extracted)


class TargetPopulationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TargetPopulation
        skip_postgeneration_save = True

    programme = factory.SubFactory(ProgrammeFactory)
    name = factory.Sequence(lambda n: f"Population {n}")

    @factory.post_generation
    def ambassadors(self, create, extracted, **kwargs):
        if create and extracted:
            self.ambassadors.add(*extracted)


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Target

    population = factory.SubFactory(TargetPopulationFactory)
    kind = TargetKind.LEVEL
    level = 3

    @factory.lazy_attribute
    def competence(self):
        from campaigns.models import Competence

        return Competence.objects.get(code="1.1")


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment

    agent = factory.SubFactory(AgentFactory)
    population = factory.SubFactory(TargetPopulationFactory)
    start_date = datetime.date(2026, 1, 5)
