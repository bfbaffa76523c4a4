"""The database restarting during use: a clear French page (503, "Service momentanément
indisponible", retry advice), never the generic error page; a form sent during the outage is
said NOT saved and nothing of it is written; once the database is back, the next request
works without restarting the application, and the form sent again is saved once.

The first tests exercise config/db_unavailable.py in process (any database). The drill at
the end runs the application under gunicorn (DEBUG off, persistent connections) on a private
PostgreSQL cluster that it stops and starts again (fault_helpers.PrivateCluster): PostgreSQL
and initdb required, skipped without them except in CI. docs/FAULTS.md, drill 1."""

import logging
import sys

import psycopg
import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.sessions.backends.db import SessionStore
from django.db import OperationalError, connection
from django.test import Client, RequestFactory
from django.urls import reverse

from config.db_unavailable import WithoutDatabaseOutages, database_unavailable_response
from programmes.accompaniment.checkins import services as services_checkins
from programmes.models import CheckIn, MilestoneCount
from tests.agents.factories import DEFAULT_PASSWORD
from tests.integration.fault_helpers import (
    HttpClient,
    LiveApp,
    PrivateCluster,
    cluster_missing,
    postgres_missing,
    require,
    tail,
)
from tests.programmes.factories_accompaniment import MilestoneFactory

UNAVAILABLE = "Service momentanément indisponible"
NOT_SAVED = "Votre saisie n’a pas été enregistrée"


def run_url(milestone, agent) -> str:
    return reverse("programmes:milestone_run", kwargs={"pk": milestone.pk}) + f"?agent={agent.pk}"


def checkin_data(programme, comment: str) -> dict:
    barrier = programme.barriers.order_by("position").first()
    return {"barriers": [barrier.pk], "comment": comment, "next_step": ""}


def assert_unavailable_page(response_status, headers, text, *, entry_lost: bool) -> None:
    assert response_status == 503, text[:2000]
    assert headers.get("Retry-After") == "30"
    assert UNAVAILABLE in text
    assert "Réessayez dans quelques minutes" in text
    assert "Erreur inattendue" not in text  # not the generic 500 page
    assert "Traceback" not in text and "OperationalError" not in text
    assert (NOT_SAVED in text) is entry_lost


# --- In process ------------------------------------------------------------------------------


def test_the_503_page_is_rendered_without_a_single_query(django_assert_num_queries, db):
    with django_assert_num_queries(0):
        get = database_unavailable_response(RequestFactory().get("/programmes/?page=2"))
        post = database_unavailable_response(RequestFactory().post("/points-d-etape/1/revue/"))
    assert_unavailable_page(get.status_code, get, get.content.decode(), entry_lost=False)
    assert 'href="/programmes/?page=2"' in get.content.decode()  # "Réessayer"
    assert_unavailable_page(post.status_code, post, post.content.decode(), entry_lost=True)
    assert "no-cache" in get["Cache-Control"]
    assert "Se connecter" not in get.content.decode()  # who is signed in is unknown


def test_a_database_lost_before_the_view_answers_503_not_500(cast, monkeypatch):
    # The session is read by LoginRequiredMiddleware, before any view: Django has made a 500
    # of it by the time it reaches our middleware, which swaps it for the 503 page.
    client = Client(raise_request_exception=False)
    client.force_login(cast.ambassador)

    def unreachable(self):
        raise OperationalError('connection to server at "db" failed: Connection refused')

    monkeypatch.setattr(SessionStore, "load", unreachable)
    response = client.get(reverse("home"))
    assert_unavailable_page(
        response.status_code, response, response.content.decode(), entry_lost=False
    )


def test_an_outage_logs_one_line_per_request_not_a_traceback(cast, monkeypatch, caplog):
    client = Client(raise_request_exception=False)
    client.force_login(cast.ambassador)

    def unreachable(self):
        raise OperationalError("connection refused")

    monkeypatch.setattr(SessionStore, "load", unreachable)
    with caplog.at_level(logging.INFO):
        assert client.get(reverse("home")).status_code == 503

    assert [r.name for r in caplog.records if r.name == "django.request"] == []
    (line,) = [r for r in caplog.records if r.name == "config.db_unavailable"]
    assert line.levelno == logging.WARNING and "503 for GET /" in line.getMessage()
    # Other server errors keep their traceback in the logs.
    assert not WithoutDatabaseOutages().filter(
        logging.LogRecord("django.request", logging.ERROR, "", 0, "x", None, _exc(OperationalError))
    )
    assert WithoutDatabaseOutages().filter(
        logging.LogRecord("django.request", logging.ERROR, "", 0, "x", None, _exc(KeyError))
    )


def _exc(kind):
    try:
        raise kind("boom")
    except kind:
        return sys.exc_info()


def test_a_database_lost_in_a_view_answers_503(client, monkeypatch):
    class Unreachable:
        def cursor(self):
            raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("programmes.pages.views.connection", Unreachable())
    response = client.get(reverse("healthz"))
    assert_unavailable_page(
        response.status_code, response, response.content.decode(), entry_lost=False
    )


def test_a_checkin_whose_write_fails_midway_is_said_not_saved_and_nothing_is_written(
    client, cast, monkeypatch
):
    milestone = MilestoneFactory(population=cast.population)
    agent = cast.team[0]
    client.force_login(cast.ambassador)

    def lost(**_kwargs):
        # After the check-in row and its barriers are written, inside the transaction.
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(services_checkins, "milestone_counts_move", lost)
    data = checkin_data(cast.programme, "Manque de temps en mars")
    response = client.post(run_url(milestone, agent), data)

    assert_unavailable_page(
        response.status_code, response, response.content.decode(), entry_lost=True
    )
    assert not CheckIn.objects.exists()
    assert not MilestoneCount.objects.exists()

    monkeypatch.undo()
    response = client.post(run_url(milestone, agent), data)
    assert response.status_code == 302
    checkin = CheckIn.objects.get()
    assert (checkin.agent, checkin.comment) == (agent, "Manque de temps en mars")
    assert checkin.barriers.count() == 1


# --- The drill: a real PostgreSQL stopped and started under a running gunicorn -------------


@pytest.fixture
def private_cluster():
    require(postgres_missing() or cluster_missing())
    cluster = PrivateCluster.create()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_database_restart_under_a_running_app(cast, private_cluster, tmp_path):
    milestone = MilestoneFactory(population=cast.population, title="Point de mars")
    agent = cast.team[0]
    # gunicorn runs with the production hashers: a PBKDF2 hash (few rounds, for speed).
    cast.ambassador.password = PBKDF2PasswordHasher().encode(DEFAULT_PASSWORD, "drill", 1000)
    cast.ambassador.save(update_fields=["password"])
    private_cluster.copy_database(connection.settings_dict, "pilote_pix")
    app = LiveApp.start(
        database_url=private_cluster.url("pilote_pix"),
        log=tmp_path / "gunicorn.log",
        media_root=tmp_path / "media",
        CONN_MAX_AGE="60",  # persistent connections: the harder case after a restart
    )
    try:
        browser = HttpClient(app.base_url)
        assert browser.get("/comptes/connexion/").status == 200
        login = browser.post(
            "/comptes/connexion/", {"username": cast.ambassador.email, "password": DEFAULT_PASSWORD}
        )
        assert login.status == 302, login.text[:2000]
        form_page = browser.get(run_url(milestone, agent))
        assert form_page.status == 200 and "Commentaire" in form_page.text
        data = checkin_data(cast.programme, "Saisi pendant la coupure")

        private_cluster.stop()

        page = browser.get(run_url(milestone, agent))
        assert_unavailable_page(page.status, page.headers, page.text, entry_lost=False)
        home = browser.get("/")
        assert_unavailable_page(home.status, home.headers, home.text, entry_lost=False)
        sent = browser.post(run_url(milestone, agent), data)
        assert_unavailable_page(sent.status, sent.headers, sent.text, entry_lost=True)
        health = browser.get("/healthz/")
        assert health.status == 503
        # Someone arriving meanwhile: the login page shows, signing in answers the 503 page.
        visitor = HttpClient(app.base_url)
        assert visitor.get("/comptes/connexion/").status == 200
        attempt = visitor.post(
            "/comptes/connexion/", {"username": cast.ambassador.email, "password": "x"}
        )
        assert_unavailable_page(attempt.status, attempt.headers, attempt.text, entry_lost=True)

        private_cluster.start()

        # The same gunicorn process, not restarted: the very first request works.
        assert app.process.poll() is None
        home = browser.get("/")
        assert home.status == 302 and "connexion" not in home.headers["Location"], home.headers
        assert browser.get(run_url(milestone, agent)).status == 200
        resent = browser.post(run_url(milestone, agent), data)
        assert resent.status == 302, resent.text[:2000]
        assert browser.get("/healthz/").status == 200

        # A quick restart nobody noticed: gunicorn still holds a connection to the old
        # server. The health check (CONN_HEALTH_CHECKS) replaces it before it is used.
        private_cluster.stop()
        private_cluster.start()
        assert browser.get(run_url(milestone, agent)).status == 200
    finally:
        app.stop()

    log = app.log.read_text(errors="replace")
    assert "Database unavailable, 503" in log, tail(app.log)
    with psycopg.connect(private_cluster.url("pilote_pix")) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT id, agent_id, milestone_id, comment FROM programmes_checkin")
        rows = cursor.fetchall()
        assert [row[1:] for row in rows] == [(agent.pk, milestone.pk, "Saisi pendant la coupure")]
        cursor.execute(
            "SELECT count(*) FROM programmes_checkin_barriers WHERE checkin_id = %s", [rows[0][0]]
        )
        assert cursor.fetchone()[0] == 1
