"""Reserves from a file: `pacesetter import-reserves FILE` (the command in
management/commands is thin; the columns and the rows' meaning are here).

A CSV (UTF-8, `,` `;` or tab; also .csv.gz) or XLSX file read through `core.tabular`, one
reserve a row, taken through the reserves' own lifecycle actions to the status the row asks
for — propose, then accept, implement, verify, or decline — as the pages and the API do, so
each step is checked, audited and counted in the figures (and, for a verified reserve a link
covers, in the ledger). Every row is checked first; then all rows are recorded or none, in
one transaction; errors name the file's row (the header is row 1), the field and what is
wrong.

Dates, for paper records: a row may give the day of each step it takes — `proposed_on`,
`reviewed_on` (for under_review), `accepted_on`, `implemented_on`, `verified_on`,
`declined_on` (ISO, 1958-03-14) — and each step is then recorded on its day, at noon in the
time zone of the row's movement (of the site, settings.TIME_ZONE, for a row without one; a
step dated today is recorded no later than now, and no earlier than the reserve's last step
that day): the events, the title facts (a verified reserve is an initiative of its verified
day) and a linked report in the ledger (on the verified day). A dated row must give the day
of its last step (`verified_on` for a verified row); a step left undated between takes the
day of the next dated step. Each day is checked with the rest of the row: a date, not in the
future (in that time zone), not before a step it follows, only for a step the row's status
takes, and — for a verified reserve a link counts toward an indicator — within the linked
movement's period, where its report would land. A row without dates is recorded at the time
of the import, as before. Dating a step needs nothing beyond taking it: each action checks
its own capability (a member may propose, and date the proposal; only a verifier verifies).

Idempotency: a row's key is its `key` cell, or else a hash of the row's cells. A row whose
reserve was imported before is taken on from where it stands (a reserve proposed by an
earlier import and now marked verified is accepted, implemented and verified, each on its
day), and left as it is when it stands there already — the steps taken before keep the days
they were recorded on: importing the same file again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone

from pacesetter.core.errors import ActionError, RowError
from pacesetter.core.facts import INITIATIVE_SCOPES
from pacesetter.core.tabular import open_table
from pacesetter.movements.models import Indicator, Movement
from pacesetter.units.models import Member, Unit

from . import actions, domain, selectors
from .models import Kind, Reserve, Status

REQUIRED = ("unit", "kind", "description", "estimated")
OPTIONAL = ("key", "member", "measure", "movement", "indicator", "status", "verified", "scope")
OPTIONAL += ("reason", *domain.STEP_DAYS.values())
STATUSES = tuple(Status.values)
ORDER = (Status.PROPOSED, Status.UNDER_REVIEW, Status.ACCEPTED, Status.IMPLEMENTED)
# The time of day a dated step is recorded at, in the row's time zone.
NOON = dt.time(12)


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
    # The day of every step to the row's status, by verb (empty: the time of the import),
    # and the time zone they are days of.
    days: dict[str, dt.date] = field(default_factory=dict)
    zone: dt.tzinfo = dt.UTC


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
        zone = _zone(movement)
        days = _days(get, status, zone, bad)
        if "verify" in days and unit is not None and not errors:
            _check_counted(
                Reserve(unit=unit, movement=movement, kind=kind, measure=measure),
                _at(days["verify"], zone),
                bad,
            )
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
                days=days,
                zone=zone,
            )
        )
    return outcome


def _zone(movement: Movement | None) -> dt.tzinfo:
    """The time zone a row's days are days of: its movement's, else the site's."""
    if movement is not None:
        return zoneinfo.ZoneInfo(movement.time_zone)
    return timezone.get_current_timezone()


def _days(get, status: str, zone: dt.tzinfo, bad) -> dict[str, dt.date]:
    """The row's day of each step to its status (empty when it dates none); `bad` hears of
    every date that does not parse, lies in the future, or breaks the order of the steps."""
    today = timezone.localdate(timezone=zone)
    given: dict[str, dt.date] = {}
    unread = False
    for verb, column in domain.STEP_DAYS.items():
        if not get(column):
            continue
        day, problem = domain.parse_day(get(column))
        if day is not None and day > today:
            problem = f"{day} is in the future (today is {today} in {zone})"
        if problem:
            bad(column, problem)
            unread = True
        else:
            given[verb] = day
    if unread or status not in STATUSES:
        # The order of the steps is judged once every day reads well.
        return {}
    path = ("propose", *(_steps(Status.PROPOSED, status) or ()))
    days, problems = domain.step_days(status, path, given)
    for column, message in problems:
        bad(column, message)
    return days


def _check_counted(reserve: Reserve, at: dt.datetime, bad) -> None:
    """A verification on `at` that a link counts toward an indicator records a report on
    that day, which must lie within the link's movement: else the row's `verified_on` is
    refused here, rather than the ledger's day by the verification."""
    for link in selectors.links_covering(reserve):
        movement = link.movement
        day = timezone.localtime(at, zoneinfo.ZoneInfo(movement.time_zone)).date()
        if not movement.starts_on <= day <= movement.ends_on:
            bad(
                "verified_on",
                f"{day} is outside {movement.slug} ({movement.starts_on} to "
                f"{movement.ends_on}), whose {link.indicator.name} this reserve counts toward",
            )


def _at(day: dt.date, zone: dt.tzinfo, after: dt.datetime | None = None) -> dt.datetime:
    """The time a step dated `day` is recorded at: noon that day in `zone` — no later than
    now (a step dated today), and no earlier than `after`, the reserve's last step, when that
    was the same day."""
    at = min(dt.datetime.combine(day, NOON, tzinfo=zone), timezone.now())
    if after is not None and at < after and timezone.localtime(after, zone).date() == day:
        return after
    return at


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


def _step(reserve: Reserve, verb: str, row: Row, at: dt.datetime | None) -> None:
    if verb == "verify":
        actions.verify_reserve(
            reserve, verified=row.verified, measure=row.measure, scope=row.scope, at=at
        )
    elif verb == "decline":
        actions.decline_reserve(reserve, reason=row.reason, at=at)
    else:
        actions.ACTIONS[verb](reserve, at=at)


def record(outcome: Outcome) -> None:
    """Take every row to its status through the actions, each step on the row's day for it
    when it gives days, in one transaction; every row's refusal is collected (named by the
    file's row, a refused day by its column) and then nothing is kept."""
    keys = [row.key for row in outcome.rows]
    stored = {
        r.import_key: r
        for r in Reserve.objects.filter(import_key__in=keys).annotate(last_at=Max("events__at"))
    }
    with transaction.atomic():
        for row in outcome.rows:
            column = domain.STEP_DAYS["propose"]
            try:
                with transaction.atomic():
                    reserve = stored.get(row.key)
                    after = reserve.last_at if reserve is not None else None
                    if reserve is None:
                        after = _at(row.days["propose"], row.zone) if row.days else None
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
                            at=after,
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
                        column = domain.STEP_DAYS[verb]
                        at = _at(row.days[verb], row.zone, after) if row.days else None
                        _step(reserve, verb, row, at)
                        after = at
                    if steps:
                        outcome.moved += 1
                    elif reserve.import_key in stored:
                        outcome.unchanged += 1
            except ActionError as exc:
                said = exc.errors or [RowError(1, "", exc.detail)]
                # An action's `at` is the day of the file's column for the step refused.
                outcome.errors.extend(
                    RowError(row.number, column if e.field == "at" else e.field, e.message)
                    for e in said
                )
            except Http404:
                # What the acting person may not see does not exist for them.
                outcome.errors.append(RowError(row.number, "unit", f"no unit {row.unit.code!r}"))
        if outcome.errors:
            transaction.set_rollback(True)
