"""ProConnect single sign-on against a real OpenID Connect provider on loopback.

oidc-provider-mock is a complete provider (Authlib): authorization form, code flow with
nonce, RS256-signed ID tokens, JWKS, userinfo, RP-initiated logout. The app talks to it over
HTTP exactly as it would to ProConnect; the test plays the browser between the two. The app
is configured through config.proconnect.proconnect_settings, as settings.py does.
"""

from urllib.parse import parse_qs, quote, urlsplit

import httpx
import oidc_provider_mock
import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from agents.models import User
from config.proconnect import form_action_sources, proconnect_settings
from tests.agents.factories import DEFAULT_PASSWORD, AgentFactory, UserFactory

CLIENT_ID = "pilote-pix"


@pytest.fixture(scope="module")
def provider():
    """A provider of its own per module, on a free loopback port."""
    with oidc_provider_mock.run_server_in_thread(require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


def configure(settings, values):
    for name, value in values.items():
        setattr(settings, name, value)
    policy = {**settings.CONTENT_SECURITY_POLICY}
    directives = {**policy["DIRECTIVES"]}
    directives["form-action"] = [*directives["form-action"], *form_action_sources(values)]
    policy["DIRECTIVES"] = directives
    settings.CONTENT_SECURITY_POLICY = policy


def provider_settings(provider, **extra):
    discovery = httpx.get(f"{provider}/.well-known/openid-configuration").json()
    environment = {
        "PROCONNECT_CLIENT_ID": CLIENT_ID,
        "PROCONNECT_CLIENT_SECRET": "secret-du-test",
        "PROCONNECT_ISSUER": discovery["issuer"],
        "PROCONNECT_AUTHORIZATION_ENDPOINT": discovery["authorization_endpoint"],
        "PROCONNECT_TOKEN_ENDPOINT": discovery["token_endpoint"],
        "PROCONNECT_USERINFO_ENDPOINT": discovery["userinfo_endpoint"],
        "PROCONNECT_JWKS_ENDPOINT": discovery["jwks_uri"],
        "PROCONNECT_END_SESSION_ENDPOINT": discovery["end_session_endpoint"],
        "PROCONNECT_SCOPES": "openid email",
        **extra,
    }
    return proconnect_settings(lambda name, default: environment.get(name, default))


@pytest.fixture
def proconnect(settings, provider, db):
    configure(settings, provider_settings(provider))
    return provider


def identity(provider, sub, **claims):
    """What the provider will assert about `sub` (PUT /users/<sub>)."""
    response = httpx.put(f"{provider}/users/{quote(sub)}", json=claims)
    assert response.status_code == 204


def sign_in(client, sub, *, next_url=None):
    """The browser's round trip: app -> provider's form (submitted as `sub`) -> app."""
    url = reverse("proconnect_login")
    if next_url:
        url += f"?next={quote(next_url)}"
    to_provider = client.get(url)
    assert to_provider.status_code == 302
    authorize = to_provider["Location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["nonce"] and query["state"]
    assert query["redirect_uri"][0].endswith(reverse("proconnect_callback"))
    back = httpx.post(authorize, data={"sub": sub})
    assert back.status_code == 302, back.text
    callback = urlsplit(back.headers["location"])
    return client.get(f"{callback.path}?{callback.query}"), f"{callback.path}?{callback.query}"


def logged_in_user(client):
    pk = client.session.get(SESSION_KEY)
    return User.objects.get(pk=pk) if pk else None


def page_messages(response):
    return [str(message) for message in response.context["messages"]]


# --- Off unless configured ------------------------------------------------------------------


def test_off_by_default_the_routes_are_404_and_the_login_page_has_no_button(client, db):
    assert client.get(reverse("proconnect_login")).status_code == 404
    assert client.get(reverse("proconnect_callback") + "?code=x&state=y").status_code == 404
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert "ProConnect" not in page.content.decode()


def test_settings_are_read_from_the_environment_with_proconnect_defaults():
    environment = {"PROCONNECT_CLIENT_ID": "abc"}
    values = proconnect_settings(lambda name, default: environment.get(name, default))
    assert values["PROCONNECT_ENABLED"] is True
    assert values["OIDC_OP_AUTHORIZATION_ENDPOINT"] == (
        "https://auth.proconnect.gouv.fr/api/v2/authorize"
    )
    assert values["OIDC_OP_JWKS_ENDPOINT"] == "https://auth.proconnect.gouv.fr/api/v2/jwks"
    assert form_action_sources(values) == ["https://auth.proconnect.gouv.fr"]
    off = proconnect_settings(lambda name, default: default)
    assert off["PROCONNECT_ENABLED"] is False
    assert form_action_sources(off) == []


# --- Matching identities to accounts and agents ---------------------------------------------


def test_an_existing_account_is_matched_by_email_whatever_its_case(client, proconnect):
    user = UserFactory(email="claire.martin@exemple.gouv.fr")
    identity(proconnect, "sub-claire", email="Claire.Martin@Exemple.gouv.fr")

    response, _ = sign_in(client, "sub-claire")

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert logged_in_user(client) == user
    assert User.objects.count() == 1
    assert client.get(reverse("home")).status_code in {200, 302}


def test_an_agent_without_account_gets_one_linked_to_them_without_password(client, proconnect):
    agent = AgentFactory(email="paul.durand@exemple.gouv.fr", first_name="Paul", last_name="Durand")
    identity(proconnect, "sub-paul", email="paul.durand@exemple.gouv.fr")

    response, _ = sign_in(client, "sub-paul", next_url=reverse("programmes:my_page"))

    assert response.status_code == 302
    assert response["Location"] == reverse("programmes:my_page")
    user = logged_in_user(client)
    agent.refresh_from_db()
    assert agent.user == user
    assert (user.email, user.first_name, user.last_name) == (
        "paul.durand@exemple.gouv.fr",
        "Paul",
        "Durand",
    )
    assert not user.has_usable_password()
    assert client.get(reverse("programmes:my_page")).status_code == 200

    # A second sign-in reuses the account.
    client.logout()
    sign_in(client, "sub-paul")
    assert logged_in_user(client) == user
    assert User.objects.filter(email="paul.durand@exemple.gouv.fr").count() == 1


@pytest.mark.parametrize(
    "arrange",
    ["unknown", "inactive_agent", "inactive_account"],
)
def test_identities_that_do_not_belong_are_refused_with_a_french_message(
    client, proconnect, arrange
):
    email = "inconnu@autre-ministere.gouv.fr"
    if arrange == "inactive_agent":
        AgentFactory(email=email, is_active=False)
    if arrange == "inactive_account":
        UserFactory(email=email, is_active=False)
    accounts_before = User.objects.count()
    identity(proconnect, f"sub-{arrange}", email=email)

    response, _ = sign_in(client, f"sub-{arrange}")

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert logged_in_user(client) is None
    assert User.objects.count() == accounts_before
    page = client.get(reverse("login"))
    text = " ".join(page_messages(page))
    if arrange == "inactive_account":
        assert "Votre compte est désactivé" in text
    else:
        assert "aucun agent du programme n'a l'adresse inconnu@autre-ministere.gouv.fr" in text


def test_an_identity_without_email_is_refused(client, proconnect):
    identity(proconnect, "sub-sans-adresse", name="Sans adresse")
    response, _ = sign_in(client, "sub-sans-adresse")
    assert response["Location"] == reverse("login")
    assert logged_in_user(client) is None
    assert "n'a pas abouti" in " ".join(page_messages(client.get(reverse("login"))))


@pytest.mark.parametrize("power", ["staff", "superuser", "hr_manager"])
def test_an_administrator_account_is_not_opened_by_email_match(client, proconnect, power):
    """An address vouched for by the provider is not enough to open an account that
    administers the organisation: no identity is linked to accounts, so these refuse."""
    email = "admin.rh@exemple.gouv.fr"
    user = UserFactory(
        email=email,
        is_staff=power == "staff",
        is_superuser=power == "superuser",
        hr_manager=power == "hr_manager",
    )
    AgentFactory(email=email, user=user)
    identity(proconnect, f"sub-{power}", email=email)

    response, _ = sign_in(client, f"sub-{power}")

    assert response["Location"] == reverse("login")
    assert logged_in_user(client) is None
    text = " ".join(page_messages(client.get(reverse("login"))))
    assert "Ce compte a des droits d'administration" in text
    assert "adresse e-mail et votre mot de passe" in text

    # The password still opens it.
    client.post(reverse("login"), {"username": email, "password": DEFAULT_PASSWORD})
    assert logged_in_user(client) == user


def test_an_agent_account_is_still_opened_by_email_match_next_to_an_administrator(
    client, proconnect
):
    UserFactory(email="chef@exemple.gouv.fr", staff=True)
    user = UserFactory(email="equipe@exemple.gouv.fr")
    identity(proconnect, "sub-equipe", email="equipe@exemple.gouv.fr")

    sign_in(client, "sub-equipe")

    assert logged_in_user(client) == user


def test_refused_identities_are_counted_each_under_its_own_name(client, proconnect, settings):
    """Behind a ministry's NAT everyone shares one address: strangers turned away must not
    lock the others out. Each refusal is kept under the identity the provider gave."""
    for n in range(settings.AXES_FAILURE_LIMIT + 1):
        identity(proconnect, f"sub-etranger-{n}", email=f"Etranger{n}@Autre.gouv.fr")
        response, _ = sign_in(client, f"sub-etranger-{n}")
        assert response.status_code == 302
    identity(proconnect, "sub-sans-adresse-2", name="Sans adresse")
    sign_in(client, "sub-sans-adresse-2")
    colleague = UserFactory(email="collegue@exemple.gouv.fr")
    identity(proconnect, "sub-collegue", email="collegue@exemple.gouv.fr")

    response, _ = sign_in(client, "sub-collegue")

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert logged_in_user(client) == colleague
    assert sorted(AccessAttempt.objects.values_list("username", flat=True)) == sorted(
        [f"proconnect:etranger{n}@autre.gouv.fr" for n in range(settings.AXES_FAILURE_LIMIT + 1)]
        + ["proconnect:sub-sans-adresse-2"]
    )


# --- What can go wrong on the way -----------------------------------------------------------


def test_a_replayed_callback_is_refused_without_an_error_page(client, proconnect):
    UserFactory(email="rejeu@exemple.gouv.fr")
    identity(proconnect, "sub-rejeu", email="rejeu@exemple.gouv.fr")
    _, callback = sign_in(client, "sub-rejeu")
    client.logout()

    replay = client.get(callback)

    assert replay.status_code == 302
    assert replay["Location"] == reverse("login")
    assert logged_in_user(client) is None


def test_a_callback_from_another_browser_is_refused(client, proconnect):
    UserFactory(email="vol@exemple.gouv.fr")
    identity(proconnect, "sub-vol", email="vol@exemple.gouv.fr")
    to_provider = client.get(reverse("proconnect_login"))
    back = httpx.post(to_provider["Location"], data={"sub": "sub-vol"})
    callback = urlsplit(back.headers["location"])

    from django.test import Client

    other = Client()
    response = other.get(f"{callback.path}?{callback.query}")

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert other.session.get(SESSION_KEY) is None


def test_the_agent_declining_at_the_provider_comes_back_to_the_login_page(client, proconnect):
    to_provider = client.get(reverse("proconnect_login"))
    back = httpx.post(to_provider["Location"], data={"sub": "x", "action": "deny"})
    callback = urlsplit(back.headers["location"])
    assert parse_qs(callback.query)["error"] == ["access_denied"]

    response = client.get(f"{callback.path}?{callback.query}")

    assert response["Location"] == reverse("login")
    assert "n'a pas abouti" in " ".join(page_messages(client.get(reverse("login"))))


def test_a_provider_that_does_not_answer_gives_the_login_page_a_message(
    client, settings, provider, db
):
    # The token endpoint on a closed port: the exchange fails, nobody is let in.
    configure(
        settings,
        provider_settings(provider, PROCONNECT_TOKEN_ENDPOINT="http://127.0.0.1:9/token"),
    )
    UserFactory(email="panne@exemple.gouv.fr")
    identity(provider, "sub-panne", email="panne@exemple.gouv.fr")

    response, _ = sign_in(client, "sub-panne")

    assert response["Location"] == reverse("login")
    assert logged_in_user(client) is None


# --- Local accounts and logout ---------------------------------------------------------------


def test_local_accounts_keep_working_and_the_login_page_offers_proconnect(client, proconnect):
    UserFactory(email="local@exemple.gouv.fr")
    page = client.get(reverse("login") + "?next=/mon-parcours/")
    html = page.content.decode()
    assert "S&#x27;identifier avec ProConnect" in html or "S'identifier avec ProConnect" in html
    assert reverse("proconnect_login") + "?next=/mon-parcours/" in html

    response = client.post(
        reverse("login"), {"username": "local@exemple.gouv.fr", "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 302
    assert logged_in_user(client).email == "local@exemple.gouv.fr"


def test_logout_after_proconnect_also_ends_the_proconnect_session(client, proconnect, settings):
    UserFactory(email="sortie@exemple.gouv.fr")
    identity(proconnect, "sub-sortie", email="sortie@exemple.gouv.fr")
    sign_in(client, "sub-sortie")
    assert client.session.get("oidc_id_token")
    assert settings.PROCONNECT_END_SESSION_ENDPOINT.startswith(proconnect)

    response = client.post(reverse("logout"))

    assert logged_in_user(client) is None
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        settings.PROCONNECT_END_SESSION_ENDPOINT
    )
    query = parse_qs(location.query)
    assert query["post_logout_redirect_uri"][0].endswith(reverse("login"))
    assert query["id_token_hint"][0].count(".") == 2  # the ID token, a JWS
    # The provider accepts it: its logout page, then back to our login page.
    assert httpx.get(response["Location"]).status_code == 200
    assert "form-action 'self' " + proconnect in response["Content-Security-Policy"]


def test_logout_of_a_local_session_stays_local(client, proconnect):
    UserFactory(email="local2@exemple.gouv.fr")
    client.post(
        reverse("login"), {"username": "local2@exemple.gouv.fr", "password": DEFAULT_PASSWORD}
    )
    response = client.post(reverse("logout"))
    assert response["Location"] == reverse("login")
