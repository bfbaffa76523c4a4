"""A programme's reminders pages: the rules and quiet periods, who would be reminded today,
what was sent and what failed, and sending a failed one again."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from programmes import perms
from programmes.enums import DigestKind, OutgoingStatus, ReminderKind
from programmes.models import QuietPeriod, Reminder, ReminderSettings
from programmes.reminders.rules import MAX_QUIET_PERIODS, quiet_period_add, reminder_settings_save
from programmes.reminders.selection import due_reminders
from programmes.reminders.selectors import load_rules, next_digest_day, preview, reminder_scope
from tests.agents.factories import AgentFactory, UserFactory
from tests.programmes.factories import (
    EnrolmentFactory,
    TargetFactory,
    TargetPopulationFactory,
)
from tests.programmes.factories_reminders import (
    DigestFactory,
    QuietPeriodFactory,
    ReminderFactory,
    ReminderSettingsFactory,
)

RULES = {
    "enabled": "on",
    "first_after_days": "7",
    "remind_stalled": "on",
    "interval_days": "10",
    "max_count": "3",
    "digest_ambassadors": "on",
}


def _url(name, cast, **kwargs):
    return reverse(f"programmes:{name}", kwargs={"slug": cast.programme.slug, **kwargs})


def _page(client, user, name, cast, **params):
    client.force_login(user)
    response = client.get(_url(name, cast), params)
    assert response.status_code == 200
    return response


def _text(response):
    return response.content.decode()


def _other_population(cast, *, ambassador=None, agents=1):
    """A second population of the cast's programme, with its own not-started agents."""
    population = TargetPopulationFactory(
        programme=cast.programme,
        name="Informaticiens",
        ambassadors=[ambassador] if ambassador else [],
    )
    TargetFactory(population=population)
    members = AgentFactory.create_batch(agents)
    for member in members:
        EnrolmentFactory(agent=member, population=population)
    return population, members


def _failed(cast, agent=None, **kwargs):
    return ReminderFactory(
        population=cast.population,
        agent=agent or cast.team[1],
        status=OutgoingStatus.FAILED,
        attempts=1,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
        **kwargs,
    )


# --- The rules -------------------------------------------------------------------------------


def test_the_first_save_creates_the_rules_and_says_who_changed_them(client, cast):
    assert not ReminderSettings.objects.filter(programme=cast.programme).exists()
    client.force_login(cast.ambassador)
    response = client.post(_url("reminder_rules", cast), RULES)
    assert response.status_code == 302
    rules = ReminderSettings.objects.get(programme=cast.programme)
    assert (rules.enabled, rules.first_after_days, rules.interval_days, rules.max_count) == (
        True,
        7,
        10,
        3,
    )
    assert rules.remind_stalled and rules.digest_ambassadors and not rules.digest_managers
    assert rules.updated_by == cast.ambassador
    page = _text(client.get(response.url))
    assert "Les règles de relance sont enregistrées." in page
    assert f"Règles modifiées par {cast.ambassador}" in page


def test_saving_again_updates_the_same_rules(client, cast):
    ReminderSettingsFactory(programme=cast.programme, max_count=5)
    client.force_login(cast.owner)
    client.post(_url("reminder_rules", cast), {**RULES, "max_count": "2", "enabled": ""})
    rules = ReminderSettings.objects.get(programme=cast.programme)
    assert (rules.enabled, rules.max_count, rules.updated_by) == (False, 2, cast.owner)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("first_after_days", "0", "Saisissez un nombre de jours entre 1 et 365."),
        ("first_after_days", "366", "Saisissez un nombre de jours entre 1 et 365."),
        ("interval_days", "", "Saisissez un nombre de jours entre 1 et 365."),
        ("interval_days", "deux", "Saisissez un nombre de jours entre 1 et 365."),
        ("max_count", "21", "Saisissez un nombre de relances entre 1 et 20."),
        ("max_count", "-1", "Saisissez un nombre de relances entre 1 et 20."),
    ],
)
def test_values_out_of_bounds_are_refused_in_french_and_nothing_changes(
    client, cast, field, value, message
):
    ReminderSettingsFactory(programme=cast.programme, enabled=False, max_count=3)
    client.force_login(cast.ambassador)
    response = client.post(_url("reminder_rules", cast), {**RULES, field: value})
    assert response.status_code == 200
    assert message in _text(response)
    rules = ReminderSettings.objects.get(programme=cast.programme)
    assert (rules.enabled, rules.max_count, rules.first_after_days) == (False, 3, 14)


def test_an_invalid_first_save_creates_no_rules(client, cast):
    client.force_login(cast.ambassador)
    client.post(_url("reminder_rules", cast), {**RULES, "max_count": "0"})
    assert not ReminderSettings.objects.filter(programme=cast.programme).exists()


def test_the_digest_to_managers_is_not_offered_under_self_assessment_and_says_why(client, cast):
    page = _text(_page(client, cast.ambassador, "reminder_overview", cast))
    assert "sa finalité est l’auto-positionnement" in page
    assert (
        'name="digest_managers"' in page
        and "disabled" in page.split('name="digest_managers"')[1][:80]
    )
    client.post(_url("reminder_rules", cast), {**RULES, "digest_managers": "on"})
    assert ReminderSettings.objects.get(programme=cast.programme).digest_managers is False


def test_the_digest_to_managers_is_saved_under_the_managerial_purpose(client, managerial_cast):
    cast = managerial_cast
    page = _text(_page(client, cast.owner, "reminder_overview", cast))
    assert "sa finalité est l’auto-positionnement" not in page
    client.post(_url("reminder_rules", cast), {**RULES, "digest_managers": "on"})
    assert ReminderSettings.objects.get(programme=cast.programme).digest_managers is True


def test_the_service_refuses_a_digest_to_managers_under_self_assessment(cast):
    with pytest.raises(ValidationError, match="finalité managériale"):
        reminder_settings_save(
            programme=cast.programme,
            enabled=True,
            first_after_days=7,
            remind_stalled=True,
            interval_days=7,
            max_count=3,
            digest_ambassadors=True,
            digest_managers=True,
            updated_by=cast.owner,
        )
    assert not ReminderSettings.objects.filter(programme=cast.programme).exists()


def test_the_page_shows_the_programme_stall_threshold(client, cast):
    cast.programme.stall_threshold_days = 45
    cast.programme.save()
    page = _text(_page(client, cast.ambassador, "reminder_overview", cast))
    assert "aucun progrès depuis 45 jours" in page


def test_those_who_see_the_programme_but_may_not_manage_reminders_get_403_on_writes(
    client, cast, monkeypatch
):
    monkeypatch.setattr(perms, "can_manage_reminders", lambda user, programme: False)
    period = QuietPeriodFactory(programme=cast.programme)
    client.force_login(cast.owner)
    page = _text(client.get(_url("reminder_overview", cast)))
    assert 'id="reminder-rules"' not in page and "Supprimer" not in page
    assert client.post(_url("reminder_rules", cast), RULES).status_code == 403
    assert client.post(_url("quiet_period_add", cast), {}).status_code == 403
    delete = _url("quiet_period_delete", cast, period_id=period.pk)
    assert client.post(delete).status_code == 403
    assert not ReminderSettings.objects.exists() and QuietPeriod.objects.count() == 1


@pytest.mark.parametrize("role", ["manager", "agent", "outsider"])
def test_those_who_do_not_see_the_programme_get_404_on_writes(client, cast, role):
    period = QuietPeriodFactory(programme=cast.programme)
    client.force_login(getattr(cast, role))
    assert client.post(_url("reminder_rules", cast), RULES).status_code == 404
    assert client.post(_url("quiet_period_add", cast), {}).status_code == 404
    delete = _url("quiet_period_delete", cast, period_id=period.pk)
    assert client.post(delete).status_code == 404
    assert not ReminderSettings.objects.exists() and QuietPeriod.objects.count() == 1


def test_the_programme_page_links_to_reminders_for_those_who_manage_them(client, cast):
    link = _url("reminder_overview", cast)
    for user in (cast.owner, cast.ambassador, cast.staff):
        client.force_login(user)
        assert link in _text(client.get(cast.programme.get_absolute_url()))


# --- Quiet periods ---------------------------------------------------------------------------


def _period(**values):
    return {
        "label": "Fêtes",
        "start_day": "20",
        "start_month": "12",
        "end_day": "3",
        "end_month": "1",
        **values,
    }


def test_a_quiet_period_over_the_new_year_is_added_and_shown_as_wrapping(client, cast):
    client.force_login(cast.ambassador)
    response = client.post(_url("quiet_period_add", cast), _period())
    assert response.status_code == 302
    period = QuietPeriod.objects.get(programme=cast.programme)
    assert (period.start_day, period.start_month, period.end_day, period.end_month) == (
        20,
        12,
        3,
        1,
    )
    page = _text(client.get(_url("reminder_overview", cast)))
    assert "20 décembre" in page and "3 janvier" in page
    assert "(de l’année suivante)" in page


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"start_day": "31", "start_month": "2"}, "Le 31/02 n’existe pas"),
        ({"end_day": "31", "end_month": "4"}, "Le 31/04 n’existe pas"),
        ({"start_day": "30", "start_month": "2"}, "Le 30/02 n’existe pas"),
        ({"start_day": "0"}, "Saisissez un jour entre 1 et 31."),
        ({"end_day": "32"}, "Saisissez un jour entre 1 et 31."),
        ({"end_month": "13"}, "Choisissez un mois."),
        ({"label": "   "}, "Donnez un libellé à la période."),
    ],
)
def test_impossible_quiet_periods_are_refused_in_french_and_nothing_is_added(
    client, cast, values, message
):
    client.force_login(cast.ambassador)
    response = client.post(_url("quiet_period_add", cast), _period(**values))
    assert response.status_code == 200
    assert message in _text(response)
    assert not QuietPeriod.objects.exists()


def test_the_29th_of_february_is_a_real_day(cast):
    period = quiet_period_add(
        programme=cast.programme,
        label="Bissextile",
        start_day=29,
        start_month=2,
        end_day=1,
        end_month=3,
    )
    assert period.contains(datetime.date(2028, 2, 29))


def test_the_service_refuses_an_impossible_day_too(cast):
    with pytest.raises(ValidationError, match="31/06"):
        quiet_period_add(
            programme=cast.programme,
            label="Juin",
            start_day=1,
            start_month=6,
            end_day=31,
            end_month=6,
        )


def test_a_programme_holds_a_bounded_number_of_quiet_periods(client, cast):
    QuietPeriodFactory.create_batch(MAX_QUIET_PERIODS, programme=cast.programme)
    client.force_login(cast.owner)
    response = client.post(_url("quiet_period_add", cast), _period())
    assert "supprimez-en une d’abord" in _text(response)
    assert QuietPeriod.objects.count() == MAX_QUIET_PERIODS


def test_a_quiet_period_is_deleted_by_post(client, cast):
    period = QuietPeriodFactory(programme=cast.programme, label="Août")
    client.force_login(cast.ambassador)
    response = client.post(_url("quiet_period_delete", cast, period_id=period.pk), follow=True)
    assert "Période sans relance supprimée : Août" in _text(response)
    assert not QuietPeriod.objects.exists()


def test_another_programme_quiet_period_cannot_be_deleted(client, cast):
    other = QuietPeriodFactory(programme=cast.other_population.programme)
    client.force_login(cast.ambassador)
    assert client.post(_url("quiet_period_delete", cast, period_id=other.pk)).status_code == 404
    assert QuietPeriod.objects.filter(pk=other.pk).exists()


# --- Who would be reminded today -------------------------------------------------------------


def test_the_preview_lists_exactly_the_due_reminders(client, cast):
    ReminderSettingsFactory(programme=cast.programme, first_after_days=7)
    ReminderFactory(  # reminded today: not due again
        population=cast.population, agent=cast.team[2], status=OutgoingStatus.SENT
    )
    ReminderFactory(  # reminded long ago: due again, with one reminder already sent
        population=cast.population,
        agent=cast.team[3],
        period="2026-02-01",
        status=OutgoingStatus.SENT,
    )
    response = _page(client, cast.ambassador, "reminder_preview", cast)
    rows = response.context["rows"]
    expected = due_reminders(day=timezone.localdate(), programmes=[cast.programme])
    assert sorted(row.due.agent_id for row in rows) == sorted(due.agent_id for due in expected)
    assert {row.due for row in rows} == set(expected) and len(rows) == len(expected)
    assert {row.agent for row in rows} == set(cast.team) - {cast.team[2]}
    assert {row.agent.pk: row.sent for row in rows}[cast.team[3].pk] == 1
    page = _text(response)
    assert cast.team[3].full_name in page and cast.team[3].email in page
    assert cast.team[2].full_name not in page


def test_the_preview_shows_what_would_go_even_when_reminders_are_off(client, cast):
    ReminderSettingsFactory(programme=cast.programme, enabled=False)
    response = _page(client, cast.ambassador, "reminder_overview", cast)
    assert "voici ce qui partirait si elles étaient activées" in _text(response)
    assert response.context["preview"].total == len(cast.team)


def test_the_preview_is_empty_in_a_quiet_period_and_says_so(client, cast):
    today = timezone.localdate()
    QuietPeriodFactory(
        programme=cast.programme,
        label="Pause",
        start_day=today.day,
        start_month=today.month,
        end_day=today.day,
        end_month=today.month,
    )
    response = _page(client, cast.ambassador, "reminder_preview", cast)
    assert "période sans relance : « Pause »" in _text(response)
    assert response.context["rows"] == []


def test_the_preview_respects_a_quiet_period_over_the_new_year(cast):
    QuietPeriodFactory(
        programme=cast.programme, start_day=20, start_month=12, end_day=3, end_month=1
    )
    _rules, periods = load_rules(cast.programme)
    scope = reminder_scope(cast.ambassador, cast.programme)
    assert preview(cast.programme, scope, datetime.date(2027, 1, 2), periods).total == 0
    assert preview(cast.programme, scope, datetime.date(2026, 12, 21), periods).total == 0
    after = preview(cast.programme, scope, datetime.date(2027, 1, 4), periods)
    assert after.total == len(cast.team) == after.due.count()


def test_the_preview_says_when_the_programme_is_over(client, cast):
    cast.programme.end_date = timezone.localdate() - datetime.timedelta(days=1)
    cast.programme.save()
    response = _page(client, cast.ambassador, "reminder_preview", cast)
    assert "Le programme est terminé" in _text(response)


def test_the_owner_of_a_self_assessment_programme_sees_counts_only(client, cast):
    response = _page(client, cast.owner, "reminder_preview", cast)
    page = _text(response)
    assert response.context["page_obj"] is None
    for agent in cast.team:
        assert agent.full_name not in page and agent.email not in page
    assert response.context["preview"].total == 6
    assert "Programme en auto-positionnement" in page


def test_counts_under_five_are_shown_as_less_than_five_to_the_owner(client, cast):
    for enrolment in cast.population.enrolments.all()[:2]:
        enrolment.end_date = enrolment.start_date + datetime.timedelta(days=1)
        enrolment.save()
    page = _text(_page(client, cast.owner, "reminder_overview", cast))
    assert "moins de 5" in page
    ambassador_page = _text(_page(client, cast.ambassador, "reminder_overview", cast))
    assert "moins de 5" not in ambassador_page


def test_the_owner_of_a_managerial_programme_sees_names(client, managerial_cast):
    cast = managerial_cast
    page = _text(_page(client, cast.owner, "reminder_preview", cast))
    assert all(agent.full_name in page for agent in cast.team)


def test_a_population_ambassador_sees_only_the_agents_of_their_populations(client, cast):
    _population, strangers = _other_population(cast, agents=2)
    page = _text(_page(client, cast.ambassador, "reminder_preview", cast))
    assert all(agent.full_name in page for agent in cast.team)
    assert not any(agent.full_name in page for agent in strangers)
    assert "populations que vous accompagnez" in page


def test_the_programme_ambassadors_and_staff_see_every_population(client, cast):
    _population, strangers = _other_population(cast, agents=2)
    programme_ambassador = UserFactory()
    cast.programme.ambassadors.add(programme_ambassador)
    for user in (programme_ambassador, cast.staff):
        page = _text(_page(client, user, "reminder_preview", cast))
        assert all(agent.full_name in page for agent in [*cast.team, *strangers])


def test_the_preview_is_paginated(client, cast):
    _other_population(cast, agents=50)
    response = _page(client, cast.staff, "reminder_preview", cast)
    assert len(response.context["rows"]) == 50
    second = _page(client, cast.staff, "reminder_preview", cast, page=2)
    assert len(second.context["rows"]) == len(cast.team)


def test_the_next_digest_day_is_the_digest_weekday_after_the_daily_run(cast, settings):
    settings.REMINDER_DIGEST_WEEKDAY, settings.REMINDER_HOUR = 0, 9
    saturday = timezone.make_aware(datetime.datetime(2026, 11, 28, 10))
    monday_early = timezone.make_aware(datetime.datetime(2026, 11, 30, 8))
    monday_late = timezone.make_aware(datetime.datetime(2026, 11, 30, 10))
    assert next_digest_day(cast.programme, saturday) == datetime.date(2026, 11, 30)
    assert next_digest_day(cast.programme, monday_early) == datetime.date(2026, 11, 30)
    assert next_digest_day(cast.programme, monday_late) == datetime.date(2026, 12, 7)
    cast.programme.end_date = datetime.date(2026, 12, 1)
    assert next_digest_day(cast.programme, monday_late) is None


def test_the_overview_says_when_the_next_digest_falls_in_a_quiet_period(client, cast):
    day = next_digest_day(cast.programme)
    QuietPeriodFactory(
        programme=cast.programme,
        label="Hiver",
        start_day=day.day,
        start_month=day.month,
        end_day=day.day,
        end_month=day.month,
    )
    page = _text(_page(client, cast.ambassador, "reminder_overview", cast))
    assert "Prochaine synthèse hebdomadaire" in page
    assert "période sans relance « Hiver » : aucune synthèse ne partira" in page


# --- What was sent ---------------------------------------------------------------------------


def test_the_log_lists_reminders_and_digests_latest_first(client, cast):
    old = ReminderFactory(population=cast.population, agent=cast.team[1])
    Reminder.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=3)
    )
    failed = _failed(cast, agent=cast.team[2])
    digest = DigestFactory(programme=cast.programme, recipient=cast.ambassador)
    response = _page(client, cast.ambassador, "reminder_log", cast)
    rows = response.context["rows"]
    assert [(row.source, row.pk) for row in rows] == [
        ("digest", digest.pk),
        ("reminder", failed.pk),
        ("reminder", old.pk),
    ]
    page = _text(response)
    assert cast.team[2].full_name in page and cast.team[2].email in page
    assert "SMTPServerDisconnected" in page
    assert cast.ambassador.email in page


def test_the_log_is_filtered_by_status_and_kind(client, cast):
    sent = ReminderFactory(population=cast.population, agent=cast.team[1])
    failed = _failed(cast, agent=cast.team[2])
    stalled = ReminderFactory(
        population=cast.population, agent=cast.team[3], kind=ReminderKind.STALLED
    )
    digest = DigestFactory(
        programme=cast.programme, recipient=cast.ambassador, status=OutgoingStatus.FAILED
    )

    def shown(**params):
        response = _page(client, cast.ambassador, "reminder_log", cast, **params)
        return {(row.source, row.pk) for row in response.context["rows"]}

    assert shown(status="failed") == {("reminder", failed.pk), ("digest", digest.pk)}
    assert shown(kind="stalled") == {("reminder", stalled.pk)}
    assert shown(kind="digest_ambassador") == {("digest", digest.pk)}
    assert shown(kind="not_started", status="sent") == {("reminder", sent.pk)}
    assert shown(kind="digest_manager") == set()
    assert len(shown(status="nimporte")) == 4  # an unknown filter filters nothing


def test_the_log_is_paginated(client, cast):
    for agent in cast.team:
        for day in range(10):
            ReminderFactory(
                population=cast.population, agent=agent, period=f"2026-03-{day + 1:02d}"
            )
    response = _page(client, cast.ambassador, "reminder_log", cast)
    assert len(response.context["rows"]) == 50
    assert response.context["page_obj"].paginator.count == 60


def test_the_owner_of_a_self_assessment_programme_sees_counts_per_day_and_status(client, cast):
    for agent in cast.team:
        ReminderFactory(population=cast.population, agent=agent)
    _failed(cast, agent=cast.team[0], period="2026-03-01")
    DigestFactory(programme=cast.programme, recipient=cast.ambassador, status=OutgoingStatus.SENT)
    response = _page(client, cast.owner, "reminder_log", cast)
    page = _text(response)
    assert not any(agent.full_name in page or agent.email in page for agent in cast.team)
    assert cast.ambassador.email not in page
    counts = {(row.source, row.status): row.count for row in response.context["rows"]}
    assert counts == {
        ("reminder", "sent"): 6,
        ("reminder", "failed"): None,  # one: under the privacy minimum
        ("digest", "sent"): 1,
    }
    assert "moins de 5" in page
    assert "Renvoyer" not in page


def test_a_population_ambassador_sees_the_log_of_their_populations_and_their_digests(client, cast):
    population, strangers = _other_population(cast)
    theirs = ReminderFactory(population=population, agent=strangers[0])
    mine = ReminderFactory(population=cast.population, agent=cast.team[0])
    my_digest = DigestFactory(programme=cast.programme, recipient=cast.ambassador)
    DigestFactory(programme=cast.programme, recipient=UserFactory())
    DigestFactory(recipient=cast.ambassador)  # another programme's
    response = _page(client, cast.ambassador, "reminder_log", cast)
    assert {(row.source, row.pk) for row in response.context["rows"]} == {
        ("reminder", mine.pk),
        ("digest", my_digest.pk),
    }
    assert strangers[0].full_name not in _text(response)
    staff_rows = _page(client, cast.staff, "reminder_log", cast).context["rows"]
    assert ("reminder", theirs.pk) in {(row.source, row.pk) for row in staff_rows}


def test_failures_are_shown_at_the_top_with_uncertain_rows_to_check(client, cast):
    failed = _failed(cast)
    stuck = ReminderFactory(
        population=cast.population, agent=cast.team[2], status=OutgoingStatus.SENDING
    )
    Reminder.objects.filter(pk=stuck.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=2)
    )
    ReminderFactory(  # sending right now: not a failure
        population=cast.population, agent=cast.team[3], status=OutgoingStatus.SENDING
    )
    for name in ("reminder_overview", "reminder_log"):
        response = _page(client, cast.ambassador, name, cast)
        failures = response.context["failures"]
        assert (failures.failed, failures.stuck) == (1, 1)
        assert {row.pk for row in failures.rows} == {failed.pk, stuck.pk}
        page = _text(response)
        block = page[
            page.index('id="failures"') : page.index("</section>", page.index('id="failures"'))
        ]
        assert "état incertain : vérifiez avant de renvoyer" in block
        assert _url("reminder_retry", cast, reminder_id=failed.pk) in block
        assert _url("reminder_retry", cast, reminder_id=stuck.pk) not in block


def test_the_owner_of_a_self_assessment_programme_sees_failures_counted_only(client, cast):
    _failed(cast)
    response = _page(client, cast.owner, "reminder_overview", cast)
    assert response.context["failures"].rows == []
    page = _text(response)
    assert "Envois en échec ou en cours depuis plus d’une heure" in page
    assert cast.team[1].full_name not in page


# --- Sending a failed one again --------------------------------------------------------------


@pytest.fixture
def reminders_on(cast):
    return ReminderSettingsFactory(programme=cast.programme)


def test_a_failed_reminder_is_sent_again_through_the_guard(client, cast, reminders_on):
    failed = _failed(cast)
    client.force_login(cast.ambassador)
    back = _url("reminder_log", cast) + "?status=failed"
    response = client.post(_url("reminder_retry", cast, reminder_id=failed.pk), {"next": back})
    assert response.status_code == 302 and response.url == back
    failed.refresh_from_db()
    assert failed.status == OutgoingStatus.SENT and failed.attempts == 2
    assert [message.to for message in mail.outbox] == [[cast.team[1].email]]
    page = _text(client.get(response.url))
    assert "est remise en file d’envoi" in page


def test_a_failed_digest_is_sent_again(client, cast, reminders_on):
    digest = DigestFactory(
        programme=cast.programme,
        recipient=cast.ambassador,
        kind=DigestKind.AMBASSADOR,
        status=OutgoingStatus.FAILED,
    )
    client.force_login(cast.ambassador)
    response = client.post(_url("digest_retry", cast, digest_id=digest.pk))
    assert response.status_code == 302 and response.url == _url("reminder_overview", cast)
    digest.refresh_from_db()
    assert digest.status == OutgoingStatus.SENT
    assert [message.to for message in mail.outbox] == [[cast.ambassador.email]]


def test_a_reminder_no_longer_due_is_cancelled_rather_than_sent(client, cast, reminders_on):
    failed = _failed(cast)
    reminders_on.enabled = False
    reminders_on.save()
    client.force_login(cast.ambassador)
    client.post(_url("reminder_retry", cast, reminder_id=failed.pk))
    failed.refresh_from_db()
    assert failed.status == OutgoingStatus.CANCELLED and mail.outbox == []


@pytest.mark.parametrize(
    "status", [OutgoingStatus.SENT, OutgoingStatus.PENDING, OutgoingStatus.SENDING]
)
def test_only_a_failed_reminder_may_be_sent_again(client, cast, reminders_on, status):
    row = ReminderFactory(population=cast.population, agent=cast.team[1], status=status)
    client.force_login(cast.ambassador)
    assert client.post(_url("reminder_retry", cast, reminder_id=row.pk)).status_code == 404
    row.refresh_from_db()
    assert row.status == status and mail.outbox == []


def test_another_programme_failed_rows_cannot_be_sent_again(client, cast, reminders_on):
    other = ReminderSettingsFactory(programme=cast.other_population.programme).programme
    reminder = ReminderFactory(
        population=cast.other_population,
        agent=cast.stranger_agent,
        status=OutgoingStatus.FAILED,
    )
    digest = DigestFactory(programme=other, recipient=cast.ambassador, status=OutgoingStatus.FAILED)
    client.force_login(cast.ambassador)
    assert client.post(_url("reminder_retry", cast, reminder_id=reminder.pk)).status_code == 404
    assert client.post(_url("digest_retry", cast, digest_id=digest.pk)).status_code == 404
    other_slug = {"slug": other.slug, "reminder_id": reminder.pk}
    assert client.post(reverse("programmes:reminder_retry", kwargs=other_slug)).status_code == 404
    assert mail.outbox == []


def test_a_population_ambassador_cannot_send_again_outside_their_populations(
    client, cast, reminders_on
):
    population, strangers = _other_population(cast)
    reminder = ReminderFactory(
        population=population, agent=strangers[0], status=OutgoingStatus.FAILED
    )
    digest = DigestFactory(
        programme=cast.programme, recipient=UserFactory(), status=OutgoingStatus.FAILED
    )
    client.force_login(cast.ambassador)
    assert client.post(_url("reminder_retry", cast, reminder_id=reminder.pk)).status_code == 404
    assert client.post(_url("digest_retry", cast, digest_id=digest.pk)).status_code == 404
    assert mail.outbox == []


def test_the_owner_of_a_self_assessment_programme_cannot_send_again(client, cast, reminders_on):
    failed = _failed(cast)
    client.force_login(cast.owner)
    assert client.post(_url("reminder_retry", cast, reminder_id=failed.pk)).status_code == 403
    assert mail.outbox == []


def test_the_owner_of_a_managerial_programme_may_send_again(client, managerial_cast):
    cast = managerial_cast
    ReminderSettingsFactory(programme=cast.programme)
    failed = _failed(cast)
    client.force_login(cast.owner)
    client.post(_url("reminder_retry", cast, reminder_id=failed.pk))
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("role", ["manager", "agent", "outsider"])
def test_those_outside_the_programme_cannot_send_again(client, cast, reminders_on, role):
    failed = _failed(cast)
    client.force_login(getattr(cast, role))
    assert client.post(_url("reminder_retry", cast, reminder_id=failed.pk)).status_code == 404
    assert mail.outbox == []


def test_a_retry_never_goes_back_to_another_site(client, cast, reminders_on):
    failed = _failed(cast)
    client.force_login(cast.ambassador)
    response = client.post(
        _url("reminder_retry", cast, reminder_id=failed.pk),
        {"next": "https://ailleurs.example/programmes/"},
    )
    assert response.url == _url("reminder_overview", cast)


# --- Query counts ----------------------------------------------------------------------------


def _fill(cast, n):
    """n more not-started agents in the cast's population, with sent and failed reminders
    and digests."""
    for _ in range(n):
        agent = AgentFactory()
        EnrolmentFactory(agent=agent, population=cast.population)
        ReminderFactory(population=cast.population, agent=agent, period="2026-03-01")
        _failed(cast, agent=agent)
        DigestFactory(
            programme=cast.programme, recipient=UserFactory(), status=OutgoingStatus.FAILED
        )
        DigestFactory(programme=cast.programme, recipient=cast.ambassador, period=f"{agent.pk}")


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [
        # Who sees the whole programme reads its populations' ids first (selectors.preview);
        # the due of both kinds are counted in one query (selection.due_counts).
        ("reminder_overview", "ambassador", 14),
        ("reminder_overview", "owner", 13),
        ("reminder_overview", "staff", 12),
        ("reminder_preview", "ambassador", 15),
        ("reminder_preview", "owner", 10),
        ("reminder_preview", "staff", 13),
        ("reminder_log", "ambassador", 15),
        ("reminder_log", "owner", 11),
        ("reminder_log", "staff", 12),
    ],
)
def test_reminder_pages_query_count_is_pinned_and_does_not_grow(
    client, cast, django_assert_num_queries, name, role, expected
):
    ReminderSettingsFactory(programme=cast.programme, updated_by=cast.owner)
    QuietPeriodFactory(programme=cast.programme)
    _fill(cast, 1)
    client.force_login(getattr(cast, role))
    url = _url(name, cast)
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200
    _fill(cast, 30)
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200
