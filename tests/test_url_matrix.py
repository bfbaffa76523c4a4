"""Every URL pattern of the project, for every role of the fixed cast.

The walk fails when a pattern, or a role of a pattern, has no expectation, so a new view
cannot escape the matrix. Application pages are listed one by one; the admin follows one
rule: staff only.

Besides the cast's seven roles (tests/matrix/roles.py), `matrix_cast` brings three that test
the programme's borders. Programme B's owner (`other_owner`) and ambassador
(`other_ambassador`) answer like the outsider on every page of the cast's programme (404),
except the pages that show them their own data, such as the page of the cast's agent, who is
enrolled in B too. `single_ambassador` accompanies another population of the cast's programme:
like the cast's ambassador on the pages any ambassador of the programme may use, like the
outsider (404) on the pages of the cast's population, its agents and its check-ins.

An expectation states the rule, not what the code answers today: where they differ (a leak
being fixed elsewhere), the case is listed in KNOWN_LEAKS and runs as a strict xfail.
"""

import pytest
from django.contrib.admin.sites import site as admin_site
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.matrix import checkins, legal, mentoring, mydata, reminders, resources, reviews
from tests.matrix.roles import ROLES
from tests.programmes.import_factories import programme_import, waiting_participation


@pytest.fixture
def matrix_cast(shared_matrix_cast):
    """Built once for the module's hundreds of cases (tests/conftest.py)."""
    return shared_matrix_cast


LOGIN = "/comptes/connexion/"
# Programme B's people: on the cast's programme, they are outsiders.
PROGRAMME_B_ROLES = ("other_owner", "other_ambassador")


def _all(status):
    return dict.fromkeys(ROLES, status)


def _logged_in(status, anonymous=302, **overrides):
    expected = dict.fromkeys(ROLES, status)
    expected["anonymous"] = anonymous
    expected.update(overrides)
    return expected


def _import(cast, programme=None):
    """An import of the cast's programme (or of `programme`), made once per test."""
    programme = programme or cast.programme
    made = cast.__dict__.setdefault("_imports", {})
    if programme.pk not in made:
        made[programme.pk] = programme_import(programme)
    return made[programme.pk]


def _waiting(cast, programme=None):
    """A participant of the programme's campaigns waiting for an agent, made once per test."""
    programme = programme or cast.programme
    made = cast.__dict__.setdefault("_waiting", {})
    if programme.pk not in made:
        made[programme.pk] = waiting_participation(programme)
    return made[programme.pk]


def _import_kwargs(cast):
    return {"slug": cast.programme.slug, "import_id": _import(cast).pk}


def _uploaded_by_ambassador_kwargs(cast):
    """An import of the cast's programme that the cast's ambassador uploaded."""
    made = cast.__dict__.setdefault("_imports", {})
    if "ambassador" not in made:
        made["ambassador"] = programme_import(cast.programme, uploaded_by=cast.ambassador)
    return {"slug": cast.programme.slug, "import_id": made["ambassador"].pk}


def _waiting_kwargs(cast):
    return {"slug": cast.programme.slug, "participation_id": _waiting(cast).pk}


# Pages of a programme's Pix imports: its owners, its ambassadors (of the programme or of any
# of its populations) and staff; others 404.
IMPORTERS_ONLY = _logged_in(404, owner=200, ambassador=200, single_ambassador=200, staff=200)
# Pages managing a population: its ambassadors, the programme's owners and staff; others
# (the ambassador of another population of the programme too) 404.
POPULATION_MANAGERS = _logged_in(404, owner=200, ambassador=200, staff=200)


def _population_kwargs(cast):
    return {"pk": cast.population.pk}


def _enrolment_kwargs(cast):
    return {"pk": cast.population.pk, "enrolment_id": cast.population.enrolments.first().pk}


# name -> (kwargs builder, expected status per role)
APP_MATRIX = {
    "home": (lambda c: {}, _logged_in(302, outsider=302)),
    "healthz": (lambda c: {}, _all(200)),
    "login": (lambda c: {}, _logged_in(302, anonymous=200)),
    # Logging out is a POST (a GET must not log anyone out).
    "logout": (lambda c: {}, _logged_in(405)),
    # ProConnect is off unless configured (tests/agents/test_proconnect.py covers it on).
    "proconnect_login": (lambda c: {}, _all(404)),
    "proconnect_callback": (lambda c: {}, _all(404)),
    "password_reset": (lambda c: {}, _all(200)),
    "password_reset_done": (lambda c: {}, _all(200)),
    "password_reset_confirm": (lambda c: {"uidb64": "MQ", "token": "bad-token"}, _all(200)),
    "password_reset_complete": (lambda c: {}, _all(200)),
    # The HR list is organisation-wide: staff and « gestionnaires RH » only (the cast has no
    # HR manager: tests/agents/test_import_view.py covers the permission); 403 to owners too.
    "agents:import": (lambda c: {}, _logged_in(403, staff=200)),
    "programmes:programme_list": (lambda c: {}, _logged_in(200)),
    "programmes:programme_detail": (
        lambda c: {"slug": c.programme.slug},
        _logged_in(404, owner=200, ambassador=200, single_ambassador=200, staff=200),
    ),
    "programmes:population_list": (lambda c: {}, _logged_in(200)),
    # The to-do list reads only the populations the user accompanies: empty for the others.
    "programmes:todo": (lambda c: {}, _logged_in(200)),
    # « Importer des résultats Pix »: the one programme's import page (302), the list of them
    # when several (200), 404 to those who import for none.
    "programmes:import_start": (
        lambda c: {},
        _logged_in(
            404,
            owner=302,
            ambassador=302,
            single_ambassador=302,
            other_owner=302,
            other_ambassador=302,
            staff=200,
        ),
    ),
    "programmes:population_detail": (
        lambda c: {"pk": c.population.pk},
        _logged_in(404, owner=200, ambassador=200, staff=200),
    ),
    "programmes:team": (lambda c: {}, _logged_in(200)),
    "programmes:my_page": (lambda c: {}, _logged_in(200)),
    # POST only (an agent's sharing switch): a GET is refused before anything else.
    "programmes:my_sharing": (lambda c: {"slug": c.programme.slug}, _logged_in(405)),
    "programmes:agent_list": (lambda c: {}, _logged_in(200)),
    # The cast's agent: seen by themself, their manager line, whoever accompanies or owns a
    # population they are enrolled in (programme B's people too: the agent is in B), staff;
    # not by the ambassador of a population they are not in.
    "programmes:agent_detail": (
        lambda c: {"pk": c.agent_agent.pk},
        _logged_in(200, outsider=404, single_ambassador=404),
    ),
    "programmes:import_history": (lambda c: {"slug": c.programme.slug}, IMPORTERS_ONLY),
    "programmes:import_upload": (lambda c: {"slug": c.programme.slug}, IMPORTERS_ONLY),
    "programmes:import_detail": (_import_kwargs, IMPORTERS_ONLY),
    # The raw export holds everyone's results: staff and its uploader only; the programme's
    # other importers see the import page but get 403 on the file.
    "programmes:import_file": (
        _uploaded_by_ambassador_kwargs,
        _logged_in(404, owner=403, ambassador=200, single_ambassador=403, staff=200),
    ),
    "programmes:import_errors_csv": (_import_kwargs, IMPORTERS_ONLY),
    # Writes are POST only: a GET is refused before anything else.
    "programmes:import_confirm": (_import_kwargs, _logged_in(405)),
    "programmes:import_cancel": (_import_kwargs, _logged_in(405)),
    "programmes:unmatched_list": (lambda c: {"slug": c.programme.slug}, IMPORTERS_ONLY),
    "programmes:unmatched_detail": (_waiting_kwargs, IMPORTERS_ONLY),
    "programmes:unmatched_match": (_waiting_kwargs, _logged_in(405)),
    "programmes:unmatched_confirm": (_waiting_kwargs, _logged_in(405)),
    "programmes:unmatched_create_agent": (_waiting_kwargs, _logged_in(405)),
    "programmes:unmatched_dismiss": (_waiting_kwargs, _logged_in(405)),
    "programmes:unmatched_restore": (_waiting_kwargs, _logged_in(405)),
    # Managing a population: whoever sees it may change it; creating one is for the
    # programme's owners and ambassadors (the cast's ambassadors only have a population).
    "programmes:population_create": (
        lambda c: {"slug": c.programme.slug},
        _logged_in(404, owner=200, ambassador=403, single_ambassador=403, staff=200),
    ),
    "programmes:population_edit": (_population_kwargs, POPULATION_MANAGERS),
    "programmes:population_targets": (_population_kwargs, POPULATION_MANAGERS),
    "programmes:target_history": (_population_kwargs, POPULATION_MANAGERS),
    "programmes:population_members": (_population_kwargs, POPULATION_MANAGERS),
    "programmes:enrolment_filter": (_population_kwargs, POPULATION_MANAGERS),
    "programmes:enrolment_paste": (_population_kwargs, POPULATION_MANAGERS),
    "programmes:enrolment_end": (_enrolment_kwargs, _logged_in(405)),
    # The owner's dashboard and its exports: whoever sees the programme (owners, ambassadors,
    # staff); the access log is the owners' (and staff's): an ambassador gets 403.
    "programmes:dashboard": (lambda c: {"slug": c.programme.slug}, IMPORTERS_ONLY),
    "programmes:dashboard_export": (
        lambda c: {"slug": c.programme.slug, "fmt": "xlsx"},
        IMPORTERS_ONLY,
    ),
    "programmes:access_log": (
        lambda c: {"slug": c.programme.slug},
        _logged_in(404, owner=200, ambassador=403, single_ambassador=403, staff=200),
    ),
    "programmes:access_log_csv": (
        lambda c: {"slug": c.programme.slug},
        _logged_in(404, owner=200, ambassador=403, single_ambassador=403, staff=200),
    ),
    # The steering committee report (page and PDF): the owners' (and staff's), as the access
    # log; an ambassador, who sees the dashboard, gets 403.
    "programmes:committee_report": (
        lambda c: {"slug": c.programme.slug},
        _logged_in(404, owner=200, ambassador=403, single_ambassador=403, staff=200),
    ),
    "programmes:committee_report_pdf": (
        lambda c: {"slug": c.programme.slug},
        _logged_in(404, owner=200, ambassador=403, single_ambassador=403, staff=200),
    ),
    # The list of agents one by one: not for the owner of a self-assessment programme, nor
    # for the ambassador of another population.
    "programmes:population_export": (
        lambda c: {"pk": c.population.pk, "fmt": "csv"},
        _logged_in(404, owner=403, ambassador=200, staff=200),
    ),
}

# Attempts on objects outside each role's scope (other programmes' ids, other agents' ids).
IDOR_MATRIX = [
    ("programmes:programme_detail", lambda c: {"slug": c.other_population.programme.slug}),
    ("programmes:population_detail", lambda c: {"pk": c.other_population.pk}),
    ("programmes:agent_detail", lambda c: {"pk": c.stranger_agent.pk}),
    ("programmes:population_detail", lambda c: {"pk": 999999}),
    ("programmes:agent_detail", lambda c: {"pk": 999999}),
    # Another programme's import or participant, under this programme's slug or its own.
    *[
        (
            f"programmes:{name}",
            lambda c: {"slug": c.programme.slug, "import_id": _other_import(c).pk},
        )
        for name in ("import_detail", "import_file", "import_errors_csv")
    ],
    *[
        (f"programmes:{name}", lambda c: {"slug": _other(c).slug, "import_id": _other_import(c).pk})
        for name in ("import_detail", "import_file", "import_errors_csv")
    ],
    ("programmes:import_detail", lambda c: {"slug": c.programme.slug, "import_id": 999999}),
    (
        "programmes:unmatched_detail",
        lambda c: {"slug": c.programme.slug, "participation_id": _waiting(c, _other(c)).pk},
    ),
    (
        "programmes:unmatched_detail",
        lambda c: {"slug": _other(c).slug, "participation_id": _waiting(c, _other(c)).pk},
    ),
    ("programmes:import_history", lambda c: {"slug": _other(c).slug}),
    ("programmes:population_create", lambda c: {"slug": _other(c).slug}),
    *[
        (f"programmes:{name}", lambda c: {"pk": c.other_population.pk})
        for name in (
            "population_edit",
            "population_targets",
            "target_history",
            "population_members",
            "enrolment_filter",
            "enrolment_paste",
        )
    ],
    ("programmes:unmatched_list", lambda c: {"slug": _other(c).slug}),
    ("programmes:dashboard", lambda c: {"slug": _other(c).slug}),
    ("programmes:dashboard_export", lambda c: {"slug": _other(c).slug, "fmt": "csv"}),
    ("programmes:access_log", lambda c: {"slug": _other(c).slug}),
    ("programmes:committee_report", lambda c: {"slug": _other(c).slug}),
    ("programmes:committee_report_pdf", lambda c: {"slug": _other(c).slug}),
    ("programmes:access_log_csv", lambda c: {"slug": _other(c).slug}),
    ("programmes:population_export", lambda c: {"pk": c.other_population.pk, "fmt": "xlsx"}),
]


# Each accompaniment feature lists its pages in its own module.
for _feature in (checkins, resources, mentoring, reminders, reviews, mydata, legal):
    APP_MATRIX.update(_feature.APP_MATRIX)
    IDOR_MATRIX.extend(_feature.IDOR_MATRIX)

# (name, role) -> why the page answers otherwise than its expectation today. Each runs as a
# strict xfail: once the leak is fixed, the case passes and must leave this list.
KNOWN_LEAKS: dict = {}


def _other(cast):
    return cast.other_population.programme


def _other_import(cast):
    return _import(cast, _other(cast))


def _walk(patterns, namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            child = f"{namespace}:{entry.namespace}" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, child.strip(":"))
        elif isinstance(entry, URLPattern):
            yield namespace, entry


def all_patterns():
    return list(_walk(get_resolver().url_patterns))


def _client_for(client, cast, role):
    if role != "anonymous":
        client.force_login(getattr(cast, role))
    return client


def test_every_url_pattern_has_an_expectation():
    missing = []
    for namespace, pattern in all_patterns():
        if namespace == "admin":
            continue  # the admin rule below covers every admin pattern
        name = f"{namespace}:{pattern.name}" if namespace else pattern.name
        if name not in APP_MATRIX:
            missing.append(name or str(pattern.pattern))
    assert missing == [], f"URL patterns without an expected answer per role: {missing}"


def test_every_entry_has_an_expectation_for_every_role():
    incomplete = {
        name: sorted(set(ROLES) ^ set(expected))
        for name, (_kwargs_for, expected) in APP_MATRIX.items()
        if set(expected) != set(ROLES)
    }
    assert incomplete == {}, f"roles missing from (or unknown to) the matrix: {incomplete}"


def test_known_leaks_name_matrix_cases():
    assert {name for name, _role in KNOWN_LEAKS} <= set(APP_MATRIX)
    assert {role for _name, role in KNOWN_LEAKS} <= set(ROLES)


def _app_cases():
    for name in sorted(APP_MATRIX):
        for role in ROLES:
            leak = KNOWN_LEAKS.get((name, role))
            marks = [pytest.mark.xfail(strict=True, reason=leak)] if leak else []
            yield pytest.param(name, role, marks=marks, id=f"{name}-{role}")


@pytest.mark.parametrize(("name", "role"), list(_app_cases()))
def test_app_url_answers_each_role_as_expected(client, matrix_cast, name, role):
    cast = matrix_cast
    kwargs_for, expected = APP_MATRIX[name]
    response = _client_for(client, cast, role).get(reverse(name, kwargs=kwargs_for(cast)))
    assert response.status_code == expected[role], (name, role)
    if role == "anonymous" and expected[role] == 302:
        assert response.url.startswith(LOGIN)


@pytest.mark.parametrize("role", [r for r in ROLES if r not in ("anonymous", "staff")])
@pytest.mark.parametrize("case", range(len(IDOR_MATRIX)))
def test_objects_outside_scope_answer_404(client, matrix_cast, role, case):
    cast = matrix_cast
    name, kwargs_for = IDOR_MATRIX[case]
    response = _client_for(client, cast, role).get(reverse(name, kwargs=kwargs_for(cast)))
    assert response.status_code == 404


# --- What the pages open to the new roles show ------------------------------------------
# A 200 is not enough at the programme's borders: the pages programme B's people (and the
# ambassador of another population) may open must not name what lies beyond.

# The signed unsubscribe link of the cast's agent names its programme to whoever holds it.
SHOWN_TO_ANY_HOLDER = {"programmes:reminder_unsubscribe"}
# The cast's agent is enrolled in both programmes: their page is checked below.
SHARED_AGENT_PAGE = "programmes:agent_detail"


def _body(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8", "replace")


def _identities(agents):
    return [value for agent in agents for value in (agent.email, agent.external_id)]


def _open_pages(cast, role, skip=()):
    """The URL of every page the matrix opens to `role` (200), each object made first."""
    urls = {
        name: reverse(name, kwargs=kwargs_for(cast))
        for name, (kwargs_for, _e) in APP_MATRIX.items()
    }
    return {
        name: url
        for name, url in urls.items()
        if APP_MATRIX[name][1][role] == 200 and name not in skip
    }


def _naming(client, cast, role, pages, markers):
    """Per page, the markers its body shows to `role` (pages showing none are left out)."""
    client = _client_for(client, cast, role)
    bodies = {name: _body(client.get(url)) for name, url in sorted(pages.items())}
    return {
        name: found
        for name, body in bodies.items()
        if (found := [marker for marker in markers if marker in body])
    }


@pytest.mark.parametrize("role", PROGRAMME_B_ROLES)
def test_pages_open_to_programme_b_name_nothing_of_the_cast_programme(client, matrix_cast, role):
    cast = matrix_cast
    markers = [
        cast.programme.name,
        cast.population.name,
        cast.sibling_population.name,
        *_identities(cast.team[1:]),  # the cast's agent is enrolled in B: B sees them
        *_identities(cast.sibling_agents),
    ]
    pages = _open_pages(cast, role, skip={*SHOWN_TO_ANY_HOLDER, SHARED_AGENT_PAGE})
    assert _naming(client, cast, role, pages, markers) == {}


def test_pages_open_to_single_ambassador_name_no_agent_of_the_cast_population(client, matrix_cast):
    cast = matrix_cast
    markers = _identities(cast.team)
    pages = _open_pages(cast, "single_ambassador", skip=SHOWN_TO_ANY_HOLDER)
    assert _naming(client, cast, "single_ambassador", pages, markers) == {}


# role -> (programme, population) of the cast's agent that the role does not see.
_OTHER_SIDE = {
    "owner": lambda c: (c.programme_b, c.population_b),
    "ambassador": lambda c: (c.programme_b, c.population_b),
    "other_owner": lambda c: (c.programme, c.population),
    "other_ambassador": lambda c: (c.programme, c.population),
}


@pytest.mark.parametrize("role", ["owner", "ambassador"])
def test_shared_agent_page_shows_no_result_of_the_other_programme(client, matrix_cast, role):
    cast = matrix_cast
    response = _client_for(client, cast, role).get(
        reverse(SHARED_AGENT_PAGE, kwargs={"pk": cast.agent_agent.pk})
    )
    assert response.status_code == 200
    assert cast.import_b.campaign.name not in _body(response)


@pytest.mark.parametrize(
    "role",
    list(_OTHER_SIDE),
)
def test_shared_agent_page_names_no_enrolment_of_the_other_programme(client, matrix_cast, role):
    cast = matrix_cast
    programme, population = _OTHER_SIDE[role](cast)
    response = _client_for(client, cast, role).get(
        reverse(SHARED_AGENT_PAGE, kwargs={"pk": cast.agent_agent.pk})
    )
    assert response.status_code == 200
    body = _body(response)
    assert programme.name not in body
    assert population.name not in body


def _admin_urls(cast):
    """Every admin pattern with its arguments: an existing object where one exists."""
    urls = []
    for namespace, pattern in all_patterns():
        if namespace != "admin":
            continue
        callback = pattern.callback
        model_admin = getattr(callback, "model_admin", None)
        route = str(pattern.pattern)
        if pattern.name == "app_list":
            urls.append(("app_list", reverse("admin:app_list", args=["agents"])))
        elif pattern.name == "view_on_site":
            continue  # needs a content type and object; covered by the object pages
        elif pattern.name == "auth_user_password_change":
            urls.append((pattern.name, reverse(f"admin:{pattern.name}", args=[cast.agent.pk])))
        elif model_admin is not None:
            obj = model_admin.model._default_manager.order_by("pk").first()
            if "object_id" in route:
                object_id = obj.pk if obj else 999999
                if pattern.name:
                    url = reverse(f"admin:{pattern.name}", args=[object_id])
                else:
                    opts = model_admin.model._meta
                    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
                    url = f"{url}{object_id}/"
                urls.append((pattern.name or "object_redirect", url, obj is not None))
            else:
                urls.append((pattern.name, reverse(f"admin:{pattern.name}")))
        elif pattern.name:
            urls.append((pattern.name, reverse(f"admin:{pattern.name}")))
        else:
            urls.append(("catch_all", reverse("admin:index") + "nowhere/"))
    return urls


STAFF_SPECIAL = {
    "login": 302,  # already logged in: on to the index
    "logout": 405,  # POST only
    "object_redirect": 302,  # /<id>/ redirects to /<id>/change/
    "catch_all": 404,
    "programmes_resultaccesslog_add": 403,  # the access log is written by the app only
    # Imports, participations and results are written by the import services only.
    "campaigns_resultimport_add": 403,
    "campaigns_participation_add": 403,
    "campaigns_competenceresult_add": 403,
    "programmes_targetchange_add": 403,  # target history is written by targets_save only
    # Dismissals are decided in the matching queue only (deleting one puts it back).
    "programmes_dismissedparticipant_add": 403,
    # The reminders log is written by the reminder services only.
    "programmes_reminder_add": 403,
    "programmes_digest_add": 403,
    # Review versions and addenda are written by the review services only.
    "reviews_reviewversion_add": 403,
    "reviews_reviewaddendum_add": 403,
    # django-axes' login attempts and logs are written by axes only (locks lifted by deleting).
    "axes_accessattempt_add": 403,
    "axes_accesslog_add": 403,
    "axes_accessfailurelog_add": 403,
}
NON_STAFF_SPECIAL = {"login": 200, "jsi18n": 302, "catch_all": 302}


@pytest.mark.parametrize("role", ROLES)
def test_admin_is_for_staff_only(client, matrix_cast, role):
    cast = matrix_cast
    assert admin_site._registry, "admin has registered models"
    client = _client_for(client, cast, role)
    failures = []
    for entry in _admin_urls(cast):
        name, url = entry[0], entry[1]
        exists = entry[2] if len(entry) > 2 else True
        status = client.get(url).status_code
        if role == "staff":
            expected = STAFF_SPECIAL.get(name, 200 if exists else 302)
            if name == "autocomplete":
                expected = 403  # requires app_label/model_name/field_name parameters
        else:
            expected = NON_STAFF_SPECIAL.get(name, 302)
        if status != expected:
            failures.append((name, url, status, expected))
    assert failures == []
