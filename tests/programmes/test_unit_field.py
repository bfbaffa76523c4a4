"""Choosing a unit in a form (programmes.forms.unit_field): from the list of every unit while
the chart is small, by its name or code past UNITS_LISTED_UP_TO units (a ministry's 11,000
units took a second to write into the page). The enrolment by criteria and the agent made
from a participant both take it."""

import pytest
from django.urls import reverse

from programmes import forms
from programmes.imports.forms import AgentFromParticipantForm
from programmes.models import TargetPopulation
from tests.agents.factories import AgentFactory, OrgUnitFactory


@pytest.fixture
def chart(db):
    direction = OrgUnitFactory(name="Direction régionale", code="DR")
    service = OrgUnitFactory(name="Service numérique", code="DR-SN", parent=direction)
    unit = OrgUnitFactory(name="Pôle support", code="DR-SN-PS", parent=service)
    other = OrgUnitFactory(name="Autre direction", code="AD")
    twin = OrgUnitFactory(name="Pôle support", code="AD-PS", parent=other)
    return direction, service, unit, other, twin


@pytest.fixture
def typed(monkeypatch):
    """Past the list's bound: the unit is typed."""
    monkeypatch.setattr(forms, "UNITS_LISTED_UP_TO", 0)


def _create_form(**data):
    return AgentFromParticipantForm(
        {"last_name": "Müller", "first_name": "Zoé", **data},
        populations=TargetPopulation.objects.none(),
        action="/",
    )


def test_a_small_chart_is_a_list_of_every_unit_with_its_path(chart):
    field = _create_form().fields["org_unit"]
    labels = [label for _value, label in field.choices]
    assert "Direction régionale › Service numérique › Pôle support" in labels
    assert "Autre direction › Pôle support" in labels
    form = _create_form(org_unit=str(chart[1].pk))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["org_unit"] == chart[1]


@pytest.mark.parametrize(
    "text,index",
    [
        ("Service numérique", 1),  # the whole name
        ("SERVICE numérique", 1),  # case aside
        ("dr-sn-ps", 2),  # the code
        ("  numérique ", 1),  # a part of the name, found once
        ("AD-PS", 4),
    ],
)
def test_past_the_bound_the_unit_is_found_by_name_or_code(chart, typed, text, index):
    form = _create_form(org_unit=text)
    assert "choices" not in vars(form.fields["org_unit"])
    assert form.is_valid(), form.errors
    assert form.cleaned_data["org_unit"] == chart[index]


@pytest.mark.parametrize(
    "text,message",
    [
        ("Inconnue", "Aucune unité ne correspond à « Inconnue »."),
        (
            "Pôle support",
            "Plusieurs unités correspondent : Direction régionale › Service numérique › "
            "Pôle support (DR-SN-PS), Autre direction › Pôle support (AD-PS). Précisez le nom "
            "complet ou le code.",
        ),
        ("direction", "Plusieurs unités correspondent : "),
    ],
)
def test_none_or_several_units_is_a_french_error(chart, typed, text, message):
    form = _create_form(org_unit=text)
    assert not form.is_valid()
    assert form.errors["org_unit"][0].startswith(message)


def test_no_unit_typed_is_no_unit(chart, typed):
    form = _create_form(org_unit="   ")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["org_unit"] is None


def test_the_enrolment_by_criteria_takes_the_unit_typed_to_the_confirmation(
    client, cast, chart, typed
):
    _direction, service, unit, _other, _twin = chart
    lead = AgentFactory(org_unit=service)
    tech = AgentFactory(org_unit=unit, manager=lead)
    page = reverse("programmes:enrolment_filter", kwargs={"pk": cast.population.pk})
    client.force_login(cast.ambassador)
    html = client.get(page).content.decode()
    assert '<select name="org_unit"' not in html and 'name="org_unit"' in html
    data = {"org_unit": "DR-SN", "include_sub_units": "on", "job_title": ""}
    response = client.post(page, {**data, "preview": "1"})
    assert {a.pk for a in response.context["preview"].sample} == {lead.pk, tech.pk}
    assert 'name="org_unit" value="DR-SN"' in response.content.decode()  # carried as typed
    response = client.post(page, {**data, "confirm": "1"})
    assert response.status_code == 302
    assert set(cast.population.enrolments.values_list("agent_id", flat=True)) >= {lead.pk, tech.pk}
    response = client.post(page, {"org_unit": "Pôle support", "preview": "1"})
    assert "Plusieurs unités correspondent" in response.content.decode()
