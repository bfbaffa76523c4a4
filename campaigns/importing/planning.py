"""Planning an import: one pass over an export, shared by the preview and the import.

It validates every row, knows each row's participation (new, changed or unchanged) against
what the database holds for the campaign, matches the participants to agents and decides
what each row becomes (`ImportPlan.decide`, by the one rule of `rows.decide_row`), counting
it. The preview runs the pass and keeps the counts; the import runs the same pass and writes
each row as it is decided (`persistence.write_plan`), reading the file once, so the preview
and the import cannot disagree. A row is decided as soon as it is read, but for a row that
may continue an open participation (a profiles collection's participant seen "open" and
now sent): whether it does depends on the rest of the file, so it waits, in a temporary
file, for the end of the pass.
"""

import pickle
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns import pix_export
from campaigns.enums import MatchStatus
from campaigns.importing.campaign import (
    CampaignFacts,
    campaign_facts,
    find_campaign,
    first_row,
    latest_observation,
)
from campaigns.importing.keys import (
    OPEN_ROW_KEY,
    ROW_KEY_MAX,
    SHARED_PREFIX,
    ResultEncoder,
    participant_key,
    row_key,
)
from campaigns.importing.matching import (
    UNMATCHED,
    AgentDirectory,
    Match,
    label_asks_for_email,
    match_participant,
)
from campaigns.importing.rows import (
    COMPARED_FIELDS,
    PROGRESSION,
    Counts,
    Decision,
    Existing,
    RowFacts,
    RowOutline,
    compare,
    decide_row,
    row_is_anonymised,
    row_values,
)
from campaigns.models import Campaign, Competence, Participation
from lib import french

MAX_STORED_ERRORS = 500
MAX_NAMES_SHOWN = 20
# Rows waiting for the end of the pass stay in memory up to this size, then go to disk.
_DEFERRED_SPOOL_BYTES = 4 * 1024 * 1024


class ImportRefused(Exception):
    """The file, or one of its rows, cannot be imported: `errors` say why (nothing is
    written)."""

    def __init__(self, errors: list[dict]):
        self.errors = errors
        super().__init__(f"{len(errors)} error(s)")


@dataclass
class ImportPlan:
    """The outcome of the first pass; `errors` non-empty means the file is refused."""

    header: "pix_export.ExportHeader"
    campaign_facts: CampaignFacts | None = None
    campaign: Campaign | None = None
    counts: Counts = field(default_factory=Counts)
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0
    warnings: list[str] = field(default_factory=list)
    # Who the import could not match, or matched by name only: names for the preview.
    waiting: dict[str, list[str]] = field(
        default_factory=lambda: {"unmatched": [], "to_confirm": []}
    )
    existing: dict[tuple[str, str], Existing] = field(default_factory=dict)
    transitions: dict[tuple[str, str], Existing] = field(default_factory=dict)
    matches: dict[str, Match] = field(default_factory=dict)
    duplicate_keys: int = 0
    encoder: ResultEncoder | None = None
    # What the pass needs, set by start_plan.
    directory: AgentDirectory | None = None
    previous: dict[str, Match] = field(default_factory=dict)
    email_label: bool = False
    linked_to_programme: bool = True
    observed_at: datetime | None = None

    @property
    def profiles(self) -> bool:
        return self.header.kind == pix_export.KIND_PROFILES

    @property
    def refused(self) -> bool:
        return self.error_count > 0

    def stored_errors(self) -> list[dict]:
        """The errors to keep on the import: the first 500, then how many more."""
        errors = list(self.errors)
        more = self.error_count - len(errors)
        if more > 0:
            errors.append(
                {
                    "line": None,
                    "column": None,
                    "message": ngettext(
                        "… et %(count)s autre erreur", "… et %(count)s autres erreurs", more
                    )
                    % {"count": more},
                }
            )
        return errors

    def add_error(self, line: int | None, column: str | None, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append({"line": line, "column": column, "message": message})

    # The per-row rules, used by both passes.

    def facts(self, rows: Iterator) -> Iterator["RowFacts | pix_export.ExportError"]:
        """Each row of the export with its keys and values; errors passed through. Two
        rows of the file with the same keys (homonyms without external id who started at
        the same minute) are told apart by a suffix, the same one on every pass."""
        seen: set[tuple[str, str]] = set()
        profiles = self.profiles
        for row in rows:
            if isinstance(row, pix_export.ExportError):
                yield row
                continue
            key = participant_key(
                external_id=row.external_id, last_name=row.last_name, first_name=row.first_name
            )
            rkey = row_key(
                profiles=profiles,
                shared=row.shared,
                started_at=row.started_at,
                shared_at=row.shared_at,
            )
            if (key, rkey) in seen:
                number = 2
                while (key, f"{rkey}#{number}") in seen:
                    number += 1
                rkey = f"{rkey}#{number}"[-ROW_KEY_MAX:]
            seen.add((key, rkey))
            values = row_values(row, profiles, self.encoder)
            if not self.header.progression_column and not profiles:
                values = self._known_progression(values, (key, rkey))
            yield RowFacts(row, key, rkey, values)

    def _known_progression(self, values: tuple, key: tuple[str, str]) -> tuple:
        """An EXAM export without « % de progression » does not know the progression: the
        one an earlier export gave the participation stays (no change, no new state)."""
        existing = self.existing.get(key)
        if existing is None:
            return values
        return (*values[:PROGRESSION], existing.values[PROGRESSION], *values[PROGRESSION + 1 :])

    def outline(self, facts: RowFacts) -> RowOutline:
        key = (facts.participant_key, facts.row_key)
        continued = self.existing.get(key) or self.open_participation(key)
        row = facts.row
        return RowOutline(
            *key,
            compare(facts.values, continued),
            compare(facts.values, None),
            row.shared,
            row.shared_at,
            len(row.competences) if row.shared else 0,
            row_is_anonymised(row),
        )

    def open_participation(self, key: tuple[str, str]) -> Existing | None:
        """The open participation that a new row sent since may continue (`_transitions`
        tells whether it does)."""
        pkey, rkey = key
        if key in self.existing or not rkey.startswith(SHARED_PREFIX):
            return None
        return self.existing.get((pkey, OPEN_ROW_KEY))

    def decide(self, outline: RowOutline) -> Decision:
        """What a row becomes, once the whole file is read (its transitions and matches)."""
        existing = self.existing.get(outline.key) or self.transitions.get(outline.key)
        # Only the row's own participation or the open one it continues, both of which its
        # outline was compared with.
        change = outline.if_continued if existing is not None else outline.if_new
        match = self.matches.get(outline.participant_key, UNMATCHED)
        return decide_row(existing=existing, change=change, row_key=outline.row_key, match=match)


def load_existing(campaign: Campaign | None) -> dict[tuple[str, str], Existing]:
    """The campaign's participations, by their keys, in one query."""
    if campaign is None or campaign.pk is None:
        return {}
    existing = {}
    rows = (
        Participation.objects.filter(campaign=campaign)
        .order_by()
        .values_list(
            "id",
            "participant_key",
            "row_key",
            "agent_id",
            "match_status",
            "last_progress_at",
            *COMPARED_FIELDS,
        )
        .iterator(chunk_size=5000)
    )
    for pk, pkey, rkey, agent_id, match_status, last_progress_at, *values in rows:
        existing[(pkey, rkey)] = Existing(
            pk, pkey, rkey, agent_id, match_status, last_progress_at, tuple(values)
        )
    return existing


def previous_matches(existing: dict[tuple[str, str], Existing]) -> dict[str, Match]:
    """How earlier imports left each participant: a participation with an agent wins (a
    manual match first), then a manual decision without agent."""
    rank = {MatchStatus.MANUAL: 0}
    best: dict[str, tuple] = {}
    for participation in existing.values():
        score = (
            participation.agent_id is None,
            rank.get(participation.match_status, 1),
            -participation.id,
        )
        if participation.agent_id is None and participation.match_status != MatchStatus.MANUAL:
            continue
        current = best.get(participation.participant_key)
        if current is None or score < current[0]:
            best[participation.participant_key] = (
                score,
                Match(participation.agent_id, participation.match_status),
            )
    return {key: match for key, (_score, match) in best.items()}


def start_plan(
    export: "pix_export.PixExport",
    *,
    linked_to_programme: bool = True,
    observed_at: datetime | None = None,
    directory: AgentDirectory | None = None,
    campaign_check: Callable[[Campaign], list[str]] | None = None,
) -> ImportPlan:
    """What comes before the rows: the campaign found from the first row (or the reasons to
    refuse the file), its participations and the agents read, once each. Then
    `decided_rows` makes the pass. `campaign_check(campaign)`: reasons to refuse the file on
    account of its (existing) campaign, asked before anything of the campaign is read."""
    plan = ImportPlan(
        header=export.header, linked_to_programme=linked_to_programme, observed_at=observed_at
    )
    plan.encoder = ResultEncoder(dict(Competence.objects.values_list("code", "id")))
    first = first_row(export)
    if first is None:
        _refuse_empty(plan, export)
        return plan
    _find_campaign(plan, first, campaign_check)
    if plan.refused:
        return plan
    plan.existing = load_existing(plan.campaign)
    plan.previous = previous_matches(plan.existing)
    plan.directory = directory if directory is not None else AgentDirectory.load()
    plan.email_label = label_asks_for_email(plan.campaign_facts.external_id_label)
    return plan


def build_plan(
    export: "pix_export.PixExport",
    *,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 5000,
    linked_to_programme: bool = True,
    observed_at: datetime | None = None,
    directory: AgentDirectory | None = None,
    campaign_check: Callable[[Campaign], list[str]] | None = None,
) -> ImportPlan:
    """The preview: the pass of `decided_rows` (validate, key, compare, match, decide and
    count), writing nothing."""
    plan = start_plan(
        export,
        linked_to_programme=linked_to_programme,
        observed_at=observed_at,
        directory=directory,
        campaign_check=campaign_check,
    )
    if plan.refused:
        return plan
    for _decided in decided_rows(plan, export, progress=progress, progress_every=progress_every):
        pass
    if not plan.refused:
        finish_plan(plan)
    return plan


def decided_rows(
    plan: ImportPlan,
    export: "pix_export.PixExport",
    *,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 5000,
) -> Iterator[tuple[RowFacts, Decision]]:
    """The one pass over the rows of a plan `start_plan` made: each row with what it
    becomes, counted in `plan.counts`, its participant matched on first sight. Rows come
    as they are read, but for those that may continue an open participation, which wait
    for the end (see the module docstring). A wrong row refuses the file: from then on
    nothing more is yielded, the rest of the file is read for its errors
    (`plan.refused`). Then `finish_plan`."""
    # Participants with an open participation in the database: whether the file still
    # has an open row for them, and its rows that may continue that participation.
    still_open: set[str] = set()
    sendings: dict[str, list[tuple[datetime, str]]] = {}
    with _Deferred() as deferred:
        for number, item in enumerate(plan.facts(export.rows()), start=1):
            if progress is not None and number % progress_every == 0:
                progress(number)
            if isinstance(item, pix_export.ExportError):
                plan.add_error(item.line, item.column, item.message)
                continue
            if plan.refused:  # once the file is refused, only the errors matter
                continue
            outline = plan.outline(item)
            _match_first_sight(plan, item)
            pkey = outline.participant_key
            plan.duplicate_keys += "#" in outline.row_key
            if outline.row_key.startswith(OPEN_ROW_KEY):
                if (pkey, OPEN_ROW_KEY) in plan.existing:
                    still_open.add(pkey)
            elif plan.open_participation(outline.key) is not None:
                sendings.setdefault(pkey, []).append((outline.shared_at, outline.row_key))
                deferred.add(item, outline)
                continue
            decision = plan.decide(outline)
            plan.counts.add_row(outline, decision)
            yield item, decision
        if plan.refused:
            return
        plan.transitions = _transitions(plan, still_open, sendings)
        for item, outline in deferred:
            decision = plan.decide(outline)
            plan.counts.add_row(outline, decision)
            yield item, decision


def finish_plan(plan: ImportPlan) -> None:
    """Once `decided_rows` went through a file it did not refuse: the plan's warnings (not
    at the end of the pass itself: they ask the database, which a writer may still be
    writing to when the pass yields its last row)."""
    plan.warnings = _warnings(plan, plan.campaign, plan.linked_to_programme, plan.observed_at)


class _Deferred:
    """The rows that wait for the end of the pass, with their outlines: in memory while
    few, on disk beyond (every row of a file may wait, when a whole collection was sent
    since the last export)."""

    def __init__(self):
        self.count = 0
        self.file = None

    def __enter__(self):
        return self

    def add(self, facts: RowFacts, outline: RowOutline) -> None:
        if self.file is None:
            self.file = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - closed in __exit__
                max_size=_DEFERRED_SPOOL_BYTES
            )
        pickle.dump((facts, outline), self.file, protocol=pickle.HIGHEST_PROTOCOL)
        self.count += 1

    def __iter__(self) -> Iterator[tuple[RowFacts, RowOutline]]:
        if self.file is None:
            return
        self.file.seek(0)
        for _number in range(self.count):
            yield pickle.load(self.file)  # noqa: S301 - our own file, written just above

    def __exit__(self, *exc):
        if self.file is not None:
            self.file.close()


def _refuse_empty(plan: ImportPlan, export: "pix_export.PixExport") -> None:
    for row in export.rows():  # a file whose every row is broken says why
        if isinstance(row, pix_export.ExportError):
            plan.add_error(row.line, row.column, row.message)
    if not plan.refused:
        plan.add_error(None, None, _("Le fichier ne contient aucune participation."))


def _find_campaign(plan: ImportPlan, first: "pix_export.ExportRow", campaign_check=None) -> None:
    plan.campaign_facts = campaign_facts(plan.header, first)
    campaign, reasons = find_campaign(plan.campaign_facts)
    if campaign is not None and campaign.pk is not None and campaign_check is not None:
        reasons = [*reasons, *campaign_check(campaign)]
    for reason in reasons:
        plan.add_error(None, None, reason)
    if not plan.refused:
        plan.campaign = campaign


def _transitions(
    plan: ImportPlan, still_open: set[str], sendings: dict[str, list[tuple[datetime, str]]]
) -> dict[tuple[str, str], Existing]:
    """A profiles participation seen "open" and now sent, with no open row left for its
    participant, is the same participation: the earliest new sending continues it."""
    return {
        (pkey, min(candidates)[1]): plan.existing[(pkey, OPEN_ROW_KEY)]
        for pkey, candidates in sendings.items()
        if pkey not in still_open
    }


def _match_first_sight(plan: ImportPlan, facts: RowFacts) -> None:
    """The participant's agent, found as their first row names them (external id, last
    name, first name), and counted once a participant."""
    pkey = facts.participant_key
    if pkey in plan.matches:
        return
    row = facts.row
    match = match_participant(
        plan.directory,
        external_id=row.external_id,
        last_name=row.last_name,
        first_name=row.first_name,
        email_label=plan.email_label,
        previous=plan.previous.get(pkey),
    )
    plan.matches[pkey] = match
    plan.counts.add_participant(match)
    if match.agent_id is None:
        plan.waiting["unmatched"].append(_display_name(row.first_name, row.last_name))
    elif match.status == MatchStatus.TO_CONFIRM:
        plan.waiting["to_confirm"].append(_display_name(row.first_name, row.last_name))


def _display_name(first_name: str, last_name: str) -> str:
    return f"{first_name} {last_name}".strip()


def waiting_names(plan: ImportPlan, limit: int = MAX_NAMES_SHOWN) -> dict[str, dict]:
    """The first `limit` names (alphabetically) of the unmatched and of the participants to
    confirm, and how many more: what the preview names, bounded whatever the file's size."""
    return {
        kind: {"names": sorted(names, key=str.casefold)[:limit], "more": max(len(names) - limit, 0)}
        for kind, names in plan.waiting.items()
    }


def _warnings(
    plan: ImportPlan,
    campaign: Campaign | None,
    linked_to_programme: bool,
    observed_at: datetime | None,
) -> list:
    counts = plan.counts
    warnings = []
    participants = counts.matched + counts.to_confirm + counts.unmatched
    recognised = counts.matched + counts.to_confirm
    if participants and recognised * 2 < participants:
        warnings.append(
            ngettext(
                "%(recognised)s participant sur %(total)s reconnu : vérifiez que la liste RH "
                "est importée",
                "%(recognised)s participants sur %(total)s reconnus : vérifiez que la liste RH "
                "est importée",
                # French: 0 takes the singular, as 1 (the catalogue's rule is n > 1).
                max(recognised, 1),
            )
            % {
                "recognised": french.number(recognised),
                "total": french.number(participants),
            }
        )
    if counts.to_confirm:
        warnings.append(
            ngettext(
                "%(count)s participant rapproché par le nom : à confirmer",
                "%(count)s participants rapprochés par le nom : à confirmer",
                counts.to_confirm,
            )
            % {"count": counts.to_confirm}
        )
    if counts.unmatched:
        warnings.append(
            ngettext(
                "%(count)s participant non rapproché d'un agent : il attend d'être "
                "rapproché à la main, avec ses résultats",
                "%(count)s participants non rapprochés d'un agent : ils attendent d'être "
                "rapprochés à la main, avec leurs résultats",
                counts.unmatched,
            )
            % {"count": counts.unmatched}
        )
    if counts.anonymised:
        warnings.append(
            ngettext(
                "%(count)s ligne d'un apprenant anonymisé par Pix (« Anonymized ») : elle "
                "est gardée, sans jamais être rapprochée d'un agent",
                "%(count)s lignes d'apprenants anonymisés par Pix (« Anonymized ») : elles "
                "sont gardées, sans jamais être rapprochées d'un agent",
                counts.anonymised,
            )
            % {"count": counts.anonymised}
        )
    if plan.duplicate_keys:
        warnings.append(
            ngettext(
                "%(count)s ligne répète le participant et la date d'une autre ligne : "
                "elle est gardée comme une participation distincte",
                "%(count)s lignes répètent le participant et la date d'une autre ligne : "
                "elles sont gardées comme des participations distinctes",
                plan.duplicate_keys,
            )
            % {"count": plan.duplicate_keys}
        )
    if not linked_to_programme and (campaign is None or not campaign.programmes.exists()):
        warnings.append(_("Cette campagne n'est rattachée à aucun programme"))
    latest = latest_observation(campaign)
    if observed_at is not None and latest is not None and observed_at < latest:
        warnings.append(
            _(
                "Cet export est plus ancien que le dernier import de cette campagne "
                "(%(date)s) : l'historique garde les deux, mais l'état actuel des "
                "participations prendra les valeurs de cet export."
            )
            % {"date": french.date_time(latest)}
        )
    return warnings
