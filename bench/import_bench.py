"""Benchmark of the Pix Orga import: SQLite (the embedded default) against PostgreSQL on the
same file, and PostgreSQL against its own COPY of the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/import_bench.py                 # SQLite vs PostgreSQL
    DATABASE_URL=… .venv/bin/python bench/import_bench.py --copy-baseline   # PostgreSQL vs COPY
    DATABASE_URL=… .venv/bin/python bench/import_bench.py --reimport        # the monthly case

PostgreSQL runs in the throwaway database `pilote_pix_bench` of DATABASE_URL's server, or in
the one BENCH_DATABASE names (so that two benches never share a database).

Side by side (the default, issue 15): writes with `campaigns.pix_writer` one profiles-collection
export of N participants (100,000 by default; 16 competences, ~90 % shared, external ids of
known agents for ~97 %), then runs the same script once per backend, each in a process of its
own (Django's settings are process-wide): PostgreSQL in its bench database, SQLite in a new file
of a temporary folder with the app's own SQLite settings (what the demo runs). Each seeds
100,000 agents and a programme (three populations enrolling 3,000 of them, three level targets
each), then times what a user's upload sets off, upload to figures refreshed: import_create
(with the programme's ProgrammeImport, as programme_import_upload), import_analyse, import_run
with the campaign attached to the programme (attach_campaign_hook, as run_programme_import) and
the programme's figures refreshed (programme_stats_refresh, what the `results_imported` receiver
calls). Prints the stages on each backend, the totals, the ratio SQLite / PostgreSQL against the
target (at most 3: PASS or FAIL, exit status 1 on FAIL) and each process's peak memory.

--copy-baseline: the PostgreSQL import against PostgreSQL's own COPY of the normalised rows
the import wrote (participations, snapshots, results) into tables of the same structure; then
a second export of the campaign (the same rows and one more participant): the monthly case,
where almost nothing is new and almost nothing must be written.

--reimport (issue 18), on PostgreSQL, --rounds times (3 by default), each from no import at
all: the export of N participants imported (import_create, import_analyse, import_run), the
COPY baseline of the rows it wrote (same indexes and keys), then the same export with one
new participant uploaded, analysed and imported: the monthly re-import. Prints each round,
then the medians: import_run / COPY (target ≤ 1.2) and the re-import's import_run / its
import_analyse (target ≤ 1.5: reading the file once and writing only what changed, the
import costs little more than the preview), PASS or FAIL (exit status 1 on FAIL), and what
the re-import wrote (one participation, its state and results; the participations whose
last_import is the re-import). `--agents 1000000`: the same import into a base of a million
agents (the participants are its first 100,000; target ≤ 1.3).

Options: --participants N (default 100000), --agents N (default 100000), --keep-file,
--copy-baseline, --reimport, --rounds N, --only sqlite|postgresql, --profile DIR (cProfile
of each backend's timed stages, DIR/<backend>.prof).
"""

import argparse
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import benchdb  # bench/ is on the path: these run as scripts

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = benchdb.database_name("pilote_pix_bench")
PARIS = ZoneInfo("Europe/Paris")
AGENTS = 100_000


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup_django(media_root: str) -> None:
    benchdb.setup_django(BENCH_DB, MEDIA_ROOT=media_root)


def reset_and_seed(agent_count: int) -> None:
    """Start from no import at all, and 100,000 agents with matricules B000000…"""
    from django.db import connection

    from agents.models import Agent

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE campaigns_competenceresult, campaigns_participationsnapshot, "
            "campaigns_participation, programmes_programmeimport, campaigns_resultimport, "
            "campaigns_campaign CASCADE"
        )
    if Agent.objects.count() == agent_count:
        return
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE agents_agent CASCADE")
        now = datetime.now(PARIS).isoformat()
        with cursor.cursor.copy(
            "COPY agents_agent (last_name, first_name, email, external_id, job_title, "
            "is_active, created_at, updated_at) FROM STDIN"
        ) as copy:
            for number in range(agent_count):
                last, first = person(number)
                copy.write(
                    f"{last}\t{first}\tagent{number}@exemple.gouv.fr\tB{number:06d}\t"
                    f"Agent\tt\t{now}\t{now}\n"
                )
        cursor.execute("ANALYZE agents_agent")


LAST_NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
              "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "N'Diaye",
              "Öztürk", "Le Gall", "Müller", "Durand-Léger"]  # fmt: skip
FIRST_NAMES = ["Hélène", "Élodie", "Loïc", "Zoé", "Jean-Baptiste", "Anne", "Chloé", "Nadia",
               "Paul", "Marie", "Karim", "Inès", "Théo", "Léa", "Hugo"]  # fmt: skip


def person(number: int) -> tuple[str, str]:
    last = LAST_NAMES[number % len(LAST_NAMES)]
    first = FIRST_NAMES[(number // len(LAST_NAMES)) % len(FIRST_NAMES)]
    return f"{last}{number // 300}", first


def participants(count: int):
    from campaigns.pix_writer import ALL_COMPETENCE_CODES, PixParticipant, PixResult

    rng = random.Random(2026)
    start = datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)
    for number in range(count):
        last, first = person(number)
        # ~3 % are not known to HR (external ids nobody has): they wait in the queue.
        external_id = f"B{number:06d}" if rng.random() > 0.03 else f"X{number:06d}"
        if rng.random() < 0.9:
            results = []
            for code in ALL_COMPETENCE_CODES:
                pix = rng.randint(0, 56)
                results.append(PixResult(code, level=pix // 8, pix=pix))
            yield PixParticipant(
                last_name=last,
                first_name=first,
                external_id=external_id,
                shared=True,
                shared_at=start + timedelta(minutes=rng.randint(0, 60 * 24 * 40)),
                results=tuple(results),
            )
        else:
            yield PixParticipant(last_name=last, first_name=first, external_id=external_id)


def write_file(path: Path, count: int):
    from campaigns.pix_writer import KIND_PROFILES, PixCampaign, export_filename, write_export

    campaign = PixCampaign(
        pix_id=99001,
        name="Collecte bench",
        kind=KIND_PROFILES,
        code="BENCH2026",
        organisation_name="Ministère exemple",
        external_id_label="Matricule",
    )
    name = export_filename(campaign, datetime(2026, 4, 20, 9, 30, tzinfo=PARIS))
    with path.open("wb") as out:
        write_export(out, campaign, participants(count))
    return name


def checkpoint() -> None:
    """Start each measure with the WAL flushed, so that neither pays for the other's writes
    (needs the pg_checkpoint role or superuser; skipped otherwise)."""
    from django.db import DatabaseError, connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError:
        pass


def timed(label, function):
    began = time.perf_counter()
    value = function()
    elapsed = time.perf_counter() - began
    print(f"  {label:<28} {elapsed:7.2f} s", flush=True)
    return value, elapsed


TABLES = {
    # table: columns the import writes (ids of participations included: they are reserved)
    "campaigns_participation": None,
    "campaigns_participationsnapshot": (
        "participation_id, result_import_id, observed_at, status, progression, stage, shared_at"
    ),
    "campaigns_competenceresult": (
        "participation_id, result_import_id, competence_id, observed_at, level, pix, "
        "mastery_rate, skills_total, skills_validated"
    ),
}


def copy_baseline(campaign_id: int, workdir: Path, *, with_keys: bool) -> tuple[float, int]:
    """COPY the rows the import wrote into empty tables of the same structure, in one
    transaction like the import. with_keys: the same indexes, unique constraints and
    (deferred) foreign keys as the real tables; else bare temporary tables."""
    from django.db import connection, transaction

    from campaigns.importing.persistence import INSERT_FIELDS

    TABLES["campaigns_participation"] = ", ".join(INSERT_FIELDS)
    files = {}
    with connection.cursor() as cursor:
        raw = cursor.cursor
        for table, columns in TABLES.items():
            where = (
                f"campaign_id = {campaign_id}"
                if table == "campaigns_participation"
                else "participation_id IN (SELECT id FROM campaigns_participation "
                f"WHERE campaign_id = {campaign_id})"
            )
            path = workdir / f"{table}.copy"
            with (
                path.open("wb") as out,
                raw.copy(f"COPY (SELECT {columns} FROM {table} WHERE {where}) TO STDOUT") as copy,
            ):
                for data in copy:
                    out.write(data)
            files[table] = path
    temporary = "" if with_keys else "TEMP "
    with connection.cursor() as cursor:
        raw = cursor.cursor
        for table in TABLES:
            raw.execute(f"DROP TABLE IF EXISTS bench_{table} CASCADE")
            including = "ALL" if with_keys else "DEFAULTS INCLUDING IDENTITY"
            raw.execute(
                f"CREATE {temporary}TABLE bench_{table} (LIKE {table} INCLUDING {including})"
            )
            if not with_keys:
                continue
            raw.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f'",
                [table],
            )
            for (definition,) in raw.fetchall():
                definition = definition.replace(
                    "campaigns_participation(", "bench_campaigns_participation("
                )
                raw.execute(f"ALTER TABLE bench_{table} ADD {definition}")
    # Timed: the COPYs in one transaction, deferred key checks and commit included.
    checkpoint()
    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        for table, columns in TABLES.items():
            with (
                files[table].open("rb") as source,
                raw.copy(f"COPY bench_{table} ({columns}) FROM STDIN") as copy,
            ):
                while chunk := source.read(1 << 20):
                    copy.write(chunk)
    elapsed = time.perf_counter() - began
    with connection.cursor() as cursor:
        rows = 0
        for table in TABLES:
            cursor.execute(f"SELECT count(*) FROM bench_{table}")
            rows += cursor.fetchone()[0]
        for table in reversed(list(TABLES)):
            cursor.execute(f"DROP TABLE bench_{table}")
    return elapsed, rows


def copy_baseline_main(options) -> None:
    """PostgreSQL's import against its own COPY of the same rows."""
    workdir = Path(tempfile.mkdtemp(prefix="pix-bench-"))
    setup_django(str(workdir / "media"))

    from campaigns import services
    from campaigns.models import CompetenceResult, Participation, ParticipationSnapshot

    print(f"Base {BENCH_DB}, {os.cpu_count()} processeurs")
    timed(f"agents ({options.agents:,})", lambda: reset_and_seed(options.agents))
    path = workdir / "export.csv"
    name, _ = timed("fichier écrit (pix_writer)", lambda: write_file(path, options.participants))
    size_mb = path.stat().st_size / 1e6
    print(f"  {name}: {size_mb:.1f} Mo, {options.participants:,} participants")
    rss_before = peak_rss_mb()
    checkpoint()

    print("Import réel")
    with path.open("rb") as handle:
        created, t_create = timed(
            "import_create",
            lambda: services.import_create(fileobj=handle, original_name=name, uploaded_by=None),
        )
    analysed, t_analyse = timed(
        "import_analyse", lambda: services.import_analyse(result_import_id=created.pk)
    )
    done, t_run = timed("import_run", lambda: services.import_run(result_import_id=created.pk))
    assert done.status == "done", (done.status, done.errors[:3])
    participations = Participation.objects.filter(campaign=done.campaign).count()
    snapshots = ParticipationSnapshot.objects.filter(result_import=done).count()
    results = CompetenceResult.objects.filter(result_import=done).count()
    written = participations + snapshots + results
    print(
        f"  écrit: {participations:,} participations, {snapshots:,} états, "
        f"{results:,} résultats ({done.matched:,} rapprochés, {done.to_confirm:,} par le nom, "
        f"{done.unmatched:,} en attente)"
    )
    rss_import = peak_rss_mb()

    print("Second export de la campagne (rien de neuf, un participant de plus)")
    write_file(path, options.participants + 1)
    with path.open("rb") as handle:
        again = services.import_create(fileobj=handle, original_name=name, uploaded_by=None)
    timed("import_analyse", lambda: services.import_analyse(result_import_id=again.pk))
    again, t_again = timed("import_run", lambda: services.import_run(result_import_id=again.pk))
    assert again.status == "done", (again.status, again.errors[:3])
    print(
        f"  {again.participations_created} créée, {again.participations_updated} mises à jour, "
        f"{again.results_created} résultats ajoutés"
    )
    rss_again = peak_rss_mb()

    print("Référence : COPY des mêmes lignes normalisées")
    t_copy_keys, _rows = copy_baseline(done.campaign_id, workdir, with_keys=True)
    print(f"  {'COPY, mêmes index et clés':<28} {t_copy_keys:7.2f} s")
    t_copy_bare, _rows = copy_baseline(done.campaign_id, workdir, with_keys=False)
    print(f"  {'COPY, tables temporaires nues':<28} {t_copy_bare:7.2f} s")

    total = t_create + t_analyse + t_run
    print("Résultat")
    print(f"  import complet (create+analyse+run) {total:6.2f} s, {written / total:,.0f} lignes/s")
    print(f"  import_run seul                     {t_run:6.2f} s, {written / t_run:,.0f} lignes/s")
    print(
        f"  COPY (index et clés)                {t_copy_keys:6.2f} s, "
        f"{written / t_copy_keys:,.0f} lignes/s"
    )
    print(f"  ratio import_run / COPY            {t_run / t_copy_keys:6.2f}")
    print(f"  ratio import complet / COPY        {total / t_copy_keys:6.2f}")
    print(f"  ratio import_run / COPY nue        {t_run / t_copy_bare:6.2f}")
    print(f"  second import (rien de neuf)        {t_again:6.2f} s")
    print(
        f"  mémoire: pic {rss_import:.0f} Mo au premier import, {rss_again:.0f} Mo au second "
        f"(dont {rss_before:.0f} Mo avant), fichier {size_mb:.1f} Mo"
    )
    if options.keep_file:
        print(f"  fichier gardé : {path}")
    else:
        done.file.delete(save=False)
        again.file.delete(save=False)
        shutil.rmtree(workdir, ignore_errors=True)


# The monthly re-import (issue 18): the import against COPY, the re-import against its preview.

COPY_TARGET = 1.2
COPY_TARGET_1M = 1.3
REIMPORT_TARGET = 1.5


def reimport_round(number: int, options, workdir: Path) -> dict:
    """One round from no import at all: import, COPY baseline, re-import with one new."""
    from campaigns import services
    from campaigns.models import CompetenceResult, Participation, ParticipationSnapshot

    print(f"Tour {number}", flush=True)
    reset_and_seed(options.agents)
    path = workdir / "export.csv"
    name = write_file(path, options.participants)
    checkpoint()
    with path.open("rb") as handle:
        created = services.import_create(fileobj=handle, original_name=name, uploaded_by=None)
    _analysed, t_analyse = timed("import_analyse", lambda: analyse(services, created.pk))
    done, t_run = timed("import_run", lambda: services.import_run(result_import_id=created.pk))
    assert done.status == "done", (done.status, done.errors[:3])
    t_copy, rows = copy_baseline(done.campaign_id, workdir, with_keys=True)
    print(f"  {'COPY, mêmes index et clés':<28} {t_copy:7.2f} s ({rows:,} lignes)", flush=True)

    write_file(path, options.participants + 1)  # the same rows, and one new participant
    checkpoint()
    with path.open("rb") as handle:
        again = services.import_create(fileobj=handle, original_name=name, uploaded_by=None)
    _analysed, t_again_analyse = timed(
        "réimport: import_analyse", lambda: analyse(services, again.pk)
    )
    again, t_again_run = timed(
        "réimport: import_run", lambda: services.import_run(result_import_id=again.pk)
    )
    assert again.status == "done", (again.status, again.errors[:3])
    touched = Participation.objects.filter(last_import=again).count()
    written = (
        again.participations_created,
        again.participations_updated,
        ParticipationSnapshot.objects.filter(result_import=again).count(),
        CompetenceResult.objects.filter(result_import=again).count(),
        touched,
    )
    print(
        f"  réimport: {written[0]} créée, {written[1]} mise(s) à jour, {written[2]} état(s), "
        f"{written[3]} résultats; {touched} participation(s) de last_import = ce réimport",
        flush=True,
    )
    if not options.keep_file:
        done.file.delete(save=False)
        again.file.delete(save=False)
    return {
        "run": t_run,
        "analyse": t_analyse,
        "copy": t_copy,
        "again_analyse": t_again_analyse,
        "again_run": t_again_run,
        "written": written,
    }


def analyse(services, pk: int):
    analysed = services.import_analyse(result_import_id=pk)
    assert analysed.status == "ready", (analysed.status, analysed.errors[:3])
    return analysed


def reimport_main(options) -> None:
    import statistics

    workdir = Path(tempfile.mkdtemp(prefix="pix-bench-"))
    setup_django(str(workdir / "media"))
    print(
        f"Base {BENCH_DB}, {os.cpu_count()} processeurs, {options.agents:,} agents, "
        f"{options.participants:,} participants, {options.rounds} tours",
        flush=True,
    )
    rounds = [reimport_round(n, options, workdir) for n in range(1, options.rounds + 1)]
    median = statistics.median
    copy_ratios = [r["run"] / r["copy"] for r in rounds]
    # Issue 18: ≤ 1.2 in a base of 100,000 agents, ≤ 1.3 in one of a million.
    copy_target = COPY_TARGET_1M if options.agents >= 1_000_000 else COPY_TARGET
    again_ratios = [r["again_run"] / r["again_analyse"] for r in rounds]
    print("Résultat (médianes)")
    print(f"  import_run                          {median(r['run'] for r in rounds):6.2f} s")
    print(f"  COPY (index et clés)                {median(r['copy'] for r in rounds):6.2f} s")
    print(
        f"  ratio import_run / COPY             {median(copy_ratios):6.2f} "
        f"({' / '.join(f'{ratio:.2f}' for ratio in copy_ratios)}; cible ≤ {copy_target:g})"
    )
    print(
        f"  réimport: import_analyse            {median(r['again_analyse'] for r in rounds):6.2f} s"
    )
    print(f"  réimport: import_run                {median(r['again_run'] for r in rounds):6.2f} s")
    print(
        f"  ratio réimport / analyse            {median(again_ratios):6.2f} "
        f"({' / '.join(f'{ratio:.2f}' for ratio in again_ratios)}; cible ≤ "
        f"{REIMPORT_TARGET:g})"
    )
    only_one = all(r["written"][:3] + r["written"][4:] == (1, 0, 1, 1) for r in rounds)
    print(f"  réimport: une participation écrite, rien d'autre: {'oui' if only_one else 'NON'}")
    print(f"  mémoire: pic {peak_rss_mb():.0f} Mo (RSS du processus, tous tours)")
    verdict = (
        "PASS"
        if median(copy_ratios) <= copy_target
        and median(again_ratios) <= REIMPORT_TARGET
        and only_one
        else "FAIL"
    )
    print(verdict)
    if options.keep_file:
        print(f"  fichier gardé : {workdir / 'export.csv'}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    if verdict == "FAIL":
        sys.exit(1)


# Side by side: the same file, upload to figures refreshed, on PostgreSQL and on SQLite.

TARGET_RATIO = 3.0
POPULATIONS = 3
PER_POPULATION = 1000
LEVEL_TARGETS = {"1.1": 3, "2.1": 2, "3.1": 2}
PROGRAMME_SLUG = "bench-import"
STAGES = ("import_create", "import_analyse", "import_run", "figures refresh")
BACKENDS = ("postgresql", "sqlite")
# The embedded default's SQLite settings (config/settings.py): set here too when the settings
# leave them out, so that the bench always measures what the demo runs.
SQLITE_OPTIONS = {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}


def setup_backend(backend: str, workdir: Path) -> None:
    media = str(workdir / "media")
    if backend == "postgresql":
        setup_django(media)
        return
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = media
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_DEMO", "1")
    from django.conf import settings

    options = settings.DATABASES["default"].setdefault("OPTIONS", {})
    for key, value in SQLITE_OPTIONS.items():
        options.setdefault(key, value)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed_agents(agent_count: int) -> None:
    """100,000 agents with matricules B000000…: COPY on PostgreSQL, batched executemany on
    SQLite (streamed either way)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        reset_and_seed(agent_count)
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE programmes_programme CASCADE")
        return
    now = datetime.now(PARIS).isoformat()

    def rows():
        for number in range(agent_count):
            last, first = person(number)
            yield (last, first, f"agent{number}@exemple.gouv.fr", f"B{number:06d}", now)

    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO agents_agent (last_name, first_name, email, external_id, job_title, "
            "is_active, created_at, updated_at) VALUES (%s, %s, %s, %s, 'Agent', 1, %s, %s)",
            ((*row, row[-1]) for row in rows()),
        )


def seed_programme():
    """A programme of three populations enrolling 3,000 of the agents, level targets on three
    competences each (what a profiles collection feeds)."""
    from django.db import transaction

    from agents.models import Agent
    from campaigns.models import Competence
    from programmes.enums import TargetKind
    from programmes.models import Enrolment, Programme, Target, TargetPopulation

    competences = dict(Competence.objects.values_list("code", "id"))
    agent_ids = list(
        Agent.objects.filter(external_id__startswith="B")
        .order_by("external_id")
        .values_list("id", flat=True)[: POPULATIONS * PER_POPULATION]
    )
    start = datetime(2026, 1, 5, tzinfo=PARIS).date()
    with transaction.atomic():
        programme = Programme.objects.create(
            name="Banc import", slug=PROGRAMME_SLUG, start_date=start
        )
        for p in range(POPULATIONS):
            population = TargetPopulation.objects.create(programme=programme, name=f"Banc {p}")
            Enrolment.objects.bulk_create(
                (
                    Enrolment(agent_id=agent_id, population=population, start_date=start)
                    for agent_id in agent_ids[p * PER_POPULATION : (p + 1) * PER_POPULATION]
                ),
                batch_size=500,
            )
            Target.objects.bulk_create(
                Target(
                    population=population,
                    competence_id=competences[code],
                    kind=TargetKind.LEVEL,
                    level=level,
                )
                for code, level in LEVEL_TARGETS.items()
            )
    return programme


def sqlite_pragmas() -> str:
    from django.db import connection

    if connection.vendor != "sqlite":
        return ""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous")
        synchronous = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[cursor.fetchone()[0]]
    return f"journal_mode={journal}, synchronous={synchronous}"


def run_backend(options) -> None:
    """One backend, in a process of its own: seed, then upload to figures refreshed. Writes
    its figures as JSON to options.json."""
    import json

    workdir = Path(tempfile.mkdtemp(prefix=f"pix-bench-{options.backend}-"))
    setup_backend(options.backend, workdir)
    from django.db import connection, transaction
    from django.utils import timezone

    from campaigns import services
    from campaigns.models import CompetenceResult, Participation, ParticipationSnapshot
    from programmes.imports.attach import attach_campaign_hook
    from programmes.models import ProgrammeImport
    from programmes.steering.stats import programme_stats_refresh

    print(f"[{connection.vendor}] {sqlite_pragmas()}".rstrip(), flush=True)
    began = time.perf_counter()
    seed_agents(AGENTS)
    programme = seed_programme()
    print(f"  base préparée en {time.perf_counter() - began:.1f} s", flush=True)
    connection.close()  # measures start on a fresh connection, as a worker's task
    rss_before = peak_rss_mb()
    path = Path(options.file)
    profiler = None
    if options.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    times = {}

    def stage(label, function):
        value, times[label] = timed(label, function)
        return value

    def upload():
        with transaction.atomic(), path.open("rb") as handle:
            created = services.import_create(
                fileobj=handle, original_name=options.name, uploaded_by=None
            )
            ProgrammeImport.objects.create(programme=programme, result_import=created)
        return created

    created = stage("import_create", upload)
    analysed = stage("import_analyse", lambda: services.import_analyse(result_import_id=created.pk))
    assert analysed.status == "ready", (analysed.status, analysed.errors[:3])
    done = stage(
        "import_run",
        lambda: services.import_run(
            result_import_id=created.pk, on_done=attach_campaign_hook(programme.pk)
        ),
    )
    assert done.status == "done", (done.status, done.errors[:3])
    # What the `results_imported` receiver does (refresh_programme_stats), errors not hidden.
    stats = stage(
        "figures refresh",
        lambda: programme_stats_refresh(programme=programme, on=timezone.localdate()),
    )
    if profiler is not None:
        profiler.disable()
        Path(options.profile).mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(str(Path(options.profile) / f"{options.backend}.prof"))
    figures = {
        "backend": connection.vendor,
        "pragmas": sqlite_pragmas(),
        "times": times,
        "participations": Participation.objects.filter(campaign=done.campaign).count(),
        "snapshots": ParticipationSnapshot.objects.filter(result_import=done).count(),
        "results": CompetenceResult.objects.filter(result_import=done).count(),
        "matched": done.matched,
        "to_confirm": done.to_confirm,
        "unmatched": done.unmatched,
        "followed": programme.campaigns.filter(pk=done.campaign_id).exists(),
        "stats": sorted(
            (
                s.enrolled,
                s.not_started,
                s.in_progress,
                s.shared,
                s.one_target_met,
                s.all_targets_met,
                sorted(json.dumps(v, sort_keys=True, default=str) for v in s.per_target.values()),
            )
            for s in stats
        ),
        "rss_before_mb": rss_before,
        "rss_peak_mb": peak_rss_mb(),
    }
    connection.close()
    shutil.rmtree(workdir, ignore_errors=True)
    Path(options.json).write_text(json.dumps(figures))


def compare_main(options) -> None:
    """Both backends on the same file, each in a process of its own; the comparison."""
    import json
    import subprocess

    workdir = Path(tempfile.mkdtemp(prefix="pix-bench-"))
    path = workdir / "export.csv"
    began = time.perf_counter()
    name = write_file(path, options.participants)
    size_mb = path.stat().st_size / 1e6
    print(
        f"{name}: {size_mb:.1f} Mo, {options.participants:,} participants "
        f"(écrit en {time.perf_counter() - began:.1f} s); {os.cpu_count()} processeurs"
    )
    figures = {}
    for backend in options.only or BACKENDS:
        out = workdir / f"{backend}.json"
        command = [
            sys.executable,
            __file__,
            "--backend",
            backend,
            "--file",
            str(path),
            "--name",
            name,
            "--json",
            str(out),
        ]
        if options.profile:
            command += ["--profile", options.profile]
        subprocess.run(command, check=True)
        figures[backend] = json.loads(out.read_text())
    if not options.keep_file:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"fichier gardé : {path}")
    report(figures)


def report(figures: dict) -> None:
    backends = [b for b in BACKENDS if b in figures]
    print()
    print(
        f"{'étape':<20}"
        + "".join(f"{b:>14}" for b in backends)
        + (f"{'ratio':>9}" if len(backends) == 2 else "")
    )
    totals = {b: sum(figures[b]["times"].values()) for b in backends}
    for label in (*STAGES, "total"):
        values = [totals[b] if label == "total" else figures[b]["times"][label] for b in backends]
        line = f"{label:<20}" + "".join(f"{v:12.2f} s" for v in values)
        if len(values) == 2 and values[0] > 0:
            line += f"{values[1] / values[0]:9.2f}"
        print(line)
    print(
        f"{'mémoire (pic RSS)':<20}"
        + "".join(f"{figures[b]['rss_peak_mb']:11.0f} Mo" for b in backends)
    )
    print(
        f"{'  dont avant import':<20}"
        + "".join(f"{figures[b]['rss_before_mb']:11.0f} Mo" for b in backends)
    )
    for b in backends:
        f = figures[b]
        print(
            f"{b}: {f['participations']:,} participations, {f['snapshots']:,} états, "
            f"{f['results']:,} résultats ({f['matched']:,} rapprochés, {f['to_confirm']:,} par "
            f"le nom, {f['unmatched']:,} en attente); campagne suivie: {f['followed']}"
            + (f"; {f['pragmas']}" if f["pragmas"] else "")
        )
    if len(backends) != 2:
        return
    keys = ("participations", "snapshots", "results", "matched", "to_confirm", "unmatched")
    same = all(figures["sqlite"][k] == figures["postgresql"][k] for k in keys) and (
        figures["sqlite"]["stats"] == figures["postgresql"]["stats"]
    )
    print(f"mêmes lignes écrites et mêmes chiffres sur les deux bases: {'oui' if same else 'NON'}")
    ratio = totals["sqlite"] / totals["postgresql"]
    verdict = "PASS" if ratio <= TARGET_RATIO and same else "FAIL"
    print(
        f"ratio SQLite / PostgreSQL (téléversement → chiffres à jour): {ratio:.2f} "
        f"(cible ≤ {TARGET_RATIO:g}) {verdict}"
    )
    if verdict == "FAIL":
        sys.exit(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument(
        "--agents",
        type=int,
        default=AGENTS,
        help="agents in the base, for --reimport and --copy-baseline (100,000; the "
        "participants are the first ones)",
    )
    parser.add_argument("--keep-file", action="store_true")
    parser.add_argument(
        "--copy-baseline", action="store_true", help="PostgreSQL's import against its COPY"
    )
    parser.add_argument(
        "--reimport", action="store_true", help="the monthly re-import (PostgreSQL)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --reimport")
    parser.add_argument("--only", choices=BACKENDS, action="append")
    parser.add_argument("--profile", metavar="DIR", help="cProfile of the timed stages")
    # Internal: one backend's run, in the process the comparison starts.
    parser.add_argument("--backend", choices=BACKENDS, help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--name", help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.agents < options.participants:
        parser.error("--agents: at least as many agents as --participants")
    if options.backend:
        run_backend(options)
    elif options.copy_baseline:
        copy_baseline_main(options)
    elif options.reimport:
        reimport_main(options)
    else:
        compare_main(options)


if __name__ == "__main__":
    main()
