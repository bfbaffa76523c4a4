"""Benchmark of the pages and jobs that read statuses, at the size of the largest ministry
(issue 18): one programme of up to a million agents, seeded by COPY.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/scale_bench.py --agents 100000
    BENCH_DATABASE=pilote_pix_scale1m DATABASE_URL=… .venv/bin/python bench/scale_bench.py \
        --agents 1000000

Uses its own database, BENCH_DATABASE (default `pilote_pix_scalebench`), on DATABASE_URL's
server, created and migrated if needed. The seed is kept for the next run when it holds the
same number of agents (else, or with --reseed, everything is written again):

- an organisation of directions of 20,021 agents each (a director, 20 bureau heads, 200 unit
  heads, 19,800 agents in units of 99), the manager tree following it: every director has
  20,020 direct and indirect reports;
- one programme following one profiles collection, with three populations and their level
  targets: « Agents » (everyone but the managers), « Encadrant·e·s » (the managers) and
  « Référent·e·s numériques » (one agent in fifty, also in one of the others: overlaps);
  and two managerial programmes of one population each, the first direction's 20,020
  agents, none started (the director's team spans three programmes);
- per agent, drawn from a fixed seed: 25 % not started, 15 % started without sharing, 60 %
  shared with a level on each target's competence; the last progress spread over the last
  months (so stalled, in progress and reached all occur);
- the enrolments with their stored progress state (programmes/progress.py) written at seed
  time from the same draw, then checked against the live engine (`progress.drift`) on a
  sample of 2,000 enrolments: the seed is consistent, or the bench stops.

Then it times the figures refresh of the programme (`programme_stats_refresh`, what runs
after an import and every night: each population's figures, then the enrolments counted by
unit of the organisation chart, then each manager's team: `teams.team_stats_refresh`) and,
with Django's test client (server time: the view and
its template, no network), the median of --runs requests after one warm-up, and the number
of SQL queries of each page: the owner's dashboard; the population page as its ambassador
(no filter, filtered by status, sorted by status, page 3); the reminders overview and
preview (the ambassador sees names, the owner counts only), then again once reminders have gone out
for weeks (`measure_after_sending`); a director's team page (20,020
reports in three programmes: past settings.TEAM_LIVE_FIGURES_UP_TO, its figures are those of
the refresh); « Mon parcours »; the agents list of the ambassador (first page, a search),
of the director (20,020 reports) and of the owner (page 5, page 200); the check-in pages
with half the largest population seen at a milestone (`measure_checkins`). A page whose
warm-up takes longer than --budget seconds is timed once (marked « 1× »), so that a page
still linear in headcount does not hold the run for an hour at a million agents.

A query that runs longer than --timeout seconds is cancelled (statement_timeout) and the page
reported as « > N s ».

Options: --agents N (default 100,000), --runs N (default 5), --budget S (default 20),
--timeout S (default 60), --reseed, --checkins-only (the check-in pages alone).
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import benchdb  # bench/ is on the path: these run as scripts

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = os.environ.get("BENCH_DATABASE", "pilote_pix_scalebench")
SLUG = "bench-echelle"
SEED = 2018
OWNER = "pilote-echelle@exemple.gouv.fr"
AMBASSADOR = "ambassadeur-echelle@exemple.gouv.fr"
MANAGER = "directeur-echelle@exemple.gouv.fr"
AGENT = "agent-echelle@exemple.gouv.fr"
BUREAUS, UNITS, UNIT_STAFF = 20, 10, 99  # per direction, per bureau, per unit (besides heads)
DIRECTION_SIZE = 1 + BUREAUS * (1 + UNITS * (1 + UNIT_STAFF))  # 20,021
REFERENT_EVERY = 50
POPULATIONS = [
    # (name, {competence code: target level})
    ("Agents", {"1.1": 3, "2.1": 2, "3.1": 2}),
    ("Encadrant·e·s", {"1.1": 3, "2.1": 3, "3.1": 3}),
    ("Référent·e·s numériques", {"1.1": 4, "3.1": 4}),
]
COMPETENCES = ("1.1", "2.1", "3.1")
SAMPLE = 2000
REMINDER_PAGES = ("relances : vue d'ensemble (ambassadeur)", "relances : aperçu (ambassadeur)",
                  "relances : vue d'ensemble (pilote, décomptes)")  # fmt: skip


def timed(label, function):
    began = time.perf_counter()
    value = function()
    print(f"  {label:<52} {time.perf_counter() - began:8.2f} s", flush=True)
    return value


def copy_rows(cursor, table: str, columns: str, rows) -> int:
    count = 0
    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


# --- The organisation and each agent's progress, drawn in plain Python ---------------------


def plan_org(agents: int):
    """Units (id, name, code, kind, parent id) and agents (id, manager id, unit id, title,
    is a manager), ids from 1, managers before their reports."""
    units, people = [], []

    def unit(name, code, kind, parent):
        units.append((len(units) + 1, name, code, kind, parent))
        return len(units)

    def person(manager, unit_id, title, manages):
        if len(people) >= agents:
            raise StopIteration
        people.append((len(people) + 1, manager, unit_id, title, manages))
        return len(people)

    try:
        for d in range(agents // DIRECTION_SIZE + 1):
            direction = unit(f"Direction {d + 1}", f"D{d + 1}", "direction", None)
            director = person(None, direction, "Directeur·rice", True)
            for b in range(BUREAUS):
                bureau = unit(f"Bureau {b + 1}", f"D{d + 1}-B{b + 1}", "service", direction)
                bureau_head = person(director, bureau, "Chef·fe de bureau", True)
                for u in range(UNITS):
                    code = f"D{d + 1}-B{b + 1}-U{u + 1}"
                    unit_id = unit(f"Unité {u + 1}", code, "unit", bureau)
                    head = person(bureau_head, unit_id, "Chef·fe d'unité", True)
                    for _ in range(UNIT_STAFF):
                        person(head, unit_id, "Agent", False)
    except StopIteration:
        pass
    return units, people


def draw_progress(rng: random.Random, now: datetime):
    """One agent's Pix progress: (last progress or None, shared, {competence: level})."""
    draw = rng.random()
    if draw < 0.25:
        return None, False, {}
    last = now - timedelta(days=min(400.0, rng.expovariate(1 / 45)), seconds=rng.randint(0, 86399))
    if draw < 0.40:
        return last, False, {}
    return last, True, {code: rng.choice((0, 1, 2, 2, 3, 3, 3, 4, 4, 5, 6)) for code in COMPETENCES}


def stored_state(targets, last, shared, levels):
    """The enrolment's stored progress state from the agent's draw and its population's
    targets [(target id, competence code, level)]: what programmes/progress.py would write."""
    values = {str(pk): levels[code] for pk, code, _level in targets if code in levels}
    met = sum(1 for pk, _code, level in targets if values.get(str(pk), -1) >= level)
    return values, len(targets), met, bool(targets) and met == len(targets), shared, last


def is_seeded(agents: int) -> bool:
    from agents.models import Agent
    from programmes.models import Programme

    return (
        Programme.objects.filter(slug__startswith=SLUG).count() == 3
        and Agent.objects.count() == agents
    )


def seed(agents: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from agents.models import Agent, User
    from campaigns.enums import CampaignKind, ImportStatus
    from campaigns.models import Campaign, Competence, ResultImport
    from programmes.models import Programme, ReminderSettings, Target, TargetPopulation

    rng = random.Random(SEED)
    now = timezone.now().astimezone(UTC)
    units, people = plan_org(agents)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE programmes_programme, campaigns_campaign, campaigns_resultimport, "
            "agents_agent, agents_orgunit, agents_user RESTART IDENTITY CASCADE"
        )
        owner = User.objects.create(email=OWNER, first_name="Paule", last_name="Pilote")
        ambassador = User.objects.create(email=AMBASSADOR, first_name="Ali", last_name="Amb")
        programme = Programme.objects.create(
            name="Programme à l'échelle d'un ministère",
            slug=SLUG,
            start_date=(now - timedelta(days=420)).date(),
        )
        programme.owners.add(owner)
        ReminderSettings.objects.create(programme=programme, enabled=True)
        campaign = Campaign.objects.create(
            pix_id=990018, code="ECHELLE", name="Collecte échelle",
            kind=CampaignKind.PROFILES_COLLECTION,
        )  # fmt: skip
        programme.campaigns.add(campaign)  # before any participation: nothing to refresh
        result_import = ResultImport.objects.create(
            campaign=campaign, file="bench/echelle.csv", original_name="echelle.csv",
            sha256="e" * 64, uploaded_at=now, exported_at=now, status=ImportStatus.DONE,
        )  # fmt: skip
        competences = {c.code: c.pk for c in Competence.objects.filter(code__in=COMPETENCES)}
        populations = []
        for name, levels in POPULATIONS:
            population = TargetPopulation.objects.create(programme=programme, name=name)
            made = Target.objects.bulk_create(
                Target(population=population, competence_id=competences[code], level=level)
                for code, level in levels.items()
            )
            targets = [(t.pk, code, t.level) for t, code in zip(made, levels, strict=True)]
            populations.append((population, targets))
        populations[0][0].ambassadors.add(ambassador)

        timed(
            f"unités ({len(units):,}, COPY)",
            lambda: copy_rows(cursor, "agents_orgunit", "id, name, code, kind, parent_id", units),
        )
        timed(
            f"agents ({len(people):,}, COPY)",
            lambda: copy_rows(
                cursor,
                "agents_agent",
                "id, last_name, first_name, email, external_id, job_title, is_active, "
                "created_at, updated_at, manager_id, org_unit_id",
                (
                    (
                        pk,
                        f"Nom{pk:07d}",
                        "Prénom",
                        f"agent{pk}@echelle.gouv.fr",
                        f"E{pk:07d}",
                        title,
                        True,
                        now,
                        now,
                        manager,
                        unit_id,
                    )
                    for pk, manager, unit_id, title, _manages in people
                ),  # fmt: skip
            ),
        )
        progress = [draw_progress(rng, now) for _ in people]
        start = programme.start_date
        (agents_pop, agents_targets), (heads_pop, heads_targets), (ref_pop, ref_targets) = (
            populations
        )

        def enrolments():
            pk = 0
            for (agent_id, _m, _u, _t, manages), (last, shared, levels) in zip(
                people, progress, strict=True
            ):
                own = [(heads_pop, heads_targets) if manages else (agents_pop, agents_targets)]
                if agent_id % REFERENT_EVERY == 0:
                    own.append((ref_pop, ref_targets))
                for population, targets in own:
                    pk += 1
                    values, targets_set, met, reached, has_shared, last_activity = stored_state(
                        targets, last, shared, levels
                    )
                    yield (
                        pk, agent_id, population.pk, start, has_shared, last_activity, reached,
                        _json(values), met, targets_set,
                    )  # fmt: skip

        timed(
            "inscriptions et leur état de progression (COPY)",
            lambda: copy_rows(
                cursor,
                "programmes_enrolment",
                "id, agent_id, population_id, start_date, has_shared, last_activity, reached, "
                "target_values, targets_met, targets_set",
                enrolments(),
            ),
        )
        participants = [
            (agent_id, last, shared, levels)
            for (agent_id, *_rest), (last, shared, levels) in zip(people, progress, strict=True)
            if last is not None
        ]

        def participations():
            for pk, (agent_id, last, shared, _levels) in enumerate(participants, start=1):
                shared_at = last - timedelta(hours=2) if shared else None
                yield (
                    pk, campaign.pk, agent_id, "external_id", f"Nom{agent_id:07d}", "Prénom",
                    f"E{agent_id:07d}", f"ext:e{agent_id:07d}", "open",
                    "SHARED" if shared else "STARTED", 1 if shared else 0.4,
                    last - timedelta(days=3), shared_at, "[]", "{}", "",
                    result_import.pk, result_import.pk, last,
                )  # fmt: skip

        timed(
            f"participations ({len(participants):,}, COPY)",
            lambda: copy_rows(
                cursor,
                "campaigns_participation",
                "id, campaign_id, agent_id, match_status, participant_last_name, "
                "participant_first_name, participant_external_id, participant_key, row_key, "
                "status, progression, started_at, shared_at, badges, organisation_values, "
                "results_digest, first_import_id, last_import_id, last_progress_at",
                participations(),
            ),
        )

        def results():
            for pk, (_agent_id, last, shared, levels) in enumerate(participants, start=1):
                if shared:
                    for code, level in levels.items():
                        yield (pk, result_import.pk, competences[code], last - timedelta(hours=2),
                               level, level * 8)  # fmt: skip

        timed(
            "résultats par compétence (COPY)",
            lambda: copy_rows(
                cursor,
                "campaigns_competenceresult",
                "participation_id, result_import_id, competence_id, observed_at, level, pix",
                results(),
            ),
        )
        for table in ("agents_orgunit", "agents_agent", "programmes_enrolment",
                      "campaigns_participation"):  # fmt: skip
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        # Two managerial programmes the first direction's 20,020 agents are in too (none
        # started): the director's team page counts three programmes.
        for n in (2, 3):
            other = Programme.objects.create(
                name=f"Programme d'équipe {n}", slug=f"{SLUG}-{n}", purpose="managerial",
                start_date=start,
            )  # fmt: skip
            population = TargetPopulation.objects.create(programme=other, name="Direction 1")
            copy_rows(
                cursor,
                "programmes_enrolment",
                "agent_id, population_id, start_date, has_shared, reached, target_values, "
                "targets_met, targets_set",
                ((agent_id, population.pk, start, False, False, "{}", 0, 0)
                 for agent_id in range(2, min(DIRECTION_SIZE, agents) + 1)),
            )  # fmt: skip
        # The logins: a director (20,020 reports) and one of the agents who shared.
        director = User.objects.create(email=MANAGER, first_name="Dora", last_name="Directrice")
        Agent.objects.filter(pk=1).update(user=director)
        agent_user = User.objects.create(email=AGENT, first_name="Aude", last_name="Agente")
        sharer = next(a for a, _last, shared, _l in participants if shared and a % 100 > 3)
        Agent.objects.filter(pk=sharer).update(user=agent_user)
    with connection.cursor() as cursor:
        timed("VACUUM ANALYZE", lambda: cursor.execute("VACUUM ANALYZE"))


def _json(values: dict) -> str:
    return "{" + ", ".join(f'"{key}": {value}' for key, value in values.items()) + "}"


# --- Checks and measures ---------------------------------------------------------------------


def check_drift() -> None:
    """The stored state of 2,000 random enrolments against the live engine: zero drift."""
    from programmes import progress
    from programmes.models import Enrolment

    ids = list(Enrolment.objects.order_by("?").values_list("pk", flat=True)[:SAMPLE])
    found = timed(
        f"progress.drift() sur {len(ids):,} inscriptions",
        lambda: progress.drift(Enrolment.objects.filter(pk__in=ids)),
    )
    if found:
        for drifted in found[:5]:
            print(f"    DÉRIVE {drifted}")
        sys.exit(f"{len(found)} inscriptions dérivent du moteur de statuts : seed incohérent.")
    print(f"    aucune dérive sur {len(ids):,} inscriptions tirées au hasard")


def _counted(function):
    """`function()`'s value, its time (s) and its number of SQL queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        value = function()
        seconds = time.perf_counter() - began
    return value, seconds, len(queries)


def refresh_figures(rows: list) -> None:
    from django.utils import timezone

    from programmes.models import Programme, TargetPopulation
    from programmes.steering import stats, teams, units

    today = timezone.localdate()
    total = 0.0
    for population in TargetPopulation.objects.filter(programme__slug=SLUG).order_by("pk"):
        stat, seconds, queries = _counted(
            lambda population=population: stats.population_stats_refresh(
                population=population, on=today
            )
        )
        total += seconds
        print(
            f"  chiffres de « {population.name} » : {seconds:.2f} s, {queries} requêtes "
            f"({stat.enrolled:,} inscrits, {stat.not_started:,} non commencés, "
            f"{stat.in_progress:,} en cours, {stat.stalled:,} à l'arrêt, "
            f"{stat.reached:,} à l'objectif)",
            flush=True,
        )
    programme = Programme.objects.get(slug=SLUG)
    stored, seconds, queries = _counted(
        lambda: units.unit_stats_refresh(programme=programme, on=today)
    )
    total += seconds
    print(
        f"  inscriptions par unité : {seconds:.2f} s, {queries} requêtes "
        f"({', '.join(f'{len(stat.rows):,} au niveau {stat.depth}' for stat in stored)})",
        flush=True,
    )
    written, seconds, queries = _counted(
        lambda: teams.team_stats_refresh(programme=programme, on=today)
    )
    total += seconds
    print(
        f"  équipes de chaque responsable : {seconds:.2f} s, {queries} requêtes "
        f"({written:,} responsables)",
        flush=True,
    )
    rows.append(("rafraîchissement des chiffres du programme", total * 1000, None, ""))
    # The two programmes of the first direction, for the director's team page.
    for other in Programme.objects.filter(slug__startswith=f"{SLUG}-"):
        stats.programme_stats_refresh(programme=other, on=today)


def measure(client, url: str, runs: int, budget: float, timeout: int):
    """Median server time (ms) of `runs` requests after a warm-up, timed without the query
    log, then the number of queries of one more request (the warm-up's when the page is too
    slow to run again: it may count a read of what the cache keeps for a minute, the
    footer's accessibility state, which a page measured after a long seeding found
    expired). A query longer than `timeout` seconds is cancelled (PostgreSQL's
    statement_timeout): the page is then reported as taking more than that."""
    from django.db import OperationalError, connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    with connection.cursor() as cursor:
        cursor.execute(f"SET statement_timeout = {timeout * 1000}")
    try:
        reset_queries()  # each request resets the log: capture from an empty one
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            try:
                response = client.get(url)
            except OperationalError:
                return timeout * 1000, None, f"> {timeout} s : requête annulée"
            warm = time.perf_counter() - began
        # Now: the captured list is read from the connection's log, which the next request
        # resets.
        count = len(queries)
        if response.status_code == 503:  # the app's answer to a cancelled query
            return timeout * 1000, None, f"> {timeout} s : requête annulée"
        assert response.status_code == 200, (url, response.status_code)
        if warm > budget:
            return warm * 1000, count, "1×"
        times = []
        for _ in range(runs):
            began = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        return statistics.median(times), len(queries), ""
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")


def measure_pages(rows: list, runs: int, budget: float, timeout: int) -> None:
    from django.urls import reverse

    from programmes.models import TargetPopulation

    population = TargetPopulation.objects.get(programme__slug=SLUG, name=POPULATIONS[0][0])
    detail = reverse("programmes:population_detail", kwargs={"pk": population.pk})
    cases = [
        (OWNER, "tableau de bord (pilote)", reverse("programmes:dashboard", kwargs={"slug": SLUG})),
        (AMBASSADOR, "page population (ambassadeur), sans filtre", detail),
        (AMBASSADOR, "  filtrée par statut (à l'arrêt)", f"{detail}?statut=stalled"),
        (AMBASSADOR, "  triée par statut", f"{detail}?tri=statut"),
        (AMBASSADOR, "  page 3", f"{detail}?page=3"),
        (AMBASSADOR, REMINDER_PAGES[0],
         reverse("programmes:reminder_overview", kwargs={"slug": SLUG})),
        (AMBASSADOR, REMINDER_PAGES[1],
         reverse("programmes:reminder_preview", kwargs={"slug": SLUG})),
        (OWNER, REMINDER_PAGES[2],
         reverse("programmes:reminder_overview", kwargs={"slug": SLUG})),
        (MANAGER, "équipe d'un·e directeur·rice (20 020 agents)", reverse("programmes:team")),
        (AGENT, "« Mon parcours »", reverse("programmes:my_page")),
        (AMBASSADOR, "agents (ambassadeur)", reverse("programmes:agent_list")),
        (AMBASSADOR, "  recherche « martin », page 2",
         reverse("programmes:agent_list") + "?q=martin&page=2"),
        (MANAGER, "agents (directeur·rice)", reverse("programmes:agent_list")),
        (OWNER, "agents (pilote), page 5", reverse("programmes:agent_list") + "?page=5"),
        (OWNER, "  page 200 (la dernière)", reverse("programmes:agent_list") + "?page=200"),
    ]  # fmt: skip
    measure_cases(rows, cases, runs, budget, timeout)


# What sending writes: the reminders, and by trigger the enrolments' holds and their tally.
SENDING_TABLES = ("programmes_reminder", "programmes_enrolment", "programmes_populationtally")


# The mark of the reminders `measure_after_sending` writes, by which it deletes them.
SENT_MARK = "scale_bench : après envois"


def measure_after_sending(rows: list, runs: int, budget: float, timeout: int) -> None:
    """The reminders pages once reminders have been going out for weeks: every agent due
    today reminded once, on a day spread over the last interval and a week (agent id
    modulo), as the daily runs leave it: most of them held apart until their interval is
    over, a seventh or so due again. Written and committed (the triggers give the agents'
    enrolments their hold), then the night's upkeep (the tally merged, the tables vacuumed),
    measured, and deleted (the triggers clear the holds; the upkeep again): the seed stays
    as it was."""
    from django.db import connection
    from django.urls import reverse
    from django.utils import timezone

    from programmes.models import Programme
    from programmes.reminders.selection import due_set

    programme = Programme.objects.select_related("reminder_settings").get(slug=SLUG)
    spread = programme.reminder_settings.interval_days + 7
    # The SQL selects the fields, then the annotation (kind): the column list below follows.
    due = due_set([programme], timezone.localdate()).values_list(
        "agent_id", "population_id", "agent__email", "kind"
    )
    sql, params = due.order_by().query.sql_with_params()
    overview = reverse("programmes:reminder_overview", kwargs={"slug": SLUG})
    preview = reverse("programmes:reminder_preview", kwargs={"slug": SLUG})
    dashboard = reverse("programmes:dashboard", kwargs={"slug": SLUG})
    # The dashboard too: it sums the same tally rows, which the holds now split.
    cases = [(AMBASSADOR, REMINDER_PAGES[0], overview), (AMBASSADOR, REMINDER_PAGES[1], preview),
             (OWNER, REMINDER_PAGES[2], overview),
             (OWNER, "tableau de bord (pilote)", dashboard)]  # fmt: skip
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Only the compiled due set is formatted in; values are parameters.
        cursor.execute(
            "INSERT INTO programmes_reminder (period, email, status, attempts, last_error,"  # noqa: S608
            " created_at, kind, agent_id, population_id, programme_id)"
            " SELECT to_char(CURRENT_DATE - (due.agent_id %% %s)::int, 'YYYY-MM-DD'),"
            " due.email, 'sent', 1, %s, now(), due.kind, due.agent_id, due.population_id, %s"
            f" FROM ({sql}) AS due(agent_id, population_id, email, kind)",
            [spread, SENT_MARK, programme.pk, *params],
        )
        sent = cursor.rowcount
    inserted = time.perf_counter() - started
    try:
        tallied = _upkeep(programme)
        print(
            f"  {sent:,} relances envoyées sur {spread} jours, en {inserted:.1f} s (suspensions"
            f" comprises) ; {tallied:,} lignes de décompte après fusion"
        )
        measure_cases(rows, [(e, f"{label}, après envois", url) for e, label, url in cases],
                      runs, budget, timeout)  # fmt: skip
    finally:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM programmes_reminder WHERE last_error = %s", [SENT_MARK])
        print(f"  relances retirées en {time.perf_counter() - started:.1f} s")
        _upkeep(programme)


# The mark of the milestones `measure_checkins` writes, by which it deletes them.
MILESTONE_MARK = "scale_bench : point d'étape"


CHECKIN_TABLES = (
    "programmes_checkin",
    "programmes_checkintally",
    "programmes_enrolment",
    "programmes_populationtally",
)


def measure_checkins(rows: list, runs: int, budget: float, timeout: int) -> None:
    """« À faire » before any milestone, then the check-in pages of the largest population
    with a milestone a week old at which every other current agent (even id) is checked in:
    the ambassador's « À faire » (its current milestone), the population's milestones list,
    the milestone's page (agents left, page 1 and 3; check-ins done), the run-through; then
    « À faire » again once a newer milestone, dated today, has none. Written and committed
    (the triggers keep the check-ins' tally), measured, and deleted with their check-ins:
    the seed stays as it was."""
    from django.db import connection
    from django.urls import reverse
    from django.utils import timezone

    from programmes.models import Milestone, TargetPopulation

    population = TargetPopulation.objects.get(programme__slug=SLUG, name=POPULATIONS[0][0])
    todo = reverse("programmes:todo")
    # No milestone yet: its stalled agents all count, from the tally.
    measure_cases(
        rows, [(AMBASSADOR, "« À faire » (aucun point d'étape)", todo)], runs, budget, timeout
    )
    today = timezone.localdate()
    started = time.perf_counter()
    week_old = Milestone.objects.create(
        population=population, date=today - timedelta(days=7), title=MILESTONE_MARK
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO programmes_checkin (milestone_id, agent_id, status, targets_met,"
            " targets_set, comment, next_step, recorded_at, updated_at)"
            " SELECT DISTINCT %s, agent_id, 1, 0, 0, '', '', now(), now()"
            " FROM programmes_enrolment WHERE population_id = %s AND agent_id %% 2 = 0"
            " AND start_date <= %s AND (end_date IS NULL OR end_date > %s)",
            [week_old.pk, population.pk, today, today],
        )
        checked_in = cursor.rowcount
        written = time.perf_counter() - started
        # What autovacuum does after so many rows written (the check-ins, and the
        # enrolments' day of last check-in where the triggers keep one).
        for table in CHECKIN_TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("CHECKPOINT")  # their WAL written out before the measures, not during
    print(f"  {checked_in:,} entretiens écrits en {written:.1f} s")
    detail = reverse("programmes:milestone_detail", kwargs={"pk": week_old.pk})
    quiet = reverse("programmes:population_detail", kwargs={"pk": population.pk})
    cases = [
        (AMBASSADOR, "« À faire » (moitié vue au point d'étape)", todo),
        (AMBASSADOR, "population : à l'arrêt sans point d'étape depuis 60 j",
         f"{quiet}?statut=stalled&sans-point=60"),
        (AMBASSADOR, "population (moitié vue : ses décomptes)", quiet),
        (AMBASSADOR, "liste des points d'étape de la population",
         reverse("programmes:milestone_list", kwargs={"pk": population.pk})),
        (AMBASSADOR, "point d'étape : agents restant à voir", detail),
        (AMBASSADOR, "  page 3", f"{detail}?page=3"),
        (AMBASSADOR, "  entretiens faits", f"{detail}?vue=faits"),
        (AMBASSADOR, "revue rapide",
         reverse("programmes:milestone_run", kwargs={"pk": week_old.pk})),
    ]  # fmt: skip
    try:
        measure_cases(rows, cases, runs, budget, timeout)
        Milestone.objects.create(population=population, date=today, title=MILESTONE_MARK)
        measure_cases(
            rows,
            [(AMBASSADOR, "« À faire » (nouveau point d'étape, personne vu)", todo)],
            runs,
            budget,
            timeout,
        )
    finally:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM programmes_checkin WHERE milestone_id IN"
                " (SELECT id FROM programmes_milestone WHERE title = %s)",
                [MILESTONE_MARK],
            )
        Milestone.objects.filter(title=MILESTONE_MARK).delete()
        print(f"  points d'étape retirés en {time.perf_counter() - started:.1f} s")
        with connection.cursor() as cursor:  # the next run starts from a vacuumed base
            for table in CHECKIN_TABLES:
                cursor.execute(f"VACUUM ANALYZE {table}")


def _upkeep(programme) -> int:
    """What the night does after the day's writes: the tally merged, the tables the sending
    wrote vacuumed (the index-only scans need their pages all visible). Returns the tally's
    rows."""
    from django.db import connection

    from programmes import tally

    tallied = tally.compact(programme.populations.values_list("pk", flat=True))
    with connection.cursor() as cursor:
        for table in SENDING_TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")
    return tallied


def measure_cases(rows: list, cases: list, runs: int, budget: float, timeout: int) -> None:
    from django.test import Client

    from agents.models import User

    clients = {}
    for email, label, url in cases:
        if email not in clients:
            clients[email] = Client(SERVER_NAME="localhost")
            clients[email].force_login(User.objects.get(email=email))
        median, queries, note = measure(clients[email], url, runs, budget, timeout)
        rows.append((label, median, queries, note))
        shown = "-" if queries is None else queries
        print(f"  {label:<52} {median:9.1f} ms {shown:>4} requêtes {note}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--budget", type=float, default=20.0)
    parser.add_argument("--timeout", type=int, default=60)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument(
        "--checkins-only", action="store_true", help="Only the check-in pages (measure_checkins)."
    )
    options = parser.parse_args()
    if options.agents < DIRECTION_SIZE:
        sys.exit(f"--agents : au moins {DIRECTION_SIZE:,} (une direction complète).")
    benchdb.setup_django(BENCH_DB, LOG_LEVEL="WARNING")

    from programmes.models import Enrolment

    print(f"Base {BENCH_DB}, {os.cpu_count()} processeurs, {options.agents:,} agents")
    if options.reseed or not is_seeded(options.agents):
        print("Données (COPY ; gardées pour la prochaine fois)")
        began = time.perf_counter()
        seed(options.agents)
        print(f"  amorçage en {time.perf_counter() - began:.0f} s")
    else:
        print("Données déjà en place (--reseed pour recommencer)")
    print(f"  {Enrolment.objects.count():,} inscriptions")
    rows = []
    if options.checkins_only:
        print("Points d'étape : la moitié de la plus grande population vue")
        measure_checkins(rows, options.runs, options.budget, options.timeout)
        return
    print("Cohérence de l'état stocké")
    check_drift()
    print("Rafraîchissement des chiffres (après un import, chaque nuit)")
    refresh_figures(rows)
    print(f"Pages : temps serveur, médiane de {options.runs} après 1 d'échauffement")
    measure_pages(rows, options.runs, options.budget, options.timeout)
    print("Relances après des semaines d'envois")
    measure_after_sending(rows, options.runs, options.budget, options.timeout)
    print("Points d'étape : la moitié de la plus grande population vue")
    measure_checkins(rows, options.runs, options.budget, options.timeout)
    print()
    print(f"| page ou tâche ({options.agents:,} agents) | temps serveur | requêtes SQL |")
    print("| --- | ---: | ---: |")
    for label, median, queries, note in rows:
        shown = f"{median:,.0f} ms" if median < 10_000 else f"{median / 1000:,.1f} s"
        if note.startswith(">"):  # cancelled: the time is the timeout, not a measure
            shown, note = note, ""
        print(f"| {label.strip()} | {shown}{f' ({note})' if note else ''} | "
              f"{'' if queries is None else queries} |")  # fmt: skip


if __name__ == "__main__":
    main()
