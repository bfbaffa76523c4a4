"""The projection of the share at target: pure, from dated shares to a `Projection`."""

from datetime import date, timedelta

from django.utils import translation

from programmes.steering.projection import change_text, project, projection_text

TODAY = date(2026, 12, 6)
DEADLINE = date(2026, 12, 31)


def monthly(*shares, last=TODAY):
    """One share a month (30 days apart), the last one on `last`."""
    count = len(shares)
    return [(last - timedelta(days=30 * (count - 1 - i)), share) for i, share in enumerate(shares)]


def french(projection):
    with translation.override("fr"):
        return projection_text(projection)


def test_rising_share_is_carried_to_the_deadline_and_dated_at_the_target():
    # +3 points a month (0.1 a day), 50 % today: 25 days to the deadline, then 300 days to 80 %.
    projection = project(monthly(41, 44, 47, 50), target_share=80, deadline=DEADLINE, today=TODAY)
    assert projection.measurable and projection.rising
    assert round(projection.per_month, 6) == 3
    assert round(projection.at_deadline, 6) == 52.5
    assert projection.reach_month == date(2027, 10, 1)  # 6 Dec 2026 + 300 days = 2 Oct 2027
    assert french(projection) == (
        "Au rythme actuel : 52\u202f% au 31 décembre 2026 ; 80\u202f% atteint en octobre 2027."
    )


def test_only_the_last_three_months_set_the_pace():
    # A fast start long ago, then +1.5 points a month: the old points do not count.
    points = monthly(0, 30, 45, 46.5, 48, 49.5)
    projection = project(points, target_share=80, deadline=DEADLINE, today=TODAY)
    assert round(projection.per_month, 6) == 1.5


def test_flat_share_keeps_its_value_and_gives_no_reach_date():
    projection = project(monthly(5, 5, 5, 5), target_share=80, deadline=DEADLINE, today=TODAY)
    assert projection.measurable and not projection.rising
    assert projection.at_deadline == 5
    assert projection.reach_month is None
    assert french(projection) == (
        "Au rythme actuel : 5\u202f% au 31 décembre 2026 ; 80\u202f% jamais atteint "
        "(progression nulle ou en baisse)."
    )


def test_falling_share_is_projected_down_never_below_zero():
    projection = project(
        monthly(9, 6, 3, 1), target_share=80, deadline=date(2027, 12, 31), today=TODAY
    )
    assert projection.per_day < 0
    assert projection.at_deadline == 0
    assert projection.reach_month is None


def test_too_few_points_give_no_measurable_trend():
    one = project([(TODAY, 40)], target_share=80, deadline=DEADLINE, today=TODAY)
    close = project(
        [(TODAY - timedelta(days=10), 30), (TODAY, 40)],
        target_share=80,
        deadline=DEADLINE,
        today=TODAY,
    )
    withheld = project(
        [(TODAY - timedelta(days=60), None), (TODAY, 40)],
        target_share=80,
        deadline=DEADLINE,
        today=TODAY,
    )
    for projection in (one, close, withheld):
        assert not projection.measurable
        assert projection.current == 40
        assert projection.at_deadline is None and projection.reach_month is None
        assert "Pas de tendance mesurable" in french(projection)
    empty = project([], target_share=80, deadline=DEADLINE, today=TODAY)
    assert empty.current is None and "pas de tendance mesurable" in french(empty)


def test_target_already_reached_says_so():
    projection = project(monthly(70, 78, 85), target_share=80, deadline=DEADLINE, today=TODAY)
    assert projection.reached
    assert projection.reach_month is None
    assert french(projection) == "Part visée de 80\u202f% atteinte : 85\u202f% aujourd’hui."


def test_deadline_passed_gives_no_share_at_deadline_but_still_a_reach_month():
    projection = project(
        monthly(41, 44, 47, 50), target_share=80, deadline=date(2026, 6, 30), today=TODAY
    )
    assert projection.deadline_passed
    assert projection.at_deadline is None
    assert projection.reach_month == date(2027, 10, 1)
    assert french(projection) == (
        "Échéance du 30 juin 2026 passée ; au rythme actuel : 80\u202f% atteint en octobre 2027."
    )


def test_no_deadline_still_dates_the_target():
    projection = project(monthly(41, 44, 47, 50), target_share=80, deadline=None, today=TODAY)
    assert projection.at_deadline is None
    assert french(projection) == (
        "Au rythme actuel (sans échéance fixée) : 80\u202f% atteint en octobre 2027."
    )


def test_very_slow_pace_is_not_dated():
    projection = project(monthly(1, 1.2, 1.4), target_share=80, deadline=DEADLINE, today=TODAY)
    assert projection.rising and projection.reach_month is None
    assert "pas atteint dans les dix ans" in french(projection)


def test_change_reads_as_signed_points_between_rounded_shares():
    with translation.override("fr"):
        assert change_text(56.4, 62.2) == "+6\u00a0pts"
        assert change_text(7.4, 5.2) == "\u22122\u00a0pts"
        assert change_text(5.2, 4.9) == "="
        assert change_text(None, 4.9) is None
