"""The audit trail: every action writes its row (who, what, when, from where, before and
after), and the trail itself is append-only."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.utils import DatabaseError
from django.test import Client

import pacesetter
from pacesetter.accounts import actions as account_actions
from pacesetter.accounts.models import Grant, Role
from pacesetter.accounts.permissions import acting_as, actor_for
from pacesetter.audit.models import AuditEvent
from pacesetter.core.errors import ValidationFailed
from pacesetter.movements import actions as movement_actions
from pacesetter.units import actions as unit_actions
from tests import factories

# Public functions of actions modules that are not actions, and why.
NOT_ACTIONS = {
    "pacesetter.accounts.actions.hash_key": "a pure function (the hash of a token key)",
    "pacesetter.accounts.actions.record_token_use": (
        "bookkeeping on every authenticated API call (at most once a minute per token); "
        "auditing it would add a write to every read"
    ),
}


def _action_modules():
    for info in pkgutil.iter_modules(pacesetter.__path__):
        if info.name == "audit":  # the machinery that writes the trail, not actions
            continue
        try:
            yield importlib.import_module(f"pacesetter.{info.name}.actions")
        except ModuleNotFoundError:
            continue


def test_every_public_function_of_every_actions_module_is_audited():
    unaudited = []
    walked = 0
    for module in _action_modules():
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or function.__module__ != module.__name__:
                continue
            walked += 1
            qualified = f"{module.__name__}.{name}"
            if qualified not in NOT_ACTIONS and not hasattr(function, "audited_as"):
                unaudited.append(qualified)
    assert walked > 20
    assert not unaudited, f"decorate with @audited: {unaudited}"


def test_audit_names_are_unique_and_say_where_the_action_lives():
    seen: dict[str, str] = {}
    for module in _action_modules():
        app = module.__name__.split(".")[1]
        for name, function in inspect.getmembers(module, inspect.isfunction):
            label = getattr(function, "audited_as", None)
            if label is None or function.__module__ != module.__name__:
                continue
            assert label.startswith(f"{app}."), (label, module.__name__)
            assert label not in seen, f"{label} used by {seen.get(label)} and {name}"
            seen[label] = name


def test_an_action_writes_who_what_when_and_the_change(units):
    organiser = factories.UserFactory(username="org")
    Grant.objects.create(user=organiser, role=Role.ORGANISER, unit=units["KP"])
    with acting_as(actor_for(organiser)):
        unit_actions.archive_unit(unit=units["W4"])
    event = AuditEvent.objects.get(action="units.archive_unit")
    assert (event.user, event.actor) == (organiser, "org")
    assert event.target_type == "units.Unit" and event.target_id == str(units["W4"].pk)
    assert event.unit_path == units["W4"].path
    assert event.before["archived"] is False
    assert event.after["archived"] is True


def test_the_system_is_named_when_no_one_is_acting(units):
    movement_actions.create_movement(
        title="Drive", slug="d", organiser=units["KP"], starts_on="2025-01-01", ends_on="2025-12-31"
    )
    event = AuditEvent.objects.filter(action="movements.create_movement").get()
    assert str(event.movement_id) == event.target_id
    assert event.user is None and event.actor == "system"


def test_a_refused_action_leaves_no_row(units):
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed):
        unit_actions.create_unit(code="KP", name="again", kind="country")
    assert AuditEvent.objects.count() == before


def test_a_token_key_never_reaches_the_trail(db):
    user = factories.UserFactory(username="someone")
    _, key = account_actions.create_token(user=user, name="app", scope="read")
    event = AuditEvent.objects.get(action="accounts.create_token")
    assert key not in str(event.after) and "key_hash" not in event.after
    assert event.after["name"] == "app"


def test_a_web_request_records_address_and_browser(units):
    organiser = factories.UserFactory(username="org")
    Grant.objects.create(user=organiser, role=Role.ORGANISER, unit=units["KP"])
    client = Client(REMOTE_ADDR="192.0.2.7", HTTP_USER_AGENT="Mozilla/5.0 test")
    client.force_login(organiser)
    response = client.post("/account/", {"name": "phone", "scope": "read", "expires_in_days": 30})
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="accounts.create_token")
    assert (event.ip, event.user_agent, event.user) == ("192.0.2.7", "Mozilla/5.0 test", organiser)


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_auditevent SET actor = 'x'", "DELETE FROM audit_auditevent"]
)
def test_the_trail_is_append_only_in_the_database(units, statement):
    assert AuditEvent.objects.exists()
    with (
        pytest.raises((IntegrityError, DatabaseError)),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert not AuditEvent.objects.filter(actor="x").exists()


def test_organisers_read_their_subtree_and_their_own_events_only(units):
    p1 = factories.UserFactory(username="p1-organiser")
    Grant.objects.create(user=p1, role=Role.ORGANISER, unit=units["P1"])
    unit_actions.archive_unit(unit=units["W1"])  # inside P1
    unit_actions.archive_unit(unit=units["W4"])  # outside
    client = Client()
    client.force_login(p1)
    listed = client.get("/api/v1/audit?action=units.archive_unit").json()["items"]
    assert [e["target"] for e in listed] == [str(units["W1"])]
    page = client.get("/audit/?action=units.archive").content.decode()
    assert str(units["W1"]) in page and str(units["W4"]) not in page


def test_the_trail_page_comes_twenty_at_a_time_newest_first(units, user):
    import re

    for n in range(25):
        unit_actions.create_block(code=f"block-{n}", name=f"Block {n}")
    client = Client()
    client.force_login(user)
    page = client.get("/audit/?action=units").content.decode()
    shown = [int(pk) for pk in re.findall(r'data-event="(\d+)"', page)]
    assert len(shown) == 20 and shown == sorted(shown, reverse=True)
    assert '<td class="nowrap">' in page  # a time on one line, not three on a phone
    assert 'hx-get="?action=units&amp;page=2"' in page
    rows = client.get("/audit/?action=units&page=2", headers={"HX-Request": "true"})
    rows = rows.content.decode()
    assert "<html" not in rows and "<form" not in rows
    more = [int(pk) for pk in re.findall(r'data-event="(\d+)"', rows)]
    assert more and max(more) < min(shown)
