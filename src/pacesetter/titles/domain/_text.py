"""How numbers and values are written in rule texts and explanations."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    return text


def _show(value: Any) -> str:
    if value is None:
        return "nothing recorded"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return (
            _number(value.quantize(Decimal("0.1"), ROUND_HALF_UP))
            if value != value.to_integral()
            else _number(value)
        )
    return str(value)
