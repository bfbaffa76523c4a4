"""« Mes données » for people rather than programs: the sections of `selectors.agent_data`
turned into tables with French headers, one per kind of data, for a workbook a spreadsheet
opens (a sheet each) and a page to read or print. The same records as the JSON file, in the
same order: nothing added, nothing left out.

A section that is one record (identity) becomes a two-column table (« Rubrique », « Valeur »);
a list of records becomes a table with a row each; a record's list of records (a
participation's results) becomes a table of its own whose first columns say which record
they belong to; a record inside a record (the manager) gives a column per field; a list of
plain values (the barriers) is one cell, the values separated by « ; »; yes/no as « Oui » /
« Non ». Keys without a label here (a section another app adds) are shown as written.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lib.exports import Column, Kind, Table

SECTIONS = {
    "a_propos": gettext_lazy("À propos de ce fichier"),
    "identite": gettext_lazy("Identité"),
    "inscriptions": gettext_lazy("Inscriptions"),
    "participations_pix": gettext_lazy("Participations Pix"),
    "participations_pix.historique": gettext_lazy("Historique des participations"),
    "participations_pix.resultats": gettext_lazy("Résultats par compétence"),
    "points_d_etape": gettext_lazy("Points d’étape"),
    "ressources_suivies": gettext_lazy("Ressources suivies"),
    "compagnonnage.demandes": gettext_lazy("Demandes de compagnonnage"),
    "compagnonnage.offres_de_compagnon": gettext_lazy("Offres de compagnon"),
    "consentements_de_partage": gettext_lazy("Consentements de partage"),
    "objectifs_personnels": gettext_lazy("Objectifs personnels"),
    "relances.recues": gettext_lazy("Relances reçues"),
    "relances.desabonnements": gettext_lazy("Désabonnements des relances"),
    "consultations_de_vos_resultats": gettext_lazy("Consultations de vos résultats"),
    "entretiens_professionnels": gettext_lazy("Entretiens professionnels"),
    "entretiens_professionnels.objectifs": gettext_lazy("Objectifs des entretiens"),
    "entretiens_professionnels.addenda": gettext_lazy("Compléments aux entretiens"),
}

FIELDS = {
    "accorde_le": gettext_lazy("Accordé le"),
    "actif": gettext_lazy("Actif"),
    "adresse": gettext_lazy("Adresse"),
    "annee": gettext_lazy("Année"),
    "a_partir_du": gettext_lazy("À partir du"),
    "besoins_de_formation": gettext_lazy("Besoins de formation"),
    "campagne": gettext_lazy("Campagne"),
    "code_campagne": gettext_lazy("Code de la campagne"),
    "colonnes_organisation": gettext_lazy("Colonnes de l’organisation"),
    "commencee_le": gettext_lazy("Commencée le"),
    "commentaire": gettext_lazy("Commentaire"),
    "commentaire_agent": gettext_lazy("Commentaire de l’agent"),
    "commentaire_encadrant": gettext_lazy("Commentaire de l’encadrant"),
    "compagnon": gettext_lazy("Compagnon"),
    "competence": gettext_lazy("Compétence"),
    "competences_acquises": gettext_lazy("Compétences acquises"),
    "compte": gettext_lazy("Compte"),
    "consulte_par": gettext_lazy("Consulté par"),
    "cree_le": gettext_lazy("Créé le"),
    "date": gettext_lazy("Date"),
    "date_entretien": gettext_lazy("Date de l’entretien"),
    "demandee_le": gettext_lazy("Demandée le"),
    "depuis_le": gettext_lazy("Depuis le"),
    "description": gettext_lazy("Description"),
    "email": gettext_lazy("Adresse électronique"),
    "encadrant": gettext_lazy("Encadrant"),
    "envoyee_le": gettext_lazy("Envoyée le"),
    "etat": gettext_lazy("État"),
    "finalite": gettext_lazy("Finalité"),
    "fonction": gettext_lazy("Fonction"),
    "format": gettext_lazy("Version du format"),
    "formations_souhaitees": gettext_lazy("Formations souhaitées"),
    "freins": gettext_lazy("Freins"),
    "genere_le": gettext_lazy("Généré le"),
    "identifiant_externe": gettext_lazy("Identifiant externe"),
    "informe_droits_cpf": gettext_lazy("Informé de ses droits CPF"),
    "jour": gettext_lazy("Jour"),
    "le": gettext_lazy("Le"),
    "matricule": gettext_lazy("Matricule"),
    "mis_en_relation_le": gettext_lazy("Mis en relation le"),
    "modifie_le": gettext_lazy("Modifié le"),
    "motif": gettext_lazy("Motif"),
    "niveau": gettext_lazy("Niveau"),
    "niveau_vise": gettext_lazy("Niveau visé"),
    "nom": gettext_lazy("Nom"),
    "nom_dans_pix": gettext_lazy("Nom dans Pix"),
    "non_inclus": gettext_lazy("Non inclus"),
    "objectifs_atteints": gettext_lazy("Objectifs atteints"),
    "objectifs_fixes": gettext_lazy("Objectifs fixés"),
    "observe_le": gettext_lazy("Observé le"),
    "origine": gettext_lazy("Origine"),
    "page": gettext_lazy("Page"),
    "palier": gettext_lazy("Palier"),
    "partage_avec": gettext_lazy("Partagé avec"),
    "partagee_le": gettext_lazy("Partagée le"),
    "perspectives": gettext_lazy("Perspectives"),
    "pix": gettext_lazy("Pix"),
    "pix_total": gettext_lazy("Pix total"),
    "point_d_etape": gettext_lazy("Point d’étape"),
    "population": gettext_lazy("Population"),
    "pour_le": gettext_lazy("Pour le"),
    "prenom": gettext_lazy("Prénom"),
    "prenom_dans_pix": gettext_lazy("Prénom dans Pix"),
    "prochaine_etape": gettext_lazy("Prochaine étape"),
    "programme": gettext_lazy("Programme"),
    "progression": gettext_lazy("Progression (%)"),
    "responsable": gettext_lazy("Responsable"),
    "resultats_thematiques": gettext_lazy("Résultats thématiques"),
    "ressource": gettext_lazy("Ressource"),
    "retire_le": gettext_lazy("Retiré le"),
    "retiree_le": gettext_lazy("Retirée le"),
    "saisi_le": gettext_lazy("Saisi le"),
    "saisi_par": gettext_lazy("Saisi par"),
    "situation": gettext_lazy("Situation"),
    "sorti_le": gettext_lazy("Sorti le"),
    "statut": gettext_lazy("Statut"),
    "taux_de_maitrise": gettext_lazy("Taux de maîtrise (%)"),
    "terminee_le": gettext_lazy("Terminée le"),
    "texte": gettext_lazy("Texte"),
    "type_campagne": gettext_lazy("Type de campagne"),
    "unite": gettext_lazy("Unité"),
    "utile": gettext_lazy("Utile"),
    "valeur": gettext_lazy("Valeur"),
}

# Shares of one (0.75), shown and stored as percentages.
RATIO_FIELDS = {"progression", "taux_de_maitrise"}
YEAR_FIELDS = {"annee"}
SEPARATOR = " ; "
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?)?$")
PATH_SEPARATOR = " — "


def section_label(path: str) -> str:
    return str(SECTIONS.get(path, path.rsplit(".", 1)[-1].replace("_", " ").capitalize()))


def field_label(path: tuple[str, ...]) -> str:
    """« Responsable — Nom » for ("responsable", "nom"); a key without a label as written."""
    return PATH_SEPARATOR.join(str(FIELDS.get(key, key)) for key in path)


def cell(value):
    """A JSON-ready value as one cell: yes/no in words, a list of plain values joined."""
    if isinstance(value, bool):
        return _("Oui") if value else _("Non")
    if isinstance(value, list):
        return SEPARATOR.join(str(cell(item)) for item in value if item is not None) or None
    return value


def _is_records(value) -> bool:
    return isinstance(value, list) and any(isinstance(item, dict) for item in value)


def _flatten(record: dict, prefix: tuple = (), lists: frozenset = frozenset()) -> tuple:
    """A record's cells keyed by their path, and its lists of records (the keys in `lists`,
    which some record of the same kind holds as a list of records) by key."""
    cells, children = {}, {}
    for key, value in record.items():
        if isinstance(value, dict):
            inner, _nested = _flatten(value, (*prefix, key))
            cells.update(inner)  # nested lists of records: none in the data held today
        elif key in lists and isinstance(value, list) and not prefix:
            children[key] = value
        else:
            cells[(*prefix, key)] = _dated(value)
    return cells, children


def _dated(value):
    """A date written as ISO text (« 2026-03-01 », as some sections give them) as a date,
    which a spreadsheet sorts and shows the French way."""
    if isinstance(value, str) and ISO_DATE.match(value):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        if "T" not in value:
            return parsed.date()
        return parsed if parsed.tzinfo is not None else value  # no zone: no sure time
    return value


def _kind(path: tuple, values: Iterable) -> str:
    values = [v for v in values if v is not None]
    if path[-1] in RATIO_FIELDS and all(isinstance(v, float | Decimal) for v in values):
        return Kind.RATIO
    if path[-1] in YEAR_FIELDS and all(isinstance(v, int) for v in values):
        return Kind.YEAR
    if values and all(isinstance(v, datetime) for v in values):
        return Kind.DATETIME
    if values and all(isinstance(v, date) and not isinstance(v, datetime) for v in values):
        return Kind.DATE
    return Kind.TEXT


@dataclass
class _Sheet:
    path: str
    parent: tuple[str, str] | None = None  # the parent's label and the label of its key
    rows: list[tuple[list, dict]] = field(default_factory=list)  # (parent cells, cells)

    def table(self) -> Table:
        paths = list(dict.fromkeys(path for _head, cells in self.rows for path in cells))
        columns = []
        if self.parent is not None:
            columns = [Column(_("%(record)s n°") % {"record": self.parent[0]}, Kind.COUNT)]
            columns.append(Column(self.parent[1]))
        for path in paths:
            kind = _kind(path, (cells.get(path) for _head, cells in self.rows))
            columns.append(Column(field_label(path), kind))
        rows = [[*head, *(cell(cells.get(path)) for path in paths)] for head, cells in self.rows]
        if not rows:  # a kind of data held about others, not about this agent
            columns, rows = [Column(section_label(self.path))], [[_("Aucune donnée")]]
        key = self.path.replace(".", "-").replace("_", "-")
        return Table(key, section_label(self.path), columns, rows)


class RecordTable(Table):
    """A section that is one record: a row per field (« Rubrique », « Valeur »)."""


def _record_table(path: str, record: dict) -> Table:
    cells, _children = _flatten(record)
    rows = [[field_label(key), cell(value)] for key, value in cells.items()]
    columns = [Column(_("Rubrique")), Column(_("Valeur"))]
    return RecordTable(path.replace("_", "-"), section_label(path), columns, rows)


def _records_tables(path: str, records: list) -> list[Table]:
    sheet, children = _Sheet(path), {}
    records = [record if isinstance(record, dict) else {"valeur": record} for record in records]
    lists = frozenset(
        key for record in records for key, value in record.items() if _is_records(value)
    )
    for number, record in enumerate(records, start=1):
        cells, nested = _flatten(record, lists=lists)
        sheet.rows.append(([], cells))
        first_key = next(iter(record), None)
        for key, items in nested.items():
            child = children.setdefault(
                key,
                _Sheet(f"{path}.{key}", (section_label(path), field_label((first_key,)))),
            )
            for item in items:
                child.rows.append(([number, cell(record[first_key])], _flatten(item)[0]))
    return [sheet.table()] + [child.table() for child in children.values()]


def readable_tables(data: dict) -> list[Table]:
    """The agent's data (`selectors.agent_data`) as tables, a kind of data each, empty ones
    included (their headers say what would be there)."""
    tables = []
    for key, value in data.items():
        if isinstance(value, dict) and value and all(isinstance(v, list) for v in value.values()):
            for sub, records in value.items():  # mentoring, reminders: a table per list
                tables += _records_tables(f"{key}.{sub}", records)
        elif isinstance(value, dict):
            tables.append(_record_table(key, value))
        elif isinstance(value, list):
            tables += _records_tables(key, value)
        else:
            tables.append(_record_table(key, {key: value}))
    return tables


@dataclass
class PrintedSection:
    key: str
    caption: str
    records: list[list[tuple[str, str]]]  # each record: (label, value shown) pairs
    numbered: bool  # a list of records (« n° 1 », « n° 2 »…), not a single one


def printable_sections(tables: list[Table]) -> list[PrintedSection]:
    """The tables as records to read one after the other (a page to print or read on a
    phone, where a table of twenty columns would not fit): a field per line."""
    sections = []
    for table in tables:
        rows = list(table.html_rows())
        if isinstance(table, RecordTable):
            records, numbered = [[(label, value) for label, value in rows]], False
        elif len(table.columns) == 1 and len(rows) == 1:  # « Aucune donnée »
            records, numbered = [], True
        else:
            labels = [column.label for column in table.columns]
            records = [list(zip(labels, row, strict=True)) for row in rows]
            numbered = True
        sections.append(PrintedSection(table.key, table.caption, records, numbered))
    return sections
