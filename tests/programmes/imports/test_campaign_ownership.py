"""A Pix campaign belongs to the programme into which its results were first imported: an
export of that campaign uploaded for another programme is refused and changes nothing, at the
preview and again when the import runs, unless the owners of both programmes (or staff)
agreed to share the campaign."""

from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agents.models import Agent
from campaigns.enums import ImportStatus
from campaigns.models import (
    Campaign,
    CompetenceResult,
    Participation,
    ParticipationSnapshot,
    ResultImport,
)
from programmes import perms
from programmes.imports import selectors as import_selectors
from programmes.imports import services
from programmes.models import CampaignOwnership, CampaignShare
from tests.agents.factories import AgentFactory, UserFactory
from tests.programmes.factories import EnrolmentFactory, ProgrammeFactory, TargetPopulationFactory
from tests.programmes.import_factories import media_root  # noqa: F401 - fixture

DATA = Path(__file__).parents[2] / "campaigns" / "data"
SAMPLE = (DATA / "profiles-collection.csv").read_bytes()
SAMPLE_NAME = "Resultats-Collecte de profils 2026-90001-2026-04-07-0930.csv"
REFUSAL = "appartient à un autre programme"


@pytest.fixture(autouse=True)
def _uploads_in_tmp(media_root):  # noqa: F811 - the fixture imported above
    return media_root


def one_row(last_name="Robert", external_id="A1000", levels="7"):
    """A crafted one-row export of campaign 90001: the agent at level `levels` in 1.1."""
    lines = SAMPLE.decode("utf-8-sig").splitlines()
    row = next(line for line in lines[1:] if f'"{external_id}"' in line)
    cells = row.split(";")
    cells[4] = f'"{last_name}"'
    cells[12] = levels
    return ("\ufeff" + lines[0] + "\n" + ";".join(cells) + "\n").encode()


@pytest.fixture
def other(cast):
    """Programme B: its own owner and ambassador; the cast's agent enrolled in its population
    (an ambassador may enrol any agent)."""
    owner_b, ambassador_b = UserFactory(), UserFactory()
    programme = ProgrammeFactory(owners=[owner_b], slug="programme-b")
    population = TargetPopulationFactory(programme=programme, ambassadors=[ambassador_b])
    EnrolmentFactory(agent=cast.agent_agent, population=population)
    return type("B", (), {"programme": programme, "owner": owner_b, "ambassador": ambassador_b})


def _url(name, programme, **kwargs):
    return reverse(f"programmes:{name}", kwargs={"slug": programme.slug, **kwargs})


def _upload(client, user, programme, content=SAMPLE, name=SAMPLE_NAME):
    client.force_login(user)
    response = client.post(
        _url("import_upload", programme),
        {"file": SimpleUploadedFile(name, content, content_type="text/csv")},
    )
    return ResultImport.objects.order_by("-pk").first(), response


def _confirm(client, user, programme, result_import):
    client.force_login(user)
    return client.post(_url("import_confirm", programme, import_id=result_import.pk))


def _robert():
    return Agent.objects.filter(external_id="A1000").first() or AgentFactory(
        last_name="Robert", first_name="Jean-Baptiste", external_id="A1000"
    )


def _imported_by_a(client, cast):
    """Programme A (the cast's) imports the sample: campaign 90001 is A's."""
    _robert()
    result_import, _ = _upload(client, cast.ambassador, cast.programme)
    _confirm(client, cast.ambassador, cast.programme, result_import)
    result_import.refresh_from_db()
    assert result_import.status == ImportStatus.DONE
    return Campaign.objects.get(pix_id=90001)


def _written():
    return (
        Participation.objects.count(),
        CompetenceResult.objects.count(),
        ParticipationSnapshot.objects.count(),
        list(Participation.objects.order_by("pk").values_list("agent_id", "match_status")),
    )


def test_the_first_import_makes_the_campaign_the_programmes(client, cast):
    campaign = _imported_by_a(client, cast)

    assert CampaignOwnership.objects.get(campaign=campaign).programme == cast.programme
    assert list(campaign.programmes.all()) == [cast.programme]


def test_another_programmes_campaign_is_refused_at_the_preview_and_changes_nothing(
    client, cast, other
):
    campaign = _imported_by_a(client, cast)
    before = _written()

    result_import, response = _upload(
        client, other.ambassador, other.programme, one_row(levels="7"), "crafted.csv"
    )

    assert result_import.status == ImportStatus.REFUSED
    assert any(REFUSAL in error["message"] for error in result_import.errors)
    html = client.get(response.url).content.decode()
    assert REFUSAL in html
    assert "Confirmer l’import" not in html
    # A forged confirmation does not get through either.
    _confirm(client, other.ambassador, other.programme, result_import)
    result_import.refresh_from_db()
    assert result_import.status == ImportStatus.REFUSED
    assert _written() == before
    assert not other.programme.campaigns.exists()
    assert list(campaign.programmes.all()) == [cast.programme]
    assert not import_selectors.participations_to_match(other.programme).exists()


def test_the_check_runs_again_when_the_import_runs(client, cast, other):
    """B previews first, while the campaign is nobody's; A imports it; B's confirmation then
    finds it A's and is refused, writing nothing."""
    _robert()
    previewed, _ = _upload(client, other.ambassador, other.programme, one_row(), "b.csv")
    assert previewed.status == ImportStatus.READY
    campaign = _imported_by_a(client, cast)
    before = _written()

    _confirm(client, other.ambassador, other.programme, previewed)

    previewed.refresh_from_db()
    assert previewed.status == ImportStatus.REFUSED
    assert any(REFUSAL in error["message"] for error in previewed.errors)
    assert _written() == before
    assert not other.programme.campaigns.exists()
    assert CampaignOwnership.objects.get(campaign=campaign).programme == cast.programme


def test_the_same_file_uploaded_for_another_programme_is_refused(client, cast, other):
    _imported_by_a(client, cast)

    result_import, _ = _upload(client, other.owner, other.programme)

    assert result_import.status == ImportStatus.REFUSED
    assert any(REFUSAL in error["message"] for error in result_import.errors)
    assert not other.programme.campaigns.exists()


def test_nobody_of_the_other_programme_sees_the_agents_results(client, cast, other):
    # The page looked at is the cast's agent's: a name of their own that cannot contain
    # « Robert » (Faker once drew « Robert GUIBERT »), so that the check below looks only
    # for the crafted participant's.
    Agent.objects.filter(pk=cast.agent_agent.pk).update(first_name="Camille", last_name="Durand")
    _imported_by_a(client, cast)
    _upload(client, other.ambassador, other.programme, one_row(levels="7"), "crafted.csv")

    for user in (other.owner, other.ambassador):
        client.force_login(user)
        page = client.get(reverse("programmes:agent_detail", args=[cast.agent_agent.pk]))
        assert page.status_code in (200, 404)
        assert "Robert" not in page.content.decode() or page.status_code == 404
    assert not Participation.objects.filter(campaign__programmes=other.programme).exists()


# --- Sharing -----------------------------------------------------------------------------------


def test_an_owner_of_both_programmes_shares_the_campaign_and_the_other_may_then_import(
    client, cast, other
):
    campaign = _imported_by_a(client, cast)
    other.programme.owners.add(cast.owner)

    services.campaign_share(campaign=campaign, programme=other.programme, by=cast.owner)

    assert other.programme.campaigns.filter(pk=campaign.pk).exists()
    share = CampaignShare.objects.get(campaign=campaign, programme=other.programme)
    assert share.shared_by == cast.owner
    assert CampaignOwnership.objects.get(campaign=campaign).programme == cast.programme
    result_import, _ = _upload(client, other.ambassador, other.programme, one_row(), "b.csv")
    assert result_import.status == ImportStatus.READY


def test_sharing_is_refused_to_whoever_does_not_own_both(cast, other):
    campaign = Campaign.objects.create(pix_id=90001, name="C", kind="profiles_collection")
    CampaignOwnership.objects.create(campaign=campaign, programme=cast.programme)

    with pytest.raises(PermissionDenied):
        services.campaign_share(campaign=campaign, programme=other.programme, by=cast.owner)
    assert not other.programme.campaigns.exists()


@pytest.mark.parametrize(
    "who,allowed",
    [
        ("staff", True),
        ("owner_of_both", True),
        ("owner_of_a", False),
        ("owner_of_b", False),
        ("ambassador_of_a", False),
    ],
)
def test_who_may_share_a_campaign(cast, other, who, allowed):
    campaign = Campaign.objects.create(pix_id=90001, name="C", kind="profiles_collection")
    CampaignOwnership.objects.create(campaign=campaign, programme=cast.programme)
    both = UserFactory()
    cast.programme.owners.add(both)
    other.programme.owners.add(both)
    user = {
        "staff": cast.staff,
        "owner_of_both": both,
        "owner_of_a": cast.owner,
        "owner_of_b": other.owner,
        "ambassador_of_a": cast.ambassador,
    }[who]

    assert perms.can_share_campaign(user, campaign, other.programme) is allowed


# --- Campaigns followed before the rule --------------------------------------------------------


def test_the_data_migration_gives_each_followed_campaign_its_first_importer(cast, other):
    """The programme of the earliest DONE import owns the campaign; other programmes that
    followed it keep doing so, as shares agreed by nobody (for staff to review)."""
    import importlib

    from django.apps import apps

    from tests.programmes.import_factories import programme_import

    fill_owners = importlib.import_module(
        "programmes.migrations.0012_campaign_owners_from_imports"
    ).fill_owners
    first = programme_import(other.programme)  # DONE, campaign followed by B
    programme_import(cast.programme, campaign=first.campaign)
    first.uploaded_at = first.uploaded_at.replace(year=2020)
    first.save()
    only_followed = Campaign.objects.create(pix_id=123, name="Suivie", kind="assessment")
    cast.programme.campaigns.add(only_followed)

    fill_owners(apps, None)
    fill_owners(apps, None)  # twice: nothing more

    assert CampaignOwnership.objects.get(campaign=first.campaign).programme == other.programme
    share = CampaignShare.objects.get(campaign=first.campaign)
    assert (share.programme, share.shared_by) == (cast.programme, None)
    assert CampaignOwnership.objects.get(campaign=only_followed).programme == cast.programme
    assert CampaignShare.objects.count() == 1
