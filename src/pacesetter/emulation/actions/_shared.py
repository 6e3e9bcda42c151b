"""What the emulation modules share: the movement's day, chunked id lists and raw-SQL
values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db import connection

from pacesetter.movements.models import Movement
from pacesetter.movements.selectors import movement_today

_CHUNK = 900


def _today(movement: Movement) -> dt.date:
    return movement_today(movement)


def _chunks(values: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _int_list(values: Iterable[int]) -> str:
    """Ids for an SQL IN list, written out: they are integers, and binding thousands of
    parameters costs more than the query (see core.rows.rows_in)."""
    return ", ".join(str(int(value)) for value in values)


def _stamp(moment: dt.datetime):
    """A moment as the raw statements of these modules pass it (SQLite takes text)."""
    return (
        connection.ops.adapt_datetimefield_value(moment)
        if connection.vendor == "sqlite"
        else moment
    )
