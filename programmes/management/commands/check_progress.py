"""Hold the stored progress state of every enrolment to the live engine (programmes/status.py),
each population's tally to its enrolments (programmes/tally.py) and each resource's use
counters to its uses: report any drift, and with --fix recompute what drifted. The nightly
job runs it with --fix."""

from django.core.management.base import BaseCommand, CommandError

from lib import french
from programmes import progress
from programmes.accompaniment.resources import services as resources_services
from programmes.models import Programme, Resource


class Command(BaseCommand):
    help = (
        "Compare l'état d'avancement enregistré de chaque inscription avec le calcul complet "
        "(programmes/status.py), les décomptes des populations avec leurs inscriptions et "
        "ceux des ressources avec leurs suivis ; "
        "signale tout écart ; avec --fix, recalcule ce qui est en écart."
    )

    def add_arguments(self, parser):
        parser.add_argument("--programme", metavar="SLUG", help="Un seul programme.")
        parser.add_argument(
            "--fix", action="store_true", help="Recalcule les inscriptions en écart."
        )

    def handle(self, *args, programme=None, fix=False, **options):
        chosen = None
        if programme:
            chosen = Programme.objects.filter(slug=programme).first()
            if chosen is None:
                raise CommandError(f"Aucun programme « {programme} ».")
        result = progress.check(fix=fix, programme=chosen)
        self.stdout.write(
            f"{french.number(result.checked)} inscriptions vérifiées, "
            f"{french.number(len(result.drifted))} en écart."
        )
        for found in result.drifted[:20]:
            self.stdout.write(
                f"  inscription {found.enrolment_id} (population {found.population_id}) : "
                f"enregistré {found.stored}, calculé {found.live}"
            )
        if fix and result.drifted:
            self.stdout.write(f"{french.number(result.fixed)} inscriptions recalculées.")
        self.stdout.write(
            f"Décomptes des populations : {french.number(len(result.tally_drifted))} en écart."
        )
        for found in result.tally_drifted[:20]:
            self.stdout.write(
                f"  population {found.population_id}, groupe {found.key} : "
                f"décompté {found.tallied}, compté {found.counted}"
            )
        if fix and result.tally_drifted:
            self.stdout.write("Décomptes des populations en écart refaits.")
        resources = Resource.objects.all()
        if chosen is not None:
            resources = resources.filter(programme=chosen)
        counts_drifted = resources_services.use_counts_check(resources, fix=fix)
        self.stdout.write(
            f"Décomptes des ressources : {french.number(len(counts_drifted))} en écart."
        )
        for found in counts_drifted[:20]:
            self.stdout.write(
                f"  ressource {found.resource_id} : enregistré {found.stored}, "
                f"compté {found.counted} (commencée, terminée, utile, pas utile)"
            )
        if fix and counts_drifted:
            self.stdout.write("Décomptes des ressources en écart refaits.")
        if not fix and (result.drifted or result.tally_drifted or counts_drifted):
            raise CommandError("L'état enregistré diffère du calcul : relancez avec --fix.")
