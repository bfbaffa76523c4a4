from django.template import Context, Template
from django.utils import translation

COUNTED = (
    "{% load i18n %}{% blocktranslate count counter=n %}{{ counter }} agent inscrit"
    "{% plural %}{{ counter }} agents inscrits{% endblocktranslate %}"
)


def test_french_plural_rule_applies_to_zero_and_one():
    with translation.override("fr"):
        rendered = [Template(COUNTED).render(Context({"n": n})) for n in (0, 1, 2)]
    assert rendered == ["0 agent inscrit", "1 agent inscrit", "2 agents inscrits"]
