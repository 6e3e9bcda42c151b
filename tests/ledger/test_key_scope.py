"""Idempotency keys are scoped to the movement and the caller: nothing one subtree sends tells
it about another's keys, nor can it claim a key another's client will use."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from pacesetter.accounts.actions import create_token
from pacesetter.accounts.models import Grant, Role
from pacesetter.accounts.permissions import acting_as, actor_for
from pacesetter.core.errors import ValidationFailed
from pacesetter.ledger import domain
from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.ledger.models import Report, SubtreePeriodTotal
from tests import factories

DAY = "2025-03-10"


def _client(user) -> Client:
    return Client(
        headers={"Authorization": f"Bearer {create_token(user=user, name='t', scope='full')[1]}"}
    )


def _send(client, unit, quantity, key, slug="drive"):
    return client.post(
        f"/api/v1/movements/{slug}/reports",
        json.dumps(
            {
                "unit": unit,
                "indicator": "steel",
                "day": DAY,
                "quantity": quantity,
                "idempotency_key": key,
            }
        ),
        content_type="application/json",
    )


@pytest.fixture
def heads(units):
    """The heads of two provinces, neither of whom can see the other's."""
    p1 = factories.UserFactory(username="head-p1")
    p2 = factories.UserFactory(username="head-p2")
    Grant.objects.create(user=p1, role=Role.UNIT_HEAD, unit=units["P1"])
    Grant.objects.create(user=p2, role=Role.UNIT_HEAD, unit=units["P2"])
    return _client(p1), _client(p2)


def test_a_key_used_in_a_hidden_subtree_neither_leaks_nor_blocks(heads, movement):
    p1, p2 = heads
    assert _send(p1, "W1", "10", "batch-7").status_code == 201
    # P2's client chooses the same key: its own report, recorded, with no word of P1's.
    answer = _send(p2, "W4", "4", "batch-7")
    assert answer.status_code == 201, answer.content
    assert Report.objects.count() == 2
    # Each caller's retry is still recognised as a retry, in its own scope.
    assert _send(p1, "W1", "10", "batch-7").status_code == 200
    assert _send(p2, "W4", "4", "batch-7").status_code == 200
    # Within one's own scope a reused key for other content is still a conflict.
    conflict = _send(p2, "W4", "5", "batch-7")
    assert conflict.status_code == 409 and "'batch-7'" in conflict.json()["errors"][0]["message"]
    kp = SubtreePeriodTotal.objects.get(
        unit__code="KP", indicator__code="steel", period__is_whole=True
    )
    assert kp.quantity_minor == 140


def test_the_same_key_in_two_movements_is_two_reports(units, movement, user):
    other = factories.movement(units["KP"], slug="other")
    client = _client(user)
    assert _send(client, "W1", "1", "k").status_code == 201
    assert _send(client, "W1", "1", "k", slug="other").status_code == 201
    assert Report.objects.filter(movement=other).count() == 1


def test_the_api_gives_back_the_key_as_the_client_sent_it(movement, user):
    client = _client(user)
    _send(client, "W1", "1", "mine-1")
    listed = client.get("/api/v1/movements/drive/reports").json()
    assert [r["idempotency_key"] for r in listed["results"]] == ["mine-1"]
    stored = Report.objects.get().idempotency_key
    assert stored == domain.scoped_key(movement.pk, user.pk, "mine-1") != "mine-1"


def test_keys_stored_before_scoping_count_for_their_movement_and_person(movement, units, user):
    # A report stored with a bare key, as every report was before keys were scoped (inserted
    # as the ledger allows: appended).
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ledger_report (movement_id, unit_id, indicator_id, day, quantity_minor,"
            " source, entered_by_id, entered_at, idempotency_key, verification, reason)"
            " VALUES (%s, %s, %s, %s, 100, 'api', %s, %s, 'old-key', 'unverified', '')",
            [
                movement.pk,
                units["W1"].pk,
                movement.indicators.get(code="steel").pk,
                DAY,
                user.pk,
                timezone.now(),
            ],
        )
    legacy = Report.objects.get()
    with acting_as(actor_for(user)):
        replay = record_reports(
            movement=movement,
            rows=[
                ReportRow(
                    unit="W1", indicator="steel", day=DAY, quantity="10", idempotency_key="old-key"
                )
            ],
            source="api",
        )
    assert (replay.replayed, replay.report_ids) == (1, [legacy.pk])
    someone = factories.UserFactory(username="someone-else", is_superuser=True)
    with acting_as(actor_for(someone)):
        theirs = record_reports(
            movement=movement,
            rows=[
                ReportRow(
                    unit="W1", indicator="steel", day=DAY, quantity="3", idempotency_key="old-key"
                )
            ],
            source="api",
        )
    assert theirs.created == 1


@pytest.mark.parametrize("key", ["nul\x00key", "tab\tkey", "bell\x07"])
def test_a_key_with_a_control_character_is_a_row_error(movement, user, key):
    with acting_as(actor_for(user)), pytest.raises(ValidationFailed) as refused:
        record_reports(
            movement=movement,
            rows=[
                ReportRow(unit="W1", indicator="steel", day=DAY, quantity="1", idempotency_key=key)
            ],
            source="api",
        )
    assert [(e.row, e.field, e.code) for e in refused.value.errors] == [
        (1, "idempotency_key", "invalid")
    ]
    assert not Report.objects.exists()
