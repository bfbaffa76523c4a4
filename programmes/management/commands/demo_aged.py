"""Whether the demo in the database has aged: `make run` starts again from an empty demo
database when it has, so that the demo's dates are always the days around today."""

import datetime

from django.core.management.base import BaseCommand
from django.db import DatabaseError
from django.utils import timezone

from lib import french
from programmes import demo
from programmes.management.commands.seed_demo import AGED_AFTER_DAYS


class Command(BaseCommand):
    help = (
        "Sort avec le code 0 si la démonstration de la base a été chargée il y a plus de "
        f"{AGED_AFTER_DAYS} jours (ses dates ont vieilli), 1 sinon (ou s'il n'y en a pas)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            metavar="AAAA-MM-JJ",
            help="Le jour de référence (aujourd'hui par défaut).",
        )

    def handle(self, *args, today=None, **options):
        today = today or timezone.localdate()
        try:
            seeded = demo.seeded_day()
        except DatabaseError:  # no database yet, or not migrated
            seeded = None
        if seeded is None or (today - seeded).days <= AGED_AFTER_DAYS:
            raise SystemExit(1)
        self.stdout.write(
            f"La démonstration est datée du {french.long_date(seeded)} "
            f"({(today - seeded).days} jours) : "
            "elle est recréée à la date du jour."
        )
