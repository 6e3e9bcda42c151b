"""Exact quantities.

The ledger and its aggregates store quantities as integers in the indicator's *minor units*
(quantity × 10**decimal_places), so sums are exact on SQLite as well as on PostgreSQL: SQLite
has no exact decimal type and would sum NUMERIC columns as floats. Everything above the
storage layer works in `Decimal`; rounding happens only for display, half-up.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

MAX_DECIMAL_PLACES = 6
# One quantity, in minor units. A signed 64-bit total holds 900,000 entries of this size;
# totals are not checked against overflow yet (docs/scaling.md).
MAX_MINOR = 10**13
ONE_TENTH = Decimal("0.1")


class QuantityError(ValueError):
    pass


# Digits with an optional point; thousands may be grouped by commas or spaces, in threes.
# A decimal comma ("12,5") is refused rather than read as 125.
_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:[, ]\d{3})+|\d+)(?:\.\d+)?(?:[eE][+-]?\d{1,3})?$")


def _decimal_places_of(number: Decimal) -> int:
    """Places after the point, trailing zeros aside, without context arithmetic (which rounds)."""
    _sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    index = len(digits)
    while exponent < 0 and index > 1 and digits[index - 1] == 0:
        index -= 1
        exponent += 1
    return -exponent if exponent < 0 else 0


def parse_quantity(value: object, decimal_places: int) -> Decimal:
    """Parse a user-given quantity; refuse more decimal places than the indicator allows."""
    if isinstance(value, bool):
        raise QuantityError(f"{value!r} is not a number")
    if isinstance(value, float):
        # A float has already lost exactness; go through its shortest repr, as a person typed it.
        value = repr(value)
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace("\u00a0", " ").replace("\u202f", " ")
        if not text:
            raise QuantityError("a number is required")
        if text.lower() in {"nan", "snan", "inf", "-inf", "+inf", "infinity", "-infinity"}:
            raise QuantityError(f"{value!r} is not a finite number")
        if not _NUMBER.match(text):
            hint = " (use a point for decimals)" if re.fullmatch(r"[+-]?\d+,\d+", text) else ""
            raise QuantityError(f"{value!r} is not a number{hint}")
        number = Decimal(text.replace(",", "").replace(" ", ""))
    else:
        raise QuantityError(f"{value!r} is not a number")
    if not number.is_finite():
        raise QuantityError(f"{value!r} is not a finite number")
    if _decimal_places_of(number) > decimal_places:
        raise QuantityError(
            f"{value} has more than {decimal_places} decimal place"
            f"{'' if decimal_places == 1 else 's'}"
        )
    return number


def to_minor(quantity: Decimal, decimal_places: int) -> int:
    """Decimal quantity → integer minor units. Exact: the caller has validated the places."""
    limit = Decimal(MAX_MINOR).scaleb(-decimal_places)
    if abs(quantity) > limit:
        raise QuantityError(f"{quantity} is too large (at most {limit:,f} in one entry)")
    scaled = quantity.scaleb(decimal_places)
    if scaled != scaled.to_integral_value():
        raise QuantityError(f"{quantity} has more than {decimal_places} decimal places")
    return int(scaled)


def from_minor(minor: int | None, decimal_places: int) -> Decimal | None:
    if minor is None:
        return None
    return Decimal(minor).scaleb(-decimal_places)


def round_percent(value: Decimal | int | None) -> Decimal | None:
    """Percentages are shown with one decimal, rounded half-up; never capped at 100."""
    if value is None:
        return None
    return Decimal(value).quantize(ONE_TENTH, rounding=ROUND_HALF_UP)


def format_percent(value: Decimal | None) -> str:
    rounded = round_percent(value)
    return "—" if rounded is None else f"{rounded:,}%"


def format_quantity(value: Decimal | None, decimal_places: int) -> str:
    if value is None:
        return "—"
    return f"{value.quantize(Decimal(1).scaleb(-decimal_places), rounding=ROUND_HALF_UP):,}"
