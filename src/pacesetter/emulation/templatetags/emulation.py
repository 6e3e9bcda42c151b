"""Emulation partials for other apps' pages, as inclusion tags so that the figures app needs
no import of emulation (imports flow figures ← emulation): `{% overtaking_feed movement %}`
on the movement dashboard, `{% learn_from movement unit %}` on a unit's page."""

from django import template

from pacesetter.emulation import selectors

register = template.Library()


@register.inclusion_tag("emulation/_overtaking_feed.html")
def overtaking_feed(movement, limit: int = 5) -> dict:
    """The movement's latest overtakings (1 query)."""
    return {
        "movement": movement,
        "overtakings": selectors.overtaking_feed(movement=movement, limit=limit),
    }


@register.inclusion_tag("emulation/_learn_from.html")
def learn_from(movement, unit) -> dict:
    """Whom the unit can learn from in each ranking it stands in (1 query when it stands in
    none)."""
    return {
        "movement": movement,
        "unit": unit,
        "learn_from": selectors.learn_from(movement=movement, unit=unit),
    }


@register.filter
def margin(event) -> str:
    """An overtaking's margin in its scoring's terms."""
    return selectors.margin_display(event)
