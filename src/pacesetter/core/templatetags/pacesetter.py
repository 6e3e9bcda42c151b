"""Display filters: the only place figures are rounded (half-up; percentages to one decimal)
and the place they are put in the reader's locale (Django's l10n for the active language:
"1,234.5" in English, "1.234,5" in German). Never capped: 285.7% is shown as 285.7%."""

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils import formats

from pacesetter.core.quantities import round_percent

register = template.Library()


def _localised(value: Decimal, decimal_places: int) -> str:
    # Rounded half-up here, exactly; number_format then only groups and pads (it would
    # truncate extra places, so none are left for it).
    rounded = value.quantize(Decimal(1).scaleb(-decimal_places), rounding=ROUND_HALF_UP)
    return formats.number_format(rounded, decimal_places, use_l10n=True, force_grouping=True)


@register.filter
def percent(value: Decimal | None) -> str:
    rounded = round_percent(value)
    return "—" if rounded is None else f"{_localised(rounded, 1)}%"


@register.filter
def quantity(value: Decimal | None, decimal_places: int = 0) -> str:
    return "—" if value is None else _localised(Decimal(value), int(decimal_places))


@register.filter
def plain(value: Decimal | None) -> str:
    """A Decimal with the decimals it has and no more (1.500 → 1.5, 169000.000 → 169,000),
    localised; never in exponent form."""
    if value is None:
        return "—"
    value = Decimal(value)
    exponent = value.normalize().as_tuple().exponent
    return _localised(value, max(0, -exponent) if isinstance(exponent, int) else 0)


@register.filter
def minor(indicator, value: int | None) -> str:
    """A stored quantity (in the indicator's minor units), formatted in its decimal places."""
    return quantity(indicator.from_minor(value), indicator.decimal_places)


@register.simple_tag
def bar_width(value: Decimal | int | None, scale_max: Decimal) -> str:
    """Where `value` percent falls on a track that is `scale_max` percent wide."""
    rounded = round_percent(value) or Decimal(0)
    return str((max(Decimal(0), rounded) * 100 / scale_max).quantize(Decimal("0.1")))


@register.simple_tag
def bar_step(value: Decimal | int | None, scale_max: Decimal) -> int:
    """`bar_width` as a whole step from 0 to 100, for the CSS classes `w-N` and `at-N` (the
    Content-Security-Policy forbids style attributes, so the width is a class)."""
    width = Decimal(bar_width(value, scale_max))
    return int(width.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@register.simple_tag
def scale_for(*values: Decimal | None) -> Decimal:
    """The track's full width in percent: at least 100, else the largest value, rounded up to 50."""
    largest = max([round_percent(v) or Decimal(0) for v in values] + [Decimal(100)])
    return Decimal(int((largest + 49) // 50) * 50)


@register.filter
def fields_with_errors(form) -> list:
    """The visible fields of `form` that have errors, for the error summary's links."""
    return [field for field in form.visible_fields() if field.errors]
