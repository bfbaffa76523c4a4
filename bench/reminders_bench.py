"""Benchmark of the daily reminder run and the reminders pages at the size DESIGN.md asks
for: who is due, among 100,000 enrolled agents, in a fixed number of queries; the overview and
the preview pages in under 100 ms (issue 18).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pilote_pix \
        .venv/bin/python bench/reminders_bench.py

Reuses the dashboard benchmark's database `pilote_pix_dashbench`, or $BENCH_DATABASE (100,000
agents in four populations, three years of imports; seeded by bench/dashboard_bench.py, here
too if it is not yet, then its stored progress state rebuilt: programmes.progress.rebuild_all).
Everything this script writes — the programme's reminder rules turned on, a staff account, the
claimed reminder rows — happens in one transaction rolled back at the end: the database is left
as it was. Then:

- times `due_reminders(day=today)` (median and worst of --runs runs after a warm-up) and
  counts its SQL queries;
- times the claim (`reminders_claim`: one INSERT … SELECT … ON CONFLICT DO NOTHING of the due
  set), and the same claim a second time (the day's second run: nothing new);
- times the overview and the preview pages before the claim (everyone due), with Django's test
  client (server time: the whole view and template), median of --requests after 2 warm-ups,
  and their queries: as staff (names; the preview's first, a middle and the last page, by name
  and by rule) and as the owner of this self-assessment programme (counts only);
- times `due_reminders` once more with the day's reminders logged (every agent now waits for
  the interval: nobody is due).

Target (issue 18): pages < 100 ms, the claim in a number of queries that does not grow.
Options: --runs N (default 3), --requests N (default 5).
"""

import argparse
import os
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


def measure(client, url: str, requests: int) -> tuple[float, int]:
    """Median server time (ms) of `requests` GETs after two warm-ups, and the queries of one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        assert client.get(url).status_code == 200, url
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        assert client.get(url).status_code == 200, url
        times.append((time.perf_counter() - began) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(times), len(queries)


def seed_if_needed() -> None:
    """The dashboard bench's data, then the stored progress state it does not write."""
    from programmes import progress
    from programmes.models import Enrolment

    if not dashboard_bench.is_seeded():
        print("Données absentes : amorçage de bench/dashboard_bench.py (une fois)")
        dashboard_bench.seed()
    enrolments = Enrolment.objects.filter(population__programme__slug=dashboard_bench.SLUG)
    if not enrolments.filter(last_activity__isnull=False).exists():
        print("État de progression stocké absent : reconstruction (une fois)")
        _count, seconds = timed(progress.rebuild_all)
        print(f"  rebuild_all : {seconds:.0f} s")


def pages(programme, requests: int) -> float:
    """Times the overview and preview pages; returns the worst median."""
    from django.test import Client
    from django.urls import reverse

    from agents.models import User
    from programmes.reminders.selectors import (
        load_rules,
        preview,
        reminder_scope,
    )

    staff = User.objects.create_user(
        email="relances-bench@exemple.gouv.fr", password=None, is_staff=True
    )
    owner = User.objects.get(email=dashboard_bench.OWNER)
    _rules, periods = load_rules(programme)
    found = preview(programme, reminder_scope(staff, programme), timezone_today(), periods)
    last_page = max(1, -(-found.due.count() // 50))
    overview = reverse("programmes:reminder_overview", kwargs={"slug": programme.slug})
    listing = reverse("programmes:reminder_preview", kwargs={"slug": programme.slug})
    cases = [
        ("aperçu (vue d'ensemble), staff", staff, overview),
        ("aperçu (vue d'ensemble), propriétaire", owner, overview),
        ("liste, page 1 par nom, staff", staff, listing),
        (f"liste, page {last_page // 2} par nom", staff, f"{listing}?page={last_page // 2}"),
        (f"liste, page {last_page} par motif", staff, f"{listing}?tri=motif&page={last_page}"),
        ("liste, propriétaire (chiffres)", owner, listing),
    ]
    print(
        f"Pages ({requests} requêtes après 2 d'échauffement, temps serveur ; "
        f"{found.total:,} relances dues, {last_page:,} pages de liste ; cible < 100 ms)"
    )
    worst = 0.0
    for label, user, url in cases:
        client = Client(SERVER_NAME="localhost")
        client.force_login(user)
        median, queries = measure(client, url, requests)
        worst = max(worst, median)
        print(f"  {label:<40} médiane {median:6.1f} ms, {queries} requêtes SQL")
    return worst


def timezone_today():
    from django.utils import timezone

    return timezone.localdate()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=5)
    options = parser.parse_args()
    dashboard_bench.setup_django()

    from django.db import transaction
    from django.utils import timezone

    from programmes.models import Enrolment, Programme, Reminder, ReminderSettings
    from programmes.reminders.selection import due_reminders
    from programmes.reminders.services import reminders_claim

    print(f"Base {dashboard_bench.BENCH_DB}, {os.cpu_count()} processeurs")
    seed_if_needed()
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

            worst_page = pages(programme, options.requests)
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
            verdict = "OK" if worst_page < 100 else "AU-DELÀ DE LA CIBLE"
            print(f"Page la plus lente (médiane) : {worst_page:.1f} ms — {verdict}")
            raise Rollback
    except Rollback:
        print("Transaction annulée : la base est laissée telle quelle.")


if __name__ == "__main__":
    main()
