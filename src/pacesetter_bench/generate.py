"""The bench's data: a seeded 5-level unit tree and a year of reports on its workteams.

Everything is a function of the sizes and the seed, so two runs (and the ingest and the floor
within one run) see exactly the same rows.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass

from pacesetter.ledger.actions import ReportRow
from pacesetter.units.actions import UnitRow

LEVELS = ("country", "province", "county", "enterprise", "workteam")
MIN_UNITS = len(LEVELS)
CODE_PREFIXES = {
    "country": "CTRY",
    "province": "PROV",
    "county": "CNTY",
    "enterprise": "ENT",
    "workteam": "WT",
}

# Two "sum" indicators: one with a decimal place (tonnes), one whole (persons), so the
# quantity parsing of both kinds is on the measured path.
INDICATORS: tuple[dict, ...] = (
    {"code": "output", "name": "Output", "unit_of_measure": "t", "decimal_places": 1},
    {"code": "volunteers", "name": "Volunteers", "unit_of_measure": "persons"},
)


@dataclass(frozen=True)
class Tree:
    rows: list[UnitRow]
    counts: tuple[int, ...]  # units per level, root first
    leaf_codes: list[str]

    @property
    def root_code(self) -> str:
        return self.rows[0].code


def level_counts(units: int) -> tuple[int, ...]:
    """Units per level for a tree of `units`: 1 country, then roughly 1 province per 10,000
    units, 1 county per 1,000 and 1 enterprise per 50; the rest are workteams. For 100,000
    units that is 1 / 10 / 100 / 2,000 / 97,889."""
    if units < MIN_UNITS:
        raise ValueError(f"a 5-level tree needs at least {MIN_UNITS} units")
    provinces = max(1, units // 10_000)
    counties = max(provinces, units // 1_000)
    enterprises = max(counties, units // 50)
    workteams = units - 1 - provinces - counties - enterprises
    return (1, provinces, counties, enterprises, workteams)


def tree(units: int) -> Tree:
    """The tree as import rows, parents before children; each level spread evenly over the
    level above (child i goes under parent i mod the number of parents)."""
    counts = level_counts(units)
    rows: list[UnitRow] = []
    parents: list[str] = [""]
    for depth, (kind, count) in enumerate(zip(LEVELS, counts, strict=True)):
        codes = [f"{CODE_PREFIXES[kind]}{number}" for number in range(1, count + 1)]
        for index, code in enumerate(codes):
            parent = parents[index % len(parents)]
            name = f"{kind.capitalize()} {index + 1}" if depth else "The country"
            rows.append(UnitRow(code=code, name=name, kind=kind, parent_code=parent, headcount=20))
        parents = codes
    return Tree(rows=rows, counts=counts, leaf_codes=parents)


def days_of(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def reports(
    *,
    leaf_codes: Sequence[str],
    indicators: Sequence[dict],
    count: int,
    days: Sequence[dt.date],
    seed: int,
) -> list[ReportRow]:
    """`count` reports in day order, as they would arrive over the movement's year: each day
    gets an equal share, spread over random workteams and indicators. Fields are strings, as a
    file import or an API client sends them; every row has its own random idempotency key
    (128 random bits, as a client-made UUID would be)."""
    rng = random.Random(seed)
    codes = [spec["code"] for spec in indicators]
    places = [spec.get("decimal_places", 0) for spec in indicators]
    rows: list[ReportRow] = []
    per_day, extra = divmod(count, len(days))
    for number, day in enumerate(days):
        day_text = day.isoformat()
        for _ in range(per_day + (number < extra)):
            which = rng.randrange(len(codes))
            if places[which]:
                tenths = rng.randint(10, 5_000)
                quantity = f"{tenths // 10}.{tenths % 10}"
            else:
                quantity = str(rng.randint(1, 50))
            rows.append(
                ReportRow(
                    unit=leaf_codes[rng.randrange(len(leaf_codes))],
                    indicator=codes[which],
                    day=day_text,
                    quantity=quantity,
                    idempotency_key=f"{rng.getrandbits(128):032x}",
                )
            )
    return rows
