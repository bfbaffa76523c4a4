"""The monthly re-import (issue 18): the export is read once, and only what changed since the
campaign's last import is written. An unchanged participation is not touched, not even its
`last_import`: after an import, the participations it created or changed are exactly those
whose `last_import` is that import. Run on SQLite (the default) and on PostgreSQL
(DATABASE_URL), whose writers differ (executemany, COPY)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns import services
from campaigns.enums import ImportStatus, MatchStatus
from campaigns.importing import persistence, planning
from campaigns.models import CompetenceResult, Participation, ParticipationSnapshot
from campaigns.pix_export import PixExport
from tests.agents.factories import AgentFactory
from tests.campaigns.factories import (
    analysed,
    export,
    imported,
    levels,
    media_root,  # noqa: F401 - fixture
    not_sent,
    paris,
    profiles_campaign,
    sent,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

MARCH = paris(2026, 3, 10, 8, 0)
APRIL = paris(2026, 4, 20, 9, 30)
TABLES = {
    "campaigns_participation": Participation,
    "campaigns_participationsnapshot": ParticipationSnapshot,
    "campaigns_competenceresult": CompetenceResult,
}


def rows_written() -> dict[str, tuple[int, int, int]] | int:
    """Rows written so far by this connection: on PostgreSQL (inserted, updated, deleted) by
    table in the current transaction (the test's); on SQLite the connection's total."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_xact_user_tables "
                "WHERE relname = ANY(%s)",
                [list(TABLES)],
            )
            found = {name: tuple(counts) for name, *counts in cursor.fetchall()}
        return {name: found.get(name, (0, 0, 0)) for name in TABLES}
    connection.ensure_connection()
    return connection.connection.total_changes


def written_since(before) -> dict[str, tuple[int, int, int]] | int:
    after = rows_written()
    if isinstance(after, int):
        return after - before
    return {
        name: tuple(now - then for now, then in zip(after[name], before[name], strict=True))
        for name in TABLES
    }


def people(pix_id: int, count: int) -> list:
    """`count` participants, two in three sent with results, one in three not sent yet."""
    rows = []
    for number in range(count):
        external_id = f"R{pix_id}-{number}"
        if number % 3:
            at = paris(2026, 3, 2, 10, number % 60)
            rows.append(sent("Nom", f"P{number}", external_id, at=at))
        else:
            rows.append(not_sent("Nom", f"P{number}", external_id))
    return rows


def reimport(campaign, earlier, later):
    """Import `earlier`, then `later` of the same campaign (analysed first, then timed):
    the second import, its query count and the rows it wrote."""
    first = imported(*export(campaign, earlier, exported_at=MARCH))
    assert first.status == ImportStatus.DONE
    preview = analysed(*export(campaign, later, exported_at=APRIL))
    before = rows_written()
    with CaptureQueriesContext(connection) as queries:
        done = services.import_run(result_import_id=preview.pk)
    assert done.status == ImportStatus.DONE, done.errors
    return first, done, len(queries.captured_queries), written_since(before)


def one_new(pix_id: int, size: int):
    campaign = profiles_campaign(pix_id=pix_id, code=f"R{pix_id}")
    for number in range(0, size, 2):
        AgentFactory(external_id=f"R{pix_id}-{number}")
    rows = people(pix_id, size)
    newcomer = sent("Nouveau", "Venu", f"R{pix_id}-new", at=paris(2026, 4, 2, 9, 0))
    return reimport(campaign, rows, [*rows[: size // 2], newcomer, *rows[size // 2 :]])


def test_a_reimport_with_one_new_participant_writes_one_participation():
    first, done, _queries, written = one_new(94001, 30)

    assert (done.rows, done.participations_created, done.participations_updated) == (31, 1, 0)
    assert done.results_created == 16
    new = Participation.objects.get(participant_external_id="R94001-new")
    assert (new.first_import_id, new.last_import_id) == (done.pk, done.pk)
    # The 30 others are untouched: they keep the import that last changed them.
    others = Participation.objects.exclude(pk=new.pk)
    assert set(others.values_list("last_import_id", flat=True)) == {first.pk}
    assert set(Participation.objects.filter(last_import=done).values_list("pk", flat=True)) == {
        new.pk
    }
    assert ParticipationSnapshot.objects.filter(result_import=done).count() == 1
    assert CompetenceResult.objects.filter(result_import=done).count() == 16
    if connection.vendor == "postgresql":
        # (inserted, updated, deleted): one participation, its state, its 16 results.
        assert written == {
            "campaigns_participation": (1, 0, 0),
            "campaigns_participationsnapshot": (1, 0, 0),
            "campaigns_competenceresult": (16, 0, 0),
        }
    else:
        # The same 18 rows, the import's own row twice (IMPORTING, then DONE with its
        # counts) and the campaign's: pinned, whatever the size of the file (next test).
        assert written == 18 + 3


def test_what_a_reimport_writes_and_asks_does_not_grow_with_the_file():
    _first, small, small_queries, small_written = one_new(94002, 20)
    _first, large, large_queries, large_written = one_new(94003, 200)

    assert (small.participations_created, large.participations_created) == (1, 1)
    assert (small.participations_updated, large.participations_updated) == (0, 0)
    assert small_queries == large_queries
    assert small_written == large_written


def test_a_changed_participant_updates_only_that_participation():
    pix_id = 94004
    campaign = profiles_campaign(pix_id=pix_id, code=f"R{pix_id}")
    rows = people(pix_id, 12)
    later = list(rows)
    # Paul (sent) improved his results; Inès (not sent) is now known to HR.
    later[1] = sent("Nom", "P1", f"R{pix_id}-1", at=rows[1].shared_at, results=levels((5, 41)))
    first = imported(*export(campaign, rows, exported_at=MARCH))
    AgentFactory(external_id=f"R{pix_id}-3")
    preview = analysed(*export(campaign, later, exported_at=APRIL))
    before = rows_written()

    done = services.import_run(result_import_id=preview.pk)
    written = written_since(before)

    assert done.status == ImportStatus.DONE
    assert (done.participations_created, done.participations_updated) == (0, 2)
    assert done.results_created == 16
    assert (preview.participations_updated, preview.results_created) == (2, 16)
    changed = Participation.objects.filter(last_import=done)
    assert sorted(changed.values_list("participant_external_id", flat=True)) == [
        f"R{pix_id}-1",
        f"R{pix_id}-3",
    ]
    paul = Participation.objects.get(participant_external_id=f"R{pix_id}-1")
    assert paul.results.filter(result_import=done, competence__code="1.1").get().level == 5
    assert paul.snapshots.count() == 1  # same state (sent, same date): no new snapshot
    matched = Participation.objects.get(participant_external_id=f"R{pix_id}-3")
    assert (matched.agent.external_id, matched.match_status) == (
        f"R{pix_id}-3",
        MatchStatus.EXTERNAL_ID,
    )
    assert Participation.objects.exclude(pk__in=changed).filter(last_import=first).count() == 10
    if connection.vendor == "postgresql":
        assert written == {
            "campaigns_participation": (0, 2, 0),
            "campaigns_participationsnapshot": (0, 0, 0),
            "campaigns_competenceresult": (16, 0, 0),
        }


def test_the_import_reads_the_file_once(monkeypatch):
    """The analysis reads the rows once; the import too (and twice its first row, to find
    the campaign and lock it before anything is read of it)."""
    pix_id = 94005
    campaign = profiles_campaign(pix_id=pix_id, code=f"R{pix_id}")
    rows = people(pix_id, 40)
    imported(*export(campaign, rows, exported_at=MARCH))
    read = []
    original = PixExport.rows

    def counted(self):
        for item in original(self):
            read.append(item)
            yield item

    monkeypatch.setattr(PixExport, "rows", counted)
    preview = analysed(*export(campaign, [*rows, not_sent("Autre", "Une")], exported_at=APRIL))
    assert len(read) == 41 + 1  # the rows, and the first one to find the campaign
    read.clear()

    done = services.import_run(result_import_id=preview.pk)

    assert done.participations_created == 1
    assert len(read) == 41 + 2


def test_rows_waiting_for_the_end_of_the_pass_go_to_disk_and_come_back(monkeypatch):
    """Participants seen "open" and sent since may continue their open participation: their
    rows wait for the end of the file, on disk beyond a size."""
    monkeypatch.setattr(planning, "_DEFERRED_SPOOL_BYTES", 1)
    pix_id = 94006
    campaign = profiles_campaign(pix_id=pix_id, code=f"R{pix_id}")
    earlier = [not_sent("Nom", f"P{n}", f"R{pix_id}-{n}") for n in range(10)]
    later = [sent("Nom", f"P{n}", f"R{pix_id}-{n}", at=paris(2026, 4, 1, 9, n)) for n in range(10)]
    first, done, _queries, _written = reimport(campaign, earlier, later)

    assert (done.participations_created, done.participations_updated) == (0, 10)
    assert done.results_created == 160
    assert Participation.objects.count() == 10
    assert set(Participation.objects.values_list("first_import", "last_import")) == {
        (first.pk, done.pk)
    }


def test_new_ids_reserved_a_block_at_a_time_name_their_results(monkeypatch):
    """PostgreSQL reserves the ids of new participations as they come, ending the results'
    COPY to do so: with blocks of one id and results sent a row at a time, every result
    still names its own participation."""
    monkeypatch.setattr(persistence._CopySink, "FIRST_IDS", 1)
    monkeypatch.setattr(persistence._CopySink, "MAX_IDS", 2)
    monkeypatch.setattr(persistence._CopySink, "RESULT_BATCH", 1)
    monkeypatch.setattr(persistence._ExecutemanySink, "BATCH", 1)
    pix_id = 94007
    campaign = profiles_campaign(pix_id=pix_id, code=f"R{pix_id}")
    rows = [
        sent(
            "Nom",
            f"P{n}",
            f"R{pix_id}-{n}",
            at=paris(2026, 3, 2, 10, n),
            results=levels((n % 8, n)),
        )
        for n in range(25)
    ]

    done = imported(*export(campaign, rows, exported_at=MARCH))

    assert done.status == ImportStatus.DONE
    assert done.participations_created == 25
    for participation in Participation.objects.all():
        number = int(participation.participant_first_name[1:])
        results = participation.results.all()
        assert len(results) == 16
        assert results.get(competence__code="1.1").pix == number


def test_a_row_broken_after_rows_were_written_leaves_nothing_written(monkeypatch):
    """The file changed on disk between the analysis and the import (it cannot, but were it
    so): the import refuses it at the broken row, and what the pass had written is undone."""
    monkeypatch.setattr(persistence._CopySink, "RESULT_BATCH", 1)  # sent as they come
    monkeypatch.setattr(persistence._ExecutemanySink, "BATCH", 1)
    pix_id = 94008
    campaign = profiles_campaign(pix_id=pix_id, code=f"R{pix_id}")
    rows = people(pix_id, 30)
    first = imported(*export(campaign, rows, exported_at=MARCH))
    newcomers = [sent("Nouveau", f"N{n}", f"R{pix_id}-n{n}", at=APRIL) for n in range(5)]
    content, name = export(campaign, [*newcomers, *rows], exported_at=APRIL)
    preview = analysed(content, name)
    before = {model: model.objects.count() for model in TABLES.values()}
    last = f'"R{pix_id}-29";'.encode()
    assert content.count(last) == 1
    with preview.file.open("wb") as stored:  # the last row, one cell too many
        stored.write(content.replace(last, last + b'"";'))

    done = services.import_run(result_import_id=preview.pk)

    assert done.status == ImportStatus.REFUSED
    assert "cellules" in done.errors[0]["message"]
    assert {model: model.objects.count() for model in TABLES.values()} == before
    assert set(Participation.objects.values_list("last_import", flat=True)) == {first.pk}
