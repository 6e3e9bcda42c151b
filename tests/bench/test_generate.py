from __future__ import annotations

import datetime as dt

import pytest

from pacesetter_bench import generate

DAYS = generate.days_of(dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def test_a_national_tree_has_five_levels_mostly_workteams():
    assert generate.level_counts(100_000) == (1, 10, 100, 2000, 97_889)
    assert sum(generate.level_counts(100_000)) == 100_000


def test_tree_rows_come_parents_first_and_spread_evenly():
    tree = generate.tree(200)
    seen: set[str] = set()
    for row in tree.rows:
        assert not row.parent_code or row.parent_code in seen
        seen.add(row.code)
    assert len(tree.leaf_codes) == tree.counts[-1] == 193
    enterprises = [row.parent_code for row in tree.rows if row.kind == "workteam"]
    assert {enterprises.count(code) for code in set(enterprises)} == {48, 49}


def test_a_tree_needs_a_unit_per_level():
    with pytest.raises(ValueError):
        generate.tree(4)


def test_reports_are_seeded_in_day_order_with_unique_keys():
    def make(seed: int):
        return generate.reports(
            leaf_codes=["W1", "W2", "W3"],
            indicators=generate.INDICATORS,
            count=1000,
            days=DAYS,
            seed=seed,
        )

    rows = make(1)
    assert rows == make(1) and rows != make(2)
    assert len(rows) == 1000
    assert len({row.idempotency_key for row in rows}) == 1000
    assert [row.day for row in rows] == sorted(row.day for row in rows)
    assert {row.day for row in rows} == {day.isoformat() for day in DAYS}
