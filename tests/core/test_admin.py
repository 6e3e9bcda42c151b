import pytest

from tests import factories


@pytest.fixture
def operator(db):
    return factories.UserFactory(username="operator", is_staff=True, is_superuser=True)


@pytest.mark.parametrize(
    "model", ["units/unit", "movements/movement", "movements/plan", "ledger/report"]
)
def test_admin_lists_render_and_are_read_only(client, operator, movement, model):
    client.force_login(operator)
    response = client.get(f"/admin/{model}/")
    assert response.status_code == 200
    assert client.get(f"/admin/{model}/add/").status_code == 403
