"""Benchmark of the programme owner's dashboard at the size DESIGN.md asks for.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pilote_pix \
        .venv/bin/python bench/dashboard_bench.py

Uses a throwaway database `pilote_pix_dashbench` (or $BENCH_DATABASE) on the same server
(created and migrated if needed). Seeds with COPY, once (kept for the next run unless --reseed):
100,000 agents in four populations of one programme (40,000, 30,000, 20,000, 10,000) with 4 to 7
level targets each, a profiles collection followed for three years with 36 monthly imports, ~88
% of the agents taking part with one to three shared result sets of 16 competences (~2.4 million
results), three years of monthly stats rows per population, and six check-in rounds per
population with 30 % of its agents each (~180,000 check-ins, one to three barriers each). Then:

- refreshes today's stats row of every population with the status engine (the nightly job,
  and what runs after an import), then the enrolments counted by unit, and prints its time;
- times the dashboard as the owner, with Django's test client (server time: the whole view
  and template, no network), median and worst of 20 requests after 3 warm-ups, and its
  number of SQL queries; the same for another population picked, and for the XLSX export.

Target (DESIGN.md): < 300 ms of server time, a number of queries that does not grow.
Options: --reseed, --requests N (default 20).
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import benchdb  # bench/ is on the path: these run as scripts

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = benchdb.database_name("pilote_pix_dashbench")
PARIS = ZoneInfo("Europe/Paris")
SLUG = "bench-tableau-de-bord"
OWNER = "pilote-bench@exemple.gouv.fr"
POPULATIONS = [
    # (name, agents, {competence code: target level})
    ("Agents d'accueil", 40_000, {"1.1": 2, "2.1": 2, "2.2": 2, "4.2": 2}),
    ("Assistant·e·s", 30_000, {"1.1": 3, "1.2": 2, "2.1": 3, "2.3": 2, "3.1": 3}),
    ("Encadrant·e·s", 20_000, {"1.1": 3, "2.1": 3, "2.3": 3, "4.1": 3, "4.2": 3, "5.2": 2}),
    ("Informaticien·ne·s", 10_000, {"1.3": 4, "3.4": 5, "4.1": 5, "4.2": 4, "5.1": 5, "5.2": 4,
                                    "3.3": 3}),
]  # fmt: skip
AGENTS = sum(size for _, size, _ in POPULATIONS)
MONTHS = 36


def setup_django() -> None:
    benchdb.setup_django(BENCH_DB)


def timed(label, function):
    began = time.perf_counter()
    value = function()
    print(f"  {label:<44} {time.perf_counter() - began:7.2f} s", flush=True)
    return value


def month_starts() -> list[datetime]:
    """The 36 monthly imports: the 15th of each month, the last one this month."""
    today = date.today()
    year, month = today.year, today.month
    days = []
    for _ in range(MONTHS):
        days.append(datetime(year, month, 15, 9, 30, tzinfo=PARIS))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return sorted(days)


def is_seeded() -> bool:
    from programmes.models import Enrolment

    return Enrolment.objects.filter(population__programme__slug=SLUG).count() == AGENTS


def copy_rows(cursor, table: str, columns: str, rows) -> None:
    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def seed() -> None:
    from django.db import connection, transaction

    from agents.models import User
    from campaigns.enums import CampaignKind, ImportStatus
    from campaigns.models import Campaign, Competence, ResultImport
    from programmes.models import PopulationStat, Programme, Target, TargetPopulation

    rng = random.Random(2026)
    now = datetime.now(PARIS)
    imports_at = month_starts()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE programmes_populationstat, programmes_enrolment, programmes_target, "
            "programmes_targetchange, programmes_targetpopulation, programmes_programme, "
            "campaigns_competenceresult, campaigns_participationsnapshot, "
            "campaigns_participation, programmes_programmeimport, campaigns_resultimport, "
            "campaigns_campaign, agents_agent CASCADE"
        )
        timed(
            f"agents ({AGENTS:,}, COPY)",
            lambda: copy_rows(
                cursor,
                "agents_agent",
                "last_name, first_name, email, external_id, job_title, is_active, "
                "created_at, updated_at",
                (
                    (
                        f"Nom{n}",
                        "Prénom",
                        f"agent{n}@exemple.gouv.fr",
                        f"B{n:06d}",
                        "Agent",
                        True,
                        now,
                        now,
                    )
                    for n in range(AGENTS)
                ),  # fmt: skip
            ),
        )
        cursor.execute("SELECT id FROM agents_agent ORDER BY id")
        agent_ids = [row[0] for row in cursor.fetchall()]
        owner, _ = User.objects.get_or_create(email=OWNER)
        programme = Programme.objects.create(
            name="Programme de bench", slug=SLUG, start_date=imports_at[0].date()
        )
        programme.owners.add(owner)
        campaign = Campaign.objects.create(
            pix_id=990001,
            code="DASHBENCH",
            name="Collecte bench",
            kind=CampaignKind.PROFILES_COLLECTION,
        )
        programme.campaigns.add(campaign)
        competences = {c.code: c for c in Competence.objects.all()}
        imports = ResultImport.objects.bulk_create(
            ResultImport(
                campaign=campaign,
                file=f"bench/{n}.csv",
                original_name=f"Resultats-bench-{n}.csv",
                sha256=f"{n:064x}",
                uploaded_at=moment,
                exported_at=moment,
                status=ImportStatus.DONE,
            )
            for n, moment in enumerate(imports_at)
        )
        enrolments, start, targets_by_agent = [], 0, {}
        for name, size, targets in POPULATIONS:
            population = TargetPopulation.objects.create(programme=programme, name=name)
            Target.objects.bulk_create(
                Target(population=population, competence=competences[code], level=level)
                for code, level in targets.items()
            )
            for agent_id in agent_ids[start : start + size]:
                # The stored progress state starts empty (COPY skips Django's defaults):
                # the caller rebuilds it (programmes.progress.rebuild_all).
                enrolments.append((agent_id, population.pk, imports_at[0].date(), False, "{}"))
                targets_by_agent[agent_id] = targets
            start += size
            _monthly_stats(population, size, targets, competences, imports_at, rng)
        timed(
            f"inscriptions ({len(enrolments):,}, COPY)",
            lambda: copy_rows(
                cursor,
                "programmes_enrolment",
                "agent_id, population_id, start_date, has_shared, target_values, targets_set, "
                "targets_met, reached",
                ((*row, 0, 0, False) for row in enrolments),
            ),
        )
        participants = [a for a in agent_ids if rng.random() < 0.88]
        first_seen = {a: rng.randrange(MONTHS) for a in participants}

        def participations():
            for agent_id in participants:
                first = first_seen[agent_id]
                last = min(MONTHS - 1, first + rng.choice((0, 0, 3, 8, 20)))
                started = imports_at[first] - timedelta(days=rng.randint(1, 14))
                shared = rng.random() < 0.85
                yield (
                    campaign.pk, agent_id, "external_id", f"Nom{agent_id}", "Prénom",
                    f"B{agent_id:06d}", f"ext:b{agent_id:06d}", "open",
                    "SHARED" if shared else "STARTED", 1 if shared else 0.4, started,
                    imports_at[first] if shared else None, "[]", "{}", "",
                    imports[first].pk, imports[last].pk, imports_at[last],
                )  # fmt: skip

        timed(
            f"participations ({len(participants):,}, COPY)",
            lambda: copy_rows(
                cursor,
                "campaigns_participation",
                "campaign_id, agent_id, match_status, participant_last_name, "
                "participant_first_name, participant_external_id, participant_key, row_key, "
                "status, progression, started_at, shared_at, badges, organisation_values, "
                "results_digest, first_import_id, last_import_id, last_progress_at",
                participations(),
            ),
        )
        cursor.execute(
            "SELECT id, agent_id, first_import_id, last_import_id FROM campaigns_participation "
            "WHERE status = 'SHARED' AND campaign_id = %s",
            [campaign.pk],
        )
        shared_rows = cursor.fetchall()
        index_of = {result_import.pk: n for n, result_import in enumerate(imports)}
        competence_ids = [(c.pk, c.code) for c in competences.values()]

        def results():
            for participation_id, agent_id, first_import, last_import in shared_rows:
                first, last = index_of[first_import], index_of[last_import]
                seen = sorted({first, last, rng.randint(first, last)})
                targets = targets_by_agent[agent_id]
                levels = {pk: max(0, targets.get(code, 2) - rng.randint(1, 3))
                          for pk, code in competence_ids}  # fmt: skip
                for month in seen:
                    for pk, _code in competence_ids:
                        levels[pk] = min(8, levels[pk] + rng.choice((0, 0, 1, 1, 2)))
                        yield (
                            participation_id, imports[month].pk, pk, imports_at[month],
                            levels[pk], levels[pk] * 8 + rng.randint(0, 7),
                        )  # fmt: skip

        timed(
            "résultats par compétence (COPY)",
            lambda: copy_rows(
                cursor,
                "campaigns_competenceresult",
                "participation_id, result_import_id, competence_id, observed_at, level, pix",
                results(),
            ),
        )
        cursor.execute("SELECT count(*) FROM campaigns_competenceresult")
        print(f"  {cursor.fetchone()[0]:,} résultats, {PopulationStat.objects.count()} lignes "
              f"de statistiques mensuelles")  # fmt: skip
    from programmes import progress

    # COPY skips the code that keeps each enrolment's progress state: computed once here.
    timed("stored progress state", progress.rebuild_all)
    with connection.cursor() as cursor:
        timed("ANALYZE", lambda: cursor.execute("ANALYZE"))


MILESTONES = 6  # a check-in round every six months over the three years
CHECKED_SHARE = 0.3  # of a population's agents checked in at each round


def has_checkins() -> bool:
    from programmes.models import CheckIn

    return CheckIn.objects.filter(milestone__population__programme__slug=SLUG).exists()


def seed_checkins() -> None:
    """Six milestones per population; at each, 30 % of its agents checked in with one to
    three of the programme's barriers (COPY): the barrier section's worst case."""
    from django.db import connection, transaction

    from programmes.enums import ProgressStatus
    from programmes.models import Barrier, Enrolment, Milestone, TargetPopulation

    rng = random.Random(2027)
    now = datetime.now(PARIS)
    populations = list(TargetPopulation.objects.filter(programme__slug=SLUG).order_by("name"))
    barrier_ids = list(Barrier.objects.filter(programme__slug=SLUG).values_list("pk", flat=True))
    statuses = [s.value for s in ProgressStatus]
    with transaction.atomic(), connection.cursor() as cursor:
        milestones = Milestone.objects.bulk_create(
            Milestone(
                population=population,
                date=(now - timedelta(days=182 * (MILESTONES - index))).date(),
                title=f"Point d'étape {index + 1}",
            )
            for population in populations
            for index in range(MILESTONES)
        )
        agents_of = {
            population.pk: list(
                Enrolment.objects.filter(population=population).values_list("agent_id", flat=True)
            )
            for population in populations
        }
        rows, links = [], []
        for milestone in milestones:
            agents = agents_of[milestone.population_id]
            for agent_id in rng.sample(agents, int(len(agents) * CHECKED_SHARE)):
                rows.append((milestone.pk, agent_id, rng.choice(statuses), 0, 4, "", "", now, now))
        timed(
            f"entretiens de point d'étape ({len(rows):,}, COPY)",
            lambda: copy_rows(
                cursor,
                "programmes_checkin",
                "milestone_id, agent_id, status, targets_met, targets_set, comment, next_step, "
                "recorded_at, updated_at",
                rows,
            ),
        )
        cursor.execute(
            "SELECT c.id FROM programmes_checkin c JOIN programmes_milestone m "
            "ON m.id = c.milestone_id WHERE m.id = ANY(%s) ORDER BY c.id",
            [[m.pk for m in milestones]],
        )
        for (checkin_id,) in cursor.fetchall():
            for barrier_id in rng.sample(barrier_ids, rng.randint(1, 3)):
                links.append((checkin_id, barrier_id))
        timed(
            f"freins cités ({len(links):,}, COPY)",
            lambda: copy_rows(
                cursor, "programmes_checkin_barriers", "checkin_id, barrier_id", links
            ),
        )
    from programmes.accompaniment.checkins.services import milestone_counts_refresh_all

    timed(
        "décomptes des points d'étape",
        lambda: milestone_counts_refresh_all(
            milestones=Milestone.objects.filter(population__in=populations)
        ),
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE programmes_checkin, programmes_checkin_barriers")


def _monthly_stats(population, size, targets, competences, months, rng) -> None:
    """Three years of month-end rows, rising as a programme does."""
    from programmes.models import PopulationStat
    from programmes.steering.stats import LEVELS

    rows = []
    for number, moment in enumerate(months[:-1]):
        progress = (number + 1) / MONTHS
        started = int(size * min(0.88, 0.1 + progress))
        shared = int(started * 0.85)
        met_one = int(shared * 0.8 * progress)
        reached = int(met_one * 0.6 * progress)
        stalled = int((started - reached) * 0.3)
        per_target = {}
        for code, level in targets.items():
            spread = [
                int(shared * share) for share in (0.05, 0.2, 0.25, 0.2, 0.15, 0.1, 0.05, 0, 0)
            ]
            per_target[code] = {
                "kind": "level",
                "label": f"{code} {competences[code].name}",
                "target": level,
                "met": sum(spread[level:]),
                "set": size,
                "levels": spread[:LEVELS],
            }
        day = moment.date().replace(day=28)
        rows.append(
            PopulationStat(
                population=population, on=day, enrolled=size, not_started=size - started,
                in_progress=started - reached - stalled, stalled=stalled, reached=reached,
                started=started, shared=shared, one_target_met=met_one, all_targets_met=reached,
                targets_set=len(targets), per_target=per_target,
            )
        )  # fmt: skip
    PopulationStat.objects.bulk_create(rows)


def refresh_today() -> None:
    from django.utils import timezone

    from programmes.models import Programme, TargetPopulation
    from programmes.steering import stats, units

    today = timezone.localdate()
    for population in TargetPopulation.objects.filter(programme__slug=SLUG).order_by("name"):
        stat = timed(
            f"statistiques du jour : {population.name}",
            lambda population=population: stats.population_stats_refresh(
                population=population, on=today
            ),
        )
        print(
            f"    {stat.enrolled:,} inscrits, {stat.started:,} commencé, {stat.shared:,} "
            f"partagé, {stat.reached:,} à l'objectif, {stat.stalled:,} à l'arrêt"
        )
    programme = Programme.objects.get(slug=SLUG)
    stored = timed(
        "inscriptions par unité de l'organigramme",
        lambda: units.unit_stats_refresh(programme=programme, on=today),
    )
    print(f"    {sum(len(stat.rows) for stat in stored):,} lignes sur {len(stored)} niveaux")


def measure(client, url: str, requests: int) -> tuple[float, float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        assert client.get(url).status_code == 200
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return statistics.median(times), max(times), len(queries), len(response.content)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--requests", type=int, default=20)
    options = parser.parse_args()
    setup_django()

    from django.test import Client
    from django.urls import reverse

    from agents.models import User
    from programmes.models import PopulationStat, TargetPopulation

    print(f"Base {BENCH_DB}, {os.cpu_count()} processeurs")
    if options.reseed or not is_seeded():
        print("Données (une fois ; --reseed pour recommencer)")
        seed()
    else:
        print("Données déjà en place (--reseed pour recommencer)")
    if not has_checkins():
        print("Points d'étape (une fois)")
        seed_checkins()
    print("Calcul des statistiques du jour (moteur de statuts)")
    refresh_today()
    rows = PopulationStat.objects.filter(population__programme__slug=SLUG).count()
    print(f"  {rows} lignes de statistiques pour le programme")

    client = Client(SERVER_NAME="localhost")
    client.force_login(User.objects.get(email=OWNER))
    dashboard = reverse("programmes:dashboard", kwargs={"slug": SLUG})
    smallest = TargetPopulation.objects.filter(programme__slug=SLUG).order_by("-name").first()
    cases = [
        ("tableau de bord", dashboard),
        (f"tableau de bord, {smallest.name}", f"{dashboard}?population={smallest.pk}"),
        ("export XLSX des tableaux",
         reverse("programmes:dashboard_export", kwargs={"slug": SLUG, "fmt": "xlsx"})),
    ]  # fmt: skip
    print(f"Temps serveur ({options.requests} requêtes après 3 d'échauffement ; cible < 300 ms)")
    worst_median = 0.0
    for label, url in cases:
        median, worst, queries, size = measure(client, url, options.requests)
        worst_median = max(worst_median, median)
        print(
            f"  {label:<40} médiane {median:6.1f} ms, pire {worst:6.1f} ms, "
            f"{queries} requêtes SQL, {size / 1000:.0f} ko"
        )
    verdict = "OK" if worst_median < 300 else "AU-DELÀ DE LA CIBLE"
    print(f"Médiane la plus haute : {worst_median:.1f} ms — {verdict}")


if __name__ == "__main__":
    main()
