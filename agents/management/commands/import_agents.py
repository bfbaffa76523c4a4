from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agents.services import agent_import


class Command(BaseCommand):
    help = "Importe la liste RH des agents depuis un fichier CSV (voir agents/importer.py)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="Fichier CSV de la liste RH.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Vérifie le fichier et indique ce qui serait fait, sans rien enregistrer.",
        )
        parser.add_argument(
            "--deactivate-missing",
            action="store_true",
            help="Marque inactifs les agents ayant un matricule absents du fichier.",
        )

    def handle(self, *args, file, dry_run, deactivate_missing, **options):
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Impossible de lire « {file} » : {error.strerror}.") from None
        report = agent_import(data=data, deactivate_missing=deactivate_missing, dry_run=dry_run)
        if not report.ok:
            for error in report.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"Fichier refusé ({len(report.errors)} erreur(s)) : rien n'a été enregistré."
            )
        self.stdout.write(self.style.SUCCESS(report.summary()))
