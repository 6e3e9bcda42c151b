import pytest

from pacesetter.figures import selectors
from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.movements import actions as movement_actions
from tests import factories


@pytest.fixture
def reported(movement, units):
    movement_actions.set_plans(
        movement=movement, rows=[movement_actions.PlanRow("KP", "steel", "100")]
    )
    record_reports(
        movement=movement,
        rows=[
            ReportRow(unit=u, indicator="steel", day="2025-03-10", quantity="60")
            for u in ("W1", "W4")
        ],
        source="api",
    )
    return movement


def test_private_movement_asks_for_sign_in(client, reported):
    response = client.get(f"/movements/{reported.slug}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_movement_page_shows_figures(client, reported, user):
    client.force_login(user)
    response = client.get(f"/movements/{reported.slug}/")
    assert response.status_code == 200
    assert b"120.0%" in response.content  # 120 t on a plan of 100: shown as it is


def test_unit_outside_scope_is_404(client, reported, user, units):
    factories.unit("ELSEWHERE", None, kind="country")
    client.force_login(user)
    assert client.get(f"/movements/{reported.slug}/units/ELSEWHERE/").status_code == 404
    assert client.get(f"/movements/{reported.slug}/units/NOPE/").status_code == 404
    assert client.get(f"/movements/{reported.slug}/units/C3/").status_code == 200


def test_unit_page_shows_reports_with_their_corrections(client, reported, user):
    from pacesetter.ledger.actions import correct_report
    from pacesetter.ledger.models import Report

    original = Report.objects.get(unit__code="W1")
    correct_report(report=original, quantity="55", reason="scale misread", source="web")
    client.force_login(user)
    page = client.get(f"/movements/{reported.slug}/units/W1/").content.decode()
    row = page[page.index(f'id="report-{original.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "60.0" in row and "-5.0 — scale misread" in row and "55.0" in row


def test_children_sort_by_fulfilment(client, reported, user):
    movement_actions.set_plans(
        movement=reported,
        rows=[
            movement_actions.PlanRow("P1", "steel", "30"),
            movement_actions.PlanRow("P2", "steel", "240"),
        ],
    )
    client.force_login(user)
    page = client.get(f"/movements/{reported.slug}/?sort=fulfilment&dir=desc").content.decode()
    assert page.index("Unit P1") < page.index("Unit P2")  # 200% before 25%
    page = client.get(f"/movements/{reported.slug}/?sort=fulfilment").content.decode()
    assert page.index("Unit P2") < page.index("Unit P1")


def test_page_queries_do_not_grow_with_children(
    client, reported, user, units, django_assert_max_num_queries
):
    client.force_login(user)
    with django_assert_max_num_queries(40) as few:
        client.get(f"/movements/{reported.slug}/")
    for n in range(15):
        factories.unit(f"EXTRA{n}", units["KP"], kind="province")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(f"/movements/{reported.slug}/")


def test_unit_figures_take_a_fixed_number_of_queries(reported, units, django_assert_num_queries):
    with django_assert_num_queries(9):
        selectors.unit_figures(unit=units["P1"], movement=reported)
    for n in range(10):
        factories.unit(f"SIB{n}", units["KP"], kind="province")
    with django_assert_num_queries(9):
        selectors.unit_figures(unit=units["P1"], movement=reported)


def test_honour_board_is_public_for_public_movements_only(client, reported):
    assert client.get(f"/board/{reported.slug}/").status_code == 404
    reported.is_public = True
    reported.save(update_fields=["is_public"])
    response = client.get(f"/board/{reported.slug}/")
    assert response.status_code == 200 and b"120.0% of the plan" in response.content


def test_leading_units_rank_by_fulfilment(reported, units):
    movement_actions.set_plans(
        movement=reported,
        rows=[
            movement_actions.PlanRow("W1", "steel", "30"),
            movement_actions.PlanRow("W4", "steel", "120"),
        ],
    )
    steel = reported.indicators.get(code="steel")
    leaders = selectors.leading_units(
        movement=reported, indicator=steel, period=reported.periods.get(is_whole=True)
    )
    assert [(leader.unit.code, str(leader.fulfilment)) for leader in leaders] == [
        ("W1", "200"),
        ("W4", "50"),
    ]


def test_non_reporters_are_neither_ranked_nor_leading(reported, units):
    losses = reported.indicators.get(code="losses")
    movement_actions.set_plans(
        movement=reported,
        rows=[
            movement_actions.PlanRow("W1", "losses", "100"),
            movement_actions.PlanRow("W2", "losses", "100"),
        ],
    )
    record_reports(
        movement=reported,
        rows=[ReportRow(unit="W1", indicator="losses", day="2025-03-10", quantity="50")],
        source="api",
    )
    leaders = selectors.leading_units(
        movement=reported, indicator=losses, period=reported.periods.get(is_whole=True)
    )
    assert [leader.unit.code for leader in leaders] == ["W1"]
    w1 = next(
        f
        for f in selectors.unit_figures(unit=units["W1"], movement=reported)
        if f.indicator == losses
    )
    assert w1.rank_among_siblings == 1


def test_pace_before_the_period_starts_has_nothing_elapsed(units):
    import datetime as dt

    today = dt.date.today()
    future = factories.movement(
        units["KP"],
        slug="future",
        starts_on=today + dt.timedelta(days=10),
        ends_on=today + dt.timedelta(days=100),
    )
    movement_actions.set_plans(
        movement=future, rows=[movement_actions.PlanRow("KP", "steel", "100")]
    )
    pace = selectors.unit_figures(unit=units["KP"], movement=future)[0].pace
    assert pace.elapsed_days == 0 and pace.days_ahead is None
