"""Keeping the aggregates current, and rebuilding them from the ledger.

An ingest hands `apply_own_deltas` what its new reports add to each unit's own daily totals.
From that come the *contributions* of each unit to its subtree figures (for "sum" indicators
the deltas themselves; for "latest level" indicators the change of the unit's level), which
are added to the unit and every ancestor by set-based upserts, sorted by key so concurrent
writers lock rows in one order. A block's daily totals (`BlockDailyTotal`) take the subtree
changes of its members, summed per block; when a block's members change, `rebuild_block`
recomputes that block's rows from the subtree totals. The rebuild runs the same contributions
from an empty start over the whole ledger, which makes it an independent check of the
incremental path.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When

from pacesetter.core.locks import read_snapshot
from pacesetter.movements.models import Indicator, Period
from pacesetter.units.models import Block, Unit

from . import domain
from .models import BlockDailyTotal, DailyTotal, Report, SubtreeDailyTotal, SubtreePeriodTotal
from .verification_state import decisions_of_movement, is_verified_state

# quantity, verified quantity, entries, verified entries
Totals = list[int]
DayKey = tuple[int, int, dt.date]  # unit, indicator, day
PeriodKey = tuple[int, int, int]  # unit, indicator, period


def _zero() -> Totals:
    return [0, 0, 0, 0]


def _add(target: Totals, values: Iterable[int], sign: int = 1) -> None:
    for index, value in enumerate(values):
        target[index] += sign * value


def _accumulate(into: dict[tuple, Totals], key: tuple, values: Totals) -> None:
    """`_add(into[key], values)` for a defaultdict(_zero), without building a zero row first."""
    found = into.get(key)
    if found is None:
        into[key] = [0 + value for value in values]
    else:
        for index, value in enumerate(values):
            found[index] += value


@dataclass
class IndicatorShape:
    """What the aggregation needs to know of an indicator."""

    latest: bool
    periods: list[tuple[int, dt.date, dt.date]]


def indicator_shapes(indicator_ids: Iterable[int]) -> dict[int, IndicatorShape]:
    ids = set(indicator_ids)
    indicators = dict(Indicator.objects.filter(pk__in=ids).values_list("pk", "aggregation"))
    movement_of = dict(Indicator.objects.filter(pk__in=ids).values_list("pk", "movement_id"))
    periods: dict[int, list[tuple[int, dt.date, dt.date]]] = defaultdict(list)
    for period_id, movement_id, start, end in Period.objects.filter(
        movement_id__in=set(movement_of.values())
    ).values_list("pk", "movement_id", "starts_on", "ends_on"):
        periods[movement_id].append((period_id, start, end))
    return {
        pk: IndicatorShape(
            latest=aggregation == Indicator.Aggregation.LATEST, periods=periods[movement_of[pk]]
        )
        for pk, aggregation in indicators.items()
    }


class _PeriodIndex:
    """Day → the periods containing it, cached: a batch touches few distinct days."""

    def __init__(self, periods: list[tuple[int, dt.date, dt.date]]):
        self.periods = periods
        self.cache: dict[dt.date, list[int]] = {}

    def of(self, day: dt.date) -> list[int]:
        found = self.cache.get(day)
        if found is None:
            found = self.cache[day] = [pk for pk, start, end in self.periods if start <= day <= end]
        return found


@dataclass
class Contributions:
    day: dict[DayKey, Totals] = field(default_factory=lambda: defaultdict(_zero))
    period: dict[PeriodKey, Totals] = field(default_factory=lambda: defaultdict(_zero))


def contributions(
    own_deltas: Mapping[DayKey, Totals],
    shapes: Mapping[int, IndicatorShape],
    old_own: Mapping[tuple[int, int], Mapping[dt.date, Totals]],
) -> Contributions:
    """What each unit's own changes add to the subtree figures of the unit itself.

    `old_own` holds, for "latest level" pairs (unit, indicator) only, the unit's own daily
    totals before the change.
    """
    result = Contributions()
    period_index = {pk: _PeriodIndex(shape.periods) for pk, shape in shapes.items()}
    latest_pairs: dict[tuple[int, int], dict[dt.date, Totals]] = defaultdict(dict)
    for (unit_id, indicator_id, day), delta in own_deltas.items():
        if shapes[indicator_id].latest:
            latest_pairs[(unit_id, indicator_id)][day] = delta
            continue
        # Not `_add` on a defaultdict: this runs for every group of every ingest, and a
        # missing key then costs a zero row built and added to.
        _accumulate(result.day, (unit_id, indicator_id, day), delta)
        for period_id in period_index[indicator_id].of(day):
            _accumulate(result.period, (unit_id, indicator_id, period_id), delta)

    for (unit_id, indicator_id), deltas in latest_pairs.items():
        before = old_own.get((unit_id, indicator_id), {})
        after: dict[dt.date, Totals] = {day: list(values) for day, values in before.items()}
        for day, delta in deltas.items():
            _add(after.setdefault(day, _zero()), delta)
        series = {}
        for name, state in (("old", before), ("new", after)):
            series[name] = (
                domain.series_from_days({d: (v[0], v[2]) for d, v in state.items()}),
                domain.series_from_days({d: (v[1], v[3]) for d, v in state.items()}),
            )
        quantity_changes = domain.level_deltas(series["old"][0], series["new"][0])
        verified_changes = domain.level_deltas(series["old"][1], series["new"][1])
        for day in quantity_changes.keys() | verified_changes.keys() | deltas.keys():
            entries = deltas.get(day, _zero())
            _add(
                result.day[(unit_id, indicator_id, day)],
                (
                    quantity_changes.get(day, 0),
                    verified_changes.get(day, 0),
                    entries[2],
                    entries[3],
                ),
            )
        for period_id, start, end in shapes[indicator_id].periods:
            entries_delta = [0, 0]
            for day, delta in deltas.items():
                if start <= day <= end:
                    entries_delta[0] += delta[2]
                    entries_delta[1] += delta[3]
            change = (
                domain.level_in_period(series["new"][0], start, end)
                - domain.level_in_period(series["old"][0], start, end),
                domain.level_in_period(series["new"][1], start, end)
                - domain.level_in_period(series["old"][1], start, end),
                *entries_delta,
            )
            if any(change):
                _add(result.period[(unit_id, indicator_id, period_id)], change)
    return result


def expand_to_lineage(
    rows: Mapping[tuple[int, int, object], Totals],
    lineage: Mapping[int, list[int]],
    sign: int = 1,
    into: dict | None = None,
) -> dict:
    """Add each unit's contribution to the unit and every ancestor (lineage = root…unit)."""
    expanded = into if into is not None else defaultdict(_zero)
    for (unit_id, indicator_id, key), values in rows.items():
        quantity, verified, entries, verified_entries = (
            values if sign == 1 else [sign * value for value in values]
        )
        # `_add` inlined: an ingest of 10,000 reports makes ~100,000 additions here.
        for target in lineage[unit_id]:
            target_key = (target, indicator_id, key)
            found = expanded.get(target_key)
            if found is None:
                expanded[target_key] = [quantity, verified, entries, verified_entries]
            else:
                found[0] += quantity
                found[1] += verified
                found[2] += entries
                found[3] += verified_entries
    return expanded


TOTAL_COLUMNS = ("quantity_minor", "verified_minor", "entries", "verified_entries")


def upsert_sql(
    table: str, key_column: str, *, vendor: str, key_type: str = "bigint", owner: str = "unit_id"
) -> str:
    """The statement that adds changes to an aggregate table, creating missing rows.

    On PostgreSQL it is one statement per batch: seven arrays, one per column (`key_type` is
    the type of `key_column`), unnested and inserted in the order given — key order, so
    concurrent ingests lock rows in one order — instead of one round trip per row. Elsewhere
    it takes one row of seven parameters, for `executemany`.
    """
    columns = f"{owner}, indicator_id, {key_column}, {', '.join(TOTAL_COLUMNS)}"
    if vendor == "postgresql":
        types = ("bigint", "bigint", key_type, "bigint", "bigint", "integer", "integer")
        arrays = ", ".join(f"%s::{name}[]" for name in types)
        rows = (
            "SELECT unit_id, indicator_id, key_value, quantity, verified, entries, verified_entries "
            f"FROM unnest({arrays}) WITH ORDINALITY AS changes(unit_id, indicator_id, key_value, "
            "quantity, verified, entries, verified_entries, ordinal) ORDER BY ordinal"
        )
    else:
        rows = "VALUES (%s, %s, %s, %s, %s, %s, %s)"
    return (
        f"INSERT INTO {table} ({columns}) {rows} "
        f"ON CONFLICT ({owner}, indicator_id, {key_column}) DO UPDATE SET "
        + ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in TOTAL_COLUMNS)
    )


def _upsert(model: type, key_column: str, rows: Mapping[tuple, Totals]) -> int:
    vendor = connection.vendor
    sql = upsert_sql(
        model._meta.db_table,
        key_column,
        owner="block_id" if model is BlockDailyTotal else "unit_id",
        vendor=vendor,
        # The column's type names PostgreSQL's array; SQLite's statement has none.
        key_type=model._meta.get_field(key_column).db_type(connection)
        if vendor == "postgresql"
        else "",
    )
    # Sorting the keys alone gives the same order as sorting the items (keys are unique) and
    # is several times faster; the vendor is looked up once, not once per row.
    sqlite = vendor == "sqlite"
    params = []
    for row_key in sorted(rows):
        values = rows[row_key]
        if any(values):
            unit_id, indicator_id, key = row_key
            if sqlite and isinstance(key, dt.date):
                key = key.isoformat()
            params.append((unit_id, indicator_id, key, *values))
    if params:
        with connection.cursor() as cursor:
            if vendor == "postgresql":
                cursor.execute(sql, [list(column) for column in zip(*params, strict=True)])
            else:
                cursor.executemany(sql, params)
    return len(params)


def _own_totals(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], dict[dt.date, Totals]]:
    """Current own daily totals of the given (unit, indicator) pairs."""
    found: dict[tuple[int, int], dict[dt.date, Totals]] = defaultdict(dict)
    by_indicator: dict[int, list[int]] = defaultdict(list)
    for unit_id, indicator_id in pairs:
        by_indicator[indicator_id].append(unit_id)
    for indicator_id, unit_ids in by_indicator.items():
        for start in range(0, len(unit_ids), 5000):
            for unit_id, day, *values in DailyTotal.objects.filter(
                indicator_id=indicator_id, unit_id__in=unit_ids[start : start + 5000]
            ).values_list(
                "unit_id", "day", "quantity_minor", "verified_minor", "entries", "verified_entries"
            ):
                found[(unit_id, indicator_id)][day] = list(values)
    return found


def lineages(unit_paths: Mapping[int, str]) -> dict[int, list[int]]:
    return {
        pk: [int(part) for part in path.strip("/").split("/")] for pk, path in unit_paths.items()
    }


def apply_own_deltas(
    own_deltas: Mapping[DayKey, Totals],
    *,
    unit_paths: Mapping[int, str],
    shapes: Mapping[int, IndicatorShape],
) -> None:
    """Add new reports' effect to all three aggregates. Call inside the ingest's transaction."""
    latest_pairs = {(u, i) for (u, i, _day) in own_deltas if shapes[i].latest}
    old_own = _own_totals(latest_pairs) if latest_pairs else {}
    _upsert(DailyTotal, "day", own_deltas)
    parts = contributions(own_deltas, shapes, old_own)
    lineage = lineages(unit_paths)
    subtree_days = expand_to_lineage(parts.day, lineage)
    _upsert(SubtreeDailyTotal, "day", subtree_days)
    _upsert(BlockDailyTotal, "day", to_blocks(subtree_days))
    _upsert(SubtreePeriodTotal, "period_id", expand_to_lineage(parts.period, lineage))


MEMBERSHIP = Block.units.through


def to_blocks(
    subtree_days: Mapping[DayKey, Totals], memberships: Mapping[int, list[int]] | None = None
) -> dict[DayKey, Totals]:
    """The changes of units' subtree daily totals summed per block of theirs: (block,
    indicator, day) → totals. `memberships` (unit → its blocks) is read when not given, for
    the changed units only (one query per 5,000 units)."""
    if memberships is None:
        memberships = defaultdict(list)
        unit_ids = sorted({unit_id for unit_id, _indicator, _day in subtree_days})
        for start in range(0, len(unit_ids), 5000):
            for unit_id, block_id in MEMBERSHIP.objects.filter(
                unit_id__in=unit_ids[start : start + 5000]
            ).values_list("unit_id", "block_id"):
                memberships[unit_id].append(block_id)
    blocks: dict[DayKey, Totals] = {}
    if not memberships:
        return blocks
    for (unit_id, indicator_id, day), values in subtree_days.items():
        for block_id in memberships.get(unit_id, ()):
            _accumulate(blocks, (block_id, indicator_id, day), values)
    return blocks


def rebuild_block(block_ids: Iterable[int]) -> None:
    """Recompute the blocks' daily totals from their members' subtree daily totals: what the
    action that changes a block's members runs, in its transaction (two statements a block)."""
    table = BlockDailyTotal._meta.db_table
    subtree = SubtreeDailyTotal._meta.db_table
    columns = ", ".join(TOTAL_COLUMNS)
    sums = ", ".join(f"SUM(s.{column})" for column in TOTAL_COLUMNS)
    with connection.cursor() as cursor:
        for block_id in sorted(set(block_ids)):
            cursor.execute(f"DELETE FROM {table} WHERE block_id = %s", [block_id])
            cursor.execute(
                f"INSERT INTO {table} (block_id, indicator_id, day, {columns}) "
                f"SELECT m.block_id, s.indicator_id, s.day, {sums} "
                f"FROM {MEMBERSHIP._meta.db_table} m JOIN {subtree} s ON s.unit_id = m.unit_id "
                "WHERE m.block_id = %s GROUP BY m.block_id, s.indicator_id, s.day",
                [block_id],
            )


def shift_subtree(*, unit: Unit, old_ancestor_ids: list[int], new_ancestor_ids: list[int]) -> None:
    """A unit moved: its subtree's figures leave the old ancestors and join the new ones."""
    leaving = [pk for pk in old_ancestor_ids if pk not in new_ancestor_ids]
    joining = [pk for pk in new_ancestor_ids if pk not in old_ancestor_ids]
    if not leaving and not joining:
        return
    fields = ("quantity_minor", "verified_minor", "entries", "verified_entries")
    for model, key in ((SubtreeDailyTotal, "day"), (SubtreePeriodTotal, "period_id")):
        own = {
            (unit.pk, indicator_id, key_value): list(values)
            for indicator_id, key_value, *values in model.objects.filter(unit=unit).values_list(
                "indicator_id", key, *fields
            )
        }
        changes: dict = defaultdict(_zero)
        expand_to_lineage(own, {unit.pk: leaving}, sign=-1, into=changes)
        expand_to_lineage(own, {unit.pk: joining}, sign=1, into=changes)
        _upsert(model, key, changes)
        if model is SubtreeDailyTotal:
            _upsert(BlockDailyTotal, "day", to_blocks(changes))


# --- rebuild ---------------------------------------------------------------------------


def _ledger_own_totals(movement_id: int | None) -> dict[DayKey, Totals]:
    """Each unit's own daily totals, from the ledger alone. Verified figures count, over the
    root reports whose state is verified (`verification_state`: the latest decision, else
    the stored verification), their effective value; reversed reports are no entries."""
    original = Q(corrects__isnull=True)
    born_verified = original & Q(verification=Report.Verification.VERIFIED)
    queryset = Report.objects.exclude(verification=Report.Verification.REJECTED)
    if movement_id is not None:
        queryset = queryset.filter(movement_id=movement_id)
    rows = queryset.values("unit_id", "indicator_id", "day").annotate(
        q=Sum("quantity_minor"),
        vq=Sum(
            Case(
                When(born_verified, then="quantity_minor"),
                default=Value(0),
                output_field=IntegerField(),
            )
        ),
        e=Count("id", filter=original),
        ve=Count("id", filter=born_verified),
    )
    totals = {
        (r["unit_id"], r["indicator_id"], r["day"]): [r["q"], r["vq"], r["e"], r["ve"]]
        for r in rows
    }
    # So far each original counted as born, with its own quantity. The corrected and the
    # decided ones are read again (few beside the ledger): their verified share becomes
    # their effective value if their state is verified, and a reversed one is no entry.
    corrections = Report.objects.all()
    if movement_id is not None:
        # A correction is always in the movement of the report it corrects.
        corrections = corrections.filter(movement_id=movement_id)
    change_of = _corrections_by_root(corrections)
    decided = decisions_of_movement(movement_id)
    looked_at = sorted(change_of.keys() | decided.keys())
    for start in range(0, len(looked_at), 5000):
        for pk, unit_id, indicator_id, day, stored, quantity in queryset.filter(
            original, pk__in=looked_at[start : start + 5000]
        ).values_list("pk", "unit_id", "indicator_id", "day", "verification", "quantity_minor"):
            born = int(stored == Report.Verification.VERIFIED)
            state = int(is_verified_state(decided.get(pk, stored)))
            effective = quantity + change_of.get(pk, 0)
            counted = int(pk not in change_of or effective != 0)
            entry = totals[(unit_id, indicator_id, day)]
            entry[1] += effective * state - quantity * born
            entry[2] -= 1 - counted
            entry[3] += counted * state - born
    return totals


def _corrections_by_root(corrections: QuerySet[Report]) -> dict[int, int]:
    """Corrected report id → the sum of its corrections (an int: PostgreSQL sums numerics)."""
    return {
        pk: int(total)
        for pk, total in corrections.filter(corrects__isnull=False)
        .values_list("corrects_id")
        .annotate(total=Sum("quantity_minor"))
        .values_list("corrects_id", "total")
    }


def reversed_originals(
    originals: QuerySet[Report], corrections: QuerySet[Report]
) -> Iterator[tuple[int, int, dt.date, str]]:
    """(unit, indicator, day, verification) of each original report in `originals` that the
    reports in `corrections` correcting it bring to 0 (a reversal).

    The corrections' sums per corrected report first, then those reports, 5,000 at a time:
    not one query grouping reports by id, which PostgreSQL refuses on the partitioned ledger
    (its primary key is (id, day), so other columns do not depend on id alone).
    """
    change_of = _corrections_by_root(corrections)
    corrected = sorted(change_of)
    for start in range(0, len(corrected), 5000):
        for pk, unit_id, indicator_id, day, verification, quantity in originals.filter(
            corrects__isnull=True, pk__in=corrected[start : start + 5000]
        ).values_list("pk", "unit_id", "indicator_id", "day", "verification", "quantity_minor"):
            if change_of[pk] == -quantity:
                yield unit_id, indicator_id, day, verification


def _stored(model: type, key: str, indicator_ids: set[int]) -> dict[tuple, Totals]:
    fields = ("quantity_minor", "verified_minor", "entries", "verified_entries")
    owner = "block_id" if model is BlockDailyTotal else "unit_id"
    return {
        (u, i, k): list(values)
        for u, i, k, *values in model.objects.filter(indicator_id__in=indicator_ids).values_list(
            owner, "indicator_id", key, *fields
        )
    }


@dataclass
class Difference:
    table: str
    key: tuple
    stored: Totals
    ledger: Totals


def rebuild(*, movement_id: int | None = None, fix: bool = False) -> list[Difference]:
    """Recompute every aggregate from the ledger and compare with what is stored.

    Returns the differences (rows missing on one side count as zeros). With `fix`, the stored
    aggregates of the movement are replaced by the recomputed ones, in one transaction; a
    check only reads, from one snapshot, and never holds the write lock.
    """
    with transaction.atomic() if fix else read_snapshot():
        own = _ledger_own_totals(movement_id)
        indicators = Indicator.objects.all()
        if movement_id is not None:
            indicators = indicators.filter(movement_id=movement_id)
        indicator_ids = set(indicators.values_list("pk", flat=True))
        shapes = indicator_shapes(indicator_ids)
        unit_ids = {u for (u, _i, _d) in own}
        paths = (
            dict(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "path")) if unit_ids else {}
        )
        parts = contributions(own, shapes, {})
        lineage = lineages(paths)
        subtree_days = expand_to_lineage(parts.day, lineage)
        memberships: dict[int, list[int]] = defaultdict(list)
        for unit_id, block_id in MEMBERSHIP.objects.values_list("unit_id", "block_id"):
            memberships[unit_id].append(block_id)
        expected = {
            DailyTotal: ("day", own),
            SubtreeDailyTotal: ("day", subtree_days),
            SubtreePeriodTotal: ("period_id", expand_to_lineage(parts.period, lineage)),
            BlockDailyTotal: ("day", to_blocks(subtree_days, memberships)),
        }
        differences: list[Difference] = []
        for model, (key, rows) in expected.items():
            stored = _stored(model, key, indicator_ids)
            for row_key in sorted(stored.keys() | rows.keys()):
                have, want = stored.get(row_key, _zero()), list(rows.get(row_key, _zero()))
                if have != want:
                    differences.append(Difference(model._meta.db_table, row_key, have, want))
            if fix and differences:
                model.objects.filter(indicator_id__in=indicator_ids).delete()
                _upsert(model, key, rows)
        return differences
