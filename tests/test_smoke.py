import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "role,landing",
    [
        ("owner", "programmes:dashboard"),
        ("ambassador", "programmes:todo"),
        ("manager", "programmes:team"),
        ("agent", "programmes:my_page"),
    ],
)
def test_each_role_lands_on_its_home(client, cast, role, landing):
    client.force_login(getattr(cast, role))
    response = client.get(reverse("home"))
    assert response.status_code == 302
    kwargs = {"slug": cast.programme.slug} if landing == "programmes:dashboard" else {}
    assert response.url == reverse(landing, kwargs=kwargs)
    page = client.get(response.url)
    assert page.status_code == 200


def test_an_owner_of_several_programmes_lands_on_their_list(client, cast):
    from tests.programmes.factories import ProgrammeFactory

    ProgrammeFactory(owners=[cast.owner])
    client.force_login(cast.owner)
    assert client.get(reverse("home")).url == reverse("programmes:programme_list")


@pytest.mark.django_db
def test_postgresql_connections_run_without_jit():
    """JIT compilation cost seconds per status query at 100,000 agents (see settings)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
