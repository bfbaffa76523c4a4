"""Benchmark of the daily reminder run at the size DESIGN.md asks for: who is due, among
100,000 enrolled agents, in seconds and a fixed number of queries.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pilote_pix \
        .venv/bin/python bench/reminders_bench.py

Reuses the dashboard benchmark's database `pilote_pix_dashbench` or $BENCH_DATABASE (100,000
agents in four populations, three years of imports; seeded by bench/dashboard_bench.py, here too
if it is not yet). Everything this script writes — the programme's reminder rules turned on, the
claimed reminder rows — happens in one transaction rolled back at the end: the database is left
as it was. Then:

- times `due_reminders(day=today)` (median and worst of --runs runs after a warm-up) and
  counts its SQL queries;
- times the claim (`reminders_claim`: the due agents again, then one INSERT … ON CONFLICT DO
  NOTHING per 2,000 rows), and the same claim a second time (the day's second run: nothing
  new);
- times `due_reminders` once more with the day's reminders logged (every agent now waits for
  the interval: nobody is due).

Target (DESIGN.md, issue 6): seconds, and a number of queries that does not grow.
Options: --runs N (default 3).
"""

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import dashboard_bench  # bench/ is on the path: these run as scripts

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


class Rollback(Exception):
    """Leaves the benchmark's transaction: nothing it wrote stays."""


def timed(function):
    began = time.perf_counter()
    value = function()
    return value, time.perf_counter() - began


def counted(function):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        value, seconds = timed(function)
    return value, seconds, len(queries)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    dashboard_bench.setup_django()

    from django.db import transaction
    from django.utils import timezone

    from programmes.models import Enrolment, Programme, Reminder, ReminderSettings
    from programmes.reminders.selection import due_reminders
    from programmes.reminders.services import reminders_claim

    print(f"Base {dashboard_bench.BENCH_DB}")
    if not dashboard_bench.is_seeded():
        print("Données absentes : amorçage de bench/dashboard_bench.py (une fois)")
        dashboard_bench.seed()
    programme = Programme.objects.get(slug=dashboard_bench.SLUG)
    today = timezone.localdate()
    enrolled = Enrolment.objects.current(today).filter(population__programme=programme).count()
    print(f"  {enrolled:,} agents inscrits au programme, jour de relance {today:%d/%m/%Y}")

    try:
        with transaction.atomic():
            ReminderSettings.objects.update_or_create(
                programme=programme, defaults={"enabled": True}
            )
            rules = ReminderSettings.objects.get(programme=programme)
            print(
                f"Règles : première relance après {rules.first_after_days} j, à l'arrêt "
                f"{'oui' if rules.remind_stalled else 'non'} (seuil "
                f"{programme.stall_threshold_days} j), intervalle {rules.interval_days} j, "
                f"{rules.max_count} au plus"
            )
            due_reminders(day=today)  # warm-up: caches, plans
            runs = [counted(lambda: due_reminders(day=today)) for _ in range(options.runs)]
            due, _seconds, queries = runs[-1]
            times = [seconds for _due, seconds, _queries in runs]
            kinds = Counter(item.kind for item in due)
            print(f"Qui est à relancer ({options.runs} passages après 1 d'échauffement)")
            by_kind = ", ".join(f"{kind} : {n:,}" for kind, n in kinds.items())
            print(f"  {len(due):,} relances dues ({by_kind})")
            print(
                f"  due_reminders : médiane {statistics.median(times):.2f} s, pire "
                f"{max(times):.2f} s, {queries} requêtes SQL "
                f"(mêmes requêtes à chaque passage : {len({q for *_x, q in runs}) == 1})"
            )

            ids, seconds, queries = counted(lambda: reminders_claim(day=today))
            print(
                f"  réservation (reminders_claim) : {seconds:.2f} s, {queries} requêtes SQL, "
                f"{len(ids):,} relances à envoyer, {Reminder.objects.count():,} lignes"
            )
            again, seconds, queries = counted(lambda: reminders_claim(day=today))
            print(
                f"  seconde réservation du jour : {seconds:.2f} s, {queries} requêtes SQL, "
                f"{len(again):,} à envoyer (les mêmes), {Reminder.objects.count():,} lignes"
            )
            after, seconds, queries = counted(lambda: due_reminders(day=today))
            print(
                f"  due_reminders, relances du jour consignées : {seconds:.2f} s, {queries} "
                f"requêtes SQL, {len(after):,} dues"
            )
            worst = max(times)
            verdict = "OK" if worst < 10 else "AU-DELÀ DE QUELQUES SECONDES"
            print(f"Pire temps pour trouver qui relancer : {worst:.2f} s — {verdict}")
            raise Rollback
    except Rollback:
        print("Transaction annulée : la base est laissée telle quelle.")


if __name__ == "__main__":
    main()
