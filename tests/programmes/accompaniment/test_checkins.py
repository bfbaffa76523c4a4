"""Check-ins: the barrier list of a programme, milestones of a population, the run-through
recording each agent's check-in, and who reads check-in notes."""

import datetime
from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from programmes.accompaniment.checkins import selectors as selectors_checkins
from programmes.accompaniment.checkins import services
from programmes.enums import DEFAULT_BARRIERS, ProgressStatus
from programmes.models import Barrier, CheckIn, Milestone
from programmes.privacy.consent import consent_grant
from tests.agents.factories import AgentFactory, UserFactory
from tests.campaigns.factories import CampaignFactory
from tests.programmes.factories import (
    EnrolmentFactory,
    ProgrammeFactory,
    TargetFactory,
    TargetPopulationFactory,
)
from tests.programmes.factories_accompaniment import (
    BarrierFactory,
    CheckInFactory,
    MilestoneFactory,
    share_levels,
)

TODAY = timezone.localdate


def url(name, **kwargs):
    return reverse(f"programmes:{name}", kwargs=kwargs)


def run_url(milestone, agent=None):
    base = url("milestone_run", pk=milestone.pk)
    return f"{base}?agent={agent.pk}" if agent is not None else base


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def barrier(programme, label):
    return programme.barriers.get(label=label)


def record(milestone, agent, by, **fields):
    values = {"barriers": [], "comment": "", "next_step": "", "next_step_due": None}
    values.update(fields)
    return services.checkin_record(milestone=milestone, agent=agent, recorded_by=by, **values)


@pytest.fixture
def milestone(cast):
    return MilestoneFactory(population=cast.population, title="Point à trois mois")


@pytest.fixture
def trio(cast):
    """A small population of the cast's programme, accompanied by the cast's ambassador:
    three agents, in run-through order Bernard Claire, Bernard Paul, Durand Anne."""
    population = TargetPopulationFactory(
        programme=cast.programme, name="Gestionnaires", ambassadors=[cast.ambassador]
    )
    TargetFactory(population=population)
    durand = AgentFactory(last_name="Durand", first_name="Anne")
    paul = AgentFactory(last_name="Bernard", first_name="Paul")
    claire = AgentFactory(last_name="Bernard", first_name="Claire")
    for agent in (durand, paul, claire):
        EnrolmentFactory(agent=agent, population=population)
    milestone = MilestoneFactory(population=population, title="Point de rentrée")
    return SimpleNamespace(
        population=population, milestone=milestone, agents=[claire, paul, durand]
    )


# --- Recording a check-in (the service) ---------------------------------------------------


def test_a_checkin_takes_the_status_and_targets_from_the_data(cast, milestone):
    campaign = CampaignFactory()
    cast.programme.campaigns.add(campaign)
    share_levels(cast.agent_agent, campaign, {"1.1": 4}, days_ago=2)
    reached = record(milestone, cast.agent_agent, cast.ambassador)
    idle = record(milestone, cast.team[1], cast.ambassador)
    assert (reached.status, reached.targets_met, reached.targets_set) == (
        ProgressStatus.TARGET_REACHED,
        1,
        1,
    )
    assert (idle.status, idle.targets_met, idle.targets_set) == (ProgressStatus.NOT_STARTED, 0, 1)
    assert reached.recorded_by == cast.ambassador


def test_the_status_snapshot_is_the_status_at_the_milestone_date(cast):
    # Last progress 40 days ago, threshold 30 days: stalled today, in progress 20 days ago.
    campaign = CampaignFactory()
    cast.programme.campaigns.add(campaign)
    share_levels(cast.agent_agent, campaign, {"1.1": 1}, days_ago=40)
    past = MilestoneFactory(population=cast.population, date=TODAY() - datetime.timedelta(20))
    today = MilestoneFactory(population=cast.population, date=TODAY())
    assert record(past, cast.agent_agent, cast.ambassador).status == ProgressStatus.IN_PROGRESS
    assert record(today, cast.agent_agent, cast.ambassador).status == ProgressStatus.STALLED


def test_recording_again_updates_the_checkin_and_who_recorded_it(cast, milestone):
    time, hard = (
        barrier(cast.programme, "Manque de temps"),
        barrier(cast.programme, "Contenu trop difficile"),
    )
    first = record(milestone, cast.agent_agent, cast.ambassador, barriers=[time], comment="A")
    second = record(
        milestone,
        cast.agent_agent,
        cast.staff,
        barriers=[hard],
        comment="B",
        next_step="Passer la collecte",
        next_step_due=milestone.date,
    )
    assert second.pk == first.pk
    assert CheckIn.objects.count() == 1
    second.refresh_from_db()
    assert list(second.barriers.all()) == [hard]
    assert (second.comment, second.next_step, second.recorded_by) == (
        "B",
        "Passer la collecte",
        cast.staff,
    )


@pytest.mark.parametrize(
    "fields,message",
    [
        ({"next_step_due": -1}, "ne peut précéder la date du point"),
        ({"barriers": "foreign"}, "Les freins doivent être ceux du programme."),
        ({"comment": "x" * 2001}, "Le commentaire dépasse 2000 caractères."),
        ({"next_step": "x" * 301}, "La prochaine étape dépasse 300 caractères."),
    ],
)
def test_a_checkin_breaking_a_rule_is_refused_and_nothing_is_saved(
    cast, milestone, fields, message
):
    if fields.get("next_step_due") == -1:
        fields["next_step_due"] = milestone.date - datetime.timedelta(days=1)
    if fields.get("barriers") == "foreign":
        fields["barriers"] = [BarrierFactory(programme=cast.other_population.programme)]
    with pytest.raises(services.CheckInInvalid) as error:
        record(milestone, cast.agent_agent, cast.ambassador, **fields)
    assert any(message in m for m in error.value.messages)
    assert not CheckIn.objects.exists()


def test_an_agent_not_enrolled_in_the_population_gets_no_checkin(cast, milestone):
    with pytest.raises(services.CheckInInvalid):
        record(milestone, cast.stranger_agent, cast.ambassador)
    assert not CheckIn.objects.exists()


# --- The run-through ----------------------------------------------------------------------


def test_the_run_through_goes_from_agent_to_agent_in_name_order_until_all_are_done(
    client, cast, trio
):
    client.force_login(cast.ambassador)
    claire, paul, durand = trio.agents
    response = client.get(run_url(trio.milestone))
    assert response.context["step"].agent == claire
    assert "Agent 1 sur 3, 2 restants" in response.content.decode()

    response = client.post(run_url(trio.milestone, claire), {"comment": "Vue en réunion"})
    assert response.url == run_url(trio.milestone, paul)
    response = client.get(response.url)
    assert "Agent 2 sur 3, 1 restant" in response.content.decode()

    response = client.post(run_url(trio.milestone, paul), {})
    assert response.url == run_url(trio.milestone, durand)
    response = client.post(run_url(trio.milestone, durand), {"next_step": "Se lancer"})
    assert response.url == url("milestone_detail", pk=trio.milestone.pk)
    assert "Tous les agents ont un point d’étape." in messages_of(response)
    assert set(trio.milestone.checkins.values_list("agent", flat=True)) == {
        a.pk for a in trio.agents
    }
    assert trio.milestone.checkins.get(agent=claire).recorded_by == cast.ambassador


def test_the_run_through_of_a_large_population_says_how_many_are_left_without_a_rank(
    client, cast, trio, monkeypatch
):
    claire, paul, durand = trio.agents
    CheckInFactory(milestone=trio.milestone, agent=paul)
    client.force_login(cast.ambassador)
    response = client.get(run_url(trio.milestone, durand))
    step = response.context["step"]
    assert (step.position, step.total, step.remaining) == (3, 3, 1)
    assert "Agent 3 sur 3, 1 restant" in response.content.decode()
    monkeypatch.setattr(selectors_checkins, "RUN_POSITION_UP_TO", 2)
    response = client.get(run_url(trio.milestone, durand))
    step = response.context["step"]
    assert (step.position, step.total, step.remaining) == (None, 3, 1)
    content = response.content.decode()
    assert "1 agent restant sur 3" in content and "Agent 3" not in content
    # On the agent already seen: the others left, this one aside.
    step = client.get(run_url(trio.milestone, paul)).context["step"]
    assert (step.position, step.remaining) == (None, 2)


def test_the_run_through_with_nobody_left_goes_back_to_the_milestone(client, cast, trio):
    for agent in trio.agents:
        CheckInFactory(milestone=trio.milestone, agent=agent)
    client.force_login(cast.ambassador)
    response = client.get(run_url(trio.milestone))
    assert response.url == url("milestone_detail", pk=trio.milestone.pk)
    assert "Tous les agents ont un point d’étape." in messages_of(response)


def test_skipping_leads_to_the_next_agent_left_and_comes_back_round(client, cast, trio):
    claire, paul, durand = trio.agents
    CheckInFactory(milestone=trio.milestone, agent=paul)
    client.force_login(cast.ambassador)
    assert client.get(run_url(trio.milestone, claire)).context["step"].skip_to == durand
    step = client.get(run_url(trio.milestone, durand)).context["step"]
    assert (step.skip_to, step.position, step.remaining) == (claire, 3, 1)
    # Saving the last one in order goes back to the one skipped.
    response = client.post(run_url(trio.milestone, durand), {})
    assert response.url == run_url(trio.milestone, claire)


def test_the_only_agent_left_has_no_skip_link(client, cast, trio):
    claire, paul, durand = trio.agents
    CheckInFactory(milestone=trio.milestone, agent=claire)
    CheckInFactory(milestone=trio.milestone, agent=durand)
    client.force_login(cast.ambassador)
    response = client.get(run_url(trio.milestone))
    assert response.context["step"].agent == paul
    assert response.context["step"].skip_to is None
    assert "Passer cet agent" not in response.content.decode()


def test_the_run_screen_is_keyboard_ready(client, cast, trio):
    client.force_login(cast.ambassador)
    content = client.get(run_url(trio.milestone)).content.decode()
    form = content[content.index('id="checkin-form"') :]
    first_box = form[form.index('<input type="checkbox"') :]
    first_box = first_box[: first_box.index(">")]
    assert "autofocus" in first_box
    assert content.count("autofocus") == 1
    # The save button is the form's first submit button: Enter in a field saves.
    first_submit = form[form.index('type="submit"') - 20 : form.index("</button>")]
    assert "Enregistrer et passer au suivant" in first_submit
    assert form.index("Enregistrer et passer au suivant") < form.index("Passer cet agent")
    assert '<fieldset id="div_id_barriers"' in form
    assert "<legend" in form


def test_the_run_screen_shows_the_agent_and_their_status_at_the_milestone(client, cast, milestone):
    campaign = CampaignFactory()
    cast.programme.campaigns.add(campaign)
    share_levels(cast.agent_agent, campaign, {"1.1": 4}, days_ago=2)
    client.force_login(cast.ambassador)
    response = client.get(run_url(milestone, cast.agent_agent))
    content = response.content.decode()
    assert cast.agent_agent.full_name in content
    assert cast.agent_agent.org_unit.name in content
    assert cast.agent_agent.job_title in content
    assert response.context["step"].enrolment.progress_status == ProgressStatus.TARGET_REACHED
    assert "Objectif atteint" in content


def test_the_previous_checkin_and_its_next_step_are_shown(client, cast, milestone):
    earlier = MilestoneFactory(
        population=cast.population, date=milestone.date - datetime.timedelta(days=90)
    )
    record(
        earlier,
        cast.agent_agent,
        cast.ambassador,
        barriers=[barrier(cast.programme, "Manque de temps")],
        next_step="Réserver une heure le vendredi",
        next_step_due=earlier.date + datetime.timedelta(days=30),
    )
    later = MilestoneFactory(
        population=cast.population, date=milestone.date + datetime.timedelta(days=90)
    )
    CheckInFactory(milestone=later, agent=cast.agent_agent, next_step="Pas celle-ci")
    client.force_login(cast.ambassador)
    response = client.get(run_url(milestone, cast.agent_agent))
    assert response.context["step"].previous.milestone == earlier
    content = response.content.decode()
    assert "Réserver une heure le vendredi" in content
    assert "Pas celle-ci" not in content


def test_editing_an_existing_checkin_starts_from_what_was_recorded(client, cast, milestone):
    retired = barrier(cast.programme, "Absence")
    checkin = record(
        milestone, cast.agent_agent, cast.ambassador, barriers=[retired], comment="En congé"
    )
    services.barrier_set_active(barrier=retired, is_active=False)
    client.force_login(cast.ambassador)
    form = client.get(run_url(milestone, cast.agent_agent)).context["form"]
    assert form.initial["comment"] == "En congé"
    offered = list(form.fields["barriers"].queryset)
    assert retired in offered  # retired, but already on this check-in
    other_form = client.get(run_url(milestone, cast.team[1])).context["form"]
    assert retired not in other_form.fields["barriers"].queryset
    response = client.post(
        run_url(milestone, cast.agent_agent),
        {"barriers": [retired.pk], "comment": "Rentrée lundi"},
    )
    assert response.status_code == 302
    checkin.refresh_from_db()
    assert checkin.comment == "Rentrée lundi"
    assert list(checkin.barriers.all()) == [retired]


@pytest.mark.parametrize(
    "data,message",
    [
        ({"next_step_due": "2000-01-01"}, "L’échéance ne peut précéder la date du point"),
        ({"next_step_due": "demain"}, "Saisissez une date valide"),
        ({"barriers": ["999999"]}, "Choisissez des freins de la liste du programme."),
        ({"comment": "x" * 2001}, "2000 caractères"),
        ({"next_step": "x" * 301}, "300 caractères"),
    ],
)
def test_a_wrong_checkin_form_shows_french_errors_and_saves_nothing(
    client, cast, milestone, data, message
):
    client.force_login(cast.ambassador)
    response = client.post(run_url(milestone, cast.agent_agent), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CheckIn.objects.exists()


def test_a_retired_barrier_or_another_programmes_barrier_cannot_be_ticked(client, cast, milestone):
    retired = barrier(cast.programme, "Absence")
    services.barrier_set_active(barrier=retired, is_active=False)
    foreign = BarrierFactory(programme=cast.other_population.programme)
    client.force_login(cast.ambassador)
    for chosen in (retired, foreign):
        response = client.post(run_url(milestone, cast.agent_agent), {"barriers": [chosen.pk]})
        assert response.status_code == 200
        assert "Choisissez des freins de la liste du programme." in response.content.decode()
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize("who", ["stranger", "former", "garbage"])
def test_the_run_through_only_takes_agents_currently_in_the_population(
    client, cast, milestone, who
):
    former = cast.team[2]
    enrolment = cast.population.enrolments.get(agent=former)
    enrolment.end_date = TODAY()
    enrolment.save()
    client.force_login(cast.ambassador)
    target = {"stranger": cast.stranger_agent.pk, "former": former.pk, "garbage": "abc"}[who]
    base = url("milestone_run", pk=milestone.pk)
    assert client.get(f"{base}?agent={target}").status_code == 404
    assert client.post(f"{base}?agent={target}", {"comment": "x"}).status_code == 404
    assert not CheckIn.objects.exists()


def test_owners_do_not_record_checkins_even_under_the_managerial_purpose(
    client, managerial_cast, milestone
):
    client.force_login(managerial_cast.owner)
    target = run_url(milestone, managerial_cast.agent_agent)
    assert client.get(target).status_code == 403
    assert client.post(target, {"comment": "x"}).status_code == 403
    assert not CheckIn.objects.exists()


def test_staff_and_the_programmes_ambassadors_record_checkins(client, cast, milestone):
    programme_ambassador = UserFactory()
    cast.programme.ambassadors.add(programme_ambassador)
    for user in (cast.staff, programme_ambassador):
        client.force_login(user)
        response = client.post(run_url(milestone, cast.agent_agent), {"comment": user.email})
        assert response.status_code == 302
        assert milestone.checkins.get(agent=cast.agent_agent).recorded_by == user


# --- The milestone page and milestones ----------------------------------------------------


def test_the_milestone_page_counts_the_current_agents_checked_in(client, cast, milestone):
    record(milestone, cast.agent_agent, cast.ambassador)
    record(milestone, cast.team[1], cast.ambassador)
    leaving = cast.population.enrolments.get(agent=cast.team[1])
    leaving.end_date = TODAY()
    leaving.save()
    client.force_login(cast.ambassador)
    response = client.get(url("milestone_detail", pk=milestone.pk))
    progress = response.context["progress"]
    assert (progress.done, progress.total, progress.remaining) == (1, 5, 4)
    assert "<strong>1 sur 5</strong> agents ont leur point d’étape." in response.content.decode()


def test_the_ambassador_sees_who_is_left_and_the_checkins_done(client, cast, milestone):
    record(
        milestone,
        cast.agent_agent,
        cast.ambassador,
        barriers=[barrier(cast.programme, "Charge de travail")],
        next_step="Collecte de profils",
        next_step_due=milestone.date + datetime.timedelta(days=15),
    )
    client.force_login(cast.ambassador)
    waiting = client.get(url("milestone_detail", pk=milestone.pk)).context["page_obj"]
    assert [a.pk for a in waiting] == [
        a.pk
        for a in sorted(
            cast.team[1:], key=lambda a: (a.last_name.lower(), a.first_name.lower(), a.pk)
        )
    ]
    response = client.get(url("milestone_detail", pk=milestone.pk), {"vue": "faits"})
    (done,) = response.context["page_obj"]
    assert done.agent == cast.agent_agent
    content = response.content.decode()
    for text in ("Charge de travail", "Collecte de profils", str(cast.ambassador)):
        assert text in content
    assert f"{run_url(milestone, cast.agent_agent)}" in content


def test_the_not_yet_list_is_paginated(client, cast, milestone):
    for agent in AgentFactory.create_batch(50):
        EnrolmentFactory(agent=agent, population=cast.population)
    client.force_login(cast.ambassador)
    page = client.get(url("milestone_detail", pk=milestone.pk)).context["page_obj"]
    assert (page.paginator.count, len(page)) == (56, 50)


def _run_order(agents):
    """By name, case aside (ASCII names: SQLite lowers no other letter), then id."""
    return [
        a.pk
        for a in sorted(agents, key=lambda a: (a.last_name.lower(), a.first_name.lower(), a.pk))
    ]


@pytest.mark.parametrize("page_size", [50, 2])
def test_a_long_list_left_is_walked_in_the_same_order_as_a_short_one_is_sorted(
    client, cast, milestone, monkeypatch, settings, page_size
):
    """Past LEFT_SORTED_UP_TO agents left, the page walks the agents in run-through order
    (each tested on its own, or past LEFT_PAGES_PROBED with the population hashed): the
    same agents, in the same order, on every page, as the sorted list."""
    settings.PAGINATION_PAGE_SIZE = page_size
    others = [
        AgentFactory(last_name=name) for name in ("Abel", "abel", "Zoe", "de Villiers", "Abel")
    ]
    for agent in others:
        EnrolmentFactory(agent=agent, population=cast.population)
    outside = AgentFactory(last_name="Aaron")  # in no population of the milestone
    EnrolmentFactory(agent=outside)
    record(milestone, cast.agent_agent, cast.ambassador)
    expected = _run_order([*cast.team[1:], *others])
    client.force_login(cast.ambassador)

    def listed():
        shown, page = [], 1
        while True:
            response = client.get(url("milestone_detail", pk=milestone.pk), {"page": page})
            page_obj = response.context["page_obj"]
            assert page_obj.paginator.count == len(expected)
            shown += [agent.pk for agent in page_obj]
            if not page_obj.has_next():
                return shown
            page += 1

    assert listed() == expected
    monkeypatch.setattr(selectors_checkins, "LEFT_SORTED_UP_TO", 0)
    assert listed() == expected
    monkeypatch.setattr(selectors_checkins, "LEFT_PAGES_PROBED", 1)
    assert listed() == expected


def test_an_agent_enrolled_twice_at_once_counts_once_at_a_milestone(client, cast, milestone):
    """A dated leave still to come and a new open enrolment: one agent, on the count and in
    the list left."""
    agent = cast.team[1]
    cast.population.enrolments.filter(agent=agent).update(
        end_date=TODAY() + datetime.timedelta(days=30)
    )
    EnrolmentFactory(agent=agent, population=cast.population, start_date=TODAY())
    client.force_login(cast.ambassador)
    response = client.get(url("milestone_detail", pk=milestone.pk))
    progress = response.context["progress"]
    assert (progress.done, progress.total) == (0, 6)
    assert [a.pk for a in response.context["page_obj"]].count(agent.pk) == 1
    record(milestone, agent, cast.ambassador)
    progress = client.get(url("milestone_detail", pk=milestone.pk)).context["progress"]
    assert (progress.done, progress.total) == (1, 6)


def test_the_head_count_counts_each_current_agent_once_whatever_their_enrolments(cast):
    """The head count comes from the population's tally less the agents enrolled more than
    once at once: it equals the current agents counted one by one, with dated leaves to come,
    several at once ending the same day, an ended enrolment and one that starts tomorrow."""
    population, today = cast.population, TODAY()
    day = datetime.timedelta(days=1)
    twice, thrice, left, coming = AgentFactory.create_batch(4)
    EnrolmentFactory(agent=twice, population=population, end_date=today + 30 * day)
    EnrolmentFactory(agent=twice, population=population, start_date=today)
    for end in (today + 10 * day, today + 10 * day, today + 40 * day):  # none open
        EnrolmentFactory(agent=thrice, population=population, end_date=end)
    EnrolmentFactory(agent=left, population=population, end_date=today)
    EnrolmentFactory(agent=left, population=population, end_date=today - 5 * day)
    EnrolmentFactory(agent=coming, population=population, start_date=today + day)
    EnrolmentFactory(agent=coming, population=population, end_date=today + 3 * day)
    current = population.enrolments.current(today)
    expected = len(set(current.values_list("agent_id", flat=True)))
    assert current.count() == expected + 1 + 2  # twice once more, thrice twice more
    assert selectors_checkins.head_count(population, today) == expected
    # Tomorrow `coming` has two enrolments at once; in 31 days `twice` has one left.
    for later in (today + day, today + 31 * day):
        agents = set(population.enrolments.current(later).values_list("agent_id", flat=True))
        assert selectors_checkins.head_count(population, later) == len(agents), later


def test_the_owner_of_a_self_assessment_programme_sees_counts_but_no_names_nor_notes(
    client, cast, milestone
):
    record(milestone, cast.agent_agent, cast.ambassador, comment="Inquiète pour son poste")
    client.force_login(cast.owner)
    for params in ({}, {"vue": "faits"}):
        response = client.get(url("milestone_detail", pk=milestone.pk), params)
        content = response.content.decode()
        assert "<strong>1 sur 6</strong>" in content
        assert "page_obj" not in response.context
        assert "Inquiète" not in content
        for agent in cast.team:
            assert agent.last_name.upper() not in content


def test_a_milestone_needs_a_date_and_a_title(client, cast):
    client.force_login(cast.ambassador)
    response = client.post(
        url("milestone_create", pk=cast.population.pk), {"date": "", "title": ""}
    )
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"date", "title"}
    assert not Milestone.objects.exists()


def test_creating_a_milestone_and_refusing_its_duplicate(client, cast):
    client.force_login(cast.ambassador)
    data = {"date": "2026-03-31", "title": "Point de printemps"}
    response = client.post(url("milestone_create", pk=cast.population.pk), data)
    milestone = Milestone.objects.get()
    assert response.url == url("milestone_detail", pk=milestone.pk)
    assert (milestone.population, milestone.created_by) == (cast.population, cast.ambassador)
    response = client.post(url("milestone_create", pk=cast.population.pk), data)
    assert response.status_code == 200
    assert "La population a déjà un point d’étape « Point de printemps » le 31 mars 2026." in (
        response.content.decode()
    )
    assert Milestone.objects.count() == 1
    # The same title on another date, or in another population, is another milestone.
    client.post(url("milestone_create", pk=cast.population.pk), {**data, "date": "2026-06-30"})
    assert Milestone.objects.count() == 2


def test_editing_a_milestone_refuses_to_copy_another(client, cast, milestone):
    other = MilestoneFactory(population=cast.population, title="Autre")
    client.force_login(cast.owner)
    data = {"date": other.date.isoformat(), "title": "Autre"}
    response = client.post(url("milestone_edit", pk=milestone.pk), data)
    assert response.status_code == 200
    milestone.refresh_from_db()
    assert milestone.title == "Point à trois mois"
    response = client.post(url("milestone_edit", pk=milestone.pk), {**data, "title": "Bilan"})
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.title == "Bilan"


def test_a_milestone_with_checkins_is_not_deleted(client, cast, milestone):
    record(milestone, cast.agent_agent, cast.ambassador)
    client.force_login(cast.ambassador)
    response = client.post(url("milestone_delete", pk=milestone.pk))
    assert response.url == url("milestone_detail", pk=milestone.pk)
    assert "il ne peut pas être supprimé" in messages_of(response)[0]
    assert Milestone.objects.filter(pk=milestone.pk).exists()


def test_a_milestone_without_checkins_is_deleted(client, cast, milestone):
    client.force_login(cast.owner)
    response = client.post(url("milestone_delete", pk=milestone.pk))
    assert response.url == url("milestone_list", pk=cast.population.pk)
    assert not Milestone.objects.exists()


def test_milestones_of_another_population_cannot_be_changed(client, cast):
    other = MilestoneFactory(population=cast.other_population)
    client.force_login(cast.ambassador)
    assert client.post(url("milestone_delete", pk=other.pk)).status_code == 404
    assert client.post(url("milestone_edit", pk=other.pk), {"title": "x"}).status_code == 404
    assert Milestone.objects.filter(pk=other.pk).exists()


def test_the_milestone_list_counts_each_milestone(client, cast, milestone):
    record(milestone, cast.agent_agent, cast.ambassador)
    MilestoneFactory(population=cast.population, date=milestone.date + datetime.timedelta(90))
    client.force_login(cast.owner)
    response = client.get(url("milestone_list", pk=cast.population.pk))
    rows = list(response.context["page_obj"])
    assert [m.checked_in for m in rows] == [0, 1]  # latest first
    assert "1 sur 6" in response.content.decode()


def test_the_population_page_links_to_its_milestones(client, cast):
    client.force_login(cast.ambassador)
    content = client.get(url("population_detail", pk=cast.population.pk)).content.decode()
    assert url("milestone_list", pk=cast.population.pk) in content


# --- The barrier list ---------------------------------------------------------------------


def test_every_new_programme_starts_with_the_default_barriers(db):
    programme = ProgrammeFactory()
    assert list(programme.barriers.order_by("position").values_list("label", flat=True)) == [
        str(label) for label in DEFAULT_BARRIERS
    ]
    services.barriers_create_defaults(programme=programme)  # again: nothing more
    assert programme.barriers.count() == len(DEFAULT_BARRIERS)


def test_the_owner_adds_a_barrier_at_the_end_of_the_list(client, cast):
    client.force_login(cast.owner)
    response = client.post(url("barrier_list", slug=cast.programme.slug), {"label": " Matériel "})
    assert response.url == url("barrier_list", slug=cast.programme.slug)
    last = cast.programme.barriers.order_by("position").last()
    assert (last.label, last.is_active) == ("Matériel", True)


def test_a_duplicate_barrier_is_refused_in_french_and_nothing_changes(client, cast):
    client.force_login(cast.owner)
    before = list(cast.programme.barriers.values_list("pk", "label", "position"))
    response = client.post(url("barrier_list", slug=cast.programme.slug), {"label": "absence"})
    assert response.status_code == 200
    assert "La liste a déjà un frein « absence »." in response.content.decode()
    other = barrier(cast.programme, "Autre")
    response = client.post(
        url("barrier_edit", slug=cast.programme.slug, barrier_id=other.pk),
        {"label": "Manque de temps"},
    )
    assert response.status_code == 200
    assert "La liste a déjà un frein « Manque de temps »." in response.content.decode()
    assert list(cast.programme.barriers.values_list("pk", "label", "position")) == before


def test_renaming_a_barrier_renames_it_on_past_checkins(client, cast, milestone):
    other = barrier(cast.programme, "Autre")
    checkin = record(milestone, cast.agent_agent, cast.ambassador, barriers=[other])
    client.force_login(cast.staff)
    response = client.post(
        url("barrier_edit", slug=cast.programme.slug, barrier_id=other.pk),
        {"label": "Autre raison"},
    )
    assert response.status_code == 302
    assert [b.label for b in checkin.barriers.all()] == ["Autre raison"]


def test_moving_barriers_up_and_down(client, cast):
    client.force_login(cast.owner)
    labels = lambda: list(  # noqa: E731
        cast.programme.barriers.order_by("position").values_list("label", flat=True)
    )
    time = barrier(cast.programme, "Manque de temps")
    access = barrier(cast.programme, "Difficulté d'accès ou de compte")
    move = lambda b, d: client.post(  # noqa: E731
        url("barrier_move", slug=cast.programme.slug, barrier_id=b.pk), {"direction": d}
    )
    assert move(access, "up").status_code == 302
    assert labels()[:2] == ["Difficulté d'accès ou de compte", "Manque de temps"]
    move(time, "up")  # already first: nothing moves
    assert labels()[0] == "Manque de temps"
    move(time, "down")
    move(time, "down")
    assert labels()[:3] == [
        "Difficulté d'accès ou de compte",
        "Contenu trop difficile",
        "Manque de temps",
    ]
    last = barrier(cast.programme, "Autre")
    move(last, "down")
    assert labels()[-1] == "Autre"
    before = labels()
    response = move(last, "sideways")
    assert "Déplacement inconnu" in messages_of(response)[0]
    assert labels() == before


def test_a_retired_barrier_is_no_longer_offered_but_stays_on_past_checkins(client, cast, milestone):
    absence = barrier(cast.programme, "Absence")
    checkin = record(milestone, cast.agent_agent, cast.ambassador, barriers=[absence])
    client.force_login(cast.owner)
    retire = url("barrier_retire", slug=cast.programme.slug, barrier_id=absence.pk)
    assert client.post(retire).status_code == 302
    absence.refresh_from_db()
    assert not absence.is_active
    assert list(checkin.barriers.all()) == [absence]
    client.force_login(cast.ambassador)
    form = client.get(run_url(milestone, cast.team[1])).context["form"]
    assert absence not in form.fields["barriers"].queryset
    client.force_login(cast.owner)
    client.post(url("barrier_restore", slug=cast.programme.slug, barrier_id=absence.pk))
    absence.refresh_from_db()
    assert absence.is_active


@pytest.mark.parametrize(
    "role,status", [("ambassador", 403), ("manager", 404), ("agent", 404), ("outsider", 404)]
)
def test_only_owners_and_staff_edit_the_barrier_list(client, cast, role, status):
    client.force_login(getattr(cast, role))
    target = barrier(cast.programme, "Absence")
    slug = cast.programme.slug
    before = list(Barrier.objects.values_list("pk", "label", "position", "is_active"))
    responses = [
        client.post(url("barrier_list", slug=slug), {"label": "Nouveau"}),
        client.post(url("barrier_edit", slug=slug, barrier_id=target.pk), {"label": "X"}),
        client.post(url("barrier_move", slug=slug, barrier_id=target.pk), {"direction": "up"}),
        client.post(url("barrier_retire", slug=slug, barrier_id=target.pk)),
        client.post(url("barrier_restore", slug=slug, barrier_id=target.pk)),
    ]
    assert [r.status_code for r in responses] == [status] * 5
    assert list(Barrier.objects.values_list("pk", "label", "position", "is_active")) == before


def test_the_programme_page_links_to_the_barrier_list_for_its_owners_only(client, cast):
    link = url("barrier_list", slug=cast.programme.slug)
    client.force_login(cast.owner)
    assert link in client.get(url("programme_detail", slug=cast.programme.slug)).content.decode()
    client.force_login(cast.ambassador)
    assert (
        link not in client.get(url("programme_detail", slug=cast.programme.slug)).content.decode()
    )


# --- Who reads check-in notes -------------------------------------------------------------


@pytest.fixture
def noted(cast, milestone):
    """The agent's check-in, and a colleague's, with notes."""
    record(
        milestone,
        cast.agent_agent,
        cast.ambassador,
        barriers=[barrier(cast.programme, "Manque de temps")],
        comment="Note sur l’agent",
        next_step="Faire le module 1.1",
        next_step_due=milestone.date + datetime.timedelta(days=30),
    )
    record(milestone, cast.team[1], cast.ambassador, comment="Note sur un collègue")
    return cast


def test_the_agent_sees_their_own_checkins_and_next_step_on_their_page(client, noted):
    client.force_login(noted.agent)
    response = client.get(url("my_page"))
    (row,) = response.context["rows"]
    assert row.next_step.text == "Faire le module 1.1"
    assert [c.comment for c in row.checkins] == ["Note sur l’agent"]
    content = response.content.decode()
    for text in (
        "Votre prochaine étape",
        "Vos points d’étape",
        "Note sur l’agent",
        "Manque de temps",
    ):
        assert text in content
    assert "Note sur un collègue" not in content
    # The next step comes right after the status list, before the levels.
    assert content.index("Votre prochaine étape") < content.index("Vos niveaux et vos objectifs")


def test_the_next_step_is_the_one_of_the_latest_checkin(cast, milestone):
    record(milestone, cast.agent_agent, cast.ambassador, next_step="Ancienne étape")
    later = MilestoneFactory(
        population=cast.population, date=milestone.date + datetime.timedelta(days=60)
    )
    record(later, cast.agent_agent, cast.ambassador, next_step="")
    enrolment = cast.population.enrolments.get(agent=cast.agent_agent)
    mine = selectors_checkins.checkins_for_my_page(cast.agent_agent, [enrolment])
    assert mine[cast.population.pk].next_step is None  # nothing agreed at the latest one
    assert [c.milestone for c in mine[cast.population.pk].checkins] == [later, milestone]


def test_the_agents_page_reads_checkins_of_every_population_in_two_queries(
    cast, milestone, django_assert_num_queries
):
    second = TargetPopulationFactory(programme=ProgrammeFactory())
    EnrolmentFactory(agent=cast.agent_agent, population=second)
    for population in (cast.population, second):
        for _n in range(3):
            m = MilestoneFactory(population=population)
            CheckInFactory(
                milestone=m,
                agent=cast.agent_agent,
                barriers=[population.programme.barriers.first()],
            )
    enrolments = list(cast.agent_agent.enrolments.select_related("population__programme"))
    with django_assert_num_queries(2):
        mine = selectors_checkins.checkins_for_my_page(cast.agent_agent, enrolments)
        for enrolment in enrolments:
            checkins = mine[enrolment.population_id].checkins
            assert len(checkins) == 3
            for checkin in checkins:
                assert checkin.barriers.all()[0].programme_id == enrolment.population.programme_id


def _agent_page_shows_notes(client, user, cast):
    client.force_login(user)
    response = client.get(url("agent_detail", pk=cast.agent_agent.pk))
    assert response.status_code == 200
    return "Note sur l’agent" in response.content.decode()


def test_the_ambassador_and_staff_read_the_notes_on_the_agent_page(client, noted):
    assert _agent_page_shows_notes(client, noted.ambassador, noted)
    assert _agent_page_shows_notes(client, noted.staff, noted)
    assert _agent_page_shows_notes(client, noted.agent, noted)


def test_an_agent_enrolled_twice_in_a_population_has_their_checkins_under_the_latest_only(
    client, noted
):
    EnrolmentFactory(
        agent=noted.agent_agent,
        population=noted.population,
        start_date=datetime.date(2025, 1, 6),
        end_date=datetime.date(2025, 6, 30),
    )
    client.force_login(noted.ambassador)
    response = client.get(url("agent_detail", pk=noted.agent_agent.pk))
    latest, earlier = response.context["rows"]
    assert latest.enrolment.start_date > earlier.enrolment.start_date
    assert latest.checkins_visible
    assert [c.comment for c in latest.checkins] == ["Note sur l’agent"]
    assert not earlier.checkins_visible
    assert response.content.decode().count("Note sur l’agent") == 1


def test_under_self_assessment_the_manager_never_reads_the_notes_even_with_consent(client, noted):
    assert not _agent_page_shows_notes(client, noted.manager, noted)
    consent_grant(agent=noted.agent_agent, programme=noted.programme)
    assert not _agent_page_shows_notes(client, noted.manager, noted)


def test_under_the_managerial_purpose_the_manager_reads_the_notes(client, noted):
    noted.programme.purpose = "managerial"
    noted.programme.save()
    assert _agent_page_shows_notes(client, noted.manager, noted)


@pytest.mark.parametrize("purpose", ["self_assessment", "managerial"])
def test_the_owner_never_reads_the_notes(client, noted, purpose):
    noted.programme.purpose = purpose
    noted.programme.save()
    assert not _agent_page_shows_notes(client, noted.owner, noted)


def test_the_agent_page_reads_checkins_in_a_number_of_queries_that_does_not_grow(
    client, cast, django_assert_num_queries
):
    client.force_login(cast.ambassador)
    target = url("agent_detail", pk=cast.agent_agent.pk)
    first = MilestoneFactory(population=cast.population)
    CheckInFactory(
        milestone=first, agent=cast.agent_agent, barriers=[cast.programme.barriers.first()]
    )
    with CaptureQueriesContext(connection) as one:
        client.get(target)
    for _n in range(4):
        CheckInFactory(
            milestone=MilestoneFactory(population=cast.population),
            agent=cast.agent_agent,
            barriers=list(cast.programme.barriers.all()[:3]),
        )
    with django_assert_num_queries(len(one)):
        response = client.get(target)
    assert len(response.context["rows"][0].checkins) == 5


# --- Pinned query counts ------------------------------------------------------------------


def _grow(trio, count):
    """`count` more agents in the small population, every other one checked in."""
    barriers = list(trio.population.programme.barriers.all()[:2])
    for index, agent in enumerate(AgentFactory.create_batch(count)):
        EnrolmentFactory(agent=agent, population=trio.population)
        if index % 2:
            CheckInFactory(milestone=trio.milestone, agent=agent, barriers=barriers)


PAGE_QUERIES = [
    ("milestone_detail", "ambassador", {}, 8),
    ("milestone_detail", "ambassador", {"vue": "faits"}, 9),
    ("milestone_detail", "owner", {}, 8),
    ("milestone_list", "ambassador", {}, 8),
    ("milestone_run", "ambassador", {}, 22),
    ("milestone_run", "ambassador", {"agent": "checked in"}, 23),
    ("barrier_list", "owner", {}, 7),
]


@pytest.mark.parametrize("name,role,params,expected", PAGE_QUERIES)
def test_page_query_counts_are_pinned_and_do_not_grow_with_the_population(
    client, cast, trio, django_assert_num_queries, name, role, params, expected
):
    kwargs = {
        "milestone_detail": {"pk": trio.milestone.pk},
        "milestone_run": {"pk": trio.milestone.pk},
        "milestone_list": {"pk": trio.population.pk},
        "barrier_list": {"slug": cast.programme.slug},
    }[name]
    first = trio.agents[0]
    CheckInFactory(
        milestone=trio.milestone, agent=first, barriers=[cast.programme.barriers.first()]
    )
    if params.get("agent"):
        params = {"agent": first.pk}
    client.force_login(getattr(cast, role))
    with django_assert_num_queries(expected):
        assert client.get(url(name, **kwargs), params).status_code == 200
    _grow(trio, 27)
    with django_assert_num_queries(expected):
        assert client.get(url(name, **kwargs), params).status_code == 200


def test_recording_keeps_the_milestone_counts_the_dashboard_reads(cast):
    """Counts per status, and per barrier and status, follow each record and correction."""
    from programmes.accompaniment.checkins.services import checkin_record
    from programmes.models import MilestoneCount
    from tests.programmes.factories_accompaniment import MilestoneFactory

    milestone = MilestoneFactory(population=cast.population)
    time, access = list(cast.programme.barriers.order_by("position")[:2])

    def counts():
        return {
            (row.barrier_id, row.status, row.count)
            for row in MilestoneCount.objects.filter(milestone=milestone)
        }

    def record(agent, barriers):
        checkin_record(
            milestone=milestone,
            agent=agent,
            barriers=barriers,
            comment="",
            next_step="",
            next_step_due=None,
            recorded_by=cast.ambassador,
        )

    record(cast.team[0], [time])
    record(cast.team[1], [time, access])
    not_started = ProgressStatus.NOT_STARTED
    assert counts() == {
        (None, not_started, 2),
        (time.pk, not_started, 2),
        (access.pk, not_started, 1),
    }
    record(cast.team[1], [])  # corrected: no barrier after all
    assert counts() == {(None, not_started, 2), (time.pk, not_started, 1)}


def test_recordings_move_the_counts_as_a_full_recount_would(cast, django_assert_num_queries):
    """Each recording moves the milestone's counts by its own check-in, never recounting
    them all: after records and corrections (barriers changed, a status changed by new
    results), the counts equal a full recount; and a recording costs the same number of
    queries at a milestone of 2 check-ins as of 6."""
    from programmes.accompaniment.checkins.services import milestone_counts_refresh
    from programmes.models import MilestoneCount

    milestone = MilestoneFactory(population=cast.population)
    time, access, tools = list(cast.programme.barriers.order_by("position")[:3])
    campaign = CampaignFactory()
    cast.programme.campaigns.add(campaign)

    def counts():
        return set(
            MilestoneCount.objects.filter(milestone=milestone).values_list(
                "barrier_id", "status", "count"
            )
        )

    record(milestone, cast.team[0], cast.ambassador, barriers=[time])
    record(milestone, cast.team[1], cast.ambassador, barriers=[time, access])
    with CaptureQueriesContext(connection) as few:
        record(milestone, cast.team[2], cast.ambassador, barriers=[access])
    record(milestone, cast.team[1], cast.ambassador, barriers=[tools])  # corrected
    share_levels(cast.team[0], campaign, {"1.1": 2})  # started since: another status
    record(milestone, cast.team[0], cast.ambassador, barriers=[time, tools])
    for agent in cast.team[3:5]:
        record(milestone, agent, cast.ambassador, barriers=[time])
    with django_assert_num_queries(len(few.captured_queries)):
        record(milestone, cast.team[5], cast.ambassador, barriers=[access])
    moved = counts()
    milestone_counts_refresh(milestone=milestone)
    assert moved == counts()
    statuses = dict(CheckIn.objects.filter(milestone=milestone).values_list("agent", "status"))
    assert statuses[cast.team[0].pk] != statuses[cast.team[1].pk]  # the status did change
    assert (None, ProgressStatus.NOT_STARTED, 5) in moved
