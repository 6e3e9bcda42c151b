"""A reporter cannot report for a unit outside their subtree — not through the API, not
through a bulk call, not through the command line acting as them."""

from __future__ import annotations

import json

import pytest
from django.db import connections
from django.test import Client

from pacesetter.accounts import actions
from pacesetter.accounts.models import Grant, Role
from pacesetter.accounts.permissions import acting_as, actor_for
from pacesetter.cli import main
from pacesetter.core.errors import ValidationFailed
from pacesetter.ledger import actions as ledger_actions
from pacesetter.ledger.models import Report
from tests import factories
from tests.cli.conftest import write_csv

DAY = "2025-03-10"


@pytest.fixture
def reporter(units):
    user = factories.UserFactory(username="c1-reporter")
    Grant.objects.create(user=user, role=Role.REPORTER, unit=units["C1"])
    return user


def test_the_action_refuses_rows_outside_and_names_them(reporter, movement, units):
    rows = [
        ledger_actions.ReportRow(unit="W1", indicator="steel", day=DAY, quantity="1"),
        ledger_actions.ReportRow(unit="W3", indicator="steel", day=DAY, quantity="1"),
        ledger_actions.ReportRow(unit="W4", indicator="steel", day=DAY, quantity="1"),
    ]
    with acting_as(actor_for(reporter)), pytest.raises(ValidationFailed) as refused:
        ledger_actions.record_reports(movement=movement, rows=rows, source="api")
    # W3 and W4 lie outside C1; the reporter sees neither, so both are "unknown" to them.
    assert [(e.row, e.field, e.code) for e in refused.value.errors] == [
        (2, "unit", "not_found"),
        (3, "unit", "not_found"),
    ]
    assert not Report.objects.exists()


def test_a_reporter_sees_but_may_not_report_for_a_unit_they_only_view(movement, units):
    user = factories.UserFactory(username="mixed")
    Grant.objects.create(user=user, role=Role.VIEWER, unit=units["P1"])
    Grant.objects.create(user=user, role=Role.REPORTER, unit=units["C1"])
    with acting_as(actor_for(user)), pytest.raises(ValidationFailed) as refused:
        ledger_actions.record_reports(
            movement=movement,
            rows=[ledger_actions.ReportRow(unit="W3", indicator="steel", day=DAY, quantity="1")],
            source="api",
        )
    assert refused.value.errors[0].code == "not_permitted"
    assert refused.value.errors[0].message == "you may not report for W3"


def test_the_api_bulk_call_writes_nothing_when_one_row_is_outside(reporter, movement, units):
    _, key = actions.create_token(user=reporter, name="app", scope="report")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {key}").post(
        f"/api/v1/movements/{movement.slug}/reports",
        json.dumps(
            {
                "reports": [
                    {"unit": "W1", "indicator": "steel", "day": DAY, "quantity": "1"},
                    {"unit": "W4", "indicator": "steel", "day": DAY, "quantity": "1"},
                ]
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert [e["row"] for e in response.json()["errors"]] == [2]
    assert not Report.objects.exists()


def test_a_read_token_cannot_report_even_for_its_own_unit(reporter, movement, units):
    _, key = actions.create_token(user=reporter, name="dashboard", scope="read")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {key}").post(
        f"/api/v1/movements/{movement.slug}/reports",
        json.dumps({"unit": "W1", "indicator": "steel", "day": DAY, "quantity": "1"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "not_permitted"
    assert not Report.objects.exists()


def test_the_command_line_acting_as_the_reporter_rejects_the_row_outside(
    reporter, movement, units, tmp_path, capsys, monkeypatch
):
    # A command that fails ends as Django's do, closing the connections; on PostgreSQL that
    # would end the test's own transaction under it.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    path = write_csv(
        tmp_path / "day.csv",
        [
            ["unit", "indicator", "day", "quantity"],
            ["W1", "steel", DAY, "2"],
            ["W4", "steel", DAY, "3"],
        ],
    )
    with pytest.raises(SystemExit) as exited:
        main(
            [
                "pacesetter",
                "--as",
                reporter.username,
                "import-reports",
                str(path),
                "--movement",
                movement.slug,
            ]
        )
    assert exited.value.code == 2  # some rows rejected
    assert list(Report.objects.values_list("unit__code", "entered_by__username")) == [
        ("W1", reporter.username)
    ]
    rejects = (tmp_path / "day.csv.rejects.csv").read_text()
    assert "W4" in rejects and "no unit with code 'W4'" in rejects


def test_the_command_line_refuses_an_unknown_user(db, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["pacesetter", "--as", "nobody", "check"])
    assert exited.value.code == 2
    assert "no active user 'nobody'" in capsys.readouterr().err
