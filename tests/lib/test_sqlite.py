"""LIKE folds case beyond ASCII on the embedded demo's SQLite as on PostgreSQL (lib/sqlite.py)."""

import pytest
from django.db import connection

from agents.models import Agent
from lib.sqlite import like
from tests.agents.factories import AgentFactory


@pytest.mark.parametrize(
    ("pattern", "value", "escape", "expected"),
    [
        ("%élise%", "Élise", None, 1),
        ("%ÉLISE%", "élise", None, 1),
        ("%oe%", "Œdipe", None, 0),  # folding is not transliteration
        ("%straße%", "STRASSE", None, 1),  # casefold, as UPPER() gives STRASSE
        ("d_rand", "Durand", None, 1),
        ("d_rand", "Duurand", None, 0),
        ("%50\\%%", "à 50% du temps", "\\", 1),
        ("%50\\%%", "à 500 du temps", "\\", 0),
        ("%a\\_b%", "xA_By", "\\", 1),
        ("%a\\_b%", "xACBy", "\\", 0),
        ("%.*%", "abc", "\\", 0),  # the regular expression's own characters are literal
        ("line%", "line one\nline two", None, 1),
        (None, "x", None, None),
        ("%x%", None, None, None),
        ("%1%", 210, None, 1),
    ],
)
def test_like_matches_as_postgresql_ilike(pattern, value, escape, expected):
    assert like(pattern, value, escape) == expected


@pytest.mark.django_db
def test_searching_lowercase_accented_names_finds_them_on_either_database():
    elise = AgentFactory(last_name="Éluard", first_name="Élise", email="e.eluard@exemple.gouv.fr")
    AgentFactory(last_name="Martin", first_name="Eloi", email="e.martin@exemple.gouv.fr")
    AgentFactory(last_name="Percent", first_name="Pierre", external_id="A50B")
    searched = {
        word: set(Agent.objects.filter(first_name__icontains=word)) for word in ("élise", "ÉLISE")
    }
    assert searched == {"élise": {elise}, "ÉLISE": {elise}}, connection.vendor
    assert set(Agent.objects.filter(last_name__istartswith="éLu")) == {elise}
    assert set(Agent.objects.filter(last_name__iexact="ÉLUARD")) == {elise}
    # Django's escaping of % and _ still holds.
    assert not Agent.objects.filter(external_id__icontains="5%").exists()
    assert not Agent.objects.filter(external_id__icontains="A_0").exists()
    # The agents list's search, word by word over names, e-mail and matricule.
    assert set(Agent.objects.search("élise ÉLUARD")) == {elise}
