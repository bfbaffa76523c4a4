"""The steering committee report: a two-page A4 PDF (rendered by WeasyPrint, read back with
poppler's pdfinfo and pdftotext) and the same as a page, whose figures are the dashboard's for
the same viewer and day; who may read it; its query count. PDF renders are slow: few."""

import re
import subprocess
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import formats, timezone

from lib.charts import percent_text
from programmes.enums import OutgoingStatus, ResourceState
from programmes.models import CheckIn, PopulationStat, Reminder, Target
from programmes.steering.committee import MAX_POPULATIONS
from tests.agents.factories import AgentFactory, UserFactory
from tests.programmes.factories import TargetFactory, TargetPopulationFactory
from tests.programmes.factories_accompaniment import ResourceFactory, ResourceUseFactory
from tests.programmes.factories_reminders import ReminderFactory
from tests.programmes.steering.test_dashboard import _checkins

pytestmark = pytest.mark.django_db


def pdf_pages(content: bytes, tmp_path) -> int:
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True)
    return int(re.search(r"^Pages:\s+(\d+)$", info.stdout, re.MULTILINE).group(1))


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "report-text.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def words(text: str) -> str:
    """Spaces of any kind and line breaks as one space: a cell's text wraps in the PDF."""
    return re.sub(r"[\s\u00a0\u202f]+", " ", text).strip()


def _line(population, *, enrolled, share, per_day, today, month_end):
    """`population`'s share at target on a straight line: `share` % today, `per_day` points
    a day, over four months (with a row at the end of last month)."""
    for offset in sorted({-120, -90, -60, -45, (month_end - today).days, 0}):
        PopulationStat.objects.create(
            population=population,
            on=today + timedelta(days=offset),
            enrolled=enrolled,
            shared=enrolled,
            reached=round(enrolled * (share + per_day * offset) / 100),
        )


def _milestones(population, agents, *, days_ago, title):
    """Two milestones with check-ins (see `_checkins`), the second moved `days_ago` days
    back, each check-in recorded the day after its milestone."""
    _checkins(population, agents)
    milestone = population.milestones.order_by("date").last()
    milestone.date, milestone.title = timezone.localdate() - timedelta(days=days_ago), title
    milestone.save()
    for step in population.milestones.all():
        recorded = timezone.make_aware(
            timezone.datetime.combine(step.date + timedelta(days=1), timezone.datetime.min.time())
        )
        CheckIn.objects.filter(milestone=step).update(recorded_at=recorded)


@pytest.fixture
def committee(cast):
    """The cast's self-assessment programme with three populations on the move, a fourth of
    six agents of whom three shared (« moins de 5 » for its owner), two milestones each
    (the last held 12 days ago, by « Techniciens »), resources followed and reminders sent
    since, and some before."""
    today = timezone.localdate()
    month_end = today.replace(day=1) - timedelta(days=1)
    cast.owner.first_name, cast.owner.last_name = "Camille", "Martin"
    cast.owner.save()
    managers = TargetPopulationFactory(programme=cast.programme, name="Encadrants")
    technicians = TargetPopulationFactory(programme=cast.programme, name="Techniciens")
    small = TargetPopulationFactory(programme=cast.programme, name="Petit groupe")
    for population in (managers, technicians, small):
        TargetFactory(population=population)
    Target.objects.filter(population__programme=cast.programme).update(
        deadline=today + timedelta(days=60)
    )
    common = {"today": today, "month_end": month_end}
    _line(cast.population, enrolled=1000, share=50, per_day=0.2, **common)
    _line(managers, enrolled=400, share=30, per_day=0.1, **common)
    _line(technicians, enrolled=200, share=20, per_day=0.0, **common)
    PopulationStat.objects.create(population=small, on=today, enrolled=6, shared=3, reached=1)
    _milestones(cast.population, cast.team, days_ago=40, title="Point de rentrée")
    _milestones(managers, AgentFactory.create_batch(7), days_ago=20, title="Point d’automne")
    _milestones(technicians, AgentFactory.create_batch(8), days_ago=12, title="Point de novembre")
    resource = ResourceFactory(programme=cast.programme, title="Tableur en ligne")
    uses = ResourceUseFactory.create_batch(7, resource=resource)
    for use in uses[:5]:
        use.state, use.done_at = ResourceState.DONE, timezone.now()
        use.save()
    old = ResourceUseFactory(resource=resource)
    type(old).objects.filter(pk=old.pk).update(started_at=timezone.now() - timedelta(days=50))
    ReminderFactory.create_batch(6, population=cast.population, sent_at=timezone.now())
    ReminderFactory(population=cast.population, sent_at=timezone.now() - timedelta(days=30))
    ReminderFactory(population=cast.population, status=OutgoingStatus.FAILED)
    cast.today, cast.managers, cast.technicians, cast.small = today, managers, technicians, small
    return cast


def _dashboard(client, user):
    client.force_login(user)
    response = client.get(reverse("programmes:dashboard", kwargs={"slug": "programme-dr"}))
    assert response.status_code == 200
    return response.context["board"]


def _pdf(client, user, slug="programme-dr"):
    client.force_login(user)
    return client.get(reverse("programmes:committee_report_pdf", kwargs={"slug": slug}))


def _figures(board) -> list[str]:
    """What the dashboard's cockpit says, line by line, as the report must say it: in full
    for the programme; in the populations' table, the milestone named by its date."""
    said = []
    for line in board.cockpit:
        if line.hidden:
            continue
        said.append(f"{round(line.share)} %")
        for change in line.changes:
            if line.key == "all" or change.kind == "month":
                said.append(f"{change.text} {change.since}")
            else:
                day = formats.date_format(change.on, "j F")
                said.append(f"{change.text} depuis le point d’étape du {day}")
        said.append(line.projection_text)
    return [words(text) for text in said]


def test_the_pdf_has_two_pages_and_the_dashboards_figures(client, committee, tmp_path):
    board = _dashboard(client, committee.owner)
    response = _pdf(client, committee.owner)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        f"comite-de-pilotage-programme-dr-{committee.today:%Y-%m-%d}.pdf"
        in (response["Content-Disposition"])
    )
    assert pdf_pages(response.content, tmp_path) == 2
    text = words(pdf_text(response.content, tmp_path))
    figures = _figures(board)
    # The three populations with figures, the programme line: share, changes, projection.
    assert len([line for line in board.cockpit if not line.hidden]) == 4
    assert len(figures) == 4 * 4
    for figure in figures:
        assert figure in text, figure
    assert words(board.projection_method) in text
    day = formats.date_format(committee.today, "j F Y")
    assert f"Situation au {day}" in text
    assert "Programme Pix DR" in text and "Camille Martin" in text
    # The small population: « moins de 5 », nothing else.
    assert "Petit groupe moins de 5" in text


def test_the_report_lists_the_barriers_and_what_was_done_since_the_last_milestone(
    client, committee
):
    client.force_login(committee.owner)
    response = client.get(reverse("programmes:committee_report", kwargs={"slug": "programme-dr"}))
    assert response.status_code == 200
    report = response.context["report"]
    board = _dashboard(client, committee.owner)
    # The three barriers most cited at the latest milestones, as the dashboard counts them.
    totals = board.barriers.totals()
    expected = sorted(
        (b for b in board.barriers.barriers if totals[b.pk].total),
        key=lambda b: (-totals[b.pk].total, b.position),
    )[:3]
    assert [line.label for line in report.barriers] == [b.label for b in expected]
    assert [line.cited for line in report.barriers] == [totals[b.pk].total for b in expected]
    assert report.barrier_checkins == 6 + 7 + 8 == board.barriers.total_checkins
    assert report.previous_checkins == 6 + 7 + 8  # every population's first milestone
    assert all(line.change is not None for line in report.barriers)
    # Since the last milestone held (Techniciens', 12 days ago): its check-ins (recorded the
    # day after), the 7 resources started and 5 finished, the 6 reminders sent.
    activity = report.activity
    assert activity.since == committee.today - timedelta(days=12)
    assert "« Point de novembre » (Techniciens)" in activity.since_text
    assert [m.title for m in activity.milestones] == ["Point de novembre"]
    assert activity.checkins == 8
    assert (activity.resources_started, activity.resources_done) == (7, 5)
    assert activity.reminders_sent == 6
    content = words(re.sub(r"<[^>]+>", "", response.content.decode()))
    assert "Depuis le dernier comité" in content
    assert "Relances envoyées aux agents : 6" in content
    assert "Ressources : 7 commencées, 5 terminées" in content
    assert 'id="committee-trend"' in response.content.decode()  # the trend, inline SVG
    # Its numbers: the programme's share at each of the dashboard's month ends, today's last.
    assert report.trend.months == [f"{point.on:%m/%Y}" for point in board.months[-12:]]
    assert [label for label, _values in report.trend.rows] == ["Ensemble du programme"]
    assert report.trend.rows[0][1][-1] == percent_text(board.cockpit[0].share)
    assert "Télécharger le PDF" in content
    for figure in _figures(board):
        assert figure in content


def test_without_a_milestone_the_report_covers_the_last_30_days_and_hides_small_counts(
    client, committee
):
    for population in committee.programme.populations.all():
        population.milestones.all().delete()
    client.force_login(committee.owner)
    response = client.get(reverse("programmes:committee_report", kwargs={"slug": "programme-dr"}))
    activity = response.context["report"].activity
    assert activity.since == committee.today - timedelta(days=30)
    assert activity.milestones == [] and activity.checkins == 0
    assert activity.reminders_sent == 7  # with the one sent 30 days ago: the period's first day
    assert response.context["report"].barriers == []
    # Under the privacy minimum, a count reads « moins de 5 » for the owner, not for staff.
    Reminder.objects.filter(population=committee.population).delete()
    ReminderFactory.create_batch(3, population=committee.small, sent_at=timezone.now())
    owner_view = client.get(reverse("programmes:committee_report", kwargs={"slug": "programme-dr"}))
    assert owner_view.context["report"].activity.reminders_sent == "moins de 5"
    client.force_login(committee.staff)
    staff_view = client.get(reverse("programmes:committee_report", kwargs={"slug": "programme-dr"}))
    assert staff_view.context["report"].activity.reminders_sent == 3


def test_many_populations_stay_on_two_pages_with_the_largest_listed(client, cast, tmp_path):
    """Nine populations with long names, each with a milestone of a long title held the same
    day: the table lists the six largest, page 2 five milestones; still two pages."""
    today = timezone.localdate()
    month_end = today.replace(day=1) - timedelta(days=1)
    long = " des services déconcentrés de l’administration territoriale de l’État"
    populations = [cast.population]
    for n in range(1, 9):
        population = TargetPopulationFactory(programme=cast.programme, name=f"Population {n}{long}")
        TargetFactory(population=population)
        _line(population, enrolled=100 * n, share=20 + n, per_day=0.02 * n, today=today,
              month_end=month_end)  # fmt: skip
        populations.append(population)
    _line(cast.population, enrolled=50, share=40, per_day=0.1, today=today, month_end=month_end)
    title = "Point d’étape de mi-parcours avec les encadrants de proximité " * 3
    for n, population in enumerate(populations):
        agents = cast.team if n == 0 else AgentFactory.create_batch(5)
        _milestones(population, agents, days_ago=10, title=title[:200])
    client.force_login(cast.owner)
    url = reverse("programmes:committee_report", kwargs={"slug": "programme-dr"})
    report = client.get(url).context["report"]
    shown = [row.line.label for row in report.populations]
    assert shown == [f"Population {n}{long}" for n in range(8, 8 - MAX_POPULATIONS, -1)]
    assert report.others == 9 - MAX_POPULATIONS
    assert len(report.activity.milestones) == 5 and report.activity.milestones_held == 9
    response = _pdf(client, cast.owner)
    assert pdf_pages(response.content, tmp_path) == 2
    text = words(pdf_text(response.content, tmp_path))
    assert f"Et {9 - MAX_POPULATIONS} autres populations : voir le tableau de bord." in text
    assert "et d’autres : 9 en tout" in text


def test_a_programme_without_figures_yet_has_its_report(client, cast, tmp_path):
    client.force_login(cast.owner)
    url = reverse("programmes:committee_report", kwargs={"slug": "programme-dr"})
    response = client.get(url)
    assert response.status_code == 200
    report = response.context["report"]
    assert report.headline is None and report.populations == [] and report.trend is None
    response = _pdf(client, cast.owner)
    assert pdf_pages(response.content, tmp_path) == 2
    text = words(pdf_text(response.content, tmp_path))
    assert "Pas encore de chiffres." in text and "Aucun point d’étape tenu" in text


@pytest.mark.parametrize("name", ["committee_report", "committee_report_pdf"])
def test_only_the_programmes_owners_and_staff_read_the_report(client, committee, name):
    url = reverse(f"programmes:{name}", kwargs={"slug": "programme-dr"})
    other_owner = UserFactory(email="autre-pilote@exemple.gouv.fr")
    committee.other_population.programme.owners.add(other_owner)
    client.force_login(other_owner)
    assert client.get(url).status_code == 404
    client.force_login(committee.ambassador)  # sees the dashboard, not the report
    assert client.get(url).status_code == 403
    client.force_login(committee.agent)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code in (302, 404)


def test_the_dashboard_links_to_the_report_for_its_owners_only(client, committee):
    client.force_login(committee.owner)
    url = reverse("programmes:dashboard", kwargs={"slug": "programme-dr"})
    content = client.get(url).content.decode()
    assert reverse("programmes:committee_report_pdf", kwargs={"slug": "programme-dr"}) in content
    client.force_login(committee.ambassador)
    content = client.get(url).content.decode()
    assert 'id="committee-report"' not in content


# Session and user (2); the programme (scoped), is the user an owner (2); the dashboard's
# (its populations, those the user accompanies, the latest stats rows, the rows over time,
# the barriers, milestones and their counts, the targets' deadlines: 8); the report's (the
# owners, the check-ins, the resources followed, the reminders sent: 4); the header's
# roles (1).
COMMITTEE_QUERIES = 17


# The PDF: the same, without the page's header.
COMMITTEE_PDF_QUERIES = COMMITTEE_QUERIES - 1


@pytest.mark.parametrize(
    ("name", "agents", "queries"),
    [
        ("committee_report", 6, COMMITTEE_QUERIES),
        ("committee_report", 12, COMMITTEE_QUERIES),
        ("committee_report_pdf", 12, COMMITTEE_PDF_QUERIES),
    ],
)
def test_the_report_query_count_is_pinned(
    client, cast, name, agents, queries, django_assert_num_queries
):
    today = timezone.localdate()
    month_end = today.replace(day=1) - timedelta(days=1)
    _line(cast.population, enrolled=1000, share=50, per_day=0.2, today=today, month_end=month_end)
    team = cast.team + AgentFactory.create_batch(agents - 6)
    _milestones(cast.population, team, days_ago=10, title="Point")
    ReminderFactory.create_batch(agents, population=cast.population, sent_at=timezone.now())
    ResourceUseFactory.create_batch(agents, resource=ResourceFactory(programme=cast.programme))
    client.force_login(cast.owner)
    url = reverse(f"programmes:{name}", kwargs={"slug": "programme-dr"})
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200
