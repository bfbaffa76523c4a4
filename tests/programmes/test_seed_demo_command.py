"""The seed_demo command before any demo exists: a dry run writes nothing, and it refuses to
run outside a demo or development. Apart from tests/programmes/test_seed_demo.py, whose tests
share one seeded demo."""

import pytest
from django.core.management import CommandError

from agents.models import Agent, User
from campaigns.models import ResultImport
from tests.programmes.test_seed_demo import seed, stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_dry_run_writes_nothing(media):
    output = seed("--dry-run")
    assert "rien n'a été enregistré" in output
    assert not Agent.objects.exists()
    assert not User.objects.exists()
    assert not ResultImport.objects.exists()
    assert stored_files(media) == []


def test_refuses_to_run_outside_a_demo_or_development(settings, monkeypatch):
    settings.DEBUG = False
    settings.TESTING = False
    monkeypatch.delenv("DJANGO_DEMO", raising=False)
    with pytest.raises(CommandError, match="DJANGO_DEMO"):
        seed()
    assert not User.objects.exists()
