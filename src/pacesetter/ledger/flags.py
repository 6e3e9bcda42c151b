"""Plausibility flags, computed as reports arrive, and the movement's rules for them.

The ingest (`actions._record`) reads the movement's rules in the statement that reads its
status and scope (so a movement that turned every kind off costs nothing more), and after
the ledger insert and the aggregate upserts calls `flag_reports` once per batch. That reads,
for the whole batch and never row by row:

1. the rated capacities of the batch's units and indicators (plans with a capacity), if
   `over_capacity` is on;
2. in one statement, the batch's units' own daily totals over the trailing window (jump,
   heaping, and the day's total for the capacity) and the daily totals of every unit of the
   blocks they sit in (units.Block: their peer groups) on the batch's days (block outliers);
3. the batch's units' corrections within the window, only if the batch holds corrections;

then computes every flag in `flag_domain` and writes the flags as `ReportFlag` rows (the ids
of flagged originals looked up by key when the insert gave none back: PostgreSQL's COPY).

A flag never blocks an ingest and never changes a total: it is a row beside the ledger,
inserted with ON CONFLICT DO NOTHING, and nothing here writes anything else. Flags name the
original report (for a correction, the report it corrects), as verification decisions do.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from pacesetter.accounts.permissions import Capability, current_actor, require_on_movement
from pacesetter.audit.actions import audited, note
from pacesetter.core.errors import RowError, ValidationFailed
from pacesetter.core.rows import insert_rows, one_of
from pacesetter.core.templatetags.pacesetter import plain
from pacesetter.movements.models import Movement

from . import flag_domain as rules_domain
from .flag_domain import Rule
from .frame import Frame
from .models import FlagKind, FlagRule, ReportFlag
from .report_selectors import ids_by_key

logger = logging.getLogger(__name__)

ONE_DAY = dt.timedelta(days=1)


# --- the rules ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """A movement's rule for every kind, defaults filled in."""

    by_kind: Mapping[str, Rule]

    def on(self, kind: str) -> Rule | None:
        rule = self.by_kind[kind]
        return rule if rule.enabled else None

    @property
    def any_on(self) -> bool:
        return any(rule.enabled for rule in self.by_kind.values())


def _decimal(value) -> Decimal | None:
    # SQLite gives a decimal column back as a float or an int.
    if value is None:
        return None
    return Decimal(str(value)).quantize(rules_domain.FOUR_PLACES)


def rules_from(stored: Iterable[tuple]) -> Rules:
    """(kind, enabled, threshold, window_days, minimum) rows → every kind's rule."""
    found = {
        kind: rules_domain.rule_of(
            kind,
            enabled=bool(enabled),
            threshold=_decimal(threshold),
            window_days=window_days,
            minimum=minimum,
        )
        for kind, enabled, threshold, window_days, minimum in stored
        if kind in rules_domain.DEFAULTS
    }
    return Rules(
        {kind: found.get(kind, rules_domain.DEFAULTS[kind]) for kind in rules_domain.KINDS}
    )


def rules_of(movement: Movement) -> Rules:
    return rules_from(
        FlagRule.objects.filter(movement=movement).values_list(
            "kind", "enabled", "threshold", "window_days", "minimum"
        )
    )


def movement_state(movement_id: int) -> tuple[str, list[str], Rules]:
    """The movement's status, its scope's paths and its flag rules, in one statement (the
    ingest's first read, under its tree lock)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT m.status, u.path, NULL, NULL, NULL, NULL FROM movements_movement m"
            " LEFT JOIN movements_movement_scope s ON s.movement_id = m.id"
            " LEFT JOIN units_unit u ON u.id = s.unit_id WHERE m.id = %s"
            " UNION ALL SELECT NULL, r.kind, r.enabled, r.threshold, r.window_days, r.minimum"
            f" FROM {FlagRule._meta.db_table} r WHERE r.movement_id = %s",
            [movement_id, movement_id],
        )
        found = cursor.fetchall()
    status = next(row[0] for row in found if row[0] is not None)
    paths = [row[1] for row in found if row[0] is not None and row[1] is not None]
    return status, paths, rules_from(row[1:] for row in found if row[0] is None)


@audited("ledger.set_flag_rules")
def set_flag_rules(*, movement: Movement, rules: Mapping[str, Mapping[str, object]]) -> Rules:
    """Set the movement's rule for each kind given: `enabled`, and `threshold`,
    `window_days`, `minimum` where the kind reads them (empty: the default). Kinds not given
    are left as they are. Every setting is checked and the error lists every bad one; rules
    apply to reports recorded from then on (flags already raised stay)."""
    scope = [u.path for u in movement.scope.all()] or [movement.organiser.path]
    require_on_movement(current_actor(), Capability.ORGANISE, movement, scope)
    errors: list[RowError] = []
    parsed: dict[str, Rule] = {}
    for number, (kind, spec) in enumerate(rules.items(), start=1):
        if kind not in rules_domain.DEFAULTS:
            errors.append(
                RowError(number, "kind", f"expected one of {', '.join(rules_domain.KINDS)}")
            )
            continue
        try:
            threshold = spec.get("threshold")
            threshold = None if threshold in (None, "") else Decimal(str(threshold))
            window_days = _whole(spec.get("window_days"))
            minimum = _whole(spec.get("minimum"))
        except (ArithmeticError, ValueError) as exc:
            errors.append(RowError(number, kind, str(exc), "invalid"))
            continue
        enabled = spec.get("enabled")
        rule = rules_domain.rule_of(
            kind,
            enabled=True if enabled is None else bool(enabled),
            threshold=threshold,
            window_days=window_days,
            minimum=minimum,
        )
        problems = rules_domain.rule_problems(kind, rule)
        errors.extend(RowError(number, f"{kind}.{f}", message) for f, message in problems)
        parsed[kind] = rule
    if errors:
        raise ValidationFailed(
            "The flag rules are not valid: " + "; ".join(f"{e.field}: {e.message}" for e in errors),
            errors=errors,
        )
    before = rules_of(movement)
    for kind, rule in parsed.items():
        FlagRule.objects.update_or_create(
            movement=movement,
            kind=kind,
            defaults={
                "enabled": rule.enabled,
                "threshold": rule.threshold,
                "window_days": rule.window_days,
                "minimum": rule.minimum,
            },
        )
    after = rules_of(movement)
    note(
        movement=movement,
        unit=movement.organiser,
        before={k: _rule_document(before.by_kind[k]) for k in parsed},
        after={k: _rule_document(after.by_kind[k]) for k in parsed},
    )
    return after


def _whole(value) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or Decimal(str(value)) != int(Decimal(str(value))):
        raise ValueError(f"{value!r} is not a whole number")
    return int(Decimal(str(value)))


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _rule_document(rule: Rule) -> dict:
    document: dict = {"enabled": rule.enabled, "threshold": _plain(rule.threshold)}
    if rule.window_days is not None:
        document["window_days"] = rule.window_days
    if rule.minimum is not None:
        document["minimum"] = rule.minimum
    return document


def rules_document(movement: Movement, *, stored_only: bool = False) -> dict[str, dict]:
    """Every kind's rule (or only the kinds the movement has a row for), as the API and the
    setup file write them."""
    rules = rules_of(movement)
    kinds = (
        set(FlagRule.objects.filter(movement=movement).values_list("kind", flat=True))
        if stored_only
        else set(rules_domain.KINDS)
    )
    return {k: _rule_document(rules.by_kind[k]) for k in rules_domain.KINDS if k in kinds}


# --- in words --------------------------------------------------------------------------------

# Each kind's reason, with the numbers the check used (`numbers` of a ReportFlag).
REASONS = {
    FlagKind.OVER_CAPACITY: gettext_lazy(
        "%(value)s %(measure)s on %(day)s is %(ratio)s times the rated capacity per day (%(capacity_per_day)s"
        " %(measure)s a day, %(rated_capacity)s %(measure)s over the %(period_days)s days from %(period_from)s to %(period_to)s);"
        " flagged above"
        " %(threshold)s times."
    ),
    FlagKind.JUMP: gettext_lazy(
        "%(value)s %(measure)s on %(day)s is %(ratio)s times the unit's own median of %(median)s over its"
        " %(days)s reported days in the %(window_days)s days before; flagged beyond"
        " %(threshold)s times."
    ),
    FlagKind.BLOCK_OUTLIER: gettext_lazy(
        "%(value)s %(measure)s on %(day)s has a robust z-score of %(z)s against the %(units)s units of"
        " block %(block)s that reported that day (median %(median)s, deviation %(spread)s);"
        " flagged beyond %(threshold)s."
    ),
    FlagKind.LATE: gettext_lazy(
        "Entered on %(entered_on)s, %(days)s days after its day %(day)s; flagged after"
        " %(threshold)s days."
    ),
    FlagKind.CORRECTIONS: gettext_lazy(
        "%(count)s corrections for the unit's days from %(since)s to %(day)s; flagged above"
        " %(threshold)s in %(window_days)s days."
    ),
    FlagKind.HEAPING: gettext_lazy(
        "%(value)s %(measure)s on %(day)s is a round number, as %(round)s of the unit's %(days)s reported"
        " days in the %(window_days)s days up to it are; flagged above a share of"
        " %(threshold)s."
    ),
}


def _shown(value) -> str:
    """A number of a flag grouped in the locale ("3,672"); dates in ISO form; text (a block's
    code, a measure) as it is."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return plain(Decimal(value))
    return str(value)


def reason_text(kind: str, numbers: Mapping[str, object]) -> str:
    """The reason in words, from the numbers found, in the site's language (LANGUAGE_CODE):
    it is stored with the flag, so it must not take the language and number format of
    whoever happened to file the report."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(REASONS[kind]) % {name: _shown(value) for name, value in numbers.items()}


def _json_numbers(numbers: Mapping[str, object]) -> dict[str, object]:
    return {
        name: (
            _plain(value)
            if isinstance(value, Decimal)
            else value.isoformat()
            if isinstance(value, dt.date)
            else value
        )
        for name, value in numbers.items()
    }


# --- at ingest ---------------------------------------------------------------------------------


def _day(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _day_param(day: dt.date):
    return day if connection.vendor == "postgresql" else day.isoformat()


def _capacities(
    rows: Sequence, indicator_ids: set[int], frame: Frame
) -> dict[tuple[int, int], list[tuple]]:
    """(unit, indicator) → [(rated capacity, period start, end)] of the plans that set one
    (the periods' days from the movement's frame)."""
    periods = {pk: (starts_on, ends_on) for pk, starts_on, ends_on in frame.periods}
    units, unit_params = one_of("unit_id", sorted({r.unit_id for r in rows}))
    indicators, indicator_params = one_of("indicator_id", sorted(indicator_ids))
    found: dict[tuple[int, int], list[tuple]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT unit_id, indicator_id, rated_capacity_minor, period_id FROM movements_plan"
            f" WHERE {units} AND {indicators} AND rated_capacity_minor IS NOT NULL",
            [*unit_params, *indicator_params],
        )
        for unit_id, indicator_id, capacity, period_id in cursor.fetchall():
            if period_id in periods:
                found[(unit_id, indicator_id)].append((capacity, *periods[period_id]))
    return found


def _day_totals(
    rows: Sequence, lookback: int, blocks: bool
) -> tuple[dict[tuple[int, int], dict[dt.date, int]], dict[tuple[int, dt.date], dict]]:
    """The units' own reported day totals from `lookback` days before their first day in the
    batch to their last, by (unit, indicator); and with `blocks`, every reported day total of
    the units of the blocks they sit in (their peer groups) on the batch's days, by
    (indicator, day) → block → unit."""
    by_indicator: dict[int, list] = defaultdict(list)
    for row in rows:
        by_indicator[row.indicator_id].append(row)
    parts, params = [], []
    for indicator_id, indicator_rows in sorted(by_indicator.items()):
        units, unit_params = one_of("unit_id", sorted({r.unit_id for r in indicator_rows}))
        parts.append(
            "SELECT CAST(NULL AS bigint), CAST(NULL AS varchar(64)), unit_id, indicator_id, day,"
            " quantity_minor FROM ledger_dailytotal"
            f" WHERE indicator_id = %s AND {units} AND day >= %s AND day <= %s AND entries > 0"
        )
        first = min(r.day for r in indicator_rows) - dt.timedelta(days=lookback)
        last = max(r.day for r in indicator_rows)
        params += [indicator_id, *unit_params, _day_param(first), _day_param(last)]
    if blocks:
        indicators, indicator_params = one_of("d.indicator_id", sorted(by_indicator))
        days, day_params = one_of("d.day", sorted({_day_param(r.day) for r in rows}))
        members, member_params = one_of("unit_id", sorted({r.unit_id for r in rows}))
        parts.append(
            "SELECT b.id, b.code, d.unit_id, d.indicator_id, d.day, d.quantity_minor"
            " FROM units_block b JOIN units_block_units bu ON bu.block_id = b.id"
            " JOIN ledger_dailytotal d ON d.unit_id = bu.unit_id"
            f" WHERE b.id IN (SELECT block_id FROM units_block_units WHERE {members})"
            f" AND {indicators} AND {days} AND d.entries > 0"
        )
        params += [*member_params, *indicator_params, *day_params]
    own: dict[tuple[int, int], dict[dt.date, int]] = defaultdict(dict)
    peers: dict[tuple[int, dt.date], dict] = defaultdict(lambda: defaultdict(dict))
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for block_id, code, unit_id, indicator_id, day, quantity in cursor.fetchall():
            day = _day(day)
            if block_id is None:
                own[(unit_id, indicator_id)][day] = quantity
            else:
                peers[(indicator_id, day)][(block_id, code)][unit_id] = quantity
    return own, peers


def _corrections(movement_id: int, unit_ids: set[int], first: dt.date, last: dt.date) -> dict:
    """(unit, day) → corrections of the unit's reports of that day, for days in the range."""
    units, unit_params = one_of("unit_id", sorted(unit_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT unit_id, day, COUNT(*) FROM ledger_report WHERE movement_id = %s"
            f" AND {units} AND day >= %s AND day <= %s AND corrects_id IS NOT NULL"
            " GROUP BY unit_id, day",
            [movement_id, *unit_params, _day_param(first), _day_param(last)],
        )
        return {(unit_id, _day(day)): count for unit_id, day, count in cursor.fetchall()}


def flag_reports(
    *,
    movement: Movement,
    frame: Frame,
    rules: Rules,
    rows: Sequence,
    new_ids: Sequence[int] | None,
) -> int:
    """Flag the batch's new reports (`rows`, the ingest's prepared rows in insert order;
    `new_ids` their ids when the insert gave them back). Returns how many flags were written.
    Call inside the ingest's transaction, after the aggregates are updated."""
    if not rules.any_on or not rows:
        return 0
    now = timezone.now()
    found = _flags(movement, frame, rules, rows, now)
    if not found:
        return 0
    ids = dict(zip((r.key for r in rows), new_ids or (), strict=False))
    missing = [row.key for row, _kind, _numbers in found if row.corrects_id is None]
    missing = [key for key in missing if key not in ids]
    if missing:
        ids.update(ids_by_key(missing))
    flags: dict[tuple[int, str], tuple] = {}
    sqlite = connection.vendor == "sqlite"
    flagged_at = connection.ops.adapt_datetimefield_value(now) if sqlite else now
    for row, kind, numbers in found:
        report_id = row.corrects_id if row.corrects_id is not None else ids[row.key]
        if (report_id, kind) in flags:
            continue
        numbers = {**numbers, "day": row.day}
        flags[(report_id, kind)] = (
            movement.pk,
            report_id,
            row.unit_id,
            row.indicator_id,
            row.day.isoformat() if sqlite else row.day,
            kind,
            reason_text(kind, numbers),
            json.dumps(_json_numbers(numbers)),
            flagged_at,
        )
    # Append-only and one per report and kind: a flag raised again is left as it was.
    insert_rows(
        ReportFlag._meta.db_table,
        _FLAG_COLUMNS,
        list(flags.values()),
        suffix="ON CONFLICT (report_id, kind) DO NOTHING",
    )
    return len(flags)


_FLAG_COLUMNS = (
    "movement_id",
    "report_id",
    "unit_id",
    "indicator_id",
    "day",
    "kind",
    "reason",
    "numbers",
    "flagged_at",
)


def _flags(
    movement: Movement, frame: Frame, rules: Rules, rows: Sequence, now: dt.datetime
) -> list[tuple]:
    """(row, kind, numbers) for every flag the batch raises."""
    facts = {f.pk: f for f in frame.indicators.values()}
    found: list[tuple] = []
    late = rules.on(rules_domain.LATE)
    if late is not None:
        entered_on = timezone.localtime(now, ZoneInfo(movement.time_zone)).date()
        for row in rows:
            if row.corrects_id is None:
                numbers = rules_domain.late(row.day, entered_on, rule=late)
                if numbers:
                    found.append((row, rules_domain.LATE, numbers))

    corrections = rules.on(rules_domain.CORRECTIONS)
    corrected = [r for r in rows if r.corrects_id is not None]
    if corrections is not None and corrected:
        window = dt.timedelta(days=(corrections.window_days or 1) - 1)
        counts = _corrections(
            movement.pk,
            {r.unit_id for r in corrected},
            min(r.day for r in corrected) - window,
            max(r.day for r in corrected),
        )
        for row in corrected:
            since = row.day - window
            count = sum(
                counts.get((row.unit_id, since + dt.timedelta(days=n)), 0)
                for n in range(window.days + 1)
            )
            numbers = rules_domain.many_corrections(count, since, rule=corrections)
            if numbers:
                found.append((row, rules_domain.CORRECTIONS, numbers))

    capacity = rules.on(rules_domain.OVER_CAPACITY)
    jump = rules.on(rules_domain.JUMP)
    outlier = rules.on(rules_domain.BLOCK_OUTLIER)
    heaping = rules.on(rules_domain.HEAPING)
    # Value flags judge the day's total a report leaves: an original, or a correction that
    # moves the total the favourable way (up, or down where less is better).
    valued = [
        r
        for r in rows
        if r.corrects_id is None or (r.quantity_minor < 0) == facts[r.indicator_id].less
    ]
    if not valued or not (capacity or jump or outlier or heaping):
        return found
    capacities = (
        _capacities(valued, {r.indicator_id for r in valued}, frame) if capacity is not None else {}
    )
    lookback = max(
        (jump.window_days or 0) if jump else 0, (heaping.window_days or 0) if heaping else 0
    )
    own, peers = _day_totals(valued, lookback, blocks=outlier is not None)

    judged: dict[tuple[int, int, dt.date], list[tuple[str, dict]]] = {}
    spreads: dict[tuple[int, int, dt.date], tuple | None] = {}
    for row in valued:
        key = (row.unit_id, row.indicator_id, row.day)
        if key not in judged:
            judged[key] = _judge(
                key,
                facts[row.indicator_id],
                read=(own, peers, spreads, capacities),
                rules=(capacity, jump, outlier, heaping),
            )
        found.extend((row, kind, numbers) for kind, numbers in judged[key])
    return found


def _judge(key: tuple, facts, *, read: tuple, rules: tuple) -> list[tuple[str, dict]]:
    """The value flags of one unit's day total on one indicator, from what the batch read
    (`spreads` is filled as blocks are met) and the rules of the value flags that are on."""
    own, peers, spreads, capacities = read
    capacity, jump, outlier, heaping = rules
    unit_id, indicator_id, day = key
    series = own.get((unit_id, indicator_id), {})
    if day not in series:
        return []  # nothing counted that day (a reversal to 0)
    quantity = facts.quantity
    value = quantity(series[day])
    found = []
    if capacity is not None:
        plans = [p for p in capacities.get((unit_id, indicator_id), ()) if p[1] <= day <= p[2]]
        if plans:
            # The plan of the shortest period holding the day: the most particular one.
            rated, starts_on, ends_on = min(plans, key=lambda p: (p[2] - p[1], p[1]))
            numbers = rules_domain.over_capacity(
                value,
                rated_capacity=quantity(rated),
                period_days=(ends_on - starts_on).days + 1,
                latest=facts.latest,
                rule=capacity,
            )
            if numbers:
                numbers.update(period_from=starts_on, period_to=ends_on)
                found.append((rules_domain.OVER_CAPACITY, numbers))
    if jump is not None:
        since = day - dt.timedelta(days=jump.window_days or 0)
        history = [quantity(q) for d, q in series.items() if since <= d < day]
        numbers = rules_domain.jump(value, history, less=facts.less, rule=jump)
        if numbers:
            found.append((rules_domain.JUMP, numbers))
    if outlier is not None:
        for (block_id, code), members in sorted(peers.get((indicator_id, day), {}).items()):
            if unit_id not in members:
                continue
            group = (block_id, indicator_id, day)
            if group not in spreads:  # once per block and day, whichever unit is judged
                spreads[group] = rules_domain.robust_spread([quantity(q) for q in members.values()])
            numbers = rules_domain.block_outlier(
                value, spreads[group], len(members), less=facts.less, rule=outlier
            )
            if numbers:
                found.append((rules_domain.BLOCK_OUTLIER, {**numbers, "block": code}))
                break
    if heaping is not None:
        since = day - dt.timedelta(days=(heaping.window_days or 1) - 1)
        days = [quantity(q) for d, q in series.items() if since <= d <= day]
        numbers = rules_domain.heaping(value, days, rule=heaping)
        if numbers:
            found.append((rules_domain.HEAPING, numbers))
    return [(kind, {**numbers, "measure": facts.measure}) for kind, numbers in found]
