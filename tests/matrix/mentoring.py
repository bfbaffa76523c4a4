"""URL x role expectations of the mentoring pages, merged into tests/test_url_matrix.py."""

from tests.matrix.roles import ROLES


def _expected(status, anonymous=302, **overrides):
    expected = dict.fromkeys(ROLES, status)
    expected["anonymous"] = anonymous
    expected.update(overrides)
    return expected


def _slug(cast):
    return {"slug": cast.programme.slug}


def _other_slug(cast):
    return {"slug": cast.other_population.programme.slug}


def _request(cast, programme=None, mentee=None):
    """A pending request of the cast's programme (or of `programme`), made once per test."""
    from tests.programmes.factories_accompaniment import MentoringFactory

    programme = programme or cast.programme
    made = cast.__dict__.setdefault("_mentorings", {})
    if programme.pk not in made:
        made[programme.pk] = MentoringFactory(programme=programme, mentee=mentee or cast.team[1])
    return made[programme.pk]


def _request_kwargs(cast):
    return {"slug": cast.programme.slug, "mentoring_id": _request(cast).pk}


# The pairing pages: the programme's ambassadors (of the programme or of one of its
# populations) and staff; the owner sees the programme but does not pair (403); others 404.
PAIRERS_ONLY = _expected(404, owner=403, ambassador=200, single_ambassador=200, staff=200)

# name -> (kwargs builder, expected status per role); see tests/test_url_matrix.py
APP_MATRIX = {
    "programmes:mentoring_list": (_slug, PAIRERS_ONLY),
    "programmes:mentor_list": (_slug, PAIRERS_ONLY),
    # Writes are POST only: a GET is refused before anything else.
    "programmes:mentoring_pair": (_request_kwargs, _expected(405)),
    "programmes:mentoring_end": (_request_kwargs, _expected(405)),
    "programmes:my_mentor_volunteer": (_slug, _expected(405)),
    "programmes:my_mentor_withdraw": (_slug, _expected(405)),
    "programmes:my_mentoring_request": (_slug, _expected(405)),
    "programmes:my_mentoring_cancel": (_slug, _expected(405)),
}
# (name, kwargs builder) of objects outside every non-staff role's scope: 404 expected
IDOR_MATRIX = [
    ("programmes:mentoring_list", _other_slug),
    ("programmes:mentor_list", _other_slug),
    ("programmes:mentoring_list", lambda c: {"slug": "nulle-part"}),
]
