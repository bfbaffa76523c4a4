"""URL x role expectations of the resources pages, merged into tests/test_url_matrix.py."""

from tests.matrix.roles import ROLES


def _logged_in(status, anonymous=302, **overrides):
    # A copy of tests/test_url_matrix.py's helper: that module imports this one.
    expected = dict.fromkeys(ROLES, status)
    expected["anonymous"] = anonymous
    expected.update(overrides)
    return expected


def _resource(cast, programme=None):
    """A resource of the cast's programme (or of `programme`), made once per test."""
    from tests.programmes.factories_accompaniment import ResourceFactory

    programme = programme or cast.programme
    made = cast.__dict__.setdefault("_resources", {})
    if programme.pk not in made:
        made[programme.pk] = ResourceFactory(programme=programme, competences=["1.1"])
    return made[programme.pk]


def _other(cast):
    return cast.other_population.programme


def _slug(cast):
    return {"slug": cast.programme.slug}


def _resource_kwargs(cast):
    return {"slug": cast.programme.slug, "pk": _resource(cast).pk}


# The catalogue is managed by the programme's owners, its ambassadors (of the programme or of
# a population) and staff: the same people who see the programme, so others get 404.
CATALOGUE_MANAGERS = _logged_in(404, owner=200, ambassador=200, single_ambassador=200, staff=200)

# name -> (kwargs builder, expected status per role); see tests/test_url_matrix.py
APP_MATRIX = {
    "programmes:resource_list": (_slug, CATALOGUE_MANAGERS),
    "programmes:resource_create": (_slug, CATALOGUE_MANAGERS),
    "programmes:resource_edit": (_resource_kwargs, CATALOGUE_MANAGERS),
    "programmes:resource_export": (_slug, CATALOGUE_MANAGERS),
    "programmes:resource_import": (_slug, CATALOGUE_MANAGERS),
    # Writes are POST only: a GET is refused before anything else.
    "programmes:resource_retire": (_resource_kwargs, _logged_in(405)),
    "programmes:resource_restore": (_resource_kwargs, _logged_in(405)),
    "programmes:resource_mark": (lambda c: {"pk": _resource(c).pk}, _logged_in(405)),
}

# (name, kwargs builder) of objects outside every non-staff role's scope: 404 expected
IDOR_MATRIX = [
    *[
        (f"programmes:{name}", lambda c: {"slug": _other(c).slug})
        for name in ("resource_list", "resource_create", "resource_export", "resource_import")
    ],
    # Another programme's resource, under this programme's slug or its own; an unknown one.
    (
        "programmes:resource_edit",
        lambda c: {"slug": c.programme.slug, "pk": _resource(c, _other(c)).pk},
    ),
    (
        "programmes:resource_edit",
        lambda c: {"slug": _other(c).slug, "pk": _resource(c, _other(c)).pk},
    ),
    ("programmes:resource_edit", lambda c: {"slug": c.programme.slug, "pk": 999999}),
]
