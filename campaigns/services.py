"""Writes of the campaigns app: importing Pix Orga exports, matching participants by hand.

An import goes UPLOADED -> (ANALYSING) -> READY -> IMPORTING -> DONE, or ends REFUSED (the
file or one of its rows is wrong: nothing written), FAILED (an unexpected error: nothing
written, the message kept), CANCELLED or DUPLICATE (the same file was already imported).
The analysis and the import share their planning code (`campaigns.importing`): the preview
counts are what the import then writes. Each reads the file once; the import writes only
what changed since the campaign's last import (an unchanged participation is not touched).

A process that dies mid-way (a worker killed, a machine restarted) leaves nothing written
(the import is one transaction) but its status said ANALYSING or IMPORTING. Whoever analyses
or imports holds a lock on the import (a PostgreSQL advisory lock, gone with its session),
so that `imports_recover` can tell a dead run from a live one: an interrupted import becomes
FAILED, to run again, and an interrupted analysis REFUSED, to upload again (docs/FAULTS.md).
"""

import datetime
import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import Agent
from campaigns import pix_export
from campaigns.enums import ImportStatus, MatchStatus
from campaigns.importing.campaign import campaign_save, first_row
from campaigns.importing.persistence import write_plan
from campaigns.importing.planning import (
    ImportPlan,
    ImportRefused,
    build_plan,
    start_plan,
    waiting_names,
)
from campaigns.models import Campaign, CompetenceAlias, Participation, ResultImport
from campaigns.signals import campaign_import_check, participations_changed

logger = logging.getLogger(__name__)

# Exports of 100,000 participants weigh about 25 MB; assessments with skill columns more.
# Any fixed number (agents.services uses 7_210_001): with the campaign's Pix id, the key of
# the PostgreSQL advisory lock that keeps two imports of one campaign from interleaving.
_IMPORT_LOCK_CLASS = 7_210_002
# With the import's id: held by the session analysing or importing it, for as long as it does.
_RUN_LOCK_CLASS = 7_210_003
_FINAL = (ImportStatus.DONE, ImportStatus.DUPLICATE, ImportStatus.REFUSED, ImportStatus.CANCELLED)
_IN_PROGRESS = (ImportStatus.ANALYSING, ImportStatus.IMPORTING)
# Without advisory locks (SQLite, the demo): a run older than this is taken for dead.
STALE_AFTER = datetime.timedelta(hours=2)
# An upload still waiting for its analysis this long was never queued (the broker was down).
UNQUEUED_AFTER = datetime.timedelta(minutes=10)


# The name shown is what the model holds; the name on disk follows a 16-character prefix
# (import_upload_path) and must stay under the file system's 255 bytes per name.
ORIGINAL_NAME_MAX_CHARS = 255
STORED_NAME_MAX_BYTES = 150


def _max_bytes() -> int:
    return settings.PIX_EXPORT_MAX_BYTES


def import_create(*, fileobj: BinaryIO, original_name: str, uploaded_by=None) -> ResultImport:
    """Keep an uploaded export with its SHA-256, size, uploader and time, and the export time
    read from its name. A file already imported (same checksum, DONE) is recorded as a
    DUPLICATE of that import and nothing else happens to it."""
    digest, size = hashlib.sha256(), 0
    chunks = (
        fileobj.chunks() if hasattr(fileobj, "chunks") else iter(lambda: fileobj.read(1 << 20), b"")
    )
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    fileobj.seek(0)
    original_name = (original_name or "export.csv").replace("\\", "/").rsplit("/", 1)[-1]
    original_name = _shortened(original_name, ORIGINAL_NAME_MAX_CHARS)
    result_import = ResultImport(
        original_name=original_name,
        sha256=digest.hexdigest(),
        size=size,
        uploaded_by=uploaded_by,
        uploaded_at=timezone.now(),
        exported_at=pix_export.parse_export_filename(original_name),
    )
    earlier = ResultImport.objects.done().filter(sha256=result_import.sha256).first()
    if earlier is not None:
        result_import.status = ImportStatus.DUPLICATE
        result_import.duplicate_of = earlier
        result_import.campaign = earlier.campaign
        result_import.kind = earlier.kind
        result_import.file.name = earlier.file.name  # the same bytes: stored once
    else:
        stored_name = _shortened(original_name, STORED_NAME_MAX_BYTES, in_bytes=True)
        result_import.file.save(stored_name, File(fileobj), save=False)
    result_import.save()
    return result_import


def _shortened(name: str, limit: int, *, in_bytes: bool = False) -> str:
    """`name` cut to `limit` characters (or UTF-8 bytes), its extension kept."""
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > 10:
        stem, dot, extension = name, "", ""
    suffix = f"{dot}{extension}"
    if in_bytes:
        stem = stem.encode()[: limit - len(suffix.encode())].decode(errors="ignore")
    else:
        stem = stem[: limit - len(suffix)]
    return f"{stem}{suffix}"


def import_analyse(*, result_import_id: int) -> ResultImport:
    """Check the file and compute the preview against the database, writing nothing but the
    import's own row: READY with its counts and warnings, or REFUSED with its errors. An
    import past that stage is returned unchanged."""
    result_import = ResultImport.objects.get(pk=result_import_id)
    if result_import.status not in _ANALYSABLE:
        return result_import
    with _run_lock(result_import.pk):
        result_import.refresh_from_db()
        if result_import.status not in _ANALYSABLE:
            return result_import
        return _analyse(result_import)


_ANALYSABLE = (ImportStatus.UPLOADED, ImportStatus.ANALYSING, ImportStatus.READY)


def _analyse(result_import: ResultImport) -> ResultImport:
    ResultImport.objects.filter(pk=result_import.pk).update(
        status=ImportStatus.ANALYSING, progress_done=0
    )
    try:
        with _opened(result_import) as raw:
            export = _open_export(raw)
            total = max(export.line_count - 1, 0)
            ResultImport.objects.filter(pk=result_import.pk).update(progress_total=total)

            def progress(done):
                ResultImport.objects.filter(pk=result_import.pk).update(progress_done=done)

            plan = build_plan(
                export,
                progress=progress,
                progress_every=max(5000, total // 10),
                linked_to_programme=_linked_to_programme(result_import),
                observed_at=result_import.observed_at,
                campaign_check=_campaign_check(result_import),
            )
    except ImportRefused as refused:
        return _refuse(result_import, refused.errors)
    if plan.refused:
        return _refuse(result_import, plan.stored_errors(), plan)
    _fill(result_import, plan)
    result_import.status = ImportStatus.READY
    result_import.errors = []
    result_import.progress_done = result_import.progress_total = plan.counts.rows
    result_import.save()
    return result_import


def import_run(
    *,
    result_import_id: int,
    on_done: Callable[[ResultImport], None] | None = None,
    redelivered: bool = False,
) -> ResultImport:
    """Import the file for good, in one transaction: the campaign found or created, its
    participations, their snapshots and results. DONE with the counts, or REFUSED with the
    errors, or FAILED with the message of an unexpected error (then raised again); in both
    cases nothing is written. An import already DONE (or final) is returned unchanged; a
    file already imported becomes a DUPLICATE. `on_done(result_import)` runs inside the
    transaction once the import is DONE (a programme attaches the campaign there).

    One run at a time per import: a second one waits for the first, then finds it DONE.
    `redelivered`: the task's message comes back because the worker that had it died; the
    run it carried is not started again (an import it left IMPORTING becomes FAILED, an
    import already FAILED stays so): a person decides to run it again."""
    result_import = ResultImport.objects.get(pk=result_import_id)
    if result_import.status in _FINAL:
        return result_import
    with _run_lock(result_import.pk):
        result_import.refresh_from_db()
        if result_import.status in _FINAL:
            return result_import
        if redelivered and result_import.status in (ImportStatus.IMPORTING, ImportStatus.FAILED):
            if result_import.status == ImportStatus.IMPORTING:
                _interrupted(result_import)
            return result_import
        return _import(result_import, on_done)


def _import(result_import: ResultImport, on_done) -> ResultImport:
    if _mark_duplicate(result_import):
        return result_import
    ResultImport.objects.filter(pk=result_import.pk).update(
        status=ImportStatus.IMPORTING, started_at=timezone.now(), progress_done=0
    )
    result_import.status = ImportStatus.IMPORTING
    reporter = _ProgressReporter(result_import.pk)
    try:
        with _opened(result_import) as raw:
            export = _open_export(raw)
            reporter.total = max(export.line_count - 1, 0)
            with transaction.atomic():
                result_import = _run(result_import, export, reporter, on_done)
    except ImportRefused as refused:
        return _refuse(result_import, refused.errors)
    except Exception as error:
        logger.exception("Import %s failed", result_import.pk)
        _fail(result_import, error)
        raise
    finally:
        reporter.close()
    return result_import


def _run(result_import, export, reporter, on_done) -> ResultImport:
    first = first_row(export)
    if first is not None:
        _lock_campaign(first.campaign_pix_id)
    # Inside the lock: the same file may have been imported meanwhile.
    result_import = ResultImport.objects.get(pk=result_import.pk)
    if result_import.status in _FINAL:
        return result_import
    if _mark_duplicate(result_import):
        return result_import
    # Asked again here, inside the transaction and the campaign's lock: a campaign another
    # programme claimed since the preview (or a forged confirmation) refuses the file. The
    # rows are planned as they are written, in one pass over the file (write_plan).
    plan = start_plan(
        export,
        linked_to_programme=_linked_to_programme(result_import),
        observed_at=result_import.observed_at,
        campaign_check=_campaign_check(result_import),
    )
    if plan.refused:
        raise ImportRefused(plan.stored_errors())
    campaign = plan.campaign = campaign_save(plan.campaign_facts, plan.campaign)
    written = write_plan(
        plan,
        export,
        result_import_id=result_import.pk,
        campaign_id=campaign.pk,
        observed_at=result_import.observed_at,
        progress=reporter.read,
        progress_every=reporter.every,
    )
    plan.counts = written
    # The participations this import created or changed carry its id.
    changed = Participation.objects.filter(last_import_id=result_import.pk, agent__isnull=False)
    participations_changed.send(
        sender=ResultImport, campaign_ids=[campaign.pk], agent_ids=changed.values("agent_id")
    )
    _fill(result_import, plan)
    result_import.campaign = campaign
    result_import.status = ImportStatus.DONE
    result_import.errors = []
    result_import.progress_done = result_import.progress_total = written.rows
    result_import.finished_at = timezone.now()
    result_import.save()
    if on_done is not None:
        on_done(result_import)
    return result_import


def import_queue(*, result_import_id: int, from_status: str) -> bool:
    """Mark a confirmed import QUEUED (for `import_run`, by a worker) if it is still in
    `from_status`; False if someone changed it meanwhile. `started_at` says since when."""
    return bool(
        ResultImport.objects.filter(pk=result_import_id, status=from_status).update(
            status=ImportStatus.QUEUED, started_at=timezone.now()
        )
    )


def import_unqueue(*, result_import_id: int, to_status: str) -> None:
    """The task of a QUEUED import could not be sent: back to `to_status`, as before."""
    ResultImport.objects.filter(pk=result_import_id, status=ImportStatus.QUEUED).update(
        status=to_status
    )


def import_cancel(*, result_import_id: int) -> ResultImport:
    """Drop an import that was not confirmed (nothing had been written); other states are
    left as they are."""
    with transaction.atomic():
        result_import = ResultImport.objects.select_for_update().get(pk=result_import_id)
        if result_import.status in (
            ImportStatus.UPLOADED,
            ImportStatus.ANALYSING,
            ImportStatus.READY,
            ImportStatus.FAILED,
        ):
            result_import.status = ImportStatus.CANCELLED
            result_import.finished_at = timezone.now()
            result_import.save(update_fields=["status", "finished_at"])
    return result_import


@dataclass(frozen=True)
class Recovered:
    """What `imports_recover` found: the ids of the imports it marked FAILED and of the
    analyses it marked REFUSED, and the uploads to analyse again."""

    failed: list[int]
    refused: list[int]
    to_analyse: list[int]


def imports_recover(*, now: datetime.datetime | None = None) -> Recovered:
    """Imports whose process died (a worker killed, a machine restarted) are never left
    "in progress": an IMPORTING import that nobody runs any more becomes FAILED (nothing was
    written; the page offers to run it again), an ANALYSING one REFUSED (the file is to be
    uploaded again), a QUEUED one no worker took within STALE_AFTER FAILED too. Uploads
    still waiting for their analysis after UNQUEUED_AFTER (its task
    was never queued: the broker was down) are returned, for the caller to queue."""
    now = now or timezone.now()
    failed, refused = [], []
    # Confirmed long ago and never taken by a worker (its message lost): to run again.
    for pk in ResultImport.objects.filter(
        status=ImportStatus.QUEUED, started_at__lt=now - STALE_AFTER
    ).values_list("pk", flat=True):
        logger.warning("Import %s was never started: FAILED", pk)
        ResultImport.objects.filter(pk=pk, status=ImportStatus.QUEUED).update(
            status=ImportStatus.FAILED,
            errors=[_error(_import_not_started_message())],
            finished_at=now,
        )
        failed.append(pk)
    for pk in (
        ResultImport.objects.filter(status__in=_IN_PROGRESS)
        .order_by("pk")
        .values_list("pk", flat=True)
    ):
        with _run_lock_if_free(pk, stale_before=now - STALE_AFTER) as free:
            if not free:
                continue
            result_import = ResultImport.objects.get(pk=pk)
            if result_import.status == ImportStatus.IMPORTING:
                _interrupted(result_import)
                failed.append(pk)
            elif result_import.status == ImportStatus.ANALYSING:
                logger.warning("Analysis of import %s was interrupted: REFUSED", pk)
                _refuse(result_import, [_error(_analysis_interrupted_message())])
                refused.append(pk)
    to_analyse = list(
        ResultImport.objects.filter(
            status=ImportStatus.UPLOADED, uploaded_at__lt=now - UNQUEUED_AFTER
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return Recovered(failed=failed, refused=refused, to_analyse=to_analyse)


def participation_match(*, participation: Participation, agent: Agent) -> int:
    """Match a participant by hand: this participation and every other one of the same
    participant in the campaign go to `agent`, and stay with them on later imports.
    Returns the number of participations matched."""
    with transaction.atomic():
        same = _same_participant(participation)
        before = set(same.exclude(agent=None).values_list("agent_id", flat=True))
        matched = same.update(agent=agent, match_status=MatchStatus.MANUAL)
        _changed(participation, before | {agent.pk})
        return matched


def participation_confirm(*, participation: Participation) -> None:
    """Confirm a match made by name: it becomes a match by hand, for every participation of
    that participant in the campaign."""
    if participation.agent_id is None:
        return
    with transaction.atomic():
        _same_participant(participation).filter(
            agent_id=participation.agent_id, match_status=MatchStatus.TO_CONFIRM
        ).update(match_status=MatchStatus.MANUAL)
    participation.match_status = MatchStatus.MANUAL


def participation_unmatch(*, participation: Participation) -> None:
    """Undo a wrong match: the participant goes back to the queue, with every participation
    in the campaign. The decision is kept (MANUAL without agent), so that later imports do
    not match them by name again; a match by external id still can."""
    with transaction.atomic():
        same = _same_participant(participation)
        before = set(same.exclude(agent=None).values_list("agent_id", flat=True))
        same.update(agent=None, match_status=MatchStatus.MANUAL)
        _changed(participation, before)
    participation.agent = None
    participation.match_status = MatchStatus.MANUAL


def _changed(participation: Participation, agent_ids: set[int]) -> None:
    """Tell the apps above that these agents' participations in the campaign changed."""
    if agent_ids:
        participations_changed.send(
            sender=Participation, campaign_ids=[participation.campaign_id], agent_ids=agent_ids
        )


def _same_participant(participation):
    return Participation.objects.filter(
        campaign_id=participation.campaign_id, participant_key=participation.participant_key
    )


# Helpers.


class _Opened:
    """The stored file, opened for binary reading (the raw file object: the parser wraps
    it in a text reader)."""

    def __init__(self, result_import):
        self.result_import = result_import

    def __enter__(self):
        try:
            self.handle = self.result_import.file.storage.open(self.result_import.file.name, "rb")
        except (FileNotFoundError, OSError, ValueError) as error:
            raise ImportRefused(
                [
                    _error(
                        _("Le fichier de cet import n'est plus disponible : déposez-le à nouveau.")
                    )
                ]
            ) from error
        return getattr(self.handle, "file", self.handle)

    def __exit__(self, *exc):
        self.handle.close()


def _opened(result_import) -> _Opened:
    return _Opened(result_import)


def _open_export(raw) -> "pix_export.PixExport":
    try:
        return pix_export.open_export(
            raw, aliases=CompetenceAlias.objects.code_by_normalized_name(), max_bytes=_max_bytes()
        )
    except pix_export.ExportRefused as refused:
        raise ImportRefused([error.as_dict() for error in refused.errors]) from refused


def _error(message: str) -> dict:
    return {"line": None, "column": None, "message": message}


def _campaign_check(result_import: ResultImport) -> Callable[[Campaign], list[str]]:
    """The reasons the apps above give for this import not to touch `campaign`
    (signals.campaign_import_check)."""

    def check(campaign: Campaign) -> list[str]:
        responses = campaign_import_check.send(
            sender=ResultImport, result_import=result_import, campaign=campaign
        )
        return [str(message) for _receiver, messages in responses for message in messages or ()]

    return check


def import_refuse(*, result_import_id: int, messages: list[str]) -> ResultImport:
    """Refuse an import for the given reasons (an app above found it may not touch its
    campaign): nothing is written but the import's row. A DONE import is left as it is."""
    with transaction.atomic():
        result_import = ResultImport.objects.select_for_update().get(pk=result_import_id)
        if result_import.status == ImportStatus.DONE:
            return result_import
        return _refuse(result_import, [_error(message) for message in messages])


def _linked_to_programme(result_import) -> bool:
    return ResultImport.objects.filter(pk=result_import.pk, programme_link__isnull=False).exists()


def _fill(result_import: ResultImport, plan: ImportPlan) -> None:
    counts = plan.counts
    result_import.kind = plan.header.kind
    result_import.campaign = plan.campaign if plan.campaign is not None else result_import.campaign
    facts = plan.campaign_facts
    if facts is not None:
        code = f" ({facts.code})" if facts.code else ""
        result_import.campaign_label = f"{facts.name}{code} — n° {facts.pix_id}"
    for name in (
        "rows",
        "shared_rows",
        "participations_created",
        "participations_updated",
        "results_created",
        "matched",
        "to_confirm",
        "unmatched",
        "anonymised",
    ):
        setattr(result_import, name, getattr(counts, name))
    result_import.warnings = plan.warnings
    result_import.waiting_participants = waiting_names(plan)


def _refuse(result_import: ResultImport, errors: list[dict], plan: ImportPlan | None = None):
    """Nothing is written: only the import's row records why. The file leaves the disk (it
    holds personal data and will never be imported: a corrected file is uploaded anew); the
    row keeps its name, checksum and errors."""
    result_import.refresh_from_db()
    result_import.status = ImportStatus.REFUSED
    result_import.errors = errors
    if plan is not None:
        result_import.kind = plan.header.kind
    result_import.finished_at = timezone.now()
    stored = result_import.file.name
    result_import.file.name = ""
    result_import.save()
    if stored:
        storage = result_import.file.storage
        transaction.on_commit(lambda: storage.delete(stored))
    return result_import


def _fail(result_import: ResultImport, error: Exception) -> None:
    """Record the failure outside the rolled-back transaction, so that it is seen."""
    message = _("Erreur inattendue pendant l'import (%(error)s) : rien n'a été enregistré.") % {
        "error": type(error).__name__
    }
    ResultImport.objects.filter(pk=result_import.pk).update(
        status=ImportStatus.FAILED,
        errors=[_error(message)],
        finished_at=timezone.now(),
    )
    result_import.status = ImportStatus.FAILED
    result_import.errors = [_error(message)]


def _import_interrupted_message() -> str:
    return _(
        "L'import a été interrompu avant la fin (arrêt du serveur ou du traitement) : rien n'a "
        "été enregistré. Relancez-le."
    )


def _import_not_started_message() -> str:
    return _(
        "L'import n'a pas démarré : le service de traitement ne l'a pas pris en charge. Rien "
        "n'a été enregistré. Relancez-le."
    )


def _analysis_interrupted_message() -> str:
    return _(
        "L'analyse du fichier a été interrompue (arrêt du serveur ou du traitement) : rien n'a "
        "été enregistré. Déposez le fichier à nouveau."
    )


def _interrupted(result_import: ResultImport) -> None:
    """The process running the import died: its transaction was rolled back, so nothing is
    written; the import becomes FAILED, which a person can run again."""
    logger.warning("Import %s was interrupted (its process died): FAILED", result_import.pk)
    errors = [_error(_import_interrupted_message())]
    ResultImport.objects.filter(pk=result_import.pk, status=ImportStatus.IMPORTING).update(
        status=ImportStatus.FAILED, errors=errors, finished_at=timezone.now()
    )
    result_import.status = ImportStatus.FAILED
    result_import.errors = errors


def _mark_duplicate(result_import: ResultImport) -> bool:
    earlier = (
        ResultImport.objects.done()
        .filter(sha256=result_import.sha256)
        .exclude(pk=result_import.pk)
        .first()
    )
    if earlier is None:
        return False
    result_import.status = ImportStatus.DUPLICATE
    result_import.duplicate_of = earlier
    result_import.campaign = earlier.campaign
    result_import.finished_at = timezone.now()
    result_import.save(update_fields=["status", "duplicate_of", "campaign", "finished_at"])
    return True


@contextmanager
def _run_lock(pk: int) -> Iterator[None]:
    """Hold the import's run lock for the block, waiting for whoever holds it. A session
    lock: released at the end, or by PostgreSQL when the session dies with its process.
    Nothing to hold on SQLite: it lets one writer at a time, and a second run finds the
    first's import final once it may write (a stale read is refused, and the task retried)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [_RUN_LOCK_CLASS, pk])
    try:
        yield
    finally:
        _run_unlock(pk)


@contextmanager
def _run_lock_if_free(pk: int, *, stale_before: datetime.datetime) -> Iterator[bool]:
    """True, the lock held for the block, if nobody analyses or imports `pk` right now.
    Without advisory locks, an import started before `stale_before` is taken for dead."""
    if connection.vendor != "postgresql":
        yield (
            ResultImport.objects.filter(pk=pk)
            .filter(
                Q(started_at__lt=stale_before)
                | Q(status=ImportStatus.ANALYSING, uploaded_at__lt=stale_before)
            )
            .exists()
        )
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_RUN_LOCK_CLASS, pk])
        free = cursor.fetchone()[0]
    try:
        yield free
    finally:
        if free:
            _run_unlock(pk)


def _run_unlock(pk: int) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_RUN_LOCK_CLASS, pk])
    except DatabaseError:
        # The session is gone (the database restarted): its locks went with it.
        logger.warning("Run lock of import %s not released: its session is gone", pk)


def _lock_campaign(pix_id: int) -> None:
    """Two imports of one campaign must not interleave: the second waits for the first to
    commit, then sees what it wrote. SQLite serializes its writers anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_IMPORT_LOCK_CLASS, pix_id])


PROGRESS_CACHE_SECONDS = 6 * 3600


def _progress_key(result_import_id: int) -> str:
    return f"campaigns:import-progress:{result_import_id}"


def import_live_progress(result_import: ResultImport) -> ResultImport:
    """`result_import` with the progress its running import published outside the database
    (SQLite, see _ProgressReporter), if any; unchanged otherwise."""
    if result_import.status == ImportStatus.IMPORTING:
        published = cache.get(_progress_key(result_import.pk))
        if published is not None:
            result_import.progress_done, result_import.progress_total = published
    return result_import


class _ProgressReporter:
    """Progress of an import for the page that watches it. The import's own transaction
    hides its writes until the end, so on PostgreSQL a second connection publishes the
    progress; on SQLite, whose single writer is the import itself, the cache shared by the
    web process and the worker does (the embedded default's files, config/settings.py)."""

    def __init__(self, result_import_id: int):
        self.result_import_id = result_import_id
        self.total = 0
        self._connection = None
        self._postgresql = connection.vendor == "postgresql"
        self._enabled = not (self._postgresql and connection.in_atomic_block)

    @property
    def every(self) -> int:
        return max(5000, self.total // 10)

    def read(self, done: int) -> None:
        """`done` rows of the file read and written (one pass does both)."""
        self._publish(done)

    def _publish(self, done: int) -> None:
        if not self._enabled:
            return
        try:
            if self._postgresql:
                self._publish_in_database(done)
            else:
                cache.set(
                    _progress_key(self.result_import_id),
                    (done, self.total),
                    PROGRESS_CACHE_SECONDS,
                )
        except Exception:  # progress is a courtesy: never let it fail an import
            logger.warning("Progress of import %s not published", self.result_import_id)
            self._enabled = False

    def _publish_in_database(self, done: int) -> None:
        if self._connection is None:
            self._connection = connections.create_connection(DEFAULT_DB_ALIAS)
            self._connection.set_autocommit(True)
            with self._connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '200ms'")
        with self._connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {ResultImport._meta.db_table} "  # noqa: S608
                "SET progress_done = %s, progress_total = %s WHERE id = %s",
                [done, self.total, self.result_import_id],
            )

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if not self._postgresql:
            try:
                cache.delete(_progress_key(self.result_import_id))
            except Exception:
                logger.warning("Progress of import %s not cleared", self.result_import_id)
