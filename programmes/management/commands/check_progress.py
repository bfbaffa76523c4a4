"""Hold the stored progress state of every enrolment to the live engine (programmes/status.py),
and each population's tally to its enrolments (programmes/tally.py): report any drift, and
with --fix recompute what drifted. The nightly job runs
it with --fix."""

from django.core.management.base import BaseCommand, CommandError

from lib import french
from programmes import progress
from programmes.models import Programme


class Command(BaseCommand):
    help = (
        "Compare l'état d'avancement enregistré de chaque inscription avec le calcul complet "
        "(programmes/status.py), et les décomptes des populations avec leurs inscriptions ; "
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
        if not fix and (result.drifted or result.tally_drifted):
            raise CommandError("L'état enregistré diffère du calcul : relancez avec --fix.")
