"""`{% title_holders movement %}`: the movement's standing title holders, for its honour board."""

from __future__ import annotations

from django import template

from pacesetter.movements.models import Movement, Period

from .. import selectors
from ..facts import period_text

register = template.Library()


@register.inclusion_tag("titles/_board_holders.html")
def title_holders(movement: Movement) -> dict:
    return {"awards": selectors.holders_for_board(movement)}


@register.filter
def period_days(period: Period | None) -> str:
    """`{{ award.period|period_days }}`: "week 3 (15–21 Mar)"."""
    return period_text(period) if period is not None else ""
