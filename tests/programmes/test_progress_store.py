"""The stored progress state of enrolments (programmes/progress.py) never drifts from the live
engine (programmes/status.py), nor the populations' tallies (programmes/tally.py) from their
enrolments: random sequences of imports, manual matches, target changes, enrolments, campaigns
followed and tallies merged, compared with the live answer after every step; and the
`check_progress` command that finds and fixes a drift."""

from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns import services as campaign_services
from campaigns.models import Campaign, Competence, Participation
from campaigns.pix_writer import KIND_ASSESSMENT, PixCampaign, PixResult
from programmes import progress, tally
from programmes.enums import ProgressStatus, TargetKind
from programmes.models import Enrolment, Target
from programmes.selectors import population_counts
from programmes.services import enrolment_add
from programmes.status import live_progress, status_filter, with_progress
from tests.agents.factories import AgentFactory
from tests.campaigns.factories import (
    assessed,
    export,
    imported,
    levels,
    not_sent,
    profiles_campaign,
    sent,
)
from tests.programmes.factories import (
    EnrolmentFactory,
    ProgrammeFactory,
    TargetFactory,
    TargetPopulationFactory,
)

PARIS = ZoneInfo("Europe/Paris")
TODAY = date.today()
AGENTS = 4
STRANGERS = ("Inconnu", "Personne")

PROFILES = profiles_campaign(pix_id=91001, code="COLPROP01")
ASSESSMENT = PixCampaign(
    pix_id=92001,
    name="Évaluation propriété",
    kind=KIND_ASSESSMENT,
    code="EVAPROP01",
    organisation_name="DR Test",
    target_profile="Parcours socle",
    external_id_label="Matricule",
    competence_codes=("1.1", "2.1"),
    stage_count=4,
)


def at(days_ago: int, hour: int = 10) -> datetime:
    day = TODAY - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, hour, tzinfo=PARIS)


# --- The steps ------------------------------------------------------------------------------

profile_row = st.one_of(
    st.none(),  # absent from this export
    st.just("started"),
    st.tuples(st.integers(0, 80), st.integers(0, 6), st.integers(0, 6)),  # shared: age, levels
)
assessment_row = st.one_of(
    st.none(),
    st.tuples(st.integers(0, 80), st.none()),  # started, never shared
    st.tuples(st.integers(0, 80), st.integers(0, 4), st.integers(0, 10), st.integers(0, 8)),
)
import_step = st.one_of(
    st.tuples(st.just("profiles"), st.lists(profile_row, min_size=6, max_size=6)),
    st.tuples(st.just("assessment"), st.lists(assessment_row, min_size=6, max_size=6)),
)
target_step = st.tuples(
    st.just("target"),
    st.integers(0, 1),  # population
    st.sampled_from(["level", "level2", "mastery", "stage"]),
    st.integers(0, 5),  # threshold (level, stage, rate in fifths)
)
steps = st.lists(
    st.one_of(
        import_step,
        st.tuples(st.just("match"), st.integers(0, 5), st.integers(0, AGENTS - 1)),
        st.tuples(st.just("unmatch"), st.integers(0, 5)),
        st.tuples(st.just("confirm"), st.integers(0, 5)),
        target_step,
        target_step,  # as likely as an import: most changes of a threshold flip someone
        st.tuples(st.just("untarget"), st.integers(0, 1), st.integers(0, 3)),
        st.tuples(st.just("enrol"), st.integers(0, 1), st.integers(0, AGENTS - 1)),
        st.tuples(st.just("leave"), st.integers(0, 3)),
        st.tuples(st.just("follow"), st.booleans(), st.sampled_from(["profiles", "assessment"])),
        st.tuples(st.just("compact")),
    ),
    min_size=1,
    max_size=9,
)


class World:
    def __init__(self):
        self.programme = ProgrammeFactory(stall_threshold_days=30)
        self.other = ProgrammeFactory(stall_threshold_days=10)
        self.populations = [
            TargetPopulationFactory(programme=self.programme, name="Assistants"),
            TargetPopulationFactory(programme=self.programme, name="Encadrants"),
        ]
        self.other_population = TargetPopulationFactory(programme=self.other, name="Tous")
        self.agents = [AgentFactory() for _ in range(AGENTS)]
        for agent in self.agents[:3]:
            EnrolmentFactory(agent=agent, population=self.populations[0])
        for agent in self.agents[1:]:
            EnrolmentFactory(agent=agent, population=self.other_population)
        self.exports = 0

    def campaign(self, kind: str) -> Campaign | None:
        pix = PROFILES if kind == "profiles" else ASSESSMENT
        return Campaign.objects.filter(pix_id=pix.pix_id).first()

    def people(self):
        """(last name, first name, external id) of each row: the agents, then strangers."""
        rows = [(a.last_name, a.first_name, a.external_id) for a in self.agents[:AGENTS]]
        rows += [(name, "Anne", None) for name in STRANGERS]
        return rows

    def import_export(self, kind: str, rows) -> None:
        self.exports += 1
        participants = []
        for (last, first, external_id), row in zip(self.people(), rows, strict=True):
            if row is None:
                continue
            if kind == "profiles":
                if row == "started":
                    participants.append(not_sent(last, first, external_id))
                else:
                    age, one, two = row
                    results = levels((one, one * 8), (two, two * 8))
                    participants.append(sent(last, first, external_id, at=at(age), results=results))
            else:
                age, *shared = row
                if shared[0] is None:
                    participants.append(assessed(last, first, external_id, started=at(age + 2)))
                    continue
                stage, validated, validated_two = shared
                participants.append(
                    assessed(
                        last,
                        first,
                        external_id,
                        started=at(age + 2),
                        shared=at(age),
                        stage=stage,
                        results=(
                            PixResult("1.1", skills_total=10, skills_validated=validated),
                            PixResult("2.1", skills_total=8, skills_validated=validated_two),
                        ),
                    )
                )
        if not participants:
            return
        pix = PROFILES if kind == "profiles" else ASSESSMENT
        content, name = export(
            pix, participants, exported_at=at(0, hour=8) + timedelta(minutes=self.exports)
        )
        result_import = imported(content, name, programme=self.programme)
        if result_import.campaign_id:
            self.programme.campaigns.add(result_import.campaign_id)

    def participation(self, index: int) -> Participation | None:
        found = list(Participation.objects.order_by("pk"))
        return found[index % len(found)] if found else None

    def target(self, population_index, kind, threshold) -> None:
        population = self.populations[population_index]
        code = "2.1" if kind == "level2" else "1.1"
        competence = Competence.objects.get(code=code)
        assessment = self.campaign("assessment")
        if kind in ("level", "level2"):
            spec = {"kind": TargetKind.LEVEL, "competence": competence, "campaign": None}
            values = {"level": max(threshold, 1), "mastery_rate": None, "stage": None}
        elif assessment is None:
            return
        elif kind == "mastery":
            spec = {"kind": TargetKind.MASTERY_RATE, "competence": competence}
            spec["campaign"] = assessment
            rate = Decimal(threshold * 2) / 10
            values = {"mastery_rate": rate, "level": None, "stage": None}
        else:
            spec = {"kind": TargetKind.STAGE, "competence": None, "campaign": assessment}
            values = {"stage": max(threshold, 1), "level": None, "mastery_rate": None}
        target = Target.objects.filter(population=population, **spec).first()
        if target is None:
            TargetFactory(population=population, **spec, **values)
        else:
            for name, value in values.items():
                setattr(target, name, value)
            target.save()

    def run(self, step) -> None:
        kind = step[0]
        if kind in ("profiles", "assessment"):
            self.import_export(kind, step[1])
        elif kind == "match":
            participation = self.participation(step[1])
            if participation is not None:
                campaign_services.participation_match(
                    participation=participation, agent=self.agents[step[2]]
                )
        elif kind == "unmatch":
            participation = self.participation(step[1])
            if participation is not None:
                campaign_services.participation_unmatch(participation=participation)
        elif kind == "confirm":
            participation = self.participation(step[1])
            if participation is not None:
                campaign_services.participation_confirm(participation=participation)
        elif kind == "target":
            self.target(*step[1:])
        elif kind == "untarget":
            targets = list(self.populations[step[1]].targets.order_by("pk"))
            if targets:
                targets[step[2] % len(targets)].delete()
        elif kind == "enrol":
            enrolment_add(population=self.populations[step[1]], agent_ids=[self.agents[step[2]].pk])
        elif kind == "leave":
            enrolments = list(Enrolment.objects.filter(end_date=None).order_by("pk"))
            if enrolments:
                enrolment = enrolments[step[1] % len(enrolments)]
                enrolment.end_date = TODAY
                enrolment.save()
        elif kind == "follow":
            campaign = self.campaign(step[2])
            if campaign is not None:
                followed = self.other.campaigns
                (followed.add if step[1] else followed.remove)(campaign)
        elif kind == "compact":
            tally.compact()


def assert_no_drift(world: World, step) -> None:
    drifted = progress.drift()
    assert drifted == [], f"after {step}: {drifted}"
    for programme in (world.programme, world.other):
        enrolments = Enrolment.objects.filter(population__programme=programme)
        stored = dict(
            with_progress(enrolments, programmes=[programme]).values_list("pk", "progress_status")
        )
        live = dict(
            live_progress(enrolments, programmes=[programme]).values_list("pk", "live_status")
        )
        assert stored == live, f"after {step}"
        for status in ProgressStatus:
            chosen = set(
                enrolments.filter(status_filter(status, programme)).values_list("pk", flat=True)
            )
            assert chosen == {pk for pk, value in live.items() if value == status}, step
    # The populations' tallies, group by group (a group missed stays wrong until rebuilt).
    assert tally.drift() == [], f"after {step}"


def assert_counts_as_live(world: World) -> None:
    """The counts the population page reads from the tallies are the live statuses'."""
    for population in (*world.populations, world.other_population):
        current = population.enrolments.current()
        live = Counter(
            live_progress(current, programmes=[population.programme]).values_list(
                "live_status", flat=True
            )
        )
        counted = population_counts(population).statuses.counts
        assert counted == {status: live[status] for status in ProgressStatus}


@pytest.mark.django_db
@settings(
    # About 1.4 s an example on CI's 2 cores (a world, up to 9 steps, each checked live):
    # 35 keep this test under a minute of the suite's 15.
    max_examples=35,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_stored_progress_never_drifts(steps):
    with transaction.atomic():
        world = World()
        assert_no_drift(world, "set-up")
        for step in steps:
            world.run(step)
            assert_no_drift(world, step)
        assert_counts_as_live(world)
        transaction.set_rollback(True)


# --- check_progress -------------------------------------------------------------------------


@pytest.fixture
def drifted(db):
    """A programme whose stored state was changed behind the code's back."""
    world = World()
    world.import_export("profiles", [(3, 4, 2), "started", None, (50, 1, 1), (1, 2, 2), None])
    world.target(0, "level", 3)
    enrolment = Enrolment.objects.get(agent=world.agents[0], population=world.populations[0])
    assert enrolment.reached
    Enrolment.objects.filter(pk=enrolment.pk).update(reached=False, targets_met=0)
    return enrolment


def test_check_progress_reports_a_drift_and_fails(drifted):
    out = StringIO()
    with pytest.raises(CommandError, match="--fix"):
        call_command("check_progress", stdout=out)
    assert "1 en écart" in out.getvalue()
    assert f"inscription {drifted.pk} " in out.getvalue()
    drifted.refresh_from_db()
    assert not drifted.reached


def test_check_progress_fix_recomputes_what_drifted(drifted, caplog):
    out = StringIO()
    call_command("check_progress", "--fix", stdout=out)
    assert "1 en écart" in out.getvalue()
    assert "1 inscriptions recalculées" in out.getvalue()
    assert any(record.levelname == "ERROR" for record in caplog.records)
    drifted.refresh_from_db()
    assert drifted.reached and drifted.targets_met == 1
    out = StringIO()
    call_command("check_progress", stdout=out)
    assert "0 en écart" in out.getvalue()


def test_check_progress_unknown_programme(db):
    with pytest.raises(CommandError, match="Aucun programme"):
        call_command("check_progress", "--programme", "nope")


def test_a_new_threshold_recounts_from_the_stored_values(db, django_assert_num_queries):
    world = World()
    world.import_export("profiles", [(3, 4, 2), (3, 2, 2), None, None, None, None])
    world.target(0, "level", 3)
    first, second = (
        Enrolment.objects.get(agent=agent, population=world.populations[0])
        for agent in world.agents[:2]
    )
    assert (first.reached, second.reached) == (True, False)
    target = Target.objects.get(population=world.populations[0])
    target.level = 2
    # The target's update, then the recount: its population, its targets, the population's
    # rows and one UPDATE; no result read, whatever the number of agents.
    with django_assert_num_queries(5):
        target.save()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.reached, second.reached) == (True, True)
    assert progress.drift() == []


def test_the_nightly_task_fixes_a_drift_and_is_scheduled(drifted, settings, caplog):
    from programmes.steering.tasks import check_progress

    assert check_progress.delay().get() == 1
    assert any(record.levelname == "ERROR" for record in caplog.records)
    drifted.refresh_from_db()
    assert drifted.reached
    assert check_progress.delay().get() == 0
    schedule = settings.CELERY_BEAT_SCHEDULE["check-progress"]
    assert schedule["task"] == check_progress.name == "programmes.tasks.check_progress"
    # Before the figures that read the stored state.
    refresh = settings.CELERY_BEAT_SCHEDULE["refresh-population-stats"]["schedule"]
    first = (min(schedule["schedule"].hour), min(schedule["schedule"].minute))
    assert first < (min(refresh.hour), min(refresh.minute))
