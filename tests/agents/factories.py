import factory
from django.contrib.auth.models import Permission

from agents.enums import OrgUnitKind
from agents.models import Agent, OrgUnit, User

DEFAULT_PASSWORD = "mot-de-passe-de-test-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@exemple.gouv.fr")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805 - factory-boy hook
        if create:
            obj.save()

    @factory.post_generation
    def hr_manager(obj, create, extracted, **kwargs):  # noqa: N805 - factory-boy hook
        """`UserFactory(hr_manager=True)`: a « gestionnaire RH », who may load the HR list."""
        if create and extracted:
            obj.user_permissions.add(
                Permission.objects.get(content_type__app_label="agents", codename="manage_hr_list")
            )

    class Params:
        staff = factory.Trait(is_staff=True, is_superuser=True)


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    name = factory.Sequence(lambda n: f"Service {n}")
    kind = OrgUnitKind.SERVICE


class AgentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agent

    last_name = factory.Faker("last_name", locale="fr_FR")
    first_name = factory.Faker("first_name", locale="fr_FR")
    email = factory.Sequence(lambda n: f"agent{n}@exemple.gouv.fr")
    external_id = factory.Sequence(lambda n: f"M{n:06d}")
    org_unit = factory.SubFactory(OrgUnitFactory)
    job_title = "Assistant·e de service"

    class Params:
        with_user = factory.Trait(
            user=factory.SubFactory(
                UserFactory,
                email=factory.SelfAttribute("..email"),
                first_name=factory.SelfAttribute("..first_name"),
                last_name=factory.SelfAttribute("..last_name"),
            )
        )
