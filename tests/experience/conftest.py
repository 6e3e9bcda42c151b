import datetime as dt
from decimal import Decimal

import pytest

from pacesetter.experience import actions
from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.units import actions as unit_actions
from tests import factories

DAY = dt.date(2025, 3, 10)


@pytest.fixture
def world(units, movement):
    """Six workteams in one block: W1..W3 adopt, W4..W6 do not; P2 publishes."""
    made = dict(units)
    made["W5"] = factories.unit("W5", units["C3"])
    made["W6"] = factories.unit("W6", units["C3"])
    block = unit_actions.create_block(code="workteams", name="Workteams")
    unit_actions.set_block_units(block=block, units=[made[f"W{n}"] for n in range(1, 7)])
    steel = movement.indicators.get(code="steel")
    whole = next(p for p in movement.periods.all() if p.is_whole)
    return {"units": made, "movement": movement, "steel": steel, "whole": whole, "block": block}


def publish(world, unit="P2", **kwargs):
    values = {
        "movement": world["movement"],
        "unit": world["units"][unit],
        "title": "Two shifts on the furnace",
        "text": "We **split** the crew.\n\n- morning\n- evening",
        "indicator": world["steel"],
        "period": world["whole"],
    }
    values.update(kwargs)
    return actions.publish_practice(**values)


def record(world, quantities: dict[str, list[str]], first: dt.date):
    """Each unit's quantities on consecutive days from `first` ("0" rows are left out)."""
    rows = [
        ReportRow(
            unit=code,
            indicator="steel",
            quantity=value,
            day=first + dt.timedelta(days=offset),
        )
        for code, values in quantities.items()
        for offset, value in enumerate(values)
        if Decimal(value)
    ]
    return record_reports(movement=world["movement"], rows=rows, source="api")
