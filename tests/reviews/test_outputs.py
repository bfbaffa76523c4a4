"""The outputs of a review sheet: the PDF (rendered by WeasyPrint, read back with pdftotext)
and the plain text for ESTEVE. PDF renders are slow: a handful only."""

import datetime
import subprocess

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lib import pdf
from programmes.models import ResultAccessLog
from programmes.privacy.consent import consent_grant
from reviews import outputs
from reviews.models import ReviewAddendum, ReviewState
from tests.campaigns.factories import CampaignFactory
from tests.programmes.factories_accompaniment import (
    CheckInFactory,
    MilestoneFactory,
    ResourceFactory,
    ResourceUseFactory,
    share_levels,
)
from tests.reviews.factories import ReviewCycleFactory, ReviewFactory, ReviewObjectiveFactory

pytestmark = pytest.mark.django_db

PIX_HEADING = "Évaluation Pix"
SECTIONS = [
    "Compétences acquises (4°)",
    "Besoins de formation (6°)",
    "Formations souhaitées",
    "Perspectives d'évolution professionnelle (7°)",
    "Compte personnel de formation",
    "Objectifs pour l’année suivante",
    "Commentaire de l'encadrant",
    "Commentaire de l'agent",
]


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "sheet.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def pdf_fonts(content: bytes, tmp_path) -> str:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdffonts", str(path)], capture_output=True, check=True, text=True
    ).stdout


def in_order(text: str, parts: list[str]) -> bool:
    positions = [text.find(part) for part in parts]
    return -1 not in positions and positions == sorted(positions)


def as_user(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def review(cast):
    """The agent's 2026 review, written, with an objective, an addendum and some data."""
    agent = cast.agent_agent
    agent.first_name, agent.last_name = "Zoé", "Lefèvre"
    agent.save()
    campaign = CampaignFactory()
    cast.programme.campaigns.add(campaign)
    share_levels(agent, campaign, {"1.1": 1}, days_ago=400)
    share_levels(agent, campaign, {"1.1": 2}, days_ago=2)
    resource = ResourceFactory(programme=cast.programme, title="Tableur en ligne")
    ResourceUseFactory(resource=resource, agent=agent)
    review = ReviewFactory(
        cycle=ReviewCycleFactory(programme=cast.programme, year=2026),
        agent=agent,
        state=ReviewState.SHARED,
        acquired_skills="Recherche documentaire autonome.",
        training_needs="Approfondir la veille.",
        trainings_wanted="Formation « veille et curation ».",
        prospects="Devenir référente de l'équipe.",
        cpf_informed=True,
        manager_comment="Belle progression.",
        agent_comment="D'accord avec les objectifs.",
        meeting_on=datetime.date(2026, 11, 20),
    )
    ReviewObjectiveFactory(review=review, level=4)
    addendum = ReviewAddendum.objects.create(
        review=review, author=cast.manager, text="Formation validée par le service."
    )
    ReviewAddendum.objects.filter(pk=addendum.pk).update(
        created_at=datetime.datetime(2026, 11, 25, 10, 0, tzinfo=datetime.UTC)
    )
    return review


def test_managerial_pdf_holds_every_section_in_the_form_order(
    client, managerial_cast, review, tmp_path
):
    response = as_user(client, managerial_cast.manager).get(
        reverse("reviews:review_pdf", kwargs={"pk": review.pk})
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="entretien-2026-lefevre-zoe.pdf"'
    )
    text = pdf_text(response.content, tmp_path)
    assert in_order(text, [PIX_HEADING, *SECTIONS[1:], "Addenda"])
    assert in_order(text, SECTIONS[:2])
    for written in [
        "Programme Pix DR",
        "Zoé LEFÈVRE",
        managerial_cast.manager_agent.full_name,
        "Partagée avec l'agent",
        "20 novembre 2026",
        "Recherche documentaire autonome.",
        "Approfondir la veille.",
        "Formation « veille et curation ».",
        "Devenir référente de l'équipe.",
        "L’agent a été informé de ses droits",
        "Belle progression.",
        "D'accord avec les objectifs.",
        "Formation validée par le service.",
        "Le 25 novembre 2026 à 11:00",
        "Tableur en ligne",
        "1.1 Mener une recherche",
        "1 niveau",  # target 3, level 2
        "Page 1 / ",
    ]:
        assert written in text, written
    assert "1.1 actuel" in text  # the SVG chart's labels are in the PDF
    assert ResultAccessLog.objects.filter(agent=review.agent, viewer=managerial_cast.manager)
    assert "Marianne" in pdf_fonts(response.content, tmp_path)


def test_self_assessment_pdf_without_consent_has_no_pix_section(client, cast, review, tmp_path):
    response = as_user(client, cast.agent).get(
        reverse("reviews:review_pdf", kwargs={"pk": review.pk})
    )

    text = " ".join(pdf_text(response.content, tmp_path).split())
    assert PIX_HEADING not in text and "Tableur en ligne" not in text
    assert "Écarts aux niveaux attendus" not in text
    # The privacy note is internal: on the screen only, never on the official form.
    assert "auto-positionnement" not in text.lower()
    assert "choisi de partager" not in text
    assert "Recherche documentaire autonome." in text and "Belle progression." in text
    assert not ResultAccessLog.objects.exists()


def test_pdf_may_fetch_the_font_files_and_nothing_else(tmp_path):
    font = tmp_path / "font.woff2"
    font.write_bytes(b"x")
    fetcher = pdf.fonts_only({font.as_uri()})

    assert fetcher(font.as_uri()).read() == b"x"
    for url in ["http://example.org/x.png", (tmp_path / "other").as_uri(), "file:///etc/passwd"]:
        with pytest.raises(ValueError):
            fetcher(url)


def test_written_markup_is_printed_as_text(client, managerial_cast, review, tmp_path):
    review.prospects = '<img src="file:///etc/passwd"> <b>gras</b>'
    review.save()
    response = as_user(client, managerial_cast.staff).get(
        reverse("reviews:review_pdf", kwargs={"pk": review.pk})
    )

    assert '<img src="file:///etc/passwd"> <b>gras</b>' in pdf_text(response.content, tmp_path)


def test_text_for_esteve_follows_the_form_order_wrapped_for_pasting(managerial_cast, review):
    from reviews.models import Review
    from reviews.sheet import build_sheet

    review.acquired_skills = "Autonome. " * 40
    review.save()
    sheet = build_sheet(
        Review.objects.select_related("cycle__programme", "agent", "manager").get(pk=review.pk)
    )
    text = outputs.sheet_text(sheet)

    headings = [title.upper() for title in SECTIONS if title != "Formations souhaitées"]
    assert in_order(text, ["ENTRETIEN PROFESSIONNEL 2026 — ZOÉ LEFÈVRE", *headings, "ADDENDA"])
    assert in_order(text, ["BESOINS DE FORMATION", "Formations souhaitées :", "PERSPECTIVES"])
    assert in_order(text, ["COMPÉTENCES ACQUISES (4°)", PIX_HEADING, "BESOINS DE FORMATION"])
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= outputs.TEXT_WIDTH
    heading = lines.index("BESOINS DE FORMATION (6°)")
    assert lines[heading + 1] == "=" * len("BESOINS DE FORMATION (6°)")
    assert "- 1.1 Mener une recherche et une veille d'information : 1 niveau" in text
    assert "- 1.1 Mener une recherche et une veille d'information : niveau 4" in text
    assert "- Tableur en ligne" in text
    assert "Le 25 novembre 2026 à 11:00" in text and "Formation validée par le service." in text
    assert "<" not in text.replace("<img", "")  # no markup, nothing escaped either
    assert "&" not in text


def test_text_page_shows_the_text_readonly_with_a_download(client, managerial_cast, review):
    url = reverse("reviews:review_text", kwargs={"pk": review.pk})
    response = as_user(client, managerial_cast.manager).get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<textarea class="fr-input" id="review-text" rows="30" readonly' in html
    assert "Copier" in html and 'href="?format=txt"' in html
    assert "D&#x27;accord avec les objectifs." in html  # escaped in the page

    download = client.get(url, {"format": "txt"})
    assert download["Content-Type"] == "text/plain; charset=utf-8"
    assert download["Content-Disposition"] == (
        'attachment; filename="entretien-2026-lefevre-zoe.txt"'
    )
    assert download.content.decode().startswith("ENTRETIEN PROFESSIONNEL 2026")
    assert "D'accord avec les objectifs." in download.content.decode()


def test_text_under_self_assessment_holds_only_what_was_written(client, cast, review):
    url = reverse("reviews:review_text", kwargs={"pk": review.pk})
    text = as_user(client, cast.manager).get(url, {"format": "txt"}).content.decode()
    text = " ".join(text.split())

    assert PIX_HEADING not in text and "Tableur en ligne" not in text
    assert "choisi de partager" not in text and "auto-positionnement" not in text.lower()
    assert "Approfondir la veille." in text
    page = as_user(client, cast.manager).get(url).content.decode()
    assert 'id="results-hidden"' in page  # said on the screen, beside the text


def test_text_under_self_assessment_with_consent_shows_results(client, cast, review):
    consent_grant(agent=cast.agent_agent, programme=cast.programme)
    url = reverse("reviews:review_text", kwargs={"pk": review.pk})
    text = as_user(client, cast.manager).get(url, {"format": "txt"}).content.decode()

    assert PIX_HEADING in text and "Tableur en ligne" in text


@pytest.mark.parametrize(
    ("role", "expected"),
    [("owner", 404), ("ambassador", 404), ("outsider", 404), ("agent", 200), ("staff", 200)],
)
def test_text_is_read_by_the_sheet_readers_only(client, cast, review, role, expected):
    url = reverse("reviews:review_text", kwargs={"pk": review.pk})
    assert as_user(client, getattr(cast, role)).get(url).status_code == expected


def test_pdf_outside_scope_is_not_found_before_any_render(client, cast, review, monkeypatch):
    monkeypatch.setattr(outputs, "sheet_pdf", lambda sheet: pytest.fail("rendered"))
    url = reverse("reviews:review_pdf", kwargs={"pk": review.pk})
    for user in (cast.owner, cast.ambassador, cast.outsider):
        assert as_user(client, user).get(url).status_code == 404


def test_text_page_query_count_does_not_grow_with_the_data(client, managerial_cast, review):
    url = reverse("reviews:review_text", kwargs={"pk": review.pk})
    as_user(client, managerial_cast.manager)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    CheckInFactory(
        milestone=MilestoneFactory(population=managerial_cast.population), agent=review.agent
    )
    few = count()
    for index in range(3):
        milestone = MilestoneFactory(population=managerial_cast.population)
        CheckInFactory(milestone=milestone, agent=review.agent)
        resource = ResourceFactory(programme=managerial_cast.programme, title=f"R{index}")
        ResourceUseFactory(resource=resource, agent=review.agent)
        ReviewAddendum.objects.create(review=review, author=managerial_cast.manager, text="+")
    assert count() == few


def test_the_agent_gets_no_output_of_a_sheet_still_to_prepare(client, managerial_cast):
    """As on the sheet page, the agent reads their sheet once the manager prepared it."""
    from django.urls import reverse

    from tests.reviews.factories import ReviewCycleFactory, ReviewFactory

    cycle = ReviewCycleFactory(programme=managerial_cast.programme)
    review = ReviewFactory(cycle=cycle, agent=managerial_cast.agent_agent)
    client.force_login(managerial_cast.agent)
    for name in ("reviews:review_pdf", "reviews:review_text"):
        assert client.get(reverse(name, kwargs={"pk": review.pk})).status_code == 404
    client.force_login(managerial_cast.manager)
    assert client.get(reverse("reviews:review_text", kwargs={"pk": review.pk})).status_code == 200


def test_with_consent_the_outputs_show_results_but_never_the_checkins(
    client, cast, review, tmp_path
):
    """Under self-assessment the manager never reads the agent's check-ins on the agent page,
    consent or not: neither the PDF nor the text for ESTEVE carries them."""
    CheckInFactory(
        agent=review.agent,
        milestone=MilestoneFactory(population=cast.population, title="Point de juin"),
        comment="Note confidentielle de l'ambassadeur",
        next_step="Revoir le module 2",
    )
    consent_grant(agent=cast.agent_agent, programme=cast.programme)
    as_user(client, cast.manager)

    pdf = client.get(reverse("reviews:review_pdf", kwargs={"pk": review.pk})).content
    pdf = " ".join(pdf_text(pdf, tmp_path).split())
    url = reverse("reviews:review_text", kwargs={"pk": review.pk})
    text = " ".join(client.get(url, {"format": "txt"}).content.decode().split())

    for output in (pdf, text):
        assert PIX_HEADING in output and "Tableur en ligne" in output
        for private in ("Note confidentielle", "Point de juin", "Revoir le module 2"):
            assert private not in output


def test_with_consent_the_text_holds_no_result_for_a_reader_above_the_direct_manager(
    client, cast, review
):
    from tests.agents.factories import AgentFactory

    head = AgentFactory(with_user=True)
    cast.manager_agent.manager = head
    cast.manager_agent.save()
    consent_grant(agent=cast.agent_agent, programme=cast.programme)
    url = reverse("reviews:review_text", kwargs={"pk": review.pk})

    text = as_user(client, head.user).get(url, {"format": "txt"}).content.decode()
    text = " ".join(text.split())

    assert PIX_HEADING not in text and "Tableur en ligne" not in text
    assert "encadrant direct" not in text
    assert "Approfondir la veille." in text
    assert not ResultAccessLog.objects.exists()
