"""The pages a State service must publish: public, linked from every page's footer; the
accessibility statement edited by staff in the admin, with defaults until then."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime

from legal.models import AccessibilityStatement
from legal.selectors import STATE_CACHE_KEY, current_state

FOOTER_LINKS = {
    "legal:sitemap": "Plan du site",
    "legal:accessibility": "Accessibilité : ",
    "legal:legal_notice": "Mentions légales",
    "programmes:data_protection": "Données personnelles",
}


def _footer(html):
    return html[html.index('<footer class="fr-footer"') :]


def _main(html):
    return html[html.index("<main") : html.index("</main>")]


def _assert_footer_links(html):
    footer = _footer(html)
    for name, text in FOOTER_LINKS.items():
        assert re.search(
            rf'<a class="fr-footer__bottom-link" href="{re.escape(reverse(name))}">{text}', footer
        ), (name, text)


@pytest.fixture
def nothing_cached():
    """The state read from the database, as on a site's first page."""
    cache.delete(STATE_CACHE_KEY)


@pytest.mark.parametrize(
    ("name", "heading"),
    [
        ("legal:accessibility", "Déclaration d’accessibilité"),
        ("legal:legal_notice", "Mentions légales"),
        ("legal:sitemap", "Plan du site"),
        ("programmes:data_protection", "Protection de vos données"),
    ],
)
def test_legal_pages_are_public_with_the_footer(client, db, name, heading):
    response = client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{heading}</h1>" in html
    _assert_footer_links(html)


def test_login_page_footer_links_the_legal_pages(client, db):
    html = client.get(reverse("login")).content.decode()
    _assert_footer_links(html)
    assert "Accessibilité : partiellement conforme" in _footer(html)


def test_logged_in_page_footer_links_the_legal_pages(client, cast):
    client.force_login(cast.agent)
    html = client.get(reverse("programmes:my_page")).content.decode()
    _assert_footer_links(html)
    assert "Accessibilité : partiellement conforme" in _footer(html)


def test_defaults_when_nothing_is_recorded(client, db, nothing_cached):
    html = client.get(reverse("legal:accessibility")).content.decode()
    main = _main(html)
    assert "Pilote Pix est partiellement conforme" in main
    # Fixed in issue 17 and checked by the journeys: no longer listed.
    assert "Critère 10.11" not in main and "« Page précédente »" not in main
    assert "Aucune non-conformité n’est connue à ce jour" in main
    assert "Aucun audit de conformité complet n’a encore été réalisé" in main
    assert "Défenseur des droits" in main and "Libre réponse 71120" in main
    assert "https://formulaire.defenseurdesdroits.fr/" in main
    assert "mise à jour" not in main  # nothing recorded: no date
    assert "Accessibilité : partiellement conforme" in _footer(html)
    assert not AccessibilityStatement.objects.exists()  # reading records nothing


def _statement_form(**overrides):
    data = {
        "state": "non",
        "audit_date": "20/11/2026",
        "auditor": "Cabinet Exemple",
        "conformity_rate": "42.5",
        "non_conformities": "Critère 1.1 : images sans alternative\nCritère 8.5 : titres absents",
        "derogations": "Cartes interactives",
        "exempt_contents": "",
        "established_on": "21/11/2026",
        "technologies": "HTML5",
        "test_environment": "Firefox et NVDA",
        "tools": "Assistant RGAA",
        "pages_checked": "Accueil",
        "contact_email": "accessibilite@exemple.gouv.fr",
        "contact_details": "1 rue de l’Exemple, 75000 Paris",
    }
    data.update(overrides)
    return data


def test_staff_edit_shows_on_the_page_and_in_the_footer(client, cast, nothing_cached):
    client.force_login(cast.staff)
    # The footer has read (and cached) the default state before the statement is recorded.
    assert (
        "Accessibilité : partiellement conforme"
        in client.get(reverse("legal:sitemap")).content.decode()
    )
    response = client.post(
        reverse("admin:legal_accessibilitystatement_add"), _statement_form(), follow=True
    )
    assert response.status_code == 200
    statement = AccessibilityStatement.objects.get()
    assert statement.state == "non"

    client.logout()
    html = client.get(reverse("legal:accessibility")).content.decode()
    main = _main(html)
    assert "Pilote Pix est non conforme" in main
    assert "réalisé le 20 novembre 2026 par Cabinet Exemple" in main
    assert "42,5 % des critères" in main
    assert "<li>Critère 8.5 : titres absents</li>" in main
    assert "<li>Cartes interactives</li>" in main
    assert "Critère 10.11" not in main
    assert "établie le 21 novembre 2026" in main
    assert f"mise à jour le {date_format(localtime(statement.updated_at), 'j F Y')}" in main
    assert 'href="mailto:accessibilite@exemple.gouv.fr"' in main
    assert "Accessibilité : non conforme" in _footer(html)
    assert "Accessibilité : non conforme" in _footer(client.get(reverse("login")).content.decode())

    # Once recorded, staff change it; no second statement can be added.
    client.force_login(cast.staff)
    assert client.get(reverse("admin:legal_accessibilitystatement_add")).status_code == 403
    client.post(
        reverse("admin:legal_accessibilitystatement_change", args=[statement.pk]),
        _statement_form(state="total", conformity_rate="100", non_conformities="", derogations=""),
    )
    html = client.get(reverse("legal:accessibility")).content.decode()
    assert "Pilote Pix est totalement conforme" in _main(html)
    assert "Aucune non-conformité connue." in _main(html)
    assert "Accessibilité : totalement conforme" in _footer(html)

    # Deleting it brings the defaults back.
    client.post(
        reverse("admin:legal_accessibilitystatement_delete", args=[statement.pk]),
        {"post": "yes"},
    )
    assert not AccessibilityStatement.objects.exists()
    html = client.get(reverse("legal:accessibility")).content.decode()
    assert "Pilote Pix est partiellement conforme" in _main(html)
    assert "Accessibilité : partiellement conforme" in _footer(html)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"state": "total"}, "non_conformities", "Un service totalement conforme n’a pas"),
        (
            {"state": "total", "non_conformities": "", "conformity_rate": "90"},
            "conformity_rate",
            "respecte 100 % des critères",
        ),
        ({"conformity_rate": "120"}, "conformity_rate", "inférieure ou égale à 100"),
    ],
)
def test_contradictory_statement_is_refused_and_changes_nothing(
    client, cast, overrides, field, message
):
    client.force_login(cast.staff)
    response = client.post(
        reverse("admin:legal_accessibilitystatement_add"), _statement_form(**overrides)
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors[field])
    assert not AccessibilityStatement.objects.exists()
    assert current_state().label == "partiellement conforme"


def test_footer_state_costs_one_query_then_none(db, nothing_cached, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert current_state() == "partial"
    with django_assert_num_queries(0):
        assert current_state() == "partial"


def test_legal_notice_shows_the_settings_or_says_unset(client, db, settings):
    main = _main(client.get(reverse("legal:legal_notice")).content.decode())
    assert main.count("Non renseigné") == 3  # publisher, director, host
    settings.LEGAL_PUBLISHER_NAME = "Direction régionale de l’exemple"
    settings.LEGAL_PUBLISHER_ADDRESS = "1 place de la République\n69000 Lyon"
    settings.LEGAL_PUBLICATION_DIRECTOR = "Camille Martin, directrice régionale"
    settings.LEGAL_HOST_NAME = "Hébergeur Exemple SAS"
    settings.LEGAL_HOST_ADDRESS = "2 rue des Serveurs, 59000 Lille"
    main = _main(client.get(reverse("legal:legal_notice")).content.decode())
    assert "Non renseigné" not in main
    assert "Direction régionale de l’exemple" in main
    assert "1 place de la République<br>69000 Lyon" in main
    assert "Camille Martin, directrice régionale" in main
    assert "Hébergeur Exemple SAS" in main and "2 rue des Serveurs" in main
    statement = _main(client.get(reverse("legal:accessibility")).content.decode())
    assert "Direction régionale de l’exemple s’engage" in statement
    assert "Adressez-vous au référent accessibilité" in statement
    # Without a contact of its own, the statement gives the publisher's.
    settings.LEGAL_PUBLISHER_CONTACT = "numerique@exemple.gouv.fr"
    statement = _main(client.get(reverse("legal:accessibility")).content.decode())
    assert "Contact de l’éditeur : numerique@exemple.gouv.fr" in statement


def test_data_protection_page_is_generic_for_visitors(client, cast):
    html = client.get(reverse("programmes:data_protection")).content.decode()
    main = _main(html)
    assert "Vos droits" in main
    assert cast.programme.name not in main
    assert reverse("programmes:my_page") not in main
    assert f"{reverse('login')}?next={reverse('programmes:my_data')}" in main


NAV_LINK = re.compile(r'<a class="fr-nav__link" href="([^"]+)"')


@pytest.mark.parametrize("role", ["owner", "ambassador", "manager", "agent", "outsider", "staff"])
def test_sitemap_lists_every_page_of_the_users_menu(client, cast, role):
    client.force_login(getattr(cast, role))
    html = client.get(reverse("legal:sitemap")).content.decode()
    menu = NAV_LINK.findall(html[: html.index("<main")])
    main = _main(html)
    assert menu or role == "outsider"
    for href in menu:
        assert f'href="{href}"' in main, (role, href)
    for name in FOOTER_LINKS:
        assert f'href="{reverse(name)}"' in main
    assert f'href="{reverse("login")}"' not in main


def test_sitemap_for_a_visitor_lists_the_public_pages(client, db):
    main = _main(client.get(reverse("legal:sitemap")).content.decode())
    hrefs = set(re.findall(r'href="([^"#]+)"', main))
    assert hrefs == {
        reverse("login"),
        reverse("password_reset"),
        *(reverse(name) for name in FOOTER_LINKS),
    }
