"""Compute the dashboard's figures now (what the nightly job does), or rebuild their history
month by month from the Pix results already imported (--backfill)."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from lib import french
from programmes.models import Programme
from programmes.steering import stats


class Command(BaseCommand):
    help = (
        "Recalcule les chiffres du tableau de bord de chaque population, par unité de "
        "l'organigramme et par équipe, au jour d'aujourd'hui "
        "(programmes en cours, ou celui de --programme). Avec --backfill, reconstitue aussi "
        "les chiffres de chaque fin de mois depuis le début du programme, à partir des "
        "résultats Pix importés."
    )

    def add_arguments(self, parser):
        parser.add_argument("--programme", metavar="SLUG", help="Un seul programme.")
        parser.add_argument(
            "--backfill",
            action="store_true",
            help="Reconstitue aussi les fins de mois passées depuis le début du programme.",
        )
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            metavar="AAAA-MM-JJ",
            help="Calcule comme si l'on était ce jour-là (aujourd'hui par défaut).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Montre les chiffres sans rien enregistrer."
        )

    def handle(self, *args, programme=None, backfill=False, dry_run=False, today=None, **options):
        today = today or timezone.localdate()
        if programme:
            programmes = list(Programme.objects.filter(slug=programme))
            if not programmes:
                raise CommandError(f"Aucun programme « {programme} ».")
        else:
            programmes = list(stats.running_programmes(today))
        if dry_run:
            self.stdout.write(self.style.WARNING("Simulation (--dry-run) : rien n'est enregistré."))
        rows = 0
        with transaction.atomic():
            for item in programmes:
                self.stdout.write(f"{item.name} :")
                populations = item.populations.order_by("name")
                if backfill:
                    for population in populations:
                        rows += self._backfill(population, today)
                # What runs after an import and every night: the tallies merged, each
                # population's figures, the units', the teams'.
                refreshed = stats.programme_stats_refresh(programme=item, on=today)
                for stat in sorted(refreshed, key=lambda stat: stat.population.name):
                    self._print(stat, today)
                rows += len(refreshed)
            if dry_run:
                transaction.set_rollback(True)
        verb = "seraient écrites" if dry_run else "écrites"
        self.stdout.write(self.style.SUCCESS(f"{rows} lignes de statistiques {verb}."))

    def _backfill(self, population, today) -> int:
        """The month ends before today (today's row is the refresh's)."""
        months = stats.population_stats_backfill(population=population, until=today)
        self.stdout.write(
            f"  - {population.name} : {len(months) - 1} fins de mois depuis "
            f"{french.month_numeric(months[0]['on'])}"
        )
        return len(months) - 1

    def _print(self, stat, today):
        share = f"{100 * stat.reached / stat.enrolled:.0f} %" if stat.enrolled else "—"
        self.stdout.write(
            f"  - {stat.population.name} au {french.long_date(today)} : {stat.enrolled} "
            f"inscrits, {stat.reached} à l'objectif ({share})"
        )
