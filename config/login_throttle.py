"""Login throttling (django-axes): who is trying, from where, and what they are told.

Failed logins are counted per (e-mail, client IP); past the limit that pair is locked out
for the cool-off period, even with the right password. Settings: AXES_* in config/settings.py.
A ProConnect identity turned away is counted under that identity ("proconnect:<e-mail or
sub>"), apart from password logins, so that strangers refused behind one NAT address lock
nobody else out.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from agents.proconnect import THROTTLE_USERNAME_ATTRIBUTE


def login_username(request: HttpRequest, credentials: dict | None = None) -> str:
    """The e-mail the attempt was for, normalised as the login form does (stripped, lower
    case), so that "Jean@X.fr" and "jean@x.fr " count against the same account; for a
    ProConnect callback, the identity the provider asserted."""
    identity = getattr(request, THROTTLE_USERNAME_ATTRIBUTE, None)
    if identity:
        return identity
    # The login form posts "username"; axes files its own calls under AXES_USERNAME_FORM_FIELD.
    source = credentials if credentials else getattr(request, "POST", {})
    return str(source.get(settings.AXES_USERNAME_FORM_FIELD) or "").strip().lower()


def _normalised_ip(address: str) -> str | None:
    """The address in one spelling: an IPv4-mapped IPv6 address (::ffff:192.0.2.1, what a
    dual-stack socket reports for an IPv4 peer) is the IPv4 client itself. None if invalid."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address.

    Behind TRUSTED_PROXY_COUNT reverse proxies (0 unless configured: gunicorn reached
    directly must not believe a header the client wrote), each appending the address it received the
    request from to X-Forwarded-For, the client is the entry that many places from the
    right; anything further left was written by the client and cannot be trusted. Without a
    proxy (count 0), or when the header has fewer entries than expected (a request that did
    not come through the proxy), REMOTE_ADDR is the client.
    """
    remote_addr = request.META.get("REMOTE_ADDR")
    if remote_addr:
        remote_addr = _normalised_ip(remote_addr) or remote_addr
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count <= 0 or not forwarded:
        return remote_addr
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if len(hops) < count:
        return remote_addr
    return _normalised_ip(hops[-count]) or remote_addr


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """The French page a locked-out person sees (429 Too Many Requests)."""
    cooloff_minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": cooloff_minutes,
    }
    return render(
        request,
        "registration/lockout.html",
        context,
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
