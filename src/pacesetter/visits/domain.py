"""The arithmetic of visits, without Django: the per-unit-and-year aggregate a batch of visits
adds, shares of units visited, and the words people type for names and dates."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

HUNDRED = Decimal(100)
EARLIEST = dt.date(1900, 1, 1)
_SEPARATORS = re.compile(r"[;\n]")


@dataclass(frozen=True, slots=True)
class YearDelta:
    """What a batch adds to one unit's row of one year."""

    unit_id: int
    year: int
    visits: int
    first_on: dt.date
    last_on: dt.date


def year_deltas(visits: Iterable[tuple[int, dt.date]]) -> list[YearDelta]:
    """(unit id, date) of each new visit → one delta per unit × year, sorted by key (the order
    rows are locked in, so two batches never wait on each other crosswise)."""
    found: dict[tuple[int, int], list[dt.date]] = {}
    for unit_id, day in visits:
        found.setdefault((unit_id, day.year), []).append(day)
    return [
        YearDelta(unit_id, year, len(days), min(days), max(days))
        for (unit_id, year), days in sorted(found.items())
    ]


def share(part: int, whole: int) -> Decimal | None:
    """part of whole in percent, exact (rounded only at display); None for an empty whole."""
    if whole == 0:
        return None
    return Decimal(part) * HUNDRED / Decimal(whole)


def names(text: str) -> list[str]:
    """Names typed one a line or separated by `;` (a comma belongs to "Kim, Il Sung" forms):
    trimmed, blanks and repeats dropped, order kept."""
    seen: dict[str, None] = {}
    for part in _SEPARATORS.split(text or ""):
        name = " ".join(part.split())
        if name:
            seen.setdefault(name, None)
    return list(seen)


def usernames(text: str) -> list[str]:
    """Usernames separated by commas, `;`, spaces or lines."""
    return list(dict.fromkeys(part for part in re.split(r"[\s,;]+", text or "") if part))


def parse_day(text: str | dt.date) -> dt.date | None:
    if isinstance(text, dt.date):
        return text
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        return None
