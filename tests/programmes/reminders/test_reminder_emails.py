"""The reminder and digest e-mails: what they say, to whom, and the links they carry."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from programmes.enums import DigestKind, OutgoingStatus, ReminderKind
from programmes.reminders.emails import (
    DIGEST_CAP,
    digest_message,
    read_unsubscribe_token,
    reminder_message,
)
from programmes.reminders.services import reminders_run
from tests.agents.factories import AgentFactory, UserFactory
from tests.campaigns.factories import CampaignFactory
from tests.programmes.factories import EnrolmentFactory, TargetFactory, TargetPopulationFactory
from tests.programmes.factories_accompaniment import competence, share_levels
from tests.programmes.factories_reminders import (
    DigestFactory,
    ReminderFactory,
    ReminderSettingsFactory,
)

SITE = "https://pix.exemple.gouv.fr"
# A Monday (the digest weekday by default) of ISO week 2026-S48, and that week's period.
MONDAY = datetime.date(2026, 11, 23)
WEEK = "2026-S48"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE
    settings.DEFAULT_FROM_EMAIL = "Pilote Pix <pix@exemple.gouv.fr>"
    settings.REMINDER_DIGEST_WEEKDAY = 0


@pytest.fixture
def campaign(cast):
    campaign = CampaignFactory()
    cast.programme.campaigns.add(campaign)
    return campaign


def _reminder(cast, agent=None, kind=ReminderKind.NOT_STARTED, **kwargs):
    return ReminderFactory(
        agent=agent or cast.agent_agent,
        population=cast.population,
        kind=kind,
        status=OutgoingStatus.PENDING,
        **kwargs,
    )


def _html(message):
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def _parts(message):
    """The text and the HTML part, for checks that hold in both."""
    return [message.body, _html(message)]


def _french(text):
    """Apostrophes as the HTML part escapes them, to compare both parts alike."""
    return text.replace("&#x27;", "'")


# --- The reminder -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_reminder_goes_to_the_agent_from_the_site_with_a_short_kind_subject(cast):
    message = reminder_message(_reminder(cast))

    assert message.to == [cast.agent_agent.email]
    assert message.from_email == "Pilote Pix <pix@exemple.gouv.fr>"
    assert message.subject == "Pix : où en êtes-vous ?"


@pytest.mark.django_db
def test_not_started_reminder_greets_the_agent_by_first_name_and_says_they_have_not_started(cast):
    message = reminder_message(_reminder(cast))

    for part in _parts(message):
        part = _french(part)
        assert f"Bonjour {cast.agent_agent.first_name}," in part
        assert "vous n'avez pas encore commencé votre parcours Pix" in part
        assert "pas progressé" not in part


@pytest.mark.django_db
def test_stalled_reminder_says_since_when_the_agent_has_not_progressed(cast, campaign):
    share_levels(cast.agent_agent, campaign, {"1.1": 1}, days_ago=45)
    last = share_levels(cast.agent_agent, campaign, {"1.1": 2}, days_ago=40)
    message = reminder_message(_reminder(cast, kind=ReminderKind.STALLED))

    with translation.override("fr"):
        day = date_format(timezone.localdate(last.last_progress_at), "j F Y")
    for part in _parts(message):
        part = _french(part)
        assert "Vous avez bien commencé" in part
        assert f"vous n'avez pas progressé depuis le {day}." in part
        assert "pas encore commencé" not in part


@pytest.mark.django_db
def test_next_target_is_the_first_competence_whose_level_target_is_not_met(cast, campaign):
    TargetFactory(population=cast.population, competence=competence("2.1"), level=2)
    share_levels(cast.agent_agent, campaign, {"1.1": 4, "2.1": 1})
    message = reminder_message(_reminder(cast, kind=ReminderKind.STALLED))

    name = competence("2.1").name
    for part in _parts(message):
        assert f"2.1 {name} : niveau 2 visé, vous êtes au niveau 1." in _french(part)
        assert "1.1 " not in part


@pytest.mark.django_db
def test_next_target_follows_the_referential_order(cast, campaign):
    TargetFactory(population=cast.population, competence=competence("2.1"), level=2)
    share_levels(cast.agent_agent, campaign, {"1.1": 1, "2.1": 1})
    message = reminder_message(_reminder(cast, kind=ReminderKind.STALLED))

    name = competence("1.1").name
    assert f"1.1 {name} : niveau 3 visé, vous êtes au niveau 1." in message.body


@pytest.mark.django_db
def test_next_target_without_any_shared_level_says_so(cast):
    message = reminder_message(_reminder(cast))

    name = competence("1.1").name
    for part in _parts(message):
        assert f"1.1 {name} : niveau 3 visé, pas encore de niveau partagé." in _french(part)


@pytest.mark.django_db
def test_reminder_links_to_the_agents_own_page_on_the_site(cast):
    message = reminder_message(_reminder(cast))

    url = SITE + reverse("programmes:my_page")
    assert url in message.body
    assert f'href="{url}"' in _html(message)


@pytest.mark.django_db
def test_reminder_names_the_populations_ambassador_and_replies_to_them(cast):
    message = reminder_message(_reminder(cast))

    ambassador = cast.ambassador
    for part in _parts(message):
        assert ambassador.get_full_name() in part
        assert ambassador.email in part
    assert f'href="mailto:{ambassador.email}"' in _html(message)
    assert message.reply_to == [ambassador.email]


@pytest.mark.django_db
def test_reminder_names_the_programmes_ambassador_when_the_population_has_none(cast):
    cast.population.ambassadors.clear()
    helper = UserFactory(email="referente@exemple.gouv.fr", first_name="Inès", last_name="Roy")
    cast.programme.ambassadors.add(helper)
    message = reminder_message(_reminder(cast))

    assert "Inès Roy <referente@exemple.gouv.fr>" in message.body
    assert message.reply_to == ["referente@exemple.gouv.fr"]


@pytest.mark.django_db
def test_reminder_prefers_the_populations_ambassador_to_the_programmes(cast):
    cast.programme.ambassadors.add(UserFactory(email="referente@exemple.gouv.fr"))
    message = reminder_message(_reminder(cast))

    assert "referente@exemple.gouv.fr" not in message.body
    assert message.reply_to == [cast.ambassador.email]


@pytest.mark.django_db
def test_reminder_without_any_ambassador_says_to_contact_the_programme(cast):
    cast.population.ambassadors.clear()
    message = reminder_message(_reminder(cast))

    for part in _parts(message):
        assert "Contactez l'équipe du programme" in _french(part)
    assert message.reply_to == []


@pytest.mark.django_db
def test_reminder_tells_that_in_self_assessment_only_the_agent_and_ambassador_see_results(cast):
    message = reminder_message(_reminder(cast))

    for part in _parts(message):
        assert "seuls vous et votre ambassadeur·rice voyez vos résultats individuels" in part


@pytest.mark.django_db
def test_reminder_in_self_assessment_says_sharing_opens_results_to_the_direct_manager(cast):
    message = reminder_message(_reminder(cast))

    for part in _parts(message):
        assert "et votre encadrant direct si vous choisissez de les partager avec lui" in part


@pytest.mark.django_db
def test_reminder_tells_that_in_a_managerial_programme_the_manager_line_sees_results(
    managerial_cast,
):
    message = reminder_message(_reminder(managerial_cast))

    assert "votre ligne hiérarchique" in message.body
    assert "seuls vous" not in message.body


@pytest.mark.django_db
def test_reminder_carries_a_signed_unsubscribe_link_and_one_click_headers(cast):
    message = reminder_message(_reminder(cast))

    header = message.extra_headers["List-Unsubscribe"]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(.+)>", header).group(1)
    assert url.startswith(SITE + "/desabonnement/")
    assert url in message.body
    assert f'href="{url}"' in _html(message)
    token = url.removeprefix(SITE + "/desabonnement/").rstrip("/")
    assert read_unsubscribe_token(token) == (cast.agent_agent.pk, cast.programme.pk)


@pytest.mark.django_db
def test_reminder_headers_survive_into_the_sent_message(cast):
    sent = reminder_message(_reminder(cast)).message()

    assert sent["List-Unsubscribe"].startswith(f"<{SITE}/desabonnement/")
    assert sent["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert sent["Reply-To"] == cast.ambassador.email


@pytest.mark.django_db
def test_reminder_html_escapes_names_the_text_part_keeps_them(cast):
    cast.agent_agent.first_name = "<b>Zoé</b>"
    cast.agent_agent.save()
    message = reminder_message(_reminder(cast))

    assert "Bonjour <b>Zoé</b>," in message.body
    assert "<b>Zoé</b>" not in _html(message)
    assert "&lt;b&gt;Zoé&lt;/b&gt;" in _html(message)


@pytest.mark.django_db
def test_daily_run_mails_each_due_agent_their_own_reminder(cast, mailoutbox):
    ReminderSettingsFactory(programme=cast.programme, digest_ambassadors=False)

    outcome = reminders_run(day=datetime.date(2026, 2, 3))

    assert outcome["reminders"] == len(cast.team)
    assert sorted(m.to[0] for m in mailoutbox) == sorted(a.email for a in cast.team)
    [mine] = [m for m in mailoutbox if m.to == [cast.agent_agent.email]]
    assert f"Bonjour {cast.agent_agent.first_name}," in mine.body
    assert "pas encore commencé" in mine.body
    assert mine.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


# --- The digest -------------------------------------------------------------------------------


def _enrol(population, n=1, **agent_fields):
    agents = AgentFactory.create_batch(n, **agent_fields)
    for agent in agents:
        EnrolmentFactory(agent=agent, population=population)
    return agents


def _digest(cast, recipient=None, kind=DigestKind.AMBASSADOR):
    recipient = recipient or cast.ambassador
    return DigestFactory(programme=cast.programme, recipient=recipient, kind=kind, period=WEEK)


def _stall(cast, agents, campaign, days_ago=60):
    """The agents shared a level long ago (stalled as of MONDAY)."""
    days_ago += (datetime.date.today() - MONDAY).days
    for agent in agents:
        share_levels(agent, campaign, {"1.1": 1}, days_ago=days_ago)


@pytest.mark.django_db
def test_ambassador_digest_counts_then_lists_who_has_not_started_and_who_stalled(cast, campaign):
    stalled = cast.team[:2]
    _stall(cast, stalled, campaign)
    message = digest_message(_digest(cast))

    assert message.to == [cast.ambassador.email]
    assert "Programme Pix DR" in message.subject
    for part in _parts(message):
        part = _french(part)
        assert "pas encore commencé : 4 · à l'arrêt : 2" in part
        assert "Pas encore commencé (4)" in part
        assert "À l'arrêt (2)" in part
        for agent in cast.team:
            assert agent.full_name in part
        assert "Secrétariat général" in part  # their unit
        assert "inscrit·e le 5 janvier 2026" in part
        assert "dernière activité le" in part


@pytest.mark.django_db
def test_ambassador_digest_leaves_out_agents_at_target_or_in_progress(cast, campaign):
    share_levels(cast.team[0], campaign, {"1.1": 3}, days_ago=1)  # target reached
    share_levels(cast.team[1], campaign, {"1.1": 1}, days_ago=1)  # in progress
    message = digest_message(_digest(cast), today=datetime.date.today())

    assert cast.team[0].full_name not in message.body
    assert cast.team[1].full_name not in message.body
    assert "Pas encore commencé (4)" in message.body


@pytest.mark.django_db
def test_ambassador_digest_lists_who_was_reminded_in_the_last_seven_days(cast):
    recent, older = cast.team[0], cast.team[1]
    for agent, day in (
        (recent, MONDAY - datetime.timedelta(days=6)),
        (older, MONDAY - datetime.timedelta(days=7)),
    ):
        ReminderFactory(agent=agent, population=cast.population, period=day.isoformat())
    ReminderFactory(
        agent=cast.team[2],
        population=cast.population,
        period=MONDAY.isoformat(),
        status=OutgoingStatus.FAILED,
    )
    message = digest_message(_digest(cast))

    section = message.body.split("Relancé·e·s ces 7 derniers jours (1)")[1]
    assert (
        f"{recent.full_name} (Secrétariat général) — 17 novembre 2026, pas encore commencé"
        in section
    )
    assert older.full_name not in section
    assert cast.team[2].full_name not in section


@pytest.mark.django_db
def test_ambassador_digest_links_to_the_reminders_page_and_the_population(cast):
    message = digest_message(_digest(cast))

    overview = SITE + reverse("programmes:reminder_overview", kwargs={"slug": cast.programme.slug})
    population = SITE + cast.population.get_absolute_url()
    for part in _parts(message):
        assert overview in part
        assert population in part


@pytest.mark.django_db
def test_population_ambassador_digest_covers_only_their_populations(cast):
    elsewhere = TargetPopulationFactory(programme=cast.programme, name="Informaticiens")
    [hidden] = _enrol(elsewhere)
    message = digest_message(_digest(cast))

    assert hidden.full_name not in message.body
    assert "Informaticiens" not in message.body


@pytest.mark.django_db
def test_programme_ambassador_digest_covers_every_population_of_the_programme(cast):
    elsewhere = TargetPopulationFactory(programme=cast.programme, name="Informaticiens")
    [member] = _enrol(elsewhere)
    [stranger] = _enrol(cast.other_population)
    helper = UserFactory()
    cast.programme.ambassadors.add(helper)
    message = digest_message(_digest(cast, recipient=helper))

    for part in _parts(message):
        assert "Informaticiens" in part and "Assistants" in part
        assert member.full_name in part
        assert cast.agent_agent.full_name in part
        assert stranger.full_name not in part


@pytest.mark.django_db
def test_digest_caps_each_list_and_counts_the_others(cast):
    _enrol(cast.population, DIGEST_CAP + 3 - len(cast.team))
    message = digest_message(_digest(cast))

    text = message.body.split("Pas encore commencé (33)")[1].split("À l'arrêt")[0]
    assert text.count("\n- ") == DIGEST_CAP
    assert "… et 3 autres" in text
    assert "… et 3 autres" in _html(message)


@pytest.mark.django_db
def test_manager_digest_lists_only_their_direct_and_indirect_reports(managerial_cast):
    cast = managerial_cast
    [indirect] = _enrol(cast.population, manager=cast.team[1])
    [not_theirs] = _enrol(cast.population)
    message = digest_message(_digest(cast, recipient=cast.manager, kind=DigestKind.MANAGER))

    for part in _parts(message):
        assert "pour les agents de votre équipe" in part
        for agent in [*cast.team, indirect]:
            assert agent.full_name in part
        assert not_theirs.full_name not in part
        assert "Pas encore commencé (7)" in part
        assert SITE + reverse("programmes:team") in part
        assert "desabonnement" not in part
        overview = reverse("programmes:reminder_overview", kwargs={"slug": cast.programme.slug})
        assert overview not in part


@pytest.mark.django_db
def test_manager_digest_leaves_out_populations_without_any_of_their_reports(managerial_cast):
    cast = managerial_cast
    elsewhere = TargetPopulationFactory(programme=cast.programme, name="Informaticiens")
    _enrol(elsewhere)
    message = digest_message(_digest(cast, recipient=cast.manager, kind=DigestKind.MANAGER))

    assert "Informaticiens" not in message.body
    assert "Assistants" in message.body


@pytest.mark.django_db
def test_manager_digest_without_anyone_to_help_says_so(managerial_cast):
    cast = managerial_cast
    cast.population.enrolments.update(end_date=datetime.date(2026, 3, 1))
    message = digest_message(_digest(cast, recipient=cast.manager, kind=DigestKind.MANAGER))

    for part in _parts(message):
        assert "personne de votre équipe n" in part
        assert "Assistants" not in part


@pytest.mark.django_db
def test_manager_digest_leaves_out_reports_who_left_the_population(managerial_cast):
    cast = managerial_cast
    enrolment = cast.population.enrolments.get(agent=cast.agent_agent)
    enrolment.end_date = datetime.date(2026, 3, 1)
    enrolment.save()
    message = digest_message(_digest(cast, recipient=cast.manager, kind=DigestKind.MANAGER))

    assert cast.agent_agent.full_name not in message.body
    assert "Pas encore commencé (5)" in message.body


@pytest.mark.django_db
def test_manager_digest_reminded_list_is_restricted_to_their_reports(managerial_cast):
    cast = managerial_cast
    [not_theirs] = _enrol(cast.population)
    for agent in (cast.agent_agent, not_theirs):
        ReminderFactory(agent=agent, population=cast.population, period=MONDAY.isoformat())
    message = digest_message(_digest(cast, recipient=cast.manager, kind=DigestKind.MANAGER))

    reminded = message.body.split("Relancé·e·s ces 7 derniers jours (1)")[1]
    assert cast.agent_agent.full_name in reminded
    assert not_theirs.full_name not in message.body


@pytest.mark.django_db
def test_manager_digest_names_nobody_in_a_self_assessment_programme(cast):
    message = digest_message(_digest(cast, recipient=cast.manager, kind=DigestKind.MANAGER))

    for agent in cast.team:
        assert agent.full_name not in message.body


def _digest_queries(cast, n):
    _enrol(cast.population, n - len(cast.team))
    for enrolment in cast.population.enrolments.select_related("agent"):
        ReminderFactory(
            agent=enrolment.agent, population=cast.population, period=MONDAY.isoformat()
        )
    digest = _digest(cast)
    with CaptureQueriesContext(connection) as queries:
        message = digest_message(digest)
    assert f"Pas encore commencé ({n})" in message.body
    return len(queries)


@pytest.mark.django_db
def test_digest_costs_a_fixed_number_of_queries_with_few_agents(cast):
    assert _digest_queries(cast, 6) == 4


@pytest.mark.django_db
def test_digest_costs_a_fixed_number_of_queries_with_many_agents(cast):
    assert _digest_queries(cast, 40) == 4


@pytest.mark.django_db
def test_manager_digest_costs_a_fixed_number_of_queries(managerial_cast):
    cast = managerial_cast
    _enrol(cast.population, 30, manager=cast.manager_agent)
    digest = _digest(cast, recipient=cast.manager, kind=DigestKind.MANAGER)
    with CaptureQueriesContext(connection) as queries:
        message = digest_message(digest)
    assert "Pas encore commencé (36)" in message.body
    assert len(queries) == 4


@pytest.mark.django_db
def test_weekly_run_mails_the_ambassador_a_digest_naming_the_agents_just_reminded(cast, mailoutbox):
    ReminderSettingsFactory(programme=cast.programme)

    reminders_run(day=MONDAY)

    [digest] = [m for m in mailoutbox if m.to == [cast.ambassador.email]]
    assert f"Relancé·e·s ces 7 derniers jours ({len(cast.team)})" in digest.body
    assert f"{cast.agent_agent.full_name} (Secrétariat général) — 23 novembre 2026" in digest.body
