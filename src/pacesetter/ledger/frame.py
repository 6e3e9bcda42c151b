"""What the ingest needs to know of a movement's indicators and periods, read once per process.

A movement's indicators and periods can change only while it is a draft (`movements.actions`
refuses otherwise), and reports are accepted only once it is launched. So for a launched or
closed movement this frame never changes: each server process reads it once
and every later report skips those queries (the hot path of a single report from a phone is
then the ledger insert and the aggregate upserts). The key includes the movement's creation
time, so a database restored or rebuilt with reused ids never meets an old frame. A draft's
frame is read afresh every time.

The scope is not in the frame: its units are fixed, but their paths change when a unit moves
(`units.actions.move_unit`), so the ingest reads the scope's paths with each batch.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from decimal import Decimal

from pacesetter.movements.models import Indicator, Movement, Period

from .aggregates import IndicatorShape


@dataclass(frozen=True)
class IndicatorFacts:
    pk: int
    code: str
    decimal_places: int
    allow_negative: bool
    latest: bool
    # For the plausibility flags (ledger.flags): the favourable side and the unit's name.
    less: bool = False
    measure: str = ""

    def quantity(self, minor: int) -> Decimal:
        return Decimal(minor).scaleb(-self.decimal_places)


@dataclass(frozen=True)
class Frame:
    indicators: dict[str, IndicatorFacts]  # by code
    periods: tuple[tuple[int, dt.date, dt.date], ...]

    @property
    def latest_ids(self) -> set[int]:
        return {i.pk for i in self.indicators.values() if i.latest}

    def shapes(self, indicator_ids: set[int]) -> dict[int, IndicatorShape]:
        latest = self.latest_ids
        return {
            pk: IndicatorShape(latest=pk in latest, periods=list(self.periods))
            for pk in indicator_ids
        }


_MAX_FRAMES = 256
_frames: dict[tuple[int, dt.datetime], Frame] = {}
_lock = threading.Lock()


def frame_of(movement: Movement) -> Frame:
    if movement.status == Movement.Status.DRAFT:
        return _read(movement.pk)
    key = (movement.pk, movement.created_at)
    found = _frames.get(key)
    if found is None:
        found = _read(movement.pk)
        with _lock:
            if len(_frames) >= _MAX_FRAMES:
                _frames.clear()
            _frames[key] = found
    return found


def _read(movement_id: int) -> Frame:
    indicators = {
        code: IndicatorFacts(
            pk,
            code,
            places,
            negative,
            aggregation == Indicator.Aggregation.LATEST,
            less=direction == Indicator.Direction.LESS,
            measure=currency or measure,
        )
        for pk, code, places, negative, aggregation, direction, currency, measure in (
            Indicator.objects.filter(movement_id=movement_id).values_list(
                "pk",
                "code",
                "decimal_places",
                "allow_negative",
                "aggregation",
                "direction",
                "currency",
                "unit_of_measure",
            )
        )
    }
    periods = Period.objects.filter(movement_id=movement_id).values_list(
        "pk", "starts_on", "ends_on"
    )
    return Frame(
        indicators=indicators,
        periods=tuple(sorted(periods, key=lambda p: (p[1], p[2], p[0]))),
    )
