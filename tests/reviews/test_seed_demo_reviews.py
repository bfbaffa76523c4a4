"""The demo's reviews: the 2026 cycle, and the demo agent's sheet prepared by their manager."""

import io

import pytest
from django.core.management import CommandError, call_command

from reviews.models import Review, ReviewCycle, ReviewState


def _run(name):
    out = io.StringIO()
    call_command(name, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_demo_reviews_need_the_demo_programme():
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("seed_demo_reviews")


@pytest.mark.django_db
def test_demo_cycle_is_opened_once_with_the_demo_agent_sheet_prepared(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    _run("seed_demo")
    first = _run("seed_demo_reviews")
    assert "préparée" in first
    cycle = ReviewCycle.objects.get()
    sheet = Review.objects.get(cycle=cycle, agent__user__email="agent@demo.gouv.fr")
    assert sheet.state == ReviewState.PREPARED
    assert sheet.manager.user.email == "encadrant@demo.gouv.fr"
    assert [(o.competence.code, o.level) for o in sheet.objectives.all()] == [("4.1", 3)]
    count = Review.objects.count()
    assert "préparée" not in _run("seed_demo_reviews")
    assert (ReviewCycle.objects.count(), Review.objects.count()) == (1, count)
