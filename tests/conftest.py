"""The fixed cast used across permission tests: owner, ambassador, manager, agent, outsider.

The programme is self-assessment by default; `managerial_cast` flips it. The manager leads
a team of six (the agent and five colleagues), all enrolled in the ambassador's population.
"""

from dataclasses import dataclass

import pytest

from tests.agents.factories import AgentFactory, OrgUnitFactory, UserFactory
from tests.programmes.factories import (
    EnrolmentFactory,
    ProgrammeFactory,
    TargetFactory,
    TargetPopulationFactory,
)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files (HR lists, Pix exports) land in a temporary folder, never in media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@dataclass
class Cast:
    owner: object
    ambassador: object
    manager: object
    agent: object
    outsider: object
    staff: object
    programme: object
    population: object
    other_population: object
    manager_agent: object
    agent_agent: object
    team: list
    stranger_agent: object


@pytest.fixture
def cast(db):
    unit = OrgUnitFactory(name="Secrétariat général")
    owner = UserFactory(email="pilote@exemple.gouv.fr")
    ambassador = UserFactory(email="ambassadeur@exemple.gouv.fr")
    staff = UserFactory(email="admin@exemple.gouv.fr", staff=True)
    outsider_agent = AgentFactory(with_user=True, email="intrus@exemple.gouv.fr", org_unit=unit)
    manager_agent = AgentFactory(with_user=True, email="encadrant@exemple.gouv.fr", org_unit=unit)
    agent_agent = AgentFactory(
        with_user=True, email="agent@exemple.gouv.fr", manager=manager_agent, org_unit=unit
    )
    colleagues = AgentFactory.create_batch(5, manager=manager_agent, org_unit=unit)
    stranger_agent = AgentFactory(org_unit=unit)
    programme = ProgrammeFactory(owners=[owner], name="Programme Pix DR", slug="programme-dr")
    population = TargetPopulationFactory(
        programme=programme, name="Assistants", ambassadors=[ambassador]
    )
    other_population = TargetPopulationFactory(programme=ProgrammeFactory(), name="Ailleurs")
    TargetFactory(population=population)
    team = [agent_agent, *colleagues]
    for member in team:
        EnrolmentFactory(agent=member, population=population)
    EnrolmentFactory(agent=stranger_agent, population=other_population)
    return Cast(
        owner=owner,
        ambassador=ambassador,
        manager=manager_agent.user,
        agent=agent_agent.user,
        outsider=outsider_agent.user,
        staff=staff,
        programme=programme,
        population=population,
        other_population=other_population,
        manager_agent=manager_agent,
        agent_agent=agent_agent,
        team=team,
        stranger_agent=stranger_agent,
    )


@pytest.fixture
def managerial_cast(cast):
    cast.programme.purpose = "managerial"
    cast.programme.save()
    return cast
