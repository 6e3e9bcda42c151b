"""Writing the audit trail. Every public function of every `actions` module is wrapped in
`@audited("app.verb")`: it runs in a transaction and, when it returns, writes one AuditEvent
in the same transaction — so an action and its audit row commit together or not at all.

What the row says comes from three places: the current actor (who, from where), the action's
return value (its target), and anything the action adds with `note(...)` while it runs (the
unit or movement it was about, the state before a change, a summary of a bulk write).
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import asdict, is_dataclass
from dataclasses import fields as dataclass_fields
from decimal import Decimal
from typing import Any, ParamSpec, TypeVar

from django.db import connections, models, router, transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from pacesetter.accounts.permissions import current_actor

from .models import AuditEvent

P = ParamSpec("P")
R = TypeVar("R")

_notes: ContextVar[dict[str, Any] | None] = ContextVar("pacesetter_audit_notes", default=None)

# Fields never copied into the trail, whatever model they sit on.
SECRET_FIELDS = frozenset({"password", "key_hash"})


def _plain(value: Any) -> Any:
    """JSON-safe form of a field value (Decimal and dates as strings, models by id)."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Decimal | dt.date | dt.datetime | dt.time | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def snapshot(instance: models.Model) -> dict[str, Any]:
    """A model's concrete fields as JSON-safe values, secrets left out."""
    fields = [
        field.name
        for field in instance._meta.concrete_fields
        if field.name not in SECRET_FIELDS and not field.many_to_many
    ]
    data = model_to_dict(instance, fields=fields)
    for field in instance._meta.concrete_fields:
        if field.name in fields and field.name not in data:  # non-editable fields
            data[field.name] = getattr(instance, field.attname)
    return {key: _plain(value) for key, value in sorted(data.items())}


def note(
    *,
    target: Any = None,
    unit: Any = None,
    movement: Any = None,
    before: Any = None,
    after: Any = None,
) -> None:
    """Add to the audit row of the action now running (no-op outside one). `before` may be a
    model instance (snapshotted now, before the change) or any JSON-able value."""
    notes = _notes.get()
    if notes is None:
        return
    if target is not None:
        notes["target"] = target
    if unit is not None:
        notes["unit"] = unit
    if movement is not None:
        notes["movement"] = movement
    if before is not None:
        notes["before"] = snapshot(before) if isinstance(before, models.Model) else _plain(before)
    if after is not None:
        notes["after"] = _plain(after)


def _target_of(result: Any) -> Any:
    """The object an action acted on: its result, or the first element of a tuple result
    (e.g. `(token, key)` — the key itself is never written down)."""
    if isinstance(result, tuple) and result:
        return result[0]
    return result


def _unit_path(target: Any, unit: Any) -> str:
    for candidate in (unit, target):
        if candidate is None:
            continue
        path = getattr(candidate, "path", None)
        if isinstance(path, str) and path.startswith("/"):
            return path
        if isinstance(candidate, models.Model) and "unit" in {
            f.name for f in candidate._meta.concrete_fields
        }:
            related = getattr(candidate, "unit", None)
            if related is not None:
                return related.path
    return ""


def _movement_id(target: Any, movement: Any) -> int | None:
    if movement is not None:
        return getattr(movement, "pk", movement)
    if target is not None and target.__class__.__name__ == "Movement":
        return target.pk
    return getattr(target, "movement_id", None)


def _describe(target: Any) -> tuple[str, str, str, Any]:
    """(type, id, label, JSON summary) of an action's target."""
    if target is None:
        return "", "", "", None
    if isinstance(target, models.Model):
        return (
            target._meta.label,
            str(target.pk or ""),
            str(target)[:300],
            snapshot(target) if target.pk is not None else None,
        )
    if is_dataclass(target) and not isinstance(target, type):
        # The fields as they are, not `asdict`'s deep copy of all of them: an ingest's result
        # holds a list of up to 10,000 ids, and only its length is kept.
        summary = {}
        for field in dataclass_fields(target):
            value = getattr(target, field.name)
            if is_dataclass(value) and not isinstance(value, type):
                value = asdict(value)
            summary[field.name] = (
                len(value) if isinstance(value, list | tuple | dict) else _plain(value)
            )
        return type(target).__name__, "", "", summary
    if isinstance(target, list | tuple):
        return "list", "", f"{len(target)} items", {"count": len(target)}
    return type(target).__name__, "", str(target)[:300], _plain(target)


def write_event(
    *,
    action: str,
    target: Any = None,
    unit: Any = None,
    movement: Any = None,
    before: Any = None,
    after: Any = None,
) -> None:
    """Write one audit row for `action` done now by the current actor.

    One plain INSERT with each field's own conversion for the database: every write of the
    system passes here, and building the ORM's insert cost a one-report API call more than
    the row itself (see docs/performance.md)."""
    actor = current_actor()
    target_type, target_id, label, summary = _describe(target)
    values = {
        "at": timezone.now(),
        "user_id": actor.user.pk if actor.is_authenticated and not actor.is_system else None,
        "token_id": actor.token.pk if actor.token is not None else None,
        "actor": actor.label[:200],
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "target": label,
        "unit_path": _unit_path(target, unit),
        "movement_id": _movement_id(target, movement),
        "before": before,
        "after": after if after is not None else summary,
        "ip": actor.ip,
        "user_agent": actor.user_agent[:300],
    }
    connection = connections[router.db_for_write(AuditEvent)]
    sql, fields = _insert_statement(connection)
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [field.get_db_prep_save(values[field.attname], connection) for field in fields]
        )


_STATEMENTS: dict[str, tuple[str, list[models.Field]]] = {}


def _insert_statement(connection: Any) -> tuple[str, list[models.Field]]:
    """The audit row's INSERT for this database, built once a process."""
    if connection.alias not in _STATEMENTS:
        fields = [field for field in AuditEvent._meta.concrete_fields if not field.primary_key]
        quote = connection.ops.quote_name
        _STATEMENTS[connection.alias] = (
            f"INSERT INTO {quote(AuditEvent._meta.db_table)} "
            f"({', '.join(quote(field.column) for field in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))})",
            fields,
        )
    return _STATEMENTS[connection.alias]


def audited(action: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Wrap an action: run it in a transaction and write its audit row on success."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with transaction.atomic():
                reset = _notes.set({})
                try:
                    result = function(*args, **kwargs)
                    notes = _notes.get() or {}
                finally:
                    _notes.reset(reset)
                write_event(
                    action=action,
                    target=notes.get("target", _target_of(result)),
                    unit=notes.get("unit"),
                    movement=notes.get("movement"),
                    before=notes.get("before"),
                    after=notes.get("after"),
                )
            return result

        wrapper.audited_as = action  # type: ignore[attr-defined]
        return wrapper

    return decorate
