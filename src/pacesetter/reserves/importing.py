"""Reserves from a file: `pacesetter import-reserves FILE` (the command in
management/commands is thin; the columns and the rows' meaning are here).

A CSV (UTF-8, `,` `;` or tab; also .csv.gz) or XLSX file read through `core.tabular`, one
reserve a row, taken through the reserves' own lifecycle actions to the status the row asks
for — propose, then accept, implement, verify, or decline — as the pages and the API do, so
each step is checked, audited and counted in the figures (and, for a verified reserve a link
covers, in the ledger). Every row is checked first; then all rows are recorded or none, in
one transaction; errors name the file's row (the header is row 1), the field and what is
wrong.

Idempotency: a row's key is its `key` cell, or else a hash of the row's cells. A row whose
reserve was imported before is taken on from where it stands (a reserve proposed by an
earlier import and now marked verified is accepted, implemented and verified), and left as
it is when it stands there already: importing the same file again changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.http import Http404

from pacesetter.core.errors import ActionError, RowError
from pacesetter.core.facts import INITIATIVE_SCOPES
from pacesetter.core.tabular import open_table
from pacesetter.movements.models import Indicator, Movement
from pacesetter.units.models import Member, Unit

from . import actions, domain
from .models import Kind, Reserve, Status

REQUIRED = ("unit", "kind", "description", "estimated")
OPTIONAL = ("key", "member", "measure", "movement", "indicator", "status", "verified", "scope")
OPTIONAL += ("reason",)
STATUSES = tuple(Status.values)
ORDER = (Status.PROPOSED, Status.UNDER_REVIEW, Status.ACCEPTED, Status.IMPLEMENTED)


@dataclass
class Row:
    number: int
    key: str
    unit: Unit
    kind: str
    description: str
    estimated: str
    measure: str
    status: str
    member: Member | None = None
    movement: Movement | None = None
    indicator: Indicator | None = None
    verified: str = ""
    scope: str = "unit"
    reason: str = ""


@dataclass
class Outcome:
    read: int = 0
    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    proposed: int = 0
    moved: int = 0
    unchanged: int = 0


def _key(cells: Sequence[str]) -> str:
    text = "\x1f".join(c.strip() for c in cells)
    return f"reserve-row:{hashlib.sha256(text.encode()).hexdigest()[:40]}"


def read(path: Path) -> Outcome:
    """Every row of the file checked: known unit, member, movement and indicator; kind,
    measure and savings as the actions take them; a reachable status with what it needs."""
    outcome = Outcome()
    with open_table(path) as table:
        columns = table.columns(required=REQUIRED, optional=OPTIONAL)
        raw = list(table.rows())
    known = sorted(columns.items())

    def getter(cells):
        return lambda name: cells[columns[name]].strip() if name in columns else ""

    numbered = [(number, getter(cells), cells) for number, cells in raw]
    units = {u.code: u for u in Unit.objects.filter(code__in={g("unit") for _, g, _ in numbered})}
    members = {
        m.external_id: m
        for m in Member.objects.select_related("unit").filter(
            external_id__in={g("member") for _, g, _ in numbered if g("member")}
        )
    }
    movements = {
        m.slug: m
        for m in Movement.objects.filter(
            slug__in={g("movement") for _, g, _ in numbered if g("movement")}
        )
    }
    indicators = {
        (i.movement.slug, i.code): i
        for i in Indicator.objects.select_related("movement").filter(
            movement__in=movements.values()
        )
    }
    seen: dict[str, int] = {}
    for number, get, cells in numbered:
        outcome.read += 1
        errors: list[RowError] = []

        def bad(name: str, message: str, errors=errors, number=number) -> None:
            errors.append(RowError(number, name, message))

        key = get("key") or _key([f"{name}={cells[index]}" for name, index in known])
        if key in seen:
            bad("key", f"the same reserve as row {seen[key]}")
        seen.setdefault(key, number)
        unit = units.get(get("unit"))
        if unit is None:
            bad("unit", f"no unit {get('unit')!r}")
        kind = get("kind")
        if kind not in Kind.values:
            bad("kind", f"one of {', '.join(Kind.values)}")
        if not get("description"):
            bad("description", "a description is required")
        movement = movements.get(get("movement")) if get("movement") else None
        if get("movement") and movement is None:
            bad("movement", f"no movement {get('movement')!r}")
        indicator = None
        if kind == Kind.INDICATOR:
            indicator = indicators.get((get("movement"), get("indicator")))
            if indicator is None:
                bad("indicator", "an indicator of the row's movement is required for this kind")
        elif get("indicator"):
            bad("indicator", "only a reserve of kind indicator names one")
        measure = get("measure")
        if indicator is not None:
            measure = indicator.currency or indicator.unit_of_measure
        elif kind in Kind.values and (problem := domain.measure_error(kind, measure)):
            bad("measure", problem)
        places = domain.places_for(kind, indicator.decimal_places if indicator else None)
        _, problem = domain.parse_saving(get("estimated"), places)
        if problem:
            bad("estimated", problem)
        member = members.get(get("member")) if get("member") else None
        if get("member") and member is None:
            bad("member", f"no member {get('member')!r}")
        elif member is not None and unit is not None and not member.unit.is_within(unit):
            bad("member", "not a member of this unit")
        status = get("status") or Status.PROPOSED
        if status not in STATUSES:
            bad("status", f"one of {', '.join(STATUSES)}")
        if status == Status.VERIFIED:
            _, problem = domain.parse_saving(get("verified"), places)
            if problem:
                bad(
                    "verified",
                    "the verified saving is required" if not get("verified") else problem,
                )
            if (get("scope") or "unit") not in INITIATIVE_SCOPES[1:]:
                bad("scope", f"one of {', '.join(INITIATIVE_SCOPES[1:])}")
        elif get("verified"):
            bad("verified", "only a verified reserve has a verified saving")
        if status == Status.DECLINED and not get("reason"):
            bad("reason", "a reason is required to decline a reserve")
        if errors:
            outcome.errors.extend(errors)
            continue
        outcome.rows.append(
            Row(
                number=number,
                key=key,
                unit=unit,
                kind=kind,
                description=get("description"),
                estimated=get("estimated"),
                measure=measure,
                status=status,
                member=member,
                movement=movement,
                indicator=indicator,
                verified=get("verified"),
                scope=get("scope") or "unit",
                reason=get("reason"),
            )
        )
    return outcome


_VERB_TO = {
    Status.UNDER_REVIEW: "review",
    Status.ACCEPTED: "accept",
    Status.IMPLEMENTED: "implement",
    Status.VERIFIED: "verify",
}
_FORWARD = (*ORDER, Status.VERIFIED)


def _steps(current: str, wanted: str) -> tuple[str, ...] | None:
    """The steps from `current` to `wanted`; () when there already, None when it cannot
    (a reserve is never taken back)."""
    if current == wanted:
        return ()
    if wanted == Status.DECLINED:
        return ("decline",) if current in ORDER[:3] else None
    if current not in ORDER or _FORWARD.index(wanted) < _FORWARD.index(current):
        return None
    if wanted == Status.UNDER_REVIEW:
        return ("review",)
    after = _FORWARD.index(current)
    return tuple(
        _VERB_TO[status]
        for status in (Status.ACCEPTED, Status.IMPLEMENTED, Status.VERIFIED)
        if after < _FORWARD.index(status) <= _FORWARD.index(wanted)
    )


def _step(reserve: Reserve, verb: str, row: Row) -> None:
    if verb == "verify":
        actions.verify_reserve(reserve, verified=row.verified, measure=row.measure, scope=row.scope)
    elif verb == "decline":
        actions.decline_reserve(reserve, reason=row.reason)
    else:
        actions.ACTIONS[verb](reserve)


def record(outcome: Outcome) -> None:
    """Take every row to its status through the actions, in one transaction; every row's
    refusal is collected (named by the file's row) and then nothing is kept."""
    stored = {
        r.import_key: r
        for r in Reserve.objects.filter(import_key__in=[row.key for row in outcome.rows])
    }
    with transaction.atomic():
        for row in outcome.rows:
            try:
                with transaction.atomic():
                    reserve = stored.get(row.key)
                    if reserve is None:
                        reserve = actions.propose_reserve(
                            unit=row.unit,
                            kind=row.kind,
                            description=row.description,
                            estimated=row.estimated,
                            measure=row.measure,
                            member=row.member,
                            movement=row.movement,
                            indicator=row.indicator,
                            import_key=row.key,
                        )
                        outcome.proposed += 1
                    elif (reserve.unit_id, reserve.kind, reserve.measure) != (
                        row.unit.pk,
                        row.kind,
                        row.measure,
                    ):
                        outcome.errors.append(
                            RowError(
                                row.number,
                                "key",
                                f"reserve {reserve.pk}, imported with this key, has another "
                                "unit, kind or measure",
                            )
                        )
                        continue
                    steps = _steps(reserve.status, row.status)
                    if steps is None:
                        outcome.errors.append(
                            RowError(
                                row.number,
                                "status",
                                f"the reserve of this row is {reserve.status} already",
                            )
                        )
                        continue
                    for verb in steps:
                        _step(reserve, verb, row)
                    if steps:
                        outcome.moved += 1
                    elif reserve.import_key in stored:
                        outcome.unchanged += 1
            except ActionError as exc:
                said = exc.errors or [RowError(1, "", exc.detail)]
                outcome.errors.extend(RowError(row.number, e.field, e.message) for e in said)
            except Http404:
                # What the acting person may not see does not exist for them.
                outcome.errors.append(RowError(row.number, "unit", f"no unit {row.unit.code!r}"))
        if outcome.errors:
            transaction.set_rollback(True)
