"""Factories and helpers for the import tests: rows made directly, and Pix exports made by
`campaigns.pix_writer` in Pix's exact format, imported through the real services."""

import hashlib
import io
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import factory
import pytest
from django.utils import timezone

from campaigns import services
from campaigns.enums import CampaignKind, ImportStatus, MatchStatus, ParticipationStatus
from campaigns.models import (
    Campaign,
    Competence,
    CompetenceResult,
    Participation,
    ParticipationSnapshot,
    ResultImport,
)
from campaigns.pix_writer import (
    ALL_COMPETENCE_CODES,
    KIND_ASSESSMENT,
    KIND_PROFILES,
    PixCampaign,
    PixParticipant,
    PixResult,
    export_bytes,
    export_filename,
)
from programmes.models import ProgrammeImport

DATA = Path(__file__).parent / "data"
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def media_root(settings, tmp_path):
    """Stored exports land in a temporary directory, never in the project's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


# Rows made directly.


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    pix_id = factory.Sequence(lambda n: 70000 + n)
    code = factory.Sequence(lambda n: f"CAMP{n:04d}")
    name = factory.Sequence(lambda n: f"Collecte de profils {n}")
    kind = CampaignKind.PROFILES_COLLECTION

    class Params:
        assessment = factory.Trait(kind=CampaignKind.ASSESSMENT, target_profile="Parcours socle")
        exam = factory.Trait(kind=CampaignKind.EXAM, target_profile="Parcours socle")


class ResultImportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResultImport

    campaign = factory.SubFactory(CampaignFactory)
    original_name = factory.Sequence(lambda n: f"Resultats-Collecte-{n}.csv")
    sha256 = factory.Sequence(lambda n: hashlib.sha256(f"file-{n}".encode()).hexdigest())
    uploaded_at = factory.LazyFunction(timezone.now)
    file = factory.django.FileField(filename="Resultats.csv", data=b"-")
    status = ImportStatus.DONE


class ParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participation

    campaign = factory.SubFactory(CampaignFactory)
    participant_last_name = factory.Faker("last_name", locale="fr_FR")
    participant_first_name = factory.Faker("first_name", locale="fr_FR")
    participant_external_id = factory.Sequence(lambda n: f"P{n:05d}")
    participant_key = factory.LazyAttribute(lambda o: f"ext:{o.participant_external_id.lower()}")
    row_key = "open"
    status = ParticipationStatus.STARTED
    first_import = factory.SubFactory(
        ResultImportFactory, campaign=factory.SelfAttribute("..campaign")
    )
    last_import = factory.SelfAttribute("first_import")
    last_progress_at = factory.LazyFunction(timezone.now)
    match_status = MatchStatus.UNMATCHED


class CompetenceResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompetenceResult

    participation = factory.SubFactory(ParticipationFactory)
    result_import = factory.SelfAttribute("participation.last_import")
    competence = factory.LazyFunction(lambda: Competence.objects.get(code="1.1"))
    observed_at = factory.LazyFunction(timezone.now)
    level = 2
    pix = 17


# Exports made to Pix's rules.


def profiles_campaign(**kwargs) -> PixCampaign:
    values = {
        "pix_id": 91001,
        "name": "Collecte de profils test",
        "kind": KIND_PROFILES,
        "code": "COLTEST01",
        "organisation_name": "DR Test",
        "external_id_label": "Matricule",
    }
    return PixCampaign(**{**values, **kwargs})


def assessment_campaign(**kwargs) -> PixCampaign:
    values = {
        "pix_id": 92001,
        "name": "Évaluation test",
        "kind": KIND_ASSESSMENT,
        "code": "EVATEST01",
        "organisation_name": "DR Test",
        "target_profile": "Parcours socle FPE",
        "external_id_label": "Matricule",
        "competence_codes": ("1.1", "2.1", "4.1"),
    }
    return PixCampaign(**{**values, **kwargs})


def levels(*pairs) -> tuple[PixResult, ...]:
    """Profiles results: (level, pix) per competence in code order; the rest at level 1."""
    results = []
    for index, code in enumerate(ALL_COMPETENCE_CODES):
        level, pix = pairs[index] if index < len(pairs) else (1, 9)
        results.append(PixResult(code, level=level, pix=pix))
    return tuple(results)


def sent(last_name, first_name, external_id=None, *, at, results=None, **kwargs):
    """A profiles-collection row, sent at `at`."""
    return PixParticipant(
        last_name=last_name,
        first_name=first_name,
        external_id=external_id,
        shared=True,
        shared_at=at,
        results=results if results is not None else levels(),
        **kwargs,
    )


def not_sent(last_name, first_name, external_id=None, **kwargs):
    return PixParticipant(
        last_name=last_name, first_name=first_name, external_id=external_id, **kwargs
    )


def assessed(last_name, first_name, external_id=None, *, started, shared=None, **kwargs):
    """An assessment row started at `started`, shared at `shared` (None: not shared)."""
    if shared is not None:
        kwargs.setdefault(
            "results",
            (
                PixResult("1.1", skills_total=10, skills_validated=7),
                PixResult("2.1", skills_total=8, skills_validated=2),
                PixResult("4.1", skills_total=12, skills_validated=12),
            ),
        )
        kwargs.setdefault("progression", Decimal(1))
    else:
        kwargs.setdefault("progression", Decimal("0.5"))
    return PixParticipant(
        last_name=last_name,
        first_name=first_name,
        external_id=external_id,
        started_at=started,
        shared=shared is not None,
        shared_at=shared,
        **kwargs,
    )


def export(campaign: PixCampaign, participants, exported_at=None) -> tuple[bytes, str]:
    """(content, Pix's file name) of an export."""
    exported_at = exported_at or paris(2026, 4, 20, 9, 30)
    return export_bytes(campaign, participants), export_filename(campaign, exported_at)


# Imports through the services.


def upload(content: bytes, name: str = "Resultats.csv", *, user=None, programme=None):
    result_import = services.import_create(
        fileobj=io.BytesIO(content), original_name=name, uploaded_by=user
    )
    if programme is not None:
        ProgrammeImport.objects.create(programme=programme, result_import=result_import)
    return result_import


def analysed(content: bytes, name: str = "Resultats.csv", **kwargs) -> ResultImport:
    result_import = upload(content, name, **kwargs)
    return services.import_analyse(result_import_id=result_import.pk)


def imported(content: bytes, name: str = "Resultats.csv", **kwargs) -> ResultImport:
    """Upload, analyse and import, as an ambassador's confirmation does."""
    result_import = upload(content, name, **kwargs)
    services.import_analyse(result_import_id=result_import.pk)
    return services.import_run(result_import_id=result_import.pk)


def table_counts() -> dict[str, int]:
    """Rows of every table an import writes to."""
    return {
        model.__name__: model.objects.count()
        for model in (
            Campaign,
            ResultImport,
            Participation,
            ParticipationSnapshot,
            CompetenceResult,
            ProgrammeImport,
        )
    }
