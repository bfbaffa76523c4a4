"""Benchmark of opening a review cycle at the size of a large ministry (issue 18): the
request answers at once, the sheets are created by the background job in batches of a fixed
number of queries.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/reviews_bench.py [--agents 100000] [--batch-size 5000]

Uses a throwaway database of its own on DATABASE_URL's server, `pilote_pix_reviewsbench` or
the one BENCH_DATABASE names (created and migrated if needed). Seeds with COPY, once (kept for
the next run unless --reseed or another --agents): N agents, nine in ten led by a manager
(one for ten agents), all enrolled in one programme's population. Then, each run on a
programme without any cycle (the previous run's cycle and sheets are deleted first):

1. the owner's request opening a cycle (Django's test client, server time: form, checks,
   the cycle created, the job queued), median of 5 (five years' cycles), its SQL queries.
   The broker is Celery's in-memory transport of this process: the message is queued, no
   worker takes it;
2. the job the worker would run (`reviews.tasks.sync_cycle`, here in process): time, sheets
   created, batches, SQL queries in all and per batch (the same for every batch: pinned by
   tests/reviews/test_cycle_job.py);
3. the same job again (a retry, a second click): nothing added;
4. the cycle's page once done (the per-service progress), median of 5: once a sheet changed
   (the counts taken again over every sheet), then with the counts stored on the cycle.

Before issue 18 the request created every sheet itself: 7.5 s at 100,000 agents, linear.
"""

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import benchdb  # bench/ is on the path: these run as scripts

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = os.environ.get("BENCH_DATABASE", "pilote_pix_reviewsbench")
PARIS = ZoneInfo("Europe/Paris")
SLUG = "bench-entretiens"
OWNER = "pilote-entretiens-bench@exemple.gouv.fr"
YEAR = 2026
OPENINGS = 5


def copy_rows(cursor, table: str, columns: str, rows) -> None:
    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def enrolled_count() -> int:
    from programmes.models import Enrolment

    return Enrolment.objects.filter(population__programme__slug=SLUG).count()


def seed(agents: int) -> None:
    """N agents (COPY) in services of 100 under ten directions, their managers (one UPDATE),
    one programme and population enrolling them all (COPY)."""
    from django.db import connection, transaction

    from agents.models import OrgUnit, User
    from programmes.models import Programme, TargetPopulation

    now = datetime.now(PARIS)
    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE reviews_review, reviews_reviewcycle, programmes_enrolment, "
            "programmes_targetpopulation, programmes_programme, agents_agent, agents_orgunit "
            "CASCADE"
        )
        copy_rows(
            cursor,
            "agents_agent",
            "last_name, first_name, email, external_id, job_title, is_active, "
            "created_at, updated_at",
            (
                (f"Nom{n}", "Prénom", f"agent{n}@exemple.gouv.fr", f"R{n:07d}", "Agent", True,
                 now, now)
                for n in range(agents)
            ),
        )  # fmt: skip
        # One manager for ten agents (the first of each ten); one team in ten has none.
        cursor.execute(
            "WITH first AS (SELECT min(id) AS id FROM agents_agent) "
            "UPDATE agents_agent AS a SET manager_id = first.id + (a.id - first.id) / 10 * 10 "
            "FROM first WHERE (a.id - first.id) % 10 <> 0 AND (a.id - first.id) % 100 >= 10"
        )
        owner, _ = User.objects.get_or_create(email=OWNER)
        programme = Programme.objects.create(
            name="Programme entretiens (bench)", slug=SLUG, start_date=date(YEAR, 1, 1)
        )
        programme.owners.add(owner)
        population = TargetPopulation.objects.create(programme=programme, name="Tous")
        cursor.execute("SELECT id FROM agents_agent ORDER BY id")
        ids = [row[0] for row in cursor.fetchall()]
        # Ten directions of services of 100 agents: the cycle's page counts per service.
        directions = [
            OrgUnit.objects.create(name=f"Direction {d}", kind="direction") for d in range(10)
        ]
        services = OrgUnit.objects.bulk_create(
            OrgUnit(name=f"Service {n}", parent=directions[n % 10])
            for n in range((agents + 99) // 100)
        )
        cursor.execute(
            "WITH first AS (SELECT min(id) AS id FROM agents_agent) "
            "UPDATE agents_agent AS a "
            "SET org_unit_id = (%s::bigint[])[(a.id - first.id) / 100 + 1] FROM first",
            [[unit.pk for unit in services]],
        )
        # The stored progress state of an enrolment without targets nor results.
        copy_rows(
            cursor,
            "programmes_enrolment",
            "agent_id, population_id, start_date, has_shared, target_values, targets_set, "
            "targets_met, reached",
            (
                (agent_id, population.pk, date(YEAR, 1, 1), False, "{}", 0, 0, False)
                for agent_id in ids
            ),
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  {agents:,} agents et inscriptions (COPY) : {time.perf_counter() - began:.1f} s")


def drop_cycles() -> None:
    """The programme back to no cycle (raw DELETEs: 100,000 sheets without loading them)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM reviews_review WHERE cycle_id IN (SELECT c.id FROM reviews_reviewcycle c "
            "JOIN programmes_programme p ON p.id = c.programme_id WHERE p.slug = %s)",
            [SLUG],
        )
        cursor.execute(
            "DELETE FROM reviews_reviewcycle WHERE programme_id IN "
            "(SELECT id FROM programmes_programme WHERE slug = %s)",
            [SLUG],
        )
        cursor.execute("VACUUM ANALYZE reviews_review")


def captured(function):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        value = function()
        seconds = time.perf_counter() - began
    return value, seconds, [(query["sql"], float(query["time"])) for query in queries]


def kind(sql: str) -> str:
    head = sql.lstrip().split(None, 1)[0].upper()
    known = {"SELECT", "INSERT", "UPDATE", "SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"}
    return head if head in known else "autre"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--reseed", action="store_true")
    options = parser.parse_args()
    environment = {"CELERY_TASK_ALWAYS_EAGER": "0"}
    if options.batch_size:
        environment["REVIEWS_SYNC_BATCH_SIZE"] = str(options.batch_size)
    benchdb.setup_django(BENCH_DB, **environment)

    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from agents.models import User
    from config.celery import app as celery_app
    from reviews.models import ReviewCycle
    from reviews.tasks import sync_cycle

    # The request queues the job in this process's memory, where no worker takes it (not the
    # embedded broker's folder, which a worker of `make run` might read).
    settings.CELERY_TASK_ALWAYS_EAGER = False
    celery_app.conf.update(broker_url="memory://", task_always_eager=False)
    size = settings.REVIEWS_SYNC_BATCH_SIZE

    print(f"Base {BENCH_DB}, {os.cpu_count()} processeurs, lots de {size:,} agents")
    if options.reseed or enrolled_count() != options.agents:
        print("Données (une fois ; --reseed pour recommencer)")
        seed(options.agents)
    else:
        print(f"Données déjà en place : {options.agents:,} agents inscrits")
    drop_cycles()

    client = Client(SERVER_NAME="localhost")
    client.force_login(User.objects.get(email=OWNER))
    url = reverse("reviews:cycle_list", kwargs={"slug": SLUG})

    def open_cycle(year):
        data = {"year": str(year), "opens_on": f"{year}-10-01", "closes_on": f"{year}-12-31"}
        response = client.post(url, data)
        assert response.status_code == 302, response.status_code

    # Warm-up (the first publish sets up Celery's producer), then OPENINGS cycles of other
    # years, each its own request; their jobs stay queued in memory. The job below fills one.
    open_cycle(YEAR - 1)
    runs = [captured(lambda year=year: open_cycle(year)) for year in range(YEAR, YEAR + OPENINGS)]
    times = [seconds * 1000 for _value, seconds, _queries in runs]
    cycle = ReviewCycle.objects.get(programme__slug=SLUG, year=YEAR)
    print(f"1. Requête d’ouverture (serveur, client de test ; {OPENINGS} campagnes ouvertes)")
    print(
        f"  médiane {statistics.median(times):.0f} ms, pire {max(times):.0f} ms, "
        f"{len(runs[0][2])} requêtes SQL ; campagne « {cycle.get_sync_state_display()} », "
        f"{cycle.reviews.count():,} fiches à ce stade"
    )

    added, seconds, queries = captured(lambda: sync_cycle.apply(args=[cycle.pk]).get())
    cycle.refresh_from_db()
    kinds = Counter(kind(sql) for sql, _time in queries)
    spent = Counter()
    for sql, query_time in queries:
        spent[kind(sql)] += query_time
    batches = kinds["INSERT"]
    per_batch = (len(queries) - 6) / batches if batches else 0
    print("2. Tâche de création des fiches (celle du worker, ici dans le processus)")
    print(
        f"  {seconds:.2f} s, {added:,} fiches créées ({cycle.sheets_done:,} agents traités "
        f"sur {cycle.sheets_total:,}, état « {cycle.get_sync_state_display()} »)"
    )
    print(
        f"  {batches} lots, {len(queries)} requêtes SQL : 6 pour la tâche + {per_batch:g} par "
        f"lot ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}) ; "
        f"{seconds / max(batches, 1) * 1000:.0f} ms par lot en moyenne"
    )
    print(
        "  temps SQL par sorte : "
        + ", ".join(f"{k} {t:.2f} s" for k, t in sorted(spent.items(), key=lambda kt: -kt[1]))
    )

    again, seconds, queries = captured(lambda: sync_cycle.apply(args=[cycle.pk]).get())
    print("3. La même tâche une seconde fois (relance, double clic)")
    print(f"  {seconds:.2f} s, {again} fiche ajoutée, {len(queries)} requêtes SQL")

    from reviews.services_cycles import sheets_changed

    detail = reverse("reviews:cycle_detail", kwargs={"pk": cycle.pk})

    def median_of_five(before=None):
        times, counts = [], []
        for _ in range(5):
            if before is not None:
                before()
            _response, seconds, queries = captured(lambda: client.get(detail))
            times.append(seconds * 1000)
            counts.append(len(queries))
        return statistics.median(times), max(times), max(counts)

    settings.REVIEWS_PROGRESS_MIN_INTERVAL = 0  # each change counted at once, for the timing
    client.get(detail)
    recount = median_of_five(before=lambda: sheets_changed(cycle.pk))
    stored = median_of_five()
    print("4. Page de la campagne une fois les fiches créées (avancement par service)")
    print(
        f"  une fiche a changé (décompte refait) : médiane {recount[0]:.0f} ms, "
        f"pire {recount[1]:.0f} ms, {recount[2]} requêtes SQL"
    )
    print(
        f"  décompte à jour (lu sur la campagne) : médiane {stored[0]:.0f} ms, "
        f"pire {stored[1]:.0f} ms, {stored[2]} requêtes SQL"
    )


if __name__ == "__main__":
    main()
