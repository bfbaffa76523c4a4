"""What one row of a Pix export becomes, the single rule shared by the preview and the
import: its values in the database's order, how they compare with the participation it may
continue, the decision (create, update, nothing new) and how it counts."""

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from campaigns import pix_export
from campaigns.enums import MatchStatus, ParticipationStatus
from campaigns.importing.keys import ResultEncoder, quantize_rate, utc
from campaigns.importing.matching import Match, is_anonymised

# The values of a participation an export gives, in this order (the database's too).
COMPARED_FIELDS = (
    "participant_last_name",
    "participant_first_name",
    "participant_external_id",
    "status",
    "progression",
    "started_at",
    "shared_at",
    "stage",
    "badges",
    "mastery_rate",
    "total_pix",
    "certifiable",
    "organisation_values",
    "results_digest",
)
STATUS, PROGRESSION, STARTED_AT, SHARED_AT, STAGE, DIGEST = (
    COMPARED_FIELDS.index(name)
    for name in ("status", "progression", "started_at", "shared_at", "stage", "results_digest")
)
# A change of these is a new state of the participation: a snapshot records it.
SNAPSHOT_FIELDS = (STATUS, PROGRESSION, STAGE, SHARED_AT)

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"


@dataclass(slots=True, eq=False)
class Existing:
    """A participation of the campaign already in the database."""

    id: int
    participant_key: str
    row_key: str
    agent_id: int | None
    match_status: str
    last_progress_at: datetime
    values: tuple


class Decision(NamedTuple):
    action: str  # CREATE, UPDATE or UNCHANGED
    existing: Existing | None
    match: Match
    snapshot: bool  # a new state to record
    results: bool  # the shared results to record
    progressed: bool  # progression, stage, status, sharing or results changed


class Change(NamedTuple):
    """What a row's values change in a participation."""

    content: bool  # any of them
    state: bool  # its state: a snapshot to record
    results: bool  # its shared results: results to record


# Every value of a new participation is new: these two serve all the new rows the first
# pass keeps.
_NEW = Change(content=True, state=True, results=False)
_NEW_WITH_RESULTS = Change(content=True, state=True, results=True)


class RowFacts(NamedTuple):
    """What the plan makes of one export row."""

    row: "pix_export.ExportRow"
    participant_key: str
    row_key: str
    values: tuple


class RowOutline(NamedTuple):
    """What deciding and counting a row need once the whole file is read: the first pass
    keeps these few scalars a row, never the row's results. Which participation a row
    continues may depend on rows further on (an open participation sent since), so it is
    compared both with the one it may continue and with none."""

    participant_key: str
    row_key: str
    if_continued: Change
    if_new: Change
    shared: bool
    shared_at: datetime | None
    result_count: int
    anonymised: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.participant_key, self.row_key)


@dataclass
class Counts:
    rows: int = 0
    shared_rows: int = 0
    participations_created: int = 0
    participations_updated: int = 0
    results_created: int = 0
    snapshots_created: int = 0
    matched: int = 0
    to_confirm: int = 0
    unmatched: int = 0
    anonymised: int = 0  # rows of learners Pix anonymised, neither matched nor waiting

    def add_row(self, outline: RowOutline, decision: Decision) -> None:
        """Count a row by what the import writes for it."""
        self.rows += 1
        self.shared_rows += outline.shared
        self.participations_created += decision.action == CREATE
        self.participations_updated += decision.action == UPDATE
        self.snapshots_created += decision.snapshot
        self.results_created += outline.result_count if decision.results else 0
        self.anonymised += outline.anonymised

    def add_participant(self, match: Match) -> None:
        if match.status == MatchStatus.ANONYMISED:
            return  # counted by their rows (all share one name)
        if match.agent_id is None:
            self.unmatched += 1
        elif match.status == MatchStatus.TO_CONFIRM:
            self.to_confirm += 1
        else:
            self.matched += 1


def decide_row(
    *, existing: Existing | None, change: Change, row_key: str, match: Match
) -> Decision:
    """What a row becomes: a new participation, an update of the one it continues (when its
    values, its keys or its agent change), or nothing new. The import writes by this rule
    and its preview counts by it."""
    if existing is None:
        action = CREATE
    elif change.content or _moved(existing, row_key, match):
        action = UPDATE
    else:
        action = UNCHANGED
    progressed = change.state or change.results
    return Decision(action, existing, match, change.state, change.results, progressed)


def compare(values: tuple, existing: Existing | None) -> Change:
    """What a row's values change in `existing`, or in a new participation (None)."""
    results = bool(values[DIGEST])
    if existing is None:
        return _NEW_WITH_RESULTS if results else _NEW
    old = existing.values
    return Change(
        values != old,
        any(values[index] != old[index] for index in SNAPSHOT_FIELDS),
        results and values[DIGEST] != old[DIGEST],
    )


def _moved(existing: Existing, new_row_key: str, match: Match) -> bool:
    return (
        existing.row_key != new_row_key
        or existing.agent_id != match.agent_id
        or existing.match_status != match.status
    )


def row_is_anonymised(row: "pix_export.ExportRow") -> bool:
    return is_anonymised(row.last_name, row.first_name)


def row_values(row: "pix_export.ExportRow", profiles: bool, encoder: ResultEncoder) -> tuple:
    """The participation's values from an export row, in COMPARED_FIELDS order."""
    shared = row.shared
    return (
        row.last_name[:255],
        row.first_name[:255],
        (row.external_id or "").strip()[:255],
        ParticipationStatus.SHARED if shared else ParticipationStatus.STARTED,
        quantize_rate(row.progression),
        utc(row.started_at),
        utc(row.shared_at) if shared else None,
        row.stage if shared else None,
        list(row.badges) if shared else [],
        quantize_rate(row.mastery_rate) if shared else None,
        row.total_pix if shared else None,
        row.certifiable if shared else None,
        dict(row.organisation_values),
        encoder.digest(row.competences) if shared else "",
    )
