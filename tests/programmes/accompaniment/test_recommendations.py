"""Recommendation ranking (programmes/recommendations.py): pure functions, no database."""

import pytest

from programmes.accompaniment.resources.recommendations import (
    LIMIT,
    Candidate,
    Gap,
    find_gaps,
    fits,
    recommend,
)

C11, C12, C21, C31 = 11, 12, 21, 31


def candidate(id, title=None, competences=(C11,), levels=(1, 8), **kwargs):
    return Candidate(
        id=id,
        title=title or f"Ressource {id}",
        competence_ids=frozenset(competences),
        level_min=levels[0],
        level_max=levels[1],
        **kwargs,
    )


def ids(recommendations):
    return [r.candidate.id for r in recommendations]


# --- gaps ----------------------------------------------------------------------------------


def test_a_competence_below_its_target_is_a_gap():
    assert find_gaps({C11: 3}, {C11: 2}) == [Gap(C11, 2, 3)]


def test_no_result_counts_as_level_zero():
    assert find_gaps({C11: 3, C12: 2}, {C12: None}) == [Gap(C11, 0, 3), Gap(C12, 0, 2)]


def test_a_competence_at_or_above_its_target_is_no_gap():
    assert find_gaps({C11: 3, C12: 3}, {C11: 3, C12: 5}) == []


def test_gaps_keep_the_order_of_the_targets():
    gaps = find_gaps({C31: 2, C11: 4, C21: 1}, {})
    assert [gap.competence_id for gap in gaps] == [C31, C11, C21]


def test_the_next_level_is_one_above_the_current_one():
    assert Gap(C11, 0, 3).next_level == 1
    assert Gap(C11, 2, 3).next_level == 3


# --- fitting -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "levels,expected",
    [
        ((1, 2), False),  # below: the agent is already at 2
        ((3, 3), True),  # exactly the next level
        ((4, 5), True),  # above the next level, within the target
        ((5, 5), True),  # the target itself
        ((6, 8), False),  # beyond the target
        ((1, 8), True),  # wide
    ],
)
def test_a_resource_fits_when_its_range_overlaps_next_level_to_target(levels, expected):
    assert fits(candidate(1, levels=levels), Gap(C11, 2, 5)) is expected


def test_a_resource_on_another_competence_does_not_fit():
    assert not fits(candidate(1, competences=(C12,)), Gap(C11, 0, 3))


def test_a_retired_resource_does_not_fit():
    assert not fits(candidate(1, is_active=False), Gap(C11, 0, 3))


def test_without_gaps_nothing_is_recommended():
    assert recommend([], [candidate(1)]) == []


def test_resources_that_fit_no_gap_are_left_out():
    gaps = [Gap(C11, 2, 4)]
    candidates = [
        candidate(1, competences=(C12,)),
        candidate(2, levels=(1, 2)),
        candidate(3, levels=(5, 8)),
        candidate(4, levels=(3, 4)),
        candidate(5, is_active=False),
    ]
    assert ids(recommend(gaps, candidates)) == [4]


# --- ranking -------------------------------------------------------------------------------


def test_a_range_containing_the_next_level_comes_before_one_that_does_not():
    gaps = [Gap(C11, 1, 4)]  # next level 2
    later = candidate(1, "A", levels=(3, 4), usefulness=10, duration_minutes=5)
    next_level = candidate(2, "Z", levels=(2, 2))
    assert ids(recommend(gaps, [later, next_level])) == [2, 1]
    assert [r.covers_next_level for r in recommend(gaps, [later, next_level])] == [True, False]


def test_the_next_level_of_any_fitted_gap_counts():
    gaps = [Gap(C11, 3, 5), Gap(C12, 0, 2)]  # next levels 4 and 1
    on_c12_next = candidate(1, "Z", competences=(C12,), levels=(1, 1))
    on_c11_later = candidate(2, "A", competences=(C11,), levels=(5, 5), usefulness=3)
    assert ids(recommend(gaps, [on_c11_later, on_c12_next])) == [1, 2]


def test_among_next_level_resources_more_gap_competences_come_first():
    gaps = [Gap(C11, 0, 3), Gap(C12, 0, 3), Gap(C21, 0, 3)]
    one = candidate(1, "A", competences=(C11,), usefulness=5, duration_minutes=5)
    two = candidate(2, "B", competences=(C11, C12))
    three = candidate(3, "C", competences=(C11, C12, C21, C31))  # C31 is no gap: not counted
    ranked = recommend(gaps, [one, two, three])
    assert ids(ranked) == [3, 2, 1]
    assert [len(r.gaps) for r in ranked] == [3, 2, 1]


def test_competences_without_gap_do_not_count_as_covered():
    gaps = [Gap(C11, 0, 3)]
    broad = candidate(1, "A", competences=(C11, C12, C21), duration_minutes=60)
    narrow = candidate(2, "B", competences=(C11,), duration_minutes=30)
    assert ids(recommend(gaps, [broad, narrow])) == [2, 1]  # same coverage: shorter first


def test_next_level_wins_over_coverage():
    gaps = [Gap(C11, 2, 5), Gap(C12, 2, 5)]
    broad_later = candidate(1, "A", competences=(C11, C12), levels=(4, 5))
    narrow_next = candidate(2, "B", competences=(C11,), levels=(3, 3))
    assert ids(recommend(gaps, [broad_later, narrow_next])) == [2, 1]


def test_then_better_usefulness_first():
    gaps = [Gap(C11, 0, 3)]
    liked = candidate(1, "Z", usefulness=3, duration_minutes=120)
    neutral = candidate(2, "A", usefulness=0, duration_minutes=10)
    disliked = candidate(3, "B", usefulness=-2, duration_minutes=5)
    assert ids(recommend(gaps, [disliked, neutral, liked])) == [1, 2, 3]


def test_then_shorter_duration_first_and_unknown_duration_last():
    gaps = [Gap(C11, 0, 3)]
    unknown = candidate(1, "A", duration_minutes=None)
    long = candidate(2, "B", duration_minutes=90)
    short = candidate(3, "C", duration_minutes=15)
    assert ids(recommend(gaps, [unknown, long, short])) == [3, 2, 1]


def test_then_by_title_without_case_then_by_id():
    gaps = [Gap(C11, 0, 3)]
    ranked = recommend(
        gaps,
        [candidate(4, "beta"), candidate(2, "Alpha"), candidate(3, "alpha"), candidate(1, "Gamma")],
    )
    assert ids(ranked) == [2, 3, 4, 1]


def test_the_order_does_not_depend_on_the_input_order():
    gaps = [Gap(C11, 1, 4), Gap(C12, 0, 2)]
    candidates = [
        candidate(1, "A", competences=(C11,), levels=(3, 4)),
        candidate(2, "B", competences=(C11, C12), levels=(1, 2), usefulness=1),
        candidate(3, "C", competences=(C12,), levels=(1, 1), duration_minutes=20),
        candidate(4, "D", competences=(C11,), levels=(2, 2), duration_minutes=20),
        candidate(5, "E", competences=(C11,), levels=(2, 3), usefulness=2),
    ]
    expected = ids(recommend(gaps, candidates))
    assert expected == [2, 5, 3, 4, 1]
    assert ids(recommend(gaps, list(reversed(candidates)))) == expected


def test_the_gaps_a_resource_addresses_are_listed_in_the_gaps_order():
    gaps = [Gap(C21, 0, 2), Gap(C11, 0, 2), Gap(C12, 5, 6)]
    (only,) = recommend(gaps, [candidate(1, competences=(C11, C12, C21), levels=(1, 2))])
    assert [gap.competence_id for gap in only.gaps] == [C21, C11]  # C12 needs 6: no fit


# --- done resources and the limit ----------------------------------------------------------


def test_resources_the_agent_has_done_are_dropped():
    gaps = [Gap(C11, 0, 3)]
    done = candidate(1, "A", done=True, usefulness=10)
    other = candidate(2, "B")
    assert ids(recommend(gaps, [done, other])) == [2]


def test_resources_only_started_stay_ranked_as_the_others():
    gaps = [Gap(C11, 0, 3)]
    assert ids(recommend(gaps, [candidate(1, "B"), candidate(2, "A")])) == [2, 1]


def test_at_most_five_recommendations_the_best_ones():
    gaps = [Gap(C11, 0, 3)]
    candidates = [candidate(n, f"R{n:02}", duration_minutes=100 - n) for n in range(1, 9)]
    ranked = recommend(gaps, candidates)
    assert LIMIT == 5
    assert ids(ranked) == [8, 7, 6, 5, 4]


def test_the_limit_can_be_lifted():
    gaps = [Gap(C11, 0, 3)]
    candidates = [candidate(n) for n in range(1, 9)]
    assert len(recommend(gaps, candidates, limit=None)) == 8
