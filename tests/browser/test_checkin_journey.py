"""The ambassador's milestone in Chromium: they open their population, create a milestone,
then run through the population with the keyboard only (space ticks a barrier, tab moves on,
Enter saves and opens the next agent) until every agent is checked in. axe-core checks every
page loaded (the `journey` fixture fails the test otherwise)."""

from django.utils import timezone
from playwright.sync_api import expect

from programmes.accompaniment.checkins import services as services_checkins
from tests.agents.factories import AgentFactory
from tests.browser.conftest import login_to, submit_login
from tests.programmes.factories import EnrolmentFactory, TargetFactory, TargetPopulationFactory
from tests.programmes.factories_accompaniment import MilestoneFactory


def _tab_to(page, locator, limit=30):
    """Press Tab until `locator` has the focus, as a keyboard user would."""
    for _press in range(limit):
        if locator.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError("the field was never reached with Tab")


def test_ambassador_runs_a_milestone_through_a_small_population_with_the_keyboard(journey, cast):
    page = journey.page
    population = TargetPopulationFactory(
        programme=cast.programme, name="Gestionnaires", ambassadors=[cast.ambassador]
    )
    TargetFactory(population=population)
    agents = [
        AgentFactory(last_name="Bernard", first_name="Claire"),
        AgentFactory(last_name="Bernard", first_name="Paul"),
        AgentFactory(last_name="Durand", first_name="Anne"),
    ]
    for agent in agents:
        EnrolmentFactory(agent=agent, population=population)
    login_to(journey, cast.ambassador, population.get_absolute_url())
    journey.follow(
        page.get_by_role("navigation", name="Gérer la population").get_by_role(
            "link", name="Points d’étape"
        )
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Points d’étape de « Gestionnaires »")
    journey.follow(page.get_by_role("link", name="Nouveau point d’étape"))
    page.get_by_label("Date du point d’étape").fill(timezone.localdate().isoformat())
    page.get_by_label("Intitulé").fill("Point de rentrée")
    journey.follow(page.get_by_role("button", name="Créer le point d’étape"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Point de rentrée")
    expect(page.locator("#checkin-progress")).to_contain_text("0 sur 3")
    waiting = page.locator("#agents-waiting")
    for agent in agents:
        expect(waiting).to_contain_text(agent.full_name)
    journey.screenshot("1-point-d-etape")

    journey.follow(page.get_by_role("link", name="Passer en revue la population"))
    progress = page.locator("#run-progress")
    expect(progress).to_contain_text("Agent 1 sur 3, 2 restants")
    expect(page.locator("#run-agent")).to_contain_text(agents[0].full_name)
    journey.screenshot("2-revue")

    # Claire: the first barrier has the focus; space ticks it, tab twice, space ticks the third.
    form = page.locator("#checkin-form")
    boxes = form.get_by_role("checkbox")
    expect(boxes.first).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    expect(boxes.nth(0)).to_be_checked()
    expect(boxes.nth(1)).not_to_be_checked()
    expect(boxes.nth(2)).to_be_checked()
    _tab_to(page, form.get_by_label("Commentaire"))
    page.keyboard.type("Peu de temps en ce moment, contenu jugé difficile.")
    page.keyboard.press("Tab")
    expect(form.get_by_label("Prochaine étape convenue")).to_be_focused()
    page.keyboard.type("Réserver une heure le vendredi")
    with journey.navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(
        f"Point d’étape de {agents[0].full_name} enregistré."
    )
    expect(progress).to_contain_text("Agent 2 sur 3, 1 restant")
    expect(page.locator("#run-agent")).to_contain_text(agents[1].full_name)

    # Paul and Anne: nothing ticked, a next step, Enter.
    for agent, next_step in ((agents[1], "Passer la collecte"), (agents[2], "Voir le tutoriel")):
        _tab_to(page, form.get_by_label("Prochaine étape convenue"))
        page.keyboard.type(next_step)
        with journey.navigation():
            page.keyboard.press("Enter")
        if agent is agents[1]:
            expect(progress).to_contain_text("Agent 3 sur 3, 0 restant")
            expect(page.locator("#run-agent")).to_contain_text(agents[2].full_name)

    expect(page.get_by_role("heading", level=1)).to_have_text("Point de rentrée")
    expect(page.get_by_role("status")).to_contain_text("Tous les agents ont un point d’étape.")
    expect(page.locator("#checkin-progress")).to_contain_text("3 sur 3")
    journey.follow(page.get_by_role("link", name="Points faits (3)"))
    done = page.locator("#checkins-done")
    expect(done.get_by_role("row", name=agents[0].full_name)).to_contain_text(
        "Manque de temps, Contenu trop difficile"
    )
    expect(done).to_contain_text("Réserver une heure le vendredi")
    expect(done).to_contain_text("Voir le tutoriel")
    journey.screenshot("3-tous-vus")

    milestone = population.milestones.get()
    claire = milestone.checkins.get(agent=agents[0])
    assert [b.label for b in claire.barriers.order_by("position")] == [
        "Manque de temps",
        "Contenu trop difficile",
    ]
    assert claire.comment == "Peu de temps en ce moment, contenu jugé difficile."
    assert claire.recorded_by == cast.ambassador


def test_owner_edits_the_barrier_list_and_the_agent_reads_their_checkin(journey, cast):
    page = journey.page
    login_to(journey, cast.owner, cast.programme.get_absolute_url())
    journey.follow(page.get_by_role("link", name="Freins proposés aux points d’étape"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Freins proposés aux points d’étape")
    page.get_by_label("Libellé du frein").fill("absence")
    journey.follow(page.get_by_role("button", name="Ajouter le frein"))
    expect(page.locator("main")).to_contain_text("La liste a déjà un frein « absence ».")
    page.get_by_label("Libellé du frein").fill("Matériel inadapté")
    journey.follow(page.get_by_role("button", name="Ajouter le frein"))
    barriers = page.locator("#barriers")
    expect(barriers.get_by_role("row").last).to_contain_text("Matériel inadapté")
    journey.follow(barriers.get_by_role("button", name="Monter Matériel inadapté"))
    expect(barriers.get_by_role("row").nth(-2)).to_contain_text("Matériel inadapté")
    journey.follow(barriers.get_by_role("button", name="Retirer Absence"))
    expect(page.get_by_role("status")).to_contain_text("« Absence » n’est plus proposé")
    expect(barriers.get_by_role("row", name="Absence")).to_contain_text("retiré")
    journey.screenshot("1-freins")

    milestone = MilestoneFactory(population=cast.population, title="Point de printemps")
    services_checkins.checkin_record(
        milestone=milestone,
        agent=cast.agent_agent,
        barriers=[cast.programme.barriers.get(label="Manque de temps")],
        comment="Souhaite un créneau dédié.",
        next_step="Faire le tutoriel 1.1",
        next_step_due=None,
        recorded_by=cast.ambassador,
    )
    journey.follow(page.get_by_role("button", name="Se déconnecter"))
    submit_login(journey, cast.agent)
    expect(page).to_have_url(journey.url("/mon-parcours/"))
    expect(page.locator(".app-next-step")).to_contain_text("Faire le tutoriel 1.1")
    expect(page.get_by_role("region", name="Vos points d’étape")).to_contain_text(
        "Souhaite un créneau dédié."
    )
    journey.screenshot("2-mon-parcours")


def test_ambassador_proposes_a_resource_and_a_mentor_from_the_run_through(journey, cast):
    """At 390 px: the agent's gaps under the check-in form, one click on a resource and one
    on a volunteer, back at the same agent each time."""
    from campaigns.models import Competence
    from programmes.accompaniment.mentoring.services import mentor_volunteer
    from programmes.models import Mentoring, ResourceUse
    from tests.campaigns.factories import CampaignFactory
    from tests.programmes.factories_accompaniment import ResourceFactory, share_levels

    page = journey.page
    page.set_viewport_size({"width": 390, "height": 844})
    campaign = CampaignFactory()
    cast.programme.campaigns.add(campaign)
    agent = cast.agent_agent
    share_levels(agent, campaign, {"1.1": 1})
    helper = AgentFactory(last_name="Aidant", first_name="Léa")
    EnrolmentFactory(agent=helper, population=cast.population)
    share_levels(helper, campaign, {"1.1": 4})
    competence = Competence.objects.get(code="1.1")
    mentor_volunteer(agent=helper, programme=cast.programme, competence=competence)
    ResourceFactory(programme=cast.programme, title="Gérer ses fichiers", competences=["1.1"])
    milestone = MilestoneFactory(population=cast.population, title="Point d’hiver")
    run = f"/points-d-etape/{milestone.pk}/revue/?agent={agent.pk}"
    login_to(journey, cast.ambassador, run)
    aids = page.locator("#run-aids")
    expect(aids.locator("#run-gaps")).to_contain_text("1.1")
    journey.screenshot("1-ecarts-390")

    journey.follow(aids.get_by_role("button", name="Proposer « Gérer ses fichiers »"))
    expect(page.get_by_role("status")).to_contain_text("« Gérer ses fichiers » est proposée")
    expect(page.locator("#run-agent")).to_contain_text(agent.full_name)
    expect(aids).to_contain_text("dans son suivi depuis le")

    journey.follow(aids.get_by_role("button", name=f"Mettre en relation avec {helper.full_name}"))
    expect(page.get_by_role("status")).to_contain_text(f"mis·e en relation avec {helper.full_name}")
    expect(aids).to_contain_text(f"accompagné·e par {helper.full_name}")
    journey.screenshot("2-propose-390")
    assert ResourceUse.objects.filter(agent=agent).count() == 1
    assert Mentoring.objects.get(mentee=agent).mentor.agent == helper
