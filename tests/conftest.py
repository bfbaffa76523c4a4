"""The fixed cast used across permission tests: owner, ambassador, manager, agent, outsider.

The programme is self-assessment by default; `managerial_cast` flips it. The manager leads
a team of six (the agent and five colleagues), all enrolled in the ambassador's population.
`matrix_cast` adds a second programme (its owner, its ambassador, the cast's agent enrolled
in it too) and a second population of the cast's programme with an ambassador of its own.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import factory.random
import pytest
from django.db import transaction
from django.utils import timezone

from campaigns.enums import MatchStatus, ParticipationStatus
from legal.models import AccessibilityStatement
from legal.selectors import remember_state
from programmes.models import CampaignOwnership
from tests.agents.factories import AgentFactory, OrgUnitFactory, UserFactory
from tests.campaigns.factories import CompetenceResultFactory, ParticipationFactory
from tests.programmes.factories import (
    EnrolmentFactory,
    ProgrammeFactory,
    TargetFactory,
    TargetPopulationFactory,
)
from tests.programmes.import_factories import programme_import


def _one_redis_database_per_test_process():
    """Under pytest-xdist (`make test`), each process talks to a Redis database of its own
    (TEST_REDIS_URL's, then the one below it for each next process: /15, /14, …), so that the
    Celery workers the tests of tests/integration start in two processes at once never take
    each other's tasks. xdist's `loadgroup`, which could keep those tests in one process, loses
    its groups under this pytest (it sets `item._nodeid`, which pytest 9 no longer reads)."""
    worker, url = os.environ.get("PYTEST_XDIST_WORKER"), os.environ.get("TEST_REDIS_URL")
    if not worker or not url:
        return
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0)
    own = (database - int(worker.removeprefix("gw"))) % 16
    os.environ["TEST_REDIS_URL"] = urlunsplit(parts._replace(path=f"/{own}"))


_one_redis_database_per_test_process()


def _transactional(item) -> bool:
    """Whether pytest-django runs `item` in a transactional database (flushed after it)."""
    marker = item.get_closest_marker("django_db")
    names = getattr(item, "fixturenames", ())
    by_marker = marker is not None and (
        marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")
    )
    return bool(by_marker) or "transactional_db" in names or "live_server" in names


def _uses_database(item) -> bool:
    return item.get_closest_marker("django_db") is not None or "db" in getattr(
        item, "fixturenames", ()
    )


_initial_data: dict[str, str] = {}  # per database alias, what migrations loaded
_flushed = False  # a transactional test ran since the initial data was last there


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    yield
    global _flushed
    if _transactional(item):
        _flushed = True


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """A transactional test ends by flushing every table, the referential that migrations
    load (competences, …) included. pytest-django runs those tests last, but xdist's
    worksteal may hand a process ordinary tests after them: before such a test, the
    referential is loaded again (Django's serialized copy of the new test database)."""
    global _flushed
    from django.db import connections

    for alias in connections:  # kept at first sight: the browser tests' loop swaps them
        contents = getattr(connections[alias], "_test_serialized_contents", None)
        if contents and alias not in _initial_data:
            _initial_data[alias] = contents
    if not _flushed or _transactional(item) or not _uses_database(item):
        return
    from pytest_django.plugin import blocking_manager_key

    with item.config.stash[blocking_manager_key].unblock():
        for alias, contents in _initial_data.items():
            connections[alias].creation.deserialize_db_from_string(contents)
    _flushed = False


@pytest.fixture(autouse=True)
def _names_drawn_per_test(request):
    """Faker's draws (the factories' names…) seeded from the test's own id: a test gets the
    same names whatever ran before it in its process (xdist shares tests out differently on
    each run), so a drawn name that collides with one the test looks for fails every run, on
    the day the test is written, never once in a while."""
    factory.random.reseed_random(request.node.nodeid)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files (HR lists, Pix exports) land in a temporary folder, never in media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _accessibility_state_cached():
    """The footer's accessibility state is served from the cache (legal/selectors.py), as it
    is after a site's first page: every test starts from the default state, whatever an
    earlier one recorded, and the pinned query counts do not depend on the tests' order.
    tests/legal clears it to read the database."""
    remember_state(AccessibilityStatement._meta.get_field("state").default)


def built_once_per_module(django_db_blocker, build: Callable):
    """Yields what `build()` makes, made once for a module's tests, as Django's
    `setUpTestData`: in a transaction rolled back after the module's last test, inside which
    each test's own writes roll back to a savepoint (the `db` fixture's). Only for modules whose
    tests are not transactional (a flush would empty it) and leave the Python objects alone."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            made = build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield made
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _forget_made_per_test(cast):
    """The objects a test made on demand and kept on the cast (`_imports`, …): gone with the
    test's savepoint, so the next test makes its own."""
    for key in [key for key in cast.__dict__ if key.startswith("_")]:
        del cast.__dict__[key]
    return cast


@pytest.fixture(scope="module")
def _matrix_cast_of_the_module(request, django_db_setup, django_db_blocker):
    factory.random.reseed_random(request.module.__name__)  # as `_names_drawn_per_test`
    yield from built_once_per_module(django_db_blocker, lambda: extend_to_matrix(build_cast()))


@pytest.fixture
def shared_matrix_cast(db, _matrix_cast_of_the_module):
    """`matrix_cast`, built once per module: for the matrices, which open pages with it
    hundreds of times and change nothing on it but rows their savepoint takes back."""
    return _forget_made_per_test(_matrix_cast_of_the_module)


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
    # Set by `matrix_cast` only (None elsewhere): programme B and its people, and the second
    # population of the cast's programme with its own ambassador.
    other_owner: object = None
    other_ambassador: object = None
    single_ambassador: object = None
    programme_b: object = None
    population_b: object = None
    import_b: object = None
    sibling_population: object = None
    sibling_agents: list = None


@pytest.fixture
def cast(db):
    return build_cast()


def build_cast() -> Cast:
    """The fixed cast (see the module's docstring); `cast` builds it for each test."""
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


@pytest.fixture
def matrix_cast(cast):
    return extend_to_matrix(cast)


def extend_to_matrix(cast: Cast) -> Cast:
    """The cast, plus the people the URL matrix checks against each other:

    - programme B, owned by `other_owner` only, with one population accompanied by
      `other_ambassador`, its own campaign and import; the cast's agent is enrolled in it too
      and shared a result in its campaign (the agent is the only bridge between the two
      programmes: nothing of programme A may show to B's people through them);
    - a second population of the cast's programme (`sibling_population`), accompanied by
      `single_ambassador` only, with agents of its own: its ambassador is an ambassador of
      the programme, never of the cast's population.
    """
    other_owner = UserFactory(email="pilote-b@exemple.gouv.fr")
    other_ambassador = UserFactory(email="ambassadeur-b@exemple.gouv.fr")
    single_ambassador = UserFactory(email="ambassadeur-encadrants@exemple.gouv.fr")
    programme_b = ProgrammeFactory(owners=[other_owner], name="Programme Pix B", slug="programme-b")
    population_b = TargetPopulationFactory(
        programme=programme_b, name="Gestionnaires B", ambassadors=[other_ambassador]
    )
    TargetFactory(population=population_b)
    # Few agents: the matrix checks who reaches what, not figures (and runs once per case).
    for agent in [cast.agent_agent, AgentFactory()]:
        EnrolmentFactory(agent=agent, population=population_b)
    import_b = programme_import(programme_b)
    CampaignOwnership.objects.create(
        campaign=import_b.campaign, programme=programme_b, first_import=import_b
    )
    participation = ParticipationFactory(
        campaign=import_b.campaign,
        first_import=import_b,
        agent=cast.agent_agent,
        match_status=MatchStatus.EXTERNAL_ID,
        status=ParticipationStatus.SHARED,
        shared_at=timezone.now(),
    )
    CompetenceResultFactory(participation=participation)

    sibling_population = TargetPopulationFactory(
        programme=cast.programme, name="Encadrants", ambassadors=[single_ambassador]
    )
    TargetFactory(population=sibling_population)
    sibling_agents = AgentFactory.create_batch(2)
    for agent in sibling_agents:
        EnrolmentFactory(agent=agent, population=sibling_population)

    cast.other_owner = other_owner
    cast.other_ambassador = other_ambassador
    cast.single_ambassador = single_ambassador
    cast.programme_b = programme_b
    cast.population_b = population_b
    cast.import_b = import_b
    cast.sibling_population = sibling_population
    cast.sibling_agents = sibling_agents
    return cast
