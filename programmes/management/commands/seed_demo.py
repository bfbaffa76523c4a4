"""Load the demo organisation, logins, programme and its Pix results (idempotent); `make run`
calls it."""

import datetime

import environ
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from lib import french
from programmes import demo

AGED_AFTER_DAYS = 14


class Command(BaseCommand):
    help = (
        "Charge les données de démonstration (DREETS Occitanie fictive, ~800 agents, un "
        "programme Pix et ses résultats importés de plusieurs exports Pix Orga) et les "
        "comptes de démonstration. Relancer ne change rien."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            metavar="AAAA-MM-JJ",
            help=(
                "Le jour dont les dates de la démonstration partent (aujourd'hui par défaut). "
                "Une démonstration déjà chargée garde le jour de son premier chargement."
            ),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Montre ce qui serait créé, sans rien enregistrer.",
        )

    def handle(self, *args, dry_run=False, today=None, **options):
        # The demo logins share a published password: never create them outside a demo.
        is_demo = environ.Env().bool("DJANGO_DEMO", default=False)
        if not (is_demo or settings.DEBUG or getattr(settings, "TESTING", False)):
            raise CommandError(
                "seed_demo crée des comptes au mot de passe public : lancez-le seulement en "
                "démonstration (DJANGO_DEMO=1) ou en développement (DEBUG=1)."
            )
        try:
            with transaction.atomic():
                summary = demo.seed_demo(today=today)
                if dry_run:
                    transaction.set_rollback(True)
        except demo.CalendarMismatch as error:
            raise CommandError(
                f"La démonstration de cette base est datée du "
                f"{french.long_date(error.args[0])}, pas "
                f"du {french.long_date(today)} : supprimez la base (db.sqlite3) pour la dater "
                "autrement."
            ) from error
        if dry_run:  # the rows are gone: so go the raw files stored meanwhile
            demo.discard_stored_files(summary)
        self._report(summary, dry_run=dry_run)

    def _report(self, summary, *, dry_run):
        write = self.stdout.write
        if dry_run:
            write(self.style.WARNING("Simulation (--dry-run) : rien n'a été enregistré."))
        else:
            write(self.style.SUCCESS("Données de démonstration prêtes : DREETS Occitanie."))
        calendar = summary.calendar
        write(f"  Calendrier : démonstration datée du {french.long_date(calendar.today)}.")
        aged = (timezone.localdate() - calendar.today).days
        if aged > AGED_AFTER_DAYS:
            write(
                self.style.WARNING(
                    f"  Elle a {aged} jours : ses dates ont vieilli. Pour une démonstration "
                    "datée d'aujourd'hui, supprimez la base (db.sqlite3) et relancez."
                )
            )
        write(f"  {summary.agents} agents dans {summary.units} unités")
        write(
            f"  {len(summary.populations)} populations cibles du programme "
            f"« {demo.PROGRAMME_NAME} » :"
        )
        for name, count in summary.populations.items():
            write(f"    - {name} : {count} inscrit·e·s")
        write(
            f"  Cette exécution : {summary.agents_created} agents créés, "
            f"{summary.agents_updated} mis à jour, {summary.targets_created} niveaux cibles "
            f"et {summary.enrolments_created} inscriptions créés."
        )
        self._report_exports(summary)
        done = summary.accompaniment
        write(
            f"  Accompagnement, cette exécution : {done.milestones} points d'étape, "
            f"{done.checkins} entretiens, {done.resources} ressources, {done.resource_uses} "
            f"suivis de ressources, {done.mentors} compagnons et {done.mentorings} "
            f"compagnonnages créés ; {summary.reminders} relances envoyées écrites."
        )
        write("")
        write("Comptes de démonstration :")
        width = max(len(role) for role, _ in summary.logins)
        email_width = max(len(email) for _, email in summary.logins)
        write(f"  {'rôle':<{width}}  {'e-mail':<{email_width}}  mot de passe")
        for role, email in summary.logins:
            write(f"  {role:<{width}}  {email:<{email_width}}  {demo.DEMO_PASSWORD}")
        write("")
        write(f"Application : {demo.SITE_URL}")

    def _report_exports(self, summary):
        write = self.stdout.write
        write(f"  Exports Pix Orga importés pour le programme ({len(summary.exports)}) :")
        for line in summary.exports:
            done = "déjà importé, rien de nouveau — " if line.already_imported else ""
            write(
                f"    - {line.filename} : {done}{line.rows} lignes, {line.shared_rows} "
                f"partagées, {line.participations_created} participations créées, "
                f"{line.results_created} résultats ajoutés, {line.unmatched} non rapprochés"
            )
        to_match = summary.to_match
        write(
            f"  À rapprocher : {to_match.get('unmatched', 0)} participations sans agent, "
            f"{to_match.get('to_confirm', 0)} rapprochées par le nom à confirmer."
        )
