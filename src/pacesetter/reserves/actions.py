"""Every change to a reserve, each an audited action in one transaction: the event row, the
reserve's status and the subtree figures move together or not at all.

Who may do what (pacesetter.accounts.permissions):
- propose: anyone who may take part (PARTICIPATE: member, unit head, organiser) or report
  (REPORT: reporter) on the unit;
- review, accept, implement, decline: PLAN on the unit — its unit head, or a unit head or
  organiser above it;
- verify: VERIFY on the unit — a verifier or an organiser on or above it (never the unit head
  alone: the one who runs the work does not certify its saving), and never the person who
  proposed the reserve;
- link reserves to an indicator (`link_reserves`, `unlink_reserves`): ORGANISE on the
  movement's organising unit.

A verified reserve that a link covers counts toward the link's indicator through the ledger:
the verification records a report (source `reserve`, key `reserve:<id>`, the verification
day in the movement's time zone, the reserve's unit, the verified saving × the factor) in
the same transaction — refused, with the verification, if the ledger refuses it.

Each step is stamped with the time it is taken. Every action also takes `at`, the time the
step was taken on paper (an aware datetime, not in the future, not before the reserve's last
step): `pacesetter import-reserves` passes it for a file's dated rows; the pages and the API
never do. The step is recorded at `at` — the event, `proposed_at` or `verified_at` (so the
title facts' day), and a linked report's day in the movement's time zone — and the audit row
keeps both, `at` beside the time it was recorded. Who may date a step is who may take it:
the capability each action checks is the same with or without `at`.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from pacesetter.accounts.permissions import (
    Capability,
    current_actor,
    require,
    require_on_movement,
    require_taking_part,
)
from pacesetter.audit.actions import audited, note
from pacesetter.core.errors import ActionError, NotAllowed, RowError, StateError, ValidationFailed
from pacesetter.core.facts import INITIATIVE_SCOPES
from pacesetter.ledger import actions as ledger_actions
from pacesetter.ledger.models import Report
from pacesetter.movements.models import Indicator, Movement
from pacesetter.units.models import Member, Unit

from . import domain, selectors
from .models import Kind, Reserve, ReserveCount, ReserveEvent, ReserveLink, Status

TOTALS = "reserves_reservetotal"
_COLUMNS = (
    "proposed",
    "implemented",
    "verified",
    "estimated_saving",
    "verified_saving",
    "members_verified",
    "members_repeat",
)


def _refuse(field: str, message: str, cls=ValidationFailed) -> None:
    raise cls(f"{field}: {message}", errors=[RowError(1, field, message)])


def _upsert(rows: list[tuple]) -> None:
    """Add (unit_id, measure, *_COLUMNS) rows to the totals, in key order."""
    if not rows:
        return
    rows = sorted(rows, key=lambda r: (r[0], r[1]))
    names = ("unit_id", "measure", *_COLUMNS)
    updates = ", ".join(f"{c} = {TOTALS}.{c} + excluded.{c}" for c in _COLUMNS)
    values = ", ".join(["(" + ", ".join(["%s"] * len(names)) + ")"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TOTALS} ({', '.join(names)}) VALUES {values} "
            f"ON CONFLICT (unit_id, measure) DO UPDATE SET {updates}",
            [value for row in rows for value in row],
        )


def _add(unit_ids: Sequence[int], measure: str, **values) -> None:
    row = tuple(values.get(c, 0) for c in _COLUMNS)
    if not any(row):
        return
    _upsert([(unit_id, measure, *row) for unit_id in unit_ids])


def _lineage(unit: Unit) -> list[int]:
    return unit.lineage_ids


def _actor_user():
    actor = current_actor()
    return actor, (actor.user if actor.user is not None and actor.is_authenticated else None)


def _when(at: dt.datetime | None, last: dt.datetime | None = None) -> dt.datetime:
    """The time a step is recorded at: `at` when given (checked), else now."""
    now = timezone.now()
    if at is None:
        return now
    if timezone.is_naive(at):
        _refuse("at", "a time with its time zone")
    if at > now:
        _refuse("at", f"{at.isoformat(timespec='minutes')} is in the future")
    if last is not None and at < last:
        _refuse(
            "at",
            f"{at.isoformat(timespec='minutes')} is before the reserve's last step, at "
            f"{last.isoformat(timespec='minutes')}",
        )
    return at


def _dated(at: dt.datetime | None) -> dict[str, str]:
    return {"at": at.isoformat()} if at is not None else {}


@audited("reserves.propose_reserve")
def propose_reserve(
    *,
    unit: Unit,
    kind: str,
    description: str,
    estimated,
    measure: str = "",
    member: Member | None = None,
    movement: Movement | None = None,
    indicator: Indicator | None = None,
    import_key: str | None = None,
    at: dt.datetime | None = None,
) -> Reserve:
    """Propose a reserve. `import_key` is a file's row key (import-reserves): unique. `at`:
    when it was proposed, for a dated file row (see the module's docstring)."""
    actor, user = _actor_user()
    require_taking_part(actor, unit, movement)
    errors: list[RowError] = []
    if kind not in Kind.values:
        errors.append(RowError(1, "kind", f"one of {', '.join(Kind.values)}"))
    if kind == Kind.INDICATOR:
        if indicator is None:
            errors.append(RowError(1, "indicator", "an indicator is required for this kind"))
        elif movement is not None and indicator.movement_id != movement.pk:
            errors.append(RowError(1, "indicator", "not an indicator of this movement"))
        else:
            movement = movement or indicator.movement
            measure = indicator.currency or indicator.unit_of_measure
    elif indicator is not None:
        errors.append(RowError(1, "indicator", "only a reserve of kind indicator names one"))
    if not description.strip():
        errors.append(RowError(1, "description", "a description is required"))
    if kind != Kind.INDICATOR and kind in Kind.values:
        problem = domain.measure_error(kind, measure)
        if problem:
            errors.append(RowError(1, "measure", problem))
    places = domain.places_for(kind, indicator.decimal_places if indicator else None)
    quantity, problem = domain.parse_saving(estimated, places)
    if problem:
        errors.append(RowError(1, "estimated", problem))
    if member is not None and not member.unit.path.startswith(unit.path):
        errors.append(RowError(1, "member", "not a member of this unit"))
    if errors:
        raise ValidationFailed(
            "The reserve is not valid: " + "; ".join(f"{e.field}: {e.message}" for e in errors),
            errors=errors,
        )
    now = _when(at)
    reserve = Reserve.objects.create(
        unit=unit,
        movement=movement,
        member=member,
        proposed_by=user,
        kind=kind,
        indicator=indicator if kind == Kind.INDICATOR else None,
        description=description.strip(),
        estimated=quantity,
        measure=measure.strip(),
        status=Status.PROPOSED,
        proposed_at=now,
        import_key=import_key or None,
    )
    ReserveEvent.objects.create(
        reserve=reserve, at=now, by=user, by_label=actor.label, to_status=Status.PROPOSED
    )
    d = domain.delta_of(Status.PROPOSED, reserve.estimated)
    _add(_lineage(unit), reserve.measure, proposed=d.proposed, estimated_saving=d.estimated_saving)
    note(
        target=reserve,
        unit=unit,
        movement=movement,
        after={"status": reserve.status, **_dated(at)},
    )
    return reserve


def _locked(reserve: Reserve | int) -> Reserve:
    pk = getattr(reserve, "pk", reserve)
    return (
        Reserve.objects.select_for_update(of=("self",))
        .select_related("unit", "member__unit")
        .get(pk=pk)
    )


def _transition(
    verb: str,
    reserve: Reserve | int,
    *,
    note_text: str = "",
    verified: Decimal | None = None,
    scope: str = "",
    at: dt.datetime | None = None,
) -> Reserve:
    actor, user = _actor_user()
    reserve = _locked(reserve)
    capability = Capability.VERIFY if verb == "verify" else Capability.PLAN
    require(actor, capability, reserve.unit, reserve.movement)
    problem = domain.transition_error(verb, reserve.status)
    if problem:
        _refuse("status", problem, StateError)
    if verb == "decline" and not note_text.strip():
        _refuse("reason", "a reason is required to decline a reserve")
    before = reserve.status
    to = domain.TRANSITIONS[verb][1]
    if verb == "verify":
        if user is not None and reserve.proposed_by_id == user.pk:
            raise NotAllowed(
                "You proposed this reserve: someone else verifies it.",
                errors=[RowError(1, "status", "the proposer may not verify their own reserve")],
            )
        reserve.verified = verified
    last = None
    if at is not None:
        last = reserve.events.order_by("-at", "-id").values_list("at", flat=True).first()
    now = _when(at, last)
    if verb == "verify":
        reserve.verified_at, reserve.recognised_scope = now, scope
    ReserveEvent.objects.create(
        reserve=reserve,
        at=now,
        by=user,
        by_label=actor.label,
        from_status=before,
        to_status=to,
        note=note_text.strip(),
        verified=verified,
    )
    Reserve.objects.filter(pk=reserve.pk).update(
        status=to,
        verified=reserve.verified,
        verified_at=reserve.verified_at,
        recognised_scope=reserve.recognised_scope,
    )
    reserve.status = to
    d = domain.delta_of(to, reserve.estimated, verified)
    _add(
        _lineage(reserve.unit),
        reserve.measure,
        implemented=d.implemented,
        verified=d.verified,
        estimated_saving=d.estimated_saving,
        verified_saving=d.verified_saving,
    )
    if verb == "verify" and reserve.member_id is not None:
        earlier = (
            Reserve.objects.filter(member_id=reserve.member_id, status=Status.VERIFIED)
            .exclude(pk=reserve.pk)
            .count()
        )
        first, second = domain.member_delta(earlier)
        _add(_lineage(reserve.member.unit), "", members_verified=first, members_repeat=second)
    if verb == "verify":
        _count(reserve, verified, now)
    note(
        target=reserve,
        unit=reserve.unit,
        movement=reserve.movement,
        before={"status": before},
        after={
            "status": to,
            **({"verified": str(verified), "scope": scope} if verified is not None else {}),
            **_dated(at),
        },
    )
    return reserve


@audited("reserves.review_reserve")
def review_reserve(
    reserve: Reserve | int, *, note: str = "", at: dt.datetime | None = None
) -> Reserve:
    return _transition("review", reserve, note_text=note, at=at)


@audited("reserves.accept_reserve")
def accept_reserve(
    reserve: Reserve | int, *, note: str = "", at: dt.datetime | None = None
) -> Reserve:
    return _transition("accept", reserve, note_text=note, at=at)


@audited("reserves.implement_reserve")
def implement_reserve(
    reserve: Reserve | int, *, note: str = "", at: dt.datetime | None = None
) -> Reserve:
    return _transition("implement", reserve, note_text=note, at=at)


@audited("reserves.decline_reserve")
def decline_reserve(
    reserve: Reserve | int, *, reason: str, at: dt.datetime | None = None
) -> Reserve:
    return _transition("decline", reserve, note_text=reason, at=at)


@audited("reserves.verify_reserve")
def verify_reserve(
    reserve: Reserve | int,
    *,
    verified,
    measure: str,
    note: str = "",
    scope: str = "unit",
    at: dt.datetime | None = None,
) -> Reserve:
    """Verify an implemented reserve with the saving found, in the estimate's measure, and
    the scope its recognition reaches (unit, grassroots, provincial, national): a verified
    reserve is a recognised initiative, a fact the title engine judges (core.facts), on the
    day of `at` when given (a linked report too, on that day in its movement's time zone)."""
    if scope not in INITIATIVE_SCOPES[1:]:
        _refuse("scope", f"one of {', '.join(INITIATIVE_SCOPES[1:])}")
    current = Reserve.objects.select_related("indicator").get(pk=getattr(reserve, "pk", reserve))
    if measure.strip() != current.measure:
        _refuse("measure", f"the verified saving is measured in {current.measure!r}, as estimated")
    places = domain.places_for(
        current.kind, current.indicator.decimal_places if current.indicator else None
    )
    quantity, problem = domain.parse_saving(verified, places)
    if problem:
        _refuse("verified", problem)
    return _transition("verify", current, note_text=note, verified=quantity, scope=scope, at=at)


def _count(reserve: Reserve, verified: Decimal, when: dt.datetime | None = None) -> None:
    """Record the verified saving toward each covering link's indicator, in the ledger, on
    the day of `when` (else today) in the link's movement's time zone."""
    when = when or timezone.now()
    for link in selectors.links_covering(reserve):
        indicator, movement = link.indicator, link.movement
        quantity = domain.counted(verified, link.factor)
        problem = domain.count_error(quantity, indicator.decimal_places)
        if problem:
            _refuse(
                "verified",
                f"{verified} {reserve.measure} × {link.factor} = {quantity} "
                f"{indicator.unit_of_measure} of {indicator.name}: {problem}",
            )
        day = timezone.localtime(when, zoneinfo.ZoneInfo(movement.time_zone)).date()
        row = ledger_actions.ReportRow(
            unit=reserve.unit.code,
            indicator=indicator.code,
            day=day,
            quantity=quantity,
            idempotency_key=f"reserve:{reserve.pk}",
        )
        try:
            result = ledger_actions.record_reports(
                movement=movement, rows=[row], source=Report.Source.RESERVE, verified=True
            )
        except ActionError as exc:
            where = f"counting toward {indicator.name} ({movement.slug})"
            said = "; ".join(f"{e.field}: {e.message}" for e in exc.errors) or exc.detail
            raise type(exc)(
                f"{where}: {said}",
                errors=[RowError(1, "verified", f"{where}: {e.message}") for e in exc.errors]
                or [RowError(1, "verified", f"{where}: {exc.detail}")],
            ) from exc
        ReserveCount.objects.get_or_create(
            reserve=reserve,
            indicator=indicator,
            defaults={
                "movement": movement,
                "quantity": quantity,
                "factor": link.factor,
                "report_id": result.report_ids[0],
                "day": day,
            },
        )


def _link_movement(movement: Movement) -> None:
    scope = [u.path for u in movement.scope.all()] or [movement.organiser.path]
    require_on_movement(current_actor(), Capability.ORGANISE, movement, scope)


@audited("reserves.link_reserves")
def link_reserves(
    *, movement: Movement, kind: str, measure: str, indicator: Indicator, factor="1"
) -> ReserveLink:
    """Count the verified reserves of `kind` measured in `measure` toward `indicator`, each
    unit of saving as `factor` of it. Setting a link the movement has changes its indicator
    or factor for verifications from now on; what was counted stays counted."""
    _link_movement(movement)
    errors: list[RowError] = []
    if kind not in Kind.values:
        errors.append(RowError(1, "kind", f"one of {', '.join(Kind.values)}"))
    elif kind != Kind.INDICATOR:
        problem = domain.measure_error(kind, measure)
        if problem:
            errors.append(RowError(1, "measure", problem))
    elif not measure.strip():
        errors.append(RowError(1, "measure", "a measure is required"))
    if indicator.movement_id != movement.pk:
        errors.append(RowError(1, "indicator", "not an indicator of this movement"))
    number, problem = domain.parse_factor(factor)
    if problem:
        errors.append(RowError(1, "factor", problem))
    if errors:
        raise ValidationFailed(
            "The link is not valid: " + "; ".join(f"{e.field}: {e.message}" for e in errors),
            errors=errors,
        )
    measure = measure.strip()
    link = ReserveLink.objects.filter(movement=movement, kind=kind, measure=measure).first()
    before = None
    if link is None:
        link = ReserveLink.objects.create(
            movement=movement,
            kind=kind,
            measure=measure,
            indicator=indicator,
            factor=number,
            created_at=timezone.now(),
        )
    else:
        before = {"indicator": link.indicator.code, "factor": str(link.factor)}
        link.indicator, link.factor = indicator, number
        link.save(update_fields=["indicator", "factor"])
    note(
        target=link,
        unit=movement.organiser,
        movement=movement,
        before=before,
        after={
            "kind": kind,
            "measure": measure,
            "indicator": indicator.code,
            "factor": str(number),
        },
    )
    return link


@audited("reserves.unlink_reserves")
def unlink_reserves(*, link: ReserveLink) -> None:
    """Stop counting: verifications from now on are not counted; what was counted stays."""
    movement = link.movement
    _link_movement(movement)
    note(
        unit=movement.organiser,
        movement=movement,
        before={
            "kind": link.kind,
            "measure": link.measure,
            "indicator": link.indicator.code,
            "factor": str(link.factor),
        },
    )
    link.delete()


ACTIONS = {
    "review": review_reserve,
    "accept": accept_reserve,
    "implement": implement_reserve,
    "decline": decline_reserve,
    "verify": verify_reserve,
}
