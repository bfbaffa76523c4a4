"""Load test of Pilote Pix: the four roles browsing their pages (bench/load_test.sh runs it).

    locust -f bench/locustfile.py --headless -u 50 -r 5 -t 3m --host http://127.0.0.1:8010

Runs in locust's own virtualenv, against the database that bench/load_seed.py seeds; it
reads nothing of the app but the pages. Its HTTP client is locust's FastHttpUser
(geventhttpclient): the load generator runs on the machine it measures, and requests'
client cost several times its CPU per request. Users are weighted like real use: agents 60 %,
managers 25 %, ambassadors 10 %, owners 5 %. Each simulated user logs in once through the
real login form (CSRF token read from the form) with its own account of the seeded pool
(bench/load_accounts.py), then browses its role's pages with 1 to 4 s of reading between
two (LOAD_WAIT="min,max" to change); the ids it needs (populations, agents, milestones,
reviews, resources) come from links in the pages it saw, as a person would follow them.

Requests are named "[role] page" after their URL pattern, so that the report groups them.
A response fails when its status is not 200 or when it is the login page (session lost).
When the test stops, the response times of each role, overall, and overall without the two
login requests (exact percentiles from every request, not locust's rounded buckets) go to
the JSON file named by LOAD_ROLES_JSON, for the whole run and for its steady state: the
requests sent once all the users have logged in and read their first pages.
"""

import itertools
import json
import math
import os
import random
import re
import resource
import sys
import time
from pathlib import Path

from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load_accounts as accounts  # noqa: E402 - bench/ put on the path just above

LOGIN = "/comptes/connexion/"
# The login form, on the login page only: a page that shows it lost its session (the client
# follows redirects and reports the URL asked for, not the one it landed on).
LOGIN_FORM = f'<form method="post" action="{LOGIN}"'
# Common French surnames of the seeded names: searches that find a few to a few hundred.
SURNAMES = ("Martin", "Bernard", "Dubois", "Petit", "Garcia", "Nguyen", "Moreau", "Fontaine",
            "Lambert", "Roux", "Mercier", "Faure", "Chevalier", "Girard", "Perrin")  # fmt: skip
STATUS_SLUGS = ("not_started", "in_progress", "stalled", "target_reached")

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PROGRAMME_LINK = re.compile(r'href="/programmes/([a-z0-9-]+)/"')
POPULATION_LINK = re.compile(r'href="/populations/(\d+)/"')
AGENT_LINK = re.compile(r'href="/agents/(\d+)/"')
MILESTONE_LINK = re.compile(r'href="/points-d-etape/(\d+)/"')
CYCLE_DETAIL_LINK = re.compile(r'href="/entretiens/pilotage/campagne/(\d+)/"')
CYCLE_TEAM_LINK = re.compile(r'href="/entretiens/campagnes/(\d+)/mon-equipe/"')
REVIEW_LINK = re.compile(r'href="/entretiens/fiche/(\d+)/"')
RESOURCE_FORM = re.compile(r'action="/mon-parcours/ressources/(\d+)/"')
MENTORING_ASK = re.compile(
    r'action="/mon-parcours/compagnonnage/([a-z0-9-]+)/demande/"[^>]*>.*?'
    r'name="competence" value="([0-9.]+)"',
    re.S,
)
PAGE_NUMBER = re.compile(r"[?&;]page=(\d+)")


def last_page(html: str) -> int:
    return max((int(n) for n in PAGE_NUMBER.findall(html)), default=1)


def ids(pattern: re.Pattern, html: str) -> list:
    return sorted(set(pattern.findall(html)))


# --- Per-role response times, written when the test stops ------------------------------------

WHOLE, STEADY = "whole run", "steady state"
TIMES: dict[str, dict[str, list[float]]] = {WHOLE: {}, STEADY: {}}
FAILURES: dict[str, dict[str, int]] = {WHOLE: {}, STEADY: {}}
# Steady state: the requests sent once every simulated user has logged in and read its
# first pages (the ramp-up's burst of logins, each ~0.3 s of PBKDF2, left out).
READY = {"users": 0, "at": None, "first": None}


def _user_ready(environment) -> None:
    READY["users"] += 1
    if READY["at"] is None and READY["users"] >= environment.runner.target_user_count:
        READY["at"] = time.time()


@events.request.add_listener
def _record(name, response_time, exception, start_time=None, **_kwargs):
    READY["first"] = READY["first"] or start_time
    role = name[1 : name.index("]")] if name.startswith("[") else "other"
    keys = [role, "overall"] + ([] if "connexion" in name else ["pages (without login)"])
    windows = [WHOLE]
    if READY["at"] is not None and start_time is not None and start_time >= READY["at"]:
        windows.append(STEADY)
    for window in windows:
        for key in keys:
            TIMES[window].setdefault(key, []).append(response_time)
            if exception is not None:
                FAILURES[window][key] = FAILURES[window].get(key, 0) + 1


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@events.test_stop.add_listener
def _write_roles(**_kwargs):
    path = os.environ.get("LOAD_ROLES_JSON")
    if not path or not TIMES[WHOLE]:
        return
    report = {
        window: {
            role: {
                "requests": len(values),
                "failures": FAILURES[window].get(role, 0),
                "p50": round(_percentile(values, 0.50)),
                "p95": round(_percentile(values, 0.95)),
                "p99": round(_percentile(values, 0.99)),
                "max": round(max(values)),
            }
            for role, values in sorted(TIMES[window].items())
        }
        for window in (WHOLE, STEADY)
    }
    # The load generator's own CPU time: it shares the machine with the server.
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report["locust_cpu_s"] = round(usage.ru_utime + usage.ru_stime, 1)
    if READY["at"] is not None and READY["first"] is not None:
        report["steady_after_s"] = round(READY["at"] - READY["first"], 1)
    Path(path).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


# --- The simulated people -------------------------------------------------------------------


class PiloteUser(FastHttpUser):
    """Logs in once with the next account of its role's pool, then browses."""

    abstract = True
    wait_time = between(*(float(s) for s in os.environ.get("LOAD_WAIT", "1,4").split(",")))
    account_role = ""  # the pool (load_accounts)
    label = ""  # the name prefix in the report

    def on_start(self):
        pool = accounts.emails(self.account_role)
        self.email = pool[next(self.numbers) % len(pool)]
        self.landing = self.login()
        self.discover()
        _user_ready(self.environment)

    def discover(self):
        """Reads the first pages for the ids the tasks need."""

    def login(self):
        form = self.page(LOGIN, "connexion (formulaire)", logged_in=False)
        token = CSRF_FIELD.search(form.text)
        data = {
            "username": self.email,
            "password": accounts.PASSWORD,
            "csrfmiddlewaretoken": token.group(1) if token else "",
        }
        with self.client.post(
            LOGIN, data=data, name=f"[{self.label}] connexion (envoi)", catch_response=True
        ) as response:
            self.check(response)
        return response

    def check(self, response, logged_in=True):
        if response.status_code != 200:
            response.failure(f"HTTP {response.status_code}")
        elif logged_in and LOGIN_FORM in (response.text or ""):
            response.failure("page de connexion : session perdue ou connexion refusée")
        else:
            response.success()

    def page(self, path, name, *, logged_in=True, **params):
        with self.client.get(
            path, params=params or None, name=f"[{self.label}] {name}", catch_response=True
        ) as response:
            self.check(response, logged_in=logged_in)
        return response

    def post(self, path, name, data):
        token = next((c.value for c in self.client.cookiejar if c.name == "csrftoken"), "")
        data = {**data, "csrfmiddlewaretoken": token}
        with self.client.post(
            path, data=data, name=f"[{self.label}] {name}", catch_response=True
        ) as response:
            self.check(response)
        return response


class OwnerUser(PiloteUser):
    """The programme owner: dashboard and its exports, programme, populations, access log."""

    weight = 5
    account_role, label = "pilote", "pilote"
    numbers = itertools.count()

    def discover(self):
        self.slug = PROGRAMME_LINK.findall(self.landing.text)[0]
        detail = self.page(f"/programmes/{self.slug}/", "/programmes/[slug]/")
        self.populations = ids(POPULATION_LINK, detail.text)
        cycles = self.page("/entretiens/pilotage/", "/entretiens/pilotage/")
        self.cycles = ids(CYCLE_DETAIL_LINK, cycles.text)

    @task(5)
    def dashboard(self):
        self.page(
            f"/programmes/{self.slug}/tableau-de-bord/", "/programmes/[slug]/tableau-de-bord/"
        )

    @task(3)
    def dashboard_population(self):
        self.page(
            f"/programmes/{self.slug}/tableau-de-bord/",
            "/programmes/[slug]/tableau-de-bord/?population=",
            population=random.choice(self.populations),
        )

    @task(2)
    def programme(self):
        self.page(f"/programmes/{self.slug}/", "/programmes/[slug]/")

    @task(1)
    def programmes(self):
        self.page("/programmes/", "/programmes/")

    @task(2)
    def population(self):
        self.page(f"/populations/{random.choice(self.populations)}/", "/populations/[id]/")

    @task(1)
    def access_log(self):
        self.page(
            f"/programmes/{self.slug}/consultations/",
            "/programmes/[slug]/consultations/",
            page=random.randint(1, 5),
        )

    @task(1)
    def export_csv(self):
        self.page(
            f"/programmes/{self.slug}/tableau-de-bord/export.csv",
            "/programmes/[slug]/tableau-de-bord/export.csv",
        )

    @task(1)
    def export_xlsx(self):
        self.page(
            f"/programmes/{self.slug}/tableau-de-bord/export.xlsx",
            "/programmes/[slug]/tableau-de-bord/export.xlsx",
        )

    @task(1)
    def review_cycle(self):
        if self.cycles:
            self.page(
                f"/entretiens/pilotage/campagne/{random.choice(self.cycles)}/",
                "/entretiens/pilotage/campagne/[id]/",
            )


class AmbassadorUser(PiloteUser):
    """The Pix ambassador: their populations and agents (search, pages, statuses), an agent's
    page, milestones, resources, reminders, mentoring."""

    weight = 10
    account_role, label = "ambassadeur", "ambassadeur"
    numbers = itertools.count()

    def discover(self):
        # Their home is a to-do list (its links carry filters): their populations are listed
        # on « Populations ».
        listed = self.page("/populations/", "/populations/")
        self.populations = ids(POPULATION_LINK, listed.text)
        first = self.page(f"/populations/{self.populations[0]}/", "/populations/[id]/")
        self.slug = PROGRAMME_LINK.findall(first.text)[0]
        self.pages = {self.populations[0]: last_page(first.text)}
        self.agents = ids(AGENT_LINK, first.text)
        milestones = self.page(
            f"/populations/{self.populations[0]}/points-d-etape/",
            "/populations/[id]/points-d-etape/",
        )
        self.milestones = ids(MILESTONE_LINK, milestones.text)

    def population_id(self):
        return random.choice(self.populations)

    @task(2)
    def population_list(self):
        self.page("/populations/", "/populations/")

    @task(3)
    def population_page(self):
        pk = self.population_id()
        response = self.page(
            f"/populations/{pk}/",
            "/populations/[id]/?page=",
            page=random.randint(1, self.pages.get(pk, 1)),
        )
        self.pages[pk] = last_page(response.text)
        self.agents = (ids(AGENT_LINK, response.text) or self.agents)[:200]

    @task(2)
    def population_search(self):
        self.page(
            f"/populations/{self.population_id()}/",
            "/populations/[id]/?q=",
            q=random.choice(SURNAMES),
        )

    @task(1)
    def population_status(self):
        self.page(
            f"/populations/{self.population_id()}/",
            "/populations/[id]/?statut=&tri=",
            statut=random.choice(STATUS_SLUGS),
            tri=random.choice(("nom", "-statut", "statut")),
        )

    @task(2)
    def agent_search(self):
        self.page(
            "/agents/", "/agents/?q=&page=", q=random.choice(SURNAMES), page=random.randint(1, 3)
        )

    @task(4)
    def agent_detail(self):
        if self.agents:
            self.page(f"/agents/{random.choice(self.agents)}/", "/agents/[id]/")

    @task(1)
    def milestone_list(self):
        self.page(
            f"/populations/{self.population_id()}/points-d-etape/",
            "/populations/[id]/points-d-etape/",
        )

    @task(2)
    def milestone(self):
        if self.milestones:
            self.page(f"/points-d-etape/{random.choice(self.milestones)}/", "/points-d-etape/[id]/")

    @task(1)
    def resources(self):
        self.page(f"/programmes/{self.slug}/ressources/", "/programmes/[slug]/ressources/")

    @task(1)
    def reminders(self):
        self.page(f"/programmes/{self.slug}/relances/", "/programmes/[slug]/relances/")

    @task(1)
    def reminder_log(self):
        self.page(
            f"/programmes/{self.slug}/relances/envois/",
            "/programmes/[slug]/relances/envois/",
            page=random.randint(1, 5),
        )

    @task(1)
    def mentoring(self):
        self.page(f"/programmes/{self.slug}/compagnonnage/", "/programmes/[slug]/compagnonnage/")


class ManagerUser(PiloteUser):
    """The manager: their team, an agent's page, the team's review sheets, a sheet."""

    weight = 25
    account_role, label = "encadrant", "encadrant"
    numbers = itertools.count()

    def discover(self):
        self.team_pages = last_page(self.landing.text)
        self.agents = ids(AGENT_LINK, self.landing.text)
        cycles = self.page("/entretiens/pilotage/", "/entretiens/pilotage/")
        self.cycles = ids(CYCLE_TEAM_LINK, cycles.text)
        self.reviews = []
        if self.cycles:
            self.team_reviews()

    @task(3)
    def team(self):
        response = self.page("/equipe/", "/equipe/?page=", page=random.randint(1, self.team_pages))
        self.agents = ids(AGENT_LINK, response.text) or self.agents

    @task(4)
    def agent_detail(self):
        if self.agents:
            self.page(f"/agents/{random.choice(self.agents)}/", "/agents/[id]/")

    @task(2)
    def team_reviews(self):
        if self.cycles:
            response = self.page(
                f"/entretiens/campagnes/{self.cycles[0]}/mon-equipe/",
                "/entretiens/campagnes/[id]/mon-equipe/",
            )
            self.reviews = ids(REVIEW_LINK, response.text) or self.reviews

    @task(3)
    def review(self):
        if self.reviews:
            self.page(
                f"/entretiens/fiche/{random.choice(self.reviews)}/", "/entretiens/fiche/[id]/"
            )

    @task(1)
    def reviews_home(self):
        self.page("/entretiens/pilotage/", "/entretiens/pilotage/")

    @task(1)
    def own_page(self):
        self.page("/mon-parcours/", "/mon-parcours/")


class AgentUser(PiloteUser):
    """The agent: Mon parcours (levels, resources, mentoring) and what they do there, their
    data, their review."""

    weight = 60
    account_role, label = "agent", "agent"
    numbers = itertools.count()

    def discover(self):
        self.read_my_page(self.landing)
        mine = self.page("/entretiens/mes-entretiens/", "/entretiens/mes-entretiens/")
        self.reviews = ids(REVIEW_LINK, mine.text)

    def read_my_page(self, response):
        self.resources = ids(RESOURCE_FORM, response.text)
        self.mentoring_asks = MENTORING_ASK.findall(response.text)

    @task(6)
    def my_page(self):
        self.read_my_page(self.page("/mon-parcours/", "/mon-parcours/"))

    @task(1)
    def mark_resource(self):
        if self.resources:
            response = self.post(
                f"/mon-parcours/ressources/{random.choice(self.resources)}/",
                "POST /mon-parcours/ressources/[id]/",
                {"action": random.choice(("started", "done", "useful"))},
            )
            self.read_my_page(response)

    @task(1)
    def ask_then_cancel_mentoring(self):
        """Asks for a mentor on a competence below target, then cancels (state unchanged)."""
        if self.mentoring_asks:
            slug, competence = random.choice(self.mentoring_asks)
            self.post(
                f"/mon-parcours/compagnonnage/{slug}/demande/",
                "POST /mon-parcours/compagnonnage/[slug]/demande/",
                {"competence": competence},
            )
            response = self.post(
                f"/mon-parcours/compagnonnage/{slug}/annulation/",
                "POST /mon-parcours/compagnonnage/[slug]/annulation/",
                {"competence": competence},
            )
            self.read_my_page(response)

    @task(1)
    def my_data(self):
        self.page("/mes-donnees/", "/mes-donnees/")

    @task(1)
    def my_data_file(self):
        self.page("/mes-donnees/export.json", "/mes-donnees/export.json")

    @task(1)
    def data_protection(self):
        self.page("/protection-des-donnees/", "/protection-des-donnees/")

    @task(1)
    def my_reviews(self):
        self.page("/entretiens/mes-entretiens/", "/entretiens/mes-entretiens/")

    @task(2)
    def review(self):
        if self.reviews:
            self.page(
                f"/entretiens/fiche/{random.choice(self.reviews)}/", "/entretiens/fiche/[id]/"
            )
