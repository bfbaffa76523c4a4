"""The cockpit at the top of the owner's dashboard, from a constructed stats history, and the
share at target by unit of the organisation chart."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import formats, timezone

from agents.models import Agent
from lib import french
from programmes.models import PopulationStat, Target, UnitStat
from programmes.steering import stats
from programmes.steering.units import NO_UNIT, unit_stats_refresh
from tests.agents.factories import AgentFactory, OrgUnitFactory, UserFactory
from tests.campaigns.factories import CampaignFactory
from tests.programmes.factories import EnrolmentFactory, TargetPopulationFactory
from tests.programmes.steering.test_dashboard import _checkins, participation


def _board(client, user, **params):
    client.force_login(user)
    url = reverse("programmes:dashboard", kwargs={"slug": "programme-dr"})
    response = client.get(url, params)
    assert response.status_code == 200
    return response


def _day(day):
    return formats.date_format(day, "j F")


@pytest.fixture
def rising(cast):
    """The cast's population on a straight line: 1,000 agents enrolled, 50 % at target today,
    0.2 point more a day (6 a month); a milestone with check-ins 45 days ago; the targets due
    in 60 days; the programme aims at 80 %."""
    today = timezone.localdate()
    month_end = today.replace(day=1) - timedelta(days=1)
    month_ago = month_end.replace(day=min(today.day, month_end.day))
    # The month end of the current month's start is there too: a change "since last month"
    # is over a month, not since a figure a few days old.
    offsets = {-120, -90, -60, -45, (month_ago - today).days, (month_end - today).days, 0}
    for offset in sorted(offsets):
        PopulationStat.objects.create(
            population=cast.population,
            on=today + timedelta(days=offset),
            enrolled=1000,
            shared=1000,
            reached=500 + 2 * offset,
        )
    Target.objects.filter(population=cast.population).update(deadline=today + timedelta(days=60))
    _checkins(cast.population, cast.team)  # milestones on 1 March and 1 May 2026
    milestone = cast.population.milestones.order_by("date").last()
    milestone.date, milestone.title = today - timedelta(days=45), "Point de rentrée"
    milestone.save()
    cast.today, cast.month_ago, cast.milestone = today, month_ago, milestone
    return cast


def test_cockpit_tells_the_change_since_last_month_and_milestone_and_the_projection(client, rising):
    response = _board(client, rising.owner)
    lines = response.context["board"].cockpit
    assert [line.label for line in lines] == ["Ensemble du programme", "Assistants"]
    today, month_ago = rising.today, rising.month_ago
    since_month = round(0.2 * (today - month_ago).days)
    reach = (today + timedelta(days=150)).replace(day=1)  # 30 points at 0.2 a day
    for line in lines:
        assert line.share == 50.0
        assert (line.enrolled, line.reached) == (1000, 500)
        assert [(c.text, c.since) for c in line.changes] == [
            (f"+{since_month}\u00a0pts", f"depuis le {_day(month_ago)}"),
            (
                "+9\u00a0pts",
                f"depuis le point d’étape « Point de rentrée » du {_day(today - timedelta(45))}",
            ),
        ]
        assert line.projection_text == (
            f"Au rythme actuel : 62\u202f% au {french.long_date(today + timedelta(60))} ; "
            f"80\u202f% atteint en {formats.date_format(reach, 'F Y')}."
        )
        assert line.sparkline is not None
    content = response.content.decode()
    assert 'id="cockpit-all"' in content and 'id="sparkline-all"' in content
    assert "Méthode : la pente (moindres carrés)" in content
    assert 'class="fr-summary' in content and 'href="#units-title"' in content
    # The cockpit comes before every detail section.
    assert content.index('id="cockpit"') < content.index('id="headline-title"')


def test_cockpit_without_milestone_omits_that_change(client, rising):
    rising.population.milestones.all().delete()
    lines = _board(client, rising.owner).context["board"].cockpit
    assert [c.since.startswith("depuis le point") for c in lines[1].changes] == [False]


def test_cockpit_says_no_measurable_trend_with_a_single_day(client, cast):
    PopulationStat.objects.create(
        population=cast.population, on=timezone.localdate(), enrolled=10, shared=10, reached=3
    )
    line = _board(client, cast.owner).context["board"].cockpit[1]
    assert line.share == 30.0 and line.changes == ()
    assert line.projection_text.startswith("Pas de tendance mesurable")


def test_cockpit_shows_less_than_five_for_a_small_population(client, cast):
    PopulationStat.objects.create(
        population=cast.population, on=timezone.localdate(), enrolled=6, shared=3, reached=1
    )
    response = _board(client, cast.owner)
    line = response.context["board"].cockpit[1]
    assert line.hidden and line.projection is None and line.sparkline is None
    assert 'id="cockpit-' + str(cast.population.pk) + '"' in response.content.decode()


def test_evolution_chart_is_scaled_to_the_data(client, rising):
    chart = str(_board(client, rising.owner).context["board"].evolution_chart())
    assert "60\u202f%" in chart and "100\u202f%" not in chart


# --- By unit ----------------------------------------------------------------------------------


def _refresh(programme, on=None):
    """What runs after an import and every night (the figures, then the units)."""
    stats.programme_stats_refresh(programme=programme, on=on or timezone.localdate())


@pytest.fixture
def units(cast):
    """Direction A: service A1 (6 agents who shared, at target) and A2 (2 who shared);
    direction B (6 who shared, none at target); the cast's six agents in « Secrétariat
    général », none shared. The figures refreshed."""
    campaign = CampaignFactory()
    cast.programme.campaigns.add(campaign)
    code = Target.objects.get(population=cast.population).competence.code
    a = OrgUnitFactory(name="Direction A", parent=None)
    a1, a2 = OrgUnitFactory(name="A1", parent=a), OrgUnitFactory(name="A2", parent=a)
    b = OrgUnitFactory(name="Direction B", parent=None)
    for unit, count, level in ((a1, 6, 8), (a2, 2, 1), (b, 6, 1)):
        for agent in AgentFactory.create_batch(count, org_unit=unit):
            EnrolmentFactory(agent=agent, population=cast.population)
            participation(agent, campaign, days_ago=3, shared=True, levels={code: level})
    cast.a, cast.a1, cast.a2, cast.b = a, a1, a2, b
    _refresh(cast.programme)
    return cast


def _rows(client, user, **params):
    shares = _board(client, user, **params).context["board"].units
    return shares.depth, {
        row.label: (row.enrolled, row.reached, row.percent, row.withheld) for row in shares.rows
    }


def test_units_at_the_first_level_add_up_their_services(client, units):
    depth, rows = _rows(client, units.owner)
    assert depth == 1
    assert rows["Direction A"] == (8, 6, 75.0, False)
    assert rows["Direction B"] == (6, 0, 0.0, False)
    assert rows["Secrétariat général"][3] is True  # nobody shared: « moins de 5 »


def test_a_unit_under_five_and_its_sibling_are_withheld_at_the_second_level(client, units):
    response = _board(client, units.owner, depth="2")
    shares = response.context["board"].units
    rows = {row.label: row for row in shares.rows}
    assert shares.depth == 2 and shares.depths == [1, 2]
    assert rows["Direction A › A2"].withheld  # two agents shared
    # Else Direction A (shown at the first level) minus A1 would tell A2's figures.
    assert rows["Direction A › A1"].withheld and rows["Direction A › A1"].percent is None
    assert not rows["Direction B"].withheld
    content = response.content.decode()
    assert f'id="unit-{units.a2.pk}"' in content and "moins de 5" in content


def test_staff_see_every_unit(client, units):
    _depth, rows = _rows(client, units.staff, depth="2")
    assert rows["Direction A › A2"] == (2, 0, 0.0, False)
    assert rows["Direction A › A1"] == (6, 6, 100.0, False)


@pytest.mark.parametrize("depth", ["0", "9", "abc", "-1", "²", ""])
def test_a_bad_depth_falls_back_to_the_first_level(client, units, depth):
    assert _rows(client, units.owner, depth=depth)[0] == 1


def test_agents_without_unit_make_their_own_row(client, units):
    Agent.objects.filter(org_unit__name="Secrétariat général").update(org_unit=None)
    _refresh(units.programme)
    shares = _board(client, units.staff).context["board"].units
    assert shares.rows[-1].key == NO_UNIT and shares.rows[-1].enrolled == 6


def test_units_of_another_programme_are_not_counted_nor_shown_to_its_owner(client, units):
    EnrolmentFactory(agent=AgentFactory(org_unit=units.b), population=units.other_population)
    _refresh(units.programme)
    _refresh(units.other_population.programme)
    _depth, rows = _rows(client, units.staff)
    assert rows["Direction B"][0] == 6
    other_owner = UserFactory(email="autre-pilote@exemple.gouv.fr")
    units.other_population.programme.owners.add(other_owner)
    client.force_login(other_owner)
    url = reverse("programmes:dashboard", kwargs={"slug": units.programme.slug})
    assert client.get(url, {"depth": "2"}).status_code == 404


def test_units_are_read_as_of_the_latest_refresh(client, units):
    """The counting scans the programme's enrolments: it runs with the figures, and the page
    reads what it stored (with its day), whatever the number of agents."""
    for agent in AgentFactory.create_batch(3, org_unit=units.b):
        EnrolmentFactory(agent=agent, population=units.population)
    _depth, rows = _rows(client, units.staff)
    assert rows["Direction B"][0] == 6  # not yet
    _refresh(units.programme)
    response = _board(client, units.staff)
    shares = response.context["board"].units
    assert {row.label: row.enrolled for row in shares.rows}["Direction B"] == 9
    assert shares.on == timezone.localdate()
    assert f"Chiffres au {french.long_date(shares.on)}." in response.content.decode()


def test_units_before_the_first_refresh_say_so(client, units):
    UnitStat.objects.all().delete()
    response = _board(client, units.owner, depth="2")
    shares = response.context["board"].units
    assert (shares.depth, shares.depths, shares.rows, shares.on) == (1, [1], [], None)
    assert "Pas encore calculé : les chiffres par unité" in response.content.decode()


def test_a_refresh_as_of_a_past_day_leaves_the_newest_units_alone(client, units):
    today = timezone.localdate()
    assert unit_stats_refresh(programme=units.programme, on=today - timedelta(days=3)) == []
    assert set(UnitStat.objects.values_list("depth", "on")) == {(1, today), (2, today)}
    # A later day replaces every depth's row.
    assert len(unit_stats_refresh(programme=units.programme, on=today + timedelta(days=1))) == 2
    assert UnitStat.objects.filter(on=today).count() == 0


def test_units_stored_hold_every_depth_and_what_the_rule_needs(units):
    """Per depth: the unit, its label, its parent when it sits at that depth below the top,
    and the counts; the rule is applied when read (staff see the small units)."""
    stored = {stat.depth: stat for stat in UnitStat.objects.filter(programme=units.programme)}
    assert {depth: stat.depths for depth, stat in stored.items()} == {1: 2, 2: 2}
    second = {row[0]: row for row in stored[2].rows}
    assert second[units.a2.pk] == [units.a2.pk, "Direction A › A2", units.a.pk, 2, 0, 2]
    assert second[units.b.pk] == [units.b.pk, "Direction B", None, 6, 0, 6]
    first = {row[0]: row for row in stored[1].rows}
    assert first[units.a.pk] == [units.a.pk, "Direction A", None, 8, 6, 8]


def test_an_agent_in_two_populations_is_one_contributor_of_the_unit(units):
    """Enrolled twice in the programme: two enrolments, one contributor (the rule counts
    people)."""
    agent = Agent.objects.filter(org_unit=units.a2).first()
    second = TargetPopulationFactory(programme=units.programme, name="Référents")
    EnrolmentFactory(agent=agent, population=second)
    _refresh(units.programme)
    [stat] = UnitStat.objects.filter(programme=units.programme, depth=2)
    row = next(row for row in stat.rows if row[0] == units.a2.pk)
    assert row[3:] == [3, 0, 2]


def test_the_units_refresh_runs_a_fixed_number_of_queries(units, django_assert_num_queries):
    """The org chart, the enrolments grouped by unit, then the write (the programme's row
    held, a newer day looked for, the old rows deleted, the new ones inserted at once), and
    the savepoint around the write (the test runs in a transaction)."""
    today = timezone.localdate()
    with django_assert_num_queries(2 + 4 + 2):
        assert len(unit_stats_refresh(programme=units.programme, on=today)) == 2
    for n in range(10):
        service = OrgUnitFactory(name=f"B{n}", parent=units.b)
        for agent in AgentFactory.create_batch(3, org_unit=service):
            EnrolmentFactory(agent=agent, population=units.population)
    with django_assert_num_queries(2 + 4 + 2):
        assert len(unit_stats_refresh(programme=units.programme, on=today)) == 2
    [second] = UnitStat.objects.filter(programme=units.programme, depth=2)
    assert len(second.rows) == 4 + 10


def _withheld_units_reference(rows, groups):
    """The rule as it was first written (a figure against every figure seen, every group's
    rows sorted again on each pass): quadratic, the reference of the linear one."""
    from programmes import perms

    by_key = {row.key: row for row in rows}
    withheld = perms.withheld_figures(
        [perms.Figure(row.key, row.contributors) for row in rows], lambda a, b: (0, True)
    )
    changed = True
    while changed:
        changed = False
        for group in groups:
            hidden = sum(by_key[key].contributors for key in group if key in withheld)
            shown = sorted(
                (by_key[key] for key in group if key not in withheld),
                key=lambda row: (row.contributors, row.key),
            )
            if 0 < hidden < 5 and shown:
                withheld.add(shown[0].key)
                changed = True
    return withheld


def test_the_withholding_of_units_agrees_with_its_reference(settings):
    """Random charts (units under parents, small ones frequent, the parent's own row beside
    its children sometimes): the same units withheld as the quadratic reference."""
    import random

    from programmes.steering.units import UnitRow, withheld_units

    settings.PRIVACY_MIN_GROUP_SIZE = 5
    rng = random.Random(18)
    differing = 0
    for _ in range(300):
        parents = rng.randint(1, 6)
        rows, groups = [], []
        for parent in range(parents):
            children = []
            for _child in range(rng.randint(1, 5)):
                key = 100 + len(rows)
                rows.append(UnitRow(key, str(key), 50, 10, rng.choice([0, 1, 2, 3, 5, 6, 9, 40])))
                children.append(key)
            if rng.random() < 0.3:
                rows.append(UnitRow(parent + 1, str(parent + 1), 9, 3, rng.randint(0, 8)))
                children.append(parent + 1)
            groups.append(children)
        groups.insert(0, [row.key for row in rows])
        expected = _withheld_units_reference(rows, groups)
        assert withheld_units(rows, groups) == expected
        differing += expected != {row.key for row in rows if row.contributors < 5}
    assert differing > 30  # the anti-subtraction step did run in many of them
