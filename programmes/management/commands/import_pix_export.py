"""Import a Pix Orga results export from the command line, as the upload page does.

Without --programme the campaign is imported all the same: if no programme follows it yet,
a warning says so (attach it later from a programme's page, or import again with
--programme: the same file is then recognised and only attached).
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from campaigns import services as campaign_services
from campaigns.enums import ImportStatus
from lib import french
from programmes.imports import services as programme_services
from programmes.models import Programme

COUNTS = (
    ("rows", "Lignes du fichier"),
    ("shared_rows", "dont résultats partagés"),
    ("participations_created", "Participations nouvelles"),
    ("participations_updated", "Participations mises à jour"),
    ("results_created", "Résultats par compétence ajoutés"),
    ("matched", "Participants rapprochés d'un agent"),
    ("to_confirm", "Rapprochés par le nom, à confirmer"),
    ("unmatched", "Participants non rapprochés"),
)


class _DryRun(Exception):
    """Leaves the dry run's transaction, rolling it back."""


class Command(BaseCommand):
    help = (
        "Importe un export de résultats Pix Orga (CSV) : mêmes contrôles et même import que "
        "la page de dépôt. Code de sortie 1 si le fichier est refusé."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="Export CSV téléchargé depuis Pix Orga.")
        parser.add_argument(
            "--programme",
            metavar="SLUG",
            help="Programme qui suit la campagne (elle lui est rattachée après l'import).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Vérifie le fichier et affiche l'aperçu, sans rien enregistrer.",
        )
        parser.add_argument(
            "--json", action="store_true", help="Affiche le résultat en un objet JSON."
        )

    def handle(self, *args, file, programme, dry_run, json, **options):
        programme_obj = None
        if programme:
            programme_obj = Programme.objects.filter(slug=programme).first()
            if programme_obj is None:
                raise CommandError(f"Aucun programme « {programme} ».")
        try:
            handle = file.open("rb")
        except OSError as error:
            raise CommandError(f"Impossible de lire « {file} » : {error.strerror}.") from None
        with handle:
            if dry_run:
                result_import = self._dry_run(handle, file.name, programme_obj)
            else:
                result_import = self._import(handle, file.name, programme_obj)
        self._report(result_import, dry_run=dry_run, as_json=json)

    def _create(self, handle, name, programme):
        result_import = campaign_services.import_create(
            fileobj=handle, original_name=name, uploaded_by=None
        )
        if programme is not None:
            programme_services.programme_import_link(
                programme=programme, result_import=result_import
            )
        return result_import

    def _import(self, handle, name, programme):
        result_import = self._create(handle, name, programme)
        if result_import.status == ImportStatus.DUPLICATE:
            if programme is not None and result_import.campaign_id:
                programme.campaigns.add(result_import.campaign_id)
            return result_import
        result_import = campaign_services.import_analyse(result_import_id=result_import.pk)
        if result_import.status != ImportStatus.READY:
            return result_import
        try:
            if programme is not None:
                return programme_services.programme_import_run(
                    programme=programme, result_import=result_import
                )
            return campaign_services.import_run(result_import_id=result_import.pk)
        except Exception as error:
            result_import.refresh_from_db()
            if result_import.status == ImportStatus.FAILED:
                return result_import
            raise CommandError(str(error)) from error

    def _dry_run(self, handle, name, programme):
        """Analyse inside a transaction rolled back: no import row is kept, and the stored
        copy of the file is removed."""
        outcome = {}
        try:
            with transaction.atomic():
                result_import = self._create(handle, name, programme)
                if result_import.status != ImportStatus.DUPLICATE:
                    result_import = campaign_services.import_analyse(
                        result_import_id=result_import.pk
                    )
                outcome["import"] = result_import
                raise _DryRun
        except _DryRun:
            pass
        result_import = outcome["import"]
        if result_import.status != ImportStatus.DUPLICATE and result_import.file.name:
            result_import.file.storage.delete(result_import.file.name)
        return result_import

    def _report(self, result_import, *, dry_run, as_json):
        status = result_import.status
        refused = status in (ImportStatus.REFUSED, ImportStatus.FAILED)
        if as_json:
            self.stdout.write(json.dumps(_as_json(result_import, dry_run), ensure_ascii=False))
        else:
            self._write_text(result_import, dry_run)
        if refused:
            raise CommandError(
                f"Fichier refusé ({len(result_import.errors)} erreur(s)) : rien n'a été enregistré."
                if status == ImportStatus.REFUSED
                else "L'import a échoué : rien n'a été enregistré."
            )

    def _write_text(self, result_import, dry_run):
        status = result_import.status
        if status == ImportStatus.DUPLICATE:
            earlier = result_import.duplicate_of
            self.stdout.write(
                f"Ce fichier a déjà été importé (import n° {earlier.pk} du "
                f"{french.long_date(earlier.uploaded_at)}) : rien n'a changé."
            )
            return
        for error in result_import.errors:
            self.stderr.write(_error_text(error))
        if status in (ImportStatus.REFUSED, ImportStatus.FAILED):
            return
        campaign = result_import.campaign
        title = "Aperçu (rien n'a été enregistré)" if dry_run else "Import terminé"
        name = f" : {campaign}" if campaign is not None else ""
        self.stdout.write(self.style.SUCCESS(f"{title}{name}"))
        for field, label in COUNTS:
            self.stdout.write(f"  {label} : {getattr(result_import, field)}")
        for warning in result_import.warnings:
            self.stdout.write(self.style.WARNING(f"  Attention : {warning}"))


def _error_text(error: dict) -> str:
    line, column, message = error.get("line"), error.get("column"), error.get("message")
    if line is not None and column:
        return f"Ligne {line}, colonne « {column} » : {message}"
    if line is not None:
        return f"Ligne {line} : {message}"
    return message


def _as_json(result_import, dry_run: bool) -> dict:
    campaign = result_import.campaign
    duplicate = result_import.status == ImportStatus.DUPLICATE
    earlier = result_import.duplicate_of if duplicate else None
    source = earlier or result_import
    written = not duplicate and not dry_run
    return {
        "status": str(result_import.status),
        "dry_run": dry_run,
        "import_id": None if dry_run else result_import.pk,
        "duplicate_of": earlier.pk if earlier else None,
        "kind": source.kind or None,
        "campaign_code": campaign.code if campaign else None,
        "campaign_pix_id": campaign.pix_id if campaign else None,
        "campaign_name": campaign.name if campaign else None,
        "rows": source.rows,
        "shared": source.shared_rows,
        "participations_created": result_import.participations_created if written or dry_run else 0,
        "participations_updated": result_import.participations_updated if written or dry_run else 0,
        "results_created": result_import.results_created if written or dry_run else 0,
        "matched": source.matched,
        "to_confirm": source.to_confirm,
        "unmatched": source.unmatched,
        "warnings": list(result_import.warnings),
        "errors": [
            {"line": e.get("line"), "column": e.get("column"), "message": e.get("message")}
            for e in result_import.errors
        ],
    }
