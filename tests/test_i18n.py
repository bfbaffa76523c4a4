from django.template import Context, Template
from django.utils import translation

# As templates/programmes/population_detail.html writes it (the count shown with the
# French thousands space): the catalogue must hold it.
COUNTED = (
    "{% load i18n %}{% blocktranslate count counter=n with shown=n|number %}{{ shown }} agent "
    "inscrit{% plural %}{{ shown }} agents inscrits{% endblocktranslate %}"
)


def test_french_plural_rule_applies_to_zero_and_one():
    with translation.override("fr"):
        rendered = [Template(COUNTED).render(Context({"n": n})) for n in (0, 1, 2, 30000)]
    assert rendered == [
        "0 agent inscrit",
        "1 agent inscrit",
        "2 agents inscrits",
        "30\xa0000 agents inscrits",
    ]
