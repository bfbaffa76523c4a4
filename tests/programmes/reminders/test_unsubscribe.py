"""The unsubscribe link of the reminders: public, signed, one-click, honoured at once."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from programmes.enums import OutgoingStatus, ReminderKind
from programmes.models import Reminder, ReminderOptOut
from programmes.reminders.emails import reminder_message, unsubscribe_token
from programmes.reminders.services import reminder_send, reminders_run
from tests.programmes.factories_reminders import ReminderFactory, ReminderSettingsFactory

ONE_CLICK = "List-Unsubscribe=One-Click"
FORM = "application/x-www-form-urlencoded"
# Enrolled on 2026-01-05, the cast's agents are due their first reminder from the 19th.
DAY = datetime.date(2026, 2, 3)


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


def _url(cast, token=None):
    token = token or unsubscribe_token(cast.agent_agent.pk, cast.programme.pk)
    return reverse("programmes:reminder_unsubscribe", kwargs={"token": token})


def _opted_out(cast):
    return ReminderOptOut.objects.filter(agent=cast.agent_agent, programme=cast.programme).exists()


@pytest.mark.django_db
def test_unsubscribe_page_names_the_agent_and_programme_without_login(cast, csrf_client):
    response = csrf_client.get(_url(cast))

    assert response.status_code == 200
    page = response.content.decode()
    assert cast.agent_agent.full_name in page
    assert "Programme Pix DR" in page
    assert "Ne plus recevoir de relances" in page
    assert 'method="post"' in page
    assert "csrfmiddlewaretoken" in page
    assert not _opted_out(cast)  # a GET changes nothing


@pytest.mark.django_db
def test_unsubscribe_button_stops_the_reminders_and_confirms(cast, csrf_client):
    url = _url(cast)
    csrf_client.get(url)
    token = csrf_client.cookies["csrftoken"].value

    response = csrf_client.post(url, {"csrfmiddlewaretoken": token})

    assert response.status_code == 200
    assert "Désabonnement enregistré" in response.content.decode()
    assert _opted_out(cast)


@pytest.mark.django_db
def test_unsubscribe_form_post_without_csrf_token_is_refused(cast, csrf_client):
    response = csrf_client.post(_url(cast), {})

    assert response.status_code == 403
    assert not _opted_out(cast)


@pytest.mark.django_db
def test_one_click_post_from_a_mail_client_unsubscribes_without_csrf_token(cast, csrf_client):
    response = csrf_client.post(_url(cast), ONE_CLICK, content_type=FORM)

    assert response.status_code == 200
    assert _opted_out(cast)


@pytest.mark.django_db
def test_unsubscribing_twice_keeps_one_opt_out(cast, csrf_client):
    csrf_client.post(_url(cast), ONE_CLICK, content_type=FORM)
    response = csrf_client.post(_url(cast), ONE_CLICK, content_type=FORM)

    assert response.status_code == 200
    assert ReminderOptOut.objects.filter(agent=cast.agent_agent).count() == 1


@pytest.mark.django_db
def test_unsubscribe_page_says_when_the_agent_already_unsubscribed(cast, csrf_client):
    csrf_client.post(_url(cast), ONE_CLICK, content_type=FORM)

    page = csrf_client.get(_url(cast)).content.decode()

    assert "Vous êtes déjà désabonné·e" in page
    assert 'method="post"' not in page


@pytest.mark.django_db
def test_unsubscribe_stops_only_that_programmes_reminders(cast, csrf_client):
    other = cast.other_population.programme
    csrf_client.post(_url(cast), ONE_CLICK, content_type=FORM)

    assert not ReminderOptOut.objects.filter(agent=cast.agent_agent, programme=other).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # signature changed
        lambda token: "eyJhIjoyLCJwIjoxfQ" + token[token.index(":") :],  # payload changed
        lambda token: token.split(":")[0],  # signature cut off
        lambda token: "n-importe-quoi",
    ],
)
def test_tampered_token_answers_a_clear_page_and_changes_nothing(cast, csrf_client, mangle):
    token = mangle(unsubscribe_token(cast.agent_agent.pk, cast.programme.pk))

    shown = csrf_client.get(_url(cast, token))
    posted = csrf_client.post(_url(cast, token), ONE_CLICK, content_type=FORM)

    for response in (shown, posted):
        assert response.status_code == 400
        assert "Lien de désabonnement invalide" in response.content.decode()
    assert not ReminderOptOut.objects.exists()


@pytest.mark.django_db
def test_token_signed_for_another_purpose_is_refused(cast, csrf_client):
    from django.core import signing

    token = signing.Signer(salt="autre").sign_object(
        {"a": cast.agent_agent.pk, "p": cast.programme.pk}
    )

    response = csrf_client.post(_url(cast, token), ONE_CLICK, content_type=FORM)

    assert response.status_code == 400
    assert not ReminderOptOut.objects.exists()


def _signed_at(monkeypatch, moment: datetime.datetime, make):
    """What `make()` returns with the clock of the signer at `moment`."""
    from django.core import signing

    with monkeypatch.context() as patch:
        patch.setattr(signing.time, "time", moment.timestamp)
        return make()


@pytest.mark.django_db
def test_a_link_younger_than_a_year_still_unsubscribes(cast, csrf_client, monkeypatch):
    old = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=360)
    token = _signed_at(
        monkeypatch, old, lambda: unsubscribe_token(cast.agent_agent.pk, cast.programme.pk)
    )

    response = csrf_client.post(_url(cast, token), ONE_CLICK, content_type=FORM)

    assert response.status_code == 200
    assert _opted_out(cast)


@pytest.mark.django_db
def test_a_link_older_than_a_year_has_expired_with_a_clear_page(cast, csrf_client, monkeypatch):
    old = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=370)
    token = _signed_at(
        monkeypatch, old, lambda: unsubscribe_token(cast.agent_agent.pk, cast.programme.pk)
    )

    shown = csrf_client.get(_url(cast, token))
    posted = csrf_client.post(_url(cast, token), ONE_CLICK, content_type=FORM)

    for response in (shown, posted):
        assert response.status_code == 410
        page = response.content.decode()
        assert "Lien de désabonnement expiré" in page
        assert "dernière relance" in page
    assert not _opted_out(cast)


def _undated_token(cast):
    """A link sent before links expired: signed without a date."""
    from django.core import signing

    from programmes.reminders.emails import UNSUBSCRIBE_SALT

    payload = {"a": cast.agent_agent.pk, "p": cast.programme.pk}
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object(payload)


@pytest.mark.django_db
def test_a_link_sent_before_links_expired_still_unsubscribes_for_a_year(cast, csrf_client):
    response = csrf_client.post(_url(cast, _undated_token(cast)), ONE_CLICK, content_type=FORM)

    assert response.status_code == 200
    assert _opted_out(cast)


@pytest.mark.django_db
def test_a_link_sent_before_links_expired_expires_at_the_end_of_the_transition(
    cast, csrf_client, monkeypatch
):
    from programmes.reminders import emails

    monkeypatch.setattr(emails, "UNDATED_LINKS_VALID_UNTIL", datetime.date(2020, 1, 1))

    response = csrf_client.get(_url(cast, _undated_token(cast)))

    assert response.status_code == 410
    assert "Lien de désabonnement expiré" in response.content.decode()


@pytest.mark.django_db
def test_token_of_an_agent_that_no_longer_exists_is_refused(cast, csrf_client):
    token = unsubscribe_token(cast.agent_agent.pk + 1000, cast.programme.pk)

    assert csrf_client.get(_url(cast, token)).status_code == 400


@pytest.mark.django_db
def test_link_of_a_real_reminder_unsubscribes_in_one_click(cast, csrf_client, settings):
    settings.SITE_URL = "https://pix.exemple.gouv.fr"
    reminder = ReminderFactory(agent=cast.agent_agent, population=cast.population)
    header = reminder_message(reminder).extra_headers["List-Unsubscribe"]
    path = header.strip("<>").removeprefix(settings.SITE_URL)

    response = csrf_client.post(path, ONE_CLICK, content_type=FORM)

    assert response.status_code == 200
    assert _opted_out(cast)


@pytest.mark.django_db
def test_unsubscribing_cancels_a_claimed_reminder_and_later_runs_send_nothing(
    cast, csrf_client, mailoutbox
):
    ReminderSettingsFactory(programme=cast.programme, digest_ambassadors=False)
    reminders_run(day=DAY, send=False)
    claimed = Reminder.objects.get(agent=cast.agent_agent)
    assert claimed.status == OutgoingStatus.PENDING

    csrf_client.post(_url(cast), ONE_CLICK, content_type=FORM)

    claimed.refresh_from_db()
    assert claimed.status == OutgoingStatus.CANCELLED
    reminders_run(day=DAY)
    for weeks in (2, 4, 6):
        reminders_run(day=DAY + datetime.timedelta(weeks=weeks))
    mine = [m for m in mailoutbox if m.to == [cast.agent_agent.email]]
    assert mine == []
    colleague = cast.team[1].email
    assert len([m for m in mailoutbox if m.to == [colleague]]) == 3  # the others still are


@pytest.mark.django_db
def test_a_failed_reminder_retried_after_unsubscribing_is_not_sent(cast, csrf_client, mailoutbox):
    ReminderSettingsFactory(programme=cast.programme)
    failed = ReminderFactory(
        agent=cast.agent_agent,
        population=cast.population,
        kind=ReminderKind.NOT_STARTED,
        period=DAY.isoformat(),
        status=OutgoingStatus.FAILED,
        attempts=1,
    )
    csrf_client.post(_url(cast), ONE_CLICK, content_type=FORM)

    outcome = reminder_send(reminder_id=failed.pk, today=DAY)

    assert outcome == OutgoingStatus.CANCELLED
    assert mailoutbox == []
