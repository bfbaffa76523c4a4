"""The demo's annual reviews, after `seed_demo`: a cycle opened by the owner six weeks
before the demo's day and closing six weeks after (half-way), and the demo agent's sheet
prepared by their manager. Dated by the demo's calendar, kept by the database. Idempotent;
demo and development only."""

import environ
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from agents.models import User
from campaigns.models import Competence
from lib import french
from programmes.demo import demo_calendar
from programmes.demo.data import PROGRAMME_SLUG
from programmes.models import Programme
from reviews.models import Review, ReviewCycle, ReviewState
from reviews.services import review_mark_prepared, review_save
from reviews.services_cycles import cycle_open


class Command(BaseCommand):
    help = (
        "Ouvre la campagne d'entretiens de la démonstration, à mi-parcours au jour de la "
        "démonstration (après seed_demo)."
    )

    def handle(self, *args, **options):
        is_demo = environ.Env().bool("DJANGO_DEMO", default=False)
        if not (is_demo or settings.DEBUG or getattr(settings, "TESTING", False)):
            raise CommandError(
                "seed_demo_reviews écrit des données de démonstration : lancez-le seulement en "
                "démonstration (DJANGO_DEMO=1) ou en développement (DEBUG=1)."
            )
        programme = Programme.objects.filter(slug=PROGRAMME_SLUG).first()
        if programme is None:
            raise CommandError("Lancez d'abord seed_demo : le programme de démonstration manque.")
        calendar = demo_calendar()
        year = calendar.review_year
        with transaction.atomic():
            cycle = ReviewCycle.objects.filter(programme=programme, year=year).first()
            if cycle is None:
                cycle = cycle_open(
                    programme=programme,
                    year=year,
                    opens_on=calendar.review_opens,
                    closes_on=calendar.review_closes,
                    by=User.objects.get(email="pilote@demo.gouv.fr"),
                    in_background=False,  # the demo sheet is prepared just below
                )
            prepared = self._prepare_demo_sheet(cycle)
        self.stdout.write(
            f"Entretiens {year} ({french.long_date(cycle.opens_on)} – "
            f"{french.long_date(cycle.closes_on)}) : "
            f"{cycle.reviews.count()} fiches"
            f"{' ; fiche de l’agent de démonstration préparée' if prepared else ''}."
        )

    def _prepare_demo_sheet(self, cycle) -> bool:
        review = Review.objects.filter(cycle=cycle, agent__user__email="agent@demo.gouv.fr").first()
        if review is None or review.state != ReviewState.TO_PREPARE or review.manager is None:
            return False
        manager = review.manager.user
        if manager is None:
            return False
        review_save(
            review=review,
            by=manager,
            acquired_skills=(
                "Recherche d'information et gestion des données au niveau attendu ; "
                "bonne maîtrise des outils collaboratifs du service."
            ),
            training_needs="Sécurité numérique (4.1) : encore un niveau à gagner.",
            trainings_wanted="Parcours e-learning « Cybersécurité : les réflexes au quotidien ».",
            prospects="Référente numérique de l'équipe à moyen terme.",
            cpf_informed=True,
            manager_comment="Belle progression cette année, à poursuivre sur la sécurité.",
            objectives={Competence.objects.get(code="4.1"): 3},
        )
        review_mark_prepared(review=review, by=manager)
        return True
