"""The figures refresh reads the stored progress state (issue 18): each kind of target counts
who contributes and who meets it as the live engine would, and participants nobody matched
count for nobody."""

from django.utils import timezone

from programmes.steering import stats
from tests.programmes.steering.test_refresh_cost import add_unmatched, followed  # noqa: F401


def test_each_kind_of_target_counts_its_contributors_and_who_met_it(cast, followed):  # noqa: F811
    for campaign in followed:
        add_unmatched(campaign, 20, start=0)  # they would meet every target

    figures = stats.population_figures(cast.population, timezone.localdate())

    per_target = figures["per_target"]
    level = per_target["1.1"]
    assert (level["met"], level["contributors"], level["set"]) == (4, 4, 6)
    assert level["levels"] == [0, 0, 0, 4, 0, 0, 0, 0, 0]
    [rate] = [entry for key, entry in per_target.items() if entry["kind"] == "mastery_rate"]
    assert (rate["met"], rate["contributors"], rate["target"]) == (4, 4, 0.5)
    # Stages 2, 2, 1 and 3 against a target of 2: four contributors, three met it.
    [stage] = [entry for key, entry in per_target.items() if entry["kind"] == "stage"]
    assert (stage["met"], stage["contributors"]) == (3, 4)
    assert (figures["enrolled"], figures["started"], figures["shared"]) == (6, 4, 4)
    assert figures["one_target_met"] == 4
