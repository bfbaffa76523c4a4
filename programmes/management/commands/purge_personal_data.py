"""Purge the personal data of the programmes ended more than RESULTS_RETENTION_DAYS ago
(what the nightly job does), or say what would go (--dry-run)."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from lib import french
from programmes.privacy.services import PURGE_KINDS, personal_data_purge, retention_days


class Command(BaseCommand):
    help = (
        "Supprime les données personnelles (résultats Pix individuels, notes des points "
        "d'étape, suivis de ressources, compagnonnages, consentements…) des programmes "
        "terminés depuis plus de RESULTS_RETENTION_DAYS jours ; les chiffres d'ensemble "
        "sont conservés."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Compte ce qui serait supprimé, sans rien changer.",
        )
        parser.add_argument(
            "--date", metavar="AAAA-MM-JJ", help="Jour de référence (aujourd'hui par défaut)."
        )

    def handle(self, *args, dry_run=False, date=None, **options):
        try:
            today = datetime.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError as error:
            raise CommandError(f"Date invalide « {date} » : attendu AAAA-MM-JJ.") from error
        if dry_run:
            self.stdout.write(self.style.WARNING("Simulation (--dry-run) : rien n'est modifié."))
        report = personal_data_purge(today=today, dry_run=dry_run)
        self.stdout.write(
            f"Au {french.long_date(today)}, durée de conservation : "
            f"{retention_days()} jours après la "
            "fin d'un programme."
        )
        if report.programmes:
            self.stdout.write("Programmes concernés : " + ", ".join(report.programmes))
        for kind, label in PURGE_KINDS.items():
            self.stdout.write(f"  - {label} : {report.counts[kind]}")
        verb = "seraient modifiées" if dry_run else "modifiées"
        self.stdout.write(self.style.SUCCESS(f"{report.total} lignes {verb} au total."))
