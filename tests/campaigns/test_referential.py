import pytest

from campaigns.models import Competence, CompetenceAlias, Domain, DomainAlias
from campaigns.referential import level_for_pix, normalize_name


def test_migration_loads_five_domains_and_sixteen_competences(db):
    assert list(Domain.objects.values_list("code", flat=True)) == ["1", "2", "3", "4", "5"]
    codes = list(Competence.objects.values_list("code", flat=True))
    assert codes == [
        "1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "3.1",
        "3.2", "3.3", "3.4", "4.1", "4.2", "4.3", "5.1", "5.2",
    ]  # fmt: skip
    assert Competence.objects.get(code="4.3").pix_id == "recfr0ax8XrfvJ3ER"
    assert Competence.objects.get(code="5.2").domain.code == "5"


@pytest.mark.parametrize(
    "name,code",
    [
        ("Mener une recherche et une veille d'information", "1.1"),
        ("Mener une recherche et une veille d’information", "1.1"),
        ("MENER UNE RECHERCHE ET UNE VEILLE D'INFORMATION", "1.1"),
        ("Proteger la sante, le bien-etre et l'environnement", "4.3"),
        ("Évoluer dans un environnement numérique", "5.2"),
        ("Se protéger des risques", "4.3"),
        ("  S’insérer   dans le monde numérique ", "2.4"),
    ],
)
def test_competence_names_match_through_the_alias_table(db, name, code):
    alias = CompetenceAlias.objects.get(normalized_name=normalize_name(name))
    assert alias.competence.code == code


def test_former_domain_name_is_an_alias(db):
    alias = DomainAlias.objects.get(normalized_name=normalize_name("Information et données"))
    assert alias.domain.code == "1"


@pytest.mark.parametrize("pix,level", [(0, 0), (7, 0), (8, 1), (15, 1), (56, 7), (64, 8)])
def test_eight_pix_make_a_level(pix, level):
    assert level_for_pix(pix) == level
