"""Display filters: the only place figures are rounded (half-up; percentages to one decimal)."""

from decimal import Decimal

from django import template

from pacesetter.core.quantities import format_percent, format_quantity, round_percent

register = template.Library()


@register.filter
def percent(value: Decimal | None) -> str:
    return format_percent(value)


@register.filter
def quantity(value: Decimal | None, decimal_places: int = 0) -> str:
    return format_quantity(value, int(decimal_places))


@register.filter
def minor(indicator, value: int | None) -> str:
    """A stored quantity (in the indicator's minor units), formatted in its decimal places."""
    return format_quantity(indicator.from_minor(value), indicator.decimal_places)


@register.simple_tag
def bar_width(value: Decimal | int | None, scale_max: Decimal) -> str:
    """Where `value` percent falls on a track that is `scale_max` percent wide."""
    rounded = round_percent(value) or Decimal(0)
    return str((max(Decimal(0), rounded) * 100 / scale_max).quantize(Decimal("0.1")))


@register.simple_tag
def scale_for(*values: Decimal | None) -> Decimal:
    """The track's full width in percent: at least 100, else the largest value, rounded up to 50."""
    largest = max([round_percent(v) or Decimal(0) for v in values] + [Decimal(100)])
    return Decimal(int((largest + 49) // 50) * 50)
