"""The reminders preview: sorted, paginated, linking to the agents, and showing each agent's
e-mail exactly as the sending renders it."""

import datetime
import html
import re
import time
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from programmes.enums import OutgoingStatus, ReminderKind
from programmes.reminders import emails, selectors
from programmes.reminders import services as services_reminders
from programmes.reminders.selection import due_reminders
from programmes.reminders.selectors import (
    BY_NAME,
    BY_RULE,
    due_rows,
    load_rules,
    preview,
    reminder_scope,
    sorted_due,
)
from tests.agents.factories import AgentFactory, UserFactory
from tests.campaigns.factories import CampaignFactory
from tests.programmes.factories import EnrolmentFactory, TargetFactory, TargetPopulationFactory
from tests.programmes.factories_accompaniment import share_levels
from tests.programmes.factories_reminders import (
    ReminderFactory,
    ReminderOptOutFactory,
    ReminderSettingsFactory,
)

COMPOUND_SLICES = connection.features.supports_slicing_ordering_in_compound


def preview_url(cast, **params):
    url = reverse("programmes:reminder_preview", kwargs={"slug": cast.programme.slug})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def email_url(cast, agent):
    return reverse(
        "programmes:reminder_preview_email",
        kwargs={"slug": cast.programme.slug, "agent_id": agent.pk},
    )


def names(rows):
    return [(row.agent.last_name.casefold(), row.agent.first_name.casefold()) for row in rows]


@pytest.fixture
def named(cast):
    """The cast's six agents renamed in a known order, and one of them stalled (progress
    shared 90 days ago)."""
    for agent, (last, first) in zip(
        cast.team,
        [("Zola", "Émile"), ("Arnaud", "Paul"), ("arnaud", "Anne"), ("Martin", "Léo")]
        + [("Bé", "Luc"), ("Durand", "Ana")],
        strict=True,
    ):
        agent.last_name, agent.first_name = last, first
        agent.save()
    campaign = CampaignFactory()
    cast.programme.campaigns.add(campaign)
    share_levels(cast.team[3], campaign, {"1.1": 1}, days_ago=90)  # Martin Léo: stalled
    ReminderSettingsFactory(programme=cast.programme, first_after_days=1)
    return cast


def test_the_preview_is_sorted_by_agent_name(client, named):
    client.force_login(named.ambassador)
    rows = client.get(preview_url(named)).context["rows"]
    assert names(rows) == sorted(names(rows))
    assert names(rows)[:2] == [("arnaud", "anne"), ("arnaud", "paul")]


def test_the_preview_sorted_by_rule_puts_not_started_first_then_stalled(client, named):
    client.force_login(named.ambassador)
    response = client.get(preview_url(named, tri="motif"))
    rows = response.context["rows"]
    kinds = [row.due.kind for row in rows]
    assert kinds == [ReminderKind.NOT_STARTED] * 5 + [ReminderKind.STALLED]
    assert names(rows[:5]) == sorted(names(rows[:5]))
    assert rows[5].agent == named.team[3]
    assert "par motif puis par nom" in response.content.decode()


def test_an_unknown_order_falls_back_to_the_name(client, named):
    client.force_login(named.ambassador)
    response = client.get(preview_url(named, tri="n%27importe"))
    assert response.context["order"] == "nom"


@pytest.mark.parametrize("order", [BY_NAME, BY_RULE])
def test_a_page_of_the_sorted_preview_is_one_query_whatever_the_number_of_agents(
    named, django_assert_num_queries, order, read_as
):
    scope = reminder_scope(named.ambassador, named.programme)
    _rules, periods = load_rules(named.programme)
    today = timezone.localdate()
    for grown in (False, True):
        if grown:
            for index in range(30):
                EnrolmentFactory(
                    agent=AgentFactory(last_name=f"Nom{index:02d}"), population=named.population
                )
        found = preview(named.programme, scope, today, periods)
        # By rule, the two kinds' parts are one UNION ALL; SQLite takes no LIMIT inside one.
        parts = 2 if order == BY_RULE and not COMPOUND_SLICES else 1
        with django_assert_num_queries(parts):
            page = sorted_due(found, order)[0:50]
        expected = due_reminders(day=today, programmes=[named.programme])
        assert len(page) == len(expected) == found.total == (36 if grown else 6)
        assert set(page) == set(expected)


def test_nobody_is_counted_twice_nor_listed_twice_for_two_populations(client, named):
    """An agent in two populations of the programme is due once: counted once, listed once,
    in the first population (as the daily run claims them)."""
    second = TargetPopulationFactory(
        programme=named.programme, name="Seconde", ambassadors=[named.ambassador]
    )
    TargetFactory(population=second)
    EnrolmentFactory(agent=named.team[0], population=second)  # not started in both
    EnrolmentFactory(agent=named.team[3], population=second)  # stalled in both
    client.force_login(named.ambassador)
    response = client.get(preview_url(named, tri="motif"))
    rows = response.context["rows"]
    assert len(rows) == len({row.agent.pk for row in rows}) == len(named.team)
    assert response.context["preview"].total == len(named.team)
    assert {kind: count for kind, _label, count in response.context["preview"].counts} == {
        ReminderKind.NOT_STARTED: 5,
        ReminderKind.STALLED: 1,
    }
    by_agent = {row.agent.pk: row.population.pk for row in rows}
    assert by_agent[named.team[0].pk] == by_agent[named.team[3].pk] == named.population.pk
    expected = due_reminders(day=timezone.localdate(), programmes=[named.programme])
    assert {row.due for row in rows} == set(expected)


@pytest.fixture(params=["sorted", "walked"])
def read_as(request, monkeypatch):
    """A page read both ways: the few due sorted, or the many walked by name (the due set
    shaped for agent_name_idx, `due_set(walk=True)`), which only large previews take."""
    if request.param == "walked":
        monkeypatch.setattr(selectors, "SORT_UP_TO", 0)
    return request.param


def test_the_sorted_preview_is_paginated_and_pages_keep_the_order(client, cast, read_as):
    population = TargetPopulationFactory(programme=cast.programme, name="Grande")
    TargetFactory(population=population)
    for index in range(55):
        EnrolmentFactory(
            agent=AgentFactory(last_name=f"Nom{index:02d}", first_name="A"), population=population
        )
    client.force_login(cast.staff)
    first = client.get(preview_url(cast, tri="motif"))
    second = client.get(preview_url(cast, tri="motif", page=2))
    everyone = names(first.context["rows"]) + names(second.context["rows"])
    assert len(first.context["rows"]) == 50 and len(everyone) == 55 + len(cast.team)
    assert everyone == sorted(everyone)
    assert "tri=motif&amp;page=2" in first.content.decode()


def test_rows_link_to_the_agents_pages_the_viewer_may_open(client, named):
    client.force_login(named.ambassador)
    response = client.get(preview_url(named))
    page = response.content.decode()
    for agent in named.team:
        assert reverse("programmes:agent_detail", kwargs={"pk": agent.pk}) in page
        assert email_url(named, agent) in page
    dues = [row.due for row in response.context["rows"]]
    # Someone who may not open those agents' pages gets their names without links.
    outsider_rows = due_rows(named.programme, dues, viewer=named.outsider)
    assert not any(row.can_open_agent for row in outsider_rows)
    assert all(row.can_open_agent for row in due_rows(named.programme, dues, viewer=named.staff))


def _body_of(response):
    found = re.search(
        r'<pre id="preview-email-body"[^>]*>(.*?)</pre>', response.content.decode(), re.S
    )
    return html.unescape(found.group(1))


@pytest.mark.parametrize("index", [0, 3])  # not started, stalled
def test_the_previewed_email_is_the_one_the_sending_sends(client, named, index):
    agent = named.team[index]
    client.force_login(named.ambassador)
    # The unsubscribe link carries the time it was signed: both renderings at one instant.
    with mock.patch.object(time, "time", return_value=time.time()):
        response = client.get(email_url(named, agent))
        assert response.status_code == 200
        services_reminders.reminders_run(day=timezone.localdate())
    sent = next(message for message in mail.outbox if message.to == [agent.email])
    previewed = response.context["message"]
    assert (previewed.subject, previewed.body, previewed.to, previewed.reply_to) == (
        sent.subject,
        sent.body,
        sent.to,
        sent.reply_to,
    )
    assert previewed.alternatives == sent.alternatives
    # As sent, but for the agent's own unsubscribe link, which is theirs alone.
    assert _body_of(response) == emails.without_unsubscribe_link(sent.body)
    assert "desabonnement/" in sent.body and "desabonnement/" not in _body_of(response)
    assert "[lien de désabonnement, personnel à l’agent]" in _body_of(response)
    assert sent.subject in response.content.decode()
    assert reverse("programmes:agent_detail", kwargs={"pk": agent.pk}) in response.content.decode()


def test_no_email_preview_for_an_agent_not_due_or_outside_the_viewer_scope(client, named):
    neighbour = UserFactory()
    other = TargetPopulationFactory(
        programme=named.programme, name="Voisins", ambassadors=[neighbour]
    )
    TargetFactory(population=other)
    stranger = AgentFactory()
    EnrolmentFactory(agent=stranger, population=other)
    client.force_login(named.ambassador)
    assert client.get(email_url(named, stranger)).status_code == 404  # other population
    assert client.get(email_url(named, named.stranger_agent)).status_code == 404
    assert client.get(email_url(named, named.team[0])).status_code == 200
    client.force_login(neighbour)
    assert client.get(email_url(named, named.team[0])).status_code == 404
    assert client.get(email_url(named, stranger)).status_code == 200
    # The owner of a self-assessment programme sees counts only: no one's e-mail.
    client.force_login(named.owner)
    assert client.get(email_url(named, named.team[0])).status_code == 404


def test_an_agent_already_reminded_today_has_no_email_preview(client, named):
    services_reminders.reminders_run(day=timezone.localdate())
    client.force_login(named.ambassador)
    assert client.get(email_url(named, named.team[0])).status_code == 404


# The e-mail page reads the due set in the database: its counts (one query), the agent's
# row, how many come before them, the previous and the next agent.
EMAIL_PREVIEW_QUERIES = 22


def test_the_email_preview_query_count_is_pinned(client, named, django_assert_num_queries):
    client.force_login(named.ambassador)
    with django_assert_num_queries(EMAIL_PREVIEW_QUERIES):
        assert client.get(email_url(named, named.team[0])).status_code == 200
    for _ in range(30):
        EnrolmentFactory(agent=AgentFactory(), population=named.population)
    # By rule, the neighbour across the two kinds is a UNION ALL of two sliced queries: two
    # queries on SQLite, which takes no LIMIT inside a UNION.
    by_rule = EMAIL_PREVIEW_QUERIES + (0 if COMPOUND_SLICES else 1)
    with django_assert_num_queries(by_rule):
        response = client.get(email_url(named, named.team[0]) + "?tri=motif")
    assert response.status_code == 200 and response.context["total"] == 36


def test_the_programme_over_yesterday_has_no_email_preview(client, named):
    named.programme.end_date = timezone.localdate() - datetime.timedelta(days=1)
    named.programme.save()
    client.force_login(named.ambassador)
    assert client.get(email_url(named, named.team[0])).status_code == 404


def test_the_previewed_text_is_escaped_in_the_page(client, named):
    """The text body is plain text rendered without autoescape: the page escapes it."""
    agent = named.team[0]
    agent.first_name = "<b>Émile</b>"
    agent.save()
    client.force_login(named.ambassador)
    response = client.get(email_url(named, agent))
    page = response.content.decode()
    assert "<b>Émile</b>" not in page
    assert "Bonjour &lt;b&gt;Émile&lt;/b&gt;," in page
    assert _body_of(response) == emails.without_unsubscribe_link(response.context["message"].body)


def test_the_email_page_goes_to_the_previous_and_next_agent_in_the_preview_order(client, named):
    client.force_login(named.ambassador)
    rows = client.get(preview_url(named, tri="motif")).context["rows"]
    first, second, last = rows[0].agent, rows[1].agent, rows[-1].agent
    response = client.get(email_url(named, first) + "?tri=motif")
    assert (response.context["previous"], response.context["following"]) == (None, second)
    assert email_url(named, second) + "?tri=motif" in response.content.decode()
    assert "E-mail 1 sur 6" in response.content.decode()
    end = client.get(email_url(named, last) + "?tri=motif")
    assert end.context["following"] is None and last == named.team[3]  # stalled: last
    assert end.context["previous"] == rows[-2].agent


@pytest.mark.parametrize("order", [BY_NAME, BY_RULE])
def test_each_email_page_has_the_previous_and_next_agent_and_position_of_the_list(
    client, named, order, read_as
):
    """Walked agent by agent, the e-mail pages give the preview list's own order: across
    the boundary between the not-started and the stalled agents too (by rule), and with
    two agents of the same last name (by name, then first name)."""
    client.force_login(named.ambassador)
    agents = [row.agent for row in client.get(preview_url(named, tri=order)).context["rows"]]
    assert len(agents) == 6 and agents[-1 if order == BY_RULE else 4] == named.team[3]
    for position, agent in enumerate(agents):
        response = client.get(email_url(named, agent) + f"?tri={order}")
        assert response.context["position"] == position + 1
        assert response.context["previous"] == (agents[position - 1] if position else None)
        assert response.context["following"] == (
            agents[position + 1] if position + 1 < len(agents) else None
        )


def test_the_pages_hold_apart_who_the_rules_hold_apart(client, named, read_as):
    """Opted out, reminded within the interval, at the maximum, unreachable: none of them is
    listed, counted or previewed, whichever way the page is read."""
    rules = named.programme.reminder_settings
    rules.max_count, rules.interval_days = 2, 7
    rules.save()
    zola, paul, anne, martin, luc, ana = named.team
    ReminderOptOutFactory(agent=paul, programme=named.programme)
    ReminderFactory(agent=anne, population=named.population)  # today: within the interval
    for days_ago in (20, 10):  # two, the maximum, both older than the interval
        ReminderFactory(
            agent=luc,
            population=named.population,
            period=(timezone.localdate() - datetime.timedelta(days=days_ago)).isoformat(),
        )
    ReminderFactory(  # a cancelled one does not count towards the maximum
        agent=martin,
        population=named.population,
        period=(timezone.localdate() - datetime.timedelta(days=30)).isoformat(),
        status=OutgoingStatus.CANCELLED,
    )
    ana.is_active = False
    ana.save()
    client.force_login(named.ambassador)
    for order in (BY_NAME, BY_RULE):
        response = client.get(preview_url(named, tri=order))
        assert [row.agent for row in response.context["rows"]] == (
            [martin, zola] if order == BY_NAME else [zola, martin]
        )
        assert response.context["preview"].total == 2
        for agent in (paul, anne, luc, ana):
            assert client.get(email_url(named, agent) + f"?tri={order}").status_code == 404
    due = due_reminders(day=timezone.localdate(), programmes=[named.programme])
    assert {d.agent_id for d in due} == {zola.pk, martin.pk}


@pytest.mark.parametrize("remind_stalled", [True, False])
@pytest.mark.parametrize("viewer", ["staff", "third_population_ambassador"])
def test_the_counts_per_kind_are_those_of_the_due_list(
    named, remind_stalled, viewer, django_assert_num_queries
):
    """Counted one kind at a time (each read from its own progress index), the preview's
    counts are still those of the due list, agent by agent: an agent reached in one
    population and stalled in a later one, one not started but enrolled too recently in
    the first of their populations, and those held apart (opted out, at the maximum,
    reminded within the interval, unreachable)."""
    programme = named.programme
    rules = programme.reminder_settings
    rules.remind_stalled = remind_stalled
    rules.save()
    today = timezone.localdate()
    easy = TargetPopulationFactory(programme=programme, name="Niveau 1")
    TargetFactory(population=easy, level=1)
    hard = TargetPopulationFactory(programme=programme, name="Niveau 5")
    TargetFactory(population=hard, level=5)
    campaign = programme.campaigns.get()
    reached_then_stalled = AgentFactory()
    share_levels(reached_then_stalled, campaign, {"1.1": 1}, days_ago=90)
    too_recent_then_due = AgentFactory()
    for population, agent in [(easy, reached_then_stalled), (hard, reached_then_stalled)]:
        EnrolmentFactory(agent=agent, population=population)
    EnrolmentFactory(agent=too_recent_then_due, population=easy, start_date=today)
    EnrolmentFactory(agent=too_recent_then_due, population=hard)
    held = [AgentFactory() for _ in range(3)] + [AgentFactory(is_active=False)]
    for agent in held:
        EnrolmentFactory(agent=agent, population=hard)
    ReminderOptOutFactory(programme=programme, agent=held[0])
    for month in range(1, rules.max_count + 1):
        ReminderFactory(
            population=hard,
            agent=held[1],
            period=f"2026-{month:02d}-05",
            status=OutgoingStatus.SENT,
        )
    ReminderFactory(population=hard, agent=held[2], status=OutgoingStatus.SENT)  # today
    if viewer == "staff":
        user, population_ids = named.staff, None
    else:
        user, population_ids = UserFactory(), {hard.pk}
        hard.ambassadors.add(user)
    scope = reminder_scope(user, programme)
    _rules, periods = load_rules(programme)
    queries = 1 + (scope.whole)  # the populations, then both kinds counted in one query
    with django_assert_num_queries(queries):
        found = preview(programme, scope, today, periods)
    due = due_reminders(day=today, programmes=[programme], population_ids=population_ids)
    assert found.found == {
        kind: sum(1 for d in due if d.kind == kind) for kind in ReminderKind.values
    }
    kinds = {d.agent_id: (d.kind, d.population_id) for d in due}
    assert kinds[too_recent_then_due.pk] == (ReminderKind.NOT_STARTED, hard.pk)
    if remind_stalled:
        assert kinds[reached_then_stalled.pk] == (ReminderKind.STALLED, hard.pk)
    else:
        assert reached_then_stalled.pk not in kinds and found.found["stalled"] == 0
    assert not {agent.pk for agent in held} & set(kinds)


def test_populations_are_only_given_with_the_one_programme_they_belong_to(named):
    """The ids alone restrict the due set's rows: with several programmes, each one's rules
    would be applied to the others' populations."""
    other = ReminderSettingsFactory().programme
    with pytest.raises(ValueError):
        due_reminders(
            day=timezone.localdate(),
            programmes=[named.programme, other],
            population_ids={named.population.pk},
        )
