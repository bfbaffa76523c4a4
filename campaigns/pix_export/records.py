"""What the parser hands over: the header of an export, its rows, and its errors."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

KIND_ASSESSMENT = "assessment"  # an assessment (évaluation) or an EXAM campaign
KIND_PROFILES = "profiles_collection"


@dataclass(frozen=True)
class ExportError:
    """A problem in the file, in French. `line` is the physical line of the file (the header
    is line 1), None for the file as a whole; `column` is the column header as written in
    the file, or None. `message` has no « Ligne N, colonne X : » prefix: `str()` adds it."""

    line: int | None
    column: str | None
    message: str

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "message": self.message}

    def __str__(self) -> str:
        if self.line is not None and self.column is not None:
            return f"Ligne {self.line}, colonne « {self.column} » : {self.message}"
        if self.line is not None:
            return f"Ligne {self.line} : {self.message}"
        if self.column is not None:
            return f"Colonne « {self.column} » : {self.message}"
        return self.message


class ExportRefused(Exception):
    """The file as a whole cannot be imported (empty, binary, not a Pix results export…)."""

    def __init__(self, errors: "list[ExportError] | ExportError | str"):
        if isinstance(errors, str):
            errors = [ExportError(None, None, errors)]
        elif isinstance(errors, ExportError):
            errors = [errors]
        self.errors: list[ExportError] = list(errors)
        super().__init__(" ".join(str(error) for error in self.errors))


@dataclass(frozen=True)
class ExportHeader:
    """What the header row says about the export. `columns` are the header cells as written
    (surrounding spaces and the BOM removed, trailing empty cells dropped)."""

    kind: str  # KIND_ASSESSMENT | KIND_PROFILES
    encoding: str  # "utf-8" | "cp1252"
    delimiter: str  # ";" or "," (re-saved files)
    columns: tuple[str, ...]
    older_format: bool  # no "Code", "Nom du Profil Cible", bare dates
    external_id_label: str | None
    organisation_columns: tuple[str, ...]
    stage_count: int | None  # N in "Palier obtenu (/N)"
    badge_names: tuple[str, ...]
    competence_codes: tuple[str, ...]  # codes "1.1"… in the file's column order
    skill_columns: tuple[str, ...]  # header cells as written ("'@web1")
    # Time zone the dates are written in, read from "(Europe/Paris)" in the date headers.
    timezone: str = "Europe/Paris"
    # Whether the export has a « % de progression » column: not a profiles collection, nor
    # an EXAM export Pix made between March 2025 and February 2026 (progression unknown:
    # None, not 0).
    progression_column: bool = True


@dataclass(frozen=True)
class CompetenceValue:
    code: str
    level: int | None = None  # profiles collection
    pix: int | None = None
    mastery_rate: Decimal | None = None  # assessment, 0..1
    skills_total: int | None = None
    skills_validated: int | None = None


@dataclass(frozen=True)
class ExportRow:
    """One participation (one row; with « envoi multiple » a person may have several)."""

    line: int
    organisation_name: str
    campaign_pix_id: int
    campaign_code: str | None
    campaign_name: str
    target_profile: str | None  # "Parcours" / "Nom du Profil Cible"; None for profiles
    last_name: str  # the ' guard before = + - @ stripped
    first_name: str
    external_id: str | None
    organisation_values: dict[str, str]
    shared: bool
    started_at: datetime | None  # aware; assessments only
    shared_at: datetime | None  # aware
    progression: Decimal | None  # 0..1; assessments with the column only, else None
    stage: int | None
    badges: tuple[str, ...]  # names of badges obtained
    mastery_rate: Decimal | None  # whole profile, assessments
    total_pix: int | None  # profiles collection
    certifiable: bool | None
    certifiable_competences: int | None
    competences: tuple[CompetenceValue, ...]  # empty unless shared
