"""ProConnect single sign-on (OpenID Connect, through mozilla-django-oidc), off unless
configured (settings.PROCONNECT_ENABLED, from PROCONNECT_CLIENT_ID).

An identity that ProConnect vouches for is matched by its e-mail address: to the account
with that address, or else to the active agent of the HR list with that address, who then
gets an account without a password. Nobody else gets in: ProConnect knows every State
agent, the organisation only its own. Accounts that administer the organisation (staff,
superusers, « gestionnaires RH ») are never opened this way: no ProConnect identity is
linked to an account, and an e-mail match alone is not enough for them. Local accounts
(e-mail and password, with the login throttling) keep working.
"""

import logging
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from agents.models import Agent, User
from agents.perms import HR_LIST_PERMISSION

logger = logging.getLogger(__name__)

# Why a ProConnect identity was turned away, kept on the request for the login page.
REFUSAL_ATTRIBUTE = "proconnect_refusal"
# Who the provider said the attempt was for, kept on the request for the login throttling
# (config.login_throttle.login_username), which counts a refusal under that identity.
THROTTLE_USERNAME_ATTRIBUTE = "proconnect_throttle_username"
ID_TOKEN_SESSION_KEY = "oidc_id_token"


def administers_the_organisation(user) -> bool:
    """Staff, superusers and « gestionnaires RH » (who set everyone's e-mail and manager)
    sign in with their password only, never by an e-mail match."""
    return user.is_staff or user.is_superuser or user.has_perm(HR_LIST_PERMISSION)


def proconnect_enabled() -> bool:
    return bool(getattr(settings, "PROCONNECT_ENABLED", False))


class ProConnectBackend(OIDCAuthenticationBackend):
    """Authenticates the ProConnect callback only; inert when ProConnect is off."""

    def __init__(self, *args, **kwargs):
        # The parent reads the OIDC_* settings at once and refuses to start without them.
        self.enabled = proconnect_enabled()
        if self.enabled:
            super().__init__(*args, **kwargs)

    def authenticate(self, request, **kwargs):
        if not self.enabled or request is None:
            return None
        if request.path != reverse("proconnect_callback"):
            return None  # a password login, or any other caller
        return super().authenticate(request, **kwargs)

    def retrieve_matching_jwk(self, token):
        """As the parent when the token names its key (kid); a token may leave it out
        (RFC 7515 §4.1.4), and then only a provider with a single key of the token's
        algorithm is trusted: that key verifies it."""
        header = jwt.get_unverified_header(token)
        if "kid" in header:
            return super().retrieve_matching_jwk(token)
        algorithm = header.get("alg", "")
        response = requests.get(  # as the parent fetches the key set
            self.OIDC_OP_JWKS_ENDPOINT,
            verify=self.get_settings("OIDC_VERIFY_SSL", True),
            timeout=self.get_settings("OIDC_TIMEOUT", None),
            proxies=self.get_settings("OIDC_PROXY", None),
        )
        response.raise_for_status()
        keys = [
            key
            for key in response.json().get("keys", [])
            if key.get("alg", algorithm) == algorithm
            and key.get("kty") == {"RS": "RSA", "ES": "EC"}.get(algorithm[:2])
        ]
        if len(keys) != 1:
            raise SuspiciousOperation("No single signing key for a token without key id.")
        return jwt.PyJWK(keys[0])

    def verify_claims(self, claims):
        # The first look at the verified identity: from here on, a failure is counted under
        # it rather than under an empty name shared by everyone behind the same address.
        who = (claims.get("email") or "").strip().lower() or str(claims.get("sub") or "")
        setattr(self.request, THROTTLE_USERNAME_ATTRIBUTE, f"proconnect:{who}")
        return super().verify_claims(claims)

    def filter_users_by_claims(self, claims):
        email = (claims.get("email") or "").strip()
        if not email:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(email__iexact=email)

    def get_or_create_user(self, access_token, id_token, payload):
        user = super().get_or_create_user(access_token, id_token, payload)
        if user is not None and not user.is_active:
            self._refuse(_("Votre compte est désactivé. Contactez votre ambassadeur Pix."))
            return None
        if user is not None and administers_the_organisation(user):
            # Accounts hold no link to a ProConnect identity (no stored `sub`): for these,
            # an address the provider vouches for is not proof enough.
            logger.warning("ProConnect refused for administrator account %s", user.pk)
            self._refuse(
                _(
                    "Ce compte a des droits d'administration : il ne s'ouvre pas avec "
                    "ProConnect. Connectez-vous avec votre adresse e-mail et votre mot de passe."
                )
            )
            return None
        return user

    def create_user(self, claims):
        """No account yet: one is made for the active agent of the HR list with this
        address, and for nobody else."""
        email = claims["email"].strip().lower()
        with transaction.atomic():
            agent = (
                Agent.objects.select_for_update()
                .filter(email__iexact=email, is_active=True, user__isnull=True)
                .first()
            )
            if agent is None:
                logger.info("ProConnect identity without an agent refused: %s", email)
                self._refuse(
                    _(
                        "ProConnect a bien confirmé votre identité, mais aucun agent du "
                        "programme n'a l'adresse %(email)s. Demandez à votre ambassadeur Pix "
                        "de vérifier l'adresse indiquée dans la liste des agents."
                    )
                    % {"email": email}
                )
                return None
            user = User.objects.create_user(
                email,
                password=None,  # unusable: this account signs in through ProConnect
                first_name=agent.first_name,
                last_name=agent.last_name,
            )
            agent.user = user
            agent.save(update_fields=["user", "updated_at"])
        logger.info("Account created through ProConnect for agent %s", agent.pk)
        return user

    def update_user(self, user, claims):
        # The HR list is the reference for names; nothing is taken from the identity.
        return user

    def _refuse(self, message: str) -> None:
        setattr(self.request, REFUSAL_ATTRIBUTE, message)


def _require_enabled():
    if not proconnect_enabled():
        raise Http404


class _LoginRedirect(OIDCAuthenticationRequestView):
    pass


class _Callback(OIDCAuthenticationCallbackView):
    def get(self, request):
        try:
            return super().get(request)
        except SuspiciousOperation as error:
            # A callback replayed or whose session is gone (another browser, expired), or a
            # token that does not verify.
            logger.warning("ProConnect callback refused: %s", error)
            return self.login_failure()
        except requests.RequestException as error:
            logger.error("ProConnect unreachable during a callback: %s", error)
            return self.login_failure()

    def login_failure(self):
        refusal = getattr(self.request, REFUSAL_ATTRIBUTE, None)
        messages.error(
            self.request,
            refusal
            or _(
                "La connexion avec ProConnect n'a pas abouti. Réessayez, ou connectez-vous "
                "avec votre adresse e-mail et votre mot de passe."
            ),
        )
        return HttpResponseRedirect(reverse("login"))


@login_not_required
def proconnect_login(request):
    """Sends the browser to ProConnect (GET, from a link: no form leaves the site)."""
    _require_enabled()
    return _LoginRedirect.as_view()(request)


@login_not_required
def proconnect_callback(request):
    """Where ProConnect sends the browser back with a code."""
    _require_enabled()
    return _Callback.as_view()(request)


class LoginView(auth_views.LoginView):
    """The e-mail and password form, with the ProConnect button when it is configured."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return super().get_context_data(proconnect_enabled=proconnect_enabled(), **kwargs)


class LogoutView(auth_views.LogoutView):
    """Local logout; after a ProConnect login, also ends the ProConnect session, which then
    sends the browser back to the login page."""

    def post(self, request, *args, **kwargs):
        id_token = request.session.get(ID_TOKEN_SESSION_KEY)
        response = super().post(request, *args, **kwargs)
        end_session = getattr(settings, "PROCONNECT_END_SESSION_ENDPOINT", "")
        if id_token and end_session and proconnect_enabled():
            query = urlencode(
                {
                    "id_token_hint": id_token,
                    "state": get_random_string(32),
                    "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
                }
            )
            return HttpResponseRedirect(f"{end_session}?{query}")
        return response
