"""URL x role expectations of the reminders pages, merged into tests/test_url_matrix.py."""

from tests.matrix.roles import ROLES


def _unsubscribe_kwargs(cast):
    """The agent's signed unsubscribe link: public, whoever follows it."""
    from programmes.reminders.emails import unsubscribe_token

    return {"token": unsubscribe_token(cast.agent_agent.pk, cast.programme.pk)}


# name -> (kwargs builder, expected status per role); see tests/test_url_matrix.py
APP_MATRIX = {}
# The unsubscribe page: the signed token is the authority, no login needed.
APP_MATRIX["programmes:reminder_unsubscribe"] = (_unsubscribe_kwargs, dict.fromkeys(ROLES, 200))
# (name, kwargs builder) of objects outside every non-staff role's scope: 404 expected
IDOR_MATRIX = []


# --- The programme's reminders pages (programmes/reminders/views.py) --------------------------


def _expected(status, anonymous=302, **overrides):
    expected = dict.fromkeys(ROLES, status)
    expected["anonymous"] = anonymous
    expected.update(overrides)
    return expected


def _slug(cast):
    return {"slug": cast.programme.slug}


def _other_slug(cast):
    return {"slug": cast.other_population.programme.slug}


def _quiet_period_kwargs(cast):
    from tests.programmes.factories_reminders import QuietPeriodFactory

    return {
        "slug": cast.programme.slug,
        "period_id": QuietPeriodFactory(programme=cast.programme).pk,
    }


def _failed_reminder_kwargs(cast):
    from programmes.enums import OutgoingStatus
    from tests.programmes.factories_reminders import ReminderFactory

    reminder = ReminderFactory(
        population=cast.population, agent=cast.team[1], status=OutgoingStatus.FAILED
    )
    return {"slug": cast.programme.slug, "reminder_id": reminder.pk}


def _failed_digest_kwargs(cast):
    from programmes.enums import OutgoingStatus
    from tests.programmes.factories_reminders import DigestFactory

    digest = DigestFactory(
        programme=cast.programme, recipient=cast.ambassador, status=OutgoingStatus.FAILED
    )
    return {"slug": cast.programme.slug, "digest_id": digest.pk}


def _due_agent_kwargs(cast):
    """An agent of the cast's population who would be reminded today (not started)."""
    return {"slug": cast.programme.slug, "agent_id": cast.team[1].pk}


# Whoever sees the programme reads its reminders pages (owners, ambassadors, staff; names
# only within their scope); others 404.
REMINDER_READERS = _expected(404, owner=200, ambassador=200, single_ambassador=200, staff=200)

APP_MATRIX.update(
    {
        "programmes:reminder_overview": (_slug, REMINDER_READERS),
        "programmes:reminder_preview": (_slug, REMINDER_READERS),
        "programmes:reminder_log": (_slug, REMINDER_READERS),
        # One agent's e-mail: those who see the agent by name in the preview (not the owner
        # of a self-assessment programme, nor the ambassador of another population).
        "programmes:reminder_preview_email": (
            _due_agent_kwargs,
            _expected(404, ambassador=200, staff=200),
        ),
        # Writes are POST only: a GET is refused before anything else.
        "programmes:reminder_rules": (_slug, _expected(405)),
        "programmes:quiet_period_add": (_slug, _expected(405)),
        "programmes:quiet_period_delete": (_quiet_period_kwargs, _expected(405)),
        "programmes:reminder_retry": (_failed_reminder_kwargs, _expected(405)),
        "programmes:digest_retry": (_failed_digest_kwargs, _expected(405)),
    }
)
# Another programme's reminders pages, and a programme that does not exist (the writes'
# IDOR cases, by POST, are in tests/programmes/test_reminder_pages.py).
IDOR_MATRIX += [
    ("programmes:reminder_overview", _other_slug),
    ("programmes:reminder_preview", _other_slug),
    ("programmes:reminder_log", _other_slug),
    ("programmes:reminder_preview_email", lambda c: {**_other_slug(c), "agent_id": c.team[1].pk}),
    ("programmes:reminder_overview", lambda c: {"slug": "nulle-part"}),
]
