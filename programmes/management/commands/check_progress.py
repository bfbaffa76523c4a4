"""Hold the stored progress state of every enrolment to the live engine (programmes/status.py),
its stored reminder hold to the reminders and opt-outs (programmes/reminders/holds.py),
its earlier-population flag to the agent's enrolments (programmes/reminders/siblings.py),
its day of last check-in to the check-ins (programmes/accompaniment/checkins/days.py),
each population's tally to its enrolments (programmes/tally.py), the check-ins' tally to
the check-ins (programmes/accompaniment/checkins/tally.py) and each resource's use
counters to its uses (programmes/steering/checks.py): report any drift, and with --fix
recompute what drifted. The nightly job runs the same checks with --fix."""

from django.core.management.base import BaseCommand, CommandError

from lib import french
from programmes.models import Programme
from programmes.steering.checks import checks_run


class Command(BaseCommand):
    help = (
        "Compare l'état d'avancement enregistré de chaque inscription avec le calcul complet "
        "(programmes/status.py), les suspensions de relance avec les relances envoyées et les "
        "désabonnements, les derniers points d'étape vus avec les entretiens, "
        "les décomptes des populations avec leurs inscriptions, "
        "ceux des points d'étape avec leurs entretiens et "
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
        checks = checks_run(fix=fix, programme=chosen)
        result, hold_check, earlier_check = checks.progress, checks.holds, checks.earlier
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
        self._report(
            "Suspensions des relances",
            hold_check.drifted,
            lambda found: (
                f"inscription {found.enrolment_id} (agent {found.agent_id}) : "
                f"enregistré {found.stored or 'aucune'}, calculé {found.live or 'aucune'}"
            ),
            fix and f"{french.number(hold_check.fixed)} suspensions de relance recalculées.",
        )
        self._report(
            "Inscriptions dans une population précédente",
            earlier_check.drifted,
            lambda found: (
                f"inscription {found.enrolment_id} (agent {found.agent_id}) : "
                f"enregistré {'oui' if found.stored else 'non'}, "
                f"calculé {'non' if found.stored else 'oui'}"
            ),
            fix and f"{french.number(earlier_check.fixed)} inscriptions corrigées.",
        )
        self._report(
            "Derniers points d'étape vus",
            checks.checkin_days.drifted,
            lambda found: (
                f"inscription {found.enrolment_id} : enregistré {found.stored or 'aucun'}, "
                f"calculé {found.live or 'aucun'}"
            ),
            fix and f"{french.number(checks.checkin_days.fixed)} inscriptions corrigées.",
        )
        self._report(
            "Décomptes des populations",
            result.tally_drifted,
            lambda found: (
                f"population {found.population_id}, groupe {found.key} : "
                f"décompté {found.tallied}, compté {found.counted}"
            ),
            fix and "Décomptes des populations en écart refaits.",
        )
        self._report(
            "Décomptes des entretiens par point d'étape",
            checks.checkin_tally.drifted,
            lambda found: (
                f"point d'étape {found.milestone_id}, inscriptions du {found.start_date} "
                f"au {found.end_date} : décompté {found.tallied}, compté {found.counted}"
            ),
            fix and "Décomptes des points d'étape en écart refaits.",
        )
        self._report(
            "Décomptes des ressources",
            checks.resource_counts,
            lambda found: (
                f"ressource {found.resource_id} : enregistré {found.stored}, "
                f"compté {found.counted} (commencée, terminée, utile, pas utile)"
            ),
            fix and "Décomptes des ressources en écart refaits.",
        )
        if not fix and checks.drifted:
            raise CommandError("L'état enregistré diffère du calcul : relancez avec --fix.")

    def _report(self, heading, drifted, line, fixed):
        """How many drifted, the first 20 (`line` describes one), and `fixed` when given
        and something drifted."""
        self.stdout.write(f"{heading} : {french.number(len(drifted))} en écart.")
        for found in drifted[:20]:
            self.stdout.write(f"  {line(found)}")
        if fixed and drifted:
            self.stdout.write(fixed)
