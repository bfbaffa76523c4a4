"""Who is reminded, and when: the rules of issue 6, proved by moving the clock.

The selector (`due_reminders`) and the claim are checked on single days; then the daily
run (`reminders_run`) is played day after day over weeks, and the mails each agent received
are counted in Django's outbox, with the day each one left."""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from campaigns.enums import MatchStatus, ParticipationStatus
from programmes.enums import DigestKind, OutgoingStatus, ReminderKind
from programmes.models import Digest, Reminder
from programmes.reminders import services as services_reminders
from programmes.reminders.selection import due_reminders
from tests.agents.factories import AgentFactory, UserFactory
from tests.campaigns.factories import CampaignFactory, ParticipationFactory
from tests.programmes.factories import (
    EnrolmentFactory,
    ProgrammeFactory,
    TargetFactory,
    TargetPopulationFactory,
)
from tests.programmes.factories_accompaniment import share_levels
from tests.programmes.factories_reminders import (
    QuietPeriodFactory,
    ReminderFactory,
    ReminderOptOutFactory,
    ReminderSettingsFactory,
)

PARIS = ZoneInfo("Europe/Paris")
MONDAY = date(2026, 3, 2)  # the day the agents of these tests are enrolled
FIRST_AFTER, INTERVAL, MAX_COUNT, STALL_DAYS = 10, 7, 3, 30


def day(offset: int) -> date:
    """`offset` days after MONDAY."""
    return MONDAY + timedelta(days=offset)


def days(first: date, last: date):
    while first <= last:
        yield first
        first += timedelta(days=1)


@dataclass
class World:
    programme: object
    rules: object
    population: object  # target: 1.1 at level 3
    campaign: object  # a profiles collection the programme follows


@pytest.fixture
def world(db):
    programme = ProgrammeFactory(start_date=date(2026, 1, 5), stall_threshold_days=STALL_DAYS)
    rules = ReminderSettingsFactory(
        programme=programme,
        first_after_days=FIRST_AFTER,
        interval_days=INTERVAL,
        max_count=MAX_COUNT,
        digest_ambassadors=False,
    )
    population = TargetPopulationFactory(programme=programme, name="Assistants")
    TargetFactory(population=population)
    campaign = CampaignFactory()
    programme.campaigns.add(campaign)
    return World(programme, rules, population, campaign)


def enrol(world, start=MONDAY, population=None, **agent_fields):
    agent = AgentFactory(**agent_fields)
    EnrolmentFactory(agent=agent, population=population or world.population, start_date=start)
    return agent


def progress(agent, campaign, at: date):
    """A participation started (not shared) whose last progress was at noon on `at`."""
    moment = datetime.datetime.combine(at, datetime.time(12), tzinfo=PARIS)
    return ParticipationFactory(
        agent=agent,
        campaign=campaign,
        match_status=MatchStatus.EXTERNAL_ID,
        status=ParticipationStatus.STARTED,
        started_at=moment,
        last_progress_at=moment,
    )


def due_ids(on: date) -> list[int]:
    return [due.agent_id for due in due_reminders(day=on)]


def travel(mailoutbox, first: date, last: date) -> dict[str, list[date]]:
    """Run the daily job on every day from `first` to `last`; the days each address got a
    mail."""
    received = defaultdict(list)
    for today in days(first, last):
        before = len(mailoutbox)
        services_reminders.reminders_run(day=today)
        for message in mailoutbox[before:]:
            for address in message.to:
                received[address].append(today)
    return received


# --- Who is due on one day (the selector) ---------------------------------------------------


def test_not_started_agent_is_due_exactly_first_after_days_after_enrolment(world):
    agent = enrol(world)
    assert due_ids(day(FIRST_AFTER - 1)) == []
    [due] = due_reminders(day=day(FIRST_AFTER))
    assert (due.agent_id, due.programme_id, due.population_id) == (
        agent.pk,
        world.programme.pk,
        world.population.pk,
    )
    assert (due.kind, due.email) == (ReminderKind.NOT_STARTED, agent.email)


def test_agent_is_not_due_before_the_programme_starts(world):
    world.programme.start_date = day(30)
    world.programme.save()
    enrol(world, start=MONDAY)
    assert due_ids(day(FIRST_AFTER)) == []
    assert len(due_ids(day(30))) == 1


def test_stalled_agent_is_due_the_day_after_the_stall_threshold(world):
    agent = enrol(world, start=date(2026, 1, 5))
    progress(agent, world.campaign, at=MONDAY)
    assert due_ids(day(STALL_DAYS)) == []  # exactly the threshold is not stalled yet
    [due] = due_reminders(day=day(STALL_DAYS + 1))
    assert (due.agent_id, due.kind) == (agent.pk, ReminderKind.STALLED)


def test_stalled_agent_is_not_due_when_the_programme_does_not_remind_stalled_agents(world):
    world.rules.remind_stalled = False
    world.rules.save()
    stalled = enrol(world, start=date(2026, 1, 5))
    progress(stalled, world.campaign, at=MONDAY)
    not_started = enrol(world, start=date(2026, 1, 5))
    assert due_ids(day(STALL_DAYS + 1)) == [not_started.pk]


def test_agent_in_progress_or_at_target_is_not_due(world):
    in_progress = enrol(world, start=date(2026, 1, 5))
    progress(in_progress, world.campaign, at=day(20))
    at_target = enrol(world, start=date(2026, 1, 5))
    share_levels(at_target, world.campaign, {"1.1": 3})
    assert due_ids(day(21)) == []


def test_agent_is_not_due_past_the_maximum_count(world):
    agent = enrol(world)
    for n in range(MAX_COUNT - 1):
        ReminderFactory(agent=agent, population=world.population, period=f"2026-02-0{n + 1}")
    assert due_ids(day(FIRST_AFTER)) == [agent.pk]
    ReminderFactory(agent=agent, population=world.population, period="2026-02-05")
    assert due_ids(day(FIRST_AFTER)) == []


def test_cancelled_reminders_do_not_count(world):
    agent = enrol(world)
    for n in range(MAX_COUNT):
        ReminderFactory(
            agent=agent,
            population=world.population,
            period=f"2026-02-0{n + 1}",
            status=OutgoingStatus.CANCELLED,
        )
    assert due_ids(day(FIRST_AFTER)) == [agent.pk]


def test_failed_and_pending_reminders_count(world):
    agent = enrol(world)
    for n, status in enumerate([OutgoingStatus.FAILED, OutgoingStatus.PENDING]):
        ReminderFactory(
            agent=agent, population=world.population, period=f"2026-02-0{n + 1}", status=status
        )
    ReminderFactory(agent=agent, population=world.population, period="2026-02-05")
    assert due_ids(day(FIRST_AFTER)) == []


def test_agent_is_due_again_only_interval_days_after_the_last_reminder(world):
    agent = enrol(world)
    ReminderFactory(agent=agent, population=world.population, period=day(FIRST_AFTER).isoformat())
    assert due_ids(day(FIRST_AFTER + INTERVAL - 1)) == []
    assert due_ids(day(FIRST_AFTER + INTERVAL)) == [agent.pk]


def test_reminders_of_another_programme_do_not_count(world):
    agent = enrol(world)
    other = TargetPopulationFactory()
    for n in range(MAX_COUNT):
        ReminderFactory(agent=agent, population=other, period=day(FIRST_AFTER - n).isoformat())
    assert due_ids(day(FIRST_AFTER)) == [agent.pk]


def test_nobody_is_due_when_reminders_are_off(world):
    enrol(world)
    world.rules.enabled = False
    world.rules.save()
    assert due_ids(day(FIRST_AFTER)) == []


def test_nobody_is_due_in_a_programme_without_reminder_settings(world):
    enrol(world)
    world.rules.delete()
    assert due_ids(day(FIRST_AFTER)) == []


def test_nobody_is_due_in_a_quiet_period(world):
    QuietPeriodFactory(
        programme=world.programme, label="Printemps", start_month=3, start_day=12, end_month=3,
        end_day=13,
    )  # fmt: skip
    agent = enrol(world)
    assert due_ids(day(FIRST_AFTER)) == []  # 12/03
    assert due_ids(day(FIRST_AFTER + 1)) == []
    assert due_ids(day(FIRST_AFTER + 2)) == [agent.pk]


def test_agents_without_email_inactive_or_opted_out_are_never_due(world):
    due = enrol(world)
    enrol(world, email=None)
    enrol(world, email="")
    enrol(world, is_active=False)
    opted_out = enrol(world)
    ReminderOptOutFactory(agent=opted_out, programme=world.programme)
    assert due_ids(day(FIRST_AFTER)) == [due.pk]


def test_opting_out_of_another_programme_changes_nothing(world):
    agent = enrol(world)
    ReminderOptOutFactory(agent=agent)
    assert due_ids(day(FIRST_AFTER)) == [agent.pk]


def test_agent_who_left_the_population_is_not_due(world):
    stays = enrol(world)
    left = enrol(world)
    left.enrolments.update(end_date=day(FIRST_AFTER))
    assert due_ids(day(FIRST_AFTER)) == [stays.pk]


def test_nobody_is_due_once_the_programme_is_over(world):
    enrol(world)
    world.programme.end_date = day(FIRST_AFTER)
    world.programme.save()
    assert len(due_ids(day(FIRST_AFTER))) == 1  # its last day still counts
    assert due_ids(day(FIRST_AFTER + 1)) == []


def test_agent_in_two_populations_of_a_programme_is_due_once(world):
    agent = enrol(world)
    second = TargetPopulationFactory(programme=world.programme)
    EnrolmentFactory(agent=agent, population=second, start_date=MONDAY)
    assert due_ids(day(FIRST_AFTER)) == [agent.pk]


def test_agent_in_two_programmes_is_due_in_each(world):
    agent = enrol(world)
    other = ProgrammeFactory(start_date=date(2026, 1, 5))
    ReminderSettingsFactory(programme=other, first_after_days=FIRST_AFTER)
    EnrolmentFactory(
        agent=agent, population=TargetPopulationFactory(programme=other), start_date=MONDAY
    )
    assert sorted(d.programme_id for d in due_reminders(day=day(FIRST_AFTER))) == sorted(
        [world.programme.pk, other.pk]
    )


def test_due_reminders_cost_the_same_queries_for_one_agent_or_many(
    world, django_assert_num_queries
):
    other = ProgrammeFactory(start_date=date(2026, 1, 5))
    ReminderSettingsFactory(programme=other, first_after_days=FIRST_AFTER)
    QuietPeriodFactory(programme=other)
    enrol(world)
    with django_assert_num_queries(3):  # programmes, their quiet periods, the candidates
        assert len(due_reminders(day=day(FIRST_AFTER))) == 1
    for _ in range(12):
        enrol(world)
        enrol(world, population=TargetPopulationFactory(programme=other))
    for agent in AgentFactory.create_batch(3):
        EnrolmentFactory(agent=agent, population=world.population, start_date=MONDAY)
        progress(agent, world.campaign, at=MONDAY)
    with django_assert_num_queries(3):
        assert len(due_reminders(day=day(STALL_DAYS + 1))) == 28


# --- The claim ------------------------------------------------------------------------------


def test_claim_inserts_one_pending_row_per_due_agent_and_returns_them(world):
    agents = [enrol(world) for _ in range(3)]
    ids = services_reminders.reminders_claim(day=day(FIRST_AFTER))
    rows = Reminder.objects.filter(pk__in=ids)
    assert sorted(rows.values_list("agent_id", flat=True)) == sorted(a.pk for a in agents)
    assert set(rows.values_list("status", "period", "kind", "programme_id")) == {
        (
            OutgoingStatus.PENDING,
            day(FIRST_AFTER).isoformat(),
            ReminderKind.NOT_STARTED,
            world.programme.pk,
        )
    }


# The rules with a pending interval or maximum (none here), the programmes, their quiet
# periods, the INSERT … SELECT of the due set, the superseding UPDATE and the ids to send,
# inside the claim's transaction (a savepoint in a test's).
CLAIM_QUERIES = 8


def test_the_claim_costs_the_same_queries_for_three_due_or_thirty(world, django_assert_num_queries):
    other = ProgrammeFactory(start_date=date(2026, 1, 5))
    ReminderSettingsFactory(programme=other, first_after_days=FIRST_AFTER)
    for _ in range(3):
        enrol(world)
    with django_assert_num_queries(CLAIM_QUERIES):
        assert len(services_reminders.reminders_claim(day=day(FIRST_AFTER))) == 3
    for _ in range(15):
        enrol(world)
        enrol(world, population=TargetPopulationFactory(programme=other))
    with django_assert_num_queries(CLAIM_QUERIES):
        ids = services_reminders.reminders_claim(day=day(FIRST_AFTER + 1))
    # The 30 new agents, once each, in their programme; the first three waiting their interval
    # and their reminder of the day before still to send.
    assert len(ids) == 33 and Reminder.objects.count() == 33
    assert Reminder.objects.filter(programme=other).count() == 15


def test_an_agent_in_two_populations_is_claimed_once_in_the_first(world):
    second = TargetPopulationFactory(programme=world.programme, name="Seconde")
    TargetFactory(population=second)
    agent = enrol(world, population=second)
    EnrolmentFactory(agent=agent, population=world.population, start_date=MONDAY)
    services_reminders.reminders_claim(day=day(FIRST_AFTER))
    [row] = Reminder.objects.all()
    assert (row.agent, row.population, row.email) == (agent, world.population, agent.email)
    assert min(world.population.pk, second.pk) == world.population.pk


def test_claiming_the_same_day_twice_inserts_nothing_new(world):
    enrol(world)
    enrol(world)
    first = services_reminders.reminders_claim(day=day(FIRST_AFTER))
    second = services_reminders.reminders_claim(day=day(FIRST_AFTER))
    assert first == second
    assert Reminder.objects.count() == 2


def test_claim_does_not_return_rows_already_sent_or_being_sent(world):
    sent, sending, pending = enrol(world), enrol(world), enrol(world)
    services_reminders.reminders_claim(day=day(FIRST_AFTER))
    Reminder.objects.filter(agent=sent).update(status=OutgoingStatus.SENT)
    Reminder.objects.filter(agent=sending).update(status=OutgoingStatus.SENDING)
    ids = services_reminders.reminders_claim(day=day(FIRST_AFTER))
    assert list(Reminder.objects.filter(pk__in=ids).values_list("agent_id", flat=True)) == [
        pending.pk
    ]


# --- Time travel: the mails each agent receives over weeks ----------------------------------


def test_not_started_agent_gets_first_reminder_then_every_interval_up_to_the_maximum(
    world, mailoutbox
):
    agent = enrol(world)
    later = enrol(world, start=day(5))
    received = travel(mailoutbox, MONDAY, day(90))
    assert received[agent.email] == [day(10), day(17), day(24)]
    assert received[later.email] == [day(15), day(22), day(29)]
    assert len(mailoutbox) == 6


def test_stalled_agent_is_reminded_every_interval_up_to_the_maximum(world, mailoutbox):
    agent = enrol(world, start=date(2026, 1, 5))
    progress(agent, world.campaign, at=MONDAY)
    received = travel(mailoutbox, MONDAY, day(90))
    assert received[agent.email] == [day(31), day(38), day(45)]
    kinds = set(Reminder.objects.filter(agent=agent).values_list("kind", flat=True))
    assert kinds == {ReminderKind.STALLED}


def test_stalled_agent_gets_nothing_when_stalled_agents_are_not_reminded(world, mailoutbox):
    world.rules.remind_stalled = False
    world.rules.save()
    stalled = enrol(world, start=date(2026, 1, 5))
    progress(stalled, world.campaign, at=MONDAY)
    not_started = enrol(world)
    received = travel(mailoutbox, MONDAY, day(90))
    assert stalled.email not in received
    assert len(received[not_started.email]) == MAX_COUNT


def test_agent_who_starts_after_a_reminder_gets_no_more_until_stalled(world, mailoutbox):
    agent = enrol(world)
    received = travel(mailoutbox, MONDAY, day(12))
    progress(agent, world.campaign, at=day(12))
    received_after = travel(mailoutbox, day(13), day(90))
    # Not started once (day 10); in progress then; stalled from day 12 + 31: reminded twice
    # more, the maximum counting both kinds.
    assert received[agent.email] + received_after[agent.email] == [day(10), day(43), day(50)]


def test_agent_who_reaches_the_target_mid_way_gets_nothing_more(world, mailoutbox):
    reaching = enrol(world)
    control = enrol(world)
    first = travel(mailoutbox, MONDAY, day(14))
    assert first[reaching.email] == first[control.email] == [day(10)]
    share_levels(reaching, world.campaign, {"1.1": 4})
    then = travel(mailoutbox, day(15), day(90))
    assert reaching.email not in then
    assert then[control.email] == [day(17), day(24)]


def test_agent_who_leaves_the_population_gets_nothing_more(world, mailoutbox):
    leaving = enrol(world)
    control = enrol(world)
    travel(mailoutbox, MONDAY, day(14))
    leaving.enrolments.update(end_date=day(15))
    then = travel(mailoutbox, day(15), day(90))
    assert leaving.email not in then
    assert len(then[control.email]) == MAX_COUNT - 1


def test_nobody_gets_anything_once_the_programme_is_over(world, mailoutbox):
    agent = enrol(world)
    world.programme.end_date = day(20)
    world.programme.save()
    received = travel(mailoutbox, MONDAY, day(90))
    assert received[agent.email] == [day(10), day(17)]


def test_quiet_august_sends_nothing_and_reminders_resume_after(world, mailoutbox):
    QuietPeriodFactory(programme=world.programme)  # 01/08 – 31/08
    world.rules.digest_ambassadors = True
    world.rules.save()
    world.population.ambassadors.add(UserFactory(email="ambassadeur@exemple.gouv.fr"))
    agent = enrol(world, start=date(2026, 7, 20))
    received = travel(mailoutbox, date(2026, 7, 20), date(2026, 9, 30))
    assert received[agent.email] == [date(2026, 7, 30), date(2026, 9, 1), date(2026, 9, 8)]
    digests = received["ambassadeur@exemple.gouv.fr"]
    assert digests and not [d for d in digests if d.month == 8]


def test_quiet_period_over_the_new_year_sends_nothing_and_reminders_resume_after(world, mailoutbox):
    QuietPeriodFactory(
        programme=world.programme, label="Fêtes", start_month=12, start_day=20, end_month=1,
        end_day=5,
    )  # fmt: skip
    agent = enrol(world, start=date(2026, 12, 1))
    received = travel(mailoutbox, date(2026, 12, 1), date(2027, 1, 31))
    assert received[agent.email] == [date(2026, 12, 11), date(2026, 12, 18), date(2027, 1, 6)]


def test_nothing_is_sent_when_reminders_are_off(world, mailoutbox):
    world.rules.enabled = False
    world.rules.digest_ambassadors = True
    world.rules.save()
    world.population.ambassadors.add(UserFactory())
    enrol(world)
    assert travel(mailoutbox, MONDAY, day(60)) == {}
    assert not Reminder.objects.exists() and not Digest.objects.exists()


def test_turning_reminders_off_mid_way_stops_them(world, mailoutbox):
    agent = enrol(world)
    travel(mailoutbox, MONDAY, day(14))
    world.rules.enabled = False
    world.rules.save()
    assert travel(mailoutbox, day(15), day(60)) == {}
    assert [m.to for m in mailoutbox] == [[agent.email]]


def test_agents_without_email_or_inactive_get_nothing(world, mailoutbox):
    enrol(world, email=None)
    enrol(world, is_active=False, email="inactif@exemple.gouv.fr")
    control = enrol(world)
    received = travel(mailoutbox, MONDAY, day(60))
    assert list(received) == [control.email]


def test_opted_out_agent_gets_nothing(world, mailoutbox):
    opted_out = enrol(world)
    ReminderOptOutFactory(agent=opted_out, programme=world.programme)
    control = enrol(world)
    assert list(travel(mailoutbox, MONDAY, day(60))) == [control.email]


def test_agent_who_opts_out_mid_way_gets_nothing_more(world, mailoutbox):
    agent = enrol(world)
    travel(mailoutbox, MONDAY, day(12))
    services_reminders.reminders_opt_out(agent_id=agent.pk, programme_id=world.programme.pk)
    assert travel(mailoutbox, day(13), day(60)) == {}
    assert len(mailoutbox) == 1


def test_running_the_same_day_twice_sends_nothing_new(world, mailoutbox):
    agents = [enrol(world) for _ in range(3)]
    first = services_reminders.reminders_run(day=day(FIRST_AFTER))
    second = services_reminders.reminders_run(day=day(FIRST_AFTER))
    assert sorted(m.to[0] for m in mailoutbox) == sorted(a.email for a in agents)
    assert (first["reminders"], second["reminders"]) == (3, 0)
    assert Reminder.objects.count() == 3


def test_agent_in_two_populations_of_a_programme_gets_one_reminder_a_time(world, mailoutbox):
    agent = enrol(world)
    second = TargetPopulationFactory(programme=world.programme)
    TargetFactory(population=second, level=5)
    EnrolmentFactory(agent=agent, population=second, start_date=MONDAY)
    received = travel(mailoutbox, MONDAY, day(90))
    assert received[agent.email] == [day(10), day(17), day(24)]


def test_a_reminder_says_which_agent_and_leaves_from_the_outbox_once(world, mailoutbox):
    agent = enrol(world)
    travel(mailoutbox, MONDAY, day(90))
    rows = Reminder.objects.filter(agent=agent).order_by("period")
    assert [(r.period, r.status, r.email) for r in rows] == [
        (d.isoformat(), OutgoingStatus.SENT, agent.email) for d in (day(10), day(17), day(24))
    ]
    assert all(r.sent_at and r.attempts == 1 for r in rows)


# --- The weekly digest ----------------------------------------------------------------------


@pytest.fixture
def digest_cast(cast, settings):
    """The cast's programme with reminders (and digests to ambassadors) on; digests on
    Wednesdays."""
    settings.REMINDER_DIGEST_WEEKDAY = 2
    rules = ReminderSettingsFactory(programme=cast.programme, first_after_days=FIRST_AFTER)
    programme_ambassador = UserFactory(email="ambassadeur-programme@exemple.gouv.fr")
    cast.programme.ambassadors.add(programme_ambassador)
    cast.programme_ambassador = programme_ambassador
    cast.rules = rules
    return cast


def wednesdays(first, last):
    return [d for d in days(first, last) if d.weekday() == 2]


def test_weekly_digest_goes_to_ambassadors_once_a_week_on_the_digest_weekday(
    digest_cast, mailoutbox
):
    received = travel(mailoutbox, MONDAY, day(27))
    expected = wednesdays(MONDAY, day(27))
    assert len(expected) == 4
    assert received[digest_cast.ambassador.email] == expected
    assert received[digest_cast.programme_ambassador.email] == expected
    assert digest_cast.manager.email not in received
    assert digest_cast.owner.email not in received
    assert Digest.objects.count() == 8


def test_weekly_digest_runs_once_even_when_the_digest_day_runs_twice(digest_cast, mailoutbox):
    wednesday = date(2026, 3, 4)
    services_reminders.reminders_run(day=wednesday)
    services_reminders.reminders_run(day=wednesday)
    assert sorted(m.to[0] for m in mailoutbox if m.to[0].startswith("ambassadeur")) == [
        "ambassadeur-programme@exemple.gouv.fr",
        "ambassadeur@exemple.gouv.fr",
    ]


def test_no_digest_when_ambassadors_digests_are_off(digest_cast, mailoutbox):
    digest_cast.rules.digest_ambassadors = False
    digest_cast.rules.save()
    received = travel(mailoutbox, MONDAY, day(13))
    assert digest_cast.ambassador.email not in received
    assert not Digest.objects.exists()


def test_managers_get_the_digest_under_the_managerial_purpose_when_asked(digest_cast, mailoutbox):
    digest_cast.programme.purpose = "managerial"
    digest_cast.programme.save()
    digest_cast.rules.digest_managers = True
    digest_cast.rules.save()
    received = travel(mailoutbox, MONDAY, day(13))
    assert received[digest_cast.manager.email] == wednesdays(MONDAY, day(13))
    assert set(
        Digest.objects.filter(recipient=digest_cast.manager).values_list("kind", flat=True)
    ) == {DigestKind.MANAGER}


def test_managers_get_no_digest_under_self_assessment_even_when_asked(digest_cast, mailoutbox):
    digest_cast.rules.digest_managers = True
    digest_cast.rules.save()
    received = travel(mailoutbox, MONDAY, day(13))
    assert digest_cast.manager.email not in received
    assert received[digest_cast.ambassador.email] == wednesdays(MONDAY, day(13))


def test_managers_get_no_digest_under_the_managerial_purpose_unless_asked(digest_cast, mailoutbox):
    digest_cast.programme.purpose = "managerial"
    digest_cast.programme.save()
    received = travel(mailoutbox, MONDAY, day(13))
    assert digest_cast.manager.email not in received


# --- The command ----------------------------------------------------------------------------


def test_command_dry_run_writes_nothing_and_sends_nothing(world, mailoutbox):
    agents = [enrol(world) for _ in range(2)]
    out = StringIO()
    call_command("send_reminders", "--dry-run", "--date", day(FIRST_AFTER).isoformat(), stdout=out)
    assert not Reminder.objects.exists()
    assert mailoutbox == []
    text = out.getvalue()
    assert "2 relance(s) à envoyer le 12 mars 2026" in text
    assert all(agent.email in text for agent in agents)


def test_command_sends_the_reminders_of_the_given_date(world, mailoutbox):
    agent = enrol(world)
    out = StringIO()
    call_command("send_reminders", "--date", day(FIRST_AFTER - 1).isoformat(), stdout=out)
    assert mailoutbox == []
    call_command("send_reminders", "--date", day(FIRST_AFTER).isoformat(), stdout=out)
    assert [m.to for m in mailoutbox] == [[agent.email]]
    assert Reminder.objects.get().period == "2026-03-12"
    assert "1 relance(s)" in out.getvalue()


def test_command_run_twice_on_a_date_sends_once(world, mailoutbox):
    enrol(world)
    for _ in range(2):
        call_command("send_reminders", "--date", day(FIRST_AFTER).isoformat(), stdout=StringIO())
    assert len(mailoutbox) == 1


@pytest.mark.parametrize("bad", ["2026-02-30", "12/03/2026", "demain"])
def test_command_refuses_a_bad_date_in_french(world, bad, mailoutbox):
    enrol(world)
    with pytest.raises(CommandError, match="Date invalide"):
        call_command("send_reminders", "--date", bad, stdout=StringIO())
    assert not Reminder.objects.exists()


def test_the_managers_manager_gets_the_digest_too(digest_cast, mailoutbox):
    """The digest lists a manager's whole line of reports: the manager above the team's
    manager receives it as well, though none of their direct reports is enrolled."""
    from tests.agents.factories import AgentFactory

    head = AgentFactory(with_user=True, email="chef-de-service@exemple.gouv.fr")
    digest_cast.manager_agent.manager = head
    digest_cast.manager_agent.save()
    digest_cast.programme.purpose = "managerial"
    digest_cast.programme.save()
    digest_cast.rules.digest_managers = True
    digest_cast.rules.save()
    received = travel(mailoutbox, MONDAY, day(13))
    assert received[head.email] == wednesdays(MONDAY, day(13))
    assert received[digest_cast.manager.email] == wednesdays(MONDAY, day(13))
