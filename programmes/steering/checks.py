"""Every stored state held to its live definition (`manage.py check_progress` and its
nightly task): the reminder holds, the earlier-population flags, the days of last
check-in, the progress state of each enrolment with the populations' tallies, the
check-ins' tally and the resources' use counters."""

from dataclasses import dataclass

from django.utils import timezone

from programmes import progress
from programmes.accompaniment.checkins import days as checkin_days
from programmes.accompaniment.checkins import tally as checkin_tally
from programmes.accompaniment.resources import services as resources_services
from programmes.models import Programme, Resource
from programmes.reminders import holds, siblings


@dataclass(frozen=True)
class Checks:
    holds: holds.Check
    earlier: siblings.Check
    checkin_days: checkin_days.Check
    progress: progress.Check
    checkin_tally: checkin_tally.Check
    resource_counts: list

    @property
    def drifted(self) -> bool:
        return bool(
            self.holds.drifted
            or self.earlier.drifted
            or self.checkin_days.drifted
            or self.progress.drifted
            or self.progress.tally_drifted
            or self.checkin_tally.drifted
            or self.resource_counts
        )


def checks_run(*, fix: bool, programme: Programme | None = None) -> Checks:
    """Run every check (of `programme`, or all), each drift logged as an error; with `fix`,
    what drifted is recomputed. The holds and the days of last check-in first: with `fix`,
    clearing the past ones moves tally rows that the progress check then merges."""
    today = timezone.localdate()
    hold_check = holds.check(day=today, fix=fix, programme=programme)
    earlier_check = siblings.check(fix=fix, programme=programme)
    days_check = checkin_days.check(today=today, fix=fix, programme=programme)
    result = progress.check(fix=fix, programme=programme)
    checkin_check = checkin_tally.check(fix=fix, programme=programme)
    resources = Resource.objects.all()
    if programme is not None:
        resources = resources.filter(programme=programme)
    counts = resources_services.use_counts_check(resources, fix=fix)
    return Checks(
        holds=hold_check,
        earlier=earlier_check,
        checkin_days=days_check,
        progress=result,
        checkin_tally=checkin_check,
        resource_counts=counts,
    )
