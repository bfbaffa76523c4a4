"""The import services end to end: real Pix exports (the shared samples, and files made by
campaigns.pix_writer) through import_create, import_analyse and import_run."""

import hashlib
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns import services
from campaigns.enums import CampaignKind, ImportStatus, MatchStatus, ParticipationStatus
from campaigns.importing import persistence
from campaigns.models import (
    Campaign,
    Competence,
    CompetenceAlias,
    CompetenceResult,
    Participation,
    ParticipationSnapshot,
    ResultImport,
)
from campaigns.pix_writer import PixResult, in_pix_order, resave_like_spreadsheet
from tests.agents.factories import AgentFactory
from tests.campaigns.factories import (
    CampaignFactory,
    analysed,
    assessed,
    assessment_campaign,
    export,
    imported,
    levels,
    media_root,  # noqa: F401 - fixture
    not_sent,
    paris,
    profiles_campaign,
    sample,
    sent,
    table_counts,
    upload,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

PROFILES = "profiles-collection.csv"
ASSESSMENT = "assessment-16-competences.csv"
OLDER = "assessment-older-format.csv"


def participation(campaign, last_name, first_name, **filters):
    return Participation.objects.get(
        campaign=campaign,
        participant_last_name=last_name,
        participant_first_name=first_name,
        **filters,
    )


def results_of(participation):
    return {result.competence.code: result for result in participation.results.all()}


def local(value):
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M %Z")


# --- The three samples, with exact values -----------------------------------------------------


def test_profiles_collection_sample_is_imported_with_exact_values():
    result_import = imported(sample(PROFILES), PROFILES)

    assert result_import.status == ImportStatus.DONE
    assert result_import.kind == "profiles_collection"
    counts = {
        name: getattr(result_import, name)
        for name in ("rows", "shared_rows", "participations_created", "results_created")
    }
    assert counts == {
        "rows": 12,
        "shared_rows": 11,
        "participations_created": 12,
        "results_created": 11 * 16,
    }
    campaign = result_import.campaign
    assert (campaign.pix_id, campaign.code, campaign.name, campaign.kind) == (
        90001,
        "DREALCOL26",
        "Collecte de profils 2026",
        CampaignKind.PROFILES_COLLECTION,
    )
    assert campaign.organisation_name == "DREAL Exemple"
    assert campaign.external_id_label == "Matricule"

    robert = participation(campaign, "=Robert", "Jean-Baptiste")  # the ' guard is gone
    assert robert.participant_external_id == "A1000"
    assert robert.participant_key == "ext:a1000"
    assert robert.status == ParticipationStatus.SHARED
    assert robert.shared_at == paris(2026, 4, 5, 16, 48)
    assert local(robert.shared_at) == "05/04/2026 16:48 CEST"
    assert robert.row_key == "shared:2026-04-05T14:48:00+00:00"
    assert (robert.total_pix, robert.certifiable, robert.progression) == (481, True, None)
    assert robert.last_progress_at == robert.shared_at
    results = results_of(robert)
    assert len(results) == 16
    assert (results["1.1"].level, results["1.1"].pix) == (3, 24)
    assert (results["3.4"].level, results["3.4"].pix) == (0, 2)
    assert (results["5.2"].level, results["5.2"].pix) == (2, 17)
    assert results["1.1"].mastery_rate is None
    assert results["1.1"].observed_at == robert.shared_at
    assert results["1.1"].result_import == result_import

    petit = participation(campaign, "@Petit", "+Anne")
    assert results_of(petit)["2.1"].level == 7

    waiting = participation(campaign, "N'Diaye", "Élodie")  # not sent: NA everywhere
    assert waiting.status == ParticipationStatus.STARTED
    assert (waiting.shared_at, waiting.total_pix, waiting.certifiable) == (None, None, None)
    assert waiting.row_key == "open"
    assert waiting.results.count() == 0
    assert waiting.snapshots.count() == 1
    assert waiting.last_progress_at == result_import.observed_at


def test_assessment_sample_is_imported_with_rates_stages_and_badges():
    result_import = imported(sample(ASSESSMENT), ASSESSMENT)

    assert result_import.status == ImportStatus.DONE
    assert result_import.kind == "assessment"
    assert (result_import.rows, result_import.shared_rows) == (14, 10)
    assert result_import.results_created == 10 * 16
    campaign = result_import.campaign
    assert campaign.kind == CampaignKind.ASSESSMENT
    assert (campaign.code, campaign.target_profile, campaign.stage_count) == (
        "DREALEVA26",
        "Parcours socle FPE",
        3,
    )

    helene = participation(campaign, "Lefèvre", "Hélène")
    assert helene.progression == Decimal("1")
    assert helene.started_at == paris(2026, 3, 6, 18, 31)
    assert local(helene.started_at) == "06/03/2026 18:31 CET"
    assert helene.shared_at == paris(2026, 3, 15, 22, 17)
    assert (helene.stage, helene.badges, helene.mastery_rate) == (2, [], Decimal("0.55"))
    assert helene.row_key == "2026-03-06T17:31:00+00:00"
    results = results_of(helene)
    assert len(results) == 16
    first = results["1.1"]
    assert (first.mastery_rate, first.skills_total, first.skills_validated) == (
        Decimal("0.89"),
        19,
        17,
    )
    assert (first.level, first.pix) == (None, None)
    assert results["2.1"].mastery_rate == Decimal("1.0")

    anne = participation(campaign, "Durand-Léger", "+Anne", participant_external_id="1000007")
    assert (anne.stage, anne.badges) == (3, ["Badge thématique 1"])

    # Multiple sendings: a shared participation and a newer started one, both kept.
    elodie = Participation.objects.filter(campaign=campaign, participant_external_id="1000001")
    assert elodie.count() == 2
    shared, started = elodie.order_by("started_at")
    assert (shared.status, shared.stage, shared.results.count()) == ("SHARED", 3, 16)
    assert (started.status, started.progression) == ("STARTED", Decimal("0.139"))
    assert (started.stage, started.mastery_rate, started.results.count()) == (None, None, 0)
    assert started.last_progress_at == started.started_at


def test_older_assessment_format_with_bare_dates_and_no_external_id():
    result_import = imported(sample(OLDER), OLDER)

    assert result_import.status == ImportStatus.DONE
    assert (result_import.rows, result_import.shared_rows, result_import.results_created) == (
        6,
        4,
        12,
    )
    campaign = result_import.campaign
    assert (campaign.pix_id, campaign.code, campaign.external_id_label) == (90003, None, "")
    assert campaign.target_profile == "Parcours socle FPE"

    jean = participation(campaign, "Durand-Léger", "Jean-Baptiste")
    assert jean.participant_key == "name:durand leger|jean baptiste"
    assert timezone.localtime(jean.started_at).date().isoformat() == "2026-03-13"
    assert timezone.localtime(jean.shared_at).date().isoformat() == "2026-03-22"
    results = results_of(jean)
    assert sorted(results) == ["1.1", "3.1", "4.1"]
    assert (results["1.1"].mastery_rate, results["1.1"].skills_total) == (Decimal("0.75"), 20)
    assert results["4.1"].skills_validated == 3
    assert participation(campaign, "=Robert", "Paul").status == ParticipationStatus.SHARED
    assert participation(campaign, "@Petit", "Loïc").results.count() == 0


def test_a_campaign_known_as_an_exam_stays_an_exam():
    CampaignFactory(pix_id=90002, code="DREALEVA26", exam=True)

    result_import = imported(sample(ASSESSMENT), ASSESSMENT)

    assert result_import.status == ImportStatus.DONE
    assert Campaign.objects.get(pix_id=90002).kind == CampaignKind.EXAM


def test_an_exam_export_without_progression_is_imported_with_progression_unknown():
    agent = AgentFactory(external_id="0612345")
    campaign = assessment_campaign(progression_column=False)
    participants = [
        assessed(
            "Simon",
            "Léa",
            "0612345",
            started=paris(2025, 10, 6, 9, 0),
            shared=paris(2025, 10, 6, 10, 0),
        ),
        assessed("Vidal", "Marc", "0012345", started=paris(2025, 10, 7, 9, 0)),
    ]
    content, name = export(campaign, participants, exported_at=paris(2025, 11, 3, 12, 0))

    result_import = imported(content, name)

    assert result_import.status == ImportStatus.DONE
    assert result_import.kind == "assessment"
    lea = participation(result_import.campaign, "Simon", "Léa")
    assert (lea.participant_external_id, lea.participant_key) == ("0612345", "ext:0612345")
    assert (lea.agent, lea.match_status) == (agent, MatchStatus.EXTERNAL_ID)
    assert (lea.status, lea.progression, lea.stage) == (ParticipationStatus.SHARED, None, None)
    assert [s.progression for s in lea.snapshots.all()] == [None]
    marc = participation(result_import.campaign, "Vidal", "Marc")
    assert (marc.participant_external_id, marc.agent, marc.progression) == ("0012345", None, None)


def test_an_exam_export_without_progression_keeps_the_progression_an_earlier_export_gave():
    started = paris(2026, 1, 5, 9, 0)
    with_column = assessment_campaign()
    content, name = export(
        with_column,
        [assessed("Simon", "Léa", "S1", started=started, progression=Decimal("0.4"))],
        exported_at=paris(2026, 1, 10, 9, 0),
    )
    imported(content, name)
    content, name = export(
        replace(with_column, progression_column=False),
        [assessed("Simon", "Léa", "S1", started=started)],
        exported_at=paris(2026, 1, 20, 9, 0),
    )

    again = imported(content, name)

    assert (again.participations_updated, again.participations_created) == (0, 0)
    lea = participation(again.campaign, "Simon", "Léa")
    assert lea.progression == Decimal("0.400")
    assert lea.snapshots.count() == 1


def test_a_campaign_entered_by_hand_with_the_code_and_no_pix_id_is_completed():
    campaign = CampaignFactory(pix_id=None, code="DREALCOL26", name="Collecte")

    result_import = imported(sample(PROFILES), PROFILES)

    campaign.refresh_from_db()
    assert result_import.campaign == campaign
    assert (campaign.pix_id, campaign.name) == (90001, "Collecte de profils 2026")


def test_the_export_time_is_read_from_pix_file_name():
    content, name = export(profiles_campaign(), [not_sent("Martin", "Paul", "M1")])

    result_import = imported(content, name)

    assert result_import.exported_at == paris(2026, 4, 20, 9, 30)
    snapshot = ParticipationSnapshot.objects.get()
    assert snapshot.observed_at == paris(2026, 4, 20, 9, 30)


# --- Idempotence ---------------------------------------------------------------------------------


def test_the_same_file_twice_is_a_duplicate_and_changes_nothing():
    first = imported(sample(PROFILES), PROFILES)
    before = table_counts()

    second = imported(sample(PROFILES), "copie.csv")

    assert second.status == ImportStatus.DUPLICATE
    assert second.duplicate_of == first
    assert second.file.name == first.file.name
    after = table_counts()
    assert after.pop("ResultImport") == before.pop("ResultImport") + 1
    assert after == before


def test_running_a_done_import_again_writes_nothing():
    result_import = imported(sample(PROFILES), PROFILES)
    before = table_counts()

    again = services.import_run(result_import_id=result_import.pk)

    assert again.status == ImportStatus.DONE
    assert table_counts() == before


def test_a_new_export_with_nothing_new_writes_no_history():
    first = imported(sample(PROFILES), PROFILES)
    before = table_counts()
    resaved = resave_like_spreadsheet(sample(PROFILES))  # other bytes, same data

    result_import = imported(resaved, "Resultats-resaved.csv")

    assert result_import.status == ImportStatus.DONE
    assert (
        result_import.participations_created,
        result_import.participations_updated,
        result_import.results_created,
    ) == (0, 0, 0)
    after = table_counts()
    assert after.pop("ResultImport") == before.pop("ResultImport") + 1
    assert after == before
    # Nothing changed: no participation was touched, not even its last import.
    assert set(Participation.objects.values_list("last_import", flat=True)) == {first.pk}


def test_a_time_in_the_hour_repeated_by_the_end_of_summer_time_is_not_a_change():
    campaign = profiles_campaign()
    repeated_hour = paris(2026, 10, 25, 2, 30)  # 02:00-03:00 happens twice that night
    rows = [sent("Martin", "Paul", "M1", at=repeated_hour)]
    imported(*export(campaign, rows, exported_at=paris(2026, 10, 26, 8, 0)))

    later = imported(*export(campaign, rows, exported_at=paris(2026, 11, 2, 8, 0)))

    assert (later.participations_updated, later.results_created) == (0, 0)
    assert ParticipationSnapshot.objects.count() == 1


# --- History across exports of one campaign ------------------------------------------------------


def test_a_later_profiles_export_adds_what_changed_and_keeps_earlier_values():
    campaign = profiles_campaign()
    first_content, first_name = export(
        campaign,
        [
            sent("Martin", "Paul", "M1", at=paris(2026, 3, 2, 10, 0), results=levels((2, 17))),
            not_sent("Petit", "Inès", "M2"),
            sent("Leroy", "Karim", "M3", at=paris(2026, 3, 3, 11, 0)),
        ],
        exported_at=paris(2026, 3, 10, 8, 0),
    )
    first = imported(first_content, first_name)
    ines = Participation.objects.get(participant_external_id="M2")
    paul_results = {
        r.pk for r in Participation.objects.get(participant_external_id="M1").results.all()
    }

    second_content, second_name = export(
        campaign,
        [
            sent("Martin", "Paul", "M1", at=paris(2026, 3, 2, 10, 0), results=levels((2, 17))),
            sent("Petit", "Inès", "M2", at=paris(2026, 4, 1, 9, 15), results=levels((4, 35))),
            sent("Leroy", "Karim", "M3", at=paris(2026, 3, 3, 11, 0)),
            not_sent("Leroy", "Karim", "M3"),  # a new sending, started
        ],
        exported_at=paris(2026, 4, 20, 9, 30),
    )
    preview = analysed(second_content, second_name)
    second = services.import_run(result_import_id=preview.pk)

    assert second.status == ImportStatus.DONE
    assert (second.participations_created, second.participations_updated) == (1, 1)
    assert second.results_created == 16
    assert (preview.participations_created, preview.participations_updated) == (1, 1)
    assert preview.results_created == 16
    # Inès's open participation was sent: the same participation, its history kept.
    ines_now = Participation.objects.get(participant_external_id="M2")
    assert ines_now.pk == ines.pk
    assert ines_now.row_key == "shared:2026-04-01T07:15:00+00:00"
    assert (ines_now.status, ines_now.shared_at) == ("SHARED", paris(2026, 4, 1, 9, 15))
    assert (ines_now.first_import, ines_now.last_import) == (first, second)
    assert ines_now.last_progress_at == paris(2026, 4, 20, 9, 30)
    assert list(ines_now.snapshots.order_by("observed_at").values_list("status", "shared_at")) == [
        ("STARTED", None),
        ("SHARED", paris(2026, 4, 1, 9, 15)),
    ]
    assert results_of(ines_now)["1.1"].level == 4
    assert results_of(ines_now)["1.1"].observed_at == paris(2026, 4, 1, 9, 15)
    # Karim's new sending is a second participation; his first is untouched.
    karim = Participation.objects.filter(participant_external_id="M3").order_by("pk")
    assert [p.row_key for p in karim] == ["shared:2026-03-03T10:00:00+00:00", "open"]
    assert karim[0].snapshots.count() == 1
    # Paul: nothing new, nothing written.
    paul = Participation.objects.get(participant_external_id="M1")
    assert {r.pk for r in paul.results.all()} == paul_results
    assert paul.snapshots.count() == 1
    assert CompetenceResult.objects.count() == 2 * 16 + 16


def test_written_a_row_at_a_time_a_later_export_gives_the_same_participations(monkeypatch):
    """Off PostgreSQL the rows are written a batch at a time (memory bounded): with a batch of
    one row, creations, updates, unchanged rows, snapshots and results come out the same."""
    monkeypatch.setattr(persistence._ExecutemanySink, "BATCH", 1)
    test_a_later_profiles_export_adds_what_changed_and_keeps_earlier_values()


def test_a_later_assessment_export_records_progression_and_sharing():
    campaign = assessment_campaign()
    started = paris(2026, 3, 2, 9, 0)
    exports = [
        [assessed("Simon", "Léa", "S1", started=started, progression=Decimal("0.3"))],
        [assessed("Simon", "Léa", "S1", started=started, progression=Decimal("0.7"))],
        [assessed("Simon", "Léa", "S1", started=started, shared=paris(2026, 4, 2, 16, 0))],
        [
            assessed("Simon", "Léa", "S1", started=started, shared=paris(2026, 4, 2, 16, 0)),
            assessed("Simon", "Léa", "S1", started=paris(2026, 5, 4, 8, 0)),  # started again
        ],
    ]
    done = []
    for month, participants in enumerate(exports, start=3):
        content, name = export(campaign, participants, exported_at=paris(2026, month, 28, 12, 0))
        done.append(imported(content, name))

    assert [(d.participations_created, d.participations_updated) for d in done] == [
        (1, 0),
        (0, 1),
        (0, 1),
        (1, 0),
    ]
    assert [d.results_created for d in done] == [0, 0, 3, 0]
    lea, again = Participation.objects.order_by("started_at")
    snapshots = lea.snapshots.order_by("observed_at")
    assert [(s.status, s.progression) for s in snapshots] == [
        ("STARTED", Decimal("0.300")),
        ("STARTED", Decimal("0.700")),
        ("SHARED", Decimal("1.000")),
    ]
    assert [s.result_import for s in snapshots] == done[:3]
    assert lea.last_progress_at == paris(2026, 5, 28, 12, 0)
    assert results_of(lea)["1.1"].mastery_rate == Decimal("0.70")
    assert again.row_key == "2026-05-04T06:00:00+00:00"
    assert again.first_import == done[3]


def test_the_latest_share_is_the_current_result_though_pix_lists_it_first():
    agent = AgentFactory(external_id="S1")
    campaign = assessment_campaign()
    first = (
        PixResult("1.1", skills_total=10, skills_validated=9),
        PixResult("2.1", skills_total=8, skills_validated=8),
        PixResult("4.1", skills_total=12, skills_validated=12),
    )
    rows = in_pix_order(
        [
            assessed(
                "Simon",
                "Léa",
                "S1",
                started=paris(2026, 3, 2, 9, 0),
                shared=paris(2026, 3, 3, 9, 0),
                results=first,
            ),
            assessed(
                "Simon",
                "Léa",
                "S1",
                started=paris(2026, 5, 4, 8, 0),
                shared=paris(2026, 5, 5, 8, 0),
            ),
            assessed("Arnaud", "Zoé", "Z1", started=paris(2026, 4, 1, 8, 0)),
        ]
    )
    assert [(row.last_name, row.started_at.month) for row in rows] == [
        ("Arnaud", 4),
        ("Simon", 5),  # newest first, as Pix writes
        ("Simon", 3),
    ]

    imported(*export(campaign, rows))

    latest = (
        CompetenceResult.objects.filter(participation__agent=agent, competence__code="1.1")
        .order_by("-observed_at", "-pk")
        .first()
    )
    assert latest.mastery_rate == Decimal("0.70")  # the May share, not March's 0.90
    assert latest.participation.shared_at == paris(2026, 5, 5, 8, 0)


def test_without_share_dates_the_latest_start_is_the_current_result_not_the_last_line():
    agent = AgentFactory(external_id="S1")
    first = (
        PixResult("1.1", skills_total=10, skills_validated=9),
        PixResult("2.1", skills_total=8, skills_validated=8),
        PixResult("4.1", skills_total=12, skills_validated=12),
    )
    rows = in_pix_order(
        [
            assessed(
                "Simon",
                "Léa",
                "S1",
                started=paris(2026, 3, 2, 9, 0),
                shared=paris(2026, 3, 3, 9, 0),
                results=first,
            ),
            assessed(
                "Simon",
                "Léa",
                "S1",
                started=paris(2026, 5, 4, 8, 0),
                shared=paris(2026, 5, 5, 8, 0),
            ),
        ]
    )
    # Share dates Pix left out (NA): the rows still say they were shared.
    rows = [replace(row, shared_at=None) for row in rows]

    imported(*export(assessment_campaign(), rows))

    latest = (
        CompetenceResult.objects.filter(participation__agent=agent, competence__code="1.1")
        .order_by("-observed_at", "-pk")
        .first()
    )
    assert latest.mastery_rate == Decimal("0.70")
    assert latest.participation.started_at == paris(2026, 5, 4, 8, 0)


def test_the_preview_counts_are_what_the_import_writes():
    AgentFactory(external_id="M1", last_name="Martin", first_name="Paul")
    AgentFactory(external_id="A9", last_name="Leroy", first_name="Karim")
    content, name = export(
        profiles_campaign(),
        [
            sent("Martin", "Paul", "M1", at=paris(2026, 3, 2, 10, 0)),
            not_sent("Leroy", "Karim", "unknown"),
            not_sent("Nobody", "Here", "M404"),
        ],
    )
    preview = analysed(content, name)
    counts_before = table_counts()

    assert preview.status == ImportStatus.READY
    assert table_counts() == counts_before
    done = services.import_run(result_import_id=preview.pk)
    fields = [
        "rows",
        "shared_rows",
        "participations_created",
        "participations_updated",
        "results_created",
        "matched",
        "to_confirm",
        "unmatched",
    ]
    assert [getattr(done, f) for f in fields] == [getattr(preview, f) for f in fields]
    assert [getattr(done, f) for f in fields] == [3, 1, 3, 0, 16, 1, 1, 1]
    assert Participation.objects.count() == 3
    assert CompetenceResult.objects.count() == 16


def test_preview_warns_of_name_matches_and_of_a_campaign_without_programme():
    AgentFactory(external_id="Z1", last_name="Leroy", first_name="Karim")
    content, name = export(profiles_campaign(), [not_sent("LEROY", "karim", "X1")])

    preview = analysed(content, name)

    assert "1 participant rapproché par le nom : à confirmer" in preview.warnings
    assert "Cette campagne n'est rattachée à aucun programme" in preview.warnings


def test_preview_warns_of_an_export_older_than_the_last_import():
    campaign = profiles_campaign()
    imported(*export(campaign, [not_sent("A", "B", "1")], exported_at=paris(2026, 4, 1, 9, 0)))

    older = analysed(
        *export(campaign, [not_sent("A", "B", "1"), not_sent("C", "D", "2")], paris(2026, 3, 1))
    )

    assert any(
        warning.startswith("Cet export est plus ancien que le dernier import")
        and "1 avril 2026 à 09:00" in warning
        for warning in older.warnings
    ), older.warnings


def test_preview_of_an_import_for_a_programme_does_not_warn_about_the_programme(cast):
    content, name = export(profiles_campaign(), [not_sent("Leroy", "Karim", "X1")])

    preview = analysed(content, name, programme=cast.programme)

    assert "Cette campagne n'est rattachée à aucun programme" not in preview.warnings


# --- Refusals and failures -----------------------------------------------------------------------


def broken(content: bytes, line_number: int, old: str, new: str) -> bytes:
    lines = content.decode("utf-8-sig").split("\n")
    assert old in lines[line_number - 1]
    lines[line_number - 1] = lines[line_number - 1].replace(old, new)
    return "\n".join(lines).encode("utf-8")


def test_a_broken_row_refuses_the_file_and_writes_nothing():
    imported(sample(PROFILES), PROFILES)
    before = table_counts()
    robert = Participation.objects.get(participant_external_id="A1000")
    content = resave_like_spreadsheet(sample(PROFILES)).decode("cp1252")
    content = content.replace("481", "quatre cents").encode("cp1252")

    result_import = imported(content, "Resultats-broken.csv")

    assert result_import.status == ImportStatus.REFUSED
    assert result_import.errors == [
        {
            "line": 2,
            "column": "Nombre de pix total",
            "message": result_import.errors[0]["message"],
        }
    ]
    assert "quatre cents" in result_import.errors[0]["message"]
    after = table_counts()
    assert after.pop("ResultImport") == before.pop("ResultImport") + 1
    assert after == before
    robert_now = Participation.objects.get(pk=robert.pk)
    assert (robert_now.total_pix, robert_now.last_import) == (481, robert.last_import)


def test_a_file_that_is_not_a_pix_export_is_refused_with_a_french_message():
    result_import = imported(b"matricule;nom\nM1;Dupont\n", "agents.csv")

    assert result_import.status == ImportStatus.REFUSED
    assert result_import.errors[0]["line"] in (None, 1)
    assert "Pix" in result_import.errors[0]["message"]
    assert (Campaign.objects.count(), Participation.objects.count()) == (0, 0)


NOT_A_PIX_EXPORT = b"matricule;nom\nM1;Dupont\n"


def test_a_file_refused_at_analysis_leaves_the_disk_and_its_row_keeps_the_errors(
    django_capture_on_commit_callbacks,
):
    uploaded = upload(NOT_A_PIX_EXPORT, "agents.csv")
    on_disk = Path(uploaded.file.path)
    assert on_disk.exists()

    with django_capture_on_commit_callbacks(execute=True):
        services.import_analyse(result_import_id=uploaded.pk)

    assert not on_disk.exists()
    refused = ResultImport.objects.get(pk=uploaded.pk)
    assert refused.status == ImportStatus.REFUSED
    assert refused.errors
    assert (refused.original_name, refused.sha256, refused.file.name) == (
        "agents.csv",
        uploaded.sha256,
        "",
    )


def test_a_file_refused_at_import_leaves_the_disk(django_capture_on_commit_callbacks):
    uploaded = upload(NOT_A_PIX_EXPORT, "agents.csv")
    on_disk = Path(uploaded.file.path)

    with django_capture_on_commit_callbacks(execute=True):
        refused = services.import_run(result_import_id=uploaded.pk)

    assert refused.status == ImportStatus.REFUSED
    assert not on_disk.exists()


def test_a_file_kept_for_import_stays_on_disk():
    result_import = imported(sample(PROFILES), PROFILES)
    assert result_import.status == ImportStatus.DONE
    assert Path(result_import.file.path).exists()


def test_the_stored_errors_stop_at_500_and_say_how_many_more():
    participants = [not_sent(f"Nom{n}", "Prénom", f"E{n}") for n in range(620)]
    content, name = export(profiles_campaign(), participants)
    lines = content.decode("utf-8-sig").split("\n")
    for index in range(1, 601):
        lines[index] = lines[index].replace('"Non"', '"Peut-être"')
    content = "\n".join(lines).encode("utf-8")

    result_import = analysed(content, name)

    assert result_import.status == ImportStatus.REFUSED
    assert len(result_import.errors) == 501
    assert result_import.errors[0]["line"] == 2
    assert result_import.errors[-1] == {
        "line": None,
        "column": None,
        "message": "… et 100 autres erreurs",
    }
    assert not Participation.objects.exists()


def test_a_code_already_used_by_another_campaign_is_refused():
    CampaignFactory(pix_id=12345, code="DREALCOL26")

    result_import = imported(sample(PROFILES), PROFILES)

    assert result_import.status == ImportStatus.REFUSED
    assert "DREALCOL26" in result_import.errors[0]["message"]
    assert not Participation.objects.exists()


def test_a_code_taken_by_a_campaign_entered_by_hand_while_the_campaign_exists_is_refused():
    CampaignFactory(pix_id=90001, code="OLDCODE")
    CampaignFactory(pix_id=None, code="DREALCOL26", name="Saisie à la main")

    result_import = imported(sample(PROFILES), PROFILES)

    assert result_import.status == ImportStatus.REFUSED
    assert "Saisie à la main" in result_import.errors[0]["message"]


def test_an_export_of_another_kind_than_its_campaign_is_refused():
    CampaignFactory(pix_id=90001, code="DREALCOL26", assessment=True)

    result_import = imported(sample(PROFILES), PROFILES)

    assert result_import.status == ImportStatus.REFUSED
    assert "collecte de profils" in result_import.errors[0]["message"]


def test_an_unexpected_error_fails_the_import_visibly_and_writes_nothing(monkeypatch):
    preview = analysed(sample(PROFILES), PROFILES)
    before = table_counts()

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(persistence, "write_plan", explode)
    monkeypatch.setattr(services, "write_plan", explode)
    with pytest.raises(RuntimeError):
        services.import_run(result_import_id=preview.pk)

    failed = ResultImport.objects.get(pk=preview.pk)
    assert failed.status == ImportStatus.FAILED
    assert "RuntimeError" in failed.errors[0]["message"]
    assert table_counts() == before

    monkeypatch.undo()  # retried once the cause is gone
    assert services.import_run(result_import_id=preview.pk).status == ImportStatus.DONE
    assert Participation.objects.count() == 12


def test_cancel_drops_a_preview_but_not_a_done_import():
    preview = analysed(sample(PROFILES), PROFILES)
    assert services.import_cancel(result_import_id=preview.pk).status == ImportStatus.CANCELLED
    assert services.import_run(result_import_id=preview.pk).status == ImportStatus.CANCELLED
    assert not Participation.objects.exists()

    done = imported(sample(ASSESSMENT), ASSESSMENT)
    assert services.import_cancel(result_import_id=done.pk).status == ImportStatus.DONE


def test_an_upload_keeps_the_raw_file_with_its_checksum_and_uploader(cast):
    content = sample(PROFILES)

    result_import = upload(content, "dossier/Resultats.csv", user=cast.ambassador)

    assert result_import.status == ImportStatus.UPLOADED
    assert result_import.original_name == "Resultats.csv"
    assert result_import.size == len(content)
    assert result_import.uploaded_by == cast.ambassador
    with result_import.file.open("rb") as stored:
        assert stored.read() == content
    assert result_import.sha256 == hashlib.sha256(content).hexdigest()


# --- Queries do not grow with the file -----------------------------------------------------------


def queries_of_import(pix_id: int, size: int) -> int:
    for number in range(size // 2):
        AgentFactory(external_id=f"Q{pix_id}-{number}")
    participants = []
    for number in range(size):
        external_id = f"Q{pix_id}-{number}"
        if number % 3:
            participants.append(
                sent("Nom", f"P{number}", external_id, at=paris(2026, 3, 2, 10, number % 60))
            )
        else:
            participants.append(not_sent("Nom", f"P{number}", external_id))
    content, name = export(profiles_campaign(pix_id=pix_id, code=f"Q{pix_id}"), participants)
    preview = analysed(content, name)
    with CaptureQueriesContext(connection) as context:
        done = services.import_run(result_import_id=preview.pk)
    assert done.status == ImportStatus.DONE
    assert done.participations_created == size
    return len(context.captured_queries)


def test_the_number_of_queries_of_an_import_does_not_grow_with_its_rows():
    assert queries_of_import(93001, 20) == queries_of_import(93002, 200)


def test_unmatched_participants_keep_their_rows_and_results():
    imported(sample(PROFILES), PROFILES)

    queue = Participation.objects.unmatched()
    assert queue.count() == 12
    assert set(queue.values_list("match_status", flat=True)) == {MatchStatus.UNMATCHED}
    assert CompetenceResult.objects.filter(participation__agent__isnull=True).count() == 176


def test_the_admin_lists_imports_participations_and_results(client, cast):
    result_import = imported(sample(PROFILES), PROFILES)
    participation = Participation.objects.filter(status="SHARED").first()
    client.force_login(cast.staff)

    for url in (
        reverse("admin:campaigns_resultimport_changelist"),
        reverse("admin:campaigns_resultimport_change", args=[result_import.pk]),
        reverse("admin:campaigns_participation_changelist") + "?q=A1000",
        reverse("admin:campaigns_participation_change", args=[participation.pk]),
        reverse("admin:campaigns_competenceresult_changelist") + "?level__exact=3",
    ):
        assert client.get(url).status_code == 200, url


def test_a_competence_name_added_by_an_administrator_is_recognised():
    """The alias table in the database feeds the parser: a name Pix adopts tomorrow can be
    added in the admin without a release."""
    original = "Mener une recherche et une veille d'information"
    renamed = "Rechercher et veiller sur l'information"
    content = sample(PROFILES).decode("utf-8-sig").replace(original, renamed).encode("utf-8-sig")
    assert analysed(content).status == ImportStatus.REFUSED

    CompetenceAlias.objects.create(competence=Competence.objects.get(code="1.1"), name=renamed)
    assert analysed(content + b"\n").status == ImportStatus.READY
