"""ProConnect (OpenID Connect) settings from the environment, in one function so that the
tests configure the app exactly as settings.py does, against their own provider."""

from urllib.parse import urlsplit

# ProConnect's production issuer; integration: https://fca.integ01.dev-agentconnect.fr/api/v2
DEFAULT_ISSUER = "https://auth.proconnect.gouv.fr/api/v2"


def proconnect_settings(env) -> dict:
    """The mozilla-django-oidc settings (OIDC_*) and ours (PROCONNECT_*). `env(name,
    default)` reads one variable. Off unless PROCONNECT_CLIENT_ID is set. Endpoints default
    to ProConnect's under PROCONNECT_ISSUER; each can be set on its own."""
    issuer = env("PROCONNECT_ISSUER", DEFAULT_ISSUER).rstrip("/")
    client_id = env("PROCONNECT_CLIENT_ID", "")
    end_session = env("PROCONNECT_END_SESSION_ENDPOINT", f"{issuer}/session/end")
    values = {
        "PROCONNECT_ENABLED": bool(client_id),
        "PROCONNECT_ISSUER": issuer,
        "PROCONNECT_END_SESSION_ENDPOINT": end_session,
        "OIDC_RP_CLIENT_ID": client_id,
        "OIDC_RP_CLIENT_SECRET": env("PROCONNECT_CLIENT_SECRET", ""),
        "OIDC_OP_AUTHORIZATION_ENDPOINT": env(
            "PROCONNECT_AUTHORIZATION_ENDPOINT", f"{issuer}/authorize"
        ),
        "OIDC_OP_TOKEN_ENDPOINT": env("PROCONNECT_TOKEN_ENDPOINT", f"{issuer}/token"),
        "OIDC_OP_USER_ENDPOINT": env("PROCONNECT_USERINFO_ENDPOINT", f"{issuer}/userinfo"),
        "OIDC_OP_JWKS_ENDPOINT": env("PROCONNECT_JWKS_ENDPOINT", f"{issuer}/jwks"),
        "OIDC_RP_SIGN_ALGO": env("PROCONNECT_SIGN_ALGO", "RS256"),
        "OIDC_RP_SCOPES": env("PROCONNECT_SCOPES", "openid email given_name usual_name"),
        "OIDC_AUTHENTICATION_CALLBACK_URL": "proconnect_callback",
        # Kept in the session for the logout at ProConnect (id_token_hint).
        "OIDC_STORE_ID_TOKEN": True,
        "OIDC_TIMEOUT": int(env("PROCONNECT_TIMEOUT", "10")),
    }
    return values


def form_action_sources(values: dict) -> list[str]:
    """Origins beyond 'self' that forms may end up at: logging out is a POST that ends with
    a redirect to ProConnect's logout, which browsers check against form-action."""
    if not values["PROCONNECT_ENABLED"]:
        return []
    parts = urlsplit(values["PROCONNECT_END_SESSION_ENDPOINT"])
    return [f"{parts.scheme}://{parts.netloc}"]
