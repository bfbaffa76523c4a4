from django.template.loader import render_to_string
from django.test import RequestFactory
from django.views.defaults import server_error


def test_server_error_page_is_french_and_needs_no_context(db):
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Erreur inattendue" in response.content.decode()


def test_not_found_page_says_so_in_french(client, cast):
    client.force_login(cast.agent)
    response = client.get("/nulle-part/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


def test_forbidden_page_says_so_in_french(client, cast):
    client.force_login(cast.agent)
    response = client.get("/agents/import/")
    assert response.status_code == 403
    assert "Accès refusé" in response.content.decode()


def test_csrf_failure_page_is_french():
    assert "Formulaire expiré" in render_to_string("403_csrf.html")


def test_post_without_csrf_token_is_refused(cast):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.owner)
    response = client.post("/agents/import/", {})
    assert response.status_code == 403
    assert "Formulaire expiré" in response.content.decode()
