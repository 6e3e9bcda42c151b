"""The effect read for many practices at once (selectors.effects_of) against the definition
computed unit by unit, and against the one-practice read (selectors.effect_of)."""

import datetime as dt
import random
from decimal import Decimal

import pytest

from pacesetter.experience import actions, domain, selectors
from pacesetter.experience.models import Adoption
from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.ledger.models import SubtreeDailyTotal
from pacesetter.units import actions as unit_actions
from pacesetter.units.models import Unit
from tests import factories

from .conftest import DAY, publish

pytestmark = pytest.mark.django_db

TODAY = DAY + dt.timedelta(days=12)
DAYS = 3


def by_definition(practice, today: dt.date) -> domain.Effect:
    """Every comparison unit's rate over every adopter's days, as domain.measure was first
    written: the reference the grouped reads must agree with."""
    standing = list(
        Adoption.objects.filter(practice=practice, withdrawn=False).order_by("adopted_on", "pk")
    )
    adopters = [a.unit_id for a in standing]
    blocks = set(
        Unit.blocks.through.objects.filter(unit_id__in=adopters).values_list("block_id", flat=True)
    )
    left_out = set(Adoption.objects.filter(practice=practice).values_list("unit_id", flat=True))
    comparison = set(
        Unit.blocks.through.objects.filter(block_id__in=blocks, unit__archived=False)
        .exclude(unit_id__in=[*left_out, practice.unit_id])
        .values_list("unit_id", flat=True)
    )
    indicator = practice.indicator
    daily = {
        (u, d): indicator.quantity(q)
        for u, d, q in SubtreeDailyTotal.objects.filter(indicator=indicator).values_list(
            "unit_id", "day", "quantity_minor"
        )
    }
    measured = [(a.unit_id, a.adopted_on) for a in standing if a.adopted_on <= today]
    if len(measured) < domain.MINIMUM_UNITS or len(comparison) < domain.MINIMUM_UNITS:
        return None

    def rate(unit_id, days):
        return sum((daily.get((unit_id, d), Decimal(0)) for d in days), Decimal(0)) / len(days)

    def mean(values):
        return sum(values, Decimal(0)) / len(values)

    rows = []
    for unit_id, adopted_on in measured:
        before, after = domain.windows(adopted_on, DAYS, today)
        rows.append(
            (
                rate(unit_id, before),
                rate(unit_id, after),
                mean([rate(other, before) for other in comparison]),
                mean([rate(other, after) for other in comparison]),
            )
        )
    return [mean([row[k] for row in rows]) for k in range(4)], len(comparison)


@pytest.fixture
def spread(world):
    """Nine workteams in the block (one archived), three practices on steel and one on
    losses, adoptions on different days (one withdrawn), a few weeks of random reports."""
    units = world["units"]
    parent = units["C3"]
    for n in range(7, 10):
        units[f"W{n}"] = factories.unit(f"W{n}", parent)
    unit_actions.set_block_units(block=world["block"], units=[units[f"W{n}"] for n in range(1, 10)])
    rng = random.Random(7)
    rows = [
        ReportRow(
            unit=f"W{n}",
            indicator=indicator,
            quantity=f"{rng.randint(1, 90)}.{rng.randint(0, 9)}"
            if indicator == "steel"
            else str(rng.randint(1, 30)),
            day=DAY + dt.timedelta(days=offset),
        )
        for n in range(1, 10)
        for offset in range(-6, 13)
        for indicator in ("steel", "losses")
        if rng.random() < 0.7
    ]
    record_reports(movement=world["movement"], rows=rows, source="api")
    losses = world["movement"].indicators.get(code="losses")
    practices = [
        publish(world, unit="W9"),
        publish(world, unit="W8", title="Second"),
        publish(world, unit="W1", title="Third"),
        publish(world, unit="W2", title="On losses", indicator=losses),
    ]
    plan = {
        0: ["W1", "W2", "W3", "W4"],
        1: ["W3", "W5", "W7"],
        2: ["W2", "W4", "W6"],
        3: ["W3", "W4", "W5", "W9"],
    }
    for number, codes in plan.items():
        for offset, code in enumerate(codes):
            adoption = actions.adopt_practice(
                practice=practices[number], unit=units[code], adopted_on=DAY + dt.timedelta(offset)
            )
            if (number, code) == (1, "W7"):
                actions.withdraw_adoption(adoption=adoption, withdrawn_on=DAY + dt.timedelta(5))
    unit_actions.archive_unit(unit=units["W8"])
    return practices


def test_many_at_once_equal_the_definition_and_one_at_a_time(spread, django_assert_num_queries):
    practices = selectors.practices_of(spread[0].movement)
    listed = list(practices)
    # 2 queries, then 2 for each practice with enough units: its comparison's total per day
    # and its adopters' windows (the second on steel has two standing adopters left: too
    # few, nothing read for it).
    with django_assert_num_queries(2 + 2 * 3):
        effects = selectors.effects_of(listed, days=DAYS, today=TODAY)
    assert not effects[spread[1].pk].enough and effects[spread[1].pk].adopters == 2
    for practice in listed:
        effect = effects[practice.pk]
        alone = selectors.effect_of(
            practice, selectors.standing_adoptions(practice), days=DAYS, today=TODAY
        )
        assert effect == alone or all(
            abs(getattr(effect, name) - getattr(alone, name)) < Decimal("1e-20")
            for name in ("adopters_before", "adopters_after", "comparison_before", "difference")
        )
        expected = by_definition(practice, TODAY)
        if expected is None:
            assert not effect.enough
            continue
        values, comparison = expected
        assert effect.enough and effect.comparison == comparison
        measured = (
            effect.adopters_before,
            effect.adopters_after,
            effect.comparison_before,
            effect.comparison_after,
        )
        for got, want in zip(measured, values, strict=True):
            assert abs(got - want) < Decimal("1e-20"), (practice.title, got, want)
    # The archived publisher (W8) is out of the block's units; W9 published and is left out.
    assert effects[spread[0].pk].comparison == 9 - 1 - 4 - 1


def test_many_adopters_read_their_whole_range_to_the_same_effect(spread, monkeypatch):
    """Past WINDOWS_READ_ONE_BY_ONE adoptions a practice reads its adopters' whole range
    instead of one condition per window: the days outside the windows change nothing."""
    listed = list(selectors.practices_of(spread[0].movement))
    by_window = selectors.effects_of(listed, days=DAYS, today=TODAY)
    monkeypatch.setattr(selectors, "WINDOWS_READ_ONE_BY_ONE", 1)
    by_range = selectors.effects_of(listed, days=DAYS, today=TODAY)
    assert by_range == by_window
    assert sum(effect.enough for effect in by_range.values()) == 3


def test_overlapping_blocks_and_changed_members_keep_to_the_definition(spread, world):
    """The blocks' kept totals count a unit once per block, archived or not: a practice whose
    adopters sit in two overlapping blocks (one holding a county, whose subtree overlaps
    the workteams) compares with their union, each unit once, as the definition does."""
    units = world["units"]
    listed = list(selectors.practices_of(spread[0].movement))

    def agree():
        effects = selectors.effects_of(listed, days=DAYS, today=TODAY)
        for practice in listed:
            expected = by_definition(practice, TODAY)
            effect = effects[practice.pk]
            assert effect == selectors.effect_of(
                practice, selectors.standing_adoptions(practice), days=DAYS, today=TODAY
            )
            if expected is None:
                assert not effect.enough
                continue
            values, comparison = expected
            assert effect.enough and effect.comparison == comparison
            got = (
                effect.adopters_before,
                effect.adopters_after,
                effect.comparison_before,
                effect.comparison_after,
            )
            for value, want in zip(got, values, strict=True):
                assert abs(value - want) < Decimal("1e-20"), (practice.title, value, want)
        return effects

    before = agree()
    other = unit_actions.create_block(
        code="steelworks",
        name="Steelworks",
        units=[units["W3"], units["W4"], units["W8"], units["C3"]],
    )
    overlapping = agree()
    # Practice 0's adopters W3 and W4 are in both blocks: its comparison gains C3 only.
    assert overlapping[spread[0].pk].comparison == before[spread[0].pk].comparison + 1
    unit_actions.set_block_units(block=other, units=[units["W3"], units["C3"]])
    agree()
    unit_actions.set_block_units(block=other, units=[])
    assert agree() == before
