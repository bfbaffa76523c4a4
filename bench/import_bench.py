"""Benchmark of the Pix Orga import against PostgreSQL's own COPY of the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pilote_pix \
        .venv/bin/python bench/import_bench.py

Uses a throwaway database `pilote_pix_bench` on the same server (created and migrated if
needed). Seeds 100,000 agents, writes with `campaigns.pix_writer` a profiles-collection
export of 100,000 participants (16 competences, ~90 % shared, external ids of known agents
for ~97 %), then times the real import (import_create, import_analyse, import_run) and the
baseline: COPY of the normalised rows the import wrote (participations, snapshots, results)
into tables of the same structure. Prints both times, the ratio, rows/s and peak memory.

Then imports a second export of the campaign (the same rows and one more participant): the
monthly case, where almost nothing is new and almost nothing must be written.

Options: --participants N (default 100000), --keep-file.
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
BENCH_DB = "pilote_pix_bench"
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--keep-file", action="store_true")
    options = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="pix-bench-"))
    setup_django(str(workdir / "media"))

    from campaigns import services
    from campaigns.models import CompetenceResult, Participation, ParticipationSnapshot

    print(f"Base {BENCH_DB}, {os.cpu_count()} processeurs")
    timed(f"agents ({AGENTS:,})", lambda: reset_and_seed(AGENTS))
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


if __name__ == "__main__":
    main()
