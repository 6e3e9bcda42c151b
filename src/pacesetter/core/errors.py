"""Errors a person can act on: which row, which field, what was expected.

Actions raise these; the API turns them into application/problem+json, the CLI prints them,
and forms show them beside the field.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class RowError:
    """One thing wrong with one input row. `row` counts from 1 as a person would."""

    row: int
    field: str
    message: str
    code: str = "invalid"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ActionError(Exception):
    """A refused action. `status` is the HTTP status the API answers with."""

    status = 400
    title = "The request was refused"

    def __init__(self, detail: str, *, errors: list[RowError] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class ValidationFailed(ActionError):
    status = 422
    title = "Some input is not valid"


class Conflict(ActionError):
    status = 409
    title = "Conflict with what is already recorded"


class NotAllowed(ActionError):
    status = 403
    title = "Not allowed"


class StateError(ActionError):
    """The object is in a state where this action cannot be taken (e.g. a closed movement)."""

    status = 409
    title = "Not possible in the current state"


def raise_for_rows(errors: list[RowError], *, what: str, total: int) -> None:
    """Raise one error listing every bad row; idempotency conflicts alone answer 409."""
    if not errors:
        return
    bad = len({e.row for e in errors})
    detail = (
        f"{bad} of {total} {what} row{'' if total == 1 else 's'} "
        f"{'is' if bad == 1 else 'are'} not valid; nothing was recorded."
    )
    if all(e.code == "idempotency_conflict" for e in errors):
        raise Conflict(detail, errors=errors)
    raise ValidationFailed(detail, errors=errors)
