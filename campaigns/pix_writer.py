"""Write Pix Orga result exports exactly as Pix writes them (see shared pix/REFERENCE.md).

Used by the tests, the import benchmark and the demo data: the importer is fed files made
to Pix's rules rather than hand-written CSV. Pure Python, free of the ORM and of settings.

Pix's cell rules: UTF-8 with a BOM, `;` between cells, `\\n` after each line; text in double
quotes with inner quotes doubled, except strings made only of digits and `-` (written bare);
numbers bare with a decimal comma; a text starting with `=`, `+`, `-` or `@` gets a leading
`'` inside its quotes; booleans `"Oui"` / `"Non"`; unshared values `"NA"`.
"""

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import BinaryIO
from zoneinfo import ZoneInfo

from campaigns.referential import COMPETENCES, DOMAINS

KIND_ASSESSMENT = "assessment"
KIND_PROFILES = "profiles_collection"

PARIS = ZoneInfo("Europe/Paris")
ALL_COMPETENCE_CODES = tuple(code for code, *_ in COMPETENCES)
COMPETENCE_NAMES = {code: name for code, name, *_ in COMPETENCES}
DOMAIN_NAMES = {code: name for code, name, _ in DOMAINS}
NA = object()  # a cell Pix writes as "NA"

_BARE = re.compile(r"[0-9-]+")
_GUARDED = ("=", "+", "-", "@")


@dataclass(frozen=True)
class PixCampaign:
    """What an export's header and fixed columns say about its campaign."""

    pix_id: int
    name: str
    kind: str = KIND_PROFILES
    code: str | None = None
    organisation_name: str = "Organisation exemple"
    target_profile: str | None = None  # the "Parcours" of an assessment
    external_id_label: str | None = None
    organisation_columns: tuple[str, ...] = ()
    stage_count: int | None = None  # N in "Palier obtenu (/N)": the highest stage
    badge_names: tuple[str, ...] = ()
    competence_codes: tuple[str, ...] = ALL_COMPETENCE_CODES
    skill_names: tuple[str, ...] = ()
    older_format: bool = False  # no "Code", "Nom du Profil Cible", bare dates
    # False: an EXAM campaign exported between March 2025 and February 2026, when Pix left
    # out the « % de progression » column of EXAM exports.
    progression_column: bool = True


@dataclass(frozen=True)
class PixResult:
    """One competence of a shared participation: level and pix (profiles collection), or a
    mastery rate and skill counts (assessment)."""

    code: str
    level: int | None = None
    pix: int | None = None
    skills_total: int | None = None
    skills_validated: int | None = None
    mastery_rate: Decimal | None = None  # computed from the skill counts when left out


@dataclass(frozen=True)
class PixParticipant:
    """One row of an export: one participation of one person."""

    last_name: str
    first_name: str
    external_id: str | None = None
    organisation_values: Mapping[str, str] = field(default_factory=dict)
    shared: bool = False
    started_at: datetime | None = None  # assessments
    shared_at: datetime | None = None
    progression: Decimal | None = None  # assessments, 0..1
    stage: int | None = None
    badges: tuple[str, ...] = ()  # names of the badges obtained
    mastery_rate: Decimal | None = None  # whole profile; computed when left out
    results: tuple[PixResult, ...] = ()  # shared rows only
    skills: Mapping[str, str] = field(default_factory=dict)  # skill name -> OK/KO/Non testé
    total_pix: int | None = None  # computed when left out
    certifiable: bool | None = None  # computed when left out


def rate(validated: int, total: int) -> Decimal:
    """A mastery rate as Pix writes it: a fraction with two decimals (`0,89`, `1,0`)."""
    if not total:
        return Decimal("0.0")
    value = (Decimal(validated) / Decimal(total)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return value.normalize() if value not in (0, 1) else Decimal(f"{int(value)}.0")


def cell(value) -> str:
    """One cell, by Pix's rules."""
    if value is NA:
        return '"NA"'
    if value is None:
        return '""'
    if isinstance(value, bool):
        return '"Oui"' if value else '"Non"'
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal | float):
        return str(value).replace(".", ",")
    text = str(value)
    if _BARE.fullmatch(text):
        return text
    if text.startswith(_GUARDED):
        text = "'" + text
    return '"' + text.replace('"', '""') + '"'


def header_columns(campaign: PixCampaign) -> list[str]:
    """The header of the export, in Pix's column order."""
    older = campaign.older_format
    columns = ["Nom de l'organisation", "ID Campagne"]
    if not older:
        columns.append("Code")
    columns.append("Nom de la campagne")
    if campaign.kind == KIND_ASSESSMENT:
        columns.append("Nom du Profil Cible" if older else "Parcours")
    columns += ["Nom du Participant", "Prénom du Participant", *campaign.organisation_columns]
    if campaign.external_id_label:
        columns.append(campaign.external_id_label)
    if campaign.kind == KIND_PROFILES:
        columns += [
            "Envoi (O/N)",
            "Date de l'envoi" if older else "Date et heure de l'envoi (Europe/Paris)",
            "Nombre de pix total",
            "Certifiable (O/N)",
            "Nombre de compétences certifiables",
        ]
        for code in campaign.competence_codes:
            name = COMPETENCE_NAMES[code]
            columns += [
                f"Niveau pour la compétence {name}",
                f"Nombre de pix pour la compétence {name}",
            ]
        return columns
    if campaign.progression_column:
        columns.append("% de progression")
    columns += [
        "Date de début" if older else "Date et heure de début (Europe/Paris)",
        "Partage (O/N)",
        "Date du partage" if older else "Date et heure du partage (Europe/Paris)",
    ]
    if campaign.stage_count is not None:
        columns.append(f"Palier obtenu (/{campaign.stage_count})")
    columns += [f"{badge} obtenu (O/N)" for badge in campaign.badge_names]
    columns.append("% maitrise de l'ensemble des acquis du profil")
    for code in campaign.competence_codes:
        name = COMPETENCE_NAMES[code]
        columns += [
            f"% de maitrise des acquis de la compétence {name}",
            f"Nombre d'acquis du profil cible dans la compétence {name}",
            f"Acquis maitrisés dans la compétence {name}",
        ]
    for domain in _domains(campaign):
        title = DOMAIN_NAMES[domain]
        columns += [
            f"% de maitrise des acquis du domaine {title}",
            f"Nombre d'acquis du profil cible du domaine {title}",
            f"Acquis maitrisés du domaine {title}",
        ]
    columns += list(campaign.skill_names)
    return columns


def row_cells(campaign: PixCampaign, participant: PixParticipant) -> list:
    """The values of one row, before cell formatting (NA for what an unshared row hides)."""
    older = campaign.older_format
    values: list = [campaign.organisation_name, campaign.pix_id]
    if not older:
        values.append(campaign.code)
    values.append(campaign.name)
    if campaign.kind == KIND_ASSESSMENT:
        values.append(campaign.target_profile)
    values += [participant.last_name, participant.first_name]
    values += [
        participant.organisation_values.get(name, "") for name in campaign.organisation_columns
    ]
    if campaign.external_id_label:
        values.append(participant.external_id)
    shared = participant.shared
    results = {result.code: result for result in participant.results}
    if campaign.kind == KIND_PROFILES:
        values += [shared, _date(participant.shared_at, older) if shared else NA]
        if not shared:
            return values + [NA] * (3 + 2 * len(campaign.competence_codes))
        levels = [results[code].level or 0 for code in campaign.competence_codes]
        total = participant.total_pix
        if total is None:
            total = sum(results[code].pix or 0 for code in campaign.competence_codes)
        certifiable_count = sum(1 for level in levels if level >= 1)
        certifiable = participant.certifiable
        if certifiable is None:
            certifiable = certifiable_count >= 5
        values += [total, certifiable, certifiable_count]
        for code in campaign.competence_codes:
            values += [results[code].level, results[code].pix]
        return values
    if campaign.progression_column:
        values.append(participant.progression)
    values += [
        _date(participant.started_at, older),
        shared,
        _date(participant.shared_at, older) if shared else NA,
    ]
    if campaign.stage_count is not None:
        values.append(participant.stage if shared else NA)
    values += [(badge in participant.badges) if shared else NA for badge in campaign.badge_names]
    if not shared:
        count = 1 + 3 * len(campaign.competence_codes) + 3 * len(_domains(campaign))
        values += [NA] * (count + len(campaign.skill_names))
        return values
    all_total = sum(results[code].skills_total or 0 for code in campaign.competence_codes)
    all_validated = sum(results[code].skills_validated or 0 for code in campaign.competence_codes)
    mastery = participant.mastery_rate
    values.append(mastery if mastery is not None else rate(all_validated, all_total))
    for code in campaign.competence_codes:
        result = results[code]
        result_rate = result.mastery_rate
        if result_rate is None:
            result_rate = rate(result.skills_validated or 0, result.skills_total or 0)
        values += [result_rate, result.skills_total, result.skills_validated]
    for domain in _domains(campaign):
        codes = [code for code in campaign.competence_codes if code.split(".")[0] == domain]
        total = sum(results[code].skills_total or 0 for code in codes)
        validated = sum(results[code].skills_validated or 0 for code in codes)
        values += [rate(validated, total), total, validated]
    values += [participant.skills.get(name, "Non testé") for name in campaign.skill_names]
    return values


def in_pix_order(participants: Iterable[PixParticipant]) -> list[PixParticipant]:
    """Rows in the order Pix exports them: by last name, first name, then start date
    newest first (a person's latest participation comes first, not last)."""
    rows = sorted(
        participants,
        key=lambda row: row.started_at.timestamp() if row.started_at else float("-inf"),
        reverse=True,
    )
    return sorted(rows, key=lambda row: (row.last_name.casefold(), row.first_name.casefold()))


def write_export(
    out: BinaryIO, campaign: PixCampaign, participants: Iterable[PixParticipant]
) -> int:
    """Stream an export into `out` (binary), row by row; returns the number of rows."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=False)
    text.write(";".join(cell(column) for column in header_columns(campaign)) + "\n")
    count = 0
    for participant in participants:
        text.write(";".join(cell(value) for value in row_cells(campaign, participant)) + "\n")
        count += 1
    text.flush()
    text.detach()
    return count


def export_bytes(campaign: PixCampaign, participants: Iterable[PixParticipant]) -> bytes:
    """The whole export as bytes (small files: tests, demo)."""
    buffer = io.BytesIO()
    write_export(buffer, campaign, participants)
    return buffer.getvalue()


# Other Pix files people upload by mistake instead of a campaign's results.


def certification_results_columns(*, since_march_2026: bool = True) -> list[str]:
    """The header of Pix's certification results CSV. Since PR #15567 (2026-03-20)
    « Nombre de Pix » is « Résultat » and « Type de certification » was added."""
    columns = [
        "Numéro de certification",
        "Prénom",
        "Nom",
        "Date de naissance",
        "Lieu de naissance",
        "Identifiant Externe",
        "Statut",
    ]
    columns += ["Type de certification", "Résultat"] if since_march_2026 else ["Nombre de Pix"]
    columns += [*ALL_COMPETENCE_CODES, "Commentaire jury pour l’organisation", "Session"]
    columns.append("Date de passage de la certification")
    return columns


def participants_list_columns() -> list[str]:
    """The header of a Pix Orga participants list (the « Participants » page)."""
    return [
        "Nom du Participant",
        "Prénom du Participant",
        "Nombre de participations",
        "Dernière participation",
        "Certificabilité",
    ]


def table_bytes(columns: list[str], rows: Iterable[Mapping[str, object]]) -> bytes:
    """Any Pix CSV by Pix's cell rules: the header, then each row's values by column."""
    lines = [";".join(cell(column) for column in columns)]
    lines += [";".join(cell(row.get(column, "")) for column in columns) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def export_filename(campaign: PixCampaign, exported_at: datetime) -> str:
    """`Resultats-{campaign name}-{campaign id}-{YYYY-MM-DD-HHmm}.csv`, time in Paris."""
    local = exported_at.astimezone(PARIS)
    return f"Resultats-{campaign.name}-{campaign.pix_id}-{local:%Y-%m-%d-%H%M}.csv"


def resave_like_spreadsheet(data: bytes, *, encoding: str = "cp1252") -> bytes:
    """What a spreadsheet makes of an export opened and saved again as CSV: no BOM, CRLF
    line ends, quotes dropped (cells holding `;` or quotes keep theirs), Windows-1252."""
    text = data.decode("utf-8-sig")
    lines = []
    for line in text.split("\n"):
        if not line:
            continue
        cells = []
        for value in _split_cells(line):
            if ";" in value or '"' in value:
                cells.append('"' + value.replace('"', '""') + '"')
            else:
                cells.append(value)
        lines.append(";".join(cells))
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def _split_cells(line: str) -> list[str]:
    return next(csv.reader([line], delimiter=";"))


def _date(value: datetime | date | None, older: bool):
    if value is None:
        return NA
    if older:
        if isinstance(value, datetime):
            value = value.astimezone(PARIS).date()
        return value.isoformat()
    if not isinstance(value, datetime):
        return value.strftime("%d/%m/%Y 00:00")
    return value.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")


def _domains(campaign: PixCampaign) -> list[str]:
    seen: list[str] = []
    for code in campaign.competence_codes:
        domain = code.split(".")[0]
        if domain not in seen:
            seen.append(domain)
    return seen
