"""The daily reminder run, in process: what Celery beat does every day at REMINDER_HOUR,
for the embedded demo and for a server without Redis."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from lib import french
from programmes.enums import ReminderKind
from programmes.reminders import services as services_reminders
from programmes.reminders.selection import due_reminders


class Command(BaseCommand):
    help = "Envoie les relances du jour et, le jour prévu, les synthèses hebdomadaires."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Affiche qui serait relancé, sans rien écrire ni envoyer.",
        )
        parser.add_argument("--date", help="Le jour de la relance (AAAA-MM-JJ), aujourd'hui sinon.")

    def handle(self, *args, dry_run=False, date=None, **options):
        try:
            day = datetime.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError as error:
            raise CommandError(f"Date invalide : {date!r} (attendu AAAA-MM-JJ).") from error
        if dry_run:
            due = due_reminders(day=day)
            for item in due:
                self.stdout.write(
                    f"  {item.email} — {ReminderKind(item.kind).label} (programme "
                    f"{item.programme_id}, population {item.population_id})"
                )
            digest_day = services_reminders.is_digest_day(day)
            self.stdout.write(
                f"{len(due)} relance(s) à envoyer le {french.long_date(day)} "
                "(simulation : rien n'est "
                f"écrit){' ; synthèses hebdomadaires ce jour-là' if digest_day else ''}."
            )
            return
        outcome = services_reminders.reminders_run(day=day)
        self.stdout.write(
            f"{outcome['reminders']} relance(s) et {outcome['digests']} synthèse(s) à envoyer "
            f"le {french.long_date(day)} ; {outcome['failed']} échec(s) d'envoi, "
            "repris aux prochains "
            "passages."
        )
