"""Benchmark of the figures refresh after an import (issue 15): it must cost what the
programme's own agents cost, not what the campaigns they follow hold.

    .venv/bin/python bench/refresh_bench.py                      # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pilote_pix \
        .venv/bin/python bench/refresh_bench.py                  # PostgreSQL

SQLite: a throwaway file, `$TMPDIR/pilote_pix_refreshbench.sqlite3` (or --sqlite PATH).
PostgreSQL: a throwaway database `pilote_pix_refreshbench` (or $BENCH_DATABASE) on
DATABASE_URL's server. Both are created and migrated if needed and seeded once (kept for the
next run unless --reseed):

- a programme of 100 agents in four populations of 25, each with three level targets, one
  mastery-rate and one stage target on an assessment campaign;
- a profiles collection and that assessment followed by the programme, where ~80 % of the
  agents took part (16 shared results each in the collection);
- a new profiles collection, also followed, with N participants nobody matched (N = 30,000
  by default, ~90 % shared with 16 results each: 432,000 results): the issue's import.

Then times `programme_stats_refresh` (what runs after an import) with and without the new
campaign followed, median of --repeat runs, prints both, their ratio and the statuses (the
same either way: unmatched participants count for nobody). Target: a ratio near 1.
Without --analyze the SQLite statistics are dropped first, as on the demo after an import
(PostgreSQL's autovacuum keeps its own). Options: --participants N, --repeat N (default 3),
--reseed, --analyze, --sqlite PATH.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import benchdb  # bench/ is on the path: these run as scripts

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = benchdb.database_name("pilote_pix_refreshbench")
SLUG = "bench-rafraichissement"
POPULATIONS = 4
PER_POPULATION = 25
LEVEL_TARGETS = {"1.1": 3, "2.1": 2, "3.1": 2}


def setup_django(sqlite_path: str | None) -> None:
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        benchdb.setup_django(BENCH_DB)
        return
    os.environ["DATABASE_URL"] = f"sqlite:///{sqlite_path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_DEMO", "1")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seeded(participants: int) -> bool:
    from campaigns.models import Participation
    from programmes.models import Programme

    programme = Programme.objects.filter(slug=SLUG).first()
    if programme is None:
        return False
    new = programme.campaigns.filter(code="BENCHNEW").first()
    return new is not None and Participation.objects.filter(campaign=new).count() == participants


def wipe() -> None:
    from campaigns.models import Campaign, CompetenceResult, Participation, ResultImport
    from programmes.models import Programme

    campaigns = Campaign.objects.filter(code__startswith="BENCH")
    CompetenceResult.objects.filter(participation__campaign__in=campaigns).delete()
    Participation.objects.filter(campaign__in=campaigns).delete()
    Programme.objects.filter(slug=SLUG).delete()
    ResultImport.objects.filter(original_name__startswith="bench-").delete()
    campaigns.delete()


def seed(participants: int) -> None:
    """The programme, its agents and campaigns, and the new campaign's participants."""
    import random

    from django.db import transaction
    from django.utils import timezone

    from agents.models import Agent, OrgUnit
    from campaigns.enums import CampaignKind, ImportStatus, ParticipationStatus
    from campaigns.models import Campaign, Competence, CompetenceResult, Participation, ResultImport
    from programmes.enums import TargetKind
    from programmes.models import Enrolment, Programme, Target, TargetPopulation

    rng = random.Random(15)
    now = timezone.now()
    competences = list(Competence.objects.order_by("position"))
    with transaction.atomic():
        programme = Programme.objects.create(
            name="Banc rafraîchissement", slug=SLUG, start_date=now.date() - timedelta(days=400)
        )
        unit, _ = OrgUnit.objects.get_or_create(name="Banc rafraîchissement")
        collection = Campaign.objects.create(
            code="BENCHOLD", name="Banc collecte", kind=CampaignKind.PROFILES_COLLECTION
        )
        assessment = Campaign.objects.create(
            code="BENCHPARC",
            name="Banc parcours",
            kind=CampaignKind.ASSESSMENT,
            target_profile="Parcours socle",
        )
        new = Campaign.objects.create(
            code="BENCHNEW", name="Banc nouvelle collecte", kind=CampaignKind.PROFILES_COLLECTION
        )
        programme.campaigns.add(collection, assessment, new)
        imports = {
            campaign: ResultImport.objects.create(
                campaign=campaign,
                original_name=f"bench-{campaign.code}.csv",
                sha256=f"{campaign.code}-{rng.getrandbits(64):016x}",
                uploaded_at=now,
                status=ImportStatus.DONE,
                file="bench.csv",
            )
            for campaign in (collection, assessment, new)
        }
        agents = Agent.objects.bulk_create(
            Agent(
                last_name=f"Banc{i:03d}",
                first_name="Agent",
                external_id=f"BENCH{i:04d}",
                org_unit=unit,
            )
            for i in range(POPULATIONS * PER_POPULATION)
        )
        for p in range(POPULATIONS):
            population = TargetPopulation.objects.create(programme=programme, name=f"Banc {p}")
            Enrolment.objects.bulk_create(
                Enrolment(agent=agent, population=population, start_date=programme.start_date)
                for agent in agents[p * PER_POPULATION : (p + 1) * PER_POPULATION]
            )
            by_code = {c.code: c for c in competences}
            for code, level in LEVEL_TARGETS.items():
                Target.objects.create(
                    population=population,
                    competence=by_code[code],
                    kind=TargetKind.LEVEL,
                    level=level,
                )
            Target.objects.create(
                population=population,
                competence=by_code["1.1"],
                campaign=assessment,
                kind=TargetKind.MASTERY_RATE,
                mastery_rate="0.6",
            )
            Target.objects.create(
                population=population, campaign=assessment, kind=TargetKind.STAGE, stage=3
            )

        def participation(campaign, n, agent=None, shared=True, **values):
            days = rng.randint(0, 90)
            return Participation(
                campaign=campaign,
                agent=agent,
                participant_last_name=f"Participant{n:06d}",
                participant_first_name="Banc",
                participant_external_id=f"X{n:06d}",
                participant_key=f"ext:x{n:06d}",
                row_key="open",
                status=ParticipationStatus.SHARED if shared else ParticipationStatus.STARTED,
                shared_at=now - timedelta(days=days) if shared else None,
                first_import=imports[campaign],
                last_import=imports[campaign],
                last_progress_at=now - timedelta(days=days),
                **values,
            )

        def results(rows, campaign):
            for row in rows:
                if row.status != ParticipationStatus.SHARED:
                    continue
                for competence in competences:
                    level = rng.randint(0, 5)
                    yield CompetenceResult(
                        participation=row,
                        result_import=imports[campaign],
                        competence=competence,
                        observed_at=row.shared_at,
                        level=level,
                        pix=level * 8,
                    )

        taking_part = [agent for agent in agents if rng.random() < 0.8]
        rows = Participation.objects.bulk_create(
            participation(collection, i, agent, shared=rng.random() < 0.9)
            for i, agent in enumerate(taking_part)
        )
        CompetenceResult.objects.bulk_create(results(rows, collection), batch_size=2000)
        rows = Participation.objects.bulk_create(
            participation(assessment, i, agent, stage=rng.randint(1, 5))
            for i, agent in enumerate(taking_part)
        )
        CompetenceResult.objects.bulk_create(
            CompetenceResult(
                participation=row,
                result_import=imports[assessment],
                competence=competences[0],
                observed_at=row.shared_at,
                mastery_rate=f"{rng.random():.3f}",
            )
            for row in rows
        )
    for start in range(0, participants, 5000):
        with transaction.atomic():
            rows = Participation.objects.bulk_create(
                (
                    participation(new, n, shared=rng.random() < 0.9)
                    for n in range(start, min(start + 5000, participants))
                ),
                batch_size=1000,
            )
            CompetenceResult.objects.bulk_create(results(rows, new), batch_size=2000)
        print(f"  {min(start + 5000, participants):>7} unmatched participants written", flush=True)


def statuses(stats) -> list[tuple]:
    return [
        (
            s.population_id,
            s.enrolled,
            s.not_started,
            s.in_progress,
            s.stalled,
            s.reached,
            s.shared,
            s.one_target_met,
            s.all_targets_met,
            sorted(s.per_target.items()),
        )
        for s in stats
    ]


def timed_refresh(programme, repeat: int):
    from django.db import connection, reset_queries
    from django.utils import timezone

    from programmes.steering.stats import programme_stats_refresh

    times, stats = [], None
    for _ in range(repeat):
        reset_queries()
        began = time.perf_counter()
        stats = programme_stats_refresh(programme=programme, on=timezone.localdate())
        times.append(time.perf_counter() - began)
    return statistics.median(times), max(times), statuses(stats), len(connection.queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--participants", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument(
        "--analyze", action="store_true", help="ANALYZE first (SQLite has no statistics else)"
    )
    parser.add_argument(
        "--sqlite", default=str(Path(tempfile.gettempdir()) / f"{BENCH_DB}.sqlite3")
    )
    options = parser.parse_args()
    setup_django(options.sqlite)

    from django.conf import settings
    from django.db import connection

    from programmes.models import Programme

    settings.DEBUG = True  # to count the queries
    print(f"Database: {connection.vendor} ({connection.settings_dict['NAME']})")
    if options.reseed or not seeded(options.participants):
        began = time.perf_counter()
        wipe()
        seed(options.participants)
        from programmes import progress

        # bulk_create skips the code that keeps each enrolment's progress state.
        progress.rebuild_all()
        print(f"  seeded in {time.perf_counter() - began:.1f} s")
    with connection.cursor() as cursor:
        if options.analyze:
            cursor.execute("ANALYZE")
        elif connection.vendor == "sqlite":
            # As after an import on the demo: SQLite has no statistics unless ANALYZE ran.
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone():
                cursor.execute("DELETE FROM sqlite_stat1")
    connection.close()  # the planner reads the statistics when it connects
    programme = Programme.objects.get(slug=SLUG)
    new = programme.campaigns.get(code="BENCHNEW")
    agents = sum(p.enrolments.count() for p in programme.populations.all())
    print(
        f"Programme: {agents} enrolments in {programme.populations.count()} populations; "
        f"new campaign: {options.participants} unmatched participants"
    )
    programme.campaigns.remove(new)
    try:
        without, worst_without, figures_without, queries_without = timed_refresh(
            programme, options.repeat
        )
    finally:
        programme.campaigns.add(new)
    with_new, worst_with, figures_with, queries_with = timed_refresh(programme, options.repeat)
    print(
        f"  refresh without the new campaign   {without:8.3f} s (worst {worst_without:.3f}), "
        f"{queries_without} queries"
    )
    print(
        f"  refresh with it followed           {with_new:8.3f} s (worst {worst_with:.3f}), "
        f"{queries_with} queries"
    )
    print(f"  ratio                              {with_new / without:8.1f}")
    same = figures_with == figures_without
    print(f"  figures identical either way       {'yes' if same else 'NO'}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
