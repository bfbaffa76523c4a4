"""Reading the header row: which kind of export, which era, where each value sits.

Pix writes its columns in a fixed order (see REFERENCE.md); the header is checked in that
order so that a file of another kind is refused with the column that does not fit.
Headers are compared folded (case, accents, both apostrophes, spaces), so that `% maitrise`
and `% maîtrise`, or a re-saved `Prenom du participant`, still match.

An assessment export is known by « Partage (O/N) » with « % de progression » or, in the
EXAM exports Pix made without that column (March 2025 to February 2026), with the result
columns only assessments have (« Palier obtenu », the « % de maitrise » columns); its
optional columns then end before « Date et heure de début ». Optional columns between
« Prénom du Participant » and the first of « % de progression » (or the start date) /
« Envoi (O/N) » are the organisation columns (learner-import columns) and the external id,
which Pix puts last and heads with whatever label the campaign creator typed: the last of
these columns is read as the external id, unless its header is one of the organisation
column names Pix uses (`ORGANISATION_COLUMN_NAMES`). A campaign whose external id label is
itself « Classe », « Groupe » or « Numéro Étudiant » is therefore read as having no
external id.
"""

import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from campaigns.pix_export.cells import PARIS, text
from campaigns.pix_export.records import KIND_ASSESSMENT, KIND_PROFILES, ExportHeader, ExportRefused
from campaigns.referential import COMPETENCES, normalize_name

ORGANISATION_COLUMN_NAMES = ("Classe", "Groupe", "Numéro Étudiant")

# Folded headers (normalize_name), in Pix's French wording.
ORGANISATION = "nom de l'organisation"
CAMPAIGN_ID = "id campagne"
CODE = "code"
CAMPAIGN_NAME = "nom de la campagne"
PARCOURS = "parcours"
TARGET_PROFILE_OLD = "nom du profil cible"
LAST_NAME = "nom du participant"
FIRST_NAME = "prenom du participant"
PROGRESSION = "% de progression"
SHARED = "partage (o/n)"
MASTERY = "% maitrise de l'ensemble des acquis du profil"
SENT = "envoi (o/n)"
TOTAL_PIX = "nombre de pix total"
CERTIFIABLE = "certifiable (o/n)"
CERTIFIABLE_COUNT = "nombre de competences certifiables"
STAGE_PREFIX = "palier obtenu (/"
BADGE_SUFFIX = " obtenu (o/n)"
COMPETENCE_TRIPLET = (
    "% de maitrise des acquis de la competence ",
    "nombre d'acquis du profil cible dans la competence ",
    "acquis maitrises dans la competence ",
)
DOMAIN_TRIPLET = (
    "% de maitrise des acquis du domaine ",
    "nombre d'acquis du profil cible du domaine ",
    "acquis maitrises du domaine ",
)
PROFILE_PAIR = ("niveau pour la competence ", "nombre de pix pour la competence ")
# (newest spelling, followed by "(time zone)"; older spelling, bare dates)
STARTED_AT = ("date et heure de debut", "date de debut")
SHARED_AT = ("date et heure du partage", "date du partage")
SENT_AT = ("date et heure de l'envoi", "date de l'envoi")

_ORGANISATION_KEYS = frozenset(normalize_name(name) for name in ORGANISATION_COLUMN_NAMES)
_COMPETENCE_NAMES = {code: name for code, name, _record, _former in COMPETENCES}
_NAME_AFTER = re.compile(r"(?:comp[ée]tence|domaine)\s+(.*)$", re.IGNORECASE | re.DOTALL)
_BADGE_END = re.compile(r"\s+obtenu\s*\(O/N\)\s*$", re.IGNORECASE)
DOWNLOAD_RESULTS = (
    "Téléchargez les résultats depuis l'onglet « Résultats » de la campagne dans Pix Orga."
)
CERTIFICATION_RESULTS = (
    "Ce fichier est un export des résultats de certification Pix, pas un export de résultats "
    "de campagne Pix Orga : les certifications ne s'importent pas ici. " + DOWNLOAD_RESULTS
)
PARTICIPANTS_LIST = (
    "Ce fichier est une liste de participants de Pix Orga, pas un export de résultats de "
    "campagne : il ne contient aucun résultat. " + DOWNLOAD_RESULTS
)
# Headers only other Pix files have (folded).
CERTIFICATION_NUMBER = "numero de certification"
PARTICIPANTS_LIST_KEYS = frozenset(
    {"nombre de participations", "derniere participation", "certificabilite"}
)
NOT_PIX_EXPORT = (
    "Ce fichier n'est pas un export de résultats de campagne Pix Orga : son en-tête n'a ni "
    "« % de progression » et « Partage (O/N) » (campagne d'évaluation) ni « Envoi (O/N) » "
    "(collecte de profils). Téléchargez les résultats depuis l'onglet « Résultats » de la "
    "campagne dans Pix Orga."
)


@dataclass
class Layout:
    """Where each value sits in a row (column indexes), worked out once from the header."""

    width: int
    organisation_name: int
    campaign_id: int
    code: int | None
    campaign_name: int
    target_profile: int | None
    last_name: int
    first_name: int
    organisation: tuple[tuple[int, str], ...]
    external_id: int | None
    shared: int
    shared_at: int
    shared_zone: ZoneInfo = PARIS
    started_zone: ZoneInfo = PARIS
    # assessments
    progression: int | None = None
    started_at: int | None = None
    stage: int | None = None
    stage_count: int | None = None
    badges: tuple[tuple[int, str], ...] = ()
    mastery: int | None = None
    # (code, rate, skills total, skills validated) or (code, level, pix)
    competences: tuple[tuple, ...] = field(default=())
    # profiles collections
    total_pix: int | None = None
    certifiable: int | None = None
    certifiable_count: int | None = None


def default_aliases() -> dict[str, str]:
    """Folded competence name -> code, current and former names (campaigns.referential)."""
    aliases = {}
    for code, name, _record, former_names in COMPETENCES:
        for alias in (name, *former_names):
            aliases[normalize_name(alias)] = code
    return aliases


def _other_pix_file(keys) -> str | None:
    """Why a Pix file that is not a campaign's results was refused, when it is one."""
    if CERTIFICATION_NUMBER in keys:
        return CERTIFICATION_RESULTS
    names = LAST_NAME in keys and FIRST_NAME in keys
    if names and CAMPAIGN_ID not in keys and PARTICIPANTS_LIST_KEYS.intersection(keys):
        return PARTICIPANTS_LIST
    return None


def _assessment_results(keys) -> bool:
    """Whether the header has the result columns only an assessment export has: a stage,
    the whole-profile mastery rate or a competence's mastery rate."""
    return any(
        key == MASTERY or key.startswith((STAGE_PREFIX, COMPETENCE_TRIPLET[0])) for key in keys
    )


def header_key(cell: str) -> str:
    return normalize_name(text(cell))


class _Cursor:
    """Walks the header from left to right, refusing the file at the first column that
    is not where Pix puts it."""

    def __init__(self, columns, keys):
        self.columns, self.keys, self.position = columns, keys, 0

    @property
    def key(self) -> str | None:
        return self.keys[self.position] if self.position < len(self.keys) else None

    @property
    def cell(self) -> str:
        return self.columns[self.position]

    def take(self) -> int:
        self.position += 1
        return self.position - 1

    def optional(self, *keys) -> int | None:
        return self.take() if self.key in keys else None

    def expect(self, label, *keys) -> int:
        if self.key in keys:
            return self.take()
        raise self.refusal(label)

    def refusal(self, label: str, reason: str | None = None) -> ExportRefused:
        where = self.position + 1
        if reason is None:
            if self.key is None:
                reason = f"la colonne « {label} » manque à la fin de l'en-tête."
            else:
                reason = (
                    f"colonne « {label} » attendue en position {where}, « {self.cell} » trouvée."
                )
        return ExportRefused(
            f"L'en-tête ne correspond pas à un export de résultats Pix Orga : {reason}"
        )

    def date_column(self, label, spellings) -> tuple[int, ZoneInfo, bool]:
        """A date column: the newest spelling names its time zone in brackets; the older
        one (bare dates) does not. Returns (index, zone, older spelling)."""
        newest, older = spellings
        key = self.key or ""
        if key == older:
            return self.take(), PARIS, True
        if key == newest:
            return self.take(), PARIS, False
        if key.startswith(newest + " (") and key.endswith(")"):
            cell = self.cell
            name = cell[cell.rfind("(") + 1 : -1].strip()
            try:
                zone = ZoneInfo(name)
            except (ValueError, LookupError, OSError):
                raise self.refusal(
                    label, f"fuseau horaire « {name} » inconnu dans « {cell} »."
                ) from None
            return self.take(), zone, False
        raise self.refusal(label)


def analyse_header(cells, *, encoding, delimiter, aliases) -> tuple[ExportHeader, Layout]:
    """Check the header row `cells` and locate every value; raise ExportRefused if it is
    not the header of a Pix Orga results export."""
    width = len(cells)
    columns = [cell.strip() for cell in cells]
    if columns:
        # A UTF-8 BOM read as Windows-1252 (file edited in another encoding) shows as ï»¿.
        columns[0] = columns[0].lstrip("\ufeff").removeprefix("ï»¿").strip()
    while columns and not columns[-1]:
        columns.pop()  # spreadsheets may add empty columns
    keys = [header_key(column) for column in columns]
    if SENT in keys:
        kind, anchor = KIND_PROFILES, keys.index(SENT)
    elif PROGRESSION in keys and SHARED in keys:
        kind, anchor = KIND_ASSESSMENT, keys.index(PROGRESSION)
    elif SHARED in keys and _assessment_results(keys):
        # An EXAM export without « % de progression » (March 2025 to February 2026): the
        # optional columns end before the start date, just before « Partage (O/N) ».
        kind, anchor = KIND_ASSESSMENT, keys.index(SHARED) - 1
    else:
        message = _other_pix_file(keys) or NOT_PIX_EXPORT
        if any("Ã" in column for column in columns):
            message += (
                " Les accents de l'en-tête semblent mal encodés : le fichier mélange "
                "peut-être UTF-8 et Windows-1252."
            )
        raise ExportRefused(message)

    cursor = _Cursor(columns, keys)
    organisation_name = cursor.expect("Nom de l'organisation", ORGANISATION)
    campaign_id = cursor.expect("ID Campagne", CAMPAIGN_ID)
    code = cursor.optional(CODE)
    campaign_name = cursor.expect("Nom de la campagne", CAMPAIGN_NAME)
    target_profile = None
    older = code is None
    if kind == KIND_ASSESSMENT:
        target_profile = cursor.expect("Parcours", PARCOURS, TARGET_PROFILE_OLD)
        older = older or keys[target_profile] == TARGET_PROFILE_OLD
    last_name = cursor.expect("Nom du Participant", LAST_NAME)
    first_name = cursor.expect("Prénom du Participant", FIRST_NAME)
    if anchor < cursor.position:
        raise cursor.refusal(
            "Prénom du Participant",
            f"« {columns[anchor]} » apparaît avant « Prénom du Participant ».",
        )
    middle = list(range(cursor.position, anchor))
    external_id = None
    if middle and keys[middle[-1]] not in _ORGANISATION_KEYS:
        external_id = middle.pop()
    organisation = tuple((index, columns[index]) for index in middle)
    cursor.position = anchor

    layout_values = {
        "width": width,
        "organisation_name": organisation_name,
        "campaign_id": campaign_id,
        "code": code,
        "campaign_name": campaign_name,
        "target_profile": target_profile,
        "last_name": last_name,
        "first_name": first_name,
        "organisation": organisation,
        "external_id": external_id,
    }
    if kind == KIND_ASSESSMENT:
        layout, bare_dates = _assessment_columns(cursor, layout_values, aliases)
    else:
        layout, bare_dates = _profile_columns(cursor, layout_values, aliases)
    skill_columns = tuple(columns[cursor.position :])

    header = ExportHeader(
        kind=kind,
        encoding=encoding,
        delimiter=delimiter,
        columns=tuple(columns),
        older_format=older or bare_dates,
        external_id_label=(columns[external_id] or "Identifiant externe")
        if external_id is not None
        else None,
        organisation_columns=tuple(name for _index, name in organisation),
        stage_count=layout.stage_count,
        badge_names=tuple(name for _index, name in layout.badges),
        competence_codes=tuple(competence[0] for competence in layout.competences),
        skill_columns=skill_columns,
        timezone=str(layout.shared_zone),
        progression_column=layout.progression is not None,
    )
    return header, layout


def _assessment_columns(cursor, values, aliases):
    progression = cursor.optional(PROGRESSION)
    started_at, started_zone, bare_started = cursor.date_column(
        "Date et heure de début (Europe/Paris)", STARTED_AT
    )
    shared = cursor.expect("Partage (O/N)", SHARED)
    shared_at, shared_zone, bare_shared = cursor.date_column(
        "Date et heure du partage (Europe/Paris)", SHARED_AT
    )
    stage = stage_count = None
    key = cursor.key or ""
    if key.startswith(STAGE_PREFIX) and key.endswith(")"):
        count = key[len(STAGE_PREFIX) : -1].strip()
        if not (count.isascii() and count.isdigit() and len(count) < 4):
            raise cursor.refusal("Palier obtenu (/N)", f"« {cursor.cell} » est illisible.")
        stage, stage_count = cursor.take(), int(count)
    badges = []
    while (cursor.key or "").endswith(BADGE_SUFFIX):
        name = _BADGE_END.sub("", text(cursor.cell)).strip()
        badges.append((cursor.take(), name))
    mastery = cursor.expect("% maitrise de l'ensemble des acquis du profil", MASTERY)
    competences = []
    for code, indexes in _competence_groups(cursor, COMPETENCE_TRIPLET, aliases):
        competences.append((code, *indexes))
    if not competences:
        raise cursor.refusal(
            "% de maitrise des acquis de la compétence …",
            "aucune colonne de compétence après « % maitrise de l'ensemble des acquis du profil ».",
        )
    _domain_groups(cursor)
    for position in range(cursor.position, len(cursor.keys)):
        if not cursor.keys[position].startswith("@"):
            cursor.position = position
            raise cursor.refusal(
                "", f"colonne « {cursor.cell} » inattendue en position {position + 1}."
            )
    layout = Layout(
        **values,
        shared=shared,
        shared_at=shared_at,
        shared_zone=shared_zone,
        started_zone=started_zone,
        progression=progression,
        started_at=started_at,
        stage=stage,
        stage_count=stage_count,
        badges=tuple(badges),
        mastery=mastery,
        competences=tuple(competences),
    )
    return layout, bare_started or bare_shared


def _profile_columns(cursor, values, aliases):
    shared = cursor.expect("Envoi (O/N)", SENT)
    shared_at, shared_zone, bare = cursor.date_column(
        "Date et heure de l'envoi (Europe/Paris)", SENT_AT
    )
    total_pix = cursor.expect("Nombre de pix total", TOTAL_PIX)
    certifiable = cursor.expect("Certifiable (O/N)", CERTIFIABLE)
    certifiable_count = cursor.expect("Nombre de compétences certifiables", CERTIFIABLE_COUNT)
    competences = [
        (code, *indexes) for code, indexes in _competence_groups(cursor, PROFILE_PAIR, aliases)
    ]
    if cursor.key is not None:
        raise cursor.refusal(
            "", f"colonne « {cursor.cell} » inattendue en position {cursor.position + 1}."
        )
    found = {competence[0] for competence in competences}
    missing = sorted(set(aliases.values()) - found)
    if missing:
        names = ", ".join(f"« {_COMPETENCE_NAMES.get(code, code)} »" for code in missing)
        raise ExportRefused(
            "L'en-tête ne correspond pas à un export de collecte de profils Pix Orga : il "
            f"manque les colonnes des compétences {names}."
        )
    layout = Layout(
        **values,
        shared=shared,
        shared_at=shared_at,
        shared_zone=shared_zone,
        total_pix=total_pix,
        certifiable=certifiable,
        certifiable_count=certifiable_count,
        competences=tuple(competences),
    )
    return layout, bare


def _name_in(cell: str) -> str:
    match = _NAME_AFTER.search(text(cell))
    return match.group(1).strip() if match else cell


def _competence_groups(cursor, prefixes, aliases):
    """Yield (code, column indexes) for each group of columns of one competence: the first
    column names it, the next ones must name the same competence."""
    seen = {}
    while (cursor.key or "").startswith(prefixes[0]):
        folded = cursor.key[len(prefixes[0]) :]
        name, first_column = _name_in(cursor.cell), cursor.cell
        code = aliases.get(folded)
        if code is None:
            raise ExportRefused(
                f"Compétence inconnue « {name} » dans la colonne « {first_column} » : ce "
                "n'est pas une des 16 compétences du référentiel Pix."
            )
        if code in seen:
            raise ExportRefused(
                f"La compétence « {name} » apparaît deux fois dans l'en-tête "
                f"(« {seen[code]} » et « {first_column} »)."
            )
        seen[code] = first_column
        indexes = [cursor.take()]
        for prefix in prefixes[1:]:
            if cursor.key != prefix + folded:
                raise cursor.refusal(
                    _pix_wording(prefix, name),
                    f"les colonnes de la compétence « {name} » "
                    f"sont incomplètes : « {_pix_wording(prefix, name)} » attendue en "
                    f"position {cursor.position + 1}.",
                )
            indexes.append(cursor.take())
        yield code, tuple(indexes)


def _domain_groups(cursor):
    """Domain columns: read only to check the header (their values are not imported)."""
    while (cursor.key or "").startswith(DOMAIN_TRIPLET[0]):
        folded = cursor.key[len(DOMAIN_TRIPLET[0]) :]
        name = _name_in(cursor.cell)
        cursor.take()
        for prefix in DOMAIN_TRIPLET[1:]:
            if cursor.key != prefix + folded:
                raise cursor.refusal(
                    _pix_wording(prefix, name),
                    f"les colonnes du domaine « {name} » sont incomplètes : "
                    f"« {_pix_wording(prefix, name)} » attendue en position "
                    f"{cursor.position + 1}.",
                )
            cursor.take()


_WORDING = {
    COMPETENCE_TRIPLET[1]: "Nombre d'acquis du profil cible dans la compétence ",
    COMPETENCE_TRIPLET[2]: "Acquis maitrisés dans la compétence ",
    DOMAIN_TRIPLET[1]: "Nombre d'acquis du profil cible du domaine ",
    DOMAIN_TRIPLET[2]: "Acquis maitrisés du domaine ",
    PROFILE_PAIR[1]: "Nombre de pix pour la compétence ",
}


def _pix_wording(prefix: str, name: str) -> str:
    return _WORDING.get(prefix, prefix) + name
