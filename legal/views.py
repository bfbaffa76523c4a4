"""The accessibility statement, the legal notice and the site map: public pages, the same for
everyone (the site map adds the pages of the visitor's menu once logged in)."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from legal.models import AccessibilityStatement, ConformityState


@login_not_required
def accessibility(request):
    statement = AccessibilityStatement.current()
    return render(
        request,
        "legal/accessibility.html",
        {
            "title": _("Déclaration d’accessibilité"),
            "statement": statement,
            "states": ConformityState,
            "publisher": settings.LEGAL_PUBLISHER_NAME,
            "publisher_contact": settings.LEGAL_PUBLISHER_CONTACT,
            "site_url": settings.SITE_URL,
        },
    )


@login_not_required
def legal_notice(request):
    return render(
        request,
        "legal/legal_notice.html",
        {
            "title": _("Mentions légales"),
            "publisher": settings.LEGAL_PUBLISHER_NAME,
            "publisher_address": settings.LEGAL_PUBLISHER_ADDRESS,
            "publisher_contact": settings.LEGAL_PUBLISHER_CONTACT,
            "director": settings.LEGAL_PUBLICATION_DIRECTOR,
            "host": settings.LEGAL_HOST_NAME,
            "host_address": settings.LEGAL_HOST_ADDRESS,
            "site_url": settings.SITE_URL,
        },
    )


@login_not_required
def sitemap(request):
    return render(request, "legal/sitemap.html", {"title": _("Plan du site")})
