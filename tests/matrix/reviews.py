"""URL x role expectations of the reviews pages, merged into tests/test_url_matrix.py."""

# name -> (kwargs builder, expected status per role); see tests/test_url_matrix.py
APP_MATRIX = {}
# (name, kwargs builder) of objects outside every non-staff role's scope: 404 expected
IDOR_MATRIX = []


# --- Outputs of a sheet (PDF, text for ESTEVE): whoever reads the sheet (its agent, its
# manager line, staff); the owners and the ambassadors, of either programme, do not: 404.
def _outputs_review(cast, programme, agent):
    """The agent's review in the programme's 2026 cycle, shared with other matrix entries."""
    import datetime

    from reviews.models import Review, ReviewCycle

    cycle, _created = ReviewCycle.objects.get_or_create(
        programme=programme,
        year=2026,
        defaults={"opens_on": datetime.date(2026, 10, 1), "closes_on": datetime.date(2026, 12, 31)},
    )
    review, _created = Review.objects.get_or_create(
        cycle=cycle, agent=agent, defaults={"manager": agent.manager, "state": "prepared"}
    )  # prepared: the agent reads their sheet (and its outputs) from then on
    return review


def _outputs_kwargs(cast):
    return {"pk": _outputs_review(cast, cast.programme, cast.agent_agent).pk}


def _outputs_other_kwargs(cast):
    other = cast.other_population
    return {"pk": _outputs_review(cast, other.programme, cast.stranger_agent).pk}


_OUTPUT_READERS = {
    "anonymous": 302,
    "owner": 404,
    "ambassador": 404,
    "manager": 200,
    "agent": 200,
    "outsider": 404,
    "staff": 200,
    "other_owner": 404,
    "other_ambassador": 404,
    "single_ambassador": 404,
}
APP_MATRIX.update(
    {
        "reviews:review_pdf": (_outputs_kwargs, _OUTPUT_READERS),
        "reviews:review_text": (_outputs_kwargs, _OUTPUT_READERS),
    }
)
IDOR_MATRIX.extend(
    [
        ("reviews:review_pdf", _outputs_other_kwargs),
        ("reviews:review_text", _outputs_other_kwargs),
    ]
)


# --- Cycles (the owner's pages): the programme's owners and staff; its ambassadors (of the
# programme or of any of its populations) see the programme (403), the others do not (404).
# The index of cycles answers every logged-in user.
def _cycle(cast, programme):
    """The programme's 2025 cycle (kept apart from the outputs' 2026 one)."""
    import datetime

    from reviews.models import ReviewCycle

    cycle, _created = ReviewCycle.objects.get_or_create(
        programme=programme,
        year=2025,
        defaults={"opens_on": datetime.date(2025, 10, 1), "closes_on": datetime.date(2025, 12, 31)},
    )
    return cycle


_CYCLE_OWNERS = {
    "anonymous": 302,
    "owner": 200,
    "ambassador": 403,
    "manager": 404,
    "agent": 404,
    "outsider": 404,
    "staff": 200,
    "other_owner": 404,
    "other_ambassador": 404,
    "single_ambassador": 403,
}
APP_MATRIX.update(
    {
        "reviews:cycle_index": (
            lambda c: {},
            dict.fromkeys(_CYCLE_OWNERS, 200) | {"anonymous": 302},
        ),
        "reviews:cycle_list": (lambda c: {"slug": c.programme.slug}, _CYCLE_OWNERS),
        "reviews:cycle_detail": (lambda c: {"pk": _cycle(c, c.programme).pk}, _CYCLE_OWNERS),
        # POST only: a GET is refused before anything else.
        "reviews:cycle_sync": (
            lambda c: {"pk": _cycle(c, c.programme).pk},
            dict.fromkeys(_CYCLE_OWNERS, 405) | {"anonymous": 302},
        ),
    }
)
IDOR_MATRIX.extend(
    [
        ("reviews:cycle_list", lambda c: {"slug": c.other_population.programme.slug}),
        ("reviews:cycle_detail", lambda c: {"pk": _cycle(c, c.other_population.programme).pk}),
        ("reviews:cycle_detail", lambda c: {"pk": 999999}),
    ]
)


# --- The sheet (reviews/urls_sheet.py): read by its agent, its manager line and staff; the
# owner, the ambassador and the outsider get 404. The manager's list of a cycle is for the
# managers who lead reviews in it (and staff). Transitions are POST only.
def _sheet_version_kwargs(cast, programme=None, agent=None):
    from reviews.models import ReviewVersion

    review = _outputs_review(cast, programme or cast.programme, agent or cast.agent_agent)
    ReviewVersion.objects.get_or_create(
        review=review, number=1, defaults={"reason": "Partagée avec l'agent", "content": {}}
    )
    return {"pk": review.pk, "number": 1}


def _sheet_other_version_kwargs(cast):
    return _sheet_version_kwargs(cast, cast.other_population.programme, cast.stranger_agent)


def _sheet_cycle_kwargs(cast, programme=None, agent=None):
    review = _outputs_review(cast, programme or cast.programme, agent or cast.agent_agent)
    return {"pk": review.cycle_id}


_SHEET_POST_ONLY = dict.fromkeys(_OUTPUT_READERS, 405) | {"anonymous": 302}
APP_MATRIX.update(
    {
        "reviews:cycle_team": (
            _sheet_cycle_kwargs,
            dict.fromkeys(_OUTPUT_READERS, 404) | {"anonymous": 302, "manager": 200, "staff": 200},
        ),
        "reviews:my_reviews": (
            lambda c: {},
            dict.fromkeys(_OUTPUT_READERS, 200) | {"anonymous": 302},
        ),
        "reviews:review_detail": (_outputs_kwargs, _OUTPUT_READERS),
        "reviews:review_version": (_sheet_version_kwargs, _OUTPUT_READERS),
        **{
            f"reviews:{name}": (_outputs_kwargs, _SHEET_POST_ONLY)
            for name in (
                "review_mark_prepared",
                "review_agent_comment",
                "review_share",
                "review_addendum",
                "review_hold",
                "review_close",
            )
        },
    }
)
IDOR_MATRIX.extend(
    [
        ("reviews:review_detail", _outputs_other_kwargs),
        ("reviews:review_detail", lambda c: {"pk": 999999}),
        ("reviews:review_version", _sheet_other_version_kwargs),
        ("reviews:review_version", lambda c: {**_sheet_version_kwargs(c), "number": 99}),
        (
            "reviews:cycle_team",
            lambda c: _sheet_cycle_kwargs(c, c.other_population.programme, c.stranger_agent),
        ),
    ]
)
